//! Messages to the user on stderr: warnings and errors, always redacted (unless
//! `--no-redact`) and with control characters from log text made harmless, and the exit
//! status they lead to.

use crate::redact::redact;
use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);

/// Prints a warning; the run goes on and the exit code is unchanged.
pub fn warn(message: &str) {
    eprintln!("esmlog: warning: {}", printable(message));
}

/// Prints an error about one input or value; the run goes on, but exits with code 2.
pub fn error(message: &str) {
    ERRORED.store(true, Ordering::Relaxed);
    eprintln!("esmlog: error: {}", printable(message));
}

/// Prints an indented line under a warning (one of the problems it announces).
pub fn detail(message: &str) {
    eprintln!("  {}", printable(message));
}

/// Whether any error was reported.
pub fn errored() -> bool {
    ERRORED.load(Ordering::Relaxed)
}

/// `message` redacted, with control characters other than line breaks turned into spaces: a
/// log line holding terminal escape sequences must not drive the user's terminal.
pub fn printable(message: &str) -> String {
    redact(message)
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn messages_are_redacted_and_inert() {
        assert_eq!(
            printable("a.log:3: token=abc \u{1b}[2Jx\r\nnext"),
            "a.log:3: token=[REDACTED]  [2Jx \nnext"
        );
    }
}
