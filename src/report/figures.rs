//! The usage log's consumed figures of one bucket as every report shows them: a lower bound,
//! an estimate, the upper bounds it can prove, and the stretch it covers.

use crate::render::{thousands, Cell};
use crate::usage::period::{Gap, GapKind, Timeline};
use crate::usage::rollup::{BucketTotals, Coverage};
use chrono::NaiveDateTime;
use serde::Serialize;

/// Consumed calls of one bucket (or of a whole range).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ConsumedFigures {
    /// Calls certainly in the bucket: exact when `exact`, else a lower bound.
    pub consumed_min: u64,
    /// Best estimate: `consumed_min` plus the bucket's share, in proportion to time, of the
    /// stretches between two usage lines that cross its edges (never calls in gaps).
    pub consumed_estimate: u64,
    /// The most calls the bucket can hold, a bound that always holds; null when a gap in
    /// the log leaves it unknown.
    pub consumed_max: Option<u64>,
    /// The most it can hold if the server restarted at most once in each gap; null when
    /// there is no gap.
    pub consumed_max_if_one_restart: Option<u64>,
    /// How far the true count can lie from the estimate (`estimate ± N`); null when the
    /// maximum is unknown.
    pub plus_minus: Option<u64>,
    /// The log proves the count of the covered stretch.
    pub exact: bool,
    /// The log does not cover the whole bucket; the figures are those of `coverage`.
    pub partial: bool,
    pub coverage: Option<Coverage>,
}

impl ConsumedFigures {
    pub fn of(t: &BucketTotals) -> ConsumedFigures {
        ConsumedFigures {
            consumed_min: t.consumed_min,
            consumed_estimate: t.consumed_est,
            consumed_max: t.consumed_max,
            consumed_max_if_one_restart: t.consumed_max_if_one_restart,
            plus_minus: t.plus_minus(),
            exact: t.exact(),
            partial: !t.full(),
            coverage: t.coverage,
        }
    }

    /// The lower bound: exact, or `≥ N`.
    pub fn min_cell(&self) -> Cell {
        if self.exact {
            Cell::Count(self.consumed_min)
        } else {
            Cell::AtLeast(self.consumed_min)
        }
    }

    /// The estimate with its `±`, or the lower bound where the maximum is unknown.
    pub fn estimate_cell(&self) -> Cell {
        match self.plus_minus {
            Some(plus_minus) => Cell::Estimate {
                value: self.consumed_estimate,
                plus_minus,
            },
            None => Cell::AtLeast(self.consumed_min),
        }
    }

    /// The upper bound as people read it: blank when exact, else the bound, else the one that
    /// holds if the server restarted once (every gap has one; `unknown` only guards the type).
    pub fn max_cell(&self) -> Cell {
        match (
            self.exact,
            self.consumed_max,
            self.consumed_max_if_one_restart,
        ) {
            (true, _, _) => Cell::Empty,
            (false, Some(max), _) => Cell::Count(max),
            (false, None, Some(max)) => Cell::Text(format!("{} if 1 restart", thousands(max))),
            (false, None, None) => Cell::Text("unknown".into()),
        }
    }

    /// The strict maximum for CSV (empty when unknown).
    pub fn max_raw_cell(&self) -> Cell {
        self.consumed_max.map_or(Cell::Empty, Cell::Count)
    }

    pub fn max_if_one_restart_raw_cell(&self) -> Cell {
        self.consumed_max_if_one_restart
            .map_or(Cell::Empty, Cell::Count)
    }

    /// The coverage: `all`, or the covered share and stretch, for people; the covered share,
    /// 0 to 1, for programs (empty when nothing is covered).
    pub fn coverage_cell(&self) -> Cell {
        let human = match self.coverage {
            Some(_) if !self.partial => "all".to_string(),
            Some(c) => format!(
                "{}% {}–{}",
                percent(c.share),
                c.from.format("%m-%d %H:%M"),
                c.to.format("%m-%d %H:%M")
            ),
            None => "none".to_string(),
        };
        Cell::Dual {
            human,
            machine: self
                .coverage
                .map_or(Cell::Empty, |c| Cell::Rate(Some(c.share)))
                .raw(),
        }
    }

    /// `exact` as programs read it.
    pub fn exact_cell(&self) -> Cell {
        Cell::Text(self.exact.to_string())
    }
}

/// A share as a whole percentage that never rounds a partial share up to 100.
fn percent(share: f64) -> String {
    let p = (share * 100.0).floor();
    format!("{p:.0}")
}

/// A stretch the usage log cannot count, as reports list it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GapRow {
    pub kind: GapKind,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub consumed_max_if_one_restart: Option<u64>,
}

impl GapRow {
    fn of(gap: &Gap) -> GapRow {
        GapRow {
            kind: gap.kind,
            from: gap.from.local,
            to: gap.to.local,
            consumed_max_if_one_restart: gap.consumed_max_if_one_restart,
        }
    }

    /// One sentence for the notes under a table.
    pub fn note(&self) -> String {
        if self.kind == GapKind::NotInInput {
            return format!(
                "No usage line from {} to {}, not even the weekly reset: files not given, or the server was down. \
                 Buckets it touches are partial; their figures are those of the rest.",
                self.from.format("%Y-%m-%d %H:%M"),
                self.to.format("%Y-%m-%d %H:%M"),
            );
        }
        format!(
            "Gap {} – {} ({}): the usage log cannot count the calls in it{}.",
            self.from.format("%Y-%m-%d %H:%M"),
            self.to.format("%Y-%m-%d %H:%M"),
            self.kind.as_str(),
            match self.consumed_max_if_one_restart {
                Some(max) => format!(
                    "; at most {} consumed if the server restarted once in it",
                    thousands(max)
                ),
                None => String::new(),
            }
        )
    }
}

/// What the usage log cannot say of a range that reaches past its last line: ESM writes a
/// line per 1000 calls, so the calls after the last line are not counted yet. None when the
/// range ends within the log, or for everything.
pub fn range_note(timeline: &Timeline, range: crate::calendar::TimeRange) -> Option<String> {
    if range.is_all() {
        return None;
    }
    let (first, last) = timeline.span()?;
    let (first, last) = (first.local, last.local);
    let show = |t: chrono::NaiveDateTime| t.format("%Y-%m-%d %H:%M").to_string();
    if !range.overlaps(first, last) {
        return Some(format!(
            "No usage line speaks of {}: the usage log runs from {} to {}. It cannot tell the transactions of this stretch (a line is written per {} calls, so calls after the last one are not counted yet).",
            range.describe(),
            show(first),
            show(last),
            crate::render::thousands(timeline.step)
        ));
    }
    // A range open at its end ends with the log: only a named end past it needs saying.
    match range.to {
        Some(to) if to > last + chrono::Duration::minutes(1) => Some(format!(
            "The usage log's last line is at {}: the calls after it in {} are not counted yet (a line is written per {} calls), so the figures end there.",
            show(last),
            range.describe(),
            crate::render::thousands(timeline.step)
        )),
        _ => None,
    }
}

/// The gaps of the timeline that touch the range.
pub fn gaps_in(timeline: &Timeline, range: crate::calendar::TimeRange) -> Vec<GapRow> {
    timeline
        .gaps
        .iter()
        .filter(|g| range.overlaps(g.from.local, g.to.local))
        .map(GapRow::of)
        .collect()
}

/// The notes that say what the signs and columns mean, once per table. `shows_min` says
/// whether the table's consumed column is the minimum (weekly) rather than the estimate.
pub fn figure_notes(rows: &[&ConsumedFigures], gaps: &[GapRow], shows_min: bool) -> Vec<String> {
    let mut notes = Vec::new();
    if rows
        .iter()
        .any(|f| !f.exact && (shows_min || f.plus_minus.is_none()))
    {
        notes.push(
            "≥ marks a lower bound. \"at most\" is an upper bound that always holds; \"if 1 restart\" holds only if \
             the server restarted at most once in each gap (a gap has no bound that always holds)."
                .to_string(),
        );
    }
    if rows.iter().any(|f| f.plus_minus.is_some_and(|p| p > 0)) {
        notes.push(
            "± N: the true count lies within the estimate ± N (min and max can be tighter on one side). The estimate \
             splits, in proportion to time, the calls between two usage lines that cross a bucket's edge."
                .to_string(),
        );
    }
    if rows.iter().any(|f| f.partial) {
        notes.push(
            "covered: the share and stretch of the bucket the usage log speaks of; the figures of a partial bucket \
             are those of its covered stretch, and the whole bucket holds at least as many."
                .to_string(),
        );
    }
    notes.extend(gaps.iter().map(GapRow::note));
    notes
}
