//! Logs on stderr through `tracing`: a readable line per event, or one JSON object per event
//! with named fields. `RUST_LOG` wins over `-v`/`-q`.

use std::fmt;

use tracing::field::{Field, Visit};

use crate::style::{Style, paint};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// `--log-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// A readable line per event.
    Text,
    /// One JSON object per event, with named fields.
    Json,
}

/// Sets up the process's logging. `verbosity`: -1 quiet, 0 default, 1 `-v`, 2 `-vv`.
pub fn init(format: LogFormat, verbosity: i8) {
    // -v: headers; -vv: bodies and TLS details; -vvv: the HTTP and TLS libraries' own lines.
    let directives = match verbosity {
        i8::MIN..=-1 => "warn,runner=warn",
        0 => "warn,runner=info",
        1 => "warn,runner=debug",
        2 => "warn,runner=trace",
        _ => "debug,runner=trace",
    };
    let filter = EnvFilter::try_from_env("RUST_LOG").unwrap_or_else(|_| EnvFilter::new(directives));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| LogWriter(Vec::new()))
        .with_ansi(false);
    // A second initialisation (tests calling `run` twice in one process) keeps the first.
    let _ = match format {
        LogFormat::Text => builder.event_format(Plain).try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .with_target(false)
            .try_init(),
    };
}

/// One event's text, written to stderr (above the progress bar, if there is one) when the event
/// is complete. The sequencer makes events in input order, also under `--jobs`.
struct LogWriter(Vec<u8>);

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        // The libraries' own lines (-vvv) never went through a redactor: every line is scanned
        // for the run's secrets, runner's own too (they hold `***` already).
        match KNOWN_SECRETS.get() {
            Some(redactor) if !redactor.is_empty() => {
                let text = redactor.redact(&String::from_utf8_lossy(&self.0));
                super::progress::write_stderr(text.as_bytes());
            }
            _ => super::progress::write_stderr(&self.0),
        }
    }
}

/// Every secret the run's suites hold when they load (environment values, passwords), for the
/// lines the libraries log themselves.
static KNOWN_SECRETS: std::sync::OnceLock<crate::secret::Redactor> = std::sync::OnceLock::new();

/// Makes the log writer hide these secrets in every line, from now on.
pub fn hide(secrets: crate::secret::Redactor) {
    let _ = KNOWN_SECRETS.set(secrets);
}

/// The message alone, after `error: ` or `warning: `: the fields are in it already.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        match *event.metadata().level() {
            Level::ERROR => write!(writer, "{} ", paint("error:", Style::Error))?,
            Level::WARN => write!(writer, "{} ", paint("warning:", Style::Warning))?,
            _ => {}
        }
        let mut message = Message {
            out: &mut writer,
            written: Ok(()),
        };
        event.record(&mut message);
        message.written?;
        writeln!(writer)
    }
}

/// Writes an event's message where the line goes, without a copy of its own.
struct Message<'w, 'a> {
    out: &'w mut Writer<'a>,
    written: fmt::Result,
}

impl Visit for Message<'_, '_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.written = write!(self.out, "{value:?}");
        }
    }
}
