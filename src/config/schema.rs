//! The JSON Schema of the suite format (`runner schema`), generated from the raw serde types and
//! shaped for editors (Taplo, Even Better TOML): no `null` (TOML has none), every property with
//! a description and examples, and no property that is not in the format.

use schemars::Schema;
use serde_json::{Value, json};

use super::RawSuite;

/// The schema's text, as committed in `schemas/runner.schema.json`.
pub fn text() -> String {
    let mut schema = schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(without_null)
        .into_generator()
        .into_root_schema_for::<RawSuite>();
    // Examples first: a definition merged into another keeps its own.
    with_examples(&mut schema);
    if let Some(root) = schema.as_object_mut()
        && let Some(Value::Object(definitions)) = root.get_mut("$defs")
    {
        merge_either_or(definitions);
    }
    // Serializing a `serde_json::Value`-backed schema cannot fail.
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}

/// Leaves out schemars' `null` for `Option<T>`: `anyOf [T, null]` becomes T (its description
/// kept), and `null` leaves type lists. An editor then says "certt is not allowed" on the key,
/// not "not valid under any of the schemas listed in anyOf" for each optional field.
fn without_null(schema: &mut Schema) {
    schemars::transform::transform_subschemas(&mut without_null, schema);
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let is_null = |v: &Value| v.get("type").and_then(Value::as_str) == Some("null");
    if let Some(Value::Array(any)) = object.get("anyOf")
        && any.len() == 2
        && any.iter().any(is_null)
        && let Some(Value::Object(other)) = any.iter().find(|v| !is_null(v)).cloned()
    {
        object.remove("anyOf");
        for (key, value) in other {
            object.entry(key).or_insert(value);
        }
    }
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|t| t.as_str() != Some("null"));
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".to_owned(), only);
        }
    }
}

/// Keywords that apply to values of one JSON type only.
const TYPE_KEYWORDS: [(&str, &[&str]); 4] = [
    ("string", &["pattern", "minLength", "maxLength", "format"]),
    (
        "number",
        &[
            "minimum",
            "maximum",
            "exclusiveMinimum",
            "exclusiveMaximum",
            "multipleOf",
        ],
    ),
    ("array", &["items", "minItems", "maxItems", "uniqueItems"]),
    (
        "object",
        &[
            "properties",
            "required",
            "additionalProperties",
            "patternProperties",
            "minProperties",
            "maxProperties",
            "oneOf",
            "not",
        ],
    ),
];

/// Turns "a string, or an array, or a table" (`anyOf` over values of different types) into one
/// schema with a list of types, each keyword applying to its own type only. Editors then say
/// what is wrong in the branch that applies ("'pth' was unexpected", "does not match"), not
/// "not valid under any of the schemas listed in anyOf". An `enum` of a branch becomes an
/// `if`/`then` on its type. A union whose branches share a type is left as it is.
fn merge_either_or(definitions: &mut serde_json::Map<String, Value>) {
    // Nested unions first (a branch may be another definition's union).
    let names: Vec<String> = definitions.keys().cloned().collect();
    for _ in 0..2 {
        for name in &names {
            let Some(Value::Object(definition)) = definitions.get(name).cloned() else {
                continue;
            };
            if let Some(merged) = merged(&definition, definitions) {
                definitions.insert(name.clone(), Value::Object(merged));
            }
        }
    }
}

fn merged(
    definition: &serde_json::Map<String, Value>,
    definitions: &serde_json::Map<String, Value>,
) -> Option<serde_json::Map<String, Value>> {
    let Value::Array(branches) = definition.get("anyOf")? else {
        return None;
    };
    let mut out = definition.clone();
    out.remove("anyOf");
    let mut types: Vec<Value> = Vec::new();
    let mut conditions = Vec::new();
    for branch in branches {
        let mut branch = branch.as_object()?.clone();
        if let Some(Value::String(reference)) = branch.get("$ref") {
            let name = reference.strip_prefix("#/$defs/")?;
            branch = definitions.get(name)?.as_object()?.clone();
        }
        // schemars' "int64" and "double" say nothing to an editor of TOML.
        branch.remove("format");
        let branch_types: Vec<Value> = match branch.get("type")? {
            Value::String(one) => vec![Value::String(one.clone())],
            Value::Array(many) => many.clone(),
            _ => return None,
        };
        let numeric = |t: &Value| matches!(t.as_str(), Some("number" | "integer"));
        for t in &branch_types {
            let clash = types
                .iter()
                .any(|seen| seen == t || (numeric(seen) && numeric(t)));
            if clash && branch.keys().any(|k| k != "type" && k != "description") {
                return None;
            }
            if !types.contains(t) {
                types.push(t.clone());
            }
        }
        for (keyword, value) in branch {
            match keyword.as_str() {
                "type" | "description" | "examples" | "title" | "$schema" => {}
                "enum" | "const" => conditions.push(json!({
                    "if": { "type": branch_types.clone() },
                    "then": { keyword: value }
                })),
                _ => {
                    let owned = TYPE_KEYWORDS.iter().any(|(t, keywords)| {
                        keywords.contains(&keyword.as_str())
                            && branch_types
                                .iter()
                                .any(|b| b.as_str() == Some(t) || (*t == "number" && numeric(b)))
                    });
                    if !owned || out.contains_key(&keyword) {
                        return None;
                    }
                    out.insert(keyword, value);
                }
            }
        }
    }
    out.insert("type".to_owned(), Value::Array(types));
    if !conditions.is_empty() {
        out.insert("allOf".to_owned(), Value::Array(conditions));
    }
    Some(out)
}

/// Puts each property's examples in: "Definition.property" (the root's are ".property").
fn with_examples(schema: &mut Schema) {
    let examples = examples();
    let Some(root) = schema.as_object_mut() else {
        return;
    };
    add(root, "", &examples);
    if let Some(Value::Object(definitions)) = root.get_mut("$defs") {
        for (name, definition) in definitions.iter_mut() {
            if let Value::Object(definition) = definition {
                add(definition, name, &examples);
            }
        }
    }
}

/// Into every `properties` in `node` (also inside `anyOf`/`oneOf` branches), the examples of
/// `definition`.
fn add(node: &mut serde_json::Map<String, Value>, definition: &str, examples: &[(&str, Value)]) {
    if let Some(Value::Object(properties)) = node.get_mut("properties") {
        for (property, schema) in properties.iter_mut() {
            let key = format!("{definition}.{property}");
            if let (Some((_, example)), Value::Object(schema)) =
                (examples.iter().find(|(k, _)| *k == key), schema)
            {
                schema.entry("examples").or_insert_with(|| example.clone());
            }
        }
    }
    for branches in ["anyOf", "oneOf"] {
        if let Some(Value::Array(branches)) = node.get_mut(branches) {
            for branch in branches {
                if let Value::Object(branch) = branch {
                    add(branch, definition, examples);
                }
            }
        }
    }
}

/// Examples of every property, as a suite writes them.
fn examples() -> Vec<(&'static str, Value)> {
    vec![
        (
            ".vars",
            json!([{ "base_url": "https://staging.example.com", "user": "alice" }]),
        ),
        (
            ".endpoints",
            json!([{ "api": { "url": "https://{{base_url}}", "secure_socket": { "cert": "certs/ca.crt" } } }]),
        ),
        (
            ".requests",
            json!([[{ "name": "health", "path": "/health", "expect": { "status": 200 } }]]),
        ),
        (
            "Endpoint.url",
            json!(["https://api.example.com", "{{base_url}}/v1"]),
        ),
        (
            "Endpoint.headers",
            json!([{ "Authorization": "Bearer {{env.API_TOKEN}}" }]),
        ),
        ("Endpoint.timeout", json!(["30s", "none"])),
        ("Endpoint.connect_timeout", json!(["5s"])),
        ("Endpoint.read_timeout", json!(["30s", "none"])),
        (
            "Endpoint.proxy",
            json!(["none", { "url": "http://proxy.internal:3128", "no_proxy": ["localhost"] }]),
        ),
        ("Endpoint.compressed", json!([false])),
        ("Endpoint.cookies", json!([false])),
        (
            "Endpoint.connect_to",
            json!(["10.0.0.5:8443", "[::1]:8443"]),
        ),
        ("Endpoint.max_body", json!(["64MiB", 1_048_576])),
        ("Endpoint.http_version", json!(["auto", "1.1", "2"])),
        (
            "Endpoint.follow_redirects",
            json!([true, { "max": 5, "other_origins": "refuse" }]),
        ),
        (
            "Endpoint.secure_socket",
            json!([{ "cert": "certs/ca.crt", "key": { "cert_file": "certs/client.crt", "key_file": "certs/client.key" } }]),
        ),
        (
            "ProxyTable.url",
            json!([
                "http://proxy.internal:3128",
                "https://user:{{env.PROXY_PW}}@proxy.internal:3129"
            ]),
        ),
        ("ProxyTable.no_proxy", json!([["localhost", ".internal"]])),
        ("ProxyTable.cert", json!(["certs/proxy-ca.crt"])),
        ("RedirectLimit.max", json!([10])),
        ("RedirectLimit.to_http", json!([true])),
        (
            "RedirectLimit.other_origins",
            json!(["strip", "refuse", "keep"]),
        ),
        ("SecureSocket.enable", json!([false])),
        (
            "SecureSocket.cert",
            json!(["certs/ca.crt", ["certs/ca.crt", "certs/old-ca.crt"], { "path": "certs/truststore.p12", "password": "{{env.TRUST_PW}}" }]),
        ),
        ("SecureSocket.system_roots", json!([true])),
        (
            "SecureSocket.key",
            json!([{ "cert_file": "certs/client.crt", "key_file": "certs/client.key" }, { "path": "certs/client.p12", "password": "{{env.P12_PW}}" }]),
        ),
        ("SecureSocket.verify_hostname", json!([false])),
        ("SecureSocket.server_name", json!(["api.internal"])),
        (
            "SecureSocket.protocol",
            json!([{ "name": "TLS", "versions": ["TLSv1.3"] }]),
        ),
        (
            "SecureSocket.ciphers",
            json!([[
                "TLS_AES_256_GCM_SHA384",
                "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
            ]]),
        ),
        ("SecureSocket.handshake_timeout", json!(["10s"])),
        ("SecureSocket.share_session", json!([false])),
        ("SecureSocket.session_timeout", json!(["5m"])),
        (
            "SecureSocket.pin_sha256",
            json!([["f6kLBIL98Dfmp8Vx0jo2MJ5yugn0TbjSjmgHmFa8kS4="]]),
        ),
        (
            "SecureSocket.revocation",
            json!([{ "crl": ["certs/inter.crl", "certs/root.crl"] }, { "crl": "certs/ca.crl", "scope": "end-entity" }]),
        ),
        (
            "Revocation.crl",
            json!(["certs/ca.crl", ["certs/inter.crl", "certs/root.crl"]]),
        ),
        ("Revocation.scope", json!(["chain", "end-entity"])),
        ("Revocation.unknown", json!(["deny", "allow"])),
        ("Revocation.fetch", json!([true])),
        ("Revocation.cache_size", json!([64])),
        ("Revocation.cache_validity", json!(["1h"])),
        ("Revocation.timeout", json!(["5s"])),
        (
            "SecureSocket.cert_validation",
            json!([{ "type": "OCSP_STAPLING" }, { "type": "OCSP_CRL", "cache_size": 100, "cache_validity_period": 3600 }]),
        ),
        ("CertValidation.type", json!(["OCSP_STAPLING", "OCSP_CRL"])),
        ("CertValidation.cache_size", json!([100])),
        ("CertValidation.cache_validity_period", json!([3600, "1h"])),
        (
            "Revocation.ocsp_stapling",
            json!(["require", "if-present", "ignore"]),
        ),
        ("Store.path", json!(["certs/truststore.p12"])),
        ("Store.password", json!(["{{env.TRUST_PW}}"])),
        ("Key.cert_file", json!(["certs/client.crt"])),
        ("Key.key_file", json!(["certs/client.key"])),
        ("Key.key_password", json!(["{{env.KEY_PW}}"])),
        ("Key.path", json!(["certs/client.p12"])),
        ("Key.password", json!(["{{env.P12_PW}}"])),
        ("Protocol.name", json!(["TLS"])),
        ("Protocol.versions", json!([["TLSv1.2", "TLSv1.3"]])),
        ("Request.name", json!(["log in"])),
        ("Request.endpoint", json!(["api"])),
        ("Request.method", json!(["POST", { "custom": "PROPFIND" }])),
        ("Request.path", json!(["/users/{{user_id}}?verbose=1"])),
        ("Request.query", json!([{ "page": 2, "q": "tls" }])),
        ("Request.headers", json!([{ "Accept": "application/json" }])),
        ("Request.body", json!(["plain text"])),
        (
            "Request.json",
            json!([{ "user": "{{user}}", "roles": ["admin"] }]),
        ),
        (
            "Request.form",
            json!([{ "user": "alice", "password": "{{env.PASSWORD}}" }]),
        ),
        ("Request.body_file", json!(["data/upload.json"])),
        (
            "Request.multipart",
            json!([{ "title": "weekly", "report": { "file": "data/report.csv", "content_type": "text/csv" } }]),
        ),
        ("Request.timeout", json!(["2s"])),
        ("Request.decode", json!([false])),
        ("Request.max_body", json!(["1GiB"])),
        (
            "Request.retry",
            json!([{ "count": 3, "interval": "1s", "on_status": [502, 503] }]),
        ),
        ("Request.output", json!(["out/report.pdf", "none"])),
        (
            "Request.expect",
            json!([{ "status": 200, "json": { "$.id": { "exists": true } } }]),
        ),
        (
            "Request.capture",
            json!([{ "token": "$.access_token", "session": { "cookie": "session", "secret": true } }]),
        ),
        ("FilePart.file", json!(["data/report.pdf"])),
        ("FilePart.content_type", json!(["application/pdf"])),
        ("FilePart.filename", json!(["report.pdf"])),
        ("Retry.count", json!([3])),
        ("Retry.interval", json!(["500ms"])),
        ("Retry.backoff_factor", json!([2.0])),
        ("Retry.max_interval", json!(["10s"])),
        ("Retry.on_status", json!([[502, 503, 504]])),
        ("Retry.until_expect", json!([true])),
        (
            "Expect.status",
            json!([200, [200, 204], { "one_of": [200, 201] }]),
        ),
        ("Expect.max_duration", json!(["250ms"])),
        (
            "Expect.headers",
            json!([{ "content-type": { "contains": "json" } }]),
        ),
        (
            "Expect.json",
            json!([{ "$.user.name": "alice", "$.items": { "length": 3 } }]),
        ),
        ("Expect.cookies", json!([{ "session": { "exists": true } }])),
        ("Expect.body", json!([{ "contains": "ok" }])),
        (
            "Expect.certificate",
            json!([{ "valid_for_at_least": "30d", "issuer": { "contains": "Example CA" } }]),
        ),
        ("Matcher.equals", json!([{ "a": 1 }])),
        ("Matcher.contains", json!(["ok"])),
        ("Matcher.matches", json!(["^v\\d+\\.\\d+$"])),
        ("Matcher.exists", json!([true])),
        ("Matcher.gt", json!([0])),
        ("Matcher.ge", json!([1])),
        ("Matcher.lt", json!([100])),
        ("Matcher.le", json!([99])),
        ("Matcher.length", json!([3])),
        ("Matcher.one_of", json!([["active", "pending"]])),
        ("CertificateExpect.valid_for_at_least", json!(["30d"])),
        (
            "CertificateExpect.subject",
            json!([{ "contains": "CN=api.example.com" }]),
        ),
        (
            "CertificateExpect.issuer",
            json!([{ "contains": "Example CA" }]),
        ),
        (
            "CertificateExpect.san",
            json!([{ "contains": "api.example.com" }]),
        ),
        ("CertificateExpect.serial", json!(["1A:2B:3C"])),
        (
            "CertificateExpect.ocsp",
            json!(["good", { "one_of": ["good", "absent"] }]),
        ),
        ("CertificateExpect.sha256", json!([{ "matches": "^AB:CD" }])),
        (
            "CertificateExpect.spki_sha256",
            json!(["f6kLBIL98Dfmp8Vx0jo2MJ5yugn0TbjSjmgHmFa8kS4="]),
        ),
        ("CaptureTable.json", json!(["$.access_token"])),
        ("CaptureTable.header", json!(["x-request-id"])),
        ("CaptureTable.cookie", json!(["session"])),
        ("CaptureTable.secret", json!([true])),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every property of the format has a description and examples, and every object refuses
    /// keys that are not in the format: an editor then names a misspelt key.
    #[test]
    fn every_property_speaks() {
        let schema: Value = serde_json::from_str(&text()).expect("JSON");
        let mut missing = Vec::new();
        let mut open = Vec::new();
        walk(&schema, "", &mut missing, &mut open);
        assert!(
            missing.is_empty(),
            "without description or examples: {missing:?}"
        );
        assert!(open.is_empty(), "objects open to any key: {open:?}");
        assert!(!text().contains("\"null\""), "TOML has no null");
    }

    fn walk(node: &Value, at: &str, missing: &mut Vec<String>, open: &mut Vec<String>) {
        match node {
            Value::Object(object) => {
                if let Some(Value::Object(properties)) = object.get("properties") {
                    if object.get("additionalProperties") != Some(&Value::Bool(false)) {
                        open.push(at.to_owned());
                    }
                    for (name, property) in properties {
                        if property.get("description").is_none()
                            || property.get("examples").is_none()
                        {
                            missing.push(format!("{at}.{name}"));
                        }
                    }
                }
                for (key, value) in object {
                    walk(value, &format!("{at}/{key}"), missing, open);
                }
            }
            Value::Array(items) => {
                for item in items {
                    walk(item, at, missing, open);
                }
            }
            _ => {}
        }
    }
}
