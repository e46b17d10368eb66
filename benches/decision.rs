//! What the server's decision point costs: full TLS 1.3 handshakes in memory (no
//! sockets), the same rustls client against (a) a bare rustls `ServerConnection` and
//! (b) a tls-core server connection (rustls's `Acceptor`, our ClientHello reading,
//! the reports scope, Node's checks) with no callback registered, both on the same
//! context's config. Prints the server's time per handshake (its calls only: the
//! client's work is not counted) of each and (b)'s overhead.
//!
//! Then how handshakes scale over threads sharing one server `SecureContext` (its
//! configs, session cache and ticket keys), as loops on several cores do: each thread
//! drives its own rustls client against tls-core server connections in memory, full
//! handshakes (no client session store) and resumed ones (a client session store per
//! thread, so every thread's tickets come from the shared ticketer), for a fixed time
//! with 1 thread and with one per core; handshakes per wall-clock second and the ratio.
//! The client's work is on the same thread, so a thread's rate is bound by both sides and
//! the client can never starve the server of a core.
//!
//! ```sh
//! cargo bench --bench decision              # 2,000 handshakes per side and key type, 2 s runs
//! cargo bench --bench decision -- --quick   # 100, 0.2 s runs
//! ```

use context::{create_secure_context, ClientAuth, SecureContext, SecureContextOptions};
use std::sync::Arc;
use std::time::{Duration, Instant};
use suite::read_fixture;
use tls_core::{Connection, Now, ServerOptions};

#[path = "support/in_memory.rs"]
mod in_memory;
use in_memory::{handshake, handshake_kind, Bare, Ours};

fn contexts(key: &str, cert: &str) -> (SecureContext, Arc<rustls::ClientConfig>) {
    let server = create_secure_context(
        &SecureContextOptions::new()
            .key(read_fixture(key))
            .cert(read_fixture(cert))
            .min_version("TLSv1.3"),
    )
    .expect("server context");
    let client = create_secure_context(
        &SecureContextOptions::new()
            .ca(read_fixture("ca/root-cert.pem"))
            .min_version("TLSv1.3"),
    )
    .expect("client context");
    // no session store on the client: every handshake is a full one
    let mut config = (*client.client_config()).clone();
    config.resumption = rustls::client::Resumption::disabled();
    (server, Arc::new(config))
}

/// Server time per handshake: alternating batches of each side, the fastest batch of
/// each kept (the least disturbed by the rest of the machine).
fn measure(label: &str, key: &str, cert: &str, n: usize) {
    let (server_ctx, client_config) = contexts(key, cert);
    let config = server_ctx.server_config(ClientAuth::None).expect("config");
    let batch = (n / 10).max(10);
    let (mut bare_best, mut ours_best) = (Duration::MAX, Duration::MAX);
    for _ in 0..(n / batch).max(1) {
        let mut spent = Duration::ZERO;
        for _ in 0..batch {
            let start = Instant::now();
            let mut server = Bare(rustls::ServerConnection::new(config.clone()).expect("server"));
            spent += start.elapsed();
            spent += handshake(&client_config, &mut server);
        }
        bare_best = bare_best.min(spent / batch as u32);
        let mut spent = Duration::ZERO;
        for _ in 0..batch {
            let start = Instant::now();
            let conn = Connection::server(&server_ctx, ServerOptions::default(), Now::system())
                .expect("server");
            spent += start.elapsed();
            spent += handshake(&client_config, &mut Ours::new(conn));
        }
        ours_best = ours_best.min(spent / batch as u32);
    }
    let overhead = (ours_best.as_secs_f64() / bare_best.as_secs_f64() - 1.0) * 100.0;
    println!(
        "{label:<10} bare rustls {:>8.1} µs   tls-core {:>8.1} µs   overhead {overhead:+.1}%",
        bare_best.as_secs_f64() * 1e6,
        ours_best.as_secs_f64() * 1e6,
    );
}

/// Handshakes (and how many resumed) on `threads` threads for `time`, each thread with
/// its own client (`resume`: with a session store of its own) against tls-core server
/// connections on the one `server` context.
fn rate(
    server: &SecureContext,
    client: &rustls::ClientConfig,
    resume: bool,
    threads: usize,
    time: Duration,
) -> (f64, usize, usize) {
    let start = Instant::now();
    let counts: Vec<(usize, usize)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(move || {
                    let mut config = client.clone();
                    config.resumption = if resume {
                        rustls::client::Resumption::in_memory_sessions(64)
                    } else {
                        rustls::client::Resumption::disabled()
                    };
                    let config = Arc::new(config);
                    let (mut done, mut resumed) = (0, 0);
                    let end = Instant::now() + time;
                    while Instant::now() < end {
                        let conn =
                            Connection::server(server, ServerOptions::default(), Now::system())
                                .expect("server");
                        let (_, r) = handshake_kind(&config, &mut Ours::new(conn));
                        done += 1;
                        resumed += usize::from(r);
                    }
                    (done, resumed)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let done: usize = counts.iter().map(|c| c.0).sum();
    let resumed = counts.iter().map(|c| c.1).sum();
    (done as f64 / elapsed, done, resumed)
}

/// The server's signature in a full handshake, alone: ring's private-key operation
/// through rustls's provider, the scheme a TLS 1.3 handshake uses; µs per signature,
/// fastest of 5 batches.
fn signing(label: &str, key: &str, scheme: rustls::SignatureScheme, n: usize) {
    use rustls::pki_types::pem::PemObject;
    let der =
        rustls::pki_types::PrivateKeyDer::from_pem_slice(&read_fixture(key)).expect("the key");
    let key = rustls::crypto::ring::sign::any_supported_type(&der).expect("a signing key");
    let signer = key.choose_scheme(&[scheme]).expect("the scheme");
    let message = [7u8; 130]; // about a TLS 1.3 CertificateVerify's signed content
    let mut best = Duration::MAX;
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..n {
            signer.sign(&message).expect("a signature");
        }
        best = best.min(start.elapsed() / n as u32);
    }
    println!(
        "{label:<10} {:>8.1} µs per signature ({scheme:?})",
        best.as_secs_f64() * 1e6
    );
}

/// One key type's scaling: 1 thread, then one per core, full and resumed.
fn scaling(label: &str, key: &str, cert: &str, cores: usize, time: Duration) {
    let (server, client) = contexts(key, cert);
    for (kind, resume) in [("full", false), ("resumed", true)] {
        let (one, n1, r1) = rate(&server, &client, resume, 1, time);
        let (all, n2, r2) = rate(&server, &client, resume, cores, time);
        println!(
            "{label:<10} {kind:<8} 1 thread {one:>8.0}/s ({r1} of {n1} resumed)   \
             {cores} threads {all:>8.0}/s ({r2} of {n2} resumed)   x{:.2}",
            all / one
        );
    }
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 100 } else { 2000 };
    println!("full TLS 1.3 handshakes in memory; server time per handshake:");
    measure("P-256", "leaf/p256-key.pem", "leaf/p256-chain.pem", n);
    measure(
        "RSA-2048",
        "leaf/rsa2048-key.pem",
        "leaf/rsa2048-chain.pem",
        n,
    );
    println!("\nthe signature alone (compare `openssl speed rsa2048 ecdsap256`):");
    let signatures = n / 10;
    signing(
        "P-256",
        "leaf/p256-key.pem",
        rustls::SignatureScheme::ECDSA_NISTP256_SHA256,
        signatures,
    );
    signing(
        "RSA-2048",
        "leaf/rsa2048-key.pem",
        rustls::SignatureScheme::RSA_PSS_SHA256,
        signatures,
    );
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    let time = Duration::from_millis(if quick { 200 } else { 2000 });
    println!("\nscaling: TLS 1.3 handshakes per second in memory, one shared server context:");
    if cores < 2 {
        println!("  one CPU: nothing to compare");
        return;
    }
    scaling(
        "P-256",
        "leaf/p256-key.pem",
        "leaf/p256-chain.pem",
        cores,
        time,
    );
    scaling(
        "RSA-2048",
        "leaf/rsa2048-key.pem",
        "leaf/rsa2048-chain.pem",
        cores,
        time,
    );
}
