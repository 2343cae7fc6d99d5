//! `esmlog check`: what became of every line of every input, and the first problems with
//! their line numbers and reasons (redacted).

use crate::accounting::LineProblem;
use crate::ingest::Skipped;
use crate::integration::message::FieldSources;
use crate::integration::scan::FileTally;
use crate::render::{Cell, Column, Report, Table};
use crate::source::LogKind;
use crate::usage::load::UsageFile;
use crate::usage::period::Anomaly;
use serde::Serialize;
use std::collections::HashSet;

/// One input's line accounting:
/// `lines = parsed + continuation + malformed + orphans + suspicious + blank`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileCheck {
    pub path: String,
    pub kind: LogKind,
    pub lines: u64,
    /// Usage lines, or integration.log entries (their first lines).
    pub parsed: u64,
    /// integration.log lines inside an entry after its first (stack traces).
    pub continuation: u64,
    pub malformed: u64,
    /// integration.log lines before the file's first entry.
    pub orphans: u64,
    pub blank: u64,
    /// Parsed usage lines already read from another input (counted once in reports).
    pub duplicates: u64,
    /// integration.log lines that look like a header but do not match the layout: neither
    /// entries nor part of one, each a problem.
    pub suspicious: u64,
    /// integration.log calls with a status, duration or card count that could not be read
    /// (a subset of `parsed`), each a problem with its reason.
    pub unreadable_fields: u64,
    /// integration.log: the message shapes and keys the REST fields were read from.
    pub field_sources: FieldSources,
    /// Problems found, all counted; the first ones listed.
    pub problem_count: u64,
    pub problems: Vec<LineProblem>,
}

impl FileCheck {
    /// Whether the counts add up.
    pub fn balances(&self) -> bool {
        self.lines
            == self.parsed
                + self.continuation
                + self.malformed
                + self.orphans
                + self.suspicious
                + self.blank
    }
}

/// The check of all inputs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckReport {
    pub files: Vec<FileCheck>,
    /// The integration.log layout read with and how it was found (none without one).
    pub layout: Option<String>,
    /// Anomalies in the usage counters across files.
    pub anomalies: Vec<Anomaly>,
}

impl CheckReport {
    /// Whether anything needs a look.
    pub fn has_problems(&self) -> bool {
        !self.anomalies.is_empty()
            || self
                .files
                .iter()
                .any(|f| f.problem_count > 0 || f.kind == LogKind::Unknown)
    }
}

/// Builds the check from the parsed usage files, the scanned integration.log files and the
/// inputs of neither kind.
pub fn check_report(
    usage: &[UsageFile],
    integration: &[FileTally],
    skipped: &[Skipped],
    anomalies: Vec<Anomaly>,
) -> CheckReport {
    let mut seen = HashSet::new();
    let mut files: Vec<FileCheck> = usage
        .iter()
        .map(|f| {
            let duplicates = f
                .records
                .iter()
                .filter(|r| !seen.insert((r.stamp, r.body)))
                .count() as u64;
            FileCheck {
                path: f.name.clone(),
                kind: LogKind::Usage,
                lines: f.tally.lines,
                parsed: f.tally.parsed,
                continuation: 0,
                malformed: f.tally.malformed,
                orphans: 0,
                blank: f.tally.blank,
                duplicates,
                suspicious: 0,
                unreadable_fields: 0,
                field_sources: FieldSources::default(),
                problem_count: f.problems.total,
                problems: f.problems.kept.clone(),
            }
        })
        .collect();
    files.extend(integration.iter().map(|f| {
        let mut problems = f.problems.kept.clone();
        let mut problem_count = f.problems.total;
        if let Some(none) = &f.no_entries {
            problem_count += 1;
            problems.insert(
                0,
                LineProblem {
                    file: f.name.clone(),
                    line: 1,
                    reason: none.to_string(),
                    text: none.first_line.clone(),
                },
            );
        }
        FileCheck {
            path: f.name.clone(),
            kind: LogKind::Integration,
            lines: f.lines.lines,
            parsed: f.lines.entries,
            continuation: f.lines.continuation,
            malformed: 0,
            orphans: f.lines.orphans,
            blank: f.lines.blank,
            duplicates: f.duplicates,
            suspicious: f.lines.suspicious,
            unreadable_fields: f.lines.unreadable_fields,
            field_sources: f.lines.field_sources,
            problem_count,
            problems,
        }
    }));
    files.extend(skipped.iter().map(|s| FileCheck {
        path: s.name.clone(),
        kind: LogKind::Unknown,
        lines: 0,
        parsed: 0,
        continuation: 0,
        malformed: 0,
        orphans: 0,
        blank: 0,
        duplicates: 0,
        suspicious: 0,
        unreadable_fields: 0,
        field_sources: FieldSources::default(),
        problem_count: 1,
        problems: vec![LineProblem {
            file: s.name.clone(),
            line: 1,
            reason: "neither a usage log nor an integration.log in the given layout".into(),
            text: s.first_line.clone(),
        }],
    }));
    CheckReport {
        files,
        layout: None,
        anomalies,
    }
}

fn kind_name(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Usage => "usage",
        LogKind::Integration => "integration",
        LogKind::Unknown => "unknown",
    }
}

impl CheckReport {
    /// Every input's lines, accounted for: what CSV holds.
    fn accounting_table(&self) -> Table {
        Table {
            title: "Line accounting per input".into(),
            columns: vec![
                Column::text("path", "path"),
                Column::text("kind", "kind"),
                Column::figure("lines", "lines"),
                Column::figure("parsed", "parsed"),
                Column::figure("continuation", "continuation"),
                Column::figure("malformed", "malformed"),
                Column::figure("orphans", "orphans"),
                Column::figure("blank", "blank"),
                Column::figure("duplicates", "duplicates"),
                Column::figure("suspicious", "suspicious"),
                Column::figure("unreadable fields", "unreadable_fields"),
                Column::figure("problems", "problems"),
            ],
            rows: self
                .files
                .iter()
                .map(|f| {
                    vec![
                        Cell::Text(f.path.clone()),
                        Cell::Text(kind_name(f.kind).into()),
                        Cell::Count(f.lines),
                        Cell::Count(f.parsed),
                        Cell::Count(f.continuation),
                        Cell::Count(f.malformed),
                        Cell::Count(f.orphans),
                        Cell::Count(f.blank),
                        Cell::Count(f.duplicates),
                        Cell::Count(f.suspicious),
                        Cell::Count(f.unreadable_fields),
                        Cell::Count(f.problem_count),
                    ]
                })
                .collect(),
            total: None,
        }
    }
}

impl Report for CheckReport {
    fn tables(&self) -> Vec<Table> {
        let mut tables = vec![self.accounting_table()];
        let problems: Vec<Vec<Cell>> = self
            .files
            .iter()
            .flat_map(|f| &f.problems)
            .map(|p| {
                vec![
                    Cell::Text(format!("{}:{}", p.file, p.line)),
                    Cell::Text(p.reason.clone()),
                    Cell::Text(p.text.clone()),
                ]
            })
            .collect();
        if !problems.is_empty() {
            tables.push(Table {
                title: "First problems".into(),
                columns: vec![
                    Column::text("where", "where"),
                    Column::text("reason", "reason"),
                    Column::text("line", "line"),
                ],
                rows: problems,
                total: None,
            });
        }
        if !self.anomalies.is_empty() {
            tables.push(Table {
                title: "Anomalies in the usage counters".into(),
                columns: vec![Column::text("where", "where"), Column::text("what", "what")],
                rows: self
                    .anomalies
                    .iter()
                    .map(|a| {
                        vec![
                            Cell::Text(format!("{}:{}", a.file, a.line)),
                            Cell::Text(match &a.detail {
                                Some(detail) => format!("{} ({detail})", a.kind),
                                None => a.kind.to_string(),
                            }),
                        ]
                    })
                    .collect(),
                total: None,
            });
        }
        tables
    }

    fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = self.layout.iter().cloned().collect();
        notes.extend(
            self.files
                .iter()
                .filter_map(|f| Some(format!("{}: {}.", f.path, f.field_sources.describe()?))),
        );
        notes.push(if self.has_problems() {
            "Problems found: see above. Reports skip these lines and say so.".to_string()
        } else {
            "Every line was read.".to_string()
        });
        notes
    }
}
