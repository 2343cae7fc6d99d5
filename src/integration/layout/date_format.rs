//! The date-format compiler: SimpleDateFormat / DateTimeFormatter letters, quoted literals
//! and the named formats of Log4j 1 and 2, compiled to ops that read a date without
//! allocating, with a by-position fast path for `yyyy-MM-dd HH:mm:ss,SSS` shapes.

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use nom::bytes::complete::{take_till1, take_while1};
use nom::character::complete::char;
use nom::combinator::opt;
use nom::Parser;

use super::date::{fixed_zone, DateValue};
use super::pattern::PResult;

/// Named date formats of Log4j 1 and 2. Log4j 1 writes `ISO8601` with a space
/// where Log4j 2 writes `T`, so the ISO names accept either.
pub(super) const NAMED_DATES: &[(&str, &str)] = &[
    ("DEFAULT", "yyyy-MM-dd HH:mm:ss,SSS"),
    ("DEFAULT_PERIOD", "yyyy-MM-dd HH:mm:ss.SSS"),
    ("DEFAULT_MICROS", "yyyy-MM-dd HH:mm:ss,SSSSSS"),
    ("DEFAULT_NANOS", "yyyy-MM-dd HH:mm:ss,SSSSSSSSS"),
    ("ISO8601", "yyyy-MM-dd\u{0}HH:mm:ss,SSS"),
    ("ISO8601_PERIOD", "yyyy-MM-dd\u{0}HH:mm:ss.SSS"),
    ("ISO8601_PERIOD_MICROS", "yyyy-MM-dd\u{0}HH:mm:ss.SSSSSS"),
    (
        "ISO8601_OFFSET_DATE_TIME_HH",
        "yyyy-MM-dd\u{0}HH:mm:ss,SSSX",
    ),
    (
        "ISO8601_OFFSET_DATE_TIME_HHMM",
        "yyyy-MM-dd\u{0}HH:mm:ss,SSSXX",
    ),
    (
        "ISO8601_OFFSET_DATE_TIME_HHCMM",
        "yyyy-MM-dd\u{0}HH:mm:ss,SSSXXX",
    ),
    ("ISO8601_BASIC", "yyyyMMdd'T'HHmmss,SSS"),
    ("ISO8601_BASIC_PERIOD", "yyyyMMdd'T'HHmmss.SSS"),
    ("ABSOLUTE", "HH:mm:ss,SSS"),
    ("ABSOLUTE_PERIOD", "HH:mm:ss.SSS"),
    ("ABSOLUTE_MICROS", "HH:mm:ss,SSSSSS"),
    ("ABSOLUTE_NANOS", "HH:mm:ss,SSSSSSSSS"),
    ("DATE", "dd MMM yyyy HH:mm:ss,SSS"),
    ("DATE_PERIOD", "dd MMM yyyy HH:mm:ss.SSS"),
    ("COMPACT", "yyyyMMddHHmmssSSS"),
    ("US_MONTH_DAY_YEAR2_TIME", "dd/MM/yy HH:mm:ss.SSS"),
    ("US_MONTH_DAY_YEAR4_TIME", "dd/MM/yyyy HH:mm:ss.SSS"),
];

/// Stands for "`T` or a space" in [`NAMED_DATES`]; never valid in user patterns.
pub(super) const T_OR_SPACE: char = '\u{0}';

pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

pub(super) const DAYS: [&str; 7] = crate::calendar::WEEKDAY_NAMES;

pub(super) const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// `yyyy?MM?dd?HH?mm?ss?SSS` with one-byte separators: the shape of nearly
/// every real layout, parsed by position.
#[derive(Debug, Clone, Copy)]
pub(super) struct FastDate {
    pub(super) seps: [u8; 6],
}

#[derive(Debug, Clone)]
pub(super) struct DatePattern {
    pub(super) ops: Vec<DOp>,
    pub(super) has_date: bool,
    pub(super) hour: HourKind,
    pub(super) has_weekday: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HourKind {
    /// H: 0-23 (or no hour at all).
    H,
    /// k: 1-24.
    K24,
    /// h: 1-12, with a.
    H12,
    /// K: 0-11, with a.
    K12,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DOp {
    Lit(Vec<u8>),
    TOrSpace,
    Num { field: NumField, min: u8, max: u8 },
    Frac(u8),
    MonthName { full: bool },
    DayName { full: bool },
    AmPm,
    Offset,
    ZoneName,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NumField {
    Year,
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

/// Where a [`FastDate`] has its digits.
pub(super) const FAST_DIGITS: [usize; 17] =
    [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

impl FastDate {
    #[inline(always)]
    pub(super) fn separators_match(&self, s: &[u8; 23]) -> bool {
        let middle_ok = match self.seps[2] {
            0 => s[10] == b'T' || s[10] == b' ',
            sep => s[10] == sep,
        };
        middle_ok
            && s[4] == self.seps[0]
            && s[7] == self.seps[1]
            && s[13] == self.seps[3]
            && s[16] == self.seps[4]
            && s[19] == self.seps[5]
    }

    pub(super) fn shape_len(&self, s: &[u8]) -> Option<usize> {
        let s: &[u8; 23] = s.get(..23)?.try_into().ok()?;
        let digits = FAST_DIGITS.iter().all(|&at| s[at].is_ascii_digit());
        (digits && self.separators_match(s)).then_some(23)
    }

    /// [`FastDate::parse`], taking the day from `memo` when the date's ten bytes are the
    /// ones it holds (they were checked then), and keeping the day of a new date there.
    #[inline(always)]
    pub(super) fn parse_with(&self, s: &[u8], memo: &mut DateMemo) -> Option<(DateValue, usize)> {
        let s: &[u8; 23] = s.get(..23)?.try_into().ok()?;
        let mut key = [0u8; 16];
        key[..10].copy_from_slice(&s[..10]);
        let key = u128::from_le_bytes(key);
        if key != memo.key {
            let parsed = self.parse(s)?;
            if let Some(local) = parsed.0.local {
                *memo = DateMemo {
                    key,
                    date: local.date(),
                };
            }
            return Some(parsed);
        }
        if !self.separators_match(s) {
            return None;
        }
        // The time's digits: FAST_DIGITS from the hour on.
        let mut d = [0u32; 9];
        let mut bad = false;
        for (k, &at) in FAST_DIGITS[8..].iter().enumerate() {
            let v = s[at].wrapping_sub(b'0');
            bad |= v > 9;
            d[k] = u32::from(v);
        }
        if bad {
            return None;
        }
        let time = NaiveTime::from_hms_milli_opt(
            d[0] * 10 + d[1],
            d[2] * 10 + d[3],
            d[4] * 10 + d[5],
            d[6] * 100 + d[7] * 10 + d[8],
        )?;
        let v = DateValue {
            local: Some(memo.date.and_time(time)),
            time: None,
            offset: None,
        };
        Some((v, 23))
    }

    #[inline(always)]
    pub(super) fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
        let s: &[u8; 23] = s.get(..23)?.try_into().ok()?;
        if !self.separators_match(s) {
            return None;
        }
        const DIGITS: [usize; 17] = FAST_DIGITS;
        let mut d = [0u32; 17];
        let mut bad = false;
        for (k, &at) in DIGITS.iter().enumerate() {
            let v = s[at].wrapping_sub(b'0');
            bad |= v > 9;
            d[k] = u32::from(v);
        }
        if bad {
            return None;
        }
        let year = (d[0] * 1000 + d[1] * 100 + d[2] * 10 + d[3]) as i32;
        let month = d[4] * 10 + d[5];
        let day = d[6] * 10 + d[7];
        let hour = d[8] * 10 + d[9];
        let minute = d[10] * 10 + d[11];
        let second = d[12] * 10 + d[13];
        let milli = d[14] * 100 + d[15] * 10 + d[16];
        let date = NaiveDate::from_ymd_opt(year, month, day)?;
        let time = NaiveTime::from_hms_milli_opt(hour, minute, second, milli)?;
        let v = DateValue {
            local: Some(date.and_time(time)),
            time: None,
            offset: None,
        };
        Some((v, 23))
    }
}

/// The day of the latest `yyyy-MM-dd…` date a header was read with, by its ten bytes:
/// lines of one day share them, and the date is then neither parsed nor checked again.
/// Equality ignores it (it caches, it does not describe a line).
#[derive(Debug, Clone, Copy)]
pub struct DateMemo {
    /// The ten bytes, little-endian; [`DateMemo::NONE`] matches no text.
    key: u128,
    date: NaiveDate,
}

impl DateMemo {
    const NONE: u128 = u128::MAX;
}

impl Default for DateMemo {
    fn default() -> DateMemo {
        DateMemo {
            key: DateMemo::NONE,
            date: NaiveDate::MIN,
        }
    }
}

impl PartialEq for DateMemo {
    fn eq(&self, _: &DateMemo) -> bool {
        true
    }
}

pub(super) fn date_err<T>(reason: impl Into<String>) -> Result<T, String> {
    Err(reason.into())
}

/// One token of a date pattern: a quoted or plain literal, or a letter run.
pub(super) fn date_token(input: &str) -> PResult<'_, DTok<'_>> {
    if let Some(rest) = input.strip_prefix("''") {
        return Ok((rest, DTok::Lit("'")));
    }
    if input.starts_with('\'') {
        return quoted(input).map(|(r, q)| (r, DTok::Quoted(q)));
    }
    if let Some(c) = input.chars().next().filter(char::is_ascii_alphabetic) {
        let (rest, run) = take_while1(|x| x == c)(input)?;
        return Ok((rest, DTok::Letters(c, run.len())));
    }
    let (rest, lit) = take_till1(|c: char| c.is_ascii_alphabetic() || c == '\'')(input)?;
    Ok((rest, DTok::Lit(lit)))
}

/// `'...'` with `''` standing for a quote inside.
pub(super) fn quoted(input: &str) -> PResult<'_, String> {
    let (mut rest, _) = char('\'')(input)?;
    let mut text = String::new();
    loop {
        let (r, part) = opt(take_till1(|c| c == '\'')).parse(rest)?;
        text.push_str(part.unwrap_or(""));
        let (r, _) = char('\'')(r)?;
        match r.strip_prefix('\'') {
            Some(r2) => {
                text.push('\'');
                rest = r2;
            }
            None => return Ok((r, text)),
        }
    }
}

pub(super) enum DTok<'p> {
    Lit(&'p str),
    Quoted(String),
    Letters(char, usize),
}

impl DatePattern {
    pub(super) fn compile(pattern: &str) -> Result<DatePattern, String> {
        let mut ops: Vec<DOp> = Vec::new();
        let mut rest = pattern;
        let (mut year, mut month, mut day) = (false, false, false);
        let (mut hour, mut am_pm, mut has_weekday) = (None::<HourKind>, false, false);
        let mut any_time = false;
        let push_lit = |ops: &mut Vec<DOp>, text: &str| {
            for part in text.split(T_OR_SPACE) {
                if !part.is_empty() {
                    if let Some(DOp::Lit(prev)) = ops.last_mut() {
                        prev.extend_from_slice(part.as_bytes());
                    } else {
                        ops.push(DOp::Lit(part.as_bytes().to_vec()));
                    }
                }
                ops.push(DOp::TOrSpace);
            }
            ops.pop();
        };
        while !rest.is_empty() {
            let Ok((r, token)) = date_token(rest) else {
                return date_err("unclosed quote");
            };
            rest = r;
            let (letter, count) = match token {
                DTok::Lit(text) => {
                    push_lit(&mut ops, text);
                    continue;
                }
                DTok::Quoted(text) => {
                    let text = text.replace(T_OR_SPACE, "");
                    push_lit(&mut ops, &text);
                    continue;
                }
                DTok::Letters(c, n) => (c, n),
            };
            let n = u8::try_from(count).unwrap_or(u8::MAX);
            let num = |field, natural: u8| DOp::Num {
                field,
                min: n,
                max: if n == 1 { natural } else { n },
            };
            let op = match letter {
                'y' => {
                    year = true;
                    match n {
                        2 => num(NumField::Year2, 2),
                        _ => DOp::Num {
                            field: NumField::Year,
                            min: n,
                            max: n.max(4),
                        },
                    }
                }
                'M' | 'L' => {
                    month = true;
                    match n {
                        1 | 2 => num(NumField::Month, 2),
                        3 => DOp::MonthName { full: false },
                        _ => DOp::MonthName { full: true },
                    }
                }
                'd' => {
                    day = true;
                    num(NumField::Day, 2)
                }
                'H' | 'k' | 'h' | 'K' => {
                    let kind = match letter {
                        'H' => HourKind::H,
                        'k' => HourKind::K24,
                        'h' => HourKind::H12,
                        _ => HourKind::K12,
                    };
                    if hour.is_some_and(|h| h != kind) {
                        return date_err("mixes different hour letters");
                    }
                    hour = Some(kind);
                    num(NumField::Hour, 2)
                }
                'm' => {
                    any_time = true;
                    num(NumField::Minute, 2)
                }
                's' => {
                    any_time = true;
                    num(NumField::Second, 2)
                }
                'S' if n == 3 => {
                    any_time = true;
                    num(NumField::Milli, 3)
                }
                'S' | 'n' => {
                    any_time = true;
                    if n > 9 {
                        return date_err(format!("`{letter}` repeated {count} times; at most 9 fraction digits"));
                    }
                    DOp::Frac(n)
                }
                'a' => {
                    am_pm = true;
                    DOp::AmPm
                }
                'E' => {
                    has_weekday = true;
                    DOp::DayName { full: n >= 4 }
                }
                'Z' | 'X' | 'x' => DOp::Offset,
                'z' => DOp::ZoneName,
                other => {
                    return date_err(format!(
                        "unsupported letter `{other}`; supported: y M d H h k K m s S n a E Z X x z and quoted text"
                    ))
                }
            };
            ops.push(op);
        }
        // Abutting numbers (`yyyyMMddHHmmss`) only separate at their written width.
        for k in 0..ops.len().saturating_sub(1) {
            let next_is_number = matches!(ops[k + 1], DOp::Num { .. } | DOp::Frac(_));
            if let DOp::Num { min, max, .. } = &mut ops[k] {
                if next_is_number {
                    *max = *min;
                }
            }
        }
        let has_date = year || month || day;
        if has_date && !(year && month && day) {
            return date_err("needs all of year (y), month (M) and day (d), or none of them");
        }
        let hour_kind = hour.unwrap_or(HourKind::H);
        if !has_date && hour.is_none() {
            return date_err("has neither a date nor an hour");
        }
        if any_time && hour.is_none() {
            return date_err("has minutes or seconds but no hour");
        }
        if matches!(hour_kind, HourKind::H12 | HourKind::K12) && !am_pm {
            return date_err(
                "uses a 12-hour clock (h or K) without AM/PM (a), so times are ambiguous",
            );
        }
        Ok(DatePattern {
            ops,
            has_date,
            hour: hour_kind,
            has_weekday,
        })
    }

    pub(super) fn fast(&self) -> Option<FastDate> {
        use NumField::*;
        let shape = [Year, Month, Day, Hour, Minute, Second, Milli];
        if self.ops.len() != 13 || self.hour != HourKind::H {
            return None;
        }
        let mut seps = [0u8; 6];
        for (k, op) in self.ops.iter().enumerate() {
            if k % 2 == 0 {
                let (width, field) = match op {
                    DOp::Num { field, min, max } if min == max => (*min, *field),
                    _ => return None,
                };
                let want = shape[k / 2];
                let want_width = match want {
                    Year => 4,
                    Milli => 3,
                    _ => 2,
                };
                if field != want || width != want_width {
                    return None;
                }
            } else {
                seps[k / 2] = match op {
                    DOp::Lit(l) if l.len() == 1 && l[0] != 0 => l[0],
                    DOp::TOrSpace if k / 2 == 2 => 0,
                    _ => return None,
                };
            }
        }
        Some(FastDate { seps })
    }

    /// See [`DateSpec::shape_len`]: every number its width in digits, every name a word
    /// of letters, literals as written.
    pub(super) fn shape_len(&self, s: &[u8]) -> Option<usize> {
        let mut at = 0usize;
        for op in &self.ops {
            let rest = &s[at..];
            let run = |min: usize, max: usize, class: fn(&u8) -> bool| {
                let n = rest.iter().take(max).take_while(|b| class(b)).count();
                (n >= min).then_some(n)
            };
            at += match op {
                DOp::Lit(l) => rest.starts_with(l).then_some(l.len())?,
                DOp::TOrSpace => matches!(rest.first(), Some(b'T' | b' ')).then_some(1)?,
                DOp::Num { min, max, .. } => {
                    run(usize::from(*min), usize::from(*max), u8::is_ascii_digit)?
                }
                DOp::Frac(n) => run(usize::from(*n), usize::from(*n), u8::is_ascii_digit)?,
                DOp::MonthName { .. } | DOp::DayName { .. } => {
                    run(3, usize::MAX, u8::is_ascii_alphabetic)?
                }
                DOp::AmPm => run(2, 2, u8::is_ascii_alphabetic)?,
                DOp::Offset => parse_offset(rest)?.1,
                DOp::ZoneName => run(1, usize::MAX, |b| {
                    b.is_ascii_alphanumeric() || b"/_+-:".contains(b)
                })?,
            };
        }
        Some(at)
    }

    pub(super) fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
        let (mut year, mut month, mut day) = (1970i32, 1u32, 1u32);
        let (mut hour, mut minute, mut second, mut nano) = (0u32, 0u32, 0u32, 0u32);
        let mut pm = false;
        let mut weekday = None;
        let mut offset = None;
        let mut at = 0usize;
        for op in &self.ops {
            let rest = &s[at..];
            match op {
                DOp::Lit(l) => {
                    if !rest.starts_with(l) {
                        return None;
                    }
                    at += l.len();
                }
                DOp::TOrSpace => {
                    if !matches!(rest.first(), Some(b'T' | b' ')) {
                        return None;
                    }
                    at += 1;
                }
                DOp::Num { field, min, max } => {
                    let (v, n) = digits(rest, usize::from(*min), usize::from(*max))?;
                    at += n;
                    match field {
                        NumField::Year => year = i32::try_from(v).ok()?,
                        NumField::Year2 => year = 2000 + v as i32,
                        NumField::Month => month = v,
                        NumField::Day => day = v,
                        NumField::Hour => hour = v,
                        NumField::Minute => minute = v,
                        NumField::Second => second = v,
                        NumField::Milli => nano = v.checked_mul(1_000_000)?,
                    }
                }
                DOp::Frac(n) => {
                    let n = usize::from(*n);
                    let (v, _) = digits(rest, n, n)?;
                    nano = v * 10u32.pow(9 - n as u32);
                    at += n;
                }
                DOp::MonthName { full } => {
                    let (i, n) = match_name(rest, &MONTHS, *full)?;
                    month = i as u32 + 1;
                    at += n;
                }
                DOp::DayName { full } => {
                    let (i, n) = match_name(rest, &DAYS, *full)?;
                    weekday = Some(WEEKDAYS[i]);
                    at += n;
                }
                DOp::AmPm => {
                    let word = rest.get(..2)?;
                    pm = if word.eq_ignore_ascii_case(b"PM") {
                        true
                    } else if word.eq_ignore_ascii_case(b"AM") {
                        false
                    } else {
                        return None;
                    };
                    at += 2;
                }
                DOp::Offset => {
                    let (o, n) = parse_offset(rest)?;
                    offset = Some(o);
                    at += n;
                }
                DOp::ZoneName => {
                    let n = rest
                        .iter()
                        .take_while(|&&b| b.is_ascii_alphanumeric() || b"/_+-:".contains(&b))
                        .count();
                    if n == 0 {
                        return None;
                    }
                    let name = std::str::from_utf8(&rest[..n]).ok()?;
                    if let Some(o) = fixed_zone(name) {
                        offset = Some(o);
                    }
                    at += n;
                }
            }
        }
        hour = match self.hour {
            HourKind::H if hour <= 23 => hour,
            HourKind::K24 if (1..=24).contains(&hour) => hour % 24,
            HourKind::H12 if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
            HourKind::K12 if hour <= 11 => hour + if pm { 12 } else { 0 },
            _ => return None,
        };
        let time = NaiveTime::from_hms_nano_opt(hour, minute, second, nano)?;
        let mut v = DateValue {
            offset,
            ..DateValue::default()
        };
        if self.has_date {
            let date = NaiveDate::from_ymd_opt(year, month, day)?;
            if self.has_weekday && weekday != Some(date.weekday()) {
                return None;
            }
            v.local = Some(date.and_time(time));
        } else {
            v.time = Some(time);
        }
        Some((v, at))
    }
}

/// Between `min` and `max` ASCII digits.
#[inline]
pub(super) fn digits(s: &[u8], min: usize, max: usize) -> Option<(u32, usize)> {
    let mut v = 0u32;
    let mut n = 0;
    while n < max {
        match s.get(n) {
            Some(&b) if b.is_ascii_digit() => {
                v = v.checked_mul(10)?.checked_add(u32::from(b - b'0'))?;
                n += 1;
            }
            _ => break,
        }
    }
    (n >= min).then_some((v, n))
}

/// An English month or day name (Log4j formats with the JVM's locale, which
/// for servers is practically always English), matched case-insensitively.
pub(super) fn match_name(s: &[u8], names: &[&str], full: bool) -> Option<(usize, usize)> {
    names.iter().enumerate().find_map(|(i, name)| {
        let name = if full {
            name.as_bytes()
        } else {
            &name.as_bytes()[..3]
        };
        let got = s.get(..name.len())?;
        got.eq_ignore_ascii_case(name).then_some((i, name.len()))
    })
}

/// `Z`, `+03`, `+0300`, `+03:00` (and `-`), as written by Z, X and x; also
/// `+3` as in `GMT+3`.
pub(super) fn parse_offset(s: &[u8]) -> Option<(i32, usize)> {
    let sign = match s.first()? {
        b'Z' => return Some((0, 1)),
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let (h, hn) = digits(&s[1..], 1, 2)?;
    let mut n = 1 + hn;
    let mut m = 0;
    if s.get(n) == Some(&b':') {
        (m, _) = digits(&s[n + 1..], 2, 2)?;
        n += 3;
    } else if hn == 2 {
        if let Some((v, _)) = digits(&s[n..], 2, 2) {
            m = v;
            n += 2;
        }
    }
    if h > 18 || m > 59 {
        return None;
    }
    Some((sign * (h * 3600 + m * 60) as i32, n))
}
