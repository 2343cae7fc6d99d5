//! What a scan hands its calls to: the [`ScanSink`] / [`CallSink`] traits the scan is
//! generic over (so the per-line calls are static), and the call aggregate as the sink of
//! [`super::scan`].

use super::ScanOptions;
use crate::integration::aggregate::PartialAggregate;
use crate::integration::call::{CallRecord, Endpoints};
use crate::integration::layout::Header;

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
    /// The work [`ScanSink::chunk_done`] left for `worker` once the blocks it freed are
    /// handed back to the readers: called on the same thread, right after. Slow work (export
    /// encoding a row group) belongs here: done inside `chunk_done` it kept the freed blocks
    /// from the readers, and the other threads, out of chunks, waited for it.
    #[inline]
    fn after_chunk(&self, _worker: &mut Self::Worker) {}
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

/// The sink of [`super::scan`]: one partial aggregate per thread, merged at the end.
pub(super) struct AggregateSink<'a> {
    pub(super) options: &'a ScanOptions,
}

impl ScanSink for AggregateSink<'_> {
    type Worker = PartialAggregate;

    fn worker(&self) -> PartialAggregate {
        empty_aggregate(self.options)
    }
}

/// An aggregate with nothing in it yet, keeping what `options` asks for.
pub(super) fn empty_aggregate(options: &ScanOptions) -> PartialAggregate {
    PartialAggregate::new(&options.dims)
        .with_failures(options.failures)
        .with_window(options.window)
}
