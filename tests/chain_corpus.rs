//! The chain corpus (`fixtures/chains/`, made by its `make.sh`, and Node's own fixture
//! keys in `fixtures/node-keys/`): every chain judged by Node 20's `tls` module
//! (`tests/node/chain_verdicts.js`) and by ours, both as a server certificate (a
//! client judges it) and as a client certificate (a server with `requestCert`
//! judges it). Ours runs through tls-core's in-memory handshake and the context's
//! trust decision, exactly as a connection does.
//!
//! Every verdict must equal Node's, except the differences listed in
//! [`KNOWN_DIFFERENCES`] (each one a refusal where Node also refuses, or a refusal
//! where Node accepts, documented in the README). We never accept what Node refuses.

use context::{create_secure_context, SecureContext, SecureContextOptions};
use serde_json::Value;
use std::collections::BTreeMap;

use suite::{fixture, have, read_fixture};
use tls_core::{ClientOptions, Connection, Error, Event, Now, ServerOptions};

/// Cases where our verdict differs from Node's on purpose: (case, side, why).
/// Side is "server" (the chain judged as a server's) or "client".
const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "sig-sha512_leaf",
        "server",
        "ring has no ECDSA P-256 with SHA-512: refused",
    ),
    (
        "sig-sha512_leaf",
        "client",
        "ring has no ECDSA P-256 with SHA-512: refused",
    ),
];

#[derive(Debug)]
struct Case {
    name: String,
    key: Vec<u8>,
    chain: Vec<u8>,
    ca: Vec<Vec<u8>>,
    crl: Vec<Vec<u8>>,
}

fn load_cases(manifest: &str) -> Vec<Case> {
    let text = read_fixture(manifest);
    let json: Value = serde_json::from_slice(&text).expect("manifest is JSON");
    json["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .map(|c| Case {
            name: c["name"].as_str().unwrap().to_string(),
            key: read_fixture(c["key"].as_str().unwrap()),
            chain: read_fixture(c["chain"].as_str().unwrap()),
            ca: list(&c["ca"]),
            crl: list(&c["crl"]),
        })
        .collect()
}

fn list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| read_fixture(p.as_str().unwrap()))
                .collect()
        })
        .unwrap_or_default()
}

fn trusting(case: &Case) -> SecureContextOptions {
    let mut o = SecureContextOptions::new();
    for ca in &case.ca {
        o = o.ca(ca.clone());
    }
    for crl in &case.crl {
        o = o.crl(crl.clone());
    }
    o
}

fn ctx(options: SecureContextOptions) -> Result<SecureContext, String> {
    create_secure_context(&options).map_err(|e| format!("CONFIG:{}", e.code()))
}

/// Runs a handshake in memory; returns the two connections once quiet.
fn handshake(mut client: Connection, mut server: Connection) -> (Connection, Connection) {
    let mut buf = Vec::new();
    for _ in 0..50 {
        buf.clear();
        let a = client.poll_transmit(&mut buf);
        server.feed(&buf);
        buf.clear();
        let b = server.poll_transmit(&mut buf);
        client.feed(&buf);
        if a == 0 && b == 0 {
            break;
        }
    }
    (client, server)
}

fn failure(conn: &mut Connection) -> Option<String> {
    while let Some(e) = conn.poll_event() {
        if let Event::Error(e) = e {
            return Some(format!("HANDSHAKE:{}", e.code()));
        }
    }
    None
}

fn verdict(authorized: bool, error: Option<&Error>) -> String {
    match error {
        _ if authorized => "AUTHORIZED".to_string(),
        // The host check comes after the chain and only when it passed; the corpus
        // judges chains (Node's side runs with checkServerIdentity off).
        Some(Error::AltName(_)) => "AUTHORIZED".to_string(),
        Some(e) => e.code(),
        None => "NONE".to_string(),
    }
}

/// Our verdict on `case` as a server certificate.
fn ours_as_server(case: &Case) -> String {
    let server = match ctx(SecureContextOptions::new()
        .key(case.key.clone())
        .cert(case.chain.clone()))
    {
        Ok(c) => c,
        Err(e) => return e,
    };
    let client = match ctx(trusting(case)) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut options = ClientOptions::new("127.0.0.1");
    options.reject_unauthorized = false;
    let c = Connection::client(&client, options, Now::system()).unwrap();
    let s = Connection::server(&server, ServerOptions::default(), Now::system()).unwrap();
    let (mut c, _s) = handshake(c, s);
    if let Some(f) = failure(&mut c) {
        return f;
    }
    verdict(c.authorized(), c.authorization_error())
}

/// Our verdict on `case` as a client certificate.
fn ours_as_client(case: &Case) -> String {
    let server_opts = trusting(case)
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"));
    let server = match ctx(server_opts) {
        Ok(c) => c,
        Err(e) => return e,
    };
    let client = match ctx(SecureContextOptions::new()
        .key(case.key.clone())
        .cert(case.chain.clone())
        .ca(read_fixture("ca/root-cert.pem")))
    {
        Ok(c) => c,
        Err(e) => return e,
    };
    let mut options = ClientOptions::new("localhost");
    options.reject_unauthorized = false;
    let c = Connection::client(&client, options, Now::system()).unwrap();
    let server_options = ServerOptions {
        request_cert: true,
        ..ServerOptions::default()
    };
    let s = Connection::server(&server, server_options, Now::system()).unwrap();
    let (_c, mut s) = handshake(c, s);
    if let Some(f) = failure(&mut s) {
        return f;
    }
    verdict(s.authorized(), s.authorization_error())
}

/// Node's verdicts for a manifest: name -> (server, client).
fn node_verdicts(manifest: &str) -> BTreeMap<String, (String, String)> {
    let out = std::process::Command::new("node")
        .arg(suite::root().join("tests/node/chain_verdicts.js"))
        .arg(suite::root().join("fixtures"))
        .arg(fixture(manifest))
        .output()
        .expect("node runs");
    assert!(
        out.status.success(),
        "chain_verdicts.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("runner prints JSON");
    json.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| {
            let side = |s: &str| v[s].as_str().unwrap_or("?").to_string();
            (k.clone(), (side("server"), side("client")))
        })
        .collect()
}

fn run_corpus(manifest: &str) {
    if !have("node") {
        return;
    }
    let cases = load_cases(manifest);
    let node = node_verdicts(manifest);
    let mut agree = 0;
    let mut total = 0;
    let mut problems = Vec::new();
    let mut table = String::new();
    for case in &cases {
        let (node_server, node_client) = node.get(&case.name).cloned().unwrap_or_default();
        for (side, ours, theirs) in [
            ("server", ours_as_server(case), node_server),
            ("client", ours_as_client(case), node_client),
        ] {
            total += 1;
            let known = KNOWN_DIFFERENCES
                .iter()
                .find(|(n, s, _)| *n == case.name && *s == side);
            table.push_str(&format!(
                "{:<48} {side:<6} node={theirs:<40} ours={ours}\n",
                case.name
            ));
            if ours == theirs {
                agree += 1;
                if known.is_some() {
                    problems.push(format!(
                        "{} {side}: listed as a difference but agrees",
                        case.name
                    ));
                }
                continue;
            }
            if ours == "AUTHORIZED" {
                problems.push(format!(
                    "{} {side}: WE ACCEPT what Node refuses ({theirs})",
                    case.name
                ));
            } else if known.is_none() {
                problems.push(format!("{} {side}: node={theirs} ours={ours}", case.name));
            }
        }
    }
    println!("{table}");
    println!("{manifest}: {agree} of {total} verdicts agree with Node 20");
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn generated_chains_agree_with_node() {
    run_corpus("chains/cases.json");
}

#[test]
fn node_fixture_chains_agree_with_node() {
    run_corpus("node-keys/cases.json");
}
