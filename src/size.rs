//! Sizes: "64MiB", "512KiB", "1GB", "800B", or a number of bytes.

/// A byte count as people write it: "64 MiB", "1.5 GiB", "800 bytes".
pub fn show(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {unit}", bytes / size)
            } else {
                #[allow(
                    clippy::cast_precision_loss,
                    reason = "a size shown with one decimal does not need every bit"
                )]
                let value = bytes as f64 / size as f64;
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

/// Parses "64MiB", "1 GB", "512k", "800B" or "800" (bytes). `None`: not a size, or one that does
/// not fit in 64 bits.
pub fn parse(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "kib" => 1 << 10,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return None,
    };
    let number: f64 = number.parse().ok().filter(|n: &f64| n.is_finite())?;
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked against u64::MAX first; a fraction of a byte is dropped"
    )]
    let bytes = {
        let bytes = number * unit as f64;
        (bytes >= 0.0 && bytes < u64::MAX as f64).then_some(bytes as u64)
    };
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_shows_sizes() {
        assert_eq!(parse("64MiB"), Some(64 << 20));
        assert_eq!(parse("1.5 KiB"), Some(1536));
        assert_eq!(parse("800"), Some(800));
        assert_eq!(parse("2GB"), Some(2_000_000_000));
        assert_eq!(parse("lots"), None);
        assert_eq!(parse("1e300GiB"), None);
        assert_eq!(parse("99999999999999999999999"), None);
        assert_eq!(show(64 << 20), "64 MiB");
        assert_eq!(show(1536), "1.5 KiB");
        assert_eq!(show(12), "12 bytes");
    }
}
