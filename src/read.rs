//! Reading the files a run names, bounded: certificates, keys, keystores and variables files
//! must be regular files of at most 16 MiB; suite files may also be pipes (`runner run
//! <(generate)`), of at most 64 MiB. A FIFO, a device or a folder is refused at once, without
//! opening it: opening a FIFO waits for a writer, and a device may never end.

use std::io::{self, Read};
use std::path::Path;

/// The largest certificate, key, keystore or variables file (spec §7).
pub const MATERIAL_LIMIT: u64 = 16 << 20;
/// The largest suite file (spec §7).
pub const SUITE_LIMIT: u64 = 64 << 20;

/// Reads `path` whole, if it is a regular file (or, with `pipes`, a pipe) of at most `limit`
/// bytes. The error says what the file is instead.
pub fn bounded(path: &Path, limit: u64, pipes: bool) -> io::Result<Vec<u8>> {
    let metadata = std::fs::metadata(path)?;
    let kind = metadata.file_type();
    if kind.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a folder, not a file",
        ));
    }
    if !(kind.is_file() || pipes && is_pipe(&kind)) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("it is {}, not a regular file", describe(&kind)),
        ));
    }
    let too_large = |size: String| {
        io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "it holds {size}, more than the {} such a file may hold",
                crate::size::show(limit)
            ),
        )
    };
    if kind.is_file() && metadata.len() > limit {
        return Err(too_large(crate::size::show(metadata.len())));
    }
    // Room for the whole file at once (`take` hides its size from `read_to_end`): a doubling
    // buffer would hold up to twice the file, and copy it on the way.
    let expected = if kind.is_file() { metadata.len() } else { 0 };
    let mut bytes = Vec::with_capacity(usize::try_from(expected).unwrap_or(0).saturating_add(1));
    std::fs::File::open(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(format!("more than {}", crate::size::show(limit))));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn is_pipe(kind: &std::fs::FileType) -> bool {
    use std::os::unix::fs::FileTypeExt;
    kind.is_fifo()
}

#[cfg(not(unix))]
fn is_pipe(_: &std::fs::FileType) -> bool {
    false
}

/// What a file that is not a regular one is, in words.
fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a named pipe (FIFO)";
        }
        if kind.is_char_device() || kind.is_block_device() {
            return "a device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    let _ = kind;
    "not a regular file"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_bounded_regular_file() {
        let reason = |path: &str, limit, pipes| {
            bounded(Path::new(path), limit, pipes)
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            reason("/dev/zero", 16, false).as_deref(),
            Some("it is a device, not a regular file")
        );
        assert_eq!(
            reason("/", 16, false).as_deref(),
            Some("it is a folder, not a file")
        );
        assert_eq!(
            reason("Cargo.toml", 16, false)
                .as_deref()
                .map(|r| r.starts_with("it holds")),
            Some(true)
        );
        assert!(bounded(Path::new("Cargo.toml"), 1 << 20, false).is_ok());
    }
}
