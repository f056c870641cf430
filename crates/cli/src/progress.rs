//! Progress for long jobs: a line that updates in place on a terminal,
//! nothing at all in CI or when standard error is redirected.

use std::io::{IsTerminal, Write};

/// Whether to show progress.
pub fn wanted() -> bool {
    std::io::stderr().is_terminal() && std::env::var_os("CI").is_none()
}

/// Shows `done of total` with `what`, if wanted; finishes the line at the end.
pub fn show(what: &str, done: u64, total: u64) {
    if !wanted() {
        return;
    }
    let percent = (done * 100).checked_div(total).unwrap_or(100);
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r  {what}: {done} of {total} ({percent}%)   ");
    if done >= total {
        let _ = writeln!(err);
    }
}
