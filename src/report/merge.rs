//! `runner report merge`: the JSON reports of a sharded run (one per CI job) joined into one
//! document, which is then written as any run's reports are, JUnit or JSON.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::words::io_reason;

/// The largest JSON report read: reports hold response bodies, up to `max_body` each.
pub const REPORT_LIMIT: u64 = 1 << 30;

/// The counts of a report's summary that add up across shards.
const COUNTS: [&str; 7] = [
    "files",
    "requests",
    "passed",
    "failed",
    "errors",
    "unwritten",
    "skipped",
];

/// Joins the reports in the order given: their files one after another, their counts added,
/// and the longest duration (the shards ran side by side). Every unreadable report is named.
pub fn merge(inputs: &[PathBuf]) -> Result<Value, Vec<Diagnostic>> {
    let mut files = Vec::new();
    let mut summary = Map::new();
    for count in COUNTS {
        summary.insert(count.to_owned(), Value::from(0u64));
    }
    let mut duration = 0;
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
        let counts = report.remove("summary").unwrap_or(Value::Null);
        for count in COUNTS {
            let sum = summary[count].as_u64().unwrap_or(0) + counts[count].as_u64().unwrap_or(0);
            summary.insert(count.to_owned(), Value::from(sum));
        }
        duration = duration.max(counts["duration_ms"].as_u64().unwrap_or(0));
    }
    summary.insert("duration_ms".to_owned(), Value::from(duration));
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut document = Map::new();
    document.insert("files".to_owned(), Value::Array(files));
    document.insert("summary".to_owned(), Value::Object(summary));
    Ok(Value::Object(document))
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
