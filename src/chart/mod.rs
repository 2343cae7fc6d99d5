//! SVG charts of the reports: plain data in, one self-contained SVG document out, no I/O.
//!
//! Every chart is meant to be read by someone who has never seen esmlog: a title, axis
//! descriptions with units, thousands separators on counts, a legend wherever more than one
//! kind of mark is shown, and one colour-blind-safe palette ([`palette`]). Empty input gives a
//! page with the title and "no data"; long series are thinned per pixel column before drawing.
//! Text from logs (user names, labels) is cleaned of characters XML cannot hold, cut with `…`
//! when long, and escaped by plotters' SVG backend.

mod canvas;
mod cumulative;
mod downsample;
mod heatmap;
mod minute_load;
pub mod palette;
mod rejections;
mod text;
mod time_axis;
mod transactions;
mod users;

pub use cumulative::{cumulative_consumption, CumulativePoint};
pub use heatmap::weekday_hour_heatmap;
pub use minute_load::{minute_load, MinuteLoad};
pub use rejections::{rejection_trend, RatePoint, TimeSpan};
pub use transactions::{monthly_transactions, weekly_transactions, MonthBar, WeekBar};
pub use users::{top_users, UserBar};

#[cfg(test)]
mod tests;
