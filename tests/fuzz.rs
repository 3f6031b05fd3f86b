//! No input makes the loader panic: mutated suite files, fed to it in-process, give a suite or
//! diagnostics, and the diagnostics render.

use std::fs;
use std::sync::Arc;

use runner::config::{self, CommandLineVars, Source};

use crate::support::root;

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Pieces that push the loader into its corners.
const TOKENS: &[&str] = &[
    "{{",
    "}}",
    "{{env.X}}",
    "{{base_url}}",
    "{{token}}",
    "[",
    "]",
    "[[requests]]",
    "[endpoints.b]",
    "=",
    "\"",
    "'",
    "\"\"\"",
    "\n",
    "#",
    ",",
    "{",
    "}",
    "é",
    "\u{0}",
    "\t",
    "-1",
    "0",
    "1e999",
    "nan",
    "true",
    "\"2xx\"",
    "\"TLSv1.0\"",
    "https://",
    "http://",
    "key = { path = \"x\" }",
    "cert = []",
    "status = [200, \"5xx\"]",
    "capture = { token = \"$.t\" }",
    "timeout = \"0s\"",
    "json = { a = [1, { b = 2 }] }",
    "secure_socket = { enable = false }",
    "expect = { body = { matches = \"(\" } }",
    "endpoint = \"b\"",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..=rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(6) {
            0 => {
                let end = (at + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
            1 | 2 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            3 if at < chars.len() => chars[at] = char::from(b' ' + (rng.below(95) as u8)),
            4 => chars.truncate(at),
            _ => {
                // Repeat a line somewhere else: duplicate keys, tables and requests.
                let lines: Vec<String> = chars
                    .iter()
                    .collect::<String>()
                    .lines()
                    .map(str::to_owned)
                    .collect();
                if !lines.is_empty() {
                    let line = format!("{}\n", lines[rng.below(lines.len())]);
                    let at = chars
                        .iter()
                        .take(at)
                        .collect::<String>()
                        .rfind('\n')
                        .map_or(0, |i| i + 1);
                    let at = chars.iter().collect::<String>()[..at].chars().count();
                    chars.splice(at..at, line.chars());
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_suites_never_panic() {
    let mut seeds = Vec::new();
    for dir in ["configs", "tests/corpus/invalid"] {
        for entry in fs::read_dir(root().join(dir)).expect("seed folder") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                seeds.push((path.clone(), fs::read_to_string(&path).expect("seed")));
            }
        }
    }
    seeds.sort();
    let vars = CommandLineVars::default();
    let mut rng = Rng(0x005E_ED0F_2026);
    let (mut loaded, mut refused) = (0, 0);
    for round in 0..250 {
        for (path, text) in &seeds {
            let mutated = mutate(&mut rng, text);
            let source = Arc::new(Source::new(path.clone(), mutated.clone()));
            let outcome = std::panic::catch_unwind(|| {
                config::load_source(
                    source,
                    &vars,
                    Box::new(|name| (name == "X").then(|| "x".to_owned())),
                )
                .map(|_| ())
                .map_err(|e| e.to_string())
            });
            match outcome {
                Ok(Ok(())) => loaded += 1,
                Ok(Err(rendered)) => {
                    assert!(
                        rendered.starts_with("error: "),
                        "round {round}, {}: {rendered}",
                        path.display()
                    );
                    refused += 1;
                }
                Err(_) => panic!(
                    "the loader panicked on this mutation of {}:\n{mutated}",
                    path.display()
                ),
            }
        }
    }
    // Both outcomes occur, or the mutations are too weak (or too strong) to mean anything.
    assert!(
        loaded > 50 && refused > 1000,
        "loaded {loaded}, refused {refused}"
    );
}
