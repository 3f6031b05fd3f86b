//! `runner report merge`: the JSON reports of a sharded run (one per CI job) joined into one
//! document, which is then written as any run's reports are, JUnit or JSON.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::results::Summary;
use crate::diagnostic::Diagnostic;
use crate::words::io_reason;

/// The largest JSON report read: reports hold response bodies, up to `max_body` each.
pub const REPORT_LIMIT: u64 = 1 << 30;

/// Joins the reports in the order given: their files one after another, their counts added,
/// and the longest duration (the shards ran side by side). Every unreadable report is named.
/// Returns the merged document and its summary.
pub fn merge(inputs: &[PathBuf]) -> Result<(Value, Summary), Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut summary = Summary::default();
    let mut errors = Vec::new();
    for input in inputs {
        let report = match read(input) {
            Ok(report) => report,
            Err(error) => {
                errors.push(error);
                continue;
            }
        };
        let Value::Object(mut report) = report else {
            continue;
        };
        if let Some(Value::Array(more)) = report.remove("files") {
            files.extend(more);
        }
        let counts = report
            .remove("summary")
            .and_then(|counts| serde_json::from_value(counts).ok())
            .unwrap_or_default();
        summary.join(&counts);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut document = Map::new();
    document.insert("files".to_owned(), Value::Array(files));
    document.insert(
        "summary".to_owned(),
        serde_json::to_value(summary).unwrap_or(Value::Null),
    );
    Ok((Value::Object(document), summary))
}

/// One report, checked to be a runner JSON report.
fn read(path: &Path) -> Result<Value, Diagnostic> {
    let help = "give the files written by `runner run --report json=PATH`";
    let bytes = crate::read::bounded(path, REPORT_LIMIT, true).map_err(|error| {
        Diagnostic::file(
            path,
            format!("cannot read this report: {}", io_reason(&error)),
        )
        .help(help)
    })?;
    let report: Value = serde_json::from_slice(&bytes).map_err(|error| {
        Diagnostic::file(path, format!("this report is not JSON: {error}")).help(help)
    })?;
    if !report["files"].is_array() || !report["summary"].is_object() {
        return Err(Diagnostic::file(
            path,
            "this is not a runner JSON report: it has no `files` list and `summary`",
        )
        .help(help));
    }
    Ok(report)
}
