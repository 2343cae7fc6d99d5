//! Pattern parsing: a Log4j conversion pattern cut (with nom) into literal text and
//! converters, each with its format modifier (`%-5p`, `%.30c`) and `{options}`.

use nom::bytes::complete::{take_till1, take_until};
use nom::character::complete::{alpha1, char, digit1};
use nom::combinator::opt;
use nom::sequence::{delimited, preceded};
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
        | "rException" | "rThrowable" => Kind::Throwable,
        _ => return None,
    })
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

pub(super) fn option(input: &str) -> PResult<'_, &str> {
    delimited(char('{'), take_until("}"), char('}')).parse(input)
}

pub(super) fn tokenize(pattern: &str) -> Result<Vec<Token<'_>>, LayoutError> {
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
