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

/// Local dates a report is limited to (`--since`, `--until`, both inclusive).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DateRange {
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
}

impl DateRange {
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.since.is_none_or(|s| date >= s) && self.until.is_none_or(|u| date <= u)
    }

    /// Whether the range lies wholly inside the days `from..=to`.
    pub fn within(&self, from: NaiveDate, to: NaiveDate) -> bool {
        self.since.is_some_and(|s| s >= from) && self.until.is_some_and(|u| u <= to)
    }

    /// The local midnights where the range starts and ends.
    pub fn edges(&self) -> impl Iterator<Item = NaiveDate> {
        self.since
            .into_iter()
            .chain(self.until.and_then(|u| u.succ_opt()))
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
        let r = DateRange {
            since: Some(d("2023-04-10")),
            until: Some(d("2023-04-12")),
        };
        assert!(r.contains(d("2023-04-10")) && r.contains(d("2023-04-12")));
        assert!(!r.contains(d("2023-04-13")) && !r.contains(d("2023-04-09")));
        assert_eq!(
            r.edges().collect::<Vec<_>>(),
            vec![d("2023-04-10"), d("2023-04-13")]
        );
    }
}
