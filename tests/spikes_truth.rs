//! `esmlog rejections` against the generator's injected spikes: each one found, with its
//! span and its user, and few false ones; `--fail-on-spike` exits 1. Long bursts are found
//! whole, bursts in the first minutes with a short baseline, and a steady rejection rate,
//! whatever the volume, gives none.

use esmlog::generate::{generate, generate_scenario, Burst, GenerateArgs, Scenario, TruthSpike};
use serde_json::Value;
use std::process::Command;

/// Logs from 2023-10-10 11:51 in Helsinki into `out`, with a rate limit of 30 a minute.
fn args(
    out: &std::path::Path,
    seed: u64,
    weeks: u32,
    calls_per_hour: u32,
    truth: std::path::PathBuf,
) -> GenerateArgs {
    GenerateArgs {
        seed,
        weeks,
        calls_per_hour,
        start: "2023-10-10".parse().unwrap(),
        truth: Some(truth),
        ..GenerateArgs::new(out.to_path_buf())
    }
}

fn minutes_apart(a: &str, b: &str) -> i64 {
    let parse = |s: &str| chrono::DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%z").unwrap();
    (parse(a) - parse(b)).num_minutes().abs()
}

#[test]
fn every_injected_spike_is_found_with_its_cause() {
    for seed in [3, 4] {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate(&args(
            dir.path(),
            seed,
            3,
            120,
            dir.path().join("truth.txt"),
        ))
        .unwrap();
        std::fs::remove_file(dir.path().join("truth.txt")).unwrap();
        let (code, report) = rejections(dir.path());
        assert_eq!(code, Some(1), "seed {seed}");
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

/// Generated logs of `scenario` from 2023-10-10 11:51 in Helsinki, in a folder of their own
/// (the truth kept outside it, so that esmlog reads only logs).
fn scenario_logs(
    weeks: u32,
    calls_per_hour: u32,
    scenario: &Scenario,
) -> (tempfile::TempDir, esmlog::generate::Truth) {
    let dir = tempfile::tempdir().unwrap();
    let truth_dir = tempfile::tempdir().unwrap();
    let truth = generate_scenario(
        &args(
            dir.path(),
            21,
            weeks,
            calls_per_hour,
            truth_dir.path().join("truth.json"),
        ),
        scenario,
    )
    .unwrap();
    (dir, truth)
}

/// `esmlog rejections --fail-on-spike --format json` on `dir`: the exit code and the report.
fn rejections(dir: &std::path::Path) -> (Option<i32>, Value) {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args([
            "rejections",
            "--format",
            "json",
            "--fail-on-spike",
            "--quiet",
            "--tz",
            "Europe/Helsinki",
        ])
        .arg(dir)
        .output()
        .unwrap();
    assert_ne!(
        output.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    (
        output.status.code(),
        serde_json::from_slice(&output.stdout).unwrap(),
    )
}

fn instant(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
    chrono::DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z").unwrap()
}

/// Minutes of the injected spike that the found spikes cover, and the found spikes that
/// overlap it.
fn coverage<'a>(injected: &TruthSpike, found: &'a [Value]) -> (i64, Vec<&'a Value>) {
    let (start, end) = (instant(&injected.start), instant(&injected.end));
    let mut covered = 0;
    let mut overlapping = Vec::new();
    for spike in found {
        let s = instant(spike["start"].as_str().unwrap()).max(start);
        let e = instant(spike["end"].as_str().unwrap()).min(end);
        if e > s {
            covered += (e - s).num_minutes();
            overlapping.push(spike);
        }
    }
    (covered, overlapping)
}

fn burst(start_minute: i64, minutes: i64, user: &str, per_minute: u64) -> Burst {
    Burst {
        start_minute,
        minutes,
        user: user.into(),
        per_minute,
        error_share: 0.0,
    }
}

#[test]
fn long_bursts_are_found_whole() {
    // 20 to 90 minutes, by day and by night, of users going 15 to 60 calls a minute over
    // the limit of 30.
    let bursts = vec![
        burst(300, 20, "HR_IMPORT", 70),
        burst(1000, 45, "CRM_SYNC", 90),
        burst(2000, 90, "ASSET_BRIDGE", 60),
        burst(3500, 60, "HR_IMPORT", 45),
        burst(5000, 30, "CRM_SYNC", 80),
        burst(6400, 75, "TEST_RESTAPI", 55),
    ];
    let (dir, truth) = scenario_logs(
        1,
        120,
        &Scenario {
            bursts: Some(bursts.clone()),
            ..Scenario::default()
        },
    );
    let (code, report) = rejections(dir.path());
    assert_eq!(code, Some(1));
    let found = report["spikes"].as_array().unwrap();
    assert_eq!(truth.spikes.len(), bursts.len());
    for (injected, burst) in truth.spikes.iter().zip(&bursts) {
        let (covered, overlapping) = coverage(injected, found);
        let share = covered as f64 / burst.minutes as f64;
        let rejected: u64 = overlapping
            .iter()
            .map(|s| s["rejected"].as_u64().unwrap())
            .sum();
        eprintln!(
            "burst of {} minutes at {}: {:.0}% of its minutes, {} of its {} 429s in spikes",
            burst.minutes,
            injected.start,
            share * 100.0,
            rejected,
            injected.rejected
        );
        assert!(share >= 0.8, "{injected:?}: {share:.2} in {overlapping:?}");
        assert!(
            rejected as f64 >= 0.8 * injected.rejected as f64,
            "{injected:?}: {rejected}"
        );
        let first = overlapping[0];
        assert_eq!(first["top_users"][0]["name"], injected.user, "{first}");
        assert_eq!(first["reading"], "batch_job", "{first}");
        let load = &first["top_user"];
        assert_eq!(load["user"], injected.user, "{first}");
        assert_eq!(load["rate_limit"], 30);
        assert!(
            load["peak_calls_per_minute"].as_u64().unwrap() >= burst.per_minute.max(31),
            "{first}"
        );
        assert!(
            load["calls_per_minute"].as_f64().unwrap()
                > load["baseline_calls_per_minute"].as_f64().unwrap() + 30.0,
            "{first}"
        );
        assert_eq!(first["baseline_short"], false);
    }
    assert!(
        found.len() <= bursts.len() + 1,
        "{} spikes for {} bursts: {found:?}",
        found.len(),
        bursts.len()
    );
}

#[test]
fn bursts_in_the_first_minutes_are_found_with_a_short_baseline() {
    for start in [0, 5] {
        // About 1,100 calls answered 429 in 15 minutes.
        let (dir, truth) = scenario_logs(
            0,
            120,
            &Scenario {
                bursts: Some(vec![burst(start, 15, "HR_IMPORT", 100)]),
                ..Scenario::default()
            },
        );
        assert!(truth.spikes[0].rejected > 900, "{:?}", truth.spikes);
        let (code, report) = rejections(dir.path());
        assert_eq!(code, Some(1), "burst at minute {start}: {report}");
        let found = report["spikes"].as_array().unwrap();
        let (covered, overlapping) = coverage(&truth.spikes[0], found);
        assert!(
            covered >= 12,
            "minute {start}: {covered} of 15 in {found:?}"
        );
        let first = overlapping[0];
        assert_eq!(first["baseline_short"], true, "{first}");
        assert_eq!(first["top_users"][0]["name"], "HR_IMPORT");
        assert_eq!(first["reading"], "batch_job", "{first}");
        assert!(first["top_user"]["peak_calls_per_minute"].as_u64().unwrap() > 100);
        let table = Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .args(["rejections", "--quiet", "--tz", "Europe/Helsinki"])
            .arg(dir.path())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&table.stdout);
        assert!(text.contains("short baseline"), "{text}");
    }
}

#[test]
fn a_steady_rejection_rate_is_no_spike_with_or_without_a_daily_swing() {
    for flat_load in [true, false] {
        // 40% of the calls answered 503, at 10 to 90 calls a minute: many minutes have more
        // rejected calls than a spike needs, none more than the rate predicts.
        // The volume stays under the rate limit for every user, so that all the rejected
        // calls are the steady 503s.
        let (dir, truth) = scenario_logs(
            0,
            if flat_load { 2400 } else { 1200 },
            &Scenario {
                bursts: Some(Vec::new()),
                error_share: 0.4,
                flat_load,
            },
        );
        let share = truth.calls.unsuccessful as f64 / truth.calls.calls as f64;
        assert!((0.35..0.45).contains(&share), "{share}");
        let (code, report) = rejections(dir.path());
        assert_eq!(
            report["spikes"].as_array().unwrap().len(),
            0,
            "flat load {flat_load}: {}",
            report["spikes"]
        );
        assert_eq!(code, Some(0));
        let busiest = report["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["rejected"].as_u64().unwrap())
            .max()
            .unwrap();
        // Ten rejected a minute (600 an hour) is what a spike needs: the hours hold more.
        assert!(busiest > 600, "{busiest}");
    }
}

#[test]
fn errors_at_the_same_volume_read_as_a_server_problem() {
    // 40 calls a minute, 60% of them failing for half an hour: 24 rejected a minute.
    let (dir, truth) = scenario_logs(
        0,
        2400,
        &Scenario {
            bursts: Some(vec![Burst {
                start_minute: 400,
                minutes: 30,
                user: "CRM_SYNC".into(),
                per_minute: 0,
                error_share: 0.6,
            }]),
            flat_load: true,
            ..Scenario::default()
        },
    );
    let (code, report) = rejections(dir.path());
    assert_eq!(code, Some(1));
    let found = report["spikes"].as_array().unwrap();
    let (covered, overlapping) = coverage(&truth.spikes[0], found);
    assert!(covered >= 24, "{covered} of 30 in {found:?}");
    assert_eq!(overlapping[0]["reading"], "server_problem", "{found:?}");
    assert_eq!(overlapping[0]["top_statuses"][0]["name"], "503");
}

/// integration.log's lines written before `cutoff` (wall clock), as a job run at `cutoff`
/// would find them: every integration.log file, oldest first, read up to the first entry
/// stamped at or after it.
fn integration_log_until(dir: &std::path::Path, cutoff: chrono::NaiveDateTime) -> String {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("integration.log")
        })
        .collect();
    // Dated, gzipped weeks first, then the current integration.log.
    files.sort_by_key(|p| (!p.to_string_lossy().ends_with(".gz"), p.clone()));
    let mut text = String::new();
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        let body = if file.to_string_lossy().ends_with(".gz") {
            let mut out = String::new();
            std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(&bytes[..]), &mut out)
                .unwrap();
            out
        } else {
            String::from_utf8(bytes).unwrap()
        };
        for line in body.split_inclusive('\n') {
            let stamp = line
                .get(..19)
                .and_then(|s| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok());
            if stamp.is_some_and(|t| t >= cutoff) {
                return text;
            }
            text.push_str(line);
        }
    }
    text
}

/// A job run every 15 minutes with `--last 15m --fail-on-spike` on the log as it stands then
/// raises a 40-minute burst once: in the run whose window holds its first minute, not in the
/// runs after it, while the burst goes on, nor in those before.
#[test]
fn a_job_every_15_minutes_raises_a_spike_once() {
    // Ten calls a minute, so that every minute has a line and each window ends on the
    // quarter-hour the job runs at.
    let (dir, truth) = scenario_logs(
        0,
        600,
        &Scenario {
            bursts: Some(vec![burst(24 * 60 + 14, 40, "HR_IMPORT", 80)]),
            ..Scenario::default()
        },
    );
    let injected = &truth.spikes[0];
    let start = instant(&injected.start).naive_local();
    let end = instant(&injected.end).naive_local();
    let first_run = chrono::NaiveDateTime::new(
        start.date(),
        chrono::NaiveTime::from_hms_opt(chrono::Timelike::hour(&start), 0, 0).unwrap(),
    ) - chrono::Duration::minutes(30);
    let mut raised = Vec::new();
    let mut cutoff = first_run;
    while cutoff <= end + chrono::Duration::minutes(45) {
        let job = tempfile::tempdir().unwrap();
        std::fs::write(
            job.path().join("integration.log"),
            integration_log_until(dir.path(), cutoff),
        )
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .args([
                "rejections",
                "--last",
                "15m",
                "--fail-on-spike",
                "--format",
                "json",
                "--quiet",
                "--tz",
                "Europe/Helsinki",
            ])
            .arg(job.path())
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&output.stderr)));
        let spikes = report["spikes"].as_array().unwrap();
        assert_eq!(
            output.status.code(),
            Some(if spikes.is_empty() { 0 } else { 1 }),
            "run at {cutoff}: {report}"
        );
        for spike in spikes {
            let at = instant(spike["start"].as_str().unwrap()).naive_local();
            // The spike belongs to this run's window: the 15 minutes before the run.
            assert!(
                at >= cutoff - chrono::Duration::minutes(15) && at < cutoff,
                "run at {cutoff} raised a spike starting {at}"
            );
            raised.push((cutoff, at));
        }
        cutoff += chrono::Duration::minutes(15);
    }
    assert_eq!(raised.len(), 1, "raised {raised:?} for {injected:?}");
    assert!(
        (raised[0].1 - start).num_minutes().abs() <= 2,
        "raised {raised:?} for {injected:?}"
    );
    // The run that raised it saw the burst's first minutes only: it runs before the end.
    assert!(raised[0].0 < end, "{raised:?} for {injected:?}");
}
