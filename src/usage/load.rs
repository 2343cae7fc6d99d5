//! Reads usage-log bytes into records, accounting for every line.

use super::line::{parse_usage_line, UsageBody};
use crate::accounting::{LineProblem, LineTally, ProblemLog};
use crate::lines::{excerpt, LineSplitter};
use crate::redact::redact;
use chrono::NaiveDateTime;

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

/// Parses a whole usage log held in memory (usage logs are small: a line per 1000 calls).
pub fn parse_usage_bytes(name: &str, buf: &[u8]) -> UsageFile {
    let mut file = UsageFile {
        name: name.to_string(),
        ..UsageFile::default()
    };
    for (number, line) in LineSplitter::new(buf) {
        file.tally.lines += 1;
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            file.tally.blank += 1;
            continue;
        }
        match parse_usage_line(line) {
            Ok(parsed) => {
                file.tally.parsed += 1;
                file.records.push(UsageRecord {
                    stamp: parsed.stamp,
                    body: parsed.body,
                    line: number,
                });
            }
            Err(fault) => {
                file.tally.malformed += 1;
                file.problems.push(|| LineProblem {
                    file: name.to_string(),
                    line: number,
                    reason: fault.to_string(),
                    text: redact(&excerpt(line, 200)).into_owned(),
                });
            }
        }
    }
    file
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
    fn sniffs_usage_content() {
        assert!(looks_like_usage(
            b"\n2023-04-17 00:00:00,145|Statistics reset\n"
        ));
        assert!(!looks_like_usage(
            b"2023-04-11 20:34:00,635 INFO  [main] com.efecte.X - started\n"
        ));
    }
}
