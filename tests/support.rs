//! Running the `runner` binary and reading what it did.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// What one run of the binary did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// A `runner` command in `dir`, with an environment free of what could change its output.
pub fn runner(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_runner"));
    command
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        // A proxy of the machine's must not carry the tests' loopback requests.
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        // The system's trust store is the demo CA, so no test depends on the machine's.
        .env("SSL_CERT_FILE", root().join("configs/certs/ca.crt"))
        .env_remove("SSL_CERT_DIR")
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1");
    command
}

pub fn run(mut command: Command) -> Run {
    let output = command.output().expect("the runner binary starts");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The JSON documents a run printed on standard output, one after another.
pub fn json_values(stdout: &str) -> Vec<serde_json::Value> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is JSON values ({e}):\n{stdout}"))
}

/// Runs `runner ARGS` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    run(runner(dir, args))
}

impl Run {
    /// stderr without its last line, the run's summary, which must be there and say `counts`
    /// ("1 file, 1 request: 0 passed, 0 failed, 1 could not complete").
    pub fn logs_before_summary(&self, counts: &str) -> &str {
        let body = self.stderr.strip_suffix('\n').unwrap_or(&self.stderr);
        let (logs, summary) = body.rsplit_once('\n').map_or(("", body), |(l, s)| (l, s));
        let (said, time) = summary.split_once(", in ").unwrap_or((summary, ""));
        assert_eq!(said, counts, "the summary line of:\n{}", self.stderr);
        assert!(
            time.ends_with(" s"),
            "the summary line of:\n{}",
            self.stderr
        );
        &self.stderr[..logs.len() + usize::from(!logs.is_empty())]
    }
}

/// What the first certificate of a PEM file says.
pub fn cert_info(path: &Path) -> runner::tls::CertInfo {
    use rustls::pki_types::pem::PemObject;
    let der = rustls::pki_types::CertificateDer::from_pem_file(path).expect("a PEM certificate");
    runner::tls::CertInfo::from_der(&der).expect("a readable certificate")
}

/// When the first certificate of a PEM file expires, as runner writes dates.
pub fn expiry(path: &Path) -> String {
    runner::tls::inspect::format_time(cert_info(path).not_after)
}

/// A fresh folder under `target/`, for files a test writes.
pub fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = root().join("target/test-tmp").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("target/ is writable");
    dir
}

/// One `runner` run and everything it must do, in the style of just's `tests/test.rs`: the exit
/// code, stdout and stderr are compared in full. Durations ("12 ms", "in 0.03 s") and the
/// replacements a test names (a server's port) are made constant first; a regex is used only
/// where a test asks for one.
#[derive(Debug)]
pub struct Test {
    dir: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    replacements: Vec<(String, String)>,
    code: i32,
    stdout: Expected,
    stderr: Expected,
}

#[derive(Debug)]
enum Expected {
    Exactly(String),
    Matching(String),
    Anything,
}

impl Expected {
    fn check(&self, what: &str, actual: &str) {
        match self {
            Self::Exactly(text) => assert_eq!(actual, text, "{what} differs"),
            Self::Matching(pattern) => {
                let regex = regex::Regex::new(&format!("^(?s:{pattern})$")).expect("a regex");
                assert!(
                    regex.is_match(actual),
                    "{what} does not match /{pattern}/:\n{actual}"
                );
            }
            Self::Anything => {}
        }
    }
}

impl Test {
    /// A run in a fresh folder `target/test-tmp/NAME`.
    pub fn new(name: &str) -> Self {
        Self {
            dir: tempdir(name),
            args: Vec::new(),
            env: Vec::new(),
            replacements: Vec::new(),
            code: 0,
            stdout: Expected::Exactly(String::new()),
            stderr: Expected::Exactly(String::new()),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file (a suite, say) into the test's folder.
    #[must_use]
    pub fn file(self, name: &str, text: &str) -> Self {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("a folder");
        }
        std::fs::write(path, text).expect("a file");
        self
    }

    #[must_use]
    pub fn args(mut self, args: &[&str]) -> Self {
        self.args.extend(args.iter().map(|a| (*a).to_owned()));
        self
    }

    #[must_use]
    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Shows `from` as `to` in stdout and stderr before they are compared.
    #[must_use]
    pub fn replace(mut self, from: &str, to: &str) -> Self {
        self.replacements.push((from.to_owned(), to.to_owned()));
        self
    }

    #[must_use]
    pub fn code(mut self, code: i32) -> Self {
        self.code = code;
        self
    }

    #[must_use]
    pub fn stdout(mut self, text: &str) -> Self {
        self.stdout = Expected::Exactly(text.to_owned());
        self
    }

    #[must_use]
    pub fn stderr(mut self, text: &str) -> Self {
        self.stderr = Expected::Exactly(text.to_owned());
        self
    }

    #[must_use]
    pub fn stdout_regex(mut self, pattern: &str) -> Self {
        self.stdout = Expected::Matching(pattern.to_owned());
        self
    }

    #[must_use]
    pub fn stderr_regex(mut self, pattern: &str) -> Self {
        self.stderr = Expected::Matching(pattern.to_owned());
        self
    }

    /// stderr is not compared (the test reads it itself).
    #[must_use]
    pub fn any_stderr(mut self) -> Self {
        self.stderr = Expected::Anything;
        self
    }

    /// stdout is not compared (the test reads it itself).
    #[must_use]
    pub fn any_stdout(mut self) -> Self {
        self.stdout = Expected::Anything;
        self
    }

    /// The command as it will run.
    pub fn command(&self) -> Command {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        let mut command = runner(&self.dir, &args);
        for (name, value) in &self.env {
            command.env(name, value);
        }
        command
    }

    fn normalise(&self, text: &str) -> String {
        static DURATIONS: std::sync::OnceLock<[(regex::Regex, &str); 2]> =
            std::sync::OnceLock::new();
        let durations = DURATIONS.get_or_init(|| {
            [
                (regex::Regex::new(r"\b\d+ ms\b").expect("a regex"), "N ms"),
                (
                    regex::Regex::new(r"\bin \d+\.\d\d s\b").expect("a regex"),
                    "in N s",
                ),
            ]
        });
        let mut text = text.to_owned();
        for (from, to) in &self.replacements {
            text = text.replace(from, to);
        }
        for (pattern, with) in durations {
            text = pattern.replace_all(&text, *with).into_owned();
        }
        text
    }

    /// Runs it and checks everything; returns what it did, normalised.
    pub fn run(self) -> Run {
        let raw = run(self.command());
        let done = Run {
            code: raw.code,
            stdout: self.normalise(&raw.stdout),
            stderr: self.normalise(&raw.stderr),
        };
        assert_eq!(
            done.code, self.code,
            "exit code; stderr:\n{}\nstdout:\n{}",
            done.stderr, done.stdout
        );
        self.stdout.check("stdout", &done.stdout);
        self.stderr.check("stderr", &done.stderr);
        done
    }
}

/// The example suites of `configs/`, in name order.
pub fn example_suites() -> Vec<PathBuf> {
    let mut suites: Vec<_> = std::fs::read_dir(root().join("configs"))
        .expect("configs/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    suites.sort();
    suites
}

/// Validates a JUnit report against Jenkins' junit-10 schema (our restatement) with xmllint.
pub fn assert_junit_valid(path: &Path) {
    let checked = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(root().join("tests/fixtures/junit-10.xsd"))
        .arg(path)
        .output()
        .expect("xmllint runs (.ci/run installs libxml2-utils)");
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
}
