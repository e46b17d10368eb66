//! STARTTLS: plaintext first on a plain socket of the loop (`node_tls::net`), then TLS
//! on the same connection, client side (`tls.connect({ socket })`) and server side
//! (`new TLSSocket(socket, { isServer: true })`): between our two ends, against
//! `openssl s_client -starttls smtp`, and against Node 20's `net` + `TLSSocket`.

use node_tls::{net, ConnectOptions, EventLoop, ServerOptions, TlsSocket};
use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};
use suite::{fixture, have, read_fixture, Proc};

type Log = Rc<RefCell<Vec<String>>>;

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

fn tls_server_options() -> ServerOptions {
    ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"))
}

/// A minimal SMTP server's plaintext part: greets, answers `EHLO` offering STARTTLS,
/// and on `STARTTLS` says go ahead and starts TLS (bytes after the command in the same
/// chunk are handed back with `unshift`); over TLS it echoes.
fn smtp_server(ev: &EventLoop, log: &Log) -> (node_tls::Server, u16) {
    let server = net::create_server(ev).unwrap();
    let log = log.clone();
    server.on_connection(move |sock| {
        assert!(!sock.encrypted());
        sock.write(b"220 localhost ESMTP test\r\n");
        let log = log.clone();
        sock.on_data(move |sock, data| {
            let text = String::from_utf8_lossy(data);
            if text.starts_with("EHLO") {
                sock.write(b"250-localhost\r\n250 STARTTLS\r\n");
            } else if let Some(at) = data.windows(10).position(|w| w == b"STARTTLS\r\n") {
                push(&log, "server: STARTTLS");
                sock.write(b"220 2.0.0 Ready to start TLS\r\n");
                sock.unshift(&data[at + 10..]);
                let tls = sock.wrap_server(tls_server_options()).unwrap();
                let l = log.clone();
                tls.on_secure(move |tls| {
                    push(&l, format!("server: secure {}", tls.encrypted()));
                });
                let l = log.clone();
                tls.on_error(move |_, e| push(&l, format!("server: error {}", e.code())));
                tls.pipe(&tls, true);
            }
        });
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    (server, port)
}

/// Our client's SMTP dialogue: waits for the greeting, `EHLO`, `STARTTLS`, and on
/// "220" starts TLS on the same socket; sends `hello` and logs what comes back.
fn smtp_client(ev: &EventLoop, port: u16, log: &Log) -> TlsSocket {
    let sock = net::connect(ev, port, "127.0.0.1").unwrap();
    let l = log.clone();
    sock.on_connect(move |_| push(&l, "client: connect"));
    let log = log.clone();
    let step = Rc::new(RefCell::new(0));
    sock.on_data(move |sock, data| {
        let text = String::from_utf8_lossy(data).to_string();
        let mut step = step.borrow_mut();
        match *step {
            0 if text.starts_with("220 ") => {
                sock.write(b"EHLO client.test\r\n");
                *step = 1;
            }
            1 if text.contains("250 STARTTLS") => {
                sock.write(b"STARTTLS\r\n");
                *step = 2;
            }
            2 if text.starts_with("220 ") => {
                *step = 3;
                push(
                    &log,
                    format!("client: go ahead, encrypted {}", sock.encrypted()),
                );
                let options = ConnectOptions::new(port)
                    .servername("localhost")
                    .ca(read_fixture("ca/root-cert.pem"));
                let tls = sock.start_tls(options).unwrap();
                let l = log.clone();
                tls.on_secure_connect(move |tls| {
                    push(&l, format!("client: secureConnect {}", tls.authorized()));
                    tls.write(b"hello over TLS");
                });
                let l = log.clone();
                tls.on_data(move |tls, d| {
                    push(&l, format!("client: data {}", String::from_utf8_lossy(d)));
                    tls.end();
                });
                let l = log.clone();
                tls.on_close(move |_, had_error| push(&l, format!("client: close {had_error}")));
            }
            _ => push(&log, format!("client: unexpected {text:?}")),
        }
    });
    sock
}

fn run_until(ev: &EventLoop, log: &Log, entry: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let seen = || log.borrow().iter().any(|e| e.starts_with(entry));
    while !seen() && Instant::now() < deadline {
        ev.run_until(seen, Duration::from_millis(50)).unwrap();
    }
    assert!(seen(), "no `{entry}` in {:#?}", log.borrow());
}

#[test]
fn both_ends_ours() {
    let ev = EventLoop::new().unwrap();
    let log = Log::default();
    let (server, port) = smtp_server(&ev, &log);
    smtp_client(&ev, port, &log);
    run_until(&ev, &log, "client: close");
    let log = log.borrow().clone();
    for entry in [
        "client: connect",
        "client: go ahead, encrypted false",
        "server: STARTTLS",
        "server: secure true",
        "client: secureConnect true",
        "client: data hello over TLS",
        "client: close false",
    ] {
        assert!(log.iter().any(|e| e == entry), "no `{entry}` in {log:#?}");
    }
    assert!(
        !log.iter()
            .any(|e| e.contains("unexpected") || e.contains("error")),
        "{log:#?}"
    );
    server.close();
}

/// `openssl s_client -starttls smtp` against our server: the SMTP dialogue, then a
/// verified TLS session and the echo.
#[test]
fn openssl_s_client_starttls_smtp() {
    if !have("openssl") {
        return;
    }
    let ev = EventLoop::new().unwrap();
    let log = Log::default();
    let (server, port) = smtp_server(&ev, &log);
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_client",
        "-starttls",
        "smtp",
        "-connect",
        &format!("127.0.0.1:{port}"),
    ])
    .args([
        "-CAfile",
        &fixture("ca/root-cert.pem").display().to_string(),
    ])
    .args([
        "-servername",
        "localhost",
        "-verify_return_error",
        "-ign_eof",
    ]);
    let client = std::thread::spawn(move || {
        let mut p = Proc::spawn(cmd);
        p.expect("the verdict", |l| l.contains("Verify return code: 0 (ok)"));
        p.write(b"ping over TLS\n");
        p.expect("the echo", |l| l.contains("ping over TLS"));
        p.close_stdin();
        p.seen().to_vec()
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while !client.is_finished() && Instant::now() < deadline {
        ev.run_until(|| client.is_finished(), Duration::from_millis(20))
            .unwrap();
    }
    let seen = client.join().unwrap();
    assert!(seen.iter().any(|l| l.contains("ping over TLS")));
    let log = log.borrow().clone();
    assert!(log.contains(&"server: STARTTLS".to_string()), "{log:#?}");
    assert!(log.contains(&"server: secure true".to_string()), "{log:#?}");
    server.close();
}

/// Node 20's `net` server with `new tls.TLSSocket(socket, { isServer: true })` after a
/// plaintext STARTTLS: our client upgrades and is authorized, the echo comes back.
#[test]
fn node_starttls_server_and_our_client() {
    if !have("node") {
        return;
    }
    let script = r#"
const net = require('net'), tls = require('tls'), fs = require('fs');
const [key, cert] = process.argv.slice(1);
const server = net.createServer((sock) => {
  sock.write('220 node ESMTP\r\n');
  sock.on('data', function onData(d) {
    const text = d.toString();
    if (text.startsWith('EHLO')) sock.write('250-node\r\n250 STARTTLS\r\n');
    else if (text.startsWith('STARTTLS')) {
      sock.removeListener('data', onData);
      sock.write('220 go ahead\r\n');
      const t = new tls.TLSSocket(sock, { isServer: true, key: fs.readFileSync(key), cert: fs.readFileSync(cert) });
      t.on('secure', () => console.log(JSON.stringify({ event: 'secure', protocol: t.getProtocol() })));
      t.on('data', (d) => t.write(d));
      t.on('end', () => t.end());
      t.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
    }
  });
});
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ event: 'listening', address: { port: server.address().port } })));
"#;
    let key = fixture("leaf/p256-key.pem").display().to_string();
    let cert = fixture("leaf/p256-chain.pem").display().to_string();
    let mut node = Proc::node(script, &[&key, &cert]);
    let port = node.listening_port();
    let ev = EventLoop::new().unwrap();
    let log = Log::default();
    smtp_client(&ev, port, &log);
    run_until(&ev, &log, "client: close");
    let log = log.borrow().clone();
    for entry in [
        "client: go ahead, encrypted false",
        "client: secureConnect true",
        "client: data hello over TLS",
        "client: close false",
    ] {
        assert!(log.iter().any(|e| e == entry), "no `{entry}` in {log:#?}");
    }
    let secure = node.expect_event("secure");
    assert_eq!(secure["protocol"], "TLSv1.3");
}

/// A client that does not wait: `STARTTLS\r\n` and its ClientHello in one segment. The
/// server's handler hands the bytes after the command back (`unshift`) and the TLS
/// side starts with them: the handshake completes and data flows.
#[test]
fn a_client_hello_read_with_the_command_is_kept() {
    use std::io::{Read, Write};
    let ev = EventLoop::new().unwrap();
    let log = Log::default();
    let (server, port) = smtp_server(&ev, &log);
    let client = std::thread::spawn(move || {
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut buf = vec![0u8; 65536];
        let mut plain = Vec::new();
        while !plain.ends_with(b"\r\n") {
            let n = tcp.read(&mut buf).unwrap();
            assert!(n > 0);
            plain.extend_from_slice(&buf[..n]);
        }
        let ctx = node_tls::create_secure_context(
            &node_tls::SecureContextOptions::new().ca(read_fixture("ca/root-cert.pem")),
        )
        .unwrap();
        let mut options = tls_core::ClientOptions::new("localhost");
        options.servername = Some("localhost".into());
        let mut tls = tls_core::Connection::client(&ctx, options, tls_core::Now::system()).unwrap();
        let mut segment = b"STARTTLS\r\n".to_vec();
        tls.poll_transmit(&mut segment);
        tcp.write_all(&segment).unwrap();
        // "220 2.0.0 Ready to start TLS\r\n", then the server's TLS
        let mut wire = Vec::new();
        let mut answered = false;
        let mut echo = Vec::new();
        while echo.len() < 5 {
            let n = tcp.read(&mut buf).unwrap();
            assert!(n > 0, "closed; echo so far {echo:?}");
            wire.extend_from_slice(&buf[..n]);
            if !answered {
                let Some(end) = wire.windows(2).position(|w| w == b"\r\n") else {
                    continue;
                };
                assert!(wire.starts_with(b"220 "));
                wire.drain(..end + 2);
                answered = true;
            }
            tls.feed(&wire);
            wire.clear();
            while let Some(event) = tls.poll_event() {
                match event {
                    tls_core::Event::Secure => {
                        tls.write(b"early");
                    }
                    tls_core::Event::Data(d) => echo.extend_from_slice(&d),
                    tls_core::Event::Error(e) => panic!("{e}"),
                    _ => {}
                }
            }
            let mut out = Vec::new();
            tls.poll_transmit(&mut out);
            tcp.write_all(&out).unwrap();
        }
        echo
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while !client.is_finished() && Instant::now() < deadline {
        ev.run_until(|| client.is_finished(), Duration::from_millis(20))
            .unwrap();
    }
    assert_eq!(client.join().unwrap(), b"early");
    assert!(
        log.borrow().contains(&"server: secure true".to_string()),
        "{:#?}",
        log.borrow()
    );
    server.close();
}

/// TLS inside TLS: a server wraps its TLS socket in a second TLS session (another
/// certificate), a client starts a second session over its own, and data goes through
/// both; then the same server against Node 20's client doing `tls.connect({ socket })`
/// over its first connection.
#[test]
fn tls_inside_tls() {
    let ev = EventLoop::new().unwrap();
    let outer = node_tls::create_server(
        &ev,
        ServerOptions::new()
            .key(read_fixture("spec/server-key.pem"))
            .cert(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let log = Log::default();
    let l = log.clone();
    outer.on_secure_connection(move |sock| {
        let inner = sock.wrap_server(tls_server_options()).unwrap();
        let l = l.clone();
        inner.on_secure(move |inner| {
            push(
                &l,
                format!("server: inner secure {}", inner.get_protocol().unwrap()),
            );
        });
        inner.pipe(&inner, true);
    });
    let port = outer.listen(0, "127.0.0.1").unwrap().port();
    let sock = node_tls::connect(
        &ev,
        ConnectOptions::new(port).ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let l = log.clone();
    sock.on_secure_connect(move |sock| {
        let inner = sock
            .start_tls(
                ConnectOptions::new(port)
                    .servername("localhost")
                    .ca(read_fixture("ca/root-cert.pem")),
            )
            .unwrap();
        let l2 = l.clone();
        inner.on_secure_connect(move |inner| {
            let cn = inner.get_peer_certificate(false).unwrap()[0]
                .subject
                .clone();
            push(
                &l2,
                format!(
                    "client: inner secure {} {:?}",
                    inner.authorized(),
                    cn.last()
                ),
            );
            inner.write(b"deep");
        });
        let l2 = l.clone();
        inner.on_data(move |inner, d| {
            push(&l2, format!("client: data {}", String::from_utf8_lossy(d)));
            inner.end();
        });
        let l2 = l.clone();
        inner.on_close(move |_, had_error| push(&l2, format!("client: close {had_error}")));
    });
    run_until(&ev, &log, "client: close");
    let seen = log.borrow().clone();
    for entry in [
        "server: inner secure TLSv1.3",
        "client: data deep",
        "client: close false",
    ] {
        assert!(seen.iter().any(|e| e == entry), "no `{entry}` in {seen:#?}");
    }
    assert!(
        seen.iter()
            .any(|e| e.starts_with("client: inner secure true") && e.contains("localhost")),
        "{seen:#?}"
    );
    if !have("node") {
        return;
    }
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [port, outerCa, innerCa] = process.argv.slice(1);
const outer = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(outerCa) }, () => {
  const inner = tls.connect({ socket: outer, servername: 'localhost', ca: fs.readFileSync(innerCa) }, () => {
    console.log(JSON.stringify({ event: 'secureConnect', authorized: inner.authorized }));
    inner.write('from node');
  });
  inner.on('data', (d) => { console.log(JSON.stringify({ event: 'data', text: d.toString() })); inner.end(); });
  inner.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
});
"#;
    let outer_ca = fixture("spec/server-cert.pem").display().to_string();
    let inner_ca = fixture("ca/root-cert.pem").display().to_string();
    let port_text = port.to_string();
    let node = std::thread::spawn(move || {
        let mut node = Proc::node(script, &[&port_text, &outer_ca, &inner_ca]);
        let secure = node.expect_event("secureConnect");
        let data = node.expect_event("data");
        (secure, data)
    });
    let deadline = Instant::now() + Duration::from_secs(15);
    while !node.is_finished() && Instant::now() < deadline {
        ev.run_until(|| node.is_finished(), Duration::from_millis(20))
            .unwrap();
    }
    let (secure, data) = node.join().unwrap();
    assert_eq!(secure["authorized"], true);
    assert_eq!(data["text"], "from node");
    outer.close();
}

/// `new net.Socket({ fd })`: a std `TcpStream` connected elsewhere joins the loop and
/// starts TLS; the echo comes back through it.
#[test]
fn an_adopted_std_stream_starts_tls() {
    let ev = EventLoop::new().unwrap();
    let server = node_tls::create_server(&ev, tls_server_options()).unwrap();
    server.on_secure_connection(|sock| {
        sock.pipe(sock, true);
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let std_stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let sock = net::adopt(&ev, std_stream).unwrap();
    assert!(!sock.encrypted());
    assert_eq!(sock.remote_port(), Some(port));
    let tls = sock
        .start_tls(
            ConnectOptions::new(port)
                .servername("localhost")
                .ca(read_fixture("ca/root-cert.pem")),
        )
        .unwrap();
    let log = Log::default();
    tls.on_secure_connect(|tls| {
        tls.write(b"adopted");
        tls.end();
    });
    let l = log.clone();
    tls.on_data(move |_, d| push(&l, format!("data {}", String::from_utf8_lossy(d))));
    let l = log.clone();
    tls.on_close(move |_, had_error| push(&l, format!("close {had_error}")));
    run_until(&ev, &log, "close");
    assert_eq!(log.borrow().as_slice(), ["data adopted", "close false"]);
    assert!(tls.encrypted() || !tls.is_open());
    server.close();
}

/// A server side started on a plain socket needs its own certificate, and SNI contexts
/// (which need a `tls.Server`) are refused by name.
#[test]
fn wrap_server_refuses_what_it_cannot_use() {
    let ev = EventLoop::new().unwrap();
    let server = net::create_server(&ev).unwrap();
    let log = Log::default();
    let l = log.clone();
    server.on_connection(move |sock| {
        let no_cert = sock.wrap_server(ServerOptions::new()).err().unwrap();
        push(&l, format!("{} {no_cert}", no_cert.code()));
        let sni = sock
            .wrap_server(tls_server_options().sni_callback(|_, reply| reply.default_context()))
            .err()
            .unwrap();
        push(&l, format!("{} {sni}", sni.code()));
        sock.destroy();
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let _client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    run_until(&ev, &log, "ERR_INVALID_ARG_VALUE");
    let log = log.borrow().clone();
    assert!(log[0].starts_with("ERR_MISSING_OPTION"), "{log:?}");
    assert!(
        log[0].contains("`cert`") && !log[0].contains("SNI"),
        "{log:?}"
    );
    assert!(log[1].contains("SNICallback"), "{log:?}");
    server.close();
}
