//! Periods and intervals: what the cumulative usage counters say about calls over time
//! (formats.md section 1, "Meaning").

use super::line::UsageBody;
use super::load::UsageFile;
use crate::clock::{InstantMs, ServerClock};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// ESM writes a usage line each time another this many calls are consumed.
pub const DEFAULT_STEP: u64 = 1000;

/// A point in time, both as the server's wall clock showed it and as an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment {
    pub instant: InstantMs,
    pub local: NaiveDateTime,
}

/// How a period ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Hash)]
#[serde(rename_all = "lowercase")]
pub enum PeriodStatus {
    /// Closed by `Statistics reset`: its final line is the exact total.
    Complete,
    /// Ended without a reset (a restart lost the counters): its last line is a lower bound.
    Interrupted,
    /// The last period of the input: figures so far.
    Open,
}

impl PeriodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::Complete => "complete",
            PeriodStatus::Interrupted => "interrupted",
            PeriodStatus::Open => "open",
        }
    }
}

/// One usage line's counters at its moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub at: Moment,
    pub consumed: u64,
    pub rejected: u64,
}

/// The run of usage lines that share one `since` instant (and one segment of it, when the
/// counters went down without a reset).
#[derive(Debug, Clone)]
pub struct Period {
    pub since: DateTime<FixedOffset>,
    /// 0, or how many times the counters went down within this `since`.
    pub segment: u32,
    /// Where counting starts: `since`, or the line before the counters went down.
    pub start: Moment,
    /// Sorted by counters; never empty.
    pub observations: Vec<Observation>,
    pub reset: Option<Moment>,
    pub status: PeriodStatus,
}

impl Period {
    /// The last (highest) counters of the period.
    pub fn last(&self) -> &Observation {
        self.observations.last().expect("a period has a line")
    }
}

/// The stretch between two consecutive usage lines of a period (the first starts at the
/// period's start): its deltas are the calls made in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub period: usize,
    pub start: Moment,
    pub end: Moment,
    pub consumed: u64,
    pub rejected: u64,
    /// Ends at the final line of a complete period (just before its reset).
    pub closes_period: bool,
}

/// Calls an interrupted or open period may have consumed after its last line, never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tail {
    pub period: usize,
    pub start: Moment,
    /// The next period's start for an interrupted period; none for the open one.
    pub end: Option<Moment>,
    /// At most this many consumed calls went unobserved.
    pub consumed_max: u64,
}

/// Something in the usage log that breaks its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub file: String,
    pub line: u64,
    pub kind: AnomalyKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnomalyKind {
    /// Counters went down within one period: a new segment starts there.
    CountersDown,
    /// A `Statistics reset` with no usage line before it.
    ResetWithoutUsage,
    /// A second, different reset for a period that was already closed.
    SecondReset,
}

impl std::fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnomalyKind::CountersDown => {
                "counters went down within one period without a reset; counting restarts here"
            }
            AnomalyKind::ResetWithoutUsage => "`Statistics reset` with no usage line before it",
            AnomalyKind::SecondReset => "a second `Statistics reset` for a period already closed",
        })
    }
}

/// Everything the usage logs say, merged across files and ordered in time.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    pub periods: Vec<Period>,
    pub intervals: Vec<Interval>,
    pub tails: Vec<Tail>,
    /// Calls between two usage lines, inferred from the data.
    pub step: u64,
    pub anomalies: Vec<Anomaly>,
    /// Lines seen in more than one input, counted once.
    pub duplicates: u64,
    /// The `since` offsets of periods differ (a DST change happened).
    pub offsets_differ: bool,
}

impl Timeline {
    /// The first and the last moment the usage log speaks of.
    pub fn span(&self) -> Option<(Moment, Moment)> {
        let first = self.periods.iter().map(|p| p.start).min()?;
        let last = self
            .periods
            .iter()
            .map(|p| p.reset.unwrap_or(p.last().at).max(p.last().at))
            .max()?;
        Some((first, last))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum EventBody {
    Counters {
        consumed: u64,
        rejected: u64,
        since_ms: InstantMs,
        since_offset: i32,
    },
    Reset,
}

#[derive(Debug, Clone, Copy)]
struct Event {
    stamp: NaiveDateTime,
    instant: InstantMs,
    body: EventBody,
    file: usize,
    line: u64,
    /// For counters: (since_ms, segment) once known. For resets: the period of the counters
    /// line written just before it in the same file.
    period: Option<(InstantMs, u32)>,
}

/// Merges the usage files into periods, intervals and tails.
pub fn build_timeline(files: &[UsageFile], clock: ServerClock) -> Timeline {
    let fallback_offset = files
        .iter()
        .flat_map(|f| &f.records)
        .find_map(|r| match r.body {
            UsageBody::Counters { since, .. } => Some(*since.offset()),
            UsageBody::Reset => None,
        })
        .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));

    let mut anomalies = Vec::new();
    // Where counters went down, per since instant: counting restarts at these instants.
    let mut drops: BTreeMap<InstantMs, BTreeSet<InstantMs>> = BTreeMap::new();
    let mut events = Vec::new();
    for (file_index, file) in files.iter().enumerate() {
        let mut last_instant: Option<InstantMs> = None;
        let mut last_counters: Option<(InstantMs, u64, u64)> = None;
        for (i, record) in file.records.iter().enumerate() {
            let (body, offset) = match record.body {
                UsageBody::Counters {
                    consumed,
                    rejected,
                    since,
                } => (
                    EventBody::Counters {
                        consumed,
                        rejected,
                        since_ms: since.timestamp_millis(),
                        since_offset: since.offset().local_minus_utc(),
                    },
                    *since.offset(),
                ),
                UsageBody::Reset => (EventBody::Reset, reset_offset(file, i, fallback_offset)),
            };
            let instant = clock.instant(record.stamp, offset, last_instant);
            last_instant = Some(last_instant.map_or(instant, |l| l.max(instant)));
            if let EventBody::Counters {
                consumed,
                rejected,
                since_ms,
                ..
            } = body
            {
                if let Some((last_since, c, r)) = last_counters {
                    if last_since == since_ms && (consumed < c || rejected < r) {
                        drops.entry(since_ms).or_default().insert(instant);
                        anomalies.push(Anomaly {
                            file: file.name.clone(),
                            line: record.line,
                            kind: AnomalyKind::CountersDown,
                        });
                    }
                }
                last_counters = Some((since_ms, consumed, rejected));
            }
            events.push(Event {
                stamp: record.stamp,
                instant,
                body,
                file: file_index,
                line: record.line,
                period: None,
            });
        }
    }

    // Period keys: since instant and segment. A reset belongs to the period of the counters
    // line before it in its own file, which survives rotation and the repeated autumn hour.
    let segment_of = |since_ms: InstantMs, instant: InstantMs| -> u32 {
        drops
            .get(&since_ms)
            .map_or(0, |d| d.range(..=instant).count() as u32)
    };
    let mut previous_in_file: Option<(usize, (InstantMs, u32))> = None;
    for event in &mut events {
        if previous_in_file.is_some_and(|(f, _)| f != event.file) {
            previous_in_file = None;
        }
        match event.body {
            EventBody::Counters { since_ms, .. } => {
                let key = (since_ms, segment_of(since_ms, event.instant));
                event.period = Some(key);
                previous_in_file = Some((event.file, key));
            }
            EventBody::Reset => {
                event.period = previous_in_file.map(|(_, k)| k);
                previous_in_file = None;
            }
        }
    }

    // Overlapping files hold the same lines: keep one of each, the same one whatever the
    // order the files were given in.
    events.sort_by(|a, b| {
        (a.stamp, a.body, a.instant, &files[a.file].name, a.line).cmp(&(
            b.stamp,
            b.body,
            b.instant,
            &files[b.file].name,
            b.line,
        ))
    });
    let before = events.len();
    events.dedup_by(|later, first| later.stamp == first.stamp && later.body == first.body);
    let duplicates = (before - events.len()) as u64;

    let mut grouped: BTreeMap<(InstantMs, u32), Vec<Observation>> = BTreeMap::new();
    let mut since_of: HashMap<InstantMs, DateTime<FixedOffset>> = HashMap::new();
    for event in &events {
        if let EventBody::Counters {
            consumed,
            rejected,
            since_ms,
            since_offset,
        } = event.body
        {
            let offset = FixedOffset::east_opt(since_offset).unwrap_or(fallback_offset);
            since_of.entry(since_ms).or_insert_with(|| {
                DateTime::from_timestamp_millis(since_ms)
                    .unwrap_or_default()
                    .with_timezone(&offset)
            });
            grouped
                .entry(event.period.expect("counters have a period"))
                .or_default()
                .push(Observation {
                    at: Moment {
                        instant: event.instant,
                        local: event.stamp,
                    },
                    consumed,
                    rejected,
                });
        }
    }

    let mut periods: Vec<Period> = Vec::with_capacity(grouped.len());
    let mut index_of: HashMap<(InstantMs, u32), usize> = HashMap::new();
    for ((since_ms, segment), mut observations) in grouped {
        // Counters only grow within a period, so their order is the order of writing, even
        // where wall-clock stamps repeat in the autumn hour.
        observations.sort_by_key(|o| (o.consumed, o.rejected, o.at.instant));
        let since = since_of[&since_ms];
        let start = if segment == 0 {
            Moment {
                instant: since_ms,
                local: clock.local(since_ms, *since.offset()),
            }
        } else {
            periods.last().map_or(observations[0].at, |p| p.last().at)
        };
        index_of.insert((since_ms, segment), periods.len());
        periods.push(Period {
            since,
            segment,
            start,
            observations,
            reset: None,
            status: PeriodStatus::Interrupted,
        });
    }

    attach_resets(&events, files, &index_of, &mut periods, &mut anomalies);

    let last_index = periods.len().checked_sub(1);
    for (i, period) in periods.iter_mut().enumerate() {
        period.status = if period.reset.is_some() {
            PeriodStatus::Complete
        } else if Some(i) == last_index {
            PeriodStatus::Open
        } else {
            PeriodStatus::Interrupted
        };
    }

    let mut intervals = Vec::new();
    for (index, period) in periods.iter().enumerate() {
        let mut previous = (period.start, 0u64, 0u64);
        let count = period.observations.len();
        for (i, obs) in period.observations.iter().enumerate() {
            intervals.push(Interval {
                period: index,
                start: previous.0,
                end: obs.at,
                consumed: obs.consumed.saturating_sub(previous.1),
                rejected: obs.rejected.saturating_sub(previous.2),
                closes_period: period.status == PeriodStatus::Complete && i + 1 == count,
            });
            previous = (obs.at, obs.consumed, obs.rejected);
        }
    }

    let step = infer_step(&intervals);
    let tails = periods
        .iter()
        .enumerate()
        .filter(|(_, p)| p.status != PeriodStatus::Complete)
        .map(|(index, p)| {
            let last = p.last();
            Tail {
                period: index,
                start: last.at,
                end: periods.get(index + 1).map(|next| next.start),
                consumed_max: (last.consumed / step + 1) * step - 1 - last.consumed,
            }
        })
        .collect();

    let offsets: BTreeSet<i32> = periods
        .iter()
        .map(|p| p.since.offset().local_minus_utc())
        .collect();
    anomalies.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    anomalies.dedup();
    Timeline {
        periods,
        intervals,
        tails,
        step,
        anomalies,
        duplicates,
        offsets_differ: offsets.len() > 1,
    }
}

/// The offset for a reset line's stamp: that of the counters line nearest before it in the
/// file, else nearest after it, else the first one seen anywhere.
fn reset_offset(file: &UsageFile, index: usize, fallback: FixedOffset) -> FixedOffset {
    let offset_of = |r: &super::load::UsageRecord| match r.body {
        UsageBody::Counters { since, .. } => Some(*since.offset()),
        UsageBody::Reset => None,
    };
    file.records[..index]
        .iter()
        .rev()
        .find_map(offset_of)
        .or_else(|| file.records[index..].iter().find_map(offset_of))
        .unwrap_or(fallback)
}

fn attach_resets(
    events: &[Event],
    files: &[UsageFile],
    index_of: &HashMap<(InstantMs, u32), usize>,
    periods: &mut [Period],
    anomalies: &mut Vec<Anomaly>,
) {
    // Global time order, for resets that have no counters line before them in their file
    // (a rotation cut between the final line and the reset).
    let mut timeline: Vec<&Event> = events.iter().collect();
    timeline.sort_by_key(|e| (e.instant, matches!(e.body, EventBody::Reset)));
    for (position, event) in timeline.iter().enumerate() {
        if event.body != EventBody::Reset {
            continue;
        }
        let owner = event.period.or_else(|| {
            position
                .checked_sub(1)
                .map(|p| timeline[p])
                .filter(|prev| prev.body != EventBody::Reset)
                .and_then(|prev| prev.period)
        });
        let anomaly = |kind| Anomaly {
            file: files[event.file].name.clone(),
            line: event.line,
            kind,
        };
        let Some(index) = owner.and_then(|k| index_of.get(&k).copied()) else {
            anomalies.push(anomaly(AnomalyKind::ResetWithoutUsage));
            continue;
        };
        let moment = Moment {
            instant: event.instant,
            local: event.stamp,
        };
        match periods[index].reset {
            None => periods[index].reset = Some(moment),
            Some(existing) if existing == moment => {}
            Some(_) => anomalies.push(anomaly(AnomalyKind::SecondReset)),
        }
    }
}

/// The most common consumed delta between lines that are not a period's final total.
fn infer_step(intervals: &[Interval]) -> u64 {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for interval in intervals
        .iter()
        .filter(|i| !i.closes_period && i.consumed > 0)
    {
        *counts.entry(interval.consumed).or_default() += 1;
    }
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map_or(DEFAULT_STEP, |(step, _)| *step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::load::parse_usage_bytes;

    const DOC_EXAMPLE: &str = "\
2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300
2023-04-12 04:54:00,643|Usage,consumed,2000,rejected,0,since,2023-04-11T11:51:27+0300
2023-04-17 00:00:00,144|Usage,consumed,15779,rejected,3,since,2023-04-11T11:51:27+0300
2023-04-17 00:00:00,145|Statistics reset
2023-04-17 09:00:00,000|Usage,consumed,1000,rejected,0,since,2023-04-17T00:00:00+0300
2023-04-18 09:00:00,000|Usage,consumed,2000,rejected,4,since,2023-04-17T00:00:00+0300
2023-04-18 12:00:00,000|Usage,consumed,1000,rejected,0,since,2023-04-18T11:00:00+0300
";

    fn timeline(texts: &[(&str, &str)]) -> Timeline {
        let files: Vec<UsageFile> = texts
            .iter()
            .map(|(name, text)| parse_usage_bytes(name, text.as_bytes()))
            .collect();
        build_timeline(&files, ServerClock::PeriodOffsets)
    }

    #[test]
    fn periods_get_their_status() {
        let t = timeline(&[("u.log", DOC_EXAMPLE)]);
        let statuses: Vec<_> = t.periods.iter().map(|p| p.status).collect();
        assert_eq!(
            statuses,
            vec![
                PeriodStatus::Complete,
                PeriodStatus::Interrupted,
                PeriodStatus::Open
            ]
        );
        assert_eq!(t.periods[0].last().consumed, 15779);
        assert_eq!(t.step, 1000);
        assert!(t.anomalies.is_empty(), "{:?}", t.anomalies);
        // The interrupted period may have consumed up to 999 more after its last line.
        assert_eq!(t.tails[0].consumed_max, 999);
        assert_eq!(t.tails[0].end, Some(t.periods[2].start));
        assert_eq!(t.tails[1].end, None);
    }

    #[test]
    fn interval_deltas_sum_to_period_totals() {
        let t = timeline(&[("u.log", DOC_EXAMPLE)]);
        for (index, period) in t.periods.iter().enumerate() {
            let (c, r) = t
                .intervals
                .iter()
                .filter(|i| i.period == index)
                .fold((0, 0), |acc, i| (acc.0 + i.consumed, acc.1 + i.rejected));
            assert_eq!((c, r), (period.last().consumed, period.last().rejected));
        }
        assert_eq!(t.intervals.iter().filter(|i| i.closes_period).count(), 1);
    }

    #[test]
    fn overlapping_files_count_lines_once() {
        let (first, second) = DOC_EXAMPLE.split_at(DOC_EXAMPLE.find("2023-04-17 09").unwrap());
        let overlap = format!("2023-04-17 00:00:00,145|Statistics reset\n{second}");
        let whole = timeline(&[("u.log", DOC_EXAMPLE)]);
        let split = timeline(&[("u.log", overlap.as_str()), ("u.log.1", first)]);
        assert_eq!(split.duplicates, 1);
        assert_eq!(whole.intervals, split.intervals);
        assert_eq!(split.periods[0].status, PeriodStatus::Complete);
    }

    #[test]
    fn counters_going_down_start_a_segment() {
        let text = "\
2023-04-11 12:00:00,000|Usage,consumed,3000,rejected,5,since,2023-04-11T11:00:00+0300
2023-04-11 13:00:00,000|Usage,consumed,1000,rejected,0,since,2023-04-11T11:00:00+0300
2023-04-11 14:00:00,000|Usage,consumed,2000,rejected,1,since,2023-04-11T11:00:00+0300
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(t.anomalies.len(), 1);
        assert_eq!(t.anomalies[0].kind, AnomalyKind::CountersDown);
        assert_eq!(t.anomalies[0].line, 2);
        assert_eq!(t.periods.len(), 2);
        assert_eq!(t.periods[0].status, PeriodStatus::Interrupted);
        assert_eq!(t.periods[1].segment, 1);
        let total: u64 = t.intervals.iter().map(|i| i.consumed).sum();
        assert_eq!(total, 3000 + 2000);
    }

    #[test]
    fn reset_without_usage_is_an_anomaly() {
        let text = "2023-04-17 00:00:00,145|Statistics reset\n";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(t.anomalies[0].kind, AnomalyKind::ResetWithoutUsage);
        assert!(t.periods.is_empty());
    }

    #[test]
    fn reset_first_in_a_rotated_file_attaches_by_time() {
        let older = "2023-04-17 00:00:00,144|Usage,consumed,15779,rejected,0,since,2023-04-11T11:51:27+0300\n";
        let newer = "2023-04-17 00:00:00,145|Statistics reset\n2023-04-17 09:00:00,000|Usage,consumed,1000,rejected,0,since,2023-04-17T00:00:00+0300\n";
        let t = timeline(&[("u.log", newer), ("u.log.1", older)]);
        assert!(t.anomalies.is_empty(), "{:?}", t.anomalies);
        assert_eq!(t.periods[0].status, PeriodStatus::Complete);
    }
}
