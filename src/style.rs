//! Colour on stderr: on for a terminal, off in pipes and CI logs, `NO_COLOR` honoured,
//! `CLICOLOR_FORCE` and `--color always` force it. Decided once per process; everything that
//! writes to stderr paints through [`paint`].

use std::io::IsTerminal;
use std::sync::OnceLock;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces it).
    #[default]
    Auto,
    Always,
    Never,
}

/// What a piece of text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Error,
    Warning,
    Passed,
    Place,
    Help,
}

static ENABLED: OnceLock<bool> = OnceLock::new();

/// Decides, once, whether stderr gets colour.
pub fn init(choice: ColorChoice) {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
    let enabled = match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
    };
    let _ = ENABLED.set(enabled);
}

/// `text` painted as `style`, when stderr gets colour.
pub fn paint(text: &str, style: Style) -> String {
    if !ENABLED.get().copied().unwrap_or(false) {
        return text.to_owned();
    }
    let code = match style {
        Style::Error => "1;31",
        Style::Warning => "1;33",
        Style::Passed => "32",
        Style::Place => "1;34",
        Style::Help => "1;36",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}
