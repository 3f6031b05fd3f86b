//! The HTTP clients: one reqwest client per endpoint, built once when the suite loads from the
//! TLS builder's `ClientConfig`, with the endpoint's timeouts, default headers and HTTP version.
//! Connections and TLS sessions are reused across the endpoint's requests. The clients never
//! follow redirects: the executor does, hop by hop, and a hop to another origin goes through
//! the endpoint's `foreign` client, which carries nothing of the suite's.

pub mod cookies;
pub mod phases;

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Duration;

use http::header::{COOKIE, HOST, HeaderMap, HeaderValue, SET_COOKIE, USER_AGENT};
use rustls::pki_types::ServerName;
use url::Url;

pub use crate::config::suite::{ConnectRule, ConnectTo};
use crate::config::suite::{Endpoint, HttpVersion, ProxySetting, Redirects};
use crate::resolve::Resolver;
use crate::tls::{ProxyTrust, TlsClient};
pub use cookies::Jar;

/// How long opening a TCP connection may take when the suite does not say.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TLS handshake may take when the suite does not say.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An endpoint's HTTP client. `Debug` leaves the URL out: it may hold a password.
pub struct EndpointClient {
    pub http: reqwest::Client,
    /// Where requests go. With a DNS `server_name`, its host is that name (SNI and the verified
    /// name); the connection still goes to the endpoint URL's host, and Host names it.
    pub base: Url,
    /// For redirects to another origin: the same trust, no client certificate, no headers of
    /// the suite, no `server_name`. Built at the first such redirect.
    pub foreign: LazyClient,
    /// The suite file's cookie jar, unless `cookies = false`.
    pub jar: Option<Arc<Jar>>,
    /// The endpoint's headers name a Cookie: its own clients send that one, not the jar's.
    cookie_in_defaults: bool,
    /// The headers the client adds to every request, as they may be shown (secrets `***`).
    pub defaults_shown: Vec<(String, String)>,
    /// The proxy the endpoint's requests go through ("host:port"), if any.
    pub proxy: Option<String>,
    /// The trust of that proxy, when it is an https:// one.
    pub proxy_trust: Option<Arc<ProxyTrust>>,
    /// For `decode = false`: the same client, keeping compressed answers as they come. Built at
    /// the first such request.
    pub raw: LazyClient,
}

/// Whom a client sends through.
#[derive(Debug, Clone)]
enum Route {
    Direct,
    Via(Url, Option<String>),
    /// reqwest's own reading of the environment (for the other-origins client, whose hosts are
    /// not known in advance).
    Environment,
}

/// The proxy of the endpoint's own requests: its `proxy`, or the environment's, unless its host
/// is one to reach directly.
fn route(endpoint: &Endpoint) -> Route {
    match endpoint.proxy.applied(&endpoint.url) {
        Some(proxy) => Route::Via(proxy.url, proxy.no_proxy),
        None => Route::Direct,
    }
}

/// A client builder sending through `route`.
fn routed(builder: reqwest::ClientBuilder, route: &Route) -> reqwest::ClientBuilder {
    match route {
        Route::Environment => builder,
        Route::Direct => builder.no_proxy(),
        // The loader checked the URL, so reqwest takes it.
        Route::Via(url, no_proxy) => match reqwest::Proxy::all(url.as_str()) {
            Ok(proxy) => builder
                .no_proxy()
                .proxy(proxy.no_proxy(no_proxy.as_deref().and_then(reqwest::NoProxy::from_string))),
            Err(_) => builder.no_proxy(),
        },
    }
}

/// "host:port" of a proxy, without its credentials.
fn proxy_shown(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or_default(),
        url.port_or_known_default().unwrap_or_default()
    )
}

/// A client built the first time it is needed: most runs never follow a redirect elsewhere
/// (building that client for an `http://` endpoint reads the system's trust store) nor ask for
/// `decode = false`.
pub struct LazyClient {
    pending: Mutex<Option<reqwest::ClientBuilder>>,
    built: OnceLock<Option<reqwest::Client>>,
}

impl std::fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient")
            .field("built", &self.built.get().is_some())
            .finish()
    }
}

impl LazyClient {
    fn new(builder: Option<reqwest::ClientBuilder>) -> Self {
        Self {
            pending: Mutex::new(builder),
            built: OnceLock::new(),
        }
    }

    /// The client, built now if it was not yet; `None` when the endpoint follows no redirects
    /// (or it could not be built).
    pub fn get(&self) -> Option<&reqwest::Client> {
        self.built
            .get_or_init(|| {
                let builder = self
                    .pending
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take();
                builder.and_then(|b| b.build().ok())
            })
            .as_ref()
    }
}

/// Which of an endpoint's clients a request goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Through {
    /// The endpoint's own (`http` or `raw`), whose defaults hold the endpoint's headers.
    Own,
    /// The one for other origins, which holds none of them.
    Foreign,
}

impl EndpointClient {
    /// Puts the jar's cookies for the request's URL in its Cookie header, unless the request or
    /// the client's defaults name one of their own; says whether it did.
    pub fn add_cookies(&self, request: &mut reqwest::Request, through: Through) -> bool {
        let Some(jar) = self.jar.as_deref() else {
            return false;
        };
        let named = request.headers().contains_key(COOKIE)
            || (through == Through::Own && self.cookie_in_defaults);
        if named {
            return false;
        }
        let Some(cookies) = jar.cookies(request.url()) else {
            return false;
        };
        request.headers_mut().insert(COOKIE, cookies);
        true
    }

    /// Sends `request` through `client`, one of this endpoint's, and keeps the answer's
    /// `Set-Cookie` in the jar for the URL sent (what reqwest's cookie layer did). The request's
    /// cookies are put in before, by `add_cookies`, so that what is shown is what is sent.
    pub async fn execute(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(jar) = self.jar.as_deref() else {
            return client.execute(request).await;
        };
        let response = client.execute(request).await?;
        let mut set = response.headers().get_all(SET_COOKIE).iter().peekable();
        if set.peek().is_some() {
            // A reqwest response's URL is the one requested: it follows no redirects.
            jar.set_cookies(set, response.url());
        }
        Ok(response)
    }
}

impl std::fmt::Debug for EndpointClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointClient").finish_non_exhaustive()
    }
}

/// The User-Agent runner sends.
const AGENT: &str = concat!("runner/", env!("CARGO_PKG_VERSION"));

/// What every client of an endpoint shares: no redirects followed, the timeouts, the HTTP
/// version, TLS from `config`.
/// What the endpoint's own clients speak: its TLS, or nothing for `http://`.
fn own_speaks<'a>(tls: Option<&'a TlsClient>, proxy: Option<&'a Arc<ProxyTrust>>) -> Speaks<'a> {
    tls.map_or(Speaks::Nothing(proxy), |t| {
        Speaks::Endpoint(t, t.config.as_ref())
    })
}

/// The TLS a client speaks.
#[derive(Debug, Clone, Copy)]
enum Speaks<'a> {
    /// The endpoint's (or its other-origins) configuration.
    Endpoint(&'a TlsClient, &'a rustls::ClientConfig),
    /// None to the server: an `http://` endpoint's own client, which trusts nothing but its
    /// https:// proxy, if it has one (no trust store is read for the server).
    Nothing(Option<&'a Arc<ProxyTrust>>),
    /// reqwest's own, with the platform's trust: an `http://` endpoint's client for other
    /// origins, which may lead to https://.
    Platform,
}

fn common(endpoint: &Endpoint, speaks: Speaks<'_>, route: &Route) -> reqwest::ClientBuilder {
    let tls = match speaks {
        Speaks::Endpoint(tls, config) => Some((tls, config)),
        Speaks::Nothing(_) | Speaks::Platform => None,
    };
    let mut builder = routed(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(Resolver::default()),
        route,
    );
    // The TCP connection and the TLS handshake are timed as two phases, each with its limit.
    builder = builder.connector_layer(phases::Phases {
        connect: endpoint.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT),
        handshake: tls
            .and_then(|(t, _)| t.handshake_timeout)
            .unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT),
        handshakes: tls.map(|(t, _)| Arc::clone(&t.handshakes)),
    });
    // A body whose next chunk does not come in time: the gap is bounded too.
    if let Some(gap) = endpoint.read_timeout {
        builder = builder.read_timeout(gap);
    }
    builder = match speaks {
        Speaks::Endpoint(_, config) => builder
            .tls_backend_preconfigured(config.clone())
            .tls_info(true),
        // An `http://` endpoint's own client never speaks TLS (a hop to https:// is another
        // origin): it gets a configuration that trusts nothing, so no trust store is read.
        Speaks::Nothing(proxy) => match crate::tls::no_tls_config(proxy) {
            Some(config) => builder.tls_backend_preconfigured(config),
            None => builder,
        },
        Speaks::Platform => builder.tls_info(true),
    };
    builder = match (endpoint.http_version, speaks) {
        (HttpVersion::Http1, _) => builder.http1_only(),
        // Over TLS, ALPN offers only h2; in clear text there is nothing to negotiate with.
        (HttpVersion::Http2, Speaks::Nothing(_)) => builder.http2_prior_knowledge(),
        _ => builder,
    };
    if !endpoint.compressed {
        builder = builder.no_gzip().no_brotli().no_deflate().no_zstd();
    }
    // The whole-request `timeout` is set on each request: a request may replace it.
    builder
}

/// Why a client could not be built.
#[derive(Debug)]
pub struct ClientError {
    pub endpoint: String,
    pub reason: String,
}

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot set up endpoint `{}`: {}",
            self.endpoint, self.reason
        )
    }
}

/// Builds the client of one endpoint; `connect_to` (from `--connect-to`) wins over the
/// endpoint's own.
pub fn build(
    endpoint: &Endpoint,
    tls: Option<&TlsClient>,
    proxy_trust: Option<&Arc<ProxyTrust>>,
    connect_to: Option<&ConnectTo>,
    jar: &Arc<Jar>,
) -> Result<EndpointClient, ClientError> {
    let jar = endpoint.cookies.then(|| Arc::clone(jar));
    let fail = |reason: String| ClientError {
        endpoint: endpoint.name.clone(),
        reason,
    };
    let mut headers = HeaderMap::new();
    headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
    // What reqwest adds to every request, as it adds it.
    let mut defaults_shown = vec![("accept".to_owned(), "*/*".to_owned())];
    if endpoint.compressed {
        defaults_shown.push((
            "accept-encoding".to_owned(),
            "zstd,gzip,deflate,br".to_owned(),
        ));
    }
    defaults_shown.push(("user-agent".to_owned(), AGENT.to_owned()));
    for header in &endpoint.headers {
        defaults_shown.push((header.name.to_string(), header.value.shown()));
        // Endpoint headers cannot use captures: the loader resolved them completely.
        let Some(value) = header.value.resolved() else {
            continue;
        };
        let mut value = HeaderValue::from_str(&value.value).map_err(|e| fail(e.to_string()))?;
        value.set_sensitive(header.value.is_secret());
        headers.insert(header.name.clone(), value);
    }

    let own_route = route(endpoint);
    let proxy = match &own_route {
        Route::Via(url, _) => Some(proxy_shown(url)),
        _ => None,
    };
    let builder = common(endpoint, own_speaks(tls, proxy_trust), &own_route);
    let mut resolver = None;
    let mut base = endpoint.url.clone();
    let real_host = endpoint.url.host_str().unwrap_or_default().to_owned();
    let real_port = endpoint.url.port_or_known_default().unwrap_or(443);
    // The name TLS speaks to: `server_name`, else the URL's host.
    let name = match tls.and_then(|t| t.server_name.as_ref()) {
        Some(ServerName::DnsName(name)) if !name.as_ref().eq_ignore_ascii_case(&real_host) => {
            Some(name.as_ref().to_owned())
        }
        _ => None,
    };
    let connect_to = connect_to.or(endpoint.connect_to.as_ref());
    if name.is_some() || connect_to.is_some() {
        // The URL sent names the TLS name and the port connected to; Host stays the URL's,
        // and the resolver sends the name where the connection must go.
        let host_header = match endpoint.url.port() {
            Some(port) => format!("{real_host}:{port}"),
            None => real_host.clone(),
        };
        headers.insert(
            HOST,
            HeaderValue::from_str(&host_header).map_err(|e| fail(e.to_string()))?,
        );
        defaults_shown.push(("host".to_owned(), host_header.clone()));
        if let Some(name) = &name {
            base.set_host(Some(name)).map_err(|e| fail(e.to_string()))?;
        }
        let (target_host, target_port) = match connect_to {
            Some(to) => (to.host.clone(), to.port),
            None => (real_host.clone(), real_port),
        };
        if target_port != real_port {
            base.set_port(Some(target_port))
                .map_err(|()| fail("the URL cannot take a port".to_owned()))?;
        }
        resolver = Some(Resolver::redirecting(
            base.host_str().unwrap_or_default().to_owned(),
            target_host,
            target_port,
        ));
    }
    // The endpoint's own clients share everything but the decoding of answers.
    let own = |mut builder: reqwest::ClientBuilder, headers: HeaderMap| {
        if let Some(resolver) = &resolver {
            builder = builder.dns_resolver(resolver.clone());
        }
        builder.default_headers(headers)
    };
    // `decode = false`: compression is still asked for, and the answer kept as it comes.
    let mut raw_headers = headers.clone();
    if endpoint.compressed {
        raw_headers.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_static("zstd,gzip,deflate,br"),
        );
    }
    let raw = LazyClient::new(Some(own(
        common(endpoint, own_speaks(tls, proxy_trust), &own_route)
            .no_gzip()
            .no_brotli()
            .no_deflate()
            .no_zstd(),
        raw_headers,
    )));
    let cookie_in_defaults = headers.contains_key(COOKIE);
    let http = own(builder, headers)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let foreign = LazyClient::new(match endpoint.redirects {
        Redirects::Follow { .. } => {
            let mut headers = HeaderMap::new();
            headers.insert(USER_AGENT, HeaderValue::from_static(AGENT));
            Some(foreign_builder(endpoint, tls).default_headers(headers))
        }
        Redirects::None => None,
    });
    Ok(EndpointClient {
        http,
        base,
        foreign,
        jar,
        cookie_in_defaults,
        defaults_shown,
        proxy,
        proxy_trust: proxy_trust.cloned(),
        raw,
    })
}

/// The client for other origins: the endpoint's trust without its identity; for an `http://`
/// endpoint, the system's trust (a redirect may lead to https://).
fn foreign_builder(endpoint: &Endpoint, tls: Option<&TlsClient>) -> reqwest::ClientBuilder {
    // Other hosts: the endpoint's own proxy, or the environment read host by host.
    let route = match &endpoint.proxy {
        ProxySetting::Environment => Route::Environment,
        ProxySetting::None => Route::Direct,
        ProxySetting::Via { url, no_proxy, .. } => {
            Route::Via(url.clone(), Some(no_proxy.join(",")))
        }
    };
    let speaks = match tls {
        Some(tls) => Speaks::Endpoint(tls, tls.foreign_config.as_ref()),
        None => Speaks::Platform,
    };
    common(endpoint, speaks, &route)
}

/// The clients of a suite's endpoints, in endpoint order.
/// `overrides` are `--connect-to` rules: the first that matches an endpoint's host and port.
pub fn build_all(
    endpoints: &[Endpoint],
    tls: &[Option<TlsClient>],
    proxies: &[Option<Arc<ProxyTrust>>],
    overrides: &[ConnectRule],
) -> Result<Vec<EndpointClient>, ClientError> {
    // One jar for the file: a login on one endpoint counts on another of the same host.
    let jar = Arc::new(Jar::default());
    endpoints
        .iter()
        .zip(tls)
        .zip(proxies)
        .map(|((endpoint, tls), proxy)| {
            let host = endpoint.url.host_str().unwrap_or_default();
            let port = endpoint.url.port_or_known_default().unwrap_or_default();
            let rule = overrides
                .iter()
                .find(|r| r.host.eq_ignore_ascii_case(host) && r.port == port);
            build(
                endpoint,
                tls.as_ref(),
                proxy.as_ref(),
                rule.map(|r| &r.to),
                &jar,
            )
        })
        .collect()
}
