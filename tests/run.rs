//! `runner run` against real servers: `runner serve` in-process (the demo PKI) for payloads,
//! output and logs; the test PKI's rustls server for each TLS failure and its whole message.

use std::fs;
use std::net::{Ipv4Addr, SocketAddr};

use runner::serve::{self, Server};

use crate::pki;
use crate::server::{self as tls_server, Options};
use crate::support::{Run, json_values, root, run, runner};

/// `runner serve` on a free loopback port, on a runtime of its own that lives as long as this.
pub struct Serving {
    pub server: Server,
    _runtime: tokio::runtime::Runtime,
}

impl Serving {
    pub fn base_url(&self) -> String {
        format!("https://localhost:{}", self.server.addr.port())
    }
}

/// The demo set-up: demo certificate, demo CA's client certificates asked for.
pub fn serve_demo() -> Serving {
    serve_demo_requiring(false)
}

/// The demo set-up; with `require`, a client certificate of the demo CA is required.
pub fn serve_demo_requiring(require: bool) -> Serving {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let options = serve::Options {
        addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        cert: None,
        client_ca: Some(None),
        require_client_cert: require,
        ocsp: None,
    };
    let server = runtime
        .block_on(serve::start(&options))
        .expect("serve starts");
    Serving {
        server,
        _runtime: runtime,
    }
}

/// `runner run ARGS` from the repository root with `base_url` pointing at `base`.
pub fn run_suite(base: &str, args: &[&str]) -> Run {
    let var = format!("base_url={base}");
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--var", &var]);
    let mut command = runner(&root(), &all);
    command
        .env("SSL_CERT_FILE", "configs/certs/ca.crt")
        .env_remove("SSL_CERT_DIR");
    run(command)
}

#[test]
fn demo_runs_every_example_suite() {
    let outcome = run(runner(&root(), &["demo"]));
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stdout
            .contains("\"subject\": \"O=runner demo, CN=demo-client\""),
        "{}",
        outcome.stdout
    );
    assert!(
        outcome.stderr.contains("who am I: GET https://localhost:"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("TLSv1.3, client certificate presented"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.ends_with("runner demo: 7 suites passed\n"),
        "{}",
        outcome.stderr
    );
}

#[test]
fn payloads_pipe_into_a_json_parser() {
    let serving = serve_demo();
    let outcome = run_suite(
        &serving.base_url(),
        &["configs/mtls.toml", "configs/mtls-p12.toml"],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let values = json_values(&outcome.stdout);
    assert_eq!(values.len(), 2);
    for value in &values {
        assert_eq!(
            value["tls"]["client_certificate"]["subject"],
            "O=runner demo, CN=demo-client"
        );
    }
    assert_eq!(values[0]["args"]["verbose"], "1");
    assert_eq!(values[0]["headers"]["accept"], "application/json");
}

#[test]
fn output_json_has_one_object_per_request() {
    let serving = serve_demo();
    let outcome = run_suite(
        &serving.base_url(),
        &["configs/mtls.toml", "--output", "json"],
    );
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let lines: Vec<&str> = outcome.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", outcome.stdout);
    let report: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
    let fields: Vec<&str> = report
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        [
            "file",
            "name",
            "endpoint",
            "method",
            "url",
            "status",
            "headers",
            "body",
            "duration_ms",
            "total_ms",
            "attempts",
            "tls",
            "expectations",
            "error"
        ]
    );
    assert_eq!(report["name"], "who am I");
    assert_eq!(report["endpoint"], "api");
    assert_eq!(report["method"], "GET");
    assert_eq!(
        report["url"],
        format!("{}/anything?verbose=1", serving.base_url())
    );
    assert_eq!(report["status"], 200);
    assert_eq!(report["attempts"], 1);
    assert_eq!(report["error"], serde_json::Value::Null);
    assert_eq!(
        report["body"]["tls"]["client_certificate"]["subject"],
        "O=runner demo, CN=demo-client"
    );
    assert_eq!(report["tls"]["version"], "TLSv1.3");
    assert_eq!(report["tls"]["client_certificate"], true);
    assert_eq!(
        report["tls"]["server_certificate"][0]["subject"],
        "O=runner demo, CN=localhost"
    );
    assert_eq!(report["expectations"][0]["what"], "status");
    assert_eq!(report["expectations"][0]["passed"], true);
    assert!(
        report["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .any(|h| h[0] == "content-type" && h[1] == "application/json")
    );
}

/// The log line of a request, and the same as a JSON event.
#[test]
fn a_log_line_per_request_in_text_and_json() {
    let serving = serve_demo();
    let text = run_suite(
        &serving.base_url(),
        &["configs/mtls.toml", "--output", "none"],
    );
    assert_eq!(text.code, 0, "{}", text.stderr);
    assert_eq!(text.stdout, "");
    let line = text.stderr.lines().next().expect("a line");
    let (start, rest) = line.split_once(" -> 200 OK in ").expect("the status");
    assert_eq!(
        start,
        format!("who am I: GET {}/anything?verbose=1", serving.base_url())
    );
    let (ms, tail) = rest.split_once(" ms").expect("the duration");
    assert!(ms.parse::<u64>().is_ok(), "{line}");
    assert_eq!(tail, ", TLSv1.3, client certificate presented");

    let json = run_suite(
        &serving.base_url(),
        &[
            "configs/mtls.toml",
            "--output",
            "none",
            "--log-format",
            "json",
        ],
    );
    assert_eq!(json.code, 0, "{}", json.stderr);
    let event: serde_json::Value =
        serde_json::from_str(json.stderr.lines().next().expect("an event")).expect("JSON");
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["request"], "who am I");
    assert_eq!(event["method"], "GET");
    assert_eq!(
        event["url"],
        format!("{}/anything?verbose=1", serving.base_url())
    );
    assert_eq!(event["status"], 200);
    assert_eq!(event["tls_version"], "TLSv1.3");
    assert_eq!(event["client_certificate"], true);
    assert!(event["duration_ms"].is_u64());
}

/// `-v` adds the headers (secrets as ***) and the server's certificate chain.
#[test]
fn verbose_logs_show_headers_and_certificates_but_no_secret() {
    let serving = serve_demo();
    let dir = crate::support::tempdir("verbose");
    fs::write(
        dir.join("suite.toml"),
        format!(
            "[endpoints.api]\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer {{{{env.RUNNER_TEST_TOKEN}}}}\" }}\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\npath = \"/headers\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        ),
    )
    .expect("write");
    let mut command = runner(&dir, &["run", "suite.toml", "-vv"]);
    command.env("RUNNER_TEST_TOKEN", "tok-s3cr3t-42");
    let outcome = run(command);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    assert!(
        outcome
            .stderr
            .contains("  < content-type: application/json\n"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome.stderr.contains("  server certificate: O=runner demo, CN=localhost, issued by O=runner demo, CN=runner demo CA, valid until 2126-"),
        "{}",
        outcome.stderr
    );
    // The server echoes the Authorization header: the payload hides it too.
    assert!(
        outcome.stdout.contains("\"authorization\": \"Bearer ***\""),
        "{}",
        outcome.stdout
    );
    assert!(!outcome.stdout.contains("tok-s3cr3t-42") && !outcome.stderr.contains("tok-s3cr3t-42"));
}

/// Writes a suite in the test PKI folder whose endpoint is `addr`, with this `secure_socket`.
fn pki_suite(name: &str, addr: SocketAddr, socket: &str) -> String {
    let text = format!(
        "[endpoints.api]\nurl = \"https://localhost:{}\"\n\n[endpoints.api.secure_socket]\n{socket}\n\n[[requests]]\nname = \"probe\"\npath = \"/get\"\n",
        addr.port()
    );
    fs::write(pki::dir().join(format!("{name}.toml")), text).expect("writable");
    pki::path(&format!("{name}.toml")).display().to_string()
}

/// Runs a suite against the test PKI's rustls server and returns what happened.
fn against(options: Options<'static>, name: &str, socket: &str) -> (Run, u16) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(tls_server::start(options));
    let path = pki_suite(name, server.addr, socket);
    (run(runner(&root(), &["run", &path])), server.addr.port())
}

fn options(cert: &'static str) -> Options<'static> {
    let key: &'static str = Box::leak(cert.replace(".crt", ".key").into_boxed_str());
    Options::new(cert, key)
}

fn pki_info(name: &str) -> runner::tls::CertInfo {
    crate::support::cert_info(&pki::dir().join(name))
}

fn until(name: &str) -> String {
    crate::support::expiry(&pki::dir().join(name))
}

#[test]
fn tls_failures_explain_themselves() {
    let mut failures = Vec::new();
    let mut check = |(outcome, port): (Run, u16), expected: String| {
        let now = outcome
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("  now: "))
            .unwrap_or_default()
            .to_owned();
        let expected = expected
            .replace("{port}", &port.to_string())
            .replace("{now}", &now);
        if outcome.code != 3
            || outcome
                .logs_before_summary("1 file, 1 request: 0 passed, 0 failed, 1 could not complete")
                != expected
        {
            failures.push(format!(
                "exit {}\n--- got\n{}--- want\n{expected}",
                outcome.code, outcome.stderr
            ));
        }
    };
    check(
        against(options("server.crt"), "fail-unknown-issuer", "cert = \"other-ca.crt\""),
        format!(
            "error: probe: GET https://localhost:{{port}}/get: the server's certificate is not trusted: nothing trusted issued it
  the server presented:
    - CN=localhost, O=runner tests (issued by CN=runner test CA, O=runner tests, valid until {})
      sha256 {}, spki_sha256 {}
  trusted: other-ca.crt (1 certificate)
    - CN=unrelated CA, O=runner tests (sha256 {})
  = help: add the CA certificate of CN=runner test CA, O=runner tests to `cert`, or pin the server's own certificate there
",
            until("server.crt"),
            pki_info("server.crt").sha256,
            pki_info("server.crt").spki_sha256,
            pki_info("other-ca.crt").sha256
        ),
    );
    check(
        against(options("wrong-name.crt"), "fail-name", "cert = \"ca.crt\""),
        "error: probe: GET https://localhost:{port}/get: the server's certificate is not valid for the name localhost
  it names: wrong.example
  asked for: localhost
  = help: use a URL with one of its names, or set `server_name`; `verify_hostname = false` skips this check (for tests only)
"
        .to_owned(),
    );
    check(against(options("expired.crt"), "fail-expired", "cert = \"ca.crt\""), format!(
            "error: probe: GET https://localhost:{{port}}/get: the server's certificate expired on {expired}
  now: {{now}}
  certificate: CN=localhost, O=runner tests (issued by CN=runner test CA, O=runner tests, valid until {expired})
  = help: the server must renew its certificate; `enable = false` skips verification (for tests only)
",
            expired = until("expired.crt")
        ));
    let mut required = options("server.crt");
    required.client_ca = Some("ca.crt");
    required.require_client_cert = true;
    check(against(required, "fail-no-client-cert", "cert = \"ca.crt\""), "error: probe: GET https://localhost:{port}/get: the server asked for a client certificate and none is configured
  the server ended the connection after the handshake
  it accepts client certificates issued by: CN=runner test CA, O=runner tests
  = help: add `key = { cert_file = \"client.crt\", key_file = \"client.key\" }` (or a PKCS#12 `key = { path, password }`) to `secure_socket`
"
        .to_owned());
    let mut required = options("server.crt");
    required.client_ca = Some("ca.crt");
    required.require_client_cert = true;
    check(
        against(
            required,
            "fail-client-refused",
            "cert = \"ca.crt\"\nkey = { cert_file = \"client-other.crt\", key_file = \"client-other.key\" }",
        ),
        format!(
            "error: probe: GET https://localhost:{{port}}/get: the server refused the client certificate CN=client of another CA, O=runner tests
  the server ended the connection after the handshake
  client certificate: CN=client of another CA, O=runner tests (issued by CN=unrelated CA, O=runner tests, valid until {})
  = help: the server must trust CN=unrelated CA, O=runner tests; check its client CA list, and the certificate's dates and key usage
",
            until("client-other.crt")
        ),
    );
    static TLS12_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    let mut old = options("server.crt");
    old.versions = &TLS12_ONLY;
    check(against(old, "fail-version", "cert = \"ca.crt\"\nprotocol = { versions = [\"TLSv1.3\"] }"), "error: probe: GET https://localhost:{port}/get: no common TLS protocol version: the server refused the versions offered
  runner offered: TLSv1.3
  = help: widen `protocol.versions` (rustls speaks TLS 1.2 and 1.3), or update the server
"
        .to_owned());
    let mut picky = options("server.crt");
    picky.ciphers = Some(vec![
        rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ]);
    check(against(picky, "fail-cipher", "cert = \"ca.crt\"\nciphers = [\"TLS_AES_128_GCM_SHA256\"]"), "error: probe: GET https://localhost:{port}/get: the handshake failed: the server found no cipher suite or parameters in common
  runner offered: TLS_AES_128_GCM_SHA256 over TLSv1.3
  = help: widen `ciphers` (or remove it), or check the server's TLS settings
"
        .to_owned());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_refused_connection_is_named() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port();
    let dir = crate::support::tempdir("refused");
    fs::write(
        dir.join("suite.toml"),
        format!("[endpoints.api]\nurl = \"http://127.0.0.1:{port}\"\n\n[[requests]]\nname = \"ping\"\npath = \"/get\"\n"),
    )
    .expect("write");
    let outcome = run(runner(&dir, &["run", "suite.toml"]));
    assert_eq!(outcome.code, 3);
    assert_eq!(
        outcome.logs_before_summary("1 file, 1 request: 0 passed, 0 failed, 1 could not complete"),
        format!(
            "error: ping: GET http://127.0.0.1:{port}/get: could not connect to 127.0.0.1:{port}: Connection refused\n  = help: check that the server runs and listens there, and the URL's host and port\n"
        )
    );
}

#[test]
fn exit_codes_follow_the_worst_request() {
    let serving = serve_demo();
    let dir = crate::support::tempdir("exit-codes");
    let write = |name: &str, path: &str, status: &str| {
        fs::write(
            dir.join(name),
            format!(
                "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\", enable = false }}\n\n[[requests]]\nname = \"r\"\npath = \"{path}\"\n{status}",
                serving.base_url(),
                root().join("configs/certs/ca.crt").display()
            ),
        )
        .expect("write");
    };
    write("ok.toml", "/status/204", "");
    write("client-error.toml", "/status/404", "");
    write(
        "expected-404.toml",
        "/status/404",
        "expect = { status = 404 }\n",
    );
    write(
        "wrong-class.toml",
        "/status/503",
        "expect = { status = \"2xx\" }\n",
    );
    let code = |name: &str| run(runner(&dir, &["run", name])).code;
    assert_eq!(code("ok.toml"), 0);
    assert_eq!(code("client-error.toml"), 1);
    assert_eq!(code("expected-404.toml"), 0);
    assert_eq!(code("wrong-class.toml"), 1);
    // enable = false warns on every run.
    let outcome = run(runner(&dir, &["run", "ok.toml"]));
    assert!(
        outcome.stderr.starts_with(
            "warning: endpoint api: enable = false: the server's certificate is NOT verified; anyone in the middle can read and change this traffic\n"
        ),
        "{}",
        outcome.stderr
    );
    let failed = run(runner(&dir, &["run", "wrong-class.toml"]));
    assert!(
        failed
            .stderr
            .contains("error: r: status expected 2xx, got 503"),
        "{}",
        failed.stderr
    );
}

/// A 1 GiB download goes to its file in constant memory: the process's peak resident set,
/// read from /proc while it runs, stays far below the body's size.
#[test]
fn a_large_download_streams_to_its_file() {
    const SIZE: u64 = 1 << 30;
    let serving = serve_demo();
    let dir = download_suite("download", &serving, SIZE, "output = \"big.bin\"\n");
    let child = runner(&dir, &["run", "suite.toml", "-q"])
        .spawn()
        .expect("runner starts");
    let (status, peak_kb) = peak_memory(child);
    assert!(status.success());
    let file = dir.join("big.bin");
    assert_eq!(fs::metadata(&file).expect("written").len(), SIZE);
    let mut head = [0u8; 4];
    std::io::Read::read_exact(&mut fs::File::open(&file).expect("readable"), &mut head)
        .expect("4 bytes");
    assert_eq!(head, [0, 1, 2, 3]);
    fs::remove_file(&file).expect("removable");
    assert!(peak_kb < 100 * 1024, "peak resident memory {peak_kb} kB");
    eprintln!("1 GiB download: peak resident memory {} MB", peak_kb / 1024);
}

/// `--output json` shows a binary body by its size: none of it is held, however large.
#[test]
fn a_large_binary_body_in_json_output_is_not_held() {
    const SIZE: u64 = 128 << 20;
    let serving = serve_demo();
    let dir = download_suite("json-binary", &serving, SIZE, "");
    let out = dir.join("out.json");
    let child = runner(&dir, &["run", "suite.toml", "-q", "--output", "json"])
        .stdout(fs::File::create(&out).expect("stdout file"))
        .spawn()
        .expect("runner starts");
    let (status, peak_kb) = peak_memory(child);
    assert!(status.success());
    let line: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&out).expect("stdout")).expect("one JSON line");
    assert_eq!(
        line["body"],
        serde_json::json!({ "bytes": SIZE, "file": null })
    );
    // Holding it up to max_body (64 MiB) was the old way.
    assert!(peak_kb < 40 * 1024, "peak resident memory {peak_kb} kB");
}

/// A folder with `suite.toml`: one request named "download" of `size` bytes from the demo
/// server, with `extra` lines added to it.
fn download_suite(name: &str, serving: &Serving, size: u64, extra: &str) -> std::path::PathBuf {
    let dir = crate::support::tempdir(name);
    fs::write(
        dir.join("suite.toml"),
        format!(
            "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"download\"\npath = \"/bytes/{size}\"\n{extra}",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        ),
    )
    .expect("write");
    dir
}

/// Waits for `child`, reading its peak resident memory (kB) as it runs.
fn peak_memory(mut child: std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    loop {
        if let Ok(text) = fs::read_to_string(&status_file) {
            let hwm = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok());
            peak_kb = peak_kb.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("waits") {
            assert!(peak_kb > 0, "the peak was never read");
            return (status, peak_kb);
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// `runner serve` as a user starts it: it listens, answers with the TLS session it saw, and
/// stops when killed.
#[test]
fn serve_answers_with_the_session_it_saw() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = runner(&root(), &["serve", "--addr", &addr])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(std::time::Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let outcome = run_suite(&format!("https://localhost:{port}"), &["configs/mtls.toml"]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let answer: serde_json::Value = serde_json::from_str(&outcome.stdout).expect("JSON");
    assert_eq!(
        answer["tls"]["client_certificate"]["issuer"],
        "O=runner demo, CN=runner demo CA"
    );
    assert_eq!(answer["tls"]["alpn"], "h2");
}

/// A failing suite fails the demo, with the suite's own exit code.
#[test]
fn demo_reports_a_failing_suite() {
    let dir = crate::support::tempdir("demo-failing");
    fs::write(
        dir.join("broken.toml"),
        format!(
            "[vars]\nbase_url = \"https://localhost:1\"\n\n[endpoints.api]\nurl = \"{{{{base_url}}}}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"teapot\"\npath = \"/status/418\"\n",
            root().join("configs/certs/ca.crt").display()
        ),
    )
    .expect("write");
    let outcome = run(runner(
        &root(),
        &["demo", "--configs", dir.to_str().expect("UTF-8")],
    ));
    assert_eq!(outcome.code, 1, "{}", outcome.stderr);
    assert!(
        outcome.stderr.ends_with(&format!(
            "error: runner demo: these suites failed: {}\n",
            dir.join("broken.toml").display()
        )),
        "{}",
        outcome.stderr
    );
}

#[test]
fn serve_and_demo_refuse_what_cannot_work() {
    let outcome = run(runner(
        &root(),
        &[
            "serve",
            "--cert",
            "configs/certs/server.crt",
            "--key",
            "configs/certs/server.key",
            "--require-client-cert",
        ],
    ));
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: --require-client-cert needs --client-ca: the CA whose client certificates to accept\n"
    );
    let outcome = run(runner(
        &root(),
        &[
            "serve",
            "--cert",
            "configs/certs/nope.crt",
            "--key",
            "configs/certs/server.key",
            "--addr",
            "127.0.0.1:0",
        ],
    ));
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: cannot read configs/certs/nope.crt: No such file or directory\n"
    );
    let outcome = run(runner(&root(), &["demo", "--configs", "nope"]));
    assert_eq!(outcome.code, 2);
    assert_eq!(
        outcome.stderr,
        "error: nope is not a folder of example suites\n  = help: run `runner demo` from the repository's root, or pass --configs DIR\n"
    );
}

/// A request that takes longer than its `timeout` could not complete: exit 3, said so.
#[test]
fn a_timeout_is_named() {
    let serving = serve_demo();
    let dir = crate::support::tempdir("timeout");
    fs::write(
        dir.join("suite.toml"),
        format!(
            "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"slow\"\npath = \"/delay/3000\"\ntimeout = \"300ms\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        ),
    )
    .expect("write");
    let outcome = run(runner(&dir, &["run", "suite.toml", "-q"]));
    assert_eq!(outcome.code, 3);
    assert_eq!(
        outcome.stderr,
        format!(
            "error: slow: GET {}/delay/3000: the request timed out: no complete answer from localhost:{} within 300ms (timeout)\n  = help: raise the endpoint's or the request's `timeout` (\"none\" for no limit), or check that the server answers\n",
            serving.base_url(),
            serving.server.addr.port()
        )
    );
}
