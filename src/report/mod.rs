//! Reporting: what a request did, as payloads on stdout (`--output pretty|json|none`) and log
//! events on stderr.

pub mod files;
pub mod logging;
pub mod payload;
pub mod progress;

use serde::Serialize;
use tracing::{error, info};

/// What one request did, as `--output json` prints it (spec §5).
#[derive(Debug, Clone, Serialize)]
pub struct RequestReport {
    pub name: String,
    pub endpoint: String,
    pub method: String,
    /// Secrets as `***`.
    pub url: String,
    pub status: Option<u16>,
    /// Response headers, names lower-case.
    pub headers: Vec<(String, String)>,
    pub body: Body,
    pub duration_ms: u64,
    pub attempts: u32,
    pub tls: Option<TlsReport>,
    pub expectations: Vec<ExpectationReport>,
    pub error: Option<String>,
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
    pub version: Option<String>,
    pub alpn: Option<String>,
    pub client_certificate: bool,
    pub server_certificate: Vec<CertificateReport>,
}

/// A certificate the server presented.
#[derive(Debug, Clone, Serialize)]
pub struct CertificateReport {
    pub subject: String,
    pub issuer: String,
    pub not_after: String,
}

/// One expectation and whether it held.
#[derive(Debug, Clone, Serialize)]
pub struct ExpectationReport {
    /// "status", "json $.id", "header content-type", ...
    pub what: String,
    /// `path:line:col` of the expectation in the suite.
    pub location: String,
    pub passed: bool,
    pub expected: String,
    pub actual: String,
}

/// The log lines of a finished request: what it did, then what failed.
pub fn log_finished(report: &RequestReport, failure: Option<&str>) {
    if let Some(status) = report.status {
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
        let attempts = if report.attempts > 1 {
            format!(" after {} attempts", report.attempts)
        } else {
            String::new()
        };
        info!(
            request = %report.name,
            method = %report.method,
            url = %report.url,
            status,
            duration_ms = report.duration_ms,
            attempts = report.attempts,
            tls_version = report.tls.as_ref().and_then(|t| t.version.as_deref()).unwrap_or(""),
            client_certificate = report.tls.as_ref().is_some_and(|t| t.client_certificate),
            "{}: {} {} -> {} in {} ms{tls_words}{attempts}",
            report.name,
            report.method,
            report.url,
            http::StatusCode::from_u16(status).map_or_else(|_| status.to_string(), |s| s.to_string()),
            report.duration_ms
        );
    }
    if let Some(failure) = failure {
        let prefix = if report.status.is_some() {
            String::new()
        } else {
            format!("{} {}: ", report.method, report.url)
        };
        error!(
            request = %report.name,
            method = %report.method,
            url = %report.url,
            attempts = report.attempts,
            error = %failure,
            "{}: {prefix}{failure}",
            report.name
        );
        return;
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
}
