//! Turning a request of the suite into an HTTP request: captures filled in, the path joined to
//! the endpoint's URL, query, headers and body.

use http::HeaderValue;
use http::header::CONTENT_TYPE;
use url::Url;

use crate::client::EndpointClient;
use crate::config::suite::{Body, Endpoint, FileRef, Part, Request};
use crate::config::template::Captures;

/// A request ready to send, and how it may be shown. `Debug` shows only what may be shown.
pub struct Prepared {
    /// Built, ready for the endpoint's client to execute.
    pub request: reqwest::Request,
    /// The URL with secrets as `***`.
    pub url_shown: String,
    /// The URL as the suite names it (the endpoint's host, even with a `server_name`): where a
    /// redirect's `Location` is resolved and origins are compared.
    pub logical: Url,
    /// Every header sent, by name, as it may be shown (what the suite set from its
    /// templates, the client's own, content-length, a sensitive value as `***`).
    pub headers_shown: Vec<(String, String)>,
    /// The body sent, as `-vv` shows it: text (cut at 2 KiB), or what it is.
    pub body_shown: Option<String>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("url_shown", &self.url_shown)
            .field("headers_shown", &self.headers_shown)
            .finish_non_exhaustive()
    }
}

/// Why a request could not be prepared.
#[derive(Debug)]
pub enum PrepareError {
    /// A capture it uses has no value.
    MissingCapture(String),
    /// The URL, a header or the body file is unusable.
    Invalid(String),
}

/// `base` + `path`: the path is appended to the base's path, with one `/` between.
fn join(base: &Url, path: &str) -> Result<Url, String> {
    if path.is_empty() {
        return Ok(base.clone());
    }
    // Most requests: what is appended starts a path of its own, so it is parsed as a reference
    // from the base (the URL standard's path-absolute case), and the base's scheme, host and
    // port are taken as they were parsed. Parsing them again was 2,600 instructions of the
    // 71,000 a request costs. A reference that could name another host (`//`, `/\`) or that
    // is relative to the base's query is parsed whole, as is anything the reference refuses.
    if base.query().is_none() && base.fragment().is_none() {
        let own = base.path().trim_end_matches('/');
        let whole = [own, separator(path), path].concat();
        if whole.starts_with('/')
            && !whole[1..].starts_with(['/', '\\'])
            && let Ok(url) = base.join(&whole)
        {
            return Ok(url);
        }
    }
    parse_joined(base, path)
}

/// `base` + `path`, the text joined and parsed whole.
fn parse_joined(base: &Url, path: &str) -> Result<Url, String> {
    let base = base.as_str().trim_end_matches('/');
    let separator = separator(path);
    Url::parse(&format!("{base}{separator}{path}"))
        .map_err(|e| format!("invalid URL {base}{separator}{path}: {e}"))
}

/// What goes between a base and a path: nothing when the path starts its own path or query.
fn separator(path: &str) -> &'static str {
    if path.starts_with(['/', '?']) {
        ""
    } else {
        "/"
    }
}

/// The URL as it may be shown, built from what may be shown of each part (the endpoint's URL
/// with secrets as `***`, the path, the query), never from the URL sent: a secret in the
/// userinfo, host, path or query never reaches it.
fn shown_url(base_shown: &str, path_shown: &str, query: &[(String, String)]) -> String {
    let base = base_shown.trim_end_matches('/');
    let separator = if path_shown.is_empty() || path_shown.starts_with(['/', '?']) {
        ""
    } else {
        "/"
    };
    let mut shown = format!("{base}{separator}{path_shown}");
    // What parses is shown as the URL would be written (a bare host gets its `/`).
    if let Ok(url) = Url::parse(&shown) {
        shown = url.to_string();
    }
    with_query(shown, query)
}

/// `shown` with the query parameters added, as shown.
fn with_query(mut shown: String, query: &[(String, String)]) -> String {
    if !query.is_empty() {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in query {
            pairs.append_pair(name, value);
        }
        shown.push(if shown.contains('?') { '&' } else { '?' });
        shown.push_str(&pairs.finish());
    }
    shown
}

/// The request's first hop, to the endpoint.
/// `shown`: the headers and body sent are worked out for `-v` (nothing shows them otherwise).
pub async fn prepare(
    client: &EndpointClient,
    endpoint: &Endpoint,
    request: &Request,
    captures: &Captures,
    shown: bool,
) -> Result<Prepared, PrepareError> {
    let base_shown = &endpoint.url_shown;
    let missing = PrepareError::MissingCapture;
    let path = request.path.render(captures).map_err(missing)?;
    let mut url = join(&client.base, &path.value).map_err(PrepareError::Invalid)?;
    // Nothing secret in the base or the path: what is shown of them is what was joined, without
    // parsing it a second time.
    let same_base = base_shown.trim_end_matches('/') == client.base.as_str().trim_end_matches('/');
    let plain = (same_base && path.shown == path.value).then(|| url.to_string());
    let mut query_shown = Vec::new();
    for (name, value) in &request.query {
        let value = value.render(captures).map_err(missing)?;
        url.query_pairs_mut().append_pair(name, &value.value);
        query_shown.push((name.clone(), value.shown));
    }
    let url_shown = match plain {
        Some(plain) => with_query(plain, &query_shown),
        None => shown_url(base_shown, &path.shown, &query_shown),
    };
    // The URL as the user wrote it: with a `server_name` or `connect_to`, the one sent names
    // another host or port.
    let mut logical = url.clone();
    if logical.host_str() != endpoint.url.host_str() {
        let _ = logical.set_host(endpoint.url.host_str());
    }
    if logical.port() != endpoint.url.port() {
        let _ = logical.set_port(endpoint.url.port());
    }
    let builder = client.http.request(request.method.clone(), url);
    let limit = request.timeout.unwrap_or(endpoint.timeout);
    let (builder, suite_headers) = fill(builder, request, captures, true, true, limit).await?;
    let built = builder
        .build()
        .map_err(|e| PrepareError::Invalid(format!("the request cannot be built: {e}")))?;
    let (headers_shown, body_shown) = if shown {
        (
            sent_headers(&built, &client.defaults_shown, &suite_headers),
            body_shown(&built, request),
        )
    } else {
        (Vec::new(), None)
    };
    Ok(Prepared {
        request: built,
        url_shown,
        logical,
        headers_shown,
        body_shown,
    })
}

/// A later hop of a redirect.
#[derive(Debug)]
pub struct NextHop {
    pub method: http::Method,
    /// As sent.
    pub url: Url,
    /// The request's own headers go too.
    pub suite_headers: bool,
    /// Its body goes again.
    pub body: bool,
    pub limit: Option<std::time::Duration>,
}

/// A later hop of a redirect, through `http`.
pub async fn prepare_hop(
    http: &reqwest::Client,
    next: NextHop,
    request: &Request,
    captures: &Captures,
) -> Result<reqwest::RequestBuilder, PrepareError> {
    let builder = http.request(next.method, next.url);
    let filled = fill(
        builder,
        request,
        captures,
        next.suite_headers,
        next.body,
        next.limit,
    );
    Ok(filled.await?.0)
}

/// Every header a built request sends, as it may be shown: the suite's own from their
/// templates, the client's defaults unless the request replaces them, what the request builder
/// added (content-type, Basic credentials: a sensitive value is `***`), and content-length.
fn sent_headers(
    built: &reqwest::Request,
    defaults: &[(String, String)],
    suite: &[(String, String)],
) -> Vec<(String, String)> {
    let mut shown: Vec<(String, String)> = defaults
        .iter()
        .filter(|(name, _)| !built.headers().contains_key(name.as_str()))
        .cloned()
        .collect();
    for (name, value) in built.headers() {
        let value = match suite.iter().find(|(n, _)| n == name.as_str()) {
            Some((_, shown)) => shown.clone(),
            None if value.is_sensitive() => crate::secret::REDACTED.to_owned(),
            None => String::from_utf8_lossy(value.as_bytes()).into_owned(),
        };
        shown.push((name.to_string(), value));
    }
    let length = built
        .body()
        .and_then(reqwest::Body::as_bytes)
        .map(<[u8]>::len);
    if let Some(length) = length
        && !built.headers().contains_key(http::header::CONTENT_LENGTH)
        && (length > 0 || built.method() != http::Method::GET)
    {
        shown.push(("content-length".to_owned(), length.to_string()));
    }
    shown.sort_by(|a, b| a.0.cmp(&b.0));
    shown
}

/// The body a request sends, as `-vv` shows it (before secrets are hidden in it).
fn body_shown(built: &reqwest::Request, request: &Request) -> Option<String> {
    match (
        request.body.as_deref(),
        built.body().and_then(reqwest::Body::as_bytes),
    ) {
        (Some(Body::File(file)), _) => Some(format!("[the file {}, streamed]", file.shown)),
        (Some(Body::Multipart(parts)), _) => {
            Some(format!("[a multipart form of {} fields]", parts.len()))
        }
        (_, Some([])) => None,
        (_, Some(bytes)) => Some(match std::str::from_utf8(bytes) {
            Ok(text) => crate::words::cut(text),
            Err(_) => format!("[binary, {} bytes]", bytes.len()),
        }),
        _ => None,
    }
}

/// A file as a streamed body, and its length: a large upload is never held in memory.
async fn streamed(file: &FileRef) -> Result<(reqwest::Body, Option<u64>), PrepareError> {
    let opened = tokio::fs::File::open(&file.path).await.map_err(|e| {
        PrepareError::Invalid(format!(
            "cannot read {}: {}",
            file.shown,
            crate::words::io_reason(&e)
        ))
    })?;
    let length = opened.metadata().await.map(|m| m.len()).ok();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(opened));
    Ok((body, length))
}

/// The request's headers, body and timeout on a request being built.
async fn fill(
    mut builder: reqwest::RequestBuilder,
    request: &Request,
    captures: &Captures,
    with_headers: bool,
    with_body: bool,
    limit: Option<std::time::Duration>,
) -> Result<(reqwest::RequestBuilder, Vec<(String, String)>), PrepareError> {
    let missing = PrepareError::MissingCapture;
    let mut headers_shown = Vec::new();
    let mut has_content_type = false;
    let headers = if with_headers {
        &request.headers[..]
    } else {
        &[]
    };
    for header in headers {
        let value = header.value.render(captures).map_err(missing)?;
        let mut header_value = HeaderValue::from_str(&value.value).map_err(|_| {
            PrepareError::Invalid(format!(
                "the value of header `{}` is not a valid header value",
                header.name
            ))
        })?;
        header_value.set_sensitive(value.value != value.shown);
        has_content_type |= header.name == CONTENT_TYPE;
        headers_shown.push((header.name.to_string(), value.shown));
        builder = builder.header(header.name.clone(), header_value);
    }
    let content_type = |builder: reqwest::RequestBuilder, value: &'static str| {
        if has_content_type {
            builder
        } else {
            builder.header(CONTENT_TYPE, value)
        }
    };
    let body = if with_body {
        request.body.as_deref()
    } else {
        None
    };
    builder = match body {
        None => builder,
        Some(Body::Text(text)) => builder.body(text.render(captures).map_err(missing)?.value),
        Some(Body::Json(value)) => {
            let json = value.render(captures).map_err(missing)?;
            let bytes =
                serde_json::to_vec(&json).map_err(|e| PrepareError::Invalid(e.to_string()))?;
            content_type(builder, "application/json").body(bytes)
        }
        Some(Body::Form(fields)) => {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            for (name, value) in fields {
                form.append_pair(name, &value.render(captures).map_err(missing)?.value);
            }
            content_type(builder, "application/x-www-form-urlencoded").body(form.finish())
        }
        Some(Body::File(file)) => {
            let (body, length) = streamed(file).await?;
            let builder = content_type(builder, "application/octet-stream").body(body);
            match length {
                Some(length) => builder.header(http::header::CONTENT_LENGTH, length),
                None => builder,
            }
        }
        Some(Body::Multipart(parts)) => {
            let mut form = reqwest::multipart::Form::new();
            for (name, part) in parts {
                form = match part {
                    Part::Text(text) => {
                        form.text(name.clone(), text.render(captures).map_err(missing)?.value)
                    }
                    Part::File {
                        file,
                        content_type,
                        filename,
                    } => {
                        let (body, length) = streamed(file).await?;
                        let part = match length {
                            Some(length) => {
                                reqwest::multipart::Part::stream_with_length(body, length)
                            }
                            None => reqwest::multipart::Part::stream(body),
                        };
                        let part = part
                            .file_name(filename.clone())
                            .mime_str(content_type)
                            .map_err(|_| {
                                PrepareError::Invalid(format!(
                                    "`{content_type}` is not a media type (the content_type of {})",
                                    file.shown
                                ))
                            })?;
                        form.part(name.clone(), part)
                    }
                };
            }
            // reqwest sets the Content-Type with the form's boundary.
            builder.multipart(form)
        }
    };
    if let Some(limit) = limit {
        builder = builder.timeout(limit);
    }
    Ok((builder, headers_shown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_paths_to_the_base() {
        let base = Url::parse("https://h:1/api/").ok();
        let joined = |path| {
            base.as_ref()
                .and_then(|b| join(b, path).ok())
                .map(|u| u.to_string())
        };
        assert_eq!(joined("/get").as_deref(), Some("https://h:1/api/get"));
        assert_eq!(
            joined("get?x=1").as_deref(),
            Some("https://h:1/api/get?x=1")
        );
        assert_eq!(joined("").as_deref(), Some("https://h:1/api/"));
        assert_eq!(joined("?q=1").as_deref(), Some("https://h:1/api?q=1"));
    }

    /// A path joined by reference from the base is the URL the joined text parses to, for
    /// paths that climb, repeat slashes, name another host, hold spaces, escapes, non-ASCII
    /// text, queries and fragments.
    #[test]
    fn a_path_joined_by_reference_is_the_url_parsed_whole() {
        let bases = [
            "https://h:1/api/",
            "https://h:1/api",
            "https://h:1",
            "https://u:p@h:1/a/b/",
            "http://127.0.0.1:8080/",
            "https://[::1]:8443/x",
            "https://h/%7Euser/",
            "https://h/a?x=1",
            "https://h/a#f",
            "https://xn--bcher-kva.example/",
        ];
        let paths = [
            "/get",
            "get",
            "?q=1",
            "/get?x=1#f",
            "a/../b",
            "/./c",
            "..",
            "/..",
            "//evil.com/x",
            "/\\evil.com",
            "\\x",
            "/a b",
            "/é",
            "/%zz",
            "/a\tb",
            "/get ",
            "?",
            "#frag",
            "/a?b#c",
            "x:y",
            "/x:y@z",
            "/@evil.com",
            ":8080/x",
            "//",
            "/",
            "?a=1&b=2",
        ];
        for base in bases {
            let base = Url::parse(base).expect("a valid base");
            for path in paths {
                assert_eq!(
                    join(&base, path),
                    parse_joined(&base, path),
                    "{base} + {path}"
                );
            }
        }
    }

    #[test]
    fn shows_urls_from_what_may_be_shown() {
        let query = [("token".to_owned(), "***".to_owned())];
        assert_eq!(
            shown_url("https://smoke:***@h:1", "/get", &query),
            "https://smoke:***@h:1/get?token=***"
        );
        assert_eq!(shown_url("https://***/x", "***", &[]), "https://***/x/***");
        assert_eq!(shown_url("https://h:1", "", &[]), "https://h:1/");
    }
}
