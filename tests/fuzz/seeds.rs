//! Each target's seeds: the fixtures (PEM, PFX, keys, certificates), cipher lists from
//! Node's docs and tests, and first flights of real handshakes made in memory by tls-core
//! (TLS 1.3 and TLS 1.2, both directions), plus hand-made old and odd hellos.

use crate::targets::{client_context, join, server_context};
use context::{create_secure_context, SecureContextOptions};
use suite::{fixture, read_fixture, wire};
use tls_core::{ClientOptions, Connection, Now, ServerOptions};

/// The seeds of the target `name`.
pub fn for_target(name: &str) -> Vec<Vec<u8>> {
    let with = |options: &[u8], inputs: Vec<Vec<u8>>| -> Vec<Vec<u8>> {
        inputs
            .into_iter()
            .flat_map(|input| options.iter().map(move |&o| [&[o][..], &input].concat()))
            .collect()
    };
    match name {
        "ciphers" => [
            "DEFAULT",
            "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:!RC4:!aNULL",
            "HIGH:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!SRP:!CAMELLIA",
            "ECDHE+AESGCM:@STRENGTH",
            "AES128-SHA:RC4-SHA",
            "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            "kEECDH+aRSA+CHACHA20:-ALL:+ECDHE-RSA-AES128-GCM-SHA256",
            "ALL:COMPLEMENTOFALL:@SECLEVEL=2",
        ]
        .map(|s| s.as_bytes().to_vec())
        .to_vec(),
        "pem" => pem_files(),
        "private_key" => [
            with(&[1], files("keys", ".pem")),
            with(&[0, 3], pem_files().into_iter().take(8).collect()),
        ]
        .concat(),
        "pfx" => with(&[1, 2], files("pfx", ".pfx")),
        "describe" => certificates(),
        "context" => {
            let key = read_fixture("leaf/rsa2048-key.pem");
            let cert = read_fixture("leaf/rsa2048-chain.pem");
            let root = read_fixture("ca/root-cert.pem");
            let crl = read_fixture("chains/common/root.crl.pem");
            let enc = read_fixture("keys/rsa-pbes2-aes128-sha256.pem");
            vec![
                join(&[&key, &cert, &root, &crl]),
                join(&[&enc, &read_fixture("keys/rsa-cert.pem"), &[], &[]]),
                join(&[&key, &cert, &[], &[]]),
            ]
        }
        "client_hello" => {
            let hellos: Vec<Vec<u8>> = client_flights()
                .into_iter()
                .chain([
                    wire::tls_hello(0x0301, 0x0303),
                    wire::record(22, 0x0301, &wire::client_hello(&[0x1301], &[])),
                ])
                .map(|flight| flight[9..].to_vec())
                .collect();
            with(&[0, 2, 81, 83], hellos)
        }
        "server_flight" => {
            let mut flights = client_flights();
            flights.extend([
                wire::tls_hello(0x0301, 0x0301),
                wire::tls_hello(0x0300, 0x0300),
                wire::sslv2_hello(0x0303, &[0, 0xc0, 0x2f], 31),
                b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
                wire::record(21, 0x0303, &[2, 40]),
            ]);
            with(&[0, 5, 8, 13], flights)
        }
        "client_flight" => with(&[5, 16, 32 + 3], server_flights()),
        other => panic!("no seeds for {other}"),
    }
}

/// The files under `fixtures/<dir>` ending in `ext`.
fn files(dir: &str, ext: &str) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(fixture(dir))
        .unwrap_or_else(|e| panic!("fixtures/{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(ext))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| std::fs::read(p).expect("a fixture"))
        .collect()
}

/// PEM files of every kind: keys, certificates, chains, CRLs.
fn pem_files() -> Vec<Vec<u8>> {
    let mut all = files("keys", ".pem");
    all.extend(files("leaf", ".pem"));
    all.extend(files("ca", ".pem"));
    all.extend(files("node-keys", ".pem").into_iter().take(12));
    all
}

/// The DER of every certificate in the PEM seeds.
fn certificates() -> Vec<Vec<u8>> {
    pem_files()
        .iter()
        .filter_map(|pem| context::pem::parse(pem).ok())
        .flatten()
        .filter(|block| block.label == "CERTIFICATE")
        .map(|block| block.der)
        .collect()
}

/// A client context offering TLS 1.2 at most.
fn tls12_client() -> context::SecureContext {
    let options = SecureContextOptions::new()
        .ca(read_fixture("ca/root-cert.pem"))
        .max_version("TLSv1.2");
    create_secure_context(&options).expect("a TLS 1.2 client context")
}

fn client(ctx: &context::SecureContext) -> Connection {
    let mut options = ClientOptions::new("localhost");
    options.servername = Some("localhost".into());
    options.alpn = vec![b"h2".to_vec()];
    options.request_ocsp = true;
    Connection::client(ctx, options, Now::system()).expect("a client")
}

/// Our client's first flights, TLS 1.3 (and 1.2) and TLS 1.2 only.
fn client_flights() -> Vec<Vec<u8>> {
    [client_context(), &tls12_client()]
        .map(|ctx| {
            let mut out = Vec::new();
            client(ctx).poll_transmit(&mut out);
            out
        })
        .to_vec()
}

/// Our server's answers to those flights (ServerHello through its Finished, or through
/// ServerHelloDone in TLS 1.2).
fn server_flights() -> Vec<Vec<u8>> {
    client_flights()
        .iter()
        .map(|flight| {
            let mut server =
                Connection::server(server_context(), ServerOptions::default(), Now::system())
                    .expect("a server");
            server.feed(flight);
            while server.poll_event().is_some() {}
            let mut out = Vec::new();
            server.poll_transmit(&mut out);
            out
        })
        .collect()
}
