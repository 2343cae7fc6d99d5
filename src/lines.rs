//! Splitting byte buffers into physical lines without allocating: LF or CRLF, a last line
//! without a newline, and a UTF-8 byte-order mark at the very start.

/// The UTF-8 byte-order mark, ignored before a file's first line.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A line without a trailing `\r` and without a byte-order mark before it, tested byte by
/// byte: on every line of a scan, where `strip_suffix` would call memcmp for one byte.
#[inline(always)]
pub fn trim_line_marks(line: &[u8]) -> &[u8] {
    let line = match line {
        [rest @ .., b'\r'] => rest,
        _ => line,
    };
    match line {
        [0xEF, 0xBB, 0xBF, rest @ ..] => rest,
        _ => line,
    }
}

/// `s.starts_with(p)` without a call to memcmp, which dominates for the few-byte literals
/// of a layout and the keys of a message.
#[inline(always)]
pub fn has_prefix(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && p.iter().zip(s).all(|(a, b)| a == b)
}

/// Iterates over the lines of a buffer, yielding `(line number from 1, line without its
/// terminator)`. A trailing `\r` is removed too.
pub struct LineSplitter<'a> {
    rest: &'a [u8],
    number: u64,
}

impl<'a> LineSplitter<'a> {
    /// Lines of a whole file: a leading BOM is skipped.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::starting_at(buf.strip_prefix(BOM).unwrap_or(buf), 0)
    }

    /// Lines of a part of a file whose first line is line `first_number + 1`.
    pub fn starting_at(buf: &'a [u8], first_number: u64) -> Self {
        LineSplitter {
            rest: buf,
            number: first_number,
        }
    }
}

impl<'a> Iterator for LineSplitter<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        self.number += 1;
        Some((self.number, line.strip_suffix(b"\r").unwrap_or(line)))
    }
}

/// A line cut to at most `max` bytes for display, decoded lossily.
pub fn excerpt(line: &[u8], max: usize) -> String {
    let cut = &line[..line.len().min(max)];
    let mut text = String::from_utf8_lossy(cut).into_owned();
    if line.len() > max {
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_marks_are_trimmed_once_at_their_end() {
        for (line, want) in [
            (&b"a\r"[..], &b"a"[..]),
            (b"\xEF\xBB\xBFa\r", b"a"),
            (b"\xEF\xBB\xBF", b""),
            (b"\r", b""),
            (b"a\r\r", b"a\r"),
            (b"\ra", b"\ra"),
            (b"\xEF\xBBa", b"\xEF\xBBa"),
            (b"", b""),
        ] {
            assert_eq!(trim_line_marks(line), want, "{line:?}");
        }
    }

    const CASES: &[(&[u8], &[&[u8]])] = &[
        (b"", &[]),
        (b"a", &[b"a"]),
        (b"a\n", &[b"a"]),
        (b"a\r\nb\n", &[b"a", b"b"]),
        (b"a\n\nb", &[b"a", b"", b"b"]),
        (b"\xEF\xBB\xBFa\r\nb\r", &[b"a", b"b"]),
        (b"a\rb\n", &[b"a\rb"]),
    ];

    #[test]
    fn splits_lines() {
        for (input, expected) in CASES {
            let got: Vec<&[u8]> = LineSplitter::new(input).map(|(_, l)| l).collect();
            assert_eq!(&got, expected, "{input:?}");
            let numbers: Vec<u64> = LineSplitter::new(input).map(|(n, _)| n).collect();
            assert_eq!(numbers, (1..=expected.len() as u64).collect::<Vec<_>>());
        }
    }

    #[test]
    fn excerpt_marks_cut_text() {
        assert_eq!(excerpt(b"abcdef", 3), "abc…");
        assert_eq!(excerpt(b"ab", 3), "ab");
        assert_eq!(excerpt(b"\xff", 3), "\u{fffd}");
    }
}
