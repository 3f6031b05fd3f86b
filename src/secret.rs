//! Values that must never be shown: passwords, `{{env.*}}` values and secret captures.

use std::fmt;

/// A secret string. `Debug` and `Display` print `***`, so no log line, report or error message can
/// show it by accident; the value is only reachable through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

/// What a secret looks like wherever it would be shown.
pub const REDACTED: &str = "***";

impl Secret {
    /// Wraps a value that must not be shown.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself, for the one place that needs it (a TLS library, a request being sent).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
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
                text = text.replace(secret.as_str(), REDACTED);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_formats_its_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(
            format!("{secret} {secret:?} {:?}", Some(&secret)),
            "*** *** Some(***)"
        );
        assert_eq!(secret.expose(), "hunter2");
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
