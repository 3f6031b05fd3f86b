//! Certificates, keys and keystores made at test time: rcgen makes the certificates; openssl and
//! keytool turn keys and identities into the formats users bring (PKCS#1, SEC1, encrypted PKCS#8,
//! PKCS#12 from OpenSSL 3, OpenSSL -legacy and keytool). Made once per test run, in
//! `target/test-tmp/pki`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_ED25519,
    PKCS_RSA_SHA256, RsaKeySize, SignatureAlgorithm,
};
use time::{Duration, OffsetDateTime};

use crate::support::root;

/// The password of every encrypted key and keystore made here.
pub const PASSWORD: &str = "s3cret-pw";

/// The folder holding the test PKI, made on first use.
pub fn dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = root().join("target/test-tmp/pki");
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).expect("target/ is writable");
        make(&dir);
        dir
    })
}

/// A path in the test PKI folder, relative to the repository root (the tests' working folder).
pub fn path(name: &str) -> PathBuf {
    dir()
        .strip_prefix(root())
        .expect("under the root")
        .join(name)
}

/// A `secure_socket` body for a suite loaded in this process: without `cert` it would trust
/// this machine's store (the process environment's SSL_CERT_FILE), so the test CA is added after
/// it, on a line of its own, leaving the lines above where they are.
pub fn hermetic(socket: &str) -> String {
    if socket
        .lines()
        .any(|line| line.trim_start().starts_with("cert ="))
    {
        socket.to_owned()
    } else {
        format!("{socket}\ncert = \"ca.crt\"")
    }
}

fn params(cn: &str, names: &[&str]) -> CertificateParams {
    let mut params =
        CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("names");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "runner tests");
    params.distinguished_name.push(DnType::CommonName, cn);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::days(1);
    params.not_after = now + Duration::days(365);
    params
}

fn ca_params(cn: &str) -> CertificateParams {
    let mut params = params(cn, &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params
}

fn server_params(cn: &str, names: &[&str]) -> CertificateParams {
    let mut params = params(cn, names);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params
}

fn client_params(cn: &str) -> CertificateParams {
    let mut params = params(cn, &[]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

fn key(alg: &'static SignatureAlgorithm) -> KeyPair {
    if alg == &PKCS_RSA_SHA256 {
        KeyPair::generate_rsa_for(alg, RsaKeySize::_2048).expect("an RSA key")
    } else {
        KeyPair::generate_for(alg).expect("a key")
    }
}

fn write(dir: &Path, name: &str, contents: impl AsRef<[u8]>) {
    fs::write(dir.join(name), contents).expect("the PKI folder is writable");
}

/// Runs a tool in `dir`; the test run fails when it does.
fn tool(dir: &Path, program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program} cannot start ({e}); .ci/run installs it"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn make(dir: &Path) {
    let ca =
        CertifiedIssuer::self_signed(ca_params("runner test CA"), key(&PKCS_ECDSA_P256_SHA256))
            .expect("CA");
    write(dir, "ca.crt", ca.pem());
    write(dir, "ca.cer", ca.der().as_ref());
    let other_ca =
        CertifiedIssuer::self_signed(ca_params("unrelated CA"), key(&PKCS_ECDSA_P256_SHA256))
            .expect("CA");
    write(dir, "other-ca.crt", other_ca.pem());
    write(dir, "bundle.crt", format!("{}{}", other_ca.pem(), ca.pem()));

    let issue = |name: &str,
                 params: CertificateParams,
                 alg: &'static SignatureAlgorithm,
                 issuer: &CertifiedIssuer<'_, KeyPair>| {
        let key = key(alg);
        let cert = params.signed_by(&key, issuer).expect("a certificate");
        write(dir, &format!("{name}.crt"), cert.pem());
        write(dir, &format!("{name}.key"), key.serialize_pem());
    };
    let localhost = ["localhost", "127.0.0.1", "::1"];
    issue(
        "server",
        server_params("localhost", &localhost),
        &PKCS_ECDSA_P256_SHA256,
        &ca,
    );
    issue(
        "server-rsa",
        server_params("localhost", &localhost),
        &PKCS_RSA_SHA256,
        &ca,
    );
    issue(
        "wrong-name",
        server_params("wrong.example", &["wrong.example"]),
        &PKCS_ECDSA_P256_SHA256,
        &ca,
    );
    // An https:// forward proxy's own certificate, from a CA the servers' do not share.
    issue(
        "proxy",
        server_params("test proxy", &["127.0.0.1"]),
        &PKCS_ECDSA_P256_SHA256,
        &other_ca,
    );
    issue(
        "api-internal",
        server_params("api.internal", &["api.internal"]),
        &PKCS_ECDSA_P256_SHA256,
        &ca,
    );
    let mut expired = server_params("localhost", &localhost);
    expired.not_before = OffsetDateTime::now_utc() - Duration::days(400);
    expired.not_after = OffsetDateTime::now_utc() - Duration::days(35);
    issue("expired", expired, &PKCS_ECDSA_P256_SHA256, &ca);

    // What `openssl req -x509` makes: self-signed, CA:TRUE, and served as the leaf.
    let mut self_signed = server_params("localhost", &localhost);
    self_signed.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let self_key = key(&PKCS_ECDSA_P256_SHA256);
    write(
        dir,
        "selfsigned.crt",
        self_signed
            .self_signed(&self_key)
            .expect("self-signed")
            .pem(),
    );
    write(dir, "selfsigned.key", self_key.serialize_pem());

    issue(
        "client-rsa",
        client_params("client rsa"),
        &PKCS_RSA_SHA256,
        &ca,
    );
    issue(
        "client-p256",
        client_params("client p256"),
        &PKCS_ECDSA_P256_SHA256,
        &ca,
    );
    issue(
        "client-p384",
        client_params("client p384"),
        &PKCS_ECDSA_P384_SHA384,
        &ca,
    );
    issue(
        "client-ed25519",
        client_params("client ed25519"),
        &PKCS_ED25519,
        &ca,
    );
    issue(
        "client-other",
        client_params("client of another CA"),
        &PKCS_ECDSA_P256_SHA256,
        &other_ca,
    );
    let mut expired_client = client_params("expired client");
    expired_client.not_before = OffsetDateTime::now_utc() - Duration::days(400);
    expired_client.not_after = OffsetDateTime::now_utc() - Duration::days(35);
    issue(
        "client-expired",
        expired_client,
        &PKCS_ECDSA_P256_SHA256,
        &ca,
    );
    let mut soon = client_params("expiring client");
    soon.not_after = OffsetDateTime::now_utc() + Duration::days(10) + Duration::hours(12);
    issue("client-soon", soon, &PKCS_ECDSA_P256_SHA256, &ca);
    write(dir, "empty.pem", "");
    write(
        dir,
        "junk.bin",
        [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0xFF, 0x00],
    );
    write(
        dir,
        "jks.bin",
        [0xFE, 0xED, 0xFE, 0xED, 0x00, 0x00, 0x00, 0x02],
    );

    let pass = format!("pass:{PASSWORD}");
    // The key forms users bring.
    tool(
        dir,
        "openssl",
        &[
            "rsa",
            "-in",
            "client-rsa.key",
            "-traditional",
            "-out",
            "client-rsa-pkcs1.key",
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "ec",
            "-in",
            "client-p256.key",
            "-out",
            "client-p256-sec1.key",
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-in",
            "client-rsa.key",
            "-out",
            "client-rsa-enc.key",
            "-passout",
            &pass,
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "rsa",
            "-in",
            "client-rsa.key",
            "-aes256",
            "-traditional",
            "-out",
            "client-rsa-legacy-enc.key",
            "-passout",
            &pass,
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "pkey",
            "-in",
            "client-rsa.key",
            "-outform",
            "DER",
            "-out",
            "client-rsa.der",
        ],
    );
    // PKCS#12 keystores and truststores.
    let export = [
        "pkcs12",
        "-export",
        "-in",
        "client-rsa.crt",
        "-inkey",
        "client-rsa.key",
        "-certfile",
        "ca.crt",
        "-name",
        "client",
        "-passout",
    ];
    tool(
        dir,
        "openssl",
        &[&export[..], &[pass.as_str(), "-out", "client.p12"]].concat(),
    );
    tool(
        dir,
        "openssl",
        &[
            &export[..],
            &[pass.as_str(), "-legacy", "-out", "client-legacy.p12"],
        ]
        .concat(),
    );
    tool(
        dir,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-in",
            "client-p256.crt",
            "-inkey",
            "client-p256.key",
            "-passout",
            "pass:",
            "-out",
            "client-nopass.p12",
        ],
    );
    tool(
        dir,
        "openssl",
        &[
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            "ca.crt",
            "-passout",
            &pass,
            "-out",
            "trust-openssl.p12",
        ],
    );
    tool(
        dir,
        "keytool",
        &[
            "-importkeystore",
            "-noprompt",
            "-srckeystore",
            "client.p12",
            "-srcstoretype",
            "PKCS12",
            "-srcstorepass",
            PASSWORD,
            "-destkeystore",
            "client-keytool.p12",
            "-deststoretype",
            "PKCS12",
            "-deststorepass",
            PASSWORD,
        ],
    );
    tool(
        dir,
        "keytool",
        &[
            "-importcert",
            "-noprompt",
            "-alias",
            "ca",
            "-file",
            "ca.crt",
            "-keystore",
            "trust-keytool.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            PASSWORD,
        ],
    );
}
