//! One output path: the verdict and exit code follow facts in every mode (sequential, `--jobs`,
//! retries, pipes), destinations are ready before anything is sent, interruptions leave a
//! summary and reports, and every request keeps a name of its own.

use std::fs;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::run::{Serving, serve_demo};
use crate::support::{Test, root};

/// A suite for the demo server: one endpoint `api`, then `requests`.
fn suite(serving: &Serving, requests: &str) -> String {
    format!(
        "[endpoints.api]\nurl = \"{}\"\n\n[endpoints.api.secure_socket]\ncert = \"{}\"\n\n{requests}",
        serving.base_url(),
        root().join("configs/certs/ca.crt").display(),
    )
}

fn requests(n: usize, path: &str) -> String {
    (1..=n)
        .map(|i| format!("[[requests]]\nname = \"r{i}\"\npath = \"{path}\"\n\n"))
        .collect()
}

/// Runs `test` with its stdout's reading end closed at once, as `| head -0` does.
fn with_closed_stdout(test: &Test) -> (i32, String) {
    let mut command = test.command();
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("runner starts");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("runner ends");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_closed_stdout_stops_the_run_with_exit_4() {
    let cases: [(&str, &[&str], usize); 3] = [
        ("pretty", &[], 1),
        ("json", &["--output", "json"], 1),
        ("jobs", &["--jobs", "2"], 2),
    ];
    for (case, extra, files) in cases {
        let serving = serve_demo();
        let mut test = Test::new(&format!("closed-stdout-{case}"))
            .file("a.toml", &suite(&serving, &requests(5, "/delay/50")))
            .file("b.toml", &suite(&serving, &requests(5, "/delay/50")))
            .args(&["run", "a.toml"]);
        if files == 2 {
            test = test.args(&["b.toml"]);
        }
        let (code, stderr) = with_closed_stdout(&test.args(extra));
        assert_eq!(code, 4, "{case}: {stderr}");
        assert!(
            stderr.contains("cannot write the results to stdout: Broken pipe"),
            "{case}: {stderr}"
        );
        let sent = serving.server.records().len();
        assert!(
            sent < 5 * files,
            "{case}: {sent} requests were sent after stdout closed"
        );
    }
}

#[test]
fn a_full_disk_is_not_retried() {
    let serving = serve_demo();
    let test = Test::new("full-disk")
        .file(
            "a.toml",
            &suite(
                &serving,
                "[[requests]]\nname = \"post\"\nmethod = \"POST\"\npath = \"/anything\"\nbody = \"x\"\nretry = { count = 3, interval = \"10ms\", on_status = [503] }\n",
            ),
        )
        .args(&["run", "a.toml"]);
    let output = test
        .command()
        .stdout(fs::File::create("/dev/full").expect("/dev/full"))
        .output()
        .expect("runner runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("cannot write the results to stdout: No space left on device"),
        "{stderr}"
    );
    assert_eq!(serving.server.records().len(), 1, "{stderr}");
}

#[test]
fn a_full_output_file_ends_the_request_with_exit_4_and_no_retry() {
    let serving = serve_demo();
    Test::new("full-output")
        .file(
            "a.toml",
            &suite(
                &serving,
                "[[requests]]\nname = \"post\"\nmethod = \"POST\"\npath = \"/anything\"\noutput = \"/dev/full\"\nretry = { count = 3, interval = \"10ms\" }\n",
            ),
        )
        .args(&["run", "a.toml"])
        .replace(&serving.server.addr.port().to_string(), "PORT")
        .code(4)
        .stderr(
            "post: POST https://localhost:PORT/anything -> 200 OK in N ms, TLSv1.3, no client certificate
error: post: cannot write /dev/full: No space left on device
1 file, 1 request: 0 passed, 0 failed, 0 could not complete, 1 not written, in N s
",
        )
        .run();
    assert_eq!(serving.server.records().len(), 1);
    assert!(std::fs::metadata("/dev/full").is_ok_and(|m| !m.is_file()));
}

#[test]
fn a_panicking_suite_is_an_internal_error_in_every_mode() {
    for jobs in ["1", "2"] {
        let serving = serve_demo();
        let test = Test::new(&format!("panic-{jobs}"))
            .file("a.toml", &suite(&serving, &requests(1, "/get")))
            .file(
                "b.toml",
                &suite(&serving, "[[requests]]\nname = \"boom\"\npath = \"/get\"\n"),
            )
            .args(&["run", "a.toml", "b.toml", "--jobs", jobs])
            .args(&["--output", "none", "--report", "junit=out/junit.xml"])
            .env("RUNNER_FAULT_PANIC", "boom")
            .env("RUST_BACKTRACE", "0")
            .replace(&serving.server.addr.port().to_string(), "PORT")
            .code(3)
            .any_stderr();
        let dir = test.dir().to_owned();
        let run = test.run();
        let logs = without_panic_noise(&run.stderr);
        assert_eq!(
            logs,
            [
                "r1: GET https://localhost:PORT/get -> 200 OK in N ms, TLSv1.3, no client certificate",
                "error: internal error while running b.toml: RUNNER_FAULT_PANIC at request boom",
                "2 files, 2 requests: 1 passed, 0 failed, 1 could not complete, in N s",
            ],
            "{}",
            run.stderr
        );
        let junit = fs::read_to_string(dir.join("out/junit.xml")).expect("a report");
        assert!(
            junit.contains(
                "internal error: the run of this file stopped: RUNNER_FAULT_PANIC at request boom"
            ),
            "{junit}"
        );
    }
}

#[test]
fn a_panicking_file_ends_alone_where_files_share_a_thread() {
    // More files than cores: each thread runs several files at once, the panicking one among
    // them; its neighbours finish, and in input order.
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let files = 2 * cores + 1;
    let serving = serve_demo();
    let mut test = Test::new("panic-shared");
    let mut args = vec!["run".to_owned()];
    let mut expected = Vec::new();
    for file in 0..files {
        let name = format!("f{file:02}.toml");
        if file == cores {
            let boom = "[[requests]]\nname = \"boom\"\npath = \"/get\"\n";
            test = test.file(&name, &suite(&serving, boom));
            expected.push(format!(
                "error: internal error while running {name}: RUNNER_FAULT_PANIC at request boom"
            ));
        } else {
            test = test.file(&name, &suite(&serving, &requests(1, "/get")));
            expected.push(
                "r1: GET https://localhost:PORT/get -> 200 OK in N ms, TLSv1.3, no client certificate"
                    .to_owned(),
            );
        }
        args.push(name);
    }
    expected.push(format!(
        "{files} files, {files} requests: {} passed, 0 failed, 1 could not complete, in N s",
        files - 1
    ));
    let jobs = files.to_string();
    args.extend([
        "--jobs".to_owned(),
        jobs,
        "--output".to_owned(),
        "none".to_owned(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = test
        .args(&args)
        .env("RUNNER_FAULT_PANIC", "boom")
        .env("RUST_BACKTRACE", "0")
        .replace(&serving.server.addr.port().to_string(), "PORT")
        .code(3)
        .any_stderr()
        .run();
    assert_eq!(without_panic_noise(&run.stderr), expected, "{}", run.stderr);
}

/// runner's log lines, without Rust's own panic message: it comes when the panic happens,
/// whichever file is being shown.
fn without_panic_noise(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| {
            !(l.is_empty()
                || l.starts_with("thread ")
                || l.starts_with("note: ")
                || *l == "RUNNER_FAULT_PANIC at request boom")
        })
        .collect()
}

#[test]
fn destinations_are_ready_before_anything_is_sent() {
    let serving = serve_demo();
    let one = suite(&serving, &requests(1, "/get"));
    // A report that cannot be written: its folder would be a file.
    Test::new("destinations-report")
        .file("a.toml", &one)
        .args(&["run", "a.toml", "--report", "junit=a.toml/junit.xml"])
        .code(2)
        .stderr(
            "error: cannot write the report a.toml/junit.xml: a.toml is a file, not a folder
  = help: choose a path in a folder that can be written; missing folders are created
",
        )
        .run();
    // Two requests writing one file.
    Test::new("destinations-twice")
        .file(
            "a.toml",
            &suite(
                &serving,
                "[[requests]]\nname = \"one\"\npath = \"/get\"\noutput = \"out/x.json\"\n\n[[requests]]\nname = \"two\"\npath = \"/get\"\noutput = \"out/x.json\"\n",
            ),
        )
        .args(&["run", "a.toml"])
        .code(2)
        .stderr(
            "error: request \"two\" writes its output to out/x.json, as request \"one\" of a.toml does
  --> a.toml:15:10
   |
15 | output = \"out/x.json\"
   |          ^^^^^^^^^^^^
   |
   = help: two requests writing one file would mix or overwrite each other: give each its own `output` path
",
        )
        .run();
    // Two files writing one file under --jobs.
    let shared = suite(
        &serving,
        "[[requests]]\nname = \"one\"\npath = \"/get\"\noutput = \"x.json\"\n",
    );
    Test::new("destinations-jobs")
        .file("a.toml", &shared)
        .file("b.toml", &shared)
        .args(&["run", "a.toml", "b.toml", "--jobs", "2"])
        .code(2)
        .stderr_regex(r"error: request .one. writes its output to x.json, as request .one. of a.toml does\n.*")
        .run();
    assert_eq!(serving.server.records().len(), 0, "nothing was sent");
    // Missing folders are made; the file is whole under its own name, no temporary is left.
    let test = Test::new("destinations-made")
        .file(
            "a.toml",
            &suite(
                &serving,
                "[[requests]]\nname = \"one\"\npath = \"/get\"\noutput = \"out/deep/x.json\"\n",
            ),
        )
        .args(&["run", "a.toml", "-q"]);
    let dir = test.dir().to_owned();
    test.run();
    let written: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out/deep/x.json")).expect("written"))
            .expect("JSON");
    assert_eq!(written["method"], "GET");
    let left: Vec<_> = fs::read_dir(dir.join("out/deep"))
        .expect("a folder")
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}

#[test]
fn an_interruption_prints_the_summary_and_writes_the_reports() {
    for (signal, code) in [("TERM", 143), ("INT", 130)] {
        let serving = serve_demo();
        let test = Test::new(&format!("interrupted-{signal}"))
            .file(
                "a.toml",
                &suite(
                    &serving,
                    "[[requests]]\nname = \"fast\"\npath = \"/get\"\n\n[[requests]]\nname = \"slow\"\npath = \"/delay/20000\"\n\n[[requests]]\nname = \"never\"\npath = \"/get\"\n",
                ),
            )
            .args(&["run", "a.toml", "--output", "none"])
            .args(&["--report", "junit=out/j.xml", "--report", "json=out/r.json"]);
        let dir = test.dir().to_owned();
        let child = test
            .command()
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("runner starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while serving.server.records().len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        std::thread::sleep(Duration::from_millis(100));
        let started = Instant::now();
        Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill runs");
        let output = child.wait_with_output().expect("runner ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(code), "{stderr}");
        assert!(started.elapsed() < Duration::from_secs(5), "{stderr}");
        assert!(
            stderr.contains(
                "1 file, 1 request: 1 passed, 0 failed, 0 could not complete, 2 skipped, in "
            ),
            "{stderr}"
        );
        let report: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(dir.join("out/r.json")).expect("written"))
                .expect("JSON");
        assert_eq!(
            report["files"][0]["skipped"],
            serde_json::json!([
                {"name": "slow", "reason": format!("interrupted by SIG{signal}")},
                {"name": "never", "reason": format!("interrupted by SIG{signal}")},
            ])
        );
        let junit = fs::read_to_string(dir.join("out/j.xml")).expect("written");
        assert_eq!(
            junit
                .matches("<skipped message=\"interrupted by SIG")
                .count(),
            2,
            "{junit}"
        );
    }
}

#[test]
fn default_names_never_collide() {
    Test::new("default-names")
        .file(
            "a.toml",
            "[endpoints.a]\nurl = \"https://localhost:1\"\n\n[endpoints.b]\nurl = \"https://localhost:2\"\n\n[[requests]]\nendpoint = \"a\"\npath = \"/get\"\n\n[[requests]]\nendpoint = \"b\"\npath = \"/get\"\n\n[[requests]]\nendpoint = \"b\"\npath = \"/get\"\n\n[[requests]]\nendpoint = \"a\"\npath = \"/status/200\"\n",
        )
        .args(&["check", "a.toml"])
        .stdout_regex(
            r#".*  request "GET /get \(a\)": GET a /get
  request "GET /get \(b\)": GET b /get
  request "GET /get \(b\) #2": GET b /get
  request "GET /status/200": GET a /status/200
"#,
        )
        .run();
}

#[test]
fn json_logs_and_outputs_name_their_file() {
    Test::new("json-diagnostics")
        .file(
            "a.toml",
            "[endpoints.api]\nurl = \"https://localhost:1\"\ncertt = 1\n\n[[requests]]\npath = \"/\"\n",
        )
        .args(&["run", "a.toml", "--log-format", "json"])
        .code(2)
        .stderr(
            r#"{"level":"ERROR","file":"a.toml","line":3,"column":1,"message":"unknown key `certt`","help":"the keys allowed here are `url`, `headers`, `timeout`, `connect_timeout`, `proxy`, `compressed`, `cookies`, `connect_to`, `max_body`, `read_timeout`, `http_version`, `follow_redirects` or `secure_socket`"}
"#,
        )
        .run();
    let serving = serve_demo();
    let run = Test::new("json-output")
        .file("a.toml", &suite(&serving, &requests(1, "/get")))
        .args(&["run", "a.toml", "--output", "json", "--log-format", "json"])
        .any_stdout()
        .stderr_regex(
            r#"\{.*"file":"a.toml".*"request":"r1".*\}\n\{.*"message":"1 file, 1 request.*\}\n"#,
        )
        .run();
    let line: serde_json::Value = serde_json::from_str(run.stdout.trim()).expect("one JSON line");
    assert_eq!(line["file"], "a.toml");
}

#[test]
fn junit_validates_and_lists_what_did_not_run() {
    let serving = serve_demo();
    let test = Test::new("junit-skipped")
        .file(
            "a.toml",
            &suite(
                &serving,
                "[[requests]]\nname = \"flaky\"\npath = \"/status/503\"\nretry = { count = 2, interval = \"300ms\", on_status = [503] }\n\n[[requests]]\nname = \"after\"\npath = \"/get\"\n\n[[requests]]\nname = \"last\"\npath = \"/get\"\n",
            ),
        )
        .args(&["run", "a.toml", "--fail-fast", "--output", "none"])
        .args(&["--report", "junit=out/junit.xml"])
        .replace(&serving.server.addr.port().to_string(), "PORT")
        .code(1)
        .stderr(
            "flaky: attempt 1 of 3: status 503; next in 300ms
flaky: attempt 2 of 3: status 503; next in 300ms
flaky: GET https://localhost:PORT/status/503 -> 503 Service Unavailable in N ms, TLSv1.3, no client certificate after 3 attempts
error: flaky: status expected a status below 400, got 503 (a.toml:7:1)
1 file, 1 request: 0 passed, 1 failed, 0 could not complete, 2 skipped, in N s
",
        );
    let dir = test.dir().to_owned();
    test.run();
    let xml = dir.join("out/junit.xml");
    let junit = fs::read_to_string(&xml).expect("written");
    assert_eq!(
        junit
            .matches(
                "<skipped message=\"not run: --fail-fast stopped the run at the first failure\"/>"
            )
            .count(),
        2,
        "{junit}"
    );
    // The time covers every attempt and the waits between them (0.3 s twice).
    let report = quick_junit::Report::deserialize_from_str(&junit).expect("JUnit");
    let time = report.test_suites[0].test_cases[0].time.expect("a time");
    assert!(time >= Duration::from_millis(600), "{time:?}");
    crate::support::assert_junit_valid(&xml);
}

#[test]
fn retry_lines_name_the_cause_and_the_wait() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    Test::new("retry-cause")
        .file(
            "a.toml",
            &format!("[endpoints.api]\nurl = \"http://127.0.0.1:{port}\"\n\n[[requests]]\nname = \"down\"\npath = \"/\"\nretry = {{ count = 1, interval = \"1.5s\" }}\n"),
        )
        .args(&["run", "a.toml"])
        .replace(&port.to_string(), "PORT")
        .code(3)
        .stdout("")
        .stderr(
            "down: attempt 1 of 2: could not connect to 127.0.0.1:PORT: Connection refused; next in 1.5s
error: down: GET http://127.0.0.1:PORT/: could not connect to 127.0.0.1:PORT: Connection refused
  = help: check that the server runs and listens there, and the URL's host and port
1 file, 1 request: 0 passed, 0 failed, 1 could not complete, in N s
",
        )
        .run();
}

#[test]
fn a_report_that_cannot_be_written_at_the_end_is_exit_4() {
    let serving = serve_demo();
    let test = Test::new("report-vanishes")
        .file("a.toml", &suite(&serving, &requests(1, "/delay/800")))
        .args(&["run", "a.toml", "-q", "--output", "none"])
        .args(&["--report", "json=out/run.json"]);
    let dir = test.dir().to_owned();
    let child = test
        .command()
        .stderr(Stdio::piped())
        .spawn()
        .expect("runner starts");
    // The folder was made ready before the request; it is gone before the run ends.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !dir.join("out").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    std::thread::sleep(Duration::from_millis(200));
    fs::remove_dir_all(dir.join("out")).expect("removed");
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(
        stderr
            .starts_with("error: cannot write the report out/run.json: No such file or directory"),
        "{stderr}"
    );
}

#[test]
fn a_sharded_run_merges_into_the_report_of_the_whole_run() {
    let serving = serve_demo();
    let mut test = Test::new("shards");
    // Five files of 1 to 5 requests; the third has a failing expectation.
    for n in 1..=5 {
        let mut text = suite(&serving, &requests(n, "/get"));
        if n == 3 {
            text.push_str(
                "[[requests]]\nname = \"wrong\"\npath = \"/get\"\nexpect = { status = 201 }\n",
            );
        }
        test = test.file(&format!("suites/s{n}.toml"), &text);
    }
    let dir = test.dir().to_owned();
    let run = |args: &[&str]| {
        let mut command = crate::support::runner(&dir, args);
        command.stdout(Stdio::null());
        command.output().expect("runner runs")
    };
    let whole = run(&["run", "suites", "--report", "json=whole.json"]);
    assert_eq!(whole.status.code(), Some(1));
    // Each job splits the same files the same way, balanced by request count, largest first:
    // s5 (5) | s3 (4) + s2 (2) | s4 (4) + s1 (1).
    let mut shards = Vec::new();
    for k in 1..=3 {
        let shard = run(&[
            "run",
            "suites",
            "--shard",
            &format!("{k}/3"),
            "--report",
            &format!("json=out/{k}.json"),
        ]);
        shards.push((
            shard.status.code(),
            String::from_utf8_lossy(&shard.stderr)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        ));
    }
    assert_eq!(
        shards,
        [
            (
                Some(0),
                "shard 1/3: 1 of 5 files, 5 of 16 requests".to_owned()
            ),
            (
                Some(1),
                "shard 2/3: 2 of 5 files, 6 of 16 requests".to_owned()
            ),
            (
                Some(0),
                "shard 3/3: 2 of 5 files, 5 of 16 requests".to_owned()
            ),
        ]
    );
    let merged = run(&[
        "report",
        "merge",
        "out/1.json",
        "out/2.json",
        "out/3.json",
        "--report",
        "json=all.json",
        "--report",
        "junit=all.xml",
    ]);
    assert_eq!(merged.status.code(), Some(1), "the whole run's verdict");
    assert!(
        String::from_utf8_lossy(&merged.stderr).starts_with(
            "3 reports: 5 files, 16 requests: 15 passed, 1 failed, 0 could not complete, in "
        ),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    // The same files, requests and verdicts as the run that was not split.
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&fs::read_to_string(dir.join(name)).expect("written")).expect("JSON")
    };
    let verdicts = |report: &serde_json::Value| {
        let mut all: Vec<String> = report["files"]
            .as_array()
            .expect("files")
            .iter()
            .flat_map(|f| {
                f["requests"]
                    .as_array()
                    .expect("requests")
                    .iter()
                    .map(move |r| format!("{} {} {}", f["path"], r["name"], r["verdict"]))
            })
            .collect();
        all.sort();
        all
    };
    let (whole, all) = (read("whole.json"), read("all.json"));
    assert_eq!(verdicts(&whole), verdicts(&all));
    assert_eq!(verdicts(&all).len(), 16);
    for count in ["files", "requests", "passed", "failed", "errors", "skipped"] {
        assert_eq!(whole["summary"][count], all["summary"][count], "{count}");
    }
    crate::support::assert_junit_valid(&dir.join("all.xml"));
    let junit = fs::read_to_string(dir.join("all.xml")).expect("written");
    assert!(
        junit.contains("<failure message=\"status expected 201, got 200"),
        "{junit}"
    );
}

/// Reports that are not runner's JSON reports are each named, and nothing is written.
#[test]
fn report_merge_names_each_report_it_cannot_use() {
    Test::new("merge-bad")
        .file("text.json", "not json")
        .file("other.json", "{\"files\": 3}")
        .args(&[
            "report",
            "merge",
            "text.json",
            "other.json",
            "gone.json",
            "--report",
            "json=all.json",
        ])
        .code(2)
        .stderr(
            "error: this report is not JSON: expected ident at line 1 column 2
 --> text.json
  = help: give the files written by `runner run --report json=PATH`

error: this is not a runner JSON report: it has no `files` list and `summary`
 --> other.json
  = help: give the files written by `runner run --report json=PATH`

error: cannot read this report: No such file or directory
 --> gone.json
  = help: give the files written by `runner run --report json=PATH`
",
        )
        .run();
}
