//! Paths normalised lately, kept so that the calls of a report or an export, which normalise
//! every call's path, do the one-pass normalisation once per distinct path rather than once
//! per call.
//!
//! Most of a log's paths are either repeated as they stand (`/dc/incident/data?limit=1`) or
//! differ only in the record id at their end (`/dc/asset/data/f2541e7c-…`), which is unique
//! to the call. The memo is keyed by the path, or by what comes before a trailing id, so
//! that both kinds are found.

use super::fast_hash::word_of;
use super::message::normalise_path;
use memchr::{memchr2, memrchr};

/// How many paths are kept: a log's endpoints are a few dozen; the slots are many more so
/// that two of them seldom share one.
const SLOTS: usize = 256;

/// A small cache of [`normalise_path`], by a hash of the text normalised; a slot holds the
/// last text that hashed to it. What it returns is always what `normalise_path` would.
#[derive(Debug, Clone)]
pub struct PathMemo {
    slots: Vec<Slot>,
}

#[derive(Debug, Clone, Default)]
struct Slot {
    /// None until a text is first normalised into the slot.
    text: Option<Vec<u8>>,
    normalised: Vec<u8>,
}

impl Default for PathMemo {
    fn default() -> PathMemo {
        PathMemo::with_slots(SLOTS)
    }
}

impl PathMemo {
    /// A memo of `slots` paths (a power of two).
    fn with_slots(slots: usize) -> PathMemo {
        debug_assert!(slots.is_power_of_two());
        PathMemo {
            slots: vec![Slot::default(); slots],
        }
    }

    /// Appends what `normalise_path` makes of `path` to `out` (which it does not clear, so
    /// that a caller building `METHOD /path` writes the path in place), from the memo when it
    /// holds the path or its part before a trailing id.
    pub fn normalise(&mut self, path: &[u8], out: &mut Vec<u8>) {
        // A path seen before is found without looking for an id in it.
        let at = slot_of(path, self.slots.len());
        if self.slots[at].text.as_deref() == Some(path) {
            out.extend_from_slice(&self.slots[at].normalised);
            return;
        }
        if let Some(rest) = before_trailing_id(path) {
            // An id as the last segment becomes `/{id}` after whatever the rest becomes,
            // except that a rest that is nothing (`/`, or only the API base and version) is
            // written as `/` alone. The path itself is not kept: it is most likely unique.
            let rest = self.normalised(rest);
            if rest != b"/" {
                out.extend_from_slice(rest);
            }
            out.extend_from_slice(b"/{id}");
            return;
        }
        out.extend_from_slice(self.fill(at, path));
    }

    /// The normalised form of `text`, from its slot or normalised into it.
    fn normalised(&mut self, text: &[u8]) -> &[u8] {
        let at = slot_of(text, self.slots.len());
        if self.slots[at].text.as_deref() == Some(text) {
            return &self.slots[at].normalised;
        }
        self.fill(at, text)
    }

    /// `text` normalised into slot `at`, in place of what the slot held.
    fn fill(&mut self, at: usize, text: &[u8]) -> &[u8] {
        let slot = &mut self.slots[at];
        let kept = slot.text.get_or_insert_with(Vec::new);
        kept.clear();
        kept.extend_from_slice(text);
        normalise_path(text, &mut slot.normalised);
        &slot.normalised
    }
}

/// The part of `path` before its last segment when that segment is a record id (and what
/// follows it is a query or fragment), such that `path` normalises as that part does with
/// `/{id}` after it; None for any other path.
fn before_trailing_id(path: &[u8]) -> Option<&[u8]> {
    let trimmed = path.trim_ascii();
    // A path as logged starts with `/`: one written with an origin is left to the full
    // normalisation, which strips it.
    if trimmed.first() != Some(&b'/') {
        return None;
    }
    // What ends the path (the query or fragment) is dropped by the normalisation.
    let body = &trimmed[..memchr2(b'?', b'#', trimmed).unwrap_or(trimmed.len())];
    let cut = memrchr(b'/', body)?;
    let rest = &body[..cut];
    // The rest is normalised on its own, trimmed: a space it ends with (kept inside the
    // whole path) would be lost.
    let ends_clean = !rest.last().is_some_and(u8::is_ascii_whitespace);
    (ends_clean && super::message::is_id(&body[cut + 1..])).then_some(rest)
}

/// The slot of `text` among `slots` (a power of two). Paths share long beginnings
/// (`/rest-api/itsm/v1/dc/`) and differ towards their end, so the hash reads the last eight
/// bytes and the eight in the middle, with the length.
fn slot_of(text: &[u8], slots: usize) -> usize {
    let word = |from: usize| word_of(&text[from..text.len().min(from + 8)]);
    let last = word(text.len().saturating_sub(8));
    let middle = word(text.len() / 2);
    let mixed =
        (last ^ middle.rotate_left(29) ^ text.len() as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> 40) as usize & (slots - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::message::tests::xorshift;

    /// Random paths built from the pieces the normalisation treats apart (bases, versions,
    /// ids of every kind, `.`, empty segments, matrix parameters, queries, fragments,
    /// origins, spaces), each asked several times in a row and out of order, through a memo
    /// of 4 slots (so that texts keep taking each other's slot) and one of the default size.
    #[test]
    fn a_memo_normalises_as_normalise_path_does() {
        const PIECES: &[&str] = &[
            "rest-api",
            "REST-API",
            "itsm",
            "api",
            "v1",
            "v1.2",
            "V2",
            "dc",
            "incident",
            "data",
            "users",
            "login",
            ".",
            "",
            "123",
            "0",
            "123:456",
            "12:",
            "f2541e7c-289b-40e8-ae7b-29bd6d6ac17f",
            "F2541E7C-289B-40E8-AE7B-29BD6D6AC17F",
            "f2541e7c289b40e8ae7b29bd6d6ac17f",
            "f2541e7c-289b",
            "abc",
            "x;jsessionid=1",
            "123;x=1",
            ";",
            "?limit=1",
            "#top",
            "?a/b/123",
            " ",
        ];
        let mut next = xorshift(0x5eed_1234);
        let mut memos = [PathMemo::with_slots(4), PathMemo::default()];
        let mut recent: Vec<String> = Vec::new();
        let (mut memo_out, mut plain_out) = (Vec::new(), Vec::new());
        for round in 0..60_000 {
            let path = if round % 3 == 0 && !recent.is_empty() {
                recent[next() as usize % recent.len()].clone()
            } else {
                let mut path = match next() % 12 {
                    0 => "https://host:8443".to_string(),
                    1 => " ".to_string(),
                    2 => String::new(),
                    _ => String::new(),
                };
                for _ in 0..next() % 7 {
                    let piece = PIECES[next() as usize % PIECES.len()];
                    if next() % 9 != 0 {
                        path.push('/');
                    }
                    path.push_str(piece);
                }
                if next() % 10 == 0 {
                    path.push('/');
                }
                if recent.len() < 64 {
                    recent.push(path.clone());
                } else {
                    let at = next() as usize % recent.len();
                    recent[at] = path.clone();
                }
                path
            };
            normalise_path(path.as_bytes(), &mut plain_out);
            plain_out.splice(0..0, *b"GET ");
            for memo in &mut memos {
                // The memo appends: what `out` held before stays in front.
                memo_out.clear();
                memo_out.extend_from_slice(b"GET ");
                memo.normalise(path.as_bytes(), &mut memo_out);
                assert_eq!(
                    String::from_utf8_lossy(&memo_out),
                    String::from_utf8_lossy(&plain_out),
                    "{path:?}"
                );
            }
        }
    }

    #[test]
    fn a_path_ending_in_an_id_is_found_by_what_comes_before_it() {
        let mut memo = PathMemo::default();
        let mut out = Vec::new();
        memo.normalise(b"/rest-api/itsm/v1/dc/asset/data/1", &mut out);
        assert_eq!(out, b"/dc/asset/data/{id}");
        let slot = &memo.slots[slot_of(b"/rest-api/itsm/v1/dc/asset/data", SLOTS)];
        assert_eq!(
            slot.text.as_deref(),
            Some(&b"/rest-api/itsm/v1/dc/asset/data"[..])
        );
        out.clear();
        memo.normalise(b"/rest-api/itsm/v1/dc/asset/data/2?x=1", &mut out);
        assert_eq!(out, b"/dc/asset/data/{id}");
        out.clear();
        memo.normalise(b"/rest-api/itsm/v1/7", &mut out);
        assert_eq!(out, b"/{id}");
    }
}
