//! `esmlog weekly`.

use super::{integration_counts, load_usage, write_chart, write_report, CommandError, Status};
use crate::cli::UsageArgs;
use crate::report::charts;
use crate::report::weekly::weekly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    let mut inputs = load_usage(args)?;
    let integration = integration_counts(&mut inputs.ingest, &args.input)?;
    let report = weekly_report(&inputs.timeline, &inputs.options, integration.as_ref())?;
    write_report(&report, &args.output, &inputs.input_paths)?;
    write_chart(&args.chart, &inputs.input_paths, || {
        charts::weekly_chart(&report)
    })?;
    write_chart(&args.cumulative_chart, &inputs.input_paths, || {
        charts::cumulative_chart(&inputs.timeline)
    })?;
    Ok(Status::Clean)
}
