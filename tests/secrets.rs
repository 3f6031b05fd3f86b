//! The leak hunt: suites that use every kind of secret run through every channel (logs at each
//! verbosity, JSON logs, `--output json`, JUnit and JSON reports, `check`, failures of each
//! kind) against an echo server, and no secret may show, raw or in any encoding a server or a
//! library may give it back in.

use std::fs;

use base64::Engine as _;

use crate::run::{Serving, serve_demo};
use crate::support::{Test, root};

/// Every form a value may take in echoed text.
fn forms(value: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let json = serde_json::to_string(value).expect("JSON");
    let percent: String = value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let mut forms = vec![
        value.to_owned(),
        json[1..json.len() - 1].to_owned(),
        percent.clone(),
        percent.to_lowercase(),
        percent.replace("%20", "+"),
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        value
            .replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;"),
    ];
    for engine in [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD] {
        forms.push(engine.encode(value));
    }
    forms
}

/// The secrets of the hunt: each with `"`, `\`, `/`, `+`, `=`, a space or non-ASCII.
const HEADER_TOKEN: &str = "tok\"en\\/+= ü-header";
const URL_PASSWORD: &str = "pw+= é\"x";
const PATH_SECRET: &str = "seg+me=nt ü/p";
const QUERY_SECRET: &str = "q/b+c=d \"é\\";
/// The demo keystore's password, given as a [vars] value and used again in a header.
const KEYSTORE_PASSWORD: &str = "changeit";
const BODY_CAPTURE: &str = "cap\"tured/+= ü";
/// Written in the suite's URL (the server answers with it): not in the hunt, checked on its own.
const HEADER_CAPTURE: &str = "hdr-cap+/= x\"y";

fn suite(serving: &Serving) -> String {
    let port = serving.server.addr.port();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let certs = root().join("configs/certs");
    let capture_query: String =
        url::form_urlencoded::byte_serialize(HEADER_CAPTURE.as_bytes()).collect();
    format!(
        r#"[vars]
p12pw = "{KEYSTORE_PASSWORD}"

[endpoints.api]
url = "https://smoke:{{{{env.URL_PASSWORD}}}}@localhost:{port}"
headers = {{ Authorization = "Bearer {{{{env.HEADER_TOKEN}}}}", X-Keystore = "{{{{p12pw}}}}" }}

[endpoints.api.secure_socket]
cert = "{ca}"
key = {{ path = "{p12}", password = "{{{{p12pw}}}}" }}

[[requests]]
name = "echo"
endpoint = "api"
method = "POST"
path = "/anything/{{{{env.PATH_SECRET}}}}"
query = {{ q = "{{{{env.QUERY_SECRET}}}}" }}
json = {{ token = "{{{{env.BODY_CAPTURE}}}}" }}
capture = {{ taken = {{ json = "$.json.token", secret = true }} }}

[[requests]]
name = "header capture"
endpoint = "api"
path = "/response-headers?X-Session={capture_query}"
capture = {{ session = {{ header = "x-session", secret = true }} }}

[[requests]]
name = "uses both"
endpoint = "api"
path = "/anything"
headers = {{ X-Taken = "{{{{taken}}}}", X-Session = "{{{{session}}}}" }}

[requests.expect]
json = {{ "$.headers.Authorization" = "nope", "$.url" = {{ contains = "{{{{session}}}}-x" }} }}
body = {{ contains = "{{{{env.HEADER_TOKEN}}}}-missing" }}

[endpoints.down]
url = "https://smoke:{{{{env.URL_PASSWORD}}}}@127.0.0.1:{closed}"

[[requests]]
name = "refused"
endpoint = "down"
path = "/{{{{env.PATH_SECRET}}}}?q={{{{env.QUERY_SECRET}}}}"
headers = {{ X-Token = "{{{{env.HEADER_TOKEN}}}}" }}

[[requests]]
name = "too slow"
endpoint = "api"
path = "/delay/300?k={{{{env.QUERY_SECRET}}}}"
timeout = "50ms"
"#,
        ca = certs.join("ca.crt").display(),
        p12 = certs.join("client.p12").display(),
    )
}

#[test]
fn no_secret_leaves_in_any_encoding() {
    let serving = serve_demo();
    let text = suite(&serving);
    let secrets = [
        HEADER_TOKEN,
        URL_PASSWORD,
        PATH_SECRET,
        QUERY_SECRET,
        KEYSTORE_PASSWORD,
        BODY_CAPTURE,
    ];
    let channels: [&[&str]; 6] = [
        &[],
        &["-v"],
        &["-vv"],
        &["--log-format", "json", "-v"],
        &["--output", "json"],
        &[
            "--report",
            "junit=out/junit.xml",
            "--report",
            "json=out/run.json",
        ],
    ];
    let mut seen = Vec::new();
    for (index, channel) in channels.iter().enumerate() {
        let test = Test::new(&format!("leak-hunt-{index}"))
            .file("a.toml", &text)
            .args(&["run", "a.toml"])
            .args(channel)
            .env("HEADER_TOKEN", HEADER_TOKEN)
            .env("URL_PASSWORD", URL_PASSWORD)
            .env("PATH_SECRET", PATH_SECRET)
            .env("QUERY_SECRET", QUERY_SECRET)
            .env("BODY_CAPTURE", BODY_CAPTURE)
            .code(3)
            .any_stdout()
            .any_stderr();
        let dir = test.dir().to_owned();
        let run = test.run();
        let mut outputs = vec![
            (format!("{channel:?} stdout"), run.stdout.clone()),
            (format!("{channel:?} stderr"), run.stderr.clone()),
        ];
        for report in ["out/junit.xml", "out/run.json"] {
            if let Ok(text) = fs::read_to_string(dir.join(report)) {
                outputs.push((report.to_owned(), text));
            }
        }
        seen.extend(outputs);
    }
    let check = Test::new("leak-hunt-check")
        .file("a.toml", &text)
        .args(&["check", "a.toml"])
        .env("HEADER_TOKEN", HEADER_TOKEN)
        .env("URL_PASSWORD", URL_PASSWORD)
        .env("PATH_SECRET", PATH_SECRET)
        .env("QUERY_SECRET", QUERY_SECRET)
        .env("BODY_CAPTURE", BODY_CAPTURE)
        .any_stdout()
        .run();
    seen.push(("check".to_owned(), check.stdout));
    // The header captured as a secret is hidden in its own request's headers too.
    let json_lines = &seen
        .iter()
        .find(|(channel, _)| channel.starts_with("[\"--output\", \"json\"] stdout"))
        .expect("the --output json run")
        .1;
    let capturing: serde_json::Value = serde_json::from_str(
        json_lines
            .lines()
            .find(|l| l.contains("\"name\":\"header capture\""))
            .expect("its line"),
    )
    .expect("JSON");
    assert!(
        capturing["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .any(|h| h[0] == "x-session" && h[1] == "***"),
        "{capturing}"
    );
    for (channel, text) in &seen {
        for form in forms(HEADER_CAPTURE) {
            let in_url = format!("X-Session={form}");
            let text = text.replace(&in_url, "X-Session=(as the suite wrote it)");
            assert!(
                !text.contains(&form),
                "the captured header {form:?} in {channel}"
            );
        }
    }
    // The connection failure and the timeout happened, with their URLs shown.
    assert!(
        seen.iter().any(
            |(_, t)| t.contains("refused: GET https://smoke:***@127.0.0.1:")
                && t.contains("/***?q=***: could not connect to 127.0.0.1:")
        ),
        "{:#?}",
        seen.get(1)
    );
    // The echo really came back, and the requests ran.
    assert!(
        seen.iter()
            .any(|(_, text)| text.contains("\"x-taken\": \"***\"")),
        "{:#?}",
        seen.first()
    );
    let mut leaks = Vec::new();
    for secret in secrets {
        let mut all = forms(secret);
        all.push(base64::engine::general_purpose::STANDARD.encode(format!("smoke:{secret}")));
        for form in all.iter().filter(|f| f.chars().count() >= 4) {
            for (channel, text) in &seen {
                if text.contains(form.as_str()) {
                    leaks.push(format!("{secret:?} as {form:?} in {channel}"));
                }
            }
        }
    }
    assert!(leaks.is_empty(), "leaks:\n{}", leaks.join("\n"));
}

#[test]
fn what_weakens_security_is_said_on_every_run() {
    let serving = serve_demo();
    let port = serving.server.addr.port();
    let text = format!(
        "[endpoints.api]\nurl = \"https://127.0.0.1:{port}\"\nheaders = {{ X-Pin = \"{{{{env.PIN}}}}\" }}\n\n[endpoints.api.secure_socket]\ncert = \"{}\"\nverify_hostname = false\n\n[[requests]]\nname = \"get\"\npath = \"/get\"\n",
        root().join("configs/certs/ca.crt").display()
    );
    // Under -q too: a short secret and a weakened check, each named.
    Test::new("weakened-quiet")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-q"])
        .env("PIN", "42")
        .any_stdout()
        .stderr(
            "warning: the secret `{{env.PIN}}` is shorter than 4 characters: runner shows it as *** wherever it places it, but cannot look for it in what a server echoes back without hiding ordinary words
warning: endpoint api: verify_hostname = false: the server's certificate is not checked against the host name; any certificate of a trusted CA is accepted
",
        )
        .run();
    // In JSON logs, as objects that name the file.
    Test::new("weakened-json")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-q", "--log-format", "json"])
        .env("PIN", "42")
        .any_stdout()
        .stderr_regex(
            r#"\{.*"level":"WARN".*"message":"the secret `\{\{env.PIN\}\}` is shorter than 4 characters.*","file":"a.toml"\}
\{.*"level":"WARN".*"message":"endpoint api: verify_hostname = false.*","file":"a.toml"\}
"#,
        )
        .run();
}

#[test]
fn an_unreadable_trust_source_is_named() {
    let dir = crate::support::tempdir("trust-sources-dir");
    fs::copy(root().join("configs/certs/ca.crt"), dir.join("ca.pem")).expect("a copy");
    Test::new("trust-sources")
        .file(
            "a.toml",
            "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\n",
        )
        .args(&["check", "a.toml"])
        .env("SSL_CERT_FILE", "/nonexistent/bundle.pem")
        .env("SSL_CERT_DIR", dir.to_str().expect("UTF-8"))
        .replace(dir.to_str().expect("UTF-8"), "DIR")
        .stdout(
            "a.toml: ok, 1 endpoint, 1 request
  endpoint api: https://localhost:1 (HTTP auto)
    trust: the system's trust store [SSL_CERT_FILE=/nonexistent/bundle.pem: 0, SSL_CERT_DIR=DIR: 1] (1 certificate)
    protocol: TLSv1.2, TLSv1.3
  request \"GET /\": GET api /
  warning: SSL_CERT_FILE=/nonexistent/bundle.pem cannot be read (failed to read PEM from file: No such file or directory (os error 2) at '/nonexistent/bundle.pem'): the system's trust store is what the other sources hold
",
        )
        .run();
}
