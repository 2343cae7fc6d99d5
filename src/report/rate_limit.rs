//! The per-minute rate limit (`external.api.max.requests.per.minute`): minutes in which an
//! integration user reached the limit, the 429s ESM answered, and who filled those minutes.

use crate::integration::aggregate::MinuteRow;
use polars::prelude::*;
use serde::Serialize;

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

fn minutes_frame(rows: &[MinuteRow]) -> PolarsResult<DataFrame> {
    let minute: Vec<String> = rows
        .iter()
        .map(|r| r.minute.format("%Y-%m-%d %H:%M").to_string())
        .collect();
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

    // Per minute: the total load, and the user with the most calls in it.
    let per_minute = frame
        .lazy()
        .sort_by_exprs(
            [col("calls"), col("user")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .group_by([col("minute")])
        .agg([
            col("calls").sum().alias("total"),
            col("rate_limited").sum().alias("limited"),
            col("user").first().alias("top_user"),
            col("calls").first().alias("top_user_calls"),
        ])
        .sort_by_exprs(
            [col("total"), col("minute")],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(top as IdxSize)
        .collect()?;
    let busiest_minutes = strings(&per_minute, "minute")?
        .into_iter()
        .zip(numbers(&per_minute, "total")?)
        .zip(numbers(&per_minute, "limited")?)
        .zip(strings(&per_minute, "top_user")?)
        .zip(numbers(&per_minute, "top_user_calls")?)
        .map(
            |((((minute, calls), limited), top_user), top_user_calls)| BusyMinute {
                minute,
                calls,
                rate_limited: limited,
                top_user,
                top_user_calls,
            },
        )
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
    fn no_rows_no_findings() {
        let report = rate_limit_report(&[], 30, 5).unwrap();
        assert!(report.users.is_empty() && report.busiest_minutes.is_empty());
    }
}
