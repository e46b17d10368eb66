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

use std::fmt;

use ring::digest;

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
    let tbs = Tbs::parse(der)
        .ok_or_else(|| DescribeError::Malformed("unexpected TBSCertificate layout".to_owned()))?;

    let subject_entries =
        parse_name(tbs.subject).ok_or(DescribeError::Rejected("undecodable subject name"))?;
    let issuer_entries =
        parse_name(tbs.issuer).ok_or(DescribeError::Rejected("undecodable issuer name"))?;
    let serial_number =
        serial_hex(tbs.serial).ok_or(DescribeError::Rejected("badly encoded serial number"))?;

    let subjectaltname = first_ext(&tbs.extensions, OID_SUBJECT_ALT_NAME)
        .and_then(|ext| general_names_text(ext.value));
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
    let tbs = Tbs::parse(der)
        .ok_or_else(|| DescribeError::Malformed("unexpected TBSCertificate layout".to_owned()))?;
    let subject =
        parse_name(tbs.subject).ok_or(DescribeError::Rejected("undecodable subject name"))?;
    let subjectaltname = first_ext(&tbs.extensions, OID_SUBJECT_ALT_NAME)
        .and_then(|ext| general_names_text(ext.value));
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
    NAME_ATTRIBUTES
        .iter()
        .find(|(oid, _)| *oid == dotted_oid)
        .map(|(_, name)| *name)
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

    /// `(key, JSON value)` pairs in Node's key order.
    fn json_fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = vec![
            ("subject", name_json(&self.subject)),
            ("issuer", name_json(&self.issuer)),
        ];
        if let Some(san) = &self.subjectaltname {
            fields.push(("subjectaltname", json_string(san)));
        }
        if let Some(info) = &self.info_access {
            fields.push(("infoAccess", multi_map_json(info, true)));
        }
        fields.push(("ca", self.ca.to_string()));
        // RSA keys give modulus, bits, exponent, pubkey; EC keys give bits,
        // pubkey, asn1Curve, nistCurve: one order serves both.
        if let Some(modulus) = &self.modulus {
            fields.push(("modulus", json_string(modulus)));
        }
        if let Some(bits) = self.bits {
            fields.push(("bits", bits.to_string()));
        }
        if let Some(exponent) = &self.exponent {
            fields.push(("exponent", json_string(exponent)));
        }
        if let Some(pubkey) = &self.pubkey {
            fields.push(("pubkey", json_string(&base64(pubkey))));
        }
        if let Some(curve) = &self.asn1_curve {
            fields.push(("asn1Curve", json_string(curve)));
        }
        if let Some(curve) = &self.nist_curve {
            fields.push(("nistCurve", json_string(curve)));
        }
        fields.push(("valid_from", json_string(&self.valid_from)));
        fields.push(("valid_to", json_string(&self.valid_to)));
        fields.push(("fingerprint", json_string(&self.fingerprint)));
        fields.push(("fingerprint256", json_string(&self.fingerprint256)));
        fields.push(("fingerprint512", json_string(&self.fingerprint512)));
        if let Some(usages) = &self.ext_key_usage {
            let items: Vec<String> = usages.iter().map(|u| json_string(u)).collect();
            fields.push(("ext_key_usage", format!("[{}]", items.join(","))));
        }
        fields.push(("serialNumber", json_string(&self.serial_number)));
        fields.push(("raw", json_string(&base64(&self.raw))));
        fields
    }

    /// Writes `{` and the fields, without the closing brace.
    fn write_json_fields(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.json_fields().into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&json_string(key));
            out.push(':');
            out.push_str(&value);
        }
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

// ---------------------------------------------------------------------------
// JSON and base64
// ---------------------------------------------------------------------------

/// A JSON string literal, escaped as `JSON.stringify` does.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A name object: one string per key, or an array when the key repeats.
fn name_json(fields: &[(String, Vec<String>)]) -> String {
    multi_map_json(fields, false)
}

/// An object of string values; with `always_array`, every value is an array
/// (as `infoAccess` has them).
fn multi_map_json(fields: &[(String, Vec<String>)], always_array: bool) -> String {
    let mut out = String::from("{");
    for (i, (key, values)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&json_string(key));
        out.push(':');
        match values.as_slice() {
            [one] if !always_array => out.push_str(&json_string(one)),
            _ => {
                let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
                out.push('[');
                out.push_str(&items.join(","));
                out.push(']');
            }
        }
    }
    out.push('}');
    out
}

/// Standard base64 with padding, as `Buffer#toString('base64')`.
fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b0 = chunk.first().copied().unwrap_or(0);
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        let sextet = |shift: u32| char::from(ALPHABET[((n >> shift) & 0x3f) as usize]);
        out.push(sextet(18));
        out.push(sextet(12));
        out.push(if chunk.len() > 1 { sextet(6) } else { '=' });
        out.push(if chunk.len() > 2 { sextet(0) } else { '=' });
    }
    out
}

/// Decodes a JSON string literal as produced by Node's `PrintAltName`
/// (`\\`, `\"`, `\uXXXX`), the way `translatePeerCertificate` `JSON.parse`s
/// it; `None` if it is not one complete literal.
fn json_unquote(text: &str) -> Option<String> {
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    let mut pending_high: Option<u32> = None;
    while let Some(c) = chars.next() {
        let unit = match c {
            '"' => return None,
            '\\' => match chars.next()? {
                '"' => u32::from('"'),
                '\\' => u32::from('\\'),
                '/' => u32::from('/'),
                'b' => 8,
                'f' => 12,
                'n' => 10,
                'r' => 13,
                't' => 9,
                'u' => {
                    let mut v = 0u32;
                    for _ in 0..4 {
                        v = v * 16 + chars.next()?.to_digit(16)?;
                    }
                    v
                }
                _ => return None,
            },
            c if u32::from(c) < 0x20 => return None,
            c => {
                if pending_high.take().is_some() {
                    out.push(char::REPLACEMENT_CHARACTER);
                }
                out.push(c);
                continue;
            }
        };
        if let Some(high) = pending_high.take() {
            if (0xdc00..0xe000).contains(&unit) {
                let cp = 0x10000 + ((high - 0xd800) << 10) + (unit - 0xdc00);
                out.push(char::from_u32(cp).unwrap_or(char::REPLACEMENT_CHARACTER));
                continue;
            }
            out.push(char::REPLACEMENT_CHARACTER);
        }
        if (0xd800..0xdc00).contains(&unit) {
            pending_high = Some(unit);
        } else {
            out.push(char::from_u32(unit).unwrap_or(char::REPLACEMENT_CHARACTER));
        }
    }
    if pending_high.is_some() {
        out.push(char::REPLACEMENT_CHARACTER);
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// DER reading
// ---------------------------------------------------------------------------

const CLASS_UNIVERSAL: u8 = 0;
const CLASS_CONTEXT: u8 = 2;

const TAG_BOOLEAN: u32 = 1;
const TAG_INTEGER: u32 = 2;
const TAG_BIT_STRING: u32 = 3;
const TAG_OCTET_STRING: u32 = 4;
const TAG_OID: u32 = 6;
const TAG_UTF8_STRING: u32 = 12;
const TAG_SEQUENCE: u32 = 16;
const TAG_SET: u32 = 17;
const TAG_NUMERIC_STRING: u32 = 18;
const TAG_PRINTABLE_STRING: u32 = 19;
const TAG_T61_STRING: u32 = 20;
const TAG_IA5_STRING: u32 = 22;
const TAG_UTC_TIME: u32 = 23;
const TAG_GENERALIZED_TIME: u32 = 24;
const TAG_VISIBLE_STRING: u32 = 26;
const TAG_UNIVERSAL_STRING: u32 = 28;
const TAG_BMP_STRING: u32 = 30;

/// One DER element.
#[derive(Debug, Clone, Copy)]
struct Tlv<'a> {
    class: u8,
    constructed: bool,
    tag: u32,
    contents: &'a [u8],
    /// The whole element: identifier, length and contents.
    raw: &'a [u8],
}

impl Tlv<'_> {
    fn is_universal(&self, tag: u32, constructed: bool) -> bool {
        self.class == CLASS_UNIVERSAL && self.tag == tag && self.constructed == constructed
    }

    fn is_context(&self, tag: u32, constructed: bool) -> bool {
        self.class == CLASS_CONTEXT && self.tag == tag && self.constructed == constructed
    }

    fn is_sequence(&self) -> bool {
        self.is_universal(TAG_SEQUENCE, true)
    }
}

/// Reads the element at the front of `input`; `None` if it is cut short or
/// uses the indefinite length.
fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&first, mut rest) = input.split_first()?;
    let class = first >> 6;
    let constructed = first & 0x20 != 0;
    let mut tag = u32::from(first & 0x1f);
    if tag == 0x1f {
        tag = 0;
        loop {
            let (&b, r) = rest.split_first()?;
            rest = r;
            if tag == 0 && b == 0x80 {
                return None;
            }
            tag = tag.checked_mul(128)?.checked_add(u32::from(b & 0x7f))?;
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let (&len_byte, r) = rest.split_first()?;
    rest = r;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else if len_byte == 0x80 {
        return None;
    } else {
        let (len_bytes, r) = rest.split_at_checked(usize::from(len_byte & 0x7f))?;
        rest = r;
        len_bytes.iter().try_fold(0usize, |acc, &b| {
            acc.checked_mul(256)?.checked_add(usize::from(b))
        })?
    };
    let (contents, after) = rest.split_at_checked(len)?;
    let raw = input.get(..input.len() - after.len())?;
    Some((
        Tlv {
            class,
            constructed,
            tag,
            contents,
            raw,
        },
        after,
    ))
}

/// The one element `input` holds, nothing after it.
fn read_single(input: &[u8]) -> Option<Tlv<'_>> {
    match read_tlv(input)? {
        (tlv, []) => Some(tlv),
        _ => None,
    }
}

/// All the elements `input` holds, back to back.
fn read_all(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut items = Vec::new();
    while !input.is_empty() {
        let (tlv, rest) = read_tlv(input)?;
        items.push(tlv);
        input = rest;
    }
    Some(items)
}

/// The elements of a `SEQUENCE OF`, which must be the first element of
/// `input` (OpenSSL ignores what follows an extension's value).
fn read_sequence_of(input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let (seq, _) = read_tlv(input)?;
    if !seq.is_sequence() {
        return None;
    }
    read_all(seq.contents)
}

/// Whether an `INTEGER`'s contents are what OpenSSL's `c2i_ASN1_INTEGER`
/// accepts: not empty, no redundant leading octet.
fn integer_ok(contents: &[u8]) -> bool {
    match contents {
        [] => false,
        [_] => true,
        [first, second, rest @ ..] => {
            let neg = first & 0x80;
            let pad = match first {
                0 => true,
                0xff => *second != 0 || rest.iter().any(|&b| b != 0),
                _ => false,
            };
            !(pad && neg == second & 0x80)
        }
    }
}

/// Whether `contents` encode a BIT STRING OpenSSL accepts.
fn bit_string_ok(contents: &[u8]) -> bool {
    matches!(contents.first(), Some(&unused) if unused <= 7)
}

// ---------------------------------------------------------------------------
// Object identifiers
// ---------------------------------------------------------------------------

/// The dotted form of an OBJECT IDENTIFIER's contents (OpenSSL's
/// `OBJ_obj2txt(..., 1)`, with no length limit); `None` if malformed.
fn oid_text(contents: &[u8]) -> Option<String> {
    if contents.last()? & 0x80 != 0 {
        return None;
    }
    let mut out = String::new();
    let mut start = 0;
    for (i, &b) in contents.iter().enumerate() {
        if b & 0x80 != 0 {
            continue;
        }
        let group = contents.get(start..=i)?;
        if group.first() == Some(&0x80) {
            return None;
        }
        let mut limbs = base128_limbs(group);
        if start == 0 {
            let small = if limbs.len() == 1 { limbs[0] } else { u32::MAX };
            let first_arc = match small {
                0..=39 => 0,
                40..=79 => 1,
                _ => 2,
            };
            limbs_sub(&mut limbs, first_arc * 40);
            out.push_str(&first_arc.to_string());
        }
        out.push('.');
        out.push_str(&limbs_decimal(&limbs));
        start = i + 1;
    }
    Some(out)
}

const LIMB: u64 = 1_000_000_000;

/// A base-128 subidentifier as little-endian base-10⁹ limbs.
fn base128_limbs(group: &[u8]) -> Vec<u32> {
    let mut limbs = vec![0u32];
    for &b in group {
        let mut carry = u64::from(b & 0x7f);
        for limb in limbs.iter_mut() {
            let v = u64::from(*limb) * 128 + carry;
            *limb = (v % LIMB) as u32;
            carry = v / LIMB;
        }
        if carry > 0 {
            limbs.push(carry as u32);
        }
    }
    limbs
}

/// Subtracts a small value (no more than the number) from limbs.
fn limbs_sub(limbs: &mut Vec<u32>, value: u32) {
    let mut borrow = u64::from(value);
    for limb in limbs.iter_mut() {
        if borrow == 0 {
            break;
        }
        let current = u64::from(*limb);
        if current >= borrow {
            *limb = (current - borrow) as u32;
            borrow = 0;
        } else {
            *limb = (current + LIMB - borrow) as u32;
            borrow = 1;
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
}

fn limbs_decimal(limbs: &[u32]) -> String {
    let mut out = String::new();
    for (i, limb) in limbs.iter().rev().enumerate() {
        if i == 0 {
            out.push_str(&limb.to_string());
        } else {
            out.push_str(&format!("{limb:09}"));
        }
    }
    out
}

/// What OpenSSL leaves of an ASCII string written into a `size`-byte
/// buffer.
fn fit(mut text: String, size: usize) -> String {
    if text.len() >= size && text.is_ascii() {
        text.truncate(size - 1);
    }
    text
}

/// The key Node uses for a name attribute: OpenSSL's short name, or the
/// dotted OID as `OBJ_obj2txt` writes it into an 80-byte buffer.
fn attribute_key(dotted: &str) -> String {
    match attribute_short_name(dotted) {
        Some(name) => name.to_owned(),
        None => fit(dotted.to_owned(), 80),
    }
}

// ---------------------------------------------------------------------------
// Certificate layout
// ---------------------------------------------------------------------------

const OID_RSA_ENCRYPTION: &str = "1.2.840.113549.1.1.1";
const OID_RSA_X500: &str = "2.5.8.1.1";
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";

const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_ISSUER_ALT_NAME: &str = "2.5.29.18";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_NAME_CONSTRAINTS: &str = "2.5.29.30";
const OID_CRL_DISTRIBUTION_POINTS: &str = "2.5.29.31";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_INFO_ACCESS: &str = "1.3.6.1.5.5.7.1.1";
const OID_IP_ADDR_BLOCKS: &str = "1.3.6.1.5.5.7.1.7";
const OID_AS_IDENTIFIERS: &str = "1.3.6.1.5.5.7.1.8";
const OID_PROXY_CERT_INFO: &str = "1.3.6.1.5.5.7.1.14";
const OID_NS_CERT_TYPE: &str = "2.16.840.1.113730.1.1";

/// One extension: dotted OID and the contents of its OCTET STRING.
struct Extension<'a> {
    oid: String,
    value: &'a [u8],
}

/// The parts of a TBSCertificate this module prints.
struct Tbs<'a> {
    serial: &'a [u8],
    issuer: &'a [u8],
    not_before: Tlv<'a>,
    not_after: Tlv<'a>,
    subject: &'a [u8],
    key_algorithm: String,
    key_params: Option<Tlv<'a>>,
    /// The subject public key BIT STRING without its unused-bits octet.
    key_bits: &'a [u8],
    extensions: Vec<Extension<'a>>,
}

impl<'a> Tbs<'a> {
    fn parse(der: &'a [u8]) -> Option<Self> {
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

enum Lookup<'e, 'a> {
    Absent,
    One(&'e Extension<'a>),
    Duplicate,
}

/// An extension as OpenSSL's `X509_get_ext_d2i` finds it: absent, once,
/// or more than once (which it treats as an error).
fn lookup<'e, 'a>(extensions: &'e [Extension<'a>], oid: &str) -> Lookup<'e, 'a> {
    let mut found = extensions.iter().filter(|ext| ext.oid == oid);
    match (found.next(), found.next()) {
        (None, _) => Lookup::Absent,
        (Some(ext), None) => Lookup::One(ext),
        (Some(_), Some(_)) => Lookup::Duplicate,
    }
}

/// The first extension with this OID (`X509_get_ext_by_NID(x, nid, -1)`).
fn first_ext<'e, 'a>(extensions: &'e [Extension<'a>], oid: &str) -> Option<&'e Extension<'a>> {
    extensions.iter().find(|ext| ext.oid == oid)
}

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// One attribute of a distinguished name.
struct NameEntry<'a> {
    /// Index of the RelativeDistinguishedName holding it.
    set: usize,
    oid: String,
    value: Tlv<'a>,
}

/// The attributes of a Name (the contents of its SEQUENCE), checked as
/// OpenSSL's `X509_NAME` decoder checks them; `None` where it would fail.
fn parse_name(contents: &[u8]) -> Option<Vec<NameEntry<'_>>> {
    let mut entries = Vec::new();
    for (set, rdn) in read_all(contents)?.into_iter().enumerate() {
        if !rdn.is_universal(TAG_SET, true) {
            return None;
        }
        for atv in read_all(rdn.contents)? {
            if !atv.is_sequence() {
                return None;
            }
            let (oid, value) = match read_all(atv.contents)?.as_slice() {
                [oid, value] if oid.is_universal(TAG_OID, false) => (*oid, *value),
                _ => return None,
            };
            if !name_value_ok(&value) {
                return None;
            }
            entries.push(NameEntry {
                set,
                oid: oid_text(oid.contents)?,
                value,
            });
        }
    }
    Some(entries)
}

/// Whether OpenSSL loads this attribute value: a universal type of
/// `B_ASN1_PRINTABLE` (`ASN1_PRINTABLE`), and, for the string types it
/// canonicalises, a string it can convert to UTF-8.
fn name_value_ok(value: &Tlv<'_>) -> bool {
    if value.class != CLASS_UNIVERSAL {
        return false;
    }
    match value.tag {
        TAG_SEQUENCE => value.constructed,
        TAG_BIT_STRING => !value.constructed && bit_string_ok(value.contents),
        TAG_NUMERIC_STRING => !value.constructed,
        TAG_UTF8_STRING | TAG_PRINTABLE_STRING | TAG_T61_STRING | TAG_IA5_STRING
        | TAG_UNIVERSAL_STRING | TAG_BMP_STRING => {
            !value.constructed && string_to_utf8(value).is_some()
        }
        // Types OpenSSL maps to B_ASN1_UNKNOWN.
        7 | 8 | 9 | 11 | 13 | 14 | 15 | 29 => true,
        _ => false,
    }
}

/// OpenSSL's `ASN1_STRING_to_UTF8`: `None` for types it cannot convert and
/// for invalid strings.
fn string_to_utf8(value: &Tlv<'_>) -> Option<String> {
    if value.class != CLASS_UNIVERSAL {
        return None;
    }
    let data = value.contents;
    match value.tag {
        TAG_UTF8_STRING => std::str::from_utf8(data).ok().map(str::to_owned),
        TAG_NUMERIC_STRING | TAG_PRINTABLE_STRING | TAG_T61_STRING | TAG_IA5_STRING
        | TAG_UTC_TIME | TAG_GENERALIZED_TIME | TAG_VISIBLE_STRING => {
            Some(data.iter().map(|&b| char::from(b)).collect())
        }
        TAG_UNIVERSAL_STRING => {
            let chunks = data.chunks_exact(4);
            if !chunks.remainder().is_empty() {
                return None;
            }
            chunks
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        TAG_BMP_STRING => {
            let chunks = data.chunks_exact(2);
            if !chunks.remainder().is_empty() {
                return None;
            }
            chunks
                .map(|c| char::from_u32(u32::from(u16::from_be_bytes([c[0], c[1]]))))
                .collect()
        }
        _ => None,
    }
}

/// Node's `subject`/`issuer` object: keys in first-appearance order, values
/// grouped per key.
fn name_object(entries: &[NameEntry<'_>]) -> Vec<(String, Vec<String>)> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for entry in entries {
        let key = attribute_key(&entry.oid);
        // Node drops the whole object for a value it cannot convert; keep
        // it, dumped as OpenSSL would in a one-line name.
        let value = string_to_utf8(&entry.value).unwrap_or_else(|| hex_dump(entry.value.raw));
        match fields.iter_mut().find(|(k, _)| *k == key) {
            Some((_, values)) => values.push(value),
            None => fields.push((key, vec![value])),
        }
    }
    fields
}

/// `#` and the uppercase hex of some DER, as OpenSSL dumps unknown values.
fn hex_dump(der: &[u8]) -> String {
    let mut out = String::from("#");
    for b in der {
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// Bits of OpenSSL's `char_type` table (charmap.h) and escape flags.
const ESC_2253: u8 = 0x01;
const FIRST_ESC_2253: u8 = 0x20;
const LAST_ESC_2253: u8 = 0x40;

/// The RFC 2253 escaping classes of an ASCII character.
fn char_type(c: u8) -> u8 {
    match c {
        b' ' => FIRST_ESC_2253 | LAST_ESC_2253,
        b'#' => FIRST_ESC_2253,
        b'"' | b'+' | b',' | b';' | b'<' | b'>' | b'\\' => ESC_2253,
        _ => 0,
    }
}

/// OpenSSL's `X509_NAME_print_ex` with Node's
/// `XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB & ~ASN1_STRFLGS_ESC_CTRL`:
/// attributes last to first, `,` between RDNs, `+` inside one, values
/// escaped per RFC 2253 but with control and non-ASCII bytes left as is.
fn name_rfc2253(entries: &[NameEntry<'_>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut previous_set = None;
    for entry in entries.iter().rev() {
        if let Some(set) = previous_set {
            out.push(if set == entry.set { b'+' } else { b',' });
        }
        previous_set = Some(entry.set);
        match attribute_short_name(&entry.oid) {
            Some(name) => {
                out.extend_from_slice(name.as_bytes());
                out.push(b'=');
                print_string_2253(&mut out, &entry.value)?;
            }
            None => {
                out.extend_from_slice(fit(entry.oid.clone(), 80).as_bytes());
                out.push(b'=');
                out.extend_from_slice(hex_dump(entry.value.raw).as_bytes());
            }
        }
    }
    Some(out)
}

/// OpenSSL's `do_print_ex` for one value with `ASN1_STRFLGS_ESC_2253 |
/// ASN1_STRFLGS_UTF8_CONVERT | ASN1_STRFLGS_DUMP_UNKNOWN |
/// ASN1_STRFLGS_DUMP_DER`.
fn print_string_2253(out: &mut Vec<u8>, value: &Tlv<'_>) -> Option<()> {
    // Character width and whether to convert to UTF-8 (tag2nbyte).
    let (width, convert) = match value.tag {
        _ if value.class != CLASS_UNIVERSAL => {
            out.extend_from_slice(hex_dump(value.raw).as_bytes());
            return Some(());
        }
        // UTF-8 is copied byte by byte.
        TAG_UTF8_STRING => (1, false),
        TAG_NUMERIC_STRING | TAG_PRINTABLE_STRING | TAG_T61_STRING | TAG_IA5_STRING
        | TAG_UTC_TIME | TAG_GENERALIZED_TIME | TAG_VISIBLE_STRING => (1, true),
        TAG_UNIVERSAL_STRING => (4, true),
        TAG_BMP_STRING => (2, true),
        _ => {
            out.extend_from_slice(hex_dump(value.raw).as_bytes());
            return Some(());
        }
    };
    let chunks = value.contents.chunks_exact(width);
    if !chunks.remainder().is_empty() {
        return None;
    }
    let count = chunks.len();
    for (i, chunk) in chunks.enumerate() {
        let position = if i + 1 == count {
            LAST_ESC_2253
        } else if i == 0 {
            FIRST_ESC_2253
        } else {
            0
        };
        let c = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        if convert {
            // UTF8_putc refuses surrogates and values past U+10FFFF; the
            // character is then silently dropped.
            if let Some(ch) = char::from_u32(c) {
                let mut buf = [0u8; 4];
                for &b in ch.encode_utf8(&mut buf).as_bytes() {
                    escape_2253(out, b, position);
                }
            }
        } else {
            escape_2253(out, c as u8, position);
        }
    }
    Some(())
}

/// OpenSSL's `do_esc_char` for one byte with `ASN1_STRFLGS_ESC_2253`.
fn escape_2253(out: &mut Vec<u8>, b: u8, position: u8) {
    if b < 0x80 && char_type(b) & (ESC_2253 | position) != 0 {
        out.push(b'\\');
    }
    out.push(b);
}

// ---------------------------------------------------------------------------
// General names (subjectAltName, authorityInfoAccess)
// ---------------------------------------------------------------------------

/// Node's `SafeX509SubjectAltNamePrint`; `None` where OpenSSL cannot decode
/// the extension (Node then shows `null`).
fn general_names_text(value: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    for (i, name) in read_sequence_of(value)?.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b", ");
        }
        print_general_name(&mut out, name)?;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Node's `SafeX509InfoAccessPrint`: one `method - name` line per access
/// description.
fn info_access_text(value: &[u8]) -> Option<String> {
    let mut out = Vec::new();
    for (i, description) in read_sequence_of(value)?.iter().enumerate() {
        if !description.is_sequence() {
            return None;
        }
        let (method, location) = match read_all(description.contents)?.as_slice() {
            [m, l] if m.is_universal(TAG_OID, false) => (*m, *l),
            _ => return None,
        };
        if i > 0 {
            out.push(b'\n');
        }
        // i2t_ASN1_OBJECT into an 80-byte buffer: long name if known.
        let dotted = oid_text(method.contents)?;
        let name = ACCESS_METHODS
            .iter()
            .find(|(oid, _)| *oid == dotted)
            .map_or(dotted.clone(), |(_, name)| (*name).to_owned());
        out.extend_from_slice(fit(name, 80).as_bytes());
        out.extend_from_slice(b" - ");
        print_general_name(&mut out, &location)?;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `translatePeerCertificate`: splits each `key:value` line at its first
/// colon and `JSON.parse`s values that start with a quote.
fn translate_info_access(text: &str) -> Vec<(String, Vec<String>)> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for line in text.split('\n') {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = if value.starts_with('"') {
            json_unquote(value).unwrap_or_else(|| value.to_owned())
        } else {
            value.to_owned()
        };
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => values.push(value),
            None => fields.push((key.to_owned(), vec![value])),
        }
    }
    fields
}

/// Node's `PrintGeneralName`; `None` where OpenSSL's `GENERAL_NAME` decoder
/// would fail.
fn print_general_name(out: &mut Vec<u8>, name: &Tlv<'_>) -> Option<()> {
    if name.class != CLASS_CONTEXT {
        return None;
    }
    match (name.tag, name.constructed) {
        (0, true) => print_other_name(out, name.contents)?,
        (1, false) => {
            out.extend_from_slice(b"email:");
            print_alt_name(out, name.contents, false, None);
        }
        (2, false) => {
            out.extend_from_slice(b"DNS:");
            print_alt_name(out, name.contents, false, None);
        }
        (3, true) => out.extend_from_slice(b"X400Name:<unsupported>"),
        (4, true) => {
            let inner = read_single(name.contents)?;
            if !inner.is_sequence() {
                return None;
            }
            let entries = parse_name(inner.contents)?;
            let text = name_rfc2253(&entries)?;
            out.extend_from_slice(b"DirName:");
            print_alt_name(out, &text, true, None);
        }
        (5, true) => out.extend_from_slice(b"EdiPartyName:<unsupported>"),
        (6, false) => {
            out.extend_from_slice(b"URI:");
            print_alt_name(out, name.contents, false, None);
        }
        (7, false) => {
            out.extend_from_slice(b"IP Address:");
            match name.contents {
                [a, b, c, d] => out.extend_from_slice(format!("{a}.{b}.{c}.{d}").as_bytes()),
                ip if ip.len() == 16 => {
                    let groups: Vec<String> = ip
                        .chunks_exact(2)
                        .map(|pair| format!("{:X}", u16::from_be_bytes([pair[0], pair[1]])))
                        .collect();
                    out.extend_from_slice(groups.join(":").as_bytes());
                }
                ip => out.extend_from_slice(format!("<invalid length={}>", ip.len()).as_bytes()),
            }
        }
        (8, false) => {
            let oid = oid_text(name.contents)?;
            out.extend_from_slice(b"Registered ID:");
            out.extend_from_slice(fit(oid, 256).as_bytes());
        }
        _ => return None,
    }
    Some(())
}

/// An `otherName`, printed the way OpenSSL 3's `GENERAL_NAME_print` does.
fn print_other_name(out: &mut Vec<u8>, contents: &[u8]) -> Option<()> {
    let (type_id, explicit) = match read_all(contents)?.as_slice() {
        [t, e] if t.is_universal(TAG_OID, false) && e.is_context(0, true) => (*t, *e),
        _ => return None,
    };
    let value = read_single(explicit.contents)?;
    let (prefix, unicode) = match oid_text(type_id.contents)?.as_str() {
        "1.3.6.1.5.5.7.8.9" => ("SmtpUTF8Mailbox", true),
        "1.3.6.1.5.5.7.8.5" => ("XmppAddr", true),
        "1.3.6.1.5.5.7.8.7" => ("SRVName", false),
        "1.3.6.1.4.1.311.20.2.3" => ("UPN", true),
        "1.3.6.1.5.5.7.8.8" => ("NAIRealm", true),
        _ => {
            out.extend_from_slice(b"othername:<unsupported>");
            return Some(());
        }
    };
    let wanted = if unicode {
        TAG_UTF8_STRING
    } else {
        TAG_IA5_STRING
    };
    if value.is_universal(wanted, false) {
        out.extend_from_slice(b"othername:");
        print_alt_name(out, value.contents, unicode, Some(prefix));
    } else {
        out.extend_from_slice(b"othername:<unsupported>");
    }
    Some(())
}

/// Node's `IsSafeAltName`.
fn is_safe_alt_name(name: &[u8], utf8: bool) -> bool {
    name.iter().all(|&c| match c {
        b'"' | b'\\' | b',' | b'\'' => false,
        _ if utf8 => c >= b' ' && c != 0x7f,
        _ => (b' '..=b'~').contains(&c),
    })
}

/// Node's `PrintAltName`: safe names as they are, others as a JSON-like
/// quoted string.
fn print_alt_name(out: &mut Vec<u8>, name: &[u8], utf8: bool, safe_prefix: Option<&str>) {
    if is_safe_alt_name(name, utf8) {
        if let Some(prefix) = safe_prefix {
            out.extend_from_slice(prefix.as_bytes());
            out.push(b':');
        }
        out.extend_from_slice(name);
        return;
    }
    out.push(b'"');
    if let Some(prefix) = safe_prefix {
        out.extend_from_slice(prefix.as_bytes());
        out.push(b':');
    }
    for &c in name {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            _ if (b' '..=b'~').contains(&c) && c != b',' => out.push(c),
            _ if utf8 && c & 0x80 != 0 => out.push(c),
            _ => out.extend_from_slice(format!("\\u00{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

// ---------------------------------------------------------------------------
// Extensions behind `ca` and `ext_key_usage`
// ---------------------------------------------------------------------------

/// The extended key usage OIDs; `None` if malformed.
fn parse_ext_key_usage(value: &[u8]) -> Option<Vec<String>> {
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
fn parse_basic_constraints(value: &[u8]) -> Option<(bool, bool)> {
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
fn parse_bit_flags(value: &[u8]) -> Option<u16> {
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
fn check_ca(extensions: &[Extension<'_>]) -> bool {
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

// ---------------------------------------------------------------------------
// Serial number, times, fingerprints
// ---------------------------------------------------------------------------

/// `BN_bn2hex(ASN1_INTEGER_to_BN(serial))`; `None` for an INTEGER OpenSSL
/// rejects.
fn serial_hex(contents: &[u8]) -> Option<String> {
    if !integer_ok(contents) {
        return None;
    }
    let negative = contents.first().is_some_and(|b| b & 0x80 != 0);
    let mut magnitude = contents.to_vec();
    if negative {
        // Two's complement: invert and add one.
        for b in magnitude.iter_mut() {
            *b = !*b;
        }
        for b in magnitude.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
    }
    let digits: String = magnitude
        .iter()
        .skip_while(|&&b| b == 0)
        .map(|b| format!("{b:02X}"))
        .collect();
    Some(match (digits.is_empty(), negative) {
        (true, _) => "0".to_owned(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits,
    })
}

/// Colon-separated uppercase hex digest of the DER.
fn fingerprint(algorithm: &'static digest::Algorithm, der: &[u8]) -> String {
    let hash = digest::digest(algorithm, der);
    let parts: Vec<String> = hash.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    parts.join(":")
}

/// A broken-down UTC time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Tm {
    year: i64,
    /// 0 to 11.
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// OpenSSL 3.0's `ASN1_TIME_print`: `Nov 11 09:52:22 2009 GMT` (space-padded
/// day, fractional seconds kept, `GMT` only for `Z` times), or `Bad time
/// value`.
fn time_text(time: &Tlv<'_>) -> String {
    let generalized = time.is_universal(TAG_GENERALIZED_TIME, false);
    if !generalized && !time.is_universal(TAG_UTC_TIME, false) {
        return "Bad time value".to_owned();
    }
    let Some(tm) = parse_time(time.contents, generalized) else {
        return "Bad time value".to_owned();
    };
    let v = time.contents;
    let gmt = if v.last() == Some(&b'Z') { " GMT" } else { "" };
    let mut fraction = "";
    if generalized && v.len() > 15 && v.get(14) == Some(&b'.') {
        let digits = v
            .get(15..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        fraction = std::str::from_utf8(v.get(14..15 + digits).unwrap_or_default()).unwrap_or("");
    }
    format!(
        "{} {:2} {:02}:{:02}:{:02}{} {}{}",
        MONTHS.get(tm.month as usize).copied().unwrap_or("???"),
        tm.day,
        tm.hour,
        tm.minute,
        tm.second,
        fraction,
        tm.year,
        gmt
    )
}

/// OpenSSL 3.0's `ossl_asn1_time_to_tm` (non-strict mode): seconds and
/// fractional seconds optional, `Z` or a `+hhmm`/`-hhmm` offset.
fn parse_time(a: &[u8], generalized: bool) -> Option<Tm> {
    const MIN: [u32; 9] = [0, 0, 1, 1, 0, 0, 0, 0, 0];
    const MAX: [u32; 9] = [99, 99, 12, 31, 23, 59, 59, 12, 59];
    const MDAYS: [u32; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let (min_len, end, btz) = if generalized { (13, 7, 6) } else { (11, 6, 5) };
    let l = a.len();
    if l < min_len {
        return None;
    }
    let at = |o: usize| a.get(o).copied().unwrap_or(0);
    let digit = |o: usize| at(o).is_ascii_digit().then(|| u32::from(at(o) - b'0'));
    let mut tm = Tm {
        year: 0,
        month: 0,
        day: 0,
        hour: 0,
        minute: 0,
        second: 0,
    };
    let mut o = 0;
    for i in 0..end {
        if i == btz && matches!(at(o), b'Z' | b'+' | b'-') {
            break;
        }
        let mut n = digit(o)?;
        o += 1;
        if o == l {
            return None;
        }
        n = n * 10 + digit(o)?;
        o += 1;
        if o == l {
            return None;
        }
        let i2 = if generalized { i } else { i + 1 };
        if n < MIN[i2] || n > MAX[i2] {
            return None;
        }
        match i2 {
            0 => tm.year = i64::from(n) * 100,
            1 => {
                if generalized {
                    tm.year += i64::from(n);
                } else {
                    tm.year = i64::from(if n < 50 { 2000 + n } else { 1900 + n });
                }
            }
            2 => tm.month = n - 1,
            3 => {
                let days = if tm.month == 1 {
                    28 + u32::from(is_leap(tm.year))
                } else {
                    MDAYS[tm.month as usize]
                };
                if n > days {
                    return None;
                }
                tm.day = n;
            }
            4 => tm.hour = n,
            5 => tm.minute = n,
            _ => tm.second = n,
        }
    }
    if generalized && at(o) == b'.' {
        o += 1;
        if o == l {
            return None;
        }
        let start = o;
        while o < l && at(o).is_ascii_digit() {
            o += 1;
        }
        if o == start || o == l {
            return None;
        }
    }
    match at(o) {
        b'Z' => o += 1,
        sign @ (b'+' | b'-') => {
            o += 1;
            if o + 4 != l {
                return None;
            }
            let mut offset = 0i64;
            for i in end..end + 2 {
                let n = digit(o)? * 10 + digit(o + 1)?;
                o += 2;
                let i2 = if generalized { i } else { i + 1 };
                if n < MIN[i2] || n > MAX[i2] {
                    return None;
                }
                offset = offset * 60 + i64::from(n) * 60;
            }
            let seconds = if sign == b'-' { offset } else { -offset };
            tm = adjust(tm, seconds)?;
        }
        _ => return None,
    }
    (o == l).then_some(tm)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Days since 1970-01-01 of a civil date (month 1 to 12).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month 1 to 12, day) of a day count since
/// 1970-01-01.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `OPENSSL_gmtime_adj`: moves a time by some seconds.
fn adjust(tm: Tm, seconds: i64) -> Option<Tm> {
    let days = days_from_civil(tm.year, i64::from(tm.month) + 1, i64::from(tm.day));
    let total = days * 86_400
        + i64::from(tm.hour) * 3600
        + i64::from(tm.minute) * 60
        + i64::from(tm.second)
        + seconds;
    let (year, month, day) = civil_from_days(total.div_euclid(86_400));
    let rem = total.rem_euclid(86_400);
    Some(Tm {
        year,
        month: u32::try_from(month - 1).ok()?,
        day: u32::try_from(day).ok()?,
        hour: u32::try_from(rem / 3600).ok()?,
        minute: u32::try_from(rem % 3600 / 60).ok()?,
        second: u32::try_from(rem % 60).ok()?,
    })
}

// ---------------------------------------------------------------------------
// Public keys
// ---------------------------------------------------------------------------

/// The RSA fields of `X509ToObject`.
struct RsaFields {
    modulus: String,
    bits: u32,
    exponent: String,
    spki: Vec<u8>,
}

/// Reads an `RSAPublicKey` the way OpenSSL does (INTEGER contents taken as
/// unsigned magnitudes) and renders `BN_print`, `BN_num_bits`,
/// `BN_get_word` and `i2d_RSA_PUBKEY` of it.
fn rsa_key(key_bits: &[u8]) -> Option<RsaFields> {
    let (n, e) = match read_sequence_of(key_bits)?.as_slice() {
        [n, e] if n.is_universal(TAG_INTEGER, false) && e.is_universal(TAG_INTEGER, false) => {
            (strip_zeros(n.contents), strip_zeros(e.contents))
        }
        _ => return None,
    };
    let mut modulus = String::new();
    for b in n {
        modulus.push_str(&format!("{b:02X}"));
    }
    if modulus.starts_with('0') {
        modulus.remove(0);
    }
    if modulus.is_empty() {
        modulus.push('0');
    }
    let bits = match n.first() {
        None => 0,
        Some(&top) => u32::try_from(n.len()).ok()?.checked_mul(8)? - top.leading_zeros(),
    };
    let exponent = if e.len() > 8 {
        u64::MAX
    } else {
        e.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
    };
    let rsa_public_key = der_element(0x30, &[der_unsigned(n), der_unsigned(e)].concat());
    let mut bit_string = vec![0u8];
    bit_string.extend_from_slice(&rsa_public_key);
    let algorithm = der_element(
        0x30,
        &[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
        ],
    );
    let spki = der_element(0x30, &[algorithm, der_element(0x03, &bit_string)].concat());
    Some(RsaFields {
        modulus,
        bits,
        exponent: format!("0x{exponent:x}"),
        spki,
    })
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// A DER INTEGER holding an unsigned magnitude without leading zeros.
fn der_unsigned(magnitude: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|&b| b & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(magnitude);
    der_element(0x02, &contents)
}

/// A DER element with a one-byte identifier.
fn der_element(identifier: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![identifier];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant = strip_zeros(&bytes);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
    out.extend_from_slice(contents);
    out
}

/// A named elliptic curve OpenSSL knows.
struct Curve {
    oid: &'static str,
    /// OpenSSL's short name (`asn1Curve`).
    name: &'static str,
    /// `EC_GROUP_order_bits` (`bits`).
    order_bits: u32,
    /// Bits of a field element, for the point encoding length.
    field_bits: u32,
    /// `EC_curve_nid2nist` (`nistCurve`).
    nist: Option<&'static str>,
}

/// The curve of an EC key with named-curve parameters, if OpenSSL would load
/// the point (judged by its encoding and length only).
fn named_curve(params: Option<&Tlv<'_>>, point: &[u8]) -> Option<&'static Curve> {
    let params = params?;
    if !params.is_universal(TAG_OID, false) {
        return None;
    }
    let oid = oid_text(params.contents)?;
    let curve = CURVES.iter().find(|c| c.oid == oid)?;
    let field_len = usize::try_from(curve.field_bits.div_ceil(8)).ok()?;
    let ok = match point.first()? {
        0x00 => point.len() == 1,
        0x02 | 0x03 => point.len() == 1 + field_len,
        0x04 | 0x06 | 0x07 => point.len() == 1 + 2 * field_len,
        _ => false,
    };
    ok.then_some(curve)
}

// ---------------------------------------------------------------------------
// Tables (from OpenSSL 3.0's obj_mac.h and ec_curve.c)
// ---------------------------------------------------------------------------

/// OpenSSL's short names for the attribute types found in names.
const NAME_ATTRIBUTES: &[(&str, &str)] = &[
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.2", "textEncodedORAddress"),
    ("0.9.2342.19200300.100.1.3", "mail"),
    ("0.9.2342.19200300.100.1.4", "info"),
    ("0.9.2342.19200300.100.1.5", "favouriteDrink"),
    ("0.9.2342.19200300.100.1.6", "roomNumber"),
    ("0.9.2342.19200300.100.1.7", "photo"),
    ("0.9.2342.19200300.100.1.8", "userClass"),
    ("0.9.2342.19200300.100.1.9", "host"),
    ("0.9.2342.19200300.100.1.10", "manager"),
    ("0.9.2342.19200300.100.1.11", "documentIdentifier"),
    ("0.9.2342.19200300.100.1.12", "documentTitle"),
    ("0.9.2342.19200300.100.1.13", "documentVersion"),
    ("0.9.2342.19200300.100.1.14", "documentAuthor"),
    ("0.9.2342.19200300.100.1.15", "documentLocation"),
    ("0.9.2342.19200300.100.1.20", "homeTelephoneNumber"),
    ("0.9.2342.19200300.100.1.21", "secretary"),
    ("0.9.2342.19200300.100.1.22", "otherMailbox"),
    ("0.9.2342.19200300.100.1.23", "lastModifiedTime"),
    ("0.9.2342.19200300.100.1.24", "lastModifiedBy"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("0.9.2342.19200300.100.1.26", "aRecord"),
    ("0.9.2342.19200300.100.1.27", "pilotAttributeType27"),
    ("0.9.2342.19200300.100.1.28", "mXRecord"),
    ("0.9.2342.19200300.100.1.29", "nSRecord"),
    ("0.9.2342.19200300.100.1.30", "sOARecord"),
    ("0.9.2342.19200300.100.1.31", "cNAMERecord"),
    ("0.9.2342.19200300.100.1.37", "associatedDomain"),
    ("0.9.2342.19200300.100.1.38", "associatedName"),
    ("0.9.2342.19200300.100.1.39", "homePostalAddress"),
    ("0.9.2342.19200300.100.1.40", "personalTitle"),
    ("0.9.2342.19200300.100.1.41", "mobileTelephoneNumber"),
    ("0.9.2342.19200300.100.1.42", "pagerTelephoneNumber"),
    ("0.9.2342.19200300.100.1.43", "friendlyCountryName"),
    ("0.9.2342.19200300.100.1.44", "uid"),
    ("0.9.2342.19200300.100.1.45", "organizationalStatus"),
    ("0.9.2342.19200300.100.1.46", "janetMailbox"),
    ("0.9.2342.19200300.100.1.47", "mailPreferenceOption"),
    ("0.9.2342.19200300.100.1.48", "buildingName"),
    ("0.9.2342.19200300.100.1.49", "dSAQuality"),
    ("0.9.2342.19200300.100.1.50", "singleLevelQuality"),
    ("0.9.2342.19200300.100.1.51", "subtreeMinimumQuality"),
    ("0.9.2342.19200300.100.1.52", "subtreeMaximumQuality"),
    ("0.9.2342.19200300.100.1.53", "personalSignature"),
    ("0.9.2342.19200300.100.1.54", "dITRedirect"),
    ("0.9.2342.19200300.100.1.55", "audio"),
    ("0.9.2342.19200300.100.1.56", "documentPublisher"),
    ("1.2.643.3.131.1.1", "INN"),
    ("1.2.643.100.1", "OGRN"),
    ("1.2.643.100.3", "SNILS"),
    ("1.2.643.100.5", "OGRNIP"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("1.2.840.113549.1.9.3", "contentType"),
    ("1.2.840.113549.1.9.4", "messageDigest"),
    ("1.2.840.113549.1.9.5", "signingTime"),
    ("1.2.840.113549.1.9.6", "countersignature"),
    ("1.2.840.113549.1.9.7", "challengePassword"),
    ("1.2.840.113549.1.9.8", "unstructuredAddress"),
    ("1.2.840.113549.1.9.9", "extendedCertificateAttributes"),
    ("1.2.840.113549.1.9.14", "extReq"),
    ("1.2.840.113549.1.9.15", "SMIME-CAPS"),
    ("1.2.840.113549.1.9.16", "SMIME"),
    ("1.2.840.113549.1.9.20", "friendlyName"),
    ("1.2.840.113549.1.9.21", "localKeyID"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.14", "searchGuide"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.18", "postOfficeBox"),
    ("2.5.4.19", "physicalDeliveryOfficeName"),
    ("2.5.4.20", "telephoneNumber"),
    ("2.5.4.21", "telexNumber"),
    ("2.5.4.22", "teletexTerminalIdentifier"),
    ("2.5.4.23", "facsimileTelephoneNumber"),
    ("2.5.4.24", "x121Address"),
    ("2.5.4.25", "internationaliSDNNumber"),
    ("2.5.4.26", "registeredAddress"),
    ("2.5.4.27", "destinationIndicator"),
    ("2.5.4.28", "preferredDeliveryMethod"),
    ("2.5.4.29", "presentationAddress"),
    ("2.5.4.30", "supportedApplicationContext"),
    ("2.5.4.31", "member"),
    ("2.5.4.32", "owner"),
    ("2.5.4.33", "roleOccupant"),
    ("2.5.4.34", "seeAlso"),
    ("2.5.4.35", "userPassword"),
    ("2.5.4.36", "userCertificate"),
    ("2.5.4.37", "cACertificate"),
    ("2.5.4.38", "authorityRevocationList"),
    ("2.5.4.39", "certificateRevocationList"),
    ("2.5.4.40", "crossCertificatePair"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.45", "x500UniqueIdentifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.47", "enhancedSearchGuide"),
    ("2.5.4.48", "protocolInformation"),
    ("2.5.4.49", "distinguishedName"),
    ("2.5.4.50", "uniqueMember"),
    ("2.5.4.51", "houseIdentifier"),
    ("2.5.4.52", "supportedAlgorithms"),
    ("2.5.4.53", "deltaRevocationList"),
    ("2.5.4.54", "dmdName"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.72", "role"),
    ("2.5.4.97", "organizationIdentifier"),
    ("2.5.4.98", "c3"),
    ("2.5.4.99", "n3"),
    ("2.5.4.100", "dnsName"),
];

/// OpenSSL's long names for the access methods of `authorityInfoAccess`
/// (what `i2t_ASN1_OBJECT` prints).
const ACCESS_METHODS: &[(&str, &str)] = &[
    ("1.3.6.1.5.5.7.48.1", "OCSP"),
    ("1.3.6.1.5.5.7.48.2", "CA Issuers"),
    ("1.3.6.1.5.5.7.48.3", "AD Time Stamping"),
    ("1.3.6.1.5.5.7.48.4", "ad dvcs"),
    ("1.3.6.1.5.5.7.48.5", "CA Repository"),
    ("1.3.6.1.5.5.7.48.10", "RPKI Manifest"),
    ("1.3.6.1.5.5.7.48.11", "Signed Object"),
    ("1.3.6.1.5.5.7.48.13", "RPKI Notify"),
];

/// OpenSSL's named curves: OID, short name, order and field sizes, NIST
/// name. (SM2 is left out: OpenSSL loads such keys as SM2, not EC, and Node
/// shows no key fields for them.)
const CURVES: &[Curve] = &[
    Curve {
        oid: "1.3.132.0.6",
        name: "secp112r1",
        order_bits: 112,
        field_bits: 112,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.7",
        name: "secp112r2",
        order_bits: 110,
        field_bits: 112,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.28",
        name: "secp128r1",
        order_bits: 128,
        field_bits: 128,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.29",
        name: "secp128r2",
        order_bits: 126,
        field_bits: 128,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.9",
        name: "secp160k1",
        order_bits: 161,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.8",
        name: "secp160r1",
        order_bits: 161,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.30",
        name: "secp160r2",
        order_bits: 161,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.31",
        name: "secp192k1",
        order_bits: 192,
        field_bits: 192,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.32",
        name: "secp224k1",
        order_bits: 225,
        field_bits: 224,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.33",
        name: "secp224r1",
        order_bits: 224,
        field_bits: 224,
        nist: Some("P-224"),
    },
    Curve {
        oid: "1.3.132.0.10",
        name: "secp256k1",
        order_bits: 256,
        field_bits: 256,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.34",
        name: "secp384r1",
        order_bits: 384,
        field_bits: 384,
        nist: Some("P-384"),
    },
    Curve {
        oid: "1.3.132.0.35",
        name: "secp521r1",
        order_bits: 521,
        field_bits: 521,
        nist: Some("P-521"),
    },
    Curve {
        oid: "1.2.840.10045.3.1.1",
        name: "prime192v1",
        order_bits: 192,
        field_bits: 192,
        nist: Some("P-192"),
    },
    Curve {
        oid: "1.2.840.10045.3.1.2",
        name: "prime192v2",
        order_bits: 192,
        field_bits: 192,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.1.3",
        name: "prime192v3",
        order_bits: 192,
        field_bits: 192,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.1.4",
        name: "prime239v1",
        order_bits: 239,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.1.5",
        name: "prime239v2",
        order_bits: 239,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.1.6",
        name: "prime239v3",
        order_bits: 239,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.1.7",
        name: "prime256v1",
        order_bits: 256,
        field_bits: 256,
        nist: Some("P-256"),
    },
    Curve {
        oid: "1.3.132.0.4",
        name: "sect113r1",
        order_bits: 113,
        field_bits: 113,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.5",
        name: "sect113r2",
        order_bits: 113,
        field_bits: 113,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.22",
        name: "sect131r1",
        order_bits: 131,
        field_bits: 131,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.23",
        name: "sect131r2",
        order_bits: 131,
        field_bits: 131,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.1",
        name: "sect163k1",
        order_bits: 163,
        field_bits: 163,
        nist: Some("K-163"),
    },
    Curve {
        oid: "1.3.132.0.2",
        name: "sect163r1",
        order_bits: 162,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.15",
        name: "sect163r2",
        order_bits: 163,
        field_bits: 163,
        nist: Some("B-163"),
    },
    Curve {
        oid: "1.3.132.0.24",
        name: "sect193r1",
        order_bits: 193,
        field_bits: 193,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.25",
        name: "sect193r2",
        order_bits: 193,
        field_bits: 193,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.26",
        name: "sect233k1",
        order_bits: 232,
        field_bits: 233,
        nist: Some("K-233"),
    },
    Curve {
        oid: "1.3.132.0.27",
        name: "sect233r1",
        order_bits: 233,
        field_bits: 233,
        nist: Some("B-233"),
    },
    Curve {
        oid: "1.3.132.0.3",
        name: "sect239k1",
        order_bits: 238,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.3.132.0.16",
        name: "sect283k1",
        order_bits: 281,
        field_bits: 283,
        nist: Some("K-283"),
    },
    Curve {
        oid: "1.3.132.0.17",
        name: "sect283r1",
        order_bits: 282,
        field_bits: 283,
        nist: Some("B-283"),
    },
    Curve {
        oid: "1.3.132.0.36",
        name: "sect409k1",
        order_bits: 407,
        field_bits: 409,
        nist: Some("K-409"),
    },
    Curve {
        oid: "1.3.132.0.37",
        name: "sect409r1",
        order_bits: 409,
        field_bits: 409,
        nist: Some("B-409"),
    },
    Curve {
        oid: "1.3.132.0.38",
        name: "sect571k1",
        order_bits: 570,
        field_bits: 571,
        nist: Some("K-571"),
    },
    Curve {
        oid: "1.3.132.0.39",
        name: "sect571r1",
        order_bits: 570,
        field_bits: 571,
        nist: Some("B-571"),
    },
    Curve {
        oid: "1.2.840.10045.3.0.1",
        name: "c2pnb163v1",
        order_bits: 163,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.2",
        name: "c2pnb163v2",
        order_bits: 162,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.3",
        name: "c2pnb163v3",
        order_bits: 162,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.4",
        name: "c2pnb176v1",
        order_bits: 161,
        field_bits: 176,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.5",
        name: "c2tnb191v1",
        order_bits: 191,
        field_bits: 191,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.6",
        name: "c2tnb191v2",
        order_bits: 190,
        field_bits: 191,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.7",
        name: "c2tnb191v3",
        order_bits: 189,
        field_bits: 191,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.10",
        name: "c2pnb208w1",
        order_bits: 193,
        field_bits: 208,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.11",
        name: "c2tnb239v1",
        order_bits: 238,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.12",
        name: "c2tnb239v2",
        order_bits: 237,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.13",
        name: "c2tnb239v3",
        order_bits: 236,
        field_bits: 239,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.16",
        name: "c2pnb272w1",
        order_bits: 257,
        field_bits: 272,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.17",
        name: "c2pnb304w1",
        order_bits: 289,
        field_bits: 304,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.18",
        name: "c2tnb359v1",
        order_bits: 353,
        field_bits: 359,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.19",
        name: "c2pnb368w1",
        order_bits: 353,
        field_bits: 368,
        nist: None,
    },
    Curve {
        oid: "1.2.840.10045.3.0.20",
        name: "c2tnb431r1",
        order_bits: 418,
        field_bits: 431,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.1",
        name: "wap-wsg-idm-ecid-wtls1",
        order_bits: 112,
        field_bits: 113,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.3",
        name: "wap-wsg-idm-ecid-wtls3",
        order_bits: 163,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.4",
        name: "wap-wsg-idm-ecid-wtls4",
        order_bits: 113,
        field_bits: 113,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.5",
        name: "wap-wsg-idm-ecid-wtls5",
        order_bits: 163,
        field_bits: 163,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.6",
        name: "wap-wsg-idm-ecid-wtls6",
        order_bits: 112,
        field_bits: 112,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.7",
        name: "wap-wsg-idm-ecid-wtls7",
        order_bits: 161,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.8",
        name: "wap-wsg-idm-ecid-wtls8",
        order_bits: 113,
        field_bits: 112,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.9",
        name: "wap-wsg-idm-ecid-wtls9",
        order_bits: 161,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.10",
        name: "wap-wsg-idm-ecid-wtls10",
        order_bits: 232,
        field_bits: 233,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.11",
        name: "wap-wsg-idm-ecid-wtls11",
        order_bits: 233,
        field_bits: 233,
        nist: None,
    },
    Curve {
        oid: "2.23.43.1.4.12",
        name: "wap-wsg-idm-ecid-wtls12",
        order_bits: 224,
        field_bits: 224,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.1",
        name: "brainpoolP160r1",
        order_bits: 160,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.2",
        name: "brainpoolP160t1",
        order_bits: 160,
        field_bits: 160,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.3",
        name: "brainpoolP192r1",
        order_bits: 192,
        field_bits: 192,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.4",
        name: "brainpoolP192t1",
        order_bits: 192,
        field_bits: 192,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.5",
        name: "brainpoolP224r1",
        order_bits: 224,
        field_bits: 224,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.6",
        name: "brainpoolP224t1",
        order_bits: 224,
        field_bits: 224,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.7",
        name: "brainpoolP256r1",
        order_bits: 256,
        field_bits: 256,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.8",
        name: "brainpoolP256t1",
        order_bits: 256,
        field_bits: 256,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.9",
        name: "brainpoolP320r1",
        order_bits: 320,
        field_bits: 320,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.10",
        name: "brainpoolP320t1",
        order_bits: 320,
        field_bits: 320,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.11",
        name: "brainpoolP384r1",
        order_bits: 384,
        field_bits: 384,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.12",
        name: "brainpoolP384t1",
        order_bits: 384,
        field_bits: 384,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.13",
        name: "brainpoolP512r1",
        order_bits: 512,
        field_bits: 512,
        nist: None,
    },
    Curve {
        oid: "1.3.36.3.3.2.8.1.1.14",
        name: "brainpoolP512t1",
        order_bits: 512,
        field_bits: 512,
        nist: None,
    },
];

#[cfg(test)]
#[path = "describe_tests.rs"]
mod tests;
