//! `renegotiate()` as TLS 1.3 has it: a KeyUpdate, seen by `openssl s_server -msg`,
//! answered by the server's own, data flowing after; on TLS 1.2 a clear error and
//! nothing on the wire; options that would change the peer check are refused by name.

use node_tls::{connect, ConnectOptions, EventLoop, RenegotiateOptions, TlsSocket};
use std::cell::RefCell;
use std::process::Command;
use std::rc::Rc;
use std::time::{Duration, Instant};
use suite::{fixture, have, Proc};

fn path(name: &str) -> String {
    fixture(name).display().to_string()
}

/// `openssl s_server -rev -msg` (answers each line reversed, prints every message).
fn s_server(version: &str) -> (Proc, u16) {
    let mut cmd = Command::new("openssl");
    cmd.args([
        "s_server", "-accept", "0", "-rev", "-msg", "-naccept", "1", version,
    ])
    .args([
        "-cert",
        &path("leaf/p256-cert.pem"),
        "-key",
        &path("leaf/p256-key.pem"),
    ])
    .args(["-cert_chain", &path("ca/intermediate-cert.pem")]);
    let mut p = Proc::spawn(cmd);
    let accept = p.expect("ACCEPT", |l| l.starts_with("ACCEPT"));
    let port = accept.rsplit(':').next().unwrap().parse().unwrap();
    (p, port)
}

type Log = Rc<RefCell<Vec<String>>>;

/// Connects, calls `act` on `secureConnect`, logs the callback's verdict and the data;
/// runs until `done(log)` or 10 s.
fn run(
    port: u16,
    act: impl Fn(&TlsSocket, Log) + 'static,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let ev = EventLoop::new().unwrap();
    let options = ConnectOptions::new(port)
        .host("127.0.0.1")
        .servername("localhost")
        .ca(suite::read_fixture("ca/root-cert.pem"));
    let sock = connect(&ev, options).unwrap();
    let log = Log::default();
    let l = log.clone();
    sock.on_secure_connect(move |sock| act(sock, l.clone()));
    let l = log.clone();
    sock.on_data(move |_, d| {
        l.borrow_mut()
            .push(format!("data:{}", String::from_utf8_lossy(d)))
    });
    let l = log.clone();
    sock.on_error(move |_, e| l.borrow_mut().push(format!("error:{}", e.code())));
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done(&log.borrow()) && Instant::now() < deadline {
        ev.run_until(|| done(&log.borrow()), Duration::from_millis(50))
            .unwrap();
    }
    sock.destroy();
    let entries = log.borrow().clone();
    entries
}

fn verdict(err: Option<&node_tls::Error>) -> String {
    match err {
        None => "renegotiated".to_string(),
        Some(e) => format!("refused:{}:{e}", e.code()),
    }
}

/// On `secureConnect`: `renegotiate()` (its return value logged), and in its callback
/// (its verdict logged) a line for s_server to reverse; runs until the reversed line.
fn renegotiate_then_hello(port: u16) -> Vec<String> {
    run(
        port,
        |sock, log| {
            let l = log.clone();
            let started = sock.renegotiate(RenegotiateOptions::default(), move |sock, err| {
                l.borrow_mut().push(verdict(err));
                sock.write(b"hello\n");
            });
            log.borrow_mut().push(format!("returned:{started}"));
        },
        |log| log.iter().any(|l| l.contains("olleh")),
    )
}

#[test]
fn on_tls13_it_is_a_key_update_both_ways() {
    if !have("openssl") {
        return;
    }
    let (mut server, port) = s_server("-tls1_3");
    let log = renegotiate_then_hello(port);
    assert_eq!(log[..2], ["returned:true", "renegotiated"], "{log:?}");
    assert!(log.iter().any(|l| l.contains("olleh")), "{log:?}");

    let seen = server.rest();
    // s_server's -msg lines: ours in (`<<<`), then its own out (`>>>`) before the echo
    let key_updates: Vec<&String> = seen.iter().filter(|l| l.contains("KeyUpdate")).collect();
    assert!(
        key_updates.iter().any(|l| l.starts_with("<<<")),
        "{seen:#?}"
    );
    assert!(
        key_updates.iter().any(|l| l.starts_with(">>>")),
        "{seen:#?}"
    );
}

#[test]
fn on_tls12_it_is_an_error_and_nothing_is_sent() {
    if !have("openssl") {
        return;
    }
    let (mut server, port) = s_server("-tls1_2");
    let log = renegotiate_then_hello(port);
    assert_eq!(log[0], "returned:false", "{log:?}");
    assert_eq!(
        log[1],
        "refused:ERR_TLS_RENEGOTIATE:Attempt to renegotiate TLS session failed: TLS 1.2 \
         renegotiation is not supported (rustls has none); on TLS 1.3 renegotiate() updates \
         the keys"
    );
    assert!(log.iter().any(|l| l.contains("olleh")), "{log:?}");

    let seen = server.rest();
    let hellos = seen.iter().filter(|l| l.contains("ClientHello")).count();
    assert_eq!(hellos, 1, "a second handshake was sent: {seen:#?}");
}

#[test]
fn options_that_change_the_peer_check_and_disabled_renegotiation_are_refused() {
    if !have("openssl") {
        return;
    }
    let (_server, port) = s_server("-tls1_3");
    let log = run(
        port,
        |sock, log| {
            let asks = [
                RenegotiateOptions {
                    reject_unauthorized: Some(false),
                    request_cert: None,
                },
                RenegotiateOptions {
                    reject_unauthorized: Some(true),
                    request_cert: Some(true),
                },
            ];
            for options in asks {
                let l = log.clone();
                let started =
                    sock.renegotiate(options, move |_, err| l.borrow_mut().push(verdict(err)));
                log.borrow_mut().push(format!("returned:{started}"));
            }
            sock.disable_renegotiation();
            let l = log.clone();
            sock.renegotiate(RenegotiateOptions::default(), move |_, err| {
                l.borrow_mut().push(verdict(err))
            });
        },
        |log| log.len() >= 5,
    );
    assert_eq!(
        log,
        [
            "returned:false",
            "returned:true",
            "refused:ERR_INVALID_ARG_VALUE:invalid `rejectUnauthorized`: cannot change on \
             renegotiate(): a TLS 1.3 key update keeps the session's authentication (TLS 1.2 \
             renegotiation is not supported)",
            "renegotiated",
            "refused:ERR_TLS_RENEGOTIATION_DISABLED:TLS session renegotiation disabled for \
             this socket",
        ]
    );
}
