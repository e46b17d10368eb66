//! Node's `net` module, as far as STARTTLS needs it: plain TCP connections and servers
//! on the same loop, speaking plaintext first and upgraded to TLS in place
//! ([`crate::ConnectOptions::socket`] for a client, [`crate::TlsSocket::wrap_server`]
//! for a server side), as SMTP, IMAP or Postgres do.
//!
//! A plain socket is a [`TlsSocket`] whose `encrypted()` is `false`: the same events
//! (`connect`, `data`, `end`, `error`, `close`, `drain`, `timeout`), writes, `end`,
//! `destroy`, `pause`, `pipe` and back-pressure, with no TLS in between.

use crate::server::ServerState;
use crate::Error;
use crate::{EventLoop, Server, TlsSocket};

/// `net.connect(port, host)`: a plain TCP connection (`'connect'` when it is up).
pub fn connect(ev: &EventLoop, port: u16, host: &str) -> Result<TlsSocket, Error> {
    crate::open_socket(ev, host, port, None, None, tls_core::Connection::plain())
}

/// `net.connect(path)`: a plain Unix-domain connection.
pub fn connect_path(ev: &EventLoop, path: impl AsRef<std::path::Path>) -> Result<TlsSocket, Error> {
    let path = path.as_ref();
    crate::open_socket(
        ev,
        "localhost",
        0,
        Some(path),
        None,
        tls_core::Connection::plain(),
    )
}

/// `new net.Socket({ fd })`: a TCP connection made elsewhere (a std `TcpStream`,
/// connected or accepted by other code, handed over by socket activation...) joins the
/// loop as a plain socket, ready to be upgraded. It is set non-blocking.
pub fn adopt(ev: &EventLoop, stream: std::net::TcpStream) -> Result<TlsSocket, Error> {
    crate::adopt_stream(ev, stream)
}

/// `net.createServer()`: a plain TCP server on `ev`, not yet listening; each
/// connection is `'connection'` ([`Server::on_connection`]) with a plain socket.
pub fn create_server(ev: &EventLoop) -> Result<Server, Error> {
    Ok(crate::insert_server(ev, ServerState::plain()))
}
