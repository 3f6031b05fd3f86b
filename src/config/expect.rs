//! Expectations and captures (spec §2, §3): operators checked and compiled (regular expressions,
//! JSONPath) when the suite loads.

use std::time::Duration;

use http::HeaderName;
use indexmap::IndexMap;
use regex::Regex;
use serde_json_path::JsonPath;

use super::convert::Converter;
use super::endpoint::TransposeNone;
use super::raw::{
    RawCapture, RawCertificateExpect, RawExpect, RawMatcher, RawStatus, RawStatusItem,
};
use super::spanned::Spanned;
use super::suite::{
    Capture, CaptureFrom, CertificateExpect, Expect, JsonQuery, Matcher, Op, StatusPattern,
};
use super::template::{CaptureNames, is_valid_name};
use crate::diagnostic::Span;

impl Converter<'_> {
    pub fn expect(
        &mut self,
        raw: &Spanned<Box<RawExpect>>,
        captures: &CaptureNames,
    ) -> Option<Expect> {
        let expect = raw.get();
        let status = expect.status.as_ref().map(|s| self.status(s));
        let max_duration = expect
            .max_duration
            .as_ref()
            .map(|d| self.duration(d, true).map(|duration| (duration, d.span())));
        let mut ok = true;
        let mut headers = Vec::new();
        for (name, raw_matcher) in &expect.headers {
            let header = HeaderName::from_bytes(name.as_bytes());
            let matcher = self.matcher(raw_matcher, captures);
            match (header, matcher) {
                (Ok(header), Some(matcher)) => headers.push((header, matcher)),
                (Err(_), _) => {
                    self.report(
                        self.error(&raw_matcher.span(), format!("invalid header name `{name}`")),
                    );
                    ok = false;
                }
                (_, None) => ok = false,
            }
        }
        let mut json = Vec::new();
        for (path, matcher) in &expect.json {
            // The key is not spanned: its place is the quoted key just before its value.
            let span = key_span(&self.source.text, path, &matcher.span());
            let query = self.json_query(path, &span);
            let matcher = self.matcher(matcher, captures);
            match (query, matcher) {
                (Some(query), Some(matcher)) => json.push((query, matcher)),
                _ => ok = false,
            }
        }
        let mut cookies = Vec::new();
        for (name, matcher) in &expect.cookies {
            match self.matcher(matcher, captures) {
                Some(matcher) => cookies.push((name.clone(), matcher)),
                None => ok = false,
            }
        }
        let body = expect.body.as_ref().map(|m| self.matcher(m, captures));
        let certificate = expect
            .certificate
            .as_ref()
            .map(|c| self.certificate(c, captures));
        Some(Expect {
            status: status.transpose_none()?,
            max_duration: max_duration.transpose_none()?,
            headers: ok.then_some(headers)?,
            json,
            cookies: ok.then_some(cookies)?,
            body: body.transpose_none()?,
            certificate: certificate.transpose_none()?.map(Box::new),
        })
    }

    fn status(&mut self, raw: &Spanned<RawStatus>) -> Option<(Vec<StatusPattern>, Span)> {
        let items = match raw.get() {
            RawStatus::One(item) => std::slice::from_ref(item),
            RawStatus::Any(items) => items.as_slice(),
        };
        let span = raw.span();
        if items.is_empty() {
            self.report(
                self.error(&span, "`status` is an empty array")
                    .help("list at least one status, such as [200, 204]"),
            );
            return None;
        }
        let mut patterns = Vec::new();
        for item in items {
            match item {
                RawStatusItem::Code(code) if (100..=599).contains(code) => {
                    patterns.push(StatusPattern::Code(u16::try_from(*code).ok()?));
                }
                RawStatusItem::Code(code) => {
                    self.report(
                        self.error(&span, format!("{code} is not an HTTP status"))
                            .help("statuses run from 100 to 599"),
                    );
                    return None;
                }
                RawStatusItem::Class(class) => match class.as_bytes() {
                    [digit @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => {
                        patterns.push(StatusPattern::Class(u16::from(digit - b'0')))
                    }
                    digits if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) => {
                        self.report(
                            self.error(&span, format!("the status \"{class}\" is a string"))
                                .help(format!(
                                    "a status is a number: write {class} without quotes"
                                )),
                        );
                        return None;
                    }
                    _ => {
                        self.report(
                            self.error(&span, format!("invalid status class \"{class}\""))
                                .help("a class is written \"2xx\" (1xx to 5xx); a single status is a number, such as 200"),
                        );
                        return None;
                    }
                },
            }
        }
        Some((patterns, span))
    }

    fn json_query(&mut self, text: &str, span: &Span) -> Option<JsonQuery> {
        match JsonPath::parse(text) {
            Ok(path) => Some(JsonQuery {
                text: text.to_owned(),
                path,
            }),
            Err(error) => {
                let help = match bracketed(text) {
                    Some(rewritten) => format!(
                        "use {rewritten}: in dot notation a name is letters, digits and `_`; others go in brackets (RFC 9535)"
                    ),
                    None if !text.starts_with('$') => {
                        "a JSONPath (RFC 9535) starts with `$`, as in \"$.items[0].id\"".to_owned()
                    }
                    None => "write a JSONPath (RFC 9535) such as \"$.items[0].id\" or \"$.headers['X-Id']\"".to_owned(),
                };
                // Where the parser stopped, as a character of the path.
                let at = text
                    .get(error.position()..)
                    .and_then(|rest| rest.chars().next());
                let reason = match at {
                    Some(c) => format!(
                        "it stops making sense at `{c}` (character {})",
                        error.position() + 1
                    ),
                    None => "it ends too early".to_owned(),
                };
                self.report(
                    self.error(span, format!("invalid JSONPath \"{text}\": {reason}"))
                        .help(help),
                );
                None
            }
        }
    }

    pub fn matcher(
        &mut self,
        raw: &Spanned<RawMatcher>,
        captures: &CaptureNames,
    ) -> Option<Matcher> {
        let span = raw.span();
        let ops = match raw.get() {
            RawMatcher::Equals(value) => vec![Op::Equals(self.value(value, &span, captures)?)],
            RawMatcher::Ops(raw_ops) => {
                let mut ops = Vec::new();
                if let Some(value) = &raw_ops.equals {
                    ops.push(Op::Equals(self.value(value, &span, captures)?));
                }
                if let Some(value) = &raw_ops.contains {
                    ops.push(Op::Contains(self.value(value, &span, captures)?));
                }
                if let Some(pattern) = &raw_ops.matches {
                    match Regex::new(pattern) {
                        Ok(regex) => ops.push(Op::Matches(regex)),
                        Err(error) => {
                            let text = error.to_string();
                            let last = text.lines().last().unwrap_or_default().trim();
                            let detail = last.strip_prefix("error: ").unwrap_or(last);
                            self.report(
                                self.error(&span, format!("invalid regular expression \"{pattern}\": {detail}"))
                                    .help("`matches` takes a regular expression (Rust regex syntax); escape special characters with \\\\"),
                            );
                            return None;
                        }
                    }
                }
                ops.extend(raw_ops.exists.map(Op::Exists));
                ops.extend(raw_ops.gt.map(Op::Gt));
                ops.extend(raw_ops.ge.map(Op::Ge));
                ops.extend(raw_ops.lt.map(Op::Lt));
                ops.extend(raw_ops.le.map(Op::Le));
                ops.extend(raw_ops.length.map(Op::Length));
                if let Some(values) = &raw_ops.one_of {
                    let values: Vec<_> = values
                        .iter()
                        .map(|v| self.value(v, &span, captures))
                        .collect();
                    ops.push(Op::OneOf(values.into_iter().collect::<Option<_>>()?));
                }
                ops
            }
        };
        Some(Matcher { ops, span })
    }

    fn certificate(
        &mut self,
        raw: &Spanned<Box<RawCertificateExpect>>,
        captures: &CaptureNames,
    ) -> Option<CertificateExpect> {
        let certificate = raw.get();
        let valid_for = certificate
            .valid_for_at_least
            .as_ref()
            // Certificates are made for years: a millennium is the bound.
            .map(|d| self.duration_within(d, false, Duration::from_secs(1000 * 365 * 86_400)));
        let subject = certificate
            .subject
            .as_ref()
            .map(|m| self.matcher(m, captures));
        let mut matcher =
            |m: &Option<Spanned<RawMatcher>>| m.as_ref().map(|m| self.matcher(m, captures));
        let issuer = matcher(&certificate.issuer);
        let san = matcher(&certificate.san);
        let serial = matcher(&certificate.serial);
        let sha256 = matcher(&certificate.sha256);
        let spki_sha256 = matcher(&certificate.spki_sha256);
        let ocsp = matcher(&certificate.ocsp);
        Some(CertificateExpect {
            valid_for_at_least: valid_for.transpose_none()?,
            subject: subject.transpose_none()?,
            issuer: issuer.transpose_none()?,
            san: san.transpose_none()?,
            serial: serial.transpose_none()?,
            sha256: sha256.transpose_none()?,
            spki_sha256: spki_sha256.transpose_none()?,
            ocsp: ocsp.transpose_none()?,
            span: raw.span(),
        })
    }

    pub fn captures(
        &mut self,
        raw: &IndexMap<String, Spanned<RawCapture>>,
    ) -> Option<Vec<Capture>> {
        let mut captures = Vec::new();
        let mut ok = true;
        for (name, capture) in raw {
            let span = capture.span();
            if !is_valid_name(name) || name.starts_with("env.") {
                self.report(
                    self.error(&span, format!("invalid capture name `{name}`"))
                        .help("names are made of letters, digits, `_` and `-`, and do not start with `env.`"),
                );
                ok = false;
                continue;
            }
            if self.scope.defines(name) {
                self.report(
                    self.error(
                        &span,
                        format!("capture `{name}` has the name of a variable"),
                    )
                    .help("rename the capture or the variable, so `{{name}}` means one thing"),
                );
                ok = false;
                continue;
            }
            let (from, secret) = match capture.get() {
                RawCapture::Path(path) => {
                    (self.json_query(path, &span).map(CaptureFrom::Json), false)
                }
                RawCapture::Table(table) => {
                    let from = match (&table.json, &table.header, &table.cookie) {
                        (Some(path), None, None) => {
                            self.json_query(path, &span).map(CaptureFrom::Json)
                        }
                        (None, None, Some(cookie)) => Some(CaptureFrom::Cookie(cookie.clone())),
                        (None, Some(header), None) => {
                            match HeaderName::from_bytes(header.as_bytes()) {
                                Ok(header) => Some(CaptureFrom::Header(header)),
                                Err(_) => {
                                    self.report(
                                        self.error(
                                            &span,
                                            format!("invalid header name `{header}`"),
                                        ),
                                    );
                                    None
                                }
                            }
                        }
                        _ => {
                            self.report(
                                self.error(&span, "a capture reads one of `json`, `header` or `cookie`")
                                    .help(
                                        "write `{ json = \"$.token\" }`, `{ header = \"etag\" }` or `{ cookie = \"session\" }`",
                                    ),
                            );
                            None
                        }
                    };
                    (from, table.secret)
                }
            };
            match from {
                Some(from) => captures.push(Capture {
                    name: name.clone(),
                    from,
                    secret,
                    span,
                }),
                None => ok = false,
            }
        }
        ok.then_some(captures)
    }
}

/// The span of `key` written (quoted) before its value's `value` span, else the value's.
fn key_span(text: &str, key: &str, value: &Span) -> Span {
    let before = text.get(..value.start.min(text.len())).unwrap_or_default();
    for quoted in [format!("\"{key}\""), format!("'{key}'")] {
        if let Some(at) = before.rfind(&quoted) {
            return at..at + quoted.len();
        }
    }
    value.clone()
}

/// `text` with each dot-notation member that is not a plain name (a dash, a dot, a space)
/// put in brackets, when that makes a JSONPath of it: "$.headers.X-Id" -> "$.headers['X-Id']".
fn bracketed(text: &str) -> Option<String> {
    static MEMBER: std::sync::OnceLock<Option<Regex>> = std::sync::OnceLock::new();
    let member = MEMBER
        .get_or_init(|| {
            Regex::new(r"\.([A-Za-z_][A-Za-z0-9_]*[^A-Za-z0-9_.\[\]$'\x22][^.\[\]]*)").ok()
        })
        .as_ref()?;
    let rewritten = member.replace_all(text, "['$1']").into_owned();
    (rewritten != text && JsonPath::parse(&rewritten).is_ok()).then_some(rewritten)
}
