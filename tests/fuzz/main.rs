//! The fuzz targets of `fuzz/targets.rs` on stable Rust, in `cargo test`: no coverage
//! guidance (that is `cargo fuzz`, nightly: `fuzz/README.md`), but seeds made from the
//! fixtures and from real handshakes, havoc mutations (bit flips, interesting bytes and
//! lengths, inserts, deletes, copies, splices), and a corpus that keeps every input whose
//! outcome (the word the target returns: an error code, the events seen) is new. Each
//! target runs for `FUZZ_SECONDS` (default 2); a panic, or an input slower than
//! `SLOW`, fails the run and is saved under `fuzz/regressions/<target>/`, whose files
//! every run replays first.
//!
//! `cargo test --test fuzz -- [--seconds N] [--target NAME] [--seed N] [--write-seeds DIR]`

#![forbid(unsafe_code)]

mod seeds;
#[allow(dead_code, missing_docs)]
#[path = "../../fuzz/targets.rs"]
mod targets;

use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use suite::Rng;

/// An input slower than this is a failure (a hang, or a cost a peer could impose): 2 s
/// optimised, 5 s in the test profile, where the TLS stack itself is not optimised.
const SLOW: Duration = Duration::from_secs(if cfg!(debug_assertions) { 5 } else { 2 });
/// The longest input the mutator makes.
const MAX_LEN: usize = 70_000;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seconds: f64 = value("--seconds")
        .or_else(|| std::env::var("FUZZ_SECONDS").ok())
        .map_or(2.0, |s| s.parse().expect("--seconds N"));
    let seed: u64 = value("--seed").map_or_else(
        || {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        },
        |s| s.parse().expect("--seed N"),
    );
    let only = value("--target");
    if let Some(dir) = value("--write-seeds") {
        for (name, _) in targets::TARGETS {
            let dir = PathBuf::from(&dir).join(name);
            std::fs::create_dir_all(&dir).expect("seed directory");
            for (i, input) in seeds::for_target(name).iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i:03}")), input).expect("write seed");
            }
        }
        return;
    }
    // the panic message of the input that failed, not one per attempt on stderr
    let message = Arc::new(Mutex::new(String::new()));
    let keep = message.clone();
    std::panic::set_hook(Box::new(move |info| {
        *keep.lock().unwrap() = info.to_string()
    }));
    println!("fuzz: seed {seed}, {seconds} s per target");
    let mut failures = Vec::new();
    for &(name, target) in targets::TARGETS {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let run = |input: &[u8]| -> Result<String, String> {
            let start = Instant::now();
            let outcome = catch_unwind(AssertUnwindSafe(|| target(input)))
                .map_err(|_| format!("panicked: {}", message.lock().unwrap()))?;
            let took = start.elapsed();
            if took > SLOW {
                return Err(format!("took {took:?}"));
            }
            Ok(outcome)
        };
        let regressions = suite::root().join("fuzz/regressions").join(name);
        let mut replayed = 0;
        for entry in std::fs::read_dir(&regressions)
            .into_iter()
            .flatten()
            .flatten()
        {
            let input = std::fs::read(entry.path()).expect("read a regression");
            replayed += 1;
            if let Err(e) = run(&input) {
                failures.push(format!("{name}: {} {e}", entry.path().display()));
            }
        }
        let mut corpus = seeds::for_target(name);
        let mut outcomes = HashSet::new();
        for input in &corpus {
            match run(input) {
                Ok(outcome) => {
                    outcomes.insert(outcome);
                }
                Err(e) => failures.push(format!("{name}: a seed {e}")),
            }
        }
        let mut rng = Rng::new(seed ^ fnv(name.as_bytes()));
        let deadline = Instant::now() + Duration::from_secs_f64(seconds);
        let mut execs = 0u64;
        while Instant::now() < deadline {
            let input = mutate(&mut rng, &corpus);
            execs += 1;
            match run(&input) {
                Ok(outcome) => {
                    if outcomes.insert(outcome) {
                        corpus.push(input);
                    }
                }
                Err(e) => {
                    let file = regressions.join(format!("crash-{:016x}", fnv(&input)));
                    std::fs::create_dir_all(&regressions).expect("regression directory");
                    std::fs::write(&file, &input).expect("save the input");
                    failures.push(format!("{name}: {} {e}", file.display()));
                    break;
                }
            }
        }
        println!(
            "fuzz {name:14} {execs:>8} execs  {:>4} outcomes  corpus {:>4}  {replayed} regressions replayed",
            outcomes.len(),
            corpus.len(),
        );
    }
    let _ = std::panic::take_hook();
    if !failures.is_empty() {
        eprintln!("fuzz failures (rerun with --seed {seed}):");
        for f in &failures {
            eprintln!("  {f}");
        }
        std::process::exit(1);
    }
}

/// FNV-1a, to name saved inputs and to vary the seed per target.
fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf29ce484222325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100000001b3)
    })
}

/// A corpus entry changed by 1 to 8 havoc steps.
fn mutate(rng: &mut Rng, corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut data = corpus[rng.below(corpus.len() as u64) as usize].clone();
    for _ in 0..1 + rng.below(8) {
        let len = data.len() as u64;
        let at = |rng: &mut Rng| rng.below(len + 1) as usize;
        match rng.below(10) {
            // flip a bit
            0 if len > 0 => {
                let i = rng.below(len) as usize;
                data[i] ^= 1 << rng.below(8);
            }
            // an interesting byte
            1 if len > 0 => {
                let i = rng.below(len) as usize;
                data[i] = [0, 1, 0x7f, 0x80, 0xff, 3, 4, 0x16, 0x17][rng.below(9) as usize];
            }
            // an interesting 16-bit length (TLS's are 8, 16 and 24 bits)
            2 if len > 1 => {
                let i = rng.below(len - 1) as usize;
                let v: u16 = [0, 1, 0xff, 0x100, 0x3fff, 0x4000, 0x4001, 0x7fff, 0xffff]
                    [rng.below(9) as usize];
                data[i..i + 2].copy_from_slice(&v.to_be_bytes());
            }
            // a length nudged
            3 if len > 0 => {
                let i = rng.below(len) as usize;
                data[i] = data[i].wrapping_add(rng.below(5) as u8).wrapping_sub(2);
            }
            // random bytes inserted
            4 => {
                let i = at(rng);
                let n = 1 + rng.below(16) as usize;
                let bytes = rng.bytes(n);
                data.splice(i..i, bytes);
            }
            // a range deleted
            5 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = 1 + rng.below((len - i as u64).min(64)) as usize;
                data.drain(i..i + n);
            }
            // a range copied elsewhere
            6 if len > 0 => {
                let i = rng.below(len) as usize;
                let n = 1 + rng.below((len - i as u64).min(256)) as usize;
                let piece = data[i..i + n].to_vec();
                let j = at(rng);
                data.splice(j..j, piece);
            }
            // spliced with another entry
            7 => {
                let other = &corpus[rng.below(corpus.len() as u64) as usize];
                let i = at(rng);
                let j = rng.below(other.len() as u64 + 1) as usize;
                data.truncate(i);
                data.extend(&other[j..]);
            }
            // truncated
            8 => {
                let i = at(rng);
                data.truncate(i);
            }
            // the first byte (the targets' options) changed
            _ if len > 0 => data[0] = rng.below(256) as u8,
            _ => data.push(rng.below(256) as u8),
        }
        data.truncate(MAX_LEN);
    }
    data
}
