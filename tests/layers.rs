//! The stages stay in layers the compiler cannot see but this test can: a module imports only
//! from the layers below it. Leaves (secrets, I/O wording, cipher names, diagnostics) are at
//! the bottom, then the stages in the order a suite flows through them, then the commands.

use std::path::Path;

use crate::support::root;

/// From the bottom up; a module may use `crate::X` only for an X of a lower layer.
const LAYERS: &[&[&str]] = &[
    &["secret", "words", "names", "size", "style", "resolve"],
    &["diagnostic", "read"],
    &["config"],
    &["tls"],
    &["load"],
    &["client"],
    &["exec"],
    &["probe"],
    &["report"],
    &["serve"],
    &["error"],
    &["cli"],
    &["commands"],
    &["lib", "main"],
];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// Every `crate::NAME` a line of code names (comments left out).
fn crate_references(line: &str) -> Vec<&str> {
    let code = line.split("//").next().unwrap_or_default();
    code.match_indices("crate::")
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}

fn rust_files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_imports_from_a_layer_above_its_own() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut upward = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&src).expect("under src/");
        let first = relative
            .components()
            .next()
            .and_then(|c| c.as_os_str().to_str())
            .unwrap_or_default();
        let module = first.strip_suffix(".rs").unwrap_or(first);
        let own =
            layer(module).unwrap_or_else(|| panic!("src/{first} is in no layer: add it to LAYERS"));
        let text = std::fs::read_to_string(file).expect("readable source");
        for (number, line) in text.lines().enumerate() {
            for name in crate_references(line) {
                match layer(name) {
                    Some(theirs) if theirs < own => {}
                    Some(_) if name == module => {}
                    _ => upward.push(format!(
                        "src/{}:{}: `{module}` uses crate::{name}",
                        relative.display(),
                        number + 1
                    )),
                }
            }
        }
    }
    assert!(
        upward.is_empty(),
        "imports from the same or a higher layer:\n{}",
        upward.join("\n")
    );
}

#[test]
fn the_check_sees_an_upward_import() {
    assert_eq!(
        crate_references("use crate::report::x; // crate::exec"),
        ["report"]
    );
    assert!(layer("config") < layer("exec"));
}
