//! Random server histories against their truth: a simulated ESM server takes calls, resets
//! every Monday, restarts at random (also before a period's first 1000 calls, so that whole
//! periods leave no line), loses lines, and has its log rotated into overlapping files given
//! in any order. Whatever happened, every exact figure equals the truth and every bound
//! holds it.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use esmlog::calendar::{Grain, TimeRange};
use esmlog::clock::ServerClock;
use esmlog::usage::load::parse_usage_bytes;
use esmlog::usage::period::build_timeline;
use esmlog::usage::rollup::{roll_up, BucketTotals};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// One simulated history: the server's calls per minute (as a pattern), restarts, lost lines
/// and how its log was cut into files.
#[derive(Debug, Clone)]
struct History {
    /// Minutes the simulation runs.
    minutes: i64,
    /// Successful calls a minute in working hours, and rejected ones.
    busy: (u64, u64),
    /// Minutes (from the start) at which the server restarts, and how long it is down.
    restarts: Vec<(i64, i64)>,
    /// Indexes (modulo the line count) of usage lines lost.
    lost: Vec<usize>,
    /// Cut points (shares of the line count) of the files, and how many lines each file
    /// repeats from the one before.
    cuts: Vec<(f64, usize)>,
}

fn history() -> impl Strategy<Value = History> {
    (
        2_000i64..30_000,
        (0u64..40, 0u64..6),
        prop::collection::vec((1i64..30_000, 1i64..600), 0..6),
        prop::collection::vec(0usize..10_000, 0..3),
        prop::collection::vec((0.0f64..1.0, 0usize..5), 0..3),
    )
        .prop_map(|(minutes, busy, restarts, lost, cuts)| History {
            minutes,
            busy,
            restarts,
            lost,
            cuts,
        })
}

/// What really happened: successful calls per minute, and the usage log ESM wrote.
struct Simulated {
    calls: BTreeMap<NaiveDateTime, u64>,
    lines: Vec<String>,
}

fn stamp(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

fn since(t: NaiveDateTime) -> String {
    format!("{}+0200", t.format("%Y-%m-%dT%H:%M:%S"))
}

/// Runs the server minute by minute, writing usage lines as ESM does: one each 1000
/// consumed, the final total and `Statistics reset` at Monday 00:00.
fn simulate(h: &History) -> Simulated {
    // A Tuesday in winter: one offset (+02:00) throughout.
    let start = NaiveDate::from_ymd_opt(2023, 11, 7)
        .unwrap()
        .and_hms_opt(10, 17, 0)
        .unwrap();
    let mut calls = BTreeMap::new();
    let mut lines = Vec::new();
    let (mut consumed, mut rejected) = (0u64, 0u64);
    let mut period_since = start;
    let mut down_until = start;
    for m in 0..h.minutes {
        let t = start + Duration::minutes(m);
        if t < down_until {
            continue;
        }
        if let Some((_, down)) = h.restarts.iter().find(|(at, _)| *at == m) {
            // The counters are lost; the next period starts when the server is back.
            down_until = t + Duration::minutes(*down);
            period_since = down_until;
            consumed = 0;
            rejected = 0;
            continue;
        }
        if t.weekday() == chrono::Weekday::Mon && t.hour() == 0 && t.minute() == 0 {
            lines.push(format!(
                "{}|Usage,consumed,{consumed},rejected,{rejected},since,{}",
                stamp(t + Duration::milliseconds(144)),
                since(period_since)
            ));
            lines.push(format!(
                "{}|Statistics reset",
                stamp(t + Duration::milliseconds(145))
            ));
            period_since = t;
            consumed = 0;
            rejected = 0;
            // Nothing in Monday's first minute, when ESM resets.
            continue;
        }
        // Busy in working hours, a trickle at night.
        let working = (8..18).contains(&t.hour()) && t.weekday().num_days_from_monday() < 5;
        let (ok, bad) = if working {
            h.busy
        } else {
            (u64::from(m % 7 == 0), 0)
        };
        let at = t + Duration::seconds(30);
        for _ in 0..ok {
            consumed += 1;
            if consumed % 1000 == 0 {
                lines.push(format!(
                    "{}|Usage,consumed,{consumed},rejected,{rejected},since,{}",
                    stamp(at),
                    since(period_since)
                ));
            }
        }
        rejected += bad;
        if ok > 0 {
            *calls.entry(t).or_default() += ok;
        }
    }
    Simulated { calls, lines }
}

/// The lines that survive, cut into overlapping files, newest first.
fn files(h: &History, lines: &[String]) -> Vec<(String, String)> {
    let mut kept: Vec<&String> = lines.iter().collect();
    for &lost in &h.lost {
        if !kept.is_empty() {
            kept.remove(lost % kept.len());
        }
    }
    let mut cuts: Vec<(usize, usize)> = h
        .cuts
        .iter()
        .map(|(share, overlap)| ((share * kept.len() as f64) as usize, *overlap))
        .collect();
    cuts.sort();
    let mut out = Vec::new();
    let mut from: usize = 0;
    for (i, (cut, overlap)) in cuts.into_iter().chain([(kept.len(), 0)]).enumerate() {
        let start = from.saturating_sub(overlap);
        let text: String = kept[start..cut.max(start)]
            .iter()
            .map(|l| format!("{l}\n"))
            .collect();
        out.push((format!("u.log.{i}"), text));
        from = cut.max(from);
    }
    out.reverse();
    out
}

/// Truth per bucket of `grain`.
fn truth(calls: &BTreeMap<NaiveDateTime, u64>, grain: Grain) -> BTreeMap<NaiveDateTime, u64> {
    let mut out = BTreeMap::new();
    for (t, n) in calls {
        *out.entry(grain.floor(*t)).or_default() += n;
    }
    out
}

fn check_buckets(rows: &[BucketTotals], truth: &BTreeMap<NaiveDateTime, u64>) {
    for row in rows {
        let real = truth.get(&row.start).copied().unwrap_or(0);
        assert!(
            row.consumed_min <= real,
            "{}: minimum {} above the truth {real}: {row:?}",
            row.start,
            row.consumed_min
        );
        if !row.full() {
            continue;
        }
        if let Some(max) = row.consumed_max {
            assert!(
                real <= max,
                "{}: maximum {max} below {real}: {row:?}",
                row.start
            );
        }
        if row.exact() {
            assert_eq!(row.consumed_min, real, "{} is exact: {row:?}", row.start);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_exact_figure_is_true_and_every_bound_holds(h in history()) {
        let simulated = simulate(&h);
        let parsed: Vec<_> = files(&h, &simulated.lines)
            .iter()
            .map(|(name, text)| parse_usage_bytes(name, text.as_bytes()))
            .collect();
        // One server's history, however cut and damaged, is one chain.
        let timeline = build_timeline(&parsed, ServerClock::PeriodOffsets)
            .expect("a single server's log was refused");
        for grain in [Grain::Day, Grain::Week, Grain::Month] {
            let (rows, total) =
                roll_up(&timeline, ServerClock::PeriodOffsets, grain, TimeRange::ALL)
                    .unwrap();
            check_buckets(&rows, &truth(&simulated.calls, grain));
            if let Some(total) = total {
                let all: u64 = simulated.calls.values().sum();
                prop_assert!(total.consumed_min <= all, "{total:?} above {all}");
            }
        }
    }
}

#[test]
fn a_quiet_week_with_a_lost_period_is_a_lower_bound_not_exact() {
    // A quiet server restarts on Friday, and again on Sunday before the period begun on
    // Friday reached 1000 calls: that period leaves no line, and the week cannot be exact.
    let h = History {
        minutes: 14 * 24 * 60,
        busy: (1, 0),
        restarts: vec![(3 * 24 * 60, 30), (5 * 24 * 60, 30)],
        lost: vec![],
        cuts: vec![],
    };
    let simulated = simulate(&h);
    let parsed: Vec<_> = files(&h, &simulated.lines)
        .iter()
        .map(|(name, text)| parse_usage_bytes(name, text.as_bytes()))
        .collect();
    let timeline = build_timeline(&parsed, ServerClock::PeriodOffsets).unwrap();
    let (weeks, _) = roll_up(
        &timeline,
        ServerClock::PeriodOffsets,
        Grain::Week,
        TimeRange::ALL,
    )
    .unwrap();
    let truth = truth(&simulated.calls, Grain::Week);
    check_buckets(&weeks, &truth);
    assert!(
        weeks.iter().any(|w| w.consumed_max.is_none() && !w.exact()),
        "{weeks:#?}"
    );
}
