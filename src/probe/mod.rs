//! `runner probe URL`: asks a TLS server what it wants, with short handshakes of its own: the
//! chain it presents and whether it verifies (against the given trust and the system's), the
//! protocol versions, cipher suites and ALPN protocols it accepts, whether it asks for or
//! requires a client certificate and from which CAs, whether it staples OCSP and where its
//! certificate says revocation is published. Failures are explained in `run`'s words.

mod handshake;
mod starter;
mod text;

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use schemars::JsonSchema;
use serde::Serialize;
use url::Url;

use crate::config::suite::Endpoint;
use crate::load::Loaded;
use crate::tls::TlsClient;
use crate::tls::inspect::{CertInfo, format_time, now};
use crate::tls::observe::Stapled;

pub use starter::starter_suite;
pub use text::text;

use handshake::{
    Failed, Target, ask, protocols, refuses_without, resumption, status_of, versions_all,
};

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
            ocsp_stapled: record.ocsp != Stapled::Absent,
            ocsp_status: match &record.ocsp {
                Stapled::Absent => None,
                Stapled::Unread => Some("not read: the chain was refused first".to_owned()),
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
