//! One module per subcommand; this one holds the plumbing the usage commands share.

pub mod alerts;
pub mod calls;
pub mod check;
pub mod environments;
pub mod export;
pub mod fleet;
pub mod generate;
pub mod monthly;
pub mod rejections;
pub mod report;
pub mod shell;
pub mod watch;
pub mod weekly;

use crate::calendar::{RangeSpec, TimeRange};
use crate::cli::{InputArgs, UsageArgs};
use crate::clock::ServerClock;
use crate::error::UsageError;
use crate::ingest::{ingest_with, Ingest, LayoutChoice, LayoutFinding};
use crate::integration::layout::{LayoutError, LayoutParser};
use crate::integration::scan::{date_in_file_name, scan, ScanOptions, ScanResult};
use crate::messages;
use crate::progress::ProgressBar;
use crate::render::{emit, thousands, Report};
use crate::report::quota::Quota;
use crate::report::reconcile::IntegrationCounts;
use crate::report::UsageOptions;
use crate::usage::period::{build_timeline, Timeline};
use chrono::{NaiveDate, NaiveDateTime};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Problems reported so far in this run (malformed, orphan, suspicious and oversized lines,
/// inputs that are not logs, counter anomalies), for `--fail-on-problems`.
static PROBLEMS: AtomicU64 = AtomicU64::new(0);

/// Counts `n` problems that were reported on stderr.
pub fn count_problems(n: u64) {
    PROBLEMS.fetch_add(n, Ordering::Relaxed);
}

/// The problems reported so far in this run.
pub fn problems_reported() -> u64 {
    PROBLEMS.load(Ordering::Relaxed)
}

/// How a command that ran to its end went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Nothing to report beyond the output.
    Clean,
    /// The command found what it looks for (a spike over a threshold, problems in a log).
    Findings,
}

/// Why a command could not produce its result.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Usage(#[from] UsageError),
    #[error("--layout: {0}")]
    Layout(#[from] LayoutError),
    #[error("no usage log (Matrix42_rest_rest_api_usage.log) among the inputs: {inputs}; a usage log's lines look like `2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300`")]
    NoUsageLog { inputs: String },
    #[error("--by: {0}")]
    Dimension(#[from] crate::integration::aggregate::UnknownDim),
    #[error("--message-pattern: {0}")]
    MessagePattern(#[from] crate::integration::call::MessagePatternError),
    #[error("no integration.log among the inputs: {inputs}; its lines look like `2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms` (give --layout if it is written with another Log4j pattern)")]
    NoIntegrationLog { inputs: String },
    #[error("--threads {0}: {1}")]
    Threads(usize, String),
    #[error("aggregation failed: {0}")]
    Frame(#[from] polars::prelude::PolarsError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Live(#[from] crate::live::LiveError),
    #[error(transparent)]
    Environment(#[from] environments::EnvironmentError),
    #[error(transparent)]
    Timeline(#[from] crate::usage::period::TimelineError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
    #[error("{file}: the layout `{layout}` writes only the time of day and the file name has no date (as in integration.log.2023-10-09); give the day with --date YYYY-MM-DD")]
    NoDate { file: String, layout: String },
    #[error("environment {environment}: neither a usage log nor an integration.log among its inputs: {inputs}")]
    NoLogs { environment: String, inputs: String },
}

/// The inputs of a usage report, read and checked.
pub struct UsageInputs {
    pub timeline: Timeline,
    pub options: UsageOptions,
    /// Files on disk behind the inputs, never to be written over.
    pub input_paths: Vec<PathBuf>,
    pub ingest: Ingest,
    /// `--since`, `--until`, `--last` as given, to resolve `--last` again across
    /// environments.
    pub spec: RangeSpec,
    /// The newest dated line of the inputs, when `--last` needed it.
    pub newest: Option<NaiveDateTime>,
}

pub fn parse_date(
    flag: &'static str,
    value: &Option<String>,
) -> Result<Option<NaiveDate>, UsageError> {
    value
        .as_deref()
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d").map_err(|_| UsageError::BadDate {
                flag,
                value: v.to_string(),
            })
        })
        .transpose()
}

/// `--since`, `--until` and `--last`, checked; `--last` is resolved against the inputs by
/// [`resolve_range`].
pub fn range_spec(args: &crate::cli::RangeArgs) -> Result<RangeSpec, UsageError> {
    Ok(RangeSpec::parse(
        args.since.as_deref(),
        args.until.as_deref(),
        args.last.as_deref(),
    )?)
}

/// The newest dated line among the inputs: the usage logs' last line and integration.log's
/// newest entry. integration.log is read for it once more from its start (without grouping
/// anything), so its inputs must be files: stdin cannot be read twice.
pub fn newest_line(
    ingest: &Ingest,
    args: &InputArgs,
) -> Result<Option<NaiveDateTime>, CommandError> {
    let usage = ingest
        .usage
        .iter()
        .flat_map(|f| f.records.iter().map(|r| r.stamp))
        .max();
    if ingest.integration.is_empty() {
        return Ok(usage);
    }
    let mut again = Vec::with_capacity(ingest.integration.len());
    for input in &ingest.integration {
        match input.again() {
            Some(copy) => again.push(copy),
            None => {
                return Err(UsageError::BadValue {
                    flag: "--last",
                    value: input.input.name.clone(),
                    reason: "this input is a stream (stdin or a pipe), which cannot be read once for its newest line and again for the window; give the log as a file, or name the window with --since and --until".into(),
                }
                .into())
            }
        }
    }
    let mut options = ScanOptions::new(ingest.layout.clone());
    options.duration_unit = args.reading.duration_unit;
    options.date = parse_date("--date", &args.date)?;
    options.failures = false;
    let result = scan(again, &options);
    let integration = result.files.iter().filter_map(|f| f.last).max();
    Ok(usage.max(integration))
}

/// The range the flags name: `--since`/`--until` as given, or `--last` counted back from the
/// newest line of the inputs (read for it only when `--last` is given).
pub fn resolve_range(
    spec: &RangeSpec,
    ingest: &Ingest,
    args: &InputArgs,
) -> Result<TimeRange, CommandError> {
    let newest = if spec.needs_newest() {
        newest_line(ingest, args)?
    } else {
        None
    };
    Ok(spec.resolve(newest).map_err(UsageError::from)?)
}

/// `--tz` as a clock.
pub fn clock_of(tz: &Option<String>) -> Result<ServerClock, UsageError> {
    match tz {
        None => Ok(ServerClock::PeriodOffsets),
        Some(name) => ServerClock::from_zone_name(name).ok_or_else(|| UsageError::BadZone {
            value: name.clone(),
        }),
    }
}

/// Tells the user a layout that was inferred, or that none could be: they should know what
/// their log was read with, and how to pin it.
fn report_layout_finding(finding: &LayoutFinding, layout: &LayoutParser) {
    if matches!(
        finding,
        LayoutFinding::Inferred { .. } | LayoutFinding::NotFound { .. }
    ) {
        messages::warn(&finding.describe(layout));
    }
}

/// Reads every input, reporting unreadable ones and skipped lines on stderr. A command
/// without a per-environment view reads the inputs of every environment together.
pub fn read_inputs(args: &InputArgs) -> Result<Ingest, CommandError> {
    let choice = LayoutChoice::from_flag(&args.reading.layout, args.reading.layout_dialect)?;
    let mut paths = args.paths.clone();
    if !args.environment.is_empty() || args.environments_by_folder {
        let envs = environments::environments(args)?;
        if envs.len() > 1 {
            messages::warn(
                "this command reads all the environments' inputs together; weekly, monthly, report and export have a row, bundle or partition per environment",
            );
        }
        paths = envs.into_iter().flat_map(|e| e.paths).collect();
    }
    let found = ingest_with(&paths, &choice);
    report_layout_finding(&found.layout_finding, &found.layout);
    count_problems(found.skipped.len() as u64);
    for error in &found.errors {
        messages::error(&error.to_string());
    }
    for warning in &found.warnings {
        messages::warn(warning);
    }
    for skipped in &found.skipped {
        messages::warn(&format!(
            "{}: neither a usage log nor an integration.log in layout `{}`; skipped (first line: `{}`). \
             If it is an integration.log, give its Log4j pattern with --layout.",
            skipped.name,
            found.layout.pattern(),
            skipped.first_line
        ));
    }
    Ok(found)
}

/// Reads the usage logs among the inputs into a timeline.
pub fn load_usage(args: &UsageArgs) -> Result<UsageInputs, CommandError> {
    let clock = clock_of(&args.input.reading.tz)?;
    let spec = range_spec(&args.range)?;
    let ingest = read_inputs(&args.input)?;
    if ingest.usage.is_empty() {
        return Err(CommandError::NoUsageLog {
            inputs: args.input.paths.join(", "),
        });
    }
    let newest = if spec.needs_newest() {
        newest_line(&ingest, &args.input)?
    } else {
        None
    };
    let range = spec.resolve(newest).map_err(UsageError::from)?;
    report_line_problems(&ingest);
    let timeline = build_timeline(&ingest.usage, clock)?;
    count_problems(timeline.anomalies.len() as u64);
    for anomaly in timeline.anomalies.iter().take(10) {
        messages::warn(&anomaly.to_string());
    }
    if timeline.anomalies.len() > 10 {
        messages::warn(&format!(
            "{} more anomalies not shown",
            thousands((timeline.anomalies.len() - 10) as u64)
        ));
    }
    if args.input.reading.tz.is_none() && timeline.offsets_differ {
        messages::warn(
            "the periods' `since` offsets differ (daylight saving time changed); each period is read \
             with its own offset. Give the server's zone with --tz (for example --tz Europe/Helsinki) \
             for exact instants and the repeated autumn hour.",
        );
    }
    let input_paths = ingest.disk_paths();
    Ok(UsageInputs {
        timeline,
        options: UsageOptions {
            clock,
            range,
            quota: args.quota.map(|volume| Quota {
                volume,
                period: args.quota_period,
            }),
        },
        input_paths,
        ingest,
        spec,
        newest,
    })
}

/// Warns about usage-log lines that could not be read.
pub fn report_line_problems(ingest: &Ingest) {
    let malformed: u64 = ingest.usage.iter().map(|f| f.problems.total).sum();
    count_problems(malformed);
    if malformed == 0 {
        return;
    }
    messages::warn(&format!(
        "{} usage-log line(s) could not be read and were skipped (`esmlog check` lists them); the first:",
        thousands(malformed)
    ));
    for problem in ingest.usage.iter().flat_map(|f| &f.problems.kept).take(5) {
        messages::detail(&format!(
            "{}:{}: {}: {}",
            problem.file, problem.line, problem.reason, problem.text
        ));
    }
}

/// Writes an SVG chart when the user asked for one.
pub fn write_chart(
    target: &Option<String>,
    inputs: &[PathBuf],
    svg: impl FnOnce() -> String,
) -> Result<(), CommandError> {
    if let Some(path) = target {
        let svg = svg();
        crate::output::write_output(path, inputs, |w| w.write_all(svg.as_bytes()))?;
    }
    Ok(())
}

/// Renders a report to the output the user asked for.
pub fn write_report<R: Report>(
    report: &R,
    output: &crate::cli::OutputArgs,
    inputs: &[PathBuf],
) -> Result<(), CommandError> {
    let line_end = crate::render::csv::LineEnd::crlf_if(output.csv_crlf);
    crate::output::write_output(&output.output, inputs, |w| {
        emit(report, output.format, line_end, w)
    })?;
    Ok(())
}

/// Scans on a pool of `threads` workers, or on the global pool (one per core).
pub fn scan_with_threads(
    inputs: Vec<crate::ingest::IntegrationInput>,
    options: &ScanOptions,
    threads: Option<usize>,
) -> Result<ScanResult, CommandError> {
    scan_with_pool(threads, || scan(inputs, options))
}

/// Runs `f` (a scan) on a pool of `threads` workers, or on the global pool (one per core).
pub fn scan_with_pool<T: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> T + Send,
) -> Result<T, CommandError> {
    match threads {
        None => Ok(f()),
        Some(n) => {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .map_err(|e| CommandError::Threads(n, e.to_string()))?;
            Ok(pool.install(f))
        }
    }
}

/// Unreadable inputs are errors; orphans, suspicious and oversized lines and layouts that
/// match nothing are warnings.
pub fn report_scan_problems(result: &ScanResult) {
    for error in &result.errors {
        messages::error(&error.to_string());
    }
    for file in &result.files {
        if let Some(none) = &file.no_entries {
            count_problems(1);
            messages::warn(&format!("{}: {none}", file.name));
        }
    }
    let duplicates: u64 = result.files.iter().map(|f| f.duplicates).sum();
    if duplicates > 0 {
        messages::warn(&format!(
            "{} integration.log entries were found in more than one input (overlapping copies) and count once; `esmlog check` lists them per input",
            thousands(duplicates)
        ));
    }
    if result.overlap_unmerged {
        messages::warn(
            "integration.log inputs overlap in time, and one of them (stdin, a pipe) cannot be read again, or rows are written as they are read (export): \
             entries they share count once per input. Give the files themselves to count each entry once.",
        );
    }
    let suspicious: u64 = result.files.iter().map(|f| f.lines.suspicious).sum();
    if suspicious > 0 {
        messages::warn(&format!(
            "{} integration.log line(s) look like entry headers but do not match the layout; they are not counted as entries or calls (`esmlog check` lists them)",
            thousands(suspicious)
        ));
    }
    let unreadable: u64 = result.files.iter().map(|f| f.lines.unreadable_fields).sum();
    if unreadable > 0 {
        messages::warn(&format!(
            "{} integration.log call(s) have a status, duration or card count that could not be read; those fields are missing from the figures (`esmlog check` lists them)",
            thousands(unreadable)
        ));
    }
    let total: u64 = result.files.iter().map(|f| f.problems.total).sum();
    count_problems(total);
    if total > 0 {
        messages::warn(&format!(
            "{} integration.log line(s) were orphans, suspicious, oversized or had unreadable fields; the first:",
            thousands(total)
        ));
        for problem in result.files.iter().flat_map(|f| &f.problems.kept).take(5) {
            messages::detail(&format!(
                "{}:{}: {}: {}",
                problem.file, problem.line, problem.reason, problem.text
            ));
        }
    }
}

/// `--date`, checked against the inputs of a time-only layout (`%d{ABSOLUTE}`): each needs
/// a date in its file name or `--date`, and the user is told which gives its day; no entry
/// is left without a date.
pub fn days_of_time_only_inputs(
    options: &ScanOptions,
    inputs: &[crate::ingest::IntegrationInput],
    args: &InputArgs,
) -> Result<Option<NaiveDate>, CommandError> {
    let date = parse_date("--date", &args.date)?;
    if !options.layout.is_time_only() {
        return Ok(date);
    }
    for input in inputs {
        let name = &input.input.name;
        let source = match (date_in_file_name(name), date) {
            (Some(day), _) => format!("{day}, from its file name"),
            (None, Some(day)) => format!("{day}, from --date"),
            (None, None) => {
                return Err(CommandError::NoDate {
                    file: name.clone(),
                    layout: options.layout.pattern().to_owned(),
                })
            }
        };
        messages::warn(&format!(
            "{name}: the layout writes only the time of day; its entries are dated {source}"
        ));
    }
    Ok(date)
}

/// Scans the integration.log inputs (taking them out of `ingest`) with a progress bar and
/// reports their problems; none when there are none.
pub fn scan_integration(
    ingest: &mut Ingest,
    args: &InputArgs,
    configure: impl FnOnce(&mut ScanOptions),
    threads: Option<usize>,
) -> Result<Option<ScanResult>, CommandError> {
    if ingest.integration.is_empty() {
        return Ok(None);
    }
    let mut options = ScanOptions::new(ingest.layout.clone());
    options.duration_unit = args.reading.duration_unit;
    options.date = days_of_time_only_inputs(&options, &ingest.integration, args)?;
    configure(&mut options);
    let progress = ProgressBar::for_inputs(&ingest.integration);
    options.progress = progress.callback();
    let result = scan_with_threads(std::mem::take(&mut ingest.integration), &options, threads)?;
    progress.finish();
    report_scan_problems(&result);
    Ok(Some(result))
}

/// integration.log's calls per minute, for reconciling with the usage log; none when no
/// integration.log was given.
pub fn integration_counts(
    ingest: &mut Ingest,
    args: &InputArgs,
) -> Result<Option<IntegrationCounts>, CommandError> {
    Ok(
        scan_integration(ingest, args, |o| o.failures = false, None)?.map(|result| {
            IntegrationCounts {
                minutes: result.calls.minute_totals(),
                first: result.calls.first,
                last: result.calls.last,
            }
        }),
    )
}

/// `--message-pattern`, compiled once and shared by the scan's threads.
pub fn message_pattern_of(
    pattern: Option<&str>,
) -> Result<Option<Arc<crate::integration::call::MessagePattern>>, CommandError> {
    Ok(pattern
        .map(crate::integration::call::MessagePattern::new)
        .transpose()?
        .map(Arc::new))
}
