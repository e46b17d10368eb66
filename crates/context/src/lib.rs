//! Node.js `tls.createSecureContext` options (PEM keys with passphrases, PFX
//! bundles, CAs, CRLs, ciphers) parsed into rustls configurations.
//!
//! * [`keys`]: private-key PEM decoding, including encrypted keys.
//! * [`pfx`]: PKCS#12 (PFX) bundles.

#![forbid(unsafe_code)]

pub mod keys;
pub mod pfx;
