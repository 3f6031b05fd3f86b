//! The HTTP clients: one reqwest client per endpoint, built once when the suite loads from the
//! TLS builder's `ClientConfig`, with the endpoint's timeouts, redirects, default headers and
//! HTTP version. Connections and TLS sessions are reused across the endpoint's requests.

use std::net::SocketAddr;

use std::time::Duration;

use http::header::{HOST, HeaderMap, HeaderValue, USER_AGENT};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use rustls::pki_types::ServerName;
use url::Url;

use crate::config::suite::{Endpoint, HttpVersion, Redirects};
use crate::tls::TlsClient;

/// How long opening a TCP connection may take when the suite does not say.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a TLS handshake may take when the suite does not say.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// An endpoint's HTTP client.
#[derive(Debug)]
pub struct EndpointClient {
    pub http: reqwest::Client,
    /// Where requests go. With a DNS `server_name`, its host is that name (SNI and the verified
    /// name); the connection still goes to the endpoint URL's host, and Host names it.
    pub base: Url,
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

/// Builds the client of one endpoint.
pub fn build(endpoint: &Endpoint, tls: Option<&TlsClient>) -> Result<EndpointClient, ClientError> {
    let fail = |reason: String| ClientError {
        endpoint: endpoint.name.clone(),
        reason,
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        USER_AGENT,
        HeaderValue::from_static(concat!("runner/", env!("CARGO_PKG_VERSION"))),
    );
    for header in &endpoint.headers {
        // Endpoint headers cannot use captures: the loader resolved them completely.
        let Some(value) = header.value.resolved() else {
            continue;
        };
        let mut value = HeaderValue::from_str(&value.value).map_err(|e| fail(e.to_string()))?;
        value.set_sensitive(header.value.is_secret());
        headers.insert(header.name.clone(), value);
    }

    let mut builder = reqwest::Client::builder().redirect(match endpoint.redirects {
        Redirects::None => reqwest::redirect::Policy::none(),
        Redirects::Follow { max } => {
            reqwest::redirect::Policy::limited(usize::try_from(max).unwrap_or(usize::MAX))
        }
    });
    let connect = endpoint.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT);
    let mut base = endpoint.url.clone();
    if let Some(tls) = tls {
        // reqwest times the TCP connection and the TLS handshake as one step: it gets both
        // budgets.
        let handshake = tls.handshake_timeout.unwrap_or(DEFAULT_HANDSHAKE_TIMEOUT);
        builder = builder
            .tls_backend_preconfigured((*tls.config).clone())
            .tls_info(true)
            .connect_timeout(connect + handshake);
        if let Some(ServerName::DnsName(name)) = &tls.server_name {
            let real_host = endpoint.url.host_str().unwrap_or_default().to_owned();
            let port = endpoint.url.port_or_known_default().unwrap_or(443);
            if !name.as_ref().eq_ignore_ascii_case(&real_host) {
                let host_header = match endpoint.url.port() {
                    Some(port) => format!("{real_host}:{port}"),
                    None => real_host.clone(),
                };
                headers.insert(
                    HOST,
                    HeaderValue::from_str(&host_header).map_err(|e| fail(e.to_string()))?,
                );
                base.set_host(Some(name.as_ref()))
                    .map_err(|e| fail(e.to_string()))?;
                builder = builder.dns_resolver(ServerNameResolver {
                    server_name: name.as_ref().to_owned(),
                    real_host,
                    port,
                });
            }
        }
    } else {
        builder = builder.connect_timeout(connect);
    }
    builder = match (endpoint.http_version, tls.is_some()) {
        (HttpVersion::Http1, _) => builder.http1_only(),
        // Over TLS, ALPN offers only h2; in clear text there is nothing to negotiate with.
        (HttpVersion::Http2, false) => builder.http2_prior_knowledge(),
        _ => builder,
    };
    if let Some(timeout) = endpoint.timeout {
        builder = builder.timeout(timeout);
    }
    let http = builder
        .default_headers(headers)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    Ok(EndpointClient { http, base })
}

/// Resolves `server_name` to the addresses of the URL's real host, so the connection goes where
/// the URL says while TLS speaks to `server_name`.
#[derive(Debug)]
struct ServerNameResolver {
    server_name: String,
    real_host: String,
    port: u16,
}

impl Resolve for ServerNameResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = if name.as_str().eq_ignore_ascii_case(&self.server_name) {
            self.real_host.clone()
        } else {
            name.as_str().to_owned()
        };
        let port = self.port;
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect();
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// The clients of a suite's endpoints, in endpoint order.
pub fn build_all(
    endpoints: &[Endpoint],
    tls: &[Option<TlsClient>],
) -> Result<Vec<EndpointClient>, ClientError> {
    endpoints
        .iter()
        .zip(tls)
        .map(|(endpoint, tls)| build(endpoint, tls.as_ref()))
        .collect()
}
