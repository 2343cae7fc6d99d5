//! The integration.log entry reader over arbitrary bytes, read in chunks: the chunked,
//! multi-threaded scan (small blocks, a stream that hands out a few bytes at a time, a small
//! line limit) must find exactly what one pass over the whole buffer finds, and the line
//! accounting must balance. The first two bytes choose the block size and the line limit.
//! The checks are in `fuzz/checks.rs`, shared with `tests/fuzz_regressions.rs`.

#![no_main]

// Each target uses one of the shared checks.
#[allow(dead_code)]
#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::entries(data));
