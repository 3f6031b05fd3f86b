//! Reporting: the executor's events turned into payloads on stdout (`--output pretty|json|none`),
//! log lines on stderr, a progress bar, and JUnit and JSON report files. One path for
//! sequential runs, `--jobs`, retries, `--fail-fast` and interruptions.

pub mod destinations;
pub mod files;
mod lines;
pub mod logging;
pub mod merge;
mod payload;
pub mod present;
pub mod progress;
pub mod results;
pub mod sequence;
pub mod sink;
mod waiting;
