//! Loops on several threads: servers on two loops share one port (`SO_REUSEPORT`) and
//! one `SecureContext`, so a session issued on one loop resumes on the other.

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, SecureContextOptions,
    ServerOptions,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;
use suite::read_fixture;

/// One connection as the server saw it: which loop, whether it resumed.
type Report = (usize, bool);

/// What stops one loop: a message, then a wake-up.
type Stop = (mpsc::Sender<()>, node_tls::Remote);

/// Two loops on two threads, one port; returns the port, the reports' channel, and
/// the stop switches.
fn two_loops(version: &'static str) -> (u16, mpsc::Receiver<Report>, Vec<Stop>) {
    let context = create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture("leaf/p256-key.pem"))
            .cert(read_fixture("leaf/p256-chain.pem"))
            .max_version(version),
    )
    .unwrap();
    let (reports, seen) = mpsc::channel();
    let mut port = 0;
    let mut stops = Vec::new();
    for index in 0..2 {
        let (ready_tx, ready) = mpsc::channel();
        let context = context.clone();
        let reports = reports.clone();
        std::thread::spawn(move || {
            let ev = EventLoop::new().unwrap();
            let server = create_server(&ev, ServerOptions::new().secure_context(context)).unwrap();
            server.on_secure_connection(move |sock| {
                let _ = reports.send((index, sock.is_session_reused()));
                sock.write(b"hi");
                sock.end();
            });
            let bound = server.listen_reuse_port(port, "127.0.0.1").unwrap();
            let (stop_tx, stop) = mpsc::channel::<()>();
            ready_tx.send((bound.port(), stop_tx, ev.remote())).unwrap();
            let s = server.clone();
            ev.on_wake(move || {
                if stop.try_recv().is_ok() {
                    s.close();
                }
            });
            ev.run().unwrap();
        });
        let (bound, stop_tx, remote) = ready.recv().unwrap();
        port = bound;
        stops.push((stop_tx, remote));
    }
    (port, seen, stops)
}

/// A connection with `ctx` (offering `session`), run to its close; its session bytes.
fn connect_once(
    ev: &EventLoop,
    port: u16,
    ctx: &node_tls::SecureContext,
    session: Option<&[u8]>,
) -> Option<Vec<u8>> {
    let mut options = ConnectOptions::new(port)
        .host("127.0.0.1")
        .servername("localhost")
        .secure_context(ctx.clone());
    if let Some(bytes) = session {
        options = options.session(bytes);
    }
    let sock = connect(ev, options).unwrap();
    sock.on_data(|_, _| {});
    let out = Rc::new(RefCell::new(None));
    let closed = Rc::new(RefCell::new(false));
    let o = out.clone();
    sock.on_end(move |sock| *o.borrow_mut() = sock.get_session());
    let c = closed.clone();
    sock.on_close(move |_, _| *c.borrow_mut() = true);
    assert!(ev
        .run_until(|| *closed.borrow(), Duration::from_secs(10))
        .unwrap());
    let out = out.borrow().clone();
    out
}

#[test]
fn a_session_from_one_loop_resumes_on_the_other() {
    for version in ["TLSv1.3", "TLSv1.2"] {
        let (port, seen, stops) = two_loops(version);
        let ev = EventLoop::new().unwrap();
        let mut loops_seen = [false; 2];
        let mut crossed = false;
        for _ in 0..40 {
            // a fresh client context: the session offered can only be the first's
            let ctx = create_secure_context(
                &SecureContextOptions::new().ca(read_fixture("ca/root-cert.pem")),
            )
            .unwrap();
            let session = connect_once(&ev, port, &ctx, None).expect("a session");
            let (first_loop, first_reused) = seen.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(!first_reused);
            connect_once(&ev, port, &ctx, Some(&session));
            let (second_loop, reused) = seen.recv_timeout(Duration::from_secs(5)).unwrap();
            assert!(
                reused,
                "{version}: not resumed (issued on loop {first_loop}, offered to {second_loop})"
            );
            loops_seen[first_loop] = true;
            loops_seen[second_loop] = true;
            if first_loop != second_loop {
                crossed = true;
                break;
            }
        }
        assert!(
            crossed,
            "{version}: the kernel never gave the two connections of a pair to different loops"
        );
        assert_eq!(loops_seen, [true, true]);
        for (stop, remote) in stops {
            stop.send(()).unwrap();
            remote.wake().unwrap();
        }
    }
}
