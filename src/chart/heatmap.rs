//! Calls by weekday and hour of day as a heatmap: when in the week the REST API is busy.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::canvas::{self, HEIGHT, WIDTH};
use super::palette::{self, EMPTY_CELL, INK, MUTED};
use super::text::{self, FONT, TICK_SIZE};
use crate::render::thousands as group_thousands;

const TITLE: &str = "Calls by weekday and hour";
const SUFFIX_CHARS: usize = 60;
const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// plotters size of the counts written in cells.
const CELL_TEXT_SIZE: f64 = 12.5;
const SCALE_SLICES: u32 = 40;

/// Calls by weekday (rows, Monday first) and hour of day (columns, server local time) as a
/// heatmap. Each cell carries its count as a tooltip (`<title>`) and, when it fits, as text;
/// a colour scale with numbers sits on the right. `title_suffix` (such as the weeks covered)
/// follows the title after a dash; empty for none.
pub fn weekday_hour_heatmap(counts: &[[u64; 24]; 7], title_suffix: &str) -> String {
    let suffix = text::label(title_suffix, SUFFIX_CHARS);
    let title = if suffix.is_empty() {
        TITLE.to_owned()
    } else {
        format!("{TITLE} — {suffix}")
    };
    let highest = counts.iter().flatten().copied().max().unwrap_or(0);
    if highest == 0 {
        return canvas::message_page((WIDTH, HEIGHT), &title, "no data");
    }
    canvas::render((WIDTH, HEIGHT), &title, &[], |canvas, body| {
        let (base_x, base_y) = body.get_base_pixel();
        let (width, height) = body.dim_in_pixel();
        let grid = Grid {
            left: f64::from(base_x) + 84.0,
            top: f64::from(base_y) + 12.0,
            right: f64::from(base_x) + f64::from(width) - 150.0,
            bottom: f64::from(base_y) + f64::from(height) - 58.0,
        };
        draw_axes(canvas, &grid)?;
        draw_scale(canvas, &grid, highest)?;
        Ok(cells_svg(counts, highest, &grid))
    })
}

/// The cell area, in canvas pixels.
struct Grid {
    left: f64,
    top: f64,
    right: f64,
    bottom: f64,
}

impl Grid {
    fn cell_width(&self) -> f64 {
        (self.right - self.left) / 24.0
    }

    fn cell_height(&self) -> f64 {
        (self.bottom - self.top) / 7.0
    }
}

/// A cell's colour: light grey for none, else the sequential scale from a visible light blue
/// (so one call is not mistaken for none) to blue at the busiest cell.
fn cell_colour(count: u64, highest: u64) -> RGBColor {
    if count == 0 {
        return EMPTY_CELL;
    }
    let share = count as f64 / highest.max(1) as f64;
    palette::sequential(0.06 + 0.94 * share)
}

/// Compact count for a cell: `999`, `1.2k`, `12k`, `1.2M`.
fn compact_count(count: u64) -> String {
    let scaled = |divisor: f64, unit: &str| {
        let value = count as f64 / divisor;
        if value < 9.95 {
            format!("{value:.1}{unit}")
        } else {
            format!("{value:.0}{unit}")
        }
    };
    match count {
        0..=999 => count.to_string(),
        1_000..=999_499 => scaled(1e3, "k"),
        999_500..=999_499_999 => scaled(1e6, "M"),
        _ => scaled(1e9, "G"),
    }
}

fn draw_axes(canvas: &canvas::Canvas, grid: &Grid) -> canvas::DrawResult<()> {
    let tick = canvas::text_style(TICK_SIZE, INK);
    for (row, name) in WEEKDAYS.iter().enumerate() {
        let y = grid.top + (row as f64 + 0.5) * grid.cell_height();
        canvas.draw(&Text::new(
            name[..3].to_owned(),
            (grid.left as i32 - 8, y.round() as i32),
            tick.pos(Pos::new(HPos::Right, VPos::Center)),
        ))?;
    }
    let every = if grid.cell_width() >= 20.0 { 1 } else { 3 };
    for hour in (0..24).step_by(every) {
        let x = grid.left + (f64::from(hour) + 0.5) * grid.cell_width();
        canvas.draw(&Text::new(
            format!("{hour:02}"),
            (x.round() as i32, grid.bottom as i32 + 6),
            tick.pos(Pos::new(HPos::Center, VPos::Top)),
        ))?;
    }
    let axis_desc = canvas::text_style(text::AXIS_DESC_SIZE, INK);
    canvas.draw(&Text::new(
        "hour of day (server local time)",
        (
            ((grid.left + grid.right) / 2.0).round() as i32,
            grid.bottom as i32 + 30,
        ),
        axis_desc.pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    canvas.draw(&Text::new(
        "weekday",
        (
            grid.left as i32 - 72,
            ((grid.top + grid.bottom) / 2.0).round() as i32,
        ),
        axis_desc
            .transform(FontTransform::Rotate270)
            .pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    Ok(())
}

/// The colour scale: a bar from none to the busiest cell with counts beside it, and a swatch
/// for cells with no calls.
fn draw_scale(canvas: &canvas::Canvas, grid: &Grid, highest: u64) -> canvas::DrawResult<()> {
    let left = grid.right as i32 + 28;
    let bar_width = 16;
    let top = grid.top as i32 + 22;
    let bottom = grid.bottom as i32 - 40;
    let span = f64::from((bottom - top).max(1));
    canvas.draw(&Text::new(
        "calls",
        (left, grid.top as i32),
        canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    for slice in 0..SCALE_SLICES {
        let share = (f64::from(slice) + 0.5) / f64::from(SCALE_SLICES);
        let value = (share * highest as f64).ceil() as u64;
        let y_high =
            bottom - (f64::from(slice + 1) * span / f64::from(SCALE_SLICES)).round() as i32;
        let y_low = bottom - (f64::from(slice) * span / f64::from(SCALE_SLICES)).round() as i32;
        canvas.draw(&Rectangle::new(
            [(left, y_high), (left + bar_width, y_low)],
            cell_colour(value.max(1), highest).filled(),
        ))?;
    }
    canvas.draw(&Rectangle::new(
        [(left, top), (left + bar_width, bottom)],
        MUTED.stroke_width(1),
    ))?;
    let mut written: Vec<u64> = Vec::new();
    for quarter in 0..=4u64 {
        let value = (u128::from(highest) * u128::from(quarter) / 4) as u64;
        if written.contains(&value) {
            continue;
        }
        written.push(value);
        let y = bottom - (value as f64 / highest as f64 * span).round() as i32;
        canvas.draw(&PathElement::new(
            [(left + bar_width, y), (left + bar_width + 4, y)],
            MUTED.stroke_width(1),
        ))?;
        canvas.draw(&Text::new(
            group_thousands(value),
            (left + bar_width + 7, y),
            canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
    }
    let none_top = bottom + 18;
    canvas.draw(&Rectangle::new(
        [(left, none_top), (left + bar_width, none_top + 14)],
        EMPTY_CELL.filled(),
    ))?;
    canvas.draw(&Rectangle::new(
        [(left, none_top), (left + bar_width, none_top + 14)],
        MUTED.stroke_width(1),
    ))?;
    canvas.draw(&Text::new(
        "no calls",
        (left + bar_width + 7, none_top + 7),
        canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
    ))?;
    Ok(())
}

/// The 7 × 24 cells as SVG written by hand, because plotters cannot attach a `<title>`
/// tooltip to a shape. Every text here is ours, and escaped all the same.
fn cells_svg(counts: &[[u64; 24]; 7], highest: u64, grid: &Grid) -> String {
    let (width, height) = (grid.cell_width(), grid.cell_height());
    let widest = compact_count(highest);
    let write_counts = text::width_px(&widest, CELL_TEXT_SIZE) + 4.0 <= width;
    let mut svg = String::from("<g class=\"heatmap-cells\">\n");
    for (row, hours) in counts.iter().enumerate() {
        for (hour, count) in hours.iter().enumerate() {
            let x = grid.left + hour as f64 * width;
            let y = grid.top + row as f64 * height;
            let colour = cell_colour(*count, highest);
            let tooltip = format!(
                "{} {hour:02}:00–{hour:02}:59: {} {}",
                WEEKDAYS[row],
                group_thousands(*count),
                if *count == 1 { "call" } else { "calls" }
            );
            let _ = writeln!(
                svg,
                "<rect class=\"cell\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{height:.1}\" fill=\"{}\" stroke=\"#FFFFFF\" stroke-width=\"1\"><title>{}</title></rect>",
                palette::hex(colour),
                text::xml_escape(&tooltip),
            );
            if write_counts && *count > 0 {
                let ink = palette::hex(palette::readable_ink(colour));
                let _ = writeln!(
                    svg,
                    "<text x=\"{:.1}\" y=\"{:.1}\" dy=\"0.5ex\" text-anchor=\"middle\" font-family=\"{FONT}\" font-size=\"{:.1}\" fill=\"{ink}\" pointer-events=\"none\">{}</text>",
                    x + width / 2.0,
                    y + height / 2.0,
                    CELL_TEXT_SIZE / 1.24,
                    text::xml_escape(&compact_count(*count)),
                );
            }
        }
    }
    svg.push_str("</g>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compact_counts_fit_a_cell() {
        assert_eq!(compact_count(0), "0");
        assert_eq!(compact_count(999), "999");
        assert_eq!(compact_count(1_234), "1.2k");
        assert_eq!(compact_count(12_851), "13k");
        assert_eq!(compact_count(999_499), "999k");
        assert_eq!(compact_count(999_500), "1.0M");
        assert!(compact_count(u64::MAX).ends_with('G'));
    }
}
