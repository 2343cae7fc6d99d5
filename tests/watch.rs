//! `esmlog watch` as a process: generated logs appended in bursts (partial lines included)
//! while the files are rotated every way log rotation does it, the watch killed and
//! restarted, and `/metrics` fetched over loopback compared with the generator's truth.
//! Every wait is on a condition with a generous limit; nothing sleeps and hopes.

mod common;

use common::fetch;
use esmlog::generate::{generate, GenerateArgs, Truth};
use esmlog::integration::scan::{scan_buffer, ScanOptions};
use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const INTEGRATION: &str = "integration.log";
const USAGE: &str = "Matrix42_rest_rest_api_usage.log";
const LIMIT: Duration = Duration::from_secs(120);

/// Samples of `/metrics`: (name, labels) to value.
type Samples = BTreeMap<(String, BTreeMap<String, String>), f64>;

fn parse_metrics(text: &str) -> Samples {
    let mut samples = Samples::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, value) = line.rsplit_once(' ').unwrap();
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let labels = rest
                    .trim_end_matches('}')
                    .split("\",")
                    .filter(|p| !p.is_empty())
                    .map(|pair| {
                        let (k, v) = pair.split_once("=\"").unwrap();
                        (k.to_owned(), v.trim_end_matches('"').to_owned())
                    })
                    .collect();
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), BTreeMap::new()),
        };
        samples.insert((name, labels), value.parse().unwrap());
    }
    samples
}

/// The sum of the samples of `name` whose labels include `with`.
fn sum(samples: &Samples, name: &str, with: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|((n, labels), _)| {
            n == name
                && with
                    .iter()
                    .all(|(k, v)| labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|(_, v)| v)
        .sum()
}

/// A running `esmlog watch`, killed when dropped.
struct Watch {
    child: Child,
    port: u16,
    stderr: PathBuf,
}

impl Watch {
    fn start(dir: &Path, extra: &[&str]) -> Watch {
        static STARTED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = STARTED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let stderr = dir.join(format!("watch-{n}.stderr"));
        // Port 0: the watch binds a free port itself and says which on stderr, so that no
        // other test can take it between choosing and binding.
        let child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .arg("watch")
            .arg(dir.join("logs").join(INTEGRATION))
            .arg(dir.join("logs").join(USAGE))
            .args(["--listen", "127.0.0.1:0"])
            .args(["--poll-interval", "50ms", "--checkpoint-interval", "100ms"])
            .args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let start = Instant::now();
        let port = loop {
            let text = fs::read_to_string(&stderr).unwrap_or_default();
            if let Some(rest) = text.split("serving http://127.0.0.1:").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
            assert!(start.elapsed() < LIMIT, "no address on stderr: {text}");
            std::thread::sleep(Duration::from_millis(10));
        };
        let watch = Watch {
            child,
            port,
            stderr,
        };
        watch.wait_for("/healthz to answer", |_| true);
        watch
    }

    fn metrics(&self) -> Option<Samples> {
        let (head, body) = fetch(self.port, "/metrics")?;
        assert!(head.contains("application/openmetrics-text"), "{head}");
        assert!(body.ends_with("# EOF\n"), "{body}");
        Some(parse_metrics(&body))
    }

    /// Polls `/metrics` until `done` holds; fails with the last metrics after the limit.
    fn wait_for(&self, what: &str, done: impl Fn(&Samples) -> bool) -> Samples {
        let start = Instant::now();
        loop {
            if let Some(samples) = self.metrics() {
                if done(&samples) {
                    return samples;
                }
                if start.elapsed() > LIMIT {
                    panic!(
                        "waited {LIMIT:?} for {what}; metrics: {samples:#?}\nstderr: {}",
                        self.stderr()
                    );
                }
            } else if start.elapsed() > LIMIT {
                panic!("no /metrics; stderr: {}", self.stderr());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// SIGTERM, and the exit status.
    fn stop(mut self) -> std::process::ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        std::mem::forget(self);
        status
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A generated log set: integration.log's and the usage log's whole content (rotated
/// copies first), and the truth.
struct Logs {
    integration: Vec<u8>,
    usage: Vec<u8>,
    truth: Truth,
}

fn whole(dir: &Path, name: &str) -> Vec<u8> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(name))
        .collect();
    files.sort_by(|a, b| esmlog::source::rotation_order(a, b));
    let mut out = Vec::new();
    for file in files {
        let bytes = fs::read(&file).unwrap();
        if file.extension().is_some_and(|e| e == "gz") {
            flate2::read::MultiGzDecoder::new(&bytes[..])
                .read_to_end(&mut out)
                .unwrap();
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    out
}

fn logs(seed: u64) -> Logs {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(&GenerateArgs {
        seed,
        weeks: 1,
        calls_per_hour: 90,
        start: "2023-10-24".parse().unwrap(),
        truth: Some(dir.path().join("truth.json.txt")),
        ..GenerateArgs::new(dir.path().to_path_buf())
    })
    .unwrap();
    Logs {
        integration: whole(dir.path(), INTEGRATION),
        usage: whole(dir.path(), USAGE),
        truth,
    }
}

/// `bytes` cut into `n` pieces, each ending just before a line that starts an entry (so
/// that each file of a rotation starts with an entry, as a real rotation's do).
fn pieces(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let mut cuts = vec![0];
    for k in 1..n {
        let mut at = bytes.len() * k / n;
        while at < bytes.len() && !(bytes[at - 1] == b'\n' && bytes[at..].starts_with(b"20")) {
            at += 1;
        }
        if at > *cuts.last().unwrap() && at < bytes.len() {
            cuts.push(at);
        }
    }
    cuts.push(bytes.len());
    cuts.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap();
    file.write_all(bytes).unwrap();
}

fn gzip(from: &Path, to: &Path) {
    let bytes = fs::read(from).unwrap();
    let mut encoder =
        flate2::write::GzEncoder::new(fs::File::create(to).unwrap(), flate2::Compression::fast());
    encoder.write_all(&bytes).unwrap();
    encoder.finish().unwrap();
    fs::remove_file(from).unwrap();
}

/// The ways a log is rotated.
#[derive(Debug, Clone, Copy)]
enum Rotation {
    Rename,
    CopyTruncate,
    RenameGzip,
    DeleteRecreate,
}

const ROTATIONS: [Rotation; 4] = [
    Rotation::Rename,
    Rotation::CopyTruncate,
    Rotation::RenameGzip,
    Rotation::DeleteRecreate,
];

fn rotate(path: &Path, how: Rotation, n: usize) {
    let copy = path.with_file_name(format!("{INTEGRATION}.{n}"));
    match how {
        Rotation::Rename => fs::rename(path, &copy).unwrap(),
        Rotation::CopyTruncate => {
            fs::copy(path, &copy).unwrap();
            fs::OpenOptions::new()
                .write(true)
                .truncate(true)
                .open(path)
                .unwrap();
        }
        Rotation::RenameGzip => {
            fs::rename(path, &copy).unwrap();
            gzip(&copy, &copy.with_file_name(format!("{INTEGRATION}.{n}.gz")));
        }
        Rotation::DeleteRecreate => {
            fs::remove_file(path).unwrap();
            fs::File::create(path).unwrap();
        }
    }
}

/// Writes `piece` in three writes, the second ending inside a line; waits, between them,
/// for the watch to have read up to the last line end and no further (a partial line is
/// held until it is completed).
fn write_in_bursts(watch: &Watch, path: &Path, piece: &[u8], file_bytes: &mut u64) {
    let third = piece.len() / 3;
    let mut middle = (2 * piece.len()) / 3;
    while middle < piece.len() && piece[middle - 1] == b'\n' {
        middle += 1;
    }
    append(path, &piece[..third]);
    append(path, &piece[third..middle]);
    let complete = piece[..middle]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1) as u64;
    let want = *file_bytes + complete;
    let name = path.to_string_lossy().into_owned();
    watch.wait_for("the complete lines of a burst", |s| {
        sum(s, "esm_log_file_offset_bytes", &[("file", &name)]) == want as f64
    });
    append(path, &piece[middle..]);
    *file_bytes += piece.len() as u64;
}

/// The line accounting of the whole content, as `esmlog check` has it.
fn expected_lines(bytes: &[u8]) -> esmlog::integration::entry::LineAccounting {
    scan_buffer(INTEGRATION, bytes, &ScanOptions::default())
        .0
        .lines
}

/// `/metrics` agrees with the truth: calls per user, rejected calls, every line once.
fn check_against_truth(samples: &Samples, logs: &Logs) {
    let truth = &logs.truth;
    assert_eq!(
        sum(samples, "esm_rest_calls_total", &[]),
        truth.calls.calls as f64
    );
    for (user, counts) in &truth.users {
        assert_eq!(
            sum(samples, "esm_rest_calls_total", &[("user", user)]),
            counts.calls as f64,
            "{user}"
        );
        assert_eq!(
            sum(samples, "esm_rest_rejected_total", &[("user", user)]),
            counts.unsuccessful as f64,
            "{user}"
        );
    }
    for (status, n) in truth.statuses.iter().filter(|(s, _)| **s >= 400) {
        assert_eq!(
            sum(
                samples,
                "esm_rest_rejected_total",
                &[("status", &status.to_string())]
            ),
            *n as f64,
            "{status}"
        );
    }
    let lines = expected_lines(&logs.integration);
    let kind = |outcome| {
        sum(
            samples,
            "esm_log_lines_total",
            &[("file_kind", "integration"), ("outcome", outcome)],
        )
    };
    assert_eq!(kind("parsed"), lines.entries as f64);
    assert_eq!(kind("continuation"), lines.continuation as f64);
    assert_eq!(kind("suspicious"), lines.suspicious as f64);
    assert_eq!(kind("orphan"), lines.orphans as f64);
    assert_eq!(kind("blank"), lines.blank as f64);
    let usage_lines = logs.usage.iter().filter(|&&b| b == b'\n').count();
    assert_eq!(
        sum(samples, "esm_log_lines_total", &[("file_kind", "usage")]),
        usage_lines as f64
    );
}

fn all_calls_in(logs: &Logs) -> impl Fn(&Samples) -> bool + '_ {
    let lines = logs.integration.iter().filter(|&&b| b == b'\n').count() as f64;
    move |s: &Samples| {
        sum(s, "esm_log_lines_total", &[("file_kind", "integration")]) >= lines
            && sum(s, "esm_rest_calls_total", &[]) >= logs.truth.calls.calls as f64
    }
}

#[test]
fn bursts_and_every_rotation_count_each_entry_once() {
    let logs = logs(51);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    fs::create_dir(&folder).unwrap();
    let path = folder.join(INTEGRATION);
    let watch = Watch::start(dir.path(), &[]);
    append(&folder.join(USAGE), &logs.usage);
    let parts = pieces(&logs.integration, 9);
    let mut file_bytes = 0u64;
    let mut rotations = 0usize;
    for (i, piece) in parts.iter().enumerate() {
        write_in_bursts(&watch, &path, piece, &mut file_bytes);
        if i + 1 < parts.len() {
            let how = ROTATIONS[i % ROTATIONS.len()];
            rotate(&path, how, i);
            rotations += 1;
            file_bytes = 0;
            let name = path.to_string_lossy().into_owned();
            let seen = watch.wait_for("the rotation to be seen", |s| {
                sum(s, "esm_log_file_rotations_total", &[("file", &name)]) >= rotations as f64
            });
            assert_eq!(
                sum(&seen, "esm_log_file_rotations_total", &[("file", &name)]),
                rotations as f64,
                "{how:?}"
            );
        }
    }
    let samples = watch.wait_for("every call", all_calls_in(&logs));
    check_against_truth(&samples, &logs);
    // The newest usage line's counters (0 after a reset), as the parser reads them.
    let newest = logs
        .usage
        .split(|&b| b == b'\n')
        .filter_map(|l| esmlog::usage::line::parse_usage_line(l).ok())
        .max_by_key(|l| l.stamp)
        .unwrap();
    let consumed = match newest.body {
        esmlog::usage::line::UsageBody::Counters { consumed, .. } => consumed,
        esmlog::usage::line::UsageBody::Reset => 0,
    };
    assert_eq!(sum(&samples, "esm_usage_consumed", &[]), consumed as f64);
    assert_eq!(sum(&samples, "esm_log_file_up", &[]), 2.0);
    let stderr = watch.stderr();
    assert_eq!(watch.stop().code(), Some(0), "{stderr}");
}

#[test]
fn a_restart_goes_on_with_the_same_counters_even_after_a_rotation_while_stopped() {
    let logs = logs(52);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    fs::create_dir(&folder).unwrap();
    let path = folder.join(INTEGRATION);
    let state = dir.path().join("state.json");
    let state_arg = state.to_string_lossy().into_owned();
    let parts = pieces(&logs.integration, 3);
    append(&folder.join(USAGE), &logs.usage);
    let first = Watch::start(dir.path(), &["--state", &state_arg]);
    let mut file_bytes = 0;
    write_in_bursts(&first, &path, parts[0], &mut file_bytes);
    // More lines, and no waiting: the kill may come before they are read or checkpointed.
    append(&path, parts[1]);
    let start = Instant::now();
    while !state.exists() {
        assert!(start.elapsed() < LIMIT, "no checkpoint: {}", first.stderr());
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(first);
    rotate(&path, Rotation::RenameGzip, 1);
    append(&path, parts[2]);
    let second = Watch::start(dir.path(), &["--state", &state_arg]);
    let samples = second.wait_for("every call after the restart", all_calls_in(&logs));
    check_against_truth(&samples, &logs);
    assert_eq!(second.stop().code(), Some(0));
    // Stopped by SIGTERM, it wrote its checkpoint: a third run starts where it stopped.
    let saved: serde_json::Value = serde_json::from_slice(&fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["format"], 1);
    let third = Watch::start(dir.path(), &["--state", &state_arg]);
    let samples = third.metrics().unwrap();
    check_against_truth(&samples, &logs);
}

#[test]
fn bad_state_bad_lines_busy_ports_and_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    fs::create_dir(&folder).unwrap();
    let state = dir.path().join("state.json");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .arg("watch")
            .arg(folder.join(INTEGRATION))
            .args(args)
            .output()
            .unwrap()
    };
    fs::write(&state, "{\"format\": 1, \"files\": [").unwrap();
    let out = run(&["--state", &state.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("damaged") && stderr.contains("--rebuild"),
        "{stderr}"
    );
    fs::write(&state, "{\"format\": 99, \"written_by\": \"9.0.0\"}").unwrap();
    let out = run(&["--state", &state.to_string_lossy()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("format 99"), "{stderr}");

    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    let out = run(&["--listen", &addr]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("in use"), "{stderr}");

    // --rebuild starts again from the logs; an unreadable path is reported and retried;
    // malformed lines are counted.
    // A link to itself: the path is there but cannot be opened (as root, modes do not stop
    // a read).
    std::os::unix::fs::symlink(USAGE, folder.join(USAGE)).unwrap();
    append(
        &folder.join(INTEGRATION),
        b"2023-10-24 10:00:00,000 INFO  [t] c - user=A method=GET path=/rest-api/x status=200 duration=5ms\n",
    );
    let watch = Watch::start(
        dir.path(),
        &["--state", &state.to_string_lossy(), "--rebuild"],
    );
    let usage = folder.join(USAGE).to_string_lossy().into_owned();
    watch.wait_for("the unreadable file reported", |s| {
        sum(s, "esm_log_file_up", &[("file", &usage)]) == 0.0
            && sum(s, "esm_log_file_read_errors_total", &[("file", &usage)]) >= 1.0
            && sum(s, "esm_rest_calls_total", &[("user", "A")]) == 1.0
    });
    fs::remove_file(folder.join(USAGE)).unwrap();
    append(
        &folder.join(USAGE),
        b"2023-10-24 10:00:00,000|Usage,consumed,1000,rejected,3,since,2023-10-23T00:00:00+0300\nnot a usage line\n",
    );
    let samples = watch.wait_for("the file read once it can be", |s| {
        sum(s, "esm_log_file_up", &[("file", &usage)]) == 1.0
            && sum(s, "esm_log_lines_total", &[("file_kind", "usage")]) == 2.0
    });
    let usage_outcome = |outcome| {
        sum(
            &samples,
            "esm_log_lines_total",
            &[("file_kind", "usage"), ("outcome", outcome)],
        )
    };
    assert_eq!(usage_outcome("parsed"), 1.0);
    assert_eq!(usage_outcome("malformed"), 1.0);
    assert_eq!(sum(&samples, "esm_usage_consumed", &[]), 1000.0);
    assert_eq!(sum(&samples, "esm_usage_rejected", &[]), 3.0);
    assert!(
        watch.stderr().contains("not a usage line"),
        "{}",
        watch.stderr()
    );
}

#[test]
fn spikes_match_rejections_and_run_the_hooks_which_never_stop_the_watch() {
    let logs = logs(53);
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("logs");
    fs::create_dir(&folder).unwrap();
    // The rejections report on the same content: the spike rule's figure to match.
    let whole = dir.path().join("whole.log");
    fs::write(&whole, &logs.integration).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(["rejections", "--format", "json"])
        .arg(&whole)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let spikes = report["spikes"].as_array().unwrap().len();
    assert!(spikes >= 1, "{report}");

    let hooked = dir.path().join("spikes.jsonl");
    let quota = dir.path().join("quota.jsonl");
    // Each spike hook writes its event, then hangs until --hook-timeout kills it.
    let on_spike = format!(
        "cat >> '{}'; echo >> '{}'; sleep 60",
        hooked.display(),
        hooked.display()
    );
    let on_quota = format!(
        "cat >> '{}'; echo >> '{}'",
        quota.display(),
        quota.display()
    );
    let watch = Watch::start(
        dir.path(),
        &[
            "--on-spike",
            &on_spike,
            "--hook-timeout",
            "300ms",
            "--quota",
            "5000",
            "--on-quota",
            "10",
            &on_quota,
        ],
    );
    append(&folder.join(USAGE), &logs.usage);
    for piece in pieces(&logs.integration, 6) {
        append(&folder.join(INTEGRATION), piece);
    }
    let samples = watch.wait_for("every call", all_calls_in(&logs));
    assert_eq!(sum(&samples, "esm_spikes_total", &[]), spikes as f64);
    let start = Instant::now();
    let events = loop {
        let text = fs::read_to_string(&hooked).unwrap_or_default();
        let events: Vec<serde_json::Value> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        if events.len() >= spikes && watch.stderr().matches("killed").count() >= spikes {
            break events;
        }
        assert!(start.elapsed() < LIMIT, "{text}\n{}", watch.stderr());
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(events.len(), spikes);
    for (event, spike) in events.iter().zip(report["spikes"].as_array().unwrap()) {
        assert_eq!(event["event"], "spike");
        let start = spike["start"].as_str().unwrap();
        assert_eq!(event["start"].as_str().unwrap(), &start[..16], "{spike}");
    }
    // The watch still answers after every hook was killed.
    let again = watch.metrics().unwrap();
    assert_eq!(sum(&again, "esm_spikes_total", &[]), spikes as f64);
    assert!(sum(&again, "esm_quota_used_ratio", &[]) > 0.0);
    let quota_text = fs::read_to_string(&quota).unwrap_or_default();
    assert!(quota_text.contains("\"event\":\"quota\""), "{quota_text}");
}
