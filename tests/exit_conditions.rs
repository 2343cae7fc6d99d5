//! The exit conditions for cron (`--fail-on-…`: 0 ok, 1 findings, 2 error) on the sample
//! logs, flags that refuse values making no sense, quotas written as people write them, and
//! `calls --by day|hour|week` in time order.

use std::path::PathBuf;
use std::process::{Command, Output};

fn sample_logs() -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample-logs")
        .display()
        .to_string()
}

fn esmlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn nonsense_values_are_refused_naming_the_flag() {
    let logs = sample_logs();
    let cases: [(&[&str], &str); 7] = [
        (&["monthly", "--quota", "0"], "--quota"),
        (&["monthly", "--quota", "lots"], "--quota"),
        (&["calls", "--rate-limit", "0"], "--rate-limit"),
        (
            &["report", "--out", "/nonexistent/x", "--rate-limit", "0"],
            "--rate-limit",
        ),
        (&["rejections", "--spike-window", "0"], "--spike-window"),
        (&["calls", "--threads", "0"], "--threads"),
        (
            &["monthly", "--quota", "1000", "--fail-on-quota", "0"],
            "--fail-on-quota",
        ),
    ];
    for (args, flag) in cases {
        let mut args = args.to_vec();
        args.push(&logs);
        let output = esmlog(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let text = stderr(&output);
        assert!(text.contains(flag), "{args:?}: {text}");
        assert!(
            text.contains("at least 1") || text.contains("expected") || text.contains("cannot"),
            "{args:?}: {text}"
        );
    }
    // A quota needs its volume before a share of it can fail the run.
    let output = esmlog(&["monthly", "--fail-on-quota", "80", &logs]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn quotas_are_read_with_separators_and_suffixes() {
    let logs = sample_logs();
    let shares: Vec<String> = ["60000", "60,000", "60k"]
        .iter()
        .map(|quota| {
            let output = esmlog(&[
                "monthly", "--quota", quota, "--format", "json", "--quiet", &logs,
            ]);
            assert_eq!(
                output.status.code(),
                Some(0),
                "{quota}: {}",
                stderr(&output)
            );
            let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
            assert_eq!(report["quota"]["quota"], 60_000, "{quota}");
            report["quota"]["share"].to_string()
        })
        .collect();
    assert!(shares.iter().all(|s| *s == shares[0]), "{shares:?}");
}

#[test]
fn fail_on_quota_exits_1_at_or_over_the_share_only() {
    let logs = sample_logs();
    let share = |pct: &str| {
        esmlog(&[
            "monthly",
            "--quota",
            "60k",
            "--fail-on-quota",
            pct,
            "--format",
            "csv",
            &logs,
        ])
    };
    // The sample's last month uses some share of 60,000: a tiny threshold is over it, a
    // huge one is not.
    let over = share("1");
    assert_eq!(over.status.code(), Some(1), "{}", stderr(&over));
    assert!(
        stderr(&over).contains("--fail-on-quota 1%"),
        "{}",
        stderr(&over)
    );
    let under = share("100000");
    assert_eq!(under.status.code(), Some(0), "{}", stderr(&under));
}

#[test]
fn the_report_exits_1_on_its_spikes_and_quota_when_asked() {
    let logs = sample_logs();
    let out = tempfile::tempdir().unwrap();
    let out = out.path().to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "report",
            "--tz",
            "Europe/Helsinki",
            "--month",
            "2023-10",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        args.push(&logs);
        esmlog(&args)
    };
    let plain = run(&[]);
    assert_eq!(plain.status.code(), Some(0), "{}", stderr(&plain));
    let spike = run(&["--fail-on-spike"]);
    assert_eq!(spike.status.code(), Some(1), "{}", stderr(&spike));
    assert!(
        stderr(&spike).contains("--fail-on-spike: 3 rejection spike(s)"),
        "{}",
        stderr(&spike)
    );
    let quota = run(&["--quota", "60,000", "--fail-on-quota", "50%"]);
    assert_eq!(quota.status.code(), Some(1), "{}", stderr(&quota));
    let roomy = run(&["--quota", "10M", "--fail-on-quota", "50%"]);
    assert_eq!(roomy.status.code(), Some(0), "{}", stderr(&roomy));
}

#[test]
fn fail_on_problems_reads_every_command_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let logs = PathBuf::from(sample_logs());
    for name in ["integration.log", "Matrix42_rest_rest_api_usage.log"] {
        std::fs::copy(logs.join(name), dir.path().join(name)).unwrap();
    }
    let path = dir.path().to_str().unwrap();
    for command in ["rejections", "calls", "weekly"] {
        let clean = esmlog(&[command, "--fail-on-problems", path]);
        assert_eq!(
            clean.status.code(),
            Some(0),
            "{command}: {}",
            stderr(&clean)
        );
    }
    // An orphan line before the first entry of integration.log.
    let text = std::fs::read_to_string(dir.path().join("integration.log")).unwrap();
    std::fs::write(
        dir.path().join("integration.log"),
        format!("an orphan line before any entry\n{text}"),
    )
    .unwrap();
    for command in ["rejections", "calls", "weekly"] {
        let output = esmlog(&[command, "--fail-on-problems", path]);
        assert_eq!(
            output.status.code(),
            Some(1),
            "{command}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains("--fail-on-problems: 1 problem(s)"),
            "{command}: {}",
            stderr(&output)
        );
        let without = esmlog(&[command, path]);
        assert_eq!(without.status.code(), Some(0), "{command}");
    }
}

#[test]
fn calls_by_time_are_in_time_order() {
    let logs = sample_logs();
    for by in ["day", "hour", "week", "user,day"] {
        let output = esmlog(&["calls", "--by", by, "--format", "csv", "--quiet", &logs]);
        assert_eq!(output.status.code(), Some(0), "{by}: {}", stderr(&output));
        let text = String::from_utf8(output.stdout).unwrap();
        let keys: Vec<String> = text
            .lines()
            .skip(1)
            .map(|l| {
                let fields: Vec<&str> = l.split(',').collect();
                fields[..by.split(',').count()].join(",")
            })
            .collect();
        assert!(keys.len() >= 3, "{by}: {text}");
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{by}");
        let calls: Vec<u64> = text
            .lines()
            .skip(1)
            .map(|l| {
                l.split(',')
                    .nth(by.split(',').count())
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        // Not by volume: the sample's busiest day, hour or week is not its first.
        let mut by_volume = calls.clone();
        by_volume.sort_by(|a, b| b.cmp(a));
        assert_ne!(calls, by_volume, "{by}");
    }
}
