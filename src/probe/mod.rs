//! `runner probe URL`: asks a TLS server what it wants, with short handshakes of its own: the
//! chain it presents and whether it verifies (against the given trust and the system's), the
//! protocol versions, cipher suites and ALPN protocols it accepts, whether it asks for or
//! requires a client certificate and from which CAs, whether it staples OCSP and where its
//! certificate says revocation is published. Failures are explained in `run`'s words.

mod starter;

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use rustls::crypto::CryptoProvider;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, SupportedCipherSuite, SupportedProtocolVersion};
use schemars::JsonSchema;
use serde::Serialize;
use url::Url;

use crate::config::suite::Endpoint;
use crate::exec::explain;
use crate::load::Loaded;
use crate::tls::TlsClient;
use crate::tls::inspect::{CertInfo, format_time, now};
use crate::tls::observe::{Handshakes, Stapled};
use crate::tls::verify::ServerVerifier;

pub use starter::starter_suite;

/// How long each connection and handshake of the probe may take.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// What the server said, as `--output json` prints it (`schemas/probe.schema.json`).
#[derive(Debug, Serialize, JsonSchema)]
pub struct Probe {
    /// The URL probed.
    pub url: String,
    /// The certificates the server presented, leaf first.
    pub chain: Vec<Certificate>,
    /// Whether the chain verifies: against the trust given (`--cert` or the suite's
    /// endpoint), and against the system's trust store.
    pub verification: Vec<Verification>,
    /// Per protocol version: accepted or not, and which of runner's cipher suites.
    pub protocols: Vec<Protocol>,
    /// Which ALPN protocols the server takes when offered alone.
    pub alpn: Vec<Alpn>,
    /// The server gave a session to resume (a TLS 1.3 ticket or a TLS 1.2 session).
    pub session_resumption: bool,
    /// The status a GET of the URL's path got, with the given trust and identity.
    pub status: Option<u16>,
    pub client_auth: ClientAuth,
    pub revocation: Revocation,
}

/// One certificate of the chain.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Certificate {
    pub subject: String,
    pub issuer: String,
    /// DNS names and IP addresses.
    pub names: Vec<String>,
    pub not_before: String,
    pub not_after: String,
    /// Days until it expires (negative: expired).
    pub days_left: i64,
    /// "ECDSA P-256", "RSA 2048".
    pub key: String,
    pub serial: String,
    /// SHA-256 fingerprint, as openssl prints it.
    pub sha256: String,
    /// Base64 SHA-256 of its public key: what `pin_sha256` takes.
    pub spki_sha256: String,
}

/// Whether the chain verifies against one trust.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Verification {
    /// "the trust given (ca.crt)" or "the system's trust store".
    pub against: String,
    pub verified: bool,
    /// Why not, in `runner run`'s words.
    pub reason: Option<String>,
}

/// One protocol version.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Protocol {
    /// "TLSv1.2", "TLSv1.3".
    pub version: String,
    pub accepted: bool,
    /// runner's cipher suites the server accepts in this version, each offered alone.
    pub cipher_suites: Vec<String>,
    /// The suite chosen when all are offered, in runner's order and reversed: the server's
    /// preference when both give the same.
    pub preferred: Option<String>,
    /// True when the server chose the same suite whatever the order offered.
    pub server_order: bool,
}

/// One ALPN protocol offered alone.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Alpn {
    pub protocol: String,
    pub accepted: bool,
}

/// What the server does about client certificates.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ClientAuth {
    /// The server sent a CertificateRequest.
    pub requested: bool,
    /// A request without a client certificate is refused.
    pub required: bool,
    /// The CAs it names as acceptable.
    pub acceptable_cas: Vec<String>,
    /// The signature schemes it accepts from a client certificate.
    pub signature_schemes: Vec<String>,
    /// The identity given (the suite's endpoint, or `--cert-file`): its issuer, and whether the
    /// server names that issuer.
    pub identity: Option<IdentityFit>,
}

/// The configured identity against what the server asks for.
#[derive(Debug, Serialize, JsonSchema)]
pub struct IdentityFit {
    pub subject: String,
    pub issuer: String,
    /// Its issuer is one of the CAs the server names (or the server names none).
    pub issuer_accepted: bool,
}

/// Revocation: stapling, and where the certificate says its status is published.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Revocation {
    pub ocsp_stapled: bool,
    /// What the stapled response says: "good", "revoked", "unknown", or "invalid: why"; none
    /// when nothing is stapled.
    pub ocsp_status: Option<String>,
    pub crl_urls: Vec<String>,
    pub ocsp_urls: Vec<String>,
}

/// Why the probe could not be made.
#[derive(Debug)]
pub enum ProbeError {
    /// No TLS connection at all: the server cannot be reached, or speaks no TLS.
    Unreachable(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unreachable(reason) => f.write_str(reason),
        }
    }
}

/// The TLS of the probe: the endpoint it speaks as (trust, identity, server name), and, when
/// that trust is not the system's, the system's too.
#[derive(Debug)]
pub struct Setup {
    pub url: Url,
    pub given: Loaded,
    /// Which endpoint of `given` speaks for the probe.
    pub endpoint: usize,
    /// What `given` trusts, in words.
    pub given_trust: Option<String>,
    pub system: Option<Loaded>,
}

/// The JSON Schema of `runner probe --output json` (`schemas/probe.schema.json`).
pub fn schema() -> String {
    let schema = schemars::schema_for!(Probe);
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Probes the server of `setup.url`.
pub fn probe(setup: &Setup) -> Result<Probe, ProbeError> {
    let host = setup.url.host_str().unwrap_or_default().to_owned();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(&host)
        .to_owned();
    let port = setup.url.port_or_known_default().unwrap_or(443);
    let (endpoint, tls) = endpoint_of(&setup.given, setup.endpoint);
    let name = tls
        .server_name
        .clone()
        .or_else(|| ServerName::try_from(host.clone()).ok())
        .ok_or_else(|| ProbeError::Unreachable(format!("`{host}` is not a TLS server name")))?;
    let identity = tls
        .identity
        .is_some()
        .then(|| Arc::clone(&tls.config.client_auth_cert_resolver));
    let target = Target {
        host,
        port,
        name,
        identity,
    };

    // The main handshake, with the given trust and identity: the chain, the client auth, and
    // the status a GET of the URL's path gets.
    let mut main = target.handshake(Arc::clone(&tls.config));
    if let Err(Failed::Connect(reason)) = &main {
        return Err(ProbeError::Unreachable(reason.clone()));
    }
    let record = tls.handshakes.last();
    let chain = tls.handshakes.chain(&record);
    let status = main
        .as_mut()
        .ok()
        .and_then(|session| ask(session, &target.host, "GET", setup.url.path()).ok())
        .and_then(|answer| status_of(&answer));
    if chain.is_empty()
        && let Err(failed) = &main
    {
        return Err(ProbeError::Unreachable(failed.words(endpoint, tls)));
    }
    let mut verification = vec![Verification {
        against: setup
            .given_trust
            .clone()
            .unwrap_or_else(|| "the system's trust store".to_owned()),
        verified: main.is_ok()
            || !matches!(main, Err(Failed::Tls(rustls::Error::InvalidCertificate(_)))),
        reason: match &main {
            Err(failed @ Failed::Tls(rustls::Error::InvalidCertificate(_))) => {
                Some(failed.words(endpoint, tls))
            }
            _ => None,
        },
    }];
    if let Some(system) = &setup.system {
        let (endpoint, tls) = endpoint_of(system, 0);
        let verdict = target.handshake(Arc::clone(&tls.config));
        verification.push(Verification {
            against: "the system's trust store".to_owned(),
            verified: !matches!(
                verdict,
                Err(Failed::Tls(rustls::Error::InvalidCertificate(_)))
            ),
            reason: match &verdict {
                Err(failed @ Failed::Tls(rustls::Error::InvalidCertificate(_))) => {
                    Some(failed.words(endpoint, tls))
                }
                _ => None,
            },
        });
    }

    // Client authentication: asked for or not; required if a request without a certificate
    // is refused.
    let requested = record.client_cert_requested;
    let required = requested && refuses_without(&target);
    let identity = tls.identity.as_ref().map(|identity| IdentityFit {
        subject: identity.leaf.subject.clone(),
        issuer: identity.leaf.issuer.clone(),
        issuer_accepted: record.acceptable_cas.is_empty()
            || record.acceptable_cas.contains(&identity.leaf.issuer),
    });
    let leaf = chain.first();
    Ok(Probe {
        url: setup.url.to_string(),
        chain: chain.iter().map(certificate).collect(),
        verification,
        protocols: protocols(&target),
        alpn: ["h2", "http/1.1"]
            .iter()
            .map(|protocol| Alpn {
                protocol: (*protocol).to_owned(),
                accepted: target
                    .open(
                        &versions_all(),
                        None,
                        vec![protocol.as_bytes().to_vec()],
                        true,
                    )
                    .is_ok_and(|session| session.alpn.as_deref() == Some(protocol.as_bytes())),
            })
            .collect(),
        session_resumption: resumption(&target),
        status,
        client_auth: ClientAuth {
            requested,
            required,
            acceptable_cas: record.acceptable_cas.to_vec(),
            signature_schemes: record.client_schemes.to_vec(),
            identity,
        },
        revocation: Revocation {
            ocsp_stapled: record.ocsp_stapled,
            ocsp_status: match &record.ocsp {
                Stapled::Absent => None,
                Stapled::Invalid(why) => Some(format!("invalid: {why}")),
                stapled => Some(stapled.word().to_owned()),
            },
            crl_urls: leaf.map(|l| l.crl_urls.clone()).unwrap_or_default(),
            ocsp_urls: leaf.map(|l| l.ocsp_urls.clone()).unwrap_or_default(),
        },
    })
}

/// The endpoint the probe speaks as, and its TLS (the command made sure it is https://).
fn endpoint_of(loaded: &Loaded, index: usize) -> (&Endpoint, &TlsClient) {
    match (loaded.suite.endpoints.get(index), loaded.tls.get(index)) {
        (Some(endpoint), Some(Some(tls))) => (endpoint, tls),
        _ => unreachable!("the probe's endpoint is an https:// one"),
    }
}

fn certificate(info: &CertInfo) -> Certificate {
    Certificate {
        subject: info.subject.clone(),
        issuer: info.issuer.clone(),
        names: info.names.clone(),
        not_before: format_time(info.not_before),
        not_after: format_time(info.not_after),
        days_left: (info.not_after - now()).div_euclid(86_400),
        key: info.key_type.clone(),
        serial: info.serial.clone(),
        sha256: info.sha256.clone(),
        spki_sha256: info.spki_sha256.clone(),
    }
}

/// Where to connect, the name to speak TLS to, and the identity given.
struct Target {
    host: String,
    port: u16,
    name: ServerName<'static>,
    identity: Identity,
}

/// A finished handshake.
struct Session {
    conn: ClientConnection,
    sock: TcpStream,
    suite: Option<SupportedCipherSuite>,
    alpn: Option<Vec<u8>>,
}

/// Why a handshake did not finish.
#[derive(Debug)]
enum Failed {
    /// No TCP connection.
    Connect(String),
    Tls(rustls::Error),
    Io(std::io::Error),
}

impl Failed {
    /// In `runner run`'s words.
    fn words(&self, endpoint: &Endpoint, tls: &TlsClient) -> String {
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
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| Failed::Connect(format!("cannot resolve {}: {e}", self.host)))?;
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
    fn open(
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
    fn handshake(&self, config: Arc<ClientConfig>) -> Result<Session, Failed> {
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
fn ask(session: &mut Session, host: &str, method: &str, path: &str) -> Result<String, String> {
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
fn status_of(answer: &str) -> Option<u16> {
    answer
        .strip_prefix("HTTP/1.")?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Whether a request without a client certificate is refused: an alert or a closed
/// connection after the handshake (TLS 1.3), or nginx's "No required SSL certificate" page.
fn refuses_without(target: &Target) -> bool {
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
fn resumption(target: &Target) -> bool {
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
fn protocols(target: &Target) -> Vec<Protocol> {
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
fn takes(result: &Result<Session, Failed>) -> bool {
    matches!(
        result,
        Ok(_)
            | Err(Failed::Tls(rustls::Error::AlertReceived(
                rustls::AlertDescription::CertificateRequired
            )))
    )
}

fn versions_all() -> [&'static SupportedProtocolVersion; 2] {
    [&rustls::version::TLS13, &rustls::version::TLS12]
}

/// A configuration that accepts any certificate (the probe asks about protocols, not trust),
/// offering `versions`, `suites` (all of runner's when `None`) and `alpn`, and the identity
/// given, if any. `None` when no suite is left for the versions.
fn open_config(
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
        webpki: None,
        pinned: Vec::new(),
        check_name: false,
        expected_name: None,
        provider: Arc::clone(&provider),
        handshakes: Arc::new(Handshakes::default()),
        proxy: None,
        pins: Vec::new(),
        stapling: crate::config::suite::Stapling::Ignore,
        allow_unknown: false,
        issuers: Vec::new(),
        fetch: None,
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
type Identity = Option<Arc<dyn rustls::client::ResolvesClientCert>>;

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

/// The probe in words, for a terminal.
pub fn text(probe: &Probe) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{}", probe.url);
    let _ = writeln!(out, "chain ({} presented):", probe.chain.len());
    for (at, cert) in probe.chain.iter().enumerate() {
        let _ = writeln!(out, "  {at}: {}", cert.subject);
        let _ = writeln!(out, "     issuer: {}", cert.issuer);
        if !cert.names.is_empty() {
            let _ = writeln!(out, "     names: {}", cert.names.join(", "));
        }
        let _ = writeln!(
            out,
            "     valid: {} to {} ({} days left)",
            cert.not_before, cert.not_after, cert.days_left
        );
        let _ = writeln!(out, "     key: {}, serial {}", cert.key, cert.serial);
        let _ = writeln!(out, "     sha256: {}", cert.sha256);
        let _ = writeln!(out, "     spki_sha256: {}", cert.spki_sha256);
    }
    for check in &probe.verification {
        match &check.reason {
            None => {
                let _ = writeln!(out, "verifies against {}: yes", check.against);
            }
            Some(reason) => {
                let _ = writeln!(out, "verifies against {}: no", check.against);
                for line in reason.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
    }
    let _ = writeln!(out, "protocols:");
    for protocol in &probe.protocols {
        if !protocol.accepted {
            let _ = writeln!(out, "  {}: refused", protocol.version);
            continue;
        }
        let _ = writeln!(out, "  {}: accepted", protocol.version);
        for suite in &protocol.cipher_suites {
            let mark = if probe_preferred(protocol, suite) {
                " (the server's choice)"
            } else {
                ""
            };
            let _ = writeln!(out, "    {suite}{mark}");
        }
    }
    let alpn: Vec<String> = probe
        .alpn
        .iter()
        .map(|a| format!("{} {}", a.protocol, if a.accepted { "yes" } else { "no" }))
        .collect();
    let _ = writeln!(out, "alpn: {}", alpn.join(", "));
    let _ = writeln!(
        out,
        "session resumption: {}",
        if probe.session_resumption {
            "offered"
        } else {
            "not offered"
        }
    );
    let auth = &probe.client_auth;
    let _ = writeln!(
        out,
        "client certificate: {}",
        match (auth.requested, auth.required) {
            (false, _) => "not asked for",
            (true, true) => "required",
            (true, false) => "asked for, optional",
        }
    );
    if auth.requested {
        if auth.acceptable_cas.is_empty() {
            let _ = writeln!(out, "  acceptable CAs: none named");
        } else {
            let _ = writeln!(out, "  acceptable CAs:");
            for ca in &auth.acceptable_cas {
                let _ = writeln!(out, "    - {ca}");
            }
        }
        if let Some(identity) = &auth.identity {
            let _ = writeln!(
                out,
                "  the identity given, {} (issued by {}), {}",
                identity.subject,
                identity.issuer,
                if identity.issuer_accepted {
                    "is from an acceptable CA"
                } else {
                    "is NOT from a CA the server names"
                }
            );
        }
    }
    let revocation = &probe.revocation;
    let _ = writeln!(
        out,
        "ocsp stapling: {}",
        match &revocation.ocsp_status {
            Some(status) => format!("a response is stapled: {status}"),
            None => "none".to_owned(),
        }
    );
    if !revocation.crl_urls.is_empty() {
        let _ = writeln!(out, "crl: {}", revocation.crl_urls.join(", "));
    }
    if !revocation.ocsp_urls.is_empty() {
        let _ = writeln!(out, "ocsp responder: {}", revocation.ocsp_urls.join(", "));
    }
    out
}

fn probe_preferred(protocol: &Protocol, suite: &str) -> bool {
    protocol.server_order && protocol.preferred.as_deref() == Some(suite)
}
