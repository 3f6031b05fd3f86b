//! Expectations checked against a response: status, headers, JSONPath on the body, the body,
//! the duration and the server's certificate. Every expectation is checked and reported with
//! its place in the suite, the expected and the actual value.

use std::sync::Arc;
use std::time::Duration;

use http::HeaderMap;
use serde_json::Value as Json;

use super::answer;
use super::outcome::ExpectationReport;
use crate::config::duration;
use crate::config::suite::{Matcher, Op, Request, StatusPattern};
use crate::config::template::Captures;
use crate::diagnostic::Source;
use crate::tls::CertInfo;
use crate::tls::inspect::{format_time, now};

/// What a response showed.
#[derive(Debug)]
pub struct Facts<'a> {
    pub status: u16,
    pub headers: &'a HeaderMap,
    /// The whole body, when it was kept (expectations on it make sure it is).
    pub body: Option<&'a [u8]>,
    /// The body outgrew `max_body` (this many bytes) and was not kept.
    pub too_large: Option<u64>,
    pub duration: Duration,
    /// The server's leaf certificate, over TLS.
    pub leaf: Option<&'a CertInfo>,
    /// What the handshake's stapled OCSP response said ("good", "absent", ...).
    pub ocsp: Option<&'static str>,
}

/// The longest actual value shown in a report.
const SHOWN_LIMIT: usize = 200;

/// Checks every expectation of a request.
pub fn evaluate(
    request: &Request,
    facts: &Facts<'_>,
    captures: &Captures,
    source: &Arc<Source>,
) -> Vec<ExpectationReport> {
    let expect = request.expect();
    let mut reports = vec![status(request, facts.status, source)];
    if let Some((max, span)) = &expect.max_duration {
        reports.push(ExpectationReport {
            what: "duration".to_owned(),
            location: source.place(span),
            passed: facts.duration <= *max,
            expected: format!("at most {}", duration::show(*max)),
            actual: format!("{} ms", facts.duration.as_millis()),
        });
    }
    for (name, matcher) in &expect.headers {
        let values: Vec<&str> = facts
            .headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let actual = (!values.is_empty()).then(|| Json::String(values.join(", ")));
        reports.push(check(
            &format!("header {name}"),
            matcher,
            actual.as_ref(),
            captures,
            source,
        ));
    }
    if !expect.json.is_empty() {
        let parsed = facts.body.map(serde_json::from_slice::<Json>);
        for (query, matcher) in &expect.json {
            let what = format!("json {}", query.text);
            match &parsed {
                Some(Ok(document)) => {
                    let nodes = query.path.query(document).all();
                    let actual = match nodes.as_slice() {
                        [] => None,
                        [one] => Some((*one).clone()),
                        many => Some(Json::Array(many.iter().map(|n| (*n).clone()).collect())),
                    };
                    reports.push(check(&what, matcher, actual.as_ref(), captures, source));
                }
                _ => reports.push(ExpectationReport {
                    what,
                    location: source.place(&matcher.span),
                    passed: false,
                    expected: describe(matcher, captures),
                    actual: facts
                        .too_large
                        .map_or_else(|| "a body that is not JSON".to_owned(), answer::too_large),
                }),
            }
        }
    }
    for (name, matcher) in &expect.cookies {
        let actual = answer::set_cookie(facts.headers, name).map(Json::String);
        reports.push(check(
            &format!("cookie {name}"),
            matcher,
            actual.as_ref(),
            captures,
            source,
        ));
    }
    if let Some(matcher) = &expect.body {
        match facts.too_large {
            Some(limit) => reports.push(ExpectationReport {
                what: "body".to_owned(),
                location: source.place(&matcher.span),
                passed: false,
                expected: describe(matcher, captures),
                actual: answer::too_large(limit),
            }),
            None => {
                let actual = facts
                    .body
                    .map(|b| Json::String(String::from_utf8_lossy(b).into_owned()));
                reports.push(check("body", matcher, actual.as_ref(), captures, source));
            }
        }
    }
    if let Some(certificate) = &expect.certificate {
        let location = source.place(&certificate.span);
        match facts.leaf {
            None => reports.push(ExpectationReport {
                what: "certificate".to_owned(),
                location,
                passed: false,
                expected: "a server certificate".to_owned(),
                actual: "none (not TLS, or a resumed session)".to_owned(),
            }),
            Some(leaf) => {
                if let Some(at_least) = certificate.valid_for_at_least {
                    let left = leaf.not_after - now();
                    let needed = i64::try_from(at_least.as_secs()).unwrap_or(i64::MAX);
                    reports.push(ExpectationReport {
                        what: "certificate validity".to_owned(),
                        location: location.clone(),
                        passed: left >= needed,
                        expected: format!("valid for at least {}", duration::show(at_least)),
                        actual: format!(
                            "valid until {} ({} days left)",
                            format_time(leaf.not_after),
                            left.div_euclid(86_400)
                        ),
                    });
                }
                if let Some(matcher) = &certificate.subject {
                    reports.push(check(
                        "certificate subject",
                        matcher,
                        Some(&Json::String(leaf.subject.clone())),
                        captures,
                        source,
                    ));
                }
                let names = || Json::Array(leaf.names.iter().cloned().map(Json::String).collect());
                for (what, matcher, actual) in [
                    (
                        "certificate issuer",
                        &certificate.issuer,
                        Json::String(leaf.issuer.clone()),
                    ),
                    ("certificate san", &certificate.san, names()),
                    (
                        "certificate serial",
                        &certificate.serial,
                        Json::String(leaf.serial.clone()),
                    ),
                    (
                        "certificate sha256",
                        &certificate.sha256,
                        Json::String(leaf.sha256.clone()),
                    ),
                    (
                        "certificate spki_sha256",
                        &certificate.spki_sha256,
                        Json::String(leaf.spki_sha256.clone()),
                    ),
                    (
                        "certificate ocsp",
                        &certificate.ocsp,
                        Json::String(facts.ocsp.unwrap_or("absent").to_owned()),
                    ),
                ] {
                    if let Some(matcher) = matcher {
                        reports.push(check(what, matcher, Some(&actual), captures, source));
                    }
                }
            }
        }
    }
    reports
}

/// The listed codes or classes; without `status`, any status below 400.
fn status(request: &Request, status: u16, source: &Arc<Source>) -> ExpectationReport {
    let (passed, expected, location) = match &request.expect().status {
        None => (
            status < 400,
            "a status below 400".to_owned(),
            source.place(&request.span),
        ),
        Some((patterns, span)) => {
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
            (passed, shown.join(" or "), source.place(span))
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

fn check(
    what: &str,
    matcher: &Matcher,
    actual: Option<&Json>,
    captures: &Captures,
    source: &Arc<Source>,
) -> ExpectationReport {
    let passed = matcher.ops.iter().all(|op| holds(op, actual, captures));
    ExpectationReport {
        what: what.to_owned(),
        location: source.place(&matcher.span),
        passed,
        expected: describe(matcher, captures),
        actual: actual.map_or_else(|| "nothing".to_owned(), show),
    }
}

/// A value as a report shows it: compact JSON, strings in quotes, cut when long.
fn show(value: &Json) -> String {
    let text = value.to_string();
    if text.chars().count() <= SHOWN_LIMIT {
        return text;
    }
    let cut: String = text.chars().take(SHOWN_LIMIT).collect();
    format!("{cut}... ({} characters)", text.chars().count())
}

/// An expected value with the captures it uses; a capture without a value is shown by name.
fn expected(value: &crate::config::suite::Value, captures: &Captures) -> Json {
    value
        .render(captures)
        .unwrap_or_else(|name| Json::String(format!("{{{{{name}}}}}")))
}

fn describe(matcher: &Matcher, captures: &Captures) -> String {
    let parts: Vec<String> = matcher
        .ops
        .iter()
        .map(|op| match op {
            Op::Equals(value) => show(&expected(value, captures)),
            Op::Contains(value) => format!("contains {}", show(&expected(value, captures))),
            Op::Matches(regex) => format!("matches /{}/", regex.as_str()),
            Op::Exists(true) => "present".to_owned(),
            Op::Exists(false) => "absent".to_owned(),
            Op::Gt(n) => format!("> {n}"),
            Op::Ge(n) => format!(">= {n}"),
            Op::Lt(n) => format!("< {n}"),
            Op::Le(n) => format!("<= {n}"),
            Op::Length(n) => format!("length {n}"),
            Op::OneOf(values) => {
                let values: Vec<String> = values
                    .iter()
                    .map(|v| show(&expected(v, captures)))
                    .collect();
                format!("one of [{}]", values.join(", "))
            }
        })
        .collect();
    parts.join(" and ")
}

/// Equality as a person means it: 1 equals 1.0, and a header's "200" equals 200.
fn equal(actual: &Json, expected: &Json) -> bool {
    match (actual, expected) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::String(a), Json::Number(n)) => a.trim().parse::<f64>().ok() == n.as_f64(),
        (Json::String(a), Json::Bool(b)) => a.as_str() == if *b { "true" } else { "false" },
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| equal(x, y))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => actual == expected,
    }
}

fn number(value: &Json) -> Option<f64> {
    match value {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn holds(op: &Op, actual: Option<&Json>, captures: &Captures) -> bool {
    let Some(actual) = actual else {
        return matches!(op, Op::Exists(false));
    };
    match op {
        Op::Equals(value) => equal(actual, &expected(value, captures)),
        Op::Contains(value) => {
            let wanted = expected(value, captures);
            match (actual, &wanted) {
                (Json::String(s), Json::String(w)) => s.contains(w.as_str()),
                (Json::Array(items), _) => items.iter().any(|item| equal(item, &wanted)),
                (Json::Object(fields), Json::String(key)) => fields.contains_key(key),
                _ => false,
            }
        }
        Op::Matches(regex) => regex.is_match(&text(actual)),
        Op::Exists(exists) => *exists,
        Op::Gt(n) => number(actual).is_some_and(|a| a > *n),
        Op::Ge(n) => number(actual).is_some_and(|a| a >= *n),
        Op::Lt(n) => number(actual).is_some_and(|a| a < *n),
        Op::Le(n) => number(actual).is_some_and(|a| a <= *n),
        Op::Length(n) => {
            let length = match actual {
                Json::String(s) => s.chars().count(),
                Json::Array(items) => items.len(),
                Json::Object(fields) => fields.len(),
                _ => return false,
            };
            length as u64 == *n
        }
        Op::OneOf(values) => values.iter().any(|v| equal(actual, &expected(v, captures))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn equality_is_lenient_on_number_forms() {
        assert!(equal(&json!(1), &json!(1.0)));
        assert!(equal(&json!("200"), &json!(200)));
        assert!(!equal(&json!("abc"), &json!(1)));
        assert!(equal(&json!({"a": [1, 2]}), &json!({"a": [1.0, 2]})));
    }
}
