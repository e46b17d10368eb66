//! Unit tests of `describe`: robustness of the inner parsers against
//! mutated input, and the formatters one by one. The mutation test makes its
//! certificate with `openssl`, which must be on the `PATH`.

use super::der::{oid_text, read_tlv};
use super::extensions::{check_ca, parse_basic_constraints, parse_bit_flags, parse_ext_key_usage};
use super::general_names::{
    general_names_text, info_access_text, print_alt_name, print_general_name, translate_info_access,
};
use super::json::{base64, json_string, json_unquote};
use super::keys::{named_curve, rsa_key};
use super::names::{name_object, name_rfc2253, parse_name};
use super::serial_time::{parse_time, serial_hex, time_text};
use super::tbs::{Extension, Tbs, OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SUBJECT_ALT_NAME};
use super::tests_node::Scratch;
use super::{chain_to_json, describe, DescribeError, PeerCertificate};

// ---------------------------------------------------------------------------
// Robustness
// ---------------------------------------------------------------------------

#[test]
fn never_panics_on_mutations() {
    let dir = Scratch::new("mutations");
    dir.openssl(&["ecparam", "-name", "prime256v1", "-out", "p256.param"]);
    let param = format!("ec:{}", dir.path("p256.param").display());
    dir.write(
        "req.cnf",
        r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = sample
O = Org
[ext]
basicConstraints = critical, CA:TRUE
keyUsage = keyCertSign
extendedKeyUsage = serverAuth
subjectAltName = DNS:a.example, IP:1.2.3.4, dirName:dir, URI:http://u.example/
authorityInfoAccess = OCSP;URI:http://ocsp.example/
[dir]
CN = d
"#,
    );
    dir.openssl(&[
        "req",
        "-x509",
        "-config",
        "req.cnf",
        "-extensions",
        "ext",
        "-newkey",
        &param,
        "-nodes",
        "-days",
        "1",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
    ]);
    let der = dir.der("cert.pem");
    assert!(describe(&der).is_ok());
    for len in 0..der.len() {
        assert!(describe(&der[..len]).is_err(), "truncated to {len}");
    }
    let mut with_trailer = der.clone();
    with_trailer.push(0);
    assert_eq!(describe(&with_trailer), Err(DescribeError::TrailingData));
    for i in 0..der.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut mutated = der.clone();
            mutated[i] ^= mask;
            if let Ok(cert) = describe(&mutated) {
                let _ = cert.to_json();
            }
        }
    }

    // The inner parsers see far more than what passes x509-parser: feed
    // them mutated extension values, names, keys and times directly.
    let tbs = Tbs::parse(&der).expect("layout");
    let mut inputs: Vec<Vec<u8>> = tbs.extensions.iter().map(|e| e.value.to_vec()).collect();
    inputs.push(tbs.subject.to_vec());
    inputs.push(tbs.key_bits.to_vec());
    inputs.push(tbs.not_before.raw.to_vec());
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    for input in &inputs {
        for round in 0..3000 {
            let mut mutated = input.clone();
            for _ in 0..1 + round % 4 {
                let len = mutated.len().max(1);
                let at = (next() as usize) % len;
                match next() % 4 {
                    0 if !mutated.is_empty() => mutated[at] ^= next() as u8,
                    1 => mutated.insert(at.min(mutated.len()), next() as u8),
                    2 if !mutated.is_empty() => {
                        mutated.remove(at);
                    }
                    _ => mutated.truncate(at),
                }
            }
            exercise_parsers(&mutated);
        }
    }
}

/// Runs every inner parser over arbitrary bytes.
fn exercise_parsers(bytes: &[u8]) {
    let _ = general_names_text(bytes);
    let _ = info_access_text(bytes).map(|text| translate_info_access(&text));
    let _ = parse_ext_key_usage(bytes);
    let _ = parse_basic_constraints(bytes);
    let _ = parse_bit_flags(bytes);
    let _ = rsa_key(bytes);
    let _ = serial_hex(bytes);
    let _ = oid_text(bytes);
    let _ = json_unquote(&String::from_utf8_lossy(bytes));
    if let Some(entries) = parse_name(bytes) {
        let _ = name_object(&entries);
        let _ = name_rfc2253(&entries);
    }
    if let Some((tlv, _)) = read_tlv(bytes) {
        let _ = time_text(&tlv);
        let _ = named_curve(Some(&tlv), bytes);
        let mut out = Vec::new();
        let _ = print_general_name(&mut out, &tlv);
    }
    for generalized in [false, true] {
        let _ = parse_time(bytes, generalized);
    }
    let extensions = [Extension {
        oid: OID_BASIC_CONSTRAINTS.to_owned(),
        value: bytes,
    }];
    let _ = check_ca(&extensions);
}

#[test]
fn inner_parsers_never_panic_on_short_inputs() {
    // Every input of up to two bytes, and three-byte inputs for a few
    // identifier octets.
    exercise_parsers(&[]);
    for a in 0..=255u8 {
        exercise_parsers(&[a]);
        for b in 0..=255u8 {
            exercise_parsers(&[a, b]);
        }
    }
    for a in [
        0x02u8, 0x03, 0x06, 0x0c, 0x17, 0x18, 0x1e, 0x30, 0x31, 0x80, 0xa0, 0xa4,
    ] {
        for b in 0..=255u8 {
            for c in 0..=255u8 {
                exercise_parsers(&[a, b, c]);
            }
        }
    }
}

#[test]
fn general_name_variants() {
    let print = |der: &[u8]| {
        let (tlv, _) = read_tlv(der).expect("tlv");
        let mut out = Vec::new();
        print_general_name(&mut out, &tlv).map(|()| String::from_utf8(out).expect("utf8"))
    };
    assert_eq!(
        print(&[0x87, 4, 10, 0, 0, 1]).as_deref(),
        Some("IP Address:10.0.0.1")
    );
    assert_eq!(
        print(&[0x87, 5, 1, 2, 3, 4, 5]).as_deref(),
        Some("IP Address:<invalid length=5>")
    );
    assert_eq!(
        print(&[0x87, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xc0, 0xa8, 0, 1]).as_deref(),
        Some("IP Address:0:0:0:0:0:FFFF:C0A8:1")
    );
    assert_eq!(
        print(&[0x88, 3, 0x2a, 0x03, 0x04]).as_deref(),
        Some("Registered ID:1.2.3.4")
    );
    assert_eq!(print(&[0xa3, 0]).as_deref(), Some("X400Name:<unsupported>"));
    assert_eq!(
        print(&[0xa5, 0]).as_deref(),
        Some("EdiPartyName:<unsupported>")
    );
    assert_eq!(
        print(&[0x82, 2, b'a', 0xe9]).as_deref(),
        Some("DNS:\"a\\u00e9\"")
    );
    // A primitive [4], an unknown tag, a bad OID: OpenSSL cannot decode.
    assert_eq!(print(&[0x84, 0]), None);
    assert_eq!(print(&[0x89, 0]), None);
    assert_eq!(print(&[0x88, 1, 0x80]), None);
    assert_eq!(print(&[0x04, 0]), None);
}

#[test]
fn ca_follows_x509_check_ca() {
    let ext = |oid: &str, value: &'static [u8]| Extension {
        oid: oid.to_owned(),
        value,
    };
    const CA_TRUE: &[u8] = &[0x30, 0x03, 0x01, 0x01, 0xff];
    const CA_FALSE: &[u8] = &[0x30, 0x00];
    const CA_NEGATIVE_PATH: &[u8] = &[0x30, 0x06, 0x01, 0x01, 0xff, 0x02, 0x01, 0xff];
    const KU_CERT_SIGN: &[u8] = &[0x03, 0x02, 0x02, 0x04];
    const KU_SIGNATURE: &[u8] = &[0x03, 0x02, 0x07, 0x80];
    const KU_EMPTY: &[u8] = &[0x03, 0x01, 0x00];
    assert!(check_ca(&[ext(OID_BASIC_CONSTRAINTS, CA_TRUE)]));
    assert!(!check_ca(&[ext(OID_BASIC_CONSTRAINTS, CA_FALSE)]));
    assert!(!check_ca(&[ext(OID_KEY_USAGE, KU_CERT_SIGN)]));
    assert!(!check_ca(&[]));
    assert!(check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext(OID_KEY_USAGE, KU_CERT_SIGN)
    ]));
    assert!(!check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext(OID_KEY_USAGE, KU_SIGNATURE)
    ]));
    assert!(!check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext(OID_KEY_USAGE, KU_EMPTY)
    ]));
    assert!(!check_ca(&[ext(OID_BASIC_CONSTRAINTS, CA_NEGATIVE_PATH)]));
    assert!(!check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE)
    ]));
    assert!(!check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext(OID_SUBJECT_ALT_NAME, &[0x30, 0x02, 0x89, 0x00])
    ]));
    assert!(check_ca(&[
        ext(OID_BASIC_CONSTRAINTS, CA_TRUE),
        ext("1.2.3.4", &[0xff]),
        ext("1.2.3.4", &[0xff])
    ]));
}

#[test]
fn rejects_garbage() {
    assert!(matches!(describe(b""), Err(DescribeError::Malformed(_))));
    assert!(describe(&[0x30, 0x80, 0, 0]).is_err());
    assert!(describe(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    assert!(describe(&[0xff; 64]).is_err());
}

// ---------------------------------------------------------------------------
// Formatters
// ---------------------------------------------------------------------------

#[test]
fn oid_text_matches_openssl() {
    assert_eq!(oid_text(&[0x55, 0x04, 0x03]).as_deref(), Some("2.5.4.3"));
    assert_eq!(
        oid_text(&[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01]).as_deref(),
        Some("1.2.840.113549.1.9.1")
    );
    assert_eq!(oid_text(&[0x00]).as_deref(), Some("0.0"));
    assert_eq!(oid_text(&[0x27]).as_deref(), Some("0.39"));
    assert_eq!(oid_text(&[0x28]).as_deref(), Some("1.0"));
    assert_eq!(oid_text(&[0x88, 0x37, 0x03]).as_deref(), Some("2.999.3"));
    // An arc beyond 64 bits.
    let mut big = vec![0x2a];
    big.extend_from_slice(&[0xff; 12]);
    big.push(0x7f);
    assert_eq!(
        oid_text(&big).as_deref(),
        Some("1.2.2475880078570760549798248447")
    );
    // First arc beyond 64 bits: "2." and the value minus 80.
    let mut big_first = vec![0xff; 10];
    big_first.push(0x7f);
    assert_eq!(
        oid_text(&big_first).as_deref(),
        Some("2.151115727451828646838191")
    );
    assert_eq!(oid_text(&[]), None);
    assert_eq!(oid_text(&[0x55, 0x84]), None);
    assert_eq!(oid_text(&[0x55, 0x80, 0x01]), None);
}

#[test]
fn json_and_base64() {
    assert_eq!(
        json_string("a\"b\\c\n\t\u{1}\u{7f}é"),
        "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}é\""
    );
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"f"), "Zg==");
    assert_eq!(base64(b"fo"), "Zm8=");
    assert_eq!(base64(b"foo"), "Zm9v");
    assert_eq!(base64(&[0xfb, 0xff]), "+/8=");
    assert_eq!(
        json_unquote(r#""a\u002cb\\\"\u00e9""#).as_deref(),
        Some("a,b\\\"é")
    );
    assert_eq!(json_unquote(r#""a"b""#), None);
    assert_eq!(json_unquote("\"unterminated"), None);
}

#[test]
fn serial_numbers() {
    assert_eq!(serial_hex(&[0]).as_deref(), Some("0"));
    assert_eq!(serial_hex(&[1]).as_deref(), Some("01"));
    assert_eq!(serial_hex(&[0x00, 0x80]).as_deref(), Some("80"));
    assert_eq!(serial_hex(&[0xfb]).as_deref(), Some("-05"));
    assert_eq!(serial_hex(&[0xff, 0x00]).as_deref(), Some("-0100"));
    assert_eq!(serial_hex(&[0x01, 0x00]).as_deref(), Some("0100"));
    assert_eq!(serial_hex(&[]), None);
    assert_eq!(serial_hex(&[0x00, 0x01]), None);
    assert_eq!(serial_hex(&[0xff, 0x80]), None);
}

fn time(tag: u32, text: &str) -> String {
    let raw = [&[tag as u8, text.len() as u8][..], text.as_bytes()].concat();
    let (tlv, _) = read_tlv(&raw).expect("tlv");
    time_text(&tlv)
}

#[test]
fn times_as_asn1_time_print() {
    assert_eq!(time(23, "091111095222Z"), "Nov 11 09:52:22 2009 GMT");
    assert_eq!(time(23, "500101000000Z"), "Jan  1 00:00:00 1950 GMT");
    assert_eq!(time(24, "20541231235959Z"), "Dec 31 23:59:59 2054 GMT");
    assert_eq!(
        time(24, "20240229120000.25Z"),
        "Feb 29 12:00:00.25 2024 GMT"
    );
    assert_eq!(time(23, "0911110952Z"), "Nov 11 09:52:00 2009 GMT");
    assert_eq!(time(23, "091231233000-0100"), "Jan  1 00:30:00 2010");
    assert_eq!(time(23, "091111095222+0930"), "Nov 11 00:22:22 2009");
    assert_eq!(time(23, "090229000000Z"), "Bad time value");
    assert_eq!(time(23, "091311095222Z"), "Bad time value");
    assert_eq!(time(24, "2024022912000Z"), "Bad time value");
    assert_eq!(time(23, "091111095222"), "Bad time value");
    assert_eq!(time(4, "091111095222Z"), "Bad time value");
}

#[test]
fn alt_name_escaping() {
    let mut out = Vec::new();
    print_alt_name(&mut out, b"plain.example", false, None);
    assert_eq!(out, b"plain.example");
    out.clear();
    print_alt_name(&mut out, b"a,b\"c\\d'\x01\xe9", false, None);
    assert_eq!(out, br#""a\u002cb\"c\\d'\u0001\u00e9""#);
    out.clear();
    print_alt_name(&mut out, "caf\u{e9}".as_bytes(), true, Some("UPN"));
    assert_eq!(out, "UPN:caf\u{e9}".as_bytes());
    out.clear();
    print_alt_name(&mut out, b"a,b\x7f", true, Some("UPN"));
    assert_eq!(out, br#""UPN:a\u002cb\u007f""#);
}

#[test]
fn info_access_translation() {
    let fields = translate_info_access(
        "OCSP - URI:http://a/\nCA Issuers - URI:\"http://b/\\u002cc\"\nOCSP - URI:http://c/\nno colon",
    );
    assert_eq!(
        fields,
        vec![
            (
                "OCSP - URI".to_owned(),
                vec!["http://a/".to_owned(), "http://c/".to_owned()]
            ),
            (
                "CA Issuers - URI".to_owned(),
                vec!["http://b/,c".to_owned()]
            ),
        ]
    );
}

#[test]
fn rfc2253_escaping() {
    // SEQUENCE { SET { SEQUENCE { CN, UTF8String "#a b " } } }
    fn name(value: &[u8]) -> Vec<u8> {
        let atv = [
            &[
                0x30,
                (value.len() + 7) as u8,
                0x06,
                0x03,
                0x55,
                0x04,
                0x03,
                0x0c,
            ][..],
            &[value.len() as u8],
            value,
        ]
        .concat();
        [&[0x31, atv.len() as u8][..], &atv].concat()
    }
    let print = |value: &[u8]| {
        let der = name(value);
        let entries = parse_name(&der).expect("name");
        name_rfc2253(&entries).expect("print")
    };
    assert_eq!(print(b"#a b "), b"CN=\\#a b\\ ");
    assert_eq!(print(b"#"), b"CN=#");
    assert_eq!(print(b" "), b"CN=\\ ");
    assert_eq!(print(b"a+b,c;\"<>\\"), b"CN=a\\+b\\,c\\;\\\"\\<\\>\\\\");
    // Invalid UTF-8: OpenSSL refuses the name.
    assert!(parse_name(&name(b"\xff")).is_none());
}

#[test]
fn chain_json_links_issuers() {
    let sample = PeerCertificate {
        subject: vec![("CN".to_owned(), vec!["a".to_owned()])],
        issuer: vec![("CN".to_owned(), vec!["a".to_owned()])],
        subjectaltname: None,
        info_access: Some(vec![]),
        ca: true,
        modulus: None,
        bits: None,
        exponent: None,
        pubkey: None,
        asn1_curve: None,
        nist_curve: None,
        valid_from: "from".to_owned(),
        valid_to: "to".to_owned(),
        fingerprint: "1".to_owned(),
        fingerprint256: "2".to_owned(),
        fingerprint512: "3".to_owned(),
        ext_key_usage: Some(vec![]),
        serial_number: "01".to_owned(),
        raw: vec![1, 2, 3],
    };
    let one = sample.to_json();
    assert_eq!(
        one,
        r#"{"subject":{"CN":"a"},"issuer":{"CN":"a"},"infoAccess":{},"ca":true,"valid_from":"from","valid_to":"to","fingerprint":"1","fingerprint256":"2","fingerprint512":"3","ext_key_usage":[],"serialNumber":"01","raw":"AQID"}"#
    );
    assert_eq!(chain_to_json(&[]), "{}");
    assert_eq!(chain_to_json(std::slice::from_ref(&sample)), one);
    let two = chain_to_json(&[sample.clone(), sample]);
    assert_eq!(
        two,
        format!(
            "{},\"issuerCertificate\":{}}}",
            one.strip_suffix('}').expect("object"),
            one
        )
    );
}
