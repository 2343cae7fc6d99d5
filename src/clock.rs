//! Server wall-clock time and instants. With `--tz` the IANA zone converts exactly (the
//! repeated autumn hour resolved by the order lines were written in); without it each period's
//! `since` offset is assumed for the whole period.

use chrono::{FixedOffset, LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

/// Milliseconds since the Unix epoch, UTC.
pub type InstantMs = i64;

/// How wall-clock stamps map to instants.
#[derive(Debug, Clone, Copy)]
pub enum ServerClock {
    /// `--tz ZONE`.
    Zone(Tz),
    /// No zone given: the caller supplies the offset in force (the period's `since` offset).
    PeriodOffsets,
}

impl ServerClock {
    /// Parses an IANA zone name (`Europe/Helsinki`), or a Windows one (`FLE Standard Time`)
    /// by CLDR's mapping to its IANA zone.
    pub fn from_zone_name(name: &str) -> Option<ServerClock> {
        name.parse::<Tz>()
            .ok()
            .or_else(|| {
                name.parse::<windows_timezones::WindowsTimezone>()
                    .ok()
                    .map(Tz::from)
            })
            .map(ServerClock::Zone)
    }

    /// The zone's IANA name, when one was given.
    pub fn zone_name(&self) -> Option<&'static str> {
        match self {
            ServerClock::Zone(tz) => Some(tz.name()),
            ServerClock::PeriodOffsets => None,
        }
    }

    /// The instant of a wall-clock time. `offset` is used without a zone; `not_before`, the
    /// instant of the line written just before, picks the right one of a repeated hour.
    /// A time that does not exist (the spring gap) is read with the offset before the gap.
    pub fn instant(
        &self,
        local: NaiveDateTime,
        offset: FixedOffset,
        not_before: Option<InstantMs>,
    ) -> InstantMs {
        match self {
            ServerClock::PeriodOffsets => fixed_instant(local, offset),
            ServerClock::Zone(tz) => match tz.from_local_datetime(&local) {
                LocalResult::Single(t) => t.timestamp_millis(),
                LocalResult::Ambiguous(early, late) => {
                    let early = early.timestamp_millis();
                    match not_before {
                        Some(prev) if early < prev => late.timestamp_millis(),
                        _ => early,
                    }
                }
                LocalResult::None => {
                    let before = local - chrono::Duration::hours(3);
                    let offset = tz
                        .offset_from_local_datetime(&before)
                        .earliest()
                        .map(|o| chrono::Offset::fix(&o))
                        .unwrap_or(offset);
                    fixed_instant(local, offset)
                }
            },
        }
    }

    /// The wall-clock time of an instant; `offset` is used without a zone.
    pub fn local(&self, instant: InstantMs, offset: FixedOffset) -> NaiveDateTime {
        let utc = chrono::DateTime::from_timestamp_millis(instant)
            .unwrap_or_default()
            .naive_utc();
        match self {
            ServerClock::PeriodOffsets => utc + offset,
            ServerClock::Zone(tz) => tz.from_utc_datetime(&utc).naive_local(),
        }
    }

    /// The UTC offset in force at an instant.
    pub fn offset_at(&self, instant: InstantMs, offset: FixedOffset) -> FixedOffset {
        match self {
            ServerClock::PeriodOffsets => offset,
            ServerClock::Zone(tz) => {
                let utc = chrono::DateTime::from_timestamp_millis(instant)
                    .unwrap_or_default()
                    .naive_utc();
                chrono::Offset::fix(&tz.offset_from_utc_datetime(&utc))
            }
        }
    }
}

/// The IANA zones (at most `limit`) whose offset at each instant is the one given: the zones
/// a log that wrote these offsets can come from. Zones of `near`'s region come first, then
/// Europe's (ESM's home), then the rest, `Etc/…` last.
pub fn zones_fitting(
    offsets: &[(InstantMs, i32)],
    near: Option<&str>,
    limit: usize,
) -> Vec<&'static str> {
    let fits = |tz: &Tz| {
        offsets.iter().all(|&(instant, seconds)| {
            let utc = chrono::DateTime::from_timestamp_millis(instant)
                .unwrap_or_default()
                .naive_utc();
            chrono::Offset::fix(&tz.offset_from_utc_datetime(&utc)).local_minus_utc() == seconds
        })
    };
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS
        .iter()
        .filter(|tz| fits(tz))
        .map(|tz| tz.name())
        .filter(|name| name.contains('/'))
        .collect();
    let region = |name: &str| name.split('/').next().unwrap_or_default().to_string();
    let near = near.map(region);
    names.sort_by_key(|name| {
        let r = region(name);
        (r == "Etc", Some(&r) != near.as_ref(), r != "Europe", *name)
    });
    names.truncate(limit);
    names
}

fn fixed_instant(local: NaiveDateTime, offset: FixedOffset) -> InstantMs {
    (local - offset).and_utc().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn repeated_hour_follows_write_order() {
        let clock = ServerClock::from_zone_name("Europe/Helsinki").unwrap();
        let plus3 = FixedOffset::east_opt(3 * 3600).unwrap();
        // 2023-10-29 03:30 happens twice in Helsinki: at 00:30Z and 01:30Z.
        let first = clock.instant(t("2023-10-29 03:30:00"), plus3, None);
        assert_eq!(first, t("2023-10-29 00:30:00").and_utc().timestamp_millis());
        let after_first = clock.instant(t("2023-10-29 03:10:00"), plus3, Some(first));
        assert_eq!(
            after_first,
            t("2023-10-29 01:10:00").and_utc().timestamp_millis()
        );
        assert_eq!(clock.local(after_first, plus3), t("2023-10-29 03:10:00"));
    }

    #[test]
    fn without_zone_the_period_offset_applies() {
        let plus3 = FixedOffset::east_opt(3 * 3600).unwrap();
        let i = ServerClock::PeriodOffsets.instant(t("2023-04-11 20:34:00"), plus3, None);
        assert_eq!(i, t("2023-04-11 17:34:00").and_utc().timestamp_millis());
        assert_eq!(
            ServerClock::PeriodOffsets.local(i, plus3),
            t("2023-04-11 20:34:00")
        );
    }

    #[test]
    fn windows_zone_names_map_to_iana() {
        // CLDR's world-wide default for FLE (Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius)
        // is Kyiv, whose rules are Helsinki's.
        let clock = ServerClock::from_zone_name("FLE Standard Time").unwrap();
        assert!(
            matches!(clock.zone_name(), Some("Europe/Kiev" | "Europe/Kyiv")),
            "{:?}",
            clock.zone_name()
        );
        assert_eq!(
            ServerClock::from_zone_name("W. Europe Standard Time")
                .unwrap()
                .zone_name(),
            Some("Europe/Berlin")
        );
        assert!(ServerClock::from_zone_name("Mars Standard Time").is_none());
    }

    #[test]
    fn zones_that_fit_written_offsets() {
        // +03:00 on 2023-10-10 and +02:00 on 2023-11-01: Finland, Ukraine, the Baltics...
        let summer = t("2023-10-10 09:00:00").and_utc().timestamp_millis();
        let winter = t("2023-11-01 09:00:00").and_utc().timestamp_millis();
        let zones = zones_fitting(&[(summer, 3 * 3600), (winter, 2 * 3600)], None, 50);
        assert!(zones.contains(&"Europe/Helsinki"), "{zones:?}");
        assert!(!zones.contains(&"Europe/Moscow"), "{zones:?}");
        assert!(!zones.contains(&"America/New_York"));
    }

    #[test]
    fn spring_gap_reads_with_offset_before() {
        let clock = ServerClock::from_zone_name("Europe/Helsinki").unwrap();
        let plus2 = FixedOffset::east_opt(2 * 3600).unwrap();
        // 2023-03-26 03:30 does not exist in Helsinki (03:00 → 04:00).
        let i = clock.instant(t("2023-03-26 03:30:00"), plus2, None);
        assert_eq!(i, t("2023-03-26 01:30:00").and_utc().timestamp_millis());
    }
}
