//! The date converter (`%d{pattern}{zone}`): its pattern compiled by the date-format
//! compiler or read as epoch numbers, and its time zone.

use chrono::{DateTime, NaiveDateTime, NaiveTime};

use super::compile::Pad;
use super::date_format::{parse_offset, DateMemo, DatePattern, FastDate, NAMED_DATES};
use super::padding::leading_spaces;
use super::LayoutError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Zone {
    Fixed(i32),
    Named(String, chrono_tz::Tz),
}

#[derive(Debug, Clone)]
pub(super) struct DateSpec {
    pub(super) kind: DateKind,
    pub(super) zone: Option<Zone>,
}

#[derive(Debug, Clone)]
pub(super) enum DateKind {
    Fast(FastDate),
    Pattern(DatePattern),
    Unix,
    UnixMillis,
}

#[derive(Debug, Default)]
pub(super) struct DateValue {
    pub(super) local: Option<NaiveDateTime>,
    pub(super) time: Option<NaiveTime>,
    pub(super) offset: Option<i32>,
}

impl DateSpec {
    pub(super) fn compile(
        pattern: Option<&str>,
        zone: Option<&str>,
    ) -> Result<DateSpec, LayoutError> {
        let zone = zone.map(parse_zone).transpose()?;
        let pattern = pattern.unwrap_or("DEFAULT");
        let kind = match pattern {
            "UNIX" => DateKind::Unix,
            "UNIX_MILLIS" => DateKind::UnixMillis,
            _ => {
                let expanded = NAMED_DATES
                    .iter()
                    .find(|(name, _)| *name == pattern)
                    .map_or(pattern, |(_, p)| *p);
                let compiled = DatePattern::compile(expanded).map_err(|reason| {
                    LayoutError::BadDatePattern {
                        pattern: pattern.to_owned(),
                        reason,
                    }
                })?;
                match compiled.fast() {
                    Some(fast) => DateKind::Fast(fast),
                    None => DateKind::Pattern(compiled),
                }
            }
        };
        Ok(DateSpec { kind, zone })
    }

    pub(super) fn time_only(&self) -> bool {
        matches!(&self.kind, DateKind::Pattern(p) if !p.has_date)
    }

    /// How long a date of this shape at the start of `s` is, without checking the
    /// values: the test of a line that was meant to be a header.
    pub(super) fn shape_len(&self, s: &[u8]) -> Option<usize> {
        match &self.kind {
            DateKind::Fast(f) => f.shape_len(s),
            DateKind::Pattern(p) => p.shape_len(s),
            DateKind::Unix | DateKind::UnixMillis => {
                let width = if matches!(self.kind, DateKind::UnixMillis) {
                    13
                } else {
                    10
                };
                let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
                (digits == width).then_some(digits)
            }
        }
    }

    // Always inlined into the matcher: it is the first op of nearly every layout.
    #[inline(always)]
    pub(super) fn parse_padded(&self, input: &[u8], pad: Pad) -> Option<(DateValue, usize)> {
        self.parse_padded_with(input, pad, None)
    }

    /// [`DateSpec::parse_padded`], with the day of the line before in `memo` (for the
    /// `yyyy-MM-dd HH:mm:ss,SSS` shape; others parse as without it).
    #[inline(always)]
    pub(super) fn parse_padded_with(
        &self,
        input: &[u8],
        pad: Pad,
        memo: Option<&mut DateMemo>,
    ) -> Option<(DateValue, usize)> {
        let lead = if pad.left {
            0
        } else {
            leading_spaces(input, pad.min)
        };
        let (mut v, n) = match (&self.kind, memo) {
            (DateKind::Fast(f), Some(memo)) => f.parse_with(&input[lead..], memo)?,
            _ => self.parse(&input[lead..])?,
        };
        let mut end = lead + n;
        if pad.left {
            end += leading_spaces(&input[end..], pad.min.saturating_sub(n));
        }
        if v.offset.is_none() {
            if let Some(Zone::Fixed(s)) = self.zone {
                v.offset = Some(s);
            }
        }
        Some((v, end))
    }

    #[inline(always)]
    pub(super) fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
        match &self.kind {
            DateKind::Fast(f) => f.parse(s),
            DateKind::Pattern(p) => p.parse(s),
            DateKind::Unix | DateKind::UnixMillis => {
                let millis = matches!(self.kind, DateKind::UnixMillis);
                // Exactly the widths of 2001-09-09 .. 2286: anything else is a
                // number at the start of a message line, not a timestamp.
                let width = if millis { 13 } else { 10 };
                let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
                if digits != width {
                    return None;
                }
                let n = s[..digits]
                    .iter()
                    .fold(0i64, |acc, &b| acc * 10 + i64::from(b - b'0'));
                let utc = if millis {
                    DateTime::from_timestamp_millis(n)?
                } else {
                    DateTime::from_timestamp(n, 0)?
                };
                let v = DateValue {
                    local: Some(utc.naive_utc()),
                    time: None,
                    offset: Some(0),
                };
                Some((v, digits))
            }
        }
    }
}

/// A zone name that is a fixed offset: `UTC`, `GMT`, `Z`, `GMT+3`,
/// `UTC-05:30`, `+03:00`.
pub(super) fn fixed_zone(name: &str) -> Option<i32> {
    if matches!(name, "UTC" | "GMT" | "UT" | "Z") {
        return Some(0);
    }
    let rest = ["UTC", "GMT", "UT"]
        .iter()
        .find_map(|p| name.strip_prefix(p))
        .unwrap_or(name);
    if !rest.starts_with(['+', '-']) {
        return None;
    }
    let (offset, n) = parse_offset(rest.as_bytes())?;
    (n == rest.len()).then_some(offset)
}

pub(super) fn parse_zone(text: &str) -> Result<Zone, LayoutError> {
    let name = text.trim();
    if let Some(offset) = fixed_zone(name) {
        return Ok(Zone::Fixed(offset));
    }
    match name.parse::<chrono_tz::Tz>() {
        Ok(tz) => Ok(Zone::Named(name.to_owned(), tz)),
        Err(_) => Err(LayoutError::UnknownZone {
            zone: name.to_owned(),
        }),
    }
}
