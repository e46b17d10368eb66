//! Node.js `tlsSocket.getPeerCertificate()` objects built from DER certificates.
//!
//! [`describe`] reproduces the object that Node 20 (linked against OpenSSL
//! 3.0) builds in `X509ToObject()` and then passes through
//! `translatePeerCertificate()`: the same keys, in the same order, with the
//! same text formats (OpenSSL's `BN_print`, `ASN1_TIME_print`, Node's own
//! escaping of alternative names, ...). [`PeerCertificate::to_json`] and
//! [`chain_to_json`] print it as `JSON.stringify` would, with the `raw` and
//! `pubkey` buffers as base64 strings.
//!
//! The certificate is first checked with `x509-parser`; the fields are then
//! read straight from the DER so that the exact bytes OpenSSL would print are
//! available. Structures that OpenSSL itself refuses to load (for instance a
//! subject holding a `UTF8String` that is not UTF-8) are reported as errors.
//!
//! Known gaps, all in corner cases no mainstream certificate hits:
//!
//! * OpenSSL knows about 1,200 object identifiers; the short-name table here
//!   covers the attribute types used in names (X.520, PKCS #9, RFC 4519, EV
//!   jurisdiction, Russian INN/OGRN/SNILS) and the access methods used in
//!   `authorityInfoAccess`. Other identifiers are printed in dotted form,
//!   where Node would print OpenSSL's short name.
//! * When a name attribute holds a non-string value (`BIT STRING`,
//!   `SEQUENCE`, ...), Node drops the whole `subject`/`issuer` key; this
//!   module keeps the key and shows such a value as `#` followed by its DER
//!   in hexadecimal.
//! * When the `subjectAltName` or `authorityInfoAccess` extension does not
//!   decode, Node shows `null`; this module omits the key.
//! * Elliptic-curve points are checked for their encoding and length only,
//!   not for lying on the curve (OpenSSL drops all key fields for a point off
//!   the curve). Keys with explicit curve parameters get no key fields.
//! * `ca` follows OpenSSL's `X509_check_ca()`; the extensions it decodes
//!   only to check they are well formed (key identifiers, name constraints,
//!   CRL distribution points, proxy and RFC 3779 extensions) get a
//!   structural check only.

mod der;
mod extensions;
mod general_names;
mod json;
mod keys;
mod names;
mod serial_time;
mod tbs;

use std::fmt;

use ring::digest;

use der::table_name;
use extensions::{check_ca, parse_ext_key_usage};
use general_names::{general_names_text, info_access_text, translate_info_access};
use keys::{named_curve, rsa_key};
use names::{name_object, parse_name, NameEntry, NAME_ATTRIBUTES};
use serial_time::{fingerprint, serial_hex, time_text};
use tbs::{
    first_ext, lookup, Lookup, Tbs, OID_EC_PUBLIC_KEY, OID_EXT_KEY_USAGE, OID_INFO_ACCESS,
    OID_RSA_ENCRYPTION, OID_RSA_X500, OID_SUBJECT_ALT_NAME,
};

/// Node's `getPeerCertificate()` object for one certificate.
///
/// Optional fields are `None` where Node leaves the key out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerCertificate {
    /// `subject`: (short name, values) in first-appearance order; a key
    /// holds several values when the attribute repeats (Node then makes it
    /// an array).
    pub subject: Vec<(String, Vec<String>)>,
    /// `issuer`, shaped like [`PeerCertificate::subject`].
    pub issuer: Vec<(String, Vec<String>)>,
    /// `subjectaltname`, e.g. `DNS:localhost, IP Address:127.0.0.1`.
    pub subjectaltname: Option<String>,
    /// `infoAccess`, e.g. `("OCSP - URI", ["http://ocsp.example/"])`.
    pub info_access: Option<Vec<(String, Vec<String>)>>,
    /// `ca`: whether OpenSSL's `X509_check_ca()` returns 1.
    pub ca: bool,
    /// `modulus` (RSA keys): uppercase hexadecimal, no leading zeros.
    pub modulus: Option<String>,
    /// `bits`: the modulus size for RSA keys, the group order size for EC
    /// keys.
    pub bits: Option<u32>,
    /// `exponent` (RSA keys), e.g. `0x10001`.
    pub exponent: Option<String>,
    /// `pubkey`: the DER `SubjectPublicKeyInfo` for RSA keys, the encoded
    /// point for EC keys.
    pub pubkey: Option<Vec<u8>>,
    /// `asn1Curve` (EC keys), e.g. `prime256v1`.
    pub asn1_curve: Option<String>,
    /// `nistCurve` (EC keys on a NIST curve), e.g. `P-256`.
    pub nist_curve: Option<String>,
    /// `valid_from`, e.g. `Nov 11 09:52:22 2009 GMT`.
    pub valid_from: String,
    /// `valid_to`, formatted like [`PeerCertificate::valid_from`].
    pub valid_to: String,
    /// `fingerprint`: SHA-1 of the DER, colon-separated uppercase hex.
    pub fingerprint: String,
    /// `fingerprint256`: SHA-256 of the DER.
    pub fingerprint256: String,
    /// `fingerprint512`: SHA-512 of the DER.
    pub fingerprint512: String,
    /// `ext_key_usage`: the extended key usage OIDs in dotted form.
    pub ext_key_usage: Option<Vec<String>>,
    /// `serialNumber`: uppercase hexadecimal, whole bytes.
    pub serial_number: String,
    /// `raw`: the DER certificate.
    pub raw: Vec<u8>,
}

/// Why [`describe`] could not describe a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DescribeError {
    /// The bytes are not a DER X.509 certificate.
    Malformed(String),
    /// Bytes follow the certificate.
    TrailingData,
    /// The certificate parses, but OpenSSL (and so Node) would refuse it.
    Rejected(&'static str),
}

impl fmt::Display for DescribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DescribeError::Malformed(why) => write!(f, "malformed certificate: {why}"),
            DescribeError::TrailingData => f.write_str("data after the certificate"),
            DescribeError::Rejected(why) => write!(f, "certificate OpenSSL would not load: {why}"),
        }
    }
}

impl std::error::Error for DescribeError {}

/// Describes one DER certificate as Node's `getPeerCertificate()` does.
pub fn describe(der: &[u8]) -> Result<PeerCertificate, DescribeError> {
    let (rest, _) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| DescribeError::Malformed(e.to_string()))?;
    if !rest.is_empty() {
        return Err(DescribeError::TrailingData);
    }
    let (tbs, subject_entries) = tbs_and_subject(der)?;
    let issuer_entries =
        parse_name(tbs.issuer).ok_or(DescribeError::Rejected("undecodable issuer name"))?;
    let serial_number =
        serial_hex(tbs.serial).ok_or(DescribeError::Rejected("badly encoded serial number"))?;

    let subjectaltname = subjectaltname(&tbs);
    let info_access = first_ext(&tbs.extensions, OID_INFO_ACCESS)
        .and_then(|ext| info_access_text(ext.value))
        .map(|text| translate_info_access(&text));
    let ext_key_usage = match lookup(&tbs.extensions, OID_EXT_KEY_USAGE) {
        Lookup::One(ext) => parse_ext_key_usage(ext.value),
        Lookup::Absent | Lookup::Duplicate => None,
    };

    let mut cert = PeerCertificate {
        subject: name_object(&subject_entries),
        issuer: name_object(&issuer_entries),
        subjectaltname,
        info_access,
        ca: check_ca(&tbs.extensions),
        modulus: None,
        bits: None,
        exponent: None,
        pubkey: None,
        asn1_curve: None,
        nist_curve: None,
        valid_from: time_text(&tbs.not_before),
        valid_to: time_text(&tbs.not_after),
        fingerprint: fingerprint(&digest::SHA1_FOR_LEGACY_USE_ONLY, der),
        fingerprint256: fingerprint(&digest::SHA256, der),
        fingerprint512: fingerprint(&digest::SHA512, der),
        ext_key_usage,
        serial_number,
        raw: der.to_vec(),
    };
    match tbs.key_algorithm.as_str() {
        OID_RSA_ENCRYPTION | OID_RSA_X500 => {
            if let Some(rsa) = rsa_key(tbs.key_bits) {
                cert.modulus = Some(rsa.modulus);
                cert.bits = Some(rsa.bits);
                cert.exponent = Some(rsa.exponent);
                cert.pubkey = Some(rsa.spki);
            }
        }
        OID_EC_PUBLIC_KEY => {
            if let Some(curve) = named_curve(tbs.key_params.as_ref(), tbs.key_bits) {
                cert.bits = Some(curve.order_bits);
                cert.pubkey = Some(tbs.key_bits.to_vec());
                cert.asn1_curve = Some(curve.name.to_owned());
                cert.nist_curve = curve.nist.map(str::to_owned);
            }
        }
        _ => {}
    }
    Ok(cert)
}

/// Just the two fields Node's `checkServerIdentity` reads: `subjectaltname` and the
/// subject's `CN` values, without the rest of [`describe`]'s work (fingerprints, key
/// fields); the host check runs on every handshake.
pub fn identity_fields(der: &[u8]) -> Result<(Option<String>, Vec<String>), DescribeError> {
    let (tbs, subject) = tbs_and_subject(der)?;
    let subjectaltname = subjectaltname(&tbs);
    let cns = name_object(&subject)
        .into_iter()
        .filter(|(name, _)| name == "CN")
        .flat_map(|(_, values)| values)
        .collect();
    Ok((subjectaltname, cns))
}

/// OpenSSL's short name for a name attribute type given in dotted form
/// (`"2.5.4.3"` gives `"CN"`, `"1.2.840.113549.1.9.1"` gives
/// `"emailAddress"`), as Node uses it for `subject` and `issuer` keys.
/// `None` for identifiers outside this module's table; [`describe`] then
/// uses the dotted form, as Node does for identifiers OpenSSL does not know.
pub fn attribute_short_name(dotted_oid: &str) -> Option<&'static str> {
    table_name(NAME_ATTRIBUTES, dotted_oid)
}

/// The TBSCertificate of a DER certificate and the attributes of its
/// subject, which both [`describe`] and [`identity_fields`] start from.
fn tbs_and_subject(der: &[u8]) -> Result<(Tbs<'_>, Vec<NameEntry<'_>>), DescribeError> {
    let tbs = Tbs::parse(der)
        .ok_or_else(|| DescribeError::Malformed("unexpected TBSCertificate layout".to_owned()))?;
    let subject =
        parse_name(tbs.subject).ok_or(DescribeError::Rejected("undecodable subject name"))?;
    Ok((tbs, subject))
}

/// `subjectaltname`: the first subjectAltName extension as Node prints it.
fn subjectaltname(tbs: &Tbs<'_>) -> Option<String> {
    first_ext(&tbs.extensions, OID_SUBJECT_ALT_NAME).and_then(|ext| general_names_text(ext.value))
}

impl PeerCertificate {
    /// The object as `JSON.stringify` prints it, `raw` and `pubkey` being
    /// base64 strings (no `issuerCertificate` key; see [`chain_to_json`]).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json_fields(&mut out);
        out.push('}');
        out
    }

    /// Whether subject and issuer are equal as Node shows them.
    pub fn is_self_issued(&self) -> bool {
        self.subject == self.issuer
    }
}

/// `JSON.stringify(socket.getPeerCertificate(true))` for a chain, leaf
/// first: each certificate holds the next under `issuerCertificate`. Node
/// links a self-signed root to itself, which JSON cannot show, so the last
/// certificate never has the key. An empty chain gives `{}`, as Node returns
/// an empty object when there is no peer certificate.
pub fn chain_to_json(chain: &[PeerCertificate]) -> String {
    let mut out = String::new();
    if chain.is_empty() {
        out.push_str("{}");
        return out;
    }
    for (i, cert) in chain.iter().enumerate() {
        cert.write_json_fields(&mut out);
        if i + 1 < chain.len() {
            out.push_str(",\"issuerCertificate\":");
        }
    }
    for _ in chain {
        out.push('}');
    }
    out
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_node;
