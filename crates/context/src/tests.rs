use super::*;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn pairs_keys_with_certs_by_public_key_whatever_the_order() {
    let ctx = create_secure_context(
        &SecureContextOptions::new()
            .key(read("leaf/p256-key.pem"))
            .key(read("leaf/rsa2048-key.pem"))
            .cert(read("leaf/rsa2048-chain.pem"))
            .cert(read("leaf/p256-chain.pem")),
    )
    .unwrap();
    assert_eq!(ctx.inner.credentials.keys.len(), 2);
    let ecdsa = ctx
        .inner
        .credentials
        .choose(&[SignatureScheme::ECDSA_NISTP256_SHA256])
        .unwrap();
    assert_eq!(ecdsa.cert.len(), 2);
    assert_eq!(
        ecdsa.cert[0].as_ref(),
        certificates_of("leaf/p256-cert.pem")[0].as_ref()
    );
    assert!(ctx
        .inner
        .credentials
        .choose(&[SignatureScheme::RSA_PSS_SHA256])
        .is_some());
}

fn certificates_of(path: &str) -> Vec<rustls::pki_types::CertificateDer<'static>> {
    credentials::certificates(&read(path), "cert").unwrap()
}

#[test]
fn v1_spec_certificate_loads() {
    let ctx = create_secure_context(
        &SecureContextOptions::new()
            .key(read("spec/server-key.pem"))
            .cert(read("spec/server-cert.pem"))
            .ca(read("spec/client-cert.pem")),
    )
    .unwrap();
    assert!(ctx.has_credentials());
    assert!(ctx.server_config(ClientAuth::Require).is_ok());
    let _ = ctx.client_config();
}

#[test]
fn key_values_mismatch() {
    let err = create_secure_context(
        &SecureContextOptions::new()
            .key(read("leaf/p256-key.pem"))
            .cert(read("leaf/rsa2048-cert.pem")),
    )
    .unwrap_err();
    assert_eq!(err.option(), "key");
    assert!(err.to_string().contains("key values mismatch"), "{err}");
}

#[test]
fn small_rsa_keys_are_refused_with_a_reason() {
    let err = create_secure_context(
        &SecureContextOptions::new()
            .key(read("leaf/rsa1024-key.pem"))
            .cert(read("leaf/rsa1024-cert.pem")),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid `key`: RSA key of 1024 bits is too small: rustls (ring) needs 2048 bits or more"
    );
}

#[test]
fn leaf_cert_is_completed_from_ca() {
    let ctx = create_secure_context(
        &SecureContextOptions::new()
            .key(read("leaf/rsa2048-key.pem"))
            .cert(read("leaf/rsa2048-cert.pem"))
            .ca(read("ca/ca-chain.pem")),
    )
    .unwrap();
    let chain = &ctx.inner.credentials.keys[0].cert;
    assert_eq!(chain.len(), 3, "leaf, intermediate, root");
}

#[test]
fn bad_inputs_name_the_option() {
    let err = create_secure_context(&SecureContextOptions::new().ca(b"nothing here".to_vec()))
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid `ca`: no PEM certificate found");
    let err = create_secure_context(
        &SecureContextOptions::new().key(b"-----BEGIN PRIVATE KEY-----\nAAAA\n".to_vec()),
    )
    .unwrap_err();
    assert_eq!(err.option(), "key");
    let err = create_secure_context(&SecureContextOptions::new().cert(read("leaf/p256-key.pem")))
        .unwrap_err();
    assert_eq!(err.to_string(), "invalid `cert`: no PEM certificate found");
}

#[test]
fn secure_context_is_send_sync_and_cheap_to_clone() {
    fn check<T: Send + Sync + Clone>() {}
    check::<SecureContext>();
}
