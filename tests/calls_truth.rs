//! `esmlog calls` against the generator's truth: per-user, per-endpoint and per-status
//! figures exact, for every layout the tests write, whatever the thread count.

use esmlog::generate::{generate, GenerateArgs, Truth};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

const LAYOUTS: &[&str] = &[
    esmlog::integration::layout::DEFAULT_LAYOUT,
    "%d|%m%n",
    "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n",
    "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %p %c{1} [%X{requestId}] %m%n",
    "%d{UNIX_MILLIS} %5p [%t] %c - %m%n",
    "%d{yyyy-MM-dd HH:mm:ss,SSS}{UTC} %-5p %c - %m%n",
];

fn calls(dir: &Path, layout: &str, by: &str, threads: &str) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args([
            "calls",
            "--format",
            "json",
            "--by",
            by,
            "--threads",
            threads,
            "--layout",
            layout,
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{layout}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    report["rows"].as_array().unwrap().clone()
}

fn check(dir: &Path, truth: &Truth, layout: &str, threads: &str) {
    let users = calls(dir, layout, "user", threads);
    assert_eq!(users.len(), truth.users.len(), "{layout}");
    for row in &users {
        let want = &truth.users[row["user"].as_str().unwrap()];
        assert_eq!(row["calls"], want.calls, "{layout} {row}");
        assert_eq!(row["successful"], want.successful, "{layout} {row}");
        assert_eq!(row["unsuccessful"], want.unsuccessful, "{layout} {row}");
    }
    let endpoints = calls(dir, layout, "endpoint", threads);
    assert_eq!(endpoints.len(), truth.endpoints.len(), "{layout}");
    for row in &endpoints {
        let want = &truth.endpoints[row["endpoint"].as_str().unwrap()];
        assert_eq!(row["calls"], want.calls, "{layout} {row}");
        assert_eq!(row["successful"], want.successful, "{layout} {row}");
    }
    let statuses = calls(dir, layout, "status", threads);
    assert_eq!(statuses.len(), truth.statuses.len(), "{layout}");
    for row in &statuses {
        let status: u16 = row["status"].as_str().unwrap().parse().unwrap();
        assert_eq!(row["calls"], truth.statuses[&status], "{layout} {row}");
    }
}

#[test]
fn per_user_endpoint_and_status_equal_the_truth_in_every_layout() {
    for (i, layout) in LAYOUTS.iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate(&GenerateArgs {
            seed: 100 + i as u64,
            weeks: 1,
            calls_per_hour: 150,
            start: "2023-10-24".parse().unwrap(),
            truth: Some(dir.path().join("truth.json.txt")),
            layout: layout.to_string(),
            ..GenerateArgs::new(dir.path().to_path_buf())
        })
        .unwrap();
        std::fs::remove_file(dir.path().join("truth.json.txt")).unwrap();
        for threads in ["1", "2"] {
            check(dir.path(), &truth, layout, threads);
        }
    }
}
