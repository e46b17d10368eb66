use super::*;

#[test]
fn reads_labels_headers_and_ignores_text_between_blocks() {
    let text = b"junk\n-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\nAAEC\n-----END RSA PRIVATE KEY-----\nmore\n-----BEGIN TRUSTED CERTIFICATE-----\nAQID\n-----END TRUSTED CERTIFICATE-----\n";
    let blocks = parse(text).unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].label, "RSA PRIVATE KEY");
    assert_eq!(
        blocks[0].headers[1],
        ("DEK-Info".into(), "AES-128-CBC,00FF".into())
    );
    assert_eq!(blocks[0].der, vec![0, 1, 2]);
    assert!(is_certificate_label(&blocks[1].label));
    assert_eq!(blocks[1].der, vec![1, 2, 3]);
}

#[test]
fn unterminated_and_bad_base64_are_errors() {
    assert_eq!(
        parse(b"-----BEGIN CERTIFICATE-----\nAQID\n").unwrap_err(),
        PemError::MissingEnd {
            label: "CERTIFICATE".into()
        }
    );
    let err = parse(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n").unwrap_err();
    assert_eq!(
        err.to_string(),
        "PEM block `CERTIFICATE` is not valid base64"
    );
}
