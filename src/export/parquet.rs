//! Parquet files: zstd-compressed, one row group per batch, the schema version and the
//! table in the key-value metadata.
//!
//! A batch is encoded and compressed ([`ParquetExporter::encode`]) apart from its file, on
//! whichever thread has it, and the file only appends the finished pages: polars'
//! `BatchedWriter::write_batch` would do both under the file's lock, one batch at a time.
//! A frame's pages are made as `write_batch` makes them (the same encodings, options and
//! compressor). The calls table's batches skip the frame ([`ParquetExporter::encode_calls`]):
//! their text columns come as dictionaries already, and each column's encoding is chosen
//! here rather than by polars' estimate of its distinct values.

use super::calls::{call_schema, BatchColumn, CallBatch};
use super::{
    complete_file, create_file, EncodedBatch, ExportError, Exporter, FileMeta, TableWriter,
};
use polars::io::parquet::write::{get_encodings, BatchedWriter};
use polars::prelude::{
    CompatLevel, DataFrame, KeyValueMetadata, ParquetCompression, ParquetWriter, PolarsError,
    Schema, SchemaExt,
};
use polars_arrow::array::Array;
use polars_arrow::datatypes::ArrowDataType;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    array_to_columns, get_dtype_encoding, to_parquet_schema, CompressedPage, CompressionOptions,
    Compressor, Encoding, ParquetType, StatisticsOptions, Version, WriteOptions, ZstdLevel,
};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

/// The compression of every file: zstd level 1. On the generated 1.24 GB bench log it made
/// the calls 1% smaller than zstd's default level 3 (56.3 MB against 56.9 MB: the columns
/// are dictionary- and RLE-encoded before, so the stronger match finder finds little more)
/// and compresses faster.
fn compression() -> ParquetCompression {
    ParquetCompression::Zstd(Some(ZstdLevel::try_new(1).expect("1 is a zstd level")))
}

/// Writes Parquet.
pub struct ParquetExporter;

/// One encoded row group: its rows and each column's compressed pages.
pub struct RowGroup {
    rows: usize,
    columns: Vec<Vec<CompressedPage>>,
}

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

    fn encode(&self, batch: &DataFrame, path: &Path) -> Result<EncodedBatch, ExportError> {
        let fail = |e| ExportError::encode(path, e);
        let arrow = batch.schema().to_arrow(CompatLevel::newest());
        let types = to_parquet_schema(&arrow).map_err(fail)?;
        let encodings = get_encodings(&arrow);
        let options = write_options();
        let mut groups = Vec::new();
        for chunk in batch.iter_chunks(CompatLevel::newest(), false) {
            if chunk.is_empty() {
                continue;
            }
            let mut columns = Vec::new();
            for ((array, type_), encoding) in chunk
                .columns()
                .iter()
                .zip(types.fields())
                .zip(encodings.iter())
            {
                encode_column(array.as_ref(), type_, encoding, options, &mut columns)
                    .map_err(fail)?;
            }
            groups.push(RowGroup {
                rows: chunk.len(),
                columns,
            });
        }
        Ok(EncodedBatch::RowGroups {
            schema: batch.schema().clone(),
            groups,
        })
    }

    /// The batch's columns as Arrow arrays made from the parsed values, each with its encoding
    /// chosen here: through a frame, polars' writer would estimate every column's distinct
    /// values (a hash of each value) and then hash the text ones again to make their
    /// dictionaries, which the calls' columns have already. The files read back as those
    /// written through a frame (a test in `calls` compares the two).
    fn encode_calls(&self, batch: &CallBatch, path: &Path) -> Result<EncodedBatch, ExportError> {
        let fail = |e| ExportError::encode(path, e);
        let schema = call_schema();
        let types = to_parquet_schema(&schema.to_arrow(CompatLevel::newest())).map_err(fail)?;
        let options = write_options();
        let mut columns = Vec::new();
        for (column, type_) in batch.columns().into_iter().zip(types.fields()) {
            let (array, encoding): (Box<dyn Array>, _) = match column {
                BatchColumn::Dictionary(dict)
                    if worth_a_dictionary(dict.distinct(), dict.rows()) =>
                {
                    (
                        dict.into_dictionary_array().boxed(),
                        Encoding::RleDictionary,
                    )
                }
                BatchColumn::Dictionary(dict) => (dict.text_array().boxed(), Encoding::Plain),
                // The time's text differs on every row; its lengths (4 bytes a row, plain)
                // hardly do, and delta-encoded they are next to nothing.
                BatchColumn::Text(text) => {
                    (text.binary_array().boxed(), Encoding::DeltaLengthByteArray)
                }
                BatchColumn::Values(array) => {
                    let encoding = values_encoding(array.dtype());
                    (array, encoding)
                }
            };
            encode_column(array.as_ref(), type_, &[encoding], options, &mut columns)
                .map_err(fail)?;
        }
        Ok(EncodedBatch::RowGroups {
            schema,
            groups: vec![RowGroup {
                rows: batch.rows(),
                columns,
            }],
        })
    }
}

/// Whether a text column of `rows` rows and `distinct` values is written as a dictionary:
/// polars' rule (up to 3 distinct values in 4 rows, or a column of at most 128 rows), with
/// the distinct values counted rather than estimated.
fn worth_a_dictionary(distinct: usize, rows: usize) -> bool {
    rows <= 128 || distinct * 4 <= rows * 3
}

/// The encoding of a column of numbers, booleans or timestamps. Timestamps differ on nearly
/// every row but by little from one row to the next: delta-encoded they are a fraction of
/// their 8 bytes before zstd sees them (the calls' files 5% smaller, and less to compress);
/// polars would estimate their distinct values (a hash of each) and write them plain. The
/// others are left to polars, which tells integers of a small range apart by their minimum
/// and maximum, and writes booleans plain.
fn values_encoding(dtype: &ArrowDataType) -> Encoding {
    match dtype {
        ArrowDataType::Timestamp(..) => Encoding::DeltaBinaryPacked,
        dtype => get_dtype_encoding(dtype)[0],
    }
}

/// Encodes and compresses one column's pages into `columns` (a nested column is several
/// leaves, each its own column chunk).
fn encode_column(
    array: &dyn Array,
    type_: &ParquetType,
    encoding: &[Encoding],
    options: WriteOptions,
    columns: &mut Vec<Vec<CompressedPage>>,
) -> Result<(), PolarsError> {
    for pages in array_to_columns(array, type_.clone(), options, encoding)? {
        let pages =
            pages.map(|page| page.map_err(|e| ParquetError::FeatureNotSupported(e.to_string())));
        let compressed = Compressor::new_from_vec(pages, options.compression, vec![])
            .collect::<Result<Vec<CompressedPage>, ParquetError>>()?;
        columns.push(compressed);
    }
    Ok(())
}

/// The options polars' writer gets from [`ParquetWriter`] with [`compression`], for the
/// pages made here.
fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        compression: CompressionOptions::from(compression()),
        version: Version::V1,
        data_page_size: None,
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
                .with_compression(compression())
                .with_key_value_metadata(Some(KeyValueMetadata::from_static(self.meta.pairs())))
                .batched(schema)
                .map_err(|e| ExportError::encode(&self.path, e))?;
            self.writer = Some((writer, file));
        }
        Ok(&mut self.writer.as_mut().expect("just made").0)
    }
}

impl TableWriter for ParquetTable {
    fn append(&mut self, batch: EncodedBatch) -> Result<(), ExportError> {
        let EncodedBatch::RowGroups { schema, groups } = batch else {
            return Err(ExportError::other_format(&self.path));
        };
        let path = self.path.clone();
        let writer = self.writer(&schema)?;
        for group in groups {
            writer
                .write_row_group(group.rows as u64, &group.columns)
                .map_err(|e| ExportError::encode(&path, e))?;
        }
        Ok(())
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
