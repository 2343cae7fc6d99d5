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
        while let Some(p) = memchr::memchr(first, &hay[at..]) {
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
