//! Overlapping integration.log copies (`integration.log` and a rotated copy that share
//! lines, as copy-and-truncate rotation leaves them) count each entry once, while identical
//! entries inside one file all count; `check` says how many each input gave up.

use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

fn esmlog_json(args: &[&str], path: &Path) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .args(["--format", "json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.code().is_some_and(|c| c < 2),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .join(name)
}

fn gunzip(path: &Path) -> String {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// The lines of `text` from the `n`th entry (a line with a stamp) from its end.
fn last_entries(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].starts_with("2023-"))
        .collect();
    let from = starts[starts.len() - n];
    lines[from..].iter().map(|l| format!("{l}\n")).collect()
}

fn total_calls(dir: &Path) -> u64 {
    let calls = esmlog_json(&["calls", "--quiet", "--by", "user"], dir);
    calls["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["calls"].as_u64().unwrap())
        .sum()
}

#[test]
fn overlapping_copies_count_each_entry_once() {
    let truth: Value = serde_json::from_slice(
        &std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sample-truth.json"))
            .unwrap(),
    )
    .unwrap();
    let calls = truth["calls"]["calls"].as_u64().unwrap();

    let dir = tempfile::tempdir().unwrap();
    for name in [
        "integration.log.2023-10-09.gz",
        "integration.log.2023-10-16.gz",
        "integration.log.2023-10-23.gz",
        "integration.log",
    ] {
        std::fs::copy(sample(name), dir.path().join(name)).unwrap();
    }
    assert_eq!(total_calls(dir.path()), calls, "the sample without copies");

    // A copy that repeats the last 700 entries of one week's file and the whole current
    // file, as a copy taken during rotation would.
    let previous = gunzip(&sample("integration.log.2023-10-23.gz"));
    let current = std::fs::read_to_string(sample("integration.log")).unwrap();
    let copy = last_entries(&previous, 700) + &current;
    std::fs::write(dir.path().join("integration (copy).log"), &copy).unwrap();
    assert_eq!(total_calls(dir.path()), calls, "copies counted twice");

    let check = esmlog_json(&["check"], dir.path());
    let duplicates: u64 = check["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["duplicates"].as_u64().unwrap())
        .sum();
    let copied_entries = copy.lines().filter(|l| l.starts_with("2023-")).count() as u64;
    assert_eq!(duplicates, copied_entries, "{check}");
}

#[test]
fn identical_entries_inside_one_file_all_count() {
    // Two calls in the same millisecond, written alike, in one file; a second file that
    // overlaps it holds one of them.
    let entry = "2023-10-24 10:00:00,000 INFO  [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=A method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=5ms\n";
    let before = "2023-10-24 09:00:00,000 INFO  [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=A method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=5ms\n";
    let after = "2023-10-24 11:00:00,000 INFO  [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=B method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=5ms\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("integration.log.1"),
        format!("{before}{entry}{entry}"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("integration.log"),
        format!("{entry}{after}"),
    )
    .unwrap();
    // before, the two alike, after: four calls.
    assert_eq!(total_calls(dir.path()), 4);
}
