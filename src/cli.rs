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
3 a request could not complete.\nThe suite format: `runner schema`, or the README."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load and validate suites and all their TLS material, without touching the network.
    ///
    /// Reads every suite file, resolves its variables, checks every value, and reads every
    /// certificate, key and keystore it names. Prints each endpoint's trust source, its client
    /// identity (subject, issuer, key type, expiry) and the requests, and warns about
    /// certificates that expire soon. A problem is reported with the file, line and column, and
    /// exit code 2.
    Check(CheckArgs),
    /// Print the JSON Schema of the suite format.
    ///
    /// Editors use it for completion and checking: start a suite with
    /// `#:schema ../schemas/runner.schema.json` (Taplo, Even Better TOML).
    Schema,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Suite files, or directories whose *.toml files are suites.
    #[arg(required = true, value_name = "SUITE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Warn about certificates that expire within this time ("30d", "12h", ...).
    #[arg(long, value_name = "DURATION", default_value = "30d", value_parser = parse_duration)]
    pub warn_expiry: std::time::Duration,
    #[command(flatten)]
    pub vars: VarArgs,
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
