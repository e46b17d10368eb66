//! The server a Rust user would write instead of ours: tokio-rustls on tokio's default
//! (multi-threaded) runtime, rustls with the same ring provider, the same sink as ours
//! and Node's (discard what is read, ack one byte per `unit` received), an echo server
//! (what is read is written back) or a source (`unit` bytes in `chunk`-byte writes per
//! byte read).

use super::Serve;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves on 127.0.0.1 (a free port, printed as `{"event":"listening",...}`) until
/// killed.
pub fn serve(key: &str, cert: &str, serve: Serve, unit: u64, chunk: usize) -> ! {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .expect("the certificate chain");
    let key = PrivateKeyDer::from_pem_file(key).expect("the key");
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .expect("the key and certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let port = listener.local_addr().expect("local address").port();
        println!(r#"{{"event":"listening","address":{{"port":{port}}}}}"#);
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut buf = vec![0u8; 64 * 1024];
                let source = vec![b'x'; chunk];
                let (mut got, mut acked) = (0u64, 0u64);
                'read: while let Ok(n @ 1..) = tls.read(&mut buf).await {
                    match serve {
                        Serve::Echo => {
                            let echoed = tls.write_all(&buf[..n]).await;
                            if echoed.is_err() || tls.flush().await.is_err() {
                                break;
                            }
                            continue;
                        }
                        Serve::Source => {
                            for _ in 0..n as u64 * unit / chunk as u64 {
                                if tls.write_all(&source).await.is_err() {
                                    break 'read;
                                }
                            }
                            if tls.flush().await.is_err() {
                                break;
                            }
                            continue;
                        }
                        Serve::Sink => {}
                    }
                    got += n as u64;
                    let units = got / unit;
                    if units > acked {
                        let ack = vec![b'k'; (units - acked) as usize];
                        // flushed: tokio-rustls may keep written bytes in rustls
                        // when the socket would block, and the client waits for them
                        if tls.write_all(&ack).await.is_err() || tls.flush().await.is_err() {
                            break;
                        }
                        acked = units;
                    }
                }
                let _ = tls.shutdown().await;
            });
        }
    })
}
