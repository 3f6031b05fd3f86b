//! Identifies a file before it is used, so a wrong file gets an error that says what it is.

/// What a file holds, as far as its first bytes and PEM labels tell.
#[derive(Debug, PartialEq, Eq)]
pub enum Kind {
    Empty,
    /// PEM text: the labels of its blocks, in order (`CERTIFICATE`, `PRIVATE KEY`, ...), and
    /// whether a block is encrypted the traditional OpenSSL way.
    Pem {
        labels: Vec<String>,
        legacy_encrypted: bool,
    },
    /// A DER-encoded X.509 certificate (a Windows `.cer`).
    DerCertificate,
    /// A DER-encoded private key: PKCS#8 (plain or encrypted), PKCS#1 or SEC1.
    DerPrivateKey {
        encrypted: bool,
    },
    /// A PKCS#12 (PFX) file.
    Pkcs12,
    /// A Java KeyStore (JKS or JCEKS).
    JavaKeyStore,
    Unknown,
}

impl Kind {
    /// Words for "this file is ...".
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Empty => "an empty file",
            Self::Pem { labels, .. } if labels.iter().any(|l| l.contains("PRIVATE KEY")) => {
                "a PEM private key"
            }
            Self::Pem { labels, .. } if labels.iter().any(|l| l == "CERTIFICATE") => {
                "a PEM certificate file"
            }
            Self::Pem { .. } => "a PEM file",
            Self::DerCertificate => "a DER certificate",
            Self::DerPrivateKey { .. } => "a DER private key",
            Self::Pkcs12 => "a PKCS#12 file",
            Self::JavaKeyStore => "a Java KeyStore",
            Self::Unknown => "an unrecognised file",
        }
    }
}

/// `0xFEEDFEED` starts a JKS file, `0xCECECECE` a JCEKS one.
const JKS_MAGIC: [&[u8]; 2] = [&[0xFE, 0xED, 0xFE, 0xED], &[0xCE, 0xCE, 0xCE, 0xCE]];

/// Identifies `bytes`.
pub fn sniff(bytes: &[u8]) -> Kind {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Kind::Empty;
    }
    if JKS_MAGIC.iter().any(|magic| bytes.starts_with(magic)) {
        return Kind::JavaKeyStore;
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        let labels: Vec<String> = text
            .lines()
            .filter_map(|line| {
                line.trim()
                    .strip_prefix("-----BEGIN ")?
                    .strip_suffix("-----")
                    .map(str::to_owned)
            })
            .collect();
        if !labels.is_empty() {
            return Kind::Pem {
                labels,
                legacy_encrypted: text.contains("Proc-Type: 4,ENCRYPTED"),
            };
        }
        return Kind::Unknown;
    }
    if is_pfx(bytes) {
        return Kind::Pkcs12;
    }
    if x509_parser::parse_x509_certificate(bytes).is_ok() {
        return Kind::DerCertificate;
    }
    // PKCS#8, PKCS#1 or SEC1, told apart by their first fields.
    if rustls::pki_types::PrivateKeyDer::try_from(bytes).is_ok() {
        return Kind::DerPrivateKey { encrypted: false };
    }
    if pkcs8::EncryptedPrivateKeyInfoRef::try_from(bytes).is_ok() {
        return Kind::DerPrivateKey { encrypted: true };
    }
    Kind::Unknown
}

/// A PFX starts `SEQUENCE { INTEGER 3, SEQUENCE { OID pkcs7-data | pkcs7-signedData, ...`.
fn is_pfx(bytes: &[u8]) -> bool {
    const VERSION_3: [u8; 3] = [0x02, 0x01, 0x03];
    const PKCS7: [u8; 10] = [0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x07];
    let Some(rest) = bytes.strip_prefix(&[0x30]) else {
        return false;
    };
    // Skip the outer length: one byte, or 0x8N and N bytes.
    let rest = match rest.first() {
        Some(&n) if n & 0x80 == 0 => &rest[1..],
        Some(&n) => rest.get(1 + usize::from(n & 0x7F)..).unwrap_or_default(),
        None => return false,
    };
    let Some(rest) = rest.strip_prefix(&VERSION_3) else {
        return false;
    };
    // The next 16 bytes hold the inner SEQUENCE header and the content-type OID.
    rest.get(..16)
        .is_some_and(|head| head.windows(PKCS7.len()).any(|w| w == PKCS7))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_files_apart() {
        assert_eq!(sniff(b" \n"), Kind::Empty);
        assert_eq!(
            sniff(&[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]),
            Kind::JavaKeyStore
        );
        assert_eq!(
            sniff(b"-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"),
            Kind::Pem {
                labels: vec!["RSA PRIVATE KEY".into()],
                legacy_encrypted: true
            }
        );
        assert_eq!(sniff(b"hello"), Kind::Unknown);
        assert_eq!(sniff(&[0x30, 0x03, 0x02, 0x01, 0x05]), Kind::Unknown);
    }
}
