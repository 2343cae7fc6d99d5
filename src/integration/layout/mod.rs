//! Compiles a Log4j PatternLayout into a parser for entry headers.
//!
//! A layout is compiled once (with nom) into a short list of operations; parsing
//! a line then walks that list over the line's bytes without allocating. Only
//! the header (everything before `%m`) is matched: the rest of the line is the
//! start of the message, and a line whose header does not match is a
//! continuation line of the previous entry.

//!
//! The module's files: `pattern` cuts the conversion pattern into converters, `compile`
//! builds the ops, `date` / `date_format` / `levels` are the converters that read a value
//! (the date-format compiler, the level sets), `literal` and `padding` the text around
//! them, and `matching` runs the ops over a line.

mod compile;
mod date;
mod date_format;
mod infer;
mod json;
mod levels;
mod literal;
mod matching;
mod padding;
mod pattern;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveDateTime, NaiveTime};

use compile::{Builder, Op};
use date::Zone;
use date_format::DateMemo;
use pattern::tokenize;

pub use infer::{infer, Inferred, NoLayoutFound, AUTO_LAYOUT, SAMPLE_LINES};
pub use json::JSON_LAYOUT;

/// Whose reading of a conversion pattern applies where Log4j 2, log4j 1.x and Logback give
/// one word different meanings (`--layout-dialect`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Dialect {
    /// Log4j 2's PatternLayout: `%d{pattern}{zone}`.
    #[default]
    Log4j2,
    /// log4j 1.x: `%d{pattern}` has no zone; braces after it are text.
    Log4j1,
    /// Logback: `%d{pattern, zone}`, and a pattern holding a comma is quoted
    /// (`%d{"HH:mm:ss,SSS"}`); unquoted, `%d{HH:mm:ss,SSS}` is the pattern `HH:mm:ss` in the
    /// zone `SSS`, which Logback does not know either.
    Logback,
}

impl Dialect {
    /// The date pattern and zone of `%d`'s options in this dialect.
    pub(crate) fn date_options<'o>(
        self,
        options: &[&'o str],
    ) -> (Option<&'o str>, Option<&'o str>) {
        let first = options.first().copied();
        match self {
            Dialect::Log4j2 => (first, options.get(1).copied()),
            Dialect::Log4j1 => (first, None),
            Dialect::Logback => {
                let Some(option) = first else {
                    return (None, None);
                };
                let option = option.trim();
                if let Some(rest) = option.strip_prefix('"') {
                    // `"pattern"` or `"pattern", zone`.
                    return match rest.split_once('"') {
                        Some((pattern, after)) => {
                            let zone = after.trim_start().strip_prefix(',').map(str::trim);
                            (Some(pattern), zone.filter(|z| !z.is_empty()))
                        }
                        None => (Some(rest), None),
                    };
                }
                match option.split_once(',') {
                    Some((pattern, zone)) => (Some(pattern.trim()), Some(zone.trim())),
                    None => (Some(option), None),
                }
            }
        }
    }
}

/// The default layout ESM writes with.
pub const DEFAULT_LAYOUT: &str = "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n";

/// The converters a layout may use, as listed in error messages (with their long names and
/// Logback's words; any other name of two letters or more is read as a plugin converter).
pub const SUPPORTED_SPECIFIERS: &str = "%d %p %t %c %C %X %r %m %n %x %ex %L %M %F %l %T %tp %pid %sn %N %u %fqcn %marker %K %highlight %style %notEmpty %equals %replace %encode %maxLen %%";

/// How many distinct `%X{key}` fields one layout may name.
pub const MAX_MDC: usize = 8;

/// The level names Log4j writes; [`Header::level`] is always one of these.
pub const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/// How many candidate field ends one line may try before it is declared not a
/// header; bounds the cost of backtracking on hostile or odd lines.
const BACKTRACK_BUDGET: u32 = 64;

/// Why a layout could not be compiled. Positions are 0-based byte offsets
/// into the layout string.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LayoutError {
    /// A conversion specifier the tool cannot read back, such as `%L`.
    #[error(
        "unsupported layout specifier `{specifier}` at position {position}; supported: {}",
        SUPPORTED_SPECIFIERS
    )]
    UnsupportedSpecifier {
        /// The specifier as written, with its `%` (`%L`, `%highlight`).
        specifier: String,
        /// Where its `%` is.
        position: usize,
    },
    /// A `%` (possibly with a format modifier) not followed by a specifier name.
    #[error(
        "`%` without a specifier name at position {position} in the layout; write `%%` for a literal percent sign"
    )]
    MissingSpecifier {
        /// Where the `%` is.
        position: usize,
    },
    /// A `{` option that is never closed.
    #[error("unclosed `{{` at position {position} in the layout")]
    UnclosedBrace {
        /// Where the `{` is.
        position: usize,
    },
    /// An option the specifier does not take or that the tool cannot honour.
    #[error("`{specifier}` at position {position} does not support the option `{{{option}}}`")]
    UnsupportedOption {
        /// The specifier, with its `%`.
        specifier: String,
        /// The option text inside the braces.
        option: String,
        /// Where the specifier's `%` is.
        position: usize,
    },
    /// A converter that wraps a nested pattern written without one (`%highlight`).
    #[error(
        "`{specifier}` at position {position} needs a nested pattern, as in %highlight{{%p}} or Logback's %cyan(%logger)"
    )]
    MissingPattern {
        /// The converter, with its `%`.
        specifier: String,
        /// Where its `%` is.
        position: usize,
    },
    /// A format modifier the specifier cannot honour (truncating a date).
    #[error(
        "`{specifier}` at position {position} cannot be truncated (`.{max}`); only padding is supported there"
    )]
    UnsupportedModifier {
        /// The specifier, with its `%`.
        specifier: String,
        /// The maximum width that was asked for.
        max: usize,
        /// Where the specifier's `%` is.
        position: usize,
    },
    /// A `%d{...}` pattern the tool cannot read.
    #[error("bad date pattern `{pattern}` in the layout: {reason}")]
    BadDatePattern {
        /// The date pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `%d{...}{zone}` that is neither a fixed offset nor a known IANA zone.
    #[error(
        "unknown time zone `{zone}` in the layout's date; use an IANA name such as Europe/Helsinki, UTC, or an offset such as +03:00"
    )]
    UnknownZone {
        /// The zone as written.
        zone: String,
    },
    /// The layout has no `%m`, so there is no way to tell where a header ends.
    #[error("the layout has no message specifier (%m, %msg or %message)")]
    NoMessage,
    /// `%n` before `%m` would split a header over two lines.
    #[error("the layout has `%n` at position {position}, before the message; an entry header must fit on one line")]
    NewlineBeforeMessage {
        /// Where the `%n` is.
        position: usize,
    },
    /// Logback's `%caller` before `%m`: it ends its caller data with a line break, so the
    /// message (and the REST call in it) would be on the next line.
    #[error("`%caller` at position {position} writes Logback's caller data and a line break before the message, so an entry's REST call would not be on its first line; esmlog cannot read such a log: remove %caller from the server's layout, or put it after %m")]
    CallerBeforeMessage {
        /// Where the `%caller` is.
        position: usize,
    },
    /// More distinct MDC keys than a [`Header`] has room for.
    #[error("the layout names more than {} MDC keys (`%X{{key}}`)", MAX_MDC)]
    TooManyMdcKeys,
}

/// The header fields of one entry line, borrowed from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Header<'a> {
    /// Wall-clock date and time as written, None if the layout has no `%d` or
    /// its date pattern has no date part (see [`Header::time_only`]). For
    /// `UNIX` / `UNIX_MILLIS` this is UTC.
    pub local: Option<NaiveDateTime>,
    /// The time of day, for date patterns without a date (`ABSOLUTE`).
    pub time_only: Option<NaiveTime>,
    /// The UTC offset in seconds: from the line itself (`Z`, `X`, `x`, `z`),
    /// else from a fixed `{zone}` (`UTC`, `GMT+3`, `+03:00`), else 0 for
    /// `UNIX` / `UNIX_MILLIS`. None for an IANA `{zone}`; see
    /// [`LayoutParser::date_tz`].
    pub offset_seconds: Option<i32>,
    /// The level: one of [`LEVELS`] in its canonical upper-case spelling even when the
    /// layout writes it lower-case or truncated, or else a level of the log's own
    /// (`NOTICE`, `WARNING`) as written.
    pub level: Option<&'a [u8]>,
    /// `%t`.
    pub thread: Option<&'a [u8]>,
    /// `%c`, as written (possibly abbreviated by its precision).
    pub logger: Option<&'a [u8]>,
    /// `%C`, as written.
    pub class: Option<&'a [u8]>,
    /// `%r`: milliseconds since the logging system started.
    pub relative_ms: Option<u64>,
    /// `%x`.
    pub ndc: Option<&'a [u8]>,
    /// `%X{key}` values, indexed like [`LayoutParser::mdc_keys`].
    pub mdc: [Option<&'a [u8]>; MAX_MDC],
    /// `%X` without a key: the whole map as written.
    pub mdc_map: Option<&'a [u8]>,
    /// Everything from where `%m` starts to the end of the line (trailing
    /// `\r` removed).
    pub message: &'a [u8],
    /// The date of an earlier line read into this header, for the next line of the same
    /// day. Not a field of the line: equality ignores it.
    pub(crate) date_memo: DateMemo,
}

impl<'a> Header<'a> {
    /// A header with no field read.
    pub fn empty() -> Header<'a> {
        Header {
            local: None,
            time_only: None,
            offset_seconds: None,
            level: None,
            thread: None,
            logger: None,
            class: None,
            relative_ms: None,
            ndc: None,
            mdc: [None; MAX_MDC],
            mdc_map: None,
            message: &[],
            date_memo: DateMemo::default(),
        }
    }
}

/// A compiled layout. Cheap to share across threads (Send + Sync), parsing
/// allocates nothing.
#[derive(Debug, Clone)]
pub struct LayoutParser {
    pattern: String,
    ops: Vec<Op>,
    mdc_keys: Vec<String>,
    zone: Option<Zone>,
    has_date: bool,
    time_only: bool,
    /// Whether colour codes may come between ops (`%highlight`, `%style`).
    has_ansi: bool,
    /// The first ops again, when they are a date, a literal, a level and a literal (the
    /// default layout and most others): read without the op loop.
    head: Option<Box<matching::Head>>,
    /// The ops after the head, when they are `%t<text>%c<text>` (the default layout): read
    /// straight through where no backtracking is needed.
    tail: Option<Box<matching::Tail>>,
    /// One JSON object per line (`--layout json`) instead of a conversion pattern.
    json: bool,
}

impl Default for LayoutParser {
    fn default() -> Self {
        LayoutParser::compile(DEFAULT_LAYOUT).expect("the default layout compiles")
    }
}

impl FromStr for LayoutParser {
    type Err = LayoutError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LayoutParser::compile(s)
    }
}

impl fmt::Display for LayoutParser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.pattern)
    }
}

impl LayoutParser {
    /// Compiles a Log4j 2 `PatternLayout` conversion pattern.
    pub fn compile(pattern: &str) -> Result<LayoutParser, LayoutError> {
        LayoutParser::compile_in(pattern, Dialect::Log4j2)
    }

    /// Compiles a conversion pattern as `dialect` reads it.
    pub fn compile_in(pattern: &str, dialect: Dialect) -> Result<LayoutParser, LayoutError> {
        if pattern.trim().eq_ignore_ascii_case(JSON_LAYOUT) {
            return Ok(LayoutParser {
                pattern: JSON_LAYOUT.to_owned(),
                ops: Vec::new(),
                mdc_keys: Vec::new(),
                zone: None,
                has_date: true,
                time_only: false,
                has_ansi: false,
                head: None,
                tail: None,
                json: true,
            });
        }
        let tokens = tokenize(pattern)?;
        let mut b = Builder {
            dialect,
            ..Builder::default()
        };
        for token in tokens {
            b.push(token)?;
        }
        if !b.seen_message {
            return Err(LayoutError::NoMessage);
        }
        b.flush_literal();
        let head = matching::Head::of(&b.ops).map(Box::new);
        let tail = head
            .as_ref()
            .and_then(|_| matching::Tail::of(&b.ops[matching::Head::OPS..]))
            .map(Box::new);
        Ok(LayoutParser {
            pattern: pattern.to_owned(),
            ops: b.ops,
            mdc_keys: b.mdc_keys,
            zone: b.zone,
            has_date: b.has_date,
            time_only: b.time_only,
            has_ansi: b.has_ansi,
            head,
            tail,
            json: false,
        })
    }

    /// Parses one physical line (without its line terminator; may still end in
    /// '\r' which is ignored). Returns None when the line is not an entry
    /// header (then it is a continuation line). A UTF-8 byte order mark before
    /// the header (a file's first line, after a round trip through a Windows
    /// editor) is skipped.
    pub fn parse_header<'a>(&self, line: &'a [u8]) -> Option<Header<'a>> {
        let mut header = Header::empty();
        self.parse_header_into(line, &mut header).then_some(header)
    }

    /// [`LayoutParser::parse_header`] into a header the caller keeps from line to line,
    /// so that the scan neither copies nor clears a header per line; whether the line is a
    /// header. `header` must be [`Header::empty`] or last filled by this parser: every
    /// successful match writes every field the layout has (its ops are one sequence, all
    /// of them on the path that matched), and the fields it has not stay empty. On false
    /// it holds nothing of use.
    #[inline]
    pub fn parse_header_into<'a>(&self, line: &'a [u8], header: &mut Header<'a>) -> bool {
        let line = crate::lines::trim_line_marks(line);
        if self.json {
            return json::parse_header(line)
                .map(|read| *header = read)
                .is_some();
        }
        match self.match_header(line, header) {
            Some(message) => {
                header.message = message;
                true
            }
            None => false,
        }
    }

    /// Reads the header fields of `line` into `header`; where the message starts. The
    /// straight-through head and tail first, the op loop for whatever they leave.
    #[inline(always)]
    fn match_header<'a>(&self, line: &'a [u8], header: &mut Header<'a>) -> Option<&'a [u8]> {
        let mut budget = BACKTRACK_BUDGET;
        let Some(head) = &self.head else {
            return self.match_from(0, line, header, &mut budget);
        };
        let rest = head.read(line, header)?;
        match self.tail.as_ref().and_then(|t| t.read(rest, header)) {
            Some(message) => Some(message),
            None => self.match_from(matching::Head::OPS, rest, header, &mut budget),
        }
    }

    /// Whether the layout is JSON lines rather than a conversion pattern.
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The pattern it was compiled from.
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The MDC keys of the layout's `%X{key}` fields, in the order of
    /// [`Header::mdc`].
    pub fn mdc_keys(&self) -> &[String] {
        &self.mdc_keys
    }

    /// The value of `%X{key}` in a header this parser produced.
    pub fn mdc<'a>(&self, header: &Header<'a>, key: &str) -> Option<&'a [u8]> {
        let i = self.mdc_keys.iter().position(|k| k == key)?;
        header.mdc[i]
    }

    /// Whether the layout has a `%d`.
    pub fn has_date(&self) -> bool {
        self.has_date
    }

    /// Whether the layout's date has a time of day but no date (`ABSOLUTE`).
    pub fn is_time_only(&self) -> bool {
        self.time_only
    }

    /// The IANA zone name of `%d{...}{zone}`, when the zone is not a fixed
    /// offset; times must then be resolved in that zone by the caller.
    pub fn date_zone(&self) -> Option<&str> {
        match &self.zone {
            Some(Zone::Named(name, _)) => Some(name),
            _ => None,
        }
    }

    /// The resolved IANA zone of `%d{...}{zone}`, see [`LayoutParser::date_zone`].
    pub fn date_tz(&self) -> Option<chrono_tz::Tz> {
        match &self.zone {
            Some(Zone::Named(_, tz)) => Some(*tz),
            _ => None,
        }
    }

    /// The fixed offset of `%d{...}{zone}` (`UTC`, `GMT+3`, `+03:00`), in seconds.
    pub fn zone_offset_seconds(&self) -> Option<i32> {
        match &self.zone {
            Some(Zone::Fixed(s)) => Some(*s),
            _ => None,
        }
    }
}
