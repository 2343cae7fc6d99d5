//! Reads usage-log bytes into records, accounting for every line.

use super::line::{parse_usage_line, UsageBody};
use crate::accounting::{LineProblem, LineTally, ProblemLog};
use crate::lines::{excerpt, LineSplitter, BOM};
use crate::redact::redact;
use crate::render::thousands;
use chrono::NaiveDateTime;
use std::io::{self, BufRead};

/// One parsed line with where it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageRecord {
    pub stamp: NaiveDateTime,
    pub body: UsageBody,
    /// Line number in its file, from 1.
    pub line: u64,
}

/// The parsed content of one usage-log input, in the order it was written.
#[derive(Debug, Clone, Default)]
pub struct UsageFile {
    pub name: String,
    pub records: Vec<UsageRecord>,
    pub tally: LineTally,
    pub problems: ProblemLog,
}

/// The longest usage-log line read whole. A usage line is under 100 bytes, so a longer one
/// is not a usage line: it is counted as malformed and skipped to its end without being
/// held in memory, so that a hostile file cannot make esmlog hold it whole.
pub const MAX_USAGE_LINE: usize = 64 << 10;

impl UsageFile {
    fn new(name: &str) -> UsageFile {
        UsageFile {
            name: name.to_string(),
            ..UsageFile::default()
        }
    }

    /// Accounts for line `number` (without its line end); `length` is its length when it
    /// was longer than [`MAX_USAGE_LINE`] and only its start is given.
    fn push_line(&mut self, number: u64, line: &[u8], length: Option<u64>) {
        self.tally.lines += 1;
        if let Some(length) = length {
            self.tally.malformed += 1;
            let name = &self.name;
            self.problems.push(|| LineProblem {
                file: name.clone(),
                line: number,
                reason: format!(
                    "line of {} bytes, longer than the {} byte limit; not a usage line",
                    thousands(length),
                    thousands(MAX_USAGE_LINE as u64)
                ),
                text: redact(&excerpt(line, 200)).into_owned(),
            });
            return;
        }
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            self.tally.blank += 1;
            return;
        }
        match parse_usage_line(line) {
            Ok(parsed) => {
                self.tally.parsed += 1;
                self.records.push(UsageRecord {
                    stamp: parsed.stamp,
                    body: parsed.body,
                    line: number,
                });
            }
            Err(fault) => {
                self.tally.malformed += 1;
                let name = &self.name;
                self.problems.push(|| LineProblem {
                    file: name.clone(),
                    line: number,
                    reason: fault.to_string(),
                    text: redact(&excerpt(line, 200)).into_owned(),
                });
            }
        }
    }
}

/// Parses a whole usage log held in memory (usage logs are small: a line per 1000 calls).
pub fn parse_usage_bytes(name: &str, buf: &[u8]) -> UsageFile {
    let mut file = UsageFile::new(name);
    for (number, line) in LineSplitter::new(buf) {
        file.push_line(number, line, None);
    }
    file
}

/// Parses a usage log from a stream, line by line, holding at most [`MAX_USAGE_LINE`] bytes
/// of a line: the same lines and figures as [`parse_usage_bytes`] of the whole, in bounded
/// memory. A read error ends the file; what was read before it still counts.
pub fn parse_usage_reader(name: &str, mut reader: impl BufRead) -> (UsageFile, io::Result<()>) {
    let mut file = UsageFile::new(name);
    let mut line = Vec::new();
    // The line's whole length, which goes on growing past what is kept.
    let mut length = 0u64;
    let mut number = 0u64;
    let mut finish = |file: &mut UsageFile, line: &mut Vec<u8>, length: &mut u64| {
        number += 1;
        let mut text = &line[..];
        if number == 1 {
            text = text.strip_prefix(BOM).unwrap_or(text);
        }
        let oversized = *length > MAX_USAGE_LINE as u64;
        if !oversized {
            text = text.strip_suffix(b"\r").unwrap_or(text);
        }
        file.push_line(number, text, oversized.then_some(*length));
        line.clear();
        *length = 0;
    };
    loop {
        let buf = match reader.fill_buf() {
            Ok([]) => break,
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if length > 0 {
                    finish(&mut file, &mut line, &mut length);
                }
                return (file, Err(e));
            }
        };
        let (piece, end_of_line) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..i], true),
            None => (buf, false),
        };
        let room = (MAX_USAGE_LINE + 1).saturating_sub(line.len());
        line.extend_from_slice(&piece[..piece.len().min(room)]);
        length += piece.len() as u64;
        let used = piece.len() + usize::from(end_of_line);
        reader.consume(used);
        if end_of_line {
            finish(&mut file, &mut line, &mut length);
        }
    }
    if length > 0 {
        finish(&mut file, &mut line, &mut length);
    }
    (file, Ok(()))
}

/// Whether a file's first lines look like a usage log: one of the first non-blank lines parses.
pub fn looks_like_usage(head: &[u8]) -> bool {
    LineSplitter::new(head)
        .filter(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
        .take(10)
        .any(|(_, l)| parse_usage_line(l).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_is_accounted_for() {
        let text = "\u{feff}2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300\r\n\
                    \n\
                    junk password=hunter2\n\
                    2023-04-17 00:00:00,145|Statistics reset";
        let file = parse_usage_bytes("u.log", text.as_bytes());
        assert_eq!(file.tally.lines, 4);
        assert_eq!(file.tally.parsed, 2);
        assert_eq!(file.tally.blank, 1);
        assert_eq!(file.tally.malformed, 1);
        assert_eq!(file.problems.kept[0].line, 3);
        assert!(!file.problems.kept[0].text.contains("hunter2"));
        assert_eq!(file.records[1].line, 4);
    }

    #[test]
    fn streams_the_same_lines_in_bounded_memory() {
        let long = "x".repeat(MAX_USAGE_LINE * 3);
        let text = format!(
            "\u{feff}2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300\r\n\
             \n{long}\r\nbad\r\n2023-04-17 00:00:00,145|Statistics reset"
        );
        let whole = parse_usage_bytes("u.log", text.as_bytes());
        for capacity in [1, 7, 4096, 1 << 20] {
            let reader = io::BufReader::with_capacity(capacity, text.as_bytes());
            let (file, result) = parse_usage_reader("u.log", reader);
            assert!(result.is_ok());
            assert_eq!(file.records, whole.records, "{capacity}");
            assert_eq!(file.tally, whole.tally, "{capacity}");
            assert_eq!(file.tally.malformed, 2);
            let reason = &file.problems.kept[0].reason;
            assert!(
                reason.contains(&format!(
                    "line of {} bytes",
                    thousands(long.len() as u64 + 1)
                )),
                "{reason}"
            );
            assert!(file.problems.kept[0].text.len() < 300);
            assert_eq!(file.problems.kept[1].line, 4);
        }
    }

    #[test]
    fn sniffs_usage_content() {
        assert!(looks_like_usage(
            b"\n2023-04-17 00:00:00,145|Statistics reset\n"
        ));
        assert!(!looks_like_usage(
            b"2023-04-11 20:34:00,635 INFO  [main] com.efecte.X - started\n"
        ));
    }
}
