//! Replays the fuzz corpus with the fuzzers' own checks (`fuzz/checks.rs`): the committed
//! seeds in `fuzz/corpus/<target>/` and every input a fuzzer crashed on, kept in
//! `tests/data/fuzz/<target>/` once fixed. A plain `cargo test` thus guards each fix without
//! a nightly toolchain.

#[allow(dead_code)]
#[path = "../fuzz/checks.rs"]
mod checks;

use std::path::PathBuf;

/// A fuzz target's check of one input.
type Check = fn(&[u8]);

/// The targets and their checks.
const TARGETS: &[(&str, Check)] = &[
    ("usage_line", checks::usage_line),
    ("layout", checks::layout),
    ("entries", checks::entries),
    ("message", checks::message),
    ("infer", checks::infer),
];

fn inputs(folder: &str, target: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(folder)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    paths
}

#[test]
fn seeds_and_past_crashes_pass_the_fuzz_checks() {
    let mut replayed = 0;
    for (target, check) in TARGETS {
        let seeds = inputs("fuzz/corpus", target);
        assert!(seeds.len() >= 3, "{target}: the seed corpus is committed");
        for path in seeds.iter().chain(&inputs("tests/data/fuzz", target)) {
            let bytes = std::fs::read(path).unwrap();
            let outcome = std::panic::catch_unwind(|| check(&bytes));
            assert!(
                outcome.is_ok(),
                "{target}: {} fails its check",
                path.display()
            );
            replayed += 1;
        }
    }
    assert!(replayed >= 20);
}
