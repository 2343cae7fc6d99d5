//! `esmlog export`: the partitions and rows it writes, redaction, the Parquet metadata, the
//! same output (Parquet bytes too) for any thread count and row-group size, and the part
//! files of an earlier export replaced.

use esmlog::generate::{generate, GenerateArgs};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlc2lnbmF0dXJl";

fn integration_log() -> String {
    [
        "2023-03-31 23:59:59,900 INFO  [exec-1] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.0.0.1 method=GET path=/rest-api/itsm/v1/dc/incident/data/42 status=200 duration=143ms",
        "2023-04-01 00:00:00,100 WARN  [exec-2] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.0.0.1 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms cards=3",
        "java.lang.IllegalStateException: still the same entry",
        "2023-04-01 00:00:01,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started",
        &format!("2023-04-02 10:00:00,000 INFO  [exec-3] com.efecte.rest.RestApiLogger - user={JWT} method=POST path=/rest-api/itsm/v1/users/login status=200 duration=1.5s"),
    ]
    .join("\n")
        + "\n"
}

fn esmlog(args: &[&str]) -> std::process::Output {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "esmlog {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Every file under `dir` (relative path → contents).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

/// `esmlog export --quiet LOGS --out OUT EXTRA…`, and every file it wrote.
fn export_tree(logs: &Path, out: &Path, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut args = vec![
        "export",
        "--quiet",
        logs.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    esmlog(&args);
    tree(out)
}

fn lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn calls_land_in_their_month_with_every_field_and_secrets_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("integration.log");
    std::fs::write(&log, integration_log()).unwrap();
    let out = dir.path().join("ds");
    esmlog(&[
        "export",
        "--quiet",
        "--format",
        "jsonl",
        "--environment",
        "prod",
        "--tz",
        "Europe/Helsinki",
        log.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let files = tree(&out);
    let names: Vec<&String> = files.keys().collect();
    assert_eq!(
        names,
        [
            "calls/environment=prod/month=2023-03/part-00000.jsonl",
            "calls/environment=prod/month=2023-04/part-00000.jsonl",
        ]
    );
    let march = lines(&files["calls/environment=prod/month=2023-03/part-00000.jsonl"]);
    assert_eq!(march.len(), 1);
    let call = &march[0];
    assert_eq!(call["time"], "2023-03-31T23:59:59.900+03:00");
    assert_eq!(call["local_time"], "2023-03-31T23:59:59.900");
    assert_eq!(call["utc_offset_s"], 10800);
    assert_eq!(call["date"], "2023-03-31");
    assert_eq!(call["week"], "2023-W13");
    assert_eq!(call["user_name"], "CRM_SYNC");
    assert_eq!(call["ip"], "10.0.0.1");
    assert_eq!(call["method"], "GET");
    assert_eq!(call["endpoint"], "GET /dc/incident/data/{id}");
    assert_eq!(call["template"], "incident");
    assert_eq!(call["status"], 200);
    assert_eq!(call["success"], true);
    assert_eq!(call["duration_ms"], 143.0);
    assert_eq!(call["cards"], serde_json::Value::Null);
    assert_eq!(call["login"], false);
    assert_eq!(call["level"], "INFO");

    let april = lines(&files["calls/environment=prod/month=2023-04/part-00000.jsonl"]);
    assert_eq!(april.len(), 2, "the informational entry is no call");
    assert_eq!(april[0]["status"], 429);
    assert_eq!(april[0]["success"], false);
    assert_eq!(april[0]["cards"], 3);
    assert_eq!(april[1]["login"], true);
    assert_eq!(april[1]["user_name"], "[REDACTED]");
    assert_eq!(april[1]["duration_ms"], 1500.0);
    assert!(!String::from_utf8_lossy(
        &files["calls/environment=prod/month=2023-04/part-00000.jsonl"]
    )
    .contains("eyJ"));

    // --no-redact keeps the token, and a second export replaces the first one's parts.
    esmlog(&[
        "export",
        "--quiet",
        "--format",
        "jsonl",
        "--no-redact",
        "--environment",
        "prod",
        log.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let again = tree(&out);
    assert_eq!(again.len(), 2);
    let april = lines(&again["calls/environment=prod/month=2023-04/part-00000.jsonl"]);
    assert_eq!(april[1]["user_name"], JWT);
    assert_eq!(
        april[1]["time"], "2023-04-02T10:00:00.000",
        "no --tz, no offset"
    );
}

fn generated(dir: &Path) -> std::path::PathBuf {
    let logs = dir.join("logs");
    generate(&GenerateArgs {
        seed: 5,
        weeks: 2,
        calls_per_hour: 200,
        start: "2023-10-23".parse().unwrap(),
        truth: Some(dir.join("truth.json")),
        ..GenerateArgs::new(logs.clone())
    })
    .unwrap();
    logs
}

#[test]
fn the_same_output_for_any_threads_and_row_group_size() {
    let dir = tempfile::tempdir().unwrap();
    let logs = generated(dir.path());
    let export = |name: &str, extra: &[&str]| {
        let extra = [&["--format", "csv"], extra].concat();
        export_tree(&logs, &dir.path().join(name), &extra)
    };
    let one = export("one", &["--threads", "1", "--rows-per-group", "7"]);
    let two = export("two", &["--threads", "2"]);
    assert_eq!(
        one.keys().collect::<Vec<_>>(),
        two.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &one {
        assert!(two[name] == *bytes, "{name} differs between runs");
    }
    // Every table is there, and the calls add up to what `esmlog calls` counts.
    for table in ["calls", "usage_periods", "usage_intervals", "usage_buckets"] {
        assert!(
            one.keys()
                .any(|k| k.starts_with(&format!("{table}/environment=default/"))),
            "{table} missing: {:?}",
            one.keys().collect::<Vec<_>>()
        );
    }
    let rows: usize = one
        .iter()
        .filter(|(k, _)| k.starts_with("calls/"))
        .map(|(_, v)| String::from_utf8_lossy(v).lines().count() - 1)
        .sum();
    let calls: serde_json::Value = serde_json::from_slice(
        &esmlog(&[
            "calls",
            "--quiet",
            "--format",
            "json",
            logs.to_str().unwrap(),
        ])
        .stdout,
    )
    .unwrap();
    assert_eq!(rows as u64, calls["total"]["calls"].as_u64().unwrap());
}

/// Row groups are encoded on whichever thread fills them and may finish out of order; the
/// files must still be the same bytes, with one thread or two and with many small row groups
/// per file.
#[test]
fn parquet_is_the_same_bytes_for_any_threads() {
    let dir = tempfile::tempdir().unwrap();
    let logs = generated(dir.path());
    let export = |name: &str, threads: &str| {
        let extra = ["--threads", threads, "--rows-per-group", "300"];
        export_tree(&logs, &dir.path().join(name), &extra)
    };
    let one = export("one", "1");
    assert!(
        one.keys().filter(|k| k.starts_with("calls/")).count() >= 2,
        "calls of more than one month: {:?}",
        one.keys().collect::<Vec<_>>()
    );
    for run in ["two", "again"] {
        let two = export(run, "2");
        assert_eq!(
            one.keys().collect::<Vec<_>>(),
            two.keys().collect::<Vec<_>>()
        );
        for (name, bytes) in &one {
            assert!(two[name] == *bytes, "{name} differs between runs");
        }
    }
}

#[test]
fn parquet_files_carry_the_schema_version() {
    let dir = tempfile::tempdir().unwrap();
    let logs = generated(dir.path());
    let files = export_tree(&logs, &dir.path().join("ds"), &["--rows-per-group", "1000"]);
    assert!(files.len() >= 4, "{:?}", files.keys().collect::<Vec<_>>());
    for (name, bytes) in &files {
        assert!(name.ends_with(".parquet"), "{name}");
        assert!(
            bytes.starts_with(b"PAR1") && bytes.ends_with(b"PAR1"),
            "{name}"
        );
        // The footer's key-value metadata is stored uncompressed.
        let text = String::from_utf8_lossy(bytes);
        assert!(text.contains("esmlog.schema_version"), "{name}");
        assert!(text.contains("esmlog.environment"), "{name}");
    }
}

#[test]
fn bad_environment_names_are_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(["export", "--environment", "a/b=x", "--out", "never"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--environment `a/b`"), "{stderr}");
}
