//! Aligned columns for a terminal.

use super::{Align, Exporter, Table};
use std::io::{self, Write};

pub struct TextExporter;

impl Exporter for TextExporter {
    fn export(&self, tables: &[Table], notes: &[String], out: &mut dyn Write) -> io::Result<()> {
        for (i, table) in tables.iter().enumerate() {
            if i > 0 {
                writeln!(out)?;
            }
            write_table(&table.for_people(), out)?;
        }
        if !notes.is_empty() {
            writeln!(out)?;
            for note in notes {
                writeln!(out, "{note}")?;
            }
        }
        Ok(())
    }
}

fn write_table(table: &Table, out: &mut dyn Write) -> io::Result<()> {
    let header: Vec<String> = table
        .columns
        .iter()
        .map(|c| c.heading.to_string())
        .collect();
    let body: Vec<Vec<String>> = table
        .rows
        .iter()
        .chain(table.total.iter())
        .map(|r| r.iter().map(|c| one_line(&c.human())).collect())
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| width(h)).collect();
    for row in &body {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(cell));
        }
    }
    if !table.title.is_empty() {
        writeln!(out, "{}", table.title)?;
    }
    write_row(&header, &widths, table, out)?;
    let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
    writeln!(out, "{}", rule.join("  ").trim_end())?;
    for (i, row) in body.iter().enumerate() {
        if table.total.is_some() && i + 1 == body.len() {
            writeln!(out, "{}", rule.join("  ").trim_end())?;
        }
        write_row(row, &widths, table, out)?;
    }
    Ok(())
}

fn write_row(
    cells: &[String],
    widths: &[usize],
    table: &Table,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut line = String::new();
    for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        let pad = " ".repeat(w - width(cell));
        match table.columns.get(i).map(|c| c.align) {
            Some(Align::Right) => {
                line.push_str(&pad);
                line.push_str(cell);
            }
            _ => {
                line.push_str(cell);
                line.push_str(&pad);
            }
        }
    }
    writeln!(out, "{}", line.trim_end())
}

/// Log-derived text may hold control characters; a table cell must stay on one line.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn width(s: &str) -> usize {
    s.chars().count()
}
