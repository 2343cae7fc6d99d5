//! Reading one input block by block and cutting it into chunks at entry boundaries, so
//! that an entry's continuation lines stay with it; oversized lines are cut while they
//! are read so that memory stays flat.

use std::io::{self, Read};
use std::sync::Arc;

use memchr::{memchr, memrchr};

use super::pool::Shared;
use super::{ScanSink, NO_ENTRY_LIMIT};
use crate::error::SourceError;
use crate::integration::entry::{ChunkStart, EntryReader};

/// How much is read at a time while skipping the rest of an oversized line.
const SKIP_READ: usize = 64 << 10;

pub(super) type Classify = Box<dyn Fn(io::Error) -> SourceError + Send>;

pub(super) enum Opener {
    Input(crate::source::Input),
    Ready(Box<dyn Read + Send>, Classify),
}

/// A block of input, cut at a line start, with what its parse needs to know.
pub(super) struct Chunk {
    pub(super) file: usize,
    pub(super) name: Arc<str>,
    pub(super) seq: u64,
    pub(super) buf: Vec<u8>,
    pub(super) len: usize,
    pub(super) start: ChunkStart,
    /// Lines the reader cut to the maximum while reading: (offset, length).
    pub(super) cut_lines: Vec<(usize, u64)>,
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
pub(super) struct FileReader {
    pub(super) index: usize,
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
    pub(super) seq: u64,
    /// An entry has started in the chunks handed out so far.
    seen_entry: bool,
    eof: bool,
    done: bool,
    /// Bytes handed out in chunks.
    consumed: u64,
    /// Bytes the source gave, the dropped parts of oversized lines included.
    pub(super) read: u64,
    pub(super) stopped_early: bool,
    pub(super) error: Option<SourceError>,
}

impl FileReader {
    pub(super) fn new(
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
    pub(super) fn next_chunk<S: ScanSink>(&mut self, shared: &Shared<'_, S>) -> Option<Chunk> {
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
