//! `revocation.fetch`: the revocation status of the server's chain asked of the sources its
//! certificates name: the OCSP responder of their Authority Information Access first, then the
//! CRLs of their CRL distribution points, over http:// (as these are published), directly (no
//! proxy). Answers are kept in a cache of `cache_size` entries for `cache_validity`, shared by
//! the endpoints of the run, so a second handshake asks nobody.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use der::Encode;
use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use super::inspect::{CertInfo, colon_hex, format_time};
use super::ocsp;
use crate::config::suite::Fetch;
use crate::resolve::Resolver;

/// The largest CRL or OCSP answer read.
const LIMIT: u64 = 16 << 20;
/// How far a CRL's dates may be from this machine's clock.
const SKEW: i64 = 300;

/// What a source said about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: ocsp::Status,
    /// "the OCSP responder at http://..." or "the CRL at http://...".
    pub source: String,
}

/// The answers fetched, by URL (and, for OCSP, the certificate asked about).
#[derive(Debug, Default)]
struct Cache {
    entries: VecDeque<(String, Instant, Vec<u8>)>,
}

fn cache() -> &'static Mutex<Cache> {
    static CACHE: OnceLock<Mutex<Cache>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Asks the sources `cert` names about it; `issuer` signs their answers. `Err` lists why no
/// source answered.
pub fn status(fetch: &Fetch, cert: &[u8], issuer: &[u8], now: i64) -> Result<Answer, Vec<String>> {
    let Ok(info) = CertInfo::from_der(cert) else {
        return Err(vec!["the certificate cannot be read".to_owned()]);
    };
    let mut reasons = Vec::new();
    for url in &info.ocsp_urls {
        let asked = request(cert, issuer)
            .and_then(|body| get(fetch, url, &format!("{url} {}", info.serial), Some(body)))
            .and_then(|answer| ocsp::check(&answer, cert, issuer, now));
        match asked {
            Ok(stapled) => {
                return Ok(Answer {
                    status: stapled.status,
                    source: format!("the OCSP responder at {url}"),
                });
            }
            Err(reason) => reasons.push(format!("the OCSP responder at {url}: {reason}")),
        }
    }
    for url in &info.crl_urls {
        match get(fetch, url, url, None).and_then(|crl| listed(&crl, cert, issuer, now)) {
            Ok(status) => {
                return Ok(Answer {
                    status,
                    source: format!("the CRL at {url}"),
                });
            }
            Err(reason) => reasons.push(format!("the CRL at {url}: {reason}")),
        }
    }
    if reasons.is_empty() {
        reasons.push("the certificate names no OCSP responder and no CRL".to_owned());
    }
    Err(reasons)
}

/// An OCSP request for `cert`: its issuer's name and key hashed with SHA-1, and its serial.
fn request(cert: &[u8], issuer: &[u8]) -> Result<Vec<u8>, String> {
    let (_, cert) = X509Certificate::from_der(cert).map_err(|e| e.to_string())?;
    let (_, issuer) = X509Certificate::from_der(issuer).map_err(|e| e.to_string())?;
    let octets = |bytes: Vec<u8>| der::asn1::OctetString::new(bytes).map_err(|e| e.to_string());
    let id = x509_ocsp::CertId {
        hash_algorithm: spki07::AlgorithmIdentifierOwned {
            oid: der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26"),
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: octets(Sha1::digest(issuer.subject().as_raw()).to_vec())?,
        issuer_key_hash: octets(
            Sha1::digest(issuer.public_key().subject_public_key.data.as_ref()).to_vec(),
        )?,
        serial_number: x509_cert02::serial_number::SerialNumber::new(cert.raw_serial())
            .map_err(|e| e.to_string())?,
    };
    x509_ocsp::OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: vec![x509_ocsp::Request {
                req_cert: id,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(|e| e.to_string())
}

/// Whether the CRL `der`, signed by `issuer` and current, lists `cert`.
fn listed(der: &[u8], cert: &[u8], issuer: &[u8], now: i64) -> Result<ocsp::Status, String> {
    let (_, crl) =
        CertificateRevocationList::from_der(der).map_err(|e| format!("it is not a CRL: {e}"))?;
    let (_, cert) = X509Certificate::from_der(cert).map_err(|e| e.to_string())?;
    let (_, issuer_cert) = X509Certificate::from_der(issuer).map_err(|e| e.to_string())?;
    if crl.issuer() != issuer_cert.subject() {
        return Err("it is another CA's".to_owned());
    }
    if !ocsp::signed_by(
        issuer,
        crl.tbs_cert_list.as_ref(),
        &crl.signature_value.data,
    ) {
        return Err("it is not signed by the certificate's issuer".to_owned());
    }
    if let Some(next) = crl.next_update()
        && next.timestamp() + SKEW < now
    {
        return Err(format!(
            "it is out of date: its next update was due {}",
            format_time(next.timestamp())
        ));
    }
    let serial = colon_hex(cert.raw_serial());
    Ok(crl
        .iter_revoked_certificates()
        .find(|entry| colon_hex(entry.raw_serial()) == serial)
        .map_or(ocsp::Status::Good, |entry| ocsp::Status::Revoked {
            at: entry.revocation_date.timestamp(),
            reason: entry
                .reason_code()
                .map(|(_, code)| super::revocation::reason(code.0).to_owned()),
        }))
}

/// The answer at `url` (POSTing `body` for OCSP), from the cache when it is fresh there.
fn get(fetch: &Fetch, url: &str, key: &str, body: Option<Vec<u8>>) -> Result<Vec<u8>, String> {
    {
        let mut cache = cache().lock().unwrap_or_else(PoisonError::into_inner);
        cache
            .entries
            .retain(|(_, at, _)| at.elapsed() < fetch.cache_validity);
        if let Some((_, _, answer)) = cache.entries.iter().find(|(k, _, _)| k == key) {
            return Ok(answer.clone());
        }
    }
    let answer = http(url, body, fetch.timeout)?;
    let mut cache = cache().lock().unwrap_or_else(PoisonError::into_inner);
    while cache.entries.len() >= fetch.cache_size.max(1) {
        cache.entries.pop_front();
    }
    if fetch.cache_size > 0 {
        cache
            .entries
            .push_back((key.to_owned(), Instant::now(), answer.clone()));
    }
    Ok(answer)
}

/// GET (or POST `body` as an OCSP request) over http://, on a thread of its own: this runs
/// inside a handshake, on the async runtime's thread.
fn http(url: &str, body: Option<Vec<u8>>, timeout: Duration) -> Result<Vec<u8>, String> {
    if !url.starts_with("http://") {
        return Err("runner fetches revocation data over http:// only".to_owned());
    }
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut builder = reqwest::blocking::Client::builder()
                    .timeout(timeout)
                    .no_proxy()
                    .dns_resolver(Arc::new(Resolver::default()))
                    .redirect(reqwest::redirect::Policy::none());
                // Nothing here speaks TLS: no trust store is read.
                if let Some(config) = super::no_tls_config(None) {
                    builder = builder.tls_backend_preconfigured(config);
                }
                let client = builder.build().map_err(|e| e.to_string())?;
                let request = match body {
                    Some(body) => client
                        .post(url)
                        .header("content-type", "application/ocsp-request")
                        .body(body),
                    None => client.get(url),
                };
                let response = request.send().map_err(|e| words(&e))?;
                if !response.status().is_success() {
                    return Err(format!("it answered {}", response.status()));
                }
                let mut answer = Vec::new();
                response
                    .take(LIMIT + 1)
                    .read_to_end(&mut answer)
                    .map_err(|e| e.to_string())?;
                if answer.len() as u64 > LIMIT {
                    return Err("its answer is larger than 16 MiB".to_owned());
                }
                Ok(answer)
            })
            .join()
            .unwrap_or_else(|_| Err("the fetch failed".to_owned()))
    })
}

/// The innermost cause of a fetch error, in a few words.
fn words(error: &reqwest::Error) -> String {
    let mut current: &dyn std::error::Error = error;
    while let Some(next) = current.source() {
        current = next;
    }
    if error.is_timeout() {
        "it did not answer in time".to_owned()
    } else {
        current.to_string()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::TcpListener;

    use super::*;

    /// A CRL or OCSP responder named `localhost`, or a name under it, is this machine, as an
    /// endpoint's host is: `api.localhost` is in no hosts file.
    #[test]
    fn revocation_data_comes_from_localhost_names_too() {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a port");
        let port = listener.local_addr().expect("an address").port();
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().expect("a connection");
            let mut head = [0u8; 1024];
            let _ = stream.read(&mut head);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nCRL");
        });
        let answer = http(
            &format!("http://api.localhost:{port}/inter.crl"),
            None,
            Duration::from_secs(5),
        );
        assert_eq!(answer.as_deref(), Ok(&b"CRL"[..]));
        server.join().expect("the server ends");
    }
}
