//! A large suite is read as it parses. Parsed whole, a file of 100,000 requests is held three
//! times before the first request is checked: as one token list (60 MB), as one tree, then as
//! raw requests (70 MB). Cut at its `[[requests]]` headers, it parses in runs of about
//! [`PIECE`] bytes on every core while the loader checks the runs before them, and only a few
//! runs are held at a time.
//!
//! Only a file whose pieces mean what the whole means is cut: first its root keys and tables
//! (`vars`, `endpoints`), then `[[requests]]` tables, each followed only by its own sub-tables
//! (`[requests.expect]`). The loader reads any other file whole, and reads a cut file again
//! whole when anything in it is wrong, so that every mistake is found and said as in any file.

use std::ops::Range;
use std::sync::mpsc;

use serde::Deserialize;
use toml_parser::lexer::{Token, TokenKind};

use super::raw::RawRequest;
use super::spanned::{self, Spanned};

/// Below this, a file is read whole: cutting pays off for large suites only.
pub const LARGE: usize = 512 * 1024;
/// The text parsed at once: large enough that the work per parse is small beside it, small
/// enough that the runs held at a time are a few megabytes.
pub const PIECE: usize = 16 * 1024;

/// A file cut at its requests.
pub struct Cut {
    /// Where each `[[requests]]` header starts; there is at least one.
    starts: Vec<usize>,
}

/// A file cut at its requests, if it has the shape that can be cut.
pub fn cut(text: &str) -> Option<Cut> {
    let starts = request_starts(text)?;
    (!starts.is_empty()).then_some(Cut { starts })
}

/// A piece: one or more whole `[[requests]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Requests {
    requests: Vec<Spanned<Box<RawRequest>>>,
}

impl Cut {
    /// The text before the first request: the root keys and tables.
    pub fn root<'t>(&self, text: &'t str) -> &'t str {
        &text[..self.starts[0]]
    }

    pub fn requests(&self) -> usize {
        self.starts.len()
    }

    /// Gives each request to `take`, in order, as it is parsed, until `take` says stop.
    /// Returns whether every request was parsed and taken.
    pub fn each_request(
        &self,
        text: &str,
        piece: usize,
        mut take: impl FnMut(Spanned<Box<RawRequest>>) -> bool,
    ) -> bool {
        let pieces = join(&self.starts, text.len(), piece);
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(pieces.len());
        std::thread::scope(|scope| {
            // Each worker parses every `workers`-th piece, at most one ahead of the reader.
            let (handles, inboxes): (Vec<_>, Vec<_>) = (0..workers)
                .map(|worker| {
                    let (sender, inbox) = mpsc::sync_channel(1);
                    let mine: Vec<Range<usize>> = pieces
                        .iter()
                        .skip(worker)
                        .step_by(workers)
                        .cloned()
                        .collect();
                    // A worker that cannot start drops its sender: the file is read whole.
                    let handle = std::thread::Builder::new()
                        .spawn_scoped(scope, move || {
                            for range in mine {
                                let parsed = parse_piece(text, range);
                                let failed = parsed.is_none();
                                if sender.send(parsed).is_err() || failed {
                                    break;
                                }
                            }
                        })
                        .ok();
                    (handle, inbox)
                })
                .unzip();
            let taken = (0..pieces.len()).all(|index| {
                let Ok(Some(requests)) = inboxes[index % workers].recv() else {
                    return false;
                };
                requests.into_iter().all(&mut take)
            });
            // A worker blocked on a full inbox stops when it is gone. One that panicked says
            // no more than a piece that does not parse: the file is read again whole.
            drop(inboxes);
            for handle in handles.into_iter().flatten() {
                let _ = handle.join();
            }
            taken
        })
    }
}

fn parse_piece(text: &str, range: Range<usize>) -> Option<Vec<Spanned<Box<RawRequest>>>> {
    spanned::at_offset(range.start, || {
        toml::from_str::<Requests>(&text[range]).ok()
    })
    .map(|piece| piece.requests)
}

/// Consecutive pieces of about `size` bytes, each from one request's header to another's.
fn join(starts: &[usize], end: usize, size: usize) -> Vec<Range<usize>> {
    let mut pieces: Vec<Range<usize>> = Vec::new();
    for (index, &start) in starts.iter().enumerate() {
        let stop = starts.get(index + 1).copied().unwrap_or(end);
        match pieces.last_mut() {
            Some(last) if last.len() < size => last.end = stop,
            _ => pieces.push(start..stop),
        }
    }
    pieces
}

/// Where each `[[requests]]` header starts, or `None` when the file cannot be cut there.
fn request_starts(text: &str) -> Option<Vec<usize>> {
    let mut starts = Vec::new();
    // Brackets and braces open in a value: a `[` inside a multi-line array is no header.
    let mut depth = 0usize;
    let mut line_start = true;
    let mut in_root = true;
    let mut tokens = toml_parser::Source::new(text).lex();
    while let Some(token) = tokens.next() {
        let kind = token.kind();
        match kind {
            TokenKind::Whitespace | TokenKind::Comment | TokenKind::Eof => continue,
            TokenKind::Newline => {
                line_start = true;
                continue;
            }
            TokenKind::LeftSquareBracket if line_start && depth == 0 => {
                let header = Header::read(text, &mut tokens)?;
                match header {
                    Header::Requests => starts.push(token.span().start()),
                    Header::RequestPart if !starts.is_empty() => {}
                    Header::Other if starts.is_empty() => {}
                    _ => return None,
                }
                in_root = false;
            }
            // A root key named `requests` (or quoted, which may spell it) would meet the
            // pieces' `requests` only in the whole file.
            TokenKind::Atom
                if line_start && depth == 0 && in_root && raw(text, token) == "requests" =>
            {
                return None;
            }
            TokenKind::BasicString | TokenKind::LiteralString
                if line_start && depth == 0 && in_root =>
            {
                return None;
            }
            TokenKind::LeftSquareBracket | TokenKind::LeftCurlyBracket => depth += 1,
            TokenKind::RightSquareBracket | TokenKind::RightCurlyBracket => {
                depth = depth.checked_sub(1)?;
            }
            _ => {}
        }
        line_start = false;
    }
    Some(starts)
}

fn raw(text: &str, token: Token) -> &str {
    let span = token.span();
    &text[span.start()..span.end()]
}

/// What a table header names, as far as cutting goes.
enum Header {
    /// `[[requests]]`: a new request, where a piece may start.
    Requests,
    /// `[requests.expect]`, `[[requests.capture.x]]`: a part of the request above.
    RequestPart,
    /// Any other plain header (`[endpoints.api]`).
    Other,
    /// `[requests]`, or a quoted first key, which may spell `requests`.
    Unsure,
}

impl Header {
    /// Reads a header after its first `[`, up to its last `]`.
    fn read(text: &str, tokens: &mut impl Iterator<Item = Token>) -> Option<Self> {
        let mut parts = Vec::new();
        let mut array = false;
        let mut closing = 0;
        for token in tokens.by_ref() {
            match token.kind() {
                TokenKind::LeftSquareBracket if parts.is_empty() && !array => array = true,
                TokenKind::RightSquareBracket => {
                    closing += 1;
                    if closing == 1 + usize::from(array) {
                        break;
                    }
                }
                TokenKind::Whitespace => {}
                _ if closing > 0 => return None,
                _ => parts.push(token),
            }
        }
        let first = parts.first()?;
        Some(match (first.kind(), raw(text, *first)) {
            (TokenKind::Atom, "requests") => match (parts.len(), array) {
                (1, true) => Self::Requests,
                (1, false) => Self::Unsure,
                _ => Self::RequestPart,
            },
            (TokenKind::Atom, _) => Self::Other,
            _ => Self::Unsure,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cuts(text: &str) -> bool {
        cut(text).is_some()
    }

    /// Shapes whose pieces would not mean what the whole means are not cut.
    #[test]
    fn unsure_shapes_are_not_cut() {
        let request = "[[requests]]\npath = \"/\"\n";
        for text in [
            format!("requests = []\n{request}"),
            format!("\"requests\" = []\n{request}"),
            format!("[requests]\n{request}"),
            format!("[\"requests\".x]\n{request}"),
            format!("{request}[endpoints.api]\nurl = \"https://a\"\n"),
            format!("{request}[ requests ]\n"),
            "[endpoints.api]\nurl = \"https://a\"\n".to_owned(),
        ] {
            assert!(!cuts(&text), "{text}");
        }
        assert!(cuts(&format!("{request}[ requests . expect ]\n{request}")));
        assert!(cuts(&format!("x = [\n[1],\n]\n{request}")));
    }

    /// Pieces are whole requests of about the size asked, and cover the file from the first.
    #[test]
    fn pieces_are_whole_requests() {
        let starts = [10, 20, 30, 40, 50];
        assert_eq!(join(&starts, 60, 15), [10..30, 30..50, 50..60]);
        assert_eq!(join(&starts, 60, 1000), vec![10..60]);
    }
}
