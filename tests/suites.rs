//! Suites for pipelines: every expectation form passing and failing, captures across requests,
//! retries and their schedule, reports, parallel files, and secrets kept out of every output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::run::{Serving, serve_demo};
use crate::support::tempdir;
use crate::support::{Run, root, run, runner};

/// Writes `suite.toml` in a fresh folder: one endpoint at `serving` trusting the demo CA, and
/// these requests.
fn suite(dir: &Path, name: &str, serving: &Serving, requests: &str) -> PathBuf {
    let text = format!(
        "[endpoints.api]\nurl = \"{}\"\n\n[endpoints.api.secure_socket]\ncert = \"{}\"\nkey = {{ cert_file = \"{}\", key_file = \"{}\" }}\n\n{requests}",
        serving.base_url(),
        root().join("configs/certs/ca.crt").display(),
        root().join("configs/certs/client.crt").display(),
        root().join("configs/certs/client.key").display(),
    );
    let path = dir.join(name);
    fs::write(&path, text).expect("writable");
    path
}

fn run_in(dir: &Path, args: &[&str]) -> Run {
    run(runner(dir, args))
}

const PASSING: &str = r#"[[requests]]
name = "forms"
method = "POST"
path = "/anything/forms"
query = { page = "2" }
json = { id = 42, name = "runner", tags = ["tls", "http"], ratio = 0.5, nested = { ok = true } }
output = "none"

[requests.expect]
status = [200, 201]
max_duration = "10s"
headers = { "Content-Type" = { equals = "application/json", contains = "json", matches = "^application/" } }
body = { contains = "/anything/forms" }
certificate = { valid_for_at_least = "30d", subject = { contains = "localhost" }, issuer = { matches = "runner demo CA$" } }

[requests.expect.json]
"$.json.id" = 42
"$.json.name" = { equals = "runner", length = 6, matches = "^run" }
"$.json.tags" = { contains = "tls", length = 2 }
"$.json.tags[*]" = ["tls", "http"]
"$.json.ratio" = { gt = 0.1, lt = 1, ge = 0.5, le = 0.5 }
"$.json.nested" = { equals = { ok = true } }
"$.json.missing" = { exists = false }
"$.args.page" = { one_of = ["1", "2"], exists = true }
"$.method" = "POST"
"$.bytes" = { gt = 10 }
"#;

const FAILING: &str = r#"[[requests]]
name = "forms"
method = "POST"
path = "/anything/forms"
json = { id = 42, name = "runner", tags = ["tls", "http"], ratio = 0.5 }
output = "none"

[requests.expect]
status = "5xx"
headers = { "content-type" = "text/html", "x-missing" = { exists = true } }
body = { contains = "nope" }
certificate = { valid_for_at_least = "40000d", subject = { contains = "example.com" } }

[requests.expect.json]
"$.json.id" = 43
"$.json.name" = { length = 5 }
"$.json.tags" = { contains = "grpc" }
"$.json.ratio" = { gt = 1 }
"$.json.nested" = { exists = true }
"$.method" = { one_of = ["GET", "PUT"] }
"$.json['name']" = { matches = "^x" }

[[requests]]
name = "slow"
path = "/delay/50"
output = "none"
expect = { max_duration = "10ms" }
"#;

#[test]
fn every_expectation_form_passes() {
    let serving = serve_demo();
    let dir = tempdir("expect-pass");
    suite(&dir, "suite.toml", &serving, PASSING);
    let outcome = run_in(&dir, &["run", "suite.toml", "--output", "json"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let report: serde_json::Value = serde_json::from_str(outcome.stdout.trim()).expect("JSON");
    let checks = report["expectations"].as_array().expect("expectations");
    assert_eq!(checks.len(), 17, "{checks:#?}");
    assert!(checks.iter().all(|c| c["passed"] == true), "{checks:#?}");
}

#[test]
fn every_failing_expectation_is_reported_with_its_place() {
    let serving = serve_demo();
    let dir = tempdir("expect-fail");
    suite(&dir, "suite.toml", &serving, FAILING);
    let outcome = run_in(&dir, &["run", "suite.toml"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let errors: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    let left = outcome
        .stderr
        .lines()
        .find_map(|l| {
            l.split_once("valid until 2126-11-04 05:49:11 UTC (")
                .map(|(_, r)| r.split(' ').next().unwrap_or_default().to_owned())
        })
        .expect("the days left");
    // Whole lines, but for the body and the duration, whose actual values vary.
    let expected = [
        "error: forms: status expected 5xx, got 200 (suite.toml:16:10)".to_owned(),
        "error: forms: header content-type expected \"text/html\", got \"application/json\" (suite.toml:17:30)".to_owned(),
        "error: forms: header x-missing expected present, got nothing (suite.toml:17:57)".to_owned(),
        "error: forms: json $.json.id expected 43, got 42 (suite.toml:22:15)".to_owned(),
        "error: forms: json $.json.name expected length 5, got \"runner\" (suite.toml:23:17)".to_owned(),
        "error: forms: json $.json.tags expected contains \"grpc\", got [\"tls\",\"http\"] (suite.toml:24:17)".to_owned(),
        "error: forms: json $.json.ratio expected > 1, got 0.5 (suite.toml:25:18)".to_owned(),
        "error: forms: json $.json.nested expected present, got nothing (suite.toml:26:19)".to_owned(),
        "error: forms: json $.method expected one of [\"GET\", \"PUT\"], got \"POST\" (suite.toml:27:14)".to_owned(),
        "error: forms: json $.json['name'] expected matches /^x/, got \"runner\" (suite.toml:28:20)".to_owned(),
        "error: forms: body expected contains \"nope\", got \"{\\n  \\\"method\\\": \\\"POST\\\"".to_owned(),
        format!(
            "error: forms: certificate validity expected valid for at least 40000d, got valid until 2126-11-04 05:49:11 UTC ({left} days left) (suite.toml:19:15)"
        ),
        "error: forms: certificate subject expected contains \"example.com\", got \"O=runner demo, CN=localhost\" (suite.toml:19:58)".to_owned(),
        "error: slow: duration expected at most 10ms, got ".to_owned(),
    ];
    assert_eq!(errors.len(), expected.len(), "{}", outcome.stderr);
    for (got, want) in errors.iter().zip(&expected) {
        let whole = !(want.contains("body expected") || want.contains("duration expected"));
        if whole {
            assert_eq!(got, want);
        } else {
            assert!(
                got.starts_with(want.as_str()),
                "{got}\ndoes not start with\n{want}"
            );
        }
    }
    assert!(
        errors[13].ends_with(" ms (suite.toml:34:27)"),
        "{}",
        errors[13]
    );
}

/// The smoke suite: a health check retried until it holds, a login whose token is captured as a
/// secret, and authenticated calls with it.
#[test]
fn captures_flow_into_later_requests() {
    let serving = serve_demo();
    let outcome = crate::run::run_suite(
        &serving.base_url(),
        &["configs/smoke.toml", "--output", "json"],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let reports: Vec<serde_json::Value> = outcome
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    let names: Vec<&str> = reports
        .iter()
        .map(|r| r["name"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(names, ["health", "login", "profile"]);
    assert_eq!(reports[0]["attempts"], 3);
    // The token went out in the Authorization header and came back in the echo, hidden.
    assert_eq!(reports[2]["body"]["headers"]["authorization"], "Bearer ***");
    assert!(
        !outcome.stdout.contains("demo-token-7f3a9c")
            && !outcome.stderr.contains("demo-token-7f3a9c")
    );
    let records = serving.server.records();
    let profile = records
        .iter()
        .find(|r| r.path == "/anything/profile")
        .expect("profile was called");
    assert_eq!(profile.status, 200);
}

#[test]
fn a_capture_that_finds_nothing_fails_its_request_and_those_that_need_it() {
    let serving = serve_demo();
    let dir = tempdir("capture-missing");
    suite(
        &dir,
        "suite.toml",
        &serving,
        "[[requests]]\nname = \"login\"\npath = \"/get\"\noutput = \"none\"\ncapture = { token = \"$.no.such\" }\n\n[[requests]]\nname = \"use\"\npath = \"/anything/{{token}}\"\n",
    );
    let outcome = run_in(&dir, &["run", "suite.toml"]);
    assert_eq!(outcome.code, 1);
    let errors: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(
        errors,
        [
            "error: login: capture token expected a value at $.no.such in the JSON body, got nothing (suite.toml:12:21)",
            "error: use: GET https://localhost:PORT/anything/{{token}}: `{{token}}` has no value: the request that captures it failed or did not run"
                .replace("PORT", &serving.server.addr.port().to_string())
                .as_str(),
        ]
    );
    assert!(
        serving
            .server
            .records()
            .iter()
            .all(|r| !r.path.contains("token")),
        "the second request was not sent"
    );
}

/// Retries wait `interval`, times `backoff_factor` each time, up to `max_interval`: the
/// server's records show the attempts and the waits' order.
#[test]
fn retries_back_off_on_listed_statuses() {
    let serving = serve_demo();
    let dir = tempdir("retry");
    suite(
        &dir,
        "suite.toml",
        &serving,
        "[[requests]]\nname = \"busy\"\npath = \"/status/503\"\noutput = \"none\"\nretry = { count = 3, interval = \"100ms\", backoff_factor = 2.0, max_interval = \"300ms\", on_status = [503] }\n",
    );
    let outcome = run_in(&dir, &["run", "suite.toml", "--output", "json"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let report: serde_json::Value = serde_json::from_str(outcome.stdout.trim()).expect("JSON");
    assert_eq!(report["attempts"], 4);
    let times: Vec<u128> = serving
        .server
        .records()
        .iter()
        .map(|r| r.at.as_millis())
        .collect();
    assert_eq!(times.len(), 4);
    let waits: Vec<u128> = times.windows(2).map(|w| w[1] - w[0]).collect();
    // 100 ms, then 200 ms, then 300 ms (400 capped): at least that, and not seconds more.
    for (wait, nominal) in waits.iter().zip([100, 200, 300]) {
        assert!(
            *wait >= nominal && *wait < nominal + 1_000,
            "waits {waits:?}"
        );
    }
    let retry_lines: Vec<&str> = outcome
        .stderr
        .lines()
        .filter(|l| l.contains("; next in"))
        .collect();
    assert_eq!(
        retry_lines,
        [
            "busy: attempt 1 of 4: status 503; next in 100ms",
            "busy: attempt 2 of 4: status 503; next in 200ms",
            "busy: attempt 3 of 4: status 503; next in 300ms",
        ]
    );
}

#[test]
fn reports_junit_and_json() {
    let serving = serve_demo();
    let dir = tempdir("reports");
    suite(
        &dir,
        "a.toml",
        &serving,
        "[[requests]]\nname = \"fine\"\npath = \"/get\"\noutput = \"none\"\n",
    );
    suite(
        &dir,
        "b.toml",
        &serving,
        "[[requests]]\nname = \"teapot\"\npath = \"/status/418\"\noutput = \"none\"\nexpect = { status = 200 }\n",
    );
    let outcome = run_in(
        &dir,
        &[
            "run",
            "a.toml",
            "b.toml",
            "--report",
            "junit=out/junit.xml",
            "--report",
            "json=out/run.json",
        ]
        .map(ToOwned::to_owned)
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>(),
    );
    // The report folder did not exist: it is created, as curl's --create-dirs does.
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let xml = fs::read_to_string(dir.join("out/junit.xml")).expect("written");
    let junit = quick_junit::Report::deserialize_from_str(&xml).expect("valid JUnit XML");
    assert_eq!(junit.test_suites.len(), 2);
    assert_eq!(junit.tests, 2);
    assert_eq!(junit.failures, 1);
    let case = &junit.test_suites[1].test_cases[0];
    assert_eq!(case.name.as_str(), "teapot");
    match &case.status {
        quick_junit::TestCaseStatus::NonSuccess { message, .. } => assert_eq!(
            message.as_ref().map(|m| m.as_str()),
            Some("status expected 200, got 418 (b.toml:12:21)")
        ),
        other => panic!("not a failure: {other:?}"),
    }
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("out/run.json")).expect("written"))
            .expect("JSON");
    assert_eq!(json["summary"]["files"], 2);
    assert_eq!(json["summary"]["requests"], 2);
    assert_eq!(json["summary"]["passed"], 1);
    assert_eq!(json["summary"]["failed"], 1);
    assert_eq!(json["files"][1]["requests"][0]["status"], 418);
}

/// With `--jobs 4`, files run at once, and stdout and the logs come out as with `--jobs 1`.
#[test]
fn parallel_files_keep_their_order() {
    let normalise = |stderr: &str| -> Vec<String> {
        stderr
            .lines()
            .filter(|l| !l.contains("passed,"))
            .map(|l| l.split(" in ").next().unwrap_or_default().to_owned())
            .collect()
    };
    let once = |jobs: &str| {
        let serving = serve_demo();
        let outcome = crate::run::run_suite(&serving.base_url(), &["configs/", "--jobs", jobs]);
        assert_eq!(outcome.code, 0, "{}", outcome.stderr);
        let port = serving.server.addr.port().to_string();
        (
            outcome.stdout.replace(&port, "PORT"),
            normalise(&outcome.stderr.replace(&port, "PORT")),
        )
    };
    let (stdout_1, stderr_1) = once("1");
    let (stdout_4, stderr_4) = once("4");
    assert_eq!(stdout_1, stdout_4);
    assert_eq!(stderr_1, stderr_4);
    assert!(stderr_1.len() >= 8, "{stderr_1:?}");
}

#[test]
fn only_and_fail_fast_choose_what_runs() {
    let serving = serve_demo();
    let dir = tempdir("only");
    suite(
        &dir,
        "suite.toml",
        &serving,
        "[[requests]]\nname = \"one\"\npath = \"/status/500\"\noutput = \"none\"\n\n[[requests]]\nname = \"two\"\npath = \"/anything/two\"\noutput = \"none\"\n",
    );
    let only = run_in(&dir, &["run", "suite.toml", "--only", "two"]);
    assert_eq!(only.code, 0, "{}", only.stderr);
    let paths: Vec<String> = serving
        .server
        .records()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/anything/two"]);
    let fast = run_in(&dir, &["run", "suite.toml", "--fail-fast"]);
    assert_eq!(fast.code, 1);
    let paths: Vec<String> = serving
        .server
        .records()
        .iter()
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(paths, ["/anything/two", "/status/500"]);
    let unknown = run_in(&dir, &["run", "suite.toml", "--only", "tow"]);
    assert_eq!(unknown.code, 2);
    assert_eq!(
        unknown.stderr,
        "error: --only \"tow\": no request has this name\n  = help: did you mean \"two\"?\n"
    );
}

/// Secrets (an environment value, a keystore password, a secret capture) appear in no output of
/// a run at `-vv` with JSON logs, JSON output and both reports.
#[test]
fn no_output_shows_a_secret() {
    let serving = serve_demo();
    let dir = tempdir("secrets");
    let text = format!(
        r#"[endpoints.api]
url = "{base}"
headers = {{ "X-Api-Key" = "{{{{env.RUNNER_TEST_API_KEY}}}}" }}

[endpoints.api.secure_socket]
cert = "{ca}"
key = {{ path = "{p12}", password = "{{{{env.RUNNER_TEST_P12_PASSWORD}}}}" }}

[[requests]]
name = "login"
method = "POST"
path = "/anything/login"
json = {{ token = "tok-9f8e7d6c5b", password = "{{{{env.RUNNER_TEST_API_KEY}}}}" }}
capture = {{ token = {{ json = "$.json.token", secret = true }} }}

[[requests]]
name = "call"
path = "/anything/call?key={{{{env.RUNNER_TEST_API_KEY}}}}"
headers = {{ Authorization = "Bearer {{{{token}}}}" }}
expect = {{ json = {{ "$.headers.authorization" = "Bearer {{{{token}}}}", "$.args.key" = {{ equals = "wrong {{{{token}}}}" }} }} }}
"#,
        base = serving.base_url(),
        ca = root().join("configs/certs/ca.crt").display(),
        p12 = root().join("configs/certs/client.p12").display(),
    );
    fs::write(dir.join("suite.toml"), text).expect("write");
    fs::create_dir_all(dir.join("out")).expect("folder");
    let mut command = runner(
        &dir,
        &[
            "run",
            "suite.toml",
            "-vv",
            "--log-format",
            "json",
            "--output",
            "json",
            "--report",
            "junit=out/j.xml",
            "--report",
            "json=out/r.json",
        ],
    );
    command
        .env("RUNNER_TEST_API_KEY", "key-1a2b3c4d5e")
        .env("RUNNER_TEST_P12_PASSWORD", "changeit");
    let outcome = run(command);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    let outputs = [
        outcome.stdout.clone(),
        outcome.stderr.clone(),
        fs::read_to_string(dir.join("out/j.xml")).expect("junit"),
        fs::read_to_string(dir.join("out/r.json")).expect("json"),
    ];
    for secret in ["key-1a2b3c4d5e", "changeit", "tok-9f8e7d6c5b"] {
        for (i, output) in outputs.iter().enumerate() {
            assert!(
                !output.contains(secret),
                "output {i} shows {secret}:\n{output}"
            );
        }
    }
    // They were used all the same, and are shown as ***.
    assert!(
        outcome.stdout.contains("\"x-api-key\":\"***\""),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stderr.contains("wrong ***"), "{}", outcome.stderr);
}

/// Each body form arrives as sent: text, JSON, a form, and a file streamed from disk.
#[test]
fn every_body_form_arrives() {
    let serving = serve_demo();
    let dir = tempdir("bodies");
    let upload: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    fs::write(dir.join("upload.bin"), &upload).expect("write");
    suite(
        &dir,
        "suite.toml",
        &serving,
        r#"[[requests]]
name = "text"
method = "POST"
path = "/anything"
body = "plain words"
output = "none"
expect = { json = { "$.data" = "plain words" } }

[[requests]]
name = "json"
method = "PUT"
path = "/anything"
json = { list = [1, 2.5, "three"], flag = true }
output = "none"
expect = { json = { "$.json" = { equals = { list = [1, 2.5, "three"], flag = true } }, "$.headers['content-type']" = "application/json" } }

[[requests]]
name = "form"
method = "POST"
path = "/anything"
form = { name = "runner", n = 3 }
output = "none"
expect = { json = { "$.form" = { equals = { name = "runner", n = "3" } } } }

[[requests]]
name = "file"
method = "POST"
path = "/anything"
body_file = "upload.bin"
output = "none"
expect = { json = { "$.bytes" = 3000000, "$.headers['content-length']" = "3000000" } }
"#,
    );
    let outcome = run_in(&dir, &["run", "suite.toml"]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let methods: Vec<String> = serving
        .server
        .records()
        .iter()
        .map(|r| r.method.clone())
        .collect();
    assert_eq!(methods, ["POST", "PUT", "POST", "POST"]);
}

/// `server_name`: SNI and the verified name are the server name, the connection goes to the
/// URL's host, and Host stays the URL's host.
#[test]
fn server_name_is_sent_while_the_url_decides_where_to_connect() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let pki = crate::pki::dir();
    let options = runner::serve::Options {
        addr: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, 0)),
        cert: Some((pki.join("api-internal.crt"), pki.join("api-internal.key"))),
        client_ca: None,
        require_client_cert: false,
        ocsp: None,
    };
    let server = runtime
        .block_on(runner::serve::start(&options))
        .expect("serve starts");
    let dir = tempdir("server-name");
    for (name, version) in [("h1.toml", "1.1"), ("h2.toml", "2")] {
        fs::write(
            dir.join(name),
            format!(
                "[endpoints.api]\nurl = \"https://localhost:{port}\"\nhttp_version = \"{version}\"\n\n[endpoints.api.secure_socket]\ncert = \"{ca}\"\nserver_name = \"api.internal\"\n\n[[requests]]\npath = \"/headers\"\n",
                port = server.addr.port(),
                ca = pki.join("ca.crt").display()
            ),
        )
        .expect("write");
        let outcome = run_in(&dir, &["run", name]);
        assert_eq!(outcome.code, 0, "{name}: {}", outcome.stderr);
        let answer: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("JSON");
        let host = answer["headers"]["host"].as_str().map(str::to_owned);
        assert_eq!(
            host.as_deref(),
            Some(format!("localhost:{}", server.addr.port()).as_str()),
            "{name}: {answer}"
        );
    }
}

/// Redirects: not followed by default, followed up to the limit when asked.
#[test]
fn redirects_are_followed_only_when_asked() {
    let serving = serve_demo();
    let dir = tempdir("redirects");
    for (name, policy) in [
        ("none.toml", ""),
        ("two.toml", "follow_redirects = { max = 2 }\n"),
        ("all.toml", "follow_redirects = true\n"),
    ] {
        fs::write(
            dir.join(name),
            format!(
                "[endpoints.api]\nurl = \"{}\"\n{policy}secure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"hop\"\npath = \"/redirect/3\"\noutput = \"none\"\n",
                serving.base_url(),
                root().join("configs/certs/ca.crt").display()
            ),
        )
        .expect("write");
    }
    let none = run_in(&dir, &["run", "none.toml", "--output", "json"]);
    assert_eq!(none.code, 0, "{}", none.stderr);
    assert!(none.stdout.contains("\"status\":302"), "{}", none.stdout);
    let two = run_in(&dir, &["run", "two.toml"]);
    assert_eq!(two.code, 3);
    assert!(two.stderr.contains("error: hop: GET "), "{}", two.stderr);
    assert!(
        two.stderr.contains(
            ": too many redirects: more than 2\n  the last one was to https://localhost:"
        ),
        "{}",
        two.stderr
    );
    assert!(
        two.stderr
            .contains("/get\n  = help: raise `follow_redirects = { max = N }`"),
        "{}",
        two.stderr
    );
    let all = run_in(&dir, &["run", "all.toml", "--output", "json"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    assert!(all.stdout.contains("\"status\":200"), "{}", all.stdout);
}

/// `expect.certificate` on the server's names, serial and fingerprints, with the values
/// openssl computes from the demo server's certificate: they pass, and a wrong one fails.
#[test]
fn certificate_fingerprints_and_names_are_expectations() {
    let serving = serve_demo();
    let dir = tempdir("expect-certificate");
    let openssl = |script: &str| {
        let out = std::process::Command::new("bash")
            .arg("-c")
            .arg(script)
            .current_dir(root().join("configs/certs"))
            .output()
            .expect("openssl runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let sha256 = openssl("openssl x509 -in server.crt -noout -fingerprint -sha256 | cut -d= -f2");
    let spki = openssl(
        "openssl x509 -in server.crt -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64",
    );
    // openssl prints the serial without colons.
    let serial = openssl("openssl x509 -in server.crt -noout -serial | cut -d= -f2");
    let expect = |sha: &str| {
        format!(
            "[[requests]]\nname = \"cert\"\npath = \"/get\"\noutput = \"none\"\nexpect = {{ certificate = {{ san = {{ contains = \"localhost\" }}, serial = {{ matches = \"^(00:)?{}$\" }}, sha256 = \"{sha}\", spki_sha256 = \"{spki}\" }} }}\n",
            serial
                .as_bytes()
                .chunks(2)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(":")
        )
    };
    suite(&dir, "good.toml", &serving, &expect(&sha256));
    let outcome = run_in(&dir, &["run", "good.toml", "--output", "json"]);
    assert_eq!(outcome.code, 0, "{}{}", outcome.stdout, outcome.stderr);
    let report: serde_json::Value = serde_json::from_str(outcome.stdout.trim()).expect("JSON");
    // The four, and the implicit status below 400.
    assert_eq!(report["expectations"].as_array().map(Vec::len), Some(5));
    suite(&dir, "bad.toml", &serving, &expect("AB:CD"));
    let outcome = run_in(&dir, &["run", "bad.toml"]);
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(&format!(
            "error: cert: certificate sha256 expected \"AB:CD\", got \"{sha256}\""
        )),
        "{}",
        outcome.stderr
    );
}
