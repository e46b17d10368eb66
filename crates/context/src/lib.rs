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
mod chain;
pub mod ciphers;
mod credentials;
pub mod describe;
mod error;
pub mod keylog;
pub mod keys;
mod options;
pub mod pem;
pub mod pfx;
mod protocol;
pub mod reports;
mod roots;
mod sessions;
mod tickets;
mod verify;

pub use ciphers::{get_ciphers, openssl_name, standard_name};
pub use describe::{describe, PeerCertificate};
pub use error::ContextError;
pub use options::SecureContextOptions;
pub use roots::root_certificates;
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

type AlpnConfigs = std::collections::HashMap<(ClientAuth, Vec<Vec<u8>>), Arc<ServerConfig>>;
/// Configs keeping another context's sessions, by (auth, ALPN, that context's address);
/// the `Weak` tells a live context from one whose address was reused.
type SharingConfigs = std::collections::HashMap<
    (ClientAuth, Vec<Vec<u8>>, usize),
    (std::sync::Weak<Inner>, Arc<ServerConfig>),
>;

/// Node's `ALPNProtocols` (and `NPNProtocols`, offered as ALPN) in any of its forms: a
/// list of names (each 1 to 255 bytes), or the wire format, a Buffer of length-prefixed
/// names (`Buffer.from('\x02h2\x08http/1.1')`). `Err` names the option and the reason.
pub fn alpn_protocols<I, P>(list: I) -> Result<Vec<Vec<u8>>, ContextError>
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    let list: Vec<Vec<u8>> = list.into_iter().map(|p| p.as_ref().to_vec()).collect();
    for p in &list {
        if p.is_empty() || p.len() > 255 {
            return Err(ContextError::new(
                "ALPNProtocols",
                format!("a protocol name must be 1 to 255 bytes, not {}", p.len()),
            )
            .with_code("ERR_OUT_OF_RANGE"));
        }
    }
    Ok(list)
}

/// The wire form of `ALPNProtocols`: length-prefixed names.
pub fn alpn_protocols_wire(wire: &[u8]) -> Result<Vec<Vec<u8>>, ContextError> {
    let mut list = Vec::new();
    let mut rest = wire;
    while let Some((&len, tail)) = rest.split_first() {
        let len = usize::from(len);
        if len == 0 || tail.len() < len {
            return Err(ContextError::new(
                "ALPNProtocols",
                "the wire format is cut short or holds an empty name",
            )
            .with_code("ERR_INVALID_ARG_VALUE"));
        }
        list.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(list)
}

/// How many destinations a context keeps client sessions for.
pub const DESTINATIONS: usize = 256;

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

/// The context of `createSecureContext({})`, made once per process and shared: for
/// what needs a context and never speaks TLS with it (a plain `net` socket or server).
pub fn empty_context() -> SecureContext {
    static EMPTY: OnceLock<SecureContext> = OnceLock::new();
    EMPTY
        .get_or_init(|| create_secure_context(&SecureContextOptions::new()).expect("builds"))
        .clone()
}

/// `tls.createSecureContext(details)`: parses and checks every option once and builds
/// the rustls configurations, so a bad option fails here, named, and never later.
pub fn create_secure_context(
    options: &SecureContextOptions,
) -> Result<SecureContext, ContextError> {
    options.check_server_values()?;
    let protocols = options.protocol.resolve()?;
    let provider = Arc::new(protocols.provider);
    let algs = provider.signature_verification_algorithms;
    let ca = match &options.ca {
        Some(texts) => Some(credentials::load_ca(texts)?),
        None => None,
    };
    let crls = credentials::load_crls(&options.crl)?;
    let ca_certs: Vec<_> = ca.iter().flatten().map(|(c, _)| c.clone()).collect();
    let credentials = Credentials::load(options, &ca_certs)?;
    let mut trusted = ca.clone().unwrap_or_default();
    trusted.extend(
        credentials
            .pfx_ca
            .iter()
            .map(|c| (c.clone(), Default::default())),
    );
    let trust = Trust::new(trusted, ca.is_none(), crls, algs);
    let notes = protocols.notes.clone();
    let credentials = Arc::new(credentials);
    let honor_cipher_order = options.honor_cipher_order.unwrap_or(false)
        || options.protocol.secure_options & protocol::op::CIPHER_SERVER_PREFERENCE != 0;
    // Tickets are on by default with random keys, as in Node; SSL_OP_NO_TICKET turns
    // them off (sessions are then resumed from the server's cache by id).
    let tickets =
        (options.protocol.secure_options & protocol::op::NO_TICKET == 0).then(|| TicketSettings {
            keys: options.ticket_keys.clone(),
            lifetime: options
                .session_timeout
                .map_or(tickets::DEFAULT_SESSION_TIMEOUT, |s| s as u32),
            id_context: options.session_id_context.clone().unwrap_or_default(),
        });
    let parts = Parts {
        provider,
        versions: protocols.versions,
        credentials: credentials.clone(),
        hints: trust.hints().to_vec(),
        honor_cipher_order,
        tickets,
    };
    // The client config is built now: it fails exactly when a server config would
    // (same provider and versions), so errors surface here. Server configs, with
    // their session cache and ticket keys, are built on first server use.
    let client = Arc::new(parts.client_config()?);
    Ok(SecureContext {
        inner: Arc::new(Inner {
            credentials,
            trust,
            client,
            destinations: Default::default(),
            alpn_servers: Default::default(),
            sharing_servers: Default::default(),
            notes,
            parts,
            servers: OnceLock::new(),
            ticketer: OnceLock::new(),
        }),
    })
}

/// `ticketKeys`, `sessionTimeout`, `sessionIdContext`, when tickets are on.
#[derive(Debug)]
struct TicketSettings {
    keys: Option<Vec<u8>>,
    lifetime: u32,
    id_context: String,
}

/// What the rustls configs are built from.
#[derive(Debug)]
struct Parts {
    provider: Arc<CryptoProvider>,
    versions: Vec<&'static rustls::SupportedProtocolVersion>,
    credentials: Arc<Credentials>,
    hints: Vec<rustls::DistinguishedName>,
    honor_cipher_order: bool,
    tickets: Option<TicketSettings>,
}

/// The three server configs of a context (one per [`ClientAuth`]), sharing one session
/// cache and one ticketer.
type ServerConfigs = [Arc<ServerConfig>; 3];

impl Parts {
    fn verifier(&self, auth: ClientAuth) -> Arc<HandshakeVerifier> {
        Arc::new(HandshakeVerifier {
            algs: self.provider.signature_verification_algorithms,
            hints: self.hints.clone(),
            offer_client_auth: auth != ClientAuth::None,
            client_auth_mandatory: auth == ClientAuth::Require,
        })
    }

    fn client_config(&self) -> Result<ClientConfig, ContextError> {
        let mut config = ClientConfig::builder_with_details(
            self.provider.clone(),
            Arc::new(reports::ScopedClock),
        )
        .with_protocol_versions(&self.versions)
        .map_err(|e| ContextError::with_source("ciphers", "no usable protocol version", e))?
        .dangerous()
        .with_custom_certificate_verifier(self.verifier(ClientAuth::None))
        .with_client_cert_resolver(self.credentials.clone());
        config.resumption =
            rustls::client::Resumption::store(Arc::new(sessions::CountingStore::new(256)));
        config.key_log = keylog::logger();
        Ok(config)
    }

    /// The ticket keys (when tickets are on), made once per context.
    fn ticketer(&self) -> Result<Option<Arc<tickets::Ticketer>>, String> {
        let Some(t) = &self.tickets else {
            return Ok(None);
        };
        let ticketer =
            tickets::Ticketer::new(t.keys.as_deref(), t.lifetime, t.id_context.as_bytes())
                .ok_or("cannot derive session ticket keys")?;
        Ok(Some(Arc::new(ticketer)))
    }

    fn server_configs(
        &self,
        ticketer: Option<Arc<tickets::Ticketer>>,
    ) -> Result<ServerConfigs, String> {
        let cache: Arc<dyn rustls::server::StoresServerSessions> =
            Arc::new(sessions::ServerStore::new(1024));
        let ticketer: Option<Arc<dyn rustls::server::ProducesTickets>> =
            ticketer.map(|t| t as Arc<dyn rustls::server::ProducesTickets>);
        let build = |auth| {
            let mut config = self.server_config(auth).map_err(|e| e.to_string())?;
            config.session_storage = cache.clone();
            if let Some(t) = &ticketer {
                config.ticketer = t.clone();
            }
            Ok::<_, String>(Arc::new(config))
        };
        Ok([
            build(ClientAuth::None)?,
            build(ClientAuth::Request)?,
            build(ClientAuth::Require)?,
        ])
    }

    fn server_config(&self, auth: ClientAuth) -> Result<ServerConfig, ContextError> {
        let mut config = ServerConfig::builder_with_details(
            self.provider.clone(),
            Arc::new(reports::ScopedClock),
        )
        .with_protocol_versions(&self.versions)
        .map_err(|e| ContextError::with_source("ciphers", "no usable protocol version", e))?
        .with_client_cert_verifier(self.verifier(auth))
        .with_cert_resolver(Arc::new(ServerCertResolver {
            credentials: self.credentials.clone(),
            suites: self.provider.cipher_suites.clone(),
        }));
        config.ignore_client_order = self.honor_cipher_order;
        config.key_log = keylog::logger();
        Ok(config)
    }
}

/// An immutable, shareable secure context (`Send + Sync`, cheap to clone): Node's
/// `SecureContext`. Its rustls configs are built once and shared, so sessions resume
/// across connections made with the same context.
#[derive(Clone, Debug)]
pub struct SecureContext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    credentials: Arc<Credentials>,
    trust: Trust,
    client: Arc<ClientConfig>,
    /// One client config per destination, each with its own session store, so a
    /// session is only ever offered to the host, port and servername it was made with.
    destinations: std::sync::Mutex<std::collections::HashMap<String, Arc<ClientConfig>>>,
    /// Server configs with an ALPN list (Node's `ALPNProtocols` is a server option, not
    /// a context one): same settings, sessions and tickets, one per list.
    alpn_servers: std::sync::Mutex<AlpnConfigs>,
    /// Server configs that keep another context's session store and ticket keys (an
    /// SNI context answering for a server: sessions stay the server's, as in Node).
    sharing_servers: std::sync::Mutex<SharingConfigs>,
    /// What the options asked for and was left out (`ecdhCurve` groups ring lacks).
    notes: Vec<String>,
    parts: Parts,
    servers: OnceLock<Result<ServerConfigs, String>>,
    /// The ticket keys, shared by the server configs (`getTicketKeys`/`setTicketKeys`).
    ticketer: OnceLock<Result<Option<Arc<tickets::Ticketer>>, String>>,
}

impl SecureContext {
    /// What the options asked for and this context left out, each a sentence (e.g.
    /// `ecdhCurve: secp521r1 left out: rustls (ring) does not have it`): OpenSSL takes
    /// those; we keep the rest, as a cipher list keeps the suites we have.
    pub fn notes(&self) -> &[String] {
        &self.inner.notes
    }

    /// The rustls client config of this context (its session store is shared by every
    /// connection made with it; connections use [`SecureContext::client_config_for`]).
    pub fn client_config(&self) -> Arc<ClientConfig> {
        self.inner.client.clone()
    }

    /// The server config for `auth` that offers `alpn` (in the server's order of
    /// preference, as Node); an empty list is [`SecureContext::server_config`].
    pub fn server_config_with_alpn(
        &self,
        auth: ClientAuth,
        alpn: &[Vec<u8>],
    ) -> Result<Arc<ServerConfig>, ContextError> {
        let base = self.server_config(auth)?;
        if alpn.is_empty() {
            return Ok(base);
        }
        let Ok(mut map) = self.inner.alpn_servers.lock() else {
            return Ok(base);
        };
        let config = map.entry((auth, alpn.to_vec())).or_insert_with(|| {
            let mut config = (*base).clone();
            config.alpn_protocols = alpn.to_vec();
            Arc::new(config)
        });
        Ok(config.clone())
    }

    /// [`SecureContext::server_config_with_alpn`] with the session store and ticket keys
    /// of `sessions`: the config of an SNI context answering for the server whose
    /// context is `sessions` (Node resumes a server's sessions whichever of its
    /// contexts answers, even one made anew for each connection).
    pub fn server_config_in(
        &self,
        auth: ClientAuth,
        alpn: &[Vec<u8>],
        sessions: &SecureContext,
    ) -> Result<Arc<ServerConfig>, ContextError> {
        let own = self.server_config_with_alpn(auth, alpn)?;
        if Arc::ptr_eq(&self.inner, &sessions.inner) {
            return Ok(own);
        }
        let keeper = sessions.server_config(auth)?;
        let key = (auth, alpn.to_vec(), Arc::as_ptr(&sessions.inner) as usize);
        let Ok(mut map) = self.inner.sharing_servers.lock() else {
            return Ok(own);
        };
        if let Some((weak, config)) = map.get(&key) {
            if weak
                .upgrade()
                .is_some_and(|i| Arc::ptr_eq(&i, &sessions.inner))
            {
                return Ok(config.clone());
            }
        }
        if map.len() >= DESTINATIONS {
            map.clear(); // a cache: contexts made per connection must not pile up
        }
        let mut config = (*own).clone();
        config.session_storage = keeper.session_storage.clone();
        config.ticketer = keeper.ticketer.clone();
        let config = Arc::new(config);
        map.insert(key, (Arc::downgrade(&sessions.inner), config.clone()));
        Ok(config)
    }

    /// The certificate (with its chain) this context would present to the client whose
    /// ClientHello is `hello`; `None` when it has none that client can use.
    pub fn certificate_for(
        &self,
        hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<CertifiedKey>> {
        let config = self.server_config(ClientAuth::None).ok()?;
        config.cert_resolver.resolve(hello)
    }

    /// `base` (a config of this library's contexts) presenting `key` with `ocsp`
    /// stapled (Node's `OCSPRequest` answer, for one connection): the same settings,
    /// sessions and tickets.
    pub fn server_config_stapled(
        base: &ServerConfig,
        key: &CertifiedKey,
        ocsp: Vec<u8>,
    ) -> Arc<ServerConfig> {
        let mut config = base.clone();
        let stapled = CertifiedKey {
            ocsp: Some(ocsp),
            ..key.clone()
        };
        config.cert_resolver = Arc::new(rustls::sign::SingleCertAndKey::from(stapled));
        Arc::new(config)
    }

    /// The client config for one destination (`host`, `port`, `servername`, offering
    /// `alpn`): the same
    /// settings, with a session store of its own, so sessions resume only with the
    /// destination that made them. Up to [`DESTINATIONS`] destinations are remembered;
    /// past that, all are forgotten at once (sessions are a cache).
    pub fn client_config_for(
        &self,
        host: &str,
        port: u16,
        servername: Option<&str>,
        alpn: &[Vec<u8>],
    ) -> Arc<ClientConfig> {
        let mut key = format!("{host}\0{port}\0{}", servername.unwrap_or("\0"));
        for p in alpn {
            key.push('\0');
            key.push_str(&String::from_utf8_lossy(p));
        }
        let Ok(mut map) = self.inner.destinations.lock() else {
            return self.inner.client.clone();
        };
        if let Some(config) = map.get(&key) {
            return config.clone();
        }
        if map.len() >= DESTINATIONS {
            map.clear();
        }
        let mut config = (*self.inner.client).clone();
        config.resumption =
            rustls::client::Resumption::store(Arc::new(sessions::CountingStore::new(8)));
        config.alpn_protocols = alpn.to_vec();
        let config = Arc::new(config);
        map.insert(key, config.clone());
        config
    }

    /// The rustls server config of this context for a given client-auth mode (built on
    /// first use; `Err` only if the system's random generator fails for ticket keys).
    pub fn server_config(&self, auth: ClientAuth) -> Result<Arc<ServerConfig>, ContextError> {
        let slot = match auth {
            ClientAuth::None => 0,
            ClientAuth::Request => 1,
            ClientAuth::Require => 2,
        };
        match self.inner.servers.get_or_init(|| {
            let ticketer = self.ticketer_made()?;
            self.inner.parts.server_configs(ticketer)
        }) {
            Ok(configs) => Ok(configs[slot].clone()),
            Err(reason) => Err(ContextError::new("ticketKeys", reason.clone())),
        }
    }

    fn ticketer_made(&self) -> Result<Option<Arc<tickets::Ticketer>>, String> {
        self.inner
            .ticketer
            .get_or_init(|| self.inner.parts.ticketer())
            .clone()
    }

    fn ticketer(&self) -> Result<Option<Arc<tickets::Ticketer>>, ContextError> {
        self.ticketer_made()
            .map_err(|reason| ContextError::new("ticketKeys", reason))
    }

    /// `server.getTicketKeys()`: the 48 bytes that seal this context's session tickets
    /// (given as `ticketKeys`, or random); `None` when tickets are off
    /// (`SSL_OP_NO_TICKET`).
    pub fn ticket_keys(&self) -> Option<[u8; 48]> {
        self.ticketer().ok().flatten().map(|t| t.material())
    }

    /// `server.setTicketKeys(keys)`: from now on tickets are sealed and opened with
    /// these 48 bytes, on every server of this context; tickets issued under the old
    /// ones no longer resume (a full handshake follows). Errors: not 48 bytes, or
    /// tickets are off.
    pub fn set_ticket_keys(&self, keys: &[u8]) -> Result<(), ContextError> {
        let material: [u8; 48] = keys.try_into().map_err(|_| {
            ContextError::new("ticketKeys", "Session ticket keys must be a 48-byte buffer")
                .with_code("ERR_INVALID_ARG_VALUE")
        })?;
        let Some(ticketer) = self.ticketer()? else {
            return Err(ContextError::new(
                "ticketKeys",
                "session tickets are off for this context (SSL_OP_NO_TICKET)",
            ));
        };
        ticketer
            .set_material(material)
            .ok_or_else(|| ContextError::new("ticketKeys", "cannot derive session ticket keys"))
    }

    /// Judges a peer's certificate chain (leaf first) against this context's `ca` (or the
    /// default roots), `pfx` CA certificates and `crl`: `Err` is what Node puts in
    /// `authorizationError`.
    pub fn verify_peer(
        &self,
        chain: &[CertificateDer<'_>],
        now: UnixTime,
        purpose: Purpose,
    ) -> Result<(), VerifyCode> {
        self.inner.trust.verify(chain, now, purpose)
    }

    /// A peer's chain as Node's `getPeerCertificate(true)` shows it: what the peer
    /// sent, then the issuers found among this context's trusted certificates, up to a
    /// root.
    pub fn complete_chain(&self, chain: &[CertificateDer<'_>]) -> Vec<CertificateDer<'static>> {
        self.inner.trust.complete_chain(chain)
    }

    /// Whether a server with this context issues session tickets (the default; not
    /// with `SSL_OP_NO_TICKET`): else sessions resume by id (TLS 1.2) or by stateful
    /// ticket (TLS 1.3), both through the session store.
    pub fn issues_tickets(&self) -> bool {
        self.inner.parts.tickets.is_some()
    }

    /// Whether this context holds a certificate and key of its own.
    pub fn has_credentials(&self) -> bool {
        !self.inner.credentials.keys.is_empty()
    }

    /// The TLS 1.3 cipher suites enabled, by IANA number (none when TLS 1.3 is off):
    /// what tells a server whether a ClientHello will negotiate TLS 1.3.
    pub fn tls13_suite_ids(&self) -> Vec<u16> {
        let tls13 = &rustls::version::TLS13;
        if !self.inner.parts.versions.contains(&tls13) {
            return Vec::new();
        }
        self.inner
            .client
            .crypto_provider()
            .cipher_suites
            .iter()
            .filter(|s| s.version() == tls13)
            .map(|s| u16::from(s.suite()))
            .collect()
    }

    /// The key exchange groups enabled (`ecdhCurve`), by IANA number.
    pub fn kx_group_ids(&self) -> Vec<u16> {
        self.inner
            .client
            .crypto_provider()
            .kx_groups
            .iter()
            .map(|g| u16::from(g.name()))
            .collect()
    }

    /// The cipher suites offered, most preferred first, by OpenSSL name (only those of
    /// the enabled protocol versions).
    pub fn cipher_names(&self) -> Vec<&'static str> {
        self.inner
            .client
            .crypto_provider()
            .cipher_suites
            .iter()
            .filter(|s| self.inner.parts.versions.contains(&s.version()))
            .filter_map(|s| ciphers::openssl_name(s.suite()))
            .collect()
    }
}

/// Picks a server's certificate per ClientHello, as OpenSSL does with several: the
/// first whose key can sign with a scheme the client offers and that a TLS 1.2 suite
/// both sides enable can authenticate (RSA for `ECDHE-RSA-*`, ECDSA/EdDSA for
/// `ECDHE-ECDSA-*`). Any such key also serves TLS 1.3 (the ClientHello does not say
/// which version will win, so the TLS 1.2 fit decides first).
#[derive(Debug)]
struct ServerCertResolver {
    credentials: Arc<Credentials>,
    suites: Vec<rustls::SupportedCipherSuite>,
}

impl ResolvesServerCert for ServerCertResolver {
    fn resolve(&self, hello: rustls::server::ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let offered = hello.cipher_suites();
        let signable = || {
            self.credentials
                .keys
                .iter()
                .filter(|ck| ck.key.choose_scheme(hello.signature_schemes()).is_some())
        };
        let fits_tls12 = |ck: &&Arc<CertifiedKey>| {
            self.suites.iter().any(|s| {
                matches!(s, rustls::SupportedCipherSuite::Tls12(_))
                    && offered.contains(&s.suite())
                    && s.usable_for_signature_algorithm(ck.key.algorithm())
            })
        };
        signable()
            .find(fits_tls12)
            .or_else(|| signable().next())
            .cloned()
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
