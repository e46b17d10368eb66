//! Helpers shared by the `options*` integration tests: fixture reading, error
//! checks, in-memory rustls handshakes, the `openssl` CLI.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use base64::Engine as _;
use context::{
    create_secure_context, ClientAuth, ContextError, Purpose, SecureContext, SecureContextOptions,
    VerifyCode,
};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::{
    ClientConfig, ClientConnection, Connection, DigitallySignedStruct, ProtocolVersion,
    ServerConnection, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

pub const PASS: &str = "secret";

pub fn fx(path: &str) -> Vec<u8> {
    let full = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/").to_string() + path;
    std::fs::read(&full).unwrap_or_else(|e| panic!("read {full}: {e}"))
}

pub fn fx_str(path: &str) -> String {
    String::from_utf8(fx(path)).expect("fixture is text")
}

/// Every certificate of a PEM fixture, in order.
pub fn certs(path: &str) -> Vec<CertificateDer<'static>> {
    context::pem::parse(&fx(path))
        .unwrap()
        .into_iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der))
        .collect()
}

pub fn ctx(options: SecureContextOptions) -> SecureContext {
    create_secure_context(&options).unwrap_or_else(|e| panic!("{e}"))
}

/// The error of `options`, checked to name `option` and to say `phrase`.
pub fn refused(options: SecureContextOptions, option: &str, phrase: &str) -> ContextError {
    let err = create_secure_context(&options).expect_err(phrase);
    assert_eq!(err.option(), option, "{err}");
    assert!(err.to_string().contains(phrase), "{err:?} lacks {phrase:?}");
    assert_eq!(
        err.to_string(),
        format!("invalid `{option}`: {}", err.reason())
    );
    err
}

pub fn pair(key: &str, cert: &str) -> SecureContextOptions {
    SecureContextOptions::new().key(fx(key)).cert(fx(cert))
}

pub fn verify(ctx: &SecureContext, chain: &[CertificateDer<'_>]) -> Result<(), VerifyCode> {
    ctx.verify_peer(chain, UnixTime::now(), Purpose::Server)
}

pub fn trusting(ca: &str) -> SecureContext {
    ctx(SecureContextOptions::new().ca(fx(ca)))
}

/// What a finished in-memory handshake agreed on.
#[derive(Debug)]
pub struct Shook {
    pub suite: &'static str,
    pub version: ProtocolVersion,
    pub group: String,
    /// The chain the client received.
    pub chain: Vec<CertificateDer<'static>>,
}

/// A handshake between two contexts, with the server not asking for a certificate.
pub fn handshake(server: &SecureContext, client: &SecureContext) -> Result<Shook, String> {
    handshake_with(server, client.client_config())
}

pub fn handshake_with(server: &SecureContext, client: Arc<ClientConfig>) -> Result<Shook, String> {
    let server = ServerConnection::new(server.server_config(ClientAuth::None).unwrap())
        .map_err(|e| format!("server: {e}"))?;
    let name = ServerName::try_from("localhost").unwrap();
    let client = ClientConnection::new(client, name).map_err(|e| format!("client: {e}"))?;
    let mut server = Connection::Server(server);
    let mut client = Connection::Client(client);
    for _ in 0..16 {
        if !client.is_handshaking() && !server.is_handshaking() {
            let suite = client.negotiated_cipher_suite().expect("suite").suite();
            return Ok(Shook {
                suite: context::openssl_name(suite).expect("known suite"),
                version: client.protocol_version().expect("version"),
                group: format!(
                    "{:?}",
                    client.negotiated_key_exchange_group().unwrap().name()
                ),
                chain: client.peer_certificates().unwrap_or_default().to_vec(),
            });
        }
        pump(&mut client, &mut server).map_err(|e| format!("server: {e}"))?;
        pump(&mut server, &mut client).map_err(|e| format!("client: {e}"))?;
    }
    Err("handshake did not finish".into())
}

/// Moves everything `from` wants to send into `to`, which processes it.
pub fn pump(from: &mut Connection, to: &mut Connection) -> Result<(), rustls::Error> {
    let mut buf = Vec::new();
    while from.wants_write() {
        from.write_tls(&mut buf).unwrap();
    }
    let mut rd = buf.as_slice();
    while !rd.is_empty() {
        to.read_tls(&mut rd).unwrap();
        to.process_new_packets()?;
    }
    Ok(())
}

/// A verifier that accepts everything but offers only `schemes`: the server then has
/// to pick the credential that can sign with one of them.
#[derive(Debug)]
pub struct OnlySchemes(pub Vec<SignatureScheme>);

impl ServerCertVerifier for OnlySchemes {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
    fn verify_tls12_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn verify_tls13_signature(
        &self,
        _: &[u8],
        _: &CertificateDer<'_>,
        _: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.clone()
    }
}

/// A default client whose ClientHello offers only `schemes`.
pub fn client_offering(schemes: &[SignatureScheme]) -> Arc<ClientConfig> {
    let base = ctx(SecureContextOptions::new());
    let mut config = (*base.client_config()).clone();
    config
        .dangerous()
        .set_certificate_verifier(Arc::new(OnlySchemes(schemes.to_vec())));
    Arc::new(config)
}

pub const RSA_SCHEMES: &[SignatureScheme] = &[
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PKCS1_SHA256,
];
pub const P256_SCHEMES: &[SignatureScheme] = &[SignatureScheme::ECDSA_NISTP256_SHA256];

pub fn client() -> SecureContext {
    ctx(SecureContextOptions::new())
}

pub fn client_with(f: impl FnOnce(SecureContextOptions) -> SecureContextOptions) -> SecureContext {
    ctx(f(SecureContextOptions::new()))
}

/// A temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("ctx-options-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `openssl ARGS` in `dir`; `None` (with a note) when there is no `openssl`.
pub fn openssl(dir: &TempDir, args: &[&str]) -> Option<()> {
    match Command::new("openssl")
        .args(args)
        .current_dir(&dir.0)
        .output()
    {
        Ok(out) if out.status.success() => Some(()),
        Ok(out) => panic!("openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr)),
        Err(e) => {
            eprintln!("skipped: no openssl ({e})");
            None
        }
    }
}

pub fn relabel(pem: &str, label: &str) -> String {
    pem.replace("BEGIN CERTIFICATE", &format!("BEGIN {label}"))
        .replace("END CERTIFICATE", &format!("END {label}"))
}

pub fn pem_wrap(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

/// xorshift64 with a fixed seed: the same "random" inputs on every run, no extra crates.
pub struct XorShift(pub u64);

impl XorShift {
    /// The next number of the sequence.
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
