//! Exit conditions for cron jobs and dashboards: each `--fail-on-…` flag that holds prints
//! why on stderr and turns the run's status into findings (exit 1).

use super::{problems_reported, Status};
use crate::cli::AlertArgs;
use crate::messages;
use crate::report::alerts::Alerts;

/// Why the run should exit 1, one sentence per condition that holds; none when none does.
pub fn reasons(alerts: &Alerts, args: &AlertArgs, fail_on_spike: bool) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Some(limit) = args.fail_on_quota {
        for (label, used, projected) in &alerts.quotas {
            if *used >= limit || *projected >= limit {
                reasons.push(format!(
                    "--fail-on-quota {}%: {label} has used {:.1}% of the quota and is projected at {:.1}%",
                    percent(limit),
                    used * 100.0,
                    projected * 100.0
                ));
            }
        }
    }
    if args.fail_on_differs && !alerts.differs.is_empty() {
        reasons.push(format!(
            "--fail-on-differs: integration.log and the usage log disagree in {}",
            alerts.differs.join(", ")
        ));
    }
    if fail_on_spike && alerts.spikes > 0 {
        reasons.push(format!(
            "--fail-on-spike: {} rejection spike(s)",
            alerts.spikes
        ));
    }
    reasons.extend(problem_reason(args.fail_on_problems));
    reasons
}

/// The `--fail-on-problems` finding, when the flag is given and problems were reported.
pub fn problem_reason(fail_on_problems: bool) -> Option<String> {
    let problems = problems_reported();
    (fail_on_problems && problems > 0).then(|| {
        format!(
            "--fail-on-problems: {problems} problem(s) in the inputs (`esmlog check` lists them)"
        )
    })
}

/// Prints the reasons and gives the status they make.
pub fn status_of(reasons: &[String]) -> Status {
    for reason in reasons {
        messages::warn(reason);
    }
    if reasons.is_empty() {
        Status::Clean
    } else {
        Status::Findings
    }
}

/// `0.8` as `80`, `0.125` as `12.5`.
fn percent(share: f64) -> String {
    let value = share * 100.0;
    if (value - value.round()).abs() < 1e-9 {
        format!("{}", value.round())
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_condition_holds_only_when_asked_and_met() {
        let alerts = Alerts {
            quotas: vec![("2023-05".into(), 0.5, 1.55)],
            differs: vec!["2023-W41".into()],
            spikes: 2,
        };
        assert!(reasons(&alerts, &AlertArgs::default(), false).is_empty());
        let quota = |pct: f64| AlertArgs {
            fail_on_quota: Some(pct),
            ..AlertArgs::default()
        };
        let over = reasons(&alerts, &quota(0.8), false);
        assert_eq!(over.len(), 1);
        assert!(over[0].contains("--fail-on-quota 80%"), "{over:?}");
        assert!(over[0].contains("155.0%"), "{over:?}");
        assert!(reasons(&alerts, &quota(2.0), false).is_empty());
        let differs = AlertArgs {
            fail_on_differs: true,
            ..AlertArgs::default()
        };
        assert!(reasons(&alerts, &differs, false)[0].contains("2023-W41"));
        assert!(reasons(&Alerts::default(), &differs, true).is_empty());
        assert_eq!(reasons(&alerts, &AlertArgs::default(), true).len(), 1);
    }
}
