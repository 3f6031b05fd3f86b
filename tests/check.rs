//! `runner check`: the corpus of invalid suites with their whole diagnostics, the example
//! suites, and the command line's variables.

use std::fs;

use crate::support::{root, run, run_in, runner, tempdir};

/// Every file of the corpus fails with exactly its recorded diagnostic and exit code 2.
/// `BLESS=1` rewrites the recorded diagnostics instead.
#[test]
fn corpus_of_invalid_suites() {
    let dir = root().join("tests/corpus/invalid");
    let mut cases: Vec<_> = fs::read_dir(&dir)
        .expect("the corpus exists")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 30, "the corpus holds {} cases", cases.len());
    let bless = std::env::var_os("BLESS").is_some();
    let mut failures = Vec::new();
    for case in &cases {
        let name = case
            .file_name()
            .and_then(|n| n.to_str())
            .expect("a UTF-8 name");
        let mut command = runner(&dir, &["check", name]);
        command.env_remove("RUNNER_TEST_UNSET_TOKEN");
        let outcome = run(command);
        let expected_path = case.with_extension("err");
        if bless {
            fs::write(&expected_path, &outcome.stderr).expect("the corpus is writable");
        }
        let expected = fs::read_to_string(&expected_path).unwrap_or_default();
        if outcome.code != 2 || !outcome.stdout.is_empty() || outcome.stderr != expected {
            failures.push(format!(
                "{name}: exit {} (want 2)\n--- stdout\n{}--- stderr\n{}--- expected stderr\n{expected}",
                outcome.code, outcome.stdout, outcome.stderr
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The example suites load with all their TLS material; the system's trust store is the demo
/// CA, as `runner demo` sets it.
#[test]
fn example_suites_load() {
    let mut command = runner(&root(), &["check", "configs/"]);
    command
        .env("SSL_CERT_FILE", "configs/certs/ca.crt")
        .env_remove("SSL_CERT_DIR");
    let outcome = run(command);
    assert_eq!(outcome.stderr, "");
    assert_eq!(outcome.code, 0);
    assert_eq!(
        outcome.stdout,
        "\
configs/cert.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: certs/server.crt (1 certificate)
    protocol: TLSv1.2, TLSv1.3
  request \"get with a pinned certificate\": GET api /get
configs/https.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: the system's trust store [SSL_CERT_FILE=configs/certs/ca.crt: 1] (1 certificate)
    protocol: TLSv1.2, TLSv1.3
  request \"get over system trust\": GET api /get
configs/mtls-p12.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: certs/ca.crt (1 certificate)
    identity: PKCS#12 keystore certs/client.p12
      subject: O=runner demo, CN=demo-client
      issuer: O=runner demo, CN=runner demo CA
      key: RSA 2048, expires 2126-11-04 05:49:11 UTC
    protocol: TLSv1.2, TLSv1.3
  request \"who am I (PKCS#12)\": GET api /anything
configs/mtls.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: certs/ca.crt (1 certificate)
    identity: certs/client.crt with key certs/client.key
      subject: O=runner demo, CN=demo-client
      issuer: O=runner demo, CN=runner demo CA
      key: RSA 2048, expires 2126-11-04 05:49:11 UTC
    protocol: TLSv1.2, TLSv1.3
  request \"who am I\": GET api /anything
configs/pipeline.toml: ok, 1 endpoint, 4 requests
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: certs/ca.crt (1 certificate)
    protocol: TLSv1.2, TLSv1.3
  request \"log in\": GET api /cookies/set?session=demo-session
  request \"the session cookie comes back\": GET api /cookies
  request \"upload a report\": POST api /anything
  request \"a gzip answer, decoded\": GET api /gzip
configs/smoke.toml: ok, 1 endpoint, 3 requests
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: certs/ca.crt (1 certificate)
    identity: certs/client.crt with key certs/client.key
      subject: O=runner demo, CN=demo-client
      issuer: O=runner demo, CN=runner demo CA
      key: RSA 2048, expires 2126-11-04 05:49:11 UTC
    protocol: TLSv1.2, TLSv1.3
  request \"health\": GET api /flaky/2
  request \"login\": POST api /anything/login
  request \"profile\": GET api /anything/profile
configs/truststore.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: PKCS#12 truststore certs/truststore.p12 (1 certificate)
    protocol: TLSv1.2, TLSv1.3
  request \"get with a truststore\": GET api /get
"
    );
}

/// `--var` wins over `--vars-file`, which wins over `[vars]`.
#[test]
fn command_line_variables_override_the_suite() {
    let dir = tempdir("vars");
    fs::write(
        dir.join("more.toml"),
        "base_url = \"https://from-file:1\"\nextra = 7\n",
    )
    .expect("write");
    let suite = root().join("configs/mtls.toml");
    let suite = suite.to_str().expect("UTF-8 path");
    let from_file = run_in(&dir, &["check", suite, "--vars-file", "more.toml"]);
    assert_eq!(from_file.code, 0, "{}", from_file.stderr);
    assert!(
        from_file
            .stdout
            .contains("endpoint api: https://from-file:1 (HTTP auto)"),
        "{}",
        from_file.stdout
    );
    let from_var = run_in(
        &dir,
        &[
            "check",
            suite,
            "--vars-file",
            "more.toml",
            "--var",
            "base_url=https://from-var:2/prefix",
        ],
    );
    assert_eq!(from_var.code, 0, "{}", from_var.stderr);
    assert!(
        from_var
            .stdout
            .contains("endpoint api: https://from-var:2/prefix (HTTP auto)"),
        "{}",
        from_var.stdout
    );
}

#[test]
fn a_bad_vars_file_is_pointed_at() {
    let dir = tempdir("bad-vars");
    fs::write(dir.join("vars.toml"), "base_url = [1, 2]\n").expect("write");
    let outcome = run_in(
        &dir,
        &[
            "check",
            "../../configs/mtls.toml",
            "--vars-file",
            "vars.toml",
        ],
    );
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "\
error: expected a string, a number or a boolean
 --> vars.toml:1:12
  |
1 | base_url = [1, 2]
  |            ^^^^^^
"
    );
}

#[test]
fn a_malformed_var_is_a_usage_error() {
    let outcome = run_in(&root(), &["check", "configs/", "--var", "base_url"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.starts_with(
            "error: invalid value 'base_url' for '--var <NAME=VALUE>': `base_url` is not NAME=VALUE; \
             write for example --var base_url=https://localhost:8443\n"
        ),
        "{}",
        outcome.stderr
    );
}

#[test]
fn a_missing_file_is_named() {
    let outcome = run_in(&root(), &["check", "configs/nope.toml"]);
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: cannot read configs/nope.toml: No such file or directory\n  = help: check the path; suites are TOML files, and a directory means its *.toml files\n"
    );
}

/// Values from the environment are secrets: a summary shows them as `***`.
#[test]
fn environment_values_are_not_shown() {
    let dir = tempdir("env");
    fs::write(
        dir.join("suite.toml"),
        "[endpoints.api]\nurl = \"https://{{env.RUNNER_TEST_HOST}}:8443\"\nheaders = { Authorization = \"Bearer {{env.RUNNER_TEST_TOKEN}}\" }\n",
    )
    .expect("write");
    let mut command = runner(&dir, &["check", "suite.toml"]);
    command
        .env("RUNNER_TEST_HOST", "secret-host.internal")
        .env("RUNNER_TEST_TOKEN", "s3cr3t-t0ken");
    let outcome = run(command);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stdout
            .contains("endpoint api: https://***:8443 (HTTP auto)"),
        "{}",
        outcome.stdout
    );
    assert!(!outcome.stdout.contains("secret-host") && !outcome.stdout.contains("s3cr3t"));
}

#[test]
fn help_explains_the_commands() {
    let outcome = run_in(&root(), &["--help"]);
    assert_eq!(outcome.code, 0);
    for needle in ["check", "schema", "Exit codes"] {
        assert!(
            outcome.stdout.contains(needle),
            "--help lacks {needle}:\n{}",
            outcome.stdout
        );
    }
    let outcome = run_in(&root(), &["check", "--help"]);
    assert!(outcome.stdout.contains("--vars-file"), "{}", outcome.stdout);
}

/// The command line's own mistakes: a folder without suites, a missing vars file, a duration
/// that is not one. Each is named, exit 2.
#[test]
fn command_line_mistakes_are_named() {
    let empty = tempdir("empty-dir");
    let outcome = run_in(&empty, &["check", "."]);
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: . holds no *.toml suite file\n  = help: give suite files, or a directory that holds some\n"
    );
    let outcome = run_in(
        &root(),
        &["check", "configs/", "--vars-file", "no-such-vars.toml"],
    );
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: cannot read no-such-vars.toml: No such file or directory\n  = help: check the path; suites are TOML files, and a directory means its *.toml files\n"
    );
    let outcome = run_in(&root(), &["check", "configs/", "--warn-expiry", "soon"]);
    assert_eq!(outcome.code, 2);
    assert!(
        outcome.stderr.starts_with(
            "error: invalid value 'soon' for '--warn-expiry <DURATION>': `soon` is not a duration: write for example 30d, 12h or 90m\n"
        ),
        "{}",
        outcome.stderr
    );
}

/// `check --offline` is a lint step without secrets: unset `env.*` values stand in until run
/// time, and the keystores they open are checked to be there and to be keystores.
#[test]
fn offline_check_needs_no_secrets() {
    let certs = root().join("configs/certs");
    let suite = format!(
        r#"[endpoints.api]
url = "https://{{{{env.RUNNER_OFFLINE_HOST}}}}:8443"
headers = {{ Authorization = "Bearer {{{{env.RUNNER_OFFLINE_TOKEN}}}}" }}
secure_socket = {{ cert = {{ path = "{certs}/truststore.p12", password = "{{{{env.RUNNER_OFFLINE_TRUST_PW}}}}" }}, key = {{ path = "{certs}/client.p12", password = "{{{{env.RUNNER_OFFLINE_KEY_PW}}}}" }} }}

[[requests]]
path = "/get"
"#,
        certs = certs.display()
    );
    let test = crate::support::Test::new("offline").file("a.toml", &suite);
    test.args(&["check", "--offline", "--deny-warnings", "a.toml"])
        .replace(&certs.display().to_string(), "CERTS")
        .stdout(
            "a.toml: ok, 1 endpoint, 1 request
  endpoint api: https://***:8443 (HTTP auto)
    trust: PKCS#12 truststore CERTS/truststore.p12, not opened: its password, env.RUNNER_OFFLINE_TRUST_PW, is set at run time (0 certificates)
    identity: CERTS/client.p12, not opened: its password, env.RUNNER_OFFLINE_KEY_PW, is set at run time
    protocol: TLSv1.2, TLSv1.3
  request \"GET /get\": GET api /get
  set at run time: env.RUNNER_OFFLINE_HOST, env.RUNNER_OFFLINE_KEY_PW, env.RUNNER_OFFLINE_TOKEN, env.RUNNER_OFFLINE_TRUST_PW
",
        )
        .run();
    // Without --offline each unset value is an error; a value that is set is checked.
    crate::support::Test::new("offline-not")
        .file("a.toml", &suite)
        .args(&["check", "a.toml"])
        .code(2)
        .stderr_regex("(?s)error: environment variable `RUNNER_OFFLINE_HOST` is not set.*")
        .run();
    crate::support::Test::new("offline-wrong-password")
        .file("a.toml", &suite)
        .args(&["check", "--offline", "a.toml"])
        .env("RUNNER_OFFLINE_KEY_PW", "not-the-password")
        .code(2)
        .stderr_regex("(?s)error: cannot decrypt .*client.p12: the password is wrong.*")
        .run();
    // A file that is not a keystore is still found out.
    crate::support::Test::new("offline-not-a-keystore")
        .file("a.toml", &suite.replace("client.p12", "client.crt"))
        .args(&["check", "--offline", "a.toml"])
        .code(2)
        .stderr_regex("(?s)error: .*client.crt is a PEM certificate file, not a PKCS#12 file.*")
        .run();
}

/// Ballerina's `certValidation`, in this format's spelling, is the `revocation` it means.
#[test]
fn ballerina_cert_validation_is_revocation() {
    let suite = |validation: &str| {
        format!(
            "[endpoints.api]\nurl = \"https://localhost:8443\"\nsecure_socket = {{ cert = \"{}\", cert_validation = {validation} }}\n\n[[requests]]\npath = \"/\"\n",
            root().join("configs/certs/ca.crt").display()
        )
    };
    let lines = |validation: &str| {
        let run = crate::support::Test::new("cert-validation")
            .file("a.toml", &suite(validation))
            .args(&["check", "a.toml"])
            .any_stdout()
            .run();
        run.stdout
            .lines()
            .find(|l| l.trim_start().starts_with("revocation:"))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    assert_eq!(
        lines("{ type = \"OCSP_STAPLING\" }"),
        "revocation: no CRL; a stapled OCSP response required; unknown status refused"
    );
    assert_eq!(
        lines("{ type = \"OCSP_CRL\", cache_size = 10, cache_validity_period = 600 }"),
        "revocation: no CRL; a stapled OCSP response checked when there is one; fetched from the OCSP responders and CRLs the certificates name (10 answers kept for 10m); unknown status refused"
    );
    crate::support::Test::new("cert-validation-bad")
        .file("a.toml", &suite("{ type = \"CRL_ONLY\" }"))
        .args(&["check", "a.toml"])
        .code(2)
        .stderr_regex("(?s)error: `CRL_ONLY` is not a certValidation type.*Ballerina's types are \"OCSP_STAPLING\" and \"OCSP_CRL\".*")
        .run();
}

/// A suite large enough to be read in pieces (more than 512 KiB) loads, and a mistake deep in
/// it is said exactly as in a small file: the same message at the same line and column.
#[test]
fn a_large_suite_is_read_and_its_mistakes_are_placed() {
    let dir = tempdir("large-suite");
    let endpoint = "[endpoints.api]\nurl = \"https://localhost:8443\"\n";
    let requests = |count: usize| -> String {
        (0..count)
            .map(|i| {
                format!("\n[[requests]]\nname = \"r{i}\"\npath = \"/{i}\"\noutput = \"none\"\n")
            })
            .collect()
    };
    let large = format!("{endpoint}{}", requests(12_000));
    assert!(large.len() > 600 * 1024);
    fs::write(dir.join("large.toml"), &large).expect("target/ is writable");
    let outcome = run_in(&dir, &["check", "large.toml"]);
    assert_eq!((outcome.code, outcome.stderr.as_str()), (0, ""));
    assert!(
        outcome
            .stdout
            .starts_with("large.toml: ok, 1 endpoint, 12000 requests\n"),
        "{}",
        outcome.stdout
    );
    assert!(outcome.stdout.contains("r11999"), "{}", outcome.stdout);

    // A mistake in its last request, said whole.
    let mistake = "\n[[requests]]\nname = \"last\"\npaht = \"/\"\n";
    fs::write(dir.join("large.toml"), format!("{large}{mistake}")).expect("writable");
    let outcome = run_in(&dir, &["check", "large.toml"]);
    let line = 2 + 12_000 * 5 + 4;
    assert_eq!(
        (outcome.code, outcome.stderr.as_str()),
        (
            2,
            format!(
                "error: unknown key `paht`\n     --> large.toml:{line}:1\n      |\n\
                 {line} | paht = \"/\"\n      | ^^^^\n      |\n      = help: did you mean `path`?\n"
            )
            .as_str()
        )
    );
}
