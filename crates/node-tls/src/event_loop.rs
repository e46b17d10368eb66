//! The event loop: one per thread, like Node's. It owns every socket and server; the
//! handles users hold are ids into it.
//!
//! Each turn: wait for readiness (mio), do all I/O and feed the TLS engines (no user
//! code runs), then dispatch the collected events to handlers with every borrow
//! released, so a handler may call any method (`write` inside `on_data`, ...), then
//! flush what the handlers wrote.

use crate::server::ServerState;
use crate::socket::SocketState;
use crate::{Error, Server, TlsSocket, HIGH_WATER_MARK};
use context::SecureContext;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use std::cell::RefCell;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::io::{self, Read, Write};
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::time::{Duration, Instant};

const WAKE_TOKEN: Token = Token(usize::MAX);
/// Reads per socket per turn before others get theirs (fairness).
const READ_BUDGET: usize = 16;
const READ_CHUNK: usize = 64 * 1024;
/// Sent bytes kept at the front of a socket's output buffer before it is compacted (once they are
/// also at least as many as the unsent bytes behind them).
const COMPACT_AT: usize = 64 * 1024;

/// An event waiting for its handlers.
pub(crate) enum Emit {
    Listening(usize),
    /// A server accepted a connection (server, socket).
    Connection(usize, usize),
    SecureConnection(usize, usize),
    ClientError(usize, usize, Error),
    ServerClose(usize),
    /// A server's `'error'` (accept failed).
    ServerError(usize, Error),
    /// A client's TCP (or Unix) connection is up.
    Connect(usize),
    /// A `renegotiate()` is done (or failed): its callback, oldest first.
    Renegotiated(usize, Option<Error>),
    /// A key-log line of a socket (for its handlers, then its server's).
    KeyLog(usize, Vec<u8>),
    /// The handshake is done and accepted (either side), after
    /// `SecureConnect`/`SecureConnection`, as in Node.
    Secure(usize),
    SecureConnect(usize),
    Data(usize, Vec<u8>),
    End(usize),
    Error(usize, Error),
    Drain(usize),
    Session(usize),
    Timeout(usize),
    /// A server connection read its ClientHello (server, socket, SNI name, the session
    /// id to ask `resumeSession` about; `None` once asked).
    ClientHello(usize, usize, Option<String>, Option<Vec<u8>>),
    /// A server connection stored a session (server, socket, id, data).
    NewSession(usize, usize, Vec<u8>, Vec<u8>),
    /// Its context is chosen and the client asked for a staple: `OCSPRequest`
    /// (server, socket, the context chosen; `None`: the server's own).
    OcspRequest(usize, usize, Option<SecureContext>),
    /// Client: what the server stapled.
    OcspResponse(usize, Option<Vec<u8>>),
    /// The error of a `destroy(err)`, right before its `Close`.
    DestroyError(usize, Error),
    Close(usize, bool),
}

/// What a timer in the loop's heap is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TimerKind {
    /// tls-core's deadline (the server's `handshakeTimeout`).
    Engine,
    /// `setTimeout`'s idle timer.
    Idle,
    /// A server's retry of `accept` after running out of file descriptors.
    Accept,
}

/// A timer: when, which socket, what for. Stale entries (the socket is gone or its
/// deadline moved) are skipped when they come up, so nothing is ever searched.
type Timer = Reverse<(Instant, usize, TimerKind)>;

pub(crate) struct State {
    pub(crate) registry: Registry,
    /// Boxed: a socket's state is kilobytes, and a map keeps its capacity after a storm
    /// of connections has gone (a bucket is then a pointer, not a whole socket).
    pub(crate) sockets: HashMap<usize, Box<SocketState>>,
    pub(crate) servers: HashMap<usize, ServerState>,
    pub(crate) queue: VecDeque<Emit>,
    next_id: usize,
    /// Sockets with output to flush or a close to check.
    dirty: HashSet<usize>,
    /// The other half of `dirty`, kept to reuse its memory (no allocation per turn).
    dirty_spare: HashSet<usize>,
    /// Sockets to read again next turn (read budget ran out, or reading may resume),
    /// each once: `SocketState::queued_again` says it is here.
    again: Vec<usize>,
    again_spare: Vec<usize>,
    read_buf: Vec<u8>,
    wake_handlers: Vec<Box<dyn FnMut()>>,
    /// Every socket's deadlines, soonest first.
    timers: BinaryHeap<Timer>,
    /// Sockets and servers that `unref()` took out of the loop's liveness.
    unrefd: usize,
    /// Host name lookups (threads started on first use).
    pub(crate) resolver: Option<crate::resolve::Resolver>,
    stats: LoopStats,
}

/// What a loop has done so far ([`EventLoop::stats`]): to see that its cost per turn
/// and per event stays flat however many connections it holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LoopStats {
    /// Turns run.
    pub turns: u64,
    /// Readiness events from the OS plus events dispatched to handlers.
    pub events: u64,
    /// Time spent working (I/O, TLS, handlers), not waiting for the OS.
    pub busy: Duration,
}

impl State {
    pub(crate) fn next_id(&mut self) -> usize {
        self.next_id += 1;
        self.next_id
    }

    pub(crate) fn mark_dirty(&mut self, id: usize) {
        self.dirty.insert(id);
    }

    /// A destroy with `err` of a socket whose `'close'` is queued already (its peer's
    /// end was read, say, while a handler still writes): `err` comes right before that
    /// `'close'`, which then says `hadError`; nothing else comes any more.
    pub(crate) fn fail_before_close(&mut self, id: usize, err: Error) {
        let Some(s) = self.sockets.get_mut(&id) else {
            return;
        };
        if s.destroyed {
            return;
        }
        let at = self
            .queue
            .iter()
            .position(|e| matches!(e, Emit::Close(c, _) if *c == id));
        if let Some(at) = at {
            s.silenced = true;
            s.had_error = true;
            self.queue[at] = Emit::Close(id, true);
            self.queue.insert(at, Emit::DestroyError(id, err));
        }
    }

    /// Adds a socket to the loop, with its engine's deadline (if any) on the timer heap,
    /// counted in its server's `connections`. Every socket enters here.
    pub(crate) fn add_socket(&mut self, id: usize, socket: SocketState) {
        if let Some(at) = socket.tls.poll_timeout() {
            self.timers.push(Reverse((at, id, TimerKind::Engine)));
        }
        if let Some(server) = socket.server.and_then(|sid| self.servers.get_mut(&sid)) {
            server.connections += 1;
        }
        self.sockets.insert(id, Box::new(socket));
    }

    /// Removes a socket from the loop (after its `'close'`); a closing server whose
    /// last connection this was emits `'close'`. Every socket leaves here.
    pub(crate) fn remove_socket(&mut self, id: usize) -> Option<SocketState> {
        let socket = *self.sockets.remove(&id)?;
        // give back what a storm of connections grew the map to
        if self.sockets.capacity() > 64 && self.sockets.len() * 4 < self.sockets.capacity() {
            self.sockets.shrink_to(self.sockets.len() * 2);
        }
        if socket.unref {
            self.unrefd = self.unrefd.saturating_sub(1);
        }
        if let Some(sid) = socket.server.filter(|_| socket.counted) {
            crate::server::connection_closed(self, sid);
        }
        Some(socket)
    }

    /// A server's socket leaves `server.connections` (once), at its `'close'`.
    pub(crate) fn uncount(&mut self, id: usize) {
        let Some(socket) = self.sockets.get_mut(&id) else {
            return;
        };
        if let Some(sid) = socket.server.filter(|_| socket.counted) {
            socket.counted = false;
            crate::server::connection_closed(self, sid);
        }
    }

    /// Puts a timer on the heap.
    pub(crate) fn schedule(&mut self, at: Instant, id: usize, kind: TimerKind) {
        self.timers.push(Reverse((at, id, kind)));
    }

    /// `unref()` / `ref()` of a socket or server: counts what keeps the loop alive.
    pub(crate) fn set_unref(&mut self, was: bool, now: bool) {
        match (was, now) {
            (false, true) => self.unrefd += 1,
            (true, false) => self.unrefd = self.unrefd.saturating_sub(1),
            _ => {}
        }
    }

    /// Reads a socket again next turn if it stopped reading and may read now.
    pub(crate) fn rearm_read(&mut self, id: usize) {
        if let Some(s) = self.sockets.get_mut(&id) {
            if s.read_stalled && s.may_read() {
                s.read_stalled = false;
                if !s.queued_again {
                    s.queued_again = true;
                    self.again.push(id);
                }
            }
        }
    }
}

pub(crate) struct Shared {
    poll: RefCell<Poll>,
    /// mio's event buffer, reused every turn.
    events: RefCell<Events>,
    pub(crate) state: RefCell<State>,
    pub(crate) waker: Arc<Waker>,
}

/// Node's event loop for TLS servers and sockets. Not `Send`: one per thread. Other
/// threads reach it through [`EventLoop::remote`].
pub struct EventLoop {
    shared: Rc<Shared>,
}

/// Wakes an [`EventLoop`] from another thread; its [`EventLoop::on_wake`] handlers then
/// run on the loop's thread. Pair it with a channel to pass data.
#[derive(Clone, Debug)]
pub struct Remote {
    waker: Arc<Waker>,
}

impl Remote {
    /// Wakes the loop.
    pub fn wake(&self) -> io::Result<()> {
        self.waker.wake()
    }
}

impl EventLoop {
    /// A new, empty loop.
    pub fn new() -> io::Result<Self> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKE_TOKEN)?);
        Ok(Self {
            shared: Rc::new(Shared {
                poll: RefCell::new(poll),
                events: RefCell::new(Events::with_capacity(256)),
                state: RefCell::new(State {
                    registry,
                    sockets: HashMap::new(),
                    servers: HashMap::new(),
                    queue: VecDeque::new(),
                    next_id: 0,
                    dirty: HashSet::new(),
                    dirty_spare: HashSet::new(),
                    again: Vec::new(),
                    again_spare: Vec::new(),
                    read_buf: vec![0; READ_CHUNK],
                    wake_handlers: Vec::new(),
                    timers: BinaryHeap::new(),
                    unrefd: 0,
                    resolver: None,
                    stats: LoopStats::default(),
                }),
                waker,
            }),
        })
    }

    pub(crate) fn weak(&self) -> Weak<Shared> {
        Rc::downgrade(&self.shared)
    }

    /// Counts of turns, events and busy time so far.
    pub fn stats(&self) -> LoopStats {
        self.shared.state.borrow().stats
    }

    /// A handle other threads can use to wake this loop.
    pub fn remote(&self) -> Remote {
        Remote {
            waker: self.shared.waker.clone(),
        }
    }

    /// Runs `handler` on this thread each time a [`Remote`] wakes the loop.
    pub fn on_wake(&self, handler: impl FnMut() + 'static) {
        self.shared
            .state
            .borrow_mut()
            .wake_handlers
            .push(Box::new(handler));
    }

    /// Runs until nothing is left: no listening server, no open socket (Node exits then).
    pub fn run(&self) -> io::Result<()> {
        while self.is_alive() {
            self.turn(None)?;
        }
        Ok(())
    }

    /// Runs until `done()` is true (checked after each turn) or `timeout` passes;
    /// returns whether `done()` became true. Tests use it instead of sleeping.
    pub fn run_until(&self, mut done: impl FnMut() -> bool, timeout: Duration) -> io::Result<bool> {
        let deadline = Instant::now() + timeout;
        loop {
            if done() {
                return Ok(true);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(false);
            }
            self.turn(Some(deadline - now))?;
        }
    }

    /// Whether a server listens or a socket is open (or events wait); sockets and
    /// servers that were `unref()`ed do not count, as in Node.
    pub fn is_alive(&self) -> bool {
        let state = self.shared.state.borrow();
        state.sockets.len() + state.servers.len() > state.unrefd || !state.queue.is_empty()
    }

    /// One turn: wait for I/O at most `timeout` (or until the next timer), handle it,
    /// dispatch events.
    pub fn turn(&self, timeout: Option<Duration>) -> io::Result<()> {
        let mut events = self.shared.events.borrow_mut();
        let wait = {
            let state = self.shared.state.borrow();
            if !state.queue.is_empty() || !state.again.is_empty() || !state.dirty.is_empty() {
                Some(Duration::ZERO)
            } else {
                let next_timer = state
                    .timers
                    .peek()
                    .map(|Reverse((t, _, _))| t.saturating_duration_since(Instant::now()));
                match (timeout, next_timer) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
        };
        match self.shared.poll.borrow_mut().poll(&mut events, wait) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        let started = Instant::now();
        let mut woken = false;
        {
            let mut state = self.shared.state.borrow_mut();
            let state = &mut *state;
            state.stats.turns += 1;
            state.stats.events += events.iter().count() as u64;
            resolved(state);
            let spare = std::mem::take(&mut state.again_spare);
            let mut again = std::mem::replace(&mut state.again, spare);
            for id in again.drain(..) {
                if let Some(s) = state.sockets.get_mut(&id) {
                    s.queued_again = false;
                }
                io_and_retry(state, id, Ready::READ_AGAIN);
            }
            state.again_spare = again;
            for event in events.iter() {
                let token = event.token();
                if token == WAKE_TOKEN {
                    woken = true;
                } else if state.servers.contains_key(&token.0) {
                    crate::server::accept_all(state, token.0);
                } else {
                    let ready = Ready {
                        readable: event.is_readable() || event.is_read_closed(),
                        writable: event.is_writable(),
                        // EPOLLHUP (a reset, or both directions shut) sets both
                        hup: event.is_read_closed() && event.is_write_closed(),
                    };
                    io_and_retry(state, token.0, ready);
                }
            }
            fire_timers(state, Instant::now());
            flush_dirty(state);
        }
        // No borrow survives into user code (a handler may run the loop itself).
        drop(events);
        if woken {
            self.run_wake_handlers();
        }
        self.dispatch();
        self.shared.state.borrow_mut().stats.busy += started.elapsed();
        Ok(())
    }

    fn run_wake_handlers(&self) {
        let mut handlers = std::mem::take(&mut self.shared.state.borrow_mut().wake_handlers);
        for h in handlers.iter_mut() {
            h();
        }
        let mut state = self.shared.state.borrow_mut();
        let added = std::mem::replace(&mut state.wake_handlers, handlers);
        state.wake_handlers.extend(added);
        flush_dirty(&mut state);
    }

    /// Calls handlers for queued events until none are left; flushes after each.
    fn dispatch(&self) {
        loop {
            let Some(emit) = self.shared.state.borrow_mut().queue.pop_front() else {
                return;
            };
            self.shared.state.borrow_mut().stats.events += 1;
            if self.silenced(&emit) {
                continue;
            }
            let weak = self.weak();
            match emit {
                Emit::Listening(sid) => {
                    let server = Server::from_parts(weak, sid);
                    self.call_server(sid, |h| &mut h.listening, |f| f(&server));
                }
                Emit::Connection(sid, id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_server(sid, |h| &mut h.connection, |f| f(&sock));
                }
                Emit::SecureConnection(sid, id) => {
                    let server_alive = self.shared.state.borrow().servers.contains_key(&sid);
                    if server_alive {
                        let sock = TlsSocket::from_parts(weak, id);
                        self.call_server(sid, |h| &mut h.secure_connection, |f| f(&sock));
                    }
                }
                Emit::ClientError(sid, id, err) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_server(sid, |h| &mut h.client_error, |f| f(&sock, &err));
                }
                Emit::ServerClose(sid) => {
                    let server = Server::from_parts(weak, sid);
                    self.call_server(sid, |h| &mut h.close, |f| f(&server));
                    let mut state = self.shared.state.borrow_mut();
                    if state.servers.remove(&sid).is_some_and(|s| s.unref) {
                        state.set_unref(true, false);
                    }
                }
                Emit::ServerError(sid, err) => {
                    let server = Server::from_parts(weak, sid);
                    self.call_server(sid, |h| &mut h.error, |f| f(&server, &err));
                }
                Emit::Renegotiated(id, err) => {
                    let callback = {
                        let mut state = self.shared.state.borrow_mut();
                        state
                            .sockets
                            .get_mut(&id)
                            .and_then(|s| s.handlers.renegotiated.pop_front())
                    };
                    if let Some(callback) = callback {
                        callback(&TlsSocket::from_parts(weak, id), err.as_ref());
                    }
                }
                Emit::KeyLog(id, line) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.key_log, |f| f(&sock, &line));
                    let server = self
                        .shared
                        .state
                        .borrow()
                        .sockets
                        .get(&id)
                        .and_then(|s| s.server);
                    if let Some(sid) = server {
                        self.call_server(sid, |h| &mut h.key_log, |f| f(&sock, &line));
                    }
                }
                Emit::Connect(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.connect, |f| f(&sock));
                }
                Emit::Secure(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.secure, |f| f(&sock));
                }
                Emit::SecureConnect(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.secure_connect, |f| f(&sock));
                }
                Emit::Data(id, data) => self.deliver(id, data),
                Emit::End(id) => {
                    let deferred = {
                        let mut state = self.shared.state.borrow_mut();
                        match state.sockets.get_mut(&id) {
                            Some(s) if s.paused || !s.unread.is_empty() => {
                                s.end_pending = true;
                                true
                            }
                            _ => false,
                        }
                    };
                    if !deferred {
                        if let Some(s) = self.shared.state.borrow_mut().sockets.get_mut(&id) {
                            s.end_emitted = true;
                        }
                        let sock = TlsSocket::from_parts(weak, id);
                        // A character cut short by the end is U+FFFD (StringDecoder.end).
                        self.emit_text(id, &sock, crate::encoding::Decoder::end);
                        self.call_socket(id, |h| &mut h.end, |f| f(&sock));
                        // allowHalfOpen: false (Node's default): end our side too.
                        sock.end();
                        // (ended before, it may close now: its 'end' was emitted)
                        self.shared.state.borrow_mut().mark_dirty(id);
                    }
                }
                Emit::Session(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.session, |f| f(&sock));
                }
                Emit::ClientHello(sid, id, servername, None) => self.sni(sid, id, servername),
                Emit::ClientHello(sid, id, servername, Some(session_id)) => {
                    self.resume_session(sid, id, servername, session_id)
                }
                Emit::NewSession(sid, id, session_id, data) => {
                    self.new_session(sid, id, &session_id, &data)
                }
                Emit::OcspRequest(sid, id, context) => self.ocsp_request(sid, id, context),
                Emit::OcspResponse(id, staple) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    let staple = staple.as_deref();
                    self.call_socket(id, |h| &mut h.ocsp_response, |f| f(&sock, staple));
                }
                Emit::Timeout(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.timeout, |f| f(&sock));
                }
                Emit::Drain(id) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.drain, |f| f(&sock));
                }
                Emit::Error(id, err) | Emit::DestroyError(id, err) => {
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.error, |f| f(&sock, &err));
                }
                Emit::Close(id, had_error) => {
                    // Node: the server no longer counts it when its 'close' comes
                    self.shared.state.borrow_mut().uncount(id);
                    let sock = TlsSocket::from_parts(weak, id);
                    self.call_socket(id, |h| &mut h.close, |f| f(&sock, had_error));
                    self.shared.state.borrow_mut().remove_socket(id);
                }
            }
            flush_dirty(&mut self.shared.state.borrow_mut());
        }
    }

    /// Whether `emit` is for a socket destroyed since it was queued: Node emits
    /// nothing after `destroy()` but the destroy's own error and `'close'`, and a
    /// `'session'` its TLS layer had already taken (a TLS 1.2 client destroyed in
    /// `'secureConnect'` still gets it, measured).
    fn silenced(&self, emit: &Emit) -> bool {
        let id = match emit {
            Emit::SecureConnection(_, id)
            | Emit::Connect(id)
            | Emit::KeyLog(id, _)
            | Emit::Secure(id)
            | Emit::SecureConnect(id)
            | Emit::Data(id, _)
            | Emit::End(id)
            | Emit::Error(id, _)
            | Emit::Drain(id)
            | Emit::Timeout(id)
            | Emit::OcspResponse(id, _) => *id,
            _ => return false,
        };
        let state = self.shared.state.borrow();
        state.sockets.get(&id).is_some_and(|s| s.silenced)
    }

    /// `'data'` for one socket: `data` goes straight to the handlers when nothing
    /// waits, else after what waited, in pieces of at most [`HIGH_WATER_MARK`] bytes so
    /// a handler that pauses (a pipe whose destination is full) stops the flow at once.
    /// A paused socket, or one without a `data` handler, keeps the data (counted in
    /// `pending`, which bounds reading).
    fn deliver(&self, id: usize, data: Vec<u8>) {
        let weak = self.weak();
        let direct = {
            let mut state = self.shared.state.borrow_mut();
            let Some(s) = state.sockets.get_mut(&id) else {
                return;
            };
            if s.flowing() && s.unread.is_empty() && !data.is_empty() {
                s.pending = s.pending.saturating_sub(data.len());
                Some(data)
            } else {
                s.unread.extend_from_slice(&data);
                None
            }
        };
        let sock = TlsSocket::from_parts(weak, id);
        if let Some(chunk) = direct {
            self.emit_chunk(id, &sock, &chunk);
        } else {
            loop {
                let piece = {
                    let mut state = self.shared.state.borrow_mut();
                    match state.sockets.get_mut(&id) {
                        Some(s) if s.flowing() && !s.unread.is_empty() && !s.silenced => {
                            let n = s.unread.len().min(HIGH_WATER_MARK);
                            let piece: Vec<u8> = s.unread.drain(..n).collect();
                            s.pending = s.pending.saturating_sub(n);
                            piece
                        }
                        _ => break,
                    }
                };
                self.emit_chunk(id, &sock, &piece);
            }
        }
        let mut state = self.shared.state.borrow_mut();
        if let Some(s) = state.sockets.get_mut(&id) {
            if s.end_pending && s.unread.is_empty() && !s.paused {
                s.end_pending = false;
                state.queue.push_back(Emit::End(id));
            }
        }
        state.rearm_read(id);
    }

    /// The SNI decision for connection `id` of server `sid`: no name, the server's
    /// context; an `SNICallback`, its answer (now or later); else the first
    /// `add_context` pattern that matches.
    fn sni(&self, sid: usize, id: usize, servername: Option<String>) {
        let mut state = self.shared.state.borrow_mut();
        let Some(server) = state.servers.get_mut(&sid) else {
            return;
        };
        let Some(name) = servername else {
            crate::ocsp::chosen(&mut state, id, None);
            return;
        };
        if server.sni_callback.is_some() {
            drop(state);
            let reply = crate::SniReply::new(self.weak(), id);
            self.call_decider(sid, |s| &mut s.sni_callback, |f| f(&name, reply));
            return;
        }
        let chosen = crate::sni::find(&server.contexts, &name).cloned();
        crate::ocsp::chosen(&mut state, id, chosen);
    }

    /// Calls the server's one decision handler that `pick` names (taken out while it
    /// runs, so it may use the loop); `false` if the server has none.
    fn call_decider<H: ?Sized>(
        &self,
        sid: usize,
        pick: fn(&mut ServerState) -> &mut Option<Box<H>>,
        call: impl FnOnce(&mut H),
    ) -> bool {
        let handler = self
            .shared
            .state
            .borrow_mut()
            .servers
            .get_mut(&sid)
            .and_then(|s| pick(s).take());
        let Some(mut handler) = handler else {
            return false;
        };
        call(&mut handler);
        if let Some(server) = self.shared.state.borrow_mut().servers.get_mut(&sid) {
            pick(server).get_or_insert(handler);
        }
        true
    }

    /// Node's `resumeSession(sessionId, cb)` for connection `id` of server `sid`, before
    /// the SNI decision (as Node: its ClientHello parser runs first); without a
    /// listener, straight on to SNI.
    fn resume_session(
        &self,
        sid: usize,
        id: usize,
        servername: Option<String>,
        session_id: Vec<u8>,
    ) {
        let reply = crate::ResumeReply::new(
            self.weak(),
            (sid, id),
            session_id.clone(),
            servername.clone(),
        );
        if !self.call_decider(sid, |s| &mut s.resume_handler, |f| f(&session_id, reply)) {
            self.sni(sid, id, servername);
        }
    }

    /// Node's `newSession(sessionId, sessionData, cb)` for connection `id` of server
    /// `sid`; without a listener, done at once.
    fn new_session(&self, sid: usize, id: usize, session_id: &[u8], data: &[u8]) {
        let done = || crate::SessionDone::new(self.weak(), id);
        let called = self.call_decider(
            sid,
            |s| &mut s.new_session_handler,
            |f| f(session_id, data, done()),
        );
        if !called {
            done().done();
        }
    }

    /// Node's `OCSPRequest(certificate, issuer, cb)` for connection `id` of server
    /// `sid`, whose context is chosen: the certificate it would present, and its
    /// issuer if `cert` or `ca` holds it.
    fn ocsp_request(&self, sid: usize, id: usize, context: Option<SecureContext>) {
        let chain = self
            .shared
            .state
            .borrow()
            .sockets
            .get(&id)
            .and_then(|s| s.tls.server_certificate(context.as_ref()));
        // No certificate fits this client (the handshake then fails on its own), or
        // no listener: go on.
        let asked = chain.is_some_and(|chain| {
            let reply = crate::OcspReply::new(self.weak(), id, context.clone());
            let issuer = chain.get(1).map(Vec::as_slice);
            self.call_decider(
                sid,
                |s| &mut s.ocsp_handler,
                |f| f(&chain[0], issuer, reply),
            )
        });
        if !asked {
            let mut state = self.shared.state.borrow_mut();
            crate::sni::decide(&mut state, id, |tls| tls.decide(context.as_ref()));
        }
    }

    /// One chunk to the `data` handlers, and as text to the `text` handlers.
    fn emit_chunk(&self, id: usize, sock: &TlsSocket, chunk: &[u8]) {
        self.call_socket(id, |h| &mut h.data, |f| f(sock, chunk));
        self.emit_text(id, sock, |d| d.write(chunk));
    }

    /// Text for the `text` handlers, from the socket's decoder.
    fn emit_text(
        &self,
        id: usize,
        sock: &TlsSocket,
        decode: impl FnOnce(&mut crate::encoding::Decoder) -> String,
    ) {
        let text = {
            let mut state = self.shared.state.borrow_mut();
            match state.sockets.get_mut(&id) {
                Some(s) if !s.handlers.text.is_empty() => s.decoder.as_mut().map(decode),
                _ => None,
            }
        };
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            self.call_socket(id, |h| &mut h.text, |f| f(sock, &text));
        }
    }

    /// Takes the handlers of one event out of the state (`slot` finds them), calls
    /// them with no borrow held, and puts them back, with any added meanwhile after them.
    /// Calls the handlers in `slot`, then puts them back before any added meanwhile,
    /// unless `replaced` says the whole set was replaced meanwhile (a STARTTLS upgrade
    /// drops the plain socket's handlers, from inside one of them).
    fn call_handlers<H: ?Sized>(
        &self,
        slot: impl Fn(&mut State) -> Option<&mut Vec<Box<H>>>,
        mut call: impl FnMut(&mut Box<H>),
        replaced: impl Fn(&State) -> bool,
    ) {
        let Some(mut taken) = slot(&mut self.shared.state.borrow_mut()).map(std::mem::take) else {
            return;
        };
        for h in taken.iter_mut() {
            call(h);
        }
        let mut state = self.shared.state.borrow_mut();
        if replaced(&state) {
            return;
        }
        if let Some(current) = slot(&mut state) {
            let added = std::mem::replace(current, taken);
            current.extend(added);
        }
    }

    fn call_socket<H: ?Sized>(
        &self,
        id: usize,
        pick: fn(&mut crate::socket::Handlers) -> &mut Vec<Box<H>>,
        call: impl FnMut(&mut Box<H>),
    ) {
        let generation = |state: &State| state.sockets.get(&id).map(|s| s.handlers.generation);
        let before = generation(&self.shared.state.borrow());
        self.call_handlers(
            |state| state.sockets.get_mut(&id).map(|s| pick(&mut s.handlers)),
            call,
            |state| generation(state) != before,
        );
    }

    fn call_server<H: ?Sized>(
        &self,
        sid: usize,
        pick: fn(&mut crate::server::Handlers) -> &mut Vec<Box<H>>,
        call: impl FnMut(&mut Box<H>),
    ) {
        self.call_handlers(
            |state| state.servers.get_mut(&sid).map(|s| pick(&mut s.handlers)),
            call,
            |_| false,
        );
    }
}

impl std::fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.shared.state.borrow();
        f.debug_struct("EventLoop")
            .field("sockets", &state.sockets.len())
            .field("servers", &state.servers.len())
            .finish()
    }
}

/// Runs the timers that are due: an engine deadline (the handshake timeout), an idle
/// `setTimeout` (which fires once per idle period: activity re-arms it).
fn fire_timers(state: &mut State, now: Instant) {
    while let Some(Reverse((at, id, kind))) = state.timers.peek().copied() {
        if at > now {
            return;
        }
        state.timers.pop();
        if kind == TimerKind::Accept {
            crate::server::accept_all(state, id);
            continue;
        }
        let State {
            sockets,
            queue,
            timers,
            dirty,
            ..
        } = state;
        let Some(s) = sockets.get_mut(&id) else {
            continue;
        };
        match kind {
            TimerKind::Engine => {
                if s.tls.poll_timeout().is_some_and(|t| t <= now) {
                    s.tls.handle_timeout(now);
                    s.collect_events(id, queue);
                    dirty.insert(id);
                }
            }
            TimerKind::Idle => {
                s.idle_scheduled = false;
                let Some(idle) = s.idle_timeout else { continue };
                let due = s.last_active + idle;
                if due <= now {
                    if !s.closed {
                        queue.push_back(Emit::Timeout(id));
                    }
                } else {
                    s.idle_scheduled = true;
                    timers.push(Reverse((due, id, TimerKind::Idle)));
                }
            }
            TimerKind::Accept => {}
        }
    }
}

/// Activity on a socket: restarts its idle timer if the timer had fired.
fn touch(s: &mut SocketState, id: usize, timers: &mut BinaryHeap<Timer>, now: Instant) {
    s.last_active = now;
    if let (Some(idle), false) = (s.idle_timeout, s.idle_scheduled) {
        s.idle_scheduled = true;
        timers.push(Reverse((now + idle, id, TimerKind::Idle)));
    }
}

/// Host names resolved since the last turn: connect to their first address.
fn resolved(state: &mut State) {
    let Some(resolver) = &state.resolver else {
        return;
    };
    let done: Vec<_> = resolver.results.try_iter().collect();
    for (id, result) in done {
        let Some(s) = state.sockets.get_mut(&id) else {
            continue; // destroyed while resolving
        };
        if s.destroyed || s.closed {
            continue;
        }
        let host = s.tls.destination().map(|d| d.host).unwrap_or_default();
        let started = match result {
            Ok(addrs) => {
                s.addrs = addrs.into();
                crate::resolve::connect_next(state, id).map_err(|e| (e, "connect".to_string()))
            }
            Err(e) => Err((e, format!("getaddrinfo {host}"))),
        };
        if let Err((e, syscall)) = started {
            let State { sockets, queue, .. } = state;
            if let Some(s) = sockets.get_mut(&id) {
                s.fail_io(id, e, &syscall, queue);
            }
        }
        state.mark_dirty(id);
    }
}

/// What the poller said of one socket.
#[derive(Clone, Copy)]
struct Ready {
    readable: bool,
    writable: bool,
    /// The peer hung up (reset, or shut both ways): as libuv, a short read then is the
    /// end of the stream, not a read that would fail next.
    hup: bool,
}

impl Ready {
    /// A socket whose reading stopped on the budget or back-pressure.
    const READ_AGAIN: Self = Self {
        readable: true,
        writable: false,
        hup: false,
    };
}

/// [`socket_io`], and the next address when connecting to one failed.
fn io_and_retry(state: &mut State, id: usize, ready: Ready) {
    if socket_io(state, id, ready).is_some() {
        if let Err(e) = crate::resolve::connect_next(state, id) {
            let State { sockets, queue, .. } = state;
            if let Some(s) = sockets.get_mut(&id) {
                s.fail_io(id, e, "connect", queue);
            }
        }
        state.mark_dirty(id);
    }
}

/// Reads (and, when connecting, completes the connect) for one socket. Returns the
/// connect error when connecting failed and another address is left to try.
fn socket_io(state: &mut State, id: usize, ready: Ready) -> Option<io::Error> {
    let Ready {
        readable, writable, ..
    } = ready;
    let State {
        sockets,
        queue,
        read_buf,
        again,
        dirty,
        timers,
        ..
    } = state;
    let s = sockets.get_mut(&id)?;
    if s.closed {
        return None;
    }
    if s.connecting {
        if !writable && !readable {
            return None;
        }
        match s.stream.take_error() {
            Ok(Some(e)) | Err(e) => {
                if !s.addrs.is_empty() {
                    return Some(e); // try the next address, as Node does
                }
                s.fail_io(id, e, "connect", queue);
                dirty.insert(id);
                return None;
            }
            Ok(None) => {}
        }
        if !s.stream.is_connected() {
            return None;
        }
        s.connecting = false;
        s.stream.set_nodelay();
        queue.push_back(Emit::Connect(id));
    }
    if readable && !s.read_eof {
        let mut budget = READ_BUDGET;
        loop {
            // Back-pressure: a socket holding a high-water mark of decrypted data its
            // handlers have not had yet (paused, or slow) leaves the rest in the
            // kernel (TCP's window then stops the peer); `rearm_read` resumes.
            if !s.may_read() {
                s.read_stalled = true;
                break;
            }
            if s.pending > 0 && s.flowing() {
                // Let the handlers run first (they may pause): read again next turn.
                s.read_stalled = true;
                break;
            }
            if budget == 0 {
                if !s.queued_again {
                    s.queued_again = true;
                    again.push(id);
                }
                break;
            }
            budget -= 1;
            match s.stream.read(read_buf) {
                Ok(0) => {
                    s.wire_ended(id, queue);
                    break;
                }
                Ok(n) => {
                    s.bytes_read += n as u64;
                    let now = tls_core::Now::system();
                    touch(s, id, timers, now.instant);
                    s.feed_wire(&read_buf[..n], now);
                    // Counts what was decrypted (`pending`) before the next read.
                    s.collect_events(id, queue);
                    if s.tls.is_closed() && !s.tls_failed {
                        break;
                    }
                    if ready.hup && n < read_buf.len() {
                        // libuv (so Node) takes a short read on a hung-up socket as
                        // the end: a peer that wrote, then reset (`SO_LINGER` 0),
                        // gets `'end'`, not the reset.
                        s.wire_ended(id, queue);
                        break;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) if s.tls_failed => {
                    // The TLS error was raised and the socket waits for the peer's end
                    // of stream: a reset ends that wait, as the end would (Node had
                    // destroyed the socket at the first error, so raised nothing more).
                    s.wire_ended(id, queue);
                    break;
                }
                Err(e) => {
                    s.read_eof = true;
                    if s.tls.is_secure() || s.tls.is_closed() {
                        s.fail_io(id, e, "read", queue);
                    } else {
                        // Node: a reset during the handshake is "socket disconnected".
                        s.feed_wire_reset();
                    }
                    break;
                }
            }
        }
        s.collect_events(id, queue);
    }
    dirty.insert(id);
    None
}

/// Sends pending bytes of every dirty socket and closes the finished ones.
pub(crate) fn flush_dirty(state: &mut State) {
    let spare = std::mem::take(&mut state.dirty_spare);
    let mut dirty = std::mem::replace(&mut state.dirty, spare);
    for id in dirty.drain() {
        let State {
            sockets,
            queue,
            registry,
            timers,
            ..
        } = state;
        let Some(s) = sockets.get_mut(&id) else {
            continue;
        };
        if s.closed || (s.connecting && !s.destroyed) {
            continue;
        }
        // A `destroy()` still hands the kernel what was written before it, once (Node's
        // writes reach the socket at once); a socket that failed sends nothing more.
        let sends = !s.destroyed || s.silenced;
        if sends {
            s.transmit();
        }
        let mut failed = None;
        while s.out_pos < s.out.len() && sends {
            match s.stream.write(&s.out[s.out_pos..]) {
                Ok(n) => {
                    s.out_pos += n;
                    s.bytes_written += n as u64;
                    touch(s, id, timers, Instant::now());
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(e);
                    break;
                }
            }
        }
        if s.out_pos == s.out.len() {
            if s.secure && s.handshake_out {
                // the handshake's flights made this buffer's capacity: an idle
                // connection keeps none of it (about 2 KiB each, measured)
                s.out = Vec::new();
                s.handshake_out = false;
            } else {
                s.out.clear();
            }
            s.out_pos = 0;
        } else if s.out_pos >= COMPACT_AT && s.out_pos >= s.out.len() - s.out_pos {
            // Drop what was sent, so a socket that never quite drains stays bounded: once
            // the sent part is at least the unsent part, so each byte moves at most once
            // (compacting a long queue after every partial write moved it over and over).
            s.out.drain(..s.out_pos);
            s.out_pos = 0;
        }
        if s.need_drain && s.out.is_empty() && s.tls.buffered() == 0 && !s.tls.is_closed() {
            s.need_drain = false;
            queue.push_back(Emit::Drain(id));
        }
        if s.out.is_empty() && s.tls.buffered() == 0 {
            s.app_unsent = false;
        }
        if let Some(e) = failed.filter(|_| !s.destroyed) {
            s.out.clear();
            s.out_pos = 0;
            if s.app_unsent && !s.tls.is_closed() {
                s.fail_io(id, e, "write", queue);
            } else if !s.read_eof {
                // Only TLS's own bytes (handshake, tickets, close_notify) failed: as
                // Node, nothing is raised; the next read says how the peer left (the
                // failed write took the reset, so usually an end of stream).
                s.write_shut = true;
                if !s.queued_again {
                    s.queued_again = true;
                    state.again.push(id);
                }
            }
        }
        let want_write = !s.out.is_empty();
        if want_write != s.want_write {
            s.want_write = want_write;
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let _ = registry.reregister(&mut s.stream, Token(id), interest);
        }
        if s.out.is_empty() && s.tls.is_ended() && !s.write_shut && !s.tls.is_closed() {
            s.write_shut = true;
            let _ = s.stream.shutdown_write();
        }
        // the peer's end came and its 'end' is not emitted yet (deferred while paused
        // or data waits): Node closes only after it
        let end_owed =
            s.secure && !s.end_emitted && !s.silenced && (s.read_eof || s.tls.peer_ended());
        let finished = s.destroyed
            // (a failed session waits for its 'end' to be emitted: a write in an 'end'
            // handler still gets Node's EPROTO)
            || (!end_owed && s.tls.is_closed() && s.out.is_empty() && (!s.tls_failed || s.read_eof))
            || (!end_owed && s.write_shut && (s.tls.peer_ended() || s.read_eof));
        if finished {
            s.closed = true;
            if let Some(err) = s.destroy_error.take() {
                queue.push_back(match s.server {
                    // (before its handshake a server's socket is not the user's yet)
                    Some(sid) if !s.secure => Emit::ClientError(sid, id, err),
                    _ => Emit::DestroyError(id, err),
                });
            }
            if !s.destroyed && !s.read_eof {
                s.stream.drain_input(256 * 1024);
            }
            let _ = registry.deregister(&mut s.stream);
            if !s.silenced {
                // destroy() closes at once, as Node: a FIN, or a reset when the peer's
                // bytes are left unread
                let _ = s.stream.shutdown_write();
            }
            queue.push_back(Emit::Close(id, s.had_error));
        }
    }
    state.dirty_spare = dirty;
}
