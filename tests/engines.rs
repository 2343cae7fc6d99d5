//! The distributed path, for real: logs of two environments are generated, exported to
//! Parquet with `esmlog export`, and the README's SQL run on the dataset in DuckDB (and with
//! `ESMLOG_ENGINES=spark`, in Spark SQL: `scripts/spark-check`) must give esmlog's own weekly
//! consumed/rejected, monthly figures and per-user call counts, row for row.
//!
//! Skipped with a message when the engine's Python module is missing, unless
//! `ESMLOG_REQUIRE_ENGINES` is set (as `.ci/run` does), when it fails instead.

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const ENVIRONMENTS: [(&str, &[&str]); 2] = [
    (
        "prod",
        &["--seed", "11", "--weeks", "3", "--calls-per-hour", "60"],
    ),
    (
        "test",
        &[
            "--seed",
            "12",
            "--weeks",
            "2",
            "--calls-per-hour",
            "30",
            "--start",
            "2023-10-24",
        ],
    ),
];

fn esmlog(args: &[&str]) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "esmlog {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn esmlog_json(args: &[&str]) -> Value {
    serde_json::from_slice(&esmlog(args)).unwrap()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether python3 can import `module`.
fn importable(module: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The README's queries run by `engine` on `dataset`.
fn engine_rows(engine: &str, dataset: &Path) -> Value {
    let started = std::time::Instant::now();
    let output = Command::new("python3")
        .arg(repo().join("scripts/engine-sql.py"))
        .arg(engine)
        .arg(dataset)
        .arg(repo().join("README.md"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{engine} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!(
        "engines: {engine} ran the README's queries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("no {key} in {v}"))
}

/// A count that may be null (a maximum the usage log cannot give); engines may return it
/// as a float.
fn count(v: &Value, key: &str) -> Option<u64> {
    match &v[key] {
        Value::Null => None,
        n => Some(
            n.as_u64()
                .or_else(|| n.as_f64().map(|f| f as u64))
                .unwrap_or_else(|| panic!("{key} in {v}")),
        ),
    }
}

/// An engine's rows of one query and one environment, keyed by `key`.
fn rows_of<'a>(rows: &'a Value, environment: &str, key: &str) -> BTreeMap<String, &'a Value> {
    rows.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["environment"] == environment)
        .map(|r| {
            let k = r[key].as_str().unwrap_or("-").to_string();
            (k, r)
        })
        .collect()
}

/// What esmlog itself says, per environment: weekly, monthly and per-user rows in the shape
/// the SQL returns them.
fn esmlog_rows(fleet: &Path, environment: &str) -> Value {
    let dir = fleet.join(environment);
    let dir = dir.to_str().unwrap();
    let weekly = esmlog_json(&["weekly", "--format", "json", dir]);
    let monthly = esmlog_json(&["monthly", "--format", "json", dir]);
    let users = esmlog_json(&["calls", "--quiet", "--by", "user", "--format", "json", dir]);
    json!({
        "weekly": weekly["weeks"].as_array().unwrap().iter().map(|w| json!({
            "week": w["week"], "consumed": w["consumed"], "consumed_max": w["consumed_max"],
            "rejected": w["rejected"],
        })).collect::<Vec<_>>(),
        "monthly": monthly["months"].as_array().unwrap().iter().map(|m| json!({
            "month": m["month"], "consumed": m["consumed"], "consumed_min": m["consumed_min"],
            "consumed_max": m["consumed_max"], "rejected": m["rejected"],
        })).collect::<Vec<_>>(),
        "users": users["rows"].as_array().unwrap().iter().map(|r| json!({
            "user_name": r["user"], "calls": r["calls"], "successful": r["successful"],
            "unsuccessful": r["unsuccessful"],
        })).collect::<Vec<_>>(),
    })
}

fn compare(engine: &str, got: &Value, want: &Value, environment: &str) {
    for (query, key, counts) in [
        (
            "weekly",
            "week",
            &["consumed", "consumed_max", "rejected"][..],
        ),
        (
            "monthly",
            "month",
            &["consumed", "consumed_min", "consumed_max", "rejected"][..],
        ),
        (
            "users",
            "user_name",
            &["calls", "successful", "unsuccessful"][..],
        ),
    ] {
        let got = rows_of(&got[query], environment, key);
        let want: BTreeMap<String, &Value> = want[query]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r[key].as_str().unwrap().to_string(), r))
            .collect();
        assert!(
            !want.is_empty(),
            "{environment}: esmlog has no {query} rows"
        );
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>(),
            "{engine} {query} {environment}: the same {key}s"
        );
        for (k, w) in &want {
            for count in counts {
                assert_eq!(
                    self::count(got[k], count),
                    self::count(w, count),
                    "{engine} {query} {environment} {k} {count}: {} vs esmlog {}",
                    got[k],
                    w
                );
            }
        }
    }
}

#[test]
fn engines_reproduce_esmlogs_figures() {
    let engines = std::env::var("ESMLOG_ENGINES").unwrap_or_else(|_| "duckdb".into());
    let required = std::env::var_os("ESMLOG_REQUIRE_ENGINES").is_some();
    let engines: Vec<&str> = engines
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .filter(|engine| {
            let module = if *engine == "spark" { "pyspark" } else { engine };
            let ok = importable(module);
            if !ok {
                assert!(
                    !required,
                    "ESMLOG_REQUIRE_ENGINES is set but python3 cannot import {module}: pip install {module}"
                );
                eprintln!(
                    "engines: SKIPPED {engine}: python3 cannot import {module} (pip install {module}; set ESMLOG_REQUIRE_ENGINES=1 to make this a failure)"
                );
            }
            ok
        })
        .collect();
    if engines.is_empty() {
        return;
    }

    let dir = tempfile::tempdir().unwrap();
    let fleet = dir.path().join("logs");
    for (name, args) in ENVIRONMENTS {
        let out = fleet.join(name);
        let truth = dir.path().join(format!("{name}-truth.json"));
        let mut generate = vec![
            "generate",
            "--out",
            out.to_str().unwrap(),
            "--truth",
            truth.to_str().unwrap(),
        ];
        generate.extend_from_slice(args);
        esmlog(&generate);
    }
    let dataset = dir.path().join("dataset");
    // Small row groups: several batches per partition go through the streaming writer.
    esmlog(&[
        "export",
        "--quiet",
        "--environments-by-folder",
        fleet.to_str().unwrap(),
        "--out",
        dataset.to_str().unwrap(),
        "--rows-per-group",
        "5000",
    ]);
    let part = dataset.join("calls/environment=prod");
    assert!(part.is_dir(), "no {}", part.display());

    let want: Vec<(&str, Value)> = ENVIRONMENTS
        .iter()
        .map(|(name, _)| (*name, esmlog_rows(&fleet, name)))
        .collect();
    // The fleet report's `all` rows are the environments summed per week.
    let fleet_weekly = esmlog_json(&[
        "weekly",
        "--format",
        "json",
        "--environments-by-folder",
        fleet.to_str().unwrap(),
    ]);
    let mut summed: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for (_, w) in &want {
        for row in w["weekly"].as_array().unwrap() {
            let e = summed
                .entry(row["week"].as_str().unwrap().into())
                .or_default();
            e.0 += u(row, "consumed");
            e.1 += u(row, "rejected");
        }
    }
    let all: BTreeMap<String, (u64, u64)> = fleet_weekly["all"]["weeks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["week"].as_str().unwrap().into(),
                (u(w, "consumed"), u(w, "rejected")),
            )
        })
        .collect();
    assert_eq!(all, summed, "weekly --environments-by-folder: all = sum");

    for engine in engines {
        let got = engine_rows(engine, &dataset);
        for (name, want) in &want {
            compare(engine, &got, want, name);
        }
        eprintln!("engines: {engine} agrees with esmlog on every week, month and user");
    }
}
