//! The server a Rust user would write instead of ours: tokio-rustls on tokio's default
//! (multi-threaded) runtime, rustls with the same ring provider, the same sink as ours
//! and Node's (discard what is read, ack one byte per `ack_unit` received), or, with an
//! `ack_unit` of 0, an echo server (what is read is written back).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Serves on 127.0.0.1 (a free port, printed as `{"event":"listening",...}`) until
/// killed: the sink, or the echo server where `ack_unit` is 0.
pub fn serve(key: &str, cert: &str, ack_unit: u64) -> ! {
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
                let (mut got, mut acked) = (0u64, 0u64);
                while let Ok(n @ 1..) = tls.read(&mut buf).await {
                    if ack_unit == 0 {
                        if tls.write_all(&buf[..n]).await.is_err() || tls.flush().await.is_err() {
                            break;
                        }
                        continue;
                    }
                    got += n as u64;
                    let units = got / ack_unit;
                    if units > acked {
                        let ack = vec![b'k'; (units - acked) as usize];
                        if tls.write_all(&ack).await.is_err() {
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
