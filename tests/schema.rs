//! The committed JSON Schema is what `runner schema` prints, and the example suites follow it.

use std::fs;

use crate::support::{root, run_in};

fn committed_schema() -> serde_json::Value {
    let text = fs::read_to_string(root().join("schemas/runner.schema.json"))
        .expect("the schema is committed");
    serde_json::from_str(&text).expect("the committed schema is JSON")
}

#[test]
fn committed_schema_is_current() {
    let outcome = run_in(&root(), &["schema"]);
    assert_eq!(outcome.code, 0);
    let committed =
        fs::read_to_string(root().join("schemas/runner.schema.json")).expect("committed");
    assert!(
        outcome.stdout == committed,
        "schemas/runner.schema.json is stale: run `cargo run -- schema > schemas/runner.schema.json`"
    );
}

fn as_json(path: &std::path::Path) -> serde_json::Value {
    let text = fs::read_to_string(path).expect("readable");
    toml::from_str(&text).expect("TOML")
}

#[test]
fn example_suites_follow_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("a valid JSON Schema");
    let suites = crate::support::example_suites();
    assert!(suites.len() >= 5);
    for suite in suites {
        let text = fs::read_to_string(&suite).expect("readable");
        assert!(
            text.starts_with("#:schema ../schemas/runner.schema.json\n"),
            "{} does not start with the #:schema directive",
            suite.display()
        );
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&suite))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", suite.display());
    }
}

/// The schema is as strict as the loader: misspelt keys and wrong shapes fail it too.
#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let validator = jsonschema::validator_for(&committed_schema()).expect("a valid JSON Schema");
    for case in [
        "unknown-secure-socket-key",
        "unknown-request-key",
        "unknown-top-level-key",
        "key-as-string",
        "key-unknown-field",
        "cert-wrong-type",
        "http-version-unknown",
        "status-wrong-type",
        "follow-redirects-wrong-shape",
    ] {
        let path = root().join(format!("tests/corpus/invalid/{case}.toml"));
        assert!(
            !validator.is_valid(&as_json(&path)),
            "{case} passes the schema"
        );
    }
}

/// The Taplo CLI (what Even Better TOML runs in editors) with the committed schema: the example
/// suites pass, and each suite of `tests/corpus/taplo/` fails with a message that names what is
/// wrong: the key (`'certt' was unexpected`) or, for a wrong value, the value on its key's
/// line. `.ci/run` installs Taplo (`npm install --prefix target/taplo @taplo/cli`).
#[test]
fn taplo_names_each_mistake_on_its_key() {
    let local = root().join("target/taplo/node_modules/.bin/taplo");
    let taplo = if local.exists() {
        local
    } else {
        std::path::PathBuf::from("taplo")
    };
    let check = |files: &[std::path::PathBuf]| {
        std::process::Command::new(&taplo)
            .args(["check", "--no-auto-config"])
            .args(files)
            .env("RUST_LOG", "error")
            .output()
            .expect(
                "taplo runs (.ci/run installs it: npm install --prefix target/taplo @taplo/cli)",
            )
    };
    let suites = crate::support::example_suites();
    // Each run of Taplo starts slowly: the examples in one.
    let checked = check(&suites);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    let mut cases: Vec<_> = fs::read_dir(root().join("tests/corpus/taplo"))
        .expect("the corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    assert!(cases.len() >= 8);
    for case in cases {
        let text = fs::read_to_string(&case).expect("readable");
        let named = text
            .lines()
            .find_map(|l| l.strip_prefix("# taplo names: "))
            .expect("each case says what Taplo must name");
        let checked = check(std::slice::from_ref(&case));
        let said = String::from_utf8_lossy(&checked.stderr).into_owned();
        let first = said
            .lines()
            .find(|l| l.starts_with("error: "))
            .unwrap_or_default();
        assert!(
            !checked.status.success(),
            "{}: taplo passed it",
            case.display()
        );
        // The message names the key itself, or the value on the key's line that it shows.
        let names_key = first.contains(&format!("'{named}' was unexpected"))
            || (first.contains("does not match") || first.contains("is not one of"))
                && said.contains(&format!("{named} = "));
        assert!(names_key, "{}: {first}\n{said}", case.display());
    }
}

#[test]
fn committed_probe_schema_is_current() {
    let outcome = run_in(&root(), &["schema", "--probe"]);
    assert_eq!(outcome.code, 0);
    let committed =
        fs::read_to_string(root().join("schemas/probe.schema.json")).expect("committed");
    assert!(
        outcome.stdout == committed,
        "schemas/probe.schema.json is stale: run `cargo run -- schema --probe > schemas/probe.schema.json`"
    );
}
