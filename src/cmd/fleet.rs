//! The usage commands over several environments: each environment's inputs read on their
//! own, its report built, and the report of all of them together (see
//! [`crate::report::fleet`]).

use super::{integration_counts, load_usage, CommandError};
use crate::cli::UsageArgs;
use crate::fleet::{input_args_of, merge_counts, merge_timelines, Environment};
use crate::report::fleet::{EnvironmentReport, FleetReport};
use crate::report::reconcile::IntegrationCounts;
use crate::report::UsageOptions;
use crate::usage::period::Timeline;
use polars::prelude::PolarsResult;
use std::path::PathBuf;

/// A fleet report and what its charts and output need.
pub struct FleetRun<R> {
    pub report: FleetReport<R>,
    /// All environments' timelines as one.
    pub timeline: Timeline,
    /// Every input on disk, never to be written over.
    pub input_paths: Vec<PathBuf>,
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
        timeline,
        input_paths: loaded
            .iter()
            .flat_map(|(_, i, _)| i.input_paths.iter().cloned())
            .collect(),
    })
}
