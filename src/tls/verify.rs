//! Server certificate verification. [`ServerVerifier`] trusts a certificate listed in `cert` as
//! it is (also a self-signed one with `CA:TRUE`, which webpki refuses as an end entity) and
//! everything else through webpki; with `enable = false` it accepts any certificate. Either way
//! it records what the server presented, and checks the handshake's signatures.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

use super::inspect::CertInfo;
use super::observe::{Handshakes, Stapled};
use super::proxy::ProxyTrust;
use super::{fetch, ocsp};
use crate::config::suite::{Fetch, Stapling};

/// Verifies the server's certificate against the trust of one endpoint.
#[derive(Debug)]
pub struct ServerVerifier {
    /// `enable = false`: any certificate is accepted. The handshake's signatures are still
    /// checked, so the connection is at least with the holder of the presented key.
    pub danger_accept_any: bool,
    /// Chains to the trusted CAs; `None` when only server certificates are trusted.
    pub webpki: Option<Arc<WebPkiServerVerifier>>,
    /// Certificates trusted as they are when the server presents exactly them.
    pub pinned: Vec<CertificateDer<'static>>,
    /// `verify_hostname = false` turns this off; everything else is still checked.
    pub check_name: bool,
    /// `server_name`: the name the certificate must carry, instead of the connection's.
    pub expected_name: Option<ServerName<'static>>,
    pub provider: Arc<CryptoProvider>,
    /// Where what the server presented is recorded.
    pub handshakes: Arc<Handshakes>,
    /// An https:// proxy: its handshake is verified against its own trust, and not recorded.
    pub proxy: Option<Arc<ProxyTrust>>,
    /// `pin_sha256`: the server's key must be one of these (base64 SHA-256 of its SPKI).
    pub pins: Vec<String>,
    /// `revocation.ocsp_stapling`.
    pub stapling: Stapling,
    /// `revocation.unknown = "allow"`.
    pub allow_unknown: bool,
    /// The trust anchors, where a leaf's issuer is looked for when the server does not send it.
    pub issuers: Arc<[Anchor]>,
    /// `revocation.fetch`, and `scope = "end-entity"`.
    pub fetch: Option<(Fetch, bool)>,
}

/// A fetched revocation answer refused the handshake.
#[derive(Debug)]
pub enum FetchRefusal {
    Revoked {
        subject: String,
        serial: String,
        at: i64,
        reason: Option<String>,
        /// "the OCSP responder at http://..." or "the CRL at http://...".
        source: String,
    },
    /// No source answered for this certificate, and `unknown = "deny"`.
    Unknown {
        subject: String,
        reasons: Vec<String>,
    },
}

impl std::fmt::Display for FetchRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Revoked {
                subject, source, ..
            } => write!(f, "{subject} is revoked, says {source}"),
            Self::Unknown { subject, .. } => {
                write!(f, "the revocation status of {subject} is unknown")
            }
        }
    }
}

impl std::error::Error for FetchRefusal {}

/// A trust anchor and its subject, read once when the endpoint's TLS is built.
#[derive(Debug)]
pub struct Anchor {
    pub subject: String,
    pub der: CertificateDer<'static>,
}

impl Anchor {
    /// The anchors of these certificates (one that cannot be read is left out: webpki
    /// refused it too).
    pub fn all(certs: &[CertificateDer<'static>]) -> Arc<[Self]> {
        certs
            .iter()
            .filter_map(|der| {
                Some(Self {
                    subject: names(der)?.0,
                    der: der.clone(),
                })
            })
            .collect()
    }
}

/// A certificate's subject and issuer, as "CN=..., O=...", without the rest of [`CertInfo`].
fn names(der: &[u8]) -> Option<(String, String)> {
    use x509_parser::prelude::{FromDer, X509Certificate};
    let (_, cert) = X509Certificate::from_der(der).ok()?;
    Some((
        super::inspect::name_text(&cert.subject().to_string()),
        super::inspect::name_text(&cert.issuer().to_string()),
    ))
}

/// A refusal of the certificate, for rustls to carry and `explain` to put in words.
fn refused(refusal: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::InvalidCertificate(CertificateError::Other(rustls::OtherError(Arc::new(
        refusal,
    ))))
}

/// A stapled OCSP response refused the handshake.
#[derive(Debug)]
pub enum OcspRefusal {
    /// `ocsp_stapling = "require"` and the server stapled nothing.
    Missing,
    /// The response cannot be believed.
    Invalid(String),
    /// It says the certificate is revoked.
    Revoked(ocsp::Stapled),
    /// It does not know the certificate, and `unknown = "deny"`.
    Unknown,
}

impl std::fmt::Display for OcspRefusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing => f.write_str("no OCSP response stapled"),
            Self::Invalid(reason) => write!(f, "the stapled OCSP response: {reason}"),
            Self::Revoked(_) => f.write_str("revoked, says the stapled OCSP response"),
            Self::Unknown => f.write_str("unknown, says the stapled OCSP response"),
        }
    }
}

impl std::error::Error for OcspRefusal {}

/// The server's public key is none of `pin_sha256`.
#[derive(Debug)]
pub struct PinMismatch {
    /// The base64 SHA-256 of the key presented.
    pub presented: String,
}

impl std::fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the server's public key ({}) is not pinned",
            self.presented
        )
    }
}

impl std::error::Error for PinMismatch {}

impl ServerVerifier {
    /// A verifier that trusts nothing, pins nothing and checks no revocation: the base of
    /// those that speak no TLS to a server (or only ask it about protocols).
    pub fn trusting_nothing(provider: Arc<CryptoProvider>) -> Self {
        Self {
            danger_accept_any: false,
            webpki: None,
            pinned: Vec::new(),
            check_name: true,
            expected_name: None,
            provider,
            handshakes: Arc::default(),
            proxy: None,
            pins: Vec::new(),
            stapling: Stapling::Ignore,
            allow_unknown: false,
            issuers: Arc::from(Vec::new()),
            fetch: None,
        }
    }

    /// A pinned certificate: the dates and the name are still checked.
    fn verify_pinned(
        &self,
        end_entity: &CertificateDer<'_>,
        name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let info = CertInfo::from_der(end_entity)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let time = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let unix = |seconds: i64| {
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(
                u64::try_from(seconds).unwrap_or(0),
            ))
        };
        if time < info.not_before {
            return Err(Error::InvalidCertificate(
                CertificateError::NotValidYetContext {
                    time: now,
                    not_before: unix(info.not_before),
                },
            ));
        }
        if time > info.not_after {
            return Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext {
                    time: now,
                    not_after: unix(info.not_after),
                },
            ));
        }
        if self.check_name {
            let parsed = ParsedCertificate::try_from(end_entity)?;
            verify_server_name(&parsed, name)?;
        }
        Ok(ServerCertVerified::assertion())
    }
}

impl ServerCertVerifier for ServerVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if let Some(proxy) = &self.proxy
            && proxy.speaks_to(server_name)
        {
            return proxy.verify(end_entity, intermediates, server_name, ocsp_response, now);
        }
        self.handshakes
            .presented(end_entity, intermediates, ocsp_response);
        // The leaf is read (a parse and two hashes) only when there are pins to hold it to.
        let leaf = if self.pins.is_empty() {
            None
        } else {
            Some(
                CertInfo::from_der(end_entity)
                    .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?,
            )
        };
        let pinned_key = leaf
            .as_ref()
            .is_some_and(|l| self.pins.contains(&l.spki_sha256));
        let self_signed = leaf.as_ref().is_some_and(|l| l.subject == l.issuer);
        let verified =
            match self.verify_trust(end_entity, intermediates, server_name, ocsp_response, now) {
                // A self-signed certificate whose key is pinned: the pin stands for the trust
                // nothing else can give it; its dates and name are still checked.
                Err(Error::InvalidCertificate(_)) if pinned_key && self_signed => {
                    let name = self.expected_name.as_ref().unwrap_or(server_name);
                    self.verify_pinned(end_entity, name, now)?
                }
                other => other?,
            };
        self.check_stapled(end_entity, intermediates, ocsp_response, now)?;
        self.check_fetched(end_entity, intermediates, now)?;
        // Pins after trust (or, with `enable = false`, instead of it), as curl's --pinnedpubkey.
        match leaf {
            Some(leaf) if !pinned_key => Err(refused(PinMismatch {
                presented: leaf.spki_sha256,
            })),
            _ => Ok(verified),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.handshakes.signed("TLSv1.2");
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.handshakes.signed("TLSv1.3");
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

impl ServerVerifier {
    /// The stapled OCSP response, read whatever the policy (expectations see it) and held
    /// against the handshake as `ocsp_stapling` says.
    fn check_stapled(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<(), Error> {
        let refuse = |refusal: OcspRefusal| Err(refused(refusal));
        if ocsp_response.is_empty() {
            return match self.stapling {
                Stapling::Require => refuse(OcspRefusal::Missing),
                _ => Ok(()),
            };
        }
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let outcome = match self.issuer_of(end_entity, intermediates) {
            None => {
                Err("the certificate's issuer is neither sent by the server nor trusted".to_owned())
            }
            Some(issuer) => ocsp::check(ocsp_response, end_entity, issuer, now),
        };
        self.handshakes.stapled(match &outcome {
            Ok(stapled) => Stapled::Response(stapled.clone()),
            Err(reason) => Stapled::Invalid(reason.clone()),
        });
        if self.stapling == Stapling::Ignore {
            return Ok(());
        }
        match outcome {
            Err(reason) => refuse(OcspRefusal::Invalid(reason)),
            Ok(stapled) => match stapled.status {
                ocsp::Status::Good => Ok(()),
                ocsp::Status::Revoked { .. } => refuse(OcspRefusal::Revoked(stapled)),
                ocsp::Status::Unknown if self.allow_unknown => Ok(()),
                ocsp::Status::Unknown => refuse(OcspRefusal::Unknown),
            },
        }
    }

    /// The certificate that issued `cert`: one the server sent, or a trusted one.
    fn issuer_of<'a>(
        &'a self,
        cert: &[u8],
        intermediates: &'a [CertificateDer<'_>],
    ) -> Option<&'a [u8]> {
        let issuer = names(cert)?.1;
        intermediates
            .iter()
            .map(|c| c.as_ref())
            .find(|c| names(c).is_some_and(|(subject, _)| subject == issuer))
            .or_else(|| {
                self.issuers
                    .iter()
                    .find(|anchor| anchor.subject == issuer)
                    .map(|anchor| anchor.der.as_ref())
            })
    }

    /// `fetch = true`: each certificate of the chain (or the server's own) asked of the
    /// sources it names; a good stapled answer stands for the server's own.
    fn check_fetched(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<(), Error> {
        let Some((fetch, end_entity_only)) = &self.fetch else {
            return Ok(());
        };
        let refuse = |refusal: FetchRefusal| Err(refused(refusal));
        let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        let stapled_good = matches!(
            &self.handshakes.last().ocsp,
            Stapled::Response(r) if r.status == ocsp::Status::Good
        );
        let chain: Vec<&[u8]> = std::iter::once(end_entity.as_ref())
            .chain(intermediates.iter().map(|c| c.as_ref()))
            .collect();
        let checked = if *end_entity_only { 1 } else { chain.len() };
        for (at, cert) in chain.iter().take(checked).enumerate() {
            if at == 0 && stapled_good {
                continue;
            }
            let info = CertInfo::from_der(cert)
                .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
            let answer = match self.issuer_of(cert, intermediates) {
                None => Err(vec![
                    "its issuer is neither sent by the server nor trusted".to_owned(),
                ]),
                Some(issuer) => fetch::status(fetch, cert, issuer, now),
            };
            match answer {
                Ok(fetch::Answer {
                    status: ocsp::Status::Good,
                    ..
                }) => {}
                Ok(fetch::Answer {
                    status: ocsp::Status::Revoked { at, reason },
                    source,
                }) => {
                    return refuse(FetchRefusal::Revoked {
                        subject: info.subject,
                        serial: info.serial,
                        at,
                        reason,
                        source,
                    });
                }
                _ if self.allow_unknown => {}
                Ok(fetch::Answer { source, .. }) => {
                    return refuse(FetchRefusal::Unknown {
                        subject: info.subject,
                        reasons: vec![format!("{source}: it does not know the certificate")],
                    });
                }
                Err(reasons) => {
                    return refuse(FetchRefusal::Unknown {
                        subject: info.subject,
                        reasons,
                    });
                }
            }
        }
        Ok(())
    }

    /// The certificate against the trust: pinned as it is, or chained to a trusted CA.
    fn verify_trust(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        if self.danger_accept_any {
            return Ok(ServerCertVerified::assertion());
        }
        let name = self.expected_name.as_ref().unwrap_or(server_name);
        if self
            .pinned
            .iter()
            .any(|pinned| pinned.as_ref() == end_entity.as_ref())
        {
            return self.verify_pinned(end_entity, name, now);
        }
        let Some(webpki) = &self.webpki else {
            return Err(Error::InvalidCertificate(CertificateError::UnknownIssuer));
        };
        match webpki.verify_server_cert(end_entity, intermediates, name, ocsp_response, now) {
            // webpki checks the name last: a name error means the chain and dates were good.
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }
}
