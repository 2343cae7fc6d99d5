//! The level converter (`%p`, `%level{...}`): the level sets a layout writes (renamed,
//! lower-cased, shortened) and the custom levels of the log's own; also `%r`, the other
//! padded self-delimiting field.

use super::compile::Pad;
use super::literal::has_prefix;
use super::padding::{leading_spaces, padded};
use super::pattern::Spec;
use super::{LayoutError, LEVELS};

#[derive(Debug, Clone)]
pub(super) struct LevelSpec {
    /// (label as written, its width in characters, canonical name), longest first.
    pub(super) labels: Vec<(Vec<u8>, usize, &'static [u8])>,
    /// Whether levels of the log's own are read too: not when the layout shortens level
    /// names (`length=1`, `%.1p`), since a one-letter level would match nearly anything.
    pub(super) custom: bool,
}

impl LevelSpec {
    pub(super) fn compile(spec: &Spec<'_>) -> Result<LevelSpec, LayoutError> {
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

    #[inline(always)]
    /// The level at the start of `input` (after its padding) and the bytes it takes: one
    /// of [`LEVELS`] spelled canonically, or a custom level as written.
    pub(super) fn parse<'a>(&self, input: &'a [u8], pad: Pad) -> Option<(&'a [u8], usize)> {
        let lead = if pad.left {
            0
        } else {
            leading_spaces(input, pad.min)
        };
        let s = &input[lead..];
        let Some((label, width, canonical)) = self.labels.iter().find(|(l, _, _)| has_prefix(s, l))
        else {
            return if self.custom {
                custom_level(s, lead, pad)
            } else {
                None
            };
        };
        // `WARNING` starts with the label `WARN`: a longer word is the log's own level.
        if self.custom && s.get(label.len()).is_some_and(u8::is_ascii_alphabetic) {
            if let Some(custom) = custom_level(s, lead, pad) {
                return Some(custom);
            }
        }
        padded(s, lead, pad, label.len(), *width).map(|n| (*canonical, n))
    }
}

/// A level of the layout's own (Log4j 2 allows any name: `NOTICE`, `WARNING`, `notice`):
/// one word of letters in a single case, so that ordinary words of a message line
/// (`Caused`, `at`) are not taken for one. Out of line: rare, and the level parser is on
/// the hot path.
#[cold]
#[inline(never)]
fn custom_level(s: &[u8], lead: usize, pad: Pad) -> Option<(&[u8], usize)> {
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
        Some(l) => l.as_bytes(),
        None => text,
    };
    padded(s, lead, pad, word, word).map(|n| (level, n))
}

/// Shortest and longest custom level name read.
pub(super) const MIN_CUSTOM_LEVEL: usize = 3;
pub(super) const MAX_CUSTOM_LEVEL: usize = 16;

pub(super) fn parse_relative(input: &[u8], pad: Pad) -> Option<(u64, usize)> {
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
