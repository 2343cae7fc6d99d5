//! `esmlog check`.

use super::{clock_of, read_inputs, scan_integration, write_report, CommandError, Status};
use crate::cli::CheckArgs;
use crate::ingest::LayoutFinding;
use crate::report::check::check_report;
use crate::usage::period::build_timeline;

pub fn run(args: &CheckArgs) -> Result<Status, CommandError> {
    if args.show_config {
        show_config()?;
    }
    let clock = clock_of(&args.input.reading.tz)?;
    let mut ingest = read_inputs(&args.input)?;
    let input_paths = ingest.disk_paths();
    let timeline = build_timeline(&ingest.usage, clock)?;
    let scanned = scan_integration(&mut ingest, &args.input, |_| {}, None)?;
    let files = scanned.map(|s| s.files).unwrap_or_default();
    let mut report = check_report(&ingest.usage, &files, &ingest.skipped, timeline.anomalies);
    let shows_layout =
        !files.is_empty() || matches!(ingest.layout_finding, LayoutFinding::NotFound { .. });
    if shows_layout {
        report.layout = Some(ingest.layout_finding.describe(&ingest.layout));
    }
    write_report(&report, &args.output, &input_paths)?;
    Ok(if report.has_problems() {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// The settings in force and where each came from, before the check.
fn show_config() -> Result<(), CommandError> {
    use crate::render::{Cell, Column, Exporter, Table};
    let table = Table {
        title: "Settings in force".into(),
        columns: vec![
            Column::text("setting", "setting"),
            Column::text("value", "value"),
            Column::text("from", "from"),
        ],
        rows: crate::settings::sources()
            .iter()
            .map(|s| {
                vec![
                    Cell::Text(s.key.into()),
                    Cell::Text(if s.value.is_empty() {
                        "-".into()
                    } else {
                        s.value.clone()
                    }),
                    Cell::Text(s.from.clone()),
                ]
            })
            .collect(),
        total: None,
    };
    crate::output::write_output("-", &[], |out| {
        crate::render::text::TextExporter.export(&[table], &[], out)?;
        writeln!(out)
    })?;
    Ok(())
}
