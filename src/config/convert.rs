//! Raw suite → validated suite: the walk over the raw types, collecting every problem as a
//! diagnostic instead of stopping at the first. The helpers here are shared by the endpoint,
//! request and expectation conversions.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::duration::{self, DurationError};
use super::raw::{RawDuration, Scalar};
use super::spanned::Spanned;
use super::suite::FileRef;
use super::template::{CaptureNames, Origin, Resolved, Scope, Template};
use crate::diagnostic::{Diagnostic, Source, Span};
use crate::secret::Secret;

/// The state of one conversion: where we are and what went wrong so far.
pub(super) struct Converter<'a> {
    pub source: &'a Arc<Source>,
    pub scope: &'a Scope<'a>,
    /// The suite file's folder: paths in the suite are relative to it.
    pub base_dir: &'a Path,
    pub errors: Vec<Diagnostic>,
}

impl Converter<'_> {
    /// Records a problem; the caller goes on to find more.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.errors.push(diagnostic);
    }

    pub fn error(&self, span: &Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic::at(self.source, span, message)
    }

    fn origin<'s>(&'s self, span: &'s Span) -> Origin<'s> {
        Origin {
            source: self.source,
            span,
        }
    }

    /// A string that may use captures of earlier requests.
    pub fn template(
        &mut self,
        value: &Spanned<String>,
        captures: &CaptureNames,
    ) -> Option<Template> {
        let span = value.span();
        let resolved = self.scope.resolve(self.origin(&span), value, captures);
        resolved.map_err(|e| self.report(e)).ok()
    }

    /// A scalar (string, number, boolean) as a string template.
    pub fn scalar(&mut self, value: &Spanned<Scalar>, captures: &CaptureNames) -> Option<Template> {
        match value.get() {
            Scalar::String(text) => {
                let span = value.span();
                let resolved = self.scope.resolve(self.origin(&span), text, captures);
                resolved.map_err(|e| self.report(e)).ok()
            }
            other => Some(Template::literal(scalar_text(other))),
        }
    }

    /// A string needed when the suite loads: captures are not available.
    pub fn resolve_now(&mut self, value: &Spanned<String>) -> Option<Resolved> {
        let span = value.span();
        let resolved = self.scope.resolve_now(self.origin(&span), value);
        resolved.map_err(|e| self.report(e)).ok()
    }

    /// A value needed at load, with the secrets it holds (environment values, variables used as
    /// passwords).
    pub fn resolve_now_with_secrets(
        &mut self,
        value: &Spanned<String>,
    ) -> Option<(Resolved, Vec<Secret>)> {
        let span = value.span();
        let template = self
            .scope
            .resolve(self.origin(&span), value, &CaptureNames::default());
        let template = template.map_err(|e| self.report(e)).ok()?;
        let secrets = template.load_secrets().map(Secret::new).collect();
        Some((template.resolved()?, secrets))
    }

    /// A size in bytes ("64MiB", or a number of bytes).
    pub fn size(&mut self, value: &Spanned<super::raw::RawSize>) -> Option<u64> {
        let parsed = match value.get() {
            super::raw::RawSize::Bytes(bytes) => Some(*bytes),
            super::raw::RawSize::Text(text) => crate::size::parse(text),
        };
        if parsed.is_none() {
            self.report(self.error(&value.span(), "not a size").help(
                "write a number of bytes, or a number and a unit: \"512KiB\", \"64MiB\", \"1GiB\"",
            ));
        }
        parsed
    }

    /// A password: always a secret, whatever it was written as.
    pub fn secret(&mut self, value: &Spanned<String>) -> Option<Secret> {
        self.resolve_now(value)
            .map(|resolved| Secret::new(resolved.value))
    }

    /// A file path, resolved against the suite's folder. The file itself is read by the stage
    /// that uses it.
    pub fn file(&mut self, value: &Spanned<String>) -> Option<FileRef> {
        let resolved = self.resolve_now(value)?;
        if resolved.value.trim().is_empty() {
            self.report(
                self.error(&value.span(), "the file path is empty")
                    .help("give a path relative to the suite file"),
            );
            return None;
        }
        Some(FileRef {
            path: self.base_dir.join(&resolved.value),
            shown: resolved.shown,
            span: value.span(),
        })
    }

    /// A duration; `positive` refuses zero.
    /// A timeout or a wait: at most a day ([`duration::MAX`]).
    pub fn duration(&mut self, value: &Spanned<RawDuration>, positive: bool) -> Option<Duration> {
        self.duration_within(value, positive, duration::MAX)
    }

    /// A whole-request timeout: a duration, or "none" for no limit (`None`).
    pub fn timeout(&mut self, value: &Spanned<RawDuration>) -> Option<Option<Duration>> {
        if let RawDuration::Text(text) = value.get()
            && text.trim() == "none"
        {
            return Some(None);
        }
        self.duration(value, true).map(Some)
    }

    /// A duration of at most `max`.
    pub fn duration_within(
        &mut self,
        value: &Spanned<RawDuration>,
        positive: bool,
        max: Duration,
    ) -> Option<Duration> {
        let span = value.span();
        let (parsed, shown) = match value.get() {
            RawDuration::Seconds(seconds) => (
                duration::parse_seconds(*seconds, positive),
                seconds.to_string(),
            ),
            RawDuration::Text(text) => {
                let resolved = self.scope.resolve_now(self.origin(&span), text);
                let resolved = resolved.map_err(|e| self.report(e)).ok()?;
                (
                    duration::parse_text(&resolved.value, positive),
                    format!("\"{}\"", resolved.shown),
                )
            }
        };
        let help = "write a number and a unit, such as \"250ms\", \"10s\", \"2m\", \"1h\" or \"30d\", or a number of seconds";
        match parsed.and_then(|d| duration::at_most(d, max)) {
            Ok(duration) => Some(duration),
            Err(DurationError::TooLong(max)) => {
                self.report(
                    self.error(&span, format!("the duration {shown} is too long"))
                        .help(format!("the most it may be is {}", duration::show(max))),
                );
                None
            }
            Err(DurationError::Invalid) => {
                self.report(
                    self.error(&span, format!("invalid duration {shown}"))
                        .help(help),
                );
                None
            }
            Err(DurationError::Negative) => {
                self.report(
                    self.error(&span, format!("negative duration {shown}"))
                        .help(help),
                );
                None
            }
            Err(DurationError::Zero) => {
                self.report(
                    self.error(&span, "the duration must be more than zero")
                        .help(help),
                );
                None
            }
        }
    }
}

/// A scalar's text, as it is substituted into strings.
pub fn scalar_text(scalar: &Scalar) -> String {
    match scalar {
        Scalar::String(text) => text.clone(),
        Scalar::Integer(n) => n.to_string(),
        Scalar::Float(n) => n.to_string(),
        Scalar::Boolean(b) => b.to_string(),
    }
}
