//! The text columns of the calls table as a parsed chunk holds them, and their values joined
//! over the chunks of a batch (a row group) as Arrow arrays.
//!
//! Most text columns hold a few distinct values over many rows (a user, an endpoint, a day).
//! Copying, checking (UTF-8, secrets) and storing every row's value, only for the Parquet
//! writer to hash them all again to find the distinct ones, cost more than parsing the call.
//! So a [`DictBuilder`] looks each row's raw bytes up in the chunk's own small dictionary and
//! keeps a key per row: a value is converted once per chunk, and a batch's dictionary is made
//! from its chunks' dictionaries ([`join_dict`]), keys remapped rather than text hashed. Text
//! that differs on nearly every row (the time) is kept as one buffer ([`TextBuilder`]).

use crate::redact::{plain_ascii, redact};
use polars::prelude::PlHashMap;
use polars_arrow::array::{
    Array, BinaryArray, BooleanArray, DictionaryArray, MutableBinaryViewArray, PrimitiveArray,
    Utf8ViewArray,
};
use polars_arrow::bitmap::{Bitmap, MutableBitmap};
use polars_arrow::datatypes::{ArrowDataType, IntegerType};
use polars_arrow::offset::OffsetsBuffer;
use polars_arrow::trusted_len::TrustedLen;
use polars_arrow::types::NativeType;
use std::borrow::Cow;
use std::ops::Range;

/// A value's text: invalid UTF-8 replaced, secrets redacted when asked.
fn text_of(bytes: &[u8], redact_text: bool) -> Cow<'_, str> {
    // Most values are plain ASCII (a user name, a path): valid UTF-8 and free of secrets,
    // known in one pass, and taken as they are without a lossy copy.
    if plain_ascii(bytes) {
        return Cow::Borrowed(std::str::from_utf8(bytes).expect("ASCII"));
    }
    let text = String::from_utf8_lossy(bytes);
    if redact_text {
        Cow::Owned(redact(&text).into_owned())
    } else {
        text
    }
}

/// The key of a null row.
const NULL_KEY: u32 = u32::MAX;

/// A text column of a chunk: each distinct value once, and each row's key into them.
#[derive(Debug, Default)]
pub struct DictColumn {
    /// A key per row, [`NULL_KEY`] for null.
    keys: Vec<u32>,
    /// The values by key, in the order they were first seen.
    values: Vec<Box<str>>,
}

/// Fills a [`DictColumn`] row by row.
#[derive(Debug, Default)]
pub struct DictBuilder {
    column: DictColumn,
    /// The chunk's raw values by key.
    raw: Vec<Box<[u8]>>,
    /// Each key's [`hash_bytes`].
    hashes: Vec<u64>,
    /// An open-addressing table of key + 1 (0: free), a power of two long and at most half
    /// full, looked up by hash. Not a std map: the values are short and few, and a general
    /// hasher and memcmp calls for the comparisons cost as much as the rest of a row.
    slots: Vec<u32>,
    /// The key of the row before: runs of one value (a day, one user's calls) skip the hash.
    last: Option<u32>,
}

impl DictBuilder {
    /// Adds a row: `raw` (None for null), made into text ([`text_of`]) the first time the
    /// chunk sees it. Returns the row's key, which stands for the same value until the
    /// chunk is taken ([`DictBuilder::push_key`]).
    #[inline(always)]
    pub fn push(&mut self, raw: Option<&[u8]>, redact_text: bool) -> u32 {
        let key = match raw {
            None => NULL_KEY,
            Some(raw) => match self.last {
                Some(last) if same_bytes(&self.raw[last as usize], raw) => last,
                _ => self.find_or_insert(raw, redact_text),
            },
        };
        self.column.keys.push(key);
        key
    }

    /// Adds a row of the value whose key [`DictBuilder::push`] returned since the chunk was
    /// last taken: a column whose value follows from another's looks it up once per
    /// distinct value of that one.
    #[inline(always)]
    pub fn push_key(&mut self, key: u32) {
        debug_assert!(key == NULL_KEY || (key as usize) < self.raw.len());
        self.column.keys.push(key);
    }

    /// The key of `raw`, a new one the first time; it becomes the last row's.
    #[inline(never)]
    fn find_or_insert(&mut self, raw: &[u8], redact_text: bool) -> u32 {
        let hash = hash_bytes(raw);
        let mask = self.slots.len().wrapping_sub(1);
        let mut slot = hash as usize;
        let key = loop {
            match self.slots.get(slot & mask) {
                Some(&entry) if entry != 0 => {
                    let key = entry - 1;
                    let same = self.hashes[key as usize] == hash
                        && same_bytes(&self.raw[key as usize], raw);
                    if same {
                        break key;
                    }
                    slot = (slot & mask) + 1;
                }
                // A free slot, or no table yet.
                _ => break self.insert(raw, hash, text_of(raw, redact_text)),
            }
        };
        self.last = Some(key);
        key
    }

    #[cold]
    fn insert(&mut self, raw: &[u8], hash: u64, text: Cow<'_, str>) -> u32 {
        let key = u32::try_from(self.raw.len()).expect("fewer distinct values than rows");
        self.raw.push(raw.into());
        self.hashes.push(hash);
        self.column.values.push(text.into());
        if self.hashes.len() * 2 > self.slots.len() {
            self.slots = vec![0; (self.slots.len() * 2).max(16)];
            for (key, &hash) in self.hashes.iter().enumerate() {
                place(&mut self.slots, key as u32, hash);
            }
        } else {
            place(&mut self.slots, key, hash);
        }
        key
    }

    /// The rows so far; starts the next chunk's column with room for `rows` rows and an
    /// empty dictionary.
    pub fn take(&mut self, rows: usize) -> DictColumn {
        self.raw.clear();
        self.hashes.clear();
        self.slots.fill(0);
        self.last = None;
        std::mem::replace(
            &mut self.column,
            DictColumn {
                keys: Vec::with_capacity(rows),
                values: Vec::new(),
            },
        )
    }
}

/// Puts `key` in the first free slot from its hash's.
fn place(slots: &mut [u32], key: u32, hash: u64) {
    let mask = slots.len() - 1;
    let mut slot = hash as usize & mask;
    while slots[slot] != 0 {
        slot = (slot + 1) & mask;
    }
    slots[slot] = key + 1;
}

/// The bytes of `b` from `at` as a little-endian number (`N` is 4 or 8).
#[inline]
fn word<const N: usize>(b: &[u8], at: usize) -> u64 {
    let mut bytes = [0; 8];
    bytes[..N].copy_from_slice(&b[at..at + N]);
    u64::from_le_bytes(bytes)
}

/// A hash of a short text: its length and its 8-byte words (the last one overlapping the one
/// before), multiplied in the way of rustc's FxHash, with the high bits folded into the low
/// ones that pick the slot.
#[inline]
fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mix = |h: u64, w: u64| (h ^ w).wrapping_mul(K).rotate_left(26);
    let n = b.len();
    let mut h = mix(0, n as u64);
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            h = mix(h, word::<8>(b, at));
            at += 8;
        }
        h = mix(h, word::<8>(b, n - 8));
    } else if n >= 4 {
        h = mix(h, word::<4>(b, 0) | word::<4>(b, n - 4) << 32);
    } else if n > 0 {
        h = mix(
            h,
            u64::from(b[0]) | u64::from(b[n / 2]) << 8 | u64::from(b[n - 1]) << 16,
        );
    }
    h ^ (h >> 32)
}

/// `a == b`, without a call to memcmp for short texts: their last word first (where a path
/// or an address most often differs), then word by word.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        if word::<8>(a, n - 8) != word::<8>(b, n - 8) {
            return false;
        }
        let mut at = 0;
        while at + 8 < n {
            if word::<8>(a, at) != word::<8>(b, at) {
                return false;
            }
            at += 8;
        }
        true
    } else if n >= 4 {
        word::<4>(a, 0) == word::<4>(b, 0) && word::<4>(a, n - 4) == word::<4>(b, n - 4)
    } else {
        a.iter().zip(b).all(|(x, y)| x == y)
    }
}

/// A text column of a chunk whose values are kept one after the other, as Arrow's large
/// binary layout has them. Bytes rather than a String: the values are written digit by digit
/// ([`super::time_text`]), and a String would check each row's UTF-8 again.
#[derive(Debug)]
pub struct TextColumn {
    text: Vec<u8>,
    /// Where each row's text starts, and where the last one ends.
    offsets: Vec<i64>,
    /// Whether each row has a value.
    valid: Vec<bool>,
}

impl Default for TextColumn {
    fn default() -> TextColumn {
        TextColumn {
            text: Vec::new(),
            offsets: vec![0],
            valid: Vec::new(),
        }
    }
}

/// Fills a [`TextColumn`] row by row.
#[derive(Debug, Default)]
pub struct TextBuilder {
    column: TextColumn,
}

impl TextBuilder {
    /// Adds a row of the UTF-8 text `write` appends.
    #[inline]
    pub fn push_with(&mut self, write: impl FnOnce(&mut Vec<u8>)) {
        write(&mut self.column.text);
        self.end_row(true);
    }

    /// Adds a null row.
    #[inline]
    pub fn push_null(&mut self) {
        self.end_row(false);
    }

    #[inline]
    fn end_row(&mut self, valid: bool) {
        let end = i64::try_from(self.column.text.len()).expect("a chunk is below 2^63 bytes");
        self.column.offsets.push(end);
        self.column.valid.push(valid);
    }

    /// The rows so far; starts the next chunk's column with room for as many rows and bytes.
    pub fn take(&mut self, rows: usize) -> TextColumn {
        let bytes = self.column.text.len();
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        std::mem::replace(
            &mut self.column,
            TextColumn {
                text: Vec::with_capacity(bytes),
                offsets,
                valid: Vec::with_capacity(rows),
            },
        )
    }
}

impl TextColumn {
    /// The text of `row`, None for null.
    fn get(&self, row: usize) -> Option<Cow<'_, str>> {
        self.valid[row].then(|| {
            let (start, end) = (self.offsets[row], self.offsets[row + 1]);
            String::from_utf8_lossy(&self.text[start as usize..end as usize])
        })
    }
}

/// Appends `bits` to `bitmap`. polars-arrow 0.55's `extend_from_trusted_len_iter` adds a
/// byte for an empty iterator at a byte boundary without counting it, and the next bits then
/// land a byte too far: an empty run is skipped here (a test joins one).
fn extend_bits(bitmap: &mut MutableBitmap, bits: impl TrustedLen<Item = bool>) {
    if bits.size_hint().1 != Some(0) {
        bitmap.extend_from_trusted_len_iter(bits);
    }
}

/// The validity of `rows` rows given as runs of flags, None when every row is valid.
fn validity<'a>(rows: usize, runs: impl Iterator<Item = &'a [bool]> + Clone) -> Option<Bitmap> {
    if runs.clone().all(|run| !run.contains(&false)) {
        return None;
    }
    let mut bitmap = MutableBitmap::with_capacity(rows);
    for run in runs {
        extend_bits(&mut bitmap, run.iter().copied());
    }
    Some(bitmap.freeze())
}

/// A text column of a batch: runs of chunks' rows.
pub struct JoinedText<'a> {
    parts: Vec<(&'a TextColumn, Range<usize>)>,
}

impl<'a> JoinedText<'a> {
    /// The rows `range` of each of `parts`, in order.
    pub fn new(parts: Vec<(&'a TextColumn, Range<usize>)>) -> JoinedText<'a> {
        JoinedText { parts }
    }

    /// The rows as one binary array, copied once (what the time's Parquet page is made from).
    pub fn binary_array(&self) -> BinaryArray<i64> {
        let rows: usize = self.parts.iter().map(|(_, range)| range.len()).sum();
        let bytes: usize = self
            .parts
            .iter()
            .map(|(c, range)| (c.offsets[range.end] - c.offsets[range.start]) as usize)
            .sum();
        let mut text = Vec::with_capacity(bytes);
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0i64);
        for (column, range) in &self.parts {
            let (start, end) = (column.offsets[range.start], column.offsets[range.end]);
            let shift = text.len() as i64 - start;
            offsets.extend(
                column.offsets[range.start + 1..=range.end]
                    .iter()
                    .map(|&o| o + shift),
            );
            text.extend_from_slice(&column.text[start as usize..end as usize]);
        }
        let valid = validity(
            rows,
            self.parts.iter().map(|(c, range)| &c.valid[range.clone()]),
        );
        let offsets = OffsetsBuffer::try_from(offsets).expect("offsets grow");
        BinaryArray::new(ArrowDataType::LargeBinary, offsets, text.into(), valid)
    }

    /// The rows as text, one value per row (what polars takes).
    pub fn text_array(&self) -> Utf8ViewArray {
        let mut values = MutableBinaryViewArray::<str>::new();
        for (column, range) in &self.parts {
            values.extend(range.clone().map(|row| column.get(row)));
        }
        values.freeze()
    }
}

/// A text column of a batch: its distinct values in the order of their first row, and each
/// row's key into them.
pub struct JoinedDict<'a> {
    keys: Vec<u32>,
    validity: Option<Bitmap>,
    values: Vec<&'a str>,
}

/// Joins the rows `range` of each of `parts` into one dictionary.
pub fn join_dict<'a>(
    parts: impl Iterator<Item = (&'a DictColumn, Range<usize>)> + Clone,
) -> JoinedDict<'a> {
    const UNSEEN: u32 = u32::MAX;
    let rows: usize = parts.clone().map(|(_, range)| range.len()).sum();
    let mut keys = Vec::with_capacity(rows);
    let mut values: Vec<&'a str> = Vec::new();
    let mut index: PlHashMap<&'a str, u32> = PlHashMap::default();
    for (column, range) in parts.clone() {
        // The batch's key of each of the chunk's keys, found the first time a row has it; a
        // null row's (any key will do) in the last place.
        let distinct = column.values.len();
        let mut batch_key = vec![UNSEEN; distinct + 1];
        batch_key[distinct] = 0;
        for &key in &column.keys[range] {
            let key = (key as usize).min(distinct);
            let mut mapped = batch_key[key];
            if mapped == UNSEEN {
                let text: &'a str = &column.values[key];
                mapped = *index.entry(text).or_insert_with(|| {
                    values.push(text);
                    u32::try_from(values.len() - 1).expect("fewer distinct values than rows")
                });
                batch_key[key] = mapped;
            }
            keys.push(mapped);
        }
    }
    let null = |(column, range): (&'a DictColumn, Range<usize>)| {
        column.keys[range].iter().map(|&key| key != NULL_KEY)
    };
    let validity = parts
        .clone()
        .any(|part| null(part).any(|valid| !valid))
        .then(|| {
            let mut bitmap = MutableBitmap::with_capacity(rows);
            for part in parts {
                extend_bits(&mut bitmap, null(part));
            }
            bitmap.freeze()
        });
    JoinedDict {
        keys,
        validity,
        values,
    }
}

/// Joins the rows `range` of each of `parts` into one array of `dtype`.
pub fn join_values<'a, T: NativeType>(
    parts: impl Iterator<Item = &'a [Option<T>]> + Clone,
    dtype: ArrowDataType,
) -> PrimitiveArray<T> {
    let rows: usize = parts.clone().map(<[_]>::len).sum();
    let mut values = Vec::with_capacity(rows);
    for part in parts.clone() {
        values.extend(part.iter().map(|v| v.unwrap_or_default()));
    }
    let validity = join_validity(rows, parts);
    PrimitiveArray::new(dtype, values.into(), validity)
}

/// Joins the rows `range` of each of `parts` into one array of flags.
pub fn join_flags<'a>(parts: impl Iterator<Item = &'a [Option<bool>]> + Clone) -> BooleanArray {
    let rows: usize = parts.clone().map(<[_]>::len).sum();
    let mut values = MutableBitmap::with_capacity(rows);
    for part in parts.clone() {
        extend_bits(&mut values, part.iter().map(|v| v.unwrap_or_default()));
    }
    let validity = join_validity(rows, parts);
    BooleanArray::new(ArrowDataType::Boolean, values.freeze(), validity)
}

/// Which of the rows of `parts` have a value; None when all have.
fn join_validity<'a, T: 'a>(
    rows: usize,
    parts: impl Iterator<Item = &'a [Option<T>]> + Clone,
) -> Option<Bitmap> {
    if parts.clone().all(|part| part.iter().all(Option::is_some)) {
        return None;
    }
    let mut bitmap = MutableBitmap::with_capacity(rows);
    for part in parts {
        extend_bits(&mut bitmap, part.iter().map(Option::is_some));
    }
    Some(bitmap.freeze())
}

impl JoinedDict<'_> {
    /// How many rows.
    pub fn rows(&self) -> usize {
        self.keys.len()
    }

    /// How many distinct values.
    pub fn distinct(&self) -> usize {
        self.values.len()
    }

    /// The column as an Arrow dictionary of its distinct values.
    pub fn into_dictionary_array(self) -> DictionaryArray<u32> {
        let values = Utf8ViewArray::from_slice_values(&self.values);
        let keys = PrimitiveArray::new(ArrowDataType::UInt32, self.keys.into(), self.validity);
        let dtype =
            ArrowDataType::Dictionary(IntegerType::UInt32, Box::new(values.dtype().clone()), false);
        DictionaryArray::try_new(dtype, keys, values.boxed()).expect("keys within the values")
    }

    /// The column as text, one value per row.
    pub fn text_array(&self) -> Utf8ViewArray {
        let mut text = MutableBinaryViewArray::<str>::with_capacity(self.rows());
        for (row, &key) in self.keys.iter().enumerate() {
            match &self.validity {
                Some(valid) if !valid.get_bit(row) => text.push_null(),
                _ => text.push_value(self.values[key as usize]),
            }
        }
        text.freeze()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Values of every length up to 40 bytes over a few letters, so that many share their
    /// first or last words, and some are not UTF-8.
    fn values() -> impl Strategy<Value = Vec<Option<Vec<u8>>>> {
        let value = prop::collection::vec(prop::sample::select(b"ab\xffa=".to_vec()), 0..40);
        prop::collection::vec(prop::option::weighted(0.9, value), 0..300)
    }

    proptest! {
        /// Each row's key gives back its own value's text, and rows of the same raw bytes
        /// (only those) share a key, in one chunk and joined over chunks.
        #[test]
        fn keys_give_back_each_rows_text(rows in values(), cut in 0usize..300) {
            let mut builder = DictBuilder::default();
            let cut = cut.min(rows.len());
            let mut chunks = Vec::new();
            for (i, raw) in rows.iter().enumerate() {
                if i == cut {
                    chunks.push(builder.take(0));
                }
                builder.push(raw.as_deref(), true);
            }
            if cut == rows.len() {
                chunks.push(builder.take(0));
            }
            chunks.push(builder.take(0));
            let mut seen = std::collections::HashMap::new();
            let mut row = 0;
            for chunk in &chunks {
                seen.clear();
                for &key in &chunk.keys {
                    let want = rows[row].as_deref();
                    match want {
                        None => prop_assert_eq!(key, NULL_KEY),
                        Some(raw) => {
                            prop_assert_eq!(&*chunk.values[key as usize], &*text_of(raw, true));
                            prop_assert_eq!(*seen.entry(raw).or_insert(key), key);
                        }
                    }
                    row += 1;
                }
                let distinct: std::collections::HashSet<_> = seen.values().collect();
                prop_assert_eq!(distinct.len(), seen.len());
                prop_assert_eq!(chunk.values.len(), seen.len());
            }
            prop_assert_eq!(row, rows.len());
            // Joined, with the middle rows of the last chunk left out.
            let last = chunks.len() - 1;
            let parts: Vec<(&DictColumn, Range<usize>)> = chunks
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let n = c.keys.len();
                    (c, if i == last { 0..n / 2 } else { 0..n })
                })
                .collect();
            let joined = join_dict(parts.iter().cloned());
            let texts = joined.text_array();
            let want: Vec<Option<String>> = parts
                .iter()
                .flat_map(|(c, range)| {
                    c.keys[range.clone()]
                        .iter()
                        .map(|&k| (k != NULL_KEY).then(|| c.values[k as usize].to_string()))
                })
                .collect();
            let got: Vec<Option<String>> =
                texts.iter().map(|t| t.map(str::to_owned)).collect();
            prop_assert_eq!(&got, &want);
            let unique: std::collections::HashSet<_> = want.iter().flatten().collect();
            prop_assert_eq!(joined.distinct(), unique.len());
            let dictionary = joined.into_dictionary_array();
            prop_assert_eq!(dictionary.len(), want.len());
        }
    }

    #[test]
    fn same_bytes_and_hash_agree_with_equality() {
        let texts: Vec<Vec<u8>> = (0..40)
            .flat_map(|n| {
                let base = vec![b'a'; n];
                let mut values = vec![base.clone()];
                for at in 0..n {
                    let mut v = base.clone();
                    v[at] = b'b';
                    values.push(v);
                }
                values
            })
            .collect();
        for a in &texts {
            for b in &texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
                if a == b {
                    assert_eq!(hash_bytes(a), hash_bytes(b));
                }
            }
        }
    }
}
