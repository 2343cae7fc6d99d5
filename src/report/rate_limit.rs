//! The per-minute rate limit (`external.api.max.requests.per.minute`): minutes in which an
//! integration user reached the limit, the 429s ESM answered, and who filled those minutes.

use crate::integration::aggregate::MinuteRow;
use chrono::{DateTime, NaiveDateTime};
use polars::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

/// One user's minutes at or over the limit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UserOverLimit {
    pub user: String,
    /// Minutes in which the user made at least `limit` calls.
    pub minutes_at_or_over: u64,
    /// Calls the user made in those minutes.
    pub calls_in_those_minutes: u64,
    /// Calls of the user answered 429, in any minute.
    pub rate_limited: u64,
}

/// A minute of the heaviest load.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BusyMinute {
    /// `2023-04-07 13:27`, server wall clock.
    pub minute: String,
    pub calls: u64,
    pub rate_limited: u64,
    /// The user with the most calls in the minute.
    pub top_user: String,
    pub top_user_calls: u64,
}

/// Per-minute load against the limit.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RateLimitReport {
    pub limit: u64,
    /// (minute, user) pairs at or over the limit.
    pub user_minutes_at_or_over: u64,
    /// Calls answered 429.
    pub rate_limited_calls: u64,
    pub users: Vec<UserOverLimit>,
    /// The busiest minutes, most calls first.
    pub busiest_minutes: Vec<BusyMinute>,
}

/// Minutes as numbers (since 1970-01-01 00:00, wall clock) rather than text: the table holds
/// a row per (minute, user), and only the busiest few minutes are ever shown.
fn minute_number(minute: NaiveDateTime) -> i64 {
    minute.and_utc().timestamp().div_euclid(60)
}

fn minute_text(number: i64) -> String {
    DateTime::from_timestamp(number * 60, 0)
        .map(|t| t.naive_utc().format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn minutes_frame(rows: &[MinuteRow]) -> PolarsResult<DataFrame> {
    let minute: Vec<i64> = rows.iter().map(|r| minute_number(r.minute)).collect();
    let user: Vec<&str> = rows.iter().map(|r| &*r.user).collect();
    let calls: Vec<u64> = rows.iter().map(|r| u64::from(r.counts.calls)).collect();
    let limited: Vec<u64> = rows
        .iter()
        .map(|r| u64::from(r.counts.rate_limited))
        .collect();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new("minute".into(), minute),
            Column::new("user".into(), user),
            Column::new("calls".into(), calls),
            Column::new("rate_limited".into(), limited),
        ],
    )
}

/// The user with the most calls in each of `minutes` (the first by name of equals), with
/// those calls. One pass over the rows, whatever their order.
fn top_users<'r>(rows: &'r [MinuteRow], minutes: &[i64]) -> HashMap<i64, (&'r str, u64)> {
    let mut top: HashMap<i64, (&str, u64)> = HashMap::with_capacity(minutes.len());
    for row in rows {
        let minute = minute_number(row.minute);
        if !minutes.contains(&minute) {
            continue;
        }
        let candidate = (&*row.user, u64::from(row.counts.calls));
        top.entry(minute)
            .and_modify(|best| {
                if candidate.1 > best.1 || (candidate.1 == best.1 && candidate.0 < best.0) {
                    *best = candidate;
                }
            })
            .or_insert(candidate);
    }
    top
}

fn strings(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    let column = df.column(name)?.str()?;
    Ok((0..column.len())
        .map(|i| column.get(i).unwrap_or_default().to_string())
        .collect())
}

fn numbers(df: &DataFrame, name: &str) -> PolarsResult<Vec<u64>> {
    let column = df.column(name)?.cast(&DataType::UInt64)?;
    let column = column.u64()?;
    Ok((0..column.len())
        .map(|i| column.get(i).unwrap_or(0))
        .collect())
}

/// Analyses the (minute, user) table of a scan; `top` busiest minutes are listed.
pub fn rate_limit_report(
    rows: &[MinuteRow],
    limit: u64,
    top: usize,
) -> PolarsResult<RateLimitReport> {
    let frame = minutes_frame(rows)?;
    let per_user = frame
        .clone()
        .lazy()
        .group_by([col("user")])
        .agg([
            col("calls")
                .filter(col("calls").gt_eq(lit(limit)))
                .count()
                .cast(DataType::UInt64)
                .alias("minutes_at_or_over"),
            col("calls")
                .filter(col("calls").gt_eq(lit(limit)))
                .sum()
                .alias("calls_in_those_minutes"),
            col("rate_limited").sum().alias("rate_limited"),
        ])
        .filter(
            col("minutes_at_or_over")
                .gt(lit(0u64))
                .or(col("rate_limited").gt(lit(0u64))),
        )
        .sort_by_exprs(
            [col("minutes_at_or_over"), col("rate_limited"), col("user")],
            SortMultipleOptions::default().with_order_descending_multi([true, true, false]),
        )
        .collect()?;
    let users: Vec<UserOverLimit> = strings(&per_user, "user")?
        .into_iter()
        .zip(numbers(&per_user, "minutes_at_or_over")?)
        .zip(numbers(&per_user, "calls_in_those_minutes")?)
        .zip(numbers(&per_user, "rate_limited")?)
        .map(|(((user, minutes), calls), limited)| UserOverLimit {
            user,
            minutes_at_or_over: minutes,
            calls_in_those_minutes: calls,
            rate_limited: limited,
        })
        .collect();

    // Per minute: the total load; then the user with the most calls in each of the busiest.
    let per_minute = frame
        .lazy()
        .group_by([col("minute")])
        .agg([
            col("calls").sum().alias("total"),
            col("rate_limited").sum().alias("limited"),
        ])
        .sort_by_exprs(
            [col("total"), col("minute")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(top as IdxSize)
        .collect()?;
    let minutes: Vec<i64> = per_minute
        .column("minute")?
        .i64()?
        .into_no_null_iter()
        .collect();
    let top_user = top_users(rows, &minutes);
    let busiest_minutes = minutes
        .iter()
        .zip(numbers(&per_minute, "total")?)
        .zip(numbers(&per_minute, "limited")?)
        .map(|((minute, calls), limited)| {
            let (user, user_calls) = top_user.get(minute).copied().unwrap_or_default();
            BusyMinute {
                minute: minute_text(*minute),
                calls,
                rate_limited: limited,
                top_user: user.to_string(),
                top_user_calls: user_calls,
            }
        })
        .collect();

    Ok(RateLimitReport {
        limit,
        user_minutes_at_or_over: rows
            .iter()
            .filter(|r| u64::from(r.counts.calls) >= limit)
            .count() as u64,
        rate_limited_calls: rows.iter().map(|r| u64::from(r.counts.rate_limited)).sum(),
        users,
        busiest_minutes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::aggregate::MinuteCounts;

    fn row(minute: &str, user: &str, calls: u32, rate_limited: u32) -> MinuteRow {
        MinuteRow {
            minute: chrono::NaiveDateTime::parse_from_str(minute, "%Y-%m-%d %H:%M").unwrap(),
            user: user.into(),
            counts: MinuteCounts {
                calls,
                successful: calls - rate_limited,
                unsuccessful: rate_limited,
                rate_limited,
                logins: 0,
            },
        }
    }

    #[test]
    fn finds_who_filled_the_limit() {
        let rows = vec![
            row("2023-04-07 13:27", "CRM_SYNC", 45, 15),
            row("2023-04-07 13:27", "HR_IMPORT", 3, 0),
            row("2023-04-07 13:28", "CRM_SYNC", 30, 0),
            row("2023-04-07 13:29", "CRM_SYNC", 12, 0),
            row("2023-04-07 13:29", "HR_IMPORT", 29, 0),
        ];
        let report = rate_limit_report(&rows, 30, 2).unwrap();
        assert_eq!(report.user_minutes_at_or_over, 2);
        assert_eq!(report.rate_limited_calls, 15);
        assert_eq!(
            report.users,
            vec![UserOverLimit {
                user: "CRM_SYNC".into(),
                minutes_at_or_over: 2,
                calls_in_those_minutes: 75,
                rate_limited: 15
            }]
        );
        assert_eq!(report.busiest_minutes.len(), 2);
        assert_eq!(report.busiest_minutes[0].minute, "2023-04-07 13:27");
        assert_eq!(report.busiest_minutes[0].calls, 48);
        assert_eq!(report.busiest_minutes[0].top_user, "CRM_SYNC");
        assert_eq!(report.busiest_minutes[1].minute, "2023-04-07 13:29");
        assert_eq!(report.busiest_minutes[1].top_user, "HR_IMPORT");
    }

    #[test]
    fn the_top_user_of_a_minute_is_the_first_by_name_of_equals_in_any_row_order() {
        let rows = vec![
            row("2023-04-07 13:29", "ZED", 20, 0),
            row("2023-04-07 13:27", "HR_IMPORT", 7, 0),
            row("2023-04-07 13:29", "ABE", 20, 0),
            row("2023-04-07 13:27", "CRM_SYNC", 7, 2),
            row("2023-04-07 13:28", "CRM_SYNC", 1, 0),
            row("1969-12-31 23:59", "OLD", 1, 0),
        ];
        let report = rate_limit_report(&rows, 100, 4).unwrap();
        let shown: Vec<(&str, u64, &str, u64)> = report
            .busiest_minutes
            .iter()
            .map(|m| (&*m.minute, m.calls, &*m.top_user, m.top_user_calls))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("2023-04-07 13:29", 40, "ABE", 20),
                ("2023-04-07 13:27", 14, "CRM_SYNC", 7),
                ("1969-12-31 23:59", 1, "OLD", 1),
                ("2023-04-07 13:28", 1, "CRM_SYNC", 1),
            ]
        );
        assert_eq!(report.busiest_minutes[1].rate_limited, 2);
    }

    #[test]
    fn no_rows_no_findings() {
        let report = rate_limit_report(&[], 30, 5).unwrap();
        assert!(report.users.is_empty() && report.busiest_minutes.is_empty());
    }
}
