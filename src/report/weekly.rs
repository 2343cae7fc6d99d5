//! `esmlog weekly`: transactions per ISO week of the server's calendar.

use super::figures::{figure_notes, gaps_in, range_note, ConsumedFigures, GapRow};
use super::quota::{quota_status, QuotaStatus};
use super::reconcile::{
    add_integration_columns, reconciled_rows, reconciliation_note, IntegrationCounts, Reconciled,
};
use super::{round_rate, UsageOptions};
use crate::calendar::Grain;
use crate::render::{rate, Cell, Column, Report, Table};
use crate::usage::period::{PeriodStatus, Timeline};
use crate::usage::rollup::{roll_up, BucketTotals};
use chrono::NaiveDate;
use polars::prelude::PolarsResult;
use serde::Serialize;

/// One ISO week.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekRow {
    /// `2023-W15`.
    pub week: String,
    /// The Monday.
    pub start: NaiveDate,
    /// Calls certainly in the week: exact when `exact`, else the lower bound.
    pub consumed: u64,
    #[serde(flatten)]
    pub figures: ConsumedFigures,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub status: PeriodStatus,
    pub periods: u32,
    /// integration.log's counts for the week, when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<Reconciled>,
}

/// All weeks together: an interval across a week's edge counts once, whole.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekTotal {
    pub weeks: usize,
    pub consumed: u64,
    #[serde(flatten)]
    pub figures: ConsumedFigures,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub status: PeriodStatus,
    pub periods: u32,
}

/// The weekly report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeeklyReport {
    pub weeks: Vec<WeekRow>,
    pub total: Option<WeekTotal>,
    /// Calls between two usage lines, inferred from the data.
    pub step: u64,
    /// Stretches whose calls the usage log cannot count.
    pub gaps: Vec<GapRow>,
    pub quota: Option<QuotaStatus>,
    /// What the usage log cannot say of the range (`--since`, `--until`, `--last`).
    #[serde(skip)]
    pub range_note: Option<String>,
}

/// Rejected calls are the usage log's estimate, as in the monthly table and the report's
/// headline: the same days give the same figure whichever table shows them. (Consumed calls
/// are shown as the lower bound, which the licence needs; rejected calls have no such use.)
fn rejection_rate(t: &BucketTotals) -> Option<f64> {
    round_rate(rate(t.rejected_est, t.consumed_est + t.rejected_est))
}

/// Builds the weekly report from the timeline.
pub fn weekly_report(
    timeline: &Timeline,
    options: &UsageOptions,
    integration: Option<&IntegrationCounts>,
) -> PolarsResult<WeeklyReport> {
    let (weeks, total) = roll_up(timeline, options.clock, Grain::Week, options.range)?;
    let mut reconciled = reconciled_rows(integration, &weeks, options.range).into_iter();
    let rows = weeks
        .iter()
        .map(|w| WeekRow {
            week: Grain::Week.label(w.start),
            start: w.start.date(),
            consumed: w.consumed_min,
            figures: ConsumedFigures::of(w),
            rejected: w.rejected_est,
            rejection_rate: rejection_rate(w),
            status: w.status,
            periods: w.periods,
            integration: reconciled.next().flatten(),
        })
        .collect::<Vec<_>>();
    let total = total.map(|t| WeekTotal {
        weeks: rows.len(),
        consumed: t.consumed_min,
        figures: ConsumedFigures::of(&t),
        rejected: t.rejected_est,
        rejection_rate: rejection_rate(&t),
        status: t.status,
        periods: t.periods,
    });
    let quota = match options.quota {
        Some(q) => quota_status(timeline, options, q)?,
        None => None,
    };
    Ok(WeeklyReport {
        weeks: rows,
        total,
        step: timeline.step,
        gaps: gaps_in(timeline, options.range),
        quota,
        range_note: range_note(timeline, options.range),
    })
}

/// The weekly table's columns, declared once for every format.
const COLUMNS: [Column; 12] = [
    Column::text("week", "week"),
    Column::text("start", "start"),
    Column::figure("consumed", "consumed"),
    Column::figure("at most", "at_most").people_only(),
    Column::figure("max", "consumed_max").machines_only(),
    Column::figure("max if 1 restart", "consumed_max_if_one_restart").machines_only(),
    Column::figure("rejected", "rejected"),
    Column::figure("rejected %", "rejection_rate"),
    Column::text("exact", "exact").machines_only(),
    Column::text("covered", "coverage"),
    Column::text("status", "status"),
    Column::figure("periods", "periods").machines_only(),
];

/// One row's cells on [`COLUMNS`].
fn cells(
    [label, start]: [String; 2],
    figures: &ConsumedFigures,
    rejected: u64,
    rejection_rate: Option<f64>,
    status: PeriodStatus,
    periods: u32,
) -> Vec<Cell> {
    vec![
        Cell::Text(label),
        Cell::Text(start),
        figures.min_cell(),
        figures.max_cell(),
        figures.max_raw_cell(),
        figures.max_if_one_restart_raw_cell(),
        Cell::Count(rejected),
        Cell::Rate(rejection_rate),
        figures.exact_cell(),
        figures.coverage_cell(),
        Cell::Text(status.as_str().into()),
        Cell::Count(u64::from(periods)),
    ]
}

impl Report for WeeklyReport {
    fn tables(&self) -> Vec<Table> {
        let mut table = Table {
            title: "Transactions per week (server calendar)".into(),
            columns: COLUMNS.to_vec(),
            rows: self
                .weeks
                .iter()
                .map(|w| {
                    cells(
                        [w.week.clone(), w.start.to_string()],
                        &w.figures,
                        w.rejected,
                        w.rejection_rate,
                        w.status,
                        w.periods,
                    )
                })
                .collect(),
            total: self.total.as_ref().map(|t| {
                let weeks = match t.weeks {
                    1 => "1 week".to_string(),
                    n => format!("{n} weeks"),
                };
                cells(
                    ["total".into(), weeks],
                    &t.figures,
                    t.rejected,
                    t.rejection_rate,
                    t.status,
                    t.periods,
                )
            }),
        };
        add_integration_columns(&mut table, self.weeks.iter().map(|w| &w.integration));
        let mut tables = vec![table];
        tables.extend(self.quota.as_ref().map(QuotaStatus::table));
        tables
    }

    fn notes(&self) -> Vec<String> {
        let figures: Vec<&ConsumedFigures> = self
            .weeks
            .iter()
            .map(|w| &w.figures)
            .chain(self.total.as_ref().map(|t| &t.figures))
            .collect();
        let mut notes = figure_notes(&figures, &self.gaps, true);
        notes.extend(self.range_note.clone());
        notes.extend(reconciliation_note(
            self.weeks
                .iter()
                .filter_map(|w| w.integration.as_ref().map(|r| r.verdict)),
        ));
        notes.extend(self.quota.iter().flat_map(QuotaStatus::notes));
        notes
    }
}
