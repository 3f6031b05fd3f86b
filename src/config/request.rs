//! Requests: method, path, query, headers, body, retry and output (spec §2).

use http::Method;
use indexmap::IndexMap;

use super::convert::Converter;
use super::endpoint::TransposeNone;
use super::raw::{RawMethod, RawPart, RawRequest, RawRetry, STANDARD_METHODS, Scalar};
use super::spanned::Spanned;
use super::suite::{Body, FileRef, Output, Part, Request, Retry, Value};
use super::template::CaptureNames;

impl Converter<'_> {
    /// A request; `endpoints` are the suite's (converted or not) names, in order.
    pub fn request(
        &mut self,
        raw: &Spanned<Box<RawRequest>>,
        name: String,
        endpoints: &[&str],
        captures: &CaptureNames,
    ) -> Option<Request> {
        let endpoint = self.endpoint_of(raw, endpoints);
        let method = self.method(raw);
        let path = match &raw.path {
            Some(path) => self.path(path, captures),
            None => Some(super::template::Template::default()),
        };
        let query = self.pairs(&raw.query, captures);
        let headers = self.headers(&raw.headers, captures);
        let body = self.body(raw, captures).map(|b| b.map(Box::new));
        let timeout = raw.timeout.as_ref().map(|d| self.timeout(d));
        let max_body = raw.max_body.as_ref().map(|s| self.size(s));
        let retry = raw.retry.as_ref().map(|r| self.retry(r).map(Box::new));
        let output = match &raw.output {
            None => Some(Output::Stdout),
            Some(output) => match output.get().as_str() {
                "stdout" => Some(Output::Stdout),
                "none" => Some(Output::Discard),
                _ => self.file(output).map(|file| Output::File(Box::new(file))),
            },
        };
        let expect = match &raw.expect {
            Some(expect) => self.expect(expect, captures).map(|e| Some(Box::new(e))),
            None => Some(None),
        };
        let capture_list = self.captures(&raw.capture);
        Some(Request {
            name,
            endpoint: endpoint?,
            method: method?,
            path: path?,
            query: query?,
            headers: headers?,
            body: body?,
            timeout: timeout.transpose_none()?,
            max_body: max_body.transpose_none()?,
            decode: raw.decode.unwrap_or(true),
            retry: retry.transpose_none()?,
            output: output?,
            expectations: expect?,
            captures: capture_list?,
            span: raw.span(),
        })
    }

    fn endpoint_of(&mut self, raw: &Spanned<Box<RawRequest>>, endpoints: &[&str]) -> Option<usize> {
        match (&raw.endpoint, endpoints) {
            (None, [_]) => Some(0),
            (None, []) => {
                self.report(
                    self.error(
                        &raw.span(),
                        "the suite has no endpoint to send this request to",
                    )
                    .help("add an endpoint: [endpoints.api] with url = \"https://...\""),
                );
                None
            }
            (None, _) => {
                self.report(
                    self.error(
                        &raw.span(),
                        "this request needs `endpoint`: the suite has several",
                    )
                    .help(format!(
                        "add `endpoint = ` one of {}",
                        crate::diagnostic::quoted_list(endpoints)
                    )),
                );
                None
            }
            (Some(name), _) => {
                if let Some(index) = endpoints.iter().position(|e| e == name.get()) {
                    return Some(index);
                }
                let help = match crate::diagnostic::nearest(name.get(), endpoints) {
                    Some(near) => format!("did you mean \"{near}\"?"),
                    None if endpoints.is_empty() => {
                        "add an endpoint: [endpoints.api] with url = \"https://...\"".to_owned()
                    }
                    None => format!(
                        "the endpoints are {}",
                        crate::diagnostic::quoted_list(endpoints)
                    ),
                };
                self.report(
                    self.error(&name.span(), format!("unknown endpoint \"{}\"", name.get()))
                        .help(help),
                );
                None
            }
        }
    }

    fn method(&mut self, raw: &Spanned<Box<RawRequest>>) -> Option<Method> {
        let Some(method) = &raw.method else {
            return Some(Method::GET);
        };
        let (text, custom) = match method.get() {
            RawMethod::Standard(text) => (text.to_ascii_uppercase(), false),
            RawMethod::Custom(custom) => (custom.custom.clone(), true),
        };
        let parsed = Method::from_bytes(text.as_bytes())
            .ok()
            .filter(|_| !text.is_empty());
        match parsed {
            Some(parsed) if custom || STANDARD_METHODS.contains(&text.as_str()) => Some(parsed),
            // A single word that is not a standard method: a typo, unless asked for by name.
            Some(_) => {
                self.report(
                    self.error(
                        &method.span(),
                        format!("`{}` is not a standard HTTP method", method.text()),
                    )
                    .help(format!(
                        "use {}; to send this one anyway, write method = {{ custom = \"{}\" }}",
                        STANDARD_METHODS.join(", "),
                        method.text()
                    )),
                );
                None
            }
            None => {
                self.report(
                    self.error(
                        &method.span(),
                        format!("invalid HTTP method \"{}\"", method.text()),
                    )
                    .help(
                        "a method is one word of letters, digits or !#$%&'*+-.^_`|~, such as GET or POST",
                    ),
                );
                None
            }
        }
    }

    fn path(
        &mut self,
        raw: &Spanned<String>,
        captures: &CaptureNames,
    ) -> Option<super::template::Template> {
        if raw.contains("://") && !raw.starts_with('/') {
            self.report(
                self.error(&raw.span(), "`path` is a full URL")
                    .help("`path` is appended to the endpoint's URL; put the scheme and host in an endpoint's `url`"),
            );
            return None;
        }
        self.template(raw, captures)
    }

    /// Query parameters and form fields.
    fn pairs(
        &mut self,
        raw: &IndexMap<String, Spanned<Scalar>>,
        captures: &CaptureNames,
    ) -> Option<Vec<(String, super::template::Template)>> {
        let pairs: Vec<_> = raw
            .iter()
            .map(|(name, value)| self.scalar(value, captures).map(|v| (name.clone(), v)))
            .collect();
        pairs.into_iter().collect()
    }

    fn body(&mut self, raw: &RawRequest, captures: &CaptureNames) -> Option<Option<Body>> {
        let given: Vec<(&str, crate::diagnostic::Span)> = [
            ("body", raw.body.as_ref().map(Spanned::span)),
            ("json", raw.json.as_ref().map(Spanned::span)),
            ("form", raw.form.as_ref().map(Spanned::span)),
            ("body_file", raw.body_file.as_ref().map(Spanned::span)),
            ("multipart", raw.multipart.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(key, span)| span.map(|s| (key, s)))
        .collect();
        if let [(first, _), (second, span), ..] = given.as_slice() {
            self.report(
                self.error(
                    span,
                    format!("`{second}` and `{first}` cannot both be given"),
                )
                .help("a request has one body: `body`, `json`, `form`, `body_file` or `multipart`"),
            );
            return None;
        }
        if let Some(text) = &raw.body {
            return self.template(text, captures).map(|t| Some(Body::Text(t)));
        }
        if let Some(json) = &raw.json {
            let span = json.span();
            return self
                .value(&json.get().0, &span, captures)
                .map(|v| Some(Body::Json(v)));
        }
        if let Some(form) = &raw.form {
            return self
                .pairs(form.get(), captures)
                .map(|f| Some(Body::Form(f)));
        }
        if let Some(file) = &raw.body_file {
            return self.existing_file(file).map(|f| Some(Body::File(f)));
        }
        if let Some(fields) = &raw.multipart {
            let mut parts = Vec::new();
            let mut ok = true;
            for (name, part) in fields.get().iter() {
                let part = match part.get() {
                    RawPart::Text(text) => {
                        let spanned = Spanned::new(part.span(), text.clone());
                        self.template(&spanned, captures).map(Part::Text)
                    }
                    RawPart::File(upload) => {
                        let path = Spanned::new(part.span(), upload.file.clone());
                        self.existing_file(&path).map(|file| {
                            let own_name = file
                                .path
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default();
                            Part::File {
                                file,
                                content_type: upload
                                    .content_type
                                    .clone()
                                    .unwrap_or_else(|| "application/octet-stream".to_owned()),
                                filename: upload.filename.clone().unwrap_or(own_name),
                            }
                        })
                    }
                };
                match part {
                    Some(part) => parts.push((name.clone(), part)),
                    None => ok = false,
                }
            }
            return ok.then_some(Some(Body::Multipart(parts)));
        }
        Some(None)
    }

    /// A file sent with a request, checked now, so a missing one stops the run before anything
    /// is sent.
    fn existing_file(&mut self, raw: &Spanned<String>) -> Option<FileRef> {
        let file = self.file(raw)?;
        if !file.path.is_file() {
            self.report(
                self.error(&file.span, format!("{} is not a file", file.shown))
                    .help(format!(
                        "looked for {}; paths are relative to the suite file's folder",
                        file.path.display()
                    )),
            );
            return None;
        }
        Some(file)
    }

    /// A TOML value as a JSON value; its strings may use variables. Date-times become strings.
    pub fn value(
        &mut self,
        raw: &toml::Value,
        span: &crate::diagnostic::Span,
        captures: &CaptureNames,
    ) -> Option<Value> {
        Some(match raw {
            toml::Value::String(text) => {
                let spanned = Spanned::new(span.clone(), text.clone());
                Value::String(self.template(&spanned, captures)?)
            }
            toml::Value::Integer(n) => Value::Integer(*n),
            toml::Value::Float(n) => Value::Float(*n),
            toml::Value::Boolean(b) => Value::Bool(*b),
            toml::Value::Datetime(d) => {
                Value::String(super::template::Template::literal(d.to_string()))
            }
            toml::Value::Array(items) => {
                let items: Vec<_> = items
                    .iter()
                    .map(|item| self.value(item, span, captures))
                    .collect();
                Value::Array(items.into_iter().collect::<Option<_>>()?)
            }
            toml::Value::Table(table) => {
                let fields: Vec<_> = table
                    .iter()
                    .map(|(key, item)| self.value(item, span, captures).map(|v| (key.clone(), v)))
                    .collect();
                Value::Object(fields.into_iter().collect::<Option<_>>()?)
            }
        })
    }

    fn retry(&mut self, raw: &Spanned<Box<RawRetry>>) -> Option<Retry> {
        let retry = raw.get();
        let interval = retry.interval.as_ref().map(|d| self.duration(d, false));
        let max_interval = retry.max_interval.as_ref().map(|d| self.duration(d, true));
        let backoff_factor = match &retry.backoff_factor {
            None => Some(1.0),
            Some(factor) if (1.0..=MAX_BACKOFF_FACTOR).contains(factor.get()) => {
                Some(*factor.get())
            }
            Some(factor) => {
                self.report(
                    self.error(
                        &factor.span(),
                        format!("`backoff_factor` must be from 1.0 to {MAX_BACKOFF_FACTOR}"),
                    )
                    .help("1.0 waits the same `interval` each time; 2.0 doubles it"),
                );
                None
            }
        };
        let count = if retry.count.get() <= &MAX_RETRIES {
            Some(*retry.count.get())
        } else {
            self.report(
                self.error(
                    &retry.count.span(),
                    format!("`count` is at most {MAX_RETRIES} retries"),
                )
                .help("a smoke test that needs more waits longer instead: raise `interval` or `backoff_factor`"),
            );
            None
        };
        let interval = interval.transpose_none()?.unwrap_or(DEFAULT_RETRY_INTERVAL);
        let max_interval = max_interval.transpose_none()?;
        if let (Some(max), Some(raw_max)) = (max_interval, &retry.max_interval)
            && max < interval
        {
            self.report(
                self.error(
                    &raw_max.span(),
                    format!(
                        "`max_interval` ({}) is shorter than `interval` ({})",
                        super::duration::show(max),
                        super::duration::show(interval)
                    ),
                )
                .help(
                    "`max_interval` caps the waits, the first one too: make it at least `interval`",
                ),
            );
            return None;
        }
        let mut on_status = Vec::new();
        let mut ok = true;
        for status in &retry.on_status {
            if (100..=599).contains(status.get()) {
                on_status.push(*status.get());
            } else {
                self.report(
                    self.error(
                        &status.span(),
                        format!("{} is not an HTTP status", status.get()),
                    )
                    .help("statuses run from 100 to 599"),
                );
                ok = false;
            }
        }
        Some(Retry {
            count: count?,
            interval,
            backoff_factor: backoff_factor?,
            max_interval,
            on_status: ok.then_some(on_status)?,
            until_expect: retry.until_expect,
        })
    }
}

/// The most retries a request may ask for (spec §7).
const MAX_RETRIES: u32 = 1_000;
/// The largest `backoff_factor`: beyond it the second wait is already the longest.
const MAX_BACKOFF_FACTOR: f64 = 100.0;

/// The wait before a retry when `interval` is not given.
const DEFAULT_RETRY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);

/// The name a request gets without `name`: "METHOD path".
pub fn default_name(raw: &RawRequest) -> String {
    let method = raw.method.as_ref().map_or_else(
        || "GET".to_owned(),
        |m| match m.get() {
            RawMethod::Standard(text) => text.to_ascii_uppercase(),
            RawMethod::Custom(custom) => custom.custom.clone(),
        },
    );
    let path = raw.path.as_ref().map_or("/", |p| p.get().as_str());
    format!("{method} {path}")
}
