//! Node.js `tls` SecureContext options (PEM, PFX, passphrases, CAs, CRLs,
//! ciphers) parsed into rustls configurations.
#![forbid(unsafe_code)]

pub mod ciphers;
