//! What can be wrong with TLS material: typed, each with a message that names what was found and
//! a help line that says how to fix it. Passwords never appear in them.

use std::fmt;

use crate::diagnostic::Span;

/// A problem with one file (or with the system's trust store) named by a suite.
#[derive(Debug)]
pub struct MaterialError {
    /// The file as written in the suite (secrets as `***`); `None` for the system's store.
    pub file: Option<String>,
    /// Where the suite names it.
    pub span: Span,
    pub problem: Problem,
}

/// Which role a file plays, to say what to write instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `cert = "..."`: certificates to trust.
    TrustPem,
    /// `cert = { path, password }`: a PKCS#12 truststore.
    TrustStore,
    /// `key.cert_file`: the client's certificate chain.
    ClientCert,
    /// `key.key_file`: the client's private key.
    ClientKey,
    /// `key = { path, password }`: a PKCS#12 keystore.
    KeyStore,
}

/// What was wrong.
#[derive(Debug)]
pub enum Problem {
    Unreadable {
        error: std::io::Error,
        path: std::path::PathBuf,
    },
    Empty,
    /// A PKCS#12 file where PEM was expected.
    Pkcs12NotPem(Role),
    /// A PEM or DER file where PKCS#12 was expected.
    NotPkcs12 {
        found: &'static str,
        role: Role,
    },
    /// A Java KeyStore (JKS/JCEKS) file.
    JavaKeyStore,
    /// A private key where certificates were expected.
    KeyNotCertificate(Role),
    /// Certificates (and no key) where a private key was expected.
    CertificateNotKey,
    /// Nothing usable: not PEM, not DER.
    Unrecognised(Role),
    /// A certificate that does not parse.
    BadCertificate(String),
    /// A CRL that does not parse.
    BadCrl(String),
    /// A PEM key file with several keys.
    SeveralKeys(usize),
    /// An encrypted key and no password.
    NeedsPassword,
    /// Decryption failed: a wrong password, or a damaged file.
    WrongPassword(Role),
    /// An OpenSSL "traditional" encrypted key (`Proc-Type: 4,ENCRYPTED`).
    LegacyEncryptedPem,
    /// A key rustls cannot use (an algorithm, a size).
    UnsupportedKey(String),
    /// An encryption scheme we cannot decrypt.
    UnsupportedEncryption(String),
    /// The private key is not the certificate's.
    KeyMismatch {
        subject: String,
    },
    /// A keystore without a private key.
    NoPrivateKey,
    /// A keystore with several private keys.
    SeveralPrivateKeys(usize),
    /// A keystore whose certificates do not go with its key.
    NoCertificateForKey,
    /// A truststore without certificates.
    NoCertificates,
    /// A damaged PKCS#12 file.
    BadPkcs12(String),
    /// The client certificate is expired or not valid yet.
    NotValidNow {
        subject: String,
        not_before: String,
        not_after: String,
        expired: bool,
    },
    /// The system's trust store is empty or missing.
    NoSystemRoots(String),
    /// The settings cannot be turned into a TLS configuration.
    Settings(String),
}

impl fmt::Display for MaterialError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("the system's trust store");
        match &self.problem {
            Problem::Unreadable { error, .. } => {
                write!(f, "cannot read {file}: {}", crate::words::io_reason(error))
            }
            Problem::Empty => write!(f, "{file} is empty"),
            Problem::Pkcs12NotPem(_) => write!(f, "{file} is a PKCS#12 file, not PEM"),
            Problem::NotPkcs12 { found, .. } => write!(f, "{file} is {found}, not a PKCS#12 file"),
            Problem::JavaKeyStore => write!(
                f,
                "{file} is a Java KeyStore (JKS), which runner cannot read"
            ),
            Problem::KeyNotCertificate(_) => {
                write!(f, "{file} holds a private key, not a certificate")
            }
            Problem::CertificateNotKey => write!(f, "{file} holds certificates but no private key"),
            Problem::Unrecognised(_) => write!(f, "{file} is neither PEM nor DER"),
            Problem::BadCertificate(reason) => write!(
                f,
                "{file} holds a certificate that cannot be read: {reason}"
            ),
            Problem::BadCrl(reason) => write!(f, "{file} is not a CRL runner can read: {reason}"),
            Problem::SeveralKeys(n) => write!(f, "{file} holds {n} private keys"),
            Problem::NeedsPassword => write!(
                f,
                "{file} is an encrypted private key and no password is given"
            ),
            Problem::WrongPassword(_) => write!(
                f,
                "cannot decrypt {file}: the password is wrong or the file is damaged"
            ),
            Problem::LegacyEncryptedPem => {
                write!(
                    f,
                    "{file} is encrypted the traditional OpenSSL way (Proc-Type: 4,ENCRYPTED), which runner cannot read"
                )
            }
            Problem::UnsupportedKey(reason) => {
                write!(f, "the private key in {file} cannot be used: {reason}")
            }
            Problem::UnsupportedEncryption(reason) => write!(
                f,
                "{file} is encrypted with a scheme runner cannot decrypt: {reason}"
            ),
            Problem::KeyMismatch { subject } => {
                write!(
                    f,
                    "the private key does not belong to the certificate ({subject}) in {file}"
                )
            }
            Problem::NoPrivateKey => write!(f, "{file} holds no private key"),
            Problem::SeveralPrivateKeys(n) => write!(f, "{file} holds {n} private keys"),
            Problem::NoCertificateForKey => {
                write!(f, "{file} holds a private key but not its certificate")
            }
            Problem::NoCertificates => write!(f, "{file} holds no certificate"),
            Problem::BadPkcs12(reason) => {
                write!(f, "{file} is not a readable PKCS#12 file: {reason}")
            }
            Problem::NotValidNow {
                subject,
                not_before,
                not_after,
                expired,
            } => {
                if *expired {
                    write!(
                        f,
                        "the client certificate in {file} ({subject}) expired on {not_after}"
                    )
                } else {
                    write!(
                        f,
                        "the client certificate in {file} ({subject}) is not valid before {not_before}"
                    )
                }
            }
            Problem::NoSystemRoots(reason) => {
                write!(f, "the system's trust store holds no certificate{reason}")
            }
            Problem::Settings(reason) => write!(f, "these TLS settings cannot be used: {reason}"),
        }
    }
}

impl MaterialError {
    /// How to fix it.
    pub fn help(&self) -> Option<String> {
        let file = self.file.as_deref().unwrap_or_default();
        Some(match &self.problem {
            Problem::Unreadable { path, error } => match error.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => format!(
                    "looked for {}; paths are relative to the suite file's folder",
                    path.display()
                ),
                std::io::ErrorKind::FileTooLarge => {
                    "certificates, keys and keystores are small files: check that this is the right one".to_owned()
                }
                _ => "give the path of a regular file".to_owned(),
            },
            Problem::Empty => "give a file with PEM certificates or keys".to_owned(),
            Problem::Pkcs12NotPem(Role::TrustPem) => {
                format!("for a PKCS#12 truststore write cert = {{ path = \"{file}\", password = \"...\" }}")
            }
            Problem::Pkcs12NotPem(_) => {
                format!("for a PKCS#12 keystore write key = {{ path = \"{file}\", password = \"...\" }}")
            }
            Problem::NotPkcs12 { role: Role::TrustStore, .. } => format!("for PEM certificates write cert = \"{file}\""),
            Problem::NotPkcs12 { .. } => {
                "for PEM files write key = { cert_file = \"client.crt\", key_file = \"client.key\" }".to_owned()
            }
            Problem::JavaKeyStore => format!(
                "convert it: keytool -importkeystore -srckeystore {file} -destkeystore store.p12 -deststoretype PKCS12"
            ),
            Problem::KeyNotCertificate(Role::TrustPem | Role::TrustStore) => {
                "`cert` names whom to trust: a CA certificate or the server's certificate".to_owned()
            }
            Problem::KeyNotCertificate(_) => "`cert_file` is the client certificate; the key goes in `key_file`".to_owned(),
            Problem::CertificateNotKey => "`key_file` is the private key; the certificate goes in `cert_file`".to_owned(),
            Problem::Unrecognised(_) => "give a PEM file (-----BEGIN CERTIFICATE-----) or a DER certificate (.cer)".to_owned(),
            Problem::BadCertificate(_) => "check the file with: openssl x509 -in FILE -noout -text".to_owned(),
            Problem::BadCrl(_) => format!("give a PEM (-----BEGIN X509 CRL-----) or DER CRL; check it with: openssl crl -in {file} -noout -text"),
            Problem::SeveralKeys(_) => "keep the client's key alone in `key_file`".to_owned(),
            Problem::NeedsPassword => "add key_password = \"{{env.KEY_PASSWORD}}\" to `key`".to_owned(),
            Problem::WrongPassword(Role::ClientKey) => {
                format!("check the password: `openssl pkey -in {file} -noout` asks for it and says whether it opens the key")
            }
            Problem::WrongPassword(_) => {
                format!("check the password: `openssl pkcs12 -in {file} -info -noout` asks for it and says whether it opens the file")
            }
            Problem::LegacyEncryptedPem => {
                format!("convert it to encrypted PKCS#8: openssl pkcs8 -topk8 -v2 aes-256-cbc -in {file} -out key.p8.pem")
            }
            Problem::UnsupportedKey(_) => "use an RSA (2048 bits or more), ECDSA P-256/P-384 or Ed25519 key".to_owned(),
            Problem::UnsupportedEncryption(_) => {
                "re-encrypt it with PBES2 and AES, as OpenSSL 3 does by default (openssl pkcs8 -topk8 -v2 aes-256-cbc, or openssl pkcs12 -export)".to_owned()
            }
            Problem::KeyMismatch { .. } => "give the key file made with this certificate (compare `openssl x509 -noout -pubkey` with `openssl pkey -pubout`)".to_owned(),
            Problem::NoPrivateKey => format!("a truststore is given as cert = {{ path = \"{file}\", password = \"...\" }}"),
            Problem::SeveralPrivateKeys(_) => "export the one identity you need into its own PKCS#12 file".to_owned(),
            Problem::NoCertificateForKey => "export the keystore again with its certificate (openssl pkcs12 -export -in client.crt -inkey client.key)".to_owned(),
            Problem::NoCertificates => "add the CA certificates to it, or give PEM files in `cert`".to_owned(),
            Problem::BadPkcs12(_) => "check it with: openssl pkcs12 -info -in FILE".to_owned(),
            Problem::NotValidNow { .. } => "renew the client certificate".to_owned(),
            Problem::NoSystemRoots(_) => "install the CA certificates (ca-certificates), point SSL_CERT_FILE at a bundle, or give `cert`".to_owned(),
            Problem::Settings(_) => return None,
        })
    }
}
