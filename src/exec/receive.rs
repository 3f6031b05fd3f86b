//! The response body: streamed to where the request sends it (stdout, a file, nowhere), and
//! kept in memory only when something needs it whole (JSON to pretty-print, `--output json`,
//! expectations and captures on the body).

use std::io::Write;

use tokio::io::AsyncWriteExt;

use crate::config::suite::{Output, Request};
use crate::report::Body;
use crate::report::payload::{self, BodyKind, OutputMode, Redactor};

/// What was received of a body.
#[derive(Debug, Default)]
pub struct Received {
    /// For `--output json` and reports.
    pub body: Body,
    /// The whole body, when kept.
    pub kept: Option<Vec<u8>>,
}

/// Whether the request's expectations or captures read the body.
fn body_is_read(request: &Request) -> bool {
    !request.expect.json.is_empty() || request.expect.body.is_some() || !request.captures.is_empty()
}

/// Reads the body to its end, writing it where it goes.
pub async fn receive(
    mut response: reqwest::Response,
    request: &Request,
    mode: OutputMode,
    stdout: &mut (dyn Write + Send),
    redactor: &Redactor,
) -> Result<Received, String> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut first = response.chunk().await.map_err(|e| body_error(&e))?;
    let kind = payload::body_kind(
        content_type.as_deref(),
        first.as_deref().unwrap_or_default(),
    );
    let to_stdout = matches!(request.output, Output::Stdout);
    // Pretty output streams text and binary as it comes; JSON, and anything with secrets to
    // hide, is printed whole.
    let print_whole = to_stdout
        && mode == OutputMode::Pretty
        && (kind == BodyKind::Json || (kind == BodyKind::Text && !redactor.is_empty()));
    let stream_stdout = to_stdout && mode == OutputMode::Pretty && !print_whole;
    let keep = body_is_read(request) || print_whole || (to_stdout && mode == OutputMode::Json);
    let mut file = match &request.output {
        Output::File(target) => Some(
            tokio::fs::File::create(&target.path)
                .await
                .map(tokio::io::BufWriter::new)
                .map_err(|e| {
                    format!(
                        "cannot write {}: {}",
                        target.shown,
                        crate::error::io_reason(&e)
                    )
                })?,
        ),
        _ => None,
    };
    let binary_on_terminal = stream_stdout
        && kind == BodyKind::Binary
        && std::io::IsTerminal::is_terminal(&std::io::stdout());
    let mut kept = keep.then(Vec::new);
    let mut bytes = 0u64;
    while let Some(chunk) = first.take() {
        bytes += chunk.len() as u64;
        if let Some(file) = &mut file {
            file.write_all(&chunk).await.map_err(|e| {
                format!(
                    "cannot write the body to its file: {}",
                    crate::error::io_reason(&e)
                )
            })?;
        }
        if stream_stdout && !binary_on_terminal {
            stdout
                .write_all(&chunk)
                .map_err(|e| format!("cannot write to stdout: {}", crate::error::io_reason(&e)))?;
        }
        if let Some(kept) = &mut kept {
            kept.extend_from_slice(&chunk);
        }
        first = response.chunk().await.map_err(|e| body_error(&e))?;
    }
    if let Some(mut file) = file {
        file.flush().await.map_err(|e| {
            format!(
                "cannot write the body to its file: {}",
                crate::error::io_reason(&e)
            )
        })?;
    }
    if binary_on_terminal {
        payload::print_binary(stdout, &[]).ok();
    } else if stream_stdout && kind == BodyKind::Text && bytes > 0 {
        // Keep the next payload on a line of its own.
        let _ = stdout.write_all(b"\n");
    }
    if print_whole && let Some(body) = &kept {
        payload::print_body(stdout, kind, body, redactor)
            .map_err(|e| format!("cannot write to stdout: {e}"))?;
    }
    let body = match (&request.output, &kept, kind) {
        (Output::File(target), _, _) => Body::Elsewhere {
            bytes,
            file: Some(target.shown.clone()),
        },
        (Output::Discard, _, _) | (_, None, _) => Body::Elsewhere { bytes, file: None },
        (_, Some(body), BodyKind::Json) => {
            match serde_json::from_slice::<serde_json::Value>(body) {
                Ok(mut value) => {
                    redactor.redact_json(&mut value);
                    Body::Json(value)
                }
                Err(_) => Body::Text(redactor.redact(&String::from_utf8_lossy(body))),
            }
        }
        (_, Some(body), BodyKind::Text) => {
            Body::Text(redactor.redact(&String::from_utf8_lossy(body)))
        }
        (_, Some(_), BodyKind::Binary) => Body::Elsewhere { bytes, file: None },
    };
    Ok(Received { body, kept })
}

fn body_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the response body did not arrive in time".to_owned()
    } else {
        format!("the response body broke off: {error}")
    }
}
