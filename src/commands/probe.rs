//! `runner probe URL`: sets up the TLS the probe speaks (the trust and identity given, or a
//! suite's endpoint), probes, and prints the answer as text, JSON or a starter suite.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use url::Url;

use crate::cli::{ProbeArgs, ProbeOutput};
use crate::config::{self, CommandLineVars};
use crate::diagnostic::Source;
use crate::error::{EXIT_REQUEST_FAILED, Error};
use crate::load::{self, LoadError, Loaded};
use crate::probe::{self, Setup};

pub fn run(args: &ProbeArgs) -> Result<ExitCode, Error> {
    let url = Url::parse(&args.url)
        .ok()
        .filter(|u| u.scheme() == "https" && u.host_str().is_some())
        .ok_or_else(|| {
            Error::Usage(
                format!("`{}` is not an https:// URL", args.url),
                "probe a TLS server: runner probe https://host:port/".to_owned(),
            )
        })?;
    let setup = setup(args, url)?;
    let probed = match probe::probe(&setup) {
        Ok(probed) => probed,
        Err(error) => {
            eprintln!("error: {}: {error}", setup.url);
            return Ok(ExitCode::from(EXIT_REQUEST_FAILED));
        }
    };
    let text = if args.suite {
        // The suite may be written anywhere: the CA file by its whole path.
        let trust = match args.cert.as_slice() {
            [one] => Some(
                std::fs::canonicalize(one)
                    .unwrap_or_else(|_| one.clone())
                    .display()
                    .to_string(),
            ),
            _ => None,
        };
        probe::starter_suite(&probed, trust.as_deref())
    } else if args.output == ProbeOutput::Json {
        let mut text = serde_json::to_string_pretty(&probed).unwrap_or_default();
        text.push('\n');
        text
    } else {
        probe::text(&probed)
    };
    std::io::stdout()
        .write_all(text.as_bytes())
        .map_err(Error::Output)?;
    Ok(ExitCode::SUCCESS)
}

fn setup(args: &ProbeArgs, url: Url) -> Result<Setup, Error> {
    if let Some(from) = &args.endpoint_from {
        let (suite, name) = from.rsplit_once(':').ok_or_else(|| {
            Error::Usage(
                format!("`{from}` is not SUITE:NAME"),
                "name a suite file and one of its endpoints: --endpoint-from configs/mtls.toml:api"
                    .to_owned(),
            )
        })?;
        let given = load::load(Path::new(suite), &CommandLineVars::default())
            .map_err(|e| Error::Load(vec![e]))?;
        let names: Vec<&str> = given
            .suite
            .endpoints
            .iter()
            .map(|e| e.name.as_str())
            .collect();
        let index = names.iter().position(|n| *n == name).ok_or_else(|| {
            Error::Usage(
                format!("{suite} has no endpoint `{name}`"),
                format!("its endpoints: {}", names.join(", ")),
            )
        })?;
        let tls = given
            .tls
            .get(index)
            .and_then(Option::as_ref)
            .ok_or_else(|| {
                Error::Usage(
                    format!("endpoint `{name}` of {suite} is not https://"),
                    "probe an https:// endpoint".to_owned(),
                )
            })?;
        let system_trust = tls.trust.source.starts_with("the system's trust store");
        let given_trust = format!("the endpoint's trust ({})", tls.trust.source);
        return Ok(Setup {
            system: (!system_trust)
                .then(|| synthetic(&url, &[], None))
                .transpose()?,
            url,
            given,
            endpoint: index,
            given_trust: Some(given_trust),
        });
    }
    let identity = args.cert_file.as_deref().zip(args.key_file.as_deref());
    let given = synthetic(&url, &args.cert, identity)?;
    let given_trust = (!args.cert.is_empty()).then(|| {
        let files: Vec<String> = args.cert.iter().map(|c| c.display().to_string()).collect();
        format!("the trust given ({})", files.join(", "))
    });
    Ok(Setup {
        system: (!args.cert.is_empty())
            .then(|| synthetic(&url, &[], None))
            .transpose()?,
        url,
        given,
        endpoint: 0,
        given_trust,
    })
}

/// A suite of one endpoint at `url` with this trust (the system's when empty) and identity,
/// loaded as any suite is: its files are read and checked the same way.
fn synthetic(
    url: &Url,
    trust: &[PathBuf],
    identity: Option<(&Path, &Path)>,
) -> Result<Loaded, Error> {
    let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
    let mut socket = Vec::new();
    if !trust.is_empty() {
        let files: Vec<String> = trust
            .iter()
            .map(|p| quote(&p.display().to_string()))
            .collect();
        socket.push(format!("cert = [{}]", files.join(", ")));
    }
    if let Some((cert, key)) = identity {
        socket.push(format!(
            "key = {{ cert_file = {}, key_file = {} }}",
            quote(&cert.display().to_string()),
            quote(&key.display().to_string())
        ));
    }
    let text = format!(
        "[endpoints.probe]\nurl = {}\nsecure_socket = {{ {} }}\n\n[[requests]]\npath = \"/\"\n",
        quote(url.as_str()),
        socket.join(", ")
    );
    // Paths given on the command line are the working folder's.
    let source = Arc::new(Source::new(PathBuf::from("probe"), text));
    let suite = config::load_source(source, &CommandLineVars::default(), Box::new(|_| None))
        .map_err(|e| Error::Load(vec![LoadError::Config(e)]))?;
    load::with_tls(suite).map_err(|e| Error::Load(vec![e]))
}
