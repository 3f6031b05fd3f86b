//! The operating system's trust store, loaded once per process and only when an endpoint needs
//! it. rustls-native-certs honours SSL_CERT_FILE and SSL_CERT_DIR.

use std::sync::OnceLock;

use rustls::pki_types::CertificateDer;

/// The system's certificates, or why there are none.
pub fn system_roots() -> Result<&'static [CertificateDer<'static>], String> {
    static ROOTS: OnceLock<Result<Vec<CertificateDer<'static>>, String>> = OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            if found.certs.is_empty() {
                let reasons: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
                Err(if reasons.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", reasons.join("; "))
                })
            } else {
                Ok(found.certs)
            }
        })
        .as_deref()
        .map_err(Clone::clone)
}
