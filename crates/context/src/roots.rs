//! `tls.rootCertificates`: the bundled root certificates as PEM strings.

use base64::Engine;
use std::sync::OnceLock;

/// Node's `tls.rootCertificates`: the default roots (Mozilla's list, as trusted when no
/// `ca` is given), each a PEM string shaped as Node's (72-character lines, no trailing
/// newline). Made once
/// per process. They come from `webpki-root-certs`, the whole certificates of the
/// `webpki-roots` anchors that contexts trust; a test holds both to the same list.
pub fn root_certificates() -> &'static [String] {
    static PEMS: OnceLock<Vec<String>> = OnceLock::new();
    PEMS.get_or_init(|| {
        webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|der| pem("CERTIFICATE", der.as_ref()))
            .collect()
    })
}

/// `der` as a PEM block of `label` as Node prints its roots: 72 base64 characters a
/// line (Node's bundle keeps Mozilla's width, not RFC 7468's 64), no final newline.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(72) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----"));
    out
}

#[cfg(test)]
mod tests {
    use super::root_certificates;
    use rustls::pki_types::{pem::PemObject, CertificateDer};

    #[test]
    fn the_pem_roots_are_the_trusted_anchors() {
        let roots = root_certificates();
        let anchors = webpki_roots::TLS_SERVER_ROOTS;
        assert_eq!(roots.len(), anchors.len());
        let ders: Vec<CertificateDer<'static>> = roots
            .iter()
            .map(|pem| {
                assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
                assert!(pem.ends_with("\n-----END CERTIFICATE-----"));
                CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
            })
            .collect();
        for anchor in anchors {
            let spki = anchor.subject_public_key_info.as_ref();
            let holders = ders
                .iter()
                .filter(|der| der.as_ref().windows(spki.len()).any(|w| w == spki))
                .count();
            assert_eq!(
                holders, 1,
                "an anchor's key is in {holders} root certificates"
            );
        }
    }
}
