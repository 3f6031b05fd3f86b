//! PKCS#12 files: truststores (every certificate in them is trusted, with or without keytool's
//! trusted-cert attribute) and keystores (one private key and its certificate chain).

use p12_keystore::{Pkcs12Archive, error::Error as P12Error};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::error::{Problem, Role};
use super::files::{Inspected, fail, inspect_all, read};
use super::inspect::CertInfo;
use super::sniff::{Kind, sniff};
use crate::config::suite::FileRef;
use crate::secret::Secret;
use crate::tls::error::MaterialError;

/// Opens a PKCS#12 file with its password (none means the empty one).
fn open(
    file: &FileRef,
    password: Option<&Secret>,
    role: Role,
) -> Result<Pkcs12Archive, MaterialError> {
    let bytes = read(file)?;
    match sniff(&bytes) {
        Kind::Pkcs12 => {}
        Kind::Empty => return Err(fail(file, Problem::Empty)),
        Kind::JavaKeyStore => return Err(fail(file, Problem::JavaKeyStore)),
        other => {
            return Err(fail(
                file,
                Problem::NotPkcs12 {
                    found: other.describe(),
                    role,
                },
            ));
        }
    }
    Pkcs12Archive::from_pkcs12(&bytes, password.map_or("", Secret::expose)).map_err(|error| {
        let problem = match error {
            // A MAC that does not verify, or bags that do not decrypt to valid data: both are
            // what a wrong password looks like.
            P12Error::MacError(_)
            | P12Error::UnpadError
            | P12Error::InvalidData
            | P12Error::Pkcs5Error(_) => Problem::WrongPassword(role),
            P12Error::UnsupportedEncryptionScheme | P12Error::UnsupportedMacAlgorithm => {
                Problem::UnsupportedEncryption(error.to_string())
            }
            other => Problem::BadPkcs12(other.to_string()),
        };
        fail(file, problem)
    })
}

/// Every certificate of a truststore.
pub fn read_truststore(
    file: &FileRef,
    password: Option<&Secret>,
) -> Result<Vec<Inspected>, MaterialError> {
    let archive = open(file, password, Role::TrustStore)?;
    if archive.certs.is_empty() {
        return Err(fail(file, Problem::NoCertificates));
    }
    let certs = archive
        .certs
        .iter()
        .map(|bag| CertificateDer::from(bag.cert.as_der().to_vec()))
        .collect();
    inspect_all(file, certs)
}

/// A keystore's private key and its certificates: the leaf (the one whose local key id is the
/// key's, else the first) followed by the others that are not self-signed roots. Whether the key
/// really matches the leaf is checked by the caller, as for PEM files.
pub fn read_keystore(
    file: &FileRef,
    password: Option<&Secret>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), MaterialError> {
    let archive = open(file, password, Role::KeyStore)?;
    let key = match archive.keys.as_slice() {
        [] => return Err(fail(file, Problem::NoPrivateKey)),
        [key] => key,
        keys => return Err(fail(file, Problem::SeveralPrivateKeys(keys.len()))),
    };
    let key_id = key.local_key_id.as_ref().map(|id| id.0.as_slice());
    let leaf = archive
        .certs
        .iter()
        .position(|bag| key_id.is_some() && bag.local_key_id.as_deref() == key_id)
        // Without local key ids: the first certificate that is not a CA's.
        .or_else(|| {
            archive
                .certs
                .iter()
                .position(|bag| CertInfo::from_der(bag.cert.as_der()).is_ok_and(|c| !c.is_ca))
        })
        .ok_or_else(|| fail(file, Problem::NoCertificateForKey))?;
    let mut chain = vec![CertificateDer::from(
        archive.certs[leaf].cert.as_der().to_vec(),
    )];
    chain.extend(
        archive
            .certs
            .iter()
            .enumerate()
            .filter(|(i, bag)| *i != leaf && bag.cert.subject() != bag.cert.issuer())
            .map(|(_, bag)| CertificateDer::from(bag.cert.as_der().to_vec())),
    );
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.key.as_der().to_vec()));
    Ok((chain, key))
}
