//! runner: runs version-controlled HTTP request suites written in TOML, with first-class TLS.
//!
//! The suite flows through one module per stage: [`config`] (TOML → validated structs) →
//! [`tls`] (`secure_socket` → rustls `ClientConfig`) → [`client`] (one HTTP client per endpoint)
//! → [`exec`] (requests, expectations, captures) → [`report`] (payloads, logs, reports).

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod diagnostic;
pub mod error;
pub mod exec;
pub mod load;
pub mod names;
pub mod probe;
pub mod read;
pub mod report;
pub mod resolve;
pub mod secret;
pub mod serve;
pub mod size;
pub mod style;
pub mod tls;
pub mod words;

use std::ffi::OsString;
use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};
use error::Error;

/// Runs the command line and returns the process's exit code. Errors are printed here, once.
pub fn run(args: impl IntoIterator<Item = OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(error) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr (exit 2).
            let _ = error.print();
            return ExitCode::from(
                u8::try_from(error.exit_code()).unwrap_or(error::EXIT_INVALID_INPUT),
            );
        }
    };
    // `--log-format json`: every message is a JSON object, the errors of loading too.
    let json = matches!(&cli.command, Command::Run(args) if args.log_format == report::logging::LogFormat::Json);
    style::init(match &cli.command {
        Command::Run(_) if json => style::ColorChoice::Never,
        Command::Run(args) => args.color,
        Command::Check(args) => args.color,
        _ => style::ColorChoice::Auto,
    });
    let outcome = match cli.command {
        Command::Run(args) => commands::run::run(&args),
        Command::Check(args) => commands::check::run(&args),
        Command::Schema { probe } => print_schema(probe),
        Command::Probe(args) => commands::probe::run(&args),
        Command::Serve(args) => args
            .options()
            .map_err(error::Error::Serve)
            .and_then(|o| commands::serve::run(&o)),
        Command::Demo(args) => commands::demo::run(&args.configs),
        Command::Report(cli::ReportCommand::Merge(args)) => commands::report::merge(&args),
        Command::Completions { shell } => print_completions(shell),
        Command::Man => print_man(),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            report::progress::write_stderr(error.render(json).as_bytes());
            error.exit_code()
        }
    }
}

fn print_completions(shell: clap_complete::Shell) -> Result<ExitCode, Error> {
    let mut command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "runner", &mut out);
    std::io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}

fn print_man() -> Result<ExitCode, Error> {
    let command = <Cli as clap::CommandFactory>::command();
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(Error::Output)?;
    std::io::stdout().write_all(&out).map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}

fn print_schema(probe: bool) -> Result<ExitCode, Error> {
    let text = if probe {
        probe::schema()
    } else {
        config::schema::text()
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}
