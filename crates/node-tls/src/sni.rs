//! The server's SNI decision: `server.addContext(hostname, context)` and
//! `SNICallback(servername, cb)`, answered now or later.

use crate::event_loop::{Shared, State};
use context::SecureContext;
use std::rc::Weak;

/// Node's `addContext` pattern match: the whole name, `*` standing for any run of
/// characters other than `.` (so `*.example.com` covers one label), compared without
/// case (SNI names are lowercased on the way in).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => {
                // `[^.]*`: try every length of a dot-free run
                let run = n.iter().take_while(|c| **c != b'.').count();
                (0..=run).any(|k| go(rest, &n[k..]))
            }
            Some((c, rest)) => n
                .split_first()
                .is_some_and(|(d, tail)| c.eq_ignore_ascii_case(d) && go(rest, tail)),
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// The first `addContext` entry whose pattern matches `name` (Node: in the order added).
pub(crate) fn find<'a>(
    contexts: &'a [(String, SecureContext)],
    name: &str,
) -> Option<&'a SecureContext> {
    contexts
        .iter()
        .find(|(pattern, _)| matches(pattern, name))
        .map(|(_, ctx)| ctx)
}

/// The answer to one `SNICallback` call; use it now or keep it and answer later (the
/// connection waits, reading nothing past its first flight). Dropping it unanswered
/// leaves the connection to its `handshakeTimeout`.
#[derive(Debug)]
pub struct SniReply {
    ev: Weak<Shared>,
    id: usize,
}

impl SniReply {
    pub(crate) fn new(ev: Weak<Shared>, id: usize) -> Self {
        Self { ev, id }
    }

    /// `cb(null, context)`: continue with `context` (its certificate, and its `ca` for
    /// a client certificate).
    pub fn context(self, context: &SecureContext) {
        self.choose(Some(context.clone()));
    }

    /// `cb(null, undefined)`: continue with the server's own context.
    pub fn default_context(self) {
        self.choose(None);
    }

    fn choose(self, context: Option<SecureContext>) {
        if let Some(shared) = self.ev.upgrade() {
            crate::ocsp::chosen(&mut shared.state.borrow_mut(), self.id, context);
        }
    }

    /// `cb(err)`: refuse the connection; `'clientError'` gets this code and message.
    pub fn error(self, code: impl Into<String>, message: impl Into<String>) {
        refuse(&self.ev, self.id, code.into(), message.into());
    }
}

/// A decision callback's `cb(err)`: connection `id` is refused, and `'clientError'`
/// gets this code and message.
pub(crate) fn refuse(ev: &Weak<Shared>, id: usize, code: String, message: String) {
    if let Some(shared) = ev.upgrade() {
        let err = tls_core::Error::Refused { code, message };
        decide(&mut shared.state.borrow_mut(), id, |tls| tls.refuse(err));
    }
}

/// Applies a decision to connection `id` and collects what it led to.
pub(crate) fn decide(state: &mut State, id: usize, f: impl FnOnce(&mut tls_core::Connection)) {
    let State { sockets, queue, .. } = state;
    if let Some(s) = sockets.get_mut(&id) {
        s.tls.set_now(tls_core::Now::system());
        f(&mut s.tls);
        s.collect_events(id, queue);
        state.mark_dirty(id);
    }
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn patterns_as_node_matches_them() {
        assert!(matches("a.example.com", "a.example.com"));
        assert!(matches("*.example.com", "a.example.com"));
        assert!(matches("*.example.com", "A.Example.COM"));
        assert!(!matches("*.example.com", "a.b.example.com"));
        assert!(!matches("*.example.com", "example.com"));
        assert!(matches("*.example.com", ".example.com")); // Node's [^.]* matches empty
        assert!(matches("a*.example.com", "abc.example.com"));
        assert!(!matches("a.example.com", "b.example.com"));
        assert!(!matches("example.com", "a.example.com"));
        assert!(matches("*", "localhost"));
        assert!(!matches("*", "a.b"));
    }
}
