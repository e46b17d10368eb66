//! The fuzz targets, shared by the cargo-fuzz binaries (`fuzz/fuzz_targets/*.rs`, nightly,
//! coverage-guided by libFuzzer) and the stable harness (`tests/fuzz`, run by `cargo test`):
//! each takes any bytes, must not panic, hang or grow without bound, and returns a short
//! word for what the input did (an error code, `ok`, the events seen), which the stable
//! harness uses to keep inputs that do something new.

#![forbid(unsafe_code)]

use context::{create_secure_context, SecureContext, SecureContextOptions};
use std::sync::OnceLock;
use tls_core::{ClientOptions, Connection, Event, Now, ServerOptions};

/// A target: any bytes in, a word for what they did out.
pub type Target = fn(&[u8]) -> String;

/// Every target, by name (the cargo-fuzz binary of each has the same name).
pub const TARGETS: &[(&str, Target)] = &[
    ("ciphers", ciphers),
    ("pem", pem),
    ("private_key", private_key),
    ("pfx", pfx),
    ("describe", describe),
    ("context", secure_context),
    ("client_hello", client_hello),
    ("server_flight", server_flight),
    ("client_flight", client_flight),
];

/// The cipher-list grammar (`ciphers`, OpenSSL's syntax) as text.
pub fn ciphers(data: &[u8]) -> String {
    match context::ciphers::select(&String::from_utf8_lossy(data)) {
        Ok(selection) => format!("ok {}", selection.openssl_names().len()),
        Err(e) => word(&e),
    }
}

/// PEM framing: blocks, labels, headers, base64.
pub fn pem(data: &[u8]) -> String {
    match context::pem::parse(data) {
        Ok(blocks) => format!("ok {}", blocks.len().min(4)),
        Err(e) => word(&e),
    }
}

/// Private keys in PEM, plain or encrypted (legacy PEM encryption, PKCS#8 PBES1/PBES2
/// with PBKDF2 or scrypt); the first byte picks the passphrase.
pub fn private_key(data: &[u8]) -> String {
    let (pass, pem) = passphrase(data);
    match context::keys::parse_private_key_pem(pem, pass.map(str::as_bytes)) {
        Ok(_) => "ok".into(),
        Err(e) => word(&e),
    }
}

/// PKCS#12 (DER); the first byte picks the passphrase.
pub fn pfx(data: &[u8]) -> String {
    let (pass, der) = passphrase(data);
    match context::pfx::parse_pfx(der, pass.unwrap_or("")) {
        Ok(contents) => format!("ok {}", contents.ca.len().min(4)),
        Err(e) => word(&e),
    }
}

/// The certificate describer behind `getPeerCertificate()`, on DER.
pub fn describe(data: &[u8]) -> String {
    match context::describe(data) {
        Ok(cert) => format!("ok {}", cert.to_json().len().min(1)),
        Err(e) => word(&e),
    }
}

/// `createSecureContext` on the input as `key`, `cert`, `ca` and `crl` at once (the
/// input cut in four by [`split`]), with the passphrase `secret`.
pub fn secure_context(data: &[u8]) -> String {
    let parts = split(data, 4);
    let options = SecureContextOptions::new()
        .key(parts[0].to_vec())
        .cert(parts[1].to_vec())
        .ca(parts[2].to_vec())
        .crl(parts[3].to_vec())
        .passphrase("secret");
    match create_secure_context(&options) {
        Ok(_) => "ok".into(),
        Err(e) => e.code().to_string(),
    }
}

/// A ClientHello message body (after its 4-byte header) framed in one handshake record,
/// or two when the first byte says so, read by our server (the decision point's parser,
/// the first-flight screen, then rustls).
pub fn client_hello(data: &[u8]) -> String {
    let Some((&how, body)) = data.split_first() else {
        return "empty".into();
    };
    let mut message = vec![1, 0];
    message.extend((body.len().min(0xffff) as u16).to_be_bytes());
    message.extend(&body[..body.len().min(0xffff)]);
    let cut = if how & 1 == 1 {
        usize::from(how >> 1).min(message.len())
    } else {
        message.len()
    };
    let mut flight = Vec::new();
    for part in [&message[..cut], &message[cut..]] {
        if !part.is_empty() {
            for chunk in part.chunks(16_384) {
                flight.extend([22, 3, 1]);
                flight.extend((chunk.len() as u16).to_be_bytes());
                flight.extend(chunk);
            }
        }
    }
    serve(&flight, how & 2 == 2)
}

/// Any bytes as a client's first flight to our server, fed in pieces whose sizes the
/// first byte picks; with or without the decision point paused at the ClientHello.
pub fn server_flight(data: &[u8]) -> String {
    let Some((&how, rest)) = data.split_first() else {
        return "empty".into();
    };
    let piece = [1, 5, 64, 1024, 16_389, usize::MAX][usize::from(how % 6)];
    let mut flight = Vec::new();
    for chunk in rest.chunks(piece.min(rest.len().max(1))) {
        flight.push(chunk);
    }
    serve_pieces(&flight, how & 8 == 8)
}

/// Any bytes as a server's answer to our client's ClientHello (TLS 1.2 and 1.3 offered,
/// SNI, ALPN, OCSP asked), fed in pieces whose sizes the first byte picks.
pub fn client_flight(data: &[u8]) -> String {
    let Some((&how, rest)) = data.split_first() else {
        return "empty".into();
    };
    let mut options = ClientOptions::new("localhost");
    options.servername = Some("localhost".into());
    options.alpn = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    options.request_ocsp = how & 16 == 16;
    options.reject_unauthorized = how & 32 == 32;
    let mut conn = match Connection::client(client_context(), options, Now::system()) {
        Ok(conn) => conn,
        Err(e) => return e.code(),
    };
    let mut out = Vec::new();
    conn.poll_transmit(&mut out);
    let piece = [1, 5, 64, 1024, 16_389, usize::MAX][usize::from(how % 6)];
    let mut seen = String::new();
    for chunk in rest.chunks(piece.min(rest.len().max(1))) {
        conn.feed(chunk);
        if drain(&mut conn, &mut seen, None) {
            break;
        }
    }
    conn.feed_eof();
    drain(&mut conn, &mut seen, None);
    seen
}

fn serve(flight: &[u8], pause: bool) -> String {
    serve_pieces(&[flight], pause)
}

fn serve_pieces(pieces: &[&[u8]], pause: bool) -> String {
    let options = ServerOptions {
        pause_after_hello: pause,
        new_session_events: pause,
        ..ServerOptions::default()
    };
    let ctx = server_context();
    let mut conn = match Connection::server(ctx, options, Now::system()) {
        Ok(conn) => conn,
        Err(e) => return e.code(),
    };
    let mut seen = String::new();
    for piece in pieces {
        conn.feed(piece);
        if drain(&mut conn, &mut seen, Some(ctx)) {
            break;
        }
    }
    conn.feed_eof();
    drain(&mut conn, &mut seen, Some(ctx));
    seen
}

/// Takes every event (answering the server's questions), and what it sends; whether
/// the connection is finished. The events' names go into `seen`.
fn drain(conn: &mut Connection, seen: &mut String, ctx: Option<&SecureContext>) -> bool {
    let mut out = Vec::new();
    for _ in 0..64 {
        let Some(event) = conn.poll_event() else {
            break;
        };
        let word = match event {
            Event::Error(e) => {
                seen.push_str(&e.code());
                seen.push(' ');
                continue;
            }
            Event::ClientHello(_) => {
                conn.decide(ctx);
                "hello"
            }
            Event::NewSession { .. } => {
                conn.new_session_done();
                "new-session"
            }
            Event::Secure => "secure",
            Event::Data(_) => "data",
            Event::End => "end",
            other => {
                let name = format!("{other:?}");
                seen.push_str(name.split(['(', ' ', '{']).next().unwrap_or("?"));
                seen.push(' ');
                continue;
            }
        };
        seen.push_str(word);
        seen.push(' ');
    }
    // what it would send is bounded (it never echoes the peer's bytes back unasked)
    while conn.poll_transmit(&mut out) > 0 {
        assert!(
            out.len() < 1 << 20,
            "a connection queued {} bytes",
            out.len()
        );
    }
    conn.is_closed()
}

/// An error's kind: its `Debug` up to the first field (what it names varies too much to
/// tell outcomes apart).
fn word(e: &impl std::fmt::Debug) -> String {
    let text = format!("{e:?}");
    text.split(|c: char| !c.is_alphanumeric())
        .next()
        .unwrap_or("")
        .to_string()
}

/// The passphrase the first byte picks (none, `secret`, empty, wrong) and the rest.
fn passphrase(data: &[u8]) -> (Option<&'static str>, &[u8]) {
    match data.split_first() {
        None => (None, data),
        Some((&b, rest)) => (
            [None, Some("secret"), Some(""), Some("wrong")][usize::from(b % 4)],
            rest,
        ),
    }
}

/// `data` in `n` parts: the first `n - 1` big-endian u16s are the lengths of the first
/// `n - 1` parts (cut to what is left), the last part is the rest.
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    let (lens, mut rest) = data.split_at((2 * (n - 1)).min(data.len()));
    let mut parts = Vec::new();
    for len in lens.chunks(2) {
        let len = usize::from(u16::from_be_bytes([len[0], *len.get(1).unwrap_or(&0)]));
        let (part, tail) = rest.split_at(len.min(rest.len()));
        parts.push(part);
        rest = tail;
    }
    parts.resize(n - 1, &[][..]);
    parts.push(rest);
    parts
}

/// The input [`split`] cuts into `parts`.
pub fn join(parts: &[&[u8]]) -> Vec<u8> {
    let (last, first) = parts.split_last().expect("at least one part");
    let mut data: Vec<u8> = first
        .iter()
        .flat_map(|p| (p.len() as u16).to_be_bytes())
        .collect();
    data.extend(first.concat());
    data.extend(*last);
    data
}

/// A server with an RSA-2048 and a P-256 leaf (SNI-free), tickets on, which asks for
/// client certificates (from its CA) but does not require them.
pub fn server_context() -> &'static SecureContext {
    static CTX: OnceLock<SecureContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let options = SecureContextOptions::new()
            .key(include_bytes!("../fixtures/leaf/p256-key.pem").to_vec())
            .cert(include_bytes!("../fixtures/leaf/p256-chain.pem").to_vec())
            .ca(include_bytes!("../fixtures/ca/root-cert.pem").to_vec());
        create_secure_context(&options).expect("the fixtures' server context")
    })
}

/// A client trusting the fixtures' root.
pub fn client_context() -> &'static SecureContext {
    static CTX: OnceLock<SecureContext> = OnceLock::new();
    CTX.get_or_init(|| {
        let options =
            SecureContextOptions::new().ca(include_bytes!("../fixtures/ca/root-cert.pem").to_vec());
        create_secure_context(&options).expect("the fixtures' client context")
    })
}
