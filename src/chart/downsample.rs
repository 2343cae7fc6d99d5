//! Thinning of long time series to a few points per pixel column before drawing, so that a chart
//! of 100,000 minutes stays a small file, while keeping what a reader must see: peaks.

use chrono::NaiveDateTime;

/// The pixel column, out of `columns`, that `at` falls in on an axis from `start` to `end`.
fn column(at: NaiveDateTime, start: NaiveDateTime, end: NaiveDateTime, columns: usize) -> usize {
    let span = (end - start).num_milliseconds().max(1) as i128;
    let offset = ((at - start).num_milliseconds() as i128).clamp(0, span);
    let last = columns.saturating_sub(1) as i128;
    (offset * last / span) as usize
}

fn time_bounds<V>(points: &[(NaiveDateTime, V)]) -> Option<(NaiveDateTime, NaiveDateTime)> {
    let start = points.iter().map(|(at, _)| *at).min()?;
    let end = points.iter().map(|(at, _)| *at).max()?;
    Some((start, end))
}

/// The largest value of each pixel column (the first such point where several tie), in time
/// order. At most `columns` points; fewer points than columns come back as they are, sorted.
pub(crate) fn max_per_column<V: Copy + PartialOrd>(
    points: &[(NaiveDateTime, V)],
    columns: usize,
) -> Vec<(NaiveDateTime, V)> {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|(at, _)| *at);
    let Some((start, end)) = time_bounds(points) else {
        return sorted;
    };
    if sorted.len() <= columns {
        return sorted;
    }
    let mut kept: Vec<Option<(NaiveDateTime, V)>> = vec![None; columns.max(1)];
    for (at, value) in sorted {
        let slot = &mut kept[column(at, start, end, columns.max(1))];
        match slot {
            Some((_, best)) if *best >= value => {}
            _ => *slot = Some((at, value)),
        }
    }
    kept.into_iter().flatten().collect()
}

/// For each pixel column, its first, lowest, highest and last point, in time order: a line
/// through them looks the same as through all points. At most four points per column; input
/// of fewer than four points per column comes back as it is, sorted.
pub(crate) fn extremes_per_column<V: Copy + PartialOrd>(
    points: &[(NaiveDateTime, V)],
    columns: usize,
) -> Vec<(NaiveDateTime, V)> {
    let mut sorted = points.to_vec();
    sorted.sort_by_key(|(at, _)| *at);
    let columns = columns.max(1);
    let Some((start, end)) = time_bounds(points) else {
        return sorted;
    };
    if sorted.len() <= columns * 4 {
        return sorted;
    }
    let mut kept = Vec::with_capacity(columns * 4);
    let mut run_start = 0;
    while run_start < sorted.len() {
        let this_column = column(sorted[run_start].0, start, end, columns);
        let run_end = sorted[run_start..]
            .iter()
            .position(|(at, _)| column(*at, start, end, columns) != this_column)
            .map_or(sorted.len(), |length| run_start + length);
        let run = &sorted[run_start..run_end];
        let lowest = (0..run.len())
            .min_by(|a, b| compare(&run[*a].1, &run[*b].1))
            .unwrap_or(0);
        let highest = (0..run.len())
            .max_by(|a, b| compare(&run[*a].1, &run[*b].1))
            .unwrap_or(0);
        let mut picks = [0, lowest, highest, run.len() - 1];
        picks.sort_unstable();
        let mut previous = None;
        for pick in picks {
            if previous != Some(pick) {
                kept.push(run[pick]);
                previous = Some(pick);
            }
        }
        run_start = run_end;
    }
    kept
}

/// Orders values that may not be comparable (NaN) as equal, so one bad value cannot panic.
fn compare<V: PartialOrd>(a: &V, b: &V) -> std::cmp::Ordering {
    a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};

    fn minute(i: i64) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2023, 10, 9)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .expect("valid date")
            + Duration::minutes(i)
    }

    #[test]
    fn max_per_column_keeps_peaks_and_bounds_size() {
        let mut points: Vec<(NaiveDateTime, u64)> = (0..10_000).map(|i| (minute(i), 3)).collect();
        points[5_000].1 = 99;
        let kept = max_per_column(&points, 100);
        assert!(kept.len() <= 100);
        assert!(kept
            .iter()
            .any(|(at, calls)| *at == minute(5_000) && *calls == 99));
        assert!(kept.windows(2).all(|pair| pair[0].0 <= pair[1].0));
    }

    #[test]
    fn short_series_are_only_sorted() {
        let points = vec![(minute(2), 1u64), (minute(1), 2)];
        assert_eq!(
            max_per_column(&points, 100),
            vec![(minute(1), 2), (minute(2), 1)]
        );
        assert!(max_per_column::<u64>(&[], 100).is_empty());
    }

    #[test]
    fn extremes_per_column_keeps_low_and_high() {
        let points: Vec<(NaiveDateTime, f64)> = (0..10_000)
            .map(|i| {
                (
                    minute(i),
                    if i == 777 {
                        50.0
                    } else if i == 778 {
                        -1.0
                    } else {
                        5.0
                    },
                )
            })
            .collect();
        let kept = extremes_per_column(&points, 50);
        assert!(kept.len() <= 200);
        assert!(kept.iter().any(|(_, v)| *v == 50.0));
        assert!(kept.iter().any(|(_, v)| *v == -1.0));
        assert!(kept.windows(2).all(|pair| pair[0].0 <= pair[1].0));
    }
}
