//! The totals as OpenMetrics text (what Prometheus scrapes from `/metrics`): one family per
//! figure with its HELP and TYPE, label values escaped, `# EOF` at the end.

use super::follow::FileStatus;
use super::tally::{LiveTotals, OUTCOMES};
use std::fmt::Write;

/// The content type of the exposition.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// What the exposition shows besides the totals.
pub struct Exposed<'a> {
    pub totals: &'a LiveTotals,
    /// Each followed file, by the path given.
    pub files: Vec<(String, FileStatus)>,
    /// The share of the quota used in its current period, when `--quota` is given and the
    /// usage log says it.
    pub quota_used: Option<f64>,
}

/// A label value in OpenMetrics: backslash, double quote and line feed escaped.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the OpenMetrics text into `out`, family by family.
struct Families {
    out: String,
}

impl Families {
    /// A family's HELP and TYPE; a counter's samples are named `{name}_total`.
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample: `name{labels} value`.
    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl std::fmt::Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (key, val)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{key}=\"{}\"", escape_label(val));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }
}

/// The exposition of `/metrics`.
pub fn render(exposed: &Exposed<'_>) -> String {
    let totals = exposed.totals;
    let mut f = Families { out: String::new() };

    f.family(
        "esm_rest_calls",
        "counter",
        "REST calls in integration.log, by user and status class (none: no status written).",
    );
    for (user, classes) in &totals.calls {
        for (class, n) in classes {
            f.sample(
                "esm_rest_calls_total",
                &[("user", user), ("status_class", class)],
                n,
            );
        }
    }

    f.family(
        "esm_rest_rejected",
        "counter",
        "REST calls answered with a status of 400 or more, by user and status.",
    );
    for (user, statuses) in &totals.rejected {
        for (status, n) in statuses {
            f.sample(
                "esm_rest_rejected_total",
                &[("user", user), ("status", &status.to_string())],
                n,
            );
        }
    }

    if let Some(row) = totals.newest_usage() {
        f.family(
            "esm_usage_consumed",
            "gauge",
            "Successful calls (transactions) of the usage log's current period so far, as its last line says; 0 after a statistics reset.",
        );
        f.sample("esm_usage_consumed", &[], row.consumed.unwrap_or(0));
        f.family(
            "esm_usage_rejected",
            "gauge",
            "Unsuccessful calls of the usage log's current period so far; 0 after a statistics reset.",
        );
        f.sample("esm_usage_rejected", &[], row.rejected.unwrap_or(0));
        if let Some(since) = row.since {
            f.family(
                "esm_usage_period_start_seconds",
                "gauge",
                "Start of the usage log's current period (its `since`), Unix time.",
            );
            f.sample("esm_usage_period_start_seconds", &[], since.timestamp());
        }
    }

    f.family(
        "esm_rate_limit_minutes",
        "counter",
        "Minutes in which a user made at least --rate-limit calls.",
    );
    for (user, n) in &totals.rate_limit_minutes {
        f.sample("esm_rate_limit_minutes_total", &[("user", user)], n);
    }

    f.family(
        "esm_calls_per_minute_max",
        "gauge",
        "A user's most calls in one minute over the last minute of the log's clock (the minutes not yet closed).",
    );
    for (user, n) in totals.calls_per_minute_max() {
        f.sample("esm_calls_per_minute_max", &[("user", &user)], n);
    }

    f.family(
        "esm_spike_active",
        "gauge",
        "1 while a rejection spike (the rule of esmlog rejections) may still grow, else 0.",
    );
    let active = totals.minutes.detector.open_spike().is_some();
    f.sample("esm_spike_active", &[], u8::from(active));
    f.family(
        "esm_spikes",
        "counter",
        "Rejection spikes started, by the rule of esmlog rejections.",
    );
    f.sample("esm_spikes_total", &[], totals.spikes);

    f.family(
        "esm_calls_outside_minutes",
        "counter",
        "Calls counted everywhere but in the per-minute figures (spikes, rate limit): late (their minute was already closed) or undated.",
    );
    f.sample(
        "esm_calls_outside_minutes_total",
        &[("reason", "late")],
        totals.late_calls,
    );
    f.sample(
        "esm_calls_outside_minutes_total",
        &[("reason", "undated")],
        totals.undated_calls,
    );

    f.family(
        "esm_log_lines",
        "counter",
        "Lines of the followed logs by kind and outcome; every line is counted once.",
    );
    for (kind, outcomes) in [
        ("integration", &totals.lines.integration),
        ("usage", &totals.lines.usage),
        ("unknown", &totals.lines.unknown),
    ] {
        for outcome in OUTCOMES {
            f.sample(
                "esm_log_lines_total",
                &[("file_kind", kind), ("outcome", outcome)],
                outcomes.get(outcome),
            );
        }
    }

    if let Some(share) = exposed.quota_used {
        f.family(
            "esm_quota_used_ratio",
            "gauge",
            "Transactions of the quota's current month or year over --quota (the best estimate of esmlog monthly).",
        );
        f.sample("esm_quota_used_ratio", &[], share);
    }

    f.family(
        "esm_log_file_up",
        "gauge",
        "1 when the followed file was open and read at the last poll, 0 while it is missing or cannot be read.",
    );
    for (name, status) in &exposed.files {
        f.sample("esm_log_file_up", &[("file", name)], u8::from(status.up));
    }
    f.family(
        "esm_log_file_read_errors",
        "counter",
        "Polls at which the followed file could not be opened or read.",
    );
    for (name, status) in &exposed.files {
        f.sample(
            "esm_log_file_read_errors_total",
            &[("file", name)],
            status.read_errors,
        );
    }
    f.family(
        "esm_log_file_rotations",
        "counter",
        "Rotations of the followed file seen since the watch started: renames, truncations, files deleted and created again.",
    );
    for (name, status) in &exposed.files {
        f.sample(
            "esm_log_file_rotations_total",
            &[("file", name)],
            status.rotations,
        );
    }
    f.family(
        "esm_log_file_offset_bytes",
        "gauge",
        "Bytes of the followed file read and counted.",
    );
    for (name, status) in &exposed.files {
        f.sample(
            "esm_log_file_offset_bytes",
            &[("file", name)],
            status.offset,
        );
    }

    f.out.push_str("# EOF\n");
    f.out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::SpikeParams;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("x\ny"), "x\\ny");
    }

    #[test]
    fn the_exposition_is_openmetrics() {
        let mut totals = LiveTotals::new(SpikeParams::default());
        totals
            .calls
            .entry("we\"ird".into())
            .or_default()
            .insert("2xx".into(), 3);
        totals.lines.integration.parsed = 3;
        let text = render(&Exposed {
            totals: &totals,
            files: vec![("integration.log".into(), FileStatus::default())],
            quota_used: Some(0.5),
        });
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert!(text.contains("# TYPE esm_rest_calls counter\n"));
        assert!(text.contains("esm_rest_calls_total{user=\"we\\\"ird\",status_class=\"2xx\"} 3\n"));
        assert!(
            text.contains("esm_log_lines_total{file_kind=\"integration\",outcome=\"parsed\"} 3\n")
        );
        assert!(text.contains("esm_quota_used_ratio 0.5\n"));
        assert!(text.contains("esm_spike_active 0\n"));
        // Every sample belongs to the family declared above it.
        let mut family = String::new();
        for line in text.lines().filter(|l| !l.starts_with("# HELP")) {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                family = rest.split(' ').next().unwrap().to_owned();
            } else if line != "# EOF" {
                assert!(line.starts_with(&family), "{line} outside {family}");
            }
        }
    }
}
