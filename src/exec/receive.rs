//! The response body: streamed to where the request sends it (stdout, a file, nowhere), and
//! kept in memory only when something needs it whole (JSON to pretty-print, `--output json`,
//! expectations and captures on the body). Whole bodies are printed after the captures, so a
//! secret a request captures is hidden in its own payload too.

use std::io::Write;

use tokio::io::AsyncWriteExt;

use crate::config::suite::{Output, Request};
use crate::report::Body;
use crate::report::payload::{self, BodyKind, OutputMode, Redactor};

/// What was received of a body.
#[derive(Debug)]
pub struct Received {
    /// The whole body, when kept.
    pub kept: Option<Vec<u8>>,
    pub kind: BodyKind,
    pub bytes: u64,
    /// Still to be printed whole on stdout.
    print_whole: bool,
}

/// Whether the request's expectations or captures read the body.
fn body_is_read(request: &Request) -> bool {
    !request.expect.json.is_empty() || request.expect.body.is_some() || !request.captures.is_empty()
}

fn write_error(error: &std::io::Error) -> String {
    format!("cannot write the body: {}", crate::error::io_reason(error))
}

/// Reads the body to its end, streaming it where it goes.
pub async fn receive(
    mut response: reqwest::Response,
    request: &Request,
    mode: OutputMode,
    stdout: &mut (dyn Write + Send),
    redactor: &Redactor,
    keep_anyway: bool,
) -> Result<Received, String> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut next = response.chunk().await.map_err(|e| body_error(&e))?;
    let kind = payload::body_kind(content_type.as_deref(), next.as_deref().unwrap_or_default());
    let to_stdout = matches!(request.output, Output::Stdout) && mode == OutputMode::Pretty;
    let hides_secrets = !redactor.is_empty() || request.captures.iter().any(|c| c.secret);
    // Pretty output streams text and binary as they come; JSON, and text with secrets to hide,
    // is printed whole.
    let print_whole =
        to_stdout && (kind == BodyKind::Json || (kind == BodyKind::Text && hides_secrets));
    let stream = to_stdout
        && !print_whole
        && !(kind == BodyKind::Binary && std::io::IsTerminal::is_terminal(&std::io::stdout()));
    let keep = keep_anyway
        || body_is_read(request)
        || print_whole
        || (matches!(request.output, Output::Stdout) && mode == OutputMode::Json);
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
    let mut kept = keep.then(Vec::new);
    let mut bytes = 0u64;
    while let Some(chunk) = next.take() {
        bytes += chunk.len() as u64;
        if let Some(file) = &mut file {
            file.write_all(&chunk).await.map_err(|e| write_error(&e))?;
        }
        if stream {
            stdout.write_all(&chunk).map_err(|e| write_error(&e))?;
        }
        if let Some(kept) = &mut kept {
            kept.extend_from_slice(&chunk);
        }
        next = response.chunk().await.map_err(|e| body_error(&e))?;
    }
    if let Some(mut file) = file {
        file.flush().await.map_err(|e| write_error(&e))?;
    }
    if to_stdout && kind == BodyKind::Binary && !stream {
        payload::print_binary(stdout, &[]).map_err(|e| write_error(&e))?;
    } else if stream && kind == BodyKind::Text && bytes > 0 {
        // Keep the next payload on a line of its own.
        stdout.write_all(b"\n").map_err(|e| write_error(&e))?;
    }
    Ok(Received {
        kept,
        kind,
        bytes,
        print_whole,
    })
}

/// Prints what is still to be printed, and describes the body for reports; `redactor` knows the
/// secrets this request captured.
pub fn present(
    received: &Received,
    request: &Request,
    stdout: &mut (dyn Write + Send),
    redactor: &Redactor,
) -> Result<Body, String> {
    if received.print_whole
        && let Some(body) = &received.kept
    {
        payload::print_body(stdout, received.kind, body, redactor).map_err(|e| write_error(&e))?;
    }
    Ok(match (&request.output, &received.kept, received.kind) {
        (Output::File(target), _, _) => Body::Elsewhere {
            bytes: received.bytes,
            file: Some(target.shown.clone()),
        },
        (Output::Discard, _, _) | (_, None, _) | (_, Some(_), BodyKind::Binary) => {
            Body::Elsewhere {
                bytes: received.bytes,
                file: None,
            }
        }
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
    })
}

fn body_error(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "the response body did not arrive in time".to_owned()
    } else {
        format!("the response body broke off: {error}")
    }
}
