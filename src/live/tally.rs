//! What the watch has counted since it first started: REST calls and rejections per user
//! label, the lines of each kind of log by outcome, the usage log's rows, and the minutes of
//! integration.log fed to the spike rule. All of it goes into the checkpoint, so a restart
//! goes on with the same counters.

use crate::integration::aggregate::MISSING;
use crate::integration::call::CallRecord;
use crate::integration::entry::LineAccounting;
use crate::spike::{Bucket, SpikeDetector, SpikeParams, SpikeWindow};
use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// The label users beyond `--max-users` are counted under.
pub const OTHER_USERS: &str = "other";

/// Minutes after a minute before it is closed and judged: calls of concurrent requests
/// reach the log a little out of order around a minute's end.
const MINUTE_GRACE: i64 = 1;

/// The outcomes a log line is counted under in `esm_log_lines_total`; each kind of log
/// has every one (zero where it cannot happen), so that alert rules need not know which.
pub const OUTCOMES: [&str; 6] = [
    "parsed",
    "continuation",
    "malformed",
    "suspicious",
    "orphan",
    "blank",
];

/// Lines by outcome, one kind of log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineOutcomes {
    pub parsed: u64,
    pub continuation: u64,
    pub malformed: u64,
    pub suspicious: u64,
    pub orphan: u64,
    pub blank: u64,
}

impl LineOutcomes {
    /// The count of an outcome in [`OUTCOMES`].
    pub fn get(&self, outcome: &str) -> u64 {
        match outcome {
            "parsed" => self.parsed,
            "continuation" => self.continuation,
            "malformed" => self.malformed,
            "suspicious" => self.suspicious,
            "orphan" => self.orphan,
            _ => self.blank,
        }
    }

    /// Every line counted.
    pub fn total(&self) -> u64 {
        OUTCOMES.iter().map(|o| self.get(o)).sum()
    }

    /// Adds integration.log's accounting of a run of lines: entries are its parsed lines.
    pub fn add_entries(&mut self, lines: &LineAccounting) {
        self.parsed += lines.entries;
        self.continuation += lines.continuation;
        self.suspicious += lines.suspicious;
        self.orphan += lines.orphans;
        self.blank += lines.blank;
    }
}

/// Lines of the followed files, by kind of log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinesByKind {
    pub integration: LineOutcomes,
    pub usage: LineOutcomes,
    /// Files that are neither kind: their lines are malformed or blank.
    pub unknown: LineOutcomes,
}

/// Users named in labels: the first `--max-users` seen keep their name, later ones are
/// [`OTHER_USERS`], so that a log with thousands of users cannot flood Prometheus.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLabels {
    named: BTreeSet<String>,
}

impl UserLabels {
    /// The label of `user`, naming it when there is room.
    pub fn label(&mut self, user: &str, max: usize) -> String {
        if self.named.contains(user) {
            return user.to_owned();
        }
        if self.named.len() < max {
            self.named.insert(user.to_owned());
            return user.to_owned();
        }
        OTHER_USERS.to_owned()
    }

    /// The label `user` has now, without naming it.
    pub fn current(&self, user: &str) -> &str {
        self.named.get(user).map_or(OTHER_USERS, String::as_str)
    }
}

/// One usage-log line as kept: its counters, or a reset (no counters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRow {
    pub stamp: NaiveDateTime,
    pub consumed: Option<u64>,
    pub rejected: Option<u64>,
    pub since: Option<DateTime<FixedOffset>>,
}

/// A minute not yet closed: its calls, and each user's calls and rejected calls in it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenMinute {
    pub bucket: Bucket,
    /// User (redacted, not folded) to (calls, rejected calls).
    pub users: BTreeMap<String, (u64, u64)>,
}

/// A minute just closed that started a spike.
#[derive(Debug, Clone, PartialEq)]
pub struct SpikeStart {
    /// The spike's first minute, wall-clock time as written.
    pub minute: NaiveDateTime,
    pub spike: SpikeWindow,
    /// The user with the most rejected calls in that minute.
    pub top_user: Option<(String, u64)>,
}

/// integration.log's calls per minute: the open minutes, and the spike rule fed with each
/// minute as it closes, every minute from the first call's (a minute without calls is a
/// zero), as `esmlog rejections` builds its series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MinuteSeries {
    /// The next minute to close.
    pub next: Option<NaiveDateTime>,
    /// The newest minute of any call.
    pub newest: Option<NaiveDateTime>,
    pub open: BTreeMap<NaiveDateTime, OpenMinute>,
    pub detector: SpikeDetector,
}

impl MinuteSeries {
    fn new(params: SpikeParams) -> MinuteSeries {
        MinuteSeries {
            next: None,
            newest: None,
            open: BTreeMap::new(),
            detector: SpikeDetector::new(params),
        }
    }
}

/// Everything counted, as it goes into the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LiveTotals {
    /// Calls by user label and status class (`2xx`, `4xx`, `none`).
    pub calls: BTreeMap<String, BTreeMap<String, u64>>,
    /// Calls with a status of 400 or more, by user label and status.
    pub rejected: BTreeMap<String, BTreeMap<u16, u64>>,
    pub users: UserLabels,
    pub lines: LinesByKind,
    pub usage: Vec<UsageRow>,
    pub minutes: MinuteSeries,
    /// Minutes in which a user made at least `--rate-limit` calls, by user label.
    pub rate_limit_minutes: BTreeMap<String, u64>,
    /// Spikes started.
    pub spikes: u64,
    /// Calls that came after their minute was closed (more than a minute out of order):
    /// counted everywhere but in the minutes.
    pub late_calls: u64,
    /// Calls whose entry has no date: counted everywhere but in the minutes.
    pub undated_calls: u64,
    /// The quota period (`2023-10`) for which `--on-quota` last ran.
    pub quota_alerted: Option<String>,
}

impl LiveTotals {
    /// Nothing counted yet; spikes judged by `params`.
    pub fn new(params: SpikeParams) -> LiveTotals {
        LiveTotals {
            calls: BTreeMap::new(),
            rejected: BTreeMap::new(),
            users: UserLabels::default(),
            lines: LinesByKind::default(),
            usage: Vec::new(),
            minutes: MinuteSeries::new(params),
            rate_limit_minutes: BTreeMap::new(),
            spikes: 0,
            late_calls: 0,
            undated_calls: 0,
            quota_alerted: None,
        }
    }

    /// Counts one call of `user` (already redacted) in an entry written at `time`.
    pub fn record_call(
        &mut self,
        time: Option<NaiveDateTime>,
        user: Option<&str>,
        call: &CallRecord<'_>,
        max_users: usize,
    ) {
        let user = user.unwrap_or(MISSING);
        let label = self.users.label(user, max_users);
        let rejected = call.successful() == Some(false);
        if let (true, Some(status)) = (rejected, call.status) {
            *self
                .rejected
                .entry(label.clone())
                .or_default()
                .entry(status)
                .or_default() += 1;
        }
        *self
            .calls
            .entry(label)
            .or_default()
            .entry(status_class(call.status))
            .or_default() += 1;
        let Some(minute) = time.and_then(|t| t.with_second(0)?.with_nanosecond(0)) else {
            self.undated_calls += 1;
            return;
        };
        let series = &mut self.minutes;
        if series.next.is_some_and(|next| minute < next) {
            self.late_calls += 1;
            return;
        }
        series.next.get_or_insert(minute);
        series.newest = Some(series.newest.map_or(minute, |n| n.max(minute)));
        let open = series.open.entry(minute).or_default();
        // As `esmlog rejections` counts a minute: calls with a status, the unsuccessful
        // among them, and the 429s.
        open.bucket.calls += u64::from(call.status.is_some());
        open.bucket.rejected += u64::from(rejected);
        open.bucket.rate_limited += u64::from(call.status == Some(429));
        let counts = open.users.entry(user.to_owned()).or_default();
        counts.0 += 1;
        counts.1 += u64::from(rejected);
    }

    /// Closes the minutes more than [`MINUTE_GRACE`] minutes older than the newest call:
    /// each is fed to the spike rule and checked against the rate limit. Returns the spikes
    /// they started.
    pub fn close_minutes(&mut self, rate_limit: u64, max_users: usize) -> Vec<SpikeStart> {
        let mut started = Vec::new();
        let (Some(mut next), Some(newest)) = (self.minutes.next, self.minutes.newest) else {
            return started;
        };
        while next + Duration::minutes(MINUTE_GRACE) < newest {
            let minute = self.minutes.open.remove(&next).unwrap_or_default();
            for (user, &(calls, _)) in &minute.users {
                if calls >= rate_limit {
                    let label = self.users.label(user, max_users);
                    *self.rate_limit_minutes.entry(label).or_default() += 1;
                }
            }
            let step = self.minutes.detector.push(minute.bucket);
            if let Some(spike) = step.started {
                self.spikes += 1;
                let top_user = minute
                    .users
                    .iter()
                    .filter(|(_, c)| c.1 > 0)
                    .max_by(|a, b| a.1 .1.cmp(&b.1 .1).then(b.0.cmp(a.0)))
                    .map(|(u, c)| (u.clone(), c.1));
                started.push(SpikeStart {
                    minute: next,
                    spike,
                    top_user,
                });
            }
            next += Duration::minutes(1);
        }
        self.minutes.next = Some(next);
        started
    }

    /// Each user label's most calls in one of the open minutes (the last minute or two of
    /// the log's clock).
    pub fn calls_per_minute_max(&self) -> BTreeMap<String, u64> {
        let mut max: BTreeMap<String, u64> = BTreeMap::new();
        for minute in self.minutes.open.values() {
            let mut per_label: BTreeMap<&str, u64> = BTreeMap::new();
            for (user, &(calls, _)) in &minute.users {
                *per_label.entry(self.users.current(user)).or_default() += calls;
            }
            for (label, calls) in per_label {
                let slot = max.entry(label.to_owned()).or_default();
                *slot = (*slot).max(calls);
            }
        }
        max
    }

    /// The newest usage-log row.
    pub fn newest_usage(&self) -> Option<&UsageRow> {
        self.usage.iter().max_by_key(|r| r.stamp)
    }
}

/// `2xx`, `4xx`…, `none` for a call without a status, `other` for a status outside 100–599.
pub fn status_class(status: Option<u16>) -> String {
    match status {
        None => "none".to_owned(),
        Some(s) if (100..600).contains(&s) => format!("{}xx", s / 100),
        Some(_) => "other".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_beyond_the_limit_fold_into_other() {
        let mut labels = UserLabels::default();
        assert_eq!(labels.label("a", 2), "a");
        assert_eq!(labels.label("b", 2), "b");
        assert_eq!(labels.label("c", 2), OTHER_USERS);
        assert_eq!(labels.label("a", 2), "a");
        assert_eq!(labels.current("c"), OTHER_USERS);
    }

    #[test]
    fn status_classes() {
        assert_eq!(status_class(Some(200)), "2xx");
        assert_eq!(status_class(Some(429)), "4xx");
        assert_eq!(status_class(None), "none");
        assert_eq!(status_class(Some(999)), "other");
    }
}
