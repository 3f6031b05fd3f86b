//! The suite file as written: serde types that mirror the TOML one to one, with
//! `deny_unknown_fields` everywhere so a misspelt key is an error. Their doc comments are the
//! descriptions in `runner schema`. Nothing here is checked beyond its TOML type: `convert`
//! turns these into the types the later stages use. This file holds the suite, its variables
//! and endpoints; `request` the requests, expectations and captures.

mod request;

pub use request::*;

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::spanned::Spanned;
use crate::diagnostic::HELP_MARKER;

/// A runner suite: named endpoints and the requests to send to them, in order.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "runner suite")]
pub struct RawSuite {
    /// Plain values, used as `{{name}}` in any string. `--var name=value` and `--vars-file`
    /// override them.
    #[serde(default)]
    pub vars: IndexMap<String, Spanned<Scalar>>,
    /// Endpoint profiles by name: a base URL and how to talk TLS to it.
    #[serde(default)]
    pub endpoints: IndexMap<String, Spanned<RawEndpoint>>,
    /// The requests, sent in the order given.
    // Boxed: a request as written is about 2 KiB of mostly empty options, and a suite of
    // 100,000 would move them all each time the list grows (and hold twice as many).
    #[serde(default)]
    pub requests: Vec<Spanned<Box<RawRequest>>>,
}

/// A string, number or boolean.
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "expected a string, a number or a boolean")]
pub enum Scalar {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

/// A named endpoint profile.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Endpoint")]
pub struct RawEndpoint {
    /// Base URL, `http://` or `https://`; it may carry a path prefix.
    pub url: Spanned<String>,
    /// Headers sent with every request to this endpoint.
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<String>>,
    /// Time limit for a whole request, per attempt: default "30s"; "none" for no limit.
    pub timeout: Option<Spanned<RawDuration>>,
    /// Time limit for the TCP connection: default "10s" (the TLS handshake has
    /// `secure_socket.handshake_timeout`).
    pub connect_timeout: Option<Spanned<RawDuration>>,
    /// A forward proxy: `{ url = "http://proxy:3128", no_proxy = ["localhost", ".internal"] }`,
    /// or "none" to go direct. Absent: HTTPS_PROXY / HTTP_PROXY / ALL_PROXY and NO_PROXY from
    /// the environment.
    pub proxy: Option<Spanned<RawProxy>>,
    /// Ask for compressed answers (Accept-Encoding: gzip, br, deflate, zstd) and decode them
    /// before anything reads the body. Default true.
    pub compressed: Option<bool>,
    /// Keep cookies: those a server sets are sent back on the next requests of the suite file
    /// (one jar per file). Default true.
    pub cookies: Option<bool>,
    /// Connect to this "HOST:PORT" instead ("10.0.0.5:8443", "[::1]:8443"): TLS names, SNI, the
    /// Host header and every reported URL stay the URL's. For testing a deployment by address.
    pub connect_to: Option<Spanned<String>>,
    /// The most of a body held in memory for expectations, captures and JSON output: default
    /// "64MiB" (a number of bytes, or "512KiB", "16MiB", "1GiB"). Bodies streamed to stdout or
    /// a file are not limited.
    pub max_body: Option<Spanned<RawSize>>,
    /// The longest wait for the next piece of an answer (also between body chunks): default
    /// "30s"; "none" for no limit.
    pub read_timeout: Option<Spanned<RawDuration>>,
    /// HTTP version: "1.1", "2", or "auto" (negotiated with ALPN; the default).
    pub http_version: Option<Spanned<RawHttpVersion>>,
    /// Whether to follow redirects: false (the default), true (up to 10), or `{ max = N }`.
    pub follow_redirects: Option<Spanned<RawRedirects>>,
    /// Whom to trust and how to prove who we are; only for `https://` URLs.
    pub secure_socket: Option<Spanned<RawSecureSocket>>,
}

/// HTTP version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, JsonSchema)]
#[schemars(rename = "HttpVersion")]
pub enum RawHttpVersion {
    #[serde(rename = "1.1")]
    Http1,
    #[serde(rename = "2")]
    Http2,
    #[serde(rename = "auto")]
    Auto,
}

impl<'de> Deserialize<'de> for RawHttpVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct VersionVisitor;

        impl Visitor<'_> for VersionVisitor {
            type Value = RawHttpVersion;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("\"1.1\", \"2\" or \"auto\"")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawHttpVersion, E> {
                match value {
                    "1.1" => Ok(RawHttpVersion::Http1),
                    "2" => Ok(RawHttpVersion::Http2),
                    "auto" => Ok(RawHttpVersion::Auto),
                    other => Err(E::unknown_variant(other, &["1.1", "2", "auto"])),
                }
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawHttpVersion, E> {
                Err(E::custom(format!(
                    "the HTTP version is a string{HELP_MARKER}write http_version = \"{value}\""
                )))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawHttpVersion, E> {
                Err(E::custom(format!(
                    "the HTTP version is a string{HELP_MARKER}write http_version = \"{value}\""
                )))
            }
        }

        deserializer.deserialize_any(VersionVisitor)
    }
}

/// Redirect policy: runner follows redirects itself, hop by hop.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected true, false or { max = N, to_http = false, other_origins = \"strip\" }"
)]
#[schemars(rename = "Redirects")]
pub enum RawRedirects {
    Follow(bool),
    Limited(RawRedirectLimit),
}

/// How redirects are followed; `true` means `{ max = 10, to_http = false, other_origins =
/// "strip" }`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RedirectLimit")]
pub struct RawRedirectLimit {
    /// The most redirects to follow for one request. Default 10.
    pub max: Option<u32>,
    /// Follow an https:// URL's redirect to http:// (sends the request in clear text; a warning
    /// is printed on every run). Default false: such a redirect fails the request.
    pub to_http: Option<bool>,
    /// A redirect to another origin (scheme, host or port): "strip" (default) drops the
    /// suite's headers, Authorization, Cookie, the Referer, `server_name` and the client
    /// certificate; "keep" sends them there too (a warning on every run); "refuse" fails the
    /// request.
    pub other_origins: Option<RawOtherOrigins>,
}

/// What a redirect to another origin gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum RawOtherOrigins {
    Strip,
    Keep,
    Refuse,
}

/// TLS settings, after Ballerina's `secureSocket`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "SecureSocket")]
pub struct RawSecureSocket {
    /// false: the server's certificate is NOT verified (a warning is printed on every run); a
    /// client key is still presented. Default true.
    pub enable: Option<bool>,
    /// Whom to trust, replacing the system roots: a PEM file, an array of PEM files, or a PKCS#12
    /// truststore `{ path, password }`. Absent: the operating system's trust store.
    pub cert: Option<Spanned<RawCert>>,
    /// Also trust the operating system's roots, next to those from `cert`.
    pub system_roots: Option<bool>,
    /// The client identity for mutual TLS: `{ cert_file, key_file, key_password? }` (PEM) or
    /// `{ path, password }` (PKCS#12).
    pub key: Option<Spanned<RawKey>>,
    /// Check that the server's certificate carries the host name. Default true.
    pub verify_hostname: Option<bool>,
    /// The name sent as SNI and checked against the certificate; the Host header keeps the URL's
    /// host.
    pub server_name: Option<Spanned<String>>,
    /// Protocol versions to offer.
    pub protocol: Option<Spanned<RawProtocol>>,
    /// Cipher suites to offer, by IANA name (for example "TLS_AES_256_GCM_SHA384" or
    /// "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384").
    pub ciphers: Option<Vec<Spanned<String>>>,
    /// Time limit for the TLS handshake.
    pub handshake_timeout: Option<Spanned<RawDuration>>,
    /// Resume TLS sessions across connections of this endpoint. Default true.
    pub share_session: Option<bool>,
    /// How long a TLS session may be resumed.
    pub session_timeout: Option<Spanned<RawDuration>>,
    /// Public-key pins: the base64 SHA-256 of the server certificate's SubjectPublicKeyInfo, as
    /// curl's `--pinnedpubkey sha256//...` (`runner check` and a mismatch print it). The server
    /// must present one of these keys: checked after the certificate is verified, or instead of
    /// verifying it with `enable = false`.
    pub pin_sha256: Option<Spanned<Vec<Spanned<String>>>>,
    /// Revocation checking against CRLs: a revoked server certificate is refused.
    pub revocation: Option<Spanned<RawRevocation>>,
    /// Ballerina's `certValidation`, in this format's spelling: `{ type = "OCSP_STAPLING" }`
    /// is `revocation = { ocsp_stapling = "require" }`, `{ type = "OCSP_CRL" }` is
    /// `revocation = { fetch = true }`; `cache_size` and `cache_validity_period` as there.
    pub cert_validation: Option<Spanned<RawCertValidation>>,
}

/// Ballerina's `certValidation`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CertValidation")]
pub struct RawCertValidation {
    /// "OCSP_STAPLING" or "OCSP_CRL".
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    /// Ballerina's `cacheSize`.
    pub cache_size: Option<Spanned<u64>>,
    /// Ballerina's `cacheValidityPeriod` (seconds, or a duration).
    pub cache_validity_period: Option<Spanned<RawDuration>>,
}

/// `revocation`: which CRLs to check the server's chain against.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Revocation")]
pub struct RawRevocation {
    /// CRL files (PEM `X509 CRL` or DER), each signed by the CA whose certificates it lists.
    pub crl: Option<Spanned<RawPaths>>,
    /// An OCSP response stapled by the server: "require" (refuse a handshake without a good
    /// one), "if-present" (check it when there is one; the default) or "ignore".
    pub ocsp_stapling: Option<RawStapling>,
    /// Ask the sources the certificates name: their OCSP responder (Authority Information
    /// Access), then their CRLs (CRL distribution points), over http://.
    pub fetch: Option<bool>,
    /// How many fetched answers are kept (default 64; 0 keeps none).
    pub cache_size: Option<Spanned<u64>>,
    /// How long a fetched answer is kept (default "1h").
    pub cache_validity: Option<Spanned<RawDuration>>,
    /// How long each fetch may take (default "5s").
    pub timeout: Option<Spanned<RawDuration>>,
    /// Which certificates are checked: "chain" (every certificate below the trust anchor, the
    /// default) or "end-entity" (the server's own).
    pub scope: Option<RawRevocationScope>,
    /// When no CRL covers a certificate: "deny" (refuse, the default) or "allow".
    pub unknown: Option<RawUnknownStatus>,
}

/// One path, or several.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "a file, or an array of files")]
#[schemars(rename = "Paths")]
pub enum RawPaths {
    One(String),
    Many(Vec<String>),
}

impl RawPaths {
    pub fn list(&self) -> Vec<String> {
        match self {
            Self::One(one) => vec![one.clone()],
            Self::Many(many) => many.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "RevocationScope")]
pub enum RawRevocationScope {
    Chain,
    EndEntity,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "OcspStapling")]
pub enum RawStapling {
    Require,
    IfPresent,
    Ignore,
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
#[schemars(rename = "UnknownStatus")]
pub enum RawUnknownStatus {
    Allow,
    Deny,
}

impl RawSecureSocket {
    /// The password strings it holds (truststore, keystore, encrypted key), as written.
    pub fn passwords(&self) -> Vec<&str> {
        let mut passwords = Vec::new();
        if let Some(cert) = &self.cert
            && let RawCert::Store(store) = cert.get()
        {
            passwords.extend(store.password.as_ref().map(|p| p.get().as_str()));
        }
        if let Some(key) = &self.key {
            let key = key.get();
            passwords.extend(key.key_password.as_ref().map(|p| p.get().as_str()));
            passwords.extend(key.password.as_ref().map(|p| p.get().as_str()));
        }
        passwords
    }
}

/// `cert`: whom to trust.
#[derive(Debug, Clone)]
pub enum RawCert {
    /// One PEM (or DER) file: a CA bundle or the server's own certificate.
    Path(String),
    /// Several such files.
    Paths(Vec<Spanned<String>>),
    /// A PKCS#12 truststore.
    Store(RawStore),
}

/// A PKCS#12 file and its password.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Store")]
pub struct RawStore {
    /// The `.p12` / `.pfx` file, relative to the suite file.
    pub path: Spanned<String>,
    /// Its password.
    pub password: Option<Spanned<String>>,
}

const CERT_SHAPES: &str = "a PEM file path, an array of PEM file paths, or { path = \"truststore.p12\", password = \"...\" }";

impl<'de> Deserialize<'de> for RawCert {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct CertVisitor;

        impl<'de> Visitor<'de> for CertVisitor {
            type Value = RawCert;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(CERT_SHAPES)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawCert, E> {
                Ok(RawCert::Path(value.to_owned()))
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawCert, A::Error> {
                let mut paths = Vec::new();
                while let Some(path) = seq.next_element()? {
                    paths.push(path);
                }
                Ok(RawCert::Paths(paths))
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawCert, A::Error> {
                RawStore::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawCert::Store)
            }
        }

        deserializer.deserialize_any(CertVisitor)
    }
}

impl JsonSchema for RawCert {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cert".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let store = generator.subschema_for::<RawStore>();
        json_schema!({
            "description": "Whom to trust: a PEM (or DER) file, an array of them, or a PKCS#12 truststore.",
            "anyOf": [
                { "type": "string", "description": "A PEM file: a CA bundle or the server's own certificate." },
                { "type": "array", "items": { "type": "string" }, "minItems": 1 },
                store
            ]
        })
    }
}

/// `key`: the client identity. Either `cert_file` and `key_file` (PEM), or `path` (PKCS#12).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "{ cert_file = \"client.crt\", key_file = \"client.key\" } or { path = \"client.p12\", password = \"...\" }"
)]
pub struct RawKey {
    pub cert_file: Option<Spanned<String>>,
    pub key_file: Option<Spanned<String>>,
    pub key_password: Option<Spanned<String>>,
    pub path: Option<Spanned<String>>,
    pub password: Option<Spanned<String>>,
}

impl JsonSchema for RawKey {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Key".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The client identity for mutual TLS: PEM files (`cert_file` and `key_file`), or a PKCS#12 keystore (`path`).",
            "type": "object",
            "properties": {
                "cert_file": { "type": "string", "description": "PEM: the client certificate, optionally followed by its intermediates." },
                "key_file": { "type": "string", "description": "PEM: its private key, PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8." },
                "key_password": { "type": "string", "description": "PEM: the password of an encrypted PKCS#8 key." },
                "path": { "type": "string", "description": "PKCS#12: the .p12 / .pfx keystore." },
                "password": { "type": "string", "description": "PKCS#12: its password." }
            },
            "additionalProperties": false,
            "oneOf": [
                { "required": ["cert_file", "key_file"], "not": { "required": ["path"] } },
                { "required": ["path"], "not": { "anyOf": [{ "required": ["cert_file"] }, { "required": ["key_file"] }, { "required": ["key_password"] }] } }
            ]
        })
    }
}

/// Protocol versions to offer.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Protocol")]
pub struct RawProtocol {
    /// Only "TLS".
    pub name: Option<Spanned<String>>,
    /// "TLSv1.2", "TLSv1.3", or both (the default).
    pub versions: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A proxy setting: "none", or a proxy to use.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "\"none\", or { url = \"http://proxy:3128\", no_proxy = [...], cert = \"proxy-ca.pem\" }"
)]
#[schemars(rename = "Proxy")]
pub enum RawProxy {
    /// "none": go direct, whatever the environment says.
    Off(String),
    Via(RawProxyTable),
}

/// A forward proxy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "ProxyTable")]
pub struct RawProxyTable {
    /// The proxy: http://host:port (CONNECT for https:// URLs), https:// or socks5://; it may
    /// carry user:password.
    pub url: String,
    /// Hosts reached directly: a name, ".suffix" for a domain, or "*" for all.
    #[serde(default)]
    pub no_proxy: Vec<String>,
    /// For an https:// proxy: a PEM file of the CAs that issue the proxy's own certificate
    /// (default: the system's trust store). The endpoint's `secure_socket` is for the server.
    pub cert: Option<String>,
}

/// A size: a number of bytes, or text such as "64MiB".
#[derive(Debug, Clone, PartialEq, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "a size such as \"64MiB\", or a number of bytes")]
#[schemars(rename = "Size")]
pub enum RawSize {
    Bytes(u64),
    Text(String),
}

/// A duration: "250ms", "10s", "2m", "1h", "30d", or a number of seconds.
#[derive(Debug, Clone, PartialEq)]
pub enum RawDuration {
    Text(String),
    Seconds(f64),
}

impl<'de> Deserialize<'de> for RawDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;

        impl Visitor<'_> for DurationVisitor {
            type Value = RawDuration;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(
                    "a duration such as \"250ms\", \"10s\" or \"2m\", or a number of seconds",
                )
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<RawDuration, E> {
                Ok(RawDuration::Text(value.to_owned()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<RawDuration, E> {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "seconds beyond 2^53 are not durations anyone writes"
                )]
                Ok(RawDuration::Seconds(value as f64))
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<RawDuration, E> {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "seconds beyond 2^53 are not durations anyone writes"
                )]
                Ok(RawDuration::Seconds(value as f64))
            }

            fn visit_f64<E: de::Error>(self, value: f64) -> Result<RawDuration, E> {
                Ok(RawDuration::Seconds(value))
            }
        }

        deserializer.deserialize_any(DurationVisitor)
    }
}

/// What the duration parser takes, for editors: a number of seconds, or numbers with
/// humantime's units, or "none".
pub const DURATION_PATTERN: &str = r"^\s*(none|\d+(\.\d+)?|(\d+(\.\d+)?\s*(nanos|nsec|ns|usec|us|µs|millis|msec|ms|seconds|second|secs|sec|s|minutes|minute|mins|min|m|hours|hour|hrs|hr|h|days|day|d|weeks|week|wks|wk|w|months|month|M|years|year|yrs|yr|y)\s*)+)$";

impl JsonSchema for RawDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: \"250ms\", \"10s\", \"2m\", \"1h 30m\", \"30d\", or a number of seconds; \"none\" turns `timeout` and `read_timeout` off.",
            "anyOf": [
                { "type": "string", "pattern": DURATION_PATTERN, "examples": ["250ms", "10s", "1.5s", "2m", "1h 30m"] },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}
