//! The usage-log tables: periods, intervals, and the intervals cut at week and month edges
//! (`usage_buckets`), from the same timeline and the same cutting (`crate::usage::rollup::pieces`)
//! as `esmlog weekly` and `monthly`, so that summing `usage_buckets` in SQL gives their
//! figures to the transaction.

use super::{environment_dir, part_name, ExportError, ExportTable, Exporter, FileMeta};
use crate::calendar::{Grain, TimeRange};
use crate::clock::ServerClock;
use crate::usage::period::{Moment, Timeline};
use crate::usage::rollup::pieces;
use polars::prelude::*;
use std::path::Path;

fn local_text(m: &Moment) -> String {
    m.local.format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
}

fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One row per period: `period` (its number, the key of the other tables), `since` (RFC
/// 3339), `segment`, `start` and `last_line` (wall clock), `reset` (wall clock, null
/// without one), `status` (complete, interrupted, open), `consumed` and `rejected` (its last
/// line's counters), `lines`.
pub fn periods_frame(timeline: &Timeline) -> PolarsResult<DataFrame> {
    let p = &timeline.periods;
    DataFrame::new(
        p.len(),
        vec![
            Column::new("period".into(), (0..p.len() as i64).collect::<Vec<_>>()),
            Column::new(
                "since".into(),
                p.iter().map(|p| p.since.to_rfc3339()).collect::<Vec<_>>(),
            ),
            Column::new(
                "segment".into(),
                p.iter().map(|p| i64::from(p.segment)).collect::<Vec<_>>(),
            ),
            Column::new(
                "start".into(),
                p.iter().map(|p| local_text(&p.start)).collect::<Vec<_>>(),
            ),
            Column::new(
                "last_line".into(),
                p.iter()
                    .map(|p| local_text(&p.last().at))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "reset".into(),
                p.iter()
                    .map(|p| p.reset.as_ref().map(local_text))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "status".into(),
                p.iter().map(|p| p.status.as_str()).collect::<Vec<_>>(),
            ),
            Column::new(
                "consumed".into(),
                p.iter()
                    .map(|p| i64_of(p.last().consumed))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "rejected".into(),
                p.iter()
                    .map(|p| i64_of(p.last().rejected))
                    .collect::<Vec<_>>(),
            ),
            Column::new(
                "lines".into(),
                p.iter()
                    .map(|p| p.observations.len() as i64)
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// One row per interval: `period`, `start` and `end` (wall clock), `start_utc` and
/// `end_utc` (instants), `consumed` and `rejected` (the calls made in it), `closes_period`,
/// `status` (its period's).
pub fn intervals_frame(timeline: &Timeline) -> PolarsResult<DataFrame> {
    let i = &timeline.intervals;
    let utc = |f: fn(&crate::usage::period::Interval) -> i64| -> PolarsResult<Column> {
        Column::new("x".into(), i.iter().map(f).collect::<Vec<i64>>()).cast(&DataType::Datetime(
            TimeUnit::Milliseconds,
            Some(polars::prelude::TimeZone::UTC),
        ))
    };
    DataFrame::new(
        i.len(),
        vec![
            Column::new(
                "period".into(),
                i.iter().map(|x| x.period as i64).collect::<Vec<_>>(),
            ),
            Column::new(
                "start".into(),
                i.iter().map(|x| local_text(&x.start)).collect::<Vec<_>>(),
            ),
            Column::new(
                "end".into(),
                i.iter().map(|x| local_text(&x.end)).collect::<Vec<_>>(),
            ),
            utc(|x| x.start.instant)?.with_name("start_utc".into()),
            utc(|x| x.end.instant)?.with_name("end_utc".into()),
            Column::new(
                "consumed".into(),
                i.iter().map(|x| i64_of(x.consumed)).collect::<Vec<_>>(),
            ),
            Column::new(
                "rejected".into(),
                i.iter().map(|x| i64_of(x.rejected)).collect::<Vec<_>>(),
            ),
            Column::new(
                "closes_period".into(),
                i.iter().map(|x| x.closes_period).collect::<Vec<_>>(),
            ),
            Column::new(
                "status".into(),
                i.iter()
                    .map(|x| timeline.periods[x.period].status.as_str())
                    .collect::<Vec<_>>(),
            ),
        ],
    )
}

/// The pieces of every interval and gap per ISO week and per calendar month, exactly as
/// `weekly` and `monthly` cut them: `grain` (`week` or `month`), `bucket` (`2023-W15`,
/// `2023-04`), `bucket_start` (its first day), `period`, `status`, and the counts
/// `consumed_firm` (intervals wholly inside the bucket), `consumed_share` (the bucket's
/// share, in proportion to time, of an interval across its edge), `consumed_spread` (the
/// whole of such an interval), `gap` (1 for a piece of a stretch whose calls the usage log
/// cannot count: a bucket with one has no upper bound), `gap_max_if_one_restart` (what such
/// a gap holds at most if the server restarted once in it, null when not even that bounds
/// it), `rejected_firm`, `rejected_share`.
pub fn buckets_frame(timeline: &Timeline, clock: ServerClock) -> PolarsResult<DataFrame> {
    let mut grain_col = Vec::new();
    let mut bucket = Vec::new();
    let mut bucket_start = Vec::new();
    let mut period = Vec::new();
    let mut status = Vec::new();
    let mut counts: [Vec<i64>; 6] = Default::default();
    let mut gap_max: Vec<Option<i64>> = Vec::new();
    for (name, grain) in [("week", Grain::Week), ("month", Grain::Month)] {
        for p in pieces(timeline, clock, grain, TimeRange::ALL) {
            grain_col.push(name);
            bucket.push(grain.label(p.bucket));
            bucket_start.push(p.bucket.date().to_string());
            period.push(i64::from(p.period));
            status.push(p.status.as_str());
            gap_max.push((p.gaps > 0).then(|| i64_of(p.gap_max_if_one_restart)));
            for (column, value) in counts.iter_mut().zip([
                p.consumed_firm,
                p.consumed_share,
                p.consumed_spread,
                u64::from(p.gaps),
                p.rejected_firm,
                p.rejected_share,
            ]) {
                column.push(i64_of(value));
            }
        }
    }
    let n = grain_col.len();
    let [firm, share, spread, gap, rejected_firm, rejected_share] = counts;
    DataFrame::new(
        n,
        vec![
            Column::new("grain".into(), grain_col),
            Column::new("bucket".into(), bucket),
            Column::new("bucket_start".into(), bucket_start),
            Column::new("period".into(), period),
            Column::new("status".into(), status),
            Column::new("consumed_firm".into(), firm),
            Column::new("consumed_share".into(), share),
            Column::new("consumed_spread".into(), spread),
            Column::new("gap".into(), gap),
            Column::new("gap_max_if_one_restart".into(), gap_max),
            Column::new("rejected_firm".into(), rejected_firm),
            Column::new("rejected_share".into(), rejected_share),
        ],
    )
}

/// Writes the three usage tables of one environment (`part-00000` in its folder of each
/// table); tables without rows get no file. Returns the rows written per table.
pub fn write_usage(
    exporter: &dyn Exporter,
    out: &Path,
    environment: &str,
    timeline: &Timeline,
    clock: ServerClock,
) -> Result<[u64; 3], ExportError> {
    let tables = [
        (ExportTable::UsagePeriods, periods_frame(timeline)),
        (ExportTable::UsageIntervals, intervals_frame(timeline)),
        (ExportTable::UsageBuckets, buckets_frame(timeline, clock)),
    ];
    let mut rows = [0; 3];
    for (slot, (table, frame)) in rows.iter_mut().zip(tables) {
        let path =
            environment_dir(out, table, environment).join(part_name(0, exporter.extension()));
        let frame = frame.map_err(|e| ExportError::encode(&path, e))?;
        if frame.height() == 0 {
            continue;
        }
        let mut writer = exporter.create(
            &path,
            &FileMeta {
                table,
                environment: environment.to_string(),
            },
        )?;
        // Usage logs are small (a line per thousand calls): one batch per table.
        writer.append(exporter.encode(&frame, &path)?)?;
        writer.finish()?;
        *slot = frame.height() as u64;
    }
    Ok(rows)
}
