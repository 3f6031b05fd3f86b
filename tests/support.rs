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
