//! Parquet's DELTA_BYTE_ARRAY encoding of a text column, written here rather than by polars.
//!
//! polars-parquet 0.55 keeps its DELTA_BINARY_PACKED encoder to itself, and its public
//! `delta_byte_array::encode` panics on a value that is a strict prefix of the one before it
//! (`…24.372` after `…24.372+02:00`): it takes the whole value before as the shared prefix,
//! longer than the value (an overflowing subtraction in a debug build, a slice out of range
//! in a release one).

use crate::integration::fast_hash::word_of;

/// The values per block of DELTA_BINARY_PACKED, each block one miniblock (as polars writes
/// them).
const BLOCK: usize = 128;

/// Appends `values` DELTA_BYTE_ARRAY-encoded to `out`: the length of the prefix each shares
/// with the value before it, then the length of the rest of each (both DELTA_BINARY_PACKED),
/// then the rest of each, one after the other.
pub fn encode(values: &[&[u8]], out: &mut Vec<u8>) {
    let mut shared = Vec::with_capacity(values.len());
    let mut before: &[u8] = &[];
    for &value in values {
        shared.push(shared_prefix(before, value) as i64);
        before = value;
    }
    let rest = || values.iter().zip(&shared).map(|(v, &n)| &v[n as usize..]);
    let rest_lengths: Vec<i64> = rest().map(|r| r.len() as i64).collect();
    delta_binary_packed(&shared, out);
    delta_binary_packed(&rest_lengths, out);
    for r in rest() {
        out.extend_from_slice(r);
    }
}

/// How many bytes `a` and `b` start with in common, compared eight at a time.
fn shared_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut at = 0;
    while at + 8 <= n {
        let (x, y) = (word_of(&a[at..at + 8]), word_of(&b[at..at + 8]));
        if x != y {
            return at + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    at + a[at..n]
        .iter()
        .zip(&b[at..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Appends `values` DELTA_BINARY_PACKED-encoded to `out`: a header (block size, miniblocks per
/// block, count, first value), then per block of [`BLOCK`] differences its smallest, the bit
/// width of the differences above it, and those packed in that width, least significant bit
/// first, the last block padded with zeros.
fn delta_binary_packed(values: &[i64], out: &mut Vec<u8>) {
    uleb128(BLOCK as u64, out);
    uleb128(1, out);
    uleb128(values.len() as u64, out);
    uleb128(zigzag(values.first().copied().unwrap_or(0)), out);
    let deltas: Vec<i64> = values.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    for block in deltas.chunks(BLOCK) {
        let min = block.iter().copied().min().expect("chunks are not empty");
        uleb128(zigzag(min), out);
        let above = |d: i64| d.wrapping_sub(min) as u64;
        let widest = block.iter().map(|&d| above(d)).max().unwrap_or(0);
        let width = 64 - widest.leading_zeros();
        out.push(width as u8);
        let (mut pending, mut bits) = (0u128, 0);
        for i in 0..BLOCK {
            pending |= u128::from(block.get(i).map_or(0, |&d| above(d))) << bits;
            bits += width;
            while bits >= 8 {
                out.push(pending as u8);
                pending >>= 8;
                bits -= 8;
            }
        }
        // 128 values of any width fill whole bytes.
        debug_assert_eq!(bits, 0);
    }
}

fn zigzag(n: i64) -> u64 {
    ((n << 1) ^ (n >> 63)) as u64
}

fn uleb128(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_parquet::parquet::encoding::delta_byte_array;

    /// Each value's text, decoded back by polars' own DELTA_BYTE_ARRAY decoder.
    fn decoded(values: &[&[u8]]) -> Vec<Vec<u8>> {
        let mut page = Vec::new();
        encode(values, &mut page);
        let decoder = delta_byte_array::Decoder::try_new(&page).unwrap();
        decoder.map(Result::unwrap).collect()
    }

    #[test]
    fn shared_prefixes_are_whole_bytes_in_common() {
        let cases: [(&[u8], &[u8], usize); 7] = [
            (b"", b"abc", 0),
            (b"abc", b"abc", 3),
            (b"2023-10-30T00:07:24.372", b"2023-10-30T00:07:25.001", 18),
            (
                b"2023-10-30T00:07:24.372+02:00",
                b"2023-10-30T00:07:24.372",
                23,
            ),
            (b"abcdefgh", b"abcdefgi", 7),
            (b"abcdefghij", b"abcdefghik", 9),
            (b"x", b"y", 0),
        ];
        for (a, b, n) in cases {
            assert_eq!(shared_prefix(a, b), n, "{a:?} {b:?}");
            assert_eq!(shared_prefix(b, a), n, "{b:?} {a:?}");
        }
    }

    #[test]
    fn zigzag_and_uleb128_as_parquet_writes_them() {
        assert_eq!([0, -1, 1, -2, i64::MIN].map(zigzag), [0, 1, 2, 3, u64::MAX]);
        let mut out = Vec::new();
        uleb128(300, &mut out);
        uleb128(0, &mut out);
        assert_eq!(out, [0xac, 0x02, 0x00]);
    }

    proptest::proptest! {
        /// Any values, among them runs that share prefixes, values cut short, and lengths
        /// that jump (so that the bit widths vary from block to block), decode as written.
        #[test]
        fn polars_decodes_what_is_encoded(
            values in proptest::collection::vec(
                proptest::collection::vec(proptest::sample::select(b"ab0\xff".to_vec()), 0..40),
                0..400,
            )
        ) {
            let values: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
            let expected: Vec<Vec<u8>> = values.iter().map(|v| v.to_vec()).collect();
            proptest::prop_assert_eq!(decoded(&values), expected);
        }
    }
}
