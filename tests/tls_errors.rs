//! Every mistake with TLS material is caught when the suite loads, with the whole message: the
//! file, what was found in it, and the fix. Passwords never appear.

use crate::pki;

/// Loads a suite with this `secure_socket` body and returns the whole rendered error.
fn error_of(name: &str, socket: &str) -> String {
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

/// (case, `secure_socket` body, the whole error); `{dir}` stands for the PKI folder.
const CASES: &[(&str, &str, &str)] = &[];

#[test]
fn material_errors_explain_themselves() {
    let mut failures = Vec::new();
    for (name, socket, expected) in CASES {
        let dir = pki::path("").display().to_string();
        let expected = expected.replace("{dir}", dir.trim_end_matches('/'));
        let actual = error_of(name, socket);
        if actual != expected {
            failures.push(format!("--- {name}\n{actual}"));
        }
        assert!(!actual.contains(pki::PASSWORD), "{name} shows the password");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
