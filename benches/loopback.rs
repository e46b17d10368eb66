//! Our TLS server against Node 20's `tls` server, over 127.0.0.1, on this machine, in one
//! run, with one client for both: this library's client on the bench's main thread (its
//! own `EventLoop`), so the ratios reflect the servers.
//!
//! ```sh
//! cargo build --release -p node-tls-cli            # `memory` runs our server as this binary
//! cargo bench --bench loopback                     # every metric once, about 90 s on 2 cores
//! cargo bench --bench loopback -- --report         # the same, and BENCHMARKS.md's tables and
//!                                                  # benches/loopback.svg rewritten
//! cargo bench --bench loopback -- --quick          # a smoke run: small counts, short limits
//! cargo bench --bench loopback -- handshake bulk   # metrics whose name contains a word
//! cargo bench --bench loopback -- --list           # the metric names
//! ```
//!
//! The servers:
//! - ours, for the rate, throughput and echo metrics: in this process, on a thread of its
//!   own with its own `EventLoop` (`create_server`, a sink that acks, an echo, or a source
//!   that sends on request); for `memory`: the CLI as a child process, `node-tls serve
//!   --mode sink --json` (found next to this bench's binary, in `$CARGO_TARGET_DIR` or in
//!   `target/`, release preferred).
//! - node: always a child process, `node -e NODE_SERVER` (the script below: the same
//!   sink, echo or source).
//! - tokio: what a Rust user would write instead, a tokio-rustls server on tokio's default
//!   multi-threaded runtime (`support/tokio_sink.rs`, the same servers and ring
//!   provider), as a child process: this bench binary run again with `--serve-tokio`.
//! - tcp: the floor, the same loop, server and client with no TLS (a `node_tls::net` server
//!   and socket), so every figure also reads as a share of plain TCP.
//!
//! Where the machine has two or more CPUs and `taskset` (util-linux) works, every server
//! runs on CPU 0 (our server's thread; every thread of a child) and the client on the last
//! CPU, so the client's work never takes the server's core (the header line says so).
//!
//! Two tables: the figures as the client saw them, and the same work per server
//! CPU-second (user + system time, in nanoseconds from `/proc/.../schedstat`: our
//! server's thread, every live thread of a child, over the timed part only), each with
//! the ratios ours/node and ours/tokio and ours as a share of TCP.
//!
//! The sink discards what it reads and sends one byte back per MiB received: the client
//! counts those acks to know what arrived, and keeps at most [`WINDOW`] unacked (the
//! window is the backpressure). The source is the other way round: the client sends one
//! byte per MiB it asks for, keeping at most [`WINDOW`] asked for and not received, and
//! the server answers each byte with a MiB in 64 KiB writes.
//!
//! The metrics (the client offers TLS 1.3 only, or TLS 1.2 only for `-tls12`):
//! - `handshake-full-*`: connect, handshake, `end()`, wait for `close`; N in a row
//!   (`seq`) or 10 at a time (`c10`); a fresh client `SecureContext` per connection (made
//!   before the clock starts) so no session can resume, which is checked.
//! - `handshake-resumed-seq-p256[-tls12]`, `handshake-resumed-c10-p256-tls12`: one client
//!   context for every connection, so tickets resume them (checked with `is_session_reused()`; warm-up connections get the
//!   first tickets); the rate is over the resumed connections only, from their own times.
//!   Against Node about one TLS 1.3 connection in three is a full handshake: OpenSSL issues
//!   two tickets after a full handshake and none after a resumed one, and rustls's client
//!   uses each TLS 1.3 ticket once (RFC 8446, C.4). Hence no concurrent TLS 1.3 variant:
//!   only a sequential run can time the resumed connections apart. The TLS 1.2 `c10`
//!   rate is over the wall time and counts only if every connection resumed.
//! - `bulk-<protocol>-<cipher>[-w1k|-w1m]`: one connection sends 512 MiB in 64 KiB writes
//!   (1 KiB, 1 MiB), the client offering that one suite; MB/s (10^6 bytes) from
//!   `secureConnect` to the last ack, after a warm-up connection that sends 64 MiB.
//!   `-down`: the server sends them (the source), to the last byte received.
//! - `echo-1k-c1`, `echo-1k-c100`: 1 KiB request/response round trips on 1 and on 100
//!   connections at once (each waits for its whole answer before the next request), 50,000
//!   in all, timed once every connection is established; p50, p99 and p99.9 of the round
//!   trips in microseconds, and round trips per server CPU-second.
//! - `memory-idle-1k`, `memory-idle-10k`: the server as a child process; 1,000 and
//!   10,000 idle established connections (fewer if `ulimit -n` is low);
//!   `(VmRSS with them - VmRSS before) / N` from `/proc/<pid>/status`, and the peak
//!   (`VmHWM`).
//!
//! Counts: 1,000 sequential and 2,000 concurrent connections after 50 warm-up ones, each
//! run stopping after 10 s (`--quick`: 100 and 200 after 5, 2 s; 32 MiB; 2,000 round trips;
//! 100 and 200 idle connections). Every loop stops at its count or its time limit,
//! whichever comes first; a limit that cuts a run short is said in the notes (on stderr,
//! the table is on stdout).
//!
//! Reading the numbers: a handshake figure includes the TCP connect and close and the
//! client's own work (ECDHE, chain verification), the same for every server, so ratios
//! are pulled towards 1 where the client's work rivals the server's (P-256). With the
//! client on its own core a server's wall-clock rate can be bound by the client; the
//! per-CPU-second table is the one that compares the servers.

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, Remote,
    SecureContext, SecureContextOptions, ServerOptions, TlsSocket,
};
use std::cell::RefCell;
use std::path::PathBuf;
use std::process::Command;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use suite::{fixture, read_fixture, Proc};

#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[path = "support/tokio_sink.rs"]
mod tokio_sink;

/// The servers ack each MiB they receive with one byte.
const ACK_UNIT: u64 = 1 << 20;
/// The most the bulk client keeps unacked.
const WINDOW: u64 = 8 * ACK_UNIT;
/// The bulk client's write size.
const CHUNK: usize = 64 * 1024;
/// How long connections still in flight at a time limit may take to finish.
const GRACE: Duration = Duration::from_secs(5);

/// Node's side: the same servers as ours. Args: key file, cert file, what it serves
/// ([`Serve::word`]), the ack unit, `1` to print one line per `secureConnection` (the
/// memory metric counts them).
const NODE_SERVER: &str = r#"
const tls = require('tls'); const fs = require('fs');
const [key, cert, mode, unit, verbose] = process.argv.slice(1);
const UNIT = Number(unit), CHUNK = 65536;
const options = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) };
const server = tls.createServer(options, (socket) => {
  if (verbose === '1') console.log('{"event":"secureConnection"}');
  socket.setNoDelay(true); // as ours and the tokio sink
  socket.on('error', () => {});
  if (mode === 'echo') { socket.on('data', (d) => socket.write(d)); return; }
  if (mode === 'source') { // UNIT bytes, in CHUNK-byte writes, per byte received
    const chunk = Buffer.alloc(CHUNK, 120);
    socket.on('data', (d) => { for (let i = 0; i < d.length * UNIT / CHUNK; i++) socket.write(chunk); });
    return;
  }
  let got = 0, acked = 0;
  socket.on('data', (d) => {
    got += d.length;
    const units = Math.floor(got / UNIT);
    if (units > acked) { socket.write(Buffer.alloc(units - acked, 107)); acked = units; }
  });
});
server.on('tlsClientError', (e) => console.error('node server: tlsClientError ' + e.code));
server.listen(0, '127.0.0.1', () =>
  console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
"#;

// ----- what is measured -----

#[derive(Clone, Copy, Debug)]
enum Cert {
    Rsa2048,
    P256,
}

impl Cert {
    fn files(self) -> (&'static str, &'static str) {
        match self {
            Cert::Rsa2048 => ("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem"),
            Cert::P256 => ("leaf/p256-key.pem", "leaf/p256-chain.pem"),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Cert::Rsa2048 => "rsa2048",
            Cert::P256 => "p256",
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Full handshakes, this many at a time.
    Full(usize),
    /// Resumed handshakes, this many at a time.
    Resumed(usize),
    /// One connection moves the budget's bytes: the client sends them in writes of
    /// `write` bytes, or (`down`) the server sends them in [`CHUNK`]-byte writes.
    Bulk { write: usize, down: bool },
    /// [`REQUEST`]-byte round trips on this many connections at once.
    Echo(usize),
    /// Idle established connections: the budget's `idle`, or its `idle_many`.
    Memory { many: bool },
}

/// What a server does with each connection.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Serve {
    /// Discards what it reads and sends one byte back per [`ACK_UNIT`] read.
    Sink,
    /// Writes back what it reads.
    Echo,
    /// Sends [`ACK_UNIT`] bytes, in [`CHUNK`]-byte writes, per byte it reads.
    Source,
}

impl Serve {
    /// The server a metric needs.
    fn of(kind: Kind) -> Self {
        match kind {
            Kind::Echo(_) => Serve::Echo,
            Kind::Bulk { down: true, .. } => Serve::Source,
            _ => Serve::Sink,
        }
    }

    /// Its name on the Node script's and the tokio child's command lines.
    fn word(self) -> &'static str {
        match self {
            Serve::Sink => "sink",
            Serve::Echo => "echo",
            Serve::Source => "source",
        }
    }
}

/// What the client offers: TLS 1.3 only, or TLS 1.2 only, and a cipher list.
#[derive(Clone, Copy, Debug)]
struct Client {
    tls12: bool,
    ciphers: Option<&'static str>,
}

const TLS13: Client = Client {
    tls12: false,
    ciphers: None,
};

const TLS12: Client = Client {
    tls12: true,
    ciphers: None,
};

impl Client {
    fn protocol(self) -> &'static str {
        if self.tls12 {
            "TLSv1.2"
        } else {
            "TLSv1.3"
        }
    }
}

#[derive(Clone, Debug)]
struct Metric {
    name: String,
    kind: Kind,
    cert: Cert,
    client: Client,
}

/// The echo metric's request (and answer) size.
const REQUEST: usize = 1024;

fn metrics() -> Vec<Metric> {
    let metric = |name: String, kind, cert, client| Metric {
        name,
        kind,
        cert,
        client,
    };
    let mut all = Vec::new();
    let protocols = [("", TLS13), ("-tls12", TLS12)];
    for (kind, tag) in [(Kind::Full(1), "seq"), (Kind::Full(10), "c10")] {
        for cert in [Cert::Rsa2048, Cert::P256] {
            for (suffix, client) in protocols {
                let name = format!("handshake-full-{tag}-{}{suffix}", cert.name());
                all.push(metric(name, kind, cert, client));
            }
        }
    }
    for (suffix, client) in protocols {
        let name = format!("handshake-resumed-seq-p256{suffix}");
        all.push(metric(name, Kind::Resumed(1), Cert::P256, client));
    }
    // TLS 1.2 only 10 at a time: against Node every third TLS 1.3 connection is a full
    // handshake (see the module doc), which only a sequential run can set apart.
    let name = "handshake-resumed-c10-p256-tls12".to_string();
    all.push(metric(name, Kind::Resumed(10), Cert::P256, TLS12));
    let suites = [
        ("tls13-aes128", false, "TLS_AES_128_GCM_SHA256"),
        ("tls13-aes256", false, "TLS_AES_256_GCM_SHA384"),
        ("tls13-chacha20", false, "TLS_CHACHA20_POLY1305_SHA256"),
        ("tls12-aes128", true, "ECDHE-ECDSA-AES128-GCM-SHA256"),
    ];
    for (direction, down) in [("", false), ("-down", true)] {
        for (tag, tls12, suite) in suites {
            let client = Client {
                tls12,
                ciphers: Some(suite),
            };
            let kind = Kind::Bulk { write: CHUNK, down };
            let name = format!("bulk-{tag}{direction}");
            all.push(metric(name, kind, Cert::P256, client));
        }
    }
    let aes128 = Client {
        tls12: false,
        ciphers: Some("TLS_AES_128_GCM_SHA256"),
    };
    for (tag, size) in [("w1k", 1024), ("w1m", 1 << 20)] {
        let name = format!("bulk-tls13-aes128-{tag}");
        let kind = Kind::Bulk {
            write: size,
            down: false,
        };
        all.push(metric(name, kind, Cert::P256, aes128));
    }
    for connections in [1, 100] {
        let name = format!("echo-1k-c{connections}");
        all.push(metric(name, Kind::Echo(connections), Cert::P256, TLS13));
    }
    for (tag, many) in [("1k", false), ("10k", true)] {
        let name = format!("memory-idle-{tag}-p256");
        all.push(metric(name, Kind::Memory { many }, Cert::P256, TLS13));
    }
    all
}

/// Counts and time limits: the full run, or `--quick`.
#[derive(Clone, Copy, Debug)]
struct Budget {
    seq: usize,
    concurrent: usize,
    warmup: usize,
    limit: Duration,
    bulk_bytes: u64,
    /// Round trips per echo metric (all connections together).
    requests: usize,
    idle: usize,
    idle_many: usize,
    memory_limit: Duration,
}

const FULL: Budget = Budget {
    seq: 1000,
    concurrent: 2000,
    warmup: 50,
    limit: Duration::from_secs(10),
    bulk_bytes: 512 * ACK_UNIT,
    requests: 50_000,
    idle: 1000,
    idle_many: 10_000,
    memory_limit: Duration::from_secs(60),
};

const QUICK: Budget = Budget {
    seq: 100,
    concurrent: 200,
    warmup: 5,
    limit: Duration::from_secs(2),
    bulk_bytes: 32 * ACK_UNIT,
    requests: 2_000,
    idle: 100,
    idle_many: 200,
    memory_limit: Duration::from_secs(10),
};

/// One measurement of one server.
#[derive(Debug, Default)]
struct Measure {
    /// The figure (a rate, MB/s or KiB per connection); `None`: it failed.
    value: Option<f64>,
    /// What the rate counts over the timed part (connections, MB), and the server's CPU
    /// seconds over the same part: `work / cpu` is the figure per server CPU-second.
    work: Option<f64>,
    cpu: Option<f64>,
    /// A second figure for the memory metric: peak RSS in MiB.
    peak_mib: Option<f64>,
    /// The echo metric's round trips, p50, p99 and p99.9, in microseconds.
    latency_us: Option<[f64; 3]>,
    /// What a reader should know (counts, reuse, a limit that cut the run short, errors).
    note: String,
}

// ----- the servers -----

/// Where a server's CPU time is read: our server's thread (in this process), or a
/// child process (all its threads).
#[derive(Clone, Debug)]
enum CpuProbe {
    Thread(u32),
    Process(u32),
}

impl CpuProbe {
    /// CPU seconds so far (user + system), from the scheduler's nanosecond count
    /// (`/proc/.../schedstat`, summed over a process's live threads); where the kernel
    /// has none, from `stat`'s `utime` + `stime` in ticks of 10 ms (a 0.15 s bulk run
    /// would read to ±7% that way).
    fn seconds(&self) -> Option<f64> {
        let scheduled = match self {
            CpuProbe::Thread(tid) => schedstat(&format!("/proc/self/task/{tid}/schedstat")),
            CpuProbe::Process(pid) => std::fs::read_dir(format!("/proc/{pid}/task"))
                .ok()
                .and_then(|tasks| {
                    tasks
                        .map(|t| schedstat(&format!("{}/schedstat", t.ok()?.path().display())))
                        .sum::<Option<f64>>()
                }),
        };
        scheduled.or_else(|| self.ticks())
    }

    /// User + system CPU seconds from `stat` (USER_HZ 100).
    fn ticks(&self) -> Option<f64> {
        let path = match self {
            CpuProbe::Thread(tid) => format!("/proc/self/task/{tid}/stat"),
            CpuProbe::Process(pid) => format!("/proc/{pid}/stat"),
        };
        let stat = std::fs::read_to_string(path).ok()?;
        // fields after the `(comm)`, which may hold spaces: state is field 3, utime 14
        let rest = stat.rsplit_once(") ")?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }
}

/// The first field of a `schedstat` file: nanoseconds spent on a CPU, in seconds.
fn schedstat(path: &str) -> Option<f64> {
    let text = std::fs::read_to_string(path).ok()?;
    let ns: u64 = text.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// Whether servers run on CPU 0 and the client on the last CPU (set once, in `main`).
static PINNED: AtomicBool = AtomicBool::new(false);

/// `taskset` (util-linux) with these arguments; whether it succeeded.
fn taskset(args: &[String]) -> bool {
    Command::new("taskset")
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Pins the calling thread (the client) to the last CPU, where there are two or more
/// and `taskset` works; servers then go to CPU 0 ([`pin_server`]).
fn pin_client(cores: usize) -> bool {
    let pinned = cores >= 2
        && thread_id()
            .is_some_and(|tid| taskset(&["-pc".into(), (cores - 1).to_string(), tid.to_string()]));
    PINNED.store(pinned, Ordering::Relaxed);
    pinned
}

/// Pins a server to CPU 0: a thread of ours, or every thread of a child (`-a`; threads
/// it starts later inherit it), when the client is pinned.
fn pin_server(id: u32, all_threads: bool) {
    if PINNED.load(Ordering::Relaxed) {
        let mut args = vec![if all_threads { "-apc" } else { "-pc" }.to_string()];
        args.extend(["0".to_string(), id.to_string()]);
        if !taskset(&args) {
            eprintln!("note: could not pin server {id} to CPU 0");
        }
    }
}

/// The id of the calling thread (`/proc/thread-self` is `<pid>/task/<tid>`).
fn thread_id() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

/// Our server in this process, on its own thread and loop.
struct OurServer {
    port: u16,
    cpu: CpuProbe,
    remote: Remote,
    stop: Arc<AtomicBool>,
    client_errors: Arc<AtomicUsize>,
    thread: Option<JoinHandle<()>>,
}

impl OurServer {
    /// `plain`: the same server on a plain `net` server of our loop (the TCP floor).
    fn start(cert: Cert, plain: bool, serve: Serve) -> Result<Self, String> {
        let (key, chain) = cert.files();
        let (key, chain) = (read_fixture(key), read_fixture(chain));
        let stop = Arc::new(AtomicBool::new(false));
        let client_errors = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = mpsc::channel();
        let (stop2, errors2) = (stop.clone(), client_errors.clone());
        let thread = std::thread::spawn(move || {
            // EventLoop is not Send: made here, on its thread.
            let started = (|| {
                let ev = EventLoop::new().map_err(|e| e.to_string())?;
                let sink = move |sock: &TlsSocket| {
                    if serve == Serve::Echo {
                        sock.on_data(|sock, data| {
                            sock.write(data);
                        });
                        return;
                    }
                    if serve == Serve::Source {
                        let chunk = vec![b'x'; CHUNK];
                        sock.on_data(move |sock, data| {
                            for _ in 0..data.len() * (ACK_UNIT as usize / CHUNK) {
                                sock.write(&chunk);
                            }
                        });
                        return;
                    }
                    let (mut got, mut acked) = (0u64, 0u64);
                    sock.on_data(move |sock, data| {
                        got += data.len() as u64;
                        let units = got / ACK_UNIT;
                        if units > acked {
                            sock.write(&vec![b'k'; (units - acked) as usize]);
                            acked = units;
                        }
                    });
                };
                let server = if plain {
                    let server = node_tls::net::create_server(&ev).map_err(|e| e.to_string())?;
                    server.on_connection(sink);
                    server
                } else {
                    let server = create_server(&ev, ServerOptions::new().key(key).cert(chain))
                        .map_err(|e| e.to_string())?;
                    server.on_secure_connection(sink);
                    server
                };
                server.on_client_error(move |_, _| {
                    errors2.fetch_add(1, Ordering::Relaxed);
                });
                let addr = server.listen(0, "127.0.0.1").map_err(|e| e.to_string())?;
                Ok::<_, String>((ev, server, addr.port()))
            })();
            match started {
                Ok((ev, _server, port)) => {
                    if let Some(tid) = thread_id() {
                        pin_server(tid, false);
                    }
                    let _ = tx.send(Ok((port, ev.remote(), thread_id().unwrap_or(0))));
                    while !stop2.load(Ordering::Relaxed) {
                        if let Err(e) = ev
                            .run_until(|| stop2.load(Ordering::Relaxed), Duration::from_secs(3600))
                        {
                            eprintln!("our server's loop failed: {e}");
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        let (port, remote, tid) = rx
            .recv_timeout(Duration::from_secs(10))
            .map_err(|_| "our server did not start".to_string())??;
        Ok(Self {
            port,
            cpu: CpuProbe::Thread(tid),
            remote,
            stop,
            client_errors,
            thread: Some(thread),
        })
    }
}

impl Drop for OurServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.remote.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A server as a child process (Node's always; ours for `memory`), and its port.
struct ChildServer {
    proc: Proc,
    port: u16,
    /// `secureConnection` lines seen so far.
    connections: usize,
}

impl ChildServer {
    fn node(cert: Cert, serve: Serve, verbose: bool) -> Result<Self, String> {
        let (key, chain) = cert.files();
        let (key, chain) = (fixture(key), fixture(chain));
        let unit = ACK_UNIT.to_string();
        let args = [
            key.to_str().unwrap_or_default(),
            chain.to_str().unwrap_or_default(),
            serve.word(),
            unit.as_str(),
            if verbose { "1" } else { "0" },
        ];
        Self::wait_listening(Proc::node(NODE_SERVER, &args), "node")
    }

    /// The tokio-rustls server: this bench binary again, as `--serve-tokio`.
    fn tokio(cert: Cert, serve: Serve) -> Result<Self, String> {
        let (key, chain) = cert.files();
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let mut cmd = Command::new(exe);
        cmd.arg("--serve-tokio")
            .arg(fixture(key))
            .arg(fixture(chain))
            .arg(serve.word());
        Self::wait_listening(Proc::spawn(cmd), "the tokio-rustls sink")
    }

    fn cpu(&self) -> CpuProbe {
        CpuProbe::Process(self.proc.id())
    }

    fn ours(bin: &PathBuf, cert: Cert) -> Result<Self, String> {
        let (key, chain) = cert.files();
        let mut cmd = Command::new(bin);
        cmd.args(["serve", "--json", "--host", "127.0.0.1", "--port", "0"])
            .args(["--mode", "sink", "--key"])
            .arg(fixture(key))
            .arg("--cert")
            .arg(fixture(chain));
        Self::wait_listening(Proc::spawn(cmd), "node-tls serve")
    }

    fn wait_listening(mut proc: Proc, what: &str) -> Result<Self, String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let Some(line) = proc.line_within(Duration::from_millis(100)) else {
                continue;
            };
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
                continue;
            };
            if v["event"] == "listening" {
                let port = v["port"].as_u64().or_else(|| v["address"]["port"].as_u64());
                if let Some(port) = port.and_then(|p| u16::try_from(p).ok()) {
                    pin_server(proc.id(), true);
                    return Ok(Self {
                        proc,
                        port,
                        connections: 0,
                    });
                }
            }
        }
        Err(format!("{what} printed no listening port within 20 s"))
    }

    /// Counts the `secureConnection` lines printed so far.
    fn read_lines(&mut self) {
        while let Some(line) = self.proc.line_within(Duration::ZERO) {
            if line.contains("\"secureConnection\"") {
                self.connections += 1;
            }
        }
    }

    /// `(VmRSS, VmHWM)` in KiB.
    fn rss_kib(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.proc.id())).ok()?;
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }
}

/// The `node-tls` binary: next to this bench's binary (`<target>/release/deps/..`), in
/// `$CARGO_TARGET_DIR`, or in the workspace's `target/`; release before debug.
fn our_cli() -> Option<PathBuf> {
    let mut dirs = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        if let Some(target) = exe.parent().and_then(|deps| deps.parent()?.parent()) {
            dirs.push(target.to_path_buf());
        }
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(suite::root().join("target"));
    ["release", "debug"]
        .iter()
        .flat_map(|profile| dirs.iter().map(move |d| d.join(profile).join("node-tls")))
        .find(|p| p.is_file())
}

// ----- the client -----

fn client_context(client: Client) -> SecureContext {
    let options = SecureContextOptions::new()
        .ca(read_fixture("ca/root-cert.pem"))
        .min_version(client.protocol())
        .max_version(client.protocol());
    let options = match client.ciphers {
        Some(list) => options.ciphers(list),
        None => options,
    };
    create_secure_context(&options).expect("the client context")
}

fn client_options(port: u16, context: SecureContext) -> ConnectOptions {
    // An IP host: no SNI, no resolver call; the leaves have IP:127.0.0.1 in their SAN.
    ConnectOptions::new(port)
        .host("127.0.0.1")
        .secure_context(context)
}

/// The client's connection: TLS, or plain TCP for the floor.
fn open(
    ev: &EventLoop,
    port: u16,
    context: SecureContext,
    plain: bool,
) -> Result<TlsSocket, node_tls::Error> {
    if plain {
        node_tls::net::connect(ev, port, "127.0.0.1")
    } else {
        connect(ev, client_options(port, context))
    }
}

/// `f` once the connection is usable: `secureConnect`, or `connect` for plain TCP.
fn on_ready(sock: &TlsSocket, f: impl FnMut(&TlsSocket) + 'static) {
    if sock.encrypted() {
        sock.on_secure_connect(f);
    } else {
        sock.on_connect(f);
    }
}

#[derive(Debug, Default)]
struct Handshakes {
    in_flight: usize,
    ok: usize,
    reused: usize,
    /// Connect to close, summed over the resumed connections.
    reused_time: Duration,
    failed: usize,
    first_error: Option<String>,
    protocols: Vec<&'static str>,
    cipher: Option<String>,
    last_close: Option<Instant>,
}

/// `n` connections, `concurrency` at a time, each: handshake, `end()`, wait for `close`.
/// `context(i)` gives the client context of connection `i`.
fn handshakes(
    port: u16,
    n: usize,
    concurrency: usize,
    limit: Duration,
    plain: bool,
    mut context: impl FnMut(usize) -> SecureContext,
) -> (Handshakes, Duration, String) {
    let mut notes = String::new();
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => return (Handshakes::default(), Duration::ZERO, e.to_string()),
    };
    let stats = Rc::new(RefCell::new(Handshakes::default()));
    let start = Instant::now();
    let deadline = start + limit;
    let mut started = 0;
    loop {
        while started < n && stats.borrow().in_flight < concurrency && Instant::now() < deadline {
            match open(&ev, port, context(started), plain) {
                Ok(sock) => watch_handshake(&sock, &stats, Instant::now()),
                Err(e) => {
                    let mut st = stats.borrow_mut();
                    st.failed += 1;
                    st.first_error.get_or_insert(format!("connect: {e}"));
                }
            }
            started += 1;
        }
        let in_flight = stats.borrow().in_flight;
        if in_flight == 0 {
            break;
        }
        let wait = deadline.saturating_duration_since(Instant::now()) + GRACE;
        let progressed = ev
            .run_until(|| stats.borrow().in_flight < in_flight, wait)
            .unwrap_or(false);
        if !progressed {
            notes.push_str(&format!(
                "STALLED: {in_flight} connection(s) did not close within {GRACE:?} after the limit; "
            ));
            break;
        }
    }
    if started < n {
        notes.push_str(&format!("time limit: {started} of {n} started; "));
    }
    let st = std::mem::take(&mut *stats.borrow_mut());
    let elapsed = st.last_close.map_or(Duration::ZERO, |t| t - start);
    (st, elapsed, notes)
}

fn watch_handshake(sock: &TlsSocket, stats: &Rc<RefCell<Handshakes>>, begun: Instant) {
    stats.borrow_mut().in_flight += 1;
    // (secureConnect seen, session reused)
    let seen = Rc::new(RefCell::new((false, false)));
    let (st, ok) = (stats.clone(), seen.clone());
    on_ready(sock, move |sock| {
        let reused = sock.is_session_reused();
        *ok.borrow_mut() = (true, reused);
        let mut st = st.borrow_mut();
        if reused {
            st.reused += 1;
        }
        if let Some(p) = sock.get_protocol() {
            if !st.protocols.contains(&p) {
                st.protocols.push(p);
            }
        }
        if st.cipher.is_none() {
            st.cipher = sock.get_cipher().map(|c| c.standard_name.to_string());
        }
        drop(st);
        sock.end();
    });
    let st = stats.clone();
    sock.on_error(move |_, e| {
        let mut st = st.borrow_mut();
        st.first_error
            .get_or_insert_with(|| format!("{}: {e}", e.code()));
    });
    let st = stats.clone();
    sock.on_close(move |_, had_error| {
        let now = Instant::now();
        let mut st = st.borrow_mut();
        st.in_flight -= 1;
        st.last_close = Some(now);
        let (secure, reused) = *seen.borrow();
        if had_error || !secure {
            st.failed += 1;
        } else {
            st.ok += 1;
            if reused {
                st.reused_time += now - begun;
            }
        }
    });
}

/// A handshake metric against the server on `port`.
fn measure_handshakes(port: u16, m: &Metric, b: &Budget, cpu: &CpuProbe, plain: bool) -> Measure {
    let (resumed, concurrency) = match m.kind {
        Kind::Full(c) => (false, c),
        Kind::Resumed(c) => (true, c),
        _ => unreachable!("not a handshake metric"),
    };
    let n = if concurrency == 1 {
        b.seq
    } else {
        b.concurrent
    };
    let warmup = b.warmup;
    let mut note = String::new();
    let cpu_used;
    let (stats, elapsed, notes) = if resumed {
        let shared = client_context(m.client);
        let (w, _, wn) = handshakes(port, warmup, concurrency, b.limit, plain, |_| {
            shared.clone()
        });
        note.push_str(&wn);
        if w.ok == 0 {
            note.push_str("warm-up failed; ");
        }
        let before = cpu.seconds();
        let run = handshakes(port, n, concurrency, b.limit, plain, |_| shared.clone());
        cpu_used = before.zip(cpu.seconds()).map(|(a, z)| z - a);
        run
    } else {
        // Fresh contexts (no session to offer), made before the clock starts.
        let mut fresh: Vec<SecureContext> = (0..warmup).map(|_| client_context(m.client)).collect();
        let (w, _, wn) = handshakes(port, warmup, concurrency, b.limit, plain, |i| {
            fresh[i].clone()
        });
        note.push_str(&wn);
        if w.ok == 0 {
            note.push_str("warm-up failed; ");
        }
        fresh = (0..n).map(|_| client_context(m.client)).collect();
        let before = cpu.seconds();
        let run = handshakes(port, n, concurrency, b.limit, plain, |i| fresh[i].clone());
        cpu_used = before.zip(cpu.seconds()).map(|(a, z)| z - a);
        run
    };
    note.push_str(&notes);
    note.push_str(&format!(
        "{} ok in {:.2} s, reused {}/{}",
        stats.ok,
        elapsed.as_secs_f64(),
        stats.reused,
        stats.ok
    ));
    if stats.failed > 0 {
        note.push_str(&format!(
            ", FAILED {} (first: {})",
            stats.failed,
            stats
                .first_error
                .as_deref()
                .unwrap_or("closed before secureConnect")
        ));
    }
    if stats.protocols != [m.client.protocol()] && !plain {
        note.push_str(&format!(", protocols {:?}", stats.protocols));
    }
    if let Some(c) = &stats.cipher {
        note.push_str(&format!(", {c}"));
    }
    let value = if resumed && concurrency > 1 {
        // Over the wall time: every connection must have resumed (the warm-up got the
        // session) for it to be a resumed rate.
        if stats.reused < stats.ok {
            note.push_str(&format!(
                ", {} full: NOT a resumed rate",
                stats.ok - stats.reused
            ));
        }
        (stats.reused == stats.ok && stats.ok > 0 && !elapsed.is_zero())
            .then(|| stats.ok as f64 / elapsed.as_secs_f64())
    } else if resumed {
        // Over the resumed connections only (a sequential run: their times add up).
        if stats.reused < stats.ok {
            note.push_str(&format!(
                ", {} full: the rate counts the {} resumed ones only",
                stats.ok - stats.reused,
                stats.reused
            ));
        }
        (stats.reused > 0).then(|| stats.reused as f64 / stats.reused_time.as_secs_f64())
    } else if stats.reused > 0 {
        note.push_str(", UNEXPECTED: some connections resumed");
        None
    } else {
        (stats.ok > 0 && !elapsed.is_zero()).then(|| stats.ok as f64 / elapsed.as_secs_f64())
    };
    // per CPU-second: every connection the server handled in the run (a resumed run's
    // full handshakes too, against Node, where they cost the server CPU)
    Measure {
        value,
        work: value.map(|_| stats.ok as f64),
        cpu: cpu_used,
        note,
        ..Measure::default()
    }
}

#[derive(Debug, Default)]
struct Bulk {
    cipher: Option<String>,
    /// Bytes sent (up) or asked for (down).
    sent: u64,
    /// Of those, the bytes known to have arrived: acked (up) or received (down).
    moved: u64,
    start: Option<Instant>,
    /// When `moved` last grew.
    last_move: Option<Instant>,
    error: Option<String>,
    closed: bool,
}

/// Writes while under the window and the total, stopping only at an ack-unit boundary
/// once past the deadline (so every byte sent gets acked): chunks of the data, or
/// (`down`) one byte per [`ACK_UNIT`] the server is to send.
fn pump(sock: &TlsSocket, st: &RefCell<Bulk>, chunk: &[u8], total: u64, deadline: Instant) {
    let down = chunk.is_empty();
    let mut st = st.borrow_mut();
    while st.sent < total && st.sent - st.moved < WINDOW {
        if st.sent % ACK_UNIT == 0 && Instant::now() >= deadline {
            break;
        }
        let (bytes, n) = if down {
            (&b"m"[..], ACK_UNIT.min(total - st.sent))
        } else {
            let n = (total - st.sent).min(chunk.len() as u64);
            (&chunk[..n as usize], n)
        };
        // `false` from write() is Node's backpressure hint (the chunk is queued); this
        // client bounds its memory with its own ack window instead, to keep the server
        // busy, so it goes on writing up to the window.
        sock.write(bytes);
        if !sock.is_open() {
            st.error.get_or_insert("write on a closed socket".into());
            break;
        }
        st.sent += n;
    }
}

/// A bulk or echo metric: a warm-up (Node's JIT) of an eighth of the bytes or a tenth of
/// the round trips, then the measured run.
fn measure_traffic(port: u16, m: &Metric, b: &Budget, cpu: &CpuProbe, plain: bool) -> Measure {
    let client = (!plain).then_some(m.client);
    match m.kind {
        Kind::Bulk { write, down } => {
            let warmup_bytes = (b.bulk_bytes / 8).max(ACK_UNIT);
            // the client writes nothing but requests when the server sends
            let write = if down { 0 } else { write };
            warmed(
                cpu,
                || bulk(port, warmup_bytes, b.limit, client, write),
                || bulk(port, b.bulk_bytes, b.limit, client, write),
            )
        }
        Kind::Echo(connections) => {
            let warmup_requests = (b.requests / 10).max(connections);
            warmed(
                cpu,
                || echo(port, warmup_requests, b.limit, client, connections),
                || echo(port, b.requests, b.limit, client, connections),
            )
        }
        _ => unreachable!("not a bulk or echo metric"),
    }
}

/// A warm-up run, then the timed one with the server's CPU seconds over it (a failed
/// warm-up is said in its note).
fn warmed(
    cpu: &CpuProbe,
    warmup: impl FnOnce() -> Measure,
    run: impl FnOnce() -> Measure,
) -> Measure {
    let warm = warmup();
    let before = cpu.seconds();
    let mut m = run();
    m.cpu = before.zip(cpu.seconds()).map(|(a, z)| z - a);
    if warm.value.is_none() {
        m.note = format!("warm-up: {}; {}", warm.note, m.note);
    }
    m
}

/// One connection (TLS as `client` offers, plain TCP for `None`) sends `total` bytes in
/// writes of `write` bytes, or (`write` 0) has the server send them; MB/s from
/// `secureConnect` to the last ack (to the last byte received).
fn bulk(port: u16, total: u64, limit: Duration, client: Option<Client>, write: usize) -> Measure {
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => {
            return Measure {
                note: e.to_string(),
                ..Measure::default()
            }
        }
    };
    let context = client_context(client.unwrap_or(TLS13));
    let sock = match open(&ev, port, context, client.is_none()) {
        Ok(s) => s,
        Err(e) => {
            return Measure {
                note: format!("connect: {e}"),
                ..Measure::default()
            }
        }
    };
    let st = Rc::new(RefCell::new(Bulk::default()));
    let chunk: Rc<Vec<u8>> = Rc::new((0..write).map(|i| (i % 251) as u8).collect());
    let deadline = Instant::now() + limit;
    let (s, c) = (st.clone(), chunk.clone());
    on_ready(&sock, move |sock| {
        {
            let mut st = s.borrow_mut();
            st.start = Some(Instant::now());
            st.cipher = sock.get_cipher().map(|c| c.standard_name.to_string());
        }
        pump(sock, &s, &c, total, deadline);
    });
    let (s, c) = (st.clone(), chunk.clone());
    let unit = if write == 0 { 1 } else { ACK_UNIT };
    sock.on_data(move |sock, data| {
        {
            let mut st = s.borrow_mut();
            st.moved += data.len() as u64 * unit;
            st.last_move = Some(Instant::now());
        }
        pump(sock, &s, &c, total, deadline);
    });
    let s = st.clone();
    sock.on_error(move |_, e| {
        s.borrow_mut()
            .error
            .get_or_insert_with(|| format!("{}: {e}", e.code()));
    });
    let s = st.clone();
    sock.on_close(move |_, _| s.borrow_mut().closed = true);
    let finished = ev
        .run_until(
            || {
                let st = st.borrow();
                st.closed
                    || st.error.is_some()
                    || (st.start.is_some()
                        && st.moved >= st.sent
                        && (st.sent >= total || Instant::now() >= deadline))
            },
            limit + GRACE,
        )
        .unwrap_or(false);
    sock.end();
    let _ = ev.run_until(|| st.borrow().closed, GRACE);
    let st = std::mem::take(&mut *st.borrow_mut());
    let verb = if write == 0 { "received" } else { "acked" };
    let mib = |bytes: u64| bytes / ACK_UNIT;
    let mut note = format!("{} MiB {verb} of {} MiB", mib(st.moved), mib(total));
    if let Some(c) = &st.cipher {
        note.push_str(&format!(", {c}"));
    }
    if !finished {
        note.push_str(&format!(
            ", STALLED: {} MiB sent or asked for, {} {verb} after {:?}",
            mib(st.sent),
            mib(st.moved),
            limit + GRACE
        ));
    } else if st.sent < total {
        note.push_str(", time limit");
    }
    if let Some(e) = &st.error {
        note.push_str(&format!(", ERROR {e}"));
    }
    let value = match (st.start, st.last_move) {
        (Some(a), Some(z)) if finished && st.error.is_none() && st.moved >= st.sent && z > a => {
            Some(st.moved as f64 / 1e6 / (z - a).as_secs_f64())
        }
        _ => None,
    };
    Measure {
        value,
        work: value.map(|_| st.moved as f64 / 1e6),
        note,
        ..Measure::default()
    }
}

/// The echo metric's client state, over all its connections.
#[derive(Debug, Default)]
struct Echo {
    /// Round trips begun, and their times once answered.
    started: usize,
    samples: Vec<Duration>,
    /// Connections established, and done (ended after their last answer).
    ready: usize,
    done: usize,
    error: Option<String>,
}

/// `requests` round trips of [`REQUEST`] bytes over `connections` connections at once,
/// once all are established (so no handshake competes with the round trips): each writes
/// a request, waits for all of its echo, then writes the next; the latency of one is from
/// its write to its answer's last byte.
fn echo(
    port: u16,
    requests: usize,
    limit: Duration,
    client: Option<Client>,
    connections: usize,
) -> Measure {
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => return failed(e.to_string()),
    };
    let st = Rc::new(RefCell::new(Echo::default()));
    let request: Rc<Vec<u8>> = Rc::new((0..REQUEST).map(|i| (i % 251) as u8).collect());
    let deadline = Instant::now() + limit;
    let mut socks = Vec::new();
    for _ in 0..connections {
        let context = client_context(client.unwrap_or(TLS13));
        let sock = match open(&ev, port, context, client.is_none()) {
            Ok(s) => s,
            Err(e) => return failed(format!("connect: {e}")),
        };
        // when this connection's request went out, and how much of its echo is back
        let sent = Rc::new(RefCell::new((Instant::now(), 0usize)));
        let next = {
            let (st, sent, request) = (st.clone(), sent.clone(), request.clone());
            move |sock: &TlsSocket| {
                let go = {
                    let mut st = st.borrow_mut();
                    let go = st.started < requests && Instant::now() < deadline;
                    st.started += usize::from(go);
                    if !go {
                        st.done += 1;
                    }
                    go
                };
                if go {
                    *sent.borrow_mut() = (Instant::now(), 0);
                    sock.write(&request);
                } else {
                    sock.end();
                }
            }
        };
        let s = st.clone();
        on_ready(&sock, move |_| s.borrow_mut().ready += 1);
        let first = next.clone();
        let s = st.clone();
        sock.on_data(move |sock, data| {
            let answered = {
                let mut sent = sent.borrow_mut();
                sent.1 += data.len();
                (sent.1 >= REQUEST).then(|| sent.0.elapsed())
            };
            if let Some(latency) = answered {
                s.borrow_mut().samples.push(latency);
                next(sock);
            }
        });
        let s = st.clone();
        sock.on_error(move |_, e| {
            s.borrow_mut()
                .error
                .get_or_insert_with(|| format!("{}: {e}", e.code()));
        });
        socks.push((sock, first));
    }
    let ready = ev
        .run_until(
            || {
                let st = st.borrow();
                st.ready >= connections || st.error.is_some()
            },
            limit,
        )
        .unwrap_or(false);
    if ready && st.borrow().error.is_none() {
        for (sock, first) in &socks {
            first(sock);
        }
    }
    let finished = ready
        && ev
            .run_until(
                || {
                    let st = st.borrow();
                    st.done >= connections || st.error.is_some()
                },
                limit + GRACE,
            )
            .unwrap_or(false);
    for (sock, _) in &socks {
        sock.destroy();
    }
    let _ = ev.run_until(|| false, Duration::from_millis(20));
    let mut st = std::mem::take(&mut *st.borrow_mut());
    let mut note = format!(
        "{} round trips of {} on {connections} connection(s)",
        st.samples.len(),
        requests
    );
    if !ready {
        note.push_str(&format!(
            ", STALLED: {} of {connections} connection(s) established within {limit:?}",
            st.ready
        ));
    } else if !finished {
        note.push_str(&format!(", STALLED after {:?}", limit + GRACE));
    } else if st.samples.len() < requests {
        note.push_str(", time limit");
    }
    if let Some(e) = &st.error {
        note.push_str(&format!(", ERROR {e}"));
    }
    st.samples.sort_unstable();
    let at = |q: f64| {
        let i = ((st.samples.len() as f64 * q).ceil() as usize).clamp(1, st.samples.len()) - 1;
        st.samples[i].as_secs_f64() * 1e6
    };
    let latency = (finished && st.error.is_none() && !st.samples.is_empty())
        .then(|| [at(0.50), at(0.99), at(0.999)]);
    Measure {
        value: latency.map(|l| l[0]),
        work: latency.map(|_| st.samples.len() as f64),
        latency_us: latency,
        note,
        ..Measure::default()
    }
}

/// The soft `RLIMIT_NOFILE`, from `/proc/self/limits`.
fn fd_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

fn measure_memory(server: &mut ChildServer, m: &Metric, b: &Budget) -> Measure {
    let mut note = String::new();
    let mut n = match m.kind {
        Kind::Memory { many: true } => b.idle_many,
        _ => b.idle,
    };
    if let Some(limit) = fd_limit() {
        // One fd per connection here and one in the server, plus some for each process.
        let fit = limit.saturating_sub(64);
        if fit < n {
            note.push_str(&format!("ulimit -n {limit}: {fit} connections; "));
            n = fit;
        }
    }
    let deadline = Instant::now() + b.memory_limit;
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => {
            return Measure {
                note: e.to_string(),
                ..Measure::default()
            }
        }
    };
    // A first connection, closed, so lazy start-up costs land in the baseline.
    let (w, _, _) = handshakes(server.port, 1, 1, Duration::from_secs(5), false, |_| {
        client_context(m.client)
    });
    while server.connections < 1 && Instant::now() < deadline {
        let _ = ev.run_until(|| false, Duration::from_millis(10));
        server.read_lines();
    }
    let _ = ev.run_until(|| false, Duration::from_millis(200));
    let Some((base, _)) = server.rss_kib() else {
        return Measure {
            note: "cannot read /proc/<pid>/status".into(),
            ..Measure::default()
        };
    };
    if w.ok != 1 {
        note.push_str("warm-up connection failed; ");
    }
    let stats = Rc::new(RefCell::new(Handshakes::default()));
    let mut socks = Vec::with_capacity(n);
    let contexts: Vec<SecureContext> = (0..n).map(|_| client_context(m.client)).collect();
    let expected = server.connections + n;
    while Instant::now() < deadline {
        while socks.len() < n && socks.len() - stats.borrow().ok < 32 {
            let i = socks.len();
            match connect(&ev, client_options(server.port, contexts[i].clone())) {
                Ok(sock) => {
                    let st = stats.clone();
                    sock.on_secure_connect(move |_| st.borrow_mut().ok += 1);
                    let st = stats.clone();
                    sock.on_error(move |_, e| {
                        let mut st = st.borrow_mut();
                        st.failed += 1;
                        st.first_error
                            .get_or_insert_with(|| format!("{}: {e}", e.code()));
                    });
                    socks.push(sock);
                }
                Err(e) => {
                    note.push_str(&format!("connect: {e}; "));
                    break;
                }
            }
        }
        let _ = ev.run_until(|| false, Duration::from_millis(5));
        server.read_lines();
        if server.connections >= expected || stats.borrow().failed > 0 {
            break;
        }
    }
    // Let the last tickets and acks settle, then read.
    let _ = ev.run_until(|| false, Duration::from_millis(300));
    server.read_lines();
    let open = socks.iter().filter(|s| s.is_open()).count();
    let rss = server.rss_kib();
    for s in &socks {
        s.destroy();
    }
    let _ = ev.run_until(|| false, Duration::from_millis(50));
    let st = stats.borrow();
    let established = server.connections.saturating_sub(expected - n);
    note.push_str(&format!(
        "{established} of {n} established (server count), {open} open at the reading"
    ));
    if st.failed > 0 {
        note.push_str(&format!(
            ", FAILED {} (first: {})",
            st.failed,
            st.first_error.as_deref().unwrap_or("?")
        ));
    }
    if established < n {
        note.push_str(", time limit or failure");
    }
    let Some((rss, hwm)) = rss else {
        return Measure {
            note,
            ..Measure::default()
        };
    };
    note.push_str(&format!(", VmRSS {} -> {} MiB", base / 1024, rss / 1024));
    let value = (established > 0 && open == n)
        .then(|| rss.saturating_sub(base) as f64 / established as f64);
    Measure {
        value,
        peak_mib: Some(hwm as f64 / 1024.0),
        note,
        ..Measure::default()
    }
}

// ----- running and printing -----

/// One metric's figures: ours, Node's, tokio-rustls's, the TCP floor's.
struct Row {
    metric: String,
    unit: &'static str,
    figures: [Option<f64>; 4],
    /// The work per server CPU-second (`None` for memory and the latency tails), and
    /// its unit.
    per_cpu: [Option<f64>; 4],
    cpu_unit: &'static str,
}

/// One set of rows from several runs of the same metrics: each cell the median of the
/// runs that have it (the upper middle one for an even count).
fn medians(mut runs: Vec<Vec<Row>>) -> Vec<Row> {
    let Some(mut rows) = runs.pop() else {
        return Vec::new();
    };
    let median = |cells: Vec<Option<f64>>| {
        let mut values: Vec<f64> = cells.into_iter().flatten().collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied()
    };
    for (i, row) in rows.iter_mut().enumerate() {
        for k in 0..4 {
            let others = runs.iter().filter_map(|r| r.get(i));
            let figures = others.clone().map(|r| r.figures[k]);
            row.figures[k] = median(figures.chain([row.figures[k]]).collect());
            let per_cpu = others.map(|r| r.per_cpu[k]);
            row.per_cpu[k] = median(per_cpu.chain([row.per_cpu[k]]).collect());
        }
    }
    rows
}

/// A measure's figure per server CPU-second.
fn per_cpu(m: &Measure) -> Option<f64> {
    match (m.work, m.cpu) {
        (Some(work), Some(cpu)) if cpu > 0.0 => Some(work / cpu),
        _ => None,
    }
}

/// Runs one metric against every server: its rows into `rows`, its notes to stderr and
/// into `notes`.
fn run_metric(
    m: &Metric,
    b: &Budget,
    cli: Option<&PathBuf>,
    rows: &mut Vec<Row>,
    notes: &mut String,
) {
    let no = || failed("not measured".into());
    let measures: [Measure; 4] = match m.kind {
        Kind::Memory { .. } => {
            let ours = match cli {
                Some(bin) => match ChildServer::ours(bin, m.cert) {
                    Ok(mut s) => measure_memory(&mut s, m, b),
                    Err(e) => failed(e),
                },
                None => failed(
                    "no node-tls binary: run `cargo build --release -p node-tls-cli` first".into(),
                ),
            };
            let node = match ChildServer::node(m.cert, Serve::Sink, true) {
                Ok(mut s) => measure_memory(&mut s, m, b),
                Err(e) => failed(e),
            };
            [ours, node, no(), no()]
        }
        kind => {
            let measure = |port, cpu: &CpuProbe, plain| match kind {
                Kind::Bulk { .. } | Kind::Echo(_) => measure_traffic(port, m, b, cpu, plain),
                _ => measure_handshakes(port, m, b, cpu, plain),
            };
            let serve = Serve::of(kind);
            let ours = match OurServer::start(m.cert, false, serve) {
                Ok(s) => {
                    let mut r = measure(s.port, &s.cpu, false);
                    let errors = s.client_errors.load(Ordering::Relaxed);
                    if errors > 0 {
                        r.note.push_str(&format!(", server clientErrors: {errors}"));
                    }
                    r
                }
                Err(e) => failed(e),
            };
            let node = match ChildServer::node(m.cert, serve, false) {
                Ok(s) => measure(s.port, &s.cpu(), false),
                Err(e) => failed(e),
            };
            let tokio = match ChildServer::tokio(m.cert, serve) {
                Ok(s) => measure(s.port, &s.cpu(), false),
                Err(e) => failed(e),
            };
            // the floor: the same loop, sink and client, plain TCP (no resumption there)
            let tcp = match (kind, OurServer::start(m.cert, true, serve)) {
                (Kind::Resumed(_), _) => failed("no TLS, nothing to resume".into()),
                (_, Ok(s)) => measure(s.port, &s.cpu, true),
                (_, Err(e)) => failed(e),
            };
            [ours, node, tokio, tcp]
        }
    };
    notes.push_str(&format!("{}\n", m.name));
    for (who, m) in ["ours", "node", "tokio", "tcp"].iter().zip(&measures) {
        let cpu = m
            .cpu
            .map_or(String::new(), |c| format!(", server CPU {c:.2} s"));
        let line = format!("  {who}: {}{cpu}", m.note);
        eprintln!("{line}");
        notes.push_str(&line);
        notes.push('\n');
    }
    let each = |f: &dyn Fn(&Measure) -> Option<f64>| [0, 1, 2, 3].map(|i| f(&measures[i]));
    let row = |metric: String, unit, figures, per_cpu, cpu_unit| Row {
        metric,
        unit,
        figures,
        per_cpu,
        cpu_unit,
    };
    let name = m.name.clone();
    match m.kind {
        Kind::Memory { .. } => {
            let (value, peak) = (each(&|m| m.value), each(&|m| m.peak_mib));
            rows.push(row(name.clone(), "KiB/conn", value, [None; 4], ""));
            rows.push(row(format!("{name} peak RSS"), "MiB", peak, [None; 4], ""));
        }
        Kind::Echo(_) => {
            for (i, tail) in ["p50", "p99", "p99.9"].iter().enumerate() {
                let figures = each(&|m| m.latency_us.map(|l| l[i]));
                // the rate per CPU-second on the first row only
                let cpu = if i == 0 { each(&per_cpu) } else { [None; 4] };
                let metric = format!("{name} {tail}");
                rows.push(row(metric, "us", figures, cpu, "req/CPU-s"));
            }
        }
        Kind::Bulk { .. } => {
            let (value, cpu) = (each(&|m| m.value), each(&per_cpu));
            rows.push(row(name, "MB/s", value, cpu, "MB/CPU-s"));
        }
        Kind::Full(_) | Kind::Resumed(_) => {
            let (value, cpu) = (each(&|m| m.value), each(&per_cpu));
            rows.push(row(name, "conn/s", value, cpu, "conn/CPU-s"));
        }
    }
}

fn failed(note: String) -> Measure {
    Measure {
        note,
        ..Measure::default()
    }
}

/// One table's rows: metric, unit, and the four figures.
type Lines = Vec<(String, String, [Option<f64>; 4])>;

/// The cells of one table: metric, unit, ours, node, tokio, the TCP floor, ours/node,
/// ours/tokio, ours as a share of the floor; the header first.
fn cells(rows: &Lines) -> Vec<[String; 9]> {
    let fmt = |v: Option<f64>| match v {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.1}"),
        None => "-".to_string(),
    };
    let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}", a / b),
        _ => "-".to_string(),
    };
    let share = |a: Option<f64>, floor: Option<f64>| match (a, floor) {
        (Some(a), Some(f)) if f > 0.0 => format!("{:.0}%", 100.0 * a / f),
        _ => "-".to_string(),
    };
    let header = [
        "metric",
        "unit",
        "ours",
        "node",
        "tokio",
        "tcp",
        "ours/node",
        "ours/tokio",
        "ours/tcp",
    ]
    .map(String::from);
    std::iter::once(header)
        .chain(rows.iter().map(|(metric, unit, [ours, node, tokio, tcp])| {
            [
                metric.clone(),
                unit.clone(),
                fmt(*ours),
                fmt(*node),
                fmt(*tokio),
                fmt(*tcp),
                ratio(*ours, *node),
                ratio(*ours, *tokio),
                share(*ours, *tcp),
            ]
        }))
        .collect()
}

fn print_cells(title: &str, cells: &[[String; 9]]) {
    let mut width = [0; 9];
    for l in cells {
        for (w, cell) in width.iter_mut().zip(l) {
            *w = (*w).max(cell.len());
        }
    }
    println!("{title}");
    for l in cells {
        let mut line = format!("{:<w$}  {:<u$}", l[0], l[1], w = width[0], u = width[1]);
        for (cell, w) in l[2..].iter().zip(&width[2..]) {
            line.push_str(&format!("  {cell:>w$}"));
        }
        println!("{line}");
    }
}

/// The same cells as a Markdown table.
fn markdown(cells: &[[String; 9]]) -> String {
    let mut out = String::new();
    for (i, l) in cells.iter().enumerate() {
        out.push_str(&format!("| {} |\n", l.join(" | ")));
        if i == 0 {
            out.push_str("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        }
    }
    out
}

const FIGURES_TITLE: &str =
    "as the client saw it (tokio: a tokio-rustls server on tokio's default runtime)";
const FIGURES_LEGEND: &str =
    "(ours/x > 1 is better for ours on rates and MB/s, < 1 on memory and latency)";
const PER_CPU_TITLE: &str = "per server CPU-second (user + system, from /proc)";
const PER_CPU_LEGEND: &str = "(ours/x > 1: ours does more per CPU-second)";

/// The two tables' rows: as the client saw it, and per server CPU-second.
fn tables(rows: &[Row]) -> (Lines, Lines) {
    let figures = rows
        .iter()
        .map(|r| (r.metric.clone(), r.unit.to_string(), r.figures))
        .collect();
    let per_cpu = rows
        .iter()
        .filter(|r| r.per_cpu.iter().any(Option::is_some))
        // (the echo's rate sits on its p50 row)
        .map(|r| {
            let metric = r.metric.trim_end_matches(" p50").to_string();
            (metric, r.cpu_unit.to_string(), r.per_cpu)
        })
        .collect();
    (figures, per_cpu)
}

fn print_table(rows: &[Row]) {
    let (figures, per_cpu) = tables(rows);
    print_cells(FIGURES_TITLE, &cells(&figures));
    println!("{FIGURES_LEGEND}");
    println!();
    print_cells(PER_CPU_TITLE, &cells(&per_cpu));
    println!("{PER_CPU_LEGEND}");
}

// ----- the report -----

/// The markers around the generated part of BENCHMARKS.md; what is outside them is kept.
const BEGIN: &str = "<!-- loopback: generated by `cargo bench --bench loopback -- --report` -->";
const END: &str = "<!-- loopback: end -->";

/// A command's first line of output, if it runs.
fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    out.status
        .success()
        .then(|| text.lines().next().unwrap_or_default().trim().to_string())
}

/// The machine and the run, for the report.
fn machine(node_version: &str, cores: usize) -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let kib: f64 = m.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib / 1048576.0))
        })
        .unwrap_or_default();
    let rustc = first_line("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".into());
    let date = first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]).unwrap_or_default();
    let pinned = if PINNED.load(Ordering::Relaxed) {
        format!(
            "servers pinned to CPU 0, the client to CPU {}",
            cores.saturating_sub(1)
        )
    } else {
        "not pinned (one CPU, or no `taskset`)".to_string()
    };
    format!(
        "- run: {date}, {rustc}, node {node_version}\n- machine: {model}, {cores} cores, \
         {mem}, Linux {}\n- {pinned}\n",
        kernel.trim()
    )
}

/// A horizontal bar chart (SVG) of the per-CPU-second figures relative to Node's: ours,
/// tokio-rustls's and the TCP floor's, Node at 1.
fn chart(per_cpu: &Lines) -> String {
    const CLIP: f64 = 6.0;
    let rows: Vec<_> = per_cpu
        .iter()
        .filter_map(|(metric, _, [ours, node, tokio, tcp])| {
            let node = node.filter(|n| *n > 0.0)?;
            Some((metric, [*ours, *tokio, *tcp].map(|v| v.map(|v| v / node))))
        })
        .collect();
    let (left, bar, gap, width) = (250.0, 12.0, 14.0, 560.0);
    let group = 3.0 * bar + gap;
    let height = 60.0 + group * rows.len() as f64 + 30.0;
    let x = |ratio: f64| left + width * ratio.min(CLIP) / CLIP;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" \
         font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"20\" font-size=\"14\">Per server CPU-second, relative to \
         Node 20's tls (= 1; bars past {CLIP}x are cut, the label says the value)</text>\n",
        w = left + width + 80.0
    );
    let legend = [
        ("ours", "#1f77b4"),
        ("tokio-rustls", "#ff7f0e"),
        ("plain TCP", "#999999"),
    ];
    for (i, (name, color)) in legend.iter().enumerate() {
        let lx = 10.0 + 130.0 * i as f64;
        svg.push_str(&format!(
            "<rect x=\"{lx}\" y=\"32\" width=\"12\" height=\"12\" fill=\"{color}\"/>\
             <text x=\"{}\" y=\"42\">{name}</text>\n",
            lx + 16.0
        ));
    }
    for (i, (metric, ratios)) in rows.iter().enumerate() {
        let top = 60.0 + group * i as f64;
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{metric}</text>\n",
            left - 6.0,
            top + 1.5 * bar + 4.0
        ));
        for (j, (ratio, (_, color))) in ratios.iter().zip(&legend).enumerate() {
            let Some(ratio) = ratio else { continue };
            let y = top + bar * j as f64;
            svg.push_str(&format!(
                "<rect x=\"{left}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{color}\"/>\
                 <text x=\"{:.1}\" y=\"{}\">{ratio:.2}</text>\n",
                x(*ratio) - left,
                bar - 1.0,
                x(*ratio) + 3.0,
                y + bar - 2.0
            ));
        }
    }
    let bottom = 60.0 + group * rows.len() as f64;
    for tick in 0..=CLIP as usize {
        let tx = x(tick as f64);
        let dash = if tick == 1 {
            ""
        } else {
            " stroke-dasharray=\"2,3\""
        };
        svg.push_str(&format!(
            "<line x1=\"{tx}\" y1=\"55\" x2=\"{tx}\" y2=\"{bottom}\" stroke=\"#444\"{dash}/>\
             <text x=\"{tx}\" y=\"{}\" text-anchor=\"middle\">{tick}x</text>\n",
            bottom + 14.0
        ));
    }
    svg.push_str("</svg>\n");
    svg
}

/// Writes the run into BENCHMARKS.md (between [`BEGIN`] and [`END`], the rest kept) and
/// the chart into benches/loopback.svg.
fn report(
    rows: &[Row],
    runs: usize,
    node_version: &str,
    cores: usize,
    notes: &str,
) -> std::io::Result<()> {
    let (figures, per_cpu) = tables(rows);
    let generated = format!(
        "{BEGIN}\n\n{}- `cargo bench --bench loopback -- --report --runs {runs}`: each figure \
         the median of {runs} run(s)\n\n### {FIGURES_TITLE}\n\n{}\n{FIGURES_LEGEND}\n\n### {PER_CPU_TITLE}\n\n\
         {}\n{PER_CPU_LEGEND}\n\n![per server CPU-second, relative to Node](benches/loopback.svg)\n\n\
         <details><summary>the run's notes (counts, ciphers, CPU seconds)</summary>\n\n```text\n{notes}```\n\n\
         </details>\n\n{END}",
        machine(node_version, cores),
        markdown(&cells(&figures)),
        markdown(&cells(&per_cpu)),
    );
    let path = suite::root().join("BENCHMARKS.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(a), Some(z)) if a < z => format!("{}{generated}{}", &old[..a], &old[z + END.len()..]),
        _ => format!("# Benchmarks\n\n{generated}\n"),
    };
    std::fs::write(&path, new)?;
    std::fs::write(suite::root().join("benches/loopback.svg"), chart(&per_cpu))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve-tokio") {
        // the bench's own child: the tokio-rustls server (see ChildServer::tokio)
        let serve = [Serve::Echo, Serve::Source]
            .into_iter()
            .find(|s| args.get(4).is_some_and(|word| word == s.word()))
            .unwrap_or(Serve::Sink);
        tokio_sink::serve(&args[2], &args[3], serve, ACK_UNIT, CHUNK);
    }
    let (mut quick, mut write_report, mut runs) = (false, false, 1);
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => quick = true,
            "--report" => write_report = true,
            "--runs" => match args.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0) {
                Some(n) => runs = n,
                None => {
                    eprintln!("--runs takes a count of 1 or more");
                    std::process::exit(2);
                }
            },
            "--list" => {
                for m in metrics() {
                    println!("{}", m.name);
                }
                return;
            }
            "-h" | "--help" => {
                println!(
                    "usage: cargo bench --bench loopback -- [--quick] [--report] [--runs N] \
                     [--list] [WORD...]"
                );
                println!("  runs the metrics whose name contains a WORD (all without one)");
                println!("  --runs N: every metric N times, each figure the median of the N");
                println!("  --report: also write BENCHMARKS.md's tables and benches/loopback.svg");
                return;
            }
            // `cargo bench` passes --bench; other flags are the libtest harness's.
            a if a.starts_with('-') => {}
            a => filters.push(a.to_string()),
        }
    }
    let selected: Vec<Metric> = metrics()
        .into_iter()
        .filter(|m| filters.is_empty() || filters.iter().any(|f| m.name.contains(f.as_str())))
        .collect();
    if selected.is_empty() {
        eprintln!("no metric matches {filters:?}; the metrics:");
        for m in metrics() {
            eprintln!("  {}", m.name);
        }
        std::process::exit(2);
    }
    let Some(node_version) = first_line("node", &["--version"]) else {
        println!(
            "loopback bench: `node` is not on PATH, so there is nothing to compare with; skipping"
        );
        return;
    };
    if !node_version.starts_with("v20.") {
        eprintln!("note: the comparison is meant for Node 20; this is {node_version}");
    }
    let cli = our_cli();
    if selected
        .iter()
        .any(|m| matches!(m.kind, Kind::Memory { .. }))
    {
        match &cli {
            Some(p) => {
                eprintln!("memory: our server is {}", p.display());
                if p.parent().is_some_and(|d| d.ends_with("debug")) {
                    eprintln!("  (a debug build: `cargo build --release -p node-tls-cli` for a fair one)");
                }
            }
            None => eprintln!(
                "memory: no node-tls binary found; run `cargo build --release -p node-tls-cli` first"
            ),
        }
    }
    let budget = if quick { QUICK } else { FULL };
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let pinned = pin_client(cores);
    println!(
        "loopback: ours (node-tls) vs node {node_version}, {cores} cores{}{}",
        if pinned {
            ", servers on CPU 0, the client on the last"
        } else {
            ", not pinned"
        },
        if quick { ", --quick" } else { "" }
    );
    let (mut all_runs, mut notes) = (Vec::new(), String::new());
    for run in 1..=runs {
        if runs > 1 {
            notes.push_str(&format!("--- run {run} of {runs}\n"));
        }
        let mut rows = Vec::new();
        for m in &selected {
            eprintln!("{} ...", m.name);
            run_metric(m, &budget, cli.as_ref(), &mut rows, &mut notes);
        }
        all_runs.push(rows);
    }
    let rows = medians(all_runs);
    if runs > 1 {
        println!("(each figure: the median of {runs} runs)");
    }
    print_table(&rows);
    if write_report {
        match report(&rows, runs, &node_version, cores, &notes) {
            Ok(()) => eprintln!("wrote BENCHMARKS.md and benches/loopback.svg"),
            Err(e) => {
                eprintln!("cannot write the report: {e}");
                std::process::exit(1);
            }
        }
    }
}
