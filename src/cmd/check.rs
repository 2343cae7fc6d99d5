//! `esmlog check`.

use super::{clock_of, read_inputs, scan_with_threads, write_report, CommandError, Status};
use crate::cli::CheckArgs;
use crate::integration::layout::LayoutParser;
use crate::integration::scan::ScanOptions;
use crate::report::check::check_report;
use crate::usage::period::build_timeline;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(args: &CheckArgs) -> Result<Status, CommandError> {
    let clock = clock_of(&args.input.tz)?;
    let mut ingest = read_inputs(&args.input)?;
    let input_paths: Vec<PathBuf> = ingest
        .usage
        .iter()
        .map(|f| PathBuf::from(&f.name))
        .chain(
            ingest
                .integration
                .iter()
                .filter_map(|i| i.input.disk_path().map(PathBuf::from)),
        )
        .collect();
    let timeline = build_timeline(&ingest.usage, clock);
    let options = ScanOptions::new(Arc::new(LayoutParser::compile(&args.input.layout)?));
    let scanned = scan_with_threads(std::mem::take(&mut ingest.integration), &options, None)?;
    for error in &scanned.errors {
        crate::messages::error(&error.to_string());
    }
    let report = check_report(
        &ingest.usage,
        &scanned.files,
        &ingest.skipped,
        timeline.anomalies,
    );
    write_report(&report, &args.output, &input_paths)?;
    Ok(if report.has_problems() {
        Status::Findings
    } else {
        Status::Clean
    })
}
