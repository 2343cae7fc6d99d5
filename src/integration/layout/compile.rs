//! The compiled form of a layout (a list of ops up to `%m`) and the builder that turns the
//! pattern's tokens into it, checking each converter's options and modifiers.

use super::date::{DateSpec, Zone};
use super::levels::LevelSpec;
use super::literal::Literal;
use super::pattern::{tokenize_at, Kind, Spec, Token};
use super::{Dialect, LayoutError, MAX_MDC};

#[derive(Debug, Clone)]
pub(super) enum Op {
    Lit(Literal),
    Date(Box<DateSpec>, Pad),
    Level(LevelSpec, Pad),
    Relative(Pad),
    Field(Field, Pad, Option<usize>),
    /// Any number of ANSI colour codes (`ESC [ … m`), written by `%highlight`/`%style`.
    Ansi,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Thread,
    Logger,
    Class,
    Mdc(u8),
    MdcMap,
    Ndc,
    /// Digits (or `?`, Log4j's unknown location): `%L`, `%pid`; not kept.
    Number,
    /// A word without spaces, possibly empty: `%M`, `%u`, `%marker`; not kept.
    Token,
    /// Any text, possibly empty: `%K`, rewritten text (`%replace{…}`); not kept.
    Text,
    /// A plugin converter's output, up to the first occurrence of the literal after it;
    /// not kept.
    Plugin,
}

/// Minimum width: a left-aligned field is followed by spaces up to `min`
/// characters, a right-aligned one preceded by them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Pad {
    pub(super) min: usize,
    pub(super) left: bool,
}

#[derive(Default)]
pub(super) struct Builder {
    pub(super) ops: Vec<Op>,
    pub(super) literal: Vec<u8>,
    pub(super) mdc_keys: Vec<String>,
    pub(super) zone: Option<Zone>,
    pub(super) has_date: bool,
    pub(super) time_only: bool,
    /// Whether any op is [`Op::Ansi`].
    pub(super) has_ansi: bool,
    pub(super) seen_message: bool,
    /// Whose reading of words that differ between the dialects applies.
    pub(super) dialect: Dialect,
}

impl Builder {
    pub(super) fn flush_literal(&mut self) {
        if !self.literal.is_empty() {
            let bytes = std::mem::take(&mut self.literal);
            self.ops.push(Op::Lit(Literal::new(bytes)));
        }
    }

    /// Room for colour codes, once between two other ops.
    fn push_ansi(&mut self) {
        if self.literal.is_empty() && matches!(self.ops.last(), Some(Op::Ansi)) {
            return;
        }
        self.push_op(Op::Ansi);
        self.has_ansi |= !self.seen_message;
    }

    pub(super) fn push_op(&mut self, op: Op) {
        if !self.seen_message {
            self.flush_literal();
            self.ops.push(op);
        }
    }

    pub(super) fn push(&mut self, token: Token<'_>) -> Result<(), LayoutError> {
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
                let (pattern, zone) = self.dialect.date_options(&spec.options);
                let date = DateSpec::compile(pattern, zone)?;
                if let (Dialect::Log4j1, Some(text)) = (self.dialect, spec.options.get(1)) {
                    // Log4j 1.x has no zone option: `{…}` after the date is literal text.
                    self.push_op(Op::Date(Box::new(date), m.pad));
                    if !self.seen_message {
                        self.literal
                            .extend_from_slice(format!("{{{text}}}").as_bytes());
                    }
                    return Ok(());
                }
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
            // Their options only change what is written, not its shape.
            Kind::Number => self.push_op(Op::Field(Field::Number, m.pad, m.max)),
            Kind::Token if spec.name == "caller" && !self.seen_message => {
                return Err(LayoutError::CallerBeforeMessage {
                    position: spec.position,
                });
            }
            Kind::Token => self.push_op(Op::Field(Field::Token, m.pad, m.max)),
            Kind::Text => self.push_op(Op::Field(Field::Text, m.pad, m.max)),
            Kind::Rewritten => {
                // `%replace{%m}{…}{…}` is the message, rewritten: the header ends there.
                let wraps_message = match spec.inner {
                    Some((inner, base)) => tokenize_at(inner, base)?
                        .iter()
                        .any(|t| matches!(t, Token::Spec(s) if s.kind == Kind::Message)),
                    None => false,
                };
                if wraps_message {
                    self.flush_literal();
                    self.seen_message = true;
                } else {
                    self.push_op(Op::Field(Field::Text, m.pad, m.max));
                }
            }
            Kind::Plugin => self.push_op(Op::Field(Field::Plugin, m.pad, m.max)),
            Kind::Styled => {
                let Some((inner, base)) = spec.inner else {
                    return Err(LayoutError::MissingPattern {
                        specifier: spec.display(),
                        position: spec.position,
                    });
                };
                self.push_ansi();
                for token in tokenize_at(inner, base)? {
                    self.push(token)?;
                }
                self.push_ansi();
            }
        }
        Ok(())
    }
}
