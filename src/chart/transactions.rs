//! REST API transactions per week and per month as bars: what is known for sure as a bar, what
//! is only bounded as a whisker (and, for weeks, a hatched bar), and the quota as a dashed line.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{self, LabelSide, LegendEntry, Swatch, HEIGHT, WIDTH};
use super::palette::{BLACK, BLUE, INK, ORANGE};
use super::text::{self, SMALL_SIZE, TICK_SIZE};
use crate::render::thousands as group_thousands;

/// One ISO week of transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WeekBar {
    /// The ISO week, such as `2023-W15`.
    pub label: String,
    /// Transactions consumed: exact, or a lower bound when `exact` is false.
    pub consumed: u64,
    /// The most the week can hold (equal to `consumed` when exact).
    pub consumed_max: u64,
    /// Whether `consumed` is the final total rather than a lower bound.
    pub exact: bool,
    /// Days of the week the data (or the report's range) covers: 7 for a whole week.
    pub days: u8,
}

/// One calendar month of transactions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthBar {
    /// The month, such as `2023-04`.
    pub label: String,
    /// The best estimate.
    pub estimate: u64,
    /// The least the true count can be.
    pub min: u64,
    /// The most the true count can be.
    pub max: u64,
}

const WEEKLY_TITLE: &str = "REST API transactions per week";
const MONTHLY_TITLE: &str = "REST API transactions per month";
/// Category labels are short dates (with the days of a partial week); anything longer is cut.
const CATEGORY_CHARS: usize = 18;
const QUOTA_LABEL_CHARS: usize = 48;
/// Half the width of a bar, in slots (one slot per category).
const HALF_BAR: f64 = 0.36;

/// Weekly transactions as bars. Weeks whose count is only a lower bound (a server restart, or
/// still open) are hatched and lighter, marked `≥`, with a whisker up to `consumed_max`; weeks
/// the data covers only in part are hatched in orange, their days under the bar, so that they
/// are not read against a whole week's quota. `quota_line` draws a dashed line at its value,
/// named in the legend (such as `quota 60,000 / week`).
pub fn weekly_transactions(weeks: &[WeekBar], quota_line: Option<(u64, &str)>) -> String {
    if weeks.is_empty() {
        return canvas::message_page((WIDTH, HEIGHT), WEEKLY_TITLE, "no data");
    }
    let bars: Vec<Bar> = weeks
        .iter()
        .map(|week| Bar {
            label: text::label(
                &match week.days {
                    7.. => week.label.clone(),
                    1 => format!("{}, 1 day", week.label),
                    n => format!("{}, {n} days", week.label),
                },
                CATEGORY_CHARS,
            ),
            value: week.consumed,
            range: (!week.exact).then_some((week.consumed, week.consumed_max.max(week.consumed))),
            lower_bound: !week.exact,
            partial: week.days < 7,
            value_text: if week.exact {
                group_thousands(week.consumed)
            } else {
                format!("≥ {}", group_thousands(week.consumed))
            },
        })
        .collect();
    let mut legend = Vec::new();
    if weeks.iter().any(|week| week.exact) {
        legend.push(LegendEntry::new(Swatch::Bar(BLUE), "exact total"));
    }
    if weeks.iter().any(|week| !week.exact && week.days >= 7) {
        legend.push(LegendEntry::new(
            Swatch::HatchedBar(BLUE),
            "lower bound (≥)",
        ));
    }
    if weeks.iter().any(|week| week.days < 7) {
        legend.push(LegendEntry::new(
            Swatch::HatchedBar(ORANGE),
            "part of a week (days covered under it)",
        ));
    }
    if weeks.iter().any(|week| !week.exact) {
        legend.push(LegendEntry::new(Swatch::Whisker(BLACK), "at most"));
    }
    bar_chart(
        WEEKLY_TITLE,
        "ISO week (server calendar)",
        "transactions per week",
        &bars,
        quota_line,
        legend,
    )
}

/// Monthly transactions: bars of the estimate, whiskers from `min` to `max` (which always hold
/// the true count), and an optional dashed quota line named in the legend. A month without
/// data between two with data (labels `YYYY-MM`) keeps its place, empty and marked `no data`,
/// so that the months are not closed up.
pub fn monthly_transactions(months: &[MonthBar], quota_line: Option<(u64, &str)>) -> String {
    if months.is_empty() {
        return canvas::message_page((WIDTH, HEIGHT), MONTHLY_TITLE, "no data");
    }
    let mut bars: Vec<Bar> = Vec::with_capacity(months.len());
    for month in months {
        if let Some(previous) = bars.last().and_then(|b: &Bar| month_number(&b.label)) {
            if let Some(this) = month_number(&month.label) {
                for missing in previous + 1..this {
                    bars.push(Bar {
                        label: format!("{:04}-{:02}", missing / 12, missing % 12 + 1),
                        value: 0,
                        range: None,
                        lower_bound: false,
                        partial: false,
                        value_text: "no data".into(),
                    });
                }
            }
        }
        let (low, high) = (month.min.min(month.max), month.min.max(month.max));
        bars.push(Bar {
            label: text::label(&month.label, CATEGORY_CHARS),
            value: month.estimate,
            range: (low < high).then_some((low, high)),
            lower_bound: false,
            partial: false,
            value_text: group_thousands(month.estimate),
        });
    }
    let mut legend = vec![LegendEntry::new(Swatch::Bar(BLUE), "estimate")];
    if bars.iter().any(|bar| bar.range.is_some()) {
        legend.push(LegendEntry::new(
            Swatch::Whisker(BLACK),
            "min–max (holds the true count)",
        ));
    }
    bar_chart(
        MONTHLY_TITLE,
        "month (server calendar)",
        "transactions per month",
        &bars,
        quota_line,
        legend,
    )
}

/// `2023-04` as months since year 0 (2023 × 12 + 3), to find the months between two.
fn month_number(label: &str) -> Option<i64> {
    let (year, month) = label.split_once('-')?;
    let (year, month): (i64, i64) = (year.parse().ok()?, month.parse().ok()?);
    (1..=12).contains(&month).then_some(year * 12 + month - 1)
}

/// One bar as drawn.
struct Bar {
    label: String,
    value: u64,
    /// A whisker from the first to the second value.
    range: Option<(u64, u64)>,
    /// Drawn hatched: the bar is less than the truth.
    lower_bound: bool,
    /// Drawn hatched in orange: the bar covers part of its bucket only.
    partial: bool,
    value_text: String,
}

/// The top of a count axis: room above the highest mark for its value label.
pub(crate) fn headroom(highest: u64) -> u64 {
    let padded = (highest as f64 * 1.15).ceil();
    if padded >= u64::MAX as f64 {
        return u64::MAX;
    }
    (padded as u64).max(highest.saturating_add(1)).max(1)
}

/// Pixels the y tick labels and the axis description need left of the plot.
pub(crate) fn count_label_area(top: u64) -> u32 {
    (text::width_px(&group_thousands(top), TICK_SIZE) + 40.0).ceil() as u32
}

fn bar_chart(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    bars: &[Bar],
    quota_line: Option<(u64, &str)>,
    mut legend: Vec<LegendEntry>,
) -> String {
    let quota = quota_line.map(|(value, label)| (value, text::label(label, QUOTA_LABEL_CHARS)));
    if let Some((_, label)) = &quota {
        legend.push(LegendEntry::new(Swatch::DashedLine(BLACK), label.clone()));
    }
    canvas::render((WIDTH, HEIGHT), title, &legend, |canvas, body| {
        let highest = bars
            .iter()
            .map(|bar| bar.range.map_or(bar.value, |(_, high)| high.max(bar.value)))
            .chain(quota.as_ref().map(|(value, _)| *value))
            .max()
            .unwrap_or(0);
        let top = headroom(highest);
        let mut chart = ChartBuilder::on(body)
            .margin_top(14)
            .margin_right(24)
            .margin_left(8)
            .margin_bottom(6)
            .x_label_area_size(52)
            .y_label_area_size(count_label_area(top))
            .build_cartesian_2d(-0.5..bars.len() as f64 - 0.5, 0u64..top)?;
        let mut mesh = chart.configure_mesh();
        canvas::style_mesh(&mut mesh);
        mesh.disable_x_mesh()
            .x_labels(0)
            .y_labels(8)
            .y_label_formatter(&|value| group_thousands(*value))
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()?;

        let centre = |i: usize| chart.backend_coord(&(i as f64, 0)).0;
        let y_px = |value: u64| chart.backend_coord(&(0.0, value)).1;
        let slot = (chart.backend_coord(&(1.0, 0)).0 - centre(0)).max(1);
        let widest_label = bars
            .iter()
            .map(|bar| text::width_px(&bar.label, TICK_SIZE))
            .fold(0.0, f64::max);
        let label_every = ((widest_label + 10.0) / f64::from(slot)).ceil().max(1.0) as usize;
        let half_cap = (slot / 6).clamp(2, 7);
        let mut label_spots = Vec::with_capacity(bars.len());
        for (i, bar) in bars.iter().enumerate() {
            let x = i as f64;
            let (left, bottom) = chart.backend_coord(&(x - HALF_BAR, 0));
            let (right, bar_top) = chart.backend_coord(&(x + HALF_BAR, bar.value));
            if bar.partial {
                canvas::hatched_bar(canvas, [(left, bar_top), (right, bottom)], ORANGE)?;
            } else if bar.lower_bound {
                canvas::hatched_bar(canvas, [(left, bar_top), (right, bottom)], BLUE)?;
            } else {
                canvas.draw(&Rectangle::new(
                    [(left, bar_top), (right.max(left + 1), bottom)],
                    BLUE.filled(),
                ))?;
            }
            let mut mark_top = bar_top;
            if let Some((low, high)) = bar.range {
                if high > low {
                    canvas::whisker(canvas, centre(i), y_px(low), y_px(high), half_cap, BLACK)?;
                    mark_top = mark_top.min(y_px(high));
                }
            }
            label_spots.push((centre(i), mark_top, bottom));
        }
        // The quota line goes under the value labels, which sit on a white ground; the legend
        // names it, so that no label box on the line can cover a bar.
        if let Some((value, _)) = &quota {
            canvas::reference_line(canvas, &chart, *value, "", LabelSide::Above)?;
        }
        for (i, (bar, (x, mark_top, bottom))) in bars.iter().zip(label_spots).enumerate() {
            if text::width_px(&bar.value_text, SMALL_SIZE) <= f64::from(slot) * 0.95 {
                canvas::label_on_white(
                    canvas,
                    &bar.value_text,
                    SMALL_SIZE,
                    (x, mark_top - 4),
                    Pos::new(HPos::Center, VPos::Bottom),
                )?;
            }
            if i % label_every == 0 {
                canvas.draw(&Text::new(
                    bar.label.clone(),
                    (x, bottom + 8),
                    canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Center, VPos::Top)),
                ))?;
            }
        }
        Ok(String::new())
    })
}
