//! What `node-tls` prints: one JSON object per event with `--json`, else the Node
//! docs' human lines.

use base64::Engine;
use node_tls::{Error, EventName, TlsSocket};
use serde_json::{json, Map, Value};
use std::io::Write;
use std::net::SocketAddr;

/// The event printer (cheap to clone into handlers).
#[derive(Clone, Copy, Debug)]
pub struct Out {
    json: bool,
}

impl Out {
    pub fn new(json: bool) -> Self {
        Self { json }
    }

    fn emit(&self, value: Value) {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{value}");
        let _ = stdout.flush();
    }

    /// A note for humans, on stderr (never in the JSON stream).
    pub fn note(&self, text: &str) {
        eprintln!("node-tls: {text}");
    }

    pub fn listening(&self, addr: Option<SocketAddr>, path: Option<&str>) {
        if !self.json {
            println!("server bound");
            return;
        }
        let address = match (addr, path) {
            (Some(a), _) => json!({
                "address": a.ip().to_string(),
                "family": if a.is_ipv4() { "IPv4" } else { "IPv6" },
                "port": a.port(),
            }),
            (None, Some(p)) => json!({ "address": p }),
            (None, None) => Value::Null,
        };
        self.emit(json!({ "event": EventName::Listening.as_str(), "address": address }));
    }

    /// `secureConnection` (server) or `secureConnect` (client).
    pub fn secure(&self, sock: &TlsSocket, event: &str, detailed: bool) {
        if !self.json {
            let who = if event == EventName::SecureConnect.as_str() {
                "client"
            } else {
                "server"
            };
            // The Node docs' lines: `socket.authorized ? 'authorized' : 'unauthorized'`.
            match (sock.authorized(), sock.authorization_error()) {
                (true, _) => println!("{who} connected authorized"),
                (false, Some(code)) => println!("{who} connected unauthorized: {code}"),
                (false, None) => println!("{who} connected unauthorized"),
            }
            return;
        }
        let cipher = sock.get_cipher().map_or(
            Value::Null,
            |c| json!({ "name": c.name, "standardName": c.standard_name, "version": c.version }),
        );
        let peer = sock
            .get_peer_certificate(detailed)
            .map_or(Value::Null, |chain| {
                serde_json::from_str(&node_tls::chain_to_json(&chain)).unwrap_or(Value::Null)
            });
        let mut obj = Map::new();
        obj.insert("event".into(), json!(event));
        obj.insert("authorized".into(), json!(sock.authorized()));
        obj.insert(
            "authorizationError".into(),
            json!(sock.authorization_error()),
        );
        obj.insert("servername".into(), json!(sock.servername()));
        obj.insert(
            "alpnProtocol".into(),
            sock.alpn_protocol().map_or(json!(false), |p| json!(p)),
        );
        obj.insert("cipher".into(), cipher);
        obj.insert("protocol".into(), json!(sock.get_protocol()));
        obj.insert("sessionReused".into(), json!(sock.is_session_reused()));
        obj.insert("peerCertificate".into(), peer);
        obj.insert("remoteAddress".into(), json!(sock.remote_address()));
        obj.insert("remotePort".into(), json!(sock.remote_port()));
        self.emit(Value::Object(obj));
    }

    fn with_port(&self, mut value: Value, sock: &TlsSocket, server: bool) -> Value {
        // Node's remotePort is undefined (so absent from JSON) on a Unix socket.
        if let (true, Some(port)) = (server, sock.remote_port()) {
            value["remotePort"] = json!(port);
        }
        value
    }

    /// Client: a resumable session arrived.
    pub fn session(&self) {
        if self.json {
            self.emit(json!({ "event": EventName::Session.as_str() }));
        }
    }

    /// Client, with `--request-ocsp`: what the server stapled (`None`: nothing).
    pub fn ocsp_response(&self, staple: Option<&[u8]>) {
        if !self.json {
            match staple {
                Some(bytes) => eprintln!("OCSP response: {} bytes stapled", bytes.len()),
                None => eprintln!("OCSP response: none stapled"),
            }
            return;
        }
        let response = staple.map(|b| base64::engine::general_purpose::STANDARD.encode(b));
        self.emit(json!({ "event": EventName::OcspResponse.as_str(), "response": response }));
    }

    pub fn data(&self, sock: &TlsSocket, chunk: &[u8], server: bool) {
        if !self.json {
            if !server {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(chunk);
                let _ = stdout.flush();
            }
            return;
        }
        let value = json!({
            "event": EventName::Data.as_str(),
            "length": chunk.len(),
            "text": String::from_utf8_lossy(chunk),
        });
        self.emit(self.with_port(value, sock, server));
    }

    pub fn end(&self, sock: &TlsSocket, server: bool) {
        if self.json {
            self.emit(self.with_port(json!({ "event": EventName::End.as_str() }), sock, server));
        }
    }

    pub fn close(&self, sock: &TlsSocket, had_error: bool, server: bool) {
        if self.json {
            let value = json!({ "event": EventName::Close.as_str(), "hadError": had_error });
            self.emit(self.with_port(value, sock, server));
        }
    }

    pub fn socket_error(&self, sock: &TlsSocket, err: &Error, server: bool) {
        if self.json {
            let value = json!({ "event": EventName::Error.as_str(), "code": err.code(), "message": err.to_string() });
            self.emit(self.with_port(value, sock, server));
        } else {
            eprintln!("error: {} ({})", err, err.code());
        }
    }

    pub fn client_error(&self, err: &Error, sock: &TlsSocket) {
        if self.json {
            let value = json!({
                "event": EventName::ClientError.as_str(),
                "code": err.code(),
                "message": err.to_string(),
            });
            self.emit(self.with_port(value, sock, true));
        } else {
            eprintln!("clientError: {} ({})", err, err.code());
        }
    }

    /// An error not tied to a connection (listen, loop).
    pub fn error(&self, code: &str, message: &str) {
        if self.json {
            self.emit(
                json!({ "event": EventName::Error.as_str(), "code": code, "message": message }),
            );
        } else {
            eprintln!("error: {message} ({code})");
        }
    }

    /// A configuration error (exit status 2).
    pub fn config_error(&self, code: &str, message: &str) {
        self.error(code, message);
    }
}
