//! Renderers: every report becomes tables (terminal, Markdown, CSV) or JSON, through one
//! [`Exporter`] per format.

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

/// One value of a table, rendered per format.
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
    Empty,
}

impl Cell {
    /// The cell as people read it (terminal and Markdown).
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
            Cell::Rate(None) | Cell::Empty => "-".into(),
        }
    }

    /// The cell as programs read it (CSV): plain numbers, no separators.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Count(n) | Cell::AtLeast(n) | Cell::Estimate { value: n, .. } => n.to_string(),
            Cell::Rate(Some(r)) => format!("{r:.6}"),
            Cell::Rate(None) | Cell::Empty => String::new(),
        }
    }
}

/// A titled table with an optional total row.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: String,
    pub columns: Vec<(&'static str, Align)>,
    pub rows: Vec<Vec<Cell>>,
    pub total: Option<Vec<Cell>>,
}

/// What every report offers its renderers.
pub trait Report: Serialize {
    /// The tables people read, in order (terminal and Markdown).
    fn tables(&self) -> Vec<Table>;
    /// The one flat table of raw values for CSV.
    fn csv(&self) -> Table;
    /// Sentences printed under the tables (explanations, forecasts).
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Writes a report in one format.
pub trait Exporter {
    fn export(&self, tables: &[Table], notes: &[String], out: &mut dyn Write) -> io::Result<()>;
}

/// Renders `report` as `format` into `out`, with secrets redacted (formats.md section 3).
///
/// Log text is redacted where it is read; this is the last pass over every string a report
/// prints (cells, notes, JSON strings), so that text from anywhere else (a file or zip
/// member name, a future column) cannot carry a secret out either.
pub fn emit<R: Report>(report: &R, format: Format, out: &mut dyn Write) -> io::Result<()> {
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
        Format::Csv => csv::CsvExporter.export(&[redacted_table(report.csv())], &[], out),
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
pub fn redacted_table(mut table: Table) -> Table {
    table.title = redact_text(&table.title);
    for row in table.rows.iter_mut().chain(table.total.iter_mut()) {
        for cell in row {
            if let Cell::Text(text) = cell {
                if let std::borrow::Cow::Owned(clean) = crate::redact::redact(text) {
                    *text = clean;
                }
            }
        }
    }
    table
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
    }
}
