//! Layout inference (`--layout auto`) and the JSON layout on arbitrary input heads.
//! The checks are in `fuzz/checks.rs`, shared with `tests/fuzz_regressions.rs`.

#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::infer(data));
