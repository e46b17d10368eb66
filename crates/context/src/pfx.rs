//! PKCS#12 (PFX) bundles, read like OpenSSL's `PKCS12_parse` as Node.js uses it.
//!
//! [`parse_pfx`] returns the first private key, the first certificate whose
//! public key matches it (as OpenSSL's `X509_check_private_key`; the bags'
//! `localKeyId` is only a fallback), and every other certificate as `ca`, in
//! file order.
//!
//! Behaviour mirrored from Node.js 20 (OpenSSL 3.0):
//!
//! * a wrong passphrase fails the integrity MAC: "mac verify failure";
//! * a file without a MAC is read only with an empty passphrase; with a
//!   non-empty one it is rejected with "mac absent";
//! * a file with no private key: "Unable to load private key from PFX data";
//!   with no certificate for the key: "Unable to load certificate from PFX data".
//!
//! Unlike Node.js 20 (whose OpenSSL 3 has no RC2 without the legacy provider),
//! files written with `openssl pkcs12 -legacy` (RC2-40 / 3DES bags) are read.

use std::fmt;

use der::Decode;
use p12_keystore::{error::Error as P12Error, Pkcs12Archive};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// What a PFX file holds, as Node.js uses it.
#[derive(Debug)]
pub struct PfxContents {
    /// The first private key of the file (PKCS#8).
    pub key: PrivateKeyDer<'static>,
    /// The certificate whose public key matches `key`.
    pub cert: CertificateDer<'static>,
    /// Every other certificate, in file order.
    pub ca: Vec<CertificateDer<'static>>,
}

/// Why a PFX file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PfxError {
    /// The data is not a DER-encoded PKCS#12 PFX structure.
    NotPfx(String),
    /// The integrity MAC does not verify: wrong passphrase (or corrupt file).
    MacVerifyFailure,
    /// The file has no integrity MAC and a non-empty passphrase was given
    /// (OpenSSL 3.0, and so Node.js 20, refuse this combination).
    MacAbsent,
    /// Encrypted contents could not be decrypted with the passphrase.
    BadDecrypt,
    /// The file holds no private key.
    NoKey,
    /// The file holds no certificate matching the private key.
    NoCertificate,
    /// An algorithm or structure that is not supported.
    Unsupported(String),
    /// The PKCS#12 contents are invalid.
    Malformed(String),
}

impl fmt::Display for PfxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PfxError::NotPfx(why) => write!(f, "invalid pfx data: not a pkcs#12 file ({why})"),
            PfxError::MacVerifyFailure => {
                f.write_str("mac verify failure: wrong pfx passphrase or corrupt pfx data")
            }
            PfxError::MacAbsent => f.write_str(
                "mac absent: a pfx without an integrity mac is only read with an empty passphrase",
            ),
            PfxError::BadDecrypt => f.write_str("bad decrypt: pfx contents could not be decrypted"),
            PfxError::NoKey => f.write_str("Unable to load private key from PFX data"),
            PfxError::NoCertificate => f.write_str("Unable to load certificate from PFX data"),
            PfxError::Unsupported(what) => write!(f, "Unsupported PKCS12 PFX data: {what}"),
            PfxError::Malformed(what) => write!(f, "invalid pfx data: {what}"),
        }
    }
}

impl std::error::Error for PfxError {}

/// Reads a DER-encoded PKCS#12 file with `passphrase` (use `""` for none).
pub fn parse_pfx(der: &[u8], passphrase: &str) -> Result<PfxContents, PfxError> {
    let outer = pkcs12::pfx::Pfx::from_der(der).map_err(|e| PfxError::NotPfx(e.to_string()))?;
    if outer.version != pkcs12::pfx::Version::V3 {
        return Err(PfxError::Unsupported("pfx version other than 3".into()));
    }
    let has_mac = outer.mac_data.is_some();
    if !has_mac && !passphrase.is_empty() {
        return Err(PfxError::MacAbsent);
    }
    let archive = Pkcs12Archive::from_pkcs12(der, passphrase).map_err(|e| map_error(e, has_mac))?;

    let first_key = archive.keys.first().ok_or(PfxError::NoKey)?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(first_key.key.as_der().to_vec()));

    // OpenSSL picks the first certificate that X509_check_private_key accepts,
    // i.e. whose public key is the key's. Compare DER SubjectPublicKeyInfo; when
    // none matches that way (a key type rustls cannot load, or an unusual SPKI
    // encoding), fall back to the bags' localKeyId attribute.
    let key_spki = rustls::crypto::ring::sign::any_supported_type(&key)
        .ok()
        .and_then(|signer| signer.public_key().map(|spki| spki.as_ref().to_vec()));
    let by_spki = key_spki.as_deref().and_then(|spki| {
        archive
            .certs
            .iter()
            .position(|bag| cert_spki(bag.cert.as_der()) == Some(spki))
    });
    let by_local_key_id = || {
        let id = first_key.local_key_id.as_ref()?;
        archive
            .certs
            .iter()
            .position(|bag| bag.local_key_id.as_deref() == Some(id.as_ref()))
    };
    let index = by_spki
        .or_else(by_local_key_id)
        .ok_or(PfxError::NoCertificate)?;

    let mut certs = archive
        .certs
        .iter()
        .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()));
    let ca_before: Vec<_> = certs.by_ref().take(index).collect();
    let cert = certs.next().ok_or(PfxError::NoCertificate)?;
    let ca = ca_before.into_iter().chain(certs).collect();
    Ok(PfxContents { key, cert, ca })
}

/// The DER SubjectPublicKeyInfo of a certificate.
fn cert_spki(der: &[u8]) -> Option<&[u8]> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    Some(cert.tbs_certificate.subject_pki.raw)
}

fn map_error(e: P12Error, has_mac: bool) -> PfxError {
    match e {
        P12Error::MacError(_) => PfxError::MacVerifyFailure,
        // Without a MAC, garbage after decryption is the sign of a wrong passphrase.
        P12Error::DerError(_) | P12Error::X509Error(_) | P12Error::InvalidPrivateKey
            if !has_mac =>
        {
            PfxError::BadDecrypt
        }
        P12Error::UnpadError => PfxError::BadDecrypt,
        P12Error::Pkcs5Error(msg) if msg.contains("decryption failed") => PfxError::BadDecrypt,
        P12Error::Pkcs5Error(msg) if msg.contains("unsupported") => PfxError::Unsupported(msg),
        P12Error::UnsupportedContentType => {
            PfxError::Unsupported("content type (public-key privacy mode?)".into())
        }
        P12Error::UnsupportedCertificateType => {
            PfxError::Unsupported("certificate bag that is not x509".into())
        }
        P12Error::UnsupportedEncryptionScheme => {
            PfxError::Unsupported("encryption or mac algorithm".into())
        }
        P12Error::UnsupportedMacAlgorithm => PfxError::Unsupported("mac algorithm".into()),
        P12Error::InvalidParameters => PfxError::Unsupported(
            "invalid or excessive pbe/mac parameters (more than 1,000,000 iterations?)".into(),
        ),
        P12Error::InvalidVersion => PfxError::Unsupported("pfx version other than 3".into()),
        P12Error::InvalidPrivateKey => PfxError::Malformed("invalid private key".into()),
        P12Error::X509Error(e) => PfxError::Malformed(format!("invalid certificate: {e}")),
        other => PfxError::Malformed(other.to_string()),
    }
}
