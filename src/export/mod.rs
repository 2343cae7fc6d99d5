//! `esmlog export`: the parsed records as a columnar dataset for the engines a fleet already
//! runs (Spark, DuckDB, …): per-call rows from integration.log and the usage log's periods,
//! intervals and per-week/per-month pieces, Hive-partitioned by environment (and month for
//! the calls), in Parquet, CSV or JSON lines.
//!
//! One [`Exporter`] per format opens one [`TableWriter`] per output file; the writers are
//! handed bounded batches (row groups), so memory stays flat however large the input.
//! See the README's "Export and fleet" section for the schema.

pub mod calls;
mod columns;
pub mod csv;
pub mod jsonl;
mod page_zstd;
pub mod parquet;
mod prefix_shared;
mod time_text;
pub mod usage;

use crate::render::csv::LineEnd;
use polars::prelude::{AnyValue, DataFrame, PolarsError, SchemaRef, TimeUnit};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The version of the exported schema, written into every Parquet file's key-value metadata
/// as `esmlog.schema_version`. Bumped when a column changes meaning, type or name.
pub const SCHEMA_VERSION: u32 = 1;

/// Rows buffered per partition before they are written as one row group (one batch).
pub const DEFAULT_ROWS_PER_GROUP: usize = 64 * 1024;

/// An output format of `esmlog export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Apache Parquet, zstd-compressed, with the schema version in its metadata.
    Parquet,
    /// CSV with a header line; empty fields are nulls.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

impl ExportFormat {
    /// The writer of this format; CSV lines end as `line_end` says (`--csv-crlf`).
    pub fn exporter(self, line_end: LineEnd) -> &'static dyn Exporter {
        match (self, line_end) {
            (ExportFormat::Parquet, _) => &parquet::ParquetExporter,
            (ExportFormat::Csv, LineEnd::Lf) => &csv::CsvExporter {
                line_end: LineEnd::Lf,
            },
            (ExportFormat::Csv, LineEnd::CrLf) => &csv::CsvExporter {
                line_end: LineEnd::CrLf,
            },
            (ExportFormat::Jsonl, _) => &jsonl::JsonlExporter,
        }
    }
}

/// The tables of an export, each a folder under the output folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTable {
    /// One row per REST call of integration.log.
    Calls,
    /// One row per usage-log period.
    UsagePeriods,
    /// One row per usage-log interval (between two consecutive usage lines of a period).
    UsageIntervals,
    /// Intervals cut at week and month edges: what plain SQL sums to esmlog's figures.
    UsageBuckets,
}

impl ExportTable {
    /// Its folder name under the output folder.
    pub fn name(self) -> &'static str {
        match self {
            ExportTable::Calls => "calls",
            ExportTable::UsagePeriods => "usage_periods",
            ExportTable::UsageIntervals => "usage_intervals",
            ExportTable::UsageBuckets => "usage_buckets",
        }
    }

    /// Every table.
    pub const ALL: [ExportTable; 4] = [
        ExportTable::Calls,
        ExportTable::UsagePeriods,
        ExportTable::UsageIntervals,
        ExportTable::UsageBuckets,
    ];
}

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A file or folder of the output could not be written.
    #[error("{path}: cannot write the export: {source}; check that --out names a folder you can write to and that the disk has room")]
    Write {
        /// The file or folder.
        path: PathBuf,
        source: io::Error,
    },
    /// polars refused a batch (a bug, or an out-of-range value).
    #[error("{path}: cannot encode the export: {source}")]
    Encode {
        /// The file being written.
        path: PathBuf,
        source: PolarsError,
    },
}

impl ExportError {
    /// A write error at `path`.
    pub fn write(path: &Path, source: io::Error) -> ExportError {
        ExportError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A batch encoded for another format than the file at `path`'s (a bug).
    pub fn other_format(path: &Path) -> ExportError {
        let reason = "the batch was encoded for another format than the file's";
        ExportError::encode(path, PolarsError::InvalidOperation(reason.into()))
    }

    /// An encoding error at `path`.
    pub fn encode(path: &Path, source: PolarsError) -> ExportError {
        ExportError::Encode {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// What every file of an export says about itself (Parquet key-value metadata).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileMeta {
    pub table: ExportTable,
    pub environment: String,
}

impl FileMeta {
    /// The key-value pairs: `esmlog.schema_version`, `esmlog.table`, `esmlog.environment`,
    /// `esmlog.version`.
    pub fn pairs(&self) -> Vec<(String, String)> {
        vec![
            ("esmlog.schema_version".into(), SCHEMA_VERSION.to_string()),
            ("esmlog.table".into(), self.table.name().into()),
            ("esmlog.environment".into(), self.environment.clone()),
            ("esmlog.version".into(), env!("CARGO_PKG_VERSION").into()),
        ]
    }
}

/// Writes the files of one format (hyperfine-style: one exporter per format).
pub trait Exporter: Sync {
    /// The file name extension, without the dot.
    fn extension(&self) -> &'static str;
    /// Starts the file at `path` (written to a temporary name, renamed when finished).
    fn create(&self, path: &Path, meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError>;
    /// Encodes `batch` (one chunk per column, see [`DataFrame::rechunk_mut`]) for a file of
    /// this format, `path` naming it in errors. It needs no file, so the batches of one file
    /// can be encoded on several threads at once and appended in order.
    fn encode(&self, batch: &DataFrame, path: &Path) -> Result<EncodedBatch, ExportError>;
    /// Encodes a batch of the calls table, as [`Exporter::encode`] encodes it as a frame
    /// unless the format has a way of its own.
    fn encode_calls(
        &self,
        batch: &calls::CallBatch,
        path: &Path,
    ) -> Result<EncodedBatch, ExportError> {
        let frame = batch.to_frame().map_err(|e| ExportError::encode(path, e))?;
        self.encode(&frame, path)
    }
}

/// A batch encoded for a file of one format, ready to be appended to it.
pub enum EncodedBatch {
    /// Lines of a text format, and the header line a file of them starts with (empty for
    /// none).
    Text { header: Vec<u8>, lines: Vec<u8> },
    /// Parquet row groups of the batch's schema: each column's compressed pages.
    RowGroups {
        schema: SchemaRef,
        groups: Vec<parquet::RowGroup>,
    },
}

/// One output file being written, batch by batch.
pub trait TableWriter: Send {
    /// Appends a batch its exporter encoded (all batches of a file have the same columns).
    fn append(&mut self, batch: EncodedBatch) -> Result<(), ExportError>;
    /// Completes the file and moves it to its final name.
    fn finish(self: Box<Self>) -> Result<(), ExportError>;
}

/// A file of a text format (CSV, JSON lines): its header line, then the lines of every batch.
pub struct TextFile {
    path: PathBuf,
    out: Option<io::BufWriter<fs::File>>,
}

impl TextFile {
    /// The file at `path`, made when the first batch comes.
    pub fn new(path: &Path) -> TextFile {
        TextFile {
            path: path.to_path_buf(),
            out: None,
        }
    }
}

impl TableWriter for TextFile {
    fn append(&mut self, batch: EncodedBatch) -> Result<(), ExportError> {
        use std::io::Write;
        let EncodedBatch::Text { header, lines } = batch else {
            return Err(ExportError::other_format(&self.path));
        };
        let out = match &mut self.out {
            Some(out) => out,
            None => {
                let mut out = create_file(&self.path)?;
                out.write_all(&header)
                    .map_err(|e| ExportError::write(&self.path, e))?;
                self.out.insert(out)
            }
        };
        out.write_all(&lines)
            .map_err(|e| ExportError::write(&self.path, e))
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        match self.out {
            Some(out) => complete_file(out, &self.path),
            None => Ok(()),
        }
    }
}

/// The temporary name a file is written under until it is complete, so that an engine
/// reading the folder never sees half a file.
pub fn temporary_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Creates the folder of `path` and opens its temporary file.
pub fn create_file(path: &Path) -> Result<io::BufWriter<fs::File>, ExportError> {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(|e| ExportError::write(parent, e))?;
    }
    let temp = temporary_path(path);
    let file = fs::File::create(&temp).map_err(|e| ExportError::write(&temp, e))?;
    Ok(io::BufWriter::with_capacity(1 << 20, file))
}

/// Flushes a temporary file and renames it to `path`.
pub fn complete_file(mut out: io::BufWriter<fs::File>, path: &Path) -> Result<(), ExportError> {
    use std::io::Write;
    let temp = temporary_path(path);
    out.flush().map_err(|e| ExportError::write(&temp, e))?;
    drop(out);
    fs::rename(&temp, path).map_err(|e| ExportError::write(path, e))
}

/// `DIR/table/environment=NAME`: the folder of one environment's part of a table.
pub fn environment_dir(out: &Path, table: ExportTable, environment: &str) -> PathBuf {
    out.join(table.name())
        .join(format!("environment={environment}"))
}

/// The name of the `index`-th part file.
pub fn part_name(index: usize, extension: &str) -> String {
    format!("part-{index:05}.{extension}")
}

/// Removes the part files an earlier export of this environment left in `dir` (and its month
/// folders), so that the folder holds this run's rows only. Other files are left alone.
pub fn clear_parts(dir: &Path) -> Result<(), ExportError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(ExportError::write(dir, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| ExportError::write(dir, e))?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .map_err(|e| ExportError::write(&path, e))?;
        if kind.is_dir() && name.starts_with("month=") {
            clear_parts(&path)?;
            // Only removed when nothing of the user's is left in it.
            let _ = fs::remove_dir(&path);
        } else if kind.is_file() && is_part_file(&name) {
            fs::remove_file(&path).map_err(|e| ExportError::write(&path, e))?;
        }
    }
    Ok(())
}

fn is_part_file(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("part-") else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits == 5
        && [
            ".parquet",
            ".csv",
            ".jsonl",
            ".parquet.partial",
            ".csv.partial",
            ".jsonl.partial",
        ]
        .contains(&&rest[digits..])
}

/// A value of a batch as text, for the text formats: None for null. Timestamps without a
/// zone are written as ISO 8601 wall-clock times, with one as RFC 3339 in UTC.
pub fn value_text(value: &AnyValue<'_>) -> Option<String> {
    Some(match value {
        AnyValue::Null => return None,
        AnyValue::String(s) => (*s).to_owned(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Boolean(b) => b.to_string(),
        AnyValue::Int32(n) => n.to_string(),
        AnyValue::Int64(n) => n.to_string(),
        AnyValue::UInt32(n) => n.to_string(),
        AnyValue::UInt64(n) => n.to_string(),
        AnyValue::Float64(x) => x.to_string(),
        AnyValue::Datetime(v, unit, tz) => datetime_text(*v, *unit, tz.is_some()),
        AnyValue::DatetimeOwned(v, unit, tz) => datetime_text(*v, *unit, tz.is_some()),
        other => other.to_string(),
    })
}

fn datetime_text(value: i64, unit: TimeUnit, utc: bool) -> String {
    let ms = match unit {
        TimeUnit::Milliseconds => value,
        TimeUnit::Microseconds => value.div_euclid(1000),
        TimeUnit::Nanoseconds => value.div_euclid(1_000_000),
    };
    let t = chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default();
    if utc {
        t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
    } else {
        t.naive_utc().format("%Y-%m-%dT%H:%M:%S%.3f").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_part_files_are_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let month = dir.path().join("month=2023-04");
        fs::create_dir_all(&month).unwrap();
        fs::write(month.join("part-00000.parquet"), b"x").unwrap();
        fs::write(month.join("notes.txt"), b"mine").unwrap();
        fs::write(dir.path().join("part-00001.csv"), b"x").unwrap();
        fs::write(dir.path().join("part-1.csv"), b"not ours").unwrap();
        clear_parts(dir.path()).unwrap();
        assert!(!month.join("part-00000.parquet").exists());
        assert!(month.join("notes.txt").exists());
        assert!(!dir.path().join("part-00001.csv").exists());
        assert!(dir.path().join("part-1.csv").exists());
    }

    #[test]
    fn timestamps_as_text() {
        assert_eq!(
            value_text(&AnyValue::Datetime(
                1_681_245_240_635,
                TimeUnit::Milliseconds,
                None
            ))
            .unwrap(),
            "2023-04-11T20:34:00.635"
        );
        assert_eq!(value_text(&AnyValue::Null), None);
    }
}
