//! Every createSecureContext option through the `node-tls` command: each works as Node
//! documents it, or is a configuration error (exit status 2) that names it.

use serde_json::Value;
use std::process::Command;
use std::time::Duration;
use suite::{fixture, have, Proc, TempDir};

fn node_tls(args: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-tls"));
    cmd.args(args);
    Proc::spawn(cmd)
}

fn f(path: &str) -> String {
    fixture(path).display().to_string()
}

/// Starts `serve --json --port 0 ARGS`; returns it and its port.
fn serve(args: &[&str]) -> (Proc, String) {
    let mut all = vec!["serve", "--json", "--port", "0"];
    all.extend_from_slice(args);
    let mut server = node_tls(&all);
    let listening = server.expect_event("listening");
    let port = listening["address"]["port"]
        .as_u64()
        .expect("port")
        .to_string();
    (server, port)
}

/// `connect --json --send hi ARGS localhost:PORT`: its secureConnect event (or the
/// error event) and exit code.
fn connect(port: &str, args: &[&str]) -> (Value, Option<i32>) {
    let target = format!("localhost:{port}");
    let mut all = vec!["connect", "--json", "--send", "hi"];
    all.extend_from_slice(args);
    all.push(&target);
    let mut client = node_tls(&all);
    let first = client.expect("secureConnect or error", |l| {
        l.contains("\"secureConnect\"") || l.contains("\"error\"")
    });
    let code = client.wait().code();
    (serde_json::from_str(&first).unwrap(), code)
}

/// A configuration error: the message, after checking exit status 2 and the JSON event.
fn config_error(args: &[&str]) -> String {
    let mut all = args.to_vec();
    all.push("--json");
    let mut p = node_tls(&all);
    let error = p.expect_event("error");
    assert_eq!(p.wait().code(), Some(2), "{error}");
    error["message"].as_str().unwrap().to_string()
}

/// `openssl s_client -connect 127.0.0.1:PORT ARGS` with no input: its stdout and stderr.
fn s_client(port: &str, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A Node server `script` run with the RSA leaf's key and chain and `extra`; it prints
/// `{"event":"listening","port":N}` first. Returns it and its port.
fn node_rsa_server(script: &str, extra: &str) -> (Proc, String) {
    let key = f("leaf/rsa2048-key.pem");
    let cert = f("leaf/rsa2048-chain.pem");
    let mut node = Proc::node(script, &[&key, &cert, extra]);
    let port = node.expect_event("listening")["port"].to_string();
    (node, port)
}

const RSA: [&str; 4] = ["--key", "", "--cert", ""];

fn rsa_server(extra: &[&str]) -> (Proc, String) {
    let key = f("leaf/rsa2048-key.pem");
    let cert = f("leaf/rsa2048-chain.pem");
    let mut args = RSA.to_vec();
    args[1] = &key;
    args[3] = &cert;
    args.extend_from_slice(extra);
    serve(&args)
}

#[test]
fn pfx_with_passphrase_serves_its_chain() {
    let (_server, port) = serve(&["--pfx", &f("pfx/default.pfx"), "--passphrase", "secret"]);
    let (secure, code) = connect(&port, &["--ca", &f("ca/root-cert.pem")]);
    assert_eq!(secure["authorized"], true, "{secure}");
    assert!(secure["peerCertificate"]["issuerCertificate"]["subject"]["CN"].is_string());
    assert_eq!(code, Some(0));
    let message = config_error(&[
        "serve",
        "--pfx",
        &f("pfx/default.pfx"),
        "--passphrase",
        "nope",
    ]);
    assert!(message.contains("mac verify failure"), "{message}");
    let message = config_error(&[
        "serve",
        "--pfx",
        &f("pfx/nokey.pfx"),
        "--passphrase",
        "secret",
    ]);
    assert!(
        message.contains("Unable to load private key from PFX data"),
        "{message}"
    );
}

#[test]
fn encrypted_key_needs_the_passphrase() {
    let key = f("keys/rsa-pbes2-aes256-sha256.pem");
    let cert = f("keys/rsa-cert.pem");
    let (_server, port) = serve(&["--key", &key, "--cert", &cert, "--passphrase", "secret"]);
    let (secure, _) = connect(&port, &["--ca", &cert]);
    assert_eq!(secure["authorized"], true, "{secure}");
    let message = config_error(&[
        "serve",
        "--key",
        &key,
        "--cert",
        &cert,
        "--passphrase",
        "bad",
    ]);
    assert!(message.contains("bad decrypt"), "{message}");
    let message = config_error(&["serve", "--key", &key, "--cert", &cert]);
    assert!(message.contains("passphrase"), "{message}");
}

#[test]
fn rsa_and_ecdsa_on_one_server_are_chosen_per_handshake() {
    let (_server, port) = serve(&[
        "--key",
        &f("leaf/p256-key.pem"),
        "--key",
        &f("leaf/rsa2048-key.pem"),
        "--cert",
        &f("leaf/rsa2048-chain.pem"),
        "--cert",
        &f("leaf/p256-chain.pem"),
    ]);
    let ca = f("ca/root-cert.pem");
    let (rsa, _) = connect(
        &port,
        &[
            "--ca",
            &ca,
            "--ciphers",
            "ECDHE-RSA-AES128-GCM-SHA256",
            "--max-version",
            "TLSv1.2",
        ],
    );
    assert_eq!(
        rsa["cipher"]["name"], "ECDHE-RSA-AES128-GCM-SHA256",
        "{rsa}"
    );
    assert_eq!(rsa["peerCertificate"]["bits"], 2048);
    let (ec, _) = connect(
        &port,
        &[
            "--ca",
            &ca,
            "--ciphers",
            "ECDHE-ECDSA-AES128-GCM-SHA256",
            "--max-version",
            "TLSv1.2",
        ],
    );
    assert_eq!(
        ec["cipher"]["name"], "ECDHE-ECDSA-AES128-GCM-SHA256",
        "{ec}"
    );
    assert_eq!(ec["peerCertificate"]["asn1Curve"], "prime256v1");
    let message = config_error(&[
        "serve",
        "--key",
        &f("leaf/p256-key.pem"),
        "--cert",
        &f("leaf/rsa2048-cert.pem"),
    ]);
    assert!(message.contains("key values mismatch"), "{message}");
    let message = config_error(&[
        "serve",
        "--key",
        &f("leaf/rsa1024-key.pem"),
        "--cert",
        &f("leaf/rsa1024-cert.pem"),
    ]);
    assert!(message.contains("2048"), "{message}");
}

#[test]
fn ciphers_versions_and_server_order() {
    let (_server, port) = rsa_server(&[
        "--ciphers",
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "--honor-cipher-order",
        "--max-version",
        "TLSv1.2",
    ]);
    let ca = f("ca/root-cert.pem");
    let client_order = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384";
    let (secure, _) = connect(&port, &["--ca", &ca, "--ciphers", client_order]);
    assert_eq!(secure["protocol"], "TLSv1.2");
    assert_eq!(
        secure["cipher"]["name"], "ECDHE-RSA-AES256-GCM-SHA384",
        "server order wins"
    );
    assert_eq!(
        secure["cipher"]["standardName"],
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"
    );
    let (_plain, port) = rsa_server(&[
        "--ciphers",
        "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
        "--max-version",
        "TLSv1.2",
    ]);
    let (secure, _) = connect(&port, &["--ca", &ca, "--ciphers", client_order]);
    assert_eq!(
        secure["cipher"]["name"], "ECDHE-RSA-AES128-GCM-SHA256",
        "client order wins"
    );
    // secureOptions: SSL_OP_NO_TLSv1_3
    let (_s, port) = rsa_server(&["--secure-options", "0x20000000"]);
    let (secure, _) = connect(&port, &["--ca", &ca]);
    assert_eq!(secure["protocol"], "TLSv1.2");
    let (_s, port) = rsa_server(&["--secure-protocol", "TLSv1_3_method"]);
    let (secure, _) = connect(
        &port,
        &["--ca", &ca, "--ciphers", "TLS_CHACHA20_POLY1305_SHA256"],
    );
    assert_eq!(secure["cipher"]["name"], "TLS_CHACHA20_POLY1305_SHA256");
    assert_eq!(secure["cipher"]["version"], "TLSv1.3");
    // a TLS 1.3-only client against a TLS 1.2-only server: a handshake error, exit 1
    let (_s, port) = rsa_server(&["--max-version", "TLSv1.2"]);
    let (error, code) = connect(&port, &["--ca", &ca, "--min-version", "TLSv1.3"]);
    assert_eq!(error["event"], "error", "{error}");
    assert_eq!(code, Some(1));
}

#[test]
fn bad_protocol_options_are_configuration_errors() {
    let cases: [(&[&str], &str); 8] = [
        (&["--ciphers", "RC4-SHA"], "no cipher match"),
        (&["--ciphers", "ALL:@BOGUS"], "`ciphers`"),
        (&["--ecdh-curve", "secp521r1"], "secp521r1 is not supported"),
        (&["--ecdh-curve", "nope"], "`ecdhCurve`"),
        (&["--secure-protocol", "SSLv3_method"], "SSLv3"),
        (&["--secure-protocol", "TLSv1_method"], "TLS 1.0"),
        (&["--max-version", "TLSv1.1"], "`maxVersion`"),
        (&["--secure-options", "lots"], "--secure-options"),
    ];
    for (args, phrase) in cases {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let message = config_error(&all);
        assert!(message.contains(phrase), "{args:?}: {message}");
        let mut all = vec!["connect"];
        all.extend_from_slice(args);
        all.push("1");
        assert!(config_error(&all).contains(phrase), "{args:?}");
    }
    let message = config_error(&["serve", "--ticket-keys", "00ff"]);
    assert!(message.contains("exactly 48 bytes"), "{message}");
    let message = config_error(&["serve", "--ticket-keys", "zz"]);
    assert!(message.contains("--ticket-keys"), "{message}");
}

#[test]
fn revoked_certificate_is_refused_like_node() {
    let (_server, port) = serve(&[
        "--key",
        &f("revoked/revoked-key.pem"),
        "--cert",
        &f("revoked/revoked-cert.pem"),
        "--ca",
        &f("ca/intermediate-cert.pem"),
    ]);
    let crl_args = [
        "--ca",
        &f("ca/root-cert.pem").clone(),
        "--crl",
        &f("revoked/intermediate-crl.pem"),
        "--crl",
        &f("revoked/root-crl.pem"),
    ]
    .map(String::from);
    let crl_args: Vec<&str> = crl_args.iter().map(String::as_str).collect();
    let (error, code) = connect(&port, &crl_args);
    assert_eq!(error["code"], "CERT_REVOKED", "{error}");
    assert_eq!(code, Some(1));
    // DER CRLs work too; without a CRL the same chain is fine.
    let der = f("revoked/intermediate-crl.der");
    let root_crl = f("revoked/root-crl.pem");
    let ca = f("ca/root-cert.pem");
    let (error, _) = connect(&port, &["--ca", &ca, "--crl", &der, "--crl", &root_crl]);
    assert_eq!(error["code"], "CERT_REVOKED");
    let (secure, _) = connect(&port, &["--ca", &ca]);
    assert_eq!(secure["authorized"], true);
    if have("node") {
        let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca, crl1, crl2] = process.argv.slice(1);
const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca),
  crl: [fs.readFileSync(crl1), fs.readFileSync(crl2)] });
s.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
s.on('secureConnect', () => { console.log(JSON.stringify({ event: 'secureConnect' })); s.end(); });
"#;
        let mut node = Proc::node(
            script,
            &[&port, &ca, &f("revoked/intermediate-crl.pem"), &root_crl],
        );
        assert_eq!(node.expect_event("error")["code"], "CERT_REVOKED");
    }
}

#[test]
fn servers_sharing_ticket_keys_resume_each_other() {
    let keys = "5f".repeat(48);
    let (_a, port_a) = rsa_server(&["--ticket-keys", &keys]);
    let (_b, port_b) = rsa_server(&["--ticket-keys", &keys, "--session-timeout", "60"]);
    let (_c, port_c) = rsa_server(&[]);
    let then_b = format!("localhost:{port_b}");
    let then_c = format!("localhost:{port_c}");
    let target = format!("localhost:{port_a}");
    let ca = f("ca/root-cert.pem");
    let mut client = node_tls(&[
        "connect", "--json", "--send", "hi", "--ca", &ca, "--count", "2", "--then", &then_b,
        "--then", &then_c, &target,
    ]);
    let reused: Vec<Value> = (0..4)
        .map(|_| client.expect_event("secureConnect")["sessionReused"].clone())
        .collect();
    assert_eq!(reused, [false, true, true, false]);
    assert_eq!(client.wait().code(), Some(0));
}

#[test]
fn handshake_timeout_is_a_client_error() {
    let (mut server, port) = rsa_server(&["--handshake-timeout", "200"]);
    let _silent = std::net::TcpStream::connect(format!("127.0.0.1:{port}")).unwrap();
    let error = server.expect_event("clientError");
    assert_eq!(error["code"], "ERR_TLS_HANDSHAKE_TIMEOUT");
}

#[test]
fn dhparam_and_unreadable_files() {
    let dir = TempDir::new("files");
    let missing = dir.path("missing.pem").display().to_string();
    let message = config_error(&["serve", "--cert", &missing]);
    assert!(message.contains("--cert"), "{message}");
    // Node's fs error codes; half a key pair and an impossible port are named too.
    let key = f("leaf/p256-key.pem");
    let cert = f("leaf/p256-cert.pem");
    let dir_path = dir.path("").display().to_string();
    let cases: [(Vec<&str>, &str, &str); 6] = [
        (
            vec!["--cert", &missing],
            "ENOENT",
            "ENOENT: no such file or directory, open '",
        ),
        (vec!["--ca", &dir_path], "EISDIR", "--ca file: EISDIR"),
        (
            vec!["--key", &key],
            "ERR_MISSING_OPTION",
            "--key needs --cert",
        ),
        (
            vec!["--cert", &cert],
            "ERR_MISSING_OPTION",
            "--cert needs --key",
        ),
        (
            vec!["--port", "70000"],
            "ERR_INVALID_ARG_VALUE",
            "invalid --port value `70000`: out of range",
        ),
        (
            vec!["--port", "eighty"],
            "ERR_INVALID_ARG_VALUE",
            "invalid --port value `eighty`: expected a number",
        ),
    ];
    for (args, code, text) in cases {
        let mut all = vec!["serve", "--json"];
        all.extend(args.iter().copied());
        let mut p = node_tls(&all);
        let error = p.expect_event("error");
        assert_eq!(p.wait().code(), Some(2), "{args:?}: {error}");
        assert_eq!(error["code"], code, "{args:?}: {error}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains(text), "{args:?}: {message}");
    }
}

/// The `code` of a configuration error is Node's for the same mistake (measured with
/// Node 20's `tls.createSecureContext`), or the nearest OpenSSL code where Node accepts
/// what rustls cannot do.
#[test]
fn configuration_error_codes_are_nodes() {
    let enc = f("keys/rsa-pbes2-aes256-sha256.pem");
    let cert = f("keys/rsa-cert.pem");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec![
                "--key".into(),
                enc.clone(),
                "--cert".into(),
                cert.clone(),
                "--passphrase".into(),
                "bad".into(),
            ],
            "ERR_OSSL_BAD_DECRYPT",
        ),
        (
            vec!["--key".into(), enc, "--cert".into(), cert],
            "ERR_OSSL_BAD_DECRYPT",
        ),
        (
            vec![
                "--pfx".into(),
                f("pfx/nokey.pfx"),
                "--passphrase".into(),
                "secret".into(),
            ],
            "ERR_CRYPTO_OPERATION_FAILED",
        ),
        (
            vec!["--ciphers".into(), "RC4-SHA".into()],
            "ERR_SSL_NO_CIPHER_MATCH",
        ),
        (
            vec!["--ciphers".into(), "ALL:@BOGUS".into()],
            "ERR_SSL_INVALID_COMMAND",
        ),
        (
            vec!["--ecdh-curve".into(), "bogus".into()],
            "ERR_CRYPTO_OPERATION_FAILED",
        ),
        (
            vec!["--secure-protocol".into(), "SSLv3_method".into()],
            "ERR_TLS_INVALID_PROTOCOL_METHOD",
        ),
        (
            vec!["--secure-protocol".into(), "Bogus_method".into()],
            "ERR_TLS_INVALID_PROTOCOL_METHOD",
        ),
        (
            vec!["--max-version".into(), "TLSv9".into()],
            "ERR_TLS_INVALID_PROTOCOL_VERSION",
        ),
        (
            vec![
                "--secure-protocol".into(),
                "TLS_method".into(),
                "--min-version".into(),
                "TLSv1.2".into(),
            ],
            "ERR_TLS_PROTOCOL_VERSION_CONFLICT",
        ),
        (
            vec!["--ticket-keys".into(), "00".repeat(47)],
            "ERR_INVALID_ARG_VALUE",
        ),
        (
            vec![
                "--key".into(),
                f("leaf/p256-key.pem"),
                "--cert".into(),
                f("leaf/rsa2048-cert.pem"),
            ],
            "ERR_OSSL_X509_KEY_VALUES_MISMATCH",
        ),
    ];
    for (args, code) in cases {
        let mut all = vec!["serve".to_string(), "--json".into()];
        all.extend(args.iter().cloned());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let mut p = node_tls(&all);
        let error = p.expect_event("error");
        assert_eq!(p.wait().code(), Some(2));
        assert_eq!(error["code"], code, "{args:?}: {error}");
    }
}

/// An old-protocol client (TLS 1.1, TLS 1.0) gets what Node's server gives it: the
/// `protocol_version` alert, and a `clientError` "unsupported protocol".
#[test]
fn old_protocol_clients_are_refused_like_node() {
    if !have("openssl") {
        return;
    }
    let (mut server, port) = rsa_server(&[]);
    for version in ["-tls1_1", "-tls1"] {
        let text = s_client(&port, &[version]);
        assert!(text.contains("alert protocol version"), "{version}: {text}");
        let error = server.expect_event("clientError");
        assert_eq!(error["code"], "ERR_SSL_UNSUPPORTED_PROTOCOL", "{version}");
    }
}

#[test]
fn serve_stops_reading_a_node_client_that_stops_reading() {
    if !have("node") {
        return;
    }
    // The docs' echo server against a Node client that pauses (reads nothing) and
    // writes 32 MiB, honouring write()'s back-pressure: the server must stop reading
    // once its own output backs up, so the client is held back well before the end;
    // once the client reads again, every byte comes back.
    let (_server, port) = rsa_server(&[]);
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca] = process.argv.slice(1);
const TOTAL = 32 << 20, chunk = Buffer.alloc(65536, 'a');
const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca) }, () => {
  s.pause();
  let sent = 0, last = -1, quiet = 0, got = 0;
  const pump = () => { while (sent < TOTAL) { sent += chunk.length; if (!s.write(chunk)) return; } };
  s.on('drain', pump);
  pump();
  const t = setInterval(() => {
    if (sent !== last) { last = sent; quiet = 0; return; }
    if (++quiet < 20) return;
    clearInterval(t);
    console.log(JSON.stringify({ event: 'stalled', sent }));
    s.on('data', (d) => {
      got += d.length;
      if (got === TOTAL) { console.log(JSON.stringify({ event: 'done', got })); s.end(); }
    });
    s.resume();
  }, 25);
});
s.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
"#;
    let ca = f("ca/root-cert.pem");
    let mut node = Proc::node(script, &[&port, &ca]);
    let stalled = node.expect_event("stalled");
    let sent = stalled["sent"].as_u64().unwrap();
    assert!(sent < 32 << 20, "the server read everything: {stalled}");
    let done = node.expect_event("done");
    assert_eq!(done["got"], 32 << 20);
}

#[test]
fn a_server_out_of_file_descriptors_accepts_again_once_some_are_free() {
    // With `ulimit -n 16` the server runs out of descriptors; the connections it could
    // not accept wait in the backlog, and epoll (edge-triggered) will not report them
    // again: the server must retry on its own once descriptors are free. As Node's, the
    // server emits `'error'` (`accept EMFILE`) and keeps listening; once per run of
    // failures, not per retry.
    let key = f("leaf/p256-key.pem");
    let cert = f("leaf/p256-chain.pem");
    let bin = env!("CARGO_BIN_EXE_node-tls");
    let mut cmd = Command::new("sh");
    cmd.arg("-c").arg(format!(
        "ulimit -n 16 && exec '{bin}' serve --json --port 0 --key '{key}' --cert '{cert}'"
    ));
    let mut server = Proc::spawn(cmd);
    let port = server.expect_event("listening")["address"]["port"]
        .as_u64()
        .unwrap();
    let hogs: Vec<std::net::TcpStream> = (0..24)
        .map(|_| std::net::TcpStream::connect(("127.0.0.1", port as u16)).unwrap())
        .collect();
    let target = format!("127.0.0.1:{port}");
    let ca = f("ca/root-cert.pem");
    let mut client = node_tls(&[
        "connect",
        "--json",
        "--send",
        "hi",
        "--ca",
        &ca,
        "--servername",
        "localhost",
        &target,
    ]);
    // the client sits in the backlog while every descriptor is taken
    assert!(client.line_within(Duration::from_millis(500)).is_none());
    let error = server.expect_event("error");
    assert_eq!(error["code"], "EMFILE", "{error}");
    assert_eq!(error["message"], "accept EMFILE", "{error}");
    drop(hogs);
    let secure = client.expect_event("secureConnect");
    assert_eq!(secure["authorized"], true, "{secure}");
    assert_eq!(client.wait().code(), Some(0));
    server.expect_event("secureConnection");
    // A run of failed retries (every 50 ms) is one error; a new run starts only after
    // a connection was accepted, so no two errors come back to back.
    let is_error = |l: &String| l.contains(r#""event":"error""#);
    let seen = server.seen();
    assert!(
        !seen.windows(2).any(|w| is_error(&w[0]) && is_error(&w[1])),
        "{seen:#?}"
    );
}

#[test]
fn alpn_against_node_and_openssl_both_ways() {
    if !have("node") || !have("openssl") {
        return;
    }
    let (mut server, port) = rsa_server(&["--alpn", "h2,http/1.1"]);
    // Node's client: the server's preference wins, as between two Node peers
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca, list] = process.argv.slice(1);
const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca),
  ALPNProtocols: list.split(',') }, () => {
  console.log(JSON.stringify({ event: 'secureConnect', alpnProtocol: s.alpnProtocol }));
  s.end();
});
s.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
"#;
    let ca = f("ca/root-cert.pem");
    let mut node = Proc::node(script, &[&port, &ca, "http/1.1,h2"]);
    assert_eq!(node.expect_event("secureConnect")["alpnProtocol"], "h2");
    assert_eq!(
        server.expect_event("secureConnection")["alpnProtocol"],
        "h2"
    );
    let mut node = Proc::node(script, &[&port, &ca, "spdy/1"]);
    assert_eq!(
        node.expect_event("error")["code"],
        "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
    );
    assert_eq!(
        server.expect_event("clientError")["code"],
        "ERR_SSL_NO_APPLICATION_PROTOCOL"
    );
    // openssl s_client -alpn, and an NPN-only client (NPN is offered as ALPN: nothing
    // negotiated, but it connects)
    for (flag, expect) in [
        ("-alpn", "ALPN protocol: http/1.1"),
        ("-nextprotoneg", "No ALPN negotiated"),
    ] {
        let text = s_client(
            &port,
            &[flag, "http/1.1", "-CAfile", &ca, "-servername", "localhost"],
        );
        assert!(text.contains(expect), "{flag}: {text}");
    }
    // our client against Node's server
    let node_server = r#"
const tls = require('tls'), fs = require('fs');
const [key, cert, list] = process.argv.slice(1);
const srv = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert),
  ALPNProtocols: list.split(',') }, (s) => { s.end(); });
srv.on('tlsClientError', (e) => console.log(JSON.stringify({ event: 'tlsClientError', code: e.code })));
srv.listen(0, () => console.log(JSON.stringify({ event: 'listening', port: srv.address().port })));
"#;
    let (mut ns, node_port) = node_rsa_server(node_server, "h2,http/1.1");
    let target = format!("localhost:{node_port}");
    let mut client = node_tls(&[
        "connect",
        "--json",
        "--send",
        "hi",
        "--ca",
        &ca,
        "--alpn",
        "http/1.1,h2",
        &target,
    ]);
    assert_eq!(client.expect_event("secureConnect")["alpnProtocol"], "h2");
    let mut client = node_tls(&["connect", "--json", "--ca", &ca, "--alpn", "x", &target]);
    assert_eq!(
        client.expect_event("error")["code"],
        "ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"
    );
    assert_eq!(
        ns.expect_event("tlsClientError")["code"],
        "ERR_SSL_NO_APPLICATION_PROTOCOL"
    );
    // a bad list is a configuration error, exit 2
    let mut bad = node_tls(&["connect", "--json", "--alpn", "a,,b", &target]);
    assert_eq!(bad.wait().code(), Some(2));
}

#[test]
fn sni_contexts_against_node_and_openssl_clients() {
    if !have("node") || !have("openssl") {
        return;
    }
    let sni = format!(
        "*.example.com={},{}",
        f("leaf/rsa2048-key.pem"),
        f("leaf/rsa2048-chain.pem")
    );
    let (mut server, port) = serve(&[
        "--key",
        &f("leaf/p256-key.pem"),
        "--cert",
        &f("leaf/p256-chain.pem"),
        "--sni",
        &sni,
    ]);
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca, name] = process.argv.slice(1);
const s = tls.connect({ port: Number(port), host: '127.0.0.1', ca: fs.readFileSync(ca),
  servername: name || undefined }, () => {
  const c = s.getPeerCertificate();
  console.log(JSON.stringify({ event: 'secureConnect', authorized: s.authorized,
    rsa: c.modulus !== undefined }));
  s.end();
});
s.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
"#;
    let ca = f("ca/root-cert.pem");
    for (name, rsa) in [("a.example.com", true), ("localhost", false), ("", false)] {
        let mut node = Proc::node(script, &[&port, &ca, name]);
        let secure = node.expect_event("secureConnect");
        assert_eq!(secure["rsa"], rsa, "{name}: {secure}");
        let line = server.expect_event("secureConnection");
        let expected = if name.is_empty() {
            Value::Null
        } else {
            Value::from(name)
        };
        assert_eq!(line["servername"], expected, "{line}");
    }
    let text = s_client(&port, &["-servername", "b.example.com", "-CAfile", &ca]);
    assert!(text.contains("Server public key is 2048 bit"), "{text}");
    // a spec without a name, or with a missing file: exit 2 before listening
    for bad in [
        "=a,b",
        "x.test=/nonexistent/key.pem,/nonexistent/cert.pem",
        "x.test=onlyone",
    ] {
        let mut s = node_tls(&["serve", "--json", "--port", "0", "--sni", bad]);
        assert_eq!(s.wait().code(), Some(2), "{bad}");
    }
}

#[test]
fn ocsp_stapling_against_node_and_openssl_both_ways() {
    if !have("node") || !have("openssl") {
        return;
    }
    use base64::Engine;
    let staple = std::fs::read(fixture("ocsp/good.der")).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD.encode(&staple);
    let ca = f("ca/root-cert.pem");
    let (mut server, port) = rsa_server(&["--ocsp-response", &f("ocsp/good.der")]);
    // Node's client, both versions: OCSPResponse (the file's bytes) before secureConnect;
    // without requestOCSP, no event
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca, version, ask] = process.argv.slice(1);
const events = [];
const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca),
  maxVersion: version, requestOCSP: ask === 'ask' }, () => {
  events.push('secureConnect');
  s.end();
});
s.on('OCSPResponse', (r) => events.push(r ? 'OCSPResponse:' + r.toString('base64') : 'OCSPResponse:null'));
s.on('error', (e) => events.push('error:' + e.code));
s.on('close', () => console.log(JSON.stringify({ event: 'done', events })));
"#;
    for version in ["TLSv1.2", "TLSv1.3"] {
        let mut node = Proc::node(script, &[&port, &ca, version, "ask"]);
        let done = node.expect_event("done");
        let expected = [format!("OCSPResponse:{b64}"), "secureConnect".to_string()];
        assert_eq!(done["events"], serde_json::json!(expected), "{version}");
        server.expect_event("secureConnection");
        let mut node = Proc::node(script, &[&port, &ca, version, "no"]);
        let done = node.expect_event("done");
        assert_eq!(
            done["events"],
            serde_json::json!(["secureConnect"]),
            "{version}"
        );
        server.expect_event("secureConnection");
    }
    // openssl s_client -status reads and checks our staple
    for version in ["-tls1_2", "-tls1_3"] {
        let text = s_client(
            &port,
            &[
                version,
                "-status",
                "-CAfile",
                &ca,
                "-servername",
                "localhost",
            ],
        );
        assert!(text.contains("Cert Status: good"), "{version}: {text}");
    }
    // our client: the staple of Node's server (OCSPRequest with the certificate and
    // issuer DER) and of openssl s_server -status_file; null from a server without one
    let node_server = r#"
const tls = require('tls'), fs = require('fs');
const [key, cert, staple] = process.argv.slice(1);
const srv = tls.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
  (s) => { s.end(); });
srv.on('OCSPRequest', (c, issuer, cb) => {
  console.log(JSON.stringify({ event: 'OCSPRequest', cert: c.length, issuer: issuer && issuer.length }));
  setTimeout(() => cb(null, fs.readFileSync(staple)), 20);
});
srv.listen(0, () => console.log(JSON.stringify({ event: 'listening', port: srv.address().port })));
"#;
    let (mut ns, node_port) = node_rsa_server(node_server, &f("ocsp/good.der"));
    let ours = |port: &str, extra: &[&str]| {
        let target = format!("localhost:{port}");
        let mut args = vec!["connect", "--json", "--send", "hi", "--ca", &ca];
        args.extend_from_slice(extra);
        args.push(&target);
        let mut client = node_tls(&args);
        let events: Vec<Value> = client
            .rest()
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(client.wait().code(), Some(0), "{events:?}");
        let secure = events.iter().position(|e| e["event"] == "secureConnect");
        assert!(secure.is_some(), "{events:?}");
        // the event before secureConnect, if any
        let before = secure
            .and_then(|i| i.checked_sub(1))
            .map(|i| events[i].clone());
        (before.unwrap_or(Value::Null), events)
    };
    let (first, _) = ours(&node_port, &["--request-ocsp"]);
    assert_eq!(first["event"], "OCSPResponse");
    assert_eq!(first["response"], b64.as_str());
    let asked = ns.expect_event("OCSPRequest");
    let leaf = std::fs::read_to_string(fixture("leaf/rsa2048-cert.pem")).unwrap();
    let der_len = |pem: &str| context::pem::parse(pem.as_bytes()).unwrap()[0].der.len();
    assert_eq!(asked["cert"], der_len(&leaf));
    let int = std::fs::read_to_string(fixture("ca/intermediate-cert.pem")).unwrap();
    assert_eq!(asked["issuer"], der_len(&int));
    let mut s_server = Proc::spawn({
        let mut cmd = Command::new("openssl");
        cmd.args(["s_server", "-accept", "0", "-naccept", "2"])
            .args(["-key", &f("leaf/rsa2048-key.pem")])
            .args(["-cert", &f("leaf/rsa2048-cert.pem")])
            .args(["-cert_chain", &f("ca/intermediate-cert.pem")])
            .args(["-status_file", &f("ocsp/good.der")]);
        cmd
    });
    let accept = s_server.expect("ACCEPT", |l| l.starts_with("ACCEPT"));
    let s_port = accept.rsplit(':').next().unwrap().trim().to_string();
    for version in ["TLSv1.2", "TLSv1.3"] {
        let (first, _) = ours(&s_port, &["--request-ocsp", "--max-version", version]);
        assert_eq!(first["response"], b64.as_str(), "{version}");
    }
    let (mut plain, plain_port) = rsa_server(&[]);
    let (first, _) = ours(&plain_port, &["--request-ocsp"]);
    assert_eq!(
        first,
        serde_json::json!({"event": "OCSPResponse", "response": null})
    );
    // not asked: no event
    let (first, _) = ours(&node_port, &[]);
    assert_eq!(first, Value::Null);
    // a missing file is a configuration error, before listening
    let mut bad = node_tls(&[
        "serve",
        "--json",
        "--port",
        "0",
        "--ocsp-response",
        "/nonexistent",
    ]);
    assert_eq!(bad.wait().code(), Some(2));
    plain.terminate();
    server.terminate();
}

#[test]
fn openssl_s_client_resumes_by_session_id_and_by_ticket() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("sess");
    let file = dir.path("session.pem").display().to_string();
    let ca = f("ca/root-cert.pem");
    // tickets on, and off (`SSL_OP_NO_TICKET`: a TLS 1.2 session id, a TLS 1.3
    // stateful ticket), each protocol
    for options in ["0", "0x4000"] {
        let (mut server, port) = rsa_server(&["--secure-options", options]);
        for version in ["-tls1_2", "-tls1_3"] {
            let run = |sess: &[&str]| {
                let mut child = Command::new("openssl")
                    .args([
                        "s_client",
                        "-connect",
                        &format!("127.0.0.1:{port}"),
                        version,
                    ])
                    .args(["-CAfile", &ca, "-servername", "localhost"])
                    .args(sess)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::null())
                    .spawn()
                    .unwrap();
                // stay a moment: TLS 1.3 tickets come after the handshake
                let mut stdin = child.stdin.take().unwrap();
                std::io::Write::write_all(&mut stdin, b"hi\n").unwrap();
                std::thread::sleep(Duration::from_millis(300));
                drop(stdin);
                let out = child.wait_with_output().unwrap();
                String::from_utf8_lossy(&out.stdout).into_owned()
            };
            let first = run(&["-sess_out", &file]);
            assert!(first.contains("\nNew, "), "{options} {version}: {first}");
            let second = run(&["-sess_in", &file]);
            assert!(
                second.contains("\nReused, "),
                "{options} {version}: {second}"
            );
            for reused in [false, true] {
                let line = server.expect_event("secureConnection");
                assert_eq!(line["sessionReused"], reused, "{options} {version}: {line}");
            }
        }
        server.terminate();
    }
}

/// Every flag of the contract (`../shared/CLI.md`'s synopsis) is in the help of its
/// subcommand; `--help` and `--version` exit 0 with the text on stdout.
#[test]
fn help_lists_every_flag_of_the_contract() {
    let contract = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/CLI.md");
    let Ok(text) = std::fs::read_to_string(&contract) else {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is missing",
            contract.display()
        );
        eprintln!("skipped: {} not found", contract.display());
        return;
    };
    let synopsis = text.split("```").nth(1).expect("the synopsis block");
    let (serve_part, connect_part) = synopsis
        .split_once("node-tls connect [OPTIONS]")
        .expect("the connect synopsis");
    let flags = |part: &str| -> Vec<String> {
        let mut out = Vec::new();
        for (i, _) in part.match_indices("--") {
            let name: String = part[i + 2..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '-')
                .collect();
            if !name.is_empty() {
                out.push(format!("--{name}"));
            }
        }
        out
    };
    let help = |sub: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_node-tls"))
            .args([sub, "--help"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{sub} --help");
        String::from_utf8(out.stdout).unwrap()
    };
    for (sub, part) in [("serve", serve_part), ("connect", connect_part)] {
        let help = help(sub);
        let wanted = flags(part);
        assert!(wanted.len() > 10, "{sub}: {wanted:?}");
        for flag in wanted {
            let listed = help
                .lines()
                .any(|l| l.trim_start().starts_with(&format!("{flag} ")) || l.trim() == flag);
            assert!(listed, "{sub} --help lacks {flag}:\n{help}");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_node-tls"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        format!("node-tls {}\n", env!("CARGO_PKG_VERSION"))
    );
}

/// `SSLKEYLOGFILE` for the command: `serve` writes the lines Node's client logs
/// (Node's `'keylog'`), the same secrets of the same session.
#[test]
fn sslkeylogfile_gets_the_commands_lines() {
    if !have("node") {
        return;
    }
    let dir = TempDir::new("keylog");
    let file = dir.path("keys.log");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_node-tls"));
    cmd.env("SSLKEYLOGFILE", &file).args([
        "serve",
        "--json",
        "--port",
        "0",
        "--key",
        &f("leaf/p256-key.pem"),
        "--cert",
        &f("leaf/p256-chain.pem"),
    ]);
    let mut server = Proc::spawn(cmd);
    let port = server.listening_port().to_string();
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, ca] = process.argv.slice(1);
const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca) },
  () => s.end());
s.on('keylog', (line) => console.log(JSON.stringify({ event: 'keylog', line: line.toString() })));
s.on('data', () => {});
s.on('close', () => console.log(JSON.stringify({ event: 'close' })));
"#;
    let ca = f("ca/root-cert.pem");
    let mut node = Proc::node(script, &[&port, &ca]);
    node.expect_event("close");
    let theirs: std::collections::BTreeSet<String> = node
        .seen()
        .iter()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["event"] == "keylog")
        .map(|v| v["line"].as_str().unwrap().to_string())
        .collect();
    server.terminate();
    let written = std::fs::read_to_string(&file).unwrap();
    let ours: std::collections::BTreeSet<String> =
        written.split_inclusive('\n').map(String::from).collect();
    // TLS 1.3: five secrets, one client random
    assert_eq!(ours.len(), 5, "{written}");
    assert_eq!(ours, theirs);
}

/// `serve --threads 3`: three loops on three threads share the port; every connection
/// is served (the kernel spreads them), SIGTERM stops every loop and the command
/// exits 0; `--threads 0` and `--threads` with `--path` are usage errors (exit 2).
#[test]
fn serve_with_threads_shares_one_port() {
    let (mut server, port) = rsa_server(&["--threads", "3"]);
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
    let threads: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    // the main loop, two workers, the signal thread
    assert!(threads >= 4, "{threads} threads");
    for _ in 0..12 {
        let (secure, code) = connect(&port, &["--ca", &f("ca/root-cert.pem")]);
        assert_eq!(secure["authorized"], true, "{secure}");
        assert_eq!(code, Some(0));
    }
    assert_eq!(server.terminate().code(), Some(0));
    let message = config_error(&["serve", "--port", "0", "--threads", "0"]);
    assert!(message.contains("--threads"), "{message}");
    let dir = TempDir::new("threads");
    let path = dir.path("sock").display().to_string();
    let message = config_error(&["serve", "--threads", "2", "--path", &path]);
    assert!(message.contains("--path"), "{message}");
}
