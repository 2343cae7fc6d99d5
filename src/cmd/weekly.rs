//! `esmlog weekly`.

use super::fleet::run_usage_command;
use super::{CommandError, Status};
use crate::cli::UsageArgs;
use crate::report::charts;
use crate::report::weekly::weekly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    run_usage_command(args, weekly_report, charts::weekly_chart)
}
