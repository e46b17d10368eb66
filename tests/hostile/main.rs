//! Hostile input against `node-tls serve` while a healthy client keeps echoing: each
//! attack bounded in count and time, over loopback, run against our server and (where
//! Node has an answer of its own) against Node 20's tls server (`tests/node/serve.js`)
//! with the same bytes, comparing what each connection ended with (the `clientError` or
//! `error` code, or how it closed). Meanwhile a client on its own thread sends 1 KiB and
//! reads it back, again and again, on one connection to our server: its round trips
//! during each attack are reported (p50/p99/max) and it must never fail. The server's
//! RSS is read before, during and after; after the storm it must be back within 10% of
//! its baseline.
//!
//! `cargo test -p node-tls-cli --test hostile [-- FILTER]` runs it alone (FILTER: a
//! substring of attack names). Under `CI=true` a missing `node` or `openssl` fails the
//! run; elsewhere the comparisons it needs are skipped, on a summary line.
#![forbid(unsafe_code)]

mod attacks;
mod peers;

use peers::{Healthy, Server};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        for a in attacks::all() {
            println!("{}: test", a.name);
        }
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let node = suite::have("node");
    let openssl = suite::have("openssl");
    let ours = Server::ours();
    let reference = node.then(Server::node);
    let healthy = Healthy::start(ours.port);
    // the baseline: the server with its healthy client, warmed up
    std::thread::sleep(Duration::from_millis(300));
    let baseline = ours.rss_kib();
    println!("\nhostile: our server's RSS with its healthy client: {baseline} KiB");
    println!(
        "\n{:<22} {:>5}  {:<34} {:<8} {:>7} {:>7} {:>7} {:>9}",
        "attack", "conns", "our answers", "node", "p50 ms", "p99 ms", "max ms", "RSS KiB"
    );
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut skipped = Vec::new();
    let mut ran = 0;
    for attack in attacks::all() {
        if filter
            .as_ref()
            .is_some_and(|f| !attack.name.contains(f.as_str()))
        {
            continue;
        }
        if attack.needs_openssl && !openssl {
            skipped.push(format!("{} (openssl not found)", attack.name));
            continue;
        }
        ran += 1;
        let window = healthy.mark();
        // each attack sees only its own connections' events: ports come round again
        ours.begin();
        let ours_seen = (attack.run)(&ours);
        let peak = ours.rss_kib();
        let rtt = healthy.since(window);
        let mut verdict = (attack.check)(&ours_seen);
        let node_column = match (&reference, attack.compare) {
            (Some(node), true) => {
                node.begin();
                let node_seen = (attack.run)(node);
                if node_seen.outcomes != ours_seen.outcomes && verdict.is_ok() {
                    verdict = Err(format!(
                        "Node answered otherwise:\n    ours {:?}\n    node {:?}",
                        ours_seen.outcomes, node_seen.outcomes
                    ));
                }
                if node_seen.outcomes == ours_seen.outcomes {
                    "same"
                } else {
                    "DIFFERS"
                }
            }
            (None, true) => {
                skipped.push(format!("{} against Node (node not found)", attack.name));
                "skipped"
            }
            (_, false) => "-",
        };
        println!(
            "{:<22} {:>5}  {:<34} {:<8} {:>7.2} {:>7.2} {:>7.2} {:>9}",
            attack.name,
            ours_seen.outcomes.len(),
            ours_seen.summary(),
            node_column,
            rtt.p(50),
            rtt.p(99),
            rtt.max(),
            peak
        );
        if let Err(why) = verdict {
            println!("  FAILED: {why}");
            failures.push(attack.name);
        }
        if let Some(err) = healthy.failure() {
            println!("  FAILED: the healthy client broke: {err}");
            failures.push("healthy client");
            break;
        }
    }
    let all = healthy.stop();
    // the connections of the storm are closed: the memory they held is given back (the
    // command's jemalloc returns dirty pages over one second, on a background thread)
    std::thread::sleep(Duration::from_millis(1500));
    let after = ours.rss_kib();
    let alive = ours.alive();
    println!(
        "\nhostile: {ran} attacks in {:.1}s; the healthy client's {} round trips of 1 KiB: \
         p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        started.elapsed().as_secs_f64(),
        all.len(),
        all.p(50),
        all.p(99),
        all.max()
    );
    println!(
        "hostile: our server's RSS {baseline} KiB before, {after} KiB after ({:+.1}%)",
        (after as f64 - baseline as f64) * 100.0 / baseline.max(1) as f64
    );
    if ran > 0 && after as f64 > baseline as f64 * 1.10 {
        failures.push("RSS not back within 10% of its baseline");
    }
    if !alive {
        failures.push("our server exited");
    }
    if ran > 0 && all.is_empty() {
        failures.push("the healthy client made no round trip");
    }
    for s in &skipped {
        println!("hostile: skipped {s}");
    }
    if failures.is_empty() {
        println!("test result: ok. {ran} attacks\n");
    } else {
        for f in &failures {
            println!("failed: {f}");
        }
        println!("test result: FAILED. {}\n", failures.len());
        std::process::exit(1);
    }
}
