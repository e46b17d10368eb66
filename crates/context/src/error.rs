//! The one error type of this crate: which option was wrong, and why.

use std::fmt;

/// A `createSecureContext` option that could not be used. Display reads
/// "invalid `OPTION`: REASON", e.g. "invalid `key`: key values mismatch".
#[derive(Debug)]
pub struct ContextError {
    option: &'static str,
    reason: String,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl ContextError {
    /// An error about `option` (Node's name for it), with a lowercase reason.
    pub fn new(option: &'static str, reason: impl Into<String>) -> Self {
        Self {
            option,
            reason: reason.into(),
            source: None,
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
