//! The client's session store: rustls's in-memory cache, counting what it stores so
//! connections can emit Node's `'session'` event.
//!
//! The store is shared by every connection of a context (that is how sessions resume),
//! and rustls calls it from inside a connection's packet processing, on the caller's
//! thread. A per-thread counter therefore tells the connection being processed that it
//! just delivered a session, without any per-connection state in the shared store.

use rustls::client::Tls13ClientSessionValue;
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue};
use rustls::pki_types::ServerName;
use rustls::NamedGroup;
use std::cell::Cell;

thread_local! {
    static STORED: Cell<u64> = const { Cell::new(0) };
}

/// How many client sessions (TLS 1.2 sessions or TLS 1.3 tickets) connections running
/// on this thread have stored so far. Read it before and after feeding a client
/// connection: the difference is the number of `'session'` events it owes.
pub fn sessions_stored_on_this_thread() -> u64 {
    STORED.with(Cell::get)
}

fn count() {
    STORED.with(|c| c.set(c.get().wrapping_add(1)));
}

/// rustls's memory cache with a counter on the two insertions. Each store serves one
/// destination (host, port, servername), so it files everything under one name:
/// rustls's own key (the SNI name, or an IP address) never decides which server a
/// session is offered to.
#[derive(Debug)]
pub(crate) struct CountingStore {
    inner: ClientSessionMemoryCache,
}

/// The one key of a per-destination store.
fn key() -> ServerName<'static> {
    ServerName::IpAddress(std::net::IpAddr::from([0, 0, 0, 0]).into())
}

impl CountingStore {
    /// Room for `size` servers' sessions, as rustls's own default store (256).
    pub(crate) fn new(size: usize) -> Self {
        Self {
            inner: ClientSessionMemoryCache::new(size),
        }
    }
}

impl ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, server_name: ServerName<'static>, group: NamedGroup) {
        let _ = server_name;
        self.inner.set_kx_hint(key(), group);
    }

    fn kx_hint(&self, server_name: &ServerName<'_>) -> Option<NamedGroup> {
        let _ = server_name;
        self.inner.kx_hint(&key())
    }

    fn set_tls12_session(&self, server_name: ServerName<'static>, value: Tls12ClientSessionValue) {
        count();
        let _ = server_name;
        self.inner.set_tls12_session(key(), value);
    }

    fn tls12_session(&self, server_name: &ServerName<'_>) -> Option<Tls12ClientSessionValue> {
        let _ = server_name;
        self.inner.tls12_session(&key())
    }

    fn remove_tls12_session(&self, server_name: &ServerName<'static>) {
        let _ = server_name;
        self.inner.remove_tls12_session(&key());
    }

    fn insert_tls13_ticket(
        &self,
        server_name: ServerName<'static>,
        value: Tls13ClientSessionValue,
    ) {
        count();
        let _ = server_name;
        self.inner.insert_tls13_ticket(key(), value);
    }

    fn take_tls13_ticket(
        &self,
        server_name: &ServerName<'static>,
    ) -> Option<Tls13ClientSessionValue> {
        let _ = server_name;
        self.inner.take_tls13_ticket(&key())
    }
}
