//! In-memory pairs of connections on a virtual clock.

use super::*;
use context::{create_secure_context, SecureContextOptions, VerifyCode};

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn ctx(options: SecureContextOptions) -> SecureContext {
    create_secure_context(&options).unwrap()
}

/// The spec's server: its v1 self-signed cert, trusting the client's.
fn spec_server() -> SecureContext {
    ctx(spec_server_options().ca(read("spec/client-cert.pem")))
}

/// The spec server's key and certificate.
fn spec_server_options() -> SecureContextOptions {
    SecureContextOptions::new()
        .key(read("spec/server-key.pem"))
        .cert(read("spec/server-cert.pem"))
}

fn spec_client() -> SecureContext {
    ctx(SecureContextOptions::new()
        .key(read("spec/client-key.pem"))
        .cert(read("spec/client-cert.pem"))
        .ca(read("spec/server-cert.pem")))
}

/// Moves bytes both ways until neither side has anything to send; collects events.
struct Pair {
    client: Connection,
    server: Connection,
    client_events: Vec<Event>,
    server_events: Vec<Event>,
}

impl Pair {
    fn new(client: Connection, server: Connection) -> Self {
        Self {
            client,
            server,
            client_events: Vec::new(),
            server_events: Vec::new(),
        }
    }

    fn drive(&mut self) {
        for _ in 0..50 {
            let mut buf = Vec::new();
            let a = self.client.poll_transmit(&mut buf);
            self.server.feed(&buf);
            buf.clear();
            let b = self.server.poll_transmit(&mut buf);
            self.client.feed(&buf);
            while let Some(e) = self.client.poll_event() {
                self.client_events.push(e);
            }
            while let Some(e) = self.server.poll_event() {
                self.server_events.push(e);
            }
            if a == 0 && b == 0 {
                return;
            }
        }
        panic!("no quiescence after 50 flights");
    }
}

fn names(events: &[Event]) -> Vec<String> {
    events
        .iter()
        .map(|e| match e {
            Event::Secure => "secure".to_string(),
            Event::Session => "session".to_string(),
            Event::Data(d) => format!("data:{}", String::from_utf8_lossy(d)),
            Event::End => "end".to_string(),
            Event::ClientHello(h) => format!("clientHello:{:?}", h.servername),
            Event::NewSession { id, .. } => format!("newSession:{}", id.len()),
            Event::OcspResponse(r) => format!(
                "ocspResponse:{}",
                r.as_deref().map_or("none".into(), String::from_utf8_lossy)
            ),
            Event::Error(e) => format!("error:{}", e.code()),
            Event::KeyLog(line) => format!("keylog:{}", String::from_utf8_lossy(line)),
        })
        .collect()
}

/// A client that sends `host` as SNI when it is a name (what the CLI does).
fn client_to(host: &str, ctx: &SecureContext) -> Connection {
    let mut options = ClientOptions::new(host);
    options.servername = Some(host.to_string());
    Connection::client(ctx, options, Now::system()).unwrap()
}

fn server(ctx: &SecureContext, request_cert: bool, reject: bool) -> Connection {
    let options = ServerOptions {
        request_cert,
        reject_unauthorized: reject,
        ..ServerOptions::default()
    };
    Connection::server(ctx, options, Now::system()).unwrap()
}

#[test]
/// Two `session` events follow `secure`: the two TLS 1.3 tickets a server sends, as
/// Node's client reports them.
fn spec_echo_both_authorized_then_clean_close() {
    let mut pair = Pair::new(
        client_to("localhost", &spec_client()),
        server(&spec_server(), true, true),
    );
    pair.drive();
    assert_eq!(names(&pair.client_events), ["secure", "session", "session"]);
    assert_eq!(names(&pair.server_events), ["secure"]);
    assert!(pair.client.authorized() && pair.server.authorized());
    assert_eq!(pair.server.peer_certificates().len(), 1);
    assert!(pair.server.write(b"welcome!\n"));
    pair.client.write(b"hello");
    pair.client.end();
    pair.drive();
    assert_eq!(
        names(&pair.client_events),
        ["secure", "session", "session", "data:welcome!\n"]
    );
    assert_eq!(names(&pair.server_events), ["secure", "data:hello", "end"]);
    pair.server.end();
    pair.drive();
    assert_eq!(
        names(&pair.client_events),
        ["secure", "session", "session", "data:welcome!\n", "end"]
    );
    assert_eq!(pair.client.protocol(), Some("TLSv1.3"));
    assert_eq!(pair.server.servername(), Some("localhost"));
}

#[test]
fn self_signed_server_is_refused_without_ca() {
    let no_ca = ctx(SecureContextOptions::new());
    let mut pair = Pair::new(
        client_to("localhost", &no_ca),
        server(&spec_server(), false, false),
    );
    pair.drive();
    assert_eq!(
        names(&pair.client_events),
        ["error:DEPTH_ZERO_SELF_SIGNED_CERT"]
    );
    assert!(pair.client.is_closed());
}

#[test]
fn reject_unauthorized_false_connects_and_records_the_code() {
    let no_ca = ctx(SecureContextOptions::new());
    let mut options = ClientOptions::new("localhost");
    options.reject_unauthorized = false;
    let client = Connection::client(&no_ca, options, Now::system()).unwrap();
    let mut pair = Pair::new(client, server(&spec_server(), false, false));
    pair.drive();
    assert_eq!(names(&pair.client_events), ["secure", "session", "session"]);
    assert!(!pair.client.authorized());
    let err = pair.client.authorization_error().unwrap();
    assert_eq!(err.code(), "DEPTH_ZERO_SELF_SIGNED_CERT");
    assert_eq!(err.to_string(), "self-signed certificate");
}

#[test]
fn host_name_mismatch_is_err_tls_cert_altname_invalid() {
    let client_ctx = ctx(SecureContextOptions::new().ca(read("ca/root-cert.pem")));
    let server_ctx = ctx(SecureContextOptions::new()
        .key(read("leaf/rsa2048-key.pem"))
        .cert(read("leaf/rsa2048-chain.pem")));
    let mut pair = Pair::new(
        client_to("a.b.example.com", &client_ctx),
        server(&server_ctx, false, false),
    );
    pair.drive();
    assert_eq!(
        names(&pair.client_events),
        ["error:ERR_TLS_CERT_ALTNAME_INVALID"]
    );
    let Event::Error(err) = &pair.client_events[0] else {
        unreachable!()
    };
    assert_eq!(
        err.to_string(),
        "Hostname/IP does not match certificate's altnames: Host: a.b.example.com. is not in the cert's altnames: DNS:localhost, DNS:*.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"
    );
    // the IP of the SAN list, with no SNI sent
    let mut pair = Pair::new(
        client_to("127.0.0.1", &client_ctx),
        server(&server_ctx, false, false),
    );
    pair.drive();
    assert_eq!(names(&pair.client_events), ["secure", "session", "session"]);
    assert_eq!(pair.server.servername(), None);
    assert_eq!(pair.client.servername(), None);
}

#[test]
fn required_client_cert_missing_fails_both_sides() {
    let anonymous = ctx(SecureContextOptions::new().ca(read("spec/server-cert.pem")));
    let mut pair = Pair::new(
        client_to("localhost", &anonymous),
        server(&spec_server(), true, true),
    );
    pair.drive();
    assert_eq!(
        names(&pair.server_events),
        ["error:ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"]
    );
    // TLS 1.3: the client finished first, then hears the alert.
    assert_eq!(
        names(&pair.client_events),
        ["secure", "error:ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED"]
    );
}

#[test]
fn untrusted_client_cert_is_rejected_like_node_or_recorded() {
    let stranger = ctx(SecureContextOptions::new()
        .key(read("leaf/p256-key.pem"))
        .cert(read("leaf/p256-cert.pem"))
        .ca(read("spec/server-cert.pem")));
    let mut pair = Pair::new(
        client_to("localhost", &stranger),
        server(&spec_server(), true, true),
    );
    pair.drive();
    // Node: `clientError` ECONNRESET "socket hang up", the reason kept as the source.
    assert_eq!(names(&pair.server_events), ["error:ECONNRESET"]);
    let Event::Error(err) = &pair.server_events[0] else {
        unreachable!()
    };
    assert_eq!(err.to_string(), "socket hang up");
    let reason = std::error::Error::source(err).unwrap().to_string();
    assert_eq!(reason, "unable to verify the first certificate");
    // nothing more goes out: the client hears an unfinished handshake end
    let mut out = Vec::new();
    assert_eq!(pair.server.poll_transmit(&mut out), 0);

    let mut pair = Pair::new(
        client_to("localhost", &stranger),
        server(&spec_server(), true, false),
    );
    pair.drive();
    assert_eq!(names(&pair.server_events), ["secure"]);
    assert_eq!(
        pair.server
            .authorization_error()
            .map(Error::code)
            .as_deref(),
        Some(VerifyCode::UnableToVerifyLeafSignature.code())
    );
}

#[test]
fn handshake_timeout_on_the_virtual_clock() {
    let now = Now::system();
    let start = now.instant;
    let options = ServerOptions {
        handshake_timeout: Duration::from_millis(500),
        ..ServerOptions::default()
    };
    let mut server = Connection::server(&spec_server(), options, now).unwrap();
    assert_eq!(
        server.poll_timeout(),
        Some(start + Duration::from_millis(500))
    );
    server.handle_timeout(start + Duration::from_millis(499));
    assert!(server.poll_event().is_none());
    server.handle_timeout(start + Duration::from_millis(500));
    let Some(Event::Error(err)) = server.poll_event() else {
        panic!("no timeout")
    };
    assert_eq!(err.code(), "ERR_TLS_HANDSHAKE_TIMEOUT");
    assert_eq!(err.to_string(), "TLS handshake timeout");
    assert_eq!(server.poll_timeout(), None);
}

#[test]
fn garbage_and_http_on_the_wire() {
    let mut s = server(&spec_server(), false, false);
    s.feed(b"GET / HTTP/1.1\r\n\r\n");
    let Some(Event::Error(err)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ERR_SSL_HTTP_REQUEST");
    let mut s = server(&spec_server(), false, false);
    s.feed(b"\x00\x01\x02garbage");
    let Some(Event::Error(err)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ERR_SSL_WRONG_VERSION_NUMBER");
    assert_eq!(
        err.to_string(),
        "error:0A00010B:SSL routines::wrong version number"
    );
    let mut c = client_to("localhost", &spec_client());
    c.feed(b"SSH-2.0-OpenSSH\r\n");
    let Some(Event::Error(err)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ERR_SSL_WRONG_VERSION_NUMBER");
    // OpenSSL 3's list, on both sides (measured against Node 20)
    for (input, code) in [
        (&b"GET / HTTP/1.1\r\n"[..], "ERR_SSL_HTTP_REQUEST"),
        (b"POST / HTTP/1.1\r\n", "ERR_SSL_HTTP_REQUEST"),
        (b"HEAD / HTTP/1.1\r\n", "ERR_SSL_HTTP_REQUEST"),
        (b"PUT / HTTP/1.1\r\n", "ERR_SSL_HTTP_REQUEST"),
        (b"POSTX", "ERR_SSL_WRONG_VERSION_NUMBER"),
        (b"DELETE / HTTP/1.1\r\n", "ERR_SSL_WRONG_VERSION_NUMBER"),
        (b"OPTIONS / HTTP/1.1\r\n", "ERR_SSL_WRONG_VERSION_NUMBER"),
        (b"PATCH / HTTP/1.1\r\n", "ERR_SSL_WRONG_VERSION_NUMBER"),
        (b"CONNECT a:443 HTTP/1.1\r\n", "ERR_SSL_HTTPS_PROXY_REQUEST"),
        (&[65, 3, 68, 0x78, 0x4f], "ERR_SSL_PACKET_LENGTH_TOO_LONG"),
        (&[22, 3, 1, 0x41, 0x44], "ERR_SSL_PACKET_LENGTH_TOO_LONG"), // 16708
    ] {
        let mut s = server(&spec_server(), false, false);
        s.feed(input);
        let mut c = client_to("localhost", &spec_client());
        c.feed(input);
        for side in [&mut s, &mut c] {
            let Some(Event::Error(err)) = side.poll_event() else {
                panic!()
            };
            assert_eq!(err.code(), code, "{}", String::from_utf8_lossy(input));
        }
    }
}

#[test]
fn a_first_record_too_long_gets_openssls_record_overflow_alert() {
    let mut s = server(&spec_server(), false, false);
    s.feed(&[22, 3, 1, 0x41, 0x44]); // 16708 bytes announced
    let mut out = Vec::new();
    s.poll_transmit(&mut out);
    assert_eq!(out, [21, 3, 3, 0, 2, 2, 22]);
    let mut s = server(&spec_server(), false, false);
    s.feed(&[22, 3, 1, 0x41, 0x43]); // 16707: read on, as OpenSSL does
    assert!(s.poll_event().is_none());
}

#[test]
fn a_client_write_pending_when_the_handshake_fails_is_eproto_as_node() {
    let mut c = client_to("localhost", &spec_client());
    c.write(b"hi");
    c.feed(b"HTTP/1.1 400 Bad Request\r\n\r\n");
    let Some(Event::Error(err)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "EPROTO");
    assert_eq!(
        err.to_string(),
        "write EPROTO error:0A00010B:SSL routines::wrong version number"
    );
    // an end of stream is still "disconnected", whatever is pending
    let mut c = client_to("localhost", &spec_client());
    c.write(b"hi");
    c.feed_eof();
    assert!(matches!(c.poll_event(), Some(Event::End)));
    let Some(Event::Error(err)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ECONNRESET");
}

#[test]
fn a_request_line_trickling_in_is_still_an_http_request() {
    let mut s = server(&spec_server(), false, false);
    for byte in b"GET / HTTP/1.1\r\n" {
        s.feed(&[*byte]);
    }
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(names(&events), ["error:ERR_SSL_HTTP_REQUEST"]);
    // and a ClientHello trickling in still completes
    let mut pair = Pair::new(
        client_to("localhost", &spec_client()),
        server(&spec_server(), false, false),
    );
    let mut hello = Vec::new();
    pair.client.poll_transmit(&mut hello);
    for byte in &hello {
        pair.server.feed(&[*byte]);
    }
    pair.drive();
    assert!(pair.server.is_secure());
}

#[test]
fn eof_during_handshake_is_econnreset() {
    let mut c = client_to("localhost", &spec_client());
    c.feed_eof();
    // Node's client: `end`, then the error
    assert!(matches!(c.poll_event(), Some(Event::End)));
    let Some(Event::Error(err)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ECONNRESET");
    assert_eq!(
        err.to_string(),
        "Client network socket disconnected before secure TLS connection was established"
    );
    let mut s = server(&spec_server(), false, false);
    s.feed_eof();
    let Some(Event::Error(err)) = s.poll_event() else {
        panic!()
    };
    assert_eq!(err.to_string(), "socket hang up");
}

#[test]
fn tcp_fin_after_handshake_is_end_not_error() {
    let mut pair = Pair::new(
        client_to("localhost", &spec_client()),
        server(&spec_server(), false, false),
    );
    pair.drive();
    pair.client.write(b"x");
    pair.drive();
    pair.server.feed_eof();
    assert_eq!(names(&[pair.server.poll_event().unwrap()]), ["end"]);
    assert!(pair.server.peer_ended());
}

#[test]
fn tampered_record_is_a_bad_record_mac() {
    let mut pair = Pair::new(
        client_to("localhost", &spec_client()),
        server(&spec_server(), false, false),
    );
    pair.drive();
    pair.client.write(b"secret data");
    let mut buf = Vec::new();
    pair.client.poll_transmit(&mut buf);
    let last = buf.len() - 1;
    buf[last] ^= 1;
    pair.server.feed(&buf);
    let events: Vec<Event> = std::iter::from_fn(|| pair.server.poll_event()).collect();
    assert_eq!(
        names(&events),
        ["error:ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC"]
    );
    // the alert is queued for the peer
    let mut alert = Vec::new();
    assert!(pair.server.poll_transmit(&mut alert) > 0);
    pair.client.feed(&alert);
    let events: Vec<Event> = std::iter::from_fn(|| pair.client.poll_event()).collect();
    assert_eq!(names(&events), ["error:ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC"]);
}

#[test]
fn bounded_random_first_flights_never_panic() {
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let server_ctx = spec_server();
    let mut hello = Vec::new();
    client_to("localhost", &spec_client()).poll_transmit(&mut hello);
    for _ in 0..2000 {
        let mut input = hello.clone();
        let flips = next() % 4 + 1;
        for _ in 0..flips {
            let at = (next() as usize) % input.len();
            input[at] = next() as u8;
        }
        input.truncate((next() as usize) % (input.len() + 1));
        let mut s = server(&server_ctx, false, false);
        s.feed(&input);
        s.feed_eof();
        let mut out = Vec::new();
        s.poll_transmit(&mut out);
        while s.poll_event().is_some() {}
    }
}

#[test]
fn servers_sharing_ticket_keys_resume_each_others_sessions() {
    let keys = [42u8; 48];
    let server_with = |keys: &[u8]| ctx(spec_server_options().ticket_keys(keys.to_vec()));
    let (a, b, other) = (
        server_with(&keys),
        server_with(&keys),
        server_with(&[1u8; 48]),
    );
    let client_ctx = spec_client();
    let mut reused = Vec::new();
    for server_ctx in [&a, &b, &other] {
        let mut pair = Pair::new(
            client_to("localhost", &client_ctx),
            server(server_ctx, false, false),
        );
        pair.drive();
        pair.client.write(b"x");
        pair.drive();
        assert!(
            pair.client.authorized(),
            "resumed sessions are still judged"
        );
        reused.push(pair.client.session_reused());
    }
    assert_eq!(reused, [false, true, false]);
}

#[test]
fn write_and_end_before_the_handshake_wait_for_it() {
    let mut client = client_to("localhost", &spec_client());
    assert!(client.write(b"early"));
    client.end();
    assert!(!client.is_ended(), "close_notify waits for the handshake");
    let mut pair = Pair::new(client, server(&spec_server(), false, false));
    pair.drive();
    assert!(pair.client.is_ended());
    assert_eq!(names(&pair.server_events), ["secure", "data:early", "end"]);
    assert_eq!(names(&pair.client_events), ["secure", "session", "session"]);
}

#[test]
fn close_notify_during_the_handshake_is_a_disconnect() {
    let mut s = server(&spec_server(), false, false);
    let mut hello = Vec::new();
    client_to("localhost", &spec_client()).poll_transmit(&mut hello);
    s.feed(&hello);
    // a plaintext close_notify alert
    s.feed(&[0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00]);
    let events: Vec<Event> = std::iter::from_fn(|| s.poll_event()).collect();
    assert_eq!(names(&events), ["error:ECONNRESET"]);
}

/// A client connection to `host` with explicit servername and port.
fn client_for(ctx: &SecureContext, host: &str, servername: Option<&str>, port: u16) -> Connection {
    let mut options = ClientOptions::new(host);
    options.servername = servername.map(str::to_string);
    options.port = port;
    options.reject_unauthorized = false;
    Connection::client(ctx, options, Now::system()).unwrap()
}

#[test]
fn a_session_is_only_offered_to_the_destination_that_made_it() {
    // Security regression: sessions were keyed by one placeholder name for every IP
    // host and every host without servername, and the host check was skipped on
    // resumption, so a session verified for one host resumed `authorized` against
    // another.
    let client_ctx = ctx(SecureContextOptions::new().ca(read("ca/root-cert.pem")));
    let server_ctx = ctx(SecureContextOptions::new()
        .key(read("leaf/rsa2048-key.pem"))
        .cert(read("leaf/rsa2048-chain.pem")));
    let run = |host: &str, servername: Option<&str>, port: u16| {
        let mut pair = Pair::new(
            client_for(&client_ctx, host, servername, port),
            server(&server_ctx, false, false),
        );
        pair.drive();
        pair.client.write(b"x");
        pair.drive();
        let error = pair.client.authorization_error().map(|e| e.code());
        (
            pair.client.session_reused(),
            pair.client.authorized(),
            error,
        )
    };
    // verified for localhost (no SNI), and resumed there
    assert_eq!(run("localhost", None, 443), (false, true, None));
    assert_eq!(run("localhost", None, 443), (true, true, None));
    // another host without servername: a full handshake, and its own host check
    let altname = Some("ERR_TLS_CERT_ALTNAME_INVALID".to_string());
    assert_eq!(run("evil.test", None, 443), (false, false, altname.clone()));
    // and a resumed session of that host is judged again, not trusted
    assert_eq!(run("evil.test", None, 443), (true, false, altname));
    // the same host on another port, or with another servername: no resumption
    assert_eq!(run("localhost", None, 8443), (false, true, None));
    assert_eq!(
        run("127.0.0.1", Some("a.example.com"), 443),
        (false, true, None)
    );
    assert_eq!(run("127.0.0.1", None, 443), (false, true, None));
    assert_eq!(run("127.0.0.1", None, 443), (true, true, None));
}

#[test]
fn the_session_event_follows_secure_connect_and_a_rejected_peer_gets_none() {
    // TLS 1.2 stores the session inside the handshake, before it is judged.
    let client_ctx = ctx(SecureContextOptions::new()
        .ca(read("ca/root-cert.pem"))
        .max_version("TLSv1.2"));
    let server_ctx = ctx(SecureContextOptions::new()
        .key(read("leaf/rsa2048-key.pem"))
        .cert(read("leaf/rsa2048-chain.pem")));
    let mut pair = Pair::new(
        client_to("localhost", &client_ctx),
        server(&server_ctx, false, false),
    );
    pair.drive();
    assert_eq!(pair.client.protocol(), Some("TLSv1.2"));
    assert_eq!(names(&pair.client_events), ["secure", "session"]);
    // an untrusted server, rejected: an error and no session
    let untrusting = ctx(SecureContextOptions::new()
        .ca(read("client/client-ca-cert.pem"))
        .max_version("TLSv1.2"));
    let mut pair = Pair::new(
        client_to("localhost", &untrusting),
        server(&server_ctx, false, false),
    );
    pair.drive();
    assert_eq!(
        names(&pair.client_events),
        ["error:UNABLE_TO_GET_ISSUER_CERT_LOCALLY"]
    );
}

fn alpn_pair(server_alpn: &[&str], client_alpn: &[&str]) -> Pair {
    let client_ctx = ctx(SecureContextOptions::new().ca(read("ca/root-cert.pem")));
    let server_ctx = ctx(SecureContextOptions::new()
        .key(read("leaf/p256-key.pem"))
        .cert(read("leaf/p256-chain.pem")));
    let mut options = ClientOptions::new("localhost");
    options.alpn = context::alpn_protocols(client_alpn).unwrap();
    let client = Connection::client(&client_ctx, options, Now::system()).unwrap();
    let server_options = ServerOptions {
        alpn: context::alpn_protocols(server_alpn).unwrap(),
        ..ServerOptions::default()
    };
    let server = Connection::server(&server_ctx, server_options, Now::system()).unwrap();
    let mut pair = Pair::new(client, server);
    pair.drive();
    pair
}

#[test]
fn alpn_follows_the_servers_preference_as_node() {
    let pair = alpn_pair(&["h2", "http/1.1"], &["http/1.1", "h2"]);
    assert_eq!(pair.client.alpn_protocol(), Some(&b"h2"[..]));
    assert_eq!(pair.server.alpn_protocol(), Some(&b"h2"[..]));
    // absent on either side: no protocol (Node's `alpnProtocol: false`)
    for (s, c) in [(&[][..], &["h2"][..]), (&["h2"][..], &[][..])] {
        let pair = alpn_pair(s, c);
        assert_eq!(names(&pair.client_events)[0], "secure");
        assert_eq!(pair.client.alpn_protocol(), None);
        assert_eq!(pair.server.alpn_protocol(), None);
    }
}

#[test]
fn alpn_without_overlap_fails_both_sides_with_nodes_codes() {
    let pair = alpn_pair(&["h2"], &["x"]);
    assert_eq!(
        names(&pair.server_events),
        ["error:ERR_SSL_NO_APPLICATION_PROTOCOL"]
    );
    assert_eq!(
        names(&pair.client_events),
        ["error:ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL"]
    );
}

#[test]
fn alpn_lists_are_checked_and_the_wire_format_is_read() {
    assert_eq!(
        context::alpn_protocols_wire(b"\x02h2\x08http/1.1").unwrap(),
        [b"h2".to_vec(), b"http/1.1".to_vec()]
    );
    for bad in [&b"\x05h2"[..], b"\x00"] {
        let err = context::alpn_protocols_wire(bad).unwrap_err();
        assert!(err.to_string().contains("ALPNProtocols"), "{err}");
    }
    let long = "x".repeat(256);
    assert!(context::alpn_protocols([long.as_str()]).is_err());
    assert!(context::alpn_protocols([""]).is_err());
}

/// One connection of the OCSP tests: the server pauses after the ClientHello and
/// staples `staple` if the client asked (Node's `OCSPRequest` answered); returns the
/// ClientHello the server saw and both sides' event names.
fn ocsp_connection(
    server_ctx: &SecureContext,
    client_ctx: &SecureContext,
    request_ocsp: bool,
    staple: Option<&[u8]>,
) -> (ClientHello, Pair) {
    let mut options = ClientOptions::new("localhost");
    options.request_ocsp = request_ocsp;
    options.reject_unauthorized = false;
    let client = Connection::client(client_ctx, options, Now::system()).unwrap();
    let server_options = ServerOptions {
        pause_after_hello: true,
        ..ServerOptions::default()
    };
    let server = Connection::server(server_ctx, server_options, Now::system()).unwrap();
    let mut pair = Pair::new(client, server);
    pair.drive();
    let Some(Event::ClientHello(hello)) = pair.server_events.pop() else {
        panic!("no ClientHello: {:?}", names(&pair.server_events));
    };
    let chain = pair.server.server_certificate(None).expect("a certificate");
    assert_eq!(chain.len(), 1, "the spec's self-signed certificate alone");
    if let Some(staple) = staple.filter(|_| hello.ocsp_request) {
        pair.server.staple(staple.to_vec());
    }
    pair.server.decide(None);
    pair.drive();
    (hello, pair)
}

#[test]
fn an_ocsp_staple_reaches_a_client_that_asked_once_per_full_handshake() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let server_ctx = ctx(spec_server_options().max_version(version));
        let client_ctx = spec_client();
        let (hello, pair) = ocsp_connection(&server_ctx, &client_ctx, true, Some(b"staple"));
        assert!(hello.ocsp_request, "rustls asks for a staple");
        let events = names(&pair.client_events);
        assert_eq!(events[..2], ["ocspResponse:staple", "secure"], "{version}");
        // resumed: TLS 1.3 reports "nothing stapled", TLS 1.2 reports nothing (OpenSSL)
        let (_, pair) = ocsp_connection(&server_ctx, &client_ctx, true, Some(b"staple"));
        assert!(pair.client.session_reused(), "{version}");
        let events = names(&pair.client_events);
        let expected: &[&str] = match version {
            "TLSv1.3" => &["ocspResponse:none", "secure"],
            _ => &["secure"],
        };
        assert_eq!(&events[..expected.len()], expected, "{version}");
        // a client that did not ask hears nothing, though rustls asked and got it
        let (_, pair) = ocsp_connection(&server_ctx, &spec_client(), false, Some(b"staple"));
        assert_eq!(names(&pair.client_events)[0], "secure", "{version}");
        // nothing stapled: the event says so
        let (_, pair) = ocsp_connection(&server_ctx, &spec_client(), true, None);
        assert_eq!(
            names(&pair.client_events)[..2],
            ["ocspResponse:none", "secure"],
            "{version}"
        );
    }
}

/// A server context without tickets (`SSL_OP_NO_TICKET`): sessions are kept by id.
fn stateful_server(version: &str) -> SecureContext {
    ctx(spec_server_options()
        .secure_options(0x4000)
        .max_version(version))
}

#[test]
fn an_external_session_cache_resumes_across_servers_and_holds_until_answered() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let client_ctx = spec_client();
        let options = ServerOptions {
            pause_after_hello: true,
            new_session_events: true,
            ..ServerOptions::default()
        };
        // first server: a full handshake; the session is handed out (Node's newSession)
        let mut pair = Pair::new(
            client_for(&client_ctx, "localhost", None, 0),
            Connection::server(&stateful_server(version), options.clone(), Now::system()).unwrap(),
        );
        pair.drive();
        let Some(Event::ClientHello(hello)) = pair.server_events.pop() else {
            panic!("{version}: no ClientHello");
        };
        // a fresh client still sends a random legacy id (TLS 1.3 middlebox mode), which
        // Node asks its cache about too
        assert_eq!(hello.session_id.map(|id| id.len()), Some(32), "{version}");
        pair.server.decide(None);
        pair.drive();
        let mut stored = Vec::new();
        while let Some(pos) = pair
            .server_events
            .iter()
            .position(|e| matches!(e, Event::NewSession { .. }))
        {
            let Event::NewSession { id, data } = pair.server_events.remove(pos) else {
                unreachable!()
            };
            stored.push((id, data));
        }
        assert!(
            !stored.is_empty(),
            "{version}: {:?}",
            names(&pair.server_events)
        );
        if version == "TLSv1.2" {
            // nothing moves until the callback: the client's handshake is not done
            assert!(!names(&pair.client_events).contains(&"secure".to_string()));
            assert!(!names(&pair.server_events).contains(&"secure".to_string()));
        }
        pair.client.write(b"ping");
        pair.drive();
        assert!(!names(&pair.server_events)
            .iter()
            .any(|e| e.starts_with("data")));
        for _ in &stored {
            pair.server.new_session_done();
        }
        pair.drive();
        assert!(
            names(&pair.client_events).contains(&"secure".to_string()),
            "{version}: {:?}",
            names(&pair.client_events)
        );
        assert!(names(&pair.server_events).contains(&"data:ping".to_string()));
        // a second server (its own store) resumes it from the external cache
        let mut pair = Pair::new(
            client_for(&client_ctx, "localhost", None, 0),
            Connection::server(&stateful_server(version), options, Now::system()).unwrap(),
        );
        pair.drive();
        let Some(Event::ClientHello(hello)) = pair.server_events.pop() else {
            panic!("{version}: no ClientHello");
        };
        let offered = hello.session_id.expect("a session offered");
        let (id, data) = stored
            .iter()
            .find(|(id, _)| *id == offered)
            .expect("the offered id is one handed out")
            .clone();
        pair.server.resume_with(id, data);
        pair.server.decide(None);
        pair.drive();
        assert!(pair.server.session_reused(), "{version}");
        assert!(pair.client.session_reused(), "{version}");
        // bytes from elsewhere: a full handshake, no error
        let mut pair = Pair::new(
            client_for(&client_ctx, "localhost", None, 0),
            Connection::server(
                &stateful_server(version),
                ServerOptions {
                    pause_after_hello: true,
                    ..ServerOptions::default()
                },
                Now::system(),
            )
            .unwrap(),
        );
        pair.drive();
        let Some(Event::ClientHello(hello)) = pair.server_events.pop() else {
            panic!("{version}: no ClientHello");
        };
        pair.server
            .resume_with(hello.session_id.unwrap_or_default(), b"garbage".to_vec());
        pair.server.decide(None);
        pair.drive();
        assert!(!pair.server.session_reused(), "{version}");
        assert_eq!(names(&pair.client_events)[0], "secure", "{version}");
    }
}

/// The system clocks moved by `secs` (back when negative): a virtual moment.
fn at_offset(secs: i64) -> Now {
    let now = Now::system();
    let by = Duration::from_secs(secs.unsigned_abs());
    let wall = if secs >= 0 {
        now.wall + by
    } else {
        now.wall - by
    };
    Now {
        instant: now.instant,
        wall,
    }
}

#[test]
fn certificate_dates_are_judged_by_the_callers_clock() {
    const YEAR: i64 = 365 * 24 * 3600;
    for (offset, expected) in [
        (0, None),
        (200 * YEAR, Some(VerifyCode::CertHasExpired)),
        (-(2 * YEAR), Some(VerifyCode::CertNotYetValid)),
    ] {
        let mut options = ClientOptions::new("localhost");
        options.reject_unauthorized = false;
        let now = at_offset(offset);
        let client = Connection::client(&spec_client(), options, now).unwrap();
        let server = Connection::server(&spec_server(), ServerOptions::default(), now).unwrap();
        let mut pair = Pair::new(client, server);
        pair.drive();
        let code = pair.client.authorization_error().map(|e| match e {
            Error::Verify(code) => *code,
            other => panic!("{other:?}"),
        });
        assert_eq!(code, expected, "{offset} s from now");
    }
}

#[test]
fn session_timeout_is_judged_by_the_callers_clock() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let server_ctx = ctx(spec_server_options()
            .session_timeout(60)
            .max_version(version));
        let client_ctx = spec_client();
        let mut reused = Vec::new();
        for offset in [0, 30, 30 + 90] {
            let now = at_offset(offset);
            let mut options = ClientOptions::new("localhost");
            options.reject_unauthorized = false;
            let client = Connection::client(&client_ctx, options, now).unwrap();
            let server = Connection::server(&server_ctx, ServerOptions::default(), now).unwrap();
            let mut pair = Pair::new(client, server);
            pair.drive();
            pair.client.write(b"x"); // TLS 1.3 tickets come after the handshake
            pair.drive();
            reused.push(pair.server.session_reused());
        }
        // resumed within the 60 s, a full handshake 90 s after the last one
        assert_eq!(reused, [false, true, false], "{version}");
    }
}

#[test]
fn sessions_stay_the_servers_whichever_sni_context_answers() {
    for version in ["TLSv1.2", "TLSv1.3"] {
        let server_ctx = ctx(spec_server_options().max_version(version));
        let client_ctx = spec_client();
        let mut reused = Vec::new();
        for _ in 0..2 {
            // an SNICallback that makes its context anew each time (random ticket keys)
            let fresh = spec_server();
            let options = ServerOptions {
                pause_after_hello: true,
                ..ServerOptions::default()
            };
            let server = Connection::server(&server_ctx, options, Now::system()).unwrap();
            let mut pair = Pair::new(client_for(&client_ctx, "localhost", None, 0), server);
            pair.drive();
            pair.server.decide(Some(&fresh));
            pair.drive();
            pair.client.write(b"x");
            pair.drive();
            reused.push(pair.server.session_reused());
        }
        assert_eq!(reused, [false, true], "{version}");
    }
}

#[test]
fn a_first_record_of_no_known_type_is_read_whole_then_an_unexpected_message() {
    // 'I', version 3.129, 1855 bytes announced (measured against Node 20: it waits for
    // the whole record, then answers unexpected_message in the record's version)
    let mut head = vec![0x49, 3, 0x81, 0x07, 0x3f];
    head.extend([0x5a; 100]);
    let mut s = server(&spec_server(), false, false);
    s.feed(&head);
    assert!(
        s.poll_event().is_none(),
        "judged before the record is whole"
    );
    s.feed(&[0x5a; 1000]);
    assert!(s.poll_event().is_none());
    s.feed(&[0x5a; 755]);
    let Some(Event::Error(err)) = s.poll_event() else {
        panic!("no error once the record is whole")
    };
    assert_eq!(err.code(), "ERR_SSL_UNEXPECTED_MESSAGE");
    assert_eq!(
        err.to_string(),
        "error:0A0000F4:SSL routines::unexpected message"
    );
    let mut out = Vec::new();
    s.poll_transmit(&mut out);
    assert_eq!(out, [21, 3, 0x81, 0, 2, 2, 10]);
    // the client side reads it the same way
    let mut c = client_to("localhost", &spec_client());
    c.feed(&[0x49, 3, 3, 0, 2, 1]);
    assert!(c.poll_event().is_none());
    c.feed(&[1]);
    let Some(Event::Error(err)) = c.poll_event() else {
        panic!()
    };
    assert_eq!(err.code(), "ERR_SSL_UNEXPECTED_MESSAGE");
}

#[test]
/// Records that arrive together are still one `Data` each, as Node's one 'data' per
/// `SSL_read`: a handler that ends the socket on the first sees the others apart.
fn each_record_is_its_own_data_event() {
    let mut pair = Pair::new(
        client_to("localhost", &spec_client()),
        server(&spec_server(), false, false),
    );
    pair.drive();
    pair.server_events.clear();
    for record in [&b"one"[..], b"two", b"three"] {
        pair.client.write(record);
    }
    let mut flight = Vec::new();
    pair.client.poll_transmit(&mut flight);
    pair.server.feed(&flight); // one read
    let events: Vec<Event> = std::iter::from_fn(|| pair.server.poll_event()).collect();
    assert_eq!(names(&events), ["data:one", "data:two", "data:three"]);
}

/// A ClientHello record (no extensions but the ones a TLS 1.2 server needs) with this
/// record version and `client_version`.
fn raw_hello(record: u16, client: u16) -> Vec<u8> {
    let mut body = client.to_be_bytes().to_vec();
    body.extend([7; 32]); // random
    body.push(0); // session id
    body.extend([0, 4, 0xc0, 0x2f, 0x13, 0x01, 1, 0]); // suites, null compression
    let exts = [
        &[0, 10, 0, 4, 0, 2, 0, 0x1d][..],    // supported_groups: x25519
        &[0, 13, 0, 6, 0, 4, 8, 4, 4, 1][..], // signature_algorithms
        &[0, 11, 0, 2, 1, 0][..],             // ec_point_formats
    ]
    .concat();
    body.extend((exts.len() as u16).to_be_bytes());
    body.extend(exts);
    let mut hs = vec![1, 0];
    hs.extend((body.len() as u16).to_be_bytes());
    hs.extend(body);
    let mut rec = vec![22];
    rec.extend(record.to_be_bytes());
    rec.extend((hs.len() as u16).to_be_bytes());
    rec.extend(hs);
    rec
}

/// An SSLv2-format CLIENT-HELLO offering `version`.
fn sslv2_hello(version: u16) -> Vec<u8> {
    sslv2_hello_of(version, &[0, 0xc0, 0x2f, 0, 0, 0x2f], 31)
}

/// An SSLv2-format CLIENT-HELLO of `length` bytes after its 2-byte header: `specs`
/// repeated to fill it, then a challenge of what is left (at least 16 bytes).
fn sslv2_hello_of(version: u16, specs: &[u8], length: usize) -> Vec<u8> {
    let room = (length - 9 - 16) / 3 * 3;
    let specs: Vec<u8> = specs
        .iter()
        .copied()
        .cycle()
        .take(room.max(specs.len()))
        .collect();
    let challenge = length - 9 - specs.len();
    let mut msg = vec![1];
    msg.extend(version.to_be_bytes());
    msg.extend((specs.len() as u16).to_be_bytes());
    msg.extend([0, 0]);
    msg.extend((challenge as u16).to_be_bytes());
    msg.extend(specs);
    msg.extend(vec![9; challenge]);
    assert_eq!(msg.len(), length);
    let mut rec = vec![0x80 | (msg.len() >> 8) as u8, msg.len() as u8];
    rec.extend(msg);
    rec
}

/// What the server says to `input`: its error code and the bytes it sends.
fn server_answer(input: &[u8]) -> (String, Vec<u8>) {
    let mut s = server(&spec_server(), false, false);
    s.feed(input);
    let mut out = Vec::new();
    s.poll_transmit(&mut out);
    let code = match s.poll_event() {
        Some(Event::Error(err)) => err.code(),
        other => format!("{other:?}"),
    };
    (code, out)
}

#[test]
fn old_and_sslv2_client_hellos_get_openssls_alerts_and_codes() {
    const NO_SHARED: &str = "ERR_SSL_NO_SHARED_CIPHER";
    const NO_SIGALG: &str = "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM";
    const DATA_LONG: &str = "ERR_SSL_DATA_LENGTH_TOO_LONG";
    const ENCRYPTED_LONG: &str = "ERR_SSL_ENCRYPTED_LENGTH_TOO_LONG";
    const PACKET_LONG: &str = "ERR_SSL_PACKET_LENGTH_TOO_LONG";
    // an SSLv2 hello of a given length offering TLS 1.2 and only ECDHE_RSA suites
    let ecdhe = |length| sslv2_hello_of(0x0303, &[0, 0xc0, 0x2f], length);
    // measured against Node 20 (OpenSSL 3): the alert's record version is the
    // client's, SSLv3 has no protocol_version alert (handshake_failure instead), and an
    // SSLv2-format hello is read whole, then answered by the version it offers
    for (input, code, alert) in [
        (
            raw_hello(0x0301, 0x0301),
            "ERR_SSL_UNSUPPORTED_PROTOCOL",
            [3, 1, 70],
        ),
        (
            raw_hello(0x0301, 0x0302),
            "ERR_SSL_UNSUPPORTED_PROTOCOL",
            [3, 2, 70],
        ),
        (
            raw_hello(0x0303, 0x0301),
            "ERR_SSL_UNSUPPORTED_PROTOCOL",
            [3, 1, 70],
        ),
        (
            raw_hello(0x0300, 0x0300),
            "ERR_SSL_VERSION_TOO_LOW",
            [3, 0, 40],
        ),
        (
            raw_hello(0x0301, 0x0300),
            "ERR_SSL_VERSION_TOO_LOW",
            [3, 0, 40],
        ),
        (
            raw_hello(0x0301, 0x0200),
            "ERR_SSL_VERSION_TOO_LOW",
            [2, 0, 70],
        ),
        (sslv2_hello(0x0002), "ERR_SSL_UNKNOWN_PROTOCOL", [3, 3, 70]),
        (sslv2_hello(0x0300), "ERR_SSL_VERSION_TOO_LOW", [3, 0, 40]),
        (
            sslv2_hello(0x0301),
            "ERR_SSL_UNSUPPORTED_PROTOCOL",
            [3, 1, 70],
        ),
        (
            sslv2_hello(0x0302),
            "ERR_SSL_UNSUPPORTED_PROTOCOL",
            [3, 2, 70],
        ),
        (
            sslv2_hello(0x0303),
            "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM",
            [3, 3, 40],
        ),
        (
            sslv2_hello(0x0304),
            "ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM",
            [3, 3, 40],
        ),
        (
            vec![0x80, 5, 1, 3, 3, 0, 0],
            "ERR_SSL_LENGTH_TOO_SHORT",
            [3, 3, 50],
        ),
        // without a suite of RSA key exchange there is nothing to pick
        (ecdhe(28), NO_SHARED, [3, 3, 40]),
        (
            sslv2_hello_of(0x0303, &[0, 0x13, 0x01], 28),
            NO_SHARED,
            [3, 3, 40],
        ),
        (
            sslv2_hello_of(0x0303, &[0, 0, 0x9c], 28),
            NO_SIGALG,
            [3, 3, 40],
        ),
        (ecdhe(16_384), NO_SHARED, [3, 3, 40]),
        // then by length, as records
        (ecdhe(16_385), DATA_LONG, [3, 3, 22]),
        (
            sslv2_hello_of(0x0300, &[0, 0xc0, 0x2f], 16_704),
            DATA_LONG,
            [3, 3, 22],
        ),
        (ecdhe(16_705), ENCRYPTED_LONG, [3, 3, 22]),
        (ecdhe(16_710), ENCRYPTED_LONG, [3, 3, 22]),
        (ecdhe(16_711), PACKET_LONG, [3, 3, 22]),
        (ecdhe(0x7fff), PACKET_LONG, [3, 3, 22]),
    ] {
        let (got, out) = server_answer(&input);
        let [major, minor, description] = alert;
        assert_eq!(got, code, "{input:02x?}");
        assert_eq!(
            out,
            [21, major, minor, 0, 2, 2, description],
            "{input:02x?}"
        );
    }
    // an SSLv2 hello cut short waits for the rest, a byte at a time too
    let hello = sslv2_hello(0x0303);
    let mut s = server(&spec_server(), false, false);
    for b in &hello[..hello.len() - 1] {
        s.feed(&[*b]);
    }
    assert!(s.poll_event().is_none());
    s.feed(&hello[hello.len() - 1..]);
    assert!(matches!(s.poll_event(), Some(Event::Error(e)) if e.code() == NO_SIGALG));
    // one too long for the read buffer is refused from its header alone
    let (got, out) = server_answer(&sslv2_hello_of(0x0303, &[0, 0, 0x2f], 16_711)[..5]);
    assert_eq!(
        (got.as_str(), out),
        (PACKET_LONG, vec![21, 3, 3, 0, 2, 2, 22])
    );
    // a TLS 1.2 hello in an SSLv3 record is a handshake (as OpenSSL)
    let (got, out) = server_answer(&raw_hello(0x0300, 0x0303));
    assert_eq!(got, "None");
    assert_eq!(out.first(), Some(&22));
}

/// The application-data records in `wire` (type 23), by their length.
fn app_data_record_lengths(wire: &[u8]) -> Vec<usize> {
    let mut lengths = Vec::new();
    let mut rest = wire;
    while rest.len() >= 5 {
        let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if rest[0] == 23 {
            lengths.push(len);
        }
        rest = &rest[(5 + len).min(rest.len())..];
    }
    lengths
}

/// `setMaxSendFragment`: OpenSSL's bounds (512..=16384, else `false` and no change);
/// within them no record carries more plaintext than asked, read off the wire, for
/// TLS 1.3 and 1.2; the peer still gets every byte.
#[test]
fn max_send_fragment_bounds_every_record() {
    for max in ["TLSv1.3", "TLSv1.2"] {
        let server_ctx = ctx(spec_server_options().max_version(max));
        let mut pair = Pair::new(
            client_to("localhost", &spec_client()),
            server(&server_ctx, false, false),
        );
        pair.drive();
        assert_eq!(pair.server.protocol(), Some(max));
        // AEAD overhead per record: TLS 1.3 inner type + tag; TLS 1.2 explicit nonce + tag
        let overhead = if max == "TLSv1.3" { 17 } else { 24 };
        let send = |pair: &mut Pair, n: usize| {
            pair.client_events.clear();
            assert!(pair.server.write(&vec![b'x'; n]));
            let mut wire = Vec::new();
            pair.server.poll_transmit(&mut wire);
            pair.client.feed(&wire);
            let mut got = 0;
            while let Some(e) = pair.client.poll_event() {
                if let Event::Data(d) = e {
                    got += d.len();
                }
            }
            assert_eq!(got, n, "{max}");
            app_data_record_lengths(&wire)
        };
        assert_eq!(send(&mut pair, 20000), [16384 + overhead, 3616 + overhead]);
        for bad in [0, 511, 16385, usize::MAX] {
            assert!(!pair.server.set_max_send_fragment(bad), "{bad}");
        }
        assert_eq!(send(&mut pair, 5000), [5000 + overhead]);
        assert!(pair.server.set_max_send_fragment(1000));
        let lengths = send(&mut pair, 5000);
        assert_eq!(lengths, [1000 + overhead; 5], "{max}");
        assert!(pair.server.set_max_send_fragment(512));
        assert_eq!(
            send(&mut pair, 1100),
            [512 + overhead, 512 + overhead, 76 + overhead]
        );
        assert!(pair.server.set_max_send_fragment(16384));
        assert_eq!(send(&mut pair, 5000), [5000 + overhead]);
    }
}

/// `renegotiate()` on TLS 1.3 is a KeyUpdate asking for the peer's: ours goes out, the
/// peer's comes before its next data, and data flows both ways under the new keys.
/// On TLS 1.2, and before the handshake, it is `ERR_TLS_RENEGOTIATE` and nothing is sent.
#[test]
fn update_keys_is_a_key_update_on_tls13_and_an_error_on_tls12() {
    let early = client_to("localhost", &spec_client()).update_keys();
    assert_eq!(early.unwrap_err().code(), "ERR_TLS_RENEGOTIATE");
    for max in ["TLSv1.3", "TLSv1.2"] {
        let server_ctx = ctx(spec_server_options().max_version(max));
        let mut pair = Pair::new(
            client_to("localhost", &spec_client()),
            server(&server_ctx, false, false),
        );
        pair.drive();
        let result = pair.client.update_keys();
        let mut wire = Vec::new();
        pair.client.poll_transmit(&mut wire);
        if max == "TLSv1.2" {
            let err = result.unwrap_err();
            assert_eq!(err.code(), "ERR_TLS_RENEGOTIATE");
            assert!(err
                .to_string()
                .contains("TLS 1.2 renegotiation is not supported"));
            assert!(wire.is_empty());
            continue;
        }
        result.unwrap();
        // one record: the KeyUpdate (handshake type 24 inside), sealed as application data
        assert_eq!(app_data_record_lengths(&wire).len(), 1);
        pair.server.feed(&wire);
        let mut answer = Vec::new();
        pair.server.poll_transmit(&mut answer);
        // RFC 8446 4.6.3: the peer's own KeyUpdate comes before its next data (rustls
        // sends it then, not at once)
        assert!(answer.is_empty());
        pair.server.write(b"both ways");
        pair.server.poll_transmit(&mut answer);
        assert_eq!(
            app_data_record_lengths(&answer).len(),
            2,
            "KeyUpdate, then the data"
        );
        pair.client_events.clear();
        pair.server_events.clear();
        pair.client.feed(&answer);
        pair.client.write(b"after");
        pair.drive();
        assert_eq!(names(&pair.server_events), ["data:after"]);
        assert_eq!(names(&pair.client_events), ["data:both ways"]);
    }
}
