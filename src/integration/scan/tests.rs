//! The scan's tests: every chunk size and thread count gives the single-threaded
//! result, the generator's truth, gzip and stdin inputs, flat memory.

use super::*;
use crate::ingest::ingest;
use crate::source::discover;
use std::collections::BTreeMap;
use std::io::Write;

const L1: &str = "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data/123 status=200 duration=143ms";
const L2: &str = "2023-04-11 20:34:01,002 WARN  [http-nio-8443-exec-3] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"";
const L3: &str = "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms";
const TRACE: &str = "java.lang.IllegalStateException: datacard lock timeout\n\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)\n\t... 42 more\n";
const INFO: &str = "2023-04-11 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started";
const BAD: &str =
    "2023-02-30 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - impossible";

/// A log with every kind of line: orphans and a byte-order mark at the start, stack
/// traces, CRLF, blank and suspicious lines, invalid UTF-8, long entries, an oversized
/// line, and no newline at the end.
fn tricky_log(max_line: usize) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice("\u{feff}\tat orphan.Frame(X.java:1)\n\n".as_bytes());
    let mut n = 0u64;
    for i in 0..400 {
        n = n
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let line = match i % 9 {
            0 => L1.replace("123", &(n % 1000).to_string()),
            1 => L2.to_owned(),
            2 => format!("{L3}\n{TRACE}"),
            3 => format!("{INFO}\r"),
            4 => format!("{L1}\n{BAD}\n   "),
            5 => L1.replace("CRM_SYNC", &format!("user{}", n % 7)),
            6 => format!("{L3}\n{}", "\tat deep.Frame(F.java:1)\n".repeat(30))
                .trim_end()
                .to_owned(),
            7 => L2
                .replace("2ms", "not-a-duration")
                .replace("status=429", ""),
            _ => L1.replace("20:34", &format!("2{}:{:02}", n % 4, n % 60)),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
        if i == 2 || i == 200 {
            out.extend_from_slice(b"\xff\xfe not utf-8 \xc3\n");
            let long = format!("{L1} {}", "x".repeat(max_line * 2 + 7));
            out.extend_from_slice(long.as_bytes());
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice("y".repeat(max_line + 1).as_bytes());
            out.push(b'\n');
        }
    }
    out.extend_from_slice(INFO.as_bytes());
    out
}

fn options(chunk_bytes: usize, max_line: usize) -> ScanOptions {
    ScanOptions {
        dims: vec![Dim::User, Dim::Endpoint, Dim::Status, Dim::Hour],
        chunk_bytes,
        max_line_bytes: max_line,
        ..ScanOptions::default()
    }
}

fn scan_bytes(files: &[Vec<u8>], options: &ScanOptions) -> ScanResult {
    let streams = files
        .iter()
        .enumerate()
        .map(|(i, b)| {
            (
                format!("f{i}"),
                Box::new(Cursor::new(b.clone())) as Box<dyn Read + Send>,
            )
        })
        .collect();
    scan_readers(streams, options)
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
}

fn problems(tally: &FileTally) -> (u64, Vec<(u64, String, String)>) {
    let kept = tally
        .problems
        .kept
        .iter()
        .map(|p| (p.line, p.reason.clone(), p.text.clone()))
        .collect();
    (tally.problems.total, kept)
}

fn assert_same_tally(a: &FileTally, b: &FileTally, ctx: &str) {
    assert_eq!(a.lines, b.lines, "{ctx}");
    assert_eq!(problems(a), problems(b), "{ctx}");
    assert_eq!(
        (a.first, a.last, &a.no_entries),
        (b.first, b.last, &b.no_entries),
        "{ctx}"
    );
    assert_eq!(
        (a.name.as_str(), a.bytes),
        (b.name.as_str(), b.bytes),
        "{ctx}"
    );
}

#[test]
fn dates_in_file_names() {
    let cases = [
        ("integration.log.2023-10-09", Some("2023-10-09")),
        ("logs/integration.log.2023-10-09.gz", Some("2023-10-09")),
        (
            "logs/2023-10-08/integration.log.2023-10-09",
            Some("2023-10-09"),
        ),
        ("logs/2023-10-08/integration.log", Some("2023-10-08")),
        ("integration.log", None),
        ("integration.log.2023-02-30", None),
        ("integration.log.12023-10-09", None),
        ("integration.log.2023-10-091", None),
        ("x", None),
    ];
    for (name, want) in cases {
        assert_eq!(
            date_in_file_name(name),
            want.map(|d| d.parse::<NaiveDate>().unwrap()),
            "{name}"
        );
    }
    // Only time-only layouts take a day, the file name's before --date.
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
    let mut options = ScanOptions::new(Arc::new(LayoutParser::compile("%d{ABSOLUTE} %m").unwrap()));
    options.date = Some(day("2023-01-01"));
    assert_eq!(
        day_of_input("integration.log.2023-10-09", &options),
        Some(day("2023-10-09"))
    );
    assert_eq!(
        day_of_input("integration.log", &options),
        Some(day("2023-01-01"))
    );
    options.layout = Arc::new(LayoutParser::default());
    assert_eq!(day_of_input("integration.log.2023-10-09", &options), None);
}

#[test]
fn time_only_entries_get_their_day() {
    let mut options = ScanOptions::new(Arc::new(
        LayoutParser::compile("%d{ABSOLUTE} %p %m").unwrap(),
    ));
    let log = b"20:34:00,635 INFO method=GET path=/x status=200\n23:59:59,999 INFO method=GET path=/y status=200\n";
    let (tally, _) = scan_buffer("integration.log.2023-10-09", log, &options);
    assert_eq!(tally.first, "2023-10-09T20:34:00.635".parse().ok());
    assert_eq!(tally.last, "2023-10-09T23:59:59.999".parse().ok());
    let (tally, _) = scan_buffer("integration.log", log, &options);
    assert_eq!((tally.first, tally.lines.entries), (None, 2));
    options.date = "2023-10-10".parse().ok();
    let (tally, _) = scan_buffer("integration.log", log, &options);
    assert_eq!(tally.first, "2023-10-10T20:34:00.635".parse().ok());
}

#[test]
fn same_result_for_every_chunk_size_and_thread_count() {
    let max_line = 1000;
    let log = tricky_log(max_line);
    let (reference, calls) = scan_buffer("f0", &log, &options(1, max_line));
    let lines = &reference.lines;
    assert!(lines.is_consistent(), "{lines:?}");
    assert_eq!((lines.orphans, lines.oversized), (1, 4), "{lines:?}");
    assert!(lines.suspicious > 0 && lines.continuation > lines.suspicious && lines.blank > 0);
    assert_eq!(lines.calls, calls.totals.calls);
    assert!(calls.totals.no_status > 0);
    for threads in [1, 4] {
        let pool = pool(threads);
        for chunk in [64, 100, 257, 1000, 4096, 65_536, 1 << 20] {
            let got =
                pool.install(|| scan_bytes(std::slice::from_ref(&log), &options(chunk, max_line)));
            let ctx = format!("{threads} threads, {chunk} byte chunks");
            assert!(got.errors.is_empty(), "{ctx}");
            assert_same_tally(&got.files[0], &reference, &ctx);
            assert_eq!(got.calls, calls, "{ctx}");
        }
    }
}

#[test]
fn many_inputs_at_once() {
    let max_line = 1000;
    let logs: Vec<Vec<u8>> = (0..7)
        .map(|i| {
            let mut log = tricky_log(max_line);
            log.truncate(log.len() * (i + 1) / 7);
            log
        })
        .collect();
    let one = pool(1).install(|| scan_bytes(&logs, &options(8192, max_line)));
    let four = pool(4).install(|| scan_bytes(&logs, &options(300, max_line)));
    assert_eq!(one.calls, four.calls);
    let mut merged = PartialAggregate::new(&options(1, max_line).dims);
    for (i, log) in logs.iter().enumerate() {
        assert_same_tally(&one.files[i], &four.files[i], &format!("file {i}"));
        let (tally, _) = scan_buffer(&format!("f{i}"), log, &options(1, max_line));
        assert_same_tally(&one.files[i], &tally, &format!("file {i}"));
        let entries = EntryReader::new(Arc::new(LayoutParser::default()), max_line);
        let mut calls = CallReader::new(None);
        parse_run(
            &entries,
            &mut merged,
            &mut calls,
            log,
            ChunkStart::FILE,
            &[],
            "x",
            None,
            (i, None),
        );
    }
    assert_eq!(one.calls, merged.finish(true));
    assert_eq!(
        one.line_totals().lines,
        one.files.iter().map(|f| f.lines.lines).sum::<u64>()
    );
}

#[test]
fn matches_the_generators_truth() {
    let dir = tempfile::tempdir().unwrap();
    let args = crate::generate::GenerateArgs {
        seed: 7,
        weeks: 1,
        calls_per_hour: 200,
        start: "2023-10-10".parse().unwrap(),
        ..crate::generate::GenerateArgs::new(dir.path().to_path_buf())
    };
    let truth = crate::generate::generate(&args).unwrap();
    let layout = LayoutParser::default();
    let found = ingest(&[dir.path().display().to_string()], &layout);
    assert!(found.errors.is_empty());
    assert!(found.integration.len() >= 2, "rotated, gzipped files");
    let options = ScanOptions {
        dims: vec![Dim::User, Dim::Endpoint, Dim::Status],
        chunk_bytes: 256 << 10,
        ..ScanOptions::default()
    };
    let result = pool(2).install(|| scan(found.integration, &options));
    assert!(result.errors.is_empty(), "{:?}", result.errors);
    let calls = &result.calls;
    let users: BTreeMap<String, (u64, u64, u64, u64)> = calls
        .rollup(&[Dim::User])
        .unwrap()
        .into_iter()
        .map(|g| {
            (
                g.key[0].clone(),
                (
                    g.stats.calls,
                    g.stats.successful,
                    g.stats.unsuccessful,
                    g.stats.logins,
                ),
            )
        })
        .collect();
    let want: BTreeMap<String, (u64, u64, u64, u64)> = truth
        .users
        .iter()
        .map(|(u, c)| (u.clone(), (c.calls, c.successful, c.unsuccessful, c.logins)))
        .collect();
    assert_eq!(users, want);
    let endpoints: BTreeMap<String, (u64, u64, u64)> = calls
        .rollup(&[Dim::Endpoint])
        .unwrap()
        .into_iter()
        .map(|g| {
            (
                g.key[0].clone(),
                (g.stats.calls, g.stats.successful, g.stats.unsuccessful),
            )
        })
        .collect();
    let want: BTreeMap<String, (u64, u64, u64)> = truth
        .endpoints
        .iter()
        .map(|(e, c)| (e.clone(), (c.calls, c.successful, c.unsuccessful)))
        .collect();
    assert_eq!(endpoints, want);
    assert_eq!(calls.statuses, truth.statuses);
    assert_eq!(calls.totals.calls, truth.calls.calls);
    assert_eq!(calls.totals.successful, truth.calls.successful);
    assert_eq!(calls.totals.no_status, 0);
    let minute_calls: u64 = calls
        .minutes
        .iter()
        .map(|m| u64::from(m.counts.calls))
        .sum();
    assert_eq!(minute_calls, truth.calls.calls);
    let lines = result.line_totals();
    assert!(lines.is_consistent());
    assert_eq!(lines.calls, truth.calls.calls);
    assert_eq!(
        (lines.orphans, lines.suspicious, lines.oversized),
        (0, 0, 0)
    );
    assert_eq!(lines.informational.get("INFO"), lines.entries - lines.calls);
    // The same with one thread and small blocks.
    let again = ingest(&[dir.path().display().to_string()], &layout);
    let small = ScanOptions {
        chunk_bytes: 4096,
        ..options.clone()
    };
    let result1 = pool(1).install(|| scan(again.integration, &small));
    assert_eq!(&result1.calls, calls);
    // Grouping without endpoints reads endpoints of failures only: the same tables.
    let by_user = ScanOptions {
        dims: vec![Dim::User],
        ..options.clone()
    };
    let again = ingest(&[dir.path().display().to_string()], &layout);
    let result2 = scan(again.integration, &by_user);
    assert!(!calls.failures.is_empty());
    assert_eq!(result2.calls.failures, calls.failures);
    assert_eq!(result2.calls.minutes, calls.minutes);
    assert_eq!(result2.calls.totals, calls.totals);
    assert_eq!(result2.calls.groups, calls.rollup(&[Dim::User]).unwrap());
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn inputs_of(paths: &[&std::path::Path]) -> Vec<IntegrationInput> {
    let found = discover(
        &paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>(),
    );
    assert!(found.errors.is_empty());
    found
        .inputs
        .into_iter()
        .map(|input| IntegrationInput {
            input,
            head: Vec::new(),
            stream: None,
        })
        .collect()
}

#[test]
fn gzip_and_truncated_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let log = tricky_log(DEFAULT_MAX_LINE_BYTES).repeat(20);
    let plain = dir.path().join("integration.log");
    let whole = dir.path().join("integration.log.1.gz");
    let cut = dir.path().join("integration.log.2.gz");
    std::fs::write(&plain, &log).unwrap();
    let gz = gzip(&log);
    std::fs::write(&whole, &gz).unwrap();
    std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
    let options = options(16 << 10, DEFAULT_MAX_LINE_BYTES);
    let result = scan(inputs_of(&[&plain, &whole, &cut]), &options);
    let by_name = |suffix: &str| {
        result
            .files
            .iter()
            .find(|f| f.name.ends_with(suffix))
            .unwrap()
    };
    let (p, w, c) = (by_name(".log"), by_name(".1.gz"), by_name(".2.gz"));
    assert_eq!(p.lines, w.lines);
    assert_eq!(p.bytes, log.len() as u64);
    // What was read of the truncated file still counts; its error is reported.
    assert!(
        c.lines.entries > 0 && c.lines.lines < p.lines.lines,
        "{:?}",
        c.lines
    );
    assert_eq!(result.errors.len(), 1);
    assert!(
        matches!(result.errors[0], SourceError::CorruptGzip { .. }),
        "{}",
        result.errors[0]
    );
    assert!(result.errors[0].path().ends_with(".2.gz"));
    assert!(result.line_totals().is_consistent());
}

#[test]
fn stdin_goes_on_from_its_head() {
    let log = tricky_log(DEFAULT_MAX_LINE_BYTES);
    let input = discover(&["-".into()]).inputs.remove(0);
    let head = log[..5000].to_vec();
    let rest = log[5000..].to_vec();
    let result = scan(
        vec![IntegrationInput {
            input,
            head,
            stream: Some(Box::new(Cursor::new(rest))),
        }],
        &options(1000, DEFAULT_MAX_LINE_BYTES),
    );
    let (reference, calls) = scan_buffer("-", &log, &options(1000, DEFAULT_MAX_LINE_BYTES));
    assert_same_tally(&result.files[0], &reference, "stdin");
    assert_eq!(result.calls, calls);
}

#[test]
fn unopenable_input_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let gone = dir.path().join("gone.log");
    std::fs::write(&gone, INFO).unwrap();
    let inputs = inputs_of(&[&gone]);
    std::fs::remove_file(&gone).unwrap();
    let result = scan(inputs, &ScanOptions::default());
    assert_eq!(result.errors.len(), 1);
    assert_eq!(result.files.len(), 1);
    assert_eq!(result.files[0].lines.lines, 0);
}

#[test]
fn oversized_lines_keep_memory_flat() {
    // A 6 MB line in 64 KiB blocks: the buffer holds its first MiB only.
    let mut log = format!("{L1}\n{L2} ").into_bytes();
    log.extend(std::iter::repeat_n(b'z', 6_000_000));
    log.extend_from_slice(format!("\r\n{L3}\n{TRACE}{INFO}\n").as_bytes());
    for chunk in [64 << 10, 8 << 20] {
        let options = options(chunk, DEFAULT_MAX_LINE_BYTES);
        let result = pool(2).install(|| scan_bytes(std::slice::from_ref(&log), &options));
        let tally = &result.files[0];
        assert_eq!(tally.lines.lines, 7);
        assert_eq!(
            (
                tally.lines.entries,
                tally.lines.oversized,
                tally.lines.calls
            ),
            (4, 1, 3)
        );
        let (_, kept) = problems(tally);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].0, 2);
        let length = L2.len() + 1 + 6_000_000;
        assert_eq!(
            kept[0].1,
            format!(
                "line of {} bytes, longer than the 1,048,576 byte limit; only its start was read",
                crate::render::thousands(length as u64)
            )
        );
        assert!(kept[0].2.len() < 300);
        // The cut line's fields were still read.
        assert_eq!(result.calls.statuses.get(&429), Some(&1));
        assert_eq!(tally.bytes, log.len() as u64);
    }
    // An oversized line at the very end without a newline.
    let mut log = format!("{L1}\n").into_bytes();
    log.extend(std::iter::repeat_n(b'q', 3_000_000));
    let result = scan_bytes(&[log], &options(64 << 10, DEFAULT_MAX_LINE_BYTES));
    assert_eq!(
        (result.files[0].lines.lines, result.files[0].lines.oversized),
        (2, 1)
    );
    assert_eq!(result.files[0].lines.continuation, 1);
}

#[test]
fn a_file_the_layout_does_not_fit() {
    let small = b"hello\nworld\n".repeat(10);
    let big = b"this is not a log4j line at all\n".repeat(200_000);
    let result = scan_bytes(&[small, big.clone(), Vec::new()], &options(1 << 16, 1000));
    let flag = result.files[0].no_entries.as_ref().unwrap();
    assert_eq!(flag.first_line, "hello");
    assert!(!flag.stopped_early);
    assert_eq!(result.files[0].lines.orphans, 20);
    assert_eq!(
        flag.to_string(),
        "the layout matched no line; first line: `hello`; give --layout with the pattern the log was written with"
    );
    let flag = result.files[1].no_entries.as_ref().unwrap();
    assert!(flag.stopped_early, "{flag}");
    assert!(flag.to_string().ends_with("(stopped reading after 1 MiB)"));
    assert!(result.files[1].bytes < big.len() as u64 / 2);
    assert_eq!(result.files[2].no_entries, None);
    assert_eq!(result.files[2].lines, LineAccounting::default());
}

#[test]
fn progress_adds_up_and_patterns_apply() {
    use std::sync::atomic::{AtomicU64, Ordering};
    let text = "2023-04-11 20:34:00,635 INFO  [t] c - GET /rest-api/itsm/v1/dc/incident/data by TEST_RESTAPI -> 200 in 143 ms\n".repeat(1000);
    let done = Arc::new(AtomicU64::new(0));
    let counter = done.clone();
    let options = ScanOptions {
        dims: vec![Dim::User, Dim::Endpoint],
        message_pattern: Some(Arc::new(
            MessagePattern::new(r"(?P<method>[A-Z]+) (?P<path>\S+) by (?P<user>\S+) -> (?P<status>\d{3}) in (?P<duration>\d+) ms").unwrap(),
        )),
        chunk_bytes: 10_000,
        progress: Some(Arc::new(move |n| {
            counter.fetch_add(n, Ordering::Relaxed);
        })),
        ..ScanOptions::default()
    };
    let result = scan_bytes(&[text.clone().into_bytes()], &options);
    assert_eq!(done.load(Ordering::Relaxed), text.len() as u64);
    assert_eq!(result.calls.groups.len(), 1);
    assert_eq!(
        result.calls.groups[0].key,
        ["TEST_RESTAPI", "GET /dc/incident/data"]
    );
    assert_eq!(result.calls.groups[0].stats.latency.p50(), Some(143_000));
    assert!(format!("{options:?}").contains("by (?P<user>"));
}

/// Throughput of the whole pipeline on a generated log, in release builds:
/// `cargo test --release --lib scan::tests::throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn throughput() {
    let dir = tempfile::tempdir().unwrap();
    let args = crate::generate::GenerateArgs {
        seed: 1,
        weeks: 4,
        calls_per_hour: 120,
        size: Some(std::env::var("ESMLOG_BENCH_SIZE").unwrap_or_else(|_| "400MB".into())),
        start: "2023-10-10".parse().unwrap(),
        ..crate::generate::GenerateArgs::new(dir.path().to_path_buf())
    };
    crate::generate::generate(&args).unwrap();
    let path = dir.path().join("integration.log");
    let bytes = std::fs::metadata(&path).unwrap().len();
    for threads in [1, 2] {
        for dims in [
            vec![],
            vec![Dim::User, Dim::Endpoint, Dim::Status, Dim::Hour],
        ] {
            let options = ScanOptions {
                dims: dims.clone(),
                ..ScanOptions::default()
            };
            let started = std::time::Instant::now();
            let result = pool(threads).install(|| scan(inputs_of(&[&path]), &options));
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "{threads} thread(s), dims {dims:?}: {} MB in {seconds:.2} s = {:.0} MB/s ({} calls)",
                bytes / 1_000_000,
                bytes as f64 / 1e6 / seconds,
                result.calls.totals.calls
            );
        }
    }
}
