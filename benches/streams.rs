//! The loop at scale and streams under back-pressure (issue "Streams that stop").
//!
//! ```sh
//! cargo build --release -p node-tls-cli     # `paused` runs our server as this binary
//! cargo bench --bench streams               # both figures, about a minute on 2 cores
//! cargo bench --bench streams -- --quick    # smaller counts
//! ```
//!
//! - `loop`: our echo server (`sock.pipe(sock)`) on a thread with its own `EventLoop`;
//!   a Node child holds N idle TLS connections to it (N = 100, 1,000, 10,000); this
//!   process's own loop runs 1,000 busy connections doing 1 KiB request/response round
//!   trips for a few seconds. Printed: the server loop's busy time per turn and per
//!   event (`EventLoop::stats`) over that window, which must stay flat as N grows
//!   (timers in a heap, no scan of every socket per turn), and the round trips done.
//! - `paused`: `node-tls serve` (the CLI, echo) facing 100 clients of this process that
//!   each `pause()` and write up to 64 MiB with back-pressure: once nothing moves, the
//!   server's peak RSS (`VmHWM`), which must stay under 100 MiB (each connection holds
//!   at most about twice the 16 KiB high-water mark in user space; the rest waits in
//!   kernel socket buffers, and then in the clients).
//!
//! Both are measurements, not pass/fail tests; the numbers print on stdout.

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, LoopStats,
    SecureContext, SecureContextOptions, ServerOptions, TlsSocket,
};
use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};
use suite::{fixture, read_fixture, Proc};

#[path = "support/node_idle.rs"]
mod node_idle;
use node_idle::NODE_IDLE;

fn client_context() -> SecureContext {
    create_secure_context(&SecureContextOptions::new().ca(read_fixture("ca/root-cert.pem")))
        .expect("client context")
}

fn open_files_limit() -> usize {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|l| {
            let line = l
                .lines()
                .find(|l| l.starts_with("Max open files"))?
                .to_string();
            line.split_whitespace().nth(3)?.parse().ok()
        })
        .unwrap_or(1024)
}

/// Our echo server on its own thread; its loop's stats are published after each turn.
struct EchoServer {
    port: u16,
    stats: Arc<Mutex<LoopStats>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoServer {
    fn start() -> Self {
        let (tx, rx) = mpsc::channel();
        let stats = Arc::new(Mutex::new(LoopStats::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (stats.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            let ev = EventLoop::new().expect("loop");
            let options = ServerOptions::new()
                .key(read_fixture("leaf/p256-key.pem"))
                .cert(read_fixture("leaf/p256-chain.pem"));
            let server = create_server(&ev, options).expect("server");
            server.on_secure_connection(|sock| {
                sock.pipe(sock, true);
            });
            let port = server.listen(0, "127.0.0.1").expect("listen").port();
            tx.send(port).expect("port");
            while !st.load(Ordering::Relaxed) {
                ev.turn(Some(Duration::from_millis(20))).expect("turn");
                *s.lock().expect("stats") = ev.stats();
            }
        });
        let port = rx.recv().expect("the server's port");
        Self {
            port,
            stats,
            stop,
            thread: Some(thread),
        }
    }

    fn stats(&self) -> LoopStats {
        *self.stats.lock().expect("stats")
    }
}

impl Drop for EchoServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// 1,000 connections doing 1 KiB round trips for `window`; returns the round trips.
fn busy_round_trips(port: u16, conns: usize, window: Duration) -> u64 {
    let ev = EventLoop::new().expect("loop");
    let ctx = client_context();
    let msg = vec![b'x'; 1024];
    let trips = Rc::new(Cell::new(0u64));
    let up = Rc::new(Cell::new(0usize));
    let running = Rc::new(Cell::new(false));
    let mut socks = Vec::new();
    for _ in 0..conns {
        let sock = connect(
            &ev,
            ConnectOptions::new(port)
                .host("127.0.0.1")
                .secure_context(ctx.clone()),
        )
        .expect("connect");
        let u = up.clone();
        sock.on_secure_connect(move |_| u.set(u.get() + 1));
        let (t, r, m) = (trips.clone(), running.clone(), msg.clone());
        let got = Rc::new(Cell::new(0usize));
        sock.on_data(move |sock, chunk| {
            got.set(got.get() + chunk.len());
            if got.get() >= m.len() {
                got.set(got.get() - m.len());
                if r.get() {
                    t.set(t.get() + 1);
                    sock.write(&m);
                }
            }
        });
        socks.push(sock);
    }
    ev.run_until(|| up.get() == conns, Duration::from_secs(60))
        .expect("loop");
    running.set(true);
    for s in &socks {
        s.write(&msg);
    }
    let end = Instant::now() + window;
    ev.run_until(|| Instant::now() >= end, window + Duration::from_secs(1))
        .expect("loop");
    running.set(false);
    let done = trips.get();
    for s in &socks {
        s.destroy();
    }
    ev.run_until(|| !ev.is_alive(), Duration::from_secs(10))
        .expect("loop");
    done
}

fn loop_scaling(quick: bool) {
    let sizes: &[usize] = if quick {
        &[100, 1000]
    } else {
        &[100, 1000, 10_000]
    };
    let (busy, window) = if quick {
        (200, Duration::from_secs(1))
    } else {
        (1000, Duration::from_secs(3))
    };
    let limit = open_files_limit();
    println!(
        "loop: {busy} busy connections (1 KiB round trips) for {window:?}, idle ones from node"
    );
    println!("idle    turns   events   busy µs/turn  busy ns/event  round trips/s");
    for &n in sizes {
        let n = n.min(limit.saturating_sub(2 * busy + 100));
        let server = EchoServer::start();
        let mut idle = Proc::node(NODE_IDLE, &[&server.port.to_string(), &n.to_string()]);
        let ready = idle.line_within(Duration::from_secs(120));
        if !ready.as_deref().is_some_and(|l| l.starts_with("ready")) {
            println!("{n:<7} node did not open its idle connections: {ready:?}");
            continue;
        }
        let before = server.stats();
        let trips = busy_round_trips(server.port, busy, window);
        let after = server.stats();
        let turns = after.turns - before.turns;
        let events = after.events - before.events;
        let busy_time = after.busy - before.busy;
        println!(
            "{n:<7} {turns:<7} {events:<8} {:<13.1} {:<14.0} {:.0}",
            busy_time.as_secs_f64() * 1e6 / turns.max(1) as f64,
            busy_time.as_secs_f64() * 1e9 / events.max(1) as f64,
            trips as f64 / window.as_secs_f64()
        );
        idle.close_stdin();
        let _ = idle.wait();
    }
}

/// The `node-tls` binary next to this bench, release first.
fn our_cli() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let target = exe.parent()?.parent()?.parent()?.to_path_buf();
    ["release", "debug"]
        .iter()
        .map(|p| target.join(p).join("node-tls"))
        .find(|p| p.is_file())
}

fn vm_hwm_kib(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn paused_clients(quick: bool) {
    let Some(bin) = our_cli() else {
        println!("paused: build node-tls first (cargo build --release -p node-tls-cli)");
        return;
    };
    let (clients, total) = if quick {
        (20, 8usize << 20)
    } else {
        (100, 64usize << 20)
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let mut server: Child = Command::new(&bin)
        .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
        .arg("--key")
        .arg(fixture("leaf/p256-key.pem"))
        .arg("--cert")
        .arg(fixture("leaf/p256-chain.pem"))
        .stdout(Stdio::null())
        .spawn()
        .expect("node-tls serve");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let ev = EventLoop::new().expect("loop");
    let ctx = client_context();
    let sent = Rc::new(RefCell::new(vec![0usize; clients]));
    let chunk = vec![b'p'; 64 << 10];
    for i in 0..clients {
        let sock = connect(
            &ev,
            ConnectOptions::new(port)
                .host("127.0.0.1")
                .secure_context(ctx.clone()),
        )
        .expect("connect");
        let (s, c) = (sent.clone(), chunk.clone());
        let pump = Rc::new(move |sock: &TlsSocket| loop {
            let done = s.borrow()[i];
            if done >= total {
                return;
            }
            s.borrow_mut()[i] = done + c.len();
            if !sock.write(&c) {
                return;
            }
        });
        let p = pump.clone();
        sock.on_secure_connect(move |sock| {
            sock.pause();
            p(sock);
        });
        sock.on_drain(move |sock| pump(sock));
    }
    let moved = || sent.borrow().iter().sum::<usize>();
    let (mut last, mut quiet) = (usize::MAX, 0);
    let start = Instant::now();
    while quiet < 50 && start.elapsed() < Duration::from_secs(120) {
        ev.turn(Some(Duration::from_millis(20))).expect("turn");
        let now = moved();
        if now == last {
            quiet += 1;
        } else {
            (last, quiet) = (now, 0);
        }
    }
    let hwm = vm_hwm_kib(&server).unwrap_or(0);
    println!(
        "paused: {clients} paused clients writing {} MiB each: {} MiB accepted in all before \
         everything stalled; server peak RSS {:.1} MiB ({})",
        total >> 20,
        moved() >> 20,
        hwm as f64 / 1024.0,
        if hwm < 100 * 1024 {
            "under 100 MiB"
        } else {
            "OVER 100 MiB"
        }
    );
    let _ = server.kill();
    let _ = server.wait();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    loop_scaling(quick);
    paused_clients(quick);
}
