//! Errors of the operating system in words a user reads: without Rust's "(os error N)".

/// An I/O error in words, without Rust's "(os error 2)".
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}
