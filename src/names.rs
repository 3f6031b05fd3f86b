//! Cipher suites by name. Suites are named by IANA; the TLS 1.3 ones are also accepted under
//! rustls' names (`TLS13_AES_256_GCM_SHA384`), which the spec's examples use.

use rustls::SupportedCipherSuite;
use rustls::crypto::aws_lc_rs::ALL_CIPHER_SUITES;

/// The IANA name of a suite.
pub fn cipher_name(suite: SupportedCipherSuite) -> String {
    let name = suite
        .suite()
        .as_str()
        .map_or_else(|| format!("{:?}", suite.suite()), str::to_owned);
    // rustls prefixes its TLS 1.3 suites with TLS13_; IANA calls them TLS_.
    match name.strip_prefix("TLS13_") {
        Some(rest) => format!("TLS_{rest}"),
        None => name,
    }
}

/// The provider's suite of that name (IANA, or rustls' `TLS13_` spelling), case-insensitive.
pub fn cipher_by_name(name: &str) -> Option<SupportedCipherSuite> {
    ALL_CIPHER_SUITES.iter().copied().find(|&suite| {
        cipher_name(suite).eq_ignore_ascii_case(name)
            || suite
                .suite()
                .as_str()
                .is_some_and(|own| own.eq_ignore_ascii_case(name))
    })
}

/// Every suite the provider offers, by IANA name.
pub fn supported_cipher_names() -> Vec<String> {
    ALL_CIPHER_SUITES.iter().copied().map(cipher_name).collect()
}

/// Whether a suite is a TLS 1.3 one.
pub fn is_tls13(suite: SupportedCipherSuite) -> bool {
    suite.version().version == rustls::ProtocolVersion::TLSv1_3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in supported_cipher_names() {
            let suite = cipher_by_name(&name);
            assert_eq!(suite.map(cipher_name), Some(name));
        }
        assert!(cipher_by_name("TLS13_AES_256_GCM_SHA384").is_some_and(is_tls13));
        assert!(cipher_by_name("TLS_RSA_WITH_AES_128_CBC_SHA").is_none());
    }
}
