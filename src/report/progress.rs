//! A progress bar on stderr for long runs, on a terminal only: never in pipes or CI logs. Log
//! lines are written around it.

use std::io::{IsTerminal, Write};
use std::sync::{Mutex, OnceLock, PoisonError};

use indicatif::{ProgressBar, ProgressStyle};

/// Runs shorter than this show no bar.
const MIN_REQUESTS: usize = 5;

fn bar() -> &'static Mutex<Option<ProgressBar>> {
    static BAR: OnceLock<Mutex<Option<ProgressBar>>> = OnceLock::new();
    BAR.get_or_init(|| Mutex::new(None))
}

/// Shows a bar for `total` requests when stderr is a terminal and this is not CI.
pub fn start(total: usize) {
    if total < MIN_REQUESTS || !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some()
    {
        return;
    }
    let bar_style = ProgressStyle::with_template("{spinner} [{pos}/{len}] {wide_bar} {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    let progress = ProgressBar::new(total as u64).with_style(bar_style);
    progress.enable_steady_tick(std::time::Duration::from_millis(120));
    *bar().lock().unwrap_or_else(PoisonError::into_inner) = Some(progress);
}

/// One more request done.
pub fn tick() {
    if let Some(progress) = bar()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_ref()
    {
        progress.inc(1);
    }
}

pub fn finish() {
    if let Some(progress) = bar().lock().unwrap_or_else(PoisonError::into_inner).take() {
        progress.finish_and_clear();
    }
}

/// Writes to stderr above the bar.
pub fn write_stderr(bytes: &[u8]) {
    let guard = bar().lock().unwrap_or_else(PoisonError::into_inner);
    match guard.as_ref() {
        Some(progress) => progress.suspend(|| {
            let _ = std::io::stderr().write_all(bytes);
        }),
        None => {
            let _ = std::io::stderr().write_all(bytes);
        }
    }
}
