//! Response bodies on stdout: JSON pretty-printed, text as it is, binary never dumped to a
//! terminal. Secrets that a server echoes back are hidden.

use std::io::{self, IsTerminal, Write};

/// `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OutputMode {
    /// Response bodies: JSON pretty-printed, text as it is.
    #[default]
    Pretty,
    /// One JSON object per request: name, status, headers, body, timing, TLS, expectations.
    Json,
    /// Nothing on stdout.
    None,
}

/// What a body is, for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Text,
    Binary,
}

/// Tells a body's kind from its content type, or from its first bytes when that says nothing.
pub fn body_kind(content_type: Option<&str>, first_bytes: &[u8]) -> BodyKind {
    let mime = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        return BodyKind::Json;
    }
    if mime.starts_with("text/")
        || mime.ends_with("+xml")
        || matches!(
            mime.as_str(),
            "application/xml" | "application/javascript" | "application/x-www-form-urlencoded"
        )
    {
        return BodyKind::Text;
    }
    if !mime.is_empty() && mime != "application/octet-stream" {
        return BodyKind::Binary;
    }
    // A UTF-8 prefix may end inside a character: judge what is valid of it.
    let valid = match std::str::from_utf8(first_bytes) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    };
    if valid && !first_bytes.contains(&0) {
        BodyKind::Text
    } else {
        BodyKind::Binary
    }
}

/// Hides secret values that a server echoes back (an echo of the Authorization header, say).
#[derive(Debug, Default, Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    pub fn add(&mut self, secret: &str) {
        // Very short values would hide unrelated text and say little.
        if secret.len() >= 3 && !self.secrets.iter().any(|s| s == secret) {
            self.secrets.push(secret.to_owned());
            // Longest first, so a secret that contains another is hidden whole.
            self.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.as_str()) {
                text = text.replace(secret.as_str(), crate::secret::REDACTED);
            }
        }
        text
    }

    /// Redacts every string of a JSON value.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.redact(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(fields) => {
                fields.values_mut().for_each(|v| self.redact_json(v))
            }
            _ => {}
        }
    }
}

/// Prints a whole body the way `--output pretty` shows it.
pub fn print_body(
    out: &mut dyn Write,
    kind: BodyKind,
    body: &[u8],
    redactor: &Redactor,
) -> io::Result<()> {
    match kind {
        BodyKind::Json => match serde_json::from_slice::<serde_json::Value>(body) {
            Ok(mut value) => {
                redactor.redact_json(&mut value);
                let text = serde_json::to_string_pretty(&value).map_err(io::Error::other)?;
                writeln!(out, "{text}")
            }
            Err(_) => print_text(out, body, redactor),
        },
        BodyKind::Text => print_text(out, body, redactor),
        BodyKind::Binary => print_binary(out, body),
    }
}

fn print_text(out: &mut dyn Write, body: &[u8], redactor: &Redactor) -> io::Result<()> {
    let text = redactor.redact(&String::from_utf8_lossy(body));
    out.write_all(text.as_bytes())?;
    if !text.is_empty() && !text.ends_with('\n') {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Binary goes to a pipe or a file as it is, never to a terminal.
pub fn print_binary(out: &mut dyn Write, body: &[u8]) -> io::Result<()> {
    if io::stdout().is_terminal() {
        writeln!(
            out,
            "[binary body, {} bytes: not shown on a terminal; use `output = \"FILE\"` or a pipe]",
            body.len()
        )
    } else {
        out.write_all(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_kinds_apart() {
        assert_eq!(
            body_kind(Some("application/json; charset=utf-8"), b"{}"),
            BodyKind::Json
        );
        assert_eq!(
            body_kind(Some("application/problem+json"), b"{}"),
            BodyKind::Json
        );
        assert_eq!(body_kind(Some("text/html"), b"<html>"), BodyKind::Text);
        assert_eq!(body_kind(Some("image/png"), b"\x89PNG"), BodyKind::Binary);
        assert_eq!(body_kind(None, b"plain words"), BodyKind::Text);
        assert_eq!(
            body_kind(Some("application/octet-stream"), &[0, 1, 2]),
            BodyKind::Binary
        );
        assert_eq!(
            body_kind(None, "é".as_bytes().get(..1).unwrap_or_default()),
            BodyKind::Text
        );
    }

    #[test]
    fn hides_echoed_secrets() {
        let mut redactor = Redactor::default();
        redactor.add("tok-123");
        let mut value = serde_json::json!({"headers": {"Authorization": "Bearer tok-123"}});
        redactor.redact_json(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"headers": {"Authorization": "Bearer ***"}})
        );
    }
}
