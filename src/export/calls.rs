//! The `calls` table: one row per REST call of integration.log, streamed out of the
//! parallel scan in input order.
//!
//! Each worker thread collects the calls of the chunk it parses into columns; when the chunk
//! is done they become a small frame, handed to the [`CallExport`]'s collector with the
//! chunk's place in its input. The collector takes chunks in input order (holding back those
//! that arrive early), cuts them by month, and buffers up to `rows_per_group` rows per month
//! before cutting them into a numbered batch (a Parquet row group). The thread whose chunk
//! filled the batch joins and encodes it outside the collector's lock, so the threads encode
//! batches side by side while the others parse; the collector appends each file's encoded
//! batches in their order. An input's files are finished as soon as its last batch is
//! appended, so memory holds the open inputs' buffers only. Rows of input number `n` (in the
//! order the inputs were found) go to `part-n` of their month, and where one batch ends
//! depends on the rows alone: the output is the same on every run, whatever the thread
//! timing.

use super::time_text::TimeText;
use super::{
    environment_dir, part_name, EncodedBatch, ExportError, ExportTable, Exporter, FileMeta,
    TableWriter,
};
use crate::clock::ServerClock;
use crate::integration::call::{CallRecord, Endpoints};
use crate::integration::layout::Header;
use crate::integration::scan::{CallSink, ScanSink};
use crate::redact::{plain_ascii, redact};
use chrono::{Datelike, NaiveDateTime, Offset, TimeZone};
use polars::prelude::*;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// The month folder of calls without a date.
pub const UNKNOWN_MONTH: &str = "unknown";

/// Strings of one column, added straight to the column polars will take (one copy of each
/// value, short ones held in the views themselves).
struct TextColumn {
    values: StringChunkedBuilder,
    /// Where a value made on the fly (a time, a redacted text) is written before it is added.
    scratch: String,
}

impl Default for TextColumn {
    fn default() -> TextColumn {
        TextColumn {
            values: StringChunkedBuilder::new(PlSmallStr::EMPTY, 0),
            scratch: String::new(),
        }
    }
}

impl TextColumn {
    fn push(&mut self, value: Option<&str>) {
        self.values.append_option(value);
    }

    /// Pushes the text `write` appends.
    fn push_with(&mut self, write: impl FnOnce(&mut String)) {
        self.scratch.clear();
        write(&mut self.scratch);
        self.values.append_value(&self.scratch);
    }

    /// Pushes bytes as text (invalid UTF-8 replaced), redacted when asked.
    fn push_bytes(&mut self, value: Option<&[u8]>, redact_text: bool) {
        match value {
            None => self.push(None),
            // Most values are plain ASCII (a user name, a path): valid UTF-8 and free of
            // secrets, known in one pass, and taken as they are without a lossy copy.
            Some(bytes) if plain_ascii(bytes) => {
                self.push(Some(std::str::from_utf8(bytes).expect("ASCII")));
            }
            Some(bytes) => {
                let text = String::from_utf8_lossy(bytes);
                if redact_text {
                    self.push(Some(&redact(&text)));
                } else {
                    self.push(Some(&text));
                }
            }
        }
    }

    /// The rows pushed so far as the column `name`; starts a new column of room for `rows`.
    fn take_column(&mut self, name: &str, rows: usize) -> Column {
        let values = std::mem::replace(
            &mut self.values,
            StringChunkedBuilder::new(PlSmallStr::EMPTY, rows),
        );
        values.finish().with_name(name.into()).into_column()
    }
}

/// The calls of one chunk, column by column.
#[derive(Default)]
pub struct CallRows {
    time: TextColumn,
    local_ms: Vec<Option<i64>>,
    offset: Vec<Option<i32>>,
    date: TextColumn,
    week: TextColumn,
    user: TextColumn,
    ip: TextColumn,
    method: TextColumn,
    endpoint: TextColumn,
    template: TextColumn,
    status: Vec<Option<i32>>,
    success: Vec<Option<bool>>,
    duration_ms: Vec<Option<f64>>,
    cards: Vec<Option<i64>>,
    login: Vec<bool>,
    level: TextColumn,
    /// Month key (year * 12 + month - 1) per row, 0 without a date.
    months: Vec<u32>,
    /// The day's and offset's text of the row before.
    time_text: TimeText,
}

/// The column names of the calls table, in order (the partition columns `environment` and
/// `month` are in the folder names, not in the files).
pub const CALL_COLUMNS: [&str; 16] = [
    "time",
    "local_time",
    "utc_offset_s",
    "date",
    "week",
    "user_name",
    "ip",
    "method",
    "endpoint",
    "template",
    "status",
    "success",
    "duration_ms",
    "cards",
    "login",
    "level",
];

fn month_key(t: NaiveDateTime) -> u32 {
    (t.year().max(0) as u32) * 12 + t.month0() + 1
}

/// `2023-04`, or [`UNKNOWN_MONTH`] for key 0.
pub fn month_label(key: u32) -> String {
    if key == 0 {
        return UNKNOWN_MONTH.to_string();
    }
    let k = key - 1;
    format!("{:04}-{:02}", k / 12, k % 12 + 1)
}

impl CallRows {
    fn len(&self) -> usize {
        self.login.len()
    }

    fn push(&mut self, header: &Header<'_>, call: &CallRecord<'_>, settings: &Settings) {
        let local = header.local;
        let offset = header
            .offset_seconds
            .or_else(|| match (settings.clock, local) {
                (ServerClock::Zone(tz), Some(t)) => tz
                    .offset_from_local_datetime(&t)
                    .earliest()
                    .map(|o| o.fix().local_minus_utc()),
                _ => None,
            });
        match local {
            Some(t) => {
                let text = &mut self.time_text;
                self.time.push_with(|out| text.write_time(t, offset, out));
                let (date, week) = text.day(t.date());
                self.date.push(Some(date));
                self.week.push(Some(week));
                self.local_ms.push(Some(t.and_utc().timestamp_millis()));
                self.months.push(month_key(t));
            }
            None => {
                self.time.push(None);
                self.local_ms.push(None);
                self.date.push(None);
                self.week.push(None);
                self.months.push(0);
            }
        }
        self.offset.push(offset);
        let redact_text = settings.redact;
        self.user.push_bytes(call.user, redact_text);
        self.ip.push_bytes(call.ip, redact_text);
        self.method.push_bytes(Some(call.method), redact_text);
        self.endpoint.push_bytes(call.endpoint, redact_text);
        self.template.push_bytes(call.template, redact_text);
        self.status.push(call.status.map(i32::from));
        self.success.push(call.successful());
        self.duration_ms
            .push(call.duration_us.map(|us| us as f64 / 1000.0));
        self.cards
            .push(call.cards.map(|c| i64::try_from(c).unwrap_or(i64::MAX)));
        self.login.push(call.login);
        self.level.push_bytes(header.level, false);
    }

    /// The rows as a frame (columns as in [`CALL_COLUMNS`]), and the month runs: (month key,
    /// first row, rows). Empties the buffer, keeping its capacity.
    fn take_frame(&mut self) -> PolarsResult<(DataFrame, MonthRuns)> {
        let n = self.len();
        let local = Column::new("local_time".into(), take_with_room(n, &mut self.local_ms))
            .cast(&DataType::Datetime(TimeUnit::Milliseconds, None))?;
        let frame = DataFrame::new(
            n,
            vec![
                self.time.take_column("time", n),
                local,
                Column::new("utc_offset_s".into(), take_with_room(n, &mut self.offset)),
                self.date.take_column("date", n),
                self.week.take_column("week", n),
                self.user.take_column("user_name", n),
                self.ip.take_column("ip", n),
                self.method.take_column("method", n),
                self.endpoint.take_column("endpoint", n),
                self.template.take_column("template", n),
                Column::new("status".into(), take_with_room(n, &mut self.status)),
                Column::new("success".into(), take_with_room(n, &mut self.success)),
                Column::new(
                    "duration_ms".into(),
                    take_with_room(n, &mut self.duration_ms),
                ),
                Column::new("cards".into(), take_with_room(n, &mut self.cards)),
                Column::new("login".into(), take_with_room(n, &mut self.login)),
                self.level.take_column("level", n),
            ],
        )?;
        let mut runs: MonthRuns = Vec::new();
        for (row, &month) in self.months.iter().enumerate() {
            match runs.last_mut() {
                Some((m, _, len)) if *m == month => *len += 1,
                _ => runs.push((month, row, 1)),
            }
        }
        self.months.clear();
        Ok((frame, runs))
    }
}

/// The values of `column`, leaving it empty with room for `rows` values: the next chunk's
/// column is made once at its size rather than grown by doubling (each step a new
/// allocation, and the kernel's page faults behind it).
fn take_with_room<T>(rows: usize, column: &mut Vec<T>) -> Vec<T> {
    std::mem::replace(column, Vec::with_capacity(rows))
}

/// Runs of rows of one month in a chunk: (month key, first row, rows).
type MonthRuns = Vec<(u32, usize, usize)>;

/// What every row needs to know.
#[derive(Debug, Clone, Copy)]
struct Settings {
    redact: bool,
    clock: ServerClock,
}

/// A worker thread's rows of the chunk it is parsing.
pub struct CallRowSink {
    rows: CallRows,
    settings: Settings,
}

impl CallSink for CallRowSink {
    fn endpoints_needed(&self) -> Endpoints {
        Endpoints::All
    }

    #[inline]
    fn record_entry(&mut self, _header: &Header<'_>) {}

    #[inline]
    fn record_call(&mut self, header: &Header<'_>, call: &CallRecord<'_>) {
        self.rows.push(header, call, &self.settings);
    }
}

/// A parsed chunk's rows waiting for their turn.
struct ChunkFrame {
    frame: DataFrame,
    runs: MonthRuns,
}

#[derive(Default)]
struct FileOrder {
    next: u64,
    chunks: Option<u64>,
    pending: BTreeMap<u64, ChunkFrame>,
}

/// One open output file: the rows not yet cut into a batch, and the batches encoded ahead of
/// their turn.
struct Partition {
    writer: Box<dyn TableWriter>,
    buffered: Vec<DataFrame>,
    rows: usize,
    /// How many batches were cut (the next one's number).
    batches: u64,
    /// How many batches were appended to the file.
    appended: u64,
    /// Encoded batches waiting for the ones before them.
    encoded: BTreeMap<u64, EncodedBatch>,
    /// No more rows come (its input is done): the file is finished after its last batch.
    complete: bool,
}

/// (input, month key): which file a row goes to.
type PartitionKey = (usize, u32);

/// A batch cut from a partition, to be joined and encoded outside the collector's lock.
struct BatchJob {
    partition: PartitionKey,
    seq: u64,
    parts: Vec<DataFrame>,
    path: PathBuf,
}

impl Partition {
    /// Cuts what is buffered into the next batch, if anything is.
    fn cut(&mut self, partition: PartitionKey, path: PathBuf) -> Option<BatchJob> {
        if self.rows == 0 {
            return None;
        }
        self.rows = 0;
        let seq = self.batches;
        self.batches += 1;
        Some(BatchJob {
            partition,
            seq,
            parts: std::mem::take(&mut self.buffered),
            path,
        })
    }

    /// Whether every batch cut is in the file and no more rows come.
    fn done(&self) -> bool {
        self.complete && self.appended == self.batches
    }
}

impl BatchJob {
    /// The batch's rows as one frame of one chunk per column, encoded for `exporter`.
    fn encode(self, exporter: &dyn Exporter) -> Result<EncodedBatch, ExportError> {
        let fail = |e| ExportError::encode(&self.path, e);
        let mut parts = self.parts.into_iter();
        let mut batch = parts.next().expect("a batch has rows");
        for part in parts {
            batch.vstack_mut_owned(part).map_err(fail)?;
        }
        batch.rechunk_mut();
        exporter.encode(&batch, &self.path)
    }
}

#[derive(Default)]
struct Collector {
    files: BTreeMap<usize, FileOrder>,
    open: BTreeMap<PartitionKey, Partition>,
    error: Option<ExportError>,
    rows: u64,
    written_files: u64,
}

/// Streams the calls of a scan to one environment's `calls` folder.
pub struct CallExport<'e> {
    exporter: &'e dyn Exporter,
    dir: PathBuf,
    meta: FileMeta,
    rows_per_group: usize,
    settings: Settings,
    collector: Mutex<Collector>,
}

/// What a calls export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallsWritten {
    pub rows: u64,
    pub files: u64,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<'e> CallExport<'e> {
    /// An export of `environment`'s calls under `out` (`out/calls/environment=NAME/…`).
    pub fn new(
        exporter: &'e dyn Exporter,
        out: &std::path::Path,
        environment: &str,
        rows_per_group: usize,
        redact: bool,
        clock: ServerClock,
    ) -> CallExport<'e> {
        CallExport {
            exporter,
            dir: environment_dir(out, ExportTable::Calls, environment),
            meta: FileMeta {
                table: ExportTable::Calls,
                environment: environment.to_string(),
            },
            rows_per_group: rows_per_group.max(1),
            settings: Settings { redact, clock },
            collector: Mutex::new(Collector::default()),
        }
    }

    /// Writes what is still buffered and finishes every file; the first error of the whole
    /// export, if any.
    pub fn finish(self) -> Result<CallsWritten, ExportError> {
        // Every batch cut was appended by the thread that cut it before the scan ended; what
        // is left is the rows of inputs whose end the scan did not report.
        let jobs = {
            let mut collector = lock(&self.collector);
            let keys: Vec<PartitionKey> = collector.open.keys().copied().collect();
            let mut jobs = Vec::new();
            Self::record_into(&mut collector, |collector| {
                self.complete(collector, keys, &mut jobs)
            });
            jobs
        };
        self.encode_and_append(jobs);
        let mut collector = std::mem::take(&mut *lock(&self.collector));
        if let Some(error) = collector.error.take() {
            return Err(error);
        }
        debug_assert!(collector.open.is_empty(), "every file was finished");
        Ok(CallsWritten {
            rows: collector.rows,
            files: collector.written_files,
        })
    }

    fn path(&self, file: usize, month: u32) -> PathBuf {
        self.dir
            .join(format!("month={}", month_label(month)))
            .join(part_name(file, self.exporter.extension()))
    }

    /// Takes the chunks of `file` that are next in order, adding to `jobs` the batches they
    /// fill; marks its files complete after the last chunk.
    fn advance(
        &self,
        collector: &mut Collector,
        file: usize,
        jobs: &mut Vec<BatchJob>,
    ) -> Result<(), ExportError> {
        loop {
            let order = collector.files.entry(file).or_default();
            let next = order.next;
            let Some(chunk) = order.pending.remove(&next) else {
                break;
            };
            order.next += 1;
            for (month, start, len) in chunk.runs {
                let path = self.path(file, month);
                let partition = match collector.open.entry((file, month)) {
                    std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                    std::collections::btree_map::Entry::Vacant(v) => {
                        collector.written_files += 1;
                        v.insert(Partition {
                            writer: self.exporter.create(&path, &self.meta)?,
                            buffered: Vec::new(),
                            rows: 0,
                            batches: 0,
                            appended: 0,
                            encoded: BTreeMap::new(),
                            complete: false,
                        })
                    }
                };
                partition
                    .buffered
                    .push(chunk.frame.slice(start as i64, len));
                partition.rows += len;
                collector.rows += len as u64;
                if partition.rows >= self.rows_per_group {
                    jobs.extend(partition.cut((file, month), path));
                }
            }
        }
        let order = &collector.files[&file];
        if order.chunks == Some(order.next) {
            collector.files.remove(&file);
            let partitions: Vec<PartitionKey> = collector
                .open
                .range((file, 0)..=(file, u32::MAX))
                .map(|(&key, _)| key)
                .collect();
            self.complete(collector, partitions, jobs)?;
        }
        Ok(())
    }

    /// No more rows come to `partitions`: cuts their last batches into `jobs`, and finishes
    /// the files that have nothing left to append.
    fn complete(
        &self,
        collector: &mut Collector,
        partitions: Vec<PartitionKey>,
        jobs: &mut Vec<BatchJob>,
    ) -> Result<(), ExportError> {
        for key @ (file, month) in partitions {
            let partition = collector.open.get_mut(&key).expect("listed");
            partition.complete = true;
            jobs.extend(partition.cut(key, self.path(file, month)));
            if partition.done() {
                let partition = collector.open.remove(&key).expect("listed");
                partition.writer.finish()?;
            }
        }
        Ok(())
    }

    /// Encodes `jobs` on this thread, outside the collector's lock (the other threads go on
    /// parsing and encoding meanwhile), then appends to each file the batches that are next
    /// in its order, and finishes the files that are done.
    fn encode_and_append(&self, jobs: Vec<BatchJob>) {
        for job in jobs {
            let (key, seq) = (job.partition, job.seq);
            let encoded = job.encode(self.exporter);
            self.record(|collector| {
                let partition = collector.open.get_mut(&key).expect("open until appended");
                partition.encoded.insert(seq, encoded?);
                while let Some(batch) = partition.encoded.remove(&partition.appended) {
                    partition.writer.append(batch)?;
                    partition.appended += 1;
                }
                if partition.done() {
                    let partition = collector.open.remove(&key).expect("open");
                    partition.writer.finish()?;
                }
                Ok(())
            });
        }
    }

    fn record<F>(&self, f: F)
    where
        F: FnOnce(&mut Collector) -> Result<(), ExportError>,
    {
        Self::record_into(&mut lock(&self.collector), f);
    }

    /// Runs `f` unless an error happened before; keeps the first error and drops what is
    /// held (so every held chunk is let go).
    fn record_into<F>(collector: &mut Collector, f: F)
    where
        F: FnOnce(&mut Collector) -> Result<(), ExportError>,
    {
        if collector.error.is_some() {
            return;
        }
        if let Err(e) = f(collector) {
            collector.error = Some(e);
            // Nothing more is written; what is open is dropped with its temporary files.
            collector.open.clear();
            collector.files.clear();
        }
    }
}

impl ScanSink for CallExport<'_> {
    type Worker = CallRowSink;

    fn worker(&self) -> CallRowSink {
        CallRowSink {
            rows: CallRows::default(),
            settings: self.settings,
        }
    }

    fn chunk_done(&self, worker: &mut CallRowSink, file: usize, seq: u64) -> usize {
        // The frame is built on the parsing thread, outside the collector's lock.
        let chunk = worker
            .rows
            .take_frame()
            .map(|(frame, runs)| ChunkFrame { frame, runs })
            .map_err(|e| ExportError::encode(&self.dir, e));
        let held = |c: &Collector| c.files.values().map(|o| o.pending.len()).sum::<usize>();
        let mut jobs = Vec::new();
        let done = {
            let mut collector = lock(&self.collector);
            let before = held(&collector);
            Self::record_into(&mut collector, |collector| {
                let chunk = chunk?;
                collector
                    .files
                    .entry(file)
                    .or_default()
                    .pending
                    .insert(seq, chunk);
                self.advance(collector, file, &mut jobs)
            });
            // This chunk and those it let through are done with; the held-back ones keep
            // their block, so that the readers wait for the chunk everything waits for (see
            // ScanSink).
            before + 1 - held(&collector)
        };
        self.encode_and_append(jobs);
        done
    }

    fn file_done(&self, file: usize, chunks: u64) {
        let mut jobs = Vec::new();
        self.record(|collector| {
            collector.files.entry(file).or_default().chunks = Some(chunks);
            self.advance(collector, file, &mut jobs)
        });
        self.encode_and_append(jobs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn month_labels() {
        let t = NaiveDateTime::parse_from_str("2023-04-11 20:34:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(month_label(month_key(t)), "2023-04");
        let t = NaiveDateTime::parse_from_str("2023-12-31 23:59:59", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(month_label(month_key(t)), "2023-12");
        assert_eq!(month_label(0), UNKNOWN_MONTH);
    }
}
