//! CSV files, written by the one CSV writer of esmlog ([`crate::render::csv::CsvWriter`]):
//! a header line, then one line per row; nulls are empty fields, text is quoted when it holds
//! a comma, a quote or a line break, and a cell a spreadsheet would run as a formula is made
//! inert by the reports' own rule.

use super::{complete_file, create_file, value_text, ExportError, Exporter, FileMeta, TableWriter};
use crate::render::csv::{CsvWriter, LineEnd};
use polars::prelude::DataFrame;
use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Writes CSV, its lines ending as `line_end` says.
pub struct CsvExporter {
    pub line_end: LineEnd,
}

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn create(&self, path: &Path, _meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(CsvTable {
            path: path.to_path_buf(),
            line_end: self.line_end,
            out: None,
        }))
    }
}

struct CsvTable {
    path: PathBuf,
    line_end: LineEnd,
    out: Option<CsvWriter<BufWriter<File>>>,
}

impl TableWriter for CsvTable {
    fn write_batch(&mut self, batch: &DataFrame) -> Result<(), ExportError> {
        let path = self.path.clone();
        let fail = |e| ExportError::write(&path, e);
        if self.out.is_none() {
            let mut out = CsvWriter::new(create_file(&self.path)?, self.line_end);
            out.write_row(batch.get_column_names().into_iter().map(|n| n.as_str()))
                .map_err(fail)?;
            self.out = Some(out);
        }
        let out = self.out.as_mut().expect("just made");
        let columns = batch.columns();
        let mut fields = Vec::with_capacity(columns.len());
        for row in 0..batch.height() {
            fields.clear();
            for column in columns {
                let value = column
                    .get(row)
                    .map_err(|e| ExportError::encode(&self.path, e))?;
                fields.push(value_text(&value).unwrap_or_default());
            }
            out.write_row(&fields).map_err(fail)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        match self.out {
            Some(out) => {
                let out = out
                    .into_inner()
                    .map_err(|e| ExportError::write(&self.path, e))?;
                complete_file(out, &self.path)
            }
            None => Ok(()),
        }
    }
}
