//! `minVersion`, `maxVersion`, `secureProtocol`, `secureOptions`, `ecdhCurve`,
//! `ciphers` and `dhparam`: which protocol versions, cipher suites and key-exchange
//! groups a context offers, as a rustls `CryptoProvider` plus a version list.
//!
//! rustls (ring) speaks TLS 1.2 and 1.3 only, with ECDHE over X25519, P-256 and P-384:
//! every option value that needs SSLv2/3, TLS 1.0/1.1, DHE, or another curve is an
//! error naming the option and why, never a silent no-op.

use crate::ContextError;
use rustls::crypto::ring::kx_group;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::SupportedProtocolVersion;

/// A TLS version as Node names it in `minVersion` / `maxVersion`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Version {
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl Version {
    fn parse(text: &str, option: &'static str) -> Result<Self, ContextError> {
        match text {
            "TLSv1" => Ok(Self::Tls10),
            "TLSv1.1" => Ok(Self::Tls11),
            "TLSv1.2" => Ok(Self::Tls12),
            "TLSv1.3" => Ok(Self::Tls13),
            other => Err(ContextError::new(
                option,
                format!("\"{other}\" is not a TLS version (TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3)"),
            )),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Tls10 => "TLSv1",
            Self::Tls11 => "TLSv1.1",
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }
}

/// OpenSSL's `SSL_OP_*` bits that act on what rustls does. Every other bit is accepted
/// and has no effect (documented in the README).
pub(crate) mod op {
    /// `SSL_OP_NO_TLSv1`
    pub const NO_TLSV1: u64 = 0x0400_0000;
    /// `SSL_OP_NO_TLSv1_2`
    pub const NO_TLSV1_2: u64 = 0x0800_0000;
    /// `SSL_OP_NO_TLSv1_1`
    pub const NO_TLSV1_1: u64 = 0x1000_0000;
    /// `SSL_OP_NO_TLSv1_3`
    pub const NO_TLSV1_3: u64 = 0x2000_0000;
    /// `SSL_OP_NO_TICKET`: no stateless session tickets.
    pub const NO_TICKET: u64 = 0x0000_4000;
    /// `SSL_OP_CIPHER_SERVER_PREFERENCE`: the same as `honorCipherOrder`.
    pub const CIPHER_SERVER_PREFERENCE: u64 = 0x0040_0000;
}

/// The protocol-related options, as given.
#[derive(Clone, Debug, Default)]
pub(crate) struct ProtocolOptions {
    pub(crate) min_version: Option<String>,
    pub(crate) max_version: Option<String>,
    pub(crate) secure_protocol: Option<String>,
    pub(crate) secure_options: u64,
    pub(crate) ciphers: Option<String>,
    pub(crate) ecdh_curve: Option<String>,
    pub(crate) dhparam: Option<Vec<u8>>,
}

/// What those options resolve to.
#[derive(Debug)]
pub(crate) struct Protocols {
    pub(crate) provider: CryptoProvider,
    pub(crate) versions: Vec<&'static SupportedProtocolVersion>,
    /// What the options asked for and we left out (e.g. curves ring lacks), as notes.
    pub(crate) notes: Vec<String>,
}

impl ProtocolOptions {
    /// Resolves every option; errors name the option at fault.
    pub(crate) fn resolve(&self) -> Result<Protocols, ContextError> {
        let (min, max) = self.version_range()?;
        let ops = self.secure_options;
        // SSL_OP_NO_* bits remove versions from the range.
        let disabled = |v: Version| match v {
            Version::Tls10 => ops & op::NO_TLSV1 != 0,
            Version::Tls11 => ops & op::NO_TLSV1_1 != 0,
            Version::Tls12 => ops & op::NO_TLSV1_2 != 0,
            Version::Tls13 => ops & op::NO_TLSV1_3 != 0,
        };
        let enabled: Vec<Version> = [
            Version::Tls10,
            Version::Tls11,
            Version::Tls12,
            Version::Tls13,
        ]
        .into_iter()
        .filter(|v| (min..=max).contains(v) && !disabled(*v))
        .collect();
        let (Some(&min), Some(&max)) = (enabled.first(), enabled.last()) else {
            return Err(ContextError::new(
                "secureOptions",
                "every TLS version is disabled by the SSL_OP_NO_* bits",
            )
            .with_code("ERR_INVALID_ARG_VALUE"));
        };
        if max < Version::Tls12 {
            return Err(ContextError::new(
                if self.max_version.is_some() {
                    "maxVersion"
                } else {
                    "secureProtocol"
                },
                format!(
                    "{} is not supported: rustls speaks TLS 1.2 and TLS 1.3 only",
                    max.name()
                ),
            ));
        }
        let min = min.max(Version::Tls12);

        let mut provider = rustls::crypto::ring::default_provider();
        // No `ciphers`: Node's DEFAULT_CIPHERS, whose order differs from rustls's.
        let list = self
            .ciphers
            .as_deref()
            .unwrap_or(crate::ciphers::DEFAULT_CIPHERS);
        let selection = crate::ciphers::select(list).map_err(|e| {
            let code = e.node_code().unwrap_or("ERR_SSL_NO_CIPHER_MATCH");
            ContextError::with_source("ciphers", strip_prefix(&e.to_string()), e).with_code(code)
        })?;
        provider.cipher_suites = selection.suites;
        let (groups, dropped) = kx_groups(self.ecdh_curve.as_deref())?;
        provider.kx_groups = groups;
        let notes = dropped
            .iter()
            .map(|name| format!("ecdhCurve: {name} left out: rustls (ring) does not have it"))
            .collect();
        if let Some(pem) = &self.dhparam {
            check_dhparam(pem)?;
        }

        let versions: Vec<&'static SupportedProtocolVersion> = [
            (Version::Tls13, &rustls::version::TLS13),
            (Version::Tls12, &rustls::version::TLS12),
        ]
        .into_iter()
        .filter(|(v, _)| (min..=max).contains(v))
        .filter(|(_, version)| {
            provider
                .cipher_suites
                .iter()
                .any(|s| s.version() == *version)
        })
        .map(|(_, version)| version)
        .collect();
        if versions.is_empty() {
            return Err(ContextError::new(
                "ciphers",
                format!(
                    "no cipher suite of {} to {} is enabled",
                    min.name(),
                    max.name()
                ),
            ));
        }
        Ok(Protocols {
            provider,
            versions,
            notes,
        })
    }

    /// `[min, max]` from `secureProtocol` or `minVersion`/`maxVersion` (Node: defaults
    /// TLSv1.2 to TLSv1.3; giving both kinds is a conflict).
    fn version_range(&self) -> Result<(Version, Version), ContextError> {
        if let Some(method) = &self.secure_protocol {
            if self.min_version.is_some() || self.max_version.is_some() {
                let v = self.min_version.as_deref().or(self.max_version.as_deref());
                return Err(ContextError::new(
                    "secureProtocol",
                    format!(
                        "TLS protocol version {} conflicts with secureProtocol \"{method}\"",
                        v.unwrap_or_default()
                    ),
                )
                .with_code("ERR_TLS_PROTOCOL_VERSION_CONFLICT"));
            }
            return secure_protocol_range(method);
        }
        let min = match &self.min_version {
            Some(v) => Version::parse(v, "minVersion")?,
            None => Version::Tls12,
        };
        let max = match &self.max_version {
            Some(v) => Version::parse(v, "maxVersion")?,
            None => Version::Tls13,
        };
        if max < Version::Tls12 {
            return Err(ContextError::new(
                "maxVersion",
                format!(
                    "{} is not supported: rustls speaks TLS 1.2 and TLS 1.3 only",
                    max.name()
                ),
            ));
        }
        if min > max {
            return Err(ContextError::new(
                "minVersion",
                format!("{} is above maxVersion {}", min.name(), max.name()),
            ));
        }
        Ok((min, max))
    }
}

fn strip_prefix(text: &str) -> String {
    text.strip_prefix("invalid `ciphers`: ")
        .unwrap_or(text)
        .to_string()
}

/// OpenSSL method names (Node's `secureProtocol`).
fn secure_protocol_range(method: &str) -> Result<(Version, Version), ContextError> {
    let base = method
        .strip_suffix("_client_method")
        .or_else(|| method.strip_suffix("_server_method"))
        .or_else(|| method.strip_suffix("_method"));
    let unsupported = |proto: &str| {
        Err(ContextError::new(
            "secureProtocol",
            format!("{method}: {proto} is not supported: rustls speaks TLS 1.2 and TLS 1.3 only"),
        ))
    };
    match base {
        Some("SSLv23" | "TLS") => Ok((Version::Tls12, Version::Tls13)),
        Some("TLSv1_2") => Ok((Version::Tls12, Version::Tls12)),
        Some("TLSv1_3") => Ok((Version::Tls13, Version::Tls13)),
        Some("TLSv1_1") => unsupported("TLS 1.1"),
        Some("TLSv1") => unsupported("TLS 1.0"),
        Some("SSLv3") => unsupported("SSLv3"),
        Some("SSLv2") => unsupported("SSLv2"),
        _ => Err(ContextError::new(
            "secureProtocol",
            format!("unknown method: {method}"),
        )),
    }
}

/// The groups of `ecdhCurve` ring has, in order, and the ones OpenSSL knows that ring
/// lacks (left out, as a cipher list leaves out suites we lack); an error when nothing
/// is left or a name is unknown to OpenSSL too.
type KxGroups = (Vec<&'static dyn SupportedKxGroup>, Vec<String>);

/// `ecdhCurve`: `auto` (the default), or a colon list of curve names in preference order.
fn kx_groups(curve: Option<&str>) -> Result<KxGroups, ContextError> {
    let default = || rustls::crypto::ring::default_provider().kx_groups;
    let Some(list) = curve else {
        return Ok((default(), Vec::new()));
    };
    if list == "auto" {
        return Ok((default(), Vec::new()));
    }
    let mut groups: Vec<&'static dyn SupportedKxGroup> = Vec::new();
    let mut dropped = Vec::new();
    for name in list.split(':') {
        let group: &'static dyn SupportedKxGroup = match name {
            "X25519" | "x25519" => kx_group::X25519,
            "prime256v1" | "P-256" | "secp256r1" => kx_group::SECP256R1,
            "secp384r1" | "P-384" => kx_group::SECP384R1,
            "secp521r1" | "P-521" | "X448" | "x448" | "ffdhe2048" | "ffdhe3072" | "ffdhe4096"
            | "ffdhe6144" | "ffdhe8192" | "secp256k1" | "secp224r1" | "P-224" | "prime192v1"
            | "brainpoolP256r1" | "brainpoolP384r1" | "brainpoolP512r1" => {
                dropped.push(name.to_string());
                continue;
            }
            other => {
                return Err(ContextError::new(
                    "ecdhCurve",
                    format!("unknown curve name \"{other}\""),
                ))
            }
        };
        if !groups.iter().any(|g| g.name() == group.name()) {
            groups.push(group);
        }
    }
    if groups.is_empty() {
        return Err(ContextError::new(
            "ecdhCurve",
            format!(
                "{} {} not supported by rustls (ring): use X25519, prime256v1 (P-256) or secp384r1 (P-384)",
                dropped.join(":"),
                if dropped.len() == 1 { "is" } else { "are" }
            ),
        ));
    }
    Ok((groups, dropped))
}

/// `dhparam`: rustls has no DHE cipher suites, so the parameters can never be used.
/// A valid `DH PARAMETERS` PEM is accepted (and has no effect, as with an OpenSSL cipher
/// list without DHE suites); anything else is an error, as in Node 20.
fn check_dhparam(pem: &[u8]) -> Result<(), ContextError> {
    let blocks =
        crate::pem::parse(pem).map_err(|e| ContextError::with_source("dhparam", "bad PEM", e))?;
    let Some(block) = blocks
        .iter()
        .find(|b| b.label == "DH PARAMETERS" || b.label == "X9.42 DH PARAMETERS")
    else {
        return Err(ContextError::new(
            "dhparam",
            "no DH PARAMETERS PEM block found",
        ));
    };
    // DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER, ... }
    let prime_bits = crate::cert::next_tlv(&block.der)
        .filter(|(seq, _)| seq.tag == 0x30)
        .and_then(|(seq, _)| crate::cert::next_tlv(seq.contents))
        .filter(|(prime, _)| prime.tag == 0x02)
        .map(|(prime, _)| {
            let digits: Vec<u8> = prime
                .contents
                .iter()
                .copied()
                .skip_while(|b| *b == 0)
                .collect();
            digits
                .first()
                .map_or(0, |top| digits.len() * 8 - top.leading_zeros() as usize)
        })
        .ok_or_else(|| ContextError::new("dhparam", "malformed DH parameters"))?;
    if prime_bits < 1024 {
        return Err(ContextError::new(
            "dhparam",
            format!("DH parameter is less than 1024 bits ({prime_bits})"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
