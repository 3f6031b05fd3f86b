//! Diagnostics for suite files: one error, where it is (`path:line:col`, the source line and a
//! caret), and a `help` line when one helps. Everything a user can get wrong in a suite file is
//! reported through [`Diagnostic`], and rendered by [`Diagnostic`]'s `Display` alone.

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

/// A text that diagnostics point into: a suite file or a `--vars-file`.
#[derive(Debug)]
pub struct Source {
    /// The path as the user gave it (or as found in a directory), for display.
    pub path: PathBuf,
    pub text: String,
}

/// A byte range in a [`Source`].
pub type Span = Range<usize>;

/// Separates the message from the help text inside a `serde` error message, for errors raised by
/// our own `Deserialize` impls: toml carries only a message string from them to us.
pub(crate) const HELP_MARKER: &str = "\nhelp: ";

/// One problem in a suite file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    source: Arc<Source>,
    span: Option<Span>,
    message: String,
    help: Option<String>,
}

impl Diagnostic {
    pub fn new(source: &Arc<Source>, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            source: Arc::clone(source),
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(source: &Arc<Source>, span: &Span, message: impl Into<String>) -> Self {
        Self::new(source, Some(span.clone()), message)
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// `path:line:col` of the start of the span (or the bare path when there is no span).
    pub fn location(&self) -> String {
        match &self.span {
            Some(span) => {
                let (line, col) = line_col(&self.source.text, span.start);
                format!("{}:{line}:{col}", self.source.path.display())
            }
            None => self.source.path.display().to_string(),
        }
    }

    /// Turns a toml deserialization error into a diagnostic with a helpful message.
    pub fn from_toml(source: &Arc<Source>, error: &toml::de::Error) -> Self {
        let span = error.span();
        let (message, help) = explain_serde_message(error.message(), || {
            span.as_ref()
                .and_then(|s| source.text.get(s.clone()))
                .unwrap_or_default()
                .to_owned()
        });
        let mut diagnostic = Self::new(source, span, message);
        diagnostic.help = help;
        diagnostic
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let Some(span) = &self.span else {
            writeln!(f, " --> {}", self.source.path.display())?;
            if let Some(help) = &self.help {
                writeln!(f, "  = help: {help}")?;
            }
            return Ok(());
        };
        let text = &self.source.text;
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let (line, col) = line_col(text, start);
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let source_line = text[line_start..line_end].trim_end_matches('\r');
        // The caret covers the span's part on its first line, at least one column.
        let end = floor_char_boundary(text, span.end.clamp(start, line_end.max(start)));
        let width = text[start..end].chars().count().max(1);
        // Tabs stay tabs so the caret lines up whatever the terminal's tab width.
        let pad: String = text[line_start..start]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let number = line.to_string();
        let gutter = " ".repeat(number.len());
        writeln!(f, "{gutter}--> {}:{line}:{col}", self.source.path.display())?;
        writeln!(f, "{gutter} |")?;
        writeln!(f, "{number} | {source_line}")?;
        writeln!(f, "{gutter} | {pad}{}", "^".repeat(width))?;
        if let Some(help) = &self.help {
            writeln!(f, "{gutter} |")?;
            writeln!(f, "{gutter} = help: {help}")?;
        }
        Ok(())
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Rewrites serde's messages into the words of a TOML user, and adds a help line: the nearest
/// key for a misspelt one, the expected value for a wrong type.
fn explain_serde_message(
    message: &str,
    spanned_text: impl FnOnce() -> String,
) -> (String, Option<String>) {
    if let Some((message, help)) = message.split_once(HELP_MARKER) {
        return (message.to_owned(), Some(help.to_owned()));
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates = backticked(expected);
        let help = match nearest(key, &candidates) {
            Some(near) => format!("did you mean `{near}`?"),
            None if candidates.is_empty() => "this table takes no keys".to_owned(),
            None => format!("the keys allowed here are {}", list(&candidates)),
        };
        return (format!("unknown key `{key}`"), Some(help));
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let (value, expected) = rest.split_once('`').unwrap_or((rest, ""));
        let candidates = backticked(expected);
        let help = match nearest(value, &candidates) {
            Some(near) => format!("did you mean \"{near}\"?"),
            None => format!("use one of {}", quoted_list(&candidates)),
        };
        return (format!("unknown value \"{value}\""), Some(help));
    }
    if let Some(field) = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.strip_suffix('`'))
    {
        return (
            format!("missing key `{field}`"),
            Some(format!("add `{field} = ...` to this table")),
        );
    }
    if message.starts_with("invalid type:") || message.starts_with("invalid value:") {
        let message = friendly_types(message);
        let help = match message.split_once(", expected ") {
            Some((_, expected))
                if spanned_text().starts_with(|c: char| c.is_ascii_digit())
                    && expected.contains("string") =>
            {
                Some("put the value in quotes".to_owned())
            }
            _ => None,
        };
        return (message, help);
    }
    if message == "duplicate key" {
        return (
            "duplicate key".to_owned(),
            Some("each key may appear once in a table; remove or rename one".to_owned()),
        );
    }
    (message.to_owned(), None)
}

/// serde names Rust types (`u16`, `f64`); a TOML user thinks in values.
fn friendly_types(message: &str) -> String {
    let replacements = [
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u32",
            "expected a whole number from 0 to 4294967295",
        ),
        ("expected u64", "expected a whole number of 0 or more"),
        ("expected i64", "expected a whole number"),
        ("expected f64", "expected a number"),
        ("expected a map", "expected a table"),
        ("expected a sequence", "expected an array"),
        ("invalid type: map", "invalid type: table"),
        ("invalid type: sequence", "invalid type: array"),
    ];
    let mut message = message.to_owned();
    // Our raw types are tables to the user: "expected struct RawKey" says nothing to them.
    if let Some(at) = message.find("expected struct ") {
        message.replace_range(at.., "expected a table");
    }
    for (from, to) in replacements {
        if let Some(at) = message.find(from) {
            let end = at + from.len();
            // Only whole words: `expected u16` but not `expected u160`.
            if !message[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                message.replace_range(at..end, to);
            }
        }
    }
    message
}

/// The names in backticks of a serde "expected one of `a`, `b`" list.
fn backticked(text: &str) -> Vec<&str> {
    text.split('`').skip(1).step_by(2).collect()
}

/// The candidate closest to `word`, if it is close enough to be what was meant.
pub(crate) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| {
            (
                strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()),
                *c,
            )
        })
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `a`, `b` or `c`
pub(crate) fn list(names: &[&str]) -> String {
    join(names.iter().map(|n| format!("`{n}`")).collect())
}

/// "a", "b" or "c"
pub(crate) fn quoted_list(names: &[&str]) -> String {
    join(names.iter().map(|n| format!("\"{n}\"")).collect())
}

fn join(mut items: Vec<String>) -> String {
    match items.len() {
        0 => String::new(),
        1 => items.remove(0),
        _ => {
            let last = items.pop().unwrap_or_default();
            format!("{} or {last}", items.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> Arc<Source> {
        Arc::new(Source {
            path: "suite.toml".into(),
            text: text.to_owned(),
        })
    }

    #[test]
    fn renders_location_line_and_caret() {
        let src = source("[vars]\nbase = \"x\"\n");
        let d = Diagnostic::at(&src, &(14..17), "something is wrong").help("fix it");
        assert_eq!(
            d.to_string(),
            "error: something is wrong\n --> suite.toml:2:8\n  |\n2 | base = \"x\"\n  |        ^^^\n  |\n  = help: fix it\n"
        );
    }

    #[test]
    fn survives_spans_past_the_end_and_inside_characters() {
        let src = source("a = \"é\"");
        for span in [0..0, 5..6, 6..100, 100..200] {
            let _ = Diagnostic::at(&src, &span, "x").to_string();
        }
    }

    #[test]
    fn suggests_the_nearest_key() {
        let (message, help) = explain_serde_message(
            "unknown field `certt`, expected one of `enable`, `cert`, `key`",
            String::new,
        );
        assert_eq!(message, "unknown key `certt`");
        assert_eq!(help.as_deref(), Some("did you mean `cert`?"));
    }
}
