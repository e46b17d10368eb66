//! General names as Node prints them: `subjectaltname` and `infoAccess`.

use super::der::{
    fit, obj2txt, oid_text, read_all, read_sequence_of, read_single, Tlv, CLASS_CONTEXT,
    TAG_IA5_STRING, TAG_OID, TAG_UTF8_STRING,
};
use super::json::{json_unquote, push_grouped};
use super::names::{name_rfc2253, parse_name};

/// Node's `SafeX509SubjectAltNamePrint`; `None` where OpenSSL cannot decode
/// the extension (Node then shows `null`).
pub(super) fn general_names_text(value: &[u8]) -> Option<String> {
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
pub(super) fn info_access_text(value: &[u8]) -> Option<String> {
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
        out.extend_from_slice(obj2txt(ACCESS_METHODS, &dotted).as_bytes());
        out.extend_from_slice(b" - ");
        print_general_name(&mut out, &location)?;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// `translatePeerCertificate`: splits each `key:value` line at its first
/// colon and `JSON.parse`s values that start with a quote.
pub(super) fn translate_info_access(text: &str) -> Vec<(String, Vec<String>)> {
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
        push_grouped(&mut fields, key, value);
    }
    fields
}

/// Node's `PrintGeneralName`; `None` where OpenSSL's `GENERAL_NAME` decoder
/// would fail.
pub(super) fn print_general_name(out: &mut Vec<u8>, name: &Tlv<'_>) -> Option<()> {
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
pub(super) fn print_alt_name(
    out: &mut Vec<u8>,
    name: &[u8],
    utf8: bool,
    safe_prefix: Option<&str>,
) {
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
// Table (from OpenSSL 3.0's obj_mac.h)
// ---------------------------------------------------------------------------

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
