//! The usage commands over several environments: each environment's inputs read on their
//! own, its report built, and the report of all of them together (see
//! [`crate::report::fleet`]).

use super::environments::{environments, input_args_of, Environment};
use super::{integration_counts, load_usage, write_chart, write_report, CommandError, Status};
use crate::calendar::TimeRange;
use crate::cli::UsageArgs;
use crate::render::Report;
use crate::report::alerts::HasAlerts;
use crate::report::charts;
use crate::report::fleet::{EnvironmentReport, FleetReport};
use crate::report::reconcile::merge_counts;
use crate::report::reconcile::IntegrationCounts;
use crate::report::UsageOptions;
use crate::usage::merge::merge_timelines;
use crate::usage::period::Timeline;
use chrono::NaiveDate;
use polars::prelude::PolarsResult;
use std::path::PathBuf;

/// The first and last day of data, within `--since`, `--until` or `--last`: what a chart's
/// partial buckets are measured against.
fn covered_days(timeline: &Timeline, range: TimeRange) -> Option<(NaiveDate, NaiveDate)> {
    timeline.span().map(|(first, last)| {
        let first = first.local.date();
        let last = last.local.date();
        (
            range.first_day().map_or(first, |s| s.max(first)),
            range.last_day().map_or(last, |u| u.min(last)),
        )
    })
}

/// A fleet report and what its charts and output need.
pub struct FleetRun<R> {
    pub report: FleetReport<R>,
    /// All environments' timelines as one.
    pub timeline: Timeline,
    /// Every input on disk, never to be written over.
    pub input_paths: Vec<PathBuf>,
    /// The range reported, `--last` resolved.
    pub range: TimeRange,
}

/// Builds `build`'s report for each environment and for all of them together. The fleet's
/// integration.log counts are used only when every environment has an integration.log, so
/// that a reconciliation never compares one environment's calls with several's usage.
pub fn fleet_report<R>(
    args: &UsageArgs,
    envs: &[Environment],
    build: impl Fn(&Timeline, &UsageOptions, Option<&IntegrationCounts>) -> PolarsResult<R>,
) -> Result<FleetRun<R>, CommandError> {
    let mut loaded = Vec::new();
    for env in envs {
        let mut env_args = args.clone();
        env_args.input = input_args_of(&args.input, env);
        let mut inputs = load_usage(&env_args)?;
        let counts = integration_counts(&mut inputs.ingest, &env_args.input)?;
        loaded.push((env.name.clone(), inputs, counts));
    }
    // `--last` counts back from the newest line of all the environments, so that every
    // environment, and their sum, covers the same window.
    let newest = loaded.iter().filter_map(|(_, i, _)| i.newest).max();
    for (_, inputs, _) in &mut loaded {
        if inputs.spec.needs_newest() {
            inputs.options.range = inputs
                .spec
                .resolve(newest)
                .map_err(crate::error::UsageError::from)?;
        }
    }
    let mut environments = Vec::new();
    for (name, inputs, counts) in &loaded {
        environments.push(EnvironmentReport {
            environment: name.clone(),
            report: build(&inputs.timeline, &inputs.options, counts.as_ref())?,
        });
    }
    let timeline = merge_timelines(
        &loaded
            .iter()
            .map(|(_, i, _)| &i.timeline)
            .collect::<Vec<_>>(),
    );
    let counts: Option<Vec<&IntegrationCounts>> =
        loaded.iter().map(|(_, _, c)| c.as_ref()).collect();
    let all_counts = counts.map(|c| merge_counts(&c));
    let options = &loaded[0].1.options;
    let all = build(&timeline, options, all_counts.as_ref())?;
    Ok(FleetRun {
        report: FleetReport { environments, all },
        range: options.range,
        timeline,
        input_paths: loaded
            .iter()
            .flat_map(|(_, i, _)| i.input_paths.iter().cloned())
            .collect(),
    })
}

/// What `weekly` and `monthly` share: one environment's report, or the fleet's, written
/// with its bucket chart (`chart_of`, given the first and last day of data in the range) and
/// the cumulative chart; findings when a `--fail-on-…` condition holds.
pub fn run_usage_command<R: Report + HasAlerts>(
    args: &UsageArgs,
    build: impl Fn(&Timeline, &UsageOptions, Option<&IntegrationCounts>) -> PolarsResult<R>,
    chart_of: impl Fn(&R, Option<(NaiveDate, NaiveDate)>) -> String,
) -> Result<Status, CommandError> {
    let envs = environments(&args.input)?;
    if envs.len() > 1 {
        let fleet = fleet_report(args, &envs, build)?;
        write_report(&fleet.report, &args.output, &fleet.input_paths)?;
        let covered = covered_days(&fleet.timeline, fleet.range);
        write_chart(&args.chart, &fleet.input_paths, || {
            chart_of(&fleet.report.all, covered)
        })?;
        write_chart(&args.cumulative_chart, &fleet.input_paths, || {
            charts::cumulative_chart(&fleet.timeline)
        })?;
        let reasons = super::alerts::reasons(&fleet.report.alerts(), &args.alerts, false);
        return Ok(super::alerts::status_of(&reasons));
    }
    let mut args = args.clone();
    args.input = input_args_of(&args.input, &envs[0]);
    let mut inputs = load_usage(&args)?;
    let integration = integration_counts(&mut inputs.ingest, &args.input)?;
    let report = build(&inputs.timeline, &inputs.options, integration.as_ref())?;
    write_report(&report, &args.output, &inputs.input_paths)?;
    let covered = covered_days(&inputs.timeline, inputs.options.range);
    write_chart(&args.chart, &inputs.input_paths, || {
        chart_of(&report, covered)
    })?;
    write_chart(&args.cumulative_chart, &inputs.input_paths, || {
        charts::cumulative_chart(&inputs.timeline)
    })?;
    let reasons = super::alerts::reasons(&report.alerts(), &args.alerts, false);
    Ok(super::alerts::status_of(&reasons))
}
