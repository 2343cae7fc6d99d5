//! Format modifiers on bytes: Log4j pads and truncates by characters, with spaces on the
//! left (`%5p`) or the right (`%-5p`).

use super::compile::Pad;

/// The bytes a padded field of `len` bytes (`width` characters) takes after `lead` spaces,
/// when the padding is right: spaces after it up to the width when left-aligned, exactly
/// the missing spaces before it when right-aligned.
#[inline]
pub(super) fn padded(s: &[u8], lead: usize, pad: Pad, len: usize, width: usize) -> Option<usize> {
    let fill = pad.min.saturating_sub(width);
    if pad.left {
        let tail = &s[len..];
        if tail.len() < fill || tail[..fill].iter().any(|&b| b != b' ') {
            return None;
        }
        Some(len + fill)
    } else if lead == fill {
        Some(lead + len)
    } else {
        None
    }
}

/// How many spaces (at most `max`) `s` starts with.
#[inline]
pub(super) fn leading_spaces(s: &[u8], max: usize) -> usize {
    s.iter().take(max).take_while(|&&b| b == b' ').count()
}

#[inline]
pub(super) fn trim_end_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|&&b| b == b' ').count();
    &s[..s.len() - n]
}

#[inline]
pub(super) fn trim_start_spaces(s: &[u8]) -> &[u8] {
    &s[leading_spaces(s, s.len())..]
}

/// Characters in UTF-8 text (Log4j pads and truncates by characters).
#[inline]
pub(super) fn char_len(s: &[u8]) -> usize {
    s.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}
