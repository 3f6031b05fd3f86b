//! The probe in words, for a terminal.

use super::{Probe, Protocol};

/// The probe, a few lines a fact.
pub fn text(probe: &Probe) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(out, "{}", probe.url);
    let _ = writeln!(out, "chain ({} presented):", probe.chain.len());
    for (at, cert) in probe.chain.iter().enumerate() {
        let _ = writeln!(out, "  {at}: {}", cert.subject);
        let _ = writeln!(out, "     issuer: {}", cert.issuer);
        if !cert.names.is_empty() {
            let _ = writeln!(out, "     names: {}", cert.names.join(", "));
        }
        let _ = writeln!(
            out,
            "     valid: {} to {} ({} days left)",
            cert.not_before, cert.not_after, cert.days_left
        );
        let _ = writeln!(out, "     key: {}, serial {}", cert.key, cert.serial);
        let _ = writeln!(out, "     sha256: {}", cert.sha256);
        let _ = writeln!(out, "     spki_sha256: {}", cert.spki_sha256);
    }
    for check in &probe.verification {
        match &check.reason {
            None => {
                let _ = writeln!(out, "verifies against {}: yes", check.against);
            }
            Some(reason) => {
                let _ = writeln!(out, "verifies against {}: no", check.against);
                for line in reason.lines() {
                    let _ = writeln!(out, "  {line}");
                }
            }
        }
    }
    let _ = writeln!(out, "protocols:");
    for protocol in &probe.protocols {
        if !protocol.accepted {
            let _ = writeln!(out, "  {}: refused", protocol.version);
            continue;
        }
        let _ = writeln!(out, "  {}: accepted", protocol.version);
        for suite in &protocol.cipher_suites {
            let mark = if probe_preferred(protocol, suite) {
                " (the server's choice)"
            } else {
                ""
            };
            let _ = writeln!(out, "    {suite}{mark}");
        }
    }
    let alpn: Vec<String> = probe
        .alpn
        .iter()
        .map(|a| format!("{} {}", a.protocol, if a.accepted { "yes" } else { "no" }))
        .collect();
    let _ = writeln!(out, "alpn: {}", alpn.join(", "));
    let _ = writeln!(
        out,
        "session resumption: {}",
        if probe.session_resumption {
            "offered"
        } else {
            "not offered"
        }
    );
    let auth = &probe.client_auth;
    let _ = writeln!(
        out,
        "client certificate: {}",
        match (auth.requested, auth.required) {
            (false, _) => "not asked for",
            (true, true) => "required",
            (true, false) => "asked for, optional",
        }
    );
    if auth.requested {
        if auth.acceptable_cas.is_empty() {
            let _ = writeln!(out, "  acceptable CAs: none named");
        } else {
            let _ = writeln!(out, "  acceptable CAs:");
            for ca in &auth.acceptable_cas {
                let _ = writeln!(out, "    - {ca}");
            }
        }
        if let Some(identity) = &auth.identity {
            let _ = writeln!(
                out,
                "  the identity given, {} (issued by {}), {}",
                identity.subject,
                identity.issuer,
                if identity.issuer_accepted {
                    "is from an acceptable CA"
                } else {
                    "is NOT from a CA the server names"
                }
            );
        }
    }
    let revocation = &probe.revocation;
    let _ = writeln!(
        out,
        "ocsp stapling: {}",
        match &revocation.ocsp_status {
            Some(status) => format!("a response is stapled: {status}"),
            None => "none".to_owned(),
        }
    );
    if !revocation.crl_urls.is_empty() {
        let _ = writeln!(out, "crl: {}", revocation.crl_urls.join(", "));
    }
    if !revocation.ocsp_urls.is_empty() {
        let _ = writeln!(out, "ocsp responder: {}", revocation.ocsp_urls.join(", "));
    }
    out
}

fn probe_preferred(protocol: &Protocol, suite: &str) -> bool {
    protocol.server_order && protocol.preferred.as_deref() == Some(suite)
}
