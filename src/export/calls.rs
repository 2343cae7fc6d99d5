//! The `calls` table: one row per REST call of integration.log, streamed out of the
//! parallel scan in input order.
//!
//! Each worker thread collects the calls of the chunk it parses into columns (text as the
//! chunk's own dictionaries, see [`super::columns`]); when the chunk is done they become a
//! [`CallChunk`], handed to the [`CallExport`]'s collector with the chunk's place in its
//! input. The collector takes chunks in input order (holding back those that arrive early),
//! cuts them by month, and buffers up to `rows_per_group` rows per month before cutting them
//! into a numbered batch (a Parquet row group) of runs of chunks' rows ([`CallBatch`]). The
//! thread whose chunk filled the batch joins and encodes it ([`Exporter::encode_calls`])
//! outside the collector's lock, and only after the pool has freed its chunk's blocks
//! ([`ScanSink::after_chunk`]): encoding while still holding them kept the reader waiting
//! for a block, and the other thread idle. So the threads encode batches side by side while
//! the others parse; the collector appends each file's encoded batches in their order. An
//! input's files are finished as soon as its last batch is appended, so memory holds the
//! open inputs' buffers only. Rows of input number `n` (in the order the inputs were found)
//! go to `part-n` of their month, and where one batch ends depends on the rows alone: the
//! output is the same on every run, whatever the thread timing.

use super::columns::{
    join_dict, join_flags, join_values, DictBuilder, DictColumn, JoinedDict, JoinedText,
    TextBuilder, TextColumn,
};
use super::time_text::TimeText;
use super::{
    environment_dir, part_name, EncodedBatch, ExportError, ExportTable, Exporter, FileMeta,
    TableWriter,
};
use crate::clock::ServerClock;
use crate::integration::call::{CallRecord, Endpoints};
use crate::integration::layout::Header;
use crate::integration::scan::{CallSink, ScanSink};
use chrono::{Datelike, NaiveDateTime, Offset, TimeZone};
use polars::prelude::*;
use polars_arrow::array::Array;
use polars_arrow::datatypes::{ArrowDataType, TimeUnit as ArrowTimeUnit};
use polars_arrow::types::NativeType;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

/// The month folder of calls without a date.
pub const UNKNOWN_MONTH: &str = "unknown";

/// The calls of the chunk being parsed, column by column.
#[derive(Default)]
pub struct CallRows {
    time: TextBuilder,
    local_ms: Vec<Option<i64>>,
    offset: Vec<Option<i32>>,
    date: DictBuilder,
    week: DictBuilder,
    user: DictBuilder,
    ip: DictBuilder,
    method: DictBuilder,
    endpoint: DictBuilder,
    template: DictBuilder,
    /// The method's and the template's keys by the endpoint's key in this chunk: both
    /// follow from the endpoint (`GET /dc/{template}/data/{id}`), whose few distinct values
    /// repeat over the rows, so they are looked up once per endpoint rather than per row.
    by_endpoint: Vec<(u32, u32)>,
    status: Vec<Option<i32>>,
    success: Vec<Option<bool>>,
    duration_ms: Vec<Option<f64>>,
    cards: Vec<Option<i64>>,
    /// Always a value (Option as the other flags, for one join).
    login: Vec<Option<bool>>,
    level: DictBuilder,
    /// Month key (year * 12 + month - 1) per row, 0 without a date.
    months: Vec<u32>,
    /// The day's and offset's text of the row before.
    time_text: TimeText,
}

/// The calls of a parsed chunk, column by column (as in [`CALL_COLUMNS`]).
pub struct CallChunk {
    time: TextColumn,
    local_ms: Vec<Option<i64>>,
    offset: Vec<Option<i32>>,
    date: DictColumn,
    week: DictColumn,
    user: DictColumn,
    ip: DictColumn,
    method: DictColumn,
    endpoint: DictColumn,
    template: DictColumn,
    status: Vec<Option<i32>>,
    success: Vec<Option<bool>>,
    duration_ms: Vec<Option<f64>>,
    cards: Vec<Option<i64>>,
    login: Vec<Option<bool>>,
    level: DictColumn,
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

/// The schema of the calls table's files.
pub fn call_schema() -> SchemaRef {
    static SCHEMA: LazyLock<SchemaRef> = LazyLock::new(|| {
        let types = [
            DataType::String,
            DataType::Datetime(TimeUnit::Milliseconds, None),
            DataType::Int32,
            DataType::String,
            DataType::String,
            DataType::String,
            DataType::String,
            DataType::String,
            DataType::String,
            DataType::String,
            DataType::Int32,
            DataType::Boolean,
            DataType::Float64,
            DataType::Int64,
            DataType::Boolean,
            DataType::String,
        ];
        let fields = CALL_COLUMNS
            .iter()
            .zip(types)
            .map(|(name, dtype)| Field::new((*name).into(), dtype));
        Arc::new(Schema::from_iter(fields))
    });
    SCHEMA.clone()
}

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
                self.date.push(Some(date.as_bytes()), false);
                self.week.push(Some(week.as_bytes()), false);
                self.local_ms.push(Some(t.and_utc().timestamp_millis()));
                self.months.push(month_key(t));
            }
            None => {
                self.time.push_null();
                self.local_ms.push(None);
                self.date.push(None, false);
                self.week.push(None, false);
                self.months.push(0);
            }
        }
        self.offset.push(offset);
        let redact_text = settings.redact;
        self.user.push(call.user, redact_text);
        self.ip.push(call.ip, redact_text);
        match call.endpoint {
            Some(endpoint) => {
                let key = self.endpoint.push(Some(endpoint), redact_text);
                // Endpoint keys are handed out in order, one more than `by_endpoint` holds
                // when the endpoint is new to the chunk.
                if key as usize == self.by_endpoint.len() {
                    let method = self.method.push(Some(call.method), redact_text);
                    let template = self.template.push(call.template(), redact_text);
                    self.by_endpoint.push((method, template));
                } else {
                    let (method, template) = self.by_endpoint[key as usize];
                    self.method.push_key(method);
                    self.template.push_key(template);
                }
            }
            None => {
                self.method.push(Some(call.method), redact_text);
                self.endpoint.push(None, redact_text);
                self.template.push(None, redact_text);
            }
        }
        self.status.push(call.status.map(i32::from));
        self.success.push(call.successful());
        self.duration_ms
            .push(call.duration_us.map(|us| us as f64 / 1000.0));
        self.cards
            .push(call.cards.map(|c| i64::try_from(c).unwrap_or(i64::MAX)));
        self.login.push(Some(call.login));
        self.level.push(header.level, false);
    }

    /// The rows as a chunk, and the month runs: (month key, first row, rows). Empties the
    /// buffer; each column of the next chunk is made once at this one's size rather than
    /// grown by doubling (each step a new allocation, and the kernel's page faults behind
    /// it).
    fn take_chunk(&mut self) -> (CallChunk, MonthRuns) {
        let n = self.len();
        self.by_endpoint.clear();
        let chunk = CallChunk {
            time: self.time.take(n),
            local_ms: take_with_room(n, &mut self.local_ms),
            offset: take_with_room(n, &mut self.offset),
            date: self.date.take(n),
            week: self.week.take(n),
            user: self.user.take(n),
            ip: self.ip.take(n),
            method: self.method.take(n),
            endpoint: self.endpoint.take(n),
            template: self.template.take(n),
            status: take_with_room(n, &mut self.status),
            success: take_with_room(n, &mut self.success),
            duration_ms: take_with_room(n, &mut self.duration_ms),
            cards: take_with_room(n, &mut self.cards),
            login: take_with_room(n, &mut self.login),
            level: self.level.take(n),
        };
        let mut runs: MonthRuns = Vec::new();
        for (row, &month) in self.months.iter().enumerate() {
            match runs.last_mut() {
                Some((m, _, len)) if *m == month => *len += 1,
                _ => runs.push((month, row, 1)),
            }
        }
        self.months.clear();
        (chunk, runs)
    }
}

/// The values of `column`, leaving it empty with room for `rows` values.
fn take_with_room<T>(rows: usize, column: &mut Vec<T>) -> Vec<T> {
    std::mem::replace(column, Vec::with_capacity(rows))
}

/// A column of a batch, as its rows were collected.
pub enum BatchColumn<'a> {
    /// Text as a dictionary of the batch's distinct values.
    Dictionary(JoinedDict<'a>),
    /// Text kept value after value (the time).
    Text(JoinedText<'a>),
    /// Numbers, booleans and timestamps.
    Values(Box<dyn Array>),
}

impl BatchColumn<'_> {
    /// The column as polars takes it: text one value per row.
    pub fn into_array(self) -> Box<dyn Array> {
        match self {
            BatchColumn::Dictionary(dict) => dict.text_array().boxed(),
            BatchColumn::Text(text) => text.text_array().boxed(),
            BatchColumn::Values(array) => array,
        }
    }
}

/// Rows of a parsed chunk that go to one batch.
struct ChunkPart {
    chunk: Arc<CallChunk>,
    rows: Range<usize>,
}

/// The rows of one row group: runs of chunks' rows, in order.
pub struct CallBatch {
    parts: Vec<ChunkPart>,
}

impl CallBatch {
    /// How many rows.
    pub fn rows(&self) -> usize {
        self.parts.iter().map(|p| p.rows.len()).sum()
    }

    fn dict(&self, pick: fn(&CallChunk) -> &DictColumn) -> BatchColumn<'_> {
        BatchColumn::Dictionary(join_dict(
            self.parts
                .iter()
                .map(move |p| (pick(&p.chunk), p.rows.clone())),
        ))
    }

    fn values<T: NativeType>(
        &self,
        pick: fn(&CallChunk) -> &[Option<T>],
        dtype: ArrowDataType,
    ) -> BatchColumn<'_> {
        let parts = self
            .parts
            .iter()
            .map(move |p| &pick(&p.chunk)[p.rows.clone()]);
        BatchColumn::Values(join_values(parts, dtype).boxed())
    }

    fn flags(&self, pick: fn(&CallChunk) -> &[Option<bool>]) -> BatchColumn<'_> {
        let parts = self
            .parts
            .iter()
            .map(move |p| &pick(&p.chunk)[p.rows.clone()]);
        BatchColumn::Values(join_flags(parts).boxed())
    }

    /// The columns, as in [`CALL_COLUMNS`] and [`call_schema`].
    pub fn columns(&self) -> Vec<BatchColumn<'_>> {
        vec![
            BatchColumn::Text(JoinedText::new(
                self.parts
                    .iter()
                    .map(|p| (&p.chunk.time, p.rows.clone()))
                    .collect(),
            )),
            self.values(
                |c| &c.local_ms,
                ArrowDataType::Timestamp(ArrowTimeUnit::Millisecond, None),
            ),
            self.values(|c| &c.offset, ArrowDataType::Int32),
            self.dict(|c| &c.date),
            self.dict(|c| &c.week),
            self.dict(|c| &c.user),
            self.dict(|c| &c.ip),
            self.dict(|c| &c.method),
            self.dict(|c| &c.endpoint),
            self.dict(|c| &c.template),
            self.values(|c| &c.status, ArrowDataType::Int32),
            self.flags(|c| &c.success),
            self.values(|c| &c.duration_ms, ArrowDataType::Float64),
            self.values(|c| &c.cards, ArrowDataType::Int64),
            self.flags(|c| &c.login),
            self.dict(|c| &c.level),
        ]
    }

    /// The rows as a polars frame (one chunk per column), for the formats written from one.
    pub fn to_frame(&self) -> PolarsResult<DataFrame> {
        let columns = self
            .columns()
            .into_iter()
            .zip(CALL_COLUMNS)
            .map(|(column, name)| {
                Series::from_arrow(name.into(), column.into_array()).map(Column::from)
            })
            .collect::<PolarsResult<Vec<Column>>>()?;
        DataFrame::new(self.rows(), columns)
    }
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
    /// Batches this thread's last chunk completed, encoded in [`ScanSink::after_chunk`].
    jobs: Vec<BatchJob>,
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
struct ChunkRows {
    chunk: Arc<CallChunk>,
    runs: MonthRuns,
}

#[derive(Default)]
struct FileOrder {
    next: u64,
    chunks: Option<u64>,
    pending: BTreeMap<u64, ChunkRows>,
}

/// One open output file: the rows not yet cut into a batch, and the batches encoded ahead of
/// their turn.
struct Partition {
    writer: Box<dyn TableWriter>,
    buffered: Vec<ChunkPart>,
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
    parts: Vec<ChunkPart>,
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
    /// The batch's rows encoded for `exporter`.
    fn encode(self, exporter: &dyn Exporter) -> Result<EncodedBatch, ExportError> {
        let batch = CallBatch { parts: self.parts };
        exporter.encode_calls(&batch, &self.path)
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
                partition.buffered.push(ChunkPart {
                    chunk: chunk.chunk.clone(),
                    rows: start..start + len,
                });
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
            jobs: Vec::new(),
        }
    }

    fn chunk_done(&self, worker: &mut CallRowSink, file: usize, seq: u64) -> usize {
        let (chunk, runs) = worker.rows.take_chunk();
        let chunk = ChunkRows {
            chunk: Arc::new(chunk),
            runs,
        };
        let held = |c: &Collector| c.files.values().map(|o| o.pending.len()).sum::<usize>();
        let jobs = &mut worker.jobs;
        let done = {
            let mut collector = lock(&self.collector);
            let before = held(&collector);
            Self::record_into(&mut collector, |collector| {
                collector
                    .files
                    .entry(file)
                    .or_default()
                    .pending
                    .insert(seq, chunk);
                self.advance(collector, file, jobs)
            });
            // This chunk and those it let through are done with; the held-back ones keep
            // their block, so that the readers wait for the chunk everything waits for (see
            // ScanSink).
            before + 1 - held(&collector)
        };
        done
    }

    fn after_chunk(&self, worker: &mut CallRowSink) {
        self.encode_and_append(std::mem::take(&mut worker.jobs));
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
    use crate::export::parquet::ParquetExporter;
    use crate::integration::layout::LayoutParser;
    use crate::integration::scan::{scan_into, ScanOptions};
    use std::path::Path;

    #[test]
    fn month_labels() {
        let t = NaiveDateTime::parse_from_str("2023-04-11 20:34:00", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(month_label(month_key(t)), "2023-04");
        let t = NaiveDateTime::parse_from_str("2023-12-31 23:59:59", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(month_label(month_key(t)), "2023-12");
        assert_eq!(month_label(0), UNKNOWN_MONTH);
    }

    /// Parquet written through a polars frame of each batch ([`Exporter::encode_calls`] as
    /// every other format has it): the general path the calls' own arrays bypass.
    struct ThroughFrames;

    impl Exporter for ThroughFrames {
        fn extension(&self) -> &'static str {
            ParquetExporter.extension()
        }

        fn create(
            &self,
            path: &Path,
            meta: &FileMeta,
        ) -> Result<Box<dyn TableWriter>, ExportError> {
            ParquetExporter.create(path, meta)
        }

        fn encode(&self, batch: &DataFrame, path: &Path) -> Result<EncodedBatch, ExportError> {
            ParquetExporter.encode(batch, path)
        }
    }

    /// Calls of every kind: two months across a change of UTC offset, users in runs and not,
    /// non-ASCII, invalid UTF-8 and a token to redact, missing fields, and an address new
    /// on nearly every row (so that batches write it plain rather than as a dictionary).
    fn varied_log() -> Vec<u8> {
        const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl";
        let mut out = Vec::new();
        let mut n = 7u64;
        let start =
            NaiveDateTime::parse_from_str("2023-10-28 22:00:00", "%Y-%m-%d %H:%M:%S").unwrap();
        for i in 0..3_000u64 {
            n = n
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let t = start + chrono::Duration::milliseconds((i * 173_417 + n % 1_000) as i64);
            let user: Vec<u8> = match (i / 40) % 6 {
                0 => b"CRM_SYNC".to_vec(),
                1 => format!("user{}", n % 5).into_bytes(),
                2 => "päivi.kärkkäinen".as_bytes().to_vec(),
                3 => b"bad\xff\xfeutf8".to_vec(),
                4 => JWT.as_bytes().to_vec(),
                _ => format!("svc-{}-{}", "x".repeat((n % 30) as usize), n % 3).into_bytes(),
            };
            let ip = if i % 1_000 < 700 {
                format!("10.{}.{}.{}", n % 256, (n >> 8) % 256, (n >> 16) % 256)
            } else {
                format!("10.0.0.{}", n % 4)
            };
            let (method, path) = match n % 5 {
                0 => (
                    "GET",
                    format!("/rest-api/itsm/v1/dc/incident/data/{}", n % 1000),
                ),
                1 => ("POST", "/rest-api/itsm/v1/dc/person/data".to_string()),
                2 => ("POST", "/rest-api/itsm/v1/users/login".to_string()),
                3 => ("PUT", format!("/rest-api/itsm/v1/dc/asset/data/{}", n % 7)),
                _ => ("DELETE", "/rest-api/itsm/v1/odd path/å".to_string()),
            };
            let status = match n % 7 {
                0 => String::new(),
                1 => " status=429".to_string(),
                _ => " status=200".to_string(),
            };
            let cards = if n % 3 == 0 {
                format!(" cards={}", n % 50)
            } else {
                String::new()
            };
            let duration = if n % 11 == 0 {
                String::new()
            } else {
                format!(" duration={}ms", n % 900)
            };
            let level = ["INFO ", "WARN ", "ERROR"][(n % 3) as usize];
            out.extend_from_slice(
                format!(
                    "{} {level} [exec-1] com.efecte.rest.RestApiLogger - user=",
                    t.format("%Y-%m-%d %H:%M:%S,%3f")
                )
                .as_bytes(),
            );
            out.extend_from_slice(&user);
            out.extend_from_slice(
                format!(" ip={ip} method={method} path={path}{status}{duration}{cards}\n")
                    .as_bytes(),
            );
        }
        out
    }

    fn export_with(exporter: &dyn Exporter, log: &Path, out: &Path) -> CallsWritten {
        let ingest = crate::ingest::ingest(&[log.display().to_string()], &LayoutParser::default());
        let mut options = ScanOptions::new(ingest.layout.clone());
        // Small chunks and row groups: every batch joins several chunks' dictionaries.
        options.chunk_bytes = 16 << 10;
        options.redact = true;
        let clock = ServerClock::Zone("Europe/Helsinki".parse().unwrap());
        let sink = CallExport::new(exporter, out, "t", 700, true, clock);
        let scanned = scan_into(ingest.integration, &options, &sink);
        assert!(scanned.errors.is_empty());
        sink.finish().unwrap()
    }

    fn read_tree(dir: &Path) -> BTreeMap<String, DataFrame> {
        let mut files = BTreeMap::new();
        for entry in glob::glob(&format!("{}/**/*.parquet", dir.display())).unwrap() {
            let path = entry.unwrap();
            let frame = ParquetReader::new(std::fs::File::open(&path).unwrap())
                .finish()
                .unwrap();
            let name = path.strip_prefix(dir).unwrap().display().to_string();
            files.insert(name, frame);
        }
        files
    }

    #[test]
    fn parquet_from_the_calls_arrays_reads_back_as_through_frames() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("integration.log");
        std::fs::write(&log, varied_log()).unwrap();
        let fast = export_with(&ParquetExporter, &log, &dir.path().join("fast"));
        let general = export_with(&ThroughFrames, &log, &dir.path().join("general"));
        assert_eq!(fast, general);
        assert_eq!(fast.rows, 3_000);
        let fast = read_tree(&dir.path().join("fast"));
        let general = read_tree(&dir.path().join("general"));
        assert_eq!(
            fast.keys().collect::<Vec<_>>(),
            general.keys().collect::<Vec<_>>()
        );
        assert!(fast.len() >= 2, "two months: {:?}", fast.keys());
        for (name, frame) in &fast {
            let other = &general[name];
            assert_eq!(frame.schema(), other.schema(), "{name}");
            assert_eq!(**frame.schema(), *call_schema(), "{name}");
            assert!(frame.equals_missing(other), "{name}:\n{frame}\n{other}");
        }
        let all = fast.values().map(|f| f.height()).sum::<usize>();
        assert_eq!(all, 3_000);
        // The redacted token and the replaced bytes are in both, the token's text in neither.
        let users: Vec<String> = fast
            .values()
            .flat_map(|f| {
                f.column("user_name")
                    .unwrap()
                    .str()
                    .unwrap()
                    .iter()
                    .flatten()
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(users.iter().any(|u| u == "[REDACTED]"));
        assert!(users.iter().any(|u| u.contains('\u{fffd}')));
        assert!(users.iter().any(|u| u.contains('\u{e4}')));
        assert!(!users.iter().any(|u| u.contains("eyJ")));
    }

    /// Each row's method and template are its own endpoint's, although they are looked up
    /// once per endpoint of a chunk: over chunks and row groups of several chunks.
    #[test]
    fn method_and_template_follow_each_rows_endpoint() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("integration.log");
        std::fs::write(&log, varied_log()).unwrap();
        export_with(&ParquetExporter, &log, &dir.path().join("out"));
        let mut templates = std::collections::BTreeSet::new();
        let mut rows = 0;
        for frame in read_tree(&dir.path().join("out")).values() {
            let text = |name| frame.column(name).unwrap().str().unwrap().clone();
            let (method, endpoint, template) = (text("method"), text("endpoint"), text("template"));
            for ((method, endpoint), template) in
                method.iter().zip(endpoint.iter()).zip(template.iter())
            {
                let (endpoint_method, path) = endpoint.unwrap().split_once(' ').unwrap();
                assert_eq!(method, Some(endpoint_method));
                let expected = crate::integration::message::template_of(path.as_bytes());
                assert_eq!(template.map(str::as_bytes), expected, "{endpoint:?}");
                templates.extend(template.map(str::to_owned));
                rows += 1;
            }
        }
        assert_eq!(rows, 3_000);
        assert!(templates.len() >= 3, "{templates:?}");
    }
}
