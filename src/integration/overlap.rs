//! Entries found in several inputs count once: where the time spans of integration.log
//! inputs overlap (`integration.log` and a rotated `integration.log.1` that share lines, or
//! the same log given under two names), each entry of the overlap is kept from one input
//! only, while identical entries inside one input (two calls in the same millisecond) all
//! count.
//!
//! A scan first reads every input as usual; only when the spans of two inputs overlap does a
//! census of the overlapping stretch pick, for each distinct entry, the input that holds it
//! most often, and a last scan keeps each entry from that input alone.

use super::fast_hash::FastHasher;
use super::layout::Header;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::hash::Hasher;
use std::sync::Mutex;

/// A stretch of time in which several inputs have entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    /// The inputs (indexes among all inputs) whose spans cover it.
    pub files: Vec<usize>,
}

/// The stretches where the spans of two or more inputs overlap, from each input's first and
/// last entry time; inputs without times take no part.
pub fn overlap_windows(spans: &[Option<(NaiveDateTime, NaiveDateTime)>]) -> Vec<Window> {
    let mut windows: Vec<Window> = Vec::new();
    for (a, span_a) in spans.iter().enumerate() {
        let Some((a_from, a_to)) = span_a else {
            continue;
        };
        for (b, span_b) in spans.iter().enumerate().skip(a + 1) {
            let Some((b_from, b_to)) = span_b else {
                continue;
            };
            let (from, to) = ((*a_from).max(*b_from), (*a_to).min(*b_to));
            if from > to {
                continue;
            }
            // Merge with a window it touches, so that each entry time has one window.
            match windows.iter_mut().find(|w| w.from <= to && from <= w.to) {
                Some(w) => {
                    w.from = w.from.min(from);
                    w.to = w.to.max(to);
                    for f in [a, b] {
                        if !w.files.contains(&f) {
                            w.files.push(f);
                        }
                    }
                }
                None => windows.push(Window {
                    from,
                    to,
                    files: vec![a, b],
                }),
            }
        }
    }
    for w in &mut windows {
        w.files.sort_unstable();
    }
    windows
}

/// What identifies an entry: its time, level, thread, logger and first line of message.
fn entry_hash(header: &Header<'_>, time: NaiveDateTime) -> u64 {
    let mut h = FastHasher::default();
    h.write_i64(time.and_utc().timestamp_nanos_opt().unwrap_or_default());
    for part in [header.level, header.thread, header.logger] {
        let part = part.unwrap_or_default();
        h.write_usize(part.len());
        h.write(part);
    }
    h.write(header.message);
    h.finish()
}

/// An entry of a window: the window's index and the entry's hash.
type EntryKey = (usize, u64);

/// How often each input (by global index) holds an entry.
type Holders = Vec<(usize, u32)>;

/// How the scan treats entries in overlap windows.
#[derive(Debug)]
enum Mode {
    /// Counts, per window and entry, how often each input holds it; keeps every entry.
    Census(Mutex<HashMap<EntryKey, Holders>>),
    /// Keeps an entry of a window only from the input that holds it most often.
    Keep(HashMap<EntryKey, usize>),
}

/// The overlap windows of a scan, and what to do with entries inside them.
#[derive(Debug)]
pub struct OverlapFilter {
    windows: Vec<Window>,
    /// The global index of each input of this scan (a census reads only some inputs).
    inputs: Vec<usize>,
    mode: Mode,
}

impl OverlapFilter {
    /// A census of `windows` over the inputs `inputs` (global indexes, in scan order).
    pub fn census(windows: Vec<Window>, inputs: Vec<usize>) -> OverlapFilter {
        OverlapFilter {
            windows,
            inputs,
            mode: Mode::Census(Mutex::new(HashMap::new())),
        }
    }

    /// From a finished census, the filter that keeps each entry of a window from one input:
    /// the one that holds it most often (the first such input on ties). `inputs` are the
    /// global indexes of the scan it will filter.
    pub fn keeping(self, inputs: Vec<usize>) -> OverlapFilter {
        let census = match self.mode {
            Mode::Census(census) => census
                .into_inner()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
            Mode::Keep(_) => HashMap::new(),
        };
        let keep = census
            .into_iter()
            .map(|(key, holders)| {
                let owner = holders
                    .iter()
                    .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))
                    .map_or(0, |(file, _)| *file);
                (key, owner)
            })
            .collect();
        OverlapFilter {
            windows: self.windows,
            inputs,
            mode: Mode::Keep(keep),
        }
    }

    /// Whether the entry with `header`, read from input `file` (its index in this scan),
    /// counts.
    pub fn keeps(&self, file: usize, header: &Header<'_>) -> bool {
        let Some(time) = header.local else {
            return true;
        };
        let global = self.inputs.get(file).copied().unwrap_or(usize::MAX);
        let Some(window) = self
            .windows
            .iter()
            .position(|w| w.from <= time && time <= w.to && w.files.contains(&global))
        else {
            return true;
        };
        let key = (window, entry_hash(header, time));
        match &self.mode {
            Mode::Census(census) => {
                let mut census = census
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let holders = census.entry(key).or_default();
                match holders.iter_mut().find(|(f, _)| *f == global) {
                    Some((_, n)) => *n += 1,
                    None => holders.push((global, 1)),
                }
                true
            }
            Mode::Keep(keep) => keep.get(&key).is_none_or(|owner| *owner == global),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn windows_where_spans_overlap() {
        let spans = [
            Some((t("2023-10-01 00:00"), t("2023-10-08 00:05"))),
            Some((t("2023-10-08 00:00"), t("2023-10-15 00:00"))),
            None,
            Some((t("2023-10-20 00:00"), t("2023-10-21 00:00"))),
            Some((t("2023-10-20 12:00"), t("2023-10-20 13:00"))),
        ];
        assert_eq!(
            overlap_windows(&spans),
            vec![
                Window {
                    from: t("2023-10-08 00:00"),
                    to: t("2023-10-08 00:05"),
                    files: vec![0, 1],
                },
                Window {
                    from: t("2023-10-20 12:00"),
                    to: t("2023-10-20 13:00"),
                    files: vec![3, 4],
                },
            ]
        );
        // Rotated files that follow each other share no stretch.
        let apart = [
            Some((t("2023-10-01 00:00"), t("2023-10-07 23:59"))),
            Some((t("2023-10-08 00:00"), t("2023-10-15 00:00"))),
        ];
        assert!(overlap_windows(&apart).is_empty());
    }
}
