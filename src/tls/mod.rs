//! The TLS builder: turns an endpoint's `secure_socket` into a rustls `ClientConfig`, with the
//! aws-lc-rs provider chosen explicitly. Every file is read, identified and checked here, when
//! the suite loads: nothing is sent with less than the suite asked for.

mod error;
mod files;
pub mod inspect;

pub mod fetch;
pub mod observe;
pub mod ocsp;
mod pkcs12;
pub mod proxy;
pub mod revocation;
mod roots;
mod session;
mod sniff;
pub mod verify;

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::{Resumption, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, RootCertStore};

pub use crate::names::{cipher_by_name, cipher_name, is_tls13, supported_cipher_names};
pub use error::{MaterialError, Problem, Role};
pub use inspect::CertInfo;
pub use proxy::ProxyTrust;

use crate::config::suite::{
    HttpVersion, Identity, Revocation, SecureSocket, Stapling, Suite, TlsVersion, Trust,
};
use crate::diagnostic::{Diagnostic, Source};
use crate::secret::Secret;
use files::fail;

/// An endpoint's TLS, built and checked.
#[derive(Debug)]
pub struct TlsClient {
    pub config: Arc<ClientConfig>,
    /// For a redirect to another origin: the same trust, versions and suites, but no client
    /// certificate, and the name checked is the new host's, not `server_name`.
    pub foreign_config: Arc<ClientConfig>,
    pub trust: TrustSummary,
    /// The client certificate, when mutual TLS is configured.
    pub identity: Option<IdentitySummary>,
    /// `server_name`: the name to send as SNI and verify, instead of the URL's host.
    pub server_name: Option<ServerName<'static>>,
    pub handshake_timeout: Option<Duration>,
    /// `enable = false`: the server's certificate is not verified.
    pub danger_accept_invalid_certs: bool,
    /// What the handshakes showed.
    pub handshakes: Arc<observe::Handshakes>,
    /// `check --offline`: keystores and keys not opened, their passwords set at run time.
    pub unopened: Vec<String>,
    /// `revocation`: the CRLs checked, as read for people.
    pub crls: Vec<revocation::CrlInfo>,
    /// `pin_sha256`.
    pub pins: Vec<String>,
}

/// Whom an endpoint trusts.
#[derive(Debug)]
pub struct TrustSummary {
    /// "certs/ca.crt", "PKCS#12 truststore certs/trust.p12", "the system's trust store".
    pub source: String,
    /// How many certificates are trusted.
    pub count: usize,
    /// The certificates the suite names (not the system's), with the file they are in.
    pub listed: Vec<(String, CertInfo)>,
    /// Sources that could not be read (a bad SSL_CERT_FILE next to a good SSL_CERT_DIR).
    pub warnings: Vec<String>,
}

/// The client identity presented for mutual TLS.
#[derive(Debug)]
pub struct IdentitySummary {
    /// Where it comes from: "certs/client.crt + certs/client.key", "PKCS#12 keystore x.p12".
    pub source: String,
    /// The leaf certificate.
    pub leaf: CertInfo,
    /// Certificates sent, leaf included.
    pub chain_len: usize,
}

/// The TLS material of a suite could not be used. Nothing was sent.
#[derive(Debug)]
pub struct TlsError {
    pub source: Arc<Source>,
    pub errors: Vec<MaterialError>,
}

impl TlsError {
    /// Each problem as a diagnostic pointing at where the suite names the file.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        self.errors
            .iter()
            .map(|error| {
                let diagnostic = Diagnostic::at(&self.source, &error.span, error.to_string());
                match error.help() {
                    Some(help) => diagnostic.help(help),
                    None => diagnostic,
                }
            })
            .collect()
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, diagnostic) in self.diagnostics().iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl std::error::Error for TlsError {}

/// The TLS of every endpoint of a suite, in endpoint order.
#[derive(Debug)]
pub struct SuiteTls {
    /// The endpoint's own TLS; `None` for `http://` ones.
    pub clients: Vec<Option<TlsClient>>,
    /// The trust of the endpoint's https:// proxy, when it has one.
    pub proxies: Vec<Option<Arc<ProxyTrust>>>,
}

/// Builds the TLS of every endpoint of a suite: its own for `https://` ones, and its proxy's
/// for an https:// proxy. Every problem of every endpoint is reported.
pub fn build_suite(suite: &Suite) -> Result<SuiteTls, TlsError> {
    let mut clients = Vec::new();
    let mut proxies = Vec::new();
    let mut errors = Vec::new();
    for endpoint in &suite.endpoints {
        let proxy = match proxy::load(endpoint) {
            Ok(proxy) => proxy,
            Err(error) => {
                errors.push(error);
                None
            }
        };
        match endpoint.tls.as_ref().map(|tls| {
            build(
                tls,
                endpoint.http_version,
                proxy.clone(),
                &suite.deferred_env,
            )
        }) {
            None => clients.push(None),
            Some(Ok(client)) => clients.push(Some(client)),
            Some(Err(mut found)) => errors.append(&mut found),
        }
        proxies.push(proxy);
    }
    if errors.is_empty() {
        Ok(SuiteTls { clients, proxies })
    } else {
        Err(TlsError {
            source: Arc::clone(&suite.source),
            errors,
        })
    }
}

/// A TLS configuration for a client that never speaks TLS to its server (an `http://`
/// endpoint's): it trusts nothing but its https:// proxy, if it has one, and building it reads
/// no trust store. `None` only if the provider refused its own default versions.
pub fn no_tls_config(proxy: Option<&Arc<ProxyTrust>>) -> Option<ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // Nothing pinned and no trust anchors: every certificate is refused.
    let verifier = Arc::new(verify::ServerVerifier {
        proxy: proxy.cloned(),
        ..verify::ServerVerifier::trusting_nothing(Arc::clone(&provider))
    });
    let builder =
        ClientConfig::builder_with_provider(provider).with_safe_default_protocol_versions();
    Some(
        builder
            .ok()?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    )
}

/// Builds one endpoint's TLS.
pub fn build(
    socket: &SecureSocket,
    http: HttpVersion,
    proxy: Option<Arc<ProxyTrust>>,
    deferred_env: &BTreeSet<String>,
) -> Result<TlsClient, Vec<MaterialError>> {
    // The `env.*` variable a password stands in for under `check --offline`, if it does.
    let deferred = |password: Option<&Secret>| {
        let password = password?.expose();
        deferred_env
            .iter()
            .find(|name| password == crate::config::deferred_value(name))
            .cloned()
    };
    let provider = Arc::new(provider(socket));
    // Both are read before either is judged, so every problem is reported at once. With
    // `enable = false` nothing is verified: no trust is read.
    let trust = if socket.danger_accept_invalid_certs {
        Ok((
            Trusted::default(),
            TrustSummary {
                source: "nothing: enable = false, the server's certificate is not verified"
                    .to_owned(),
                count: 0,
                listed: Vec::new(),
                warnings: Vec::new(),
            },
        ))
    } else {
        load_trust(socket)
    };
    // `check --offline`: a keystore or key whose password is set only at run time cannot be
    // opened; that it is there and is what it should be has been checked.
    let mut unopened = Vec::new();
    let trust = match (trust, &socket.trust) {
        (Err(errors), Trust::Pkcs12 { file, password })
            if errors
                .iter()
                .all(|e| matches!(e.problem, Problem::WrongPassword(_))) =>
        {
            let name = deferred(password.as_ref()).ok_or(errors)?;
            Ok((
                Trusted::default(),
                TrustSummary {
                    source: format!(
                        "PKCS#12 truststore {}, not opened: its password, env.{name}, is set at run time",
                        file.shown
                    ),
                    count: 0,
                    listed: Vec::new(),
                    warnings: Vec::new(),
                },
            ))
        }
        (trust, _) => trust,
    };
    let identity = match socket
        .identity
        .as_ref()
        .map(|i| (i, load_identity(i, &provider)))
    {
        None => Ok(None),
        Some((_, Ok(identity))) => Ok(Some(identity)),
        Some((given, Err(error))) => {
            let password = match given {
                Identity::Pem { key_password, .. } => key_password.as_ref(),
                Identity::Pkcs12 { password, .. } => password.as_ref(),
            };
            match (&error.problem, deferred(password)) {
                (Problem::WrongPassword(_), Some(name)) => {
                    unopened.push(format!(
                        "identity: {}, not opened: its password, env.{name}, is set at run time",
                        error.file.as_deref().unwrap_or_default()
                    ));
                    Ok(None)
                }
                _ => Err(error),
            }
        }
    };
    let crls = socket.revocation.as_ref().map(revocation::load).transpose();
    let ((trusted, summary), identity, crls) = match (trust, identity, crls) {
        (Ok(trust), Ok(identity), Ok(crls)) => (trust, identity, crls),
        (trust, identity, crls) => {
            let mut errors = trust.err().unwrap_or_default();
            errors.extend(identity.err());
            errors.extend(crls.err().into_iter().flatten());
            return Err(errors);
        }
    };
    let (crl_ders, crls) = crls.unwrap_or_default();

    let settings_error = |reason: String| {
        vec![MaterialError {
            file: None,
            span: socket.span.clone(),
            problem: Problem::Settings(reason),
        }]
    };
    let handshakes = Arc::new(observe::Handshakes::default());
    // With `enable = false` nothing is verified, and no verifier over the trust is needed.
    let webpki = if socket.danger_accept_invalid_certs {
        None
    } else {
        let checked = socket
            .revocation
            .as_ref()
            .map(|revocation| (revocation, crl_ders));
        webpki_verifier(&trusted, &provider, checked).map_err(&settings_error)?
    };
    let anchors = verify::Anchor::all(&trusted.anchors);
    let verifier = |expected_name: Option<ServerName<'static>>| {
        Arc::new(verify::ServerVerifier {
            danger_accept_any: socket.danger_accept_invalid_certs,
            webpki: webpki.clone(),
            pinned: trusted.pinned.clone(),
            check_name: !socket.danger_skip_hostname_check,
            expected_name,
            provider: Arc::clone(&provider),
            handshakes: Arc::clone(&handshakes),
            proxy: proxy.clone(),
            pins: socket.pins.clone(),
            stapling: socket
                .revocation
                .as_ref()
                .map_or(Stapling::Ignore, |r| r.stapling),
            allow_unknown: socket.revocation.as_ref().is_some_and(|r| r.allow_unknown),
            issuers: Arc::clone(&anchors),
            fetch: socket
                .revocation
                .as_ref()
                .and_then(|r| Some((r.fetch.clone()?, r.end_entity_only))),
        })
    };
    let versions: Vec<&'static rustls::SupportedProtocolVersion> = socket
        .versions
        .iter()
        .map(|version| match version {
            TlsVersion::Tls12 => &rustls::version::TLS12,
            TlsVersion::Tls13 => &rustls::version::TLS13,
        })
        .collect();
    let (key, identity) =
        identity.map_or((None, None), |(key, summary)| (Some(key), Some(summary)));
    let make = |expected_name, key| -> Result<ClientConfig, Vec<MaterialError>> {
        let builder = ClientConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(&versions)
            .map_err(|error| settings_error(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(verifier(expected_name));
        let mut config = builder.with_client_cert_resolver(Arc::new(observe::RecordingResolver {
            key,
            handshakes: Arc::clone(&handshakes),
        }));
        config.alpn_protocols = match http {
            HttpVersion::Http1 => vec![b"http/1.1".to_vec()],
            HttpVersion::Http2 => vec![b"h2".to_vec()],
            HttpVersion::Auto => vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        };
        config.resumption = match (socket.share_session, socket.session_timeout) {
            (false, _) => Resumption::disabled(),
            (true, Some(timeout)) => {
                Resumption::store(Arc::new(session::TimedSessionStore::new(timeout)))
            }
            (true, None) => Resumption::default(),
        };
        // SSLKEYLOGFILE, when set, receives the session keys: for Wireshark, as browsers and
        // curl do.
        config.key_log = Arc::new(rustls::KeyLogFile::new());
        Ok(config)
    };
    let config = make(socket.server_name.clone(), key)?;
    let foreign_config = make(None, None)?;
    Ok(TlsClient {
        config: Arc::new(config),
        foreign_config: Arc::new(foreign_config),
        trust: summary,
        identity,
        server_name: socket.server_name.clone(),
        handshake_timeout: socket.handshake_timeout,
        danger_accept_invalid_certs: socket.danger_accept_invalid_certs,
        handshakes,
        unopened,
        crls,
        pins: socket.pins.clone(),
    })
}

/// The aws-lc-rs provider, limited to the suite's cipher suites when it names some.
fn provider(socket: &SecureSocket) -> CryptoProvider {
    let mut provider = rustls::crypto::aws_lc_rs::default_provider();
    if socket.ciphers.is_empty() {
        prefer_aes_128(&mut provider.cipher_suites);
    } else {
        provider.cipher_suites.clone_from(&socket.ciphers);
    }
    provider
}

/// Offers AES-128-GCM before AES-256-GCM, as browsers and Go do: both are secure, and 128-bit
/// keys take 10 rounds to 14, which both ends feel on large bodies (most servers take the
/// client's order). Otherwise the provider's order stays.
fn prefer_aes_128(suites: &mut [rustls::SupportedCipherSuite]) {
    use rustls::CipherSuite::{
        TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLS13_AES_128_GCM_SHA256,
    };
    let aes_128 = |suite: &rustls::SupportedCipherSuite| {
        matches!(
            suite.suite(),
            TLS13_AES_128_GCM_SHA256
                | TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
                | TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        )
    };
    // Stable: the provider's order stays within each rank.
    suites.sort_by_key(|suite| !aes_128(suite));
}

/// Certificates to trust: CAs become trust anchors; every certificate the suite lists is also
/// trusted as it is when a server presents exactly it.
#[derive(Debug, Default)]
struct Trusted {
    anchors: Vec<CertificateDer<'static>>,
    pinned: Vec<CertificateDer<'static>>,
}

fn load_trust(socket: &SecureSocket) -> Result<(Trusted, TrustSummary), Vec<MaterialError>> {
    let mut trusted = Trusted::default();
    let mut listed = Vec::new();
    let mut errors = Vec::new();
    let mut add_listed = |shown: &str, certs: Vec<files::Inspected>, trusted: &mut Trusted| {
        for (cert, info) in certs {
            if info.is_ca {
                trusted.anchors.push(cert.clone());
            }
            trusted.pinned.push(cert);
            listed.push((shown.to_owned(), info));
        }
    };
    let mut source = match &socket.trust {
        Trust::System => "the system's trust store".to_owned(),
        Trust::Files(files) => {
            for file in files {
                match files::read_certificates(file, Role::TrustPem) {
                    Ok(certs) => add_listed(&file.shown, certs, &mut trusted),
                    Err(error) => errors.push(error),
                }
            }
            files
                .iter()
                .map(|f| f.shown.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
        Trust::Pkcs12 { file, password } => {
            match pkcs12::read_truststore(file, password.as_ref()) {
                Ok(certs) => add_listed(&file.shown, certs, &mut trusted),
                Err(error) => errors.push(error),
            }
            format!("PKCS#12 truststore {}", file.shown)
        }
    };
    let mut system_count = 0;
    let mut warnings = Vec::new();
    if matches!(socket.trust, Trust::System) || socket.system_roots {
        match roots::system_roots() {
            Ok(system) => {
                system_count = system.certs.len();
                trusted.anchors.extend(system.certs.iter().cloned());
                if !matches!(socket.trust, Trust::System) {
                    source.push_str(" and the system's trust store");
                }
                source.push_str(&format!(" [{}]", system.sources));
                warnings.extend(system.warnings.iter().cloned());
            }
            Err(reason) => errors.push(MaterialError {
                file: None,
                span: socket.span.clone(),
                problem: Problem::NoSystemRoots(reason),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let count = trusted.pinned.len() + system_count;
    Ok((
        trusted,
        TrustSummary {
            source,
            count,
            listed,
            warnings,
        },
    ))
}

/// webpki's verifier over the trust anchors; `None` when there are none (only pinned
/// certificates).
fn webpki_verifier(
    trusted: &Trusted,
    provider: &Arc<CryptoProvider>,
    revocation: Option<(&Revocation, Vec<CertificateRevocationListDer<'static>>)>,
) -> Result<Option<Arc<WebPkiServerVerifier>>, String> {
    if trusted.anchors.is_empty() {
        return Ok(None);
    }
    let mut roots = RootCertStore::empty();
    let (_, unusable) = roots.add_parsable_certificates(trusted.anchors.iter().cloned());
    if roots.is_empty() {
        return Err(format!(
            "none of its {unusable} certificates can be a trust anchor"
        ));
    }
    let mut builder =
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(provider));
    if let Some((revocation, crls)) = revocation
        && !crls.is_empty()
    {
        // An out-of-date CRL is refused, as a stale answer is no answer.
        builder = builder.with_crls(crls).enforce_revocation_expiration();
        if revocation.end_entity_only {
            builder = builder.only_check_end_entity_revocation();
        }
        if revocation.allow_unknown {
            builder = builder.allow_unknown_revocation_status();
        }
    }
    builder.build().map(Some).map_err(|error| error.to_string())
}

/// The client identity: its certificate chain and key, checked to belong together and to be
/// valid now.
fn load_identity(
    identity: &Identity,
    provider: &CryptoProvider,
) -> Result<(Arc<CertifiedKey>, IdentitySummary), MaterialError> {
    let (chain, key, cert_file, key_file, source) = match identity {
        Identity::Pem {
            cert_file,
            key_file,
            key_password,
        } => {
            let chain = files::read_certificates(cert_file, Role::ClientCert);
            let key = files::read_private_key(key_file, key_password.as_ref());
            (
                chain?.into_iter().map(|(der, _)| der).collect::<Vec<_>>(),
                key?,
                cert_file,
                key_file,
                format!("{} with key {}", cert_file.shown, key_file.shown),
            )
        }
        Identity::Pkcs12 { file, password } => {
            let (chain, key) = pkcs12::read_keystore(file, password.as_ref())?;
            (
                chain,
                key,
                file,
                file,
                format!("PKCS#12 keystore {}", file.shown),
            )
        }
    };
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|error| fail(key_file, Problem::UnsupportedKey(error.to_string())))?;
    let chain_len = chain.len();
    let leaf = chain
        .first()
        .and_then(|cert| CertInfo::from_der(cert).ok())
        .ok_or_else(|| fail(cert_file, Problem::NoCertificateForKey))?;
    let certified = CertifiedKey::new(chain, signing_key);
    if let Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) =
        certified.keys_match()
    {
        return Err(fail(
            cert_file,
            Problem::KeyMismatch {
                subject: leaf.subject.clone(),
            },
        ));
    }
    let now = inspect::now();
    if !leaf.is_valid_at(now) {
        return Err(fail(
            cert_file,
            Problem::NotValidNow {
                subject: leaf.subject.clone(),
                not_before: inspect::format_time(leaf.not_before),
                not_after: inspect::format_time(leaf.not_after),
                expired: now > leaf.not_after,
            },
        ));
    }
    Ok((
        Arc::new(certified),
        IdentitySummary {
            source,
            leaf,
            chain_len,
        },
    ))
}

#[cfg(test)]
mod tests {
    use rustls::CipherSuite;

    #[test]
    fn aes_128_is_offered_first_in_both_versions() {
        let mut suites = rustls::crypto::aws_lc_rs::default_provider().cipher_suites;
        let before = suites.len();
        super::prefer_aes_128(&mut suites);
        assert_eq!(suites.len(), before);
        let names: Vec<CipherSuite> = suites.iter().map(|s| s.suite()).collect();
        let first = |of: &[CipherSuite]| names.iter().position(|n| of.contains(n));
        // TLS 1.3, then TLS 1.2 for each kind of server key.
        assert_eq!(names[0], CipherSuite::TLS13_AES_128_GCM_SHA256);
        assert!(
            first(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256])
                < first(&[CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384])
        );
        assert!(
            first(&[CipherSuite::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256])
                < first(&[CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384])
        );
        assert!(
            first(&[CipherSuite::TLS13_AES_256_GCM_SHA384])
                < first(&[CipherSuite::TLS13_CHACHA20_POLY1305_SHA256])
        );
    }
}
