//! Writes integration.log entries in a Log4j PatternLayout, so that the generator can produce
//! logs in any of the layouts esmlog reads (the inverse of `integration::layout`, for the
//! specifiers the tests use).

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use std::io::{self, Write};

/// What one entry says.
#[derive(Debug, Clone, Copy)]
pub struct EntryFields<'a> {
    pub local: NaiveDateTime,
    /// The UTC offset in force at `local`, in seconds.
    pub offset_seconds: i32,
    pub level: &'a str,
    pub thread: &'a str,
    pub logger: &'a str,
    /// `%X{requestId}` and other MDC values: written as this for any key.
    pub mdc: &'a str,
    pub message: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    /// chrono strftime text; `utc` when the layout gave a `{UTC}` zone.
    Date {
        strftime: String,
        utc: bool,
    },
    UnixMillis,
    Level {
        width: i32,
    },
    Thread,
    Logger {
        precision: Option<usize>,
    },
    Mdc,
    Message,
    Newline,
}

/// A compiled layout for writing.
#[derive(Debug, Clone)]
pub struct EntryWriter {
    segments: Vec<Segment>,
}

/// SimpleDateFormat to chrono strftime, for the letters Log4j layouts commonly use.
fn strftime_of(pattern: &str) -> Result<String, String> {
    let named = match pattern {
        "" | "DEFAULT" => Some("%Y-%m-%d %H:%M:%S,%3f"),
        "ISO8601" => Some("%Y-%m-%dT%H:%M:%S,%3f"),
        "ISO8601_BASIC" => Some("%Y%m%dT%H%M%S,%3f"),
        "COMPACT" => Some("%Y%m%d%H%M%S%3f"),
        "DATE" => Some("%d %b %Y %H:%M:%S,%3f"),
        _ => None,
    };
    if let Some(n) = named {
        return Ok(n.to_string());
    }
    let mut out = String::new();
    let chars: Vec<char> = pattern.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&x| x == c).count();
        match (c, run) {
            ('\'', _) => {
                let end = chars[i + 1..]
                    .iter()
                    .position(|&x| x == '\'')
                    .ok_or("unclosed quote")?;
                out.extend(chars[i + 1..i + 1 + end].iter());
                i += end + 2;
                continue;
            }
            ('y', 4) => out.push_str("%Y"),
            ('y', 2) => out.push_str("%y"),
            ('M', 2) => out.push_str("%m"),
            ('M', 3) => out.push_str("%b"),
            ('d', 2) => out.push_str("%d"),
            ('H', 2) => out.push_str("%H"),
            ('m', 2) => out.push_str("%M"),
            ('s', 2) => out.push_str("%S"),
            ('S', 3) => out.push_str("%3f"),
            ('X', 3) => out.push_str("%:z"),
            ('X', 2) | ('Z', 1) => out.push_str("%z"),
            ('%', _) => out.push_str("%%"),
            (c, _) if c.is_ascii_alphabetic() => {
                return Err(format!(
                    "date letters `{}` are not written by the generator",
                    c.to_string().repeat(run)
                ))
            }
            (c, run) => (0..run).for_each(|_| out.push(c)),
        }
        i += run;
    }
    Ok(out)
}

impl EntryWriter {
    /// Compiles `pattern`; an error names what the generator cannot write.
    pub fn new(pattern: &str) -> Result<EntryWriter, String> {
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                literal.push(c);
                continue;
            }
            if chars.peek() == Some(&'%') {
                chars.next();
                literal.push('%');
                continue;
            }
            if !literal.is_empty() {
                segments.push(Segment::Literal(std::mem::take(&mut literal)));
            }
            let mut modifier = String::new();
            while let Some(&m) = chars.peek() {
                if m == '-' || m == '.' || m.is_ascii_digit() {
                    modifier.push(m);
                    chars.next();
                } else {
                    break;
                }
            }
            let mut name = String::new();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphabetic() {
                    name.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let mut options = Vec::new();
            while chars.peek() == Some(&'{') {
                chars.next();
                let option: String = chars.by_ref().take_while(|&x| x != '}').collect();
                options.push(option);
            }
            let width: i32 = modifier
                .split('.')
                .next()
                .unwrap_or("")
                .parse()
                .unwrap_or(0);
            segments.push(match name.as_str() {
                "d" | "date" => match options.first().map(String::as_str) {
                    Some("UNIX_MILLIS") => Segment::UnixMillis,
                    other => Segment::Date {
                        strftime: strftime_of(other.unwrap_or(""))?,
                        utc: options.get(1).is_some_and(|z| z == "UTC"),
                    },
                },
                "p" | "level" => Segment::Level { width },
                "t" | "thread" => Segment::Thread,
                "c" | "logger" => Segment::Logger {
                    precision: options.first().and_then(|p| p.parse().ok()),
                },
                "X" | "mdc" => Segment::Mdc,
                "m" | "msg" | "message" => Segment::Message,
                "n" => Segment::Newline,
                other => return Err(format!("the generator cannot write `%{other}`")),
            });
        }
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(EntryWriter { segments })
    }

    /// Writes one entry (and its `%n`).
    pub fn write(&self, out: &mut dyn Write, e: &EntryFields<'_>) -> io::Result<()> {
        for segment in &self.segments {
            match segment {
                Segment::Literal(text) => out.write_all(text.as_bytes())?,
                Segment::Date { strftime, utc } => {
                    let offset = FixedOffset::east_opt(if *utc { 0 } else { e.offset_seconds })
                        .unwrap_or(FixedOffset::east_opt(0).expect("zero"));
                    let instant = (e.local
                        - chrono::Duration::seconds(i64::from(e.offset_seconds)))
                    .and_utc();
                    let shown: DateTime<FixedOffset> = instant.with_timezone(&offset);
                    write!(out, "{}", shown.format(strftime))?;
                }
                Segment::UnixMillis => {
                    let ms = (e.local - chrono::Duration::seconds(i64::from(e.offset_seconds)))
                        .and_utc()
                        .timestamp_millis();
                    write!(out, "{ms}")?;
                }
                Segment::Level { width } => {
                    let w = width.unsigned_abs() as usize;
                    if *width < 0 {
                        write!(out, "{:<w$}", e.level)?;
                    } else {
                        write!(out, "{:>w$}", e.level)?;
                    }
                }
                Segment::Thread => out.write_all(e.thread.as_bytes())?,
                Segment::Logger { precision } => {
                    let shown = match precision {
                        Some(n) if *n < e.logger.split('.').count() => {
                            let parts: Vec<&str> = e.logger.rsplitn(*n + 1, '.').collect();
                            parts[..*n]
                                .iter()
                                .rev()
                                .copied()
                                .collect::<Vec<_>>()
                                .join(".")
                        }
                        _ => e.logger.to_string(),
                    };
                    out.write_all(shown.as_bytes())?
                }
                Segment::Mdc => out.write_all(e.mdc.as_bytes())?,
                Segment::Message => out.write_all(e.message.as_bytes())?,
                Segment::Newline => out.write_all(b"\n")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::layout::LayoutParser;

    const LAYOUTS: &[&str] = &[
        crate::integration::layout::DEFAULT_LAYOUT,
        "%d|%m%n",
        "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n",
        "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %p %c{1} [%X{requestId}] %m%n",
        "%d{UNIX_MILLIS} %5p [%t] %c - %m%n",
        "%d{yyyy-MM-dd HH:mm:ss,SSS}{UTC} %-5p %c - %m%n",
    ];

    /// Every layout the generator writes, esmlog's parser reads back to the same fields.
    #[test]
    fn written_entries_parse_back() {
        let local =
            NaiveDateTime::parse_from_str("2023-10-29 03:30:00.635", "%Y-%m-%d %H:%M:%S%.3f")
                .unwrap();
        let fields = EntryFields {
            local,
            offset_seconds: 7200,
            level: "WARN",
            thread: "http-nio-8443-exec-7",
            logger: "com.efecte.rest.RestApiLogger",
            mdc: "req-42",
            message: "user=CRM_SYNC method=GET path=/x status=429",
        };
        for layout in LAYOUTS {
            let mut line = Vec::new();
            EntryWriter::new(layout)
                .unwrap()
                .write(&mut line, &fields)
                .unwrap();
            let parser = LayoutParser::compile(layout).unwrap();
            let header = parser
                .parse_header(line.strip_suffix(b"\n").unwrap())
                .unwrap_or_else(|| panic!("{layout}: {}", String::from_utf8_lossy(&line)));
            assert_eq!(header.message, fields.message.as_bytes(), "{layout}");
            assert!(header.local.is_some(), "{layout}");
        }
    }

    #[test]
    fn unsupported_specifiers_are_named() {
        assert!(EntryWriter::new("%d %L %m%n").unwrap_err().contains("%L"));
    }
}
