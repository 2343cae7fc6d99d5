//! `esmlog calls`: REST calls from integration.log grouped by any dimensions, with latency
//! percentiles, the busiest minute, the rate limit, avoidable logins and line accounting.

use super::limits::{LoginTables, RateLimitTables};
use super::logins::{login_report, UserLogins};
use super::rate_limit::{rate_limit_report, RateLimitReport};
use super::round_rate;
use crate::calendar::TimeRange;
use crate::integration::aggregate::{Dim, Group, GroupStats};
use crate::integration::entry::LineAccounting;
use crate::integration::scan::ScanResult;
use crate::render::{rate, Cell, Column, Report, Table};
use polars::prelude::PolarsResult;
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// One group of calls.
#[derive(Debug, Clone, PartialEq)]
pub struct CallRow {
    /// One (dimension, value) per `--by`.
    pub key: Vec<(Dim, String)>,
    pub calls: u64,
    pub successful: u64,
    pub unsuccessful: u64,
    pub rejection_rate: Option<f64>,
    pub p50_ms: Option<u64>,
    pub p95_ms: Option<u64>,
    pub p99_ms: Option<u64>,
    pub max_ms: Option<u64>,
}

impl Serialize for CallRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.key.len() + 8))?;
        for (dim, value) in &self.key {
            map.serialize_entry(dim.name(), value)?;
        }
        map.serialize_entry("calls", &self.calls)?;
        map.serialize_entry("successful", &self.successful)?;
        map.serialize_entry("unsuccessful", &self.unsuccessful)?;
        map.serialize_entry("rejection_rate", &self.rejection_rate)?;
        map.serialize_entry("p50_ms", &self.p50_ms)?;
        map.serialize_entry("p95_ms", &self.p95_ms)?;
        map.serialize_entry("p99_ms", &self.p99_ms)?;
        map.serialize_entry("max_ms", &self.max_ms)?;
        map.end()
    }
}

/// The minute with the most calls.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PeakMinute {
    pub minute: String,
    pub calls: u64,
}

/// The calls report.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CallsReport {
    pub by: Vec<Dim>,
    pub rows: Vec<CallRow>,
    pub total: CallRow,
    pub peak_minute: Option<PeakMinute>,
    pub rate_limit: RateLimitReport,
    pub logins: Vec<UserLogins>,
    pub lines: LineAccounting,
    /// The stretch the calls were counted in (`--since`, `--until`, `--last`), when not all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub range: Option<RangeShown>,
    /// The range in words, for the title.
    #[serde(skip)]
    pub range_text: Option<String>,
}

/// The ends of a report's range for JSON: wall-clock times on the server's clock, `from`
/// inclusive and `to` exclusive; null for an open end.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RangeShown {
    pub from: Option<String>,
    pub to: Option<String>,
}

impl RangeShown {
    /// The range's ends as `2023-10-26T11:00`; none for everything.
    pub fn of(range: TimeRange) -> Option<RangeShown> {
        let end =
            |t: Option<chrono::NaiveDateTime>| t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string());
        (!range.is_all()).then(|| RangeShown {
            from: end(range.from),
            to: end(range.to),
        })
    }
}

/// Microseconds to whole milliseconds, rounded.
fn ms(us: Option<u64>) -> Option<u64> {
    us.map(|u| (u + 500) / 1000)
}

fn call_row(key: Vec<(Dim, String)>, stats: &GroupStats) -> CallRow {
    CallRow {
        key,
        calls: stats.calls,
        successful: stats.successful,
        unsuccessful: stats.unsuccessful,
        rejection_rate: round_rate(rate(
            stats.unsuccessful,
            stats.successful + stats.unsuccessful,
        )),
        p50_ms: ms(stats.latency.p50()),
        p95_ms: ms(stats.latency.p95()),
        p99_ms: ms(stats.latency.p99()),
        max_ms: ms(stats.latency.max()),
    }
}

/// Settings of the analyses beside the grouping.
#[derive(Debug, Clone, Copy)]
pub struct CallsSettings {
    pub rate_limit: u64,
    pub token_minutes: i64,
    /// How many busiest minutes to list.
    pub top_minutes: usize,
}

/// Builds the report from a scan grouped by `by`.
pub fn calls_report(
    scan: &ScanResult,
    by: &[Dim],
    settings: CallsSettings,
) -> PolarsResult<CallsReport> {
    Ok(CallsReport {
        by: by.to_vec(),
        rows: grouped_rows(scan, by),
        total: call_row(Vec::new(), &scan.calls.totals),
        peak_minute: scan
            .calls
            .busiest_minute()
            .map(|(minute, counts)| PeakMinute {
                minute: minute.format("%Y-%m-%d %H:%M").to_string(),
                calls: u64::from(counts.calls),
            }),
        rate_limit: rate_limit_report(
            &scan.calls.minutes,
            settings.rate_limit,
            settings.top_minutes,
        )?,
        logins: login_report(&scan.calls.minutes, settings.token_minutes),
        lines: scan.line_totals(),
        range: None,
        range_text: None,
    })
}

/// The rows of the report: the scan's groups rolled up to `by`, in the order shown.
fn grouped_rows(scan: &ScanResult, by: &[Dim]) -> Vec<CallRow> {
    let groups: Vec<Group> = scan.calls.rollup(by).unwrap_or_default();
    let mut rows: Vec<CallRow> = groups
        .iter()
        .map(|g| {
            call_row(
                by.iter().copied().zip(g.key.iter().cloned()).collect(),
                &g.stats,
            )
        })
        .collect();
    // By time when grouped by hour, day or week (the key's order is the time's, dimension by
    // dimension); else most calls first, ties in key order, the same every run.
    if by
        .iter()
        .any(|d| matches!(d, Dim::Hour | Dim::Day | Dim::Week))
    {
        rows.sort_by(|a, b| a.key.cmp(&b.key));
    } else {
        rows.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.key.cmp(&b.key)));
    }
    rows
}

fn ms_cell(v: Option<u64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Count)
}

fn stats_cells(row: &CallRow) -> Vec<Cell> {
    vec![
        Cell::Count(row.calls),
        Cell::Count(row.successful),
        Cell::Count(row.unsuccessful),
        Cell::Rate(row.rejection_rate),
        ms_cell(row.p50_ms),
        ms_cell(row.p95_ms),
        ms_cell(row.p99_ms),
        ms_cell(row.max_ms),
    ]
}

/// The columns of the figures of a group, declared once for every format.
const STATS_COLUMNS: [Column; 8] = [
    Column::figure("calls", "calls"),
    Column::figure("successful", "successful"),
    Column::figure("unsuccessful", "unsuccessful"),
    Column::figure("rejected %", "rejection_rate"),
    Column::figure("p50 ms", "p50_ms"),
    Column::figure("p95 ms", "p95_ms"),
    Column::figure("p99 ms", "p99_ms"),
    Column::figure("max ms", "max_ms"),
];

impl CallsReport {
    /// The report as counted in `range`, which it names in its title and notes.
    pub fn in_range(mut self, range: TimeRange) -> CallsReport {
        self.range = RangeShown::of(range);
        self.range_text = (!range.is_all()).then(|| range.describe());
        self
    }

    /// The report of the same `scan` this one was built from, grouped by `by` instead. The
    /// busiest minute, the rate limit and the logins do not depend on the grouping: they are
    /// taken over rather than worked out again from every minute of the scan (for a month,
    /// hundreds of thousands of rows).
    pub fn regrouped(&self, scan: &ScanResult, by: &[Dim]) -> CallsReport {
        CallsReport {
            by: by.to_vec(),
            rows: grouped_rows(scan, by),
            total: self.total.clone(),
            peak_minute: self.peak_minute.clone(),
            rate_limit: self.rate_limit.clone(),
            logins: self.logins.clone(),
            lines: self.lines.clone(),
            range: self.range.clone(),
            range_text: self.range_text.clone(),
        }
    }

    fn groups_table(&self) -> Table {
        let mut columns: Vec<Column> = self
            .by
            .iter()
            .map(|d| Column::text(d.name(), d.name()))
            .collect();
        columns.extend(STATS_COLUMNS);
        let row_cells = |row: &CallRow| -> Vec<Cell> {
            let mut cells: Vec<Cell> = row.key.iter().map(|(_, v)| Cell::Text(v.clone())).collect();
            cells.extend(stats_cells(row));
            cells
        };
        let mut total: Vec<Cell> = vec![Cell::Text("total".into())];
        total.extend((1..self.by.len()).map(|_| Cell::Text(String::new())));
        total.extend(stats_cells(&self.total));
        let source = match &self.range_text {
            Some(range) => format!("integration.log, {range}"),
            None => "integration.log".into(),
        };
        Table {
            title: if self.by.is_empty() {
                format!("REST calls ({source})")
            } else {
                let names: Vec<&str> = self.by.iter().map(|d| d.name()).collect();
                format!("REST calls by {} ({source})", names.join(", "))
            },
            columns,
            rows: self.rows.iter().map(row_cells).collect(),
            total: (!self.by.is_empty()).then_some(total),
        }
    }
}

impl Report for CallsReport {
    fn tables(&self) -> Vec<Table> {
        let mut tables = vec![self.groups_table()];
        if !self.rate_limit.users.is_empty() {
            let mut users = RateLimitTables(&self.rate_limit).users();
            users.title = format!(
                "Rate limit: users at or over {} calls per minute",
                self.rate_limit.limit
            );
            tables.push(users);
        }
        if self.logins.iter().any(|l| l.avoidable > 0) {
            tables.push(LoginTables(&self.logins).table());
        }
        tables
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(peak) = &self.peak_minute {
            notes.push(format!(
                "Busiest minute: {} with {} calls.",
                peak.minute,
                crate::render::thousands(peak.calls)
            ));
        }
        let l = &self.lines;
        if let Some(range) = &self.range_text {
            notes.push(format!(
                "Counted: the calls of {range}; the line accounting below is of the whole input."
            ));
        }
        notes.push(format!(
            "Lines: {} read = {} entries + {} continuation + {} orphan{} + {} blank; {} calls, {} informational entries.",
            crate::render::thousands(l.lines),
            crate::render::thousands(l.entries),
            crate::render::thousands(l.continuation),
            crate::render::thousands(l.orphans),
            if l.suspicious > 0 {
                format!(
                    " + {} suspicious (header-shaped but not matching the layout)",
                    crate::render::thousands(l.suspicious)
                )
            } else {
                String::new()
            },
            crate::render::thousands(l.blank),
            crate::render::thousands(l.calls),
            crate::render::thousands(l.informational.total()),
        ));
        notes
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::integration::scan::{scan_readers, ScanOptions};
    use crate::report::bundle::SCAN_DIMS;
    use std::io::Read;

    /// A generated integration.log of three weeks with spikes and users over the rate limit.
    pub(crate) fn generated_scan() -> ScanResult {
        let dir = tempfile::tempdir().unwrap();
        crate::generate::generate(&crate::generate::GenerateArgs {
            seed: 3,
            weeks: 3,
            size: Some("4MB".into()),
            ..crate::generate::GenerateArgs::new(dir.path().to_path_buf())
        })
        .unwrap();
        let log = std::fs::read(dir.path().join("integration.log")).unwrap();
        let options = ScanOptions {
            dims: SCAN_DIMS.to_vec(),
            ..ScanOptions::default()
        };
        let stream: Box<dyn Read + Send> = Box::new(std::io::Cursor::new(log));
        scan_readers(vec![("integration.log".into(), stream)], &options)
    }

    #[test]
    fn a_regrouped_report_is_the_report_of_that_grouping() {
        let scan = generated_scan();
        let settings = CallsSettings {
            rate_limit: 30,
            token_minutes: 60,
            top_minutes: 10,
        };
        let users = calls_report(&scan, &[Dim::User], settings).unwrap();
        assert!(users.rows.len() > 1 && !users.rate_limit.users.is_empty());
        for by in [
            &[Dim::Endpoint][..],
            &[Dim::Status],
            &[Dim::Day],
            &[Dim::Endpoint, Dim::User],
        ] {
            let direct = calls_report(&scan, by, settings).unwrap();
            assert!(direct.rows.len() > 1, "{by:?}");
            assert_eq!(users.regrouped(&scan, by), direct, "{by:?}");
        }
    }
}
