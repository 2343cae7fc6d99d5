//! Entries of integration.log: which physical lines start an entry, which continue one, and
//! the line accounting of a run of lines (formats.md section 2, "Entries").
//!
//! An entry starts with a line whose header the layout accepts; the lines after it that
//! the layout does not accept are its continuation lines (stack traces). Lines before a
//! file's first entry are orphans. A line that looks like a header but fails (the start
//! of the layout's header, up to its date, has the right shape but a value is impossible
//! or a later field does not fit) is neither: it is suspicious, never folded silently into
//! the entry above, and reported with its line number. Blank lines are counted apart
//! wherever they are. So for every input:
//!
//! `lines = entries + continuation + orphans + suspicious + blank`, with
//! `oversized ⊆ lines`, and `entries = calls + informational`.
//!
//! Lines end in LF or CRLF, the last one may have no terminator, a UTF-8 byte-order mark
//! before a file's first line is ignored, and bytes that are not UTF-8 are kept as they are
//! (shown lossily in problems). A line longer than the configured maximum is read as its
//! first `max_line` bytes, counted and reported.

use std::sync::Arc;

use memchr::memchr;
use serde::Serialize;

use super::layout::{Header, LayoutParser, LEVELS};
use super::message::FieldSources;
use crate::accounting::{LineProblem, ProblemLog};
use crate::lines::{excerpt, BOM};
use crate::redact::redact;

/// How much of a line is shown in a problem.
const PROBLEM_EXCERPT: usize = 200;

/// Entries per level; entries with a level of the log's own (`NOTICE`) count as
/// [`CUSTOM_LEVEL`], entries without a level (a layout without `%p`) as [`NO_LEVEL`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LevelCounts {
    counts: [u64; LEVELS.len() + 2],
}

/// The name of entries without a level.
pub const NO_LEVEL: &str = "-";

/// The name of entries whose level is none of [`LEVELS`].
pub const CUSTOM_LEVEL: &str = "other";

impl LevelCounts {
    /// Counts one entry of `level` (as [`Header::level`] gives it).
    #[inline]
    pub fn add(&mut self, level: Option<&[u8]>) {
        self.counts[level_index(level)] += 1;
    }

    /// Adds every count of `other`.
    pub fn merge(&mut self, other: &LevelCounts) {
        for (a, b) in self.counts.iter_mut().zip(other.counts) {
            *a += b;
        }
    }

    /// The count of a level name (`INFO`, or [`NO_LEVEL`]).
    pub fn get(&self, level: &str) -> u64 {
        self.iter_all()
            .find(|(name, _)| *name == level)
            .map_or(0, |(_, n)| n)
    }

    /// The sum over all levels.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Levels with a non-zero count, from TRACE to FATAL, then [`CUSTOM_LEVEL`] and
    /// [`NO_LEVEL`].
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        self.iter_all().filter(|(_, n)| *n > 0)
    }

    fn iter_all(&self) -> impl Iterator<Item = (&'static str, u64)> + '_ {
        LEVELS
            .iter()
            .copied()
            .chain([CUSTOM_LEVEL, NO_LEVEL])
            .zip(self.counts.iter().copied())
    }
}

impl Serialize for LevelCounts {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.iter())
    }
}

fn level_index(level: Option<&[u8]>) -> usize {
    // The layout parser gives one of LEVELS spelled canonically, or a custom level.
    match level {
        Some(l) => LEVELS
            .iter()
            .position(|name| name.as_bytes() == l)
            .unwrap_or(LEVELS.len()),
        None => LEVELS.len() + 1,
    }
}

/// What became of the lines of one input (or of a part of it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineAccounting {
    /// Physical lines read.
    pub lines: u64,
    /// Lines that start an entry.
    pub entries: u64,
    /// Non-blank lines inside an entry after its first line.
    pub continuation: u64,
    /// Non-blank lines before the file's first entry that do not look like a header.
    pub orphans: u64,
    /// Empty or white-space lines, wherever they are.
    pub blank: u64,
    /// Lines that look like a header but do not match the layout, wherever they are:
    /// neither entries nor part of one.
    pub suspicious: u64,
    /// Lines longer than the maximum, of which only the start was read (a subset of
    /// `lines`, counted in their category as well).
    pub oversized: u64,
    /// Entries with a method and a path.
    pub calls: u64,
    /// Calls with a status, duration or card count that was written but could not be read
    /// (`status=OK`, `duration=2min`): counted, and each reported with its reason.
    pub unreadable_fields: u64,
    /// Entries that are not calls, by level.
    pub informational: LevelCounts,
    /// The message shapes and keys the calls' fields were read from.
    pub field_sources: FieldSources,
}

impl LineAccounting {
    /// Adds every count of `other`.
    pub fn add(&mut self, other: &LineAccounting) {
        self.lines += other.lines;
        self.entries += other.entries;
        self.continuation += other.continuation;
        self.orphans += other.orphans;
        self.blank += other.blank;
        self.suspicious += other.suspicious;
        self.oversized += other.oversized;
        self.calls += other.calls;
        self.unreadable_fields += other.unreadable_fields;
        self.informational.merge(&other.informational);
        self.field_sources.merge(other.field_sources);
    }

    /// Whether the counts add up:
    /// `lines = entries + continuation + orphans + suspicious + blank`,
    /// `entries = calls + informational`, `unreadable_fields ≤ calls`.
    pub fn is_consistent(&self) -> bool {
        self.lines == self.entries + self.continuation + self.orphans + self.suspicious + self.blank
            && self.oversized <= self.lines
            && self.unreadable_fields <= self.calls
            && self.entries == self.calls + self.informational.total()
    }
}

/// Where a run of lines starts within its file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkStart {
    /// The run starts the file: a byte-order mark may come first, and lines before the
    /// first entry are orphans.
    pub starts_file: bool,
    /// An entry started before the run, so that its first lines, if not headers, continue
    /// that entry rather than being orphans.
    pub in_entry: bool,
}

impl ChunkStart {
    /// A whole file.
    pub const FILE: ChunkStart = ChunkStart {
        starts_file: true,
        in_entry: false,
    };
}

/// An entry's first line.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// The line number, counted from 1 at the start of the run.
    pub line: u64,
    /// The parsed header; its message is the rest of the line.
    pub header: Header<'a>,
}

/// What a run of lines held, besides its entries.
#[derive(Debug, Clone, Default)]
pub struct RunLines {
    /// Line accounting; `calls` and `informational` are left to the caller.
    pub counts: LineAccounting,
    /// Orphan, suspicious and oversized lines, numbered from 1 at the start of the run.
    pub problems: ProblemLog,
    /// The first non-blank line, redacted and cut short (to name a file the layout does
    /// not fit).
    pub first_text: Option<String>,
}

/// Classifies lines by a layout. Cheap to share between threads.
#[derive(Debug, Clone)]
pub struct EntryReader {
    layout: Arc<LayoutParser>,
    /// The layout's literal text before its first specifier, when it has a visible one:
    /// a line starting with it was meant to be a header.
    lookalike_prefix: Vec<u8>,
    max_line: usize,
}

impl EntryReader {
    /// A reader of lines written with `layout`; lines longer than `max_line` bytes are cut.
    pub fn new(layout: Arc<LayoutParser>, max_line: usize) -> EntryReader {
        let lookalike_prefix = literal_prefix(layout.pattern());
        EntryReader {
            layout,
            lookalike_prefix,
            max_line: max_line.max(1),
        }
    }

    /// The layout.
    pub fn layout(&self) -> &LayoutParser {
        &self.layout
    }

    /// The longest line read whole.
    pub fn max_line(&self) -> usize {
        self.max_line
    }

    /// The part of a physical line (without its `\n`) that is read: without a trailing
    /// `\r`, cut to the maximum, and without a byte-order mark if it is a file's first
    /// line. Also the line's length when it was cut.
    /// `cut` says the chunker already cut the line to the maximum: a `\r` ending what it
    /// kept is inside the line, not its line end, and stays (as in one pass over the whole).
    #[inline]
    fn content<'a>(
        &self,
        raw: &'a [u8],
        first_of_file: bool,
        cut: bool,
    ) -> (&'a [u8], Option<u64>) {
        let line = if cut {
            raw
        } else {
            match raw {
                [rest @ .., b'\r'] => rest,
                _ => raw,
            }
        };
        let (line, oversized) = if line.len() > self.max_line {
            (&line[..self.max_line], Some(line.len() as u64))
        } else {
            (line, None)
        };
        let line = if first_of_file {
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        (line, oversized)
    }

    /// Whether a physical line (without its `\n`) starts an entry. The chunker asks this
    /// where it cuts, and must agree with [`EntryReader::read`].
    pub fn starts_entry(&self, raw: &[u8], first_of_file: bool) -> bool {
        let (line, _) = self.content(raw, first_of_file, false);
        !is_blank(line) && self.layout.parse_header(line).is_some()
    }

    /// Whether a line that is not a header was probably meant to be one: it starts with
    /// the layout's literal prefix, or its start has the shape of the layout's header up
    /// to the date (whatever the date pattern: `yy/MM/dd`, `dd MMM yyyy`, `HH:mm:ss`,
    /// epoch digits), or it starts like an ISO date (`2023-04-11`).
    pub fn looks_like_header(&self, line: &[u8]) -> bool {
        let iso_date = line.len() >= 10
            && line[..10].iter().enumerate().all(|(i, &b)| match i {
                4 | 7 => b == b'-',
                _ => b.is_ascii_digit(),
            });
        iso_date
            || (!self.lookalike_prefix.is_empty() && line.starts_with(&self.lookalike_prefix))
            || self.layout.looks_like_header(line)
    }

    /// Reads the lines of `run`, calling `visit` with each entry's first line, and returns
    /// the line accounting of the run (all but `calls` and `informational`).
    ///
    /// `cut_lines` lists (offset in `run`, length) of lines the chunker already cut to
    /// the maximum, in increasing offset order. `file` names the input in problems.
    // Inlined into each caller, so that the caller's per-entry closure is inlined into the
    // loop: whether the compiler does so on its own shifts with unrelated code.
    #[inline]
    pub fn read<'r>(
        &self,
        run: &'r [u8],
        start: ChunkStart,
        cut_lines: &[(usize, u64)],
        file: &str,
        mut visit: impl FnMut(&Entry<'r>),
    ) -> RunLines {
        let mut out = RunLines::default();
        // One entry, overwritten by each header line: a header is too large to copy per line.
        let mut entry = Entry {
            line: 0,
            header: Header::empty(),
        };
        let counts = &mut out.counts;
        let mut in_entry = start.in_entry;
        let mut cut_lines = cut_lines.iter().peekable();
        let mut pos = 0;
        let mut number = 0u64;
        let mut problem = |number: u64, reason: String, line: &[u8]| {
            out.problems
                .push(|| line_problem(file, number, reason, line));
        };
        while pos < run.len() {
            let (raw, next) = match memchr(b'\n', &run[pos..]) {
                Some(i) => (&run[pos..pos + i], pos + i + 1),
                None => (&run[pos..], run.len()),
            };
            number += 1;
            let mut cut = None;
            while let Some(&&(offset, length)) = cut_lines.peek() {
                if offset > pos {
                    break;
                }
                if offset == pos {
                    cut = Some(length);
                }
                cut_lines.next();
            }
            let (line, oversized) = self.content(raw, start.starts_file && pos == 0, cut.is_some());
            let oversized = cut.or(oversized);
            pos = next;

            if let Some(length) = oversized {
                counts.oversized += 1;
                problem(
                    number,
                    format!(
                        "line of {} bytes, longer than the {} byte limit; only its start was read",
                        crate::render::thousands(length),
                        crate::render::thousands(self.max_line as u64)
                    ),
                    line,
                );
            }
            if is_blank(line) {
                counts.blank += 1;
                continue;
            }
            if out.first_text.is_none() {
                out.first_text = Some(redact(&excerpt(line, PROBLEM_EXCERPT)).into_owned());
            }
            if self.layout.parse_header_into(line, &mut entry.header) {
                counts.entries += 1;
                in_entry = true;
                entry.line = number;
                visit(&entry);
            } else if self.looks_like_header(line) {
                // Not folded into the entry above: a call in it would be lost unseen. The
                // lines after it still continue the last entry (or stay orphans), as
                // where the chunker cuts depends only on real entries.
                counts.suspicious += 1;
                let reason = match self.layout.header_failure(line) {
                    Some(why) => format!(
                        "looks like an entry header but does not match the layout: {why}; not read as an entry"
                    ),
                    None => "looks like an entry header but does not match the layout; not read as an entry".to_owned(),
                };
                problem(number, reason, line);
            } else if in_entry {
                counts.continuation += 1;
            } else {
                counts.orphans += 1;
                problem(
                    number,
                    "before the file's first entry (part of an entry cut off by rotation?)".into(),
                    line,
                );
            }
        }
        counts.lines = number;
        out
    }
}

/// A problem with line `number` of `file`, showing the start of `line` with its secrets
/// redacted.
pub fn line_problem(file: &str, number: u64, reason: String, line: &[u8]) -> LineProblem {
    LineProblem {
        file: file.to_owned(),
        line: number,
        reason,
        text: redact(&excerpt(line, PROBLEM_EXCERPT)).into_owned(),
    }
}

/// Empty or only ASCII white space.
#[inline]
pub fn is_blank(line: &[u8]) -> bool {
    line.iter().all(u8::is_ascii_whitespace)
}

/// The literal text a layout starts with (`%%` is a `%`), if it has a visible character.
fn literal_prefix(pattern: &str) -> Vec<u8> {
    let mut prefix = Vec::new();
    let mut bytes = pattern.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            if bytes.peek() != Some(&b'%') {
                break;
            }
            bytes.next();
        }
        prefix.push(b);
    }
    if is_blank(&prefix) {
        prefix.clear();
    }
    prefix
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::layout::DEFAULT_LAYOUT;

    const L1: &str = "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms";
    const L2: &str = "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms";
    const TRACE: &str = "java.lang.IllegalStateException: datacard lock timeout\n\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)\n\t... 42 more";
    const L3: &str = "2023-04-11 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started";
    const BAD_DATE: &str =
        "2023-02-30 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - impossible";

    fn reader() -> EntryReader {
        EntryReader::new(Arc::new(LayoutParser::default()), 1 << 20)
    }

    /// (lines, entries, continuation, orphans, blank, suspicious, oversized)
    type Counts = (u64, u64, u64, u64, u64, u64, u64);

    fn read(
        r: &EntryReader,
        text: &[u8],
        start: ChunkStart,
    ) -> (Counts, Vec<(u64, String)>, RunLines) {
        let mut entries = Vec::new();
        let run = r.read(text, start, &[], "integration.log", |e| {
            entries.push((
                e.line,
                String::from_utf8_lossy(e.header.message).into_owned(),
            ));
        });
        let c = &run.counts;
        assert_eq!(
            c.lines,
            c.entries + c.continuation + c.orphans + c.suspicious + c.blank,
            "{c:?}"
        );
        (
            (
                c.lines,
                c.entries,
                c.continuation,
                c.orphans,
                c.blank,
                c.suspicious,
                c.oversized,
            ),
            entries,
            run,
        )
    }

    #[test]
    fn entry_cases() {
        let r = reader();
        let cases: Vec<(String, Counts, Vec<u64>)> = vec![
            (String::new(), (0, 0, 0, 0, 0, 0, 0), vec![]),
            (format!("{L1}\n"), (1, 1, 0, 0, 0, 0, 0), vec![1]),
            // Last line without a newline.
            (format!("{L1}\n{L3}"), (2, 2, 0, 0, 0, 0, 0), vec![1, 2]),
            // A stack trace continues the entry above it.
            (
                format!("{L1}\n{L2}\n{TRACE}\n{L3}\n"),
                (6, 3, 3, 0, 0, 0, 0),
                vec![1, 2, 6],
            ),
            // CRLF.
            (
                format!(
                    "{L1}\r\n{L2}\r\n{}\r\n{L3}\r\n",
                    TRACE.replace('\n', "\r\n")
                ),
                (6, 3, 3, 0, 0, 0, 0),
                vec![1, 2, 6],
            ),
            // Orphans before the first entry; blank lines anywhere.
            (
                format!("{TRACE}\n\n{L1}\n   \n\t\n{L3}\n\n"),
                (9, 2, 0, 3, 4, 0, 0),
                vec![5, 8],
            ),
            // A header with an impossible date: suspicious, not part of the entry above;
            // the stack trace after it still continues that entry.
            (
                format!("{L1}\n{BAD_DATE}\n{TRACE}\n{L3}\n"),
                (6, 2, 3, 0, 0, 1, 0),
                vec![1, 6],
            ),
            // The same before any entry: suspicious, and its trace orphans.
            (
                format!("{BAD_DATE}\n{TRACE}\n{L3}\n"),
                (5, 1, 0, 3, 0, 1, 0),
                vec![5],
            ),
            // A byte-order mark before the first line.
            (
                format!("\u{feff}{L1}\n{L3}\n"),
                (2, 2, 0, 0, 0, 0, 0),
                vec![1, 2],
            ),
            (format!("\u{feff}\n{L1}\n"), (2, 1, 0, 0, 1, 0, 0), vec![2]),
            // A lone `\r` line is blank; CR alone does not end a line.
            ("\r\n\r\n".to_owned(), (2, 0, 0, 0, 2, 0, 0), vec![]),
            (format!("{L1}\r{L3}\n"), (1, 1, 0, 0, 0, 0, 0), vec![1]),
        ];
        for (text, want, lines) in cases {
            let (got, entries, _) = read(&r, text.as_bytes(), ChunkStart::FILE);
            assert_eq!(got, want, "{text:?}");
            assert_eq!(
                entries.iter().map(|e| e.0).collect::<Vec<_>>(),
                lines,
                "{text:?}"
            );
        }
    }

    #[test]
    fn messages_and_problems() {
        let r = reader();
        let mut text = format!("{TRACE}\n{L1}\n{BAD_DATE}\n").into_bytes();
        text.extend_from_slice(b"\xff\xfe password=hunter2\n");
        let (_, entries, run) = read(&r, &text, ChunkStart::FILE);
        assert_eq!(entries.len(), 1);
        assert!(entries[0]
            .1
            .starts_with("user=CRM_SYNC ip=10.20.0.10 method=GET"));
        let problems: Vec<(u64, &str)> = run
            .problems
            .kept
            .iter()
            .map(|p| (p.line, p.reason.as_str()))
            .collect();
        assert_eq!(problems.len(), 4);
        assert_eq!(
            problems.iter().map(|p| p.0).collect::<Vec<_>>(),
            [1, 2, 3, 5]
        );
        assert!(problems[0].1.contains("before the file's first entry"));
        assert!(problems[3].1.contains("looks like an entry header"));
        assert_eq!(run.problems.kept[0].file, "integration.log");
        assert_eq!(
            run.first_text.as_deref(),
            Some(TRACE.lines().next().unwrap())
        );
        // The invalid bytes are a continuation line; the secret never shows.
        let (_, _, run) = read(
            &r,
            format!("{L1}\ntoken=abc\n").as_bytes(),
            ChunkStart::FILE,
        );
        assert_eq!(run.counts.continuation, 1);
        let mut text = b"password=hunter2 \xff\n".to_vec();
        text.extend_from_slice(L1.as_bytes());
        let (_, _, run) = read(&r, &text, ChunkStart::FILE);
        assert_eq!(run.problems.kept[0].text, "password=[REDACTED] \u{fffd}");
    }

    #[test]
    fn a_run_inside_an_entry() {
        let r = reader();
        let text = format!("{TRACE}\n{L3}\n");
        let start = ChunkStart {
            starts_file: false,
            in_entry: true,
        };
        let (got, entries, _) = read(&r, text.as_bytes(), start);
        assert_eq!(got, (4, 1, 3, 0, 0, 0, 0));
        assert_eq!(entries[0].0, 4);
        // The layout skips a byte-order mark before a header anywhere (concatenated
        // files); a line of only a mark is not blank.
        let text = format!("\u{feff}{L1}\n\u{feff}\n");
        let (got, _, _) = read(&r, text.as_bytes(), start);
        assert_eq!(got, (2, 1, 1, 0, 0, 0, 0));
    }

    #[test]
    fn long_lines_are_cut() {
        let r = EntryReader::new(Arc::new(LayoutParser::default()), 300);
        let long = format!("{L1} {}", "x".repeat(1000));
        let text = format!("{long}\r\n{}\n{L3}\n", "y".repeat(301));
        let (got, entries, run) = read(&r, text.as_bytes(), ChunkStart::FILE);
        assert_eq!(got, (3, 2, 1, 0, 0, 0, 2));
        let header = L1.find(" - ").unwrap() + 3;
        assert_eq!(entries[0].1.len(), 300 - header);
        let reasons: Vec<&str> = run
            .problems
            .kept
            .iter()
            .map(|p| p.reason.as_str())
            .collect();
        assert_eq!(
            reasons[0],
            format!(
                "line of {} bytes, longer than the 300 byte limit; only its start was read",
                crate::render::thousands(long.len() as u64)
            )
        );
        // Lines the chunker cut already are reported with their full length.
        let (got, _, run) = {
            let mut entries = 0;
            let text = format!("{L1}\n{}\n", "z".repeat(300));
            let run = r.read(
                text.as_bytes(),
                ChunkStart::FILE,
                &[(L1.len() + 1, 5000)],
                "f",
                |_| entries += 1,
            );
            (run.counts.clone(), entries, run)
        };
        assert_eq!((got.oversized, got.continuation), (1, 1));
        assert!(run.problems.kept[0]
            .reason
            .starts_with("line of 5,000 bytes"));
    }

    #[test]
    fn lookalikes() {
        let r = reader();
        assert!(r.looks_like_header(b"2023-13-45 99:99"));
        assert!(!r.looks_like_header(b"\tat com.efecte.X"));
        assert!(!r.looks_like_header(b"2023-04"));
        let bracket = EntryReader::new(Arc::new(LayoutParser::compile("[%d] %p %m").unwrap()), 100);
        assert!(bracket.looks_like_header(b"[yesterday] INFO x"));
        assert_eq!(literal_prefix("100%% %d %m"), b"100% ");
        assert_eq!(literal_prefix("  %d %m"), b"");
        assert_eq!(literal_prefix(DEFAULT_LAYOUT), b"");
        assert!(r.starts_entry(L1.as_bytes(), false));
        assert!(r.starts_entry(format!("\u{feff}{L1}\r").as_bytes(), true));
        assert!(!r.starts_entry(BAD_DATE.as_bytes(), false));
        // With a layout that accepts any line, a blank line is still blank.
        let any = EntryReader::new(Arc::new(LayoutParser::compile("%m%n").unwrap()), 100);
        assert!(!any.starts_entry(b"  ", false));
        let (got, _, _) = read(&any, b"a\n\nb\n", ChunkStart::FILE);
        assert_eq!(got, (3, 2, 0, 0, 1, 0, 0));
    }

    #[test]
    fn header_lookalikes_in_every_date_shape() {
        // (layout, good entry, a header-shaped line it refuses)
        let cases = [
            (
                "%d{yy/MM/dd HH:mm:ss} %-5p [%t] %m%n",
                "23/04/11 20:34:00 INFO  [main] method=GET path=/a status=200",
                "23/02/30 20:34:01 INFO  [main] method=GET path=/b status=200",
            ),
            (
                "%d{dd MMM yyyy HH:mm:ss,SSS} %p %c - %m%n",
                "11 Apr 2023 20:34:00,635 WARNING com.Foo - x",
                "31 Apr 2023 20:34:00,635 INFO com.Foo - method=GET path=/b",
            ),
            (
                "%d{ABSOLUTE} %5p %c{1} - %m%n",
                "20:34:00,635  INFO RestApiLogger - x",
                "20:34:00,635 INFO RestApiLogger - method=GET path=/b",
            ),
            (
                "%d{UNIX_MILLIS} %p %m%n",
                "1681245240635 notice x",
                "1681245240635 Notice method=GET path=/b",
            ),
            (
                "[%X{req}] %d %p %m%n",
                "[r-1] 2023-04-11 20:34:00,635 INFO x",
                "[r-2] 2023-04-11 20:34:00,635 Info method=GET path=/b",
            ),
        ];
        for (layout, good, bad) in cases {
            let r = EntryReader::new(Arc::new(LayoutParser::compile(layout).unwrap()), 1000);
            let text = format!("{good}\n{bad}\n\tat x.y(Z.java:1)\n{good}\n");
            let (got, entries, run) = read(&r, text.as_bytes(), ChunkStart::FILE);
            assert_eq!(got, (4, 2, 1, 0, 0, 1, 0), "{layout}");
            assert_eq!(entries.iter().map(|e| e.0).collect::<Vec<_>>(), [1, 4]);
            assert_eq!(run.problems.kept.len(), 1, "{layout}");
            assert_eq!(run.problems.kept[0].line, 2);
            assert!(
                run.problems.kept[0]
                    .reason
                    .contains("does not match the layout: "),
                "{layout}: {}",
                run.problems.kept[0].reason
            );
        }
    }

    #[test]
    fn level_counts() {
        let mut levels = LevelCounts::default();
        levels.add(Some(b"INFO"));
        levels.add(Some(b"INFO"));
        levels.add(Some(b"ERROR"));
        levels.add(None);
        levels.add(Some(b"NOTICE"));
        assert_eq!(
            levels.iter().collect::<Vec<_>>(),
            [("INFO", 2), ("ERROR", 1), ("other", 1), ("-", 1)]
        );
        assert_eq!(
            (levels.get("INFO"), levels.get("WARN"), levels.total()),
            (2, 0, 5)
        );
        let mut twice = levels;
        twice.merge(&levels);
        assert_eq!(twice.get("-"), 2);
        assert_eq!(
            serde_json::to_string(&levels).unwrap(),
            r#"{"INFO":2,"ERROR":1,"other":1,"-":1}"#
        );
    }
}
