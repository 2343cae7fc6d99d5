//! `esmlog rejections`.

use super::{
    clock_of, range_spec, read_inputs, scan_integration, write_chart, write_report, CommandError,
    Status,
};
use crate::cli::RejectionsArgs;
use crate::messages;
use crate::report::charts;
use crate::report::rejections::{rejections_report, RejectionSettings};
use crate::usage::period::build_timeline;

pub fn run(args: &RejectionsArgs) -> Result<Status, CommandError> {
    let clock = clock_of(&args.input.reading.tz)?;
    let spec = range_spec(&args.range)?;
    let mut ingest = read_inputs(&args.input)?;
    if ingest.usage.is_empty() && ingest.integration.is_empty() {
        return Err(CommandError::NoUsageLog {
            inputs: args.input.paths.join(", "),
        });
    }
    let input_paths = ingest.disk_paths();
    super::report_line_problems(&ingest);
    let timeline = build_timeline(&ingest.usage, clock)?;
    super::count_problems(timeline.anomalies.len() as u64);
    let newest_usage = ingest
        .usage
        .iter()
        .flat_map(|f| f.records.iter().map(|r| r.stamp))
        .max();
    // The whole log is scanned (spikes need the minutes before the range for their
    // baseline), so it gives the newest line for `--last` without a second reading.
    let scanned = scan_integration(&mut ingest, &args.input, |_| {}, None)?;
    let newest = scanned
        .iter()
        .flat_map(|s| s.files.iter().filter_map(|f| f.last))
        .chain(newest_usage)
        .max();
    let range = spec
        .resolve(newest)
        .map_err(crate::error::UsageError::from)?;
    if args.input.reading.tz.is_none() && timeline.periods.is_empty() {
        messages::warn("no usage log and no --tz: times are shown without a UTC offset");
    }
    let report = rejections_report(
        &timeline,
        clock,
        range,
        scanned
            .as_ref()
            .map(|s| (s.calls.minutes.as_slice(), s.calls.failures.as_slice())),
        RejectionSettings {
            params: args.spike.params(),
            top: 3,
            rate_limit: args.rate_limit,
        },
    )?;
    write_report(&report, &args.output, &input_paths)?;
    write_chart(&args.chart, &input_paths, || {
        let part = scanned
            .as_ref()
            .map(|s| crate::report::bundle::within(s, range));
        charts::rejection_chart(&report, part.as_ref())
    })?;
    let alerts = crate::report::alerts::Alerts {
        spikes: report.spikes.len(),
        ..Default::default()
    };
    let fail = crate::cli::AlertArgs {
        fail_on_problems: args.fail_on_problems,
        ..Default::default()
    };
    Ok(super::alerts::status_of(&super::alerts::reasons(
        &alerts,
        &fail,
        args.fail_on_spike,
    )))
}
