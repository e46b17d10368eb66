//! The spec's golden path, end to end through the `node-tls` command, against Node 20
//! and OpenSSL 3 as peers. Certificates are made with exactly the spec's commands.

use serde_json::Value;
use std::process::Command;
use suite::{have, spec_certificate, Proc, TempDir, NODE_SPEC_CLIENT, NODE_SPEC_SERVER};

fn node_tls(args: &[&str]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-tls"));
    cmd.args(args);
    Proc::spawn(cmd)
}

fn port_of(listening: &Value) -> u16 {
    listening["address"]["port"]
        .as_u64()
        .or_else(|| listening["port"].as_u64())
        .expect("a port") as u16
}

/// Server and client certificates made as the spec says.
fn spec_pki() -> (TempDir, impl Fn(&str) -> String) {
    let dir = TempDir::new("spec");
    spec_certificate(&dir.path(""), "server", "localhost");
    spec_certificate(&dir.path(""), "client", "client");
    let base = dir.path("");
    (dir, move |name: &str| base.join(name).display().to_string())
}

/// Step 2: our server, Node's client, both authorized; welcome and echo arrive.
#[test]
fn node_client_against_our_spec_server() {
    if !have("node") || !have("openssl") {
        return;
    }
    let (_dir, p) = spec_pki();
    let mut server = node_tls(&[
        "serve",
        "--key",
        &p("server-key.pem"),
        "--cert",
        &p("server-cert.pem"),
        "--request-cert",
        "--ca",
        &p("client-cert.pem"),
        "--mode",
        "welcome",
        "--port",
        "0",
        "--json",
    ]);
    let port = port_of(&server.expect_event("listening")).to_string();
    let mut client = Proc::node(
        NODE_SPEC_CLIENT,
        &[
            &port,
            "localhost",
            &p("client-key.pem"),
            &p("client-cert.pem"),
            &p("server-cert.pem"),
            "true",
        ],
    );
    let connected = client.expect_event("secureConnect");
    assert_eq!(connected["authorized"], true, "{connected}");
    let mut text = String::new();
    while !text.contains("hello") {
        text += client.expect_event("data")["text"].as_str().unwrap();
    }
    assert_eq!(text, "welcome!\nhello");
    client.expect_event("close");

    let secure = server.expect_event("secureConnection");
    assert_eq!(secure["authorized"], true, "{secure}");
    assert_eq!(secure["authorizationError"], Value::Null);
    assert_eq!(secure["peerCertificate"]["subject"]["CN"], "client");
    // Node's tls.connect sends no SNI unless given `servername`.
    assert_eq!(secure["servername"], Value::Null);
    let data = server.expect_event("data");
    assert_eq!(data["text"], "hello");
    server.expect_event("end");
    let close = server.expect_event("close");
    assert_eq!(close["hadError"], false);
    assert!(server.terminate().success());
}

/// Step 3: Node's spec server, our client, both authorized, data echoed.
#[test]
fn our_client_against_node_spec_server() {
    if !have("node") || !have("openssl") {
        return;
    }
    let (_dir, p) = spec_pki();
    let mut server = Proc::node(
        NODE_SPEC_SERVER,
        &[
            &p("server-key.pem"),
            &p("server-cert.pem"),
            &p("client-cert.pem"),
            "true",
        ],
    );
    let port = port_of(&server.expect_event("listening"));
    let target = format!("localhost:{port}");
    let mut client = node_tls(&[
        "connect",
        "--key",
        &p("client-key.pem"),
        "--cert",
        &p("client-cert.pem"),
        "--ca",
        &p("server-cert.pem"),
        "--send",
        "hello",
        "--json",
        &target,
    ]);
    let secure = client.expect_event("secureConnect");
    assert_eq!(secure["authorized"], true, "{secure}");
    assert_eq!(secure["servername"], "localhost");
    assert_eq!(secure["peerCertificate"]["subject"]["CN"], "localhost");
    let mut text = String::new();
    while !text.contains("hello") {
        text += client.expect_event("data")["text"].as_str().unwrap();
    }
    assert_eq!(text, "welcome!\nhello");
    client.expect_event("end");
    assert_eq!(client.expect_event("close")["hadError"], false);
    assert!(client.wait().success());
    let seen = server.expect_event("secureConnection");
    assert_eq!(seen["authorized"], true, "{seen}");
}

/// Step 4: `openssl s_client` against `serve` with the embedded certificate.
#[test]
fn openssl_s_client_against_embedded_certificate() {
    if !have("openssl") {
        return;
    }
    let mut server = node_tls(&["serve", "--port", "0", "--json"]);
    let port = port_of(&server.expect_event("listening"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{port}"),
        "-quiet",
        "-ign_eof",
    ]);
    let mut client = Proc::spawn(cmd);
    client.write(b"hello openssl\n");
    client.expect("the echo", |l| l == "hello openssl");
    let secure = server.expect_event("secureConnection");
    assert_eq!(
        secure["authorized"], false,
        "no client certificate was requested"
    );
    assert_eq!(secure["protocol"], "TLSv1.3");
    assert_eq!(server.expect_event("data")["text"], "hello openssl\n");
    drop(client);
    assert!(server.terminate().success());
}

/// Step 5: without `ca` our client refuses the spec's self-signed server, as Node's does;
/// with `--reject-unauthorized false` it connects, unauthorized, with the same code.
#[test]
fn self_signed_server_refused_like_node() {
    if !have("node") || !have("openssl") {
        return;
    }
    let (_dir, p) = spec_pki();
    let mut server = Proc::node(
        NODE_SPEC_SERVER,
        &[&p("server-key.pem"), &p("server-cert.pem"), "-", "false"],
    );
    let port = port_of(&server.expect_event("listening"));
    let target = format!("localhost:{port}");

    // What Node's own client does.
    let mut node = Proc::node(
        NODE_SPEC_CLIENT,
        &[&port.to_string(), "localhost", "-", "-", "-", "true"],
    );
    let node_error = node.expect_event("error");

    let mut refused = node_tls(&["connect", "--send", "hi", "--json", &target]);
    let error = refused.expect_event("error");
    assert_eq!(error["code"], "DEPTH_ZERO_SELF_SIGNED_CERT");
    assert_eq!(error["code"], node_error["code"]);
    assert_eq!(error["message"], node_error["message"]);
    assert_eq!(refused.expect_event("close")["hadError"], true);
    assert_eq!(refused.wait().code(), Some(1));

    let mut node = Proc::node(
        NODE_SPEC_CLIENT,
        &[&port.to_string(), "localhost", "-", "-", "-", "false"],
    );
    let node_secure = node.expect_event("secureConnect");
    let mut lenient = node_tls(&[
        "connect",
        "--reject-unauthorized",
        "false",
        "--send",
        "hi",
        "--json",
        &target,
    ]);
    let secure = lenient.expect_event("secureConnect");
    assert_eq!(secure["authorized"], false);
    assert_eq!(secure["authorizationError"], "DEPTH_ZERO_SELF_SIGNED_CERT");
    assert_eq!(
        secure["authorizationError"],
        node_secure["authorizationError"]
    );
    lenient.expect_event("close");
    assert_eq!(lenient.wait().code(), Some(0));

    // Human-readable output, as in the Node docs.
    let mut human = node_tls(&[
        "connect",
        "--reject-unauthorized",
        "false",
        "--send",
        "hi",
        &target,
    ]);
    human.expect("the docs' line", |l| {
        l == "client connected unauthorized: DEPTH_ZERO_SELF_SIGNED_CERT"
    });
}

/// Bad options are configuration errors: reported before connecting, exit status 2.
#[test]
fn configuration_errors_exit_2() {
    let dir = TempDir::new("cfg");
    std::fs::write(dir.path("bad.pem"), "not pem").unwrap();
    let bad = dir.path("bad.pem").display().to_string();
    let mut c = node_tls(&["connect", "--ca", &bad, "--json", "1"]);
    let error = c.expect_event("error");
    assert!(
        error["message"].as_str().unwrap().contains("`ca`"),
        "{error}"
    );
    assert_eq!(c.wait().code(), Some(2));
    let mut s = node_tls(&["serve", "--key", &bad, "--json", "--port", "0"]);
    s.expect_event("error");
    assert_eq!(s.wait().code(), Some(2));
    let mut u = node_tls(&["serve", "--frobnicate"]);
    assert_eq!(u.wait().code(), Some(2));
}

/// The spec's client reads stdin and prints what arrives: piped input is sent (with
/// backpressure), EOF ends the connection, the echo is printed, exit status 0.
#[test]
fn stdin_is_piped_to_the_server_and_the_echo_printed() {
    let mut server = node_tls(&["serve", "--port", "0", "--json"]);
    let port = port_of(&server.expect_event("listening")).to_string();
    let mut client = node_tls(&["connect", "--reject-unauthorized", "false", &port]);
    let line = "x".repeat(70_000);
    client.write(line.as_bytes());
    client.write(b"\nbye\n");
    client.close_stdin();
    assert_eq!(
        client.next_line().as_deref(),
        Some("client connected unauthorized: DEPTH_ZERO_SELF_SIGNED_CERT")
    );
    assert_eq!(client.next_line().as_deref(), Some(line.as_str()));
    assert_eq!(client.next_line().as_deref(), Some("bye"));
    assert_eq!(client.wait().code(), Some(0));
    let mut received = 0;
    while received < line.len() + 5 {
        received += server.expect_event("data")["length"].as_u64().unwrap() as usize;
    }
    assert_eq!(received, line.len() + 5);
    server.expect_event("end");
}

/// `connect` in human mode exits when the server closes, stdin still open (it does not
/// wait for more input to send): Node's echo client ends with its socket too.
#[test]
fn human_connect_exits_when_the_server_closes() {
    let mut server = node_tls(&["serve", "--json", "--port", "0", "--mode", "welcome"]);
    let port = server.listening_port();
    let target = format!("localhost:{port}");
    let mut client = node_tls(&["connect", "--reject-unauthorized", "false", &target]);
    client.expect("the welcome", |l| l.contains("welcome!"));
    server.expect_event("secureConnection");
    assert!(server.terminate().success());
    // stdout reaches EOF (the process is gone) while the test still holds stdin open
    while let Some(line) = client.next_line() {
        assert!(!line.contains("error"), "{line}");
    }
    assert_eq!(client.wait().code(), Some(0), "{:#?}", client.seen());
}
