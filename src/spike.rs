//! Spike detection on rejected calls per time bucket, judged by their share of the calls:
//! each bucket's rejected calls against what the baseline's rejection rate predicts for its
//! volume, so that a busy morning at the usual rate is no spike and a high but steady rate is
//! none either.
//!
//! The baseline is the last `window` buckets that were not anomalous: a spike never teaches
//! the baseline it is judged against, so a burst of any length is found whole. A change of
//! level that lasts longer than `relearn_after` buckets is taken as the new normal. Before the
//! baseline has `min_baseline` buckets, a bucket is judged against an absolute floor only:
//! `min_count` calls answered 429 (the rate limit turned them away) are a spike by themselves.

use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How spikes are told from the baseline.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeParams {
    /// Non-anomalous buckets before a point that form its baseline.
    pub window: usize,
    /// Baseline buckets needed before a point is judged against its baseline; with fewer,
    /// only the absolute floor applies.
    pub min_baseline: usize,
    /// How many standard deviations above the expected count a bucket must be.
    pub threshold: f64,
    /// The smallest standard deviation assumed, so that a baseline without rejections does
    /// not flag every blip.
    pub min_spread: f64,
    /// The fewest rejected calls a spike bucket holds; also the absolute floor of 429s.
    pub min_count: u64,
    /// Spike buckets at most this many buckets apart form one spike.
    pub merge_gap: usize,
    /// Consecutive anomalous buckets after which the level they hold becomes the baseline.
    pub relearn_after: usize,
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
            relearn_after: 240,
        }
    }
}

/// The counts of one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    /// Unsuccessful calls (status 400 or more).
    pub rejected: u64,
    /// Calls with a status, successful or not: what the rejected are a share of.
    pub calls: u64,
    /// Calls answered 429, over the rate limit.
    pub rate_limited: u64,
}

/// What a spike was judged against: the baseline at its first bucket, which stays frozen
/// for the rest of it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Baseline {
    /// Buckets in it (fewer than `min_baseline`: judged against the absolute floor).
    pub buckets: usize,
    /// Index of its oldest bucket.
    pub from: usize,
    /// Rejected calls over calls in it; 0 without calls.
    pub rate: f64,
    /// Mean calls per bucket.
    pub calls: f64,
    /// Mean rejected calls per bucket.
    pub rejected: f64,
}

impl Baseline {
    /// Fewer buckets than the detection needs to judge against it.
    pub fn is_short(&self, params: &SpikeParams) -> bool {
        self.buckets < params.min_baseline
    }
}

/// A run of spike buckets: indices into the series, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SpikeWindow {
    pub first: usize,
    pub last: usize,
    /// Rejected calls from `first` to `last`.
    pub total: u64,
    /// Calls from `first` to `last`.
    pub calls: u64,
    pub peak: u64,
    pub peak_index: usize,
    pub baseline: Baseline,
}

/// The last `window` non-anomalous buckets, with running sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Window {
    buckets: VecDeque<(usize, Bucket)>,
    rejected: u64,
    calls: u64,
}

impl Window {
    fn push(&mut self, index: usize, bucket: Bucket, window: usize) {
        self.buckets.push_back((index, bucket));
        self.rejected += bucket.rejected;
        self.calls += bucket.calls;
        while self.buckets.len() > window {
            if let Some((_, old)) = self.buckets.pop_front() {
                self.rejected -= old.rejected;
                self.calls -= old.calls;
            }
        }
    }

    fn summary(&self) -> Baseline {
        let n = self.buckets.len();
        Baseline {
            buckets: n,
            from: self.buckets.front().map_or(0, |(i, _)| *i),
            rate: if self.calls == 0 {
                0.0
            } else {
                self.rejected as f64 / self.calls as f64
            },
            calls: if n == 0 {
                0.0
            } else {
                self.calls as f64 / n as f64
            },
            rejected: if n == 0 {
                0.0
            } else {
                self.rejected as f64 / n as f64
            },
        }
    }

    /// Whether `bucket` stands above what this baseline predicts for its volume.
    fn is_anomalous(&self, bucket: &Bucket, params: &SpikeParams) -> bool {
        if bucket.rejected < params.min_count {
            return false;
        }
        if self.buckets.len() < params.min_baseline {
            return bucket.rate_limited >= params.min_count;
        }
        let (total_rejected, total_calls) = (self.rejected as f64, self.calls as f64);
        let rate = if self.calls == 0 {
            0.0
        } else {
            total_rejected / total_calls
        };
        // The rate for the variance is smoothed (one rejected and one accepted call added) so
        // that a baseline without rejections still has some; the second term is the
        // uncertainty of the rate itself, large when the baseline saw few calls.
        let smoothed = (total_rejected + 1.0) / (total_calls + 2.0);
        let bernoulli = smoothed * (1.0 - smoothed);
        let calls = bucket.calls.max(bucket.rejected) as f64;
        let dispersion = self.dispersion(rate, bernoulli);
        let variance = dispersion * dispersion * calls * bernoulli
            + calls * calls * bernoulli / (total_calls + 2.0);
        let spread = variance.sqrt().max(params.min_spread);
        bucket.rejected as f64 > rate * calls + params.threshold * spread
    }

    /// How much more the baseline's buckets scatter than binomial counts would (at least 1):
    /// the scaled median absolute standardised residual, robust to a few odd buckets.
    fn dispersion(&self, rate: f64, bernoulli: f64) -> f64 {
        let mut residuals: Vec<f64> = self
            .buckets
            .iter()
            .filter(|(_, b)| b.calls > 0)
            .map(|(_, b)| {
                let calls = b.calls as f64;
                ((b.rejected as f64 - rate * calls) / (calls * bernoulli).sqrt()).abs()
            })
            .collect();
        if residuals.is_empty() {
            return 1.0;
        }
        let median = median(&mut residuals);
        // 1.4826 × the median absolute value estimates the standard deviation.
        (1.4826 * median).max(1.0)
    }
}

/// The median of values (not empty), reordering them. The middle values are selected, not
/// sorted for: this runs for most buckets of a scan, over the whole window.
fn median(values: &mut [f64]) -> f64 {
    let n = values.len();
    let (below, &mut upper, _) = values.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = below
            .iter()
            .copied()
            .max_by(f64::total_cmp)
            .unwrap_or(upper);
        (lower + upper) / 2.0
    }
}

impl Window {
    fn empty(window: usize) -> Window {
        Window {
            buckets: VecDeque::with_capacity(window + 1),
            rejected: 0,
            calls: 0,
        }
    }
}

/// What one bucket fed to a [`SpikeDetector`] changed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SpikeStep {
    /// A spike that can no longer grow: the bucket lies past the merge gap after it.
    pub finished: Option<SpikeWindow>,
    /// The bucket starts a new spike (as it stands after this bucket).
    pub started: Option<SpikeWindow>,
}

/// The spike rule, one bucket at a time: [`detect`] feeds it a whole series, `esmlog watch`
/// each minute as it closes, so that both find the same spikes. It holds only the baseline,
/// the last buckets a relearn or a merge needs, and the spike that may still grow, so it
/// can be kept in a checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpikeDetector {
    params: SpikeParams,
    baseline: Window,
    /// The last buckets, anomalous or not: what a relearn learns from and what a merge adds.
    recent: VecDeque<Bucket>,
    /// Consecutive anomalous buckets.
    run: usize,
    /// The index the next bucket gets.
    next: usize,
    /// The last spike, while a bucket within the merge gap may still extend it.
    open: Option<SpikeWindow>,
}

impl SpikeDetector {
    /// A detector that has seen no bucket.
    pub fn new(params: SpikeParams) -> SpikeDetector {
        SpikeDetector {
            params,
            baseline: Window::empty(params.window.max(1)),
            recent: VecDeque::new(),
            run: 0,
            next: 0,
            open: None,
        }
    }

    /// The parameters it judges by.
    pub fn params(&self) -> &SpikeParams {
        &self.params
    }

    /// Buckets fed so far.
    pub fn buckets_seen(&self) -> usize {
        self.next
    }

    /// The last spike while it may still grow (its last bucket is within the merge gap of
    /// the newest bucket).
    pub fn open_spike(&self) -> Option<&SpikeWindow> {
        self.open.as_ref()
    }

    /// Judges the next bucket of the series.
    pub fn push(&mut self, bucket: Bucket) -> SpikeStep {
        let params = self.params;
        let window = params.window.max(1);
        let i = self.next;
        self.next += 1;
        self.recent.push_back(bucket);
        while self.recent.len() > window.max(params.merge_gap + 2) {
            self.recent.pop_front();
        }
        let mut flagged = None;
        if self.baseline.is_anomalous(&bucket, &params) {
            flagged = Some(self.baseline.summary());
            self.run += 1;
            if self.run > params.relearn_after {
                // A change of level this long is the new normal: learn it from its latest
                // buckets, and judge what follows against it.
                self.baseline = Window::empty(window);
                let learn = window.min(i + 1);
                let skip = self.recent.len() - learn;
                for (k, b) in self.recent.iter().skip(skip).enumerate() {
                    self.baseline.push(i + 1 - learn + k, *b, window);
                }
                flagged = None;
                self.run = 0;
            }
        } else {
            self.run = 0;
            self.baseline.push(i, bucket, window);
        }

        let mut step = SpikeStep::default();
        if self.open.is_some_and(|s| i - s.last > params.merge_gap + 1) {
            step.finished = self.open.take();
        }
        let Some(judged) = flagged else {
            return step;
        };
        let value = bucket.rejected;
        match &mut self.open {
            Some(s) => {
                // The buckets after its last one, up to this one, are all in `recent`: the
                // gap is at most `merge_gap + 1`.
                let between = self.recent.len() - (i - s.last)..;
                s.total += self
                    .recent
                    .range(between.clone())
                    .map(|b| b.rejected)
                    .sum::<u64>();
                s.calls += self.recent.range(between).map(|b| b.calls).sum::<u64>();
                s.last = i;
                if value > s.peak {
                    s.peak = value;
                    s.peak_index = i;
                }
            }
            None => {
                let spike = SpikeWindow {
                    first: i,
                    last: i,
                    total: value,
                    calls: bucket.calls,
                    peak: value,
                    peak_index: i,
                    baseline: judged,
                };
                self.open = Some(spike);
                step.started = Some(spike);
            }
        }
        step
    }

    /// The spike that may still grow, taken as final (the series ends).
    pub fn finish(self) -> Option<SpikeWindow> {
        self.open
    }
}

/// Finds spikes in `buckets`, one per consecutive time bucket (missing buckets are zeros).
pub fn detect(buckets: &[Bucket], params: &SpikeParams) -> Vec<SpikeWindow> {
    let mut detector = SpikeDetector::new(*params);
    let mut spikes: Vec<SpikeWindow> = Vec::new();
    for bucket in buckets {
        spikes.extend(detector.push(*bucket).finished);
    }
    spikes.extend(detector.finish());
    spikes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_median_is_the_middle_of_the_sorted_values() {
        let mut seed = 11u64;
        for n in 1..60 {
            let values: Vec<f64> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    // Few distinct values, so that ties are common.
                    ((seed >> 40) % 7) as f64 / 3.0
                })
                .collect();
            let mut sorted = values.clone();
            sorted.sort_by(f64::total_cmp);
            let want = if n % 2 == 1 {
                sorted[n / 2]
            } else {
                (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
            };
            assert_eq!(median(&mut values.clone()), want, "{values:?}");
        }
    }

    /// A xorshift stream, the same on every platform.
    struct Noise(u64);

    impl Noise {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n.max(1)
        }

        /// `calls` calls, each rejected with probability `rate`.
        fn bucket(&mut self, calls: u64, rate: f64) -> Bucket {
            let rejected = (0..calls)
                .filter(|_| (self.below(1_000_000) as f64) < rate * 1_000_000.0)
                .count() as u64;
            Bucket {
                rejected,
                calls,
                rate_limited: 0,
            }
        }
    }

    fn steady(n: usize, calls: impl Fn(usize) -> u64, rate: f64, seed: u64) -> Vec<Bucket> {
        let mut noise = Noise(seed | 1);
        (0..n).map(|i| noise.bucket(calls(i), rate)).collect()
    }

    /// `extra` calls a minute, all answered 429, over `range`.
    fn burst(buckets: &mut [Bucket], range: std::ops::Range<usize>, extra: u64) {
        for b in &mut buckets[range] {
            b.calls += extra;
            b.rejected += extra;
            b.rate_limited += extra;
        }
    }

    #[test]
    fn finds_a_burst_with_its_extent_and_peak() {
        let mut buckets = steady(300, |_| 20, 0.02, 7);
        burst(&mut buckets, 150..162, 40);
        buckets[155].rejected += 11;
        buckets[155].calls += 11;
        let spikes = detect(&buckets, &SpikeParams::default());
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert_eq!((spikes[0].first, spikes[0].last), (150, 161));
        assert_eq!(spikes[0].peak_index, 155);
        let rejected: u64 = buckets[150..162].iter().map(|b| b.rejected).sum();
        assert_eq!(spikes[0].total, rejected);
        assert!(!spikes[0].baseline.is_short(&SpikeParams::default()));
    }

    #[test]
    fn a_long_burst_is_found_whole() {
        // Ninety minutes: the old median baseline learnt the burst after half an hour.
        let mut buckets = steady(400, |_| 10, 0.02, 5);
        burst(&mut buckets, 100..190, 40);
        let spikes = detect(&buckets, &SpikeParams::default());
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert_eq!((spikes[0].first, spikes[0].last), (100, 189));
        assert!(spikes[0].baseline.rate < 0.1, "{:?}", spikes[0].baseline);
    }

    #[test]
    fn a_burst_before_any_baseline_is_judged_by_its_429s() {
        for start in [0, 5] {
            let mut buckets = steady(200, |_| 10, 0.02, 9);
            burst(&mut buckets, start..start + 15, 60);
            let spikes = detect(&buckets, &SpikeParams::default());
            assert_eq!(spikes.len(), 1, "{start}: {spikes:?}");
            assert_eq!((spikes[0].first, spikes[0].last), (start, start + 14));
            assert!(spikes[0].baseline.is_short(&SpikeParams::default()));
        }
        // Errors other than 429 need a baseline to be told from the usual.
        let buckets = steady(5, |_| 40, 0.5, 3);
        assert!(detect(&buckets, &SpikeParams::default()).is_empty());
    }

    #[test]
    fn a_steady_high_rate_is_no_spike_whatever_the_volume() {
        // 40% rejected, the volume swinging eightfold between night and day.
        let swing = |i: usize| {
            if (i / 60) % 24 >= 8 && (i / 60) % 24 < 17 {
                110
            } else {
                14
            }
        };
        for seed in [1, 2, 3] {
            let flat = steady(3 * 1440, |_| 40, 0.4, seed);
            assert!(
                detect(&flat, &SpikeParams::default()).is_empty(),
                "flat {seed}"
            );
            let daily = steady(3 * 1440, swing, 0.4, seed);
            let spikes = detect(&daily, &SpikeParams::default());
            assert!(spikes.is_empty(), "daily {seed}: {spikes:?}");
        }
    }

    #[test]
    fn a_lasting_step_becomes_the_baseline_after_relearn_after() {
        let mut buckets = steady(200, |_| 20, 0.02, 3);
        buckets.extend(steady(600, |_| 20, 0.9, 5));
        let params = SpikeParams::default();
        let spikes = detect(&buckets, &params);
        assert_eq!(spikes.len(), 1, "{spikes:?}");
        assert_eq!(spikes[0].first, 200);
        assert_eq!(spikes[0].last, 200 + params.relearn_after - 1, "{spikes:?}");
    }

    #[test]
    fn quiet_series_and_short_ones_have_none() {
        assert!(detect(&steady(500, |_| 3, 0.0, 11), &SpikeParams::default()).is_empty());
        assert!(detect(&[], &SpikeParams::default()).is_empty());
    }

    #[test]
    fn nearby_bursts_merge() {
        let mut buckets = steady(200, |_| 5, 0.0, 13);
        burst(&mut buckets, 100..101, 50);
        burst(&mut buckets, 102..103, 60);
        burst(&mut buckets, 110..111, 55);
        let spikes = detect(&buckets, &SpikeParams::default());
        assert_eq!(spikes.len(), 2, "{spikes:?}");
        assert_eq!((spikes[0].first, spikes[0].last), (100, 102));
        assert_eq!(spikes[0].total, 50 + buckets[101].rejected + 60);
    }

    #[test]
    fn a_detector_saved_and_restored_anywhere_finds_the_same_spikes() {
        let mut buckets = steady(400, |i| 10 + (i % 7) as u64, 0.03, 17);
        burst(&mut buckets, 40..44, 30);
        burst(&mut buckets, 46..47, 25);
        burst(&mut buckets, 200..260, 45);
        let params = SpikeParams {
            relearn_after: 30,
            ..SpikeParams::default()
        };
        let whole = detect(&buckets, &params);
        assert!(whole.len() >= 2, "{whole:?}");
        for cut in [1, 41, 45, 47, 210, 231, 399] {
            let mut first = SpikeDetector::new(params);
            let mut found = Vec::new();
            let mut started = 0;
            for b in &buckets[..cut] {
                let step = first.push(*b);
                started += usize::from(step.started.is_some());
                found.extend(step.finished);
            }
            let saved = serde_json::to_string(&first).unwrap();
            let mut second: SpikeDetector = serde_json::from_str(&saved).unwrap();
            assert_eq!(second, first);
            for b in &buckets[cut..] {
                let step = second.push(*b);
                started += usize::from(step.started.is_some());
                found.extend(step.finished);
            }
            found.extend(second.finish());
            assert_eq!(found, whole, "cut at {cut}");
            assert_eq!(started, whole.len(), "cut at {cut}");
        }
    }
}
