//! Each peer as a client or a server, and our command as either, all reduced to one shape
//! of view per connection (a JSON object; a key that is absent or null is one that peer
//! does not report): `connected`, `echoed`, `protocol`, `alpn`, `reused`, `peer` (the
//! base64 DER of the leaf the other side sent), `servername`, `authorized`,
//! `authorizationError`, `ocsp` (base64 of the staple) or `ocsp_good` (the peer checked
//! the staple itself), `error`.

use crate::cells::Version;
use base64::Engine;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use suite::{fixture, Proc};

/// How long a cell waits for the last line it needs from any process.
const WAIT: Duration = Duration::from_secs(15);

/// A key with its certificate and chain (leaf then intermediate).
#[derive(Clone)]
pub struct Leaf {
    pub key: PathBuf,
    pub cert: PathBuf,
    pub chain: PathBuf,
}

impl Leaf {
    pub fn new(dir: &str, name: &str) -> Self {
        Self {
            key: fixture(&format!("{dir}/{name}-key.pem")),
            cert: fixture(&format!("{dir}/{name}-cert.pem")),
            chain: fixture(&format!("{dir}/{name}-chain.pem")),
        }
    }

    /// The base64 DER of the leaf certificate, as the views carry it.
    pub fn der(&self) -> String {
        let pem = std::fs::read_to_string(&self.cert).expect("leaf PEM");
        first_pem_body(&pem).expect("a certificate")
    }
}

/// The body of the first PEM certificate in `text`, as one base64 string.
pub fn first_pem_body(text: &str) -> Option<String> {
    let start = text.find("-----BEGIN CERTIFICATE-----")? + 27;
    let end = start + text[start..].find("-----END CERTIFICATE-----")?;
    Some(text[start..end].split_whitespace().collect())
}

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// The SNI context a server has besides its default one.
#[derive(Clone)]
pub struct Sni {
    pub name: &'static str,
    pub key: PathBuf,
    pub cert: PathBuf,
    pub chain: PathBuf,
}

/// One server, whoever runs it.
#[derive(Clone)]
pub struct ServerSetup {
    pub leaf: Leaf,
    pub key: PathBuf,
    pub chain: PathBuf,
    /// The peer's only version; our server keeps its defaults.
    pub version: Option<Version>,
    pub request_cert: bool,
    pub reject: bool,
    pub ca: Option<PathBuf>,
    pub crls: Vec<PathBuf>,
    pub alpn: Option<Vec<String>>,
    pub sni: Option<Sni>,
    pub ocsp: Option<PathBuf>,
    /// Connections it will see (peer servers exit after them).
    pub connections: usize,
}

/// One client run (one process; `connections` in a row, each offering the last one's
/// session).
#[derive(Clone)]
pub struct ClientSetup {
    pub version: Option<Version>,
    pub ca: PathBuf,
    pub crls: Vec<PathBuf>,
    pub cert: Option<Leaf>,
    pub servername: &'static str,
    pub alpn: Option<Vec<String>>,
    pub request_ocsp: bool,
    pub connections: usize,
}

fn node_tls(args: &[String]) -> Proc {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-tls"));
    cmd.args(args);
    Proc::spawn_quiet(cmd)
}

/// Lines until `done` says so (given all lines so far), EOF, or `WAIT`.
fn lines_until(p: &mut Proc, mut done: impl FnMut(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + WAIT;
    let mut lines = Vec::new();
    while !done(&lines) {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        match p.line_within(left) {
            Some(l) => lines.push(l),
            None if p.at_eof() => break,
            None => {}
        }
    }
    lines
}

fn json_lines(lines: &[String]) -> Vec<Value> {
    lines
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .collect()
}

/// Our `serve --json`, and its port.
pub fn our_server(s: &ServerSetup) -> (Proc, u16) {
    let mut args: Vec<String> = ["serve", "--json", "--port", "0", "--key"]
        .map(String::from)
        .into();
    args.push(path(&s.key));
    args.push("--cert".into());
    args.push(path(&s.chain));
    if s.request_cert {
        args.push("--request-cert".into());
    }
    if s.reject {
        args.push("--reject-unauthorized".into());
    }
    common_args(&mut args, s.ca.as_deref(), &s.crls, s.alpn.as_ref(), None);
    if let Some(sni) = &s.sni {
        args.push("--sni".into());
        args.push(format!(
            "{}={},{}",
            sni.name,
            path(&sni.key),
            path(&sni.chain)
        ));
    }
    if let Some(ocsp) = &s.ocsp {
        args.push("--ocsp-response".into());
        args.push(path(ocsp));
    }
    let mut p = node_tls(&args);
    let lines = lines_until(&mut p, |l| !json_lines(l).is_empty());
    let port = json_lines(&lines)
        .first()
        .and_then(|v| v["address"]["port"].as_u64())
        .unwrap_or_else(|| panic!("our server did not listen: {lines:?}"));
    (p, port as u16)
}

fn common_args(
    args: &mut Vec<String>,
    ca: Option<&Path>,
    crls: &[PathBuf],
    alpn: Option<&Vec<String>>,
    version: Option<Version>,
) {
    if let Some(ca) = ca {
        args.push("--ca".into());
        args.push(path(ca));
    }
    for crl in crls {
        args.push("--crl".into());
        args.push(path(crl));
    }
    if let Some(list) = alpn {
        args.push("--alpn".into());
        args.push(list.join(","));
    }
    if let Some(v) = version {
        for flag in ["--min-version", "--max-version"] {
            args.push(flag.into());
            args.push(v.name().into());
        }
    }
}

/// Our server's views of `n` connections (its `secureConnection` and `clientError`
/// events, in order).
pub fn our_server_views(p: &mut Proc, n: usize) -> Vec<Value> {
    let counted = |l: &[String]| {
        json_lines(l)
            .iter()
            .filter(|v| v["event"] == "secureConnection" || v["event"] == "clientError")
            .count()
    };
    let lines = lines_until(p, |l| counted(l) >= n);
    json_lines(&lines)
        .into_iter()
        .filter_map(|v| match v["event"].as_str() {
            Some("secureConnection") => Some(json!({
                "connected": true,
                "protocol": v["protocol"],
                "alpn": if v["alpnProtocol"] == false { Value::Null } else { v["alpnProtocol"].clone() },
                "reused": v["sessionReused"],
                "servername": v["servername"],
                "authorized": v["authorized"],
                "authorizationError": v["authorizationError"],
                "peer": v["peerCertificate"]["raw"],
            })),
            Some("clientError") => Some(json!({"connected": false, "error": v["code"]})),
            _ => None,
        })
        .collect()
}

/// Our `connect --json` (sending "hello\n"), one view per connection; `echo` is what
/// the server sends back.
pub fn our_client(c: &ClientSetup, port: u16, echo: &str) -> Vec<Value> {
    let mut args: Vec<String> = vec!["connect".into(), "--json".into()];
    if let Some(leaf) = &c.cert {
        args.extend([
            "--key".into(),
            path(&leaf.key),
            "--cert".into(),
            path(&leaf.chain),
        ]);
    }
    common_args(&mut args, Some(&c.ca), &c.crls, c.alpn.as_ref(), c.version);
    args.extend(["--servername".into(), c.servername.into()]);
    if c.request_ocsp {
        args.push("--request-ocsp".into());
    }
    args.extend(["--count".into(), c.connections.to_string()]);
    args.extend([
        "--send".into(),
        "hello\n".into(),
        format!("127.0.0.1:{port}"),
    ]);
    let mut p = node_tls(&args);
    let closes = |l: &[String]| {
        json_lines(l)
            .iter()
            .filter(|v| v["event"] == "close")
            .count()
    };
    let lines = lines_until(&mut p, |l| closes(l) >= c.connections);
    let mut views = Vec::new();
    let mut view = json!({"connected": false});
    let mut text = String::new();
    for v in json_lines(&lines) {
        match v["event"].as_str() {
            Some("secureConnect") => {
                view["connected"] = true.into();
                view["protocol"] = v["protocol"].clone();
                view["alpn"] = if v["alpnProtocol"] == false {
                    Value::Null
                } else {
                    v["alpnProtocol"].clone()
                };
                view["reused"] = v["sessionReused"].clone();
                view["authorized"] = v["authorized"].clone();
                view["peer"] = v["peerCertificate"]["raw"].clone();
            }
            Some("OCSPResponse") => view["ocsp"] = v["response"].clone(),
            Some("data") => text += v["text"].as_str().unwrap_or_default(),
            Some("error") => view["error"] = v["code"].clone(),
            Some("close") => {
                view["echoed"] = (text == echo).into();
                views.push(std::mem::replace(&mut view, json!({"connected": false})));
                text.clear();
            }
            _ => {}
        }
    }
    views
}

fn peer_config(role: &str, c: Value) -> String {
    let mut c = c;
    c["role"] = role.into();
    c.to_string()
}

fn client_config(c: &ClientSetup, port: u16) -> Value {
    json!({
        "port": port,
        "version": c.version.map(Version::name),
        "ca": path(&c.ca),
        "crl": c.crls.iter().map(|p| path(p)).collect::<Vec<_>>(),
        "key": c.cert.as_ref().map(|l| path(&l.key)),
        "cert": c.cert.as_ref().map(|l| path(&l.chain)),
        "servername": c.servername,
        "alpn": c.alpn,
        "requestOCSP": c.request_ocsp,
        "connections": c.connections,
    })
}

fn server_config(s: &ServerSetup) -> Value {
    json!({
        "version": s.version.map(Version::name),
        "key": path(&s.key),
        "cert": path(&s.chain),
        "ca": s.ca.as_ref().map(|p| path(p)),
        "crl": s.crls.iter().map(|p| path(p)).collect::<Vec<_>>(),
        "requestCert": s.request_cert,
        "alpn": s.alpn,
        "sni": s.sni.as_ref().map(|n| json!({"name": n.name, "key": path(&n.key), "cert": path(&n.chain)})),
        "ocsp": s.ocsp.as_ref().map(|p| path(p)),
        "connections": s.connections,
    })
}

fn script(name: &str) -> String {
    path(&suite::root().join("tests/interop").join(name))
}

fn scripted(program: &str, file: &str, config: String) -> Proc {
    let mut cmd = Command::new(program);
    cmd.arg(script(file)).arg(config);
    Proc::spawn_quiet(cmd)
}

/// Node's or Python's client (`peer.js` / `peer.py`): its JSON lines are views.
pub fn scripted_client(program: &str, file: &str, c: &ClientSetup, port: u16) -> Vec<Value> {
    let mut p = scripted(program, file, peer_config("client", client_config(c, port)));
    let lines = lines_until(&mut p, |l| json_lines(l).len() >= c.connections);
    json_lines(&lines)
}

/// Node's or Python's server; it prints its views as it goes.
pub fn scripted_server(program: &str, file: &str, s: &ServerSetup) -> (Proc, u16) {
    let mut p = scripted(program, file, peer_config("server", server_config(s)));
    let lines = lines_until(&mut p, |l| !json_lines(l).is_empty());
    let port = json_lines(&lines)
        .first()
        .and_then(|v| v["listening"].as_u64())
        .unwrap_or_else(|| panic!("{file} did not listen: {lines:?}"));
    (p, port as u16)
}

/// The views a scripted server printed for `n` connections.
pub fn scripted_server_views(p: &mut Proc, n: usize) -> Vec<Value> {
    json_lines(&lines_until(p, |l| json_lines(l).len() >= n))
}

fn version_flag(v: Option<Version>) -> Option<&'static str> {
    v.map(|v| match v {
        Version::V12 => "-tls1_2",
        Version::V13 => "-tls1_3",
    })
}

/// `openssl s_client`, one process per connection (`-sess_out` / `-sess_in` carry the
/// session), writing "hello\n" and reading it back.
pub fn s_client(c: &ClientSetup, port: u16, dir: &Path) -> Vec<Value> {
    let session = dir.join("s_client.session");
    (0..c.connections)
        .map(|n| {
            let mut cmd = Command::new("openssl");
            cmd.args(["s_client", "-connect", &format!("127.0.0.1:{port}")])
                .args([
                    "-servername",
                    c.servername,
                    "-verify_hostname",
                    c.servername,
                ])
                .args(["-CAfile", &path(&c.ca), "-verify_return_error"])
                .args(version_flag(c.version));
            if let Some(leaf) = &c.cert {
                cmd.args(["-cert", &path(&leaf.cert), "-key", &path(&leaf.key)])
                    .args(["-cert_chain", &path(&fixture("ca/intermediate-cert.pem"))]);
            }
            if let Some(list) = &c.alpn {
                cmd.args(["-alpn", &list.join(",")]);
            }
            if c.request_ocsp {
                cmd.arg("-status");
            }
            if c.connections > 1 {
                let flag = if n == 0 { "-sess_out" } else { "-sess_in" };
                cmd.args([flag, &path(&session)]);
            }
            let mut p = Proc::spawn_quiet(cmd);
            let _ = p.try_write(b"hello\n");
            // the echo may land inside the dump of a TLS 1.3 ticket that arrives with it
            // (s_client writes both to stdout): it ends a line, not always starts one
            let mut lines = lines_until(&mut p, |l| l.last().is_some_and(|l| l.ends_with("hello")));
            p.close_stdin();
            lines.extend(lines_until(&mut p, |_| false));
            s_client_view(&lines)
        })
        .collect()
}

fn s_client_view(lines: &[String]) -> Value {
    let text = lines.join("\n");
    let mut view = json!({
        "connected": text.contains("Verify return code: 0 (ok)"),
        "echoed": lines.iter().any(|l| l.ends_with("hello")),
        "peer": first_pem_body(&text),
    });
    for l in lines {
        for (prefix, reused) in [("New, ", false), ("Reused, ", true)] {
            if let Some(rest) = l.strip_prefix(prefix) {
                view["reused"] = reused.into();
                view["protocol"] = rest.split(',').next().unwrap_or_default().into();
            }
        }
        if let Some(p) = l.strip_prefix("ALPN protocol: ") {
            view["alpn"] = p.into();
        }
    }
    if text.contains("OCSP response:") {
        view["ocsp_good"] = (text.contains("OCSP Response Status: successful")
            && text.contains("Cert Status: good"))
        .into();
    }
    view
}

/// `openssl s_server -rev` (it sends each line back reversed), and its port.
pub fn s_server(s: &ServerSetup) -> (Proc, u16) {
    let mut cmd = Command::new("openssl");
    let intermediate = path(&fixture("ca/intermediate-cert.pem"));
    cmd.args(["s_server", "-accept", "0", "-rev"])
        .args(["-naccept", &s.connections.to_string()])
        .args(["-cert", &path(&s.leaf.cert), "-key", &path(&s.key)])
        .args(["-cert_chain", &intermediate])
        .args(version_flag(s.version));
    if s.request_cert {
        cmd.args(["-Verify", "1", "-verify_return_error"]);
    }
    if let Some(ca) = &s.ca {
        cmd.args(["-CAfile", &path(ca)]);
    }
    if let Some(list) = &s.alpn {
        cmd.args(["-alpn", &list.join(",")]);
    }
    if let Some(sni) = &s.sni {
        // s_server has no chain option for its second certificate: the cell's client
        // trusts the intermediate too
        cmd.args(["-servername", sni.name, "-cert2", &path(&sni.cert)])
            .args(["-key2", &path(&sni.key)]);
    }
    if let Some(ocsp) = &s.ocsp {
        cmd.args(["-status_file", &path(ocsp)]);
    }
    let mut p = Proc::spawn_quiet(cmd);
    let lines = lines_until(&mut p, |l| l.iter().any(|l| l.starts_with("ACCEPT")));
    let port = lines
        .iter()
        .find_map(|l| l.strip_prefix("ACCEPT")?.rsplit(':').next()?.parse().ok())
        .unwrap_or_else(|| panic!("s_server did not listen: {lines:?}"));
    (p, port)
}

/// curl against the library's responder (`http.rs`): one invocation fetching the URL
/// `connections` times (each a new connection offering the last session).
pub fn curl(c: &ClientSetup, port: u16) -> (Vec<Value>, String) {
    let url = format!("https://{}:{port}/", c.servername);
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "-v", "--http1.1", "--max-time", "10"])
        .args(["--cacert", &path(&c.ca)])
        .args(["--resolve", &format!("{}:{port}:127.0.0.1", c.servername)])
        .args(["-w", "\n%{certs}\n"]);
    match c.version {
        Some(Version::V12) => cmd.args(["--tlsv1.2", "--tls-max", "1.2"]),
        Some(Version::V13) => cmd.args(["--tlsv1.3", "--tls-max", "1.3"]),
        None => &mut cmd,
    };
    if let Some(leaf) = &c.cert {
        cmd.args(["--cert", &path(&leaf.chain), "--key", &path(&leaf.key)]);
    }
    if c.request_ocsp {
        cmd.arg("--cert-status");
    }
    for _ in 0..c.connections {
        cmd.arg(&url);
    }
    let out = cmd.stdin(Stdio::null()).output().expect("curl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let protocols: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("* SSL connection using ")?.split(' ').next())
        .collect();
    let alpns: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("* ALPN: server accepted "))
        .collect();
    // each body is a JSON line; after it curl writes the chain it got (`%{certs}`)
    let mut parts: Vec<String> = Vec::new();
    for line in stdout.lines() {
        if line.starts_with('{') {
            parts.push(String::new());
        }
        if let Some(part) = parts.last_mut() {
            *part += line;
            *part += "\n";
        }
    }
    let mut views = Vec::new();
    for (n, part) in parts.iter().enumerate() {
        let mut view = json!({
            "connected": true,
            "echoed": true,
            "peer": first_pem_body(part),
            "protocol": protocols.get(n).copied(),
            "alpn": alpns.get(n).copied(),
        });
        if c.request_ocsp {
            view["ocsp_good"] = out.status.success().into();
        }
        views.push(view);
    }
    if views.is_empty() {
        views.push(json!({"connected": false, "error": stderr.lines().last()}));
    }
    (views, stderr)
}
