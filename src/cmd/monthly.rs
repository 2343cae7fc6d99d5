//! `esmlog monthly`.

use super::fleet::run_usage_command;
use super::{CommandError, Status};
use crate::cli::UsageArgs;
use crate::report::charts;
use crate::report::monthly::monthly_report;

pub fn run(args: &UsageArgs) -> Result<Status, CommandError> {
    run_usage_command(args, monthly_report, |report, _| {
        charts::monthly_chart(report)
    })
}
