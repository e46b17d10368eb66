use super::*;
use crate::cert::Aux;
use crate::credentials::certificates;

fn certs(path: &str) -> Vec<CertificateDer<'static>> {
    let text = std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    certificates(&text, "ca").unwrap()
}

fn trust(paths: &[&str]) -> Trust {
    let algs = rustls::crypto::ring::default_provider().signature_verification_algorithms;
    let ca = paths
        .iter()
        .flat_map(|p| certs(p))
        .map(|c| (c, Aux::default()));
    Trust::new(ca.collect(), false, Vec::new(), algs)
}

#[test]
fn node_codes_by_chain_shape() {
    let now = UnixTime::now();
    let root = trust(&["ca/root-cert.pem"]);
    let other = trust(&["client/client-ca-cert.pem"]);
    let chain = certs("leaf/rsa2048-chain.pem");
    assert_eq!(root.verify(&chain, now, Purpose::Server), Ok(()));
    // leaf only: the intermediate is missing
    assert_eq!(
        root.verify(&chain[..1], now, Purpose::Server),
        Err(VerifyCode::UnableToVerifyLeafSignature)
    );
    assert_eq!(
        other.verify(&chain, now, Purpose::Server),
        Err(VerifyCode::UnableToGetIssuerCertLocally)
    );
    let mut full = chain.clone();
    full.extend(certs("ca/root-cert.pem"));
    assert_eq!(
        other.verify(&full, now, Purpose::Server),
        Err(VerifyCode::SelfSignedCertInChain)
    );
    assert_eq!(
        other.verify(&certs("spec/server-cert.pem"), now, Purpose::Server),
        Err(VerifyCode::DepthZeroSelfSignedCert)
    );
    // OpenSSL goes on past the missing issuer and reports the last error: the date.
    assert_eq!(
        root.verify(&certs("validity/expired-cert.pem"), now, Purpose::Server),
        Err(VerifyCode::CertHasExpired)
    );
    let inter = trust(&["ca/intermediate-cert.pem"]);
    assert_eq!(
        inter.verify(&certs("validity/expired-cert.pem"), now, Purpose::Server),
        Err(VerifyCode::CertHasExpired)
    );
    assert_eq!(
        inter.verify(&certs("validity/notyet-cert.pem"), now, Purpose::Server),
        Err(VerifyCode::CertNotYetValid)
    );
    assert_eq!(
        trust(&[]).verify(&[], now, Purpose::Client),
        Err(VerifyCode::UnableToGetIssuerCert)
    );
}

#[test]
fn v1_self_signed_leaf_listed_in_ca_is_trusted() {
    let now = UnixTime::now();
    let spec = trust(&["spec/server-cert.pem"]);
    assert_eq!(
        spec.verify(&certs("spec/server-cert.pem"), now, Purpose::Server),
        Ok(())
    );
    assert_eq!(
        spec.verify(&certs("spec/client-cert.pem"), now, Purpose::Client),
        Err(VerifyCode::DepthZeroSelfSignedCert)
    );
}

#[test]
fn same_dn_ca_with_another_key_does_not_vouch() {
    let now = UnixTime::now();
    let client_ca = trust(&["client/client-ca-cert.pem"]);
    assert_eq!(
        client_ca.verify(&certs("client/client1-cert.pem"), now, Purpose::Client),
        Ok(())
    );
    // OpenSSL (Node) does not take a CA with another key id for the issuer.
    assert_eq!(
        client_ca.verify(&certs("client/rogue-client-cert.pem"), now, Purpose::Client),
        Err(VerifyCode::UnableToVerifyLeafSignature)
    );
    // A certificate whose issuer matches by name and key id but whose signature is
    // broken: a signature failure.
    let mut tampered = certs("client/client1-cert.pem")[0].to_vec();
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    assert_eq!(
        client_ca.verify(&[CertificateDer::from(tampered)], now, Purpose::Client),
        Err(VerifyCode::CertSignatureFailure)
    );
}

#[test]
fn codes_and_messages_are_openssl_texts() {
    assert_eq!(
        VerifyCode::DepthZeroSelfSignedCert.code(),
        "DEPTH_ZERO_SELF_SIGNED_CERT"
    );
    assert_eq!(
        VerifyCode::DepthZeroSelfSignedCert.to_string(),
        "self-signed certificate"
    );
    assert_eq!(
        VerifyCode::UnableToVerifyLeafSignature.message(),
        "unable to verify the first certificate"
    );
}

#[test]
fn server_identity_follows_node_rules() {
    let san =
        Some("DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    assert_eq!(check_server_identity("localhost", san, &[]), Ok(()));
    assert_eq!(check_server_identity("LocalHost.", san, &[]), Ok(()));
    assert_eq!(check_server_identity("a.example.com", san, &[]), Ok(()));
    assert_eq!(check_server_identity("127.0.0.1", san, &[]), Ok(()));
    assert_eq!(check_server_identity("::1", san, &[]), Ok(()));
    assert_eq!(
        check_server_identity("a.b.example.com", san, &[]),
        Err("Host: a.b.example.com. is not in the cert's altnames: DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1".into())
    );
    assert_eq!(
        check_server_identity("10.0.0.1", san, &[]),
        Err("IP: 10.0.0.1 is not in the cert's list: 127.0.0.1, ::1".into())
    );
    // no SAN: the CN decides, and IPs never match a CN
    let cn = ["localhost".to_string()];
    assert_eq!(check_server_identity("localhost", None, &cn), Ok(()));
    assert_eq!(
        check_server_identity("example.org", None, &cn),
        Err("Host: example.org. is not cert's CN: localhost".into())
    );
    assert_eq!(
        check_server_identity("127.0.0.1", None, &cn),
        Err("IP: 127.0.0.1 is not in the cert's list: ".into())
    );
    assert_eq!(
        check_server_identity("example.org", None, &[]),
        Err("Cert does not contain a DNS name".into())
    );
    // *.tld and multi-wildcards never match
    assert!(check_server_identity("a.com", Some("DNS:*.com"), &[]).is_err());
    assert!(check_server_identity("ab.x.com", Some("DNS:*b*.x.com"), &[]).is_err());
    assert_eq!(
        check_server_identity("fooab.x.com", Some("DNS:foo*.x.com"), &[]),
        Ok(())
    );
}
