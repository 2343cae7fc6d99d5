//! The bundle's text: the figures told as a document for someone who has never seen esmlog,
//! headline figures first, then weeks, months, the counters, rejections, users, endpoints,
//! the rate limit, logins and what was read.

use super::document::{strong, text, Block, Document, Figure, Span};
use super::{Chart, Charts, DataFile, Figures, LoginTables, Period, RateLimitTables};
use crate::calendar::TimeRange;
use crate::render::{thousands, Cell, Column, Report, Table};
use crate::report::calls::CallsReport;
use crate::report::monthly::MonthRow;
use crate::report::quota::{QuotaPeriod, QuotaStatus};
use crate::report::reconcile::Verdict;
use crate::source::LogKind;
use crate::usage::period::PeriodStatus;
use chrono::{Datelike, Days, Months, NaiveDate, NaiveDateTime, NaiveTime};

/// Rows of the users and endpoints tables shown; the CSV files hold them all.
const TABLE_ROWS: usize = 15;

fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

fn signed(n: i64) -> String {
    if n < 0 {
        format!("-{}", thousands(n.unsigned_abs()))
    } else {
        format!("+{}", thousands(n as u64))
    }
}

fn minute(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// `2023-10-26T11:26:00+03:00` as `2023-10-26 11:26`.
fn local_minute(iso: &str) -> String {
    iso.get(..16).unwrap_or(iso).replace('T', " ")
}

/// A spike's stretch: `2023-10-26 11:26 to 11:42`, the end's date only when it differs.
fn stretch(start: &str, end: &str) -> String {
    let (start, end) = (local_minute(start), local_minute(end));
    match (start.split_once(' '), end.split_once(' ')) {
        (Some((day, _)), Some((end_day, time))) if day == end_day => format!("{start} to {time}"),
        _ => format!("{start} to {end}"),
    }
}

fn month_name(first: NaiveDate) -> String {
    first.format("%B %Y").to_string()
}

fn chart(c: &Chart) -> Block {
    Block::Chart {
        file: c.file.to_string(),
        title: c.title.to_string(),
        svg: c.svg.clone(),
    }
}

/// A count as the tables show it: exact, an estimate `±` how far the truth can lie from it,
/// or `≥` a lower bound.
fn shown(row: &MonthRow) -> String {
    row.figures.estimate_cell().human()
}

/// The first `rows` rows of a table, and how many were left out.
fn head(mut table: Table, rows: usize) -> (Table, usize) {
    let left_out = table.rows.len().saturating_sub(rows);
    table.rows.truncate(rows);
    (table, left_out)
}

fn user_count(report: &CallsReport) -> usize {
    report.rows.len()
}

fn key(row: &crate::report::calls::CallRow) -> String {
    row.key.first().map(|k| k.1.clone()).unwrap_or_default()
}

/// Builds the document.
pub fn document(f: &Figures, charts: &Charts, data: &[DataFile]) -> Document {
    let mut blocks = Vec::new();
    intro(f, &mut blocks);
    headline(f, &mut blocks);
    reading(f, &mut blocks);
    weeks(f, charts, &mut blocks);
    months(f, charts, &mut blocks);
    counters(f, charts, &mut blocks);
    rejections(f, charts, &mut blocks);
    calls(f, charts, &mut blocks);
    lines(f, &mut blocks);
    files(charts, data, &mut blocks);
    let title = match f.period {
        Period::Month {
            in_progress: true, ..
        } => format!("REST API report: {} (month in progress)", f.period.title()),
        _ => format!("REST API report: {}", f.period.title()),
    };
    Document { title, blocks }
}

fn intro(f: &Figures, blocks: &mut Vec<Block>) {
    let zone = f.tz.as_ref().map_or(String::new(), |tz| format!(" ({tz})"));
    let mut first = match f.period {
        Period::Month { first, .. } => {
            let range = f.period.range();
            format!(
                "Use of the Matrix42 ESM REST API in {}: {} to {} on the server's calendar{zone}.",
                f.period.title(),
                first,
                range.last_day().unwrap_or(first)
            )
        }
        Period::Window { range } => format!(
            "Use of the Matrix42 ESM REST API, {} on the server's clock{zone}{}.",
            range.describe(),
            match range.to {
                Some(to) if to.time() != NaiveTime::MIN => format!(" (up to {} exclusive)", minute(to)),
                _ => String::new(),
            }
        ),
        Period::All { .. } => match f.span {
            Some((from, to)) => format!(
                "Use of the Matrix42 ESM REST API in all the logs given: {} to {} on the server's calendar{zone}.",
                minute(from),
                minute(to)
            ),
            None => "Use of the Matrix42 ESM REST API in all the logs given.".into(),
        },
    };
    let range = f.period.range();
    if let (Period::Month { first: start, .. }, Some((from, to))) = (f.period, f.span_in(range)) {
        let end = start
            .checked_add_months(Months::new(1))
            .unwrap_or(start)
            .and_time(NaiveTime::MIN);
        if from > start.and_time(NaiveTime::MIN) {
            first.push_str(&format!(
                " The usage log's first counting period in the month starts on {}: calls before then are not in these logs.",
                minute(from)
            ));
        }
        if f.period.in_progress() {
            first.push_str(&format!(
                " The month is in progress: the logs end on {}, and its figures are so far.",
                minute(to)
            ));
        } else if to < end {
            first.push_str(&format!(
                " The usage log ends on {}: calls after then are not in these logs.",
                minute(to)
            ));
        }
    }
    let count = |kind: LogKind| f.check.files.iter().filter(|c| c.kind == kind).count();
    let (usage, integration) = (count(LogKind::Usage), count(LogKind::Integration));
    blocks.push(Block::Paragraph(vec![text(first)]));
    blocks.push(Block::Paragraph(vec![
        text(format!(
            "Made from {usage} usage-log file{} and {integration} integration.log file{}; the figures are those of ",
            if usage == 1 { "" } else { "s" },
            if integration == 1 { "" } else { "s" },
        )),
        Span::Code("esmlog weekly"),
        text(", "),
        Span::Code("monthly"),
        text(", "),
        Span::Code("rejections"),
        text(" and "),
        Span::Code("calls"),
        text(" for the same days."),
    ]));
}

/// The quota's month or year: its first day and the day after its last.
fn quota_period_days(q: &QuotaStatus) -> Option<(NaiveDate, NaiveDate)> {
    let first = match q.period {
        QuotaPeriod::Month => {
            NaiveDate::parse_from_str(&format!("{}-01", q.label), "%Y-%m-%d").ok()?
        }
        QuotaPeriod::Year => NaiveDate::from_ymd_opt(q.label.parse().ok()?, 1, 1)?,
    };
    let after = match q.period {
        QuotaPeriod::Month => first.checked_add_months(Months::new(1))?,
        QuotaPeriod::Year => first.checked_add_months(Months::new(12))?,
    };
    Some((first, after))
}

/// Days of data in the quota's period when they are too few to project from.
fn too_early_to_project(f: &Figures, q: &QuotaStatus) -> Option<f64> {
    let (first, after) = quota_period_days(q)?;
    f.days_of_data(first, after)
        .filter(|days| *days < crate::report::bundle::MIN_DAYS_TO_COMPARE)
}

/// Whether the quota's month or year is over at the status's `as_of`.
fn quota_period_over(q: &QuotaStatus) -> bool {
    let start = match q.period {
        QuotaPeriod::Month => NaiveDate::parse_from_str(&format!("{}-01", q.label), "%Y-%m-%d")
            .ok()
            .and_then(|d| d.checked_add_months(Months::new(1))),
        QuotaPeriod::Year => q
            .label
            .parse::<i32>()
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y + 1, 1, 1)),
    };
    let as_of = NaiveDateTime::parse_from_str(&q.as_of, "%Y-%m-%d %H:%M");
    match (start, as_of) {
        (Some(end), Ok(as_of)) => as_of >= end.and_time(NaiveTime::MIN),
        _ => false,
    }
}

/// Where the quota stands, in a sentence; with `early` days of data only, no projection.
fn quota_sentence(q: &QuotaStatus, early: Option<f64>) -> String {
    let used = format!(
        "{} of {} transactions",
        thousands(q.used),
        thousands(q.quota)
    );
    let mut range = match q.used_max {
        Some(max) if max != q.used_min => format!(
            " (between {} and {} counting the bounds)",
            pct(q.used_min as f64 / q.quota.max(1) as f64),
            pct(max as f64 / q.quota.max(1) as f64)
        ),
        Some(_) => String::new(),
        None => format!(
            " (at least {}; the usage log cannot bound it from above)",
            pct(q.used_min as f64 / q.quota.max(1) as f64)
        ),
    };
    if q.share_is_lower_bound {
        range.push_str(", a lower bound since the usage log does not cover the whole period");
    }
    if q.exceeded {
        format!("{used}: the quota for {} is exceeded{range}.", q.label)
    } else if quota_period_over(q) {
        format!("{used} in {}{range}.", q.label)
    } else if let Some(days) = early {
        format!(
            "{used} in {} so far{range}; too early to project: {} of data (a projection needs {} days).",
            q.label,
            days_text(days),
            crate::report::bundle::MIN_DAYS_TO_COMPARE
        )
    } else if let Some(day) = q.reaches_quota_on {
        format!(
            "{used} in {} so far{range}; at the run rate so far the quota is reached on {day}.",
            q.label
        )
    } else {
        format!(
            "{used} in {} so far{range}; at the run rate so far {} ends at about {} ({}).",
            q.label,
            q.label,
            thousands(q.projected),
            pct(q.projected_share)
        )
    }
}

/// `1st`, `2nd`, `3rd`, `14th`, `21st`.
fn ordinal(day: u32) -> String {
    let suffix = match (day % 10, day % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{day}{suffix}")
}

/// `14 hours`, `1.5 days`, `6 days`.
fn days_text(days: f64) -> String {
    if days < 1.0 {
        let hours = (days * 24.0).round() as u64;
        format!("{hours} hour{}", if hours == 1 { "" } else { "s" })
    } else if days.fract() < 0.05 {
        let whole = days.round() as u64;
        format!("{whole} day{}", if whole == 1 { "" } else { "s" })
    } else {
        format!("{days:.1} days")
    }
}

fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Agrees => "within these bounds",
        Verdict::Differs => {
            "OUTSIDE these bounds: calls missing from one log, or logs of two servers"
        }
        Verdict::Partial => "it does not cover the whole period",
    }
}

fn headline(f: &Figures, blocks: &mut Vec<Block>) {
    let Some(row) = f.transactions() else {
        blocks.push(Block::Paragraph(vec![text(
            "The usage log has no figures for this period.",
        )]));
        return;
    };
    let mut figures = Vec::new();
    let f_row = &row.figures;
    let mut detail = match (
        f_row.exact,
        f_row.consumed_max,
        f_row.consumed_max_if_one_restart,
    ) {
        (true, _, _) => "Exact: the usage log proves this count".to_string(),
        (false, Some(max), _) => format!(
            "Best estimate; the true count lies between {} and {}",
            thousands(f_row.consumed_min),
            thousands(max)
        ),
        (false, None, Some(max)) => format!(
            "At least {}; at most {} if the server restarted at most once in each gap",
            thousands(f_row.consumed_min),
            thousands(max)
        ),
        (false, None, None) => format!(
            "At least {}; the usage log cannot bound it from above",
            thousands(f_row.consumed_min)
        ),
    };
    if let Some(c) = f_row.coverage.filter(|_| f_row.partial) {
        detail.push_str(&format!(
            "; the usage log covers only {}% of it, {} to {}",
            (c.share * 100.0).floor(),
            c.from.format("%Y-%m-%d %H:%M"),
            c.to.format("%Y-%m-%d %H:%M")
        ));
    }
    if let Some(r) = &row.integration {
        detail.push_str(&format!(
            "; integration.log counts {} successful calls, {}",
            thousands(r.successful),
            verdict_words(r.verdict)
        ));
    }
    figures.push(Figure {
        label: match f.period {
            Period::Month { first, .. } => format!("Transactions in {}", month_name(first)),
            Period::All { .. } => "Transactions, all the logs".into(),
            Period::Window { range } => format!("Transactions, {}", range.describe()),
        },
        value: shown(row),
        detail: detail + ".",
    });
    if let Some(q) = &f.quota {
        let per = match q.period {
            QuotaPeriod::Month => "month",
            QuotaPeriod::Year => "year",
        };
        figures.push(Figure {
            label: format!("Quota of {} per {per}, {}", thousands(q.quota), q.label),
            value: format!(
                "{}{} used",
                if q.shown_share().1 { "≥ " } else { "" },
                pct(q.shown_share().0)
            ),
            detail: quota_sentence(q, too_early_to_project(f, q)),
        });
    }
    let early = f
        .days_of_data_in_month()
        .filter(|days| *days < crate::report::bundle::MIN_DAYS_TO_COMPARE);
    if let (Some((month, _)), Some(days)) = (f.previous(), early) {
        figures.push(Figure {
            label: format!("Change from {}", month_name(month)),
            value: "too early".into(),
            detail: format!(
                "Only {} of {} so far: compared with {} from {} days of data.",
                days_text(days),
                f.period.title(),
                month_name(month),
                crate::report::bundle::MIN_DAYS_TO_COMPARE
            ),
        });
    } else if let Some((month, previous)) = f.previous() {
        let same_days = f.same_days.as_ref().map(|(through, _)| through.day());
        let label = match same_days {
            Some(day) => format!("Change from {} 1–{day}", month_name(month)),
            None => format!("Change from {}", month_name(month)),
        };
        figures.push(match previous {
            Some(p) => {
                let change = row.consumed as i64 - p.consumed as i64;
                let rate = if p.consumed > 0 {
                    let sign = if change >= 0 { "+" } else { "" };
                    format!(" ({sign}{})", pct(change as f64 / p.consumed as f64))
                } else {
                    String::new()
                };
                let mut detail = match same_days {
                    Some(day) => format!(
                        "The same days of both months, the 1st to the {}: {} transactions in {} over them",
                        ordinal(day),
                        shown(p),
                        month_name(month)
                    ),
                    None => format!("{}: {} transactions", month_name(month), shown(p)),
                };
                let partial: Vec<String> = [month]
                    .into_iter()
                    .chain(match f.period {
                        // Compared over the same days, the month's own edge is accounted for.
                        Period::Month { first, .. } if same_days.is_none() => Some(first),
                        _ => None,
                    })
                    .filter(|m| !f.covers_month(*m))
                    .map(month_name)
                    .collect();
                if !partial.is_empty() {
                    detail.push_str(&format!(
                        "; the usage log does not span all of {}, so the change partly reflects that",
                        partial.join(" and ")
                    ));
                }
                Figure {
                    label,
                    value: format!("{}{rate}", signed(change)),
                    detail: detail + ".",
                }
            }
            None => Figure {
                label,
                value: "no data".into(),
                detail: format!("The usage log has no figures for {}.", month_name(month)),
            },
        });
    }
    let spikes = &f.rejections.spikes;
    let largest = spikes.iter().max_by_key(|s| s.rejected);
    figures.push(Figure {
        label: "Rejected calls (usage log)".into(),
        value: match row.rejection_rate {
            Some(r) => format!("{} ({})", thousands(row.rejected), pct(r)),
            None => thousands(row.rejected),
        },
        detail: match largest {
            None => "No spike: rejected calls stayed near their baseline.".into(),
            Some(s) => format!(
                "{} spike{}; the largest, {} rejected, began {}{}.",
                spikes.len(),
                if spikes.len() == 1 { "" } else { "s" },
                thousands(s.rejected),
                local_minute(&s.start),
                s.top_users
                    .first()
                    .map_or(String::new(), |u| format!(", mostly {}", u.name))
            ),
        },
    });
    blocks.push(Block::Figures(figures));
}

fn reading(f: &Figures, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("Reading the figures".into()));
    blocks.push(Block::Paragraph(vec![
        text("Transactions are the successful REST calls the licence counts: the usage log's "),
        Span::Code("consumed"),
        text(" counter. Rejected calls (status 400 or more, its "),
        Span::Code("rejected"),
        text(format!(
            " counter) are not transactions. ESM writes a usage line each time another {} calls are consumed, and the week's final total at Monday 00:00, just before its ",
            thousands(f.step)
        )),
        Span::Code("Statistics reset"),
        text(". Between two lines the calls are invisible, and a period that never reached its first 1,000 calls leaves no line at all, so a figure is one of these:"),
    ]));
    blocks.push(Block::List(vec![
        vec![
            strong("Exact"),
            text(
                ", shown plainly (15,779): the usage log proves the count of the stretch it covers, as for a week closed by the weekly reset, whose last line is the total.",
            ),
        ],
        vec![
            strong("A lower bound"),
            text(format!(
                ", shown with ≥ (≥ 16,402). \"At most\" or \"max\" is an upper bound that always holds; \"if 1 restart\" marks one that holds only if the server restarted at most once in a gap (after a restart, up to {} calls, and any period a further restart lost, are never written), since a gap has no bound that always holds.",
                thousands(f.step.saturating_sub(1))
            )),
        ],
        vec![
            strong("An estimate"),
            text(
                ", shown with ± (50,689 ± 1,674), with a min and a max: a month's edge rarely falls on a usage line, so the calls between the two lines around it are split in proportion to time. The true count lies within the estimate ± N; min and max hold it too.",
            ),
        ],
        vec![
            strong("Partial"),
            text(
                ": where the logs do not cover a whole week or month (they start or end inside it, or a gap), the covered share and stretch are shown, the figures are those of that stretch, and a share of the quota is a lower bound.",
            ),
        ],
    ]));
    blocks.push(Block::Paragraph(vec![text(format!(
        "Times are the server's wall clock{}, as written in the logs.",
        f.tz.as_ref()
            .map_or(String::new(), |tz| format!(" in {tz}"))
    ))]));
}

fn weeks(f: &Figures, charts: &Charts, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("Transactions per week".into()));
    let mut intro = "ISO weeks, Monday to Sunday.".to_string();
    let range = f.period.range();
    if let (Some(since), Some(until)) = (range.from, range.to) {
        let cut: Vec<String> = f
            .weekly
            .weeks
            .iter()
            .filter_map(|w| {
                let start = w.start.and_time(NaiveTime::MIN);
                let end = start.checked_add_days(Days::new(7))?;
                (start < since || end > until).then(|| {
                    let shown = TimeRange {
                        from: Some(start.max(since)),
                        to: Some(end.min(until)),
                    };
                    format!("{} counts {} only", w.week, shown.describe())
                })
            })
            .collect();
        if !cut.is_empty() {
            let edge = match f.period {
                Period::Month { .. } => {
                    "Weeks that run over the month's edge count the month's days"
                }
                _ => "Weeks that run over the edge of the reported stretch count its part only",
            };
            intro.push_str(&format!(" {edge}: {}.", cut.join("; ")));
        }
    }
    if f.quota.is_some() {
        intro.push_str(" The dashed line is the quota scaled to a week.");
    }
    blocks.push(Block::Paragraph(vec![text(intro)]));
    blocks.push(chart(&charts.weekly));
    blocks.extend(f.weekly.tables().into_iter().take(1).map(Block::Table));
    blocks.push(Block::Notes(f.weekly.notes()));
}

fn months(f: &Figures, charts: &Charts, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("Transactions per month".into()));
    let intro = match f.period {
        Period::Month { first, .. } => format!(
            "{} beside the months before it that have data (up to a year): bars are the best estimates, whiskers the min and max that hold the true count.",
            month_name(first)
        ),
        Period::All { .. } => "Every month in the logs: bars are the best estimates, whiskers the min and max that hold the true count.".into(),
        Period::Window { .. } => "The months the reported stretch touches, each counting its part of the stretch only: bars are the best estimates, whiskers the min and max that hold the true count.".into(),
    };
    blocks.push(Block::Paragraph(vec![text(intro)]));
    blocks.push(chart(&charts.monthly));
    blocks.extend(f.history.tables().into_iter().take(1).map(|mut table| {
        // The months before are there for comparison: a total would add them to the month
        // the report is about.
        if matches!(f.period, Period::Month { .. }) {
            table.total = None;
        }
        Block::Table(table)
    }));
    blocks.push(Block::Notes(f.history.notes()));
    if let Some(q) = &f.quota {
        blocks.push(Block::Subheading("Licensed volume".into()));
        let early = too_early_to_project(f, q);
        blocks.push(Block::Paragraph(vec![text(if early.is_some() {
            format!(
                "{} The table's projection is the run rate of those hours alone: not a forecast yet.",
                quota_sentence(q, early)
            )
        } else {
            format!(
                "{} \"Projected\" is where the run rate so far leads by the end of {}.",
                quota_sentence(q, early),
                q.label
            )
        })]));
        blocks.push(Block::Table(q.table()));
    }
}

fn counters(f: &Figures, charts: &Charts, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("The usage counters".into()));
    blocks.push(Block::Paragraph(vec![
        text("ESM counts consumed calls from the "),
        Span::Code("since"),
        text(format!(
            " of a counting period, and starts again from zero at the weekly reset or when the server restarts. Each line is one period climbing; one that stops before a Monday was interrupted, and up to {} of its calls after its last usage line were never written.",
            thousands(f.step.saturating_sub(1))
        )),
    ]));
    let periods: Vec<_> = f.periods_in(f.period.range()).collect();
    let of = |status: PeriodStatus| periods.iter().filter(|p| p.2 == status).count();
    let interrupted: Vec<String> = periods
        .iter()
        .filter(|p| p.2 == PeriodStatus::Interrupted)
        .map(|p| format!("one ended {}", minute(p.1)))
        .collect();
    let mut line = format!(
        "{} counting period{} touch {}: {} complete, {} interrupted, {} open.",
        periods.len(),
        if periods.len() == 1 { "" } else { "s" },
        f.period.title(),
        of(PeriodStatus::Complete),
        of(PeriodStatus::Interrupted),
        of(PeriodStatus::Open)
    );
    if !interrupted.is_empty() {
        line.push_str(&format!(" Restarts: {}.", interrupted.join(", ")));
    }
    blocks.push(Block::Paragraph(vec![text(line)]));
    blocks.push(chart(&charts.cumulative));
}

fn causes(list: &[crate::report::rejections::CauseCount]) -> String {
    list.iter()
        .map(|c| format!("{} ({})", c.name, thousands(c.rejected)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn rejections(f: &Figures, charts: &Charts, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("Rejected calls and spikes".into()));
    if let Some(row) = f.transactions() {
        // Two sources meet here: each figure says which it is from.
        let integration = f.users.as_ref().map_or(String::new(), |u| {
            format!(
                " integration.log, which logs each call, has {} unsuccessful calls on the same days; the users, endpoints and spikes below are counted from it.",
                thousands(u.total.unsuccessful)
            )
        });
        blocks.push(Block::Paragraph(vec![text(format!(
            "The usage log counts {} calls rejected in {}{}.{integration} Rejected calls are not transactions, but each is a call an integration did not get through.",
            thousands(row.rejected),
            f.period.title(),
            row.rejection_rate
                .map_or(String::new(), |r| format!(", {} of all calls", pct(r)))
        ))]));
    }
    let spikes = &f.rejections.spikes;
    let per_minute = !f.rejections.resolution.starts_with("usage");
    let rule = if per_minute {
        format!(
            "A spike is a run of minutes with at least {} rejected calls each, {} standard deviations more than the rejection rate of the last {} minutes outside spikes predicts for their volume; the baseline does not learn from the spike it judges. In the log's first minutes, before there is a baseline, {} calls answered 429 in a minute are a spike by themselves.",
            f.spike_params.min_count, f.spike_params.threshold, f.spike_params.window, f.spike_params.min_count
        )
    } else {
        "A spike is a run of hours whose rejected calls stand well above what the rejection rate of the last two days outside spikes predicts for their volume.".to_string()
    };
    let found = match spikes.len() {
        0 => "No spike this time.".to_string(),
        1 => "One spike:".to_string(),
        n => format!("{n} spikes:"),
    };
    blocks.push(Block::Paragraph(vec![text(format!("{rule} {found}"))]));
    blocks.push(chart(&charts.rejections));
    if !spikes.is_empty() {
        // The zone is named above; minutes read more easily than ISO stamps.
        blocks.extend(f.rejections.tables().into_iter().take(1).map(|mut table| {
            for row in &mut table.rows {
                for cell in row.iter_mut().take(2) {
                    if let Cell::Text(t) = cell {
                        *t = local_minute(t);
                    }
                }
            }
            Block::Table(table)
        }));
        if let Some(s) = spikes.iter().max_by_key(|s| s.rejected) {
            if !s.top_users.is_empty() {
                let rate_limited = s.top_statuses.first().is_some_and(|c| c.name == "429");
                blocks.push(Block::Paragraph(vec![text(format!(
                    "The largest, {}, rejected {} calls, up to {} a minute against a baseline of {:.0}: users {}; endpoints {}; statuses {}.{}{}",
                    stretch(&s.start, &s.end),
                    thousands(s.rejected),
                    thousands(s.peak_per_minute),
                    s.baseline_per_minute,
                    causes(&s.top_users),
                    causes(&s.top_endpoints),
                    causes(&s.top_statuses),
                    spike_reading(s),
                    if rate_limited {
                        " Status 429 is ESM's answer to calls beyond the per-minute rate limit (see below)."
                    } else {
                        ""
                    }
                ))]));
            }
        }
    }
    let notes: Vec<String> = f.rejections.notes().into_iter().skip(1).collect();
    if !notes.is_empty() {
        blocks.push(Block::Notes(notes));
    }
    rejected_endpoints(f, blocks);
}

/// Where the period's rejected calls went, endpoint by endpoint, from integration.log.
fn rejected_endpoints(f: &Figures, blocks: &mut Vec<Block>) {
    if f.rejected_endpoints.is_empty() {
        return;
    }
    blocks.push(Block::Paragraph(vec![text(format!(
        "The endpoints with the most rejected calls in {} (from integration.log), and how many of those were turned away by the rate limit (429):",
        f.period.title()
    ))]));
    blocks.push(Block::Table(Table {
        title: "Top endpoints of rejected calls".into(),
        columns: vec![
            Column::text("endpoint", "endpoint"),
            Column::figure("rejected", "rejected"),
            Column::figure("of which 429", "rate_limited"),
            Column::figure("main status", "main_status"),
        ],
        rows: f
            .rejected_endpoints
            .iter()
            .map(|e| {
                vec![
                    Cell::Text(e.endpoint.clone()),
                    Cell::Count(e.rejected),
                    Cell::Count(e.rate_limited),
                    Cell::Text(e.main_status.to_string()),
                ]
            })
            .collect(),
        total: None,
    }));
}

/// What to do about the rate limit: for each user who reached it, how far to slow down.
fn rate_limit_advice(limit: &crate::report::rate_limit::RateLimitReport) -> Option<Block> {
    let worst: Vec<_> = limit
        .users
        .iter()
        .filter(|u| u.minutes_at_or_over > 0)
        .take(3)
        .collect();
    if worst.is_empty() || limit.limit == 0 {
        return None;
    }
    let per_call_ms = 60_000 / limit.limit;
    let advice: Vec<String> = worst
        .iter()
        .map(|u| {
            let mean = u.calls_in_those_minutes as f64 / u.minutes_at_or_over as f64;
            format!(
                "slow {} down to at most {} calls a minute (one every {} ms or more): in its {} minutes at the limit it made {:.0} calls a minute on average, {:.1} times the limit, and {} of its calls were answered 429",
                u.user,
                limit.limit,
                thousands(per_call_ms),
                thousands(u.minutes_at_or_over),
                mean,
                mean / limit.limit as f64,
                thousands(u.rate_limited)
            )
        })
        .collect();
    Some(Block::Paragraph(vec![
        strong("What to do:"),
        text(format!(
            " {}. A 429 is a rejected call, retried or lost; an integration that paces itself (or retries after a pause) gets the same work done without them. Raising the limit instead is a server setting (",
            capitalised(&advice.join("; "))
        )),
        Span::Code("external.api.max.requests.per.minute"),
        text(") that affects every user."),
    ]))
}

/// `text` with its first letter in capitals.
fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map_or(String::new(), |c| c.to_uppercase().chain(chars).collect())
}

/// What a spike looks like, in a sentence: whose calls rose, or that the errors rose alone.
fn spike_reading(s: &crate::report::rejections::Spike) -> String {
    use crate::report::rejections::SpikeReading;
    let user = s.top_user.as_ref();
    let peak = user.map_or(String::new(), |u| {
        format!(
            " {} made up to {} calls a minute against a limit of {}",
            u.user,
            thousands(u.peak_calls_per_minute),
            thousands(u.rate_limit)
        )
    });
    // `peak` starts with its own space; without it the sentence needs one.
    let lead = if peak.is_empty() {
        " ".to_string()
    } else {
        format!("{peak}. ")
    };
    match (s.reading, user) {
        (SpikeReading::BatchJob, Some(u)) => format!(
            "{peak}, {} a minute on average{}: a batch job.",
            fmt_rate(u.calls_per_minute),
            u.baseline_calls_per_minute
                .map_or(String::new(), |b| format!(" against {} before", fmt_rate(b)))
        ),
        (SpikeReading::ServerProblem, _) => format!(
            "{lead}The volume stayed near {} calls a minute while the rejection rate rose: a server problem, not a user's load.",
            fmt_rate(s.baseline_calls_per_minute)
        ),
        _ => format!(
            "{lead}The volume rose from {} to {} calls a minute, over several users.",
            fmt_rate(s.baseline_calls_per_minute),
            fmt_rate(s.calls_per_minute)
        ),
    }
}

/// A mean per minute: one decimal below ten, whole above.
fn fmt_rate(per_minute: f64) -> String {
    if per_minute < 10.0 {
        format!("{per_minute:.1}")
    } else {
        thousands(per_minute.round() as u64)
    }
}

fn calls(f: &Figures, charts: &Charts, blocks: &mut Vec<Block>) {
    let (Some(users), Some(endpoints)) = (&f.users, &f.endpoints) else {
        blocks.push(Block::Heading(
            "Users, endpoints, rate limit and logins".into(),
        ));
        blocks.push(Block::Paragraph(vec![text(
            "integration.log was not among the inputs, so who calls, which endpoints, the rate limit and avoidable logins are not in this report. Give its files too for them.",
        )]));
        return;
    };
    let title = f.period.title();

    blocks.push(Block::Heading("Who calls the REST API".into()));
    let total = users.total.calls;
    let top: Vec<String> = users
        .rows
        .iter()
        .take(3)
        .map(|r| {
            format!(
                "{} ({} calls, {})",
                key(r),
                thousands(r.calls),
                pct(r.calls as f64 / total.max(1) as f64)
            )
        })
        .collect();
    let listed = match top.len() {
        0 => String::new(),
        1 => format!(": {}", top[0]),
        n => format!(
            "; the busiest were {} and {}",
            top[..n - 1].join(", "),
            top[n - 1]
        ),
    };
    blocks.push(Block::Paragraph(vec![text(format!(
        "{} user{} made {} calls in {title} by integration.log's count{listed}. Successful calls are transactions; unsuccessful ones are what the usage log counts as rejected.",
        user_count(users),
        if user_count(users) == 1 { "" } else { "s" },
        thousands(total),
    ))]));
    if let Some(c) = &charts.users {
        blocks.push(chart(c));
    }
    let (table, left_out) = head(users.tables().remove(0), TABLE_ROWS);
    blocks.push(Block::Table(table));
    if left_out > 0 {
        blocks.push(more(left_out, "users", "data/users.csv"));
    }

    blocks.push(Block::Heading("Endpoints".into()));
    blocks.push(Block::Paragraph(vec![
        text("An endpoint is the method and the path without the API base, query string and record ids, such as "),
        Span::Code("GET /dc/incident/data/{id}"),
        text(format!(
            ". {} endpoints were called in {title}, the busiest first.",
            endpoints.rows.len()
        )),
    ]));
    let (table, left_out) = head(endpoints.tables().remove(0), TABLE_ROWS);
    blocks.push(Block::Table(table));
    if left_out > 0 {
        blocks.push(more(left_out, "endpoints", "data/endpoints.csv"));
    }

    blocks.push(Block::Heading("When the calls come".into()));
    blocks.push(Block::Paragraph(vec![text(format!(
        "Calls per weekday and hour of the server's clock over {title}, as the mean of each weekday's occurrences (a weekday that occurs once more than the others does not look busier).{}",
        users
            .peak_minute
            .as_ref()
            .map_or(String::new(), |p| format!(
                " The busiest minute was {} with {} calls.",
                p.minute,
                thousands(p.calls)
            ))
    ))]));
    if let Some(c) = &charts.heatmap {
        blocks.push(chart(c));
    }

    let limit = &users.rate_limit;
    blocks.push(Block::Heading("The rate limit".into()));
    blocks.push(Block::Paragraph(vec![
        text(format!(
            "ESM allows each user {} calls per minute (",
            limit.limit
        )),
        Span::Code("external.api.max.requests.per.minute"),
        text(") and answers the calls beyond with 429 Too Many Requests, which count as rejected. "),
        text(if limit.users.is_empty() {
            format!("No user reached the limit in {title}.")
        } else {
            format!(
                "In {title}, {} user{} reached it in {} user-minutes, and {} calls were answered 429.",
                limit.users.len(),
                if limit.users.len() == 1 { "" } else { "s" },
                thousands(limit.user_minutes_at_or_over),
                thousands(limit.rate_limited_calls)
            )
        }),
    ]));
    if let Some(c) = &charts.load {
        blocks.push(chart(c));
    }
    blocks.extend(
        RateLimitTables(limit)
            .tables()
            .into_iter()
            .map(Block::Table),
    );
    blocks.extend(rate_limit_advice(limit));

    blocks.push(Block::Heading("Avoidable logins".into()));
    blocks.push(Block::Paragraph(vec![
        text(format!(
            "A token lives {} minutes (",
            f.settings.token_minutes
        )),
        Span::Code("security.external.api.token.expiration.time"),
        text(
            "). Each login is a transaction, so logging in while the last token is still valid spends one for nothing. The fewest logins that cover each user's activity are counted below; the rest are avoidable. Activity is counted per minute, so these are lower bounds.",
        ),
    ]));
    let avoidable: u64 = users.logins.iter().map(|l| l.avoidable).sum();
    let worst = users.logins.iter().find(|l| l.avoidable > 0);
    blocks.push(Block::Paragraph(vec![text(match worst {
        None => "No user logged in more often than its activity needs.".to_string(),
        Some(l) => format!(
            "At least {} logins were avoidable in {title}. {} logged in {} times where {} would have done: at least {} avoidable{}.",
            thousands(avoidable),
            l.user,
            thousands(l.logins),
            thousands(l.needed),
            thousands(l.avoidable),
            l.share_of_transactions
                .map_or(String::new(), |s| format!(", {} of its transactions", pct(s)))
        ),
    })]));
    blocks.extend(
        LoginTables(&users.logins)
            .tables()
            .into_iter()
            .map(Block::Table),
    );
}

fn more(left_out: usize, what: &str, file: &str) -> Block {
    Block::Paragraph(vec![
        text(format!("{left_out} more {what} in ")),
        Span::Link {
            text: file.to_string(),
            href: file.to_string(),
        },
        text("."),
    ])
}

fn lines(f: &Figures, blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("What was read".into()));
    blocks.push(Block::Paragraph(vec![text(
        "Every line of every input is accounted for: lines = parsed + continuation + malformed + orphans + suspicious + blank. Continuation lines are stack traces inside an integration.log entry; orphans are lines before a file's first entry; suspicious lines look like an entry but do not match the layout; duplicates are usage lines or integration.log entries already read from another input (overlapping rotated copies), counted once.",
    )]));
    let files = &f.check.files;
    let read: u64 = files.iter().map(|c| c.lines).sum();
    let malformed: u64 = files.iter().map(|c| c.malformed).sum();
    let orphans: u64 = files.iter().map(|c| c.orphans).sum();
    let suspicious: u64 = files.iter().map(|c| c.suspicious).sum();
    let unknown = files.iter().filter(|c| c.kind == LogKind::Unknown).count();
    let mut skipped = Vec::new();
    if malformed > 0 {
        skipped.push(format!(
            "{} malformed usage-log line{}",
            thousands(malformed),
            if malformed == 1 { "" } else { "s" }
        ));
    }
    if orphans > 0 {
        skipped.push(format!(
            "{} orphan line{} of integration.log",
            thousands(orphans),
            if orphans == 1 { "" } else { "s" }
        ));
    }
    if unknown > 0 {
        skipped.push(format!(
            "{unknown} input{} of neither kind",
            if unknown == 1 { "" } else { "s" }
        ));
    }
    let mut summary = format!(
        "{} lines were read from {} input{}. ",
        thousands(read),
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    summary.push_str(&if skipped.is_empty() {
        "None was skipped.".to_string()
    } else {
        format!("Skipped, with the reasons below: {}.", skipped.join(", "))
    });
    if suspicious > 0 {
        summary.push_str(&format!(
            " {} line{} look like an entry but do not match the layout (suspicious, not counted): check --layout.",
            thousands(suspicious),
            if suspicious == 1 { "" } else { "s" }
        ));
    }
    if !f.check.anomalies.is_empty() {
        summary.push_str(&format!(
            " The usage counters show {} anomal{} (listed below).",
            f.check.anomalies.len(),
            if f.check.anomalies.len() == 1 {
                "y"
            } else {
                "ies"
            }
        ));
    }
    if f.undated_calls > 0 {
        summary.push_str(&format!(
            " {} integration.log calls have no date and are in no month.",
            thousands(f.undated_calls)
        ));
    }
    blocks.push(Block::Paragraph(vec![text(summary)]));
    let mut tables = f.check.tables().into_iter();
    if let Some(per_input) = tables.next() {
        let (table, dropped) = without_zero_columns(per_input);
        blocks.push(Block::Table(table));
        if !dropped.is_empty() {
            blocks.push(Block::Notes(vec![format!(
                "Zero for every input, so left out: {}. data/lines.csv has every column.",
                dropped.join(", ")
            )]));
        }
    }
    blocks.extend(tables.map(|mut table| {
        // The offending lines are log text: shown as code in the page (a line that holds a
        // backtick itself stays plain text rather than break the pairing). The space before
        // the closing backtick keeps it out of a redacted secret's reach: the last pass of
        // redaction would take it as part of the secret.
        if let Some(line) = table.columns.iter().position(|c| c.name == "line") {
            for row in &mut table.rows {
                if let Some(Cell::Text(t)) = row.get_mut(line) {
                    if !t.contains('`') && !t.is_empty() {
                        *t = format!("`{t} `");
                    }
                }
            }
        }
        Block::Table(table)
    }));
    if let Some(users) = &f.users {
        let l = &users.lines;
        blocks.push(Block::Notes(vec![format!(
            "integration.log: {} lines = {} entries + {} continuation + {} orphan + {} suspicious + {} blank; {} calls and {} informational entries in all its days.",
            thousands(l.lines),
            thousands(l.entries),
            thousands(l.continuation),
            thousands(l.orphans),
            thousands(l.suspicious),
            thousands(l.blank),
            thousands(l.calls),
            thousands(l.informational.total())
        )]));
    }
}

/// The table without the count columns that are zero in every row, and their names: the
/// accounting has more columns than a page is wide, and most are zero most of the time.
fn without_zero_columns(mut table: Table) -> (Table, Vec<&'static str>) {
    let zero: Vec<bool> = (0..table.columns.len())
        .map(|i| {
            !table.rows.is_empty()
                && table
                    .rows
                    .iter()
                    .all(|row| matches!(row.get(i), Some(Cell::Count(0))))
        })
        .collect();
    let dropped = table
        .columns
        .iter()
        .zip(&zero)
        .filter(|(_, z)| **z)
        .map(|(c, _)| c.heading)
        .collect();
    let keep = |cells: Vec<Cell>| -> Vec<Cell> {
        cells
            .into_iter()
            .zip(&zero)
            .filter(|(_, z)| !**z)
            .map(|(c, _)| c)
            .collect()
    };
    table.columns = table
        .columns
        .into_iter()
        .zip(&zero)
        .filter(|(_, z)| !**z)
        .map(|(c, _)| c)
        .collect();
    table.rows = table.rows.into_iter().map(keep).collect();
    table.total = table.total.map(keep);
    (table, dropped)
}

fn files(charts: &Charts, data: &[DataFile], blocks: &mut Vec<Block>) {
    blocks.push(Block::Heading("Files of this report".into()));
    let link = |path: String, what: String| {
        vec![
            Span::Link {
                text: path.clone(),
                href: path,
            },
            text(format!(": {what}")),
        ]
    };
    let mut items: Vec<Vec<Span>> =
        vec![link("report.md".into(), "this report in Markdown".into())];
    items.extend(
        charts
            .all()
            .into_iter()
            .map(|c| link(format!("charts/{}", c.file), c.title.to_lowercase())),
    );
    items.extend(
        data.iter()
            .map(|(name, what, _)| link(format!("data/{name}"), (*what).to_string())),
    );
    items.push(link(
        "summary.json".into(),
        "the headline figures and the line accounting, for scripts".into(),
    ));
    blocks.push(Block::List(items));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(consumed: u64, min: u64, max: Option<u64>, exact: bool) -> MonthRow {
        MonthRow {
            month: "2023-10".into(),
            consumed,
            figures: crate::report::figures::ConsumedFigures {
                consumed_min: min,
                consumed_estimate: consumed,
                consumed_max: max,
                consumed_max_if_one_restart: None,
                plus_minus: max.map(|max| (consumed - min).max(max - consumed)),
                exact,
                partial: false,
                coverage: None,
            },
            rejected: 0,
            rejection_rate: None,
            status: PeriodStatus::Open,
            periods: 1,
            integration: None,
        }
    }

    #[test]
    fn figures_read_as_the_tables_show_them() {
        assert_eq!(shown(&month(15779, 15779, Some(15779), true)), "15,779");
        // ± is the farthest the true count can lie from the estimate: here up to the max.
        assert_eq!(
            shown(&month(50689, 50364, Some(52363), false)),
            "50,689 ± 1,674"
        );
        assert_eq!(shown(&month(10000, 10000, None, false)), "≥ 10,000");
        assert_eq!(signed(-1234), "-1,234");
        assert_eq!(signed(5), "+5");
    }

    #[test]
    fn spike_stretches_name_the_day_once() {
        assert_eq!(
            stretch("2023-10-26T11:26:00+03:00", "2023-10-26T11:42:00+03:00"),
            "2023-10-26 11:26 to 11:42"
        );
        assert_eq!(
            stretch("2023-10-26T23:58:00+03:00", "2023-10-27T00:03:00+03:00"),
            "2023-10-26 23:58 to 2023-10-27 00:03"
        );
    }

    #[test]
    fn zero_columns_are_left_out() {
        let table = Table {
            title: String::new(),
            columns: vec![
                Column::text("path", "path"),
                Column::figure("lines", "lines"),
                Column::figure("blank", "blank"),
            ],
            rows: vec![
                vec![Cell::Text("a".into()), Cell::Count(3), Cell::Count(0)],
                vec![Cell::Text("b".into()), Cell::Count(0), Cell::Count(0)],
            ],
            total: None,
        };
        let (table, dropped) = without_zero_columns(table);
        assert_eq!(dropped, vec!["blank"]);
        assert_eq!(table.columns.len(), 2);
        assert_eq!(table.rows[1], vec![Cell::Text("b".into()), Cell::Count(0)]);
    }
}
