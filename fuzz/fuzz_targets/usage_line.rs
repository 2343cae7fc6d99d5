//! The usage-log line parser and the file reader around it, on arbitrary bytes: no panic, and
//! every line is accounted for (`lines = parsed + malformed + blank`).
//! The checks are in `fuzz/checks.rs`, shared with `tests/fuzz_regressions.rs`.

#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::usage_line(data));
