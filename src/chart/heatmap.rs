//! Calls by weekday and hour of day as a heatmap: when in the week the REST API is busy. Each
//! cell is the mean over the occurrences of its weekday in the span, so that a weekday the
//! span holds one more time than the others does not look busier.

use std::fmt::Write as _;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::canvas::{self, HEIGHT, WIDTH};
use super::palette::{self, EMPTY_CELL, INK, MUTED};
use super::text::{self, FONT, TICK_SIZE};
use crate::render::thousands as group_thousands;

const TITLE: &str = "Calls by weekday and hour, mean per weekday";
const SUFFIX_CHARS: usize = 60;
const WEEKDAYS: [&str; 7] = crate::calendar::WEEKDAY_NAMES;
/// plotters size of the counts written in cells.
const CELL_TEXT_SIZE: f64 = 12.5;
const SCALE_SLICES: u32 = 40;

/// Mean calls by weekday (rows, Monday first) and hour of day (columns, server local time)
/// as a heatmap: `counts` summed over the span, divided by `occurrences`, how many times each
/// weekday occurs in it. Each cell carries its mean, total and occurrences as a tooltip
/// (`<title>`) and, when it fits, its mean as text; a colour scale with numbers sits on the
/// right. `title_suffix` (such as the span) follows the title after a dash; empty for none.
pub fn weekday_hour_heatmap(
    counts: &[[u64; 24]; 7],
    occurrences: &[u32; 7],
    title_suffix: &str,
) -> String {
    let suffix = text::label(title_suffix, SUFFIX_CHARS);
    let title = if suffix.is_empty() {
        TITLE.to_owned()
    } else {
        format!("{TITLE} — {suffix}")
    };
    let means: Vec<[f64; 24]> = counts
        .iter()
        .zip(occurrences)
        .map(|(hours, n)| hours.map(|c| c as f64 / f64::from((*n).max(1))))
        .collect();
    let highest = means.iter().flatten().copied().fold(0.0, f64::max);
    if highest <= 0.0 {
        return canvas::message_page((WIDTH, HEIGHT), &title, "no data");
    }
    let occurrence_words: Vec<String> = WEEKDAYS
        .iter()
        .zip(occurrences)
        .map(|(day, n)| format!("{n} {day}{}", if *n == 1 { "" } else { "s" }))
        .collect();
    let desc = format!(
        "Each cell is the mean number of calls in that hour over the weekday's occurrences in the span: {}.",
        occurrence_words.join(", ")
    );
    let svg = canvas::render((WIDTH, HEIGHT), &title, &[], |canvas, body| {
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
        Ok(cells_svg(counts, occurrences, highest, &grid))
    });
    // The document's description says how the means are taken (render gave it the title).
    svg.replacen(
        &format!("<desc>{}</desc>", text::xml_escape(&title)),
        &format!("<desc>{}</desc>", text::xml_escape(&desc)),
        1,
    )
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
fn cell_colour(mean: f64, highest: f64) -> RGBColor {
    if mean <= 0.0 {
        return EMPTY_CELL;
    }
    let share = mean / highest.max(f64::MIN_POSITIVE);
    palette::sequential(0.06 + 0.94 * share.min(1.0))
}

/// Compact mean for a cell: `0.3`, `9.5`, `999`, `1.2k`, `12k`, `1.2M`.
fn compact_count(mean: f64) -> String {
    let scaled = |divisor: f64, unit: &str| {
        let value = mean / divisor;
        if value < 9.95 {
            format!("{value:.1}{unit}")
        } else {
            format!("{value:.0}{unit}")
        }
    };
    match mean {
        m if m < 9.95 => scaled(1.0, ""),
        m if m < 999.5 => format!("{m:.0}"),
        m if m < 999_500.0 => scaled(1e3, "k"),
        m if m < 999_500_000.0 => scaled(1e6, "M"),
        _ => scaled(1e9, "G"),
    }
}

/// A mean as the scale writes it: one decimal below ten, else whole with separators.
fn scale_value(mean: f64) -> String {
    if mean < 9.95 && mean.fract() != 0.0 {
        format!("{mean:.1}")
    } else {
        group_thousands(mean.round() as u64)
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
fn draw_scale(canvas: &canvas::Canvas, grid: &Grid, highest: f64) -> canvas::DrawResult<()> {
    let left = grid.right as i32 + 28;
    let bar_width = 16;
    let top = grid.top as i32 + 22;
    let bottom = grid.bottom as i32 - 40;
    let span = f64::from((bottom - top).max(1));
    canvas.draw(&Text::new(
        "mean calls",
        (left, grid.top as i32 - 12),
        canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    canvas.draw(&Text::new(
        "per weekday",
        (left, grid.top as i32 + 4),
        canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Top)),
    ))?;
    for slice in 0..SCALE_SLICES {
        let share = (f64::from(slice) + 0.5) / f64::from(SCALE_SLICES);
        let value = share * highest;
        let y_high =
            bottom - (f64::from(slice + 1) * span / f64::from(SCALE_SLICES)).round() as i32;
        let y_low = bottom - (f64::from(slice) * span / f64::from(SCALE_SLICES)).round() as i32;
        canvas.draw(&Rectangle::new(
            [(left, y_high), (left + bar_width, y_low)],
            cell_colour(value, highest).filled(),
        ))?;
    }
    canvas.draw(&Rectangle::new(
        [(left, top), (left + bar_width, bottom)],
        MUTED.stroke_width(1),
    ))?;
    let mut written: Vec<String> = Vec::new();
    for quarter in 0..=4u32 {
        let value = highest * f64::from(quarter) / 4.0;
        let label = scale_value(value);
        if written.contains(&label) {
            continue;
        }
        written.push(label.clone());
        let y = bottom - (value / highest * span).round() as i32;
        canvas.draw(&PathElement::new(
            [(left + bar_width, y), (left + bar_width + 4, y)],
            MUTED.stroke_width(1),
        ))?;
        canvas.draw(&Text::new(
            label,
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
fn cells_svg(counts: &[[u64; 24]; 7], occurrences: &[u32; 7], highest: f64, grid: &Grid) -> String {
    let (width, height) = (grid.cell_width(), grid.cell_height());
    let widest = compact_count(highest);
    let write_counts = text::width_px(&widest, CELL_TEXT_SIZE) + 4.0 <= width;
    let mut svg = String::from("<g class=\"heatmap-cells\">\n");
    for (row, hours) in counts.iter().enumerate() {
        let days = occurrences[row].max(1);
        for (hour, count) in hours.iter().enumerate() {
            let x = grid.left + hour as f64 * width;
            let y = grid.top + row as f64 * height;
            let mean = *count as f64 / f64::from(days);
            let colour = cell_colour(mean, highest);
            let tooltip = format!(
                "{} {hour:02}:00–{hour:02}:59: {} calls on average ({} over {days} {}{})",
                WEEKDAYS[row],
                scale_value(mean),
                group_thousands(*count),
                WEEKDAYS[row],
                if days == 1 { "" } else { "s" }
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
                    text::xml_escape(&compact_count(mean)),
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
        assert_eq!(compact_count(0.0), "0.0");
        assert_eq!(compact_count(0.25), "0.2");
        assert_eq!(compact_count(999.0), "999");
        assert_eq!(compact_count(1_234.0), "1.2k");
        assert_eq!(compact_count(12_851.0), "13k");
        assert_eq!(compact_count(999_499.0), "999k");
        assert_eq!(compact_count(999_500.0), "1.0M");
        assert!(compact_count(u64::MAX as f64).ends_with('G'));
    }
}
