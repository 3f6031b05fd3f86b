//! `runner run`: loads every suite (and all its TLS material) before anything is sent, then runs
//! them and turns the worst outcome into the exit code (spec §6).

use std::io::Write;
use std::process::ExitCode;

use crate::cli::RunArgs;
use crate::client;
use crate::config::{self, CommandLineVars};
use crate::error::{EXIT_EXPECTATION_FAILED, EXIT_REQUEST_FAILED, Error};
use crate::exec::{self, Settings, Verdict};
use crate::load;
use crate::report::logging;
use crate::report::payload::OutputMode;

pub fn run(args: &RunArgs) -> Result<ExitCode, Error> {
    logging::init(
        args.log_format,
        if args.quiet {
            -1
        } else {
            i8::try_from(args.verbose).unwrap_or(i8::MAX)
        },
    );
    let vars = CommandLineVars::read(&args.vars.overrides())?;
    let files = config::discover(&args.paths)?;
    let mut suites = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load::load(&file, &vars) {
            Ok(loaded) => suites.push(loaded),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Load(errors));
    }
    let clients = suites
        .iter()
        .map(|loaded| client::build_all(&loaded.suite.endpoints, &loaded.tls))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Client)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let settings = Settings {
        output: args.output,
    };
    let worst = runtime.block_on(async {
        let mut worst = Verdict::Passed;
        let mut stdout = std::io::stdout();
        for (loaded, clients) in suites.iter().zip(&clients) {
            let finished = exec::run_suite(loaded, clients, settings, &mut stdout).await;
            if settings.output == OutputMode::Json {
                for done in &finished {
                    let line = serde_json::to_string(&done.report).unwrap_or_default();
                    let _ = writeln!(stdout, "{line}");
                }
            }
            worst = finished.iter().map(|f| f.verdict).fold(worst, Ord::max);
        }
        let _ = stdout.flush();
        worst
    });
    Ok(ExitCode::from(match worst {
        Verdict::Passed => 0,
        Verdict::Failed => EXIT_EXPECTATION_FAILED,
        Verdict::Broken => EXIT_REQUEST_FAILED,
    }))
}
