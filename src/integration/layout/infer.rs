//! Layout inference (`--layout auto`): finds the conversion pattern a log was written with
//! from its first lines, so that a user need not know what a Log4j pattern is.
//!
//! The date comes first: every common `SimpleDateFormat` shape and Log4j's named formats
//! are tried where a line starts, after a `[`, or after the first fields. Then each of the
//! first header lines is walked from its start: the level, a bracketed thread, `[key:value]`
//! context tokens, a number, the logger (with a `:line`), the separators, and the rest is
//! `%m`. Those readings, their padded variants and a few well-known layouts built on the
//! date found are the candidates; each is compiled and run over every sampled line, and the
//! one that makes the most lines entries without a suspicious line wins (a more specific one
//! on a tie). JSON lines are the `json` layout.

use crate::lines::trim_line_marks;
use std::cmp::Reverse;
use std::collections::BTreeSet;

use crate::lines::{excerpt, LineSplitter};

use super::{LayoutParser, DEFAULT_LAYOUT, JSON_LAYOUT, LEVELS};

/// `--layout auto`.
pub const AUTO_LAYOUT: &str = "auto";

/// How many non-blank lines of an input's start the inference reads.
pub const SAMPLE_LINES: usize = 300;

/// How many header lines are walked for candidates.
const WALKED_LINES: usize = 40;

/// The date shapes tried, most specific first: `SimpleDateFormat` patterns and Log4j's
/// named formats, as `%d{…}` writes them.
const DATE_PATTERNS: &[&str] = &[
    "yyyy-MM-dd HH:mm:ss,SSS",
    "yyyy-MM-dd HH:mm:ss.SSS",
    "yyyy-MM-dd'T'HH:mm:ss,SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSXXX",
    "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    "yyyy-MM-dd'T'HH:mm:ss,SSS",
    "yyyy-MM-dd'T'HH:mm:ss.SSS",
    "yyyy-MM-dd HH:mm:ss,SSS Z",
    "yyyy-MM-dd'T'HH:mm:ssXXX",
    "yyyy-MM-dd'T'HH:mm:ss",
    "yyyy-MM-dd HH:mm:ss",
    "yyyyMMdd'T'HHmmss,SSS",
    "yyyy/MM/dd HH:mm:ss,SSS",
    "yyyy/MM/dd HH:mm:ss.SSS",
    "yyyy/MM/dd HH:mm:ss",
    "yy/MM/dd HH:mm:ss",
    "dd MMM yyyy HH:mm:ss,SSS",
    "dd MMM yyyy HH:mm:ss",
    "dd-MMM-yyyy HH:mm:ss.SSS",
    "dd-MMM-yyyy HH:mm:ss",
    "dd.MM.yyyy HH:mm:ss,SSS",
    "dd.MM.yyyy HH:mm:ss.SSS",
    "dd.MM.yyyy HH:mm:ss",
    "MM/dd/yyyy HH:mm:ss",
    "MMM dd, yyyy h:mm:ss a",
    "MMM dd HH:mm:ss",
    "HH:mm:ss,SSS",
    "HH:mm:ss.SSS",
    "HH:mm:ss",
    "UNIX_MILLIS",
    "UNIX",
];

/// What was found: the layout and how much of the sample it explains.
#[derive(Debug, Clone)]
pub struct Inferred {
    /// The layout, ready to read with.
    pub parser: LayoutParser,
    /// Sampled lines that start an entry under it.
    pub entries: usize,
    /// Sampled lines it accounts for (entries and their continuation lines).
    pub explained: usize,
    /// Non-blank lines sampled.
    pub sampled: usize,
}

/// Why no layout was found, with the line that shows it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no Log4j-family layout explains this input's first lines: {reason}; first line: `{first_line}`")]
pub struct NoLayoutFound {
    /// What could not be placed, and where.
    pub reason: String,
    /// The first non-blank line, cut short (not redacted: the caller redacts).
    pub first_line: String,
}

/// Infers the layout of an input from its first bytes.
pub fn infer(head: &[u8]) -> Result<Inferred, NoLayoutFound> {
    let lines: Vec<&[u8]> = LineSplitter::new(head)
        .map(|(_, l)| trim_line_marks(l))
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .take(SAMPLE_LINES)
        .collect();
    let Some(first) = lines.first() else {
        return Err(NoLayoutFound {
            reason: "the input has no line to read".into(),
            first_line: String::new(),
        });
    };
    let first_line = excerpt(first, 120);
    // JSON lines are unmistakable; a pattern could read their numbers as a date.
    let json = lines
        .iter()
        .filter(|l| l.trim_ascii_start().starts_with(b"{"))
        .count();
    let candidates = if json * 2 > lines.len() {
        BTreeSet::from([JSON_LAYOUT.to_string()])
    } else {
        let mut all = candidates(&lines);
        all.insert(DEFAULT_LAYOUT.to_string());
        all
    };
    let best = candidates
        .iter()
        .filter_map(|pattern| LayoutParser::compile(pattern).ok())
        .map(|parser| score(parser, &lines))
        .max_by_key(|s| {
            // On a tie ESM's own layout wins, then the more specific one; runs of blanks
            // are better read as a field's padding.
            let default = s.parser.pattern() == DEFAULT_LAYOUT;
            let blank_runs = s.parser.pattern().matches("  ").count();
            (
                s.entries,
                Reverse(s.suspicious),
                default,
                s.fields,
                Reverse(blank_runs),
            )
        });
    match best {
        Some(best) if best.entries > 0 && best.explained * 2 > lines.len() => Ok(Inferred {
            entries: best.entries,
            explained: best.explained,
            sampled: lines.len(),
            parser: best.parser,
        }),
        _ => Err(NoLayoutFound {
            reason: if find_date(&strip_ansi(first)).is_none() {
                "no date and no level at the start of a line (column 1)".into()
            } else {
                "a date was found, but what follows it fits no layout tried".into()
            },
            first_line,
        }),
    }
}

struct Score {
    parser: LayoutParser,
    entries: usize,
    suspicious: usize,
    explained: usize,
    fields: usize,
}

/// Runs `parser` over the sample as the entry reader would: entries, suspicious lines
/// (header-shaped but not headers), and lines explained (all but suspicious lines and
/// those before the first entry).
fn score(parser: LayoutParser, lines: &[&[u8]]) -> Score {
    let (mut entries, mut suspicious, mut orphans) = (0, 0, 0);
    for line in lines {
        if parser.parse_header(line).is_some() {
            entries += 1;
        } else if parser.looks_like_header(line) {
            suspicious += 1;
        } else if entries == 0 {
            orphans += 1;
        }
    }
    let fields = parser.pattern().matches('%').count();
    Score {
        explained: lines.len() - suspicious - orphans,
        parser,
        entries,
        suspicious,
        fields,
    }
}

/// The candidate layouts for a sample.
fn candidates(lines: &[&[u8]]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let ansi = lines
        .iter()
        .any(|l| memchr::memmem::find(l, b"\x1b[").is_some());
    // The date shape most lines have: a line with another one (an impossible date that only
    // a shorter shape further right accepts) is no model for the header.
    let plain: Vec<(Vec<u8>, Option<DateAt>)> = lines
        .iter()
        .take(WALKED_LINES * 4)
        .map(|line| {
            let plain = strip_ansi(line);
            let date = find_date(&plain);
            (plain, date)
        })
        .collect();
    let mut shapes: Vec<(&'static str, usize)> = Vec::new();
    for date in plain.iter().filter_map(|(_, d)| d.as_ref()) {
        match shapes.iter_mut().find(|(p, _)| *p == date.pattern) {
            Some((_, n)) => *n += 1,
            None => shapes.push((date.pattern, 1)),
        }
    }
    let consensus = shapes.iter().max_by_key(|(_, n)| *n).map(|(p, _)| *p);
    let mut walked = 0;
    for (line, date) in &plain {
        if date.as_ref().map(|d| d.pattern) != consensus || walked >= WALKED_LINES {
            continue;
        }
        walked += 1;
        let parts = walk(line, date.as_ref());
        if parts
            .iter()
            .any(|p| matches!(p, Part::Date(_) | Part::Level { .. }))
        {
            for pattern in render_variants(&parts, ansi) {
                out.insert(pattern);
            }
        }
    }
    let dates = consensus.into_iter();
    for date in dates {
        for prefix in [format!("%d{{{date}}} "), format!("[%d{{{date}}}] ")] {
            for rest in WELL_KNOWN {
                out.insert(format!("{prefix}{rest}"));
            }
        }
    }
    out
}

/// Layouts found in many servers' configurations, after their date.
const WELL_KNOWN: &[&str] = &[
    "%-5p [%t] %c - %m%n",
    "[%t] %-5p %c - %m%n",
    "%-5p %c - %m%n",
    "%-5p [%c] %m%n",
    "%p %c: %m%n",
    "%-5p [%t] %c:%L - %m%n",
    "%r [%t] %-5p %c %x - %m%n",
    "%5p %pid --- [%t] %c : %m%n",
    "%pid %p %c %m%n",
    "%-5p %m%n",
    "%m%n",
];

/// A date found in a line: its pattern and where it is.
struct DateAt {
    pattern: &'static str,
    start: usize,
    end: usize,
}

/// The first date of [`DATE_PATTERNS`] at the start of the line, after a `[`, or after a
/// word and a separator (within the first 80 bytes).
fn find_date(line: &[u8]) -> Option<DateAt> {
    let starts = (0..line.len().min(80)).filter(|&i| {
        line[i].is_ascii_alphanumeric()
            && (i == 0
                || !line[i - 1].is_ascii_alphanumeric()
                    && !matches!(line[i - 1], b'.' | b'-' | b'_'))
    });
    for start in starts {
        for &pattern in DATE_PATTERNS {
            let Some(parser) = date_parser(pattern) else {
                continue;
            };
            if let Some(header) = parser.parse_header(&line[start..]) {
                let end = line.len() - header.message.len();
                // A date must be followed by a separator, not by more of a word.
                if line.get(end).is_none_or(|b| !b.is_ascii_alphanumeric()) && end > start {
                    return Some(DateAt {
                        pattern,
                        start,
                        end,
                    });
                }
            }
        }
    }
    None
}

/// `%d{pattern}%m`, compiled once per pattern.
fn date_parser(pattern: &'static str) -> Option<&'static LayoutParser> {
    use std::sync::OnceLock;
    static PARSERS: OnceLock<Vec<Option<LayoutParser>>> = OnceLock::new();
    let parsers = PARSERS.get_or_init(|| {
        DATE_PATTERNS
            .iter()
            .map(|p| LayoutParser::compile(&format!("%d{{{p}}}%m")).ok())
            .collect()
    });
    let i = DATE_PATTERNS.iter().position(|&p| p == pattern)?;
    parsers[i].as_ref()
}

/// The line without ANSI colour codes.
fn strip_ansi(line: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        let skip = super::literal::ansi_len(&line[i..]);
        if skip > 0 {
            i += skip;
        } else {
            out.push(line[i]);
            i += 1;
        }
    }
    out
}

/// One piece of a walked header.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Lit(String),
    Date(&'static str),
    /// A level and the blanks after it.
    Level {
        len: usize,
        blanks: usize,
    },
    /// A thread, with the length it has in the walked line.
    Thread(usize),
    /// A logger, with the length it has in the walked line.
    Logger(usize),
    Line,
    Number,
    Context(String),
}

/// Reads a header's fields from the start of a line (ANSI codes removed).
fn walk(line: &[u8], date: Option<&DateAt>) -> Vec<Part> {
    let mut parts = Vec::new();
    let (mut level, mut thread, mut logger, mut contexts) = (false, false, false, 0);
    let mut pos = 0;
    while pos < line.len() {
        if let Some(d) = date.filter(|d| d.start == pos) {
            parts.push(Part::Date(d.pattern));
            pos = d.end;
            continue;
        }
        let rest = &line[pos..];
        let date_ahead = date.is_some_and(|d| d.start > pos);
        if rest[0] == b' ' {
            let n = rest.iter().take_while(|&&b| b == b' ').count();
            parts.push(Part::Lit(" ".repeat(n)));
            pos += n;
            continue;
        }
        if rest[0] == b'[' {
            let Some(close) = memchr::memchr(b']', rest) else {
                break;
            };
            let inner = &rest[1..close];
            if date.is_some_and(|d| d.start == pos + 1) {
                parts.push(Part::Lit("[".into()));
                pos += 1;
                continue;
            }
            let word = inner.trim_ascii();
            if logger {
                // After the logger a bracket belongs to the message (`[req-1 - -] text`).
                break;
            }
            if !level && is_level(word) {
                parts.push(Part::Lit("[".into()));
                parts.push(Part::Level {
                    len: word.len(),
                    blanks: 0,
                });
                parts.push(Part::Lit("]".into()));
                level = true;
            } else if let Some(key) = context_key(inner) {
                parts.push(Part::Lit(format!("[{key}:")));
                parts.push(Part::Context(key));
                parts.push(Part::Lit("]".into()));
            } else if !thread {
                parts.push(Part::Lit("[".into()));
                parts.push(Part::Thread(0));
                parts.push(Part::Lit("]".into()));
                thread = true;
            } else if !date_ahead && level {
                break;
            } else {
                contexts += 1;
                parts.push(Part::Lit("[".into()));
                parts.push(Part::Context(format!("ctx{contexts}")));
                parts.push(Part::Lit("]".into()));
            }
            pos += close + 1;
            continue;
        }
        if rest[0] == b']' {
            parts.push(Part::Lit("]".into()));
            pos += 1;
            continue;
        }
        if let Some(sep) = separator(rest) {
            parts.push(Part::Lit(sep.to_string()));
            pos += sep.len();
            // After the logger, or a level and a thread, a separator ends the header.
            if !date_ahead && (logger || level && thread) {
                break;
            }
            continue;
        }
        let word_len = word_end(rest);
        let word = &rest[..word_len];
        if word.is_empty() {
            break;
        }
        if !level && is_level(word) {
            let blanks = rest[word_len..].iter().take_while(|&&b| b == b' ').count();
            parts.push(Part::Level {
                len: word_len,
                blanks,
            });
            level = true;
            pos += word_len + blanks;
            continue;
        }
        if word.iter().all(u8::is_ascii_digit) && !logger {
            parts.push(Part::Number);
            pos += word_len;
            continue;
        }
        if !logger && (is_logger(word) || date_ahead || level) {
            // `Logger:123` is the logger and the line number.
            let (name, line_no) = match memchr::memrchr(b':', word) {
                Some(i) if i + 1 < word.len() && word[i + 1..].iter().all(u8::is_ascii_digit) => {
                    (&word[..i], true)
                }
                _ => (word, false),
            };
            if !is_logger(name) && !date_ahead && !thread_like(name) {
                break;
            }
            if date_ahead && thread {
                contexts += 1;
                parts.push(Part::Context(format!("ctx{contexts}")));
            } else if date_ahead && !thread {
                parts.push(Part::Thread(word_len));
                thread = true;
            } else {
                parts.push(Part::Logger(name.len()));
                logger = true;
                if line_no {
                    parts.push(Part::Lit(":".into()));
                    parts.push(Part::Line);
                }
            }
            pos += word_len;
            continue;
        }
        break;
    }
    parts
}

/// Where a header word ends: at a blank, a bracket or a separator of [`separator`].
fn word_end(rest: &[u8]) -> usize {
    (0..rest.len())
        .find(|&i| {
            rest[i] == b' '
                || rest[i] == b'['
                || (i > 0
                    && separator(&rest[i..])
                        .is_some_and(|s| s.starts_with(':') || s.starts_with('|')))
        })
        .unwrap_or(rest.len())
}

/// A separator between header fields, or between the header and the message.
fn separator(rest: &[u8]) -> Option<&'static str> {
    [
        " - ", " : ", " | ", "::", ": ", " -- ", "--- ", "- ", "| ", ":",
    ]
    .into_iter()
    .find(|s| rest.starts_with(s.as_bytes()))
}

/// `key:value` inside brackets (ZooKeeper's `[myid:1]`): the key.
fn context_key(inner: &[u8]) -> Option<String> {
    let colon = memchr::memchr(b':', inner)?;
    let key = &inner[..colon];
    let ok = !key.is_empty()
        && key.len() <= 20
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        && key[0].is_ascii_alphabetic()
        && !inner[colon + 1..].contains(&b' ');
    ok.then(|| String::from_utf8_lossy(key).into_owned())
}

/// One of [`LEVELS`] in any case, or a level of the log's own: one word of 3 to 16
/// upper-case letters (`NOTICE`, `WARNING`, `AUDIT`).
fn is_level(word: &[u8]) -> bool {
    LEVELS
        .iter()
        .any(|l| l.as_bytes().eq_ignore_ascii_case(word))
        || (3..=16).contains(&word.len()) && word.iter().all(u8::is_ascii_uppercase)
        || [
            &b"WARNING"[..],
            b"CRITICAL",
            b"NOTICE",
            b"SEVERE",
            b"FINE",
            b"FINER",
            b"FINEST",
            b"CONFIG",
        ]
        .iter()
        .any(|l| l.eq_ignore_ascii_case(word))
}

/// A logger or class name: dotted words (`com.efecte.X`, `c.e.X`, `o.a.Foo$Bar`).
fn is_logger(word: &[u8]) -> bool {
    word.contains(&b'.')
        && word[0].is_ascii_alphabetic()
        && word
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'$' | b'_' | b'-'))
}

/// A word that can be a thread or a logger without dots (`main`, `root`, `app`).
fn thread_like(word: &[u8]) -> bool {
    !word.is_empty()
        && word
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'$' | b'_' | b'-' | b'#'))
}

/// The patterns a walk stands for: padded and unpadded level, with colour codes allowed
/// around each field when the log has them.
fn render_variants(parts: &[Part], ansi: bool) -> Vec<String> {
    let mut out = Vec::new();
    'variants: for padded in [true, false] {
        let mut pattern = String::new();
        let mut numbers = 0;
        let mut skip_blanks = false;
        for (i, part) in parts.iter().enumerate() {
            // A logger or thread followed by a run of blanks is padded to a width
            // (`%-25c`): the padding takes all blanks but the last.
            let width = match (part, parts.get(i + 1)) {
                (Part::Logger(len) | Part::Thread(len), Some(Part::Lit(next)))
                    if padded && next.len() > 1 && next.bytes().all(|b| b == b' ') =>
                {
                    Some(len + next.len() - 1)
                }
                _ => None,
            };
            let conversion = match part {
                Part::Lit(text) => {
                    if std::mem::take(&mut skip_blanks) {
                        pattern.push(' ');
                    } else {
                        pattern.push_str(&text.replace('%', "%%"));
                    }
                    continue;
                }
                Part::Logger(_) | Part::Thread(_) if width.is_some() => {
                    skip_blanks = true;
                    let letter = if matches!(part, Part::Logger(_)) {
                        'c'
                    } else {
                        't'
                    };
                    format!("%-{}{letter}", width.unwrap_or(0))
                }
                Part::Level { len, blanks } => {
                    // `INFO  [` is `%-5p [`: the padding takes the blanks a shorter level
                    // leaves.
                    let (level, blanks) = if padded {
                        // A padding that would take the only blank is no padding.
                        match (len + blanks).checked_sub(5.max(*len)) {
                            Some(left) if left > 0 || *blanks == 0 => ("%-5p", left),
                            _ => continue 'variants,
                        }
                    } else {
                        ("%p", *blanks)
                    };
                    pattern.push_str(&wrap(level, ansi));
                    pattern.push_str(&" ".repeat(blanks));
                    continue;
                }
                Part::Date(p) => format!("%d{{{p}}}"),
                Part::Thread(_) => "%t".into(),
                Part::Logger(_) => "%c".into(),
                Part::Line => "%L".into(),
                Part::Number => {
                    numbers += 1;
                    if numbers == 1 { "%r" } else { "%pid" }.into()
                }
                Part::Context(key) => format!("%X{{{key}}}"),
            };
            pattern.push_str(&wrap(&conversion, ansi));
        }
        pattern.push_str("%m%n");
        out.push(pattern);
    }
    out
}

/// A conversion, wrapped so that colour codes may come around it.
fn wrap(conversion: &str, ansi: bool) -> String {
    if ansi {
        format!("%highlight{{{conversion}}}")
    } else {
        conversion.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inferred(text: &str) -> Result<(String, usize, usize, usize), NoLayoutFound> {
        infer(text.as_bytes()).map(|i| {
            (
                i.parser.pattern().to_string(),
                i.entries,
                i.explained,
                i.sampled,
            )
        })
    }

    #[test]
    fn finds_layouts_of_common_shapes() {
        let cases: &[(&str, &str)] = &[
            (
                "2023-10-26 11:00:00,123 INFO  [http-1] com.efecte.rest.RestApiLogger - user=A method=GET path=/x status=200\n\
                 2023-10-26 11:00:01,123 ERROR [http 2] com.efecte.X - failed\n\
                 java.lang.IllegalStateException: boom\n\tat a.b.C.d(C.java:1)\n",
                "%d{yyyy-MM-dd HH:mm:ss,SSS} %-5p [%t] %c - %m%n",
            ),
            (
                "17/06/09 20:10:40 INFO executor.CoarseGrainedExecutorBackend: Registered signal handlers\n\
                 17/06/09 20:10:41 WARN spark.SecurityManager: Changing view acls\n",
                "%d{yy/MM/dd HH:mm:ss} %p %c: %m%n",
            ),
            (
                "TRACE [main] log4j.PatternLayoutTestCase: Message 0\nDEBUG [main] root: Message 1\nWARN  [main] root: Message 2\n",
                "%-5p [%t] %c: %m%n",
            ),
            (
                "2019-03-09 06:42:22,178 [myid:] - INFO  [main-EventThread:ClientCnxn$EventThread@528] - EventThread shut down\n\
                 2019-03-09 06:42:22,179 [myid:3] - WARN  [main:ZooKeeper@1346] - Session closed\n",
                "%d{yyyy-MM-dd HH:mm:ss,SSS} [myid:%X{myid}] - %-5p [%t] - %m%n",
            ),
            (
                "{\"@timestamp\":\"2023-10-26T08:00:00Z\",\"log.level\":\"info\",\"message\":\"m\"}\n",
                "json",
            ),
        ];
        for (text, want) in cases {
            let got = inferred(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(got.0, *want, "{text}");
            assert_eq!(got.2, got.3, "every sampled line explained: {text}");
        }
    }

    #[test]
    fn says_plainly_when_nothing_fits() {
        let err = inferred("hello world\nthis is not a log\n").unwrap_err();
        assert!(err.reason.contains("no date and no level"), "{err}");
        assert_eq!(err.first_line, "hello world");
        assert!(inferred("").is_err());
    }
}
