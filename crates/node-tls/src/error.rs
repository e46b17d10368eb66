//! The facade's one error type, with Node's `err.code`.

use std::fmt;
use std::io;

/// An error as a Node user sees it: [`Error::code`] is Node's `err.code`
/// (`ECONNREFUSED`, `DEPTH_ZERO_SELF_SIGNED_CERT`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...)
/// and Display is close to `err.message`. `Debug` (what `fn main() -> Result<(), Box<dyn
/// Error>>` prints) shows both: `Error { code: "ECONNREFUSED", message: "connect ..." }`.
pub struct Error {
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Io {
        err: io::Error,
        context: String,
    },
    Tls(tls_core::Error),
    Config(context::ContextError),
    /// A stream misuse Node reports with an `ERR_STREAM_*` code.
    Stream {
        code: &'static str,
        message: &'static str,
    },
}

impl Error {
    pub(crate) fn io(err: io::Error, context: impl Into<String>) -> Self {
        Self {
            kind: Kind::Io {
                err,
                context: context.into(),
            },
        }
    }

    /// A stream's own error: Node's `code` and `message`.
    fn stream(code: &'static str, message: &'static str) -> Self {
        Self {
            kind: Kind::Stream { code, message },
        }
    }

    /// `write()` after `end()`: Node's `ERR_STREAM_WRITE_AFTER_END`.
    pub(crate) fn write_after_end() -> Self {
        Self::stream("ERR_STREAM_WRITE_AFTER_END", "write after end")
    }

    /// `write()` once the peer ended and so did we (`allowHalfOpen` false): Node's
    /// `writeAfterFIN`, `EPIPE`.
    pub(crate) fn write_after_fin() -> Self {
        Self::stream("EPIPE", "This socket has been ended by the other party")
    }

    /// A server's socket destroyed before its handshake was done: Node's
    /// `tlsClientError` for a TLS socket that closes early.
    pub(crate) fn hang_up() -> Self {
        Self::stream("ECONNRESET", "socket hang up")
    }

    /// `renegotiate()` after `disableRenegotiation()`: Node's code and message.
    pub(crate) fn renegotiation_disabled() -> Self {
        Self::stream(
            "ERR_TLS_RENEGOTIATION_DISABLED",
            "TLS session renegotiation disabled for this socket",
        )
    }

    /// `write()` once the TLS session failed after the handshake: Node's write gets
    /// `EPROTO` from its TLS layer.
    pub(crate) fn write_eproto() -> Self {
        Self::stream("EPROTO", "write EPROTO")
    }

    /// An error of the caller's own, with a `code` and a `message` (for a
    /// `checkServerIdentity` that refuses a server: Node's callback returns an `Error`).
    pub fn custom(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::from(tls_core::Error::Identity {
            code: code.into(),
            message: message.into(),
        })
    }

    /// As the engine's error: a TLS error as it is, any other by its code and message.
    pub(crate) fn into_tls(self) -> tls_core::Error {
        match self.kind {
            Kind::Tls(e) => e,
            _ => tls_core::Error::Identity {
                code: self.code(),
                message: self.to_string(),
            },
        }
    }

    /// Node's `err.code`.
    pub fn code(&self) -> String {
        match &self.kind {
            Kind::Stream { code, .. } => (*code).to_string(),
            Kind::Io { err, .. } => errno_name(err).to_string(),
            Kind::Tls(e) => e.code(),
            Kind::Config(e) => e.code().to_string(),
        }
    }

    /// A certificate trust or host-name failure (`rejectUnauthorized`).
    pub fn is_verify(&self) -> bool {
        matches!(&self.kind, Kind::Tls(e) if e.is_verify())
    }

    /// An option that could not be used (bad PEM, wrong passphrase, ...).
    pub fn is_config(&self) -> bool {
        matches!(self.kind, Kind::Config(_))
    }

    /// A transport error (connect, accept, read, write).
    pub fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io { .. })
    }

    /// The TLS error, when this is one.
    pub fn tls(&self) -> Option<&tls_core::Error> {
        match &self.kind {
            Kind::Tls(e) => Some(e),
            _ => None,
        }
    }
}

impl From<tls_core::Error> for Error {
    fn from(e: tls_core::Error) -> Self {
        Self { kind: Kind::Tls(e) }
    }
}

impl From<context::ContextError> for Error {
    fn from(e: context::ContextError) -> Self {
        Self {
            kind: Kind::Config(e),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("code", &self.code())
            .field("message", &self.to_string())
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Io { err, context } => {
                // Node: "connect ECONNREFUSED 127.0.0.1:8000"
                let code = errno_name(err);
                if code == "EIO" {
                    write!(f, "{context}: {err}")
                } else {
                    write!(
                        f,
                        "{} {code}{}",
                        context_verb(context),
                        context_rest(context)
                    )
                }
            }
            Kind::Tls(e) => e.fmt(f),
            Kind::Config(e) => e.fmt(f),
            Kind::Stream { message, .. } => f.write_str(message),
        }
    }
}

fn context_verb(context: &str) -> &str {
    context.split_once(' ').map_or(context, |(v, _)| v)
}

fn context_rest(context: &str) -> String {
    context
        .split_once(' ')
        .map_or(String::new(), |(_, rest)| format!(" {rest}"))
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Io { err, .. } => Some(err),
            Kind::Tls(e) => Some(e),
            Kind::Config(e) => Some(e),
            Kind::Stream { .. } => None,
        }
    }
}

/// The errno name Node prints for an I/O error.
fn errno_name(err: &io::Error) -> &'static str {
    match err.raw_os_error() {
        Some(1) => "EPERM",
        Some(2) => "ENOENT",
        Some(12) => "ENOMEM",
        Some(13) => "EACCES",
        Some(23) => "ENFILE",
        Some(24) => "EMFILE",
        Some(32) => "EPIPE",
        Some(98) => "EADDRINUSE",
        Some(99) => "EADDRNOTAVAIL",
        Some(101) => "ENETUNREACH",
        Some(103) => "ECONNABORTED",
        Some(104) => "ECONNRESET",
        Some(105) => "ENOBUFS",
        Some(110) => "ETIMEDOUT",
        Some(111) => "ECONNREFUSED",
        Some(113) => "EHOSTUNREACH",
        _ => match err.kind() {
            io::ErrorKind::ConnectionRefused => "ECONNREFUSED",
            io::ErrorKind::ConnectionReset => "ECONNRESET",
            io::ErrorKind::BrokenPipe => "EPIPE",
            io::ErrorKind::AddrInUse => "EADDRINUSE",
            io::ErrorKind::NotFound => "ENOTFOUND",
            io::ErrorKind::TimedOut => "ETIMEDOUT",
            _ => "EIO",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn debug_shows_the_code_and_the_message() {
        let err = Error::write_after_end();
        assert_eq!(
            format!("{err:?}"),
            r#"Error { code: "ERR_STREAM_WRITE_AFTER_END", message: "write after end" }"#
        );
        let io = Error::io(
            std::io::Error::from_raw_os_error(111),
            "connect 127.0.0.1:1",
        );
        assert_eq!(
            format!("{io:?}"),
            r#"Error { code: "ECONNREFUSED", message: "connect ECONNREFUSED 127.0.0.1:1" }"#
        );
    }
}
