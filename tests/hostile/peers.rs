//! The servers under attack (ours and Node's, each printing JSON events that a thread
//! collects), the healthy client, and a TLS client on tls-core whose bytes an attack
//! may bend.

use serde_json::Value;
use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use suite::{fixture, Proc};
use tls_core::{ClientOptions, Connection, Event, Now};

/// What our server does before it gives up on a silent handshake (ms).
pub const HANDSHAKE_TIMEOUT: u64 = 1000;

fn path(p: &str) -> String {
    fixture(p).to_string_lossy().into_owned()
}

/// A server under attack: its port and every event line it has printed so far.
pub struct Server {
    pub port: u16,
    pid: u32,
    events: Arc<Mutex<Vec<Value>>>,
    /// Where the events the queries see begin (`begin`).
    from: AtomicUsize,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
    exited: Arc<AtomicBool>,
}

impl Server {
    /// `node-tls serve --json` with an RSA-2048 leaf and a 1 s handshake timeout.
    pub fn ours() -> Self {
        Self::ours_with(&[])
    }

    /// The same with more flags.
    pub fn ours_with(extra: &[&str]) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_node-tls"));
        cmd.args(["serve", "--json", "--port", "0"])
            .args(["--key", &path("leaf/rsa2048-key.pem")])
            .args(["--cert", &path("leaf/rsa2048-chain.pem")])
            .args(["--handshake-timeout", &HANDSHAKE_TIMEOUT.to_string()])
            .args(extra);
        Self::start(cmd)
    }

    /// Node 20's tls server doing the same (`tests/node/serve.js`).
    pub fn node() -> Self {
        let mut cmd = Command::new("node");
        cmd.arg(suite::root().join("tests/node/serve.js"))
            .arg(path("leaf/rsa2048-key.pem"))
            .arg(path("leaf/rsa2048-chain.pem"))
            .arg(HANDSHAKE_TIMEOUT.to_string());
        Self::start(cmd)
    }

    fn start(cmd: Command) -> Self {
        let mut p = Proc::spawn_quiet(cmd);
        let port = p.listening_port();
        let pid = p.id();
        let events = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let exited = Arc::new(AtomicBool::new(false));
        let (e, s, x) = (events.clone(), stop.clone(), exited.clone());
        let reader = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                match p.line_within(Duration::from_millis(50)) {
                    Some(line) => {
                        if let Ok(v) = serde_json::from_str::<Value>(&line) {
                            e.lock().unwrap().push(v);
                        }
                    }
                    None if p.at_eof() => {
                        x.store(true, Ordering::Relaxed);
                        eprintln!("server exited: {}", p.stderr());
                        return;
                    }
                    None => {}
                }
            }
        });
        Self {
            port,
            pid,
            events,
            from: AtomicUsize::new(0),
            stop,
            reader: Some(reader),
            exited,
        }
    }

    /// Forgets the events so far: the queries below see only later ones, so a port the
    /// kernel hands out again cannot match an earlier connection's events.
    pub fn begin(&self) {
        let len = self.events.lock().unwrap().len();
        self.from.store(len, Ordering::Relaxed);
    }

    /// `f` over the events since `begin`.
    fn window<R>(&self, f: impl FnOnce(&[Value]) -> R) -> R {
        let events = self.events.lock().unwrap();
        let from = self.from.load(Ordering::Relaxed).min(events.len());
        f(&events[from..])
    }

    /// Whether the server is still running.
    pub fn alive(&self) -> bool {
        !self.exited.load(Ordering::Relaxed)
    }

    /// Its resident set (`VmRSS`), KiB.
    pub fn rss_kib(&self) -> u64 {
        let status =
            std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }

    /// Its CPU time so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // the fields after the command name, which is in parentheses
        let rest = stat.rsplit(')').next().unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let tick = |i: usize| {
            fields
                .get(i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or(0)
        };
        tick(11) + tick(12)
    }

    /// How each connection from `ports` ended, in the order given: its `clientError`
    /// or `error` code, `secure` (a handshake, then a close without error), or `open`
    /// (nothing closed it within `wait`).
    pub fn outcomes(&self, ports: &[u16], wait: Duration) -> Vec<String> {
        let deadline = Instant::now() + wait;
        loop {
            let found = self.outcome_map(ports);
            if found.len() == ports.len() || Instant::now() >= deadline {
                return ports
                    .iter()
                    .map(|p| found.get(p).cloned().unwrap_or_else(|| "open".into()))
                    .collect();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn outcome_map(&self, ports: &[u16]) -> HashMap<u16, String> {
        let mut secure = HashMap::new();
        let mut done = HashMap::new();
        self.window(|events| {
            for e in events {
                let Some(port) = remote_port(e) else {
                    continue;
                };
                if !ports.contains(&port) || done.contains_key(&port) {
                    continue;
                }
                let code = e["code"].as_str().unwrap_or("?").to_string();
                match e["event"].as_str() {
                    Some("clientError") | Some("error") => {
                        done.insert(port, code);
                    }
                    Some("secureConnection") => {
                        secure.insert(port, ());
                    }
                    Some("close") if secure.contains_key(&port) => {
                        done.insert(port, "secure".into());
                    }
                    _ => {}
                }
            }
        });
        done
    }

    /// The remote port of the first connection whose handshake is done.
    pub fn first_secure(&self) -> Option<u16> {
        self.window(|events| {
            events
                .iter()
                .find(|e| e["event"] == "secureConnection")
                .and_then(remote_port)
        })
    }

    /// Event lines of the connection from `port`.
    pub fn events_of(&self, port: u16) -> Vec<Value> {
        let of = |e: &&Value| remote_port(e) == Some(port);
        self.window(|events| events.iter().filter(of).cloned().collect())
    }
}

/// The `remotePort` of an event line.
fn remote_port(e: &Value) -> Option<u16> {
    e["remotePort"].as_u64().and_then(|p| u16::try_from(p).ok())
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// A TLS client on tls-core over a blocking socket, for attacks that handshake first.
pub struct Tls {
    pub stream: TcpStream,
    pub tls: Connection,
    pub echoed: usize,
    pub outcome: Option<String>,
}

impl Tls {
    /// A connection to `port`, its ClientHello not sent yet; `version` caps it.
    pub fn new(port: u16, version: &str) -> Self {
        let options = context::SecureContextOptions::new().max_version(version);
        let ctx = context::create_secure_context(&options).expect("client context");
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_nodelay(true).expect("nodelay");
        let mut o = ClientOptions::new("localhost");
        o.servername = Some("localhost".into());
        o.reject_unauthorized = false;
        o.port = port;
        let tls = Connection::client(&ctx, o, Now::system()).expect("client");
        Self {
            stream,
            tls,
            echoed: 0,
            outcome: None,
        }
    }

    /// Our local port (the server's `remotePort`).
    pub fn port(&self) -> u16 {
        self.stream.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// The bytes tls-core has queued.
    pub fn take(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.tls.poll_transmit(&mut out);
        out
    }

    /// Sends what tls-core has queued.
    pub fn flush(&mut self) {
        let out = self.take();
        if !out.is_empty() && self.stream.write_all(&out).is_err() && self.outcome.is_none() {
            self.outcome = Some("reset".into());
        }
    }

    /// A full handshake (true when it is done within 5 s).
    pub fn handshake(&mut self) -> bool {
        self.flush();
        self.pump(Duration::from_secs(5), |c| c.tls.is_secure());
        self.tls.is_secure()
    }

    /// Reads for up to `wait` (or until `done`), feeding tls-core.
    pub fn pump(&mut self, wait: Duration, mut done: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + wait;
        let mut buf = vec![0u8; 65536];
        while self.outcome.is_none() && !done(self) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            let step = left.min(Duration::from_millis(20));
            self.stream.set_read_timeout(Some(step)).expect("timeout");
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.tls.feed_eof();
                    self.events();
                    self.outcome.get_or_insert_with(|| "eof".into());
                }
                Ok(n) => {
                    self.tls.feed(&buf[..n]);
                    self.events();
                    self.flush();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => self.outcome = Some("reset".into()),
            }
        }
    }

    fn events(&mut self) {
        while let Some(event) = self.tls.poll_event() {
            match event {
                Event::Data(d) => self.echoed += d.len(),
                Event::End => self.outcome = Some("end".into()),
                Event::Error(e) => self.outcome = Some(format!("error:{}", e.code())),
                _ => {}
            }
        }
    }
}

/// Round-trip times, ms.
#[derive(Default)]
pub struct Rtt(Vec<f64>);

impl Rtt {
    /// The `q`th percentile (0 with no samples).
    pub fn p(&self, q: usize) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        let mut v = self.0.clone();
        v.sort_by(f64::total_cmp);
        v[((v.len() - 1) * q) / 100]
    }

    /// The slowest.
    pub fn max(&self) -> f64 {
        self.0.iter().copied().fold(0.0, f64::max)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The healthy client: 1 KiB out, 1 KiB back, again, on one TLS 1.3 connection.
pub struct Healthy {
    samples: Arc<Mutex<Vec<f64>>>,
    failure: Arc<Mutex<Option<String>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Healthy {
    pub fn start(port: u16) -> Self {
        let samples = Arc::new(Mutex::new(Vec::new()));
        let failure = Arc::new(Mutex::new(None));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, f, st) = (samples.clone(), failure.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let mut c = Tls::new(port, "TLSv1.3");
            if !c.handshake() {
                *f.lock().unwrap() = Some(format!("no handshake: {:?}", c.outcome));
                return;
            }
            let request = [b'h'; 1024];
            while !st.load(Ordering::Relaxed) {
                let t = Instant::now();
                let want = c.echoed + request.len();
                c.tls.write(&request);
                c.flush();
                c.pump(Duration::from_secs(5), |c| c.echoed >= want);
                if c.echoed < want {
                    let why = c
                        .outcome
                        .clone()
                        .unwrap_or_else(|| "no echo within 5 s".into());
                    *f.lock().unwrap() = Some(why);
                    return;
                }
                s.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                // one round trip every 2 ms: a steady client, not a load generator
                std::thread::sleep(Duration::from_millis(2));
            }
        });
        Self {
            samples,
            failure,
            stop,
            thread: Some(thread),
        }
    }

    /// A point in its samples.
    pub fn mark(&self) -> usize {
        self.samples.lock().unwrap().len()
    }

    /// Its round trips since `mark`.
    pub fn since(&self, mark: usize) -> Rtt {
        Rtt(self.samples.lock().unwrap()[mark..].to_vec())
    }

    /// Why it stopped, if it did.
    pub fn failure(&self) -> Option<String> {
        self.failure.lock().unwrap().clone()
    }

    /// Stops it; all its round trips.
    pub fn stop(mut self) -> Rtt {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        Rtt(self.samples.lock().unwrap().clone())
    }
}
