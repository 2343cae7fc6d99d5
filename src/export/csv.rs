//! CSV files, written by the one CSV writer of esmlog ([`crate::render::csv::CsvWriter`]):
//! a header line, then one line per row; nulls are empty fields, text is quoted when it holds
//! a comma, a quote or a line break, and a cell a spreadsheet would run as a formula is made
//! inert by the reports' own rule.

use super::{value_text, EncodedBatch, ExportError, Exporter, FileMeta, TableWriter, TextFile};
use crate::render::csv::{CsvWriter, LineEnd};
use polars::prelude::DataFrame;
use std::path::Path;

/// Writes CSV, its lines ending as `line_end` says.
pub struct CsvExporter {
    pub line_end: LineEnd,
}

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn create(&self, path: &Path, _meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(TextFile::new(path)))
    }

    fn encode(&self, batch: &DataFrame, path: &Path) -> Result<EncodedBatch, ExportError> {
        let fail = |e| ExportError::write(path, e);
        let mut header = CsvWriter::new(Vec::new(), self.line_end);
        header
            .write_row(batch.get_column_names().into_iter().map(|n| n.as_str()))
            .map_err(fail)?;
        let mut out = CsvWriter::new(Vec::new(), self.line_end);
        let columns = batch.columns();
        let mut fields = Vec::with_capacity(columns.len());
        for row in 0..batch.height() {
            fields.clear();
            for column in columns {
                let value = column.get(row).map_err(|e| ExportError::encode(path, e))?;
                fields.push(value_text(&value).unwrap_or_default());
            }
            out.write_row(&fields).map_err(fail)?;
        }
        Ok(EncodedBatch::Text {
            header: header.into_inner().map_err(fail)?,
            lines: out.into_inner().map_err(fail)?,
        })
    }
}
