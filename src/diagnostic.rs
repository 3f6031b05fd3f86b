//! Diagnostics: one error, where it is (`path:line:col`, the source line and a caret, or just
//! the file), and a `help` line when one helps. Every error that ends a command is reported as
//! [`Diagnostic`]s, rendered by one renderer: text ([`Diagnostic`]'s `Display`) or, for
//! `--log-format json`, a JSON object ([`Diagnostic::to_json`]).

use std::fmt;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use crate::secret::REDACTED;
use crate::style::{Style, paint};

/// A text that diagnostics point into: a suite file or a `--vars-file`. Where its lines start
/// is found once, the first time a place in it is named, so naming places costs the same at the
/// end of a large file as at its start.
#[derive(Debug)]
pub struct Source {
    /// The path as the user gave it (or as found in a directory), for display.
    pub path: PathBuf,
    pub text: String,
    line_starts: OnceLock<Vec<usize>>,
    /// How often the text was scanned for its lines: once at most, whatever is named in it.
    scans: std::sync::atomic::AtomicUsize,
}

/// A byte range in a [`Source`].
pub type Span = Range<usize>;

impl Source {
    pub fn new(path: PathBuf, text: String) -> Self {
        Self {
            path,
            text,
            line_starts: OnceLock::new(),
            scans: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// How often the text was scanned for where its lines start (a request's expectations name
    /// places in it on every run: the cost must not grow with the file).
    pub fn scans(&self) -> usize {
        self.scans.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// `path:line:col` of a span's start.
    pub fn location(&self, span: &Span) -> String {
        let mut shown = String::new();
        let _ = Location::write(self, span.start, &mut shown);
        shown
    }

    /// A span's start, named `path:line:col` when it is shown.
    pub fn place(self: &Arc<Self>, span: &Span) -> Location {
        Location {
            source: Arc::clone(self),
            at: span.start,
        }
    }

    /// The line (from 1), the column (in characters, from 1) and the byte range of the line
    /// of an offset.
    fn line_of(&self, offset: usize) -> (usize, usize, Range<usize>) {
        let text = &self.text;
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let starts = self.line_starts.get_or_init(|| {
            self.scans
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            std::iter::once(0)
                .chain(text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        });
        let index = starts.partition_point(|&start| start <= offset).max(1) - 1;
        let start = starts.get(index).copied().unwrap_or(0);
        let end = starts
            .get(index + 1)
            .map_or(text.len(), |next| next.saturating_sub(1));
        let col = text[start..offset].chars().count() + 1;
        (index + 1, col, start..end)
    }

    fn line_col(&self, offset: usize) -> (usize, usize) {
        let (line, col, _) = self.line_of(offset);
        (line, col)
    }
}

/// A place in a [`Source`], named `path:line:col` only when it is shown: each request's
/// expectations carry their places, and one that passes unreported costs no line lookup and no
/// formatting.
#[derive(Clone)]
pub struct Location {
    source: Arc<Source>,
    at: usize,
}

impl Location {
    fn write(source: &Source, at: usize, out: &mut impl fmt::Write) -> fmt::Result {
        let (line, col) = source.line_col(at);
        write!(out, "{}:{line}:{col}", source.path.display())
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Self::write(&self.source, self.at, f)
    }
}

/// As shown: the source's text is left out.
impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl serde::Serialize for Location {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Separates the message from the help text inside a `serde` error message, for errors raised by
/// our own `Deserialize` impls: toml carries only a message string from them to us.
pub(crate) const HELP_MARKER: &str = "\nhelp: ";

/// The most diagnostics shown for one run (spec §7).
pub const MAX_SHOWN: usize = 50;

/// One problem in a suite file.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// The file it is about; `None` for a problem of the command line or the machine.
    source: Option<Arc<Source>>,
    span: Option<Span>,
    message: String,
    help: Option<String>,
}

impl Diagnostic {
    /// Where in its file it is, for putting a file's diagnostics in file order (those without a
    /// place last).
    pub fn position(&self) -> usize {
        self.span.as_ref().map_or(usize::MAX, |span| span.start)
    }

    /// Whether its place holds all of `range`.
    pub fn covers(&self, range: &Span) -> bool {
        self.span
            .as_ref()
            .is_some_and(|span| span.start <= range.start && range.end <= span.end)
    }

    pub fn new(source: &Arc<Source>, span: Option<Span>, message: impl Into<String>) -> Self {
        Self {
            source: Some(Arc::clone(source)),
            span,
            message: message.into(),
            help: None,
        }
    }

    pub fn at(source: &Arc<Source>, span: &Span, message: impl Into<String>) -> Self {
        Self::new(source, Some(span.clone()), message)
    }

    /// A problem that is about no file.
    pub fn plain(message: impl Into<String>) -> Self {
        Self {
            source: None,
            span: None,
            message: message.into(),
            help: None,
        }
    }

    /// A problem with a file as a whole (no line in it).
    pub fn file(path: &std::path::Path, message: impl Into<String>) -> Self {
        Self::new(
            &Arc::new(Source::new(path.to_owned(), String::new())),
            None,
            message,
        )
    }

    /// The same place, another message (and no help yet).
    #[must_use]
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self.help = None;
        self
    }

    /// The diagnostic as one JSON object: file, line, column, message, help.
    pub fn to_json(&self) -> serde_json::Value {
        let mut object = serde_json::Map::new();
        object.insert("level".into(), "ERROR".into());
        if let Some(source) = &self.source {
            object.insert("file".into(), source.path.display().to_string().into());
            if let Some(span) = &self.span {
                let (line, col) = source.line_col(span.start);
                object.insert("line".into(), line.into());
                object.insert("column".into(), col.into());
            }
        }
        object.insert("message".into(), self.message.clone().into());
        if let Some(help) = &self.help {
            object.insert("help".into(), help.clone().into());
        }
        serde_json::Value::Object(object)
    }

    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
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
        let mut diagnostic = Self::new(source, span.clone(), message);
        diagnostic.help = help;
        // serde quotes the offending value: not when it is a password.
        if let Some(span) = span {
            let start = floor_char_boundary(&source.text, span.start.min(source.text.len()));
            let line_start = source.text[..start].rfind('\n').map_or(0, |i| i + 1);
            let line_end = source.text[start..]
                .find('\n')
                .map_or(source.text.len(), |i| start + i);
            if hides_password(
                &source.text[line_start..line_end],
                &(span.start - line_start..span.end - line_start),
            ) {
                diagnostic.message = "a password must be a string".to_owned();
                diagnostic.help = Some(
                    "write it in quotes, or use \"{{env.NAME}}\" to read it from the environment"
                        .to_owned(),
                );
            }
        }
        diagnostic
    }
}

/// A message without a place: the message, one indented line per detail, and the help, as
/// every message of runner without a source line is written (load errors and request failures
/// alike).
pub fn message_lines(message: &str, details: &[String], help: Option<&str>) -> String {
    let mut text = message.to_owned();
    for detail in details {
        text.push_str("\n  ");
        text.push_str(detail);
    }
    if let Some(help) = help {
        text.push_str("\n  = help: ");
        text.push_str(help);
    }
    text
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let error = paint("error:", Style::Error);
        let Some(source) = &self.source else {
            writeln!(f, "{error} {}", self.message)?;
            if let Some(help) = &self.help {
                writeln!(f, "  {} {help}", paint("= help:", Style::Help))?;
            }
            return Ok(());
        };
        writeln!(f, "{error} {}", self.message)?;
        let Some(span) = &self.span else {
            writeln!(
                f,
                " {} {}",
                paint("-->", Style::Place),
                source.path.display()
            )?;
            if let Some(help) = &self.help {
                writeln!(f, "  {} {help}", paint("= help:", Style::Help))?;
            }
            return Ok(());
        };
        let text = &source.text;
        let start = floor_char_boundary(text, span.start.min(text.len()));
        let (line, col, line_range) = source.line_of(start);
        let (line_start, line_end) = (line_range.start, line_range.end);
        let source_line = text[line_start..line_end].trim_end_matches('\r');
        // The caret covers the span's part on its first line, at least one column.
        let end = floor_char_boundary(text, span.end.clamp(start, line_end.max(start)));
        let end = end.min(line_start + source_line.len()).max(start);
        let cut = cut_line(source_line, start - line_start..end - line_start);
        let (source_line, caret_start, width) = (&cut.text, cut.caret_start, cut.width);
        // Tabs stay tabs so the caret lines up whatever the terminal's tab width.
        let pad: String = source_line
            .chars()
            .take(caret_start)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let number = line.to_string();
        let gutter = " ".repeat(number.len());
        let bar = paint("|", Style::Place);
        writeln!(
            f,
            "{gutter}{} {}:{line}:{col}",
            paint("-->", Style::Place),
            source.path.display()
        )?;
        writeln!(f, "{gutter} {bar}")?;
        writeln!(f, "{} {bar} {source_line}", paint(&number, Style::Place))?;
        writeln!(
            f,
            "{gutter} {bar} {pad}{}",
            paint(&"^".repeat(width), Style::Error)
        )?;
        if let Some(help) = &self.help {
            writeln!(f, "{gutter} {bar}")?;
            writeln!(f, "{gutter} {} {help}", paint("= help:", Style::Help))?;
        }
        Ok(())
    }
}

/// Whether a byte range of a line touches the value of a `password` or `key_password` key.
fn hides_password(line: &str, span: &Span) -> bool {
    secret_values(line)
        .iter()
        .any(|h| span.start < h.end && h.start < span.end.max(span.start + 1))
}

/// Byte ranges of the values of `password` and `key_password` keys in a line: the text inside
/// the quotes, or the bare value.
fn secret_values(line: &str) -> Vec<Span> {
    static PASSWORD: OnceLock<Regex> = OnceLock::new();
    let pattern = PASSWORD.get_or_init(|| {
        #[allow(clippy::expect_used, reason = "a constant pattern, checked by the tests")]
        Regex::new(r#"(?:^|[\s{,])(?:key_)?password\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|'([^']*)'?|([^\s,}"']+))"#)
            .expect("a valid pattern")
    });
    pattern
        .captures_iter(line)
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)))
        .filter(|m| !m.is_empty())
        .map(|m| m.range())
        .collect()
}

/// 1-based line and column (in characters) of a byte offset.
/// How many characters of a source line are shown on each side of the caret.
const SHOWN_AROUND: usize = 60;
/// How far around the caret passwords are looked for in a long line.
const PASSWORD_CONTEXT: usize = 2048;

/// A source line as a diagnostic shows it: passwords as `***`, control characters escaped, and
/// a long line cut to about 120 columns around the caret (`…` where it is cut).
#[derive(Debug)]
struct CutLine {
    text: String,
    /// Where the caret starts, in characters of `text`.
    caret_start: usize,
    /// How many characters it covers (at least one).
    width: usize,
}

fn cut_line(line: &str, caret: Range<usize>) -> CutLine {
    // Passwords are found in a window around the caret: a long line costs no more than a short.
    let context_start = floor_char_boundary(line, caret.start.saturating_sub(PASSWORD_CONTEXT));
    let context_end = floor_char_boundary(line, (caret.end + PASSWORD_CONTEXT).min(line.len()));
    let hidden: Vec<Span> = secret_values(&line[context_start..context_end])
        .into_iter()
        .map(|r| r.start + context_start..r.end + context_start)
        .collect();
    // A line of at most 120 columns is shown whole.
    let short = line.len() <= 2 * SHOWN_AROUND || line.chars().nth(2 * SHOWN_AROUND).is_none();
    let before: Vec<(usize, char)> = if short {
        Vec::new()
    } else {
        line[..caret.start].char_indices().collect()
    };
    let shown_start = before
        .len()
        .checked_sub(SHOWN_AROUND)
        .and_then(|skip| before.get(skip))
        .map_or(0, |(at, _)| *at);
    let shown_end = if short {
        line.len()
    } else {
        line[caret.end..]
            .char_indices()
            .nth(SHOWN_AROUND)
            .map_or(line.len(), |(at, _)| caret.end + at)
    };
    let mut text = String::new();
    let mut columns = 0;
    let mut caret_start = None;
    let mut caret_end = None;
    let push = |text: &mut String, piece: &str, columns: &mut usize| {
        text.push_str(piece);
        *columns += piece.chars().count();
    };
    if shown_start > 0 {
        push(&mut text, "…", &mut columns);
    }
    let mut at = shown_start;
    while at < shown_end {
        if caret_start.is_none() && at >= caret.start {
            caret_start = Some(columns);
        }
        if caret_end.is_none() && at >= caret.end {
            caret_end = Some(columns);
        }
        if let Some(range) = hidden.iter().find(|h| h.start <= at && at < h.end) {
            push(&mut text, REDACTED, &mut columns);
            at = range.end;
            continue;
        }
        let Some(c) = line[at..].chars().next() else {
            break;
        };
        if c.is_control() && c != '\t' {
            push(&mut text, &c.escape_default().to_string(), &mut columns);
        } else {
            push(&mut text, c.encode_utf8(&mut [0; 4]), &mut columns);
        }
        at += c.len_utf8();
    }
    let caret_start = caret_start.unwrap_or(columns);
    let caret_end = caret_end.unwrap_or(columns);
    if shown_end < line.len() {
        push(&mut text, "…", &mut columns);
    }
    CutLine {
        text,
        caret_start,
        width: caret_end.saturating_sub(caret_start).max(1),
    }
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

/// The candidate closest to `word`, if it is close enough to be what was meant: a letter or
/// two off (a swap counts as one), or alike by Jaro-Winkler.
pub(crate) fn nearest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.to_lowercase();
    candidates
        .iter()
        .map(|c| {
            let candidate = c.to_lowercase();
            let edits = strsim::damerau_levenshtein(&word, &candidate);
            let length = word.chars().count();
            let close = (length >= 3 && edits <= (length / 3).max(1))
                || strsim::jaro_winkler(&word, &candidate) >= 0.8;
            (close, edits, *c)
        })
        .filter(|(close, _, _)| *close)
        .min_by_key(|(_, edits, _)| *edits)
        .map(|(_, _, c)| c)
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
        Arc::new(Source::new("suite.toml".into(), text.to_owned()))
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
    fn never_shows_a_password_in_the_source_line() {
        let src = source(
            "key = { path = \"a.p12\", password = \"hunter2\" }\nkey_password = 'x y', port = 1\n",
        );
        let d = Diagnostic::at(&src, &(15..22), "bad file");
        assert_eq!(
            d.to_string(),
            "error: bad file\n --> suite.toml:1:16\n  |\n1 | key = { path = \"a.p12\", password = \"***\" }\n  |                ^^^^^^^\n"
        );
        // A caret after a hidden value moves with it.
        let d = Diagnostic::at(&src, &(69..73), "bad port");
        assert!(
            d.to_string()
                .contains("2 | key_password = '***', port = 1\n  |                       ^^^^\n"),
            "{d}"
        );
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

    #[test]
    fn long_lines_are_cut_around_the_caret_and_controls_escaped() {
        let line = format!("{}key = \"a\0b\"{}", "x".repeat(5000), "y".repeat(5000));
        let at = line.find("a\0b").unwrap_or_default();
        let cut = cut_line(&line, at..at + 3);
        assert!(
            cut.text.starts_with('…') && cut.text.ends_with('…'),
            "{}",
            cut.text
        );
        assert!(cut.text.chars().count() < 140, "{}", cut.text);
        assert!(cut.text.contains("a\\u{0}b"), "{}", cut.text);
        let shown: String = cut
            .text
            .chars()
            .skip(cut.caret_start)
            .take(cut.width)
            .collect();
        assert_eq!(shown, "a\\u{0}b");
    }

    #[test]
    fn naming_places_scans_the_text_once() {
        let text = "a = 1\n".repeat(10_000);
        let source = Source::new("s.toml".into(), text);
        for offset in (0..60_000).step_by(600) {
            let _ = source.location(&(offset..offset + 1));
        }
        assert_eq!(source.location(&(59_994..59_995)), "s.toml:10000:1");
        assert_eq!(source.scans(), 1);
    }

    #[test]
    fn a_place_is_named_only_when_shown_and_as_location_names_it() {
        let source = source("a = 1\nb = \"é\" # c\n");
        let place = source.place(&(17..18));
        assert_eq!(source.scans(), 0, "not shown yet");
        assert_eq!(place.to_string(), "suite.toml:2:11");
        assert_eq!(format!("{place:?}"), "suite.toml:2:11");
        assert_eq!(
            serde_json::to_string(&place).expect("a string"),
            "\"suite.toml:2:11\""
        );
        assert_eq!(source.location(&(17..18)), place.to_string());
    }
}
