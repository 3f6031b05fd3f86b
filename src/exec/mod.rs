//! The executor: runs a suite's requests in order, with retries; checks expectations; keeps
//! captures for the requests that follow; explains what failed. It returns each request's
//! outcome and tells what happens as [`Event`]s to a [`Listener`]: it never writes to stdout, a
//! log or a progress bar itself.

mod answer;
pub mod body;
mod capture;
pub mod event;
mod expect;
pub mod explain;
pub mod outcome;
mod receive;
mod redirect;
mod send;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::client::{EndpointClient, Through};
use crate::config::suite::{Endpoint, OtherOrigins, Redirects, Request, Retry};
use crate::config::template::{Captured, Captures};
use crate::diagnostic::Source;
use crate::load::Loaded;
use crate::secret::Redactor;
use crate::tls::TlsClient;
use crate::tls::inspect::CertInfo;
use crate::tls::observe::Handshake;

pub use body::BodyKind;
pub use event::{Destination, Event, Listener, Unwritable};
pub use outcome::{
    Body, ExpectationReport, Finished, RequestReport, ServerChain, TlsReport, Verdict,
};

/// `--output`: what goes to stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputMode {
    /// Response bodies: JSON pretty-printed, text as it is.
    #[default]
    Pretty,
    /// One JSON object per request: file, name, status, headers, body, timing, TLS,
    /// expectations.
    Json,
    /// Nothing on stdout.
    None,
}

/// How a run goes.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub output: OutputMode,
    /// The logs show what each request exchanged (`-v`): the headers and bodies sent and
    /// received are worked out for them. Without it, nothing per request is spent on that.
    pub exchange_shown: bool,
    /// A report file (`--report`) or `--output json` shows each request in full: the
    /// response's headers are kept for it. Without them or `-v`, they are not copied.
    pub reported: bool,
    /// `--only`: run just these requests (all when empty).
    pub only: Vec<String>,
    /// `--fail-fast`: stop at the first request that does not pass.
    pub fail_fast: bool,
}

impl Settings {
    /// Whether `--only` lets a request run.
    pub fn runs(&self, request: &Request) -> bool {
        self.only.is_empty() || self.only.contains(&request.name)
    }
}

/// What weakens an endpoint's security, said once per run of its file.
fn warnings(loaded: &Loaded) -> Vec<String> {
    let mut warnings = loaded.suite.warnings.clone();
    for tls in loaded.tls.iter().flatten() {
        for warning in &tls.trust.warnings {
            if !warnings.contains(warning) {
                warnings.push(warning.clone());
            }
        }
    }
    for endpoint in &loaded.suite.endpoints {
        let name = &endpoint.name;
        if let Some(socket) = &endpoint.tls {
            if socket.danger_accept_invalid_certs {
                warnings.push(format!(
                    "endpoint {name}: enable = false: the server's certificate is NOT verified; anyone in the middle can read and change this traffic"
                ));
            } else if socket.danger_skip_hostname_check {
                warnings.push(format!(
                    "endpoint {name}: verify_hostname = false: the server's certificate is not checked against the host name; any certificate of a trusted CA is accepted"
                ));
            }
        }
        if let Redirects::Follow {
            to_http,
            other_origins,
            ..
        } = endpoint.redirects
        {
            if to_http {
                warnings.push(format!(
                    "endpoint {name}: follow_redirects.to_http = true: a redirect to http:// is followed, and the request goes out in clear text"
                ));
            }
            if other_origins == OtherOrigins::DangerKeep {
                warnings.push(format!(
                    "endpoint {name}: follow_redirects.other_origins = \"keep\": a redirect to another host gets the suite's headers, credentials and client certificate"
                ));
            }
        }
    }
    warnings
}

/// Runs the requests of a suite, in order, telling `listener` what happens (each request's
/// report goes to it with `RequestFinished`), and returns the verdicts of the requests that ran.
/// `stop` is shared by a run's suites: `--fail-fast`, a closed stdout or an interruption sets
/// it, and no further request is sent.
pub async fn run_suite(
    loaded: &Loaded,
    clients: &[EndpointClient],
    settings: &Settings,
    listener: &mut dyn Listener,
    stop: &AtomicBool,
) -> Vec<Verdict> {
    let path = loaded.suite.source.path.clone();
    let mut verdicts = Vec::new();
    if listener
        .event(Event::FileStarted {
            path,
            warnings: warnings(loaded),
        })
        .is_err()
    {
        stop.store(true, Ordering::Relaxed);
        return verdicts;
    }
    let mut captures = Captures::new();
    let mut redactor = Redactor::default();
    for request in &loaded.suite.requests {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if !settings.runs(request) {
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
        fault::panic_at(&request.name);
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
            listener,
        )
        .await;
        let mut verdict = done.verdict;
        if settings.fail_fast && verdict != Verdict::Passed {
            stop.store(true, Ordering::Relaxed);
        }
        // The listener keeps the report; the verdict stays here.
        if listener
            .event(Event::RequestFinished(Box::new(done)))
            .is_err()
        {
            verdict = Verdict::Unwritten;
        }
        verdicts.push(verdict);
        if verdict == Verdict::Unwritten {
            stop.store(true, Ordering::Relaxed);
            return verdicts;
        }
    }
    if listener.event(Event::FileFinished).is_err() {
        stop.store(true, Ordering::Relaxed);
    }
    verdicts
}

/// A way for the tests to make a suite's task panic, as a bug would: debug builds only.
mod fault {
    /// Panics when `RUNNER_FAULT_PANIC` names this request (debug builds only).
    pub fn panic_at(request: &str) {
        #[cfg(debug_assertions)]
        if std::env::var("RUNNER_FAULT_PANIC").is_ok_and(|name| name == request) {
            panic!("RUNNER_FAULT_PANIC at request {request}");
        }
        #[cfg(not(debug_assertions))]
        let _ = request;
    }
}

/// What a redirect's hop needs to be sent as the request was.
struct Hop<'a> {
    target: &'a Target<'a>,
    request: &'a Request,
    captures: &'a Captures,
    redactor: &'a Redactor,
}

/// Where a request goes, and the suite it comes from.
struct Target<'a> {
    endpoint: &'a Endpoint,
    client: &'a EndpointClient,
    tls: Option<&'a TlsClient>,
    source: &'a std::sync::Arc<Source>,
}

/// One attempt at a request.
struct Attempt {
    report: RequestReport,
    verdict: Verdict,
    /// It failed before an answer arrived (connection, TLS, timeout): worth another try.
    transient: bool,
    captured: Vec<(String, Captured)>,
}

impl Attempt {
    /// Why another attempt is due, if it is: the cause in a few words.
    fn retry_reason(&self, retry: &Retry) -> Option<String> {
        if self.transient {
            let error = self
                .report
                .error
                .as_deref()
                .unwrap_or("it could not complete");
            return Some(error.lines().next().unwrap_or(error).to_owned());
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

/// The wait after `wait`: times `factor`, at most `cap`. Whatever the numbers, no overflow.
fn next_wait(wait: Duration, factor: f64, cap: Duration) -> Duration {
    Duration::try_from_secs_f64(wait.as_secs_f64() * factor)
        .unwrap_or(cap)
        .min(cap)
}

static NO_RETRY: Retry = Retry {
    count: 0,
    interval: Duration::ZERO,
    backoff_factor: 1.0,
    max_interval: None,
    on_status: Vec::new(),
    until_expect: false,
};

async fn run_request(
    target: &Target<'_>,
    request: &Request,
    captures: &mut Captures,
    redactor: &mut Redactor,
    settings: &Settings,
    listener: &mut dyn Listener,
) -> Finished {
    // Whatever secret the request sends may come back in an echo: it is hidden there too.
    let endpoint_headers = target.endpoint.headers.iter().map(|h| &h.value);
    for template in endpoint_headers.chain(request.templates()) {
        for secret in template.secrets(captures) {
            redactor.add(secret);
        }
    }
    let url = &target.endpoint.url;
    for secret in &target.endpoint.url_secrets {
        redactor.add(secret.expose());
    }
    // A password in the URL goes out as Basic credentials: base64 of `user:password`.
    if !target.endpoint.url_secrets.is_empty()
        && let Some(password) = url.password()
    {
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        };
        redactor.add_basic(&decode(url.username()), &decode(password));
    }
    let retry = request.retry.as_deref().unwrap_or(&NO_RETRY);
    let started = Instant::now();
    // `max_interval` caps every wait, the first one too; nothing exceeds a day.
    let cap = retry.max_interval.unwrap_or(crate::config::duration::MAX);
    let mut wait = retry.interval.min(cap);
    let mut number: u32 = 1;
    loop {
        let may_retry = number <= retry.count;
        let mut attempt = attempt(
            target, request, captures, redactor, settings, listener, number, may_retry,
        )
        .await;
        let reason = attempt.retry_reason(retry);
        if let (Some(reason), true) = (reason, may_retry) {
            let scheduled = Event::RetryScheduled {
                request: request.name.clone(),
                attempt: number,
                attempts: retry.count.saturating_add(1),
                reason,
                wait,
            };
            if let Err(unwritable) = listener.event(scheduled) {
                attempt = unwritten(attempt.report, unwritable);
            } else {
                tokio::time::sleep(wait).await;
                wait = next_wait(wait, retry.backoff_factor, cap);
                number = number.saturating_add(1);
                continue;
            }
        }
        attempt.report.attempts = number;
        attempt.report.total_ms = millis(started.elapsed());
        for (name, captured) in attempt.captured.drain(..) {
            if captured.secret {
                redactor.add(&captured.value);
            }
            captures.insert(name, captured);
        }
        return Finished {
            report: attempt.report,
            verdict: attempt.verdict,
        };
    }
}

#[allow(
    clippy::too_many_arguments,
    reason = "one attempt needs the request, where it goes, what is known and who listens"
)]
async fn attempt(
    target: &Target<'_>,
    request: &Request,
    captures: &Captures,
    redactor: &Redactor,
    settings: &Settings,
    listener: &mut dyn Listener,
    number: u32,
    may_retry: bool,
) -> Attempt {
    let mut report = RequestReport {
        file: target.source.path.display().to_string(),
        name: request.name.clone(),
        endpoint: target.endpoint.name.clone(),
        method: request.method.to_string(),
        url: String::new(),
        status: None,
        headers: Vec::new(),
        body: Body::None,
        duration_ms: 0,
        total_ms: 0,
        attempts: number,
        tls: None,
        expectations: Vec::new(),
        error: None,
        proxy: target.client.proxy.clone(),
        redirects: Vec::new(),
        sent_body: None,
        hints: Vec::new(),
    };
    let shown = settings.exchange_shown;
    let mut prepared =
        match send::prepare(target.client, target.endpoint, request, captures, shown).await {
            Ok(prepared) => prepared,
            Err(error) => {
                // The URL as written: the one joined is not known.
                report.url = request.url_written(Some(target.endpoint));
                return not_prepared(report, error, redactor);
            }
        };
    report.url = std::mem::take(&mut prepared.url_shown);
    // The cookies the jar sends with this request, as `-v` shows them (secrets hidden).
    let from_jar = target
        .client
        .add_cookies(&mut prepared.request, Through::Own);
    let cookies = prepared
        .request
        .headers()
        .get(http::header::COOKIE)
        .filter(|_| shown && from_jar)
        .and_then(|v| {
            v.to_str()
                .ok()
                .map(|v| ("cookie".to_owned(), redactor.redact(v)))
        });
    let started_event = Event::AttemptStarted {
        request: request.name.clone(),
        attempt: number,
        may_retry,
        method: report.method.clone(),
        url: report.url.clone(),
        // Whatever was built in may still hold a secret: every value is scanned.
        headers: prepared
            .headers_shown
            .iter()
            .map(|(name, value)| (name.clone(), redactor.redact(value)))
            .chain(cookies)
            .collect(),
    };
    // Hidden with what is known now; again at the end, with what this request captures.
    report.sent_body = prepared.body_shown.map(|b| redactor.redacted(b));
    if let Err(unwritable) = listener.event(started_event) {
        return unwritten(report, unwritable);
    }
    let handshakes_before = target.tls.map_or(0, |tls| tls.handshakes.number());
    let started = Instant::now();
    let limits = |started: Instant| explain::Limits {
        whole: request.timeout.unwrap_or(target.endpoint.timeout),
        gap: target.endpoint.read_timeout,
        elapsed: started.elapsed(),
        proxy: target.client.proxy.clone(),
        proxy_trust: target.client.proxy_trust.clone(),
    };
    let client = if request.decode {
        &target.client.http
    } else {
        target.client.raw.get().unwrap_or(&target.client.http)
    };
    let sent = target.client.execute(client, prepared.request).await;
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            report.duration_ms = millis(started.elapsed());
            let failure = explain::failure(
                &error,
                target.endpoint,
                target.tls,
                handshakes_before,
                &limits(started),
            );
            // A library's words may quote the URL sent: what it says is scanned like an echo.
            return failed(
                report,
                Verdict::Broken,
                redactor.redact(&failure.render()),
                true,
            );
        }
    };
    let hop = Hop {
        target,
        request,
        captures,
        redactor,
    };
    let response = match redirect::follow(&hop, response, prepared.logical, &mut report, listener)
        .await
    {
        Ok(response) => response,
        Err(redirect::HopError::Broken(message, transient)) => {
            report.duration_ms = millis(started.elapsed());
            return failed(
                report,
                Verdict::Broken,
                redactor.redact(&message),
                transient,
            );
        }
        Err(redirect::HopError::Unwritable(unwritable)) => return unwritten(report, unwritable),
    };
    // Plain HTTP at the end of a redirect has no TLS to report.
    let over_tls = response.url().scheme() == "https";
    if over_tls
        && target.endpoint.http_version == crate::config::suite::HttpVersion::Http2
        && response.version() != http::Version::HTTP_2
    {
        let fallback = Event::Warning {
            request: request.name.clone(),
            message: format!(
                "http_version = \"2\", but the server chose no protocol in ALPN: {:?} was used",
                response.version()
            ),
        };
        if let Err(unwritable) = listener.event(fallback) {
            return unwritten(report, unwritable);
        }
    }
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // A secret this request captures from a header is hidden in its own headers too.
    let own_secrets = capture::secret_header_values(request, &headers);
    let redactor = &*redactor.with(own_secrets.iter().map(String::as_str));
    report.status = Some(status);
    if shown || settings.reported {
        report.headers = headers
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    redactor.redact(&String::from_utf8_lossy(value.as_bytes())),
                )
            })
            .collect();
    }
    // The handshake of the connection the answer came on, read once for this response.
    let handshake = target
        .tls
        .filter(|_| over_tls)
        .map(|tls| tls.handshakes.last());
    let leaf = handshake
        .as_ref()
        .zip(target.tls)
        .map(|(handshake, tls)| tls_report(handshake, tls.handshakes.chain(handshake), &response));
    let (tls_report, chain) = leaf.map_or((None, None), |(r, c)| (Some(r), Some(c)));
    let leaf = chain.as_deref().and_then(<[CertInfo]>::first);
    report.tls = tls_report;
    let answer = Event::Answer {
        request: request.name.clone(),
        status,
        headers: if shown {
            report.headers.clone()
        } else {
            Vec::new()
        },
        certificates: report
            .tls
            .as_ref()
            .filter(|_| shown)
            .map(|t| t.server_certificate.clone())
            .unwrap_or_default(),
    };
    if let Err(unwritable) = listener.event(answer) {
        return unwritten(report, unwritable);
    }
    // A 400 after a client-certificate request may be nginx refusing the certificate: its page
    // tells, so the body is kept.
    let keep = status == 400 && handshake.as_ref().is_some_and(|h| h.client_cert_requested);
    let max_body = request.max_body.unwrap_or(target.endpoint.max_body);
    let received = receive::receive(
        response,
        request,
        settings.output,
        listener,
        redactor,
        keep,
        max_body,
    )
    .await;
    let elapsed = started.elapsed();
    report.duration_ms = millis(elapsed);
    let received = match received {
        Ok(received) => received,
        Err(receive::ReceiveError::Network {
            error,
            received,
            announced,
        }) => {
            let failure =
                explain::body_failure(&error, received, announced, &limits(started), over_tls);
            return failed(
                report,
                Verdict::Broken,
                redactor.redact(&failure.render()),
                true,
            );
        }
        Err(receive::ReceiveError::Unwritable(unwritable)) => {
            return unwritten(report, unwritable);
        }
    };
    let facts = expect::Facts {
        status,
        headers: &headers,
        body: received.kept.as_deref(),
        too_large: received.too_large,
        duration: elapsed,
        leaf,
        ocsp: handshake.as_ref().map(|h| h.ocsp.word()),
    };
    report.expectations = expect::evaluate(request, &facts, captures, target.source);
    let (captured, capture_failures) = capture::take(
        request,
        &headers,
        received.kept.as_deref(),
        received.too_large,
        target.source,
    );
    report.expectations.extend(capture_failures);
    // The secrets this request captured are hidden in its own output too.
    let secrets = captured.iter().filter(|(_, c)| c.secret);
    let redactor = &*redactor.with(secrets.map(|(_, c)| c.value.as_str()));
    for check in &mut report.expectations {
        check.expected = redactor.redacted(std::mem::take(&mut check.expected));
        check.actual = redactor.redacted(std::mem::take(&mut check.actual));
    }
    report.sent_body = report.sent_body.take().map(|b| redactor.redacted(b));
    report.body = receive::present(&received, request, redactor);
    if report.expectations.iter().all(|c| c.passed) {
        return Attempt {
            report,
            verdict: Verdict::Passed,
            transient: false,
            captured,
        };
    }
    let tls_and_handshake = target.tls.zip(handshake.as_ref());
    if let Some(failure) =
        explain::refused_client_certificate(status, received.kept.as_deref(), tls_and_handshake)
    {
        return failed(report, Verdict::Broken, failure.render(), false);
    }
    report
        .hints
        .extend(explain::hint_for_status(status, tls_and_handshake));
    Attempt {
        report,
        verdict: Verdict::Failed,
        transient: false,
        captured: Vec::new(),
    }
}

/// The attempt's results could not be written: it ends here, and is not tried again.
fn unwritten(report: RequestReport, unwritable: Unwritable) -> Attempt {
    failed(report, Verdict::Unwritten, unwritable.0, false)
}

/// The attempt of a request that could not be built.
fn not_prepared(report: RequestReport, error: send::PrepareError, redactor: &Redactor) -> Attempt {
    match error {
        send::PrepareError::MissingCapture(name) => {
            let message = format!(
                "`{{{{{name}}}}}` has no value: the request that captures it failed or did not run"
            );
            failed(report, Verdict::Failed, message, false)
        }
        send::PrepareError::Invalid(message) => {
            failed(report, Verdict::Broken, redactor.redact(&message), false)
        }
    }
}

fn failed(
    mut report: RequestReport,
    verdict: Verdict,
    message: String,
    transient: bool,
) -> Attempt {
    report.error = Some(message);
    Attempt {
        report,
        verdict,
        transient,
        captured: Vec::new(),
    }
}

fn millis(elapsed: Duration) -> u64 {
    u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX)
}

/// The TLS session a response came over, and the server's chain (read once per handshake, shared
/// by the requests of its connection).
fn tls_report(
    handshake: &Handshake,
    chain: std::sync::Arc<[CertInfo]>,
    response: &reqwest::Response,
) -> (TlsReport, std::sync::Arc<[CertInfo]>) {
    let info = response.extensions().get::<reqwest::tls::TlsInfo>();
    let version = info
        .and_then(reqwest::tls::TlsInfo::version)
        .map(|v| {
            if v == reqwest::tls::Version::TLS_1_3 {
                "TLSv1.3"
            } else if v == reqwest::tls::Version::TLS_1_2 {
                "TLSv1.2"
            } else {
                "TLS"
            }
        })
        // Through a proxy's tunnel the client reports nothing: the handshake record tells.
        .or(handshake.version);
    let chain: std::sync::Arc<[CertInfo]> = if chain.is_empty() {
        info.and_then(reqwest::tls::TlsInfo::peer_certificate)
            .and_then(|der| CertInfo::from_der(der).ok())
            .into_iter()
            .collect()
    } else {
        chain
    };
    let report = TlsReport {
        version,
        alpn: Some(if response.version() == http::Version::HTTP_2 {
            "h2"
        } else {
            "http/1.1"
        }),
        client_certificate: handshake.client_cert_sent,
        server_certificate: ServerChain(chain.clone()),
    };
    (report, chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn waits_never_overflow(wait in any::<u64>(), nanos in 0u32..1_000_000_000, factor in any::<f64>(), cap in any::<u64>()) {
            let cap = Duration::from_secs(cap);
            let next = next_wait(Duration::new(wait, nanos), factor, cap);
            prop_assert!(next <= cap);
        }
    }
}
