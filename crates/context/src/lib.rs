//! Node's `tls.createSecureContext(details)`: credential, trust and cipher options
//! parsed once into an immutable [`SecureContext`] that holds ready rustls client and
//! server configurations.
//!
//! ```no_run
//! use context::{create_secure_context, SecureContextOptions};
//! let ctx = create_secure_context(
//!     &SecureContextOptions::new()
//!         .key(std::fs::read("server-key.pem")?)
//!         .cert(std::fs::read("server-cert.pem")?),
//! )?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! This crate never touches sockets or connections; `tls-core` drives the configs.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cert;
pub mod ciphers;
mod credentials;
pub mod describe;
mod error;
pub mod keys;
pub mod pem;
pub mod pfx;
mod verify;

pub use ciphers::{get_ciphers, openssl_name, standard_name};
pub use describe::{describe, PeerCertificate};
pub use error::ContextError;
pub use verify::{check_server_identity, Purpose, VerifyCode};

use credentials::Credentials;
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::ResolvesServerCert;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, ServerConfig, SignatureScheme};
use std::sync::{Arc, OnceLock};
use verify::{HandshakeVerifier, Trust};

/// The options of `tls.createSecureContext(details)`, in Node's names (snake_case).
///
/// Byte inputs are what Node takes as a string or a Buffer; call a method several times
/// where Node takes an array.
#[derive(Clone, Debug, Default)]
pub struct SecureContextOptions {
    keys: Vec<KeyInput>,
    certs: Vec<Vec<u8>>,
    ca: Option<Vec<Vec<u8>>>,
    passphrase: Option<String>,
}

/// One `key` entry: PEM text with, optionally, its own passphrase (Node's
/// `{pem, passphrase}` object form).
#[derive(Clone, Debug)]
struct KeyInput {
    pem: Vec<u8>,
    passphrase: Option<String>,
}

impl SecureContextOptions {
    /// No options: Node's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `key`: a PEM private key; repeat for several keys (Node's array form).
    pub fn key(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.keys.push(KeyInput {
            pem: pem.into(),
            passphrase: None,
        });
        self
    }

    /// `key: [{pem, passphrase}]`: a PEM private key with its own passphrase.
    pub fn key_with_passphrase(
        mut self,
        pem: impl Into<Vec<u8>>,
        passphrase: impl Into<String>,
    ) -> Self {
        self.keys.push(KeyInput {
            pem: pem.into(),
            passphrase: Some(passphrase.into()),
        });
        self
    }

    /// `cert`: a PEM certificate, or a chain (leaf first); repeat for several.
    pub fn cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.certs.push(pem.into());
        self
    }

    /// `ca`: PEM certificates to trust (one text may hold several); repeat for more.
    /// Given at all, it replaces the default Mozilla roots, as in Node.
    pub fn ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.ca.get_or_insert_with(Vec::new).push(pem.into());
        self
    }

    /// `passphrase`: for encrypted keys (and, later, `pfx`).
    pub fn passphrase(mut self, passphrase: impl Into<String>) -> Self {
        self.passphrase = Some(passphrase.into());
        self
    }
}

/// How a server asks for client certificates (`requestCert`, `rejectUnauthorized`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ClientAuth {
    /// `requestCert: false` (Node's default): no CertificateRequest.
    None,
    /// `requestCert: true, rejectUnauthorized: false`: ask, accept anything.
    Request,
    /// `requestCert: true, rejectUnauthorized: true`: ask, and fail the handshake when
    /// no certificate comes (an untrusted one is refused after the handshake, as Node).
    Require,
}

/// `tls.createSecureContext(details)`: parses and checks every option once.
pub fn create_secure_context(
    options: &SecureContextOptions,
) -> Result<SecureContext, ContextError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let algs = provider.signature_verification_algorithms;
    let ca = match &options.ca {
        Some(texts) => Some(credentials::load_ca(texts)?),
        None => None,
    };
    let credentials = Credentials::load(options, ca.as_deref().unwrap_or_default())?;
    let trust = match ca {
        Some(ca) => Trust::from_ca(ca, algs),
        None => Trust::default_roots(algs),
    };
    Ok(SecureContext {
        inner: Arc::new(Inner {
            provider,
            credentials: Arc::new(credentials),
            trust,
            client: OnceLock::new(),
            servers: Default::default(),
        }),
    })
}

/// An immutable, shareable secure context (`Send + Sync`, cheap to clone): Node's
/// `SecureContext`. It hands out rustls configs built once and shared, so sessions
/// resume across connections made with the same context.
#[derive(Clone, Debug)]
pub struct SecureContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    provider: Arc<CryptoProvider>,
    credentials: Arc<Credentials>,
    trust: Trust,
    client: OnceLock<Arc<ClientConfig>>,
    servers: [OnceLock<Arc<ServerConfig>>; 3],
}

impl SecureContext {
    /// The rustls client config of this context (built on first use, then shared).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.inner
            .client
            .get_or_init(|| Arc::new(self.build_client_config()))
            .clone()
    }

    /// The rustls server config of this context for a given client-auth mode.
    pub fn server_config(&self, auth: ClientAuth) -> Arc<ServerConfig> {
        let slot = match auth {
            ClientAuth::None => 0,
            ClientAuth::Request => 1,
            ClientAuth::Require => 2,
        };
        self.inner.servers[slot]
            .get_or_init(|| Arc::new(self.build_server_config(auth)))
            .clone()
    }

    /// Judges a peer's certificate chain (leaf first) against this context's `ca` (or the
    /// default roots): `Err` is what Node puts in `authorizationError`.
    pub fn verify_peer(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        self.inner.trust.verify(chain, now, purpose)
    }

    /// Whether this context holds a certificate and key of its own.
    pub fn has_credentials(&self) -> bool {
        !self.inner.credentials.keys.is_empty()
    }

    fn verifier(&self, auth: ClientAuth) -> Arc<HandshakeVerifier> {
        Arc::new(HandshakeVerifier {
            algs: self.inner.provider.signature_verification_algorithms,
            hints: self.inner.trust.hints().to_vec(),
            offer_client_auth: auth != ClientAuth::None,
            client_auth_mandatory: auth == ClientAuth::Require,
        })
    }

    fn build_client_config(&self) -> ClientConfig {
        let builder = ClientConfig::builder_with_provider(self.inner.provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .dangerous()
            .with_custom_certificate_verifier(self.verifier(ClientAuth::None));
        builder.with_client_cert_resolver(self.inner.credentials.clone())
    }

    fn build_server_config(&self, auth: ClientAuth) -> ServerConfig {
        let verifier = self.verifier(auth);
        let mut config = ServerConfig::builder_with_provider(self.inner.provider.clone())
            .with_protocol_versions(rustls::ALL_VERSIONS)
            .expect("the ring provider supports TLS 1.2 and 1.3")
            .with_client_cert_verifier(verifier)
            .with_cert_resolver(self.inner.credentials.clone());
        config.ignore_client_order = false;
        config
    }
}

impl ResolvesServerCert for Credentials {
    fn resolve(&self, hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.choose(hello.signature_schemes())
    }
}

impl ResolvesClientCert for Credentials {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        // OpenSSL sends the configured certificate whatever CA names the server lists.
        self.choose(sigschemes)
    }

    fn has_certs(&self) -> bool {
        !self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests;
