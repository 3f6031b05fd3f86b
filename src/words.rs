//! Text for people: errors of the operating system without Rust's "(os error N)", and long text
//! cut to what a log line should hold.

/// An I/O error in words, without Rust's "(os error 2)".
pub fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    match text.find(" (os error") {
        Some(at) => text[..at].to_owned(),
        None => text,
    }
}

/// The most of a body `-vv` shows.
pub const SHOWN: usize = 2048;

/// `text` cut at [`SHOWN`] bytes (on a character boundary), saying how long it was.
pub fn cut(text: &str) -> String {
    if text.len() <= SHOWN {
        return text.to_owned();
    }
    let end = (0..=SHOWN)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    format!("{}… ({} bytes)", &text[..end], text.len())
}
