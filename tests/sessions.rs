//! Sessions in the user's hands: `getSession()` bytes resume through `session` (same
//! process, same `secureContext`), bytes from elsewhere give a full handshake and no
//! error; `getTLSTicket()` on TLS 1.2; `getTicketKeys()`/`setTicketKeys()` at run time.

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, SecureContext,
    SecureContextOptions, Server, ServerOptions,
};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use suite::read_fixture;

fn server(ev: &EventLoop, version: &str) -> (Server, u16) {
    let server = create_server(
        ev,
        ServerOptions::new()
            .key(read_fixture("leaf/p256-key.pem"))
            .cert(read_fixture("leaf/p256-chain.pem"))
            .max_version(version),
    )
    .unwrap();
    server.on_secure_connection(|sock| {
        sock.write(b"hi");
        sock.end();
    });
    let port = server.listen(0, "127.0.0.1").unwrap().port();
    (server, port)
}

fn client_context() -> SecureContext {
    create_secure_context(&SecureContextOptions::new().ca(read_fixture("ca/root-cert.pem")))
        .unwrap()
}

/// What one connection saw once closed: reused, its session bytes, its TLS 1.2 ticket,
/// any error.
#[derive(Debug, Default, Clone)]
struct Seen {
    reused: bool,
    session: Option<Vec<u8>>,
    ticket: Option<Vec<u8>>,
    error: Option<String>,
}

fn connect_once(
    ev: &EventLoop,
    host: &str,
    port: u16,
    ctx: &SecureContext,
    session: Option<&[u8]>,
) -> Seen {
    connect_named(ev, host, "localhost", port, ctx, session)
}

/// As [`connect_once`], with the SNI name: a destination of its own, whose own
/// sessions (resumed without asking within a context) are not another's.
fn connect_named(
    ev: &EventLoop,
    host: &str,
    servername: &str,
    port: u16,
    ctx: &SecureContext,
    session: Option<&[u8]>,
) -> Seen {
    let mut options = ConnectOptions::new(port)
        .host(host)
        .servername(servername)
        .secure_context(ctx.clone());
    if let Some(bytes) = session {
        options = options.session(bytes);
    }
    let sock = connect(ev, options).unwrap();
    let seen = Rc::new(RefCell::new(Seen::default()));
    let closed = Rc::new(RefCell::new(false));
    sock.on_data(|_, _| {});
    let s = seen.clone();
    // TLS 1.3 tickets come after the handshake: read the session at the end
    sock.on_end(move |sock| {
        let mut s = s.borrow_mut();
        s.reused = sock.is_session_reused();
        s.session = sock.get_session();
        s.ticket = sock.get_tls_ticket();
    });
    let s = seen.clone();
    sock.on_error(move |_, e| s.borrow_mut().error = Some(e.code()));
    let c = closed.clone();
    sock.on_close(move |_, _| *c.borrow_mut() = true);
    assert!(ev
        .run_until(|| *closed.borrow(), Duration::from_secs(10))
        .unwrap());
    let seen = seen.borrow().clone();
    seen
}

#[test]
fn get_session_bytes_resume_through_the_session_option() {
    for version in ["TLSv1.3", "TLSv1.2"] {
        let ev = EventLoop::new().unwrap();
        let (server, port) = server(&ev, version);
        let ctx = client_context();
        let first = connect_once(&ev, "localhost", port, &ctx, None);
        assert_eq!(first.error, None, "{version}");
        assert!(!first.reused);
        let bytes = first
            .session
            .clone()
            .expect("getSession() after the handshake");
        // another destination (host 127.0.0.1): without the bytes nothing is offered...
        let other = client_context();
        let cold = connect_once(&ev, "127.0.0.1", port, &other, None);
        assert!(!cold.reused, "{version}: a fresh context resumed");
        // ...with them, the first connection's session is
        let warm = connect_once(&ev, "127.0.0.1", port, &ctx, Some(&bytes));
        assert!(warm.reused, "{version}: the session bytes did not resume");
        // bytes from elsewhere: a full handshake, no error (each to a destination of
        // its own, *.example.com, which has no sessions yet)
        let mut forged = bytes.clone();
        forged[10] ^= 1; // this process's mark
        for (i, junk) in [forged, b"not a session".to_vec(), Vec::new()]
            .iter()
            .enumerate()
        {
            let name = format!("junk{i}.example.com");
            let seen = connect_named(&ev, "127.0.0.1", &name, port, &ctx, Some(junk));
            assert_eq!(seen.error, None);
            assert!(!seen.reused, "{version}: resumed from {junk:?}");
        }
        // the same bytes in another context: nothing to offer there
        let elsewhere = connect_once(&ev, "127.0.0.1", port, &other, Some(&bytes));
        assert!(!elsewhere.reused && elsewhere.error.is_none(), "{version}");
        server.close();
    }
}

/// `getTLSTicket()`: on TLS 1.2 the ticket our server sealed (it starts with the
/// 16-byte name of the server's ticket keys); none on TLS 1.3.
#[test]
fn get_tls_ticket_is_the_servers_ticket_on_tls12() {
    let ev = EventLoop::new().unwrap();
    let (server, port) = server(&ev, "TLSv1.2");
    let keys = server.get_ticket_keys().expect("tickets are on by default");
    let seen = connect_once(&ev, "localhost", port, &client_context(), None);
    let ticket = seen.ticket.expect("a TLS 1.2 ticket");
    assert_eq!(ticket[..16], keys[..16]);
    server.close();
    let (server, port) = server_tls13(&ev);
    let seen = connect_once(&ev, "localhost", port, &client_context(), None);
    assert_eq!(seen.ticket, None);
    server.close();
}

fn server_tls13(ev: &EventLoop) -> (Server, u16) {
    server(ev, "TLSv1.3")
}

/// `setTicketKeys()` at run time: sessions sealed under the old keys get a full
/// handshake, new ones resume, and a second server given the new keys resumes them
/// too; 47 bytes are refused by name.
#[test]
fn set_ticket_keys_replaces_the_keys_of_a_running_server() {
    for version in ["TLSv1.3", "TLSv1.2"] {
        let ev = EventLoop::new().unwrap();
        let (server, port) = server(&ev, version);
        let ctx = client_context();
        let first = connect_once(&ev, "localhost", port, &ctx, None);
        let old = first.session.unwrap();
        let keys = [0x5a; 48];
        server.set_ticket_keys(&keys).unwrap();
        assert_eq!(server.get_ticket_keys(), Some(keys));
        let after = connect_once(&ev, "localhost", port, &ctx, Some(&old));
        assert!(
            !after.reused,
            "{version}: a ticket under the old keys resumed"
        );
        let again = connect_once(&ev, "localhost", port, &ctx, after.session.as_deref());
        assert!(
            again.reused,
            "{version}: a ticket under the new keys did not resume"
        );
        let twin = create_server(
            &ev,
            ServerOptions::new()
                .key(read_fixture("leaf/p256-key.pem"))
                .cert(read_fixture("leaf/p256-chain.pem"))
                .max_version(version)
                .ticket_keys(keys.to_vec()),
        )
        .unwrap();
        twin.on_secure_connection(|sock| sock.end());
        let twin_port = twin.listen(0, "127.0.0.1").unwrap().port();
        let twin_seen = connect_once(&ev, "localhost", twin_port, &ctx, again.session.as_deref());
        assert!(
            twin_seen.reused,
            "{version}: the twin with the same keys did not resume"
        );
        let err = server.set_ticket_keys(&[0; 47]).unwrap_err();
        assert_eq!(err.code(), "ERR_INVALID_ARG_VALUE");
        assert!(err.to_string().contains("ticketKeys"), "{err}");
        assert!(err.to_string().contains("48-byte"), "{err}");
        server.close();
        twin.close();
    }
}
