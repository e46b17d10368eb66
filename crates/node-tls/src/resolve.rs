//! Host name resolution off the loop's thread (as libuv's thread pool does for Node's
//! `dns.lookup`), and connecting to each resolved address in turn.

use crate::event_loop::State;
use crate::stream::Stream;
use mio::{Interest, Token, Waker};
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};

/// Node's `lookup` option: host name to addresses (run on a resolver thread).
pub type Lookup = Arc<dyn Fn(&str) -> io::Result<Vec<std::net::IpAddr>> + Send + Sync>;

/// `lookup` as [`crate::ConnectOptions`] keeps it.
#[derive(Clone)]
pub(crate) struct LookupFn(pub(crate) Lookup);

impl std::fmt::Debug for LookupFn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("lookup(..)")
    }
}

/// `host:port` to one address, the first the resolver gives (for `listen`, which
/// binds at once, as Node's `listen` does once its lookup is done).
pub(crate) fn resolve_one(host: &str, port: u16) -> io::Result<SocketAddr> {
    (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no address for {host}")))
}

/// How many threads resolve names at most (libuv's pool has four).
const THREADS: usize = 4;

type Job = (usize, String, u16, Option<Lookup>);
type Done = (usize, io::Result<Vec<SocketAddr>>);

/// The loop's resolver: jobs out, results back, the loop woken for each.
pub(crate) struct Resolver {
    jobs: Sender<Job>,
    queue: Arc<Mutex<Receiver<Job>>>,
    results_tx: Sender<Done>,
    pub(crate) results: Receiver<Done>,
    threads: usize,
    waker: Arc<Waker>,
}

impl Resolver {
    pub(crate) fn new(waker: Arc<Waker>) -> Self {
        let (jobs, queue) = mpsc::channel();
        let (results_tx, results) = mpsc::channel();
        Self {
            jobs,
            queue: Arc::new(Mutex::new(queue)),
            results_tx,
            results,
            threads: 0,
            waker,
        }
    }

    /// Resolves `host` for socket `id`; the result comes back through `results`.
    pub(crate) fn resolve(&mut self, id: usize, host: String, port: u16, lookup: Option<Lookup>) {
        if self.threads < THREADS {
            self.threads += 1;
            let queue = self.queue.clone();
            let results = self.results_tx.clone();
            let waker = self.waker.clone();
            std::thread::spawn(move || loop {
                let job = match queue.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((id, host, port, lookup)) = job else {
                    return; // the loop is gone
                };
                let result = lookup_host(&host, port, lookup.as_ref());
                if results.send((id, result)).is_err() || waker.wake().is_err() {
                    return;
                }
            });
        }
        let _ = self.jobs.send((id, host, port, lookup));
    }
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("threads", &self.threads)
            .finish()
    }
}

/// Every address of `host`, in the resolver's order (Node's `verbatim`).
fn lookup_host(host: &str, port: u16, lookup: Option<&Lookup>) -> io::Result<Vec<SocketAddr>> {
    let not_found = || io::Error::new(io::ErrorKind::NotFound, format!("no address for {host}"));
    let addrs: Vec<SocketAddr> = match lookup {
        Some(f) => f(host)?
            .into_iter()
            .map(|ip| SocketAddr::new(ip, port))
            .collect(),
        None => (host, port)
            .to_socket_addrs()
            .map_err(|_| not_found())?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(not_found());
    }
    Ok(addrs)
}

/// Starts connecting socket `id` to the next of its addresses. `Err` (the last
/// address's error) when none is left.
pub(crate) fn connect_next(state: &mut State, id: usize) -> Result<(), io::Error> {
    let State {
        sockets, registry, ..
    } = state;
    let Some(s) = sockets.get_mut(&id) else {
        return Ok(());
    };
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    while let Some(addr) = s.addrs.pop_front() {
        let _ = registry.deregister(&mut s.stream);
        match mio::net::TcpStream::connect(addr) {
            Ok(tcp) => {
                let mut stream = Stream::Tcp(tcp);
                let interest = Interest::READABLE | Interest::WRITABLE;
                if let Err(e) = registry.register(&mut stream, Token(id), interest) {
                    last = e;
                    continue;
                }
                if let Stream::Tcp(t) = &stream {
                    s.local = t.local_addr().ok();
                }
                s.stream = stream;
                s.remote = Some(addr);
                s.want_write = true;
                return Ok(());
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
