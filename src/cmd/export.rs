//! `esmlog export`: every environment's usage tables and calls into the output folder.

use super::environments::{environments, input_args_of};
use super::{
    clock_of, days_of_time_only_inputs, message_pattern_of, read_inputs, report_line_problems,
    report_scan_problems, scan_with_pool, CommandError, Status,
};
use crate::cli::ExportArgs;
use crate::export::calls::CallExport;
use crate::export::usage::write_usage;
use crate::export::{clear_parts, environment_dir, ExportTable};
use crate::integration::scan::{overlaps_of, scan_into, ScanOptions, ScanResult};
use crate::messages;
use crate::progress::ProgressBar;
use crate::render::thousands;
use crate::usage::period::build_timeline;
use std::path::PathBuf;

/// Asks glibc to keep the memory an export frees for the next allocation, instead of
/// handing it back to the kernel. An export allocates and frees a row group's columns and
/// encoded pages (a few MB each) over and over; above glibc's mmap threshold each of them
/// was a fresh `mmap` whose pages faulted in one by one, then an `munmap`. Export only: the
/// other commands' buffers are reused by the code itself, and their peak RSS is a goal.
fn keep_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator settings; called before the scan's threads start.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// What was written for one environment, for the summary on stderr.
struct Written {
    environment: String,
    calls: u64,
    call_files: u64,
    periods: u64,
    intervals: u64,
    buckets: u64,
}

pub fn run(args: &ExportArgs) -> Result<Status, CommandError> {
    keep_freed_memory();
    let envs = environments(&args.input)?;
    let clock = clock_of(&args.input.reading.tz)?;
    let out = PathBuf::from(&args.out);
    let exporter = args
        .format
        .exporter(crate::render::csv::LineEnd::crlf_if(args.csv_crlf));
    let message_pattern = message_pattern_of(args.message_pattern.as_deref())?;
    // The global --no-redact (main.rs warns about it) is the one switch for every output.
    let redact = crate::redact::enabled();
    let mut summary = Vec::new();
    for env in &envs {
        let input = input_args_of(&args.input, env);
        let mut ingest = read_inputs(&input)?;
        if ingest.usage.is_empty() && ingest.integration.is_empty() {
            return Err(CommandError::NoLogs {
                environment: env.name.clone(),
                inputs: env.paths.join(", "),
            });
        }
        for table in ExportTable::ALL {
            clear_parts(&environment_dir(&out, table, &env.name))?;
        }
        let mut written = Written {
            environment: env.name.clone(),
            calls: 0,
            call_files: 0,
            periods: 0,
            intervals: 0,
            buckets: 0,
        };
        if !ingest.usage.is_empty() {
            report_line_problems(&ingest);
            let timeline = build_timeline(&ingest.usage, clock)?;
            let [periods, intervals, buckets] =
                write_usage(exporter, &out, &env.name, &timeline, clock)?;
            written.periods = periods;
            written.intervals = intervals;
            written.buckets = buckets;
        }
        if !ingest.integration.is_empty() {
            let mut options = ScanOptions::new(ingest.layout.clone());
            options.message_pattern = message_pattern.clone();
            options.duration_unit = args.input.reading.duration_unit;
            options.date = days_of_time_only_inputs(&options, &ingest.integration, &args.input)?;
            options.redact = redact;
            let progress = ProgressBar::for_inputs(&ingest.integration);
            options.progress = progress.callback();
            let sink = CallExport::new(
                exporter,
                &out,
                &env.name,
                args.rows_per_group,
                redact,
                clock,
            );
            let inputs = std::mem::take(&mut ingest.integration);
            let scanned = scan_with_pool(args.threads, || scan_into(inputs, &options, &sink))?;
            progress.finish();
            // Rows are written as they are read, so overlapping copies cannot be merged here.
            let overlap_unmerged = !overlaps_of(&scanned.files).is_empty();
            report_scan_problems(&ScanResult {
                calls: Default::default(),
                files: scanned.files,
                errors: scanned.errors,
                overlap_unmerged,
            });
            let calls = sink.finish()?;
            written.calls = calls.rows;
            written.call_files = calls.files;
        }
        summary.push(written);
    }
    for w in &summary {
        messages::status(&format!(
            "{}: {} calls in {} file(s); {} usage periods, {} intervals, {} week/month pieces → {}",
            w.environment,
            thousands(w.calls),
            thousands(w.call_files),
            thousands(w.periods),
            thousands(w.intervals),
            thousands(w.buckets),
            out.display()
        ));
    }
    Ok(Status::Clean)
}
