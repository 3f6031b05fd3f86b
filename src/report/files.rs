//! Reports written to files: JUnit XML (one testsuite per suite file, one testcase per request)
//! and JSON (the whole run).

use std::path::{Path, PathBuf};
use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
use serde::Serialize;

use super::RequestReport;
use crate::exec::{Finished, Verdict};

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

/// The requests of one suite file, as run.
#[derive(Debug)]
pub struct FileResult {
    pub path: PathBuf,
    pub finished: Vec<Finished>,
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Summary {
    pub files: usize,
    pub requests: usize,
    pub passed: usize,
    /// An expectation failed.
    pub failed: usize,
    /// Could not complete.
    pub errors: usize,
    pub duration_ms: u64,
}

impl Summary {
    pub fn of(results: &[FileResult], duration: Duration) -> Self {
        let verdicts = || results.iter().flat_map(|r| &r.finished).map(|f| f.verdict);
        Self {
            files: results.len(),
            requests: verdicts().count(),
            passed: verdicts().filter(|v| *v == Verdict::Passed).count(),
            failed: verdicts().filter(|v| *v == Verdict::Failed).count(),
            errors: verdicts().filter(|v| *v == Verdict::Broken).count(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

/// Writes one report file.
pub fn write(report: &ReportFile, results: &[FileResult], summary: &Summary) -> Result<(), String> {
    let text = match report {
        ReportFile::Junit(_) => junit(results).map_err(|e| e.to_string())?,
        ReportFile::Json(_) => json(results, summary),
    };
    std::fs::write(report.path(), text).map_err(|e| {
        format!(
            "cannot write the report {}: {}",
            report.path().display(),
            crate::error::io_reason(&e)
        )
    })
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

fn junit(results: &[FileResult]) -> Result<String, quick_junit::SerializeError> {
    let mut report = Report::new("runner");
    for result in results {
        let name = result.path.display().to_string();
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
            case.set_classname(name.clone())
                .set_time(Duration::from_millis(done.report.duration_ms));
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
        suite.set_time(Duration::from_millis(
            result.finished.iter().map(|f| f.report.duration_ms).sum(),
        ));
        report.add_test_suite(suite);
    }
    report.to_string()
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
}

fn json(results: &[FileResult], summary: &Summary) -> String {
    let run = JsonRun {
        files: results
            .iter()
            .map(|r| JsonFile {
                path: r.path.display().to_string(),
                requests: r.finished.iter().map(|f| &f.report).collect(),
            })
            .collect(),
        summary,
    };
    let mut text = serde_json::to_string_pretty(&run).unwrap_or_default();
    text.push('\n');
    text
}
