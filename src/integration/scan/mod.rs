//! The parallel streaming scan of integration.log inputs: line accounting per input and
//! the aggregate of every REST call.
//!
//! Every input (plain file, gzip file, zip member, stdin) is read as a stream, in blocks of
//! about `chunk_bytes`. A block is cut at its last entry boundary (the start of a complete
//! line the layout accepts), so that an entry's continuation lines stay with it; the rest is
//! carried into the next block. Only an entry longer than a block is cut between two of its
//! lines, and then the next chunk is told it starts inside an entry, so the accounting does
//! not change. Chunks are parsed on the rayon pool the scan runs in (the global one, or one
//! installed by the caller) and their line accounting is merged per input in file order;
//! calls go into one partial aggregate per worker thread, merged at the end.
//!
//! Memory stays flat whatever the input size: at most `threads + 2` blocks exist at a time
//! (a reader waits for a free one; nothing blocks a pool thread, so a pool of one thread
//! works too), buffers are reused, at most `threads` inputs are open at once, and a line
//! longer than `max_line_bytes` is cut while it is read.
//!
//! Results are the same for any chunk size and any number of threads.
//!
//! What is done with the calls is up to a [`ScanSink`]: the scan is generic over it (and so
//! monomorphised: no dynamic call per line), with the call aggregate as the sink of
//! [`scan`], and per-call rows for `esmlog export` (`crate::export`). A sink that needs the
//! calls in input order is told when each chunk is done and how many chunks an input had.
//!
//! The parts, one file each: `reader.rs` reads an input and cuts it into chunks at entry
//! boundaries; `pool.rs` runs the readers and the chunk parses as jobs on the rayon pool
//! within the `threads + 2` blocks; `parse.rs` parses one chunk into a sink; `merge.rs` puts
//! each input's chunk outcomes back together in file order; `sink.rs` holds the sink traits
//! and the aggregate sink. This file holds what callers use: the options, the results and
//! the entry points.

mod merge;
mod parse;
mod pool;
mod reader;
mod sink;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io::{Cursor, Read};
use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use super::aggregate::{CallAggregate, Dim, PartialAggregate};
use super::call::{CallReader, MessagePattern};
use super::entry::{ChunkStart, EntryReader, LineAccounting};
use super::layout::LayoutParser;
use super::message::DurationUnit;
use super::overlap::{overlap_windows, OverlapFilter, Window};
use crate::accounting::ProblemLog;
use crate::error::SourceError;
use crate::ingest::IntegrationInput;
use merge::FileMerge;
use parse::parse_run;
use pool::run;
use reader::{Classify, Opener};
use sink::{empty_aggregate, AggregateSink};

pub use sink::{CallSink, ScanSink};

/// The default block size.
/// Small enough that `threads + 2` blocks stay a few MiB; large enough that the per-chunk
/// work (a carried partial line, a lock, a job) is lost in the parse.
pub const DEFAULT_CHUNK_BYTES: usize = 2 << 20;

/// The default longest line read whole.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Reading an input stops when this much of it holds no entry: the layout does not fit.
pub const NO_ENTRY_LIMIT: u64 = 1 << 20;

/// Called with the number of bytes (decompressed) just parsed, from any thread.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How to scan.
#[derive(Clone)]
pub struct ScanOptions {
    /// The layout the entries were written with.
    pub layout: Arc<LayoutParser>,
    /// Reads messages with this pattern instead of as `key=value` pairs.
    pub message_pattern: Option<Arc<MessagePattern>>,
    /// The unit of durations written as bare numbers.
    pub duration_unit: DurationUnit,
    /// The day of the entries of a time-only layout (`%d{ABSOLUTE}`) in inputs whose name
    /// has no date (`--date`); see [`day_of_input`].
    pub date: Option<NaiveDate>,
    /// What to group calls by, in order.
    pub dims: Vec<Dim>,
    /// Block size; any size gives the same results (small ones are slow).
    pub chunk_bytes: usize,
    /// Lines longer than this are read as their first `max_line_bytes` bytes and reported.
    pub max_line_bytes: usize,
    /// Keep the per-minute table of failures (user, endpoint, status) that names the cause
    /// of rejection spikes; reports that do not show it save its memory and time.
    pub failures: bool,
    /// Redact secrets in the strings of the aggregate (formats.md section 3); problems'
    /// line excerpts are always redacted.
    pub redact: bool,
    /// Told about progress, see [`Progress`].
    pub progress: Option<Progress>,
    /// Entries in stretches where inputs overlap count from one input only (set by
    /// [`scan`] when it finds such stretches; see [`super::overlap`]).
    pub overlap: Option<Arc<OverlapFilter>>,
    /// The calls the groups and statuses count (`--since`, `--until`, `--last`); minutes
    /// and failures keep every call, for the baselines of spikes. The line accounting
    /// always describes the whole input.
    pub window: crate::calendar::TimeRange,
}

impl ScanOptions {
    /// Options with `layout` and the defaults: key=value messages, no grouping, 2 MiB
    /// blocks, 1 MiB lines, redaction on, no progress.
    pub fn new(layout: Arc<LayoutParser>) -> ScanOptions {
        ScanOptions {
            layout,
            message_pattern: None,
            duration_unit: DurationUnit::Ms,
            date: None,
            dims: Vec::new(),
            chunk_bytes: DEFAULT_CHUNK_BYTES,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            failures: true,
            redact: true,
            progress: None,
            overlap: None,
            window: crate::calendar::TimeRange::ALL,
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions::new(Arc::new(LayoutParser::default()))
    }
}

impl fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScanOptions")
            .field("layout", &self.layout.pattern())
            .field(
                "message_pattern",
                &self.message_pattern.as_ref().map(|p| p.to_string()),
            )
            .field("duration_unit", &self.duration_unit)
            .field("date", &self.date)
            .field("dims", &self.dims)
            .field("chunk_bytes", &self.chunk_bytes)
            .field("max_line_bytes", &self.max_line_bytes)
            .field("failures", &self.failures)
            .field("redact", &self.redact)
            .field("progress", &self.progress.is_some())
            .field("window", &self.window)
            .finish()
    }
}

/// An input in which the layout matched no line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoEntries {
    /// Its first non-blank line, redacted and cut short.
    pub first_line: String,
    /// Reading stopped after [`NO_ENTRY_LIMIT`] bytes without an entry, so the line
    /// counts cover only that much.
    pub stopped_early: bool,
}

impl fmt::Display for NoEntries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the layout matched no line; first line: `{}`; give --layout with the pattern the log was written with",
            self.first_line
        )?;
        if self.stopped_early {
            write!(f, " (stopped reading after {} MiB)", NO_ENTRY_LIMIT >> 20)?;
        }
        Ok(())
    }
}

/// What became of one input.
#[derive(Debug, Clone, Default)]
pub struct FileTally {
    /// The input's name as the user knows it.
    pub name: String,
    /// Its line accounting.
    pub lines: LineAccounting,
    /// Its orphan, suspicious and oversized lines: the first few whole, all counted.
    pub problems: ProblemLog,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// The earliest wall-clock time of its entries.
    pub first: Option<NaiveDateTime>,
    /// The latest.
    pub last: Option<NaiveDateTime>,
    /// Set when it has lines but no entry: the layout does not fit it.
    pub no_entries: Option<NoEntries>,
    /// Entries also found in another input (overlapping rotated copies), counted there.
    pub duplicates: u64,
}

/// Everything a scan found.
#[derive(Debug, Default)]
pub struct ScanResult {
    /// Every call of every input, aggregated.
    pub calls: CallAggregate,
    /// One per input, in the order given.
    pub files: Vec<FileTally>,
    /// Inputs that could not be opened or read to their end (what was read still counts),
    /// in input order.
    pub errors: Vec<SourceError>,
    /// Inputs overlap in time, but one of them (stdin) cannot be read again: entries they
    /// share may count twice.
    pub overlap_unmerged: bool,
}

impl ScanResult {
    /// The line accounting of all inputs together.
    pub fn line_totals(&self) -> LineAccounting {
        let mut total = LineAccounting::default();
        for file in &self.files {
            total.add(&file.lines);
        }
        total
    }
}

/// What a scan into a [`ScanSink`] found besides the calls.
#[derive(Debug, Default)]
pub struct SinkScan<W> {
    /// The per-thread sinks, in no particular order.
    pub workers: Vec<W>,
    /// One per input, in the order given.
    pub files: Vec<FileTally>,
    /// Inputs that could not be opened or read to their end, in input order.
    pub errors: Vec<SourceError>,
}

/// Scans sniffed integration.log inputs into `sink` (see [`scan`]).
pub fn scan_into<S: ScanSink>(
    inputs: Vec<IntegrationInput>,
    options: &ScanOptions,
    sink: &S,
) -> SinkScan<S::Worker> {
    run(sources_of(inputs), options, sink)
}

fn sources_of(inputs: Vec<IntegrationInput>) -> Vec<(String, Opener)> {
    inputs
        .into_iter()
        .map(|i| {
            let name = i.input.name.clone();
            let opener = match i.stream {
                Some(stream) => Opener::Ready(
                    Box::new(Cursor::new(i.head).chain(stream)),
                    Box::new(move |e| i.input.classify_read_error(e)),
                ),
                None => Opener::Input(i.input),
            };
            (name, opener)
        })
        .collect()
}

/// The aggregate of a scan: the per-thread aggregates merged.
fn aggregate(scanned: SinkScan<PartialAggregate>, options: &ScanOptions) -> ScanResult {
    let mut workers = scanned.workers.into_iter();
    let mut partial = workers.next().unwrap_or_else(|| empty_aggregate(options));
    for other in workers {
        partial.merge(&other);
    }
    ScanResult {
        calls: partial.finish(options.redact),
        files: scanned.files,
        errors: scanned.errors,
        overlap_unmerged: false,
    }
}

/// Scans sniffed integration.log inputs. Runs on the rayon pool it is called from (use
/// `ThreadPool::install` to choose one). Plain files, gzip files and zip members are
/// opened again from their start; stdin goes on from its sniffed head.
///
/// An entry found in several inputs counts once: when the inputs' time spans overlap, the
/// overlapping stretch is read again to count each entry from one input (see
/// [`super::overlap`]); each input's `duplicates` says how many it gave up. When an input
/// cannot be read again (stdin), overlaps count twice and `overlap_unmerged` says so.
pub fn scan(inputs: Vec<IntegrationInput>, options: &ScanOptions) -> ScanResult {
    let again: Vec<Option<IntegrationInput>> = if inputs.len() > 1 {
        inputs.iter().map(IntegrationInput::again).collect()
    } else {
        Vec::new()
    };
    let sink = AggregateSink { options };
    let mut first = aggregate(run(sources_of(inputs), options, &sink), options);
    let windows = overlaps_of(&first.files);
    first.overlap_unmerged = !windows.is_empty() && again.iter().any(Option::is_none);
    match overlap_filter(windows, &again, options) {
        Some(filter) => {
            let inputs = again.into_iter().flatten().collect();
            let options = ScanOptions {
                overlap: Some(Arc::new(filter)),
                ..options.clone()
            };
            let sink = AggregateSink { options: &options };
            aggregate(run(sources_of(inputs), &options, &sink), &options)
        }
        None => first,
    }
}

/// Where the time spans of the scanned inputs overlap.
pub fn overlaps_of(files: &[FileTally]) -> Vec<Window> {
    let spans: Vec<_> = files.iter().map(|f| f.first.zip(f.last)).collect();
    overlap_windows(&spans)
}

/// For the overlap `windows` of the inputs `again` (each to be read again), the filter that
/// counts each entry of an overlap from one input, after a census of the overlapping
/// inputs; none when nothing overlaps, or when an input cannot be read again.
fn overlap_filter(
    windows: Vec<Window>,
    again: &[Option<IntegrationInput>],
    options: &ScanOptions,
) -> Option<OverlapFilter> {
    // The last scan reads every input again, so every one must be readable again.
    if windows.is_empty() || again.iter().any(Option::is_none) {
        return None;
    }
    let mut involved: Vec<usize> = windows.iter().flat_map(|w| w.files.clone()).collect();
    involved.sort_unstable();
    involved.dedup();
    let inputs: Vec<IntegrationInput> = involved
        .iter()
        .filter_map(|&i| again[i].as_ref().and_then(IntegrationInput::again))
        .collect();
    let census = Arc::new(OverlapFilter::census(windows, involved));
    let census_options = ScanOptions {
        dims: Vec::new(),
        failures: false,
        progress: None,
        overlap: Some(census.clone()),
        ..options.clone()
    };
    let sink = AggregateSink {
        options: &census_options,
    };
    drop(run(sources_of(inputs), &census_options, &sink));
    drop(census_options);
    let census = Arc::into_inner(census)?;
    Some(census.keeping((0..again.len()).collect()))
}

/// Scans byte streams that are already open (for benchmarks and tests): read errors are
/// reported as unreadable inputs.
pub fn scan_readers(
    streams: Vec<(String, Box<dyn Read + Send>)>,
    options: &ScanOptions,
) -> ScanResult {
    let sources = streams
        .into_iter()
        .map(|(name, stream)| {
            let path = name.clone();
            let classify: Classify = Box::new(move |source| SourceError::Unreadable {
                path: path.clone(),
                source,
            });
            (name, Opener::Ready(stream, classify))
        })
        .collect();
    let sink = AggregateSink { options };
    aggregate(run(sources, options, &sink), options)
}

/// A `yyyy-MM-dd` date in an input's file name (`integration.log.2023-10-09`,
/// `integration.log.2023-10-09.gz`, `logs/2023-10-09/integration.log`), the last one when
/// there are several.
pub fn date_in_file_name(name: &str) -> Option<NaiveDate> {
    let bytes = name.as_bytes();
    (0..bytes.len().saturating_sub(9)).rev().find_map(|i| {
        let window = &bytes[i..i + 10];
        let shaped = window.iter().enumerate().all(|(k, &b)| match k {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
        let alone = |b: Option<&u8>| !b.is_some_and(u8::is_ascii_digit);
        (shaped && alone(i.checked_sub(1).map(|j| &bytes[j])) && alone(bytes.get(i + 10)))
            .then(|| NaiveDate::parse_from_str(std::str::from_utf8(window).ok()?, "%Y-%m-%d").ok())
            .flatten()
    })
}

/// The day of an input's entries when the layout writes only the time of day: from the
/// file name, else `--date`; None for layouts with a date.
pub fn day_of_input(name: &str, options: &ScanOptions) -> Option<NaiveDate> {
    if !options.layout.is_time_only() {
        return None;
    }
    date_in_file_name(name).or(options.date)
}

/// Parses a whole buffer as one input on the current thread, without chunking: the
/// reference the chunked scan must agree with, and a way to time the parse alone.
pub fn scan_buffer(name: &str, bytes: &[u8], options: &ScanOptions) -> (FileTally, CallAggregate) {
    let entries = EntryReader::new(options.layout.clone(), options.max_line_bytes);
    let mut partial = empty_aggregate(options);
    let mut calls = CallReader::new(options.message_pattern.as_deref())
        .with_endpoints(partial.endpoints_needed())
        .with_duration_unit(options.duration_unit);
    let outcome = parse_run(
        &entries,
        &mut partial,
        &mut calls,
        bytes,
        ChunkStart::FILE,
        &[],
        name,
        day_of_input(name, options),
        (0, options.overlap.as_deref()),
    );
    let mut file = FileMerge {
        tally: FileTally {
            name: name.to_owned(),
            bytes: bytes.len() as u64,
            ..FileTally::default()
        },
        ..FileMerge::default()
    };
    file.submit(0, outcome);
    (file.finish(), partial.finish(options.redact))
}
