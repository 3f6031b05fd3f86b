//! `runner run`: loads every suite (and all its TLS material) before anything is sent, runs the
//! files (in parallel with `--jobs`, their output kept in input order), writes the reports, and
//! turns the worst outcome into the exit code (spec §6).

use std::cell::RefCell;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use tracing::info;

use crate::cli::RunArgs;
use crate::client::{self, EndpointClient};
use crate::config::diagnostic::nearest;
use crate::config::{self, CommandLineVars};
use crate::error::{EXIT_EXPECTATION_FAILED, EXIT_OK, EXIT_REQUEST_FAILED, Error};
use crate::exec::{self, Finished, Settings, Verdict};
use crate::load::{self, Loaded};
use crate::report::files::{self, FileResult, Summary};
use crate::report::payload::OutputMode;
use crate::report::{logging, progress};

/// A suite ready to run: loaded, with its endpoints' clients.
struct Ready {
    loaded: Loaded,
    clients: Vec<EndpointClient>,
}

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
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    for file in files {
        match load::load(&file, &vars) {
            Ok(suite) => loaded.push(suite),
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Load(errors));
    }
    check_only(&args.only, &loaded)?;
    let ready = loaded
        .into_iter()
        .map(|loaded| {
            let clients = client::build_all(&loaded.suite.endpoints, &loaded.tls)?;
            Ok(Ready { loaded, clients })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Client)?;
    let settings = Settings {
        output: args.output,
        only: args.only.clone(),
        fail_fast: args.fail_fast,
    };
    let total = ready
        .iter()
        .flat_map(|r| &r.loaded.suite.requests)
        .filter(|r| settings.only.is_empty() || settings.only.contains(&r.name))
        .count();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let started = Instant::now();
    progress::start(total);
    let results = runtime.block_on(run_all(ready, settings, args.jobs.max(1)));
    progress::finish();
    let summary = Summary::of(&results, started.elapsed());
    info!(
        files = summary.files,
        requests = summary.requests,
        passed = summary.passed,
        failed = summary.failed,
        errors = summary.errors,
        duration_ms = summary.duration_ms,
        "{} {}, {} {}: {} passed, {} failed, {} could not complete, in {:.2} s",
        summary.files,
        if summary.files == 1 { "file" } else { "files" },
        summary.requests,
        if summary.requests == 1 {
            "request"
        } else {
            "requests"
        },
        summary.passed,
        summary.failed,
        summary.errors,
        summary.duration_ms as f64 / 1000.0
    );
    for report in &args.report {
        files::write(report, &results, &summary).map_err(Error::Report)?;
    }
    let worst = results
        .iter()
        .flat_map(|r| &r.finished)
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Passed);
    Ok(ExitCode::from(match worst {
        Verdict::Passed => EXIT_OK,
        Verdict::Failed => EXIT_EXPECTATION_FAILED,
        Verdict::Broken => EXIT_REQUEST_FAILED,
    }))
}

/// Every `--only` name must name a request.
fn check_only(only: &[String], loaded: &[Loaded]) -> Result<(), Error> {
    let names: Vec<&str> = loaded
        .iter()
        .flat_map(|l| &l.suite.requests)
        .map(|r| r.name.as_str())
        .collect();
    for name in only {
        if !names.contains(&name.as_str()) {
            let help = match nearest(name, &names) {
                Some(near) => format!("did you mean \"{near}\"?"),
                None => format!(
                    "the requests are {}",
                    crate::config::diagnostic::quoted_list(&names)
                ),
            };
            return Err(Error::Usage(
                format!("--only \"{name}\": no request has this name"),
                help,
            ));
        }
    }
    Ok(())
}

/// Runs the files, at most `jobs` at a time, and prints each file's payloads and logs in input
/// order.
async fn run_all(ready: Vec<Ready>, settings: Settings, jobs: usize) -> Vec<FileResult> {
    let stop = Arc::new(AtomicBool::new(false));
    let settings = Arc::new(settings);
    let mut results = Vec::new();
    if jobs == 1 {
        let mut stdout = std::io::stdout();
        for suite in &ready {
            let finished =
                exec::run_suite(&suite.loaded, &suite.clients, &settings, &mut stdout, &stop).await;
            print_json_lines(&settings, &finished, &mut stdout);
            results.push(FileResult {
                path: suite.loaded.suite.source.path.clone(),
                finished,
            });
        }
        return results;
    }
    // In parallel, each file's payloads and log lines are held, then shown in input order.
    let permits = Arc::new(tokio::sync::Semaphore::new(jobs));
    let ready: Vec<Arc<Ready>> = ready.into_iter().map(Arc::new).collect();
    let tasks: Vec<_> = ready
        .iter()
        .map(|suite| {
            let (suite, settings, stop, permits) = (
                Arc::clone(suite),
                Arc::clone(&settings),
                Arc::clone(&stop),
                Arc::clone(&permits),
            );
            tokio::spawn(logging::HELD.scope(RefCell::new(Vec::new()), async move {
                let _permit = permits.acquire().await;
                let mut payloads = Vec::new();
                let finished = exec::run_suite(
                    &suite.loaded,
                    &suite.clients,
                    &settings,
                    &mut payloads,
                    &stop,
                )
                .await;
                print_json_lines(&settings, &finished, &mut payloads);
                let logs = logging::HELD.with(|held| held.take());
                (finished, payloads, logs)
            }))
        })
        .collect();
    for (task, suite) in tasks.into_iter().zip(&ready) {
        // A task that panicked lost its requests' results: the run reports what remains.
        let Ok((finished, payloads, logs)) = task.await else {
            continue;
        };
        let _ = std::io::stdout().write_all(&payloads);
        progress::write_stderr(&logs);
        results.push(FileResult {
            path: suite.loaded.suite.source.path.clone(),
            finished,
        });
    }
    let _ = std::io::stdout().flush();
    results
}

fn print_json_lines(settings: &Settings, finished: &[Finished], out: &mut dyn Write) {
    if settings.output == OutputMode::Json {
        for done in finished {
            let line = serde_json::to_string(&done.report).unwrap_or_default();
            let _ = writeln!(out, "{line}");
        }
    }
}
