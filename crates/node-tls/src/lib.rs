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
//! let addr = server.listen("127.0.0.1", 8000)?;
//! println!("server bound {addr}");
//! ev.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Differences from Node, each for a Rust reason: handlers are typed methods
//! (`on_data`) instead of string event names; `listen` binds synchronously and returns
//! bind errors; handles are ids, so a closed socket's methods are no-ops.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod encoding;
mod error;
mod event_loop;
mod events;
mod ocsp;
mod resolve;
mod server;
mod sessions;
mod sni;
mod socket;
mod stream;

pub use context::describe::chain_to_json;
pub use context::{
    create_secure_context, PeerCertificate, SecureContext, SecureContextOptions, VerifyCode,
};
pub use encoding::Encoding;
pub use error::Error;
pub use event_loop::{EventLoop, LoopStats, Remote};
pub use events::EventName;
pub use ocsp::OcspReply;
pub use resolve::Lookup;
pub use server::{Server, ServerAddress};
pub use sessions::{ResumeReply, SessionDone};
pub use sni::SniReply;
pub use socket::{TlsSocket, HIGH_WATER_MARK};
/// The sans-IO engine under the loop: [`Error::tls`] returns its `tls_core::Error`.
pub use tls_core;
pub use tls_core::{Cipher, Destination};

use mio::{Interest, Token};
use server::ServerState;
use socket::SocketState;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use stream::Stream;

/// Adds Node's credential and trust options (`key`, `cert`, `ca`, `passphrase`) as
/// builder methods that fill the embedded [`SecureContextOptions`].
macro_rules! context_setters {
    () => {
        /// `key`: a PEM private key (repeat for several).
        pub fn key(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.context = self.context.key(pem);
            self
        }

        /// `cert`: a PEM certificate or chain (repeat for several).
        pub fn cert(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.context = self.context.cert(pem);
            self
        }

        /// `ca`: PEM certificates to trust instead of the default roots.
        pub fn ca(mut self, pem: impl Into<Vec<u8>>) -> Self {
            self.context = self.context.ca(pem);
            self
        }

        /// `passphrase`: for encrypted keys.
        pub fn passphrase(mut self, passphrase: impl Into<String>) -> Self {
            self.context = self.context.passphrase(passphrase);
            self
        }

        /// Every `createSecureContext` option at once.
        pub fn context_options(mut self, options: SecureContextOptions) -> Self {
            self.context = options;
            self
        }

        /// `secureContext`: a context made earlier (shared, so sessions resume across
        /// users of it); the other context options are then ignored.
        pub fn secure_context(mut self, context: SecureContext) -> Self {
            self.secure_context = Some(context);
            self
        }
    };
}

/// The options of `tls.createServer(options)`.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    context: SecureContextOptions,
    secure_context: Option<SecureContext>,
    tls: tls_core::ServerOptions,
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
        }
    }

    context_setters!();

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

    /// `handshakeTimeout`: abort handshakes that take longer (a `'clientError'`).
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.tls.handshake_timeout = timeout;
        self
    }
}

/// `tls.createServer(options)`: a server on `ev`, not yet listening.
pub fn create_server(ev: &EventLoop, options: ServerOptions) -> Result<Server, Error> {
    let context = match options.secure_context {
        Some(ctx) => ctx,
        None => create_secure_context(&options.context)?,
    };
    let shared = ev.weak();
    let rc = shared.upgrade().expect("the loop is alive while borrowed");
    let mut state = rc.state.borrow_mut();
    let id = state.next_id();
    state.servers.insert(
        id,
        ServerState {
            listener: None,
            address: None,
            context,
            options: options.tls,
            handlers: Default::default(),
            connections: 0,
            max_connections: None,
            closing: false,
            unref: false,
            contexts: Vec::new(),
            sni_callback: None,
            ocsp_handler: None,
            new_session_handler: None,
            resume_handler: None,
        },
    );
    Ok(Server::from_parts(shared, id))
}

/// The options of `tls.connect(options)`.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    context: SecureContextOptions,
    secure_context: Option<SecureContext>,
    host: String,
    port: u16,
    path: Option<PathBuf>,
    servername: Option<Option<String>>,
    reject_unauthorized: Option<bool>,
    session_of: Option<Destination>,
    lookup: Option<resolve::LookupFn>,
    alpn: Vec<Vec<u8>>,
    request_ocsp: bool,
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
        }
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

    /// `session`: offer the session of an earlier connection (made with the same
    /// `secure_context`) to this server, as Node's `session: sock.getSession()`.
    /// Without it a connection resumes only sessions of its own host, port and
    /// servername.
    pub fn session_from(mut self, earlier: Option<Destination>) -> Self {
        self.session_of = earlier;
        self
    }

    context_setters!();

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

    /// `servername`: the SNI name. Default: none is sent, as in Node's `tls.connect`
    /// (the certificate is still checked against `host`).
    pub fn servername(mut self, name: Option<String>) -> Self {
        self.servername = Some(name);
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
pub fn connect(ev: &EventLoop, options: ConnectOptions) -> Result<TlsSocket, Error> {
    let context = match options.secure_context {
        Some(ctx) => ctx,
        None => create_secure_context(&options.context)?,
    };
    let mut tls_options = tls_core::ClientOptions::new(options.host.clone());
    tls_options.port = options.port;
    tls_options.session_of = options.session_of.clone();
    tls_options.alpn = options.alpn.clone();
    tls_options.request_ocsp = options.request_ocsp;
    if let Some(name) = options.servername {
        tls_options.servername = name;
    }
    tls_options.reject_unauthorized = options.reject_unauthorized.unwrap_or_else(|| {
        std::env::var("NODE_TLS_REJECT_UNAUTHORIZED").map_or(true, |v| v != "0")
    });
    let tls = tls_core::Connection::client(&context, tls_options, tls_core::Now::system())?;
    let shared = ev.weak();
    let rc = shared.upgrade().expect("the loop is alive while borrowed");
    let mut state = rc.state.borrow_mut();
    let id = state.next_id();
    match &options.path {
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
            state.add_socket(id, SocketState::new(stream, tls, None, None, None, true));
        }
        None => {
            let mut socket = SocketState::new(Stream::Resolving, tls, None, None, None, true);
            match options.host.parse::<std::net::IpAddr>() {
                Ok(ip) => {
                    // An address: no lookup, connect now (errors come as 'error').
                    socket.addrs.push_back(SocketAddr::new(ip, options.port));
                    state.add_socket(id, socket);
                    if let Err(e) = resolve::connect_next(&mut state, id) {
                        state.remove_socket(id);
                        let what = format!("connect {ip}:{}", options.port);
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
                        .resolve(
                            id,
                            options.host.clone(),
                            options.port,
                            options.lookup.map(|l| l.0),
                        );
                }
            }
        }
    }
    Ok(TlsSocket::from_parts(shared, id))
}

/// `tls.getCiphers()`: the names of the supported cipher suites, lowercase, as Node
/// lists them.
pub fn get_ciphers() -> Vec<&'static str> {
    context::get_ciphers()
}
