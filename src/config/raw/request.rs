//! Requests as written: method, path, bodies, retries, expectations (with their operator
//! tables) and captures.

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de;
use serde::{Deserialize, Deserializer};

use super::{RawDuration, Scalar};
use crate::config::spanned::Spanned;
use crate::diagnostic::HELP_MARKER;

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
    pub method: Option<Spanned<RawMethod>>,
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
    pub json: Option<Spanned<Box<AnyValue>>>,
    /// An `application/x-www-form-urlencoded` body.
    pub form: Option<Spanned<Box<Fields<Scalar>>>>,
    /// A body streamed from a file, relative to the suite file.
    pub body_file: Option<Spanned<String>>,
    /// A `multipart/form-data` body: each field a text, or `{ file, content_type, filename }`
    /// (the file streamed from disk, relative to the suite file).
    pub multipart: Option<Spanned<Box<Fields<RawPart>>>>,
    /// Time limit for the whole request, replacing the endpoint's; "none" for no limit.
    pub timeout: Option<Spanned<RawDuration>>,
    /// false: keep a compressed answer as it comes (for `output` files: the .gz as sent).
    /// Default true: answers are decoded.
    pub decode: Option<bool>,
    /// The most of the body held in memory, replacing the endpoint's `max_body`.
    pub max_body: Option<Spanned<super::RawSize>>,
    /// Retries.
    pub retry: Option<Spanned<Box<RawRetry>>>,
    /// Where the response body goes: "stdout" (the default), "none", or a file path relative to
    /// the suite file (streamed to disk).
    pub output: Option<Spanned<String>>,
    /// What the response must look like.
    pub expect: Option<Spanned<Box<RawExpect>>>,
    /// Values taken from the response, usable as `{{name}}` in later requests.
    #[serde(default)]
    pub capture: IndexMap<String, Spanned<RawCapture>>,
}

/// Named fields of a form or multipart body, in the order written.
pub type Fields<T> = IndexMap<String, Spanned<T>>;

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
    /// Further attempts after the first (at most 1,000).
    pub count: Spanned<u32>,
    /// Wait before the first retry; default 1s.
    pub interval: Option<Spanned<RawDuration>>,
    /// Each wait is the previous one times this (1.0 to 100); default 1.0.
    pub backoff_factor: Option<Spanned<f64>>,
    /// The longest wait, the first one included; at least `interval`.
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
    /// Cookies the response sets (`Set-Cookie`), by name.
    #[serde(default)]
    pub cookies: IndexMap<String, Spanned<RawMatcher>>,
    /// The body as text.
    pub body: Option<Spanned<RawMatcher>>,
    /// The server's leaf certificate.
    pub certificate: Option<Spanned<Box<RawCertificateExpect>>>,
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
    /// Its names (DNS names and IP addresses), an array: `{ contains = "api.example.com" }`.
    pub san: Option<Spanned<RawMatcher>>,
    /// Its serial number, as "1A:2B:...".
    pub serial: Option<Spanned<RawMatcher>>,
    /// The SHA-256 fingerprint of the certificate, as openssl prints it ("AB:CD:...").
    pub sha256: Option<Spanned<RawMatcher>>,
    /// The base64 SHA-256 of its public key (what `pin_sha256` takes).
    pub spki_sha256: Option<Spanned<RawMatcher>>,
    /// What the server's stapled OCSP response says: "good", "revoked", "unknown", "absent"
    /// (none stapled) or "invalid" (one that cannot be believed).
    pub ocsp: Option<Spanned<RawMatcher>>,
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

/// One field of a multipart body.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(
    untagged,
    expecting = "a text, or { file = \"a.pdf\", content_type = \"...\", filename = \"...\" }"
)]
#[schemars(rename = "Part")]
pub enum RawPart {
    Text(String),
    File(RawFilePart),
}

/// A file uploaded in a multipart body.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "FilePart")]
pub struct RawFilePart {
    /// The file, relative to the suite file; streamed from disk. (Not spanned: spans do not
    /// pass through an untagged enum; the part's own span points at it.)
    pub file: String,
    /// Its media type; default "application/octet-stream".
    pub content_type: Option<String>,
    /// The file name the server sees; default the file's own name.
    pub filename: Option<String>,
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
    /// A cookie the response sets (`Set-Cookie`), by name.
    pub cookie: Option<String>,
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
                    let suggestion = crate::diagnostic::nearest(unknown, &OPERATORS)
                        .map(|near| format!("did you mean `{near}`? "))
                        .unwrap_or_default();
                    return Err(format!(
                        "unknown operator `{unknown}`{HELP_MARKER}{suggestion}the operators are {}; {TABLE_HELP}",
                        crate::diagnostic::list(&OPERATORS)
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
                        "gt": { "type": "number", "description": "A number greater than this." },
                        "ge": { "type": "number", "description": "A number greater than or equal to this." },
                        "lt": { "type": "number", "description": "A number less than this." },
                        "le": { "type": "number", "description": "A number less than or equal to this." },
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

/// The standard methods (RFC 9110 and PATCH): what `method = "..."` takes, in either case.
pub const STANDARD_METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
];

/// `method`: a standard method, or `{ custom = "PROPFIND" }` to send another on purpose (a
/// misspelt method is refused, not sent).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "a method such as \"POST\", or { custom = \"PROPFIND\" }"
)]
pub enum RawMethod {
    Standard(String),
    Custom(RawCustomMethod),
}

/// `{ custom = "PROPFIND" }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCustomMethod {
    pub custom: String,
}

impl RawMethod {
    /// The method as written.
    pub fn text(&self) -> &str {
        match self {
            Self::Standard(text) => text,
            Self::Custom(custom) => &custom.custom,
        }
    }
}

impl JsonSchema for RawMethod {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Method".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<String> = STANDARD_METHODS
            .iter()
            .flat_map(|m| [(*m).to_owned(), m.to_ascii_lowercase()])
            .collect();
        json_schema!({
            "description": "The HTTP method (default GET). Another method is sent only when asked for by name: { custom = \"PROPFIND\" }.",
            "anyOf": [
                { "type": "string", "enum": names },
                {
                    "type": "object",
                    "description": "A method that is not a standard one, sent as written.",
                    "properties": {
                        "custom": { "type": "string", "description": "The method's name, sent as written.", "pattern": "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", "examples": ["PROPFIND", "PURGE"] }
                    },
                    "required": ["custom"],
                    "additionalProperties": false
                }
            ]
        })
    }
}
