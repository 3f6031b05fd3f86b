//! The executor: runs a suite's requests in order, streams their bodies where they go, checks
//! their status, logs a line per request and explains what failed.

pub mod explain;
mod receive;
mod send;

use std::io::Write;
use std::time::{Duration, Instant};

use tracing::{debug, error, info, warn};

use crate::client::EndpointClient;
use crate::config::suite::{Endpoint, Request, StatusPattern};
use crate::config::template::Captures;
use crate::load::Loaded;
use crate::report::payload::{OutputMode, Redactor};
use crate::report::{Body, CertificateReport, ExpectationReport, RequestReport, TlsReport};
use crate::tls::TlsClient;
use crate::tls::inspect::{CertInfo, format_time};

/// How a run is shown.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub output: OutputMode,
}

/// How a request ended, from best to worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Passed,
    /// An expectation failed (exit 1).
    Failed,
    /// It could not complete: connection, TLS, timeout (exit 3).
    Broken,
}

/// A request's report and verdict.
#[derive(Debug)]
pub struct Finished {
    pub report: RequestReport,
    pub verdict: Verdict,
}

/// Runs every request of a suite, in order.
pub async fn run_suite(
    loaded: &Loaded,
    clients: &[EndpointClient],
    settings: Settings,
    stdout: &mut (dyn Write + Send),
) -> Vec<Finished> {
    for (endpoint, tls) in loaded.suite.endpoints.iter().zip(&loaded.tls) {
        if tls.as_ref().is_some_and(|t| t.danger_accept_invalid_certs) {
            warn!(
                endpoint = %endpoint.name,
                "endpoint {}: enable = false: the server's certificate is NOT verified; anyone in the middle can read and change this traffic",
                endpoint.name
            );
        }
    }
    let mut captures = Captures::new();
    let mut redactor = Redactor::default();
    let mut finished = Vec::new();
    for request in &loaded.suite.requests {
        let (Some(endpoint), Some(client), Some(tls)) = (
            loaded.suite.endpoints.get(request.endpoint),
            clients.get(request.endpoint),
            loaded.tls.get(request.endpoint),
        ) else {
            // The loader resolved every request's endpoint to an index into these lists.
            continue;
        };
        let target = Target {
            endpoint,
            client,
            tls: tls.as_ref(),
        };
        let done = run_request(
            &target,
            request,
            &mut captures,
            &mut redactor,
            settings,
            stdout,
        )
        .await;
        finished.push(done);
    }
    let _ = stdout.flush();
    finished
}

/// Where a request goes.
struct Target<'a> {
    endpoint: &'a Endpoint,
    client: &'a EndpointClient,
    tls: Option<&'a TlsClient>,
}

async fn run_request(
    target: &Target<'_>,
    request: &Request,
    captures: &mut Captures,
    redactor: &mut Redactor,
    settings: Settings,
    stdout: &mut (dyn Write + Send),
) -> Finished {
    for header in target.endpoint.headers.iter().chain(&request.headers) {
        for secret in header.value.secrets(captures) {
            redactor.add(secret);
        }
    }
    for secret in request.path.secrets(captures) {
        redactor.add(secret);
    }
    let mut report = RequestReport {
        name: request.name.clone(),
        endpoint: target.endpoint.name.clone(),
        method: request.method.to_string(),
        url: format!("{}{}", target.endpoint.url_shown, request.path.shown()),
        status: None,
        headers: Vec::new(),
        body: Body::None,
        duration_ms: 0,
        attempts: 1,
        tls: None,
        expectations: Vec::new(),
        error: None,
    };
    let prepared = match send::prepare(target.client, request, captures).await {
        Ok(prepared) => prepared,
        Err(send::PrepareError::MissingCapture(name)) => {
            let message = format!(
                "`{{{{{name}}}}}` has no value: the request that captures it did not capture it"
            );
            return broken(report, message);
        }
        Err(send::PrepareError::Invalid(message)) => return broken(report, message),
    };
    report.url = prepared.url_shown.clone();
    // The endpoint's headers (resolved when the suite loaded), unless the request replaces them.
    let endpoint_headers = target
        .endpoint
        .headers
        .iter()
        .filter(|h| !request.headers.iter().any(|r| r.name == h.name))
        .map(|h| (h.name.to_string(), h.value.shown()));
    for (name, value) in endpoint_headers.chain(prepared.headers_shown.iter().cloned()) {
        debug!(request = %request.name, header = %name, value = %value, "  > {name}: {value}");
    }
    let handshakes_before = target.tls.map_or(0, |tls| tls.handshakes.last().number);
    let started = Instant::now();
    let response = match prepared.builder.send().await {
        Ok(response) => response,
        Err(error) => {
            report.duration_ms = millis(started.elapsed());
            let failure = explain::failure(&error, target.endpoint, target.tls, handshakes_before);
            error!(
                request = %report.name,
                method = %report.method,
                url = %report.url,
                error = %failure.summary,
                "{}: {} {}: {}",
                report.name,
                report.method,
                report.url,
                failure.render()
            );
            report.error = Some(failure.render());
            return Finished {
                report,
                verdict: Verdict::Broken,
            };
        }
    };
    let status = response.status();
    report.status = Some(status.as_u16());
    report.headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                redactor.redact(&String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    report.tls = target.tls.map(|tls| tls_report(tls, &response));
    for (name, value) in &report.headers {
        debug!(request = %request.name, header = %name, value = %value, "  < {name}: {value}");
    }
    if let Some(tls) = &report.tls {
        for cert in &tls.server_certificate {
            debug!(
                request = %request.name,
                subject = %cert.subject,
                issuer = %cert.issuer,
                not_after = %cert.not_after,
                "  server certificate: {}, issued by {}, valid until {}",
                cert.subject,
                cert.issuer,
                cert.not_after
            );
        }
    }
    let received = receive::receive(response, request, settings.output, stdout, redactor).await;
    report.duration_ms = millis(started.elapsed());
    let received = match received {
        Ok(received) => received,
        Err(message) => return broken(report, message),
    };
    report.body = received.body;

    let status_check = check_status(request, status.as_u16());
    let passed = status_check.passed;
    report.expectations.push(status_check);
    let tls_words = report.tls.as_ref().map_or_else(String::new, |tls| {
        format!(
            ", {}, {}",
            tls.version.as_deref().unwrap_or("TLS"),
            if tls.client_certificate {
                "client certificate presented"
            } else {
                "no client certificate"
            }
        )
    });
    info!(
        request = %report.name,
        method = %report.method,
        url = %report.url,
        status = status.as_u16(),
        duration_ms = report.duration_ms,
        tls_version = report.tls.as_ref().and_then(|t| t.version.as_deref()).unwrap_or(""),
        client_certificate = report.tls.as_ref().is_some_and(|t| t.client_certificate),
        bytes = received.bytes,
        "{}: {} {} -> {status} in {} ms{tls_words}",
        report.name,
        report.method,
        report.url,
        report.duration_ms
    );
    if passed {
        return Finished {
            report,
            verdict: Verdict::Passed,
        };
    }
    if let Some(failure) = explain::missing_client_certificate(status.as_u16(), target.tls) {
        error!(request = %report.name, error = %failure.summary, "{}: {}", report.name, failure.render());
        report.error = Some(failure.render());
        return Finished {
            report,
            verdict: Verdict::Broken,
        };
    }
    for check in report.expectations.iter().filter(|c| !c.passed) {
        error!(
            request = %report.name,
            expectation = %check.what,
            location = %check.location,
            expected = %check.expected,
            actual = %check.actual,
            "{}: {} expected {}, got {} ({})",
            report.name,
            check.what,
            check.expected,
            check.actual,
            check.location
        );
    }
    Finished {
        report,
        verdict: Verdict::Failed,
    }
}

fn broken(mut report: RequestReport, message: String) -> Finished {
    error!(request = %report.name, error = %message, "{}: {message}", report.name);
    report.error = Some(message);
    Finished {
        report,
        verdict: Verdict::Broken,
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// The status expectation: the listed codes or classes, or below 400 when none is given.
fn check_status(request: &Request, status: u16) -> ExpectationReport {
    let (passed, expected, location) = match &request.expect.status {
        None => (status < 400, "a status below 400".to_owned(), String::new()),
        Some((patterns, _span)) => {
            let passed = patterns.iter().any(|p| match p {
                StatusPattern::Code(code) => *code == status,
                StatusPattern::Class(class) => status / 100 == *class,
            });
            let shown: Vec<String> = patterns
                .iter()
                .map(|p| match p {
                    StatusPattern::Code(code) => code.to_string(),
                    StatusPattern::Class(class) => format!("{class}xx"),
                })
                .collect();
            (passed, shown.join(" or "), String::new())
        }
    };
    ExpectationReport {
        what: "status".to_owned(),
        location,
        passed,
        expected,
        actual: status.to_string(),
    }
}

fn tls_report(tls: &TlsClient, response: &reqwest::Response) -> TlsReport {
    let info = response.extensions().get::<reqwest::tls::TlsInfo>();
    let version = info.and_then(reqwest::tls::TlsInfo::version).map(|v| {
        if v == reqwest::tls::Version::TLS_1_3 {
            "TLSv1.3"
        } else if v == reqwest::tls::Version::TLS_1_2 {
            "TLSv1.2"
        } else {
            "TLS"
        }
        .to_owned()
    });
    let handshake = tls.handshakes.last();
    let server_certificate = if handshake.presented.is_empty() {
        info.and_then(reqwest::tls::TlsInfo::peer_certificate)
            .and_then(|der| CertInfo::from_der(der).ok())
            .into_iter()
            .collect()
    } else {
        handshake
            .presented
            .iter()
            .filter_map(|der| CertInfo::from_der(der).ok())
            .collect::<Vec<_>>()
    };
    TlsReport {
        version,
        alpn: Some(
            if response.version() == http::Version::HTTP_2 {
                "h2"
            } else {
                "http/1.1"
            }
            .to_owned(),
        ),
        client_certificate: handshake.client_cert_sent,
        server_certificate: server_certificate
            .into_iter()
            .map(|c| CertificateReport {
                subject: c.subject,
                issuer: c.issuer,
                not_after: format_time(c.not_after),
            })
            .collect(),
    }
}
