//! Messages to the user on stderr: warnings, errors and status lines, always redacted
//! (unless `--no-redact`) and with control characters from log text made harmless, and the
//! exit status they lead to. Data goes to stdout or `--output`; everything said about the
//! run comes here. `--quiet` silences all but errors; `--color` colours the prefixes.

use crate::redact::redact;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

static ERRORED: AtomicBool = AtomicBool::new(false);
static QUIET: AtomicBool = AtomicBool::new(false);
static COLOR: AtomicBool = AtomicBool::new(false);

/// `--color`: when the prefixes of messages on stderr are coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// When stderr is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour, given whether stderr is a terminal and the value of `NO_COLOR`
    /// (set and not empty turns colour off unless `--color always`, as no-color.org asks).
    pub fn resolve(self, terminal: bool, no_color: Option<&std::ffi::OsStr>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
        }
    }
}

/// Sets `--quiet` and `--color` for the rest of the run.
pub fn configure(quiet: bool, color: ColorChoice) {
    QUIET.store(quiet, Ordering::Relaxed);
    let no_color = std::env::var_os("NO_COLOR");
    COLOR.store(
        color.resolve(std::io::stderr().is_terminal(), no_color.as_deref()),
        Ordering::Relaxed,
    );
}

/// Whether `--quiet` was given: no progress bar, no warning, no status line.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// `prefix` in an SGR colour when colour is on.
fn prefix(text: &str, sgr: &str) -> String {
    if COLOR.load(Ordering::Relaxed) {
        format!("\u{1b}[{sgr}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

/// Prints a warning; the run goes on and the exit code is unchanged.
pub fn warn(message: &str) {
    if !quiet() {
        eprintln!(
            "{} {}",
            prefix("esmlog: warning:", "1;33"),
            printable(message)
        );
    }
}

/// Prints an error about one input or value; the run goes on, but exits with code 2. Never
/// silenced.
pub fn error(message: &str) {
    ERRORED.store(true, Ordering::Relaxed);
    eprintln!(
        "{} {}",
        prefix("esmlog: error:", "1;31"),
        printable(message)
    );
}

/// Prints an indented line under a warning (one of the problems it announces).
pub fn detail(message: &str) {
    if !quiet() {
        eprintln!("  {}", printable(message));
    }
}

/// Says what the run did (`esmlog: wrote …`), for people: never on stdout, which carries
/// data only.
pub fn status(message: &str) {
    if !quiet() {
        eprintln!("{} {}", prefix("esmlog:", "1"), printable(message));
    }
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
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn messages_are_redacted_and_inert() {
        assert_eq!(
            printable("a.log:3: token=abc \u{1b}[2Jx\r\nnext"),
            "a.log:3: token=[REDACTED]  [2Jx \nnext"
        );
    }

    #[test]
    fn colour_follows_the_flag_the_terminal_and_no_color() {
        let set = Some(OsStr::new("1"));
        let empty = Some(OsStr::new(""));
        assert!(ColorChoice::Auto.resolve(true, None));
        assert!(
            ColorChoice::Auto.resolve(true, empty),
            "empty NO_COLOR is unset"
        );
        assert!(!ColorChoice::Auto.resolve(true, set));
        assert!(!ColorChoice::Auto.resolve(false, None), "not a terminal");
        assert!(ColorChoice::Always.resolve(false, set));
        assert!(!ColorChoice::Never.resolve(true, None));
    }
}
