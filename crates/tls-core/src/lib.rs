//! The sans-IO TLS engine: rustls's state machine with Node's tls semantics.
//!
//! Bytes and time go in, bytes, events and a deadline come out; no sockets, no clock
//! reads, no callbacks. This is the only crate of the workspace that touches rustls
//! connections. Time is the caller's [`Now`], given at creation and by
//! [`Connection::set_now`]: certificate dates, session ages and ticket lifetimes are
//! all judged by it, so a test can run the engine on a virtual clock. Call order,
//! after every input:
//!
//! 1. [`Connection::set_now`], then [`Connection::feed`] / [`Connection::feed_eof`] / [`Connection::write`] /
//!    [`Connection::end`] / [`Connection::handle_timeout`]
//! 2. [`Connection::poll_event`] until `None`
//! 3. [`Connection::poll_transmit`] and send those bytes
//! 4. [`Connection::poll_timeout`] to know when to call `handle_timeout`
//!
//! ```
//! use tls_core::{ClientOptions, Connection, Now};
//! # fn ctx() -> context::SecureContext { context::create_secure_context(&Default::default()).unwrap() }
//! let options = ClientOptions::new("localhost");
//! let mut client = Connection::client(&ctx(), options, Now::system()).unwrap();
//! let mut hello = Vec::new();
//! client.poll_transmit(&mut hello);
//! assert!(!hello.is_empty(), "a ClientHello to send");
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod hello;
mod screen;

pub use error::{Alert, Error, TlsError};
/// A DER certificate (rustls-pki-types'), as `peer_certificates` and an [`IdentityCheck`] see it.
pub use rustls::pki_types::CertificateDer;

use context::{ClientAuth, Purpose, SecureContext};
use rustls::pki_types::{DnsName, ServerName, UnixTime};
use rustls::{AlertDescription, HandshakeKind, ProtocolVersion};
use std::collections::VecDeque;
use std::fmt;
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// The caller's clocks at one moment: the engine reads none of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// For deadlines (`handshakeTimeout`).
    pub instant: Instant,
    /// For certificate dates, session ages and ticket lifetimes.
    pub wall: SystemTime,
}

impl Now {
    /// The system's clocks now (for callers; the engine never calls it).
    pub fn system() -> Self {
        Self {
            instant: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    fn unix(&self) -> UnixTime {
        UnixTime::since_unix_epoch(
            self.wall
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default(),
        )
    }
}

/// A reports scope (see `context::reports`) whose clock reads `wall`.
fn at(wall: UnixTime) -> context::reports::Reports {
    context::reports::Reports {
        now: Some(wall),
        ..Default::default()
    }
}

/// Node's default `handshakeTimeout`: 120 seconds.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(120);

/// Client-side options of `tls.connect` that act on the connection.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// The host connected to: what the certificate must name (Node's `host`).
    pub host: String,
    /// `servername`: the SNI name; `None` (the default, as in Node 20's `tls.connect`,
    /// which sends none unless told) sends none. The host check uses
    /// `servername || host`.
    pub servername: Option<String>,
    /// `rejectUnauthorized` (default `true`).
    pub reject_unauthorized: bool,
    /// The port connected to: with `host` and `servername`, it names the destination
    /// whose sessions this connection may resume (default 0).
    pub port: u16,
    /// Offer the session of this earlier connection's destination instead of this
    /// destination's own (Node's `session: otherSocket.getSession()`, within one
    /// context): the caller vouches for handing it to this server.
    pub session_of: Option<Destination>,
    /// `ALPNProtocols` offered, in order (none by default).
    pub alpn: Vec<Vec<u8>>,
    /// `requestOCSP`: raise [`Event::OcspResponse`] with what the server stapled
    /// (default `false`; rustls asks every server for a staple either way).
    pub request_ocsp: bool,
    /// `checkServerIdentity`: replaces Node's host check (run once the chain is
    /// trusted, against `servername || host`); `None`, the default, is Node's.
    pub check_server_identity: Option<IdentityCheck>,
}

/// A caller's `checkServerIdentity(hostname, chain)`: `chain` is the server's, leaf
/// first; an `Err` fails the connection (or, with `rejectUnauthorized` false, becomes
/// its `authorizationError`) as Node's host check does.
#[derive(Clone)]
pub struct IdentityCheck(pub Arc<IdentityFn>);

/// What an [`IdentityCheck`] calls.
pub type IdentityFn = dyn Fn(&str, &[CertificateDer<'static>]) -> Result<(), Error> + Send + Sync;

impl fmt::Debug for IdentityCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("checkServerIdentity(..)")
    }
}

/// Node's own `checkServerIdentity(hostname, cert)` on a DER leaf: `Err` is
/// `ERR_TLS_CERT_ALTNAME_INVALID` with Node's reason text.
pub fn check_server_identity(hostname: &str, leaf: &CertificateDer<'_>) -> Result<(), Error> {
    // Node checks two fields of its certificate object: `subjectaltname`, `subject.CN`.
    let Ok((subjectaltname, cns)) = context::describe::identity_fields(leaf.as_ref()) else {
        return Err(Error::AltName(
            "Cert does not contain a DNS name".to_string(),
        ));
    };
    context::check_server_identity(hostname, subjectaltname.as_deref(), &cns)
        .map_err(Error::AltName)
}

/// Where a client connection goes: the sessions it makes resume only there.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Destination {
    /// `host`.
    pub host: String,
    /// `port`.
    pub port: u16,
    /// `servername`.
    pub servername: Option<String>,
}

/// The first bytes of [`Destination::to_session`]'s encoding.
const SESSION_MAGIC: &[u8; 8] = b"ntls-ses";

/// This process's mark in the session bytes it hands out: bytes from another process
/// (or a forged or corrupted copy) name no session here.
fn process_mark() -> &'static [u8; 16] {
    static MARK: std::sync::OnceLock<[u8; 16]> = std::sync::OnceLock::new();
    MARK.get_or_init(|| {
        let mut mark = [0u8; 16];
        // A failed fill leaves zeros: bytes then still only work in this process, whose
        // contexts hold the sessions; the mark is for telling other processes' apart.
        let _ = rustls::crypto::ring::default_provider()
            .secure_random
            .fill(&mut mark);
        mark
    })
}

impl Destination {
    /// Node's `getSession()` bytes for this destination: opaque, and good only in this
    /// process, with the `SecureContext` that holds the sessions (rustls 0.23 has no
    /// public encoding of client sessions). [`Destination::from_session`] reads them back.
    pub fn to_session(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(SESSION_MAGIC);
        out.extend_from_slice(process_mark());
        out.extend_from_slice(&self.port.to_be_bytes());
        for text in [Some(&self.host), self.servername.as_ref()] {
            match text {
                Some(text) => {
                    out.push(1);
                    out.extend_from_slice(&(text.len() as u32).to_be_bytes());
                    out.extend_from_slice(text.as_bytes());
                }
                None => out.push(0),
            }
        }
        out
    }

    /// The destination `bytes` ([`Destination::to_session`]) name, when they were made
    /// by this process; `None` for anything else (then: a full handshake, no error).
    pub fn from_session(bytes: &[u8]) -> Option<Self> {
        let rest = bytes.strip_prefix(SESSION_MAGIC)?;
        let rest = rest.strip_prefix(process_mark().as_slice())?;
        let (port, mut rest) = rest.split_at_checked(2)?;
        let port = u16::from_be_bytes(port.try_into().ok()?);
        let mut texts = [None, None];
        for text in &mut texts {
            let (&present, after) = rest.split_first()?;
            rest = after;
            if present == 1 {
                let (len, after) = rest.split_at_checked(4)?;
                let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
                let (value, after) = after.split_at_checked(len)?;
                *text = Some(String::from_utf8(value.to_vec()).ok()?);
                rest = after;
            } else if present != 0 {
                return None;
            }
        }
        let [host, servername] = texts;
        rest.is_empty().then_some(Self {
            host: host?,
            port,
            servername,
        })
    }
}

impl ClientOptions {
    /// Options for connecting to `host`, with Node's defaults.
    pub fn new(host: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            servername: None,
            reject_unauthorized: true,
            port: 0,
            session_of: None,
            alpn: Vec::new(),
            request_ocsp: false,
            check_server_identity: None,
        }
    }
}

/// Server-side options of `tls.createServer` that act on each connection.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// `requestCert` (default `false`).
    pub request_cert: bool,
    /// `rejectUnauthorized` (default `false` on servers in Node v0.12); acts only with
    /// `request_cert`.
    pub reject_unauthorized: bool,
    /// `handshakeTimeout` (default 120 s).
    pub handshake_timeout: Duration,
    /// `ALPNProtocols`, in the server's order of preference (none by default: the
    /// extension is then ignored, as Node).
    pub alpn: Vec<Vec<u8>>,
    /// Stop after the ClientHello with [`Event::ClientHello`] and wait for
    /// [`Connection::decide`] (SNI contexts, `SNICallback`). Off: the connection's own
    /// context answers at once.
    pub pause_after_hello: bool,
    /// Raise [`Event::NewSession`] for each session stored by id (Node's `newSession`
    /// listener) and hold the connection until [`Connection::new_session_done`].
    pub new_session_events: bool,
    /// Raise [`Event::KeyLog`] for each connection (Node's server `'keylog'` listener;
    /// default `false`). A socket can ask later with [`Connection::watch_key_log`].
    pub key_log: bool,
}

/// What a ClientHello asked, for the server's decision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClientHello {
    /// The SNI name, if any.
    pub servername: Option<String>,
    /// The ALPN protocols offered, in the client's order.
    pub alpn: Vec<Vec<u8>>,
    /// The client asked for an OCSP staple (`status_request`): Node's
    /// `info.OCSPRequest`. Answer with [`Connection::staple`] before deciding.
    pub ocsp_request: bool,
    /// The session id an external cache is asked about (Node's `resumeSession`): a
    /// TLS 1.3 PSK identity when this server keeps sessions by id (no tickets), else
    /// the `legacy_session_id` unless the client offers a ticket. Answer with
    /// [`Connection::resume_with`] before deciding.
    pub session_id: Option<Vec<u8>>,
}

/// The server side before its configuration is chosen.
enum Hello {
    /// Reading the ClientHello.
    Reading(Box<rustls::server::Acceptor>),
    /// Read; waiting for [`Connection::decide`].
    Waiting(Box<rustls::server::Accepted>),
}

impl std::fmt::Debug for Hello {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Reading(_) => "Reading",
            Self::Waiting(_) => "Waiting",
        })
    }
}

/// What may arrive while a server waits for its decision (the rest of the client's
/// first flight is small; anything past this is refused).
const HELD_MAX: usize = 64 * 1024;

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            request_cert: false,
            reject_unauthorized: false,
            handshake_timeout: DEFAULT_HANDSHAKE_TIMEOUT,
            alpn: Vec::new(),
            pause_after_hello: false,
            new_session_events: false,
            key_log: false,
        }
    }
}

/// `getCipher()`: the negotiated suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cipher {
    /// OpenSSL's name, e.g. `ECDHE-RSA-AES128-GCM-SHA256` or `TLS_AES_256_GCM_SHA384`.
    pub name: &'static str,
    /// The IANA name, e.g. `TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256`.
    pub standard_name: &'static str,
    /// The protocol version of the suite, as OpenSSL says: `TLSv1.2` or `TLSv1.3`.
    pub version: &'static str,
}

/// What happened on a connection, in order.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event {
    /// The handshake is done and `authorized` / `authorizationError` are decided:
    /// Node's `secureConnect` (client) or `secureConnection` (server).
    Secure,
    /// Client side: the server gave us a resumable session (a TLS 1.3 ticket or a
    /// TLS 1.2 session): Node's `'session'` event. Later connections made with the same
    /// context offer it.
    Session,
    /// Client side, with `request_ocsp`, before [`Event::Secure`] (or the verdict's
    /// error): what the server stapled, `None` for nothing. Node's `'OCSPResponse'`:
    /// raised once on a full handshake and on a resumed TLS 1.3 one (with `None`), not
    /// on a resumed TLS 1.2 one. The bytes are not checked (as in Node).
    OcspResponse(Option<Vec<u8>>),
    /// Server side, with `new_session_events`: a session was stored under `id` (a TLS
    /// 1.2 session id, or a TLS 1.3 stateful ticket); `data` is the session, bytes that
    /// [`Connection::resume_with`] takes back, in this process or another. Node's
    /// `newSession`: nothing more is sent, and no later event comes, until
    /// [`Connection::new_session_done`].
    NewSession {
        /// The session id.
        id: Vec<u8>,
        /// The session.
        data: Vec<u8>,
    },
    /// A key-log line (NSS format, with its newline: `CLIENT_RANDOM <random>
    /// <secret>`, `CLIENT_TRAFFIC_SECRET_0 ...`), after [`Connection::watch_key_log`] or
    /// with [`ServerOptions::key_log`]: Node's `'keylog'`. The same lines go to the file
    /// `SSLKEYLOGFILE` names, for every connection, when it is set.
    KeyLog(Vec<u8>),
    /// Decrypted application data.
    Data(Vec<u8>),
    /// The peer will send no more (close_notify, or a TCP FIN after the handshake):
    /// Node's `end`.
    End,
    /// Server side, with `pause_after_hello`: the ClientHello is read; answer with
    /// [`Connection::decide`] (now or later) or [`Connection::refuse`].
    ClientHello(ClientHello),
    /// A fatal error; the connection is finished once the queued bytes (an alert, maybe)
    /// are sent.
    Error(Error),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Handshaking,
    Open,
    Closed,
}

#[derive(Debug)]
enum Side {
    Client(ClientOptions),
    Server(ServerOptions),
}

/// One TLS connection, client or server.
#[derive(Debug)]
pub struct Connection {
    /// The rustls connection; `None` on a server until its configuration is chosen.
    tls: Option<rustls::Connection>,
    /// Server side, until the configuration is chosen.
    hello: Option<Hello>,
    /// Bytes received, and plaintext written, while the server waits for its decision.
    held_in: Vec<u8>,
    held_out: Vec<u8>,
    context: SecureContext,
    side: Side,
    state: State,
    events: VecDeque<Event>,
    deadline: Option<Instant>,
    authorized: bool,
    authorization_error: Option<Error>,
    peer_ended: bool,
    /// The first bytes received (up to a record header), until they are judged.
    head: Vec<u8>,
    first_bytes_seen: bool,
    /// Bytes of a first record of no known type read past its header.
    body_seen: usize,
    /// Set when we refuse the peer's certificate: Node destroys the socket at once, so
    /// the handshake messages rustls queued (our Finished) are never sent.
    discard_output: bool,
    /// Bytes taken from rustls early (to adjust an alert), sent before anything else.
    pending_out: Vec<u8>,
    /// `end()` was called during the handshake.
    end_requested: bool,
    /// Plaintext written before the handshake ended, waiting in rustls.
    early_plaintext: usize,
    /// Our close_notify is queued.
    ended: bool,
    /// Server side, during the handshake: the start of what the client sent, to tell an
    /// old-protocol ClientHello apart when rustls refuses it.
    first_flight: Vec<u8>,
    /// Server side: the first flight's records judged so far ([`screen::Records`]).
    screen: screen::Records,
    /// Client side: sessions stored during the handshake, announced after `Secure`.
    sessions_owed: u32,
    /// Client side: the server's certificate came with this staple (empty: none).
    ocsp_response: Option<Vec<u8>>,
    /// Server side, waiting for the decision: the OCSP response to staple.
    staple: Option<Vec<u8>>,
    /// Server side: what the ClientHello offered, while the decision waits.
    offered: Option<hello::Parsed>,
    /// Server side, waiting for the decision: `(id, data)` to resume.
    resume: Option<(Vec<u8>, Vec<u8>)>,
    /// Server side: `newSession` events not yet answered; while any is, nothing is sent
    /// and only `NewSession` events come out.
    sessions_unanswered: u32,
    /// The caller's wall clock, as last given.
    wall: UnixTime,
    /// `setMaxSendFragment`: the most plaintext one record we send carries.
    max_send_fragment: usize,
    /// The ClientHello's random (client: ours, read at creation; server: once read).
    client_random: Option<[u8; 32]>,
    /// Key-log lines are wanted ([`Connection::watch_key_log`]) / being kept for us.
    key_log_wanted: bool,
    key_log_watching: bool,
    /// Client side, during the handshake: the server's records until its
    /// ChangeCipherSpec, read for a TLS 1.2 NewSessionTicket (sent in the clear).
    ticket_scan: Option<Vec<u8>>,
    /// Client side: the TLS 1.2 ticket the server sent (`getTLSTicket()`).
    tls12_ticket: Option<Vec<u8>>,
    /// Not TLS (yet): a plain `net.Socket`'s bytes, in and out as they are.
    plain: bool,
}

/// How much of a server's first flight is kept looking for its ticket.
const TICKET_SCAN_MAX: usize = 64 * 1024;

/// The ticket of a TLS 1.2 NewSessionTicket among `records` (the server's plaintext
/// records, from the start); `Err(())` while more records are needed, `Ok(None)` when
/// the clear part ended (ChangeCipherSpec) without one.
fn scan_for_ticket(records: &[u8]) -> Result<Option<Vec<u8>>, ()> {
    let mut handshake = Vec::new();
    let mut rest = records;
    let ended = loop {
        let Some(header) = rest.get(..5) else {
            break false;
        };
        let len = usize::from(u16::from_be_bytes([header[3], header[4]]));
        let Some(body) = rest.get(5..5 + len) else {
            break false;
        };
        match header[0] {
            22 => handshake.extend_from_slice(body),
            20 => break true,
            _ => return Ok(None),
        }
        rest = &rest[5 + len..];
    };
    let mut messages = handshake.as_slice();
    while let Some(head) = messages.get(..4) {
        let len = usize::from(head[1]) << 16 | usize::from(head[2]) << 8 | usize::from(head[3]);
        let Some(body) = messages.get(4..4 + len) else {
            break;
        };
        if head[0] == 4 {
            // NewSessionTicket: lifetime_hint (4), then the ticket, 16-bit length
            let Some(&[hi, lo]) = body.get(4..6) else {
                return Ok(None);
            };
            let ticket_len = usize::from(u16::from_be_bytes([hi, lo]));
            return Ok(body.get(6..6 + ticket_len).map(<[u8]>::to_vec));
        }
        messages = &messages[4 + len..];
    }
    if ended {
        Ok(None)
    } else {
        Err(())
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let (true, Some(random)) = (self.key_log_watching, &self.client_random) {
            context::keylog::unwatch(random);
        }
    }
}

/// The random of the ClientHello that starts `flight` (a handshake record).
fn hello_random(flight: &[u8]) -> Option<[u8; 32]> {
    if flight.first() != Some(&22) || flight.get(5) != Some(&1) {
        return None;
    }
    flight.get(11..43)?.try_into().ok()
}

/// The largest plaintext of a TLS record, and Node's (OpenSSL's) default and upper bound
/// for [`Connection::set_max_send_fragment`].
pub const MAX_FRAGMENT: usize = 16384;
/// The smallest size [`Connection::set_max_send_fragment`] takes (OpenSSL's bound).
pub const MIN_SEND_FRAGMENT: usize = 512;

/// Hands `data` to rustls in pieces of at most `fragment` bytes: rustls seals each
/// piece it is given in records of its own, so none carries more than `fragment`.
fn write_fragmented(mut writer: rustls::Writer<'_>, data: &[u8], fragment: usize) -> bool {
    if fragment >= MAX_FRAGMENT {
        return writer.write_all(data).is_ok();
    }
    data.chunks(fragment)
        .all(|piece| writer.write_all(piece).is_ok())
}

impl Connection {
    /// A client connection; its ClientHello is ready in [`Connection::poll_transmit`].
    /// (A client has no timer: Node sets no handshake timeout on clients.)
    pub fn client(
        context: &SecureContext,
        options: ClientOptions,
        now: Now,
    ) -> Result<Self, Error> {
        let name = options
            .servername
            .as_deref()
            .filter(|n| n.parse::<std::net::IpAddr>().is_err())
            .and_then(|n| DnsName::try_from(n.to_string()).ok())
            .map(ServerName::DnsName)
            .unwrap_or_else(|| {
                // No SNI: rustls sends none for an IP address name.
                let ip = options
                    .host
                    .parse::<std::net::IpAddr>()
                    .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]));
                ServerName::IpAddress(ip.into())
            });
        // Sessions are kept per destination: one verified for a host is never offered
        // to another host, port or servername.
        let own = Destination {
            host: options.host.clone(),
            port: options.port,
            servername: options.servername.clone(),
        };
        let dest = options.session_of.as_ref().unwrap_or(&own);
        let config = context.client_config_for(
            &dest.host,
            dest.port,
            dest.servername.as_deref(),
            &options.alpn,
        );
        // (rustls reads the clock here to pick a session to offer)
        let (tls, _) = context::reports::collect_with(at(now.unix()), || {
            rustls::ClientConnection::new(config, name)
        });
        let tls = tls.map_err(Error::tls)?;
        let mut conn = Self::new(context, Side::Client(options), Some(tls.into()), None, now);
        // The ClientHello is made: take it out now (it is sent first all the same) for
        // its random, which names this connection's key-log lines.
        if let Some(tls) = conn.tls.as_mut() {
            while tls.wants_write() {
                if tls.write_tls(&mut conn.pending_out).is_err() {
                    break;
                }
            }
        }
        conn.client_random = hello_random(&conn.pending_out);
        conn.ticket_scan = Some(Vec::new());
        Ok(conn)
    }

    /// A connection that is not TLS (yet): a `net.Socket`'s. What is fed comes out as
    /// [`Event::Data`] (and the end of stream as [`Event::End`]), what is written goes
    /// out as it is; it is open from the start. Replace it with a [`Connection::client`]
    /// or [`Connection::server`] to upgrade (STARTTLS), feeding the new one what was
    /// read and not yet used.
    pub fn plain() -> Self {
        let side = Side::Client(ClientOptions::new(""));
        let context = context::empty_context();
        let mut conn = Self::new(&context, side, None, None, Now::system());
        conn.plain = true;
        conn.state = State::Open;
        conn
    }

    /// Whether this is a [`Connection::plain`] one (Node's `encrypted` is false).
    pub fn is_plain(&self) -> bool {
        self.plain
    }

    /// A server connection, waiting for a ClientHello.
    pub fn server(
        context: &SecureContext,
        options: ServerOptions,
        now: Now,
    ) -> Result<Self, Error> {
        // The configuration is chosen once the ClientHello is read (SNI, ALPN); a bad
        // context fails now, not then.
        context
            .server_config_with_alpn(server_auth(&options), &options.alpn)
            .map_err(|e| Error::general(e.to_string()))?;
        let deadline = now.instant.checked_add(options.handshake_timeout);
        let key_log = options.key_log;
        let mut conn = Self::new(context, Side::Server(options), None, deadline, now);
        conn.hello = Some(Hello::Reading(Box::default()));
        conn.key_log_wanted = key_log;
        Ok(conn)
    }

    fn new(
        context: &SecureContext,
        side: Side,
        tls: Option<rustls::Connection>,
        deadline: Option<Instant>,
        now: Now,
    ) -> Self {
        let mut conn = Self {
            tls,
            hello: None,
            held_in: Vec::new(),
            held_out: Vec::new(),
            context: context.clone(),
            side,
            state: State::Handshaking,
            events: VecDeque::new(),
            deadline,
            authorized: false,
            authorization_error: None,
            peer_ended: false,
            head: Vec::new(),
            first_bytes_seen: false,
            body_seen: 0,
            discard_output: false,
            pending_out: Vec::new(),
            end_requested: false,
            early_plaintext: 0,
            ended: false,
            first_flight: Vec::new(),
            screen: screen::Records::default(),
            sessions_owed: 0,
            ocsp_response: None,
            staple: None,
            offered: None,
            resume: None,
            sessions_unanswered: 0,
            wall: now.unix(),
            max_send_fragment: MAX_FRAGMENT,
            client_random: None,
            key_log_wanted: false,
            key_log_watching: false,
            ticket_scan: None,
            tls12_ticket: None,
            plain: false,
        };
        // Node buffers every write made before the handshake ends.
        if let Some(tls) = &mut conn.tls {
            tls.set_buffer_limit(None);
        }
        conn
    }

    // ----- input -----

    /// Bytes received from the peer.
    pub fn feed(&mut self, data: &[u8]) {
        if self.state == State::Closed {
            return;
        }
        if self.plain {
            if !data.is_empty() && !self.peer_ended {
                self.events.push_back(Event::Data(data.to_vec()));
            }
            return;
        }
        if self.first_bytes_seen {
            return self.feed_records(data);
        }
        // Judge the first record header whole, as OpenSSL does, even when it arrives a
        // byte at a time; rustls sees nothing until then.
        let take = data.len().min(5 - self.head.len());
        self.head.extend_from_slice(&data[..take]);
        if self.head.len() < 5 {
            return;
        }
        if self.is_server() && self.head[0] & 0x80 != 0 && self.head[2] == 1 {
            return self.feed_sslv2_hello(&data[take..]);
        }
        if let Some(reason) = not_tls(&self.head) {
            self.first_bytes_seen = true;
            if reason == "packet length too long" {
                // OpenSSL answers this one with a record_overflow alert
                self.pending_out.extend_from_slice(&[21, 3, 3, 0, 2, 2, 22]);
            }
            self.fail(Error::NotTls { reason });
            return;
        }
        if !(20..=24).contains(&self.head[0]) {
            // A record of no known type with a version of 3.x and a length that fits:
            // OpenSSL reads it whole, then calls it an unexpected message, with that
            // alert in the record's own version (measured against Node 20).
            let whole = 5 + usize::from(u16::from_be_bytes([self.head[3], self.head[4]]));
            let rest = &data[take..];
            let more = rest
                .len()
                .min(whole.saturating_sub(self.head.len() + self.body_seen));
            self.body_seen += more;
            if self.head.len() + self.body_seen < whole {
                return;
            }
            self.first_bytes_seen = true;
            let (major, minor) = (self.head[1], self.head[2]);
            self.pending_out
                .extend_from_slice(&[21, major, minor, 0, 2, 2, 10]);
            self.fail(Error::NotTls {
                reason: "unexpected message",
            });
            return;
        }
        self.first_bytes_seen = true;
        let head = std::mem::take(&mut self.head);
        self.feed_records(&head);
        self.feed_records(&data[take..]);
    }

    /// Server side: a first record in SSLv2's format holding a CLIENT-HELLO (`rest`
    /// follows the five bytes read). rustls reads no such thing; OpenSSL 3 reads it
    /// whole, checks its length as a record's, and answers by the version it offers
    /// (each measured against Node 20): nothing from TLS 1.2 on can be negotiated from
    /// it (it has no extensions, so no signature algorithm but SHA-1's, which OpenSSL 3
    /// refuses), older versions are refused as in a TLS-format ClientHello.
    fn feed_sslv2_hello(&mut self, rest: &[u8]) {
        let length = usize::from(u16::from_be_bytes([self.head[0] & 0x7f, self.head[1]]));
        let (alert, reason) = match length {
            ..=8 => ([3, 3, 50], "length too short"),
            SSLV2_PACKET_MAX.. => ([3, 3, 22], "packet length too long"),
            _ => {
                let whole = 2 + length;
                let more = rest
                    .len()
                    .min(whole.saturating_sub(self.head.len() + self.first_flight.len()));
                self.first_flight.extend_from_slice(&rest[..more]);
                if self.head.len() + self.first_flight.len() < whole {
                    return;
                }
                match (self.head[3], self.head[4]) {
                    _ if length > SSLV2_ENCRYPTED_MAX => ([3, 3, 22], "encrypted length too long"),
                    _ if length > 16_384 => ([3, 3, 22], "data length too long"),
                    (0..=2, _) => ([3, 3, 70], "unknown protocol"),
                    (3, 0) => ([3, 0, 40], "version too low"),
                    (3, minor @ 1..=2) => ([3, minor, 70], "unsupported protocol"),
                    _ if sslv2_offers_rsa_key_exchange(&self.head, &self.first_flight) => {
                        ([3, 3, 40], "no suitable signature algorithm")
                    }
                    _ => ([3, 3, 40], "no shared cipher"),
                }
            }
        };
        self.first_bytes_seen = true;
        let [major, minor, description] = alert;
        self.pending_out
            .extend_from_slice(&[21, major, minor, 0, 2, 2, description]);
        self.fail(Error::NotTls { reason });
    }

    /// What this server can negotiate, for [`screen::client_hello`].
    fn screen_offer(&self) -> screen::Offer {
        screen::Offer {
            tls13_suites: self.context.tls13_suite_ids(),
            groups: self.context.kx_group_ids(),
        }
    }

    /// Server side: refuses the first flight as [`screen`] found OpenSSL does, with
    /// its alert.
    fn refuse_flight(&mut self, refusal: screen::Refusal) {
        self.hello = None;
        let [major, minor] = refusal.version;
        self.pending_out
            .extend_from_slice(&[21, major, minor, 0, 2, 2, refusal.alert]);
        self.fail(Error::HelloRefused {
            reason: refusal.reason,
        });
    }

    /// Bytes past the first record header check, to rustls.
    fn feed_records(&mut self, mut data: &[u8]) {
        if self.state == State::Closed || data.is_empty() {
            return;
        }
        if self.is_server()
            && self.state == State::Handshaking
            && self.first_flight.len() < FIRST_FLIGHT_MAX
        {
            let room = FIRST_FLIGHT_MAX - self.first_flight.len();
            self.first_flight
                .extend_from_slice(&data[..data.len().min(room)]);
        }
        if matches!(self.hello, Some(Hello::Reading(_))) {
            if let Some(refusal) = self.screen.check(&self.first_flight) {
                return self.refuse_flight(refusal);
            }
        }
        if self.hello.is_some() {
            self.feed_hello(data);
            return;
        }
        if self.tls.is_none() {
            return;
        }
        if let Some(scan) = self.ticket_scan.as_mut() {
            let room = TICKET_SCAN_MAX.saturating_sub(scan.len());
            scan.extend_from_slice(&data[..data.len().min(room)]);
            match scan_for_ticket(scan) {
                Err(()) if scan.len() < TICKET_SCAN_MAX => {}
                Err(()) => self.ticket_scan = None,
                Ok(ticket) => {
                    self.tls12_ticket = ticket;
                    self.ticket_scan = None;
                }
            }
        }
        while !data.is_empty() && self.state != State::Closed {
            let Some(tls) = self.tls.as_mut() else {
                return;
            };
            match tls.read_tls(&mut data) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    self.fail(Error::general(e.to_string()));
                    return;
                }
            }
            // The shared session store and verifier report what this call did.
            let (processed, reports) =
                context::reports::collect_with(at(self.wall), || tls.process_new_packets());
            self.drain_key_log();
            if !self.is_server() {
                let stored = reports.sessions_stored;
                if self.state == State::Handshaking {
                    // Node emits 'session' after 'secureConnect' (a TLS 1.2 session is
                    // stored before the handshake is judged); a rejected one gets none.
                    self.sessions_owed += stored;
                } else {
                    for _ in 0..stored {
                        self.events.push_back(Event::Session);
                    }
                }
                if reports.ocsp_response.is_some() {
                    self.ocsp_response = reports.ocsp_response;
                }
            }
            let mut new_sessions = self.new_sessions(reports.new_sessions);
            if let Err(e) = processed {
                // The handshake may have ended in this same flight (a TLS 1.3 client's
                // Finished, then a bad record): Node says `secure` first, then the error.
                let finished = self.tls.as_ref().is_some_and(|t| !t.is_handshaking());
                if self.state == State::Handshaking && finished {
                    self.handshake_done();
                    if self.state == State::Closed {
                        return; // the peer was refused: that is the error
                    }
                }
                let err = self.map_error(e);
                // Data decrypted before the failure still belongs to the application.
                self.drain_plaintext();
                let mut queued = Vec::new();
                if let Some(tls) = self.tls.as_mut() {
                    while tls.wants_write() {
                        if tls.write_tls(&mut queued).is_err() {
                            break;
                        }
                    }
                }
                self.adjust_alert(&err, &mut queued);
                self.pending_out.append(&mut queued);
                self.fail(err);
                return;
            }
            // Node reports a TLS 1.2 session before the handshake is done, a TLS 1.3
            // ticket's after.
            if !self.protocol_is_tls13() {
                self.push_new_sessions(std::mem::take(&mut new_sessions));
            }
            self.after_packets();
            self.push_new_sessions(new_sessions);
        }
    }

    fn tls12_aes_gcm(&self) -> bool {
        self.tls
            .as_ref()
            .and_then(|t| t.negotiated_cipher_suite())
            .is_some_and(|s| {
                matches!(s, rustls::SupportedCipherSuite::Tls12(_))
                    && context::openssl_name(s.suite()).is_some_and(|n| n.contains("-GCM-"))
            })
    }

    fn protocol_is_tls13(&self) -> bool {
        self.tls.as_ref().and_then(|t| t.protocol_version()) == Some(ProtocolVersion::TLSv1_3)
    }

    /// The sessions stored that become `NewSession` events: none without a listener,
    /// and none for a TLS 1.2 client that also got a ticket (OpenSSL then sends no
    /// session id, so Node reports nothing).
    fn new_sessions(&self, stored: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<(Vec<u8>, Vec<u8>)> {
        let Side::Server(options) = &self.side else {
            return Vec::new();
        };
        let ticketed = !self.protocol_is_tls13()
            && self.context.issues_tickets()
            && self
                .offered
                .as_ref()
                .is_some_and(|o| o.session_ticket.is_some());
        if !options.new_session_events || ticketed {
            return Vec::new();
        }
        stored
    }

    fn push_new_sessions(&mut self, sessions: Vec<(Vec<u8>, Vec<u8>)>) {
        for (id, data) in sessions {
            self.sessions_unanswered += 1;
            self.events.push_back(Event::NewSession { id, data });
        }
    }

    /// Server side: Node's `newSession` callback was called for one
    /// [`Event::NewSession`]; once all are, the connection goes on.
    pub fn new_session_done(&mut self) {
        self.sessions_unanswered = self.sessions_unanswered.saturating_sub(1);
    }

    /// Our error for what rustls reported.
    fn map_error(&self, e: rustls::Error) -> Error {
        match e {
            // A close_notify before the handshake ends is a disconnect to Node.
            rustls::Error::AlertReceived(AlertDescription::CloseNotify)
                if self.state == State::Handshaking =>
            {
                Error::EofDuringHandshake {
                    client: !self.is_server(),
                }
            }
            rustls::Error::AlertReceived(alert) => Error::AlertReceived(error::Alert(alert)),
            // OpenSSL 3 reports a TLS 1.2 AES-GCM record that fails to open as its
            // provider's "cipher operation failed" (measured against Node 20).
            rustls::Error::DecryptError if self.tls12_aes_gcm() => Error::CipherOperationFailed,
            // A TLS 1.0/1.1 ClientHello: OpenSSL's "unsupported protocol"; SSLv3 (or
            // older): "version too low"; else OpenSSL's reason where rustls finds
            // nothing in common with the ClientHello (measured against Node 20).
            e if self.is_server() && self.state == State::Handshaking => {
                match hello::old_client_version(&self.first_flight) {
                    Some(v) if v < 0x0301 => Error::VersionTooLow,
                    Some(_) => Error::UnsupportedProtocol,
                    None => match self.incompatible_hello(&e) {
                        Some(reason) => Error::HelloRefused { reason },
                        None => Error::tls(e),
                    },
                }
            }
            other => Error::tls(other),
        }
    }

    /// OpenSSL's reason where rustls refused a ClientHello for sharing nothing with us
    /// ([`Self::map_error`]): signature algorithms our keys cannot use, or (TLS 1.2) no
    /// group for an ECDHE suite.
    fn incompatible_hello(&self, e: &rustls::Error) -> Option<&'static str> {
        /// The schemes a key of ours can sign with (ring: RSA PKCS#1 and PSS, ECDSA
        /// P-256/P-384, Ed25519).
        const SIGNABLE: [u16; 9] = [
            0x0401, 0x0501, 0x0601, 0x0804, 0x0805, 0x0806, 0x0403, 0x0503, 0x0807,
        ];
        let hello = hello::parse(&self.first_flight)?;
        let tls13 = hello.offers_tls13() && !self.context.tls13_suite_ids().is_empty();
        match e {
            e if error::is_no_certificate_resolved(e) => hello
                .sigalgs
                .is_some_and(|list| !list.iter().any(|s| SIGNABLE.contains(s)))
                .then_some("no shared signature algorithms"),
            rustls::Error::PeerIncompatible(rustls::PeerIncompatible::NoKxGroupsInCommon)
                if !tls13 =>
            {
                Some("no shared cipher")
            }
            // TLS 1.2 without signature_algorithms: SHA-1 only, which OpenSSL 3 refuses
            rustls::Error::PeerIncompatible(
                rustls::PeerIncompatible::SignatureAlgorithmsExtensionRequired,
            ) if !tls13 => Some("no suitable signature algorithm"),
            _ => None,
        }
    }

    /// Server side, before the configuration is chosen: the ClientHello to rustls's
    /// `Acceptor`; what comes after it waits (bounded) for the decision.
    fn feed_hello(&mut self, mut data: &[u8]) {
        let mut acceptor = match self.hello.take() {
            Some(Hello::Reading(acceptor)) => acceptor,
            Some(waiting @ Hello::Waiting(_)) => {
                self.hello = Some(waiting);
                if self.held_in.len() + data.len() > HELD_MAX {
                    self.fail(Error::general("too much data before the server's decision"));
                } else {
                    self.held_in.extend_from_slice(data);
                }
                return;
            }
            None => return,
        };
        while !data.is_empty() {
            if let Err(e) = acceptor.read_tls(&mut data) {
                self.fail(Error::general(e.to_string()));
                return;
            }
            match acceptor.accept() {
                Ok(None) => {}
                Ok(Some(accepted)) => {
                    let (pause, sessions) = match &self.side {
                        Side::Server(o) => (o.pause_after_hello, o.new_session_events),
                        Side::Client(_) => (false, false),
                    };
                    let parsed = hello::parse(&self.first_flight);
                    let offer = self.screen_offer();
                    if let Some(refusal) = parsed
                        .as_ref()
                        .and_then(|p| screen::client_hello(p, &offer))
                    {
                        return self.refuse_flight(refusal);
                    }
                    // Keep what we read of the ClientHello only when someone will ask.
                    if pause || sessions {
                        self.offered = parsed;
                    }
                    let info = pause.then(|| self.hello_info(&accepted));
                    self.hello = Some(Hello::Waiting(Box::new(accepted)));
                    self.held_in.extend_from_slice(data);
                    match info {
                        Some(info) => self.events.push_back(Event::ClientHello(info)),
                        None => self.decide(None),
                    }
                    return;
                }
                Err((e, alert)) => {
                    // OpenSSL's answer where it names one (rustls's otherwise)
                    let parsed = hello::parse(&self.first_flight);
                    let offer = self.screen_offer();
                    let refusal = screen::malformed_hello(&self.first_flight)
                        .or_else(|| parsed.and_then(|p| screen::client_hello(&p, &offer)));
                    match refusal {
                        Some(refusal) => self.refuse_flight(refusal),
                        None => self.fail_accepting(e, alert),
                    }
                    return;
                }
            }
        }
        self.hello = Some(Hello::Reading(acceptor));
    }

    /// What the application is told of a ClientHello ([`Event::ClientHello`]).
    fn hello_info(&self, accepted: &rustls::server::Accepted) -> ClientHello {
        let hello = accepted.client_hello();
        let offered = self.offered.as_ref();
        let psk = offered.and_then(|o| o.psk_identities.first());
        let session_id = match (psk, offered) {
            (Some(psk), _) if !self.context.issues_tickets() => Some(psk.clone()),
            (_, Some(o)) if o.session_ticket != Some(true) && !o.session_id.is_empty() => {
                Some(o.session_id.clone())
            }
            _ => None,
        };
        ClientHello {
            servername: hello.server_name().map(str::to_string),
            alpn: hello
                .alpn()
                .map(|list| list.map(<[u8]>::to_vec).collect())
                .unwrap_or_default(),
            ocsp_request: offered.is_some_and(|o| o.ocsp_request),
            session_id,
        }
    }

    /// Server side, after [`Event::ClientHello`]: continue the handshake with
    /// `context` (`None`: the connection's own). Its `ca` then judges a client
    /// certificate. Bytes that arrived meanwhile are processed now.
    pub fn decide(&mut self, context: Option<&SecureContext>) {
        let Some(Hello::Waiting(accepted)) = self.hello.take() else {
            return;
        };
        // Sessions and tickets stay the server's whichever context answers (Node).
        let server = self.context.clone();
        if let Some(chosen) = context {
            self.context = chosen.clone();
        }
        let Side::Server(options) = &self.side else {
            return;
        };
        let auth = server_auth(options);
        let config = match self.context.server_config_in(auth, &options.alpn, &server) {
            Ok(config) => config,
            Err(e) => {
                self.fail(Error::general(e.to_string()));
                return;
            }
        };
        let stapled = self.staple.take().and_then(|ocsp| {
            let key = self.context.certificate_for(accepted.client_hello())?;
            Some(SecureContext::server_config_stapled(&config, &key, ocsp))
        });
        let config = stapled.unwrap_or(config);
        // The session the application found (`resumeSession`) is the store's answer
        // for its id while rustls reads the ClientHello.
        let offered = context::reports::Reports {
            offered_session: self.resume.take(),
            ..at(self.wall)
        };
        self.start_key_log();
        let (accepted, _) =
            context::reports::collect_with(offered, || accepted.into_connection(config));
        self.drain_key_log();
        match accepted {
            Ok(mut conn) => {
                conn.set_buffer_limit(None);
                if !self.held_out.is_empty() {
                    let _ = write_fragmented(conn.writer(), &self.held_out, self.max_send_fragment);
                    self.held_out = Vec::new();
                }
                self.tls = Some(conn.into());
                let held = std::mem::take(&mut self.held_in);
                self.feed_records(&held);
            }
            Err((e, alert)) => self.fail_accepting(e, alert),
        }
    }

    /// Server side, after [`Event::ClientHello`] and before [`Connection::decide`]: the
    /// certificate chain (DER, leaf first, then the issuers found in `cert` and `ca`)
    /// that `context` (`None`: the connection's own) would present to this client.
    /// Node's `OCSPRequest` gets its first two as `certificate` and `issuer`.
    pub fn server_certificate(&self, context: Option<&SecureContext>) -> Option<Vec<Vec<u8>>> {
        let Some(Hello::Waiting(accepted)) = &self.hello else {
            return None;
        };
        let key = context
            .unwrap_or(&self.context)
            .certificate_for(accepted.client_hello())?;
        Some(key.cert.iter().map(|c| c.to_vec()).collect())
    }

    /// Server side, before [`Connection::decide`]: resume the session `data` (what an
    /// [`Event::NewSession`] gave, here or in another process) if the client offered
    /// its id ([`ClientHello::session_id`]) and rustls finds it fit (same protocol
    /// version, suite and server name, not expired); else a full handshake follows.
    pub fn resume_with(&mut self, id: Vec<u8>, data: Vec<u8>) {
        if matches!(self.hello, Some(Hello::Waiting(_))) {
            self.resume = Some((id, data));
        }
    }

    /// Server side, before [`Connection::decide`]: staple `response` (DER of an
    /// OCSPResponse; not checked) to the certificate, Node's `OCSPRequest` answer. It
    /// goes out only if the client asked ([`ClientHello::ocsp_request`]).
    pub fn staple(&mut self, response: Vec<u8>) {
        if matches!(self.hello, Some(Hello::Waiting(_))) {
            self.staple = Some(response);
        }
    }

    /// rustls's `Acceptor` refused the ClientHello (or the chosen config): its alert,
    /// adjusted to OpenSSL's, goes out, then the error.
    fn fail_accepting(&mut self, e: rustls::Error, mut alert: rustls::server::AcceptedAlert) {
        let err = self.map_error(e);
        let mut queued = Vec::new();
        let _ = alert.write_all(&mut queued);
        self.adjust_alert(&err, &mut queued);
        self.pending_out.append(&mut queued);
        self.fail(err);
    }

    /// Server side, after [`Event::ClientHello`]: refuse the connection with `err`
    /// (Node's `SNICallback` error); nothing more is sent.
    pub fn refuse(&mut self, err: Error) {
        if matches!(self.hello, Some(Hello::Waiting(_))) {
            self.hello = None;
            self.fail(err);
        }
    }

    /// The transport was reset: during the handshake, Node's "socket disconnected"
    /// (`ECONNRESET`, with no `end`); after it, nothing here (the caller reports the
    /// reset as the socket's error).
    pub fn feed_reset(&mut self) {
        if self.state == State::Handshaking {
            let client = !self.is_server();
            self.fail(Error::EofDuringHandshake { client });
        }
    }

    /// The caller's clock now: what the next inputs are judged by (certificate dates,
    /// session and ticket ages).
    pub fn set_now(&mut self, now: Now) {
        self.wall = now.unix();
    }

    /// The transport reached end of file.
    pub fn feed_eof(&mut self) {
        match self.state {
            State::Closed => {}
            State::Handshaking => {
                let client = !self.is_server();
                if client {
                    // Node's client emits `end`, then the "disconnected" error.
                    self.events.push_back(Event::End);
                }
                self.fail(Error::EofDuringHandshake { client });
            }
            State::Open => {
                // A TCP FIN without close_notify after the handshake is a plain `end`,
                // as in Node.
                self.drain_plaintext();
                if !self.peer_ended {
                    self.peer_ended = true;
                    self.events.push_back(Event::End);
                }
            }
        }
    }

    /// Queues application data; before the handshake ends it waits for it. Returns
    /// `false` once the connection is closed or ended (the data is dropped).
    pub fn write(&mut self, data: &[u8]) -> bool {
        if self.state == State::Closed || self.ended || self.end_requested {
            return false;
        }
        if self.plain {
            self.pending_out.extend_from_slice(data);
            return true;
        }
        if self.state == State::Handshaking {
            self.early_plaintext += data.len();
        }
        // With no buffer limit, rustls takes everything.
        match self.tls.as_mut() {
            Some(tls) => write_fragmented(tls.writer(), data, self.max_send_fragment),
            None => {
                self.held_out.extend_from_slice(data);
                true
            }
        }
    }

    /// Bytes written but not yet available from [`Connection::poll_transmit`]: the
    /// plaintext held until the handshake ends. The caller adds what it has not sent.
    pub fn buffered(&self) -> usize {
        if self.plain {
            return self.pending_out.len();
        }
        match self.state {
            State::Handshaking => self.early_plaintext,
            _ => 0,
        }
    }

    /// Raise [`Event::KeyLog`] for this connection's secrets from now on (Node's
    /// `'keylog'` listener on a socket). A server connection past its handshake's start
    /// gets only the secrets derived after the call.
    pub fn watch_key_log(&mut self) {
        self.key_log_wanted = true;
        self.start_key_log();
    }

    /// Starts keeping this connection's key-log lines, once wanted and its ClientHello
    /// random is known.
    fn start_key_log(&mut self) {
        if self.key_log_watching || !self.key_log_wanted {
            return;
        }
        if self.client_random.is_none() && self.is_server() {
            self.client_random = hello_random(&self.first_flight);
        }
        if let Some(random) = self.client_random {
            context::keylog::watch(random);
            self.key_log_watching = true;
        }
    }

    /// The key-log lines rustls wrote for us since the last call, as events.
    fn drain_key_log(&mut self) {
        if let (true, Some(random)) = (self.key_log_watching, &self.client_random) {
            for line in context::keylog::take(random) {
                self.events.push_back(Event::KeyLog(line));
            }
        }
    }

    /// Node's `renegotiate()`, mapped onto what TLS 1.3 has: a KeyUpdate that asks the
    /// peer to update its keys too (rustls's `refresh_traffic_keys`); new keys, the same
    /// session and the same authentication. On TLS 1.2 (rustls has no renegotiation)
    /// and before the handshake is done it is an error, and nothing is sent.
    pub fn update_keys(&mut self) -> Result<(), Error> {
        if self.state != State::Open || self.ended {
            return Err(Error::Renegotiate("the TLS session is not established"));
        }
        if !self.protocol_is_tls13() {
            return Err(Error::Renegotiate(
                "TLS 1.2 renegotiation is not supported (rustls has none); on TLS 1.3 \
                 renegotiate() updates the keys",
            ));
        }
        let tls = self.tls.as_mut().expect("open connections have one");
        tls.refresh_traffic_keys().map_err(Error::tls)
    }

    /// Node's `setMaxSendFragment(size)`: from now on no record we send carries more
    /// than `size` bytes of plaintext (the handshake's own messages aside). Returns
    /// `false`, changing nothing, outside OpenSSL's bounds,
    /// [`MIN_SEND_FRAGMENT`]..=[`MAX_FRAGMENT`].
    pub fn set_max_send_fragment(&mut self, size: usize) -> bool {
        if !(MIN_SEND_FRAGMENT..=MAX_FRAGMENT).contains(&size) {
            return false;
        }
        self.max_send_fragment = size;
        true
    }

    /// Node's `end()`: send close_notify after any queued data.
    pub fn end(&mut self) {
        match self.state {
            // Node queues `end()` like a write: it takes effect after the handshake.
            State::Handshaking => self.end_requested = true,
            State::Open if !self.ended => {
                self.ended = true;
                if let Some(tls) = self.tls.as_mut() {
                    tls.send_close_notify();
                }
            }
            _ => {}
        }
    }

    /// Whether our close_notify is queued: after it, the transport's write side may be
    /// shut once the queued bytes are sent.
    pub fn is_ended(&self) -> bool {
        self.ended
    }

    /// Time has reached `now`: enforce `handshakeTimeout`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Handshaking && self.deadline.is_some_and(|d| now >= d) {
            self.fail(Error::HandshakeTimeout);
        }
    }

    // ----- output -----

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        // Node: nothing after a `newSession` until its callback (what came before it,
        // e.g. a TLS 1.3 `secureConnection`, still comes out).
        let waiting = self.sessions_unanswered > 0
            && !self
                .events
                .iter()
                .any(|e| matches!(e, Event::NewSession { .. }));
        if waiting {
            return None;
        }
        self.events.pop_front()
    }

    /// Appends the bytes to send to `out`; returns how many.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> usize {
        if self.discard_output || (self.sessions_unanswered > 0 && !self.is_closed()) {
            return 0;
        }
        let before = out.len();
        out.append(&mut self.pending_out);
        if let Some(tls) = self.tls.as_mut() {
            while tls.wants_write() {
                if tls.write_tls(out).is_err() {
                    break;
                }
            }
        }
        out.len() - before
    }

    /// When [`Connection::handle_timeout`] must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Handshaking => self.deadline,
            _ => None,
        }
    }

    /// Whether the connection is finished: an error happened or it was rejected. (A
    /// clean close is the caller's to decide: both sides ended.)
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the handshake is complete and the connection usable.
    pub fn is_secure(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the peer has ended its side.
    pub fn peer_ended(&self) -> bool {
        self.peer_ended
    }

    // ----- properties (Node's TLSSocket getters) -----

    /// `authorized`: the peer's certificate chains to a trusted CA (and, on a client,
    /// names the host). Always `false` on a server without `requestCert`, as in Node.
    pub fn authorized(&self) -> bool {
        self.authorized
    }

    /// `authorizationError`: why the peer is not authorized.
    pub fn authorization_error(&self) -> Option<&Error> {
        self.authorization_error.as_ref()
    }

    /// The peer's certificate chain, leaf first (DER); empty when none was sent.
    pub fn peer_certificates(&self) -> &[CertificateDer<'static>] {
        self.tls
            .as_ref()
            .and_then(|t| t.peer_certificates())
            .unwrap_or_default()
    }

    /// The peer's chain as Node's `getPeerCertificate(true)` walks it: what the peer sent,
    /// then issuers from our trusted certificates up to a root.
    pub fn peer_chain_detailed(&self) -> Vec<CertificateDer<'static>> {
        self.context.complete_chain(self.peer_certificates())
    }

    /// `getCipher()`: the negotiated suite, named as OpenSSL and IANA name it.
    pub fn cipher(&self) -> Option<Cipher> {
        let suite = self.tls.as_ref()?.negotiated_cipher_suite()?;
        let id = suite.suite();
        Some(Cipher {
            name: context::openssl_name(id)?,
            standard_name: context::standard_name(id)?,
            version: match suite {
                rustls::SupportedCipherSuite::Tls13(_) => "TLSv1.3",
                rustls::SupportedCipherSuite::Tls12(_) => "TLSv1.2",
            },
        })
    }

    /// `getProtocol()`: `"TLSv1.2"` or `"TLSv1.3"`.
    pub fn protocol(&self) -> Option<&'static str> {
        match self.tls.as_ref()?.protocol_version()? {
            ProtocolVersion::TLSv1_3 => Some("TLSv1.3"),
            ProtocolVersion::TLSv1_2 => Some("TLSv1.2"),
            _ => None,
        }
    }

    /// `alpnProtocol`: the negotiated ALPN protocol.
    pub fn alpn_protocol(&self) -> Option<&[u8]> {
        self.tls.as_ref()?.alpn_protocol()
    }

    /// `servername`: on a server the SNI name the client sent; on a client the one we sent.
    pub fn servername(&self) -> Option<&str> {
        match (&self.tls, &self.side) {
            (Some(rustls::Connection::Server(s)), _) => s.server_name(),
            (_, Side::Client(o)) => o
                .servername
                .as_deref()
                .filter(|n| DnsName::try_from(*n).is_ok()),
            _ => None,
        }
    }

    /// Client side: the destination whose sessions this connection uses.
    pub fn destination(&self) -> Option<Destination> {
        if self.plain {
            return None;
        }
        match &self.side {
            Side::Client(o) => Some(o.session_of.clone().unwrap_or_else(|| Destination {
                host: o.host.clone(),
                port: o.port,
                servername: o.servername.clone(),
            })),
            Side::Server(_) => None,
        }
    }

    /// Client side, `getTLSTicket()`: the ticket a TLS 1.2 server sent in this
    /// handshake (read off the wire: its NewSessionTicket goes in the clear). `None` for
    /// TLS 1.3, whose tickets come encrypted and which rustls keeps to itself.
    pub fn tls12_ticket(&self) -> Option<&[u8]> {
        self.tls12_ticket.as_deref()
    }

    /// `isSessionReused()`.
    pub fn session_reused(&self) -> bool {
        self.tls.as_ref().and_then(|t| t.handshake_kind()) == Some(HandshakeKind::Resumed)
    }

    /// Whether this is the server end.
    pub fn is_server(&self) -> bool {
        matches!(self.side, Side::Server(_))
    }

    /// How this connection judges its peer: (`requestCert`, `rejectUnauthorized`). A
    /// client always checks the server's certificate (`requestCert` true).
    pub fn peer_checks(&self) -> (bool, bool) {
        match &self.side {
            Side::Client(options) => (true, options.reject_unauthorized),
            Side::Server(options) => (options.request_cert, options.reject_unauthorized),
        }
    }

    // ----- internals -----

    fn after_packets(&mut self) {
        let handshaking = self.tls.as_ref().is_none_or(|t| t.is_handshaking());
        if self.state == State::Handshaking && !handshaking {
            self.handshake_done();
        }
        if self.state == State::Open {
            self.drain_plaintext();
        }
    }

    fn handshake_done(&mut self) {
        self.state = State::Open;
        self.first_flight = Vec::new();
        let now = self.wall;
        let chain = self.peer_certificates().to_vec();
        match &self.side {
            Side::Client(options) => {
                if options.request_ocsp {
                    // OpenSSL reports the status on every full handshake, and on a
                    // resumed TLS 1.3 one (where no certificate, so no staple, came).
                    let resumed = self.session_reused();
                    let tls13 = self.tls.as_ref().and_then(|t| t.protocol_version())
                        == Some(ProtocolVersion::TLSv1_3);
                    if !resumed || tls13 {
                        let staple = self.ocsp_response.take().filter(|r| !r.is_empty());
                        self.events.push_back(Event::OcspResponse(staple));
                    }
                }
                let mut verdict = self
                    .context
                    .verify_peer(&chain, now, Purpose::Server)
                    .map_err(Error::Verify);
                // The host check runs on resumed sessions too (Node skips it there; our
                // sessions resume automatically, so we never trust a session's host).
                if verdict.is_ok() {
                    verdict = check_identity(options, &chain);
                }
                let reject = options.reject_unauthorized;
                if let Err(e) = verdict {
                    if reject {
                        // Node destroys the socket with the error: no alert, and not even
                        // our Finished goes out (the server sees a reset handshake).
                        self.state = State::Closed;
                        self.discard_output = true;
                        self.events.push_back(Event::Error(e));
                        return;
                    }
                    self.authorization_error = Some(e);
                } else {
                    self.authorized = true;
                }
            }
            Side::Server(options) => {
                if options.request_cert {
                    if let Err(code) = self.context.verify_peer(&chain, now, Purpose::Client) {
                        if options.reject_unauthorized {
                            // Node destroys the socket before `secureConnection`, which
                            // shows as a `clientError` ECONNRESET "socket hang up"; in TLS
                            // 1.2 our Finished is never sent.
                            self.state = State::Closed;
                            self.discard_output = true;
                            self.events
                                .push_back(Event::Error(Error::ClientRejected(code)));
                            return;
                        }
                        self.authorization_error = Some(Error::Verify(code));
                    } else {
                        self.authorized = true;
                    }
                }
            }
        }
        self.events.push_back(Event::Secure);
        for _ in 0..std::mem::take(&mut self.sessions_owed) {
            self.events.push_back(Event::Session);
        }
        if std::mem::take(&mut self.end_requested) {
            self.end();
        }
    }

    fn drain_plaintext(&mut self) {
        if self.state != State::Open {
            return;
        }
        loop {
            let Some(tls) = self.tls.as_mut() else {
                return;
            };
            // One `Data` per record, as Node's one 'data' per SSL_read: a handler that
            // ends or destroys the socket sees the records after it not delivered.
            let mut reader = tls.reader();
            match reader.fill_buf() {
                Ok([]) => {
                    if !self.peer_ended {
                        self.peer_ended = true;
                        self.events.push_back(Event::End);
                    }
                    return;
                }
                Ok(record) => {
                    let data = record.to_vec();
                    reader.consume(data.len());
                    self.events.push_back(Event::Data(data));
                }
                Err(_) => return,
            }
        }
    }

    /// Where OpenSSL sends another alert than rustls for the same failure, rewrites the
    /// queued plaintext alert so the peer sees what a Node server would send:
    /// `handshake_failure` for a missing required client certificate in TLS 1.2
    /// (rustls sends TLS 1.3's `certificate_required`) and when no certificate fits the
    /// client's suites (OpenSSL's "no shared cipher"; rustls sends `access_denied`).
    /// Encrypted alerts are left alone.
    fn adjust_alert(&self, err: &Error, queued: &mut [u8]) {
        let tls12 =
            self.tls.as_ref().and_then(|t| t.protocol_version()) == Some(ProtocolVersion::TLSv1_2);
        let wanted = match err {
            Error::UnsupportedProtocol | Error::VersionTooLow => {
                // OpenSSL answers in the client's version; SSLv3 has no
                // protocol_version alert: handshake_failure (measured against Node 20)
                let version = hello::old_client_version(&self.first_flight).unwrap_or(0x0303);
                if let [.., 0x15, major, minor, 0x00, 0x02, 0x02, description] = queued {
                    [*major, *minor] = version.to_be_bytes();
                    *description = if version == 0x0300 { 40 } else { 70 };
                }
                return;
            }
            Error::Tls(error::TlsError(rustls::Error::NoCertificatesPresented)) if tls12 => {
                AlertDescription::HandshakeFailure
            }
            Error::Tls(error::TlsError(e)) if error::is_no_certificate_resolved(e) => {
                AlertDescription::HandshakeFailure
            }
            Error::HelloRefused { .. } => AlertDescription::HandshakeFailure,
            _ => return,
        };
        // A plaintext alert record: type 21, version 3.x, length 2, level, description.
        if let [.., 0x15, 0x03, _, 0x00, 0x02, 0x02, description] = queued {
            *description = u8::from(wanted);
        }
    }

    /// A fatal error: whatever alert rustls queued stays in the transmit queue.
    fn fail(&mut self, err: Error) {
        // Node's client with a write pending when the handshake fails on a protocol
        // error reports it from the write: `EPROTO`, "write EPROTO ..." (measured).
        let err = match err {
            Error::NotTls { .. }
            | Error::AlertReceived(_)
            | Error::Tls(_)
            | Error::CipherOperationFailed
            | Error::UnsupportedProtocol
            | Error::VersionTooLow
                if !self.is_server()
                    && self.state == State::Handshaking
                    && self.early_plaintext > 0 =>
            {
                Error::WriteEproto(Box::new(err))
            }
            other => other,
        };
        self.state = State::Closed;
        self.events.push_back(Event::Error(err));
    }
}

/// How a server asks for client certificates (`requestCert`, `rejectUnauthorized`).
fn server_auth(options: &ServerOptions) -> ClientAuth {
    match (options.request_cert, options.reject_unauthorized) {
        (false, _) => ClientAuth::None,
        (true, false) => ClientAuth::Request,
        (true, true) => ClientAuth::Require,
    }
}

/// The host check, Node's `checkServerIdentity` or the caller's, against
/// `servername || host` (`localhost` when both are empty, as Node).
fn check_identity(options: &ClientOptions, chain: &[CertificateDer<'static>]) -> Result<(), Error> {
    let Some(leaf) = chain.first() else {
        return Ok(());
    };
    let servername = options.servername.as_deref().filter(|s| !s.is_empty());
    let name = servername.unwrap_or(&options.host);
    let name = if name.is_empty() { "localhost" } else { name };
    match &options.check_server_identity {
        Some(check) => (check.0)(name, chain),
        None => check_server_identity(name, leaf),
    }
}

/// The part of a server's first flight kept for reading the ClientHello ourselves
/// ([`hello`], [`screen`]): two records of the longest OpenSSL reads.
const FIRST_FLIGHT_MAX: usize = 2 * (5 + 16_707);
/// The longest SSLv2-format record OpenSSL 3 does not call "encrypted length too
/// long" (2^14 + 320, read whole first), measured against Node 20.
const SSLV2_ENCRYPTED_MAX: usize = 16_704;
/// The shortest it calls "packet length too long" at once, from the header (measured:
/// its read buffer's room less SSLv2's 2-byte header).
const SSLV2_PACKET_MAX: usize = 16_711;

/// Whether an SSLv2 CLIENT-HELLO (`head`: its first five bytes, `body`: the rest)
/// offers a TLS suite with RSA key exchange from Node 20's default list: OpenSSL then
/// picks it and finds no signature algorithm for the certificate; without one it finds
/// no shared cipher (measured).
fn sslv2_offers_rsa_key_exchange(head: &[u8], body: &[u8]) -> bool {
    const RSA_KX: [u16; 6] = [0x002f, 0x0035, 0x003c, 0x003d, 0x009c, 0x009d];
    let whole: Vec<u8> = head.iter().chain(body).copied().collect();
    let specs_len = whole
        .get(5..7)
        .map_or(0, |b| usize::from(u16::from_be_bytes([b[0], b[1]])));
    whole
        .get(11..11 + specs_len)
        .unwrap_or_default()
        .chunks_exact(3)
        .any(|c| c[0] == 0 && RSA_KX.contains(&u16::from_be_bytes([c[1], c[2]])))
}

/// Recognizes a first flight that is not TLS: OpenSSL says "http request" for an HTTP
/// request line and "wrong version number" for any other non-handshake record.
fn not_tls(head: &[u8]) -> Option<&'static str> {
    // OpenSSL 3's `ssl3_get_record`, on either side (measured against Node 20: DELETE,
    // OPTIONS and PATCH are a "wrong version number", and so is "POSTX").
    const METHODS: [&[u8]; 4] = [b"GET ", b"POST ", b"HEAD ", b"PUT "];
    if METHODS.iter().any(|m| head.starts_with(m)) {
        return Some("http request");
    }
    if head.starts_with(b"CONNE") {
        return Some("https proxy request");
    }
    if head.get(1) != Some(&3) {
        return Some("wrong version number");
    }
    // OpenSSL reads a first record of up to 16707 bytes (its read buffer) whatever its
    // type, and refuses a longer one (measured against Node 20)
    let length = u16::from_be_bytes([*head.get(3)?, *head.get(4)?]);
    if length > 16707 {
        return Some("packet length too long");
    }
    // a record of no known type: read whole, then refused (see `feed`)
    None
}

#[cfg(test)]
mod tests;
