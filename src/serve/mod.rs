//! `runner serve`: a local HTTPS echo server (httpbin-style routes) whose answers include the
//! TLS session it saw: protocol, cipher, ALPN and the client certificate. The project's own test
//! server, and a debugging tool ("did my client certificate arrive?").

mod body;
mod routes;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tracing::{debug, info};

use crate::tls::{CertInfo, cipher_name};

/// The demo PKI, built in: `runner serve` works without any file.
pub const DEMO_CA: &[u8] = include_bytes!("../../configs/certs/ca.crt");
const DEMO_CERT: &[u8] = include_bytes!("../../configs/certs/server.crt");
const DEMO_KEY: &[u8] = include_bytes!("../../configs/certs/server.key");

/// How the server is set up.
#[derive(Debug, Clone)]
pub struct Options {
    pub addr: SocketAddr,
    /// PEM certificate chain and key; `None`: the demo server certificate (localhost).
    pub cert: Option<(PathBuf, PathBuf)>,
    /// PEM CA whose client certificates are accepted; `Some(None)`: the demo CA.
    pub client_ca: Option<Option<PathBuf>>,
    pub require_client_cert: bool,
    /// A DER OCSP response to staple to the certificate (`--ocsp`).
    pub ocsp: Option<PathBuf>,
}

/// Why the server cannot start.
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One request the server answered, for tests and logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Since the server started.
    pub at: Duration,
    pub method: String,
    pub path: String,
    pub status: u16,
}

/// State shared by all connections.
#[derive(Debug)]
pub struct State {
    started: Instant,
    records: Mutex<Vec<Record>>,
}

impl State {
    fn record(&self, method: &str, path: &str, status: u16) {
        let record = Record {
            at: self.started.elapsed(),
            method: method.to_owned(),
            path: path.to_owned(),
            status,
        };
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }

    /// How many requests to this path came before (for routes that answer differently over time).
    fn count(&self, path: &str) -> usize {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .filter(|r| r.path == path)
            .count()
    }
}

/// A running server.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    state: Arc<State>,
}

impl Server {
    /// The requests answered so far.
    pub fn records(&self) -> Vec<Record> {
        self.state
            .records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// What the server knows of a connection's TLS session.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Session {
    pub version: String,
    pub cipher: String,
    pub alpn: Option<String>,
    pub client_certificate: Option<ClientCertificate>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ClientCertificate {
    pub subject: String,
    pub issuer: String,
}

fn read(path: &PathBuf) -> Result<Vec<u8>, ServeError> {
    std::fs::read(path).map_err(|e| {
        ServeError(format!(
            "cannot read {}: {}",
            path.display(),
            crate::words::io_reason(&e)
        ))
    })
}

fn certificates(pem: &[u8], what: &str) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ServeError(format!("the {what} is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ServeError(format!("the {what} holds no certificate")));
    }
    Ok(certs)
}

fn server_config(options: &Options) -> Result<ServerConfig, ServeError> {
    let (cert_pem, key_pem) = match &options.cert {
        Some((cert, key)) => (read(cert)?, read(key)?),
        None => (DEMO_CERT.to_vec(), DEMO_KEY.to_vec()),
    };
    let chain = certificates(&cert_pem, "server certificate")?;
    let key = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| ServeError(format!("the server key cannot be read: {e}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let builder = ServerConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError(e.to_string()))?;
    let builder = match &options.client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let pem = match ca {
                Some(path) => read(path)?,
                None => DEMO_CA.to_vec(),
            };
            let mut roots = RootCertStore::empty();
            for cert in certificates(&pem, "client CA file")? {
                roots
                    .add(cert)
                    .map_err(|e| ServeError(format!("the client CA cannot be used: {e}")))?;
            }
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
            let verifier = if options.require_client_cert {
                verifier
            } else {
                verifier.allow_unauthenticated()
            };
            builder
                .with_client_cert_verifier(verifier.build().map_err(|e| ServeError(e.to_string()))?)
        }
    };
    let ocsp = match &options.ocsp {
        Some(path) => read(path)?,
        None => Vec::new(),
    };
    let mut config = builder
        .with_single_cert_with_ocsp(chain, key, ocsp)
        .map_err(|e| {
            ServeError(format!(
                "the server certificate and key do not go together: {e}"
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

/// Starts the server; it runs until the runtime ends.
pub async fn start(options: &Options) -> Result<Server, ServeError> {
    let acceptor = TlsAcceptor::from(Arc::new(server_config(options)?));
    let listener = TcpListener::bind(options.addr).await.map_err(|e| {
        ServeError(format!(
            "cannot listen on {}: {}",
            options.addr,
            crate::words::io_reason(&e)
        ))
    })?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError(e.to_string()))?;
    let state = Arc::new(State {
        started: Instant::now(),
        records: Mutex::new(Vec::new()),
    });
    let shared = Arc::clone(&state);
    tokio::spawn(async move {
        loop {
            let Ok((tcp, peer)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let state = Arc::clone(&shared);
            tokio::spawn(async move {
                let tls = match acceptor.accept(tcp).await {
                    Ok(tls) => tls,
                    Err(error) => {
                        info!(peer = %peer, error = %error, "serve: TLS handshake with {peer} failed: {error}");
                        return;
                    }
                };
                let session = Arc::new(session(tls.get_ref().1));
                let service = hyper::service::service_fn(move |request| {
                    routes::handle(request, Arc::clone(&session), Arc::clone(&state))
                });
                if let Err(error) = auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), service)
                    .await
                {
                    debug!(peer = %peer, error = %error, "serve: connection with {peer} ended: {error}");
                }
            });
        }
    });
    Ok(Server { addr, state })
}

fn session(connection: &rustls::ServerConnection) -> Session {
    let version = match connection.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLSv1.3",
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLSv1.2",
        _ => "unknown",
    };
    Session {
        version: version.to_owned(),
        cipher: connection
            .negotiated_cipher_suite()
            .map(cipher_name)
            .unwrap_or_default(),
        alpn: connection
            .alpn_protocol()
            .map(|p| String::from_utf8_lossy(p).into_owned()),
        client_certificate: connection
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|leaf| CertInfo::from_der(leaf).ok())
            .map(|info| ClientCertificate {
                subject: info.subject,
                issuer: info.issuer,
            }),
    }
}
