//! The compiled form of a layout (a list of ops up to `%m`) and the builder that turns the
//! pattern's tokens into it, checking each converter's options and modifiers.

use super::date::{DateSpec, Zone};
use super::levels::LevelSpec;
use super::literal::Literal;
use super::pattern::{Kind, Spec, Token};
use super::{LayoutError, MAX_MDC};

#[derive(Debug, Clone)]
pub(super) enum Op {
    Lit(Literal),
    Date(Box<DateSpec>, Pad),
    Level(LevelSpec, Pad),
    Relative(Pad),
    Field(Field, Pad, Option<usize>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
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
    pub(super) seen_message: bool,
}

impl Builder {
    pub(super) fn flush_literal(&mut self) {
        if !self.literal.is_empty() {
            let bytes = std::mem::take(&mut self.literal);
            self.ops.push(Op::Lit(Literal::new(bytes)));
        }
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
