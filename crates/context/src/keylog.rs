//! Key logging: NSS key-log lines (`CLIENT_RANDOM ...`, `CLIENT_TRAFFIC_SECRET_0 ...`),
//! written to the file `SSLKEYLOGFILE` names and kept for the connections that asked
//! (Node's `'keylog'` event), by their ClientHello random.
//!
//! One logger serves every context of the process: a server may switch contexts after
//! the ClientHello (SNI), and a connection's lines must follow it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The logger set on every config a context builds.
#[derive(Debug)]
pub(crate) struct KeyLogger {
    /// `SSLKEYLOGFILE`, when set as the process started its first context.
    file: Option<rustls::KeyLogFile>,
    /// Lines per watched ClientHello random.
    watched: Mutex<HashMap<[u8; 32], Vec<Vec<u8>>>>,
    /// How many randoms are watched (no lock taken while none is).
    watching: AtomicUsize,
}

/// The process's logger.
pub(crate) fn logger() -> Arc<KeyLogger> {
    static LOGGER: OnceLock<Arc<KeyLogger>> = OnceLock::new();
    LOGGER
        .get_or_init(|| {
            Arc::new(KeyLogger {
                file: std::env::var_os("SSLKEYLOGFILE").map(|_| rustls::KeyLogFile::new()),
                watched: Mutex::new(HashMap::new()),
                watching: AtomicUsize::new(0),
            })
        })
        .clone()
}

impl rustls::KeyLog for KeyLogger {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        if let Some(file) = &self.file {
            file.log(label, client_random, secret);
        }
        if self.watching.load(Ordering::Acquire) == 0 {
            return;
        }
        let Ok(random) = <[u8; 32]>::try_from(client_random) else {
            return;
        };
        let mut watched = self.watched.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(lines) = watched.get_mut(&random) {
            lines.push(format!("{label} {} {}\n", hex(client_random), hex(secret)).into_bytes());
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        self.file.is_some() || self.watching.load(Ordering::Acquire) > 0
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Keeps the key-log lines of the connection whose ClientHello random is `random`
/// from now on, for [`take`]. Call [`unwatch`] when the connection is gone.
pub fn watch(random: [u8; 32]) {
    let logger = logger();
    let mut watched = logger.watched.lock().unwrap_or_else(|p| p.into_inner());
    if watched.insert(random, Vec::new()).is_none() {
        logger.watching.fetch_add(1, Ordering::AcqRel);
    }
}

/// The lines logged for `random` since the last call, each one NSS key-log line with
/// its newline (Node's `'keylog'` `line`).
pub fn take(random: &[u8; 32]) -> Vec<Vec<u8>> {
    let logger = logger();
    if logger.watching.load(Ordering::Acquire) == 0 {
        return Vec::new();
    }
    let mut watched = logger.watched.lock().unwrap_or_else(|p| p.into_inner());
    watched
        .get_mut(random)
        .map(std::mem::take)
        .unwrap_or_default()
}

/// Stops keeping lines for `random` (what was not taken is dropped).
pub fn unwatch(random: &[u8; 32]) {
    let logger = logger();
    let mut watched = logger.watched.lock().unwrap_or_else(|p| p.into_inner());
    if watched.remove(random).is_some() {
        logger.watching.fetch_sub(1, Ordering::AcqRel);
    }
}

#[cfg(test)]
mod tests {
    use rustls::KeyLog;

    #[test]
    fn only_watched_randoms_keep_lines() {
        let logger = super::logger();
        let (a, b) = ([7u8; 32], [9u8; 32]);
        super::watch(a);
        logger.log("CLIENT_RANDOM", &a, &[0xab, 0x01]);
        logger.log("CLIENT_RANDOM", &b, &[0xcd]);
        let line = format!("CLIENT_RANDOM {} ab01\n", "07".repeat(32));
        assert_eq!(super::take(&a), [line.into_bytes()]);
        assert!(super::take(&a).is_empty());
        assert!(super::take(&b).is_empty());
        super::unwatch(&a);
        logger.log("CLIENT_RANDOM", &a, &[0xab]);
        assert!(super::take(&a).is_empty());
    }
}
