//! The attacks: each a function of the server under attack that returns how each of its
//! connections ended there, and a check of what our server must have answered.

use crate::peers::{Server, Tls, HANDSHAKE_TIMEOUT};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};
use suite::wire::{record, sslv2_hello, tls_hello};
use suite::{Proc, Rng};

/// What an attack saw on one server.
#[derive(Default)]
pub struct Seen {
    /// How each connection ended on the server (see [`Server::outcomes`]).
    pub outcomes: Vec<String>,
    /// Figures of the attack, for its check and its line.
    pub figures: BTreeMap<&'static str, u64>,
}

impl Seen {
    fn of(outcomes: Vec<String>) -> Self {
        Self {
            outcomes,
            figures: BTreeMap::new(),
        }
    }

    /// `CODE x N` for each outcome, and the figures.
    pub fn summary(&self) -> String {
        let mut counts = BTreeMap::new();
        for o in &self.outcomes {
            *counts.entry(short(o)).or_insert(0) += 1;
        }
        let mut parts: Vec<String> = counts.iter().map(|(o, n)| format!("{o} x{n}")).collect();
        parts.extend(self.figures.iter().map(|(k, v)| format!("{k}={v}")));
        parts.join(", ")
    }

    fn all(&self, want: &str) -> Result<(), String> {
        match self.outcomes.iter().find(|o| *o != want) {
            None if !self.outcomes.is_empty() => Ok(()),
            None => Err("no connection".into()),
            Some(o) => Err(format!(
                "a connection ended with {o}, not {want}: {:?}",
                self.outcomes
            )),
        }
    }

    /// Every connection refused with some TLS error: none left open, none secure.
    fn refused(&self) -> Result<(), String> {
        match self
            .outcomes
            .iter()
            .find(|o| *o == "open" || *o == "secure")
        {
            None if !self.outcomes.is_empty() => Ok(()),
            None => Err("no connection".into()),
            Some(o) => Err(format!("a connection ended {o}: {:?}", self.outcomes)),
        }
    }
}

fn short(code: &str) -> String {
    code.trim_start_matches("ERR_SSL_").to_string()
}

pub struct Attack {
    pub name: &'static str,
    /// Whether Node's server gets the same bytes and must answer each connection alike.
    pub compare: bool,
    pub needs_openssl: bool,
    pub run: fn(&Server) -> Seen,
    pub check: fn(&Seen) -> Result<(), String>,
}

pub fn all() -> Vec<Attack> {
    let a = |name, compare, run, check| Attack {
        name,
        compare,
        needs_openssl: false,
        run,
        check,
    };
    vec![
        a("random-bytes", true, random_bytes, Seen::refused),
        a("http-request", true, http_request, |s| {
            s.all("ERR_SSL_HTTP_REQUEST")
        }),
        a("old-hellos", true, old_hellos, Seen::refused),
        a("hello-cut-everywhere", true, hello_cut, Seen::refused),
        a("handshake-bytewise", true, bytewise, |s| s.all("secure")),
        a("tampered-records", true, tampered, Seen::refused),
        a("oversized-record", true, oversized, |s| {
            s.all("ERR_SSL_PACKET_LENGTH_TOO_LONG")
        }),
        a("wrong-content-type", true, wrong_type, Seen::refused),
        // Node skips 32 empty records and refuses the 33rd; rustls refuses the first
        // (README, "Conformance on malformed first flights")
        a("empty-records", false, empty_records, |s| {
            s.all("ERR_SSL_LENGTH_MISMATCH")
        }),
        a("warning-alert-flood", true, warning_alerts, Seen::refused),
        // OpenSSL refuses a no_renegotiation warning in a TLS 1.2 handshake at once (its
        // NO_RENEGOTIATION); rustls takes 4 warnings and refuses the 5th (README,
        // "Conformance on malformed first flights")
        a(
            "no-reneg-warnings-1.2",
            false,
            no_renegotiation_warnings,
            |s| s.all("ERR_SSL_TOO_MANY_WARN_ALERTS"),
        ),
        a("reset-mid-record", true, reset_mid_record, Seen::refused),
        a("slowloris-1000", true, slowloris, |s| {
            s.all("ERR_TLS_HANDSHAKE_TIMEOUT")?;
            match s.figures.get("closed") {
                Some(&n) if n == s.outcomes.len() as u64 => Ok(()),
                n => Err(format!(
                    "{n:?} of {} sockets closed by the server",
                    s.outcomes.len()
                )),
            }
        }),
        a("client-stops-reading", false, stops_reading, |s| {
            let grew = s.figures["rss_growth_kib"];
            let sent = s.figures["sent_kib"];
            if sent >= STOP_READING_LIMIT / 1024 {
                return Err(format!("the server read all {sent} KiB: no back-pressure"));
            }
            if grew > 16 * 1024 {
                return Err(format!("the server grew by {grew} KiB"));
            }
            Ok(())
        }),
        a("max-connections", false, max_connections, |s| {
            let f = &s.figures;
            let want = [
                ("secure", MAX_CONNECTIONS),
                ("dropped", MAX_CONNECTIONS),
                ("secure_after", MAX_CONNECTIONS / 2),
            ];
            match want.iter().find(|(k, n)| f[k] != *n) {
                None => Ok(()),
                Some(_) => Err(format!("wanted {want:?}, saw {f:?}")),
            }
        }),
        Attack {
            needs_openssl: true,
            // refused with a no_renegotiation warning, which s_client answers with a
            // fatal handshake_failure; Node's server (OpenSSL's defaults) renegotiates
            ..a("renegotiation-tls1.2", false, renegotiation, |s| {
                if s.figures["refused"] != s.outcomes.len() as u64 {
                    return Err(format!("s_client saw no refusal: {:?}", s.figures));
                }
                s.all("ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE")
            })
        },
        Attack {
            needs_openssl: true,
            ..a("key-update-storm", false, key_update_storm, |s| {
                let cpu = s.figures["storm_cpu_ms"];
                if cpu > 1000 {
                    return Err(format!(
                        "{cpu} ms of server CPU for {KEY_UPDATES} KeyUpdates"
                    ));
                }
                // rustls refuses a peer's 33rd KeyUpdate request in a row (its
                // TemperCounters) with unexpected_message; OpenSSL answers every one
                s.all("ERR_SSL_UNEXPECTED_MESSAGE")
            })
        },
    ]
}

/// How long a refused connection may take to be answered.
const ANSWER: Duration = Duration::from_secs(3);

/// Sends `bytes` on a new connection, then ends (`reset`: resets) it, and reads the
/// answer until the server closes (at most [`ANSWER`]). Our local port.
fn send(port: u16, bytes: &[u8], reset: bool) -> u16 {
    let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let local = tcp.local_addr().map(|a| a.port()).unwrap_or(0);
    let _ = tcp.set_nodelay(true);
    let _ = tcp.write_all(bytes);
    if reset {
        // after the server has taken the connection: a reset before its accept leaves
        // Node's server no port to name (its `remotePort` is undefined then)
        std::thread::sleep(Duration::from_millis(50));
        let _ = socket2::SockRef::from(&tcp).set_linger(Some(Duration::ZERO));
        return local;
    }
    let _ = tcp.shutdown(Shutdown::Write);
    let _ = tcp.set_read_timeout(Some(ANSWER));
    let mut sink = Vec::new();
    let _ = tcp.read_to_end(&mut sink);
    local
}

fn each(s: &Server, inputs: &[Vec<u8>]) -> Seen {
    let ports: Vec<u16> = inputs.iter().map(|i| send(s.port, i, false)).collect();
    Seen::of(s.outcomes(&ports, ANSWER))
}

fn random_bytes(s: &Server) -> Seen {
    let mut rng = Rng::new(0x5eed);
    let inputs: Vec<Vec<u8>> = (0..60)
        .map(|_| {
            let n = 1 + rng.below(600) as usize;
            rng.bytes(n)
        })
        .collect();
    each(s, &inputs)
}

fn http_request(s: &Server) -> Seen {
    let get = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec();
    each(s, &vec![get; 5])
}

fn old_hellos(s: &Server) -> Seen {
    let ecdhe = [0, 0xc0, 0x2f];
    let inputs = [
        tls_hello(0x0300, 0x0300),
        tls_hello(0x0301, 0x0301),
        tls_hello(0x0301, 0x0302),
        sslv2_hello(0x0002, &ecdhe, 31),
        sslv2_hello(0x0300, &ecdhe, 31),
        sslv2_hello(0x0301, &ecdhe, 31),
        sslv2_hello(0x0303, &ecdhe, 28),
    ];
    each(s, &[&inputs[..], &inputs, &inputs].concat())
}

/// A TLS 1.3 ClientHello of tls-core, as it would go on the wire.
fn real_hello() -> Vec<u8> {
    hello_up_to("TLSv1.3")
}

/// tls-core's ClientHello offering versions up to `max`.
fn hello_up_to(max: &str) -> Vec<u8> {
    let options = context::SecureContextOptions::new().max_version(max);
    let ctx = context::create_secure_context(&options).expect("client context");
    let mut options = tls_core::ClientOptions::new("localhost");
    options.servername = Some("localhost".into());
    let mut tls =
        tls_core::Connection::client(&ctx, options, tls_core::Now::system()).expect("client");
    let mut out = Vec::new();
    tls.poll_transmit(&mut out);
    out
}

fn hello_cut(s: &Server) -> Seen {
    let hello = real_hello();
    let inputs: Vec<Vec<u8>> = (1..hello.len()).map(|n| hello[..n].to_vec()).collect();
    each(s, &inputs)
}

fn bytewise(s: &Server) -> Seen {
    let mut ports = Vec::new();
    for version in ["TLSv1.2", "TLSv1.3"] {
        let mut c = Tls::new(s.port, version);
        ports.push(c.port());
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut written = false;
        while Instant::now() < deadline && c.outcome.is_none() {
            if c.tls.is_secure() && !written {
                c.tls.write(b"0123456789");
                written = true;
            }
            for b in c.take() {
                let _ = c.stream.write_all(&[b]);
            }
            if c.echoed >= 10 {
                break;
            }
            c.pump(Duration::from_millis(30), |_| false);
        }
        c.tls.end();
        for b in c.take() {
            let _ = c.stream.write_all(&[b]);
        }
        let _ = c.stream.shutdown(Shutdown::Write);
        c.pump(ANSWER, |_| false);
    }
    Seen::of(s.outcomes(&ports, ANSWER))
}

fn tampered(s: &Server) -> Seen {
    let mut ports = Vec::new();
    for version in ["TLSv1.2", "TLSv1.3"] {
        for _ in 0..3 {
            let mut c = Tls::new(s.port, version);
            ports.push(c.port());
            if !c.handshake() {
                continue;
            }
            c.tls.write(b"hello");
            let mut bytes = c.take();
            if let Some(last) = bytes.last_mut() {
                *last ^= 0x01; // the AEAD tag
            }
            let _ = c.stream.write_all(&bytes);
            c.pump(ANSWER, |_| false);
        }
    }
    Seen::of(s.outcomes(&ports, ANSWER))
}

fn oversized(s: &Server) -> Seen {
    let mut big = vec![22, 3, 3];
    big.extend(18_000u16.to_be_bytes());
    big.extend(vec![1; 18_000]);
    each(s, &vec![big; 5])
}

fn wrong_type(s: &Server) -> Seen {
    let inputs: Vec<Vec<u8>> = [0x00, 0x30, 0x17, 0x18, 0xff]
        .iter()
        .map(|&kind| record(kind, 0x0303, &[1; 10]))
        .collect();
    each(s, &[&inputs[..], &inputs].concat())
}

fn empty_records(s: &Server) -> Seen {
    let empties: Vec<u8> = (0..40).flat_map(|_| record(22, 0x0303, &[])).collect();
    each(s, &vec![empties; 5])
}

/// 1,000 warning alert records of `description`.
fn warnings(description: u8) -> Vec<u8> {
    (0..1000)
        .flat_map(|_| record(21, 0x0303, &[1, description]))
        .collect()
}

/// Floods of warning alerts (`no_renegotiation`, `user_canceled`) before any ClientHello
/// and after a TLS 1.3 one; `user_canceled` after a TLS 1.2 one.
fn warning_alerts(s: &Server) -> Seen {
    let hello = real_hello();
    let inputs = [
        warnings(100),
        warnings(90),
        [hello.clone(), warnings(100)].concat(),
        [hello, warnings(90)].concat(),
        [hello_up_to("TLSv1.2"), warnings(90)].concat(),
    ];
    each(s, &[&inputs[..], &inputs].concat())
}

/// `no_renegotiation` warnings after a TLS 1.2 ClientHello.
fn no_renegotiation_warnings(s: &Server) -> Seen {
    let input = [hello_up_to("TLSv1.2"), warnings(100)].concat();
    each(s, &vec![input; 3])
}

/// The `--max-connections` of the server [`max_connections`] starts.
const MAX_CONNECTIONS: u64 = 20;

/// A server of its own with `--max-connections 20` (the healthy client would count
/// against the shared one's): 20 handshakes, 20 more connections (each must be closed
/// at once, unanswered, as Node's `net` server drops them), then half of the first 20
/// closed and 10 new handshakes, which must succeed again.
fn max_connections(_: &Server) -> Seen {
    let limited = Server::ours_with(&["--max-connections", &MAX_CONNECTIONS.to_string()]);
    let mut first: Vec<Tls> = (0..MAX_CONNECTIONS)
        .map(|_| Tls::new(limited.port, "TLSv1.3"))
        .collect();
    let secure = first
        .iter_mut()
        .map(Tls::handshake)
        .filter(|&ok| ok)
        .count();
    let dropped = (0..MAX_CONNECTIONS)
        .filter(|_| {
            let mut c = Tls::new(limited.port, "TLSv1.3");
            !c.handshake() && c.echoed == 0 && c.outcome.is_some()
        })
        .count();
    for mut c in first.drain(..MAX_CONNECTIONS as usize / 2) {
        c.tls.end();
        c.flush();
        c.pump(ANSWER, |_| false);
    }
    // the server sees those closes before it takes the next connections
    std::thread::sleep(Duration::from_millis(200));
    let secure_after = (0..MAX_CONNECTIONS / 2)
        .filter(|_| Tls::new(limited.port, "TLSv1.3").handshake())
        .count();
    let mut seen = Seen::of(Vec::new());
    for (k, v) in [
        ("secure", secure),
        ("dropped", dropped),
        ("secure_after", secure_after),
    ] {
        seen.figures.insert(k, v as u64);
    }
    seen
}

fn reset_mid_record(s: &Server) -> Seen {
    let hello = real_hello();
    let ports: Vec<u16> = (0..10)
        .map(|_| send(s.port, &hello[..hello.len() / 2], true))
        .collect();
    Seen::of(s.outcomes(&ports, ANSWER))
}

fn slowloris(s: &Server) -> Seen {
    let socks: Vec<TcpStream> = (0..1000)
        .filter_map(|_| {
            let mut tcp = TcpStream::connect(("127.0.0.1", s.port)).ok()?;
            // a record header, then nothing
            tcp.write_all(&[22, 3, 1]).ok()?;
            Some(tcp)
        })
        .collect();
    let ports: Vec<u16> = socks
        .iter()
        .map(|t| t.local_addr().map(|a| a.port()).unwrap_or(0))
        .collect();
    let wait = Duration::from_millis(HANDSHAKE_TIMEOUT) + Duration::from_secs(10);
    let mut seen = Seen::of(s.outcomes(&ports, wait));
    // each socket the server closed reads as EOF (or a reset) at once
    let closed = socks
        .iter()
        .filter(|t| {
            let mut t: &TcpStream = t;
            let _ = t.set_read_timeout(Some(Duration::from_millis(50)));
            let mut b = [0u8; 64];
            loop {
                match t.read(&mut b) {
                    Ok(0) => return true,
                    Ok(_) => continue,
                    Err(e) => return e.kind() != std::io::ErrorKind::WouldBlock,
                }
            }
        })
        .count();
    seen.figures.insert("closed", closed as u64);
    seen
}

/// What the client that stops reading tries to send, at most.
const STOP_READING_LIMIT: u64 = 64 << 20;

fn stops_reading(s: &Server) -> Seen {
    let before = s.rss_kib();
    let mut c = Tls::new(s.port, "TLSv1.3");
    let port = c.port();
    c.handshake();
    let _ = c.stream.set_write_timeout(Some(Duration::from_millis(300)));
    let chunk = vec![b'x'; 64 << 10];
    let mut sent = 0u64;
    let mut peak = before;
    let deadline = Instant::now() + Duration::from_secs(20);
    while sent < STOP_READING_LIMIT && Instant::now() < deadline {
        c.tls.write(&chunk);
        let bytes = c.take();
        if c.stream.write_all(&bytes).is_err() {
            break; // the server stopped reading: its echo is not read either
        }
        sent += chunk.len() as u64;
        peak = peak.max(s.rss_kib());
    }
    std::thread::sleep(Duration::from_millis(200));
    peak = peak.max(s.rss_kib());
    let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
    drop(c);
    let mut seen = Seen::of(s.outcomes(&[port], ANSWER));
    seen.figures.insert("sent_kib", sent >> 10);
    seen.figures
        .insert("rss_growth_kib", peak.saturating_sub(before));
    // the reset is how it ends: record what the server said of it, whatever it was
    seen.outcomes = vec![format!("reset ({})", seen.outcomes[0])];
    seen
}

/// `openssl s_client` against the server, fed `input` once its handshake is done;
/// the server's port for it (0 if no handshake was seen in time) and the process.
/// The server's earlier events are forgotten first: the one handshake it then reports
/// is s_client's.
fn s_client(s: &Server, version: &str, input: &[u8]) -> (u16, Proc) {
    s.begin();
    let mut cmd = Command::new("openssl");
    // no -ign_eof: it turns s_client's command letters off
    cmd.args([
        "s_client",
        "-connect",
        &format!("127.0.0.1:{}", s.port),
        version,
    ]);
    let mut p = Proc::spawn_quiet(cmd);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut port = None;
    while Instant::now() < deadline && port.is_none() {
        port = s.first_secure();
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = p.try_write(input);
    (port.unwrap_or(0), p)
}

fn renegotiation(s: &Server) -> Seen {
    let mut refused = 0;
    let outcomes = (0..3)
        .map(|_| {
            let (port, mut p) = s_client(s, "-tls1_2", b"R\n");
            let outcome = match port {
                0 => "no handshake seen".to_string(),
                _ => s.outcomes(&[port], ANSWER).remove(0),
            };
            p.close_stdin();
            p.wait();
            // OpenSSL's words for our no_renegotiation warning
            refused += u64::from(p.stderr().contains("no renegotiation"));
            outcome
        })
        .collect();
    let mut seen = Seen::of(outcomes);
    seen.figures.insert("refused", refused);
    seen
}

/// How many KeyUpdates (each asking for ours back) the storm sends.
const KEY_UPDATES: u64 = 300;

fn key_update_storm(s: &Server) -> Seen {
    // the server's CPU for its healthy client alone, over as long as the storm takes
    let (quiet_cpu, quiet) = (s.cpu_ticks(), Instant::now());
    std::thread::sleep(Duration::from_millis(1000));
    let quiet_rate = s.cpu_ticks().saturating_sub(quiet_cpu) as f64 / quiet.elapsed().as_secs_f64();
    let (port, mut p) = s_client(s, "-tls1_3", b"");
    let (cpu, started) = (s.cpu_ticks(), Instant::now());
    for _ in 0..KEY_UPDATES {
        // one command per read of s_client's: `K` sends a KeyUpdate, update_requested
        let _ = p.try_write(b"K\n");
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = p.try_write(b"hello\n");
    let echoed = || -> u64 {
        s.events_of(port)
            .iter()
            .filter(|e| e["event"] == "data")
            .map(|e| e["length"].as_u64().unwrap_or(0))
            .sum()
    };
    let deadline = Instant::now() + ANSWER;
    while echoed() < 6 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let storm_ticks =
        s.cpu_ticks().saturating_sub(cpu) as f64 - quiet_rate * started.elapsed().as_secs_f64();
    p.close_stdin();
    let mut seen = Seen::of(s.outcomes(&[port], ANSWER));
    // USER_HZ is 100 on Linux: a tick is 10 ms
    seen.figures
        .insert("storm_cpu_ms", (storm_ticks.max(0.0) * 10.0) as u64);
    seen.figures.insert("echoed", echoed());
    seen
}
