//! Pattern parsing: a Log4j conversion pattern cut (with nom) into literal text and
//! converters, each with its format modifier (`%-5p`, `%.30c`) and `{options}`.

use nom::bytes::complete::take_till1;
use nom::character::complete::{char, digit1};
use nom::combinator::opt;
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::compile::Pad;
use super::LayoutError;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Modifier {
    pub(super) pad: Pad,
    pub(super) max: Option<usize>,
    /// `.-N`: keep the first N characters instead of the last N.
    pub(super) trunc_end: bool,
}

#[derive(Debug)]
pub(super) enum Token<'p> {
    Lit(&'p str),
    Spec(Spec<'p>),
}

#[derive(Debug)]
pub(super) struct Spec<'p> {
    pub(super) position: usize,
    pub(super) modifier: Modifier,
    pub(super) name: &'p str,
    pub(super) kind: Kind,
    pub(super) options: Vec<&'p str>,
    /// The nested pattern of a converter that wraps one (`%highlight{%p}`, Logback's
    /// `%cyan(%logger)`) and where it starts in the whole layout.
    pub(super) inner: Option<(&'p str, usize)>,
}

impl Spec<'_> {
    pub(super) fn display(&self) -> String {
        format!("%{}", self.name)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
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
    /// A number whose value is not kept: `%L`, `%T`, `%pid`, `%sn`, `%N`.
    Number,
    /// A word without spaces whose value is not kept: `%M`, `%F`, `%l`, `%u`.
    Token,
    /// Text that may hold spaces or be empty: `%K` (a map), `%marker`.
    Text,
    /// A converter that prints its nested pattern with ANSI colour codes around it:
    /// `%highlight{...}`, `%style{...}{...}`, Logback's `%cyan(...)`.
    Styled,
    /// A converter that rewrites its nested pattern's text in ways that cannot be read
    /// back (`%replace`, `%equals`, `%notEmpty`, `%encode`, `%maxLen`): read as text.
    Rewritten,
    /// A plugin converter of some server (Elasticsearch's `%node_name`): a token that
    /// cannot contain the literal after it.
    Plugin,
}

pub(super) fn kind_of(name: &str) -> Option<Kind> {
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
        | "rException" | "rThrowable" | "nopex" | "nopexception" => Kind::Throwable,
        // Logback's short words.
        "le" => Kind::Level,
        "lo" => Kind::Logger,
        "L" | "line" | "T" | "tid" | "threadId" | "tp" | "threadPriority" | "pid" | "processId"
        | "sn" | "sequenceNumber" | "N" | "nano" => Kind::Number,
        "M" | "method" | "F" | "file" | "l" | "location" | "fqcn" | "u" | "uuid"
        | "markerSimpleName" | "caller" | "cn" | "contextName" | "property" => Kind::Token,
        // A marker prints its parents too: `AUDIT[ SECURITY ]`.
        "K" | "map" | "MAP" | "marker" => Kind::Text,
        "highlight" | "style" | "black" | "red" | "green" | "yellow" | "blue" | "magenta"
        | "cyan" | "white" | "gray" | "boldRed" | "boldGreen" | "boldYellow" | "boldBlue"
        | "boldMagenta" | "boldCyan" | "boldWhite" => Kind::Styled,
        "notEmpty" | "varsNotEmpty" | "variablesNotEmpty" | "equals" | "equalsIgnoreCase"
        | "replace" | "encode" | "enc" | "maxLen" | "maxLength" => Kind::Rewritten,
        _ => return None,
    })
}

/// The converter an identifier names, as Log4j reads it: the whole identifier when it is a
/// converter; else the longest known prefix followed by literal text when the rest does
/// not start with a letter (`%p_` is `%p` then `_`); else a plugin converter of the
/// server's own (`%node_name`), when the identifier is longer than one letter.
fn converter(identifier: &str) -> Option<(&str, Kind, &str)> {
    if let Some(kind) = kind_of(identifier) {
        return Some((identifier, kind, ""));
    }
    let split = (1..identifier.len()).rev().find_map(|i| {
        let (name, rest) = identifier.split_at(i);
        let kind = kind_of(name)?;
        (!rest.starts_with(|c: char| c.is_ascii_alphabetic())).then_some((name, kind, rest))
    });
    split.or_else(|| (identifier.len() > 1).then_some((identifier, Kind::Plugin, "")))
}

pub(super) type PResult<'p, T> = IResult<&'p str, T, ()>;

pub(super) fn number(digits: &str) -> usize {
    digits.parse().unwrap_or(usize::MAX)
}

/// `-5`, `5`, `.30`, `-36.36`, `.-10`.
pub(super) fn modifier(input: &str) -> PResult<'_, Modifier> {
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

/// The text inside `open`…`close` at the start of `input`, nested pairs included
/// (`{[%X{user}] }`), and the rest after it; None when it is not closed.
fn group(input: &str, open: char, close: char) -> Option<(&str, &str)> {
    let body = input.strip_prefix(open)?;
    let mut depth = 0usize;
    for (i, c) in body.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return Some((&body[..i], &body[i + 1..]));
            }
            depth -= 1;
        }
    }
    None
}

/// Cuts a whole layout into tokens; positions are byte offsets into it.
pub(super) fn tokenize(pattern: &str) -> Result<Vec<Token<'_>>, LayoutError> {
    tokenize_at(pattern, 0)
}

/// Cuts a (possibly nested) pattern that starts at byte `base` of the layout into tokens.
pub(super) fn tokenize_at(pattern: &str, base: usize) -> Result<Vec<Token<'_>>, LayoutError> {
    let offset = |rest: &str| base + pattern.len() - rest.len();
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
        let letters = r
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(r.len());
        if !r.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return Err(LayoutError::MissingSpecifier { position });
        }
        let identifier = &r[..letters];
        let (name, kind, tail) =
            converter(identifier).ok_or_else(|| LayoutError::UnsupportedSpecifier {
                specifier: format!("%{identifier}"),
                position,
            })?;
        let mut r = &r[letters..];
        let mut options = Vec::new();
        let mut inner = None;
        if tail.is_empty() {
            // Logback writes a nested pattern in parentheses: `%cyan(%logger{15})`.
            if r.starts_with('(') {
                let paren = offset(r);
                let (text, r2) =
                    group(r, '(', ')').ok_or(LayoutError::UnclosedBrace { position: paren })?;
                inner = Some((text, paren + 1));
                r = r2;
            }
            while r.starts_with('{') {
                let brace = offset(r);
                let (text, r2) =
                    group(r, '{', '}').ok_or(LayoutError::UnclosedBrace { position: brace })?;
                if inner.is_none() && matches!(kind, Kind::Styled | Kind::Rewritten) {
                    inner = Some((text, brace + 1));
                }
                options.push(text);
                r = r2;
            }
        }
        tokens.push(Token::Spec(Spec {
            position,
            modifier,
            name,
            kind,
            options,
            inner,
        }));
        if !tail.is_empty() {
            tokens.push(Token::Lit(tail));
        }
        rest = r;
    }
    Ok(tokens)
}
