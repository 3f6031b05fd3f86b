//! Redirects, followed by runner itself, hop by hop (the HTTP client follows none): counted
//! against `max`, never from https:// down to http:// unless `to_http`, and to another origin
//! (scheme, host or port) with nothing of the suite's unless `other_origins = "keep"`.

use http::Method;
use http::header::LOCATION;
use url::Url;

use super::event::{Event, Listener, Unwritable};
use super::outcome::RequestReport;
use super::{Hop, send};
use crate::client::Through;
use crate::config::suite::{OtherOrigins, Redirects};

/// Why following a redirect ended the request.
#[derive(Debug)]
pub enum HopError {
    /// The request could not complete: the message, and whether another attempt may do.
    Broken(String, bool),
    Unwritable(Unwritable),
}

impl HopError {
    /// A redirect the policy does not follow: what happened, its details, and the setting to change.
    fn refused(what: &str, details: &[String], help: &str) -> Self {
        Self::Broken(
            crate::diagnostic::message_lines(what, details, Some(help)),
            false,
        )
    }
}

/// The method and whether the body goes again, after a redirect with this status: 303 (and
/// 301/302 after a POST, as browsers and curl do) become GET without a body; 307 and 308 keep
/// both.
fn next_method(status: u16, method: &Method) -> (Method, bool) {
    match status {
        307 | 308 => (method.clone(), true),
        303 if *method != Method::HEAD => (Method::GET, false),
        301 | 302 if *method == Method::POST => (Method::GET, false),
        _ => (method.clone(), false),
    }
}

/// Follows `response`'s redirects, as the endpoint's policy says, and returns the last answer.
/// `logical` is the URL the response answered, as the suite names it.
pub async fn follow(
    hop: &Hop<'_>,
    mut response: reqwest::Response,
    mut logical: Url,
    report: &mut RequestReport,
    listener: &mut dyn Listener,
) -> Result<reqwest::Response, HopError> {
    let endpoint = hop.target.endpoint;
    let Redirects::Follow {
        max,
        to_http,
        other_origins,
    } = endpoint.redirects
    else {
        return Ok(response);
    };
    let mut method = hop.request.method.clone();
    let mut with_body = true;
    let mut hops = 0u32;
    loop {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (true, Some(location)) = (response.status().is_redirection(), location) else {
            return Ok(response);
        };
        let next = logical.join(&location).map_err(|e| {
            HopError::Broken(
                format!(
                    "the server redirected to `{}`, which is not a URL: {e}",
                    hop.redactor.redact(&location)
                ),
                false,
            )
        })?;
        let shown = hop.redactor.redact(next.as_str());
        hops += 1;
        if hops > max {
            return Err(HopError::refused(
                &format!("too many redirects: more than {max}"),
                &[format!("the last one was to {shown}")],
                "raise `follow_redirects = { max = N }`, or look at where the server sends you",
            ));
        }
        if logical.scheme() == "https" && next.scheme() == "http" && !to_http {
            return Err(HopError::refused(
                &format!(
                    "the server redirected to {shown}; runner does not downgrade from https:// to http://"
                ),
                &[],
                "if clear text is really wanted there, set `follow_redirects = { to_http = true }`",
            ));
        }
        let same_origin = next.origin() == endpoint.url.origin();
        let own = (&hop.target.client.http, Through::Own);
        let foreign = || {
            let foreign = hop.target.client.foreign.get();
            foreign.map_or(own, |client| (client, Through::Foreign))
        };
        // Another scheme needs the other client even when everything is kept: the endpoint's
        // own client speaks only its scheme.
        let scheme_changes = next.scheme() != endpoint.url.scheme();
        let ((http, through), suite_headers) = match (same_origin, other_origins) {
            (true, _) => (own, true),
            (false, OtherOrigins::DangerKeep) if scheme_changes => (foreign(), true),
            (false, OtherOrigins::DangerKeep) => (own, true),
            (false, OtherOrigins::Refuse) => {
                return Err(HopError::refused(
                    &format!(
                        "the server redirected to another origin, {shown}, and `other_origins = \"refuse\"`"
                    ),
                    &[],
                    "set `other_origins = \"strip\"` to follow it without the suite's headers and identity",
                ));
            }
            (false, OtherOrigins::Strip) => (foreign(), false),
        };
        let mut sent = next.clone();
        // To the endpoint's own origin, the name and port sent stay those of the first hop
        // (`server_name`, `connect_to`).
        if same_origin {
            let base = &hop.target.client.base;
            let _ = sent.set_host(base.host_str());
            let _ = sent.set_port(base.port());
        }
        let (next_method, keeps_body) = next_method(status, &method);
        with_body &= keeps_body;
        method = next_method;
        listener
            .event(Event::Redirected {
                request: hop.request.name.clone(),
                status,
                to: shown.clone(),
                stripped: !suite_headers,
            })
            .map_err(HopError::Unwritable)?;
        report.redirects.push(shown.clone());
        report.url = shown.clone();
        report.method = method.to_string();
        let next_hop = send::NextHop {
            method: method.clone(),
            url: sent,
            suite_headers,
            body: with_body,
            limit: hop.request.timeout.unwrap_or(endpoint.timeout),
        };
        let builder = send::prepare_hop(http, next_hop, hop.request, hop.captures)
            .await
            .map_err(|e| match e {
                send::PrepareError::MissingCapture(name) => {
                    HopError::Broken(format!("`{{{{{name}}}}}` has no value"), false)
                }
                send::PrepareError::Invalid(message) => HopError::Broken(message, false),
            })?;
        let sent_at = std::time::Instant::now();
        let sent = match builder.build() {
            Ok(mut request) => {
                hop.target.client.add_cookies(&mut request, through);
                hop.target.client.execute(http, request).await
            }
            Err(error) => Err(error),
        };
        response = sent.map_err(|error| {
            let limits = super::explain::Limits {
                whole: hop.request.timeout.unwrap_or(endpoint.timeout),
                gap: endpoint.read_timeout,
                elapsed: sent_at.elapsed(),
                proxy: None,
                proxy_trust: None,
            };
            let failure = super::explain::failure(&error, endpoint, hop.target.tls, 0, &limits);
            HopError::Broken(
                format!("after a redirect to {shown}: {}", failure.render()),
                true,
            )
        })?;
        logical = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_change_as_browsers_change_them() {
        assert_eq!(next_method(303, &Method::POST), (Method::GET, false));
        assert_eq!(next_method(302, &Method::POST), (Method::GET, false));
        assert_eq!(next_method(302, &Method::PUT), (Method::PUT, false));
        assert_eq!(next_method(307, &Method::POST), (Method::POST, true));
        assert_eq!(next_method(308, &Method::PUT), (Method::PUT, true));
        assert_eq!(next_method(303, &Method::HEAD), (Method::HEAD, false));
    }
}
