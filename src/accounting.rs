//! Line accounting: every line read is parsed, or counted and reported with its file, line
//! number and reason.

use serde::Serialize;

/// How many problems per file are kept with their text; the rest are only counted.
pub const PROBLEMS_KEPT: usize = 20;

/// A line that could not be used.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LineProblem {
    pub file: String,
    pub line: u64,
    pub reason: String,
    /// The line, cut short and with secrets redacted.
    pub text: String,
}

/// What became of the lines of one input.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct LineTally {
    pub lines: u64,
    pub parsed: u64,
    pub blank: u64,
    pub malformed: u64,
    /// Parsed lines already seen in another input (overlapping rotations), counted once.
    pub duplicates: u64,
}

impl LineTally {
    pub fn add(&mut self, other: &LineTally) {
        self.lines += other.lines;
        self.parsed += other.parsed;
        self.blank += other.blank;
        self.malformed += other.malformed;
        self.duplicates += other.duplicates;
    }
}

/// The problems found in one input: the first few kept whole, all of them counted.
#[derive(Debug, Clone, Default)]
pub struct ProblemLog {
    pub kept: Vec<LineProblem>,
    pub total: u64,
}

impl ProblemLog {
    pub fn push(&mut self, problem: impl FnOnce() -> LineProblem) {
        self.total += 1;
        if self.kept.len() < PROBLEMS_KEPT {
            self.kept.push(problem());
        }
    }

    pub fn extend(&mut self, other: ProblemLog) {
        self.total += other.total;
        let room = PROBLEMS_KEPT.saturating_sub(self.kept.len());
        self.kept.extend(other.kept.into_iter().take(room));
    }
}
