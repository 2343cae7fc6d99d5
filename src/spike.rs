//! Spike detection on a series of counts per time bucket, against a robust baseline: the
//! median and MAD of the buckets before it, so that quiet nights and busy mornings are each
//! judged against their own recent past. The median ignores a spike shorter than half the
//! window; a lasting change of level becomes the new baseline after half a window.

/// How spikes are told from the baseline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpikeParams {
    /// Buckets before a point that form its baseline.
    pub window: usize,
    /// Baseline buckets needed before a point is judged at all.
    pub min_baseline: usize,
    /// How many scaled MADs above the median a bucket must be.
    pub threshold: f64,
    /// The smallest spread assumed, so that a flat baseline of zeros does not flag every blip.
    pub min_spread: f64,
    /// The smallest count a spike bucket must reach.
    pub min_count: u64,
    /// Spike buckets at most this many buckets apart form one spike.
    pub merge_gap: usize,
}

impl Default for SpikeParams {
    fn default() -> Self {
        SpikeParams {
            window: 60,
            min_baseline: 10,
            threshold: 6.0,
            min_spread: 1.0,
            min_count: 10,
            merge_gap: 2,
        }
    }
}

/// A run of spike buckets: indices into the series, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpikeWindow {
    pub first: usize,
    pub last: usize,
    /// Sum of the counts from `first` to `last`.
    pub total: u64,
    pub peak: u64,
    pub peak_index: usize,
}

fn median(sorted: &[u64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2] as f64
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
    }
}

/// Finds spikes in `values`, one count per consecutive bucket (missing buckets are zeros).
pub fn detect(values: &[u64], params: &SpikeParams) -> Vec<SpikeWindow> {
    let mut flagged = vec![false; values.len()];
    let mut baseline: Vec<u64> = Vec::with_capacity(params.window);
    let mut deviations: Vec<f64> = Vec::with_capacity(params.window);
    for i in 0..values.len() {
        if values[i] < params.min_count {
            continue;
        }
        baseline.clear();
        baseline.extend_from_slice(&values[i.saturating_sub(params.window)..i]);
        if baseline.len() < params.min_baseline {
            continue;
        }
        baseline.sort_unstable();
        let centre = median(&baseline);
        deviations.clear();
        deviations.extend(baseline.iter().map(|&v| (v as f64 - centre).abs()));
        deviations.sort_unstable_by(f64::total_cmp);
        let n = deviations.len();
        let mad = if n % 2 == 1 {
            deviations[n / 2]
        } else {
            (deviations[n / 2 - 1] + deviations[n / 2]) / 2.0
        };
        // 1.4826 × MAD estimates the standard deviation of normally distributed counts.
        let spread = (1.4826 * mad).max(params.min_spread);
        flagged[i] = values[i] as f64 > centre + params.threshold * spread;
    }

    let mut spikes: Vec<SpikeWindow> = Vec::new();
    for (i, _) in flagged.iter().enumerate().filter(|(_, f)| **f) {
        match spikes.last_mut() {
            Some(s) if i - s.last <= params.merge_gap + 1 => {
                s.total += values[s.last + 1..=i].iter().sum::<u64>();
                s.last = i;
                if values[i] > s.peak {
                    s.peak = values[i];
                    s.peak_index = i;
                }
            }
            _ => spikes.push(SpikeWindow {
                first: i,
                last: i,
                total: values[i],
                peak: values[i],
                peak_index: i,
            }),
        }
    }
    spikes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noise(n: usize, base: u64, seed: u64) -> Vec<u64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                base + state % 3
            })
            .collect()
    }

    #[test]
    fn finds_a_burst_with_its_extent_and_peak() {
        let mut values = noise(300, 1, 7);
        for (k, v) in values[150..162].iter_mut().enumerate() {
            *v = 40 + k as u64;
        }
        let spikes = detect(&values, &SpikeParams::default());
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert_eq!((spikes[0].first, spikes[0].last), (150, 161));
        assert_eq!(spikes[0].peak, 51);
        assert_eq!(spikes[0].total, values[150..162].iter().sum::<u64>());
    }

    #[test]
    fn a_gradual_rise_is_not_a_spike() {
        // Rejections follow traffic up through a busy morning: 0 to 40 per bucket over 4 hours.
        let values: Vec<u64> = (0..240u64).map(|i| i / 6 + (i * 7919) % 3).collect();
        assert!(detect(&values, &SpikeParams::default()).is_empty());
    }

    #[test]
    fn a_lasting_step_becomes_the_baseline_within_half_a_window() {
        let mut values = noise(200, 2, 3);
        values.extend(noise(200, 30, 5));
        let params = SpikeParams::default();
        let spikes = detect(&values, &params);
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert_eq!(spikes[0].first, 200);
        assert!(spikes[0].last <= 200 + params.window / 2, "{spikes:?}");
    }

    #[test]
    fn quiet_series_and_short_ones_have_none() {
        assert!(detect(&noise(500, 0, 11), &SpikeParams::default()).is_empty());
        assert!(detect(&[50, 60, 70], &SpikeParams::default()).is_empty());
        assert!(detect(&[], &SpikeParams::default()).is_empty());
    }

    #[test]
    fn nearby_bursts_merge() {
        let mut values = noise(200, 0, 13);
        values[100] = 50;
        values[102] = 60;
        values[110] = 55;
        let spikes = detect(&values, &SpikeParams::default());
        assert_eq!(spikes.len(), 2, "{spikes:?}");
        assert_eq!((spikes[0].first, spikes[0].last), (100, 102));
        assert_eq!(spikes[0].total, 50 + values[101] + 60);
    }
}
