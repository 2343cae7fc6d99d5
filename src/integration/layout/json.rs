//! JSON layouts: one JSON object per line, as Log4j 2's `JsonLayout` and
//! `JsonTemplateLayout` (ECS and others), `logstash-logback-encoder` and Python's
//! ecs-logging write them.
//!
//! The header fields come from the usual member names of those layouts (`@timestamp`,
//! `timeMillis`, `instant`, `log.level`, `level`, `process.thread.name`, `thread`,
//! `log.logger`, `loggerName`…), whether written dotted or nested. The whole line is the
//! message, so the REST fields are read from JSON members (top level, MDC maps or nested)
//! as well as from the text of the `message` member.

use chrono::{NaiveDate, NaiveDateTime};
use memchr::memchr2;

use super::{Header, LEVELS};

/// The name `--layout` takes for JSON lines.
pub const JSON_LAYOUT: &str = "json";

/// How deep the names of enclosing objects are remembered (`process.thread.name`).
const DEPTH: usize = 4;

/// Which header field a member carries, by its dotted name (the names of the objects it is
/// nested in, then its own): the first match of each list wins.
const TIME: &[&str] = &[
    "@timestamp",
    "timestamp",
    "timeMillis",
    "time",
    "date",
    "ts",
    "asctime",
];
const LEVEL: &[&str] = &["log.level", "level", "levelname", "severity", "loglevel"];
const THREAD: &[&str] = &["process.thread.name", "thread_name", "threadName", "thread"];
const LOGGER: &[&str] = &["log.logger", "logger_name", "loggerName", "logger", "name"];

/// A JSON line's header, or None when the line is not one JSON object.
pub(super) fn parse_header(line: &[u8]) -> Option<Header<'_>> {
    let trimmed = line.trim_ascii();
    if !(trimmed.starts_with(b"{") && trimmed.ends_with(b"}")) {
        return None;
    }
    let mut header = Header::empty();
    header.message = line;
    let mut ranks = [usize::MAX; 4];
    let mut epoch: (Option<i64>, Option<u32>) = (None, None);
    for_each_member(trimmed, |path, value| {
        let Some((leaf, parents)) = path.split_last() else {
            return;
        };
        if *leaf == b"epochSecond" && parents.last() == Some(&&b"instant"[..]) {
            epoch.0 = digits(value).and_then(|n| i64::try_from(n).ok());
            return;
        }
        if *leaf == b"nanoOfSecond" && parents.last() == Some(&&b"instant"[..]) {
            epoch.1 = digits(value).and_then(|n| u32::try_from(n).ok());
            return;
        }
        for (slot, names) in [TIME, LEVEL, THREAD, LOGGER].iter().enumerate() {
            let Some(rank) = names.iter().position(|n| named(path, n)) else {
                continue;
            };
            if rank >= ranks[slot] {
                continue;
            }
            let read = match slot {
                0 => read_time(value, &mut header),
                1 => {
                    header.level = Some(level(value));
                    true
                }
                2 => {
                    header.thread = Some(value);
                    true
                }
                _ => {
                    header.logger = Some(value);
                    true
                }
            };
            if read {
                ranks[slot] = rank;
            }
        }
    });
    if header.local.is_none() {
        if let (Some(seconds), nanos) = epoch {
            header.local = chrono::DateTime::from_timestamp(seconds, nanos.unwrap_or(0))
                .map(|t| t.naive_utc());
            header.offset_seconds = header.local.map(|_| 0);
        }
    }
    Some(header)
}

/// Whether a member's path (enclosing names, then its own) is the dotted `name`, spelled
/// with dots in one key (`"log.level"`) or nested (`"log":{"level"…}`).
fn named(path: &[&[u8]], name: &str) -> bool {
    let mut want = name.as_bytes();
    for (i, part) in path.iter().enumerate() {
        let Some(rest) = want.strip_prefix(*part) else {
            return false;
        };
        if i + 1 == path.len() {
            return rest.is_empty();
        }
        match rest.strip_prefix(b".") {
            Some(rest) => want = rest,
            None => return false,
        }
    }
    false
}

/// A level value: one of [`LEVELS`] in its canonical spelling, whatever the case, or the
/// log's own as written (`WARNING`, `notice`).
fn level(value: &[u8]) -> &[u8] {
    LEVELS
        .iter()
        .find(|l| l.as_bytes().eq_ignore_ascii_case(value))
        .map_or(value, |l| l.as_bytes())
}

/// Reads a time member into the header: an ISO-8601 text or epoch milliseconds or seconds.
fn read_time(value: &[u8], header: &mut Header<'_>) -> bool {
    if let Some((local, offset)) = iso_date_time(value) {
        header.local = Some(local);
        header.offset_seconds = offset;
        return true;
    }
    let (whole, fraction) = match memchr2(b'.', b',', value) {
        Some(i) => (&value[..i], Some(&value[i + 1..])),
        None => (value, None),
    };
    let Some(n) = digits(whole).and_then(|n| i64::try_from(n).ok()) else {
        return false;
    };
    // Ten digits are seconds until 2286, thirteen are milliseconds.
    let time = match whole.len() {
        9..=11 => {
            let nanos = fraction.and_then(nanos_of).unwrap_or(0);
            chrono::DateTime::from_timestamp(n, nanos)
        }
        12..=14 if fraction.is_none() => chrono::DateTime::from_timestamp_millis(n),
        _ => None,
    };
    let Some(time) = time else {
        return false;
    };
    header.local = Some(time.naive_utc());
    header.offset_seconds = Some(0);
    true
}

/// `yyyy-MM-dd[T ]HH:mm:ss[.,fraction][Z|±HH:mm|±HHmm|±HH]`; the offset when one is written.
pub(super) fn iso_date_time(s: &[u8]) -> Option<(NaiveDateTime, Option<i32>)> {
    let num = |from: usize, len: usize| -> Option<u32> {
        let part = s.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
        })
    };
    let sep = |at: usize, allowed: &[u8]| s.get(at).is_some_and(|b| allowed.contains(b));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"T ") && sep(13, b":") && sep(16, b":")) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(num(0, 4)? as i32, num(5, 2)?, num(8, 2)?)?;
    let mut at = 19;
    let mut nanos = 0;
    if sep(19, b".,") {
        let len = s[20..].iter().take_while(|b| b.is_ascii_digit()).count();
        nanos = nanos_of(&s[20..20 + len])?;
        at = 20 + len;
    }
    let time = date.and_hms_nano_opt(num(11, 2)?, num(14, 2)?, num(17, 2)?, nanos)?;
    let offset = match s.get(at..)? {
        [] => None,
        b"Z" | b"z" => Some(0),
        [sign @ (b'+' | b'-'), rest @ ..] => {
            let rest: Vec<u8> = rest.iter().copied().filter(|&b| b != b':').collect();
            let hours = num_of(rest.get(..2)?)?;
            let minutes = match rest.len() {
                2 => 0,
                4 => num_of(&rest[2..])?,
                _ => return None,
            };
            let seconds = i32::try_from(hours * 3600 + minutes * 60).ok()?;
            Some(if *sign == b'-' { -seconds } else { seconds })
        }
        _ => return None,
    };
    Some((time, offset))
}

fn num_of(digits: &[u8]) -> Option<u32> {
    (!digits.is_empty() && digits.iter().all(u8::is_ascii_digit)).then(|| {
        digits
            .iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
    })
}

/// Decimal digits as a number; None when empty, not all digits, or too large.
fn digits(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// A decimal fraction of a second as nanoseconds (digits past the ninth are dropped).
fn nanos_of(fraction: &[u8]) -> Option<u32> {
    if fraction.is_empty() || !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut nanos = 0;
    for i in 0..9 {
        nanos = nanos * 10 + fraction.get(i).map_or(0, |&d| u32::from(d - b'0'));
    }
    Some(nanos)
}

/// Calls `visit` with the path (names of the enclosing objects, then the member's own,
/// at most [`DEPTH`] deep) and the value of every member whose value is a string (without
/// its quotes, escapes kept) or a number, true, false or null, in order. Arrays are
/// entered; their members keep the array's name. Never panics, on any bytes.
pub(super) fn for_each_member<'a>(object: &'a [u8], mut visit: impl FnMut(&[&'a [u8]], &'a [u8])) {
    let mut path: [&[u8]; DEPTH] = [&[]; DEPTH];
    let mut depth = 0usize;
    // The name of the member whose value comes next, if a `:` followed a string.
    let mut pending: Option<&[u8]> = None;
    let mut i = 0;
    while i < object.len() {
        match object[i] {
            b'"' => {
                let (string, next) = string_at(object, i + 1);
                i = next;
                let colon = object[i..]
                    .iter()
                    .position(|b| !b.is_ascii_whitespace())
                    .is_some_and(|p| object[i + p] == b':');
                if colon {
                    pending = Some(string);
                } else if let Some(name) = pending.take() {
                    visit_member(&path, depth, name, string, &mut visit);
                }
                continue;
            }
            b'{' | b'[' => {
                // An object in an array, like the outermost one, has no name of its own.
                let name = pending.take().unwrap_or(&[]);
                if depth < DEPTH {
                    path[depth] = name;
                }
                depth += 1;
            }
            b'}' | b']' => {
                pending = None;
                depth = depth.saturating_sub(1);
            }
            b',' | b':' => {}
            b if b.is_ascii_whitespace() => {}
            _ => {
                let end = object[i..]
                    .iter()
                    .position(|&b| matches!(b, b',' | b'}' | b']') || b.is_ascii_whitespace())
                    .map_or(object.len(), |p| i + p);
                if let Some(name) = pending.take() {
                    visit_member(&path, depth, name, &object[i..end], &mut visit);
                }
                i = end;
                continue;
            }
        }
        i += 1;
    }
}

fn visit_member<'a>(
    path: &[&'a [u8]; DEPTH],
    depth: usize,
    name: &'a [u8],
    value: &'a [u8],
    visit: &mut impl FnMut(&[&'a [u8]], &'a [u8]),
) {
    let mut full: [&[u8]; DEPTH + 1] = [&[]; DEPTH + 1];
    let mut len = 0;
    for part in path[..depth.min(DEPTH)].iter().filter(|p| !p.is_empty()) {
        full[len] = part;
        len += 1;
    }
    full[len] = name;
    visit(&full[..=len], value);
}

/// The string starting after an opening quote at `from`: (its body, escapes kept; the
/// position after its closing quote, or the end).
fn string_at(s: &[u8], from: usize) -> (&[u8], usize) {
    let (rest, body) = crate::integration::shapes::quoted_value(&s[from.min(s.len())..]);
    (body, s.len() - rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Time, offset, level, thread, logger.
    type Read = (
        Option<String>,
        Option<i32>,
        Option<String>,
        Option<String>,
        Option<String>,
    );

    fn header(line: &str) -> Option<Read> {
        let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        parse_header(line.as_bytes()).map(|h| {
            (
                h.local
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S%.3f").to_string()),
                h.offset_seconds,
                text(h.level),
                text(h.thread),
                text(h.logger),
            )
        })
    }

    #[test]
    fn layouts_of_each_library() {
        type Want = (
            Option<&'static str>,
            Option<i32>,
            Option<&'static str>,
            Option<&'static str>,
            Option<&'static str>,
        );
        let cases: &[(&str, Option<Want>)] = &[
            // Log4j 2 JsonTemplateLayout with EcsLayout.json.
            (
                r#"{"@timestamp":"2023-10-26T08:00:00.123Z","ecs.version":"1.2.0","log.level":"INFO","message":"user=A method=GET path=/x status=200","process.thread.name":"http-nio-8443-exec-7","log.logger":"com.efecte.rest.RestApiLogger"}"#,
                Some((
                    Some("2023-10-26 08:00:00.123"),
                    Some(0),
                    Some("INFO"),
                    Some("http-nio-8443-exec-7"),
                    Some("com.efecte.rest.RestApiLogger"),
                )),
            ),
            // Log4j 2 JsonLayout (compact), epoch in `instant` and `timeMillis`.
            (
                r#"{"instant":{"epochSecond":1698307200,"nanoOfSecond":5000000},"thread":"main","level":"WARN","loggerName":"x.Y","message":"hello","endOfBatch":false,"contextMap":{"user":"A"}}"#,
                Some((
                    Some("2023-10-26 08:00:00.005"),
                    Some(0),
                    Some("WARN"),
                    Some("main"),
                    Some("x.Y"),
                )),
            ),
            (
                r#"{"timeMillis":1698307200250,"thread":"main","level":"ERROR","loggerName":"x","message":"m"}"#,
                Some((
                    Some("2023-10-26 08:00:00.250"),
                    Some(0),
                    Some("ERROR"),
                    Some("main"),
                    Some("x"),
                )),
            ),
            // logstash-logback-encoder.
            (
                r#"{"@timestamp":"2023-10-26T11:00:00.123+03:00","@version":"1","message":"m","logger_name":"a.B","thread_name":"t-1","level":"info","level_value":20000}"#,
                Some((
                    Some("2023-10-26 11:00:00.123"),
                    Some(10800),
                    Some("INFO"),
                    Some("t-1"),
                    Some("a.B"),
                )),
            ),
            // Python ecs-logging: nested `log` and `process` objects.
            (
                r#"{"@timestamp":"2023-10-26T08:00:00.000Z","log.level":"warning","message":"m","ecs":{"version":"1.6.0"},"log":{"logger":"app","origin":{"file":{"line":3,"name":"a.py"}}},"process":{"name":"MainProcess","thread":{"id":1,"name":"MainThread"}}}"#,
                Some((
                    Some("2023-10-26 08:00:00.000"),
                    Some(0),
                    Some("warning"),
                    Some("MainThread"),
                    Some("app"),
                )),
            ),
            (r#"{"msg":"no time"}"#, Some((None, None, None, None, None))),
            ("not json", None),
            (r#"{"truncated":"#, None),
            (
                r#"{"@timestamp":"2023-02-30T00:00:00Z"}"#,
                Some((None, None, None, None, None)),
            ),
        ];
        for (line, want) in cases {
            let want = want.map(|(t, o, l, th, lo)| {
                (
                    t.map(str::to_owned),
                    o,
                    l.map(str::to_owned),
                    th.map(str::to_owned),
                    lo.map(str::to_owned),
                )
            });
            assert_eq!(header(line), want, "{line}");
        }
    }

    #[test]
    fn members_on_hostile_bytes() {
        for bytes in [
            &b"{"[..],
            b"{\"",
            b"{\"a\\",
            b"{\"a\":",
            b"{]]]}",
            b"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":1}}}}}",
            b"\xff{\"\xfe\":\"\xfd\"}",
        ] {
            for_each_member(bytes, |_, _| {});
            let _ = parse_header(bytes);
        }
        let mut seen = Vec::new();
        for_each_member(
            br#"{"a":{"b":[{"c":"x"}],"d":2},"e":"y"}"#,
            |path, value| {
                let path: Vec<String> = path
                    .iter()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .collect();
                seen.push((path.join("."), String::from_utf8_lossy(value).into_owned()));
            },
        );
        assert_eq!(
            seen,
            [
                ("a.b.c".to_string(), "x".to_string()),
                ("a.d".into(), "2".into()),
                ("e".into(), "y".into())
            ]
        );
    }
}
