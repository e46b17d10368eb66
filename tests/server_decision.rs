//! The server's decision point after the ClientHello: `addContext` (exact names and
//! wildcards), an asynchronous `SNICallback`, its errors, the chosen context's `ca`
//! judging client certificates, and `OCSPRequest` after the SNI decision. Both peers
//! ours, one loop, loopback.

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, OcspReply,
    SecureContext, SecureContextOptions, Server, ServerOptions, SniReply, TlsSocket,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use suite::read_fixture;

fn ctx(key: &str, cert: &str) -> SecureContext {
    create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture(key))
            .cert(read_fixture(cert)),
    )
    .unwrap()
}

/// Which certificate the server sent: its key type.
fn key_kind(sock: &TlsSocket) -> &'static str {
    let cert = sock.get_peer_certificate(false).expect("a certificate");
    if cert[0].modulus.is_some() {
        "rsa"
    } else if cert[0].asn1_curve.is_some() {
        "p256"
    } else {
        "ed25519"
    }
}

fn server(ev: &EventLoop) -> (Server, u16) {
    let options = ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"));
    let server = create_server(ev, options).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    (server, port)
}

/// Connects with `servername`; returns the socket once `secureConnect` or `error` came.
fn hello(ev: &EventLoop, port: u16, servername: Option<&str>) -> (TlsSocket, Rc<RefCell<String>>) {
    hello_asking(ev, port, servername, false)
}

/// [`hello`] with `requestOCSP`.
fn hello_asking(
    ev: &EventLoop,
    port: u16,
    servername: Option<&str>,
    request_ocsp: bool,
) -> (TlsSocket, Rc<RefCell<String>>) {
    let sock = connect(
        ev,
        ConnectOptions::new(port)
            .host("127.0.0.1")
            .servername(servername.unwrap_or_default())
            .reject_unauthorized(false)
            .request_ocsp(request_ocsp)
            .ca(read_fixture("ca/root-cert.pem")),
    )
    .unwrap();
    let outcome = Rc::new(RefCell::new(String::new()));
    let o = outcome.clone();
    sock.on_secure_connect(move |s| *o.borrow_mut() = format!("secure:{}", key_kind(s)));
    let o = outcome.clone();
    sock.on_error(move |_, e| *o.borrow_mut() = format!("error:{}", e.code()));
    (sock, outcome)
}

fn wait(ev: &EventLoop, outcome: &Rc<RefCell<String>>) -> String {
    ev.run_until(|| !outcome.borrow().is_empty(), Duration::from_secs(10))
        .unwrap();
    outcome.borrow().clone()
}

#[test]
fn add_context_picks_by_exact_name_and_wildcard_first_match_wins() {
    let ev = EventLoop::new().unwrap();
    let (server, port) = server(&ev);
    let names: Rc<RefCell<Vec<Option<String>>>> = Rc::default();
    let n = names.clone();
    server.on_secure_connection(move |s| n.borrow_mut().push(s.servername()));
    server
        .add_context(
            "*.example.com",
            ctx("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"),
        )
        .add_context(
            "exact.test",
            ctx("leaf/ed25519-key.pem", "leaf/ed25519-chain.pem"),
        )
        .add_context(
            "a.example.com",
            ctx("leaf/ed25519-key.pem", "leaf/ed25519-chain.pem"),
        );
    for (name, expect) in [
        (Some("a.example.com"), "secure:rsa"), // the wildcard came first
        (Some("B.EXAMPLE.COM"), "secure:rsa"),
        (Some("exact.test"), "secure:ed25519"),
        (Some("a.b.example.com"), "secure:p256"), // one label only
        (Some("other.test"), "secure:p256"),
        (None, "secure:p256"),
    ] {
        let (_sock, outcome) = hello(&ev, port, name);
        assert_eq!(wait(&ev, &outcome), expect, "{name:?}");
    }
    ev.run_until(|| names.borrow().len() == 6, Duration::from_secs(5))
        .unwrap();
    assert_eq!(names.borrow()[2].as_deref(), Some("exact.test"));
    assert_eq!(names.borrow()[5], None);
}

#[test]
fn sni_callback_answers_later_or_refuses() {
    let ev = EventLoop::new().unwrap();
    let (server, port) = server(&ev);
    let pending: Rc<RefCell<Vec<(String, SniReply)>>> = Rc::default();
    let p = pending.clone();
    server.sni_callback(move |name, reply| p.borrow_mut().push((name.to_string(), reply)));
    let errors: Rc<RefCell<Vec<String>>> = Rc::default();
    let e = errors.clone();
    server.on_client_error(move |_, err| e.borrow_mut().push(format!("{}:{err}", err.code())));

    let (_a, a) = hello(&ev, port, Some("later.test"));
    let (_b, b) = hello(&ev, port, Some("refused.test"));
    let (_c, c) = hello(&ev, port, None); // no SNI: no callback, the default context
    assert_eq!(wait(&ev, &c), "secure:p256");
    ev.run_until(|| pending.borrow().len() == 2, Duration::from_secs(5))
        .unwrap();
    // nothing moves while the answers wait
    ev.run_until(|| false, Duration::from_millis(200)).unwrap();
    assert!(a.borrow().is_empty() && b.borrow().is_empty());
    let mut answers = std::mem::take(&mut *pending.borrow_mut());
    answers.sort_by(|x, y| x.0.cmp(&y.0)); // accept order is the kernel's
    let (name_b, reply_b) = answers.pop().unwrap();
    let (name_a, reply_a) = answers.pop().unwrap();
    assert_eq!(
        (name_a.as_str(), name_b.as_str()),
        ("later.test", "refused.test")
    );
    reply_a.context(&ctx("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"));
    reply_b.error("ERR_NO_CONTEXT", "no context for refused.test");
    assert_eq!(wait(&ev, &a), "secure:rsa");
    assert_eq!(wait(&ev, &b), "error:ECONNRESET");
    assert_eq!(
        *errors.borrow(),
        ["ERR_NO_CONTEXT:no context for refused.test"]
    );
}

#[test]
fn the_chosen_contexts_ca_judges_the_client_certificate() {
    let ev = EventLoop::new().unwrap();
    let options = ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"))
        .request_cert(true);
    let server = create_server(&ev, options).unwrap();
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    let with_ca = create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture("leaf/rsa2048-key.pem"))
            .cert(read_fixture("leaf/rsa2048-chain.pem"))
            .ca(read_fixture("client/client-ca-cert.pem")),
    )
    .unwrap();
    server.add_context("clients.example.com", with_ca);
    let verdicts: Rc<RefCell<Vec<String>>> = Rc::default();
    let v = verdicts.clone();
    server.on_secure_connection(move |s| {
        v.borrow_mut().push(match s.authorization_error() {
            None => "authorized".to_string(),
            Some(code) => code,
        })
    });
    for name in ["clients.example.com", "other.example.com"] {
        let sock = connect(
            &ev,
            ConnectOptions::new(port)
                .host("127.0.0.1")
                .servername(name)
                .reject_unauthorized(false)
                .key(read_fixture("client/client1-key.pem"))
                .cert(read_fixture("client/client1-cert.pem")),
        )
        .unwrap();
        let done = Rc::new(RefCell::new(false));
        let d = done.clone();
        sock.on_secure_connect(move |_| *d.borrow_mut() = true);
        ev.run_until(|| *done.borrow(), Duration::from_secs(10))
            .unwrap();
    }
    ev.run_until(|| verdicts.borrow().len() == 2, Duration::from_secs(5))
        .unwrap();
    assert_eq!(
        *verdicts.borrow(),
        ["authorized", "UNABLE_TO_VERIFY_LEAF_SIGNATURE"]
    );
}

/// The DER of the first certificate in a PEM fixture.
fn der(path: &str) -> Vec<u8> {
    context::pem::parse(&read_fixture(path)).unwrap()[0]
        .der
        .clone()
}

#[test]
fn ocsp_request_comes_after_the_sni_decision_and_is_answered_later() {
    let ev = EventLoop::new().unwrap();
    let (server, port) = server(&ev);
    server.add_context(
        "*.example.com",
        ctx("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"),
    );
    type Asked = (Vec<u8>, Option<Vec<u8>>, OcspReply);
    let pending: Rc<RefCell<Vec<Asked>>> = Rc::default();
    let p = pending.clone();
    server.on_ocsp_request(move |cert, issuer, reply| {
        p.borrow_mut()
            .push((cert.to_vec(), issuer.map(<[u8]>::to_vec), reply));
    });
    let errors: Rc<RefCell<Vec<String>>> = Rc::default();
    let e = errors.clone();
    server.on_client_error(move |_, err| e.borrow_mut().push(format!("{}:{err}", err.code())));
    let staples: Rc<RefCell<Vec<Option<Vec<u8>>>>> = Rc::default();
    let ask = |name: &str, request_ocsp: bool| {
        let (sock, outcome) = hello_asking(&ev, port, Some(name), request_ocsp);
        let s = staples.clone();
        sock.on_ocsp_response(move |_, staple| s.borrow_mut().push(staple.map(<[u8]>::to_vec)));
        (sock, outcome)
    };
    // one connection at a time: each OCSPRequest is matched to its client
    let (_a, a) = ask("a.example.com", true);
    ev.run_until(|| pending.borrow().len() == 1, Duration::from_secs(5))
        .unwrap();
    let (cert, issuer, reply) = pending.borrow_mut().pop().unwrap();
    assert_eq!(
        cert,
        der("leaf/rsa2048-cert.pem"),
        "the SNI context's certificate"
    );
    assert_eq!(
        issuer,
        Some(der("ca/intermediate-cert.pem")),
        "its issuer, from `cert`"
    );
    ev.run_until(|| false, Duration::from_millis(100)).unwrap();
    assert!(a.borrow().is_empty(), "the handshake waits for the answer");
    reply.staple(b"staple".to_vec());
    assert_eq!(wait(&ev, &a), "secure:rsa");
    // the default context's certificate; nothing stapled
    let (_b, b) = ask("localhost", true);
    ev.run_until(|| pending.borrow().len() == 1, Duration::from_secs(5))
        .unwrap();
    let (cert, _, reply) = pending.borrow_mut().pop().unwrap();
    assert_eq!(cert, der("leaf/p256-cert.pem"));
    reply.no_staple();
    assert_eq!(wait(&ev, &b), "secure:p256");
    // an error refuses the connection: clientError with it, the client is reset
    let (_c, c) = ask("c.example.com", false);
    ev.run_until(|| pending.borrow().len() == 1, Duration::from_secs(5))
        .unwrap();
    let (_, _, reply) = pending.borrow_mut().pop().unwrap();
    reply.error("E_OCSP", "no response at hand");
    assert_eq!(wait(&ev, &c), "error:ECONNRESET");
    assert_eq!(*errors.borrow(), ["E_OCSP:no response at hand"]);
    // OCSPResponse: once for each client that asked (rustls asks for every client:
    // the server is asked about `c` too), before secureConnect
    assert_eq!(*staples.borrow(), [Some(b"staple".to_vec()), None]);
}

/// A server without tickets (`SSL_OP_NO_TICKET`) at `version`, with an external session
/// cache shared through `cache`: `newSession` stores (answered on the next turn, as a
/// cache in another process would), `resumeSession` looks up. `log` gets each event.
fn cached_server(
    ev: &EventLoop,
    version: &str,
    cache: &Rc<RefCell<std::collections::HashMap<Vec<u8>, Vec<u8>>>>,
    log: &Log,
) -> (Server, u16) {
    let context = create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture("leaf/p256-key.pem"))
            .cert(read_fixture("leaf/p256-chain.pem"))
            .secure_options(0x4000)
            .max_version(version),
    )
    .unwrap();
    let server = create_server(ev, ServerOptions::new().secure_context(context)).unwrap();
    let (c, l) = (cache.clone(), log.clone());
    let later: Rc<RefCell<Vec<node_tls::SessionDone>>> = Rc::default();
    let pending = later.clone();
    let remote = ev.remote();
    server.on_new_session(move |id, data, done| {
        l.borrow_mut().push("newSession".into());
        c.borrow_mut().insert(id.to_vec(), data.to_vec());
        pending.borrow_mut().push(done);
        let _ = remote.wake();
    });
    ev.on_wake(move || {
        for done in later.borrow_mut().drain(..) {
            done.done();
        }
    });
    let (c, l) = (cache.clone(), log.clone());
    server.on_resume_session(move |id, reply| {
        let found = c.borrow().get(id).cloned();
        l.borrow_mut()
            .push(format!("resumeSession:{}", found.is_some()));
        match found {
            Some(data) => reply.session(data),
            None => reply.not_found(),
        }
    });
    let l = log.clone();
    server.sni_callback(move |_, reply| {
        l.borrow_mut().push("SNICallback".into());
        reply.default_context();
    });
    let l = log.clone();
    server.on_secure_connection(move |s| {
        l.borrow_mut()
            .push(format!("secureConnection:{}", s.is_session_reused()));
        // held, with the TLS 1.3 tickets, until the newSession callbacks
        s.write(b"x");
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    (server, port)
}

type Log = Rc<RefCell<Vec<String>>>;

/// Two [`cached_server`]s sharing one cache: the servers, their ports, their logs.
fn cached_pair(ev: &EventLoop, version: &str) -> ([Server; 2], [u16; 2], [Log; 2]) {
    let cache = Rc::default();
    let logs: [Log; 2] = Default::default();
    let (a, port_a) = cached_server(ev, version, &cache, &logs[0]);
    let (b, port_b) = cached_server(ev, version, &cache, &logs[1]);
    ([a, b], [port_a, port_b], logs)
}

#[test]
fn an_external_session_cache_lets_two_servers_resume_each_others_sessions() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let ev = EventLoop::new().unwrap();
        let (_servers, [port_a, port_b], [log_a, log_b]) = cached_pair(&ev, version);
        let client_ctx = create_secure_context(
            &SecureContextOptions::new().ca(read_fixture("ca/root-cert.pem")),
        )
        .unwrap();
        let go = |port: u16, from: Option<node_tls::Destination>| {
            let sock = connect(
                &ev,
                ConnectOptions::new(port)
                    .host("localhost")
                    .servername("localhost")
                    .secure_context(client_ctx.clone())
                    .session_from(from),
            )
            .unwrap();
            // (reused, the destination whose session it made), taken while open
            let reused = Rc::new(RefCell::new(None));
            let r = reused.clone();
            sock.on_secure_connect(move |s| {
                *r.borrow_mut() = Some((s.is_session_reused(), s.destination()));
            });
            sock.on_data(|s, _| s.end());
            sock.on_error(|_, e| panic!("{e:?}"));
            ev.run_until(|| !sock.is_open(), Duration::from_secs(10))
                .unwrap();
            let (reused, destination) = reused.borrow_mut().take().expect("secureConnect");
            (destination, reused)
        };
        let (first, reused) = go(port_a, None);
        assert!(!reused, "{version}");
        let (_, reused) = go(port_b, first);
        assert!(
            reused,
            "{version}: {:?} {:?}",
            log_a.borrow(),
            log_b.borrow()
        );
        let a = log_a.borrow();
        let b = log_b.borrow();
        // Node's order: resumeSession (its ClientHello parser) before SNICallback
        assert_eq!(a[0], "resumeSession:false", "{version}: {a:?}");
        assert_eq!(a[1], "SNICallback", "{version}: {a:?}");
        assert!(a.contains(&"newSession".to_string()), "{version}: {a:?}");
        assert_eq!(b[0], "resumeSession:true", "{version}: {b:?}");
        assert!(b.contains(&"secureConnection:true".to_string()), "{b:?}");
    }
}

#[test]
fn nodes_client_resumes_on_a_second_server_through_the_external_cache() {
    if !suite::have("node") {
        return;
    }
    let script = r#"
const tls = require('tls'), fs = require('fs');
const [a, b, ca] = process.argv.slice(1);
const reused = [];
let session;
const go = (port, then) => {
  const s = tls.connect({ port: Number(port), host: 'localhost', ca: fs.readFileSync(ca), session });
  s.on('session', (sess) => { session = sess; });
  s.on('secureConnect', () => reused.push(s.isSessionReused()));
  s.on('data', () => s.end());
  s.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
  s.on('close', then);
};
go(a, () => go(b, () => console.log(JSON.stringify({ event: 'done', reused }))));
"#;
    for version in ["TLSv1.2", "TLSv1.3"] {
        let ev = EventLoop::new().unwrap();
        let (_servers, [port_a, port_b], [log_a, log_b]) = cached_pair(&ev, version);
        let ca = suite::fixture("ca/root-cert.pem").display().to_string();
        let mut node = suite::Proc::node(script, &[&port_a.to_string(), &port_b.to_string(), &ca]);
        // our loop runs in slices; Node's line ends the test
        let started = std::time::Instant::now();
        let line = loop {
            ev.run_until(|| false, Duration::from_millis(20)).unwrap();
            if let Some(line) = node.line_within(Duration::ZERO) {
                break line;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{version}: no end"
            );
        };
        assert_eq!(
            line,
            r#"{"event":"done","reused":[false,true]}"#,
            "{version}: {:?} {:?}",
            log_a.borrow(),
            log_b.borrow()
        );
        assert!(log_b.borrow().contains(&"resumeSession:true".to_string()));
    }
}
