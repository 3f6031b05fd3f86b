//! Interop: the runner against nginx (OpenSSL), with certificates, keys and keystores made by
//! openssl and keytool (`tests/fixtures/make.sh`). One nginx, one server block per scenario on
//! ports of its own, stopped when the test ends, also when it fails.

use std::fmt::Write as _;
use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Run, root, run, runner};

/// The fixtures' password (see make.sh).
const PASSWORD: &str = "fixture-pw";

/// nginx's server blocks: name, certificate chain, key, and extra directives.
const SCENARIOS: &[(&str, &str, &str, &str)] = &[
    (
        "main",
        "server-chain.crt",
        "server.key",
        "ssl_client_certificate root.crt; ssl_verify_client optional; ssl_verify_depth 2;",
    ),
    (
        "required",
        "server-chain.crt",
        "server.key",
        "ssl_client_certificate root.crt; ssl_verify_client on; ssl_verify_depth 2;",
    ),
    (
        "tls12",
        "server-chain.crt",
        "server.key",
        "ssl_protocols TLSv1.2;",
    ),
    (
        "tls13",
        "server-chain.crt",
        "server.key",
        "ssl_protocols TLSv1.3;",
    ),
    ("wrong-name", "wrong-name-chain.crt", "wrong-name.key", ""),
    ("expired", "expired-chain.crt", "expired.key", ""),
    ("selfsigned", "selfsigned.crt", "selfsigned.key", ""),
    // A server that redirects to plain HTTP.
    ("redirect-down", "server-chain.crt", "server.key", ""),
    // An application that answers 400 itself, behind an optional client certificate.
    (
        "app-400",
        "server-chain.crt",
        "server.key",
        "ssl_client_certificate root.crt; ssl_verify_client optional; ssl_verify_depth 2;",
    ),
    // TLS 1.2 only, two suites, the server's order: what `runner probe` must find out.
    (
        "tls12-two",
        "server-chain.crt",
        "server.key",
        "ssl_protocols TLSv1.2; ssl_ciphers ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-GCM-SHA256; ssl_prefer_server_ciphers on;",
    ),
    // A server certificate its CA revoked (tests/fixtures/make.sh writes the CRLs).
    ("revoked", "revoked-chain.crt", "revoked.key", ""),
    // nginx stapling the OCSP responses `openssl ocsp` made: good, and revoked.
    (
        "stapled-good",
        "server-chain.crt",
        "server.key",
        "ssl_stapling on; ssl_stapling_file {fx}/server.ocsp;",
    ),
    (
        "stapled-revoked",
        "revoked-chain.crt",
        "revoked.key",
        "ssl_stapling on; ssl_stapling_file {fx}/revoked.ocsp;",
    ),
    // Certificates that name an OCSP responder and a CRL on loopback: valid, and revoked.
    ("fetched", "fetched-chain.crt", "fetched.key", ""),
    (
        "fetched-revoked",
        "fetched-revoked-chain.crt",
        "fetched-revoked.key",
        "",
    ),
    // A response about another certificate, stapled all the same.
    (
        "stapled-wrong",
        "server-chain.crt",
        "server.key",
        "ssl_stapling on; ssl_stapling_file {fx}/revoked.ocsp;",
    ),
    // What pipelines use: a session cookie, gzip answers, and an upload nginx stores whole
    // (the body's file is named to the plain block, which answers with its name).
    (
        "pipeline",
        "server-chain.crt",
        "server.key",
        r#"gzip on; gzip_types application/json; gzip_min_length 1;
        location = /login {
            add_header Set-Cookie "session=nginx-s3ss; Path=/; HttpOnly" always;
            return 200 '{"logged_in":true}\n';
        }
        location = /me {
            if ($cookie_session != "nginx-s3ss") { return 401 '{"error":"no session"}\n'; }
            return 200 '{"user":"alice","padding":"a gzip answer needs a body worth compressing, so here is one"}\n';
        }
        location = /upload {
            client_body_in_file_only on;
            proxy_set_header X-Body-File $request_body_file;
            proxy_set_header X-Type $content_type;
            proxy_pass http://127.0.0.1:{plain}/stored;
        }"#,
    ),
    // Plain HTTP: the upload's and the forward proxies' upstream.
    (
        "plain",
        "",
        "",
        r#"location = /stored { return 200 '{"file":"$http_x_body_file","type":"$http_x_type"}\n'; }
        location = /hello { return 200 '{"via":"$http_x_via","host":"$host"}\n'; }"#,
    ),
    // Forward proxies for http:// URLs, in clear text and over TLS (an https:// proxy).
    (
        "forward",
        "",
        "",
        "location / { proxy_set_header X-Via forward; proxy_pass http://127.0.0.1:{plain}; }",
    ),
    (
        "forward-tls",
        "server-chain.crt",
        "server.key",
        "location / { proxy_set_header X-Via forward-tls; proxy_pass http://127.0.0.1:{plain}; }",
    ),
];

/// A running nginx; dropping it stops it.
struct Nginx {
    child: Child,
    ports: Vec<u16>,
    dir: PathBuf,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        // One process (master_process off): killing it stops everything it opened.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Nginx {
    fn port(&self, scenario: &str) -> u16 {
        let index = SCENARIOS
            .iter()
            .position(|s| s.0 == scenario)
            .expect("a scenario");
        self.ports[index]
    }

    fn start(fixtures: &Path) -> Self {
        let dir = fixtures.join("nginx");
        fs::create_dir_all(dir.join("tmp")).expect("writable");
        // Free ports: bound by the OS, then handed to nginx.
        let ports: Vec<u16> = SCENARIOS
            .iter()
            .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("a port"))
            .collect::<Vec<_>>()
            .iter()
            .map(|l| l.local_addr().expect("an address").port())
            .collect();
        let mut servers = String::new();
        let plain = SCENARIOS
            .iter()
            .zip(&ports)
            .find(|(s, _)| s.0 == "plain")
            .map(|(_, port)| *port)
            .expect("a plain block");
        for ((name, chain, key, extra), port) in SCENARIOS.iter().zip(&ports) {
            let status = if *name == "app-400" { 400 } else { 200 };
            let listen = if chain.is_empty() {
                format!("listen 127.0.0.1:{port};")
            } else {
                format!(
                    "listen 127.0.0.1:{port} ssl;\n        ssl_certificate {fx}/{chain};\n        ssl_certificate_key {fx}/{key};",
                    fx = fixtures.display()
                )
            };
            let _ = write!(
                servers,
                r#"
    server {{
        {listen}
        {extra}
        {default}
    }}"#,
                // A forward proxy passes everything on; the others answer what they saw.
                default = if extra.contains("location / ") {
                    String::new()
                } else {
                    format!(
                        r#"location /down {{
            return 302 http://127.0.0.1:9/;
        }}
        location / {{
            return {status} '{{"scenario":"{name}","verify":"$ssl_client_verify","subject":"$ssl_client_s_dn","protocol":"$ssl_protocol","cipher":"$ssl_cipher"}}\n';
        }}"#
                    )
                },
                extra = extra
                    .replace("root.crt", &format!("{}/root.crt", fixtures.display()))
                    .replace("{plain}", &plain.to_string())
                    .replace("{fx}", &fixtures.display().to_string()),
            );
        }
        let tmp = dir.join("tmp").display().to_string();
        let conf = format!(
            "master_process off;\ndaemon off;\npid {dir}/nginx.pid;\nerror_log {dir}/error.log warn;\nevents {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n    default_type application/json;\n    client_body_temp_path {tmp}/body;\n    proxy_temp_path {tmp}/proxy;\n    fastcgi_temp_path {tmp}/fastcgi;\n    scgi_temp_path {tmp}/scgi;\n    uwsgi_temp_path {tmp}/uwsgi;\n{servers}\n}}\n",
            dir = dir.display()
        );
        fs::write(dir.join("nginx.conf"), conf).expect("writable");
        let child = Command::new("nginx")
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("nginx starts (.ci/run installs it: apt-get install nginx-light)");
        let nginx = Self { child, ports, dir };
        let deadline = Instant::now() + Duration::from_secs(15);
        for port in &nginx.ports {
            while TcpStream::connect(("127.0.0.1", *port)).is_err() {
                assert!(
                    Instant::now() < deadline,
                    "nginx did not listen: {}",
                    fs::read_to_string(nginx.dir.join("error.log")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        nginx
    }
}

/// Runs a one-request suite with this `secure_socket` against a scenario's port.
fn probe(fixtures: &Path, nginx: &Nginx, scenario: &str, name: &str, socket: &str) -> Run {
    let text = format!(
        "[endpoints.nginx]\nurl = \"https://localhost:{}\"\n\n[endpoints.nginx.secure_socket]\n{socket}\n\n[[requests]]\nname = \"{name}\"\npath = \"/\"\n",
        nginx.port(scenario)
    );
    let file = format!("{name}.toml");
    fs::write(fixtures.join(&file), text).expect("writable");
    let mut command = runner(fixtures, &["run", &file]);
    command
        .env_remove("SSL_CERT_DIR")
        .env("SSL_CERT_FILE", fixtures.join("root.crt"));
    run(command)
}

/// What nginx said it saw, from the payload.
fn seen(outcome: &Run) -> serde_json::Value {
    serde_json::from_str(&outcome.stdout).unwrap_or(serde_json::Value::Null)
}

#[test]
fn the_tls_matrix_against_nginx() {
    let fixtures = root().join("target/test-tmp/interop");
    let _ = fs::remove_dir_all(&fixtures);
    // The OCSP responder and the CRL server of `revocation.fetch` listen on ports the
    // certificates name, so the ports are chosen before the certificates are made. The CRL
    // server's listener is kept from then on: a port let go could be taken by another test's
    // connection before it is bound again. openssl's responder binds its own.
    let crl_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("the CRL port");
    let crl_port = crl_listener.local_addr().expect("an address").port();
    let ocsp_port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let made = Command::new("bash")
        .env("OCSP_PORT", ocsp_port.to_string())
        .env("CRL_PORT", crl_port.to_string())
        .arg(root().join("tests/fixtures/make.sh"))
        .arg(&fixtures)
        .output()
        .expect("bash runs");
    assert!(
        made.status.success(),
        "make.sh failed:\n{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let nginx = Nginx::start(&fixtures);
    let root_subject = crate::support::cert_info(&fixtures.join("root.crt")).subject;
    let mut failures: Vec<String> = Vec::new();
    let mut expect = |what: &str, ok: bool, outcome: &Run| {
        if !ok {
            failures.push(format!(
                "{what}: exit {}\n--- stdout\n{}--- stderr\n{}",
                outcome.code, outcome.stdout, outcome.stderr
            ));
        }
    };

    // Trust: every truststore form, against a server that sends its intermediate.
    for (name, socket) in [
        ("trust-root", "cert = \"root.crt\"".to_owned()),
        ("trust-bundle", "cert = \"bundle.crt\"".to_owned()),
        ("trust-system", "verify_hostname = true".to_owned()),
        (
            "trust-keytool",
            format!("cert = {{ path = \"trust-keytool.p12\", password = \"{PASSWORD}\" }}"),
        ),
        (
            "trust-openssl",
            format!("cert = {{ path = \"trust-openssl.p12\", password = \"{PASSWORD}\" }}"),
        ),
    ] {
        let outcome = probe(&fixtures, &nginx, "main", name, &socket);
        expect(
            name,
            outcome.code == 0 && seen(&outcome)["verify"] == "NONE",
            &outcome,
        );
    }

    // Identities: every key form and keystore reaches nginx, which verifies it.
    for (name, key, cn) in [
        (
            "id-pkcs8",
            "{ cert_file = \"client-pkcs8.crt\", key_file = \"client-pkcs8.key\" }".to_owned(),
            "client pkcs8",
        ),
        (
            "id-pkcs1",
            "{ cert_file = \"client-pkcs1.crt\", key_file = \"client-pkcs1.key\" }".to_owned(),
            "client pkcs1",
        ),
        (
            "id-sec1",
            "{ cert_file = \"client-sec1.crt\", key_file = \"client-sec1.key\" }".to_owned(),
            "client sec1",
        ),
        (
            "id-encrypted",
            format!(
                "{{ cert_file = \"client-enc.crt\", key_file = \"client-enc.key\", key_password = \"{PASSWORD}\" }}"
            ),
            "client encrypted",
        ),
        (
            "id-ed25519",
            "{ cert_file = \"client-ed25519.crt\", key_file = \"client-ed25519.key\" }".to_owned(),
            "client ed25519",
        ),
        (
            "id-ec",
            "{ cert_file = \"client-ec.crt\", key_file = \"client-ec.key\" }".to_owned(),
            "client ec p384",
        ),
        (
            "id-chain",
            "{ cert_file = \"client-inter-chain.crt\", key_file = \"client-inter.key\" }"
                .to_owned(),
            "client of the intermediate",
        ),
        (
            "id-p12-openssl",
            format!("{{ path = \"client-openssl.p12\", password = \"{PASSWORD}\" }}"),
            "client pkcs8",
        ),
        (
            "id-p12-legacy",
            format!("{{ path = \"client-legacy.p12\", password = \"{PASSWORD}\" }}"),
            "client pkcs8",
        ),
        (
            "id-p12-keytool",
            format!("{{ path = \"client-keytool.p12\", password = \"{PASSWORD}\" }}"),
            "client pkcs8",
        ),
    ] {
        let outcome = probe(
            &fixtures,
            &nginx,
            "required",
            name,
            &format!("cert = \"root.crt\"\nkey = {key}"),
        );
        let payload = seen(&outcome);
        let ok = outcome.code == 0
            && payload["verify"] == "SUCCESS"
            && payload["subject"] == format!("CN={cn},O=runner interop").as_str()
            && outcome.stderr.contains("client certificate presented");
        expect(name, ok, &outcome);
    }

    // Protocol versions and cipher suites as nginx negotiates them.
    let outcome = probe(
        &fixtures,
        &nginx,
        "tls12",
        "tls12-ok",
        "cert = \"root.crt\"\nprotocol = { versions = [\"TLSv1.2\"] }",
    );
    // nginx takes the client's order: runner offers AES-128-GCM first.
    expect(
        "tls12-ok",
        outcome.code == 0
            && seen(&outcome)["protocol"] == "TLSv1.2"
            && seen(&outcome)["cipher"] == "ECDHE-ECDSA-AES128-GCM-SHA256",
        &outcome,
    );
    let outcome = probe(
        &fixtures,
        &nginx,
        "tls13",
        "tls13-ok",
        "cert = \"root.crt\"",
    );
    expect(
        "tls13-ok",
        outcome.code == 0
            && seen(&outcome)["protocol"] == "TLSv1.3"
            && seen(&outcome)["cipher"] == "TLS_AES_128_GCM_SHA256",
        &outcome,
    );
    let outcome = probe(
        &fixtures,
        &nginx,
        "tls12",
        "cipher",
        "cert = \"root.crt\"\nprotocol = { versions = [\"TLSv1.2\"] }\nciphers = [\"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256\"]",
    );
    expect(
        "cipher",
        outcome.code == 0 && seen(&outcome)["cipher"] == "ECDHE-ECDSA-CHACHA20-POLY1305",
        &outcome,
    );

    // Pinning the self-signed CA:TRUE server; loosening names and dates where asked.
    let outcome = probe(
        &fixtures,
        &nginx,
        "selfsigned",
        "pinned",
        "cert = \"selfsigned.crt\"",
    );
    expect("pinned", outcome.code == 0, &outcome);
    let outcome = probe(
        &fixtures,
        &nginx,
        "wrong-name",
        "any-name",
        "cert = \"root.crt\"\nverify_hostname = false",
    );
    expect("any-name", outcome.code == 0, &outcome);
    let outcome = probe(&fixtures, &nginx, "expired", "unverified", "enable = false");
    expect(
        "unverified",
        outcome.code == 0
            && outcome
                .stderr
                .starts_with("warning: endpoint nginx: enable = false"),
        &outcome,
    );

    // An application's own 400 behind an optional client certificate is the application's
    // answer: an expectation failure (exit 1), with a hint, not a TLS verdict.
    let outcome = probe(
        &fixtures,
        &nginx,
        "app-400",
        "app-refusal",
        "cert = \"root.crt\"",
    );
    let port = nginx.port("app-400");
    let logs = outcome
        .stderr
        .rsplit_once("1 file, 1 request: ")
        .map_or(outcome.stderr.as_str(), |(l, _)| l);
    let wanted = format!(
        "app-refusal: GET https://localhost:{port}/ -> 400 Bad Request in N ms, TLSv1.2, no client certificate
error: app-refusal: status expected a status below 400, got 400 (app-refusal.toml:7:1)
  = hint: the server asked for a client certificate (optional for the handshake) and none is configured; if this answer is about that, add `key = {{ cert_file, key_file }}` to `secure_socket`
"
    );
    expect(
        &format!("app-refusal, which should say:\n{wanted}\n"),
        outcome.code == 1 && without_timings(logs) == wanted,
        &outcome,
    );

    // nginx redirects to http://: runner does not follow it down.
    let port = nginx.port("redirect-down");
    fs::write(
        fixtures.join("redirect-down.toml"),
        format!("[endpoints.nginx]\nurl = \"https://localhost:{port}\"\nfollow_redirects = true\nsecure_socket = {{ cert = \"root.crt\" }}\n\n[[requests]]\nname = \"down\"\npath = \"/down\"\n"),
    )
    .expect("writable");
    let outcome = run(runner(&fixtures, &["run", "redirect-down.toml"]));
    let wanted = format!(
        "error: down: GET https://localhost:{port}/down: the server redirected to http://127.0.0.1:9/; runner does not downgrade from https:// to http://
  = help: if clear text is really wanted there, set `follow_redirects = {{ to_http = true }}`
"
    );
    let logs = outcome
        .stderr
        .rsplit_once("1 file, 1 request: ")
        .map_or(outcome.stderr.as_str(), |(l, _)| l);
    expect(
        &format!("redirect-down, which should say:\n{wanted}\n"),
        outcome.code == 3 && logs == wanted,
        &outcome,
    );

    // Revocation with openssl's CRLs, and public-key pins as openssl computes them.
    let spki = |file: &str| {
        let out = Command::new("bash")
            .arg("-c")
            .arg(format!("openssl x509 -in {file} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"))
            .current_dir(&fixtures)
            .output()
            .expect("openssl runs");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let revoked = crate::support::cert_info(&fixtures.join("revoked.crt"));
    let both = "revocation = { crl = [\"inter.crl\", \"root.crl\"] }";
    for (scenario, name, socket, code, wanted) in [
        (
            "revoked",
            "crl-revoked",
            format!("cert = \"root.crt\"\n{both}"),
            3,
            format!(
                "the server's certificate {} (serial {}) was revoked on ",
                revoked.subject, revoked.serial
            ),
        ),
        (
            "revoked",
            "crl-not-asked",
            "cert = \"root.crt\"".to_owned(),
            0,
            String::new(),
        ),
        (
            "main",
            "crl-good",
            format!("cert = \"root.crt\"\n{both}"),
            0,
            String::new(),
        ),
        (
            "main",
            "crl-unknown",
            "cert = \"root.crt\"\nrevocation = { crl = \"inter.crl\" }".to_owned(),
            3,
            "the revocation status of the server's chain is unknown".to_owned(),
        ),
        (
            "main",
            "crl-end-entity",
            "cert = \"root.crt\"\nrevocation = { crl = \"inter.crl\", scope = \"end-entity\" }"
                .to_owned(),
            0,
            String::new(),
        ),
        (
            "main",
            "pin-match",
            format!(
                "cert = \"root.crt\"\npin_sha256 = [\"{}\"]",
                spki("server.crt")
            ),
            0,
            String::new(),
        ),
        (
            "main",
            "pin-mismatch",
            format!(
                "cert = \"root.crt\"\npin_sha256 = [\"sha256//{}\"]",
                spki("other-ca.crt")
            ),
            3,
            "the server's public key does not match `pin_sha256`\n  the server presented: "
                .to_owned(),
        ),
        (
            "selfsigned",
            "pin-instead",
            format!(
                "enable = false\npin_sha256 = [\"{}\"]",
                spki("selfsigned.crt")
            ),
            0,
            String::new(),
        ),
        // A self-signed server whose key is pinned: the pin stands for the trust.
        (
            "selfsigned",
            "pin-self-signed",
            format!(
                "cert = \"root.crt\"\npin_sha256 = [\"{}\"]",
                spki("selfsigned.crt")
            ),
            0,
            String::new(),
        ),
        // ... but not for a CA-issued chain that is not trusted.
        (
            "main",
            "pin-untrusted-chain",
            format!(
                "cert = \"other-ca.crt\"\npin_sha256 = [\"{}\"]",
                spki("server.crt")
            ),
            3,
            "the server's certificate is not trusted: nothing trusted issued it".to_owned(),
        ),
    ] {
        let outcome = probe(&fixtures, &nginx, scenario, name, &socket);
        let ok = outcome.code == code
            && outcome.stderr.contains(&wanted)
            && (code != 3 || !wanted.is_empty());
        expect(&format!("{name} (wants {wanted:?})"), ok, &outcome);
    }
    // OCSP stapling: a good response passes (and is an expectation), a revoked one is refused
    // and explained, and `require` refuses a server that staples nothing.
    let require = "cert = \"root.crt\"\nrevocation = { ocsp_stapling = \"require\" }";
    for (scenario, name, code, wanted) in [
        ("stapled-good", "ocsp-good", 0, String::new()),
        (
            "stapled-revoked",
            "ocsp-revoked",
            3,
            format!(
                "the server's certificate {} (serial {}) was revoked on ",
                revoked.subject, revoked.serial
            ),
        ),
        (
            "stapled-wrong",
            "ocsp-wrong",
            3,
            "the OCSP response stapled by the server cannot be believed: it is about another certificate".to_owned(),
        ),
        (
            "main",
            "ocsp-missing",
            3,
            "the server stapled no OCSP response, and `ocsp_stapling = \"require\"` asks for one"
                .to_owned(),
        ),
    ] {
        let outcome = probe(&fixtures, &nginx, scenario, name, require);
        let ok = outcome.code == code
            && outcome.stderr.contains(&wanted)
            && (code == 0 || !wanted.is_empty());
        expect(&format!("{name} (wants {wanted:?})"), ok, &outcome);
    }
    let outcome = probe(
        &fixtures,
        &nginx,
        "stapled-revoked",
        "ocsp-revoked",
        require,
    );
    expect(
        "the stapled revocation names its reason and signer",
        outcome
            .stderr
            .contains("(key compromise) according to the OCSP response stapled by the server")
            && outcome
                .stderr
                .contains("the response is signed by the issuer"),
        &outcome,
    );
    fs::write(
        fixtures.join("ocsp-expect.toml"),
        format!(
            "[endpoints.nginx]\nurl = \"https://localhost:{}\"\nsecure_socket = {{ cert = \"root.crt\" }}\n\n[[requests]]\nname = \"stapled\"\npath = \"/\"\nexpect = {{ certificate = {{ ocsp = \"good\" }} }}\n",
            nginx.port("stapled-good")
        ),
    )
    .expect("writable");
    let outcome = run(runner(&fixtures, &["run", "ocsp-expect.toml"]));
    expect(
        "expect.certificate.ocsp = good",
        outcome.code == 0,
        &outcome,
    );
    let (probed, outcome) = probe_json_for(&fixtures, &nginx, "stapled-revoked");
    expect(
        "probe reads the stapled response",
        probed["revocation"]["ocsp_stapled"] == true
            && probed["revocation"]["ocsp_status"] == "revoked",
        &outcome,
    );

    fetched_revocation(&fixtures, &nginx, ocsp_port, crl_listener, &mut expect);

    // `runner serve --ocsp` staples the response openssl made, as nginx does.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut serve = runner(
        &fixtures,
        &[
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--cert",
            "server-chain.crt",
            "--key",
            "server.key",
            "--ocsp",
            "server.ocsp",
        ],
    );
    let mut serving = serve
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("runner serve starts");
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    fs::write(
        fixtures.join("serve-ocsp.toml"),
        format!("[endpoints.serve]\nurl = \"https://localhost:{port}\"\nsecure_socket = {{ cert = \"root.crt\", revocation = {{ ocsp_stapling = \"require\" }} }}\n\n[[requests]]\nname = \"stapled\"\npath = \"/get\"\noutput = \"none\"\nexpect = {{ certificate = {{ ocsp = \"good\" }} }}\n"),
    )
    .expect("writable");
    let outcome = run(runner(&fixtures, &["run", "serve-ocsp.toml"]));
    let _ = serving.kill();
    let _ = serving.wait();
    expect(
        "runner serve --ocsp staples a good response",
        outcome.code == 0,
        &outcome,
    );

    let outcome = probe(
        &fixtures,
        &nginx,
        "revoked",
        "crl-revoked",
        &format!("cert = \"root.crt\"\n{both}"),
    );
    expect(
        "the revocation names its reason and CRL",
        outcome
            .stderr
            .contains("(key compromise) according to the CRL inter.crl"),
        &outcome,
    );

    // `runner probe` against nginx: versions and suites, client authentication and the CAs
    // nginx names, and a starter suite that runs.
    let probe_json = |scenario: &str| probe_json_for(&fixtures, &nginx, scenario);
    probes_whole(&fixtures, &nginx, &mut expect);
    let (probed, outcome) = probe_json("tls12-two");
    expect(
        "probe tls12-two",
        probed["protocols"]
            == serde_json::json!([
                {
                    "version": "TLSv1.2",
                    "accepted": true,
                    "cipher_suites": [
                        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
                        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"
                    ],
                    "preferred": "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
                    "server_order": true
                },
                { "version": "TLSv1.3", "accepted": false, "cipher_suites": [], "preferred": null, "server_order": false }
            ])
            && probed["verification"][0]["verified"] == true
            && probed["chain"].as_array().map(Vec::len) == Some(2),
        &outcome,
    );
    let (probed, outcome) = probe_json("required");
    expect(
        "probe required",
        probed["client_auth"]["required"] == true
            && probed["client_auth"]["acceptable_cas"] == serde_json::json!([root_subject.clone()]),
        &outcome,
    );
    let (probed, outcome) = probe_json("main");
    expect(
        "probe main",
        probed["client_auth"]["requested"] == true && probed["client_auth"]["required"] == false,
        &outcome,
    );
    let starter = run(runner(
        &fixtures,
        &[
            "probe",
            &format!("https://localhost:{}/", nginx.port("main")),
            "--cert",
            "root.crt",
            "--suite",
        ],
    ));
    fs::write(fixtures.join("starter.toml"), &starter.stdout).expect("writable");
    let outcome = run(runner(&fixtures, &["run", "starter.toml", "-q"]));
    expect(
        &format!("the starter suite runs:\n{}", starter.stdout),
        outcome.code == 0,
        &outcome,
    );

    // Pipelines against nginx: a cookie login, a gzip answer decoded (and kept as it came with
    // `decode = false`), and a multipart upload that nginx reads whole and stores.
    fs::write(fixtures.join("report.csv"), "week,passed\n48,1022\n").expect("writable");
    fs::write(
        fixtures.join("pipeline.toml"),
        format!(
            r#"[endpoints.nginx]
url = "https://localhost:{port}"
secure_socket = {{ cert = "root.crt" }}

[[requests]]
name = "login"
path = "/login"
output = "none"
expect = {{ cookies = {{ session = {{ exists = true }} }} }}

[[requests]]
name = "me"
path = "/me"
output = "none"
expect = {{ json = {{ "$.user" = "alice" }} }}

[[requests]]
name = "me, as it came"
path = "/me"
decode = false
output = "me.gz"

[[requests]]
name = "upload"
method = "POST"
path = "/upload"
multipart = {{ title = "weekly", report = {{ file = "report.csv", content_type = "text/csv" }} }}
"#,
            port = nginx.port("pipeline")
        ),
    )
    .expect("writable");
    let _ = fs::remove_file(fixtures.join("me.gz"));
    let outcome = run(runner(&fixtures, &["run", "pipeline.toml"]));
    let stored = seen(&outcome);
    let upload = stored["file"]
        .as_str()
        .and_then(|file| fs::read_to_string(file).ok())
        .unwrap_or_default();
    let boundary = stored["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("multipart/form-data; boundary="))
        .unwrap_or("(none)");
    let gzip = fs::read(fixtures.join("me.gz")).unwrap_or_default();
    expect(
        &format!("pipeline (upload as nginx stored it:\n{upload})"),
        outcome.code == 0
            && gzip.starts_with(&[0x1f, 0x8b])
            && upload.starts_with(&format!("--{boundary}\r\n"))
            && upload.contains("Content-Disposition: form-data; name=\"title\"\r\n\r\nweekly\r\n")
            && upload.contains(
                "Content-Disposition: form-data; name=\"report\"; filename=\"report.csv\"\r\nContent-Type: text/csv\r\n\r\nweek,passed\n48,1022\n\r\n",
            )
            && upload.ends_with(&format!("--{boundary}--\r\n")),
        &outcome,
    );

    // -v against nginx: the request line, every header actually sent (also those runner adds)
    // and every header nginx sent back, under the request's line.
    let outcome = run(runner(
        &fixtures,
        &["run", "pipeline.toml", "-v", "--only", "login"],
    ));
    let logs = outcome.stderr.clone();
    let at = |text: &str| logs.find(text).unwrap_or(usize::MAX);
    expect(
        "-v against nginx",
        outcome.code == 0
            && at("login: GET https://localhost:")
                < at(&format!(
                    "  > GET https://localhost:{}/login\n",
                    nginx.port("pipeline")
                ))
            && at(&format!(
                "  > GET https://localhost:{}/login\n",
                nginx.port("pipeline")
            )) < at("  > user-agent: runner/")
            && logs.contains("  > accept-encoding: zstd,gzip,deflate,br\n")
            && logs.contains("  < server: nginx")
            && logs.contains("  < set-cookie: session=nginx-s3ss; Path=/; HttpOnly\n"),
        &outcome,
    );

    // nginx as a forward proxy for http:// URLs, in clear text and as an https:// proxy whose
    // certificate `proxy.cert` trusts (and, with the wrong CA, refuses, naming the proxy).
    for (name, proxy, via, code) in [
        (
            "forward",
            format!("url = \"http://127.0.0.1:{}\"", nginx.port("forward")),
            "forward",
            0,
        ),
        (
            "forward-tls",
            format!(
                "url = \"https://localhost:{}\", cert = \"root.crt\"",
                nginx.port("forward-tls")
            ),
            "forward-tls",
            0,
        ),
        (
            "forward-tls-untrusted",
            format!(
                "url = \"https://localhost:{}\", cert = \"other-ca.crt\"",
                nginx.port("forward-tls")
            ),
            "",
            3,
        ),
    ] {
        fs::write(
            fixtures.join(format!("{name}.toml")),
            format!(
                "[endpoints.plain]\nurl = \"http://127.0.0.1:{}\"\nproxy = {{ {proxy} }}\n\n[[requests]]\nname = \"{name}\"\npath = \"/hello\"\n",
                nginx.port("plain")
            ),
        )
        .expect("writable");
        let outcome = run(runner(&fixtures, &["run", &format!("{name}.toml")]));
        let proxy_port = nginx.port(if via.is_empty() { "forward-tls" } else { via });
        let ok = if code == 0 {
            outcome.code == 0
                && seen(&outcome)["via"] == via
                && outcome.stderr.contains(&format!(
                    " via proxy {}:{proxy_port}",
                    if via == "forward" {
                        "127.0.0.1"
                    } else {
                        "localhost"
                    }
                ))
        } else {
            outcome.code == code
                && outcome.stderr.contains(&format!(
                    "the proxy localhost:{proxy_port} presented a certificate that is not trusted: nothing trusted issued it"
                ))
        };
        expect(name, ok, &outcome);
    }

    // HTTP/2 forced on a server that speaks only HTTP/1.1 (no `http2` in nginx), and a
    // deployment reached by address under its real name.
    let main = nginx.port("main");
    for (name, settings, code, wanted) in [
        (
            "h2-refused",
            format!("url = \"https://localhost:{main}\"\nhttp_version = \"2\""),
            3,
            "the server speaks none of the HTTP versions runner offered in ALPN: h2 (http_version = \"2\")",
        ),
        (
            "connect-to",
            format!("url = \"https://localhost:1\"\nconnect_to = \"127.0.0.1:{main}\""),
            0,
            "connect-to: GET https://localhost:1/ -> 200 OK",
        ),
    ] {
        fs::write(
            fixtures.join(format!("{name}.toml")),
            format!(
                "[endpoints.nginx]\n{settings}\nsecure_socket = {{ cert = \"root.crt\" }}\n\n[[requests]]\nname = \"{name}\"\npath = \"/\"\n"
            ),
        )
        .expect("writable");
        let outcome = run(runner(&fixtures, &["run", &format!("{name}.toml")]));
        expect(
            name,
            outcome.code == code && outcome.stderr.contains(wanted),
            &outcome,
        );
    }

    // Failures, each with its whole message.
    let failures_expected = failure_cases(&fixtures);
    for (scenario, name, socket, message) in &failures_expected {
        let outcome = probe(&fixtures, &nginx, scenario, name, socket);
        let now = outcome
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("  now: "))
            .unwrap_or_default();
        let message = message
            .replace("{port}", &nginx.port(scenario).to_string())
            .replace("{now}", now);
        let logs = outcome
            .stderr
            .rsplit_once("1 file, 1 request: ")
            .map_or(outcome.stderr.as_str(), |(l, _)| l);
        let logs = &without_timings(logs);
        let ok = outcome.code == 3 && *logs == message;
        expect(
            &format!("{name}, which should say:\n{message}\n"),
            ok,
            &outcome,
        );
    }
    drop(nginx);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `revocation.fetch` against a live `openssl ocsp -port` responder and a CRL served on
/// loopback: a second handshake asks nobody (the cache), a revoked certificate is named with
/// the responder that said so, and without the responder the CRL answers.
fn fetched_revocation(
    fixtures: &Path,
    nginx: &Nginx,
    ocsp_port: u16,
    listener: std::net::TcpListener,
    expect: &mut impl FnMut(&str, bool, &Run),
) {
    use std::io::{BufRead, Write};
    // The CRL distribution point: every GET gets the DER CRL; hits are counted.
    let crl = fs::read(fixtures.join("inter.crl.der")).expect("the DER CRL");
    let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let crl_port = listener.local_addr().expect("the CRL address").port();
    let counted = std::sync::Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = std::io::BufReader::new(&stream);
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let mut stream = &stream;
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                crl.len()
            );
            let _ = stream.write_all(&crl);
        }
    });
    let log = fixtures.join("responder.log");
    let mut responder = Command::new("openssl")
        .args([
            "ocsp",
            "-index",
            "responder.idx",
            "-port",
            &ocsp_port.to_string(),
        ])
        .args([
            "-rsigner",
            "inter.crt",
            "-rkey",
            "inter.key",
            "-CA",
            "inter.crt",
        ])
        .args(["-ndays", "1"])
        .current_dir(fixtures)
        .stdout(Stdio::null())
        // It says "Received request" on stderr for each request, unbuffered.
        .stderr(fs::File::create(&log).expect("writable"))
        .spawn()
        .expect("openssl runs");
    let deadline = Instant::now() + Duration::from_secs(10);
    // Ready when it says so (a connection to see whether it listens would hold it up: it
    // serves one connection at a time). It listens on IPv6: the certificates name [::1].
    while !fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("waiting for OCSP client connections")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let answered = || {
        fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("Received request")
            .count()
    };
    let suite = |scenario: &str, endpoints: usize| {
        let socket = "secure_socket = { cert = \"root.crt\", revocation = { fetch = true, scope = \"end-entity\" } }";
        let mut text = String::new();
        for e in 1..=endpoints {
            text.push_str(&format!(
                "[endpoints.e{e}]\nurl = \"https://localhost:{}\"\n{socket}\n\n",
                nginx.port(scenario)
            ));
        }
        for e in 1..=endpoints {
            text.push_str(&format!("[[requests]]\nname = \"r{e}\"\nendpoint = \"e{e}\"\npath = \"/\"\noutput = \"none\"\n\n"));
        }
        let file = format!("{scenario}-fetch.toml");
        fs::write(fixtures.join(&file), text).expect("writable");
        run(runner(fixtures, &["run", &file]))
    };
    // Two endpoints, two handshakes: the responder is asked once.
    let outcome = suite("fetched", 2);
    expect(
        &format!(
            "fetch-good: one OCSP answer for two handshakes ({} answered)",
            answered()
        ),
        outcome.code == 0 && answered() == 1,
        &outcome,
    );
    let outcome = suite("fetched-revoked", 1);
    expect(
        "fetch-revoked by the responder",
        outcome.code == 3
            && outcome.stderr.contains(&format!(
                "(key compromise) according to the OCSP responder at http://[::1]:{ocsp_port}/"
            )),
        &outcome,
    );
    let _ = responder.kill();
    let _ = responder.wait();
    // Without the responder, the CRL answers (and is fetched once).
    let outcome = {
        // Another process: its cache is empty.
        let text = fs::read_to_string(fixtures.join("fetched-fetch.toml")).unwrap_or_default();
        fs::write(
            fixtures.join("crl-fetch.toml"),
            text.replace(
                &nginx.port("fetched").to_string(),
                &nginx.port("fetched-revoked").to_string(),
            ),
        )
        .expect("writable");
        run(runner(fixtures, &["run", "crl-fetch.toml"]))
    };
    expect(
        &format!(
            "fetch-revoked by the CRL ({} fetches)",
            hits.load(std::sync::atomic::Ordering::SeqCst)
        ),
        outcome.code == 3
            && outcome.stderr.contains(&format!(
                "(key compromise) according to the CRL at http://127.0.0.1:{crl_port}/inter.crl"
            ))
            && hits.load(std::sync::atomic::Ordering::SeqCst) == 1,
        &outcome,
    );
    // A certificate that names no source: its status is unknown, refused unless allowed.
    let unnamed = |unknown: &str| {
        fs::write(
            fixtures.join("fetch-unknown.toml"),
            format!(
                "[endpoints.main]\nurl = \"https://localhost:{}\"\nsecure_socket = {{ cert = \"root.crt\", revocation = {{ fetch = true, scope = \"end-entity\", unknown = \"{unknown}\" }} }}\n\n[[requests]]\nname = \"main\"\npath = \"/\"\noutput = \"none\"\n",
                nginx.port("main")
            ),
        )
        .expect("writable");
        run(runner(fixtures, &["run", "fetch-unknown.toml"]))
    };
    let outcome = unnamed("deny");
    let leaf = crate::support::cert_info(&fixtures.join("server.crt")).subject;
    expect(
        "fetch-unknown",
        outcome.code == 3
            && outcome.stderr.contains(&format!(
                "the revocation status of the server's certificate {leaf} is unknown: no source answered\n    - the certificate names no OCSP responder and no CRL\n"
            )),
        &outcome,
    );
    let outcome = unnamed("allow");
    expect("fetch-unknown allowed", outcome.code == 0, &outcome);
}

/// `runner probe --output json`, whole, for the blocks that differ in what a probe finds: the
/// main block (client certificate optional), the required one, TLS 1.2 with two suites in the
/// server's order, and a stapling one. The chain is read from the fixtures; a reason is
/// compared by its first line (the rest is `run`'s message, tested elsewhere), and the days
/// left by being there.
fn probes_whole(fixtures: &Path, nginx: &Nginx, expect: &mut impl FnMut(&str, bool, &Run)) {
    use serde_json::{Value, json};
    let cert = |name: &str| {
        let c = crate::support::cert_info(&fixtures.join(name));
        let time = runner::tls::inspect::format_time;
        json!({
            "subject": c.subject, "issuer": c.issuer, "names": c.names,
            "not_before": time(c.not_before), "not_after": time(c.not_after), "days_left": "N",
            "key": c.key_type, "serial": c.serial, "sha256": c.sha256, "spki_sha256": c.spki_sha256
        })
    };
    let root = crate::support::cert_info(&fixtures.join("root.crt")).subject;
    let tls12_all = [
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ];
    let protocols = |suites: &[&str], preferred: &str, server_order: bool| {
        json!([
            { "version": "TLSv1.2", "accepted": true, "cipher_suites": suites, "preferred": preferred, "server_order": server_order },
            { "version": "TLSv1.3", "accepted": false, "cipher_suites": [], "preferred": null, "server_order": false }
        ])
    };
    let auth = |requested: bool, required: bool| {
        json!({
            "requested": requested,
            "required": required,
            "acceptable_cas": if requested { json!([root.clone()]) } else { json!([]) },
            "signature_schemes": "N",
            "identity": null
        })
    };
    let untrusted = "the server's certificate is not trusted: nothing trusted issued it";
    let tls13_all = [
        "TLS_AES_256_GCM_SHA384",
        "TLS_AES_128_GCM_SHA256",
        "TLS_CHACHA20_POLY1305_SHA256",
    ];
    let only13 = json!([
        { "version": "TLSv1.2", "accepted": false, "cipher_suites": [], "preferred": null, "server_order": false },
        { "version": "TLSv1.3", "accepted": true, "cipher_suites": tls13_all, "preferred": tls13_all[0], "server_order": false }
    ]);
    // The chain (files), what the given trust and the system's say (`None`: verified), the
    // status of a GET, the versions and suites, client authentication, and stapling.
    let whole = |scenario: &str,
                 chain: &[&str],
                 reasons: [Option<&str>; 2],
                 status: Option<u16>,
                 protocols: Value,
                 auth: Value,
                 stapled: Option<&str>| {
        json!({
            "url": format!("https://localhost:{}/", nginx.port(scenario)),
            "chain": chain.iter().map(|c| cert(c)).collect::<Vec<_>>(),
            "verification": [
                { "against": "the trust given (root.crt)", "verified": reasons[0].is_none(), "reason": reasons[0] },
                { "against": "the system's trust store", "verified": reasons[1].is_none(), "reason": reasons[1] }
            ],
            "protocols": protocols,
            "alpn": [{ "protocol": "h2", "accepted": false }, { "protocol": "http/1.1", "accepted": true }],
            "session_resumption": true,
            "status": status,
            "client_auth": auth,
            "revocation": { "ocsp_stapled": stapled.is_some(), "ocsp_status": stapled, "crl_urls": [], "ocsp_urls": [] }
        })
    };
    let served = ["server.crt", "inter.crt"];
    let all12 = || protocols(&tls12_all, tls12_all[0], false);
    let cases = [
        (
            "main",
            whole(
                "main",
                &served,
                [None, Some(untrusted)],
                Some(200),
                all12(),
                auth(true, false),
                None,
            ),
        ),
        (
            "required",
            whole(
                "required",
                &served,
                [None, Some(untrusted)],
                Some(400),
                all12(),
                auth(true, true),
                None,
            ),
        ),
        (
            "tls12-two",
            whole(
                "tls12-two",
                &served,
                [None, Some(untrusted)],
                Some(200),
                protocols(&[tls12_all[1], tls12_all[2]], tls12_all[2], true),
                auth(false, false),
                None,
            ),
        ),
        (
            "tls13",
            whole(
                "tls13",
                &served,
                [None, Some(untrusted)],
                Some(200),
                only13,
                auth(false, false),
                None,
            ),
        ),
        (
            "stapled-good",
            whole(
                "stapled-good",
                &served,
                [None, Some(untrusted)],
                Some(200),
                all12(),
                auth(false, false),
                Some("good"),
            ),
        ),
        (
            "wrong-name",
            whole(
                "wrong-name",
                &["wrong-name.crt", "inter.crt"],
                [
                    Some("the server's certificate is not valid for the name localhost"),
                    Some(untrusted),
                ],
                None,
                all12(),
                auth(false, false),
                None,
            ),
        ),
        (
            "expired",
            whole(
                "expired",
                &["expired.crt", "inter.crt"],
                [Some("the server's certificate expired on 2020-02-01 00:00:00 UTC"); 2],
                None,
                all12(),
                auth(false, false),
                None,
            ),
        ),
        (
            "selfsigned",
            whole(
                "selfsigned",
                &["selfsigned.crt"],
                [Some("the server's certificate is self-signed and not trusted"); 2],
                None,
                all12(),
                auth(false, false),
                None,
            ),
        ),
    ];
    for (scenario, wanted) in cases {
        let (mut probed, outcome) = probe_json_for(fixtures, nginx, scenario);
        let days = probed["chain"][0]["days_left"].as_i64().unwrap_or(-1);
        for cert in probed["chain"].as_array_mut().into_iter().flatten() {
            cert["days_left"] = json!("N");
        }
        probed["client_auth"]["signature_schemes"] = json!("N");
        for check in probed["verification"].as_array_mut().into_iter().flatten() {
            if let Some(first) = check["reason"]
                .as_str()
                .and_then(|r| r.lines().next())
                .map(str::to_owned)
            {
                check["reason"] = json!(first);
            }
        }
        expect(
            &format!(
                "probe {scenario}, whole:\n{}",
                serde_json::to_string_pretty(&wanted).unwrap_or_default()
            ),
            probed == wanted && (days >= 28) == (scenario != "expired"),
            &outcome,
        );
    }
}

/// `runner probe --output json` of a scenario, trusting the root.
fn probe_json_for(fixtures: &Path, nginx: &Nginx, scenario: &str) -> (serde_json::Value, Run) {
    let outcome = run(runner(
        fixtures,
        &[
            "probe",
            &format!("https://localhost:{}/", nginx.port(scenario)),
            "--cert",
            "root.crt",
            "--output",
            "json",
        ],
    ));
    (
        serde_json::from_str::<serde_json::Value>(&outcome.stdout).unwrap_or_default(),
        outcome,
    )
}

/// " in 34 ms" becomes " in N ms".
fn without_timings(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let after = &rest[at + 4..];
        let digits = after.chars().take_while(char::is_ascii_digit).count();
        out.push_str(&rest[..at]);
        if digits > 0 && after[digits..].starts_with(" ms") {
            out.push_str(" in N ms");
            rest = &after[digits + 3..];
        } else {
            out.push_str(" in ");
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// (scenario, request name, `secure_socket`, the whole diagnostic) for each failure. Names and
/// dates come from the fixtures, as openssl wrote them.
fn failure_cases(fixtures: &Path) -> Vec<(&'static str, &'static str, String, String)> {
    let info = |name: &str| crate::support::cert_info(&fixtures.join(name));
    let described = |name: &str| {
        let c = info(name);
        format!(
            "{} (issued by {}, valid until {})",
            c.subject,
            c.issuer,
            runner::tls::inspect::format_time(c.not_after)
        )
    };
    // As openssl prints them: the fingerprint and the public key's hash.
    let prints = |name: &str| {
        let openssl = |script: String| {
            let out = Command::new("bash")
                .arg("-c")
                .arg(script)
                .current_dir(fixtures)
                .output()
                .expect("openssl runs");
            String::from_utf8_lossy(&out.stdout).trim().to_owned()
        };
        format!(
            "sha256 {}, spki_sha256 {}",
            openssl(format!(
                "openssl x509 -in {name} -noout -fingerprint -sha256 | cut -d= -f2"
            )),
            openssl(format!(
                "openssl x509 -in {name} -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64"
            ))
        )
    };
    let (root, other_ca, other_client) = (
        info("root.crt"),
        info("other-ca.crt"),
        info("client-other.crt"),
    );
    let add_key = "add `key = { cert_file = \"client.crt\", key_file = \"client.key\" }` (or a PKCS#12 `key = { path, password }`) to `secure_socket`";
    vec![
        (
            "main",
            "untrusted",
            "cert = \"other-ca.crt\"".to_owned(),
            format!(
                "error: untrusted: GET https://localhost:{{port}}/: the server's certificate is not trusted: nothing trusted issued it
  the server presented:
    - {}
      {}
    - {}
      {}
  trusted: other-ca.crt (1 certificate)
    - {} (sha256 {})
  = help: add the CA certificate of {} to `cert`, or pin the server's own certificate there
",
                described("server.crt"),
                prints("server.crt"),
                described("inter.crt"),
                prints("inter.crt"),
                other_ca.subject,
                other_ca.sha256,
                root.subject
            ),
        ),
        (
            "required",
            "no-identity",
            "cert = \"root.crt\"".to_owned(),
            format!(
                "no-identity: GET https://localhost:{{port}}/ -> 400 Bad Request in N ms, TLSv1.2, no client certificate
error: no-identity: the server asked for a client certificate and none is configured
  it answered 400 Bad Request: \"No required SSL certificate was sent\" (nginx)
  it accepts client certificates issued by: {}
  = help: {add_key}
",
                root.subject
            ),
        ),
        (
            "required",
            "foreign-identity",
            "cert = \"root.crt\"\nkey = { cert_file = \"client-other.crt\", key_file = \"client-other.key\" }".to_owned(),
            format!(
                "foreign-identity: GET https://localhost:{{port}}/ -> 400 Bad Request in N ms, TLSv1.2, client certificate presented
error: foreign-identity: the server refused the client certificate {}
  it answered 400 Bad Request: nginx does so when it cannot verify a client certificate
  client certificate: {}
  = help: the server must trust {}; check its client CA list, and the certificate's dates and key usage
",
                other_client.subject,
                described("client-other.crt"),
                other_client.issuer
            ),
        ),
        (
            "tls12",
            "too-new",
            "cert = \"root.crt\"\nprotocol = { versions = [\"TLSv1.3\"] }".to_owned(),
            "error: too-new: GET https://localhost:{port}/: no common TLS protocol version: the server refused the versions offered
  runner offered: TLSv1.3
  = help: widen `protocol.versions` (rustls speaks TLS 1.2 and 1.3), or update the server
"
            .to_owned(),
        ),
        (
            "tls13",
            "too-old",
            "cert = \"root.crt\"\nprotocol = { versions = [\"TLSv1.2\"] }".to_owned(),
            "error: too-old: GET https://localhost:{port}/: no common TLS protocol version: the server refused the versions offered
  runner offered: TLSv1.2
  = help: widen `protocol.versions` (rustls speaks TLS 1.2 and 1.3), or update the server
"
            .to_owned(),
        ),
        (
            "wrong-name",
            "wrong-name",
            "cert = \"root.crt\"".to_owned(),
            "error: wrong-name: GET https://localhost:{port}/: the server's certificate is not valid for the name localhost
  it names: wrong.example
  asked for: localhost
  = help: use a URL with one of its names, or set `server_name`; `verify_hostname = false` skips this check (for tests only)
"
            .to_owned(),
        ),
        (
            "selfsigned",
            "self-signed-untrusted",
            "cert = \"root.crt\"".to_owned(),
            format!(
                "error: self-signed-untrusted: GET https://localhost:{{port}}/: the server's certificate is self-signed and not trusted
  the server presented: {}
    {}
  trusted: root.crt (1 certificate)
    - {} (sha256 {})
  = help: pin it: put the server's own certificate in `cert` (its file, or `openssl s_client -showcerts` output)
",
                described("selfsigned.crt"),
                prints("selfsigned.crt"),
                root.subject,
                root.sha256
            ),
        ),
        (
            "expired",
            "expired",
            "cert = \"root.crt\"".to_owned(),
            format!(
                "error: expired: GET https://localhost:{{port}}/: the server's certificate expired on 2020-02-01 00:00:00 UTC
  now: {{now}}
  certificate: {}
  = help: the server must renew its certificate; `enable = false` skips verification (for tests only)
",
                described("expired.crt")
            ),
        ),
    ]
}
