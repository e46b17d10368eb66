//! A guide for Node users (and for Rust users who know neither): how the pieces fit.
//! Nothing here is code; every example compiles and runs as a test.
//!
//! # From `tls` to `node_tls`
//!
//! | Node | here |
//! |---|---|
//! | `tls.createServer(options, listener)` | [`create_server`](crate::create_server)`(&ev, `[`ServerOptions`](crate::ServerOptions)`)`, then [`on_secure_connection`](crate::Server::on_secure_connection) |
//! | `tls.connect(options, callback)` | [`connect`](crate::connect)`(&ev, `[`ConnectOptions`](crate::ConnectOptions)`)`, then [`on_secure_connect`](crate::TlsSocket::on_secure_connect) |
//! | `tls.createSecureContext(options)` | [`create_secure_context`](crate::create_secure_context)`(&`[`SecureContextOptions`](crate::SecureContextOptions)`)` |
//! | `{ key, cert, ca, requestCert, ... }` | builder methods of the same names in snake_case: `.key(pem).cert(pem).request_cert(true)`; any order, none lost |
//! | `socket.on('data', fn)` | `socket.on_data(\|socket, bytes\| ...)`: one typed method per event, the socket first |
//! | `err.code`, `err.message` | [`Error::code`](crate::Error::code), `Display` |
//! | the process's event loop | [`EventLoop`](crate::EventLoop): made by you, run by you |
//!
//! # The event loop
//!
//! Node has one loop per process and runs it for you; here an [`EventLoop`](crate::EventLoop)
//! is a value. Servers and sockets are created *on* a loop and their handlers run when
//! the loop runs: [`EventLoop::run`](crate::EventLoop::run) returns when nothing is
//! left (no listening server, no open socket: when Node would exit),
//! [`EventLoop::run_until`](crate::EventLoop::run_until) when a condition holds (tests,
//! and programs with their own idea of "done"), [`EventLoop::turn`](crate::EventLoop::turn)
//! after one round of I/O (to embed the loop in another). The loop is mio's: one
//! `epoll` per loop, non-blocking sockets, no thread of its own (a resolver thread is
//! started for the first host name to look up).
//!
//! A whole echo server and its client on one loop:
//!
//! ```
//! use node_tls::{connect, create_server, ConnectOptions, EventLoop, ServerOptions};
//! use std::{cell::RefCell, rc::Rc};
//! let read = |name: &str| {
//!     std::fs::read(format!("{}/../../fixtures/spec/{name}", env!("CARGO_MANIFEST_DIR")))
//! };
//! let ev = EventLoop::new()?;
//! let server = create_server(
//!     &ev,
//!     ServerOptions::new().key(read("server-key.pem")?).cert(read("server-cert.pem")?),
//! )?;
//! server.on_secure_connection(|socket| {
//!     socket.pipe(socket, true); // the echo
//! });
//! let port = server.listen(0, "127.0.0.1")?.port();
//!
//! let echoed = Rc::new(RefCell::new(Vec::new()));
//! let socket = connect(&ev, ConnectOptions::new(port).ca(read("server-cert.pem")?))?;
//! socket.on_secure_connect(|socket| {
//!     assert!(socket.authorized());
//!     socket.write(b"hello");
//!     socket.end();
//! });
//! let got = echoed.clone();
//! socket.on_data(move |_, bytes| got.borrow_mut().extend_from_slice(bytes));
//! let s = server.clone();
//! socket.on_close(move |_, _had_error| {
//!     s.close(); // nothing is left then, and `run` returns
//! });
//! ev.run()?;
//! assert_eq!(echoed.borrow().as_slice(), b"hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Handles and handlers
//!
//! [`Server`](crate::Server) and [`TlsSocket`](crate::TlsSocket) are handles: an id and
//! a weak reference to the loop, cheap to clone and to move into closures. The loop
//! owns the connection; once it is closed the handle's methods do nothing and its
//! getters return `None`/`false` (as calling a destroyed Node socket does nothing
//! useful). Handlers are `FnMut + 'static` closures, not `Send`: state they share lives
//! in `Rc<RefCell<..>>`, as the example above does. A handler may call any method, on
//! its own socket or another (write, end, destroy, pause, create a connection): events
//! are queued and dispatched one at a time, never from inside another call, so there is
//! no re-entrancy to think about. Data that arrives before any `on_data` handler is
//! kept and delivered to the first one (Node's paused stream).
//!
//! # Back-pressure
//!
//! [`TlsSocket::write`](crate::TlsSocket::write) returns `false` once more than
//! [`HIGH_WATER_MARK`](crate::HIGH_WATER_MARK) bytes wait to be sent (nothing is lost:
//! wait for [`on_drain`](crate::TlsSocket::on_drain) before writing more).
//! [`pause`](crate::TlsSocket::pause) stops the `data` events, and a socket holding a
//! high-water mark of unread data stops reading its file descriptor, so TCP's window
//! holds the peer back; [`pipe`](crate::TlsSocket::pipe) does both for you.
//!
//! # Threads
//!
//! A loop and its handles stay on the thread that made them (`EventLoop` is not
//! `Send`). For more cores, run a loop per thread; a
//! [`SecureContext`](crate::SecureContext) is `Send + Sync` and cheap to clone, so
//! every loop can share one (its session cache and ticket keys with it). Another thread
//! talks to a loop through a channel and a [`Remote`](crate::Remote): it sends, then
//! wakes the loop, whose [`EventLoop::on_wake`](crate::EventLoop::on_wake) handlers
//! drain the channel on the loop's thread. The `echo_client` example pipes stdin to a
//! socket that way.
//!
//! ```
//! use node_tls::{
//!     connect, create_secure_context, create_server, ConnectOptions, EventLoop,
//!     SecureContextOptions, ServerOptions,
//! };
//! use std::{cell::Cell, rc::Rc, sync::mpsc, time::Duration};
//! let read = |name: &str| {
//!     std::fs::read(format!("{}/../../fixtures/spec/{name}", env!("CARGO_MANIFEST_DIR")))
//! };
//! // One context, made once, used by a client loop on another thread.
//! let client_context = create_secure_context(
//!     &SecureContextOptions::new().ca(read("server-cert.pem")?),
//! )?;
//! let ev = EventLoop::new()?;
//! let server = create_server(
//!     &ev,
//!     ServerOptions::new().key(read("server-key.pem")?).cert(read("server-cert.pem")?),
//! )?;
//! server.on_secure_connection(|socket| {
//!     socket.write(b"hi from the server's thread");
//!     socket.end();
//! });
//! let port = server.listen(0, "127.0.0.1")?.port();
//!
//! // The client's thread reports back through a channel and the server loop's Remote.
//! let (tx, rx) = mpsc::channel::<String>();
//! let remote = ev.remote();
//! std::thread::spawn(move || {
//!     let ev = EventLoop::new().unwrap();
//!     let options = ConnectOptions::new(port).secure_context(client_context);
//!     let socket = connect(&ev, options).unwrap();
//!     socket.on_data(move |_, bytes| {
//!         tx.send(String::from_utf8_lossy(bytes).into_owned()).unwrap();
//!         remote.wake().unwrap();
//!     });
//!     ev.run().unwrap();
//! });
//! let heard = Rc::new(Cell::new(false));
//! let h = heard.clone();
//! ev.on_wake(move || {
//!     while let Ok(text) = rx.try_recv() {
//!         assert_eq!(text, "hi from the server's thread");
//!         h.set(true);
//!     }
//! });
//! assert!(ev.run_until(|| heard.get(), Duration::from_secs(10))?);
//! server.close();
//! ev.run()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Errors
//!
//! Options are checked when the server, socket or context is made, and the first bad
//! one is an [`Error`](crate::Error) naming it (`ERR_MISSING_OPTION`, `bad decrypt`,
//! `ERR_INVALID_ARG_VALUE`...), never a server that fails every handshake later.
//! What happens on the wire comes as events: `'clientError'` on a server for a
//! connection that failed before its handshake, `'error'` then `'close'` on a socket.
//! [`Error::code`](crate::Error::code) is Node's `err.code`, so code written against
//! Node's error codes carries over.
//!
//! # The allocator
//!
//! The library leaves the global allocator to you, and for a server moving data it
//! matters more than anything in this crate: rustls allocates a buffer per record
//! received and resizes its input buffer as records come and go. Measured in
//! `benches/loopback.rs` (BENCHMARKS.md), a TLS 1.3 AES-128-GCM receiver does about
//! 1.1 GB per server CPU-second on glibc's malloc and 2.4 to 3.5 with jemalloc or
//! mimalloc, for this crate and for tokio-rustls alike. The `node-tls` command uses
//! jemalloc; in your binary (not compiled here: it needs the crate), with
//! `tikv-jemallocator = "0.6"` in `[dependencies]`:
//!
//! ```text
//! #[global_allocator]
//! static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
//! ```
//!
//! # Compared with tokio-rustls
//!
//! tokio-rustls gives an `async` stream over rustls for programs built on tokio: you
//! write `accept().await` and `read().await`, and Node's events, options and error
//! codes are yours to rebuild. This crate is Node's model instead: callbacks on a loop
//! you own, every option and event of Node's `tls` module with Node's semantics
//! (verified against Node 20 and OpenSSL), no async runtime and no `Send` bounds on
//! handlers. Both use rustls underneath with the same ring provider. In an async
//! program, run a loop on a thread of its own and bridge with channels and a
//! [`Remote`](crate::Remote); there is no `async` API here (yet).
