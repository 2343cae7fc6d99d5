//! `esmlog monthly`: transactions per calendar month, with a best estimate and firm bounds.

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
use polars::prelude::PolarsResult;
use serde::Serialize;

/// One calendar month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthRow {
    /// `2023-04`, or `total`.
    pub month: String,
    /// Best estimate (the `consumed_estimate` of the figures).
    pub consumed: u64,
    #[serde(flatten)]
    pub figures: ConsumedFigures,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub status: PeriodStatus,
    pub periods: u32,
    /// integration.log's counts for the month, when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<Reconciled>,
}

/// The monthly report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthlyReport {
    pub months: Vec<MonthRow>,
    /// All months together: an interval across a month's edge counts once, whole.
    pub total: Option<MonthRow>,
    pub step: u64,
    /// Stretches whose calls the usage log cannot count.
    pub gaps: Vec<GapRow>,
    pub quota: Option<QuotaStatus>,
    /// What the usage log cannot say of the range (`--since`, `--until`, `--last`).
    #[serde(skip)]
    pub range_note: Option<String>,
}

fn month_row(label: String, t: &BucketTotals) -> MonthRow {
    MonthRow {
        month: label,
        consumed: t.consumed_est,
        figures: ConsumedFigures::of(t),
        rejected: t.rejected_est,
        rejection_rate: round_rate(rate(t.rejected_est, t.consumed_est + t.rejected_est)),
        status: t.status,
        periods: t.periods,
        integration: None,
    }
}

/// Builds the monthly report from the timeline.
pub fn monthly_report(
    timeline: &Timeline,
    options: &UsageOptions,
    integration: Option<&IntegrationCounts>,
) -> PolarsResult<MonthlyReport> {
    let (months, total) = roll_up(timeline, options.clock, Grain::Month, options.range)?;
    let reconciled = reconciled_rows(integration, &months, options.range);
    let quota = match options.quota {
        Some(q) => quota_status(timeline, options, q)?,
        None => None,
    };
    Ok(MonthlyReport {
        months: months
            .iter()
            .zip(reconciled)
            .map(|(m, integration)| MonthRow {
                integration,
                ..month_row(Grain::Month.label(m.start), m)
            })
            .collect(),
        total: total.map(|t| month_row("total".into(), &t)),
        step: timeline.step,
        gaps: gaps_in(timeline, options.range),
        quota,
        range_note: range_note(timeline, options.range),
    })
}

/// The monthly table's columns, declared once for every format.
const COLUMNS: [Column; 13] = [
    Column::text("month", "month"),
    Column::figure("consumed", "consumed"),
    Column::figure("min", "consumed_min"),
    Column::figure("max", "max").people_only(),
    Column::figure("max", "consumed_max").machines_only(),
    Column::figure("max if 1 restart", "consumed_max_if_one_restart").machines_only(),
    Column::figure("±", "plus_minus").machines_only(),
    Column::figure("rejected", "rejected"),
    Column::figure("rejected %", "rejection_rate"),
    Column::text("exact", "exact").machines_only(),
    Column::text("covered", "coverage"),
    Column::text("status", "status"),
    Column::figure("periods", "periods").machines_only(),
];

/// One row's cells on [`COLUMNS`].
fn cells(m: &MonthRow) -> Vec<Cell> {
    vec![
        Cell::Text(m.month.clone()),
        m.figures.estimate_cell(),
        Cell::Count(m.figures.consumed_min),
        m.figures
            .consumed_max
            .map_or_else(|| m.figures.max_cell(), Cell::Count),
        m.figures.max_raw_cell(),
        m.figures.max_if_one_restart_raw_cell(),
        m.figures.plus_minus.map_or(Cell::Empty, Cell::Count),
        Cell::Count(m.rejected),
        Cell::Rate(m.rejection_rate),
        m.figures.exact_cell(),
        m.figures.coverage_cell(),
        Cell::Text(m.status.as_str().into()),
        Cell::Count(u64::from(m.periods)),
    ]
}

impl Report for MonthlyReport {
    fn tables(&self) -> Vec<Table> {
        let mut table = Table {
            title: "Transactions per month (server calendar)".into(),
            columns: COLUMNS.to_vec(),
            rows: self.months.iter().map(cells).collect(),
            total: self.total.as_ref().map(cells),
        };
        add_integration_columns(&mut table, self.months.iter().map(|m| &m.integration));
        let mut tables = vec![table];
        tables.extend(self.quota.as_ref().map(QuotaStatus::table));
        tables
    }

    fn notes(&self) -> Vec<String> {
        let figures: Vec<&ConsumedFigures> = self
            .months
            .iter()
            .chain(self.total.as_ref())
            .map(|m| &m.figures)
            .collect();
        let mut notes = figure_notes(&figures, &self.gaps, false);
        notes.extend(self.range_note.clone());
        notes.extend(reconciliation_note(
            self.months
                .iter()
                .filter_map(|m| m.integration.as_ref().map(|r| r.verdict)),
        ));
        notes.extend(self.quota.iter().flat_map(QuotaStatus::notes));
        notes
    }
}
