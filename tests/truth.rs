//! The generator's truth against esmlog's figures: complete weeks exact, every other week and
//! every month inside its bounds, with and without --tz, across the autumn repeated hour.

use chrono::NaiveDateTime;
use esmlog::calendar::Grain;
use esmlog::generate::{generate, GenerateArgs, Truth};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn args(out: &Path, seed: u64, weeks: u32, calls_per_hour: u32, start: &str) -> GenerateArgs {
    GenerateArgs {
        seed,
        weeks,
        calls_per_hour,
        start: start.parse().unwrap(),
        ..GenerateArgs::new(out.to_path_buf())
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

fn flag(v: &Value, key: &str) -> bool {
    v[key].as_bool().unwrap_or_else(|| panic!("{key} in {v}"))
}

/// The bounds esmlog gives must hold the truth: the minimum always; the maximum (where it
/// is known) over a bucket the log covers in full; an exact figure of a whole bucket equals
/// it. `label` names the bucket in failures.
fn check_bounds(label: &str, got: &Value, truth: u64) {
    let min = u(got, "consumed_min");
    assert!(
        min <= truth,
        "{label}: minimum {min} above the truth {truth}: {got}"
    );
    if flag(got, "partial") {
        return;
    }
    if let Some(max) = got["consumed_max"].as_u64() {
        assert!(
            truth <= max,
            "{label}: maximum {max} below the truth {truth}: {got}"
        );
        let estimate = u(got, "consumed_estimate");
        assert!(min <= estimate && estimate <= max, "{label}: {got}");
    }
    if flag(got, "exact") {
        assert_eq!(min, truth, "{label} is marked exact: {got}");
    }
}

/// Every figure of `weekly` and `monthly` against the generator's truth.
fn check_against_truth(dir: &Path, truth: &Truth, extra: &[&str]) {
    let weekly = esmlog_json("weekly", dir, extra);
    let weeks = weekly["weeks"].as_array().unwrap();
    // The usage log's last word: a quiet server's last period may not have written a line
    // by the end, and weeks after it have no row.
    let covered_to: NaiveDateTime = weekly["total"]["coverage"]["to"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let last_week = Grain::Week.floor(covered_to).date();
    for want in &truth.weeks {
        let Some(got) = weeks.iter().find(|w| w["week"] == want.week.as_str()) else {
            assert!(
                want.start >= last_week,
                "no row for {} before the log's end: {weekly}",
                want.week
            );
            continue;
        };
        check_bounds(&want.week, got, want.consumed);
        assert!(u(got, "rejected") <= want.rejected, "{}", want.week);
        if want.complete {
            // Every call of the week lies in periods closed by a reset.
            assert!(flag(got, "exact"), "{} should be exact: {got}", want.week);
            assert_eq!(u(got, "consumed"), want.consumed, "{}", want.week);
            assert_eq!(u(got, "rejected"), want.rejected, "{}", want.week);
        }
    }
    let monthly = esmlog_json("monthly", dir, extra);
    let months = monthly["months"].as_array().unwrap();
    for want in &truth.months {
        if let Some(got) = months.iter().find(|m| m["month"] == want.month.as_str()) {
            check_bounds(&want.month, got, want.consumed);
        }
    }
    assert!(!months.is_empty(), "{monthly}");
    let truth_total: u64 = truth.months.iter().map(|m| m.consumed).sum();
    assert!(u(&monthly["total"], "consumed_min") <= truth_total);
    assert!(u(&weekly["total"], "consumed_min") <= truth_total);
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

#[test]
fn quiet_servers_restarting_before_their_first_thousand_calls_are_never_exact_by_mistake() {
    // 20 calls an hour: a period needs two days to write its first line, so restarts lose
    // whole periods that leave no line at all.
    let mut vanished = 0;
    for seed in [11, 12, 13] {
        let dir = tempfile::tempdir().unwrap();
        let mut quiet = args(dir.path(), seed, 3, 20, "2023-10-10");
        quiet.restarts = 6;
        let truth = generate(&quiet).unwrap();
        std::fs::remove_file(dir.path().join("truth.json")).unwrap();
        check_against_truth(dir.path(), &truth, &["--tz", "Europe/Helsinki"]);
        let weekly = esmlog_json("weekly", dir.path(), &["--tz", "Europe/Helsinki"]);
        vanished += weekly["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|g| g["kind"] == "vanished_period" || g["kind"] == "restart")
            .count();
        // A week that a lost period touches has no upper bound from the usage log.
        for week in weekly["weeks"].as_array().unwrap() {
            if week["consumed_max"].is_null() {
                assert!(!flag(week, "exact"), "{week}");
            }
        }
    }
    assert!(
        vanished >= 6,
        "only {vanished} gaps in three quiet histories"
    );
}
