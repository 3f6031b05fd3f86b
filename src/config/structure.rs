//! Every structural mistake of a file in one run. serde stops at the first (an unknown key, a
//! value of the wrong type); the entry it names is blanked out of a copy of the text (spaces of
//! the same length, lines kept, so every other place stays where it is) and the copy is parsed
//! again, until it parses or the diagnostics cap is reached. What parses then goes on to the
//! checks of values, variables and the environment, so one run reports them all.

use std::ops::Range;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};

use super::RawSuite;
use crate::diagnostic::{Diagnostic, MAX_SHOWN, Source, nearest};

/// What parsing found: the suite as far as it parses (`None` when a mistake could not be set
/// aside: a syntax error, a missing key), each structural mistake in the order found, and the
/// places set aside, where no later check can judge a value.
#[derive(Debug)]
pub struct Parsed {
    pub raw: Option<RawSuite>,
    pub mistakes: Vec<Diagnostic>,
    pub set_aside: Vec<Range<usize>>,
}

pub fn parse(source: &Arc<Source>) -> Parsed {
    let mut text = source.text.clone();
    let mut found = Vec::new();
    let mut blanked: Vec<String> = Vec::new();
    let mut set_aside = Vec::new();
    let done = |raw, mistakes, set_aside| Parsed {
        raw,
        mistakes,
        set_aside,
    };
    loop {
        let error = match toml::from_str::<RawSuite>(&text) {
            Ok(raw) => return done(Some(raw), found, set_aside),
            Err(error) => error,
        };
        // A key blanked for its own mistake (or misspelt: `urll` for `url`) is missing now:
        // that says nothing new. The table that misses it is set aside too, unless it is a
        // whole section (an endpoint or a request): without it, the rest would only report its
        // absence.
        let said = |key: &str| {
            blanked
                .iter()
                .any(|b| b == key || nearest(b, &[key]).is_some())
        };
        if missing_field(error.message()).is_some_and(said) {
            match error.span().and_then(|span| entry_at(&text, span.start)) {
                Some((key, region)) if !text[region.clone()].trim_start().starts_with('[') => {
                    set_aside.push(blank(&mut text, region));
                    blanked.push(key);
                    continue;
                }
                _ => return done(None, found, set_aside),
            }
        }
        found.push(Diagnostic::from_toml(source, &error));
        if found.len() >= MAX_SHOWN {
            return done(None, found, set_aside);
        }
        let Some((key, region)) = error.span().and_then(|span| entry_at(&text, span.start)) else {
            return done(None, found, set_aside);
        };
        set_aside.push(blank(&mut text, region));
        blanked.push(key);
    }
}

/// The key serde says is missing: "missing field `url`".
fn missing_field(message: &str) -> Option<&str> {
    message.strip_prefix("missing field `")?.split('`').next()
}

/// The smallest `key = value` entry (its key and the place from key to value's end) that holds
/// `at`, at any depth.
fn entry_at(text: &str, at: usize) -> Option<(String, Range<usize>)> {
    let document = DeTable::parse(text).ok()?;
    let mut best: Option<(String, Range<usize>)> = None;
    search(document.get_ref(), at, &mut best);
    best
}

fn search(table: &DeTable<'_>, at: usize, best: &mut Option<(String, Range<usize>)>) {
    for (key, value) in table {
        let region = key.span().start..value.span().end;
        if region.start <= at && at < region.end {
            let smaller = best.as_ref().is_none_or(|(_, b)| region.len() < b.len());
            if smaller {
                *best = Some((key.get_ref().to_string(), region));
            }
        }
        within(value.get_ref(), at, best);
    }
}

fn within(value: &DeValue<'_>, at: usize, best: &mut Option<(String, Range<usize>)>) {
    match value {
        DeValue::Table(table) => search(table, at, best),
        DeValue::Array(items) => {
            for item in items.iter() {
                within(item.get_ref(), at, best);
            }
        }
        _ => {}
    }
}

/// Spaces over `region` (line ends kept), and over the comma that separated it from a neighbour
/// in an inline table or array, so what is left still parses. Returns the place blanked.
fn blank(text: &mut String, region: Range<usize>) -> Range<usize> {
    // A key in a `[table]` header: the header and the table's lines go, or they would land in
    // the table above.
    let line_start = text[..region.start].rfind('\n').map_or(0, |i| i + 1);
    let region = if text[line_start..].trim_start().starts_with('[') {
        let body = text[line_start..]
            .find('\n')
            .map_or(text.len(), |i| line_start + i);
        let mut end = body;
        for line in text[body..].split_inclusive('\n') {
            if line.trim_start().starts_with('[') {
                break;
            }
            end += line.len();
        }
        line_start..end
    } else {
        region
    };
    let mut bytes = std::mem::take(text).into_bytes();
    let space = |range: Range<usize>, bytes: &mut Vec<u8>| {
        for byte in &mut bytes[range] {
            if *byte != b'\n' && *byte != b'\r' {
                *byte = b' ';
            }
        }
    };
    space(region.clone(), &mut bytes);
    let is_space = |b: &u8| b.is_ascii_whitespace();
    let after = region.end
        + bytes[region.end..]
            .iter()
            .take_while(|b| is_space(b))
            .count();
    if bytes.get(after) == Some(&b',') {
        space(after..after + 1, &mut bytes);
    } else {
        let before = bytes[..region.start]
            .iter()
            .rev()
            .take_while(|b| is_space(b))
            .count();
        if let Some(comma) = region.start.checked_sub(before + 1)
            && bytes[comma] == b','
        {
            space(comma..comma + 1, &mut bytes);
        }
    }
    // Whole UTF-8 characters became spaces: the text is still UTF-8.
    *text = String::from_utf8(bytes).unwrap_or_default();
    region
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_keeps_places_and_parses() {
        let mut text = "a = { b = 1, c = 2 }\nd = 3\n".to_owned();
        let (key, region) = entry_at(&text, 6).expect("b");
        assert_eq!(key, "b");
        assert_eq!(blank(&mut text, region), 6..11);
        assert_eq!(text, "a = {        c = 2 }\nd = 3\n");
        let (key, region) = entry_at(&text, 13).expect("c");
        assert_eq!(key, "c");
        blank(&mut text, region);
        assert_eq!(text, "a = {              }\nd = 3\n");
        assert!(text.parse::<toml::Table>().is_ok());
        let mut last = "a = { b = 1, c = 2 }".to_owned();
        let (_, region) = entry_at(&last, 13).expect("c");
        blank(&mut last, region);
        assert_eq!(last, "a = { b = 1        }");
    }
}
