//! CRLs for `revocation`: read and identified when the suite loads, given to rustls' verifier
//! (webpki checks signatures, scope and dates), and read for people: who issued each, until
//! when it is current, and which serials it revokes, when and why, to explain a refusal.

use rustls::pki_types::CertificateRevocationListDer;
use rustls::pki_types::pem::PemObject;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

use super::error::{MaterialError, Problem};
use super::files::{fail, read};
use super::inspect::colon_hex;
use crate::config::suite::Revocation;

/// What a CRL says, for `runner check` and for messages.
#[derive(Debug, Clone)]
pub struct CrlInfo {
    /// The file, as the suite names it.
    pub file: String,
    /// The CA that signed it, as "CN=..., O=...".
    pub issuer: String,
    /// Unix seconds.
    pub this_update: i64,
    /// Unix seconds; after it the CRL is out of date.
    pub next_update: Option<i64>,
    pub revoked: Vec<Revoked>,
}

/// One revoked certificate.
#[derive(Debug, Clone)]
pub struct Revoked {
    /// As "1A:2B:...".
    pub serial: String,
    /// Unix seconds.
    pub date: i64,
    /// "key compromise", ...
    pub reason: Option<&'static str>,
}

/// The CRLs of `revocation`, for rustls and for people. Every unreadable file is reported.
pub fn load(
    revocation: &Revocation,
) -> Result<(Vec<CertificateRevocationListDer<'static>>, Vec<CrlInfo>), Vec<MaterialError>> {
    let mut ders = Vec::new();
    let mut infos = Vec::new();
    let mut errors = Vec::new();
    for file in &revocation.crls {
        let bad = |reason: String| fail(file, Problem::BadCrl(reason));
        let found = read(file).and_then(|bytes| {
            let list: Vec<CertificateRevocationListDer<'static>> = if bytes.first() == Some(&0x30) {
                vec![CertificateRevocationListDer::from(bytes)]
            } else {
                CertificateRevocationListDer::pem_slice_iter(&bytes)
                    .collect::<Result<_, _>>()
                    .map_err(|e| bad(format!("its PEM cannot be read: {e}")))?
            };
            if list.is_empty() {
                return Err(bad("it holds no X509 CRL block".to_owned()));
            }
            list.into_iter()
                .map(|der| {
                    let info = describe(&file.shown, &der).map_err(&bad)?;
                    Ok((der, info))
                })
                .collect::<Result<Vec<_>, _>>()
        });
        match found {
            Ok(list) => {
                for (der, info) in list {
                    ders.push(der);
                    infos.push(info);
                }
            }
            Err(error) => errors.push(error),
        }
    }
    if errors.is_empty() {
        Ok((ders, infos))
    } else {
        Err(errors)
    }
}

fn describe(file: &str, der: &[u8]) -> Result<CrlInfo, String> {
    let (_, crl) = CertificateRevocationList::from_der(der).map_err(|e| e.to_string())?;
    Ok(CrlInfo {
        file: file.to_owned(),
        issuer: crate::tls::inspect::name_text(&crl.issuer().to_string()),
        this_update: crl.last_update().timestamp(),
        next_update: crl.next_update().map(|t| t.timestamp()),
        revoked: crl
            .iter_revoked_certificates()
            .map(|entry| Revoked {
                serial: colon_hex(entry.raw_serial()),
                date: entry.revocation_date.timestamp(),
                reason: entry.reason_code().map(|(_, code)| reason(code.0)),
            })
            .collect(),
    })
}

/// RFC 5280's reason codes, in words.
pub fn reason(code: u8) -> &'static str {
    match code {
        1 => "key compromise",
        2 => "CA compromise",
        3 => "affiliation changed",
        4 => "superseded",
        5 => "cessation of operation",
        6 => "certificate hold",
        8 => "removed from CRL",
        9 => "privilege withdrawn",
        10 => "AA compromise",
        _ => "unspecified",
    }
}

impl CrlInfo {
    /// The entry revoking `serial` (of a certificate `issuer` issued), if this CRL has one.
    pub fn revokes(&self, issuer: &str, serial: &str) -> Option<&Revoked> {
        (self.issuer == issuer)
            .then(|| self.revoked.iter().find(|r| r.serial == serial))
            .flatten()
    }
}
