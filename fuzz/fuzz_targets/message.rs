//! The message-field parser and the helpers that read its values (durations, paths, templates,
//! logins, unescaping), and secret redaction of the same bytes.
//! The checks are in `fuzz/checks.rs`, shared with `tests/fuzz_regressions.rs`.

#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::message(data));
