//! `esmlog monthly`.

use super::{integration_counts, load_usage, write_report, CommandError, Status};
use crate::cli::UsageArgs;
use crate::report::monthly::monthly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    let mut inputs = load_usage(args)?;
    let integration = integration_counts(&mut inputs.ingest, &args.input)?;
    let report = monthly_report(&inputs.timeline, &inputs.options, integration.as_ref())?;
    write_report(&report, &args.output, &inputs.input_paths)?;
    Ok(Status::Clean)
}
