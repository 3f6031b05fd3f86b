//! A run's results: per suite file, the requests planned and how each finished; the requests
//! that never ran are skipped, with the reason the run gives.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::config::suite::{Request, Suite};
use crate::exec::{Body, Finished, RequestReport, Verdict};

/// A request that is to run (after `--only`), as it is known before it runs: read from its
/// suite when a report needs it, not copied for every request of the run.
#[derive(Debug, Clone, Copy)]
pub struct PlannedRequest<'a> {
    pub name: &'a str,
    request: &'a Request,
    suite: &'a Suite,
}

impl PlannedRequest<'_> {
    /// A report for this request when it did not run, or its run was lost.
    pub fn report(&self, file: &str, error: Option<String>) -> RequestReport {
        let endpoint = self.suite.endpoints.get(self.request.endpoint);
        RequestReport {
            file: file.to_owned(),
            name: self.name.to_owned(),
            endpoint: endpoint.map(|e| e.name.clone()).unwrap_or_default(),
            method: self.request.method.to_string(),
            url: self.request.url_written(endpoint),
            status: None,
            headers: Vec::new(),
            body: Body::None,
            duration_ms: 0,
            total_ms: 0,
            attempts: 0,
            tls: None,
            expectations: Vec::new(),
            error,
            proxy: None,
            redirects: Vec::new(),
            sent_body: None,
            hints: Vec::new(),
        }
    }
}

/// A suite file's requests that are to run.
#[derive(Debug, Clone)]
pub struct Planned {
    pub path: PathBuf,
    pub suite: Arc<Suite>,
    /// The indices in `suite.requests` of those that are to run.
    pub requests: Vec<usize>,
}

/// The requests of one suite file, as run.
#[derive(Debug)]
pub struct FileResult {
    pub plan: Planned,
    pub finished: Vec<Finished>,
}

impl FileResult {
    pub fn new(plan: Planned) -> Self {
        Self {
            plan,
            finished: Vec::new(),
        }
    }

    /// The planned requests that did not finish, in order.
    pub fn unfinished(&self) -> impl Iterator<Item = PlannedRequest<'_>> {
        let finished: std::collections::HashSet<&str> = self
            .finished
            .iter()
            .map(|f| f.report.name.as_str())
            .collect();
        let suite = &*self.plan.suite;
        self.plan
            .requests
            .iter()
            .filter_map(|&index| suite.requests.get(index))
            .filter(move |request| !finished.contains(request.name.as_str()))
            .map(move |request| PlannedRequest {
                name: &request.name,
                request,
                suite,
            })
    }
}

/// Counts of a run.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct Summary {
    pub files: usize,
    pub requests: usize,
    pub passed: usize,
    /// An expectation failed.
    pub failed: usize,
    /// Could not complete.
    pub errors: usize,
    /// Ran, but their results could not be written.
    pub unwritten: usize,
    /// Did not run: `--fail-fast`, an interruption, or output that could not be written.
    pub skipped: usize,
    pub duration_ms: u64,
}

impl Summary {
    pub fn of(results: &[FileResult], duration: Duration) -> Self {
        let verdicts = || results.iter().flat_map(|r| &r.finished).map(|f| f.verdict);
        let count = |verdict| verdicts().filter(|v| *v == verdict).count();
        Self {
            files: results.len(),
            requests: verdicts().count(),
            passed: count(Verdict::Passed),
            failed: count(Verdict::Failed),
            errors: count(Verdict::Broken),
            unwritten: count(Verdict::Unwritten),
            skipped: results.iter().map(|r| r.unfinished().count()).sum(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
        }
    }

    /// Adds the counts of another part of the same run (a shard that ran beside this one:
    /// the duration is the longer of the two).
    pub fn join(&mut self, other: &Self) {
        self.files += other.files;
        self.requests += other.requests;
        self.passed += other.passed;
        self.failed += other.failed;
        self.errors += other.errors;
        self.unwritten += other.unwritten;
        self.skipped += other.skipped;
        self.duration_ms = self.duration_ms.max(other.duration_ms);
    }

    /// The summary line: "2 files, 5 requests: 4 passed, 1 failed, 0 could not complete, in
    /// 0.31 s".
    pub fn line(&self) -> String {
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let mut counts = format!(
            "{}, {}: {} passed, {} failed, {} could not complete",
            plural(self.files, "file", "files"),
            plural(self.requests, "request", "requests"),
            self.passed,
            self.failed,
            self.errors
        );
        if self.unwritten > 0 {
            counts.push_str(&format!(", {} not written", self.unwritten));
        }
        if self.skipped > 0 {
            counts.push_str(&format!(", {} skipped", self.skipped));
        }
        format!("{counts}, in {:.2} s", self.duration_ms as f64 / 1000.0)
    }
}
