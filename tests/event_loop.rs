//! The facade on one loop over 127.0.0.1:0: both peers in-process, event sequences
//! asserted, `run_until` instead of sleeps.

use node_tls::{
    connect, create_server, ConnectOptions, EventLoop, Server, ServerOptions, TlsSocket,
};
use std::cell::RefCell;
use std::io::{Read, Write};
use std::rc::Rc;
use std::time::Duration;
use suite::read_fixture;

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

fn push(log: &Log, entry: impl Into<String>) {
    log.borrow_mut().push(entry.into());
}

fn spec_server_options() -> ServerOptions {
    ServerOptions::new()
        .key(read_fixture("spec/server-key.pem"))
        .cert(read_fixture("spec/server-cert.pem"))
}

/// Logs every socket event as `name[:detail]`.
fn record(sock: &TlsSocket, log: &Log) {
    let l = log.clone();
    sock.on_data(move |_, d| push(&l, format!("data:{}", String::from_utf8_lossy(d))));
    let l = log.clone();
    sock.on_end(move |_| push(&l, "end"));
    let l = log.clone();
    sock.on_error(move |_, e| push(&l, format!("error:{}", e.code())));
    let l = log.clone();
    sock.on_close(move |_, had_error| push(&l, format!("close:{had_error}")));
}

fn echo_server(ev: &EventLoop, options: ServerOptions, log: &Log) -> (Server, u16) {
    let server = create_server(ev, options).unwrap();
    let l = log.clone();
    server.on_secure_connection(move |sock| {
        push(&l, format!("secureConnection:{}", sock.authorized()));
        record(sock, &l);
        sock.write(b"welcome!\n");
        // write() inside a data handler is legal
        sock.on_data(|sock, chunk| {
            sock.write(chunk);
        });
    });
    let l = log.clone();
    server.on_client_error(move |_, e| push(&l, format!("clientError:{}", e.code())));
    let addr = server.listen(0, "127.0.0.1").unwrap();
    (server, addr.port())
}

fn wait(ev: &EventLoop, log: &Log, entry: &str) {
    let found = ev
        .run_until(
            || log.borrow().iter().any(|e| e == entry),
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(found, "no `{entry}` in {:?}", log.borrow());
}

#[test]
fn echo_on_one_loop_with_node_event_order() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let (server, port) = echo_server(&ev, spec_server_options(), &server_log);
    let client_log = log();
    let sock = connect(
        &ev,
        ConnectOptions::new(port)
            .host("localhost")
            .ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let l = client_log.clone();
    sock.on_secure_connect(move |sock| {
        push(&l, format!("secureConnect:{}", sock.authorized()));
        sock.write(b"ping");
    });
    record(&sock, &client_log);
    let l = client_log.clone();
    sock.on_data(move |sock, _| {
        if l.borrow().concat().contains("ping") {
            sock.end();
        }
    });
    wait(&ev, &client_log, "close:false");
    wait(&ev, &server_log, "close:false");
    let text: String = client_log
        .borrow()
        .iter()
        .filter_map(|e| e.strip_prefix("data:"))
        .collect();
    assert_eq!(text, "welcome!\nping");
    let client = client_log.borrow();
    assert_eq!(client.first().unwrap(), "secureConnect:true");
    assert_eq!(&client[client.len() - 2..], ["end", "close:false"]);
    assert_eq!(
        server_log.borrow().as_slice(),
        ["secureConnection:false", "data:ping", "end", "close:false"]
    );
    assert_eq!(server.connections(), 0);
    let closed = log();
    let l = closed.clone();
    server.on_close(move |_| push(&l, "close"));
    server.close();
    wait(&ev, &closed, "close");
    assert!(!ev.is_alive());
}

/// Node's `'connection'` comes first, for every client (TLS or not); in a socket's
/// `'close'` handler the server no longer counts it (Node's `server._connections`,
/// measured: 0 in the last one's `close`); a socket destroyed in `'connection'` is
/// Node's `tlsClientError` `ECONNRESET` "socket hang up".
#[test]
fn connection_comes_first_and_close_uncounts_as_in_node() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let (server, port) = echo_server(&ev, spec_server_options(), &server_log);
    let l = server_log.clone();
    let counted = server.clone();
    server.on_connection(move |sock| {
        push(&l, format!("connection:{}", counted.connections()));
        let l = l.clone();
        let counted = counted.clone();
        sock.on_close(move |_, _| push(&l, format!("counted at close:{}", counted.connections())));
    });
    let sock = connect(&ev, ConnectOptions::new(port).reject_unauthorized(false)).unwrap();
    sock.on_secure_connect(|sock| sock.end());
    sock.on_data(|_, _| {});
    wait(&ev, &server_log, "counted at close:0");
    assert_eq!(
        server_log.borrow().as_slice(),
        [
            "connection:1",
            "secureConnection:false",
            "end",
            // (the handler given in 'connection' comes first)
            "counted at close:0",
            "close:false"
        ]
    );
    // not TLS: 'connection', then 'clientError', then the close
    server_log.borrow_mut().clear();
    let mut raw = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    raw.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    wait(&ev, &server_log, "counted at close:0");
    assert_eq!(
        server_log.borrow().as_slice(),
        [
            "connection:1",
            "clientError:ERR_SSL_HTTP_REQUEST",
            "counted at close:0"
        ]
    );
    // destroyed at once: Node's hang-up, and the client's reset or end
    server_log.borrow_mut().clear();
    let l = server_log.clone();
    server.on_connection(move |sock| {
        push(&l, "destroying");
        sock.destroy();
    });
    let client_log = log();
    let sock = connect(&ev, ConnectOptions::new(port).reject_unauthorized(false)).unwrap();
    record(&sock, &client_log);
    wait(&ev, &server_log, "counted at close:0");
    wait(&ev, &client_log, "close:true");
    assert_eq!(
        server_log.borrow().as_slice(),
        [
            "connection:1",
            "destroying",
            "clientError:ECONNRESET",
            "counted at close:0"
        ]
    );
    assert_eq!(
        client_log.borrow().as_slice(),
        ["error:ECONNRESET", "close:true"]
    );
    assert_eq!(server.connections(), 0);
}

#[test]
fn connection_refused_is_an_error_then_close() {
    let ev = EventLoop::new().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client_log = log();
    let sock = connect(&ev, ConnectOptions::new(port).host("127.0.0.1")).unwrap();
    record(&sock, &client_log);
    wait(&ev, &client_log, "close:true");
    assert_eq!(
        client_log.borrow().as_slice(),
        ["error:ECONNREFUSED", "close:true"]
    );
}

#[test]
fn silent_peer_hits_the_handshake_timeout() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let options = spec_server_options().handshake_timeout(Duration::from_millis(200));
    let (_server, port) = echo_server(&ev, options, &server_log);
    let _silent = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    wait(&ev, &server_log, "clientError:ERR_TLS_HANDSHAKE_TIMEOUT");
}

#[test]
fn garbage_and_http_are_client_errors_and_the_server_goes_on() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let (_server, port) = echo_server(&ev, spec_server_options(), &server_log);
    let mut http = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    wait(&ev, &server_log, "clientError:ERR_SSL_HTTP_REQUEST");
    let mut junk = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    junk.write_all(&[0x16, 0x09, 0x09, 0, 5, 1, 2, 3, 4, 5])
        .unwrap();
    wait(&ev, &server_log, "clientError:ERR_SSL_WRONG_VERSION_NUMBER");
    // the server closed those connections
    let mut rest = Vec::new();
    http.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    assert_eq!(http.read_to_end(&mut rest).unwrap_or(0), 0);
    // and still serves a real client
    let client_log = log();
    let sock = connect(
        &ev,
        ConnectOptions::new(port).ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let l = client_log.clone();
    sock.on_secure_connect(move |s| {
        push(&l, "secureConnect");
        s.end();
    });
    record(&sock, &client_log);
    wait(&ev, &client_log, "close:false");
}

#[test]
fn truncated_handshake_is_econnreset() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let (_server, port) = echo_server(&ev, spec_server_options(), &server_log);
    let mut half = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    half.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    drop(half);
    wait(&ev, &server_log, "clientError:ECONNRESET");
}

#[test]
fn data_waits_for_a_late_data_handler() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, spec_server_options()).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let held: Rc<RefCell<Option<TlsSocket>>> = Rc::default();
    let h = held.clone();
    server.on_secure_connection(move |sock| {
        *h.borrow_mut() = Some(sock.clone());
    });
    let sock = connect(
        &ev,
        ConnectOptions::new(port).ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    sock.on_secure_connect(|s| {
        s.write(b"early");
        s.end();
    });
    let h = held.clone();
    assert!(ev
        .run_until(
            || h.borrow().as_ref().is_some_and(|s| s.bytes_read() > 0),
            Duration::from_secs(10)
        )
        .unwrap());
    // let the data and the end arrive with nobody listening
    ev.run_until(|| false, Duration::from_millis(100)).unwrap();
    let server_log = log();
    let server_sock = held.borrow().clone().unwrap();
    record(&server_sock, &server_log);
    wait(&ev, &server_log, "close:false");
    assert_eq!(
        server_log.borrow().as_slice(),
        ["data:early", "end", "close:false"]
    );
}

#[test]
fn write_reports_backpressure_and_drain_follows() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, spec_server_options()).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let received = Rc::new(RefCell::new(0usize));
    let r = received.clone();
    server.on_secure_connection(move |sock| {
        let r = r.clone();
        sock.on_data(move |_, chunk| *r.borrow_mut() += chunk.len());
    });
    let sock = connect(
        &ev,
        ConnectOptions::new(port).ca(read_fixture("spec/server-cert.pem")),
    )
    .unwrap();
    let log = log();
    let l = log.clone();
    sock.on_drain(move |_| push(&l, "drain"));
    // before the handshake, 16 KiB is already over the high-water mark
    assert!(sock.write(&[1u8; 1000]));
    assert!(!sock.write(&[2u8; node_tls::HIGH_WATER_MARK]));
    assert!(sock.writable_length() > node_tls::HIGH_WATER_MARK);
    wait(&ev, &log, "drain");
    assert_eq!(sock.writable_length(), 0);
    let total = 1000 + node_tls::HIGH_WATER_MARK + 4 * 1024 * 1024;
    let mut refused = 0;
    for _ in 0..64 {
        if !sock.write(&[3u8; 64 * 1024]) {
            refused += 1;
        }
    }
    assert!(refused > 0, "4 MiB at once must exceed the high-water mark");
    let r = received.clone();
    assert!(ev
        .run_until(|| *r.borrow() == total, Duration::from_secs(20))
        .unwrap());
    let drains = log.borrow().iter().filter(|e| *e == "drain").count();
    assert!(drains >= 2, "{drains}");
}

/// A scripted TLS 1.3 client on a thread: handshakes (its Finished held back), says
/// `ready`, waits for `go`, then writes its Finished and `hi` in one segment, and
/// after `reset` (sent by the test) closes with `SO_LINGER` 0: a reset, no FIN.
/// A tls-core client over a blocking socket, secure (its last flight still queued).
fn handshaken_client(port: u16) -> (std::net::TcpStream, tls_core::Connection) {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let ctx = node_tls::create_secure_context(&Default::default()).unwrap();
    let mut options = tls_core::ClientOptions::new("localhost");
    options.reject_unauthorized = false;
    let mut tls = tls_core::Connection::client(&ctx, options, tls_core::Now::system()).unwrap();
    let mut out = Vec::new();
    tls.poll_transmit(&mut out);
    stream.write_all(&out).unwrap();
    let mut buf = vec![0u8; 16384];
    while !tls.is_secure() {
        let n = stream.read(&mut buf).unwrap();
        assert!(n > 0, "server closed during the handshake");
        tls.feed(&buf[..n]);
        while tls.poll_event().is_some() {}
    }
    (stream, tls)
}

fn resetting_client(
    port: u16,
) -> (
    std::sync::mpsc::Receiver<&'static str>,
    std::sync::mpsc::Sender<&'static str>,
    std::thread::JoinHandle<()>,
) {
    let (tx_up, rx_up) = std::sync::mpsc::channel();
    let (tx_down, rx_down) = std::sync::mpsc::channel::<&'static str>();
    let handle = std::thread::spawn(move || {
        let (mut stream, mut tls) = handshaken_client(port);
        let mut out = Vec::new();
        tx_up.send("ready").unwrap();
        assert_eq!(rx_down.recv().unwrap(), "go");
        tls.write(b"hi");
        out.clear();
        tls.poll_transmit(&mut out); // Finished, then the data
        stream.write_all(&out).unwrap();
        assert_eq!(rx_down.recv().unwrap(), "reset");
        socket2::SockRef::from(&stream)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(stream);
        tx_up.send("reset").unwrap();
    });
    (rx_up, tx_down, handle)
}

#[test]
fn a_peer_that_writes_then_resets_gets_end_or_error_as_node_tells_them() {
    // Node (libuv) takes a short read on a hung-up socket as the end of the stream:
    // data and reset read together give 'end' and close(false); a reset that comes
    // after the data was read gives 'error' ECONNRESET and close(true). Measured with
    // `openssl s_time -reuse -tls1_2` (which closes with SO_LINGER 0) against Node 20:
    // 2498 'end', 274 'error' of 2772.
    for reset_before_read in [true, false] {
        let ev = EventLoop::new().unwrap();
        let events = log();
        let server = create_server(&ev, spec_server_options()).unwrap();
        let l = events.clone();
        server.on_secure_connection(move |sock| {
            push(&l, "secureConnection");
            record(sock, &l);
        });
        let l = events.clone();
        server.on_client_error(move |_, e| push(&l, format!("clientError:{}", e.code())));
        let port = server.listen(0, "127.0.0.1").unwrap().port();
        let (from_client, to_client, client) = resetting_client(port);
        // serve the handshake until the client holds the server's flight
        let started = std::time::Instant::now();
        while from_client.try_recv().is_err() {
            ev.run_until(|| false, Duration::from_millis(5)).unwrap();
            assert!(started.elapsed() < Duration::from_secs(10), "no handshake");
        }
        to_client.send("go").unwrap();
        if reset_before_read {
            to_client.send("reset").unwrap();
            assert_eq!(from_client.recv().unwrap(), "reset");
        } else {
            ev.run_until(
                || events.borrow().iter().any(|e| e == "data:hi"),
                Duration::from_secs(10),
            )
            .unwrap();
            to_client.send("reset").unwrap();
            assert_eq!(from_client.recv().unwrap(), "reset");
        }
        ev.run_until(
            || events.borrow().iter().any(|e| e.starts_with("close")),
            Duration::from_secs(10),
        )
        .unwrap();
        client.join().unwrap();
        let expected: &[&str] = if reset_before_read {
            &["secureConnection", "data:hi", "end", "close:false"]
        } else {
            &[
                "secureConnection",
                "data:hi",
                "error:ECONNRESET",
                "close:true",
            ]
        };
        assert_eq!(
            *events.borrow(),
            expected,
            "reset before read: {reset_before_read}"
        );
    }
}

/// A TLS 1.3 client refused after its handshake (no certificate, `rejectUnauthorized`)
/// that writes 100 KB with its Finished: the server reads one 64 KiB chunk, decides, and
/// closes. With the rest left unread the kernel would reset the connection (which can
/// destroy the alert before the client reads it); the server drains it first, so the
/// client reads the alert, then a clean end of stream.
#[test]
fn a_refused_client_gets_the_alert_and_a_fin_not_a_reset() {
    let ev = EventLoop::new().unwrap();
    let server_log = log();
    let options = ServerOptions::new()
        .key(read_fixture("leaf/rsa2048-key.pem"))
        .cert(read_fixture("leaf/rsa2048-chain.pem"))
        .ca(read_fixture("client/client-ca-cert.pem"))
        .request_cert(true)
        .reject_unauthorized(true);
    let (_server, port) = echo_server(&ev, options, &server_log);
    let client = std::thread::spawn(move || {
        let (mut stream, mut tls) = handshaken_client(port);
        let mut out = Vec::new();
        let mut buf = vec![0u8; 16384];
        tls.write(&vec![7u8; 100_000]);
        out.clear();
        tls.poll_transmit(&mut out); // Certificate (empty), Finished, then the data
        stream.write_all(&out).unwrap();
        let mut error = None;
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    tls.feed(&buf[..n]);
                    while let Some(event) = tls.poll_event() {
                        if let tls_core::Event::Error(e) = event {
                            error = Some(e.code().to_string());
                        }
                    }
                }
                Err(e) => panic!("the server reset the connection: {e}"),
            }
        }
        // a reset may follow the FIN (the socket closed with bytes unread); it shows
        // on the next write
        std::thread::sleep(Duration::from_millis(200));
        if let Err(e) = stream.write_all(b"x") {
            panic!("the server reset the connection after its FIN: {e}");
        }
        error
    });
    wait(
        &ev,
        &server_log,
        "clientError:ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE",
    );
    // the loop wakes on events only: give it a moment to close, then join
    ev.run_until(|| false, Duration::from_millis(500)).unwrap();
    assert_eq!(
        client.join().unwrap().as_deref(),
        Some("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED")
    );
}

/// Node 20's order, measured: the client's `'connect'` (TCP up), then `'secureConnect'`
/// and then `'secure'` (Node's own `'secure'` listener emits `'secureConnect'`); the
/// server's socket is `'secure'` right after `'secureConnection'`. A rejected server
/// certificate gives `'connect'`, `'error'`, `'close'` (Node also emits `'secure'`
/// before its `'error'`: the README says so).
#[test]
fn connect_and_secure_come_in_node_order() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, spec_server_options()).unwrap();
    let server_log = log();
    let l = server_log.clone();
    server.on_connection(move |sock| {
        push(&l, "connection");
        let l = l.clone();
        sock.on_secure(move |_| push(&l, "secure"));
    });
    let l = server_log.clone();
    server.on_secure_connection(move |sock| {
        push(&l, "secureConnection");
        sock.end();
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock_log = |ca: bool| {
        let mut options = ConnectOptions::new(port).host("localhost");
        if ca {
            options = options.ca(read_fixture("spec/server-cert.pem"));
        }
        let sock = connect(&ev, options).unwrap();
        let log = log();
        let l = log.clone();
        sock.on_connect(move |_| push(&l, "connect"));
        let l = log.clone();
        sock.on_secure(move |_| push(&l, "secure"));
        let l = log.clone();
        sock.on_secure_connect(move |_| push(&l, "secureConnect"));
        record(&sock, &log);
        log
    };
    let accepted = sock_log(true);
    wait(&ev, &accepted, "close:false");
    assert_eq!(
        accepted.borrow().as_slice(),
        ["connect", "secureConnect", "secure", "end", "close:false"]
    );
    assert_eq!(
        server_log.borrow().as_slice(),
        ["connection", "secureConnection", "secure"]
    );
    let rejected = sock_log(false);
    wait(&ev, &rejected, "close:true");
    assert_eq!(
        rejected.borrow().as_slice(),
        ["connect", "error:DEPTH_ZERO_SELF_SIGNED_CERT", "close:true"]
    );
}

/// `setMaxSendFragment(1000)` on a server socket: read off the wire by a raw client,
/// every TLS 1.3 record of what the server wrote carries at most 1000 bytes (1017 with
/// the inner type and the tag), and all 5000 bytes arrive; out of bounds is `false`.
#[test]
fn max_send_fragment_shows_on_the_wire() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, spec_server_options()).unwrap();
    let verdicts = Rc::new(RefCell::new(Vec::new()));
    let v = verdicts.clone();
    server.on_secure_connection(move |sock| {
        v.borrow_mut().extend([
            sock.set_max_send_fragment(511),
            sock.set_max_send_fragment(16385),
            sock.set_max_send_fragment(1000),
        ]);
        sock.write(&[b'x'; 5000]);
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    // the thread's end wakes the loop (a finished thread is no event of its own: the
    // loop would sleep to its limit)
    let finished = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (flag, remote) = (finished.clone(), ev.remote());
    let client = std::thread::spawn(move || {
        let (mut stream, mut tls) = handshaken_client(port);
        let mut out = Vec::new();
        tls.poll_transmit(&mut out); // our Finished
        stream.write_all(&out).unwrap();
        let (mut wire, mut got) = (Vec::new(), 0);
        let mut buf = vec![0u8; 65536];
        while got < 5000 {
            let n = stream.read(&mut buf).unwrap();
            assert!(n > 0, "closed after {got} bytes");
            wire.extend_from_slice(&buf[..n]);
            tls.feed(&buf[..n]);
            while let Some(e) = tls.poll_event() {
                if let tls_core::Event::Data(d) = e {
                    got += d.len();
                }
            }
        }
        assert_eq!(got, 5000);
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = remote.wake();
        wire
    });
    let done = ev
        .run_until(
            || finished.load(std::sync::atomic::Ordering::SeqCst) || client.is_finished(),
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(done);
    let wire = client.join().unwrap();
    assert_eq!(verdicts.borrow().as_slice(), [false, false, true]);
    // the records after the handshake: tickets (TLS 1.3 seals them as type 23 too), then
    // the data in pieces of 1000
    let mut lengths = Vec::new();
    let mut rest = wire.as_slice();
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if rest[0] == 23 {
            lengths.push(len);
        }
        rest = &rest[(5 + len).min(rest.len())..];
    }
    assert!(lengths.iter().all(|&l| l <= 1017), "{lengths:?}");
    assert_eq!(
        lengths.iter().filter(|&&l| l == 1017).count(),
        5,
        "{lengths:?}"
    );
    server.close();
}

/// `checkServerIdentity` per connection: a pin on the leaf's SHA-256 fingerprint accepts
/// a name the certificate does not hold; a refusal with a code of its own is the
/// socket's error, or with `rejectUnauthorized` false its `authorizationError`; it sees
/// `servername || host` and the chain the server sent. Node's own check stays the
/// default (a name the certificate lacks is refused).
#[test]
fn check_server_identity_is_the_callers_when_given() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(
        &ev,
        ServerOptions::new()
            .key(read_fixture("leaf/rsa2048-key.pem"))
            .cert(read_fixture("leaf/rsa2048-chain.pem")),
    )
    .unwrap();
    server.on_secure_connection(|sock| sock.end());
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let leaf = node_tls::describe(
        &rustls::pki_types::pem::PemObject::from_pem_slice(&read_fixture("leaf/rsa2048-cert.pem"))
            .map(|d: rustls::pki_types::CertificateDer<'static>| d.to_vec())
            .unwrap(),
    )
    .unwrap();
    let pin = leaf.fingerprint256.clone();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let run = |check: Option<bool>, reject: bool| {
        let mut options = ConnectOptions::new(port)
            .host("127.0.0.1")
            .servername("pinned.test")
            .ca(read_fixture("ca/root-cert.pem"))
            .reject_unauthorized(reject);
        if let Some(accept) = check {
            let (pin, seen) = (pin.clone(), seen.clone());
            options = options.check_server_identity(move |host, chain| {
                seen.lock().unwrap().push(format!("{host} {}", chain.len()));
                if accept && chain[0].fingerprint256 == pin {
                    Ok(())
                } else {
                    Err(node_tls::Error::custom("ERR_PINNED", "not the pinned key"))
                }
            });
        }
        let sock = connect(&ev, options).unwrap();
        let log = log();
        let l = log.clone();
        sock.on_secure_connect(move |s| {
            let error = s.authorization_error().unwrap_or_default();
            push(&l, format!("secureConnect:{}:{error}", s.authorized()));
        });
        let l = log.clone();
        sock.on_error(move |_, e| push(&l, format!("error:{}:{e}", e.code())));
        let l = log.clone();
        sock.on_close(move |_, had_error| push(&l, format!("close:{had_error}")));
        let closed = || log.borrow().iter().any(|e| e.starts_with("close:"));
        assert!(ev.run_until(closed, Duration::from_secs(10)).unwrap());
        let entries = log.borrow().clone();
        entries
    };
    // Node's check: the name is not in the certificate
    let default = run(None, true);
    assert!(
        default[0].starts_with("error:ERR_TLS_CERT_ALTNAME_INVALID:Hostname/IP does not match"),
        "{default:?}"
    );
    assert_eq!(run(Some(true), true)[0], "secureConnect:true:");
    assert_eq!(
        run(Some(false), true)[..2],
        ["error:ERR_PINNED:not the pinned key", "close:true"]
    );
    assert_eq!(run(Some(false), false)[0], "secureConnect:false:ERR_PINNED");
    assert_eq!(
        seen.lock().unwrap().as_slice(),
        ["pinned.test 2", "pinned.test 2", "pinned.test 2"]
    );
    server.close();
}

/// A peer that finishes the handshake, sends a record that cannot decrypt, and 100 ms
/// later resets the connection (`SO_LINGER` 0). The client raises the TLS error once,
/// then waits for the peer's end of stream: the reset ends that wait as a FIN does (the
/// same events), and is no second `error` (`ECONNRESET`; Node's socket, destroyed at the
/// first error, raises nothing more).
#[test]
fn a_reset_after_a_tls_error_is_no_second_error() {
    use context::{create_secure_context, ClientAuth, SecureContextOptions};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let peer = std::thread::spawn(move || {
        let server = create_secure_context(
            &SecureContextOptions::new()
                .key(read_fixture("spec/server-key.pem"))
                .cert(read_fixture("spec/server-cert.pem")),
        )
        .unwrap();
        let config = server.server_config(ClientAuth::None).unwrap();
        let (mut tcp, _) = listener.accept().unwrap();
        let mut tls = rustls::ServerConnection::new(config).unwrap();
        while tls.is_handshaking() {
            tls.complete_io(&mut tcp).unwrap();
        }
        while tls.wants_write() {
            tls.write_tls(&mut tcp).unwrap(); // the tickets
        }
        // application data that no key decrypts
        tcp.write_all(&[23, 3, 3, 0, 20]).unwrap();
        tcp.write_all(&[0x5a; 20]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        socket2::SockRef::from(&tcp)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
    });
    let ev = EventLoop::new().unwrap();
    let log = log();
    let sock = connect(&ev, ConnectOptions::new(port).reject_unauthorized(false)).unwrap();
    record(&sock, &log);
    let l = log.clone();
    sock.on_secure_connect(move |_| push(&l, "secureConnect"));
    wait(&ev, &log, "close:false");
    peer.join().unwrap();
    // anything the loop would still raise
    let _ = ev.run_until(|| false, Duration::from_millis(200));
    let log = log.borrow().clone();
    let errors: Vec<&String> = log.iter().filter(|e| e.starts_with("error:")).collect();
    assert_eq!(
        log.first().map(String::as_str),
        Some("secureConnect"),
        "{log:?}"
    );
    assert_eq!(errors.len(), 1, "one error only: {log:?}");
    assert_ne!(errors[0], "error:ECONNRESET", "{log:?}");
}
