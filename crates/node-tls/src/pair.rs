//! `tls.createSecurePair()`: a TLS engine with two streams and no socket. What is
//! written to `cleartext` comes out of `encrypted` sealed, what is written to
//! `encrypted` (the peer's records) comes out of `cleartext` opened. The caller moves
//! the encrypted bytes (to a socket, a pipe, another pair); nothing here does I/O or
//! needs an event loop.
//!
//! Handlers run synchronously, from inside the write (or the `on_data` registration)
//! that produced their data; they may write to this pair or another (two pairs wired
//! back to back is a complete handshake in memory).

use crate::Error;
use context::SecureContext;
use std::cell::RefCell;
use std::rc::Rc;

type DataHandler = Box<dyn FnMut(&[u8])>;
type PairHandler = Box<dyn FnMut(&SecurePair)>;
type ErrorHandler = Box<dyn FnMut(&SecurePair, &Error)>;
type EndHandler = Box<dyn FnMut()>;

#[derive(Default)]
struct Handlers {
    secure: Vec<PairHandler>,
    error: Vec<ErrorHandler>,
    cleartext_data: Vec<DataHandler>,
    cleartext_end: Vec<EndHandler>,
    encrypted_data: Vec<DataHandler>,
}

struct PairState {
    tls: tls_core::Connection,
    handlers: Handlers,
    /// Opened bytes that came before any `cleartext` data handler.
    cleartext_unread: Vec<u8>,
    /// Sealed bytes that came before any `encrypted` data handler.
    encrypted_unread: Vec<u8>,
    /// A pump is running: a nested one (a handler writing) only queues work.
    pumping: bool,
    again: bool,
    cleartext_written: u64,
    encrypted_written: u64,
}

/// Node's `SecurePair`: a cheap handle (clone it into handlers).
#[derive(Clone)]
pub struct SecurePair {
    state: Rc<RefCell<PairState>>,
}

/// One of a pair's two streams ([`SecurePair::cleartext`], [`SecurePair::encrypted`]):
/// Node's `CryptoStream`.
#[derive(Clone)]
pub struct CryptoStream {
    pair: SecurePair,
    encrypted: bool,
}

/// `tls.createSecurePair([context][, isServer][, requestCert][, rejectUnauthorized])`.
/// `context` defaults to an empty one (a client trusting the default roots); a server
/// needs one with a certificate. As in Node, a client pair checks the server's chain
/// but not its host name (there is none: call [`crate::check_server_identity`] on
/// [`SecurePair::peer_certificate`] in `'secure'`), and a rejected peer is an `'error'`
/// (`rejectUnauthorized`; on a server only with `requestCert`).
pub fn create_secure_pair(
    context: Option<SecureContext>,
    is_server: bool,
    request_cert: bool,
    reject_unauthorized: bool,
) -> Result<SecurePair, Error> {
    let context = match context {
        Some(context) => context,
        None => context::create_secure_context(&Default::default())?,
    };
    let tls = if is_server {
        if !context.has_credentials() {
            let why = "a server pair needs a context with a certificate";
            return Err(context::ContextError::new("context", why)
                .with_code("ERR_MISSING_OPTION")
                .into());
        }
        let options = tls_core::ServerOptions {
            request_cert,
            reject_unauthorized,
            ..Default::default()
        };
        tls_core::Connection::server(&context, options, tls_core::Now::system())?
    } else {
        let mut options = tls_core::ClientOptions::new("");
        options.reject_unauthorized = reject_unauthorized;
        // Node's SecurePair checks no host name
        options.check_server_identity =
            Some(tls_core::IdentityCheck(std::sync::Arc::new(|_, _| Ok(()))));
        tls_core::Connection::client(&context, options, tls_core::Now::system())?
    };
    Ok(SecurePair {
        state: Rc::new(RefCell::new(PairState {
            tls,
            handlers: Handlers::default(),
            cleartext_unread: Vec::new(),
            encrypted_unread: Vec::new(),
            pumping: false,
            again: false,
            cleartext_written: 0,
            encrypted_written: 0,
        })),
    })
}

/// What one pump found, to hand to the handlers with no borrow held.
enum Out {
    Secure,
    Error(Error),
    Clear(Vec<u8>),
    End,
    Sealed(Vec<u8>),
}

impl SecurePair {
    /// `pair.cleartext`: write plaintext here, read the peer's plaintext here.
    pub fn cleartext(&self) -> CryptoStream {
        CryptoStream {
            pair: self.clone(),
            encrypted: false,
        }
    }

    /// `pair.encrypted`: the TLS records, to carry to the peer and from it.
    pub fn encrypted(&self) -> CryptoStream {
        CryptoStream {
            pair: self.clone(),
            encrypted: true,
        }
    }

    /// `'secure'`: the handshake is done (and the peer accepted, if it is checked).
    pub fn on_secure(&self, f: impl FnMut(&SecurePair) + 'static) -> &Self {
        self.state.borrow_mut().handlers.secure.push(Box::new(f));
        self
    }

    /// `'error'`: the session failed (a refused certificate, a protocol error).
    pub fn on_error(&self, f: impl FnMut(&SecurePair, &Error) + 'static) -> &Self {
        self.state.borrow_mut().handlers.error.push(Box::new(f));
        self
    }

    /// `cleartext.authorized`.
    pub fn authorized(&self) -> bool {
        self.state.borrow().tls.authorized()
    }

    /// `cleartext.authorizationError`.
    pub fn authorization_error(&self) -> Option<String> {
        self.state
            .borrow()
            .tls
            .authorization_error()
            .map(|e| e.code())
    }

    /// `cleartext.getPeerCertificate()`: the peer's certificate object.
    pub fn peer_certificate(&self) -> Option<context::PeerCertificate> {
        let state = self.state.borrow();
        let leaf = state.tls.peer_certificates().first()?;
        context::describe(leaf.as_ref()).ok()
    }

    /// `cleartext.getProtocol()`.
    pub fn protocol(&self) -> Option<&'static str> {
        self.state.borrow().tls.protocol()
    }

    /// Runs the engine until it has nothing more to say, then calls the handlers.
    fn pump(&self) {
        {
            let mut state = self.state.borrow_mut();
            if state.pumping {
                state.again = true;
                return;
            }
            state.pumping = true;
        }
        loop {
            let outs = self.collect();
            if outs.is_empty() {
                let mut state = self.state.borrow_mut();
                if !std::mem::take(&mut state.again) {
                    state.pumping = false;
                    return;
                }
                continue;
            }
            for out in outs {
                self.dispatch(out);
            }
        }
    }

    /// The engine's output since the last pump, as handler calls to make.
    fn collect(&self) -> Vec<Out> {
        let mut state = self.state.borrow_mut();
        let state = &mut *state;
        let mut outs = Vec::new();
        while let Some(event) = state.tls.poll_event() {
            match event {
                tls_core::Event::Secure => outs.push(Out::Secure),
                tls_core::Event::Data(data) => outs.push(Out::Clear(data)),
                tls_core::Event::End => outs.push(Out::End),
                tls_core::Event::Error(e) => outs.push(Out::Error(e.into())),
                _ => {}
            }
        }
        // what waited for a handler, once there is one
        if !state.handlers.cleartext_data.is_empty() && !state.cleartext_unread.is_empty() {
            outs.insert(0, Out::Clear(std::mem::take(&mut state.cleartext_unread)));
        }
        let mut sealed = Vec::new();
        if !state.handlers.encrypted_data.is_empty() {
            sealed = std::mem::take(&mut state.encrypted_unread);
        }
        let before = sealed.len();
        state.tls.poll_transmit(&mut sealed);
        state.encrypted_written += (sealed.len() - before) as u64;
        if !sealed.is_empty() {
            // what the peer needs goes first: a Finished before the data it unlocks
            outs.insert(0, Out::Sealed(sealed));
        }
        outs
    }

    fn dispatch(&self, out: Out) {
        match out {
            Out::Secure => self.call(|h| &mut h.secure, |f, pair| f(pair)),
            Out::Error(err) => self.call(|h| &mut h.error, |f, pair| f(pair, &err)),
            Out::End => self.call(|h| &mut h.cleartext_end, |f, _| f()),
            Out::Clear(data) => {
                if self.state.borrow().handlers.cleartext_data.is_empty() {
                    self.state
                        .borrow_mut()
                        .cleartext_unread
                        .extend_from_slice(&data);
                } else {
                    self.call(|h| &mut h.cleartext_data, |f, _| f(&data));
                }
            }
            Out::Sealed(data) => {
                if self.state.borrow().handlers.encrypted_data.is_empty() {
                    self.state
                        .borrow_mut()
                        .encrypted_unread
                        .extend_from_slice(&data);
                } else {
                    self.call(|h| &mut h.encrypted_data, |f, _| f(&data));
                }
            }
        }
    }

    /// Calls the handlers in `pick` with no borrow held (they may use the pair), then
    /// puts them back before any added meanwhile.
    fn call<H: ?Sized>(
        &self,
        pick: fn(&mut Handlers) -> &mut Vec<Box<H>>,
        mut call: impl FnMut(&mut Box<H>, &SecurePair),
    ) {
        let mut taken = std::mem::take(pick(&mut self.state.borrow_mut().handlers));
        for h in taken.iter_mut() {
            call(h, self);
        }
        let mut state = self.state.borrow_mut();
        let added = std::mem::replace(pick(&mut state.handlers), taken);
        pick(&mut state.handlers).extend(added);
    }
}

impl CryptoStream {
    /// `write(data)`: plaintext to seal (`cleartext`; before the handshake it waits
    /// for it), or the peer's records to open (`encrypted`). Returns `false` once the
    /// session is over.
    pub fn write(&self, data: &[u8]) -> bool {
        let ok = {
            let mut state = self.pair.state.borrow_mut();
            if self.encrypted {
                state.tls.feed(data);
                !state.tls.is_closed()
            } else {
                state.cleartext_written += data.len() as u64;
                state.tls.write(data)
            }
        };
        self.pair.pump();
        ok
    }

    /// `end()`: `cleartext` sends close_notify (after what was written); `encrypted`
    /// says the peer's records are over (its transport closed).
    pub fn end(&self) {
        {
            let mut state = self.pair.state.borrow_mut();
            if self.encrypted {
                state.tls.feed_eof();
            } else {
                state.tls.end();
            }
        }
        self.pair.pump();
    }

    /// `'data'`: opened plaintext (`cleartext`) or records to send (`encrypted`); what
    /// came before the first handler is given to it now.
    pub fn on_data(&self, f: impl FnMut(&[u8]) + 'static) -> &Self {
        {
            let mut state = self.pair.state.borrow_mut();
            if self.encrypted {
                state.handlers.encrypted_data.push(Box::new(f));
            } else {
                state.handlers.cleartext_data.push(Box::new(f));
            }
        }
        // what waited (a client's ClientHello, made at creation) is handed over now
        self.pair.pump();
        self
    }

    /// `'end'` (`cleartext`): the peer sent close_notify, or its records ended.
    pub fn on_end(&self, f: impl FnMut() + 'static) -> &Self {
        self.pair
            .state
            .borrow_mut()
            .handlers
            .cleartext_end
            .push(Box::new(f));
        self
    }

    /// `cryptoStream.bytesWritten`: bytes written to this stream (`cleartext`:
    /// plaintext given to seal) or produced by it (`encrypted`: records sealed).
    pub fn bytes_written(&self) -> u64 {
        let state = self.pair.state.borrow();
        if self.encrypted {
            state.encrypted_written
        } else {
            state.cleartext_written
        }
    }
}
