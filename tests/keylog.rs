//! Key logging: the `'keylog'` events of our client and server carry the same NSS lines
//! as the peer's, ours or Node 20's (both ends of one session log the same secrets).
//! (`SSLKEYLOGFILE` through the command: crates/cli/tests/options.rs.)

use node_tls::{connect, create_server, ConnectOptions, EventLoop, ServerOptions};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use std::time::Duration;
use suite::{fixture, have, read_fixture, Proc};

type Lines = Rc<RefCell<Vec<String>>>;

fn server_options(version: &str) -> ServerOptions {
    ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"))
        .max_version(version)
}

fn client_options(port: u16) -> ConnectOptions {
    ConnectOptions::new(port).ca(read_fixture("ca/root-cert.pem"))
}

/// A server that ends each connection once secure, its key-log lines collected.
fn keylog_server(ev: &EventLoop, version: &str) -> (node_tls::Server, u16, Lines) {
    let server = create_server(ev, server_options(version)).unwrap();
    let lines = Lines::default();
    let l = lines.clone();
    server.on_keylog(move |_, line| l.borrow_mut().push(String::from_utf8_lossy(line).into()));
    server.on_secure_connection(|sock| sock.end());
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    (server, port, lines)
}

/// The labels of a set of lines, and a check of their shape: `LABEL <64 hex> <hex>\n`,
/// one client random for all.
fn labels(lines: &[String]) -> BTreeSet<String> {
    let mut randoms = BTreeSet::new();
    let labels = lines
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.strip_suffix('\n').unwrap().split(' ').collect();
            assert_eq!(fields.len(), 3, "{line:?}");
            assert_eq!(fields[1].len(), 64, "{line:?}");
            assert!(fields[1..]
                .iter()
                .all(|f| f.bytes().all(|b| b.is_ascii_hexdigit())));
            randoms.insert(fields[1].to_string());
            fields[0].to_string()
        })
        .collect();
    assert_eq!(randoms.len(), 1, "{lines:?}");
    labels
}

fn tls13_labels() -> BTreeSet<String> {
    [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
        "EXPORTER_SECRET",
    ]
    .map(String::from)
    .into()
}

/// Both ends ours, one loop: the client's lines come before its `secureConnect`, and
/// both ends log the same lines (TLS 1.3: five secrets; TLS 1.2: `CLIENT_RANDOM`).
#[test]
fn both_ends_log_the_same_secrets() {
    for version in ["TLSv1.3", "TLSv1.2"] {
        let ev = EventLoop::new().unwrap();
        let (server, port, server_lines) = keylog_server(&ev, version);
        let sock = connect(&ev, client_options(port)).unwrap();
        let client = Lines::default();
        let l = client.clone();
        sock.on_keylog(move |_, line| l.borrow_mut().push(String::from_utf8_lossy(line).into()));
        let l = client.clone();
        sock.on_secure_connect(move |_| l.borrow_mut().push("secureConnect".into()));
        let closed = Rc::new(RefCell::new(false));
        let c = closed.clone();
        sock.on_close(move |_, _| *c.borrow_mut() = true);
        assert!(ev
            .run_until(|| *closed.borrow(), Duration::from_secs(10))
            .unwrap());
        let mut client = client.borrow().clone();
        assert_eq!(
            client.pop().as_deref(),
            Some("secureConnect"),
            "{version}: {client:?}"
        );
        let expected = match version {
            "TLSv1.3" => tls13_labels(),
            _ => ["CLIENT_RANDOM".to_string()].into(),
        };
        assert_eq!(labels(&client), expected, "{version}");
        let ours: BTreeSet<_> = client.iter().cloned().collect();
        let theirs: BTreeSet<_> = server_lines.borrow().iter().cloned().collect();
        assert_eq!(ours, theirs, "{version}");
        server.close();
    }
}

/// Node 20's server logs what our client logs, and our server what Node's client logs.
#[test]
fn the_lines_are_nodes_too() {
    if !have("node") {
        return;
    }
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [mode, a, b, c, version] = process.argv.slice(1);
const print = (line) => console.log(JSON.stringify({ event: 'keylog', line: line.toString() }));
if (mode === 'server') {
  const server = tls.createServer({ key: fs.readFileSync(a), cert: fs.readFileSync(b),
    maxVersion: version }, (s) => s.end());
  server.on('keylog', print);
  server.listen(0, '127.0.0.1', () =>
    console.log(JSON.stringify({ event: 'listening', address: { port: server.address().port } })));
} else {
  const s = tls.connect({ port: Number(a), host: 'localhost', ca: fs.readFileSync(b) },
    () => { console.log(JSON.stringify({ event: 'secureConnect' })); });
  s.on('keylog', print);
  s.on('data', () => {});
  s.on('close', () => console.log(JSON.stringify({ event: 'close' })));
}
"#;
    for version in ["TLSv1.3", "TLSv1.2"] {
        // Node's server, our client
        let key = fixture("leaf/p256-key.pem").display().to_string();
        let cert = fixture("leaf/p256-chain.pem").display().to_string();
        let mut node = Proc::node(script, &["server", &key, &cert, "-", version]);
        let port = node.listening_port();
        let ev = EventLoop::new().unwrap();
        let sock = connect(&ev, client_options(port)).unwrap();
        let ours = Lines::default();
        let l = ours.clone();
        sock.on_keylog(move |_, line| l.borrow_mut().push(String::from_utf8_lossy(line).into()));
        let closed = Rc::new(RefCell::new(false));
        let c = closed.clone();
        sock.on_close(move |_, _| *c.borrow_mut() = true);
        assert!(ev
            .run_until(|| *closed.borrow(), Duration::from_secs(10))
            .unwrap());
        let ours: BTreeSet<String> = ours.borrow().iter().cloned().collect();
        let mut theirs = BTreeSet::new();
        while theirs.len() < ours.len() {
            let line = node.expect_event("keylog");
            theirs.insert(line["line"].as_str().unwrap().to_string());
        }
        assert_eq!(ours, theirs, "Node's server, {version}");
        drop(node);

        // our server, Node's client
        let ev = EventLoop::new().unwrap();
        let (server, port, ours) = keylog_server(&ev, version);
        let port = port.to_string();
        let ca = fixture("ca/root-cert.pem").display().to_string();
        let node = std::thread::spawn(move || {
            let mut node = Proc::node(script, &["client", &port, &ca, "-", "-"]);
            node.expect_event("close");
            node.seen().to_vec()
        });
        // (the Node thread's end does not wake the loop: turn in short steps)
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while !node.is_finished() && std::time::Instant::now() < deadline {
            ev.run_until(|| node.is_finished(), Duration::from_millis(20))
                .unwrap();
        }
        let seen = node.join().unwrap();
        let theirs: BTreeSet<String> = seen
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["event"] == "keylog")
            .map(|v| v["line"].as_str().unwrap().to_string())
            .collect();
        let ours: BTreeSet<String> = ours.borrow().iter().cloned().collect();
        assert!(!ours.is_empty());
        assert_eq!(ours, theirs, "Node's client, {version}");
        server.close();
    }
}
