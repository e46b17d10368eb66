//! Runs every example of `examples/` (their own code, included here) on loopback and
//! checks what a user of each would see.

#[allow(dead_code)]
#[path = "../examples/echo_client.rs"]
mod echo_client;
#[allow(dead_code)]
#[path = "../examples/echo_server.rs"]
mod echo_server;
#[allow(dead_code)]
#[path = "../examples/mutual_tls.rs"]
mod mutual_tls;
#[allow(dead_code)]
#[path = "../examples/pfx_server.rs"]
mod pfx_server;
#[allow(dead_code)]
#[path = "../examples/sni.rs"]
mod sni;
#[allow(dead_code)]
#[path = "../examples/threads.rs"]
mod threads;

use node_tls::{EventLoop, Server};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

type Lines = Rc<RefCell<Vec<String>>>;

fn logger(lines: &Lines) -> impl Fn(&str) + Clone + 'static {
    let lines = lines.clone();
    move |line: &str| lines.borrow_mut().push(line.to_string())
}

/// The docs' client against `server` (listening on `ev`): sends `hello` as if typed on
/// stdin, through the example's thread and `Remote`; returns what it printed once the
/// connection closed.
fn run_echo_client(ev: &EventLoop, server: &Server) -> Vec<String> {
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let out = Lines::default();
    let socket =
        echo_client::echo_client(ev, port, &fixtures().join("spec"), logger(&out)).unwrap();
    let closed = Rc::new(RefCell::new(None));
    let c = closed.clone();
    socket.on_close(move |_, had_error| *c.borrow_mut() = Some(had_error));
    let input = || std::io::Cursor::new(b"hello\n".to_vec());
    echo_client::pipe_on_connect(ev, &socket, ev.remote(), input);
    let done = ev
        .run_until(|| closed.borrow().is_some(), Duration::from_secs(10))
        .unwrap();
    assert!(done, "the client never closed: {:?}", out.borrow());
    assert_eq!(*closed.borrow(), Some(false));
    server.close();
    ev.run_until(|| !ev.is_alive(), Duration::from_secs(10))
        .unwrap();
    let lines = out.borrow().clone();
    lines
}

/// What the client printed, chunks joined (TCP may split or merge them).
fn client_text(lines: &[String]) -> String {
    lines[1..].concat()
}

#[test]
fn the_docs_echo_server_and_client() {
    let ev = EventLoop::new().unwrap();
    let server_log = Lines::default();
    let server =
        echo_server::echo_server(&ev, &fixtures().join("spec"), logger(&server_log)).unwrap();
    let out = run_echo_client(&ev, &server);
    assert_eq!(out[0], "client connected authorized", "{out:?}");
    assert_eq!(client_text(&out), "welcome!\nhello\n");
    assert_eq!(
        server_log.borrow().as_slice(),
        ["server connected authorized"]
    );
}

#[test]
fn the_docs_pfx_server() {
    let ev = EventLoop::new().unwrap();
    let pfx = fixtures().join("spec/server.pfx");
    let server = pfx_server::pfx_server(&ev, &pfx, "secret").unwrap();
    let out = run_echo_client(&ev, &server);
    assert_eq!(out[0], "client connected authorized", "{out:?}");
    assert_eq!(client_text(&out), "welcome!\nhello\n");
    // a wrong passphrase is an error at creation, with OpenSSL's words
    let err = pfx_server::pfx_server(&ev, &pfx, "wrong").err().unwrap();
    assert!(err.to_string().contains("mac verify failure"), "{err}");
}

#[test]
fn mutual_tls_serves_its_client_and_refuses_the_rogue() {
    let lines = mutual_tls::mutual_tls(&fixtures()).unwrap();
    let has = |line: &str| lines.iter().any(|l| l == line);
    for line in [
        "client1: secureConnect",
        "server: client1 connected",
        "client1: echoed ping",
        "client1: close, hadError false",
        "server: refused a client (ECONNRESET)",
        "rogue: secureConnect",
        "rogue: close, hadError false",
    ] {
        assert!(has(line), "no `{line}` in {lines:#?}");
    }
    assert!(
        !lines.iter().any(|l| l.starts_with("rogue: echoed")),
        "{lines:#?}"
    );
    assert_eq!(lines.len(), 7, "{lines:#?}");
}

#[test]
fn sni_serves_each_name_its_certificate() {
    let mut lines = sni::sni(&fixtures()).unwrap();
    lines.sort();
    let default = "DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, \
                   IP Address:0:0:0:0:0:0:0:1";
    assert_eq!(
        lines,
        [
            format!("localhost: authorized true, certificate for {default}"),
            "other.example.org: authorized true, certificate for DNS:other.example.org".to_string(),
            "server: servername localhost".to_string(),
            "server: servername other.example.org".to_string(),
            "server: servername www.example.com".to_string(),
            format!("www.example.com: authorized true, certificate for {default}"),
        ]
    );
}

#[test]
fn loops_on_threads_share_the_port() {
    let (port, loops) = threads::serve_on_threads(&fixtures().join("spec"), 0, 2).unwrap();
    assert_ne!(port, 0);
    let ev = EventLoop::new().unwrap();
    for _ in 0..6 {
        let sock = node_tls::connect(
            &ev,
            node_tls::ConnectOptions::new(port)
                .ca(std::fs::read(fixtures().join("spec/server-cert.pem")).unwrap()),
        )
        .unwrap();
        let echoed = Rc::new(RefCell::new(Vec::new()));
        sock.on_secure_connect(|sock| {
            sock.write(b"ping");
            sock.end();
        });
        let e = echoed.clone();
        sock.on_data(move |_, d| e.borrow_mut().extend_from_slice(d));
        let closed = Rc::new(RefCell::new(false));
        let c = closed.clone();
        sock.on_close(move |_, _| *c.borrow_mut() = true);
        assert!(ev
            .run_until(|| *closed.borrow(), Duration::from_secs(10))
            .unwrap());
        assert_eq!(echoed.borrow().as_slice(), b"ping");
    }
    for (handle, (stop, remote)) in loops {
        stop.send(()).unwrap();
        remote.wake().unwrap();
        handle.join().unwrap();
    }
}
