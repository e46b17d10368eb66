//! A hand-made TLS 1.3 client (x25519, `TLS_AES_128_GCM_SHA256`) for tests that send, under
//! the negotiated keys, what no TLS library would: a Finished of the wrong length, a record
//! whose inner content type is zero, plaintext over 2^14, an empty alert. It speaks only as
//! much TLS 1.3 as that needs (RFC 8446 4.1, 5.2, 7.1), with ring for the crypto, checks the
//! server's Finished (so its own transcript and keys are known right), and reads the
//! server's answer, decrypted: the alert it sends, if any.

use crate::wire::{client_hello, ext, record, vec16};
use ring::{aead, agreement, digest, hkdf, hmac, rand};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// A TLS 1.3 record's content types (RFC 8446 5.1).
pub mod kind {
    /// change_cipher_spec
    pub const CCS: u8 = 20;
    /// alert
    pub const ALERT: u8 = 21;
    /// handshake
    pub const HANDSHAKE: u8 = 22;
    /// application_data
    pub const DATA: u8 = 23;
}

/// What the server sent back, read until its first alert, its close or a timeout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// An alert (level, description); `encrypted` when it came under the record keys.
    Alert {
        /// 1 warning, 2 fatal
        level: u8,
        /// the AlertDescription
        description: u8,
        /// whether it was protected (as RFC 8446 wants once keys are in place)
        encrypted: bool,
    },
    /// The server closed TCP without an alert.
    Closed,
    /// Nothing decisive came in time.
    Silent,
    /// A record that did not decrypt or parse, as said.
    Garbled(String),
}

struct Len(usize);

impl hkdf::KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand-Label (RFC 8446 7.1).
fn expand_label(secret: &[u8], label: &str, context: &[u8], len: usize) -> Vec<u8> {
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, secret);
    let label = format!("tls13 {label}");
    let info = [
        &(len as u16).to_be_bytes()[..],
        &[label.len() as u8],
        label.as_bytes(),
        &[context.len() as u8],
        context,
    ];
    let mut out = vec![0; len];
    prk.expand(&info, Len(len))
        .and_then(|okm| okm.fill(&mut out))
        .expect("HKDF-Expand-Label of a sane length");
    out
}

/// Derive-Secret over the transcript so far.
fn derive(secret: &[u8], label: &str, transcript: &[u8]) -> Vec<u8> {
    let hash = digest::digest(&digest::SHA256, transcript);
    expand_label(secret, label, hash.as_ref(), 32)
}

/// The verify_data of a Finished under `secret` over `transcript` (RFC 8446 4.4.4).
fn verify_data(secret: &[u8], transcript: &[u8]) -> Vec<u8> {
    let key = hmac::Key::new(
        hmac::HMAC_SHA256,
        &expand_label(secret, "finished", &[], 32),
    );
    let hash = digest::digest(&digest::SHA256, transcript);
    hmac::sign(&key, hash.as_ref()).as_ref().to_vec()
}

/// HKDF-Extract.
fn extract(salt: &[u8], ikm: &[u8]) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, salt), ikm)
        .as_ref()
        .to_vec()
}

/// One direction's record protection and sequence number.
struct Keys {
    key: aead::LessSafeKey,
    iv: [u8; 12],
    seq: u64,
}

impl Keys {
    fn new(secret: &[u8]) -> Self {
        let key = expand_label(secret, "key", &[], 16);
        let mut iv = [0; 12];
        iv.copy_from_slice(&expand_label(secret, "iv", &[], 12));
        let key = aead::UnboundKey::new(&aead::AES_128_GCM, &key).expect("a 16-byte key");
        Keys {
            key: aead::LessSafeKey::new(key),
            iv,
            seq: 0,
        }
    }

    fn nonce(&mut self) -> aead::Nonce {
        let mut nonce = self.iv;
        for (b, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *b ^= s;
        }
        self.seq += 1;
        aead::Nonce::assume_unique_for_key(nonce)
    }

    /// A protected record of `inner`, a TLSInnerPlaintext given whole (content, type
    /// byte, padding), so that a test can break its rules.
    fn seal(&mut self, inner: &[u8]) -> Vec<u8> {
        let len = inner.len() + aead::AES_128_GCM.tag_len();
        let header = [kind::DATA, 3, 3, (len >> 8) as u8, len as u8];
        let mut body = inner.to_vec();
        let nonce = self.nonce();
        self.key
            .seal_in_place_append_tag(nonce, aead::Aad::from(header), &mut body)
            .expect("AES-GCM seals any record size");
        [&header[..], &body].concat()
    }

    /// The content type and content of a protected record.
    fn open(&mut self, header: &[u8], body: &[u8]) -> Result<(u8, Vec<u8>), String> {
        let mut body = body.to_vec();
        let nonce = self.nonce();
        let inner = self
            .key
            .open_in_place(nonce, aead::Aad::from(header), &mut body)
            .map_err(|_| format!("record {} did not decrypt", self.seq - 1))?;
        let end = inner
            .iter()
            .rposition(|&b| b != 0)
            .ok_or("a record of padding only")?;
        Ok((inner[end], inner[..end].to_vec()))
    }
}

/// A TLS 1.3 connection made by hand, up to the point where the server waits for the
/// client's Finished ([`Client::handshake`]) or past it ([`Client::finish`]).
pub struct Client {
    tcp: TcpStream,
    inbox: Vec<u8>,
    read: Keys,
    write: Keys,
    protected: bool,
    finished: Vec<u8>,
    client_traffic: Vec<u8>,
    server_traffic: Vec<u8>,
}

impl Client {
    /// Connects to `127.0.0.1:port`, sends a ClientHello offering TLS 1.3 only (x25519,
    /// AES-128-GCM, RSA-PSS, ECDSA P-256 and Ed25519 signatures) and reads
    /// the server's flight through its Finished, which it checks. The client's records are
    /// then protected with its handshake keys.
    pub fn handshake(port: u16) -> Result<Self, String> {
        let rng = rand::SystemRandom::new();
        let secret = agreement::EphemeralPrivateKey::generate(&agreement::X25519, &rng)
            .map_err(|_| "x25519 key")?;
        let public = secret
            .compute_public_key()
            .map_err(|_| "x25519 public key")?;
        let mut share = 0x1d_u16.to_be_bytes().to_vec();
        share.extend(vec16(public.as_ref()));
        let extensions = [
            ext(0x0a, &vec16(&[0, 0x1d])),
            ext(0x0d, &vec16(&[8, 4, 4, 3, 8, 7])),
            ext(0x2b, &[2, 3, 4]),
            ext(0x33, &vec16(&share)),
        ];
        let hello = client_hello(&[0x1301], &extensions);
        let tcp = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(Duration::from_millis(200)))
            .map_err(|e| e.to_string())?;
        let mut client = Client {
            tcp,
            inbox: Vec::new(),
            read: Keys::new(&[0; 32]),
            write: Keys::new(&[0; 32]),
            protected: false,
            finished: Vec::new(),
            client_traffic: Vec::new(),
            server_traffic: Vec::new(),
        };
        client.send(&record(kind::HANDSHAKE, 0x0301, &hello));
        let deadline = Instant::now() + Duration::from_secs(10);
        let (kind, server_hello, _) = client
            .record(deadline)
            .map_err(|e| format!("no ServerHello: {e:?}"))?;
        if kind != kind::HANDSHAKE || server_hello.first() != Some(&2) {
            return Err(format!("not a ServerHello: {kind} {server_hello:02x?}"));
        }
        let theirs = key_share(&server_hello).ok_or("no x25519 key share in the ServerHello")?;
        let shared = agreement::agree_ephemeral(
            secret,
            &agreement::UnparsedPublicKey::new(&agreement::X25519, theirs),
            |k| k.to_vec(),
        )
        .map_err(|_| "x25519 agreement")?;
        let mut transcript = [hello, server_hello].concat();
        let early = extract(&[0; 32], &[0; 32]);
        let handshake = extract(&derive(&early, "derived", &[]), &shared);
        let client_hs = derive(&handshake, "c hs traffic", &transcript);
        let server_hs = derive(&handshake, "s hs traffic", &transcript);
        client.read = Keys::new(&server_hs);
        client.write = Keys::new(&client_hs);
        client.protected = true;
        // the server's encrypted flight, message by message, through its Finished
        let mut messages = Vec::new();
        loop {
            let (kind, content, _) = client
                .record(deadline)
                .map_err(|e| format!("the server's flight: {e:?}"))?;
            match kind {
                kind::CCS => continue,
                kind::HANDSHAKE => messages.extend(content),
                _ => return Err(format!("record of type {kind} in the server's flight")),
            }
            while messages.len() >= 4 {
                let len = u32::from_be_bytes([0, messages[1], messages[2], messages[3]]) as usize;
                if messages.len() < 4 + len {
                    break;
                }
                let message: Vec<u8> = messages.drain(..4 + len).collect();
                if message[0] == 20 {
                    if message[4..] != verify_data(&server_hs, &transcript)[..] {
                        return Err("the server's Finished does not verify".into());
                    }
                    transcript.extend(message);
                    let master = extract(&derive(&handshake, "derived", &[]), &[0; 32]);
                    client.server_traffic = derive(&master, "s ap traffic", &transcript);
                    client.read = Keys::new(&client.server_traffic);
                    client.client_traffic = derive(&master, "c ap traffic", &transcript);
                    let verify = verify_data(&client_hs, &transcript);
                    client.finished = [&[20, 0, 0, 32][..], &verify].concat();
                    return Ok(client);
                }
                transcript.extend(message);
            }
        }
    }

    /// The client's Finished message (handshake header and verify_data).
    pub fn finished_message(&self) -> Vec<u8> {
        self.finished.clone()
    }

    /// Sends the client's Finished and switches to the application traffic keys.
    pub fn finish(&mut self) {
        let finished = self.finished.clone();
        self.send_protected(&finished, kind::HANDSHAKE);
        self.write = Keys::new(&self.client_traffic);
    }

    /// Sends a KeyUpdate (RFC 8446 4.6.3) and moves to the next client traffic keys;
    /// with `request`, the server is asked to update its own (which [`Client::read_data`]
    /// follows).
    pub fn key_update(&mut self, request: bool) {
        self.send_protected(&[24, 0, 0, 1, request as u8], kind::HANDSHAKE);
        self.client_traffic = expand_label(&self.client_traffic, "traffic upd", &[], 32);
        self.write = Keys::new(&self.client_traffic);
    }

    /// The local port of the connection (the server's `remotePort`).
    pub fn local_port(&self) -> u16 {
        self.tcp.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// `content` of `kind` in one protected record.
    pub fn send_protected(&mut self, content: &[u8], kind: u8) {
        self.send_inner(&[content, &[kind]].concat());
    }

    /// One protected record of exactly this TLSInnerPlaintext (its type byte and padding
    /// included, or left out).
    pub fn send_inner(&mut self, inner: &[u8]) {
        let record = self.seal(inner);
        self.send(&record);
    }

    /// The protected record of this TLSInnerPlaintext, not sent (its sequence number is
    /// used): to tamper with it, or to send the next one out of order.
    pub fn seal(&mut self, inner: &[u8]) -> Vec<u8> {
        self.write.seal(inner)
    }

    /// Raw bytes on the wire.
    pub fn send(&mut self, bytes: &[u8]) {
        // the server may have closed already: what it answered is still read after
        let _ = self.tcp.write_all(bytes);
    }

    /// Application data from the server within `timeout` (an echo, say), skipping
    /// NewSessionTickets and following the server's KeyUpdates.
    pub fn read_data(&mut self, timeout: Duration) -> Result<Vec<u8>, Answer> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.next(deadline)? {
                (kind::DATA, data) => return Ok(data),
                (kind::HANDSHAKE, message) if message.first() == Some(&24) => {
                    self.server_traffic =
                        expand_label(&self.server_traffic, "traffic upd", &[], 32);
                    self.read = Keys::new(&self.server_traffic);
                }
                (kind::HANDSHAKE, _) => continue,
                (kind, _) => return Err(Answer::Garbled(format!("record of type {kind}"))),
            }
        }
    }

    /// What the server answers within `timeout`: its first alert (decrypted), its close,
    /// or silence. Tickets and application data before it are skipped.
    pub fn answer(&mut self, timeout: Duration) -> Answer {
        let deadline = Instant::now() + timeout;
        loop {
            if let Err(answer) = self.next(deadline) {
                return answer;
            }
        }
    }

    /// The next record, decrypted; an alert, a close or a timeout as the error.
    fn next(&mut self, deadline: Instant) -> Result<(u8, Vec<u8>), Answer> {
        let (kind, content, encrypted) = self.record(deadline)?;
        if kind != kind::ALERT {
            return Ok((kind, content));
        }
        Err(match content[..] {
            [level, description] => Answer::Alert {
                level,
                description,
                encrypted,
            },
            _ => Answer::Garbled(format!("alert {content:02x?}")),
        })
    }

    /// The next record off the wire: its type and content, decrypted when it is
    /// protected (once the ServerHello is in), and whether it was.
    fn record(&mut self, deadline: Instant) -> Result<(u8, Vec<u8>, bool), Answer> {
        loop {
            if self.inbox.len() >= 5 {
                let len = u16::from_be_bytes([self.inbox[3], self.inbox[4]]) as usize;
                if self.inbox.len() >= 5 + len {
                    let record: Vec<u8> = self.inbox.drain(..5 + len).collect();
                    let (header, body) = record.split_at(5);
                    if header[0] != kind::DATA || !self.protected {
                        return Ok((header[0], body.to_vec(), false));
                    }
                    let (kind, content) = self.read.open(header, body).map_err(Answer::Garbled)?;
                    return Ok((kind, content, true));
                }
            }
            if Instant::now() >= deadline {
                return Err(Answer::Silent);
            }
            let mut buf = [0; 32 * 1024];
            match self.tcp.read(&mut buf) {
                Ok(0) => return Err(Answer::Closed),
                Ok(n) => self.inbox.extend(&buf[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return Err(Answer::Closed),
            }
        }
    }
}

/// The x25519 key in a ServerHello's key_share, unless it is a HelloRetryRequest or
/// holds another group.
fn key_share(server_hello: &[u8]) -> Option<&[u8]> {
    let body = server_hello.get(4..)?;
    let session_id = *body.get(34)? as usize;
    let mut rest = body.get(35 + session_id + 3..)?;
    let len = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
    rest = rest.get(2..2 + len)?;
    while rest.len() >= 4 {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let len = u16::from_be_bytes([rest[2], rest[3]]) as usize;
        let body = rest.get(4..4 + len)?;
        if kind == 0x33 && body.get(..4) == Some(&[0, 0x1d, 0, 32]) {
            return body.get(4..);
        }
        rest = &rest[4 + len..];
    }
    None
}
