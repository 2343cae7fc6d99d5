//! Reports built from the usage timeline: weekly and monthly transactions, quota use.

pub mod alerts;
pub mod bundle;
pub mod calls;
pub mod charts;
pub mod check;
pub mod figures;
pub mod fleet;
pub mod limits;
pub mod logins;
pub mod monthly;
pub mod quota;
pub mod rate_limit;
pub mod reconcile;
pub mod rejections;
pub mod weekly;

use crate::calendar::TimeRange;
use crate::clock::ServerClock;

/// What shapes a usage report besides the logs.
#[derive(Debug, Clone)]
pub struct UsageOptions {
    pub clock: ServerClock,
    pub range: TimeRange,
    pub quota: Option<quota::Quota>,
}

/// Rounds a share for JSON, where 6 decimals are plenty and stable across platforms.
pub fn round_rate(rate: Option<f64>) -> Option<f64> {
    rate.map(|r| (r * 1e6).round() / 1e6)
}
