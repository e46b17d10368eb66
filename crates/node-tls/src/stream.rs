//! TCP or Unix-domain sockets behind one type, as Node's `net` module treats them.

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UnixListener, UnixStream};
use mio::{Interest, Registry, Token};
use std::io::{self, Read, Write};
use std::net::Shutdown;

/// A connected stream socket.
#[derive(Debug)]
pub(crate) enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// No socket yet: the host name is being resolved.
    Resolving,
}

impl Stream {
    pub(crate) fn take_error(&self) -> io::Result<Option<io::Error>> {
        match self {
            Self::Tcp(s) => s.take_error(),
            Self::Unix(s) => s.take_error(),
            Self::Resolving => Ok(None),
        }
    }

    pub(crate) fn is_connected(&self) -> bool {
        match self {
            Self::Tcp(s) => s.peer_addr().is_ok(),
            Self::Unix(s) => s.peer_addr().is_ok(),
            Self::Resolving => false,
        }
    }

    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.shutdown(Shutdown::Write),
            Self::Unix(s) => s.shutdown(Shutdown::Write),
            Self::Resolving => Ok(()),
        }
    }

    /// Reads and drops what the peer sent and nobody will read (up to `limit` bytes),
    /// so that closing sends a FIN, not the reset the kernel sends when unread bytes
    /// are left, which can destroy our last bytes (an alert) before the peer reads
    /// them. Node (libuv) has read them already when it closes such a socket.
    pub(crate) fn drain_input(&mut self, limit: usize) {
        let mut buf = [0u8; 16_384];
        let mut left = limit;
        while left > 0 {
            match self.read(&mut buf[..left.min(16_384)]) {
                Ok(0) | Err(_) => return,
                Ok(n) => left -= n,
            }
        }
    }

    pub(crate) fn set_nodelay(&self) {
        self.set_nodelay_to(true);
    }

    pub(crate) fn set_nodelay_to(&self, on: bool) {
        if let Self::Tcp(s) = self {
            let _ = s.set_nodelay(on);
        }
    }

    /// SO_KEEPALIVE, and TCP_KEEPIDLE when `idle` is not zero (TCP only).
    pub(crate) fn set_keepalive(&self, enable: bool, idle: std::time::Duration) {
        if let Self::Tcp(s) = self {
            let sock = socket2::SockRef::from(s);
            if enable && !idle.is_zero() {
                let _ = sock.set_tcp_keepalive(&socket2::TcpKeepalive::new().with_time(idle));
            } else {
                let _ = sock.set_keepalive(enable);
            }
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf),
            Self::Unix(s) => s.read(buf),
            Self::Resolving => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Self::Tcp(s) => s.write(buf),
            Self::Unix(s) => s.write(buf),
            Self::Resolving => Err(io::ErrorKind::WouldBlock.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Source for Stream {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.register(r, t, i),
            Self::Unix(s) => s.register(r, t, i),
            Self::Resolving => Ok(()),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.reregister(r, t, i),
            Self::Unix(s) => s.reregister(r, t, i),
            Self::Resolving => Ok(()),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Self::Tcp(s) => s.deregister(r),
            Self::Unix(s) => s.deregister(r),
            Self::Resolving => Ok(()),
        }
    }
}

/// A listening socket.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    /// Accepts one connection: the stream and Node's (remoteAddress, remotePort).
    pub(crate) fn accept(&self) -> io::Result<(Stream, Option<std::net::SocketAddr>)> {
        match self {
            Self::Tcp(l) => l.accept().map(|(s, a)| (Stream::Tcp(s), Some(a))),
            Self::Unix(l) => l.accept().map(|(s, _)| (Stream::Unix(s), None)),
        }
    }
}

impl Source for Listener {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Self::Tcp(l) => l.register(r, t, i),
            Self::Unix(l) => l.register(r, t, i),
        }
    }

    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            Self::Tcp(l) => l.reregister(r, t, i),
            Self::Unix(l) => l.reregister(r, t, i),
        }
    }

    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            Self::Tcp(l) => l.deregister(r),
            Self::Unix(l) => l.deregister(r),
        }
    }
}
