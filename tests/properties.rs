//! Property tests of the usage pipeline: interval deltas add up to period totals, and how
//! the lines are spread over files (order, overlaps, duplicates) changes no figure.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use esmlog::calendar::DateRange;
use esmlog::clock::ServerClock;
use esmlog::report::monthly::monthly_report;
use esmlog::report::weekly::weekly_report;
use esmlog::report::UsageOptions;
use esmlog::usage::load::{parse_usage_bytes, UsageFile};
use esmlog::usage::period::{build_timeline, PeriodStatus};
use proptest::prelude::*;

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
        range: DateRange::default(),
        quota: None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn interval_deltas_sum_to_period_totals(plans in prop::collection::vec(period_plan(), 1..6)) {
        let timeline = build_timeline(&files_of(&[render(&plans)]), ServerClock::PeriodOffsets);
        prop_assert_eq!(timeline.periods.len(), plans.len());
        prop_assert!(timeline.anomalies.is_empty(), "{:?}", timeline.anomalies);
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
        prop_assert!(total.consumed <= observed && observed <= total.consumed_max);
        let monthly = monthly_report(&timeline, &options(), None).unwrap();
        let month_total = monthly.total.unwrap();
        prop_assert_eq!(month_total.consumed, observed);
        prop_assert!(month_total.consumed_min <= observed && observed <= month_total.consumed_max);
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
        let whole = build_timeline(&files_of(std::slice::from_ref(&lines)), ServerClock::PeriodOffsets);

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
        let split = build_timeline(&files_of(&parts), ServerClock::PeriodOffsets);
        prop_assert_eq!(&whole.intervals, &split.intervals);
        prop_assert_eq!(weekly_report(&whole, &options(), None).unwrap(), weekly_report(&split, &options(), None).unwrap());
        prop_assert_eq!(monthly_report(&whole, &options(), None).unwrap(), monthly_report(&split, &options(), None).unwrap());
    }
}
