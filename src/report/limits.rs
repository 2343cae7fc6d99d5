//! The rate-limit and login analyses as tables, for people (`esmlog calls`, the report
//! bundle) and for programs (CSV).

use crate::render::{Cell, Column, Report, Table};
use crate::report::logins::UserLogins;
use crate::report::rate_limit::RateLimitReport;
use serde::Serialize;

/// Users at or over the per-minute limit, and the busiest minutes.
#[derive(Debug, Serialize)]
pub struct RateLimitTables<'a>(pub &'a RateLimitReport);

impl RateLimitTables<'_> {
    /// Users at or over the limit.
    pub fn users(&self) -> Table {
        Table {
            title: format!("Users at or over {} calls per minute", self.0.limit),
            columns: vec![
                Column::text("user", "user"),
                Column::figure("minutes at or over", "minutes_at_or_over"),
                Column::figure("calls in them", "calls_in_those_minutes"),
                Column::figure("429 answers", "rate_limited"),
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
            tables.push(self.users());
        }
        if !self.0.busiest_minutes.is_empty() {
            tables.push(Table {
                title: "The busiest minutes".into(),
                columns: vec![
                    Column::text("minute", "minute"),
                    Column::figure("calls", "calls"),
                    Column::figure("429 answers", "rate_limited"),
                    Column::text("busiest user", "top_user"),
                    Column::figure("its calls", "top_user_calls"),
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

    /// The users table, even when empty: a CSV file keeps its header.
    fn csv_table(&self) -> Table {
        self.users()
    }
}

/// Logins per user against the fewest that cover its activity.
#[derive(Debug, Serialize)]
pub struct LoginTables<'a>(pub &'a [UserLogins]);

impl LoginTables<'_> {
    /// Logins per user.
    pub fn table(&self) -> Table {
        Table {
            title: "Logins beyond one per token lifetime".into(),
            columns: vec![
                Column::text("user", "user"),
                Column::figure("logins", "logins"),
                Column::figure("needed", "needed"),
                Column::figure("avoidable, at least", "avoidable"),
                Column::figure("of transactions", "share_of_transactions"),
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
            vec![self.table()]
        }
    }

    /// The table, even when empty: a CSV file keeps its header.
    fn csv_table(&self) -> Table {
        self.table()
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
        let csv = tables.csv_table().for_machines();
        assert_eq!(csv.columns[1].name, "minutes_at_or_over");
        assert_eq!(csv.rows[0][3], Cell::Count(15));
        assert_eq!(tables.tables().len(), 1, "no busiest minutes, no table");
        assert!(LoginTables(&[]).tables().is_empty());
        assert_eq!(
            LoginTables(&[]).csv_table().columns.len(),
            5,
            "a header even when empty"
        );
    }
}
