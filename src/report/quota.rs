//! Licensed volume: the share used in the current month or year, and a run-rate forecast.

use super::UsageOptions;
use crate::calendar::{Grain, TimeRange};
use crate::render::{thousands, Cell, Column, Table};
use crate::usage::period::Timeline;
use crate::usage::rollup::roll_up;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use polars::prelude::PolarsResult;
use serde::Serialize;

/// Below this many days of data in the period a run rate is no forecast: the projection
/// says "too early".
pub const MIN_DAYS_TO_PROJECT: f64 = 7.0;

/// What the licensed volume is counted over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum QuotaPeriod {
    Month,
    Year,
}

/// `--quota N --quota-period month|year`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub volume: u64,
    pub period: QuotaPeriod,
}

/// Quota use in the period holding the last data.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct QuotaStatus {
    pub period: QuotaPeriod,
    /// `2023-10` or `2023`.
    pub label: String,
    pub quota: u64,
    /// Best estimate of transactions so far, with its bounds (the maximum unknown where a
    /// gap in the usage log leaves it so).
    pub used: u64,
    pub used_min: u64,
    pub used_max: Option<u64>,
    pub share: f64,
    /// The usage log does not cover the whole period so far (a gap, or it starts late):
    /// the shares are lower bounds.
    pub share_is_lower_bound: bool,
    /// The last moment of data (server wall clock).
    pub as_of: String,
    /// Transactions the period will reach at the run rate so far.
    pub projected: u64,
    pub projected_share: f64,
    /// When the run rate reaches the quota, if it does within the period.
    pub reaches_quota_on: Option<NaiveDate>,
    pub exceeded: bool,
    /// Fewer than [`MIN_DAYS_TO_PROJECT`] days of data in the period so far: the projection
    /// and its day are shown as "too early", and alerts look at the share used only.
    pub too_early: bool,
}

fn period_bounds(period: QuotaPeriod, at: NaiveDate) -> (NaiveDate, NaiveDate) {
    match period {
        QuotaPeriod::Month => {
            let start = Grain::Month.first_day(at);
            let next = Grain::Month.next(start.and_time(chrono::NaiveTime::MIN));
            (start, next.date())
        }
        QuotaPeriod::Year => {
            let start = NaiveDate::from_ymd_opt(at.year(), 1, 1).expect("1 January");
            (
                start,
                NaiveDate::from_ymd_opt(at.year() + 1, 1, 1).expect("1 January"),
            )
        }
    }
}

/// Quota use for the month or year of the last data within the options' range.
pub fn quota_status(
    timeline: &Timeline,
    options: &UsageOptions,
    quota: Quota,
) -> PolarsResult<Option<QuotaStatus>> {
    let Some((first, last)) = timeline.span() else {
        return Ok(None);
    };
    let mut as_of: NaiveDateTime = last.local;
    if let Some(to) = options.range.to {
        as_of = as_of.min(to);
    }
    // Clipped by --until, `as_of` may be the next midnight, which opens the next month:
    // the quota's month is that of the range's last moment.
    let last_date = options
        .range
        .last_day()
        .map_or(as_of.date(), |u| u.min(as_of.date()));
    let (start, end) = period_bounds(quota.period, last_date);
    let start_at = start.and_time(chrono::NaiveTime::MIN);
    let end_at = end.and_time(chrono::NaiveTime::MIN);
    let since = options.range.from.map_or(start_at, |s| s.max(start_at));
    let until = options.range.to.map_or(end_at, |u| u.min(end_at));
    let range = TimeRange {
        from: Some(since),
        to: Some(until),
    };
    let (_, total) = roll_up(timeline, options.clock, Grain::Month, range)?;
    let Some(total) = total else {
        return Ok(None);
    };
    let counted_from = start_at.max(first.local).max(since);
    let elapsed = (as_of - counted_from).num_milliseconds().max(1) as f64;
    let too_early = elapsed < MIN_DAYS_TO_PROJECT * 86_400_000.0;
    let remaining = (end.and_time(chrono::NaiveTime::MIN) - as_of)
        .num_milliseconds()
        .max(0) as f64;
    let per_ms = total.consumed_est as f64 / elapsed;
    let projected = total.consumed_est + (per_ms * remaining).round() as u64;
    let exceeded = total.consumed_est >= quota.volume;
    let reaches_quota_on = if !exceeded && projected >= quota.volume && per_ms > 0.0 {
        let ms = ((quota.volume - total.consumed_est) as f64 / per_ms).ceil() as i64;
        Some((as_of + Duration::milliseconds(ms)).date())
    } else {
        None
    };
    let share = |n: u64| (n as f64 / quota.volume.max(1) as f64 * 1e6).round() / 1e6;
    Ok(Some(QuotaStatus {
        period: quota.period,
        label: match quota.period {
            QuotaPeriod::Month => start.format("%Y-%m").to_string(),
            QuotaPeriod::Year => start.format("%Y").to_string(),
        },
        quota: quota.volume,
        used: total.consumed_est,
        used_min: total.consumed_min,
        used_max: total.consumed_max,
        share: share(total.consumed_est),
        share_is_lower_bound: total.gaps > 0
            || total
                .coverage
                .is_none_or(|c| c.from > since + crate::usage::rollup::RESET_GRACE),
        as_of: as_of.format("%Y-%m-%d %H:%M").to_string(),
        projected,
        projected_share: share(projected),
        reaches_quota_on,
        exceeded,
        too_early,
    }))
}

impl QuotaStatus {
    /// The quota as a small table.
    pub fn table(&self) -> Table {
        Table {
            title: format!("Licensed volume, {} (as of {})", self.label, self.as_of),
            columns: vec![
                Column::figure("quota", "quota"),
                Column::figure("used", "used"),
                Column::figure("used %", "share"),
                Column::figure("projected", "projected"),
                Column::figure("projected %", "projected_share"),
                Column::text("reached on", "reaches_quota_on"),
            ],
            rows: vec![vec![
                Cell::Count(self.quota),
                match self.used_max {
                    Some(max) => Cell::Estimate {
                        value: self.used,
                        plus_minus: (self.used - self.used_min).max(max.saturating_sub(self.used)),
                    },
                    None => Cell::AtLeast(self.used_min),
                },
                self.used_cell(),
                if self.too_early {
                    Cell::Text("too early".into())
                } else {
                    Cell::Count(self.projected)
                },
                if self.too_early {
                    Cell::Text("too early".into())
                } else {
                    Cell::Rate(Some(self.projected_share))
                },
                Cell::Text(match (self.exceeded, self.reaches_quota_on) {
                    (true, _) => "already exceeded".into(),
                    (false, _) if self.too_early => "too early".into(),
                    (false, Some(d)) => d.to_string(),
                    (false, None) => "not this period".into(),
                }),
            ]],
            total: None,
        }
    }

    /// The share of the quota used, as a bound where it is one: where the usage log does
    /// not cover the whole period, at least the certain calls' share (`≥ 83.9%`).
    pub fn shown_share(&self) -> (f64, bool) {
        if self.share_is_lower_bound {
            (self.used_min as f64 / self.quota.max(1) as f64, true)
        } else {
            (self.share, false)
        }
    }

    fn used_cell(&self) -> Cell {
        match self.shown_share() {
            (share, true) => Cell::Text(format!("≥ {:.1}%", share * 100.0)),
            (share, false) => Cell::Rate(Some(share)),
        }
    }

    /// A sentence saying where the quota stands.
    pub fn notes(&self) -> Vec<String> {
        let headline = if self.exceeded {
            format!(
                "The quota of {} for {} is already exceeded: {} transactions so far.",
                thousands(self.quota),
                self.label,
                thousands(self.used)
            )
        } else if self.too_early {
            format!(
                "{} has fewer than {MIN_DAYS_TO_PROJECT} days of data so far: too early to project.",
                self.label
            )
        } else if let Some(day) = self.reaches_quota_on {
            format!(
                "At the run rate so far, {} reaches its quota of {} on {day}.",
                self.label,
                thousands(self.quota)
            )
        } else {
            format!(
                "At the run rate so far, {} ends at about {} of {} ({:.0}%).",
                self.label,
                thousands(self.projected),
                thousands(self.quota),
                self.projected_share * 100.0
            )
        };
        let mut notes = vec![headline];
        if self.share_is_lower_bound {
            notes.push(format!(
                "The usage log does not cover all of {} so far (it starts later, or has a gap): the shares of the quota are lower bounds.",
                self.label
            ));
        }
        notes
    }
}
