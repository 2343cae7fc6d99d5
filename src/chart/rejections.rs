//! The rejection rate over time as a line, with rejection spikes shaded as bands.

use std::fmt::Write as _;

use chrono::{Duration, NaiveDateTime};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{self, LegendEntry, Swatch, BAND_OPACITY, HEIGHT, WIDTH};
use super::downsample;
use super::palette::{BLUE, INK, VERMILLION};
use super::text::{self, SMALL_SIZE};
use super::time_axis::TimeAxis;

/// Rejected and all calls in the stretch of time that ends (or starts) at `at`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RatePoint {
    /// When, in server local time.
    pub at: NaiveDateTime,
    /// Rejected calls.
    pub rejected: u64,
    /// All calls, rejected included.
    pub total: u64,
}

/// A stretch of time with a label, such as a rejection spike.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeSpan {
    /// Start, in server local time.
    pub start: NaiveDateTime,
    /// End, in server local time.
    pub end: NaiveDateTime,
    /// What it is, such as `spike: 12.4% rejected`.
    pub label: String,
}

const TITLE: &str = "Rejected calls as a share of all calls";
/// Above this many points the line is thinned to its extremes per pixel column; below a few
/// dozen each point is also marked, so that isolated values stay visible.
const MARKED_POINTS: usize = 60;
const SPIKE_LABEL_CHARS: usize = 40;

/// Rejection trend: the rejection rate (rejected / total, in %) over time as a line, with each
/// spike shaded as a band (legend "spike") and its label written atop when it fits. Points
/// with no calls have no rate and are left out.
pub fn rejection_trend(points: &[RatePoint], spikes: &[TimeSpan]) -> String {
    let mut rates: Vec<(NaiveDateTime, f64)> = points
        .iter()
        .filter(|point| point.total > 0)
        .map(|point| (point.at, point.rejected as f64 * 100.0 / point.total as f64))
        .collect();
    if rates.is_empty() {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    }
    rates.sort_by_key(|(at, _)| *at);
    let times = rates
        .iter()
        .map(|(at, _)| *at)
        .chain(spikes.iter().flat_map(|spike| [spike.start, spike.end]));
    let Some(axis) = TimeAxis::new(times, Duration::hours(1)) else {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    };
    let mut legend = vec![LegendEntry::new(Swatch::Line(BLUE), "rejected % of calls")];
    if !spikes.is_empty() {
        legend.push(LegendEntry::new(Swatch::Band(VERMILLION), "spike"));
    }
    canvas::render((WIDTH, HEIGHT), TITLE, &legend, |canvas, body| {
        let mut tooltips = String::new();
        let highest = rates.iter().map(|(_, rate)| *rate).fold(0.0, f64::max);
        let top = (highest * 1.12).max(1.0);
        let mut chart = ChartBuilder::on(body)
            .margin_top(14)
            .margin_right(30)
            .margin_left(8)
            .margin_bottom(6)
            .x_label_area_size(52)
            .y_label_area_size(76)
            .build_cartesian_2d(axis.coordinate(), 0.0..top)?;
        let tick_label = |at: &NaiveDateTime| axis.label(at);
        let percent = |value: &f64| percent_label(*value, top);
        let mut mesh = chart.configure_mesh();
        canvas::style_mesh(&mut mesh);
        mesh.y_labels(8)
            .x_label_formatter(&tick_label)
            .y_label_formatter(&percent)
            .x_desc(axis.description())
            .y_desc("rejected %")
            .draw()?;

        let (plot_x, plot_y) = chart.plotting_area().get_pixel_range();
        for spike in spikes {
            let (from, to) = (spike.start.min(spike.end), spike.start.max(spike.end));
            let left = chart.backend_coord(&(from, 0.0)).0.max(plot_x.start);
            let right = chart.backend_coord(&(to, 0.0)).0.min(plot_x.end);
            // A spike shorter than a pixel column would vanish; give it a visible width.
            let (left, right) = if right - left < 4 {
                let middle = (left + right) / 2;
                (middle - 2, middle + 2)
            } else {
                (left, right)
            };
            canvas.draw(&Rectangle::new(
                [(left, plot_y.start), (right, plot_y.end)],
                VERMILLION.mix(BAND_OPACITY).filled(),
            ))?;
            let label = text::label(&spike.label, SPIKE_LABEL_CHARS);
            // Hovering the band shows its label in full, even where it does not fit as text.
            let _ = writeln!(
                tooltips,
                "<rect class=\"spike\" x=\"{left}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#000000\" fill-opacity=\"0\"><title>{}</title></rect>",
                plot_y.start,
                right - left,
                plot_y.end - plot_y.start,
                text::xml_escape(&label),
            );
            let room = text::chars_fitting(f64::from(right - left - 6), SMALL_SIZE);
            if room >= 4 {
                canvas.draw(&Text::new(
                    text::label(&label, room),
                    ((left + right) / 2, plot_y.start + 4),
                    canvas::text_style(SMALL_SIZE, INK).pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
        }

        let columns = (plot_x.end - plot_x.start).max(1) as usize;
        let line = downsample::extremes_per_column(&rates, columns);
        chart.draw_series(LineSeries::new(line, BLUE.stroke_width(2)))?;
        if rates.len() <= MARKED_POINTS {
            chart.draw_series(
                rates
                    .iter()
                    .map(|point| Circle::new(*point, 3, BLUE.filled())),
            )?;
        }
        Ok(tooltips)
    })
}

/// A percentage tick label, with a decimal only when the axis is short enough to need one.
fn percent_label(value: f64, top: f64) -> String {
    if top < 5.0 {
        format!("{value:.1}%")
    } else {
        format!("{value:.0}%")
    }
}
