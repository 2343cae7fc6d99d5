//! The usage log: its lines, and the periods and intervals they describe.

pub mod line;
pub mod load;
pub mod merge;
pub mod period;
#[cfg(feature = "reports")]
pub mod rollup;
