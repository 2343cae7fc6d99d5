//! JSON lines: one object per row, keys in column order, nulls as `null`.

use super::{
    complete_file, create_file, is_bare, value_text, ExportError, Exporter, FileMeta, TableWriter,
};
use polars::prelude::DataFrame;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes JSON lines.
pub struct JsonlExporter;

impl Exporter for JsonlExporter {
    fn extension(&self) -> &'static str {
        "jsonl"
    }

    fn create(&self, path: &Path, _meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(JsonlTable {
            path: path.to_path_buf(),
            out: None,
        }))
    }
}

struct JsonlTable {
    path: PathBuf,
    out: Option<BufWriter<File>>,
}

impl TableWriter for JsonlTable {
    fn write_batch(&mut self, batch: &DataFrame) -> Result<(), ExportError> {
        let path = self.path.clone();
        let fail = |e| ExportError::write(&path, e);
        if self.out.is_none() {
            self.out = Some(create_file(&self.path)?);
        }
        let out = self.out.as_mut().expect("just made");
        let names: Vec<String> = batch
            .get_column_names()
            .into_iter()
            .map(|n| serde_json::to_string(n.as_str()).unwrap_or_default())
            .collect();
        let columns = batch.columns();
        let mut line = String::new();
        for row in 0..batch.height() {
            line.clear();
            line.push('{');
            for (i, column) in columns.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str(&names[i]);
                line.push(':');
                let value = column
                    .get(row)
                    .map_err(|e| ExportError::encode(&self.path, e))?;
                match value_text(&value) {
                    None => line.push_str("null"),
                    Some(text) if is_bare(&value) => line.push_str(&text),
                    Some(text) => line.push_str(&serde_json::to_string(&text).unwrap_or_default()),
                }
            }
            line.push_str("}\n");
            out.write_all(line.as_bytes()).map_err(fail)?;
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
