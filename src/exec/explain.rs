//! Failures in words a user can act on (spec §5): what the server presented against what is
//! trusted, the names in the certificate against the name asked for, the dates, the client
//! certificate the server asked for, the versions and suites offered. Typed rustls errors and
//! what the handshake recorded are matched, never error messages; the one text looked at is
//! nginx's 400 page for a client certificate it refused, which is all nginx says of it.

mod revocation;

use rustls::{AlertDescription, CertificateError, PeerIncompatible};

use std::sync::Arc;
use std::time::Duration;

use crate::client::phases::{Phase, PhaseTimeout};
use crate::config::duration;
use crate::config::suite::{Endpoint, HttpVersion};
use crate::tls::inspect::{CertInfo, format_time};
use crate::tls::observe::Handshake;
use crate::tls::proxy::Verdict;
use crate::tls::verify::{FetchRefusal, OcspRefusal, PinMismatch};

use crate::tls::{ProxyTrust, TlsClient, cipher_name};
use revocation::{fetch_refused, ocsp_refused, pin_mismatch, revoked};

/// A failure explained: what went wrong, the facts that show it, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub summary: String,
    pub details: Vec<String>,
    pub help: Option<String>,
}

impl Failure {
    fn new(summary: impl Into<String>) -> Self {
        Self {
            summary: summary.into(),
            details: Vec::new(),
            help: None,
        }
    }

    /// Adds a line of facts; an empty one (a fact not known) is left out.
    fn detail(mut self, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        if !detail.is_empty() {
            self.details.push(detail);
        }
        self
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The summary, then one indented line per detail and the help.
    pub fn render(&self) -> String {
        crate::diagnostic::message_lines(&self.summary, &self.details, self.help.as_deref())
    }
}

/// The limits a request ran under, to say which one a timeout was.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The whole request (`timeout`), when there is one.
    pub whole: Option<Duration>,
    /// The longest gap in an answer (`read_timeout`), when there is one.
    pub gap: Option<Duration>,
    /// How long the request ran.
    pub elapsed: Duration,
    /// The proxy between runner and the server, if one is.
    pub proxy: Option<String>,
    /// Its trust, when it is an https:// proxy.
    pub proxy_trust: Option<Arc<ProxyTrust>>,
}

impl Limits {
    /// A timeout, named by the limit that fired: the whole request's when its time is up
    /// (`unfinished` says what was not done), else the gap's (`stalled` says where it stopped).
    pub fn timed_out(&self, unfinished: &str, stalled: &str) -> Failure {
        let whole_spent = self
            .whole
            .is_some_and(|whole| self.elapsed + SLACK >= whole);
        let gap = self.gap.filter(|_| !whole_spent);
        match (self.whole, gap) {
            (Some(whole), None) => Failure::new(format!(
                "the request timed out: {unfinished} within {} (timeout)",
                duration::show(whole)
            ))
            .help("raise the endpoint's or the request's `timeout` (\"none\" for no limit), or check that the server answers"),
            (_, Some(gap)) => Failure::new(format!(
                "the request timed out: {stalled}, and nothing came for {} (read_timeout)",
                duration::show(gap)
            ))
            .help("raise the endpoint's `read_timeout` (\"none\" for no limit), or check that the server answers"),
            (None, None) => Failure::new(format!("the request timed out: {unfinished}")),
        }
    }
}

/// Timers fire a little late: a timeout this close to the whole limit is the whole limit's.
const SLACK: Duration = Duration::from_millis(50);

/// The first cause of an error of type `T`.
fn find<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = cause(error);
    }
    None
}

/// A connection phase that took too long.
fn phase_timeout(timeout: &PhaseTimeout, host: &str, port: u16) -> Failure {
    let limit = duration::show(timeout.limit);
    match timeout.phase {
        Phase::Connect => Failure::new(format!(
            "could not connect to {host}:{port}: no TCP connection within {limit} (connect_timeout)"
        ))
        .help("check that the server runs and the host and port are right (a firewall may drop the packets), or raise `connect_timeout`"),
        Phase::Handshake => Failure::new(format!(
            "the TLS handshake with {host}:{port} did not finish within {limit} (secure_socket.handshake_timeout)"
        ))
        .detail("the TCP connection was open: the server does not answer TLS on this port, or is too busy to")
        .help("check that this port speaks TLS (http:// for plain HTTP), or raise `handshake_timeout`"),
    }
}

/// Why a body broke off, in words: `received` bytes of `announced`; `over_tls` tells a TLS
/// connection's end without close_notify from a plain one's.
pub fn body_failure(
    error: &reqwest::Error,
    received: u64,
    announced: Option<u64>,
    limits: &Limits,
    over_tls: bool,
) -> Failure {
    let so_far = match announced {
        Some(total) => format!("{received} of {total} bytes"),
        None => format!("{received} bytes"),
    };
    if error.is_timeout() {
        return limits.timed_out(
            &format!("the body was still coming after {so_far}"),
            &format!("the body stopped after {so_far}"),
        );
    }
    if let Some(tls) = rustls_error(error) {
        return match tls {
            rustls::Error::AlertReceived(alert) => Failure::new(format!(
                "the server ended the connection with a TLS alert ({alert:?}) after {so_far} of the body"
            )),
            other => Failure::new(format!(
                "the body broke off after {so_far}: TLS error: {other}"
            )),
        };
    }
    let io_kind = find::<std::io::Error>(error).map(std::io::Error::kind);
    let reason = match io_kind {
        Some(std::io::ErrorKind::ConnectionReset) => "the server reset the connection".to_owned(),
        Some(std::io::ErrorKind::UnexpectedEof) if over_tls => {
            "the connection closed without TLS close_notify".to_owned()
        }
        Some(std::io::ErrorKind::UnexpectedEof) => "the connection closed".to_owned(),
        _ if find::<hyper::Error>(error).is_some_and(hyper::Error::is_incomplete_message) => {
            "the connection closed".to_owned()
        }
        // Every body error passes the decoder: it is named only when nothing else explains it.
        _ if error.is_decode() => {
            return Failure::new(format!(
                "the body could not be decoded from its Content-Encoding after {so_far}: {}",
                root_cause(error)
            ))
            .help("the server says it compressed the body one way and sent something else; `compressed = false` asks for it uncompressed");
        }
        _ => format!("the connection failed ({})", root_cause(error)),
    };
    Failure::new(format!("the body broke off: {reason} after {so_far}"))
        .help("the server or something between stopped sending: look at the server's logs")
}

/// The next cause of an error. An `io::Error` wrapping another error hands it over whole:
/// its own `source()` would skip it.
fn cause<'a>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a (dyn std::error::Error + 'static)> {
    match error.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => error.source(),
    }
}

/// The rustls error among an error's causes: reqwest and hyper wrap it in layers of their own.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(tls) = error.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        current = cause(error);
    }
    None
}

/// Whether the connection ended under the request: closed, reset, or broken off by an alert.
fn connection_dropped(error: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(hyper) = error.downcast_ref::<hyper::Error>()
            && (hyper.is_canceled() || hyper.is_incomplete_message() || hyper.is_closed())
        {
            return true;
        }
        if let Some(io) = error.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::InvalidData
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::BrokenPipe
            )
        {
            return true;
        }
        current = cause(error);
    }
    false
}

/// The innermost cause's words, without Rust's "(os error N)".
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = cause(current) {
        current = next;
    }
    let text = current.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// Explains why a request could not complete.
///
/// `handshakes_before` is the endpoint's handshake count when the request was sent: a handshake
/// made since then belongs to this request.
/// `limits` are the request's: its whole-request limit and how long it ran.
pub fn failure(
    error: &reqwest::Error,
    endpoint: &Endpoint,
    tls: Option<&TlsClient>,
    handshakes_before: u64,
    limits: &Limits,
) -> Failure {
    let host = endpoint.url.host_str().unwrap_or_default();
    let port = endpoint.url.port_or_known_default().unwrap_or_default();
    if let Some(proxy) = &limits.proxy
        && error.is_connect()
        && let Some((trust, verdict)) = limits
            .proxy_trust
            .as_ref()
            .and_then(|trust| Some((trust, trust.refused_within(limits.elapsed + SLACK)?)))
    {
        return proxy_refused(proxy, trust, &verdict);
    }
    // The server's own handshake through the proxy's tunnel is explained as without a proxy.
    let servers_tls = tls.is_some() && rustls_error(error).is_some();
    if let Some(proxy) = &limits.proxy
        && error.is_connect()
        && !servers_tls
    {
        let what =
            find::<PhaseTimeout>(error).map_or_else(|| root_cause(error), ToString::to_string);
        return Failure::new(format!(
            "could not reach {host}:{port} through the proxy {proxy}: {what}"
        ))
        .help("check the proxy: `proxy.url` in the suite, or HTTPS_PROXY / HTTP_PROXY in the environment; `proxy = \"none\"` goes direct");
    }
    if let Some(timeout) = find::<PhaseTimeout>(error) {
        return phase_timeout(timeout, host, port);
    }
    if let Some(rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType)) =
        rustls_error(error)
    {
        return Failure::new(format!(
            "the server at {host}:{port} did not answer in TLS: it speaks plain HTTP (or another protocol) on this port"
        ))
        .help("use http:// for this port, or the port where the server speaks TLS");
    }
    if let Some(tls) = tls {
        let handshake = tls.handshakes.last();
        if let Some(tls_error) = rustls_error(error) {
            return tls_failure(tls_error, endpoint, tls, &handshake);
        }
        // In TLS 1.3 the server judges the client certificate after the client has finished its
        // handshake: its verdict arrives as a closed connection or an alert that tokio-rustls
        // turns into text. What the handshake recorded still says what happened.
        if handshake.number != handshakes_before
            && handshake.client_cert_requested
            && connection_dropped(error)
            && let Some(failure) = client_certificate_failure(&handshake, tls)
        {
            return failure;
        }
    }
    if error.is_timeout() {
        return limits.timed_out(
            &format!("no complete answer from {host}:{port}"),
            &format!("{host}:{port} stopped answering"),
        );
    }
    if error.is_connect() {
        let to = endpoint.connect_to.as_ref().map_or_else(String::new, |to| {
            format!(" (connect_to {}:{})", to.host, to.port)
        });
        return Failure::new(format!(
            "could not connect to {host}:{port}{to}: {}",
            root_cause(error)
        ))
        .help("check that the server runs and listens there, and the URL's host and port");
    }
    if find::<hyper::Error>(error).is_some_and(hyper::Error::is_parse_too_large) {
        return Failure::new(format!(
            "the answer from {host}:{port} has a head (status line and headers) too large to read"
        ))
        .help("the HTTP client takes headers of a few hundred KiB at most: check what the server sends");
    }
    if error.is_redirect() {
        return Failure::new("too many redirects")
            .help("raise `follow_redirects = { max = N }`, or look at where the server sends you");
    }
    Failure::new(format!("the request failed: {}", root_cause(error)))
}

fn versions_offered(endpoint: &Endpoint) -> String {
    let versions: Vec<&str> = endpoint
        .tls
        .as_ref()
        .map(|s| s.versions.iter().map(|v| v.name()).collect())
        .unwrap_or_default();
    versions.join(", ")
}

/// An https:// proxy whose certificate its trust refused.
fn proxy_refused(proxy: &str, trust: &ProxyTrust, verdict: &Verdict) -> Failure {
    let why = match &verdict.refused {
        Some(CertificateError::UnknownIssuer) => "nothing trusted issued it".to_owned(),
        Some(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ) => "it is not valid for the proxy's name".to_owned(),
        Some(CertificateError::Expired | CertificateError::ExpiredContext { .. }) => {
            "it has expired".to_owned()
        }
        Some(other) => format!("{other:?}"),
        None => "refused".to_owned(),
    };
    let mut failure = Failure::new(format!(
        "the proxy {proxy} presented a certificate that is not trusted: {why}"
    ));
    if let Some(info) = &verdict.presented {
        failure = failure.detail(format!("the proxy presented: {}", describe(info)));
    }
    failure
        .detail(format!("trusted for the proxy: {}", trust.source))
        .help("set `proxy.cert` to the CA certificate that issued the proxy's certificate (the endpoint's `secure_socket` is for the server)")
}

/// Its SHA-256 fingerprint and public-key hash: what `cert` or `pin_sha256` would name.
fn fingerprints(info: &CertInfo) -> String {
    format!("sha256 {}, spki_sha256 {}", info.sha256, info.spki_sha256)
}

fn describe(info: &CertInfo) -> String {
    format!(
        "{} (issued by {}, valid until {})",
        info.subject,
        info.issuer,
        format_time(info.not_after)
    )
}

fn presented(handshake: &Handshake) -> Vec<CertInfo> {
    handshake
        .presented
        .iter()
        .filter_map(|der| CertInfo::from_der(der).ok())
        .collect()
}

fn trusted_lines(tls: &TlsClient) -> Vec<String> {
    let trust = &tls.trust;
    let mut lines = vec![format!(
        "trusted: {} ({} {})",
        trust.source,
        trust.count,
        if trust.count == 1 {
            "certificate"
        } else {
            "certificates"
        }
    )];
    lines.extend(
        trust
            .listed
            .iter()
            .take(5)
            .map(|(_, info)| format!("  - {} (sha256 {})", info.subject, info.sha256)),
    );
    lines
}

pub fn tls_failure(
    error: &rustls::Error,
    endpoint: &Endpoint,
    tls: &TlsClient,
    handshake: &Handshake,
) -> Failure {
    use rustls::Error as E;
    let chain = presented(handshake);
    let mut chain_lines = vec!["the server presented:".to_owned()];
    for cert in &chain {
        chain_lines.push(format!("  - {}", describe(cert)));
        chain_lines.push(format!("    {}", fingerprints(cert)));
    }
    let identity = tls.identity.as_ref().map(|i| &i.leaf);
    match error {
        E::InvalidCertificate(CertificateError::UnknownIssuer) => {
            let mut failure = Failure::new("the server's certificate is not trusted: nothing trusted issued it");
            for line in chain_lines.into_iter().chain(trusted_lines(tls)) {
                failure = failure.detail(line);
            }
            let issuer = chain.last().map_or_else(|| "its issuer".to_owned(), |c| c.issuer.clone());
            failure.help(format!("add the CA certificate of {issuer} to `cert`, or pin the server's own certificate there"))
        }
        E::InvalidCertificate(CertificateError::NotValidForNameContext { expected, presented }) => {
            Failure::new(format!("the server's certificate is not valid for the name {}", expected.to_str()))
                .detail(format!("it names: {}", names_of(chain.first(), presented)))
                .detail(format!("asked for: {}", expected.to_str()))
                .help("use a URL with one of its names, or set `server_name`; `verify_hostname = false` skips this check (for tests only)")
        }
        E::InvalidCertificate(CertificateError::NotValidForName) => Failure::new("the server's certificate is not valid for the name asked for")
            .help("use a URL with one of its names, or set `server_name`"),
        E::InvalidCertificate(CertificateError::ExpiredContext { time, not_after }) => {
            Failure::new(format!("the server's certificate expired on {}", format_time(unix(not_after))))
                .detail(format!("now: {}", format_time(unix(time))))
                .detail(chain.first().map_or_else(String::new, |c| format!("certificate: {}", describe(c))))
                .help("the server must renew its certificate; `enable = false` skips verification (for tests only)")
        }
        E::InvalidCertificate(CertificateError::NotValidYetContext { time, not_before }) => {
            Failure::new(format!("the server's certificate is not valid before {}", format_time(unix(not_before))))
                .detail(format!("now: {}", format_time(unix(time))))
                .help("check the clocks of this machine and of the server")
        }
        E::InvalidCertificate(CertificateError::Expired) => Failure::new("the server's certificate has expired"),
        E::InvalidCertificate(CertificateError::Other(other)) if let Some(mismatch) = other.0.downcast_ref::<PinMismatch>() => {
            pin_mismatch(mismatch, &chain, tls)
        }
        E::InvalidCertificate(CertificateError::Revoked) => revoked(&chain, tls),
        E::InvalidCertificate(CertificateError::Other(other)) if let Some(refusal) = other.0.downcast_ref::<OcspRefusal>() => {
            ocsp_refused(refusal, &chain)
        }
        E::InvalidCertificate(CertificateError::Other(other)) if let Some(refusal) = other.0.downcast_ref::<FetchRefusal>() => {
            fetch_refused(refusal, &chain)
        }
        E::InvalidCertificate(CertificateError::UnknownRevocationStatus) => {
            let covered: Vec<&str> = tls.crls.iter().map(|c| c.issuer.as_str()).collect();
            let mut failure = Failure::new("the revocation status of the server's chain is unknown: no CRL given covers all of it");
            for cert in &chain {
                failure = failure.detail(format!("  - {} (issued by {})", cert.subject, cert.issuer));
            }
            failure
                .detail(format!("CRLs given: {}", if covered.is_empty() { "none".to_owned() } else { covered.join("; ") }))
                .help("add the CRL of each issuer to `revocation.crl`; `scope = \"end-entity\"` checks only the server's own certificate, and `unknown = \"allow\"` lets an uncovered one pass")
        }
        E::InvalidCertificate(CertificateError::ExpiredRevocationList | CertificateError::ExpiredRevocationListContext { .. }) => {
            let now = crate::tls::inspect::now();
            let stale: Vec<String> = tls
                .crls
                .iter()
                .filter(|c| c.next_update.is_some_and(|next| next < now))
                .map(|c| format!("{} (of {}, next update was due {})", c.file, c.issuer, c.next_update.map(format_time).unwrap_or_default()))
                .collect();
            let mut failure = Failure::new("a CRL given in `revocation.crl` is out of date: its next update has passed");
            for line in stale {
                failure = failure.detail(format!("  - {line}"));
            }
            failure.help("fetch the CA's current CRL (an out-of-date list cannot say a certificate is good)")
        }
        // A self-signed certificate that nothing trusts: webpki words it as a CA used as an end
        // entity, or an unknown issuer; the certificate itself says what it is.
        E::InvalidCertificate(_) if chain.len() == 1 && chain.first().is_some_and(|c| c.subject == c.issuer) => {
            let leaf = chain.first().map(describe).unwrap_or_default();
            let mut failure = Failure::new("the server's certificate is self-signed and not trusted")
                .detail(format!("the server presented: {leaf}"))
                .detail(chain.first().map(|c| format!("  {}", fingerprints(c))).unwrap_or_default());
            for line in trusted_lines(tls) {
                failure = failure.detail(line);
            }
            failure.help("pin it: put the server's own certificate in `cert` (its file, or `openssl s_client -showcerts` output)")
        }
        E::InvalidCertificate(other) => {
            let mut failure = Failure::new(format!("the server's certificate was refused: {other:?}"));
            for line in chain_lines {
                failure = failure.detail(line);
            }
            failure
        }
        E::AlertReceived(alert) if handshake.client_cert_requested && !handshake.client_cert_sent && identity.is_none() => {
            named_cas(Failure::new("the server asked for a client certificate and none is configured")
                .detail(format!("the server ended the handshake with: {alert:?}")), handshake)
                .help(ADD_KEY_HELP)
        }
        E::AlertReceived(AlertDescription::CertificateRequired) => match identity {
            None => named_cas(Failure::new("the server asked for a client certificate and none is configured"), handshake)
                .help(ADD_KEY_HELP),
            Some(leaf) => Failure::new(format!("the server requires a client certificate and {} could not be sent", leaf.subject))
                .detail(format!("its key is {}, which the server does not accept for signatures", leaf.key_type)),
        },
        E::AlertReceived(
            alert @ (AlertDescription::BadCertificate
            | AlertDescription::UnknownCA
            | AlertDescription::CertificateUnknown
            | AlertDescription::AccessDenied
            | AlertDescription::CertificateExpired
            | AlertDescription::CertificateRevoked
            | AlertDescription::UnsupportedCertificate),
        ) if handshake.client_cert_sent => {
            let leaf = identity.map_or_else(|| "the client certificate".to_owned(), |l| l.subject.clone());
            let issuer = identity.map_or_else(|| "its issuer".to_owned(), |l| l.issuer.clone());
            Failure::new(format!("the server refused the client certificate {leaf}"))
                .detail(format!("the server's alert: {alert:?}"))
                .detail(identity.map_or_else(String::new, describe))
                .help(format!("the server must trust {issuer}; check its client CA list, and the certificate's dates and key usage"))
        }
        E::AlertReceived(AlertDescription::NoApplicationProtocol) => {
            let offered = match endpoint.http_version {
                HttpVersion::Http2 => "h2 (http_version = \"2\")",
                HttpVersion::Http1 => "http/1.1 (http_version = \"1.1\")",
                HttpVersion::Auto => "h2 and http/1.1",
            };
            Failure::new(format!("the server speaks none of the HTTP versions runner offered in ALPN: {offered}"))
                .help("set `http_version = \"auto\"` to let the server choose, or the version it speaks")
        }
        E::AlertReceived(AlertDescription::ProtocolVersion) | E::PeerIncompatible(PeerIncompatible::ServerDoesNotSupportTls12Or13 | PeerIncompatible::Tls12NotOffered | PeerIncompatible::Tls13RequiredForQuic | PeerIncompatible::SupportedVersionsExtensionRequired) => {
            Failure::new("no common TLS protocol version: the server refused the versions offered")
                .detail(format!("runner offered: {}", versions_offered(endpoint)))
                .help("widen `protocol.versions` (rustls speaks TLS 1.2 and 1.3), or update the server")
        }
        E::AlertReceived(AlertDescription::HandshakeFailure | AlertDescription::InsufficientSecurity) | E::PeerIncompatible(PeerIncompatible::NoCipherSuitesInCommon) => {
            let socket = endpoint.tls.as_ref();
            let ciphers = socket.map(|s| &s.ciphers).filter(|c| !c.is_empty()).map_or_else(
                || "the provider's default suites".to_owned(),
                |c| c.iter().map(|&s| cipher_name(s)).collect::<Vec<_>>().join(", "),
            );
            Failure::new("the handshake failed: the server found no cipher suite or parameters in common")
                .detail(format!("runner offered: {ciphers} over {}", versions_offered(endpoint)))
                .help("widen `ciphers` (or remove it), or check the server's TLS settings")
        }
        other => Failure::new(format!("the TLS handshake failed: {other}")),
    }
}

/// The names a certificate is valid for, read from it; rustls' own list is the fallback.
fn names_of(leaf: Option<&CertInfo>, presented: &[String]) -> String {
    let names = leaf.map_or_else(|| presented.to_vec(), |leaf| leaf.names.clone());
    if names.is_empty() {
        "no DNS name or IP address".to_owned()
    } else {
        names.join(", ")
    }
}

fn unix(time: &rustls::pki_types::UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

/// The server asked for a client certificate, then ended the connection.
fn client_certificate_failure(handshake: &Handshake, tls: &TlsClient) -> Option<Failure> {
    let identity = tls.identity.as_ref().map(|i| &i.leaf);
    match (handshake.client_cert_sent, identity) {
        (false, None) => Some(
            named_cas(
                Failure::new("the server asked for a client certificate and none is configured")
                    .detail("the server ended the connection after the handshake"),
                handshake,
            )
            .help(ADD_KEY_HELP),
        ),
        (true, Some(leaf)) => Some(
            Failure::new(format!("the server refused the client certificate {}", leaf.subject))
                .detail("the server ended the connection after the handshake")
                .detail(format!("client certificate: {}", describe(leaf)))
                .help(format!("the server must trust {}; check its client CA list, and the certificate's dates and key usage", leaf.issuer)),
        ),
        (false, Some(leaf)) => Some(
            Failure::new(format!("the server asked for a client certificate and {} could not be sent", leaf.subject))
                .detail(format!("its key is {}, which the server does not accept for signatures", leaf.key_type)),
        ),
        (true, None) => None,
    }
}

/// The CAs the server named in its CertificateRequest, so the user knows which identity to bring.
fn named_cas(failure: Failure, handshake: &Handshake) -> Failure {
    if handshake.acceptable_cas.is_empty() {
        failure.detail("it named no CA whose certificates it accepts")
    } else {
        failure.detail(format!(
            "it accepts client certificates issued by: {}",
            handshake.acceptable_cas.join("; ")
        ))
    }
}

const ADD_KEY_HELP: &str = "add `key = { cert_file = \"client.crt\", key_file = \"client.key\" }` (or a PKCS#12 `key = { path, password }`) to `secure_socket`";

/// nginx's page for a client certificate it could not verify. nginx ends such a handshake
/// well and answers 400 with this text: the page is the only sign of what happened.
const NGINX_CERTIFICATE_ERROR: &str = "The SSL certificate error";

/// nginx's page for a required client certificate that was not sent (`ssl_verify_client on`).
const NGINX_NO_CERTIFICATE: &str = "No required SSL certificate was sent";

/// A 400 answer that is the server refusing the client certificate, not the application's own
/// 400: told only by nginx's own pages, which end the request instead of the handshake. Any
/// other 400 stays what it is: an answer the expectations judge.
/// `tls` comes with the handshake of the connection the answer came on.
pub fn refused_client_certificate(
    status: u16,
    body: Option<&[u8]>,
    tls: Option<(&TlsClient, &Handshake)>,
) -> Option<Failure> {
    let (tls, handshake) = tls?;
    if status != 400 || !handshake.client_cert_requested {
        return None;
    }
    let page_says = |text: &str| body.is_some_and(|b| String::from_utf8_lossy(b).contains(text));
    match (&tls.identity, handshake.client_cert_sent) {
        (None, false) if page_says(NGINX_NO_CERTIFICATE) => Some(
            named_cas(
                Failure::new("the server asked for a client certificate and none is configured")
                    .detail(
                        "it answered 400 Bad Request: \"No required SSL certificate was sent\" (nginx)",
                    ),
                handshake,
            )
            .help(ADD_KEY_HELP),
        ),
        (Some(identity), true) if page_says(NGINX_CERTIFICATE_ERROR) => {
            let leaf = &identity.leaf;
            Some(
                Failure::new(format!("the server refused the client certificate {}", leaf.subject))
                    .detail("it answered 400 Bad Request: nginx does so when it cannot verify a client certificate")
                    .detail(format!("client certificate: {}", describe(leaf)))
                    .help(format!("the server must trust {}; check its client CA list, and the certificate's dates and key usage", leaf.issuer)),
            )
        }
        _ => None,
    }
}

/// What may explain an unexpected status, without changing the verdict: a 400 or 403 from a
/// server that asked for a client certificate none was sent for.
pub fn hint_for_status(status: u16, tls: Option<(&TlsClient, &Handshake)>) -> Option<String> {
    let (tls, handshake) = tls?;
    let asked_and_none =
        handshake.client_cert_requested && !handshake.client_cert_sent && tls.identity.is_none();
    (matches!(status, 400 | 401 | 403) && asked_and_none).then(|| {
        "the server asked for a client certificate (optional for the handshake) and none is configured; if this answer is about that, add `key = { cert_file, key_file }` to `secure_socket`".to_owned()
    })
}
