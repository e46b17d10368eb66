//! The server's external session cache: Node's `'newSession'` and `'resumeSession'`
//! events, each answered now or later.

use crate::event_loop::{Emit, Shared, State};
use std::rc::Weak;

/// The answer to one `'resumeSession'` (Node's `callback`); use it now or keep it and
/// answer later (the handshake waits, reading nothing past the client's first
/// flight). Dropping it unanswered leaves the connection to its `handshakeTimeout`.
#[derive(Debug)]
pub struct ResumeReply {
    ev: Weak<Shared>,
    sid: usize,
    id: usize,
    session_id: Vec<u8>,
    servername: Option<String>,
}

impl ResumeReply {
    pub(crate) fn new(
        ev: Weak<Shared>,
        (sid, id): (usize, usize),
        session_id: Vec<u8>,
        servername: Option<String>,
    ) -> Self {
        Self {
            ev,
            sid,
            id,
            session_id,
            servername,
        }
    }

    /// `cb(null, sessionData)`: resume this session (the bytes a `'newSession'` gave,
    /// in this process or another) if it fits the handshake (same protocol version,
    /// suite and server name, not expired); else a full handshake follows, no error.
    pub fn session(mut self, data: impl Into<Vec<u8>>) {
        let session_id = std::mem::take(&mut self.session_id);
        let data = data.into();
        self.answer(|state, id| {
            if let Some(s) = state.sockets.get_mut(&id) {
                s.tls.resume_with(session_id, data);
            }
        });
    }

    /// `cb(null, null)`: not found; a full handshake follows.
    pub fn not_found(self) {
        self.answer(|_, _| {});
    }

    /// `cb(err)`: refuse the connection; `'clientError'` gets this code and message.
    pub fn error(self, code: impl Into<String>, message: impl Into<String>) {
        crate::sni::refuse(&self.ev, self.id, code.into(), message.into());
    }

    /// Applies `f`, then the decision goes on to SNI.
    fn answer(self, f: impl FnOnce(&mut State, usize)) {
        let Some(shared) = self.ev.upgrade() else {
            return;
        };
        let mut state = shared.state.borrow_mut();
        f(&mut state, self.id);
        let next = Emit::ClientHello(self.sid, self.id, self.servername, None);
        state.queue.push_back(next);
    }
}

/// Node's `callback` of one `'newSession'`: call [`SessionDone::done`] once the
/// session is stored; until then the connection sends nothing and raises nothing more
/// (Node's rule). Dropping it uncalled leaves the connection stalled.
#[derive(Debug)]
pub struct SessionDone {
    ev: Weak<Shared>,
    id: usize,
}

impl SessionDone {
    pub(crate) fn new(ev: Weak<Shared>, id: usize) -> Self {
        Self { ev, id }
    }

    /// The session is stored: the connection goes on.
    pub fn done(self) {
        if let Some(shared) = self.ev.upgrade() {
            crate::sni::decide(&mut shared.state.borrow_mut(), self.id, |tls| {
                tls.new_session_done()
            });
        }
    }
}
