//! What pipelines expect of an HTTP runner: `connect_to` and `--connect-to` (the connection goes
//! to another address while the TLS name, SNI, the Host header and every reported URL stay the
//! endpoint's, as curl's `--connect-to`), and a misspelt `--var` stopped before anything is
//! sent.

use std::net::{TcpListener, TcpStream};

use crate::hostile::{echo_header, hostile, keep_answering};
use crate::run::serve_demo;
use crate::support::{Test, json_values, root};

fn suite(extra: &str) -> String {
    format!(
        "[endpoints.api]\nurl = \"https://localhost:1\"\n{extra}secure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"by address\"\npath = \"/get\"\n",
        root().join("configs/certs/ca.crt").display()
    )
}

#[test]
fn a_deployment_is_tested_by_address_under_its_real_name() {
    let serving = serve_demo();
    let port = serving.server.addr.port();
    for (name, extra, args) in [
        (
            "connect-to-key",
            format!("connect_to = \"127.0.0.1:{port}\"\n"),
            vec![],
        ),
        (
            "connect-to-flag",
            String::new(),
            vec![
                "--connect-to".to_owned(),
                format!("localhost:1:127.0.0.1:{port}"),
            ],
        ),
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = Test::new(name)
            .file("a.toml", &suite(&extra))
            .args(&["run", "a.toml"])
            .args(&args)
            .any_stdout()
            .stderr(
                "by address: GET https://localhost:1/get -> 200 OK in N ms, TLSv1.3, no client certificate
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
",
            )
            .run();
        let echo: serde_json::Value = serde_json::from_str(&run.stdout).expect("an echo");
        assert_eq!(echo["headers"]["host"], "localhost:1", "{name}: {echo}");
    }
}

#[test]
fn a_bad_connect_to_is_named() {
    Test::new("connect-to-bad")
        .file("a.toml", &suite("connect_to = \"10.0.0.5\"\n"))
        .args(&["check", "a.toml"])
        .code(2)
        .stderr(
            "error: `10.0.0.5` is not HOST:PORT
 --> a.toml:3:14
  |
3 | connect_to = \"10.0.0.5\"
  |              ^^^^^^^^^^
  |
  = help: write for example \"10.0.0.5:8443\", or \"[::1]:8443\" for IPv6
",
        )
        .run();
    Test::new("connect-to-flag-bad")
        .file("a.toml", &suite(""))
        .args(&["run", "a.toml", "--connect-to", "localhost:1"])
        .code(2)
        .stderr("error: invalid value 'localhost:1' for '--connect-to <HOST:PORT:ADDR:PORT>': `localhost:1` is not HOST:PORT:ADDR:PORT; write for example --connect-to api.example.com:443:10.0.0.5:8443\n\nFor more information, try '--help'.\n")
        .run();
}

#[test]
fn a_misspelt_var_stops_the_run_before_anything_is_sent() {
    let serving = serve_demo();
    let text = format!(
        "[vars]\nbase_url = \"{}\"\n\n[endpoints.api]\nurl = \"{{{{base_url}}}}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\npath = \"/get\"\n",
        serving.base_url(),
        root().join("configs/certs/ca.crt").display()
    );
    Test::new("var-typo")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "--var", "bsae_url=https://staging.example.com"])
        .code(2)
        .stderr("error: --var bsae_url: no suite uses this variable\n  = help: did you mean `base_url`?\n")
        .run();
    assert_eq!(serving.server.records().len(), 0);
    // Spelt right, it is taken.
    Test::new("var-right")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-q", "--var"])
        .args(&[&format!("base_url={}", serving.base_url())])
        .any_stdout()
        .run();
}

const TINY: &str = "[endpoints.api]\nurl = \"https://localhost:1\"\n\n[[requests]]\npath = \"/\"\n";

/// The suite files `check` loaded, in order.
fn checked(run: &crate::support::Run) -> Vec<String> {
    run.stdout
        .lines()
        .filter_map(|l| l.strip_suffix(": ok, 1 endpoint, 1 request"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn directories_are_walked_and_globs_matched_in_a_stable_order() {
    let tree = || {
        Test::new("discover")
            .file("suites/b.toml", TINY)
            .file("suites/a.toml", TINY)
            .file("suites/sub/c.toml", TINY)
            .file("suites/sub/deeper/d.toml", TINY)
            .file("suites/skipped/e.toml", TINY)
            .file("suites/.hidden/f.toml", TINY)
            .file("suites/notes.txt", "not a suite")
            .file("suites/.runnerignore", "# drafts\nskipped\n")
    };
    let run = tree().args(&["check", "suites"]).any_stdout().run();
    assert_eq!(
        checked(&run),
        [
            "suites/a.toml",
            "suites/b.toml",
            "suites/sub/c.toml",
            "suites/sub/deeper/d.toml"
        ]
    );
    let run = tree()
        .args(&["check", "suites/**/c*.toml", "suites/a.toml"])
        .any_stdout()
        .run();
    assert_eq!(checked(&run), ["suites/sub/c.toml", "suites/a.toml"]);
    let run = tree()
        .args(&["check", "suites", "--exclude", "**/sub/**"])
        .any_stdout()
        .run();
    assert_eq!(checked(&run), ["suites/a.toml", "suites/b.toml"]);
    tree()
        .args(&["check", "nothing/*.toml"])
        .code(2)
        .stderr("error: nothing/*.toml holds no *.toml suite file\n  = help: give suite files, or a directory that holds some\n")
        .run();
}

#[test]
fn a_suite_comes_on_standard_input_as_dash() {
    use std::io::Write;
    let test = Test::new("stdin-suite").args(&["check", "-"]);
    let mut child = test
        .command()
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runner starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(TINY.as_bytes())
        .expect("written");
    let output = child.wait_with_output().expect("ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        String::from_utf8_lossy(&output.stdout).starts_with("-: ok, 1 endpoint, 1 request\n"),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn cookies_are_kept_per_file_captured_and_checked() {
    let serving = serve_demo();
    let suite = |cookies: &str| {
        format!(
            "[endpoints.api]\nurl = \"{}\"\n{cookies}secure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"login\"\npath = \"/cookies/set?session=s3cr3t-cookie\"\noutput = \"none\"\ncapture = {{ session = {{ cookie = \"session\", secret = true }} }}\nexpect = {{ cookies = {{ session = {{ exists = true }} }} }}\n\n[[requests]]\nname = \"me\"\npath = \"/cookies\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        )
    };
    let run = Test::new("cookies")
        .file("a.toml", &suite(""))
        .args(&["run", "a.toml", "-v"])
        .any_stdout()
        .any_stderr()
        .run();
    let echo: serde_json::Value = serde_json::from_str(&run.stdout).expect("an echo");
    // The jar sent the cookie back; being a secret capture, it shows as *** everywhere.
    assert_eq!(echo["cookies"]["session"], "***", "{echo}");
    assert!(
        run.stderr.contains("  > cookie: session=***"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("  < set-cookie: session=***; Path=/"),
        "{}",
        run.stderr
    );
    // Only the URL the suite wrote holds it.
    let logs = run.stderr.replace("/cookies/set?session=s3cr3t-cookie", "");
    assert!(
        !logs.contains("s3cr3t-cookie") && !run.stdout.contains("s3cr3t-cookie"),
        "{logs}"
    );
    // cookies = false: nothing is kept.
    let run = Test::new("cookies-off")
        .file("a.toml", &suite("cookies = false\n"))
        .args(&["run", "a.toml", "-q"])
        .any_stdout()
        .run();
    let echo: serde_json::Value = serde_json::from_str(&run.stdout).expect("an echo");
    assert_eq!(echo["cookies"], serde_json::json!({}), "{echo}");
}

#[test]
fn multipart_uploads_stream_files_checked_at_load() {
    let serving = serve_demo();
    let suite = |file: &str| {
        format!(
            "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"upload\"\nmethod = \"POST\"\npath = \"/anything\"\nmultipart = {{ title = \"report {{{{who}}}}\", upload = {{ file = \"{file}\", content_type = \"text/csv\", filename = \"q3.csv\" }} }}\n\n[vars]\nwho = \"ops\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        )
    };
    let run = Test::new("multipart")
        .file("a.toml", &suite("data.csv"))
        .file("data.csv", "id,total\n1,42\n")
        .args(&["run", "a.toml", "-q"])
        .any_stdout()
        .run();
    let echo: serde_json::Value = serde_json::from_str(&run.stdout).expect("an echo");
    let content_type = echo["headers"]["content-type"].as_str().unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{echo}"
    );
    let data = echo["data"].as_str().unwrap_or_default();
    for part in [
        "Content-Disposition: form-data; name=\"title\"\r\n\r\nreport ops\r\n",
        "Content-Disposition: form-data; name=\"upload\"; filename=\"q3.csv\"\r\nContent-Type: text/csv\r\n\r\nid,total\n1,42\n\r\n",
    ] {
        assert!(data.contains(part), "{part:?} in {data:?}");
    }
    Test::new("multipart-missing")
        .file("a.toml", &suite("nowhere.csv"))
        .args(&["run", "a.toml"])
        .code(2)
        .stderr_regex(r"error: nowhere.csv is not a file\n --> a.toml:9:.*")
        .run();
    assert_eq!(
        serving.server.records().len(),
        1,
        "the refused run sent nothing"
    );
}

#[test]
fn compressed_answers_are_decoded_before_anything_reads_them() {
    let serving = serve_demo();
    let requests: String = ["gzip", "deflate", "brotli", "zstd"]
        .iter()
        .map(|route| {
            format!(
                "[[requests]]\nname = \"{route}\"\npath = \"/{route}\"\noutput = \"none\"\nexpect = {{ json = {{ \"$.method\" = \"GET\", \"$.headers['accept-encoding']\" = {{ contains = \"zstd\" }} }} }}\n\n"
            )
        })
        .collect();
    let text = format!(
        "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n{requests}",
        serving.base_url(),
        root().join("configs/certs/ca.crt").display()
    );
    Test::new("compressed")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-q"])
        .run();
    // compressed = false: nothing is asked for.
    let run = Test::new("uncompressed")
        .file(
            "a.toml",
            &format!(
                "[endpoints.api]\nurl = \"{}\"\ncompressed = false\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\npath = \"/anything\"\n",
                serving.base_url(),
                root().join("configs/certs/ca.crt").display()
            ),
        )
        .args(&["run", "a.toml", "-q"])
        .any_stdout()
        .run();
    let echo: serde_json::Value = serde_json::from_str(&run.stdout).expect("an echo");
    assert_eq!(
        echo["headers"]["accept-encoding"],
        serde_json::Value::Null,
        "{echo}"
    );
}

#[test]
fn verbosity_shows_what_was_sent_and_received_under_each_request() {
    let serving = serve_demo();
    let text = format!(
        "[endpoints.api]\nurl = \"{}\"\nheaders = {{ X-Token = \"{{{{env.TOK}}}}\" }}\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"post\"\nmethod = \"POST\"\npath = \"/anything\"\njson = {{ a = \"{{{{env.TOK}}}}\" }}\noutput = \"none\"\n",
        serving.base_url(),
        root().join("configs/certs/ca.crt").display()
    );
    let headline = "post: POST https://localhost:PORT/anything -> 200 OK in N ms, TLSv1.3, no client certificate
  > POST https://localhost:PORT/anything
  > accept: \\*/\\*
  > accept-encoding: zstd,gzip,deflate,br
  > content-length: 16
  > content-type: application/json
  > user-agent: runner/0.1.0
  > x-token: \\*\\*\\*
";
    let port = serving.server.addr.port().to_string();
    Test::new("verbose-1")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-v"])
        .env("TOK", "abcd1234")
        .replace(&port, "PORT")
        .stderr_regex(&format!(
            "{headline}  < 200 OK
  < content-type: application/json
  < date: .*
  < content-length: \\d+
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
"
        ))
        .run();
    Test::new("verbose-2")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-vv"])
        .env("TOK", "abcd1234")
        .replace(&port, "PORT")
        .stderr_regex(&format!(
            "{headline}  > \\(body\\) \\{{\"a\":\"\\*\\*\\*\"\\}}
  < 200 OK
.*  server certificate: O=runner demo, CN=localhost, issued by O=runner demo, CN=runner demo CA, valid until .*
  TLS: TLSv1.3, ALPN h2, no client certificate
  < \\(body\\) \\[\\d+ bytes\\]
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
"
        ))
        .run();
    let run = Test::new("verbose-3")
        .file("a.toml", &text)
        .args(&["run", "a.toml", "-vvv"])
        .env("TOK", "abcd1234")
        .any_stderr()
        .run();
    assert!(
        run.stderr.contains("\nconnected to 127.0.0.1:"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("abcd1234"), "{}", run.stderr);
}

/// A forward proxy on loopback: it opens CONNECT tunnels (or refuses them with 403), counting
/// the tunnels it opened. With `tls`, it is an https:// proxy: runner speaks TLS to it, and the
/// server's own TLS inside the tunnel.
fn connect_proxy(
    refuse: bool,
    tls: Option<std::sync::Arc<rustls::ServerConfig>>,
) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read, Write};
    use std::sync::atomic::Ordering;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    let tunnels = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = std::sync::Arc::clone(&tunnels);
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten().take(16) {
            let counted = std::sync::Arc::clone(&counted);
            let tls = tls.clone();
            std::thread::spawn(move || {
                // Each side is read in turn, a short wait each: one thread relays both ways,
                // which a TLS stream (not clonable) needs.
                let wait = Some(std::time::Duration::from_millis(5));
                let _ = tcp.set_read_timeout(wait);
                let mut client: Box<dyn ReadWrite> = match tls {
                    Some(config) => Box::new(rustls::StreamOwned::new(
                        rustls::ServerConnection::new(config).expect("a TLS server"),
                        tcp,
                    )),
                    None => Box::new(tcp),
                };
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                let started = std::time::Instant::now();
                while !head.ends_with(b"\r\n\r\n") && started.elapsed().as_secs() < 10 {
                    match client.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        Ok(_) => return,
                        Err(e) if is_wait(&e) => {}
                        Err(_) => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .unwrap_or_default()
                    .to_owned();
                if refuse || target.is_empty() {
                    let _ =
                        client.write_all(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
                    return;
                }
                let Ok(mut server) =
                    std::net::TcpStream::connect(target.replace("localhost", "127.0.0.1"))
                else {
                    let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n");
                    return;
                };
                let _ = server.set_read_timeout(wait);
                counted.fetch_add(1, Ordering::SeqCst);
                let _ = client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                let _ = client.flush();
                let mut buffer = vec![0u8; 16 * 1024];
                loop {
                    match client.read(&mut buffer) {
                        Ok(0) => return,
                        Ok(n) if server.write_all(&buffer[..n]).is_err() => return,
                        Err(e) if !is_wait(&e) => return,
                        _ => {}
                    }
                    match server.read(&mut buffer) {
                        Ok(0) => return,
                        Ok(n)
                            if client
                                .write_all(&buffer[..n])
                                .and_then(|()| client.flush())
                                .is_err() =>
                        {
                            return;
                        }
                        Err(e) if !is_wait(&e) => return,
                        _ => {}
                    }
                }
            });
        }
    });
    (port, tunnels)
}

/// A stream the proxy relays: plain TCP or TLS over it.
trait ReadWrite: std::io::Read + std::io::Write + Send {}
impl<T: std::io::Read + std::io::Write + Send> ReadWrite for T {}

/// A read that only waited out its timeout.
fn is_wait(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The https:// proxy's TLS: its certificate is issued by the test PKI's unrelated CA.
fn proxy_tls() -> std::sync::Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let dir = crate::pki::dir();
    let chain = CertificateDer::pem_file_iter(dir.join("proxy.crt"))
        .expect("proxy.crt")
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM");
    let key = PrivateKeyDer::from_pem_file(dir.join("proxy.key")).expect("proxy.key");
    let config = rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .expect("a certificate and its key");
    std::sync::Arc::new(config)
}

/// A proxy case: name, endpoint setting, environment, the logs, and the tunnels opened so far.
type ProxyCase<'a> = (&'a str, String, &'a [(&'a str, String)], &'a str, usize);

#[test]
fn requests_go_through_a_proxy_that_is_named() {
    use std::sync::atomic::Ordering;
    let serving = serve_demo();
    let (proxy, tunnels) = connect_proxy(false, None);
    let suite = |setting: &str| {
        format!(
            "[endpoints.api]\nurl = \"{}\"\n{setting}secure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"via\"\npath = \"/get\"\noutput = \"none\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        )
    };
    let port = serving.server.addr.port().to_string();
    let through = "via: GET https://localhost:PORT/get -> 200 OK in N ms via proxy 127.0.0.1:PROXY, TLSv1.3, no client certificate
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
";
    let direct =
        "via: GET https://localhost:PORT/get -> 200 OK in N ms, TLSv1.3, no client certificate
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
";
    let cases: [ProxyCase<'_>; 4] = [
        (
            "proxy-key",
            format!("proxy = {{ url = \"http://127.0.0.1:{proxy}\" }}\n"),
            &[],
            through,
            1,
        ),
        (
            "proxy-env",
            String::new(),
            &[("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))],
            through,
            2,
        ),
        (
            "proxy-env-no-proxy",
            String::new(),
            &[
                ("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}")),
                ("NO_PROXY", "example.com,localhost".to_owned()),
            ],
            direct,
            2,
        ),
        (
            "proxy-none",
            "proxy = \"none\"\n".to_owned(),
            &[("HTTPS_PROXY", format!("http://127.0.0.1:{proxy}"))],
            direct,
            2,
        ),
    ];
    for (name, setting, env, logs, opened) in cases {
        let mut test = Test::new(name)
            .file("a.toml", &suite(&setting))
            .args(&["run", "a.toml"])
            .replace(&port, "PORT")
            .replace(&proxy.to_string(), "PROXY")
            .stderr(logs);
        for (key, value) in env {
            test = test.env(key, value);
        }
        test.run();
        assert_eq!(tunnels.load(Ordering::SeqCst), opened, "{name}");
    }
    // A proxy that refuses is named as the proxy, not the target.
    let (refusing, _) = connect_proxy(true, None);
    Test::new("proxy-refuses")
        .file("a.toml", &suite(&format!("proxy = {{ url = \"http://127.0.0.1:{refusing}\" }}\n")))
        .args(&["run", "a.toml"])
        .replace(&port, "PORT")
        .replace(&refusing.to_string(), "PROXY")
        .code(3)
        .stderr_regex(
            r#"error: via: GET https://localhost:PORT/get: could not reach localhost:PORT through the proxy 127.0.0.1:PROXY: .*
  = help: check the proxy: `proxy.url` in the suite, or HTTPS_PROXY / HTTP_PROXY in the environment; `proxy = "none"` goes direct
1 file, 1 request: 0 passed, 0 failed, 1 could not complete, in N s
"#,
        )
        .run();
}

#[test]
fn an_https_proxy_is_verified_against_its_own_trust() {
    use std::sync::atomic::Ordering;
    let serving = serve_demo();
    let (proxy, tunnels) = connect_proxy(false, Some(proxy_tls()));
    let server_ca = root().join("configs/certs/ca.crt");
    let proxy_ca = crate::pki::dir().join("other-ca.crt");
    let suite = |setting: &str| {
        format!(
            "[endpoints.api]\nurl = \"{}\"\n{setting}secure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"via\"\npath = \"/get\"\noutput = \"none\"\n",
            serving.base_url(),
            server_ca.display()
        )
    };
    let port = serving.server.addr.port().to_string();
    // `proxy.cert` trusts the proxy; `secure_socket` the server, through the tunnel.
    Test::new("https-proxy")
        .file(
            "a.toml",
            &suite(&format!(
                "proxy = {{ url = \"https://127.0.0.1:{proxy}\", cert = \"{}\" }}\n",
                proxy_ca.display()
            )),
        )
        .args(&["run", "a.toml"])
        .replace(&port, "PORT")
        .replace(&proxy.to_string(), "PROXY")
        .stderr(
            "via: GET https://localhost:PORT/get -> 200 OK in N ms via proxy 127.0.0.1:PROXY, TLSv1.3, no client certificate
1 file, 1 request: 1 passed, 0 failed, 0 could not complete, in N s
",
        )
        .run();
    assert_eq!(tunnels.load(Ordering::SeqCst), 1);
    // `check` says which proxy, and whom its certificate must chain to.
    Test::new("https-proxy-check")
        .file(
            "a.toml",
            &suite(&format!(
                "proxy = {{ url = \"https://127.0.0.1:{proxy}\", cert = \"{}\" }}\n",
                proxy_ca.display()
            )),
        )
        .args(&["check", "a.toml"])
        .replace(&proxy.to_string(), "PROXY")
        .replace(&proxy_ca.display().to_string(), "PROXY-CA")
        .stdout_regex(
            ".*\n    proxy: https://127.0.0.1:PROXY, its certificate checked against PROXY-CA\n.*",
        )
        .run();
    // Without it, the system's trust is the proxy's: here it holds only the server's CA.
    let proxy_leaf = crate::support::cert_info(&crate::pki::dir().join("proxy.crt"));
    Test::new("https-proxy-untrusted")
        .file(
            "a.toml",
            &suite(&format!("proxy = {{ url = \"https://127.0.0.1:{proxy}\" }}\n")),
        )
        .args(&["run", "a.toml"])
        .env("SSL_CERT_FILE", &server_ca.display().to_string())
        .replace(&port, "PORT")
        .replace(&proxy.to_string(), "PROXY")
        .code(3)
        .stderr(&format!(
            "error: via: GET https://localhost:PORT/get: the proxy 127.0.0.1:PROXY presented a certificate that is not trusted: nothing trusted issued it
  the proxy presented: {} (issued by {}, valid until {})
  trusted for the proxy: the system's trust store
  = help: set `proxy.cert` to the CA certificate that issued the proxy's certificate (the endpoint's `secure_socket` is for the server)
1 file, 1 request: 0 passed, 0 failed, 1 could not complete, in N s
",
            proxy_leaf.subject,
            proxy_leaf.issuer,
            runner::tls::inspect::format_time(proxy_leaf.not_after)
        ))
        .run();
    assert_eq!(
        tunnels.load(Ordering::SeqCst),
        1,
        "no tunnel through an untrusted proxy"
    );
    // `cert` belongs to https:// proxies, and the two handshakes are told apart by name.
    Test::new("proxy-cert-plain")
        .file(
            "a.toml",
            "[endpoints.api]\nurl = \"https://localhost:1\"\nproxy = { url = \"http://127.0.0.1:3128\", cert = \"ca.pem\" }\n\n[[requests]]\npath = \"/\"\n",
        )
        .args(&["check", "a.toml"])
        .code(2)
        .stderr(
            r#"error: `cert` is for an https:// proxy; this one is http://
 --> a.toml:3:9
  |
3 | proxy = { url = "http://127.0.0.1:3128", cert = "ca.pem" }
  |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: remove `cert`, or write the proxy's URL with https:// if it speaks TLS
"#,
        )
        .run();
    Test::new("proxy-same-name")
        .file(
            "a.toml",
            "[endpoints.api]\nurl = \"https://localhost:1\"\nproxy = { url = \"https://LOCALHOST:3128\" }\n\n[[requests]]\npath = \"/\"\n",
        )
        .args(&["check", "a.toml"])
        .code(2)
        .stderr(
            r#"error: the https:// proxy and the endpoint have the same host name `localhost`: runner tells their certificates apart by name
 --> a.toml:3:9
  |
3 | proxy = { url = "https://LOCALHOST:3128" }
  |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: reach one of them by another of its names (for example `localhost` and `127.0.0.1`)
"#,
        )
        .run();
}

#[test]
fn completions_and_the_man_page_come_from_the_command_line() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = Test::new(&format!("completions-{shell}"))
            .args(&["completions", shell])
            .any_stdout()
            .run();
        assert!(run.stdout.contains("runner"), "{shell}: {}", run.stdout);
        assert!(
            run.stdout.contains("--connect-to"),
            "{shell} knows the options"
        );
    }
    // bash takes the script: `runner` gets its completion function.
    let registered = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source <({} completions bash) && complete -p runner",
            env!("CARGO_BIN_EXE_runner")
        ))
        .output()
        .expect("bash runs");
    assert!(
        String::from_utf8_lossy(&registered.stdout).contains("-F _runner"),
        "{}",
        String::from_utf8_lossy(&registered.stderr)
    );
    let man = Test::new("man").args(&["man"]).any_stdout().run();
    assert!(
        man.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &man.stdout[..80]
    );
    for part in [".TH runner 1", "completions", "check"] {
        assert!(man.stdout.contains(part), "{part}");
    }
}

#[test]
fn an_empty_suite_is_an_error_unless_allowed() {
    let empty = "[endpoints.api]\nurl = \"https://localhost:1\"\n";
    Test::new("empty-suite")
        .file("a.toml", empty)
        .args(&["run", "a.toml"])
        .code(2)
        .stderr("error: this suite holds no request: it would pass without testing anything\n --> a.toml\n  = help: add a [[requests]] table, or pass --allow-empty\n")
        .run();
    Test::new("empty-suite-allowed")
        .file("a.toml", empty)
        .args(&["run", "a.toml", "--allow-empty"])
        .stderr("1 file, 0 requests: 0 passed, 0 failed, 0 could not complete, in N s\n")
        .run();
}

#[test]
fn decode_false_keeps_a_compressed_answer_as_it_came() {
    let serving = serve_demo();
    let test = Test::new("decode-false").file(
        "a.toml",
        &format!(
            "[endpoints.api]\nurl = \"{}\"\nsecure_socket = {{ cert = \"{}\" }}\n\n[[requests]]\nname = \"as sent\"\npath = \"/gzip\"\noutput = \"raw.gz\"\ndecode = false\n\n[[requests]]\nname = \"decoded\"\npath = \"/gzip\"\noutput = \"plain.json\"\n",
            serving.base_url(),
            root().join("configs/certs/ca.crt").display()
        ),
    );
    let dir = test.dir().to_owned();
    test.args(&["run", "a.toml", "-q"]).run();
    let raw = std::fs::read(dir.join("raw.gz")).expect("written");
    assert_eq!(raw.get(..2), Some(&[0x1f, 0x8b][..]), "gzip magic");
    let plain: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("plain.json")).expect("written"))
            .expect("decoded JSON");
    assert_eq!(plain["method"], "GET");
}

#[test]
fn check_deny_warnings_makes_a_warning_fail_a_lint_step() {
    let suite = "[endpoints.api]\nurl = \"https://localhost:1\"\nsecure_socket = { cert = \"ca.crt\", verify_hostname = false }\n\n[[requests]]\npath = \"/\"\n";
    let ca = std::fs::read_to_string(root().join("configs/certs/ca.crt")).expect("the demo CA");
    Test::new("deny-warnings-off")
        .file("a.toml", suite)
        .file("ca.crt", &ca)
        .args(&["check", "a.toml"])
        .any_stdout()
        .run();
    let run = Test::new("deny-warnings")
        .file("a.toml", suite)
        .file("ca.crt", &ca)
        .args(&["check", "a.toml", "--deny-warnings"])
        .code(1)
        .any_stdout()
        .stderr("error: there are warnings, and --deny-warnings makes them fail\n  = help: fix what the warnings say, or drop --deny-warnings\n")
        .run();
    assert!(
        run.stdout.contains("    warning: verify_hostname = false"),
        "{}",
        run.stdout
    );
}

#[test]
fn colour_is_for_terminals_and_honours_no_color() {
    let bad =
        "[endpoints.api]\nurl = \"https://localhost:1\"\ncertt = 1\n\n[[requests]]\npath = \"/\"\n";
    let red = "\u{1b}[1;31merror:\u{1b}[0m";
    let painted = |args: &[&str], env: &[(&str, &str)], remove_no_color: bool| {
        let test = Test::new("colour")
            .file("a.toml", bad)
            .args(&["check", "a.toml"])
            .args(args);
        let mut command = test.command();
        for (key, value) in env {
            command.env(key, value);
        }
        if remove_no_color {
            command.env_remove("NO_COLOR");
        }
        let output = command.output().expect("runner runs");
        String::from_utf8_lossy(&output.stderr).contains(red)
    };
    assert!(
        painted(&["--color", "always"], &[], false),
        "--color always paints"
    );
    assert!(!painted(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")],
        true
    ));
    assert!(!painted(&[], &[], true), "a pipe is not a terminal");
    assert!(
        painted(&[], &[("CLICOLOR_FORCE", "1")], true),
        "CLICOLOR_FORCE forces it"
    );
    assert!(
        !painted(&[], &[("CLICOLOR_FORCE", "1")], false),
        "NO_COLOR wins over it"
    );
}

/// Answers each request on each connection with the Host header it was sent, as JSON.
fn answer_host(stream: TcpStream) {
    keep_answering(stream, |head| echo_header(head, "host"));
}

/// `localhost` and the names under it are this machine's loopback addresses whatever the hosts
/// file and DNS say, as in curl: `api.localhost` is in no hosts file, and a server on `::1`
/// alone is reached through `localhost` once IPv4 is refused.
#[test]
fn localhost_and_the_names_under_it_are_this_machine() {
    let v4 = hostile(answer_host);
    let mut suite = String::new();
    let mut expected = Vec::new();
    for (name, host) in [("sub", "api.localhost"), ("dot", "LocalHost.")] {
        suite.push_str(&format!(
            "[endpoints.{name}]\nurl = \"http://{host}:{v4}\"\n\n[[requests]]\nname = \"{name}\"\nendpoint = \"{name}\"\npath = \"/\"\n\n"
        ));
        expected.push(serde_json::json!({ "host": format!("{}:{v4}", host.to_lowercase()) }));
    }
    // A machine without an IPv6 loopback leaves that request out.
    if let Ok(listener) = TcpListener::bind("[::1]:0") {
        let v6 = listener.local_addr().expect("an address").port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten().take(4) {
                std::thread::spawn(move || answer_host(stream));
            }
        });
        suite.push_str(&format!(
            "[endpoints.six]\nurl = \"http://localhost:{v6}\"\n\n[[requests]]\nname = \"six\"\nendpoint = \"six\"\npath = \"/\"\n"
        ));
        expected.push(serde_json::json!({ "host": format!("localhost:{v6}") }));
    }
    let run = Test::new("localhost")
        .file("a.toml", &suite)
        .args(&["run", "a.toml", "-q"])
        .any_stdout()
        .run();
    let answers = json_values(&run.stdout);
    assert_eq!(answers, expected, "{}", run.stdout);
}
