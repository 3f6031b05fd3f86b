//! The trust of an https:// proxy. The proxy's own certificate is verified against `proxy.cert`
//! (or the system's trust store, as curl does), never against the endpoint's `secure_socket`,
//! which is about the server. The two handshakes share one rustls configuration (reqwest clones
//! it for the proxy), so the verifier tells them apart by the name the handshake speaks to.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};

use rustls::Error;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

use super::error::{MaterialError, Problem, Role};
use super::files;
use super::inspect::CertInfo;
use super::roots;
use crate::config::suite::Endpoint;

/// An https:// proxy's host and whom its certificate must chain to.
#[derive(Debug)]
pub struct ProxyTrust {
    /// The proxy's host, as its handshake names it.
    host: String,
    /// `proxy.cert` as written, or "the system's trust store".
    pub source: String,
    verifier: Arc<WebPkiServerVerifier>,
    /// The proxy's last verdict on its certificate, for messages.
    last: Mutex<Option<Verdict>>,
}

/// What the proxy presented, when, and why it was refused if it was.
#[derive(Debug, Clone)]
pub struct Verdict {
    pub at: Instant,
    pub presented: Option<CertInfo>,
    pub refused: Option<rustls::CertificateError>,
}

impl ProxyTrust {
    /// Whether a handshake speaking to `name` is the proxy's.
    pub fn speaks_to(&self, name: &ServerName<'_>) -> bool {
        name.to_str().eq_ignore_ascii_case(&self.host)
    }

    /// Verifies the proxy's certificate, name included, and keeps what it presented.
    pub fn verify(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict =
            self.verifier
                .verify_server_cert(end_entity, intermediates, name, ocsp_response, now);
        *self.last.lock().unwrap_or_else(PoisonError::into_inner) = Some(Verdict {
            at: Instant::now(),
            presented: CertInfo::from_der(end_entity).ok(),
            refused: match &verdict {
                Err(Error::InvalidCertificate(error)) => Some(error.clone()),
                Err(other) => Some(rustls::CertificateError::Other(rustls::OtherError(
                    Arc::new(std::io::Error::other(other.to_string())),
                ))),
                Ok(_) => None,
            },
        });
        verdict
    }

    /// The proxy's refusal of its certificate within the last `within`, if there was one.
    pub fn refused_within(&self, within: Duration) -> Option<Verdict> {
        let last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|v| v.refused.is_some() && v.at.elapsed() <= within)
            .cloned()
    }
}

/// The trust of the endpoint's proxy when it is an https:// one (set in the suite or taken from
/// the environment); `None` otherwise.
pub fn load(endpoint: &Endpoint) -> Result<Option<Arc<ProxyTrust>>, MaterialError> {
    let Some(applied) = endpoint.proxy.applied(&endpoint.url) else {
        return Ok(None);
    };
    if applied.url.scheme() != "https" {
        return Ok(None);
    }
    let host = applied.url.host_str().unwrap_or_default();
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .to_owned();
    let (anchors, source) = match endpoint.proxy.cert() {
        Some(file) => (
            files::read_certificates(file, Role::TrustPem)?
                .into_iter()
                .map(|(der, _)| der)
                .collect::<Vec<_>>(),
            file.shown.clone(),
        ),
        None => (
            roots::system_roots()
                .map_err(|reason| MaterialError {
                    file: None,
                    span: endpoint.span.clone(),
                    problem: Problem::NoSystemRoots(reason),
                })?
                .certs
                .clone(),
            "the system's trust store".to_owned(),
        ),
    };
    let unusable = |reason: String| MaterialError {
        file: endpoint.proxy.cert().map(|f| f.shown.clone()),
        span: endpoint
            .proxy
            .cert()
            .map_or_else(|| endpoint.span.clone(), |f| f.span.clone()),
        problem: Problem::Settings(reason),
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // The endpoints' own verifier over these anchors, without revocation: the proxy is not
    // the server the suite's revocation settings are about.
    let trusted = super::Trusted {
        anchors,
        pinned: Vec::new(),
    };
    let verifier = super::webpki_verifier(&trusted, &provider, None)
        .map_err(&unusable)?
        .ok_or_else(|| unusable("the proxy's trust holds no certificate".to_owned()))?;
    Ok(Some(Arc::new(ProxyTrust {
        host,
        source,
        verifier,
        last: Mutex::new(None),
    })))
}
