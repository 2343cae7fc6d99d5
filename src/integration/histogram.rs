//! A mergeable latency histogram: log-linear buckets in microseconds.
//!
//! Values below 128 µs have a bucket each; above, every power of two is cut into 64 equal
//! buckets, so a bucket is never wider than 1/64 of its lower bound and its midpoint is
//! within 1/128 (0.8 %) of any value in it. Count, sum, minimum and maximum are kept
//! exactly. Merging adds bucket counts, so merges are exact and the result does not
//! depend on the order in which partial histograms are merged.

use std::fmt;

/// Sub-buckets per power of two, as a power of two.
const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS;
/// Values below this have a bucket of their own.
const EXACT_BELOW: u64 = 2 * SUB;

/// A sparse histogram turns dense past this many occupied buckets: sparse keeps tiny groups
/// (one user in one hour) small, dense keeps busy groups fast to update.
const SPARSE_MAX: usize = 24;

/// The bucket of a value.
fn bucket_of(value: u64) -> u16 {
    if value < EXACT_BELOW {
        return value as u16;
    }
    let exponent = 63 - value.leading_zeros();
    let shift = exponent - SUB_BITS;
    // `value >> shift` is in [SUB, 2 * SUB): the index runs on from the exact buckets.
    (u64::from(shift) * SUB + (value >> shift)) as u16
}

/// The smallest and largest value of a bucket.
fn bucket_bounds(bucket: u16) -> (u64, u64) {
    let bucket = u64::from(bucket);
    if bucket < EXACT_BELOW {
        return (bucket, bucket);
    }
    let shift = bucket / SUB - 1;
    let low = (bucket - shift * SUB) << shift;
    (low, low + ((1u64 << shift) - 1))
}

#[derive(Debug, Clone)]
enum Buckets {
    /// Occupied buckets in increasing order.
    Sparse(Vec<(u16, u64)>),
    /// Counts of the buckets `first..first + counts.len()`.
    Dense { first: u16, counts: Vec<u64> },
}

impl Default for Buckets {
    fn default() -> Self {
        Buckets::Sparse(Vec::new())
    }
}

impl Buckets {
    /// Adds `n` to a bucket. A busy histogram is dense and its range settles early, so
    /// nearly every call is one increment, kept inline; the rest goes to `add_growing`.
    #[inline(always)]
    fn add(&mut self, bucket: u16, n: u64) {
        if let Buckets::Dense { first, counts } = self {
            if let Some(count) = bucket
                .checked_sub(*first)
                .and_then(|i| counts.get_mut(usize::from(i)))
            {
                *count += n;
                return;
            }
        }
        self.add_growing(bucket, n);
    }

    fn add_growing(&mut self, bucket: u16, n: u64) {
        match self {
            Buckets::Sparse(entries) => {
                match entries.binary_search_by_key(&bucket, |&(b, _)| b) {
                    Ok(i) => entries[i].1 += n,
                    Err(i) => entries.insert(i, (bucket, n)),
                }
                if entries.len() > SPARSE_MAX {
                    *self = Buckets::dense_from(entries);
                }
            }
            Buckets::Dense { first, counts } => {
                if bucket < *first {
                    let grow = usize::from(*first - bucket);
                    counts.splice(0..0, std::iter::repeat_n(0, grow));
                    *first = bucket;
                } else if usize::from(bucket - *first) >= counts.len() {
                    counts.resize(usize::from(bucket - *first) + 1, 0);
                }
                counts[usize::from(bucket - *first)] += n;
            }
        }
    }

    fn dense_from(entries: &[(u16, u64)]) -> Buckets {
        let first = entries.first().map_or(0, |e| e.0);
        let last = entries.last().map_or(0, |e| e.0);
        let mut counts = vec![0; usize::from(last - first) + 1];
        for &(bucket, n) in entries {
            counts[usize::from(bucket - first)] += n;
        }
        Buckets::Dense { first, counts }
    }

    /// Occupied buckets in increasing order, with their counts.
    fn iter(&self) -> Box<dyn Iterator<Item = (u16, u64)> + '_> {
        match self {
            Buckets::Sparse(entries) => Box::new(entries.iter().copied()),
            Buckets::Dense { first, counts } => Box::new(
                counts
                    .iter()
                    .enumerate()
                    .filter(|(_, &n)| n > 0)
                    .map(move |(i, &n)| (*first + i as u16, n)),
            ),
        }
    }
}

/// Latencies of a set of calls, in microseconds; see the module documentation for its
/// accuracy. Equality compares the recorded distribution, not the memory layout.
#[derive(Debug, Clone, Default)]
pub struct LatencyHistogram {
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
    buckets: Buckets,
}

impl LatencyHistogram {
    /// An empty histogram.
    pub fn new() -> LatencyHistogram {
        LatencyHistogram::default()
    }

    /// Records one latency.
    #[inline]
    pub fn record(&mut self, micros: u64) {
        self.record_n(micros, 1);
    }

    /// Records the same latency `n` times.
    #[inline]
    pub fn record_n(&mut self, micros: u64, n: u64) {
        if n == 0 {
            return;
        }
        if self.count == 0 || micros < self.min {
            self.min = micros;
        }
        self.max = self.max.max(micros);
        self.count += n;
        self.sum += u128::from(micros) * u128::from(n);
        self.buckets.add(bucket_of(micros), n);
    }

    /// Adds every latency of `other`.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 || other.min < self.min {
            self.min = other.min;
        }
        self.max = self.max.max(other.max);
        self.count += other.count;
        self.sum += other.sum;
        for (bucket, n) in other.buckets.iter() {
            self.buckets.add(bucket, n);
        }
    }

    /// How many latencies were recorded (exact).
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The smallest latency (exact), None when empty.
    pub fn min(&self) -> Option<u64> {
        (self.count > 0).then_some(self.min)
    }

    /// The largest latency (exact), None when empty.
    pub fn max(&self) -> Option<u64> {
        (self.count > 0).then_some(self.max)
    }

    /// The sum of all latencies (exact).
    pub fn sum(&self) -> u128 {
        self.sum
    }

    /// The mean latency, rounded down to the microsecond; None when empty.
    pub fn mean(&self) -> Option<u64> {
        (self.count > 0).then(|| (self.sum / u128::from(self.count)) as u64)
    }

    /// The `q`-quantile (`0.0..=1.0`) by the nearest-rank definition: the value of rank
    /// `ceil(q * count)` (at least 1) in sorted order, within 0.8 % (exact below 128 µs,
    /// and exact at the extremes, which are clamped to the minimum and maximum).
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let q = if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let rank = ((q * self.count as f64).ceil() as u64).clamp(1, self.count);
        if rank == 1 {
            return Some(self.min);
        }
        if rank == self.count {
            return Some(self.max);
        }
        let mut seen = 0;
        for (bucket, n) in self.buckets.iter() {
            seen += n;
            if seen >= rank {
                let (low, high) = bucket_bounds(bucket);
                let mid = low + (high - low) / 2;
                return Some(mid.clamp(self.min, self.max));
            }
        }
        Some(self.max)
    }

    /// The median.
    pub fn p50(&self) -> Option<u64> {
        self.quantile(0.50)
    }

    /// The 95th percentile.
    pub fn p95(&self) -> Option<u64> {
        self.quantile(0.95)
    }

    /// The 99th percentile.
    pub fn p99(&self) -> Option<u64> {
        self.quantile(0.99)
    }

    /// The occupied buckets in increasing order: (smallest value, largest value, count).
    /// For charts of the distribution.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, u64, u64)> + '_ {
        self.buckets.iter().map(|(bucket, n)| {
            let (low, high) = bucket_bounds(bucket);
            (low, high, n)
        })
    }
}

impl PartialEq for LatencyHistogram {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count
            && self.sum == other.sum
            && self.min() == other.min()
            && self.max() == other.max()
            && self.buckets.iter().eq(other.buckets.iter())
    }
}

impl Eq for LatencyHistogram {}

impl fmt::Display for LatencyHistogram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let show = |v: Option<u64>| v.map_or("-".to_owned(), |v| v.to_string());
        write!(
            f,
            "n={} p50={}µs p95={}µs p99={}µs max={}µs",
            self.count,
            show(self.p50()),
            show(self.p95()),
            show(self.p99()),
            show(self.max())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// xorshift: deterministic pseudo-random values for the tests.
    fn values(seed: u64, n: usize, spread: u32) -> Vec<u64> {
        let mut state = seed | 1;
        (0..n)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                // Log-uniform over `spread` powers of two: every bucket shape gets used.
                let exponent = (state >> 40) % u64::from(spread);
                (state & ((1u64 << exponent) - 1)) | (1u64 << exponent) >> 1
            })
            .collect()
    }

    #[test]
    fn buckets_tile_the_range() {
        let mut expected_low = 0u64;
        for bucket in 0..=bucket_of(u64::MAX) {
            let (low, high) = bucket_bounds(bucket);
            assert_eq!(low, expected_low, "bucket {bucket}");
            assert!(high >= low);
            assert_eq!(bucket_of(low), bucket);
            assert_eq!(bucket_of(high), bucket);
            // Width at most 1/64 of the lower bound: the midpoint is within 1/128.
            assert!(
                low < EXACT_BELOW || (high - low + 1) * 64 <= low,
                "bucket {bucket}"
            );
            expected_low = high.wrapping_add(1);
        }
        assert_eq!(expected_low, 0, "the last bucket ends at u64::MAX");
    }

    #[test]
    fn quantiles_are_within_one_percent() {
        for (seed, n, spread) in [(1, 1, 10), (2, 7, 20), (3, 1000, 30), (4, 20_000, 40)] {
            let vals = values(seed, n, spread);
            let mut h = LatencyHistogram::new();
            for &v in &vals {
                h.record(v);
            }
            let mut sorted = vals.clone();
            sorted.sort_unstable();
            assert_eq!(h.count(), n as u64);
            assert_eq!(h.min(), sorted.first().copied());
            assert_eq!(h.max(), sorted.last().copied());
            assert_eq!(h.sum(), vals.iter().map(|&v| u128::from(v)).sum::<u128>());
            for q in [0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0] {
                let rank = ((q * n as f64).ceil() as usize).clamp(1, n);
                let exact = sorted[rank - 1];
                let got = h.quantile(q).unwrap();
                let error = got.abs_diff(exact) as f64 / (exact.max(1)) as f64;
                assert!(error <= 0.01, "seed {seed} q {q}: {got} vs {exact}");
                if exact < EXACT_BELOW {
                    assert_eq!(got, exact);
                }
            }
            assert_eq!(h.quantile(1.0), h.max());
            assert_eq!(h.quantile(0.0), h.min());
        }
    }

    #[test]
    fn merge_is_exact_and_order_independent() {
        let vals = values(9, 5000, 36);
        let mut whole = LatencyHistogram::new();
        for &v in &vals {
            whole.record(v);
        }
        // Many small parts (sparse) and a few big ones (dense), merged in two orders.
        for parts in [2, 7, 500, 5000] {
            let pieces: Vec<LatencyHistogram> = vals
                .chunks(vals.len().div_ceil(parts))
                .map(|c| {
                    let mut h = LatencyHistogram::new();
                    c.iter().for_each(|&v| h.record(v));
                    h
                })
                .collect();
            let mut forward = LatencyHistogram::new();
            pieces.iter().for_each(|p| forward.merge(p));
            let mut backward = LatencyHistogram::new();
            pieces.iter().rev().for_each(|p| backward.merge(p));
            assert_eq!(forward, whole, "{parts} parts");
            assert_eq!(backward, whole, "{parts} parts reversed");
            assert_eq!(forward.p99(), whole.p99());
            assert_eq!(
                forward.buckets().collect::<Vec<_>>(),
                whole.buckets().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn empty_and_edge_values() {
        let mut h = LatencyHistogram::new();
        assert_eq!(
            (h.p50(), h.min(), h.max(), h.mean()),
            (None, None, None, None)
        );
        assert_eq!(h, LatencyHistogram::default());
        h.merge(&LatencyHistogram::new());
        assert_eq!(h.count(), 0);
        h.record(0);
        h.record(u64::MAX);
        h.record_n(143_000, 3);
        h.record_n(5, 0);
        assert_eq!(h.count(), 5);
        assert_eq!(h.min(), Some(0));
        assert_eq!(h.max(), Some(u64::MAX));
        assert_eq!(h.quantile(0.2), Some(0));
        let p50 = h.p50().unwrap();
        assert!(p50.abs_diff(143_000) * 128 <= 143_000, "{p50}");
        assert_eq!(h.quantile(f64::NAN), Some(0));
        assert!(h.to_string().starts_with("n=5 p50="));
    }
}
