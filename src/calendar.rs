//! Calendar buckets on the server's local wall clock: ISO weeks (Monday to Sunday) and months.

use chrono::{Datelike, Days, NaiveDate};

/// The size of a report bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grain {
    Week,
    Month,
}

impl Grain {
    /// The first day of the bucket holding `date`.
    pub fn bucket_start(self, date: NaiveDate) -> NaiveDate {
        match self {
            Grain::Week => date - Days::new(u64::from(date.weekday().num_days_from_monday())),
            Grain::Month => date.with_day(1).expect("day 1 exists"),
        }
    }

    /// The first day of the bucket after the one starting at `start`.
    pub fn next_start(self, start: NaiveDate) -> NaiveDate {
        match self {
            Grain::Week => start + Days::new(7),
            Grain::Month => start
                .checked_add_months(chrono::Months::new(1))
                .expect("month in range"),
        }
    }

    /// `2023-W15` for weeks, `2023-04` for months.
    pub fn label(self, start: NaiveDate) -> String {
        match self {
            Grain::Week => {
                let week = start.iso_week();
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

    #[test]
    fn weeks_and_months() {
        assert_eq!(Grain::Week.bucket_start(d("2023-04-16")), d("2023-04-10"));
        assert_eq!(Grain::Week.bucket_start(d("2023-04-17")), d("2023-04-17"));
        assert_eq!(Grain::Week.label(d("2023-04-10")), "2023-W15");
        assert_eq!(Grain::Week.label(d("2021-01-04")), "2021-W01");
        assert_eq!(Grain::Week.label(d("2020-12-28")), "2020-W53");
        assert_eq!(Grain::Month.bucket_start(d("2023-04-16")), d("2023-04-01"));
        assert_eq!(Grain::Month.next_start(d("2023-12-01")), d("2024-01-01"));
        assert_eq!(Grain::Month.label(d("2023-04-01")), "2023-04");
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
