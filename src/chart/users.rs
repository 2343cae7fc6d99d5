//! The busiest users of the REST API: successful and unsuccessful calls as stacked horizontal
//! bars, one per user, named on the left.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{self, LegendEntry, Swatch, HEIGHT, WIDTH};
use super::palette::{BLUE, INK, VERMILLION};
use super::text::{self, SMALL_SIZE, TICK_SIZE};
use crate::render::thousands as group_thousands;

/// One user's calls.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserBar {
    /// The account, as written in the log.
    pub user: String,
    /// Successful calls.
    pub successful: u64,
    /// Unsuccessful calls.
    pub unsuccessful: u64,
}

const TITLE: &str = "Top users: successful and unsuccessful calls";
/// More bars than this would be too thin to read; the rest are left out and the title says so.
const MOST_USERS: usize = 40;
const USER_CHARS: usize = 28;
const ROW_PIXELS: u32 = 26;
/// Half a bar's height, in rows, and at most in pixels: few users would otherwise get slabs.
const HALF_BAR: f64 = 0.34;
const HALF_BAR_PIXELS: f64 = 13.0;

/// Top users as stacked horizontal bars in the order given (the first on top): successful calls
/// then unsuccessful ones, each bar followed by its total. The canvas grows with the number of
/// users; beyond 40 the rest are left out and the title says how many are shown.
pub fn top_users(users: &[UserBar]) -> String {
    if users.is_empty() {
        return canvas::message_page((WIDTH, HEIGHT), TITLE, "no data");
    }
    let shown = &users[..users.len().min(MOST_USERS)];
    let title = if shown.len() < users.len() {
        format!("{TITLE} (first {} of {})", shown.len(), users.len())
    } else {
        TITLE.to_owned()
    };
    let names: Vec<String> = shown
        .iter()
        .map(|user| match text::label(&user.user, USER_CHARS) {
            // Entries without a user would otherwise get a bar with no name.
            name if name.is_empty() => "(no user)".to_owned(),
            name => name,
        })
        .collect();
    let totals: Vec<String> = shown
        .iter()
        .map(|user| {
            let total = group_thousands(user.successful.saturating_add(user.unsuccessful));
            if user.unsuccessful > 0 {
                format!(
                    "{total} ({} unsuccessful)",
                    group_thousands(user.unsuccessful)
                )
            } else {
                total
            }
        })
        .collect();
    let legend = [
        LegendEntry::new(Swatch::Bar(BLUE), "successful"),
        LegendEntry::new(Swatch::Bar(VERMILLION), "unsuccessful"),
    ];
    let height = HEIGHT.max(190 + ROW_PIXELS * shown.len() as u32);
    canvas::render((WIDTH, height), &title, &legend, |canvas, body| {
        let name_width = names
            .iter()
            .map(|name| text::width_px(name, TICK_SIZE))
            .fold(0.0, f64::max);
        let label_area = (name_width + 44.0).ceil() as u32;
        let total_width = totals
            .iter()
            .map(|total| text::width_px(total, SMALL_SIZE))
            .fold(0.0, f64::max);
        let highest = shown
            .iter()
            .map(|user| user.successful.saturating_add(user.unsuccessful))
            .max()
            .unwrap_or(0)
            .max(1);
        // Leave room right of the longest bar for its total.
        let (body_width, _) = body.dim_in_pixel();
        let plot_width = (f64::from(body_width) - f64::from(label_area) - 40.0).max(100.0);
        let bar_room = (plot_width - total_width - 12.0).max(plot_width / 3.0);
        let top = (highest as f64 * plot_width / bar_room).ceil();
        let top = if top >= u64::MAX as f64 {
            u64::MAX
        } else {
            (top as u64).max(highest)
        };
        let rows = shown.len() as f64;
        let mut chart = ChartBuilder::on(body)
            .margin_top(10)
            .margin_right(30)
            .margin_left(8)
            .margin_bottom(6)
            .x_label_area_size(52)
            .y_label_area_size(label_area)
            .build_cartesian_2d(0u64..top, -0.5..rows - 0.5)?;
        let mut mesh = chart.configure_mesh();
        canvas::style_mesh(&mut mesh);
        mesh.disable_y_mesh()
            .y_labels(0)
            .x_labels(8)
            .x_label_formatter(&|value| group_thousands(*value))
            .x_desc("calls")
            .y_desc("user")
            .draw()?;

        let row_pixels =
            f64::from((chart.backend_coord(&(0, 0.0)).1 - chart.backend_coord(&(0, 1.0)).1).max(1));
        let half_bar = HALF_BAR.min(HALF_BAR_PIXELS / row_pixels);
        for (i, user) in shown.iter().enumerate() {
            let row = rows - 1.0 - i as f64;
            let stacked = user.successful.saturating_add(user.unsuccessful);
            let (left, upper) = chart.backend_coord(&(0, row + half_bar));
            let (middle, lower) = chart.backend_coord(&(user.successful, row - half_bar));
            let (end, centre) = chart.backend_coord(&(stacked, row));
            if user.successful > 0 {
                canvas.draw(&Rectangle::new(
                    [(left, upper), (middle.max(left + 1), lower)],
                    BLUE.filled(),
                ))?;
            }
            if user.unsuccessful > 0 {
                canvas.draw(&Rectangle::new(
                    [(middle, upper), (end.max(middle + 1), lower)],
                    VERMILLION.filled(),
                ))?;
            }
            canvas.draw(&Text::new(
                names[i].clone(),
                (left - 8, centre),
                canvas::text_style(TICK_SIZE, INK).pos(Pos::new(HPos::Right, VPos::Center)),
            ))?;
            canvas.draw(&Text::new(
                totals[i].clone(),
                (end + 6, centre),
                canvas::text_style(SMALL_SIZE, INK).pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
        }
        Ok(String::new())
    })
}
