//! Deterministic synthetic ESM logs whose usage counters and integration.log entries record
//! the same calls, with restarts, a DST change, rejection spikes and rotated, gzipped files,
//! plus a `truth.json` of the exact figures for tests and benchmarks to compare against.

pub mod entry_writer;

use crate::calendar::Grain;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use entry_writer::{EntryFields, EntryWriter};
use flate2::write::GzEncoder;
use serde::Serialize;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Flags of `esmlog generate`.
#[derive(Debug, Clone, clap::Args)]
pub struct GenerateArgs {
    /// Folder to write the logs and truth.json into (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Seed of the pseudo-random generator: the same seed writes the same bytes.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Whole weeks to simulate after the first, partial one.
    #[arg(long, default_value_t = 4)]
    pub weeks: u32,
    /// Average REST calls per hour (busier on weekday working hours).
    #[arg(long, default_value_t = 120)]
    pub calls_per_hour: u32,
    /// Aim integration.log at about this size (`500MB`, `1GB`) for benchmarks: sets the call
    /// rate, and writes one plain integration.log with no rotation.
    #[arg(long, value_name = "SIZE")]
    pub size: Option<String>,
    /// The server's time zone.
    #[arg(long, default_value = "Europe/Helsinki")]
    pub tz: String,
    /// The day the server starts (the first period's `since`).
    #[arg(long, default_value = "2023-10-10")]
    pub start: NaiveDate,
    /// The Log4j layout to write integration.log in.
    #[arg(long, value_name = "PATTERN", default_value = crate::integration::layout::DEFAULT_LAYOUT)]
    pub layout: String,
    /// Where to write truth.json (default: inside --out).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// Per-user calls per minute above which ESM answers 429.
    #[arg(long, default_value_t = 30)]
    pub rate_limit: u32,
    /// Server restarts at random times, besides the one in the second week (each loses the
    /// counters; on a quiet server, one before the period's first 1000 calls leaves that
    /// period no usage line at all).
    #[arg(long, default_value_t = 0)]
    pub restarts: u32,
}

impl GenerateArgs {
    /// The command line's defaults, writing into `out`: callers (tests, benchmarks) change
    /// only what they need, and a new flag does not break them.
    pub fn new(out: impl Into<PathBuf>) -> GenerateArgs {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            args: GenerateArgs,
        }
        let out: PathBuf = out.into();
        <Defaults as clap::Parser>::parse_from([
            std::ffi::OsString::from("generate"),
            "--out".into(),
            out.into_os_string(),
        ])
        .args
    }
}

/// The exact figures of a generated set of logs.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Truth {
    pub seed: u64,
    pub tz: String,
    pub step: u64,
    pub rate_limit: u32,
    pub weeks: Vec<TruthWeek>,
    pub months: Vec<TruthMonth>,
    pub periods: Vec<TruthPeriod>,
    pub calls: Counts,
    pub users: BTreeMap<String, UserCounts>,
    pub endpoints: BTreeMap<String, Counts>,
    pub statuses: BTreeMap<u16, u64>,
    pub spikes: Vec<TruthSpike>,
    pub restarts: Vec<String>,
    pub files: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthWeek {
    pub week: String,
    pub start: NaiveDate,
    pub consumed: u64,
    pub rejected: u64,
    /// Every call of the week lies in a period closed by a reset: esmlog must be exact.
    pub complete: bool,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthMonth {
    pub month: String,
    pub consumed: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthPeriod {
    pub since: String,
    pub status: &'static str,
    pub consumed: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Counts {
    pub calls: u64,
    pub successful: u64,
    pub unsuccessful: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct UserCounts {
    pub calls: u64,
    pub successful: u64,
    pub unsuccessful: u64,
    pub logins: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct TruthSpike {
    pub start: String,
    pub end: String,
    pub user: String,
    pub rejected: u64,
}

/// What a generated set of logs holds beyond `esmlog generate`'s defaults, for tests that need
/// a particular shape of rejections (the defaults inject one spike a week).
#[derive(Debug, Clone, Default)]
pub struct Scenario {
    /// These bursts instead of the one-a-week spikes.
    pub bursts: Option<Vec<Burst>>,
    /// Share of the ordinary calls answered 503 throughout (a steady rejection rate), on top
    /// of the usual 2% of client errors.
    pub error_share: f64,
    /// The same load at every hour of every day, without the working-day swing.
    pub flat_load: bool,
}

/// A burst of rejected calls in a [`Scenario`].
#[derive(Debug, Clone)]
pub struct Burst {
    /// Minutes after the log's first minute.
    pub start_minute: i64,
    pub minutes: i64,
    /// The user whose extra calls go over the rate limit (`CRM_SYNC`, `HR_IMPORT`,
    /// `ASSET_BRIDGE`, `MONITORING`, `TEST_RESTAPI`).
    pub user: String,
    /// Extra calls of `user` per minute: those beyond the rate limit are answered 429.
    pub per_minute: u64,
    /// Share of every user's ordinary calls answered 503 during the burst (a server problem,
    /// at the same volume); 0 for none.
    pub error_share: f64,
}

/// SplitMix64: small, fast and the same on every platform, so that a seed writes the same
/// bytes everywhere (the generator's logs, the benches' input).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda <= 0.0 {
            return 0;
        }
        if lambda < 30.0 {
            let limit = (-lambda).exp();
            let mut k = 0;
            let mut p = 1.0;
            loop {
                p *= self.unit();
                if p <= limit {
                    return k;
                }
                k += 1;
            }
        }
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let normal = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        (lambda + lambda.sqrt() * normal).round().max(0.0) as u64
    }
}

struct User {
    name: &'static str,
    ip: &'static str,
    weight: u32,
    /// Chance that a call is preceded by a needless login.
    wasteful_login: f64,
    endpoints: &'static [(&'static str, &'static str, u32)],
}

/// (method, path template with `{n}` for a numeric id and `{u}` for a UUID, weight).
const USERS: &[User] = &[
    User {
        name: "CRM_SYNC",
        ip: "10.20.0.10",
        weight: 40,
        wasteful_login: 0.0,
        endpoints: &[
            ("GET", "/dc/incident/data?filter=status%20eq%20open", 30),
            ("GET", "/dc/incident/data/{n}", 40),
            ("POST", "/dc/incident/data", 15),
            ("PUT", "/dc/incident/data/{n}", 15),
        ],
    },
    User {
        name: "HR_IMPORT",
        ip: "10.20.1.11",
        weight: 20,
        wasteful_login: 0.35,
        endpoints: &[
            ("PUT", "/dc/person/data/{n}", 60),
            ("POST", "/dc/person/data", 40),
        ],
    },
    User {
        name: "ASSET_BRIDGE",
        ip: "10.20.2.12",
        weight: 25,
        wasteful_login: 0.0,
        endpoints: &[
            ("GET", "/dc/asset/data?limit=100", 50),
            ("PUT", "/dc/asset/data/{u}", 50),
        ],
    },
    User {
        name: "MONITORING",
        ip: "10.20.3.13",
        weight: 10,
        wasteful_login: 0.0,
        endpoints: &[("GET", "/dc/incident/data?limit=1", 100)],
    },
    User {
        name: "TEST_RESTAPI",
        ip: "10.20.9.99",
        weight: 5,
        wasteful_login: 0.1,
        endpoints: &[
            ("GET", "/dc/change/data/{n}", 50),
            ("DELETE", "/dc/change/data/{n}", 20),
            ("GET", "/dc/problem/data", 30),
        ],
    },
];

const API_BASE: &str = "/rest-api/itsm/v1";
const LOGIN_PATH: &str = "/users/login";
const TOKEN_MINUTES: i64 = 15;

/// One simulated REST call.
struct Call {
    instant_ms: i64,
    user: usize,
    method: &'static str,
    path: String,
    endpoint: String,
    status: u16,
    duration_ms: u64,
    cards: Option<u64>,
    login: bool,
}

/// Weekday working hours are busiest, nights and weekends quiet; mean about 1.
fn load_factor(local: NaiveDateTime) -> f64 {
    let weekend = local.weekday().num_days_from_monday() >= 5;
    let hour = local.hour();
    let f: f64 = match (weekend, hour) {
        (true, _) => 0.3,
        (false, 8..=16) => 1.6,
        (false, 17..=22) => 0.8,
        _ => 0.2,
    };
    f / 0.711
}

/// Parses `1GB`, `500MB`, `64KB`, or bytes.
pub fn parse_size(text: &str) -> Option<u64> {
    let upper = text.trim().to_ascii_uppercase();
    let (number, unit) = upper.split_at(
        upper
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(upper.len()),
    );
    let n: f64 = number.trim().parse().ok()?;
    let scale = match unit.trim() {
        "" | "B" => 1u64,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        _ => return None,
    };
    Some((n * scale as f64) as u64)
}

/// `2023-04-11 20:34:00,635`.
fn stamp(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%d %H:%M:%S,%3f").to_string()
}

fn since_text(local: NaiveDateTime, offset_secs: i32) -> String {
    let sign = if offset_secs < 0 { '-' } else { '+' };
    let a = offset_secs.abs();
    format!(
        "{}{sign}{:02}{:02}",
        local.format("%Y-%m-%dT%H:%M:%S"),
        a / 3600,
        (a % 3600) / 60
    )
}

/// A writer that rotates integration.log by week: older weeks gzipped under dated names.
struct RotatingLog {
    dir: PathBuf,
    rotate: bool,
    last_week: NaiveDate,
    current: Option<(NaiveDate, Box<dyn Write>)>,
    files: Vec<String>,
}

impl RotatingLog {
    fn writer(&mut self, week: NaiveDate) -> io::Result<&mut Box<dyn Write>> {
        let switch = match &self.current {
            None => true,
            Some((w, _)) => self.rotate && *w != week,
        };
        if switch {
            if let Some((_, mut old)) = self.current.take() {
                old.flush()?;
            }
            let (name, gz) = if !self.rotate || week >= self.last_week {
                ("integration.log".to_string(), false)
            } else {
                (format!("integration.log.{week}.gz"), true)
            };
            let file = BufWriter::with_capacity(1 << 20, File::create(self.dir.join(&name))?);
            let w: Box<dyn Write> = if gz {
                Box::new(GzEncoder::new(file, flate2::Compression::fast()))
            } else {
                Box::new(file)
            };
            self.files.push(name);
            self.current = Some((week, w));
        }
        Ok(&mut self.current.as_mut().expect("writer set").1)
    }

    fn finish(mut self) -> io::Result<Vec<String>> {
        if let Some((_, mut w)) = self.current.take() {
            w.flush()?;
        }
        Ok(self.files)
    }
}

const STACK_TRACE: &str = "java.lang.IllegalStateException: datacard lock timeout\n\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)\n\tat com.efecte.rest.DataCardResource.update(DataCardResource.java:188)\n\t... 42 more\n";

fn fake_jwt(rng: &mut Rng) -> String {
    format!(
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ{:x}In0.{:016x}{:016x}",
        rng.next_u64() & 0xffff,
        rng.next_u64(),
        rng.next_u64()
    )
}

fn write_entry(
    out: &mut dyn Write,
    writer: &EntryWriter,
    local: NaiveDateTime,
    offset_seconds: i32,
    call: &Call,
    rng: &mut Rng,
) -> io::Result<()> {
    use std::fmt::Write as _;
    let level = match call.status {
        s if s >= 500 => "ERROR",
        s if s >= 400 => "WARN",
        _ => "INFO",
    };
    let user = &USERS[call.user];
    let thread = format!("http-nio-8443-exec-{}", 1 + rng.below(24));
    let mut message = format!(
        "user={} ip={} method={} path={API_BASE}{} status={} duration={}ms",
        user.name, user.ip, call.method, call.path, call.status, call.duration_ms
    );
    if let Some(cards) = call.cards {
        let _ = write!(message, " cards={cards}");
    }
    match call.status {
        429 => message.push_str(" error=\"Too many requests\""),
        401 => message.push_str(" error=\"Invalid credentials\""),
        404 => message.push_str(" error=\"Data card not found\""),
        400 => message.push_str(" error=\"Validation failed: \\\"name\\\" is required\""),
        409 => message.push_str(" error=\"Conflict\""),
        s if s >= 500 => message.push_str(" error=\"Internal error\""),
        _ if call.login => {
            let _ = write!(message, " token={}", fake_jwt(rng));
        }
        _ => {}
    }
    writer.write(
        out,
        &EntryFields {
            local,
            offset_seconds,
            level,
            thread: &thread,
            logger: "com.efecte.rest.RestApiLogger",
            mdc: &thread,
            message: &message,
        },
    )?;
    if call.status >= 500 {
        out.write_all(STACK_TRACE.as_bytes())?;
    }
    Ok(())
}

fn info_entry(
    out: &mut dyn Write,
    writer: &EntryWriter,
    local: NaiveDateTime,
    offset_seconds: i32,
    message: &str,
) -> io::Result<()> {
    writer.write(
        out,
        &EntryFields {
            local,
            offset_seconds,
            level: "INFO",
            thread: "main",
            logger: "com.efecte.integration.IntegrationLog",
            mdc: "-",
            message,
        },
    )
}

struct Spike {
    start_ms: i64,
    minutes: i64,
    user: usize,
    per_minute: u64,
    /// Share of the ordinary calls answered 503 in the spike.
    error_share: f64,
    rejected: u64,
}

/// Usage counters of the running period.
struct Counters {
    consumed: u64,
    rejected: u64,
    since: String,
}

/// Writes the logs and truth.json into `args.out`; returns the truth.
pub fn generate(args: &GenerateArgs) -> io::Result<Truth> {
    generate_scenario(args, &Scenario::default())
}

/// [`generate`] with the bursts, error share and load of `scenario`.
pub fn generate_scenario(args: &GenerateArgs, scenario: &Scenario) -> io::Result<Truth> {
    let tz: Tz = args.tz.parse().map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--tz {}: unknown zone", args.tz),
        )
    })?;
    let writer = EntryWriter::new(&args.layout)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, format!("--layout: {e}")))?;
    fs::create_dir_all(&args.out)?;
    let mut rng = Rng(args.seed ^ 0x005E_ED0F_E5A1);
    let to_local = |ms: i64| -> NaiveDateTime {
        tz.from_utc_datetime(
            &DateTime::from_timestamp_millis(ms)
                .unwrap_or_default()
                .naive_utc(),
        )
        .naive_local()
    };
    let offset_at = |ms: i64| -> i32 {
        let utc = DateTime::from_timestamp_millis(ms)
            .unwrap_or_default()
            .naive_utc();
        chrono::Offset::fix(&tz.offset_from_utc_datetime(&utc)).local_minus_utc()
    };
    let local_ms = |local: NaiveDateTime| -> i64 {
        tz.from_local_datetime(&local)
            .earliest()
            .map_or(0, |t| t.with_timezone(&Utc).timestamp_millis())
    };

    let start_local = args.start.and_hms_opt(11, 51, 27).expect("valid time");
    let start_ms = local_ms(start_local);
    let first_monday = Grain::Week.first_day(args.start);
    let end_local = (first_monday + chrono::Days::new(7 * u64::from(args.weeks) + 2))
        .and_hms_opt(15, 20, 0)
        .expect("valid time");
    let end_ms = local_ms(end_local);
    let last_week = Grain::Week.first_day(end_local.date());

    let bytes_per_call = 205.0;
    let calls_per_hour = match &args.size {
        Some(size) => {
            let bytes = parse_size(size).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("--size {size}: expected for example 500MB or 1GB"),
                )
            })?;
            let hours = (end_ms - start_ms) as f64 / 3_600_000.0;
            (bytes as f64 / bytes_per_call / hours).max(1.0)
        }
        None => f64::from(args.calls_per_hour),
    };

    // A restart in the second week (Wednesday 14:07, six minutes down), `--restarts` more at
    // random minutes (never at a Monday's midnight reset), and one spike a week.
    let mut restarts_at: Vec<(i64, i64)> = (args.weeks >= 2)
        .then(|| {
            let local = (first_monday + chrono::Days::new(7 + 2))
                .and_hms_opt(14, 7, 0)
                .expect("valid");
            (local_ms(local), 6i64)
        })
        .into_iter()
        .collect();
    let mut restart_rng = Rng(args.seed ^ 0x0005_7A27);
    let span_minutes = ((end_ms - start_ms) / 60_000).max(2) as u64;
    while restarts_at.len() < (args.weeks >= 2) as usize + args.restarts as usize {
        let at = start_ms - start_ms.rem_euclid(60_000)
            + (1 + restart_rng.below(span_minutes - 1)) as i64 * 60_000;
        let down = 1 + restart_rng.below(20) as i64;
        let local = to_local(at);
        let near_reset = local.weekday() == chrono::Weekday::Mon && local.hour() == 0;
        let overlaps = restarts_at
            .iter()
            .any(|(other, d)| (at - other).abs() < (down.max(*d) + 2) * 60_000);
        if !near_reset && !overlaps {
            restarts_at.push((at, down));
        }
    }
    let mut spikes: Vec<Spike> = (0..args.weeks.max(1))
        .map(|w| {
            let day = first_monday + chrono::Days::new(7 * u64::from(w) + 3 + u64::from(w % 2));
            let local = day
                .and_hms_opt(9 + (w % 5), (13 * w) % 60, 0)
                .expect("valid");
            Spike {
                start_ms: local_ms(local),
                minutes: 8 + i64::from(w % 3) * 4,
                user: [0usize, 2, 1][w as usize % 3],
                per_minute: 70 + u64::from(w % 4) * 15,
                error_share: 0.0,
                rejected: 0,
            }
        })
        .filter(|s| s.start_ms > start_ms && s.start_ms < end_ms)
        .collect();
    if let Some(bursts) = &scenario.bursts {
        let first_minute = start_ms - start_ms.rem_euclid(60_000);
        spikes = bursts
            .iter()
            .map(|b| {
                let user = USERS.iter().position(|u| u.name == b.user).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!("burst user {}: not a generated user", b.user),
                    )
                })?;
                Ok(Spike {
                    start_ms: first_minute + b.start_minute * 60_000,
                    minutes: b.minutes,
                    user,
                    per_minute: b.per_minute,
                    error_share: b.error_share,
                    rejected: 0,
                })
            })
            .collect::<io::Result<_>>()?;
    }

    let mut log = RotatingLog {
        dir: args.out.clone(),
        rotate: args.size.is_none(),
        last_week,
        current: None,
        files: Vec::new(),
    };
    let mut usage_lines: Vec<String> = Vec::new();
    let mut counters = Counters {
        consumed: 0,
        rejected: 0,
        since: since_text(start_local, offset_at(start_ms)),
    };
    let mut periods: Vec<TruthPeriod> = Vec::new();
    let mut week_truth: BTreeMap<NaiveDate, (u64, u64, bool)> = BTreeMap::new();
    let mut month_truth: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    let mut users: BTreeMap<String, UserCounts> = BTreeMap::new();
    let mut endpoints: BTreeMap<String, Counts> = BTreeMap::new();
    let mut statuses: BTreeMap<u16, u64> = BTreeMap::new();
    let mut totals = Counts::default();
    let mut last_login: Vec<i64> = vec![i64::MIN / 2; USERS.len()];
    let mut restarts = Vec::new();
    let user_weights: u32 = USERS.iter().map(|u| u.weight).sum();

    info_entry(
        log.writer(Grain::Week.first_day(start_local.date()))?
            .as_mut(),
        &writer,
        start_local,
        offset_at(start_ms),
        "REST API module started",
    )?;
    let mut down_until: i64 = start_ms;
    let mut minute = start_ms - start_ms.rem_euclid(60_000);
    let mut calls: Vec<Call> = Vec::new();
    while minute < end_ms {
        let local_minute = to_local(minute);
        let week = Grain::Week.first_day(local_minute.date());

        // ESM's weekly reset at Monday 00:00: the final total, then `Statistics reset`.
        if local_minute.weekday() == chrono::Weekday::Mon
            && local_minute.time() == chrono::NaiveTime::MIN
            && minute > start_ms
            && minute >= down_until
        {
            let at = local_minute + Duration::milliseconds(144);
            usage_lines.push(format!(
                "{}|Usage,consumed,{},rejected,{},since,{}",
                stamp(at),
                counters.consumed,
                counters.rejected,
                counters.since
            ));
            usage_lines.push(format!(
                "{}|Statistics reset",
                stamp(at + Duration::milliseconds(1))
            ));
            periods.push(TruthPeriod {
                since: counters.since.clone(),
                status: "complete",
                consumed: counters.consumed,
                rejected: counters.rejected,
            });
            counters = Counters {
                consumed: 0,
                rejected: 0,
                since: since_text(local_minute, offset_at(minute)),
            };
        }
        for &(at, down) in restarts_at.iter().filter(|(at, _)| *at == minute) {
            info_entry(
                log.writer(week)?.as_mut(),
                &writer,
                local_minute,
                offset_at(minute),
                "REST API module stopping",
            )?;
            periods.push(TruthPeriod {
                since: counters.since.clone(),
                status: "interrupted",
                consumed: counters.consumed,
                rejected: counters.rejected,
            });
            down_until = at + down * 60_000 + 27_000;
            let up = to_local(down_until);
            counters = Counters {
                consumed: 0,
                rejected: 0,
                since: since_text(up, offset_at(down_until)),
            };
            restarts.push(since_text(local_minute, offset_at(minute)));
            // The weeks this restart touches lose exactness: their usage lines may miss calls.
            week_truth.entry(week).or_insert((0, 0, true)).2 = false;
        }
        if minute + 60_000 <= down_until {
            minute += 60_000;
            continue;
        }
        if down_until > minute {
            let up = to_local(down_until);
            info_entry(
                log.writer(week)?.as_mut(),
                &writer,
                up,
                offset_at(down_until),
                "REST API module started",
            )?;
        }

        calls.clear();
        let load = if scenario.flat_load {
            1.0
        } else {
            load_factor(local_minute)
        };
        let lambda = calls_per_hour / 60.0 * load;
        let n = rng.poisson(lambda);
        for _ in 0..n {
            let mut pick = rng.below(u64::from(user_weights)) as u32;
            let user = USERS
                .iter()
                .position(|u| {
                    if pick < u.weight {
                        true
                    } else {
                        pick -= u.weight;
                        false
                    }
                })
                .unwrap_or(0);
            let at = minute + rng.below(60_000) as i64;
            push_call(&mut calls, &mut rng, user, at, &mut last_login);
        }
        // Server errors hit the ordinary calls alike (the rng is only drawn when asked, so
        // that the default logs stay the same bytes).
        let error_share = spikes
            .iter()
            .filter(|s| minute >= s.start_ms && minute < s.start_ms + s.minutes * 60_000)
            .fold(scenario.error_share, |share, s| share.max(s.error_share));
        if error_share > 0.0 {
            for call in calls.iter_mut().filter(|c| !c.login) {
                if rng.chance(error_share) {
                    call.status = 503;
                }
            }
        }
        for spike in &spikes {
            if minute >= spike.start_ms && minute < spike.start_ms + spike.minutes * 60_000 {
                for _ in 0..spike.per_minute {
                    let at = minute + rng.below(60_000) as i64;
                    calls.push(make_call(&mut rng, spike.user, at, false));
                }
            }
        }
        calls.sort_by_key(|c| c.instant_ms);
        let mut per_user = [0u32; 8];
        for call in &mut calls {
            let local = to_local(call.instant_ms);
            // Nothing in the first second of Monday: ESM's reset happens then, and the
            // calendar week and ESM's statistics week must agree to the call.
            let monday_start = local.weekday() == chrono::Weekday::Mon
                && local.hour() == 0
                && local.minute() == 0
                && local.second() == 0;
            if call.instant_ms < down_until || call.instant_ms >= end_ms || monday_start {
                call.status = 0;
                continue;
            }
            per_user[call.user] += 1;
            if per_user[call.user] > args.rate_limit {
                call.status = 429;
            }
        }
        for call in calls.iter().filter(|c| c.status != 0) {
            let local = to_local(call.instant_ms);
            let week = Grain::Week.first_day(local.date());
            write_entry(
                log.writer(week)?.as_mut(),
                &writer,
                local,
                offset_at(call.instant_ms),
                call,
                &mut rng,
            )?;
            let ok = call.status < 400;
            let user = users.entry(USERS[call.user].name.to_string()).or_default();
            user.calls += 1;
            user.logins += u64::from(call.login);
            let endpoint = endpoints
                .entry(format!("{} {}", call.method, call.endpoint))
                .or_default();
            endpoint.calls += 1;
            totals.calls += 1;
            *statuses.entry(call.status).or_default() += 1;
            let w = week_truth.entry(week).or_insert((0, 0, true));
            let m = month_truth
                .entry(local.format("%Y-%m").to_string())
                .or_default();
            if ok {
                user.successful += 1;
                endpoint.successful += 1;
                totals.successful += 1;
                w.0 += 1;
                m.0 += 1;
                counters.consumed += 1;
                if counters.consumed % 1000 == 0 {
                    usage_lines.push(format!(
                        "{}|Usage,consumed,{},rejected,{},since,{}",
                        stamp(local),
                        counters.consumed,
                        counters.rejected,
                        counters.since
                    ));
                }
            } else {
                user.unsuccessful += 1;
                endpoint.unsuccessful += 1;
                totals.unsuccessful += 1;
                w.1 += 1;
                m.1 += 1;
                counters.rejected += 1;
                if let Some(s) = spikes.iter_mut().find(|s| {
                    let inside = call.instant_ms >= s.start_ms
                        && call.instant_ms < s.start_ms + s.minutes * 60_000;
                    inside
                        && ((call.status == 429 && s.user == call.user)
                            || (call.status == 503 && s.error_share > 0.0))
                }) {
                    s.rejected += 1;
                }
            }
        }
        minute += 60_000;
    }
    periods.push(TruthPeriod {
        since: counters.since.clone(),
        status: "open",
        consumed: counters.consumed,
        rejected: counters.rejected,
    });
    week_truth.entry(last_week).or_insert((0, 0, true)).2 = false;

    let mut files = log.finish()?;
    files.extend(write_usage_files(
        &args.out,
        &usage_lines,
        args.size.is_none(),
    )?);
    files.sort();

    let truth = Truth {
        seed: args.seed,
        tz: args.tz.clone(),
        step: 1000,
        rate_limit: args.rate_limit,
        weeks: week_truth
            .into_iter()
            .map(|(start, (consumed, rejected, complete))| TruthWeek {
                week: Grain::Week.label(start.and_time(chrono::NaiveTime::MIN)),
                start,
                consumed,
                rejected,
                complete,
            })
            .collect(),
        months: month_truth
            .into_iter()
            .map(|(month, (consumed, rejected))| TruthMonth {
                month,
                consumed,
                rejected,
            })
            .collect(),
        periods,
        calls: totals,
        users,
        endpoints,
        statuses,
        spikes: spikes
            .iter()
            .map(|s| TruthSpike {
                start: since_text(to_local(s.start_ms), offset_at(s.start_ms)),
                end: since_text(
                    to_local(s.start_ms + s.minutes * 60_000),
                    offset_at(s.start_ms + s.minutes * 60_000),
                ),
                user: USERS[s.user].name.to_string(),
                rejected: s.rejected,
            })
            .collect(),
        restarts,
        files,
    };
    let json = serde_json::to_vec_pretty(&truth).map_err(io::Error::other)?;
    let truth_path = args
        .truth
        .clone()
        .unwrap_or_else(|| args.out.join("truth.json"));
    fs::write(truth_path, json)?;
    Ok(truth)
}

/// A call of `user` at `at`, preceded by a login when its token has expired (or, for
/// wasteful integrations, at random).
fn push_call(calls: &mut Vec<Call>, rng: &mut Rng, user: usize, at: i64, last_login: &mut [i64]) {
    let expired = at - last_login[user] > TOKEN_MINUTES * 60_000;
    if expired || rng.chance(USERS[user].wasteful_login) {
        last_login[user] = at;
        // The login lands just before the call, within the same minute.
        let login_at = (at - 1 - rng.below(300) as i64).max(at - at.rem_euclid(60_000));
        calls.push(make_call(rng, user, login_at, true));
    }
    calls.push(make_call(rng, user, at, false));
}

fn make_call(rng: &mut Rng, user: usize, at: i64, login: bool) -> Call {
    let (method, template) = if login {
        ("POST", LOGIN_PATH)
    } else {
        let endpoints = USERS[user].endpoints;
        let total: u32 = endpoints.iter().map(|e| e.2).sum();
        let mut pick = rng.below(u64::from(total)) as u32;
        let mut chosen = endpoints[0];
        for e in endpoints {
            if pick < e.2 {
                chosen = *e;
                break;
            }
            pick -= e.2;
        }
        (chosen.0, chosen.1)
    };
    let path = template
        .replace("{n}", &(10_000 + rng.below(90_000)).to_string())
        .replace(
            "{u}",
            &format!(
                "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
                rng.next_u64() as u32,
                rng.next_u64() as u16,
                rng.below(0x1000),
                rng.below(0x1000),
                rng.next_u64() & 0xffff_ffff_ffff
            ),
        );
    let base = template.split('?').next().unwrap_or(template);
    let endpoint = base.replace("{n}", "{id}").replace("{u}", "{id}");
    let status = if login {
        if rng.chance(0.01) {
            401
        } else {
            200
        }
    } else {
        let r = rng.unit();
        match r {
            r if r < 0.010 => 404,
            r if r < 0.015 => 400,
            r if r < 0.018 => 500,
            r if r < 0.020 => 409,
            r if r < 0.022 => 401,
            _ if method == "POST" => 201,
            _ if method == "DELETE" => 204,
            _ => 200,
        }
    };
    let duration_ms = match method {
        "GET" if template.contains('?') => 120 + rng.below(400),
        "GET" => 40 + rng.below(120),
        _ => 90 + rng.below(700),
    };
    let cards = (method == "POST" && !login && template.starts_with("/dc/person"))
        .then(|| 1 + rng.below(100));
    Call {
        instant_ms: at,
        user,
        method,
        path,
        endpoint,
        status,
        duration_ms,
        cards,
        login,
    }
}

/// Splits the usage lines into rotated files (oldest gzipped) whose edges overlap by a few
/// lines, as downloads of rotated logs do; or one file.
fn write_usage_files(dir: &Path, lines: &[String], rotate: bool) -> io::Result<Vec<String>> {
    const NAME: &str = "Matrix42_rest_rest_api_usage.log";
    let write_plain = |name: &str, part: &[String]| -> io::Result<()> {
        let mut out = BufWriter::new(File::create(dir.join(name))?);
        for line in part {
            writeln!(out, "{line}")?;
        }
        out.flush()
    };
    if !rotate || lines.len() < 9 {
        write_plain(NAME, lines)?;
        return Ok(vec![NAME.into()]);
    }
    let third = lines.len() / 3;
    let oldest = &lines[..third];
    let middle = &lines[third - 3..2 * third];
    let newest = &lines[2 * third - 2..];
    let gz_name = format!("{NAME}.2.gz");
    let mut gz = GzEncoder::new(
        File::create(dir.join(&gz_name))?,
        flate2::Compression::default(),
    );
    for line in oldest {
        writeln!(gz, "{line}")?;
    }
    gz.finish()?;
    write_plain(&format!("{NAME}.1"), middle)?;
    write_plain(NAME, newest)?;
    Ok(vec![gz_name, format!("{NAME}.1"), NAME.into()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1GB"), Some(1 << 30));
        assert_eq!(parse_size("500MB"), Some(500 << 20));
        assert_eq!(parse_size("12345"), Some(12345));
        assert_eq!(parse_size("1.5kb"), Some(1536));
        assert_eq!(parse_size("lots"), None);
    }

    #[test]
    fn poisson_mean_is_lambda() {
        let mut rng = Rng(7);
        for lambda in [0.5, 3.0, 80.0] {
            let n = 20_000;
            let sum: u64 = (0..n).map(|_| rng.poisson(lambda)).sum();
            let mean = sum as f64 / n as f64;
            assert!(
                (mean - lambda).abs() < lambda * 0.05 + 0.05,
                "{lambda}: {mean}"
            );
        }
    }
}
