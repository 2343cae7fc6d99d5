//! The rate-limit and login analyses as tables, for people (`esmlog calls`, the report
//! bundle) and for programs (CSV).

use crate::render::{Align, Cell, Report, Table};
use crate::report::logins::UserLogins;
use crate::report::rate_limit::RateLimitReport;
use serde::Serialize;

/// Users at or over the per-minute limit, and the busiest minutes.
#[derive(Debug, Serialize)]
pub struct RateLimitTables<'a>(pub &'a RateLimitReport);

impl RateLimitTables<'_> {
    /// Users at or over the limit; `machine` gives CSV column names.
    pub fn users(&self, machine: bool) -> Table {
        let names = if machine {
            [
                "user",
                "minutes_at_or_over",
                "calls_in_those_minutes",
                "rate_limited",
            ]
        } else {
            ["user", "minutes at or over", "calls in them", "429 answers"]
        };
        Table {
            title: if machine {
                String::new()
            } else {
                format!("Users at or over {} calls per minute", self.0.limit)
            },
            columns: vec![
                (names[0], Align::Left),
                (names[1], Align::Right),
                (names[2], Align::Right),
                (names[3], Align::Right),
            ],
            rows: self
                .0
                .users
                .iter()
                .map(|u| {
                    vec![
                        Cell::Text(u.user.clone()),
                        Cell::Count(u.minutes_at_or_over),
                        Cell::Count(u.calls_in_those_minutes),
                        Cell::Count(u.rate_limited),
                    ]
                })
                .collect(),
            total: None,
        }
    }
}

impl Report for RateLimitTables<'_> {
    fn tables(&self) -> Vec<Table> {
        let mut tables = Vec::new();
        if !self.0.users.is_empty() {
            tables.push(self.users(false));
        }
        if !self.0.busiest_minutes.is_empty() {
            tables.push(Table {
                title: "The busiest minutes".into(),
                columns: vec![
                    ("minute", Align::Left),
                    ("calls", Align::Right),
                    ("429 answers", Align::Right),
                    ("busiest user", Align::Left),
                    ("its calls", Align::Right),
                ],
                rows: self
                    .0
                    .busiest_minutes
                    .iter()
                    .map(|m| {
                        vec![
                            Cell::Text(m.minute.clone()),
                            Cell::Count(m.calls),
                            Cell::Count(m.rate_limited),
                            Cell::Text(m.top_user.clone()),
                            Cell::Count(m.top_user_calls),
                        ]
                    })
                    .collect(),
                total: None,
            });
        }
        tables
    }

    fn csv(&self) -> Table {
        self.users(true)
    }
}

/// Logins per user against the fewest that cover its activity.
#[derive(Debug, Serialize)]
pub struct LoginTables<'a>(pub &'a [UserLogins]);

impl LoginTables<'_> {
    /// Logins per user; `machine` gives CSV column names.
    pub fn table(&self, machine: bool) -> Table {
        let names = if machine {
            [
                "user",
                "logins",
                "needed",
                "avoidable",
                "share_of_transactions",
            ]
        } else {
            [
                "user",
                "logins",
                "needed",
                "avoidable, at least",
                "of transactions",
            ]
        };
        Table {
            title: if machine {
                String::new()
            } else {
                "Logins beyond one per token lifetime".into()
            },
            columns: vec![
                (names[0], Align::Left),
                (names[1], Align::Right),
                (names[2], Align::Right),
                (names[3], Align::Right),
                (names[4], Align::Right),
            ],
            rows: self
                .0
                .iter()
                .map(|l| {
                    vec![
                        Cell::Text(l.user.clone()),
                        Cell::Count(l.logins),
                        Cell::Count(l.needed),
                        Cell::Count(l.avoidable),
                        Cell::Rate(l.share_of_transactions),
                    ]
                })
                .collect(),
            total: None,
        }
    }
}

impl Report for LoginTables<'_> {
    fn tables(&self) -> Vec<Table> {
        if self.0.is_empty() {
            Vec::new()
        } else {
            vec![self.table(false)]
        }
    }

    fn csv(&self) -> Table {
        self.table(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::rate_limit::UserOverLimit;

    #[test]
    fn csv_columns_are_machine_names() {
        let report = RateLimitReport {
            limit: 30,
            user_minutes_at_or_over: 2,
            rate_limited_calls: 15,
            users: vec![UserOverLimit {
                user: "CRM_SYNC".into(),
                minutes_at_or_over: 2,
                calls_in_those_minutes: 75,
                rate_limited: 15,
            }],
            busiest_minutes: Vec::new(),
        };
        let tables = RateLimitTables(&report);
        let csv = tables.csv();
        assert_eq!(csv.columns[1].0, "minutes_at_or_over");
        assert_eq!(csv.rows[0][3], Cell::Count(15));
        assert_eq!(tables.tables().len(), 1, "no busiest minutes, no table");
        assert!(LoginTables(&[]).tables().is_empty());
    }
}
