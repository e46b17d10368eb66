//! The chain decision against Node 20's recorded verdicts on the corpus
//! (`fixtures/chains/node-verdicts.json`, written by `fixtures/chains/make.sh` from
//! `tests/node/chain_verdicts.js`), without a handshake and without Node: every check
//! of the port has cases there (v1 at each position, EKU and keyUsage purposes, CA
//! flags, path length, dates, name constraints, CRLs v1/v2, trust settings). The
//! live comparison, through handshakes, is `tests/chain_corpus.rs`.

use crate::{create_secure_context, Purpose, SecureContextOptions};
use rustls::pki_types::{CertificateDer, UnixTime};
use serde_json::Value;

fn read(path: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn json(path: &str) -> Value {
    serde_json::from_slice(&read(path)).unwrap()
}

#[test]
fn the_port_gives_nodes_verdict_for_every_recorded_chain() {
    let cases = json("chains/cases.json");
    let node = json("chains/node-verdicts.json");
    let now = UnixTime::now();
    let (mut checked, mut failures) = (0, Vec::new());
    for case in cases["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let mut options = SecureContextOptions::new();
        for ca in case["ca"].as_array().into_iter().flatten() {
            options = options.ca(read(ca.as_str().unwrap()));
        }
        for crl in case["crl"].as_array().into_iter().flatten() {
            options = options.crl(read(crl.as_str().unwrap()));
        }
        let Ok(ctx) = create_secure_context(&options) else {
            continue;
        };
        let chain: Vec<CertificateDer<'static>> =
            crate::credentials::certificates(&read(case["chain"].as_str().unwrap()), "cert")
                .unwrap();
        for (side, purpose) in [("server", Purpose::Server), ("client", Purpose::Client)] {
            let expected = node[name][side].as_str().unwrap_or("?");
            if expected.contains(':') || name == "sig-sha512_leaf" {
                continue; // a configuration or handshake outcome, or ring's missing hash
            }
            let ours = match ctx.verify_peer(&chain, now, purpose) {
                Ok(()) => "AUTHORIZED",
                Err(code) => code.code(),
            };
            checked += 1;
            if ours != expected {
                failures.push(format!("{name} {side}: node={expected} ours={ours}"));
            }
        }
    }
    assert!(checked > 400, "only {checked} verdicts checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn pem_chain(path: &str) -> Vec<CertificateDer<'static>> {
    crate::credentials::certificates(&read(path), "cert").unwrap()
}

#[test]
fn a_client_only_leaf_under_a_ca_is_refused_as_a_server() {
    // Security regression: a leaf issued directly by a `ca` certificate took a path
    // that skipped the purpose check, so a clientAuth-only certificate was an
    // `authorized` server. Node 20 says INVALID_PURPOSE.
    let ctx =
        create_secure_context(&SecureContextOptions::new().ca(read("client/client-ca-cert.pem")))
            .unwrap();
    let chain = pem_chain("client/client1-cert.pem");
    let now = UnixTime::now();
    assert_eq!(
        ctx.verify_peer(&chain, now, Purpose::Server),
        Err(crate::VerifyCode::InvalidPurpose)
    );
    assert_eq!(ctx.verify_peer(&chain, now, Purpose::Client), Ok(()));
}

#[test]
fn an_issuer_that_is_not_a_ca_is_refused_on_every_path() {
    // CA:FALSE as the trusted issuer itself (the short path), and in the middle.
    let now = UnixTime::now();
    for case in ["root-ca-false_direct", "root-ca-false", "int-ca-false"] {
        let dir = format!("chains/{case}");
        let mut options = SecureContextOptions::new();
        let cases = json("chains/cases.json");
        let entry = cases["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == case)
            .unwrap()
            .clone();
        for ca in entry["ca"].as_array().unwrap() {
            options = options.ca(read(ca.as_str().unwrap()));
        }
        let ctx = create_secure_context(&options).unwrap();
        let chain = pem_chain(&format!("{dir}/chain.pem"));
        for purpose in [Purpose::Server, Purpose::Client] {
            let verdict = ctx.verify_peer(&chain, now, purpose);
            assert_eq!(verdict, Err(crate::VerifyCode::InvalidPurpose), "{case}");
        }
    }
}
