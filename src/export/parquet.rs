//! Parquet files: zstd-compressed, one row group per batch, the schema version and the
//! table in the key-value metadata.

use super::{complete_file, create_file, ExportError, Exporter, FileMeta, TableWriter};
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::{DataFrame, KeyValueMetadata, ParquetCompression, ParquetWriter, Schema};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// Writes Parquet.
pub struct ParquetExporter;

impl Exporter for ParquetExporter {
    fn extension(&self) -> &'static str {
        "parquet"
    }

    fn create(&self, path: &Path, meta: &FileMeta) -> Result<Box<dyn TableWriter>, ExportError> {
        Ok(Box::new(ParquetTable {
            path: path.to_path_buf(),
            meta: meta.clone(),
            writer: None,
        }))
    }
}

/// The temporary file, shared with polars' writer so that it can be flushed and renamed
/// after the footer is written (the batched writer does not give its file back).
#[derive(Clone)]
struct SharedFile(Arc<Mutex<Option<BufWriter<File>>>>);

impl SharedFile {
    fn with<T>(&self, f: impl FnOnce(&mut BufWriter<File>) -> io::Result<T>) -> io::Result<T> {
        let mut guard = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        match guard.as_mut() {
            Some(file) => f(file),
            None => Err(io::Error::other("the file was already closed")),
        }
    }
}

impl Write for SharedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.with(|f| f.write(buf))
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.with(|f| f.write_all(buf))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.with(|f| f.flush())
    }
}

/// A Parquet file being written. The writer is made with the first batch, whose schema it
/// takes.
struct ParquetTable {
    path: PathBuf,
    meta: FileMeta,
    writer: Option<(BatchedWriter<SharedFile>, SharedFile)>,
}

impl ParquetTable {
    fn writer(&mut self, schema: &Schema) -> Result<&mut BatchedWriter<SharedFile>, ExportError> {
        if self.writer.is_none() {
            let file = SharedFile(Arc::new(Mutex::new(Some(create_file(&self.path)?))));
            let writer = ParquetWriter::new(file.clone())
                .with_compression(ParquetCompression::Zstd(None))
                .with_key_value_metadata(Some(KeyValueMetadata::from_static(self.meta.pairs())))
                // The batches are already the row groups; writing them column-parallel would
                // take the pool the scan runs on.
                .set_parallel(false)
                .batched(schema)
                .map_err(|e| ExportError::encode(&self.path, e))?;
            self.writer = Some((writer, file));
        }
        Ok(&mut self.writer.as_mut().expect("just made").0)
    }
}

impl TableWriter for ParquetTable {
    fn write_batch(&mut self, batch: &DataFrame) -> Result<(), ExportError> {
        let path = self.path.clone();
        self.writer(batch.schema())?
            .write_batch(batch)
            .map_err(|e| ExportError::encode(&path, e))
    }

    fn finish(self: Box<Self>) -> Result<(), ExportError> {
        let Some((writer, file)) = self.writer else {
            return Ok(());
        };
        writer
            .finish()
            .map_err(|e| ExportError::encode(&self.path, e))?;
        drop(writer);
        let file = file
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .expect("taken once");
        complete_file(file, &self.path)
    }
}
