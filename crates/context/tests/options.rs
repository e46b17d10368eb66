//! `create_secure_context` option by option (key, cert, passphrase, pfx, ca), against
//! the checked-in files of `fixtures/` (see `fixtures/README.md`): what loads, what
//! each error names and says, and, through in-memory rustls handshakes and
//! `verify_peer`, that what loaded is really used. Also: mutated inputs never panic.
//! The protocol-side options are in `options_protocol.rs`.

mod support;
use support::XorShift;

use context::{create_secure_context, Purpose, SecureContextOptions, VerifyCode};
use rustls::ProtocolVersion;
use rustls_pki_types::UnixTime;
use support::*;

// ---------------------------------------------------------------------------
// 1. key / cert

#[test]
fn every_key_encoding_and_leaf_type_loads_and_serves() {
    let rsa_cert = "keys/rsa-cert.pem";
    let ec_cert = "keys/ec-cert.pem";
    for (key, cert) in [
        ("keys/rsa-pkcs1.pem", rsa_cert),
        ("keys/rsa-plain-pkcs8.pem", rsa_cert),
        ("keys/ec-pkcs8.pem", ec_cert),
        ("keys/ec-sec1.pem", ec_cert),
        ("keys/ec-sec1-noparams.pem", ec_cert),
        ("keys/ed25519-pkcs8.pem", "keys/ed25519-cert.pem"),
        ("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem"),
        ("leaf/rsa4096-key.pem", "leaf/rsa4096-cert.pem"),
        ("leaf/p256-key.pem", "leaf/p256-cert.pem"),
        ("leaf/p384-key.pem", "leaf/p384-cert.pem"),
        ("leaf/ed25519-key.pem", "leaf/ed25519-cert.pem"),
    ] {
        let server = ctx(pair(key, cert));
        assert!(server.has_credentials(), "{key}");
        let shook = handshake(&server, &client()).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(shook.version, ProtocolVersion::TLSv1_3, "{key}");
        assert_eq!(shook.chain, certs(cert), "{key}");
        // and over TLS 1.2, where the suite names the key type
        let tls12 = client_with(|o| o.max_version("TLSv1.2"));
        let shook = handshake(&server, &tls12).unwrap_or_else(|e| panic!("{key}: {e}"));
        assert_eq!(shook.version, ProtocolVersion::TLSv1_2, "{key}");
        let auth = if key.contains("rsa") { "RSA" } else { "ECDSA" };
        assert!(
            shook.suite.starts_with(&format!("ECDHE-{auth}-")),
            "{key}: {shook:?}"
        );
    }
}

#[test]
fn key_and_cert_as_str_string_vec_and_slice() {
    let (key, cert) = ("leaf/p256-key.pem", "leaf/p256-chain.pem");
    let (key_s, cert_s) = (fx_str(key), fx_str(cert));
    let (key_v, cert_v) = (fx(key), fx(cert));
    let variants = [
        SecureContextOptions::new()
            .key(key_s.as_str())
            .cert(cert_s.as_str()),
        SecureContextOptions::new()
            .key(key_s.clone())
            .cert(cert_s.clone()),
        SecureContextOptions::new()
            .key(key_v.clone())
            .cert(cert_v.clone()),
        SecureContextOptions::new()
            .key(key_v.as_slice())
            .cert(cert_v.as_slice()),
        SecureContextOptions::new()
            .key(key_s.as_str())
            .cert(cert_v.as_slice()),
    ];
    for options in variants {
        let shook = handshake(&ctx(options), &client()).unwrap();
        assert_eq!(shook.chain, certs(cert));
    }
}

#[test]
fn several_key_cert_pairs_in_any_order_are_each_used() {
    let (rsa_key, rsa_chain) = ("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem");
    let (ec_key, ec_chain) = ("leaf/p256-key.pem", "leaf/p256-chain.pem");
    let orders = [
        pair(rsa_key, rsa_chain).key(fx(ec_key)).cert(fx(ec_chain)),
        pair(ec_key, ec_chain).key(fx(rsa_key)).cert(fx(rsa_chain)),
        SecureContextOptions::new()
            .key(fx(rsa_key))
            .key(fx(ec_key))
            .cert(fx(ec_chain))
            .cert(fx(rsa_chain)),
        SecureContextOptions::new()
            .cert(fx(rsa_chain))
            .key(fx(ec_key))
            .cert(fx(ec_chain))
            .key(fx(rsa_key)),
    ];
    let ca = trusting("ca/root-cert.pem");
    for (i, options) in orders.into_iter().enumerate() {
        let server = ctx(options);
        // TLS 1.3: chosen by the signature schemes the client offers
        let rsa = handshake_with(&server, client_offering(RSA_SCHEMES)).unwrap();
        assert_eq!(rsa.chain, certs(rsa_chain), "order {i}");
        let ec = handshake_with(&server, client_offering(P256_SCHEMES)).unwrap();
        assert_eq!(ec.chain, certs(ec_chain), "order {i}");
        for shook in [rsa, ec] {
            assert_eq!(shook.version, ProtocolVersion::TLSv1_3);
            assert_eq!(verify(&ca, &shook.chain), Ok(()), "order {i}");
        }
    }
}

#[test]
fn tls12_credential_follows_the_cipher_suite() {
    for (first, second) in [
        (
            ("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"),
            ("leaf/p256-key.pem", "leaf/p256-chain.pem"),
        ),
        (
            ("leaf/p256-key.pem", "leaf/p256-chain.pem"),
            ("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"),
        ),
    ] {
        let server = ctx(pair(first.0, first.1).key(fx(second.0)).cert(fx(second.1)));
        for (suite, chain) in [
            ("ECDHE-ECDSA-AES128-GCM-SHA256", "leaf/p256-chain.pem"),
            ("ECDHE-RSA-AES128-GCM-SHA256", "leaf/rsa2048-chain.pem"),
        ] {
            let client = client_with(|o| o.ciphers(suite).max_version("TLSv1.2"));
            let shook = handshake(&server, &client)
                .unwrap_or_else(|e| panic!("{suite} with {} first: {e}", first.0));
            assert_eq!(shook.suite, suite);
            assert_eq!(shook.chain, certs(chain));
        }
    }
}

#[test]
fn cert_file_with_a_chain_is_sent_whole() {
    for name in ["rsa2048", "rsa4096", "p256", "p384", "ed25519"] {
        let chain = format!("leaf/{name}-chain.pem");
        let server = ctx(pair(&format!("leaf/{name}-key.pem"), &chain));
        let shook = handshake(&server, &client()).unwrap();
        assert_eq!(shook.chain.len(), 2, "{name}");
        assert_eq!(shook.chain, certs(&chain));
        assert_eq!(verify(&trusting("ca/root-cert.pem"), &shook.chain), Ok(()));
        // the client's webpki-roots do not know the test root
        assert!(verify(&client(), &shook.chain).is_err());
    }
}

#[test]
fn x509_v1_spec_certificates_load_and_serve() {
    for side in ["server", "client"] {
        let cert = format!("spec/{side}-cert.pem");
        let server = ctx(pair(&format!("spec/{side}-key.pem"), &cert));
        let shook = handshake(&server, &client()).unwrap();
        assert_eq!(shook.chain, certs(&cert));
        assert_eq!(verify(&trusting(&cert), &shook.chain), Ok(()));
        let pfx =
            SecureContextOptions::new().pfx_with_passphrase(fx(&format!("spec/{side}.pfx")), PASS);
        assert_eq!(handshake(&ctx(pfx), &client()).unwrap().chain, certs(&cert));
    }
}

#[test]
fn key_matching_no_cert_is_a_mismatch() {
    // the second key has no certificate
    refused(
        pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem").key(fx("leaf/p384-key.pem")),
        "key",
        "key values mismatch",
    );
    // same key type, other key
    refused(
        pair("leaf/rsa4096-key.pem", "leaf/rsa2048-chain.pem"),
        "key",
        "key values mismatch",
    );
    refused(
        pair("keys/ec-sec1.pem", "leaf/p256-cert.pem"),
        "key",
        "key values mismatch",
    );
}

#[test]
fn rsa_1024_is_too_small() {
    for options in [
        pair("leaf/rsa1024-key.pem", "leaf/rsa1024-cert.pem"),
        SecureContextOptions::new().key(fx("leaf/rsa1024-key.pem")),
        // next to a good pair, in either order
        pair("leaf/p256-key.pem", "leaf/p256-cert.pem")
            .key(fx("leaf/rsa1024-key.pem"))
            .cert(fx("leaf/rsa1024-cert.pem")),
    ] {
        let err = refused(options, "key", "too small");
        assert!(err.reason().contains("2048"), "{err}");
    }
    // a 1024-bit certificate on its own is refused as `cert`
    let err = refused(
        SecureContextOptions::new().cert(fx("leaf/rsa1024-cert.pem")),
        "cert",
        "too small",
    );
    assert!(
        err.reason().contains("1024") && err.reason().contains("2048"),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// 2. passphrase

const ENCRYPTED_KEYS: [(&str, &str); 10] = [
    ("keys/rsa-pbes2-aes128-sha256.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-pbes2-aes256-sha256.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-pbes2-aes256-sha1.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-pbes2-des3-sha1.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-scrypt.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-pbes1-sha1-3des.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-legacy-aes128.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-legacy-aes256.pem", "keys/rsa-cert.pem"),
    ("keys/rsa-legacy-des3.pem", "keys/rsa-cert.pem"),
    ("keys/ec-pbes2-aes256.pem", "keys/ec-cert.pem"),
];

#[test]
fn every_encrypted_key_loads_with_the_passphrase() {
    for (key, cert) in ENCRYPTED_KEYS {
        let top = ctx(pair(key, cert).passphrase(PASS));
        let own = ctx(SecureContextOptions::new()
            .key_with_passphrase(fx(key), PASS)
            .cert(fx(cert)));
        // the key's own passphrase wins over a wrong top-level one
        let both = ctx(SecureContextOptions::new()
            .passphrase("wrong")
            .key_with_passphrase(fx(key), PASS)
            .cert(fx(cert)));
        for server in [top, own, both] {
            assert!(server.has_credentials(), "{key}");
            let shook = handshake(&server, &client()).unwrap_or_else(|e| panic!("{key}: {e}"));
            assert_eq!(shook.chain, certs(cert), "{key}");
        }
    }
}

#[test]
fn wrong_or_missing_passphrase() {
    for (key, cert) in ENCRYPTED_KEYS {
        refused(pair(key, cert).passphrase("wrong"), "key", "bad decrypt");
        refused(
            SecureContextOptions::new()
                .key_with_passphrase(fx(key), "wrong")
                .cert(fx(cert))
                .passphrase(PASS),
            "key",
            "bad decrypt",
        );
        let err = refused(pair(key, cert), "key", "passphrase");
        assert!(err.reason().contains("required"), "{key}: {err}");
    }
}

#[test]
fn unencrypted_keys_ignore_a_passphrase() {
    for (key, cert) in [
        ("keys/rsa-pkcs1.pem", "keys/rsa-cert.pem"),
        ("keys/ec-sec1.pem", "keys/ec-cert.pem"),
        ("leaf/p256-key.pem", "leaf/p256-cert.pem"),
    ] {
        ctx(pair(key, cert).passphrase(PASS));
        ctx(SecureContextOptions::new()
            .key_with_passphrase(fx(key), "anything")
            .cert(fx(cert)));
    }
}

// ---------------------------------------------------------------------------
// 3. pfx

#[test]
fn pfx_variants_load() {
    let leaf = certs("leaf/rsa2048-cert.pem");
    let root_inter_leaf = [leaf[0].clone()]
        .into_iter()
        .chain(certs("ca/ca-chain.pem"))
        .collect::<Vec<_>>();
    for (file, pass, chain) in [
        ("pfx/default.pfx", PASS, root_inter_leaf.clone()),
        ("pfx/legacy.pfx", PASS, root_inter_leaf.clone()),
        ("pfx/nochain.pfx", PASS, leaf.clone()),
        ("pfx/empty-pass.pfx", "", root_inter_leaf.clone()),
        ("pfx/nopbe.pfx", PASS, root_inter_leaf.clone()),
    ] {
        for options in [
            SecureContextOptions::new().pfx(fx(file)).passphrase(pass),
            SecureContextOptions::new().pfx_with_passphrase(fx(file), pass),
        ] {
            let server = ctx(options);
            assert!(server.has_credentials(), "{file}");
            let shook = handshake(&server, &client()).unwrap();
            assert_eq!(shook.chain, chain, "{file}: leaf, then the pfx CAs");
        }
    }
    // the empty passphrase is also what no passphrase means
    ctx(SecureContextOptions::new().pfx(fx("pfx/empty-pass.pfx")));
    let p256 = ctx(SecureContextOptions::new().pfx_with_passphrase(fx("pfx/p256.pfx"), PASS));
    let shook = handshake(&p256, &client_with(|o| o.max_version("TLSv1.2"))).unwrap();
    assert!(shook.suite.starts_with("ECDHE-ECDSA-"), "{shook:?}");
    assert_eq!(shook.chain[0], certs("leaf/p256-cert.pem")[0]);
}

/// fixtures/README.md lists nomac.pfx among the loadable files, but the library
/// deliberately follows OpenSSL 3.0's `PKCS12_parse` (Node 20): no MAC plus a
/// non-empty passphrase is "mac absent", and with "" the key bag does not decrypt.
#[test]
fn pfx_without_mac_follows_openssl_3_0() {
    refused(
        SecureContextOptions::new().pfx_with_passphrase(fx("pfx/nomac.pfx"), PASS),
        "pfx",
        "mac absent",
    );
    refused(
        SecureContextOptions::new().pfx_with_passphrase(fx("pfx/nomac.pfx"), ""),
        "pfx",
        "bad decrypt",
    );
}

#[test]
fn pfx_ca_certificates_are_trusted_without_ca() {
    let chain = certs("leaf/rsa2048-chain.pem");
    let pfx = ctx(SecureContextOptions::new().pfx_with_passphrase(fx("pfx/default.pfx"), PASS));
    assert_eq!(
        pfx.verify_peer(&chain, UnixTime::now(), Purpose::Server),
        Ok(())
    );
    assert_eq!(
        verify(&pfx, &chain[..1]),
        Ok(()),
        "the intermediate is in the pfx"
    );
    // without CAs in the pfx nothing vouches for the chain
    let nochain = ctx(SecureContextOptions::new().pfx_with_passphrase(fx("pfx/nochain.pfx"), PASS));
    assert!(verify(&nochain, &chain).is_err());
    // with `ca` too, both are trusted
    let both = ctx(SecureContextOptions::new()
        .pfx_with_passphrase(fx("pfx/default.pfx"), PASS)
        .ca(fx("client/client-ca-cert.pem")));
    assert_eq!(verify(&both, &chain), Ok(()));
    let client1 = certs("client/client1-cert.pem");
    assert_eq!(
        both.verify_peer(&client1, UnixTime::now(), Purpose::Client),
        Ok(())
    );
}

#[test]
fn pfx_errors() {
    for (file, pass) in [
        ("pfx/default.pfx", "wrong"),
        ("pfx/default.pfx", ""),
        ("pfx/legacy.pfx", "wrong"),
        ("pfx/empty-pass.pfx", PASS),
        ("pfx/p256.pfx", "wrong"),
    ] {
        refused(
            SecureContextOptions::new().pfx_with_passphrase(fx(file), pass),
            "pfx",
            "mac verify failure",
        );
    }
    // no passphrase at all is the empty one
    refused(
        SecureContextOptions::new().pfx(fx("pfx/default.pfx")),
        "pfx",
        "mac verify failure",
    );
    refused(
        SecureContextOptions::new().pfx_with_passphrase(fx("pfx/nokey.pfx"), PASS),
        "pfx",
        "Unable to load private key from PFX data",
    );
    for garbage in [
        b"".to_vec(),
        b"garbage".to_vec(),
        fx("leaf/rsa2048-cert.pem"),
        fx("revoked/intermediate-crl.der"),
    ] {
        let err =
            create_secure_context(&SecureContextOptions::new().pfx_with_passphrase(garbage, PASS))
                .unwrap_err();
        assert_eq!(err.option(), "pfx", "{err}");
    }
}

#[test]
fn pfx_and_key_cert_both_count() {
    let server = ctx(SecureContextOptions::new()
        .pfx_with_passphrase(fx("pfx/default.pfx"), PASS)
        .key(fx("leaf/p256-key.pem"))
        .cert(fx("leaf/p256-chain.pem")));
    assert!(server.has_credentials());
    let rsa = handshake_with(&server, client_offering(RSA_SCHEMES)).unwrap();
    assert_eq!(rsa.chain[0], certs("leaf/rsa2048-cert.pem")[0]);
    assert_eq!(rsa.chain.len(), 3);
    let ec = handshake_with(&server, client_offering(P256_SCHEMES)).unwrap();
    assert_eq!(ec.chain, certs("leaf/p256-chain.pem"));
    // two pfx files of different key types
    let two = ctx(SecureContextOptions::new()
        .pfx(fx("pfx/p256.pfx"))
        .pfx(fx("pfx/nochain.pfx"))
        .passphrase(PASS));
    let rsa = handshake_with(&two, client_offering(RSA_SCHEMES)).unwrap();
    assert_eq!(rsa.chain, certs("leaf/rsa2048-cert.pem"));
    let ec = handshake_with(&two, client_offering(P256_SCHEMES)).unwrap();
    assert_eq!(ec.chain[0], certs("leaf/p256-cert.pem")[0]);
}

// ---------------------------------------------------------------------------
// 4. ca

#[test]
fn ca_text_with_several_certificates_and_ca_array() {
    let chain = certs("leaf/rsa2048-chain.pem");
    let leaf = &chain[..1];
    let one_text = trusting("ca/ca-chain.pem");
    let array = ctx(SecureContextOptions::new()
        .ca(fx("ca/intermediate-cert.pem"))
        .ca(fx("ca/root-cert.pem")));
    let array_reversed = ctx(SecureContextOptions::new()
        .ca(fx("ca/root-cert.pem"))
        .ca(fx("ca/intermediate-cert.pem")));
    for ctx in [&one_text, &array, &array_reversed] {
        assert_eq!(verify(ctx, &chain), Ok(()));
        // the intermediate came from `ca`: the leaf alone is enough
        assert_eq!(verify(ctx, leaf), Ok(()));
    }
    let root_only = trusting("ca/root-cert.pem");
    assert_eq!(verify(&root_only, &chain), Ok(()));
    assert_eq!(
        verify(&root_only, leaf),
        Err(VerifyCode::UnableToVerifyLeafSignature)
    );
    // `ca` replaces the default roots
    assert!(verify(&one_text, &certs("client/client1-cert.pem")).is_err());
}

#[test]
fn ca_labels_trusted_and_x509_certificate() {
    let chain = certs("leaf/rsa2048-chain.pem");
    for label in ["TRUSTED CERTIFICATE", "X509 CERTIFICATE"] {
        let root = relabel(&fx_str("ca/root-cert.pem"), label);
        assert!(root.contains(&format!("BEGIN {label}")));
        assert_eq!(
            verify(&ctx(SecureContextOptions::new().ca(root)), &chain),
            Ok(())
        );
        let both = relabel(&fx_str("ca/ca-chain.pem"), label);
        assert_eq!(
            verify(&ctx(SecureContextOptions::new().ca(both)), &chain[..1]),
            Ok(())
        );
    }
    // the real thing: `openssl x509 -trustout` output (with auxiliary trust data)
    let dir = TempDir::new("trustout");
    std::fs::write(dir.0.join("root.pem"), fx("ca/root-cert.pem")).unwrap();
    let args = ["x509", "-in", "root.pem", "-trustout", "-out", "plain.pem"];
    if openssl(&dir, &args).is_none() {
        return;
    }
    let mut args = args.to_vec();
    args.extend(["-addtrust", "serverAuth"]);
    *args.iter_mut().find(|a| **a == "plain.pem").unwrap() = "trusted.pem";
    openssl(&dir, &args).unwrap();
    for file in ["plain.pem", "trusted.pem"] {
        let pem = std::fs::read(dir.0.join(file)).unwrap();
        assert!(String::from_utf8_lossy(&pem).contains("BEGIN TRUSTED CERTIFICATE"));
        assert_eq!(
            verify(&ctx(SecureContextOptions::new().ca(pem)), &chain),
            Ok(()),
            "{file}"
        );
    }
}

#[test]
fn ca_trusted_certificate_reject_settings_are_honoured() {
    let dir = TempDir::new("addreject");
    std::fs::write(dir.0.join("root.pem"), fx("ca/root-cert.pem")).unwrap();
    let args = [
        "x509",
        "-in",
        "root.pem",
        "-trustout",
        "-addreject",
        "serverAuth",
        "-out",
        "rej.pem",
    ];
    if openssl(&dir, &args).is_none() {
        return;
    }
    let pem = std::fs::read(dir.0.join("rej.pem")).unwrap();
    let chain = certs("leaf/rsa2048-chain.pem");
    // Node 20 (OpenSSL 3.0) reports the purpose check on the rejected root last.
    assert_eq!(
        verify(&ctx(SecureContextOptions::new().ca(pem)), &chain),
        Err(VerifyCode::InvalidPurpose)
    );
    // a trust list without serverAuth rejects it the same way
    let args = [
        "x509",
        "-in",
        "root.pem",
        "-trustout",
        "-addtrust",
        "clientAuth",
        "-out",
        "tc.pem",
    ];
    openssl(&dir, &args).unwrap();
    let pem = std::fs::read(dir.0.join("tc.pem")).unwrap();
    assert_eq!(
        verify(&ctx(SecureContextOptions::new().ca(pem)), &chain),
        Err(VerifyCode::InvalidPurpose)
    );
}

#[test]
fn without_ca_the_test_pki_is_not_trusted() {
    let chain = certs("leaf/rsa2048-chain.pem");
    let default_roots = client();
    assert_eq!(
        verify(&default_roots, &chain),
        Err(VerifyCode::UnableToGetIssuerCertLocally)
    );
    let mut full = chain.clone();
    full.extend(certs("ca/root-cert.pem"));
    assert_eq!(
        verify(&default_roots, &full),
        Err(VerifyCode::SelfSignedCertInChain)
    );
    // a key/cert context without ca has no more trust
    let server = ctx(pair("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"));
    assert!(verify(&server, &chain).is_err());
    assert_eq!(verify(&trusting("ca/root-cert.pem"), &full), Ok(()));
}

#[test]
fn server_ca_completes_a_leaf_only_cert() {
    let leaf_only = pair("leaf/rsa2048-key.pem", "leaf/rsa2048-cert.pem");
    let shook = handshake(&ctx(leaf_only.clone()), &client()).unwrap();
    assert_eq!(
        shook.chain,
        certs("leaf/rsa2048-cert.pem"),
        "nothing to complete from"
    );
    for ca in [
        vec![fx("ca/ca-chain.pem")],
        vec![fx("ca/root-cert.pem"), fx("ca/intermediate-cert.pem")],
    ] {
        let options = ca.into_iter().fold(leaf_only.clone(), |o, text| o.ca(text));
        let shook = handshake(&ctx(options), &client()).unwrap();
        assert_eq!(shook.chain.len(), 3, "leaf, intermediate, root");
        assert_eq!(shook.chain[1..], certs("ca/ca-chain.pem")[..]);
        assert_eq!(verify(&trusting("ca/root-cert.pem"), &shook.chain), Ok(()));
    }
    // a cert that already holds the intermediate gets the root added
    let shook = handshake(
        &ctx(pair("leaf/p256-key.pem", "leaf/p256-chain.pem").ca(fx("ca/root-cert.pem"))),
        &client(),
    )
    .unwrap();
    assert_eq!(shook.chain.len(), 3);
    assert_eq!(shook.chain[2], certs("ca/root-cert.pem")[0]);
}

// ---------------------------------------------------------------------------
// mutations: never a panic

/// One to three byte flips, replacements, deletions, insertions or a truncation.
fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..=rng.below(3) {
        if data.is_empty() {
            break;
        }
        let pos = rng.below(data.len());
        match rng.below(6) {
            0 => data.truncate(pos),
            1 => data[pos] ^= 1 << rng.below(8),
            2 => data[pos] = rng.next() as u8,
            3 => data[pos] = [0x00, 0x01, 0x7f, 0x80, 0x81, 0x82, 0xff][rng.below(7)],
            4 => {
                data.remove(pos);
            }
            _ => data.insert(pos, rng.next() as u8),
        }
    }
    data
}

/// The DER inside the first PEM block of a fixture.
fn der_of(path: &str) -> (String, Vec<u8>) {
    let block = context::pem::parse(&fx(path)).unwrap().remove(0);
    (block.label, block.der)
}

#[test]
fn mutated_inputs_never_panic() {
    const ROUNDS: usize = 2000;
    let pem_seeds = [
        "keys/ec-pkcs8.pem",
        "keys/rsa-pkcs1.pem",
        "keys/ec-sec1.pem",
        "keys/rsa-legacy-aes128.pem",
        "keys/ec-pbes2-aes256.pem",
        "leaf/p256-cert.pem",
        "revoked/intermediate-crl.pem",
    ];
    let der_seeds = [
        "keys/ec-pkcs8.pem",
        "keys/ec-sec1-noparams.pem",
        "keys/ec-pbes2-aes256.pem",
        "leaf/p256-cert.pem",
        "leaf/rsa2048-cert.pem",
        "revoked/intermediate-crl.pem",
    ];
    // (file, passphrase): a MAC-protected one, and one without MAC whose bags are
    // parsed whatever the mutation
    let pfx_seeds = [
        ("pfx/nopbe.pfx", PASS),
        ("pfx/nomac.pfx", ""),
        ("pfx/legacy.pfx", PASS),
    ];
    let crl_der = fx("revoked/intermediate-crl.der");
    let mut rng = XorShift(0x2545_F491_4F6C_DD1D);
    let mut ok = 0;
    for round in 0..ROUNDS {
        let (file, pass) = pfx_seeds[rng.below(pfx_seeds.len())];
        let (option, input) = match round % 8 {
            0 | 1 => {
                let seed = pem_seeds[rng.below(pem_seeds.len())];
                (seed, mutate(&mut rng, &fx(seed)))
            }
            2..=4 => {
                let seed = der_seeds[rng.below(der_seeds.len())];
                let (label, der) = der_of(seed);
                (seed, pem_wrap(&label, &mutate(&mut rng, &der)))
            }
            5 => ("crl.der", mutate(&mut rng, &crl_der)),
            _ => ("pfx", mutate(&mut rng, &fx(file))),
        };
        let options = if option == "pfx" {
            SecureContextOptions::new().pfx_with_passphrase(input.clone(), pass)
        } else if option.contains("crl") {
            SecureContextOptions::new()
                .ca(fx("ca/root-cert.pem"))
                .crl(input.clone())
        } else if option.contains("key") || option.starts_with("keys/") {
            let cert = if option.contains("rsa") {
                "keys/rsa-cert.pem"
            } else {
                "keys/ec-cert.pem"
            };
            SecureContextOptions::new()
                .key(input.clone())
                .cert(fx(cert))
                .passphrase(PASS)
        } else {
            // a mutated certificate, both as `cert` (with its key) and as `ca`
            let key = if option.contains("rsa") {
                "leaf/rsa2048-key.pem"
            } else {
                "leaf/p256-key.pem"
            };
            SecureContextOptions::new()
                .key(fx(key))
                .cert(input.clone())
                .ca(input.clone())
        };
        let outcome = std::panic::catch_unwind(|| {
            let made = create_secure_context(&options);
            if let Ok(ctx) = &made {
                // whatever loaded can be used to judge a chain
                let _ = verify(ctx, &certs("leaf/rsa2048-chain.pem"));
            }
            made.is_ok()
        });
        match outcome {
            Ok(true) => ok += 1,
            Ok(false) => {}
            Err(_) => panic!("round {round}: {option} mutated to {input:02x?} panicked"),
        }
    }
    eprintln!("mutations: {ok} of {ROUNDS} still loaded");
    assert!(ok < ROUNDS, "mutations changed nothing");
}
