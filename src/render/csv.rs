//! CSV of raw values (RFC 4180 quoting), with cells that a spreadsheet would run as a formula
//! made inert.

use super::{Exporter, Table};
use std::io::{self, Write};

pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn export(&self, tables: &[Table], _notes: &[String], out: &mut dyn Write) -> io::Result<()> {
        for table in tables {
            let header: Vec<String> = table.columns.iter().map(|(n, _)| field(n)).collect();
            writeln!(out, "{}", header.join(","))?;
            for row in table.rows.iter().chain(table.total.iter()) {
                let cells: Vec<String> = row.iter().map(|c| field(&c.raw())).collect();
                writeln!(out, "{}", cells.join(","))?;
            }
        }
        Ok(())
    }
}

/// One CSV field: quoted when needed, and prefixed with `'` when it starts like a formula.
pub fn field(text: &str) -> String {
    let inert =
        if text.starts_with(['=', '+', '-', '@', '\t', '\r']) && text.parse::<f64>().is_err() {
            format!("'{text}")
        } else {
            text.to_string()
        };
    if inert.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", inert.replace('"', "\"\""))
    } else {
        inert
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    const CASES: &[(&str, &str)] = &[
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-5", "-5"),
        ("", ""),
    ];

    #[test]
    fn fields_are_quoted_and_inert() {
        for (input, expected) in CASES {
            assert_eq!(field(input), *expected, "{input}");
        }
    }
}
