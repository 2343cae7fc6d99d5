//! The one CSV writer of esmlog, for the reports and for `export` alike: the `csv` crate's
//! RFC 4180 quoting, LF or CRLF line ends, and one rule that makes a cell a spreadsheet would
//! run as a formula inert.

use super::{Exporter, Table};
use std::borrow::Cow;
use std::io::{self, Write};

/// How CSV lines end: `\n` by default, `\r\n` (`--csv-crlf`) for spreadsheets that want it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LineEnd {
    #[default]
    Lf,
    CrLf,
}

impl LineEnd {
    /// `--csv-crlf` as a line end.
    pub fn crlf_if(crlf: bool) -> LineEnd {
        if crlf {
            LineEnd::CrLf
        } else {
            LineEnd::Lf
        }
    }
}

/// Writes rows of text as CSV: quoted when a field holds a comma, a quote or a line break,
/// and inert where it would start a formula ([`inert`]).
pub struct CsvWriter<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> CsvWriter<W> {
    pub fn new(out: W, line_end: LineEnd) -> CsvWriter<W> {
        let terminator = match line_end {
            LineEnd::Lf => csv::Terminator::Any(b'\n'),
            LineEnd::CrLf => csv::Terminator::CRLF,
        };
        CsvWriter {
            inner: csv::WriterBuilder::new()
                .terminator(terminator)
                .quote_style(csv::QuoteStyle::Necessary)
                .from_writer(out),
        }
    }

    /// Writes one row (a header is a row too); every row of a file has as many fields.
    pub fn write_row<I, S>(&mut self, fields: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.inner
            .write_record(fields.into_iter().map(|f| inert(f.as_ref()).into_owned()))
            .map_err(io::Error::from)
    }

    /// Writes out what is buffered.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// The writer underneath, flushed.
    pub fn into_inner(self) -> io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

/// The formula rule: a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
/// is prefixed with `'` unless it is a number (`-5` stays a number), so that a spreadsheet
/// shows it instead of running it (`=HYPERLINK(…)`, `+cmd|'/C calc'!A0`).
pub fn inert(text: &str) -> Cow<'_, str> {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r'])
        && !text.parse::<f64>().is_ok_and(f64::is_finite);
    if formula {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A report's CSV: the machines' view of each table, header first, rows only.
pub struct CsvExporter {
    pub line_end: LineEnd,
}

impl Exporter for CsvExporter {
    fn export(&self, tables: &[Table], _notes: &[String], out: &mut dyn Write) -> io::Result<()> {
        let mut writer = CsvWriter::new(out, self.line_end);
        for table in tables {
            let table = table.for_machines();
            writer.write_row(table.columns.iter().map(|c| c.name))?;
            for row in &table.rows {
                writer.write_row(row.iter().map(|c| c.raw()))?;
            }
        }
        writer.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One field written alone, as it appears in the file.
    fn field(text: &str) -> String {
        let mut writer = CsvWriter::new(Vec::new(), LineEnd::Lf);
        writer.write_row(["a", text]).unwrap();
        let line = String::from_utf8(writer.into_inner().unwrap()).unwrap();
        line.strip_prefix("a,")
            .and_then(|l| l.strip_suffix('\n'))
            .unwrap()
            .to_string()
    }

    const CASES: &[(&str, &str)] = &[
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\""),
        ("+cmd|'/C calc'!A0", "'+cmd|'/C calc'!A0"),
        ("+1+2", "'+1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("-5", "-5"),
        ("-1.5e3", "-1.5e3"),
        ("-inf", "'-inf"),
        ("\tx", "'\tx"),
        ("\rx", "\"'\rx\""),
        ("two\nlines", "\"two\nlines\""),
        ("", ""),
    ];

    #[test]
    fn fields_are_quoted_and_inert() {
        for (input, expected) in CASES {
            assert_eq!(field(input), *expected, "{input:?}");
        }
    }

    #[test]
    fn lines_end_as_asked() {
        for (line_end, expected) in [
            (LineEnd::Lf, "a,b\nc,d\n"),
            (LineEnd::CrLf, "a,b\r\nc,d\r\n"),
        ] {
            let mut writer = CsvWriter::new(Vec::new(), line_end);
            writer.write_row(["a", "b"]).unwrap();
            writer.write_row(["c", "d"]).unwrap();
            assert_eq!(
                String::from_utf8(writer.into_inner().unwrap()).unwrap(),
                expected
            );
        }
    }
}
