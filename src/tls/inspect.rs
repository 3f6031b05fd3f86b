//! Certificates read for people: subject, issuer, names, key type and validity, for `runner
//! check` and for error messages.

use sha2::{Digest, Sha256};
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::{FromDer, X509Certificate};

/// What a person wants to know of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// As "CN=localhost, O=runner demo".
    pub subject: String,
    pub issuer: String,
    /// "RSA 2048", "ECDSA P-256", "Ed25519".
    pub key_type: String,
    /// Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
    /// `not_after` as reports show it ("2027-01-01 00:00:00 UTC"), written once per handshake.
    pub not_after_shown: String,
    pub is_ca: bool,
    /// DNS names and IP addresses it is valid for.
    pub names: Vec<String>,
    /// The serial number, as "1A:2B:...".
    pub serial: String,
    /// SHA-256 of the whole certificate, as openssl prints it ("AB:CD:...").
    pub sha256: String,
    /// SHA-256 of its public key (SubjectPublicKeyInfo), base64: what `pin_sha256` takes, as
    /// curl's `--pinnedpubkey sha256//...`.
    pub spki_sha256: String,
    /// Where its CRLs are published (CRL distribution points).
    pub crl_urls: Vec<String>,
    /// Its OCSP responders (Authority Information Access).
    pub ocsp_urls: Vec<String>,
}

impl CertInfo {
    /// Reads a DER certificate; the error says why it cannot be read.
    pub fn from_der(der: &[u8]) -> Result<Self, String> {
        let (_, cert) = X509Certificate::from_der(der).map_err(|e| e.to_string())?;
        let names = match cert.subject_alternative_name() {
            Ok(Some(san)) => san
                .value
                .general_names
                .iter()
                .filter_map(|name| match name {
                    GeneralName::DNSName(dns) => Some((*dns).to_owned()),
                    GeneralName::IPAddress(ip) => ip_text(ip),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(Self {
            subject: name_text(&cert.subject().to_string()),
            issuer: name_text(&cert.issuer().to_string()),
            key_type: key_type(&cert),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            not_after_shown: format_time(cert.validity().not_after.timestamp()),
            is_ca: cert.is_ca(),
            names,
            serial: colon_hex(cert.raw_serial()),
            sha256: colon_hex(&Sha256::digest(der)),
            spki_sha256: spki_pin(cert.public_key().raw),
            crl_urls: crl_urls(&cert),
            ocsp_urls: ocsp_urls(&cert),
        })
    }

    /// Whether `now` (Unix seconds) lies in its validity period.
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// The URIs of its CRL distribution points.
fn crl_urls(cert: &X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::{DistributionPointName, ParsedExtension};
    cert.extensions()
        .iter()
        .filter_map(|ext| match ext.parsed_extension() {
            ParsedExtension::CRLDistributionPoints(points) => Some(points),
            _ => None,
        })
        .flat_map(|points| points.points.iter())
        .filter_map(|point| match &point.distribution_point {
            Some(DistributionPointName::FullName(names)) => Some(names),
            _ => None,
        })
        .flatten()
        .filter_map(|name| match name {
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            _ => None,
        })
        .collect()
}

/// The URIs of its OCSP responders.
fn ocsp_urls(cert: &X509Certificate<'_>) -> Vec<String> {
    use x509_parser::extensions::ParsedExtension;
    use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP;
    cert.extensions()
        .iter()
        .filter_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityInfoAccess(access) => Some(access),
            _ => None,
        })
        .flat_map(|access| access.accessdescs.iter())
        .filter(|desc| desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_OCSP)
        .filter_map(|desc| match &desc.access_location {
            GeneralName::URI(uri) => Some((*uri).to_owned()),
            _ => None,
        })
        .collect()
}

/// Bytes as "AB:CD:EF", as openssl prints serials and fingerprints.
pub fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// The base64 SHA-256 of a DER SubjectPublicKeyInfo.
pub fn spki_pin(spki: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki))
}

/// "" for an empty name, as x509-parser prints nothing for it.
pub fn name_text(name: &str) -> String {
    if name.is_empty() {
        "(empty subject)".to_owned()
    } else {
        name.to_owned()
    }
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv4Addr::from(b).to_string()),
        16 => <[u8; 16]>::try_from(bytes)
            .ok()
            .map(|b| std::net::Ipv6Addr::from(b).to_string()),
        _ => None,
    }
}

fn key_type(cert: &X509Certificate<'_>) -> String {
    let spki = cert.public_key();
    let algorithm = spki.algorithm.algorithm.to_id_string();
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok())
        .map(|oid| oid.to_id_string());
    match (algorithm.as_str(), curve.as_deref()) {
        ("1.2.840.113549.1.1.1", _) => match spki.parsed() {
            Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => format!("RSA {}", rsa.key_size()),
            _ => "RSA".to_owned(),
        },
        ("1.2.840.10045.2.1", Some("1.2.840.10045.3.1.7")) => "ECDSA P-256".to_owned(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.34")) => "ECDSA P-384".to_owned(),
        ("1.2.840.10045.2.1", Some("1.3.132.0.35")) => "ECDSA P-521".to_owned(),
        ("1.2.840.10045.2.1", _) => "ECDSA".to_owned(),
        ("1.3.101.112", _) => "Ed25519".to_owned(),
        ("1.3.101.113", _) => "Ed448".to_owned(),
        (other, _) => format!("key algorithm {other}"),
    }
}

/// Unix seconds as "2026-11-28 05:38:54 UTC".
pub fn format_time(unix: i64) -> String {
    match time::OffsetDateTime::from_unix_timestamp(unix) {
        Ok(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        ),
        Err(_) => format!("{unix} (Unix time)"),
    }
}

/// Now, in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format_time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format_time(1_796_017_134), "2026-11-30 05:38:54 UTC");
        assert_eq!(format_time(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(format_time(-1), "1969-12-31 23:59:59 UTC");
    }
}
