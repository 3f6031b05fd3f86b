//! The command line (spec §4), parsed by clap.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::config::Overrides;

/// Runs version-controlled HTTP request suites written in TOML, with first-class TLS: server
/// certificate pinning, PKCS#12 truststores, and mutual TLS with PEM or PKCS#12 identities.
#[derive(Debug, Parser)]
#[command(
    name = "runner",
    version,
    propagate_version = true,
    max_term_width = 100
)]
#[command(
    after_help = "Exit codes: 0 all good, 1 an expectation failed, 2 invalid input (nothing was sent), \
3 a request could not complete, 4 results could not be written, 130/143 interrupted.\n\
The suite format: `runner schema`, or the README."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run suites: send their requests in order and check the answers.
    ///
    /// Every suite and all its TLS material are loaded and checked first: if anything is wrong,
    /// nothing is sent (exit 2). Response bodies go to stdout (JSON pretty-printed), one log line
    /// per request to stderr. Exit 0 when every request ran and every expectation held, 1 when
    /// an expectation failed, 3 when a request could not complete.
    Run(RunArgs),
    /// Load and validate suites and all their TLS material, without touching the network.
    ///
    /// Reads every suite file, resolves its variables, checks every value, and reads every
    /// certificate, key and keystore it names. Prints each endpoint's trust source, its client
    /// identity (subject, issuer, key type, expiry) and the requests, and warns about
    /// certificates that expire soon. A problem is reported with the file, line and column, and
    /// exit code 2.
    Check(CheckArgs),
    /// Serve HTTPS echo routes locally, showing the TLS session each request arrived on.
    ///
    /// Routes: /get, /anything, /headers, /status/CODE, /delay/MS, /bytes/N, /redirect/N (N
    /// redirects, then /get), /redirect-to?url=URL&status_code=302, /response-headers?NAME=VALUE,
    /// /cookies, /cookies/set?NAME=VALUE, /gzip, /deflate, /brotli, /zstd, /flaky/N (503 for the first
    /// N calls). JSON answers include the request (method, url, headers, args, json)
    /// and the TLS session: protocol, cipher, ALPN and the client certificate's subject and
    /// issuer. Without --cert it serves the built-in demo certificate for localhost and accepts
    /// (without requiring) client certificates of the demo CA.
    Serve(ServeArgs),
    /// Show the product: run the suites of configs/ against an in-process `runner serve`.
    Demo(DemoArgs),
    /// Work with report files: `runner report merge` joins the JSON reports of sharded jobs.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print shell completions: bash, zsh, fish, powershell or elvish.
    ///
    /// For example `runner completions bash > ~/.local/share/bash-completion/completions/runner`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff): `runner man > runner.1 && man ./runner.1`.
    Man,
    /// Print the JSON Schema of the suite format.
    ///
    /// Editors use it for completion and checking: start a suite with
    /// `#:schema ../schemas/runner.schema.json` (Taplo, Even Better TOML).
    Schema {
        /// The schema of `runner probe --output json` instead (schemas/probe.schema.json).
        #[arg(long)]
        probe: bool,
    },
    /// Ask a TLS server what it wants, and write the suite that satisfies it.
    ///
    /// Short handshakes of its own (5 s each at most) show: the chain presented (subject, issuer,
    /// names, validity, key, SHA-256 fingerprint and the SPKI hash `pin_sha256` takes) and
    /// whether it verifies against the trust given and the system's, and why not; the TLS
    /// versions and which of runner's cipher suites the server accepts, and its preference;
    /// ALPN; session resumption; whether it asks for or requires a client certificate, the CAs
    /// it names and whether the identity given is from one; OCSP stapling and the revocation
    /// URLs of its certificate. Exit 0 when the server answered in TLS, 3 when it could not be
    /// reached, 2 for invalid input.
    Probe(ProbeArgs),
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// The server: https://HOST:PORT/PATH (the path is what the starter suite requests).
    #[arg(value_name = "URL")]
    pub url: String,
    /// Speak as this endpoint of a suite: its trust, identity and server name.
    #[arg(long, value_name = "SUITE:NAME", conflicts_with_all = ["cert", "cert_file", "key_file"])]
    pub endpoint_from: Option<String>,
    /// Trust these certificates (PEM: CA bundles, or the server's own), as `cert` in a suite.
    /// Repeatable. Without it (and --endpoint-from), the system's trust store.
    #[arg(long, value_name = "FILE")]
    pub cert: Vec<PathBuf>,
    /// A client certificate (PEM) to present, with --key-file.
    #[arg(long, value_name = "FILE", requires = "key_file")]
    pub cert_file: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "cert_file")]
    pub key_file: Option<PathBuf>,
    /// Readable text, or JSON (its shape: `runner schema --probe`).
    #[arg(long, value_enum, default_value = "text")]
    pub output: ProbeOutput,
    /// Print a starter suite that works against this server (with `#:schema`), instead.
    #[arg(long)]
    pub suite: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeOutput {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Join the JSON reports of a sharded run (`runner run --shard K/N --report json=PATH` in
    /// each job) into one JUnit or JSON report.
    ///
    /// Files keep the order of the reports given; counts are added, and the duration is the
    /// longest shard's. Exit codes are the whole run's: 0 all passed, 1 an expectation failed,
    /// 3 a request could not complete, 2 a report cannot be read, 4 one cannot be written.
    Merge(MergeArgs),
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The JSON reports to join.
    #[arg(required = true, value_name = "REPORT.json")]
    pub inputs: Vec<PathBuf>,
    /// Write the merged report: junit=PATH (JUnit XML) or json=PATH. Repeatable.
    #[arg(long, required = true, value_name = "KIND=PATH", value_parser = crate::report::files::ReportFile::parse)]
    pub report: Vec<crate::report::files::ReportFile>,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Suite files; directories (their *.toml files, walked recursively, honouring
    /// .runnerignore); glob patterns such as 'suites/**/*.toml'; or - for standard input.
    #[arg(required = true, value_name = "SUITE|DIR|GLOB|-")]
    pub paths: Vec<PathBuf>,
    /// Leave out the suite files this glob matches (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Let a suite without requests pass (by default it is an error: it tests nothing).
    #[arg(long)]
    pub allow_empty: bool,
    #[command(flatten)]
    pub vars: VarArgs,
    /// What goes to stdout: response bodies, one JSON object per request, or nothing.
    #[arg(long, value_enum, default_value = "pretty")]
    pub output: crate::exec::OutputMode,
    /// Colour on stderr: auto (a terminal, unless NO_COLOR; CLICOLOR_FORCE forces it), always
    /// or never. JSON logs are never coloured.
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: crate::style::ColorChoice,
    /// The logs on stderr: readable lines, or one JSON object per event.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: crate::report::logging::LogFormat,
    /// More detail in the logs, under each request's line (secrets as ***): -v the request line
    /// and every header sent and received; -vv also the bodies (cut at 2 KiB) and the TLS session
    /// (chain, version, ALPN); -vvv also the HTTP and TLS libraries' own lines.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only warnings and errors in the logs.
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Run only the requests with this name (repeatable). A request that uses the capture of
    /// one left out fails.
    #[arg(long, value_name = "NAME")]
    pub only: Vec<String>,
    /// Stop at the first request that does not pass.
    #[arg(long)]
    pub fail_fast: bool,
    /// Files to run at once (at most 1024; 0: one per core); each file's requests still run in
    /// order, and the output stays in input order.
    #[arg(long, short = 'j', default_value_t = 1, value_name = "N", value_parser = parse_jobs)]
    pub jobs: usize,
    /// Run only the K-th of N parts of the files, for a CI matrix of N jobs: every job splits
    /// the same files the same way, balanced by request count. Merge their JSON reports with
    /// `runner report merge`.
    #[arg(long, value_name = "K/N", value_parser = crate::config::discover::Shard::parse)]
    pub shard: Option<crate::config::discover::Shard>,
    /// Send requests for HOST:PORT to ADDR:PORT instead, as curl's --connect-to: TLS names, SNI,
    /// Host and the URLs shown stay HOST:PORT. Repeatable.
    #[arg(long, value_name = "HOST:PORT:ADDR:PORT", value_parser = crate::config::suite::ConnectRule::parse)]
    pub connect_to: Vec<crate::config::suite::ConnectRule>,
    /// Write a report: junit=PATH (JUnit XML) or json=PATH (the whole run). Repeatable.
    #[arg(long, value_name = "KIND=PATH", value_parser = crate::report::files::ReportFile::parse)]
    pub report: Vec<crate::report::files::ReportFile>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8443")]
    pub addr: std::net::SocketAddr,
    /// PEM certificate chain to serve (with --key); default: the demo certificate for localhost.
    #[arg(long, requires = "key", value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// PEM private key of --cert.
    #[arg(long, requires = "cert", value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// PEM CA certificates whose client certificates are accepted (asked for, optional).
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// Staple this OCSP response (DER, as `openssl ocsp -respout` writes it) to the certificate.
    #[arg(long, value_name = "FILE")]
    pub ocsp: Option<PathBuf>,
    /// Refuse clients without a certificate from --client-ca (or the demo CA).
    #[arg(long)]
    pub require_client_cert: bool,
}

impl ServeArgs {
    pub fn options(&self) -> Result<crate::serve::Options, crate::serve::ServeError> {
        let client_ca = match (&self.client_ca, &self.cert) {
            (Some(ca), _) => Some(Some(ca.clone())),
            // The demo set-up: the demo CA's clients are welcome.
            (None, None) => Some(None),
            (None, Some(_)) if self.require_client_cert => {
                return Err(crate::serve::ServeError("--require-client-cert needs --client-ca: the CA whose client certificates to accept".to_owned()));
            }
            (None, Some(_)) => None,
        };
        Ok(crate::serve::Options {
            addr: self.addr,
            cert: self.cert.clone().zip(self.key.clone()),
            client_ca,
            require_client_cert: self.require_client_cert,
            ocsp: self.ocsp.clone(),
        })
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The folder of example suites, with their certificates in certs/.
    #[arg(long, default_value = "configs", value_name = "DIR")]
    pub configs: PathBuf,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Suite files; directories (their *.toml files, walked recursively, honouring
    /// .runnerignore); glob patterns such as 'suites/**/*.toml'; or - for standard input.
    #[arg(required = true, value_name = "SUITE|DIR|GLOB|-")]
    pub paths: Vec<PathBuf>,
    /// Leave out the suite files this glob matches (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Warn about certificates that expire within this time ("30d", "12h", ...).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration)]
    pub warn_expiry: std::time::Duration,
    /// Colour on stderr: auto, always or never (NO_COLOR and CLICOLOR_FORCE are honoured).
    #[arg(long, value_enum, default_value = "auto", value_name = "WHEN")]
    pub color: crate::style::ColorChoice,
    /// Check without the `env.*` values (a lint step without secrets): an unset one is
    /// reported as set at run time, and a keystore or key it is the password of is checked to
    /// be there and to be what it should be, without being opened.
    #[arg(long)]
    pub offline: bool,
    /// Exit 1 when there is a warning (an expiry, weakened security, a short secret): for a
    /// lint step in CI.
    #[arg(long)]
    pub deny_warnings: bool,
    #[command(flatten)]
    pub vars: VarArgs,
}

/// The most files run at once (spec §7).
const MAX_JOBS: usize = 1024;

fn parse_jobs(arg: &str) -> Result<usize, String> {
    match arg.parse::<usize>() {
        Ok(0) => Ok(std::thread::available_parallelism().map_or(1, std::num::NonZero::get)),
        Ok(jobs) if jobs <= MAX_JOBS => Ok(jobs),
        _ => Err(format!(
            "`{arg}` is not a number of jobs: give 1 to {MAX_JOBS}, or 0 for one per core"
        )),
    }
}

fn parse_duration(arg: &str) -> Result<std::time::Duration, String> {
    crate::config::duration::parse_text(arg, false)
        .map_err(|_| format!("`{arg}` is not a duration: write for example 30d, 12h or 90m"))
}

/// Variables from the command line.
#[derive(Debug, Args)]
pub struct VarArgs {
    /// Set a variable, used as {{NAME}}; wins over [vars] and --vars-file. Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Read variables from a TOML file of `name = value` lines; wins over [vars]. Repeatable.
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
}

impl VarArgs {
    pub fn overrides(&self) -> Overrides {
        Overrides {
            vars_files: self.vars_files.clone(),
            vars: self.vars.clone(),
        }
    }
}

fn parse_var(arg: &str) -> Result<(String, String), String> {
    let (name, value) = arg.split_once('=').ok_or_else(|| {
        format!(
            "`{arg}` is not NAME=VALUE; write for example --var base_url=https://localhost:8443"
        )
    })?;
    let name = name.trim();
    if !crate::config::template::is_valid_name(name) || name.starts_with("env.") {
        return Err(format!(
            "`{name}` is not a variable name: use letters, digits, `_`, `-` and `.` (`env.` is kept for the environment)"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}
