//! `esmlog watch`: the flags checked into a [`WatchConfig`], then the watch until SIGTERM or
//! Ctrl-C.

use super::{clock_of, message_pattern_of, CommandError, Status};
use crate::cli::WatchArgs;
use crate::error::UsageError;
use crate::ingest::LayoutChoice;
use crate::live::feed::FeedSettings;
use crate::live::state::CountingSettings;
use crate::live::{watch, WatchConfig};
use crate::report::quota::Quota;

pub fn run(args: &WatchArgs) -> Result<Status, CommandError> {
    let on_quota = match args.on_quota.as_slice() {
        [] => None,
        [pct, command] => {
            let share = crate::cli::parse_percent(pct).map_err(|reason| UsageError::BadValue {
                flag: "--on-quota",
                value: pct.clone(),
                reason,
            })?;
            Some((share, command.clone()))
        }
        other => return Err(UsageError::BadValue {
            flag: "--on-quota",
            value: other.join(" "),
            reason:
                "expected a percentage and a command, for example --on-quota 80 'notify-send quota'"
                    .into(),
        }
        .into()),
    };
    let spike = args.spike.params();
    let config = WatchConfig {
        paths: args.paths.iter().map(Into::into).collect(),
        state: args.state.clone(),
        rebuild: args.rebuild,
        listen: args.listen.clone(),
        poll: args.poll_interval,
        checkpoint_every: args.checkpoint_interval,
        layout: LayoutChoice::from_flag(&args.reading.layout, args.reading.layout_dialect)?,
        dialect: args.reading.layout_dialect,
        feed: FeedSettings {
            max_users: args.max_users,
            duration_unit: args.reading.duration_unit,
            message_pattern: message_pattern_of(args.message_pattern.as_deref())?,
        },
        counting: CountingSettings {
            rate_limit: args.rate_limit,
            max_users: args.max_users,
            spike_window: spike.window,
            spike_threshold: spike.threshold,
            spike_min: spike.min_count,
        },
        spike,
        clock: clock_of(&args.reading.tz)?,
        quota: args.quota.map(|volume| Quota {
            volume,
            period: args.quota_period,
        }),
        on_spike: args.on_spike.clone(),
        on_quota,
        hook_timeout: args.hook_timeout,
    };
    watch(config)?;
    Ok(Status::Clean)
}
