//! Test support shared by the workspace's integration and interop tests: fixture paths,
//! the spec's certificate recipe, and child processes (`node`, `openssl`, `node-tls`)
//! whose output is read line by line with deadlines, never with sleeps.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// How long a test waits for any one expected line.
pub const STEP: Duration = Duration::from_secs(20);

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A file under `fixtures/`.
pub fn fixture(path: &str) -> PathBuf {
    root().join("fixtures").join(path)
}

/// The bytes of a file under `fixtures/`.
pub fn read_fixture(path: &str) -> Vec<u8> {
    std::fs::read(fixture(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

/// Whether `tool` can run here. Under CI (`CI=true`) a missing peer tool is a failure,
/// not a skip: interop is the point of these tests. Elsewhere each skip is written
/// straight to stderr, past the test harness's capture, with the count so far in this
/// test binary: a green run that skipped interop says so.
pub fn have(tool: &str) -> bool {
    static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let ok = Command::new(tool)
        .arg(if tool == "openssl" {
            "version"
        } else {
            "--version"
        })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("`{tool}` is required under CI and is missing");
    }
    if !ok {
        let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let binary = std::env::current_exe().ok();
        let binary = binary
            .as_deref()
            .and_then(Path::file_name)
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        let test = std::thread::current().name().unwrap_or("?").to_string();
        // `eprintln!` would be captured (and shown only for a failure); a write to the
        // stderr handle is not.
        let _ = writeln!(
            std::io::stderr().lock(),
            "{n} interop test{} skipped in {binary}: `{tool}` not found (now: {test})",
            if n == 1 { "" } else { "s" }
        );
    }
    ok
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Makes one named after `tag` and the process id.
    pub fn new(tag: &str) -> Self {
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("node-tls-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        Self(dir)
    }

    /// A path inside it.
    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `openssl ARGS` in `dir`, panicking with its stderr on failure.
pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes `NAME-key.pem`, `NAME-csr.pem` and `NAME-cert.pem` in `dir` with exactly the
/// spec's three commands (plus `-subj` so `req` does not prompt): an X.509 v1,
/// self-signed, CN-only certificate.
pub fn spec_certificate(dir: &Path, name: &str, cn: &str) {
    let key = format!("{name}-key.pem");
    let csr = format!("{name}-csr.pem");
    let cert = format!("{name}-cert.pem");
    openssl(dir, &["genrsa", "-out", &key, "2048"]);
    let subj = format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req", "-new", "-sha256", "-key", &key, "-out", &csr, "-subj", &subj,
        ],
    );
    openssl(
        dir,
        &["x509", "-req", "-in", &csr, "-signkey", &key, "-out", &cert],
    );
}

/// A child process whose stdout lines arrive on a channel.
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    eof: bool,
    stderr: Option<std::sync::Arc<std::sync::Mutex<String>>>,
}

impl Proc {
    /// Spawns `cmd` with piped stdin/stdout (stderr is inherited, for test logs).
    pub fn spawn(cmd: Command) -> Self {
        Self::start(cmd, false)
    }

    /// As [`Proc::spawn`], with stderr kept (see [`Proc::stderr`]) instead of inherited:
    /// for tests that run many children at once and show a child's stderr only when
    /// something fails.
    pub fn spawn_quiet(cmd: Command) -> Self {
        Self::start(cmd, true)
    }

    fn start(mut cmd: Command, quiet: bool) -> Self {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(if quiet {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let stderr = child.stderr.take().map(|mut pipe| {
            let text = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
            let keep = text.clone();
            std::thread::spawn(move || {
                let mut all = Vec::new();
                let _ = std::io::Read::read_to_end(&mut pipe, &mut all);
                *keep.lock().unwrap() = String::from_utf8_lossy(&all).into_owned();
            });
            text
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Self {
            child,
            stdin,
            lines: rx,
            seen: Vec::new(),
            eof: false,
            stderr,
        }
    }

    /// Runs `node -e SCRIPT ARGS...`.
    pub fn node(script: &str, args: &[&str]) -> Self {
        let mut cmd = Command::new("node");
        cmd.arg("-e").arg(script).arg("--").args(args);
        Self::spawn(cmd)
    }

    /// Writes to the child's stdin.
    pub fn write(&mut self, data: &[u8]) {
        self.try_write(data).expect("write to child");
    }

    /// Writes to the child's stdin, which may be gone (the child exited).
    pub fn try_write(&mut self, data: &[u8]) -> std::io::Result<()> {
        let stdin = self.stdin.as_mut().ok_or(std::io::ErrorKind::BrokenPipe)?;
        stdin.write_all(data)?;
        stdin.flush()
    }

    /// Closes the child's stdin.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The next stdout line within [`STEP`]; `None` at EOF.
    pub fn next_line(&mut self) -> Option<String> {
        match self.lines.recv_timeout(STEP) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => {
                panic!("no output within {STEP:?}; so far: {:#?}", self.seen)
            }
        }
    }

    /// The next stdout line if one comes within `timeout` (zero: only one already
    /// read); `None` on timeout or at EOF. Never panics, for loops with their own deadline.
    pub fn line_within(&mut self, timeout: Duration) -> Option<String> {
        let line = if timeout.is_zero() {
            self.lines
                .try_recv()
                .map_err(|e| e == std::sync::mpsc::TryRecvError::Disconnected)
        } else {
            self.lines
                .recv_timeout(timeout)
                .map_err(|e| e == RecvTimeoutError::Disconnected)
        };
        let line = match line {
            Ok(line) => Some(line),
            Err(disconnected) => {
                self.eof |= disconnected;
                None
            }
        };
        if let Some(line) = &line {
            self.seen.push(line.clone());
        }
        line
    }

    /// Whether [`Proc::line_within`] has met the end of stdout.
    pub fn at_eof(&self) -> bool {
        self.eof
    }

    /// What a [`Proc::spawn_quiet`] child wrote on stderr, once it has closed it.
    pub fn stderr(&self) -> String {
        self.stderr
            .as_ref()
            .map(|t| t.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// The child's process id (to read `/proc/<pid>/status`, say).
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Reads lines until one satisfies `pred`; panics (with what was seen) at EOF.
    pub fn expect(&mut self, what: &str, mut pred: impl FnMut(&str) -> bool) -> String {
        let deadline = Instant::now() + STEP;
        while Instant::now() < deadline {
            match self.next_line() {
                Some(line) if pred(&line) => return line,
                Some(_) => {}
                None => break,
            }
        }
        panic!("expected {what}; saw: {:#?}", self.seen)
    }

    /// The next line that is a JSON object with `"event": event`.
    pub fn expect_event(&mut self, event: &str) -> serde_json::Value {
        let line = self.expect(&format!("event {event}"), |l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v["event"] == event)
        });
        serde_json::from_str(&line).expect("checked above")
    }

    /// The TCP port of the next `listening` event (the contract's and `tests/node`'s).
    pub fn listening_port(&mut self) -> u16 {
        let listening = self.expect_event("listening");
        let port = listening["address"]["port"].as_u64();
        port.and_then(|p| u16::try_from(p).ok())
            .unwrap_or_else(|| panic!("no TCP port in {listening}"))
    }

    /// Every remaining stdout line (waits for EOF).
    pub fn rest(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(line) = self.next_line() {
            out.push(line);
        }
        out
    }

    /// Every line read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    /// Waits for the exit status (within [`STEP`]).
    pub fn wait(&mut self) -> std::process::ExitStatus {
        self.stdin = None;
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("process did not exit; output: {:#?}", self.seen);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends SIGTERM (via `kill`) and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        self.wait()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Node 20 TLS server configured like the spec's echo server; prints
/// `{"event":"listening","port":N}`, then one JSON line per connection
/// (`authorized`, `authorizationError`) and per error. Args: key, cert, ca files
/// (`-` for none), `requestCert` (`true`/`false`).
pub const NODE_SPEC_SERVER: &str = r#"
const tls = require('tls'); const fs = require('fs');
const [key, cert, ca, requestCert] = process.argv.slice(1);
const options = { key: fs.readFileSync(key), cert: fs.readFileSync(cert), requestCert: requestCert === 'true' };
if (ca !== '-') options.ca = [fs.readFileSync(ca)];
const server = tls.createServer(options, (socket) => {
  console.log(JSON.stringify({ event: 'secureConnection', authorized: socket.authorized,
    authorizationError: socket.authorizationError || null, protocol: socket.getProtocol() }));
  socket.write('welcome!\n');
  socket.setEncoding('utf8');
  socket.pipe(socket);
  socket.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code })));
});
server.on('tlsClientError', (e) => console.log(JSON.stringify({ event: 'clientError', code: e.code, message: e.message })));
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ event: 'listening', port: server.address().port })));
"#;

/// A Node 20 TLS client: connects, prints `secureConnect` (authorized, code) or
/// `error` (code, message) as JSON, writes `hello` and prints each data chunk, ends
/// after the echo. Args: port, host, key, cert, ca (`-` for none), rejectUnauthorized.
pub const NODE_SPEC_CLIENT: &str = r#"
const tls = require('tls'); const fs = require('fs');
const [port, host, key, cert, ca, reject] = process.argv.slice(1);
const options = { host, port: Number(port), rejectUnauthorized: reject !== 'false' };
if (key !== '-') { options.key = fs.readFileSync(key); options.cert = fs.readFileSync(cert); }
if (ca !== '-') options.ca = [fs.readFileSync(ca)];
let got = '';
const socket = tls.connect(options, () => {
  console.log(JSON.stringify({ event: 'secureConnect', authorized: socket.authorized,
    authorizationError: socket.authorizationError || null, protocol: socket.getProtocol() }));
  socket.write('hello');
});
socket.setEncoding('utf8');
socket.on('data', (d) => {
  console.log(JSON.stringify({ event: 'data', text: d }));
  got += d;
  if (got.includes('hello')) socket.end();
});
socket.on('error', (e) => console.log(JSON.stringify({ event: 'error', code: e.code, message: e.message })));
socket.on('close', () => console.log(JSON.stringify({ event: 'close' })));
"#;

/// A small PRNG (xorshift64*) for generated tests: what it makes is a pure function
/// of the seed, so a failure is replayed from its seed.
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed` (any value).
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }
}

pub mod tls13;

/// Hand-made TLS bytes for tests that play a peer no TLS library would be: records,
/// ClientHellos (TLS and SSLv2 format) and their extensions.
pub mod wire {
    /// A TLS-format ClientHello for `hello_version` in a record of `record_version`, with
    /// the suites, groups and signature algorithms a TLS 1.2 client sends.
    pub fn tls_hello(record_version: u16, hello_version: u16) -> Vec<u8> {
        let mut body = hello_version.to_be_bytes().to_vec();
        body.extend([7; 32]); // random
        body.extend([0, 0, 4, 0xc0, 0x2f, 0x13, 0x01, 1, 0]); // no session id, suites, null
        let extensions = [
            &[0, 0x0a, 0, 4, 0, 2, 0, 0x1d][..], // supported_groups: x25519
            &[0, 0x0d, 0, 6, 0, 4, 8, 4, 4, 1],  // rsa_pss_rsae_sha256, rsa_pkcs1_sha256
            &[0, 0x0b, 0, 2, 1, 0],              // ec_point_formats
        ]
        .concat();
        body.extend((extensions.len() as u16).to_be_bytes());
        body.extend(extensions);
        let mut handshake = vec![1, 0];
        handshake.extend((body.len() as u16).to_be_bytes());
        handshake.extend(body);
        let mut record = vec![22];
        record.extend(record_version.to_be_bytes());
        record.extend((handshake.len() as u16).to_be_bytes());
        record.extend(handshake);
        record
    }

    /// An SSLv2-format CLIENT-HELLO of `length` bytes after its header, offering
    /// `version`, with `specs` repeated to fill it and a challenge of what is left.
    pub fn sslv2_hello(version: u16, specs: &[u8], length: usize) -> Vec<u8> {
        let specs: Vec<u8> = specs
            .iter()
            .copied()
            .cycle()
            .take((length - 25) / 3 * 3)
            .collect();
        let challenge = length - 9 - specs.len();
        let mut record = vec![0x80 | (length >> 8) as u8, length as u8, 1];
        record.extend(version.to_be_bytes());
        record.extend((specs.len() as u16).to_be_bytes());
        record.extend([0, 0]);
        record.extend((challenge as u16).to_be_bytes());
        record.extend(specs);
        record.extend(vec![9; challenge]);
        record
    }

    /// A TLS record of `kind` in `version`.
    pub fn record(kind: u8, version: u16, body: &[u8]) -> Vec<u8> {
        let mut r = vec![kind];
        r.extend(version.to_be_bytes());
        r.extend((body.len() as u16).to_be_bytes());
        r.extend(body);
        r
    }

    /// `items` with a 16-bit length before them.
    pub fn vec16(items: &[u8]) -> Vec<u8> {
        let mut v = (items.len() as u16).to_be_bytes().to_vec();
        v.extend(items);
        v
    }

    /// An extension of `kind` holding `body`.
    pub fn ext(kind: u16, body: &[u8]) -> Vec<u8> {
        let mut e = kind.to_be_bytes().to_vec();
        e.extend(vec16(body));
        e
    }

    /// A ClientHello handshake message (TLS 1.2's `client_version`) offering `suites`
    /// with `extensions`.
    pub fn client_hello(suites: &[u16], extensions: &[Vec<u8>]) -> Vec<u8> {
        let suites: Vec<u8> = suites.iter().flat_map(|s| s.to_be_bytes()).collect();
        raw_hello(&[], &vec16(&suites), &[1, 0], &vec16(&extensions.concat()))
    }

    /// A ClientHello message of these fields as given (their length prefixes included,
    /// but the session id's).
    pub fn raw_hello(
        session_id: &[u8],
        suites: &[u8],
        compression: &[u8],
        extensions: &[u8],
    ) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend([7; 32]); // random
        body.push(session_id.len() as u8);
        body.extend(session_id);
        body.extend(suites);
        body.extend(compression);
        body.extend(extensions);
        let mut message = vec![1, 0];
        message.extend((body.len() as u16).to_be_bytes());
        message.extend(body);
        message
    }
}
