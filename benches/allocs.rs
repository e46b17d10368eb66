//! What one connection costs the server's heap, counted, in memory (no sockets): a rustls
//! client against (a) a bare rustls `ServerConnection` and (b) a tls-core server
//! connection, on the same server context's config, for full and resumed handshakes in
//! TLS 1.3 and TLS 1.2. Only the server's calls are counted (making the connection,
//! feeding it, taking its output), through a counting wrapper of the system allocator.
//!
//! Printed per connection, the median over the runs: heap allocations (reallocations
//! included) and bytes allocated by the handshake; the bytes still held once it is done
//! and idle; the same two after one 1 KiB round trip (the client writes, the server
//! echoes); and what is left when the connection is dropped (a leak shows here; a TLS 1.2
//! session the server caches would too: tls-core's contexts issue tickets instead).
//!
//! Then the whole stack: our server (`create_server` on this thread's `EventLoop`, an
//! echo) while a Node child opens N idle TLS connections to it: the heap it holds per
//! connection once all are up (the socket, its handlers and buffers, the tls-core and
//! rustls state), to set beside the RSS per connection of `loopback`'s `memory` rows.
//!
//! ```sh
//! cargo bench --bench allocs              # 1,000 connections per row, a few seconds
//! cargo bench --bench allocs -- --quick   # 20, and 100 idle ones
//! ```

use context::{create_secure_context, ClientAuth, SecureContext, SecureContextOptions};
use stats_alloc::{StatsAlloc, INSTRUMENTED_SYSTEM};
use std::alloc::System;
use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;
use suite::{read_fixture, Proc};
use tls_core::{Connection, Now, ServerOptions};

#[path = "support/node_idle.rs"]
mod node_idle;
use node_idle::NODE_IDLE;

#[path = "support/in_memory.rs"]
mod in_memory;
use in_memory::{handshake_client, round_trip, Bare, Ours, Server};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// What the counted calls did to the heap.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    /// Allocations and reallocations.
    calls: u64,
    /// Bytes allocated (a reallocation's growth included).
    bytes: i64,
    /// Bytes allocated and not freed.
    held: i64,
}

impl Tally {
    /// Runs `f`, adding what it did to the heap.
    fn count<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let before = GLOBAL.stats();
        let r = f();
        let after = GLOBAL.stats();
        let d = |a: usize, b: usize| a as i64 - b as i64;
        // (stats_alloc counts a reallocation's growth as allocated, its shrinking as
        // freed)
        self.calls += (d(after.allocations, before.allocations)
            + d(after.reallocations, before.reallocations)) as u64;
        let allocated = d(after.bytes_allocated, before.bytes_allocated);
        self.bytes += allocated;
        self.held += allocated - d(after.bytes_deallocated, before.bytes_deallocated);
        r
    }
}

/// A server side whose every call is counted.
struct Counted<'t, S> {
    inner: S,
    tally: &'t mut Tally,
}

impl<S: Server> Server for Counted<'_, S> {
    fn feed(&mut self, bytes: &[u8]) {
        let inner = &mut self.inner;
        self.tally.count(|| inner.feed(bytes));
    }

    fn transmit(&mut self, out: &mut Vec<u8>) {
        let inner = &mut self.inner;
        self.tally.count(|| inner.transmit(out));
    }

    fn secure(&mut self) -> bool {
        self.inner.secure()
    }

    fn echo(&mut self) {
        let inner = &mut self.inner;
        self.tally.count(|| inner.echo());
    }
}

/// One connection's figures.
#[derive(Clone, Copy, Debug, Default)]
struct Sample {
    handshake: Tally,
    idle: i64,
    trip_calls: u64,
    after_trip: i64,
    dropped: i64,
}

/// Handshake, idle, one round trip, drop: one connection of `side`, counted.
fn connection<S: Server>(
    client: &Arc<rustls::ClientConfig>,
    make: impl FnOnce() -> S,
) -> (Sample, bool) {
    let mut hs = Tally::default();
    let server = hs.count(make);
    let mut counted = Counted {
        inner: server,
        tally: &mut hs,
    };
    let (_, resumed, mut client) = handshake_client(client, &mut counted);
    let mut server = counted.inner;
    let mut sample = Sample {
        handshake: hs,
        idle: hs.held,
        ..Sample::default()
    };
    let mut trip = Tally::default();
    let request = vec![b'q'; 1024];
    let answer = round_trip(&mut client, &mut server, &request, |step| trip.count(step));
    assert_eq!(answer, request, "the echo");
    sample.trip_calls = trip.calls;
    sample.after_trip = hs.held + trip.held;
    let mut gone = Tally::default();
    gone.count(|| drop(server));
    sample.dropped = sample.after_trip + gone.held;
    (sample, resumed)
}

fn median<T: Copy + Ord>(mut v: Vec<T>) -> T {
    v.sort();
    v[v.len() / 2]
}

/// Contexts: the server's (TLS 1.2 and 1.3) and a client's offering `version` only,
/// with a session store when `resume`.
fn contexts(
    key: &str,
    cert: &str,
    version: &str,
    resume: bool,
) -> (SecureContext, Arc<rustls::ClientConfig>) {
    let server = create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture(key))
            .cert(read_fixture(cert)),
    )
    .expect("server context");
    let client = create_secure_context(
        &SecureContextOptions::new()
            .ca(read_fixture("ca/root-cert.pem"))
            .min_version(version)
            .max_version(version),
    )
    .expect("client context");
    let mut config = (*client.client_config()).clone();
    config.resumption = if resume {
        rustls::client::Resumption::in_memory_sessions(64)
    } else {
        rustls::client::Resumption::disabled()
    };
    (server, Arc::new(config))
}

fn row(label: &str, side: &str, samples: &[Sample], resumed: usize) {
    let kib = |b: i64| b as f64 / 1024.0;
    let pick = |f: &dyn Fn(&Sample) -> i64| median(samples.iter().map(f).collect());
    println!(
        "{label:<22} {side:<6} {:>9} {:>8.1} {:>8.1}   {:>10} {:>8.1}   {:>7.1}   ({resumed}/{} resumed)",
        pick(&|s| s.handshake.calls as i64),
        kib(pick(&|s| s.handshake.bytes)),
        kib(pick(&|s| s.idle)),
        pick(&|s| s.trip_calls as i64),
        kib(pick(&|s| s.after_trip)),
        kib(pick(&|s| s.dropped)),
        samples.len(),
    );
}

/// The heap bytes allocated and not freed, process-wide.
fn live() -> i64 {
    let s = GLOBAL.stats();
    s.bytes_allocated as i64 - s.bytes_deallocated as i64
}

/// Our server's heap per idle connection, N of them held by Node.
fn idle_loop(n: usize) {
    let ev = node_tls::EventLoop::new().expect("a loop");
    let options = node_tls::ServerOptions::new()
        .key(read_fixture("leaf/p256-key.pem"))
        .cert(read_fixture("leaf/p256-chain.pem"));
    let server = node_tls::create_server(&ev, options).expect("a server");
    let up = Rc::new(Cell::new(0usize));
    let seen = up.clone();
    server.on_secure_connection(move |sock| {
        seen.set(seen.get() + 1);
        sock.on_data(|sock, data| {
            sock.write(data);
        });
    });
    let port = server.listen(0, "127.0.0.1").expect("listen").port();
    let before = live();
    let mut idle = Proc::node(NODE_IDLE, &[&port.to_string(), &n.to_string()]);
    let all = ev
        .run_until(|| up.get() >= n, Duration::from_secs(120))
        .unwrap_or(false);
    // the last flights and tickets
    let _ = ev.run_until(|| false, Duration::from_millis(300));
    let held = live() - before;
    if all {
        println!(
            "our server, {n} idle TLS 1.3 connections from node: {:.1} KiB of heap each",
            held as f64 / n as f64 / 1024.0
        );
    } else {
        println!(
            "our server: only {} of {n} idle connections came up",
            up.get()
        );
    }
    idle.close_stdin();
    let _ = idle.wait();
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 20 } else { 1000 };
    println!("the server's heap per connection, in memory, median of {n} connections");
    println!("  handshake: allocations (reallocations included) and KiB allocated, then the");
    println!("  KiB held once idle; 1 KiB round trip: allocations, KiB held after; dropped:");
    println!("  KiB still held after the connection is dropped (a cached session, or a leak)");
    println!(
        "{:<22} {:<6} {:>9} {:>8} {:>8}   {:>10} {:>8}   {:>7}",
        "connection",
        "server",
        "hs allocs",
        "hs KiB",
        "idle KiB",
        "rt allocs",
        "idle KiB",
        "dropped"
    );
    let p256 = ("leaf/p256-key.pem", "leaf/p256-chain.pem");
    let rsa = ("leaf/rsa2048-key.pem", "leaf/rsa2048-chain.pem");
    let cases = [
        ("TLS 1.3 full P-256", p256, "TLSv1.3", false),
        ("TLS 1.3 full RSA-2048", rsa, "TLSv1.3", false),
        ("TLS 1.3 resumed P-256", p256, "TLSv1.3", true),
        ("TLS 1.2 full P-256", p256, "TLSv1.2", false),
        ("TLS 1.2 resumed P-256", p256, "TLSv1.2", true),
    ];
    for (label, (key, cert), version, resume) in cases {
        for side in ["rustls", "ours"] {
            // each side its own contexts: the client's sessions come from that server
            let (server, client) = contexts(key, cert, version, resume);
            let config = server.server_config(ClientAuth::None).expect("config");
            let (mut samples, mut resumed) = (Vec::new(), 0);

            // a first connection, not counted: the resumed rows need its session, and
            // the context builds some parts on first use
            for i in 0..=n {
                let (sample, r) = if side == "rustls" {
                    connection(&client, || {
                        Bare(rustls::ServerConnection::new(config.clone()).expect("server"))
                    })
                } else {
                    connection(&client, || {
                        Ours::new(
                            Connection::server(&server, ServerOptions::default(), Now::system())
                                .expect("server"),
                        )
                    })
                };
                // a resumed row counts resumed connections only
                if i > 0 && r == resume {
                    samples.push(sample);
                    resumed += usize::from(r);
                }
            }
            if samples.is_empty() {
                println!("{label:<22} {side:<6} no connection of this kind in {n}");
                continue;
            }
            row(label, side, &samples, resumed);
        }
    }
    println!(
        "not counted above, the connection value itself: rustls's ServerConnection {} bytes, \
         tls-core's Connection {} (rustls's inside)",
        std::mem::size_of::<rustls::ServerConnection>(),
        std::mem::size_of::<Connection>()
    );
    println!();
    idle_loop(if quick { 100 } else { 1000 });
}
