//! Every mistake with TLS material is caught when the suite loads, with the whole message: the
//! file, what was found in it, and the fix. Passwords never appear.

use crate::pki;

/// Loads a suite with this `secure_socket` body and returns the whole rendered error.
fn error_of(name: &str, socket: &str) -> String {
    let socket = pki::hermetic(socket);
    let path = pki::dir().join(format!("{name}.toml"));
    std::fs::write(&path, format!("[endpoints.api]\nurl = \"https://localhost:8443\"\n\n[endpoints.api.secure_socket]\n{socket}\n"))
        .expect("writable");
    match runner::load::load(
        &pki::path(&format!("{name}.toml")),
        &runner::config::CommandLineVars::default(),
    ) {
        Ok(_) => panic!("{name} loads"),
        Err(error) => error.to_string(),
    }
}

/// (case, `secure_socket` body, the whole error); `{dir}` stands for the PKI folder, `{expired}`
/// for the expiry date of `client-expired.crt`.
const CASES: &[(&str, &str, &str)] = &[
    (
        "err-missing",
        "cert = \"nope.crt\"",
        r#"error: cannot read nope.crt: No such file or directory
 --> {dir}/err-missing.toml:5:8
  |
5 | cert = "nope.crt"
  |        ^^^^^^^^^^
  |
  = help: looked for {dir}/nope.crt; paths are relative to the suite file's folder
"#,
    ),
    (
        "err-empty",
        "cert = \"empty.pem\"",
        r#"error: empty.pem is empty
 --> {dir}/err-empty.toml:5:8
  |
5 | cert = "empty.pem"
  |        ^^^^^^^^^^^
  |
  = help: give a file with PEM certificates or keys
"#,
    ),
    (
        "err-p12-as-pem",
        "cert = \"client.p12\"",
        r#"error: client.p12 is a PKCS#12 file, not PEM
 --> {dir}/err-p12-as-pem.toml:5:8
  |
5 | cert = "client.p12"
  |        ^^^^^^^^^^^^
  |
  = help: for a PKCS#12 truststore write cert = { path = "client.p12", password = "..." }
"#,
    ),
    (
        "err-key-as-cert",
        "cert = \"client-rsa.key\"",
        r#"error: client-rsa.key holds a private key, not a certificate
 --> {dir}/err-key-as-cert.toml:5:8
  |
5 | cert = "client-rsa.key"
  |        ^^^^^^^^^^^^^^^^
  |
  = help: `cert` names whom to trust: a CA certificate or the server's certificate
"#,
    ),
    (
        "err-junk",
        "cert = \"junk.bin\"",
        r#"error: junk.bin is neither PEM nor DER
 --> {dir}/err-junk.toml:5:8
  |
5 | cert = "junk.bin"
  |        ^^^^^^^^^^
  |
  = help: give a PEM file (-----BEGIN CERTIFICATE-----) or a DER certificate (.cer)
"#,
    ),
    (
        "err-jks",
        "cert = { path = \"jks.bin\", password = \"changeit\" }",
        r#"error: jks.bin is a Java KeyStore (JKS), which runner cannot read
 --> {dir}/err-jks.toml:5:17
  |
5 | cert = { path = "jks.bin", password = "***" }
  |                 ^^^^^^^^^
  |
  = help: convert it: keytool -importkeystore -srckeystore jks.bin -destkeystore store.p12 -deststoretype PKCS12
"#,
    ),
    (
        "err-pem-as-store",
        "cert = { path = \"ca.crt\", password = \"changeit\" }",
        r#"error: ca.crt is a PEM certificate file, not a PKCS#12 file
 --> {dir}/err-pem-as-store.toml:5:17
  |
5 | cert = { path = "ca.crt", password = "***" }
  |                 ^^^^^^^^
  |
  = help: for PEM certificates write cert = "ca.crt"
"#,
    ),
    (
        "err-store-wrong-password",
        "cert = { path = \"trust-openssl.p12\", password = \"wrong-pw\" }",
        r#"error: cannot decrypt trust-openssl.p12: the password is wrong or the file is damaged
 --> {dir}/err-store-wrong-password.toml:5:17
  |
5 | cert = { path = "trust-openssl.p12", password = "***" }
  |                 ^^^^^^^^^^^^^^^^^^^
  |
  = help: check the password: `openssl pkcs12 -in trust-openssl.p12 -info -noout` asks for it and says whether it opens the file
"#,
    ),
    (
        "err-cert-as-key",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client-rsa.crt\" }",
        r#"error: client-rsa.crt holds certificates but no private key
 --> {dir}/err-cert-as-key.toml:5:50
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client-rsa.crt" }
  |                                                  ^^^^^^^^^^^^^^^^
  |
  = help: `key_file` is the private key; the certificate goes in `cert_file`
"#,
    ),
    (
        "err-p12-as-key",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client.p12\" }",
        r#"error: client.p12 is a PKCS#12 file, not PEM
 --> {dir}/err-p12-as-key.toml:5:50
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client.p12" }
  |                                                  ^^^^^^^^^^^^
  |
  = help: for a PKCS#12 keystore write key = { path = "client.p12", password = "..." }
"#,
    ),
    (
        "err-encrypted-no-password",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client-rsa-enc.key\" }",
        r#"error: client-rsa-enc.key is an encrypted private key and no password is given
 --> {dir}/err-encrypted-no-password.toml:5:50
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client-rsa-enc.key" }
  |                                                  ^^^^^^^^^^^^^^^^^^^^
  |
  = help: add key_password = "{{env.KEY_PASSWORD}}" to `key`
"#,
    ),
    (
        "err-encrypted-wrong-password",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client-rsa-enc.key\", key_password = \"wrong-pw\" }",
        r#"error: cannot decrypt client-rsa-enc.key: the password is wrong or the file is damaged
 --> {dir}/err-encrypted-wrong-password.toml:5:50
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client-rsa-enc.key", key_password = "***" }
  |                                                  ^^^^^^^^^^^^^^^^^^^^
  |
  = help: check the password: `openssl pkey -in client-rsa-enc.key -noout` asks for it and says whether it opens the key
"#,
    ),
    (
        "err-legacy-encrypted",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client-rsa-legacy-enc.key\", key_password = \"s3cret-pw\" }",
        r#"error: client-rsa-legacy-enc.key is encrypted the traditional OpenSSL way (Proc-Type: 4,ENCRYPTED), which runner cannot read
 --> {dir}/err-legacy-encrypted.toml:5:50
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client-rsa-legacy-enc.key", key_password = "***" }
  |                                                  ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  |
  = help: convert it to encrypted PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in client-rsa-legacy-enc.key -out key.p8.pem
"#,
    ),
    (
        "err-mismatch",
        "key = { cert_file = \"client-rsa.crt\", key_file = \"client-p256.key\" }",
        r#"error: the private key does not belong to the certificate (CN=client rsa, O=runner tests) in client-rsa.crt
 --> {dir}/err-mismatch.toml:5:21
  |
5 | key = { cert_file = "client-rsa.crt", key_file = "client-p256.key" }
  |                     ^^^^^^^^^^^^^^^^
  |
  = help: give the key file made with this certificate (compare `openssl x509 -noout -pubkey` with `openssl pkey -pubout`)
"#,
    ),
    (
        "err-keystore-wrong-password",
        "key = { path = \"client.p12\", password = \"wrong-pw\" }",
        r#"error: cannot decrypt client.p12: the password is wrong or the file is damaged
 --> {dir}/err-keystore-wrong-password.toml:5:16
  |
5 | key = { path = "client.p12", password = "***" }
  |                ^^^^^^^^^^^^
  |
  = help: check the password: `openssl pkcs12 -in client.p12 -info -noout` asks for it and says whether it opens the file
"#,
    ),
    (
        "err-truststore-as-keystore",
        "key = { path = \"trust-openssl.p12\", password = \"s3cret-pw\" }",
        r#"error: trust-openssl.p12 holds no private key
 --> {dir}/err-truststore-as-keystore.toml:5:16
  |
5 | key = { path = "trust-openssl.p12", password = "***" }
  |                ^^^^^^^^^^^^^^^^^^^
  |
  = help: a truststore is given as cert = { path = "trust-openssl.p12", password = "..." }
"#,
    ),
    (
        "err-pem-as-keystore",
        "key = { path = \"client-rsa.key\", password = \"s3cret-pw\" }",
        r#"error: client-rsa.key is a PEM private key, not a PKCS#12 file
 --> {dir}/err-pem-as-keystore.toml:5:16
  |
5 | key = { path = "client-rsa.key", password = "***" }
  |                ^^^^^^^^^^^^^^^^
  |
  = help: for PEM files write key = { cert_file = "client.crt", key_file = "client.key" }
"#,
    ),
    (
        "err-expired-client",
        "key = { cert_file = \"client-expired.crt\", key_file = \"client-expired.key\" }",
        r#"error: the client certificate in client-expired.crt (CN=expired client, O=runner tests) expired on {expired}
 --> {dir}/err-expired-client.toml:5:21
  |
5 | key = { cert_file = "client-expired.crt", key_file = "client-expired.key" }
  |                     ^^^^^^^^^^^^^^^^^^^^
  |
  = help: renew the client certificate
"#,
    ),
    (
        "err-two",
        "cert = \"empty.pem\"\nkey = { cert_file = \"client-rsa.crt\", key_file = \"client-p256.key\" }",
        r#"error: empty.pem is empty
 --> {dir}/err-two.toml:5:8
  |
5 | cert = "empty.pem"
  |        ^^^^^^^^^^^
  |
  = help: give a file with PEM certificates or keys

error: the private key does not belong to the certificate (CN=client rsa, O=runner tests) in client-rsa.crt
 --> {dir}/err-two.toml:6:21
  |
6 | key = { cert_file = "client-rsa.crt", key_file = "client-p256.key" }
  |                     ^^^^^^^^^^^^^^^^
  |
  = help: give the key file made with this certificate (compare `openssl x509 -noout -pubkey` with `openssl pkey -pubout`)
"#,
    ),
];

#[test]
fn material_errors_explain_themselves() {
    let mut failures = Vec::new();
    for (name, socket, expected) in CASES {
        let dir = pki::path("").display().to_string();
        let expired = crate::support::cert_info(&pki::dir().join("client-expired.crt")).not_after;
        let expected = expected
            .replace("{dir}", dir.trim_end_matches('/'))
            .replace("{expired}", &runner::tls::inspect::format_time(expired));
        let actual = error_of(name, socket);
        if actual != expected {
            failures.push(format!("--- {name}\n{actual}"));
        }
        assert!(!actual.contains(pki::PASSWORD), "{name} shows the password");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
