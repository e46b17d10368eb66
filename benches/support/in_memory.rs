//! A rustls client and a server side (bare rustls, or a tls-core connection) moving
//! bytes to each other in memory: the handshake and a round trip, for the `decision` and
//! `allocs` benches.

// each bench uses part of this
#![allow(dead_code)]

use rustls::pki_types::ServerName;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tls_core::{Connection, Event};

/// A server side under test.
pub trait Server {
    fn feed(&mut self, bytes: &[u8]);
    fn transmit(&mut self, out: &mut Vec<u8>);
    fn secure(&mut self) -> bool;
    /// Writes back the application data read so far.
    fn echo(&mut self);
}

pub struct Bare(pub rustls::ServerConnection);

impl Server for Bare {
    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            self.0.read_tls(&mut bytes).expect("read_tls");
            self.0.process_new_packets().expect("handshake");
        }
    }

    fn transmit(&mut self, out: &mut Vec<u8>) {
        while self.0.wants_write() {
            self.0.write_tls(out).expect("write_tls");
        }
    }

    fn secure(&mut self) -> bool {
        !self.0.is_handshaking()
    }

    fn echo(&mut self) {
        // through the stack: what is counted is rustls's
        let mut data = [0u8; 4096];
        loop {
            match self.0.reader().read(&mut data) {
                Ok(0) => return,
                Ok(n) => self.0.writer().write_all(&data[..n]).expect("write"),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) => panic!("{e}"),
            }
        }
    }
}

/// A tls-core server connection, whether it has said `Secure`, and the data it has
/// delivered and not yet echoed.
pub struct Ours {
    conn: Connection,
    secure: bool,
    received: Vec<u8>,
}

impl Ours {
    pub fn new(conn: Connection) -> Self {
        Self {
            conn,
            secure: false,
            received: Vec::new(),
        }
    }
}

impl Server for Ours {
    fn feed(&mut self, bytes: &[u8]) {
        self.conn.feed(bytes);
        while let Some(event) = self.conn.poll_event() {
            match event {
                Event::Secure => self.secure = true,
                Event::Data(data) if self.received.is_empty() => self.received = data,
                Event::Data(data) => self.received.extend_from_slice(&data),
                Event::Error(e) => panic!("{e}"),
                _ => {}
            }
        }
    }

    fn transmit(&mut self, out: &mut Vec<u8>) {
        self.conn.poll_transmit(out);
    }

    fn secure(&mut self) -> bool {
        self.secure
    }

    fn echo(&mut self) {
        let data = std::mem::take(&mut self.received);
        self.conn.write(&data);
    }
}

/// Moves bytes between a rustls client and `server` until both handshakes are done;
/// returns the time spent in the server's calls.
pub fn handshake(client_config: &Arc<rustls::ClientConfig>, server: &mut impl Server) -> Duration {
    handshake_kind(client_config, server).0
}

/// [`handshake`], and whether the client resumed a session.
pub fn handshake_kind(
    client_config: &Arc<rustls::ClientConfig>,
    server: &mut impl Server,
) -> (Duration, bool) {
    let (spent, resumed, _) = handshake_client(client_config, server);
    (spent, resumed)
}

/// [`handshake_kind`], and the client, for traffic after the handshake.
pub fn handshake_client(
    client_config: &Arc<rustls::ClientConfig>,
    server: &mut impl Server,
) -> (Duration, bool, rustls::ClientConnection) {
    let mut spent = Duration::ZERO;
    let name = ServerName::try_from("localhost").expect("a name");
    let mut client = rustls::ClientConnection::new(client_config.clone(), name).expect("client");
    // large enough for any flight: growing it would count as the server's
    let mut buf = Vec::with_capacity(64 * 1024);
    for _ in 0..10 {
        buf.clear();
        while client.wants_write() {
            client.write_tls(&mut buf).expect("client write");
        }
        let start = Instant::now();
        server.feed(&buf);
        buf.clear();
        server.transmit(&mut buf);
        spent += start.elapsed();
        client_reads(&mut client, &buf);
        if !client.is_handshaking() && server.secure() {
            let resumed = client.handshake_kind() == Some(rustls::HandshakeKind::Resumed);
            return (spent, resumed, client);
        }
    }
    panic!("no handshake after 10 flights");
}

fn client_reads(client: &mut rustls::ClientConnection, mut input: &[u8]) {
    while !input.is_empty() {
        client.read_tls(&mut input).expect("client read");
        client.process_new_packets().expect("client handshake");
    }
}

/// The client sends `request`, the server echoes it; returns what the client read back.
/// `around` wraps each of the server's steps (to count what they do).
pub fn round_trip(
    client: &mut rustls::ClientConnection,
    server: &mut impl Server,
    request: &[u8],
    mut around: impl FnMut(&mut dyn FnMut()),
) -> Vec<u8> {
    client.writer().write_all(request).expect("client write");
    let mut buf = Vec::new();
    while client.wants_write() {
        client.write_tls(&mut buf).expect("client write");
    }
    // made here, large enough: `around` counts what the server's steps allocate
    let mut out = Vec::with_capacity(64 * 1024);
    around(&mut || {
        server.feed(&buf);
        server.echo();
        server.transmit(&mut out);
    });
    client_reads(client, &out);
    let mut answer = Vec::new();
    match client.reader().read_to_end(&mut answer) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        Err(e) => panic!("{e}"),
    }
    answer
}
