//! `tls.Server`: the handle, and the state the loop keeps for it.

use crate::event_loop::{Emit, Shared, State};
use crate::socket::{SocketState, TlsSocket};
use crate::stream::{Listener, Stream};
use crate::Error;
use context::SecureContext;
use mio::{Interest, Token};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Weak;
use std::time::Instant;

type SocketHandler = dyn FnMut(&TlsSocket);
type ClientErrorHandler = dyn FnMut(&TlsSocket, &Error);
type ServerHandler = dyn FnMut(&Server);
type ServerErrorHandler = dyn FnMut(&Server, &Error);

/// A server's event handlers, by Node event name.
#[derive(Default)]
pub(crate) struct Handlers {
    pub(crate) connection: Vec<Box<SocketHandler>>,
    pub(crate) secure_connection: Vec<Box<SocketHandler>>,
    pub(crate) client_error: Vec<Box<ClientErrorHandler>>,
    pub(crate) listening: Vec<Box<ServerHandler>>,
    pub(crate) close: Vec<Box<ServerHandler>>,
    pub(crate) error: Vec<Box<ServerErrorHandler>>,
    pub(crate) key_log: Vec<Box<crate::socket::KeyLogHandler>>,
}

/// Where a server listens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ServerAddress {
    /// A TCP address.
    Inet(SocketAddr),
    /// A Unix-domain socket path (Node's `server.listen(path)`).
    Unix(PathBuf),
}

pub(crate) struct ServerState {
    pub(crate) listener: Option<Listener>,
    pub(crate) address: Option<ServerAddress>,
    pub(crate) context: SecureContext,
    pub(crate) options: tls_core::ServerOptions,
    pub(crate) handlers: Handlers,
    pub(crate) connections: usize,
    pub(crate) max_connections: Option<usize>,
    pub(crate) closing: bool,
    /// `accept` is failing (out of file descriptors): its `'error'` was emitted once,
    /// and is again only after an accept succeeded.
    pub(crate) accept_failing: bool,
    /// `unref()`: this server does not keep the loop alive.
    pub(crate) unref: bool,
    /// `addContext(hostname, context)` entries, in order.
    pub(crate) contexts: Vec<(String, SecureContext)>,
    /// `SNICallback`.
    pub(crate) sni_callback: Option<Box<SniHandler>>,
    /// The `'OCSPRequest'` listener.
    pub(crate) ocsp_handler: Option<Box<OcspHandler>>,
    /// The `'newSession'` listener.
    pub(crate) new_session_handler: Option<Box<NewSessionHandler>>,
    /// The `'resumeSession'` listener.
    pub(crate) resume_handler: Option<Box<ResumeHandler>>,
    /// A `net.Server`: its connections are plain ([`crate::net`]).
    pub(crate) plain: bool,
}

impl ServerState {
    /// A TLS server with `context` and `options`, not listening, no handlers.
    pub(crate) fn new(context: SecureContext, options: tls_core::ServerOptions) -> Self {
        Self {
            listener: None,
            address: None,
            context,
            options,
            handlers: Default::default(),
            connections: 0,
            max_connections: None,
            closing: false,
            accept_failing: false,
            unref: false,
            contexts: Vec::new(),
            sni_callback: None,
            ocsp_handler: None,
            new_session_handler: None,
            resume_handler: None,
            plain: false,
        }
    }

    /// A plain `net.Server`.
    pub(crate) fn plain() -> Self {
        let mut server = Self::new(context::empty_context(), tls_core::ServerOptions::default());
        server.plain = true;
        server
    }
}

pub(crate) type SniHandler = dyn FnMut(&str, crate::SniReply);
type OcspHandler = dyn FnMut(&[u8], Option<&[u8]>, crate::OcspReply);
type NewSessionHandler = dyn FnMut(&[u8], &[u8], crate::SessionDone);
type ResumeHandler = dyn FnMut(&[u8], crate::ResumeReply);

/// How long a server whose `accept` failed (out of file descriptors) waits to retry.
const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(50);

/// Accepts every pending connection of server `sid`.
pub(crate) fn accept_all(state: &mut State, sid: usize) {
    loop {
        let Some(server) = state.servers.get(&sid) else {
            return;
        };
        let Some(listener) = &server.listener else {
            return;
        };
        let (mut stream, remote) = match listener.accept() {
            Ok(pair) => pair,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS...: the connection stays in the backlog and
                // epoll (edge-triggered) will not say so again, so retry on a timer.
                // Node emits `'error'` (`accept EMFILE`) and goes on listening; so do
                // we, once per run of failures rather than once per retry.
                let first = !server.accept_failing;
                if let Some(server) = state.servers.get_mut(&sid) {
                    server.accept_failing = true;
                }
                if first {
                    let err = Error::io(e, "accept");
                    state.queue.push_back(Emit::ServerError(sid, err));
                }
                let at = Instant::now() + ACCEPT_BACKOFF;
                state.schedule(at, sid, crate::event_loop::TimerKind::Accept);
                return;
            }
        };
        let Some(server) = state.servers.get_mut(&sid) else {
            return;
        };
        server.accept_failing = false;
        if server
            .max_connections
            .is_some_and(|max| server.connections >= max)
        {
            // Node: connections over maxConnections are closed at once.
            drop(stream);
            continue;
        }
        let plain = server.plain;
        let tls = if plain {
            tls_core::Connection::plain()
        } else {
            match tls_core::Connection::server(
                &server.context,
                server.options.clone(),
                tls_core::Now::system(),
            ) {
                Ok(tls) => tls,
                Err(e) => {
                    state.queue.push_back(Emit::ServerError(sid, e.into()));
                    continue;
                }
            }
        };
        stream.set_nodelay();
        let local = match &stream {
            Stream::Tcp(s) => s.local_addr().ok(),
            Stream::Unix(_) | Stream::Resolving => None,
        };
        let id = state.next_id();
        if state
            .registry
            .register(&mut stream, Token(id), Interest::READABLE)
            .is_err()
        {
            continue;
        }
        let mut socket = SocketState::new(stream, tls, Some(sid), remote, local, false);
        socket.secure = plain;
        state.add_socket(id, socket);
        state.queue.push_back(Emit::Connection(sid, id));
    }
}

/// A connection of server `sid` is gone: emit `'close'` after the last one of a
/// closing server.
pub(crate) fn connection_closed(state: &mut State, sid: usize) {
    if let Some(server) = state.servers.get_mut(&sid) {
        server.connections = server.connections.saturating_sub(1);
        if server.closing && server.connections == 0 {
            state.queue.push_back(Emit::ServerClose(sid));
        }
    }
}

/// `tls.Server`: a cheap handle to a server owned by the loop.
#[derive(Clone)]
pub struct Server {
    ev: Weak<Shared>,
    id: usize,
}

impl Server {
    pub(crate) fn from_parts(ev: Weak<Shared>, id: usize) -> Self {
        Self { ev, id }
    }

    fn with<R>(&self, default: R, f: impl FnOnce(&mut State, usize) -> R) -> R {
        let Some(shared) = self.ev.upgrade() else {
            return default;
        };
        let mut state = shared.state.borrow_mut();
        if !state.servers.contains_key(&self.id) {
            return default;
        }
        f(&mut state, self.id)
    }

    fn handlers(&self, f: impl FnOnce(&mut Handlers)) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.servers.get_mut(&id) {
                f(&mut s.handlers);
            }
        });
        self
    }

    /// `'connection'` (net.Server's): a client connected, before its handshake. The
    /// socket is the one `'secureConnection'` or `'clientError'` gets later; a handler
    /// may `destroy()` it (Node hands over the plain TCP socket here).
    pub fn on_connection(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.connection.push(Box::new(f)))
    }

    /// `'secureConnection'`: a client finished its handshake. `authorized()` says
    /// whether its certificate (with `requestCert`) is trusted.
    pub fn on_secure_connection(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.secure_connection.push(Box::new(f)))
    }

    /// `'clientError'`: a connection failed before its handshake completed. The socket
    /// comes first, as in every handler here (Node passes `(exception, tlsSocket)`).
    pub fn on_client_error(&self, f: impl FnMut(&TlsSocket, &Error) + 'static) -> &Self {
        self.handlers(|h| h.client_error.push(Box::new(f)))
    }

    /// `'listening'`.
    pub fn on_listening(&self, f: impl FnMut(&Server) + 'static) -> &Self {
        self.handlers(|h| h.listening.push(Box::new(f)))
    }

    /// `'error'`: accepting a connection failed (`EMFILE`: out of file descriptors;
    /// the message is Node's, `accept EMFILE`). The server goes on listening and
    /// retries; the error is emitted once per run of failures. `listen`'s own errors
    /// (`EADDRINUSE`) are returned by [`Server::listen`], not emitted.
    pub fn on_error(&self, f: impl FnMut(&Server, &Error) + 'static) -> &Self {
        self.handlers(|h| h.error.push(Box::new(f)))
    }

    /// `'keylog'` (modern Node): each key-log line of every connection accepted from now
    /// on, with its socket (NSS format, see [`TlsSocket::on_keylog`]); Node passes
    /// `(line, tlsSocket)`.
    pub fn on_keylog(&self, f: impl FnMut(&TlsSocket, &[u8]) + 'static) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.servers.get_mut(&id) {
                s.handlers.key_log.push(Box::new(f));
                s.options.key_log = true;
            }
        });
        self
    }

    /// `server.getTicketKeys()`: the 48 bytes sealing this server's session tickets
    /// (`ticketKeys`, or random ones); `None` when tickets are off or the server is gone.
    pub fn get_ticket_keys(&self) -> Option<[u8; 48]> {
        self.with(None, |state, id| state.servers[&id].context.ticket_keys())
    }

    /// `server.setTicketKeys(keys)`: 48 bytes that seal and open tickets from now on
    /// (for every server of this context); tickets issued before no longer resume.
    /// Not 48 bytes: `ERR_INVALID_ARG_VALUE` naming `ticketKeys`.
    pub fn set_ticket_keys(&self, keys: &[u8]) -> Result<(), Error> {
        let context = self.with(None, |state, id| Some(state.servers[&id].context.clone()));
        let context = context.ok_or_else(|| {
            Error::from(context::ContextError::new(
                "ticketKeys",
                "the server is gone",
            ))
        })?;
        Ok(context.set_ticket_keys(keys)?)
    }

    /// `'close'`: after `close()`, once the last connection is gone.
    pub fn on_close(&self, f: impl FnMut(&Server) + 'static) -> &Self {
        self.handlers(|h| h.close.push(Box::new(f)))
    }

    /// `server.listen(port, host)`, in Node's order: binds now (errors such as
    /// `EADDRINUSE` are returned, not emitted), then emits `'listening'` (Node's
    /// `callback`: [`Server::on_listening`]). Port 0 picks a free port; the address
    /// bound is returned, as [`Server::address`] gives it later. `host` is an address
    /// or a name (resolved now, the first address taken); Node's default of every
    /// interface is `"::"` or `"0.0.0.0"`.
    pub fn listen(&self, port: u16, host: &str) -> Result<SocketAddr, Error> {
        self.listen_tcp(port, host, false)
    }

    /// `server.listen({ port, host, reusePort: true })` (modern Node): as
    /// [`Server::listen`], with `SO_REUSEPORT`, so servers on several loops (one per
    /// thread, say, sharing one `secure_context` and so its session cache and ticket
    /// keys) listen on the same port and the kernel spreads the connections between
    /// them. Each must set it; port 0 picks a free port for the first, the others give
    /// the port it got.
    pub fn listen_reuse_port(&self, port: u16, host: &str) -> Result<SocketAddr, Error> {
        self.listen_tcp(port, host, true)
    }

    fn listen_tcp(&self, port: u16, host: &str, reuse_port: bool) -> Result<SocketAddr, Error> {
        let addr = crate::resolve::resolve_one(host, port)
            .map_err(|e| Error::io(e, format!("listen {host}:{port}")))?;
        let what = || format!("listen {}:{}", addr.ip(), addr.port());
        let bind = || -> std::io::Result<mio::net::TcpListener> {
            if !reuse_port {
                return mio::net::TcpListener::bind(addr);
            }
            let socket = socket2::Socket::new(
                socket2::Domain::for_address(addr),
                socket2::Type::STREAM,
                Some(socket2::Protocol::TCP),
            )?;
            socket.set_reuse_address(true)?;
            socket.set_reuse_port(true)?;
            socket.bind(&addr.into())?;
            // Node's default backlog
            socket.listen(511)?;
            socket.set_nonblocking(true)?;
            Ok(mio::net::TcpListener::from_std(socket.into()))
        };
        let listener = bind().map_err(|e| Error::io(e, what()))?;
        let local = listener.local_addr().map_err(|e| Error::io(e, "listen"))?;
        self.install(Listener::Tcp(listener), ServerAddress::Inet(local))?;
        Ok(local)
    }

    /// `server.listen(path)`: a Unix-domain socket.
    pub fn listen_path(&self, path: impl Into<PathBuf>) -> Result<(), Error> {
        let path = path.into();
        let listener = mio::net::UnixListener::bind(&path)
            .map_err(|e| Error::io(e, format!("listen {}", path.display())))?;
        self.install(Listener::Unix(listener), ServerAddress::Unix(path))
    }

    fn install(&self, mut listener: Listener, address: ServerAddress) -> Result<(), Error> {
        self.with(
            Err(Error::io(std::io::ErrorKind::NotConnected.into(), "listen")),
            |state, id| {
                state
                    .registry
                    .register(&mut listener, Token(id), Interest::READABLE)
                    .map_err(|e| Error::io(e, "listen"))?;
                let server = state.servers.get_mut(&id).expect("checked by with");
                server.listener = Some(listener);
                server.address = Some(address);
                state.queue.push_back(Emit::Listening(id));
                Ok(())
            },
        )
    }

    /// `server.address()`: where the server listens, `None` before `listen` and after `close`. Node's
    /// `{ port, family, address }` is the [`ServerAddress::Inet`] socket address
    /// (`port()`, `is_ipv6()`, `ip()`); for a Unix-domain socket Node returns the path,
    /// as [`ServerAddress::Unix`] does.
    pub fn address(&self) -> Option<ServerAddress> {
        self.with(None, |state, id| state.servers[&id].address.clone())
    }

    /// `server.close()`: stop accepting; `'close'` follows once every connection is gone.
    pub fn close(&self) {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            if server.closing {
                return;
            }
            server.closing = true;
            if let Some(mut listener) = server.listener.take() {
                let _ = state.registry.deregister(&mut listener);
                if let Some(ServerAddress::Unix(path)) = &server.address {
                    let _ = std::fs::remove_file(path);
                }
            }
            // As Node's: no address once closed.
            server.address = None;
            if server.connections == 0 {
                state.queue.push_back(Emit::ServerClose(id));
            }
        });
    }

    /// `server.unref()`: a listening server alone does not keep
    /// [`crate::EventLoop::run`] going.
    pub fn unref(&self) -> &Self {
        self.set_ref(false)
    }

    /// `server.ref()`: undoes [`Server::unref`] (`ref` is a Rust keyword).
    pub fn ref_(&self) -> &Self {
        self.set_ref(true)
    }

    fn set_ref(&self, counted: bool) -> &Self {
        self.with((), |state, id| {
            if let Some(server) = state.servers.get_mut(&id) {
                let was = server.unref;
                server.unref = !counted;
                state.set_unref(was, !counted);
            }
        });
        self
    }

    /// `server.addContext(hostname, context)`: clients whose SNI name matches `hostname`
    /// (exact, or a pattern: `*` stands for one label's characters, `*.example.com`)
    /// get `context`'s certificate, and its `ca` judges their certificates. The first
    /// pattern added that matches wins, as in Node.
    pub fn add_context(&self, hostname: &str, context: SecureContext) -> &Self {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            server.contexts.push((hostname.to_string(), context));
            server.options.pause_after_hello = true;
        });
        self
    }

    /// `SNICallback(servername, cb)`: called for each client that sends an SNI name,
    /// after its ClientHello; answer through the [`crate::SniReply`], now or later
    /// (Node's callback is asynchronous too). Replaces the `add_context` matching, as a
    /// Node `SNICallback` does. (In Node it is a `createServer` option; here a method,
    /// since a closure cannot be cloned with the options.)
    pub fn sni_callback(&self, f: impl FnMut(&str, crate::SniReply) + 'static) -> &Self {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            server.sni_callback = Some(Box::new(f));
            server.options.pause_after_hello = true;
        });
        self
    }

    /// `'newSession'`: a session was stored by id, `(sessionId, sessionData, done)`: a
    /// TLS 1.2 session (with tickets off, or for a client that takes none) or a TLS
    /// 1.3 stateful ticket (tickets off: `SSL_OP_NO_TICKET`). `sessionData` is
    /// self-contained bytes (rustls's encoding of the session) that any server of this
    /// library version can resume through `'resumeSession'`, in any process. Until
    /// `done.done()`, the connection sends nothing and raises nothing more, as Node.
    /// Set it before connections arrive; one listener (a second replaces the first).
    pub fn on_new_session(
        &self,
        f: impl FnMut(&[u8], &[u8], crate::SessionDone) + 'static,
    ) -> &Self {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            server.new_session_handler = Some(Box::new(f));
            server.options.new_session_events = true;
        });
        self
    }

    /// `'resumeSession'`: `(sessionId, reply)` for a client offering a session by id
    /// (a TLS 1.2 session id without a ticket, or, with tickets off, a TLS 1.3 PSK
    /// identity; a TLS 1.3 client's random legacy id too, as in Node), before the SNI
    /// decision; answer now or later with [`crate::ResumeReply::session`] (data from
    /// a `'newSession'`), [`crate::ResumeReply::not_found`] or an error. One listener.
    pub fn on_resume_session(&self, f: impl FnMut(&[u8], crate::ResumeReply) + 'static) -> &Self {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            server.resume_handler = Some(Box::new(f));
            server.options.pause_after_hello = true;
        });
        self
    }

    /// `'OCSPRequest'`: raised (after the SNI decision) for each client that asks for
    /// an OCSP staple, with the DER certificate the server will present and its issuer
    /// (`None` unless `cert` or `ca` holds it); answer through the
    /// [`crate::OcspReply`], now or later (the handshake waits). One listener: a
    /// second replaces the first. Unlike Node, a client offering a session to resume
    /// is asked about too (the decision comes before rustls knows whether the session
    /// resumes); a resumed handshake then sends no staple.
    pub fn on_ocsp_request(
        &self,
        f: impl FnMut(&[u8], Option<&[u8]>, crate::OcspReply) + 'static,
    ) -> &Self {
        self.with((), |state, id| {
            let server = state.servers.get_mut(&id).expect("checked by with");
            server.ocsp_handler = Some(Box::new(f));
            server.options.pause_after_hello = true;
        });
        self
    }

    /// `server.connections`: open connections.
    pub fn connections(&self) -> usize {
        self.with(0, |state, id| state.servers[&id].connections)
    }

    /// `server.maxConnections`: refuse connections beyond this many.
    pub fn set_max_connections(&self, max: Option<usize>) {
        self.with((), |state, id| {
            if let Some(s) = state.servers.get_mut(&id) {
                s.max_connections = max;
            }
        });
    }

    /// Every open connection of this server (to end or destroy them on shutdown).
    pub fn sockets(&self) -> Vec<TlsSocket> {
        let ev = self.ev.clone();
        self.with(Vec::new(), |state, id| {
            state
                .sockets
                .iter()
                .filter(|(_, s)| s.server == Some(id) && !s.closed)
                .map(|(sid, _)| TlsSocket::from_parts(ev.clone(), *sid))
                .collect()
        })
    }
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("id", &self.id).finish()
    }
}
