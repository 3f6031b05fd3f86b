//! Reports written to files: JUnit XML (one testsuite per suite file, one testcase per request)
//! and JSON (the whole run).

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;
use serde_json::Value;

use super::results::{FileResult, Summary};
use crate::exec::{RequestReport, Verdict};

/// `--report KIND=PATH`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportFile {
    Junit(PathBuf),
    Json(PathBuf),
}

impl ReportFile {
    /// Parses `junit=PATH` or `json=PATH`.
    pub fn parse(arg: &str) -> Result<Self, String> {
        match arg.split_once('=') {
            Some(("junit", path)) if !path.is_empty() => Ok(Self::Junit(path.into())),
            Some(("json", path)) if !path.is_empty() => Ok(Self::Json(path.into())),
            _ => Err(format!(
                "`{arg}` is not a report: write junit=PATH or json=PATH"
            )),
        }
    }

    pub fn path(&self) -> &Path {
        match self {
            Self::Junit(path) | Self::Json(path) => path,
        }
    }
}

/// The run as the JSON report has it: every file, its requests (each with its verdict) and the
/// ones that did not run, and the counts. Both kinds of report are written from it, and
/// `runner report merge` reads it back.
pub fn document(results: &[FileResult], summary: &Summary, skipped: &str) -> Value {
    let run = JsonRun {
        files: results
            .iter()
            .map(|r| JsonFile {
                path: r.plan.path.display().to_string(),
                requests: r
                    .finished
                    .iter()
                    .map(|f| JsonRequest {
                        verdict: verdict_name(f.verdict),
                        report: &f.report,
                    })
                    .collect(),
                skipped: r
                    .unfinished()
                    .map(|p| JsonSkipped {
                        name: p.name,
                        reason: skipped,
                    })
                    .collect(),
            })
            .collect(),
        summary,
    };
    serde_json::to_value(&run).unwrap_or(Value::Null)
}

/// The text of one report file, from the run's document.
pub fn text(report: &ReportFile, document: &Value) -> Result<String, String> {
    match report {
        ReportFile::Junit(_) => junit(document).map_err(|e| e.to_string()),
        ReportFile::Json(_) => {
            let mut text = serde_json::to_string_pretty(document).map_err(|e| e.to_string())?;
            text.push('\n');
            Ok(text)
        }
    }
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Passed => "passed",
        Verdict::Failed => "failed",
        Verdict::Broken => "error",
        Verdict::Unwritten => "unwritten",
    }
}

/// A request's failure as JUnit shows it: its first line, and the whole of it.
fn failure_text(request: &Value) -> (String, String) {
    if let Some(error) = request["error"].as_str() {
        let summary = error.lines().next().unwrap_or_default().to_owned();
        return (summary, error.to_owned());
    }
    let text = |value: &Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), ToOwned::to_owned)
    };
    let failed: Vec<String> = request["expectations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["passed"] == Value::Bool(false))
        .map(|c| {
            format!(
                "{} expected {}, got {} ({})",
                text(&c["what"]),
                text(&c["expected"]),
                text(&c["actual"]),
                text(&c["location"])
            )
        })
        .collect();
    (
        failed.first().cloned().unwrap_or_default(),
        failed.join("\n"),
    )
}

fn junit(document: &Value) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("runner");
    let list = |value: &Value| value.as_array().cloned().unwrap_or_default();
    for file in list(&document["files"]) {
        let name = file["path"].as_str().unwrap_or_default().to_owned();
        let mut suite = TestSuite::new(name.clone());
        let mut time = 0;
        for request in list(&file["requests"]) {
            let status = match request["verdict"].as_str() {
                Some("passed") => TestCaseStatus::success(),
                verdict => {
                    let kind = if verdict == Some("failed") {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut status = TestCaseStatus::non_success(kind);
                    let (message, description) = failure_text(&request);
                    status.set_message(message).set_description(description);
                    status
                }
            };
            let mut case = TestCase::new(request["name"].as_str().unwrap_or_default(), status);
            // Every attempt and the waits between them.
            let total_ms = request["total_ms"].as_u64().unwrap_or(0);
            time += total_ms;
            let attempts = request["attempts"].as_u64().unwrap_or(0);
            case.set_classname(name.clone())
                .set_time(Duration::from_millis(total_ms));
            case.set_system_out(format!(
                "{} {} -> {} ({} attempt{})",
                request["method"].as_str().unwrap_or_default(),
                request["url"].as_str().unwrap_or_default(),
                request["status"]
                    .as_u64()
                    .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                attempts,
                if attempts == 1 { "" } else { "s" }
            ));
            suite.add_test_case(case);
        }
        for skipped in list(&file["skipped"]) {
            let mut status = TestCaseStatus::skipped();
            status.set_message(skipped["reason"].as_str().unwrap_or_default());
            let mut case = TestCase::new(skipped["name"].as_str().unwrap_or_default(), status);
            case.set_classname(name.clone());
            suite.add_test_case(case);
        }
        suite.set_time(Duration::from_millis(time));
        report.add_test_suite(suite);
    }
    report.to_string().map(|xml| without_root_skipped(&xml))
}

/// Jenkins' junit-10.xsd allows a `skipped` count on each `<testsuite>` but not on the
/// `<testsuites>` root, where quick-junit writes one: the root's is left out.
fn without_root_skipped(xml: &str) -> String {
    let Some(start) = xml.find("<testsuites") else {
        return xml.to_owned();
    };
    let end = xml[start..].find('>').map_or(xml.len(), |at| start + at);
    let root = &xml[start..end];
    let Some(at) = root.find(" skipped=\"") else {
        return xml.to_owned();
    };
    let value_end = root[at + 10..]
        .find('"')
        .map_or(root.len(), |q| at + 10 + q + 1);
    format!(
        "{}{}{}",
        &xml[..start + at],
        &root[value_end..],
        &xml[end..]
    )
}

#[derive(Serialize)]
struct JsonRun<'a> {
    files: Vec<JsonFile<'a>>,
    summary: &'a Summary,
}

#[derive(Serialize)]
struct JsonFile<'a> {
    path: String,
    requests: Vec<JsonRequest<'a>>,
    /// The requests that did not run, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<JsonSkipped<'a>>,
}

/// A request as run, with its verdict: "passed", "failed", "error" or "unwritten".
#[derive(Serialize)]
struct JsonRequest<'a> {
    verdict: &'static str,
    #[serde(flatten)]
    report: &'a RequestReport,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    name: &'a str,
    reason: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_loses_only_its_skipped_count() {
        assert_eq!(
            without_root_skipped(
                r#"<testsuites name="runner" tests="3" skipped="2" errors="0"><testsuite name="a" skipped="2"></testsuite></testsuites>"#
            ),
            r#"<testsuites name="runner" tests="3" errors="0"><testsuite name="a" skipped="2"></testsuite></testsuites>"#
        );
    }
}
