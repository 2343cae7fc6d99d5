//! The timelines of several servers (ESM environments) as one, for the fleet's total: their
//! periods side by side, so that a report over the merged timeline sums them per bucket.

use super::period::Timeline;

/// The timelines of several environments as one: periods side by side (renumbered), so
/// that a report over it sums the environments per week or month.
pub fn merge_timelines(timelines: &[&Timeline]) -> Timeline {
    let mut out = Timeline::default();
    for t in timelines {
        let base = out.periods.len();
        out.periods.extend(t.periods.iter().cloned());
        out.intervals.extend(t.intervals.iter().map(|i| {
            let mut i = *i;
            i.period += base;
            i
        }));
        out.gaps.extend(t.gaps.iter().map(|gap| {
            let mut gap = *gap;
            gap.period += base;
            gap
        }));
        out.step = out.step.max(t.step);
        out.anomalies.extend(t.anomalies.iter().cloned());
        out.duplicates += t.duplicates;
        out.offsets_differ |= t.offsets_differ;
        out.servers += t.servers.max(1);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_side_by_side_with_their_gaps_renumbered() {
        let a = Timeline {
            step: 1000,
            servers: 1,
            ..Timeline::default()
        };
        let b = Timeline {
            step: 500,
            duplicates: 2,
            offsets_differ: true,
            ..Timeline::default()
        };
        let merged = merge_timelines(&[&a, &b]);
        assert_eq!(merged.step, 1000);
        assert_eq!(merged.duplicates, 2);
        assert!(merged.offsets_differ);
        assert_eq!(merged.servers, 2, "a timeline of no server counts as one");
    }
}
