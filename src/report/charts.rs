//! From reports to chart data: the charts module draws plain data; this one decides which
//! figures each chart shows.

use super::monthly::MonthlyReport;
use super::quota::{QuotaPeriod, QuotaStatus};
use super::rejections::RejectionsReport;
use super::weekly::WeeklyReport;
use crate::chart::{
    self, CumulativePoint, MinuteLoad, MonthBar, RatePoint, TimeSpan, UserBar, WeekBar,
};
use crate::integration::aggregate::{Dim, MinuteRow};
use crate::integration::scan::ScanResult;
use crate::render::thousands;
use crate::usage::period::Timeline;
use chrono::{Datelike, NaiveDate, Timelike};

/// The quota as a line on a chart of `per` buckets: the volume scaled to the bucket.
fn quota_line(quota: &QuotaStatus, days_per_bucket: f64) -> (u64, String) {
    let period_days = match quota.period {
        QuotaPeriod::Month => 365.25 / 12.0,
        QuotaPeriod::Year => 365.25,
    };
    let period_name = match quota.period {
        QuotaPeriod::Month => "month",
        QuotaPeriod::Year => "year",
    };
    if (days_per_bucket - period_days).abs() < 1.0 {
        return (
            quota.quota,
            format!("quota {} / {period_name}", thousands(quota.quota)),
        );
    }
    let scaled = (quota.quota as f64 * days_per_bucket / period_days).round() as u64;
    let bucket = if days_per_bucket < 8.0 {
        "week"
    } else {
        "month"
    };
    (
        scaled,
        format!(
            "quota {} / {period_name} ≈ {} / {bucket}",
            thousands(quota.quota),
            thousands(scaled)
        ),
    )
}

/// How many days of the week starting on `monday` (`2023-10-30`) lie from `covered`'s first
/// to its last day; 7 when nothing bounds it.
pub fn days_covered(monday: NaiveDate, covered: Option<(NaiveDate, NaiveDate)>) -> u8 {
    match covered {
        Some((first, last)) => monday
            .iter_days()
            .take(7)
            .filter(|d| first <= *d && *d <= last)
            .count() as u8,
        _ => 7,
    }
}

/// Weekly transactions as bars, lower-bound weeks marked, weeks that `covered` (the days of
/// data, within the report's range) holds only in part marked with their days, the quota
/// scaled to a week.
pub fn weekly_chart(report: &WeeklyReport, covered: Option<(NaiveDate, NaiveDate)>) -> String {
    let bars: Vec<WeekBar> = report
        .weeks
        .iter()
        .map(|w| WeekBar {
            label: w.week.clone(),
            consumed: w.consumed,
            // Where the log cannot bound the week, the chart draws no range above the bar.
            consumed_max: w.figures.consumed_max.unwrap_or(w.consumed),
            exact: w.figures.exact,
            days: days_covered(w.start, covered),
        })
        .collect();
    let line = report.quota.as_ref().map(|q| quota_line(q, 7.0));
    chart::weekly_transactions(&bars, line.as_ref().map(|(v, l)| (*v, l.as_str())))
}

/// Monthly transactions with min–max whiskers and the quota scaled to a month.
pub fn monthly_chart(report: &MonthlyReport) -> String {
    let bars: Vec<MonthBar> = report
        .months
        .iter()
        .map(|m| MonthBar {
            label: m.month.clone(),
            estimate: m.consumed,
            min: m.figures.consumed_min,
            max: m.figures.consumed_max.unwrap_or(m.consumed),
        })
        .collect();
    let line = report.quota.as_ref().map(|q| quota_line(q, 365.25 / 12.0));
    chart::monthly_transactions(&bars, line.as_ref().map(|(v, l)| (*v, l.as_str())))
}

/// Whether period `index` began with a restart: the one before it ended without a reset.
pub fn began_after_restart(timeline: &Timeline, index: usize) -> bool {
    index
        .checked_sub(1)
        .and_then(|before| timeline.periods.get(before))
        .is_some_and(|p| p.status == crate::usage::period::PeriodStatus::Interrupted)
}

/// The counters climbing within each period from zero at its start: the sawtooth.
pub fn cumulative_chart(timeline: &Timeline) -> String {
    let mut points = Vec::new();
    for (index, period) in timeline.periods.iter().enumerate() {
        let after_restart = began_after_restart(timeline, index);
        points.push(CumulativePoint {
            at: period.start.local,
            consumed: 0,
            period: index,
            after_restart,
        });
        points.extend(period.observations.iter().map(|o| CumulativePoint {
            at: o.at.local,
            consumed: o.consumed,
            period: index,
            after_restart,
        }));
    }
    chart::cumulative_consumption(&points)
}

/// Successful and unsuccessful calls of the busiest users.
pub fn top_users_chart(scan: &ScanResult) -> String {
    let mut bars: Vec<UserBar> = scan
        .calls
        .rollup(&[Dim::User])
        .unwrap_or_default()
        .into_iter()
        .map(|g| UserBar {
            user: g.key.into_iter().next().unwrap_or_default(),
            successful: g.stats.successful,
            unsuccessful: g.stats.unsuccessful,
        })
        .collect();
    bars.sort_by(|a, b| {
        (b.successful + b.unsuccessful)
            .cmp(&(a.successful + a.unsuccessful))
            .then(a.user.cmp(&b.user))
    });
    chart::top_users(&bars)
}

/// Calls per weekday (Monday first) and hour of the server's clock.
pub fn weekday_hour_counts(minutes: &[MinuteRow]) -> [[u64; 24]; 7] {
    let mut counts = [[0u64; 24]; 7];
    for row in minutes {
        let day = row.minute.weekday().num_days_from_monday() as usize;
        counts[day][row.minute.hour() as usize] += u64::from(row.counts.calls);
    }
    counts
}

/// How many times each weekday (Monday first) occurs from `first` to `last`, both included.
pub fn weekday_occurrences(first: chrono::NaiveDate, last: chrono::NaiveDate) -> [u32; 7] {
    let mut occurrences = [0u32; 7];
    for day in first.iter_days().take_while(|d| *d <= last) {
        occurrences[day.weekday().num_days_from_monday() as usize] += 1;
    }
    occurrences
}

/// The weekday × hour heatmap of calls: the mean per occurrence of each weekday in the span.
pub fn heatmap_chart(scan: &ScanResult) -> String {
    let (span, occurrences) = match (scan.calls.first, scan.calls.last) {
        (Some(a), Some(b)) => (
            format!("{} to {}", a.format("%Y-%m-%d"), b.format("%Y-%m-%d")),
            weekday_occurrences(a.date(), b.date()),
        ),
        _ => (String::new(), [1; 7]),
    };
    chart::weekday_hour_heatmap(
        &weekday_hour_counts(&scan.calls.minutes),
        &occurrences,
        &span,
    )
}

/// Each minute's busiest user against the per-user rate limit, with the users at or over it
/// counted as the rate-limit table counts them.
pub fn minute_loads(rows: &[MinuteRow], limit: u64) -> Vec<MinuteLoad> {
    let mut minutes: Vec<MinuteLoad> = Vec::new();
    // The rows are sorted by minute, then user.
    for row in rows {
        let calls = u64::from(row.counts.calls);
        let over = u64::from(calls >= limit);
        match minutes.last_mut() {
            Some(last) if last.minute == row.minute => {
                last.calls = last.calls.max(calls);
                last.users_at_or_over += over;
            }
            _ => minutes.push(MinuteLoad {
                minute: row.minute,
                calls,
                users_at_or_over: over,
            }),
        }
    }
    minutes
}

/// The busiest user's calls per minute against the per-user rate limit.
pub fn minute_load_chart(scan: &ScanResult, limit: u64) -> String {
    chart::minute_load(&minute_loads(&scan.calls.minutes, limit), limit)
}

fn local_of(iso: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(iso.get(..19).unwrap_or(iso), "%Y-%m-%dT%H:%M:%S")
        .unwrap_or_default()
}

/// The rejection rate per hour (from integration.log when given, else the usage log), with
/// the spikes shaded.
pub fn rejection_chart(report: &RejectionsReport, scan: Option<&ScanResult>) -> String {
    let points: Vec<RatePoint> = match scan {
        Some(scan) => {
            let mut hours: std::collections::BTreeMap<chrono::NaiveDateTime, (u64, u64)> =
                std::collections::BTreeMap::new();
            for (minute, counts) in scan.calls.minute_totals() {
                let hour = crate::calendar::Grain::Hour.floor(minute);
                let entry = hours.entry(hour).or_default();
                entry.0 += u64::from(counts.unsuccessful);
                entry.1 += u64::from(counts.successful + counts.unsuccessful);
            }
            hours
                .into_iter()
                .map(|(at, (rejected, total))| RatePoint {
                    at,
                    rejected,
                    total,
                })
                .collect()
        }
        None => report
            .hours
            .iter()
            .map(|h| RatePoint {
                at: local_of(&h.hour),
                rejected: h.rejected,
                total: h.total,
            })
            .collect(),
    };
    let spikes: Vec<TimeSpan> = report
        .spikes
        .iter()
        .map(|s| TimeSpan {
            start: local_of(&s.start),
            end: local_of(&s.end),
            label: match s.top_users.first() {
                Some(user) => format!("{} rejected, mostly {}", thousands(s.rejected), user.name),
                None => format!("{} rejected", thousands(s.rejected)),
            },
        })
        .collect();
    chart::rejection_trend(&points, &spikes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::aggregate::MinuteCounts;

    #[test]
    fn heatmap_counts_by_weekday_and_hour() {
        let row = |at: &str, calls| MinuteRow {
            minute: chrono::NaiveDateTime::parse_from_str(at, "%Y-%m-%d %H:%M").unwrap(),
            user: "A".into(),
            counts: MinuteCounts {
                calls,
                ..MinuteCounts::default()
            },
        };
        // 2023-04-10 is a Monday, 2023-04-16 a Sunday.
        let counts = weekday_hour_counts(&[
            row("2023-04-10 09:01", 3),
            row("2023-04-10 09:59", 2),
            row("2023-04-16 23:00", 7),
        ]);
        assert_eq!(counts[0][9], 5);
        assert_eq!(counts[6][23], 7);
        assert_eq!(counts.iter().flatten().sum::<u64>(), 12);
    }

    #[test]
    fn weeks_count_their_days_covered() {
        let d = |d: &str| d.parse::<NaiveDate>().unwrap();
        let october = Some((d("2023-10-01"), d("2023-10-31")));
        assert_eq!(days_covered(d("2023-09-25"), october), 1);
        assert_eq!(days_covered(d("2023-10-09"), october), 7);
        assert_eq!(days_covered(d("2023-10-30"), october), 2);
        assert_eq!(days_covered(d("2023-10-30"), None), 7);
        // Data from a Tuesday: its week is covered six days.
        assert_eq!(
            days_covered(d("2023-10-09"), Some((d("2023-10-10"), d("2023-11-02")))),
            6
        );
    }

    #[test]
    fn weekdays_are_counted_over_the_span() {
        // 2023-10-03 is a Tuesday; to 2023-10-24 is four Tuesdays and three of every other day.
        let day = |d: &str| d.parse::<chrono::NaiveDate>().unwrap();
        let occurrences = weekday_occurrences(day("2023-10-03"), day("2023-10-24"));
        assert_eq!(occurrences, [3, 4, 3, 3, 3, 3, 3]);
        assert_eq!(
            weekday_occurrences(day("2023-10-03"), day("2023-10-03")),
            [0, 1, 0, 0, 0, 0, 0]
        );
    }
}
