//! What rustls tells a connection from inside its callbacks: the shared session store
//! and certificate verifier of a context run inside one connection's packet
//! processing, on the caller's thread, and report here.
//!
//! The configs (and so the store and verifier) are shared by every connection of a
//! context (that is how sessions resume), so they cannot hold per-connection state.
//! Instead the connection opens a scope around each call into rustls with
//! [`collect`]; whatever the callbacks report inside it is that connection's, and
//! reports made outside any scope are dropped.

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
}

thread_local! {
    static OPEN: RefCell<Option<Reports>> = const { RefCell::new(None) };
}

/// Runs `f` (a call into one connection's rustls state) and returns what the callbacks
/// reported meanwhile. Scopes nest: an inner scope's reports are its own.
pub fn collect<T>(f: impl FnOnce() -> T) -> (T, Reports) {
    let outer = OPEN.with(|open| open.replace(Some(Reports::default())));
    let value = f();
    let reports = OPEN.with(|open| open.replace(outer)).unwrap_or_default();
    (value, reports)
}

/// Adds to the open scope's reports, if any.
pub(crate) fn report(f: impl FnOnce(&mut Reports)) {
    OPEN.with(|open| {
        if let Some(reports) = open.borrow_mut().as_mut() {
            f(reports);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_stay_in_their_scope() {
        report(|r| r.sessions_stored += 1); // outside any scope: dropped
        let ((), outer) = collect(|| {
            report(|r| r.sessions_stored += 1);
            let ((), inner) = collect(|| report(|r| r.ocsp_response = Some(vec![1])));
            assert_eq!(inner.ocsp_response, Some(vec![1]));
            assert_eq!(inner.sessions_stored, 0);
            report(|r| r.sessions_stored += 1);
        });
        assert_eq!(outer.sessions_stored, 2);
        assert_eq!(outer.ocsp_response, None);
    }
}
