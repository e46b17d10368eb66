//! The interop matrix: our server against real clients and our client against real
//! servers, one cell per peer x direction x protocol version x key type x feature, each
//! cell a handshake (or two) over loopback checked from both ends. Peers: Node 20's tls
//! module (`peer.js`), `openssl s_server`/`s_client`, `curl` (client only, against an HTTP
//! responder built on the library, `http.rs`), Python's `ssl` module (`peer.py`).
//!
//! `cargo test -p node-tls-cli --test interop [-- FILTER]` runs it alone (FILTER: a
//! substring of cell names such as `curl` or `TLSv1.2/ed25519`); `INTEROP_JOBS` sets how
//! many cells run at once (default 4). The matrix (passed / total per peer, direction and
//! feature) is printed at the end. Under `CI=true` a missing peer tool fails the run;
//! elsewhere its cells are counted as skipped, on a summary line.
#![forbid(unsafe_code)]

mod cells;
mod http;
mod peers;

use cells::{Cell, Feature, Key, Outcome, Peer, Side, Version};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        // what `cargo test -- --list` and nextest ask for
        for cell in cells::all() {
            println!("{}: test", cell.name());
        }
        return;
    }
    let filter = args.iter().find(|a| !a.starts_with('-')).cloned();
    let cells: Vec<Cell> = cells::all()
        .into_iter()
        .filter(|c| {
            filter
                .as_ref()
                .is_none_or(|f| c.name().contains(f.as_str()))
        })
        .collect();
    let mut tools = BTreeMap::new();
    for peer in Peer::ALL {
        tools.insert(peer, suite::have(peer.tool()));
    }
    let jobs: usize = std::env::var("INTEROP_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(4);
    println!("\nrunning {} interop cells, {jobs} at a time", cells.len());
    let started = Instant::now();
    let queue = Arc::new(Mutex::new(cells.clone()));
    let results = Arc::new(Mutex::new(Vec::new()));
    let workers: Vec<_> = (0..jobs.max(1))
        .map(|_| {
            let (queue, results, tools) = (queue.clone(), results.clone(), tools.clone());
            std::thread::spawn(move || loop {
                let Some(cell) = queue.lock().unwrap().pop() else {
                    return;
                };
                let t = Instant::now();
                let outcome = if !tools[&cell.peer] {
                    Outcome::Skipped(format!("`{}` not found", cell.peer.tool()))
                } else {
                    cells::run(&cell)
                };
                let line = match &outcome {
                    Outcome::Pass => "ok".to_string(),
                    Outcome::CannotExpress(why) => format!("cannot express ({why})"),
                    Outcome::Skipped(why) => format!("skipped ({why})"),
                    Outcome::Fail(why) => format!("FAILED\n{why}\n"),
                };
                println!("cell {} ... {line} [{:.1?}]", cell.name(), t.elapsed());
                results.lock().unwrap().push((cell, outcome));
            })
        })
        .collect();
    for w in workers {
        w.join().expect("a worker catches every panic");
    }
    let results = std::mem::take(&mut *results.lock().unwrap());
    let failed = report(&results);
    println!(
        "\ninterop: {} cells in {:.1?}",
        results.len(),
        started.elapsed()
    );
    if failed > 0 {
        println!("test result: FAILED. {failed} interop cells failed");
        std::process::exit(1);
    }
    println!("test result: ok. {} interop cells", results.len());
}

/// Prints the matrix; returns how many cells failed.
fn report(results: &[(Cell, Outcome)]) -> usize {
    // (side, peer) -> feature -> (passed, ran, cannot express, skipped)
    let mut table: BTreeMap<(Side, Peer), BTreeMap<Feature, [usize; 4]>> = BTreeMap::new();
    let mut failed = Vec::new();
    for (cell, outcome) in results {
        let counts = table
            .entry((cell.side, cell.peer))
            .or_default()
            .entry(cell.feature)
            .or_default();
        match outcome {
            Outcome::Pass => {
                counts[0] += 1;
                counts[1] += 1;
            }
            Outcome::Fail(_) => {
                counts[1] += 1;
                failed.push(cell.name());
            }
            Outcome::CannotExpress(_) => counts[2] += 1,
            Outcome::Skipped(_) => counts[3] += 1,
        }
    }
    println!(
        "\ninterop matrix: cells passed / run, over {} versions x {} key types \
         (`-`: the peer cannot express it; `skip`: the peer tool is missing)\n",
        Version::ALL.len(),
        Key::ALL.len()
    );
    print!("{:<30}", "");
    for f in Feature::ALL {
        print!("{:>9}", f.name());
    }
    println!("{:>10}", "all");
    let (mut passed, mut ran, mut skipped) = (0, 0, 0);
    for ((side, peer), row) in &table {
        print!("{:<30}", format!("{} <-> {}", side.name(), peer.name()));
        let (mut p, mut r) = (0, 0);
        for f in Feature::ALL {
            let c = row.get(&f).copied().unwrap_or_default();
            let text = if c[1] > 0 {
                format!("{}/{}", c[0], c[1])
            } else if c[2] > 0 {
                "-".to_string()
            } else if c[3] > 0 {
                "skip".to_string()
            } else {
                String::new()
            };
            print!("{text:>9}");
            p += c[0];
            r += c[1];
            skipped += c[3];
        }
        println!("{:>10}", format!("{p}/{r}"));
        passed += p;
        ran += r;
    }
    println!("\ninterop: {passed} of {ran} cells passed");
    if skipped > 0 {
        println!("interop: {skipped} cells SKIPPED: a peer tool is not installed");
    }
    for name in &failed {
        println!("failed: {name}");
    }
    failed.len()
}
