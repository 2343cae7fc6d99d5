//! `esmlog calls`.

use super::{
    read_inputs, report_scan_problems, scan_with_threads, write_chart, write_report, CommandError,
    Status,
};
use crate::cli::CallsArgs;
use crate::integration::aggregate::Dim;
use crate::integration::call::MessagePattern;
use crate::integration::layout::LayoutParser;
use crate::integration::scan::ScanOptions;
use crate::messages;
use crate::progress::ProgressBar;
use crate::report::calls::{calls_report, CallsSettings};
use crate::report::charts;
use std::path::PathBuf;
use std::sync::Arc;

pub fn run(args: &CallsArgs) -> Result<Status, CommandError> {
    let mut by = Vec::new();
    for name in &args.by {
        for dim in Dim::parse_list(name)? {
            if !by.contains(&dim) {
                by.push(dim);
            }
        }
    }
    let ingest = read_inputs(&args.input)?;
    if ingest.integration.is_empty() {
        return Err(CommandError::NoIntegrationLog {
            inputs: args.input.paths.join(", "),
        });
    }
    let input_paths: Vec<PathBuf> = ingest
        .integration
        .iter()
        .filter_map(|i| i.input.disk_path().map(PathBuf::from))
        .collect();
    let mut options = ScanOptions::new(Arc::new(LayoutParser::compile(&args.input.layout)?));
    // Users are always counted: the users chart and the login analysis need them.
    options.dims = by.clone();
    if !options.dims.contains(&Dim::User) {
        options.dims.push(Dim::User);
    }
    options.redact = !args.no_redact;
    if let Some(pattern) = &args.message_pattern {
        options.message_pattern = Some(Arc::new(MessagePattern::new(pattern)?));
    }
    if args.no_redact {
        messages::warn(
            "--no-redact: secrets in the logs are printed as they are; do not share this output",
        );
    }
    let progress = ProgressBar::for_inputs(&ingest.integration, args.input.quiet);
    options.progress = progress.callback();
    let result = scan_with_threads(ingest.integration, &options, args.threads)?;
    progress.finish();
    report_scan_problems(&result);
    let report = calls_report(
        &result,
        &by,
        CallsSettings {
            rate_limit: args.rate_limit,
            token_minutes: args.token_minutes,
            top_minutes: 10,
        },
    )?;
    write_report(&report, &args.output, &input_paths)?;
    write_chart(&args.chart, &input_paths, || {
        charts::top_users_chart(&result)
    })?;
    write_chart(&args.heatmap, &input_paths, || {
        charts::heatmap_chart(&result)
    })?;
    write_chart(&args.load_chart, &input_paths, || {
        charts::minute_load_chart(&result, args.rate_limit)
    })?;
    Ok(Status::Clean)
}
