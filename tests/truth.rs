//! The generator's truth against esmlog's figures: complete weeks exact, every other week and
//! every month inside its bounds, with and without --tz, across the autumn repeated hour.

use esmlog::generate::{generate, GenerateArgs, Truth};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn args(out: &Path, seed: u64, weeks: u32, calls_per_hour: u32, start: &str) -> GenerateArgs {
    GenerateArgs {
        out: out.to_path_buf(),
        seed,
        weeks,
        calls_per_hour,
        size: None,
        tz: "Europe/Helsinki".into(),
        start: start.parse().unwrap(),
        truth: None,
        rate_limit: 30,
        layout: esmlog::integration::layout::DEFAULT_LAYOUT.into(),
    }
}

fn esmlog_json(command: &str, dir: &Path, extra: &[&str]) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .arg(command)
        .args(["--format", "json"])
        .args(extra)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{command} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} in {v}"))
}

fn check_against_truth(dir: &Path, truth: &Truth, extra: &[&str]) {
    let weekly = esmlog_json("weekly", dir, extra);
    let weeks = weekly["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), truth.weeks.len(), "{weekly}");
    for (got, want) in weeks.iter().zip(&truth.weeks) {
        assert_eq!(got["week"], want.week);
        let (low, high) = (u(got, "consumed"), u(got, "consumed_max"));
        if want.complete {
            assert!(
                got["exact"].as_bool().unwrap(),
                "{} should be exact: {got}",
                want.week
            );
            assert_eq!(low, want.consumed, "{}", want.week);
            assert_eq!(u(got, "rejected"), want.rejected, "{}", want.week);
        } else {
            assert!(
                !got["exact"].as_bool().unwrap(),
                "{} cannot be exact",
                want.week
            );
            assert!(
                low <= want.consumed && want.consumed <= high,
                "{}: {} not in {low}..={high}",
                want.week,
                want.consumed
            );
            assert!(u(got, "rejected") <= want.rejected, "{}", want.week);
        }
    }
    let monthly = esmlog_json("monthly", dir, extra);
    let months = monthly["months"].as_array().unwrap();
    assert_eq!(months.len(), truth.months.len(), "{monthly}");
    for (got, want) in months.iter().zip(&truth.months) {
        assert_eq!(got["month"], want.month);
        let (low, high) = (u(got, "consumed_min"), u(got, "consumed_max"));
        assert!(
            low <= want.consumed && want.consumed <= high,
            "{}: {} not in {low}..={high}",
            want.month,
            want.consumed
        );
        let estimate = u(got, "consumed");
        assert!(low <= estimate && estimate <= high);
    }
    let total = &monthly["total"];
    let truth_total: u64 = truth.months.iter().map(|m| m.consumed).sum();
    assert!(u(total, "consumed_min") <= truth_total && truth_total <= u(total, "consumed_max"));
}

#[test]
fn generated_logs_meet_their_truth_with_and_without_tz() {
    for seed in [1, 2] {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate(&args(dir.path(), seed, 3, 90, "2023-10-10")).unwrap();
        assert!(truth.weeks.iter().filter(|w| w.complete).count() >= 2);
        assert_eq!(
            truth
                .periods
                .iter()
                .filter(|p| p.status == "interrupted")
                .count(),
            1
        );
        std::fs::remove_file(dir.path().join("truth.json")).unwrap();
        check_against_truth(dir.path(), &truth, &[]);
        check_against_truth(dir.path(), &truth, &["--tz", "Europe/Helsinki"]);
    }
}

#[test]
fn repeated_autumn_hour_keeps_periods_exact() {
    // Busy enough that usage lines are written during both passes of 03:00–04:00 on
    // 2023-10-29 in Helsinki, when the wall clock repeats.
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(&args(dir.path(), 5, 1, 5000, "2023-10-24")).unwrap();
    std::fs::remove_file(dir.path().join("truth.json")).unwrap();
    let usage = std::fs::read_to_string(dir.path().join("Matrix42_rest_rest_api_usage.log"))
        .unwrap()
        + &std::fs::read_to_string(dir.path().join("Matrix42_rest_rest_api_usage.log.1")).unwrap();
    let in_repeated_hour = usage
        .lines()
        .filter(|l| l.starts_with("2023-10-29 03:"))
        .count();
    assert!(
        in_repeated_hour >= 2,
        "only {in_repeated_hour} usage lines in the repeated hour"
    );
    check_against_truth(dir.path(), &truth, &[]);
    check_against_truth(dir.path(), &truth, &["--tz", "Europe/Helsinki"]);
}

#[test]
fn sample_logs_are_the_generator_output_and_meet_their_truth() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let mut sample = args(dir.path(), 7, 3, 80, "2023-10-10");
    sample.truth = Some(dir.path().join("truth.json"));
    let truth = generate(&sample).unwrap();
    let recorded: Value =
        serde_json::from_slice(&std::fs::read(root.join("tests/data/sample-truth.json")).unwrap())
            .unwrap();
    assert_eq!(
        serde_json::to_value(&truth).unwrap(),
        recorded,
        "regenerate sample-logs (README)"
    );
    for file in &truth.files {
        if !file.ends_with(".gz") {
            assert_eq!(
                std::fs::read(dir.path().join(file)).unwrap(),
                std::fs::read(root.join("sample-logs").join(file)).unwrap(),
                "sample-logs/{file} differs from the generator's output"
            );
        }
    }
    std::fs::remove_file(dir.path().join("truth.json")).unwrap();
    check_against_truth(dir.path(), &truth, &["--tz", "Europe/Helsinki"]);
}
