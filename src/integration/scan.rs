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

use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::io::{self, Cursor, Read};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{NaiveDate, NaiveDateTime};
use memchr::{memchr, memrchr};
use rayon::Scope;

use super::aggregate::{CallAggregate, Dim, PartialAggregate};
use super::call::{CallReader, CallRecord, Endpoints, MessagePattern};
use super::entry::{line_problem, ChunkStart, EntryReader, LevelCounts, LineAccounting, RunLines};
use super::layout::{Header, LayoutParser};
use super::message::{BadFields, DurationUnit, FieldSources};
use super::overlap::{overlap_windows, OverlapFilter, Window};
use crate::accounting::{ProblemLog, PROBLEMS_KEPT};
use crate::error::SourceError;
use crate::ingest::IntegrationInput;

/// The default block size.
/// Small enough that `threads + 2` blocks stay a few MiB; large enough that the per-chunk
/// work (a carried partial line, a lock, a job) is lost in the parse.
pub const DEFAULT_CHUNK_BYTES: usize = 2 << 20;

/// The default longest line read whole.
pub const DEFAULT_MAX_LINE_BYTES: usize = 1 << 20;

/// Reading an input stops when this much of it holds no entry: the layout does not fit.
pub const NO_ENTRY_LIMIT: u64 = 1 << 20;

/// How much is read at a time while skipping the rest of an oversized line.
const SKIP_READ: usize = 64 << 10;

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

/// One worker thread's share of what a scan reads: fed every entry and every call of the
/// chunks that thread parses, in the order they appear within a chunk.
pub trait CallSink: Send {
    /// Which calls the call reader must work out the endpoint of for this sink.
    fn endpoints_needed(&self) -> Endpoints;
    /// Any entry, call or not.
    fn record_entry(&mut self, header: &Header<'_>);
    /// A call, with the header of its entry (time, offset, level).
    fn record_call(&mut self, header: &Header<'_>, call: &CallRecord<'_>);
}

/// What a scan hands its calls to: makes one [`CallSink`] per worker thread and is told
/// when chunks and inputs are done, so that a sink can put calls back in input order.
pub trait ScanSink: Sync {
    /// The per-thread part.
    type Worker: CallSink;
    /// A fresh per-thread part.
    fn worker(&self) -> Self::Worker;
    /// `worker` has just parsed chunk `seq` (0, 1, …) of input `file` (its index among the
    /// inputs); called on the parsing thread, before the worker parses anything else.
    ///
    /// Returns how many chunks the sink is done with, this one and any it held back: each
    /// frees a block for the readers. A sink that keeps a chunk's output back until the
    /// chunks before it arrive returns 0 for it, and counts it when it lets it go; so what it
    /// holds counts against the `threads + 2` blocks and the readers cannot run ahead of it.
    #[inline]
    fn chunk_done(&self, _worker: &mut Self::Worker, _file: usize, _seq: u64) -> usize {
        1
    }
    /// Input `file` was cut into `chunks` chunks (some may still be being parsed).
    #[inline]
    fn file_done(&self, _file: usize, _chunks: u64) {}
}

impl CallSink for PartialAggregate {
    #[inline]
    fn endpoints_needed(&self) -> Endpoints {
        PartialAggregate::endpoints_needed(self)
    }

    #[inline]
    fn record_entry(&mut self, header: &Header<'_>) {
        PartialAggregate::record_entry(self, header);
    }

    #[inline]
    fn record_call(&mut self, header: &Header<'_>, call: &CallRecord<'_>) {
        PartialAggregate::record_call(self, header.local, call);
    }
}

/// The sink of [`scan`]: one partial aggregate per thread, merged at the end.
struct AggregateSink<'a> {
    options: &'a ScanOptions,
}

impl ScanSink for AggregateSink<'_> {
    type Worker = PartialAggregate;

    fn worker(&self) -> PartialAggregate {
        empty_aggregate(self.options)
    }
}

/// An aggregate with nothing in it yet, keeping what `options` asks for.
fn empty_aggregate(options: &ScanOptions) -> PartialAggregate {
    PartialAggregate::new(&options.dims)
        .with_failures(options.failures)
        .with_window(options.window)
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

type Classify = Box<dyn Fn(io::Error) -> SourceError + Send>;

enum Opener {
    Input(crate::source::Input),
    Ready(Box<dyn Read + Send>, Classify),
}

struct Pending {
    index: usize,
    name: String,
    opener: Opener,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in a job is re-raised by the scope; the data is not looked at again then.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A worker thread's share of the calls.
struct Worker<W> {
    sink: W,
    calls: CallReader,
}

/// A block of input, cut at a line start, with what its parse needs to know.
struct Chunk {
    file: usize,
    name: Arc<str>,
    seq: u64,
    buf: Vec<u8>,
    len: usize,
    start: ChunkStart,
    /// Lines the reader cut to the maximum while reading: (offset, length).
    cut_lines: Vec<(usize, u64)>,
}

/// What a chunk held, to be merged into its input's tally in file order.
struct ChunkOutcome {
    run: RunLines,
    first: Option<NaiveDateTime>,
    last: Option<NaiveDateTime>,
    /// Entries left to another input that holds them too.
    duplicates: u64,
}

/// An input's tally under construction.
#[derive(Default)]
struct FileMerge {
    tally: FileTally,
    pending: BTreeMap<u64, ChunkOutcome>,
    next: u64,
    first_text: Option<String>,
    stopped_early: bool,
}

impl FileMerge {
    fn submit(&mut self, seq: u64, outcome: ChunkOutcome) {
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

    fn finish(mut self) -> FileTally {
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

/// Blocks that may exist at once, and the readers waiting for one.
struct Slots {
    free: usize,
    parked: VecDeque<FileReader>,
}

/// What the jobs of one scan share.
struct Shared<'o, S: ScanSink> {
    options: &'o ScanOptions,
    sink: &'o S,
    entries: EntryReader,
    workers: Vec<Mutex<Worker<S::Worker>>>,
    slots: Mutex<Slots>,
    queue: Mutex<VecDeque<Pending>>,
    files: Vec<Mutex<FileMerge>>,
    buffers: Mutex<Vec<Vec<u8>>>,
    errors: Mutex<Vec<(usize, SourceError)>>,
}

fn run<S: ScanSink>(
    sources: Vec<(String, Opener)>,
    options: &ScanOptions,
    sink: &S,
) -> SinkScan<S::Worker> {
    let threads = rayon::current_num_threads().max(1);
    let pattern = options.message_pattern.as_deref();
    let shared = Shared {
        options,
        sink,
        entries: EntryReader::new(options.layout.clone(), options.max_line_bytes),
        workers: (0..threads)
            .map(|_| {
                let sink = sink.worker();
                let calls = CallReader::new(pattern)
                    .with_endpoints(sink.endpoints_needed())
                    .with_duration_unit(options.duration_unit);
                Mutex::new(Worker { sink, calls })
            })
            .collect(),
        slots: Mutex::new(Slots {
            free: threads + 2,
            parked: VecDeque::new(),
        }),
        files: sources
            .iter()
            .map(|(name, _)| {
                Mutex::new(FileMerge {
                    tally: FileTally {
                        name: name.clone(),
                        ..FileTally::default()
                    },
                    ..FileMerge::default()
                })
            })
            .collect(),
        queue: Mutex::new(
            sources
                .into_iter()
                .enumerate()
                .map(|(index, (name, opener))| Pending {
                    index,
                    name,
                    opener,
                })
                .collect(),
        ),
        buffers: Mutex::new(Vec::new()),
        errors: Mutex::new(Vec::new()),
    };
    rayon::in_place_scope(|scope| {
        let shared = &shared;
        for _ in 0..threads {
            scope.spawn(move |scope| {
                if let Some(reader) = shared.open_next() {
                    shared.run_reader(scope, reader, false);
                }
            });
        }
    });

    let Shared {
        workers,
        files,
        errors,
        buffers,
        ..
    } = shared;
    drop(buffers);
    let workers = workers
        .into_iter()
        .map(|w| w.into_inner().unwrap_or_else(PoisonError::into_inner).sink)
        .collect();
    let mut errors = errors.into_inner().unwrap_or_else(PoisonError::into_inner);
    errors.sort_by_key(|(index, _)| *index);
    SinkScan {
        workers,
        files: files
            .into_iter()
            .map(|f| {
                f.into_inner()
                    .unwrap_or_else(PoisonError::into_inner)
                    .finish()
            })
            .collect(),
        errors: errors.into_iter().map(|(_, e)| e).collect(),
    }
}

impl<'o, S: ScanSink> Shared<'o, S> {
    /// Opens the next input not yet read; inputs that cannot be opened are reported.
    fn open_next(&self) -> Option<FileReader> {
        loop {
            let pending = lock(&self.queue).pop_front()?;
            let (source, classify): (Box<dyn Read + Send>, Classify) = match pending.opener {
                Opener::Ready(source, classify) => (source, classify),
                Opener::Input(input) => match input.open() {
                    Ok(source) => (source, Box::new(move |e| input.classify_read_error(e))),
                    Err(e) => {
                        lock(&self.errors).push((pending.index, e));
                        continue;
                    }
                },
            };
            return Some(FileReader::new(
                pending.index,
                pending.name,
                source,
                classify,
            ));
        }
    }

    /// Takes a block for `reader`, or parks it until one is freed.
    fn acquire_or_park(&self, reader: FileReader) -> Option<FileReader> {
        let mut slots = lock(&self.slots);
        if slots.free > 0 {
            slots.free -= 1;
            Some(reader)
        } else {
            slots.parked.push_back(reader);
            None
        }
    }

    /// Frees a block: a parked reader gets it at once.
    fn release<'s>(&'s self, scope: &Scope<'s>) {
        let woken = {
            let mut slots = lock(&self.slots);
            let woken = slots.parked.pop_front();
            if woken.is_none() {
                slots.free += 1;
            }
            woken
        };
        if let Some(reader) = woken {
            scope.spawn(move |scope| self.run_reader(scope, reader, true));
        }
    }

    /// Reads blocks of an input while blocks are free, handing each to a parse job; then
    /// goes on with the next input.
    fn run_reader<'s>(&'s self, scope: &Scope<'s>, mut reader: FileReader, mut has_slot: bool) {
        loop {
            if !has_slot {
                match self.acquire_or_park(reader) {
                    Some(r) => reader = r,
                    None => return,
                }
            }
            has_slot = false;
            match reader.next_chunk(self) {
                Some(chunk) => scope.spawn(move |scope| self.run_chunk(scope, chunk)),
                None => {
                    self.release(scope);
                    self.finish_reader(reader);
                    match self.open_next() {
                        Some(next) => reader = next,
                        None => return,
                    }
                }
            }
        }
    }

    fn finish_reader(&self, reader: FileReader) {
        let mut file = lock(&self.files[reader.index]);
        file.tally.bytes = reader.read;
        file.stopped_early = reader.stopped_early;
        if let Some(error) = reader.error {
            lock(&self.errors).push((reader.index, error));
        }
        drop(file);
        self.sink.file_done(reader.index, reader.seq);
    }

    fn run_chunk<'s>(&'s self, scope: &Scope<'s>, chunk: Chunk) {
        let (outcome, done) = self.parse(&chunk);
        let Chunk {
            file,
            seq,
            buf,
            len,
            ..
        } = chunk;
        lock(&self.buffers).push(buf);
        lock(&self.files[file]).submit(seq, outcome);
        for _ in 0..done {
            self.release(scope);
        }
        if let Some(progress) = &self.options.progress {
            progress(len as u64);
        }
    }

    /// Parses a chunk into this thread's sink; also returns how many chunks the sink let go.
    fn parse(&self, chunk: &Chunk) -> (ChunkOutcome, usize) {
        let index = rayon::current_thread_index().unwrap_or(0) % self.workers.len();
        let mut worker = lock(&self.workers[index]);
        let Worker { sink, calls } = &mut *worker;
        let outcome = parse_run(
            &self.entries,
            sink,
            calls,
            &chunk.buf[..chunk.len],
            chunk.start,
            &chunk.cut_lines,
            &chunk.name,
            day_of_input(&chunk.name, self.options),
            (chunk.file, self.options.overlap.as_deref()),
        );
        let done = self.sink.chunk_done(sink, chunk.file, chunk.seq);
        (outcome, done)
    }

    fn take_buffer(&self) -> Vec<u8> {
        lock(&self.buffers).pop().unwrap_or_default()
    }
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

/// Reads the entries of a run of lines into `partial`; returns its accounting. `day` is
/// the day of a time-only layout's entries; `overlap` is the input's index in the scan and
/// the filter of entries other inputs hold too.
#[allow(clippy::too_many_arguments)]
fn parse_run<W: CallSink>(
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
        let bad = match calls.read(header.message) {
            Some(call) => {
                call_count += 1;
                field_sources.merge(call.sources);
                if counted {
                    partial.record_call(header, &call);
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

/// Zero-extends `buf` to `len` bytes without the doubling of `Vec::resize`: blocks are
/// sized to the chunk, and a doubled block would double the scan's memory. The capacity is
/// rounded up so that a block reused with a slightly longer carry is not reallocated.
fn grow_exact(buf: &mut Vec<u8>, len: usize) {
    const SLACK: usize = 64 << 10;
    if buf.capacity() < len {
        buf.reserve_exact(len.next_multiple_of(SLACK) - buf.len());
    }
    buf.resize(len, 0);
}

/// Reads one input block by block and cuts it into chunks.
struct FileReader {
    index: usize,
    name: Arc<str>,
    source: Box<dyn Read + Send>,
    classify: Classify,
    /// `buf[..filled]` is read and not yet handed out.
    buf: Vec<u8>,
    filled: usize,
    /// Where the unterminated last line of `buf[..filled]` starts.
    line_start: usize,
    /// Lines cut to the maximum in `buf`: (offset, length).
    cut_lines: Vec<(usize, u64)>,
    seq: u64,
    /// An entry has started in the chunks handed out so far.
    seen_entry: bool,
    eof: bool,
    done: bool,
    /// Bytes handed out in chunks.
    consumed: u64,
    /// Bytes the source gave, the dropped parts of oversized lines included.
    read: u64,
    stopped_early: bool,
    error: Option<SourceError>,
}

impl FileReader {
    fn new(
        index: usize,
        name: String,
        source: Box<dyn Read + Send>,
        classify: Classify,
    ) -> FileReader {
        FileReader {
            index,
            name: name.into(),
            source,
            classify,
            buf: Vec::new(),
            filled: 0,
            line_start: 0,
            cut_lines: Vec::new(),
            seq: 0,
            seen_entry: false,
            eof: false,
            done: false,
            consumed: 0,
            read: 0,
            stopped_early: false,
            error: None,
        }
    }

    /// The next chunk, or None at the end of the input.
    fn next_chunk<S: ScanSink>(&mut self, shared: &Shared<'_, S>) -> Option<Chunk> {
        if self.done {
            return None;
        }
        let entries = &shared.entries;
        let max_line = entries.max_line();
        let chunk_bytes = shared.options.chunk_bytes.max(1);
        let start = ChunkStart {
            starts_file: self.seq == 0,
            in_entry: self.seen_entry,
        };
        if self.buf.len() < chunk_bytes {
            let mut block = shared.take_buffer();
            if block.len() < self.filled {
                grow_exact(&mut block, self.filled);
            }
            block[..self.filled].copy_from_slice(&self.buf[..self.filled]);
            self.buf = block;
        }
        let mut target = self.filled + chunk_bytes;
        let cut = loop {
            self.fill(target, max_line);
            if self.eof {
                self.done = true;
                if self.filled == 0 {
                    return None;
                }
                break self.filled;
            }
            if self.line_start == 0 {
                // Not one whole line yet: read on (the line is cut at the maximum).
                target = self.filled + chunk_bytes.max(self.filled);
                continue;
            }
            match self.last_entry_start(entries) {
                Some(cut) => {
                    self.seen_entry = true;
                    break cut;
                }
                None => {
                    // No entry starts after the first line (a long entry, or orphans):
                    // cut after the last whole line; the next chunk is told whether an
                    // entry is open.
                    if !self.seen_entry {
                        let end = memchr(b'\n', &self.buf[..self.filled]).unwrap_or(0);
                        self.seen_entry = entries.starts_entry(&self.buf[..end], start.starts_file);
                    }
                    break self.line_start;
                }
            }
        };
        let chunk = self.emit(cut, start);
        if !self.seen_entry && self.consumed >= NO_ENTRY_LIMIT && !self.done {
            self.done = true;
            self.stopped_early = true;
        }
        Some(chunk)
    }

    /// The start of the last whole line, after the first, that starts an entry.
    fn last_entry_start(&self, entries: &EntryReader) -> Option<usize> {
        let whole = &self.buf[..self.line_start];
        let mut end = whole.len() - 1;
        loop {
            let start = memrchr(b'\n', &whole[..end]).map_or(0, |p| p + 1);
            if start == 0 {
                return None;
            }
            if entries.starts_entry(&whole[start..end], false) {
                return Some(start);
            }
            end = start - 1;
        }
    }

    /// Hands out `buf[..cut]`; the rest is carried over.
    fn emit(&mut self, cut: usize, start: ChunkStart) -> Chunk {
        let rest = self.filled - cut;
        // The rest waits in a small buffer of its own: a parked reader holds no block.
        let carry = self.buf[cut..self.filled].to_vec();
        let buf = std::mem::replace(&mut self.buf, carry);
        let split = self.cut_lines.partition_point(|&(offset, _)| offset < cut);
        let cut_lines: Vec<(usize, u64)> = self.cut_lines.drain(..split).collect();
        for line in &mut self.cut_lines {
            line.0 -= cut;
        }
        self.filled = rest;
        self.line_start = self.line_start.saturating_sub(cut);
        self.consumed += cut as u64;
        let seq = self.seq;
        self.seq += 1;
        Chunk {
            file: self.index,
            name: self.name.clone(),
            seq,
            buf,
            len: cut,
            start,
            cut_lines,
        }
    }

    /// Reads until `buf[..filled]` holds `target` bytes or the input ends.
    fn fill(&mut self, target: usize, max_line: usize) {
        if self.buf.len() < target {
            grow_exact(&mut self.buf, target);
        }
        while !self.eof && self.filled < target {
            match self.source.read(&mut self.buf[self.filled..target]) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.read += n as u64;
                    let new = self.filled..self.filled + n;
                    if let Some(p) = memrchr(b'\n', &self.buf[new.clone()]) {
                        self.line_start = new.start + p + 1;
                    }
                    self.filled += n;
                    while self.filled - self.line_start > max_line + 1 {
                        self.skip_rest_of_line(max_line);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => self.fail(e),
            }
        }
    }

    fn fail(&mut self, error: io::Error) {
        self.error = Some((self.classify)(error));
        self.eof = true;
    }

    /// The unterminated last line is longer than the maximum: keeps its first `max_line`
    /// bytes, drops the rest of it as it is read, and notes its length.
    fn skip_rest_of_line(&mut self, max_line: usize) {
        let start = self.line_start;
        let keep = start + max_line;
        let mut length = (self.filled - start) as u64;
        let mut last = self.buf[self.filled - 1];
        if self.buf.len() < keep + SKIP_READ {
            grow_exact(&mut self.buf, keep + SKIP_READ);
        }
        let mut end = keep + 1;
        while !self.eof {
            let n = match self
                .source
                .read(&mut self.buf[keep + 1..keep + 1 + SKIP_READ - 1])
            {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.read += n as u64;
                    n
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.fail(e);
                    break;
                }
            };
            let read = keep + 1..keep + 1 + n;
            match memchr(b'\n', &self.buf[read.clone()]) {
                Some(q) => {
                    length += q as u64;
                    if q > 0 {
                        last = self.buf[read.start + q - 1];
                    }
                    // The next line's bytes follow the kept part's newline.
                    self.buf.copy_within(read.start + q + 1..read.end, keep + 1);
                    end = keep + 1 + (n - q - 1);
                    break;
                }
                None => {
                    length += n as u64;
                    last = self.buf[read.end - 1];
                }
            }
        }
        if last == b'\r' {
            length -= 1;
        }
        self.buf[keep] = b'\n';
        self.cut_lines.push((start, length));
        self.filled = end;
        self.line_start = memrchr(b'\n', &self.buf[keep..end]).map_or(keep + 1, |p| keep + p + 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::ingest;
    use crate::source::discover;
    use std::io::Write;

    const L1: &str = "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data/123 status=200 duration=143ms";
    const L2: &str = "2023-04-11 20:34:01,002 WARN  [http-nio-8443-exec-3] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"";
    const L3: &str = "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms";
    const TRACE: &str = "java.lang.IllegalStateException: datacard lock timeout\n\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)\n\t... 42 more\n";
    const INFO: &str = "2023-04-11 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started";
    const BAD: &str =
        "2023-02-30 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - impossible";

    /// A log with every kind of line: orphans and a byte-order mark at the start, stack
    /// traces, CRLF, blank and suspicious lines, invalid UTF-8, long entries, an oversized
    /// line, and no newline at the end.
    fn tricky_log(max_line: usize) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice("\u{feff}\tat orphan.Frame(X.java:1)\n\n".as_bytes());
        let mut n = 0u64;
        for i in 0..400 {
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let line = match i % 9 {
                0 => L1.replace("123", &(n % 1000).to_string()),
                1 => L2.to_owned(),
                2 => format!("{L3}\n{TRACE}"),
                3 => format!("{INFO}\r"),
                4 => format!("{L1}\n{BAD}\n   "),
                5 => L1.replace("CRM_SYNC", &format!("user{}", n % 7)),
                6 => format!("{L3}\n{}", "\tat deep.Frame(F.java:1)\n".repeat(30))
                    .trim_end()
                    .to_owned(),
                7 => L2
                    .replace("2ms", "not-a-duration")
                    .replace("status=429", ""),
                _ => L1.replace("20:34", &format!("2{}:{:02}", n % 4, n % 60)),
            };
            out.extend_from_slice(line.as_bytes());
            out.push(b'\n');
            if i == 2 || i == 200 {
                out.extend_from_slice(b"\xff\xfe not utf-8 \xc3\n");
                let long = format!("{L1} {}", "x".repeat(max_line * 2 + 7));
                out.extend_from_slice(long.as_bytes());
                out.extend_from_slice(b"\r\n");
                out.extend_from_slice("y".repeat(max_line + 1).as_bytes());
                out.push(b'\n');
            }
        }
        out.extend_from_slice(INFO.as_bytes());
        out
    }

    fn options(chunk_bytes: usize, max_line: usize) -> ScanOptions {
        ScanOptions {
            dims: vec![Dim::User, Dim::Endpoint, Dim::Status, Dim::Hour],
            chunk_bytes,
            max_line_bytes: max_line,
            ..ScanOptions::default()
        }
    }

    fn scan_bytes(files: &[Vec<u8>], options: &ScanOptions) -> ScanResult {
        let streams = files
            .iter()
            .enumerate()
            .map(|(i, b)| {
                (
                    format!("f{i}"),
                    Box::new(Cursor::new(b.clone())) as Box<dyn Read + Send>,
                )
            })
            .collect();
        scan_readers(streams, options)
    }

    fn pool(threads: usize) -> rayon::ThreadPool {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
    }

    fn problems(tally: &FileTally) -> (u64, Vec<(u64, String, String)>) {
        let kept = tally
            .problems
            .kept
            .iter()
            .map(|p| (p.line, p.reason.clone(), p.text.clone()))
            .collect();
        (tally.problems.total, kept)
    }

    fn assert_same_tally(a: &FileTally, b: &FileTally, ctx: &str) {
        assert_eq!(a.lines, b.lines, "{ctx}");
        assert_eq!(problems(a), problems(b), "{ctx}");
        assert_eq!(
            (a.first, a.last, &a.no_entries),
            (b.first, b.last, &b.no_entries),
            "{ctx}"
        );
        assert_eq!(
            (a.name.as_str(), a.bytes),
            (b.name.as_str(), b.bytes),
            "{ctx}"
        );
    }

    #[test]
    fn dates_in_file_names() {
        let cases = [
            ("integration.log.2023-10-09", Some("2023-10-09")),
            ("logs/integration.log.2023-10-09.gz", Some("2023-10-09")),
            (
                "logs/2023-10-08/integration.log.2023-10-09",
                Some("2023-10-09"),
            ),
            ("logs/2023-10-08/integration.log", Some("2023-10-08")),
            ("integration.log", None),
            ("integration.log.2023-02-30", None),
            ("integration.log.12023-10-09", None),
            ("integration.log.2023-10-091", None),
            ("x", None),
        ];
        for (name, want) in cases {
            assert_eq!(
                date_in_file_name(name),
                want.map(|d| d.parse::<NaiveDate>().unwrap()),
                "{name}"
            );
        }
        // Only time-only layouts take a day, the file name's before --date.
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let mut options =
            ScanOptions::new(Arc::new(LayoutParser::compile("%d{ABSOLUTE} %m").unwrap()));
        options.date = Some(day("2023-01-01"));
        assert_eq!(
            day_of_input("integration.log.2023-10-09", &options),
            Some(day("2023-10-09"))
        );
        assert_eq!(
            day_of_input("integration.log", &options),
            Some(day("2023-01-01"))
        );
        options.layout = Arc::new(LayoutParser::default());
        assert_eq!(day_of_input("integration.log.2023-10-09", &options), None);
    }

    #[test]
    fn time_only_entries_get_their_day() {
        let mut options = ScanOptions::new(Arc::new(
            LayoutParser::compile("%d{ABSOLUTE} %p %m").unwrap(),
        ));
        let log = b"20:34:00,635 INFO method=GET path=/x status=200\n23:59:59,999 INFO method=GET path=/y status=200\n";
        let (tally, _) = scan_buffer("integration.log.2023-10-09", log, &options);
        assert_eq!(tally.first, "2023-10-09T20:34:00.635".parse().ok());
        assert_eq!(tally.last, "2023-10-09T23:59:59.999".parse().ok());
        let (tally, _) = scan_buffer("integration.log", log, &options);
        assert_eq!((tally.first, tally.lines.entries), (None, 2));
        options.date = "2023-10-10".parse().ok();
        let (tally, _) = scan_buffer("integration.log", log, &options);
        assert_eq!(tally.first, "2023-10-10T20:34:00.635".parse().ok());
    }

    #[test]
    fn same_result_for_every_chunk_size_and_thread_count() {
        let max_line = 1000;
        let log = tricky_log(max_line);
        let (reference, calls) = scan_buffer("f0", &log, &options(1, max_line));
        let lines = &reference.lines;
        assert!(lines.is_consistent(), "{lines:?}");
        assert_eq!((lines.orphans, lines.oversized), (1, 4), "{lines:?}");
        assert!(lines.suspicious > 0 && lines.continuation > lines.suspicious && lines.blank > 0);
        assert_eq!(lines.calls, calls.totals.calls);
        assert!(calls.totals.no_status > 0);
        for threads in [1, 4] {
            let pool = pool(threads);
            for chunk in [64, 100, 257, 1000, 4096, 65_536, 1 << 20] {
                let got = pool
                    .install(|| scan_bytes(std::slice::from_ref(&log), &options(chunk, max_line)));
                let ctx = format!("{threads} threads, {chunk} byte chunks");
                assert!(got.errors.is_empty(), "{ctx}");
                assert_same_tally(&got.files[0], &reference, &ctx);
                assert_eq!(got.calls, calls, "{ctx}");
            }
        }
    }

    #[test]
    fn many_inputs_at_once() {
        let max_line = 1000;
        let logs: Vec<Vec<u8>> = (0..7)
            .map(|i| {
                let mut log = tricky_log(max_line);
                log.truncate(log.len() * (i + 1) / 7);
                log
            })
            .collect();
        let one = pool(1).install(|| scan_bytes(&logs, &options(8192, max_line)));
        let four = pool(4).install(|| scan_bytes(&logs, &options(300, max_line)));
        assert_eq!(one.calls, four.calls);
        let mut merged = PartialAggregate::new(&options(1, max_line).dims);
        for (i, log) in logs.iter().enumerate() {
            assert_same_tally(&one.files[i], &four.files[i], &format!("file {i}"));
            let (tally, _) = scan_buffer(&format!("f{i}"), log, &options(1, max_line));
            assert_same_tally(&one.files[i], &tally, &format!("file {i}"));
            let entries = EntryReader::new(Arc::new(LayoutParser::default()), max_line);
            let mut calls = CallReader::new(None);
            parse_run(
                &entries,
                &mut merged,
                &mut calls,
                log,
                ChunkStart::FILE,
                &[],
                "x",
                None,
                (i, None),
            );
        }
        assert_eq!(one.calls, merged.finish(true));
        assert_eq!(
            one.line_totals().lines,
            one.files.iter().map(|f| f.lines.lines).sum::<u64>()
        );
    }

    #[test]
    fn matches_the_generators_truth() {
        let dir = tempfile::tempdir().unwrap();
        let args = crate::generate::GenerateArgs {
            seed: 7,
            weeks: 1,
            calls_per_hour: 200,
            start: "2023-10-10".parse().unwrap(),
            ..crate::generate::GenerateArgs::new(dir.path().to_path_buf())
        };
        let truth = crate::generate::generate(&args).unwrap();
        let layout = LayoutParser::default();
        let found = ingest(&[dir.path().display().to_string()], &layout);
        assert!(found.errors.is_empty());
        assert!(found.integration.len() >= 2, "rotated, gzipped files");
        let options = ScanOptions {
            dims: vec![Dim::User, Dim::Endpoint, Dim::Status],
            chunk_bytes: 256 << 10,
            ..ScanOptions::default()
        };
        let result = pool(2).install(|| scan(found.integration, &options));
        assert!(result.errors.is_empty(), "{:?}", result.errors);
        let calls = &result.calls;
        let users: BTreeMap<String, (u64, u64, u64, u64)> = calls
            .rollup(&[Dim::User])
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    g.key[0].clone(),
                    (
                        g.stats.calls,
                        g.stats.successful,
                        g.stats.unsuccessful,
                        g.stats.logins,
                    ),
                )
            })
            .collect();
        let want: BTreeMap<String, (u64, u64, u64, u64)> = truth
            .users
            .iter()
            .map(|(u, c)| (u.clone(), (c.calls, c.successful, c.unsuccessful, c.logins)))
            .collect();
        assert_eq!(users, want);
        let endpoints: BTreeMap<String, (u64, u64, u64)> = calls
            .rollup(&[Dim::Endpoint])
            .unwrap()
            .into_iter()
            .map(|g| {
                (
                    g.key[0].clone(),
                    (g.stats.calls, g.stats.successful, g.stats.unsuccessful),
                )
            })
            .collect();
        let want: BTreeMap<String, (u64, u64, u64)> = truth
            .endpoints
            .iter()
            .map(|(e, c)| (e.clone(), (c.calls, c.successful, c.unsuccessful)))
            .collect();
        assert_eq!(endpoints, want);
        assert_eq!(calls.statuses, truth.statuses);
        assert_eq!(calls.totals.calls, truth.calls.calls);
        assert_eq!(calls.totals.successful, truth.calls.successful);
        assert_eq!(calls.totals.no_status, 0);
        let minute_calls: u64 = calls
            .minutes
            .iter()
            .map(|m| u64::from(m.counts.calls))
            .sum();
        assert_eq!(minute_calls, truth.calls.calls);
        let lines = result.line_totals();
        assert!(lines.is_consistent());
        assert_eq!(lines.calls, truth.calls.calls);
        assert_eq!(
            (lines.orphans, lines.suspicious, lines.oversized),
            (0, 0, 0)
        );
        assert_eq!(lines.informational.get("INFO"), lines.entries - lines.calls);
        // The same with one thread and small blocks.
        let again = ingest(&[dir.path().display().to_string()], &layout);
        let small = ScanOptions {
            chunk_bytes: 4096,
            ..options.clone()
        };
        let result1 = pool(1).install(|| scan(again.integration, &small));
        assert_eq!(&result1.calls, calls);
        // Grouping without endpoints reads endpoints of failures only: the same tables.
        let by_user = ScanOptions {
            dims: vec![Dim::User],
            ..options.clone()
        };
        let again = ingest(&[dir.path().display().to_string()], &layout);
        let result2 = scan(again.integration, &by_user);
        assert!(!calls.failures.is_empty());
        assert_eq!(result2.calls.failures, calls.failures);
        assert_eq!(result2.calls.minutes, calls.minutes);
        assert_eq!(result2.calls.totals, calls.totals);
        assert_eq!(result2.calls.groups, calls.rollup(&[Dim::User]).unwrap());
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(bytes).unwrap();
        gz.finish().unwrap()
    }

    fn inputs_of(paths: &[&std::path::Path]) -> Vec<IntegrationInput> {
        let found = discover(
            &paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>(),
        );
        assert!(found.errors.is_empty());
        found
            .inputs
            .into_iter()
            .map(|input| IntegrationInput {
                input,
                head: Vec::new(),
                stream: None,
            })
            .collect()
    }

    #[test]
    fn gzip_and_truncated_gzip() {
        let dir = tempfile::tempdir().unwrap();
        let log = tricky_log(DEFAULT_MAX_LINE_BYTES).repeat(20);
        let plain = dir.path().join("integration.log");
        let whole = dir.path().join("integration.log.1.gz");
        let cut = dir.path().join("integration.log.2.gz");
        std::fs::write(&plain, &log).unwrap();
        let gz = gzip(&log);
        std::fs::write(&whole, &gz).unwrap();
        std::fs::write(&cut, &gz[..gz.len() / 2]).unwrap();
        let options = options(16 << 10, DEFAULT_MAX_LINE_BYTES);
        let result = scan(inputs_of(&[&plain, &whole, &cut]), &options);
        let by_name = |suffix: &str| {
            result
                .files
                .iter()
                .find(|f| f.name.ends_with(suffix))
                .unwrap()
        };
        let (p, w, c) = (by_name(".log"), by_name(".1.gz"), by_name(".2.gz"));
        assert_eq!(p.lines, w.lines);
        assert_eq!(p.bytes, log.len() as u64);
        // What was read of the truncated file still counts; its error is reported.
        assert!(
            c.lines.entries > 0 && c.lines.lines < p.lines.lines,
            "{:?}",
            c.lines
        );
        assert_eq!(result.errors.len(), 1);
        assert!(
            matches!(result.errors[0], SourceError::CorruptGzip { .. }),
            "{}",
            result.errors[0]
        );
        assert!(result.errors[0].path().ends_with(".2.gz"));
        assert!(result.line_totals().is_consistent());
    }

    #[test]
    fn stdin_goes_on_from_its_head() {
        let log = tricky_log(DEFAULT_MAX_LINE_BYTES);
        let input = discover(&["-".into()]).inputs.remove(0);
        let head = log[..5000].to_vec();
        let rest = log[5000..].to_vec();
        let result = scan(
            vec![IntegrationInput {
                input,
                head,
                stream: Some(Box::new(Cursor::new(rest))),
            }],
            &options(1000, DEFAULT_MAX_LINE_BYTES),
        );
        let (reference, calls) = scan_buffer("-", &log, &options(1000, DEFAULT_MAX_LINE_BYTES));
        assert_same_tally(&result.files[0], &reference, "stdin");
        assert_eq!(result.calls, calls);
    }

    #[test]
    fn unopenable_input_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.log");
        std::fs::write(&gone, INFO).unwrap();
        let inputs = inputs_of(&[&gone]);
        std::fs::remove_file(&gone).unwrap();
        let result = scan(inputs, &ScanOptions::default());
        assert_eq!(result.errors.len(), 1);
        assert_eq!(result.files.len(), 1);
        assert_eq!(result.files[0].lines.lines, 0);
    }

    #[test]
    fn oversized_lines_keep_memory_flat() {
        // A 6 MB line in 64 KiB blocks: the buffer holds its first MiB only.
        let mut log = format!("{L1}\n{L2} ").into_bytes();
        log.extend(std::iter::repeat_n(b'z', 6_000_000));
        log.extend_from_slice(format!("\r\n{L3}\n{TRACE}{INFO}\n").as_bytes());
        for chunk in [64 << 10, 8 << 20] {
            let options = options(chunk, DEFAULT_MAX_LINE_BYTES);
            let result = pool(2).install(|| scan_bytes(std::slice::from_ref(&log), &options));
            let tally = &result.files[0];
            assert_eq!(tally.lines.lines, 7);
            assert_eq!(
                (
                    tally.lines.entries,
                    tally.lines.oversized,
                    tally.lines.calls
                ),
                (4, 1, 3)
            );
            let (_, kept) = problems(tally);
            assert_eq!(kept.len(), 1);
            assert_eq!(kept[0].0, 2);
            let length = L2.len() + 1 + 6_000_000;
            assert_eq!(kept[0].1, format!("line of {} bytes, longer than the 1,048,576 byte limit; only its start was read", crate::render::thousands(length as u64)));
            assert!(kept[0].2.len() < 300);
            // The cut line's fields were still read.
            assert_eq!(result.calls.statuses.get(&429), Some(&1));
            assert_eq!(tally.bytes, log.len() as u64);
        }
        // An oversized line at the very end without a newline.
        let mut log = format!("{L1}\n").into_bytes();
        log.extend(std::iter::repeat_n(b'q', 3_000_000));
        let result = scan_bytes(&[log], &options(64 << 10, DEFAULT_MAX_LINE_BYTES));
        assert_eq!(
            (result.files[0].lines.lines, result.files[0].lines.oversized),
            (2, 1)
        );
        assert_eq!(result.files[0].lines.continuation, 1);
    }

    #[test]
    fn a_file_the_layout_does_not_fit() {
        let small = b"hello\nworld\n".repeat(10);
        let big = b"this is not a log4j line at all\n".repeat(200_000);
        let result = scan_bytes(&[small, big.clone(), Vec::new()], &options(1 << 16, 1000));
        let flag = result.files[0].no_entries.as_ref().unwrap();
        assert_eq!(flag.first_line, "hello");
        assert!(!flag.stopped_early);
        assert_eq!(result.files[0].lines.orphans, 20);
        assert_eq!(
            flag.to_string(),
            "the layout matched no line; first line: `hello`; give --layout with the pattern the log was written with"
        );
        let flag = result.files[1].no_entries.as_ref().unwrap();
        assert!(flag.stopped_early, "{flag}");
        assert!(flag.to_string().ends_with("(stopped reading after 1 MiB)"));
        assert!(result.files[1].bytes < big.len() as u64 / 2);
        assert_eq!(result.files[2].no_entries, None);
        assert_eq!(result.files[2].lines, LineAccounting::default());
    }

    #[test]
    fn progress_adds_up_and_patterns_apply() {
        use std::sync::atomic::{AtomicU64, Ordering};
        let text = "2023-04-11 20:34:00,635 INFO  [t] c - GET /rest-api/itsm/v1/dc/incident/data by TEST_RESTAPI -> 200 in 143 ms\n".repeat(1000);
        let done = Arc::new(AtomicU64::new(0));
        let counter = done.clone();
        let options = ScanOptions {
            dims: vec![Dim::User, Dim::Endpoint],
            message_pattern: Some(Arc::new(
                MessagePattern::new(r"(?P<method>[A-Z]+) (?P<path>\S+) by (?P<user>\S+) -> (?P<status>\d{3}) in (?P<duration>\d+) ms").unwrap(),
            )),
            chunk_bytes: 10_000,
            progress: Some(Arc::new(move |n| {
                counter.fetch_add(n, Ordering::Relaxed);
            })),
            ..ScanOptions::default()
        };
        let result = scan_bytes(&[text.clone().into_bytes()], &options);
        assert_eq!(done.load(Ordering::Relaxed), text.len() as u64);
        assert_eq!(result.calls.groups.len(), 1);
        assert_eq!(
            result.calls.groups[0].key,
            ["TEST_RESTAPI", "GET /dc/incident/data"]
        );
        assert_eq!(result.calls.groups[0].stats.latency.p50(), Some(143_000));
        assert!(format!("{options:?}").contains("by (?P<user>"));
    }

    /// Throughput of the whole pipeline on a generated log, in release builds:
    /// `cargo test --release --lib scan::tests::throughput -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn throughput() {
        let dir = tempfile::tempdir().unwrap();
        let args = crate::generate::GenerateArgs {
            seed: 1,
            weeks: 4,
            calls_per_hour: 120,
            size: Some(std::env::var("ESMLOG_BENCH_SIZE").unwrap_or_else(|_| "400MB".into())),
            start: "2023-10-10".parse().unwrap(),
            ..crate::generate::GenerateArgs::new(dir.path().to_path_buf())
        };
        crate::generate::generate(&args).unwrap();
        let path = dir.path().join("integration.log");
        let bytes = std::fs::metadata(&path).unwrap().len();
        for threads in [1, 2] {
            for dims in [
                vec![],
                vec![Dim::User, Dim::Endpoint, Dim::Status, Dim::Hour],
            ] {
                let options = ScanOptions {
                    dims: dims.clone(),
                    ..ScanOptions::default()
                };
                let started = std::time::Instant::now();
                let result = pool(threads).install(|| scan(inputs_of(&[&path]), &options));
                let seconds = started.elapsed().as_secs_f64();
                println!(
                    "{threads} thread(s), dims {dims:?}: {} MB in {seconds:.2} s = {:.0} MB/s ({} calls)",
                    bytes / 1_000_000,
                    bytes as f64 / 1e6 / seconds,
                    result.calls.totals.calls
                );
            }
        }
    }
}
