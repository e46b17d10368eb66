//! The docs' second server: the same echo, its key and certificate from one PKCS#12
//! file. It asks for a client certificate but trusts none (no `ca`), so clients are
//! `unauthorized` and still served (`rejectUnauthorized` is false for servers).
//!
//! ```text
//! cargo run -p node-tls --example pfx_server
//! openssl s_client -connect 127.0.0.1:8000
//! ```
//!
//! `fixtures/spec/server.pfx` was made by `openssl pkcs12 -export` (OpenSSL 3's
//! default AES-256 and PBKDF2) with the passphrase `secret`.

use node_tls::{create_server, EventLoop, Server, ServerOptions};
use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let pfx = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/spec/server.pfx");
    let ev = EventLoop::new()?;
    let server = pfx_server(&ev, &pfx, "secret")?;
    server.listen(8000, "127.0.0.1")?;
    println!("server bound");
    ev.run()?;
    Ok(())
}

/// The echo server of the docs with `pfx` (and its `passphrase`), not yet listening.
pub fn pfx_server(ev: &EventLoop, pfx: &Path, passphrase: &str) -> Result<Server, Box<dyn Error>> {
    let options = ServerOptions::new()
        .pfx(std::fs::read(pfx)?)
        .passphrase(passphrase)
        // This is necessary only if using the client certificate authentication.
        .request_cert(true);
    let server = create_server(ev, options)?;
    server.on_secure_connection(|socket| {
        let how = if socket.authorized() {
            "authorized"
        } else {
            "unauthorized"
        };
        println!("server connected {how}");
        socket.write(b"welcome!\n");
        socket.pipe(socket, true);
    });
    Ok(server)
}
