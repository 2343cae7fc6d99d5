//! Calendar buckets on the server's local wall clock: hours, days, ISO weeks (Monday to
//! Sunday) and months.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

/// The days of the week, Monday first (ISO), in English as logs and reports write them.
pub const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The size of a report bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Hour,
    Day,
    Week,
    Month,
}

fn midnight(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN)
}

impl Grain {
    /// The start of the bucket holding `t`.
    pub fn floor(self, t: NaiveDateTime) -> NaiveDateTime {
        match self {
            Grain::Hour => t.date().and_hms_opt(t.hour(), 0, 0).expect("whole hour"),
            Grain::Day => midnight(t.date()),
            Grain::Week => midnight(self.first_day(t.date())),
            Grain::Month => midnight(self.first_day(t.date())),
        }
    }

    /// The start of the bucket after the one starting at `start`.
    pub fn next(self, start: NaiveDateTime) -> NaiveDateTime {
        match self {
            Grain::Hour => start + chrono::Duration::hours(1),
            Grain::Day => start + Days::new(1),
            Grain::Week => start + Days::new(7),
            Grain::Month => start
                .checked_add_months(chrono::Months::new(1))
                .expect("month in range"),
        }
    }

    /// The first day of the day, week or month holding `date` (the day itself for hours).
    pub fn first_day(self, date: NaiveDate) -> NaiveDate {
        match self {
            Grain::Hour | Grain::Day => date,
            Grain::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Grain::Month => date.with_day(1).expect("day 1 exists"),
        }
    }

    /// `2023-04-11 20:00`, `2023-04-11`, `2023-W15` or `2023-04`.
    pub fn label(self, start: NaiveDateTime) -> String {
        match self {
            Grain::Hour => start.format("%Y-%m-%d %H:00").to_string(),
            Grain::Day => start.format("%Y-%m-%d").to_string(),
            Grain::Week => {
                let week = start.date().iso_week();
                format!("{:04}-W{:02}", week.year(), week.week())
            }
            Grain::Month => start.format("%Y-%m").to_string(),
        }
    }
}

/// The stretch of server wall-clock time a report keeps (`--since`, `--until`, `--last`):
/// from `from`, inclusive, to `to`, exclusive; an end that is `None` is open. A range
/// given as days runs from the first day's midnight to the midnight after the last day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeRange {
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
}

impl TimeRange {
    /// Everything.
    pub const ALL: TimeRange = TimeRange {
        from: None,
        to: None,
    };

    /// The local days `first..=last` (either end open).
    pub fn days(first: Option<NaiveDate>, last: Option<NaiveDate>) -> TimeRange {
        TimeRange {
            from: first.map(midnight),
            to: last.map(|d| midnight(d) + Days::new(1)),
        }
    }

    /// Whether `t` lies in the range.
    pub fn contains(&self, t: NaiveDateTime) -> bool {
        self.from.is_none_or(|f| t >= f) && self.to.is_none_or(|u| t < u)
    }

    /// Whether some part of the stretch `from..=to` lies in the range.
    pub fn overlaps(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        self.from.is_none_or(|f| to >= f) && self.to.is_none_or(|u| from < u)
    }

    /// Whether some part of the day `date` lies in the range.
    pub fn touches_day(&self, date: NaiveDate) -> bool {
        let start = midnight(date);
        self.overlaps(
            start,
            start + Days::new(1) - chrono::Duration::milliseconds(1),
        )
    }

    /// Whether the range is unbounded at both ends.
    pub fn is_all(&self) -> bool {
        *self == TimeRange::ALL
    }

    /// The first local day the range touches.
    pub fn first_day(&self) -> Option<NaiveDate> {
        self.from.map(|f| f.date())
    }

    /// The last local day the range touches.
    pub fn last_day(&self) -> Option<NaiveDate> {
        self.to
            .map(|u| (u - chrono::Duration::milliseconds(1)).date())
    }

    /// Whether the range lies wholly inside the stretch `from..=to`.
    pub fn within(&self, from: NaiveDateTime, to: NaiveDateTime) -> bool {
        self.from.is_some_and(|s| s >= from) && self.to.is_some_and(|u| u <= to)
    }

    /// The moments where the range starts and ends, where buckets are cut.
    pub fn edges(&self) -> impl Iterator<Item = NaiveDateTime> {
        self.from.into_iter().chain(self.to)
    }

    /// `2023-10-26 11:00`, or the day alone at midnight, for an end of the range in text.
    pub fn show(t: NaiveDateTime) -> String {
        if t.time() == NaiveTime::MIN {
            t.format("%Y-%m-%d").to_string()
        } else {
            t.format("%Y-%m-%d %H:%M").to_string()
        }
    }

    /// `2023-10-26 11:00 to 11:15`, `2023-10-01 to 2023-10-31` (days inclusive), `from
    /// 2023-10-20`, `until 2023-10-26 11:15`; `all` when unbounded.
    pub fn describe(&self) -> String {
        let whole = |t: NaiveDateTime| t.time() == NaiveTime::MIN;
        match (self.from, self.to) {
            (None, None) => "all".into(),
            (Some(f), None) => format!("from {}", TimeRange::show(f)),
            (None, Some(u)) if whole(u) => {
                format!("through {}", self.last_day().unwrap_or(u.date()))
            }
            (None, Some(u)) => format!("until {}", TimeRange::show(u)),
            (Some(f), Some(u)) if whole(f) && whole(u) => {
                let last = self.last_day().unwrap_or(u.date());
                if last == f.date() {
                    f.format("%Y-%m-%d").to_string()
                } else {
                    format!("{} to {last}", f.format("%Y-%m-%d"))
                }
            }
            (Some(f), Some(u)) if f.date() == u.date() => {
                format!("{} to {}", TimeRange::show(f), u.format("%H:%M"))
            }
            (Some(f), Some(u)) => format!("{} to {}", TimeRange::show(f), TimeRange::show(u)),
        }
    }
}

/// Why `--since`, `--until` or `--last` cannot be used; each says how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeError {
    #[error("{flag} {value}: expected a date, or a date and a time of day on the server's clock: 2023-10-26, 2023-10-26T11:00, 2023-10-26 11:00 or 2023-10-26T11:00:00")]
    BadTime { flag: &'static str, value: String },
    #[error("{flag} {value}: esmlog counts calls per minute, so a range starts and ends on a whole minute; give {suggestion}")]
    NotWholeMinute {
        flag: &'static str,
        value: String,
        suggestion: String,
    },
    #[error("--last {value}: {reason}; give a length with its unit, for example --last 15m, 2h, 7d or 1w (units s, m, h, d, w)")]
    BadLength { value: String, reason: String },
    #[error("--last cannot be combined with {flag}: --last counts back from the newest line, --since and --until name the times themselves; give one or the other")]
    LastWithBound { flag: &'static str },
    #[error("--since {since} is not before --until {until}: the range would be empty; give a --since earlier than --until")]
    Empty { since: String, until: String },
    #[error("--last {value}: no dated line among the inputs to count back from")]
    NoNewestLine { value: String },
}

/// `--since`, `--until` and `--last` as given, checked but not yet resolved: `--last`
/// counts back from the newest line, which only the inputs know.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RangeSpec {
    /// `--since`: the first moment kept.
    pub since: Option<NaiveDateTime>,
    /// `--until`: the first moment no longer kept (the midnight after a date given alone).
    pub until: Option<NaiveDateTime>,
    /// `--last`: the length of the window, in whole minutes.
    pub last: Option<chrono::Duration>,
}

impl RangeSpec {
    /// Reads the three flags. A date alone is a whole day (`--until 2023-10-26` keeps that
    /// day); a time is a moment (`--until 2023-10-26T11:15` stops before 11:15).
    pub fn parse(
        since: Option<&str>,
        until: Option<&str>,
        last: Option<&str>,
    ) -> Result<RangeSpec, RangeError> {
        if let Some(last) = last {
            if since.is_some() {
                return Err(RangeError::LastWithBound { flag: "--since" });
            }
            if until.is_some() {
                return Err(RangeError::LastWithBound { flag: "--until" });
            }
            return Ok(RangeSpec {
                last: Some(parse_length(last)?),
                ..RangeSpec::default()
            });
        }
        let since = since.map(|v| parse_bound("--since", v)).transpose()?;
        let until = until
            .map(|v| {
                parse_bound("--until", v).map(|(t, day)| {
                    // A date alone keeps its whole day.
                    if day {
                        (t + Days::new(1), day)
                    } else {
                        (t, day)
                    }
                })
            })
            .transpose()?;
        if let (Some((s, _)), Some((u, _))) = (since, until) {
            if s >= u {
                return Err(RangeError::Empty {
                    since: TimeRange::show(s),
                    until: TimeRange::show(u),
                });
            }
        }
        Ok(RangeSpec {
            since: since.map(|(t, _)| t),
            until: until.map(|(t, _)| t),
            last: None,
        })
    }

    /// Whether `--last` was given, so that the newest line must be found first.
    pub fn needs_newest(&self) -> bool {
        self.last.is_some()
    }

    /// The range, `--last` counted back from `newest` (the newest dated line of the
    /// inputs): the window ends with the minute of that line and holds `last` of whole
    /// minutes, so that a job run every 15 minutes with `--last 15m` sees each minute once.
    pub fn resolve(&self, newest: Option<NaiveDateTime>) -> Result<TimeRange, RangeError> {
        match self.last {
            None => Ok(TimeRange {
                from: self.since,
                to: self.until,
            }),
            Some(length) => {
                let newest = newest.ok_or_else(|| RangeError::NoNewestLine {
                    value: show_length(length),
                })?;
                let end = Grain::Hour.floor(newest)
                    + chrono::Duration::minutes(i64::from(newest.minute()) + 1);
                Ok(TimeRange {
                    from: Some(end - length),
                    to: Some(end),
                })
            }
        }
    }
}

/// `2023-10-26`, `2023-10-26T11:00`, `2023-10-26 11:00`, `2023-10-26T11:00:00`: the moment
/// and whether it was a date alone.
fn parse_bound(flag: &'static str, value: &str) -> Result<(NaiveDateTime, bool), RangeError> {
    let text = value.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok((midnight(date), true));
    }
    let bad = || RangeError::BadTime {
        flag,
        value: value.to_string(),
    };
    // Exactly one separator between date and time: `T` as ISO 8601 writes it, or a space
    // as logs do.
    let (date, time) = text.split_once(['T', ' ']).ok_or_else(bad)?;
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
    let time = NaiveTime::parse_from_str(time, "%H:%M:%S%.f")
        .or_else(|_| NaiveTime::parse_from_str(time, "%H:%M"))
        .map_err(|_| bad())?;
    if time.second() != 0 || time.nanosecond() != 0 {
        return Err(RangeError::NotWholeMinute {
            flag,
            value: value.to_string(),
            suggestion: format!(
                "{}T{} or {}T{}",
                date,
                time.format("%H:%M"),
                date,
                (time + chrono::Duration::minutes(1)).format("%H:%M")
            ),
        });
    }
    Ok((date.and_time(time), false))
}

/// `15m`, `2h`, `7d`, `1w`, `120s`: a length of whole minutes, at least one.
fn parse_length(value: &str) -> Result<chrono::Duration, RangeError> {
    let bad = |reason: &str| RangeError::BadLength {
        value: value.to_string(),
        reason: reason.to_string(),
    };
    let text = value.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(|| bad("no unit"))?;
    let (number, unit) = text.split_at(split);
    let n: i64 = number
        .parse()
        .map_err(|_| bad("expected a whole number before the unit"))?;
    let seconds_per = match unit.trim() {
        "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad(&format!("unknown unit `{}`", unit.trim()))),
    };
    let seconds = n
        .checked_mul(seconds_per)
        .filter(|s| *s <= 100 * 366 * 86_400)
        .ok_or_else(|| bad("longer than a hundred years"))?;
    if seconds == 0 {
        return Err(bad("a window of no time holds nothing"));
    }
    if seconds % 60 != 0 {
        return Err(bad(
            "esmlog counts calls per minute, so the window is whole minutes",
        ));
    }
    Ok(chrono::Duration::seconds(seconds))
}

/// A length as `--last` takes it: `15m`, `2h`, `7d`.
fn show_length(length: chrono::Duration) -> String {
    let minutes = length.num_minutes();
    match minutes {
        m if m % (7 * 1440) == 0 => format!("{}w", m / (7 * 1440)),
        m if m % 1440 == 0 => format!("{}d", m / 1440),
        m if m % 60 == 0 => format!("{}h", m / 60),
        m => format!("{m}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn buckets_and_labels() {
        const CASES: &[(Grain, &str, &str, &str, &str)] = &[
            (
                Grain::Hour,
                "2023-04-16 20:34",
                "2023-04-16 20:00",
                "2023-04-16 21:00",
                "2023-04-16 20:00",
            ),
            (
                Grain::Day,
                "2023-04-16 20:34",
                "2023-04-16 00:00",
                "2023-04-17 00:00",
                "2023-04-16",
            ),
            (
                Grain::Week,
                "2023-04-16 20:34",
                "2023-04-10 00:00",
                "2023-04-17 00:00",
                "2023-W15",
            ),
            (
                Grain::Week,
                "2023-04-17 00:00",
                "2023-04-17 00:00",
                "2023-04-24 00:00",
                "2023-W16",
            ),
            (
                Grain::Week,
                "2021-01-04 09:00",
                "2021-01-04 00:00",
                "2021-01-11 00:00",
                "2021-W01",
            ),
            (
                Grain::Week,
                "2020-12-28 09:00",
                "2020-12-28 00:00",
                "2021-01-04 00:00",
                "2020-W53",
            ),
            (
                Grain::Month,
                "2023-12-16 20:34",
                "2023-12-01 00:00",
                "2024-01-01 00:00",
                "2023-12",
            ),
        ];
        for &(grain, at, floor, next, label) in CASES {
            assert_eq!(grain.floor(t(at)), t(floor), "{grain:?} {at}");
            assert_eq!(grain.next(t(floor)), t(next), "{grain:?} {at}");
            assert_eq!(grain.label(t(floor)), label, "{grain:?} {at}");
        }
    }

    #[test]
    fn range_contains_its_ends() {
        let r = TimeRange::days(Some(d("2023-04-10")), Some(d("2023-04-12")));
        assert!(r.contains(t("2023-04-10 00:00")) && r.contains(t("2023-04-12 23:59")));
        assert!(!r.contains(t("2023-04-13 00:00")) && !r.contains(t("2023-04-09 23:59")));
        assert!(r.touches_day(d("2023-04-12")) && !r.touches_day(d("2023-04-13")));
        assert_eq!(
            r.edges().collect::<Vec<_>>(),
            vec![t("2023-04-10 00:00"), t("2023-04-13 00:00")]
        );
        assert_eq!(r.last_day(), Some(d("2023-04-12")));
        assert_eq!(r.describe(), "2023-04-10 to 2023-04-12");
    }

    /// What each flag value gives: the range as `from`..`to` (`to` exclusive), or the
    /// error's first words.
    #[test]
    fn range_flags_case_table() {
        /// `--since`, `--until`, `--last`, and what they give.
        type Case = (
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
            &'static str,
        );
        const CASES: &[Case] = &[
            (Some("2023-10-26"), None, None, "2023-10-26 00:00..-"),
            (None, Some("2023-10-26"), None, "-..2023-10-27 00:00"),
            (
                Some("2023-10-26T11:00"),
                Some("2023-10-26T11:15"),
                None,
                "2023-10-26 11:00..2023-10-26 11:15",
            ),
            (
                Some("2023-10-26 11:00"),
                Some("2023-10-26 11:15:00"),
                None,
                "2023-10-26 11:00..2023-10-26 11:15",
            ),
            (
                Some("2023-10-26T11:00:00"),
                None,
                None,
                "2023-10-26 11:00..-",
            ),
            (
                Some("2023-10-26T23:59"),
                Some("2023-10-27"),
                None,
                "2023-10-26 23:59..2023-10-28 00:00",
            ),
            (
                Some("2023-10-26T11:00:30"),
                None,
                None,
                "error: --since 2023-10-26T11:00:30: esmlog counts calls per minute",
            ),
            (
                Some("2023-10-26T25:00"),
                None,
                None,
                "error: --since 2023-10-26T25:00: expected a date",
            ),
            (
                Some("2023-02-30"),
                None,
                None,
                "error: --since 2023-02-30: expected a date",
            ),
            (
                Some("26.10.2023"),
                None,
                None,
                "error: --since 26.10.2023: expected a date",
            ),
            (
                Some("2023-10-26T11:00"),
                Some("2023-10-26T11:00"),
                None,
                "error: --since 2023-10-26 11:00 is not before",
            ),
            (
                Some("2023-10-27"),
                Some("2023-10-26"),
                None,
                "error: --since 2023-10-27 is not before",
            ),
            (None, None, Some("15m"), "last 15m"),
            (None, None, Some("2h"), "last 120m"),
            (None, None, Some("7d"), "last 10080m"),
            (None, None, Some("1w"), "last 10080m"),
            (None, None, Some("120s"), "last 2m"),
            (
                None,
                None,
                Some("30s"),
                "error: --last 30s: esmlog counts calls per minute",
            ),
            (None, None, Some("15"), "error: --last 15: no unit"),
            (
                None,
                None,
                Some("0m"),
                "error: --last 0m: a window of no time",
            ),
            (
                None,
                None,
                Some("15y"),
                "error: --last 15y: unknown unit `y`",
            ),
            (
                None,
                None,
                Some("m"),
                "error: --last m: expected a whole number",
            ),
            (
                Some("2023-10-26"),
                None,
                Some("15m"),
                "error: --last cannot be combined with --since",
            ),
            (
                None,
                Some("2023-10-26"),
                Some("15m"),
                "error: --last cannot be combined with --until",
            ),
        ];
        let show = |t: Option<NaiveDateTime>| {
            t.map_or("-".to_string(), |t| t.format("%Y-%m-%d %H:%M").to_string())
        };
        for &(since, until, last, expected) in CASES {
            let got = match RangeSpec::parse(since, until, last) {
                Err(e) => format!("error: {e}"),
                Ok(spec) => match spec.last {
                    Some(length) => format!("last {}m", length.num_minutes()),
                    None => format!("{}..{}", show(spec.since), show(spec.until)),
                },
            };
            assert!(
                got.starts_with(expected),
                "{since:?} {until:?} {last:?}: {got}"
            );
        }
    }

    #[test]
    fn last_counts_back_whole_minutes_from_the_newest_line() {
        let spec = RangeSpec::parse(None, None, Some("15m")).unwrap();
        let newest =
            NaiveDateTime::parse_from_str("2023-10-26 11:14:59.800", "%Y-%m-%d %H:%M:%S%.f")
                .unwrap();
        let range = spec.resolve(Some(newest)).unwrap();
        assert_eq!(range.from, Some(t("2023-10-26 11:00")));
        assert_eq!(range.to, Some(t("2023-10-26 11:15")));
        assert!(range.contains(newest));
        // A line in the next minute moves the window by a minute.
        let range = spec.resolve(Some(t("2023-10-26 11:15"))).unwrap();
        assert_eq!(range.from, Some(t("2023-10-26 11:01")));
        assert!(matches!(
            spec.resolve(None),
            Err(RangeError::NoNewestLine { .. })
        ));
        let plain = RangeSpec::parse(Some("2023-10-26T11:00"), None, None).unwrap();
        assert_eq!(
            plain.resolve(None).unwrap().from,
            Some(t("2023-10-26 11:00"))
        );
    }
}
