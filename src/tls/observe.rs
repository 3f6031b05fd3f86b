//! What the handshakes of an endpoint showed: the server's certificate chain as presented, and
//! whether the server asked for a client certificate and whether one was sent. The logs show it,
//! and failures are explained with it. The verifier and the client-certificate resolver record
//! it, since rustls hands them exactly this.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rustls::SignatureScheme;
use rustls::client::ResolvesClientCert;
use rustls::pki_types::CertificateDer;
use rustls::sign::CertifiedKey;

use super::inspect::CertInfo;

/// The last handshake of one endpoint. Requests of a suite run one after another, so "last" is
/// the one of the request at hand (or of the connection it reuses).
#[derive(Debug, Default)]
pub struct Handshakes {
    last: Mutex<Handshake>,
    /// When the last handshake began (the ClientHello was being built): the TCP connection was
    /// open by then. Tells the connect phase from the handshake phase.
    began: Mutex<Option<Instant>>,
    /// The chain of a handshake, read once: (its number, what its certificates say).
    read: Mutex<Option<(u64, Arc<[CertInfo]>)>>,
}

/// A handshake's stapled OCSP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stapled {
    Absent,
    /// A response stapled but not read: the handshake failed before (the chain was refused).
    Unread,
    /// A response that holds up, and what it says.
    Response(super::ocsp::Stapled),
    /// A response that cannot be believed, and why.
    Invalid(String),
}

impl Stapled {
    /// "good", "revoked", "unknown", "absent" or "invalid", as `expect.certificate.ocsp` has it.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Absent => "absent",
            Self::Unread => "unread",
            Self::Invalid(_) => "invalid",
            Self::Response(r) => match r.status {
                super::ocsp::Status::Good => "good",
                super::ocsp::Status::Revoked { .. } => "revoked",
                super::ocsp::Status::Unknown => "unknown",
            },
        }
    }
}

/// One handshake, as far as it went.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The server's certificates, leaf first, as presented (shared: a request's copy of the
    /// record costs nothing).
    pub presented: Arc<[CertificateDer<'static>]>,
    /// The server sent a CertificateRequest.
    pub client_cert_requested: bool,
    /// A client certificate was sent in answer.
    pub client_cert_sent: bool,
    /// How many handshakes presented a certificate so far: tells a new handshake from an old.
    pub number: u64,
    /// The protocol version, as the server's handshake signature showed it ("TLSv1.3").
    pub version: Option<&'static str>,
    /// The issuers the server named as acceptable in its CertificateRequest, as "CN=..., O=...".
    pub acceptable_cas: Arc<[String]>,
    /// The signature schemes the server accepts from a client certificate.
    pub client_schemes: Arc<[String]>,
    /// What the stapled OCSP response said, as read.
    pub ocsp: Stapled,
    request_since_presented: bool,
}

impl Default for Handshake {
    fn default() -> Self {
        Self {
            presented: Arc::from(Vec::new()),
            client_cert_requested: false,
            client_cert_sent: false,
            number: 0,
            version: None,
            acceptable_cas: Arc::from(Vec::new()),
            client_schemes: Arc::from(Vec::new()),
            ocsp: Stapled::Absent,
            request_since_presented: false,
        }
    }
}

impl Handshakes {
    fn update(&self, f: impl FnOnce(&mut Handshake)) {
        // A panic elsewhere while holding the lock leaves a record that is still readable.
        f(&mut self.last.lock().unwrap_or_else(PoisonError::into_inner));
    }

    /// The server presented these certificates: a new handshake has begun. Its client
    /// certificate request comes before this in TLS 1.3 and after it in TLS 1.2: a request seen
    /// since the last presentation belongs to this handshake.
    pub fn presented(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        ocsp_response: &[u8],
    ) {
        self.update(|h| {
            h.ocsp = if ocsp_response.is_empty() {
                Stapled::Absent
            } else {
                Stapled::Unread
            };
            h.presented = std::iter::once(end_entity)
                .chain(intermediates)
                .map(|c| c.clone().into_owned())
                .collect();
            if !h.request_since_presented {
                h.client_cert_requested = false;
                h.client_cert_sent = false;
            }
            h.request_since_presented = false;
            h.number += 1;
        });
    }

    /// What the stapled OCSP response of the handshake said.
    pub fn stapled(&self, stapled: Stapled) {
        self.update(|h| h.ocsp = stapled);
    }

    /// The server signed the handshake in this version (rustls asks the verifier to check a
    /// TLS 1.2 or a TLS 1.3 signature): what the connection speaks, also through a proxy's
    /// tunnel, where the HTTP client reports no TLS facts.
    pub fn signed(&self, version: &'static str) {
        self.update(|h| h.version = Some(version));
    }

    /// How many handshakes presented a certificate so far, without copying the record.
    pub fn number(&self) -> u64 {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .number
    }

    /// A handshake begins now.
    pub fn begin(&self) {
        *self.began.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
    }

    /// When a handshake began at or after `since`, if one did.
    pub fn began_since(&self, since: Instant) -> Option<Instant> {
        self.began
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .filter(|at| *at >= since)
    }

    /// What the certificates `handshake` presented say, read once per handshake: requests on
    /// a reused connection share the reading.
    pub fn chain(&self, handshake: &Handshake) -> Arc<[CertInfo]> {
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((number, chain)) = read.as_ref()
            && *number == handshake.number
        {
            return Arc::clone(chain);
        }
        let chain: Arc<[CertInfo]> = handshake
            .presented
            .iter()
            .filter_map(|der| CertInfo::from_der(der).ok())
            .collect();
        *read = Some((handshake.number, Arc::clone(&chain)));
        chain
    }

    pub fn last(&self) -> Handshake {
        self.last
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Presents the configured client identity (if any) and records that the server asked.
#[derive(Debug)]
pub struct RecordingResolver {
    pub key: Option<Arc<CertifiedKey>>,
    pub handshakes: Arc<Handshakes>,
}

impl ResolvesClientCert for RecordingResolver {
    fn resolve(
        &self,
        acceptable_issuers: &[&[u8]],
        sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        let sent = self
            .key
            .as_ref()
            .is_some_and(|key| key.key.choose_scheme(sigschemes).is_some());
        let named = issuer_names(acceptable_issuers);
        self.handshakes.update(|h| {
            h.client_cert_requested = true;
            h.client_cert_sent = sent;
            h.request_since_presented = true;
            h.acceptable_cas = named;
            h.client_schemes = sigschemes.iter().map(|s| format!("{s:?}")).collect();
        });
        self.key.clone()
    }

    /// rustls asks this first thing when it starts a handshake: the TCP connection is open.
    fn has_certs(&self) -> bool {
        self.handshakes.begin();
        self.key.is_some()
    }
}

/// The distinguished names of a CertificateRequest (DER, as rustls hands them), as "CN=..., O=...".
pub fn issuer_names(names: &[&[u8]]) -> Arc<[String]> {
    use x509_parser::prelude::{FromDer, X509Name};
    names
        .iter()
        .filter_map(|der| X509Name::from_der(der).ok())
        .map(|(_, name)| super::inspect::name_text(&name.to_string()))
        .collect()
}
