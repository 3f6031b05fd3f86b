//! The TLS builder: every `secure_socket` set-up loads from files made at test time, and its
//! `ClientConfig` completes (or refuses) real handshakes with an in-process rustls server.

use std::fs;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use runner::config::CommandLineVars;
use runner::tls::TlsClient;
use rustls::pki_types::ServerName;
use rustls::{AlertDescription, CertificateError, Error as TlsError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::pki;
use crate::server::{self, Options, Seen};

/// Writes a suite whose one endpoint has this `secure_socket` body, in the PKI folder so that
/// file names need no path.
fn suite(name: &str, socket: &str) -> PathBuf {
    let text = format!(
        "[endpoints.api]\nurl = \"https://localhost:8443\"\n\n[endpoints.api.secure_socket]\n{socket}\n"
    );
    fs::write(pki::dir().join(format!("{name}.toml")), text).expect("writable");
    pki::path(&format!("{name}.toml"))
}

/// Loads the suite and builds its endpoint's TLS; the error is the whole rendered diagnostic.
fn build(name: &str, socket: &str) -> Result<TlsClient, String> {
    let loaded = runner::load::load(
        &suite(name, &pki::hermetic(socket)),
        &CommandLineVars::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(loaded
        .tls
        .into_iter()
        .next()
        .flatten()
        .expect("an https endpoint"))
}

fn built(name: &str, socket: &str) -> TlsClient {
    build(name, socket).unwrap_or_else(|error| panic!("{name} does not load:\n{error}"))
}

/// A handshake and one exchange; the error is rustls' own, typed.
async fn handshake(client: &TlsClient, addr: SocketAddr) -> Result<(), TlsError> {
    let name = client
        .server_name
        .clone()
        .unwrap_or_else(|| ServerName::try_from("localhost").expect("a name"));
    let tcp = TcpStream::connect(addr).await.expect("the server listens");
    let as_tls = |error: std::io::Error| {
        error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<TlsError>())
            .cloned()
            .unwrap_or_else(|| TlsError::General(error.to_string()))
    };
    let mut tls = TlsConnector::from(Arc::clone(&client.config))
        .connect(name, tcp)
        .await
        .map_err(as_tls)?;
    tls.write_all(b"hello\n").await.map_err(as_tls)?;
    let mut answer = String::new();
    tls.read_to_string(&mut answer).await.map_err(as_tls)?;
    assert_eq!(answer, "ok\n");
    Ok(())
}

fn server_options(cert: &'static str) -> Options<'static> {
    let key: &'static str = Box::leak(cert.replace(".crt", ".key").into_boxed_str());
    Options::new(cert, key)
}

#[tokio::test]
async fn pinned_self_signed_ca_true_server() {
    let server = server::start(server_options("selfsigned.crt")).await;
    let client = built("pin-selfsigned", "cert = \"selfsigned.crt\"");
    assert_eq!(handshake(&client, server.addr).await, Ok(()));
    assert_eq!(client.trust.count, 1);
}

#[tokio::test]
async fn pinned_leaf_is_trusted_exactly() {
    let server = server::start(server_options("server.crt")).await;
    let client = built("pin-leaf", "cert = \"server.crt\"");
    assert_eq!(handshake(&client, server.addr).await, Ok(()));
    // Another certificate of the same CA is not the pinned one.
    let other = server::start(server_options("server-rsa.crt")).await;
    assert_eq!(
        handshake(&client, other.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    );
}

#[tokio::test]
async fn ca_bundle_pem_and_der() {
    let server = server::start(server_options("server.crt")).await;
    for (name, socket) in [
        ("bundle", "cert = \"bundle.crt\""),
        ("der", "cert = \"ca.cer\""),
        ("array", "cert = [\"other-ca.crt\", \"ca.crt\"]"),
    ] {
        let client = built(name, socket);
        assert_eq!(handshake(&client, server.addr).await, Ok(()), "{name}");
    }
    let unrelated = built("unrelated", "cert = \"other-ca.crt\"");
    assert_eq!(
        handshake(&unrelated, server.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    );
}

#[tokio::test]
async fn truststores_from_openssl_and_keytool() {
    let server = server::start(server_options("server.crt")).await;
    for store in ["trust-openssl.p12", "trust-keytool.p12"] {
        let client = built(
            store,
            &format!(
                "cert = {{ path = \"{store}\", password = \"{}\" }}",
                pki::PASSWORD
            ),
        );
        assert_eq!(client.trust.count, 1, "{store}");
        assert_eq!(handshake(&client, server.addr).await, Ok(()), "{store}");
    }
}

/// Every identity form reaches the server, which sees the client certificate's subject.
#[tokio::test]
async fn mutual_tls_with_every_identity_form() {
    let mut options = server_options("server.crt");
    options.client_ca = Some("ca.crt");
    options.require_client_cert = true;
    let server = server::start(options).await;
    let pw = pki::PASSWORD;
    let cases = [
        (
            "rsa-pkcs8",
            "{ cert_file = \"client-rsa.crt\", key_file = \"client-rsa.key\" }".to_owned(),
            "client rsa",
        ),
        (
            "rsa-pkcs1",
            "{ cert_file = \"client-rsa.crt\", key_file = \"client-rsa-pkcs1.key\" }".to_owned(),
            "client rsa",
        ),
        (
            "rsa-der",
            "{ cert_file = \"client-rsa.crt\", key_file = \"client-rsa.der\" }".to_owned(),
            "client rsa",
        ),
        (
            "rsa-encrypted",
            format!(
                "{{ cert_file = \"client-rsa.crt\", key_file = \"client-rsa-enc.key\", key_password = \"{pw}\" }}"
            ),
            "client rsa",
        ),
        (
            "p256-sec1",
            "{ cert_file = \"client-p256.crt\", key_file = \"client-p256-sec1.key\" }".to_owned(),
            "client p256",
        ),
        (
            "p384",
            "{ cert_file = \"client-p384.crt\", key_file = \"client-p384.key\" }".to_owned(),
            "client p384",
        ),
        (
            "ed25519",
            "{ cert_file = \"client-ed25519.crt\", key_file = \"client-ed25519.key\" }".to_owned(),
            "client ed25519",
        ),
        (
            "p12-openssl",
            format!("{{ path = \"client.p12\", password = \"{pw}\" }}"),
            "client rsa",
        ),
        (
            "p12-legacy",
            format!("{{ path = \"client-legacy.p12\", password = \"{pw}\" }}"),
            "client rsa",
        ),
        (
            "p12-keytool",
            format!("{{ path = \"client-keytool.p12\", password = \"{pw}\" }}"),
            "client rsa",
        ),
        (
            "p12-nopass",
            "{ path = \"client-nopass.p12\" }".to_owned(),
            "client p256",
        ),
    ];
    for (name, key, cn) in &cases {
        let client = built(name, &format!("cert = \"ca.crt\"\nkey = {key}"));
        assert_eq!(handshake(&client, server.addr).await, Ok(()), "{name}");
        let seen = server.seen();
        let last = seen.last().expect("a handshake");
        assert_eq!(
            last.client.as_deref(),
            Some(format!("CN={cn}, O=runner tests").as_str()),
            "{name}"
        );
        let identity = client.identity.as_ref().expect("an identity");
        assert_eq!(
            identity.leaf.subject,
            format!("CN={cn}, O=runner tests"),
            "{name}"
        );
    }
    assert_eq!(server.seen().len(), cases.len());
}

#[tokio::test]
async fn a_required_client_certificate_that_is_missing() {
    let mut options = server_options("server.crt");
    options.client_ca = Some("ca.crt");
    options.require_client_cert = true;
    let server = server::start(options).await;
    let client = built("no-identity", "cert = \"ca.crt\"");
    assert_eq!(
        handshake(&client, server.addr).await,
        Err(TlsError::AlertReceived(
            AlertDescription::CertificateRequired
        ))
    );
    // A client of another CA is refused too.
    let other = built(
        "other-identity",
        "cert = \"ca.crt\"\nkey = { cert_file = \"client-other.crt\", key_file = \"client-other.key\" }",
    );
    assert_eq!(
        handshake(&other, server.addr).await,
        Err(TlsError::AlertReceived(AlertDescription::UnknownCA))
    );
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn enable_false_accepts_an_expired_certificate_and_still_presents_the_identity() {
    let mut options = server_options("expired.crt");
    options.client_ca = Some("ca.crt");
    let server = server::start(options).await;
    let strict = built("expired-strict", "cert = \"ca.crt\"");
    assert!(matches!(
        handshake(&strict, server.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::ExpiredContext { .. }
        ))
    ));
    let loose = built(
        "expired-loose",
        "enable = false\nkey = { cert_file = \"client-p256.crt\", key_file = \"client-p256.key\" }",
    );
    assert!(loose.danger_accept_invalid_certs);
    assert_eq!(handshake(&loose, server.addr).await, Ok(()));
    assert_eq!(
        server
            .seen()
            .last()
            .and_then(|s| s.client.clone())
            .as_deref(),
        Some("CN=client p256, O=runner tests")
    );
}

#[tokio::test]
async fn pinned_certificate_dates_are_still_checked() {
    let server = server::start(server_options("expired.crt")).await;
    let client = built("pin-expired", "cert = \"expired.crt\"");
    assert!(matches!(
        handshake(&client, server.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::ExpiredContext { .. }
        ))
    ));
}

#[tokio::test]
async fn verify_hostname_false_checks_everything_but_the_name() {
    let server = server::start(server_options("wrong-name.crt")).await;
    let strict = built("name-strict", "cert = \"ca.crt\"");
    assert!(matches!(
        handshake(&strict, server.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::NotValidForNameContext { .. }
        ))
    ));
    let loose = built("name-loose", "cert = \"ca.crt\"\nverify_hostname = false");
    assert_eq!(handshake(&loose, server.addr).await, Ok(()));
    // The chain is still checked.
    let unrelated = built(
        "name-loose-unrelated",
        "cert = \"other-ca.crt\"\nverify_hostname = false",
    );
    assert_eq!(
        handshake(&unrelated, server.addr).await,
        Err(TlsError::InvalidCertificate(
            CertificateError::UnknownIssuer
        ))
    );
    // So are the names of a pinned certificate, unless told otherwise.
    let pinned = built("name-pinned", "cert = \"wrong-name.crt\"");
    assert!(handshake(&pinned, server.addr).await.is_err());
    let pinned_loose = built(
        "name-pinned-loose",
        "cert = \"wrong-name.crt\"\nverify_hostname = false",
    );
    assert_eq!(handshake(&pinned_loose, server.addr).await, Ok(()));
}

#[tokio::test]
async fn server_name_is_sent_and_verified() {
    let server = server::start(server_options("api-internal.crt")).await;
    let client = built(
        "server-name",
        "cert = \"ca.crt\"\nserver_name = \"api.internal\"",
    );
    assert_eq!(
        client
            .server_name
            .as_ref()
            .map(|n| n.to_str().into_owned())
            .as_deref(),
        Some("api.internal")
    );
    assert_eq!(handshake(&client, server.addr).await, Ok(()));
    let without = built("server-name-absent", "cert = \"ca.crt\"");
    assert!(handshake(&without, server.addr).await.is_err());
}

#[tokio::test]
async fn protocol_versions_are_honoured() {
    let mut options = server_options("server.crt");
    static TLS12_ONLY: [&rustls::SupportedProtocolVersion; 1] = [&rustls::version::TLS12];
    options.versions = &TLS12_ONLY;
    let server = server::start(options).await;
    let tls13 = built(
        "tls13-only",
        "cert = \"ca.crt\"\nprotocol = { versions = [\"TLSv1.3\"] }",
    );
    assert_eq!(
        handshake(&tls13, server.addr).await,
        Err(TlsError::AlertReceived(AlertDescription::ProtocolVersion))
    );
    let tls12 = built(
        "tls12-only",
        "cert = \"ca.crt\"\nprotocol = { versions = [\"TLSv1.2\"] }",
    );
    assert_eq!(handshake(&tls12, server.addr).await, Ok(()));
    assert_eq!(
        server.seen().last().map(|s| s.version.as_str()),
        Some("TLSv1_2")
    );
}

#[tokio::test]
async fn a_cipher_restriction_is_what_the_server_sees() {
    let server = server::start(server_options("server.crt")).await;
    let client = built(
        "cipher13",
        "cert = \"ca.crt\"\nciphers = [\"TLS_CHACHA20_POLY1305_SHA256\"]",
    );
    assert_eq!(handshake(&client, server.addr).await, Ok(()));
    let client = built(
        "cipher12",
        "cert = \"ca.crt\"\nprotocol = { versions = [\"TLSv1.2\"] }\nciphers = [\"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\"]",
    );
    assert_eq!(handshake(&client, server.addr).await, Ok(()));
    let ciphers: Vec<String> = server.seen().into_iter().map(|s| s.cipher).collect();
    assert_eq!(
        ciphers,
        [
            "TLS_CHACHA20_POLY1305_SHA256",
            "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
        ]
    );
    // A suite the server does not offer: no common cipher.
    let mut options = server_options("server.crt");
    options.ciphers = Some(vec![
        rustls::crypto::aws_lc_rs::cipher_suite::TLS13_AES_256_GCM_SHA384,
    ]);
    let picky = server::start(options).await;
    let client = built(
        "cipher-none",
        "cert = \"ca.crt\"\nciphers = [\"TLS_AES_128_GCM_SHA256\"]",
    );
    assert_eq!(
        handshake(&client, picky.addr).await,
        Err(TlsError::AlertReceived(AlertDescription::HandshakeFailure))
    );
}

#[tokio::test]
async fn sessions_are_resumed_unless_told_otherwise() {
    let server = server::start(server_options("server.crt")).await;
    let resumed = |seen: Vec<Seen>| seen.iter().map(|s| s.resumed).collect::<Vec<_>>();
    let shared = built("resume", "cert = \"ca.crt\"");
    handshake(&shared, server.addr).await.expect("first");
    handshake(&shared, server.addr).await.expect("second");
    assert_eq!(resumed(server.seen()), [false, true]);
    let unshared = built("no-resume", "cert = \"ca.crt\"\nshare_session = false");
    handshake(&unshared, server.addr).await.expect("third");
    handshake(&unshared, server.addr).await.expect("fourth");
    assert_eq!(resumed(server.seen()), [false, true, false, false]);
    let timed = built(
        "resume-timeout",
        "cert = \"ca.crt\"\nsession_timeout = \"300ms\"",
    );
    handshake(&timed, server.addr).await.expect("fifth");
    handshake(&timed, server.addr).await.expect("sixth");
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    handshake(&timed, server.addr).await.expect("seventh");
    assert_eq!(
        resumed(server.seen()),
        [false, true, false, false, false, true, false]
    );
}

#[tokio::test]
async fn http_version_sets_alpn() {
    for (name, version, alpn) in [
        ("alpn-1", "1.1", vec![b"http/1.1".to_vec()]),
        ("alpn-2", "2", vec![b"h2".to_vec()]),
        (
            "alpn-auto",
            "auto",
            vec![b"h2".to_vec(), b"http/1.1".to_vec()],
        ),
    ] {
        let text = format!(
            "[endpoints.api]\nurl = \"https://localhost:8443\"\nhttp_version = \"{version}\"\nsecure_socket = {{ cert = \"ca.crt\" }}\n"
        );
        fs::write(pki::dir().join(format!("{name}.toml")), text).expect("writable");
        let loaded = runner::load::load(
            &pki::path(&format!("{name}.toml")),
            &CommandLineVars::default(),
        )
        .expect("loads");
        let client = loaded.tls.into_iter().next().flatten().expect("https");
        assert_eq!(client.config.alpn_protocols, alpn, "{name}");
    }
}

fn expiry_of(name: &str) -> String {
    crate::support::expiry(&pki::dir().join(name))
}

/// `runner check` shows the identity and warns about a certificate that expires soon.
#[test]
fn check_summarises_tls_and_warns_before_expiry() {
    let path = suite(
        "check-soon",
        "cert = [\"ca.crt\", \"expired.crt\"]\nkey = { cert_file = \"client-soon.crt\", key_file = \"client-soon.key\" }",
    );
    let path = path.to_str().expect("UTF-8");
    let outcome = crate::support::run_in(&crate::support::root(), &["check", path]);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let ca = expiry_of("ca.crt");
    let soon = expiry_of("client-soon.crt");
    let expired = expiry_of("expired.crt");
    assert_eq!(
        outcome.stdout,
        format!(
            "{path}: ok, 1 endpoint, 0 requests
  endpoint api: https://localhost:8443 (HTTP auto)
    trust: ca.crt, expired.crt (2 certificates)
    identity: client-soon.crt with key client-soon.key
      subject: CN=expiring client, O=runner tests
      issuer: CN=runner test CA, O=runner tests
      key: ECDSA P-256, expires {soon}
    protocol: TLSv1.2, TLSv1.3
    warning: the client certificate expires in 10 days ({soon})
    warning: CN=localhost, O=runner tests in expired.crt expired on {expired}
"
        )
    );
    assert!(!outcome.stdout.contains(&ca), "the CA is far from expiry");
    let quiet = crate::support::run_in(
        &crate::support::root(),
        &["check", path, "--warn-expiry", "5d"],
    );
    assert!(!quiet.stdout.contains("expires in"), "{}", quiet.stdout);
}

/// An expired client certificate is refused when the suite loads: exit 2, nothing sent.
#[test]
fn check_refuses_an_expired_client_certificate() {
    let path = suite(
        "check-expired",
        "key = { cert_file = \"client-expired.crt\", key_file = \"client-expired.key\" }",
    );
    let path = path.to_str().expect("UTF-8");
    let outcome = crate::support::run_in(&crate::support::root(), &["check", path]);
    assert_eq!(outcome.code, 2);
    assert_eq!(outcome.stdout, "");
    assert_eq!(
        outcome.stderr,
        format!(
            "error: the client certificate in client-expired.crt (CN=expired client, O=runner tests) expired on {}
 --> {path}:5:21
  |
5 | key = {{ cert_file = \"client-expired.crt\", key_file = \"client-expired.key\" }}
  |                     ^^^^^^^^^^^^^^^^^^^^
  |
  = help: renew the client certificate
",
            expiry_of("client-expired.crt")
        )
    );
}

/// Without `cert`, the system's store is used: SSL_CERT_FILE points at it.
#[test]
fn system_trust_honours_ssl_cert_file() {
    let path = suite("check-system", "verify_hostname = true");
    let path = path.to_str().expect("UTF-8");
    let mut command = crate::support::runner(&crate::support::root(), &["check", path]);
    command
        .env("SSL_CERT_FILE", pki::dir().join("bundle.crt"))
        .env_remove("SSL_CERT_DIR");
    let outcome = crate::support::run(command);
    assert_eq!(outcome.code, 0, "{}", outcome.stderr);
    let bundle = pki::dir().join("bundle.crt");
    assert!(
        outcome.stdout.contains(&format!(
            "    trust: the system's trust store [SSL_CERT_FILE={}: 2] (2 certificates)\n",
            bundle.display()
        )),
        "{}",
        outcome.stdout
    );
}
