//! CSV files: a header line, then one line per row; nulls are empty fields, text is quoted
//! when it holds a comma, a quote or a line break, and a cell a spreadsheet would run as a
//! formula is made inert, by the reports' rule ([`crate::render::csv::field`]).

use super::{complete_file, create_file, value_text, ExportError, Exporter, FileMeta, TableWriter};
use crate::render::csv::field;
use polars::prelude::DataFrame;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes CSV.
pub struct CsvExporter;

impl Exporter for CsvExporter {
    fn extension(&self) -> &'static str {
        "csv"
    }

    fn create(&self, path: &Path, _meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(CsvTable {
            path: path.to_path_buf(),
            out: None,
        }))
    }
}

struct CsvTable {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl TableWriter for CsvTable {
    fn write_batch(&mut self, batch: &DataFrame) -> Result<(), ExportError> {
        let path = self.path.clone();
        let fail = |e| ExportError::write(&path, e);
        if self.out.is_none() {
            let mut out = create_file(&self.path)?;
            let names: Vec<&str> = batch
                .get_column_names()
                .into_iter()
                .map(|n| n.as_str())
                .collect();
            writeln!(out, "{}", names.join(",")).map_err(fail)?;
            self.out = Some(out);
        }
        let out = self.out.as_mut().expect("just made");
        let columns = batch.columns();
        for row in 0..batch.height() {
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    out.write_all(b",").map_err(fail)?;
                }
                let value = column
                    .get(row)
                    .map_err(|e| ExportError::encode(&self.path, e))?;
                if let Some(text) = value_text(&value) {
                    // The reports' one CSV rule: RFC 4180 quoting, formulas made inert.
                    out.write_all(field(&text).as_bytes()).map_err(fail)?;
                }
            }
            out.write_all(b"\n").map_err(fail)?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        match self.out {
            Some(out) => complete_file(out, &self.path),
            None => Ok(()),
        }
    }
}
