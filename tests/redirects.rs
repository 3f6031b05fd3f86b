//! Redirects, followed by runner hop by hop: never down to http:// unless asked, another origin
//! gets nothing of the suite's (headers, credentials, client certificate, `server_name`), the
//! same origin gets everything, and each policy says so.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::hostile::{echo_header, hostile, keep_answering};
use crate::run::{Serving, serve_demo};
use crate::support::{Test, json_values, root};

/// A plain-HTTP server on loopback that answers every connection with a small JSON body, and
/// counts them.
fn plain_http() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(16) {
            seen.fetch_add(1, Ordering::SeqCst);
            let mut stream = stream;
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 14\r\nconnection: close\r\n\r\n{\"plain\":true}",
            );
        }
    });
    (port, count)
}

/// An mTLS endpoint of `serving` with a secret header, the policy, and one request to `path`.
fn suite(serving: &Serving, policy: &str, path: &str) -> String {
    let certs = root().join("configs/certs");
    format!(
        r#"[endpoints.api]
url = "{base}"
headers = {{ X-Secret = "{{{{env.SECRET}}}}", Cookie = "session=abcd1234" }}
follow_redirects = {policy}

[endpoints.api.secure_socket]
cert = "{ca}"
key = {{ cert_file = "{crt}", key_file = "{key}" }}

[[requests]]
name = "hop"
path = "{path}"
headers = {{ Authorization = "Bearer {{{{env.SECRET}}}}" }}
"#,
        base = serving.base_url(),
        ca = certs.join("ca.crt").display(),
        crt = certs.join("client.crt").display(),
        key = certs.join("client.key").display(),
    )
}

fn redirect_to(url: &str) -> String {
    let target: String = url::form_urlencoded::byte_serialize(url.as_bytes()).collect();
    format!("/redirect-to?url={target}")
}

#[test]
fn a_redirect_to_http_is_refused_unless_asked() {
    let serving = serve_demo();
    let (port, connections) = plain_http();
    let target = format!("http://127.0.0.1:{port}/");
    let api = serving.server.addr.port().to_string();
    Test::new("redirect-down")
        .file("a.toml", &suite(&serving, "true", &redirect_to(&target)))
        .args(&["run", "a.toml"])
        .env("SECRET", "s3cret-value")
        .replace(&api, "API")
        .replace(&port.to_string(), "PLAIN")
        .code(3)
        .stderr(
            "error: hop: GET https://localhost:API/redirect-to?url=http%3A%2F%2F127.0.0.1%3APLAIN%2F: the server redirected to http://127.0.0.1:PLAIN/; runner does not downgrade from https:// to http://
  = help: if clear text is really wanted there, set `follow_redirects = { to_http = true }`
1 file, 1 request: 0 passed, 0 failed, 1 could not complete, in N s
",
        )
        .run();
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "nothing went out in clear text"
    );
    // Asked for: followed, said out loud, and the log line shows no TLS for the plain hop.
    let run = Test::new("redirect-down-asked")
        .file(
            "a.toml",
            &suite(&serving, "{ to_http = true }", &redirect_to(&target)),
        )
        .args(&["run", "a.toml"])
        .env("SECRET", "s3cret-value")
        .replace(&port.to_string(), "PLAIN")
        .stdout("{\n  \"plain\": true\n}\n")
        .stderr(
            "warning: endpoint api: follow_redirects.to_http = true: a redirect to http:// is followed, and the request goes out in clear text
hop: GET http://127.0.0.1:PLAIN/ -> 200 OK in N ms
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
",
        )
        .run();
    assert_eq!(run.code, 0);
    assert_eq!(connections.load(Ordering::SeqCst), 1);
}

/// What the last server saw, from its echo.
fn echoed(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("an echo")
}

#[test]
fn another_origin_gets_nothing_of_the_suites_and_the_same_origin_everything() {
    let serving = serve_demo();
    let other = serve_demo();
    let elsewhere = format!("{}/anything", other.base_url());
    // Another origin (another port): no suite headers, no credentials, no client certificate.
    let run = Test::new("redirect-strip")
        .file("a.toml", &suite(&serving, "true", &redirect_to(&elsewhere)))
        .args(&["run", "a.toml", "-v"])
        .env("SECRET", "s3cret-value")
        .replace(&serving.server.addr.port().to_string(), "API")
        .replace(&other.server.addr.port().to_string(), "OTHER")
        .any_stdout()
        .stderr_regex(
            r"hop: GET https://localhost:OTHER/anything -> 200 OK in N ms, TLSv1.3, no client certificate
.*  redirect 302 -> https://localhost:OTHER/anything \(another origin: without the suite's headers and client certificate\)
.*1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
",
        )
        .run();
    let echo = echoed(&run.stdout);
    let headers = echo["headers"].as_object().expect("headers");
    for name in ["x-secret", "authorization", "cookie", "referer"] {
        assert!(
            !headers.contains_key(name),
            "{name} went to another origin: {echo}"
        );
    }
    assert_eq!(
        echo["tls"]["client_certificate"],
        serde_json::Value::Null,
        "{echo}"
    );
    assert_eq!(other.server.records().len(), 1);
    // The same origin: everything, as on the first hop.
    let run = Test::new("redirect-same")
        .file(
            "a.toml",
            &suite(&serving, "true", &redirect_to("/anything")),
        )
        .args(&["run", "a.toml"])
        .env("SECRET", "s3cret-value")
        .any_stdout()
        .any_stderr()
        .run();
    let echo = echoed(&run.stdout);
    assert_eq!(echo["headers"]["x-secret"], "***", "{echo}");
    assert_eq!(echo["headers"]["authorization"], "Bearer ***", "{echo}");
    assert_eq!(echo["headers"]["cookie"], "session=abcd1234", "{echo}");
    assert_eq!(
        echo["tls"]["client_certificate"]["subject"],
        "O=runner demo, CN=demo-client"
    );
}

#[test]
fn other_origins_keep_and_refuse_do_as_they_say() {
    let serving = serve_demo();
    let other = serve_demo();
    let elsewhere = format!("{}/anything", other.base_url());
    let run = Test::new("redirect-keep")
        .file(
            "a.toml",
            &suite(&serving, "{ other_origins = \"keep\" }", &redirect_to(&elsewhere)),
        )
        .args(&["run", "a.toml", "-q"])
        .env("SECRET", "s3cret-value")
        .any_stdout()
        .stderr("warning: endpoint api: follow_redirects.other_origins = \"keep\": a redirect to another host gets the suite's headers, credentials and client certificate\n")
        .run();
    let echo = echoed(&run.stdout);
    assert_eq!(echo["headers"]["x-secret"], "***", "{echo}");
    assert_eq!(
        echo["tls"]["client_certificate"]["subject"],
        "O=runner demo, CN=demo-client"
    );
    Test::new("redirect-refuse")
        .file(
            "a.toml",
            &suite(&serving, "{ other_origins = \"refuse\" }", &redirect_to(&elsewhere)),
        )
        .args(&["run", "a.toml", "-q"])
        .env("SECRET", "s3cret-value")
        .replace(&serving.server.addr.port().to_string(), "API")
        .replace(&other.server.addr.port().to_string(), "OTHER")
        .code(3)
        .stderr_regex(
            r#"error: hop: GET https://localhost:API/redirect-to\?url=.*: the server redirected to another origin, https://localhost:OTHER/anything, and `other_origins = "refuse"`
  = help: set `other_origins = "strip"` to follow it without the suite's headers and identity
"#,
        )
        .run();
    assert_eq!(
        other.server.records().len(),
        1,
        "only the keep run reached it"
    );
}

#[test]
fn a_host_from_the_environment_is_hidden() {
    let serving = serve_demo();
    let port = serving.server.addr.port();
    Test::new("secret-host")
        .file(
            "a.toml",
            &format!(
                "[endpoints.api]\nurl = \"https://{{{{env.HOST}}}}:{port}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"get\"\npath = \"/status/204\"\n",
                root().join("configs/certs/ca.crt").display()
            ),
        )
        .args(&["run", "a.toml"])
        .env("HOST", "localhost")
        .replace(&port.to_string(), "PORT")
        .any_stdout()
        .stderr(
            "get: GET https://***:PORT/status/204 -> 204 No Content in N ms, TLSv1.3, no client certificate
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
",
        )
        .run();
}

/// What a plain-HTTP server answers on each kept-open connection: `/login` answers 302 to `/me`
/// and sets the cookie `hop=1` (and one that is not text); any other path answers with the Cookie header it was sent.
fn answer_cookies(stream: std::net::TcpStream) {
    keep_answering(stream, |head| {
        // A Set-Cookie that is not text is left out; the one beside it is kept.
        if head.starts_with("GET /login ") {
            b"HTTP/1.1 302 Found\r\nlocation: /me\r\nset-cookie: bad=\xff\r\nset-cookie: hop=1; Path=/\r\ncontent-length: 0\r\n\r\n".to_vec()
        } else {
            echo_header(head, "cookie")
        }
    });
}

#[test]
fn a_cookie_set_by_a_redirect_goes_with_the_next_hop_and_stays() {
    let port = hostile(answer_cookies);
    let run = Test::new("redirect-cookie")
        .file(
            "a.toml",
            &format!(
                "[endpoints.api]\nurl = \"http://127.0.0.1:{port}\"\nfollow_redirects = true\n\n[endpoints.fixed]\nurl = \"http://127.0.0.1:{port}\"\nheaders = {{ Cookie = \"fixed=1\" }}\n\n[[requests]]\nname = \"login\"\nendpoint = \"api\"\npath = \"/login\"\n\n[[requests]]\nname = \"again\"\nendpoint = \"api\"\npath = \"/again\"\n\n[[requests]]\nname = \"own\"\nendpoint = \"fixed\"\npath = \"/own\"\n"
            ),
        )
        .args(&["run", "a.toml", "-q"])
        .any_stdout()
        .run();
    // The 302's Set-Cookie went back on the hop it sent runner to, and on the next request; an
    // endpoint whose headers name a Cookie sends that one, not the jar's.
    let answers = json_values(&run.stdout);
    let hop = serde_json::json!({ "cookie": "hop=1" });
    let fixed = serde_json::json!({ "cookie": "fixed=1" });
    assert_eq!(answers, [hop.clone(), hop, fixed], "{}", run.stdout);
}
