//! `esmlog rejections`: the rejection trend (per usage interval and per hour from the usage
//! log; per minute from integration.log) and the spikes in it, each with its cause.

use super::round_rate;
use crate::calendar::{Grain, TimeRange};
use crate::clock::ServerClock;
use crate::integration::aggregate::{FailureRow, MinuteRow};
use crate::integration::fast_hash::FastMap;
use crate::render::{rate, thousands, Cell, Column, Report, Table};
use crate::spike::{detect, Bucket, SpikeParams, SpikeWindow};
use crate::usage::period::Timeline;
use crate::usage::rollup::roll_up;
use chrono::{Duration, FixedOffset, NaiveDateTime};
use polars::prelude::PolarsResult;
use serde::Serialize;
use std::collections::BTreeMap;

/// Rejected calls between two usage lines.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IntervalRejections {
    pub start: String,
    pub end: String,
    pub consumed: u64,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
}

/// Rejected calls in one hour.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct HourRejections {
    /// `2023-04-11T20:00:00+03:00`.
    pub hour: String,
    pub rejected: u64,
    pub total: u64,
    pub rejection_rate: Option<f64>,
}

/// A count of rejected calls by one cause.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CauseCount {
    pub name: String,
    pub rejected: u64,
}

/// What a spike looks like to an operator: whose doing it is.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SpikeReading {
    /// The top user's own calls rose (or, without a baseline, went over the rate limit): a
    /// batch job ran into the limit.
    BatchJob,
    /// Errors rose while the volume stayed about the same: the server failed calls.
    ServerProblem,
    /// The volume rose, but not the top user's alone.
    MoreCalls,
}

impl SpikeReading {
    /// How the tables say it.
    pub fn text(self) -> &'static str {
        match self {
            SpikeReading::BatchJob => "batch job",
            SpikeReading::ServerProblem => "server problem",
            SpikeReading::MoreCalls => "more calls",
        }
    }
}

/// The rejected calls of one endpoint.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EndpointRejections {
    /// `METHOD /normalised/path`.
    pub endpoint: String,
    pub rejected: u64,
    /// Of which answered 429, over the rate limit.
    pub rate_limited: u64,
    /// The status most of them got.
    pub main_status: u16,
}

/// The `top` endpoints with the most rejected calls in `failures`, most first (ties by name).
pub fn rejected_endpoints(failures: &[FailureRow], top: usize) -> Vec<EndpointRejections> {
    // The rows of a scan share one string per endpoint: they are counted by its address,
    // without comparing texts row by row, and the counts of equal texts merged after.
    let mut by_address: FastMap<usize, (&str, BTreeMap<u16, u64>)> = FastMap::default();
    for f in failures {
        let (_, statuses) = by_address
            .entry(f.endpoint.as_ptr() as usize)
            .or_insert_with(|| (&*f.endpoint, BTreeMap::new()));
        *statuses.entry(f.status).or_default() += f.count;
    }
    let mut per_endpoint: BTreeMap<&str, BTreeMap<u16, u64>> = BTreeMap::new();
    for (endpoint, statuses) in by_address.into_values() {
        let merged = per_endpoint.entry(endpoint).or_default();
        for (status, count) in statuses {
            *merged.entry(status).or_default() += count;
        }
    }
    let mut list: Vec<EndpointRejections> = per_endpoint
        .into_iter()
        .map(|(endpoint, statuses)| EndpointRejections {
            endpoint: endpoint.to_owned(),
            rejected: statuses.values().sum(),
            rate_limited: statuses.get(&429).copied().unwrap_or(0),
            main_status: statuses
                .iter()
                .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                .map_or(0, |(status, _)| *status),
        })
        .filter(|e| e.rejected > 0)
        .collect();
    list.sort_by(|a, b| {
        b.rejected
            .cmp(&a.rejected)
            .then(a.endpoint.cmp(&b.endpoint))
    });
    list.truncate(top);
    list
}

/// The calls of a spike's top user, against the per-user rate limit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TopUserLoad {
    pub user: String,
    /// The most calls the user made in one minute of the spike.
    pub peak_calls_per_minute: u64,
    /// `--rate-limit`: calls per minute and user ESM allows.
    pub rate_limit: u64,
    /// The user's mean calls per minute in the spike.
    pub calls_per_minute: f64,
    /// The user's mean calls per minute in the spike's baseline; none without baseline.
    pub baseline_calls_per_minute: Option<f64>,
}

/// A burst of rejected calls.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Spike {
    /// ISO 8601 with the server's offset.
    pub start: String,
    /// The end of the spike's last bucket.
    pub end: String,
    pub rejected: u64,
    /// The most rejected calls in one minute (one hour when only the usage log is given).
    pub peak_per_minute: u64,
    /// Mean rejected calls per minute of the baseline.
    pub baseline_per_minute: f64,
    /// Rejected calls over calls in the spike.
    pub rejection_rate: Option<f64>,
    /// The same over the baseline the spike was judged against.
    pub baseline_rejection_rate: Option<f64>,
    /// Mean calls per minute in the spike and in its baseline.
    pub calls_per_minute: f64,
    pub baseline_calls_per_minute: f64,
    /// Minutes (hours with the usage log only) in the baseline.
    pub baseline_minutes: usize,
    /// The baseline was too short to judge against (the log's first minutes): the spike was
    /// found by its 429s alone.
    pub baseline_short: bool,
    pub top_users: Vec<CauseCount>,
    pub top_endpoints: Vec<CauseCount>,
    pub top_statuses: Vec<CauseCount>,
    /// The top user's calls per minute against the rate limit (integration.log only).
    pub top_user: Option<TopUserLoad>,
    pub reading: SpikeReading,
}

/// The rejections report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RejectionsReport {
    /// `integration.log per minute` or `usage log per hour`.
    pub resolution: String,
    pub spikes: Vec<Spike>,
    pub hours: Vec<HourRejections>,
    pub intervals: Vec<IntervalRejections>,
}

/// How spikes are looked for.
#[derive(Debug, Clone, Copy)]
pub struct RejectionSettings {
    pub params: SpikeParams,
    /// How many users, endpoints and statuses to name per spike.
    pub top: usize,
    /// `--rate-limit`: calls per minute and user ESM allows.
    pub rate_limit: u64,
}

/// Wall-clock time with the server's offset, when it is known.
pub struct OffsetOf<'a> {
    pub clock: ServerClock,
    pub timeline: &'a Timeline,
}

impl OffsetOf<'_> {
    fn offset(&self, local: NaiveDateTime) -> Option<FixedOffset> {
        let period_offset = self
            .timeline
            .periods
            .iter()
            .rev()
            .find(|p| p.start.local <= local)
            .or(self.timeline.periods.first())
            .map(|p| *p.since.offset());
        match self.clock {
            ServerClock::Zone(_) => {
                let fallback = period_offset.unwrap_or(FixedOffset::east_opt(0).expect("zero"));
                let instant = self.clock.instant(local, fallback, None);
                Some(self.clock.offset_at(instant, fallback))
            }
            ServerClock::PeriodOffsets => period_offset,
        }
    }

    /// `2023-04-11T20:34:00+03:00`, or without offset when none is known.
    pub fn iso(&self, local: NaiveDateTime) -> String {
        let text = local.format("%Y-%m-%dT%H:%M:%S").to_string();
        match self.offset(local) {
            Some(o) => format!("{text}{o}"),
            None => text,
        }
    }
}

fn top_causes<K: AsRef<str>>(counts: BTreeMap<K, u64>, top: usize) -> Vec<CauseCount> {
    let mut list: Vec<CauseCount> = counts
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(name, rejected)| CauseCount {
            name: name.as_ref().to_owned(),
            rejected,
        })
        .collect();
    list.sort_by(|a, b| b.rejected.cmp(&a.rejected).then(a.name.cmp(&b.name)));
    list.truncate(top);
    list
}

/// Calls, unsuccessful calls and 429s per minute, every minute from the first to the last
/// (zeros filled in).
fn per_minute_series(minutes: &[MinuteRow]) -> (Option<NaiveDateTime>, Vec<Bucket>) {
    let (Some(first), Some(last)) = (
        minutes.iter().map(|r| r.minute).min(),
        minutes.iter().map(|r| r.minute).max(),
    ) else {
        return (None, Vec::new());
    };
    let mut series = vec![Bucket::default(); ((last - first).num_minutes() + 1) as usize];
    for row in minutes {
        let bucket = &mut series[(row.minute - first).num_minutes() as usize];
        bucket.rejected += u64::from(row.counts.unsuccessful);
        bucket.calls += u64::from(row.counts.successful + row.counts.unsuccessful);
        bucket.rate_limited += u64::from(row.counts.rate_limited);
    }
    (Some(first), series)
}

/// Whether the top user's calls rose, the volume alone, or neither: a rise is half as much
/// again plus a few calls a minute, so that noise on a small baseline is none.
fn reading_of(
    window: &SpikeWindow,
    series_len: usize,
    top_user: Option<&TopUserLoad>,
) -> SpikeReading {
    let rose = |now: f64, before: f64| now >= 1.5 * before + 5.0;
    if let Some(user) = top_user {
        let batch = match user.baseline_calls_per_minute {
            Some(before) => rose(user.calls_per_minute, before),
            None => user.peak_calls_per_minute > user.rate_limit,
        };
        if batch {
            return SpikeReading::BatchJob;
        }
    }
    let minutes = (window.last + 1 - window.first).min(series_len).max(1) as f64;
    if window.baseline.buckets > 0 && !rose(window.calls as f64 / minutes, window.baseline.calls) {
        SpikeReading::ServerProblem
    } else {
        SpikeReading::MoreCalls
    }
}

/// `user`'s calls per minute in the spike, and in the minutes of its baseline that lie in no
/// spike.
fn top_user_load(
    user: &str,
    minutes: &[MinuteRow],
    minutes_in_order: bool,
    first: NaiveDateTime,
    window: &SpikeWindow,
    spikes: &[SpikeWindow],
    rate_limit: u64,
) -> TopUserLoad {
    let index = |m: NaiveDateTime| (m - first).num_minutes();
    let in_spike = |i: i64| i >= window.first as i64 && i <= window.last as i64;
    let in_any_spike = |i: i64| {
        spikes
            .iter()
            .any(|s| i >= s.first as i64 && i <= s.last as i64)
    };
    let (mut peak, mut during, mut before) = (0u64, 0u64, 0u64);
    // Only the minutes from the baseline's start to the spike's end count.
    let from = window.baseline.from.min(window.first) as i64;
    let minutes = sorted_span(
        minutes,
        minutes_in_order,
        |r| r.minute,
        first + Duration::minutes(from),
        first + Duration::minutes(window.last as i64 + 1),
    );
    for row in minutes.iter().filter(|r| &*r.user == user) {
        let i = index(row.minute);
        let calls = u64::from(row.counts.calls);
        if in_spike(i) {
            peak = peak.max(calls);
            during += calls;
        } else if i >= window.baseline.from as i64 && i < window.first as i64 && !in_any_spike(i) {
            before += calls;
        }
    }
    let spike_minutes = (window.last + 1 - window.first) as f64;
    TopUserLoad {
        user: user.to_owned(),
        peak_calls_per_minute: peak,
        rate_limit,
        calls_per_minute: during as f64 / spike_minutes,
        baseline_calls_per_minute: (window.baseline.buckets > 0)
            .then(|| before as f64 / window.baseline.buckets as f64),
    }
}

/// The rows of `rows` from `from` (inclusive) to `to` (exclusive), and maybe more: those
/// alone when `rows` are in time order (`in_time_order`), as a scan gives them, else all of
/// them. Callers keep their own test of the time, so that the result is the same either way;
/// the order spares a pass over every minute of the log for each spike.
fn sorted_span<T>(
    rows: &[T],
    in_time_order: bool,
    minute: impl Fn(&T) -> NaiveDateTime,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> &[T] {
    if !in_time_order {
        return rows;
    }
    let start = rows.partition_point(|r| minute(r) < from);
    let end = rows.partition_point(|r| minute(r) < to);
    &rows[start..end.max(start)]
}

/// The figures of a spike that do not depend on its causes.
fn spike_of(
    window: &SpikeWindow,
    params: &SpikeParams,
    start: String,
    end: String,
    per_minute: f64,
) -> Spike {
    let buckets = (window.last + 1 - window.first) as f64;
    Spike {
        start,
        end,
        rejected: window.total,
        peak_per_minute: (window.peak as f64 / per_minute).ceil() as u64,
        baseline_per_minute: window.baseline.rejected / per_minute,
        rejection_rate: round_rate(rate(window.total, window.calls)),
        baseline_rejection_rate: (window.baseline.buckets > 0 && window.baseline.calls > 0.0)
            .then(|| round_rate(Some(window.baseline.rate)))
            .flatten(),
        calls_per_minute: window.calls as f64 / buckets / per_minute,
        baseline_calls_per_minute: window.baseline.calls / per_minute,
        baseline_minutes: window.baseline.buckets,
        baseline_short: window.baseline.is_short(params),
        top_users: Vec::new(),
        top_endpoints: Vec::new(),
        top_statuses: Vec::new(),
        top_user: None,
        reading: SpikeReading::MoreCalls,
    }
}

/// Builds the report. With integration.log (`minutes`, `failures`) spikes are found per
/// minute and their causes named; otherwise per hour from the usage log.
pub fn rejections_report(
    timeline: &Timeline,
    clock: ServerClock,
    range: TimeRange,
    integration: Option<(&[MinuteRow], &[FailureRow])>,
    settings: RejectionSettings,
) -> PolarsResult<RejectionsReport> {
    let offsets = OffsetOf { clock, timeline };
    let intervals = timeline
        .intervals
        .iter()
        .filter(|i| range.contains(i.end.local))
        .map(|i| IntervalRejections {
            start: offsets.iso(i.start.local),
            end: offsets.iso(i.end.local),
            consumed: i.consumed,
            rejected: i.rejected,
            rejection_rate: round_rate(rate(i.rejected, i.consumed + i.rejected)),
        })
        .collect();
    let (hour_totals, _) = roll_up(timeline, clock, Grain::Hour, range)?;
    let hours: Vec<HourRejections> = hour_totals
        .iter()
        .map(|h| HourRejections {
            hour: offsets.iso(h.start),
            rejected: h.rejected_est,
            total: h.consumed_est + h.rejected_est,
            rejection_rate: round_rate(rate(h.rejected_est, h.consumed_est + h.rejected_est)),
        })
        .collect();

    let spikes = match integration {
        Some((minutes, failures)) => {
            let (first, series) = per_minute_series(minutes);
            let first = first.unwrap_or_default();
            let windows = detect(&series, &settings.params);
            let minutes_in_order = minutes.is_sorted_by_key(|m| m.minute);
            let failures_in_order = failures.is_sorted_by_key(|f| f.minute);
            windows
                .iter()
                .map(|w| {
                    let start = first + Duration::minutes(w.first as i64);
                    let end = first + Duration::minutes(w.last as i64 + 1);
                    let mut users = BTreeMap::new();
                    let mut endpoints = BTreeMap::new();
                    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
                    for f in sorted_span(failures, failures_in_order, |f| f.minute, start, end)
                        .iter()
                        .filter(|f| f.minute >= start && f.minute < end)
                    {
                        *users.entry(&*f.user).or_default() += f.count;
                        *endpoints.entry(&*f.endpoint).or_default() += f.count;
                        *statuses.entry(f.status).or_default() += f.count;
                    }
                    // Named as text only once counted, not once per row.
                    let statuses: BTreeMap<String, u64> = statuses
                        .into_iter()
                        .map(|(status, n)| (status.to_string(), n))
                        .collect();
                    let mut spike = spike_of(
                        w,
                        &settings.params,
                        offsets.iso(start),
                        offsets.iso(end),
                        1.0,
                    );
                    spike.top_users = top_causes(users, settings.top);
                    spike.top_endpoints = top_causes(endpoints, settings.top);
                    spike.top_statuses = top_causes(statuses, settings.top);
                    spike.top_user = spike.top_users.first().map(|u| {
                        top_user_load(
                            &u.name,
                            minutes,
                            minutes_in_order,
                            first,
                            w,
                            &windows,
                            settings.rate_limit,
                        )
                    });
                    spike.reading = reading_of(w, series.len(), spike.top_user.as_ref());
                    spike
                })
                // A spike belongs to the range it starts in: a job that looks at each
                // window once (`--last 15m` every 15 minutes) raises each spike once, even
                // one that goes on into the next window.
                .filter(|s| range.contains(parse_local(&s.start)))
                .collect()
        }
        None => {
            // As with integration.log, spikes are found in the whole log, so that the first
            // hours of the range have their baseline, and kept when they start in the range.
            let hour_totals = if range.is_all() {
                hour_totals.clone()
            } else {
                roll_up(timeline, clock, Grain::Hour, TimeRange::ALL)?.0
            };
            let series: Vec<Bucket> = hour_totals
                .iter()
                .map(|h| Bucket {
                    rejected: h.rejected_est,
                    calls: h.consumed_est + h.rejected_est,
                    rate_limited: 0,
                })
                .collect();
            let params = SpikeParams {
                window: 48,
                min_baseline: 12,
                relearn_after: 96,
                ..settings.params
            };
            detect(&series, &params)
                .into_iter()
                .map(|w| {
                    let mut spike = spike_of(
                        &w,
                        &params,
                        offsets.iso(hour_totals[w.first].start),
                        offsets.iso(Grain::Hour.next(hour_totals[w.last].start)),
                        60.0,
                    );
                    spike.reading = reading_of(&w, series.len(), None);
                    spike
                })
                .filter(|s| range.contains(parse_local(&s.start)))
                .collect()
        }
    };
    Ok(RejectionsReport {
        resolution: if integration.is_some() {
            "integration.log per minute".into()
        } else {
            "usage log per hour".into()
        },
        spikes,
        hours,
        intervals,
    })
}

fn parse_local(iso: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(&iso[..19.min(iso.len())], "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_default()
}

fn causes_text(causes: &[CauseCount]) -> String {
    causes
        .iter()
        .map(|c| format!("{} ({})", c.name, thousands(c.rejected)))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Report for RejectionsReport {
    fn tables(&self) -> Vec<Table> {
        vec![Table {
            title: format!("Rejection spikes ({})", self.resolution),
            columns: vec![
                Column::text("start", "start"),
                Column::text("end", "end"),
                Column::figure("rejected", "rejected"),
                Column::figure("peak/min", "peak_per_minute"),
                Column::figure("rate", "rejection_rate"),
                Column::figure("baseline rate", "baseline_rejection_rate"),
                Column::text("top users", "top_users"),
                Column::text("top endpoints", "top_endpoints"),
                Column::text("statuses", "statuses"),
                Column::text("top user's peak/min", "top_user_peak_per_minute"),
                Column::text("looks like", "looks_like"),
            ],
            rows: self
                .spikes
                .iter()
                .map(|s| {
                    vec![
                        Cell::Text(s.start.clone()),
                        Cell::Text(s.end.clone()),
                        Cell::Count(s.rejected),
                        Cell::Count(s.peak_per_minute),
                        Cell::Rate(s.rejection_rate),
                        if s.baseline_short {
                            Cell::Text("short baseline".into())
                        } else {
                            Cell::Rate(s.baseline_rejection_rate)
                        },
                        Cell::Text(causes_text(&s.top_users)),
                        Cell::Text(causes_text(&s.top_endpoints)),
                        Cell::Text(causes_text(&s.top_statuses)),
                        Cell::Text(s.top_user.as_ref().map_or(String::new(), |u| {
                            format!(
                                "{} (limit {})",
                                thousands(u.peak_calls_per_minute),
                                thousands(u.rate_limit)
                            )
                        })),
                        Cell::Text(s.reading.text().into()),
                    ]
                })
                .collect(),
            total: None,
        }]
    }

    fn notes(&self) -> Vec<String> {
        let rejected: u64 = self.hours.iter().map(|h| h.rejected).sum();
        let total: u64 = self.hours.iter().map(|h| h.total).sum();
        let mut notes = vec![format!(
            "{} rejected of {} calls ({:.1}%) in the usage log; {} spike(s): minutes whose rejected calls stand out from the rejection rate of the last non-spike minutes at their volume.",
            thousands(rejected),
            thousands(total),
            rate(rejected, total).unwrap_or(0.0) * 100.0,
            self.spikes.len()
        )];
        let short = self.spikes.iter().filter(|s| s.baseline_short).count();
        if short > 0 {
            notes.push(format!(
                "{short} spike(s) began before the log held enough minutes for a baseline (short baseline): they were found by their 429s alone, at least the minimum of rejected calls a minute."
            ));
        }
        if self.resolution.starts_with("usage") {
            notes.push(
                "Only the usage log was given: rejected calls are known per stretch between two usage lines and spread \
                 over its hours, and causes are unknown. Add integration.log for per-minute spikes with their users, \
                 endpoints and statuses."
                    .into(),
            );
        }
        notes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Spikes are found and their causes named from rows in time order by looking at the
    /// spike's minutes alone: the same report as from the rows in another order, which are
    /// read whole.
    #[test]
    fn rows_in_time_order_give_the_report_of_rows_in_any_order() {
        let calls = crate::report::calls::tests::generated_scan().calls;
        let report = |minutes: &[MinuteRow], failures: &[FailureRow]| {
            rejections_report(
                &Timeline::default(),
                ServerClock::PeriodOffsets,
                TimeRange::ALL,
                Some((minutes, failures)),
                RejectionSettings {
                    params: SpikeParams::default(),
                    top: 3,
                    rate_limit: 30,
                },
            )
            .unwrap()
        };
        let in_order = report(&calls.minutes, &calls.failures);
        assert!(in_order.spikes.len() > 1, "{:?}", in_order.spikes);
        assert!(in_order.spikes.iter().all(|s| s.top_user.is_some()));
        fn reversed<T: Clone>(rows: &[T]) -> Vec<T> {
            rows.iter().rev().cloned().collect()
        }
        let (minutes, failures) = (reversed(&calls.minutes), reversed(&calls.failures));
        assert!(!minutes.is_sorted_by_key(|m| m.minute));
        assert_eq!(report(&minutes, &failures), in_order);
    }

    #[test]
    fn rejected_endpoints_are_ranked_with_their_429s() {
        let row = |endpoint: &str, status: u16, count: u64| FailureRow {
            minute: NaiveDateTime::parse_from_str("2023-10-26 11:30", "%Y-%m-%d %H:%M").unwrap(),
            user: "HR_IMPORT".into(),
            endpoint: endpoint.into(),
            status,
            count,
        };
        let rows = vec![
            row("PUT /dc/person/data/{id}", 429, 600),
            row("PUT /dc/person/data/{id}", 404, 5),
            row("POST /dc/person/data", 429, 400),
            row("GET /dc/incident/data", 500, 3),
            row("POST /dc/person/data", 400, 2),
        ];
        let top = rejected_endpoints(&rows, 2);
        assert_eq!(
            top,
            vec![
                EndpointRejections {
                    endpoint: "PUT /dc/person/data/{id}".into(),
                    rejected: 605,
                    rate_limited: 600,
                    main_status: 429,
                },
                EndpointRejections {
                    endpoint: "POST /dc/person/data".into(),
                    rejected: 402,
                    rate_limited: 400,
                    main_status: 429,
                },
            ]
        );
        assert_eq!(rejected_endpoints(&rows, 10)[2].main_status, 500);
        // As a scan gives them, rows share the string of their endpoint.
        let mut shared: BTreeMap<String, std::sync::Arc<str>> = BTreeMap::new();
        let scanned: Vec<FailureRow> = rows
            .iter()
            .map(|r| FailureRow {
                endpoint: shared
                    .entry(r.endpoint.to_string())
                    .or_insert_with(|| r.endpoint.clone())
                    .clone(),
                ..r.clone()
            })
            .collect();
        assert!(std::sync::Arc::ptr_eq(
            &scanned[0].endpoint,
            &scanned[1].endpoint
        ));
        assert_eq!(
            rejected_endpoints(&scanned, 10),
            rejected_endpoints(&rows, 10)
        );
    }
}
