//! The one error type of this crate: which option was wrong, and why.

use std::fmt;

/// A `createSecureContext` option that could not be used. Display reads
/// "invalid `OPTION`: REASON", e.g. "invalid `key`: key values mismatch".
#[derive(Debug)]
pub struct ContextError {
    option: &'static str,
    reason: String,
    code: Option<&'static str>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ContextError {
    /// An error about `option` (Node's name for it), with a lowercase reason.
    pub fn new(option: &'static str, reason: impl Into<String>) -> Self {
        Self {
            option,
            reason: reason.into(),
            code: None,
            source: None,
        }
    }

    /// Sets Node's `err.code` for this error (else the option's usual one).
    pub fn with_code(mut self, code: &'static str) -> Self {
        self.code = Some(code);
        self
    }

    /// Node's `err.code` for the same failure: OpenSSL's (`ERR_OSSL_BAD_DECRYPT`,
    /// `ERR_SSL_NO_CIPHER_MATCH`, ...) or Node's own (`ERR_TLS_INVALID_PROTOCOL_METHOD`,
    /// `ERR_INVALID_ARG_VALUE`, ...). Where Node accepts a value rustls cannot serve
    /// (TLS 1.0, secp521r1, RSA-1024), the code is the nearest OpenSSL one.
    pub fn code(&self) -> &'static str {
        if let Some(code) = self.code {
            return code;
        }
        match self.option {
            "key" => "ERR_OSSL_UNSUPPORTED",
            "cert" | "ca" => "ERR_OSSL_PEM_NO_START_LINE",
            "pfx" | "crl" | "ecdhCurve" | "dhparam" => "ERR_CRYPTO_OPERATION_FAILED",
            "ciphers" => "ERR_SSL_NO_CIPHER_MATCH",
            "secureProtocol" => "ERR_TLS_INVALID_PROTOCOL_METHOD",
            "minVersion" | "maxVersion" => "ERR_TLS_INVALID_PROTOCOL_VERSION",
            _ => "ERR_INVALID_ARG_VALUE",
        }
    }

    /// The same, keeping the underlying error as `source()`.
    pub fn with_source(
        option: &'static str,
        reason: impl Into<String>,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        Self {
            option,
            reason: reason.into(),
            code: None,
            source: Some(Box::new(source)),
        }
    }

    /// Node's name of the option at fault, e.g. `"key"`.
    pub fn option(&self) -> &'static str {
        self.option
    }

    /// Why it was refused.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for ContextError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid `{}`: {}", self.option, self.reason)
    }
}

impl std::error::Error for ContextError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
