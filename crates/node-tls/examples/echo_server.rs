//! The first example of Node's `tls` docs: an echo server that asks for a client
//! certificate, says `welcome!` and echoes what it reads.
//!
//! ```text
//! cargo run -p node-tls --example echo_server
//! cargo run -p node-tls --example echo_client      # in another terminal
//! openssl s_client -connect 127.0.0.1:8000        # or this
//! ```
//!
//! The key and certificates are the repository's `fixtures/spec`, made with the docs'
//! own `openssl` commands.

use node_tls::{create_server, EventLoop, Server, ServerOptions};
use std::error::Error;
use std::path::Path;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/spec");
    let ev = EventLoop::new()?;
    let server = echo_server(&ev, &dir, |line| println!("{line}"))?;
    server.listen(8000, "127.0.0.1")?;
    println!("server bound");
    ev.run()?;
    Ok(())
}

/// The docs' `tls.createServer(options, listener)` on `ev`, not yet listening; `log`
/// gets the lines Node's example prints with `console.log`.
pub fn echo_server(
    ev: &EventLoop,
    dir: &Path,
    log: impl Fn(&str) + 'static,
) -> Result<Server, Box<dyn Error>> {
    let options = ServerOptions::new()
        .key(std::fs::read(dir.join("server-key.pem"))?)
        .cert(std::fs::read(dir.join("server-cert.pem"))?)
        // This is necessary only if using the client certificate authentication.
        .request_cert(true)
        // This is necessary only if the client uses the self-signed certificate.
        .ca(std::fs::read(dir.join("client-cert.pem"))?);
    let server = create_server(ev, options)?;
    server.on_secure_connection(move |socket| {
        let how = if socket.authorized() {
            "authorized"
        } else {
            "unauthorized"
        };
        log(&format!("server connected {how}"));
        socket.write(b"welcome!\n");
        // `socket.pipe(socket)`: the echo, with back-pressure (a client that stops
        // reading stops this server reading from it).
        socket.pipe(socket, true);
    });
    Ok(server)
}
