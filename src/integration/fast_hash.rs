//! A fast, non-cryptographic hasher for the aggregation tables.
//!
//! Every call updates several hash tables (interned strings, its group, its minute), so the
//! standard SipHash would be a visible share of the parse. This is the multiply-rotate hash
//! of rustc's `FxHasher` with a final mixing step, so that the top bits the table probes
//! with depend on every input bit. It is not resistant to crafted collisions; the logs come
//! from the user's own server.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

const K: u64 = 0x517c_c1b7_2722_0a95;

/// See the module documentation.
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(K);
    }
}

/// Up to eight bytes as a little-endian word, zero-padded: how the interner and the path memo
/// hash and compare short texts.
#[inline(always)]
pub(crate) fn word_of(bytes: &[u8]) -> u64 {
    // Eight bytes, the common case, in one load: the copy of a length known only at run
    // time below is a call to `memcpy`.
    if let Ok(eight) = <[u8; 8]>::try_from(bytes) {
        return u64::from_le_bytes(eight);
    }
    let mut word = [0u8; 8];
    word[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(word)
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(u64::from_le_bytes(chunk.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(last));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // Fold the well-mixed high bits down and mix once more: hashbrown takes its
        // control byte from the top bits and its bucket from the low ones.
        let h = self.hash;
        (h ^ (h >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

/// A `HashMap` with [`FastHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::{BuildHasher, Hash};

    fn hash<T: Hash + ?Sized>(value: &T) -> u64 {
        BuildHasherDefault::<FastHasher>::default().hash_one(value)
    }

    #[test]
    fn distinguishes_close_keys() {
        let keys: Vec<u64> = [
            &b""[..],
            b"a",
            b"b",
            b"ab",
            b"ba",
            b"CRM_SYNC",
            b"CRM_SYNC\0",
            b"GET /dc/incident/data",
            b"GET /dc/incident/date",
        ]
        .iter()
        .map(|k| hash(*k))
        .collect();
        let mut unique = keys.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), keys.len());
        assert_ne!(hash(&(1u32, 2u32)), hash(&(2u32, 1u32)));
    }
}
