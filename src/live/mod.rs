//! `esmlog watch`: follows the logs as they grow, through rotations and restarts, and keeps
//! live figures: served to Prometheus as OpenMetrics, checkpointed to a state file, and
//! told to hook commands when a rejection spike starts or the quota passes a share.
//!
//! The parts: `follow.rs` follows one file (identity, offsets, rotation); `feed.rs` reads
//! its complete lines with the parsers of every other command; `tally.rs` holds what is
//! counted; `state.rs` checkpoints it; `metrics.rs` renders it; `server.rs` serves it;
//! `hooks.rs` runs the alert commands. This file holds the loop that ties them together.

pub mod feed;
pub mod follow;
pub mod hooks;
pub mod metrics;
pub mod server;
pub mod state;
pub mod tally;

use crate::clock::ServerClock;
use crate::ingest::LayoutChoice;
use crate::integration::layout::{Dialect, LayoutParser};
use crate::messages;
use crate::report::quota::{quota_status, Quota, QuotaStatus};
use crate::report::UsageOptions;
use crate::spike::SpikeParams;
use crate::usage::line::UsageBody;
use crate::usage::load::{UsageFile, UsageRecord};
use crate::usage::period::build_timeline;
use feed::{Feed, FeedSettings, LayoutState};
use follow::Follower;
use hooks::{run_hook, HookEvent};
use server::{Exposition, ListenError};
use state::{Checkpoint, CountingSettings, StateError};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tally::{LiveTotals, SpikeStart};

/// Why the watch cannot start or go on.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Listen(#[from] ListenError),
    #[error("cannot catch SIGTERM and SIGINT to write the checkpoint on exit: {0}")]
    Signals(std::io::Error),
    #[error("--layout `{0}` writes only the time of day; a watch needs the date in each entry (its day changes while it runs): give the server's layout with a date")]
    TimeOnlyLayout(String),
    #[error("{path}: {reason}")]
    BadPath { path: String, reason: String },
}

/// How to watch: the command line, checked.
pub struct WatchConfig {
    /// Files to follow; a folder follows every `*.log` file in it.
    pub paths: Vec<PathBuf>,
    pub state: Option<PathBuf>,
    pub rebuild: bool,
    pub listen: Option<String>,
    pub poll: Duration,
    pub checkpoint_every: Duration,
    pub layout: LayoutChoice,
    pub dialect: Dialect,
    pub feed: FeedSettings,
    pub counting: CountingSettings,
    pub spike: SpikeParams,
    pub clock: ServerClock,
    pub quota: Option<Quota>,
    pub on_spike: Option<String>,
    /// The share (0.8 for 80%) and the command.
    pub on_quota: Option<(f64, String)>,
    pub hook_timeout: Duration,
}

/// The followed paths: the files named, and the `*.log` files of the folders named (looked
/// for again at every poll, so a log created later is followed too). Rotated copies
/// (`.1`, `.gz`, dated) are not followed: they hold what was already read.
fn followed_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut logs: Vec<PathBuf> = std::fs::read_dir(path)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "log"))
                .collect();
            logs.sort();
            out.extend(logs);
        } else {
            out.push(path.clone());
        }
    }
    out
}

/// The usage log's rows as the timeline builder reads them.
fn usage_file(totals: &LiveTotals) -> UsageFile {
    UsageFile {
        name: "usage log (followed)".into(),
        records: totals
            .usage
            .iter()
            .enumerate()
            .map(|(i, row)| UsageRecord {
                stamp: row.stamp,
                body: match (row.consumed, row.rejected, row.since) {
                    (Some(consumed), Some(rejected), Some(since)) => UsageBody::Counters {
                        consumed,
                        rejected,
                        since,
                    },
                    _ => UsageBody::Reset,
                },
                line: i as u64 + 1,
            })
            .collect(),
        ..UsageFile::default()
    }
}

/// The quota's use now, by the rule of `esmlog monthly --quota`.
fn quota_now(totals: &LiveTotals, clock: ServerClock, quota: Quota) -> Option<QuotaStatus> {
    if totals.usage.is_empty() {
        return None;
    }
    let timeline = match build_timeline(&[usage_file(totals)], clock) {
        Ok(t) => t,
        Err(e) => {
            messages::warn(&format!("quota: {e}"));
            return None;
        }
    };
    let options = UsageOptions {
        clock,
        range: crate::calendar::TimeRange::ALL,
        quota: Some(quota),
    };
    quota_status(&timeline, &options, quota).ok().flatten()
}

fn spike_event(start: &SpikeStart) -> HookEvent {
    let spike = &start.spike;
    HookEvent {
        kind: "spike",
        fields: vec![
            (
                "start",
                start.minute.format("%Y-%m-%dT%H:%M").to_string().into(),
            ),
            ("rejected", spike.total.into()),
            ("calls", spike.calls.into()),
            (
                "baseline_rejection_rate",
                crate::report::round_rate(Some(spike.baseline.rate)).into(),
            ),
            ("baseline_minutes", spike.baseline.buckets.into()),
            (
                "top_user",
                start.top_user.as_ref().map(|u| u.0.clone()).into(),
            ),
            (
                "top_user_rejected",
                start.top_user.as_ref().map(|u| u.1).into(),
            ),
        ],
    }
}

fn quota_event(status: &QuotaStatus, threshold: f64) -> HookEvent {
    HookEvent {
        kind: "quota",
        fields: vec![
            ("period", status.label.clone().into()),
            ("used", status.used.into()),
            ("quota", status.quota.into()),
            ("share", status.share.into()),
            ("threshold", threshold.into()),
            ("as_of", status.as_of.clone().into()),
        ],
    }
}

/// The watch: everything one run holds.
struct Watch {
    config: WatchConfig,
    feed: Feed,
    followers: BTreeMap<PathBuf, Follower>,
    /// Checkpoint entries not yet matched to a followed path.
    saved: BTreeMap<String, follow::FileCheckpoint>,
    quota: Option<QuotaStatus>,
    /// The first poll is done: what the logs held at start is read, and hooks run.
    caught_up: bool,
    shared: Arc<Mutex<Exposition>>,
}

impl Watch {
    /// Reads the checkpoint (unless `--rebuild`) and sets the layout.
    fn start(config: WatchConfig) -> Result<Watch, LiveError> {
        let saved = match (&config.state, config.rebuild) {
            (Some(path), false) => state::load(path)?,
            _ => None,
        };
        if let (Some(path), Some(saved)) = (&config.state, &saved) {
            state::check_settings(path, &saved.settings, &config.counting)?;
        }
        let layout = match (
            &config.layout,
            saved.as_ref().and_then(|s| s.layout.clone()),
        ) {
            (LayoutChoice::Given(parser), _) => LayoutState {
                parser: parser.clone(),
                settled: true,
            },
            (LayoutChoice::Auto, Some(pattern)) => LayoutState {
                parser: Arc::new(LayoutParser::compile_in(&pattern, config.dialect).map_err(
                    |e| {
                        StateError::Damaged {
                            path: config
                                .state
                                .as_deref()
                                .map(|p| p.display().to_string())
                                .unwrap_or_default(),
                            reason: format!("its layout `{pattern}` does not compile: {e}"),
                        }
                    },
                )?),
                settled: true,
            },
            (LayoutChoice::Auto, None) => LayoutState {
                parser: Arc::new(LayoutParser::default()),
                settled: false,
            },
        };
        if layout.parser.is_time_only() {
            return Err(LiveError::TimeOnlyLayout(
                layout.parser.pattern().to_owned(),
            ));
        }
        let (totals, files) = match saved {
            Some(saved) => (saved.totals, saved.files),
            None => (LiveTotals::new(config.spike), Vec::new()),
        };
        let feed = Feed::new(totals, layout, config.feed.clone());
        Ok(Watch {
            saved: files.into_iter().map(|f| (f.path.clone(), f)).collect(),
            config,
            feed,
            followers: BTreeMap::new(),
            quota: None,
            caught_up: false,
            shared: Arc::new(Mutex::new(Exposition::default())),
        })
    }

    /// Follows the paths that appeared since the last poll.
    fn find_paths(&mut self) {
        for path in followed_paths(&self.config.paths) {
            if !self.followers.contains_key(&path) {
                let resume = self.saved.remove(path.to_string_lossy().as_ref());
                let backoff = self.config.poll.max(Duration::from_millis(50));
                self.followers
                    .insert(path.clone(), Follower::new(path, resume, backoff));
            }
        }
    }

    /// One poll: every file read to its end, minutes closed, hooks run, the exposition
    /// rendered.
    fn poll(&mut self) {
        self.find_paths();
        let now = Instant::now();
        for follower in self.followers.values_mut() {
            follower.poll(&mut self.feed, now);
        }
        let settings = &self.config.counting;
        let started = self
            .feed
            .totals
            .close_minutes(settings.rate_limit, settings.max_users);
        if self.feed.usage_changed {
            self.feed.usage_changed = false;
            self.quota = self
                .config
                .quota
                .and_then(|q| quota_now(&self.feed.totals, self.config.clock, q));
        }
        if self.caught_up {
            if let Some(command) = &self.config.on_spike {
                for start in &started {
                    run_hook(
                        "--on-spike",
                        command,
                        spike_event(start),
                        self.config.hook_timeout,
                    );
                }
            }
        } else if !started.is_empty() {
            messages::warn(&format!(
                "{} rejection spike(s) started in what the logs held at start; they are counted in esm_spikes_total, and --on-spike runs for the spikes found from now on",
                started.len()
            ));
        }
        self.quota_hook();
        self.caught_up = true;
        self.render();
    }

    /// `--on-quota`: once a quota period, when its share used reaches the threshold.
    fn quota_hook(&mut self) {
        let (Some((threshold, command)), Some(status)) = (&self.config.on_quota, &self.quota)
        else {
            return;
        };
        if status.share < *threshold
            || self.feed.totals.quota_alerted.as_deref() == Some(&status.label)
        {
            return;
        }
        self.feed.totals.quota_alerted = Some(status.label.clone());
        run_hook(
            "--on-quota",
            command,
            quota_event(status, *threshold),
            self.config.hook_timeout,
        );
    }

    fn render(&self) {
        let text = metrics::render(&metrics::Exposed {
            totals: &self.feed.totals,
            files: self
                .followers
                .values()
                .map(|f| (f.name().to_owned(), f.status().clone()))
                .collect(),
            quota_used: self.quota.as_ref().map(|q| q.share),
        });
        if let Ok(mut exposition) = self.shared.lock() {
            exposition.metrics = text;
        }
    }

    fn checkpoint(&self) -> Checkpoint {
        let mut files: Vec<follow::FileCheckpoint> = self
            .followers
            .values()
            .filter_map(Follower::checkpoint)
            .collect();
        // Files of the checkpoint not followed in this run keep their place for the next.
        files.extend(self.saved.values().cloned());
        Checkpoint {
            format: state::FORMAT,
            written_by: env!("CARGO_PKG_VERSION").to_owned(),
            layout: self
                .feed
                .layout
                .settled
                .then(|| self.feed.layout.parser.pattern().to_owned()),
            settings: self.config.counting.clone(),
            files,
            totals: self.feed.totals.clone(),
        }
    }

    fn save(&self) -> Result<(), StateError> {
        match &self.config.state {
            Some(path) => state::save(path, &self.checkpoint()),
            None => Ok(()),
        }
    }
}

/// Sleeps `length`, waking early when `stop` is set.
fn nap(length: Duration, stop: &AtomicBool) {
    let until = Instant::now() + length;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left.min(Duration::from_millis(25)));
    }
}

/// Runs the watch until SIGTERM or SIGINT; writes the checkpoint every
/// `checkpoint_every` and on the way out.
pub fn watch(config: WatchConfig) -> Result<(), LiveError> {
    for path in &config.paths {
        if path.as_os_str() == "-" {
            return Err(LiveError::BadPath {
                path: "-".into(),
                reason: "stdin cannot be followed through rotations; give the log files".into(),
            });
        }
    }
    let mut watch = Watch::start(config)?;
    // The port is taken before anything is read: one in use is an error at once.
    if let Some(addr) = watch.config.listen.clone() {
        let bound = server::serve(&addr, watch.shared.clone())?;
        messages::status(&format!("serving http://{bound}/metrics and /healthz"));
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stop.clone()).map_err(LiveError::Signals)?;
    }
    watch.render();
    if let Ok(mut exposition) = watch.shared.lock() {
        exposition.following = true;
    }
    let mut saved_at = Instant::now();
    let mut outcome = Ok(());
    while !stop.load(Ordering::Relaxed) {
        watch.poll();
        if saved_at.elapsed() >= watch.config.checkpoint_every {
            if let Err(e) = watch.save() {
                // A full disk must not stop the counting: the next checkpoint may succeed.
                messages::warn(&e.to_string());
            }
            saved_at = Instant::now();
        }
        nap(watch.config.poll, &stop);
    }
    if let Ok(mut exposition) = watch.shared.lock() {
        exposition.following = false;
    }
    if let Err(e) = watch.save() {
        outcome = Err(e.into());
    }
    outcome
}
