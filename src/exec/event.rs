//! What the executor tells while it runs: one stream of events per suite file, in the order
//! things happen. `report` turns them into payloads, log lines, progress and reports; the same
//! events serve sequential runs, `--jobs`, retries and `--fail-fast`.

use std::path::PathBuf;
use std::time::Duration;

use bytes::Bytes;

use super::body::BodyKind;
use super::outcome::{Finished, ServerChain};

/// Where the bytes of a body go as they arrive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// The payload on stdout (`--output pretty`).
    Stdout,
    /// `output = "FILE"`: the path to write, and the path as it may be shown.
    File { path: PathBuf, shown: String },
}

/// One thing that happened.
#[derive(Debug)]
pub enum Event {
    /// A suite file starts; `warnings` are said once for it (weakened security, ...).
    FileStarted {
        path: PathBuf,
        warnings: Vec<String>,
    },
    /// An attempt at a request is sent; the headers as they may be shown.
    AttemptStarted {
        request: String,
        attempt: u32,
        /// More attempts may follow: its payload waits until it is known to be the last.
        may_retry: bool,
        method: String,
        url: String,
        headers: Vec<(String, String)>,
    },
    /// The answer's head arrived (secrets hidden in the headers).
    Answer {
        request: String,
        status: u16,
        headers: Vec<(String, String)>,
        certificates: ServerChain,
    },
    /// A redirect is followed: to the URL shown (secrets hidden); `stripped`: the hop carries
    /// nothing of the suite's (another origin).
    Redirected {
        request: String,
        status: u16,
        to: String,
        stripped: bool,
    },
    /// The body starts. `to`: where its chunks go (none follow without one); `whole`: the body
    /// is shown whole, from the request's report, once it is finished.
    BodyStarted {
        to: Option<Destination>,
        kind: BodyKind,
        whole: bool,
    },
    /// A piece of the body, for the destination of the last `BodyStarted`.
    Chunk(Bytes),
    /// Something the user should hear of about this request (a silent fallback, say).
    Warning { request: String, message: String },
    /// An attempt did not do: another follows after `wait`.
    RetryScheduled {
        request: String,
        attempt: u32,
        attempts: u32,
        reason: String,
        wait: Duration,
    },
    /// A request is done: its report and verdict.
    RequestFinished(Box<Finished>),
    /// The suite file is done.
    FileFinished,
}

/// Results can no longer be written (a closed stdout, a full disk): the run stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unwritable(pub String);

/// Takes a suite file's events, in order.
pub trait Listener: Send {
    /// An error stops the request at hand, which is not tried again, and the run.
    fn event(&mut self, event: Event) -> Result<(), Unwritable>;
}
