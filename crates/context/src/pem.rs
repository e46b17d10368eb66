//! A small PEM reader that keeps what rustls-pki-types' reader drops: every label
//! (`TRUSTED CERTIFICATE`, `X509 CERTIFICATE`, `ENCRYPTED PRIVATE KEY`, ...) and the
//! RFC 1421 headers (`Proc-Type`, `DEK-Info`) that legacy encrypted keys carry.

use base64::Engine as _;

/// One `-----BEGIN LABEL-----` ... `-----END LABEL-----` block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    /// The label between `BEGIN ` and the dashes, e.g. `CERTIFICATE`.
    pub label: String,
    /// `Name: value` header lines before the base64 body, in order.
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub der: Vec<u8>,
}

/// Why a PEM text could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PemError {
    /// A `BEGIN` line has no matching `END` line.
    MissingEnd {
        /// The label of the unterminated block.
        label: String,
    },
    /// The body of a block is not valid base64.
    BadBase64 {
        /// The label of the bad block.
        label: String,
    },
}

impl std::fmt::Display for PemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::MissingEnd { label } => write!(f, "PEM block `{label}` has no END line"),
            Self::BadBase64 { label } => write!(f, "PEM block `{label}` is not valid base64"),
        }
    }
}

impl std::error::Error for PemError {}

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";

/// Reads every PEM block of `input`, ignoring text between blocks (as OpenSSL does).
pub fn parse(input: &[u8]) -> Result<Vec<PemBlock>, PemError> {
    let text = String::from_utf8_lossy(input);
    let mut blocks = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while let Some(line) = lines.next() {
        let Some(label) = line
            .strip_prefix(BEGIN)
            .and_then(|rest| rest.strip_suffix("-----"))
        else {
            continue;
        };
        let label = label.to_string();
        let end_line = format!("{END}{label}-----");
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut closed = false;
        for line in lines.by_ref() {
            if line == end_line {
                closed = true;
                break;
            }
            match line.split_once(':') {
                Some((name, value)) if body.is_empty() && !name.contains(' ') => {
                    headers.push((name.trim().to_string(), value.trim().to_string()));
                }
                _ => body.push_str(line),
            }
        }
        if !closed {
            return Err(PemError::MissingEnd { label });
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|_| PemError::BadBase64 {
                label: label.clone(),
            })?;
        blocks.push(PemBlock {
            label,
            headers,
            der,
        });
    }
    Ok(blocks)
}

/// Whether a label names a certificate, in any of the spellings OpenSSL reads.
pub fn is_certificate_label(label: &str) -> bool {
    matches!(
        label,
        "CERTIFICATE" | "TRUSTED CERTIFICATE" | "X509 CERTIFICATE"
    )
}

/// Whether a label names a private key (plain or encrypted).
pub fn is_private_key_label(label: &str) -> bool {
    matches!(
        label,
        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY" | "ENCRYPTED PRIVATE KEY"
    )
}

#[cfg(test)]
mod tests;
