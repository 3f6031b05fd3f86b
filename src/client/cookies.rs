//! The suite file's cookie jar: cookies kept by domain and path, as a browser keeps them
//! (`cookie_store`, the store reqwest's own jar wraps). runner fills and reads it itself, around
//! each request it sends: reqwest's cookie layer printed and parsed every request's URL again,
//! whether or not a jar was set (5,600 instructions a request, 6% of one).

use std::sync::{PoisonError, RwLock};

use cookie_store::{CookieStore, RawCookie};
use http::HeaderValue;
use url::Url;

/// The cookies of one suite file, shared by its endpoints' clients.
#[derive(Debug, Default)]
pub struct Jar(RwLock<CookieStore>);

impl Jar {
    /// The Cookie header for a request to `url`: every cookie kept for it, or `None`.
    pub fn cookies(&self, url: &Url) -> Option<HeaderValue> {
        let store = self.0.read().unwrap_or_else(PoisonError::into_inner);
        let mut header = String::new();
        for (name, value) in store.get_request_values(url) {
            if !header.is_empty() {
                header.push_str("; ");
            }
            header.push_str(name);
            header.push('=');
            header.push_str(value);
        }
        drop(store);
        if header.is_empty() {
            return None;
        }
        // A value that cannot be a header value is not sent (the store holds what a server set).
        HeaderValue::try_from(header).ok()
    }

    /// Keeps the cookies of an answer from `url`'s `Set-Cookie` headers; one that does not parse
    /// is left out, as browsers leave it.
    pub fn set_cookies<'a>(&self, headers: impl Iterator<Item = &'a HeaderValue>, url: &Url) {
        let parsed = headers.filter_map(|value| {
            let text = value.to_str().ok()?;
            RawCookie::parse(text).ok().map(RawCookie::into_owned)
        });
        self.0
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .store_response_cookies(parsed, url);
    }
}
