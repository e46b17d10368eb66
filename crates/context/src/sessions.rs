//! The client's session store: rustls's in-memory cache, counting what it stores so
//! connections can emit Node's `'session'` event.
//!
//! The store is shared by every connection of a context (that is how sessions resume);
//! each insertion is reported (see [`crate::reports`]) to the connection whose packet
//! processing made it.

use rustls::client::Tls13ClientSessionValue;
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue};
use rustls::pki_types::ServerName;
use rustls::NamedGroup;

fn count() {
    crate::reports::report(|r| r.sessions_stored += 1);
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
