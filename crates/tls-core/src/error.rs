//! Errors of a TLS connection, each with the code Node would give it.

use context::VerifyCode;
use rustls::{
    AlertDescription, CertificateError, ContentType, InvalidMessage, PeerIncompatible,
    PeerMisbehaved,
};
use std::fmt;

/// Why a connection failed. Every variant has Node's `err.code` ([`Error::code`]) and a
/// Display text close to Node's `err.message`.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The peer's certificate is not trusted (`rejectUnauthorized`), with OpenSSL's code.
    Verify(VerifyCode),
    /// The server's certificate does not name the host (`ERR_TLS_CERT_ALTNAME_INVALID`);
    /// holds Node's reason text.
    AltName(String),
    /// The caller's `checkServerIdentity` refused the server ([`crate::IdentityCheck`]):
    /// the code and message of the error it returned.
    Identity {
        /// The error's `code` (Node's `authorizationError` is the code, or the message
        /// when the code is empty).
        code: String,
        /// The error's `message`.
        message: String,
    },
    /// The handshake did not finish within `handshakeTimeout`.
    HandshakeTimeout,
    /// `renegotiate()` cannot be done here (Node's `ERR_TLS_RENEGOTIATE`); the text
    /// says why (TLS 1.2 has no renegotiation in rustls; no session yet).
    Renegotiate(&'static str),
    /// Server side: the client's certificate is not trusted and `rejectUnauthorized` is
    /// set. Node reports it as `ECONNRESET` "socket hang up"; the reason is `source()`.
    ClientRejected(VerifyCode),
    /// The transport closed before the handshake finished.
    EofDuringHandshake {
        /// Which side saw it (the texts differ in Node).
        client: bool,
    },
    /// The peer sent something that is not TLS we speak (not TLS at all, or an
    /// SSLv2-format ClientHello), with OpenSSL's reason.
    NotTls {
        /// `"http request"`, `"https proxy request"`, `"packet length too long"`,
        /// `"wrong version number"`, `"unexpected message"`; for an SSLv2 ClientHello
        /// `"length too short"`, `"packet length too long"`, `"encrypted length too
        /// long"`, `"data length too long"` (by its length), `"unknown protocol"`,
        /// `"version too low"`, `"unsupported protocol"`, `"no suitable signature
        /// algorithm"` or `"no shared cipher"` (by the version and suites it offers),
        /// as OpenSSL 3.
        reason: &'static str,
    },
    /// Server side: the client's first flight refused before rustls read it, as
    /// OpenSSL 3 refuses it, with its reason: a record of another type before the
    /// ClientHello is whole or a first message that is not one (`"unexpected
    /// message"`); a TLS 1.3 ClientHello without `signature_algorithms` (`"missing
    /// sigalgs extension"`), with a key share of a group it does not list (`"bad key
    /// share"`), without `key_share` or any group in common (`"no suitable key
    /// share"`); a ClientHello whose signature algorithms our certificates cannot use
    /// (`"no shared signature algorithms"`) or, for TLS 1.2, whose groups none of our
    /// ECDHE suites can use (`"no shared cipher"`).
    HelloRefused {
        /// OpenSSL's reason text.
        reason: &'static str,
    },
    /// The client offered only TLS 1.0/1.1, which rustls does not speak.
    UnsupportedProtocol,
    /// The client offered only SSLv3 (or older): OpenSSL's "version too low".
    VersionTooLow,
    /// The peer sent a fatal alert.
    AlertReceived(Alert),
    /// A TLS 1.2 AES-GCM record did not decrypt: OpenSSL 3's provider says
    /// "cipher operation failed" (`ERR_SSL_CIPHER_OPERATION_FAILED`), not "bad record
    /// mac" as for TLS 1.3.
    CipherOperationFailed,
    /// Client side: the handshake failed on this protocol error while application data
    /// was waiting to be sent; Node reports it from the write (`EPROTO`, "write EPROTO
    /// `<the OpenSSL error>`").
    WriteEproto(Box<Error>),
    /// rustls refused the peer's messages (and queued an alert for it).
    Tls(TlsError),
    /// The application refused the connection at its decision point (Node: an error
    /// passed to `SNICallback`'s callback), with its own code and message.
    Refused {
        /// The application's `err.code`.
        code: String,
        /// The application's `err.message`.
        message: String,
    },
}

/// A TLS alert, by its number (RFC 8446 section 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Alert(pub(crate) AlertDescription);

impl Alert {
    /// The alert's number, e.g. 48 for `unknown_ca`.
    pub fn number(self) -> u8 {
        u8::from(self.0)
    }
}

impl fmt::Display for Alert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match alert_reason(self.0) {
            Some((_, text)) => f.write_str(&text),
            None => write!(f, "alert {}", self.number()),
        }
    }
}

/// A failure the TLS engine (rustls) detected, opaque so that no rustls type is part
/// of this crate's API: its `Display` says what happened.
#[derive(Debug)]
pub struct TlsError(pub(crate) rustls::Error);

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::error::Error for TlsError {}

impl Error {
    /// rustls's error, as ours.
    pub(crate) fn tls(err: rustls::Error) -> Self {
        Self::Tls(TlsError(err))
    }

    /// A local failure described by `text`.
    pub(crate) fn general(text: impl Into<String>) -> Self {
        Self::tls(rustls::Error::General(text.into()))
    }

    /// Node's `err.code`: OpenSSL verification codes, `ERR_SSL_*` from OpenSSL reason
    /// texts, `ERR_TLS_*`, `ECONNRESET`.
    pub fn code(&self) -> String {
        match self {
            Self::Verify(code) => code.code().to_string(),
            Self::AltName(_) => "ERR_TLS_CERT_ALTNAME_INVALID".to_string(),
            Self::Identity { code, .. } => code.clone(),
            Self::HandshakeTimeout => "ERR_TLS_HANDSHAKE_TIMEOUT".to_string(),
            Self::Renegotiate(_) => "ERR_TLS_RENEGOTIATE".to_string(),
            Self::EofDuringHandshake { .. } | Self::ClientRejected(_) => "ECONNRESET".to_string(),
            Self::Refused { code, .. } => code.clone(),
            Self::CipherOperationFailed => "ERR_SSL_CIPHER_OPERATION_FAILED".to_string(),
            Self::WriteEproto(_) => "EPROTO".to_string(),
            _ => match self.openssl_reason() {
                Some((_, reason)) => format!("ERR_SSL_{}", reason.to_uppercase().replace(' ', "_")),
                None => "ERR_SSL_PROTOCOL_ERROR".to_string(),
            },
        }
    }

    /// Whether this is a certificate trust or host-name failure.
    pub fn is_verify(&self) -> bool {
        matches!(
            self,
            Self::Verify(_) | Self::AltName(_) | Self::Identity { .. }
        )
    }

    /// OpenSSL's (reason number, reason text) for protocol failures.
    fn openssl_reason(&self) -> Option<(u32, String)> {
        match self {
            Self::NotTls { reason } | Self::HelloRefused { reason } => {
                Some((reason_number(reason), (*reason).to_string()))
            }
            Self::AlertReceived(alert) => alert_reason(alert.0),
            Self::UnsupportedProtocol => Some((0x102, "unsupported protocol".to_string())),
            Self::VersionTooLow => Some((0x18c, "version too low".to_string())),
            Self::Tls(err) => tls_reason(&err.0),
            _ => None,
        }
    }
}

/// OpenSSL 3's number for a reason text of [`Error::NotTls`] or [`Error::HelloRefused`]
/// (`openssl errstr 0A0000xx`); "wrong version number" for any other.
fn reason_number(reason: &str) -> u32 {
    match reason {
        "http request" => 0x9c,
        "https proxy request" => 0x9b,
        "packet length too long" => 0xc6,
        "unexpected message" => 0xf4,
        "length too short" => 0xa0,
        "unknown protocol" => 0xfc,
        "version too low" => 0x18c,
        "unsupported protocol" => 0x102,
        "no suitable signature algorithm" => 0x76,
        "no shared cipher" => 0xc1,
        "data length too long" => 0x92,
        "encrypted length too long" => 0x96,
        "no suitable key share" => 0x65,
        "bad key share" => 0x6c,
        "missing sigalgs extension" => 0x70,
        "no shared signature algorithms" => 0x178,
        "record too small" => 0x12a,
        "bad extension" => 0x6e,
        "error in received cipher list" => 0x97,
        "excessive message size" => 0x98,
        "length mismatch" => 0x9f,
        "no ciphers specified" => 0xb7,
        "no compression specified" => 0xbb,
        "bad ecpoint" => 0x132,
        _ => 0x10b,
    }
}

/// OpenSSL names a received alert "sslv3 alert X" or "tlsv1 alert X", with reason number
/// 1000 + the alert number.
fn alert_reason(alert: AlertDescription) -> Option<(u32, String)> {
    use AlertDescription as A;
    // OpenSSL 3's texts for reasons 1000 + the alert's number (`openssl errstr`), some
    // of which say "alert" and some not
    let text = match alert {
        A::UnexpectedMessage => "sslv3 alert unexpected message",
        A::BadRecordMac => "sslv3 alert bad record mac",
        A::DecryptionFailed => "tlsv1 alert decryption failed",
        A::RecordOverflow => "tlsv1 alert record overflow",
        A::DecompressionFailure => "sslv3 alert decompression failure",
        A::HandshakeFailure => "sslv3 alert handshake failure",
        A::NoCertificate => "sslv3 alert no certificate",
        A::BadCertificate => "sslv3 alert bad certificate",
        A::UnsupportedCertificate => "sslv3 alert unsupported certificate",
        A::CertificateRevoked => "sslv3 alert certificate revoked",
        A::CertificateExpired => "sslv3 alert certificate expired",
        A::CertificateUnknown => "sslv3 alert certificate unknown",
        A::IllegalParameter => "sslv3 alert illegal parameter",
        A::UnknownCA => "tlsv1 alert unknown ca",
        A::AccessDenied => "tlsv1 alert access denied",
        A::DecodeError => "tlsv1 alert decode error",
        A::DecryptError => "tlsv1 alert decrypt error",
        A::ExportRestriction => "tlsv1 alert export restriction",
        A::ProtocolVersion => "tlsv1 alert protocol version",
        A::InsufficientSecurity => "tlsv1 alert insufficient security",
        A::InternalError => "tlsv1 alert internal error",
        A::InappropriateFallback => "tlsv1 alert inappropriate fallback",
        A::UserCanceled => "tlsv1 alert user cancelled",
        A::NoRenegotiation => "tlsv1 alert no renegotiation",
        A::MissingExtension => "tlsv13 alert missing extension",
        A::UnsupportedExtension => "tlsv1 unsupported extension",
        A::CertificateUnobtainable => "tlsv1 certificate unobtainable",
        A::UnrecognisedName => "tlsv1 unrecognized name",
        A::BadCertificateStatusResponse => "tlsv1 bad certificate status response",
        A::BadCertificateHashValue => "tlsv1 bad certificate hash value",
        A::UnknownPSKIdentity => "tlsv1 alert unknown psk identity",
        A::CertificateRequired => "tlsv13 alert certificate required",
        A::NoApplicationProtocol => "tlsv1 alert no application protocol",
        _ => return None,
    };
    Some((1000 + u32::from(u8::from(alert)), text.to_string()))
}

/// OpenSSL's reason for a failure rustls detected locally.
fn tls_reason(err: &rustls::Error) -> Option<(u32, String)> {
    use rustls::Error as E;
    let (number, text) = match err {
        E::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon) => (0xc1, "no shared cipher"),
        // rustls finds no certificate when no suite is shared (it filters the client's
        // signature schemes by the common suites) or when it has none: OpenSSL says
        // "no shared cipher" for both.
        e if is_no_certificate_resolved(e) => (0xc1, "no shared cipher"),
        E::PeerIncompatible(
            PeerIncompatible::NoKxGroupsInCommon | PeerIncompatible::NoEcPointFormatsInCommon,
        ) => (0x65, "no suitable key share"),
        E::PeerIncompatible(PeerIncompatible::NoSignatureSchemesInCommon) => {
            (0x76, "no suitable signature algorithm")
        }
        E::PeerIncompatible(
            PeerIncompatible::Tls12NotOffered
            | PeerIncompatible::Tls12NotOfferedOrEnabled
            | PeerIncompatible::Tls13RequiredForQuic
            | PeerIncompatible::SupportedVersionsExtensionRequired,
        ) => (0x102, "unsupported protocol"),
        E::PeerIncompatible(_) => (0x410, "sslv3 alert handshake failure"),
        E::NoCertificatesPresented => (0xc7, "peer did not return a certificate"),
        E::NoApplicationProtocol => (0xeb, "no application protocol"),
        E::DecryptError => (0x119, "decryption failed or bad record mac"),
        E::InvalidCertificate(CertificateError::BadSignature) => (0x7b, "bad signature"),
        E::InvalidCertificate(_) => (0x86, "certificate verify failed"),
        // OpenSSL 3.0's reasons for the same records under the TLS 1.3 keys, measured
        // (crates/cli/tests/differential.rs, `protected_records_answered_as_node`)
        E::InvalidMessage(InvalidMessage::MissingData("AlertLevel")) => (0x10f, "bad length"),
        E::InvalidMessage(
            InvalidMessage::MissingData("AlertDescription")
            | InvalidMessage::TrailingData("AlertMessagePayload"),
        ) => (0xcd, "invalid alert"),
        E::InvalidMessage(
            InvalidMessage::InvalidKeyUpdate | InvalidMessage::MissingData("KeyUpdateRequest"),
        ) => (0x7a, "bad key update"),
        E::InvalidMessage(InvalidMessage::InvalidContentType)
        | E::PeerMisbehaved(
            PeerMisbehaved::IllegalTlsInnerPlaintext
            | PeerMisbehaved::IllegalMiddleboxChangeCipherSpec,
        )
        | E::InappropriateMessage {
            got_type: ContentType::ChangeCipherSpec,
            ..
        } => (0x1bb, "bad record type"),
        E::InappropriateMessage {
            got_type: ContentType::ApplicationData,
            ..
        } => (0xf5, "unexpected record"),
        E::PeerSentOversizedRecord => (0x92, "data length too long"),
        // OpenSSL 3.0's commonest reason for a message that does not decode
        E::InvalidMessage(_) => (0x9f, "length mismatch"),
        E::PeerMisbehaved(PeerMisbehaved::TooManyWarningAlertsReceived) => {
            (0x199, "too many warn alerts")
        }
        E::PeerMisbehaved(_)
        | E::InappropriateMessage { .. }
        | E::InappropriateHandshakeMessage { .. } => (0xf4, "unexpected message"),
        E::AlertReceived(alert) => return alert_reason(*alert),
        _ => return None,
    };
    Some((number, text.to_string()))
}

/// rustls's error when the certificate resolver returned nothing.
pub(crate) fn is_no_certificate_resolved(err: &rustls::Error) -> bool {
    matches!(err, rustls::Error::General(msg) if msg == "no server certificate chain resolved")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verify(code) => f.write_str(code.message()),
            Self::AltName(reason) => write!(
                f,
                "Hostname/IP does not match certificate's altnames: {reason}"
            ),
            Self::Identity { message, .. } => f.write_str(message),
            Self::HandshakeTimeout => f.write_str("TLS handshake timeout"),
            Self::Renegotiate(why) => {
                write!(f, "Attempt to renegotiate TLS session failed: {why}")
            }
            Self::Refused { message, .. } => f.write_str(message),
            Self::CipherOperationFailed => {
                f.write_str("error:1C800066:Provider routines::cipher operation failed")
            }
            Self::WriteEproto(inner) => write!(f, "write EPROTO {inner}"),
            Self::EofDuringHandshake { client: true } => f.write_str(
                "Client network socket disconnected before secure TLS connection was established",
            ),
            Self::EofDuringHandshake { client: false } | Self::ClientRejected(_) => {
                f.write_str("socket hang up")
            }
            _ => match self.openssl_reason() {
                Some((number, reason)) => {
                    write!(f, "error:0A{number:06X}:SSL routines::{reason}")?;
                    if let Self::Tls(e) = self {
                        write!(f, " ({e})")?;
                    }
                    Ok(())
                }
                None => match self {
                    Self::Tls(e) => write!(f, "tls error: {e}"),
                    _ => f.write_str("tls error"),
                },
            },
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Verify(code) | Self::ClientRejected(code) => Some(code),
            Self::Tls(e) => Some(e),
            Self::WriteEproto(inner) => Some(inner.as_ref()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_alerts_received_as_openssl_3_does() {
        // (alert, Node's code, OpenSSL 3's message), as `openssl errstr` prints them
        let cases = [
            (
                AlertDescription::NoRenegotiation,
                "ERR_SSL_TLSV1_ALERT_NO_RENEGOTIATION",
                "error:0A00044C:SSL routines::tlsv1 alert no renegotiation",
            ),
            (
                AlertDescription::UnrecognisedName,
                "ERR_SSL_TLSV1_UNRECOGNIZED_NAME",
                "error:0A000458:SSL routines::tlsv1 unrecognized name",
            ),
            (
                AlertDescription::RecordOverflow,
                "ERR_SSL_TLSV1_ALERT_RECORD_OVERFLOW",
                "error:0A0003FE:SSL routines::tlsv1 alert record overflow",
            ),
            (
                AlertDescription::CertificateRequired,
                "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
                "error:0A00045C:SSL routines::tlsv13 alert certificate required",
            ),
        ];
        for (alert, code, message) in cases {
            let err = Error::AlertReceived(Alert(alert));
            assert_eq!((err.code(), err.to_string()), (code.into(), message.into()));
        }
    }

    #[test]
    fn names_too_many_warning_alerts_as_openssl_3_does() {
        let err = Error::Tls(TlsError(
            PeerMisbehaved::TooManyWarningAlertsReceived.into(),
        ));
        assert_eq!(err.code(), "ERR_SSL_TOO_MANY_WARN_ALERTS");
        assert!(err
            .to_string()
            .starts_with("error:0A000199:SSL routines::too many warn alerts"));
    }
}
