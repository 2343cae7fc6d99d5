//! The busiest user's calls per minute against the REST API's rate limit, which ESM counts per
//! user: which minutes came close to it or hit it.

use chrono::{Duration, NaiveDateTime};
use plotters::prelude::*;

use super::canvas::{self, LabelSide, LegendEntry, Swatch, HEIGHT, WIDTH};
use super::downsample;
use super::palette::{BLACK, BLUE, VERMILLION};
use super::time_axis::TimeAxis;
use super::transactions::headroom;
use crate::render::thousands as group_thousands;

/// One minute's load as the per-user limit sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MinuteLoad {
    /// The minute, in server local time.
    pub minute: NaiveDateTime,
    /// Calls of the user who made the most in it.
    pub calls: u64,
    /// Users who made at least the limit's calls in it.
    pub users_at_or_over: u64,
}

const TITLE: &str = "Busiest user's calls per minute against the per-user rate limit";
/// Few enough minutes to mark each with a bigger dot.
const SPARSE_MINUTES: usize = 120;

/// Per-minute load: a dot per minute for its busiest user, vermillion when at or over
/// `limit`, and a dashed line labelled `limit N/min per user`. Long series keep the busiest
/// minute of each pixel column, so peaks stay visible and the file stays small; the legend
/// counts user-minutes at or over the limit (a minute with two such users counts twice, as in
/// the rate-limit table), before thinning.
pub fn minute_load(minutes: &[MinuteLoad], limit: u64) -> String {
    let Some(axis) = TimeAxis::new(minutes.iter().map(|m| m.minute), Duration::minutes(30)) else {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    };
    let over: u64 = minutes.iter().map(|m| m.users_at_or_over).sum();
    let limit_label = format!("limit {}/min per user", group_thousands(limit));
    let mut legend = vec![LegendEntry::new(
        Swatch::Dot(BLUE),
        "busiest user's calls in a minute",
    )];
    if over > 0 {
        let word = if over == 1 {
            "user-minute"
        } else {
            "user-minutes"
        };
        legend.push(LegendEntry::new(
            Swatch::Dot(VERMILLION),
            format!(
                "a user at or over the limit ({} {word})",
                group_thousands(over)
            ),
        ));
    }
    legend.push(LegendEntry::new(
        Swatch::DashedLine(BLACK),
        limit_label.clone(),
    ));
    canvas::render((WIDTH, HEIGHT), TITLE, &legend, |canvas, body| {
        let busiest = minutes.iter().map(|m| m.calls).max().unwrap_or(0);
        let top = headroom(busiest.max(limit));
        let mut chart = axis.count_chart(body, top, "calls per minute of the busiest user")?;

        let (plot_x, _) = chart.plotting_area().get_pixel_range();
        let columns = (plot_x.end - plot_x.start).max(1) as usize;
        let points: Vec<(NaiveDateTime, u64)> =
            minutes.iter().map(|m| (m.minute, m.calls)).collect();
        let kept = downsample::max_per_column(&points, columns);
        let radius = if kept.len() <= SPARSE_MINUTES { 3 } else { 2 };
        chart.draw_series(kept.iter().map(|(minute, calls)| {
            let colour = if *calls >= limit { VERMILLION } else { BLUE };
            Circle::new((*minute, *calls), radius, colour.filled())
        }))?;
        canvas::reference_line(canvas, &chart, limit, &limit_label, LabelSide::Below)?;
        Ok(String::new())
    })
}
