//! The command line: subcommands and their flags.

use crate::integration::layout::{Dialect, AUTO_LAYOUT};
use crate::integration::message::DurationUnit;
use crate::messages::ColorChoice;
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
    /// Settings file (TOML: tz, quota, quota_period, layout, message_pattern, rate_limit,
    /// token_minutes, [environments]); default ./esmlog.toml, else the user's
    /// ~/.config/esmlog/esmlog.toml. Flags beat environment variables, which beat the file.
    #[arg(long, global = true, value_name = "FILE", env = "ESMLOG_CONFIG")]
    pub config: Option<std::path::PathBuf>,
    /// Say nothing but errors on stderr: no progress bar, no warning, no status line. The
    /// data (stdout or --output) and the exit code are unchanged.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Colour the prefixes of messages on stderr: auto (when stderr is a terminal and
    /// NO_COLOR is not set), always or never.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
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
    /// Follows the logs as they grow (through rotations and restarts) and serves live
    /// figures to Prometheus on /metrics; runs a command when a rejection spike starts or the
    /// quota passes a share.
    Watch(WatchArgs),
    /// Prints the completion script for a shell: `esmlog completions bash >
    /// /etc/bash_completion.d/esmlog`.
    Completions(CompletionsArgs),
    /// Prints the manual page (roff): `esmlog man | man -l -`.
    Man,
}

/// Flags of `esmlog completions`.
#[derive(Debug, Clone, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Where the logs are and how to read them.
#[derive(Debug, Clone, Args)]
pub struct InputArgs {
    /// Log files, folders, globs, .gz or .zip archives; `-` reads stdin.
    #[arg(required_unless_present = "environment", value_name = "PATHS")]
    pub paths: Vec<String>,
    #[command(flatten)]
    pub reading: ReadingArgs,
    /// The day (YYYY-MM-DD) of integration.log entries written with a time-only layout
    /// (`%d{ABSOLUTE}`), for inputs whose file name has no date (`integration.log.2023-10-09`).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<String>,
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

/// How the logs' times and integration.log's lines are read: the same flags for every
/// command that reads logs, `watch` included.
#[derive(Debug, Clone, Args)]
pub struct ReadingArgs {
    /// The server's time zone, IANA (Europe/Helsinki) or Windows (FLE Standard Time): converts
    /// instants exactly and resolves the repeated hour when daylight saving time ends. A zone
    /// that contradicts the offsets the usage log wrote is refused.
    #[arg(long, value_name = "ZONE", env = "ESMLOG_TZ")]
    pub tz: Option<String>,
    /// The layout integration.log is written with: a Log4j 2 / log4j 1.x / Logback pattern
    /// (`%d %-5p [%t] %c - %m%n`), `json` for one JSON object per line, or `auto`: ESM's
    /// default (`%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n`) when it reads the input,
    /// else a layout inferred from the first lines (`esmlog check` shows it).
    #[arg(long, value_name = "PATTERN", default_value = AUTO_LAYOUT, env = "ESMLOG_LAYOUT")]
    pub layout: String,
    /// Whose reading of the layout applies where the dialects differ: `log4j2` (default),
    /// `log4j1` (`%d{…}` has no zone option) or `logback` (`%d{pattern, zone}`, quoted
    /// `%d{"HH:mm:ss,SSS"}`).
    #[arg(long, value_enum, value_name = "DIALECT", default_value_t = Dialect::Log4j2)]
    pub layout_dialect: Dialect,
    /// The unit of integration.log durations written as a bare number (`duration=143`):
    /// ns, us, ms or s. A unit written with the value (`143ms`, `0.2s`, `PT0.143S`) wins.
    #[arg(long, value_name = "UNIT", default_value = "ms")]
    pub duration_unit: DurationUnit,
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
    /// End CSV lines with CRLF (`\r\n`), as some spreadsheets expect, instead of LF.
    #[arg(long)]
    pub csv_crlf: bool,
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
    /// Licensed volume of transactions: shows the share used and a run-rate forecast
    /// (`60000`, `60,000` or `60k`).
    #[arg(long, value_name = "N", env = "ESMLOG_QUOTA", value_parser = parse_volume)]
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
    #[command(flatten)]
    pub alerts: AlertArgs,
}

/// The conditions on which a report exits 1 (exit codes: 0 ok, 1 findings, 2 error).
#[derive(Debug, Clone, Default, Args)]
pub struct AlertArgs {
    /// Exit 1 when the quota's share used, or projected for its whole month or year, is at
    /// or over PCT percent (`80` or `80%`).
    #[arg(long, value_name = "PCT", value_parser = parse_percent, requires = "quota")]
    pub fail_on_quota: Option<f64>,
    /// Exit 1 when integration.log's calls and the usage log's counters disagree in a week
    /// or month that both cover.
    #[arg(long)]
    pub fail_on_differs: bool,
    /// Exit 1 when an input has malformed or suspicious lines, counter anomalies, or is not a
    /// log (what `esmlog check` lists).
    #[arg(long)]
    pub fail_on_problems: bool,
}

/// Flags of `esmlog calls`.
#[derive(Debug, Args)]
pub struct CallsArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub range: RangeArgs,
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
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = at_least_one)]
    pub rate_limit: u64,
    /// `security.external.api.token.expiration.time` in minutes: logins beyond one per
    /// token lifetime are avoidable.
    #[arg(long, value_name = "MINUTES", default_value_t = 15, value_parser = positive_minutes)]
    pub token_minutes: i64,
    /// Worker threads (default: one per core; also $ESMLOG_THREADS).
    #[arg(long, value_name = "N", value_parser = at_least_one_usize, env = "ESMLOG_THREADS")]
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
    /// Exit 1 when an input has malformed or suspicious lines, or is not a log.
    #[arg(long)]
    pub fail_on_problems: bool,
}

/// Flags of `esmlog check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also print the settings in force (tz, quota, layout…) and where each came from: a
    /// flag, an environment variable, the config file or the default.
    #[arg(long)]
    pub show_config: bool,
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
    /// Exit with code 1 when a spike is found that starts in the range (for cron and
    /// monitoring: with --last 15m every 15 minutes, each spike is raised once).
    #[arg(long)]
    pub fail_on_spike: bool,
    #[command(flatten)]
    pub spike: SpikeArgs,
    /// `external.api.max.requests.per.minute`: calls per minute and user ESM allows, which
    /// each spike's top user is measured against.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = at_least_one)]
    pub rate_limit: u64,
    /// Also draw the rejection rate over time, spikes shaded, into this SVG file.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<String>,
    /// Exit 1 when an input has malformed or suspicious lines, or is not a log.
    #[arg(long)]
    pub fail_on_problems: bool,
}

/// How a rejection spike is told (`rejections` and `watch` share the rule).
#[derive(Debug, Clone, Args)]
pub struct SpikeArgs {
    /// Minutes before a minute, not in a spike, whose rejection rate is its baseline.
    #[arg(long, value_name = "MINUTES", default_value_t = 60, value_parser = at_least_one_usize)]
    pub spike_window: usize,
    /// How many standard deviations above what the baseline's rejection rate predicts a
    /// minute must be.
    #[arg(long, value_name = "N", default_value_t = 6.0, value_parser = positive_number)]
    pub spike_threshold: f64,
    /// The fewest rejected calls in a minute that can be part of a spike; in the first minutes,
    /// before there is a baseline, this many 429s make a spike by themselves.
    #[arg(long, value_name = "N", default_value_t = 10, value_parser = at_least_one)]
    pub spike_min: u64,
}

impl SpikeArgs {
    /// The spike rule's parameters.
    pub fn params(&self) -> crate::spike::SpikeParams {
        crate::spike::SpikeParams {
            window: self.spike_window.max(1),
            threshold: self.spike_threshold,
            min_count: self.spike_min,
            ..crate::spike::SpikeParams::default()
        }
    }
}

/// Flags of `esmlog watch`.
#[derive(Debug, Clone, Args)]
pub struct WatchArgs {
    /// The log files to follow: the names the server writes to (integration.log,
    /// Matrix42_rest_rest_api_usage.log), not rotated copies. A file that does not exist yet
    /// is waited for; a folder follows every `*.log` file in it, those created later too.
    #[arg(required = true, value_name = "PATHS")]
    pub paths: Vec<String>,
    /// Checkpoint file: each file's identity and offset and every counter, written
    /// atomically every --checkpoint-interval and on exit; a restart goes on from it.
    #[arg(long, value_name = "FILE")]
    pub state: Option<std::path::PathBuf>,
    /// Ignore the checkpoint (another format, damaged, or made with other settings) and
    /// count again from what the followed files hold now; it is then written anew.
    #[arg(long, requires = "state")]
    pub rebuild: bool,
    /// Serve /metrics (OpenMetrics) and /healthz on this address, for example
    /// 127.0.0.1:9464.
    #[arg(long, value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// How often the files are checked for new lines and rotations (`1s`, `100ms`).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_interval)]
    pub poll_interval: std::time::Duration,
    /// How often the checkpoint is written.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_interval)]
    pub checkpoint_interval: std::time::Duration,
    #[command(flatten)]
    pub reading: ReadingArgs,
    /// Read messages with this regular expression instead of as key=value pairs.
    #[arg(long, value_name = "REGEX")]
    pub message_pattern: Option<String>,
    /// `external.api.max.requests.per.minute`: minutes with this many calls of one user
    /// count in esm_rate_limit_minutes_total.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = at_least_one)]
    pub rate_limit: u64,
    /// Users named in metric labels; the rest are counted under `other`.
    #[arg(long, value_name = "N", default_value_t = 100, value_parser = at_least_one_usize)]
    pub max_users: usize,
    #[command(flatten)]
    pub spike: SpikeArgs,
    /// Licensed volume of transactions: esm_quota_used_ratio is the share used.
    #[arg(long, value_name = "N", env = "ESMLOG_QUOTA", value_parser = parse_volume)]
    pub quota: Option<u64>,
    /// What the licensed volume is counted over.
    #[arg(long, value_enum, default_value_t = QuotaPeriod::Month, requires = "quota")]
    pub quota_period: QuotaPeriod,
    /// Run this shell command when a rejection spike starts, with its details in ESMLOG_*
    /// variables and as JSON on its standard input.
    #[arg(long, value_name = "CMD")]
    pub on_spike: Option<String>,
    /// Run CMD once a quota period when its share used reaches PCT percent (`80` or `80%`),
    /// with the details in ESMLOG_* variables and as JSON on its standard input.
    #[arg(long, num_args = 2, value_names = ["PCT", "CMD"], requires = "quota")]
    pub on_quota: Vec<String>,
    /// A hook still running after this long is killed (and reported); the watch never
    /// waits for one.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = parse_interval)]
    pub hook_timeout: std::time::Duration,
}

/// A length of time: `250ms`, `2s`, `1m`, or a bare number of seconds; above 0.
pub fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(n) = text.strip_suffix("ms") {
        (n, 0.001)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1.0)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60.0)
    } else {
        (text, 1.0)
    };
    match number.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 && n * scale < 86_400.0 => {
            Ok(std::time::Duration::from_secs_f64(n * scale))
        }
        _ => Err("expected a length of time above 0, for example 250ms, 2s or 1m".into()),
    }
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
    /// Instead of a month: the days or the stretch of time to report (--since, --until), or
    /// the last 15m, 2h, 7d… up to the newest line (--last).
    #[command(flatten)]
    pub range: RangeArgs,
    /// Licensed volume of transactions: shows the share used and a run-rate forecast
    /// (`60000`, `60,000` or `60k`).
    #[arg(long, value_name = "N", env = "ESMLOG_QUOTA", value_parser = parse_volume)]
    pub quota: Option<u64>,
    /// What the licensed volume is counted over.
    #[arg(long, value_enum, default_value_t = QuotaPeriod::Month, requires = "quota")]
    pub quota_period: QuotaPeriod,
    /// `external.api.max.requests.per.minute`: calls per minute and user ESM allows.
    #[arg(long, value_name = "N", default_value_t = 30, value_parser = at_least_one)]
    pub rate_limit: u64,
    /// `security.external.api.token.expiration.time` in minutes: logins beyond one per
    /// token lifetime are avoidable.
    #[arg(long, value_name = "MINUTES", default_value_t = 15, value_parser = positive_minutes)]
    pub token_minutes: i64,
    /// Exit 1 when a rejection spike starts in the reported period (with --last, in the
    /// window: a job run every 15 minutes raises each spike once).
    #[arg(long)]
    pub fail_on_spike: bool,
    #[command(flatten)]
    pub alerts: AlertArgs,
    /// End the lines of data/*.csv with CRLF (`\r\n`), as some spreadsheets expect.
    #[arg(long)]
    pub csv_crlf: bool,
}

/// `--since`, `--until` and `--last`: the stretch of the server's wall clock (in the `--tz`
/// zone) a report keeps.
#[derive(Debug, Clone, Default, Args)]
pub struct RangeArgs {
    /// First day or moment to report: 2023-10-26 (from its midnight), 2023-10-26T11:00 or
    /// 2023-10-26 11:00 (seconds may be given, as :00).
    #[arg(long, value_name = "DATE[THH:MM]")]
    pub since: Option<String>,
    /// Last day to report (2023-10-26: that day included), or the moment the report stops
    /// before (2023-10-26T11:15: up to 11:14:59).
    #[arg(long, value_name = "DATE[THH:MM]")]
    pub until: Option<String>,
    /// Report the last 15m, 2h, 7d or 1w (units s, m, h, d, w; whole minutes) up to the end
    /// of the minute of the newest line in the inputs. Not with --since or --until.
    #[arg(long, value_name = "LENGTH")]
    pub last: Option<String>,
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
    /// Worker threads (default: one per core; also $ESMLOG_THREADS).
    #[arg(long, value_name = "N", value_parser = at_least_one_usize, env = "ESMLOG_THREADS")]
    pub threads: Option<usize>,
    /// With --format csv, end lines with CRLF (`\r\n`), as some spreadsheets expect.
    #[arg(long)]
    pub csv_crlf: bool,
}

/// A volume: `60000`, `60,000`, `60 000`, `60_000`, `60k` or `1.5M`; at least 1.
pub fn parse_volume(text: &str) -> Result<u64, String> {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '_' | ' ' | '\u{a0}' | '\u{202f}'))
        .collect();
    let (number, scale) = match digits.char_indices().last() {
        Some((i, 'k' | 'K')) => (&digits[..i], 1e3),
        Some((i, 'm' | 'M')) => (&digits[..i], 1e6),
        _ => (&digits[..], 1.0),
    };
    let expected = "expected a whole number of transactions, for example 60000, 60,000 or 60k";
    let value = if scale == 1.0 {
        number.parse::<u64>().map_err(|_| expected.to_string())?
    } else {
        let n: f64 = number.parse().map_err(|_| expected.to_string())?;
        let value = n * scale;
        // `0.06M` is 60000.000000000007 in binary floating point: whole within a millionth.
        let whole = value.round();
        if !value.is_finite() || whole < 0.0 || (value - whole).abs() > 1e-6 || whole > 1e18 {
            return Err(expected.into());
        }
        whole as u64
    };
    if value == 0 {
        return Err(
            "a quota of 0 transactions cannot be used; give the licensed volume, for example 60k"
                .into(),
        );
    }
    Ok(value)
}

/// A count that makes sense only from 1 up (a rate limit, a minimum of calls).
pub fn at_least_one(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of at least 1".into()),
    }
}

/// A number of minutes, buckets or threads: at least 1.
pub fn at_least_one_usize(text: &str) -> Result<usize, String> {
    at_least_one(text).and_then(|n| usize::try_from(n).map_err(|_| "too large".to_string()))
}

/// A number of minutes from 1 up.
pub fn positive_minutes(text: &str) -> Result<i64, String> {
    at_least_one(text).and_then(|n| i64::try_from(n).map_err(|_| "too large".to_string()))
}

/// A number above 0 (`6`, `4.5`).
pub fn positive_number(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n),
        _ => Err("expected a number above 0, for example 6".into()),
    }
}

/// A percentage (`80` or `80%`) as a share (0.8); above 0.
pub fn parse_percent(text: &str) -> Result<f64, String> {
    let number = text.trim().trim_end_matches('%').trim();
    match number.parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n / 100.0),
        _ => Err("expected a percentage above 0, for example 80 or 80%".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volumes_read_as_people_write_them() {
        for text in ["60000", "60,000", "60 000", "60_000", "60k", "60K", "0.06M"] {
            assert_eq!(parse_volume(text), Ok(60_000), "{text}");
        }
        assert_eq!(parse_volume("1.5M"), Ok(1_500_000));
        for text in ["0", "0k", "", "lots", "-5", "1.5", "0.0001k"] {
            assert!(parse_volume(text).is_err(), "{text}");
        }
    }

    #[test]
    fn nonsense_values_are_refused() {
        assert!(at_least_one("0").is_err());
        assert_eq!(at_least_one("30"), Ok(30));
        assert!(at_least_one_usize("0").is_err());
        assert!(positive_minutes("0").is_err());
        assert!(positive_number("0").is_err());
        assert!(positive_number("-1").is_err());
        assert_eq!(parse_percent("80%"), Ok(0.8));
        assert_eq!(parse_percent("80"), Ok(0.8));
        assert!(parse_percent("0").is_err());
        assert_eq!(
            parse_interval("250ms"),
            Ok(std::time::Duration::from_millis(250))
        );
        assert_eq!(parse_interval("2"), Ok(std::time::Duration::from_secs(2)));
        assert_eq!(parse_interval("1m"), Ok(std::time::Duration::from_secs(60)));
        assert!(parse_interval("0s").is_err());
        assert!(parse_interval("soon").is_err());
    }
}
