//! Certificates and private keys from PEM or DER files, each file identified before use.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::error::{MaterialError, Problem, Role};
use super::inspect::CertInfo;
use super::sniff::{Kind, sniff};
use crate::config::suite::FileRef;
use crate::secret::Secret;

/// An error about `file`.
pub fn fail(file: &FileRef, problem: Problem) -> MaterialError {
    MaterialError {
        file: Some(file.shown.clone()),
        span: file.span.clone(),
        problem,
    }
}

/// The file's bytes.
pub fn read(file: &FileRef) -> Result<Vec<u8>, MaterialError> {
    crate::read::bounded(&file.path, crate::read::MATERIAL_LIMIT, false).map_err(|error| {
        fail(
            file,
            Problem::Unreadable {
                error,
                path: file.path.clone(),
            },
        )
    })
}

/// A certificate and what it says.
pub type Inspected = (CertificateDer<'static>, CertInfo);

/// Reads what each certificate says; one that cannot be read is an error about its file.
pub fn inspect_all(
    file: &FileRef,
    certs: Vec<CertificateDer<'static>>,
) -> Result<Vec<Inspected>, MaterialError> {
    certs
        .into_iter()
        .map(|der| {
            let info = CertInfo::from_der(&der)
                .map_err(|reason| fail(file, Problem::BadCertificate(reason)))?;
            Ok((der, info))
        })
        .collect()
}

/// The certificates of a PEM file (one or many) or a DER certificate.
pub fn read_certificates(file: &FileRef, role: Role) -> Result<Vec<Inspected>, MaterialError> {
    let bytes = read(file)?;
    let certs = match sniff(&bytes) {
        Kind::Empty => return Err(fail(file, Problem::Empty)),
        Kind::Pkcs12 => return Err(fail(file, Problem::Pkcs12NotPem(role))),
        Kind::JavaKeyStore => return Err(fail(file, Problem::JavaKeyStore)),
        Kind::DerPrivateKey { .. } => return Err(fail(file, Problem::KeyNotCertificate(role))),
        Kind::Unknown => return Err(fail(file, Problem::Unrecognised(role))),
        Kind::DerCertificate => vec![CertificateDer::from(bytes)],
        Kind::Pem { labels, .. } => {
            if !labels.iter().any(|label| label == "CERTIFICATE") {
                let problem = if labels.iter().any(|l| l.contains("PRIVATE KEY")) {
                    Problem::KeyNotCertificate(role)
                } else {
                    Problem::BadCertificate(format!(
                        "it holds no CERTIFICATE block (found {})",
                        labels.join(", ")
                    ))
                };
                return Err(fail(file, problem));
            }
            CertificateDer::pem_slice_iter(&bytes)
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| fail(file, Problem::BadCertificate(error.to_string())))?
        }
    };
    inspect_all(file, certs)
}

/// The private key of a PEM or DER file: PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8.
pub fn read_private_key(
    file: &FileRef,
    password: Option<&Secret>,
) -> Result<PrivateKeyDer<'static>, MaterialError> {
    let bytes = read(file)?;
    match sniff(&bytes) {
        Kind::Empty => Err(fail(file, Problem::Empty)),
        Kind::Pkcs12 => Err(fail(file, Problem::Pkcs12NotPem(Role::ClientKey))),
        Kind::JavaKeyStore => Err(fail(file, Problem::JavaKeyStore)),
        Kind::DerCertificate => Err(fail(file, Problem::CertificateNotKey)),
        Kind::Unknown => Err(fail(file, Problem::Unrecognised(Role::ClientKey))),
        Kind::DerPrivateKey { encrypted: false } => PrivateKeyDer::try_from(bytes)
            .map_err(|reason| fail(file, Problem::UnsupportedKey(reason.to_owned()))),
        Kind::DerPrivateKey { encrypted: true } => decrypt(file, &bytes, password),
        Kind::Pem {
            legacy_encrypted: true,
            ..
        } => Err(fail(file, Problem::LegacyEncryptedPem)),
        Kind::Pem { labels, .. } => {
            let keys = labels.iter().filter(|l| l.ends_with("PRIVATE KEY")).count();
            if keys == 0 {
                return Err(fail(file, Problem::CertificateNotKey));
            }
            if keys > 1 {
                return Err(fail(file, Problem::SeveralKeys(keys)));
            }
            if labels.iter().any(|l| l == "ENCRYPTED PRIVATE KEY") {
                let der = pem_block(&bytes, "ENCRYPTED PRIVATE KEY").ok_or_else(|| {
                    fail(
                        file,
                        Problem::UnsupportedKey("its PEM block is damaged".to_owned()),
                    )
                })?;
                return decrypt(file, &der, password);
            }
            if let Some(other) = labels.iter().find(|l| {
                l.ends_with("PRIVATE KEY")
                    && !matches!(
                        l.as_str(),
                        "PRIVATE KEY" | "RSA PRIVATE KEY" | "EC PRIVATE KEY"
                    )
            }) {
                return Err(fail(
                    file,
                    Problem::UnsupportedKey(format!("{other} keys are not supported")),
                ));
            }
            PrivateKeyDer::from_pem_slice(&bytes).map_err(|error| {
                fail(
                    file,
                    Problem::UnsupportedKey(format!("its PEM block cannot be read ({error})")),
                )
            })
        }
    }
}

/// Decrypts an encrypted PKCS#8 key.
fn decrypt(
    file: &FileRef,
    der: &[u8],
    password: Option<&Secret>,
) -> Result<PrivateKeyDer<'static>, MaterialError> {
    let Some(password) = password else {
        return Err(fail(file, Problem::NeedsPassword));
    };
    let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der).map_err(|error| {
        fail(
            file,
            Problem::UnsupportedKey(format!("its encrypted key cannot be read ({error})")),
        )
    })?;
    match info.decrypt(password.expose()) {
        Ok(document) => Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            document.as_bytes().to_vec(),
        ))),
        Err(pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::DecryptFailed)) => {
            Err(fail(file, Problem::WrongPassword(Role::ClientKey)))
        }
        Err(pkcs8::Error::EncryptedPrivateKey(error)) => Err(fail(
            file,
            Problem::UnsupportedEncryption(error.to_string()),
        )),
        Err(_) => Err(fail(file, Problem::WrongPassword(Role::ClientKey))),
    }
}

/// The DER bytes of the first PEM block with this label.
fn pem_block(bytes: &[u8], label: &str) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)?;
    let stop = text[start..].find(&end)? + start + end.len();
    pkcs8::der::pem::decode_vec(&text.as_bytes()[start..stop])
        .ok()
        .map(|(_, der)| der)
}
