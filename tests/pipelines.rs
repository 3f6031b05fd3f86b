//! What pipelines expect of an HTTP runner: `connect_to` and `--connect-to` (the connection goes
//! to another address while the TLS name, SNI, the Host header and every reported URL stay the
//! endpoint's, as curl's `--connect-to`), and a misspelt `--var` stopped before anything is
//! sent.

use crate::run::serve_demo;
use crate::support::{Test, root};

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
