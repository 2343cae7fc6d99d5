//! Property tests: interval deltas add up to period totals; how usage lines are spread over
//! files (order, overlaps, duplicates) changes no figure; splitting either kind of log at any
//! byte (reads of any size, blocks of any size) gives the same figures as one piece; and
//! generated integration.log entries, in any of several layouts, parse back to the calls the
//! generator wrote.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use esmlog::calendar::TimeRange;
use esmlog::clock::ServerClock;
use esmlog::generate::entry_writer::{EntryFields, EntryWriter};
use esmlog::integration::aggregate::Dim;
use esmlog::integration::layout::LayoutParser;
use esmlog::integration::scan::{scan_buffer, scan_readers, ScanOptions};
use esmlog::report::monthly::monthly_report;
use esmlog::report::weekly::weekly_report;
use esmlog::report::UsageOptions;
use esmlog::usage::load::parse_usage_reader;
use esmlog::usage::load::{parse_usage_bytes, UsageFile};
use esmlog::usage::period::{build_timeline, AnomalyKind, PeriodStatus};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::Arc;

/// One period: minutes from the previous period's end to its start, then per line the
/// minutes since the previous line and the rejected calls added; closed by a reset or not.
#[derive(Debug, Clone)]
struct PeriodPlan {
    gap_minutes: i64,
    lines: Vec<(i64, u64)>,
    reset: bool,
}

fn period_plan() -> impl Strategy<Value = PeriodPlan> {
    (
        1i64..5_000,
        prop::collection::vec((1i64..3_000, 0u64..40), 1..12),
        any::<bool>(),
    )
        .prop_map(|(gap_minutes, lines, reset)| PeriodPlan {
            gap_minutes,
            lines,
            reset,
        })
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

/// Writes the plans as usage-log lines (offset +03:00), in time order.
fn render(plans: &[PeriodPlan]) -> Vec<String> {
    let mut t = NaiveDate::from_ymd_opt(2023, 3, 1)
        .unwrap()
        .and_hms_opt(8, 0, 0)
        .unwrap();
    let mut lines = Vec::new();
    for plan in plans {
        t += Duration::minutes(plan.gap_minutes);
        let since = format!("{}+0300", t.format("%Y-%m-%dT%H:%M:%S"));
        let (mut consumed, mut rejected) = (0u64, 0u64);
        for (i, (minutes, more_rejected)) in plan.lines.iter().enumerate() {
            t += Duration::minutes(*minutes);
            consumed += if plan.reset && i + 1 == plan.lines.len() {
                537
            } else {
                1000
            };
            rejected += more_rejected;
            lines.push(format!(
                "{}|Usage,consumed,{consumed},rejected,{rejected},since,{since}",
                stamp(t)
            ));
        }
        if plan.reset {
            lines.push(format!(
                "{}|Statistics reset",
                stamp(t + Duration::milliseconds(1))
            ));
        }
        t += Duration::seconds(1);
    }
    lines
}

fn files_of(parts: &[Vec<String>]) -> Vec<UsageFile> {
    parts
        .iter()
        .enumerate()
        .map(|(i, lines)| {
            parse_usage_bytes(
                &format!("part{i}.log"),
                (lines.join("\n") + "\n").as_bytes(),
            )
        })
        .collect()
}

fn options() -> UsageOptions {
    UsageOptions {
        clock: ServerClock::PeriodOffsets,
        range: TimeRange::ALL,
        quota: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn interval_deltas_sum_to_period_totals(plans in prop::collection::vec(period_plan(), 1..6)) {
        let timeline = build_timeline(&files_of(&[render(&plans)]), ServerClock::PeriodOffsets).unwrap();
        prop_assert_eq!(timeline.periods.len(), plans.len());
        // The plans reset at any time, not on Mondays: that is the one rule they break.
        prop_assert!(
            timeline.anomalies.iter().all(|a| a.kind == AnomalyKind::MissingReset),
            "{:?}",
            timeline.anomalies
        );
        for (index, (period, plan)) in timeline.periods.iter().zip(&plans).enumerate() {
            let (consumed, rejected) = timeline
                .intervals
                .iter()
                .filter(|i| i.period == index)
                .fold((0, 0), |acc, i| (acc.0 + i.consumed, acc.1 + i.rejected));
            prop_assert_eq!(consumed, period.last().consumed);
            prop_assert_eq!(rejected, period.last().rejected);
            prop_assert_eq!(period.status == PeriodStatus::Complete, plan.reset);
        }
        // Weeks and months partition the same calls: their bounds hold the observed total.
        let observed: u64 = timeline.periods.iter().map(|p| p.last().consumed).sum();
        let weekly = weekly_report(&timeline, &options(), None).unwrap();
        let total = weekly.total.unwrap();
        prop_assert!(total.consumed <= observed);
        prop_assert!(total.figures.consumed_max.is_none_or(|max| observed <= max));
        let monthly = monthly_report(&timeline, &options(), None).unwrap();
        let month_total = monthly.total.unwrap();
        prop_assert_eq!(month_total.consumed, observed);
        prop_assert!(month_total.figures.consumed_min <= observed);
        prop_assert!(month_total.figures.consumed_max.is_none_or(|max| observed <= max));
    }

    #[test]
    fn shuffling_and_duplicating_files_changes_no_figure(
        plans in prop::collection::vec(period_plan(), 1..5),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        overlap in 0usize..4,
        order_seed in any::<u64>(),
        duplicate in any::<bool>(),
    ) {
        let lines = render(&plans);
        let whole = build_timeline(&files_of(std::slice::from_ref(&lines)), ServerClock::PeriodOffsets).unwrap();

        let mut edges: Vec<usize> = cuts.iter().map(|c| c.index(lines.len() + 1)).collect();
        edges.extend([0, lines.len()]);
        edges.sort();
        edges.dedup();
        let mut parts: Vec<Vec<String>> = edges
            .windows(2)
            .map(|w| lines[w[0].saturating_sub(overlap)..w[1]].to_vec())
            .collect();
        if duplicate {
            parts.push(parts[0].clone());
        }
        // A deterministic shuffle from the seed.
        let mut state = order_seed | 1;
        for i in (1..parts.len()).rev() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            parts.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let split = build_timeline(&files_of(&parts), ServerClock::PeriodOffsets).unwrap();
        prop_assert_eq!(&whole.intervals, &split.intervals);
        prop_assert_eq!(weekly_report(&whole, &options(), None).unwrap(), weekly_report(&split, &options(), None).unwrap());
        prop_assert_eq!(monthly_report(&whole, &options(), None).unwrap(), monthly_report(&split, &options(), None).unwrap());
    }
}

/// Hands out a buffer in pieces whose sizes cycle through `sizes`: the input cut at any byte,
/// as pipes, decompressors and short reads cut it.
struct Pieces {
    data: Vec<u8>,
    pos: usize,
    sizes: Vec<usize>,
    turn: usize,
}

impl Read for Pieces {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let size = self.sizes[self.turn % self.sizes.len()];
        self.turn += 1;
        let n = buf.len().min(size).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Layouts the generator writes and esmlog reads back.
const LAYOUTS: &[&str] = &[
    "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n",
    "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n",
    "%d{UNIX_MILLIS} %5p [%t] %c - %m%n",
    "%d|%m%n",
];

/// User names as written in quoted values (one with a blank, which needs the quotes).
const USERS: &[&str] = &["CRM_SYNC", "HR_IMPORT", "ASSET BRIDGE", "x"];

/// One line the generator writes: a call (minutes since the start, user, status), a
/// stack-trace line, a blank line, or an informational entry.
#[derive(Debug, Clone)]
enum Planned {
    Call {
        minute: i64,
        user: usize,
        status: u16,
    },
    Trace,
    Blank,
    Info {
        minute: i64,
    },
}

fn planned() -> impl Strategy<Value = Planned> {
    prop_oneof![
        6 => (0i64..3000, 0..USERS.len(), prop::sample::select(vec![200u16, 201, 204, 400, 404, 429, 500]))
            .prop_map(|(minute, user, status)| Planned::Call { minute, user, status }),
        1 => Just(Planned::Trace),
        1 => Just(Planned::Blank),
        1 => (0i64..3000).prop_map(|minute| Planned::Info { minute }),
    ]
}

/// The calls per user the generator wrote: (calls, successful, unsuccessful).
type Truth = BTreeMap<String, (u64, u64, u64)>;

/// Writes the plan in `layout` with `end` after every line (but the last when `open`).
fn write_plan(plan: &[Planned], layout: &str, end: &str, open: bool) -> (Vec<u8>, Truth) {
    let writer = EntryWriter::new(layout).unwrap();
    let start = NaiveDate::from_ymd_opt(2023, 10, 2)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap();
    let mut out = Vec::new();
    let mut truth = Truth::new();
    let mut entries = 0;
    for (i, line) in plan.iter().enumerate() {
        let mut text = Vec::new();
        let fields = |minute: i64, message: &str, text: &mut Vec<u8>| {
            writer
                .write(
                    text,
                    &EntryFields {
                        local: start + Duration::minutes(minute),
                        offset_seconds: 3 * 3600,
                        level: "INFO",
                        thread: "exec-1",
                        logger: "com.efecte.rest.RestApiLogger",
                        mdc: "r1",
                        message,
                    },
                )
                .unwrap();
            // The writer ends the entry with the layout's %n; the plan chooses line ends.
            while text.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                text.pop();
            }
        };
        match line {
            Planned::Call {
                minute,
                user,
                status,
            } => {
                let message = format!(
                    "user=\"{}\" method=GET path=/rest-api/itsm/v1/dc/incident/data/{i} status={status} duration=12ms",
                    USERS[*user]
                );
                fields(*minute, &message, &mut text);
                let row = truth.entry(USERS[*user].to_string()).or_default();
                row.0 += 1;
                if *status < 400 {
                    row.1 += 1
                } else {
                    row.2 += 1
                }
                entries += 1;
            }
            Planned::Info { minute } => {
                fields(*minute, "REST API module started", &mut text);
                entries += 1;
            }
            // Before the first entry a trace line would be an orphan: the plan starts with
            // an entry whenever it has one, so only count what the reader must see.
            Planned::Trace => text.extend_from_slice(b"\tat com.efecte.X.y(X.java:1)"),
            Planned::Blank => {}
        }
        out.extend_from_slice(&text);
        if !(open && i + 1 == plan.len()) {
            out.extend_from_slice(end.as_bytes());
        }
    }
    let _ = entries;
    (out, truth)
}

fn usage_text(plans: &[PeriodPlan]) -> Vec<u8> {
    let mut text = b"\xEF\xBB\xBF".to_vec();
    for (i, line) in render(plans).iter().enumerate() {
        text.extend_from_slice(line.as_bytes());
        text.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
        if i % 5 == 4 {
            text.extend_from_slice(b"not a usage line password=x\n\n");
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// integration.log read in pieces of any size, cut into blocks of any size, on two
    /// threads: the same line accounting, problems and calls as one pass over the whole.
    #[test]
    fn integration_log_split_anywhere_gives_the_same_figures(
        plan in prop::collection::vec(planned(), 0..80),
        layout in 0..LAYOUTS.len(),
        crlf in any::<bool>(),
        open in any::<bool>(),
        sizes in prop::collection::vec(1usize..300, 1..5),
        chunk_bytes in 1usize..2000,
        max_line_bytes in prop::sample::select(vec![40usize, 120, 1 << 20]),
    ) {
        let (bytes, _) = write_plan(&plan, LAYOUTS[layout], if crlf { "\r\n" } else { "\n" }, open);
        let options = ScanOptions {
            dims: vec![Dim::User, Dim::Status],
            chunk_bytes,
            max_line_bytes,
            ..ScanOptions::new(Arc::new(LayoutParser::compile(LAYOUTS[layout]).unwrap()))
        };
        let (whole, calls) = scan_buffer("f", &bytes, &options);
        prop_assert!(whole.lines.is_consistent(), "{:?}", whole.lines);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let stream = Pieces { data: bytes.clone(), pos: 0, sizes, turn: 0 };
        let split = pool.install(|| scan_readers(vec![("f".into(), Box::new(stream))], &options));
        prop_assert!(split.errors.is_empty());
        let file = &split.files[0];
        prop_assert_eq!(&file.lines, &whole.lines);
        prop_assert_eq!(file.problems.total, whole.problems.total);
        prop_assert_eq!(&file.problems.kept, &whole.problems.kept);
        prop_assert_eq!((file.first, file.last), (whole.first, whole.last));
        prop_assert_eq!(&split.calls, &calls);
    }

    /// Calls written by the generator in any layout and line end parse back to what it wrote,
    /// per user, and every line is accounted for.
    #[test]
    fn generated_calls_parse_back_to_the_truth(
        plan in prop::collection::vec(planned(), 1..80),
        layout in 0..LAYOUTS.len(),
        crlf in any::<bool>(),
        open in any::<bool>(),
    ) {
        let (bytes, truth) = write_plan(&plan, LAYOUTS[layout], if crlf { "\r\n" } else { "\n" }, open);
        let options = ScanOptions {
            dims: vec![Dim::User],
            chunk_bytes: 512,
            ..ScanOptions::new(Arc::new(LayoutParser::compile(LAYOUTS[layout]).unwrap()))
        };
        let result = scan_readers(vec![("f".into(), Box::new(io::Cursor::new(bytes)))], &options);
        let got: Truth = result
            .calls
            .groups
            .iter()
            .map(|g| (g.key[0].clone(), (g.stats.calls, g.stats.successful, g.stats.unsuccessful)))
            .collect();
        prop_assert_eq!(&got, &truth);
        let lines = &result.files[0].lines;
        let entries = plan.iter().filter(|p| matches!(p, Planned::Call { .. } | Planned::Info { .. })).count() as u64;
        let first_entry = plan.iter().position(|p| matches!(p, Planned::Call { .. } | Planned::Info { .. }));
        let traces = |range: &[Planned]| range.iter().filter(|p| matches!(p, Planned::Trace)).count() as u64;
        let (orphans, continuation) = match first_entry {
            Some(i) => (traces(&plan[..i]), traces(&plan[i..])),
            None => (traces(&plan), 0),
        };
        prop_assert_eq!(lines.entries, entries);
        prop_assert_eq!(lines.calls, truth.values().map(|r| r.0).sum::<u64>());
        prop_assert_eq!(lines.orphans, orphans);
        prop_assert_eq!(lines.continuation, continuation);
        // An empty last line without its line end is no line at all.
        let unwritten = open && matches!(plan.last(), Some(Planned::Blank));
        prop_assert_eq!(lines.lines, plan.len() as u64 - u64::from(unwritten));
        prop_assert!(lines.is_consistent());
    }

    /// A usage log streamed in pieces of any size, its sniffed head cut at any byte, gives
    /// the same lines and figures as the whole buffer: a BOM, CRLF, junk and blank lines.
    #[test]
    fn usage_log_split_anywhere_gives_the_same_figures(
        plans in prop::collection::vec(period_plan(), 1..4),
        head in any::<prop::sample::Index>(),
        capacity in 1usize..200,
    ) {
        let text = usage_text(&plans);
        let whole = parse_usage_bytes("u.log", &text);
        let cut = head.index(text.len() + 1);
        let reader = io::BufReader::with_capacity(
            capacity,
            io::Cursor::new(text[..cut].to_vec()).chain(io::Cursor::new(text[cut..].to_vec())),
        );
        let (split, result) = parse_usage_reader("u.log", reader);
        prop_assert!(result.is_ok());
        prop_assert_eq!(&split.records, &whole.records);
        prop_assert_eq!(&split.tally, &whole.tally);
        prop_assert_eq!(&split.problems.kept, &whole.problems.kept);
        prop_assert!(whole.tally.malformed > 0 || render(&plans).len() < 5);
        let timeline = build_timeline(&[split], ServerClock::PeriodOffsets).unwrap();
        prop_assert_eq!(timeline.periods.len(), plans.len());
    }
}
