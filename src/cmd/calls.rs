//! `esmlog calls`.

use super::{
    message_pattern_of, range_spec, read_inputs, resolve_range, scan_integration, write_chart,
    write_report, CommandError, Status,
};
use crate::cli::CallsArgs;
use crate::integration::aggregate::Dim;
use crate::integration::scan::ScanOptions;
use crate::report::bundle::within;
use crate::report::calls::{calls_report, CallsSettings};
use crate::report::charts;

pub fn run(args: &CallsArgs) -> Result<Status, CommandError> {
    let mut by = Vec::new();
    for name in &args.by {
        for dim in Dim::parse_list(name)? {
            if !by.contains(&dim) {
                by.push(dim);
            }
        }
    }
    let spec = range_spec(&args.range)?;
    let mut ingest = read_inputs(&args.input)?;
    let input_paths = ingest.disk_paths();
    let range = resolve_range(&spec, &ingest, &args.input)?;
    let message_pattern = message_pattern_of(args.message_pattern.as_deref())?;
    let configure = |options: &mut ScanOptions| {
        // Users are always counted: the users chart and the login analysis need them.
        options.dims = by.clone();
        if !options.dims.contains(&Dim::User) {
            options.dims.push(Dim::User);
        }
        options.redact = crate::redact::enabled();
        options.message_pattern = message_pattern;
        // Spike causes are the rejections report's; none of these tables or charts reads them.
        options.failures = false;
        options.window = range;
    };
    let Some(scanned) = scan_integration(&mut ingest, &args.input, configure, args.threads)? else {
        return Err(CommandError::NoIntegrationLog {
            inputs: args.input.paths.join(", "),
        });
    };
    // The scan cut the groups to the range; the minutes (rate limit, logins, busiest
    // minute, charts) are cut here, by the same range.
    let result = within(&scanned, range);
    let report = calls_report(
        &result,
        &by,
        CallsSettings {
            rate_limit: args.rate_limit,
            token_minutes: args.token_minutes,
            top_minutes: 10,
        },
    )?;
    let report = report.in_range(range);
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
    let reasons: Vec<String> = super::alerts::problem_reason(args.fail_on_problems)
        .into_iter()
        .collect();
    Ok(super::alerts::status_of(&reasons))
}
