//! Server Name Indication: one server, a certificate per host name. The default one
//! (`localhost`, `*.example.com`) comes from `key`/`cert`; `other.example.org` gets its
//! own context through `server.addContext`, chosen by the name the client sends.
//!
//! ```text
//! cargo run -p node-tls --example sni
//! ```

use node_tls::{
    connect, create_secure_context, create_server, ConnectOptions, EventLoop, SecureContextOptions,
    ServerOptions,
};
use std::cell::RefCell;
use std::error::Error;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    for line in sni(&dir)? {
        println!("{line}");
    }
    Ok(())
}

/// Connects once per name; returns, per name, the servername the server saw and the
/// names the certificate it served is valid for.
pub fn sni(fixtures: &Path) -> Result<Vec<String>, Box<dyn Error>> {
    let read = |name: &str| std::fs::read(fixtures.join(name));
    let ev = EventLoop::new()?;
    let other = create_secure_context(
        &SecureContextOptions::new()
            .key(read("leaf/othername-key.pem")?)
            .cert(
                [
                    read("leaf/othername-cert.pem")?,
                    read("ca/intermediate-cert.pem")?,
                ]
                .concat(),
            ),
    )?;
    let server = create_server(
        &ev,
        ServerOptions::new()
            .key(read("leaf/rsa2048-key.pem")?)
            .cert(read("leaf/rsa2048-chain.pem")?),
    )?;
    server.add_context("other.example.org", other);
    let log = Rc::new(RefCell::new(Vec::new()));
    let l = log.clone();
    server.on_secure_connection(move |socket| {
        let name = socket.servername().unwrap_or_default();
        l.borrow_mut().push(format!("server: servername {name}"));
        socket.end();
    });
    let port = server.listen(0, "127.0.0.1")?.port();
    let names = ["localhost", "www.example.com", "other.example.org"];
    let done = Rc::new(RefCell::new(0));
    for name in names {
        let socket = connect(
            &ev,
            ConnectOptions::new(port)
                .host("127.0.0.1")
                .servername(name)
                .ca(read("ca/root-cert.pem")?),
        )?;
        let l = log.clone();
        socket.on_secure_connect(move |socket| {
            let peer = socket.get_peer_certificate(false).unwrap_or_default();
            let names = peer.first().and_then(|c| c.subjectaltname.clone());
            let names = names.unwrap_or_default();
            let authorized = socket.authorized();
            l.borrow_mut().push(format!(
                "{name}: authorized {authorized}, certificate for {names}"
            ));
        });
        let l = log.clone();
        socket.on_error(move |_, err| l.borrow_mut().push(format!("{name}: {}", err.code())));
        let d = done.clone();
        socket.on_close(move |_, _| *d.borrow_mut() += 1);
    }
    ev.run_until(|| *done.borrow() == names.len(), Duration::from_secs(10))?;
    server.close();
    ev.run()?;
    let lines = log.borrow().clone();
    Ok(lines)
}
