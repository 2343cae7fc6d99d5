//! `esmlog weekly`: transactions per ISO week of the server's calendar.

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

/// One ISO week.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekRow {
    /// `2023-W15`.
    pub week: String,
    /// The Monday, `2023-04-10`.
    pub start: String,
    /// Exact when `exact`, else the observed lower bound.
    pub consumed: u64,
    /// The upper bound (equal to `consumed` when exact).
    pub consumed_max: u64,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub exact: bool,
    pub status: PeriodStatus,
    pub periods: u32,
    /// integration.log's counts for the week, when it was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integration: Option<Reconciled>,
}

/// All weeks together.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeekTotal {
    pub weeks: usize,
    pub consumed: u64,
    pub consumed_max: u64,
    pub rejected: u64,
    pub rejection_rate: Option<f64>,
    pub exact: bool,
    pub status: PeriodStatus,
    pub periods: u32,
}

/// The weekly report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WeeklyReport {
    pub weeks: Vec<WeekRow>,
    pub total: Option<WeekTotal>,
    /// Calls between two usage lines, inferred from the data (bounds unobserved tails).
    pub step: u64,
    pub quota: Option<QuotaStatus>,
}

fn row_status(totals: &BucketTotals) -> (u64, u64, Option<f64>, bool) {
    let rejected = totals.rejected_min;
    let rate = round_rate(rate(rejected, totals.consumed_min + rejected));
    (
        totals.consumed_min,
        totals.consumed_max,
        rate,
        totals.exact(),
    )
}

/// Builds the weekly report from the timeline.
pub fn weekly_report(
    timeline: &Timeline,
    options: &UsageOptions,
    integration: Option<&IntegrationCounts>,
) -> PolarsResult<WeeklyReport> {
    let (weeks, total) = roll_up(&pieces(timeline, options.clock, Grain::Week, options.range))?;
    let mut reconciled =
        reconciled_rows(timeline, integration, Grain::Week, &weeks, options.range).into_iter();
    let rows = weeks
        .iter()
        .map(|w| {
            let (consumed, consumed_max, rejection_rate, exact) = row_status(w);
            WeekRow {
                week: Grain::Week.label(w.start),
                start: w.start.date().to_string(),
                consumed,
                consumed_max,
                rejected: w.rejected_min,
                rejection_rate,
                exact,
                status: w.status,
                periods: w.periods,
                integration: reconciled.next().flatten(),
            }
        })
        .collect::<Vec<_>>();
    let total = total.map(|t| {
        let (consumed, consumed_max, rejection_rate, exact) = row_status(&t);
        WeekTotal {
            weeks: rows.len(),
            consumed,
            consumed_max,
            rejected: t.rejected_min,
            rejection_rate,
            exact,
            status: t.status,
            periods: t.periods,
        }
    });
    let quota = match options.quota {
        Some(q) => quota_status(timeline, options, q)?,
        None => None,
    };
    Ok(WeeklyReport {
        weeks: rows,
        total,
        step: timeline.step,
        quota,
    })
}

/// A consumed figure as people should read it: exact, or a lower bound.
fn consumed_cell(consumed: u64, exact: bool) -> Cell {
    if exact {
        Cell::Count(consumed)
    } else {
        Cell::AtLeast(consumed)
    }
}

impl Report for WeeklyReport {
    fn tables(&self) -> Vec<Table> {
        let mut table = Table {
            title: "Transactions per week (server calendar)".into(),
            columns: vec![
                ("week", Align::Left),
                ("start", Align::Left),
                ("consumed", Align::Right),
                ("at most", Align::Right),
                ("rejected", Align::Right),
                ("rejected %", Align::Right),
                ("periods", Align::Right),
                ("status", Align::Left),
            ],
            rows: self
                .weeks
                .iter()
                .map(|w| {
                    vec![
                        Cell::Text(w.week.clone()),
                        Cell::Text(w.start.clone()),
                        consumed_cell(w.consumed, w.exact),
                        if w.exact {
                            Cell::Empty
                        } else {
                            Cell::Count(w.consumed_max)
                        },
                        Cell::Count(w.rejected),
                        Cell::Rate(w.rejection_rate),
                        Cell::Count(u64::from(w.periods)),
                        Cell::Text(w.status.as_str().into()),
                    ]
                })
                .collect(),
            total: self.total.as_ref().map(|t| {
                vec![
                    Cell::Text("total".into()),
                    Cell::Text(match t.weeks {
                        1 => "1 week".to_string(),
                        n => format!("{n} weeks"),
                    }),
                    consumed_cell(t.consumed, t.exact),
                    if t.exact {
                        Cell::Empty
                    } else {
                        Cell::Count(t.consumed_max)
                    },
                    Cell::Count(t.rejected),
                    Cell::Rate(t.rejection_rate),
                    Cell::Count(u64::from(t.periods)),
                    Cell::Text(t.status.as_str().into()),
                ]
            }),
        };
        add_integration_column(&mut table, self.weeks.iter().map(|w| &w.integration));
        let mut tables = vec![table];
        tables.extend(self.quota.as_ref().map(QuotaStatus::table));
        tables
    }

    fn csv(&self) -> Table {
        Table {
            title: String::new(),
            columns: vec![
                ("week", Align::Left),
                ("start", Align::Left),
                ("consumed", Align::Right),
                ("consumed_max", Align::Right),
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
                .weeks
                .iter()
                .map(|w| {
                    let mut cells = vec![
                        Cell::Text(w.week.clone()),
                        Cell::Text(w.start.clone()),
                        Cell::Count(w.consumed),
                        Cell::Count(w.consumed_max),
                        Cell::Count(w.rejected),
                        Cell::Rate(w.rejection_rate),
                        Cell::Text(w.exact.to_string()),
                        Cell::Text(w.status.as_str().into()),
                        Cell::Count(u64::from(w.periods)),
                    ];
                    cells.extend(csv_cells(w.integration.as_ref()));
                    cells
                })
                .collect(),
            total: None,
        }
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.weeks.iter().any(|w| !w.exact) {
            notes.push(format!(
                "≥ marks a lower bound: a period without a final total (server restart, or still open) \
                 may hold up to {} more consumed calls after its last usage line; \"at most\" is the upper bound.",
                self.step - 1
            ));
        }
        notes.extend(reconciliation_note(
            self.weeks
                .iter()
                .filter_map(|w| w.integration.as_ref().map(|r| r.verdict)),
        ));
        notes.extend(self.quota.iter().flat_map(QuotaStatus::notes));
        notes
    }
}
