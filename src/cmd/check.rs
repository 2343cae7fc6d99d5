//! `esmlog check`.

use super::{clock_of, read_inputs, scan_integration, write_report, CommandError, Status};
use crate::cli::CheckArgs;
use crate::report::check::check_report;
use crate::usage::period::build_timeline;

pub fn run(args: &CheckArgs) -> Result<Status, CommandError> {
    let clock = clock_of(&args.input.tz)?;
    let mut ingest = read_inputs(&args.input)?;
    let input_paths = ingest.disk_paths();
    let timeline = build_timeline(&ingest.usage, clock)?;
    let scanned = scan_integration(&mut ingest, &args.input, |_| {}, None)?;
    let files = scanned.map(|s| s.files).unwrap_or_default();
    let report = check_report(&ingest.usage, &files, &ingest.skipped, timeline.anomalies);
    write_report(&report, &args.output, &input_paths)?;
    Ok(if report.has_problems() {
        Status::Findings
    } else {
        Status::Clean
    })
}
