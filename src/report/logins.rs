//! Logins against the fewest needed: a token lives `--token-minutes`
//! (`security.external.api.token.expiration.time`), so an integration that logs in more
//! often than its activity needs spends transactions on logins.

use crate::integration::aggregate::MinuteRow;
use chrono::{Duration, NaiveDateTime};
use serde::Serialize;
use std::collections::BTreeMap;

/// One user's logins.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct UserLogins {
    pub user: String,
    pub logins: u64,
    /// The fewest logins that cover the user's activity with tokens of the given lifetime; never
    /// more than `logins`, which did cover it.
    pub needed: u64,
    pub avoidable: u64,
    /// Avoidable logins as a share of the user's successful calls (transactions).
    pub share_of_transactions: Option<f64>,
}

/// Login use per user, most avoidable first.
pub fn login_report(rows: &[MinuteRow], token_minutes: i64) -> Vec<UserLogins> {
    let mut per_user: BTreeMap<&str, (Vec<NaiveDateTime>, u64, u64)> = BTreeMap::new();
    for row in rows {
        let entry = per_user.entry(&*row.user).or_default();
        if row.counts.calls > 0 {
            entry.0.push(row.minute);
        }
        entry.1 += u64::from(row.counts.logins);
        entry.2 += u64::from(row.counts.successful);
    }
    let lifetime = Duration::minutes(token_minutes.max(1));
    let mut out: Vec<UserLogins> = per_user
        .into_iter()
        .filter(|(_, (_, logins, _))| *logins > 0)
        .map(|(user, (mut minutes, logins, successful))| {
            minutes.sort();
            // Greedy cover: a login at the first active minute serves until its token expires.
            // Minutes hide the seconds, so the cover may count a login more than the seconds
            // would: that keeps the avoidable count a lower bound.
            let mut needed = 0u64;
            let mut valid_until: Option<NaiveDateTime> = None;
            for minute in minutes {
                if valid_until.is_none_or(|v| minute >= v) {
                    needed += 1;
                    valid_until = Some(minute + lifetime);
                }
            }
            // The logins made did cover the activity (ESM answered the calls), so the fewest
            // needed cannot be more; the cover counts more when a token was taken before the
            // log begins, or lives longer than --token-minutes says.
            let needed = needed.min(logins);
            let avoidable = logins - needed;
            UserLogins {
                user: user.to_string(),
                logins,
                needed,
                avoidable,
                share_of_transactions: crate::report::round_rate(crate::render::rate(
                    avoidable, successful,
                )),
            }
        })
        .collect();
    out.sort_by(|a, b| b.avoidable.cmp(&a.avoidable).then(a.user.cmp(&b.user)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::aggregate::MinuteCounts;

    fn row(minute: &str, user: &str, calls: u32, logins: u32) -> MinuteRow {
        MinuteRow {
            minute: NaiveDateTime::parse_from_str(minute, "%Y-%m-%d %H:%M").unwrap(),
            user: user.into(),
            counts: MinuteCounts {
                calls,
                successful: calls,
                unsuccessful: 0,
                rate_limited: 0,
                logins,
            },
        }
    }

    #[test]
    fn counts_logins_beyond_token_lifetimes() {
        // Active at 10:00, 10:05, 10:14 (one token), 10:20 (a second): two needed, five made.
        let rows = vec![
            row("2023-04-07 10:00", "HR_IMPORT", 4, 2),
            row("2023-04-07 10:05", "HR_IMPORT", 2, 1),
            row("2023-04-07 10:14", "HR_IMPORT", 2, 1),
            row("2023-04-07 10:20", "HR_IMPORT", 2, 1),
            row("2023-04-07 10:00", "CRM_SYNC", 10, 1),
        ];
        let report = login_report(&rows, 15);
        assert_eq!(report.len(), 2);
        assert_eq!(report[0].user, "HR_IMPORT");
        assert_eq!(
            (report[0].logins, report[0].needed, report[0].avoidable),
            (5, 2, 3)
        );
        assert_eq!(report[0].share_of_transactions, Some(0.3));
        assert_eq!(
            (report[1].logins, report[1].needed, report[1].avoidable),
            (1, 1, 0)
        );
    }

    #[test]
    fn needed_never_exceeds_the_logins_made() {
        // Calls at 10:00 on a token from before the log, a login at 10:16, calls until 10:40:
        // the cover counts three tokens, but one login did it.
        let rows = vec![
            row("2023-04-07 10:00", "CRM_SYNC", 3, 0),
            row("2023-04-07 10:16", "CRM_SYNC", 3, 1),
            row("2023-04-07 10:40", "CRM_SYNC", 3, 0),
        ];
        let report = login_report(&rows, 15);
        assert_eq!(
            (report[0].logins, report[0].needed, report[0].avoidable),
            (1, 1, 0)
        );
    }
}
