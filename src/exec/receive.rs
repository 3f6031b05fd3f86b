//! The response body: its chunks handed on as events for where the request sends it (stdout, a
//! file, nowhere), and kept in memory only when something needs it whole (JSON to pretty-print,
//! `--output json`, expectations and captures on the body). A body shown whole is shown from the
//! request's report, after the captures, so a secret a request captures is hidden in its own
//! payload too.

use crate::config::suite::{Output, Request};
use crate::secret::Redactor;

use super::OutputMode;
use super::body::{self, BodyKind};
use super::event::{Destination, Event, Listener, Unwritable};
use super::outcome::Body;

/// What was received of a body.
#[derive(Debug)]
pub struct Received {
    /// The whole body, when kept.
    pub kept: Option<Vec<u8>>,
    /// It was to be kept but outgrew `max_body` (this many bytes): it was not.
    pub too_large: Option<u64>,
    pub kind: BodyKind,
    pub bytes: u64,
}

/// Why a body could not be received.
#[derive(Debug)]
pub enum ReceiveError {
    /// The connection broke or timed out after `received` bytes of `announced`: the request
    /// could not complete.
    Network {
        error: reqwest::Error,
        received: u64,
        announced: Option<u64>,
    },
    /// Where the body goes cannot be written.
    Unwritable(Unwritable),
}

/// Whether the request's expectations or captures read the body.
fn body_is_read(request: &Request) -> bool {
    !request.expect().json.is_empty()
        || request.expect().body.is_some()
        || !request.captures.is_empty()
}

/// Reads the body to its end, handing its chunks on where they go.
pub async fn receive(
    mut response: reqwest::Response,
    request: &Request,
    mode: OutputMode,
    listener: &mut dyn Listener,
    redactor: &Redactor,
    keep_anyway: bool,
    max_body: u64,
) -> Result<Received, ReceiveError> {
    let content_type = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let announced = response.content_length();
    let broke = |error, received| ReceiveError::Network {
        error,
        received,
        announced,
    };
    let mut next = response.chunk().await.map_err(|e| broke(e, 0))?;
    let kind = body::body_kind(content_type.as_deref(), next.as_deref().unwrap_or_default());
    let to_stdout = matches!(request.output, Output::Stdout) && mode == OutputMode::Pretty;
    let hides_secrets = !redactor.is_empty() || request.captures.iter().any(|c| c.secret);
    // JSON, and text with secrets to hide, is shown whole; other bodies stream as they come.
    let whole = to_stdout && (kind == BodyKind::Json || (kind == BodyKind::Text && hides_secrets));
    let to = match &request.output {
        Output::File(target) => Some(Destination::File {
            path: target.path.clone(),
            shown: target.shown.clone(),
        }),
        Output::Stdout if to_stdout && !whole => Some(Destination::Stdout),
        _ => None,
    };
    // `--output json` shows JSON and text bodies in the request's object; a binary body is
    // shown by its size only, so none of it is held for that.
    let shown_in_json = matches!(request.output, Output::Stdout)
        && mode == OutputMode::Json
        && kind != BodyKind::Binary;
    let keep = keep_anyway || body_is_read(request) || whole || shown_in_json;
    let mut streams = to.is_some();
    listener
        .event(Event::BodyStarted { to, kind, whole })
        .map_err(ReceiveError::Unwritable)?;
    let mut kept = keep.then(Vec::new);
    let mut too_large = None;
    let mut bytes = 0u64;
    while let Some(chunk) = next.take() {
        bytes = bytes.saturating_add(chunk.len() as u64);
        if let Some(held) = kept.take() {
            if bytes <= max_body {
                let mut held = held;
                held.extend_from_slice(&chunk);
                kept = Some(held);
            } else {
                // Past `max_body` nothing more is held. A JSON body that was to be shown whole
                // streams from here, as it is, when no secret needs hiding in it.
                too_large = Some(max_body);
                if whole && !hides_secrets {
                    let to = Some(Destination::Stdout);
                    let resumed = listener
                        .event(Event::BodyStarted {
                            to,
                            kind,
                            whole: false,
                        })
                        .and_then(|()| listener.event(Event::Chunk(held.into())));
                    resumed.map_err(ReceiveError::Unwritable)?;
                    streams = true;
                }
            }
        }
        if streams {
            listener
                .event(Event::Chunk(chunk))
                .map_err(ReceiveError::Unwritable)?;
        }
        next = response.chunk().await.map_err(|e| broke(e, bytes))?;
    }
    Ok(Received {
        kept,
        too_large,
        kind,
        bytes,
    })
}

/// The body as the request's report holds it; `redactor` knows the secrets this request
/// captured.
pub fn present(received: &Received, request: &Request, redactor: &Redactor) -> Body {
    match (&request.output, &received.kept, received.kind) {
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
    }
}
