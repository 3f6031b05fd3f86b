//! The validated suite: what the later stages (TLS builder, clients, executor) are given. Every
//! value here has been checked; nothing downstream re-checks it.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{HeaderName, Method};
use indexmap::IndexMap;
use regex::Regex;
use rustls::SupportedCipherSuite;
use rustls::pki_types::ServerName;
use serde_json_path::JsonPath;
use url::Url;

use super::template::Template;
use crate::diagnostic::{Source, Span};
use crate::secret::Secret;

/// One suite file, loaded and checked.
#[derive(Debug)]
pub struct Suite {
    pub source: Arc<Source>,
    pub endpoints: Vec<Endpoint>,
    pub requests: Vec<Request>,
    /// What the loader noticed and the user should hear of, on every run.
    pub warnings: Vec<String>,
    /// The variables the suite defines in `[vars]` or refers to: what `--var` may set.
    pub var_names: std::collections::BTreeSet<String>,
    /// `check --offline`: the `env.*` variables that are not set, standing in with
    /// [`super::deferred_value`] until run time.
    pub deferred_env: std::collections::BTreeSet<String>,
}

/// A named endpoint profile. `Debug` shows the URL as it may be shown.
pub struct Endpoint {
    pub name: String,
    pub url: Url,
    /// The URL as it may be shown (secrets as `***`).
    pub url_shown: String,
    /// The secrets in the URL (userinfo, host, path, query from `env.*` or a password variable).
    pub url_secrets: Vec<Secret>,
    /// `connect_to`: connect there instead; names, SNI, Host and reported URLs stay the URL's.
    pub connect_to: Option<ConnectTo>,
    /// The suite file's cookie jar is used (`cookies`, default true).
    pub cookies: bool,
    /// Answers may come compressed, and are decoded (`compressed`, default true).
    pub compressed: bool,
    /// Which proxy, if any, carries its requests.
    pub proxy: ProxySetting,
    pub headers: Vec<Header>,
    /// A whole request, per attempt: 30 s unless the suite says; `None`: `timeout = "none"`.
    pub timeout: Option<Duration>,
    pub connect_timeout: Option<Duration>,
    /// The longest gap in an answer: 30 s unless the suite says; `None`: "none".
    pub read_timeout: Option<Duration>,
    /// The most of a body held in memory, in bytes.
    pub max_body: u64,
    pub http_version: HttpVersion,
    pub redirects: Redirects,
    /// TLS settings; `None` for `http://` URLs.
    pub tls: Option<SecureSocket>,
    pub span: Span,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("name", &self.name)
            .field("url", &self.url_shown)
            .field("connect_to", &self.connect_to)
            .field("headers", &self.headers)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("http_version", &self.http_version)
            .field("redirects", &self.redirects)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

/// An endpoint's proxy.
#[derive(Debug, Clone)]
pub enum ProxySetting {
    /// HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY from the environment.
    Environment,
    /// `proxy = "none"`.
    None,
    /// `proxy = { url, no_proxy, cert }`; `shown` is the URL with secrets as `***`.
    Via {
        url: Url,
        shown: String,
        no_proxy: Vec<String>,
        /// The CAs of an https:// proxy's own certificate; `None`: the system's.
        cert: Option<FileRef>,
    },
}

/// The proxy a request to some URL goes through.
#[derive(Debug, Clone)]
pub struct Applied {
    pub url: Url,
    /// The suite's `no_proxy`, comma-separated; `None` for the environment's.
    pub no_proxy: Option<String>,
}

impl ProxySetting {
    /// The proxy of requests to `url`: the endpoint's `proxy`, or the environment's, unless the
    /// host is one to reach directly.
    pub fn applied(&self, url: &Url) -> Option<Applied> {
        let host = url.host_str().unwrap_or_default();
        match self {
            Self::None => None,
            Self::Via { url, no_proxy, .. } => {
                (!excluded(host, no_proxy.iter().map(String::as_str))).then(|| Applied {
                    url: url.clone(),
                    no_proxy: Some(no_proxy.join(",")),
                })
            }
            Self::Environment => {
                let names: &[&str] = if url.scheme() == "https" {
                    &["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"]
                } else {
                    &["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"]
                };
                let proxy = names
                    .iter()
                    .filter_map(|name| std::env::var(name).ok())
                    .find(|value| !value.trim().is_empty())
                    .and_then(|value| Url::parse(value.trim()).ok())?;
                let no_proxy = std::env::var("NO_PROXY")
                    .or_else(|_| std::env::var("no_proxy"))
                    .unwrap_or_default();
                (!excluded(host, no_proxy.split(','))).then_some(Applied {
                    url: proxy,
                    no_proxy: None,
                })
            }
        }
    }

    /// The CA file the suite gives for an https:// proxy.
    pub fn cert(&self) -> Option<&FileRef> {
        match self {
            Self::Via { cert, .. } => cert.as_ref(),
            _ => None,
        }
    }
}

/// Whether `host` is reached directly by a NO_PROXY-style list: a name, a ".suffix", or "*".
fn excluded<'a>(host: &str, list: impl IntoIterator<Item = &'a str>) -> bool {
    list.into_iter().map(str::trim).any(|entry| {
        let entry = entry.trim_start_matches('.');
        entry == "*"
            || (!entry.is_empty()
                && (host.eq_ignore_ascii_case(entry)
                    || host
                        .to_ascii_lowercase()
                        .ends_with(&format!(".{}", entry.to_ascii_lowercase()))))
    })
}

/// Where to connect instead of the URL's host and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectTo {
    pub host: String,
    pub port: u16,
}

impl ConnectTo {
    /// Parses "HOST:PORT" ("[::1]:8443" for IPv6).
    pub fn parse(text: &str) -> Option<Self> {
        let (host, port) = text.trim().rsplit_once(':')?;
        let host = host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(host);
        let port = port.parse().ok()?;
        (!host.is_empty() && !host.contains(['/', ' '])).then(|| Self {
            host: host.to_owned(),
            port,
        })
    }
}

/// `--connect-to HOST:PORT:ADDR:PORT`, as curl has it: requests for HOST:PORT go to ADDR:PORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectRule {
    pub host: String,
    pub port: u16,
    pub to: ConnectTo,
}

impl ConnectRule {
    pub fn parse(text: &str) -> Result<Self, String> {
        let usage = || {
            format!(
                "`{text}` is not HOST:PORT:ADDR:PORT; write for example --connect-to api.example.com:443:10.0.0.5:8443"
            )
        };
        let (host, rest) = split_host(text).ok_or_else(usage)?;
        let (port, to) = rest.split_once(':').ok_or_else(usage)?;
        Ok(Self {
            host: host.to_owned(),
            port: port.parse().map_err(|_| usage())?,
            to: ConnectTo::parse(to).ok_or_else(usage)?,
        })
    }
}

/// "HOST:rest", with "[v6]:rest" for an IPv6 host.
fn split_host(text: &str) -> Option<(&str, &str)> {
    if let Some(v6) = text.strip_prefix('[') {
        let (host, rest) = v6.split_once("]:")?;
        return Some((host, rest));
    }
    text.split_once(':')
}

/// A header to send.
#[derive(Debug, Clone)]
pub struct Header {
    pub name: HeaderName,
    pub value: Template,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpVersion {
    Http1,
    Http2,
    /// Negotiated with ALPN.
    Auto,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Redirects {
    None,
    /// runner follows them hop by hop.
    Follow {
        max: u32,
        /// An https:// URL may redirect to http://.
        to_http: bool,
        other_origins: OtherOrigins,
    },
}

/// What a redirect to another origin (scheme, host or port) gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtherOrigins {
    /// Nothing of the suite's: no headers it set, no Authorization, Cookie or Referer, no
    /// `server_name`, no client certificate.
    Strip,
    /// Everything, as to the endpoint itself.
    DangerKeep,
    /// The request fails there.
    Refuse,
}

/// `secure_socket` of an `https://` endpoint (spec §2.1).
#[derive(Debug)]
pub struct SecureSocket {
    pub trust: Trust,
    /// Also trust the operating system's roots (`system_roots = true`).
    pub system_roots: bool,
    pub identity: Option<Identity>,
    /// `enable = false`: the server's certificate is not verified.
    pub danger_accept_invalid_certs: bool,
    /// `verify_hostname = false`: the certificate is checked, but not the name it carries.
    pub danger_skip_hostname_check: bool,
    /// SNI and the name the certificate must carry; `None`: the URL's host.
    pub server_name: Option<ServerName<'static>>,
    /// Protocol versions to offer, never empty.
    pub versions: Vec<TlsVersion>,
    /// Cipher suites to offer; empty: the provider's defaults.
    pub ciphers: Vec<SupportedCipherSuite>,
    pub handshake_timeout: Option<Duration>,
    pub share_session: bool,
    pub session_timeout: Option<Duration>,
    /// `pin_sha256`: base64 SHA-256 SPKI hashes; empty: no pinning.
    pub pins: Vec<String>,
    pub revocation: Option<Revocation>,
    pub span: Span,
}

/// `revocation`: CRLs the server's chain is checked against.
#[derive(Debug, Clone)]
pub struct Revocation {
    pub crls: Vec<FileRef>,
    /// `scope = "end-entity"`: only the server's own certificate.
    pub end_entity_only: bool,
    /// `unknown = "allow"`: a certificate no CRL covers, or an OCSP "unknown", passes.
    pub allow_unknown: bool,
    pub stapling: Stapling,
    /// `fetch = true`: ask the OCSP responders and CRL distribution points the chain names.
    pub fetch: Option<Fetch>,
}

/// How fetched revocation answers are got and kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    pub cache_size: usize,
    pub cache_validity: Duration,
    pub timeout: Duration,
}

/// `ocsp_stapling`: what to do with an OCSP response the server staples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Stapling {
    /// Refuse a handshake without a good one.
    Require,
    /// Check it when there is one.
    #[default]
    IfPresent,
    Ignore,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum TlsVersion {
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub fn name(self) -> &'static str {
        match self {
            Self::Tls12 => "TLSv1.2",
            Self::Tls13 => "TLSv1.3",
        }
    }
}

/// A file named in the suite.
#[derive(Debug, Clone)]
pub struct FileRef {
    /// Resolved against the suite file's folder.
    pub path: PathBuf,
    /// As written in the suite (secrets as `***`), for messages.
    pub shown: String,
    pub span: Span,
}

/// Whom to trust.
#[derive(Debug)]
pub enum Trust {
    /// The operating system's store.
    System,
    /// PEM (or DER) files: CA bundles or server certificates.
    Files(Vec<FileRef>),
    /// A PKCS#12 truststore.
    Pkcs12 {
        file: FileRef,
        password: Option<Secret>,
    },
}

/// The client identity for mutual TLS.
#[derive(Debug)]
pub enum Identity {
    Pem {
        cert_file: FileRef,
        key_file: FileRef,
        key_password: Option<Secret>,
    },
    Pkcs12 {
        file: FileRef,
        password: Option<Secret>,
    },
}

/// One request, in file order.
#[derive(Debug)]
pub struct Request {
    pub name: String,
    /// Index into [`Suite::endpoints`].
    pub endpoint: usize,
    pub method: Method,
    pub path: Template,
    pub query: Vec<(String, Template)>,
    pub headers: Vec<Header>,
    // Boxed, as are retry, a file output and expectations: a request of a large suite is
    // mostly none of them, and 100,000 requests are held at once.
    pub body: Option<Box<Body>>,
    /// Replaces the endpoint's `timeout`: `Some(None)` is `timeout = "none"`.
    pub timeout: Option<Option<Duration>>,
    /// Answers are decoded (`decode`, default true).
    pub decode: bool,
    /// Replaces the endpoint's `max_body`.
    pub max_body: Option<u64>,
    pub retry: Option<Box<Retry>>,
    pub output: Output,
    /// `None`: no `[requests.expect]`, only the implicit status check ([`Request::expect`]).
    pub expectations: Option<Box<Expect>>,
    pub captures: Vec<Capture>,
    pub span: Span,
}

impl Request {
    /// Its expectations: those written, or none but the implicit status check.
    pub fn expect(&self) -> &Expect {
        static NONE: Expect = Expect {
            status: None,
            max_duration: None,
            headers: Vec::new(),
            json: Vec::new(),
            cookies: Vec::new(),
            body: None,
            certificate: None,
        };
        self.expectations.as_deref().unwrap_or(&NONE)
    }

    /// Its URL as written, before it is sent: on `endpoint` (secrets as `***`), captures not
    /// filled in.
    pub fn url_written(&self, endpoint: Option<&Endpoint>) -> String {
        let base = endpoint.map_or("", |e| e.url_shown.as_str());
        format!("{base}{}", self.path.shown())
    }

    /// Every template of the request: path, query, headers and body.
    pub fn templates(&self) -> Vec<&Template> {
        let mut templates = vec![&self.path];
        templates.extend(self.query.iter().map(|(_, v)| v));
        templates.extend(self.headers.iter().map(|h| &h.value));
        match self.body.as_deref() {
            Some(Body::Text(text)) => templates.push(text),
            Some(Body::Json(value)) => templates.extend(value.templates()),
            Some(Body::Form(fields)) => templates.extend(fields.iter().map(|(_, v)| v)),
            Some(Body::Multipart(parts)) => {
                templates.extend(parts.iter().filter_map(|(_, p)| match p {
                    Part::Text(text) => Some(text),
                    Part::File { .. } => None,
                }))
            }
            Some(Body::File(_)) | None => {}
        }
        templates
    }
}

/// A request body.
#[derive(Debug)]
pub enum Body {
    Text(Template),
    Json(Value),
    Form(Vec<(String, Template)>),
    File(FileRef),
    Multipart(Vec<(String, Part)>),
}

/// One field of a multipart body.
#[derive(Debug)]
pub enum Part {
    Text(Template),
    File {
        file: FileRef,
        content_type: String,
        filename: String,
    },
}

/// A JSON value whose strings may hold variables.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Integer(i64),
    Float(f64),
    String(Template),
    Array(Vec<Value>),
    Object(IndexMap<String, Value>),
}

impl Value {
    /// Its strings' templates, in order.
    pub fn templates(&self) -> Vec<&Template> {
        match self {
            Self::String(template) => vec![template],
            Self::Array(items) => items.iter().flat_map(Self::templates).collect(),
            Self::Object(fields) => fields.values().flat_map(Self::templates).collect(),
            Self::Bool(_) | Self::Integer(_) | Self::Float(_) => Vec::new(),
        }
    }

    /// The JSON value, captures filled in. The error names a capture that has no value.
    pub fn render(
        &self,
        captures: &super::template::Captures,
    ) -> Result<serde_json::Value, String> {
        Ok(match self {
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Integer(n) => serde_json::Value::from(*n),
            Self::Float(n) => serde_json::Number::from_f64(*n)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Self::String(template) => serde_json::Value::String(template.render(captures)?.value),
            Self::Array(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(|i| i.render(captures))
                    .collect::<Result<_, _>>()?,
            ),
            Self::Object(fields) => serde_json::Value::Object(
                fields
                    .iter()
                    .map(|(k, v)| v.render(captures).map(|v| (k.clone(), v)))
                    .collect::<Result<_, _>>()?,
            ),
        })
    }
}

/// Retries of a request.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Further attempts after the first.
    pub count: u32,
    pub interval: Duration,
    pub backoff_factor: f64,
    pub max_interval: Option<Duration>,
    pub on_status: Vec<u16>,
    pub until_expect: bool,
}

/// Where the response body goes.
#[derive(Debug)]
pub enum Output {
    Stdout,
    Discard,
    File(Box<FileRef>),
}

/// Expectations on a response.
#[derive(Debug, Default)]
pub struct Expect {
    /// Any of these; `None`: any status below 400.
    pub status: Option<(Vec<StatusPattern>, Span)>,
    pub max_duration: Option<(Duration, Span)>,
    pub headers: Vec<(HeaderName, Matcher)>,
    pub json: Vec<(JsonQuery, Matcher)>,
    /// Cookies the response sets, by name.
    pub cookies: Vec<(String, Matcher)>,
    pub body: Option<Matcher>,
    pub certificate: Option<Box<CertificateExpect>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusPattern {
    Code(u16),
    /// 2 for "2xx".
    Class(u16),
}

/// A compiled JSONPath and its text.
#[derive(Debug)]
pub struct JsonQuery {
    pub text: String,
    pub path: JsonPath,
}

/// An expected value: all of its operators must hold.
#[derive(Debug)]
pub struct Matcher {
    pub ops: Vec<Op>,
    pub span: Span,
}

#[derive(Debug)]
pub enum Op {
    Equals(Value),
    Contains(Value),
    Matches(Regex),
    Exists(bool),
    Gt(f64),
    Ge(f64),
    Lt(f64),
    Le(f64),
    Length(u64),
    OneOf(Vec<Value>),
}

/// Expectations on the server's leaf certificate.
#[derive(Debug)]
pub struct CertificateExpect {
    pub valid_for_at_least: Option<Duration>,
    pub subject: Option<Matcher>,
    pub issuer: Option<Matcher>,
    pub san: Option<Matcher>,
    pub serial: Option<Matcher>,
    pub sha256: Option<Matcher>,
    pub spki_sha256: Option<Matcher>,
    pub ocsp: Option<Matcher>,
    pub span: Span,
}

/// A value taken from a response.
#[derive(Debug)]
pub struct Capture {
    pub name: String,
    pub from: CaptureFrom,
    pub secret: bool,
    pub span: Span,
}

#[derive(Debug)]
pub enum CaptureFrom {
    Json(JsonQuery),
    Header(HeaderName),
    /// A cookie the response sets, by name.
    Cookie(String),
}
