//! The CI recipes of `docs/ci/` run as their CI systems would run them: the shell steps of the
//! GitHub Actions workflow and the script lines of the GitLab CI jobs, with their expressions
//! and variables filled in, against `runner serve`, with `suites/` being the example suites.
//! Installing runner is the one step left out: the binary under test is on PATH instead. What
//! the CI systems do themselves (artifacts kept between jobs) is done here by copying folders.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run::{Serving, serve_demo};
use crate::support::{root, tempdir};

/// A workspace as a CI job gets it: the repository's suites (the examples) in `suites/`.
fn workspace(dir: &Path) -> PathBuf {
    fs::create_dir_all(dir).expect("writable");
    let suites = dir.join("suites");
    if !suites.exists() {
        std::os::unix::fs::symlink(root().join("configs"), &suites).expect("a symlink");
    }
    dir.to_owned()
}

/// Runs one shell step in `dir` as a CI runner does (bash, stop at the first failure).
fn step(dir: &Path, script: &str, env: &[(&str, String)]) -> (i32, String) {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_runner"));
    let path = format!(
        "{}:{}",
        binary.parent().expect("a folder").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["-eo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env("SSL_CERT_FILE", root().join("configs/certs/ca.crt"))
        .env_remove("SSL_CERT_DIR")
        .env_remove("HTTPS_PROXY")
        .env_remove("HTTP_PROXY")
        .env("NO_COLOR", "1");
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("bash runs");
    (
        output.status.code().unwrap_or(-1),
        format!(
            "$ {script}\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    )
}

/// The `run:` steps of a GitHub Actions job, in order, with their names (a `run: |` block is
/// the lines indented below it).
fn github_steps(workflow: &str, job: &str) -> Vec<(String, String)> {
    let mut steps = Vec::new();
    let mut in_job = false;
    let mut name = String::new();
    let mut lines = workflow.lines().peekable();
    while let Some(line) = lines.next() {
        if !line.starts_with("    ") && line.starts_with("  ") && line.trim_end().ends_with(':') {
            in_job = line.trim() == format!("{job}:");
            continue;
        }
        if !in_job {
            continue;
        }
        let trimmed = line.trim_start();
        if let Some(named) = trimmed.strip_prefix("- name: ") {
            name = named.to_owned();
        } else if trimmed.starts_with("- uses: ") {
            name.clear();
        }
        let Some(run) = trimmed.strip_prefix("run: ") else {
            continue;
        };
        let script = if run == "|" {
            let indent = line.len() - trimmed.len();
            let mut block = Vec::new();
            while let Some(next) =
                lines.next_if(|l| l.trim().is_empty() || l.len() - l.trim_start().len() > indent)
            {
                block.push(next.trim());
            }
            block.join("\n")
        } else {
            run.to_owned()
        };
        steps.push((name.clone(), script));
    }
    steps
}

/// The `script:` lines of a GitLab CI job.
fn gitlab_script(pipeline: &str, job: &str) -> Vec<String> {
    let mut in_job = false;
    let mut in_script = false;
    let mut lines = Vec::new();
    for line in pipeline.lines() {
        if !line.starts_with(' ') && line.ends_with(':') {
            in_job = line == format!("{job}:");
            in_script = false;
            continue;
        }
        if in_job && line.trim() == "script:" {
            in_script = true;
            continue;
        }
        if in_script {
            match line.trim().strip_prefix("- ") {
                Some(command) if line.starts_with("    ") => lines.push(command.to_owned()),
                _ => in_script = false,
            }
        }
    }
    lines
}

/// The GitHub expressions the workflow uses, filled in for shard `shard`.
fn github_expressions(script: &str, shard: usize, serving: &Serving) -> String {
    script
        .replace("${{ matrix.shard }}", &shard.to_string())
        .replace("${{ vars.BASE_URL }}", &serving.base_url())
}

/// The merged report: every example request ran, in one of the shards, and passed.
fn assert_merged(dir: &Path, log: &str) {
    let merged: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("merged/run.json")).unwrap_or_default())
            .unwrap_or_default();
    let summary = &merged["summary"];
    let examples = crate::support::example_suites().len();
    assert!(
        summary["requests"].as_u64().unwrap_or(0) >= examples as u64
            && summary["passed"] == summary["requests"]
            && summary["files"].as_u64() == Some(examples as u64),
        "{summary}\n{log}"
    );
    let junit = fs::read_to_string(dir.join("merged/junit.xml")).unwrap_or_default();
    assert!(junit.contains("<testsuites name=\"runner\""), "{log}");
}

#[test]
fn the_github_actions_workflow_runs_its_shards_and_merges_them() {
    let serving = serve_demo();
    let workflow =
        fs::read_to_string(root().join("docs/ci/github-actions.yml")).expect("the workflow");
    let base = tempdir("recipe-github");
    let mut log = String::new();
    let smoke = github_steps(&workflow, "smoke");
    assert_eq!(
        smoke
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>(),
        [
            "Install runner",
            "Check the suites (no secrets needed)",
            "Run the suites"
        ],
    );
    for shard in 1..=3 {
        let job = workspace(&base.join(format!("smoke-{shard}")));
        for (name, script) in smoke.iter().filter(|(n, _)| !n.starts_with("Install")) {
            let script = github_expressions(script, shard, &serving);
            let (code, output) = step(&job, &script, &[("API_TOKEN", String::new())]);
            log.push_str(&output);
            assert_eq!(code, 0, "{name}, shard {shard}:\n{log}");
        }
        // upload-artifact, then download-artifact with `pattern: report-*` and `path: shards`.
        let kept = base.join(format!("report/shards/report-{shard}"));
        fs::create_dir_all(&kept).expect("writable");
        for file in ["junit.xml", "run.json"] {
            fs::copy(job.join("reports").join(file), kept.join(file)).expect("a report");
        }
    }
    let report = base.join("report");
    for (name, script) in github_steps(&workflow, "report")
        .iter()
        .filter(|(n, _)| !n.starts_with("Install"))
    {
        let (code, output) = step(&report, script, &[]);
        log.push_str(&output);
        assert_eq!(code, 0, "{name}:\n{log}");
    }
    assert_merged(&report, &log);
}

#[test]
fn the_gitlab_ci_jobs_run_in_parallel_and_merge() {
    let serving = serve_demo();
    let pipeline = fs::read_to_string(root().join("docs/ci/gitlab-ci.yml")).expect("the jobs");
    // GitLab keeps every job's artifacts in the same paths: one workspace.
    let dir = workspace(&tempdir("recipe-gitlab"));
    let mut log = String::new();
    let smoke = gitlab_script(&pipeline, "smoke");
    assert_eq!(smoke.len(), 2, "{pipeline}");
    for shard in 1..=3 {
        for line in &smoke {
            let env = [
                ("CI_NODE_INDEX", shard.to_string()),
                ("CI_NODE_TOTAL", "3".to_owned()),
                ("BASE_URL", serving.base_url()),
            ];
            let (code, output) = step(&dir, line, &env);
            log.push_str(&output);
            assert_eq!(code, 0, "shard {shard}:\n{log}");
        }
    }
    for line in gitlab_script(&pipeline, "report") {
        let (code, output) = step(&dir, &line, &[]);
        log.push_str(&output);
        assert_eq!(code, 0, "{log}");
    }
    assert_merged(&dir, &log);
}
