//! Tests of `describe` against Node: they build certificates with
//! `openssl`, serve them with Node 20 over a real TLS connection and compare
//! `getPeerCertificate(true)` with our output, key by key and as a whole.
//! They need `openssl` and `node` on the `PATH`.

use super::{chain_to_json, describe, PeerCertificate};

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// A scratch directory, removed on drop.
pub(super) struct Scratch(PathBuf);

impl Scratch {
    pub(super) fn new(name: &str) -> Scratch {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "context-describe-{}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            name
        ));
        std::fs::create_dir_all(&dir).expect("create scratch directory");
        Scratch(dir)
    }

    pub(super) fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }

    pub(super) fn write(&self, file: &str, text: &str) -> PathBuf {
        let path = self.path(file);
        std::fs::write(&path, text).expect("write scratch file");
        path
    }

    /// Runs `openssl` in the directory.
    pub(super) fn openssl(&self, args: &[&str]) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(&self.0)
            .output()
            .expect("run openssl (must be on PATH)");
        assert!(
            out.status.success(),
            "openssl {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The DER of a PEM certificate file.
    pub(super) fn der(&self, pem: &str) -> Vec<u8> {
        let der = format!("{pem}.der");
        self.openssl(&["x509", "-in", pem, "-outform", "DER", "-out", &der]);
        std::fs::read(self.path(&der)).expect("read DER")
    }

    /// Serves `key` and `chain` (PEM files) with Node's `tls` server and
    /// returns what a Node client prints: the whole
    /// `getPeerCertificate(true)` as JSON (buffers in base64, the root's
    /// self-link cut), then one `key<TAB>JSON value` line per key of the
    /// leaf.
    fn node_peer_certificate(&self, key: &str, chain: &str) -> String {
        let script = self.write("peer.js", NODE_SCRIPT);
        let out = Command::new("node")
            .arg(&script)
            .arg(self.path(key))
            .arg(self.path(chain))
            .output()
            .expect("run node (must be on PATH)");
        assert!(
            out.status.success(),
            "node failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("node prints UTF-8")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const NODE_SCRIPT: &str = r#"
const tls = require('tls');
const fs = require('fs');
const key = fs.readFileSync(process.argv[2]);
const cert = fs.readFileSync(process.argv[3]);
function plain(c) {
  const o = {};
  for (const k of Object.keys(c)) {
    if (k === 'issuerCertificate') continue;
    const v = c[k];
    o[k] = Buffer.isBuffer(v) ? v.toString('base64') : v;
  }
  if (c.issuerCertificate && c.issuerCertificate !== c)
    o.issuerCertificate = plain(c.issuerCertificate);
  return o;
}
const server = tls.createServer({ key, cert }, (s) => s.end());
server.listen(0, '127.0.0.1', () => {
  const socket = tls.connect(
    { port: server.address().port, host: '127.0.0.1', rejectUnauthorized: false },
    () => {
      const peer = plain(socket.getPeerCertificate(true));
      let out = JSON.stringify(peer) + '\n';
      for (const k of Object.keys(peer)) {
        if (k !== 'issuerCertificate') out += k + '\t' + JSON.stringify(peer[k]) + '\n';
      }
      process.stdout.write(out);
      socket.end();
      server.close();
    });
  socket.on('error', (e) => { console.error(e); process.exit(1); });
});
"#;

/// Compares Node's output with ours for a chain (leaf first).
fn assert_matches_node(node: &str, chain: &[PeerCertificate]) {
    let mut lines = node.lines();
    let whole = lines.next().expect("node printed the certificate");
    let node_fields: Vec<(&str, &str)> = lines
        .map(|line| line.split_once('\t').expect("key<TAB>value"))
        .collect();
    let ours = chain[0].json_fields();
    let node_keys: Vec<&str> = node_fields.iter().map(|(k, _)| *k).collect();
    let our_keys: Vec<&str> = ours.iter().map(|(k, _)| *k).collect();
    assert_eq!(our_keys, node_keys, "keys and their order");
    for ((key, ours), (_, theirs)) in ours.iter().zip(&node_fields) {
        assert_eq!(ours, theirs, "value of `{key}`");
    }
    assert_eq!(chain_to_json(chain), whole, "whole JSON");
}

/// Makes a self-signed certificate with `openssl req -x509` from a config
/// whose `[dn]` section is the subject and whose `[ext]` section holds the
/// extensions, serves it, and compares.
fn check_self_signed(name: &str, key_args: &[&str], config: &str, extra: &[&str]) {
    let dir = Scratch::new(name);
    dir.write("req.cnf", config);
    let mut args = vec!["req", "-x509", "-config", "req.cnf", "-days", "30"];
    args.extend_from_slice(key_args);
    args.extend_from_slice(&["-keyout", "key.pem", "-out", "cert.pem"]);
    args.extend_from_slice(extra);
    dir.openssl(&args);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);
}

const RSA: &[&str] = &["-newkey", "rsa:2048", "-nodes"];

// ---------------------------------------------------------------------------
// Against Node
// ---------------------------------------------------------------------------

#[test]
fn node_rsa_v1_self_signed() {
    let dir = Scratch::new("rsa-v1");
    dir.openssl(&["genrsa", "-out", "key.pem", "2048"]);
    dir.openssl(&[
        "req",
        "-new",
        "-sha256",
        "-key",
        "key.pem",
        "-subj",
        "/C=US/ST=CA/L=SF/O=Joyent/OU=Node.js/CN=agent1/emailAddress=ry@tinyclouds.org",
        "-out",
        "req.csr",
    ]);
    dir.openssl(&[
        "x509", "-req", "-in", "req.csr", "-signkey", "key.pem", "-days", "365", "-out", "cert.pem",
    ]);
    let der = dir.der("cert.pem");
    let cert = describe(&der).expect("describe");
    assert_eq!(cert.subject[0], ("C".to_owned(), vec!["US".to_owned()]));
    assert_eq!(cert.bits, Some(2048));
    assert_eq!(cert.exponent.as_deref(), Some("0x10001"));
    assert!(!cert.ca, "v1 roots are not CAs for X509_check_ca");
    assert_eq!(cert.raw, der);
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);
}

#[test]
fn node_rsa_v3_alt_names_and_eku() {
    check_self_signed(
        "rsa-san",
        RSA,
        r#"
[req]
distinguished_name = dn
prompt = no
[dn]
C = US
O = Acme
CN = example.com
[ext]
basicConstraints = critical, CA:FALSE
keyUsage = digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth, codeSigning, 1.2.3.4.5
subjectAltName = DNS:localhost, DNS:*.example.com, IP:127.0.0.1, IP:::1, IP:2001:db8::ff00:42:8329, email:a@b.example, URI:http://x.example/z, RID:1.2.3.4, dirName:dir_sect, otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@example.com
[dir_sect]
C = UK
O = My Org, Inc
CN = Dir Name
"#,
        &["-extensions", "ext"],
    );
}

#[test]
fn node_unsafe_alt_names_are_quoted() {
    check_self_signed(
        "rsa-unsafe-san",
        RSA,
        r#"
oid_section = new_oids
[new_oids]
privateAttr = 1.2.3.4.5.6
[req]
distinguished_name = dn
prompt = no
[dn]
CN = quoted
[ext]
subjectAltName = @alt
[alt]
URI.1 = http://x.example/a,b
URI.2 = http://x.example/\"q\"
email.1 = it\'s@example.com
DNS.1 = back\\slash.example
dirName.1 = dir_a
dirName.2 = dir_b
otherName.1 = 1.3.6.1.5.5.7.8.7;IA5:_sip._udp,example.com
otherName.2 = 1.3.6.1.5.5.7.8.5;UTF8:jid@example.com
otherName.3 = 1.2.3.4;UTF8:unsupported
otherName.4 = 1.3.6.1.4.1.311.20.2.3;IA5:wrong-type
otherName.5 = 1.3.6.1.5.5.7.8.9;UTF8:café@example.com
[dir_a]
CN = "\#leading hash"
OU = "trailing space "
O = a+b;c<d>e"f\\g
[dir_b]
1.CN = first
2.CN = second
+UID = plus
privateAttr = private
"#,
        &["-extensions", "ext"],
    );
}

#[test]
fn node_info_access() {
    check_self_signed(
        "rsa-aia",
        RSA,
        r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = aia.example
[ext]
authorityInfoAccess = @aia
[aia]
OCSP;URI.0 = http://ocsp.example.com/
caIssuers;URI.0 = http://ca.example.com/ca.crt
OCSP;URI.1 = http://ocsp2.example.com/a,b
1.3.6.1.5.5.7.48.5;URI.0 = http://repo.example/
1.2.3.4;DNS.0 = odd.example
caIssuers;IP.0 = 10.0.0.1
caIssuers;dirName.0 = dir_sect
[dir_sect]
CN = dir, name
"#,
        &["-extensions", "ext"],
    );
}

#[test]
fn node_repeated_and_multivalued_name_fields() {
    check_self_signed(
        "rsa-names",
        RSA,
        r#"
oid_section = new_oids
[new_oids]
privateAttr = 1.2.3.4.5.6
[req]
distinguished_name = dn
prompt = no
[dn]
C = US
0.OU = Eng
1.OU = Ops
2.OU = Sec
CN = multi
emailAddress = a@b.example
serialNumber = 1234
1.DC = example
2.DC = com
UID = uid-1
privateAttr = private value
jurisdictionC = DE
"#,
        &[],
    );
}

#[test]
fn node_multivalued_rdn_and_serials() {
    let dir = Scratch::new("rsa-rdn");
    dir.openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "key.pem",
        "-out",
        "cert.pem",
        "-subj",
        "/OU=a/OU=b/CN=x+UID=y",
        "-multivalue-rdn",
        "-set_serial",
        "-5",
        "-days",
        "10000",
    ]);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    assert_eq!(cert.serial_number, "-05");
    assert!(cert.valid_to.ends_with(" GMT"));
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);

    for serial in ["0", "1", "255", "0x0100", "0x7fffffffffffffffffff"] {
        let dir = Scratch::new("rsa-serial");
        dir.openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:1024",
            "-nodes",
            "-keyout",
            "key.pem",
            "-out",
            "cert.pem",
            "-subj",
            "/CN=serial",
            "-set_serial",
            serial,
            "-days",
            "1",
        ]);
        let cert = describe(&dir.der("cert.pem")).expect("describe");
        let node = dir.node_peer_certificate("key.pem", "cert.pem");
        assert_matches_node(&node, &[cert]);
    }
}

#[test]
fn node_string_types() {
    // T61String (read as Latin-1), BMPString and UTF8String values.
    for (mask, extra) in [
        ("nombstr", ""),
        ("pkix", "OU = \u{20ac}uro \u{1d11e}\n"),
        ("utf8only", "OU = \u{20ac}uro \u{1d11e}\n"),
    ] {
        let config = format!(
            "[req]\ndistinguished_name = dn\nprompt = no\nstring_mask = {mask}\nutf8 = yes\n\
             [dn]\nO = Caf\u{e9}\n{extra}CN = na\u{ef}ve\n"
        );
        check_self_signed("rsa-strings", RSA, &config, &[]);
    }
}

#[test]
fn node_ca_flag() {
    let base = r#"
[req]
distinguished_name = dn
prompt = no
[dn]
CN = ca test
"#;
    for ext in [
        "basicConstraints = critical, CA:TRUE",
        "basicConstraints = critical, CA:TRUE, pathlen:0\nkeyUsage = keyCertSign, cRLSign",
        "basicConstraints = critical, CA:TRUE\nkeyUsage = digitalSignature",
        "basicConstraints = CA:FALSE",
        "keyUsage = keyCertSign",
        "subjectKeyIdentifier = hash",
    ] {
        let config = format!("{base}[ext]\n{ext}\n");
        check_self_signed("rsa-ca", RSA, &config, &["-extensions", "ext"]);
    }
}

/// Serves a certificate made by `openssl req -x509 -subj /CN=<name>` over a
/// key made by `openssl genpkey` with these arguments, and compares.
fn check_genpkey(name: &str, genpkey: &[&str]) -> PeerCertificate {
    let dir = Scratch::new(name);
    let mut args = vec!["genpkey", "-out", "key.pem"];
    args.extend_from_slice(genpkey);
    dir.openssl(&args);
    let subject = format!("/CN={name}");
    dir.openssl(&[
        "req", "-x509", "-key", "key.pem", "-subj", &subject, "-days", "1", "-out", "cert.pem",
    ]);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, std::slice::from_ref(&cert));
    cert
}

#[test]
fn node_rsa_odd_sizes_and_exponents() {
    let cert = check_genpkey(
        "rsa-1025-e3",
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1025",
            "-pkeyopt",
            "rsa_keygen_pubexp:3",
        ],
    );
    assert_eq!(
        (cert.bits, cert.exponent.as_deref()),
        (Some(1025), Some("0x3"))
    );
    check_genpkey(
        "rsa-1020-e65539",
        &[
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:1020",
            "-pkeyopt",
            "rsa_keygen_pubexp:65539",
        ],
    );
}

#[test]
fn node_rsa_pss_key_has_no_key_fields() {
    let cert = check_genpkey(
        "rsa-pss",
        &["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    assert_eq!((cert.modulus, cert.pubkey), (None, None));
}

#[test]
fn node_ec_p256() {
    let dir = Scratch::new("ec-p256");
    dir.openssl(&[
        "ecparam",
        "-genkey",
        "-name",
        "prime256v1",
        "-noout",
        "-out",
        "key.pem",
    ]);
    dir.openssl(&[
        "req", "-x509", "-key", "key.pem", "-subj", "/CN=ec", "-days", "30", "-out", "cert.pem",
    ]);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    assert_eq!(cert.asn1_curve.as_deref(), Some("prime256v1"));
    assert_eq!(cert.nist_curve.as_deref(), Some("P-256"));
    assert_eq!(cert.bits, Some(256));
    assert_eq!(cert.pubkey.as_ref().map(Vec::len), Some(65));
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);
}

#[test]
fn node_ec_p384_compressed_point() {
    let dir = Scratch::new("ec-p384");
    dir.openssl(&[
        "ecparam",
        "-genkey",
        "-name",
        "secp384r1",
        "-noout",
        "-conv_form",
        "compressed",
        "-out",
        "key.pem",
    ]);
    dir.openssl(&[
        "req",
        "-x509",
        "-key",
        "key.pem",
        "-subj",
        "/CN=ec384",
        "-days",
        "30",
        "-out",
        "cert.pem",
    ]);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);
}

#[test]
fn node_ed25519() {
    let dir = Scratch::new("ed25519");
    dir.openssl(&["genpkey", "-algorithm", "ed25519", "-out", "key.pem"]);
    dir.openssl(&[
        "req", "-x509", "-key", "key.pem", "-subj", "/CN=ed", "-days", "30", "-out", "cert.pem",
    ]);
    let cert = describe(&dir.der("cert.pem")).expect("describe");
    assert_eq!(
        (&cert.modulus, cert.bits, &cert.pubkey, &cert.asn1_curve),
        (&None, None, &None, &None),
        "Node shows no key fields for Ed25519"
    );
    let node = dir.node_peer_certificate("key.pem", "cert.pem");
    assert_matches_node(&node, &[cert]);
}

/// A CA (key from `ca_key_args`) issuing an RSA leaf; the server sends both,
/// so Node links them with `issuerCertificate`.
fn check_chain(name: &str, ca_key_args: &[&str], ca_key: &str) {
    let dir = Scratch::new(name);
    let mut args = vec!["req", "-x509", "-subj", "/O=Test/CN=Test CA", "-days", "30"];
    args.extend_from_slice(ca_key_args);
    args.extend_from_slice(&["-out", "ca.pem"]);
    dir.openssl(&args);
    dir.openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-subj",
        "/CN=leaf.example",
        "-out",
        "leaf.csr",
    ]);
    dir.write(
        "leaf.ext",
        "subjectAltName = DNS:leaf.example\nauthorityKeyIdentifier = keyid\n",
    );
    dir.openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        ca_key,
        "-set_serial",
        "7",
        "-days",
        "30",
        "-extfile",
        "leaf.ext",
        "-out",
        "leaf.pem",
    ]);
    let chain_pem = [
        std::fs::read_to_string(dir.path("leaf.pem")).expect("leaf"),
        std::fs::read_to_string(dir.path("ca.pem")).expect("ca"),
    ]
    .concat();
    dir.write("chain.pem", &chain_pem);
    let chain = [
        describe(&dir.der("leaf.pem")).expect("describe leaf"),
        describe(&dir.der("ca.pem")).expect("describe CA"),
    ];
    assert!(chain[1].is_self_issued());
    let node = dir.node_peer_certificate("leaf.key", "chain.pem");
    assert_matches_node(&node, &chain);
}

#[test]
fn node_chain_rsa() {
    check_chain(
        "chain-rsa",
        &["-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key"],
        "ca.key",
    );
}

#[test]
fn node_chain_other_curves() {
    for curve in [
        "secp256k1",
        "secp521r1",
        "brainpoolP256r1",
        "prime239v1",
        "sect283k1",
    ] {
        let dir = Scratch::new("curve-param");
        dir.openssl(&["ecparam", "-name", curve, "-out", &format!("{curve}.param")]);
        let param_path = dir.path(&format!("{curve}.param"));
        let param_arg = format!("ec:{}", param_path.display());
        check_chain(
            &format!("chain-{curve}"),
            &["-newkey", &param_arg, "-nodes", "-keyout", "ca.key"],
            "ca.key",
        );
    }
}

#[test]
fn node_chain_ed448_ca() {
    check_chain(
        "chain-ed448",
        &["-newkey", "ed448", "-nodes", "-keyout", "ca.key"],
        "ca.key",
    );
}

#[test]
fn node_chain_sm2_ca() {
    // An id-ecPublicKey on the SM2 curve: OpenSSL loads it as an SM2 key and
    // Node shows no key fields.
    let keys = Scratch::new("sm2-key");
    keys.openssl(&["genpkey", "-algorithm", "SM2", "-out", "sm2.key"]);
    let key = keys.path("sm2.key").display().to_string();
    check_chain("chain-sm2", &["-key", &key, "-sm3"], &key);
}
