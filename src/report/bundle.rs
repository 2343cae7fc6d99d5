//! `esmlog report`: the monthly bundle a licence owner can forward as is. It gathers the
//! figures the other reports compute, restricted to one month (or all the data), and lays
//! them out as one self-contained HTML page, a Markdown document, SVG charts, CSV tables and
//! a `summary.json` of the headline figures. Nothing is parsed here and nothing is written:
//! the command writes the files this module returns.

mod document;
mod narrative;

use super::calls::{calls_report, CallsReport, CallsSettings};
use super::charts;
use super::check::CheckReport;
use super::monthly::{monthly_report, MonthRow, MonthlyReport};
use super::quota::{quota_status, Quota, QuotaStatus};
use super::reconcile::{IntegrationCounts, Reconciled};
use super::rejections::{rejections_report, RejectionSettings, RejectionsReport};
use super::weekly::{weekly_report, WeeklyReport};
use super::UsageOptions;
use crate::calendar::{Grain, TimeRange};
use crate::chart::{self, CumulativePoint};
use crate::clock::ServerClock;
use crate::error::UsageError;
use crate::integration::aggregate::{CallAggregate, Dim, GroupStats};
use crate::integration::scan::ScanResult;
use crate::redact::redact_json;
use crate::render::csv::LineEnd;
use crate::render::{emit, Format, Report};
use crate::spike::SpikeParams;
use crate::usage::period::{PeriodStatus, Timeline};
use chrono::{Datelike, Months, NaiveDate, NaiveDateTime, NaiveTime};
use polars::prelude::PolarsResult;
use serde::Serialize;
use std::collections::BTreeMap;

/// The rate-limit and login analyses as reports, for their tables and CSV files.
pub use super::limits::{LoginTables, RateLimitTables};

/// The dimensions the bundle's scan of integration.log must group by: users and endpoints
/// for their tables, statuses for the month's status counts, and days to keep the month.
pub const SCAN_DIMS: [Dim; 4] = [Dim::User, Dim::Endpoint, Dim::Status, Dim::Day];

/// How many months the months chart and table show, the reported one included.
const HISTORY_MONTHS: u32 = 12;

/// What the user asked to report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// The last month that is not the month of the last data point.
    LastComplete,
    /// `--month YYYY-MM`: its first day.
    Month(NaiveDate),
    /// `--all`.
    All,
    /// `--since`, `--until` or `--last`: a stretch of days or of time.
    Range(TimeRange),
}

/// The stretch a bundle reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One calendar month, from its first day; `in_progress` when the data ends inside it.
    Month { first: NaiveDate, in_progress: bool },
    /// Everything, from the first month with data to the last.
    All { first: NaiveDate, last: NaiveDate },
    /// The days or the stretch of time of `--since`, `--until` or `--last`.
    Window { range: TimeRange },
}

fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

impl Period {
    /// The stretch reported (unbounded for all the data).
    pub fn range(&self) -> TimeRange {
        match self {
            Period::Month { first, .. } => TimeRange::days(Some(*first), Some(month_end(*first))),
            Period::All { .. } => TimeRange::ALL,
            Period::Window { range } => *range,
        }
    }

    /// `2023-10`, `all`, or a window as an ISO 8601 interval (`2023-10-26T11:00/2023-10-26T11:15`,
    /// `..` for an open end).
    pub fn label(&self) -> String {
        match self {
            Period::Month { first, .. } => first.format("%Y-%m").to_string(),
            Period::All { .. } => "all".into(),
            Period::Window { range } => {
                let end = |t: Option<NaiveDateTime>| {
                    t.map_or("..".to_string(), |t| t.format("%Y-%m-%dT%H:%M").to_string())
                };
                format!("{}/{}", end(range.from), end(range.to))
            }
        }
    }

    /// `October 2023`, or `2023-04 to 2023-11`.
    pub fn title(&self) -> String {
        match self {
            Period::Month { first, .. } => first.format("%B %Y").to_string(),
            Period::All { first, last } if first == last => first.format("%B %Y").to_string(),
            Period::All { first, last } => {
                format!("{} to {}", first.format("%Y-%m"), last.format("%Y-%m"))
            }
            Period::Window { range } => range.describe(),
        }
    }

    /// The month before, for the change from it.
    pub fn previous_month(&self) -> Option<NaiveDate> {
        match self {
            Period::Month { first, .. } => first.checked_sub_months(Months::new(1)),
            Period::All { .. } | Period::Window { .. } => None,
        }
    }

    fn in_progress(&self) -> bool {
        matches!(
            self,
            Period::Month {
                in_progress: true,
                ..
            }
        )
    }
}

/// `--month YYYY-MM` as the month's first day.
pub fn parse_month(value: &str) -> Result<NaiveDate, UsageError> {
    let bad = || UsageError::BadValue {
        flag: "--month",
        value: value.to_string(),
        reason: "expected a month as YYYY-MM (for example 2023-10)".into(),
    };
    let (year, month) = value.trim().split_once('-').ok_or_else(bad)?;
    if year.len() != 4 || month.len() != 2 {
        return Err(bad());
    }
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u32 = month.parse().map_err(|_| bad())?;
    NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(bad)
}

/// The first days of the months the usage log has figures for, in order.
pub fn months_with_data(timeline: &Timeline, clock: ServerClock) -> PolarsResult<Vec<NaiveDate>> {
    let all = monthly_report(
        timeline,
        &UsageOptions {
            clock,
            range: TimeRange::ALL,
            quota: None,
        },
        None,
    )?;
    Ok(all
        .months
        .iter()
        .filter_map(|m| parse_month(&m.month).ok())
        .collect())
}

/// Picks the period to report from what was asked, the months with data and the day of the
/// last data point. A month without data is an error that lists the months with data.
pub fn choose_period(
    selection: Selection,
    months: &[NaiveDate],
    last_data: NaiveDate,
) -> Result<Period, UsageError> {
    let (Some(&first), Some(&last)) = (months.first(), months.last()) else {
        return Err(UsageError::BadValue {
            flag: "PATHS",
            value: String::new(),
            reason: "the usage logs hold no usage line, so there is no month to report".into(),
        });
    };
    let current = Grain::Month.first_day(last_data);
    let month = match selection {
        Selection::All => return Ok(Period::All { first, last }),
        Selection::Range(range) => return Ok(Period::Window { range }),
        Selection::Month(asked) if months.contains(&asked) => asked,
        Selection::Month(asked) => {
            let listed: Vec<String> = months
                .iter()
                .map(|m| m.format("%Y-%m").to_string())
                .collect();
            return Err(UsageError::BadValue {
                flag: "--month",
                value: asked.format("%Y-%m").to_string(),
                reason: format!(
                    "the usage logs hold no data for this month; the months with data are {}",
                    listed.join(", ")
                ),
            });
        }
        Selection::LastComplete => months
            .iter()
            .rev()
            .find(|m| **m < current)
            .copied()
            .unwrap_or(last),
    };
    Ok(Period::Month {
        first: month,
        in_progress: month >= current,
    })
}

/// What the bundle is made from: the parsed logs and the settings of the analyses.
pub struct Sources<'a> {
    /// The usage log, read whole: the bundle restricts it to the period.
    pub timeline: &'a Timeline,
    /// How wall-clock stamps map to instants (`--tz`).
    pub clock: ServerClock,
    /// `--tz`, to name the zone in the text.
    pub tz: Option<&'a str>,
    /// `--quota` and `--quota-period`.
    pub quota: Option<Quota>,
    /// integration.log scanned with [`SCAN_DIMS`], when it was given.
    pub scan: Option<&'a ScanResult>,
    /// The line accounting of every input.
    pub check: CheckReport,
    /// `--rate-limit` and `--token-minutes`.
    pub settings: CallsSettings,
    /// How the lines of `data/*.csv` end (`--csv-crlf`).
    pub csv_line_end: LineEnd,
}

/// One file of the bundle, by its path inside the bundle's folder (`/`-separated).
#[derive(Debug, Clone, PartialEq)]
pub struct BundleFile {
    /// `index.html`, `charts/weekly-transactions.svg`, …
    pub path: String,
    /// The bytes to write.
    pub contents: Vec<u8>,
}

/// Every file of a bundle, in the order they should be written: the page that says the
/// bundle is complete, index.html, comes last.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    /// Charts, data, report.md, summary.json, then index.html.
    pub files: Vec<BundleFile>,
    /// What the `--fail-on-…` conditions look at.
    pub alerts: super::alerts::Alerts,
}

/// One chart: its file under `charts/`, its title for the text, and the SVG.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// Its file name under `charts/`.
    pub file: &'static str,
    /// What it shows, for the text and for screen readers.
    pub title: &'static str,
    /// The SVG document.
    pub svg: String,
}

/// The charts of a bundle; those from integration.log only when it was given.
#[derive(Debug, Clone, PartialEq)]
pub struct Charts {
    /// Weekly transactions, lower bounds hatched, the quota scaled to a week.
    pub weekly: Chart,
    /// Monthly transactions with min–max whiskers, the period and the months before.
    pub monthly: Chart,
    /// The usage counters climbing within each period.
    pub cumulative: Chart,
    /// The rejection rate per hour, spikes shaded.
    pub rejections: Chart,
    /// The busiest users' successful and unsuccessful calls.
    pub users: Option<Chart>,
    /// Calls by weekday and hour.
    pub heatmap: Option<Chart>,
    /// Calls per minute against the rate limit.
    pub load: Option<Chart>,
}

impl Charts {
    /// Every chart, in the order the document shows them.
    pub fn all(&self) -> Vec<&Chart> {
        [
            &self.weekly,
            &self.monthly,
            &self.cumulative,
            &self.rejections,
        ]
        .into_iter()
        .chain(self.users.as_ref())
        .chain(self.heatmap.as_ref())
        .chain(self.load.as_ref())
        .collect()
    }
}

/// Every figure of the bundle, restricted to the period.
pub struct Figures {
    /// What is reported.
    pub period: Period,
    /// `--tz`, to name the zone in the text.
    pub tz: Option<String>,
    /// The first and last moment of the usage log (server wall clock).
    pub span: Option<(NaiveDateTime, NaiveDateTime)>,
    /// Calls between two usage lines.
    pub step: u64,
    /// The weeks of the period, those at its edges cut to its days.
    pub weekly: WeeklyReport,
    /// The period's months (one for a month) and their total.
    pub monthly: MonthlyReport,
    /// The months up to the period's end, for comparison.
    pub history: MonthlyReport,
    /// The quota from the start of its month or year to the end of the period.
    pub quota: Option<QuotaStatus>,
    /// The rejection trend and the spikes that start in the period.
    pub rejections: RejectionsReport,
    /// The endpoints with the most rejected calls in the period (integration.log).
    pub rejected_endpoints: Vec<super::rejections::EndpointRejections>,
    /// How spikes were told from the baseline, for the text.
    pub spike_params: SpikeParams,
    /// integration.log by user and by endpoint, when it was given.
    pub users: Option<CallsReport>,
    /// integration.log by endpoint, when it was given.
    pub endpoints: Option<CallsReport>,
    /// The line accounting of every input.
    pub check: CheckReport,
    /// `--rate-limit` and `--token-minutes`.
    pub settings: CallsSettings,
    /// Every counting period of the usage log: start, end (last line or reset), status.
    pub periods: Vec<(NaiveDateTime, NaiveDateTime, PeriodStatus)>,
    /// integration.log calls without a date, which no month can hold.
    pub undated_calls: u64,
    /// For a month the data covers only up to some day: that day, and the month before
    /// counted over the same days (from its 1st to that day), for a fair comparison.
    pub same_days: Option<(NaiveDate, Option<MonthRow>)>,
}

/// Days of data below which a change from the month before or a projection says "too early".
pub const MIN_DAYS_TO_COMPARE: f64 = crate::report::quota::MIN_DAYS_TO_PROJECT;

impl Figures {
    /// The period's transactions: the month's row, or the total of all months.
    pub fn transactions(&self) -> Option<&MonthRow> {
        match self.period {
            Period::Month { .. } => self.monthly.months.first(),
            // A window inside one month is that month's row, the same figures as the total
            // plus integration.log's count beside them.
            Period::Window { .. } if self.monthly.months.len() == 1 => self.monthly.months.first(),
            Period::All { .. } | Period::Window { .. } => self.monthly.total.as_ref(),
        }
    }

    /// The month before the period, with its figures when it has data: over the same days
    /// as the period when the data covers the period's month only in part.
    pub fn previous(&self) -> Option<(NaiveDate, Option<&MonthRow>)> {
        let month = self.period.previous_month()?;
        if let Some((_, row)) = &self.same_days {
            return Some((month, row.as_ref()));
        }
        let label = month.format("%Y-%m").to_string();
        Some((month, self.history.months.iter().find(|m| m.month == label)))
    }

    /// Days of data from `start` (a period's first day) to the end of the data or `end`, the
    /// day after the period, whichever is first; none without data.
    pub fn days_of_data(&self, start: NaiveDate, end: NaiveDate) -> Option<f64> {
        let (first, last) = self.span?;
        let from = first.max(start.and_time(NaiveTime::MIN));
        let to = last.min(end.and_time(NaiveTime::MIN));
        Some(((to - from).num_minutes().max(0) as f64) / (24.0 * 60.0))
    }

    /// Days of data in the period's month; none for `--all`.
    pub fn days_of_data_in_month(&self) -> Option<f64> {
        match self.period {
            Period::Month { first, .. } => {
                self.days_of_data(first, month_end(first).succ_opt().unwrap_or(first))
            }
            Period::All { .. } | Period::Window { .. } => None,
        }
    }

    /// The counting periods with a moment in `range`.
    pub fn periods_in(
        &self,
        range: TimeRange,
    ) -> impl Iterator<Item = &(NaiveDateTime, NaiveDateTime, PeriodStatus)> {
        self.periods
            .iter()
            .filter(move |(start, end, _)| range.overlaps(*start, *end))
    }

    /// The first and last moment the usage log speaks of within `range`.
    pub fn span_in(&self, range: TimeRange) -> Option<(NaiveDateTime, NaiveDateTime)> {
        let periods: Vec<_> = self.periods_in(range).collect();
        let first = periods.iter().map(|p| p.0).min()?;
        let last = periods.iter().map(|p| p.1).max()?;
        Some((first, last))
    }

    /// Whether the usage log spans the whole of the month starting on `first` (a restart's
    /// short gap inside it does not count against it).
    pub fn covers_month(&self, first: NaiveDate) -> bool {
        let range = TimeRange::days(Some(first), Some(month_end(first)));
        let start = first.and_time(NaiveTime::MIN);
        self.span_in(range)
            .is_some_and(|(from, to)| from <= start && to >= Grain::Month.next(start))
    }
}

/// A scan's calls restricted to `range`: minutes and failures by their minute, groups by
/// their day when they have one. Groups are cut by time at the scan (`ScanOptions::window`,
/// the same range): a day the range cuts is kept here. Calls without a date belong to no
/// day and are left out.
pub fn within(scan: &ScanResult, range: TimeRange) -> ScanResult {
    let calls = &scan.calls;
    if range.is_all() {
        return ScanResult {
            calls: calls.clone(),
            files: scan.files.clone(),
            errors: Vec::new(),
            overlap_unmerged: scan.overlap_unmerged,
        };
    }
    let position = |dim: Dim| calls.dims.iter().position(|d| *d == dim);
    let (day, status) = (position(Dim::Day), position(Dim::Status));
    let in_range = |text: &str| {
        text.parse::<NaiveDate>()
            .is_ok_and(|d| range.touches_day(d))
    };
    let groups: Vec<_> = calls
        .groups
        .iter()
        .filter(|g| day.is_none_or(|i| in_range(&g.key[i])))
        .cloned()
        .collect();
    let mut totals = GroupStats::default();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    for group in &groups {
        totals.merge(&group.stats);
        if let Some(code) = status.and_then(|i| group.key[i].parse::<u16>().ok()) {
            *statuses.entry(code).or_default() += group.stats.calls;
        }
    }
    let minutes: Vec<_> = calls
        .minutes
        .iter()
        .filter(|m| range.contains(m.minute))
        .cloned()
        .collect();
    let failures = calls
        .failures
        .iter()
        .filter(|f| range.contains(f.minute))
        .cloned()
        .collect();
    let inside = |t: &Option<NaiveDateTime>| t.filter(|t| range.contains(*t));
    ScanResult {
        calls: CallAggregate {
            dims: calls.dims.clone(),
            groups,
            totals,
            first: inside(&calls.first).or(minutes.first().map(|m| m.minute)),
            last: inside(&calls.last).or(minutes.last().map(|m| m.minute)),
            minutes,
            failures,
            statuses,
            levels: Default::default(),
            undated_calls: 0,
        },
        files: scan.files.clone(),
        errors: Vec::new(),
        overlap_unmerged: scan.overlap_unmerged,
    }
}

/// The counters within the period: each period's points from zero at its start, keeping
/// those on the period's days.
fn cumulative_points(timeline: &Timeline, range: TimeRange) -> Vec<CumulativePoint> {
    let mut points = Vec::new();
    for (index, period) in timeline.periods.iter().enumerate() {
        let after_restart = charts::began_after_restart(timeline, index);
        if range.contains(period.start.local) {
            points.push(CumulativePoint {
                at: period.start.local,
                consumed: 0,
                period: index,
                after_restart,
            });
        }
        points.extend(
            period
                .observations
                .iter()
                .filter(|o| range.contains(o.at.local))
                .map(|o| CumulativePoint {
                    at: o.at.local,
                    consumed: o.consumed,
                    period: index,
                    after_restart,
                }),
        );
    }
    points
}

/// Calls per minute for the reconciliation: the period's minutes only, so that a week cut
/// at the month's edge is compared with the same days of integration.log, but the span of
/// the whole log, since it does cover those days.
fn integration_counts(whole: &ScanResult, part: &ScanResult) -> IntegrationCounts {
    IntegrationCounts {
        minutes: part.calls.minute_totals(),
        first: whole.calls.first,
        last: whole.calls.last,
    }
}

/// For a month the data ends inside: the data's last day, and the month before counted from
/// its 1st to the same day (its last, if shorter), by `monthly` over that range.
fn same_days(
    timeline: &Timeline,
    period: Period,
    monthly: impl Fn(TimeRange) -> PolarsResult<MonthlyReport>,
) -> PolarsResult<Option<(NaiveDate, Option<MonthRow>)>> {
    let Period::Month { first, .. } = period else {
        return Ok(None);
    };
    let Some(through) = timeline
        .span()
        .map(|(_, last)| last.local.date())
        .filter(|last| *last >= first && *last < month_end(first))
    else {
        return Ok(None);
    };
    let Some(before) = first.checked_sub_months(Months::new(1)) else {
        return Ok(None);
    };
    let until = before
        .with_day(through.day())
        .unwrap_or_else(|| month_end(before));
    let label = before.format("%Y-%m").to_string();
    let row = monthly(TimeRange::days(Some(before), Some(until)))?
        .months
        .into_iter()
        .find(|m| m.month == label);
    Ok(Some((through, row)))
}

/// Computes every figure of the bundle for `period`.
pub fn gather(sources: Sources<'_>, period: Period) -> PolarsResult<(Figures, Charts)> {
    let Sources {
        timeline,
        clock,
        tz,
        quota,
        scan,
        check,
        settings,
        csv_line_end: _,
    } = sources;
    let range = period.range();
    let options = |range: TimeRange| UsageOptions {
        clock,
        range,
        quota: None,
    };
    // All the data is the scan itself: no copy of its minutes and failures (tens of
    // megabytes for a month), which the figures only read.
    let cut = scan.filter(|_| !range.is_all()).map(|s| within(s, range));
    let part = cut.as_ref().or(scan);
    let counts = scan.zip(part).map(|(s, p)| integration_counts(s, p));
    let whole_counts = scan.map(|s| integration_counts(s, s));

    let weekly = weekly_report(timeline, &options(range), counts.as_ref())?;
    let mut monthly = monthly_report(timeline, &options(range), counts.as_ref())?;
    let history_range = match period {
        Period::Month { first, .. } => TimeRange {
            from: TimeRange::days(
                first.checked_sub_months(Months::new(HISTORY_MONTHS - 1)),
                None,
            )
            .from,
            to: range.to,
        },
        // A window's months are those it touches, cut to it, as its monthly table shows.
        Period::All { .. } | Period::Window { .. } => range,
    };
    let history = monthly_report(timeline, &options(history_range), whole_counts.as_ref())?;
    // Counted from the start of the quota's month or year up to the period's end, whatever
    // the period: a yearly quota is about the year so far.
    let quota = match quota {
        Some(q) => quota_status(
            timeline,
            &UsageOptions {
                clock,
                range: TimeRange {
                    from: None,
                    to: range.to,
                },
                quota: Some(q),
            },
            q,
        )?,
        None => None,
    };
    monthly.quota = quota.clone();

    let spike_params = SpikeParams::default();
    // Spikes are looked for in the whole log, so that the first minutes of the month have
    // their baseline; the report keeps those that start in the period.
    let rejections = rejections_report(
        timeline,
        clock,
        range,
        scan.map(|s| (s.calls.minutes.as_slice(), s.calls.failures.as_slice())),
        RejectionSettings {
            params: spike_params,
            top: 3,
            rate_limit: settings.rate_limit,
        },
    )?;
    let users = part
        .map(|p| calls_report(p, &[Dim::User], settings))
        .transpose()?;
    let endpoints = part
        .zip(users.as_ref())
        .map(|(p, users)| users.regrouped(p, &[Dim::Endpoint]));

    let mut weeks_drawn = WeeklyReport {
        quota: quota.clone(),
        ..weekly.clone()
    };
    // A week cut at the month's edge, or at the data's, says so under its bar (the chart adds
    // its days); the year goes (the month names it) to leave room under the bar.
    if !range.is_all() {
        for week in &mut weeks_drawn.weeks {
            let short = week.week.split_once('-').map_or(&*week.week, |(_, w)| w);
            week.week = short.to_string();
        }
    }
    let covered = timeline.span().map(|(first, last)| {
        let (first, last) = (first.local.date(), last.local.date());
        (
            range.first_day().map_or(first, |s| s.max(first)),
            range.last_day().map_or(last, |u| u.min(last)),
        )
    });
    let charts = Charts {
        weekly: Chart {
            file: "weekly-transactions.svg",
            title: "Transactions per week",
            svg: charts::weekly_chart(&weeks_drawn, covered),
        },
        monthly: Chart {
            file: "monthly-transactions.svg",
            title: "Transactions per month, with min–max whiskers",
            svg: charts::monthly_chart(&MonthlyReport {
                quota: quota.clone(),
                ..history.clone()
            }),
        },
        cumulative: Chart {
            file: "cumulative.svg",
            title: "The usage counters within each period",
            svg: chart::cumulative_consumption(&cumulative_points(timeline, range)),
        },
        rejections: Chart {
            file: "rejections.svg",
            title: "Rejection rate per hour, spikes shaded",
            svg: charts::rejection_chart(&rejections, part),
        },
        users: part.map(|p| Chart {
            file: "top-users.svg",
            title: "Calls of the busiest users",
            svg: charts::top_users_chart(p),
        }),
        heatmap: part.map(|p| Chart {
            file: "weekday-hour.svg",
            title: "Calls by weekday and hour, mean per weekday",
            svg: charts::heatmap_chart(p),
        }),
        load: part.map(|p| Chart {
            file: "minute-load.svg",
            title: "Busiest user's calls per minute against the per-user rate limit",
            svg: charts::minute_load_chart(p, settings.rate_limit),
        }),
    };

    let periods = timeline
        .periods
        .iter()
        .map(|p| {
            let end = p.reset.unwrap_or(p.last().at).max(p.last().at).local;
            (p.start.local, end, p.status)
        })
        .collect();
    let figures = Figures {
        period,
        tz: tz.map(str::to_string),
        span: timeline.span().map(|(a, b)| (a.local, b.local)),
        step: timeline.step,
        weekly,
        monthly,
        history,
        quota,
        rejections,
        rejected_endpoints: part.map_or(Vec::new(), |p| {
            super::rejections::rejected_endpoints(&p.calls.failures, 10)
        }),
        spike_params,
        users,
        endpoints,
        check,
        settings,
        periods,
        undated_calls: scan.map_or(0, |s| s.calls.undated_calls),
        same_days: same_days(timeline, period, |range| {
            monthly_report(timeline, &options(range), whole_counts.as_ref())
        })?,
    };
    Ok((figures, charts))
}

/// The transactions of the period for `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TransactionsSummary {
    /// The best estimate.
    pub estimate: u64,
    /// Always at most the true count.
    pub min: u64,
    /// Always at least the true count; null where a gap in the usage log leaves it unknown.
    pub max: Option<u64>,
    /// How far the true count can lie from the estimate (`estimate ± N`), where `max` is known.
    pub plus_minus: Option<u64>,
    /// Whether `estimate` is the exact count of the covered stretch.
    pub exact: bool,
    /// The stretch of the month the usage log covers; `partial` when not all of it.
    pub coverage: Option<crate::usage::rollup::Coverage>,
    pub partial: bool,
    /// `complete`, `interrupted` or `open`, as the monthly table shows it.
    pub status: PeriodStatus,
    /// integration.log's successful calls in the period and how they compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<Reconciled>,
}

/// The change from the month before, for `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ChangeSummary {
    /// `2023-09`.
    pub month: String,
    /// Its best estimate, none when it has no data.
    pub transactions: Option<u64>,
    /// Best estimate minus best estimate.
    pub change: Option<i64>,
    /// `change` as a share of the month before.
    pub change_rate: Option<f64>,
    /// Whether the usage log spans both months whole (else the change partly reflects that).
    pub both_months_whole: bool,
    /// The data ends inside the month on this day: both months are counted from the 1st to
    /// it (the month before to its last day when shorter).
    pub same_days_through: Option<u32>,
    /// Fewer than a week of data in the month: no change is given.
    pub too_early: bool,
}

/// One of the busiest users, for `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TopUser {
    /// The user as integration.log names it (redacted).
    pub user: String,
    /// Calls in the period.
    pub calls: u64,
    /// Calls with a status below 400: transactions.
    pub successful: u64,
    /// Calls with a status of 400 or more.
    pub unsuccessful: u64,
}

/// The headline figures of a bundle: `summary.json`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Summary {
    /// `2023-10`, or `all`.
    pub period: String,
    /// The first and last day reported (of the data, for all of it).
    pub first_day: Option<NaiveDate>,
    /// See `first_day`.
    pub last_day: Option<NaiveDate>,
    /// The data ends inside the month.
    pub in_progress: bool,
    /// The period's transactions, none when the usage log has no figures for it.
    pub transactions: Option<TransactionsSummary>,
    /// The quota from the start of its month or year to the end of the period.
    pub quota: Option<QuotaStatus>,
    /// The change from the month before (none for all the data).
    pub previous_month: Option<ChangeSummary>,
    /// Rejected calls in the period (the usage log's estimate).
    pub rejected: u64,
    /// Rejected calls as a share of all calls.
    pub rejection_rate: Option<f64>,
    /// Rejection spikes that start in the period.
    pub spikes: usize,
    /// The five busiest integration.log users, most calls first.
    pub top_users: Vec<TopUser>,
    /// Lines read, skipped and why, per input.
    pub line_accounting: CheckReport,
    /// The files of the bundle.
    pub files: Vec<String>,
    /// `esmlog 0.1.0`.
    pub generator: String,
}

fn summary(figures: &Figures, files: Vec<String>) -> Summary {
    let row = figures.transactions();
    let range = figures.period.range();
    let too_early = figures
        .days_of_data_in_month()
        .is_some_and(|days| days < MIN_DAYS_TO_COMPARE);
    let previous_month = figures.previous().map(|(month, prev)| {
        let now = row.map(|r| r.consumed);
        let before = prev.map(|p| p.consumed);
        let change = now
            .zip(before)
            .map(|(a, b)| a as i64 - b as i64)
            .filter(|_| !too_early);
        ChangeSummary {
            month: month.format("%Y-%m").to_string(),
            transactions: before,
            change,
            change_rate: super::round_rate(
                change
                    .zip(before)
                    .filter(|(_, b)| *b > 0)
                    .map(|(c, b)| c as f64 / b as f64),
            ),
            both_months_whole: match figures.period {
                Period::Month { first, .. } => {
                    figures.covers_month(month) && figures.covers_month(first)
                }
                Period::All { .. } | Period::Window { .. } => false,
            },
            same_days_through: figures.same_days.as_ref().map(|(through, _)| through.day()),
            too_early,
        }
    });
    Summary {
        period: figures.period.label(),
        first_day: range.first_day().or(figures.span.map(|s| s.0.date())),
        last_day: range.last_day().or(figures.span.map(|s| s.1.date())),
        in_progress: figures.period.in_progress(),
        transactions: row.map(|r| TransactionsSummary {
            estimate: r.consumed,
            min: r.figures.consumed_min,
            max: r.figures.consumed_max,
            plus_minus: r.figures.plus_minus,
            exact: r.figures.exact,
            coverage: r.figures.coverage,
            partial: r.figures.partial,
            status: r.status,
            integration: r.integration.clone(),
        }),
        quota: figures.quota.clone(),
        previous_month,
        rejected: row.map_or(0, |r| r.rejected),
        rejection_rate: row.and_then(|r| r.rejection_rate),
        spikes: figures.rejections.spikes.len(),
        top_users: figures.users.as_ref().map_or_else(Vec::new, |users| {
            users
                .rows
                .iter()
                .take(5)
                .map(|r| TopUser {
                    user: r.key.first().map(|k| k.1.clone()).unwrap_or_default(),
                    calls: r.calls,
                    successful: r.successful,
                    unsuccessful: r.unsuccessful,
                })
                .collect()
        }),
        line_accounting: figures.check.clone(),
        files,
        generator: format!("esmlog {}", env!("CARGO_PKG_VERSION")),
    }
}

/// A report's CSV table; [`emit`] redacts every cell on the way out (a pass over the whole
/// text could take the cells after a `password=` value with it, since a value keeps commas).
fn csv_of<R: Report>(report: &R, line_end: LineEnd) -> Vec<u8> {
    let mut out = Vec::new();
    emit(report, Format::Csv, line_end, &mut out).expect("writing to memory cannot fail");
    out
}

/// The CSV tables of the bundle: file name under `data/`, what it holds, and its bytes.
pub type DataFile = (&'static str, &'static str, Vec<u8>);

fn data_files(figures: &Figures, line_end: LineEnd) -> Vec<DataFile> {
    let mut files = vec![
        (
            "weeks.csv",
            "transactions per week",
            csv_of(&figures.weekly, line_end),
        ),
        (
            "months.csv",
            "transactions per month, the reported one and those before it",
            csv_of(&figures.history, line_end),
        ),
    ];
    if let (Some(users), Some(endpoints)) = (&figures.users, &figures.endpoints) {
        files.push((
            "users.csv",
            "calls per user, with latency percentiles",
            csv_of(users, line_end),
        ));
        files.push((
            "endpoints.csv",
            "calls per endpoint, with latency percentiles",
            csv_of(endpoints, line_end),
        ));
    }
    files.push((
        "spikes.csv",
        "rejection spikes and their causes",
        csv_of(&figures.rejections, line_end),
    ));
    if let Some(users) = &figures.users {
        files.push((
            "rate-limit.csv",
            "users at or over the per-minute rate limit",
            csv_of(&RateLimitTables(&users.rate_limit), line_end),
        ));
        files.push((
            "logins.csv",
            "logins per user against the fewest needed",
            csv_of(&LoginTables(&users.logins), line_end),
        ));
    }
    files.push((
        "lines.csv",
        "line accounting per input",
        csv_of(&figures.check, line_end),
    ));
    files
}

/// Builds every file of the bundle for `period`.
pub fn build(sources: Sources<'_>, period: Period) -> PolarsResult<Bundle> {
    let line_end = sources.csv_line_end;
    let (figures, charts) = gather(sources, period)?;
    let data = data_files(&figures, line_end);
    let mut files: Vec<BundleFile> = charts
        .all()
        .into_iter()
        .map(|c| BundleFile {
            path: format!("charts/{}", c.file),
            contents: c.svg.clone().into_bytes(),
        })
        .collect();
    files.extend(data.iter().map(|(name, _, bytes)| BundleFile {
        path: format!("data/{name}"),
        contents: bytes.clone(),
    }));
    let document = narrative::document(&figures, &charts, &data);
    files.push(BundleFile {
        path: "report.md".into(),
        contents: document.markdown().into_bytes(),
    });
    let mut names: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
    names.extend(["summary.json".to_string(), "index.html".to_string()]);
    let json = serde_json::to_string_pretty(&summary(&figures, names))
        .expect("the summary serialises")
        + "\n";
    files.push(BundleFile {
        path: "summary.json".into(),
        contents: redact_json(&json).into_owned().into_bytes(),
    });
    files.push(BundleFile {
        path: "index.html".into(),
        contents: document.html().into_bytes(),
    });
    Ok(Bundle {
        files,
        alerts: alerts_of(&figures),
    })
}

/// The figures the exit conditions judge: the quota, the weeks and months that disagree with
/// integration.log, and the spikes of the period.
fn alerts_of(figures: &Figures) -> super::alerts::Alerts {
    use super::alerts::HasAlerts;
    let mut alerts = figures.monthly.alerts();
    alerts.quotas.clear();
    let weekly = figures.weekly.alerts();
    alerts.differs.extend(weekly.differs);
    alerts.quota(figures.quota.as_ref());
    alerts.spikes = figures.rejections.spikes.len();
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::aggregate::{FailureRow, Group, MinuteCounts, MinuteRow, MISSING};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn within_keeps_the_days_of_the_range() {
        let group = |user: &str, status: &str, day: &str, calls: u64| Group {
            key: vec![user.into(), "GET /x".into(), status.into(), day.into()],
            stats: GroupStats {
                calls,
                successful: if status == "200" { calls } else { 0 },
                unsuccessful: if status == "200" { 0 } else { calls },
                ..GroupStats::default()
            },
        };
        let minute = |at: &str, calls: u32| MinuteRow {
            minute: t(at),
            user: "A".into(),
            counts: MinuteCounts {
                calls,
                successful: calls,
                ..MinuteCounts::default()
            },
        };
        let scan = ScanResult {
            calls: CallAggregate {
                dims: SCAN_DIMS.to_vec(),
                groups: vec![
                    group("A", "200", "2023-09-30", 5),
                    group("A", "200", "2023-10-01", 7),
                    group("B", "429", "2023-10-31", 2),
                    group("B", "200", "2023-11-01", 3),
                    group("C", "200", MISSING, 4),
                ],
                minutes: vec![
                    minute("2023-09-30 23:59", 5),
                    minute("2023-10-01 00:00", 7),
                    minute("2023-11-01 00:00", 3),
                ],
                failures: vec![FailureRow {
                    minute: t("2023-10-31 12:00"),
                    user: "B".into(),
                    endpoint: "GET /x".into(),
                    status: 429,
                    count: 2,
                }],
                first: Some(t("2023-09-30 23:59")),
                last: Some(t("2023-11-01 00:00")),
                undated_calls: 4,
                ..CallAggregate::default()
            },
            ..ScanResult::default()
        };
        let october = within(
            &scan,
            TimeRange::days(Some(d("2023-10-01")), Some(d("2023-10-31"))),
        );
        let calls = &october.calls;
        assert_eq!(calls.groups.len(), 2);
        assert_eq!((calls.totals.calls, calls.totals.unsuccessful), (9, 2));
        assert_eq!(calls.statuses, BTreeMap::from([(200u16, 7u64), (429, 2)]));
        assert_eq!(calls.minutes.len(), 1);
        assert_eq!(calls.failures.len(), 1);
        assert_eq!(calls.first, Some(t("2023-10-01 00:00")));
        assert_eq!(calls.undated_calls, 0);
        let users: Vec<String> = calls
            .rollup(&[Dim::User])
            .unwrap()
            .into_iter()
            .map(|g| g.key[0].clone())
            .collect();
        assert_eq!(users, vec!["A", "B"]);
        let everything = within(&scan, TimeRange::ALL);
        assert_eq!(everything.calls, scan.calls);
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(parse_month("2023-10").unwrap(), d("2023-10-01"));
        for bad in ["2023-13", "2023-1", "23-10", "2023/10", "october", ""] {
            assert!(parse_month(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_default_is_the_last_complete_month() {
        let months = [d("2023-04-01"), d("2023-10-01"), d("2023-11-01")];
        let period = choose_period(Selection::LastComplete, &months, d("2023-11-01")).unwrap();
        assert_eq!(
            period,
            Period::Month {
                first: d("2023-10-01"),
                in_progress: false
            }
        );
        assert_eq!(period.title(), "October 2023");
        assert_eq!(
            period.range(),
            TimeRange::days(Some(d("2023-10-01")), Some(d("2023-10-31")))
        );
    }

    #[test]
    fn a_single_month_is_reported_in_progress() {
        let months = [d("2024-02-01")];
        let period = choose_period(Selection::LastComplete, &months, d("2024-02-20")).unwrap();
        assert_eq!(
            period,
            Period::Month {
                first: d("2024-02-01"),
                in_progress: true
            }
        );
        assert_eq!(period.range().last_day(), Some(d("2024-02-29")));
    }

    #[test]
    fn a_month_without_data_lists_those_with() {
        let months = [d("2023-10-01"), d("2023-11-01")];
        let err = choose_period(Selection::Month(d("2031-01-01")), &months, d("2023-11-01"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("2031-01"), "{err}");
        assert!(err.contains("2023-10, 2023-11"), "{err}");
        let all = choose_period(Selection::All, &months, d("2023-11-01")).unwrap();
        assert_eq!(all.title(), "2023-10 to 2023-11");
        assert_eq!(all.range(), TimeRange::ALL);
    }

    #[test]
    fn a_window_is_labelled_as_an_iso_interval() {
        let range = TimeRange {
            from: Some(t("2023-10-26 11:00")),
            to: Some(t("2023-10-26 11:15")),
        };
        let months = [d("2023-10-01")];
        let period = choose_period(Selection::Range(range), &months, d("2023-10-31")).unwrap();
        assert_eq!(period, Period::Window { range });
        assert_eq!(period.label(), "2023-10-26T11:00/2023-10-26T11:15");
        assert_eq!(period.title(), "2023-10-26 11:00 to 11:15");
        assert_eq!(period.previous_month(), None);
        let open = Period::Window {
            range: TimeRange {
                from: Some(t("2023-10-20 00:00")),
                to: None,
            },
        };
        assert_eq!(open.label(), "2023-10-20T00:00/..");
    }
}
