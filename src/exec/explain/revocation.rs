//! Revocation and pins in words: which certificate, since when and why, according to which
//! CRL, stapled response or responder; a key that is not the one pinned.

use super::{Failure, describe};
use crate::tls::TlsClient;
use crate::tls::inspect::{CertInfo, format_time};
use crate::tls::verify::{FetchRefusal, OcspRefusal, PinMismatch};

/// The server's key is not one of `pin_sha256`.
pub(super) fn pin_mismatch(mismatch: &PinMismatch, chain: &[CertInfo], tls: &TlsClient) -> Failure {
    let mut failure = Failure::new("the server's public key does not match `pin_sha256`");
    if let Some(leaf) = chain.first() {
        failure = failure
            .detail(format!("the server presented: {}", describe(leaf)))
            .detail(format!("  spki_sha256: {}", leaf.spki_sha256))
            .detail(format!("  sha256 fingerprint: {}", leaf.sha256));
    } else {
        failure = failure.detail(format!("the server's key: {}", mismatch.presented));
    }
    failure
        .detail(format!("pinned: {}", tls.pins.join(", ")))
        .help("if the server's key changed on purpose, put its spki_sha256 in `pin_sha256`; otherwise this is not the server you pinned")
}

/// The server's stapled OCSP response refused the handshake.
pub(super) fn ocsp_refused(refusal: &OcspRefusal, chain: &[CertInfo]) -> Failure {
    match refusal {
        OcspRefusal::Missing => Failure::new("the server stapled no OCSP response, and `ocsp_stapling = \"require\"` asks for one")
            .help("turn stapling on at the server (nginx: `ssl_stapling on`), or set `ocsp_stapling = \"if-present\"`"),
        OcspRefusal::Invalid(reason) => Failure::new(format!("the OCSP response stapled by the server cannot be believed: {reason}"))
            .help("the server must staple a current response signed by its CA or by a responder the CA delegated; `ocsp_stapling = \"ignore\"` skips it"),
        OcspRefusal::Unknown => Failure::new("the OCSP response stapled by the server does not know the server's certificate")
            .help("the CA's responder must know the certificate; `unknown = \"allow\"` lets it pass"),
        OcspRefusal::Revoked(stapled) => {
            let (at, reason) = match &stapled.status {
                crate::tls::ocsp::Status::Revoked { at, reason } => (*at, reason.clone()),
                _ => (0, None),
            };
            let leaf = chain.first();
            Failure::new(format!(
                "the server's certificate {} (serial {}) was revoked on {}{} according to the OCSP response stapled by the server",
                leaf.map_or("", |l| l.subject.as_str()),
                leaf.map_or("", |l| l.serial.as_str()),
                format_time(at),
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ))
            .detail(format!(
                "the response is signed by {}, updated {}",
                stapled.signer,
                format_time(stapled.this_update)
            ))
            .help("the server must use a certificate that is not revoked")
        }
    }
}

/// A revocation answer fetched from the sources the chain names refused the handshake.
pub(super) fn fetch_refused(refusal: &FetchRefusal, chain: &[CertInfo]) -> Failure {
    let whose = |subject: &str| {
        if chain.first().is_some_and(|leaf| leaf.subject == subject) {
            format!("the server's certificate {subject}")
        } else {
            format!("the server's intermediate {subject}")
        }
    };
    match refusal {
        FetchRefusal::Revoked {
            subject,
            serial,
            at,
            reason,
            source,
        } => Failure::new(format!(
            "{} (serial {serial}) was revoked on {}{} according to {source}",
            whose(subject),
            format_time(*at),
            reason
                .as_deref()
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        ))
        .help("the server must use certificates that are not revoked"),
        FetchRefusal::Unknown { subject, reasons } => {
            let mut failure = Failure::new(format!(
                "the revocation status of {} is unknown: no source answered",
                whose(subject)
            ));
            for reason in reasons {
                failure = failure.detail(format!("  - {reason}"));
            }
            failure.help("check that the OCSP responder and the CRL URLs answer from here (`runner probe` lists them); `unknown = \"allow\"` lets an unanswered certificate pass")
        }
    }
}

/// A certificate of the chain is on a CRL: which, since when, why, and which CRL says so.
pub(super) fn revoked(chain: &[CertInfo], tls: &TlsClient) -> Failure {
    let found = chain.iter().enumerate().find_map(|(at, cert)| {
        tls.crls
            .iter()
            .find_map(|crl| Some((at, cert, crl, crl.revokes(&cert.issuer, &cert.serial)?)))
    });
    let Some((at, cert, crl, entry)) = found else {
        return Failure::new("a certificate of the server's chain is revoked")
            .help("the server must use certificates that are not revoked");
    };
    let whose = if at == 0 {
        "the server's certificate".to_owned()
    } else {
        format!("the server's intermediate {}", cert.subject)
    };
    Failure::new(format!(
        "{whose} {} (serial {}) was revoked on {}{} according to the CRL {}",
        cert.subject,
        cert.serial,
        format_time(entry.date),
        entry.reason.map(|r| format!(" ({r})")).unwrap_or_default(),
        crl.file
    ))
    .detail(format!("certificate: {}", describe(cert)))
    .detail(format!(
        "CRL: {} of {}, updated {}{}",
        crl.file,
        crl.issuer,
        format_time(crl.this_update),
        crl.next_update
            .map(|n| format!(", next update {}", format_time(n)))
            .unwrap_or_default()
    ))
    .help("the server must use a certificate that is not revoked")
}
