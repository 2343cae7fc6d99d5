//! An input's tally put together from its chunks' outcomes, in file order whatever order
//! the chunks were parsed in, so that results do not depend on chunking or threads.

use std::collections::BTreeMap;

use super::parse::ChunkOutcome;
use super::{FileTally, NoEntries};

/// An input's tally under construction.
#[derive(Default)]
pub(super) struct FileMerge {
    pub(super) tally: FileTally,
    pub(super) pending: BTreeMap<u64, ChunkOutcome>,
    pub(super) next: u64,
    pub(super) first_text: Option<String>,
    pub(super) stopped_early: bool,
}

impl FileMerge {
    pub(super) fn submit(&mut self, seq: u64, outcome: ChunkOutcome) {
        self.pending.insert(seq, outcome);
        while let Some(outcome) = self.pending.remove(&self.next) {
            self.next += 1;
            let base = self.tally.lines.lines;
            let mut problems = outcome.run.problems;
            for problem in &mut problems.kept {
                problem.line += base;
            }
            self.tally.problems.extend(problems);
            self.tally.lines.add(&outcome.run.counts);
            if self.first_text.is_none() {
                self.first_text = outcome.run.first_text;
            }
            let tally = &mut self.tally;
            tally.first = match (tally.first, outcome.first) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            tally.last = tally.last.max(outcome.last);
            tally.duplicates += outcome.duplicates;
        }
    }

    pub(super) fn finish(mut self) -> FileTally {
        debug_assert!(self.pending.is_empty(), "every chunk was merged");
        if self.tally.lines.entries == 0 {
            if let Some(first_line) = self.first_text {
                self.tally.no_entries = Some(NoEntries {
                    first_line,
                    stopped_early: self.stopped_early,
                });
            }
        }
        self.tally
    }
}
