//! The text columns the calls table derives from a call's time (`time`, `date`, `week`),
//! written without chrono's formatter on every row.
//!
//! Formatting three strings per call through `format!` and chrono's pattern interpreter cost
//! more than parsing the call. Calls come in time order, so the day's parts (date, ISO week)
//! and the offset's text are worked out once per day or offset and remembered; each row only
//! adds its clock time, digit by digit. The text is the same as chrono's
//! (`%Y-%m-%dT%H:%M:%S%.3f` and the offset's `Display`); a test compares both.

use crate::calendar::Grain;
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, Timelike};
use std::fmt::Write;

/// The day's and the offset's text of the call before, kept for the next one.
#[derive(Debug, Default)]
pub struct TimeText {
    day: Option<NaiveDate>,
    /// `2023-04-11`.
    date: String,
    /// `2023-W15`, the ISO week esmlog reports the day in.
    week: String,
    /// The offset `offset_text` was made for (None: no offset known).
    offset: Option<Option<i32>>,
    /// `+03:00`, or empty when the offset is unknown or out of range.
    offset_text: String,
}

impl TimeText {
    /// The date (`2023-04-11`) and ISO week (`2023-W15`) of `day`.
    pub fn day(&mut self, day: NaiveDate) -> (&str, &str) {
        if self.day != Some(day) {
            self.date.clear();
            let _ = write!(self.date, "{}", day.format("%Y-%m-%d"));
            self.week = Grain::Week.label(Grain::Week.floor(day.and_time(Default::default())));
            self.day = Some(day);
        }
        (&self.date, &self.week)
    }

    /// Appends `t` to `out` as `2023-04-11T20:34:00.635`, followed by `offset` (seconds east
    /// of UTC) as `+03:00` when known. Bytes rather than a String, so that the digits are not
    /// checked for UTF-8 on every row.
    pub fn write_time(&mut self, t: NaiveDateTime, offset: Option<i32>, out: &mut Vec<u8>) {
        let nanos = t.nanosecond();
        if nanos >= 1_000_000_000 {
            // A leap second: chrono's own text, rather than a second rule for it here.
            let text = t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
            out.extend_from_slice(text.as_bytes());
        } else {
            out.extend_from_slice(self.day(t.date()).0.as_bytes());
            let millis = nanos / 1_000_000;
            let digits = [
                b'T',
                two_digits(t.hour()).0,
                two_digits(t.hour()).1,
                b':',
                two_digits(t.minute()).0,
                two_digits(t.minute()).1,
                b':',
                two_digits(t.second()).0,
                two_digits(t.second()).1,
                b'.',
                b'0' + (millis / 100) as u8,
                b'0' + (millis / 10 % 10) as u8,
                b'0' + (millis % 10) as u8,
            ];
            out.extend_from_slice(&digits);
        }
        if self.offset != Some(offset) {
            self.offset_text.clear();
            if let Some(fixed) = offset.and_then(FixedOffset::east_opt) {
                let _ = write!(self.offset_text, "{fixed}");
            }
            self.offset = Some(offset);
        }
        out.extend_from_slice(self.offset_text.as_bytes());
    }
}

/// The two ASCII digits of `n` (below 100).
fn two_digits(n: u32) -> (u8, u8) {
    (b'0' + (n / 10) as u8, b'0' + (n % 10) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Duration};

    /// What the calls table wrote before, through chrono's formatter.
    fn chrono_time(t: NaiveDateTime, offset: Option<i32>) -> String {
        let mut time = t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        if let Some(fixed) = offset.and_then(FixedOffset::east_opt) {
            time.push_str(&fixed.to_string());
        }
        time
    }

    #[test]
    fn same_text_as_chronos_formatter() {
        let mut text = TimeText::default();
        let start = NaiveDate::from_ymd_opt(2023, 12, 28)
            .unwrap()
            .and_hms_milli_opt(23, 59, 58, 7)
            .unwrap();
        let offsets = [
            None,
            Some(0),
            Some(10_800),
            Some(-34_200),
            Some(20_745),
            Some(i32::MAX),
        ];
        // Steps of odd sizes cross seconds, minutes, days, the year and ISO week 53/1.
        let mut t = start;
        for step in 0..20_000u32 {
            let offset = offsets[step as usize % offsets.len()];
            let mut out = b"x".to_vec();
            text.write_time(t, offset, &mut out);
            assert_eq!(
                out,
                format!("x{}", chrono_time(t, offset)).as_bytes(),
                "at {t}"
            );
            let (date, week) = text.day(t.date());
            assert_eq!(date, t.format("%Y-%m-%d").to_string());
            assert_eq!(week, Grain::Week.label(Grain::Week.floor(t)));
            t += Duration::milliseconds(i64::from(step % 977) * 3_001 + 1);
        }
        assert!(t.year() > 2023, "the steps reach the next year");
    }

    #[test]
    fn leap_seconds_and_far_years_as_chrono_writes_them() {
        let mut text = TimeText::default();
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_milli_opt(23, 59, 59, 1_500)
            .unwrap();
        let early = NaiveDate::from_ymd_opt(33, 1, 2)
            .unwrap()
            .and_hms_opt(3, 4, 5)
            .unwrap();
        for t in [leap, early] {
            let mut out = Vec::new();
            text.write_time(t, Some(3_600), &mut out);
            assert_eq!(out, chrono_time(t, Some(3_600)).as_bytes());
        }
    }
}
