//! Key fields of `X509ToObject`: RSA modulus, exponent and size, and the
//! named elliptic curves.

use super::der::{
    der_element, der_unsigned, oid_text, read_sequence_of, strip_zeros, upper_hex, Tlv,
    TAG_INTEGER, TAG_OID,
};

/// The RSA fields of `X509ToObject`.
pub(super) struct RsaFields {
    pub(super) modulus: String,
    pub(super) bits: u32,
    pub(super) exponent: String,
    pub(super) spki: Vec<u8>,
}

/// Reads an `RSAPublicKey` the way OpenSSL does (INTEGER contents taken as
/// unsigned magnitudes) and renders `BN_print`, `BN_num_bits`,
/// `BN_get_word` and `i2d_RSA_PUBKEY` of it.
pub(super) fn rsa_key(key_bits: &[u8]) -> Option<RsaFields> {
    let (n, e) = match read_sequence_of(key_bits)?.as_slice() {
        [n, e] if n.is_universal(TAG_INTEGER, false) && e.is_universal(TAG_INTEGER, false) => {
            (strip_zeros(n.contents), strip_zeros(e.contents))
        }
        _ => return None,
    };
    let mut modulus = upper_hex(n, "");
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

/// A named elliptic curve OpenSSL knows.
pub(super) struct Curve {
    oid: &'static str,
    /// OpenSSL's short name (`asn1Curve`).
    pub(super) name: &'static str,
    /// `EC_GROUP_order_bits` (`bits`).
    pub(super) order_bits: u32,
    /// Bits of a field element, for the point encoding length.
    field_bits: u32,
    /// `EC_curve_nid2nist` (`nistCurve`).
    pub(super) nist: Option<&'static str>,
}

/// The curve of an EC key with named-curve parameters, if OpenSSL would load
/// the point (judged by its encoding and length only).
pub(super) fn named_curve(params: Option<&Tlv<'_>>, point: &[u8]) -> Option<&'static Curve> {
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
// Table (from OpenSSL 3.0's ec_curve.c)
// ---------------------------------------------------------------------------

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
