//! What rustls tells a connection from inside its callbacks: the shared session store
//! and certificate verifier of a context run inside one connection's packet
//! processing, on the caller's thread, and report here.
//!
//! The configs (and so the store and verifier) are shared by every connection of a
//! context (that is how sessions resume), so they cannot hold per-connection state.
//! Instead the connection opens a scope around each call into rustls with
//! [`collect`]; whatever the callbacks report inside it is that connection's, and
//! reports made outside any scope are dropped. A scope also carries inputs: the
//! connection's clock (every time rustls, the ticketer or the session stores read is
//! the scope's, so an engine can run on a virtual clock), and the session the
//! application found for this connection (Node's `resumeSession`), which the server's
//! session store then returns for that id.

use rustls::pki_types::UnixTime;
use std::cell::RefCell;

/// What one call into rustls reported.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Reports {
    /// Client side: sessions (TLS 1.2 sessions or TLS 1.3 tickets) stored: each is a
    /// `'session'` event owed.
    pub sessions_stored: u32,
    /// Client side: the server's certificate was presented, with this OCSP staple
    /// (`Some(empty)`: presented, nothing stapled).
    pub ocsp_response: Option<Vec<u8>>,
    /// Server side: sessions stored, `(id, data)`: a TLS 1.2 session id or a TLS 1.3
    /// stateful ticket, and the session's encoding (Node's `newSession`).
    pub new_sessions: Vec<(Vec<u8>, Vec<u8>)>,
    /// Server side, an input: `(id, data)` the store returns when asked for `id`
    /// (Node's `resumeSession` answer); taken when used.
    pub offered_session: Option<(Vec<u8>, Vec<u8>)>,
    /// An input: the time it is for this call (outside any scope, or without it,
    /// the system clock).
    pub now: Option<UnixTime>,
}

/// The open scope's time, else the system clock: what this crate's configs (rustls's
/// `TimeProvider`) and ticketer read.
pub(crate) fn now() -> UnixTime {
    report(|r| r.now).flatten().unwrap_or_else(UnixTime::now)
}

/// rustls's clock for our configs: [`now`].
#[derive(Debug)]
pub(crate) struct ScopedClock;

impl rustls::time_provider::TimeProvider for ScopedClock {
    fn current_time(&self) -> Option<UnixTime> {
        Some(now())
    }
}

thread_local! {
    static OPEN: RefCell<Option<Reports>> = const { RefCell::new(None) };
}

/// Runs `f` (a call into one connection's rustls state) and returns what the callbacks
/// reported meanwhile. Scopes nest: an inner scope's reports are its own.
pub fn collect<T>(f: impl FnOnce() -> T) -> (T, Reports) {
    collect_with(Reports::default(), f)
}

/// [`collect`], the scope starting as `initial` (with an `offered_session`).
pub fn collect_with<T>(initial: Reports, f: impl FnOnce() -> T) -> (T, Reports) {
    let outer = OPEN.with(|open| open.replace(Some(initial)));
    let value = f();
    let reports = OPEN.with(|open| open.replace(outer)).unwrap_or_default();
    (value, reports)
}

/// Adds to (or reads) the open scope's reports, if any.
pub(crate) fn report<R>(f: impl FnOnce(&mut Reports) -> R) -> Option<R> {
    OPEN.with(|open| open.borrow_mut().as_mut().map(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_stay_in_their_scope() {
        report(|r| r.sessions_stored += 1); // outside any scope: dropped
        let ((), outer) = collect(|| {
            report(|r| r.sessions_stored += 1);
            let (_, inner) = collect(|| report(|r| r.ocsp_response = Some(vec![1])));
            assert_eq!(inner.ocsp_response, Some(vec![1]));
            assert_eq!(inner.sessions_stored, 0);
            report(|r| r.sessions_stored += 1);
        });
        assert_eq!(outer.sessions_stored, 2);
        assert_eq!(outer.ocsp_response, None);
    }
}
