//! The executor: runs a suite's requests in order, with retries; streams their bodies where
//! they go; checks expectations; keeps captures for the requests that follow; logs a line per
//! request and explains what failed.

mod capture;
mod expect;
pub mod explain;
mod receive;
mod send;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tracing::{debug, info, warn};

use crate::client::EndpointClient;
use crate::config::diagnostic::Source;
use crate::config::duration;
use crate::config::suite::{Endpoint, Request, Retry};
use crate::config::template::{Captured, Captures};
use crate::load::Loaded;
use crate::report::payload::{OutputMode, Redactor};
use crate::report::{Body, CertificateReport, RequestReport, TlsReport};
use crate::tls::TlsClient;
use crate::tls::inspect::{CertInfo, format_time};
use crate::tls::observe::Handshake;

/// How a run goes and is shown.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub output: OutputMode,
    /// `--only`: run just these requests (all when empty).
    pub only: Vec<String>,
    /// `--fail-fast`: stop at the first request that does not pass.
    pub fail_fast: bool,
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

/// Runs the requests of a suite, in order. `stop` is shared by a run's suites for
/// `--fail-fast`.
pub async fn run_suite(
    loaded: &Loaded,
    clients: &[EndpointClient],
    settings: &Settings,
    stdout: &mut (dyn Write + Send),
    stop: &AtomicBool,
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
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if !settings.only.is_empty() && !settings.only.contains(&request.name) {
            continue;
        }
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
            source: &loaded.suite.source,
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
        crate::report::progress::tick();
        if settings.fail_fast && done.verdict != Verdict::Passed {
            stop.store(true, Ordering::Relaxed);
        }
        finished.push(done);
    }
    let _ = stdout.flush();
    finished
}

/// Where a request goes, and the suite it comes from.
struct Target<'a> {
    endpoint: &'a Endpoint,
    client: &'a EndpointClient,
    tls: Option<&'a TlsClient>,
    source: &'a Source,
}

/// One attempt at a request.
struct Attempt {
    report: RequestReport,
    verdict: Verdict,
    /// Why it failed, explained, when it could not complete.
    failure: Option<String>,
    /// It failed before an answer arrived (connection, TLS, timeout): worth another try.
    transient: bool,
    captured: Vec<(String, Captured)>,
}

impl Attempt {
    /// Why another attempt is due, if it is.
    fn retry_reason(&self, retry: &Retry) -> Option<String> {
        if self.transient {
            return Some("it could not complete".to_owned());
        }
        match self.report.status {
            Some(status) if retry.on_status.contains(&status) => Some(format!("status {status}")),
            _ if retry.until_expect && self.verdict == Verdict::Failed => {
                let first = self.report.expectations.iter().find(|c| !c.passed);
                Some(first.map_or_else(
                    || "its expectations do not hold yet".to_owned(),
                    |c| format!("{} expected {}, got {}", c.what, c.expected, c.actual),
                ))
            }
            _ => None,
        }
    }
}

async fn run_request(
    target: &Target<'_>,
    request: &Request,
    captures: &mut Captures,
    redactor: &mut Redactor,
    settings: &Settings,
    stdout: &mut (dyn Write + Send),
) -> Finished {
    // Whatever secret the request sends may come back in an echo: it is hidden there too.
    let endpoint_headers = target.endpoint.headers.iter().map(|h| &h.value);
    for template in endpoint_headers.chain(request.templates()) {
        for secret in template.secrets(captures) {
            redactor.add(secret);
        }
    }
    let retry = request.retry.clone().unwrap_or(Retry {
        count: 0,
        interval: Duration::ZERO,
        backoff_factor: 1.0,
        max_interval: None,
        on_status: Vec::new(),
        until_expect: false,
    });
    let mut wait = retry.interval;
    let mut number = 1;
    loop {
        // With retries ahead, an attempt's payload waits until it is known to be the last.
        let mut held = Vec::new();
        let out: &mut (dyn Write + Send) = if retry.count > 0 {
            &mut held
        } else {
            &mut *stdout
        };
        let mut attempt = attempt(target, request, captures, redactor, settings, out).await;
        let reason = attempt.retry_reason(&retry);
        if let (Some(reason), true) = (&reason, number <= retry.count) {
            info!(
                request = %request.name,
                attempt = number,
                reason = %reason,
                wait_ms = wait.as_millis() as u64,
                "{}: attempt {number} of {}: {reason}; next in {}",
                request.name,
                retry.count + 1,
                duration::show(wait)
            );
            tokio::time::sleep(wait).await;
            let next = wait.mul_f64(retry.backoff_factor);
            wait = retry.max_interval.map_or(next, |max| next.min(max));
            number += 1;
            continue;
        }
        let _ = stdout.write_all(&held);
        attempt.report.attempts = number;
        for (name, captured) in attempt.captured.drain(..) {
            if captured.secret {
                redactor.add(&captured.value);
            }
            captures.insert(name, captured);
        }
        crate::report::log_finished(&attempt.report, attempt.failure.as_deref());
        return Finished {
            report: attempt.report,
            verdict: attempt.verdict,
        };
    }
}

async fn attempt(
    target: &Target<'_>,
    request: &Request,
    captures: &Captures,
    redactor: &Redactor,
    settings: &Settings,
    stdout: &mut (dyn Write + Send),
) -> Attempt {
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
                "`{{{{{name}}}}}` has no value: the request that captures it failed or did not run"
            );
            return failed(report, Verdict::Failed, message, false);
        }
        Err(send::PrepareError::Invalid(message)) => {
            return failed(report, Verdict::Broken, message, false);
        }
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
    let handshakes_before = target.tls.map_or(0, |tls| tls.handshakes.number());
    let started = Instant::now();
    let response = match prepared.builder.send().await {
        Ok(response) => response,
        Err(error) => {
            report.duration_ms = millis(started.elapsed());
            let failure = explain::failure(&error, target.endpoint, target.tls, handshakes_before);
            return failed(report, Verdict::Broken, failure.render(), true);
        }
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    report.status = Some(status);
    report.headers = headers
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                redactor.redact(&String::from_utf8_lossy(value.as_bytes())),
            )
        })
        .collect();
    // The handshake of the connection the answer came on, read once for this response.
    let handshake = target.tls.map(|tls| tls.handshakes.last());
    let leaf = handshake
        .as_ref()
        .map(|handshake| tls_report(handshake, &response));
    let (tls_report, leaf) = leaf.map_or((None, None), |(r, l)| (Some(r), l));
    report.tls = tls_report;
    for (name, value) in &report.headers {
        debug!(request = %request.name, header = %name, value = %value, "  < {name}: {value}");
    }
    for cert in report.tls.iter().flat_map(|t| &t.server_certificate) {
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
    // A 400 after a client-certificate request may be nginx refusing the certificate: its page
    // tells, so the body is kept.
    let keep = status == 400 && handshake.as_ref().is_some_and(|h| h.client_cert_requested);
    let received =
        receive::receive(response, request, settings.output, stdout, redactor, keep).await;
    let elapsed = started.elapsed();
    report.duration_ms = millis(elapsed);
    let received = match received {
        Ok(received) => received,
        Err(message) => return failed(report, Verdict::Broken, message, true),
    };
    let facts = expect::Facts {
        status,
        headers: &headers,
        body: received.kept.as_deref(),
        duration: elapsed,
        leaf: leaf.as_ref(),
    };
    report.expectations = expect::evaluate(request, &facts, captures, target.source);
    let (captured, capture_failures) =
        capture::take(request, &headers, received.kept.as_deref(), target.source);
    report.expectations.extend(capture_failures);
    // The secrets this request captured are hidden in its own output too.
    let mut redactor = redactor.clone();
    for (_, value) in captured.iter().filter(|(_, c)| c.secret) {
        redactor.add(&value.value);
    }
    for check in &mut report.expectations {
        check.expected = redactor.redact(&check.expected);
        check.actual = redactor.redact(&check.actual);
    }
    report.body = match receive::present(&received, request, stdout, &redactor) {
        Ok(body) => body,
        Err(message) => return failed(report, Verdict::Broken, message, false),
    };
    if report.expectations.iter().all(|c| c.passed) {
        return Attempt {
            report,
            verdict: Verdict::Passed,
            failure: None,
            transient: false,
            captured,
        };
    }
    if let Some(failure) = explain::refused_client_certificate(
        status,
        received.kept.as_deref(),
        target.tls.zip(handshake.as_ref()),
    ) {
        return failed(report, Verdict::Broken, failure.render(), false);
    }
    Attempt {
        report,
        verdict: Verdict::Failed,
        failure: None,
        transient: false,
        captured: Vec::new(),
    }
}

fn failed(
    mut report: RequestReport,
    verdict: Verdict,
    message: String,
    transient: bool,
) -> Attempt {
    report.error = Some(message.clone());
    Attempt {
        report,
        verdict,
        failure: Some(message),
        transient,
        captured: Vec::new(),
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// The TLS session a response came over, and the server's leaf certificate.
fn tls_report(
    handshake: &Handshake,
    response: &reqwest::Response,
) -> (TlsReport, Option<CertInfo>) {
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
    let chain: Vec<CertInfo> = if handshake.presented.is_empty() {
        info.and_then(reqwest::tls::TlsInfo::peer_certificate)
            .and_then(|der| CertInfo::from_der(der).ok())
            .into_iter()
            .collect()
    } else {
        handshake
            .presented
            .iter()
            .filter_map(|der| CertInfo::from_der(der).ok())
            .collect()
    };
    let leaf = chain.first().cloned();
    let report = TlsReport {
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
        server_certificate: chain
            .into_iter()
            .map(|c| CertificateReport {
                subject: c.subject,
                issuer: c.issuer,
                not_after: format_time(c.not_after),
            })
            .collect(),
    };
    (report, leaf)
}
