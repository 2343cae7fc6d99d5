//! The frame every chart shares: canvas size, title, legend row, the "no data" page, the shapes
//! plotters lacks (hatching, whiskers), and the plumbing from plotters to one SVG `String`.

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::palette::{self, BLACK, GRID, INK, MUTED};
use super::text::{self, FONT, SMALL_SIZE, TICK_SIZE, TITLE_SIZE};

/// Default canvas width in pixels.
pub(crate) const WIDTH: u32 = 900;
/// Default canvas height in pixels.
pub(crate) const HEIGHT: u32 = 420;

/// The whole canvas, in pixels from its top-left corner.
pub(crate) type Canvas<'a> = DrawingArea<SVGBackend<'a>, Shift>;
/// What drawing can fail with; with an in-memory SVG only a bug makes it fail.
pub(crate) type DrawResult<T> = Result<T, Box<dyn std::error::Error>>;

const TITLE_HEIGHT: u32 = 38;
const LEGEND_HEIGHT: u32 = 24;

/// The little picture before a legend label, drawn like the mark it explains.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Swatch {
    Bar(RGBColor),
    HatchedBar(RGBColor),
    Line(RGBColor),
    DashedLine(RGBColor),
    Whisker(RGBColor),
    Band(RGBColor),
    Dot(RGBColor),
}

/// One legend entry: a swatch and what it means.
#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    pub swatch: Swatch,
    pub label: String,
}

impl LegendEntry {
    pub(crate) fn new(swatch: Swatch, label: impl Into<String>) -> Self {
        Self {
            swatch,
            label: label.into(),
        }
    }
}

/// Opacity of translucent bands (spikes), shared by the band and its legend swatch.
pub(crate) const BAND_OPACITY: f64 = 0.2;
/// How far towards white the fill of a lower-bound bar is, so that it reads as "not all there".
pub(crate) const LOWER_BOUND_TINT: f64 = 0.72;

/// The charts' font at plotters size `size` in `colour`.
pub(crate) fn text_style(size: f64, colour: RGBColor) -> TextStyle<'static> {
    (FONT, size).into_font().color(&colour)
}

/// Draws a chart: the title and, when there are two or more entries (one series needs no key),
/// a legend row, then `draw` on the canvas and the area below them. `draw` returns SVG written
/// by hand (already escaped) to lay on top, for what plotters cannot express, such as tooltips.
/// A drawing error yields a page that says so.
pub(crate) fn render(
    size: (u32, u32),
    title: &str,
    legend: &[LegendEntry],
    draw: impl FnOnce(&Canvas, &Canvas) -> DrawResult<String>,
) -> String {
    let title = fitted_title(title, size.0);
    let mut svg = String::new();
    let outcome = {
        let canvas = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let drawn = draw_page(&canvas, &title, legend, draw);
        drawn.and_then(|overlay| {
            canvas.present()?;
            Ok(overlay)
        })
    };
    match outcome {
        Ok(overlay) => {
            let desc = legend
                .iter()
                .map(|entry| entry.label.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            with_title(with_overlay(svg, &overlay), &title, &desc)
        }
        Err(error) => message_page(size, &title, &format!("chart could not be drawn: {error}")),
    }
}

/// Gives the document a `<title>` (what browsers show as its tooltip and screen readers
/// announce) and a `<desc>` (the legend in words, or the title again when there is no
/// legend): the first elements after the opening tag, as SVG wants them.
pub(crate) fn with_title(mut svg: String, title: &str, desc: &str) -> String {
    let Some(open) = svg.find("<svg") else {
        return svg;
    };
    let Some(end) = svg[open..].find('>').map(|i| open + i) else {
        return svg;
    };
    let desc = if desc.is_empty() { title } else { desc };
    let head = format!(
        "\n<title>{}</title>\n<desc>{}</desc>",
        text::xml_escape(title),
        text::xml_escape(desc)
    );
    svg.insert_str(end + 1, &head);
    svg
}

fn draw_page(
    canvas: &Canvas,
    title: &str,
    legend: &[LegendEntry],
    draw: impl FnOnce(&Canvas, &Canvas) -> DrawResult<String>,
) -> DrawResult<String> {
    canvas.fill(&WHITE)?;
    let (width, _) = canvas.dim_in_pixel();
    let (header, body) = canvas.split_vertically(TITLE_HEIGHT);
    header.draw(&Text::new(
        title.to_owned(),
        (width as i32 / 2, 10),
        text_style(TITLE_SIZE, INK).pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    if legend.len() < 2 {
        return draw(canvas, &body);
    }
    let (legend_row, body) = body.split_vertically(LEGEND_HEIGHT);
    draw_legend(&legend_row, legend)?;
    draw(canvas, &body)
}

/// The title, cut to the canvas width.
fn fitted_title(title: &str, width: u32) -> String {
    text::label(
        title,
        text::chars_fitting(f64::from(width) - 20.0, TITLE_SIZE),
    )
}

fn draw_legend(row: &Canvas, entries: &[LegendEntry]) -> DrawResult<()> {
    const SWATCH: i32 = 22;
    const GAP: i32 = 6;
    const SPACING: i32 = 26;
    let (width, height) = row.dim_in_pixel();
    let widths: Vec<i32> = entries
        .iter()
        .map(|entry| SWATCH + GAP + text::width_px(&entry.label, SMALL_SIZE).ceil() as i32)
        .collect();
    let total = widths.iter().sum::<i32>() + SPACING * (entries.len() as i32 - 1);
    let mut x = ((width as i32 - total) / 2).max(8);
    let y = height as i32 / 2;
    for (entry, entry_width) in entries.iter().zip(widths) {
        draw_swatch(row, entry.swatch, (x, y), SWATCH)?;
        row.draw(&Text::new(
            entry.label.clone(),
            (x + SWATCH + GAP, y),
            text_style(SMALL_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ))?;
        x += entry_width + SPACING;
    }
    Ok(())
}

fn draw_swatch(area: &Canvas, swatch: Swatch, (x, y): (i32, i32), width: i32) -> DrawResult<()> {
    let box_corners = [(x + 3, y - 6), (x + width - 3, y + 6)];
    match swatch {
        Swatch::Bar(colour) => {
            area.draw(&Rectangle::new(box_corners, colour.filled()))?;
        }
        Swatch::HatchedBar(colour) => hatched_bar(area, box_corners, colour)?,
        Swatch::Line(colour) => {
            area.draw(&PathElement::new(
                [(x, y), (x + width, y)],
                colour.stroke_width(2),
            ))?;
        }
        Swatch::DashedLine(colour) => {
            area.draw(&PathElement::new(
                [(x, y), (x + 8, y)],
                colour.stroke_width(2),
            ))?;
            area.draw(&PathElement::new(
                [(x + 13, y), (x + width, y)],
                colour.stroke_width(2),
            ))?;
        }
        Swatch::Whisker(colour) => whisker(area, x + width / 2, y + 7, y - 7, 5, colour)?,
        Swatch::Band(colour) => {
            area.draw(&Rectangle::new(
                box_corners,
                colour.mix(BAND_OPACITY).filled(),
            ))?;
        }
        Swatch::Dot(colour) => {
            area.draw(&Circle::new((x + width / 2, y), 4, colour.filled()))?;
        }
    }
    Ok(())
}

/// A bar that is only part of the truth: a light fill, an outline, and diagonal hatching, so
/// that it differs from a full bar in shape as well as colour. Corners in pixels of `area`.
pub(crate) fn hatched_bar(
    area: &Canvas,
    [(x0, y0), (x1, y1)]: [(i32, i32); 2],
    colour: RGBColor,
) -> DrawResult<()> {
    const SPACING: i32 = 6;
    let (left, right) = (x0.min(x1), x0.max(x1));
    let (top, bottom) = (y0.min(y1), y0.max(y1));
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        palette::tint(colour, LOWER_BOUND_TINT).filled(),
    ))?;
    area.draw(&PathElement::new(
        hatch_zigzag([(left, top), (right, bottom)], SPACING),
        colour.stroke_width(1),
    ))?;
    area.draw(&Rectangle::new(
        [(left, top), (right, bottom)],
        colour.stroke_width(1),
    ))?;
    Ok(())
}

/// The hatching of a rectangle as one polyline, so that a bar costs one SVG element rather than
/// one per stroke: diagonals `x + y = c` (rising to the right on screen) `spacing` apart,
/// clipped to the rectangle and walked alternately up and down, joined along the border (which
/// the outline covers), turning at the corners the border bends round.
fn hatch_zigzag([(left, top), (right, bottom)]: [(i32, i32); 2], spacing: i32) -> Vec<(i32, i32)> {
    let mut points = Vec::new();
    let mut c = left + top + spacing;
    let mut upwards = true;
    while c < right + bottom {
        // Where the diagonal enters (on the left or bottom edge) and leaves (top or right).
        let low = (left.max(c - bottom), c - left.max(c - bottom));
        let high = (right.min(c - top), c - right.min(c - top));
        if low.0 < high.0 {
            let (first, second) = if upwards { (low, high) } else { (high, low) };
            if let Some(&previous) = points.last() {
                // Walking the border from the previous diagonal, round a corner if it lies
                // between: the top-right one on the upper side, the bottom-left on the lower.
                let (previous_x, previous_y): (i32, i32) = previous;
                if previous_y == top && first.0 == right && previous_x != right {
                    points.push((right, top));
                }
                if previous_x == left && first.1 == bottom && previous_y != bottom {
                    points.push((left, bottom));
                }
            }
            points.push(first);
            points.push(second);
            upwards = !upwards;
        }
        c += spacing;
    }
    points
}

/// A vertical range mark at `x` from `y_low` to `y_high` with caps `half_cap` wide, in pixels.
pub(crate) fn whisker(
    area: &Canvas,
    x: i32,
    y_low: i32,
    y_high: i32,
    half_cap: i32,
    colour: RGBColor,
) -> DrawResult<()> {
    let style = colour.stroke_width(2);
    area.draw(&PathElement::new([(x, y_low), (x, y_high)], style))?;
    for y in [y_low, y_high] {
        area.draw(&PathElement::new(
            [(x - half_cap, y), (x + half_cap, y)],
            style,
        ))?;
    }
    Ok(())
}

/// Where a reference line's label goes: above its right end where the data lies below the line
/// (bars under a quota), below it where the data that matters lies above (minutes over a limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LabelSide {
    Above,
    Below,
}

/// A dashed horizontal reference line across a chart at `value`, with `label` (none when
/// empty) at its right end on a white ground so marks beneath do not hide it.
pub(crate) fn reference_line<X, Y>(
    canvas: &Canvas,
    chart: &ChartContext<SVGBackend, Cartesian2d<X, Y>>,
    value: Y::ValueType,
    label: &str,
    side: LabelSide,
) -> DrawResult<()>
where
    X: Ranged,
    Y: Ranged,
    X::ValueType: Clone,
    Y::ValueType: Clone,
{
    let x_range = chart.x_range();
    let (left, y) = chart.backend_coord(&(x_range.start.clone(), value.clone()));
    let (right, _) = chart.backend_coord(&(x_range.end, value));
    canvas.draw(&DashedPathElement::new(
        [(left, y), (right, y)],
        8,
        5,
        BLACK.stroke_width(2),
    ))?;
    if label.is_empty() {
        return Ok(());
    }
    let (at, v_pos) = match side {
        LabelSide::Above => ((right - 4, y - 4), VPos::Bottom),
        LabelSide::Below => ((right - 4, y + 5), VPos::Top),
    };
    label_on_white(canvas, label, TICK_SIZE, at, Pos::new(HPos::Right, v_pos))
}

/// Text of plotters size `size` at `at` (pixels) with a white ground behind it, so that lines
/// crossing it do not make it hard to read.
pub(crate) fn label_on_white(
    canvas: &Canvas,
    label: &str,
    size: f64,
    at: (i32, i32),
    pos: Pos,
) -> DrawResult<()> {
    // The estimate is generous; the ground need not be as wide.
    let width = (text::width_px(label, size) * 0.9).ceil() as i32;
    let height = (size / 1.24).ceil() as i32 + 2;
    let left = match pos.h_pos {
        HPos::Left => at.0,
        HPos::Center => at.0 - width / 2,
        HPos::Right => at.0 - width,
    };
    let top = match pos.v_pos {
        VPos::Top => at.1,
        VPos::Center => at.1 - height / 2,
        VPos::Bottom => at.1 - height,
    };
    canvas.draw(&Rectangle::new(
        [(left - 3, top), (left + width + 3, top + height)],
        WHITE.mix(0.85).filled(),
    ))?;
    canvas.draw(&Text::new(
        label.to_owned(),
        at,
        text_style(size, INK).pos(pos),
    ))?;
    Ok(())
}

/// The look every mesh shares: grey grid, readable tick labels and axis descriptions.
pub(crate) fn style_mesh<X: Ranged, Y: Ranged>(
    mesh: &mut plotters::chart::MeshStyle<'_, '_, X, Y, SVGBackend<'_>>,
) {
    // Minor grid lines between labelled ones only add noise at these sizes.
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(GRID)
        .axis_style(MUTED)
        .label_style(text_style(TICK_SIZE, INK))
        .axis_desc_style(text_style(text::AXIS_DESC_SIZE, INK));
}

/// A page with only the title and a message, such as "no data". Written by hand so that it
/// cannot fail.
pub(crate) fn message_page(size: (u32, u32), title: &str, message: &str) -> String {
    let (width, height) = size;
    let title = fitted_title(title, width);
    let message = text::label(
        message,
        text::chars_fitting(f64::from(width) - 20.0, text::AXIS_DESC_SIZE),
    );
    let page = format!(
        concat!(
            "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" xmlns=\"http://www.w3.org/2000/svg\">\n",
            "<rect x=\"0\" y=\"0\" width=\"{w}\" height=\"{h}\" fill=\"#FFFFFF\"/>\n",
            "<text x=\"{cx}\" y=\"10\" dy=\"0.76em\" text-anchor=\"middle\" font-family=\"{font}\" font-size=\"{title_px}\" fill=\"{ink}\">{title}</text>\n",
            "<text x=\"{cx}\" y=\"{cy}\" dy=\"0.5ex\" text-anchor=\"middle\" font-family=\"{font}\" font-size=\"{message_px}\" fill=\"{muted}\">{message}</text>\n",
            "</svg>\n"
        ),
        w = width,
        h = height,
        cx = width / 2,
        cy = height / 2,
        font = FONT,
        title_px = TITLE_SIZE / 1.24,
        message_px = text::AXIS_DESC_SIZE / 1.24,
        ink = palette::hex(INK),
        muted = palette::hex(MUTED),
        title = text::xml_escape(&title),
        message = text::xml_escape(&message),
    );
    with_title(page, &title, &message)
}

/// Inserts hand-written SVG just before the closing tag, so it lies on top of the rest.
fn with_overlay(mut svg: String, overlay: &str) -> String {
    if overlay.is_empty() {
        return svg;
    }
    match svg.rfind("</svg>") {
        Some(end) => svg.insert_str(end, overlay),
        None => svg.push_str(overlay),
    }
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hatching_stays_inside_and_on_diagonals_or_border() {
        let (left, top, right, bottom) = (10, 20, 40, 120);
        let points = hatch_zigzag([(left, top), (right, bottom)], 6);
        assert!(points.len() > 10);
        assert!(points
            .iter()
            .all(|&(x, y)| (left..=right).contains(&x) && (top..=bottom).contains(&y)));
        let on_border = |(x, y): (i32, i32)| x == left || x == right || y == top || y == bottom;
        assert!(points.iter().copied().all(on_border));
        // Joins between diagonals run along one edge, never across the inside.
        for pair in points.windows(2) {
            let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
            let diagonal = x0 + y0 == x1 + y1;
            let along_edge = (x0 == x1 && (x0 == left || x0 == right))
                || (y0 == y1 && (y0 == top || y0 == bottom));
            assert!(diagonal || along_edge, "{pair:?}");
        }
        assert!(hatch_zigzag([(0, 0), (0, 0)], 6).is_empty());
    }
}
