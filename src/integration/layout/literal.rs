//! Literal text between converters: matched exactly, and searched for where a
//! variable-width field (a thread name, a logger) may end.

use memchr::memmem;

use super::padding::trim_end_spaces;

/// Literals up to this length are searched for by their first byte.
pub(super) const SHORT_LITERAL: usize = 4;

#[derive(Debug, Clone)]
pub(super) struct Literal {
    pub(super) bytes: Vec<u8>,
    /// Only for literals longer than [`SHORT_LITERAL`]; boxed because it is large.
    pub(super) finder: Option<Box<memmem::Finder<'static>>>,
    /// Length without trailing spaces.
    pub(super) trimmed: usize,
}

impl Literal {
    /// The first occurrence at or after `from`. Short literals (`] `, ` - `)
    /// are found faster by their first byte than by a general substring search.
    #[inline]
    pub(super) fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let hay_from = hay.get(from..)?;
        if let Some(finder) = &self.finder {
            return finder.find(hay_from).map(|p| from + p);
        }
        let (&first, tail) = self.bytes.split_first()?;
        let mut at = from;
        while let Some(p) = find_near(first, first, &hay[at..]) {
            let pos = at + p;
            if has_prefix(&hay[pos + 1..], tail) {
                return Some(pos);
            }
            at = pos + 1;
        }
        None
    }

    pub(super) fn new(bytes: Vec<u8>) -> Literal {
        let finder = (bytes.len() > SHORT_LITERAL)
            .then(|| Box::new(memmem::Finder::new(&bytes).into_owned()));
        let trimmed = trim_end_spaces(&bytes).len();
        Literal {
            bytes,
            finder,
            trimmed,
        }
    }
}

pub(super) use crate::lines::has_prefix;

/// Where `a` or `b` first occurs in `hay`, for a byte expected within its first few dozen
/// (the end of a thread name or a logger): sixteen bytes are compared at a time in line,
/// where a call to memchr, its dispatch and its set-up cost more than the search (two calls
/// per header were 3.3% of a scan's instructions with the searching, and the scan takes
/// 1.2% fewer without them). Past 64 bytes memchr's wider loop takes over.
#[inline(always)]
pub(super) fn find_near(a: u8, b: u8, hay: &[u8]) -> Option<usize> {
    let mut at = 0;
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = hay.get(at..at + 16) {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
            _mm_set1_epi8,
        };
        // SAFETY: SSE2 is part of every x86-64 target, and the load reads the sixteen bytes
        // of `block`, unaligned.
        let found = unsafe {
            let bytes = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
            let either = _mm_or_si128(
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(a as i8)),
                _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b as i8)),
            );
            _mm_movemask_epi8(either) as u32
        };
        if found != 0 {
            return Some(at + found.trailing_zeros() as usize);
        }
        at += 16;
        if at >= 64 {
            return memchr::memchr2(a, b, &hay[at..]).map(|p| at + p);
        }
    }
    hay[at..]
        .iter()
        .position(|&c| c == a || c == b)
        .map(|p| at + p)
}

/// How many bytes of ANSI colour codes (`ESC [ digits;… m`) `s` starts with.
#[inline]
pub(super) fn ansi_len(s: &[u8]) -> usize {
    let mut at = 0;
    while let Some(rest) = s[at..].strip_prefix(b"\x1b[") {
        let params = rest
            .iter()
            .take_while(|&&b| b.is_ascii_digit() || b == b';')
            .count();
        if rest.get(params) != Some(&b'm') {
            break;
        }
        at += 2 + params + 1;
    }
    at
}

/// `s` without the ANSI colour codes it ends with.
pub(super) fn trim_ansi_end(s: &[u8]) -> &[u8] {
    let mut end = s.len();
    while end > 0 && s[end - 1] == b'm' {
        let Some(esc) = memchr::memrchr(0x1b, &s[..end]) else {
            break;
        };
        if ansi_len(&s[esc..end]) != end - esc {
            break;
        }
        end = esc;
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`find_near`] finds what memchr2 finds, at every length around its 16-byte blocks
    /// and its 64-byte hand-over, with the byte at every place or nowhere.
    #[test]
    fn find_near_finds_what_memchr_finds() {
        let mut next = crate::integration::message::tests::xorshift(0x51_7CC1_B727_220A);
        for len in 0..100 {
            for _ in 0..200 {
                let hay: Vec<u8> = (0..len)
                    .map(|_| b"ab] \t\xff"[next() as usize % 6])
                    .collect();
                for (a, b) in [(b']', b']'), (b' ', b'\t'), (b'\xff', b'a'), (b'z', b'z')] {
                    assert_eq!(
                        find_near(a, b, &hay),
                        memchr::memchr2(a, b, &hay),
                        "{a} {b} in {hay:?}"
                    );
                }
            }
            // One needle at each place, found past the hand-over as well as before it.
            for place in 0..len {
                let mut hay = vec![b'b'; len];
                hay[place] = b']';
                assert_eq!(find_near(b']', b']', &hay), Some(place), "{len} {place}");
                assert_eq!(find_near(b'\t', b']', &hay), Some(place), "{len} {place}");
            }
        }
    }
}
