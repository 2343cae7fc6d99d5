//! `esmlog weekly`.

use super::{load_usage, write_report, CommandError, Status};
use crate::cli::UsageArgs;
use crate::report::weekly::weekly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    let inputs = load_usage(args)?;
    let report = weekly_report(&inputs.timeline, &inputs.options)?;
    write_report(&report, &args.output, &inputs.input_paths)?;
    Ok(Status::Clean)
}
