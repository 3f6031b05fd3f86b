//! The log lines of a finished request: what it did, then what failed and what may explain it.

use tracing::{error, info};

use crate::exec::RequestReport;

/// The log lines of a finished request: what it did, then what failed.
pub fn finished(file: &str, report: &RequestReport) {
    let failure = report.error.as_deref();
    // The headline's words are made only when it is shown (not under -q).
    if let Some(status) = report.status
        && tracing::enabled!(tracing::Level::INFO)
    {
        let tls_words = report.tls.as_ref().map_or_else(String::new, |tls| {
            format!(
                ", {}, {}",
                tls.version.unwrap_or("TLS"),
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
        // Green for an answer that passed; the failures below say what did not.
        let passed = report.error.is_none() && report.expectations.iter().all(|c| c.passed);
        let shown_status = http::StatusCode::from_u16(status)
            .map_or_else(|_| status.to_string(), |s| s.to_string());
        let shown_status = if passed {
            crate::style::paint(&shown_status, crate::style::Style::Passed)
        } else {
            crate::style::paint(&shown_status, crate::style::Style::Error)
        };
        let via = report
            .proxy
            .as_ref()
            .map_or_else(String::new, |proxy| format!(" via proxy {proxy}"));
        info!(
            file,
            request = %report.name,
            method = %report.method,
            url = %report.url,
            status,
            duration_ms = report.duration_ms,
            attempts = report.attempts,
            tls_version = report.tls.as_ref().and_then(|t| t.version).unwrap_or(""),
            client_certificate = report.tls.as_ref().is_some_and(|t| t.client_certificate),
            "{}: {} {} -> {} in {} ms{via}{tls_words}{attempts}",
            report.name,
            report.method,
            report.url,
            shown_status,
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
            file,
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
            file,
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
    for hint in &report.hints {
        info!(file, request = %report.name, hint = %hint, "  = hint: {hint}");
    }
}
