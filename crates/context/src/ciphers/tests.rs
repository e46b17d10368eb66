//! Tests of the cipher-string evaluation: fixed expectations, then
//! differential tests against the `openssl` command (OpenSSL 3.0, the
//! reference) and against `node` (Node 20) when they are installed, then a
//! bounded fuzz-style run.

use std::collections::HashSet;
use std::process::Command;

use super::*;

/// The nine rustls suites, by OpenSSL name (independent of the tables).
const RUSTLS_NAMES: [&str; 9] = [
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
];

const TLS13_DEFAULT: [&str; 3] = [
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
];

fn names(list: &str) -> Vec<&'static str> {
    match select(list) {
        Ok(sel) => sel.openssl_names(),
        Err(e) => panic!("select({list:?}) failed: {e}"),
    }
}

/// The TLS 1.2 part of `names(list)`.
fn names12(list: &str) -> Vec<&'static str> {
    names(list)
        .into_iter()
        .filter(|n| !n.starts_with("TLS_"))
        .collect()
}

fn with_default_tls13(tls12: &[&'static str]) -> Vec<&'static str> {
    TLS13_DEFAULT.iter().chain(tls12).copied().collect()
}

// ---------------------------------------------------------------------------
// Tables and small functions.

#[test]
fn supported_table_is_exactly_the_ring_provider() {
    let ring: HashSet<u16> = rustls::crypto::ring::ALL_CIPHER_SUITES
        .iter()
        .map(|s| u16::from(s.suite()))
        .collect();
    let ours: HashSet<u16> = SUPPORTED.iter().map(|s| s.id).collect();
    assert_eq!(ring, ours);
    assert_eq!(ring.len(), 9);
    for s in &SUPPORTED {
        assert!(RUSTLS_NAMES.contains(&s.name), "{}", s.name);
        let rs = rustls_suite(s.id).expect("in the ring provider");
        // rustls spells TLS 1.3 names with a TLS13_ prefix.
        let rustls_name = format!("{:?}", rs.suite()).replace("TLS13_", "TLS_");
        assert_eq!(rustls_name, s.std_name);
        let is13 = matches!(rs, SupportedCipherSuite::Tls13(_));
        assert_eq!(is13, s.min_tls == TLS1_3, "{}", s.name);
    }
    for s in OPENSSL_ONLY.iter() {
        assert!(rustls_suite(s.id).is_none(), "{}", s.name);
    }
}

#[test]
fn tables_have_unique_names_and_ids() {
    let mut names = HashSet::new();
    let mut std_names = HashSet::new();
    let mut ids = HashSet::new();
    for s in all_suites() {
        assert!(names.insert(s.name), "duplicate {}", s.name);
        assert!(std_names.insert(s.std_name), "duplicate {}", s.std_name);
        assert!(ids.insert(s.id), "duplicate {:#06x}", s.id);
        assert!(s.name.bytes().all(is_name_byte) || s.min_tls == TLS1_3);
    }
    assert_eq!(ids.len(), 160);
    let mut alias_names = HashSet::new();
    for a in ALIASES {
        assert!(alias_names.insert(a.name), "duplicate alias {}", a.name);
        assert!(!names.contains(a.name), "alias shadows a suite: {}", a.name);
    }
}

#[test]
fn names_of_suites() {
    use rustls::CipherSuite as C;
    let cases = [
        (
            C::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            "ECDHE-RSA-AES128-GCM-SHA256",
            "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            C::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        ),
        (
            C::TLS13_AES_128_GCM_SHA256,
            "TLS_AES_128_GCM_SHA256",
            "TLS_AES_128_GCM_SHA256",
        ),
        (
            C::TLS13_CHACHA20_POLY1305_SHA256,
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_CHACHA20_POLY1305_SHA256",
        ),
        (
            C::TLS_DHE_RSA_WITH_AES_128_GCM_SHA256,
            "DHE-RSA-AES128-GCM-SHA256",
            "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        ),
        (
            C::TLS_RSA_WITH_AES_128_CBC_SHA,
            "AES128-SHA",
            "TLS_RSA_WITH_AES_128_CBC_SHA",
        ),
    ];
    for (suite, openssl, iana) in cases {
        assert_eq!(openssl_name(suite), Some(openssl));
        assert_eq!(standard_name(suite), Some(iana));
    }
    // RC4 is not offered by OpenSSL 3.0, and 0x0A0A is a GREASE value.
    assert_eq!(openssl_name(C::TLS_RSA_WITH_RC4_128_SHA), None);
    assert_eq!(standard_name(C::from(0x0A0A)), None);
    for s in rustls::crypto::ring::ALL_CIPHER_SUITES {
        assert!(openssl_name(s.suite()).is_some());
        assert!(standard_name(s.suite()).is_some());
    }
}

#[test]
fn get_ciphers_is_sorted_lowercase_supported_names() {
    let mut expected: Vec<String> = RUSTLS_NAMES.iter().map(|n| n.to_lowercase()).collect();
    expected.sort();
    assert_eq!(get_ciphers(), expected);
}

#[test]
fn default_ciphers_selects_all_nine() {
    assert_eq!(
        names(DEFAULT_CIPHERS),
        [
            "TLS_AES_256_GCM_SHA384",
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
    // Node: `ciphers || getDefaultCiphers()`.
    assert_eq!(names(""), names(DEFAULT_CIPHERS));
    let sel = select("").unwrap();
    assert_eq!(sel.security_level, None);
    assert_eq!(sel.suites.len(), 9);
}

// ---------------------------------------------------------------------------
// Grammar semantics on the nine suites (expectations checked with
// `openssl ciphers` by hand, and by the differential tests below).

#[test]
fn openssl_default_order() {
    let all = [
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-CHACHA20-POLY1305",
        "ECDHE-RSA-CHACHA20-POLY1305",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
    ];
    assert_eq!(names("ALL"), with_default_tls13(&all));
    assert_eq!(names("DEFAULT"), with_default_tls13(&all));
    assert_eq!(names("HIGH"), with_default_tls13(&all));
    assert_eq!(names("kECDHE"), with_default_tls13(&all));
    assert_eq!(
        names12("ECDHE+AESGCM:ECDHE+CHACHA20"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
}

#[test]
fn intersection_with_plus() {
    assert_eq!(
        names12("kECDHE+aRSA+AES256"),
        ["ECDHE-RSA-AES256-GCM-SHA384"]
    );
    assert_eq!(
        names12("ECDSA+AES128:RSA+AES128"),
        ["ECDHE-ECDSA-AES128-GCM-SHA256"]
    );
    // An explicit suite intersected with a class it belongs to.
    assert_eq!(
        names12("ECDHE-RSA-AES128-GCM-SHA256+HIGH:ECDSA"),
        [
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ]
    );
    // Disjoint or unknown parts select nothing.
    assert_eq!(
        names12("aRSA+aECDSA:ECDHE-RSA-AES128-GCM-SHA256"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    assert_eq!(
        names12("NOSUCH+ALL:ECDHE-RSA-AES128-GCM-SHA256"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    assert_eq!(
        names12("ALL+NOSUCH:ECDHE-RSA-AES128-GCM-SHA256"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
}

#[test]
fn bang_deletes_for_good_minus_allows_re_adding() {
    // `-` then re-add: the RSA suites come back, at the end.
    assert_eq!(
        names12("ECDHE+AESGCM:-aRSA:aRSA"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
    // `!` then re-add: they stay out.
    assert_eq!(
        names12("ECDHE+AESGCM:!aRSA:aRSA"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256"
        ]
    );
    // `!` before adding also wins.
    assert_eq!(
        names12("!ECDSA:ALL"),
        [
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ]
    );
    // `-` before adding does nothing.
    assert_eq!(names12("-ECDSA:ALL").len(), 6);
    // Deleted suites go to the head of the list, in order, so adding them
    // back restores their previous relative order before the others.
    assert_eq!(
        names12("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:-ALL:ALL"),
        [
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
}

#[test]
fn plus_prefix_moves_to_the_end() {
    assert_eq!(
        names12("ECDHE+AESGCM:+aRSA"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256",
        ]
    );
    // `+` does not add anything.
    assert_eq!(
        names12("ECDHE-RSA-AES128-GCM-SHA256:+ECDSA"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    assert_eq!(
        names12("ALL:+AES128:+CHACHA20"),
        [
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-CHACHA20-POLY1305",
            "ECDHE-RSA-CHACHA20-POLY1305",
        ]
    );
}

#[test]
fn strength_sort_is_stable_and_strongest_first() {
    assert_eq!(
        names12(
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:\
             ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384:@STRENGTH"
        ),
        [
            "ECDHE-RSA-CHACHA20-POLY1305",
            "ECDHE-RSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
        ]
    );
    // The rest of an `@` element is ignored.
    assert_eq!(
        names12("AES128:CHACHA20:@STRENGTH+whatever!x"),
        names12("AES128:CHACHA20:@STRENGTH")
    );
}

#[test]
fn security_levels() {
    for level in 0..=3u8 {
        let sel = select(&format!("ALL:@SECLEVEL={level}")).unwrap();
        assert_eq!(sel.security_level, Some(level));
        assert_eq!(sel.suites.len(), 9);
    }
    for level in 4..=5u8 {
        let sel = select(&format!("ALL:@SECLEVEL={level}")).unwrap();
        assert_eq!(sel.security_level, Some(level));
        assert_eq!(
            sel.openssl_names(),
            [
                "TLS_AES_256_GCM_SHA384",
                "TLS_CHACHA20_POLY1305_SHA256",
                "ECDHE-ECDSA-AES256-GCM-SHA384",
                "ECDHE-RSA-AES256-GCM-SHA384",
                "ECDHE-ECDSA-CHACHA20-POLY1305",
                "ECDHE-RSA-CHACHA20-POLY1305",
            ]
        );
    }
    // The last one wins.
    let sel = select("@SECLEVEL=5:ALL:@SECLEVEL=1").unwrap();
    assert_eq!(sel.security_level, Some(1));
    assert_eq!(sel.suites.len(), 9);
    // Nothing usable is left.
    assert!(matches!(
        select("TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=4"),
        Err(CipherError::NoSupportedCipher { .. })
    ));
}

#[test]
fn default_and_suite_b_prefixes() {
    assert_eq!(names12("DEFAULT:!ECDSA"), names12("ALL:!ECDSA"));
    assert_eq!(names12("DEFAULT,!ECDSA"), names12("ALL:!ECDSA"));
    // DEFAULT is special only at the very start.
    assert_eq!(
        names12("ECDHE-RSA-AES128-GCM-SHA256:DEFAULT"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    assert_eq!(
        names12("SUITEB128"),
        [
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384"
        ]
    );
    assert_eq!(names12("SUITEB192:ALL"), ["ECDHE-ECDSA-AES256-GCM-SHA384"]);
    assert_eq!(names12("SUITEB128ONLY"), ["ECDHE-ECDSA-AES128-GCM-SHA256"]);
}

#[test]
fn tls13_part_follows_node() {
    // Only the named TLS 1.3 suites, in the given order; no TLS 1.2 part
    // means TLS 1.3 only.
    assert_eq!(
        names("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256"),
        ["TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"]
    );
    // With a TLS 1.2 part.
    assert_eq!(
        names("TLS_AES_128_GCM_SHA256:ECDHE-RSA-AES256-GCM-SHA384"),
        ["TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES256-GCM-SHA384"]
    );
    // Without TLS_ names, all three TLS 1.3 suites in OpenSSL's order.
    assert_eq!(
        names("ECDHE-RSA-AES256-GCM-SHA384"),
        with_default_tls13(&["ECDHE-RSA-AES256-GCM-SHA384"])
    );
    // Unknown and !TLS_ names are ignored if another one is known.
    assert_eq!(
        names("!TLS_AES_128_GCM_SHA256:TLS_NOSUCH:TLS_AES_256_GCM_SHA384"),
        ["TLS_AES_256_GCM_SHA384"]
    );
    // Duplicates are listed once; trailing spaces are trimmed.
    assert_eq!(
        names("TLS_AES_256_GCM_SHA384 :TLS_AES_256_GCM_SHA384"),
        ["TLS_AES_256_GCM_SHA384"]
    );
    // The IANA name of a TLS 1.2 suite goes to the TLS 1.3 setter, which
    // puts it first among the TLS 1.2 suites (and no TLS 1.3 suite is left).
    assert_eq!(
        names("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:ECDHE+AES256"),
        [
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
            "ECDHE-RSA-AES256-GCM-SHA384",
        ]
    );
    // ... and counts as a TLS 1.2 entry (no "no cipher match").
    assert_eq!(
        names("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:RC4-SHA"),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    // TLS 1.3 suites are listed first all the same.
    assert_eq!(
        names("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA256:ECDSA+AES256"),
        [
            "TLS_AES_128_GCM_SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "ECDHE-ECDSA-AES256-GCM-SHA384",
        ]
    );
    // Node splits on ':' only: after ',' a TLS_ name is in the TLS 1.2
    // list, where OpenSSL ignores it.
    assert_eq!(
        names("ECDHE-RSA-AES128-GCM-SHA256,TLS_AES_128_GCM_SHA256"),
        with_default_tls13(&["ECDHE-RSA-AES128-GCM-SHA256"])
    );
}

#[test]
fn unsupported_but_valid_tls12_lists_keep_tls13() {
    for list in [
        "DHE-RSA-AES128-GCM-SHA256",
        "AES128-SHA:AES256-SHA",
        "kRSA",
        "PSK",
        "CAMELLIA",
        "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384",
        "HIGH:!ECDHE",
        "eNULL",
        "RC4-SHA:DHE-RSA-AES256-SHA256",
    ] {
        assert_eq!(names(list), TLS13_DEFAULT, "{list}");
    }
    assert_eq!(
        names("TLS_AES_128_GCM_SHA256:DHE-RSA-AES128-GCM-SHA256"),
        ["TLS_AES_128_GCM_SHA256"]
    );
}

// ---------------------------------------------------------------------------
// Errors.

#[test]
fn no_cipher_match() {
    for list in [
        "RC4-SHA",
        "RC4-MD5",
        "DES-CBC3-SHA",
        "EDH-RSA-DES-CBC3-SHA",
        "NOSUCH",
        "ecdhe-rsa-aes128-gcm-sha256",
        "EXPORT",
        "aRSA+aECDSA",
        "ALL:!ALL",
        "!ALL:ALL",
        "TLS_NOSUCH",
        "!TLS_AES_128_GCM_SHA256",
        "!TLS_AES_128_GCM_SHA256:HIGH",
        "TLS_AES_128_GCM_SHA256:RC4-SHA",
        "TLS_AES_128_GCM_SHA256,HIGH",
        " TLS_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,ALL",
        "DEFAULT:-ALL",
    ] {
        let err = select(list).unwrap_err();
        assert_eq!(
            err,
            CipherError::NoCipherMatch {
                list: list.to_owned()
            },
            "{list}"
        );
        assert!(err.to_string().contains("no cipher match"), "{err}");
        assert_eq!(err.node_code(), Some("ERR_SSL_NO_CIPHER_MATCH"));
    }
    assert_eq!(
        select("RC4-SHA").unwrap_err().to_string(),
        "invalid `ciphers`: no cipher match for \"RC4-SHA\""
    );
}

#[test]
fn syntax_errors() {
    for list in [
        "@FOO",
        "ALL:@strength",
        "ALL:@SECLEVEL=6",
        "ALL:@SECLEVEL=",
        "ALL:@SECLEVEL=10",
        "ALL:@SECLEVEL=a",
        "ALL:@",
        "ECDHE+",
        "ECDHE++AES",
        "ALL:!",
        "ALL:-",
        "ALL:+",
        "!!ALL",
        "ALL_X",
        "ALL(",
        "HIGH:ECDHE+_",
        "ALL:é",
        "ALL\t",
        "TLS_AES_128_GCM_SHA256:ECDHE+",
    ] {
        let Err(err) = select(list) else {
            panic!("{list:?} should fail");
        };
        assert!(
            matches!(&err, CipherError::Syntax { list: l, .. } if l == list),
            "{list:?}: {err:?}"
        );
        assert_eq!(err.node_code(), Some("ERR_SSL_INVALID_COMMAND"));
        assert!(err
            .to_string()
            .starts_with("invalid `ciphers`: invalid command in "));
    }
    // Not errors: OpenSSL skips the rest of an element that matched nothing,
    // and a NUL ends the string.
    for list in [
        "NOSUCH+_(:ALL",
        "aRSA+aECDSA+_:ALL",
        "RC4+:ALL",
        "TLS_AES_128_GCM_SHA256:ALL\u{0}(",
        "ALL:\u{0}x",
        "\u{0}",
        "TLS_AES_128_GCM_SHA256\u{0}:HIGH",
    ] {
        assert!(select(list).is_ok(), "{list:?}");
    }
}

#[test]
fn empty_and_unsupported() {
    for list in [":", "::", ":::::"] {
        let err = select(list).unwrap_err();
        assert_eq!(
            err,
            CipherError::Empty {
                list: list.to_owned()
            }
        );
        assert_eq!(err.node_code(), Some("ERR_INVALID_ARG_VALUE"));
    }
    for list in [
        "TLS_AES_128_CCM_SHA256",
        "TLS_AES_128_CCM_8_SHA256:TLS_AES_128_CCM_SHA256",
        "TLS_FALLBACK_SCSV",
        "TLS_RSA_WITH_SEED_CBC_SHA",
        "TLS_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_AES_128_CCM_SHA256:DHE-RSA-AES128-GCM-SHA256",
    ] {
        let err = select(list).unwrap_err();
        assert_eq!(
            err,
            CipherError::NoSupportedCipher {
                list: list.to_owned()
            },
            "{list}"
        );
        assert!(err.to_string().contains("no cipher match"));
        assert_eq!(err.node_code(), None);
    }
    let e: Box<dyn std::error::Error> = Box::new(select(":").unwrap_err());
    assert!(e.to_string().contains("names no cipher suite"));
}

// ---------------------------------------------------------------------------
// Differential tests against `openssl ciphers` (OpenSSL 3.0).

fn have(program: &str) -> bool {
    let ok = Command::new(program)
        .arg(if program == "node" {
            "--version"
        } else {
            "version"
        })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if !ok {
        eprintln!("`{program}` is not available: skipping the comparison with it");
    }
    ok
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Selected OpenSSL names.
    Ok(Vec<String>),
    NoMatch,
    Invalid,
    Empty,
}

fn run_openssl(args: &[&str]) -> Result<String, Outcome> {
    let out = Command::new("openssl")
        .arg("ciphers")
        .args(args)
        .output()
        .expect("run openssl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else if stderr.contains("invalid command") {
        Err(Outcome::Invalid)
    } else if stderr.contains("no cipher match") {
        Err(Outcome::NoMatch)
    } else {
        panic!("openssl ciphers {args:?}: {stderr}");
    }
}

/// The full TLS <= 1.2 list that `SSL_CTX_set_cipher_list(rules)` builds.
fn openssl_rules(rules: &str) -> Outcome {
    match run_openssl(&["-ciphersuites", "", "--", rules]) {
        Ok(out) => Outcome::Ok(
            out.trim()
                .split(':')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        Err(e) => e,
    }
}

fn our_rules(rules: &str) -> Outcome {
    match evaluate_rules(rules) {
        Ok(o) if o.suites.is_empty() => Outcome::NoMatch,
        Ok(o) => Outcome::Ok(o.suites.iter().map(|s| s.name.to_owned()).collect()),
        Err(_) => Outcome::Invalid,
    }
}

/// What Node 20 enables for `ciphers: list`, per `openssl ciphers -s -v`,
/// restricted to the nine rustls suites: Node's split is done here, the
/// TLS 1.3 part goes to `-ciphersuites`, and an empty TLS 1.2 part means
/// TLS 1.3 only.
fn openssl_reference(list: &str) -> Outcome {
    let list = if list.is_empty() {
        DEFAULT_CIPHERS
    } else {
        list
    };
    let parts: Vec<&str> = list.split(':').filter(|p| !p.is_empty()).collect();
    let is13 = |p: &str| p.starts_with("TLS_") || p.starts_with("!TLS_");
    let (tls13, tls12): (Vec<&str>, Vec<&str>) = parts.iter().partition(|p| is13(p));
    let (tls13, tls12) = (tls13.join(":"), tls12.join(":"));
    if tls13.is_empty() && tls12.is_empty() {
        return Outcome::Empty;
    }
    let mut args = vec!["-s", "-v"];
    if !tls13.is_empty() {
        args.extend(["-ciphersuites", &tls13]);
    }
    args.extend(["--", if tls12.is_empty() { "ALL" } else { &tls12 }]);
    let out = match run_openssl(&args) {
        Ok(out) => out,
        Err(e) => return e,
    };
    let mut seen = Vec::new();
    for line in out.lines() {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(proto)) = (fields.next(), fields.next()) else {
            continue;
        };
        if tls12.is_empty() && proto != "TLSv1.3" {
            continue;
        }
        if RUSTLS_NAMES.contains(&name) && !seen.iter().any(|s| s == name) {
            seen.push(name.to_owned());
        }
    }
    // select() lists TLS 1.3 suites first, keeping OpenSSL's order within
    // each version.
    seen.sort_by_key(|n| !n.starts_with("TLS_"));
    Outcome::Ok(seen)
}

fn our_outcome(list: &str) -> Outcome {
    match select(list) {
        Ok(sel) => Outcome::Ok(sel.openssl_names().into_iter().map(str::to_owned).collect()),
        Err(CipherError::NoSupportedCipher { .. }) => Outcome::Ok(Vec::new()),
        Err(CipherError::NoCipherMatch { .. }) => Outcome::NoMatch,
        Err(CipherError::Syntax { .. }) => Outcome::Invalid,
        Err(CipherError::Empty { .. }) => Outcome::Empty,
    }
}

/// Strings compared with OpenSSL through [`select`].
const REFERENCE_STRINGS: &[&str] = &[
    "",
    DEFAULT_CIPHERS,
    "ALL",
    "DEFAULT",
    "HIGH",
    "MEDIUM",
    "LOW",
    "ALL:COMPLEMENTOFALL",
    "COMPLEMENTOFDEFAULT",
    "COMPLEMENTOFALL",
    "eNULL",
    "NULL",
    "aNULL",
    "kRSA",
    "RSA",
    "kEDH",
    "kDHE",
    "EDH",
    "DHE",
    "kEECDH",
    "kECDHE",
    "ECDHE",
    "EECDH",
    "ECDH",
    "aRSA",
    "aECDSA",
    "ECDSA",
    "AES",
    "AES128",
    "AES256",
    "AESGCM",
    "AESCCM",
    "CHACHA20",
    "3DES",
    "DES",
    "RC4",
    "MD5",
    "SHA1",
    "SHA",
    "SHA256",
    "SHA384",
    "TLSv1.2",
    "TLSv1",
    "TLSv1.0",
    "SSLv3",
    "PSK",
    "SRP",
    "CAMELLIA",
    "ARIA",
    "SEED",
    "IDEA",
    "kPSK",
    "FIPS",
    "CBC",
    "EXPORT",
    "ECDHE+AESGCM",
    "ECDHE+AESGCM:ECDHE+CHACHA20",
    "kECDHE+aRSA",
    "kECDHE+aRSA+AES256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-GCM-SHA256+HIGH",
    "ECDHE-RSA-AES128-GCM-SHA256+aECDSA",
    "ECDHE-RSA-AES128-GCM-SHA256+ECDHE",
    "ECDHE+ECDHE-RSA-AES128-GCM-SHA256",
    "HIGH:!aNULL:!MD5",
    "HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA",
    "ALL:!ECDSA",
    "ALL:-ECDSA:ECDSA",
    "ALL:!ECDSA:ECDSA",
    "ALL:+aRSA",
    "ALL:+AES128",
    "ALL:+AESGCM:@STRENGTH",
    "AES128:CHACHA20:@STRENGTH",
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:@STRENGTH",
    "ALL:@SECLEVEL=0",
    "ALL:@SECLEVEL=3",
    "ALL:@SECLEVEL=4",
    "ALL:@SECLEVEL=5",
    "ALL:@SECLEVEL=6",
    "ALL:@FOO",
    "DEFAULT:!ECDSA",
    "DEFAULT:@STRENGTH",
    "ECDHE-RSA-AES128-GCM-SHA256:DEFAULT",
    "SUITEB128",
    "SUITEB128ONLY",
    "SUITEB128C2",
    "SUITEB192",
    "RC4-SHA",
    "RC4-SHA:ECDHE-RSA-AES128-GCM-SHA256",
    "DES-CBC3-SHA:AES128-SHA",
    "DHE-RSA-AES128-GCM-SHA256",
    "AES128-GCM-SHA256:AES256-GCM-SHA384",
    "ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA384",
    "NOSUCH",
    "NOSUCH:HIGH",
    "ECDHE+",
    "ALL_X",
    "ECDHE, aRSA; AES128 TLSv1.2",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256",
    "TLS_CHACHA20_POLY1305_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
    "TLS_AES_128_GCM_SHA256:RC4-SHA",
    "TLS_AES_128_GCM_SHA256:DHE-RSA-AES128-GCM-SHA256",
    "TLS_NOSUCH",
    "TLS_NOSUCH:TLS_AES_256_GCM_SHA384:HIGH",
    "!TLS_AES_128_GCM_SHA256:HIGH",
    "TLS_AES_128_CCM_SHA256",
    "TLS_AES_128_CCM_SHA256:HIGH",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:ECDHE+AES256",
    "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256:RC4-SHA",
    "TLS_AES_256_GCM_SHA384 :ECDSA",
    "HIGH,TLS_AES_128_GCM_SHA256",
    "TLS_AES_128_GCM_SHA256,HIGH",
    ":",
    "::HIGH::",
    "-ALL:HIGH",
    "+ALL:HIGH",
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:-ALL:ALL",
];

#[test]
fn select_matches_openssl_on_reference_strings() {
    if !have("openssl") {
        return;
    }
    assert!(REFERENCE_STRINGS.len() >= 40);
    let mut failures = Vec::new();
    for list in REFERENCE_STRINGS {
        let expected = openssl_reference(list);
        let ours = our_outcome(list);
        if expected != ours {
            failures.push(format!("{list:?}: openssl {expected:?}, ours {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn full_list_matches_openssl_on_reference_strings() {
    if !have("openssl") {
        return;
    }
    let mut failures = Vec::new();
    for list in REFERENCE_STRINGS {
        if list.contains("TLS_") || list.contains(':') && list.split(':').all(str::is_empty) {
            continue;
        }
        let expected = openssl_rules(list);
        let ours = our_rules(list);
        if expected != ours {
            failures.push(format!(
                "{list:?}:\n  openssl {expected:?}\n  ours    {ours:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A small xorshift64* generator (fixed seeds: the tests are deterministic).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const WORDS: &[&str] = &[
    "ALL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "DEFAULT",
    "COMPLEMENTOFDEFAULT",
    "COMPLEMENTOFALL",
    "eNULL",
    "NULL",
    "aNULL",
    "kRSA",
    "RSA",
    "kEDH",
    "DHE",
    "EDH",
    "kECDHE",
    "ECDHE",
    "EECDH",
    "ECDH",
    "aRSA",
    "aECDSA",
    "ECDSA",
    "AES",
    "AES128",
    "AES256",
    "AESGCM",
    "AESCCM",
    "CHACHA20",
    "3DES",
    "DES",
    "RC4",
    "MD5",
    "SHA1",
    "SHA256",
    "SHA384",
    "TLSv1.2",
    "TLSv1",
    "SSLv3",
    "PSK",
    "SRP",
    "CAMELLIA",
    "ARIA",
    "SEED",
    "kPSK",
    "FIPS",
    "CBC",
    "ADH",
    "EXPORT",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "AES128-SHA",
    "ECDHE-RSA-AES128-SHA",
    "RC4-SHA",
    "NOSUCH",
    "@STRENGTH",
    "@SECLEVEL=1",
    "@SECLEVEL=4",
    "@SECLEVEL=5",
    "TLS_AES_128_GCM_SHA256",
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_CCM_SHA256",
    "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    "TLS_NOSUCH",
];

const PREFIXES: &[&str] = &["", "", "", "", "!", "-", "+"];
const SEPARATORS: &[&str] = &[":", ":", ":", ":", ",", " ", ";"];
const GARBAGE: &[&str] = &[
    "_",
    "(",
    "+",
    "!",
    "@",
    "@FOO",
    "@SECLEVEL=9",
    "",
    "é",
    "\t",
];

/// A random cipher string: elements of one to three `+`-joined words with
/// an optional prefix; with `garbage`, also stray characters.
fn random_list(rng: &mut Rng, garbage: bool) -> String {
    let mut s = String::new();
    for i in 0..1 + rng.below(6) {
        if i > 0 {
            s.push_str(rng.pick(SEPARATORS));
        }
        s.push_str(rng.pick(PREFIXES));
        for j in 0..1 + rng.below(3) / 2 + rng.below(3) / 2 {
            if j > 0 {
                s.push('+');
            }
            s.push_str(rng.pick(WORDS));
        }
        if garbage && rng.below(8) == 0 {
            s.push_str(rng.pick(GARBAGE));
        }
    }
    s
}

#[test]
fn random_strings_match_openssl() {
    if !have("openssl") {
        return;
    }
    let mut rng = Rng(0x5EED_C1F4_E125_0001);
    let mut failures = Vec::new();
    let mut kinds = [0usize; 5];
    for i in 0..300 {
        let list = random_list(&mut rng, i % 3 == 0);
        let expected = openssl_reference(&list);
        let ours = our_outcome(&list);
        kinds[match &expected {
            Outcome::Ok(v) if v.is_empty() => 0,
            Outcome::Ok(v) if v.iter().any(|n| !n.starts_with("TLS_")) => 1,
            Outcome::Ok(_) => 2,
            Outcome::NoMatch => 3,
            Outcome::Invalid | Outcome::Empty => 4,
        }] += 1;
        if expected != ours {
            failures.push(format!("{list:?}: openssl {expected:?}, ours {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The generator covers the kinds of outcome (but rarely "nothing
    // supported", which the reference strings cover): some TLS 1.2 suites,
    // TLS 1.3 only, no match, syntax error.
    eprintln!("outcome kinds: {kinds:?}");
    assert!(kinds[1..].iter().all(|&k| k >= 10), "{kinds:?}");
}

#[test]
fn random_full_lists_match_openssl() {
    if !have("openssl") {
        return;
    }
    let mut rng = Rng(0x0DDB_A11C_1FAE_0002);
    let mut failures = Vec::new();
    let mut kinds = [0usize; 3];
    for i in 0..300 {
        let list = random_list(&mut rng, i % 3 == 0).replace("TLS_", "X_");
        let expected = openssl_rules(&list);
        let ours = our_rules(&list);
        kinds[match expected {
            Outcome::Ok(_) => 0,
            Outcome::NoMatch => 1,
            _ => 2,
        }] += 1;
        if expected != ours {
            failures.push(format!(
                "{list:?}:\n  openssl {expected:?}\n  ours    {ours:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("outcome kinds: {kinds:?}");
    assert!(kinds.iter().all(|&k| k >= 10), "{kinds:?}");
}

// ---------------------------------------------------------------------------
// Differential test against Node 20 (accept/reject and error code).

#[test]
fn errors_match_node() {
    if !have("node") {
        return;
    }
    let mut rng = Rng(0xBADC_0FFE_E0DD_F00D);
    let mut lists: Vec<String> = REFERENCE_STRINGS.iter().map(|s| s.to_string()).collect();
    lists.extend((0..200).map(|i| random_list(&mut rng, i % 2 == 0)));
    // A NUL ends the C string that OpenSSL sees.
    lists.extend(
        [
            "ALL:\u{0}x",
            "ALL\u{0}(",
            "\u{0}",
            "RC4-SHA\u{0}ALL",
            "TLS_AES_128_GCM_SHA256\u{0}:HIGH",
            "TLS_AES_128_GCM_SHA256:\u{0}",
        ]
        .map(String::from),
    );
    let script = r#"
        const tls = require('tls');
        const lists = JSON.parse(require('fs').readFileSync(0, 'utf8'));
        const out = lists.map((ciphers) => {
          try { tls.createSecureContext({ ciphers }); return null; }
          catch (e) { return e.code || String(e); }
        });
        process.stdout.write(JSON.stringify(out));
    "#;
    let mut json = String::from("[");
    for (i, l) in lists.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push('"');
        for ch in l.chars() {
            match ch {
                '"' => json.push_str("\\\""),
                '\\' => json.push_str("\\\\"),
                c if (c as u32) < 0x20 => json.push_str(&format!("\\u{:04x}", c as u32)),
                c => json.push(c),
            }
        }
        json.push('"');
    }
    json.push(']');
    let mut child = Command::new("node")
        .args(["-e", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run node");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(json.as_bytes()).expect("write to node");
    }
    let out = child.wait_with_output().expect("node output");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let codes: Vec<Option<String>> = text
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|c| (c != "null").then(|| c.trim_matches('"').to_owned()))
        .collect();
    assert_eq!(codes.len(), lists.len(), "{text}");
    let mut failures = Vec::new();
    for (list, node) in lists.iter().zip(codes) {
        let ours = select(list).err().and_then(|e| e.node_code());
        if ours != node.as_deref() {
            failures.push(format!("{list:?}: node {node:?}, ours {ours:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn default_ciphers_is_nodes() {
    if !have("node") {
        return;
    }
    let out = Command::new("node")
        .args(["-p", "require('tls').DEFAULT_CIPHERS"])
        .output()
        .expect("run node");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), DEFAULT_CIPHERS);
    let out = Command::new("node")
        .args(["-p", "require('tls').getCiphers().join(':')"])
        .output()
        .expect("run node");
    let node: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .trim()
        .split(':')
        .map(str::to_owned)
        .collect();
    let supported: Vec<String> = node
        .into_iter()
        .filter(|n| get_ciphers().contains(&n.as_str()))
        .collect();
    assert_eq!(supported, get_ciphers());
}

// ---------------------------------------------------------------------------
// Bounded fuzz-style run: no panic, and the invariants of a selection.

#[test]
fn fuzz_no_panic() {
    const BYTES: &[&str] = &[
        ":", ",", ";", " ", "+", "!", "-", "@", "=", ".", "_", "\0", "é", "TLS_", "!TLS_", "A",
        "1", "5",
    ];
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for i in 0..20_000 {
        let list = if i % 4 == 0 {
            let mut s = String::new();
            for _ in 0..rng.below(12) {
                s.push_str(rng.pick(BYTES));
            }
            s
        } else {
            let mut s = random_list(&mut rng, true);
            if rng.below(4) == 0 {
                let cut = rng.below(s.len() + 1);
                if s.is_char_boundary(cut) {
                    s.truncate(cut);
                }
            }
            s
        };
        match select(&list) {
            Ok(sel) => {
                assert!(!sel.suites.is_empty(), "{list:?}");
                let mut seen = HashSet::new();
                for s in &sel.suites {
                    assert!(seen.insert(u16::from(s.suite())), "{list:?}");
                }
                let first12 = sel
                    .suites
                    .iter()
                    .position(|s| matches!(s, SupportedCipherSuite::Tls12(_)))
                    .unwrap_or(sel.suites.len());
                let tls13_after = sel.suites[first12..]
                    .iter()
                    .any(|s| matches!(s, SupportedCipherSuite::Tls13(_)));
                assert!(!tls13_after, "{list:?}");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
}
