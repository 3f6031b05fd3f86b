//! Reporting: what a request did, as payloads on stdout (`--output pretty|json|none`) and log
//! events on stderr.

pub mod files;
pub mod logging;
pub mod payload;
pub mod progress;

use serde::Serialize;

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
