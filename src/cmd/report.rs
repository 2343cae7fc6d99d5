//! `esmlog report`: reads the logs once, builds the bundle for the chosen month and writes
//! its files into the output folder, each one atomically, touching nothing else there.

use super::{load_usage, range_spec, resolve_range, scan_integration, CommandError, Status};
use crate::calendar::TimeRange;
use crate::cli::{InputArgs, OutputArgs, ReportArgs, UsageArgs};
use crate::error::UsageError;
use crate::output::write_output;
use crate::render::csv::LineEnd;
use crate::render::Format;
use crate::report::bundle::{
    build, choose_period, months_with_data, parse_month, Bundle, Selection, Sources, SCAN_DIMS,
};
use crate::report::calls::CallsSettings;
use crate::report::check::check_report;
use crate::usage::period::Timeline;
use std::path::{Path, PathBuf};

/// The usage commands' flags that the report shares, for [`load_usage`]: the whole span is
/// loaded, and the bundle restricts it to the month itself.
fn usage_args(args: &ReportArgs) -> UsageArgs {
    UsageArgs {
        input: InputArgs {
            paths: args.input.paths.clone(),
            reading: args.input.reading.clone(),
            date: args.input.date.clone(),
            environment: Vec::new(),
            environments_by_folder: false,
        },
        output: OutputArgs {
            format: Format::Table,
            output: "-".into(),
            csv_crlf: args.csv_crlf,
        },
        range: crate::cli::RangeArgs::default(),
        quota: args.quota,
        quota_period: args.quota_period,
        chart: None,
        cumulative_chart: None,
        alerts: crate::cli::AlertArgs::default(),
    }
}

/// Writes the bundle for the month asked for (by default the last complete one); with
/// several environments, one bundle per environment in `DIR/<environment>/`.
pub fn run(args: &ReportArgs) -> Result<Status, CommandError> {
    let envs = super::environments::environments(&args.input)?;
    if envs.len() > 1 || !args.input.environment.is_empty() || args.input.environments_by_folder {
        let mut status = Status::Clean;
        for env in &envs {
            let mut env_args = args.clone();
            env_args.input = super::environments::input_args_of(&args.input, env);
            if envs.len() > 1 {
                env_args.out = Path::new(&args.out).join(&env.name).display().to_string();
            }
            if run_one(&env_args)? == Status::Findings {
                status = Status::Findings;
            }
        }
        return Ok(status);
    }
    run_one(args)
}

/// The bundle of one environment.
fn run_one(args: &ReportArgs) -> Result<Status, CommandError> {
    let spec = range_spec(&args.range)?;
    let ranged =
        args.range.since.is_some() || args.range.until.is_some() || args.range.last.is_some();
    if ranged && (args.month.is_some() || args.all) {
        return Err(UsageError::BadValue {
            flag: if args.all { "--all" } else { "--month" },
            value: args.month.clone().unwrap_or_default(),
            reason: "a report covers a month, all the data, or the stretch of --since/--until/--last; give one of them".into(),
        }
        .into());
    }
    let out = PathBuf::from(&args.out);
    refuse_inside_inputs(&out, &args.input.paths)?;
    let mut inputs = load_usage(&usage_args(args))?;
    let selection = match (&args.month, args.all, ranged) {
        (_, _, true) => {
            let range = resolve_range(&spec, &inputs.ingest, &args.input)?;
            refuse_window_without_data(&inputs.timeline, range)?;
            Selection::Range(range)
        }
        (Some(month), _, _) => Selection::Month(parse_month(month)?),
        (None, true, _) => Selection::All,
        (None, false, _) => Selection::LastComplete,
    };
    let months = months_with_data(&inputs.timeline, inputs.options.clock)?;
    let last_data = inputs
        .timeline
        .span()
        .map(|(_, last)| last.local.date())
        .unwrap_or_default();
    let period = choose_period(selection, &months, last_data)?;

    // The tables by user and endpoint count the period's calls alone; the minutes keep the
    // whole log, for the baselines of spikes and the months before.
    let scan = scan_integration(
        &mut inputs.ingest,
        &args.input,
        |options| {
            options.dims = SCAN_DIMS.to_vec();
            options.window = period.range();
        },
        None,
    )?;
    let check = check_report(
        &inputs.ingest.usage,
        scan.as_ref().map_or(&[][..], |s| s.files.as_slice()),
        &inputs.ingest.skipped,
        inputs.timeline.anomalies.clone(),
    );
    let bundle = build(
        Sources {
            timeline: &inputs.timeline,
            clock: inputs.options.clock,
            tz: args.input.reading.tz.as_deref(),
            quota: inputs.options.quota,
            scan: scan.as_ref(),
            check,
            settings: CallsSettings {
                rate_limit: args.rate_limit,
                token_minutes: args.token_minutes,
                top_minutes: 10,
            },
            csv_line_end: LineEnd::crlf_if(args.csv_crlf),
        },
        period,
    )?;
    write_bundle(&out, &bundle, &inputs.input_paths)?;
    let count = |prefix: &str| {
        bundle
            .files
            .iter()
            .filter(|f| f.path.starts_with(prefix))
            .count()
    };
    crate::messages::status(&format!(
        "wrote the report for {} to {}: index.html, report.md, summary.json, {} charts and {} CSV tables",
        period.title(),
        out.display(),
        count("charts/"),
        count("data/")
    ));
    let reasons = super::alerts::reasons(&bundle.alerts, &args.alerts, args.fail_on_spike);
    Ok(super::alerts::status_of(&reasons))
}

/// A stretch the usage log says nothing of is refused, as a month without data is: the
/// report would be empty.
fn refuse_window_without_data(timeline: &Timeline, range: TimeRange) -> Result<(), UsageError> {
    let Some((first, last)) = timeline.span() else {
        return Ok(());
    };
    if range.overlaps(first.local, last.local) {
        return Ok(());
    }
    Err(UsageError::BadValue {
        flag: "--since/--until",
        value: range.describe(),
        reason: format!(
            "the usage log says nothing of this stretch: its lines run from {} to {}; give a stretch that overlaps them",
            first.local.format("%Y-%m-%d %H:%M"),
            last.local.format("%Y-%m-%d %H:%M")
        ),
    })
}

/// Writes every file of the bundle under `out`, each through a temporary name, so that a
/// reader never sees half a file; other files in `out` are left as they are.
fn write_bundle(out: &Path, bundle: &Bundle, inputs: &[PathBuf]) -> Result<(), CommandError> {
    let create = |dir: &Path| {
        std::fs::create_dir_all(dir).map_err(|source| UsageError::Write {
            path: dir.display().to_string(),
            source,
        })
    };
    create(out)?;
    for file in &bundle.files {
        let path = file
            .path
            .split('/')
            .fold(out.to_path_buf(), |p, part| p.join(part));
        if let Some(parent) = path.parent() {
            create(parent)?;
        }
        write_output(&path.to_string_lossy(), inputs, |w| {
            w.write_all(&file.contents)
        })?;
    }
    Ok(())
}

/// `path` made absolute through its nearest existing ancestor, so that a folder that does
/// not exist yet can be compared with the inputs.
fn resolved(path: &Path) -> PathBuf {
    let mut existing = path;
    let mut rest = Vec::new();
    loop {
        if let Ok(found) = existing.canonicalize() {
            return rest.iter().rev().fold(found, |p, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name);
                existing = if parent.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    parent
                };
            }
            _ => return path.to_path_buf(),
        }
    }
}

/// The bundle must not land on an input, nor inside an input folder, where the next run
/// would read its files back as logs.
fn refuse_inside_inputs(out: &Path, paths: &[String]) -> Result<(), UsageError> {
    let target = resolved(out);
    for given in paths {
        let Ok(input) = Path::new(given).canonicalize() else {
            continue;
        };
        if input.is_dir() && target.starts_with(&input) {
            return Err(UsageError::BadValue {
                flag: "--out",
                value: out.display().to_string(),
                reason: format!(
                    "it is inside the input folder {given}, whose next reading would take the report for logs; choose a folder outside the inputs"
                ),
            });
        }
        if target == input {
            return Err(UsageError::OutputIsInput {
                path: out.display().to_string(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_a_folder_inside_an_input_folder() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(logs.join("usage.log"), "x").unwrap();
        let given = vec![logs.to_string_lossy().into_owned()];
        assert!(refuse_inside_inputs(&logs.join("report"), &given).is_err());
        assert!(refuse_inside_inputs(&logs, &given).is_err());
        assert!(refuse_inside_inputs(&dir.path().join("report/new"), &given).is_ok());
        let file = vec![logs.join("usage.log").to_string_lossy().into_owned()];
        assert!(matches!(
            refuse_inside_inputs(&logs.join("usage.log"), &file),
            Err(UsageError::OutputIsInput { .. })
        ));
    }
}
