//! Matching a line against a compiled layout: the header matcher on the hot path (each op
//! in turn, variable-width fields backtracking over the places the next literal occurs),
//! and the walk that tells a line meant as a header from a continuation line.

use super::compile::{Field, Op, Pad};
use super::date::DateSpec;
use super::levels::parse_relative;
use super::levels::LevelSpec;
use super::literal::{ansi_len, find_near, has_prefix, trim_ansi_end, Literal};
use super::padding::{char_len, leading_spaces, trim_end_spaces, trim_start_spaces};
use super::{Header, LayoutParser};

impl LayoutParser {
    /// Whether a line that [`LayoutParser::parse_header`] refused was probably meant to be a
    /// header: its start has the shape of this layout's header up to and including the
    /// date (digits where the date pattern has numbers, its separators, any month name),
    /// whatever the values (`2023-02-30`, `25:61:00`) and the fields after it. Always
    /// false for a layout without `%d`; the caller also checks the literal prefix.
    pub fn looks_like_header(&self, line: &[u8]) -> bool {
        if self.json {
            return line.trim_ascii_start().starts_with(b"{");
        }
        matches!(self.walk(line, Walk::Shape), Err(Stop::DateShape))
    }

    /// Why a line is not a header, read op by op from its start, first fit only (a
    /// diagnosis for problems, not the matcher): `the date at column 1 is not a valid
    /// yyyy-MM-dd HH:mm:ss,SSS`. None when that first-fit reading finds no fault (the line
    /// is a header, or only backtracking or a field's content tells it is not).
    pub fn header_failure(&self, line: &[u8]) -> Option<String> {
        if self.json {
            return Some("not one whole JSON object (a JSON layout writes one per line)".into());
        }
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
                Op::Ansi => format!("colour codes expected at column {column}"),
            }),
        }
    }

    /// Walks the header ops over `line` one after the other, each at its first fit.
    /// In [`Walk::Shape`] mode it stops with [`Stop::DateShape`] at a date of the right
    /// shape and reads levels as any word.
    fn walk(&self, line: &[u8], mode: Walk) -> Result<(), Stop> {
        let line = crate::lines::trim_line_marks(line);
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
                (Op::Field(..), _) => match self.next_literal(i) {
                    Some((lit, _)) => lit
                        .find(input, 0)
                        .map(|at| trim_ansi_end(&input[..at]).len()),
                    _ => Some(memchr::memchr2(b' ', b'\t', input).unwrap_or(input.len())),
                },
                (Op::Ansi, _) => Some(ansi_len(input)),
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

    /// The literal after the field at op `i` and its index: the next op, or the one after
    /// colour codes.
    #[inline]
    fn next_literal(&self, i: usize) -> Option<(&Literal, usize)> {
        match self.ops.get(i + 1)? {
            Op::Lit(lit) => Some((lit, i + 1)),
            Op::Ansi if self.has_ansi => match self.ops.get(i + 2)? {
                Op::Lit(lit) => Some((lit, i + 2)),
                _ => None,
            },
            _ => None,
        }
    }

    /// Matches `ops[i..]` against `input`, returning where the message starts.
    pub(super) fn match_from<'a>(
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
                    h.level = Some(level);
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
                Op::Ansi => ansi_len(input),
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
        if let Some((lit, at)) = self.next_literal(i) {
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
                if field == Field::Plugin {
                    // A plugin's text cannot contain the literal after it.
                    return None;
                }
                from = pos + 1;
            }
            let trimmed = &lit.bytes[..lit.trimmed];
            if at + 1 == self.ops.len()
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
        // Colour codes before the next literal are the next op's.
        let raw = if self.has_ansi && matches!(self.ops.get(i + 1), Some(Op::Ansi)) {
            trim_ansi_end(raw)
        } else {
            raw
        };
        let value = if pad.min == 0 {
            raw
        } else if pad.left {
            trim_end_spaces(raw)
        } else {
            trim_start_spaces(raw)
        };
        let no_space = |v: &[u8]| memchr::memchr2(b' ', b'\t', v).is_none();
        let ok = match field {
            Field::Thread => !value.is_empty(),
            Field::Logger | Field::Class => !value.is_empty() && no_space(value),
            Field::Mdc(_) | Field::MdcMap | Field::Ndc | Field::Text | Field::Plugin => true,
            Field::Token => no_space(value),
            Field::Number => match value {
                b"?" => true,
                [b'-', digits @ ..] | digits => {
                    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
                }
            },
        };
        if !ok || over_max(max, value) {
            return None;
        }
        match field {
            Field::Thread => h.thread = Some(value),
            Field::Logger => h.logger = Some(value),
            Field::Class => h.class = Some(value),
            Field::Mdc(k) => h.mdc[usize::from(k)] = Some(value),
            Field::MdcMap => h.mdc_map = Some(value),
            Field::Ndc => h.ndc = Some(value),
            Field::Number | Field::Token | Field::Text | Field::Plugin => {}
        }
        self.match_from(i + 1, rest, h, budget)
    }
}

/// The first ops of a layout that starts `%d<text>%p<text>` (the default layout and most
/// others), read straight through: the same as the op loop over them, without its
/// dispatch, on the hottest path of the tool.
#[derive(Debug, Clone)]
pub(super) struct Head {
    date: DateSpec,
    date_pad: Pad,
    after_date: Vec<u8>,
    level: LevelSpec,
    level_pad: Pad,
    after_level: Vec<u8>,
}

impl Head {
    /// How many ops it stands for.
    pub(super) const OPS: usize = 4;

    /// The head of `ops`, when they start that way and go on with a field (so that no op
    /// loop is needed for the literal after the level).
    pub(super) fn of(ops: &[Op]) -> Option<Head> {
        match ops {
            [Op::Date(date, date_pad), Op::Lit(a), Op::Level(level, level_pad), Op::Lit(b), Op::Field(..), ..] => {
                Some(Head {
                    date: (**date).clone(),
                    date_pad: *date_pad,
                    after_date: a.bytes.clone(),
                    level: level.clone(),
                    level_pad: *level_pad,
                    after_level: b.bytes.clone(),
                })
            }
            _ => None,
        }
    }

    /// Reads the head of a line into `h`; the rest of the line after it.
    #[inline(always)]
    pub(super) fn read<'a>(&self, line: &'a [u8], h: &mut Header<'a>) -> Option<&'a [u8]> {
        let (v, n) = self
            .date
            .parse_padded_with(line, self.date_pad, Some(&mut h.date_memo))?;
        let rest = &line[n..];
        if !has_prefix(rest, &self.after_date) {
            return None;
        }
        let rest = &rest[self.after_date.len()..];
        let (level, n) = self.level.parse(rest, self.level_pad)?;
        let rest = &rest[n..];
        if !has_prefix(rest, &self.after_level) {
            return None;
        }
        h.local = v.local;
        h.time_only = v.time;
        h.offset_seconds = v.offset;
        h.level = Some(level);
        Some(&rest[self.after_level.len()..])
    }
}

/// Whether a field's value is longer than its maximum width (`%.30c`), in characters.
#[inline]
fn over_max(max: Option<usize>, value: &[u8]) -> bool {
    max.is_some_and(|m| value.len() > m && char_len(value) > m)
}

/// The ops after a [`Head`] when they are a thread, a literal, a logger (or class) and a
/// literal that starts with a blank, and nothing else: `[%t] %c - ` of the default layout.
/// [`Tail::read`] takes the first place each literal occurs as the end of its field, which
/// is the reading the op loop tries first; a line where that reading fails (a thread name
/// holding `] `, an empty field) goes to the op loop, which backtracks.
#[derive(Debug, Clone)]
pub(super) struct Tail {
    thread_max: Option<usize>,
    after_thread: Literal,
    logger: Field,
    logger_max: Option<usize>,
    after_logger: Vec<u8>,
}

impl Tail {
    /// The tail of a layout from `ops` (the ops after its head), when they have that shape.
    pub(super) fn of(ops: &[Op]) -> Option<Tail> {
        match ops {
            [Op::Field(Field::Thread, Pad { min: 0, .. }, thread_max), Op::Lit(after_thread), Op::Field(logger @ (Field::Logger | Field::Class), Pad { min: 0, .. }, logger_max), Op::Lit(after_logger)]
                if !after_thread.bytes.is_empty()
                    && matches!(after_logger.bytes.first(), Some(b' ' | b'\t')) =>
            {
                Some(Tail {
                    thread_max: *thread_max,
                    after_thread: after_thread.clone(),
                    logger: *logger,
                    logger_max: *logger_max,
                    after_logger: after_logger.bytes.clone(),
                })
            }
            _ => None,
        }
    }

    /// Reads the thread and logger at the start of `input` into `h`; the message after
    /// them. None where the op loop has to decide.
    #[inline(always)]
    pub(super) fn read<'a>(&self, input: &'a [u8], h: &mut Header<'a>) -> Option<&'a [u8]> {
        let end = self.after_thread.find(input, 0)?;
        let thread = &input[..end];
        if thread.is_empty() || over_max(self.thread_max, thread) {
            return None;
        }
        let rest = &input[end + self.after_thread.bytes.len()..];
        // The literal after the logger starts with a blank and a logger has none, so the
        // first blank is the only place that literal can first occur.
        let blank = find_near(b' ', b'\t', rest)?;
        let logger = &rest[..blank];
        if logger.is_empty() || over_max(self.logger_max, logger) {
            return None;
        }
        let rest = &rest[blank..];
        if !has_prefix(rest, &self.after_logger) {
            return None;
        }
        let message = &rest[self.after_logger.len()..];
        h.thread = Some(thread);
        match self.logger {
            Field::Class => h.class = Some(logger),
            _ => h.logger = Some(logger),
        }
        Some(message)
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
