//! What the executor returns: a request's report and verdict. `report` presents these; the
//! executor never prints them itself.

use std::sync::Arc;

use serde::Serialize;

use crate::diagnostic::Location;
use crate::tls::inspect::CertInfo;

/// How a request ended, from best to worst: a run's exit code follows its worst verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Passed,
    /// An expectation failed (exit 1).
    Failed,
    /// It could not complete: connection, TLS, timeout, an internal error (exit 3).
    Broken,
    /// It ran, but its results could not be written: closed stdout, full disk (exit 4).
    Unwritten,
}

/// A request's report and verdict.
#[derive(Debug, Clone)]
pub struct Finished {
    pub report: RequestReport,
    pub verdict: Verdict,
}

/// What one request did, as `--output json` prints it (spec §5).
#[derive(Debug, Clone, Serialize)]
pub struct RequestReport {
    /// The suite file, as given on the command line.
    pub file: String,
    pub name: String,
    pub endpoint: String,
    pub method: String,
    /// Secrets as `***`.
    pub url: String,
    pub status: Option<u16>,
    /// Response headers, names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// The last attempt, from sending to the body's end.
    pub duration_ms: u64,
    /// Every attempt and the waits between them.
    pub total_ms: u64,
    pub attempts: u32,
    pub tls: Option<TlsReport>,
    pub expectations: Vec<ExpectationReport>,
    pub error: Option<String>,
    /// The proxy the request went through ("host:port").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<String>,
    /// The redirects followed, in order (secrets hidden); the last is `url`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<String>,
    /// The body sent, as `-vv` shows it (cut; secrets hidden, this request's own captures too).
    #[serde(skip)]
    pub sent_body: Option<String>,
    /// What may explain a failure, without changing its verdict.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl RequestReport {
    /// Lets go of what only a report file shows (headers, body, TLS session, expectations,
    /// redirects, hints), keeping what the summary and the exit code need. A run without
    /// `--report` keeps 10,000 requests in a few MB instead of 60.
    pub fn slim(&mut self) {
        self.headers = Vec::new();
        self.body = Body::None;
        self.tls = None;
        self.expectations = Vec::new();
        self.redirects = Vec::new();
        self.sent_body = None;
        self.hints = Vec::new();
    }
}

/// The response body, as far as it is kept.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(untagged)]
pub enum Body {
    /// No response, or the body went elsewhere.
    #[default]
    None,
    Json(serde_json::Value),
    Text(String),
    /// Binary, or written to a file: its size, and where it went.
    Elsewhere {
        bytes: u64,
        file: Option<String>,
    },
}

/// The TLS session a request used.
#[derive(Debug, Clone, Serialize)]
pub struct TlsReport {
    pub version: Option<&'static str>,
    pub alpn: Option<&'static str>,
    pub client_certificate: bool,
    pub server_certificate: ServerChain,
}

/// The certificates the server presented, read once per handshake and shared by the requests
/// of its connection; a report shows each one's subject, issuer and expiry.
#[derive(Debug, Clone, Default)]
pub struct ServerChain(pub Arc<[CertInfo]>);

impl Serialize for ServerChain {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// A certificate as a report shows it.
        #[derive(Serialize)]
        struct Shown<'a> {
            subject: &'a str,
            issuer: &'a str,
            not_after: &'a str,
        }
        serializer.collect_seq(self.0.iter().map(|c| Shown {
            subject: &c.subject,
            issuer: &c.issuer,
            not_after: &c.not_after_shown,
        }))
    }
}

/// One expectation and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationReport {
    /// "status", "json $.id", "header content-type", ...
    pub what: String,
    /// `path:line:col` of the expectation in the suite.
    pub location: Location,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
}
