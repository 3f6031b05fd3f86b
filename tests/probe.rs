//! `runner probe` against `runner serve` (rustls): the whole text output, the JSON shape, a
//! required client certificate with the CA it names, and a starter suite that `runner run`
//! passes against the same server. The nginx side is in `interop.rs`.

use std::fs;

use crate::run::{serve_demo, serve_demo_requiring};
use crate::support::{Test, root};

/// Days left change every day: "(36496 days left)" becomes "(N days left)".
fn without_days(text: &str) -> String {
    regex::Regex::new(r"\(-?\d+ days left\)")
        .expect("a regex")
        .replace_all(text, "(N days left)")
        .into_owned()
}

#[test]
fn probe_tells_what_the_server_wants() {
    let serving = serve_demo();
    let port = serving.server.addr.port().to_string();
    let url = format!("{}/get", serving.base_url());
    let ca = root().join("configs/certs/ca.crt").display().to_string();
    let run = Test::new("probe-text")
        .args(&["probe", &url, "--cert", &ca])
        .replace(&port, "PORT")
        .replace(&ca, "CA")
        .any_stdout()
        .run();
    assert_eq!(
        without_days(&run.stdout),
        "https://localhost:PORT/get
chain (1 presented):
  0: O=runner demo, CN=localhost
     issuer: O=runner demo, CN=runner demo CA
     names: localhost, 127.0.0.1, ::1
     valid: 2026-11-28 05:49:11 UTC to 2126-11-04 05:49:11 UTC (N days left)
     key: ECDSA P-256, serial 6C:07:46:32:26:B5:C7:A0:8D:CC:F1:47:34:58:19:6A:7E:8C:8A:64
     sha256: 78:4E:6E:43:9E:92:4E:60:D1:9B:85:05:96:CA:FD:EB:81:B9:04:6A:A3:57:D5:65:D8:AE:4E:42:B1:A5:62:59
     spki_sha256: U+3FvAxM8me8KhKL6Vna/j7WLA4r2yA9/pxQDnnomWA=
verifies against the trust given (CA): yes
verifies against the system's trust store: yes
protocols:
  TLSv1.2: accepted
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
  TLSv1.3: accepted
    TLS_AES_256_GCM_SHA384
    TLS_AES_128_GCM_SHA256
    TLS_CHACHA20_POLY1305_SHA256
alpn: h2 yes, http/1.1 yes
session resumption: offered
client certificate: asked for, optional
  acceptable CAs:
    - O=runner demo, CN=runner demo CA
ocsp stapling: none
"
    );
    // The JSON follows its committed schema.
    let json = Test::new("probe-json")
        .args(&["probe", &url, "--output", "json"])
        .any_stdout()
        .run();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let schema: serde_json::Value = serde_json::from_str(
        &fs::read_to_string(root().join("schemas/probe.schema.json")).expect("committed"),
    )
    .expect("JSON");
    let validator = jsonschema::validator_for(&schema).expect("a schema");
    assert!(validator.is_valid(&value), "{}", json.stdout);
    assert_eq!(value["status"], 200);
    assert_eq!(
        value["chain"][0]["spki_sha256"],
        "U+3FvAxM8me8KhKL6Vna/j7WLA4r2yA9/pxQDnnomWA="
    );
}

#[test]
fn probe_names_the_cas_of_a_required_client_certificate_and_writes_a_suite_that_runs() {
    let serving = serve_demo_requiring(true);
    let url = format!("{}/get", serving.base_url());
    let ca = root().join("configs/certs/ca.crt").display().to_string();
    let json = Test::new("probe-required")
        .args(&["probe", &url, "--cert", &ca, "--output", "json"])
        .any_stdout()
        .run();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        value["client_auth"],
        serde_json::json!({
            "requested": true,
            "required": true,
            "acceptable_cas": ["O=runner demo, CN=runner demo CA"],
            "signature_schemes": value["client_auth"]["signature_schemes"].clone(),
            "identity": null
        })
    );
    // With the demo identity: its issuer is one the server names, and the starter suite holds
    // the trust, the versions and the status the server gave.
    let client = |name: &str| {
        root()
            .join("configs/certs")
            .join(name)
            .display()
            .to_string()
    };
    let suite = Test::new("probe-suite")
        .args(&[
            "probe",
            &url,
            "--cert",
            &ca,
            "--cert-file",
            &client("client.crt"),
            "--key-file",
            &client("client.key"),
            "--suite",
        ])
        .any_stdout()
        .run();
    assert!(
        suite.stdout.starts_with("#:schema runner.schema.json\n"),
        "{}",
        suite.stdout
    );
    assert!(
        suite.stdout.contains("# The server requires a client certificate issued by: O=runner demo, CN=runner demo CA\nkey = "),
        "{}",
        suite.stdout
    );
    // Filled in with the demo identity, the starter suite passes against the same server.
    let filled = suite
        .stdout
        .replace("\"client.crt\"", &format!("{:?}", client("client.crt")))
        .replace("\"client.key\"", &format!("{:?}", client("client.key")));
    Test::new("probe-suite-runs")
        .file("starter.toml", &filled)
        .args(&["run", "starter.toml", "-q"])
        .any_stdout()
        .run();
}

#[test]
fn probe_of_nothing_is_exit_3_and_of_http_exit_2() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    Test::new("probe-refused")
        .args(&["probe", &format!("https://127.0.0.1:{port}/")])
        .replace(&port.to_string(), "PORT")
        .code(3)
        .stderr_regex(
            r"error: https://127\.0\.0\.1:PORT/: could not connect to 127\.0\.0\.1:PORT: .*\n",
        )
        .run();
    Test::new("probe-http")
        .args(&["probe", "http://localhost/"])
        .code(2)
        .stderr("error: `http://localhost/` is not an https:// URL\n  = help: probe a TLS server: runner probe https://host:port/\n")
        .run();
}

#[test]
fn probe_speaks_as_a_suites_endpoint() {
    let serving = serve_demo();
    let url = format!("{}/get", serving.base_url());
    let suite = root().join("configs/mtls.toml").display().to_string();
    let json = Test::new("probe-endpoint-from")
        .args(&[
            "probe",
            &url,
            "--endpoint-from",
            &format!("{suite}:api"),
            "--output",
            "json",
        ])
        .any_stdout()
        .run();
    let value: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(
        value["client_auth"]["identity"],
        serde_json::json!({
            "subject": "O=runner demo, CN=demo-client",
            "issuer": "O=runner demo, CN=runner demo CA",
            "issuer_accepted": true
        })
    );
    assert_eq!(value["verification"][0]["verified"], true);
    Test::new("probe-endpoint-from-unknown")
        .args(&["probe", &url, "--endpoint-from", &format!("{suite}:nope")])
        .replace(&suite, "SUITE")
        .code(2)
        .stderr("error: SUITE has no endpoint `nope`\n  = help: its endpoints: api\n")
        .run();
}
