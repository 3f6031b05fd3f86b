//! `runner run`: loads every suite (and all its TLS material) and makes every destination ready
//! before anything is sent, runs the files (in parallel with `--jobs`, their output kept in
//! input order), writes the reports, and turns the outcome into the exit code (spec §6).

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tracing::{error, info};

use super::workers::{self, Ready};
use crate::cli::RunArgs;
use crate::client;
use crate::config::suite::Output;
use crate::config::{self, CommandLineVars};
use crate::diagnostic::{Diagnostic, nearest, quoted_list};
use crate::error::{
    EXIT_EXPECTATION_FAILED, EXIT_OK, EXIT_REQUEST_FAILED, EXIT_SIGINT, EXIT_SIGTERM,
    EXIT_UNWRITABLE, Error,
};
use crate::exec::{Settings, Verdict};
use crate::load::{self, Loaded};
use crate::report::destinations::{self, OutputUse, ReadyReport};
use crate::report::present::Presenter;
use crate::report::results::{Planned, Summary};
use crate::report::sequence::{Sequencer, Shared};
use crate::report::{files, logging, progress};

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Completed,
    Interrupted { signal: &'static str, code: u8 },
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
    let mut files = config::discover(&args.paths, &args.exclude)?;
    if let Some(shard) = args.shard {
        let all = files.len();
        let (picked, total, mine) = shard.pick(files);
        info!(
            "shard {}/{}: {} of {all} files, {mine} of {total} requests",
            shard.index,
            shard.count,
            picked.len()
        );
        files = picked;
    }
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
    if !args.allow_empty {
        let empty: Vec<Diagnostic> = loaded
            .iter()
            .filter(|l| l.suite.requests.is_empty())
            .map(|l| {
                Diagnostic::file(
                    &l.suite.source.path,
                    "this suite holds no request: it would pass without testing anything",
                )
                .help("add a [[requests]] table, or pass --allow-empty")
            })
            .collect();
        if !empty.is_empty() {
            return Err(Error::Invalid(empty));
        }
    }
    check_only(&args.only, &loaded)?;
    if args.verbose >= 3 {
        logging::hide(known_secrets(&loaded));
    }
    check_vars(&args.vars.vars, &loaded)?;
    let settings = Settings {
        output: args.output,
        // -v, or RUST_LOG asking for the same lines.
        exchange_shown: tracing::enabled!(target: "runner::report::present", tracing::Level::DEBUG),
        reported: !args.report.is_empty() || args.output == crate::exec::OutputMode::Json,
        only: args.only.clone(),
        fail_fast: args.fail_fast,
    };
    destinations::outputs(output_uses(&loaded, &settings)).map_err(Error::Invalid)?;
    let reports = destinations::reports(&args.report).map_err(|d| Error::Invalid(vec![d]))?;
    let ready = loaded
        .into_iter()
        .map(|loaded| {
            let clients = client::build_all(
                &loaded.suite.endpoints,
                &loaded.tls,
                &loaded.proxies,
                &args.connect_to,
            )?;
            Ok(Ready { loaded, clients })
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::Client)?;
    let plan: Vec<Planned> = ready
        .iter()
        .map(|r| planned(&r.loaded, &settings))
        .collect();
    let total = plan.iter().map(|p| p.requests.len()).sum();
    // The main thread waits for the files' ends and for signals; the files run on workers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    let stop = Arc::new(AtomicBool::new(false));
    let sequencer = Sequencer::new(
        Presenter::new(args.output, plan, !reports.is_empty()),
        Arc::clone(&stop),
    );
    let started = Instant::now();
    progress::start(total);
    let jobs = args.jobs.clamp(1, ready.len().max(1));
    let (ended, mut ends) = tokio::sync::mpsc::unbounded_channel();
    let workers = workers::start(ready, settings, jobs, &sequencer, &stop, ended)?;
    let ending = runtime.block_on(async {
        tokio::select! {
            () = in_order(&mut ends, &sequencer) => Ending::Completed,
            ending = interrupted() => ending,
        }
    });
    // Requests still in flight are abandoned: no request is sent any more, and the events of
    // the files still running are not shown.
    stop.store(true, Ordering::Relaxed);
    let presenter = {
        let mut sequencer = Sequencer::lock(&sequencer);
        if ending != Ending::Completed {
            sequencer.interrupt();
        }
        sequencer.take_presenter()
    };
    if ending == Ending::Completed {
        workers.join();
    }
    progress::finish();
    let summary = Summary::of(&presenter.results, started.elapsed());
    info!(
        files = summary.files,
        requests = summary.requests,
        passed = summary.passed,
        failed = summary.failed,
        errors = summary.errors,
        unwritten = summary.unwritten,
        skipped = summary.skipped,
        duration_ms = summary.duration_ms,
        "{}",
        summary.line()
    );
    let skipped = match ending {
        Ending::Interrupted { signal, .. } => format!("interrupted by {signal}"),
        Ending::Completed if presenter.unwritable().is_some() => {
            "not run: the results could not be written".to_owned()
        }
        Ending::Completed => "not run: --fail-fast stopped the run at the first failure".to_owned(),
    };
    let reports_written = write_reports(reports, &presenter, &summary, &skipped);
    let worst = presenter
        .results
        .iter()
        .flat_map(|r| &r.finished)
        .map(|f| f.verdict)
        .max()
        .unwrap_or(Verdict::Passed);
    let mut code = match worst {
        Verdict::Passed => EXIT_OK,
        Verdict::Failed => EXIT_EXPECTATION_FAILED,
        Verdict::Broken => EXIT_REQUEST_FAILED,
        Verdict::Unwritten => EXIT_UNWRITABLE,
    };
    if presenter.unwritable().is_some() || !reports_written {
        code = code.max(EXIT_UNWRITABLE);
    }
    if let Ending::Interrupted { code: signal, .. } = ending {
        code = signal;
    }
    Ok(ExitCode::from(code))
}

/// Writes every report; a report that cannot be written is said, and the run exits 4.
fn write_reports(
    reports: Vec<ReadyReport>,
    presenter: &Presenter,
    summary: &Summary,
    skipped: &str,
) -> bool {
    if reports.is_empty() {
        return true;
    }
    let mut written = true;
    let document = files::document(&presenter.results, summary, skipped);
    for ready in reports {
        let text = files::text(&ready.report, &document);
        if let Err(message) = text.and_then(|text| ready.write(&text)) {
            error!("{message}");
            written = false;
        }
    }
    written
}

/// Waits for SIGINT or SIGTERM, as a terminal or a CI system sends them.
async fn interrupted() -> Ending {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        // Without signal handling the run goes on, and the default handling ends it.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = interrupt.recv() => Ending::Interrupted { signal: "SIGINT", code: EXIT_SIGINT },
        _ = terminate.recv() => Ending::Interrupted { signal: "SIGTERM", code: EXIT_SIGTERM },
    }
}

/// The requests of a suite that are to run, as known before they run.
fn planned(loaded: &Loaded, settings: &Settings) -> Planned {
    let suite = &loaded.suite;
    Planned {
        path: suite.source.path.clone(),
        suite: Arc::clone(suite),
        requests: suite
            .requests
            .iter()
            .enumerate()
            .filter(|(_, request)| settings.runs(request))
            .map(|(index, _)| index)
            .collect(),
    }
}

/// Every `output` file the requests that are to run write.
fn output_uses<'a>(loaded: &'a [Loaded], settings: &Settings) -> Vec<OutputUse<'a>> {
    let mut uses = Vec::new();
    for loaded in loaded {
        let source = &loaded.suite.source;
        for request in loaded.suite.requests.iter().filter(|r| settings.runs(r)) {
            if let Output::File(target) = &request.output {
                uses.push(OutputUse {
                    path: &target.path,
                    at: Diagnostic::at(source, &target.span, String::new()),
                    request: &request.name,
                    suite: &source.path,
                });
            }
        }
    }
    uses
}

/// Every secret the suites hold at load: in URLs, headers, request templates.
fn known_secrets(loaded: &[Loaded]) -> crate::secret::Redactor {
    let mut redactor = crate::secret::Redactor::default();
    for suite in loaded.iter().map(|l| &l.suite) {
        for endpoint in &suite.endpoints {
            for secret in &endpoint.url_secrets {
                redactor.add(secret.expose());
            }
            for header in &endpoint.headers {
                header.value.load_secrets().for_each(|s| redactor.add(s));
            }
        }
        for request in &suite.requests {
            for template in request.templates() {
                template.load_secrets().for_each(|s| redactor.add(s));
            }
        }
    }
    redactor
}

/// Every `--var` must name a variable some suite uses: a misspelt one would leave the suite's
/// own value in place, and smoke-test the wrong environment. (A `--vars-file` may hold more.)
fn check_vars(vars: &[(String, String)], loaded: &[Loaded]) -> Result<(), Error> {
    let known: std::collections::BTreeSet<&str> = loaded
        .iter()
        .flat_map(|l| &l.suite.var_names)
        .map(String::as_str)
        .collect();
    for (name, _) in vars {
        if !known.contains(name.as_str()) {
            let names: Vec<&str> = known.iter().copied().collect();
            let help = match nearest(name, &names) {
                Some(near) => format!("did you mean `{near}`?"),
                None if names.is_empty() => "the suites use no variables".to_owned(),
                None => format!("the suites use {}", quoted_list(&names)),
            };
            return Err(Error::Usage(
                format!("--var {name}: no suite uses this variable"),
                help,
            ));
        }
    }
    Ok(())
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
                None => format!("the requests are {}", quoted_list(&names)),
            };
            return Err(Error::Usage(
                format!("--only \"{name}\": no request has this name"),
                help,
            ));
        }
    }
    Ok(())
}

/// Tells the sequencer that files ended, in input order, as their workers report them.
async fn in_order(
    ends: &mut tokio::sync::mpsc::UnboundedReceiver<(usize, Option<String>)>,
    sequencer: &Shared,
) {
    let mut ended: std::collections::BTreeMap<usize, Option<String>> = Default::default();
    let mut next = 0;
    while let Some((file, panic)) = ends.recv().await {
        ended.insert(file, panic);
        while let Some(panic) = ended.remove(&next) {
            Sequencer::lock(sequencer).end(next, panic.as_deref());
            next += 1;
        }
    }
}
