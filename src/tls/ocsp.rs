//! Stapled OCSP responses (RFC 6960): decoded with x509-ocsp, and believed only when signed by
//! the certificate's issuer or by a responder the issuer delegated (the OCSP-signing usage),
//! when they are about this certificate (its issuer's name and key hashes and its serial), and
//! when they are current.

use der::{Decode, Encode};
use rustls::pki_types::CertificateDer;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus};
use x509_parser::prelude::{FromDer, X509Certificate};

/// What a stapled response says about the server's certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Good,
    Revoked {
        /// Unix seconds.
        at: i64,
        reason: Option<String>,
    },
    Unknown,
}

/// A stapled response that holds up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stapled {
    pub status: Status,
    /// Unix seconds.
    pub this_update: i64,
    pub next_update: Option<i64>,
    /// "the issuer" or "the delegated responder CN=...".
    pub signer: String,
}

/// id-pkix-ocsp-basic.
const BASIC: &str = "1.3.6.1.5.5.7.48.1.1";
/// id-kp-OCSPSigning.
const OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";
const SHA1: &str = "1.3.14.3.2.26";
const SHA256: &str = "2.16.840.1.101.3.4.2.1";
/// How far a response's times may be from this machine's clock.
const SKEW: i64 = 300;

/// Checks `response`, stapled for `leaf`, whose issuer is `issuer`, at `now` (Unix seconds).
/// The error says why the response cannot be believed.
pub fn check(response: &[u8], leaf: &[u8], issuer: &[u8], now: i64) -> Result<Stapled, String> {
    let (_, leaf) = X509Certificate::from_der(leaf).map_err(|e| e.to_string())?;
    let (_, issuer_cert) = X509Certificate::from_der(issuer).map_err(|e| e.to_string())?;
    let outer =
        OcspResponse::from_der(response).map_err(|e| format!("it is not an OCSP response: {e}"))?;
    if outer.response_status != OcspResponseStatus::Successful {
        return Err(format!(
            "its status is {:?}, not successful",
            outer.response_status
        ));
    }
    let bytes = outer.response_bytes.ok_or("it carries no response")?;
    if bytes.response_type.to_string() != BASIC {
        return Err(format!(
            "it is of type {}, not a basic OCSP response",
            bytes.response_type
        ));
    }
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes())
        .map_err(|e| format!("its basic response cannot be read: {e}"))?;

    // Which certificate signed it: the issuer, or a responder the issuer delegated.
    let tbs = basic
        .tbs_response_data
        .to_der()
        .map_err(|e| e.to_string())?;
    let signature = basic.signature.raw_bytes();
    let signer = if signed_by(issuer, &tbs, signature) {
        "the issuer".to_owned()
    } else {
        let delegated = basic.certs.iter().flatten().find_map(|cert| {
            let der = cert.to_der().ok()?;
            let (_, parsed) = X509Certificate::from_der(&der).ok()?;
            let delegated_for_ocsp =
                parsed
                    .extended_key_usage()
                    .ok()
                    .flatten()
                    .is_some_and(|eku| {
                        eku.value
                            .other
                            .iter()
                            .any(|o| o.to_id_string() == OCSP_SIGNING)
                            || eku.value.ocsp_signing
                    });
            let issued_by_issuer = parsed.issuer() == issuer_cert.subject()
                && signed_by(
                    issuer,
                    parsed.tbs_certificate.as_ref(),
                    &parsed.signature_value.data,
                );
            (delegated_for_ocsp
                && issued_by_issuer
                && parsed
                    .validity()
                    .is_valid_at(x509_parser::time::ASN1Time::from_timestamp(now).ok()?)
                && signed_by(&der, &tbs, signature))
            .then(|| {
                format!(
                    "the delegated responder {}",
                    super::inspect::name_text(&parsed.subject().to_string())
                )
            })
        });
        delegated.ok_or_else(|| {
            "it is signed neither by the certificate's issuer nor by a responder the issuer delegated (OCSP signing)".to_owned()
        })?
    };

    // The answer about this certificate.
    let name_der = issuer_cert.subject().as_raw();
    let key_bits = issuer_cert.public_key().subject_public_key.data.as_ref();
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|single| {
            let id = &single.cert_id;
            let hash = |data: &[u8]| match id.hash_algorithm.oid.to_string().as_str() {
                SHA1 => Some(Sha1::digest(data).to_vec()),
                SHA256 => Some(Sha256::digest(data).to_vec()),
                _ => None,
            };
            hash(name_der).as_deref() == Some(id.issuer_name_hash.as_bytes())
                && hash(key_bits).as_deref() == Some(id.issuer_key_hash.as_bytes())
                && id.serial_number.as_bytes() == leaf.raw_serial()
        })
        .ok_or("it is about another certificate")?;
    let unix = |t: &x509_ocsp::OcspGeneralizedTime| {
        i64::try_from(t.0.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let this_update = unix(&single.this_update);
    let next_update = single.next_update.as_ref().map(unix);
    if this_update > now + SKEW {
        return Err(format!(
            "it is dated {}, in the future",
            super::inspect::format_time(this_update)
        ));
    }
    if let Some(next) = next_update
        && next + SKEW < now
    {
        return Err(format!(
            "it is out of date: its next update was due {}",
            super::inspect::format_time(next)
        ));
    }
    let status = match &single.cert_status {
        CertStatus::Good(_) => Status::Good,
        CertStatus::Unknown(_) => Status::Unknown,
        CertStatus::Revoked(info) => Status::Revoked {
            at: unix(&info.revocation_time),
            // RFC 5280's codes, in the words the CRLs' entries get.
            reason: info
                .revocation_reason
                .map(|r| super::revocation::reason(u8::try_from(r as u32).unwrap_or(0)).to_owned()),
        },
    };
    Ok(Stapled {
        status,
        this_update,
        next_update,
        signer,
    })
}

/// Whether the key of the certificate `signer` signed `message`.
pub fn signed_by(signer: &[u8], message: &[u8], signature: &[u8]) -> bool {
    use webpki::aws_lc_rs as algs;
    let der = CertificateDer::from(signer);
    let Ok(cert) = webpki::EndEntityCert::try_from(&der) else {
        return false;
    };
    [
        algs::ECDSA_P256_SHA256,
        algs::ECDSA_P256_SHA384,
        algs::ECDSA_P384_SHA256,
        algs::ECDSA_P384_SHA384,
        algs::ECDSA_P521_SHA256,
        algs::ECDSA_P521_SHA384,
        algs::ECDSA_P521_SHA512,
        algs::RSA_PKCS1_2048_8192_SHA256,
        algs::RSA_PKCS1_2048_8192_SHA384,
        algs::RSA_PKCS1_2048_8192_SHA512,
        algs::RSA_PSS_2048_8192_SHA256_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA384_LEGACY_KEY,
        algs::RSA_PSS_2048_8192_SHA512_LEGACY_KEY,
        algs::ED25519,
    ]
    .into_iter()
    .any(|alg| cert.verify_signature(alg, message, signature).is_ok())
}
