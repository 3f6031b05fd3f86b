//! The probe's own handshakes: one TCP connection and one rustls client connection each, with
//! short timeouts, offering exactly what a question needs (a version, a suite, an ALPN
//! protocol), and a request over a finished one when the answer tells more.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, SupportedCipherSuite, SupportedProtocolVersion};

use super::{Protocol, TIMEOUT};
use crate::config::suite::Endpoint;
use crate::exec::explain;
use crate::resolve::loopback;
use crate::tls::TlsClient;
use crate::tls::verify::ServerVerifier;

/// Where to connect, the name to speak TLS to, and the identity given.
pub(super) struct Target {
    pub host: String,
    pub port: u16,
    pub name: ServerName<'static>,
    pub identity: Identity,
}

/// A finished handshake.
pub(super) struct Session {
    conn: ClientConnection,
    sock: TcpStream,
    pub suite: Option<SupportedCipherSuite>,
    pub alpn: Option<Vec<u8>>,
}

/// Why a handshake did not finish.
#[derive(Debug)]
pub(super) enum Failed {
    /// No TCP connection.
    Connect(String),
    Tls(rustls::Error),
    Io(std::io::Error),
}

impl Failed {
    /// In `runner run`'s words.
    pub fn words(&self, endpoint: &Endpoint, tls: &TlsClient) -> String {
        match self {
            Self::Connect(reason) => reason.clone(),
            Self::Tls(error) => {
                explain::tls_failure(error, endpoint, tls, &tls.handshakes.last()).render()
            }
            Self::Io(error) => format!("the connection failed during the handshake: {error}"),
        }
    }
}

impl Target {
    fn connect(&self) -> Result<TcpStream, Failed> {
        let addrs: Vec<SocketAddr> = match loopback(&self.host, self.port) {
            Some(addrs) => addrs,
            None => (self.host.as_str(), self.port)
                .to_socket_addrs()
                .map_err(|e| Failed::Connect(format!("cannot resolve {}: {e}", self.host)))?
                .collect(),
        };
        let mut last = None;
        for addr in addrs {
            match TcpStream::connect_timeout(&addr, TIMEOUT) {
                Ok(sock) => {
                    let _ = sock.set_read_timeout(Some(TIMEOUT));
                    let _ = sock.set_write_timeout(Some(TIMEOUT));
                    return Ok(sock);
                }
                Err(error) => last = Some(error),
            }
        }
        Err(Failed::Connect(format!(
            "could not connect to {}:{}: {}",
            self.host,
            self.port,
            last.map_or_else(|| "no address".to_owned(), |e| crate::words::io_reason(&e))
        )))
    }

    /// One handshake that trusts anything, offering `versions`, `suites` (all when `None`) and
    /// `alpn`, with the identity given when `identity`.
    pub fn open(
        &self,
        versions: &[&'static SupportedProtocolVersion],
        suites: Option<Vec<SupportedCipherSuite>>,
        alpn: Vec<Vec<u8>>,
        identity: bool,
    ) -> Result<Session, Failed> {
        let identity = if identity {
            self.identity.clone()
        } else {
            None
        };
        match open_config(versions, suites, alpn, &identity) {
            Some(config) => self.handshake(Arc::new(config)),
            None => Err(Failed::Tls(rustls::Error::General(
                "no cipher suite for these versions".to_owned(),
            ))),
        }
    }

    /// One handshake with `config`.
    pub fn handshake(&self, config: Arc<ClientConfig>) -> Result<Session, Failed> {
        let mut sock = self.connect()?;
        let mut conn = ClientConnection::new(config, self.name.clone()).map_err(Failed::Tls)?;
        while conn.is_handshaking() {
            match conn.complete_io(&mut sock) {
                Ok(_) => {}
                Err(error) => {
                    return Err(
                        match error
                            .get_ref()
                            .and_then(|e| e.downcast_ref::<rustls::Error>())
                        {
                            Some(tls) => Failed::Tls(tls.clone()),
                            None => Failed::Io(error),
                        },
                    );
                }
            }
        }
        Ok(Session {
            suite: conn.negotiated_cipher_suite(),
            alpn: conn.alpn_protocol().map(<[u8]>::to_vec),
            conn,
            sock,
        })
    }
}

/// Sends `METHOD path` on the session and reads what comes back (up to 64 KiB), or why nothing
/// does.
pub(super) fn ask(
    session: &mut Session,
    host: &str,
    method: &str,
    path: &str,
) -> Result<String, String> {
    let request = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    let mut stream = rustls::Stream::new(&mut session.conn, &mut session.sock);
    stream
        .write_all(request.as_bytes())
        .map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while answer.len() < 64 * 1024 {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => answer.extend_from_slice(&buffer[..n]),
            Err(error) if answer.is_empty() => return Err(error.to_string()),
            Err(_) => break,
        }
    }
    if answer.is_empty() {
        return Err("the server closed the connection".to_owned());
    }
    Ok(String::from_utf8_lossy(&answer).into_owned())
}

/// The status code of an HTTP/1.1 answer.
pub(super) fn status_of(answer: &str) -> Option<u16> {
    answer
        .strip_prefix("HTTP/1.")?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Whether a request without a client certificate is refused: an alert or a closed
/// connection after the handshake (TLS 1.3), or nginx's "No required SSL certificate" page.
pub(super) fn refuses_without(target: &Target) -> bool {
    match target.open(&versions_all(), None, vec![b"http/1.1".to_vec()], false) {
        Err(_) => true,
        // GET: nginx says why in the body of its 400.
        Ok(mut session) => match ask(&mut session, &target.host, "GET", "/") {
            Err(_) => true,
            Ok(answer) => answer.contains("No required SSL certificate was sent"),
        },
    }
}

/// Whether the server hands out a session to resume.
pub(super) fn resumption(target: &Target) -> bool {
    let store = Arc::new(CountingStore::default());
    let Some(mut config) = open_config(
        &versions_all(),
        None,
        vec![b"http/1.1".to_vec()],
        &target.identity,
    ) else {
        return false;
    };
    config.resumption = rustls::client::Resumption::store(Arc::clone(&store) as _);
    if let Ok(mut session) = target.handshake(Arc::new(config)) {
        // TLS 1.3 tickets come after the handshake: read an answer to receive them.
        let _ = ask(&mut session, &target.host, "HEAD", "/");
    }
    store.stored()
}

/// The versions and suites the server accepts, each suite offered alone.
pub(super) fn protocols(target: &Target) -> Vec<Protocol> {
    [
        (&rustls::version::TLS12, "TLSv1.2"),
        (&rustls::version::TLS13, "TLSv1.3"),
    ]
    .into_iter()
    .map(|(version, name)| {
        let suites: Vec<SupportedCipherSuite> = rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES
            .iter()
            .copied()
            .filter(|s| s.version() == version)
            .collect();
        let accepted = takes(&target.open(&[version], None, Vec::new(), true));
        let cipher_suites: Vec<SupportedCipherSuite> = if accepted {
            suites
                .iter()
                .copied()
                .filter(|suite| {
                    takes(&target.open(&[version], Some(vec![*suite]), Vec::new(), true))
                })
                .collect()
        } else {
            Vec::new()
        };
        let chosen = |order: Vec<SupportedCipherSuite>| {
            if order.is_empty() {
                return None;
            }
            target
                .open(&[version], Some(order), Vec::new(), true)
                .ok()
                .and_then(|s| s.suite)
        };
        let forward = chosen(cipher_suites.clone());
        let backward = chosen(cipher_suites.iter().rev().copied().collect());
        Protocol {
            version: name.to_owned(),
            accepted,
            cipher_suites: cipher_suites
                .iter()
                .copied()
                .map(crate::tls::cipher_name)
                .collect(),
            preferred: forward.map(crate::tls::cipher_name),
            server_order: cipher_suites.len() > 1 && forward.is_some() && forward == backward,
        }
    })
    .collect()
}

/// The server took the offer: the handshake finished, or it went as far as refusing a missing
/// client certificate (a server that requires one ends a TLS 1.2 handshake without it).
pub(super) fn takes(result: &Result<Session, Failed>) -> bool {
    matches!(
        result,
        Ok(_)
            | Err(Failed::Tls(rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
            )))
    )
}

pub(super) fn versions_all() -> [&'static SupportedProtocolVersion; 2] {
    [&rustls::version::TLS13, &rustls::version::TLS12]
}

/// A configuration that accepts any certificate (the probe asks about protocols, not trust),
/// offering `versions`, `suites` (all of runner's when `None`) and `alpn`, and the identity
/// given, if any. `None` when no suite is left for the versions.
pub(super) fn open_config(
    versions: &[&'static SupportedProtocolVersion],
    suites: Option<Vec<SupportedCipherSuite>>,
    alpn: Vec<Vec<u8>>,
    identity: &Identity,
) -> Option<ClientConfig> {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if let Some(suites) = suites {
        provider.cipher_suites = suites;
    }
    let provider: Arc<CryptoProvider> = Arc::new(provider);
    let verifier = Arc::new(ServerVerifier {
        danger_accept_any: true,
        check_name: false,
        ..ServerVerifier::trusting_nothing(Arc::clone(&provider))
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(versions)
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        Some(resolver) => builder.with_client_cert_resolver(Arc::clone(resolver)),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = alpn;
    config.resumption = rustls::client::Resumption::disabled();
    Some(config)
}

/// The client identity given, as the main configuration presents it.
pub(super) type Identity = Option<Arc<dyn rustls::client::ResolvesClientCert>>;

/// A session store that only notes that the server gave something to resume.
#[derive(Debug, Default)]
struct CountingStore {
    stored: std::sync::atomic::AtomicBool,
}

impl CountingStore {
    fn stored(&self) -> bool {
        self.stored.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn note(&self) {
        self.stored
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

impl rustls::client::ClientSessionStore for CountingStore {
    fn set_kx_hint(&self, _: ServerName<'static>, _: rustls::NamedGroup) {}

    fn kx_hint(&self, _: &ServerName<'_>) -> Option<rustls::NamedGroup> {
        None
    }

    fn set_tls12_session(
        &self,
        _: ServerName<'static>,
        _: rustls::client::Tls12ClientSessionValue,
    ) {
        self.note();
    }

    fn tls12_session(&self, _: &ServerName<'_>) -> Option<rustls::client::Tls12ClientSessionValue> {
        None
    }

    fn remove_tls12_session(&self, _: &ServerName<'static>) {}

    fn insert_tls13_ticket(
        &self,
        _: ServerName<'static>,
        _: rustls::client::Tls13ClientSessionValue,
    ) {
        self.note();
    }

    fn take_tls13_ticket(
        &self,
        _: &ServerName<'static>,
    ) -> Option<rustls::client::Tls13ClientSessionValue> {
        None
    }
}
