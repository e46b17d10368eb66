//! `tls.createSecurePair()`: two pairs back to back complete a handshake in memory and
//! move data both ways; one pair over a plain socket of the loop talks to Node 20's
//! tls server.

use node_tls::{create_secure_context, create_secure_pair, net, EventLoop, SecureContextOptions};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};
use suite::{have, read_fixture, Proc, NODE_SPEC_SERVER};

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

fn server_context() -> node_tls::SecureContext {
    create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture("spec/server-key.pem"))
            .cert(read_fixture("spec/server-cert.pem")),
    )
    .unwrap()
}

/// Wires `a.encrypted` to `b.encrypted` both ways.
fn wire(a: &node_tls::SecurePair, b: &node_tls::SecurePair) {
    let to_b = b.encrypted();
    a.encrypted().on_data(move |d| {
        to_b.write(d);
    });
    let to_a = a.encrypted();
    b.encrypted().on_data(move |d| {
        to_a.write(d);
    });
}

#[test]
fn two_pairs_back_to_back() {
    let server = create_secure_pair(Some(server_context()), true, false, false).unwrap();
    let client_ctx = create_secure_context(
        &SecureContextOptions::new().ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let client = create_secure_pair(Some(client_ctx), false, false, true).unwrap();
    let log = Log::default();
    let l = log.clone();
    server.on_secure(move |pair| {
        push(&l, format!("server secure {}", pair.protocol().unwrap()));
        pair.cleartext().write(b"welcome!\n");
    });
    let l = log.clone();
    client.on_secure(move |pair| {
        push(&l, format!("client secure {}", pair.authorized()));
        pair.cleartext().write(b"hello");
    });
    let l = log.clone();
    server
        .cleartext()
        .on_data(move |d| push(&l, format!("server data {}", String::from_utf8_lossy(d))));
    let l = log.clone();
    client
        .cleartext()
        .on_data(move |d| push(&l, format!("client data {}", String::from_utf8_lossy(d))));
    let l = log.clone();
    server.cleartext().on_end(move || push(&l, "server end"));
    wire(&client, &server);
    client.cleartext().end();
    let log = log.borrow().clone();
    for entry in [
        "server secure TLSv1.3",
        "client secure true",
        "server data hello",
        "client data welcome!\n",
        "server end",
    ] {
        assert!(log.iter().any(|e| e == entry), "no `{entry}` in {log:#?}");
    }
    assert_eq!(client.cleartext().bytes_written(), 5);
    assert!(client.encrypted().bytes_written() > 5 + 22);
    let cn = client.peer_certificate().unwrap().subject;
    assert!(
        cn.iter().any(|(k, v)| k == "CN" && v[0] == "localhost"),
        "{cn:?}"
    );
}

/// A client pair with the default roots refuses the spec's self-signed certificate
/// (Node's code), and the server pair sees the session end.
#[test]
fn a_refused_certificate_is_the_pairs_error() {
    let server = create_secure_pair(Some(server_context()), true, false, false).unwrap();
    let client = create_secure_pair(None, false, false, true).unwrap();
    let log = Log::default();
    let l = log.clone();
    client.on_error(move |_, e| push(&l, format!("client error {}", e.code())));
    let l = log.clone();
    client.on_secure(move |_| push(&l, "client secure"));
    wire(&client, &server);
    assert_eq!(
        log.borrow().as_slice(),
        ["client error DEPTH_ZERO_SELF_SIGNED_CERT"]
    );
    // a server pair needs a certificate
    let err = create_secure_pair(None, true, false, false).err().unwrap();
    assert_eq!(err.code(), "ERR_MISSING_OPTION");
}

/// One pair over a plain socket of the loop, to Node's spec server: `welcome!` and
/// the echo come out of `cleartext`.
#[test]
fn a_pair_over_a_socket_talks_to_node() {
    if !have("node") {
        return;
    }
    let key = suite::fixture("spec/server-key.pem").display().to_string();
    let cert = suite::fixture("spec/server-cert.pem").display().to_string();
    let mut node = Proc::node(NODE_SPEC_SERVER, &[&key, &cert, "-", "false"]);
    let port = node.expect_event("listening")["port"].as_u64().unwrap() as u16;
    let ev = EventLoop::new().unwrap();
    let sock = net::connect(&ev, port, "127.0.0.1").unwrap();
    let client_ctx = create_secure_context(
        &SecureContextOptions::new().ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let pair = create_secure_pair(Some(client_ctx), false, false, true).unwrap();
    let to_pair = pair.encrypted();
    sock.on_data(move |_, d| {
        to_pair.write(d);
    });
    let to_sock = sock.clone();
    pair.encrypted().on_data(move |d| {
        to_sock.write(d);
    });
    let text = Rc::new(RefCell::new(String::new()));
    let t = text.clone();
    pair.cleartext()
        .on_data(move |d| t.borrow_mut().push_str(&String::from_utf8_lossy(d)));
    pair.on_secure(|pair| {
        pair.cleartext().write(b"hello");
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text.borrow().contains("hello") && Instant::now() < deadline {
        ev.run_until(
            || text.borrow().contains("hello"),
            Duration::from_millis(50),
        )
        .unwrap();
    }
    assert_eq!(text.borrow().as_str(), "welcome!\nhello");
    assert!(pair.authorized());
    let seen = node.expect_event("secureConnection");
    assert_eq!(seen["protocol"], "TLSv1.3");
    sock.destroy();
}
