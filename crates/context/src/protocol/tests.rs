use super::*;

fn resolve(f: impl FnOnce(&mut ProtocolOptions)) -> Result<Protocols, ContextError> {
    let mut options = ProtocolOptions::default();
    f(&mut options);
    options.resolve()
}

fn versions(p: &Protocols) -> Vec<&'static str> {
    p.versions
        .iter()
        .map(|v| match v.version {
            rustls::ProtocolVersion::TLSv1_3 => "1.3",
            _ => "1.2",
        })
        .collect()
}

#[test]
fn defaults_are_tls12_to_tls13_with_all_suites() {
    let p = resolve(|_| {}).unwrap();
    assert_eq!(versions(&p), ["1.3", "1.2"]);
    assert_eq!(p.provider.cipher_suites.len(), 9);
    assert_eq!(p.provider.kx_groups.len(), 3);
}

#[test]
fn versions_from_min_max_secure_protocol_and_options() {
    assert_eq!(
        versions(&resolve(|o| o.max_version = Some("TLSv1.2".into())).unwrap()),
        ["1.2"]
    );
    assert_eq!(
        versions(&resolve(|o| o.min_version = Some("TLSv1.3".into())).unwrap()),
        ["1.3"]
    );
    // a floor below what rustls speaks is raised to TLS 1.2
    assert_eq!(
        versions(&resolve(|o| o.min_version = Some("TLSv1".into())).unwrap()),
        ["1.3", "1.2"]
    );
    assert_eq!(
        versions(&resolve(|o| o.secure_protocol = Some("TLSv1_2_method".into())).unwrap()),
        ["1.2"]
    );
    assert_eq!(
        versions(&resolve(|o| o.secure_protocol = Some("TLS_client_method".into())).unwrap()),
        ["1.3", "1.2"]
    );
    assert_eq!(
        versions(&resolve(|o| o.secure_options = op::NO_TLSV1_3).unwrap()),
        ["1.2"]
    );
    let err = resolve(|o| o.secure_options = op::NO_TLSV1_3 | op::NO_TLSV1_2).unwrap_err();
    assert_eq!(err.option(), "secureOptions");
}

#[test]
fn protocols_rustls_lacks_are_named() {
    for (method, proto) in [
        ("SSLv3_method", "SSLv3"),
        ("SSLv2_method", "SSLv2"),
        ("TLSv1_method", "TLS 1.0"),
        ("TLSv1_1_server_method", "TLS 1.1"),
    ] {
        let err = resolve(|o| o.secure_protocol = Some(method.into())).unwrap_err();
        assert_eq!(err.option(), "secureProtocol");
        assert!(err.to_string().contains(proto), "{err}");
    }
    let err = resolve(|o| o.secure_protocol = Some("Bogus_method".into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `secureProtocol`: unknown method: Bogus_method"
    );
    let err = resolve(|o| o.max_version = Some("TLSv1.1".into())).unwrap_err();
    assert_eq!(err.option(), "maxVersion");
    let err = resolve(|o| o.min_version = Some("TLSv9".into())).unwrap_err();
    assert_eq!(err.option(), "minVersion");
    let err = resolve(|o| {
        o.min_version = Some("TLSv1.3".into());
        o.max_version = Some("TLSv1.2".into());
    })
    .unwrap_err();
    assert_eq!(err.option(), "minVersion");
    let err = resolve(|o| {
        o.secure_protocol = Some("TLS_method".into());
        o.min_version = Some("TLSv1.2".into());
    })
    .unwrap_err();
    assert!(
        err.to_string().contains("conflicts with secureProtocol"),
        "{err}"
    );
}

#[test]
fn ciphers_narrow_suites_and_versions() {
    let p = resolve(|o| o.ciphers = Some("TLS_AES_128_GCM_SHA256".into())).unwrap();
    assert_eq!(
        versions(&p),
        ["1.3"],
        "only TLS 1.3 suites: Node raises the floor"
    );
    let p = resolve(|o| o.ciphers = Some("ECDHE-RSA-AES128-GCM-SHA256".into())).unwrap();
    assert_eq!(
        p.provider.cipher_suites.len(),
        4,
        "three TLS 1.3 defaults + one"
    );
    let err = resolve(|o| o.ciphers = Some("RC4-SHA".into())).unwrap_err();
    assert_eq!(err.option(), "ciphers");
    assert!(err.to_string().contains("no cipher match"), "{err}");
    let err = resolve(|o| {
        o.ciphers = Some("TLS_AES_128_GCM_SHA256".into());
        o.max_version = Some("TLSv1.2".into());
    })
    .unwrap_err();
    assert_eq!(err.option(), "ciphers");
}

#[test]
fn ecdh_curves() {
    let names = |p: &Protocols| -> Vec<String> {
        p.provider
            .kx_groups
            .iter()
            .map(|g| format!("{:?}", g.name()))
            .collect()
    };
    let p = resolve(|o| o.ecdh_curve = Some("P-384:prime256v1".into())).unwrap();
    assert_eq!(names(&p), ["secp384r1", "secp256r1"]);
    let p = resolve(|o| o.ecdh_curve = Some("auto".into())).unwrap();
    assert_eq!(p.provider.kx_groups.len(), 3);
    let err = resolve(|o| o.ecdh_curve = Some("secp521r1".into())).unwrap_err();
    assert!(
        err.to_string().contains("secp521r1 is not supported"),
        "{err}"
    );
    // a list with some groups we lack keeps the others and says which it left out
    let p = resolve(|o| o.ecdh_curve = Some("secp256k1:prime256v1:secp521r1".into())).unwrap();
    assert_eq!(names(&p), ["secp256r1"]);
    assert_eq!(
        p.notes,
        [
            "ecdhCurve: secp256k1 left out: rustls (ring) does not have it",
            "ecdhCurve: secp521r1 left out: rustls (ring) does not have it"
        ]
    );
    let err = resolve(|o| o.ecdh_curve = Some("brainpool".into())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `ecdhCurve`: unknown curve name \"brainpool\""
    );
}

#[test]
fn dhparam_is_checked_and_unused() {
    let dir = std::env::temp_dir().join(format!("dhparam-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("dh.pem");
    let made = std::process::Command::new("openssl")
        .args(["dhparam", "-dsaparam", "-out"])
        .arg(&out)
        .arg("1024")
        .output();
    if made.is_ok_and(|o| o.status.success()) {
        let pem = std::fs::read(&out).unwrap();
        assert!(resolve(|o| o.dhparam = Some(pem)).is_ok());
    }
    let _ = std::fs::remove_dir_all(&dir);
    let err = resolve(|o| o.dhparam = Some(b"junk".to_vec())).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `dhparam`: no DH PARAMETERS PEM block found"
    );
}
