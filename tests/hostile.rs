//! Hostile servers: each misbehaves on purpose (silent after accept or after the handshake,
//! header drip, endless `100 Continue`, reset mid-body, short Content-Length, an endless body, a
//! huge header, plain HTTP on a TLS port), and each run ends with exit 3, the message that says
//! what happened, within its time bound, and in bounded memory.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::support::{Test, root};

/// A server that treats every connection with `behave`, on a thread of its own.
pub fn hostile(behave: fn(TcpStream)) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("an address").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten().take(8) {
            std::thread::spawn(move || behave(stream));
        }
    });
    port
}

/// Answers each request head on a kept-open connection with what `answer` makes of it, until
/// the client goes.
pub fn keep_answering(mut stream: TcpStream, answer: impl Fn(&str) -> Vec<u8>) {
    loop {
        let head = read_head(&mut stream);
        if !head.ends_with(b"\r\n\r\n") {
            return;
        }
        if stream
            .write_all(&answer(&String::from_utf8_lossy(&head)))
            .is_err()
        {
            return;
        }
    }
}

/// A 200 whose JSON body holds the request header `name`'s value (`none` when it was not sent)
/// under that name.
pub fn echo_header(head: &str, name: &str) -> Vec<u8> {
    let value = head
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
        .unwrap_or("none");
    let body = format!("{{\"{name}\":\"{value}\"}}");
    format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Reads a request's head (to the blank line), as far as it comes, and returns it.
pub fn read_head(stream: &mut impl Read) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 65_536 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    head
}

/// The demo server certificate, for a TLS server the demo CA vouches for.
fn tls_config() -> Arc<rustls::ServerConfig> {
    tls_config_with_alpn(Vec::new())
}

/// The same, answering ALPN with `alpn` (nothing: no ALPN at all).
fn tls_config_with_alpn(alpn: Vec<Vec<u8>>) -> Arc<rustls::ServerConfig> {
    let certs = root().join("configs/certs");
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(certs.join("server.crt"))
            .expect("PEM")
            .flatten()
            .collect();
    let key = PrivateKeyDer::from_pem_file(certs.join("server.key")).expect("a key");
    Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map(|mut config| {
            config.alpn_protocols = alpn;
            config
        })
        .expect("a server config"),
    )
}

/// Completes the TLS handshake on `stream`, then hands the TLS stream on.
fn over_tls(stream: TcpStream) -> rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    over_tls_with(stream, tls_config())
}

fn over_tls_with(
    stream: TcpStream,
    config: Arc<rustls::ServerConfig>,
) -> rustls::StreamOwned<rustls::ServerConnection, TcpStream> {
    let connection = rustls::ServerConnection::new(config).expect("a connection");
    let mut tls = rustls::StreamOwned::new(connection, stream);
    while tls.conn.is_handshaking() {
        if tls.conn.complete_io(&mut tls.sock).is_err() {
            break;
        }
    }
    tls
}

fn suite(url: &str, settings: &str) -> String {
    format!(
        "[endpoints.api]\nurl = \"{url}\"\n{settings}\n\n[[requests]]\nname = \"hostile\"\npath = \"/\"\n",
    )
}

fn tls_suite(port: u16, endpoint: &str, socket: &str) -> String {
    format!(
        "[endpoints.api]\nurl = \"https://localhost:{port}\"\n{endpoint}\n\n[endpoints.api.secure_socket]\ncert = \"{}\"\n{socket}\n\n[[requests]]\nname = \"hostile\"\npath = \"/\"\n",
        root().join("configs/certs/ca.crt").display()
    )
}

/// Runs `suite` and checks exit 3, the whole log and the time it took.
fn ends_with(name: &str, suite: &str, port: u16, logs: &str, within: Duration) {
    let started = Instant::now();
    Test::new(name)
        .file("a.toml", suite)
        .args(&["run", "a.toml", "-q"])
        .replace(&port.to_string(), "PORT")
        .code(3)
        .any_stdout()
        .stderr(logs)
        .run();
    assert!(
        started.elapsed() < within,
        "{name} took {:?}",
        started.elapsed()
    );
}

#[test]
fn silent_after_accept_is_a_handshake_timeout() {
    let port = hostile(|stream| {
        std::thread::sleep(Duration::from_secs(10));
        drop(stream);
    });
    ends_with(
        "hostile-silent-accept",
        &tls_suite(port, "", "handshake_timeout = \"300ms\""),
        port,
        "error: hostile: GET https://localhost:PORT/: the TLS handshake with localhost:PORT did not finish within 300ms (secure_socket.handshake_timeout)
  the TCP connection was open: the server does not answer TLS on this port, or is too busy to
  = help: check that this port speaks TLS (http:// for plain HTTP), or raise `handshake_timeout`
",
        Duration::from_secs(5),
    );
}

#[test]
fn a_full_accept_queue_is_a_connect_timeout() {
    // A listener that accepts nothing, its queue filled: the kernel drops further SYNs, and
    // the TCP connection never opens.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (port, _listener, _queued) = runtime.block_on(async {
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        socket
            .bind("127.0.0.1:0".parse().expect("an address"))
            .expect("bound");
        let listener = socket.listen(1).expect("listening");
        let port = listener.local_addr().expect("an address").port();
        let mut queued = Vec::new();
        for _ in 0..4 {
            let attempt = tokio::time::timeout(
                Duration::from_millis(200),
                tokio::net::TcpStream::connect(("127.0.0.1", port)),
            );
            if let Ok(Ok(stream)) = attempt.await {
                queued.push(stream);
            }
        }
        (port, listener, queued)
    });
    ends_with(
        "hostile-connect",
        &suite(&format!("http://127.0.0.1:{port}"), "connect_timeout = \"300ms\""),
        port,
        "error: hostile: GET http://127.0.0.1:PORT/: could not connect to 127.0.0.1:PORT: no TCP connection within 300ms (connect_timeout)
  = help: check that the server runs and the host and port are right (a firewall may drop the packets), or raise `connect_timeout`
",
        Duration::from_secs(5),
    );
}

#[test]
fn silent_after_the_handshake_is_a_timeout_that_names_its_limit() {
    let port = hostile(|stream| {
        let mut tls = over_tls(stream);
        read_head(&mut tls);
        std::thread::sleep(Duration::from_secs(10));
    });
    ends_with(
        "hostile-silent-tls",
        &tls_suite(port, "timeout = \"500ms\"", ""),
        port,
        "error: hostile: GET https://localhost:PORT/: the request timed out: no complete answer from localhost:PORT within 500ms (timeout)
  = help: raise the endpoint's or the request's `timeout` (\"none\" for no limit), or check that the server answers
",
        Duration::from_secs(5),
    );
    ends_with(
        "hostile-silent-tls-gap",
        &tls_suite(port, "timeout = \"none\"\nread_timeout = \"400ms\"", ""),
        port,
        "error: hostile: GET https://localhost:PORT/: the request timed out: localhost:PORT stopped answering, and nothing came for 400ms (read_timeout)
  = help: raise the endpoint's `read_timeout` (\"none\" for no limit), or check that the server answers
",
        Duration::from_secs(5),
    );
}

#[test]
fn a_dripping_or_endlessly_continuing_head_ends_at_the_timeout() {
    let drip = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nX-Drip: ");
        for _ in 0..200 {
            if stream.write_all(b"a").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let continues = hostile(|mut stream| {
        read_head(&mut stream);
        for _ in 0..400 {
            if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    for (name, port) in [("hostile-drip", drip), ("hostile-continue", continues)] {
        ends_with(
            name,
            &suite(&format!("http://127.0.0.1:{port}"), "timeout = \"1s\""),
            port,
            "error: hostile: GET http://127.0.0.1:PORT/: the request timed out: no complete answer from 127.0.0.1:PORT within 1s (timeout)
  = help: raise the endpoint's or the request's `timeout` (\"none\" for no limit), or check that the server answers
",
            Duration::from_secs(6),
        );
    }
}

#[test]
fn a_body_cut_short_says_how_much_came() {
    // The request is left unread (only peeked at, to answer after it came): closing then
    // resets the connection.
    let reset = hostile(|mut stream| {
        let _ = stream.peek(&mut [0u8; 16]);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        let _ = stream.write_all(&[b'x'; 41]);
        std::thread::sleep(Duration::from_millis(200));
    });
    let short = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        let _ = stream.write_all(&[b'x'; 41]);
        let _ = stream.shutdown(std::net::Shutdown::Write);
        std::thread::sleep(Duration::from_millis(200));
    });
    // Over TLS: the TCP connection ends without the TLS close_notify.
    let unclosed = hostile(|stream| {
        let mut tls = over_tls(stream);
        read_head(&mut tls);
        let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        let _ = tls.write_all(&[b'x'; 41]);
        let _ = tls.flush();
        let _ = tls.sock.shutdown(std::net::Shutdown::Both);
    });
    let help =
        "  = help: the server or something between stopped sending: look at the server's logs\n";
    for (name, text, port, broke) in [
        (
            "hostile-no-close-notify",
            tls_suite(unclosed, "http_version = \"1.1\"", ""),
            unclosed,
            "the connection closed without TLS close_notify",
        ),
        (
            "hostile-short",
            suite(&format!("http://127.0.0.1:{short}"), ""),
            short,
            "the connection closed",
        ),
        (
            "hostile-reset",
            suite(&format!("http://127.0.0.1:{reset}"), ""),
            reset,
            "the server reset the connection",
        ),
    ] {
        ends_with(
            name,
            &text,
            port,
            &format!("error: hostile: the body broke off: {broke} after 41 of 1000 bytes\n{help}"),
            Duration::from_secs(5),
        );
    }
}

#[test]
fn a_body_that_is_not_what_its_content_encoding_says_is_named() {
    let lying = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 20\r\nConnection: close\r\n\r\nthis is not gzip ok!",
        );
    });
    let started = Instant::now();
    let run = Test::new("hostile-encoding")
        .file("a.toml", &suite(&format!("http://127.0.0.1:{lying}"), ""))
        .args(&["run", "a.toml", "-q"])
        .code(3)
        .any_stdout()
        .any_stderr()
        .run();
    assert!(
        run.stderr.starts_with("error: hostile: the body could not be decoded from its Content-Encoding after 0 bytes: ")
            && run.stderr.ends_with("  = help: the server says it compressed the body one way and sent something else; `compressed = false` asks for it uncompressed\n"),
        "{}",
        run.stderr
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_huge_header_and_plain_http_on_a_tls_port_are_named() {
    let huge = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nX-Huge: ");
        let _ = stream.write_all(&vec![b'a'; 2 << 20]);
        let _ = stream.write_all(b"\r\n\r\n");
    });
    let plain = hostile(|mut stream| {
        let mut some = [0u8; 512];
        let _ = stream.read(&mut some);
        let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    });
    ends_with(
        "hostile-huge-header",
        &suite(&format!("http://127.0.0.1:{huge}"), ""),
        huge,
        "error: hostile: GET http://127.0.0.1:PORT/: the answer from 127.0.0.1:PORT has a head (status line and headers) too large to read
  = help: the HTTP client takes headers of a few hundred KiB at most: check what the server sends
",
        Duration::from_secs(5),
    );
    ends_with(
        "hostile-plain-on-tls",
        &tls_suite(plain, "", ""),
        plain,
        "error: hostile: GET https://localhost:PORT/: the server at localhost:PORT did not answer in TLS: it speaks plain HTTP (or another protocol) on this port
  = help: use http:// for this port, or the port where the server speaks TLS
",
        Duration::from_secs(2),
    );
}

/// The peak resident memory of a process, read while it runs.
fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse().ok())
}

#[test]
fn an_endless_body_streams_in_bounded_memory_and_max_body_is_said() {
    let endless = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let chunk = [b'z'; 65_536];
        let framed = [b"10000\r\n".as_slice(), &chunk, b"\r\n"].concat();
        let until = Instant::now() + Duration::from_secs(8);
        while Instant::now() < until && stream.write_all(&framed).is_ok() {}
    });
    let test = Test::new("hostile-endless")
        .file(
            "a.toml",
            &suite(&format!("http://127.0.0.1:{endless}"), "timeout = \"2s\""),
        )
        .args(&["run", "a.toml", "-q"]);
    let mut child = test
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runner starts");
    let mut peak = 0;
    while child.try_wait().expect("waits").is_none() {
        peak = peak.max(peak_rss_kib(child.id()).unwrap_or(peak));
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().expect("ends");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("the request timed out: the body was still coming after ")
            && stderr.contains(" bytes within 2s (timeout)"),
        "{stderr}"
    );
    assert!(peak > 0 && peak < 64 * 1024, "peak RSS {peak} KiB");
    // A body an expectation needs is held up to max_body, and the expectation says so.
    let big = hostile(|mut stream| {
        read_head(&mut stream);
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 3145728\r\n\r\n");
        let _ = stream.write_all(&vec![b'q'; 3 << 20]);
    });
    Test::new("hostile-max-body")
        .file(
            "a.toml",
            &format!(
                "[endpoints.api]\nurl = \"http://127.0.0.1:{big}\"\nmax_body = \"1MiB\"\n\n[[requests]]\nname = \"big\"\npath = \"/\"\noutput = \"none\"\nexpect = {{ body = {{ contains = \"q\" }} }}\n"
            ),
        )
        .args(&["run", "a.toml", "-q"])
        .code(1)
        .stderr("error: big: body expected contains \"q\", got a body larger than max_body (1 MiB): raise `max_body` to check it (a.toml:9:19)\n")
        .run();
}

#[test]
fn http2_asked_of_a_server_that_does_not_speak_it_is_explained() {
    // The server takes only http/1.1 in ALPN: it refuses a client that offers only h2.
    let refusing = hostile(|stream| {
        let mut tls = over_tls_with(stream, tls_config_with_alpn(vec![b"http/1.1".to_vec()]));
        read_head(&mut tls);
    });
    ends_with(
        "hostile-h2-refused",
        &tls_suite(refusing, "http_version = \"2\"", ""),
        refusing,
        "error: hostile: GET https://localhost:PORT/: the server speaks none of the HTTP versions runner offered in ALPN: h2 (http_version = \"2\")
  = help: set `http_version = \"auto\"` to let the server choose, or the version it speaks
",
        Duration::from_secs(5),
    );
    // The server ignores ALPN and answers HTTP/1.1: it works, and the fallback is said.
    let ignoring = hostile(|stream| {
        let mut tls = over_tls(stream);
        read_head(&mut tls);
        let _ = tls.write_all(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n");
        let _ = tls.flush();
        tls.conn.send_close_notify();
        let _ = tls.conn.complete_io(&mut tls.sock);
    });
    Test::new("hostile-h2-fallback")
        .file("a.toml", &tls_suite(ignoring, "http_version = \"2\"", ""))
        .args(&["run", "a.toml", "-q"])
        .stderr("warning: hostile: http_version = \"2\", but the server chose no protocol in ALPN: HTTP/1.1 was used\n")
        .run();
}
