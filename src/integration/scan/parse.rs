//! Parsing one run of lines (a chunk, or a whole buffer): entries, then the calls in
//! them, into a [`CallSink`], with the run's line accounting as the outcome.

use chrono::{NaiveDate, NaiveDateTime};

use super::CallSink;
use crate::accounting::{ProblemLog, PROBLEMS_KEPT};
use crate::integration::call::CallReader;
use crate::integration::entry::{line_problem, ChunkStart, EntryReader, LevelCounts, RunLines};
use crate::integration::message::{BadFields, FieldSources};
use crate::integration::overlap::OverlapFilter;

/// What a chunk held, to be merged into its input's tally in file order.
pub(super) struct ChunkOutcome {
    pub(super) run: RunLines,
    pub(super) first: Option<NaiveDateTime>,
    pub(super) last: Option<NaiveDateTime>,
    /// Entries left to another input that holds them too.
    pub(super) duplicates: u64,
}

/// Reads the entries of a run of lines into `partial`; returns its accounting. `day` is
/// the day of a time-only layout's entries; `overlap` is the input's index in the scan and
/// the filter of entries other inputs hold too.
#[allow(clippy::too_many_arguments)]
pub(super) fn parse_run<W: CallSink>(
    entries: &EntryReader,
    partial: &mut W,
    calls: &mut CallReader,
    run: &[u8],
    start: ChunkStart,
    cut_lines: &[(usize, u64)],
    name: &str,
    day: Option<NaiveDate>,
    overlap: (usize, Option<&OverlapFilter>),
) -> ChunkOutcome {
    let mut call_count = 0;
    let mut unreadable_fields = 0;
    let mut field_sources = FieldSources::default();
    let mut unreadable = ProblemLog::default();
    let mut informational = LevelCounts::default();
    let mut first: Option<NaiveDateTime> = None;
    let mut last: Option<NaiveDateTime> = None;
    let mut duplicates = 0;
    let mut lines = entries.read(run, start, cut_lines, name, |entry| {
        let dated;
        let header = match (day, entry.header.time_only) {
            // A time-only layout: the day comes from the file name or `--date`.
            (Some(day), Some(time)) if entry.header.local.is_none() => {
                let mut header = entry.header.clone();
                header.local = Some(day.and_time(time));
                dated = header;
                &dated
            }
            _ => &entry.header,
        };
        if let Some(time) = header.local {
            first = Some(first.map_or(time, |f| f.min(time)));
            last = Some(last.map_or(time, |l| l.max(time)));
        }
        // The line accounting describes the input as it is; an entry another input holds
        // too is accounted for here but counted in the figures once, from that input.
        let counted = match overlap {
            (file, Some(filter)) => filter.keeps(file, header),
            (_, None) => true,
        };
        if counted {
            partial.record_entry(header);
        } else {
            duplicates += 1;
        }
        // Matched by reference: moving the record out of the returned value copied it
        // through `memcpy` on every call (memmove fell from 9.75 % to 3.24 % of a scan's
        // samples).
        let bad = match &calls.read(header.message) {
            Some(call) => {
                call_count += 1;
                field_sources.merge(call.sources);
                if counted {
                    partial.record_call(header, call);
                }
                call.unreadable
            }
            None => {
                informational.add(header.level);
                BadFields::NONE
            }
        };
        if bad.any() {
            unreadable_fields += 1;
            unreadable.push(|| {
                let reasons: Vec<String> = calls
                    .unreadable_values(header.message, bad)
                    .iter()
                    .map(|u| u.reason())
                    .collect();
                line_problem(name, entry.line, reasons.join("; "), header.message)
            });
        }
    });
    if unreadable.total > 0 {
        // Both logs hold their first problems by line: merged and sorted, the first
        // problems of the run stay first.
        let problems = &mut lines.problems;
        problems.total += unreadable.total;
        problems.kept.extend(unreadable.kept);
        problems.kept.sort_by_key(|p| p.line);
        problems.kept.truncate(PROBLEMS_KEPT);
    }
    lines.counts.calls = call_count;
    lines.counts.unreadable_fields = unreadable_fields;
    lines.counts.field_sources = field_sources;
    lines.counts.informational = informational;
    ChunkOutcome {
        run: lines,
        first,
        last,
        duplicates,
    }
}
