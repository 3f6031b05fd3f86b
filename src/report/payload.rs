//! Response bodies on stdout: JSON pretty-printed, text as it is, binary never dumped to a
//! terminal. What is shown whole is shown from the request's report, where secrets a server
//! echoed are already hidden.

use std::io::{self, Write};

use crate::exec::Body;

/// Prints a body held whole the way `--output pretty` shows it.
pub fn print_whole(out: &mut dyn Write, body: &Body) -> io::Result<()> {
    match body {
        Body::Json(value) => {
            let text = serde_json::to_string_pretty(value).map_err(io::Error::other)?;
            writeln!(out, "{text}")
        }
        Body::Text(text) => {
            out.write_all(text.as_bytes())?;
            if !text.is_empty() && !text.ends_with('\n') {
                out.write_all(b"\n")?;
            }
            Ok(())
        }
        Body::None | Body::Elsewhere { .. } => Ok(()),
    }
}

/// What stdout shows instead of a body too large to hold whole and with secrets to hide.
pub fn too_large_placeholder(out: &mut dyn Write, bytes: u64) -> io::Result<()> {
    writeln!(
        out,
        "[body of {bytes} bytes, larger than max_body: not shown, since secrets are hidden in whole bodies only; use `output = \"FILE\"` or raise `max_body`]"
    )
}

/// What a terminal shows instead of a binary body.
pub fn binary_placeholder(out: &mut dyn Write, bytes: u64) -> io::Result<()> {
    writeln!(
        out,
        "[binary body, {bytes} bytes: not shown on a terminal; use `output = \"FILE\"` or a pipe]"
    )
}
