//! `runner check`: loads and validates suites without the network and prints what each holds.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;

use crate::cli::CheckArgs;
use crate::config::suite::{Endpoint, HttpVersion, Identity, Redirects, Request, Trust};
use crate::config::{self, CommandLineVars, Suite};
use crate::error::Error;

pub fn run(args: &CheckArgs) -> Result<ExitCode, Error> {
    let vars = CommandLineVars::read(&args.vars.overrides())?;
    let files = config::discover(&args.paths)?;
    let mut errors = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for file in files {
        match config::load(&file, &vars, Box::new(|name| std::env::var(name).ok())) {
            Ok(suite) => stdout
                .write_all(summary(&suite).as_bytes())
                .map_err(Error::Output)?,
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::Config(errors))
    }
}

/// What a suite holds, in a few lines.
pub fn summary(suite: &Suite) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: ok, {} {}, {} {}",
        suite.source.path.display(),
        suite.endpoints.len(),
        plural(suite.endpoints.len(), "endpoint"),
        suite.requests.len(),
        plural(suite.requests.len(), "request"),
    );
    for endpoint in &suite.endpoints {
        endpoint_lines(&mut out, endpoint);
    }
    for request in &suite.requests {
        request_line(&mut out, suite, request);
    }
    out
}

fn endpoint_lines(out: &mut String, endpoint: &Endpoint) {
    let version = match endpoint.http_version {
        HttpVersion::Http1 => "HTTP/1.1",
        HttpVersion::Http2 => "HTTP/2",
        HttpVersion::Auto => "HTTP auto",
    };
    let redirects = match endpoint.redirects {
        Redirects::None => String::new(),
        Redirects::Follow { max } => format!(", follows up to {max} redirects"),
    };
    let _ = writeln!(
        out,
        "  endpoint {}: {} ({version}{redirects})",
        endpoint.name, endpoint.url_shown
    );
    let Some(tls) = &endpoint.tls else {
        return;
    };
    let trust = match &tls.trust {
        Trust::System => "the system's trust store".to_owned(),
        Trust::Files(files) => files
            .iter()
            .map(|f| f.shown.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        Trust::Pkcs12 { file, .. } => format!("PKCS#12 truststore {}", file.shown),
    };
    let extra = if tls.system_roots {
        " and the system's trust store"
    } else {
        ""
    };
    let _ = writeln!(out, "    trust: {trust}{extra}");
    match &tls.identity {
        None => {}
        Some(Identity::Pem {
            cert_file,
            key_file,
            ..
        }) => {
            let _ = writeln!(
                out,
                "    identity: {} with key {}",
                cert_file.shown, key_file.shown
            );
        }
        Some(Identity::Pkcs12 { file, .. }) => {
            let _ = writeln!(out, "    identity: PKCS#12 keystore {}", file.shown);
        }
    }
    let versions: Vec<_> = tls.versions.iter().map(|v| v.name()).collect();
    let _ = writeln!(out, "    protocol: {}", versions.join(", "));
    if tls.danger_accept_invalid_certs {
        let _ = writeln!(
            out,
            "    warning: enable = false: the server's certificate is NOT verified"
        );
    }
    if tls.danger_skip_hostname_check {
        let _ = writeln!(
            out,
            "    warning: verify_hostname = false: the certificate's names are not checked"
        );
    }
}

fn request_line(out: &mut String, suite: &Suite, request: &Request) {
    let endpoint = suite
        .endpoints
        .get(request.endpoint)
        .map_or("", |e| e.name.as_str());
    let _ = writeln!(
        out,
        "  request \"{}\": {} {endpoint} {}",
        request.name,
        request.method,
        request.path.shown()
    );
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
