//! Mutual TLS in one process: a server that requires a client certificate from its
//! own CA (`requestCert` and `rejectUnauthorized`), a client that has one, and a client
//! whose certificate comes from another CA and is refused. The refusal is what Node 20
//! shows (measured): the server's `tlsClientError` is `ECONNRESET` ("socket hang up"),
//! the refused TLS 1.3 client sees `secureConnect`, no echo, then `close` without error.
//!
//! ```text
//! cargo run -p node-tls --example mutual_tls
//! ```

use node_tls::{connect, create_server, ConnectOptions, EventLoop, ServerOptions};
use std::cell::RefCell;
use std::error::Error;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for line in mutual_tls(&dir)? {
        println!("{line}");
    }
    Ok(())
}

/// Runs the server and both clients on one loop; returns what each side saw, one
/// line per event.
pub fn mutual_tls(fixtures: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    let read = |name: &str| std::fs::read(fixtures.join(name));
    let ev = EventLoop::new()?;
    let log = Rc::new(RefCell::new(Vec::new()));
    let server = create_server(
        &ev,
        ServerOptions::new()
            .key(read("leaf/rsa2048-key.pem")?)
            .cert(read("leaf/rsa2048-chain.pem")?)
            .ca(read("client/client-ca-cert.pem")?)
            .request_cert(true)
            .reject_unauthorized(true),
    )?;
    let l = log.clone();
    server.on_secure_connection(move |socket| {
        let peer = socket.get_peer_certificate(false).unwrap_or_default();
        let cn = peer.first().and_then(|c| common_name(&c.subject));
        l.borrow_mut()
            .push(format!("server: {} connected", cn.unwrap_or("?")));
        socket.pipe(socket, true);
    });
    let l = log.clone();
    server.on_client_error(move |_, err| {
        l.borrow_mut()
            .push(format!("server: refused a client ({})", err.code()));
    });
    let port = server.listen(0, "127.0.0.1")?.port();

    let done = Rc::new(RefCell::new(0));
    for (who, key, cert) in [
        (
            "client1",
            "client/client1-key.pem",
            "client/client1-cert.pem",
        ),
        (
            "rogue",
            "client/rogue-client-key.pem",
            "client/rogue-client-cert.pem",
        ),
    ] {
        let socket = connect(
            &ev,
            ConnectOptions::new(port)
                .key(read(key)?)
                .cert(read(cert)?)
                .ca(read("ca/root-cert.pem")?),
        )?;
        let l = log.clone();
        socket.on_secure_connect(move |socket| {
            // TLS 1.3: the client is done before the server has judged its certificate
            // (Node's client too gets 'secureConnect', then 'end', for a refused one).
            l.borrow_mut().push(format!("{who}: secureConnect"));
            socket.write(b"ping");
        });
        let l = log.clone();
        socket.on_data(move |socket, data| {
            let text = String::from_utf8_lossy(data);
            l.borrow_mut().push(format!("{who}: echoed {text}"));
            socket.end();
        });
        let l = log.clone();
        socket.on_error(move |_, err| l.borrow_mut().push(format!("{who}: {}", err.code())));
        let d = done.clone();
        let l = log.clone();
        socket.on_close(move |_, had_error| {
            l.borrow_mut()
                .push(format!("{who}: close, hadError {had_error}"));
            *d.borrow_mut() += 1;
        });
    }
    ev.run_until(|| *done.borrow() == 2, Duration::from_secs(10))?;
    server.close();
    ev.run()?;
    let lines = log.borrow().clone();
    Ok(lines)
}

/// The `CN` of a certificate's subject.
fn common_name(subject: &[(String, Vec<String>)]) -> Option<&str> {
    let (_, values) = subject.iter().find(|(name, _)| name == "CN")?;
    values.first().map(String::as_str)
}
