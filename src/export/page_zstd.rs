//! Compressing Parquet pages with zstd through one compression context per thread.
//!
//! polars' page compressor calls `zstd::bulk::compress_to_buffer`, which makes and frees a
//! zstd context for every page, and zero-fills a buffer of zstd's worst-case size before
//! compressing into it. An export writes a few thousand pages (two per column of each row
//! group of 65,536 rows), and on the generated 1.24 GB log that setup was 1.7% of the
//! export's CPU time (`ZSTD_createCCtx` and `memset` in `perf`). A context kept by each
//! encoding thread is reset, not rebuilt, between pages; the bytes written are zstd's for
//! the same level and input, the same as polars' (a test compares the two).

use polars_parquet::parquet::compression::Compression;
use polars_parquet::parquet::page::{CompressedDataPage, CompressedDictPage, DataPageHeader};
use polars_parquet::parquet::CowBuffer;
use polars_parquet::read::ParquetError;
use polars_parquet::write::{compress, CompressedPage, CompressionOptions, Page};
use std::cell::RefCell;

thread_local! {
    /// The thread's zstd context and the level it was made for.
    static CONTEXT: RefCell<Option<(i32, zstd::bulk::Compressor<'static>)>> =
        const { RefCell::new(None) };
}

/// `page` compressed as `compression` asks, as polars' [`compress`] would: zstd through the
/// thread's context, any other codec (and a version 2 data page, whose levels stay
/// uncompressed) by polars.
pub fn compress_page(
    page: Page,
    compression: CompressionOptions,
) -> Result<CompressedPage, ParquetError> {
    let CompressionOptions::Zstd(level) = compression else {
        return compress(page, Vec::new(), compression);
    };
    let level = level.map_or(0, |l| l.compression_level());
    match page {
        Page::Dict(dict) => {
            let compressed = zstd_bytes(&dict.buffer, level)?;
            Ok(CompressedPage::Dict(CompressedDictPage::new(
                CowBuffer::Owned(compressed),
                Compression::Zstd,
                dict.buffer.len(),
                dict.num_values,
                dict.is_sorted,
            )))
        }
        Page::Data(data) if matches!(data.header(), DataPageHeader::V1(_)) => {
            let num_rows = data.num_rows.ok_or_else(|| {
                ParquetError::InvalidParameter("a data page to write has no row count".into())
            })?;
            let compressed = zstd_bytes(data.buffer(), level)?;
            Ok(CompressedPage::Data(CompressedDataPage::new(
                data.header().clone(),
                CowBuffer::Owned(compressed),
                Compression::Zstd,
                data.buffer().len(),
                data.descriptor.clone(),
                num_rows,
            )))
        }
        page => compress(page, Vec::new(), compression),
    }
}

/// `input` as one zstd frame at `level`, through the thread's context.
fn zstd_bytes(input: &[u8], level: i32) -> Result<Vec<u8>, ParquetError> {
    CONTEXT.with_borrow_mut(|context| {
        let compressor = match context {
            Some((made_for, compressor)) if *made_for == level => compressor,
            _ => {
                &mut context
                    .insert((level, zstd::bulk::Compressor::new(level)?))
                    .1
            }
        };
        // The zstd crate writes into the vector's spare capacity, which it need not zero.
        let mut out = Vec::with_capacity(zstd::zstd_safe::compress_bound(input.len()));
        compressor.compress_to_buffer(input, &mut out)?;
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{CompatLevel, DataType, Field, Schema, SchemaExt};
    use polars_arrow::array::{Array, DictionaryArray, PrimitiveArray, Utf8ViewArray};
    use polars_arrow::datatypes::{ArrowDataType, IntegerType};
    use polars_parquet::parquet::page::DictPage;
    use polars_parquet::write::{
        array_to_columns, to_parquet_schema, Encoding, StatisticsOptions, Version, WriteOptions,
        ZstdLevel,
    };

    /// Text that compresses: lines of a log with a counter in them.
    fn sample(n: usize) -> Vec<u8> {
        (0..n)
            .flat_map(|i| format!("user=U{} path=/dc/incident/data/{i}\n", i % 7).into_bytes())
            .collect()
    }

    /// The pages polars encodes for a column of `n` numbers (a data page) and for a
    /// dictionary-encoded text column of `n` rows (a dictionary page and a data page).
    fn pages(n: usize, version: Version, compression: CompressionOptions) -> Vec<Page> {
        let options = WriteOptions {
            statistics: StatisticsOptions::full(),
            compression,
            version,
            data_page_size: None,
        };
        let numbers = PrimitiveArray::<i64>::from_vec((0..n as i64).map(|i| i * i % 97).collect());
        let values = Utf8ViewArray::from_slice_values(
            (0..13).map(|i| format!("word{i}")).collect::<Vec<_>>(),
        );
        let keys = PrimitiveArray::<u32>::from_vec((0..n as u32).map(|i| i % 13).collect());
        let dtype =
            ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(values.dtype().clone()), false);
        let text = DictionaryArray::try_new(dtype, keys, values.boxed()).unwrap();
        let schema = Schema::from_iter([
            Field::new("n".into(), DataType::Int64),
            Field::new("w".into(), DataType::String),
        ]);
        let types = to_parquet_schema(&schema.to_arrow(CompatLevel::newest())).unwrap();
        let arrays: [(Box<dyn Array>, Encoding); 2] = [
            (numbers.boxed(), Encoding::Plain),
            (text.boxed(), Encoding::RleDictionary),
        ];
        let mut pages = Vec::new();
        for ((array, encoding), type_) in arrays.into_iter().zip(types.fields()) {
            for column in
                array_to_columns(array.as_ref(), type_.clone(), options, &[encoding]).unwrap()
            {
                pages.extend(column.map(Result::unwrap));
            }
        }
        pages
    }

    /// A copy of `page` (polars' page has no `Clone`; its two kinds have).
    fn copy(page: &Page) -> Page {
        match page {
            Page::Data(data) => Page::Data(data.clone()),
            Page::Dict(dict) => Page::Dict(dict.clone()),
        }
    }

    /// The same pages as polars' own compressor makes, byte for byte and field for field,
    /// for dictionary and data pages of both versions, at several levels, with the
    /// thread's context reused from one page and level to the next.
    #[test]
    fn pages_compress_as_polars_does() {
        // Pages compared by kind: dictionary, data version 1, data version 2.
        let mut compared = [0; 3];
        for (level, n) in [(1, 1000), (1, 0), (3, 500), (1, 20_000), (7, 100)] {
            let compression = CompressionOptions::Zstd(Some(ZstdLevel::try_new(level).unwrap()));
            for version in [Version::V1, Version::V2] {
                for page in pages(n, version, compression) {
                    compared[match (&page, version) {
                        (Page::Dict(_), _) => 0,
                        (Page::Data(_), Version::V1) => 1,
                        (Page::Data(_), Version::V2) => 2,
                    }] += 1;
                    let theirs = compress(copy(&page), Vec::new(), compression).unwrap();
                    let ours = compress_page(page, compression).unwrap();
                    assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "level {level}");
                }
            }
            let text = Page::Dict(DictPage::new(CowBuffer::Owned(sample(n)), n, false));
            let theirs = compress(copy(&text), Vec::new(), compression).unwrap();
            let ours = compress_page(text, compression).unwrap();
            assert_eq!(format!("{ours:?}"), format!("{theirs:?}"), "level {level}");
        }
        assert!(
            compared.iter().all(|&n| n >= 4),
            "pages by kind: {compared:?}"
        );
    }
}
