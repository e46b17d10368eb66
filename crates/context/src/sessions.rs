//! The session stores: rustls's in-memory caches, reporting what they store so
//! connections can emit Node's `'session'` (client) and `'newSession'` (server) events,
//! and, on the server, returning the session the application found (`resumeSession`).
//!
//! A store is shared by every connection of a context (that is how sessions resume);
//! each insertion is reported (see [`crate::reports`]) to the connection whose packet
//! processing made it.

use rustls::client::Tls13ClientSessionValue;
use rustls::client::{ClientSessionMemoryCache, ClientSessionStore, Tls12ClientSessionValue};
use rustls::pki_types::ServerName;
use rustls::server::{ServerSessionMemoryCache, StoresServerSessions};
use rustls::NamedGroup;
use std::sync::Arc;

fn count() {
    crate::reports::report(|r| r.sessions_stored += 1);
}

/// The server's session store (TLS 1.2 session ids, TLS 1.3 stateful tickets): rustls's
/// memory cache, reporting each new session to its connection (Node's `newSession`)
/// and answering first with the session the application offered for this connection
/// (Node's `resumeSession`).
#[derive(Debug)]
pub(crate) struct ServerStore {
    inner: Arc<dyn StoresServerSessions>,
}

impl ServerStore {
    /// Room for `size` sessions.
    pub(crate) fn new(size: usize) -> Self {
        Self {
            inner: ServerSessionMemoryCache::new(size),
        }
    }

    /// The offered session's data, if it is `key`'s (taken: used once).
    fn offered(key: &[u8]) -> Option<Vec<u8>> {
        crate::reports::report(|r| {
            r.offered_session
                .take_if(|(id, _)| id == key)
                .map(|(_, data)| data)
        })
        .flatten()
    }
}

impl StoresServerSessions for ServerStore {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        crate::reports::report(|r| r.new_sessions.push((key.clone(), value.clone())));
        self.inner.put(key, value)
    }

    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        Self::offered(key).or_else(|| self.inner.get(key))
    }

    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        Self::offered(key).or_else(|| self.inner.take(key))
    }

    fn can_cache(&self) -> bool {
        true
    }
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
