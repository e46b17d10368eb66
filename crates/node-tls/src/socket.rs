//! `tls.TLSSocket`: the handle, and the state the loop keeps for it.

use crate::event_loop::{Emit, Shared, State};
use crate::stream::Stream;
use crate::Error;
use context::PeerCertificate;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::rc::Weak;
use tls_core::Cipher;

type Handler = dyn FnMut(&TlsSocket);
type DataHandler = dyn FnMut(&TlsSocket, &[u8]);
type TextHandler = dyn FnMut(&TlsSocket, &str);
type ErrorHandler = dyn FnMut(&TlsSocket, &Error);
type CloseHandler = dyn FnMut(&TlsSocket, bool);
type OcspResponseHandler = dyn FnMut(&TlsSocket, Option<&[u8]>);
pub(crate) type KeyLogHandler = dyn FnMut(&TlsSocket, &[u8]);
type RenegotiateCallback = dyn FnOnce(&TlsSocket, Option<&Error>);

/// A socket's event handlers, by Node event name.
#[derive(Default)]
pub(crate) struct Handlers {
    pub(crate) connect: Vec<Box<Handler>>,
    pub(crate) secure: Vec<Box<Handler>>,
    pub(crate) secure_connect: Vec<Box<Handler>>,
    pub(crate) data: Vec<Box<DataHandler>>,
    pub(crate) text: Vec<Box<TextHandler>>,
    pub(crate) end: Vec<Box<Handler>>,
    pub(crate) error: Vec<Box<ErrorHandler>>,
    pub(crate) close: Vec<Box<CloseHandler>>,
    pub(crate) drain: Vec<Box<Handler>>,
    pub(crate) session: Vec<Box<Handler>>,
    pub(crate) timeout: Vec<Box<Handler>>,
    pub(crate) ocsp_response: Vec<Box<OcspResponseHandler>>,
    pub(crate) key_log: Vec<Box<KeyLogHandler>>,
    /// `renegotiate()` callbacks, in call order (each answered by one `Renegotiated`).
    pub(crate) renegotiated: VecDeque<Box<RenegotiateCallback>>,
    /// Bumped when the whole set is replaced (a STARTTLS upgrade).
    pub(crate) generation: u64,
}

/// The options of `renegotiate(options, callback)`: `None` keeps the socket's.
#[derive(Clone, Copy, Debug, Default)]
pub struct RenegotiateOptions {
    /// `rejectUnauthorized`.
    pub reject_unauthorized: Option<bool>,
    /// `requestCert`.
    pub request_cert: Option<bool>,
}

/// What the loop knows of one connection.
pub(crate) struct SocketState {
    pub(crate) stream: Stream,
    pub(crate) tls: tls_core::Connection,
    pub(crate) handlers: Handlers,
    /// The server that accepted it, if any.
    pub(crate) server: Option<usize>,
    pub(crate) remote: Option<SocketAddr>,
    pub(crate) local: Option<SocketAddr>,
    pub(crate) connecting: bool,
    /// Encrypted bytes waiting for the socket, from `out_pos` on.
    pub(crate) out: Vec<u8>,
    pub(crate) out_pos: usize,
    /// `out` has not been drained since the handshake: its capacity is the flights'
    /// (released at that drain).
    pub(crate) handshake_out: bool,
    pub(crate) want_write: bool,
    /// `write()` returned `false`: emit `'drain'` once everything is sent.
    pub(crate) need_drain: bool,
    pub(crate) ending: bool,
    pub(crate) write_shut: bool,
    pub(crate) read_eof: bool,
    pub(crate) destroyed: bool,
    /// `destroy()` (or a write Node answers by destroying): as in Node, nothing but
    /// the destroy's own `'error'` and `'close'` is emitted any more, though events
    /// read before it wait in the queue.
    pub(crate) silenced: bool,
    /// The error a destroy raises, emitted right before `'close'`.
    pub(crate) destroy_error: Option<Error>,
    /// `'end'` was emitted: with `allowHalfOpen` false our side is ended too, and a
    /// write is Node's `writeAfterFIN` (`EPIPE`).
    pub(crate) end_emitted: bool,
    /// A server's socket still in `server.connections` (until its `'close'`).
    pub(crate) counted: bool,
    pub(crate) closed: bool,
    pub(crate) had_error: bool,
    pub(crate) secure: bool,
    /// Data that came while no `data` handler was set or the socket was paused.
    pub(crate) unread: Vec<u8>,
    /// `pause()` was called (and not yet `resume()`).
    pub(crate) paused: bool,
    /// `setTimeout(ms)`: idle time before `'timeout'`; `None` is off.
    pub(crate) idle_timeout: Option<std::time::Duration>,
    /// The last read or write on the fd.
    pub(crate) last_active: std::time::Instant,
    /// An idle timer for this socket is on the loop's heap.
    pub(crate) idle_scheduled: bool,
    /// `unref()`: this socket does not keep the loop alive.
    pub(crate) unref: bool,
    /// `setEncoding()`: turns `'data'` into text for `on_text` handlers.
    pub(crate) decoder: Option<crate::encoding::Decoder>,
    /// Decrypted bytes not yet handed to a `data` handler (queued or in `unread`).
    pub(crate) pending: usize,
    /// Reading the fd stopped at the readable mark or a pause, with data perhaps left
    /// in the kernel: the loop reads again once reading is allowed (mio is
    /// edge-triggered, so no new event would come).
    pub(crate) read_stalled: bool,
    /// This socket is on the loop's read-again list (at most once per turn).
    pub(crate) queued_again: bool,
    pub(crate) end_pending: bool,
    pub(crate) bytes_read: u64,
    pub(crate) bytes_written: u64,
    /// Client: addresses still to try if connecting to the current one fails.
    pub(crate) addrs: std::collections::VecDeque<SocketAddr>,
    /// Server: the ClientHello asked for an OCSP staple.
    pub(crate) ocsp_request: bool,
    /// A TLS error after the handshake: raised, and the socket kept until the peer's
    /// end of stream, as Node does.
    pub(crate) tls_failed: bool,
    /// `disableRenegotiation()` was called.
    pub(crate) renegotiation_disabled: bool,
    /// TLS inside TLS: the session this socket's `tls` runs inside (its records are
    /// this one's application data).
    pub(crate) outer: Option<Box<tls_core::Connection>>,
    /// The outer session failed after the inner started: raised as this socket's.
    pub(crate) outer_error: Option<tls_core::Error>,
    /// TLS started over a plain connection (STARTTLS): no `tls.Server` of its own, so
    /// its failures are its own `'error'` and a server side gets `'secure'` only.
    pub(crate) wrapped: bool,
    /// Application data was written and is not all handed to the kernel yet: a write
    /// failure then is the application's error (Node's write callback).
    pub(crate) app_unsent: bool,
}

/// Node's default `writableHighWaterMark` and `readableHighWaterMark`: 16 KiB.
pub const HIGH_WATER_MARK: usize = 16 * 1024;

impl SocketState {
    /// Whether the loop may read more from the fd: less than the readable high-water
    /// mark decrypted and not yet delivered. Paused or not, as Node's stream, which
    /// keeps reading into its buffer up to the mark (so a paused socket still learns
    /// of a reset or a close_notify at once).
    pub(crate) fn may_read(&self) -> bool {
        self.pending < HIGH_WATER_MARK
    }

    /// Whether decrypted data goes to handlers now (else it waits in `unread`).
    pub(crate) fn flowing(&self) -> bool {
        let has_handler = !self.handlers.data.is_empty() || !self.handlers.text.is_empty();
        !self.paused && has_handler
    }

    /// Queued bytes not yet sent: ciphertext not yet written plus plaintext waiting
    /// for the handshake.
    pub(crate) fn buffered(&mut self) -> usize {
        self.transmit();
        self.out.len() - self.out_pos + self.tls.buffered()
    }

    /// Bytes from the wire: to the engine, or through the outer session first.
    pub(crate) fn feed_wire(&mut self, data: &[u8], now: tls_core::Now) {
        match self.outer.as_mut() {
            None => {
                self.tls.set_now(now);
                self.tls.feed(data);
            }
            Some(outer) => {
                outer.set_now(now);
                self.tls.set_now(now);
                outer.feed(data);
                self.pump_outer();
            }
        }
    }

    /// The end of the wire's stream.
    pub(crate) fn feed_wire_eof(&mut self) {
        match self.outer.as_mut() {
            None => self.tls.feed_eof(),
            Some(outer) => {
                outer.feed_eof();
                self.pump_outer();
                self.tls.feed_eof();
            }
        }
    }

    /// A reset of the wire during the handshake.
    pub(crate) fn feed_wire_reset(&mut self) {
        if let Some(outer) = self.outer.as_mut() {
            outer.feed_reset();
        }
        self.tls.feed_reset();
    }

    /// The outer session's output: its plaintext is the inner one's input.
    fn pump_outer(&mut self) {
        let Some(outer) = self.outer.as_mut() else {
            return;
        };
        while let Some(event) = outer.poll_event() {
            match event {
                tls_core::Event::Data(data) => self.tls.feed(&data),
                tls_core::Event::End => self.tls.feed_eof(),
                tls_core::Event::Error(e) => self.outer_error = Some(e),
                _ => {}
            }
        }
    }

    /// What to send, into `out`: the engine's bytes, sealed again by the outer session
    /// for TLS inside TLS (whose close_notify follows the inner one's).
    pub(crate) fn transmit(&mut self) {
        let Some(outer) = self.outer.as_mut() else {
            self.tls.poll_transmit(&mut self.out);
            return;
        };
        let mut inner = Vec::new();
        self.tls.poll_transmit(&mut inner);
        if !inner.is_empty() {
            outer.write(&inner);
        }
        if self.tls.is_ended() && !outer.is_ended() {
            outer.end();
        }
        outer.poll_transmit(&mut self.out);
    }

    pub(crate) fn new(
        stream: Stream,
        tls: tls_core::Connection,
        server: Option<usize>,
        remote: Option<SocketAddr>,
        local: Option<SocketAddr>,
        connecting: bool,
    ) -> Self {
        Self {
            stream,
            tls,
            handlers: Handlers::default(),
            server,
            remote,
            local,
            connecting,
            out: Vec::new(),
            out_pos: 0,
            handshake_out: true,
            want_write: connecting,
            need_drain: false,
            ending: false,
            write_shut: false,
            read_eof: false,
            destroyed: false,
            silenced: false,
            destroy_error: None,
            end_emitted: false,
            counted: server.is_some(),
            closed: false,
            had_error: false,
            secure: false,
            unread: Vec::new(),
            paused: false,
            idle_timeout: None,
            last_active: std::time::Instant::now(),
            idle_scheduled: false,
            unref: false,
            decoder: None,
            pending: 0,
            read_stalled: false,
            queued_again: false,
            end_pending: false,
            bytes_read: 0,
            bytes_written: 0,
            addrs: Default::default(),
            ocsp_request: false,
            app_unsent: false,
            tls_failed: false,
            renegotiation_disabled: false,
            wrapped: false,
            outer: None,
            outer_error: None,
        }
    }

    /// Turns the engine's events into loop events for this socket.
    pub(crate) fn collect_events(&mut self, id: usize, queue: &mut VecDeque<Emit>) {
        if let Some(e) = self.outer_error.take() {
            // the session carrying ours failed: ours is over too
            self.tls_failed = self.secure;
            if self.secure {
                queue.push_back(Emit::Error(id, e.into()));
            } else {
                self.push_error(id, e.into(), queue);
            }
        }
        while let Some(event) = self.tls.poll_event() {
            match event {
                tls_core::Event::Secure => {
                    self.secure = true;
                    match self.server {
                        _ if self.wrapped && self.tls.is_server() => {}
                        Some(sid) if !self.wrapped => {
                            queue.push_back(Emit::SecureConnection(sid, id));
                        }
                        _ => queue.push_back(Emit::SecureConnect(id)),
                    }
                    // Node's own `'secure'` listener emits `'secureConnect'` (or the
                    // server's `'secureConnection'`), so the user's come after it.
                    queue.push_back(Emit::Secure(id));
                }
                tls_core::Event::Data(data) => {
                    self.pending += data.len();
                    queue.push_back(Emit::Data(id, data));
                }
                tls_core::Event::Session => queue.push_back(Emit::Session(id)),
                tls_core::Event::KeyLog(line) => queue.push_back(Emit::KeyLog(id, line)),
                tls_core::Event::End => queue.push_back(Emit::End(id)),
                tls_core::Event::NewSession { id: session, data } => {
                    if let Some(sid) = self.server {
                        queue.push_back(Emit::NewSession(sid, id, session, data));
                    }
                }
                tls_core::Event::OcspResponse(staple) => {
                    queue.push_back(Emit::OcspResponse(id, staple));
                }
                tls_core::Event::ClientHello(hello) => {
                    self.ocsp_request = hello.ocsp_request;
                    if let Some(sid) = self.server {
                        let hello = Emit::ClientHello(sid, id, hello.servername, hello.session_id);
                        queue.push_back(hello);
                    }
                }
                tls_core::Event::Error(e) if self.secure => {
                    // Node after the handshake: `'error'`, but the socket stays until
                    // the peer closes (then `'end'`, and `close` without `hadError`).
                    self.tls_failed = true;
                    queue.push_back(Emit::Error(id, e.into()));
                }
                tls_core::Event::Error(e) => self.push_error(id, e.into(), queue),
                _ => {}
            }
        }
    }

    /// Node's `destroy(err)`: closes now; `err` is emitted right before `'close'`, which
    /// then says `hadError`; nothing else is emitted any more.
    pub(crate) fn destroy_with(&mut self, err: Error) {
        if !self.silenced {
            self.destroy_error = Some(err);
            self.had_error = true;
        }
        self.destroyed = true;
        self.silenced = true;
    }

    /// An error before `secureConnection` goes to the server's `clientError`.
    fn push_error(&mut self, id: usize, err: Error, queue: &mut VecDeque<Emit>) {
        self.had_error = true;
        match self.server {
            Some(sid) if !self.secure && !self.wrapped => {
                queue.push_back(Emit::ClientError(sid, id, err));
            }
            _ => queue.push_back(Emit::Error(id, err)),
        }
    }

    /// The peer's end of stream (or what the loop takes as one): to the engine, and,
    /// on a socket that already raised its TLS error and waited for this, its end.
    pub(crate) fn wire_ended(&mut self, id: usize, queue: &mut VecDeque<Emit>) {
        self.read_eof = true;
        self.feed_wire_eof();
        if self.tls_failed {
            queue.push_back(Emit::End(id));
        }
    }

    pub(crate) fn fail_io(
        &mut self,
        id: usize,
        err: io::Error,
        syscall: &str,
        queue: &mut VecDeque<Emit>,
    ) {
        let what = match self.remote {
            Some(addr) => format!("{syscall} {}:{}", addr.ip(), addr.port()),
            None => syscall.to_string(),
        };
        self.destroyed = true;
        self.push_error(id, Error::io(err, what), queue);
    }
}

/// `tls.TLSSocket`: a cheap handle (clone it freely) to a connection owned by the
/// loop. Dropping it never closes the connection (as in Node); `end()` or `destroy()`
/// does. Once the connection is gone, methods do nothing and getters return defaults.
#[derive(Clone)]
pub struct TlsSocket {
    ev: Weak<Shared>,
    id: usize,
}

impl TlsSocket {
    pub(crate) fn from_parts(ev: Weak<Shared>, id: usize) -> Self {
        Self { ev, id }
    }

    fn with<R>(&self, default: R, f: impl FnOnce(&mut State, usize) -> R) -> R {
        let Some(shared) = self.ev.upgrade() else {
            return default;
        };
        let mut state = shared.state.borrow_mut();
        if !state.sockets.contains_key(&self.id) {
            return default;
        }
        f(&mut state, self.id)
    }

    fn get<R>(&self, default: R, f: impl FnOnce(&SocketState) -> R) -> R {
        self.with(default, |state, id| f(&state.sockets[&id]))
    }

    fn handlers(&self, f: impl FnOnce(&mut Handlers)) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                f(&mut s.handlers);
            }
        });
        self
    }

    /// A number identifying this connection within its loop.
    pub fn id(&self) -> usize {
        self.id
    }

    // ----- events -----

    /// `'connect'` (net.Socket's, client): the TCP (or Unix) connection is up, before
    /// the handshake. Node emits it for a client socket only; so does this loop.
    pub fn on_connect(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.connect.push(Box::new(f)))
    }

    /// `'secure'` (TLSSocket's event, both sides): the handshake is done and accepted.
    /// As in Node 20 (measured), it comes right after `'secureConnect'` (client) or the
    /// server's `'secureConnection'`, whose own listener Node registers first. Node's
    /// client emits it also right before it rejects the server's certificate
    /// (`'secure'`, then `'error'`); ours verifies inside the handshake, so a rejected
    /// session never becomes secure and gets `'error'` only.
    pub fn on_secure(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.secure.push(Box::new(f)))
    }

    /// `'secureConnect'` (client): the handshake is done; check `authorized()`.
    pub fn on_secure_connect(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.secure_connect.push(Box::new(f)))
    }

    /// `'keylog'` (modern Node): each key-log line of this connection, NSS format with
    /// its newline (`CLIENT_RANDOM ...` for TLS 1.2; `CLIENT_HANDSHAKE_TRAFFIC_SECRET`,
    /// `SERVER_HANDSHAKE_TRAFFIC_SECRET`, `CLIENT_TRAFFIC_SECRET_0`,
    /// `SERVER_TRAFFIC_SECRET_0`, `EXPORTER_SECRET` for TLS 1.3), what Wireshark reads.
    /// Set it right after `connect` (before the loop runs) to get every line; on a
    /// server's socket, use [`crate::Server::on_keylog`] to get the handshake's.
    pub fn on_keylog(&self, f: impl FnMut(&TlsSocket, &[u8]) + 'static) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                s.handlers.key_log.push(Box::new(f));
                s.tls.watch_key_log();
            }
        });
        self
    }

    /// `'data'`: decrypted bytes. Data that arrived before any handler was set is
    /// delivered right after this call (Node's paused stream, resumed).
    pub fn on_data(&self, f: impl FnMut(&TlsSocket, &[u8]) + 'static) -> &Self {
        self.with((), |state, id| {
            let Some(s) = state.sockets.get_mut(&id) else {
                return;
            };
            s.handlers.data.push(Box::new(f));
            flush_unread(state, id);
        });
        self
    }

    /// `setEncoding(encoding)`: from now on [`TlsSocket::on_text`] handlers get the
    /// data as text that never splits a character (or a base64 group) across chunks
    /// (`on_data` handlers still get the bytes: Rust keeps both views).
    pub fn set_encoding(&self, encoding: crate::Encoding) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                s.decoder = Some(crate::encoding::Decoder::new(encoding));
            }
        });
        self
    }

    /// `'data'` as text, after [`TlsSocket::set_encoding`] (UTF-8 if it was not
    /// called). What waited is delivered right after this call, as with `on_data`.
    pub fn on_text(&self, f: impl FnMut(&TlsSocket, &str) + 'static) -> &Self {
        self.with((), |state, id| {
            let Some(s) = state.sockets.get_mut(&id) else {
                return;
            };
            if s.decoder.is_none() {
                s.decoder = Some(crate::encoding::Decoder::new(crate::Encoding::Utf8));
            }
            s.handlers.text.push(Box::new(f));
            flush_unread(state, id);
        });
        self
    }

    /// `'end'`: the peer ended its side. Our side ends right after (allowHalfOpen false).
    pub fn on_end(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.end.push(Box::new(f)))
    }

    /// `'error'`: then `'close'` follows.
    pub fn on_error(&self, f: impl FnMut(&TlsSocket, &Error) + 'static) -> &Self {
        self.handlers(|h| h.error.push(Box::new(f)))
    }

    /// `'session'` (client): the server gave a resumable session (a TLS 1.3 ticket or a
    /// TLS 1.2 session). Connections made later with the same `SecureContext` offer it.
    pub fn on_session(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.session.push(Box::new(f)))
    }

    /// `'OCSPResponse'` (client, with [`crate::ConnectOptions::request_ocsp`]): what
    /// the server stapled (`None`: nothing), before `'secureConnect'`; once per full
    /// handshake and per resumed TLS 1.3 one (with `None`), as Node. The bytes are not
    /// checked: judging them is the handler's (it may `destroy()` the socket).
    pub fn on_ocsp_response(&self, f: impl FnMut(&TlsSocket, Option<&[u8]>) + 'static) -> &Self {
        self.handlers(|h| h.ocsp_response.push(Box::new(f)))
    }

    /// `'timeout'`: the socket was idle (no read, no write) for the time given to
    /// [`TlsSocket::set_timeout`]. The socket stays open (call `end()` or `destroy()`).
    pub fn on_timeout(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.timeout.push(Box::new(f)))
    }

    /// `'drain'`: after `write()` returned `false`, everything queued has been sent.
    pub fn on_drain(&self, f: impl FnMut(&TlsSocket) + 'static) -> &Self {
        self.handlers(|h| h.drain.push(Box::new(f)))
    }

    /// `'close'`, with `hadError`.
    pub fn on_close(&self, f: impl FnMut(&TlsSocket, bool) + 'static) -> &Self {
        self.handlers(|h| h.close.push(Box::new(f)))
    }

    // ----- methods -----

    /// `pause()`: no more `'data'` until [`TlsSocket::resume`]; the socket stops
    /// reading its fd once [`HIGH_WATER_MARK`] decrypted bytes wait, so TCP's window
    /// pushes back on the peer. Below the mark it still reads, as Node's stream: a
    /// reset or a TLS error is its `'error'` at once (what waited is then dropped, as
    /// Node), the peer's end its `'end'` after the waiting data, once resumed.
    pub fn pause(&self) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                s.paused = true;
            }
        });
        self
    }

    /// `resume()`: `'data'` flows again, starting with what waited.
    pub fn resume(&self) -> &Self {
        self.with((), |state, id| {
            let Some(s) = state.sockets.get_mut(&id) else {
                return;
            };
            if !s.paused {
                return;
            }
            s.paused = false;
            flush_unread(state, id);
            state.rearm_read(id);
        });
        self
    }

    /// `setTimeout(timeout)`: emit `'timeout'` after `timeout` without activity (reads
    /// or writes), once per idle period; `Duration::ZERO` turns it off, as Node's
    /// `setTimeout(0)`. (Node's optional callback is [`TlsSocket::on_timeout`].)
    pub fn set_timeout(&self, timeout: std::time::Duration) -> &Self {
        self.with((), |state, id| {
            let Some(s) = state.sockets.get_mut(&id) else {
                return;
            };
            if timeout.is_zero() {
                s.idle_timeout = None;
                return;
            }
            let now = std::time::Instant::now();
            s.idle_timeout = Some(timeout);
            s.last_active = now;
            if !s.idle_scheduled {
                s.idle_scheduled = true;
                state.schedule(now + timeout, id, crate::event_loop::TimerKind::Idle);
            }
        });
        self
    }

    /// `setNoDelay(noDelay)`: Nagle's algorithm off (`true`, the default here) or on.
    pub fn set_no_delay(&self, no_delay: bool) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get(&id) {
                s.stream.set_nodelay_to(no_delay);
            }
        });
        self
    }

    /// `setKeepAlive(enable, initialDelay)`: TCP keep-alive probes after
    /// `initial_delay` idle (zero: the system's default delay).
    pub fn set_keep_alive(&self, enable: bool, initial_delay: std::time::Duration) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get(&id) {
                s.stream.set_keepalive(enable, initial_delay);
            }
        });
        self
    }

    /// `unref()`: this socket alone does not keep [`crate::EventLoop::run`] going.
    pub fn unref(&self) -> &Self {
        self.set_ref(false)
    }

    /// `ref()`: undoes [`TlsSocket::unref`] (`ref` is a Rust keyword).
    pub fn ref_(&self) -> &Self {
        self.set_ref(true)
    }

    fn set_ref(&self, counted: bool) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                let was = s.unref;
                s.unref = !counted;
                state.set_unref(was, !counted);
            }
        });
        self
    }

    /// `isPaused()`.
    pub fn is_paused(&self) -> bool {
        self.get(false, |s| s.paused)
    }

    /// `pipe(destination, { end })`: every chunk of `'data'` is written to `dest`;
    /// when `dest.write()` returns `false` this socket pauses until `dest`'s
    /// `'drain'`; on `'end'`, `dest.end()` unless `end` is `false`. `sock.pipe(&sock,
    /// true)` is the docs' echo server.
    pub fn pipe(&self, dest: &TlsSocket, end: bool) -> &Self {
        // An error on `dest` unpipes it, as Node's pipe does.
        let piped = std::rc::Rc::new(std::cell::Cell::new(true));
        let to = dest.clone();
        let on = piped.clone();
        self.on_data(move |src, chunk| {
            if on.get() && !to.write(chunk) {
                src.pause();
            }
        });
        let from = self.clone();
        let on = piped.clone();
        dest.on_drain(move |_| {
            if on.get() {
                from.resume();
            }
        });
        let on = piped.clone();
        dest.on_error(move |_, _| on.set(false));
        if end {
            let to = dest.clone();
            self.on_end(move |_| {
                if piped.get() {
                    to.end();
                }
            });
        }
        self
    }

    /// `write(data)`: queued and encrypted; sent once the handshake is done. Returns
    /// `false`, as Node's streams do, when more than [`HIGH_WATER_MARK`] bytes wait to be
    /// sent (the data is still queued: wait for `'drain'` before writing more), or when
    /// the socket is closed (the data is dropped). After `end()` the data is dropped and
    /// the socket destroyed with `'error'` `ERR_STREAM_WRITE_AFTER_END` (`EPIPE`, "This
    /// socket has been ended by the other party", once the peer's `'end'` came), then
    /// `'close'` with `hadError`, as in Node; after a TLS error, with `EPROTO`.
    pub fn write(&self, data: &[u8]) -> bool {
        self.with(false, |state, id| {
            let s = state.sockets.get_mut(&id).expect("checked by with");
            if s.destroyed {
                return false;
            }
            if s.ending {
                let err = if s.end_emitted {
                    Error::write_after_fin()
                } else {
                    Error::write_after_end()
                };
                if s.closed {
                    state.fail_before_close(id, err);
                } else {
                    s.destroy_with(err);
                    state.mark_dirty(id);
                }
                return false;
            }
            if s.closed {
                return false;
            }
            if s.tls_failed {
                // the TLS session failed after the handshake: Node's write fails too
                s.destroy_with(Error::write_eproto());
                state.mark_dirty(id);
                return false;
            }
            if !s.tls.write(data) {
                return false;
            }
            s.app_unsent |= !data.is_empty();
            let below = s.buffered() < HIGH_WATER_MARK;
            s.need_drain |= !below;
            state.mark_dirty(id);
            below
        })
    }

    /// `writableLength`: bytes queued and not yet handed to the kernel.
    pub fn writable_length(&self) -> usize {
        self.with(0, |state, id| {
            state.sockets.get_mut(&id).map_or(0, |s| s.buffered())
        })
    }

    /// `end()`: close_notify after the queued data, then a TCP FIN.
    pub fn end(&self) {
        self.with((), |state, id| {
            let s = state.sockets.get_mut(&id).expect("checked by with");
            if !s.ending && !s.closed {
                s.ending = true;
                s.tls.end();
                state.mark_dirty(id);
            }
        });
    }

    /// `destroy()`: close now, without close_notify; after it only `'close'` is
    /// emitted (not the `'data'` or `'end'` already read), as in Node. A server's
    /// socket destroyed before its handshake is done (in `'connection'`, say) is the
    /// server's `'clientError'` `ECONNRESET` "socket hang up" first, as Node's.
    pub fn destroy(&self) {
        self.with((), |state, id| {
            let s = state.sockets.get_mut(&id).expect("checked by with");
            if !s.closed {
                if s.server.is_some() && !s.secure && !s.had_error && !s.silenced {
                    s.destroy_error = Some(Error::hang_up());
                }
                s.destroyed = true;
                s.silenced = true;
                state.mark_dirty(id);
            }
        });
    }

    // ----- properties -----

    /// `encrypted`: `true`, except for a plain [`crate::net`] socket not (yet) upgraded.
    pub fn encrypted(&self) -> bool {
        self.get(true, |s| !s.tls.is_plain())
    }

    /// `authorized`: the peer's certificate is trusted (and names the host, client side).
    pub fn authorized(&self) -> bool {
        self.get(false, |s| s.tls.authorized())
    }

    /// `authorizationError`: Node's code for why the peer is not authorized (for an
    /// error of a custom `checkServerIdentity` without a code, its message, as Node's
    /// `err.code || err.message`).
    pub fn authorization_error(&self) -> Option<String> {
        self.get(None, |s| {
            let err = s.tls.authorization_error()?;
            let code = err.code();
            Some(if code.is_empty() {
                err.to_string()
            } else {
                code
            })
        })
    }

    /// The full error behind `authorization_error` (its message, e.g. the altname reason).
    pub fn authorization_error_message(&self) -> Option<String> {
        self.get(None, |s| s.tls.authorization_error().map(|e| e.to_string()))
    }

    /// `getPeerCertificate(detailed)`: the peer's certificate as Node describes it;
    /// with `detailed`, the whole chain (leaf first): what the peer sent, then issuers
    /// from our trusted certificates up to the root, as Node shows it. `None` when the
    /// peer sent none.
    pub fn get_peer_certificate(&self, detailed: bool) -> Option<Vec<PeerCertificate>> {
        let chain = self.get(Vec::new(), |s| match detailed {
            true => s.tls.peer_chain_detailed(),
            false => s.tls.peer_certificates().iter().take(1).cloned().collect(),
        });
        let described: Vec<PeerCertificate> = chain
            .iter()
            .filter_map(|c| context::describe(c.as_ref()).ok())
            .collect();
        (!described.is_empty()).then_some(described)
    }

    /// `getCipher()`.
    pub fn get_cipher(&self) -> Option<Cipher> {
        self.get(None, |s| s.tls.cipher())
    }

    /// `getProtocol()`: `TLSv1.2` or `TLSv1.3`.
    pub fn get_protocol(&self) -> Option<&'static str> {
        self.get(None, |s| s.tls.protocol())
    }

    /// `servername`: the SNI name (sent, on a client; received, on a server).
    pub fn servername(&self) -> Option<String> {
        self.get(None, |s| s.tls.servername().map(str::to_string))
    }

    /// `alpnProtocol`: the negotiated ALPN protocol, if any.
    pub fn alpn_protocol(&self) -> Option<String> {
        self.get(None, |s| {
            s.tls
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned())
        })
    }

    /// Client side: where this connection's sessions resume (pass it to
    /// [`crate::ConnectOptions::session_from`] to offer them to another server).
    pub fn destination(&self) -> Option<crate::Destination> {
        self.get(None, |s| s.tls.destination())
    }

    /// `isSessionReused()`.
    pub fn is_session_reused(&self) -> bool {
        self.get(false, |s| s.tls.session_reused())
    }

    /// `remoteAddress`.
    pub fn remote_address(&self) -> Option<String> {
        self.get(None, |s| s.remote.map(|a| a.ip().to_string()))
    }

    /// `remotePort`.
    pub fn remote_port(&self) -> Option<u16> {
        self.get(None, |s| s.remote.map(|a| a.port()))
    }

    /// `remoteFamily`: `IPv4` or `IPv6`.
    pub fn remote_family(&self) -> Option<&'static str> {
        self.get(None, |s| s.remote.map(|a| family(&a)))
    }

    /// `address()`: the local end, as `(address, family, port)`.
    pub fn address(&self) -> Option<SocketAddr> {
        self.get(None, |s| s.local)
    }

    /// `localAddress`.
    pub fn local_address(&self) -> Option<String> {
        self.get(None, |s| s.local.map(|a| a.ip().to_string()))
    }

    /// `localPort`.
    pub fn local_port(&self) -> Option<u16> {
        self.get(None, |s| s.local.map(|a| a.port()))
    }

    /// `bytesWritten`: encrypted bytes sent, TLS overhead included.
    pub fn bytes_written(&self) -> u64 {
        self.get(0, |s| s.bytes_written)
    }

    /// `bytesRead`: encrypted bytes received.
    pub fn bytes_read(&self) -> u64 {
        self.get(0, |s| s.bytes_read)
    }

    /// Client side, `getSession()`: bytes that `ConnectOptions::session` takes back to
    /// offer this connection's session (its destination's newest) to a server. Opaque,
    /// and good only in this process with the same `secure_context` (rustls 0.23 has no
    /// public encoding of client sessions): elsewhere they give a full handshake, no
    /// error. `None` before the handshake is done, and on a server's socket.
    pub fn get_session(&self) -> Option<Vec<u8>> {
        self.get(None, |s| {
            let secure = s.tls.is_secure() && !s.tls.is_server();
            secure
                .then(|| s.tls.destination())
                .flatten()
                .map(|d| d.to_session())
        })
    }

    /// Client side, `getTLSTicket()`: the ticket a TLS 1.2 server sent in this
    /// handshake. `None` on TLS 1.3 (its tickets arrive encrypted and rustls keeps them
    /// to itself) and when the server sent none.
    pub fn get_tls_ticket(&self) -> Option<Vec<u8>> {
        self.get(None, |s| s.tls.tls12_ticket().map(<[u8]>::to_vec))
    }

    /// Node's `new tls.TLSSocket(socket, { isServer: true, ... })`: starts the server
    /// side of TLS over this plain connection (a [`crate::net`] socket, after a
    /// plaintext `STARTTLS` exchange, say), with `options`' certificate, `requestCert`,
    /// `rejectUnauthorized`, `ALPNProtocols` and `handshakeTimeout`. The socket's
    /// handlers are dropped and its handle speaks TLS from then on (what it read and did
    /// not deliver goes to TLS); `'secure'` ([`TlsSocket::on_secure`]) says the
    /// handshake is done, `'error'` that it failed. SNI contexts (`SNICallback`,
    /// `addContext`) need a `tls.Server`: here they are an error naming the option.
    pub fn wrap_server(&self, options: crate::ServerOptions) -> Result<TlsSocket, Error> {
        let (context, tls_options) = options.for_wrapped_socket()?;
        let tls = tls_core::Connection::server(&context, tls_options, tls_core::Now::system())?;
        self.upgrade(tls)
    }

    /// `tls.connect({ socket, ... })` from a handler: starts the client side of TLS
    /// over this plain connection (after a plaintext `STARTTLS` exchange, say), with
    /// `options` (their `socket`, `port` and `path` are not used; `host` or
    /// `servername` names the server for the certificate check). As
    /// [`crate::ConnectOptions::socket`]: the handlers are dropped, the handle speaks TLS,
    /// `'secureConnect'` follows.
    pub fn start_tls(&self, options: crate::ConnectOptions) -> Result<TlsSocket, Error> {
        let tls = crate::client_connection(&options)?;
        self.upgrade(tls)
    }

    /// Replaces this plain connection's engine by `tls` (STARTTLS), keeping what was
    /// read and not delivered.
    pub(crate) fn upgrade(&self, mut tls: tls_core::Connection) -> Result<TlsSocket, Error> {
        let not_plain = || {
            Error::from(
                context::ContextError::new(
                    "socket",
                    "not a plain connection of this loop that is still open",
                )
                .with_code("ERR_INVALID_ARG_VALUE"),
            )
        };
        self.with(Err(not_plain()), |state, id| {
            let State { sockets, queue, .. } = state;
            let s = sockets.get_mut(&id).expect("checked by with");
            let open = !s.closed && !s.destroyed && !s.ending && !s.read_eof;
            let tls_in_tls = s.outer.is_none() && !s.tls.is_plain() && s.tls.is_secure();
            if !open || !(s.tls.is_plain() || tls_in_tls) {
                return Err(not_plain());
            }
            // What was read and not delivered, and what waits in the queue, is the
            // start of the TLS stream.
            let mut early = std::mem::take(&mut s.unread);
            let mut rest = VecDeque::with_capacity(queue.len());
            for emit in queue.drain(..) {
                match emit {
                    Emit::Data(i, bytes) if i == id => early.extend_from_slice(&bytes),
                    other => rest.push_back(other),
                }
            }
            *queue = rest;
            // the plaintext written before (STARTTLS's "220 go ahead") goes out first
            s.transmit();
            s.pending = 0;
            s.handlers = Handlers {
                generation: s.handlers.generation + 1,
                ..Handlers::default()
            };
            s.decoder = None;
            s.paused = false;
            s.secure = false;
            s.wrapped = true;
            tls.feed(&early);
            let carrier = std::mem::replace(&mut s.tls, tls);
            if tls_in_tls {
                // TLS inside TLS: the socket's session carries the new one
                s.outer = Some(Box::new(carrier));
            }
            s.collect_events(id, queue);
            let deadline = s.tls.poll_timeout();
            if let Some(at) = deadline {
                state.schedule(at, id, crate::event_loop::TimerKind::Engine);
            }
            state.mark_dirty(id);
            Ok(())
        })?;
        Ok(self.clone())
    }

    /// `unshift(chunk)` (a stream method): puts bytes back at the front of what is to
    /// be read, so the next `'data'` (or a STARTTLS upgrade, which starts TLS with
    /// them) gets them first: a handler that read a `STARTTLS` line and found the
    /// peer's ClientHello after it in the same chunk hands those bytes back.
    pub fn unshift(&self, chunk: &[u8]) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                if !s.closed && !chunk.is_empty() {
                    s.unread.splice(0..0, chunk.iter().copied());
                    s.pending += chunk.len();
                    flush_unread(state, id);
                }
            }
        });
        self
    }

    /// `renegotiate(options, callback)`, mapped onto TLS 1.3: a KeyUpdate that asks the
    /// peer for its own too (new traffic keys, the same session and authentication);
    /// `callback(sock, None)` follows once it is queued, and the peer's KeyUpdate comes
    /// before its next data (RFC 8446 4.6.3). Returns `true` then. Node 20 (OpenSSL)
    /// refuses `renegotiate()` on TLS 1.3 instead (`ERR_SSL_WRONG_SSL_VERSION`).
    ///
    /// Returns `false`, sends nothing, and calls `callback` with the error when it
    /// cannot be done: on TLS 1.2 (rustls has no renegotiation; Node renegotiates) and
    /// before the handshake is done (`ERR_TLS_RENEGOTIATE`), after
    /// [`TlsSocket::disable_renegotiation`] (`ERR_TLS_RENEGOTIATION_DISABLED`), or when
    /// `options` would change how the peer is checked (`requestCert`,
    /// `rejectUnauthorized`: a key update keeps the session's authentication;
    /// `ERR_INVALID_ARG_VALUE` naming the option). Nothing is called for a closed socket.
    pub fn renegotiate(
        &self,
        options: RenegotiateOptions,
        callback: impl FnOnce(&TlsSocket, Option<&Error>) + 'static,
    ) -> bool {
        self.with(false, |state, id| {
            let s = state.sockets.get_mut(&id).expect("checked by with");
            if s.closed || s.destroyed {
                return false;
            }
            let (request_cert, reject) = s.tls.peer_checks();
            let changed = [
                ("requestCert", options.request_cert, request_cert),
                ("rejectUnauthorized", options.reject_unauthorized, reject),
            ]
            .into_iter()
            .find(|(_, asked, now)| asked.is_some_and(|a| a != *now));
            let result = if let Some((name, _, _)) = changed {
                let why = "cannot change on renegotiate(): a TLS 1.3 key update keeps the \
                           session's authentication (TLS 1.2 renegotiation is not supported)";
                Err(context::ContextError::new(name, why)
                    .with_code("ERR_INVALID_ARG_VALUE")
                    .into())
            } else if s.renegotiation_disabled {
                Err(Error::renegotiation_disabled())
            } else {
                s.tls.update_keys().map_err(Error::from)
            };
            s.handlers.renegotiated.push_back(Box::new(callback));
            let ok = result.is_ok();
            state.queue.push_back(Emit::Renegotiated(id, result.err()));
            state.mark_dirty(id);
            ok
        })
    }

    /// `disableRenegotiation()` (modern Node): `renegotiate()` fails from now on
    /// (`ERR_TLS_RENEGOTIATION_DISABLED`). A peer's renegotiation is always refused.
    pub fn disable_renegotiation(&self) -> &Self {
        self.with((), |state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                s.renegotiation_disabled = true;
            }
        });
        self
    }

    /// `setMaxSendFragment(size)`: no record sent from now on carries more than `size`
    /// bytes of what is written (smaller records, lower latency for the first byte of
    /// each). `false`, and no change, outside OpenSSL's bounds: 512 to 16384 (the
    /// default), or on a closed socket.
    pub fn set_max_send_fragment(&self, size: usize) -> bool {
        self.with(false, |state, id| {
            let s = state.sockets.get_mut(&id).expect("checked by with");
            !s.closed && s.tls.set_max_send_fragment(size)
        })
    }

    /// Whether the connection is still open (not yet `'close'`d).
    pub fn is_open(&self) -> bool {
        self.get(false, |s| !s.closed)
    }
}

impl std::fmt::Debug for TlsSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsSocket").field("id", &self.id).finish()
    }
}

/// Hands data that waited (paused, or no handler yet) to the handlers when the socket
/// flows again, then a deferred `'end'`.
fn flush_unread(state: &mut State, id: usize) {
    let Some(s) = state.sockets.get_mut(&id) else {
        return;
    };
    if s.paused {
        return;
    }
    if s.flowing() && !s.unread.is_empty() {
        // An empty chunk: the loop delivers what waited first, so data queued
        // meanwhile keeps its order.
        state.queue.push_back(Emit::Data(id, Vec::new()));
    } else if s.unread.is_empty() && std::mem::take(&mut s.end_pending) {
        state.queue.push_back(Emit::End(id));
    }
}

/// Node's family name of an address.
pub(crate) fn family(addr: &SocketAddr) -> &'static str {
    if addr.is_ipv4() {
        "IPv4"
    } else {
        "IPv6"
    }
}
