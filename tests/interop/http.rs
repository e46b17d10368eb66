//! What curl talks to: an HTTPS responder built on the `node-tls` library (our echo
//! command never ends a response, and curl needs one to end to resume on the next
//! connection). It answers every request with `Connection: close` and a JSON body of the
//! server's view of the connection; the same views (and every `clientError`) go to a log
//! the cell reads.

use crate::peers::{b64, ServerSetup};
use node_tls::{create_secure_context, create_server, EventLoop, SecureContextOptions};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};

/// A responder running on its own thread; dropped, it closes and the thread ends.
pub struct Responder {
    pub port: u16,
    pub log: Arc<Mutex<Vec<Value>>>,
    stop: Arc<AtomicBool>,
    remote: node_tls::Remote,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.remote.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn read(path: &std::path::Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn context(
    setup: &ServerSetup,
    key: &std::path::Path,
    chain: &std::path::Path,
) -> SecureContextOptions {
    let mut options = SecureContextOptions::new().key(read(key)).cert(read(chain));
    if let Some(ca) = &setup.ca {
        options = options.ca(read(ca));
    }
    for crl in &setup.crls {
        options = options.crl(read(crl));
    }
    options
}

/// The view a server has of one connection, as the cells compare them.
pub fn view(sock: &node_tls::TlsSocket) -> Value {
    json!({
        "connected": true,
        "protocol": sock.get_protocol(),
        "alpn": sock.alpn_protocol(),
        "reused": sock.is_session_reused(),
        "servername": sock.servername(),
        "authorized": sock.authorized(),
        "authorizationError": sock.authorization_error(),
        "peer": sock.get_peer_certificate(false)
            .and_then(|chain| chain.into_iter().next())
            .map(|c| b64(&c.raw)),
    })
}

/// Starts the responder for `setup` (our side: no version limit of its own).
pub fn start(setup: ServerSetup) -> Responder {
    let log = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let (l, s) = (log.clone(), stop.clone());
    let thread = std::thread::spawn(move || {
        let ev = EventLoop::new().expect("event loop");
        let ctx = create_secure_context(&context(&setup, &setup.key, &setup.chain))
            .expect("the responder's context");
        let mut options = node_tls::ServerOptions::new()
            .secure_context(ctx)
            .request_cert(setup.request_cert)
            .reject_unauthorized(setup.reject);
        if let Some(list) = &setup.alpn {
            options = options.alpn_protocols(list.clone()).expect("ALPN list");
        }
        let server = create_server(&ev, options).expect("server");
        if let Some(sni) = &setup.sni {
            let ctx = create_secure_context(&context(&setup, &sni.key, &sni.chain))
                .expect("the SNI context");
            server.add_context(sni.name, ctx);
        }
        if let Some(path) = &setup.ocsp {
            let staple = read(path);
            server.on_ocsp_request(move |_, _, reply| reply.staple(staple.clone()));
        }
        let log = l.clone();
        server.on_secure_connection(move |sock| {
            let seen = view(sock);
            log.lock().unwrap().push(seen.clone());
            let mut request = Vec::new();
            sock.on_data(move |sock, chunk| {
                request.extend_from_slice(chunk);
                if request.windows(4).any(|w| w == b"\r\n\r\n") {
                    let body = format!("{seen}\n");
                    sock.write(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        )
                        .as_bytes(),
                    );
                    sock.end();
                }
            });
            sock.on_error(|_, _| {});
        });
        let log = l;
        server.on_client_error(move |_, err| {
            log.lock()
                .unwrap()
                .push(json!({"connected": false, "error": err.code()}));
        });
        let addr = server.listen(0, "127.0.0.1").expect("listen");
        tx.send((addr.port(), ev.remote())).expect("the cell waits");
        let stopping = server.clone();
        ev.on_wake(move || {
            if s.load(Ordering::SeqCst) {
                for sock in stopping.sockets() {
                    sock.destroy();
                }
                stopping.close();
            }
        });
        let _ = ev.run();
    });
    let (port, remote) = rx.recv().expect("the responder listens");
    Responder {
        port,
        log,
        stop,
        remote,
        thread: Some(thread),
    }
}
