//! From usage intervals to per-bucket figures: intervals are cut at bucket edges (in
//! proportion to time where one straddles an edge), and polars sums the pieces per bucket.

use crate::calendar::{DateRange, Grain};
use crate::clock::ServerClock;
use crate::usage::period::{Interval, Moment, PeriodStatus, Tail, Timeline};
use chrono::{Duration, NaiveDate, NaiveDateTime};
use polars::prelude::*;

/// A final line stamped this soon after a bucket edge still closes the bucket before it: ESM
/// resets its statistics at Monday 00:00 and writes the week's total a few milliseconds later.
pub const RESET_GRACE: Duration = Duration::seconds(60);

/// The share of one interval (or tail) that falls in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piece {
    pub bucket: NaiveDateTime,
    pub period: u32,
    pub status: PeriodStatus,
    /// Calls of intervals wholly inside the bucket.
    pub consumed_firm: u64,
    /// This bucket's share, in proportion to time, of an interval that straddles its edge.
    pub consumed_share: u64,
    /// The whole of such a straddling interval: all of it may have fallen in this bucket.
    pub consumed_spread: u64,
    /// Unobserved calls after an interrupted or open period's last line.
    pub consumed_tail: u64,
    pub rejected_firm: u64,
    pub rejected_share: u64,
}

/// Figures of one bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketTotals {
    pub start: NaiveDateTime,
    /// Calls certainly in the bucket.
    pub consumed_min: u64,
    /// Best estimate: certain calls plus proportional shares of straddling intervals.
    pub consumed_est: u64,
    /// The most calls the bucket can hold.
    pub consumed_max: u64,
    pub rejected_min: u64,
    pub rejected_est: u64,
    /// Distinct periods contributing.
    pub periods: u32,
    /// The least final status among them (open over interrupted over complete).
    pub status: PeriodStatus,
}

impl BucketTotals {
    pub fn exact(&self) -> bool {
        self.consumed_min == self.consumed_max && self.status == PeriodStatus::Complete
    }
}

/// Cuts every interval and tail of the timeline into bucket pieces within `range`.
pub fn pieces(
    timeline: &Timeline,
    clock: ServerClock,
    grain: Grain,
    range: DateRange,
) -> Vec<Piece> {
    let mut out = Vec::with_capacity(timeline.intervals.len() + timeline.tails.len());
    for interval in &timeline.intervals {
        let period = &timeline.periods[interval.period];
        let offset = *period.since.offset();
        interval_pieces(
            interval,
            period.status,
            clock,
            offset,
            grain,
            range,
            &mut out,
        );
    }
    for tail in &timeline.tails {
        tail_pieces(
            tail,
            timeline.periods[tail.period].status,
            grain,
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
    grain: Grain,
    range: DateRange,
    out: &mut Vec<Piece>,
) {
    let start = interval.start;
    let mut end = interval.end;
    let instant_of = |local: NaiveDateTime| clock.instant(local, offset, Some(start.instant));
    if interval.closes_period {
        let edge = grain.floor(end.local);
        if start.local < edge && end.local - edge <= RESET_GRACE {
            let local = edge - Duration::milliseconds(1);
            end = Moment {
                local,
                instant: instant_of(local),
            };
        }
    }
    let mut edges: Vec<NaiveDateTime> = Vec::new();
    let midnight = |d: NaiveDate| d.and_time(chrono::NaiveTime::MIN);
    let mut edge = grain.next(grain.floor(start.local));
    while edge < end.local {
        edges.push(edge);
        edge = grain.next(edge);
    }
    edges.extend(
        range
            .edges()
            .map(midnight)
            .filter(|e| start.local < *e && *e < end.local),
    );
    edges.sort();
    edges.dedup();

    let base = Piece {
        bucket: grain.floor(start.local),
        period: interval.period as u32,
        status,
        consumed_firm: 0,
        consumed_share: 0,
        consumed_spread: 0,
        consumed_tail: 0,
        rejected_firm: 0,
        rejected_share: 0,
    };
    if edges.is_empty() {
        if range.contains(start.local.date()) {
            out.push(Piece {
                consumed_firm: interval.consumed,
                rejected_firm: interval.rejected,
                ..base
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
    let starts = std::iter::once(start.local).chain(edges.iter().copied());
    for (i, local) in starts.enumerate() {
        if !range.contains(local.date()) {
            continue;
        }
        out.push(Piece {
            bucket: grain.floor(local),
            consumed_share: consumed[i],
            consumed_spread: interval.consumed,
            rejected_share: rejected[i],
            ..base
        });
    }
}

fn tail_pieces(
    tail: &Tail,
    status: PeriodStatus,
    grain: Grain,
    range: DateRange,
    out: &mut Vec<Piece>,
) {
    if tail.consumed_max == 0 {
        return;
    }
    // The unobserved calls happened somewhere between the last line and the next period's
    // start (or, for the open period, after the last line): every bucket in that stretch may
    // hold all of them.
    let first = grain.floor(tail.start.local);
    let last = tail.end.map_or(first, |e| grain.floor(e.local).max(first));
    let mut bucket = first;
    while bucket <= last {
        let from = bucket.max(tail.start.local).date();
        let to = (grain.next(bucket) - Duration::milliseconds(1)).date();
        let in_range = range.contains(from) || range.contains(to) || range.within(from, to);
        if in_range {
            out.push(Piece {
                bucket,
                period: tail.period as u32,
                status,
                consumed_firm: 0,
                consumed_share: 0,
                consumed_spread: 0,
                consumed_tail: tail.consumed_max,
                rejected_firm: 0,
                rejected_share: 0,
            });
        }
        bucket = grain.next(bucket);
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
        PeriodStatus::Open => 2,
    }
}

fn status_from_code(code: u64) -> PeriodStatus {
    match code {
        0 => PeriodStatus::Complete,
        1 => PeriodStatus::Interrupted,
        _ => PeriodStatus::Open,
    }
}

/// Bucket starts as seconds since 1970 on the wall clock, the frame's grouping key.
fn bucket_key(start: NaiveDateTime) -> i64 {
    start.and_utc().timestamp()
}

fn bucket_of_key(key: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp(key, 0)
        .unwrap_or_default()
        .naive_utc()
}

fn pieces_frame(pieces: &[Piece]) -> PolarsResult<DataFrame> {
    let keys: Vec<i64> = pieces.iter().map(|p| bucket_key(p.bucket)).collect();
    let u64_column = |name: &str, f: fn(&Piece) -> u64| {
        Column::new(name.into(), pieces.iter().map(f).collect::<Vec<u64>>())
    };
    DataFrame::new(
        pieces.len(),
        vec![
            Column::new("bucket".into(), keys),
            Column::new(
                "period".into(),
                pieces.iter().map(|p| p.period).collect::<Vec<u32>>(),
            ),
            Column::new(
                "status".into(),
                pieces
                    .iter()
                    .map(|p| status_code(p.status))
                    .collect::<Vec<u32>>(),
            ),
            u64_column("consumed_firm", |p| p.consumed_firm),
            u64_column("consumed_share", |p| p.consumed_share),
            u64_column("consumed_spread", |p| p.consumed_spread),
            u64_column("consumed_tail", |p| p.consumed_tail),
            u64_column("rejected_firm", |p| p.rejected_firm),
            u64_column("rejected_share", |p| p.rejected_share),
        ],
    )
}

/// The aggregations shared by the per-bucket roll-up and the grand total.
fn totals_exprs() -> Vec<Expr> {
    vec![
        col("consumed_firm").sum().alias("consumed_min"),
        (col("consumed_firm") + col("consumed_share"))
            .sum()
            .alias("consumed_est"),
        (col("consumed_firm") + col("consumed_spread") + col("consumed_tail"))
            .sum()
            .alias("consumed_max"),
        col("rejected_firm").sum().alias("rejected_min"),
        (col("rejected_firm") + col("rejected_share"))
            .sum()
            .alias("rejected_est"),
        col("period")
            .n_unique()
            .cast(DataType::UInt32)
            .alias("periods"),
        col("status").max().alias("status"),
    ]
}

fn read_totals(df: &DataFrame, row: usize, start: NaiveDateTime) -> PolarsResult<BucketTotals> {
    let u64_at = |name: &str| -> PolarsResult<u64> {
        Ok(df
            .column(name)?
            .cast(&DataType::UInt64)?
            .u64()?
            .get(row)
            .unwrap_or(0))
    };
    Ok(BucketTotals {
        start,
        consumed_min: u64_at("consumed_min")?,
        consumed_est: u64_at("consumed_est")?,
        consumed_max: u64_at("consumed_max")?,
        rejected_min: u64_at("rejected_min")?,
        rejected_est: u64_at("rejected_est")?,
        periods: u64_at("periods")? as u32,
        status: status_from_code(u64_at("status")?),
    })
}

/// Sums the pieces per bucket, in bucket order, and over all buckets.
pub fn roll_up(pieces: &[Piece]) -> PolarsResult<(Vec<BucketTotals>, Option<BucketTotals>)> {
    if pieces.is_empty() {
        return Ok((Vec::new(), None));
    }
    let frame = pieces_frame(pieces)?;
    let by_bucket = frame
        .clone()
        .lazy()
        .group_by([col("bucket")])
        .agg(totals_exprs())
        .sort(["bucket"], SortMultipleOptions::default())
        .collect()?;
    let keys = by_bucket.column("bucket")?.i64()?;
    let mut rows = Vec::with_capacity(by_bucket.height());
    for row in 0..by_bucket.height() {
        let start = bucket_of_key(keys.get(row).unwrap_or(0));
        rows.push(read_totals(&by_bucket, row, start)?);
    }
    let total = frame.lazy().select(totals_exprs()).collect()?;
    let first = rows.first().map_or_else(|| bucket_of_key(0), |r| r.start);
    Ok((rows, Some(read_totals(&total, 0, first)?)))
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
