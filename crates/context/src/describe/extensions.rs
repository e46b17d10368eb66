//! The extensions behind `ca` (OpenSSL's `X509_check_ca()`) and
//! `ext_key_usage`.

use super::der::{
    bit_string_ok, fit, integer_ok, oid_text, read_sequence_of, read_tlv, TAG_BIT_STRING,
    TAG_BOOLEAN, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE,
};
use super::general_names::general_names_text;
use super::tbs::{
    first_ext, lookup, Extension, Lookup, OID_AS_IDENTIFIERS, OID_AUTHORITY_KEY_ID,
    OID_BASIC_CONSTRAINTS, OID_CRL_DISTRIBUTION_POINTS, OID_EXT_KEY_USAGE, OID_IP_ADDR_BLOCKS,
    OID_ISSUER_ALT_NAME, OID_KEY_USAGE, OID_NAME_CONSTRAINTS, OID_NS_CERT_TYPE,
    OID_PROXY_CERT_INFO, OID_SUBJECT_ALT_NAME, OID_SUBJECT_KEY_ID,
};

/// The extended key usage OIDs; `None` if malformed.
pub(super) fn parse_ext_key_usage(value: &[u8]) -> Option<Vec<String>> {
    read_sequence_of(value)?
        .iter()
        .map(|oid| {
            if oid.is_universal(TAG_OID, false) {
                oid_text(oid.contents).map(|text| fit(text, 256))
            } else {
                None
            }
        })
        .collect()
}

/// Basic constraints: `(cA, pathLen < 0)`; `None` if malformed.
pub(super) fn parse_basic_constraints(value: &[u8]) -> Option<(bool, bool)> {
    let items = read_sequence_of(value)?;
    let mut items = items.iter().peekable();
    let mut ca = false;
    if let Some(flag) = items.next_if(|t| t.is_universal(TAG_BOOLEAN, false)) {
        match flag.contents {
            [v] => ca = *v != 0,
            _ => return None,
        }
    }
    let mut negative_path_len = false;
    if let Some(len) = items.next_if(|t| t.is_universal(TAG_INTEGER, false)) {
        if !integer_ok(len.contents) {
            return None;
        }
        negative_path_len = len.contents.first().is_some_and(|b| b & 0x80 != 0);
    }
    if items.next().is_some() {
        return None;
    }
    Some((ca, negative_path_len))
}

/// The first two octets of a BIT STRING (as OpenSSL's `ex_kusage` and
/// `ex_nscert`); `None` if malformed.
pub(super) fn parse_bit_flags(value: &[u8]) -> Option<u16> {
    let (bits, _) = read_tlv(value)?;
    if !bits.is_universal(TAG_BIT_STRING, false) || !bit_string_ok(bits.contents) {
        return None;
    }
    let unused = *bits.contents.first()?;
    let mut data = bits.contents.get(1..)?.to_vec();
    if let Some(last) = data.last_mut() {
        *last &= 0xffu8 << unused;
    }
    let b0 = u16::from(data.first().copied().unwrap_or(0));
    let b1 = u16::from(data.get(1).copied().unwrap_or(0));
    Some(b0 | (b1 << 8))
}

/// Whether an extension's value starts with an element of this universal
/// type (a shallow check for the extensions OpenSSL decodes only to
/// validate them).
fn starts_with(value: &[u8], tag: u32, constructed: bool) -> bool {
    read_tlv(value).is_some_and(|(tlv, _)| tlv.is_universal(tag, constructed))
}

/// OpenSSL's `X509_check_ca(cert) == 1`: every extension
/// `x509v3_cache_extensions` decodes is well formed and not repeated,
/// basicConstraints says cA, and keyUsage, if present, allows keyCertSign.
pub(super) fn check_ca(extensions: &[Extension<'_>]) -> bool {
    let mut invalid = false;
    let mut get = |oid: &str| match lookup(extensions, oid) {
        Lookup::Absent => None,
        Lookup::One(ext) => Some(ext.value),
        Lookup::Duplicate => {
            invalid = true;
            None
        }
    };
    let basic = get(OID_BASIC_CONSTRAINTS);
    let proxy = get(OID_PROXY_CERT_INFO);
    let key_usage = get(OID_KEY_USAGE);
    let eku = get(OID_EXT_KEY_USAGE);
    let ns_cert_type = get(OID_NS_CERT_TYPE);
    let skid = get(OID_SUBJECT_KEY_ID);
    let akid = get(OID_AUTHORITY_KEY_ID);
    let san = get(OID_SUBJECT_ALT_NAME);
    let name_constraints = get(OID_NAME_CONSTRAINTS);
    let crl_dp = get(OID_CRL_DISTRIBUTION_POINTS);
    let ip_blocks = get(OID_IP_ADDR_BLOCKS);
    let as_ids = get(OID_AS_IDENTIFIERS);
    if invalid {
        return false;
    }

    let basic = match basic.map(parse_basic_constraints) {
        Some(None) => return false,
        Some(Some((_, true))) => return false,
        Some(Some((ca, false))) => Some(ca),
        None => None,
    };
    let key_usage = match key_usage.map(parse_bit_flags) {
        Some(None) | Some(Some(0)) => return false,
        other => other.flatten(),
    };
    if let Some(value) = proxy {
        if !starts_with(value, TAG_SEQUENCE, true)
            || basic == Some(true)
            || first_ext(extensions, OID_SUBJECT_ALT_NAME).is_some()
            || first_ext(extensions, OID_ISSUER_ALT_NAME).is_some()
        {
            return false;
        }
    }
    if eku.is_some_and(|v| parse_ext_key_usage(v).is_none())
        || ns_cert_type.is_some_and(|v| parse_bit_flags(v).is_none())
        || skid.is_some_and(|v| !starts_with(v, TAG_OCTET_STRING, false))
        || akid.is_some_and(|v| !starts_with(v, TAG_SEQUENCE, true))
        || san.is_some_and(|v| general_names_text(v).is_none())
        || name_constraints.is_some_and(|v| !starts_with(v, TAG_SEQUENCE, true))
        || crl_dp.is_some_and(|v| read_sequence_of(v).is_none())
        || ip_blocks.is_some_and(|v| !starts_with(v, TAG_SEQUENCE, true))
        || as_ids.is_some_and(|v| !starts_with(v, TAG_SEQUENCE, true))
    {
        return false;
    }

    const KU_KEY_CERT_SIGN: u16 = 0x0004;
    if key_usage.is_some_and(|ku| ku & KU_KEY_CERT_SIGN == 0) {
        return false;
    }
    basic == Some(true)
}
