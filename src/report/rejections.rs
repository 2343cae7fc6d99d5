//! `esmlog rejections`: the rejection trend (per usage interval and per hour from the usage
//! log; per minute from integration.log) and the spikes in it, each with its cause.

use super::round_rate;
use crate::calendar::{DateRange, Grain};
use crate::clock::ServerClock;
use crate::integration::aggregate::{FailureRow, MinuteRow};
use crate::render::{rate, thousands, Align, Cell, Report, Table};
use crate::spike::{detect, SpikeParams};
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
    pub baseline_per_minute: f64,
    pub top_users: Vec<CauseCount>,
    pub top_endpoints: Vec<CauseCount>,
    pub top_statuses: Vec<CauseCount>,
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

/// Unsuccessful calls per minute, every minute from the first to the last (zeros filled in).
fn per_minute_series(minutes: &[MinuteRow]) -> (Option<NaiveDateTime>, Vec<u64>) {
    let mut totals: BTreeMap<NaiveDateTime, u64> = BTreeMap::new();
    for row in minutes {
        *totals.entry(row.minute).or_default() += u64::from(row.counts.unsuccessful);
    }
    let (Some(first), Some(last)) = (totals.keys().next().copied(), totals.keys().last().copied())
    else {
        return (None, Vec::new());
    };
    let len = ((last - first).num_minutes() + 1) as usize;
    let mut series = vec![0u64; len];
    for (minute, n) in totals {
        series[(minute - first).num_minutes() as usize] = n;
    }
    (Some(first), series)
}

/// Builds the report. With integration.log (`minutes`, `failures`) spikes are found per
/// minute and their causes named; otherwise per hour from the usage log.
pub fn rejections_report(
    timeline: &Timeline,
    clock: ServerClock,
    range: DateRange,
    integration: Option<(&[MinuteRow], &[FailureRow])>,
    settings: RejectionSettings,
) -> PolarsResult<RejectionsReport> {
    let offsets = OffsetOf { clock, timeline };
    let intervals = timeline
        .intervals
        .iter()
        .filter(|i| range.contains(i.end.local.date()))
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
            detect(&series, &settings.params)
                .into_iter()
                .map(|w| {
                    let start = first + Duration::minutes(w.first as i64);
                    let end = first + Duration::minutes(w.last as i64 + 1);
                    let mut users = BTreeMap::new();
                    let mut endpoints = BTreeMap::new();
                    let mut statuses = BTreeMap::new();
                    for f in failures
                        .iter()
                        .filter(|f| f.minute >= start && f.minute < end)
                    {
                        *users.entry(&*f.user).or_default() += f.count;
                        *endpoints.entry(&*f.endpoint).or_default() += f.count;
                        *statuses.entry(f.status.to_string()).or_default() += f.count;
                    }
                    let baseline = baseline_of(&series, w.first, settings.params.window);
                    Spike {
                        start: offsets.iso(start),
                        end: offsets.iso(end),
                        rejected: w.total,
                        peak_per_minute: w.peak,
                        baseline_per_minute: baseline,
                        top_users: top_causes(users, settings.top),
                        top_endpoints: top_causes(endpoints, settings.top),
                        top_statuses: top_causes(statuses, settings.top),
                    }
                })
                .filter(|s| range.contains(parse_local(&s.start).date()))
                .collect()
        }
        None => {
            let series: Vec<u64> = hour_totals.iter().map(|h| h.rejected_est).collect();
            let params = SpikeParams {
                window: 48,
                min_baseline: 12,
                ..settings.params
            };
            detect(&series, &params)
                .into_iter()
                .map(|w| Spike {
                    start: offsets.iso(hour_totals[w.first].start),
                    end: offsets.iso(Grain::Hour.next(hour_totals[w.last].start)),
                    rejected: w.total,
                    peak_per_minute: w.peak.div_ceil(60),
                    baseline_per_minute: baseline_of(&series, w.first, params.window) / 60.0,
                    top_users: Vec::new(),
                    top_endpoints: Vec::new(),
                    top_statuses: Vec::new(),
                })
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

/// The median of the window before `index`, for the report.
fn baseline_of(series: &[u64], index: usize, window: usize) -> f64 {
    let mut before: Vec<u64> = series[index.saturating_sub(window)..index].to_vec();
    if before.is_empty() {
        return 0.0;
    }
    before.sort_unstable();
    let n = before.len();
    if n % 2 == 1 {
        before[n / 2] as f64
    } else {
        (before[n / 2 - 1] + before[n / 2]) as f64 / 2.0
    }
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
                ("start", Align::Left),
                ("end", Align::Left),
                ("rejected", Align::Right),
                ("peak/min", Align::Right),
                ("top users", Align::Left),
                ("top endpoints", Align::Left),
                ("statuses", Align::Left),
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
                        Cell::Text(causes_text(&s.top_users)),
                        Cell::Text(causes_text(&s.top_endpoints)),
                        Cell::Text(causes_text(&s.top_statuses)),
                    ]
                })
                .collect(),
            total: None,
        }]
    }

    fn csv(&self) -> Table {
        let mut table = self.tables().remove(0);
        table.title = String::new();
        table.columns[3].0 = "peak_per_minute";
        table.columns[4].0 = "top_users";
        table.columns[5].0 = "top_endpoints";
        table
    }

    fn notes(&self) -> Vec<String> {
        let rejected: u64 = self.hours.iter().map(|h| h.rejected).sum();
        let total: u64 = self.hours.iter().map(|h| h.total).sum();
        let mut notes = vec![format!(
            "{} rejected of {} calls ({:.1}%) in the usage log; {} spike(s) against a rolling median baseline.",
            thousands(rejected),
            thousands(total),
            rate(rejected, total).unwrap_or(0.0) * 100.0,
            self.spikes.len()
        )];
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
