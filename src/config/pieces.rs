//! A large suite is read as it parses. Parsed whole, a file of 100,000 requests is held three
//! times before the first request is checked: as one token list (60 MB), as one tree, then as
//! raw requests (70 MB). Cut at its `[[requests]]` headers, it parses in runs of about
//! [`PIECE`] bytes on every core while the loader checks the runs before them, and only a few
//! runs are held at a time.
//!
//! The file is cut wherever a line starts with `[[requests]]`, without reading what is around
//! it, and the pieces themselves say whether the cuts were right: the text before the first
//! cut must parse with no `requests` in it, and each piece as `[[requests]]` tables and their
//! sub-tables only. A cut inside a multi-line string or array gives itself away: the piece
//! that ends there cannot parse (the string or array is left open). So when every piece parses,
//! each piece starts where the whole file's parser stands outside any value, and the pieces
//! mean what the whole means. The loader reads the file again whole when any piece does not
//! parse, or when anything in it is wrong, so that every mistake is found and said as in any
//! file.

use std::ops::Range;
use std::sync::mpsc;

use indexmap::IndexMap;
use serde::Deserialize;

use super::raw::{RawEndpoint, RawRequest, RawSuite, Scalar};
use super::spanned::{self, Spanned};

/// Below this, a file is read whole: cutting pays off for large suites only.
pub const LARGE: usize = 512 * 1024;
/// The text parsed at once: large enough that the work per parse is small beside it, small
/// enough that the runs held at a time are a few megabytes.
pub const PIECE: usize = 16 * 1024;

/// Where a file is cut: the start of each line that starts with this.
const HEADER: &str = "[[requests]]";

/// A file cut at its requests.
pub struct Cut {
    /// Where each `[[requests]]` line starts; there is at least one.
    starts: Vec<usize>,
}

/// A file cut at its requests, if it has any.
pub fn cut(text: &str) -> Option<Cut> {
    // memmem: the search reads every byte of the file before any piece can start, and
    // `match_indices` took 33 M instructions of it for a suite of 100,000 requests.
    let starts: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), HEADER)
        .filter(|&start| is_header_line(text, start))
        .collect();
    (!starts.is_empty()).then_some(Cut { starts })
}

/// Whether the header found at `start` is a line of its own: what follows it on the line
/// (a comment, say) is the parser's to judge.
fn is_header_line(text: &str, start: usize) -> bool {
    start == 0 || text.as_bytes()[start - 1] == b'\n'
}

/// The text before the first request. `requests` in it, even empty (`requests = []`), would
/// meet the pieces' requests only in the whole file. A root key of [`RawSuite`] missing here
/// only sends the files that use it to be read whole.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Root {
    #[serde(default)]
    vars: IndexMap<String, Spanned<Scalar>>,
    #[serde(default)]
    endpoints: IndexMap<String, Spanned<RawEndpoint>>,
}

/// A piece: one or more whole `[[requests]]` tables.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Requests {
    requests: Vec<Spanned<Box<RawRequest>>>,
}

impl Cut {
    /// The root keys and tables, read from the text before the first request; `None` when it
    /// does not parse or names `requests`.
    pub fn root(&self, text: &str) -> Option<RawSuite> {
        let root: Root = toml::from_str(&text[..self.starts[0]]).ok()?;
        Some(RawSuite {
            vars: root.vars,
            endpoints: root.endpoints,
            requests: Vec::new(),
        })
    }

    /// How many requests the cuts make: the count to make room for.
    pub fn requests(&self) -> usize {
        self.starts.len()
    }

    /// Shows each request to `take`, in order, as it is parsed, until `take` says stop.
    /// Returns whether every request was parsed and taken.
    pub fn each_request(
        &self,
        text: &str,
        piece: usize,
        mut take: impl FnMut(&Spanned<Box<RawRequest>>) -> bool,
    ) -> bool {
        let pieces = join(&self.starts, text.len(), piece);
        let workers = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(pieces.len());
        std::thread::scope(|scope| {
            // Each worker parses every `workers`-th piece, at most one ahead of the reader, and
            // frees the pieces the reader is done with: memory freed by the thread that took it
            // costs no lock that thread's own allocations wait on.
            let (handles, channels): (Vec<_>, Vec<_>) = (0..workers)
                .map(|worker| {
                    let (sender, inbox) = mpsc::sync_channel(1);
                    let (done, read) = mpsc::channel::<Vec<Spanned<Box<RawRequest>>>>();
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
                                read.try_iter().for_each(drop);
                                let parsed = parse_piece(text, range);
                                let failed = parsed.is_none();
                                if sender.send(parsed).is_err() || failed {
                                    break;
                                }
                            }
                            drop(sender);
                            read.iter().for_each(drop);
                        })
                        .ok();
                    (handle, (inbox, done))
                })
                .unzip();
            let taken = (0..pieces.len()).all(|index| {
                let (inbox, done) = &channels[index % workers];
                let Ok(Some(requests)) = inbox.recv() else {
                    return false;
                };
                let taken = requests.iter().all(&mut take);
                // A worker that is gone leaves its pieces to be freed here.
                let _ = done.send(requests);
                taken
            });
            // A worker blocked on a full inbox stops when it is gone, and one done parsing
            // when nothing more comes to free. One that panicked says no more than a piece
            // that does not parse: the file is read again whole.
            drop(channels);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// How many requests the file has, read in pieces of one request each; `None` when the
    /// pieces refuse it and the file is read whole.
    fn in_pieces(text: &str) -> Option<usize> {
        let cut = cut(text)?;
        cut.root(text)?;
        let mut read = 0;
        cut.each_request(text, 1, |_| {
            read += 1;
            true
        })
        .then_some(read)
    }

    /// Shapes whose pieces would not mean what the whole means are refused.
    #[test]
    fn unsure_shapes_are_read_whole() {
        let request = "[[requests]]\npath = \"/\"\n";
        for text in [
            format!("requests = []\n{request}"),
            format!("\"requests\" = []\n{request}"),
            format!("[requests]\n{request}"),
            format!("[\"requests\".x]\n{request}"),
            format!("[[ requests ]]\npath = \"/\"\n{request}"),
            format!("{request}[endpoints.api]\nurl = \"https://a\"\n"),
            format!("{request}[ requests ]\n"),
            "[endpoints.api]\nurl = \"https://a\"\n".to_owned(),
        ] {
            assert_eq!(in_pieces(&text), None, "{text}");
        }
        assert_eq!(
            in_pieces(&format!("{request}[ requests . expect ]\n{request}")),
            Some(2)
        );
        assert_eq!(
            in_pieces(&format!("{request}json = [\n[1],\n]\n{request}")),
            Some(2)
        );
        assert_eq!(in_pieces(&format!("{request}{request}# end\n")), Some(2));
    }

    /// A `[[requests]]` line inside a multi-line string is no cut: the piece that ends there
    /// leaves the string open, so the file is read whole, where it is one request.
    #[test]
    fn a_header_inside_a_string_is_no_cut() {
        let header = "\n[[requests]]\npath = \"/x\"\n";
        for (body, requests) in [
            (format!("\"\"\"{header}\"\"\""), 1),
            (format!("'''{header}'''"), 1),
            (format!("\"\"\"\\\n{header}\"\"\""), 1),
            // The last header is a real one, after the string.
            (format!("'''\n[[requests]]\n''' # {header}"), 2),
        ] {
            let text = format!("[[requests]]\npath = \"/\"\nbody = {body}\n");
            let whole: RawSuite = toml::from_str(&text).expect("valid TOML");
            assert_eq!(whole.requests.len(), requests, "{text}");
            assert_eq!(in_pieces(&text), None, "{text}");
            assert_eq!(in_pieces(&format!("{text}\n{text}")), None, "{text}");
        }
    }

    /// Pieces are whole requests of about the size asked, and cover the file from the first.
    #[test]
    fn pieces_are_whole_requests() {
        let starts = [10, 20, 30, 40, 50];
        assert_eq!(join(&starts, 60, 15), [10..30, 30..50, 50..60]);
        assert_eq!(join(&starts, 60, 1000), vec![10..60]);
    }
}
