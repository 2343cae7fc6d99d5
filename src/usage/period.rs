//! Periods and intervals: what the cumulative usage counters say about calls over time
//! (formats.md section 1, "Meaning").

use super::line::UsageBody;
use super::load::UsageFile;
use crate::calendar::Grain;
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
#[serde(rename_all = "snake_case")]
pub enum PeriodStatus {
    /// Closed by `Statistics reset`: its final line is the exact total.
    Complete,
    /// Ended without a reset (a restart lost the counters): its last line is a lower bound.
    Interrupted,
    /// The last period of the input: figures so far.
    Open,
    /// Closed by `Statistics reset`, but with no usage line just before the reset: the
    /// final total was lost, so its last line is a lower bound.
    TotalLost,
}

impl PeriodStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodStatus::Complete => "complete",
            PeriodStatus::Interrupted => "interrupted",
            PeriodStatus::Open => "open",
            PeriodStatus::TotalLost => "total lost",
        }
    }
}

/// One usage line's counters at its moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observation {
    pub at: Moment,
    pub consumed: u64,
    pub rejected: u64,
    /// The input it was read from (an index into the files given to [`build_timeline`]).
    pub file: usize,
    /// Its line number there.
    pub line: u64,
}

/// The run of usage lines that share one `since` instant (and one segment of it, when the
/// counters went down without a reset).
#[derive(Debug, Clone)]
pub struct Period {
    pub since: DateTime<FixedOffset>,
    /// 0, or how many times the counters went down within this `since`.
    pub segment: u32,
    /// Where counting starts: `since`, or the line before the counters went down. When
    /// `since` is impossible (later than the period's first line), the end of the period
    /// before, or else the first line.
    pub start: Moment,
    /// Whether `start` is the period's true start; when not, the calls of its first interval
    /// happened at unknown times before its first line.
    pub start_known: bool,
    /// Sorted by counters; never empty.
    pub observations: Vec<Observation>,
    pub reset: Option<Moment>,
    /// The input and line of the reset, where it was read.
    pub reset_source: Option<(usize, u64)>,
    pub status: PeriodStatus,
}

impl Period {
    /// The last (highest) counters of the period.
    pub fn last(&self) -> &Observation {
        self.observations.last().expect("a period has a line")
    }

    /// The stretch the period's lines speak of exactly: from its start (its first line when
    /// the start is unknown) to its final total (the reset) or its last line.
    pub fn covered(&self) -> (Moment, Moment) {
        let from = if self.start_known {
            self.start
        } else {
            self.observations[0].at
        };
        let to = match (self.status, self.reset) {
            (PeriodStatus::Complete, Some(reset)) => reset.max(self.last().at),
            _ => self.last().at,
        };
        (from, to)
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
    /// False for the first interval of a period whose start is unknown: its calls happened
    /// somewhere between `start` and `end`, none of them certainly in one bucket.
    pub start_known: bool,
}

/// Why the usage log cannot tell how many calls a stretch of time held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GapKind {
    /// Between an interrupted period's last line and the next period's start: the rest of
    /// that period, and any period lost by a further restart before its first line.
    Restart,
    /// Between a period's last line and a `Statistics reset` that has no final total
    /// before it.
    LostTotal,
    /// Between a reset and a next period that starts later: at least one period ran there
    /// and was lost by a restart before its first line.
    VanishedPeriod,
    /// A stretch through a Monday 00:00 with no line at all, not even the weekly reset:
    /// the input does not hold its lines (a rotated file not given), or the server was
    /// down. The log does not speak of it: buckets it touches are partial, not bounded.
    NotInInput,
}

impl GapKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GapKind::Restart => "server restart",
            GapKind::LostTotal => "final total lost",
            GapKind::VanishedPeriod => "period without a usage line",
            GapKind::NotInInput => {
                "no usage line, not even the weekly reset: files not given, or the server was down"
            }
        }
    }
}

/// A stretch inside the usage log's span whose consumed calls the log does not show: at
/// least none, at most unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gap {
    pub kind: GapKind,
    /// The period the gap follows.
    pub period: usize,
    pub from: Moment,
    pub to: Moment,
    /// The most consumed calls it can hold if the server restarted at most once in it; none
    /// for a stretch not in the input. A restart that leaves no line can always hide more.
    pub consumed_max_if_one_restart: Option<u64>,
}

/// Something in the usage log that breaks its rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Anomaly {
    pub file: String,
    pub line: u64,
    pub kind: AnomalyKind,
    /// What was found, where the kind alone does not say it (spans, counters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl std::fmt::Display for Anomaly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.kind)?;
        match &self.detail {
            Some(detail) => write!(f, " ({detail})"),
            None => Ok(()),
        }
    }
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
    /// A `Statistics reset` whose period has no usage line just before it: the final total
    /// was lost (a truncated or malformed line), so the period's figures are lower bounds.
    LostTotal,
    /// A `since` later than the stamp of a line that carries it (clock trouble, or a
    /// corrupt line): the period's start is unknown.
    SinceAfterStamp,
    /// A period runs through Monday 00:00 without `Statistics reset`.
    MissingReset,
    /// Consumed went up by more than one step between two lines: usage lines are missing
    /// (a rotated file not given, or lost lines).
    LinesMissing,
}

impl std::fmt::Display for AnomalyKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            AnomalyKind::CountersDown => {
                "counters went down within one period without a reset; counting restarts here"
            }
            AnomalyKind::ResetWithoutUsage => "`Statistics reset` with no usage line before it",
            AnomalyKind::SecondReset => "a second `Statistics reset` for a period already closed",
            AnomalyKind::LostTotal => {
                "`Statistics reset` without the final usage line just before it; the period's total is a lower bound"
            }
            AnomalyKind::SinceAfterStamp => {
                "`since` is later than the line's own stamp; the period's start is unknown"
            }
            AnomalyKind::MissingReset => {
                "the period runs through Monday 00:00 without `Statistics reset`"
            }
            AnomalyKind::LinesMissing => "usage lines are missing before this line",
        })
    }
}

/// Usage lines that cannot be one server's counter chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the usage logs hold more than one counter chain: {detail}. Files: {files}. \
     A server writes one chain, so these are the logs of two or more servers (cluster nodes, or test \
     and production), and esmlog does not merge them. Give each server's files as an environment \
     to get a row per server and their sum: --environment NAME=PATH (once per file or folder)"
)]
pub struct InterleavedChains {
    /// What gave it away, with times.
    pub detail: String,
    /// The files whose lines take part, comma-separated.
    pub files: String,
}

/// `--tz` names a zone whose offset differs from the one a period's `since` was written with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "--tz {zone}: the period since {since} (file {file}, line {line}) was written with offset {written}, \
     but {zone} was at {expected} then; the log comes from a server in another zone. Zones that fit \
     every period's offset: {fitting}"
)]
pub struct ZoneContradicts {
    pub zone: String,
    pub since: String,
    pub file: String,
    pub line: u64,
    pub written: String,
    pub expected: String,
    /// Comma-separated, or a sentence when none fits.
    pub fitting: String,
}

/// Why the usage lines cannot be made into one timeline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    Chains(#[from] InterleavedChains),
    #[error(transparent)]
    Zone(#[from] Box<ZoneContradicts>),
}

/// Everything the usage logs say, merged across files and ordered in time.
#[derive(Debug, Clone, Default)]
pub struct Timeline {
    /// In the order they started.
    pub periods: Vec<Period>,
    pub intervals: Vec<Interval>,
    /// Stretches inside the log's span whose calls the log does not show, in time order.
    pub gaps: Vec<Gap>,
    /// Calls between two usage lines, inferred from the data.
    pub step: u64,
    pub anomalies: Vec<Anomaly>,
    /// Lines seen in more than one input, counted once.
    pub duplicates: u64,
    /// The `since` offsets of periods differ (a DST change happened).
    pub offsets_differ: bool,
    /// How many servers' timelines this is (several when environments are merged): each
    /// covers the calendar on its own, so coverage is measured against that many.
    pub servers: u32,
}

impl Timeline {
    /// The first and the last moment the usage log speaks of.
    pub fn span(&self) -> Option<(Moment, Moment)> {
        let first = self.periods.iter().map(|p| p.covered().0).min()?;
        let last = self.periods.iter().map(|p| p.covered().1).max()?;
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

/// Merges the usage files into periods, intervals and gaps. Lines that cannot be one
/// server's chain (two servers' logs given together) are refused, never merged.
pub fn build_timeline(files: &[UsageFile], clock: ServerClock) -> Result<Timeline, TimelineError> {
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
                            detail: None,
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
                    file: event.file,
                    line: event.line,
                });
        }
    }

    let mut periods: Vec<Period> = Vec::with_capacity(grouped.len());
    for ((since_ms, segment), mut observations) in grouped {
        // Counters only grow within a period, so their order is the order of writing, even
        // where wall-clock stamps repeat in the autumn hour.
        observations.sort_by_key(|o| (o.consumed, o.rejected, o.at.instant));
        let since = since_of[&since_ms];
        let start = Moment {
            instant: since_ms,
            local: clock.local(since_ms, *since.offset()),
        };
        periods.push(Period {
            since,
            segment,
            start,
            start_known: segment == 0,
            observations,
            reset: None,
            reset_source: None,
            status: PeriodStatus::Interrupted,
        });
    }
    check_one_chain(&periods, files)?;
    check_zone(&periods, files, clock)?;
    // Periods in the order they ran: an impossible `since` must not move a period ahead.
    periods.sort_by_key(|p| (p.observations[0].at.instant, p.segment));
    for i in 0..periods.len() {
        let first = periods[i].observations[0];
        let previous_end = i
            .checked_sub(1)
            .map(|p| periods[p].last().at)
            .filter(|end| end.instant <= first.at.instant);
        if periods[i].segment > 0 {
            // Counting restarts at the line before the counters went down.
            periods[i].start = previous_end.unwrap_or(first.at);
            periods[i].start_known = previous_end.is_some();
        } else if periods[i].start.instant > first.at.instant {
            anomalies.push(Anomaly {
                file: files[first.file].name.clone(),
                line: first.line,
                kind: AnomalyKind::SinceAfterStamp,
                detail: Some(format!(
                    "since {} after the line's stamp {}",
                    periods[i].since.to_rfc3339(),
                    first.at.local.format("%Y-%m-%d %H:%M:%S")
                )),
            });
            periods[i].start = previous_end.unwrap_or(first.at);
            periods[i].start_known = false;
        }
    }
    let index_of: HashMap<(InstantMs, u32), usize> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| ((p.since.timestamp_millis(), p.segment), i))
        .collect();

    attach_resets(&events, files, &index_of, &mut periods, &mut anomalies);

    let last_index = periods.len().checked_sub(1);
    for (i, period) in periods.iter_mut().enumerate() {
        period.status = match period.reset {
            Some(reset) if reset.instant - period.last().at.instant <= RESET_GRACE_MS => {
                PeriodStatus::Complete
            }
            Some(_) => {
                let (file, line) = period.reset_source.unwrap_or((period.last().file, 0));
                anomalies.push(Anomaly {
                    file: files[file].name.clone(),
                    line,
                    kind: AnomalyKind::LostTotal,
                    detail: Some(format!(
                        "last usage line {} with consumed {}",
                        period.last().at.local.format("%Y-%m-%d %H:%M:%S"),
                        period.last().consumed
                    )),
                });
                PeriodStatus::TotalLost
            }
            None if Some(i) == last_index => PeriodStatus::Open,
            None => PeriodStatus::Interrupted,
        };
        if let Some(missed) = missed_monday(period) {
            anomalies.push(Anomaly {
                file: files[missed.file].name.clone(),
                line: missed.line,
                kind: AnomalyKind::MissingReset,
                detail: Some(format!("since {}", period.since.to_rfc3339())),
            });
        }
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
                consumed: obs.consumed - previous.1,
                // Rejected going down while consumed goes up is reported (CountersDown).
                rejected: obs.rejected.saturating_sub(previous.2),
                closes_period: period.status == PeriodStatus::Complete && i + 1 == count,
                start_known: i > 0 || period.start_known,
            });
            previous = (obs.at, obs.consumed, obs.rejected);
        }
    }

    let step = infer_step(&intervals);
    for (index, (interval, obs)) in intervals
        .iter()
        .zip(periods.iter().flat_map(|p| &p.observations))
        .enumerate()
    {
        // One line per step, and a final total less than a step after the last: a larger
        // rise means lines were lost. The input's very first stretch is where the given
        // files begin (older rotations not given), which is coverage, not a fault.
        if interval.consumed > step && index > 0 {
            anomalies.push(Anomaly {
                file: files[obs.file].name.clone(),
                line: obs.line,
                kind: AnomalyKind::LinesMissing,
                detail: Some(format!(
                    "consumed rose by {} between {} and {}: {} not in the input",
                    crate::render::thousands(interval.consumed),
                    interval.start.local.format("%Y-%m-%d %H:%M:%S"),
                    interval.end.local.format("%Y-%m-%d %H:%M:%S"),
                    match interval.consumed / step - 1 {
                        0 | 1 => "a line is".to_string(),
                        n => format!("about {} lines are", crate::render::thousands(n)),
                    }
                )),
            });
        }
    }
    let gaps = find_gaps(&periods, step);

    let offsets: BTreeSet<i32> = periods
        .iter()
        .map(|p| p.since.offset().local_minus_utc())
        .collect();
    anomalies.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    anomalies.dedup();
    Ok(Timeline {
        periods,
        intervals,
        gaps,
        step,
        anomalies,
        duplicates,
        offsets_differ: offsets.len() > 1,
        servers: 1,
    })
}

/// A final line stamped this soon before a reset is the period's final total (ESM writes it
/// in the same millisecond or the one before).
const RESET_GRACE_MS: InstantMs = 60_000;

/// A next period that starts this soon after a reset started at it (`since` is written in
/// whole seconds).
const SINCE_SLACK_MS: InstantMs = 1_000;

/// The first line of a period stamped after a Monday 00:00 it ran through without a reset
/// (a final line written just after the Monday's reset does not count).
fn missed_monday(period: &Period) -> Option<Observation> {
    let first_monday = Grain::Week.next(Grain::Week.floor(period.start.local));
    let grace = chrono::Duration::milliseconds(RESET_GRACE_MS);
    period
        .observations
        .iter()
        .find(|o| o.at.local > first_monday + grace)
        .copied()
}

/// Whether the wall-clock stretch holds a Monday 00:00 (a weekly reset that is not there).
fn spans_monday(from: Moment, to: Moment) -> bool {
    let grace = chrono::Duration::milliseconds(RESET_GRACE_MS);
    Grain::Week.next(Grain::Week.floor(from.local)) + grace < to.local
}

/// The stretches between periods, and before lost totals, that the log cannot count.
fn find_gaps(periods: &[Period], step: u64) -> Vec<Gap> {
    let mut gaps = Vec::new();
    // The calls a period may have consumed after its last line before the next step.
    let rest_of_step = |consumed: u64| step - 1 - consumed % step;
    for (index, period) in periods.iter().enumerate() {
        let last = period.last().at;
        let next = periods.get(index + 1).map(|n| n.start);
        let mut gap = |kind, from: Moment, to: Moment, one_restart: u64| {
            let missed_reset = spans_monday(from, to);
            gaps.push(Gap {
                kind: if missed_reset {
                    GapKind::NotInInput
                } else {
                    kind
                },
                period: index,
                from,
                to,
                consumed_max_if_one_restart: (!missed_reset).then_some(one_restart),
            });
        };
        match (period.status, period.reset) {
            (PeriodStatus::Complete | PeriodStatus::TotalLost, Some(reset)) => {
                if period.status == PeriodStatus::TotalLost {
                    gap(
                        GapKind::LostTotal,
                        last,
                        reset,
                        rest_of_step(period.last().consumed),
                    );
                }
                // Later by the wall clock too: without --tz a reset just after the autumn
                // change is read with the old offset, an hour off the next `since`.
                let later = |n: &Moment| {
                    n.instant > reset.instant + SINCE_SLACK_MS
                        && n.local > reset.local + chrono::Duration::milliseconds(SINCE_SLACK_MS)
                };
                if let Some(next) = next.filter(later) {
                    gap(GapKind::VanishedPeriod, reset, next, step - 1);
                }
            }
            _ => {
                if let Some(next) = next.filter(|n| n.instant > last.instant) {
                    gap(
                        GapKind::Restart,
                        last,
                        next,
                        rest_of_step(period.last().consumed),
                    );
                }
            }
        }
    }
    gaps
}

/// Refuses a `--tz` whose offset at a period's `since` differs from the offset written in it.
fn check_zone(
    periods: &[Period],
    files: &[UsageFile],
    clock: ServerClock,
) -> Result<(), Box<ZoneContradicts>> {
    let Some(zone) = clock.zone_name() else {
        return Ok(());
    };
    let written = |p: &Period| {
        (
            p.since.timestamp_millis(),
            p.since.offset().local_minus_utc(),
        )
    };
    let Some(wrong) = periods.iter().find(|p| {
        let (instant, seconds) = written(p);
        clock
            .offset_at(instant, *p.since.offset())
            .local_minus_utc()
            != seconds
    }) else {
        return Ok(());
    };
    let offsets: Vec<(InstantMs, i32)> = periods.iter().map(written).collect();
    let fitting = crate::clock::zones_fitting(&offsets, Some(zone), 10);
    let first = wrong.observations[0];
    Err(Box::new(ZoneContradicts {
        zone: zone.to_string(),
        since: wrong.since.to_rfc3339(),
        file: files[first.file].name.clone(),
        line: first.line,
        written: wrong.since.offset().to_string(),
        expected: clock
            .offset_at(wrong.since.timestamp_millis(), *wrong.since.offset())
            .to_string(),
        fitting: if fitting.is_empty() {
            "none (the offsets are not those of any one zone; leave out --tz)".into()
        } else {
            fitting.join(", ")
        },
    }))
}

/// Refuses periods that cannot belong to one server: two periods whose spans overlap, or one
/// `since` whose consumed counter repeats or goes down and up again between files.
fn check_one_chain(periods: &[Period], files: &[UsageFile]) -> Result<(), InterleavedChains> {
    let at = |m: Moment| m.local.format("%Y-%m-%d %H:%M:%S").to_string();
    let refuse = |detail: String, observations: &mut dyn Iterator<Item = &Observation>| {
        let names: BTreeSet<&str> = observations.map(|o| files[o.file].name.as_str()).collect();
        Err(InterleavedChains {
            detail,
            files: names.into_iter().collect::<Vec<_>>().join(", "),
        })
    };
    for period in periods.iter().filter(|p| p.segment == 0) {
        // In time order, one chain's consumed only grows, and a value is written once (but
        // for the final total at the reset, which may repeat the last step's line).
        let mut by_time: Vec<&Observation> = period.observations.iter().collect();
        by_time.sort_by_key(|o| o.at.instant);
        let last = by_time.len() - 1;
        for (i, pair) in by_time.windows(2).enumerate() {
            let (a, b) = (pair[0], pair[1]);
            let repeated = a.consumed == b.consumed
                && i + 1 < last
                && a.file != b.file
                && b.at.instant - a.at.instant > RESET_GRACE_MS;
            let back_and_forth = b.consumed < a.consumed && a.file != b.file;
            if repeated || back_and_forth {
                return refuse(
                    format!(
                        "the period since {} has consumed {} at {} and {} at {}",
                        period.since.to_rfc3339(),
                        a.consumed,
                        at(a.at),
                        b.consumed,
                        at(b.at)
                    ),
                    &mut period.observations.iter(),
                );
            }
        }
    }
    // A period's own span: from its `since` (its first line where counting restarted within
    // a `since`, or where `since` is impossible) to its last line.
    let mut spans: Vec<(&Period, Moment)> = periods
        .iter()
        .map(|p| {
            let first = p.observations[0].at;
            let start = if p.segment == 0 {
                p.start.min(first)
            } else {
                first
            };
            (p, start)
        })
        .collect();
    spans.sort_by_key(|(_, start)| start.instant);
    for pair in spans.windows(2) {
        let ((a, _), (b, b_start)) = (pair[0], pair[1]);
        let a_last = a.last().at;
        // A later period starts, and writes, while an earlier one still writes lines.
        if b_start.instant + SINCE_SLACK_MS < a_last.instant
            && b.observations[0].at.instant < a_last.instant
        {
            return refuse(
                format!(
                    "the period since {} writes lines until {}, while the period since {} has begun at {}",
                    a.since.to_rfc3339(),
                    at(a_last),
                    b.since.to_rfc3339(),
                    at(b_start)
                ),
                &mut a.observations.iter().chain(&b.observations),
            );
        }
    }
    Ok(())
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
            detail: None,
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
            None => {
                periods[index].reset = Some(moment);
                periods[index].reset_source = Some((event.file, event.line));
            }
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
    // A step seen once is no step: short logs keep ESM's own.
    counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .filter(|(_, seen)| **seen >= 2)
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

    /// The timeline of named texts, or why there is none.
    fn try_timeline(texts: &[(&str, &str)], clock: ServerClock) -> Result<Timeline, TimelineError> {
        let files: Vec<UsageFile> = texts
            .iter()
            .map(|(name, text)| parse_usage_bytes(name, text.as_bytes()))
            .collect();
        build_timeline(&files, clock)
    }

    fn timeline(texts: &[(&str, &str)]) -> Timeline {
        try_timeline(texts, ServerClock::PeriodOffsets).unwrap()
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
        // The documentation leaves out the lines between 2,000 and 15,779.
        assert_eq!(kinds(&t), vec![AnomalyKind::LinesMissing]);
        // The interrupted period may have consumed up to 999 more after its last line, if
        // the server restarted once; no gap follows the open period.
        assert_eq!(t.gaps.len(), 1);
        assert_eq!(t.gaps[0].kind, GapKind::Restart);
        assert_eq!(t.gaps[0].consumed_max_if_one_restart, Some(999));
        assert_eq!(t.gaps[0].to, t.periods[2].start);
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
        let down: Vec<&Anomaly> = t
            .anomalies
            .iter()
            .filter(|a| a.kind == AnomalyKind::CountersDown)
            .collect();
        assert_eq!(down.len(), 1);
        assert_eq!(down[0].line, 2);
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

    fn kinds(t: &Timeline) -> Vec<AnomalyKind> {
        t.anomalies.iter().map(|a| a.kind).collect()
    }

    #[test]
    fn a_period_that_wrote_no_line_leaves_a_gap() {
        let text = "\
2023-10-30 00:00:00,000|Usage,consumed,2500,rejected,25,since,2023-10-23T00:00:00+0200
2023-10-30 00:00:00,001|Statistics reset
2023-10-31 12:00:00,000|Usage,consumed,1000,rejected,10,since,2023-10-31T09:00:00+0200
2023-11-06 00:00:00,000|Usage,consumed,1500,rejected,15,since,2023-10-31T09:00:00+0200
2023-11-06 00:00:00,001|Statistics reset
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(t.gaps.len(), 1, "{:?}", t.gaps);
        assert_eq!(t.gaps[0].kind, GapKind::VanishedPeriod);
        assert_eq!(t.gaps[0].from.local.to_string(), "2023-10-30 00:00:00.001");
        assert_eq!(t.gaps[0].to.local.to_string(), "2023-10-31 09:00:00");
        // The example starts at 2,500: that is where the input begins, not a fault.
        assert!(t.anomalies.is_empty(), "{:?}", t.anomalies);
    }

    #[test]
    fn a_reset_without_its_final_line_loses_the_total() {
        let text = "\
2023-10-25 10:00:00,000|Usage,consumed,1000,rejected,1,since,2023-10-23T00:00:00+0300
2023-10-30 00:00:00,001|Statistics reset
2023-10-30 09:00:00,000|Usage,consumed,1000,rejected,0,since,2023-10-30T00:00:00+0200
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(t.periods[0].status, PeriodStatus::TotalLost);
        assert_eq!(kinds(&t), vec![AnomalyKind::LostTotal]);
        assert_eq!(t.anomalies[0].line, 2);
        assert_eq!(t.gaps[0].kind, GapKind::LostTotal);
        assert_eq!(t.gaps[0].consumed_max_if_one_restart, Some(999));
    }

    #[test]
    fn a_since_after_its_stamp_is_an_anomaly_and_no_start() {
        let text = "\
2023-10-23 00:00:00,000|Usage,consumed,1200,rejected,0,since,2023-10-16T00:00:00+0300
2023-10-23 00:00:00,001|Statistics reset
2023-10-24 10:00:00,000|Usage,consumed,1000,rejected,0,since,2024-05-01T00:00:00+0300
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(kinds(&t), vec![AnomalyKind::SinceAfterStamp]);
        let p = &t.periods[1];
        assert!(!p.start_known);
        assert_eq!(p.start, t.periods[0].last().at);
        let first = t.intervals.iter().find(|i| i.period == 1).unwrap();
        assert!(!first.start_known);
    }

    #[test]
    fn a_period_through_monday_without_reset_is_an_anomaly() {
        let text = "\
2023-10-27 10:00:00,000|Usage,consumed,1000,rejected,0,since,2023-10-26T00:00:00+0300
2023-10-31 10:00:00,000|Usage,consumed,2000,rejected,0,since,2023-10-26T00:00:00+0300
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(kinds(&t), vec![AnomalyKind::MissingReset]);
        assert_eq!(t.anomalies[0].line, 2);
    }

    #[test]
    fn a_counter_that_jumps_shows_lost_lines() {
        let text = "\
2023-10-27 10:00:00,000|Usage,consumed,1000,rejected,0,since,2023-10-26T00:00:00+0300
2023-10-27 12:00:00,000|Usage,consumed,4000,rejected,0,since,2023-10-26T00:00:00+0300
2023-10-27 13:00:00,000|Usage,consumed,5000,rejected,0,since,2023-10-26T00:00:00+0300
";
        let t = timeline(&[("u.log", text)]);
        assert_eq!(kinds(&t), vec![AnomalyKind::LinesMissing]);
        assert!(t.anomalies[0]
            .detail
            .as_deref()
            .unwrap()
            .contains("about 2 lines are"));
    }

    #[test]
    fn two_servers_are_never_one_chain() {
        // After a common reset both servers count from Monday 00:00: one since, two chains.
        let a = "\
2023-10-30 05:00:00,000|Usage,consumed,1000,rejected,0,since,2023-10-30T00:00:00+0200
2023-10-30 09:00:00,000|Usage,consumed,2000,rejected,3,since,2023-10-30T00:00:00+0200
2023-10-30 15:00:00,000|Usage,consumed,3000,rejected,3,since,2023-10-30T00:00:00+0200
";
        let b = "\
2023-10-30 06:00:00,000|Usage,consumed,1000,rejected,7,since,2023-10-30T00:00:00+0200
2023-10-30 12:00:00,000|Usage,consumed,2000,rejected,9,since,2023-10-30T00:00:00+0200
2023-10-30 16:00:00,000|Usage,consumed,3000,rejected,9,since,2023-10-30T00:00:00+0200
";
        let two = try_timeline(&[("a.log", a), ("b.log", b)], ServerClock::PeriodOffsets);
        let Err(TimelineError::Chains(e)) = two else {
            panic!("two chains merged");
        };
        assert_eq!(e.files, "a.log, b.log");
        // Different since values that alternate in time.
        let c = "\
2023-10-30 06:00:00,000|Usage,consumed,1000,rejected,7,since,2023-10-30T02:00:00+0200
2023-10-30 12:00:00,000|Usage,consumed,2000,rejected,9,since,2023-10-30T02:00:00+0200
";
        assert!(try_timeline(&[("a.log", a), ("c.log", c)], ServerClock::PeriodOffsets).is_err());
        // One server's rotated files are one chain, whatever their order.
        let (older, newer) = a.split_at(a.find("2023-10-30 15").unwrap());
        let rotated = [("u.log", newer), ("u.log.1", older)];
        assert!(try_timeline(&rotated, ServerClock::PeriodOffsets).is_ok());
    }

    #[test]
    fn a_zone_that_contradicts_the_offsets_is_refused() {
        let doc = [("u.log", DOC_EXAMPLE)];
        let helsinki = ServerClock::from_zone_name("Europe/Helsinki").unwrap();
        assert!(try_timeline(&doc, helsinki).is_ok());
        let new_york = ServerClock::from_zone_name("America/New_York").unwrap();
        let Err(TimelineError::Zone(e)) = try_timeline(&doc, new_york) else {
            panic!("a contradicting zone was accepted");
        };
        assert_eq!(e.line, 1);
        assert!(e.fitting.contains("Europe/Helsinki"), "{}", e.fitting);
    }
}
