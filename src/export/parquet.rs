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
use super::{page_zstd, prefix_shared};
use polars::io::parquet::write::{get_encodings, BatchedWriter};
use polars::prelude::{
    CompatLevel, DataFrame, KeyValueMetadata, ParquetCompression, ParquetWriter, PolarsError,
    Schema, SchemaExt,
};
use polars_arrow::array::{Array, BinaryArray};
use polars_arrow::datatypes::ArrowDataType;
use polars_parquet::parquet::page::{DataPage, DataPageHeader, DataPageHeaderV1};
use polars_parquet::parquet::schema::Repetition;
use polars_parquet::parquet::statistics::BinaryStatistics;
use polars_parquet::parquet::CowBuffer;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{
    array_to_columns, get_dtype_encoding, to_parquet_schema, write_def_levels, CompressedPage,
    CompressionOptions, Descriptor, Encoding, Page, ParquetType, StatisticsOptions, Version,
    WriteOptions, ZstdLevel,
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
                // The time's text: most of each row's bytes are the row before's.
                BatchColumn::Text(text) => {
                    let page =
                        prefix_shared_page(&text.binary_array(), type_, options).map_err(fail)?;
                    columns.push(compress(std::iter::once(Ok(page)), options).map_err(fail)?);
                    continue;
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
        columns.push(compress(pages, options)?);
    }
    Ok(())
}

/// A column chunk's pages, compressed.
fn compress(
    pages: impl Iterator<Item = Result<Page, ParquetError>>,
    options: WriteOptions,
) -> Result<Vec<CompressedPage>, PolarsError> {
    Ok(pages
        .map(|page| page_zstd::compress_page(page?, options.compression))
        .collect::<Result<Vec<CompressedPage>, ParquetError>>()?)
}

/// A text column as one DELTA_BYTE_ARRAY page per row group: each row as the length of the
/// prefix it shares with the row before and the bytes after it. The time
/// (`2023-04-11T20:34:00.635`) shares most of its bytes with the call before, and zstd was
/// the dearest step of an export: on the generated 1.24 GB log's October file (4.2 million
/// calls) the column's text came to 96.8 MB before zstd (level 1: 280 ms, 17.5 MB) and the
/// bytes after the shared prefixes to 14.8 MB (39 ms, 6.7 MB), 3.5 of 23 bytes a row. polars' writer takes only PLAIN
/// and DELTA_LENGTH_BYTE_ARRAY for text (and its encoder of this one fails on some values,
/// see [`prefix_shared`]), so the page is made here as its `array_to_page` makes theirs:
/// definition levels, the values, and the statistics its options ask for, in a version 1
/// page (the version [`write_options`] asks for; a version 2 page lays its levels out
/// otherwise).
fn prefix_shared_page(
    array: &BinaryArray<i64>,
    type_: &ParquetType,
    options: WriteOptions,
) -> Result<Page, PolarsError> {
    let ParquetType::PrimitiveType(primitive) = type_ else {
        return Err(PolarsError::ComputeError(
            format!("{} is not a column of text", type_.name()).into(),
        ));
    };
    if options.version != Version::V1 {
        return Err(PolarsError::ComputeError(
            "prefix-shared text is written in version 1 pages only".into(),
        ));
    }
    let optional = primitive.field_info.repetition == Repetition::Optional;
    let mut buffer = Vec::new();
    write_def_levels(
        &mut buffer,
        optional,
        array.validity(),
        array.len(),
        options.version,
    )?;
    let values: Vec<&[u8]> = array.iter().flatten().collect();
    prefix_shared::encode(&values, &mut buffer);
    let wanted = options.statistics;
    // polars cuts a longer bound short (rounding a maximum up); none is written instead,
    // which a reader takes as "unknown". A time's text is 23 to 29 bytes.
    let limit = wanted.binary_statistics_truncate_length_usize();
    let bound = |v: Option<&&[u8]>| {
        v.filter(|v| limit.is_none_or(|l| v.len() <= l))
            .map(|v| v.to_vec())
    };
    let statistics = options.has_statistics().then(|| {
        BinaryStatistics {
            primitive_type: primitive.clone(),
            null_count: wanted.null_count.then_some(array.null_count() as i64),
            distinct_count: None,
            max_value: wanted
                .max_value
                .then(|| bound(values.iter().max()))
                .flatten(),
            min_value: wanted
                .min_value
                .then(|| bound(values.iter().min()))
                .flatten(),
        }
        .serialize()
    });
    let header = DataPageHeaderV1 {
        num_values: array.len() as i32,
        encoding: Encoding::DeltaByteArray.into(),
        definition_level_encoding: Encoding::Rle.into(),
        repetition_level_encoding: Encoding::Rle.into(),
        statistics,
    };
    let descriptor = Descriptor {
        primitive_type: primitive.clone(),
        max_def_level: 0,
        max_rep_level: 0,
    };
    Ok(Page::Data(DataPage::new(
        DataPageHeader::V1(header),
        CowBuffer::Owned(buffer),
        descriptor,
        array.len(),
    )))
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

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{DataType, Field, ParquetReader, SerReader};

    /// Text written as a prefix-shared page reads back through polars as it was, with its
    /// page's smallest and largest value and its nulls counted: nulls, empty text, a value
    /// that is the one before it cut short or lengthened, one that shares nothing, non-ASCII
    /// text, a page of nulls only, and no rows at all.
    #[test]
    fn prefix_shared_text_reads_back_as_written() {
        let cases: [&[Option<&str>]; 5] = [
            &[
                Some("2023-10-30T00:07:24.372"),
                Some("2023-10-30T00:07:24.372"),
                None,
                Some("2023-10-30T00:07:24.3"),
                Some("2023-10-30T00:07:24.3721+02:00"),
                Some(""),
                Some("2023-10-31T00:00:00.000"),
                None,
                Some("zz"),
                Some("päivä ö"),
                Some("päivä å"),
            ],
            &[None, None, None],
            &[Some("only")],
            &[Some(""), Some(""), None, Some("")],
            &[],
        ];
        let dir = tempfile::tempdir().unwrap();
        for (i, rows) in cases.iter().enumerate() {
            let array: BinaryArray<i64> = rows.iter().map(|v| v.map(str::as_bytes)).collect();
            let schema = Schema::from_iter([Field::new("time".into(), DataType::String)]);
            let types = to_parquet_schema(&schema.to_arrow(CompatLevel::newest())).unwrap();
            let options = write_options();
            let page = prefix_shared_page(&array, &types.fields()[0], options).unwrap();
            let Page::Data(data) = &page else {
                panic!("a data page")
            };
            let DataPageHeader::V1(header) = data.header() else {
                panic!("a version 1 header")
            };
            let stats = header.statistics.as_ref().expect("statistics");
            let present = || rows.iter().flatten().map(|v| v.as_bytes().to_vec());
            assert_eq!(stats.min_value, present().min(), "case {i}");
            assert_eq!(stats.max_value, present().max(), "case {i}");
            let nulls = rows.iter().filter(|v| v.is_none()).count() as i64;
            assert_eq!(stats.null_count, Some(nulls), "case {i}");
            let columns = vec![compress(std::iter::once(Ok(page)), options).unwrap()];
            let path = dir.path().join(format!("case{i}.parquet"));
            let mut writer = ParquetWriter::new(File::create(&path).unwrap())
                .batched(&schema)
                .unwrap();
            if !rows.is_empty() {
                writer.write_row_group(rows.len() as u64, &columns).unwrap();
            }
            writer.finish().unwrap();
            let frame = ParquetReader::new(File::open(&path).unwrap())
                .finish()
                .unwrap();
            let read: Vec<Option<String>> = frame
                .column("time")
                .unwrap()
                .str()
                .unwrap()
                .iter()
                .map(|v| v.map(str::to_owned))
                .collect();
            let expected: Vec<Option<String>> = rows.iter().map(|v| v.map(str::to_owned)).collect();
            assert_eq!(read, expected, "case {i}");
        }
    }
}
