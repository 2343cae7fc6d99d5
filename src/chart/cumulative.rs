//! Cumulative consumption within each counting period: the usage log's sawtooth, where the
//! counter climbs through a period and starts again from zero at each reset or restart.

use std::collections::BTreeMap;

use chrono::{Duration, NaiveDateTime};
use plotters::element::DashedPathElement;
use plotters::prelude::*;

use super::canvas::{self, LegendEntry, Swatch, HEIGHT, WIDTH};
use super::downsample;
use super::palette::{BLACK, BLUE};
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
}

const TITLE: &str = "Cumulative transactions within each counting period";
const MARKED_POINTS: usize = 60;

/// Cumulative consumption: one line per period, all in the same colour, and a dashed vertical
/// marker where each later period starts (a weekly reset or a server restart). Give each period
/// a first point at its `since` with 0 consumed to put the marker on the reset itself.
pub fn cumulative_consumption(points: &[CumulativePoint]) -> String {
    let mut periods: BTreeMap<usize, Vec<(NaiveDateTime, u64)>> = BTreeMap::new();
    for point in points {
        periods
            .entry(point.period)
            .or_default()
            .push((point.at, point.consumed));
    }
    let mut periods: Vec<Vec<(NaiveDateTime, u64)>> = periods.into_values().collect();
    for period in &mut periods {
        period.sort_by_key(|(at, _)| *at);
    }
    periods.sort_by_key(|period| period.first().map(|(at, _)| *at));
    let Some(axis) = TimeAxis::new(points.iter().map(|point| point.at), Duration::hours(1)) else {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    };
    let mut legend = vec![LegendEntry::new(
        Swatch::Line(BLUE),
        "consumed since the period started",
    )];
    if periods.len() > 1 {
        legend.push(LegendEntry::new(
            Swatch::DashedLine(BLACK),
            "new period (reset or restart)",
        ));
    }
    canvas::render((WIDTH, HEIGHT), TITLE, &legend, |canvas, body| {
        let highest = points.iter().map(|point| point.consumed).max().unwrap_or(0);
        let top = headroom(highest);
        let mut chart = axis.count_chart(body, top, "transactions consumed in the period")?;

        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        for period in periods.iter().skip(1) {
            if let Some((start, _)) = period.first() {
                let x = chart.backend_coord(&(*start, 0)).0;
                canvas.draw(&DashedPathElement::new(
                    [(x, plot_y.start), (x, plot_y.end)],
                    6,
                    4,
                    BLACK.stroke_width(1),
                ))?;
            }
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
