//! The docs' client of the echo server: connects with a client certificate, then
//! sends what it reads on stdin and prints what comes back.
//!
//! ```text
//! cargo run -p node-tls --example echo_server     # first, in another terminal
//! echo hello | cargo run -p node-tls --example echo_client
//! ```
//!
//! stdin blocks, and the loop must not: a thread reads it and hands each chunk to the
//! loop through a channel and a [`Remote`] wake-up, the way any other thread talks to
//! an [`EventLoop`].

use node_tls::{connect, ConnectOptions, EventLoop, Remote, TlsSocket};
use std::error::Error;
use std::io::Read;
use std::path::Path;
use std::sync::mpsc;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/spec");
    let ev = EventLoop::new()?;
    let socket = echo_client(&ev, 8000, &dir, |text| println!("{text}"))?;
    // `process.stdin.pipe(socket)`, once connected.
    let remote = ev.remote();
    pipe_on_connect(&ev, &socket, remote, std::io::stdin);
    ev.run()?;
    Ok(())
}

/// The docs' `tls.connect(8000, options, callback)` to `localhost:port`; `print` gets
/// the lines Node's example prints (`client connected authorized`, each chunk).
pub fn echo_client(
    ev: &EventLoop,
    port: u16,
    dir: &Path,
    print: impl Fn(&str) + Clone + 'static,
) -> Result<TlsSocket, Box<dyn Error>> {
    let options = ConnectOptions::new(port)
        // These are necessary only if using the client certificate authentication
        .key(std::fs::read(dir.join("client-key.pem"))?)
        .cert(std::fs::read(dir.join("client-cert.pem"))?)
        // This is necessary only if the server uses the self-signed certificate
        .ca(std::fs::read(dir.join("server-cert.pem"))?);
    let socket = connect(ev, options)?;
    let p = print.clone();
    socket.on_secure_connect(move |socket| {
        let how = if socket.authorized() {
            "authorized"
        } else {
            "unauthorized"
        };
        p(&format!("client connected {how}"));
    });
    socket.on_text(move |_, text| print(text));
    Ok(socket)
}

/// Once `socket` is connected, copies everything `input()` yields to it, then ends it:
/// a thread reads, the loop writes.
pub fn pipe_on_connect<R: Read + 'static>(
    ev: &EventLoop,
    socket: &TlsSocket,
    remote: Remote,
    input: impl FnOnce() -> R + Send + 'static,
) {
    let (tx, rx) = mpsc::channel::<Option<Vec<u8>>>();
    let writer = socket.clone();
    // On the loop's thread, each time the reader wakes it: write what came.
    ev.on_wake(move || {
        while let Ok(chunk) = rx.try_recv() {
            match chunk {
                Some(bytes) => {
                    writer.write(&bytes);
                }
                None => writer.end(),
            }
        }
    });
    let mut reader = Some((tx, remote, input));
    socket.on_secure_connect(move |_| {
        let Some((tx, remote, input)) = reader.take() else {
            return;
        };
        std::thread::spawn(move || {
            let mut input = input();
            let mut buf = [0u8; 16 * 1024];
            loop {
                let chunk = match input.read(&mut buf) {
                    Ok(0) | Err(_) => None,
                    Ok(n) => Some(buf[..n].to_vec()),
                };
                let last = chunk.is_none();
                if tx.send(chunk).is_err() || remote.wake().is_err() || last {
                    return;
                }
            }
        });
    });
}
