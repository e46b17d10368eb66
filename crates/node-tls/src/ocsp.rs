//! The server's OCSP decision: Node's `'OCSPRequest'` event, answered now or later,
//! after the SNI decision and before the handshake goes on.

use crate::event_loop::{Emit, Shared, State};
use context::SecureContext;
use std::rc::Weak;

/// The SNI decision for connection `id` is `context` (`None`: the server's own):
/// raise `'OCSPRequest'` if the client asked for a staple and the server listens for
/// it, else go on with the handshake.
pub(crate) fn chosen(state: &mut State, id: usize, context: Option<SecureContext>) {
    let ask = state.sockets.get(&id).and_then(|s| {
        let sid = s.server?;
        let listens = state.servers.get(&sid)?.ocsp_handler.is_some();
        (s.ocsp_request && listens).then_some(sid)
    });
    match ask {
        Some(sid) => state.queue.push_back(Emit::OcspRequest(sid, id, context)),
        None => crate::sni::decide(state, id, |tls| tls.decide(context.as_ref())),
    }
}

/// The answer to one `'OCSPRequest'` (Node's `callback`); use it now or keep it and
/// answer later (the handshake waits, reading nothing past the client's first
/// flight). Dropping it unanswered leaves the connection to its `handshakeTimeout`.
#[derive(Debug)]
pub struct OcspReply {
    ev: Weak<Shared>,
    id: usize,
    context: Option<SecureContext>,
}

impl OcspReply {
    pub(crate) fn new(ev: Weak<Shared>, id: usize, context: Option<SecureContext>) -> Self {
        Self { ev, id, context }
    }

    /// `cb(null, response)`: staple `response` (the DER of an OCSPResponse; sent as
    /// given, not checked) to the certificate.
    pub fn staple(self, response: impl Into<Vec<u8>>) {
        let response = response.into();
        self.answer(|tls, context| {
            tls.staple(response);
            tls.decide(context);
        });
    }

    /// `cb(null, null)`: staple nothing and go on.
    pub fn no_staple(self) {
        self.answer(|tls, context| tls.decide(context));
    }

    /// `cb(err)`: refuse the connection; `'clientError'` gets this code and message.
    pub fn error(self, code: impl Into<String>, message: impl Into<String>) {
        crate::sni::refuse(&self.ev, self.id, code.into(), message.into());
    }

    fn answer(self, f: impl FnOnce(&mut tls_core::Connection, Option<&SecureContext>)) {
        let Some(shared) = self.ev.upgrade() else {
            return;
        };
        let context = self.context;
        crate::sni::decide(&mut shared.state.borrow_mut(), self.id, |tls| {
            f(tls, context.as_ref())
        });
    }
}
