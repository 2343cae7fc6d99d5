//! Time on the x axis: a range that is never empty, ticks on round times (whole hours, midnights,
//! Mondays, first days of months) and labels as precise as the tick spacing needs.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};
use plotters::coord::combinators::{BindKeyPoints, WithKeyPoints};
use plotters::coord::types::{RangedCoordu64, RangedDateTime};
use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{self, DrawResult};
use super::transactions::count_label_area;
use crate::render::thousands as group_thousands;

/// A chart with this module's time axis across and a count from zero up.
pub(crate) type TimeCountChart<'a, 'b> = ChartContext<
    'a,
    SVGBackend<'b>,
    Cartesian2d<WithKeyPoints<RangedDateTime<NaiveDateTime>>, RangedCoordu64>,
>;

/// At most this many labelled ticks; a label is at most about 80 pixels wide.
const MOST_TICKS: i64 = 7;

/// The spacing of ticks.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Step {
    /// A whole number of minutes that divides a day, counted from midnight.
    Minutes(i64),
    /// Days from the first midnight.
    Days(i64),
    /// Weeks from the first Monday, when ESM resets its weekly statistics.
    Weeks(i64),
    /// Months from the first day of a month.
    Months(i64),
}

const STEPS: [Step; 21] = [
    Step::Minutes(1),
    Step::Minutes(2),
    Step::Minutes(5),
    Step::Minutes(10),
    Step::Minutes(15),
    Step::Minutes(30),
    Step::Minutes(60),
    Step::Minutes(120),
    Step::Minutes(180),
    Step::Minutes(360),
    Step::Minutes(720),
    Step::Days(1),
    Step::Days(2),
    Step::Weeks(1),
    Step::Weeks(2),
    Step::Months(1),
    Step::Months(2),
    Step::Months(3),
    Step::Months(6),
    Step::Months(12),
    Step::Months(60),
];

/// A time axis from `start` to `end`.
#[derive(Clone, Debug)]
pub(crate) struct TimeAxis {
    start: NaiveDateTime,
    end: NaiveDateTime,
    step: Step,
}

impl TimeAxis {
    /// The axis from the earliest to the latest of `times`, widened to `minimum` around them
    /// when shorter (one point would otherwise make an empty axis). `None` without times.
    pub(crate) fn new(
        times: impl IntoIterator<Item = NaiveDateTime>,
        minimum: Duration,
    ) -> Option<Self> {
        let mut times = times.into_iter();
        let first = times.next()?;
        let (mut start, mut end) = times.fold((first, first), |(low, high), at| {
            (low.min(at), high.max(at))
        });
        if end - start < minimum {
            let half = minimum / 2;
            start = start.checked_sub_signed(half).unwrap_or(start);
            end = end.checked_add_signed(half).unwrap_or(end);
        }
        if end <= start {
            end = start.checked_add_signed(Duration::minutes(1))?;
        }
        let span_minutes = (end - start).num_minutes();
        let step = STEPS
            .into_iter()
            .find(|step| span_minutes / step.approximate_minutes() < MOST_TICKS)
            .unwrap_or(Step::Months(60));
        Some(Self { start, end, step })
    }

    /// The plotters x coordinate, with this axis' ticks.
    pub(crate) fn coordinate(&self) -> WithKeyPoints<RangedDateTime<NaiveDateTime>> {
        RangedDateTime::from(self.start..self.end).with_key_points(self.ticks())
    }

    /// A chart of counts from zero to `top` over this axis on `body`, its mesh drawn with
    /// the project's style, labelled `y_desc`: the frame every time-series chart shares.
    pub(crate) fn count_chart<'a, 'b>(
        &self,
        body: &'a DrawingArea<SVGBackend<'b>, Shift>,
        top: u64,
        y_desc: &str,
    ) -> DrawResult<TimeCountChart<'a, 'b>> {
        let mut chart = ChartBuilder::on(body)
            .margin_top(14)
            .margin_right(30)
            .margin_left(8)
            .margin_bottom(6)
            .x_label_area_size(52)
            .y_label_area_size(count_label_area(top))
            .build_cartesian_2d(self.coordinate(), 0u64..top)?;
        let tick_label = |at: &NaiveDateTime| self.label(at);
        let mut mesh = chart.configure_mesh();
        canvas::style_mesh(&mut mesh);
        mesh.y_labels(8)
            .x_label_formatter(&tick_label)
            .y_label_formatter(&|value| group_thousands(*value))
            .x_desc(self.description())
            .y_desc(y_desc)
            .draw()?;
        Ok(chart)
    }

    /// The ticks: round times within the axis.
    fn ticks(&self) -> Vec<NaiveDateTime> {
        let midnight = self.start.date().and_time(NaiveTime::MIN);
        let mut ticks = Vec::new();
        let mut push_while_inside =
            |first: Option<NaiveDateTime>,
             next: &dyn Fn(NaiveDateTime) -> Option<NaiveDateTime>| {
                let mut tick = first;
                while let Some(at) = tick {
                    if at > self.end || ticks.len() > MOST_TICKS as usize * 2 {
                        break;
                    }
                    if at >= self.start {
                        ticks.push(at);
                    }
                    tick = next(at);
                }
            };
        match self.step {
            Step::Minutes(minutes) => {
                let step = Duration::minutes(minutes);
                push_while_inside(Some(midnight), &|at| at.checked_add_signed(step));
            }
            Step::Days(days) => {
                let step = Duration::days(days);
                push_while_inside(Some(midnight), &|at| at.checked_add_signed(step));
            }
            Step::Weeks(weeks) => {
                let back = i64::from(midnight.weekday().num_days_from_monday());
                let monday = midnight.checked_sub_signed(Duration::days(back));
                let step = Duration::weeks(weeks);
                push_while_inside(monday, &|at| at.checked_add_signed(step));
            }
            Step::Months(months) => {
                let first = month_start(i64::from(self.start.year()) * 12, months);
                push_while_inside(first, &|at| {
                    month_start(
                        i64::from(at.year()) * 12 + i64::from(at.month0()) + months,
                        months,
                    )
                });
            }
        }
        ticks
    }

    /// The label of a tick.
    pub(crate) fn label(&self, at: &NaiveDateTime) -> String {
        let format = match self.step {
            Step::Minutes(_) if self.start.date() == self.end.date() => "%H:%M",
            Step::Minutes(_) => "%m-%d %H:%M",
            Step::Days(_) | Step::Weeks(_) => "%Y-%m-%d",
            Step::Months(_) => "%Y-%m",
        };
        at.format(format).to_string()
    }

    /// The axis description: the clock it shows, and what the tick labels leave out.
    pub(crate) fn description(&self) -> String {
        match self.step {
            Step::Minutes(_) if self.start.date() == self.end.date() => {
                format!("server local time, {}", self.start.format("%Y-%m-%d"))
            }
            Step::Minutes(_) if self.start.year() == self.end.year() => {
                format!("server local time, {}", self.start.year())
            }
            Step::Minutes(_) => format!(
                "server local time, {}–{}",
                self.start.year(),
                self.end.year()
            ),
            _ => "server local time".to_owned(),
        }
    }
}

impl Step {
    fn approximate_minutes(self) -> i64 {
        match self {
            Step::Minutes(minutes) => minutes,
            Step::Days(days) => days * 1440,
            Step::Weeks(weeks) => weeks * 7 * 1440,
            // Months are at least 28 days; counting them short keeps the tick count bounded.
            Step::Months(months) => months * 28 * 1440,
        }
    }
}

/// Midnight of the first day of the first month at or after `month_index` (year × 12 +
/// zero-based month) that is a multiple of `every` months.
fn month_start(month_index: i64, every: i64) -> Option<NaiveDateTime> {
    let every = every.max(1);
    let aligned = month_index + (every - month_index.rem_euclid(every)) % every;
    let year = i32::try_from(aligned.div_euclid(12)).ok()?;
    let month = u32::try_from(aligned.rem_euclid(12)).ok()? + 1;
    NaiveDate::from_ymd_opt(year, month, 1).map(|date| date.and_time(NaiveTime::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;

    fn time(day: u32, hour: u32, minute: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2023, 10, day)
            .and_then(|date| date.and_hms_opt(hour, minute, 0))
            .expect("valid test time")
    }

    fn axis(start: NaiveDateTime, end: NaiveDateTime) -> TimeAxis {
        TimeAxis::new([start, end], Duration::minutes(1)).expect("an axis")
    }

    #[test]
    fn ticks_fall_on_round_times_and_stay_few() {
        let hours = axis(time(9, 7, 13), time(9, 21, 40));
        let ticks = hours.ticks();
        assert!(ticks.len() >= 3 && ticks.len() <= 7, "{ticks:?}");
        assert!(ticks.iter().all(|at| at.format("%M").to_string() == "00"));
        assert_eq!(hours.label(&ticks[0]), ticks[0].format("%H:%M").to_string());
        assert_eq!(hours.description(), "server local time, 2023-10-09");

        let weeks = axis(time(4, 12, 0), time(30, 0, 0));
        let ticks = weeks.ticks();
        assert!(ticks.len() >= 3 && ticks.len() <= 7, "{ticks:?}");
        assert!(ticks.iter().all(|at| at.weekday() == Weekday::Mon));
        assert_eq!(weeks.label(&ticks[0]), "2023-10-09");

        let years = axis(time(1, 0, 0), time(1, 0, 0) + Duration::days(800));
        let ticks = years.ticks();
        assert!(ticks.len() >= 2 && ticks.len() <= 7, "{ticks:?}");
        assert!(ticks.iter().all(|at| at.day() == 1));
    }

    #[test]
    fn one_instant_gets_a_usable_axis() {
        let single = TimeAxis::new([time(9, 12, 0)], Duration::hours(1)).expect("an axis");
        assert!(single.start < single.end);
        assert!(!single.ticks().is_empty());
        assert!(TimeAxis::new([], Duration::hours(1)).is_none());
        let edge = TimeAxis::new([NaiveDateTime::MAX], Duration::hours(1)).expect("an axis");
        assert!(edge.ticks().len() <= 15);
    }
}
