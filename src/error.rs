//! The errors that reach the top, each with its exit code (spec §6).

use std::fmt;
use std::process::ExitCode;

use crate::config::ConfigError;
use crate::diagnostic::Diagnostic;
use crate::load::LoadError;
use crate::words::io_reason;

/// Every request ran and every expectation held.
pub const EXIT_OK: u8 = 0;
/// An expectation failed.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Invalid input: command line, suite file or TLS material. Nothing was sent.
pub const EXIT_INVALID_INPUT: u8 = 2;
/// A request could not complete: connection, TLS handshake, timeout, an internal error.
pub const EXIT_REQUEST_FAILED: u8 = 3;
/// Results could not be written: closed stdout, full disk, a report or output file.
pub const EXIT_UNWRITABLE: u8 = 4;
/// Interrupted by SIGINT (128 + 2).
pub const EXIT_SIGINT: u8 = 130;
/// Interrupted by SIGTERM (128 + 15).
pub const EXIT_SIGTERM: u8 = 143;

pub use crate::diagnostic::MAX_SHOWN;

/// An error that ends a command.
#[derive(Debug)]
pub enum Error {
    /// Suites that cannot be used, each error rendered in full.
    Load(Vec<LoadError>),
    /// An endpoint's HTTP client could not be set up.
    Client(crate::client::ClientError),
    /// `runner serve` could not start.
    Serve(crate::serve::ServeError),
    /// A command-line value names nothing: the message and a help line.
    Usage(String, String),
    /// Input that cannot be used, found after loading: destinations, names across files.
    Invalid(Vec<Diagnostic>),
    /// `runner demo` could not run its suites.
    Demo(String),
    /// Suites of `runner demo` failed; `code` is the worst of their exit codes.
    DemoFailed { suites: Vec<String>, code: u8 },
    /// The async runtime could not start.
    Runtime(std::io::Error),
    /// Writing the command's output failed (a closed pipe, a full disk).
    Output(std::io::Error),
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Load(_)
            | Self::Usage(..)
            | Self::Invalid(_)
            | Self::Client(_)
            | Self::Serve(_)
            | Self::Runtime(_)
            | Self::Demo(_) => EXIT_INVALID_INPUT,
            Self::Output(_) => EXIT_UNWRITABLE,
            Self::DemoFailed { code, .. } => *code,
        })
    }
}

impl Error {
    /// The error as diagnostics, for the one renderer.
    pub fn diagnostics(&self) -> Vec<Diagnostic> {
        match self {
            Self::Load(errors) => errors.iter().flat_map(LoadError::diagnostics).collect(),
            Self::Invalid(diagnostics) => diagnostics.clone(),
            Self::Client(error) => vec![Diagnostic::plain(error.to_string())],
            Self::Serve(error) => vec![Diagnostic::plain(error.to_string())],
            Self::Demo(message) => vec![Diagnostic::plain(message)],
            Self::DemoFailed { suites, .. } => vec![Diagnostic::plain(format!(
                "runner demo: these suites failed: {}",
                suites.join(", ")
            ))],
            Self::Usage(message, help) => vec![Diagnostic::plain(message).help(help)],
            Self::Runtime(error) => vec![Diagnostic::plain(format!(
                "cannot start: {}",
                io_reason(error)
            ))],
            Self::Output(error) => vec![Diagnostic::plain(format!(
                "cannot write the output: {}",
                io_reason(error)
            ))],
        }
    }

    /// Renders the error: text, a blank line between diagnostics, or one JSON object a line.
    /// At most [`MAX_SHOWN`] are shown, then how many more there are.
    pub fn render(&self, json: bool) -> String {
        let mut diagnostics = self.diagnostics();
        let more = diagnostics.len().saturating_sub(MAX_SHOWN);
        diagnostics.truncate(MAX_SHOWN);
        if more > 0 {
            diagnostics.push(
                Diagnostic::plain(format!(
                    "and {more} more {}, not shown",
                    if more == 1 { "problem" } else { "problems" }
                ))
                .help(format!(
                    "at most {MAX_SHOWN} are shown: fix these, and the rest show next time"
                )),
            );
        }
        if json {
            return diagnostics
                .iter()
                .map(|d| format!("{}\n", d.to_json()))
                .collect();
        }
        diagnostics
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Self::Load(vec![LoadError::Config(error)])
    }
}
