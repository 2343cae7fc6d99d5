//! Sources to records: finds the inputs, sniffs each one's kind from its content, and parses
//! the usage logs (in parallel; they are small). integration.log inputs are handed on to be
//! streamed.

use crate::error::SourceError;
use crate::integration::layout::LayoutParser;
use crate::lines::{excerpt, LineSplitter};
use crate::redact::redact;
use crate::source::{discover, read_head, Input, LogKind, SNIFF_BYTES};
use crate::usage::load::{looks_like_usage, parse_usage_bytes, UsageFile};
use rayon::prelude::*;
use std::io::Read;

/// An integration.log input, sniffed; stdin keeps its open stream since it cannot be reopened.
pub struct IntegrationInput {
    pub input: Input,
    /// The first bytes, already read for sniffing.
    pub head: Vec<u8>,
    pub stream: Option<Box<dyn Read + Send>>,
}

/// An input that is neither kind of log.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub name: String,
    /// Its first non-blank line, redacted and cut short.
    pub first_line: String,
}

/// Everything found behind the user's paths.
#[derive(Default)]
pub struct Ingest {
    pub usage: Vec<UsageFile>,
    pub integration: Vec<IntegrationInput>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<SourceError>,
}

enum Sniffed {
    Usage(UsageFile, Option<SourceError>),
    Integration(IntegrationInput),
    Unknown(Skipped),
    Failed(SourceError),
}

/// The kind of a file from its first bytes.
pub fn sniff_kind(head: &[u8], layout: &LayoutParser) -> LogKind {
    if looks_like_usage(head) {
        return LogKind::Usage;
    }
    let matches_layout = LineSplitter::new(head)
        .filter(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
        .take(50)
        .any(|(_, l)| layout.parse_header(l).is_some());
    if matches_layout {
        LogKind::Integration
    } else {
        LogKind::Unknown
    }
}

fn sniff(input: Input, layout: &LayoutParser) -> Sniffed {
    let mut stream = match input.open() {
        Ok(s) => s,
        Err(e) => return Sniffed::Failed(e),
    };
    let head = match read_head(&mut stream, SNIFF_BYTES) {
        Ok(h) => h,
        Err(e) => return Sniffed::Failed(input.classify_read_error(e)),
    };
    match sniff_kind(&head, layout) {
        LogKind::Usage => {
            let mut all = head;
            let error = stream
                .read_to_end(&mut all)
                .err()
                .map(|e| input.classify_read_error(e));
            Sniffed::Usage(parse_usage_bytes(&input.name, &all), error)
        }
        LogKind::Integration => {
            let keep = input.disk_path().is_none();
            Sniffed::Integration(IntegrationInput {
                input,
                head,
                stream: if keep { Some(stream) } else { None },
            })
        }
        LogKind::Unknown => {
            let first_line = LineSplitter::new(&head)
                .find(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
                .map(|(_, l)| redact(&excerpt(l, 120)).into_owned())
                .unwrap_or_default();
            Sniffed::Unknown(Skipped {
                name: input.name,
                first_line,
            })
        }
    }
}

/// Finds, sniffs and (for usage logs) parses every input behind `paths`.
pub fn ingest(paths: &[String], layout: &LayoutParser) -> Ingest {
    let discovery = discover(paths);
    let mut out = Ingest {
        errors: discovery.errors,
        ..Ingest::default()
    };
    let sniffed: Vec<Sniffed> = discovery
        .inputs
        .into_par_iter()
        .map(|input| sniff(input, layout))
        .collect();
    for s in sniffed {
        match s {
            Sniffed::Usage(file, error) => {
                out.usage.push(file);
                out.errors.extend(error);
            }
            Sniffed::Integration(i) => out.integration.push(i),
            Sniffed::Unknown(skipped) => out.skipped.push(skipped),
            Sniffed::Failed(e) => out.errors.push(e),
        }
    }
    out
}
