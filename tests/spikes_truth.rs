//! `esmlog rejections` against the generator's injected spikes: each one found, with its
//! span and its user, and few false ones; `--fail-on-spike` exits 1.

use esmlog::generate::{generate, GenerateArgs};
use serde_json::Value;
use std::process::Command;

fn minutes_apart(a: &str, b: &str) -> i64 {
    let parse = |s: &str| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z").unwrap();
    (parse(a) - parse(b)).num_minutes().abs()
}

#[test]
fn every_injected_spike_is_found_with_its_cause() {
    for seed in [3, 4] {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate(&GenerateArgs {
            out: dir.path().to_path_buf(),
            seed,
            weeks: 3,
            calls_per_hour: 120,
            size: None,
            tz: "Europe/Helsinki".into(),
            start: "2023-10-10".parse().unwrap(),
            truth: Some(dir.path().join("truth.txt")),
            rate_limit: 30,
            restarts: 0,
            layout: esmlog::integration::layout::DEFAULT_LAYOUT.into(),
        })
        .unwrap();
        std::fs::remove_file(dir.path().join("truth.txt")).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .args([
                "rejections",
                "--format",
                "json",
                "--fail-on-spike",
                "--tz",
                "Europe/Helsinki",
            ])
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let report: Value = serde_json::from_slice(&output.stdout).unwrap();
        let found = report["spikes"].as_array().unwrap();
        for injected in &truth.spikes {
            let start = injected
                .start
                .replace("+0300", "+03:00")
                .replace("+0200", "+02:00");
            let hit = found
                .iter()
                .find(|s| minutes_apart(s["start"].as_str().unwrap(), &start) <= 2);
            let hit =
                hit.unwrap_or_else(|| panic!("seed {seed}: {injected:?} not found in {found:?}"));
            let end = injected
                .end
                .replace("+0300", "+03:00")
                .replace("+0200", "+02:00");
            assert!(
                minutes_apart(hit["end"].as_str().unwrap(), &end) <= 2,
                "{hit} vs {injected:?}"
            );
            assert_eq!(hit["top_users"][0]["name"], injected.user, "{hit}");
            assert!(hit["rejected"].as_u64().unwrap() >= injected.rejected);
            assert_eq!(hit["top_statuses"][0]["name"], "429");
        }
        assert!(
            found.len() <= truth.spikes.len() + 1,
            "seed {seed}: {} spikes found for {} injected: {found:?}",
            found.len(),
            truth.spikes.len()
        );
    }
}
