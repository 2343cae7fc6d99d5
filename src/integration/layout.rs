//! Compiles a Log4j PatternLayout into a parser for entry headers.
//!
//! A layout is compiled once (with nom) into a short list of operations; parsing
//! a line then walks that list over the line's bytes without allocating. Only
//! the header (everything before `%m`) is matched: the rest of the line is the
//! start of the message, and a line whose header does not match is a
//! continuation line of the previous entry.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use memchr::memmem;
use nom::bytes::complete::{take_till1, take_until, take_while1};
use nom::character::complete::{alpha1, char, digit1};
use nom::combinator::opt;
use nom::sequence::{delimited, preceded};
use nom::{IResult, Parser};

/// The default layout ESM writes with.
pub const DEFAULT_LAYOUT: &str = "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n";

/// The specifiers a layout may use, as listed in error messages.
pub const SUPPORTED_SPECIFIERS: &str = "%d %p %t %c %C %X %r %m %n %x %ex %%";

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
}

impl<'a> Header<'a> {
    fn empty() -> Header<'a> {
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
    /// Compiles a Log4j `PatternLayout` conversion pattern.
    pub fn compile(pattern: &str) -> Result<LayoutParser, LayoutError> {
        let tokens = tokenize(pattern)?;
        let mut b = Builder::default();
        for token in tokens {
            b.push(token)?;
        }
        if !b.seen_message {
            return Err(LayoutError::NoMessage);
        }
        b.flush_literal();
        Ok(LayoutParser {
            pattern: pattern.to_owned(),
            ops: b.ops,
            mdc_keys: b.mdc_keys,
            zone: b.zone,
            has_date: b.has_date,
            time_only: b.time_only,
        })
    }

    /// Parses one physical line (without its line terminator; may still end in
    /// '\r' which is ignored). Returns None when the line is not an entry
    /// header (then it is a continuation line). A UTF-8 byte order mark before
    /// the header (a file's first line, after a round trip through a Windows
    /// editor) is skipped.
    pub fn parse_header<'a>(&self, line: &'a [u8]) -> Option<Header<'a>> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let mut header = Header::empty();
        let mut budget = BACKTRACK_BUDGET;
        header.message = self.match_from(0, line, &mut header, &mut budget)?;
        Some(header)
    }

    /// Whether a line that [`LayoutParser::parse_header`] refused was probably meant to be a
    /// header: its start has the shape of this layout's header up to and including the
    /// date (digits where the date pattern has numbers, its separators, any month name),
    /// whatever the values (`2023-02-30`, `25:61:00`) and the fields after it. Always
    /// false for a layout without `%d`; the caller also checks the literal prefix.
    pub fn looks_like_header(&self, line: &[u8]) -> bool {
        matches!(self.walk(line, Walk::Shape), Err(Stop::DateShape))
    }

    /// Why a line is not a header, read op by op from its start, first fit only (a
    /// diagnosis for problems, not the matcher): `the date at column 1 is not a valid
    /// yyyy-MM-dd HH:mm:ss,SSS`. None when the line is a header after all.
    pub fn header_failure(&self, line: &[u8]) -> Option<String> {
        match self.walk(line, Walk::Values) {
            Ok(()) | Err(Stop::DateShape) => None,
            Err(Stop::Failed { op, column }) => Some(match &self.ops[op] {
                Op::Lit(lit) => format!(
                    "`{}` expected at column {column}",
                    String::from_utf8_lossy(&lit.bytes)
                ),
                Op::Date(..) => format!(
                    "the date at column {column} is impossible or not in the layout's date pattern"
                ),
                Op::Level(..) => format!("no level at column {column}"),
                Op::Relative(..) => format!("no elapsed milliseconds (%r) at column {column}"),
                Op::Field(..) => format!(
                    "the field at column {column} is not followed by the layout's next text"
                ),
            }),
        }
    }

    /// Walks the header ops over `line` one after the other, each at its first fit.
    /// In [`Walk::Shape`] mode it stops with [`Stop::DateShape`] at a date of the right
    /// shape and reads levels as any word.
    fn walk(&self, line: &[u8], mode: Walk) -> Result<(), Stop> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        let mut at = 0;
        for (i, op) in self.ops.iter().enumerate() {
            let input = &line[at..];
            let lead = |pad: &Pad| leading_spaces(input, if pad.left { 0 } else { pad.min });
            let n = match (op, mode) {
                (Op::Lit(lit), _) => has_prefix(input, &lit.bytes).then_some(lit.bytes.len()),
                (Op::Date(spec, pad), Walk::Shape) => {
                    let lead = lead(pad);
                    if spec.shape_len(&input[lead..]).is_some() {
                        return Err(Stop::DateShape);
                    }
                    None
                }
                (Op::Date(spec, pad), Walk::Values) => {
                    spec.parse_padded(input, *pad).map(|(_, n)| n)
                }
                (Op::Level(spec, pad), Walk::Values) => spec.parse(input, *pad).map(|(_, n)| n),
                (Op::Relative(pad), Walk::Values) => parse_relative(input, *pad).map(|(_, n)| n),
                (Op::Level(_, pad) | Op::Relative(pad), Walk::Shape) => {
                    let lead = lead(pad);
                    let word = input[lead..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric())
                        .count();
                    let fill = if pad.left {
                        pad.min.saturating_sub(word)
                    } else {
                        0
                    };
                    (word > 0).then(|| lead + word + leading_spaces(&input[lead + word..], fill))
                }
                // A field: up to the first place the next literal could start.
                (Op::Field(..), _) => match self.ops.get(i + 1) {
                    Some(Op::Lit(lit)) => lit.find(input, 0),
                    _ => Some(memchr::memchr2(b' ', b'\t', input).unwrap_or(input.len())),
                },
            };
            match n {
                Some(n) => at += n,
                None => {
                    return Err(Stop::Failed {
                        op: i,
                        column: char_len(&line[..at]) + 1,
                    })
                }
            }
        }
        Ok(())
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

    /// Matches `ops[i..]` against `input`, returning where the message starts.
    fn match_from<'a>(
        &self,
        mut i: usize,
        mut input: &'a [u8],
        h: &mut Header<'a>,
        budget: &mut u32,
    ) -> Option<&'a [u8]> {
        // Self-delimiting ops advance in this loop; only variable-width fields,
        // which may have to try several ends, recurse.
        loop {
            let Some(op) = self.ops.get(i) else {
                return Some(input);
            };
            let n = match op {
                Op::Lit(lit) => {
                    if has_prefix(input, &lit.bytes) {
                        lit.bytes.len()
                    } else if i + 1 == self.ops.len() && input == &lit.bytes[..lit.trimmed] {
                        // An empty message whose trailing spaces were stripped by
                        // some collector or editor: still an entry.
                        input.len()
                    } else {
                        return None;
                    }
                }
                Op::Date(spec, pad) => {
                    let (v, n) = spec.parse_padded(input, *pad)?;
                    h.local = v.local;
                    h.time_only = v.time;
                    h.offset_seconds = v.offset;
                    n
                }
                Op::Level(spec, pad) => {
                    let (level, n) = spec.parse(input, *pad)?;
                    h.level = Some(match level {
                        Level::Known(name) => name,
                        Level::Custom => trim_start_spaces(&input[..n]).trim_ascii_end(),
                    });
                    n
                }
                Op::Relative(pad) => {
                    let (ms, n) = parse_relative(input, *pad)?;
                    h.relative_ms = Some(ms);
                    n
                }
                Op::Field(field, pad, max) => {
                    return self.match_field(i, *field, *pad, *max, input, h, budget)
                }
            };
            input = &input[n..];
            i += 1;
        }
    }

    /// A variable-width field ends where the following literal begins; every
    /// occurrence of that literal is tried in turn until the rest of the header
    /// matches, because a thread name may itself contain `] ` and the like.
    #[allow(clippy::too_many_arguments)]
    fn match_field<'a>(
        &self,
        i: usize,
        field: Field,
        pad: Pad,
        max: Option<usize>,
        input: &'a [u8],
        h: &mut Header<'a>,
        budget: &mut u32,
    ) -> Option<&'a [u8]> {
        if let Some(Op::Lit(lit)) = self.ops.get(i + 1) {
            // A padded field is at least `min` characters, so at least `min` bytes.
            let start = pad.min.min(input.len());
            // A logger has no spaces, so its end is no later than the first one:
            // this keeps a near-miss line from being rescanned to its end.
            let hay = if pad.min == 0 && matches!(field, Field::Logger | Field::Class) {
                let w = memchr::memchr2(b' ', b'\t', input).unwrap_or(input.len());
                &input[..(w + lit.bytes.len()).min(input.len())]
            } else {
                input
            };
            let mut from = start;
            while let Some(pos) = lit.find(hay, from) {
                if *budget == 0 {
                    return None;
                }
                *budget -= 1;
                if let Some(m) =
                    self.try_field(i, field, pad, max, &input[..pos], &input[pos..], h, budget)
                {
                    return Some(m);
                }
                from = pos + 1;
            }
            let trimmed = &lit.bytes[..lit.trimmed];
            if i + 2 == self.ops.len()
                && lit.trimmed < lit.bytes.len()
                && input.len() >= start + trimmed.len()
                && input.ends_with(trimmed)
            {
                let pos = input.len() - trimmed.len();
                return self.try_field(i, field, pad, max, &input[..pos], &input[pos..], h, budget);
            }
            return None;
        }
        // No literal after the field: it is one space-free word.
        let lead = if pad.min > 0 && !pad.left {
            leading_spaces(input, pad.min)
        } else {
            0
        };
        let body = &input[lead..];
        let end = memchr::memchr2(b' ', b'\t', body).unwrap_or(body.len());
        let word = &body[..end];
        let mut n = lead + end;
        if pad.left {
            let want = pad.min.saturating_sub(char_len(word));
            n += leading_spaces(&input[n..], want);
        }
        self.try_field(i, field, pad, max, word, &input[n..], h, budget)
    }

    #[allow(clippy::too_many_arguments)]
    fn try_field<'a>(
        &self,
        i: usize,
        field: Field,
        pad: Pad,
        max: Option<usize>,
        raw: &'a [u8],
        rest: &'a [u8],
        h: &mut Header<'a>,
        budget: &mut u32,
    ) -> Option<&'a [u8]> {
        let value = if pad.min == 0 {
            raw
        } else if pad.left {
            trim_end_spaces(raw)
        } else {
            trim_start_spaces(raw)
        };
        let ok = match field {
            Field::Thread => !value.is_empty(),
            Field::Logger | Field::Class => {
                !value.is_empty() && memchr::memchr2(b' ', b'\t', value).is_none()
            }
            Field::Mdc(_) | Field::MdcMap | Field::Ndc => true,
        };
        if !ok || max.is_some_and(|m| value.len() > m && char_len(value) > m) {
            return None;
        }
        match field {
            Field::Thread => h.thread = Some(value),
            Field::Logger => h.logger = Some(value),
            Field::Class => h.class = Some(value),
            Field::Mdc(k) => h.mdc[usize::from(k)] = Some(value),
            Field::MdcMap => h.mdc_map = Some(value),
            Field::Ndc => h.ndc = Some(value),
        }
        self.match_from(i + 1, rest, h, budget)
    }
}

/// How [`LayoutParser::walk`] reads a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Walk {
    /// Dates by their shape only (and stop there), levels as any word.
    Shape,
    /// Every field as the matcher reads it.
    Values,
}

/// Where [`LayoutParser::walk`] stopped before the end of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// A date of the layout's shape (in [`Walk::Shape`] mode).
    DateShape,
    /// Header op `op` did not fit at `column` (1-based, in characters).
    Failed { op: usize, column: usize },
}

// ---------------------------------------------------------------------------
// Compiled form

#[derive(Debug, Clone)]
enum Op {
    Lit(Literal),
    Date(Box<DateSpec>, Pad),
    Level(LevelSpec, Pad),
    Relative(Pad),
    Field(Field, Pad, Option<usize>),
}

/// Literals up to this length are searched for by their first byte.
const SHORT_LITERAL: usize = 4;

#[derive(Debug, Clone)]
struct Literal {
    bytes: Vec<u8>,
    /// Only for literals longer than [`SHORT_LITERAL`]; boxed because it is large.
    finder: Option<Box<memmem::Finder<'static>>>,
    /// Length without trailing spaces.
    trimmed: usize,
}

impl Literal {
    /// The first occurrence at or after `from`. Short literals (`] `, ` - `)
    /// are found faster by their first byte than by a general substring search.
    #[inline]
    fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let hay_from = hay.get(from..)?;
        if let Some(finder) = &self.finder {
            return finder.find(hay_from).map(|p| from + p);
        }
        let (&first, tail) = self.bytes.split_first()?;
        let mut at = from;
        while let Some(p) = memchr::memchr(first, &hay[at..]) {
            let pos = at + p;
            if has_prefix(&hay[pos + 1..], tail) {
                return Some(pos);
            }
            at = pos + 1;
        }
        None
    }

    fn new(bytes: Vec<u8>) -> Literal {
        let finder = (bytes.len() > SHORT_LITERAL)
            .then(|| Box::new(memmem::Finder::new(&bytes).into_owned()));
        let trimmed = trim_end_spaces(&bytes).len();
        Literal {
            bytes,
            finder,
            trimmed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Thread,
    Logger,
    Class,
    Mdc(u8),
    MdcMap,
    Ndc,
}

/// Minimum width: a left-aligned field is followed by spaces up to `min`
/// characters, a right-aligned one preceded by them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Pad {
    min: usize,
    left: bool,
}

#[derive(Debug, Clone, PartialEq)]
enum Zone {
    Fixed(i32),
    Named(String, chrono_tz::Tz),
}

// ---------------------------------------------------------------------------
// Layout tokens

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Modifier {
    pad: Pad,
    max: Option<usize>,
    /// `.-N`: keep the first N characters instead of the last N.
    trunc_end: bool,
}

#[derive(Debug)]
enum Token<'p> {
    Lit(&'p str),
    Spec(Spec<'p>),
}

#[derive(Debug)]
struct Spec<'p> {
    position: usize,
    modifier: Modifier,
    name: &'p str,
    kind: Kind,
    options: Vec<&'p str>,
}

impl Spec<'_> {
    fn display(&self) -> String {
        format!("%{}", self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Date,
    Level,
    Thread,
    Logger,
    Class,
    Mdc,
    Relative,
    Message,
    Newline,
    Ndc,
    Throwable,
}

fn kind_of(name: &str) -> Option<Kind> {
    Some(match name {
        "d" | "date" => Kind::Date,
        "p" | "level" => Kind::Level,
        "t" | "thread" | "tn" | "threadName" => Kind::Thread,
        "c" | "logger" => Kind::Logger,
        "C" | "class" => Kind::Class,
        "X" | "mdc" | "MDC" => Kind::Mdc,
        "r" | "relative" => Kind::Relative,
        "m" | "msg" | "message" => Kind::Message,
        "n" => Kind::Newline,
        "x" | "NDC" => Kind::Ndc,
        "ex" | "exception" | "throwable" | "xEx" | "xException" | "xThrowable" | "rEx"
        | "rException" | "rThrowable" => Kind::Throwable,
        _ => return None,
    })
}

type PResult<'p, T> = IResult<&'p str, T, ()>;

fn number(digits: &str) -> usize {
    digits.parse().unwrap_or(usize::MAX)
}

/// `-5`, `5`, `.30`, `-36.36`, `.-10`.
fn modifier(input: &str) -> PResult<'_, Modifier> {
    let (rest, (minus, min, max)) = (
        opt(char('-')),
        opt(digit1),
        opt(preceded(char('.'), (opt(char('-')), digit1))),
    )
        .parse(input)?;
    Ok((
        rest,
        Modifier {
            pad: Pad {
                min: min.map_or(0, number),
                left: minus.is_some(),
            },
            max: max.map(|(_, d)| number(d)),
            trunc_end: max.is_some_and(|(m, _)| m.is_some()),
        },
    ))
}

fn option(input: &str) -> PResult<'_, &str> {
    delimited(char('{'), take_until("}"), char('}')).parse(input)
}

fn tokenize(pattern: &str) -> Result<Vec<Token<'_>>, LayoutError> {
    let offset = |rest: &str| pattern.len() - rest.len();
    let mut tokens = Vec::new();
    let mut rest = pattern;
    while !rest.is_empty() {
        if let Ok((r, lit)) = take_till1::<_, _, ()>(|c| c == '%')(rest) {
            tokens.push(Token::Lit(lit));
            rest = r;
            continue;
        }
        let position = offset(rest);
        let after = &rest[1..];
        if let Some(r) = after.strip_prefix('%') {
            tokens.push(Token::Lit("%"));
            rest = r;
            continue;
        }
        let (r, modifier) =
            modifier(after).map_err(|_| LayoutError::MissingSpecifier { position })?;
        let (mut r, name) =
            alpha1::<_, ()>(r).map_err(|_| LayoutError::MissingSpecifier { position })?;
        let kind = kind_of(name).ok_or_else(|| LayoutError::UnsupportedSpecifier {
            specifier: format!("%{name}"),
            position,
        })?;
        let mut options = Vec::new();
        while r.starts_with('{') {
            let brace = offset(r);
            let (r2, text) =
                option(r).map_err(|_| LayoutError::UnclosedBrace { position: brace })?;
            options.push(text);
            r = r2;
        }
        tokens.push(Token::Spec(Spec {
            position,
            modifier,
            name,
            kind,
            options,
        }));
        rest = r;
    }
    Ok(tokens)
}

#[derive(Default)]
struct Builder {
    ops: Vec<Op>,
    literal: Vec<u8>,
    mdc_keys: Vec<String>,
    zone: Option<Zone>,
    has_date: bool,
    time_only: bool,
    seen_message: bool,
}

impl Builder {
    fn flush_literal(&mut self) {
        if !self.literal.is_empty() {
            let bytes = std::mem::take(&mut self.literal);
            self.ops.push(Op::Lit(Literal::new(bytes)));
        }
    }

    fn push_op(&mut self, op: Op) {
        if !self.seen_message {
            self.flush_literal();
            self.ops.push(op);
        }
    }

    fn push(&mut self, token: Token<'_>) -> Result<(), LayoutError> {
        let spec = match token {
            Token::Lit(text) => {
                if !self.seen_message {
                    self.literal.extend_from_slice(text.as_bytes());
                }
                return Ok(());
            }
            Token::Spec(spec) => spec,
        };
        let m = spec.modifier;
        let no_options = |spec: &Spec<'_>| match spec.options.first() {
            Some(o) => Err(LayoutError::UnsupportedOption {
                specifier: spec.display(),
                option: (*o).to_owned(),
                position: spec.position,
            }),
            None => Ok(()),
        };
        match spec.kind {
            Kind::Date => {
                if let Some(max) = m.max {
                    return Err(LayoutError::UnsupportedModifier {
                        specifier: spec.display(),
                        max,
                        position: spec.position,
                    });
                }
                if spec.options.len() > 2 {
                    return Err(LayoutError::UnsupportedOption {
                        specifier: spec.display(),
                        option: spec.options[2].to_owned(),
                        position: spec.position,
                    });
                }
                let date =
                    DateSpec::compile(spec.options.first().copied(), spec.options.get(1).copied())?;
                if !self.seen_message {
                    self.has_date = true;
                    self.time_only = date.time_only();
                    self.zone.clone_from(&date.zone);
                }
                self.push_op(Op::Date(Box::new(date), m.pad));
            }
            Kind::Level => {
                let level = LevelSpec::compile(&spec)?;
                self.push_op(Op::Level(level, m.pad));
            }
            Kind::Relative => {
                no_options(&spec)?;
                if let Some(max) = m.max {
                    return Err(LayoutError::UnsupportedModifier {
                        specifier: spec.display(),
                        max,
                        position: spec.position,
                    });
                }
                self.push_op(Op::Relative(m.pad));
            }
            Kind::Thread | Kind::Ndc => {
                no_options(&spec)?;
                let field = if spec.kind == Kind::Thread {
                    Field::Thread
                } else {
                    Field::Ndc
                };
                self.push_op(Op::Field(field, m.pad, m.max));
            }
            // The precision only changes what is written, not its shape.
            Kind::Logger => self.push_op(Op::Field(Field::Logger, m.pad, m.max)),
            Kind::Class => self.push_op(Op::Field(Field::Class, m.pad, m.max)),
            Kind::Mdc => {
                if spec.options.len() > 1 {
                    return Err(LayoutError::UnsupportedOption {
                        specifier: spec.display(),
                        option: spec.options[1].to_owned(),
                        position: spec.position,
                    });
                }
                let key = spec.options.first().map(|k| k.trim()).unwrap_or("");
                // `%X{a,b}` writes a partial map, shaped like `%X`.
                let field = if key.is_empty() || key.contains(',') || self.seen_message {
                    Field::MdcMap
                } else {
                    let i = match self.mdc_keys.iter().position(|k| k == key) {
                        Some(i) => i,
                        None if self.mdc_keys.len() < MAX_MDC => {
                            self.mdc_keys.push(key.to_owned());
                            self.mdc_keys.len() - 1
                        }
                        None => return Err(LayoutError::TooManyMdcKeys),
                    };
                    Field::Mdc(i as u8)
                };
                self.push_op(Op::Field(field, m.pad, m.max));
            }
            Kind::Message => {
                // Options such as `{nolookups}` change nothing we read.
                self.flush_literal();
                self.seen_message = true;
            }
            Kind::Newline => {
                no_options(&spec)?;
                if !self.seen_message {
                    return Err(LayoutError::NewlineBeforeMessage {
                        position: spec.position,
                    });
                }
            }
            // Writes nothing on the header line, whatever its options.
            Kind::Throwable => {}
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Levels

#[derive(Debug, Clone)]
struct LevelSpec {
    /// (label as written, its width in characters, canonical name), longest first.
    labels: Vec<(Vec<u8>, usize, &'static [u8])>,
    /// Whether levels of the log's own are read too: not when the layout shortens level
    /// names (`length=1`, `%.1p`), since a one-letter level would match nearly anything.
    custom: bool,
}

impl LevelSpec {
    fn compile(spec: &Spec<'_>) -> Result<LevelSpec, LayoutError> {
        let mut names: Vec<String> = LEVELS.iter().map(|s| (*s).to_owned()).collect();
        let mut length = None;
        let mut lower = false;
        let bad = |option: &str| LayoutError::UnsupportedOption {
            specifier: spec.display(),
            option: option.to_owned(),
            position: spec.position,
        };
        for option in &spec.options {
            for part in option.split(',') {
                let (key, value) = part.split_once('=').ok_or_else(|| bad(option))?;
                let (key, value) = (key.trim(), value.trim());
                if key == "length" {
                    length = Some(value.parse::<usize>().map_err(|_| bad(option))?);
                } else if key == "lowerCase" {
                    lower = value.parse::<bool>().map_err(|_| bad(option))?;
                } else if let Some(i) = LEVELS.iter().position(|l| *l == key) {
                    names[i] = value.to_owned();
                } else {
                    return Err(bad(option));
                }
            }
        }
        let mut labels = Vec::with_capacity(LEVELS.len());
        for (i, name) in names.iter().enumerate() {
            let mut label = if lower {
                name.to_lowercase()
            } else {
                name.clone()
            };
            if let Some(n) = length {
                label = label.chars().take(n).collect();
            }
            if let Some(max) = spec.modifier.max {
                let count = label.chars().count();
                if count > max {
                    label = if spec.modifier.trunc_end {
                        label.chars().take(max).collect()
                    } else {
                        label.chars().skip(count - max).collect()
                    };
                }
            }
            let width = label.chars().count();
            labels.push((label.into_bytes(), width, LEVELS[i].as_bytes()));
        }
        labels.sort_by_key(|(l, _, _)| std::cmp::Reverse(l.len()));
        let custom = length.is_none() && spec.modifier.max.is_none();
        Ok(LevelSpec { labels, custom })
    }

    #[inline]
    fn parse(&self, input: &[u8], pad: Pad) -> Option<(Level, usize)> {
        let lead = if pad.left {
            0
        } else {
            leading_spaces(input, pad.min)
        };
        let s = &input[lead..];
        let known = self.labels.iter().find_map(|(label, width, canonical)| {
            has_prefix(s, label)
                .then(|| padded(s, lead, pad, label.len(), *width))
                .flatten()
                .map(|n| (Level::Known(canonical), n, label.len()))
        });
        // `WARNING` starts with the label `WARN`: a longer word is the log's own level.
        let longer = |len: usize| s.get(len).is_some_and(u8::is_ascii_alphabetic);
        if self.custom && known.is_none_or(|(_, _, len)| longer(len)) {
            if let Some(custom) = custom_level(s, lead, pad) {
                return Some(custom);
            }
        }
        known.map(|(level, n, _)| (level, n))
    }
}

/// A level of the layout's own (Log4j 2 allows any name: `NOTICE`, `WARNING`, `notice`):
/// one word of letters in a single case, so that ordinary words of a message line
/// (`Caused`, `at`) are not taken for one.
fn custom_level(s: &[u8], lead: usize, pad: Pad) -> Option<(Level, usize)> {
    let word = s
        .iter()
        .take(MAX_CUSTOM_LEVEL + 1)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let text = &s[..word];
    let one_case =
        text.iter().all(u8::is_ascii_uppercase) || text.iter().all(u8::is_ascii_lowercase);
    if !(MIN_CUSTOM_LEVEL..=MAX_CUSTOM_LEVEL).contains(&word) || !one_case {
        return None;
    }
    let level = match LEVELS
        .iter()
        .find(|l| l.as_bytes().eq_ignore_ascii_case(text))
    {
        Some(l) => Level::Known(l.as_bytes()),
        None => Level::Custom,
    };
    padded(s, lead, pad, word, word).map(|n| (level, n))
}

/// Shortest and longest custom level name read.
const MIN_CUSTOM_LEVEL: usize = 3;
const MAX_CUSTOM_LEVEL: usize = 16;

/// What a level field held.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// One of [`LEVELS`], canonically spelled.
    Known(&'static [u8]),
    /// A level of the log's own, kept as written.
    Custom,
}

/// The bytes a padded field of `len` bytes (`width` characters) takes after `lead` spaces,
/// when the padding is right: spaces after it up to the width when left-aligned, exactly
/// the missing spaces before it when right-aligned.
#[inline]
fn padded(s: &[u8], lead: usize, pad: Pad, len: usize, width: usize) -> Option<usize> {
    let fill = pad.min.saturating_sub(width);
    if pad.left {
        let tail = &s[len..];
        if tail.len() < fill || tail[..fill].iter().any(|&b| b != b' ') {
            return None;
        }
        Some(len + fill)
    } else if lead == fill {
        Some(lead + len)
    } else {
        None
    }
}

fn parse_relative(input: &[u8], pad: Pad) -> Option<(u64, usize)> {
    let lead = if pad.left {
        0
    } else {
        leading_spaces(input, pad.min)
    };
    let s = &input[lead..];
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 || digits > 19 {
        return None;
    }
    let value = s[..digits]
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    let fill = pad.min.saturating_sub(digits);
    if pad.left {
        let tail = &s[digits..];
        if tail.len() < fill || tail[..fill].iter().any(|&b| b != b' ') {
            return None;
        }
        Some((value, digits + fill))
    } else if lead == fill {
        Some((value, lead + digits))
    } else {
        None
    }
}

// ---------------------------------------------------------------------------
// Dates

/// Named date formats of Log4j 1 and 2. Log4j 1 writes `ISO8601` with a space
/// where Log4j 2 writes `T`, so the ISO names accept either.
const NAMED_DATES: &[(&str, &str)] = &[
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
const T_OR_SPACE: char = '\u{0}';

const MONTHS: [&str; 12] = [
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

const DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

#[derive(Debug, Clone)]
struct DateSpec {
    kind: DateKind,
    zone: Option<Zone>,
}

#[derive(Debug, Clone)]
enum DateKind {
    Fast(FastDate),
    Pattern(DatePattern),
    Unix,
    UnixMillis,
}

/// `yyyy?MM?dd?HH?mm?ss?SSS` with one-byte separators: the shape of nearly
/// every real layout, parsed by position.
#[derive(Debug, Clone, Copy)]
struct FastDate {
    seps: [u8; 6],
}

#[derive(Debug, Clone)]
struct DatePattern {
    ops: Vec<DOp>,
    has_date: bool,
    hour: HourKind,
    has_weekday: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HourKind {
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
enum DOp {
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
enum NumField {
    Year,
    Year2,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Milli,
}

#[derive(Debug, Default)]
struct DateValue {
    local: Option<NaiveDateTime>,
    time: Option<NaiveTime>,
    offset: Option<i32>,
}

impl DateSpec {
    fn compile(pattern: Option<&str>, zone: Option<&str>) -> Result<DateSpec, LayoutError> {
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

    fn time_only(&self) -> bool {
        matches!(&self.kind, DateKind::Pattern(p) if !p.has_date)
    }

    /// How long a date of this shape at the start of `s` is, without checking the
    /// values: the test of a line that was meant to be a header.
    fn shape_len(&self, s: &[u8]) -> Option<usize> {
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

    #[inline]
    fn parse_padded(&self, input: &[u8], pad: Pad) -> Option<(DateValue, usize)> {
        let lead = if pad.left {
            0
        } else {
            leading_spaces(input, pad.min)
        };
        let (mut v, n) = self.parse(&input[lead..])?;
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

    #[inline]
    fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
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

/// Where a [`FastDate`] has its digits.
const FAST_DIGITS: [usize; 17] = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

impl FastDate {
    #[inline]
    fn separators_match(&self, s: &[u8; 23]) -> bool {
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

    fn shape_len(&self, s: &[u8]) -> Option<usize> {
        let s: &[u8; 23] = s.get(..23)?.try_into().ok()?;
        let digits = FAST_DIGITS.iter().all(|&at| s[at].is_ascii_digit());
        (digits && self.separators_match(s)).then_some(23)
    }

    #[inline]
    fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
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

fn date_err<T>(reason: impl Into<String>) -> Result<T, String> {
    Err(reason.into())
}

/// One token of a date pattern: a quoted or plain literal, or a letter run.
fn date_token(input: &str) -> PResult<'_, DTok<'_>> {
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
fn quoted(input: &str) -> PResult<'_, String> {
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

enum DTok<'p> {
    Lit(&'p str),
    Quoted(String),
    Letters(char, usize),
}

impl DatePattern {
    fn compile(pattern: &str) -> Result<DatePattern, String> {
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

    fn fast(&self) -> Option<FastDate> {
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
    fn shape_len(&self, s: &[u8]) -> Option<usize> {
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

    fn parse(&self, s: &[u8]) -> Option<(DateValue, usize)> {
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
fn digits(s: &[u8], min: usize, max: usize) -> Option<(u32, usize)> {
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
fn match_name(s: &[u8], names: &[&str], full: bool) -> Option<(usize, usize)> {
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
fn parse_offset(s: &[u8]) -> Option<(i32, usize)> {
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

/// A zone name that is a fixed offset: `UTC`, `GMT`, `Z`, `GMT+3`,
/// `UTC-05:30`, `+03:00`.
fn fixed_zone(name: &str) -> Option<i32> {
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

fn parse_zone(text: &str) -> Result<Zone, LayoutError> {
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

// ---------------------------------------------------------------------------
// Small byte helpers

/// `s.starts_with(p)` without a call to memcmp, which dominates for the
/// one-to-five-byte literals of a layout.
#[inline(always)]
fn has_prefix(s: &[u8], p: &[u8]) -> bool {
    s.len() >= p.len() && p.iter().zip(s).all(|(a, b)| a == b)
}

/// How many spaces (at most `max`) `s` starts with.
#[inline]
fn leading_spaces(s: &[u8], max: usize) -> usize {
    s.iter().take(max).take_while(|&&b| b == b' ').count()
}

#[inline]
fn trim_end_spaces(s: &[u8]) -> &[u8] {
    let n = s.iter().rev().take_while(|&&b| b == b' ').count();
    &s[..s.len() - n]
}

#[inline]
fn trim_start_spaces(s: &[u8]) -> &[u8] {
    &s[leading_spaces(s, s.len())..]
}

/// Characters in UTF-8 text (Log4j pads and truncates by characters).
#[inline]
fn char_len(s: &[u8]) -> usize {
    s.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parser(layout: &str) -> LayoutParser {
        LayoutParser::compile(layout).unwrap_or_else(|e| panic!("{layout}: {e}"))
    }

    /// What a header should hold; `None` fields must be absent.
    #[derive(Debug, Clone, Copy)]
    struct Exp {
        local: Option<&'static str>,
        time_only: Option<&'static str>,
        offset: Option<i32>,
        level: Option<&'static str>,
        thread: Option<&'static str>,
        logger: Option<&'static str>,
        class: Option<&'static str>,
        mdc0: Option<&'static str>,
        ndc: Option<&'static str>,
        relative: Option<u64>,
        message: &'static str,
    }

    const E: Exp = Exp {
        local: None,
        time_only: None,
        offset: None,
        level: None,
        thread: None,
        logger: None,
        class: None,
        mdc0: None,
        ndc: None,
        relative: None,
        message: "",
    };

    const T0: Option<&str> = Some("2023-04-11T20:34:00.635");

    /// The default layout's usual entry.
    const fn entry(level: &'static str, thread: &'static str, message: &'static str) -> Exp {
        Exp {
            local: T0,
            level: Some(level),
            thread: Some(thread),
            logger: Some("com.efecte.rest.RestApiLogger"),
            message,
            ..E
        }
    }

    const D: &str = DEFAULT_LAYOUT;
    const ISO: &str = "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n";
    const ABS: &str = "%d{ABSOLUTE} %5p %c{1} - %m%n";
    const MDC: &str = "%d [%X{requestId}] %-5p %c - %m%n";
    const ZONED: &str = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSZ}{UTC} %p %m%n";
    const PADDED: &str = "%d %-5p %-36.36c - %m%n";

    const CASES: &[(&str, &str, Option<Exp>)] = &[
        // The examples of formats.md.
        (D, "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms",
            Some(entry("INFO", "http-nio-8443-exec-7", "user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms"))),
        (D, "2023-04-11 20:34:01,002 WARN  [http-nio-8443-exec-3] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
            Some(Exp { local: Some("2023-04-11T20:34:01.002"), ..entry("WARN", "http-nio-8443-exec-3", "user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"") })),
        (D, "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms",
            Some(Exp { local: Some("2023-04-11T20:34:02.117"), ..entry("ERROR", "http-nio-8443-exec-1", "user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms") })),
        (D, "java.lang.IllegalStateException: datacard lock timeout", None),
        (D, "\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)", None),
        (D, "\t... 42 more", None),
        (D, "2023-04-11 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started",
            Some(Exp { local: Some("2023-04-11T20:35:00"), logger: Some("com.efecte.integration.IntegrationLog"), ..entry("INFO", "main", "REST API module started") })),
        // CRLF: the '\r' is not part of the message.
        (D, "2023-04-11 20:34:00,635 DEBUG [main] com.efecte.rest.RestApiLogger - done\r", Some(entry("DEBUG", "main", "done"))),
        (D, "\tat com.foo.Bar.baz(Bar.java:1)\r", None),
        (D, "\u{FEFF}2023-04-11 20:34:00,635 DEBUG [main] com.efecte.rest.RestApiLogger - done", Some(entry("DEBUG", "main", "done"))),
        // Header-shaped lines with impossible dates or bad fields are continuation lines.
        (D, "2023-02-30 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-02-29 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2024-02-29 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x",
            Some(Exp { local: Some("2024-02-29T20:34:00.635"), ..entry("INFO", "main", "x") })),
        (D, "2023-13-01 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 24:00:00,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:60:00,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:34:60,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:34:00.635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:34:0a,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
        // Levels of the log's own are levels (Log4j 2 custom levels, Python, syslog), a
        // standard name in lower case is that level; mixed case or short words are not.
        (D, "2023-04-11 20:34:00,635 NOTICE [main] com.efecte.rest.RestApiLogger - x", Some(entry("NOTICE", "main", "x"))),
        (D, "2023-04-11 20:34:00,635 WARNING [main] com.efecte.rest.RestApiLogger - x", Some(entry("WARNING", "main", "x"))),
        (D, "2023-04-11 20:34:00,635 notice [main] com.efecte.rest.RestApiLogger - x", Some(entry("notice", "main", "x"))),
        (D, "2023-04-11 20:34:00,635 info  [main] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "main", "x"))),
        (D, "2023-04-11 20:34:00,635 Notice [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:34:00,635 OK    [main] com.efecte.rest.RestApiLogger - x", None),
        ("%p %m", "Caused by: java.io.IOException", None),
        ("%p %m", "at com.Foo.bar(Foo.java:1)", None),
        ("%p %m", "CRITICAL disk full", Some(Exp { level: Some("CRITICAL"), message: "disk full", ..E })),
        ("%5p %m", "  err x", Some(Exp { level: Some("err"), message: "x", ..E })),
        (D, "2023-04-11 20:34:00,635 INFO [main] com.efecte.rest.RestApiLogger - x", None),
        (D, "2023-04-11 20:34:00,635 INFO  [main] not a logger - x", None),
        (D, "2023-04-11 20:34:00,635 INFO  [main", None),
        (D, "2023-04-11", None),
        (D, "", None),
        // Thread names with spaces and brackets; messages with the separator.
        (D, "2023-04-11 20:34:00,635 INFO  [pool-2 thread 1] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "pool-2 thread 1", "x"))),
        (D, "2023-04-11 20:34:00,635 INFO  [odd] name] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "odd] name", "x"))),
        (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - a - b [c] d", Some(entry("INFO", "main", "a - b [c] d"))),
        // Empty messages, also with the trailing space stripped.
        (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - ", Some(entry("INFO", "main", ""))),
        (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger -", Some(entry("INFO", "main", ""))),
        (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger -\r", Some(entry("INFO", "main", ""))),
        // %d|%m
        ("%d|%m%n", "2023-04-11 20:34:00,635|hello | world", Some(Exp { local: T0, message: "hello | world", ..E })),
        ("%d|%m%n", "2023-04-11 20:34:00,635 hello", None),
        ("%d|%m%n", "hello", None),
        // ISO8601: Log4j 2 writes a T, Log4j 1 a space.
        (ISO, "2023-04-11T20:34:00,635 DEBUG [main] c.e.r.RestApiLogger - x",
            Some(Exp { logger: Some("c.e.r.RestApiLogger"), ..entry("DEBUG", "main", "x") })),
        (ISO, "2023-04-11 20:34:00,635 FATAL [main] c.e.r.RestApiLogger - x",
            Some(Exp { logger: Some("c.e.r.RestApiLogger"), ..entry("FATAL", "main", "x") })),
        (ISO, "2023-04-11X20:34:00,635 DEBUG [main] c.e.r.RestApiLogger - x", None),
        // ABSOLUTE: a time of day only; %5p pads on the left.
        (ABS, "20:34:00,635  INFO RestApiLogger - started",
            Some(Exp { time_only: Some("20:34:00.635"), level: Some("INFO"), logger: Some("RestApiLogger"), message: "started", ..E })),
        (ABS, "20:34:00,635 ERROR RestApiLogger - boom",
            Some(Exp { time_only: Some("20:34:00.635"), level: Some("ERROR"), logger: Some("RestApiLogger"), message: "boom", ..E })),
        (ABS, "20:34:00,635 INFO RestApiLogger - started", None),
        (ABS, "25:34:00,635  INFO RestApiLogger - started", None),
        // MDC
        (MDC, "2023-04-11 20:34:00,635 [req-42] INFO  com.efecte.rest.RestApiLogger - x",
            Some(Exp { local: T0, mdc0: Some("req-42"), level: Some("INFO"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
        (MDC, "2023-04-11 20:34:00,635 [] WARN  com.efecte.rest.RestApiLogger - x",
            Some(Exp { local: T0, mdc0: Some(""), level: Some("WARN"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
        // Zones: the line's own offset wins over {zone}; a fixed {zone} applies otherwise.
        (ZONED, "2023-04-11T23:34:00.635+0300 INFO hi",
            Some(Exp { local: Some("2023-04-11T23:34:00.635"), offset: Some(10800), level: Some("INFO"), message: "hi", ..E })),
        (ZONED, "2023-04-11T20:34:00.635-0000 INFO hi", Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "hi", ..E })),
        (ZONED, "2023-04-11T20:34:00.635 INFO hi", None),
        ("%d{yyyy-MM-dd HH:mm:ss.SSS}{UTC} %p %m%n", "2023-04-11 20:34:00.635 INFO hi",
            Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "hi", ..E })),
        ("%d{yyyy-MM-dd HH:mm:ss}{GMT+3} %p %m%n", "2023-04-11 20:34:00 INFO hi",
            Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(10800), level: Some("INFO"), message: "hi", ..E })),
        ("%d{yyyy-MM-dd HH:mm:ss}{-05:30} %p %m%n", "2023-04-11 20:34:00 INFO hi",
            Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(-19800), level: Some("INFO"), message: "hi", ..E })),
        ("%d{ISO8601}{Europe/Helsinki} %p %m%n", "2023-04-11T20:34:00,635 INFO hi",
            Some(Exp { local: T0, level: Some("INFO"), message: "hi", ..E })),
        ("%d{yyyy-MM-dd HH:mm:ss,SSSXXX} %p %m", "2023-04-11 20:34:00,635+03:00 INFO x",
            Some(Exp { local: T0, offset: Some(10800), level: Some("INFO"), message: "x", ..E })),
        ("%d{yyyy-MM-dd HH:mm:ss,SSSXXX} %p %m", "2023-04-11 20:34:00,635Z INFO x",
            Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "x", ..E })),
        ("%d{ISO8601_OFFSET_DATE_TIME_HH} %p %m", "2023-04-11T20:34:00,635-05 INFO x",
            Some(Exp { local: T0, offset: Some(-18000), level: Some("INFO"), message: "x", ..E })),
        // Epoch timestamps are UTC.
        ("%d{UNIX_MILLIS} %p %m", "1681245240635 INFO x", Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "x", ..E })),
        ("%d{UNIX} %p %m", "1681245240 WARN x",
            Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(0), level: Some("WARN"), message: "x", ..E })),
        ("%d{UNIX} %p %m", "42 WARN x", None),
        // Other named and custom date formats.
        ("%d{DATE} %p %m", "11 Apr 2023 20:34:00,635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
        ("%d{DATE} %p %m", "31 Apr 2023 20:34:00,635 INFO x", None),
        ("%d{COMPACT} %p %m", "20230411203400635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
        ("%d{ISO8601_BASIC} %p %m", "20230411T203400,635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
        ("%d{DEFAULT_MICROS} %p %m", "2023-04-11 20:34:00,635123 INFO x",
            Some(Exp { local: Some("2023-04-11T20:34:00.635123"), level: Some("INFO"), message: "x", ..E })),
        ("%d{US_MONTH_DAY_YEAR2_TIME} %p %m", "11/04/23 20:34:00.635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
        ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 08:34:00 PM INFO x",
            Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
        ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 12:05:00 AM INFO x",
            Some(Exp { local: Some("2023-04-11T00:05:00"), level: Some("INFO"), message: "x", ..E })),
        ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 13:05:00 PM INFO x", None),
        ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Tue, 11 Apr 2023 9:34:00 UTC INFO x",
            Some(Exp { local: Some("2023-04-11T09:34:00"), offset: Some(0), level: Some("INFO"), message: "x", ..E })),
        ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Tue, 11 Apr 2023 20:34:00 EEST INFO x",
            Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
        ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Mon, 11 Apr 2023 20:34:00 UTC INFO x", None),
        ("%d{yyyy-MM-dd'T'HH:mm:ss} %p %m", "2023-04-11T20:34:00 INFO x",
            Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
        // %r, %-36.36c, %C, %x, levels written differently.
        ("%r [%t] %p %c - %m%n", "1234 [main] INFO com.Foo - x",
            Some(Exp { relative: Some(1234), thread: Some("main"), level: Some("INFO"), logger: Some("com.Foo"), message: "x", ..E })),
        ("%-6r [%t] %m", "1234   [main] x", Some(Exp { relative: Some(1234), thread: Some("main"), message: "x", ..E })),
        ("%r [%t] %p %c - %m%n", "12a4 [main] INFO com.Foo - x", None),
        (PADDED, "2023-04-11 20:34:00,635 INFO  com.efecte.rest.RestApiLogger        - x",
            Some(Exp { local: T0, level: Some("INFO"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
        (PADDED, "2023-04-11 20:34:00,635 INFO  efecte.integration.IntegrationLogger - x",
            Some(Exp { local: T0, level: Some("INFO"), logger: Some("efecte.integration.IntegrationLogger"), message: "x", ..E })),
        (PADDED, "2023-04-11 20:34:00,635 INFO  com.efecte.integration.IntegrationLogger01 - x", None),
        ("%d [%t] %-5p %C.%M - %m", "2023-04-11 20:34:00,635 [main] INFO  com.Foo.run - x", None), // compile error, see ERRORS
        ("%d [%t] %x %C - %m", "2023-04-11 20:34:00,635 [main] job 7 com.Foo - x",
            Some(Exp { local: T0, thread: Some("main"), ndc: Some("job 7"), class: Some("com.Foo"), message: "x", ..E })),
        ("%5p [%t] %m", " WARN [main] x", Some(Exp { level: Some("WARN"), thread: Some("main"), message: "x", ..E })),
        ("%5p [%t] %m", "WARN [main] x", None),
        ("%level{lowerCase=true} %m", "warn x", Some(Exp { level: Some("WARN"), message: "x", ..E })),
        ("%level{length=1} %m", "E x", Some(Exp { level: Some("ERROR"), message: "x", ..E })),
        ("%.-1p %m", "D x", Some(Exp { level: Some("DEBUG"), message: "x", ..E })),
        ("%p%m", "WARNhello", Some(Exp { level: Some("WARN"), message: "hello", ..E })),
        // Fields with no literal after them are one word.
        ("%d %c%m", "2023-04-11 20:34:00,635 com.Foo hello", Some(Exp { local: T0, logger: Some("com.Foo"), message: " hello", ..E })),
        // A thread before a single space: backtracks over spaces in the name.
        ("%d %t %c - %m", "2023-04-11 20:34:00,635 pool 1 worker com.Foo - x",
            Some(Exp { local: T0, thread: Some("pool 1 worker"), logger: Some("com.Foo"), message: "x", ..E })),
        ("[%t] %d %-5p %m", "[main] 2023-04-11 20:34:00,635 INFO  x", Some(Exp { local: T0, thread: Some("main"), level: Some("INFO"), message: "x", ..E })),
        // No header at all: every line is an entry.
        ("%m%n", "anything at all", Some(Exp { message: "anything at all", ..E })),
        ("%m%n", "", Some(E)),
        // %ex and text after %m write nothing on the header line.
        ("%d %p %ex%m [%t]%n", "2023-04-11 20:34:00,635 INFO x [main]", Some(Exp { local: T0, level: Some("INFO"), message: "x [main]", ..E })),
        ("%d 100%% %p %m", "2023-04-11 20:34:00,635 100% INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
    ];

    fn check(layout: &str, line: &str, want: Option<Exp>) {
        let Ok(p) = LayoutParser::compile(layout) else {
            return;
        };
        let got = p.parse_header(line.as_bytes());
        let ctx = format!("layout {layout:?}, line {line:?}: {got:?}");
        let (Some(h), Some(w)) = (&got, want) else {
            assert_eq!(got.is_some(), want.is_some(), "{ctx}");
            return;
        };
        let text = |b: Option<&[u8]>| b.map(|b| std::str::from_utf8(b).unwrap().to_owned());
        let own = |s: Option<&str>| s.map(str::to_owned);
        assert_eq!(
            h.local,
            w.local.map(|s| s.parse::<NaiveDateTime>().unwrap()),
            "{ctx}"
        );
        assert_eq!(
            h.time_only,
            w.time_only.map(|s| s.parse::<NaiveTime>().unwrap()),
            "{ctx}"
        );
        assert_eq!(h.offset_seconds, w.offset, "{ctx}");
        assert_eq!(text(h.level), own(w.level), "{ctx}");
        assert_eq!(text(h.thread), own(w.thread), "{ctx}");
        assert_eq!(text(h.logger), own(w.logger), "{ctx}");
        assert_eq!(text(h.class), own(w.class), "{ctx}");
        assert_eq!(text(h.mdc[0]), own(w.mdc0), "{ctx}");
        assert_eq!(text(h.ndc), own(w.ndc), "{ctx}");
        assert_eq!(h.relative_ms, w.relative, "{ctx}");
        assert_eq!(text(Some(h.message)), Some(w.message.to_owned()), "{ctx}");
    }

    #[test]
    fn header_cases() {
        for (layout, line, want) in CASES {
            check(layout, line, *want);
        }
    }

    #[test]
    fn every_case_layout_but_one_compiles() {
        let failing: Vec<_> = CASES
            .iter()
            .filter(|(l, _, _)| LayoutParser::compile(l).is_err())
            .map(|(l, _, _)| *l)
            .collect();
        assert_eq!(failing, ["%d [%t] %-5p %C.%M - %m"]);
    }

    fn unsupported(specifier: &str, position: usize) -> LayoutError {
        LayoutError::UnsupportedSpecifier {
            specifier: specifier.to_owned(),
            position,
        }
    }

    type ErrorCase = (&'static str, fn() -> LayoutError);

    const ERRORS: &[ErrorCase] = &[
        ("%d{ABSOLUTE} %5p %c{1}:%L - %m%n", || unsupported("%L", 23)),
        ("%d %L %m", || unsupported("%L", 3)),
        ("%d [%t] %-5p %C.%M - %m", || unsupported("%M", 16)),
        ("%d %-5p %l - %m", || unsupported("%l", 8)),
        ("%d %F %m", || unsupported("%F", 3)),
        ("%d %highlight{%p} %m", || unsupported("%highlight", 3)),
        ("%m %L", || unsupported("%L", 3)),
        ("%d{yyyy %m", || LayoutError::UnclosedBrace { position: 2 }),
        ("%d{ISO8601}{UTC %m", || LayoutError::UnclosedBrace {
            position: 11,
        }),
        ("%d %p", || LayoutError::NoMessage),
        ("", || LayoutError::NoMessage),
        ("%d%n%m", || LayoutError::NewlineBeforeMessage {
            position: 2,
        }),
        ("%d %-5 %m", || LayoutError::MissingSpecifier {
            position: 3,
        }),
        ("%m %", || LayoutError::MissingSpecifier { position: 3 }),
        ("%.10d %m", || LayoutError::UnsupportedModifier {
            specifier: "%d".into(),
            max: 10,
            position: 0,
        }),
        ("%t{x} %m", || LayoutError::UnsupportedOption {
            specifier: "%t".into(),
            option: "x".into(),
            position: 0,
        }),
        ("%p{colour=red} %m", || LayoutError::UnsupportedOption {
            specifier: "%p".into(),
            option: "colour=red".into(),
            position: 0,
        }),
        ("%d{yyyy-MM-dd}{Mars/Olympus} %m", || {
            LayoutError::UnknownZone {
                zone: "Mars/Olympus".into(),
            }
        }),
        ("%X{a}%X{b}%X{c}%X{d}%X{e}%X{f}%X{g}%X{h}%X{i} %m", || {
            LayoutError::TooManyMdcKeys
        }),
    ];

    #[test]
    fn layout_errors() {
        for (layout, want) in ERRORS {
            assert_eq!(
                LayoutParser::compile(layout).err(),
                Some(want()),
                "{layout}"
            );
        }
    }

    #[test]
    fn bad_date_patterns() {
        for layout in [
            "%d{yyyy-MM-dd HH:mm:ss G} %m",
            "%d{'T} %m",
            "%d{hh:mm:ss} %m",
            "%d{yyyy-MM HH:mm} %m",
            "%d{mm:ss} %m",
            "%d{} %m",
            "%d{HH:mm:ss,SSSSSSSSSS} %m",
        ] {
            let err = LayoutParser::compile(layout).err();
            assert!(
                matches!(err, Some(LayoutError::BadDatePattern { .. })),
                "{layout}: {err:?}"
            );
        }
    }

    #[test]
    fn error_messages_name_the_problem() {
        let err = LayoutParser::compile("%d{ABSOLUTE} %5p %c{1}:%L - %m%n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unsupported layout specifier `%L` at position 23; supported: %d %p %t %c %C %X %r %m %n %x %ex %%"
        );
        let err = LayoutParser::compile("%d{yyyy-MM-dd G} %m").unwrap_err();
        assert!(err.to_string().contains("unsupported letter `G`"), "{err}");
        let err = LayoutParser::compile("%d{hh:mm} %m").unwrap_err();
        assert!(err.to_string().contains("12-hour"), "{err}");
    }

    #[test]
    fn zones_are_exposed() {
        let p = parser("%d{ISO8601}{Europe/Helsinki} %-5p [%t] %c - %m%n");
        assert_eq!(p.date_zone(), Some("Europe/Helsinki"));
        assert_eq!(p.date_tz(), Some(chrono_tz::Europe::Helsinki));
        assert_eq!(p.zone_offset_seconds(), None);
        let p = parser("%d{ISO8601}{+03:00} %m");
        assert_eq!(
            (p.date_zone(), p.zone_offset_seconds()),
            (None, Some(10800))
        );
        let p = parser(D);
        assert_eq!((p.date_zone(), p.zone_offset_seconds()), (None, None));
    }

    #[test]
    fn accessors() {
        let p = parser(MDC);
        assert_eq!(p.pattern(), MDC);
        assert_eq!(p.to_string(), MDC);
        assert_eq!(p.mdc_keys(), ["requestId"]);
        assert!(p.has_date() && !p.is_time_only());
        let h = p
            .parse_header(b"2023-04-11 20:34:00,635 [r-1] INFO  com.Foo - x")
            .unwrap();
        assert_eq!(p.mdc(&h, "requestId"), Some(&b"r-1"[..]));
        assert_eq!(p.mdc(&h, "user"), None);
        assert!(parser(ABS).is_time_only());
        assert!(!parser("%p %m").has_date());
        assert_eq!(LayoutParser::default().pattern(), DEFAULT_LAYOUT);
        assert_eq!("%p %m".parse::<LayoutParser>().unwrap().pattern(), "%p %m");
        let p = parser("%d %X %X{user} %X{a,b} %m");
        assert_eq!(p.mdc_keys(), ["user"]);
        let h = p
            .parse_header(b"2023-04-11 20:34:00,635 {user=u,a=1} u {a=1} x")
            .unwrap();
        assert_eq!(h.mdc_map, Some(&b"{a=1}"[..]));
        assert_eq!(p.mdc(&h, "user"), Some(&b"u"[..]));
        assert_eq!(h.message, b"x");
    }

    #[test]
    fn lines_meant_as_headers() {
        // (layout, line that is not a header, looks like one, why it failed)
        let cases: &[(&str, &str, bool, &str)] = &[
            (
                D,
                "2023-02-30 20:34:00,635 INFO  [main] com.Foo - x",
                true,
                "the date at column 1",
            ),
            (
                D,
                "2023-04-11 20:34:00,635 Info  [main] com.Foo - x",
                true,
                "no level at column 25",
            ),
            (
                D,
                "2023-04-11 20:34:00,635 INFO  main com.Foo - x",
                true,
                "` [` expected at column 30",
            ),
            (
                D,
                "\tat com.Foo.bar(Foo.java:1)",
                false,
                "the date at column 1",
            ),
            (D, "2023-04-11 20:34", false, "the date at column 1"),
            (
                "%d{yy/MM/dd HH:mm:ss} %p %m",
                "23/02/30 20:34:00 INFO x",
                true,
                "the date at column 1",
            ),
            (
                "%d{yy/MM/dd HH:mm:ss} %p %m",
                "23/04/11 20:34:00 Info x",
                true,
                "no level at column 19",
            ),
            (
                "%d{yy/MM/dd HH:mm:ss} %p %m",
                "23-04-11 20:34:00 INFO x",
                false,
                "the date at column 1",
            ),
            (
                "%d{dd MMM yyyy HH:mm:ss} %p %m",
                "31 Apr 2023 20:34:00 INFO x",
                true,
                "the date at column 1",
            ),
            (
                "%d{dd MMM yyyy HH:mm:ss} %p %m",
                "11 Foo 2023 20:34:00 INFO x",
                true,
                "the date at column 1",
            ),
            (
                "%d{dd MMM yyyy HH:mm:ss} %p %m",
                "Total 2023 rows",
                false,
                "the date at column 1",
            ),
            (
                ABS,
                "25:61:00,635  INFO RestApiLogger - x",
                true,
                "the date at column 1",
            ),
            (
                ABS,
                "20:34:00,635 Info RestApiLogger - x",
                true,
                "no level at column 14",
            ),
            (
                "%d{UNIX_MILLIS} %p %m",
                "1681245240635 Info x",
                true,
                "no level at column 15",
            ),
            (
                "%d{UNIX_MILLIS} %p %m",
                "168124524063 INFO x",
                false,
                "the date at column 1",
            ),
            (
                "[%X{req}] %d %p %m",
                "[r-1] 2023-02-30 20:34:00,635 INFO x",
                true,
                "the date at column 7",
            ),
            (
                "%X{req} %d %p %m",
                "r-1 2023-02-30 20:34:00,635 INFO x",
                true,
                "the date at column 5",
            ),
            (
                "%-5p [%t] %d %m",
                "INFO  [main] 2023-02-30 20:34:00,635 x",
                true,
                "the date at column 14",
            ),
            ("%p %m", "Info x", false, "no level at column 1"),
        ];
        for (layout, line, looks, why) in cases {
            let p = parser(layout);
            assert_eq!(p.parse_header(line.as_bytes()), None, "{layout} {line}");
            assert_eq!(
                p.looks_like_header(line.as_bytes()),
                *looks,
                "{layout} {line}"
            );
            let got = p.header_failure(line.as_bytes()).unwrap_or_default();
            assert!(got.starts_with(why), "{layout} {line}: {got}");
        }
        assert_eq!(
            parser(D).header_failure(b"2023-04-11 20:34:00,635 INFO  [main] com.Foo - x"),
            None
        );
    }

    #[test]
    fn parser_is_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<LayoutParser>();
    }

    #[test]
    fn hostile_lines_are_bounded() {
        // Many candidate ends for the thread and none that completes the header.
        let mut line = b"2023-04-11 20:34:00,635 INFO  [".to_vec();
        for _ in 0..10_000 {
            line.extend_from_slice(b"a] ");
        }
        assert_eq!(parser(D).parse_header(&line), None);
        let p = parser("%d %t %t %t %c - %m");
        let mut line = b"2023-04-11 20:34:00,635 ".to_vec();
        for _ in 0..10_000 {
            line.extend_from_slice(b"a ");
        }
        assert_eq!(p.parse_header(&line), None);
    }
}
