use super::*;

fn fixture(path: &str) -> Vec<u8> {
    let text = std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    crate::pem::parse(&text).unwrap().remove(0).der
}

#[test]
fn reads_a_v1_self_signed_certificate() {
    let der = fixture("spec/server-cert.pem");
    let view = CertView::parse(&der).unwrap();
    assert!(view.is_self_issued());
    assert_eq!(view.rsa_bits(), Some(2048));
    let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    assert!(view.is_signed_by(&view, algs.all));
}

#[test]
fn checks_signatures() {
    let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    let leaf_der = fixture("leaf/p256-cert.pem");
    let inter_der = fixture("ca/intermediate-cert.pem");
    let root_der = fixture("ca/root-cert.pem");
    let leaf = CertView::parse(&leaf_der).unwrap();
    let inter = CertView::parse(&inter_der).unwrap();
    let root = CertView::parse(&root_der).unwrap();
    assert!(leaf.is_signed_by(&inter, algs.all));
    assert!(!leaf.is_signed_by(&root, algs.all));
}

#[test]
fn garbage_is_not_a_certificate() {
    assert!(CertView::parse(b"").is_none());
    assert!(CertView::parse(&[0x30, 0x82, 0xff]).is_none());
    let mut der = fixture("leaf/p256-cert.pem");
    der.push(0);
    assert!(CertView::parse(&der).is_none());
    for cut in 0..der.len() - 1 {
        assert!(CertView::parse(&der[..cut]).is_none());
    }
}
