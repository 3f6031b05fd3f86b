//! What an answer holds that both expectations and captures read: the cookies it sets, and how
//! a body past `max_body` is described.

use http::HeaderMap;

/// The value of the cookie `name` that the response sets, if it sets one.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.split_once('='))
        .find(|(n, _)| n.trim() == name)
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
}

/// What a body past `max_body` is, as an actual value.
pub fn too_large(limit: u64) -> String {
    format!(
        "a body larger than max_body ({}): raise `max_body` to check it",
        crate::size::show(limit)
    )
}
