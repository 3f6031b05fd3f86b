//! `runner check`: loads suites and their TLS material without the network, and prints what
//! each holds: endpoints with their trust and client identity, requests, and expiry warnings.

use std::fmt::Write as _;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use crate::cli::CheckArgs;
use crate::config::suite::{
    Endpoint, HttpVersion, OtherOrigins, ProxySetting, Redirects, Request, Stapling,
};
use crate::config::{self, CommandLineVars};
use crate::error::Error;
use crate::load::{self, Loaded};
use crate::tls::inspect::{format_time, now};
use crate::tls::{CertInfo, ProxyTrust, TlsClient};

pub fn run(args: &CheckArgs) -> Result<ExitCode, Error> {
    let vars = CommandLineVars::read(&args.vars.overrides())?;
    let files = config::discover(&args.paths, &args.exclude)?;
    let mut errors = Vec::new();
    let mut warned = false;
    let mut stdout = std::io::stdout().lock();
    let last = files.len().saturating_sub(1);
    for (index, file) in files.into_iter().enumerate() {
        let loaded = if args.offline {
            load::load_offline(&file, &vars)
        } else {
            load::load(&file, &vars)
        };
        match loaded {
            Ok(loaded) => {
                let summary = summary(&loaded, args.warn_expiry);
                warned |= summary.contains("warning: ");
                stdout
                    .write_all(summary.as_bytes())
                    .map_err(Error::Output)?;
                if index == last {
                    // The process ends next: freeing a suite of 100,000 requests one piece at
                    // a time would add a tenth to its check, for nothing.
                    std::mem::forget(loaded);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if !errors.is_empty() {
        return Err(Error::Load(errors));
    }
    if warned && args.deny_warnings {
        let denied = crate::diagnostic::Diagnostic::plain(
            "there are warnings, and --deny-warnings makes them fail",
        )
        .help("fix what the warnings say, or drop --deny-warnings");
        let _ = write!(std::io::stderr(), "{denied}");
        return Ok(ExitCode::from(crate::error::EXIT_EXPECTATION_FAILED));
    }
    Ok(ExitCode::SUCCESS)
}

/// What a suite holds, in a few lines.
pub fn summary(loaded: &Loaded, warn_expiry: Duration) -> String {
    let suite = &loaded.suite;
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
    for ((endpoint, tls), proxy) in suite.endpoints.iter().zip(&loaded.tls).zip(&loaded.proxies) {
        endpoint_lines(&mut out, endpoint, tls.as_ref(), warn_expiry);
        proxy_line(&mut out, endpoint, proxy.as_deref());
    }
    for request in &suite.requests {
        request_line(&mut out, loaded, request);
    }
    if !suite.deferred_env.is_empty() {
        let names: Vec<String> = suite
            .deferred_env
            .iter()
            .map(|n| format!("env.{n}"))
            .collect();
        let _ = writeln!(out, "  set at run time: {}", names.join(", "));
    }
    let trust_warnings = loaded.tls.iter().flatten().flat_map(|t| &t.trust.warnings);
    let mut said = Vec::new();
    for warning in suite.warnings.iter().chain(trust_warnings) {
        if !said.contains(&warning) {
            let _ = writeln!(out, "  warning: {warning}");
            said.push(warning);
        }
    }
    out
}

/// The proxy the endpoint's requests go through, and whom its certificate must chain to.
fn proxy_line(out: &mut String, endpoint: &Endpoint, trust: Option<&ProxyTrust>) {
    let Some(applied) = endpoint.proxy.applied(&endpoint.url) else {
        return;
    };
    let shown = match &endpoint.proxy {
        ProxySetting::Via { shown, .. } => shown.clone(),
        // The environment's URL may carry a password: only where it goes is shown.
        _ => format!(
            "{}://{}:{} (from the environment)",
            applied.url.scheme(),
            applied.url.host_str().unwrap_or_default(),
            applied.url.port_or_known_default().unwrap_or_default()
        ),
    };
    let _ = match trust {
        Some(trust) => writeln!(
            out,
            "    proxy: {shown}, its certificate checked against {}",
            trust.source
        ),
        None => writeln!(out, "    proxy: {shown}"),
    };
}

fn endpoint_lines(
    out: &mut String,
    endpoint: &Endpoint,
    tls: Option<&TlsClient>,
    warn_expiry: Duration,
) {
    let version = match endpoint.http_version {
        HttpVersion::Http1 => "HTTP/1.1",
        HttpVersion::Http2 => "HTTP/2",
        HttpVersion::Auto => "HTTP auto",
    };
    let redirects = match endpoint.redirects {
        Redirects::None => String::new(),
        Redirects::Follow {
            max,
            to_http,
            other_origins,
        } => format!(
            ", follows up to {max} redirects{}{}",
            if to_http { ", also to http://" } else { "" },
            match other_origins {
                OtherOrigins::Strip => "",
                OtherOrigins::DangerKeep => ", keeping headers and identity for other origins",
                OtherOrigins::Refuse => ", not to other origins",
            }
        ),
    };
    let _ = writeln!(
        out,
        "  endpoint {}: {} ({version}{redirects})",
        endpoint.name, endpoint.url_shown
    );
    let (Some(tls), Some(socket)) = (tls, &endpoint.tls) else {
        return;
    };
    let trust = &tls.trust;
    let _ = writeln!(
        out,
        "    trust: {} ({} {})",
        trust.source,
        trust.count,
        plural(trust.count, "certificate")
    );
    if let Some(identity) = &tls.identity {
        let leaf = &identity.leaf;
        let _ = writeln!(out, "    identity: {}", identity.source);
        let _ = writeln!(out, "      subject: {}", leaf.subject);
        let _ = writeln!(out, "      issuer: {}", leaf.issuer);
        let _ = writeln!(
            out,
            "      key: {}, expires {}",
            leaf.key_type,
            format_time(leaf.not_after)
        );
    }
    for unopened in &tls.unopened {
        let _ = writeln!(out, "    {unopened}");
    }
    if !tls.pins.is_empty() {
        let _ = writeln!(
            out,
            "    pinned keys (spki_sha256): {}",
            tls.pins.join(", ")
        );
    }
    if let Some(revocation) = &socket.revocation {
        let stapling = match revocation.stapling {
            Stapling::Require => "a stapled OCSP response required",
            Stapling::IfPresent => "a stapled OCSP response checked when there is one",
            Stapling::Ignore => "stapled OCSP responses ignored",
        };
        let crls = if revocation.crls.is_empty() {
            "no CRL".to_owned()
        } else if revocation.end_entity_only {
            "CRLs for the server's own certificate".to_owned()
        } else {
            "CRLs for the chain".to_owned()
        };
        let fetched = revocation.fetch.as_ref().map_or(String::new(), |f| {
            format!(
                "; fetched from the OCSP responders and CRLs the certificates name ({} answers kept for {})",
                f.cache_size,
                crate::config::duration::show(f.cache_validity)
            )
        });
        let _ = writeln!(
            out,
            "    revocation: {crls}; {stapling}{fetched}; unknown status {}",
            if revocation.allow_unknown {
                "allowed"
            } else {
                "refused"
            }
        );
        for crl in &tls.crls {
            let _ = writeln!(
                out,
                "      CRL {}: of {}, {} revoked, updated {}, next update {}",
                crl.file,
                crl.issuer,
                crl.revoked.len(),
                format_time(crl.this_update),
                crl.next_update
                    .map_or_else(|| "not given".to_owned(), format_time)
            );
        }
    }
    let versions: Vec<_> = socket.versions.iter().map(|v| v.name()).collect();
    let _ = writeln!(out, "    protocol: {}", versions.join(", "));
    if let Some(name) = &tls.server_name {
        let _ = writeln!(out, "    server name: {}", name.to_str());
    }
    if tls.danger_accept_invalid_certs {
        let _ = writeln!(
            out,
            "    warning: enable = false: the server's certificate is NOT verified"
        );
    }
    if socket.danger_skip_hostname_check {
        let _ = writeln!(
            out,
            "    warning: verify_hostname = false: the names in the server's certificate are not checked"
        );
    }
    if let Some(identity) = &tls.identity {
        expiry_warning(out, "the client certificate", &identity.leaf, warn_expiry);
    }
    for crl in &tls.crls {
        if let Some(next) = crl.next_update {
            dated_warning(
                out,
                &format!("the CRL {}", crl.file),
                next,
                ("is out of date since", "is due for its next update in"),
                warn_expiry,
            );
        }
    }
    for (file, info) in &trust.listed {
        expiry_warning(
            out,
            &format!("{} in {file}", info.subject),
            info,
            warn_expiry,
        );
    }
}

/// A warning line when `info` has expired or expires within `window`.
fn expiry_warning(out: &mut String, what: &str, info: &CertInfo, window: Duration) {
    dated_warning(
        out,
        what,
        info.not_after,
        ("expired on", "expires in"),
        window,
    );
}

/// A warning line when `until` (Unix seconds) has passed ("`what` `passed` DATE") or comes
/// within `window` ("`what` `coming` N days").
fn dated_warning(
    out: &mut String,
    what: &str,
    until: i64,
    (passed, coming): (&str, &str),
    window: Duration,
) {
    let left = until - now();
    let window = i64::try_from(window.as_secs()).unwrap_or(i64::MAX);
    if left < 0 {
        let _ = writeln!(out, "    warning: {what} {passed} {}", format_time(until));
    } else if left <= window {
        let days = left / 86_400;
        let _ = writeln!(
            out,
            "    warning: {what} {coming} {days} {} ({})",
            plural(usize::try_from(days).unwrap_or(0), "day"),
            format_time(until)
        );
    }
}

fn request_line(out: &mut String, loaded: &Loaded, request: &Request) {
    let endpoint = loaded
        .suite
        .endpoints
        .get(request.endpoint)
        .map_or("", |e| e.name.as_str());
    // Pushed piece by piece: through `writeln!`, these lines were a fifth of the main
    // thread's work in a check of 100,000 requests.
    let name = &request.name;
    out.extend([
        "  request \"",
        name,
        "\": ",
        request.method.as_str(),
        " ",
        endpoint,
        " ",
    ]);
    request.path.show_in(out);
    out.push('\n');
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        word.to_owned()
    } else {
        format!("{word}s")
    }
}
