//! Cumulative consumption within each counting period: the usage log's sawtooth, where the
//! counter climbs through a period and starts again from zero at each reset or restart.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::canvas::{self, LegendEntry, Swatch, HEIGHT, WIDTH};
use super::downsample;
use super::palette::{BLACK, BLUE, VERMILLION};
use super::time_axis::TimeAxis;
use super::transactions::headroom;

/// The counter of one period at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CumulativePoint {
    /// When, in server local time.
    pub at: NaiveDateTime,
    /// Transactions consumed since the period started.
    pub consumed: u64,
    /// Which period (any number that is the same for all points of one period).
    pub period: usize,
    /// The period began with a server restart, which lost the counters of the one before,
    /// rather than with a weekly reset, which closed it with its exact total.
    pub after_restart: bool,
}

const TITLE: &str = "Cumulative transactions within each counting period";
const MARKED_POINTS: usize = 60;

/// Cumulative consumption: one line per period, all in the same colour, and a vertical marker
/// where each later period starts: black and dashed for a weekly reset, vermillion and dotted
/// for a server restart (the period before it lost its counters). Give each period a first
/// point at its `since` with 0 consumed to put the marker on the reset itself.
pub fn cumulative_consumption(points: &[CumulativePoint]) -> String {
    let mut periods: BTreeMap<usize, (bool, Vec<(NaiveDateTime, u64)>)> = BTreeMap::new();
    for point in points {
        let period = periods.entry(point.period).or_default();
        period.0 |= point.after_restart;
        period.1.push((point.at, point.consumed));
    }
    let mut restarted: Vec<(bool, Vec<(NaiveDateTime, u64)>)> = periods.into_values().collect();
    for (_, period) in &mut restarted {
        period.sort_by_key(|(at, _)| *at);
    }
    restarted.sort_by_key(|(_, period)| period.first().map(|(at, _)| *at));
    let starts: Vec<(bool, NaiveDateTime)> = restarted
        .iter()
        .skip(1)
        .filter_map(|(restart, period)| period.first().map(|(at, _)| (*restart, *at)))
        .collect();
    let periods: Vec<Vec<(NaiveDateTime, u64)>> =
        restarted.into_iter().map(|(_, period)| period).collect();
    let Some(axis) = TimeAxis::new(points.iter().map(|point| point.at), Duration::hours(1)) else {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    };
    let mut legend = vec![LegendEntry::new(
        Swatch::Line(BLUE),
        "consumed since the period started",
    )];
    if starts.iter().any(|(restart, _)| !restart) {
        legend.push(LegendEntry::new(
            Swatch::DashedLine(BLACK),
            "weekly reset (exact total)",
        ));
    }
    if starts.iter().any(|(restart, _)| *restart) {
        legend.push(LegendEntry::new(
            Swatch::DashedLine(VERMILLION),
            "restart (counters lost)",
        ));
    }
    canvas::render((WIDTH, HEIGHT), TITLE, &legend, |canvas, body| {
        let highest = points.iter().map(|point| point.consumed).max().unwrap_or(0);
        let top = headroom(highest);
        let mut chart = axis.count_chart(body, top, "transactions consumed in the period")?;

        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        for (restart, start) in &starts {
            let x = chart.backend_coord(&(*start, 0)).0;
            // A restart differs in colour, weight and dash, for readers who cannot tell colours.
            let (colour, width, dash, gap) = if *restart {
                (VERMILLION, 2, 2, 3)
            } else {
                (BLACK, 1, 6, 4)
            };
            canvas.draw(&DashedPathElement::new(
                [(x, plot_y.start), (x, plot_y.end)],
                dash,
                gap,
                colour.stroke_width(width),
            ))?;
        }
        let columns = (plot_x.end - plot_x.start).max(1) as usize;
        for period in &periods {
            let line = downsample::extremes_per_column(period, columns);
            chart.draw_series(LineSeries::new(line, BLUE.stroke_width(2)))?;
        }
        if points.len() <= MARKED_POINTS {
            chart.draw_series(
                periods
                    .iter()
                    .flatten()
                    .map(|point| Circle::new(*point, 3, BLUE.filled())),
            )?;
        }
        Ok(String::new())
    })
}
