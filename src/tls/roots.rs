//! The operating system's trust store, loaded once per process and only when an endpoint needs
//! it. rustls-native-certs honours SSL_CERT_FILE and SSL_CERT_DIR; which sources gave how many
//! certificates is told, and a source that cannot be read is a warning, not silence.

use std::sync::OnceLock;

use rustls::pki_types::CertificateDer;

/// The system's certificates, where they came from, and what could not be read.
#[derive(Debug)]
pub struct SystemRoots {
    pub certs: Vec<CertificateDer<'static>>,
    /// "SSL_CERT_FILE=/etc/ca.pem: 1", "the platform's store: 140".
    pub sources: String,
    pub warnings: Vec<String>,
}

/// The system's certificates, or why there are none. SSL_CERT_FILE and SSL_CERT_DIR, when set,
/// are read each on its own, so each is counted and one that cannot be read is named; without
/// them, the platform's store.
pub fn system_roots() -> Result<&'static SystemRoots, String> {
    static ROOTS: OnceLock<Result<SystemRoots, String>> = OnceLock::new();
    ROOTS.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<SystemRoots, String> {
    let file = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty());
    let dir = std::env::var_os("SSL_CERT_DIR").filter(|v| !v.is_empty());
    let mut certs = Vec::new();
    let mut sources = Vec::new();
    let mut warnings = Vec::new();
    let mut reasons = Vec::new();
    let mut read = |name: &str,
                    path: &std::ffi::OsStr,
                    found: rustls_native_certs::CertificateResult| {
        let shown = format!("{name}={}", path.to_string_lossy());
        if let Some(error) = found.errors.first() {
            let reason = error.to_string();
            warnings.push(format!(
                "{shown} cannot be read ({reason}): the system's trust store is what the other sources hold"
            ));
            reasons.push(reason);
        }
        sources.push(format!("{shown}: {}", found.certs.len()));
        certs.extend(found.certs);
    };
    // Each certificate once, though a bundle and a folder often hold the same ones.
    if let Some(path) = &file {
        let found = rustls_native_certs::load_certs_from_paths(Some(path.as_ref()), None);
        read("SSL_CERT_FILE", path, found);
    }
    if let Some(path) = &dir {
        // SSL_CERT_DIR may list several folders, as OpenSSL reads it.
        let mut found = rustls_native_certs::CertificateResult::default();
        for folder in std::env::split_paths(path).filter(|p| !p.as_os_str().is_empty()) {
            let more = rustls_native_certs::load_certs_from_paths(None, Some(&folder));
            found.certs.extend(more.certs);
            found.errors.extend(more.errors);
        }
        read("SSL_CERT_DIR", path, found);
    }
    if file.is_none() && dir.is_none() {
        let found = rustls_native_certs::load_native_certs();
        reasons.extend(found.errors.iter().map(ToString::to_string));
        sources.push(format!("the platform's store: {}", found.certs.len()));
        certs.extend(found.certs);
    }
    let mut seen = std::collections::HashSet::new();
    certs.retain(|cert: &CertificateDer<'static>| seen.insert(cert.as_ref().to_vec()));
    if certs.is_empty() {
        return Err(if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join("; "))
        });
    }
    Ok(SystemRoots {
        certs,
        sources: sources.join(", "),
        warnings,
    })
}
