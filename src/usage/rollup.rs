//! From usage intervals to per-bucket figures: intervals are cut at bucket edges (in
//! proportion to time where one straddles an edge), gaps mark the buckets they touch, and
//! polars sums the pieces per bucket.

use crate::calendar::{Grain, TimeRange};
use crate::clock::ServerClock;
use crate::usage::period::{Gap, GapKind, Interval, Moment, PeriodStatus, Timeline};
use chrono::{Duration, NaiveDateTime};
use polars::prelude::*;

/// A final line stamped this soon after a bucket edge still closes the bucket before it: ESM
/// resets its statistics at Monday 00:00 and writes the week's total a few milliseconds later.
/// A bucket with no more than this uncovered is covered in full.
pub const RESET_GRACE: Duration = Duration::seconds(60);

/// How pieces are bucketed: by calendar grain, or all in one (for totals).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Buckets {
    Calendar(Grain),
    Whole,
}

impl Buckets {
    fn floor(self, t: NaiveDateTime) -> NaiveDateTime {
        match self {
            Buckets::Calendar(grain) => grain.floor(t),
            Buckets::Whole => NaiveDateTime::MIN,
        }
    }

    fn next(self, start: NaiveDateTime) -> NaiveDateTime {
        match self {
            Buckets::Calendar(grain) => grain.next(start),
            Buckets::Whole => NaiveDateTime::MAX,
        }
    }
}

/// The share of one interval (or gap) that falls in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub bucket: NaiveDateTime,
    pub period: u32,
    pub status: PeriodStatus,
    /// Calls of intervals wholly inside the bucket.
    pub consumed_firm: u64,
    /// This bucket's share, in proportion to time, of an interval that straddles its edge
    /// (or whose start is unknown).
    pub consumed_share: u64,
    /// The whole of such an interval: all of it may have fallen in this bucket.
    pub consumed_spread: u64,
    pub rejected_firm: u64,
    pub rejected_share: u64,
    /// 1 for a piece of a gap: calls the log cannot count may lie in the bucket.
    pub gaps: u32,
    /// For a gap: the most consumed calls it holds if the server restarted once in it (the
    /// gaps cut into pieces all have such a bound; stretches not in the input are not cut).
    pub gap_max_if_one_restart: u64,
    /// The wall-clock stretch of the bucket the interval covers; none for gaps.
    pub covered: Option<(NaiveDateTime, NaiveDateTime)>,
}

impl Piece {
    fn empty(bucket: NaiveDateTime, period: usize, status: PeriodStatus) -> Piece {
        Piece {
            bucket,
            period: period as u32,
            status,
            consumed_firm: 0,
            consumed_share: 0,
            consumed_spread: 0,
            rejected_firm: 0,
            rejected_share: 0,
            gaps: 0,
            gap_max_if_one_restart: 0,
            covered: None,
        }
    }
}

/// The stretch of a bucket the usage log speaks of.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Coverage {
    /// The first and last moment covered in the bucket (server wall clock).
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    /// Covered time over the bucket's time (within --since/--until), 0 to 1.
    pub share: f64,
    /// Nothing of the bucket is left uncovered but for a minute at most.
    #[serde(skip)]
    pub full: bool,
}

/// Figures of one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketTotals {
    pub start: NaiveDateTime,
    /// Calls certainly in the bucket.
    pub consumed_min: u64,
    /// Best estimate: certain calls plus proportional shares of straddling intervals (calls
    /// in gaps, which the log cannot count, are not in it).
    pub consumed_est: u64,
    /// The most calls the bucket can hold within the log's span; none when a gap touches it.
    pub consumed_max: Option<u64>,
    /// The most it can hold if the server restarted at most once in each gap touching it;
    /// none without gaps.
    pub consumed_max_if_one_restart: Option<u64>,
    pub rejected_min: u64,
    pub rejected_est: u64,
    /// Distinct periods contributing.
    pub periods: u32,
    /// The least final status among them.
    pub status: PeriodStatus,
    /// Gaps that touch the bucket.
    pub gaps: u32,
    pub coverage: Option<Coverage>,
}

impl BucketTotals {
    /// Whether the consumed count of the covered stretch is proven by the log.
    pub fn exact(&self) -> bool {
        self.consumed_max == Some(self.consumed_min)
    }

    /// Whether the log covers the whole bucket.
    pub fn full(&self) -> bool {
        self.coverage.is_some_and(|c| c.full)
    }

    /// How far the true count can lie from the estimate, when both bounds are known: the
    /// one meaning of `±` in every output.
    pub fn plus_minus(&self) -> Option<u64> {
        self.consumed_max.map(|max| {
            (self.consumed_est - self.consumed_min).max(max.saturating_sub(self.consumed_est))
        })
    }
}

/// Cuts every interval and gap of the timeline into bucket pieces within `range`.
pub fn pieces(
    timeline: &Timeline,
    clock: ServerClock,
    grain: Grain,
    range: TimeRange,
) -> Vec<Piece> {
    cut(timeline, clock, Buckets::Calendar(grain), range)
}

fn cut(timeline: &Timeline, clock: ServerClock, buckets: Buckets, range: TimeRange) -> Vec<Piece> {
    let mut out = Vec::with_capacity(timeline.intervals.len() + timeline.gaps.len());
    for interval in &timeline.intervals {
        let period = &timeline.periods[interval.period];
        let offset = *period.since.offset();
        interval_pieces(
            interval,
            period.status,
            clock,
            offset,
            buckets,
            range,
            &mut out,
        );
    }
    // A stretch not in the input is not counted at all: the buckets it touches are partial.
    for gap in timeline
        .gaps
        .iter()
        .filter(|g| g.kind != GapKind::NotInInput)
    {
        gap_pieces(
            gap,
            timeline.periods[gap.period].status,
            buckets,
            range,
            &mut out,
        );
    }
    out
}

fn interval_pieces(
    interval: &Interval,
    status: PeriodStatus,
    clock: ServerClock,
    offset: chrono::FixedOffset,
    buckets: Buckets,
    range: TimeRange,
    out: &mut Vec<Piece>,
) {
    let start = interval.start;
    let mut end = interval.end;
    let instant_of = |local: NaiveDateTime| clock.instant(local, offset, Some(start.instant));
    if interval.closes_period {
        let edge = buckets.floor(end.local);
        if start.local < edge && end.local - edge <= RESET_GRACE {
            let local = edge - Duration::milliseconds(1);
            end = Moment {
                local,
                instant: instant_of(local),
            };
        }
    }
    let mut edges: Vec<NaiveDateTime> = Vec::new();
    let mut edge = buckets.next(buckets.floor(start.local));
    while edge < end.local {
        edges.push(edge);
        edge = buckets.next(edge);
    }
    // The range's ends cut intervals as bucket edges do: the part outside is left out, and
    // an interval across an end is shared in proportion to time, so that a window that
    // cuts an interval keeps its share as an estimate and all of it as the upper bound.
    edges.extend(range.edges().filter(|e| start.local < *e && *e < end.local));
    edges.sort();
    edges.dedup();

    let base = Piece::empty(buckets.floor(start.local), interval.period, status);
    let covers = |from: NaiveDateTime, to: NaiveDateTime| {
        // An interval whose start is unknown covers only its end: when its calls happened
        // the log does not say.
        let from = if interval.start_known { from } else { to };
        Some((from, to))
    };
    if edges.is_empty() {
        if range.contains(start.local) {
            out.push(if interval.start_known {
                Piece {
                    consumed_firm: interval.consumed,
                    rejected_firm: interval.rejected,
                    covered: covers(start.local, end.local),
                    ..base
                }
            } else {
                Piece {
                    consumed_share: interval.consumed,
                    consumed_spread: interval.consumed,
                    rejected_share: interval.rejected,
                    covered: covers(start.local, end.local),
                    ..base
                }
            });
        }
        return;
    }

    // Split in proportion to elapsed time; largest remainders keep the parts summing exactly.
    let mut bounds = vec![start.instant];
    bounds.extend(edges.iter().map(|e| instant_of(*e)));
    bounds.push(end.instant);
    let durations: Vec<u64> = bounds
        .windows(2)
        .map(|w| (w[1] - w[0]).max(0) as u64)
        .collect();
    let consumed = proportional(interval.consumed, &durations);
    let rejected = proportional(interval.rejected, &durations);
    let starts: Vec<NaiveDateTime> = std::iter::once(start.local)
        .chain(edges.iter().copied())
        .collect();
    let ends = edges.iter().copied().chain(std::iter::once(end.local));
    for (i, (local, to)) in starts.iter().zip(ends).enumerate() {
        if !range.contains(*local) {
            continue;
        }
        out.push(Piece {
            bucket: buckets.floor(*local),
            consumed_share: consumed[i],
            consumed_spread: interval.consumed,
            rejected_share: rejected[i],
            covered: if interval.start_known || i + 1 == starts.len() {
                covers(*local, to)
            } else {
                None
            },
            ..base
        });
    }
}

fn gap_pieces(
    gap: &Gap,
    status: PeriodStatus,
    buckets: Buckets,
    range: TimeRange,
    out: &mut Vec<Piece>,
) {
    // The calls the log cannot count happened somewhere in the gap: every bucket it touches
    // may hold all of them.
    let first = buckets.floor(gap.from.local);
    // A gap that ends at a reset just after a bucket's edge (ESM resets at Monday 00:00)
    // holds calls of the bucket before it, as a closing line does.
    let to_edge = buckets.floor(gap.to.local);
    let last = if to_edge > first && gap.to.local - to_edge <= RESET_GRACE {
        to_edge - Duration::milliseconds(1)
    } else {
        gap.to.local
    };
    let last = buckets.floor(last).max(first);
    let mut bucket = first;
    while bucket <= last {
        let from = bucket.max(gap.from.local);
        let to = buckets
            .next(bucket)
            .min(gap.to.local + Duration::milliseconds(1))
            - Duration::milliseconds(1);
        if range.overlaps(from, to) {
            out.push(Piece {
                gaps: 1,
                gap_max_if_one_restart: gap.consumed_max_if_one_restart.unwrap_or(0),
                ..Piece::empty(bucket, gap.period, status)
            });
        }
        if bucket == NaiveDateTime::MIN || buckets.next(bucket) == NaiveDateTime::MAX {
            break;
        }
        bucket = buckets.next(bucket);
    }
}

/// Splits `total` in proportion to `weights` (all to the last part when they are all zero).
pub fn proportional(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        let mut parts = vec![0; weights.len()];
        if let Some(last) = parts.last_mut() {
            *last = total;
        }
        return parts;
    }
    let exact: Vec<(u64, u128)> = weights
        .iter()
        .map(|&w| {
            let num = u128::from(total) * u128::from(w);
            ((num / sum) as u64, num % sum)
        })
        .collect();
    let mut parts: Vec<u64> = exact.iter().map(|e| e.0).collect();
    let mut left = total - parts.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for i in order {
        if left == 0 {
            break;
        }
        parts[i] += 1;
        left -= 1;
    }
    parts
}

fn status_code(status: PeriodStatus) -> u32 {
    match status {
        PeriodStatus::Complete => 0,
        PeriodStatus::Interrupted => 1,
        PeriodStatus::TotalLost => 2,
        PeriodStatus::Open => 3,
    }
}

fn status_from_code(code: u64) -> PeriodStatus {
    match code {
        0 => PeriodStatus::Complete,
        1 => PeriodStatus::Interrupted,
        2 => PeriodStatus::TotalLost,
        _ => PeriodStatus::Open,
    }
}

/// Wall-clock times as milliseconds since 1970, the frame's keys.
fn key_of(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_millis()
}

fn time_of_key(key: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_millis(key)
        .unwrap_or_default()
        .naive_utc()
}

fn pieces_frame(pieces: &[Piece]) -> PolarsResult<DataFrame> {
    let u64_column = |name: &str, f: fn(&Piece) -> u64| {
        Column::new(name.into(), pieces.iter().map(f).collect::<Vec<u64>>())
    };
    let u32_column = |name: &str, f: fn(&Piece) -> u32| {
        Column::new(name.into(), pieces.iter().map(f).collect::<Vec<u32>>())
    };
    let covered = |name: &str, f: fn((NaiveDateTime, NaiveDateTime)) -> i64| {
        Column::new(
            name.into(),
            pieces
                .iter()
                .map(|p| p.covered.map(f))
                .collect::<Vec<Option<i64>>>(),
        )
    };
    DataFrame::new(
        pieces.len(),
        vec![
            Column::new(
                "bucket".into(),
                pieces
                    .iter()
                    .map(|p| key_of(p.bucket))
                    .collect::<Vec<i64>>(),
            ),
            u32_column("period", |p| p.period),
            u32_column("status", |p| status_code(p.status)),
            u64_column("consumed_firm", |p| p.consumed_firm),
            u64_column("consumed_share", |p| p.consumed_share),
            u64_column("consumed_spread", |p| p.consumed_spread),
            u64_column("rejected_firm", |p| p.rejected_firm),
            u64_column("rejected_share", |p| p.rejected_share),
            u32_column("gaps", |p| p.gaps),
            u64_column("gap_max", |p| p.gap_max_if_one_restart),
            covered("covered_from", |(from, _)| key_of(from)),
            covered("covered_to", |(_, to)| key_of(to)),
            covered("covered_ms", |(from, to)| (to - from).num_milliseconds()),
        ],
    )
}

/// The aggregations of a bucket's pieces.
fn totals_exprs() -> Vec<Expr> {
    vec![
        col("consumed_firm").sum().alias("consumed_min"),
        (col("consumed_firm") + col("consumed_share"))
            .sum()
            .alias("consumed_est"),
        (col("consumed_firm") + col("consumed_spread"))
            .sum()
            .alias("consumed_max"),
        col("gap_max").sum().alias("gap_max"),
        col("gaps").sum().alias("gaps"),
        col("rejected_firm").sum().alias("rejected_min"),
        (col("rejected_firm") + col("rejected_share"))
            .sum()
            .alias("rejected_est"),
        // A gap's piece names the period before it, which need not be in the bucket.
        col("period")
            .filter(col("gaps").eq(lit(0u32)))
            .n_unique()
            .cast(DataType::UInt32)
            .alias("periods"),
        col("status").max().alias("status"),
        col("covered_from").min().alias("covered_from"),
        col("covered_to").max().alias("covered_to"),
        col("covered_ms").sum().alias("covered_ms"),
    ]
}

/// Reads one aggregated row; `span` is the bucket's stretch within the range, against
/// which coverage is measured.
fn read_totals(
    df: &DataFrame,
    row: usize,
    start: NaiveDateTime,
    span: (NaiveDateTime, NaiveDateTime),
    servers: u32,
) -> PolarsResult<BucketTotals> {
    let u64_at = |name: &str| -> PolarsResult<u64> {
        Ok(df
            .column(name)?
            .cast(&DataType::UInt64)?
            .u64()?
            .get(row)
            .unwrap_or(0))
    };
    let i64_at = |name: &str| -> PolarsResult<Option<i64>> {
        Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.get(row))
    };
    let gaps = u64_at("gaps")? as u32;
    let max = u64_at("consumed_max")?;
    let coverage = match (i64_at("covered_from")?, i64_at("covered_to")?) {
        (Some(from), Some(to)) => {
            let covered = i64_at("covered_ms")?.unwrap_or(0).max(0);
            // Each server covers the calendar on its own.
            let whole = (span.1 - span.0).num_milliseconds().max(1) * i64::from(servers.max(1));
            Some(Coverage {
                from: time_of_key(from),
                to: time_of_key(to),
                share: ((covered as f64 / whole as f64).min(1.0) * 1e4).round() / 1e4,
                full: whole - covered <= RESET_GRACE.num_milliseconds() * i64::from(servers.max(1)),
            })
        }
        _ => None,
    };
    Ok(BucketTotals {
        start,
        consumed_min: u64_at("consumed_min")?,
        consumed_est: u64_at("consumed_est")?,
        consumed_max: (gaps == 0).then_some(max),
        consumed_max_if_one_restart: (gaps > 0).then(|| max + u64_at("gap_max").unwrap_or(0)),
        rejected_min: u64_at("rejected_min")?,
        rejected_est: u64_at("rejected_est")?,
        periods: u64_at("periods")? as u32,
        status: status_from_code(u64_at("status")?),
        gaps,
        coverage,
    })
}

/// The part of the bucket starting at `start` that lies in the range.
fn span_in_range(
    buckets: Buckets,
    start: NaiveDateTime,
    range: TimeRange,
) -> (NaiveDateTime, NaiveDateTime) {
    let from = range.from.map_or(start, |s| start.max(s));
    let end = buckets.next(start);
    let to = range.to.map_or(end, |u| end.min(u));
    (from, to)
}

/// The figures of each `grain` bucket within `range`, in time order, and of the whole range
/// (where an interval that straddles a bucket edge inside the range counts once, whole).
pub fn roll_up(
    timeline: &Timeline,
    clock: ServerClock,
    grain: Grain,
    range: TimeRange,
) -> PolarsResult<(Vec<BucketTotals>, Option<BucketTotals>)> {
    let pieces = cut(timeline, clock, Buckets::Calendar(grain), range);
    if pieces.is_empty() {
        return Ok((Vec::new(), None));
    }
    let by_bucket = pieces_frame(&pieces)?
        .lazy()
        .group_by([col("bucket")])
        .agg(totals_exprs())
        .sort(["bucket"], SortMultipleOptions::default())
        .collect()?;
    let keys = by_bucket.column("bucket")?.i64()?;
    let mut rows = Vec::with_capacity(by_bucket.height());
    for row in 0..by_bucket.height() {
        let start = time_of_key(keys.get(row).unwrap_or(0));
        let span = span_in_range(Buckets::Calendar(grain), start, range);
        rows.push(read_totals(&by_bucket, row, start, span, timeline.servers)?);
    }
    let whole = pieces_frame(&cut(timeline, clock, Buckets::Whole, range))?
        .lazy()
        .select(totals_exprs())
        .collect()?;
    let first = rows.first().map_or(NaiveDateTime::MIN, |r| r.start);
    let span = (
        span_in_range(Buckets::Calendar(grain), first, range).0,
        rows.last().map_or(first, |r| {
            span_in_range(Buckets::Calendar(grain), r.start, range).1
        }),
    );
    Ok((
        rows,
        Some(read_totals(&whole, 0, first, span, timeline.servers)?),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proportional_parts_sum_to_total() {
        assert_eq!(proportional(1000, &[1, 1]), vec![500, 500]);
        assert_eq!(proportional(1000, &[1, 2]), vec![333, 667]);
        assert_eq!(proportional(10, &[0, 0]), vec![0, 10]);
        assert_eq!(proportional(7, &[3, 3, 3]), vec![3, 2, 2]);
        for total in [0u64, 1, 999, 1000, 123_457] {
            let parts = proportional(total, &[17, 3600, 86_400_000, 1]);
            assert_eq!(parts.iter().sum::<u64>(), total);
        }
    }
}
