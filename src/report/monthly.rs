//! `esmlog monthly`: transactions per calendar month, with a best estimate and firm bounds.

use super::quota::{quota_status, QuotaStatus};
use super::reconcile::{
    add_integration_column, csv_cells, reconciled_rows, reconciliation_note, IntegrationCounts,
    Reconciled, CSV_COLUMNS,
};
use super::{round_rate, UsageOptions};
use crate::calendar::Grain;
use crate::render::{rate, Align, Cell, Report, Table};
use crate::rollup::{pieces, roll_up, BucketTotals};
use crate::usage::period::{PeriodStatus, Timeline};
use polars::prelude::PolarsResult;
use serde::Serialize;

/// One calendar month.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct MonthRow {
    /// `2023-04`.
    pub month: String,
    /// Best estimate: intervals that straddle a month edge are split in proportion to time.
    pub consumed: u64,
    /// Calls certainly in the month.
    pub consumed_min: u64,
    /// The most the month can hold (whole straddling intervals, unobserved tails).
    pub consumed_max: u64,
    /// How much of `consumed` rests on splitting in proportion to time.
    pub split: u64,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub exact: bool,
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
    pub total: Option<MonthRow>,
    pub step: u64,
    pub quota: Option<QuotaStatus>,
}

fn month_row(label: String, t: &BucketTotals) -> MonthRow {
    MonthRow {
        month: label,
        consumed: t.consumed_est,
        consumed_min: t.consumed_min,
        consumed_max: t.consumed_max,
        split: t.consumed_est - t.consumed_min,
        rejected: t.rejected_est,
        rejection_rate: round_rate(rate(t.rejected_est, t.consumed_est + t.rejected_est)),
        exact: t.exact(),
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
    let (months, total) = roll_up(&pieces(
        timeline,
        options.clock,
        Grain::Month,
        options.range,
    ))?;
    let reconciled = reconciled_rows(timeline, integration, Grain::Month, &months, options.range);
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
        quota,
    })
}

fn cells(m: &MonthRow) -> Vec<Cell> {
    vec![
        Cell::Text(m.month.clone()),
        Cell::Estimate {
            value: m.consumed,
            plus_minus: m.split,
        },
        Cell::Count(m.consumed_min),
        Cell::Count(m.consumed_max),
        Cell::Count(m.rejected),
        Cell::Rate(m.rejection_rate),
        Cell::Text(if m.exact { "yes".into() } else { "no".into() }),
        Cell::Text(m.status.as_str().into()),
    ]
}

impl Report for MonthlyReport {
    fn tables(&self) -> Vec<Table> {
        let mut table = Table {
            title: "Transactions per month (server calendar)".into(),
            columns: vec![
                ("month", Align::Left),
                ("consumed", Align::Right),
                ("min", Align::Right),
                ("max", Align::Right),
                ("rejected", Align::Right),
                ("rejected %", Align::Right),
                ("exact", Align::Left),
                ("status", Align::Left),
            ],
            rows: self.months.iter().map(cells).collect(),
            total: self.total.as_ref().map(cells),
        };
        add_integration_column(&mut table, self.months.iter().map(|m| &m.integration));
        let mut tables = vec![table];
        tables.extend(self.quota.as_ref().map(QuotaStatus::table));
        tables
    }

    fn csv(&self) -> Table {
        Table {
            title: String::new(),
            columns: vec![
                ("month", Align::Left),
                ("consumed", Align::Right),
                ("consumed_min", Align::Right),
                ("consumed_max", Align::Right),
                ("split", Align::Right),
                ("rejected", Align::Right),
                ("rejection_rate", Align::Right),
                ("exact", Align::Left),
                ("status", Align::Left),
                ("periods", Align::Right),
            ]
            .into_iter()
            .chain(CSV_COLUMNS)
            .collect(),
            rows: self
                .months
                .iter()
                .map(|m| {
                    let mut cells = vec![
                        Cell::Text(m.month.clone()),
                        Cell::Count(m.consumed),
                        Cell::Count(m.consumed_min),
                        Cell::Count(m.consumed_max),
                        Cell::Count(m.split),
                        Cell::Count(m.rejected),
                        Cell::Rate(m.rejection_rate),
                        Cell::Text(m.exact.to_string()),
                        Cell::Text(m.status.as_str().into()),
                        Cell::Count(u64::from(m.periods)),
                    ];
                    cells.extend(csv_cells(m.integration.as_ref()));
                    cells
                })
                .collect(),
            total: None,
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.months.iter().any(|m| m.split > 0) {
            notes.push(
                "± is the part of the estimate that comes from splitting, in proportion to time, the \
                 stretch between two usage lines that crosses a month's edge; min and max always hold the true count."
                    .to_string(),
            );
        }
        if self
            .months
            .iter()
            .any(|m| m.status != PeriodStatus::Complete)
        {
            notes.push(format!(
                "A period without a final total (server restart, or still open) may hold up to {} \
                 consumed calls after its last usage line: they count in max only.",
                self.step - 1
            ));
        }
        notes.extend(reconciliation_note(
            self.months
                .iter()
                .filter_map(|m| m.integration.as_ref().map(|r| r.verdict)),
        ));
        notes.extend(self.quota.iter().flat_map(QuotaStatus::notes));
        notes
    }
}
