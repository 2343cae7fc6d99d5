//! Reconciliation: where integration.log covers the same span as the usage log, its exact
//! per-call counts stand beside the usage figures, and differences beyond what the bounds
//! explain are flagged.

use crate::calendar::TimeRange;
use crate::integration::aggregate::MinuteCounts;
use crate::render::{Cell, Column, Table};
use crate::usage::rollup::BucketTotals;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeMap;

/// Calls written to integration.log in a span can start a little after the usage log's
/// period does (nobody called yet), so coverage is judged with this slack.
const COVERAGE_SLACK: Duration = Duration::minutes(15);

/// How the two logs compare in one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// integration.log's count lies within the usage log's bounds.
    Agrees,
    /// It does not: calls missing from one log, or a different server.
    Differs,
    /// integration.log does not cover the whole span the usage log covers in the bucket.
    Partial,
}

/// integration.log's counts for one bucket.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciled {
    pub successful: u64,
    pub unsuccessful: u64,
    pub verdict: Verdict,
}

/// Calls per minute from integration.log, with the span it covers.
#[derive(Debug, Clone, Default)]
pub struct IntegrationCounts {
    pub minutes: Vec<(NaiveDateTime, MinuteCounts)>,
    pub first: Option<NaiveDateTime>,
    pub last: Option<NaiveDateTime>,
}

impl IntegrationCounts {
    /// Successful and unsuccessful calls in the minutes wholly inside `from..=to`, and in
    /// the minutes that touch it: the stretch's true counts lie between the two.
    fn within(&self, from: NaiveDateTime, to: NaiveDateTime) -> ((u64, u64), (u64, u64)) {
        let minute = Duration::minutes(1);
        let mut inner = (0, 0);
        let mut outer = (0, 0);
        let first = self.minutes.partition_point(|(m, _)| *m + minute <= from);
        for (m, counts) in self.minutes[first..].iter().take_while(|(m, _)| *m <= to) {
            let add = |acc: &mut (u64, u64)| {
                acc.0 += u64::from(counts.successful);
                acc.1 += u64::from(counts.unsuccessful);
            };
            add(&mut outer);
            if *m >= from && *m + minute <= to {
                add(&mut inner);
            }
        }
        (inner, outer)
    }
}

/// Compares each bucket's usage figures with integration.log's counts over the stretch the
/// usage log covers in it (so that calls after the usage log's last line, or before its
/// first, do not make the two differ).
pub fn reconcile(integration: &IntegrationCounts, buckets: &[BucketTotals]) -> Vec<Reconciled> {
    buckets
        .iter()
        .map(|b| {
            let Some(coverage) = b.coverage else {
                return Reconciled {
                    successful: 0,
                    unsuccessful: 0,
                    verdict: Verdict::Partial,
                };
            };
            let (from, to) = (coverage.from, coverage.to);
            let (inner, outer) = integration.within(from, to);
            let covered = match (integration.first, integration.last) {
                (Some(first), Some(last)) => {
                    first <= from + COVERAGE_SLACK && last + COVERAGE_SLACK >= to
                }
                _ => false,
            };
            // The two ranges (usage bounds, integration.log's inner and outer counts) meet.
            let successful_fits =
                outer.0 >= b.consumed_min && b.consumed_max.is_none_or(|max| inner.0 <= max);
            let unsuccessful_fits = outer.1 >= b.rejected_min
                && (!b.exact() || b.gaps > 0 || inner.1 <= b.rejected_min);
            Reconciled {
                successful: outer.0,
                unsuccessful: outer.1,
                verdict: match (covered, successful_fits && unsuccessful_fits) {
                    (false, _) => Verdict::Partial,
                    (true, true) => Verdict::Agrees,
                    (true, false) => Verdict::Differs,
                },
            }
        })
        .collect()
}

/// integration.log's counts per bucket, none each when it was not given.
pub fn reconciled_rows(
    integration: Option<&IntegrationCounts>,
    buckets: &[BucketTotals],
    range: TimeRange,
) -> Vec<Option<Reconciled>> {
    let Some(counts) = integration else {
        return vec![None; buckets.len()];
    };
    // The usage figures of a bucket cut by --since/--until/--last cover only the range:
    // both logs are compared over those days alone.
    let (from, to) = range_bounds(range);
    // Without --since/--until (the usual run) the counts are compared as they are.
    let in_range = if range.is_all() {
        Cow::Borrowed(counts)
    } else {
        Cow::Owned(IntegrationCounts {
            minutes: counts
                .minutes
                .iter()
                .filter(|(minute, _)| range.contains(*minute))
                .cloned()
                .collect(),
            first: counts.first.map(|f| f.max(from)),
            last: counts.last.map(|l| l.min(to)),
        })
    };
    reconcile(&in_range, buckets)
        .into_iter()
        .map(Some)
        .collect()
}

/// The first and last instants of a range (unbounded ends as far as time goes).
fn range_bounds(range: TimeRange) -> (NaiveDateTime, NaiveDateTime) {
    let from = range.from.unwrap_or(NaiveDateTime::MIN);
    let to = range.to.map_or(NaiveDateTime::MAX, |u| {
        u - chrono::Duration::milliseconds(1)
    });
    (from, to)
}

/// integration.log's successful calls and how they compare, for a table cell.
pub fn reconciled_cell(reconciled: &Option<Reconciled>) -> Cell {
    match reconciled {
        None => Cell::Empty,
        Some(r) => Cell::Text(format!(
            "{} {}",
            crate::render::thousands(r.successful),
            match r.verdict {
                Verdict::Agrees => "agrees",
                Verdict::Differs => "DIFFERS",
                Verdict::Partial => "(partial)",
            }
        )),
    }
}

/// The verdict as written in CSV.
pub fn verdict_name(verdict: Verdict) -> String {
    serde_json::to_value(verdict)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The note that explains the integration.log column.
pub fn reconciliation_note(verdicts: impl Iterator<Item = Verdict>) -> Option<String> {
    let verdicts: Vec<Verdict> = verdicts.collect();
    if verdicts.is_empty() {
        return None;
    }
    let differs = verdicts.iter().filter(|v| **v == Verdict::Differs).count();
    Some(format!(
        "consumed and rejected are the usage log's counters; integration.log: its successful calls in the stretch of each bucket the usage log covers; \"agrees\" when \
         they lie within the usage log's bounds, \"(partial)\" when it does not cover that whole stretch.{}",
        if differs > 0 {
            format!(" {differs} bucket(s) DIFFER beyond what the bounds explain: calls missing from one log, or logs of different servers.")
        } else {
            String::new()
        }
    ))
}

/// integration.log's column for people (shown only when some row has integration.log's
/// counts), and its three columns for programs (always there, empty without it).
pub const COLUMNS: [Column; 4] = [
    Column::figure("integration.log", "integration").people_only(),
    Column::figure("integration successful", "integration_successful").machines_only(),
    Column::figure("integration unsuccessful", "integration_unsuccessful").machines_only(),
    Column::text("reconciliation", "reconciliation").machines_only(),
];

/// Adds integration.log's columns ([`COLUMNS`]) to a report's table, one set of cells per
/// row; the total row has none.
pub fn add_integration_columns<'a>(
    table: &mut Table,
    reconciled: impl Iterator<Item = &'a Option<Reconciled>> + Clone,
) {
    let shown = reconciled.clone().any(Option::is_some);
    let cells: Vec<[Cell; 4]> = reconciled
        .map(|r| {
            let [successful, unsuccessful, verdict] = match r {
                None => [Cell::Empty, Cell::Empty, Cell::Empty],
                Some(r) => [
                    Cell::Count(r.successful),
                    Cell::Count(r.unsuccessful),
                    Cell::Text(verdict_name(r.verdict)),
                ],
            };
            [reconciled_cell(r), successful, unsuccessful, verdict]
        })
        .collect();
    for (i, column) in COLUMNS.into_iter().enumerate() {
        if i == 0 && !shown {
            continue;
        }
        let column_cells = cells.iter().map(|c| c[i].clone()).collect();
        table.push_column(column, column_cells, Cell::Empty);
    }
    // Where the two logs meet, the total names its source: its figures are the usage log's
    // (integration.log's own count is per row only).
    if shown {
        if let Some(Cell::Text(label)) = table.total.as_mut().and_then(|t| t.first_mut()) {
            if label == "total" {
                *label = "total (usage log)".into();
            }
        }
    }
}

/// integration.log counts of several environments as one: calls per minute summed.
pub fn merge_counts(counts: &[&IntegrationCounts]) -> IntegrationCounts {
    let mut minutes: BTreeMap<_, MinuteCounts> = BTreeMap::new();
    for c in counts {
        for (minute, m) in &c.minutes {
            minutes.entry(*minute).or_default().merge(m);
        }
    }
    IntegrationCounts {
        minutes: minutes.into_iter().collect(),
        first: counts.iter().filter_map(|c| c.first).min(),
        last: counts.iter().filter_map(|c| c.last).max(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::period::PeriodStatus;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    fn bucket(
        start: &str,
        (min, max): (u64, Option<u64>),
        rejected: u64,
        covered: (&str, &str),
    ) -> BucketTotals {
        BucketTotals {
            start: t(start),
            consumed_min: min,
            consumed_est: min,
            consumed_max: max,
            consumed_max_if_one_restart: None,
            rejected_min: rejected,
            rejected_est: rejected,
            periods: 1,
            status: PeriodStatus::Complete,
            gaps: u32::from(max.is_none()),
            coverage: Some(crate::usage::rollup::Coverage {
                from: t(covered.0),
                to: t(covered.1),
                share: 0.5,
                full: false,
            }),
        }
    }

    fn minute(at: &str, successful: u32, unsuccessful: u32) -> (NaiveDateTime, MinuteCounts) {
        (
            t(at),
            MinuteCounts {
                calls: successful + unsuccessful,
                successful,
                unsuccessful,
                rate_limited: 0,
                logins: 0,
            },
        )
    }

    #[test]
    fn verdicts() {
        let integration = IntegrationCounts {
            minutes: vec![
                minute("2023-04-11 12:00", 3, 1),
                minute("2023-04-18 12:00", 5, 0),
                minute("2023-04-25 12:00", 7, 0),
            ],
            first: Some(t("2023-04-11 11:55")),
            last: Some(t("2023-04-30 23:59")),
        };
        let buckets = vec![
            bucket(
                "2023-04-10 00:00",
                (3, Some(3)),
                1,
                ("2023-04-11 11:51", "2023-04-17 00:00"),
            ),
            bucket(
                "2023-04-17 00:00",
                (4, Some(6)),
                0,
                ("2023-04-17 00:00", "2023-04-24 00:00"),
            ),
            bucket(
                "2023-04-24 00:00",
                (2, Some(2)),
                0,
                ("2023-04-24 00:00", "2023-05-01 00:00"),
            ),
            bucket(
                "2023-05-01 00:00",
                (0, Some(0)),
                0,
                ("2023-05-01 00:00", "2023-05-02 10:00"),
            ),
            // A gap: no upper bound, so more calls agree.
            bucket(
                "2023-04-24 00:00",
                (2, None),
                0,
                ("2023-04-24 00:00", "2023-05-01 00:00"),
            ),
            // The usage log covers only until 12:00: calls after it are not compared.
            bucket(
                "2023-04-24 00:00",
                (0, Some(0)),
                0,
                ("2023-04-24 00:00", "2023-04-25 11:00"),
            ),
        ];
        let got: Vec<Verdict> = reconcile(&integration, &buckets)
            .iter()
            .map(|r| r.verdict)
            .collect();
        assert_eq!(
            got,
            vec![
                Verdict::Agrees,
                Verdict::Agrees,
                Verdict::Differs,
                Verdict::Partial,
                Verdict::Agrees,
                Verdict::Agrees,
            ]
        );
    }
}
