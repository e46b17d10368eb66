//! Streams that stop: pause/resume, pipe with back-pressure end to end, `write()`
//! after `end()` or the peer's end, `destroy()`, both peers ours on one loop over
//! loopback.

use node_tls::{
    connect, create_server, ConnectOptions, EventLoop, ServerOptions, TlsSocket, HIGH_WATER_MARK,
};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;
use suite::read_fixture;

const TOTAL: usize = 64 << 20;
const CHUNK: usize = 64 << 10;

/// The byte at `offset` of the test stream (not periodic at any buffer size).
fn byte_at(offset: usize) -> u8 {
    let x = offset as u64;
    (x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8 ^ (x >> 13) as u8
}

fn chunk_at(offset: usize, len: usize) -> Vec<u8> {
    (offset..offset + len).map(byte_at).collect()
}

fn p256_server() -> ServerOptions {
    ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"))
}

fn client(ev: &EventLoop, port: u16) -> TlsSocket {
    connect(
        ev,
        ConnectOptions::new(port)
            .host("localhost")
            .ca(read_fixture("ca/root-cert.pem")),
    )
    .unwrap()
}

/// The kernel's largest TCP buffers (`tcp_wmem`, `tcp_rmem` maxima): what a stalled
/// connection can hold between the two processes' user space.
fn kernel_buffers() -> usize {
    let max = |path: &str| {
        std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.split_whitespace().nth(2).and_then(|v| v.parse().ok()))
            .unwrap_or(6 << 20)
    };
    max("/proc/sys/net/ipv4/tcp_wmem") + max("/proc/sys/net/ipv4/tcp_rmem")
}

/// Turns the loop until `progress()` has not changed for a while (nothing moves).
fn run_until_stalled(ev: &EventLoop, mut progress: impl FnMut() -> u64) {
    let (mut last, mut quiet) = (u64::MAX, 0);
    for _ in 0..2000 {
        ev.turn(Some(Duration::from_millis(10))).unwrap();
        let now = progress();
        if now == last {
            quiet += 1;
            if quiet >= 30 {
                return;
            }
        } else {
            (last, quiet) = (now, 0);
        }
    }
    panic!("still moving after 2000 turns");
}

#[test]
fn an_echo_server_stops_reading_when_its_peer_stops_reading() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let accepted: Rc<RefCell<Option<TlsSocket>>> = Rc::default();
    let a = accepted.clone();
    server.on_secure_connection(move |sock| {
        sock.pipe(sock, true); // the docs' echo
        *a.borrow_mut() = Some(sock.clone());
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();

    // The client writes 64 MiB as fast as back-pressure lets it, and reads nothing.
    let sock = client(&ev, port);
    let sent = Rc::new(Cell::new(0usize));
    let pump = {
        let sent = sent.clone();
        move |sock: &TlsSocket| {
            while sent.get() < TOTAL {
                let n = CHUNK.min(TOTAL - sent.get());
                let ok = sock.write(&chunk_at(sent.get(), n));
                sent.set(sent.get() + n);
                if !ok {
                    return;
                }
            }
        }
    };
    let p = pump.clone();
    sock.on_secure_connect(move |sock| {
        sock.pause();
        p(sock);
    });
    sock.on_drain(move |sock| pump(sock));
    let received = Rc::new(Cell::new(0usize));
    let r = received.clone();
    sock.on_data(move |_, chunk| {
        let at = r.get();
        assert!(
            chunk.iter().enumerate().all(|(i, b)| *b == byte_at(at + i)),
            "echo out of order or corrupted at {at}"
        );
        r.set(at + chunk.len());
    });

    let server_read = || accepted.borrow().as_ref().map_or(0, |s| s.bytes_read());
    run_until_stalled(&ev, || server_read() + sent.get() as u64);
    let echo = accepted.borrow().clone().expect("accepted");
    let read = server_read() as usize;
    let bound = kernel_buffers() + 2 * HIGH_WATER_MARK + CHUNK;
    println!(
        "stalled: client sent {} bytes, server read {read} (bound {bound}), server holds {} unsent",
        sent.get(),
        echo.writable_length()
    );
    assert!(sent.get() < TOTAL, "the client was never held back");
    assert!(
        read < bound,
        "the server read {read} bytes, more than {bound}"
    );
    assert!(echo.is_paused(), "the pipe paused its source");
    assert!(
        echo.writable_length() <= 2 * HIGH_WATER_MARK,
        "the server holds {} bytes it cannot send",
        echo.writable_length()
    );
    assert_eq!(received.get(), 0, "the paused client delivered data");

    // The client reads again: everything arrives, in order.
    sock.resume();
    let done = ev
        .run_until(|| received.get() == TOTAL, Duration::from_secs(60))
        .unwrap();
    assert!(done, "received {} of {TOTAL}", received.get());
    assert_eq!(sent.get(), TOTAL);
}

#[test]
fn resume_delivers_what_waited_then_end() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let accepted: Rc<RefCell<Option<TlsSocket>>> = Rc::default();
    let (l, a) = (log.clone(), accepted.clone());
    server.on_secure_connection(move |sock| {
        sock.pause();
        let l2 = l.clone();
        sock.on_data(move |_, d| l2.borrow_mut().push(String::from_utf8_lossy(d).into()));
        let l2 = l.clone();
        sock.on_end(move |_| l2.borrow_mut().push("end".into()));
        *a.borrow_mut() = Some(sock.clone());
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock = client(&ev, port);
    let client_closed = Rc::new(Cell::new(false));
    let c = client_closed.clone();
    sock.on_secure_connect(|sock| {
        sock.write(b"one,");
        sock.write(b"two,");
        sock.write(b"three");
        sock.end();
    });
    sock.on_close(move |_, _| c.set(true));
    // the server's side holds the data; the client waits for the server's end
    let got_all = ev
        .run_until(
            || {
                accepted
                    .borrow()
                    .as_ref()
                    .is_some_and(|s| s.bytes_read() > 0)
            },
            Duration::from_secs(10),
        )
        .unwrap();
    assert!(got_all);
    ev.run_until(|| false, Duration::from_millis(100)).unwrap();
    assert!(log.borrow().is_empty(), "paused: {:?}", log.borrow());
    accepted.borrow().as_ref().unwrap().resume();
    ev.run_until(|| client_closed.get(), Duration::from_secs(10))
        .unwrap();
    assert_eq!(log.borrow().join(""), "one,two,threeend");
}

#[test]
fn write_after_end_is_an_error_as_in_node() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    server.on_secure_connection(|sock| {
        sock.pipe(sock, true);
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock = client(&ev, port);
    let errors: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    let e = errors.clone();
    sock.on_error(move |_, err| e.borrow_mut().push((err.code(), err.to_string())));
    let wrote_after = Rc::new(Cell::new(true));
    let w = wrote_after.clone();
    sock.on_secure_connect(move |sock| {
        sock.write(b"hi");
        sock.end();
        w.set(sock.write(b"too late"));
    });
    let closed = Rc::new(Cell::new(None));
    let c = closed.clone();
    sock.on_close(move |_, had_error| c.set(Some(had_error)));
    ev.run_until(|| closed.get().is_some(), Duration::from_secs(10))
        .unwrap();
    assert!(!wrote_after.get());
    assert_eq!(
        *errors.borrow(),
        [(
            "ERR_STREAM_WRITE_AFTER_END".to_string(),
            "write after end".to_string()
        )]
    );
    // Node destroys the stream with the error: close says hadError
    assert_eq!(closed.get(), Some(true));
}

/// The server's socket's events, as `name` or `name:detail`, shared with the test.
type Log = Rc<RefCell<Vec<String>>>;

fn log_events(sock: &TlsSocket, log: &Log) {
    let l = log.clone();
    sock.on_data(move |_, d| l.borrow_mut().push(format!("data:{}", d.len())));
    let l = log.clone();
    sock.on_end(move |_| l.borrow_mut().push("end".into()));
    let l = log.clone();
    sock.on_error(move |_, e| l.borrow_mut().push(format!("error:{}:{e}", e.code())));
    let l = log.clone();
    sock.on_close(move |_, had| l.borrow_mut().push(format!("close:{had}")));
}

/// A server whose connections run `act` once secure (after logging their events), and
/// a client that writes "hello" and ends once secure; the server socket's events.
fn server_acting(act: impl Fn(&TlsSocket) + 'static) -> Vec<String> {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let log: Log = Rc::default();
    let l = log.clone();
    server.on_secure_connection(move |sock| {
        log_events(sock, &l);
        act(sock);
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock = client(&ev, port);
    sock.on_secure_connect(|sock| {
        sock.write(b"hello");
        sock.end();
    });
    sock.on_data(|_, _| {});
    let done = log.clone();
    ev.run_until(
        || done.borrow().iter().any(|e| e.starts_with("close")),
        Duration::from_secs(10),
    )
    .unwrap();
    let events = log.borrow().clone();
    events
}

#[test]
fn after_destroy_only_close_comes_as_in_node() {
    // the client's "hello" and end may be read already: they are not emitted
    assert_eq!(server_acting(|sock| sock.destroy()), ["close:false"]);
    // destroyed from a data handler: no end after it
    let events = server_acting(|sock| {
        sock.on_data(|sock, _| sock.destroy());
    });
    assert_eq!(events, ["data:5", "close:false"]);
}

#[test]
fn a_write_after_the_peer_ended_is_node_s_epipe() {
    // the peer's end ends our side too (allowHalfOpen false), after the 'end'
    // handlers: a write in one still goes out
    let events = server_acting(|sock| {
        sock.on_end(|sock| assert!(sock.write(b"x")));
    });
    assert_eq!(events, ["data:5", "end", "close:false"]);
    // once our side is ended (here by the handler, as a pipe does), a write is Node's
    // writeAfterFIN: EPIPE, the socket destroyed with it
    let events = server_acting(|sock| {
        sock.on_end(|sock| {
            sock.end();
            assert!(!sock.write(b"x"));
        });
    });
    assert_eq!(
        events,
        [
            "data:5",
            "end",
            "error:EPIPE:This socket has been ended by the other party",
            "close:true"
        ]
    );
}

#[test]
fn set_encoding_gives_text_that_never_splits_a_character() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let pieces: Rc<RefCell<Vec<String>>> = Rc::default();
    let ended = Rc::new(Cell::new(false));
    let (p, e) = (pieces.clone(), ended.clone());
    server.on_secure_connection(move |sock| {
        sock.set_encoding(node_tls::Encoding::Utf8);
        let p = p.clone();
        sock.on_text(move |_, text| p.borrow_mut().push(text.to_string()));
        let e = e.clone();
        sock.on_end(move |_| e.set(true));
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let text = "héllo wörld ✓ 😀 — ünïcode";
    let sock = client(&ev, port);
    sock.on_secure_connect(move |sock| {
        // one byte per write: one TLS record each, so characters arrive cut
        for b in text.bytes() {
            sock.write(&[b]);
        }
        sock.end();
    });
    ev.run_until(|| ended.get(), Duration::from_secs(10))
        .unwrap();
    let pieces = pieces.borrow();
    assert_eq!(pieces.concat(), text);
    assert!(!pieces.concat().contains('\u{fffd}'));
}

#[test]
fn set_timeout_fires_once_per_idle_period_and_activity_resets_it() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let log: Rc<RefCell<Vec<String>>> = Rc::default();
    let l = log.clone();
    server.on_secure_connection(move |sock| {
        sock.set_timeout(Duration::from_millis(400));
        let l2 = l.clone();
        sock.on_timeout(move |_| l2.borrow_mut().push("timeout".into()));
        let l2 = l.clone();
        sock.on_data(move |_, d| l2.borrow_mut().push(String::from_utf8_lossy(d).into()));
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock = client(&ev, port);
    let count = |log: &Rc<RefCell<Vec<String>>>, what: &str| {
        log.borrow().iter().filter(|e| *e == what).count()
    };
    // idle: one 'timeout', and only one however long it stays idle
    assert!(ev
        .run_until(|| count(&log, "timeout") == 1, Duration::from_secs(5))
        .unwrap());
    ev.run_until(|| false, Duration::from_millis(900)).unwrap();
    assert_eq!(count(&log, "timeout"), 1, "{:?}", log.borrow());
    // activity re-arms it: writes every 40 ms keep it quiet, then it fires again
    for i in 0..6 {
        sock.write(format!("{i}").as_bytes());
        ev.run_until(|| false, Duration::from_millis(40)).unwrap();
    }
    assert_eq!(count(&log, "timeout"), 1, "{:?}", log.borrow());
    assert!(ev
        .run_until(|| count(&log, "timeout") == 2, Duration::from_secs(5))
        .unwrap());
    assert!(sock.is_open(), "a timeout does not close the socket");
    let events = log.borrow().join(",");
    assert_eq!(events, "timeout,0,1,2,3,4,5,timeout");
}

#[test]
fn unref_lets_run_return_with_a_server_and_a_socket_open() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let sock = client(&ev, port);
    let secure = Rc::new(Cell::new(false));
    let s = secure.clone();
    sock.on_secure_connect(move |_| s.set(true));
    ev.run_until(|| secure.get(), Duration::from_secs(5))
        .unwrap();
    server.unref();
    sock.unref();
    // the server's side of the connection still counts until it is unref'd too
    assert!(ev.is_alive());
    sock.ref_();
    sock.unref();
    sock.set_no_delay(false)
        .set_keep_alive(true, Duration::from_secs(30));
    sock.destroy();
    ev.run_until(|| !ev.is_alive(), Duration::from_secs(5))
        .unwrap();
    assert!(!ev.is_alive(), "only unref'd handles left");
    server.ref_();
    assert!(ev.is_alive());
    server.close();
    ev.run().unwrap();
}

#[test]
fn connect_resolves_off_the_loop_and_tries_every_address_in_order() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, p256_server()).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    // The first address refuses (nothing listens on 127.0.0.2 at that port): the
    // second is tried, as Node's connect does.
    let sock = connect(
        &ev,
        ConnectOptions::new(port)
            .host("localhost")
            .ca(read_fixture("ca/root-cert.pem"))
            .lookup(|host| {
                assert_eq!(host, "localhost");
                Ok(vec![
                    "127.0.0.2".parse().unwrap(),
                    "127.0.0.1".parse().unwrap(),
                ])
            }),
    )
    .unwrap();
    let secure = Rc::new(Cell::new(false));
    let s = secure.clone();
    sock.on_secure_connect(move |_| s.set(true));
    assert!(ev
        .run_until(|| secure.get(), Duration::from_secs(10))
        .unwrap());
    assert_eq!(sock.remote_address().as_deref(), Some("127.0.0.1"));
    sock.destroy();

    // No address at all: an 'error' event, Node's ENOTFOUND, not a panic or a hang.
    let missing = connect(
        &ev,
        ConnectOptions::new(port)
            .host("nowhere.invalid")
            .lookup(|_| Ok(vec![])),
    )
    .unwrap();
    let error: Rc<RefCell<Option<(String, String)>>> = Rc::default();
    let e = error.clone();
    missing.on_error(move |_, err| *e.borrow_mut() = Some((err.code(), err.to_string())));
    assert!(ev
        .run_until(|| error.borrow().is_some(), Duration::from_secs(10))
        .unwrap());
    assert_eq!(
        *error.borrow(),
        Some((
            "ENOTFOUND".to_string(),
            "getaddrinfo ENOTFOUND nowhere.invalid".to_string()
        ))
    );
    // every address refused: the error of the last one
    let refused = connect(
        &ev,
        ConnectOptions::new(port).host("refused.test").lookup(|_| {
            Ok(vec![
                "127.0.0.2".parse().unwrap(),
                "127.0.0.3".parse().unwrap(),
            ])
        }),
    )
    .unwrap();
    let error: Rc<RefCell<Option<String>>> = Rc::default();
    let e = error.clone();
    refused.on_error(move |_, err| *e.borrow_mut() = Some(err.to_string()));
    assert!(ev
        .run_until(|| error.borrow().is_some(), Duration::from_secs(10))
        .unwrap());
    assert_eq!(
        error.borrow().as_deref(),
        Some(format!("connect ECONNREFUSED 127.0.0.3:{port}").as_str())
    );
}
