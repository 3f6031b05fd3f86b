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

/// The shortest secret that can be found in echoed text without hiding ordinary words: shorter
/// ones are still hidden wherever runner places them itself, and the loader warns about them.
pub const MIN_FINDABLE: usize = 4;

/// Hides secret values in text that comes back: echoed bodies and headers, library messages.
/// Each secret is looked for as it is and in every form a server or library may write it:
/// JSON-escaped, percent-encoded (`%20` and `+`, upper- and lower-case hex), base64 and
/// base64url (with and without padding), and HTML/XML-escaped. `Debug` shows only how many.
#[derive(Clone, Default)]
pub struct Redactor {
    /// The secrets as given, to tell whether one is known already.
    secrets: Vec<String>,
    /// Every form of every secret, longest first.
    forms: Vec<String>,
    finder: Option<aho_corasick::AhoCorasick>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// WHATWG URL percent-encode sets: fragment, query, special query, path, userinfo.
const URL_COMPONENT_SETS: [&percent_encoding::AsciiSet; 5] = {
    use percent_encoding::CONTROLS;
    const FRAGMENT: &percent_encoding::AsciiSet =
        &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');
    const QUERY: &percent_encoding::AsciiSet =
        &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
    const SPECIAL_QUERY: &percent_encoding::AsciiSet = &QUERY.add(b'\'');
    const PATH: &percent_encoding::AsciiSet = &QUERY.add(b'?').add(b'`').add(b'{').add(b'}');
    const USERINFO: &percent_encoding::AsciiSet = &PATH
        .add(b'/')
        .add(b':')
        .add(b';')
        .add(b'=')
        .add(b'@')
        .add(b'[')
        .add(b'\\')
        .add(b']')
        .add(b'^')
        .add(b'|');
    [FRAGMENT, QUERY, SPECIAL_QUERY, PATH, USERINFO]
};

/// The forms a value may take in text that comes back.
fn encoded_forms(value: &str) -> Vec<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    let mut forms = vec![value.to_owned()];
    // JSON: quotes, backslashes and control characters escaped; non-ASCII as \uXXXX too.
    if let Ok(json) = serde_json::to_string(value) {
        forms.push(json[1..json.len() - 1].to_owned());
    }
    let ascii_json: String = value
        .chars()
        .map(|c| match c {
            '"' => "\\\"".to_owned(),
            '\\' => "\\\\".to_owned(),
            c if c.is_ascii() && !c.is_ascii_control() => c.to_string(),
            c => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04x}"))
                .collect(),
        })
        .collect();
    forms.push(ascii_json);
    // Percent-encoding: every byte but unreserved ones, and the form style with `+`.
    const UNRESERVED: &percent_encoding::AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    let upper = utf8_percent_encode(value, UNRESERVED).to_string();
    forms.push(upper.to_ascii_lowercase_hex());
    forms.push(upper.replace("%20", "+"));
    forms.push(upper.to_ascii_lowercase_hex().replace("%20", "+"));
    forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
    forms.push(upper);
    // As a URL keeps it in each component (WHATWG's encode sets: only some characters are
    // escaped), the way an echoed "url" shows it.
    for set in URL_COMPONENT_SETS {
        let encoded = utf8_percent_encode(value, set).to_string();
        forms.push(encoded.to_ascii_lowercase_hex());
        forms.push(encoded);
    }
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(value));
    }
    // HTML and XML.
    let html = value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    forms.push(html.replace('"', "&quot;").replace('\'', "&#39;"));
    forms.push(html.replace('"', "&#34;").replace('\'', "&#x27;"));
    forms.push(html.replace('"', "&quot;").replace('\'', "&apos;"));
    forms
}

/// Lower-case hex digits in `%XX` escapes.
trait LowercaseHex {
    fn to_ascii_lowercase_hex(&self) -> String;
}

impl LowercaseHex for String {
    fn to_ascii_lowercase_hex(&self) -> String {
        let mut out = String::with_capacity(self.len());
        let mut rest = self.as_str();
        while let Some(at) = rest.find('%') {
            out.push_str(&rest[..at]);
            let escape = rest.get(at..at + 3).unwrap_or(&rest[at..]);
            out.push_str(&escape.to_ascii_lowercase());
            rest = &rest[at + escape.len()..];
        }
        out.push_str(rest);
        out
    }
}

impl Redactor {
    /// Hides `secret` from now on, in each of its forms. A value under [`MIN_FINDABLE`]
    /// characters would hide ordinary words: it is not looked for.
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_FINDABLE || self.secrets.iter().any(|s| s == secret) {
            return;
        }
        self.secrets.push(secret.to_owned());
        self.extend(encoded_forms(secret));
    }

    /// This redactor with `secrets` hidden too; itself, not a copy, when there are none.
    pub fn with<'a, 's>(
        &'a self,
        secrets: impl IntoIterator<Item = &'s str>,
    ) -> std::borrow::Cow<'a, Redactor> {
        let mut extended = std::borrow::Cow::Borrowed(self);
        for secret in secrets {
            extended.to_mut().add(secret);
        }
        extended
    }

    /// Hides the Basic credentials `user:password` as a client sends them (base64), besides
    /// the password itself.
    pub fn add_basic(&mut self, user: &str, password: &str) {
        self.add(password);
        if password.is_empty() {
            return;
        }
        use base64::Engine as _;
        let pair = format!("{user}:{password}");
        self.extend(
            [
                base64::engine::general_purpose::STANDARD.encode(&pair),
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(&pair),
            ]
            .into(),
        );
    }

    /// Adds the forms not yet hidden; the finder is built again only when one was new, so
    /// the secrets every request re-announces cost no rebuild.
    fn extend(&mut self, forms: Vec<String>) {
        let known = self.forms.len();
        for form in forms {
            if form.chars().count() >= MIN_FINDABLE && !self.forms.contains(&form) {
                self.forms.push(form);
            }
        }
        if self.forms.len() == known {
            return;
        }
        // Longest first, so a secret that contains another is hidden whole.
        self.forms.sort_by_key(|s| std::cmp::Reverse(s.len()));
        self.finder = aho_corasick::AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&self.forms)
            .ok();
    }

    pub fn is_empty(&self) -> bool {
        self.forms.is_empty()
    }

    /// `text` with every secret in it hidden.
    pub fn redact(&self, text: &str) -> String {
        self.hidden(text).unwrap_or_else(|| text.to_owned())
    }

    /// `text` with every secret in it hidden; the text itself when it holds none.
    pub fn redacted(&self, text: String) -> String {
        self.hidden(&text).unwrap_or(text)
    }

    /// `text` with its secrets hidden, when it holds any; without a secret, one scan and no
    /// copy.
    fn hidden(&self, text: &str) -> Option<String> {
        let finder = self.finder.as_ref()?;
        finder.find(text)?;
        let mut out = String::with_capacity(text.len());
        finder.replace_all_with(text, &mut out, |_, _, out| {
            out.push_str(REDACTED);
            true
        });
        Some(out)
    }

    /// Redacts every string of a JSON value, keys included.
    pub fn redact_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.redacted(std::mem::take(s)),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.redact_json(v)),
            serde_json::Value::Object(fields) => {
                let hides_a_key = fields.keys().any(|k| self.hidden(k).is_some());
                if hides_a_key {
                    let taken = std::mem::take(fields);
                    *fields = taken
                        .into_iter()
                        .map(|(k, v)| (self.redact(&k), v))
                        .collect();
                }
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
    fn hides_every_form_a_server_may_echo() {
        let secret = "p@ss\"w\\rd/+= é";
        let mut redactor = Redactor::default();
        redactor.add(secret);
        redactor.add_basic("smoke", secret);
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let b64url = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        for form in [
            secret.to_owned(),
            serde_json::to_string(secret)
                .unwrap_or_default()
                .trim_matches('"')
                .to_owned(),
            "p%40ss%22w%5Crd%2F%2B%3D%20%C3%A9".to_owned(),
            "p%40ss%22w%5crd%2f%2b%3d+%c3%a9".to_owned(),
            "p%40ss%22w%5Crd%2F%2B%3D+%C3%A9".to_owned(),
            b64(secret),
            b64url(secret),
            b64(&format!("smoke:{secret}")),
            "p@ss&quot;w\\rd/+= é".to_owned(),
            "p@ss\\\"w\\\\rd/+= \\u00e9".to_owned(),
        ] {
            let text = format!("before {form} after");
            assert_eq!(redactor.redact(&text), "before *** after", "{form}");
        }
        assert_eq!(format!("{redactor:?}"), "Redactor(1 secrets)");
    }

    #[test]
    fn short_values_are_not_looked_for() {
        let mut redactor = Redactor::default();
        redactor.add("abc");
        assert!(redactor.is_empty());
        assert_eq!(redactor.redact("abcdef"), "abcdef");
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

    #[test]
    fn a_text_is_copied_only_when_it_holds_a_secret() {
        let mut redactor = Redactor::default();
        redactor.add("tok-123");
        let plain = "nothing to hide".to_owned();
        let at = plain.as_ptr();
        let kept = redactor.redacted(plain);
        assert_eq!(kept.as_ptr(), at, "the same string, not a copy");
        assert_eq!(redactor.redacted("a tok-123 b".to_owned()), "a *** b");
        let mut value = serde_json::json!({"tok-123": "x"});
        redactor.redact_json(&mut value);
        assert_eq!(value, serde_json::json!({"***": "x"}));
        // An extension with secrets of its own leaves the base as it was; none: no copy.
        let extended = redactor.with(["cap-456"]);
        assert_eq!(extended.redact("cap-456 tok-123"), "*** ***");
        assert_eq!(redactor.redact("cap-456"), "cap-456");
        assert!(matches!(redactor.with([]), std::borrow::Cow::Borrowed(_)));
    }
}
