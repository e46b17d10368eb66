//! Distinguished names: decoding as OpenSSL's `X509_NAME` does, Node's
//! `subject`/`issuer` objects, the RFC 2253 text of `DirName` alternative
//! names, and OpenSSL's short names for attribute types.

use super::attribute_short_name;
use super::der::{
    bit_string_ok, obj2txt, oid_text, read_all, upper_hex, Tlv, CLASS_UNIVERSAL, TAG_BIT_STRING,
    TAG_BMP_STRING, TAG_GENERALIZED_TIME, TAG_IA5_STRING, TAG_NUMERIC_STRING, TAG_OID,
    TAG_PRINTABLE_STRING, TAG_SEQUENCE, TAG_SET, TAG_T61_STRING, TAG_UNIVERSAL_STRING,
    TAG_UTC_TIME, TAG_UTF8_STRING, TAG_VISIBLE_STRING,
};
use super::json::push_grouped;

/// One attribute of a distinguished name.
pub(super) struct NameEntry<'a> {
    /// Index of the RelativeDistinguishedName holding it.
    set: usize,
    oid: String,
    value: Tlv<'a>,
}

/// The attributes of a Name (the contents of its SEQUENCE), checked as
/// OpenSSL's `X509_NAME` decoder checks them; `None` where it would fail.
pub(super) fn parse_name(contents: &[u8]) -> Option<Vec<NameEntry<'_>>> {
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
        TAG_UNIVERSAL_STRING => wide_to_utf8(data, 4),
        TAG_BMP_STRING => wide_to_utf8(data, 2),
        _ => None,
    }
}

/// A string of big-endian `width`-byte characters (`UniversalString`,
/// `BMPString`) as UTF-8; `None` if its length is not a multiple of the
/// width or a character is a surrogate or past U+10FFFF.
fn wide_to_utf8(data: &[u8], width: usize) -> Option<String> {
    let chunks = data.chunks_exact(width);
    if !chunks.remainder().is_empty() {
        return None;
    }
    chunks.map(|c| char::from_u32(be_char(c))).collect()
}

/// The value of one big-endian character of a wide string.
fn be_char(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b))
}

/// The key Node uses for a name attribute: OpenSSL's short name, or the
/// dotted OID as `OBJ_obj2txt` writes it into an 80-byte buffer.
fn attribute_key(dotted: &str) -> String {
    obj2txt(NAME_ATTRIBUTES, dotted)
}

/// Node's `subject`/`issuer` object: keys in first-appearance order, values
/// grouped per key.
pub(super) fn name_object(entries: &[NameEntry<'_>]) -> Vec<(String, Vec<String>)> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for entry in entries {
        let key = attribute_key(&entry.oid);
        // Node drops the whole object for a value it cannot convert; keep
        // it, dumped as OpenSSL would in a one-line name.
        let value = string_to_utf8(&entry.value).unwrap_or_else(|| hex_dump(entry.value.raw));
        push_grouped(&mut fields, &key, value);
    }
    fields
}

/// `#` and the uppercase hex of some DER, as OpenSSL dumps unknown values.
fn hex_dump(der: &[u8]) -> String {
    format!("#{}", upper_hex(der, ""))
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
pub(super) fn name_rfc2253(entries: &[NameEntry<'_>]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut previous_set = None;
    for entry in entries.iter().rev() {
        if let Some(set) = previous_set {
            out.push(if set == entry.set { b'+' } else { b',' });
        }
        previous_set = Some(entry.set);
        out.extend_from_slice(attribute_key(&entry.oid).as_bytes());
        out.push(b'=');
        // OpenSSL prints the values of attribute types it knows and dumps
        // the others.
        if attribute_short_name(&entry.oid).is_some() {
            print_string_2253(&mut out, &entry.value)?;
        } else {
            out.extend_from_slice(hex_dump(entry.value.raw).as_bytes());
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
        let c = be_char(chunk);
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
// Table (from OpenSSL 3.0's obj_mac.h)
// ---------------------------------------------------------------------------

/// OpenSSL's short names for the attribute types found in names.
pub(super) const NAME_ATTRIBUTES: &[(&str, &str)] = &[
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
