//! nom parser for one line of `Matrix42_rest_rest_api_usage.log` (formats.md section 1).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime};
use nom::bytes::complete::{tag, take, take_while1, take_while_m_n};
use nom::combinator::opt;
use nom::{IResult, Parser};

/// What a usage-log line says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UsageBody {
    /// Cumulative successful (`consumed`) and unsuccessful (`rejected`) calls since `since`.
    Counters {
        consumed: u64,
        rejected: u64,
        since: DateTime<FixedOffset>,
    },
    /// `Statistics reset`: closes the current period.
    Reset,
}

/// One parsed usage-log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsageLine {
    /// Server wall-clock time as written (no zone).
    pub stamp: NaiveDateTime,
    pub body: UsageBody,
}

/// Why a line is not a usage-log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LineFault {
    #[error("does not start with a `YYYY-MM-DD hh:mm:ss,SSS` stamp")]
    BadStamp,
    #[error("impossible date or time in the stamp")]
    ImpossibleStamp,
    #[error("no `|` after the stamp")]
    NoSeparator,
    #[error("neither `Usage,consumed,…` nor `Statistics reset` after the stamp")]
    UnknownBody,
    #[error("a counter above {MAX_COUNT} (2^40): no server counts that many calls in a period, and sums of such counters could overflow; the line is corrupt")]
    CountOverflow,
    #[error("a counter is not a number")]
    BadCount,
    #[error("the `since` instant is not `YYYY-MM-DDThh:mm:ss[.f]±hh[:]mm`")]
    BadSince,
    #[error("unexpected text after the line's end")]
    TrailingText,
}

/// The largest counter taken as real. 2^40 calls is over a million calls a minute for a
/// year; a larger one is a corrupt line, and keeping counters this small keeps every sum of
/// them (over up to 2^23 lines) within 64 bits.
pub const MAX_COUNT: u64 = 1 << 40;

type Res<'a, T> = IResult<&'a [u8], T, nom::error::Error<&'a [u8]>>;

/// Parses a line without its terminator (a trailing `\r` is tolerated, as is trailing space).
pub fn parse_usage_line(line: &[u8]) -> Result<UsageLine, LineFault> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let (rest, stamp) = stamp(line).map_err(|_| LineFault::BadStamp)?;
    let stamp = stamp.ok_or(LineFault::ImpossibleStamp)?;
    let rest = rest.strip_prefix(b"|").ok_or(LineFault::NoSeparator)?;
    let (rest, body) = body(rest)?;
    if !rest.iter().all(|&b| b == b' ' || b == b'\t') {
        return Err(LineFault::TrailingText);
    }
    Ok(UsageLine { stamp, body })
}

fn body(input: &[u8]) -> Result<(&[u8], UsageBody), LineFault> {
    if let Some(rest) = input.strip_prefix(b"Statistics reset") {
        return Ok((rest, UsageBody::Reset));
    }
    let rest = input
        .strip_prefix(b"Usage,consumed,")
        .ok_or(LineFault::UnknownBody)?;
    let (rest, consumed) = count(rest)?;
    let rest = rest
        .strip_prefix(b",rejected,")
        .ok_or(LineFault::UnknownBody)?;
    let (rest, rejected) = count(rest)?;
    let rest = rest
        .strip_prefix(b",since,")
        .ok_or(LineFault::UnknownBody)?;
    let (rest, since) = since(rest).map_err(|_| LineFault::BadSince)?;
    let since = since.ok_or(LineFault::BadSince)?;
    Ok((
        rest,
        UsageBody::Counters {
            consumed,
            rejected,
            since,
        },
    ))
}

fn count(input: &[u8]) -> Result<(&[u8], u64), LineFault> {
    let (rest, digits) = take_while1::<_, _, nom::error::Error<&[u8]>>(|b: u8| b.is_ascii_digit())
        .parse(input)
        .map_err(|_| LineFault::BadCount)?;
    let value = digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    });
    value
        .filter(|v| *v <= MAX_COUNT)
        .map(|v| (rest, v))
        .ok_or(LineFault::CountOverflow)
}

/// Exactly `n` ASCII digits as a number.
fn digits(n: usize) -> impl Fn(&[u8]) -> Res<'_, u32> {
    move |input| {
        let (rest, d) = take_while_m_n(n, n, |b: u8| b.is_ascii_digit()).parse(input)?;
        Ok((
            rest,
            d.iter().fold(0, |acc, &b| acc * 10 + u32::from(b - b'0')),
        ))
    }
}

fn date(input: &[u8]) -> Res<'_, Option<NaiveDate>> {
    let (rest, (y, _, m, _, d)) =
        (digits(4), tag("-"), digits(2), tag("-"), digits(2)).parse(input)?;
    Ok((rest, NaiveDate::from_ymd_opt(y as i32, m, d)))
}

fn time_of_day(input: &[u8]) -> Res<'_, (u32, u32, u32)> {
    let (rest, (h, _, m, _, s)) =
        (digits(2), tag(":"), digits(2), tag(":"), digits(2)).parse(input)?;
    Ok((rest, (h, m, s)))
}

/// `YYYY-MM-DD hh:mm:ss,SSS`; `None` inside when the shape is right but the date impossible.
pub fn stamp(input: &[u8]) -> Res<'_, Option<NaiveDateTime>> {
    let (rest, (day, _, (h, m, s), _, ms)) =
        (date, tag(" "), time_of_day, tag(","), digits(3)).parse(input)?;
    let time = NaiveTime::from_hms_milli_opt(h, m, s, ms);
    Ok((rest, day.zip(time).map(|(d, t)| d.and_time(t))))
}

/// `YYYY-MM-DDThh:mm:ss[.f]zone`.
fn since(input: &[u8]) -> Res<'_, Option<DateTime<FixedOffset>>> {
    let (rest, (day, _, (h, m, s), frac, zone)) =
        (date, tag("T"), time_of_day, opt(fraction), zone).parse(input)?;
    let nanos = frac.unwrap_or(0);
    let local = day
        .zip(NaiveTime::from_hms_nano_opt(h, m, s, nanos))
        .map(|(d, t)| d.and_time(t));
    let instant = local
        .zip(zone)
        .and_then(|(l, z)| l.and_local_timezone(z).single());
    Ok((rest, instant))
}

/// `.` and 1 to 9 digits, as nanoseconds.
fn fraction(input: &[u8]) -> Res<'_, u32> {
    let (rest, (_, d)) =
        (tag("."), take_while_m_n(1, 9, |b: u8| b.is_ascii_digit())).parse(input)?;
    let mut nanos = d
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'));
    for _ in d.len()..9 {
        nanos *= 10;
    }
    Ok((rest, nanos))
}

/// `Z` or `±hh[:]mm`; `None` inside for an offset out of range.
fn zone(input: &[u8]) -> Res<'_, Option<FixedOffset>> {
    if let Some(rest) = input.strip_prefix(b"Z") {
        return Ok((rest, FixedOffset::east_opt(0)));
    }
    let (rest, (sign, h, _, m)) =
        (take(1usize), digits(2), opt(tag(":")), digits(2)).parse(input)?;
    let secs = (h * 3600 + m * 60) as i32;
    let offset = match sign {
        b"+" => FixedOffset::east_opt(secs),
        b"-" => FixedOffset::west_opt(secs),
        _ => {
            return Err(nom::Err::Error(nom::error::Error::new(
                input,
                nom::error::ErrorKind::Char,
            )))
        }
    };
    Ok((rest, offset.filter(|_| m < 60)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.3f").unwrap()
    }

    fn since_at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z").unwrap()
    }

    /// (line, expected stamp, consumed, rejected, since) for lines that parse as counters.
    const COUNTERS: &[(&str, &str, u64, u64, &str)] = &[
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300",
            "2023-04-11 20:34:00.635",
            1000,
            0,
            "2023-04-11T11:51:27+0300",
        ),
        (
            "2023-04-17 00:00:00,144|Usage,consumed,15779,rejected,0,since,2023-04-11T11:51:27+0300\r",
            "2023-04-17 00:00:00.144",
            15779,
            0,
            "2023-04-11T11:51:27+0300",
        ),
        (
            "2023-04-12 04:54:00,643|Usage,consumed,2000,rejected,17,since,2023-04-11T11:51:27+03:00  ",
            "2023-04-12 04:54:00.643",
            2000,
            17,
            "2023-04-11T11:51:27+0300",
        ),
        (
            "2023-10-30 00:00:00,144|Usage,consumed,0,rejected,5,since,2023-10-23T00:00:00.145Z",
            "2023-10-30 00:00:00.144",
            0,
            5,
            "2023-10-23T00:00:00.145+0000",
        ),
        (
            // The largest counter taken as real.
            "2023-10-30 00:00:00,144|Usage,consumed,1099511627776,rejected,0,since,2023-10-23T00:00:00.123456789-0530",
            "2023-10-30 00:00:00.144",
            MAX_COUNT,
            0,
            "2023-10-23T00:00:00.123456789-0530",
        ),
    ];

    #[test]
    fn counter_lines_parse() {
        for &(line, stamp, consumed, rejected, since) in COUNTERS {
            let parsed =
                parse_usage_line(line.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
            assert_eq!(parsed.stamp, dt(stamp), "{line}");
            assert_eq!(
                parsed.body,
                UsageBody::Counters {
                    consumed,
                    rejected,
                    since: since_at(since)
                },
                "{line}"
            );
        }
    }

    #[test]
    fn reset_line_parses() {
        let parsed = parse_usage_line(b"2023-04-17 00:00:00,145|Statistics reset").unwrap();
        assert_eq!(parsed.stamp, dt("2023-04-17 00:00:00.145"));
        assert_eq!(parsed.body, UsageBody::Reset);
        assert!(parse_usage_line(b"2023-04-17 00:00:00,145|Statistics reset \r").is_ok());
    }

    const FAULTS: &[(&str, LineFault)] = &[
        ("", LineFault::BadStamp),
        ("garbage", LineFault::BadStamp),
        ("2023-04-11 20:34:00.635|Statistics reset", LineFault::BadStamp),
        ("2023-02-30 20:34:00,635|Statistics reset", LineFault::ImpossibleStamp),
        ("2023-04-11 25:34:00,635|Statistics reset", LineFault::ImpossibleStamp),
        ("2023-04-11 20:34:00,635 Statistics reset", LineFault::NoSeparator),
        ("2023-04-11 20:34:00,635|Statistics", LineFault::UnknownBody),
        ("2023-04-11 20:34:00,635|Usage,consumed,1000", LineFault::UnknownBody),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,,rejected,0,since,2023-04-11T11:51:27+0300",
            LineFault::BadCount,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,18446744073709551616,rejected,0,since,2023-04-11T11:51:27+0300",
            LineFault::CountOverflow,
        ),
        (
            // Fits in 64 bits, but two such counters would not add up.
            "2023-04-11 20:34:00,635|Usage,consumed,18446744073709550999,rejected,0,since,2023-04-11T11:51:27+0300",
            LineFault::CountOverflow,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,1099511627777,since,2023-04-11T11:51:27+0300",
            LineFault::CountOverflow,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11 11:51:27+0300",
            LineFault::BadSince,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27",
            LineFault::BadSince,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0370",
            LineFault::BadSince,
        ),
        (
            "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300 x",
            LineFault::TrailingText,
        ),
        ("2023-04-17 00:00:00,145|Statistics reset!", LineFault::TrailingText),
    ];

    #[test]
    fn malformed_lines_give_their_reason() {
        for &(line, fault) in FAULTS {
            assert_eq!(parse_usage_line(line.as_bytes()), Err(fault), "{line:?}");
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let seed = b"2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300";
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut line = seed.to_vec();
            let at = (state as usize) % line.len();
            line[at] = (state >> 32) as u8;
            line.truncate(((state >> 40) as usize) % (seed.len() + 1));
            let _ = parse_usage_line(&line);
        }
    }
}
