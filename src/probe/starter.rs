//! `runner probe --suite`: a starter suite whose endpoint works against the server probed.

use std::fmt::Write as _;

use super::Probe;

/// A suite for the server of `probe`: its URL, the trust that verified its chain (or a note on
/// the CA to obtain), a client identity placeholder when one is required (naming the CAs the
/// server accepts), the versions it speaks, and a first request with expectations on the
/// status and the certificate's remaining validity. `trust` is the `cert` value to write.
pub fn starter_suite(probe: &Probe, trust: Option<&str>) -> String {
    let quote = |text: &str| toml::Value::String(text.to_owned()).to_string();
    let mut url = probe.url.clone();
    let path = url::Url::parse(&probe.url).map_or_else(|_| "/".to_owned(), |u| u.path().to_owned());
    if let Ok(mut parsed) = url::Url::parse(&probe.url) {
        parsed.set_path("");
        parsed.set_query(None);
        url = parsed.to_string().trim_end_matches('/').to_owned();
    }
    let mut out = String::new();
    let _ = writeln!(out, "#:schema runner.schema.json");
    let _ = writeln!(
        out,
        "# Written by `runner probe --suite`; `runner schema > runner.schema.json` puts the schema next to it."
    );
    let _ = writeln!(out, "\n[endpoints.server]\nurl = {}", quote(&url));
    let _ = writeln!(out, "\n[endpoints.server.secure_socket]");
    let verified = |against: &str| {
        probe
            .verification
            .iter()
            .any(|v| v.verified && v.against.contains(against))
    };
    match trust {
        Some(cert) if verified("given") => {
            let _ = writeln!(out, "cert = {}", quote(cert));
        }
        _ if verified("system") => {
            let _ = writeln!(
                out,
                "# The chain verifies against the system's trust store: no `cert` needed."
            );
        }
        _ => {
            let issuer = probe
                .chain
                .last()
                .map_or_else(|| "its issuer".to_owned(), |c| c.issuer.clone());
            let _ = writeln!(
                out,
                "# Nothing given verifies the chain: obtain the CA certificate of {issuer} and name it here."
            );
            let _ = writeln!(out, "cert = \"ca.crt\"");
        }
    }
    if probe.client_auth.required {
        let cas = if probe.client_auth.acceptable_cas.is_empty() {
            "any CA it trusts (it names none)".to_owned()
        } else {
            probe.client_auth.acceptable_cas.join("; ")
        };
        let _ = writeln!(
            out,
            "# The server requires a client certificate issued by: {cas}"
        );
        let _ = writeln!(
            out,
            "key = {{ cert_file = \"client.crt\", key_file = \"client.key\" }}"
        );
    }
    let versions: Vec<String> = probe
        .protocols
        .iter()
        .filter(|p| p.accepted)
        .map(|p| quote(&p.version))
        .collect();
    if !versions.is_empty() {
        let _ = writeln!(out, "protocol = {{ versions = [{}] }}", versions.join(", "));
    }
    let days = probe.chain.first().map_or(0, |c| c.days_left);
    let at_least = if days > 30 {
        "30d"
    } else if days > 1 {
        "1d"
    } else {
        "1h"
    };
    let _ = writeln!(
        out,
        "\n[[requests]]\nname = \"reachable\"\npath = {}",
        quote(&path)
    );
    let mut expect = vec![format!(
        "certificate = {{ valid_for_at_least = \"{at_least}\" }}"
    )];
    if let Some(status) = probe.status {
        expect.insert(0, format!("status = {status}"));
    }
    let _ = writeln!(out, "expect = {{ {} }}", expect.join(", "));
    out
}
