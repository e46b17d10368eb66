//! Node's event names, as one enum: logs and order tests use its `Display`.

use std::fmt;

/// An event a [`crate::Server`] or [`crate::TlsSocket`] emits; `Display` is Node's
/// name for it (`secureConnect`, `clientError`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventName {
    /// Server: `'listening'`.
    Listening,
    /// Server: `'connection'` (a client connected, before its handshake).
    Connection,
    /// Client socket: `'connect'` (TCP is up, before the handshake).
    Connect,
    /// Socket: `'secure'` (the handshake is done and accepted).
    Secure,
    /// Server: `'secureConnection'`.
    SecureConnection,
    /// Server: `'clientError'`.
    ClientError,
    /// Client socket: `'secureConnect'`.
    SecureConnect,
    /// Client socket: `'session'`.
    Session,
    /// Server: `'OCSPRequest'`.
    OcspRequest,
    /// Client socket: `'OCSPResponse'`.
    OcspResponse,
    /// Socket: `'data'`.
    Data,
    /// Socket: `'end'`.
    End,
    /// Socket: `'drain'`.
    Drain,
    /// Socket: `'timeout'`.
    Timeout,
    /// Socket or server: `'error'`.
    Error,
    /// Socket or server: `'close'`.
    Close,
}

impl EventName {
    /// Node's name of the event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Listening => "listening",
            Self::Connection => "connection",
            Self::Connect => "connect",
            Self::Secure => "secure",
            Self::SecureConnection => "secureConnection",
            Self::ClientError => "clientError",
            Self::SecureConnect => "secureConnect",
            Self::Session => "session",
            Self::OcspRequest => "OCSPRequest",
            Self::OcspResponse => "OCSPResponse",
            Self::Data => "data",
            Self::End => "end",
            Self::Drain => "drain",
            Self::Timeout => "timeout",
            Self::Error => "error",
            Self::Close => "close",
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::EventName;

    #[test]
    fn names_are_nodes() {
        let all = [
            (EventName::Listening, "listening"),
            (EventName::Connection, "connection"),
            (EventName::Connect, "connect"),
            (EventName::Secure, "secure"),
            (EventName::SecureConnection, "secureConnection"),
            (EventName::ClientError, "clientError"),
            (EventName::SecureConnect, "secureConnect"),
            (EventName::Session, "session"),
            (EventName::OcspRequest, "OCSPRequest"),
            (EventName::OcspResponse, "OCSPResponse"),
            (EventName::Data, "data"),
            (EventName::End, "end"),
            (EventName::Drain, "drain"),
            (EventName::Timeout, "timeout"),
            (EventName::Error, "error"),
            (EventName::Close, "close"),
        ];
        for (name, node) in all {
            assert_eq!(name.to_string(), node);
        }
    }
}
