//! `esmlog monthly`.

use super::fleet::fleet_report;
use super::{integration_counts, load_usage, write_chart, write_report, CommandError, Status};
use crate::cli::UsageArgs;
use crate::fleet::{environments, input_args_of};
use crate::report::charts;
use crate::report::monthly::monthly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    let envs = environments(&args.input)?;
    if envs.len() > 1 {
        let fleet = fleet_report(args, &envs, monthly_report)?;
        write_report(&fleet.report, &args.output, &fleet.input_paths)?;
        write_chart(&args.chart, &fleet.input_paths, || {
            charts::monthly_chart(&fleet.report.all)
        })?;
        write_chart(&args.cumulative_chart, &fleet.input_paths, || {
            charts::cumulative_chart(&fleet.timeline)
        })?;
        return Ok(Status::Clean);
    }
    let mut args = args.clone();
    args.input = input_args_of(&args.input, &envs[0]);
    let args = &args;
    let mut inputs = load_usage(args)?;
    let integration = integration_counts(&mut inputs.ingest, &args.input)?;
    let report = monthly_report(&inputs.timeline, &inputs.options, integration.as_ref())?;
    write_report(&report, &args.output, &inputs.input_paths)?;
    write_chart(&args.chart, &inputs.input_paths, || {
        charts::monthly_chart(&report)
    })?;
    write_chart(&args.cumulative_chart, &inputs.input_paths, || {
        charts::cumulative_chart(&inputs.timeline)
    })?;
    Ok(Status::Clean)
}
