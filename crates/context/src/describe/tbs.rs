//! The TBSCertificate fields this module prints, and the extension lookups
//! OpenSSL makes.

use super::der::{
    oid_text, read_all, read_sequence_of, read_single, Tlv, TAG_BIT_STRING, TAG_INTEGER,
    TAG_OCTET_STRING, TAG_OID,
};

pub(super) const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
pub(super) const OID_RSA_X500: &str = "2.5.8.1.1";
pub(super) const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

pub(super) const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
pub(super) const OID_KEY_USAGE: &str = "2.5.29.15";
pub(super) const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
pub(super) const OID_ISSUER_ALT_NAME: &str = "2.5.29.18";
pub(super) const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
pub(super) const OID_NAME_CONSTRAINTS: &str = "2.5.29.30";
pub(super) const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
pub(super) const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
pub(super) const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
pub(super) const OID_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
pub(super) const OID_IP_ADDR_BLOCKS: &str = "1.3.6.1.5.5.7.1.7";
pub(super) const OID_AS_IDENTIFIERS: &str = "1.3.6.1.5.5.7.1.8";
pub(super) const OID_PROXY_CERT_INFO: &str = "1.3.6.1.5.5.7.1.14";
pub(super) const OID_NS_CERT_TYPE: &str = "2.16.840.1.113730.1.1";

/// One extension: dotted OID and the contents of its OCTET STRING.
pub(super) struct Extension<'a> {
    pub(super) oid: String,
    pub(super) value: &'a [u8],
}

/// The parts of a TBSCertificate this module prints.
pub(super) struct Tbs<'a> {
    pub(super) serial: &'a [u8],
    pub(super) issuer: &'a [u8],
    pub(super) not_before: Tlv<'a>,
    pub(super) not_after: Tlv<'a>,
    pub(super) subject: &'a [u8],
    pub(super) key_algorithm: String,
    pub(super) key_params: Option<Tlv<'a>>,
    /// The subject public key BIT STRING without its unused-bits octet.
    pub(super) key_bits: &'a [u8],
    pub(super) extensions: Vec<Extension<'a>>,
}

impl<'a> Tbs<'a> {
    pub(super) fn parse(der: &'a [u8]) -> Option<Self> {
        let cert = read_single(der)?;
        if !cert.is_sequence() {
            return None;
        }
        let tbs = *read_all(cert.contents)?.first()?;
        if !tbs.is_sequence() {
            return None;
        }
        let items = read_all(tbs.contents)?;
        let mut items = items.into_iter().peekable();
        if items.peek()?.is_context(0, true) {
            items.next();
        }
        let serial = items.next()?;
        let _signature = items.next()?;
        let issuer = items.next()?;
        let validity = items.next()?;
        let subject = items.next()?;
        let spki = items.next()?;
        if !serial.is_universal(TAG_INTEGER, false)
            || !issuer.is_sequence()
            || !validity.is_sequence()
            || !subject.is_sequence()
            || !spki.is_sequence()
        {
            return None;
        }
        let (not_before, not_after) = match read_all(validity.contents)?.as_slice() {
            [a, b] => (*a, *b),
            _ => return None,
        };
        let (algorithm, key) = match read_all(spki.contents)?.as_slice() {
            [a, k] if a.is_sequence() && k.is_universal(TAG_BIT_STRING, false) => (*a, *k),
            _ => return None,
        };
        let alg_items = read_all(algorithm.contents)?;
        let alg_oid = alg_items.first()?;
        if !alg_oid.is_universal(TAG_OID, false) {
            return None;
        }
        let key_bits = key.contents.get(1..)?;
        let mut extensions = Vec::new();
        for item in items {
            if !item.is_context(3, true) {
                continue;
            }
            for ext in read_sequence_of(item.contents)? {
                if !ext.is_sequence() {
                    return None;
                }
                let parts = read_all(ext.contents)?;
                let oid = parts.first()?;
                let value = parts.last()?;
                if !oid.is_universal(TAG_OID, false) || !value.is_universal(TAG_OCTET_STRING, false)
                {
                    return None;
                }
                extensions.push(Extension {
                    oid: oid_text(oid.contents)?,
                    value: value.contents,
                });
            }
        }
        Some(Tbs {
            serial: serial.contents,
            issuer: issuer.contents,
            not_before,
            not_after,
            subject: subject.contents,
            key_algorithm: oid_text(alg_oid.contents)?,
            key_params: alg_items.get(1).copied(),
            key_bits,
            extensions,
        })
    }
}

pub(super) enum Lookup<'e, 'a> {
    Absent,
    One(&'e Extension<'a>),
    Duplicate,
}

/// An extension as OpenSSL's `X509_get_ext_d2i` finds it: absent, once,
/// or more than once (which it treats as an error).
pub(super) fn lookup<'e, 'a>(extensions: &'e [Extension<'a>], oid: &str) -> Lookup<'e, 'a> {
    let mut found = extensions.iter().filter(|ext| ext.oid == oid);
    match (found.next(), found.next()) {
        (None, _) => Lookup::Absent,
        (Some(ext), None) => Lookup::One(ext),
        (Some(_), Some(_)) => Lookup::Duplicate,
    }
}

/// The first extension with this OID (`X509_get_ext_by_NID(x, nid, -1)`).
pub(super) fn first_ext<'e, 'a>(
    extensions: &'e [Extension<'a>],
    oid: &str,
) -> Option<&'e Extension<'a>> {
    extensions.iter().find(|ext| ext.oid == oid)
}
