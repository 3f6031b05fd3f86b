//! Endpoint profiles and their `secure_socket` tables (spec §2, §2.1).

use http::HeaderName;
use indexmap::IndexMap;
use rustls::pki_types::ServerName;
use url::Url;

use super::convert::Converter;
use super::raw::{
    RawCert, RawCertValidation, RawEndpoint, RawHttpVersion, RawKey, RawOtherOrigins, RawProtocol,
    RawProxy, RawProxyTable, RawRedirects, RawRevocation, RawRevocationScope, RawSecureSocket,
    RawStapling, RawSuite, RawUnknownStatus,
};
use super::spanned::Spanned;
use super::suite::{
    ConnectTo, Endpoint, Fetch, FileRef, Header, HttpVersion, Identity, OtherOrigins, ProxySetting,
    Redirects, Revocation, SecureSocket, Stapling, TlsVersion, Trust,
};
use super::template::CaptureNames;
use crate::diagnostic::{Span, quoted_list};
use crate::names;
use crate::secret::Secret;

/// The most of a body held in memory when the suite gives no `max_body` (spec §7).
pub const DEFAULT_MAX_BODY: u64 = 64 << 20;

/// A whole request's limit when the suite gives none (spec §7).
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The limit used by `follow_redirects = true`, as browsers and curl's `--max-redirs` default do.
const DEFAULT_MAX_REDIRECTS: u32 = 10;

impl Converter<'_> {
    /// `proxy.cert`: the CAs of an https:// proxy, so only with one.
    fn proxy_cert(
        &mut self,
        table: &RawProxyTable,
        url: &Url,
        span: &Span,
    ) -> Option<Option<FileRef>> {
        let Some(cert) = &table.cert else {
            return Some(None);
        };
        // Inside an either-or value toml keeps no place of its own: the proxy's is used.
        let cert = Spanned::new(span.clone(), cert.clone());
        if url.scheme() != "https" {
            self.report(
                self.error(
                    &cert.span(),
                    format!(
                        "`cert` is for an https:// proxy; this one is {}://",
                        url.scheme()
                    ),
                )
                .help("remove `cert`, or write the proxy's URL with https:// if it speaks TLS"),
            );
            return None;
        }
        self.file(&cert).map(Some)
    }

    /// The suite's endpoints, in order; `None` for one that is wrong (its mistakes are said).
    pub fn endpoints(&mut self, raw: &RawSuite) -> Vec<Option<Endpoint>> {
        raw.endpoints
            .iter()
            .map(|(name, endpoint)| self.endpoint(name, endpoint))
            .collect()
    }

    pub fn endpoint(&mut self, name: &str, raw: &Spanned<RawEndpoint>) -> Option<Endpoint> {
        let url = self.url(&raw.url);
        let headers = self.headers(&raw.headers, &CaptureNames::default());
        let timeout = raw.timeout.as_ref().map(|d| self.timeout(d));
        let connect_timeout = raw.connect_timeout.as_ref().map(|d| self.duration(d, true));
        let read_timeout = raw.read_timeout.as_ref().map(|d| self.timeout(d));
        let max_body = raw.max_body.as_ref().map(|s| self.size(s));
        let proxy = match raw.proxy.as_ref() {
            None => Some(ProxySetting::Environment),
            Some(spanned) => match spanned.get() {
                RawProxy::Off(text) if text == "none" => Some(ProxySetting::None),
                RawProxy::Off(text) => {
                    self.report(
                        self.error(&spanned.span(), format!("`{text}` is not a proxy setting"))
                            .help("write proxy = \"none\" to go direct, or proxy = { url = \"http://proxy:3128\" }"),
                    );
                    None
                }
                RawProxy::Via(table) => {
                    let span = spanned.span();
                    let text = Spanned::new(span.clone(), table.url.clone());
                    let resolved = self.resolve_now(&text)?;
                    match Url::parse(&resolved.value) {
                        Ok(url)
                            if matches!(url.scheme(), "http" | "https" | "socks5" | "socks5h") =>
                        {
                            let cert = self.proxy_cert(table, &url, &span);
                            Some(ProxySetting::Via {
                                url,
                                shown: resolved.shown,
                                no_proxy: table.no_proxy.clone(),
                                cert: cert?,
                            })
                        }
                        _ => {
                            self.report(
                                self.error(
                                    &span,
                                    format!("`{}` is not a proxy URL", resolved.shown),
                                )
                                .help("write http://host:port (or https://, socks5://)"),
                            );
                            None
                        }
                    }
                }
            },
        };
        let connect_to = raw.connect_to.as_ref().map(|raw| {
            let resolved = self.resolve_now(raw)?;
            let parsed = ConnectTo::parse(&resolved.value);
            if parsed.is_none() {
                self.report(
                    self.error(
                        &raw.span(),
                        format!("`{}` is not HOST:PORT", resolved.shown),
                    )
                    .help("write for example \"10.0.0.5:8443\", or \"[::1]:8443\" for IPv6"),
                );
            }
            parsed
        });
        let http_version = match raw.http_version.as_ref().map(|v| *v.get()) {
            Some(RawHttpVersion::Http1) => HttpVersion::Http1,
            Some(RawHttpVersion::Http2) => HttpVersion::Http2,
            Some(RawHttpVersion::Auto) | None => HttpVersion::Auto,
        };
        let redirects = match raw.follow_redirects.as_ref().map(|r| r.get()) {
            None | Some(RawRedirects::Follow(false)) => Redirects::None,
            Some(RawRedirects::Follow(true)) => Redirects::Follow {
                max: DEFAULT_MAX_REDIRECTS,
                to_http: false,
                other_origins: OtherOrigins::Strip,
            },
            Some(RawRedirects::Limited(limit)) => Redirects::Follow {
                max: limit.max.unwrap_or(DEFAULT_MAX_REDIRECTS),
                to_http: limit.to_http.unwrap_or(false),
                other_origins: match limit.other_origins {
                    None | Some(RawOtherOrigins::Strip) => OtherOrigins::Strip,
                    Some(RawOtherOrigins::Keep) => OtherOrigins::DangerKeep,
                    Some(RawOtherOrigins::Refuse) => OtherOrigins::Refuse,
                },
            },
        };
        let url = url?;
        let tls = match (url.0.scheme(), &raw.secure_socket) {
            ("https", Some(secure_socket)) => Some(self.secure_socket(secure_socket)?),
            ("https", None) => Some(SecureSocket::system_default(raw.span())),
            (_, Some(secure_socket)) => {
                self.report(
                    self.error(
                        &secure_socket.span(),
                        "`secure_socket` is set but the endpoint's URL is http://",
                    )
                    .help("use an https:// URL, or remove `secure_socket`"),
                );
                return None;
            }
            (_, None) => None,
        };
        if let (Some(ProxySetting::Via { url: via, .. }), Some(spanned)) =
            (proxy.as_ref(), raw.proxy.as_ref())
            && url.0.scheme() == "https"
            && via.scheme() == "https"
            && url
                .0
                .host_str()
                .zip(via.host_str())
                .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
        {
            // The verifier tells the proxy's handshake from the server's by the name spoken to.
            self.report(
                self.error(
                    &spanned.span(),
                    format!(
                        "the https:// proxy and the endpoint have the same host name `{}`: runner tells their certificates apart by name",
                        via.host_str().unwrap_or_default()
                    ),
                )
                .help("reach one of them by another of its names (for example `localhost` and `127.0.0.1`)"),
            );
            return None;
        }
        Some(Endpoint {
            name: name.to_owned(),
            url: url.0,
            url_shown: url.1,
            url_secrets: url.2,
            connect_to: connect_to.transpose_none()?,
            cookies: raw.cookies.unwrap_or(true),
            compressed: raw.compressed.unwrap_or(true),
            proxy: proxy?,
            headers: headers?,
            // Absent: 30 s, so that no server can hold a run forever.
            timeout: timeout.transpose_none()?.unwrap_or(Some(DEFAULT_TIMEOUT)),
            connect_timeout: connect_timeout.transpose_none()?,
            read_timeout: read_timeout
                .transpose_none()?
                .unwrap_or(Some(DEFAULT_TIMEOUT)),
            max_body: max_body.transpose_none()?.unwrap_or(DEFAULT_MAX_BODY),
            http_version,
            redirects,
            tls,
            span: raw.span(),
        })
    }

    /// An endpoint URL and how it may be shown.
    fn url(&mut self, raw: &Spanned<String>) -> Option<(Url, String, Vec<Secret>)> {
        let (resolved, secrets) = self.resolve_now_with_secrets(raw)?;
        let span = raw.span();
        let url = match Url::parse(&resolved.value) {
            Ok(url) => url,
            Err(error) => {
                self.report(
                    self.error(&span, format!("invalid URL \"{}\": {error}", resolved.shown))
                        .help("write a full URL such as \"https://api.example.com\" or \"https://localhost:8443/prefix\""),
                );
                return None;
            }
        };
        if !resolved.value.contains("://") {
            self.report(
                self.error(
                    &span,
                    format!("the URL \"{}\" has no scheme", resolved.shown),
                )
                .help(format!("write \"https://{}\"", resolved.shown)),
            );
            return None;
        }
        if !matches!(url.scheme(), "http" | "https") {
            self.report(
                self.error(&span, format!("unsupported URL scheme `{}`", url.scheme()))
                    .help("endpoint URLs start with https:// or http://"),
            );
            return None;
        }
        if url.host().is_none() {
            self.report(
                self.error(&span, "the URL has no host")
                    .help("write a full URL such as \"https://localhost:8443\""),
            );
            return None;
        }
        if url.query().is_some() || url.fragment().is_some() {
            self.report(
                self.error(
                    &span,
                    "an endpoint URL cannot carry a query string or fragment",
                )
                .help("put query parameters in a request's `path` or `query`"),
            );
            return None;
        }
        Some((url, resolved.shown, secrets))
    }

    /// Header names are checked now; values are checked now when nothing is left for run time.
    pub fn headers(
        &mut self,
        raw: &IndexMap<String, Spanned<String>>,
        captures: &CaptureNames,
    ) -> Option<Vec<Header>> {
        let mut headers = Vec::new();
        let mut ok = true;
        for (name, value) in raw {
            let Ok(header_name) = HeaderName::from_bytes(name.as_bytes()) else {
                self.report(
                    self.error(&value.span(), format!("invalid header name `{name}`"))
                        .help("header names are made of letters, digits and !#$%&'*+-.^_`|~"),
                );
                ok = false;
                continue;
            };
            let Some(template) = self.template(value, captures) else {
                ok = false;
                continue;
            };
            if let Some(resolved) = template.resolved()
                && http::HeaderValue::from_str(&resolved.value).is_err()
            {
                self.report(
                    self.error(&value.span(), format!("invalid value for header `{name}`"))
                        .help("header values cannot hold line breaks or control characters"),
                );
                ok = false;
                continue;
            }
            headers.push(Header {
                name: header_name,
                value: template,
            });
        }
        ok.then_some(headers)
    }

    fn secure_socket(&mut self, raw: &Spanned<RawSecureSocket>) -> Option<SecureSocket> {
        let trust = match &raw.cert {
            None => Some(Trust::System),
            Some(cert) => self.trust(cert),
        };
        let identity = raw.key.as_ref().map(|key| self.identity(key));
        let server_name = raw.server_name.as_ref().map(|name| self.server_name(name));
        let versions = match &raw.protocol {
            None => Some(vec![TlsVersion::Tls12, TlsVersion::Tls13]),
            Some(protocol) => self.versions(protocol),
        };
        let explicit_versions = raw.protocol.as_ref().is_some_and(|p| p.versions.is_some());
        let ciphers = match &raw.ciphers {
            None => Some(Vec::new()),
            Some(names) => self.ciphers(
                names,
                versions.as_deref().unwrap_or_default(),
                explicit_versions,
            ),
        };
        // Without `protocol.versions`, the versions are those the chosen suites can speak.
        let versions = match (&ciphers, versions) {
            (Some(suites), Some(versions)) if !suites.is_empty() && !explicit_versions => Some(
                versions
                    .into_iter()
                    .filter(|&v| {
                        suites
                            .iter()
                            .any(|&s| names::is_tls13(s) == (v == TlsVersion::Tls13))
                    })
                    .collect(),
            ),
            (_, versions) => versions,
        };
        let handshake_timeout = raw
            .handshake_timeout
            .as_ref()
            .map(|d| self.duration(d, true));
        let session_timeout = raw.session_timeout.as_ref().map(|d| self.duration(d, true));
        let pins = match &raw.pin_sha256 {
            None => Some(Vec::new()),
            Some(pins) => self.pins(pins),
        };
        let revocation = match (&raw.revocation, &raw.cert_validation) {
            (Some(_), Some(ballerina)) => {
                self.report(
                    self.error(
                        &ballerina.span(),
                        "`cert_validation` and `revocation` are both set",
                    )
                    .help("keep one: `cert_validation` is Ballerina's spelling of `revocation`"),
                );
                Some(None)
            }
            (Some(r), None) => Some(self.revocation(r)),
            (None, Some(ballerina)) => Some(self.cert_validation(ballerina)),
            (None, None) => None,
        };
        let system_roots = raw.system_roots.unwrap_or(false);
        if system_roots && raw.cert.is_none() {
            // Harmless but a sign of a misunderstanding: say so rather than guess.
            self.report(
                self.error(&raw.span(), "`system_roots = true` needs `cert`")
                    .help("without `cert` the system roots are used anyway; remove `system_roots`, or add `cert`"),
            );
            return None;
        }
        Some(SecureSocket {
            trust: trust?,
            system_roots,
            identity: identity.transpose_none()?,
            danger_accept_invalid_certs: !raw.enable.unwrap_or(true),
            danger_skip_hostname_check: !raw.verify_hostname.unwrap_or(true),
            server_name: server_name.transpose_none()?,
            versions: versions?,
            ciphers: ciphers?,
            handshake_timeout: handshake_timeout.transpose_none()?,
            share_session: raw.share_session.unwrap_or(true),
            session_timeout: session_timeout.transpose_none()?,
            pins: pins?,
            revocation: revocation.transpose_none()?,
            span: raw.span(),
        })
    }

    /// `pin_sha256`: each a base64 SHA-256 (32 bytes), with or without curl's `sha256//`.
    fn pins(&mut self, raw: &Spanned<Vec<Spanned<String>>>) -> Option<Vec<String>> {
        use base64::Engine;
        if raw.get().is_empty() {
            self.report(
                self.error(&raw.span(), "`pin_sha256` is an empty array")
                    .help("list the base64 SHA-256 of the server's public key, or remove `pin_sha256`"),
            );
            return None;
        }
        let mut pins = Vec::new();
        let mut ok = true;
        for pin in raw.get() {
            let text = pin.get().trim();
            let text = text.strip_prefix("sha256//").unwrap_or(text);
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) if bytes.len() == 32 => {
                    pins.push(base64::engine::general_purpose::STANDARD.encode(bytes));
                }
                _ => {
                    self.report(
                        self.error(&pin.span(), format!("`{text}` is not a base64 SHA-256 (44 characters, 32 bytes)"))
                            .help("a mismatch prints the server's spki_sha256; or compute it: openssl x509 -in server.crt -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"),
                    );
                    ok = false;
                }
            }
        }
        ok.then_some(pins)
    }

    fn revocation(&mut self, raw: &Spanned<RawRevocation>) -> Option<Revocation> {
        let revocation = raw.get();
        let stapling = match revocation.ocsp_stapling {
            Some(RawStapling::Require) => Stapling::Require,
            Some(RawStapling::Ignore) => Stapling::Ignore,
            Some(RawStapling::IfPresent) | None => Stapling::IfPresent,
        };
        let paths = revocation.crl.as_ref().map(|c| (c, c.get().list()));
        if let Some((crl, paths)) = &paths
            && paths.is_empty()
        {
            self.report(
                self.error(&crl.span(), "`revocation.crl` is an empty array")
                    .help("list the CRL files of the CAs that issued the server's chain"),
            );
            return None;
        }
        let fetching = revocation.fetch == Some(true);
        if paths.is_none() && revocation.ocsp_stapling.is_none() && !fetching {
            self.report(
                self.error(&raw.span(), "`revocation` names no source")
                    .help("give `crl = \"ca.crl\"` (CRL files), `ocsp_stapling = \"require\"` (the server's stapled OCSP response), `fetch = true` (the responders and CRLs the certificates name), or several"),
            );
            return None;
        }
        let fetch = self.fetch(revocation);
        let crls: Vec<_> = paths
            .into_iter()
            .flat_map(|(crl, paths)| paths.into_iter().map(move |path| respan(crl, path)))
            .map(|path| self.file(&path))
            .collect();
        Some(Revocation {
            crls: crls.into_iter().collect::<Option<Vec<_>>>()?,
            end_entity_only: matches!(revocation.scope, Some(RawRevocationScope::EndEntity)),
            allow_unknown: matches!(revocation.unknown, Some(RawUnknownStatus::Allow)),
            stapling,
            fetch: fetch?,
        })
    }

    /// Ballerina's `certValidation`, as the `revocation` it means.
    fn cert_validation(&mut self, raw: &Spanned<RawCertValidation>) -> Option<Revocation> {
        let ballerina = raw.get();
        let stapling = match ballerina.kind.get().as_str() {
            "OCSP_STAPLING" => true,
            "OCSP_CRL" => false,
            other => {
                self.report(
                    self.error(
                        &ballerina.kind.span(),
                        format!("`{other}` is not a certValidation type"),
                    )
                    .help("Ballerina's types are \"OCSP_STAPLING\" and \"OCSP_CRL\""),
                );
                return None;
            }
        };
        let as_revocation = RawRevocation {
            crl: None,
            ocsp_stapling: stapling.then_some(RawStapling::Require),
            fetch: Some(!stapling),
            cache_size: ballerina.cache_size.clone(),
            cache_validity: ballerina.cache_validity_period.clone(),
            timeout: None,
            scope: None,
            unknown: None,
        };
        self.revocation(&respan(raw, as_revocation))
    }

    /// `fetch` and how its answers are kept; `Some(None)` without `fetch = true`.
    fn fetch(&mut self, revocation: &RawRevocation) -> Option<Option<Fetch>> {
        const MAX_CACHE: u64 = 100_000;
        let validity = revocation
            .cache_validity
            .as_ref()
            .map(|d| self.duration(d, false));
        let timeout = revocation.timeout.as_ref().map(|d| self.duration(d, true));
        let size = match &revocation.cache_size {
            Some(size) if *size.get() > MAX_CACHE => {
                self.report(
                    self.error(&size.span(), format!("`cache_size` is at most {MAX_CACHE}"))
                        .help("a few entries per CA are enough"),
                );
                None
            }
            Some(size) => usize::try_from(*size.get()).ok(),
            None => Some(64),
        };
        let (validity, timeout) = (validity.transpose_none()?, timeout.transpose_none()?);
        if revocation.fetch != Some(true) {
            return Some(None);
        }
        Some(Some(Fetch {
            cache_size: size?,
            cache_validity: validity.unwrap_or(std::time::Duration::from_secs(3600)),
            timeout: timeout.unwrap_or(std::time::Duration::from_secs(5)),
        }))
    }

    fn trust(&mut self, raw: &Spanned<RawCert>) -> Option<Trust> {
        match raw.get() {
            RawCert::Path(path) => {
                let spanned = respan(raw, path.clone());
                Some(Trust::Files(vec![self.file(&spanned)?]))
            }
            RawCert::Paths(paths) if paths.is_empty() => {
                self.report(self.error(&raw.span(), "`cert` is an empty array").help(
                    "list at least one PEM file, or remove `cert` to use the system's trust store",
                ));
                None
            }
            RawCert::Paths(paths) => {
                let files: Vec<_> = paths.iter().map(|p| self.file(p)).collect();
                files
                    .into_iter()
                    .collect::<Option<Vec<_>>>()
                    .map(Trust::Files)
            }
            RawCert::Store(store) => {
                let file = self.file(&store.path);
                let password = store.password.as_ref().map(|p| self.secret(p));
                Some(Trust::Pkcs12 {
                    file: file?,
                    password: password.transpose_none()?,
                })
            }
        }
    }

    fn identity(&mut self, raw: &Spanned<RawKey>) -> Option<Identity> {
        const SHAPES: &str = "write `key = { cert_file = \"client.crt\", key_file = \"client.key\" }` for PEM files, or `key = { path = \"client.p12\", password = \"...\" }` for a PKCS#12 keystore";
        let key = raw.get();
        let span = raw.span();
        match (&key.cert_file, &key.key_file, &key.path) {
            (Some(cert_file), Some(key_file), None) => {
                if let Some(password) = &key.password {
                    self.report(
                        self.error(&password.span(), "`password` belongs to a PKCS#12 keystore")
                            .help("the password of an encrypted PEM key is `key_password`"),
                    );
                    return None;
                }
                let cert_file = self.file(cert_file);
                let key_file = self.file(key_file);
                let key_password = key.key_password.as_ref().map(|p| self.secret(p));
                Some(Identity::Pem {
                    cert_file: cert_file?,
                    key_file: key_file?,
                    key_password: key_password.transpose_none()?,
                })
            }
            (None, None, Some(path)) => {
                if let Some(password) = &key.key_password {
                    self.report(
                        self.error(&password.span(), "`key_password` belongs to a PEM key")
                            .help("the password of a PKCS#12 keystore is `password`"),
                    );
                    return None;
                }
                let file = self.file(path);
                let password = key.password.as_ref().map(|p| self.secret(p));
                Some(Identity::Pkcs12 {
                    file: file?,
                    password: password.transpose_none()?,
                })
            }
            (Some(_), None, None) => {
                self.report(
                    self.error(&span, "`key` has `cert_file` but no `key_file`")
                        .help(SHAPES),
                );
                None
            }
            (None, Some(_), None) => {
                self.report(
                    self.error(&span, "`key` has `key_file` but no `cert_file`")
                        .help(SHAPES),
                );
                None
            }
            (None, None, None) => {
                self.report(self.error(&span, "`key` names no file").help(SHAPES));
                None
            }
            (_, _, Some(_)) => {
                self.report(
                    self.error(&span, "`key` mixes a PKCS#12 keystore (`path`) with PEM files (`cert_file`, `key_file`)")
                        .help(SHAPES),
                );
                None
            }
        }
    }

    fn server_name(&mut self, raw: &Spanned<String>) -> Option<ServerName<'static>> {
        let resolved = self.resolve_now(raw)?;
        match ServerName::try_from(resolved.value) {
            Ok(name) => Some(name),
            Err(_) => {
                self.report(
                    self.error(&raw.span(), format!("invalid server name \"{}\"", resolved.shown))
                        .help("give a DNS name such as \"api.internal\" or an IP address, without scheme or port"),
                );
                None
            }
        }
    }

    fn versions(&mut self, raw: &Spanned<RawProtocol>) -> Option<Vec<TlsVersion>> {
        let protocol = raw.get();
        let mut ok = true;
        if let Some(name) = &protocol.name
            && !name.eq_ignore_ascii_case("TLS")
        {
            self.report(
                self.error(
                    &name.span(),
                    format!("unsupported protocol \"{}\"", name.get()),
                )
                .help("the only protocol is \"TLS\"; choose versions with `versions`"),
            );
            ok = false;
        }
        let Some(names) = &protocol.versions else {
            return ok.then(|| vec![TlsVersion::Tls12, TlsVersion::Tls13]);
        };
        if names.is_empty() {
            self.report(
                self.error(&names.span(), "`versions` is empty")
                    .help("list \"TLSv1.2\", \"TLSv1.3\" or both, or remove `versions`"),
            );
            return None;
        }
        let mut versions = Vec::new();
        for name in names.get() {
            match name.as_str() {
                "TLSv1.2" => versions.push(TlsVersion::Tls12),
                "TLSv1.3" => versions.push(TlsVersion::Tls13),
                old @ ("TLSv1" | "TLSv1.0" | "TLSv1.1" | "SSLv2" | "SSLv3") => {
                    self.report(
                        self.error(
                            &name.span(),
                            format!("{old} is refused: it is obsolete and insecure"),
                        )
                        .help("rustls speaks TLS 1.2 and 1.3 only; use \"TLSv1.2\" or \"TLSv1.3\""),
                    );
                    ok = false;
                }
                other => {
                    self.report(
                        self.error(
                            &name.span(),
                            format!("unknown protocol version \"{other}\""),
                        )
                        .help(format!("use {}", quoted_list(&["TLSv1.2", "TLSv1.3"]))),
                    );
                    ok = false;
                }
            }
        }
        versions.sort();
        versions.dedup();
        ok.then_some(versions)
    }

    fn ciphers(
        &mut self,
        names: &[Spanned<String>],
        versions: &[TlsVersion],
        explicit_versions: bool,
    ) -> Option<Vec<rustls::SupportedCipherSuite>> {
        let mut suites = Vec::new();
        let mut ok = true;
        for name in names {
            match names::cipher_by_name(name.get()) {
                Some(suite) => suites.push(suite),
                None => {
                    self.report(
                        self.error(
                            &name.span(),
                            format!("unknown or unsupported cipher suite \"{}\"", name.get()),
                        )
                        .help(format!(
                            "the supported suites are {}",
                            names::supported_cipher_names().join(", ")
                        )),
                    );
                    ok = false;
                }
            }
        }
        if !ok {
            return None;
        }
        // Every version asked for needs a suite of its own, or the handshake can never use it.
        for &version in versions.iter().filter(|_| explicit_versions) {
            let usable = suites
                .iter()
                .any(|&s| names::is_tls13(s) == (version == TlsVersion::Tls13));
            if !usable && let (Some(first), Some(last)) = (names.first(), names.last()) {
                self.report(
                    self.error(
                        &(first.span().start..last.span().end),
                        format!(
                            "none of these cipher suites can be used with {}",
                            version.name()
                        ),
                    )
                    .help(format!(
                        "add a {} suite, or limit `protocol.versions`",
                        version.name()
                    )),
                );
                return None;
            }
        }
        Some(suites)
    }
}

impl SecureSocket {
    /// An `https://` endpoint without `secure_socket`: the system's trust store and defaults.
    fn system_default(span: crate::diagnostic::Span) -> Self {
        Self {
            trust: Trust::System,
            system_roots: false,
            identity: None,
            danger_accept_invalid_certs: false,
            danger_skip_hostname_check: false,
            server_name: None,
            versions: vec![TlsVersion::Tls12, TlsVersion::Tls13],
            ciphers: Vec::new(),
            handshake_timeout: None,
            share_session: true,
            session_timeout: None,
            pins: Vec::new(),
            revocation: None,
            span,
        }
    }
}

/// A value with the span of another.
fn respan<T, U>(like: &Spanned<T>, value: U) -> Spanned<U> {
    Spanned::new(like.span(), value)
}

/// For optional fields whose conversion may fail: `None` (absent) stays `Some(None)`;
/// `Some(None)` (failed) becomes `None`.
pub(super) trait TransposeNone<T> {
    fn transpose_none(self) -> Option<Option<T>>;
}

impl<T> TransposeNone<T> for Option<Option<T>> {
    fn transpose_none(self) -> Option<Option<T>> {
        match self {
            None => Some(None),
            Some(None) => None,
            Some(Some(value)) => Some(Some(value)),
        }
    }
}
