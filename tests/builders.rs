//! The options builders of `tls.createServer` and `tls.connect`: every option has its
//! method and none loses another, whatever the order they are given in; a server with
//! no certificate, half a key pair, or options beside a `secureContext` is refused at
//! creation with the option named.

#![forbid(unsafe_code)]

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, SecureContext,
    SecureContextOptions, ServerAddress, ServerOptions, TlsSocket,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use suite::read_fixture;

type Step = fn(ServerOptions) -> ServerOptions;

/// Six options, each set once, one of them through `context_options`.
fn steps() -> Vec<(&'static str, Step)> {
    vec![
        ("key", |o| o.key(read_fixture("spec/server-key.pem"))),
        ("cert", |o| o.cert(read_fixture("spec/server-cert.pem"))),
        ("ciphers", |o| {
            o.ciphers("TLS_AES_256_GCM_SHA384:ECDHE-RSA-AES256-GCM-SHA384")
        }),
        ("minVersion", |o| o.min_version("TLSv1.3")),
        ("honorCipherOrder", |o| o.honor_cipher_order(true)),
        ("context_options", |o| {
            o.context_options(SecureContextOptions::new().ecdh_curve("P-256"))
        }),
    ]
}

/// Every permutation of `0..n`, in lexicographic order.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for first in 0..n {
        for rest in permutations(n - 1) {
            let mut p = vec![first];
            p.extend(rest.into_iter().map(|i| if i >= first { i + 1 } else { i }));
            out.push(p);
        }
    }
    out
}

fn server_options(order: &[usize]) -> ServerOptions {
    let steps = steps();
    order
        .iter()
        .fold(ServerOptions::new(), |o, &i| (steps[i].1)(o))
}

/// Connects to `port` and returns what `secureConnect` saw, or the error's code.
fn handshake(ev: &EventLoop, options: ConnectOptions) -> String {
    let outcome = Rc::new(RefCell::new(String::new()));
    let sock = connect(ev, options).unwrap();
    let o = outcome.clone();
    sock.on_secure_connect(move |s: &TlsSocket| {
        let cipher = s.get_cipher().map(|c| c.name).unwrap_or("none");
        *o.borrow_mut() = format!("{} {cipher}", s.get_protocol().unwrap_or("none"));
        s.end();
    });
    let o = outcome.clone();
    sock.on_error(move |_, e| *o.borrow_mut() = format!("error {}", e.code()));
    let done = ev
        .run_until(|| !outcome.borrow().is_empty(), Duration::from_secs(10))
        .unwrap();
    assert!(done, "no secureConnect or error");
    sock.destroy();
    let outcome = outcome.borrow().clone();
    outcome
}

fn client(port: u16) -> ConnectOptions {
    ConnectOptions::new(port)
        .host("localhost")
        .ca(read_fixture("spec/server-cert.pem"))
}

/// The 720 orders of six options build the same options (their `Debug` is equal),
/// and a server made from them serves with all six in force: TLS 1.3 only, the one
/// TLS 1.3 suite allowed. (`context_options` once replaced the key and cert before it.)
#[test]
fn builders_compose_in_any_order() {
    let orders = permutations(steps().len());
    assert_eq!(orders.len(), 720);
    let reference = format!("{:?}", server_options(&orders[0]));
    for order in &orders {
        let got = format!("{:?}", server_options(order));
        let names: Vec<_> = order.iter().map(|&i| steps()[i].0).collect();
        assert_eq!(got, reference, "options given in the order {names:?}");
    }
    let ev = EventLoop::new().unwrap();
    for order in [&orders[0], &orders[719], &orders[360]] {
        let server = create_server(&ev, server_options(order)).unwrap();
        let port = server.listen(0, "127.0.0.1").unwrap().port();
        assert_eq!(
            handshake(&ev, client(port)),
            "TLSv1.3 TLS_AES_256_GCM_SHA384"
        );
        // minVersion is in force: a TLS 1.2-only client is refused.
        assert_eq!(
            handshake(&ev, client(port).max_version("TLSv1.2")),
            "error ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION"
        );
        server.close();
    }
}

fn refused(options: ServerOptions) -> (String, String) {
    let ev = EventLoop::new().unwrap();
    let err = create_server(&ev, options).unwrap_err();
    (err.code(), err.to_string())
}

fn spec_context() -> SecureContext {
    create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture("spec/server-key.pem"))
            .cert(read_fixture("spec/server-cert.pem")),
    )
    .unwrap()
}

/// Node creates these servers and fails every handshake ("no shared cipher"); here
/// `create_server` says which option is missing.
#[test]
fn a_server_without_its_certificate_is_refused_naming_the_option() {
    let (code, message) = refused(ServerOptions::new());
    assert_eq!(code, "ERR_MISSING_OPTION");
    assert!(
        message.starts_with("invalid `cert`: a server needs a certificate"),
        "{message}"
    );
    let (code, message) = refused(ServerOptions::new().key(read_fixture("spec/server-key.pem")));
    assert_eq!(code, "ERR_MISSING_OPTION");
    assert_eq!(message, "invalid `cert`: a `key` needs its `cert`");
    let (code, message) = refused(
        ServerOptions::new()
            .cert(read_fixture("spec/server-cert.pem"))
            .ciphers("ECDHE-RSA-AES128-GCM-SHA256"),
    );
    assert_eq!(code, "ERR_MISSING_OPTION");
    assert_eq!(message, "invalid `key`: a `cert` needs its `key`");
    // A context without credentials is no better.
    let bare = create_secure_context(&SecureContextOptions::new()).unwrap();
    let (code, _) = refused(ServerOptions::new().secure_context(bare));
    assert_eq!(code, "ERR_MISSING_OPTION");
    // Options beside a secureContext would be ignored (Node ignores them silently).
    let (code, message) = refused(
        ServerOptions::new()
            .secure_context(spec_context())
            .ca(read_fixture("ca/root-cert.pem"))
            .session_timeout(10),
    );
    assert_eq!(code, "ERR_INVALID_ARG_VALUE");
    assert_eq!(
        message,
        "invalid `secureContext`: given with `ca`, `sessionTimeout`, which it would override: \
         set them on the context"
    );
    // The client side checks the same pairs.
    let ev = EventLoop::new().unwrap();
    let err = connect(
        &ev,
        ConnectOptions::new(1).key(read_fixture("spec/server-key.pem")),
    )
    .unwrap_err();
    assert_eq!(err.code(), "ERR_MISSING_OPTION");
    assert_eq!(err.to_string(), "invalid `cert`: a `key` needs its `cert`");
}

/// A server whose certificates all come from SNI (contexts or a callback given with
/// the options) is not refused, and serves them.
#[test]
fn a_server_of_sni_contexts_only_serves_them() {
    let ev = EventLoop::new().unwrap();
    let by_context = create_server(
        &ev,
        ServerOptions::new().add_context("localhost", spec_context()),
    )
    .unwrap();
    let context = spec_context();
    let asked = Rc::new(RefCell::new(Vec::new()));
    let names = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = names.clone();
    let by_callback = create_server(
        &ev,
        ServerOptions::new().sni_callback(move |name, reply| {
            seen.lock().unwrap().push(name.to_string());
            reply.context(&context);
        }),
    )
    .unwrap();
    for server in [&by_context, &by_callback] {
        let a = asked.clone();
        server.on_secure_connection(move |s| a.borrow_mut().push(s.servername()));
        let port = server.listen(0, "127.0.0.1").unwrap().port();
        let options = client(port).servername("localhost");
        assert_eq!(handshake(&ev, options).split(' ').next(), Some("TLSv1.3"));
    }
    assert_eq!(names.lock().unwrap().as_slice(), ["localhost"]);
    let served = ev
        .run_until(|| asked.borrow().len() == 2, Duration::from_secs(10))
        .unwrap();
    assert!(served, "{:?}", asked.borrow());
    let localhost = Some("localhost".to_string());
    assert_eq!(asked.borrow().as_slice(), [localhost.clone(), localhost]);
}

/// `servername("")` sends no SNI, as in Node; `listen(port, host)` in Node's order;
/// `address()` is `None` before `listen` and after `close`, as Node's `null`.
#[test]
fn servername_listen_and_address_as_node() {
    let ev = EventLoop::new().unwrap();
    let server = create_server(&ev, ServerOptions::new().secure_context(spec_context())).unwrap();
    assert_eq!(server.address(), None);
    let addr = server.listen(0, "127.0.0.1").unwrap();
    assert_eq!(server.address(), Some(ServerAddress::Inet(addr)));
    let names = Rc::new(RefCell::new(Vec::new()));
    let n = names.clone();
    server.on_secure_connection(move |s| n.borrow_mut().push(s.servername()));
    for name in ["localhost", ""] {
        let outcome = handshake(&ev, client(addr.port()).servername(name));
        assert!(outcome.starts_with("TLSv1.3"), "{outcome}");
    }
    let got = ev
        .run_until(|| names.borrow().len() == 2, Duration::from_secs(10))
        .unwrap();
    assert!(got);
    assert_eq!(
        names.borrow().as_slice(),
        [Some("localhost".to_string()), None]
    );
    server.close();
    assert_eq!(server.address(), None);
}
