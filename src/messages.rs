//! Messages to the user on stderr: warnings and errors, always redacted, and the exit status
//! they lead to.

use crate::redact::redact;
use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);

/// Prints a warning; the run goes on and the exit code is unchanged.
pub fn warn(message: &str) {
    eprintln!("esmlog: warning: {}", redact(message));
}

/// Prints an error about one input or value; the run goes on, but exits with code 2.
pub fn error(message: &str) {
    ERRORED.store(true, Ordering::Relaxed);
    eprintln!("esmlog: error: {}", redact(message));
}

/// Whether any error was reported.
pub fn errored() -> bool {
    ERRORED.load(Ordering::Relaxed)
}
