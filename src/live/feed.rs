//! Complete lines of the followed files into the totals, through the parsers every other
//! command uses: the usage-log line parser, and integration.log's entry reader (line
//! accounting) and call reader.
//!
//! A file's kind is sniffed from its first lines as `ingest` sniffs an input; with
//! `--layout auto`, the layout is inferred from the first integration.log that ESM's
//! default does not read, and then serves every file. Lines are read as soon as they are
//! whole: a call is read from its entry's first line, and the lines after it are counted as
//! continuation lines whenever they come, so an entry needs no wait for the next one.

use super::tally::{LineOutcomes, LiveTotals};
use crate::ingest::sniff_kind;
use crate::integration::call::{CallReader, MessagePattern};
use crate::integration::entry::{ChunkStart, EntryReader};
use crate::integration::layout::{infer, LayoutParser};
use crate::integration::message::DurationUnit;
use crate::integration::scan::DEFAULT_MAX_LINE_BYTES;
use crate::lines::{excerpt, LineSplitter};
use crate::messages;
use crate::redact::redact;
use crate::source::{LogKind, SNIFF_BYTES};
use crate::usage::line::{parse_usage_line, UsageBody};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Problems shown on stderr in a run; the rest are counted in `/metrics` only.
const PROBLEMS_SHOWN: usize = 20;

/// Non-blank lines the layout is inferred from when ESM's default does not read them.
const INFER_AFTER_LINES: usize = 20;

/// What kind of log a followed file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    Usage,
    Integration,
    /// Neither: its lines are counted as malformed.
    Unknown,
}

/// How one file (one inode) is being read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileReading {
    /// None until its first lines tell.
    pub kind: Option<FileKind>,
    /// An entry has started in it, so lines that are not headers continue one.
    pub in_entry: bool,
    /// Lines handed on so far, to number problems as in the file.
    pub lines: u64,
}

/// Takes complete lines of a followed file.
pub trait LineSink {
    /// `bytes` starts at byte `at` of the file `name`; takes the complete lines it can
    /// place (all of `bytes` when `whole`: the file is done, its last line is whole without
    /// a line end) and returns how many bytes it took. Lines of a file whose kind is not
    /// known yet may be left for later.
    fn lines(
        &mut self,
        name: &str,
        reading: &mut FileReading,
        bytes: &[u8],
        at: u64,
        whole: bool,
    ) -> usize;
}

/// Where the complete lines of `bytes` end: after its last line end, or at its end when the
/// file is done (`whole`); None when no line is complete yet.
pub fn complete_lines_end(bytes: &[u8], whole: bool) -> Option<usize> {
    if whole {
        return Some(bytes.len());
    }
    memchr::memrchr(b'\n', bytes).map(|p| p + 1)
}

/// How the feed reads.
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// Users named in labels before the rest fold into `other`.
    pub max_users: usize,
    pub duration_unit: DurationUnit,
    pub message_pattern: Option<Arc<MessagePattern>>,
}

/// integration.log's layout, and whether it is settled (given, inferred, or from the
/// checkpoint) or may still be inferred.
#[derive(Debug, Clone)]
pub struct LayoutState {
    pub parser: Arc<LayoutParser>,
    pub settled: bool,
}

/// Reads complete lines into the totals.
pub struct Feed {
    pub totals: LiveTotals,
    pub layout: LayoutState,
    settings: FeedSettings,
    entries: EntryReader,
    calls: CallReader,
    problems_shown: usize,
    /// A usage row arrived since the quota was last worked out.
    pub usage_changed: bool,
}

impl Feed {
    /// A feed that goes on from `totals`.
    pub fn new(totals: LiveTotals, layout: LayoutState, settings: FeedSettings) -> Feed {
        let entries = EntryReader::new(layout.parser.clone(), DEFAULT_MAX_LINE_BYTES);
        let calls = CallReader::new(settings.message_pattern.as_deref())
            .with_duration_unit(settings.duration_unit);
        Feed {
            totals,
            layout,
            settings,
            entries,
            calls,
            problems_shown: 0,
            usage_changed: false,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &FeedSettings {
        &self.settings
    }

    /// Tells a problem with a line on stderr while few were told.
    fn problem(&mut self, name: &str, line: u64, reason: &str, text: &[u8]) {
        if self.problems_shown < PROBLEMS_SHOWN {
            messages::warn(&format!(
                "{name}:{line}: {reason}: {}",
                redact(&excerpt(text, 200))
            ));
            self.problems_shown += 1;
            if self.problems_shown == PROBLEMS_SHOWN {
                messages::warn("further line problems are counted in esm_log_lines_total only");
            }
        }
    }

    /// The kind of a file from its first complete lines, or None to wait for more.
    /// `give_up`: no more lines will make it clearer.
    fn kind_of(&mut self, name: &str, head: &[u8], give_up: bool) -> Option<FileKind> {
        match sniff_kind(head, &self.layout.parser) {
            LogKind::Usage => return Some(FileKind::Usage),
            LogKind::Integration => {
                self.layout.settled = true;
                return Some(FileKind::Integration);
            }
            LogKind::Unknown => {}
        }
        let non_blank = LineSplitter::new(head)
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .count();
        if !self.layout.settled && (non_blank >= INFER_AFTER_LINES || give_up) && non_blank > 0 {
            if let Ok(found) = infer(head) {
                if sniff_kind(head, &found.parser) == LogKind::Integration {
                    messages::warn(&format!(
                        "integration.log layout: `{}`, inferred from the first lines of {name} ({} of {} explained). Pin it with --layout '{}'.",
                        found.parser.pattern(),
                        found.explained,
                        found.sampled,
                        found.parser.pattern()
                    ));
                    self.layout = LayoutState {
                        parser: Arc::new(found.parser),
                        settled: true,
                    };
                    self.entries =
                        EntryReader::new(self.layout.parser.clone(), DEFAULT_MAX_LINE_BYTES);
                    return Some(FileKind::Integration);
                }
            }
        }
        if give_up && non_blank > 0 {
            messages::warn(&format!(
                "{name}: neither a usage log nor an integration.log in layout `{}`; its lines are counted as malformed (first line: `{}`). If it is an integration.log, give its Log4j pattern with --layout.",
                self.layout.parser.pattern(),
                LineSplitter::new(head)
                    .find(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
                    .map(|(_, l)| redact(&excerpt(l, 120)).into_owned())
                    .unwrap_or_default()
            ));
            return Some(FileKind::Unknown);
        }
        None
    }

    fn usage_lines(&mut self, name: &str, reading: &mut FileReading, run: &[u8], at: u64) {
        // A byte-order mark is skipped before a file's first line only.
        let lines = if at == 0 {
            LineSplitter::new(run)
        } else {
            LineSplitter::starting_at(run, 0)
        };
        for (number, line) in lines {
            let number = reading.lines + number;
            if line.iter().all(u8::is_ascii_whitespace) {
                self.totals.lines.usage.blank += 1;
                continue;
            }
            match parse_usage_line(line) {
                Ok(parsed) => {
                    self.totals.lines.usage.parsed += 1;
                    let (consumed, rejected, since) = match parsed.body {
                        UsageBody::Counters {
                            consumed,
                            rejected,
                            since,
                        } => (Some(consumed), Some(rejected), Some(since)),
                        UsageBody::Reset => (None, None, None),
                    };
                    self.totals.usage.push(super::tally::UsageRow {
                        stamp: parsed.stamp,
                        consumed,
                        rejected,
                        since,
                    });
                    self.usage_changed = true;
                }
                Err(fault) => {
                    self.totals.lines.usage.malformed += 1;
                    self.problem(name, number, &fault.to_string(), line);
                }
            }
        }
    }

    fn integration_lines(&mut self, name: &str, reading: &mut FileReading, run: &[u8], at: u64) {
        let start = ChunkStart {
            starts_file: at == 0,
            in_entry: reading.in_entry,
        };
        let redacting = crate::redact::enabled();
        let max_users = self.settings.max_users;
        let (entries, calls, totals) = (&self.entries, &mut self.calls, &mut self.totals);
        let read = entries.read(run, start, &[], name, |entry| {
            let header = &entry.header;
            if let Some(call) = calls.read(header.message) {
                // User names are redacted as in every report: a token logged as a user
                // name must not reach Prometheus.
                let user = call.user.map(|u| {
                    let text = String::from_utf8_lossy(u);
                    if redacting {
                        redact(&text).into_owned()
                    } else {
                        text.into_owned()
                    }
                });
                totals.record_call(header.local, user.as_deref(), &call, max_users);
            }
        });
        reading.in_entry |= read.counts.entries > 0;
        self.totals.lines.integration.add_entries(&read.counts);
        for problem in &read.problems.kept {
            let line = reading.lines + problem.line;
            if self.problems_shown < PROBLEMS_SHOWN {
                self.problem(name, line, &problem.reason, problem.text.as_bytes());
            }
        }
    }

    fn unknown_lines(outcomes: &mut LineOutcomes, run: &[u8]) {
        for (_, line) in LineSplitter::new(run) {
            if line.iter().all(u8::is_ascii_whitespace) {
                outcomes.blank += 1;
            } else {
                outcomes.malformed += 1;
            }
        }
    }
}

impl LineSink for Feed {
    fn lines(
        &mut self,
        name: &str,
        reading: &mut FileReading,
        bytes: &[u8],
        at: u64,
        whole: bool,
    ) -> usize {
        let Some(end) = complete_lines_end(bytes, whole) else {
            return 0;
        };
        let run = &bytes[..end];
        let kind = match reading.kind {
            Some(kind) => kind,
            None => {
                let give_up = whole || run.len() >= SNIFF_BYTES;
                match self.kind_of(name, run, give_up) {
                    Some(kind) => {
                        reading.kind = Some(kind);
                        kind
                    }
                    None => return 0,
                }
            }
        };
        match kind {
            FileKind::Usage => self.usage_lines(name, reading, run, at),
            FileKind::Integration => self.integration_lines(name, reading, run, at),
            FileKind::Unknown => Feed::unknown_lines(&mut self.totals.lines.unknown, run),
        }
        reading.lines += LineSplitter::starting_at(run, 0).count() as u64;
        end
    }
}
