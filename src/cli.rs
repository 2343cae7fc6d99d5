//! The command line: subcommands and their flags.

use crate::integration::layout::DEFAULT_LAYOUT;
use crate::render::Format;
use crate::report::quota::QuotaPeriod;
use clap::{Args, Parser, Subcommand};

/// Turns Matrix42 ESM REST API logs into transaction, rejection and call reports.
///
/// Point it at usage logs (Matrix42_rest_rest_api_usage.log) and integration.log files:
/// files, folders, globs, .gz, .zip, or - for stdin, in any order. Each input's kind is
/// recognised from its content.
#[derive(Debug, Parser)]
#[command(name = "esmlog", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Print secrets found in the logs (bearer tokens, JWTs, passwords, API keys) instead of
    /// [REDACTED], in every output; the output then must not be shared.
    #[arg(long, global = true)]
    pub no_redact: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Transactions per ISO week of the server's calendar, exact where the log allows it.
    Weekly(UsageArgs),
    /// Transactions per calendar month: best estimate with a min and max that hold the truth.
    Monthly(UsageArgs),
    /// REST calls from integration.log by user, endpoint, status…: counts, latency
    /// percentiles, the busiest minute, the rate limit and avoidable logins.
    Calls(CallsArgs),
    /// Rejected calls over time and the spikes in them, each with its users, endpoints and
    /// statuses. Exit 1 with --fail-on-spike when a spike is found.
    Rejections(RejectionsArgs),
    /// Accounts for every line of every input: parsed, continuation, malformed, orphan,
    /// blank, duplicate; lists the first problems. Exit 1 when problems were found.
    Check(CheckArgs),
    /// Writes the parsed records as a dataset for Spark, DuckDB and the like: REST calls and
    /// usage periods, intervals and week/month pieces, Hive-partitioned by environment (and
    /// month) in Parquet, CSV or JSON lines.
    Export(ExportArgs),
    /// Writes deterministic synthetic logs and their truth.json (for tests and benchmarks).
    Generate(crate::generate::GenerateArgs),
    /// A monthly report bundle to forward as is: index.html (self-contained), report.md,
    /// charts/*.svg, data/*.csv and summary.json, for the last complete month by default.
    Report(ReportArgs),
}

/// Where the logs are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Log files, folders, globs, .gz or .zip archives; `-` reads stdin.
    #[arg(required_unless_present = "environment", value_name = "PATHS")]
    pub paths: Vec<String>,
    /// The server's IANA time zone (for example Europe/Helsinki): converts instants exactly
    /// and resolves the repeated hour when daylight saving time ends.
    #[arg(long, value_name = "ZONE")]
    pub tz: Option<String>,
    /// The Log4j PatternLayout integration.log is written with.
    #[arg(long, value_name = "PATTERN", default_value = DEFAULT_LAYOUT)]
    pub layout: String,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// The ESM environment of the inputs: `NAME` names the PATHS' environment; `NAME=PATH`
    /// (repeatable) adds PATH as an input of environment NAME. With several environments the
    /// reports have rows per environment and a total.
    #[arg(long, value_name = "NAME[=PATH]")]
    pub environment: Vec<String>,
    /// Each of the PATHS is a folder with one subfolder per environment (logs/<environment>/…),
    /// named after the subfolder.
    #[arg(long)]
    pub environments_by_folder: bool,
}

/// Where and how to write a report.
#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write to this file instead of stdout (`-`); written whole or not at all.
    #[arg(long, short, value_name = "FILE", default_value = "-")]
    pub output: String,
}

/// Flags of the usage reports.
#[derive(Debug, Clone, Args)]
pub struct UsageArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Licensed volume of transactions: shows the share used and a run-rate forecast.
    #[arg(long, value_name = "N")]
    pub quota: Option<u64>,
    /// What the licensed volume is counted over.
    #[arg(long, value_enum, default_value_t = QuotaPeriod::Month, requires = "quota")]
    pub quota_period: QuotaPeriod,
    /// Also draw the report as an SVG chart into this file (weeks as bars with lower bounds
    /// marked, or months with min–max whiskers; the quota line with --quota).
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<String>,
    /// Also draw the counters climbing within each period (the sawtooth) into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub cumulative_chart: Option<String>,
}

/// Flags of `esmlog calls`.
#[derive(Debug, Args)]
pub struct CallsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Group by these dimensions, in order: user, endpoint, template, method, status, ip,
    /// hour, day, week (repeat the flag or separate with commas).
    #[arg(
        long,
        value_name = "DIM",
        value_delimiter = ',',
        default_value = "user"
    )]
    pub by: Vec<String>,
    /// Read messages with this regular expression instead of as key=value pairs; its named
    /// groups carry the fields (user, ip, method, path, status, duration, cards, error).
    #[arg(long, value_name = "REGEX")]
    pub message_pattern: Option<String>,
    /// `external.api.max.requests.per.minute`: calls per minute and user ESM allows.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate_limit: u64,
    /// `security.external.api.token.expiration.time` in minutes: logins beyond one per
    /// token lifetime are avoidable.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub token_minutes: i64,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Also draw the users' successful and unsuccessful calls into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<String>,
    /// Also draw calls by weekday and hour as a heatmap into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub heatmap: Option<String>,
    /// Also draw calls per minute against --rate-limit into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub load_chart: Option<String>,
}

/// Flags of `esmlog check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Flags of `esmlog rejections`.
#[derive(Debug, Args)]
pub struct RejectionsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub range: RangeArgs,
    /// Exit with code 1 when a spike is found (for cron and monitoring).
    #[arg(long)]
    pub fail_on_spike: bool,
    /// Minutes before a minute, not in a spike, whose rejection rate is its baseline.
    #[arg(long, value_name = "MINUTES", default_value_t = 60)]
    pub spike_window: usize,
    /// How many scaled median absolute deviations above the baseline a minute must be.
    #[arg(long, value_name = "N", default_value_t = 6.0)]
    pub spike_threshold: f64,
    /// The fewest rejected calls in a minute that can be part of a spike; in the first minutes,
    /// before there is a baseline, this many 429s make a spike by themselves.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub spike_min: u64,
    /// `external.api.max.requests.per.minute`: calls per minute and user ESM allows, which
    /// each spike's top user is measured against.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate_limit: u64,
    /// Also draw the rejection rate over time, spikes shaded, into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<String>,
}

/// Flags of `esmlog report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Folder to write the bundle into (created if missing). Only the bundle's own files are
    /// written; anything else in the folder is left alone.
    #[arg(long, value_name = "DIR")]
    pub out: String,
    /// The month to report, YYYY-MM (default: the last complete month in the data).
    #[arg(long, value_name = "YYYY-MM", conflicts_with = "all")]
    pub month: Option<String>,
    /// Report all the data instead of one month.
    #[arg(long)]
    pub all: bool,
    /// Licensed volume of transactions: shows the share used and a run-rate forecast.
    #[arg(long, value_name = "N")]
    pub quota: Option<u64>,
    /// What the licensed volume is counted over.
    #[arg(long, value_enum, default_value_t = QuotaPeriod::Month, requires = "quota")]
    pub quota_period: QuotaPeriod,
    /// `external.api.max.requests.per.minute`: calls per minute and user ESM allows.
    #[arg(long, value_name = "N", default_value_t = 30)]
    pub rate_limit: u64,
    /// `security.external.api.token.expiration.time` in minutes: logins beyond one per
    /// token lifetime are avoidable.
    #[arg(long, value_name = "MINUTES", default_value_t = 15)]
    pub token_minutes: i64,
}

/// `--since` and `--until`: the local days a report keeps.
#[derive(Debug, Clone, Args)]
pub struct RangeArgs {
    /// First local date to report (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,
    /// Last local date to report (YYYY-MM-DD, inclusive).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
}

/// Flags of `esmlog export`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Folder to write the dataset into (created if missing): one folder per table, with
    /// `environment=NAME` (and for calls `month=YYYY-MM`) folders in it. Part files an
    /// earlier export of the same environment left there are replaced; nothing else is touched.
    #[arg(long, value_name = "DIR")]
    pub out: String,
    /// File format.
    #[arg(long, short, value_enum, default_value_t = crate::export::ExportFormat::Parquet)]
    pub format: crate::export::ExportFormat,
    /// Read messages with this regular expression instead of as key=value pairs; its named
    /// groups carry the fields (user, ip, method, path, status, duration, cards, error).
    #[arg(long, value_name = "REGEX")]
    pub message_pattern: Option<String>,
    /// Rows of one partition written at a time (a Parquet row group); bounds the memory held
    /// per open partition.
    #[arg(long, value_name = "N", default_value_t = crate::export::DEFAULT_ROWS_PER_GROUP)]
    pub rows_per_group: usize,
    /// Worker threads (default: one per core).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}
