//! An in-process rustls server for handshake tests: it records what each handshake negotiated
//! (version, cipher, client certificate, resumption) and answers "ok".

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    HandshakeKind, RootCertStore, ServerConfig, SupportedCipherSuite, SupportedProtocolVersion,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::pki;

/// What the server saw of one handshake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub version: String,
    pub cipher: String,
    /// The client certificate's subject, when one was presented.
    pub client: Option<String>,
    pub resumed: bool,
}

/// How the server is set up.
pub struct Options<'a> {
    pub cert: &'a str,
    pub key: &'a str,
    /// Ask for client certificates issued by this CA.
    pub client_ca: Option<&'a str>,
    pub require_client_cert: bool,
    pub versions: &'a [&'static SupportedProtocolVersion],
    pub ciphers: Option<Vec<SupportedCipherSuite>>,
}

impl<'a> Options<'a> {
    pub fn new(cert: &'a str, key: &'a str) -> Self {
        Self {
            cert,
            key,
            client_ca: None,
            require_client_cert: false,
            versions: rustls::ALL_VERSIONS,
            ciphers: None,
        }
    }
}

/// A running server.
pub struct Server {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl Server {
    /// The handshakes completed so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("not poisoned").clone()
    }
}

fn certs(name: &str) -> Vec<CertificateDer<'static>> {
    CertificateDer::pem_file_iter(pki::dir().join(name))
        .expect("PEM")
        .map(|c| c.expect("a certificate"))
        .collect()
}

/// Starts a server on a free loopback port; it runs until the test's runtime ends.
pub async fn start(options: Options<'_>) -> Server {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(ciphers) = &options.ciphers {
        provider.cipher_suites.clone_from(ciphers);
    }
    let provider = Arc::new(provider);
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_protocol_versions(options.versions)
        .expect("versions");
    let builder = match options.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            for cert in certs(ca) {
                roots.add(cert).expect("a CA");
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if options.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder.with_client_cert_verifier(verifier.build().expect("a verifier"))
        }
    };
    let key = PrivateKeyDer::from_pem_file(pki::dir().join(options.key)).expect("a key");
    let mut config = builder
        .with_single_cert(certs(options.cert), key)
        .expect("a server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    let seen = Arc::new(Mutex::new(Vec::new()));
    let record = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let record = Arc::clone(&record);
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let (_, connection) = tls.get_ref();
                let seen = Seen {
                    version: format!("{:?}", connection.protocol_version().expect("negotiated")),
                    cipher: connection
                        .negotiated_cipher_suite()
                        .map(runner::tls::cipher_name)
                        .unwrap_or_default(),
                    client: connection
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| {
                            runner::tls::CertInfo::from_der(c)
                                .map(|i| i.subject)
                                .unwrap_or_default()
                        }),
                    resumed: connection.handshake_kind() == Some(HandshakeKind::Resumed),
                };
                record.lock().expect("not poisoned").push(seen);
                let mut buf = [0u8; 16];
                let _ = tls.read(&mut buf).await;
                let _ = tls.write_all(b"ok\n").await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Server { addr, seen }
}
