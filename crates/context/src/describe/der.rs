//! Reading and writing DER: elements, INTEGER and BIT STRING checks, object
//! identifiers in dotted form, and OpenSSL's fixed-size text buffers.

// ---------------------------------------------------------------------------
// DER reading
// ---------------------------------------------------------------------------

pub(super) const CLASS_UNIVERSAL: u8 = 0;
pub(super) const CLASS_CONTEXT: u8 = 2;

pub(super) const TAG_BOOLEAN: u32 = 1;
pub(super) const TAG_INTEGER: u32 = 2;
pub(super) const TAG_BIT_STRING: u32 = 3;
pub(super) const TAG_OCTET_STRING: u32 = 4;
pub(super) const TAG_OID: u32 = 6;
pub(super) const TAG_UTF8_STRING: u32 = 12;
pub(super) const TAG_SEQUENCE: u32 = 16;
pub(super) const TAG_SET: u32 = 17;
pub(super) const TAG_NUMERIC_STRING: u32 = 18;
pub(super) const TAG_PRINTABLE_STRING: u32 = 19;
pub(super) const TAG_T61_STRING: u32 = 20;
pub(super) const TAG_IA5_STRING: u32 = 22;
pub(super) const TAG_UTC_TIME: u32 = 23;
pub(super) const TAG_GENERALIZED_TIME: u32 = 24;
pub(super) const TAG_VISIBLE_STRING: u32 = 26;
pub(super) const TAG_UNIVERSAL_STRING: u32 = 28;
pub(super) const TAG_BMP_STRING: u32 = 30;

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    pub(super) class: u8,
    pub(super) constructed: bool,
    pub(super) tag: u32,
    pub(super) contents: &'a [u8],
    /// The whole element: identifier, length and contents.
    pub(super) raw: &'a [u8],
}

impl Tlv<'_> {
    pub(super) fn is_universal(&self, tag: u32, constructed: bool) -> bool {
        self.class == CLASS_UNIVERSAL && self.tag == tag && self.constructed == constructed
    }

    pub(super) fn is_context(&self, tag: u32, constructed: bool) -> bool {
        self.class == CLASS_CONTEXT && self.tag == tag && self.constructed == constructed
    }

    pub(super) fn is_sequence(&self) -> bool {
        self.is_universal(TAG_SEQUENCE, true)
    }
}

/// Reads the element at the front of `input`; `None` if it is cut short or
/// uses the indefinite length.
pub(super) fn read_tlv(input: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
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
pub(super) fn read_single(input: &[u8]) -> Option<Tlv<'_>> {
    match read_tlv(input)? {
        (tlv, []) => Some(tlv),
        _ => None,
    }
}

/// All the elements `input` holds, back to back.
pub(super) fn read_all(mut input: &[u8]) -> Option<Vec<Tlv<'_>>> {
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
pub(super) fn read_sequence_of(input: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let (seq, _) = read_tlv(input)?;
    if !seq.is_sequence() {
        return None;
    }
    read_all(seq.contents)
}

/// Whether an `INTEGER`'s contents are what OpenSSL's `c2i_ASN1_INTEGER`
/// accepts: not empty, no redundant leading octet.
pub(super) fn integer_ok(contents: &[u8]) -> bool {
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
pub(super) fn bit_string_ok(contents: &[u8]) -> bool {
    matches!(contents.first(), Some(&unused) if unused <= 7)
}

// ---------------------------------------------------------------------------
// Object identifiers
// ---------------------------------------------------------------------------

/// The dotted form of an OBJECT IDENTIFIER's contents (OpenSSL's
/// `OBJ_obj2txt(..., 1)`, with no length limit); `None` if malformed.
pub(super) fn oid_text(contents: &[u8]) -> Option<String> {
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
pub(super) fn fit(mut text: String, size: usize) -> String {
    if text.len() >= size && text.is_ascii() {
        text.truncate(size - 1);
    }
    text
}

/// The name `table` gives an object identifier in dotted form.
pub(super) fn table_name(table: &[(&str, &'static str)], dotted: &str) -> Option<&'static str> {
    table
        .iter()
        .find(|(oid, _)| *oid == dotted)
        .map(|(_, name)| *name)
}

/// `OBJ_obj2txt(..., 0)` into an 80-byte buffer: OpenSSL's name for the
/// identifier (looked up in `table`), or its dotted form.
pub(super) fn obj2txt(table: &[(&str, &'static str)], dotted: &str) -> String {
    match table_name(table, dotted) {
        Some(name) => name.to_owned(),
        None => fit(dotted.to_owned(), 80),
    }
}

// ---------------------------------------------------------------------------
// Bytes and DER writing
// ---------------------------------------------------------------------------

/// Uppercase hexadecimal, two digits per byte, `separator` between bytes.
pub(super) fn upper_hex(bytes: &[u8], separator: &str) -> String {
    let mut out = String::with_capacity(bytes.len() * (2 + separator.len()));
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push_str(separator);
        }
        out.push_str(&format!("{b:02X}"));
    }
    out
}

/// `bytes` without its leading zero octets.
pub(super) fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

/// A DER INTEGER holding an unsigned magnitude without leading zeros.
pub(super) fn der_unsigned(magnitude: &[u8]) -> Vec<u8> {
    let mut contents = Vec::with_capacity(magnitude.len() + 1);
    if magnitude.first().is_none_or(|&b| b & 0x80 != 0) {
        contents.push(0);
    }
    contents.extend_from_slice(magnitude);
    der_element(0x02, &contents)
}

/// A DER element with a one-byte identifier.
pub(super) fn der_element(identifier: u8, contents: &[u8]) -> Vec<u8> {
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
