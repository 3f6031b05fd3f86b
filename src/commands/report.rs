//! `runner report merge`: the JSON reports of a sharded run's jobs joined into one JUnit or JSON
//! report, with the exit code the whole run would have had.

use std::process::ExitCode;

use crate::cli::MergeArgs;
use crate::error::{EXIT_EXPECTATION_FAILED, EXIT_OK, EXIT_REQUEST_FAILED, EXIT_UNWRITABLE, Error};
use crate::report::{destinations, files, merge};

pub fn merge(args: &MergeArgs) -> Result<ExitCode, Error> {
    let (document, summary) = merge::merge(&args.inputs).map_err(Error::Invalid)?;
    let reports = destinations::reports(&args.report).map_err(|d| Error::Invalid(vec![d]))?;
    let mut code = EXIT_OK;
    for ready in reports {
        let text = files::text(&ready.report, &document);
        if let Err(message) = text.and_then(|text| ready.write(&text)) {
            eprintln!("error: {message}");
            code = EXIT_UNWRITABLE;
        }
    }
    eprintln!(
        "{} {}: {}",
        args.inputs.len(),
        if args.inputs.len() == 1 {
            "report"
        } else {
            "reports"
        },
        summary.line()
    );
    // The whole run's verdict, as `runner run` would give it.
    if summary.failed > 0 {
        code = code.max(EXIT_EXPECTATION_FAILED);
    }
    if summary.errors > 0 {
        code = code.max(EXIT_REQUEST_FAILED);
    }
    if summary.unwritten > 0 {
        code = code.max(EXIT_UNWRITABLE);
    }
    Ok(ExitCode::from(code))
}
