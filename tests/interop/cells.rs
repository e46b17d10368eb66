//! The cells: what each feature sets up on both ends, and what both ends must then see.

use crate::http;
use crate::peers::{self, b64, ClientSetup, Leaf, ServerSetup, Sni};
use serde_json::Value;
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};
use suite::{fixture, TempDir};

/// Who is across the wire.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Peer {
    Node,
    Openssl,
    Curl,
    Python,
}

impl Peer {
    pub const ALL: [Peer; 4] = [Peer::Node, Peer::Openssl, Peer::Curl, Peer::Python];

    /// The command that must be installed.
    pub fn tool(self) -> &'static str {
        match self {
            Peer::Node => "node",
            Peer::Openssl => "openssl",
            Peer::Curl => "curl",
            Peer::Python => "python3",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Peer::Node => "node",
            Peer::Openssl => "openssl",
            Peer::Curl => "curl",
            Peer::Python => "python",
        }
    }
}

/// Which end is ours.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Side {
    /// Our server; the peer is its client.
    Server,
    /// Our client; the peer is its server.
    Client,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Server => "our server",
            Side::Client => "our client",
        }
    }
}

/// The one version the peer allows (ours keep their defaults).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Version {
    V12,
    V13,
}

impl Version {
    pub const ALL: [Version; 2] = [Version::V12, Version::V13];

    pub fn name(self) -> &'static str {
        match self {
            Version::V12 => "TLSv1.2",
            Version::V13 => "TLSv1.3",
        }
    }
}

/// The key type of the certificate under test.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Key {
    Rsa,
    P256,
    Ed25519,
}

impl Key {
    pub const ALL: [Key; 3] = [Key::Rsa, Key::P256, Key::Ed25519];

    pub fn name(self) -> &'static str {
        match self {
            Key::Rsa => "rsa2048",
            Key::P256 => "p256",
            Key::Ed25519 => "ed25519",
        }
    }
}

/// What the cell exercises besides a handshake and an echo.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, Hash)]
pub enum Feature {
    /// The server's certificate of the key type, verified by the client.
    Plain,
    /// The client's certificate of the key type, required and verified by the server.
    Mutual,
    /// A second connection resumes the first one's session.
    Resumed,
    /// Both offer ALPN lists; the server's preference wins.
    Alpn,
    /// The server's default certificate is P-384; the key type's answers SNI's name.
    Sni,
    /// The client asks for a staple; the server staples a good OCSP response.
    Ocsp,
    /// The side of ours that verifies has CRLs: a good certificate passes, a revoked one
    /// of the key type is `CERT_REVOKED`.
    Crl,
}

impl Feature {
    pub const ALL: [Feature; 7] = [
        Feature::Plain,
        Feature::Mutual,
        Feature::Resumed,
        Feature::Alpn,
        Feature::Sni,
        Feature::Ocsp,
        Feature::Crl,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Feature::Plain => "plain",
            Feature::Mutual => "mutual",
            Feature::Resumed => "resumed",
            Feature::Alpn => "alpn",
            Feature::Sni => "sni",
            Feature::Ocsp => "ocsp",
            Feature::Crl => "crl",
        }
    }
}

/// One cell of the matrix.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    pub side: Side,
    pub peer: Peer,
    pub version: Version,
    pub key: Key,
    pub feature: Feature,
}

impl Cell {
    pub fn name(&self) -> String {
        let side = match self.side {
            Side::Server => "server",
            Side::Client => "client",
        };
        format!(
            "{side}/{}/{}/{}/{}",
            self.peer.name(),
            self.version.name(),
            self.key.name(),
            self.feature.name()
        )
    }

    fn cannot_express(&self) -> Option<&'static str> {
        match (self.peer, self.feature) {
            (Peer::Python, Feature::Ocsp) => Some("Python's ssl module has no OCSP stapling"),
            _ => None,
        }
    }
}

/// Every cell: curl is a client only.
pub fn all() -> Vec<Cell> {
    let mut cells = Vec::new();
    for side in [Side::Server, Side::Client] {
        for peer in Peer::ALL {
            if side == Side::Client && peer == Peer::Curl {
                continue;
            }
            for version in Version::ALL {
                for key in Key::ALL {
                    for feature in Feature::ALL {
                        cells.push(Cell {
                            side,
                            peer,
                            version,
                            key,
                            feature,
                        });
                    }
                }
            }
        }
    }
    // the queue is popped from the back: run the first cells first
    cells.reverse();
    cells
}

/// How a cell ended.
pub enum Outcome {
    Pass,
    Fail(String),
    CannotExpress(&'static str),
    Skipped(String),
}

pub fn run(cell: &Cell) -> Outcome {
    if let Some(why) = cell.cannot_express() {
        return Outcome::CannotExpress(why);
    }
    let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
        let plan = plan(cell);
        let (clients, servers) = match cell.side {
            Side::Server => with_our_server(cell, &plan),
            Side::Client => with_our_client(cell, &plan),
        };
        check(cell, &plan, &clients, &servers).map_err(|e| {
            format!("  {e}\n  client views: {clients:#?}\n  server views: {servers:#?}")
        })
    }));
    match result {
        Ok(Ok(())) => Outcome::Pass,
        Ok(Err(e)) => Outcome::Fail(e),
        Err(panic) => Outcome::Fail(
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "panicked".into()),
        ),
    }
}

/// Servers and client runs: our server meets every client run; our client makes one run
/// against each peer server.
struct Plan {
    servers: Vec<ServerSetup>,
    clients: Vec<ClientSetup>,
}

const SNI_NAME: &str = "sni.example.com";

fn plan(cell: &Cell) -> Plan {
    let k = Leaf::new("leaf", cell.key.name());
    let revoked = Leaf::new("interop", &format!("revoked-{}", cell.key.name()));
    let ca = fixture("ca/root-cert.pem");
    let ours = cell.side == Side::Server;
    let mut server = ServerSetup {
        leaf: k.clone(),
        key: k.key.clone(),
        chain: k.chain.clone(),
        version: (!ours).then_some(cell.version),
        request_cert: false,
        reject: false,
        ca: None,
        crls: Vec::new(),
        alpn: None,
        sni: None,
        ocsp: None,
        connections: 1,
    };
    let mut client = ClientSetup {
        version: ours.then_some(cell.version),
        ca: ca.clone(),
        crls: Vec::new(),
        cert: None,
        servername: "localhost",
        alpn: None,
        request_ocsp: false,
        connections: 1,
    };
    let crls = vec![
        fixture("revoked/root-crl.pem"),
        fixture("interop/intermediate-crl.pem"),
    ];
    let list = |l: &[&str]| Some(l.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    match cell.feature {
        Feature::Plain => {}
        Feature::Mutual => {
            server.request_cert = true;
            server.reject = true;
            server.ca = Some(ca.clone());
            client.cert = Some(k.clone());
        }
        Feature::Resumed => {
            client.connections = 2;
            server.connections = 2;
        }
        Feature::Alpn if cell.peer == Peer::Curl => {
            // curl offers http/1.1 alone (--http1.1)
            server.alpn = list(&["x-other", "http/1.1"]);
        }
        Feature::Alpn => {
            client.alpn = list(&["foo", "bar"]);
            server.alpn = list(&["bar", "foo"]);
        }
        Feature::Sni => {
            // Node's server keeps the default context's certificates of other key types
            // after SNICallback switches contexts, and OpenSSL may then pick one of those
            // (an RSA default beside an Ed25519 SNI certificate in TLS 1.2, say): for it
            // the default certificate has the SNI one's key type; our server and the
            // others switch from a P-384 default
            let default = match (cell.peer, ours, cell.key) {
                (Peer::Node, false, Key::Rsa) => Leaf::new("leaf", "rsa4096"),
                (Peer::Node, false, Key::Ed25519) => Leaf::new("interop", "other-ed25519"),
                _ => Leaf::new("leaf", "p384"),
            };
            server.leaf = default.clone();
            server.key = default.key;
            server.chain = default.chain;
            server.sni = Some(Sni {
                name: SNI_NAME,
                key: k.key.clone(),
                cert: k.cert.clone(),
                chain: k.chain.clone(),
            });
            client.servername = SNI_NAME;
            if cell.peer == Peer::Openssl && !ours {
                // s_server sends no chain with its SNI certificate
                client.ca = fixture("ca/ca-chain.pem");
            }
        }
        Feature::Ocsp => {
            server.ocsp = Some(fixture(&format!("interop/ocsp-{}.der", cell.key.name())));
            client.request_ocsp = true;
        }
        Feature::Crl if ours => {
            // no rejection: the server reports its verdict on each client
            server.request_cert = true;
            server.ca = Some(ca.clone());
            server.crls = crls;
            server.connections = 2;
            let mut bad = client.clone();
            client.cert = Some(k.clone());
            bad.cert = Some(revoked);
            return Plan {
                servers: vec![server],
                clients: vec![client, bad],
            };
        }
        Feature::Crl => {
            client.crls = crls;
            let mut bad = server.clone();
            bad.leaf = revoked.clone();
            bad.key = revoked.key;
            bad.chain = revoked.chain;
            return Plan {
                servers: vec![server, bad],
                clients: vec![client.clone(), client],
            };
        }
    }
    Plan {
        servers: vec![server],
        clients: vec![client],
    }
}

type Views = (Vec<Vec<Value>>, Vec<Value>);

fn with_our_server(cell: &Cell, plan: &Plan) -> Views {
    let dir = TempDir::new("interop");
    let total: usize = plan.clients.iter().map(|c| c.connections).sum();
    let server = &plan.servers[0];
    if cell.peer == Peer::Curl {
        let responder = http::start(server.clone());
        let clients = plan
            .clients
            .iter()
            .map(|c| peers::curl(c, responder.port).0)
            .collect();
        let deadline = Instant::now() + Duration::from_secs(10);
        while responder.log.lock().unwrap().len() < total && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let servers = responder.log.lock().unwrap().clone();
        return (clients, servers);
    }
    let (mut ours, port) = peers::our_server(server);
    let clients = plan
        .clients
        .iter()
        .map(|c| match cell.peer {
            Peer::Node => peers::scripted_client("node", "peer.js", c, port),
            Peer::Python => peers::scripted_client("python3", "peer.py", c, port),
            Peer::Openssl => peers::s_client(c, port, &dir.path("")),
            Peer::Curl => unreachable!("above"),
        })
        .collect();
    let servers = peers::our_server_views(&mut ours, total);
    (clients, servers)
}

fn with_our_client(cell: &Cell, plan: &Plan) -> Views {
    let mut clients = Vec::new();
    let mut servers = Vec::new();
    for (s, c) in plan.servers.iter().zip(&plan.clients) {
        let (mut peer, port) = match cell.peer {
            Peer::Node => peers::scripted_server("node", "peer.js", s),
            Peer::Python => peers::scripted_server("python3", "peer.py", s),
            Peer::Openssl => peers::s_server(s),
            Peer::Curl => unreachable!("curl is a client only"),
        };
        // s_server -rev answers each line reversed
        let echo = if cell.peer == Peer::Openssl {
            "olleh\n"
        } else {
            "hello\n"
        };
        clients.push(peers::our_client(c, port, echo));
        if cell.peer != Peer::Openssl {
            servers.extend(peers::scripted_server_views(&mut peer, c.connections));
        }
    }
    (clients, servers)
}

/// `view[field]` must be `want`; a peer's view may also not report it (null).
fn field(view: &Value, name: &str, want: &Value, ours: bool, errs: &mut Vec<String>, what: &str) {
    let got = &view[name];
    if got == want || (!ours && got.is_null()) {
        return;
    }
    errs.push(format!("{what}: `{name}` is {got}, not {want}"));
}

fn check(
    cell: &Cell,
    plan: &Plan,
    clients: &[Vec<Value>],
    servers: &[Value],
) -> Result<(), String> {
    let mut errs = Vec::new();
    let k = Leaf::new("leaf", cell.key.name()).der();
    let version = Value::from(cell.version.name());
    let ours_client = cell.side == Side::Client;
    let ours_server = cell.side == Side::Server;
    // our client refuses the revoked server of a crl cell
    let refused_run = (cell.feature == Feature::Crl && ours_client).then_some(1);
    let t = Value::from(true);
    let mut server_views = servers.iter();
    for (r, (run, setup)) in clients.iter().zip(&plan.clients).enumerate() {
        if run.len() != setup.connections {
            errs.push(format!(
                "client run {r}: {} connections, not {}",
                run.len(),
                setup.connections
            ));
        }
        for (i, view) in run.iter().enumerate() {
            let what = format!("client run {r} connection {i}");
            if refused_run == Some(r) {
                field(view, "connected", &false.into(), true, &mut errs, &what);
                field(
                    view,
                    "error",
                    &"CERT_REVOKED".into(),
                    true,
                    &mut errs,
                    &what,
                );
                continue;
            }
            field(view, "connected", &t, true, &mut errs, &what);
            field(view, "echoed", &t, true, &mut errs, &what);
            field(view, "protocol", &version, ours_client, &mut errs, &what);
            field(view, "error", &Value::Null, true, &mut errs, &what);
            let server = server_views.next();
            if let Some(s) = server {
                let what = format!("server view of run {r} connection {i}");
                field(s, "connected", &t, ours_server, &mut errs, &what);
                field(s, "protocol", &version, ours_server, &mut errs, &what);
            } else if ours_server {
                errs.push(format!("no server view of run {r} connection {i}"));
            }
        }
    }
    let first = clients
        .first()
        .and_then(|r| r.first())
        .cloned()
        .unwrap_or_default();
    let server0 = servers.first().cloned().unwrap_or_default();
    match cell.feature {
        Feature::Plain => field(&first, "peer", &k.into(), ours_client, &mut errs, "client"),
        Feature::Mutual => {
            field(
                &server0,
                "peer",
                &k.into(),
                ours_server,
                &mut errs,
                "server",
            );
            field(&server0, "authorized", &t, ours_server, &mut errs, "server");
        }
        Feature::Resumed => {
            for (i, reused) in [(0, false), (1, true)] {
                let what = format!("connection {i}");
                let want = Value::from(reused);
                if let Some(c) = clients.first().and_then(|r| r.get(i)) {
                    field(c, "reused", &want, ours_client, &mut errs, &what);
                }
                if let Some(s) = servers.get(i) {
                    field(s, "reused", &want, ours_server, &mut errs, &what);
                }
            }
        }
        Feature::Alpn => {
            let want = Value::from(if cell.peer == Peer::Curl {
                "http/1.1"
            } else {
                "bar"
            });
            field(&first, "alpn", &want, ours_client, &mut errs, "client");
            field(&server0, "alpn", &want, ours_server, &mut errs, "server");
        }
        Feature::Sni => {
            field(&first, "peer", &k.into(), ours_client, &mut errs, "client");
            field(
                &server0,
                "servername",
                &SNI_NAME.into(),
                ours_server,
                &mut errs,
                "server",
            );
        }
        Feature::Ocsp => {
            let staple = std::fs::read(fixture(&format!("interop/ocsp-{}.der", cell.key.name())))
                .expect("staple fixture");
            if first["ocsp"].is_string() || ours_client {
                field(
                    &first,
                    "ocsp",
                    &b64(&staple).into(),
                    true,
                    &mut errs,
                    "client",
                );
            } else {
                field(
                    &first,
                    "ocsp_good",
                    &t,
                    true,
                    &mut errs,
                    "client (its own check)",
                );
            }
        }
        Feature::Crl if ours_server => {
            field(
                &server0,
                "authorized",
                &t,
                true,
                &mut errs,
                "server, good client",
            );
            let bad = servers.get(1).cloned().unwrap_or_default();
            field(
                &bad,
                "authorized",
                &false.into(),
                true,
                &mut errs,
                "server, revoked client",
            );
            let code = Value::from("CERT_REVOKED");
            field(
                &bad,
                "authorizationError",
                &code,
                true,
                &mut errs,
                "server, revoked client",
            );
        }
        Feature::Crl => {}
    }
    if errs.is_empty() {
        Ok(())
    } else {
        Err(errs.join("\n  "))
    }
}
