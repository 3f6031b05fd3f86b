//! Reports written to files: JUnit XML (one testsuite per suite file, one testcase per request)
//! and JSON (the whole run).

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

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

/// The text of one report file. `skipped` says why the requests that did not run did not.
pub fn text(
    report: &ReportFile,
    results: &[FileResult],
    summary: &Summary,
    skipped: &str,
) -> Result<String, String> {
    match report {
        ReportFile::Junit(_) => junit(results, skipped).map_err(|e| e.to_string()),
        ReportFile::Json(_) => Ok(json(results, summary, skipped)),
    }
}

fn failure_text(report: &RequestReport) -> (String, String) {
    if let Some(error) = &report.error {
        let summary = error.lines().next().unwrap_or_default().to_owned();
        return (summary, error.clone());
    }
    let failed: Vec<String> = report
        .expectations
        .iter()
        .filter(|c| !c.passed)
        .map(|c| {
            format!(
                "{} expected {}, got {} ({})",
                c.what, c.expected, c.actual, c.location
            )
        })
        .collect();
    (
        failed.first().cloned().unwrap_or_default(),
        failed.join("\n"),
    )
}

fn junit(results: &[FileResult], skipped: &str) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("runner");
    for result in results {
        let name = result.plan.path.display().to_string();
        let mut suite = TestSuite::new(name.clone());
        for done in &result.finished {
            let status = match done.verdict {
                Verdict::Passed => TestCaseStatus::success(),
                verdict => {
                    let kind = if verdict == Verdict::Failed {
                        NonSuccessKind::Failure
                    } else {
                        NonSuccessKind::Error
                    };
                    let mut status = TestCaseStatus::non_success(kind);
                    let (message, description) = failure_text(&done.report);
                    status.set_message(message).set_description(description);
                    status
                }
            };
            let mut case = TestCase::new(done.report.name.clone(), status);
            // Every attempt and the waits between them.
            case.set_classname(name.clone())
                .set_time(Duration::from_millis(done.report.total_ms));
            case.set_system_out(format!(
                "{} {} -> {} ({} attempt{})",
                done.report.method,
                done.report.url,
                done.report
                    .status
                    .map_or_else(|| "no answer".to_owned(), |s| s.to_string()),
                done.report.attempts,
                if done.report.attempts == 1 { "" } else { "s" }
            ));
            suite.add_test_case(case);
        }
        for planned in result.unfinished() {
            let mut status = TestCaseStatus::skipped();
            status.set_message(skipped.to_owned());
            let mut case = TestCase::new(planned.name.clone(), status);
            case.set_classname(name.clone());
            suite.add_test_case(case);
        }
        suite.set_time(Duration::from_millis(
            result.finished.iter().map(|f| f.report.total_ms).sum(),
        ));
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
    requests: Vec<&'a RequestReport>,
    /// The requests that did not run, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    skipped: Vec<JsonSkipped<'a>>,
}

#[derive(Serialize)]
struct JsonSkipped<'a> {
    name: &'a str,
    reason: &'a str,
}

fn json(results: &[FileResult], summary: &Summary, skipped: &str) -> String {
    let run = JsonRun {
        files: results
            .iter()
            .map(|r| JsonFile {
                path: r.plan.path.display().to_string(),
                requests: r.finished.iter().map(|f| &f.report).collect(),
                skipped: r
                    .unfinished()
                    .map(|p| JsonSkipped {
                        name: &p.name,
                        reason: skipped,
                    })
                    .collect(),
            })
            .collect(),
        summary,
    };
    let mut text = serde_json::to_string_pretty(&run).unwrap_or_default();
    text.push('\n');
    text
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
