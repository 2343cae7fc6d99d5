//! A real Prometheus scrapes `esmlog watch`: after two scrapes, `sum(esm_rest_calls_total)`
//! through Prometheus's query API equals the generator's truth. Skipped with a message where
//! Prometheus is not installed, unless ESMLOG_REQUIRE_PROMETHEUS=1 (CI sets it, and
//! installs Debian's `prometheus` package).

mod common;

use esmlog::generate::{generate, GenerateArgs};
use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(180);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The body of a `200` answer to `GET path`.
fn get(port: u16, path: &str) -> Option<String> {
    let (head, body) = common::fetch(port, path)?;
    (head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200")).then_some(body)
}

/// The value of an instant query's single sample.
fn query(port: u16, promql: &str) -> Option<f64> {
    let encoded: String = promql
        .bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    let body = get(port, &format!("/api/v1/query?query={encoded}"))?;
    let json: serde_json::Value = serde_json::from_str(&body).ok()?;
    json["data"]["result"][0]["value"][1].as_str()?.parse().ok()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prometheus_binary() -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", "command -v prometheus"])
        .output()
        .ok()?;
    let path = String::from_utf8_lossy(&found.stdout).trim().to_owned();
    (found.status.success() && !path.is_empty()).then_some(path)
}

fn log(dir: &Path) -> String {
    fs::read_to_string(dir.join("prometheus.stderr")).unwrap_or_default()
}

#[test]
fn prometheus_scrapes_the_calls_of_the_truth() {
    let Some(prometheus) = prometheus_binary() else {
        if std::env::var("ESMLOG_REQUIRE_PROMETHEUS").is_ok_and(|v| v == "1") {
            panic!("ESMLOG_REQUIRE_PROMETHEUS=1 but no prometheus binary on PATH (apt-get install prometheus)");
        }
        eprintln!("skipped: no prometheus binary on PATH (apt-get install prometheus)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let generated = dir.path().join("generated");
    let truth = generate(&GenerateArgs {
        seed: 61,
        weeks: 0,
        calls_per_hour: 60,
        size: None,
        start: "2023-10-24".parse().unwrap(),
        truth: Some(dir.path().join("truth.json")),
        ..GenerateArgs::new(generated.clone())
    })
    .unwrap();
    // Every integration.log of the set, each followed as it is.
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let mut n = 0;
    for entry in fs::read_dir(&generated).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("integration.log") {
            continue;
        }
        let bytes = fs::read(entry.path()).unwrap();
        let mut plain = Vec::new();
        if name.ends_with(".gz") {
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut plain)
                .unwrap();
        } else {
            plain = bytes;
        }
        fs::write(logs.join(format!("integration-{n}.log")), plain).unwrap();
        n += 1;
    }

    let watch_port = free_port();
    let _watch = Killed(
        Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .args(["watch", "--poll-interval", "100ms", "--listen"])
            .arg(format!("127.0.0.1:{watch_port}"))
            .arg(&logs)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let config = dir.path().join("prometheus.yml");
    fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: esmlog\n    static_configs:\n      - targets: ['127.0.0.1:{watch_port}']\n"
        ),
    )
    .unwrap();
    let prometheus_port = free_port();
    let _prometheus = Killed(
        Command::new(prometheus)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("tsdb").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.path().join("prometheus.stderr")).unwrap())
            .spawn()
            .unwrap(),
    );
    let start = Instant::now();
    loop {
        let scrapes = query(prometheus_port, "count_over_time(up{job=\"esmlog\"}[10m])");
        let up = query(prometheus_port, "up{job=\"esmlog\"}");
        let calls = query(prometheus_port, "sum(esm_rest_calls_total)");
        if scrapes.is_some_and(|s| s >= 2.0)
            && up == Some(1.0)
            && calls == Some(truth.calls.calls as f64)
        {
            break;
        }
        assert!(
            start.elapsed() < LIMIT,
            "after {LIMIT:?}: scrapes {scrapes:?}, up {up:?}, calls {calls:?} (truth {}); prometheus: {}",
            truth.calls.calls,
            log(dir.path())
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}
