//! The suite file as written: serde types that mirror the TOML one to one, with
//! `deny_unknown_fields` everywhere so a misspelt key is an error. Their doc comments are the
//! descriptions in `runner schema`. Nothing here is checked beyond its TOML type: `validate`
//! turns these into the types the later stages use.

use std::fmt;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use super::diagnostic::HELP_MARKER;
use super::spanned::Spanned;

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
    #[serde(default)]
    pub requests: Vec<Spanned<RawRequest>>,
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
    /// Default time limit for a whole request.
    pub timeout: Option<Spanned<RawDuration>>,
    /// Time limit for opening a connection (TCP and TLS).
    pub connect_timeout: Option<Spanned<RawDuration>>,
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

/// Redirect policy.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged, expecting = "expected true, false or { max = N }")]
#[schemars(rename = "Redirects")]
pub enum RawRedirects {
    Follow(bool),
    Limited(RawRedirectLimit),
}

/// Follow at most `max` redirects.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RedirectLimit")]
pub struct RawRedirectLimit {
    pub max: u32,
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
            "description": "The client identity for mutual TLS.",
            "oneOf": [
                {
                    "type": "object",
                    "description": "PEM files.",
                    "properties": {
                        "cert_file": { "type": "string", "description": "The client certificate, optionally followed by its intermediates." },
                        "key_file": { "type": "string", "description": "Its private key: PKCS#8, PKCS#1, SEC1 or encrypted PKCS#8." },
                        "key_password": { "type": "string", "description": "Password of an encrypted PKCS#8 key." }
                    },
                    "required": ["cert_file", "key_file"],
                    "additionalProperties": false
                },
                {
                    "type": "object",
                    "description": "A PKCS#12 keystore.",
                    "properties": {
                        "path": { "type": "string", "description": "The .p12 / .pfx file." },
                        "password": { "type": "string", "description": "Its password." }
                    },
                    "required": ["path"],
                    "additionalProperties": false
                }
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

impl JsonSchema for RawDuration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A duration: \"250ms\", \"10s\", \"2m\", \"1h\", \"30d\", or a number of seconds.",
            "anyOf": [
                { "type": "string", "examples": ["250ms", "10s", "2m"] },
                { "type": "number", "minimum": 0 }
            ]
        })
    }
}

/// One request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Request")]
pub struct RawRequest {
    /// Unique in the file; default "METHOD path".
    pub name: Option<Spanned<String>>,
    /// The endpoint to send it to; may be left out when the file has one endpoint.
    pub endpoint: Option<Spanned<String>>,
    /// HTTP method; default GET.
    pub method: Option<Spanned<String>>,
    /// Appended to the endpoint URL; may carry a query string.
    pub path: Option<Spanned<String>>,
    /// Query parameters, added to those in `path`.
    #[serde(default)]
    pub query: IndexMap<String, Spanned<Scalar>>,
    /// Request headers, added to (or replacing) the endpoint's.
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<String>>,
    /// A text body. At most one of `body`, `json`, `form` and `body_file`.
    pub body: Option<Spanned<String>>,
    /// A JSON body, written as TOML.
    pub json: Option<Spanned<AnyValue>>,
    /// An `application/x-www-form-urlencoded` body.
    pub form: Option<Spanned<IndexMap<String, Spanned<Scalar>>>>,
    /// A body streamed from a file, relative to the suite file.
    pub body_file: Option<Spanned<String>>,
    /// Time limit for the whole request, replacing the endpoint's.
    pub timeout: Option<Spanned<RawDuration>>,
    /// Retries.
    pub retry: Option<Spanned<RawRetry>>,
    /// Where the response body goes: "stdout" (the default), "none", or a file path relative to
    /// the suite file (streamed to disk).
    pub output: Option<Spanned<String>>,
    /// What the response must look like.
    pub expect: Option<Spanned<RawExpect>>,
    /// Values taken from the response, usable as `{{name}}` in later requests.
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<RawCapture>>,
}

/// Any TOML value (a JSON body).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct AnyValue(pub toml::Value);

impl JsonSchema for AnyValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "AnyValue".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "description": "Any value." })
    }
}

/// Retries of a request.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Retry")]
pub struct RawRetry {
    /// Further attempts after the first.
    pub count: u32,
    /// Wait before the first retry; default 1s.
    pub interval: Option<Spanned<RawDuration>>,
    /// Each wait is the previous one times this; default 1.0.
    pub backoff_factor: Option<Spanned<f64>>,
    /// The longest wait.
    pub max_interval: Option<Spanned<RawDuration>>,
    /// Also retry when the response has one of these statuses.
    #[serde(default)]
    pub on_status: Vec<Spanned<u16>>,
    /// Also retry until the expectations hold.
    #[serde(default)]
    pub until_expect: bool,
}

/// Expectations on the response.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "Expect")]
pub struct RawExpect {
    /// A status code, a list of them, or a class such as "2xx". Absent: any status below 400.
    pub status: Option<Spanned<RawStatus>>,
    /// The longest the request may take.
    pub max_duration: Option<Spanned<RawDuration>>,
    /// Response headers by name (case-insensitive).
    #[serde(default)]
    pub headers: IndexMap<String, Spanned<RawMatcher>>,
    /// JSONPath expressions (RFC 9535) on the JSON body.
    #[serde(default)]
    pub json: IndexMap<String, Spanned<RawMatcher>>,
    /// The body as text.
    pub body: Option<Spanned<RawMatcher>>,
    /// The server's leaf certificate.
    pub certificate: Option<Spanned<RawCertificateExpect>>,
}

/// Expected status.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a status code such as 200, a class such as \"2xx\", or an array of them"
)]
#[schemars(rename = "Status")]
pub enum RawStatus {
    One(RawStatusItem),
    Any(Vec<RawStatusItem>),
}

/// A status code or a class such as "2xx".
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a status code such as 200 or a class such as \"2xx\""
)]
#[schemars(rename = "StatusItem")]
pub enum RawStatusItem {
    Code(i64),
    Class(String),
}

/// Expectations on the server's leaf certificate.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CertificateExpect")]
pub struct RawCertificateExpect {
    /// The certificate must stay valid at least this long.
    pub valid_for_at_least: Option<Spanned<RawDuration>>,
    /// Its subject, as "CN=..., O=...".
    pub subject: Option<Spanned<RawMatcher>>,
    /// Its issuer, as "CN=..., O=...".
    pub issuer: Option<Spanned<RawMatcher>>,
}

/// A capture: a JSONPath on the JSON body, or a table.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "expected a JSONPath such as \"$.token\", { json = \"$.token\" } or { header = \"etag\" }"
)]
#[schemars(rename = "Capture")]
pub enum RawCapture {
    Path(String),
    Table(RawCaptureTable),
}

/// Where a capture reads from, and whether its value is secret.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CaptureTable")]
pub struct RawCaptureTable {
    /// JSONPath (RFC 9535) on the JSON body.
    pub json: Option<String>,
    /// A response header.
    pub header: Option<String>,
    /// Redact the value wherever it would be shown.
    #[serde(default)]
    pub secret: bool,
}

/// An expected value: a plain value means equality; a table is a table of operators.
#[derive(Debug, Clone, PartialEq)]
pub enum RawMatcher {
    Equals(toml::Value),
    Ops(Box<RawOps>),
}

/// Operators; every one given must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawOps {
    pub equals: Option<toml::Value>,
    pub contains: Option<toml::Value>,
    pub matches: Option<String>,
    pub exists: Option<bool>,
    pub gt: Option<f64>,
    pub ge: Option<f64>,
    pub lt: Option<f64>,
    pub le: Option<f64>,
    pub length: Option<u64>,
    pub one_of: Option<Vec<toml::Value>>,
}

/// The operator names, in the order the help text lists them.
pub const OPERATORS: [&str; 10] = [
    "equals", "contains", "matches", "exists", "gt", "ge", "lt", "le", "length", "one_of",
];

impl<'de> Deserialize<'de> for RawMatcher {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match toml::Value::deserialize(deserializer)? {
            toml::Value::Table(table) => RawOps::from_table(table)
                .map(|ops| Self::Ops(Box::new(ops)))
                .map_err(de::Error::custom),
            value => Ok(Self::Equals(value)),
        }
    }
}

impl RawOps {
    /// Reads an operator table. The error is a message for the whole table, with help.
    fn from_table(table: toml::Table) -> Result<Self, String> {
        const TABLE_HELP: &str = "to compare with a table, write `equals = { ... }`";
        if table.is_empty() {
            return Err(format!(
                "an empty operator table{HELP_MARKER}give an operator such as `contains = \"...\"`; {TABLE_HELP}"
            ));
        }
        let mut ops = Self::default();
        for (key, value) in table {
            let type_error =
                |expected: &str| format!("`{key}` takes {expected}, not {}", value.type_str());
            match key.as_str() {
                "equals" => ops.equals = Some(value),
                "contains" => ops.contains = Some(value),
                "matches" => match value {
                    toml::Value::String(pattern) => ops.matches = Some(pattern),
                    _ => return Err(type_error("a regular expression (a string)")),
                },
                "exists" => match value {
                    toml::Value::Boolean(exists) => ops.exists = Some(exists),
                    _ => return Err(type_error("true or false")),
                },
                "gt" | "ge" | "lt" | "le" => {
                    #[allow(
                        clippy::cast_precision_loss,
                        reason = "comparisons of numbers beyond 2^53 are approximate, as in JSON"
                    )]
                    let number = match value {
                        toml::Value::Integer(n) => n as f64,
                        toml::Value::Float(n) => n,
                        _ => return Err(type_error("a number")),
                    };
                    let slot = match key.as_str() {
                        "gt" => &mut ops.gt,
                        "ge" => &mut ops.ge,
                        "lt" => &mut ops.lt,
                        _ => &mut ops.le,
                    };
                    *slot = Some(number);
                }
                "length" => match value {
                    toml::Value::Integer(n) if n >= 0 => ops.length = u64::try_from(n).ok(),
                    _ => return Err(type_error("a whole number of 0 or more")),
                },
                "one_of" => match value {
                    toml::Value::Array(values) => ops.one_of = Some(values),
                    _ => return Err(type_error("an array of values")),
                },
                unknown => {
                    let suggestion = super::diagnostic::nearest(unknown, &OPERATORS)
                        .map(|near| format!("did you mean `{near}`? "))
                        .unwrap_or_default();
                    return Err(format!(
                        "unknown operator `{unknown}`{HELP_MARKER}{suggestion}the operators are {}; {TABLE_HELP}",
                        super::diagnostic::list(&OPERATORS)
                    ));
                }
            }
        }
        Ok(ops)
    }
}

impl JsonSchema for RawMatcher {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Matcher".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "An expected value: a plain value means equality; a table is a table of operators, all of which must hold.",
            "anyOf": [
                { "type": ["string", "number", "boolean", "array"] },
                {
                    "type": "object",
                    "properties": {
                        "equals": { "description": "Equal to this value (use it to compare with a table)." },
                        "contains": { "description": "A string containing this text, or an array containing this value." },
                        "matches": { "type": "string", "description": "A string matching this regular expression." },
                        "exists": { "type": "boolean", "description": "Present (true) or absent (false)." },
                        "gt": { "type": "number" },
                        "ge": { "type": "number" },
                        "lt": { "type": "number" },
                        "le": { "type": "number" },
                        "length": { "type": "integer", "minimum": 0, "description": "The length of a string, array or object." },
                        "one_of": { "type": "array", "description": "Equal to one of these values." }
                    },
                    "additionalProperties": false,
                    "minProperties": 1
                }
            ]
        })
    }
}
