//! Captures: values taken from a response (JSONPath on the body, or a header) for the requests
//! that follow. A capture that finds nothing fails its request.

use std::sync::Arc;

use http::HeaderMap;
use serde_json::Value as Json;

use super::answer;
use super::outcome::ExpectationReport;
use crate::config::suite::{CaptureFrom, Request};
use crate::config::template::Captured;
use crate::diagnostic::Source;

/// The values of the request's secret captures from headers and cookies, known as soon as the
/// headers are.
pub fn secret_header_values(request: &Request, headers: &HeaderMap) -> Vec<String> {
    request
        .captures
        .iter()
        .filter(|c| c.secret)
        .filter_map(|c| match &c.from {
            CaptureFrom::Header(name) => headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            CaptureFrom::Cookie(name) => answer::set_cookie(headers, name),
            CaptureFrom::Json(_) => None,
        })
        .collect()
}

/// Takes every capture of a request: the values found, and a failed report for each that found
/// nothing.
pub fn take(
    request: &Request,
    headers: &HeaderMap,
    body: Option<&[u8]>,
    too_large: Option<u64>,
    source: &Arc<Source>,
) -> (Vec<(String, Captured)>, Vec<ExpectationReport>) {
    let document = body.and_then(|b| serde_json::from_slice::<Json>(b).ok());
    let mut found = Vec::new();
    let mut failed = Vec::new();
    for capture in &request.captures {
        let (value, wanted) = match &capture.from {
            CaptureFrom::Json(query) => {
                let value =
                    document
                        .as_ref()
                        .and_then(|d| match query.path.query(d).all().as_slice() {
                            [] => None,
                            [Json::String(text)] => Some(text.clone()),
                            [one] => Some(one.to_string()),
                            many => Some(
                                Json::Array(many.iter().map(|n| (*n).clone()).collect())
                                    .to_string(),
                            ),
                        });
                (value, format!("a value at {} in the JSON body", query.text))
            }
            CaptureFrom::Header(name) => (
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
                format!("a `{name}` header"),
            ),
            CaptureFrom::Cookie(name) => (
                answer::set_cookie(headers, name),
                format!("a `{name}` cookie set by the response"),
            ),
        };
        match value {
            Some(value) => found.push((
                capture.name.clone(),
                Captured {
                    value,
                    secret: capture.secret,
                },
            )),
            None => failed.push(ExpectationReport {
                what: format!("capture {}", capture.name),
                location: source.place(&capture.span),
                passed: false,
                expected: wanted,
                actual: match (too_large, &capture.from) {
                    (Some(limit), CaptureFrom::Json(_)) => answer::too_large(limit),
                    (None, CaptureFrom::Json(_)) if document.is_none() => {
                        "a body that is not JSON".to_owned()
                    }
                    _ => "nothing".to_owned(),
                },
            }),
        }
    }
    (found, failed)
}
