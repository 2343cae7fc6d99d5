//! JSON lines: one object per row, keys in column order, written by serde: numbers and
//! booleans bare, nulls (and numbers JSON cannot hold, NaN) as `null`, everything else a
//! string in the text formats' form ([`super::value_text`]).

use super::{value_text, EncodedBatch, ExportError, Exporter, FileMeta, TableWriter, TextFile};
use polars::prelude::{AnyValue, Column, DataFrame, PolarsError};
use serde::ser::{Serialize, SerializeMap, Serializer};
use std::path::Path;

/// Writes JSON lines.
pub struct JsonlExporter;

impl Exporter for JsonlExporter {
    fn extension(&self) -> &'static str {
        "jsonl"
    }

    fn create(&self, path: &Path, _meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(TextFile::new(path)))
    }

    fn encode(&self, batch: &DataFrame, path: &Path) -> Result<EncodedBatch, ExportError> {
        let mut lines = Vec::new();
        let columns = batch.columns();
        for row in 0..batch.height() {
            // A value polars cannot give back fails the row's serialisation, with its reason.
            serde_json::to_writer(&mut lines, &Row { columns, row })
                .map_err(|e| ExportError::write(path, e.into()))?;
            lines.push(b'\n');
        }
        Ok(EncodedBatch::Text {
            header: Vec::new(),
            lines,
        })
    }
}

/// One value of a batch as serde sees it.
struct Value<'a>(AnyValue<'a>);

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            AnyValue::Null => s.serialize_none(),
            AnyValue::Boolean(b) => s.serialize_bool(*b),
            AnyValue::Int32(n) => s.serialize_i32(*n),
            AnyValue::Int64(n) => s.serialize_i64(*n),
            AnyValue::UInt32(n) => s.serialize_u32(*n),
            AnyValue::UInt64(n) => s.serialize_u64(*n),
            AnyValue::Float64(x) => s.serialize_f64(*x),
            other => s.serialize_str(&value_text(other).unwrap_or_default()),
        }
    }
}

/// One row of a batch: its columns' names and values, in order.
struct Row<'a> {
    columns: &'a [Column],
    row: usize,
}

impl Row<'_> {
    fn values(&self) -> Result<Vec<Value<'_>>, PolarsError> {
        self.columns
            .iter()
            .map(|c| c.get(self.row).map(Value))
            .collect()
    }
}

impl Serialize for Row<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let values = self.values().map_err(serde::ser::Error::custom)?;
        let mut map = s.serialize_map(Some(values.len()))?;
        for (column, value) in self.columns.iter().zip(&values) {
            map.serialize_entry(column.name().as_str(), value)?;
        }
        map.end()
    }
}
