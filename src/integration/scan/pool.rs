//! The scan's jobs on the rayon pool: a queue of inputs to open, readers that cut them
//! into chunks while one of the `threads + 2` blocks is free (parked otherwise, so that no
//! pool thread ever blocks), and the per-thread workers that parse the chunks.

use std::collections::VecDeque;
use std::io::Read;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rayon::Scope;

use super::merge::FileMerge;
use super::parse::{parse_run, ChunkOutcome};
use super::reader::{Chunk, Classify, FileReader, Opener};
use super::{day_of_input, CallSink, FileTally, ScanOptions, ScanSink, SinkScan};
use crate::error::SourceError;
use crate::integration::call::CallReader;
use crate::integration::entry::EntryReader;

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

/// Blocks that may exist at once, and the readers waiting for one.
struct Slots {
    free: usize,
    parked: VecDeque<FileReader>,
}

/// What the jobs of one scan share.
pub(super) struct Shared<'o, S: ScanSink> {
    pub(super) options: &'o ScanOptions,
    sink: &'o S,
    pub(super) entries: EntryReader,
    workers: Vec<Mutex<Worker<S::Worker>>>,
    slots: Mutex<Slots>,
    queue: Mutex<VecDeque<Pending>>,
    files: Vec<Mutex<FileMerge>>,
    buffers: Mutex<Vec<Vec<u8>>>,
    errors: Mutex<Vec<(usize, SourceError)>>,
}

pub(super) fn run<S: ScanSink>(
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
        let index = rayon::current_thread_index().unwrap_or(0) % self.workers.len();
        let mut worker = lock(&self.workers[index]);
        let (outcome, done) = self.parse(&mut worker, &chunk);
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
        self.sink.after_chunk(&mut worker.sink);
        drop(worker);
        if let Some(progress) = &self.options.progress {
            progress(len as u64);
        }
    }

    /// Parses a chunk into this thread's sink; also returns how many chunks the sink let go.
    fn parse(&self, worker: &mut Worker<S::Worker>, chunk: &Chunk) -> (ChunkOutcome, usize) {
        let Worker { sink, calls } = worker;
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

    pub(super) fn take_buffer(&self) -> Vec<u8> {
        lock(&self.buffers).pop().unwrap_or_default()
    }
}
