//! Node.js v0.12's `tls` module in Rust: `tls.createServer`, `tls.connect`,
//! `tls.TLSSocket` and their events, on a mio event loop, with rustls underneath.
//!
//! ```no_run
//! use node_tls::{create_server, EventLoop, ServerOptions};
//! # const KEY: &[u8] = b""; const CERT: &[u8] = b"";
//! let ev = EventLoop::new()?;
//! let server = create_server(&ev, ServerOptions::new().key(KEY).cert(CERT))?;
//! server.on_secure_connection(|sock| {
//!     sock.write(b"welcome!\n");
//!     sock.on_data(|sock, chunk| {
//!         sock.write(chunk);
//!     });
//! });
//! let addr = server.listen(8000, "127.0.0.1")?;
//! println!("server bound {addr}");
//! ev.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Differences from Node, each for a Rust reason: handlers are typed methods
//! (`on_data`) instead of string event names; `listen` binds synchronously and returns
//! bind errors; handles are ids, so a closed socket's methods are no-ops.
//!
//! Start with the [`guide`]: the loop, handles and handlers, back-pressure, threads,
//! errors, and how this relates to tokio-rustls. `examples/` holds the docs' echo
//! server (PEM and PFX), its client, mutual TLS and SNI, each run by a test.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encoding;
mod error;
mod event_loop;
mod events;
pub mod guide;
pub mod net;
mod ocsp;
mod pair;
mod resolve;
mod server;
mod sessions;
mod sni;
mod socket;
mod stream;

/// A DER certificate as Node's certificate object (`getPeerCertificate()`'s; Node's
/// `new X509Certificate(der).toLegacyObject()`).
pub use context::describe;
pub use context::describe::chain_to_json;
pub use context::{
    create_secure_context, ClientAuth, ContextError, PeerCertificate, SecureContext,
    SecureContextOptions, VerifyCode,
};
pub use encoding::Encoding;
pub use error::Error;
pub use event_loop::{EventLoop, LoopStats, Remote};
pub use events::EventName;
pub use ocsp::OcspReply;
pub use pair::{create_secure_pair, CryptoStream, SecurePair};
pub use resolve::Lookup;
pub use server::{Server, ServerAddress};
pub use sessions::{ResumeReply, SessionDone};
pub use sni::SniReply;
pub use socket::{RenegotiateOptions, TlsSocket, HIGH_WATER_MARK};
/// The sans-IO engine under the loop: [`Error::tls`] returns its `tls_core::Error`.
pub use tls_core;
pub use tls_core::{Cipher, Destination};

/// The crate's README (its example compiles as a doctest).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;

use mio::{Interest, Token};
use server::ServerState;
use socket::SocketState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use stream::Stream;

/// Builder methods that pass Node's `createSecureContext` options through to the
/// embedded [`SecureContextOptions`], each under its own name.
macro_rules! context_options {
    ($( $(#[$doc:meta])* $name:ident($($arg:ident: $ty:ty),*); )*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $($arg: $ty),*) -> Self {
                self.context = self.context.$name($($arg),*);
                self
            }
        )*
    };
}

/// The `createSecureContext` options both `tls.createServer` and `tls.connect` take,
/// plus `secureContext`, as builder methods: each composes with the others in any order.
macro_rules! common_context_options {
    () => {
        context_options! {
            /// `key`: a PEM private key; repeat for several
            /// ([`SecureContextOptions::key`]).
            key(pem: impl Into<Vec<u8>>);
            /// `key: [{pem, passphrase}]`: a PEM private key with its own passphrase.
            key_with_passphrase(pem: impl Into<Vec<u8>>, passphrase: impl Into<String>);
            /// `cert`: a PEM certificate or chain, leaf first; repeat for several.
            cert(pem: impl Into<Vec<u8>>);
            /// `ca`: PEM certificates to trust instead of the default roots; repeat for
            /// more.
            ca(pem: impl Into<Vec<u8>>);
            /// `pfx`: a DER PKCS#12 file (key, certificate, CA certificates).
            pfx(der: impl Into<Vec<u8>>);
            /// `pfx: [{buf, passphrase}]`: a PKCS#12 file with its own passphrase.
            pfx_with_passphrase(der: impl Into<Vec<u8>>, passphrase: impl Into<String>);
            /// `passphrase`: for encrypted keys and `pfx` entries without their own.
            passphrase(passphrase: impl Into<String>);
            /// `crl`: certificate revocation lists, PEM or DER
            /// ([`SecureContextOptions::crl`] says how strict).
            crl(crl: impl Into<Vec<u8>>);
            /// `ciphers`: an OpenSSL cipher-list string
            /// ([`SecureContextOptions::ciphers`]).
            ciphers(list: impl Into<String>);
            /// `ecdhCurve`: `auto` or a colon list of curves
            /// ([`SecureContextOptions::ecdh_curve`]).
            ecdh_curve(curves: impl Into<String>);
            /// `minVersion`: `TLSv1.2` (default) or `TLSv1.3`
            /// ([`SecureContextOptions::min_version`]).
            min_version(version: impl Into<String>);
            /// `maxVersion`: `TLSv1.3` (default) or `TLSv1.2`.
            max_version(version: impl Into<String>);
            /// `secureProtocol`: an OpenSSL method name
            /// ([`SecureContextOptions::secure_protocol`]).
            secure_protocol(method: impl Into<String>);
            /// `secureOptions`: OpenSSL `SSL_OP_*` bits
            /// ([`SecureContextOptions::secure_options`] lists those honoured).
            secure_options(bits: u64);
        }

        /// Every `createSecureContext` option at once, added to those given before or
        /// after it ([`SecureContextOptions::merge`]: lists append, single values set
        /// here replace earlier ones).
        pub fn context_options(mut self, options: SecureContextOptions) -> Self {
            self.context = self.context.merge(options);
            self
        }

        /// `secureContext`: a context made earlier (shared, so sessions resume across
        /// its users). Node then ignores the other context options; here giving any of
        /// them as well is an error at creation that names them.
        pub fn secure_context(mut self, context: SecureContext) -> Self {
            self.secure_context = Some(context);
            self
        }
    };
}

/// The context of a server or client: `secureContext`, or one made from the options;
/// both at once is an error naming the options that would be ignored, and so is a
/// `key` without a `cert` or the reverse (Node takes either alone and never uses it).
fn make_context(
    secure_context: Option<SecureContext>,
    options: &SecureContextOptions,
) -> Result<SecureContext, Error> {
    let Some(context) = secure_context else {
        let given = options.given();
        let missing = if given.contains(&"key") && !given.contains(&"cert") {
            Some(("cert", "a `key` needs its `cert`"))
        } else if given.contains(&"cert") && !given.contains(&"key") {
            Some(("key", "a `cert` needs its `key`"))
        } else {
            None
        };
        if let Some((option, why)) = missing {
            return Err(ContextError::new(option, why)
                .with_code("ERR_MISSING_OPTION")
                .into());
        }
        return Ok(create_secure_context(options)?);
    };
    let given = options.given();
    if given.is_empty() {
        return Ok(context);
    }
    let names = given
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ContextError::new(
        "secureContext",
        format!("given with {names}, which it would override: set them on the context"),
    )
    .into())
}

/// A server side's context: one with a certificate, unless SNI contexts bring theirs
/// (`sni`: some are given; `None`: this server side cannot have any); else
/// `ERR_MISSING_OPTION` naming `cert`.
fn server_context(
    secure_context: Option<SecureContext>,
    options: &SecureContextOptions,
    sni: Option<bool>,
) -> Result<SecureContext, Error> {
    let context = make_context(secure_context, options)?;
    if !context.has_credentials() && sni != Some(true) {
        let why = match sni {
            Some(_) => {
                "a server needs a certificate: `key` and `cert`, `pfx`, a `secureContext` \
                 holding them, or SNI contexts (`add_context`, `sni_callback`)"
            }
            None => {
                "a server side needs a certificate: `key` and `cert`, `pfx`, or a \
                 `secureContext` holding them"
            }
        };
        return Err(ContextError::new("cert", why)
            .with_code("ERR_MISSING_OPTION")
            .into());
    }
    Ok(context)
}

/// An `SNICallback` given with the options (a closure shared by their clones).
#[derive(Clone)]
struct SniOption(Arc<Mutex<SniOptionFn>>);

type SniOptionFn = Box<dyn FnMut(&str, SniReply) + Send>;

impl std::fmt::Debug for SniOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SNICallback(..)")
    }
}

/// The options of `tls.createServer(options)`.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    context: SecureContextOptions,
    secure_context: Option<SecureContext>,
    tls: tls_core::ServerOptions,
    contexts: Vec<(String, SecureContext)>,
    sni_callback: Option<SniOption>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl ServerOptions {
    /// Node's defaults: no client certificate requested, 120 s handshake timeout.
    pub fn new() -> Self {
        Self {
            context: SecureContextOptions::new(),
            secure_context: None,
            tls: tls_core::ServerOptions::default(),
            contexts: Vec::new(),
            sni_callback: None,
        }
    }

    common_context_options!();

    context_options! {
        /// `honorCipherOrder`: pick the suite by the server's `ciphers` order.
        honor_cipher_order(yes: bool);
        /// `dhparam`: checked, then unused (rustls has no DHE suites).
        dhparam(pem: impl Into<Vec<u8>>);
        /// `sessionTimeout`: seconds the server's tickets stay valid (default 300).
        session_timeout(seconds: u64);
        /// `ticketKeys`: 48 bytes shared by servers that accept each other's tickets.
        ticket_keys(keys: impl Into<Vec<u8>>);
        /// `sessionIdContext`: at most 32 bytes; sessions resume only between contexts
        /// with the same one.
        session_id_context(context: impl Into<String>);
    }

    /// `SNICallback(servername, cb)`: as [`Server::sni_callback`], given with the
    /// options as in Node (so a server whose certificates all come from it is not
    /// refused for having none of its own). A callback set later on the server
    /// replaces this one.
    pub fn sni_callback(mut self, f: impl FnMut(&str, SniReply) + Send + 'static) -> Self {
        self.sni_callback = Some(SniOption(Arc::new(Mutex::new(Box::new(f)))));
        self
    }

    /// `server.addContext(hostname, context)` before the server exists
    /// ([`Server::add_context`]), so a server with only SNI contexts is not refused for
    /// having no certificate of its own.
    pub fn add_context(mut self, hostname: impl Into<String>, context: SecureContext) -> Self {
        self.contexts.push((hostname.into(), context));
        self
    }

    /// `requestCert`: ask clients for a certificate.
    pub fn request_cert(mut self, yes: bool) -> Self {
        self.tls.request_cert = yes;
        self
    }

    /// `rejectUnauthorized`: with `request_cert`, refuse clients that are not authorized.
    pub fn reject_unauthorized(mut self, yes: bool) -> Self {
        self.tls.reject_unauthorized = yes;
        self
    }

    /// `ALPNProtocols` (also Node's `NPNProtocols`: NPN is gone from TLS stacks, the
    /// list is offered as ALPN): in the server's order of preference. Names of 1 to 255
    /// bytes, else an error naming the option.
    pub fn alpn_protocols<I, P>(mut self, list: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.tls.alpn = context::alpn_protocols(list)?;
        Ok(self)
    }

    /// `NPNProtocols`: NPN is gone from TLS stacks (rustls has none), so the list is
    /// offered as ALPN, exactly as [`ServerOptions::alpn_protocols`].
    pub fn npn_protocols<I, P>(self, list: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn_protocols(list)
    }

    /// The context and connection options of a socket that starts TLS on its own
    /// ([`TlsSocket::wrap_server`]): a certificate is needed, SNI contexts cannot be.
    pub(crate) fn for_wrapped_socket(
        self,
    ) -> Result<(SecureContext, tls_core::ServerOptions), Error> {
        if self.sni_callback.is_some() || !self.contexts.is_empty() {
            let option = if self.sni_callback.is_some() {
                "SNICallback"
            } else {
                "addContext"
            };
            let why = "SNI contexts need a tls.Server: give the socket its certificate";
            return Err(ContextError::new(option, why)
                .with_code("ERR_INVALID_ARG_VALUE")
                .into());
        }
        let context = server_context(self.secure_context, &self.context, None)?;
        Ok((context, self.tls))
    }

    /// `handshakeTimeout`: abort handshakes that take longer (a `'clientError'`).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.tls.handshake_timeout = timeout;
        self
    }
}

/// `tls.createServer(options)`: a server on `ev`, not yet listening.
///
/// A server needs a certificate: `key` and `cert`, `pfx`, a `secure_context` that holds
/// them, or SNI contexts (`add_context`, `sni_callback`). Without one this is an error
/// naming the missing option (`ERR_MISSING_OPTION`), where Node creates the server and
/// fails every handshake ("no shared cipher").
///
/// ```
/// use node_tls::{create_server, EventLoop, ServerAddress, ServerOptions};
/// let pem = |name: &str| {
///     std::fs::read(format!("{}/../../fixtures/spec/{name}", env!("CARGO_MANIFEST_DIR")))
/// };
/// let ev = EventLoop::new()?;
/// let options = ServerOptions::new()
///     .key(pem("server-key.pem")?)
///     .cert(pem("server-cert.pem")?)
///     .request_cert(true)
///     .ca(pem("client-cert.pem")?);
/// let server = create_server(&ev, options)?;
/// server.on_secure_connection(|socket| {
///     socket.write(b"welcome!\n");
///     socket.pipe(socket, true);
/// });
/// let bound = server.listen(0, "127.0.0.1")?;
/// assert_eq!(server.address(), Some(ServerAddress::Inet(bound)));
/// server.close();
/// ev.run()?; // returns at once: nothing is left
///
/// // no certificate: refused here, naming the option
/// let err = create_server(&ev, ServerOptions::new()).err().unwrap();
/// assert_eq!(err.code(), "ERR_MISSING_OPTION");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn create_server(ev: &EventLoop, options: ServerOptions) -> Result<Server, Error> {
    let sni = !options.contexts.is_empty() || options.sni_callback.is_some();
    let context = server_context(options.secure_context, &options.context, Some(sni))?;
    let mut pause_after_hello = options.tls.pause_after_hello;
    pause_after_hello |= !options.contexts.is_empty() || options.sni_callback.is_some();
    let sni_callback = options.sni_callback.map(|SniOption(f)| {
        Box::new(move |name: &str, reply: SniReply| {
            (f.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))(name, reply)
        }) as Box<server::SniHandler>
    });
    let tls_options = tls_core::ServerOptions {
        pause_after_hello,
        ..options.tls
    };
    let mut server = ServerState::new(context, tls_options);
    server.contexts = options.contexts;
    server.sni_callback = sni_callback;
    Ok(insert_server(ev, server))
}

/// Puts a server on `ev`.
pub(crate) fn insert_server(ev: &EventLoop, server: ServerState) -> Server {
    let shared = ev.weak();
    let rc = shared.upgrade().expect("the loop is alive while borrowed");
    let mut state = rc.state.borrow_mut();
    let id = state.next_id();
    state.servers.insert(id, server);
    Server::from_parts(shared, id)
}

/// The options of `tls.connect(options)`.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    context: SecureContextOptions,
    secure_context: Option<SecureContext>,
    host: String,
    port: u16,
    path: Option<PathBuf>,
    servername: Option<String>,
    reject_unauthorized: Option<bool>,
    session_of: Option<Destination>,
    lookup: Option<resolve::LookupFn>,
    alpn: Vec<Vec<u8>>,
    request_ocsp: bool,
    check_server_identity: Option<tls_core::IdentityCheck>,
    socket: Option<TlsSocket>,
}

impl ConnectOptions {
    /// Connect to `port` on `localhost` (Node's default host).
    pub fn new(port: u16) -> Self {
        Self {
            context: SecureContextOptions::new(),
            secure_context: None,
            host: "localhost".to_string(),
            port,
            path: None,
            servername: None,
            reject_unauthorized: None,
            session_of: None,
            lookup: None,
            alpn: Vec::new(),
            request_ocsp: false,
            check_server_identity: None,
            socket: None,
        }
    }

    /// `socket`: start TLS over this plain connection of the loop (a [`net`] socket,
    /// after a plaintext exchange such as SMTP's `STARTTLS`) instead of connecting;
    /// `host`/`servername` still name the server for the certificate check. The
    /// socket's handlers are dropped and its handle speaks TLS from then on; what it
    /// read and did not deliver goes to TLS.
    pub fn socket(mut self, socket: &TlsSocket) -> Self {
        self.socket = Some(socket.clone());
        self
    }

    /// `checkServerIdentity(hostname, cert)`: your own host check in place of Node's
    /// ([`check_server_identity`], which it may call), run once the chain is trusted,
    /// with `servername || host` and the certificates the server sent, described as
    /// `getPeerCertificate()` objects, leaf first. An `Err` (make one with
    /// [`Error::custom`]) fails the connection with it, or with `rejectUnauthorized`
    /// false becomes `authorizationError` (its code, or its message when the code is
    /// empty). Unlike Node it also runs on resumed sessions.
    pub fn check_server_identity(
        mut self,
        f: impl Fn(&str, &[PeerCertificate]) -> Result<(), Error> + Send + Sync + 'static,
    ) -> Self {
        let check = move |host: &str, chain: &[tls_core::CertificateDer<'static>]| {
            let described: Vec<PeerCertificate> = chain
                .iter()
                .filter_map(|c| context::describe(c.as_ref()).ok())
                .collect();
            f(host, &described).map_err(Error::into_tls)
        };
        self.check_server_identity = Some(tls_core::IdentityCheck(Arc::new(check)));
        self
    }

    /// `ALPNProtocols` (also Node's `NPNProtocols`, offered as ALPN): in order of
    /// preference. Names of 1 to 255 bytes, else an error naming the option.
    pub fn alpn_protocols<I, P>(mut self, list: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn = context::alpn_protocols(list)?;
        Ok(self)
    }

    /// `NPNProtocols`: offered as ALPN, exactly as [`ConnectOptions::alpn_protocols`]
    /// (NPN is gone from TLS stacks).
    pub fn npn_protocols<I, P>(self, list: I) -> Result<Self, Error>
    where
        I: IntoIterator<Item = P>,
        P: AsRef<[u8]>,
    {
        self.alpn_protocols(list)
    }

    /// `requestOCSP`: raise `'OCSPResponse'` ([`TlsSocket::on_ocsp_response`]) with
    /// what the server staples (default `false`).
    pub fn request_ocsp(mut self, yes: bool) -> Self {
        self.request_ocsp = yes;
        self
    }

    /// `lookup`: resolves the host instead of the system resolver (run on a
    /// resolver thread); the addresses are tried in the order given.
    pub fn lookup(
        mut self,
        f: impl Fn(&str) -> std::io::Result<Vec<std::net::IpAddr>> + Send + Sync + 'static,
    ) -> Self {
        self.lookup = Some(resolve::LookupFn(std::sync::Arc::new(f)));
        self
    }

    /// `session: sock.getSession()`: offer the session those bytes
    /// ([`TlsSocket::get_session`]) name. They resume only in this process and with the
    /// `secure_context` of the connection that made them; bytes from elsewhere (another
    /// process, another context, or not ours at all) give a full handshake and no error.
    pub fn session(mut self, bytes: impl AsRef<[u8]>) -> Self {
        self.session_of = Destination::from_session(bytes.as_ref());
        self
    }

    /// `session`: offer the session of an earlier connection (made with the same
    /// `secure_context`) to this server, as Node's `session: sock.getSession()`.
    /// Without it a connection resumes only sessions of its own host, port and
    /// servername.
    pub fn session_from(mut self, earlier: Option<Destination>) -> Self {
        self.session_of = earlier;
        self
    }

    common_context_options!();

    /// `host`.
    pub fn host(mut self, host: impl Into<String>) -> Self {
        self.host = host.into();
        self
    }

    /// `path`: connect to a Unix-domain socket; `host` still names the server for the
    /// certificate check.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// `servername`: the SNI name, also the name the certificate is checked against.
    /// Default: none is sent, as by Node 20's `tls.connect` (measured: its server sees
    /// `servername` false for `host: 'localhost'`); the certificate is then checked
    /// against `host`. `""` sends none, as in Node.
    pub fn servername(mut self, name: impl Into<String>) -> Self {
        self.servername = Some(name.into());
        self
    }

    /// `rejectUnauthorized` (default `true`, or `false` when the environment has
    /// `NODE_TLS_REJECT_UNAUTHORIZED=0`, as in Node).
    pub fn reject_unauthorized(mut self, yes: bool) -> Self {
        self.reject_unauthorized = Some(yes);
        self
    }
}

/// `tls.connect(options)`: starts connecting; `'secureConnect'` or `'error'` follows.
/// Errors returned here are the synchronous ones (bad options, unknown host).
///
/// ```no_run
/// use node_tls::{connect, ConnectOptions, EventLoop};
/// let ev = EventLoop::new()?;
/// // The default roots (webpki-roots) and the host name are checked, as in Node.
/// let socket = connect(&ev, ConnectOptions::new(443).host("example.com").servername("example.com"))?;
/// socket.on_secure_connect(|socket| {
///     println!("{:?} {:?}", socket.get_protocol(), socket.get_cipher());
///     socket.write(b"GET / HTTP/1.0\r\nHost: example.com\r\n\r\n");
/// });
/// socket.on_data(|_, bytes| print!("{}", String::from_utf8_lossy(bytes)));
/// socket.on_error(|_, err| eprintln!("{} ({})", err, err.code()));
/// ev.run()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn connect(ev: &EventLoop, options: ConnectOptions) -> Result<TlsSocket, Error> {
    let tls = client_connection(&options)?;
    if let Some(socket) = &options.socket {
        // `tls.connect({ socket })`: TLS over a connection the loop already has
        return socket.upgrade(tls);
    }
    open_socket(
        ev,
        &options.host,
        options.port,
        options.path.as_deref(),
        options.lookup.map(|l| l.0),
        tls,
    )
}

/// The client engine `options` describe.
pub(crate) fn client_connection(options: &ConnectOptions) -> Result<tls_core::Connection, Error> {
    let context = make_context(options.secure_context.clone(), &options.context)?;
    let mut tls_options = tls_core::ClientOptions::new(options.host.clone());
    tls_options.port = options.port;
    tls_options.session_of = options.session_of.clone();
    tls_options.alpn = options.alpn.clone();
    tls_options.request_ocsp = options.request_ocsp;
    tls_options.check_server_identity = options.check_server_identity.clone();
    if let Some(name) = &options.servername {
        tls_options.servername = (!name.is_empty()).then(|| name.clone());
    }
    tls_options.reject_unauthorized = options.reject_unauthorized.unwrap_or_else(|| {
        std::env::var("NODE_TLS_REJECT_UNAUTHORIZED").map_or(true, |v| v != "0")
    });
    Ok(tls_core::Connection::client(
        &context,
        tls_options,
        tls_core::Now::system(),
    )?)
}

/// A connected std stream as a plain socket of `ev`.
pub(crate) fn adopt_stream(
    ev: &EventLoop,
    stream: std::net::TcpStream,
) -> Result<TlsSocket, Error> {
    stream
        .set_nonblocking(true)
        .map_err(|e| Error::io(e, "adopt"))?;
    let remote = stream.peer_addr().map_err(|e| Error::io(e, "adopt"))?;
    let local = stream.local_addr().ok();
    let mut stream = Stream::Tcp(mio::net::TcpStream::from_std(stream));
    stream.set_nodelay();
    let shared = ev.weak();
    let rc = shared.upgrade().expect("the loop is alive while borrowed");
    let mut state = rc.state.borrow_mut();
    let id = state.next_id();
    state
        .registry
        .register(&mut stream, Token(id), Interest::READABLE)
        .map_err(|e| Error::io(e, "adopt"))?;
    let plain = tls_core::Connection::plain();
    let mut socket = SocketState::new(stream, plain, None, Some(remote), local, false);
    socket.secure = true;
    state.add_socket(id, socket);
    Ok(TlsSocket::from_parts(shared, id))
}

/// Starts a connection for `tls` (TLS or plain) to `path`, or to `host:port`; a host
/// name is resolved off the loop's thread.
pub(crate) fn open_socket(
    ev: &EventLoop,
    host: &str,
    port: u16,
    path: Option<&std::path::Path>,
    lookup: Option<resolve::Lookup>,
    tls: tls_core::Connection,
) -> Result<TlsSocket, Error> {
    let plain = tls.is_plain();
    let shared = ev.weak();
    let rc = shared.upgrade().expect("the loop is alive while borrowed");
    let mut state = rc.state.borrow_mut();
    let id = state.next_id();
    match path {
        Some(path) => {
            let mut stream = Stream::Unix(
                mio::net::UnixStream::connect(path)
                    .map_err(|e| Error::io(e, format!("connect {}", path.display())))?,
            );
            let interest = Interest::READABLE | Interest::WRITABLE;
            state
                .registry
                .register(&mut stream, Token(id), interest)
                .map_err(|e| Error::io(e, "connect"))?;
            let mut socket = SocketState::new(stream, tls, None, None, None, true);
            socket.secure = plain;
            state.add_socket(id, socket);
        }
        None => {
            let mut socket = SocketState::new(Stream::Resolving, tls, None, None, None, true);
            socket.secure = plain;
            match host.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    // An address: no lookup, connect now (errors come as 'error').
                    socket.addrs.push_back(SocketAddr::new(ip, port));
                    state.add_socket(id, socket);
                    if let Err(e) = resolve::connect_next(&mut state, id) {
                        state.remove_socket(id);
                        let what = format!("connect {ip}:{port}");
                        return Err(Error::io(e, what));
                    }
                }
                Err(_) => {
                    // A name: resolved off the loop's thread; every address is tried
                    // in turn, as Node's `connect`.
                    state.add_socket(id, socket);
                    let waker = rc.waker.clone();
                    state
                        .resolver
                        .get_or_insert_with(|| resolve::Resolver::new(waker))
                        .resolve(id, host.to_string(), port, lookup);
                }
            }
        }
    }
    Ok(TlsSocket::from_parts(shared, id))
}

/// `tls.DEFAULT_CIPHERS`: Node 20's default cipher list, what `ciphers` is when not
/// given (a constant: Node lets a program assign it; give `ciphers` instead).
pub use context::ciphers::DEFAULT_CIPHERS;
/// `tls.rootCertificates`: the default roots (trusted when no `ca` is given) as PEM
/// strings.
pub use context::root_certificates;

/// `tls.DEFAULT_ECDH_CURVE`: `ecdhCurve`'s default, `auto` (X25519, P-256, P-384 here).
pub const DEFAULT_ECDH_CURVE: &str = "auto";
/// `tls.DEFAULT_MIN_VERSION`: `minVersion`'s default.
pub const DEFAULT_MIN_VERSION: &str = "TLSv1.2";
/// `tls.DEFAULT_MAX_VERSION`: `maxVersion`'s default.
pub const DEFAULT_MAX_VERSION: &str = "TLSv1.3";
/// `tls.CLIENT_RENEG_LIMIT`: Node's count of client renegotiations allowed per
/// [`CLIENT_RENEG_WINDOW`]. Kept for code that reads it; here every renegotiation a
/// client asks for is refused (rustls has none: TLS 1.2 gets a `no_renegotiation`
/// warning and then a fatal alert, TLS 1.3 has no renegotiation at all).
pub const CLIENT_RENEG_LIMIT: u32 = 3;
/// `tls.CLIENT_RENEG_WINDOW`: Node's window, in seconds, for [`CLIENT_RENEG_LIMIT`].
pub const CLIENT_RENEG_WINDOW: u64 = 600;

/// `tls.checkServerIdentity(hostname, cert)`: Node's host check, on the fields it reads
/// (`subjectaltname`, `subject.CN`); `Err` is `ERR_TLS_CERT_ALTNAME_INVALID` with
/// Node's message ("Hostname/IP does not match certificate's altnames: ...").
pub fn check_server_identity(hostname: &str, cert: &PeerCertificate) -> Result<(), Error> {
    let cns: Vec<String> = cert
        .subject
        .iter()
        .filter(|(name, _)| name == "CN")
        .flat_map(|(_, values)| values.iter().cloned())
        .collect();
    context::check_server_identity(hostname, cert.subjectaltname.as_deref(), &cns)
        .map_err(|reason| tls_core::Error::AltName(reason).into())
}

/// `tls.getCiphers()`: the names of the supported cipher suites, lowercase, as Node
/// lists them.
pub fn get_ciphers() -> Vec<&'static str> {
    context::get_ciphers()
}
