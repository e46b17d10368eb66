//! One echo server on every core: a loop per thread, all listening on one port
//! (`SO_REUSEPORT`, Node's `reusePort`) and sharing one `SecureContext`, so a session
//! issued on one loop resumes on any other. The kernel spreads the connections.
//!
//! ```text
//! cargo run -p node-tls --example threads          # then: openssl s_client -connect 127.0.0.1:8000
//! ```

use node_tls::{
    create_secure_context, create_server, EventLoop, Remote, SecureContext, SecureContextOptions,
    ServerOptions,
};
use std::error::Error;
use std::path::Path;
use std::sync::mpsc;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/spec");
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (port, loops) = serve_on_threads(&dir, 8000, threads)?;
    println!("server bound on port {port}, {threads} loops");
    for (handle, _) in loops {
        let _ = handle.join();
    }
    Ok(())
}

/// What stops a loop: a message, then a wake-up.
pub type Stop = (mpsc::Sender<()>, Remote);

/// A loop's thread, and what stops it.
pub type Loop = (std::thread::JoinHandle<()>, Stop);

/// Starts `threads` loops serving the docs' echo on `port` (0: a free one, the same
/// for all); returns the port and the loops.
pub fn serve_on_threads(
    dir: &Path,
    port: u16,
    threads: usize,
) -> Result<(u16, Vec<Loop>), Box<dyn Error>> {
    let context = create_secure_context(
        &SecureContextOptions::new()
            .key(std::fs::read(dir.join("server-key.pem"))?)
            .cert(std::fs::read(dir.join("server-cert.pem"))?),
    )?;
    let mut port = port;
    let mut loops = Vec::new();
    for _ in 0..threads {
        let (ready_tx, ready) = mpsc::channel();
        let context = context.clone();
        let handle = std::thread::spawn(move || one_loop(context, port, ready_tx));
        let (bound, stop) = ready.recv()?.map_err(|e: String| e)?;
        port = bound;
        loops.push((handle, stop));
    }
    Ok((port, loops))
}

/// One thread's loop: its own server on the shared port and context.
fn one_loop(context: SecureContext, port: u16, ready: mpsc::Sender<Result<(u16, Stop), String>>) {
    let started = (|| {
        // An EventLoop and its handles stay on the thread that made them.
        let ev = EventLoop::new().map_err(|e| e.to_string())?;
        let server = create_server(&ev, ServerOptions::new().secure_context(context))
            .map_err(|e| e.to_string())?;
        server.on_secure_connection(|socket| {
            socket.pipe(socket, true);
        });
        let bound = server
            .listen_reuse_port(port, "127.0.0.1")
            .map_err(|e| e.to_string())?;
        Ok::<_, String>((ev, server, bound.port()))
    })();
    let (ev, server) = match started {
        Ok((ev, server, bound)) => {
            let (stop_tx, stop) = mpsc::channel::<()>();
            let _ = ready.send(Ok((bound, (stop_tx, ev.remote()))));
            let s = server.clone();
            ev.on_wake(move || {
                if stop.try_recv().is_ok() {
                    s.close();
                }
            });
            (ev, server)
        }
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    let _ = ev.run();
    drop(server);
}
