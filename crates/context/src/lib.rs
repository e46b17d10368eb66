//! Node.js `tls` SecureContext options parsed into rustls configurations,
//! and Node's view of certificates.
#![forbid(unsafe_code)]

pub mod describe;
