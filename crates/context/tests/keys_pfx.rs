//! Private-key PEM and PFX decoding against files made by the `openssl` CLI.

mod support;
use support::XorShift;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use context::keys::{parse_private_key_pem, KeyError};
use context::pfx::{parse_pfx, PfxError};
use rustls_pki_types::PrivateKeyDer;

const PASS: &str = "secret";

/// A temporary directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("context-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"))
}

/// Every file the tests use, generated once per test binary.
struct Fixtures {
    /// Unencrypted PKCS#8 PEM of the RSA key.
    key_pem: Vec<u8>,
    /// PKCS#8 DER of the RSA key (`openssl pkcs8 -topk8 -nocrypt`).
    key_pkcs8: Vec<u8>,
    /// PKCS#1 DER of the RSA key.
    key_pkcs1: Vec<u8>,
    /// Unencrypted PKCS#1 PEM of the RSA key.
    key_pkcs1_pem: Vec<u8>,
    cert_pem: Vec<u8>,
    cert_der: Vec<u8>,
    ca1_der: Vec<u8>,
    ca2_der: Vec<u8>,
    /// (name, PEM) of each encrypted PKCS#8 variant of the RSA key.
    pkcs8_encrypted: Vec<(&'static str, Vec<u8>)>,
    /// (name, PEM) of each traditional encrypted PKCS#1 variant.
    legacy: Vec<(&'static str, Vec<u8>)>,
    ec_pem: Vec<u8>,
    ec_sec1: Vec<u8>,
    ec_legacy_pem: Vec<u8>,
    ed25519_encrypted: Vec<u8>,
    ed25519_pkcs8: Vec<u8>,
    /// Fast (1 iteration) encrypted keys for the mutation loop.
    fast_pbes2: Vec<u8>,
    fast_pbes1: Vec<u8>,
    pfx: std::collections::HashMap<&'static str, Vec<u8>>,
    ec_pkcs8: Vec<u8>,
    dsa_cert_der: Vec<u8>,
}

fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(generate)
}

fn generate() -> Fixtures {
    let tmp = TempDir::new("keys-fixtures");
    let d = tmp.0.as_path();
    let pass = format!("pass:{PASS}");
    let pass = pass.as_str();

    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "key.pem",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "key.pem", "-outform", "DER", "-out", "key.p8",
        ],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "key.p1",
        ],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "key.pem",
            "-traditional",
            "-out",
            "key.p1.pem",
        ],
    );
    openssl(
        d,
        &[
            "req", "-x509", "-new", "-key", "key.pem", "-subj", "/CN=leaf", "-days", "30", "-out",
            "cert.pem",
        ],
    );
    openssl(
        d,
        &[
            "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
        ],
    );
    for ca in ["ca1", "ca2"] {
        openssl(
            d,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &format!("{ca}.key"),
                "-subj",
                &format!("/CN={ca}"),
                "-days",
                "30",
                "-out",
                &format!("{ca}.pem"),
            ],
        );
        openssl(
            d,
            &[
                "x509",
                "-in",
                &format!("{ca}.pem"),
                "-outform",
                "DER",
                "-out",
                &format!("{ca}.der"),
            ],
        );
    }
    let cas = [read(d, "ca1.pem"), read(d, "ca2.pem")].concat();
    std::fs::write(d.join("cas.pem"), cas).unwrap();

    let variants: [(&str, &[&str]); 8] = [
        (
            "aes128-sha256",
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA256"],
        ),
        ("aes256-sha256", &["-v2", "aes-256-cbc"]),
        (
            "aes192-sha512",
            &["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512"],
        ),
        (
            "aes256-sha384",
            &["-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA384"],
        ),
        (
            "aes128-sha224",
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA224"],
        ),
        ("des3-sha1", &["-v2", "des3", "-v2prf", "hmacWithSHA1"]),
        ("scrypt", &["-scrypt"]),
        ("pbe-sha1-3des", &["-v1", "PBE-SHA1-3DES"]),
    ];
    let mut pkcs8_encrypted = Vec::new();
    for (name, extra) in variants {
        let out = format!("{name}.pem");
        let mut args = vec![
            "pkcs8", "-topk8", "-in", "key.pem", "-passout", pass, "-out", &out,
        ];
        args.extend_from_slice(extra);
        openssl(d, &args);
        pkcs8_encrypted.push((name, read(d, &out)));
    }

    let mut legacy = Vec::new();
    for (name, flag) in [
        ("aes128", "-aes128"),
        ("aes192", "-aes192"),
        ("aes256", "-aes256"),
        ("des3", "-des3"),
    ] {
        let out = format!("legacy-{name}.pem");
        openssl(
            d,
            &[
                "rsa",
                "-in",
                "key.pem",
                flag,
                "-traditional",
                "-passout",
                pass,
                "-out",
                &out,
            ],
        );
        legacy.push((name, read(d, &out)));
    }
    // Single DES needs OpenSSL 3's legacy provider; without it the CLI silently
    // writes an unencrypted key, so keep the file only if it is encrypted.
    let des = Command::new("openssl")
        .args([
            "rsa",
            "-in",
            "key.pem",
            "-des",
            "-traditional",
            "-passout",
            pass,
            "-out",
            "legacy-des.pem",
            "-provider",
            "legacy",
            "-provider",
            "default",
        ])
        .current_dir(d)
        .output()
        .expect("run openssl");
    if des.status.success() {
        let pem = read(d, "legacy-des.pem");
        if String::from_utf8_lossy(&pem).contains("DEK-Info: DES-CBC,") {
            legacy.push(("des", pem));
        }
    }
    if !legacy.iter().any(|(n, _)| *n == "des") {
        eprintln!("note: openssl has no legacy provider; DES-CBC PEM not tested");
    }

    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        d,
        &["ec", "-in", "ec.pem", "-outform", "DER", "-out", "ec.sec1"],
    );
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ec.pem", "-outform", "DER", "-out", "ec.p8",
        ],
    );
    openssl(
        d,
        &[
            "ec",
            "-in",
            "ec.pem",
            "-aes128",
            "-passout",
            pass,
            "-out",
            "ec-legacy.pem",
        ],
    );

    openssl(d, &["genpkey", "-algorithm", "ed25519", "-out", "ed.pem"]);
    openssl(
        d,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ed.pem", "-outform", "DER", "-out", "ed.p8",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "ed.pem",
            "-v2",
            "aes-256-cbc",
            "-passout",
            pass,
            "-out",
            "ed-enc.pem",
        ],
    );

    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-v2",
            "aes-128-cbc",
            "-iter",
            "1",
            "-passout",
            pass,
            "-outform",
            "DER",
            "-out",
            "fast-pbes2.der",
        ],
    );
    openssl(
        d,
        &[
            "pkcs8",
            "-topk8",
            "-in",
            "key.pem",
            "-v1",
            "PBE-SHA1-3DES",
            "-iter",
            "1",
            "-passout",
            pass,
            "-outform",
            "DER",
            "-out",
            "fast-pbes1.der",
        ],
    );

    let export = ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem"];
    let pfx_variants: [(&str, &[&str]); 10] = [
        ("default", &["-passout", pass]),
        ("legacy", &["-legacy", "-passout", pass]),
        ("chain", &["-certfile", "cas.pem", "-passout", pass]),
        ("empty-pass", &["-passout", "pass:"]),
        ("nomac", &["-nomac", "-passout", pass]),
        (
            "nopbe",
            &["-keypbe", "NONE", "-certpbe", "NONE", "-passout", pass],
        ),
        (
            "clear",
            &[
                "-keypbe", "NONE", "-certpbe", "NONE", "-nomac", "-passout", pass,
            ],
        ),
        (
            "fast",
            &[
                "-noiter",
                "-nomaciter",
                "-certfile",
                "cas.pem",
                "-passout",
                pass,
            ],
        ),
        ("fast-nomac", &["-noiter", "-nomac", "-passout", "pass:"]),
        (
            "sha1-3des",
            &[
                "-keypbe",
                "PBE-SHA1-3DES",
                "-certpbe",
                "PBE-SHA1-3DES",
                "-macalg",
                "sha1",
                "-passout",
                pass,
            ],
        ),
    ];
    let mut pfx = std::collections::HashMap::new();
    for (name, extra) in pfx_variants {
        let out = format!("{name}.pfx");
        let mut args = export.to_vec();
        args.extend_from_slice(extra);
        args.extend_from_slice(&["-out", &out]);
        openssl(d, &args);
        pfx.insert(name, read(d, &out));
    }
    openssl(
        d,
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            "cert.pem",
            "-passout",
            pass,
            "-out",
            "nokeys.pfx",
        ],
    );
    pfx.insert("nokeys", read(d, "nokeys.pfx"));
    openssl(
        d,
        &[
            "pkcs12",
            "-export",
            "-nocerts",
            "-inkey",
            "key.pem",
            "-passout",
            pass,
            "-out",
            "nocerts.pfx",
        ],
    );
    pfx.insert("nocerts", read(d, "nocerts.pfx"));
    openssl(
        d,
        &[
            "pkcs12", "-export", "-inkey", "ca1.key", "-in", "ca1.pem", "-passout", pass, "-out",
            "ec.pfx",
        ],
    );
    pfx.insert("ec", read(d, "ec.pfx"));

    // A key type rustls cannot load: the certificate is found by localKeyId.
    openssl(
        d,
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:1024",
            "-out",
            "dsap.pem",
        ],
    );
    openssl(d, &["genpkey", "-paramfile", "dsap.pem", "-out", "dsa.pem"]);
    openssl(
        d,
        &[
            "req", "-x509", "-new", "-key", "dsa.pem", "-subj", "/CN=dsa", "-days", "30", "-out",
            "dsa.crt",
        ],
    );
    openssl(
        d,
        &[
            "x509", "-in", "dsa.crt", "-outform", "DER", "-out", "dsa.der",
        ],
    );
    openssl(
        d,
        &[
            "pkcs12",
            "-export",
            "-inkey",
            "dsa.pem",
            "-in",
            "dsa.crt",
            "-certfile",
            "ca1.pem",
            "-passout",
            pass,
            "-out",
            "dsa.pfx",
        ],
    );
    pfx.insert("dsa", read(d, "dsa.pfx"));

    Fixtures {
        key_pem: read(d, "key.pem"),
        key_pkcs8: read(d, "key.p8"),
        key_pkcs1: read(d, "key.p1"),
        key_pkcs1_pem: read(d, "key.p1.pem"),
        cert_pem: read(d, "cert.pem"),
        cert_der: read(d, "cert.der"),
        ca1_der: read(d, "ca1.der"),
        ca2_der: read(d, "ca2.der"),
        pkcs8_encrypted,
        legacy,
        ec_pem: read(d, "ec.pem"),
        ec_sec1: read(d, "ec.sec1"),
        ec_legacy_pem: read(d, "ec-legacy.pem"),
        ed25519_encrypted: read(d, "ed-enc.pem"),
        ed25519_pkcs8: read(d, "ed.p8"),
        fast_pbes2: read(d, "fast-pbes2.der"),
        fast_pbes1: read(d, "fast-pbes1.der"),
        pfx,
        ec_pkcs8: read(d, "ca1.key"),
        dsa_cert_der: read(d, "dsa.der"),
    }
}

fn der_of<'a>(key: &'a PrivateKeyDer<'_>) -> &'a [u8] {
    key.secret_der()
}

fn assert_loads(key: &PrivateKeyDer<'_>) {
    rustls::crypto::ring::sign::any_supported_type(key).expect("rustls loads the key");
}

fn pem_wrap(label: &str, der: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out.into_bytes()
}

fn assert_wrong_and_missing(pem: &[u8], what: &str) {
    let wrong = parse_private_key_pem(pem, Some(b"wrong")).expect_err(what);
    assert_eq!(wrong, KeyError::BadDecrypt, "{what}: wrong passphrase");
    assert!(wrong.to_string().contains("bad decrypt"), "{what}: {wrong}");
    let empty = parse_private_key_pem(pem, Some(b"")).expect_err(what);
    assert_eq!(empty, KeyError::BadDecrypt, "{what}: empty passphrase");
    let missing = parse_private_key_pem(pem, None).expect_err(what);
    assert_eq!(missing, KeyError::NeedPassphrase, "{what}: no passphrase");
    assert!(
        missing.to_string().contains("`passphrase` is required"),
        "{what}: {missing}"
    );
}

#[test]
fn unencrypted_keys_ignore_the_passphrase() {
    let f = fixtures();
    for pass in [None, Some(b"ignored".as_slice())] {
        let key = parse_private_key_pem(&f.key_pem, pass).unwrap();
        assert!(matches!(key, PrivateKeyDer::Pkcs8(_)));
        assert_eq!(der_of(&key), f.key_pkcs8);
        assert_loads(&key);

        let key = parse_private_key_pem(&f.key_pkcs1_pem, pass).unwrap();
        assert!(matches!(key, PrivateKeyDer::Pkcs1(_)));
        assert_eq!(der_of(&key), f.key_pkcs1);
        assert_loads(&key);
    }
}

#[test]
fn key_after_certificate_and_crlf() {
    let f = fixtures();
    let mut pem = f.cert_pem.clone();
    pem.extend_from_slice(b"Bag Attributes\n    friendlyName: x\n");
    pem.extend_from_slice(&f.key_pem);
    let key = parse_private_key_pem(&pem, None).unwrap();
    assert_eq!(der_of(&key), f.key_pkcs8);

    let crlf = String::from_utf8(f.pkcs8_encrypted[0].1.clone())
        .unwrap()
        .replace('\n', "\r\n");
    let key = parse_private_key_pem(crlf.as_bytes(), Some(PASS.as_bytes())).unwrap();
    assert_eq!(der_of(&key), f.key_pkcs8);
}

#[test]
fn ec_key_with_parameters_block() {
    let f = fixtures();
    assert!(String::from_utf8_lossy(&f.ec_pem).contains("BEGIN EC PARAMETERS"));
    let key = parse_private_key_pem(&f.ec_pem, None).unwrap();
    assert!(matches!(key, PrivateKeyDer::Sec1(_)));
    assert_eq!(der_of(&key), f.ec_sec1);
    assert_loads(&key);

    let key = parse_private_key_pem(&f.ec_legacy_pem, Some(PASS.as_bytes())).unwrap();
    assert!(matches!(key, PrivateKeyDer::Sec1(_)));
    assert_eq!(der_of(&key), f.ec_sec1);
    assert_loads(&key);
    assert_wrong_and_missing(&f.ec_legacy_pem, "ec legacy");
}

#[test]
fn encrypted_pkcs8_variants() {
    let f = fixtures();
    for (name, pem) in &f.pkcs8_encrypted {
        let key = parse_private_key_pem(pem, Some(PASS.as_bytes()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(matches!(key, PrivateKeyDer::Pkcs8(_)), "{name}");
        assert_eq!(der_of(&key), f.key_pkcs8, "{name}");
        assert_loads(&key);
        assert_wrong_and_missing(pem, name);
    }
    let key = parse_private_key_pem(&f.ed25519_encrypted, Some(PASS.as_bytes())).unwrap();
    assert_eq!(der_of(&key), f.ed25519_pkcs8);
    assert_loads(&key);
}

#[test]
fn legacy_encrypted_pem_variants() {
    let f = fixtures();
    for (name, pem) in &f.legacy {
        assert!(
            String::from_utf8_lossy(pem).contains("Proc-Type: 4,ENCRYPTED"),
            "{name}"
        );
        let key = parse_private_key_pem(pem, Some(PASS.as_bytes()))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(matches!(key, PrivateKeyDer::Pkcs1(_)), "{name}");
        assert_eq!(der_of(&key), f.key_pkcs1, "{name}");
        assert_loads(&key);
        assert_wrong_and_missing(pem, name);
    }
}

#[test]
fn errors_are_named() {
    let f = fixtures();
    assert_eq!(
        parse_private_key_pem(&f.cert_pem, None),
        Err(KeyError::NoKey)
    );
    assert_eq!(
        parse_private_key_pem(b"not pem at all", Some(b"x")),
        Err(KeyError::NoKey)
    );

    let unknown_cipher = String::from_utf8(f.legacy[0].1.clone())
        .unwrap()
        .replace("AES-128-CBC", "CAMELLIA-128-CBC");
    let e = parse_private_key_pem(unknown_cipher.as_bytes(), Some(b"x")).unwrap_err();
    assert!(matches!(e, KeyError::Unsupported(_)), "{e}");
    assert!(e.to_string().contains("CAMELLIA-128-CBC"), "{e}");

    let bad_iv = String::from_utf8(f.legacy[0].1.clone())
        .unwrap()
        .replace("AES-128-CBC,", "AES-128-CBC,00");
    let e = parse_private_key_pem(bad_iv.as_bytes(), Some(b"x")).unwrap_err();
    assert!(matches!(e, KeyError::Malformed(_)), "{e}");

    let garbage = pem_wrap("ENCRYPTED PRIVATE KEY", b"\x30\x03\x02\x01\x00");
    let e = parse_private_key_pem(&garbage, Some(b"x")).unwrap_err();
    assert!(matches!(e, KeyError::Malformed(_)), "{e}");

    let bad_b64 = b"-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
    let e = parse_private_key_pem(bad_b64, None).unwrap_err();
    assert!(matches!(e, KeyError::Malformed(_)), "{e}");
    assert!(e.to_string().contains("base64"), "{e}");

    let not_a_key = pem_wrap("PRIVATE KEY", b"\x30\x03\x02\x01\x00");
    let e = parse_private_key_pem(&not_a_key, None).unwrap_err();
    assert!(matches!(e, KeyError::Malformed(_)), "{e}");

    let e: Box<dyn std::error::Error> = Box::new(KeyError::BadDecrypt);
    assert!(e.to_string().starts_with("bad decrypt"));
}

#[test]
fn pfx_default_and_variants() {
    let f = fixtures();
    for (name, pass) in [
        ("default", PASS),
        ("legacy", PASS),
        ("empty-pass", ""),
        ("nopbe", PASS),
        ("clear", ""),
        ("sha1-3des", PASS),
        ("fast-nomac", ""),
    ] {
        let got = parse_pfx(&f.pfx[name], pass).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(der_of(&got.key), f.key_pkcs8, "{name}");
        assert_eq!(got.cert.as_ref(), f.cert_der, "{name}");
        assert!(got.ca.is_empty(), "{name}");
        assert_loads(&got.key);
    }

    for name in ["chain", "fast"] {
        let got = parse_pfx(&f.pfx[name], PASS).unwrap();
        assert_eq!(der_of(&got.key), f.key_pkcs8);
        assert_eq!(got.cert.as_ref(), f.cert_der);
        let ca: Vec<&[u8]> = got.ca.iter().map(|c| c.as_ref()).collect();
        assert_eq!(
            ca,
            vec![f.ca1_der.as_slice(), f.ca2_der.as_slice()],
            "{name}: ca in file order"
        );
    }

    let got = parse_pfx(&f.pfx["ec"], PASS).unwrap();
    assert_eq!(got.cert.as_ref(), f.ca1_der);
    assert_loads(&got.key);
    let ec_key = parse_private_key_pem(&f.ec_pkcs8, None).unwrap();
    assert_eq!(der_of(&got.key), der_of(&ec_key));
}

#[test]
fn pfx_key_rustls_cannot_load_is_matched_by_local_key_id() {
    let f = fixtures();
    let got = parse_pfx(&f.pfx["dsa"], PASS).unwrap();
    assert!(rustls::crypto::ring::sign::any_supported_type(&got.key).is_err());
    assert_eq!(got.cert.as_ref(), f.dsa_cert_der);
    let ca: Vec<&[u8]> = got.ca.iter().map(|c| c.as_ref()).collect();
    assert_eq!(ca, vec![f.ca1_der.as_slice()]);
}

#[test]
fn pfx_errors() {
    let f = fixtures();
    for (name, pass) in [
        ("default", "wrong"),
        ("default", ""),
        ("empty-pass", "x"),
        ("nopbe", "wrong"),
        ("legacy", "wrong"),
    ] {
        let e = parse_pfx(&f.pfx[name], pass).unwrap_err();
        assert_eq!(e, PfxError::MacVerifyFailure, "{name}/{pass}");
        assert!(e.to_string().contains("mac verify failure"), "{e}");
    }
    // Node.js 20 / OpenSSL 3.0: no MAC and a non-empty passphrase is refused.
    for name in ["nomac", "clear"] {
        let e = parse_pfx(&f.pfx[name], PASS).unwrap_err();
        assert_eq!(e, PfxError::MacAbsent, "{name}");
        assert!(e.to_string().contains("mac absent"), "{e}");
    }
    // ...and with an empty one the encrypted bags do not decrypt.
    let e = parse_pfx(&f.pfx["nomac"], "").unwrap_err();
    assert_eq!(e, PfxError::BadDecrypt);
    assert!(e.to_string().contains("bad decrypt"), "{e}");

    let e = parse_pfx(&f.pfx["nokeys"], PASS).unwrap_err();
    assert_eq!(e, PfxError::NoKey);
    assert!(e
        .to_string()
        .contains("Unable to load private key from PFX data"));

    let e = parse_pfx(&f.pfx["nocerts"], PASS).unwrap_err();
    assert_eq!(e, PfxError::NoCertificate);
    assert!(e
        .to_string()
        .contains("Unable to load certificate from PFX data"));

    for garbage in [&b""[..], b"garbage", &f.cert_pem, &f.cert_der, &f.key_pkcs8] {
        let e = parse_pfx(garbage, PASS).unwrap_err();
        assert!(matches!(e, PfxError::NotPfx(_)), "{e}");
        assert!(e.to_string().contains("pfx"), "{e}");
    }
}

/// A single-byte mutation or a truncation of `seed`.
fn mutate(rng: &mut XorShift, seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
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
    data
}

#[test]
fn mutations_never_panic() {
    let f = fixtures();
    let pass = Some(PASS.as_bytes());
    let legacy_aes = f.legacy[0].1.clone();
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let mut outcomes = [0usize; 2];
    let mut record = |ok: bool| outcomes[usize::from(ok)] += 1;

    for i in 0..3000 {
        let target = i % 6;
        let input = match target {
            0 => pem_wrap("ENCRYPTED PRIVATE KEY", &mutate(&mut rng, &f.fast_pbes2)),
            1 => pem_wrap("ENCRYPTED PRIVATE KEY", &mutate(&mut rng, &f.fast_pbes1)),
            2 => mutate(&mut rng, &legacy_aes),
            3 => mutate(&mut rng, &f.pfx["fast"]),
            4 => mutate(&mut rng, &f.pfx["clear"]),
            _ => mutate(&mut rng, &f.pfx["fast-nomac"]),
        };
        let result = std::panic::catch_unwind(|| match target {
            0..=2 => parse_private_key_pem(&input, pass).is_ok(),
            3 => parse_pfx(&input, PASS).is_ok(),
            _ => parse_pfx(&input, "").is_ok(),
        });
        match result {
            Ok(ok) => record(ok),
            Err(_) => panic!("mutation {i} (target {target}) panicked"),
        }
    }
    assert_eq!(outcomes[0] + outcomes[1], 3000);
    eprintln!("mutations: {} ok, {} err", outcomes[1], outcomes[0]);
}
