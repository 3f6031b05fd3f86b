//! What a response body is: JSON, text or binary, told from its content type or its first
//! bytes. It decides what is kept and how the body may be shown.

/// What a body is, for printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    Json,
    Text,
    Binary,
}

/// Tells a body's kind from its content type, or from its first bytes when that says nothing.
pub fn body_kind(content_type: Option<&str>, first_bytes: &[u8]) -> BodyKind {
    let mime = content_type
        .unwrap_or_default()
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if mime == "application/json" || mime.ends_with("+json") {
        return BodyKind::Json;
    }
    if mime.starts_with("text/")
        || mime.ends_with("+xml")
        || matches!(
            mime.as_str(),
            "application/xml" | "application/javascript" | "application/x-www-form-urlencoded"
        )
    {
        return BodyKind::Text;
    }
    if !mime.is_empty() && mime != "application/octet-stream" {
        return BodyKind::Binary;
    }
    // A UTF-8 prefix may end inside a character: judge what is valid of it.
    let valid = match std::str::from_utf8(first_bytes) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    };
    if valid && !first_bytes.contains(&0) {
        BodyKind::Text
    } else {
        BodyKind::Binary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_kinds_apart() {
        assert_eq!(
            body_kind(Some("application/json; charset=utf-8"), b"{}"),
            BodyKind::Json
        );
        assert_eq!(
            body_kind(Some("application/problem+json"), b"{}"),
            BodyKind::Json
        );
        assert_eq!(body_kind(Some("text/html"), b"<html>"), BodyKind::Text);
        assert_eq!(body_kind(Some("image/png"), b"\x89PNG"), BodyKind::Binary);
        assert_eq!(body_kind(None, b"plain words"), BodyKind::Text);
        assert_eq!(
            body_kind(Some("application/octet-stream"), &[0, 1, 2]),
            BodyKind::Binary
        );
        assert_eq!(
            body_kind(None, "é".as_bytes().get(..1).unwrap_or_default()),
            BodyKind::Text
        );
    }
}
