//! Every input is bounded: numbers, files, variables and diagnostics. No value a suite can hold
//! makes runner panic; a file that is not a regular one, or too large, is refused at once;
//! errors are capped and cut to a readable size.

use std::fs;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use runner::config::{self, CommandLineVars, Source};

use crate::support::{Test, root};

/// The numeric places of a suite, each with `VALUE` where a value goes.
const FIELDS: &[&str] = &[
    "[endpoints.api]\nurl = \"https://localhost:1\"\ntimeout = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nconnect_timeout = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nread_timeout = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nmax_body = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nfollow_redirects = { max = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nsecure_socket = { handshake_timeout = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\nsecure_socket = { session_timeout = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nretry = { count = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nretry = { count = 1, interval = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nretry = { count = 1, backoff_factor = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nretry = { count = 1, max_interval = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nretry = { count = 1, on_status = [VALUE] }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\ntimeout = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nmax_body = VALUE\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nexpect = { status = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nexpect = { max_duration = VALUE }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nexpect = { certificate = { valid_for_at_least = VALUE } }\n",
    "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\nexpect = { json = { \"$.n\" = { gt = VALUE } } }\n",
];

/// Values at the edges: zero, negatives, the tiny and the huge, NaN, infinities, the integer
/// limits, and duration strings of the same.
fn extreme() -> impl Strategy<Value = String> {
    let fixed = prop::sample::select(vec![
        "0",
        "-1",
        "1",
        "1e-300",
        "1e300",
        "nan",
        "inf",
        "-inf",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "9223372036854775807",
        "-9223372036854775808",
        "0.5",
        "\"0\"",
        "\"-1s\"",
        "\"1e300s\"",
        "\"18446744073709551615s\"",
        "\"NaN\"",
        "\"inf\"",
        "\"none\"",
        "\"0ms\"",
        "\"1ns\"",
        "\"584942417355y\"",
        "\"99999999999999999999d\"",
        "\"1e300GiB\"",
        "\"18446744073709551615\"",
        "\"9999999999999999999999KiB\"",
        "\"5xx\"",
        "\"99x\"",
        "[]",
        "[0, 1000]",
    ])
    .prop_map(str::to_owned);
    prop_oneof![
        fixed,
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>()
            .prop_filter("TOML floats", |f| f.is_finite())
            .prop_map(|f| format!("{f:e}")),
        any::<u64>().prop_map(|n| format!("\"{n}s\"")),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_number_makes_the_loader_panic(field in 0..FIELDS.len(), value in extreme()) {
        let text = FIELDS[field].replace("VALUE", &value);
        let text = if text.contains("[[requests]]") {
            text
        } else {
            format!("{text}\n[[requests]]\npath = \"/\"\n")
        };
        let source = Arc::new(Source::new("p.toml".into(), text.clone()));
        let outcome = std::panic::catch_unwind(|| {
            let suite = config::load_source(source, &CommandLineVars::default(), Box::new(|_| None));
            if let Ok(suite) = &suite {
                let _ = runner::tls::build_suite(suite);
            }
            suite.map(|_| ()).map_err(|e| e.to_string())
        });
        prop_assert!(outcome.is_ok(), "panicked on:\n{text}");
    }
}

#[test]
fn extreme_numbers_end_with_a_verdict_not_a_panic() {
    for (value, code) in [
        ("\"18446744073709551615s\"", 2),
        ("1e300", 2),
        ("\"none\"", 0),
    ] {
        let text = format!(
            "[endpoints.api]\nurl = \"https://localhost:1\"\ntimeout = {value}\n\n[[requests]]\npath = \"/\"\n"
        );
        let outcome = Test::new("extreme-numbers")
            .file("a.toml", &text)
            .args(&["check", "a.toml"])
            .code(code)
            .any_stdout()
            .any_stderr()
            .run();
        assert!(!outcome.stderr.contains("panicked"), "{}", outcome.stderr);
    }
    Test::new("jobs-too-many")
        .file("a.toml", "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\n")
        .args(&["run", "a.toml", "--jobs", "2305843009213693952"])
        .code(2)
        .stderr("error: invalid value '2305843009213693952' for '--jobs <N>': `2305843009213693952` is not a number of jobs: give 1 to 1024, or 0 for one per core\n\nFor more information, try '--help'.\n")
        .run();
}

/// A suite trusting `cert` (a path as written).
fn trusting(cert: &str) -> String {
    format!(
        "[endpoints.api]\nurl = \"https://localhost:1\"\nsecure_socket = {{ cert = \"{cert}\" }}\n\n[[requests]]\npath = \"/\"\n"
    )
}

#[test]
fn files_that_are_not_bounded_regular_files_are_refused_at_once() {
    let test = Test::new("files-limits");
    let dir = test.dir().to_owned();
    let fifo = dir.join("pipe.pem");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // A sparse gigabyte: large on paper, nothing on disk.
    let huge = fs::File::create(dir.join("huge.pem")).expect("a file");
    huge.set_len(1 << 30).expect("sparse");
    let started = Instant::now();
    for (name, cert, reason, help) in [
        (
            "fifo",
            "pipe.pem",
            "it is a named pipe (FIFO), not a regular file",
            "give the path of a regular file",
        ),
        (
            "device",
            "/dev/zero",
            "it is a device, not a regular file",
            "give the path of a regular file",
        ),
        (
            "folder",
            ".",
            "it is a folder, not a file",
            "give the path of a regular file",
        ),
        (
            "huge",
            "huge.pem",
            "it holds 1 GiB, more than the 16 MiB such a file may hold",
            "certificates, keys and keystores are small files: check that this is the right one",
        ),
    ] {
        let path = if cert.starts_with('/') {
            cert.to_owned()
        } else {
            dir.join(cert).display().to_string()
        };
        let shown = path.replace(&dir.display().to_string(), "DIR");
        Test::new(&format!("files-limits-{name}"))
            .file("a.toml", &trusting(&path))
            .args(&["check", "a.toml"])
            .replace(&dir.display().to_string(), "DIR")
            .code(2)
            .stderr(&format!(
                "error: cannot read {shown}: {reason}\n --> a.toml:3:26\n  |\n3 | secure_socket = {{ cert = \"{shown}\" }}\n  |                          {}\n  |\n  = help: {help}\n",
                "^".repeat(path.chars().count() + 2)
            ))
            .run();
    }
    // A FIFO as --vars-file too.
    Test::new("files-limits-vars")
        .file("a.toml", &trusting("/etc/hostname"))
        .args(&[
            "check",
            "a.toml",
            "--vars-file",
            fifo.to_str().expect("UTF-8"),
        ])
        .replace(&dir.display().to_string(), "DIR")
        .code(2)
        .stderr("error: cannot read DIR/pipe.pem: it is a named pipe (FIFO), not a regular file\n")
        .run();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_suite_may_come_through_a_pipe() {
    let text = "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\nname = \"piped\"\npath = \"/\"\n";
    let output = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} check <(printf '%s' \"$SUITE\")",
            env!("CARGO_BIN_EXE_runner")
        ))
        .env("SUITE", text)
        .env("SSL_CERT_FILE", root().join("configs/certs/ca.crt"))
        .output()
        .expect("bash runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("request \"piped\": GET api /"), "{stdout}");
}

#[test]
fn many_errors_are_capped_and_long_lines_cut() {
    let mut text = String::from("[endpoints.api]\nurl = \"https://localhost:1\"\n\n");
    for _ in 0..5000 {
        text.push_str("[[requests]]\nname = \"dup\"\npath = \"/\"\n\n");
    }
    let run = Test::new("errors-capped")
        .file("a.toml", &text)
        .args(&["check", "a.toml"])
        .code(2)
        .any_stderr()
        .run();
    assert_eq!(
        run.stderr.matches("error: duplicate request name").count(),
        50
    );
    assert!(
        run.stderr.ends_with(
            "error: and 4949 more problems, not shown\n  = help: at most 50 are shown: fix these, and the rest show next time\n"
        ),
        "{}",
        &run.stderr[run.stderr.len().saturating_sub(300)..]
    );
    // A 2 MB line with a NUL byte at its end: the diagnostic stays short and shows no raw NUL.
    let line = format!("x = \"{}\0\" = 1\n", "a".repeat(2_000_000));
    let run = Test::new("line-cut")
        .file("a.toml", &line)
        .args(&["check", "a.toml"])
        .code(2)
        .any_stderr()
        .run();
    assert!(
        run.stderr.len() < 1000,
        "{} bytes of stderr",
        run.stderr.len()
    );
    assert!(!run.stderr.contains('\0'));
    assert!(
        run.stderr.contains("…aaaa") && run.stderr.contains("\\u{0}"),
        "{}",
        run.stderr
    );
}
