//! The routes of `runner serve`, httpbin-style: `/get`, `/anything`, `/headers`,
//! `/status/{code}`, `/delay/{ms}`, `/bytes/{n}`, `/redirect/{n}` (n redirects, then `/get`),
//! `/redirect-to?url=URL&status_code=302` (one redirect anywhere), `/response-headers?NAME=VALUE`
//! (answers with those headers), `/cookies/set?NAME=VALUE` (sets cookies), `/cookies` (the cookies
//! received), `/gzip`, `/deflate`, `/brotli`, `/zstd` (the echo, so compressed), and `/flaky/{n}`
//! (503 for the first n calls).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use serde_json::{Value, json};
use tracing::info;

use super::body::{self, ResponseBody};
use super::{Session, State};

/// Request bodies larger than this are counted, not echoed.
const ECHO_LIMIT: usize = 1024 * 1024;
/// The longest `/delay/{ms}` waits.
const MAX_DELAY: Duration = Duration::from_secs(60);

pub async fn handle(
    request: Request<Incoming>,
    session: Arc<Session>,
    state: Arc<State>,
) -> Result<Response<ResponseBody>, Infallible> {
    let method = request.method().to_string();
    let path = request.uri().path().to_owned();
    let earlier = state.count(&path);
    let response = route(request, &session, earlier).await;
    let status = response.status().as_u16();
    state.record(&method, &path, status);
    let client = session
        .client_certificate
        .as_ref()
        .map_or("no client certificate", |c| c.subject.as_str());
    info!(method = %method, path = %path, status, "serve: {method} {path} -> {status} ({}, {client})", session.version);
    Ok(response)
}

async fn route(
    request: Request<Incoming>,
    session: &Session,
    earlier: usize,
) -> Response<ResponseBody> {
    let path = request.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_start_matches('/').splitn(2, '/').collect();
    match segments.as_slice() {
        ["get"] | ["anything"] | ["anything", _] => echo(request, session).await,
        ["headers"] => json_response(StatusCode::OK, &json!({ "headers": headers(&request) })),
        ["status", code] => match code
            .parse::<u16>()
            .ok()
            .and_then(|c| StatusCode::from_u16(c).ok())
        {
            Some(status) => json_response(status, &json!({ "status": status.as_u16() })),
            None => error(
                StatusCode::BAD_REQUEST,
                "the status must be a number from 100 to 999",
            ),
        },
        ["delay", ms] => match ms.parse::<u64>() {
            Ok(ms) => {
                tokio::time::sleep(Duration::from_millis(ms).min(MAX_DELAY)).await;
                echo(request, session).await
            }
            Err(_) => error(
                StatusCode::BAD_REQUEST,
                "the delay is a number of milliseconds",
            ),
        },
        ["bytes", n] => match n.parse::<u64>() {
            Ok(length) => built(
                Response::builder()
                    .header(header::CONTENT_TYPE, "application/octet-stream")
                    .header(header::CONTENT_LENGTH, length)
                    .body(body::pattern(length)),
            ),
            Err(_) => error(StatusCode::BAD_REQUEST, "the length is a number of bytes"),
        },
        ["redirect", n] => match n.parse::<u32>() {
            Ok(n) => {
                let location = if n <= 1 {
                    "/get".to_owned()
                } else {
                    format!("/redirect/{}", n - 1)
                };
                built(
                    Response::builder()
                        .status(StatusCode::FOUND)
                        .header(header::LOCATION, location)
                        .body(body::full("")),
                )
            }
            Err(_) => error(
                StatusCode::BAD_REQUEST,
                "the number of redirects is a number",
            ),
        },
        ["redirect-to"] => {
            let query = request.uri().query().unwrap_or_default();
            let mut location = None;
            let mut status = StatusCode::FOUND;
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                match name.as_ref() {
                    "url" => location = Some(value.into_owned()),
                    "status_code" => {
                        status = value
                            .parse::<u16>()
                            .ok()
                            .and_then(|c| StatusCode::from_u16(c).ok())
                            .filter(StatusCode::is_redirection)
                            .unwrap_or(StatusCode::FOUND);
                    }
                    _ => {}
                }
            }
            match location {
                Some(location) => Response::builder()
                    .status(status)
                    .header(header::LOCATION, location)
                    .body(body::full(""))
                    .unwrap_or_else(|_| {
                        error(
                            StatusCode::BAD_REQUEST,
                            "the url is not a valid Location header",
                        )
                    }),
                None => error(StatusCode::BAD_REQUEST, "give the target as ?url=URL"),
            }
        }
        [encoding @ ("gzip" | "deflate" | "brotli" | "zstd")] => {
            let echoed = echo(request, session).await;
            let plain = echoed
                .into_body()
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            match compress(encoding, &plain) {
                Ok((name, bytes)) => built(
                    Response::builder()
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::CONTENT_ENCODING, name)
                        .body(body::full(bytes)),
                ),
                Err(e) => error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &format!("cannot compress: {e}"),
                ),
            }
        }
        ["cookies"] => {
            let cookies: serde_json::Map<String, Value> = request
                .headers()
                .get_all(header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .map(|(name, value)| (name.to_owned(), Value::String(value.to_owned())))
                .collect();
            json_response(StatusCode::OK, &json!({ "cookies": cookies }))
        }
        ["cookies", "set"] => {
            let query = request.uri().query().unwrap_or_default().to_owned();
            let mut response = json_response(StatusCode::OK, &json!({ "set": query }));
            for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
                if let Ok(cookie) =
                    header::HeaderValue::from_str(&format!("{name}={value}; Path=/"))
                {
                    response.headers_mut().append(header::SET_COOKIE, cookie);
                }
            }
            response
        }
        ["response-headers"] => {
            let query = request.uri().query().unwrap_or_default().to_owned();
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            let mut response = json_response(
                StatusCode::OK,
                &Value::Object(
                    pairs
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
            for (name, value) in &pairs {
                if let (Ok(name), Ok(value)) = (
                    header::HeaderName::from_bytes(name.as_bytes()),
                    header::HeaderValue::from_bytes(value.as_bytes()),
                ) {
                    response.headers_mut().append(name, value);
                }
            }
            response
        }
        ["flaky", n] => match n.parse::<usize>() {
            Ok(failures) if earlier < failures => {
                error(StatusCode::SERVICE_UNAVAILABLE, "not ready yet")
            }
            Ok(_) => echo(request, session).await,
            Err(_) => error(
                StatusCode::BAD_REQUEST,
                "the number of failures is a number",
            ),
        },
        _ => json_response(
            StatusCode::NOT_FOUND,
            &json!({
                "error": format!("no route {path}"),
                "routes": ["/get", "/anything", "/headers", "/status/{code}", "/delay/{ms}", "/bytes/{n}", "/redirect/{n}", "/redirect-to?url=URL", "/response-headers?NAME=VALUE", "/cookies", "/cookies/set?NAME=VALUE", "/flaky/{n}"],
            }),
        ),
    }
}

fn headers<B>(request: &Request<B>) -> BTreeMap<String, String> {
    request
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The request as the server saw it, with its TLS session.
async fn echo(request: Request<Incoming>, session: &Session) -> Response<ResponseBody> {
    let (parts, mut incoming) = request.into_parts();
    let mut body = Vec::new();
    let mut size = 0usize;
    while let Some(frame) = incoming.frame().await {
        let Ok(frame) = frame else {
            return error(StatusCode::BAD_REQUEST, "the request body broke off");
        };
        if let Some(data) = frame.data_ref() {
            size += data.len();
            if body.len() + data.len() <= ECHO_LIMIT {
                body.extend_from_slice(data);
            }
        }
    }
    let scheme_host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_owned);
    let host = parts
        .uri
        .authority()
        .map(ToString::to_string)
        .or(scheme_host)
        .unwrap_or_default();
    let url = format!(
        "https://{host}{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let args: BTreeMap<String, String> = parts
        .uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let form: BTreeMap<String, String> =
        if content_type.starts_with("application/x-www-form-urlencoded") {
            url::form_urlencoded::parse(&body).into_owned().collect()
        } else {
            BTreeMap::new()
        };
    let fake = Request::from_parts(parts.clone(), ());
    let answer = json!({
        "method": parts.method.as_str(),
        "url": url,
        "path": parts.uri.path(),
        "args": args,
        "headers": headers(&fake),
        "json": serde_json::from_slice::<Value>(&body).ok(),
        "form": form,
        "data": if size <= ECHO_LIMIT { Value::String(String::from_utf8_lossy(&body).into_owned()) } else { Value::Null },
        "bytes": size,
        "tls": session,
    });
    json_response(StatusCode::OK, &answer)
}

fn json_response(status: StatusCode, value: &Value) -> Response<ResponseBody> {
    let mut text = serde_json::to_vec_pretty(value).unwrap_or_default();
    text.push(b'\n');
    let mut response = Response::new(body::full(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}

/// The response a builder made, or a 500 naming the failure if its parts did not fit.
fn built(response: http::Result<Response<ResponseBody>>) -> Response<ResponseBody> {
    response.unwrap_or_else(|_| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot build the response",
        )
    })
}

fn error(status: StatusCode, message: &str) -> Response<ResponseBody> {
    json_response(status, &json!({ "error": message }))
}

/// `body` compressed as `encoding` asks, with the Content-Encoding name for it.
fn compress(encoding: &str, body: &[u8]) -> std::io::Result<(&'static str, Vec<u8>)> {
    use std::io::Write;
    match encoding {
        "gzip" => {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body)?;
            Ok(("gzip", encoder.finish()?))
        }
        "deflate" => {
            let mut encoder =
                flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(body)?;
            Ok(("deflate", encoder.finish()?))
        }
        "brotli" => {
            let mut out = Vec::new();
            {
                let mut encoder = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
                encoder.write_all(body)?;
            }
            Ok(("br", out))
        }
        _ => Ok(("zstd", zstd::encode_all(body, 3)?)),
    }
}
