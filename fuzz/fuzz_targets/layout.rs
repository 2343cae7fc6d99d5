//! The Log4j layout compiler on arbitrary pattern strings; a pattern that compiles then reads
//! arbitrary lines as headers. The input is the pattern, a NUL byte, then the lines.
//! The checks are in `fuzz/checks.rs`, shared with `tests/fuzz_regressions.rs`.

#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::layout(data));
