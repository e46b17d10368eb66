//! `node-tls`: the Node docs' TLS echo server and client, with JSON events.
//! The contract is `shared/CLI.md`; options are Node's names in kebab-case.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod args;
mod output;

use args::{Command, Common, Connect, Mode, Serve, UsageError};
use node_tls::{
    ConnectOptions, EventLoop, EventName, SecureContextOptions, ServerOptions, TlsSocket,
};
use output::Out;
use std::cell::{Cell, RefCell};
use std::io::Read;
use std::rc::Rc;
use std::time::Duration;

/// The self-signed `localhost` certificate `serve` uses when given no credentials.
const DEFAULT_KEY: &[u8] = include_bytes!("default-key.pem");
const DEFAULT_CERT: &[u8] = include_bytes!("default-cert.pem");

/// The command's allocator. glibc's malloc keeps the pages a storm of connections freed
/// (its heap only shrinks from the top), so a server's RSS stayed at its peak; jemalloc
/// with a background thread and the decay set in `.cargo/config.toml` gives them back.
/// The libraries do not choose an allocator: a program linking them keeps its own.
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let json = argv.iter().any(|a| a == "--json");
    let out = Out::new(json);
    let code = match args::parse(argv) {
        Ok(Command::Serve(s)) => serve(s, &out),
        Ok(Command::Connect(c)) => connect(c, &out),
        Ok(Command::Help(text)) => {
            print!("{text}");
            0
        }
        Ok(Command::Version) => {
            println!("node-tls {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Err(e) => {
            out.config_error("ERR_INVALID_ARG_VALUE", &e.0);
            2
        }
    };
    std::process::exit(code);
}

/// A configuration problem: reported before listening or connecting, exit status 2.
struct ConfigError {
    /// Node's `err.code` for it.
    code: String,
    message: String,
}

impl ConfigError {
    /// A problem with the command line itself.
    fn usage(message: impl Into<String>) -> Self {
        Self {
            code: "ERR_INVALID_ARG_VALUE".into(),
            message: message.into(),
        }
    }
}

impl From<UsageError> for ConfigError {
    fn from(e: UsageError) -> Self {
        Self::usage(e.0)
    }
}

impl From<node_tls::Error> for ConfigError {
    fn from(e: node_tls::Error) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// A file an option names; a failure has Node's errno code (`ENOENT`, `EACCES`, ...), as
/// `fs.readFileSync` throws it.
fn read_file(path: &str, flag: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| {
        let (code, what) = match e.kind() {
            std::io::ErrorKind::NotFound => ("ENOENT", "no such file or directory"),
            std::io::ErrorKind::PermissionDenied => ("EACCES", "permission denied"),
            std::io::ErrorKind::IsADirectory => ("EISDIR", "illegal operation on a directory"),
            _ => ("EIO", "i/o error"),
        };
        ConfigError {
            code: code.into(),
            message: format!("cannot read {flag} file: {code}: {what}, open '{path}' ({e})"),
        }
    })
}

/// The secure-context options both subcommands take.
fn context_options(c: &Common) -> Result<SecureContextOptions, ConfigError> {
    let mut options = SecureContextOptions::new();
    for path in &c.keys {
        options = options.key(read_file(path, "--key")?);
    }
    for path in &c.certs {
        options = options.cert(read_file(path, "--cert")?);
    }
    for path in &c.ca {
        options = options.ca(read_file(path, "--ca")?);
    }
    for path in &c.crl {
        options = options.crl(read_file(path, "--crl")?);
    }
    if let Some(path) = &c.pfx {
        options = options.pfx(read_file(path, "--pfx")?);
    }
    if let Some(p) = &c.passphrase {
        options = options.passphrase(p.clone());
    }
    if let Some(list) = &c.ciphers {
        options = options.ciphers(list.clone());
    }
    if let Some(curve) = &c.ecdh_curve {
        options = options.ecdh_curve(curve.clone());
    }
    if let Some(method) = &c.secure_protocol {
        options = options.secure_protocol(method.clone());
    }
    if let Some(bits) = &c.secure_options {
        options = options.secure_options(args::integer(bits, "--secure-options")?);
    }
    if let Some(v) = &c.min_version {
        options = options.min_version(v.clone());
    }
    if let Some(v) = &c.max_version {
        options = options.max_version(v.clone());
    }
    Ok(options)
}

fn serve(s: Serve, out: &Out) -> i32 {
    if s.print_cert {
        // For a client's `--ca`: `node-tls serve --print-cert > localhost.pem`.
        print!("{}", String::from_utf8_lossy(DEFAULT_CERT));
        return 0;
    }
    let config = match server_config(&s, out) {
        Ok(config) => config,
        Err(e) => {
            out.config_error(&e.code, &e.message);
            return 2;
        }
    };
    // `--threads N`: N loops, one port (SO_REUSEPORT), one context.
    let reuse_port = s.threads > 1;
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => {
            out.error("EIO", &e.to_string());
            return 1;
        }
    };
    let server = match config.server(&ev, s.mode, out) {
        Ok(server) => server,
        Err(e) => {
            out.config_error(&e.code, &e.message);
            return 2;
        }
    };
    let listening = match &s.common.path {
        Some(path) => server.listen_path(path).map(|()| None),
        None if reuse_port => server.listen_reuse_port(s.port, &s.host).map(Some),
        None => server.listen(s.port, &s.host).map(Some),
    };
    // (`listening` is printed once every loop listens)
    let (bound, port) = match listening {
        Ok(addr) => (addr, addr.map_or(0, |a| a.port())),
        Err(e) => {
            out.error(&e.code(), &e.to_string());
            return 1;
        }
    };
    // SIGTERM / SIGINT: close the servers and every connection, then exit 0.
    let mut stops = vec![stop_switch(&ev, &server)];
    let mut workers = Vec::new();
    for _ in 1..s.threads {
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let (config, host, mode, out) = (config.clone(), s.host.clone(), s.mode, *out);
        workers.push(std::thread::spawn(move || {
            let started = EventLoop::new()
                .map_err(|e| ("EIO".to_string(), e.to_string()))
                .and_then(|ev| {
                    let server = config
                        .server(&ev, mode, &out)
                        .map_err(|e| (e.code, e.message))?;
                    server
                        .listen_reuse_port(port, &host)
                        .map_err(|e| (e.code(), e.to_string()))?;
                    Ok((ev, server))
                });
            match started {
                Ok((ev, server)) => {
                    let _ = ready_tx.send(Ok(stop_switch(&ev, &server)));
                    ev.run().is_ok()
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    false
                }
            }
        }));
        match ready.recv() {
            Ok(Ok(stop)) => stops.push(stop),
            Ok(Err((code, message))) => {
                out.error(&code, &message);
                return 1;
            }
            Err(_) => return 1,
        }
    }
    match signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]) {
        Ok(mut signals) => {
            std::thread::spawn(move || {
                if signals.forever().next().is_some() {
                    for (tx, remote) in &stops {
                        let _ = tx.send(());
                        let _ = remote.wake();
                    }
                }
            });
        }
        Err(e) => {
            out.error("EIO", &format!("cannot install signal handlers: {e}"));
            return 1;
        }
    }
    out.listening(bound, s.common.path.as_deref());
    let ran = ev.run();
    let workers_ok = workers.into_iter().all(|w| w.join().unwrap_or(false));
    match ran {
        Ok(()) if workers_ok => 0,
        Ok(()) => 1,
        Err(e) => {
            out.error("EIO", &e.to_string());
            1
        }
    }
}

/// What stops one loop's server: a message, then a wake-up. On it the loop destroys
/// the server's connections and closes it.
fn stop_switch(
    ev: &EventLoop,
    server: &node_tls::Server,
) -> (std::sync::mpsc::Sender<()>, node_tls::Remote) {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let stopping = server.clone();
    ev.on_wake(move || {
        if rx.try_recv().is_ok() {
            for sock in stopping.sockets() {
                sock.destroy();
            }
            stopping.close();
        }
    });
    (tx, ev.remote())
}

/// Everything `serve` builds once, for the server of each loop.
#[derive(Clone)]
struct ServerConfig {
    options: ServerOptions,
    staple: Option<Vec<u8>>,
    max_connections: Option<usize>,
}

impl ServerConfig {
    /// The server on `ev`, its handlers printing as the contract says.
    fn server(
        &self,
        ev: &EventLoop,
        mode: Mode,
        out: &Out,
    ) -> Result<node_tls::Server, ConfigError> {
        let server = node_tls::create_server(ev, self.options.clone())?;
        if let Some(staple) = self.staple.clone() {
            // Every client that asks gets these bytes, whichever context answered it.
            server.on_ocsp_request(move |_, _, reply| reply.staple(staple.clone()));
        }
        server.set_max_connections(self.max_connections);
        let on_conn = *out;
        server.on_secure_connection(move |sock| {
            on_conn.secure(sock, EventName::SecureConnection.as_str(), false);
            if mode == Mode::Welcome {
                sock.write(b"welcome!\n");
            }
            let o = on_conn;
            sock.on_data(move |sock, chunk| o.data(sock, chunk, true));
            if mode != Mode::Sink {
                // The docs' echo: a pipe, so a peer that stops reading stops us reading.
                sock.pipe(sock, true);
            }
            let o = on_conn;
            sock.on_end(move |sock| o.end(sock, true));
            let o = on_conn;
            sock.on_error(move |sock, err| o.socket_error(sock, err, true));
            let o = on_conn;
            sock.on_close(move |sock, had_error| o.close(sock, had_error, true));
        });
        let o = *out;
        server.on_client_error(move |sock, err| o.client_error(err, sock));
        // The server's own `'error'` (accept failing: EMFILE): Node's server keeps
        // listening, and so does `serve`.
        let o = *out;
        server.on_error(move |_, err| o.error(&err.code(), &err.to_string()));
        Ok(server)
    }
}

/// `--sni NAME=KEYFILE,CERTFILE[,CAFILE]`, each a context for `addContext(NAME, ..)`.
fn sni_contexts(s: &Serve) -> Result<Vec<(String, node_tls::SecureContext)>, ConfigError> {
    let mut out = Vec::new();
    for spec in &s.sni {
        let (name, files) = spec.split_once('=').unwrap_or(("", ""));
        let files: Vec<&str> = files.split(',').collect();
        if name.is_empty() || !(2..=3).contains(&files.len()) {
            return Err(ConfigError::usage(format!(
                "--sni `{spec}`: expected NAME=KEYFILE,CERTFILE[,CAFILE]"
            )));
        }
        let mut options = SecureContextOptions::new()
            .key(read_file(files[0], "--sni key")?)
            .cert(read_file(files[1], "--sni cert")?)
            .honor_cipher_order(s.honor_cipher_order);
        if let Some(ca) = files.get(2) {
            options = options.ca(read_file(ca, "--sni ca")?);
        }
        let context = node_tls::create_secure_context(&options).map_err(node_tls::Error::from)?;
        out.push((name.to_string(), context));
    }
    Ok(out)
}

/// `--alpn LIST`: comma-separated protocol names.
fn alpn_list(c: &Common) -> Option<Vec<String>> {
    c.alpn
        .as_ref()
        .map(|l| l.split(',').map(str::to_string).collect())
}

fn server_config(s: &Serve, out: &Out) -> Result<ServerConfig, ConfigError> {
    if s.threads > 1 && s.common.path.is_some() {
        return Err(ConfigError::usage(
            "--threads: loops share a TCP port (SO_REUSEPORT), not a --path".to_string(),
        ));
    }
    let mut context = context_options(&s.common)?.honor_cipher_order(s.honor_cipher_order);
    if let Some(secs) = s.session_timeout {
        context = context.session_timeout(secs);
    }
    if let Some(hex) = &s.ticket_keys {
        context = context.ticket_keys(args::hex(hex, "--ticket-keys")?);
    }
    let c = &s.common;
    if c.keys.is_empty() != c.certs.is_empty() {
        let (given, missing) = if c.certs.is_empty() {
            ("--key", "--cert")
        } else {
            ("--cert", "--key")
        };
        return Err(ConfigError {
            code: "ERR_MISSING_OPTION".into(),
            message: format!("{given} needs {missing}: a server's key and certificate go together"),
        });
    }
    if c.keys.is_empty() && c.certs.is_empty() && c.pfx.is_none() {
        out.note("no --key/--cert/--pfx: using the embedded self-signed certificate for localhost");
        context = context.key(DEFAULT_KEY).cert(DEFAULT_CERT);
    }
    let context = node_tls::create_secure_context(&context).map_err(node_tls::Error::from)?;
    for note in context.notes() {
        out.note(note);
    }
    let mut options = ServerOptions::new()
        .secure_context(context)
        .request_cert(s.request_cert)
        .reject_unauthorized(s.reject_unauthorized);
    if let Some(ms) = s.handshake_timeout {
        options = options.handshake_timeout(Duration::from_millis(ms));
    }
    if let Some(list) = alpn_list(&s.common) {
        options = options.alpn_protocols(list)?;
    }
    for (name, context) in sni_contexts(s)? {
        options = options.add_context(name, context);
    }
    let staple = match &s.ocsp_response {
        Some(path) => Some(read_file(path, "--ocsp-response")?),
        None => None,
    };
    Ok(ServerConfig {
        options,
        staple,
        max_connections: s.max_connections,
    })
}

fn connect(c: Connect, out: &Out) -> i32 {
    let context = match context_options(&c.common).and_then(|o| {
        node_tls::create_secure_context(&o).map_err(|e| node_tls::Error::from(e).into())
    }) {
        Ok(ctx) => ctx,
        Err(e) => {
            out.config_error(&e.code, &e.message);
            return 2;
        }
    };
    for note in context.notes() {
        out.note(note);
    }
    let ev = match EventLoop::new() {
        Ok(ev) => ev,
        Err(e) => {
            out.error("EIO", &e.to_string());
            return 1;
        }
    };
    let mut targets = vec![(c.host.clone(), c.port); c.count];
    targets.extend(c.then.iter().cloned());
    let failed = Rc::new(Cell::new(false));
    let stdin = (c.send.is_none()).then(|| stdin_pipe(&ev));
    let mut previous: Option<node_tls::Destination> = None;
    for (n, (host, port)) in targets.into_iter().enumerate() {
        // Each connection offers the previous connection's session (the contract).
        let mut options = ConnectOptions::new(port)
            .host(host.clone())
            .secure_context(context.clone())
            .session_from(previous.take());
        if let Some(path) = &c.common.path {
            options = options.path(path);
        }
        if let Some(list) = alpn_list(&c.common) {
            options = match options.alpn_protocols(list) {
                Ok(o) => o,
                Err(e) => {
                    out.config_error(&e.code(), &e.to_string());
                    return 2;
                }
            };
        }
        // The contract: SNI defaults to HOST when it is a name, none for an IP address.
        let servername = c.servername.clone().or_else(|| {
            (c.common.path.is_none() && host.parse::<std::net::IpAddr>().is_err())
                .then(|| host.clone())
        });
        if let Some(name) = servername {
            options = options.servername(name);
        }
        if let Some(reject) = c.reject_unauthorized {
            options = options.reject_unauthorized(reject);
        }
        options = options.request_ocsp(c.request_ocsp);
        let sock = match node_tls::connect(&ev, options) {
            Ok(sock) => sock,
            Err(e) => {
                out.error(&e.code(), &e.to_string());
                return 1;
            }
        };
        previous = sock.destination();
        let input = if n == 0 { stdin.clone() } else { None };
        wire_client(&ev, &sock, out, c.send.clone(), input, failed.clone());
        if let Err(e) = ev.run_until(|| !sock.is_open(), Duration::from_secs(24 * 3600)) {
            out.error("EIO", &e.to_string());
            return 1;
        }
    }
    i32::from(failed.get())
}

/// Stdin chunks, read on a thread with backpressure (a bounded channel), delivered on
/// the loop's thread.
type StdinPipe = Rc<RefCell<Option<std::sync::mpsc::Receiver<Option<Vec<u8>>>>>>;

fn stdin_pipe(ev: &EventLoop) -> StdinPipe {
    let (tx, rx) = std::sync::mpsc::sync_channel::<Option<Vec<u8>>>(4);
    let remote = ev.remote();
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let chunk = match stdin.read(&mut buf) {
                Ok(0) | Err(_) => None,
                Ok(n) => Some(buf[..n].to_vec()),
            };
            let last = chunk.is_none();
            if tx.send(chunk).is_err() || remote.wake().is_err() || last {
                return;
            }
        }
    });
    Rc::new(RefCell::new(Some(rx)))
}

fn wire_client(
    ev: &EventLoop,
    sock: &TlsSocket,
    out: &Out,
    send: Option<String>,
    stdin: Option<StdinPipe>,
    failed: Rc<Cell<bool>>,
) {
    let o = *out;
    let piped = stdin.clone();
    sock.on_secure_connect(move |sock| {
        o.secure(sock, EventName::SecureConnect.as_str(), true);
        if let Some(text) = &send {
            sock.write(text.as_bytes());
            sock.end();
        } else if piped.is_none() {
            sock.end();
        }
    });
    if let Some(pipe) = stdin {
        // Backpressure end to end: stop taking chunks when write() says the socket's
        // buffer is full, take more on 'drain'; the bounded channel then blocks the
        // thread reading stdin.
        let handle = sock.clone();
        let pump = Rc::new(move || {
            let mut guard = pipe.borrow_mut();
            let Some(rx) = guard.as_ref() else { return };
            while let Ok(chunk) = rx.try_recv() {
                match chunk {
                    Some(data) => {
                        if !handle.write(&data) {
                            return;
                        }
                    }
                    None => {
                        handle.end();
                        *guard = None;
                        return;
                    }
                }
            }
        });
        let on_drain = pump.clone();
        sock.on_drain(move |_| on_drain());
        ev.on_wake(move || pump());
    }
    let o = *out;
    sock.on_session(move |_| o.session());
    let o = *out;
    sock.on_ocsp_response(move |_, staple| o.ocsp_response(staple));
    let o = *out;
    sock.on_data(move |sock, chunk| o.data(sock, chunk, false));
    let o = *out;
    sock.on_end(move |sock| o.end(sock, false));
    let o = *out;
    let f = failed.clone();
    sock.on_error(move |sock, err| {
        f.set(true);
        o.socket_error(sock, err, false);
    });
    let o = *out;
    sock.on_close(move |sock, had_error| o.close(sock, had_error, false));
}
