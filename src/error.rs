//! The errors that reach the top, each with its exit code (spec §6).

use std::fmt;
use std::process::ExitCode;

use crate::config::ConfigError;
use crate::load::LoadError;

/// Every request ran and every expectation held.
pub const EXIT_OK: u8 = 0;
/// An expectation failed.
pub const EXIT_EXPECTATION_FAILED: u8 = 1;
/// Invalid input: command line, suite file or TLS material. Nothing was sent.
pub const EXIT_INVALID_INPUT: u8 = 2;
/// A request could not complete: connection, TLS handshake, timeout.
pub const EXIT_REQUEST_FAILED: u8 = 3;

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
    /// A report file could not be written.
    Report(String),
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
            | Self::Report(_)
            | Self::Client(_)
            | Self::Serve(_)
            | Self::Runtime(_)
            | Self::Output(_) => EXIT_INVALID_INPUT,
            Self::Demo(_) => EXIT_INVALID_INPUT,
            Self::DemoFailed { code, .. } => *code,
        })
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Load(errors) => {
                for (i, error) in errors.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{error}")?;
                }
                Ok(())
            }
            Self::Client(error) => error.fmt(f),
            Self::Serve(error) => error.fmt(f),
            Self::Demo(message) | Self::Report(message) => writeln!(f, "error: {message}"),
            Self::DemoFailed { suites, .. } => writeln!(
                f,
                "error: runner demo: these suites failed: {}",
                suites.join(", ")
            ),
            Self::Usage(message, help) => writeln!(f, "error: {message}\n  = help: {help}"),
            Self::Runtime(error) => writeln!(f, "error: cannot start: {}", io_reason(error)),
            Self::Output(error) => {
                writeln!(f, "error: cannot write the output: {}", io_reason(error))
            }
        }
    }
}

impl From<ConfigError> for Error {
    fn from(error: ConfigError) -> Self {
        Self::Load(vec![LoadError::Config(error)])
    }
}

/// An I/O error in words, without Rust's "(os error 2)".
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
