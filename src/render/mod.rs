//! Renderers: every report becomes tables (terminal, Markdown, HTML, CSV) or JSON, through
//! one [`Exporter`] per format. A report declares each column once ([`Column`]): its heading
//! for people, its name for programs and who reads it; every renderer reads that one
//! declaration.

pub mod csv;
pub mod html;
pub mod markdown;
pub mod text;

use serde::Serialize;
use std::io::{self, Write};

/// An output format of every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns for a terminal.
    Table,
    /// One CSV table of raw numbers.
    Csv,
    /// The scripting contract.
    Json,
    /// GitHub-flavoured Markdown tables.
    Md,
}

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// Who reads a column: people (terminal, Markdown, HTML), programs (CSV), or both. A figure
/// people read as one phrase (`17,401 if 1 restart`) is two plain columns for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Both,
    People,
    Machines,
}

/// One column of a report, declared once for every format: its heading for people, its
/// name for programs (the CSV header, the JSON key where the row has one), its alignment,
/// and who reads it. The cells of the column say how they read for each ([`Cell::human`],
/// [`Cell::raw`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The heading people read: `rejected %`.
    pub heading: &'static str,
    /// The name programs read: `rejection_rate`.
    pub name: &'static str,
    pub align: Align,
    pub audience: Audience,
}

impl Column {
    /// Left-aligned text for both audiences.
    pub const fn text(heading: &'static str, name: &'static str) -> Column {
        Column {
            heading,
            name,
            align: Align::Left,
            audience: Audience::Both,
        }
    }

    /// Right-aligned figures for both audiences.
    pub const fn figure(heading: &'static str, name: &'static str) -> Column {
        Column {
            heading,
            name,
            align: Align::Right,
            audience: Audience::Both,
        }
    }

    /// The column, shown to people only.
    pub const fn people_only(self) -> Column {
        Column {
            audience: Audience::People,
            ..self
        }
    }

    /// The column, written for programs only.
    pub const fn machines_only(self) -> Column {
        Column {
            audience: Audience::Machines,
            ..self
        }
    }

    /// Whether people see this column.
    pub fn for_people(&self) -> bool {
        self.audience != Audience::Machines
    }

    /// Whether programs get this column.
    pub fn for_machines(&self) -> bool {
        self.audience != Audience::People
    }
}

/// One value of a table, rendered per audience.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(u64),
    /// A lower bound: `≥ 11,381`.
    AtLeast(u64),
    /// A best estimate and how much of it rests on splitting in proportion to time.
    Estimate {
        value: u64,
        plus_minus: u64,
    },
    /// A share, shown as a percentage; none when undefined (0 of 0).
    Rate(Option<f64>),
    /// A value people and programs read differently: `78% 10-10 11:51–10-15 23:59` is a
    /// share of `0.780000` for a program.
    Dual {
        human: String,
        machine: String,
    },
    Empty,
}

impl Cell {
    /// The cell as people read it (terminal, Markdown, HTML).
    pub fn human(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) => thousands(*n),
            Cell::AtLeast(n) => format!("≥ {}", thousands(*n)),
            Cell::Estimate { value, plus_minus } if *plus_minus > 0 => {
                format!("{} ± {}", thousands(*value), thousands(*plus_minus))
            }
            Cell::Estimate { value, .. } => thousands(*value),
            Cell::Rate(Some(r)) => format!("{:.1}%", r * 100.0),
            Cell::Dual { human, .. } => human.clone(),
            Cell::Rate(None) | Cell::Empty => "-".into(),
        }
    }

    /// The cell as programs read it (CSV): plain numbers, no separators.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) | Cell::AtLeast(n) | Cell::Estimate { value: n, .. } => n.to_string(),
            Cell::Rate(Some(r)) => format!("{r:.6}"),
            Cell::Dual { machine, .. } => machine.clone(),
            Cell::Rate(None) | Cell::Empty => String::new(),
        }
    }

    /// The cell with secrets redacted in its text (numbers hold none).
    fn redacted(self) -> Cell {
        let clean = |text: String| match crate::redact::redact(&text) {
            std::borrow::Cow::Owned(clean) => clean,
            std::borrow::Cow::Borrowed(_) => text,
        };
        match self {
            Cell::Text(text) => Cell::Text(clean(text)),
            Cell::Dual { human, machine } => Cell::Dual {
                human: clean(human),
                machine: clean(machine),
            },
            other => other,
        }
    }
}

/// A titled table with an optional total row. Its columns carry every audience's view;
/// [`Table::for_people`] and [`Table::for_machines`] cut the view each renderer writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    pub title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

impl Table {
    /// The columns `keep` selects, with their cells.
    fn view(&self, keep: impl Fn(&Column) -> bool) -> Table {
        let kept: Vec<usize> = (0..self.columns.len())
            .filter(|&i| keep(&self.columns[i]))
            .collect();
        let cut = |row: &Vec<Cell>| -> Vec<Cell> {
            debug_assert_eq!(row.len(), self.columns.len(), "{}", self.title);
            kept.iter()
                .map(|&i| row.get(i).cloned().unwrap_or(Cell::Empty))
                .collect()
        };
        Table {
            title: self.title.clone(),
            columns: kept.iter().map(|&i| self.columns[i]).collect(),
            rows: self.rows.iter().map(cut).collect(),
            total: self.total.as_ref().map(cut),
        }
    }

    /// What people read: the columns for people, the total row.
    pub fn for_people(&self) -> Table {
        self.view(Column::for_people)
    }

    /// What programs read: the columns for programs, rows only (a total is a sum a program
    /// makes itself, and a row unlike the others would break its arithmetic).
    pub fn for_machines(&self) -> Table {
        let mut table = self.view(Column::for_machines);
        table.total = None;
        table
    }

    /// Adds a column at the end, one cell per row and `total` for the total row.
    pub fn push_column(&mut self, column: Column, cells: Vec<Cell>, total: Cell) {
        self.columns.push(column);
        for (row, cell) in self.rows.iter_mut().zip(cells) {
            row.push(cell);
        }
        if let Some(row) = self.total.as_mut() {
            row.push(total);
        }
    }
}

/// What every report offers its renderers.
pub trait Report: Serialize {
    /// Every table, in the order people read them (terminal, Markdown, HTML), each
    /// declaring its columns once for every audience.
    fn tables(&self) -> Vec<Table>;
    /// The one table CSV holds (its columns for programs, rows only): the first by default.
    fn csv_table(&self) -> Table {
        self.tables().into_iter().next().unwrap_or_default()
    }
    /// Sentences printed under the tables (explanations, forecasts).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Writes a report in one format.
pub trait Exporter {
    fn export(&self, tables: &[Table], notes: &[String], out: &mut dyn Write) -> io::Result<()>;
}

/// Renders `report` as `format` into `out`, with secrets redacted (formats.md section 3);
/// CSV lines end as `line_end` says.
///
/// Log text is redacted where it is read; this is the last pass over every string a report
/// prints (cells, notes, JSON strings), so that text from anywhere else (a file or zip
/// member name, a future column) cannot carry a secret out either.
pub fn emit<R: Report>(
    report: &R,
    format: Format,
    line_end: csv::LineEnd,
    out: &mut dyn Write,
) -> io::Result<()> {
    let notes = || {
        report
            .notes()
            .iter()
            .map(|n| redact_text(n))
            .collect::<Vec<_>>()
    };
    match format {
        Format::Json => {
            let json = serde_json::to_string_pretty(report).map_err(io::Error::other)?;
            out.write_all(crate::redact::redact_json(&json).as_bytes())?;
            writeln!(out)
        }
        Format::Csv => {
            csv::CsvExporter { line_end }.export(&[redacted_table(report.csv_table())], &[], out)
        }
        Format::Table => text::TextExporter.export(&redacted_tables(report), &notes(), out),
        Format::Md => markdown::MarkdownExporter.export(&redacted_tables(report), &notes(), out),
    }
}

fn redact_text(text: &str) -> String {
    crate::redact::redact(text).into_owned()
}

fn redacted_tables<R: Report>(report: &R) -> Vec<Table> {
    report.tables().into_iter().map(redacted_table).collect()
}

/// A table with secrets redacted in its title and text cells (numbers hold none).
pub fn redacted_table(table: Table) -> Table {
    let redact_row = |row: Vec<Cell>| row.into_iter().map(Cell::redacted).collect();
    Table {
        title: redact_text(&table.title),
        columns: table.columns,
        rows: table.rows.into_iter().map(redact_row).collect(),
        total: table.total.map(redact_row),
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A share of a whole, none when the whole is zero.
pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        for (n, s) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (11381, "11,381"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(thousands(n), s);
        }
    }

    #[test]
    fn cells_render_per_audience() {
        assert_eq!(Cell::AtLeast(11381).human(), "≥ 11,381");
        assert_eq!(Cell::AtLeast(11381).raw(), "11381");
        assert_eq!(
            Cell::Estimate {
                value: 51234,
                plus_minus: 434
            }
            .human(),
            "51,234 ± 434"
        );
        assert_eq!(Cell::Rate(Some(0.0433)).human(), "4.3%");
        assert_eq!(Cell::Rate(None).raw(), "");
        let dual = Cell::Dual {
            human: "78% 10-10 11:51–10-15 23:59".into(),
            machine: "0.780000".into(),
        };
        assert_eq!(dual.human(), "78% 10-10 11:51–10-15 23:59");
        assert_eq!(dual.raw(), "0.780000");
    }

    #[test]
    fn each_audience_reads_its_columns() {
        let table = Table {
            title: "t".into(),
            columns: vec![
                Column::text("week", "week"),
                Column::figure("at most", "at_most").people_only(),
                Column::figure("max", "consumed_max").machines_only(),
                Column::figure("rejected %", "rejection_rate"),
            ],
            rows: vec![vec![
                Cell::Text("2023-W42".into()),
                Cell::Text("17,401 if 1 restart".into()),
                Cell::Empty,
                Cell::Rate(Some(0.05)),
            ]],
            total: Some(vec![
                Cell::Text("total".into()),
                Cell::Empty,
                Cell::Empty,
                Cell::Rate(None),
            ]),
        };
        let people = table.for_people();
        let headings: Vec<&str> = people.columns.iter().map(|c| c.heading).collect();
        assert_eq!(headings, ["week", "at most", "rejected %"]);
        assert_eq!(people.rows[0][1], Cell::Text("17,401 if 1 restart".into()));
        assert!(people.total.is_some());
        let machines = table.for_machines();
        let names: Vec<&str> = machines.columns.iter().map(|c| c.name).collect();
        assert_eq!(names, ["week", "consumed_max", "rejection_rate"]);
        assert_eq!(machines.rows[0][2], Cell::Rate(Some(0.05)));
        assert_eq!(machines.total, None);
    }
}
