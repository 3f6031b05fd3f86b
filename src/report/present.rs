//! The presenter: turns one suite file's events, in order, into payloads on stdout and log lines
//! on stderr, and keeps every request's outcome for the summary and the report files. The
//! sequencer hands it the files one after the other.

use std::io::{IsTerminal, Write};

use tracing::{debug, error, info, trace, warn};

use super::lines;
use super::payload;
use super::results::{FileResult, Planned};
use crate::exec::{BodyKind, Destination, Event, Finished, OutputMode, Unwritable, Verdict};
use crate::words::io_reason;

/// Where the body of the request at hand goes, and what was written of it.
#[derive(Debug, Default)]
struct BodyState {
    to_stdout: bool,
    kind: Option<BodyKind>,
    whole: bool,
    /// Its attempt may be followed by another: its payload waits here until it is the last.
    may_retry: bool,
    held: Vec<u8>,
    bytes: u64,
}

/// Payloads and log lines of a run, and its results.
#[derive(Debug)]
pub struct Presenter {
    mode: OutputMode,
    stdout: std::io::Stdout,
    stdout_is_terminal: bool,
    /// Why stdout cannot be written, once a write failed: nothing more is tried.
    closed: Option<String>,
    /// The file whose events come now.
    file: usize,
    body: BodyState,
    /// The `-v` lines of the request at hand, shown under its headline when it finishes.
    verbose: Vec<Verbose>,
    /// Where in them the body sent goes (after the headers sent).
    sent_at: usize,
    /// `-v` lines are shown (debug level on): read once, the logs are set up before.
    verbose_on: bool,
    pub results: Vec<FileResult>,
    /// The files' names as logs show them, in the order of `results`.
    file_names: Vec<std::sync::Arc<str>>,
    /// A report file will be written: every request's report is kept whole.
    keep_reports: bool,
}

/// A `-v` line (`-vv` for a detail); a header keeps its name and value for JSON logs.
#[derive(Debug)]
struct Verbose {
    text: String,
    detail: bool,
    header: Option<(String, String)>,
}

impl Verbose {
    fn line(text: String) -> Self {
        Self {
            text,
            detail: false,
            header: None,
        }
    }

    fn detail(text: String) -> Self {
        Self {
            text,
            detail: true,
            header: None,
        }
    }

    fn header(direction: char, name: String, value: String) -> Self {
        Self {
            text: format!("  {direction} {name}: {value}"),
            detail: false,
            header: Some((name, value)),
        }
    }
}

impl Presenter {
    pub fn new(mode: OutputMode, plan: Vec<Planned>, keep_reports: bool) -> Self {
        Self {
            mode,
            stdout: std::io::stdout(),
            stdout_is_terminal: std::io::stdout().is_terminal(),
            closed: None,
            file: 0,
            body: BodyState::default(),
            verbose: Vec::new(),
            sent_at: 0,
            verbose_on: tracing::enabled!(tracing::Level::DEBUG),
            file_names: plan
                .iter()
                .map(|p| std::sync::Arc::from(p.path.display().to_string()))
                .collect(),
            results: plan.into_iter().map(FileResult::new).collect(),
            keep_reports,
        }
    }

    /// Why results could not be written, if they could not.
    pub fn unwritable(&self) -> Option<&str> {
        self.closed.as_deref()
    }

    /// The file's name as logs show it, made once per file (not once per event).
    fn file_name(&self) -> std::sync::Arc<str> {
        self.file_names
            .get(self.file)
            .cloned()
            .unwrap_or_else(|| std::sync::Arc::from(""))
    }

    /// Writes to stdout, unless it failed before.
    fn write(&mut self, bytes: &[u8]) -> Result<(), Unwritable> {
        if let Some(reason) = &self.closed {
            return Err(Unwritable(reason.clone()));
        }
        self.stdout.write_all(bytes).map_err(|e| self.close(&e))
    }

    fn flush(&mut self) -> Result<(), Unwritable> {
        if self.closed.is_some() {
            return Ok(());
        }
        self.stdout.flush().map_err(|e| self.close(&e))
    }

    fn close(&mut self, error: &std::io::Error) -> Unwritable {
        let reason = format!("cannot write the results to stdout: {}", io_reason(error));
        self.closed = Some(reason.clone());
        Unwritable(reason)
    }

    /// Turns one event of file `file` into output.
    pub fn handle(&mut self, file: usize, event: Event) -> Result<(), Unwritable> {
        self.file = file;
        let name = self.file_name();
        match event {
            Event::FileStarted { warnings, .. } => {
                for warning in warnings {
                    warn!(file = %name, "{warning}");
                }
                Ok(())
            }
            Event::AttemptStarted {
                may_retry,
                method,
                url,
                headers,
                ..
            } => {
                self.body = BodyState {
                    may_retry,
                    ..BodyState::default()
                };
                // -v shows the last attempt, under the request's headline; without -v nothing
                // of it is made.
                self.verbose.clear();
                if !self.verbose_on {
                    return Ok(());
                }
                self.verbose
                    .push(Verbose::line(format!("  > {method} {url}")));
                self.verbose
                    .extend(headers.into_iter().map(|(h, v)| Verbose::header('>', h, v)));
                // The body sent goes here, once this request's own captures are hidden in it.
                self.sent_at = self.verbose.len();
                Ok(())
            }
            Event::Answer {
                status,
                headers,
                certificates,
                ..
            } => {
                if !self.verbose_on {
                    return Ok(());
                }
                self.verbose.push(Verbose::line(format!(
                    "  < {}",
                    http::StatusCode::from_u16(status)
                        .map_or_else(|_| status.to_string(), |s| s.to_string())
                )));
                self.verbose
                    .extend(headers.into_iter().map(|(h, v)| Verbose::header('<', h, v)));
                for cert in certificates.0.iter() {
                    self.verbose.push(Verbose::detail(format!(
                        "  server certificate: {}, issued by {}, valid until {}",
                        cert.subject, cert.issuer, cert.not_after_shown
                    )));
                }
                Ok(())
            }
            Event::Redirected {
                status,
                to,
                stripped,
                ..
            } => {
                if !self.verbose_on {
                    return Ok(());
                }
                let what = if stripped {
                    " (another origin: without the suite's headers and client certificate)"
                } else {
                    ""
                };
                self.verbose
                    .push(Verbose::line(format!("  redirect {status} -> {to}{what}")));
                Ok(())
            }
            Event::BodyStarted { to, kind, whole } => {
                self.body.to_stdout = to == Some(Destination::Stdout);
                self.body.kind = Some(kind);
                self.body.whole = whole;
                self.body.held.clear();
                self.body.bytes = 0;
                Ok(())
            }
            Event::Chunk(bytes) => {
                if !self.body.to_stdout {
                    return Ok(());
                }
                self.body.bytes += bytes.len() as u64;
                let hidden = self.body.kind == Some(BodyKind::Binary) && self.stdout_is_terminal;
                if hidden {
                    Ok(())
                } else if self.body.may_retry {
                    self.body.held.extend_from_slice(&bytes);
                    Ok(())
                } else {
                    self.write(&bytes)
                }
            }
            Event::Warning { request, message } => {
                warn!(file = %name, request = %request, "{request}: {message}");
                Ok(())
            }
            Event::RetryScheduled {
                request,
                attempt,
                attempts,
                reason,
                wait,
            } => {
                self.body.held.clear();
                info!(
                    file = %name,
                    request = %request,
                    attempt,
                    reason = %reason,
                    wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    "{request}: attempt {attempt} of {attempts}: {reason}; next in {}",
                    crate::config::duration::show(wait)
                );
                Ok(())
            }
            Event::RequestFinished(mut finished) => {
                let written = self.payload(&finished);
                if let Err(unwritable) = &written {
                    finished.verdict = finished.verdict.max(Verdict::Unwritten);
                    finished
                        .report
                        .error
                        .get_or_insert_with(|| unwritable.0.clone());
                }
                lines::finished(&name, &finished.report);
                if self.verbose_on {
                    self.verbose_lines(&name, &finished.report);
                }
                if !self.keep_reports {
                    finished.report.slim();
                }
                if let Some(result) = self.results.get_mut(file) {
                    result.finished.push(*finished);
                }
                self.body = BodyState::default();
                written
            }
            Event::FileFinished => self.flush(),
        }
    }

    /// The request's `-v` lines under its headline, then (`-vv`) its TLS session and the body
    /// received.
    fn verbose_lines(&mut self, file: &str, report: &crate::exec::RequestReport) {
        if let Some(body) = &report.sent_body {
            let at = self.sent_at.min(self.verbose.len());
            self.verbose
                .insert(at, Verbose::detail(format!("  > (body) {body}")));
        }
        if let Some(tls) = &report.tls {
            self.verbose.push(Verbose::detail(format!(
                "  TLS: {}, ALPN {}, {}",
                tls.version.unwrap_or("TLS"),
                tls.alpn.unwrap_or("none"),
                if tls.client_certificate {
                    "client certificate presented"
                } else {
                    "no client certificate"
                }
            )));
        }
        let received = match &report.body {
            crate::exec::Body::Json(value) => Some(crate::words::cut(&value.to_string())),
            crate::exec::Body::Text(text) if !text.is_empty() => Some(crate::words::cut(text)),
            crate::exec::Body::Elsewhere {
                bytes,
                file: Some(to),
            } => Some(format!("[{bytes} bytes, written to {to}]")),
            crate::exec::Body::Elsewhere { bytes, file: None } => Some(format!("[{bytes} bytes]")),
            _ => None,
        };
        if let Some(received) = received {
            self.verbose
                .push(Verbose::detail(format!("  < (body) {received}")));
        }
        let request = &report.name;
        for line in self.verbose.drain(..) {
            match (line.detail, line.header) {
                (false, Some((header, value))) => {
                    debug!(file, request = %request, header = %header, value = %value, "{}", line.text);
                }
                (false, None) => debug!(file, request = %request, "{}", line.text),
                (true, _) => trace!(file, request = %request, "{}", line.text),
            }
        }
    }

    /// The request's payload on stdout: what was held, what is shown whole, or its JSON line.
    fn payload(&mut self, finished: &Finished) -> Result<(), Unwritable> {
        let held = std::mem::take(&mut self.body.held);
        self.write(&held)?;
        let report = &finished.report;
        match self.mode {
            OutputMode::Json => {
                let mut line = serde_json::to_vec(report).unwrap_or_default();
                line.push(b'\n');
                self.write(&line)?;
            }
            OutputMode::None => {}
            OutputMode::Pretty if self.body.whole => {
                let mut text = Vec::new();
                // Writing into memory cannot fail.
                let _ = match &report.body {
                    // Outgrew max_body, with secrets to hide in it: it cannot be shown.
                    crate::exec::Body::Elsewhere { bytes, .. } => {
                        payload::too_large_placeholder(&mut text, *bytes)
                    }
                    body => payload::print_whole(&mut text, body),
                };
                self.write(&text)?;
            }
            OutputMode::Pretty if self.body.to_stdout => match self.body.kind {
                Some(BodyKind::Binary) if self.stdout_is_terminal => {
                    let mut text = Vec::new();
                    let _ = payload::binary_placeholder(&mut text, self.body.bytes);
                    self.write(&text)?;
                }
                // Keep the next payload on a line of its own.
                Some(BodyKind::Text) if self.body.bytes > 0 => self.write(b"\n")?,
                _ => {}
            },
            OutputMode::Pretty => {}
        }
        self.flush()
    }

    /// Adds an internal error for every request of `file` that did not finish: its task
    /// panicked.
    pub fn internal_error(&mut self, file: usize, message: &str) {
        let Some(result) = self.results.get_mut(file) else {
            return;
        };
        let path = result.plan.path.display().to_string();
        error!(file = %path, "internal error while running {path}: {message}");
        let unfinished: Vec<Finished> = result
            .unfinished()
            .map(|planned| Finished {
                report: planned.report(
                    &path,
                    Some(format!(
                        "internal error: the run of this file stopped: {message}"
                    )),
                ),
                verdict: Verdict::Broken,
            })
            .collect();
        result.finished.extend(unfinished);
    }
}
