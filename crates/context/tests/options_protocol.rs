//! `create_secure_context` options crl, ciphers, honorCipherOrder, minVersion,
//! maxVersion, secureProtocol, secureOptions, ecdhCurve, dhparam, ticketKeys,
//! sessionIdContext and sessionTimeout, against the checked-in files of `fixtures/`,
//! through `cipher_names()`, `verify_peer` and in-memory rustls handshakes.

mod support;

use context::{
    create_secure_context, ClientAuth, Purpose, SecureContext, SecureContextOptions, VerifyCode,
};
use rustls::ProtocolVersion;
use rustls_pki_types::{CertificateDer, UnixTime};
use support::*;

// ---------------------------------------------------------------------------
// 5. crl

fn with_crls(crls: &[Vec<u8>]) -> SecureContext {
    let mut options = SecureContextOptions::new().ca(fx("ca/root-cert.pem"));
    for crl in crls {
        options = options.crl(crl.clone());
    }
    ctx(options)
}

fn revoked_chain() -> Vec<CertificateDer<'static>> {
    let mut chain = certs("revoked/revoked-cert.pem");
    chain.extend(certs("ca/intermediate-cert.pem"));
    chain
}

#[test]
fn crl_pem_and_der() {
    let good = certs("leaf/rsa2048-chain.pem");
    let root_pem = fx("revoked/root-crl.pem");
    let inter_pem = fx("revoked/intermediate-crl.pem");
    let inter_der = fx("revoked/intermediate-crl.der");
    let one_text = [inter_pem.clone(), root_pem.clone()].concat();
    for crls in [
        vec![inter_pem.clone(), root_pem.clone()],
        vec![root_pem.clone(), inter_pem.clone()],
        vec![inter_der.clone(), root_pem.clone()],
        vec![one_text],
    ] {
        let ctx = with_crls(&crls);
        assert_eq!(verify(&ctx, &revoked_chain()), Err(VerifyCode::CertRevoked));
        assert_eq!(verify(&ctx, &good), Ok(()));
        assert_eq!(
            ctx.verify_peer(&revoked_chain(), UnixTime::now(), Purpose::Client),
            Err(VerifyCode::CertRevoked)
        );
    }
    // without any CRL the revoked certificate passes
    assert_eq!(
        verify(&trusting("ca/root-cert.pem"), &revoked_chain()),
        Ok(())
    );
}

/// `openssl verify -crl_check_all` (OpenSSL 3.0.19) on the same files:
/// root CRL only -> "error 3 at 0 depth lookup: unable to get certificate CRL" for
/// both leaves;
/// intermediate CRL only -> "error 3 at 1 depth" for a good leaf, and "error 23 at
/// 0 depth lookup: certificate revoked" for the revoked one.
#[test]
fn crl_check_all_needs_a_crl_for_every_ca() {
    let good = certs("leaf/rsa2048-chain.pem");
    let root_only = with_crls(&[fx("revoked/root-crl.pem")]);
    assert_eq!(verify(&root_only, &good), Err(VerifyCode::UnableToGetCrl));
    assert_eq!(
        verify(&root_only, &revoked_chain()),
        Err(VerifyCode::UnableToGetCrl)
    );
    let inter_only = with_crls(&[fx("revoked/intermediate-crl.der")]);
    assert_eq!(verify(&inter_only, &good), Err(VerifyCode::UnableToGetCrl));
    // `openssl verify` stops at its first error (CERT_REVOKED at depth 0); Node's
    // verify callback accepts everything, so OpenSSL goes on and the last error, the
    // intermediate's missing CRL at depth 1, is what Node reports.
    assert_eq!(
        verify(&inter_only, &revoked_chain()),
        Err(VerifyCode::UnableToGetCrl)
    );
}

/// `openssl verify -CAfile ca/ca-chain.pem -crl_check_all -CRLfile
/// revoked/intermediate-crl.pem leaf/rsa2048-cert.pem` says "error 3 at 1 depth
/// lookup: unable to get certificate CRL": OpenSSL builds the chain up to the
/// self-signed root even when the intermediate is itself in the CA file.
#[test]
fn crl_check_all_with_the_intermediate_in_ca() {
    let ctx = ctx(SecureContextOptions::new()
        .ca(fx("ca/ca-chain.pem"))
        .crl(fx("revoked/intermediate-crl.pem")));
    assert_eq!(
        verify(&ctx, &certs("leaf/rsa2048-chain.pem")),
        Err(VerifyCode::UnableToGetCrl)
    );
}

#[test]
fn crl_garbage_is_named() {
    for garbage in [
        b"garbage".to_vec(),
        b"".to_vec(),
        fx("ca/root-cert.pem"),
        b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n".to_vec(),
        b"-----BEGIN X509 CRL-----\n!!\n-----END X509 CRL-----\n".to_vec(),
        b"\x30\x03\x02\x01\x00".to_vec(),
    ] {
        let err = create_secure_context(&SecureContextOptions::new().crl(garbage)).unwrap_err();
        assert_eq!(err.option(), "crl", "{err}");
    }
    refused(
        SecureContextOptions::new().crl(fx("ca/root-cert.pem")),
        "crl",
        "no X509 CRL found",
    );
}

// ---------------------------------------------------------------------------
// 6. ciphers and protocol versions

const TLS13: [&str; 3] = [
    "TLS_AES_256_GCM_SHA384",
    "TLS_CHACHA20_POLY1305_SHA256",
    "TLS_AES_128_GCM_SHA256",
];

fn names(options: SecureContextOptions) -> Vec<&'static str> {
    ctx(options).cipher_names()
}

#[test]
fn cipher_strings_select_what_openssl_selects() {
    // TLS <= 1.2 orders: `openssl ciphers -tls1_2 STRING`, restricted to rustls's nine
    let cases: [(&str, Vec<&str>); 5] = [
        (
            "ECDHE-RSA-AES128-GCM-SHA256",
            [&TLS13[..], &["ECDHE-RSA-AES128-GCM-SHA256"]].concat(),
        ),
        (
            "HIGH:!AES256",
            [
                &TLS13[..],
                &[
                    "ECDHE-ECDSA-CHACHA20-POLY1305",
                    "ECDHE-RSA-CHACHA20-POLY1305",
                    "ECDHE-ECDSA-AES128-GCM-SHA256",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                ],
            ]
            .concat(),
        ),
        ("TLS_AES_128_GCM_SHA256", vec!["TLS_AES_128_GCM_SHA256"]),
        (
            "TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES256-GCM-SHA384",
            vec!["TLS_AES_128_GCM_SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384"],
        ),
        (
            "DEFAULT",
            [
                &TLS13[..],
                &[
                    "ECDHE-ECDSA-AES256-GCM-SHA384",
                    "ECDHE-RSA-AES256-GCM-SHA384",
                    "ECDHE-ECDSA-CHACHA20-POLY1305",
                    "ECDHE-RSA-CHACHA20-POLY1305",
                    "ECDHE-ECDSA-AES128-GCM-SHA256",
                    "ECDHE-RSA-AES128-GCM-SHA256",
                ],
            ]
            .concat(),
        ),
    ];
    for (list, expected) in cases {
        assert_eq!(
            names(SecureContextOptions::new().ciphers(list)),
            expected,
            "{list}"
        );
    }
    // TLS 1.3 names alone: only TLS 1.3 is spoken
    let server = ctx(pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem"));
    let only13 = client_with(|o| o.ciphers("TLS_AES_128_GCM_SHA256"));
    let shook = handshake(&server, &only13).unwrap();
    assert_eq!(
        (shook.suite, shook.version),
        ("TLS_AES_128_GCM_SHA256", ProtocolVersion::TLSv1_3)
    );
    let tls12_server =
        ctx(pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem").max_version("TLSv1.2"));
    assert!(handshake(&tls12_server, &only13).is_err());
}

#[test]
fn default_cipher_order_is_node_default_ciphers() {
    let node_default =
        names(SecureContextOptions::new().ciphers(context::ciphers::DEFAULT_CIPHERS));
    assert_eq!(node_default.len(), 9);
    assert_eq!(names(SecureContextOptions::new().ciphers("")), node_default);
}

#[test]
fn no_ciphers_option_means_node_default_order() {
    let node_default =
        names(SecureContextOptions::new().ciphers(context::ciphers::DEFAULT_CIPHERS));
    assert_eq!(names(SecureContextOptions::new()), node_default);
}

#[test]
fn cipher_errors() {
    refused(
        SecureContextOptions::new().ciphers("RC4-SHA"),
        "ciphers",
        "no cipher match",
    );
    refused(
        SecureContextOptions::new().ciphers("TLS_BOGUS"),
        "ciphers",
        "no cipher match",
    );
    let err = create_secure_context(&SecureContextOptions::new().ciphers(":")).unwrap_err();
    assert_eq!(err.option(), "ciphers");
    // TLS 1.3-only suites and a TLS 1.2 ceiling leave nothing
    let err = create_secure_context(
        &SecureContextOptions::new()
            .ciphers("TLS_AES_128_GCM_SHA256")
            .max_version("TLSv1.2"),
    )
    .unwrap_err();
    assert_eq!(err.option(), "ciphers");
}

#[test]
fn honor_cipher_order_lets_the_server_choose() {
    let server_list = "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256";
    let client = client_with(|o| {
        o.ciphers("ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384")
            .max_version("TLSv1.2")
    });
    let base = || pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem").ciphers(server_list);
    let by_client = handshake(&ctx(base()), &client).unwrap();
    assert_eq!(by_client.suite, "ECDHE-RSA-AES128-GCM-SHA256");
    let honored = handshake(&ctx(base().honor_cipher_order(true)), &client).unwrap();
    assert_eq!(honored.suite, "ECDHE-RSA-AES256-GCM-SHA384");
    // SSL_OP_CIPHER_SERVER_PREFERENCE is the same switch
    let by_option = handshake(&ctx(base().secure_options(0x0040_0000)), &client).unwrap();
    assert_eq!(by_option.suite, "ECDHE-RSA-AES256-GCM-SHA384");
    // TLS 1.3 too
    let server13 = || {
        pair("leaf/p256-key.pem", "leaf/p256-cert.pem")
            .ciphers("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384")
    };
    let c13 = client_with(|o| o.ciphers("TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"));
    assert_eq!(
        handshake(&ctx(server13()), &c13).unwrap().suite,
        "TLS_AES_256_GCM_SHA384"
    );
    assert_eq!(
        handshake(&ctx(server13().honor_cipher_order(true)), &c13)
            .unwrap()
            .suite,
        "TLS_AES_128_GCM_SHA256"
    );
}

#[test]
fn versions_through_handshakes() {
    let key_cert = || pair("leaf/p256-key.pem", "leaf/p256-chain.pem");
    let version = |server: SecureContextOptions, client: SecureContextOptions| {
        handshake(&ctx(server), &ctx(client)).map(|s| s.version)
    };
    let none = SecureContextOptions::new;
    use ProtocolVersion::{TLSv1_2, TLSv1_3};
    assert_eq!(version(key_cert(), none()), Ok(TLSv1_3));
    assert_eq!(
        version(key_cert().max_version("TLSv1.2"), none()),
        Ok(TLSv1_2)
    );
    assert_eq!(
        version(key_cert(), none().max_version("TLSv1.2")),
        Ok(TLSv1_2)
    );
    assert_eq!(
        version(
            key_cert().min_version("TLSv1"),
            none().max_version("TLSv1.2")
        ),
        Ok(TLSv1_2)
    );
    assert!(version(
        key_cert().min_version("TLSv1.3"),
        none().max_version("TLSv1.2")
    )
    .is_err());
    assert!(version(
        key_cert().max_version("TLSv1.2"),
        none().min_version("TLSv1.3")
    )
    .is_err());
    for method in ["TLSv1_2_method", "TLSv1_2_server_method"] {
        assert_eq!(
            version(key_cert().secure_protocol(method), none()),
            Ok(TLSv1_2)
        );
    }
    for method in ["TLS_method", "SSLv23_method", "TLS_server_method"] {
        assert_eq!(
            version(key_cert().secure_protocol(method), none()),
            Ok(TLSv1_3)
        );
    }
    assert_eq!(
        version(key_cert().secure_protocol("TLSv1_3_method"), none()),
        Ok(TLSv1_3)
    );
    assert!(version(
        key_cert().secure_protocol("TLSv1_3_method"),
        none().secure_protocol("TLSv1_2_client_method")
    )
    .is_err());
    // SSL_OP_NO_TLSv1_3, SSL_OP_NO_TLSv1_2
    assert_eq!(
        version(key_cert().secure_options(0x2000_0000), none()),
        Ok(TLSv1_2)
    );
    assert_eq!(
        version(key_cert().secure_options(0x0800_0000), none()),
        Ok(TLSv1_3)
    );
    assert!(version(
        key_cert().secure_options(0x0800_0000),
        none().secure_options(0x2000_0000)
    )
    .is_err());
    // bits with no rustls counterpart are accepted and change nothing
    assert_eq!(
        version(key_cert().secure_options(0x0000_4000), none()),
        Ok(TLSv1_3)
    );
}

#[test]
fn versions_through_cipher_names_and_errors() {
    let all = names(SecureContextOptions::new());
    assert_eq!(all.len(), 9);
    // cipher_names lists only the suites of the enabled versions
    let tls13: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| n.starts_with("TLS_"))
        .collect();
    assert_eq!(tls13.len(), 3);
    assert_eq!(
        names(SecureContextOptions::new().min_version("TLSv1.3")),
        tls13
    );
    assert_eq!(
        names(SecureContextOptions::new().secure_protocol("TLSv1_3_method")),
        tls13
    );
    let tls12: Vec<&str> = all
        .iter()
        .copied()
        .filter(|n| !n.starts_with("TLS_"))
        .collect();
    assert_eq!(
        names(SecureContextOptions::new().secure_options(0x2000_0000)),
        tls12
    );
    assert_eq!(
        names(SecureContextOptions::new().secure_options(0x0800_0000)),
        tls13
    );
    refused(
        SecureContextOptions::new().min_version("TLSv9"),
        "minVersion",
        "not a TLS version",
    );
    refused(
        SecureContextOptions::new().max_version("TLSv1.1"),
        "maxVersion",
        "not supported",
    );
    refused(
        SecureContextOptions::new()
            .min_version("TLSv1.3")
            .max_version("TLSv1.2"),
        "minVersion",
        "above maxVersion",
    );
    refused(
        SecureContextOptions::new().secure_protocol("SSLv3_method"),
        "secureProtocol",
        "SSLv3",
    );
    refused(
        SecureContextOptions::new().secure_protocol("TLSv1_1_method"),
        "secureProtocol",
        "TLS 1.1",
    );
    refused(
        SecureContextOptions::new()
            .secure_protocol("TLS_method")
            .max_version("TLSv1.3"),
        "secureProtocol",
        "conflicts",
    );
    refused(
        SecureContextOptions::new().secure_options(0x2000_0000 | 0x0800_0000),
        "secureOptions",
        "every TLS version is disabled",
    );
    // a TLS 1.3 part rustls cannot serve (CCM) leaves only TLS 1.2 suites
    let ccm = "TLS_AES_128_CCM_SHA256:ECDHE-RSA-AES128-GCM-SHA256";
    assert_eq!(
        names(SecureContextOptions::new().ciphers(ccm)),
        ["ECDHE-RSA-AES128-GCM-SHA256"]
    );
    refused(
        SecureContextOptions::new()
            .ciphers(ccm)
            .min_version("TLSv1.3"),
        "ciphers",
        "no cipher suite of TLSv1.3 to TLSv1.3",
    );
}

// ---------------------------------------------------------------------------
// 7. ecdhCurve, dhparam

#[test]
fn ecdh_curve_names_and_effect() {
    for curve in [
        "prime256v1",
        "P-256",
        "secp384r1",
        "P-384",
        "X25519",
        "X25519:P-256:P-384",
        "secp384r1:prime256v1",
        "auto",
    ] {
        ctx(SecureContextOptions::new().ecdh_curve(curve));
    }
    // groups OpenSSL has and ring lacks are left out of a list, and said
    let mixed = ctx(SecureContextOptions::new().ecdh_curve("secp256k1:prime256v1:secp521r1"));
    assert_eq!(mixed.notes().len(), 2, "{:?}", mixed.notes());
    assert!(mixed.notes()[0].starts_with("ecdhCurve: secp256k1 left out"));
    let server =
        |curve: &str| ctx(pair("leaf/p256-key.pem", "leaf/p256-cert.pem").ecdh_curve(curve));
    for (curve, group) in [
        ("P-384", "secp384r1"),
        ("prime256v1", "secp256r1"),
        ("X25519", "X25519"),
        ("auto", "X25519"),
    ] {
        for tls12 in [false, true] {
            let c = client_with(|o| if tls12 { o.max_version("TLSv1.2") } else { o });
            let shook = handshake(&server(curve), &c).unwrap();
            assert_eq!(shook.group, group, "{curve} tls12={tls12}");
        }
    }
    // With several server curves and no usable key share, rustls (both versions)
    // follows the client's group order; OpenSSL 3.0.19's s_server picks its own
    // first curve for a TLS 1.3 HelloRetryRequest, and for TLS 1.2 with -serverpref.
    let shook = handshake(&server("secp384r1:prime256v1"), &client()).unwrap();
    assert_eq!(shook.group, "secp256r1");
    // no group in common
    let x25519_client = client_with(|o| o.ecdh_curve("X25519"));
    assert!(handshake(&server("P-384"), &x25519_client).is_err());
    // Node (OpenSSL) has these; alone, nothing is left for us
    for curve in [
        "secp521r1",
        "P-521",
        "X448",
        "brainpoolP256r1",
        "secp256k1:X448",
    ] {
        refused(
            SecureContextOptions::new().ecdh_curve(curve),
            "ecdhCurve",
            "not supported",
        );
    }
    for curve in ["brainpool", "P-256:bogus", "", "P-256:"] {
        refused(
            SecureContextOptions::new().ecdh_curve(curve),
            "ecdhCurve",
            "unknown curve name",
        );
    }
}

#[test]
fn dhparam_generated_by_openssl_is_accepted() {
    let dir = TempDir::new("dhparam");
    if openssl(&dir, &["dhparam", "-dsaparam", "-out", "dh.pem", "2048"]).is_none() {
        return;
    }
    let pem = std::fs::read(dir.0.join("dh.pem")).unwrap();
    let server = ctx(pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem").dhparam(pem.clone()));
    // accepted, and unused: rustls has no DHE suite
    assert!(handshake(&server, &client())
        .unwrap()
        .suite
        .starts_with("TLS_"));
    ctx(SecureContextOptions::new().dhparam(String::from_utf8(pem).unwrap()));
}

#[test]
fn dhparam_junk_is_named() {
    refused(
        SecureContextOptions::new().dhparam("junk"),
        "dhparam",
        "no DH PARAMETERS",
    );
    refused(
        SecureContextOptions::new().dhparam(fx("ca/root-cert.pem")),
        "dhparam",
        "no DH PARAMETERS",
    );
    refused(
        SecureContextOptions::new().dhparam(pem_wrap("DH PARAMETERS", b"\x04\x00")),
        "dhparam",
        "malformed",
    );
    // a 512-bit prime
    let small = dh_der(&[&[0x80][..], &[0x11; 63]].concat());
    refused(
        SecureContextOptions::new().dhparam(pem_wrap("DH PARAMETERS", &small)),
        "dhparam",
        "less than 1024 bits",
    );
}

/// DHParameter ::= SEQUENCE { prime INTEGER, base INTEGER } with generator 2.
fn dh_der(prime: &[u8]) -> Vec<u8> {
    let mut int = vec![0x02, 0x81, prime.len() as u8 + 1, 0x00];
    int.extend_from_slice(prime);
    int.extend_from_slice(&[0x02, 0x01, 0x02]);
    let mut der = vec![0x30, 0x81, int.len() as u8];
    der.extend(int);
    der
}

#[test]
fn dhparam_under_1024_bits_by_a_few_bits() {
    let prime = [&[0x0f][..], &[0xff; 127]].concat();
    refused(
        SecureContextOptions::new().dhparam(pem_wrap("DH PARAMETERS", &dh_der(&prime))),
        "dhparam",
        "less than 1024 bits",
    );
}

// ---------------------------------------------------------------------------
// 8. ticketKeys, sessionIdContext, sessionTimeout

#[test]
fn server_value_options() {
    ctx(SecureContextOptions::new().ticket_keys(vec![7u8; 48]));
    ctx(SecureContextOptions::new().ticket_keys([1u8; 48].as_slice()));
    for len in [0, 47, 49, 96] {
        let err = refused(
            SecureContextOptions::new().ticket_keys(vec![0u8; len]),
            "ticketKeys",
            "must be exactly 48 bytes",
        );
        assert!(err.reason().contains(&format!("(got {len})")), "{err}");
    }
    ctx(SecureContextOptions::new().session_id_context("a".repeat(32)));
    ctx(SecureContextOptions::new().session_id_context(""));
    refused(
        SecureContextOptions::new().session_id_context("a".repeat(33)),
        "sessionIdContext",
        "at most 32 bytes",
    );
    // bytes, not characters: 11 three-byte characters
    refused(
        SecureContextOptions::new().session_id_context("€".repeat(11)),
        "sessionIdContext",
        "(got 33)",
    );
    for secs in [0, 1, 300, u64::from(u32::MAX)] {
        ctx(SecureContextOptions::new().session_timeout(secs));
    }
    refused(
        SecureContextOptions::new().session_timeout(u64::from(u32::MAX) + 1),
        "sessionTimeout",
        "out of range",
    );
    // a server with all three still serves
    let server = ctx(pair("leaf/p256-key.pem", "leaf/p256-cert.pem")
        .ticket_keys(vec![9u8; 48])
        .session_id_context("ctx")
        .session_timeout(60));
    handshake(&server, &client()).unwrap();
}

#[test]
fn ticket_keys_and_session_timeout_reach_the_server_config() {
    let server = ctx(SecureContextOptions::new()
        .ticket_keys(vec![9u8; 48])
        .session_timeout(60));
    let config = server.server_config(ClientAuth::None).unwrap();
    assert!(config.ticketer.enabled());
    assert_eq!(config.ticketer.lifetime(), 60);
}
