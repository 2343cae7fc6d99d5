//! What the exit conditions for cron jobs and dashboards look at (`--fail-on-quota`,
//! `--fail-on-differs`, `--fail-on-spike`), gathered from the reports that hold it, so that
//! every command judges them the same way.

use super::fleet::FleetReport;
use super::monthly::MonthlyReport;
use super::quota::QuotaStatus;
use super::reconcile::{Reconciled, Verdict};
use super::weekly::WeeklyReport;

/// The figures the exit conditions are judged on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Alerts {
    /// Each quota reported: its label (`2023-05`), the share used and the share projected
    /// for its whole month or year (1.0 is all of it).
    pub quotas: Vec<(String, f64, f64)>,
    /// The buckets (`2023-W41`, `2023-05`) in which integration.log's counts lie outside the
    /// usage log's bounds.
    pub differs: Vec<String>,
    /// Rejection spikes found.
    pub spikes: usize,
}

impl Alerts {
    /// Adds `other`'s figures to these.
    pub fn merge(&mut self, other: Alerts) {
        self.quotas.extend(other.quotas);
        self.differs.extend(other.differs);
        self.spikes += other.spikes;
    }

    /// Adds a quota's shares (the used share alone while it is too early to project).
    pub fn quota(&mut self, quota: Option<&QuotaStatus>) {
        if let Some(q) = quota {
            // Too early, a run rate is no forecast: only the share used counts.
            let projected = if q.too_early {
                q.share
            } else {
                q.projected_share
            };
            self.quotas.push((q.label.clone(), q.share, projected));
        }
    }

    fn bucket(&mut self, label: &str, reconciled: Option<&Reconciled>) {
        if reconciled.is_some_and(|r| r.verdict == Verdict::Differs) {
            self.differs.push(label.to_owned());
        }
    }
}

/// A report whose figures the exit conditions look at.
pub trait HasAlerts {
    /// The figures of this report.
    fn alerts(&self) -> Alerts;
}

impl HasAlerts for WeeklyReport {
    fn alerts(&self) -> Alerts {
        let mut alerts = Alerts::default();
        alerts.quota(self.quota.as_ref());
        for week in &self.weeks {
            alerts.bucket(&week.week, week.integration.as_ref());
        }
        alerts
    }
}

impl HasAlerts for MonthlyReport {
    fn alerts(&self) -> Alerts {
        let mut alerts = Alerts::default();
        alerts.quota(self.quota.as_ref());
        for month in &self.months {
            alerts.bucket(&month.month, month.integration.as_ref());
        }
        alerts
    }
}

impl<R: HasAlerts> HasAlerts for FleetReport<R> {
    fn alerts(&self) -> Alerts {
        let mut alerts = Alerts::default();
        // Each environment's own figures: a quota is licensed per environment, and two
        // environments' differences could cancel out in the total.
        for env in &self.environments {
            let mut of_env = env.report.alerts();
            for (label, _, _) in &mut of_env.quotas {
                *label = format!("{} {label}", env.environment);
            }
            for label in &mut of_env.differs {
                *label = format!("{} {label}", env.environment);
            }
            alerts.merge(of_env);
        }
        alerts
    }
}
