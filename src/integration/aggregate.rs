//! Partial aggregates of REST calls: built per worker from chunks of input, merged exactly,
//! then turned into string-keyed, redacted, sorted tables.
//!
//! A partial keeps its strings (users, endpoints, templates, methods, addresses) in its own
//! interner, looked up by bytes so that repeated values allocate nothing; merging remaps
//! them. Every figure is a count, a minimum, a maximum or a bucket-wise histogram sum, so
//! the merged result is the same whatever the chunk size, the thread count and the order
//! of merges.

use rayon::slice::ParallelSliceMut;
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use serde::Serialize;

use super::call::{CallRecord, Endpoints};
use super::entry::LevelCounts;
use super::fast_hash::{word_of, FastMap};
use super::histogram::LatencyHistogram;
use super::layout::Header;
use crate::calendar::TimeRange;
use crate::redact::redact;

/// What a group key shows for a value the call does not have (no user, no status, no date).
pub const MISSING: &str = "-";

/// A dimension calls can be grouped by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dim {
    /// The integration's account.
    User,
    /// `METHOD /normalised/path`.
    Endpoint,
    /// The data-card template code (`incident`).
    Template,
    /// The HTTP method.
    Method,
    /// The HTTP status.
    Status,
    /// The client address.
    Ip,
    /// `YYYY-MM-DD HH` of the wall-clock time written in the header.
    Hour,
    /// `YYYY-MM-DD`, likewise.
    Day,
    /// The ISO week, `2023-W15`, likewise.
    Week,
}

impl Dim {
    /// Every dimension.
    pub const ALL: [Dim; 9] = [
        Dim::User,
        Dim::Endpoint,
        Dim::Template,
        Dim::Method,
        Dim::Status,
        Dim::Ip,
        Dim::Hour,
        Dim::Day,
        Dim::Week,
    ];

    /// The name used on the command line and in headings.
    pub const fn name(self) -> &'static str {
        match self {
            Dim::User => "user",
            Dim::Endpoint => "endpoint",
            Dim::Template => "template",
            Dim::Method => "method",
            Dim::Status => "status",
            Dim::Ip => "ip",
            Dim::Hour => "hour",
            Dim::Day => "day",
            Dim::Week => "week",
        }
    }

    /// Parses a comma-separated list (`user,endpoint`), keeping the first of repeats.
    pub fn parse_list(text: &str) -> Result<Vec<Dim>, UnknownDim> {
        let mut dims = Vec::new();
        for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let dim = name.parse()?;
            if !dims.contains(&dim) {
                dims.push(dim);
            }
        }
        Ok(dims)
    }

    fn is_text(self) -> bool {
        matches!(
            self,
            Dim::User | Dim::Endpoint | Dim::Template | Dim::Method | Dim::Ip
        )
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A dimension name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown dimension `{0}`; known: user, endpoint, template, method, status, ip, hour, day, week"
)]
pub struct UnknownDim(pub String);

impl FromStr for Dim {
    type Err = UnknownDim;

    fn from_str(s: &str) -> Result<Dim, UnknownDim> {
        Dim::ALL
            .into_iter()
            .find(|d| d.name().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| UnknownDim(s.to_owned()))
    }
}

/// Figures of a set of calls.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Calls (entries with a method and a path).
    pub calls: u64,
    /// Calls with a status below 400: transactions, what the usage log counts as consumed.
    pub successful: u64,
    /// Calls with a status of 400 or more: what the usage log counts as rejected.
    pub unsuccessful: u64,
    /// Calls whose message has no status: counted as calls, but neither successful nor
    /// unsuccessful.
    pub no_status: u64,
    /// Status 429: the per-minute limit was hit.
    pub rate_limited: u64,
    /// `POST .../login` calls.
    pub logins: u64,
    /// Latencies of the calls that give a duration.
    pub latency: LatencyHistogram,
}

impl GroupStats {
    #[inline]
    fn record(&mut self, call: &CallRecord<'_>) {
        self.calls += 1;
        match call.successful() {
            Some(true) => self.successful += 1,
            Some(false) => self.unsuccessful += 1,
            None => self.no_status += 1,
        }
        self.rate_limited += u64::from(call.status == Some(429));
        self.logins += u64::from(call.login);
        if let Some(us) = call.duration_us {
            self.latency.record(us);
        }
    }

    /// Adds every figure of `other`.
    pub fn merge(&mut self, other: &GroupStats) {
        self.calls += other.calls;
        self.successful += other.successful;
        self.unsuccessful += other.unsuccessful;
        self.no_status += other.no_status;
        self.rate_limited += other.rate_limited;
        self.logins += other.logins;
        self.latency.merge(&other.latency);
    }
}

/// Calls of one user in one minute: what the rate-limit, login and busiest-minute analyses
/// and the reconciliation with the usage log need. A `u32` is ample for one minute.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct MinuteCounts {
    /// Calls.
    pub calls: u32,
    /// Calls with a status below 400.
    pub successful: u32,
    /// Calls with a status of 400 or more.
    pub unsuccessful: u32,
    /// Calls answered 429.
    pub rate_limited: u32,
    /// Logins.
    pub logins: u32,
}

impl MinuteCounts {
    #[inline]
    fn record(&mut self, call: &CallRecord<'_>) {
        self.calls += 1;
        match call.successful() {
            Some(true) => self.successful += 1,
            Some(false) => self.unsuccessful += 1,
            None => {}
        }
        self.rate_limited += u32::from(call.status == Some(429));
        self.logins += u32::from(call.login);
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &MinuteCounts) {
        self.calls += other.calls;
        self.successful += other.successful;
        self.unsuccessful += other.unsuccessful;
        self.rate_limited += other.rate_limited;
        self.logins += other.logins;
    }
}

/// One group of calls: its key (one string per dimension, in the order asked for) and
/// its figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// One value per dimension; [`MISSING`] where the calls have none.
    pub key: Vec<String>,
    /// The group's figures.
    pub stats: GroupStats,
}

/// One user's calls in one minute. Names are shared between rows: a month holds tens of
/// thousands of minutes per user, and one string each would be most of the table's memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinuteRow {
    /// The minute, wall-clock time as written in the headers.
    pub minute: NaiveDateTime,
    /// The user, [`MISSING`] for calls without one.
    pub user: Arc<str>,
    /// The counts.
    pub counts: MinuteCounts,
}

/// Unsuccessful calls of one user, endpoint and status in one minute: what names the cause
/// of a rejection spike. Only failures are kept, so the table stays small.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureRow {
    pub minute: NaiveDateTime,
    pub user: Arc<str>,
    pub endpoint: Arc<str>,
    pub status: u16,
    pub count: u64,
}

/// Every call of a scan, aggregated. Tables are sorted by their keys; text that could
/// hold a secret is redacted unless the scan was told not to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallAggregate {
    /// The dimensions of `groups`' keys.
    pub dims: Vec<Dim>,
    /// Calls grouped by `dims`, sorted by key.
    pub groups: Vec<Group>,
    /// All calls.
    pub totals: GroupStats,
    /// Calls per (minute, user), sorted by minute then user. Calls without a date (a
    /// layout without one) are only in `undated_calls`.
    pub minutes: Vec<MinuteRow>,
    /// Unsuccessful calls per (minute, user, endpoint, status), sorted; empty when the
    /// scan was told not to keep them.
    pub failures: Vec<FailureRow>,
    /// Calls per status.
    pub statuses: BTreeMap<u16, u64>,
    /// Entries (calls or not) per level.
    pub levels: LevelCounts,
    /// The earliest and latest wall-clock time of any entry.
    pub first: Option<NaiveDateTime>,
    /// See `first`.
    pub last: Option<NaiveDateTime>,
    /// Calls whose header has no date.
    pub undated_calls: u64,
}

impl CallAggregate {
    /// The groups re-keyed by a subset of `self.dims` (in the order given), merged exactly.
    /// None if a dimension was not among those of the scan.
    pub fn rollup(&self, dims: &[Dim]) -> Option<Vec<Group>> {
        let positions: Vec<usize> = dims
            .iter()
            .map(|d| self.dims.iter().position(|s| s == d))
            .collect::<Option<_>>()?;
        let mut merged: BTreeMap<Vec<String>, GroupStats> = BTreeMap::new();
        for group in &self.groups {
            let key = positions.iter().map(|&i| group.key[i].clone()).collect();
            merged.entry(key).or_default().merge(&group.stats);
        }
        Some(
            merged
                .into_iter()
                .map(|(key, stats)| Group { key, stats })
                .collect(),
        )
    }

    /// Calls of all users per minute, in time order.
    pub fn minute_totals(&self) -> Vec<(NaiveDateTime, MinuteCounts)> {
        let mut totals: Vec<(NaiveDateTime, MinuteCounts)> = Vec::new();
        for row in &self.minutes {
            match totals.last_mut() {
                Some((minute, counts)) if *minute == row.minute => counts.merge(&row.counts),
                _ => totals.push((row.minute, row.counts)),
            }
        }
        totals
    }

    /// The minute with the most calls (the earliest of equals), with its counts.
    pub fn busiest_minute(&self) -> Option<(NaiveDateTime, MinuteCounts)> {
        self.minute_totals()
            .into_iter()
            .reduce(|best, m| if m.1.calls > best.1.calls { m } else { best })
    }
}

/// A value absent from a key.
const NONE: u32 = u32::MAX;
const MAX_DIMS: usize = Dim::ALL.len();

/// A group key: one number per dimension (an interned string, a status, an hour, a day or
/// a week), unused places zero.
#[derive(Debug, Clone, Copy, Default)]
struct Key([u32; MAX_DIMS]);

impl Key {
    /// The key two places to a word: what its hash and comparison read, without the
    /// per-element rounds and the `memcmp` call that the derived ones cost on every call.
    #[inline(always)]
    fn words(&self) -> [u64; MAX_DIMS.div_ceil(2)] {
        std::array::from_fn(|i| {
            let high = self.0.get(2 * i + 1).copied().unwrap_or(0);
            u64::from(self.0[2 * i]) | u64::from(high) << 32
        })
    }
}

impl PartialEq for Key {
    #[inline(always)]
    fn eq(&self, other: &Key) -> bool {
        self.words()
            .iter()
            .zip(other.words())
            .fold(0, |differ, (a, b)| differ | (a ^ b))
            == 0
    }
}

impl Eq for Key {}

impl std::hash::Hash for Key {
    #[inline(always)]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        for word in self.words() {
            state.write_u64(word);
        }
    }
}

/// What a user's latest call was counted under: calls of a user come in runs of one group
/// and one minute, while users interleave, so remembering this per user spares most calls
/// the hash and probe of both tables.
#[derive(Debug, Clone, Copy)]
struct UserMemo {
    /// The group key and its row in `PartialAggregate::groups`.
    key: Key,
    group: u32,
    /// The minute, and its counts not yet added to `PartialAggregate::minutes`.
    minute: u32,
    pending: MinuteCounts,
}

/// The groups of a partial: rows in the order they first came, found by key. A row number
/// is what [`UserMemo`] keeps, where a reference into a hash map could not be kept.
#[derive(Debug, Clone, Default)]
struct GroupTable {
    index: FastMap<Key, u32>,
    rows: Vec<(Key, GroupStats)>,
}

impl GroupTable {
    /// The row of `key`, a new empty one if it has none yet.
    fn row(&mut self, key: Key) -> u32 {
        let rows = &mut self.rows;
        *self.index.entry(key).or_insert_with(|| {
            rows.push((key, GroupStats::default()));
            rows.len() as u32 - 1
        })
    }
}

/// No group: a memo that matches no key.
const NO_ROW: u32 = u32::MAX;

impl Default for UserMemo {
    fn default() -> UserMemo {
        UserMemo {
            key: Key::default(),
            group: NO_ROW,
            minute: NONE,
            pending: MinuteCounts::default(),
        }
    }
}

/// Interned byte strings, looked up by bytes.
#[derive(Debug, Clone)]
struct Interner {
    ids: FastMap<Box<[u8]>, u32>,
    strings: Vec<Box<[u8]>>,
    /// Ids of recently interned texts by [`recent_slot`], checked against the text before
    /// use ([`u32::MAX`]: none). Calls repeat a few users and endpoints, and for them this
    /// spares the hash of the whole text and the probe of the table.
    recent: [u32; RECENT_SLOTS],
}

/// Places in [`Interner::recent`].
const RECENT_SLOTS: usize = 64;

impl Default for Interner {
    fn default() -> Interner {
        Interner {
            ids: FastMap::default(),
            strings: Vec::new(),
            recent: [u32::MAX; RECENT_SLOTS],
        }
    }
}

impl Interner {
    #[inline]
    fn intern(&mut self, text: &[u8]) -> u32 {
        let slot = recent_slot(text);
        let recent = self.recent[slot];
        if self
            .strings
            .get(recent as usize)
            .is_some_and(|known| same_bytes(known, text))
        {
            return recent;
        }
        let id = match self.ids.get(text) {
            Some(&id) => id,
            None => {
                let id = self.strings.len() as u32;
                self.strings.push(text.into());
                self.ids.insert(text.into(), id);
                id
            }
        };
        self.recent[slot] = id;
        id
    }
}

/// `a == b`, with texts of up to sixteen bytes (users, methods) compared as two words each
/// rather than by a call to `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        1..=7 => word_of(a) == word_of(b),
        8..=16 => {
            let n = a.len();
            word_of(&a[..8]) == word_of(&b[..8]) && word_of(&a[n - 8..]) == word_of(&b[n - 8..])
        }
        _ => a == b,
    }
}

/// Where a text's id is kept in [`Interner::recent`]: from its length and its first and
/// last eight bytes (endpoints share their start, users rarely do).
#[inline(always)]
fn recent_slot(text: &[u8]) -> usize {
    let n = text.len().min(8);
    let mix =
        word_of(&text[..n]) ^ word_of(&text[text.len() - n..]).rotate_left(29) ^ text.len() as u64;
    (mix.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - RECENT_SLOTS.trailing_zeros())) as usize
}

/// A user's place in `PartialAggregate::memos`: calls without a user first.
#[inline(always)]
fn memo_slot(user: u32) -> usize {
    user.wrapping_add(1) as usize
}

fn user_of_slot(slot: usize) -> u32 {
    (slot as u32).wrapping_sub(1)
}

/// Days since 0001-01-01, for keys; None before it.
fn day_number(date: NaiveDate) -> Option<u32> {
    u32::try_from(date.num_days_from_ce()).ok()
}

fn date_of_day(day: u32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(i32::try_from(day).ok()?)
}

/// The ISO week as `year * 100 + week`. Not inlined: the compiler would otherwise work
/// it out ahead of the loop over the dimensions, on every call, for the few scans that
/// group by week.
#[inline(never)]
fn week_number(time: NaiveDateTime) -> Option<u32> {
    let week = time.date().iso_week();
    Some(u32::try_from(week.year()).ok()? * 100 + week.week())
}

/// Minutes since 0001-01-01 00:00 (fits u32 until the year 8166), of a time on `day`.
fn minute_number(day: u32, time: NaiveDateTime) -> Option<u32> {
    day.checked_mul(1440)?
        .checked_add(time.hour() * 60 + time.minute())
}

fn time_of_minute(minute: u32) -> Option<NaiveDateTime> {
    date_of_day(minute / 1440)?.and_hms_opt((minute % 1440) / 60, minute % 60, 0)
}

/// The order of a partial's strings as text ([`MISSING`] for absent values among them).
struct TextRanks<'t> {
    /// Rank of each string id; the last entry is the rank of [`NONE`].
    ranks: Vec<u32>,
    /// The text of each rank.
    texts: Vec<&'t str>,
}

impl<'t> TextRanks<'t> {
    fn new(texts: &'t [String]) -> TextRanks<'t> {
        let all: Vec<&str> = texts.iter().map(String::as_str).chain([MISSING]).collect();
        let mut order: Vec<u32> = (0..all.len() as u32).collect();
        order.sort_unstable_by_key(|&i| all[i as usize]);
        let mut ranks = vec![0; all.len()];
        let mut distinct: Vec<&str> = Vec::new();
        for i in order {
            let text = all[i as usize];
            if distinct.last() != Some(&text) {
                distinct.push(text);
            }
            ranks[i as usize] = distinct.len() as u32 - 1;
        }
        TextRanks {
            ranks,
            texts: distinct,
        }
    }

    fn rank(&self, id: u32) -> u32 {
        let last = self.ranks.len() - 1;
        self.ranks[if id == NONE { last } else { id as usize }]
    }
}

/// Statuses are three digits (message.rs): a flat table.
const STATUS_SLOTS: usize = 1000;

/// The aggregate of some of the calls: see the module documentation.
#[derive(Debug, Clone)]
pub struct PartialAggregate {
    dims: Vec<Dim>,
    strings: Interner,
    groups: GroupTable,
    minutes: FastMap<(u32, u32), MinuteCounts>,
    /// Per user ([`memo_slot`]): see [`UserMemo`]. Pending minute counts belong to
    /// `minutes`; every reader of it adds them.
    memos: Vec<UserMemo>,
    /// The latest call's date and its day number.
    day_memo: (NaiveDate, Option<u32>),
    /// (minute, user, endpoint, status) → unsuccessful calls.
    failures: FastMap<(u32, u32, u32, u16), u64>,
    keep_failures: bool,
    statuses: Vec<u64>,
    levels: LevelCounts,
    first: Option<NaiveDateTime>,
    last: Option<NaiveDateTime>,
    undated_calls: u64,
    /// Calls outside it are left out of the groups and statuses; minutes and failures keep
    /// every call, since a spike's baseline lies before the range (cut them with the range).
    window: TimeRange,
}

impl PartialAggregate {
    /// An empty aggregate grouping by `dims` (repeats are dropped).
    pub fn new(dims: &[Dim]) -> PartialAggregate {
        let mut unique = Vec::with_capacity(dims.len());
        for &d in dims {
            if !unique.contains(&d) {
                unique.push(d);
            }
        }
        PartialAggregate {
            dims: unique,
            strings: Interner::default(),
            groups: GroupTable::default(),
            minutes: FastMap::default(),
            memos: Vec::new(),
            day_memo: (NaiveDate::MIN, day_number(NaiveDate::MIN)),
            failures: FastMap::default(),
            keep_failures: true,
            statuses: vec![0; STATUS_SLOTS],
            levels: LevelCounts::default(),
            first: None,
            last: None,
            undated_calls: 0,
            window: TimeRange::ALL,
        }
    }

    /// Groups and statuses count only the calls in `window` (`--since`, `--until`,
    /// `--last`); a call without a date is in no window but the whole.
    pub fn with_window(mut self, window: TimeRange) -> PartialAggregate {
        self.window = window;
        self
    }

    /// Whether to keep the failures table (on by default). Only rejection reports read it,
    /// and without it no path needs normalising unless grouping by endpoint.
    pub fn with_failures(mut self, keep: bool) -> PartialAggregate {
        self.keep_failures = keep;
        self
    }

    /// The dimensions it groups by.
    pub fn dims(&self) -> &[Dim] {
        &self.dims
    }

    /// The calls whose endpoint [`PartialAggregate::record_call`] looks at: all of them
    /// when grouping by endpoint or template, else the unsuccessful ones (for `failures`)
    /// or none.
    pub fn endpoints_needed(&self) -> Endpoints {
        if self
            .dims
            .iter()
            .any(|d| matches!(d, Dim::Endpoint | Dim::Template))
        {
            Endpoints::All
        } else if self.keep_failures {
            Endpoints::Unsuccessful
        } else {
            Endpoints::None
        }
    }

    /// Counts an entry, call or not: its level and time.
    #[inline]
    pub fn record_entry(&mut self, header: &Header<'_>) {
        self.levels.add(header.level);
        if let Some(time) = header.local {
            if self.first.is_none_or(|f| time < f) {
                self.first = Some(time);
            }
            if self.last.is_none_or(|l| time > l) {
                self.last = Some(time);
            }
        }
    }

    /// Counts a call made at `time` (the header's wall-clock time). The call must have
    /// been read with at least [`PartialAggregate::endpoints_needed`].
    pub fn record_call(&mut self, time: Option<NaiveDateTime>, call: &CallRecord<'_>) {
        let user = call.user.map_or(NONE, |u| self.strings.intern(u));
        // Calls come in date order, so the day number is worked out once a day.
        let day = time.and_then(|t| {
            let date = t.date();
            if date != self.day_memo.0 {
                self.day_memo = (date, day_number(date));
            }
            self.day_memo.1
        });
        let mut key = Key::default();
        for (slot, dim) in key.0.iter_mut().zip(&self.dims) {
            *slot = match dim {
                Dim::User => user,
                Dim::Endpoint => call.endpoint.map_or(NONE, |e| self.strings.intern(e)),
                Dim::Template => call.template().map_or(NONE, |t| self.strings.intern(t)),
                Dim::Method => self.strings.intern(call.method),
                Dim::Ip => call.ip.map_or(NONE, |ip| self.strings.intern(ip)),
                Dim::Status => call.status.map_or(NONE, u32::from),
                Dim::Hour => time
                    .zip(day)
                    .and_then(|(t, day)| Some(day.checked_mul(24)? + t.hour()))
                    .unwrap_or(NONE),
                Dim::Day => day.unwrap_or(NONE),
                Dim::Week => time.and_then(week_number).unwrap_or(NONE),
            };
        }
        let in_window = self.window.is_all() || time.is_some_and(|t| self.window.contains(t));
        let slot = memo_slot(user);
        if slot >= self.memos.len() {
            self.memos.resize(slot + 1, UserMemo::default());
        }
        if in_window {
            let memo = &mut self.memos[slot];
            if memo.group == NO_ROW || memo.key != key {
                memo.group = self.groups.row(key);
                memo.key = key;
            }
            self.groups.rows[memo.group as usize].1.record(call);
        }
        match time.zip(day).and_then(|(t, day)| minute_number(day, t)) {
            Some(minute) => {
                let memo = &mut self.memos[slot];
                if memo.minute != minute {
                    if memo.pending.calls > 0 {
                        self.minutes
                            .entry((memo.minute, user))
                            .or_default()
                            .merge(&memo.pending);
                    }
                    memo.minute = minute;
                    memo.pending = MinuteCounts::default();
                }
                memo.pending.record(call);
                if let (true, Some(false), Some(status)) =
                    (self.keep_failures, call.successful(), call.status)
                {
                    let endpoint = call.endpoint.map_or(NONE, |e| self.strings.intern(e));
                    *self
                        .failures
                        .entry((minute, user, endpoint, status))
                        .or_default() += 1;
                }
            }
            None => self.undated_calls += 1,
        }
        if let (true, Some(status)) = (in_window, call.status) {
            if let Some(slot) = self.statuses.get_mut(usize::from(status)) {
                *slot += 1;
            }
        }
    }

    /// The (minute, user) counts: the table and the counts still pending in the memos (a
    /// key may come twice; readers add them up).
    fn minute_counts(&self) -> impl Iterator<Item = ((u32, u32), &MinuteCounts)> {
        let pending = self
            .memos
            .iter()
            .enumerate()
            .filter(|(_, memo)| memo.pending.calls > 0)
            .map(|(slot, memo)| ((memo.minute, user_of_slot(slot)), &memo.pending));
        self.minutes
            .iter()
            .map(|(&key, counts)| (key, counts))
            .chain(pending)
    }

    /// Adds everything `other` counted. Both must group by the same dimensions.
    pub fn merge(&mut self, other: &PartialAggregate) {
        assert_eq!(
            self.dims, other.dims,
            "merging aggregates of different dimensions"
        );
        let remap: Vec<u32> = other
            .strings
            .strings
            .iter()
            .map(|s| self.strings.intern(s))
            .collect();
        let map = |id: u32| if id == NONE { NONE } else { remap[id as usize] };
        // Most of the other's minutes and failures are new here (partials hold different
        // chunks): room for them at once rather than rehashing while they come.
        self.minutes.reserve(other.minutes.len());
        self.failures.reserve(other.failures.len());
        for (key, stats) in &other.groups.rows {
            let mut key = *key;
            for (slot, dim) in key.0.iter_mut().zip(&self.dims) {
                if dim.is_text() {
                    *slot = map(*slot);
                }
            }
            let row = self.groups.row(key);
            self.groups.rows[row as usize].1.merge(stats);
        }
        for ((minute, user), counts) in other.minute_counts() {
            self.minutes
                .entry((minute, map(user)))
                .or_default()
                .merge(counts);
        }
        for (&(minute, user, endpoint, status), count) in &other.failures {
            *self
                .failures
                .entry((minute, map(user), map(endpoint), status))
                .or_default() += count;
        }
        for (a, b) in self.statuses.iter_mut().zip(&other.statuses) {
            *a += b;
        }
        self.levels.merge(&other.levels);
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = self.last.max(other.last);
        self.undated_calls += other.undated_calls;
    }

    /// The string-keyed, sorted tables. With `redact`, every string that reaches them goes
    /// through [`crate::redact::redact`]; values that become equal are merged.
    pub fn finish(self, redact_text: bool) -> CallAggregate {
        let texts: Vec<String> = self
            .strings
            .strings
            .iter()
            .map(|s| {
                let text = String::from_utf8_lossy(s);
                if redact_text {
                    redact(&text).into_owned()
                } else {
                    text.into_owned()
                }
            })
            .collect();
        let text = |id: u32| {
            texts
                .get(id as usize)
                .map_or_else(|| MISSING.to_owned(), Clone::clone)
        };
        // The big tables are sorted as numbers: a string's rank in text order stands for
        // it, and strings that redaction made equal share a rank, so their rows merge.
        let ranks = TextRanks::new(&texts);
        let mut minutes: Vec<(u32, u32, MinuteCounts)> = self
            .minute_counts()
            .map(|((minute, user), counts)| (minute, ranks.rank(user), *counts))
            .collect();
        let dims = self.dims;
        let mut groups: BTreeMap<Vec<String>, GroupStats> = BTreeMap::new();
        let mut totals = GroupStats::default();
        for (key, stats) in self.groups.rows {
            totals.merge(&stats);
            let key = dims
                .iter()
                .zip(key.0)
                .map(|(dim, v)| match dim {
                    _ if v == NONE => MISSING.to_owned(),
                    d if d.is_text() => text(v),
                    Dim::Status => v.to_string(),
                    Dim::Hour => date_of_day(v / 24)
                        .map_or_else(|| MISSING.to_owned(), |d| format!("{d} {:02}", v % 24)),
                    Dim::Day => {
                        date_of_day(v).map_or_else(|| MISSING.to_owned(), |d| d.to_string())
                    }
                    Dim::Week => format!("{:04}-W{:02}", v / 100, v % 100),
                    _ => unreachable!("text dimensions are handled above"),
                })
                .collect();
            match groups.get_mut(&key) {
                Some(existing) => existing.merge(&stats),
                None => {
                    groups.insert(key, stats);
                }
            }
        }
        let shared: Vec<Arc<str>> = ranks.texts.iter().map(|&t| Arc::from(t)).collect();
        let name = |rank: u32| shared[rank as usize].clone();
        minutes.par_sort_unstable_by_key(|&(minute, user, _)| (minute, user));
        minutes.dedup_by(|next, kept| {
            let same = (next.0, next.1) == (kept.0, kept.1);
            if same {
                kept.2.merge(&next.2);
            }
            same
        });
        // Sized up front: `filter_map` cannot tell, and doubling a table this big costs
        // copies and twice its memory at the peak.
        let mut minute_rows = Vec::with_capacity(minutes.len());
        minute_rows.extend(minutes.into_iter().filter_map(|(minute, user, counts)| {
            Some(MinuteRow {
                minute: time_of_minute(minute)?,
                user: name(user),
                counts,
            })
        }));
        let minutes = minute_rows;
        // Sorted on the scan's pool: the two big tables are the bulk of the work left after
        // the scan, which would otherwise run on one thread.
        let mut failures: Vec<(u32, u32, u32, u16, u64)> = self
            .failures
            .into_iter()
            .map(|((minute, user, endpoint, status), count)| {
                (
                    minute,
                    ranks.rank(user),
                    ranks.rank(endpoint),
                    status,
                    count,
                )
            })
            .collect();
        failures.par_sort_unstable_by_key(|&(minute, user, endpoint, status, _)| {
            (minute, user, endpoint, status)
        });
        failures.dedup_by(|next, kept| {
            let same = (next.0, next.1, next.2, next.3) == (kept.0, kept.1, kept.2, kept.3);
            if same {
                kept.4 += next.4;
            }
            same
        });
        let mut failure_rows = Vec::with_capacity(failures.len());
        failure_rows.extend(failures.into_iter().filter_map(
            |(minute, user, endpoint, status, count)| {
                Some(FailureRow {
                    minute: time_of_minute(minute)?,
                    user: name(user),
                    endpoint: name(endpoint),
                    status,
                    count,
                })
            },
        ));
        let failures = failure_rows;
        CallAggregate {
            dims,
            failures,
            groups: groups
                .into_iter()
                .map(|(key, stats)| Group { key, stats })
                .collect(),
            totals,
            minutes,
            statuses: self
                .statuses
                .iter()
                .enumerate()
                .filter(|(_, &n)| n > 0)
                .map(|(status, &n)| (status as u16, n))
                .collect(),
            levels: self.levels,
            first: self.first,
            last: self.last,
            undated_calls: self.undated_calls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_is_slice_equality() {
        let texts: Vec<Vec<u8>> = (0..40)
            .flat_map(|n: usize| {
                let base: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
                let mut variants = vec![base.clone()];
                for at in [0, n / 2, n.saturating_sub(1)] {
                    if at < n {
                        let mut changed = base.clone();
                        changed[at] ^= 0x20;
                        variants.push(changed);
                    }
                }
                variants
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn interned_texts_keep_their_ids_whatever_the_recent_slots_hold() {
        // Far more texts than recent slots, many of the same length and ends, asked for
        // in a mixed order: every text keeps one id, and an id gives its text back.
        let mut interner = Interner::default();
        let texts: Vec<Vec<u8>> = (0..500)
            .map(|i| format!("GET /rest-api/{}/data/{}", i % 7, i).into_bytes())
            .chain((0..50).map(|i| vec![b'u'; i]))
            .collect();
        let mut ids = Vec::new();
        for round in 0..3 {
            for (k, text) in texts.iter().enumerate() {
                let k = (k * 7 + round) % texts.len();
                let id = interner.intern(&texts[k]);
                if round == 0 && ids.len() <= k {
                    ids.resize(k + 1, u32::MAX);
                }
                if ids[k] == u32::MAX {
                    ids[k] = id;
                }
                assert_eq!(id, ids[k], "{text:?}");
                assert_eq!(&*interner.strings[id as usize], &texts[k][..]);
            }
        }
        assert_eq!(interner.strings.len(), texts.len());
    }
    use crate::integration::call::CallReader;
    use crate::integration::layout::LayoutParser;

    const LINES: &[&str] = &[
        "2023-04-09 23:59:59,000 INFO  [t] c - user=A ip=1.1.1.1 method=GET path=/rest-api/itsm/v1/dc/incident/data/1 status=200 duration=10ms",
        "2023-04-10 00:00:01,000 INFO  [t] c - user=A ip=1.1.1.1 method=post path=/rest-api/itsm/v1/users/login status=200 duration=5ms",
        "2023-04-10 00:00:30,000 WARN  [t] c - user=A ip=1.1.1.1 method=GET path=/rest-api/itsm/v1/dc/incident/data/2 status=429 duration=1ms",
        "2023-04-10 00:00:40,000 WARN  [t] c - user=B method=GET path=/rest-api/itsm/v1/dc/person/data status=404",
        "2023-04-10 01:10:00,000 INFO  [t] c - method=GET path=/x/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc duration=3ms",
        "2023-04-10 01:10:00,000 INFO  [t] c - REST API module started",
    ];

    fn aggregate(dims: &[Dim], lines: &[&str]) -> PartialAggregate {
        aggregate_into(PartialAggregate::new(dims), lines)
    }

    fn aggregate_into(mut partial: PartialAggregate, lines: &[&str]) -> PartialAggregate {
        let layout = LayoutParser::default();
        let mut reader = CallReader::new(None).with_endpoints(partial.endpoints_needed());
        for line in lines {
            let header = layout.parse_header(line.as_bytes()).unwrap();
            partial.record_entry(&header);
            if let Some(call) = reader.read(header.message) {
                partial.record_call(header.local, &call);
            }
        }
        partial
    }

    #[test]
    fn without_failures_only_the_failures_table_is_missing() {
        for dims in [&[Dim::User][..], &[Dim::Endpoint, Dim::Status]] {
            let full = aggregate(dims, LINES).finish(true);
            let partial = PartialAggregate::new(dims).with_failures(false);
            let lean = aggregate_into(partial, LINES).finish(true);
            assert!(!full.failures.is_empty());
            assert!(lean.failures.is_empty());
            assert_eq!(
                CallAggregate {
                    failures: Vec::new(),
                    ..full
                },
                lean
            );
        }
        let lean = PartialAggregate::new(&[Dim::User]).with_failures(false);
        assert_eq!(lean.endpoints_needed(), Endpoints::None);
    }

    fn keys(groups: &[Group]) -> Vec<(String, u64)> {
        groups
            .iter()
            .map(|g| (g.key.join("|"), g.stats.calls))
            .collect()
    }

    #[test]
    fn groups_by_every_dimension() {
        let all = aggregate(&Dim::ALL, LINES).finish(true);
        assert_eq!(all.totals.calls, 5);
        assert_eq!(
            (
                all.totals.successful,
                all.totals.unsuccessful,
                all.totals.no_status
            ),
            (2, 2, 1)
        );
        assert_eq!((all.totals.rate_limited, all.totals.logins), (1, 1));
        assert_eq!(all.totals.latency.count(), 4);
        assert_eq!(all.statuses, BTreeMap::from([(200, 2), (404, 1), (429, 1)]));
        assert_eq!(
            all.levels.iter().collect::<Vec<_>>(),
            [("INFO", 4), ("WARN", 2)]
        );
        assert_eq!(all.first.unwrap().to_string(), "2023-04-09 23:59:59");
        assert_eq!(all.last.unwrap().to_string(), "2023-04-10 01:10:00");
        let one = |dims: &[Dim]| keys(&all.rollup(dims).unwrap());
        assert_eq!(
            one(&[Dim::User]),
            [("-".into(), 1), ("A".into(), 3), ("B".into(), 1)]
        );
        assert_eq!(
            one(&[Dim::Endpoint]),
            [
                ("GET /dc/incident/data/{id}".into(), 2),
                ("GET /dc/person/data".into(), 1),
                ("GET /x/[REDACTED]".into(), 1),
                ("POST /users/login".into(), 1),
            ]
        );
        assert_eq!(
            one(&[Dim::Template]),
            [
                ("-".into(), 2),
                ("incident".into(), 2),
                ("person".into(), 1)
            ]
        );
        assert_eq!(one(&[Dim::Method]), [("GET".into(), 4), ("POST".into(), 1)]);
        assert_eq!(
            one(&[Dim::Status]),
            [
                ("-".into(), 1),
                ("200".into(), 2),
                ("404".into(), 1),
                ("429".into(), 1)
            ]
        );
        assert_eq!(one(&[Dim::Ip]), [("-".into(), 2), ("1.1.1.1".into(), 3)]);
        assert_eq!(
            one(&[Dim::Hour]),
            [
                ("2023-04-09 23".into(), 1),
                ("2023-04-10 00".into(), 3),
                ("2023-04-10 01".into(), 1)
            ]
        );
        assert_eq!(
            one(&[Dim::Day]),
            [("2023-04-09".into(), 1), ("2023-04-10".into(), 4)]
        );
        assert_eq!(
            one(&[Dim::Week]),
            [("2023-W14".into(), 1), ("2023-W15".into(), 4)]
        );
        assert_eq!(
            one(&[Dim::Week, Dim::User]),
            [
                ("2023-W14|A".into(), 1),
                ("2023-W15|-".into(), 1),
                ("2023-W15|A".into(), 2),
                ("2023-W15|B".into(), 1),
            ]
        );
        assert_eq!(all.rollup(&[]).unwrap()[0].stats, all.totals);
        let by_user = aggregate(&[Dim::User], LINES).finish(true);
        assert_eq!(by_user.rollup(&[Dim::Day]), None);

        // Without redaction the token stays.
        let plain = aggregate(&[Dim::Endpoint], LINES).finish(false);
        assert!(plain.groups.iter().any(|g| g.key[0].contains("eyJ")));
    }

    #[test]
    fn minute_table() {
        let agg = aggregate(&[], LINES).finish(true);
        let rows: Vec<(String, &str, u32, u32, u32, u32, u32)> = agg
            .minutes
            .iter()
            .map(|r| {
                let c = r.counts;
                (
                    r.minute.to_string(),
                    &*r.user,
                    c.calls,
                    c.successful,
                    c.unsuccessful,
                    c.rate_limited,
                    c.logins,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("2023-04-09 23:59:00".into(), "A", 1, 1, 0, 0, 0),
                ("2023-04-10 00:00:00".into(), "A", 2, 1, 1, 1, 1),
                ("2023-04-10 00:00:00".into(), "B", 1, 0, 1, 0, 0),
                ("2023-04-10 01:10:00".into(), "-", 1, 0, 0, 0, 0),
            ]
        );
        let (minute, counts) = agg.busiest_minute().unwrap();
        assert_eq!(
            (minute.to_string().as_str(), counts.calls),
            ("2023-04-10 00:00:00", 3)
        );
        assert_eq!(agg.minute_totals().len(), 3);
        assert_eq!(agg.groups.len(), 1);
        assert!(agg.groups[0].key.is_empty());
    }

    #[test]
    fn merge_equals_one_pass() {
        let dims = [Dim::Status, Dim::User, Dim::Endpoint, Dim::Hour];
        let whole = aggregate(&dims, LINES).finish(true);
        for split in 0..=LINES.len() {
            // Different interning orders in the parts must not matter.
            let mut a = aggregate(&dims, &LINES[split..]);
            let b = aggregate(&dims, &LINES[..split]);
            a.merge(&b);
            assert_eq!(a.finish(true), whole, "split at {split}");
        }
    }

    #[test]
    fn the_user_memos_count_as_the_tables_would_in_any_order_and_split() {
        // Users interleave, minutes mostly rise but now and then go back, groups change
        // within a user's run: every count must land once, whether it was still pending in
        // a memo at a merge or at the finish.
        let mut seed = 7u64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) % n
        };
        let mut lines = Vec::new();
        let mut minute = 0u64;
        for _ in 0..3000 {
            minute = if next(20) == 0 {
                minute.saturating_sub(3)
            } else {
                minute + next(2)
            };
            let user = ["A", "B", "C", "LONG_USER_NAME"][next(4) as usize];
            let status = [200, 200, 200, 404, 429][next(5) as usize];
            lines.push(format!(
                "2023-04-10 {:02}:{:02}:{:02},000 INFO  [t] c - user={user} method=GET path=/rest-api/itsm/v1/dc/x{}/data status={status} duration={}ms",
                minute / 60 % 24,
                minute % 60,
                next(60),
                next(3),
                next(500)
            ));
        }
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        let mut expected: BTreeMap<(String, String), (u32, u32)> = BTreeMap::new();
        for line in &lines {
            let time = &line[..16];
            let user = line
                .split("user=")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            let entry = expected
                .entry((time.to_string(), user.to_string()))
                .or_default();
            entry.0 += 1;
            entry.1 += u32::from(line.contains("status=429"));
        }
        for dims in [&[Dim::User][..], &[Dim::User, Dim::Endpoint, Dim::Status]] {
            let whole = aggregate(dims, &lines).finish(false);
            let got: BTreeMap<(String, String), (u32, u32)> = whole
                .minutes
                .iter()
                .map(|r| {
                    let time = r.minute.format("%Y-%m-%d %H:%M").to_string();
                    (
                        (time, r.user.to_string()),
                        (r.counts.calls, r.counts.rate_limited),
                    )
                })
                .collect();
            assert_eq!(got, expected);
            assert_eq!(whole.totals.calls, 3000);
            assert_eq!(
                whole.groups.iter().map(|g| g.stats.calls).sum::<u64>(),
                3000
            );
            for cut in [1, 997, 2999] {
                let mut first = aggregate(dims, &lines[..cut]);
                first.merge(&aggregate(dims, &lines[cut..]));
                // The merged partial goes on counting: its memos must still be right.
                let more = aggregate_into(first, &lines[..10]).finish(false);
                let reference = aggregate(dims, &[&lines[..], &lines[..10]].concat()).finish(false);
                assert_eq!(more, reference, "cut at {cut}");
            }
        }
    }

    #[test]
    fn failures_and_redacted_rows_merge() {
        let lines = [
            "2023-04-10 00:00:01,000 WARN  [t] c - user=token=abc method=GET path=/dc/x/data/1 status=404",
            "2023-04-10 00:00:02,000 WARN  [t] c - user=token=xyz method=GET path=/dc/x/data/2 status=404",
            "2023-04-10 00:00:03,000 WARN  [t] c - user=B method=GET path=/dc/x/data status=500",
            "2023-04-10 00:00:04,000 INFO  [t] c - user=B method=GET path=/dc/x/data status=200",
            "2023-04-10 00:01:04,000 WARN  [t] c - method=GET path=/dc/x/data status=429",
        ];
        let agg = aggregate(&[Dim::User], &lines).finish(true);
        let minutes: Vec<(String, &str, u32)> = agg
            .minutes
            .iter()
            .map(|r| {
                (
                    r.minute.format("%H:%M").to_string(),
                    &*r.user,
                    r.counts.calls,
                )
            })
            .collect();
        assert_eq!(
            minutes,
            [
                ("00:00".into(), "B", 2),
                ("00:00".into(), "token=[REDACTED]", 2),
                ("00:01".into(), "-", 1),
            ]
        );
        let failures: Vec<(&str, &str, u16, u64)> = agg
            .failures
            .iter()
            .map(|f| (&*f.user, &*f.endpoint, f.status, f.count))
            .collect();
        assert_eq!(
            failures,
            [
                ("B", "GET /dc/x/data", 500, 1),
                ("token=[REDACTED]", "GET /dc/x/data/{id}", 404, 2),
                ("-", "GET /dc/x/data", 429, 1),
            ]
        );
        assert_eq!(
            keys(&agg.groups),
            [
                ("-".into(), 1),
                ("B".into(), 2),
                ("token=[REDACTED]".into(), 2)
            ]
        );
    }

    #[test]
    fn undated_calls() {
        let layout = LayoutParser::compile("%p %m").unwrap();
        let header = layout
            .parse_header(b"INFO method=GET path=/a status=200")
            .unwrap();
        let mut reader = CallReader::new(None);
        let call = reader.read(header.message).unwrap();
        let mut p = PartialAggregate::new(&[Dim::Day, Dim::Day, Dim::Status]);
        p.record_entry(&header);
        p.record_call(header.local, &call);
        let agg = p.finish(true);
        assert_eq!(agg.dims, [Dim::Day, Dim::Status]);
        assert_eq!(agg.undated_calls, 1);
        assert!(agg.minutes.is_empty());
        assert_eq!(keys(&agg.groups), [("-|200".into(), 1)]);
        assert_eq!(agg.first, None);
    }

    #[test]
    fn dim_names() {
        assert_eq!(
            Dim::parse_list("user, Endpoint,user,,week").unwrap(),
            [Dim::User, Dim::Endpoint, Dim::Week]
        );
        let err = Dim::parse_list("user,colour").unwrap_err();
        assert_eq!(err.to_string(), "unknown dimension `colour`; known: user, endpoint, template, method, status, ip, hour, day, week");
        for dim in Dim::ALL {
            assert_eq!(dim.name().parse::<Dim>().unwrap(), dim);
            assert_eq!(dim.to_string(), dim.name());
        }
    }
}
