//! `JSON.stringify` of a [`PeerCertificate`]: key order, string escaping,
//! base64 buffers, and the unquoting `translatePeerCertificate` applies to
//! `infoAccess` values.

use base64::Engine as _;

use super::PeerCertificate;

impl PeerCertificate {
    /// `(key, JSON value)` pairs in Node's key order.
    pub(super) fn json_fields(&self) -> Vec<(&'static str, String)> {
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
            fields.push(("ext_key_usage", json_string_array(usages)));
        }
        fields.push(("serialNumber", json_string(&self.serial_number)));
        fields.push(("raw", json_string(&base64(&self.raw))));
        fields
    }

    /// Writes `{` and the fields, without the closing brace.
    pub(super) fn write_json_fields(&self, out: &mut String) {
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

/// A JSON string literal, escaped as `JSON.stringify` does.
pub(super) fn json_string(s: &str) -> String {
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

/// A JSON array of string literals.
fn json_string_array(values: &[String]) -> String {
    let items: Vec<String> = values.iter().map(|v| json_string(v)).collect();
    format!("[{}]", items.join(","))
}

/// Adds `value` under `key` in a name or `infoAccess` object: keys in
/// first-appearance order, values grouped per key.
pub(super) fn push_grouped(fields: &mut Vec<(String, Vec<String>)>, key: &str, value: String) {
    match fields.iter_mut().find(|(k, _)| k == key) {
        Some((_, values)) => values.push(value),
        None => fields.push((key.to_owned(), vec![value])),
    }
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
            _ => out.push_str(&json_string_array(values)),
        }
    }
    out.push('}');
    out
}

/// Standard base64 with padding, as `Buffer#toString('base64')`.
pub(super) fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Decodes a JSON string literal as produced by Node's `PrintAltName`
/// (`\\`, `\"`, `\uXXXX`), the way `translatePeerCertificate` `JSON.parse`s
/// it; `None` if it is not one complete literal.
pub(super) fn json_unquote(text: &str) -> Option<String> {
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
