//! The module's constants and helpers hold Node 20's values (read from `node` in the same
//! run) and are what a context does when the option is not given.

use suite::have;

fn node_eval(expression: &str) -> String {
    let out = std::process::Command::new("node")
        .args(["-p", expression])
        .output()
        .unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout)
        .unwrap()
        .trim_end()
        .to_string()
}

#[test]
fn constants_are_nodes() {
    if !have("node") {
        return;
    }
    let t = "require('tls')";
    assert_eq!(
        node_eval(&format!("{t}.DEFAULT_CIPHERS")),
        node_tls::DEFAULT_CIPHERS
    );
    assert_eq!(
        node_eval(&format!("{t}.DEFAULT_ECDH_CURVE")),
        node_tls::DEFAULT_ECDH_CURVE
    );
    assert_eq!(
        node_eval(&format!("{t}.DEFAULT_MIN_VERSION")),
        node_tls::DEFAULT_MIN_VERSION
    );
    assert_eq!(
        node_eval(&format!("{t}.DEFAULT_MAX_VERSION")),
        node_tls::DEFAULT_MAX_VERSION
    );
    assert_eq!(
        node_eval(&format!("{t}.CLIENT_RENEG_LIMIT")),
        node_tls::CLIENT_RENEG_LIMIT.to_string()
    );
    assert_eq!(
        node_eval(&format!("{t}.CLIENT_RENEG_WINDOW")),
        node_tls::CLIENT_RENEG_WINDOW.to_string()
    );
}

/// `rootCertificates`: PEM strings shaped as Node's (no trailing newline). Node 20's list
/// is its own bundle's date (144 here) and ours webpki-roots' (120): the count differs,
/// the form and most entries do not.
#[test]
fn root_certificates_are_pem_strings_as_nodes() {
    let ours = node_tls::root_certificates();
    assert!(ours.len() > 100, "{}", ours.len());
    if !have("node") {
        return;
    }
    let node: Vec<String> = serde_json::from_str(&node_eval(
        "JSON.stringify(require('tls').rootCertificates)",
    ))
    .unwrap();
    assert!(node.len() > 100);
    let common = ours.iter().filter(|pem| node.contains(pem)).count();
    eprintln!(
        "{common} of our {} roots are among Node's {}",
        ours.len(),
        node.len()
    );
    assert!(
        common * 10 >= ours.len() * 8,
        "only {common} of our {} roots are byte for byte among Node's {}",
        ours.len(),
        node.len()
    );
}

/// What an empty context does is what the constants say: TLS 1.2 to 1.3, and the
/// default cipher list's suites.
#[test]
fn defaults_are_the_constants() {
    let defaults = node_tls::create_secure_context(&Default::default()).unwrap();
    let explicit = node_tls::create_secure_context(
        &node_tls::SecureContextOptions::new()
            .ciphers(node_tls::DEFAULT_CIPHERS)
            .ecdh_curve(node_tls::DEFAULT_ECDH_CURVE)
            .min_version(node_tls::DEFAULT_MIN_VERSION)
            .max_version(node_tls::DEFAULT_MAX_VERSION),
    )
    .unwrap();
    assert_eq!(defaults.cipher_names(), explicit.cipher_names());
}

/// `tls.checkServerIdentity(host, cert)` gives Node's verdict and message, host by host
/// (Node's, read from `node` on the same certificate's legacy object).
#[test]
fn check_server_identity_is_nodes() {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let pem = suite::read_fixture("leaf/rsa2048-cert.pem");
    let der = CertificateDer::from_pem_slice(&pem).unwrap();
    let described = node_tls::describe(der.as_ref()).unwrap();
    let hosts = [
        "localhost",
        "LOCALHOST.",
        "a.example.com",
        "a.b.example.com",
        "example.com",
        "other.org",
        "127.0.0.1",
        "::1",
        "10.0.0.1",
    ];
    let ours: Vec<String> = hosts
        .iter()
        .map(
            |host| match node_tls::check_server_identity(host, &described) {
                Ok(()) => "ok".to_string(),
                Err(e) => format!("{} {}", e.code(), e),
            },
        )
        .collect();
    assert_eq!(ours[0], "ok");
    assert!(ours[5].starts_with("ERR_TLS_CERT_ALTNAME_INVALID Hostname/IP does not match"));
    if !have("node") {
        return;
    }
    let script = format!(
        "const {{X509Certificate}} = require('crypto'); const tls = require('tls');
         const cert = new X509Certificate(require('fs').readFileSync({path:?})).toLegacyObject();
         JSON.stringify({hosts:?}.map(h => {{ const e = tls.checkServerIdentity(h, cert);
           return e ? e.code + ' ' + e.message : 'ok'; }}))",
        path = suite::fixture("leaf/rsa2048-cert.pem"),
    );
    let node: Vec<String> = serde_json::from_str(&node_eval(&script)).unwrap();
    assert_eq!(ours, node);
}
