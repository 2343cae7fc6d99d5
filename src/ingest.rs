//! Sources to records: finds the inputs, sniffs each one's kind from its content, and parses
//! the usage logs (in parallel; they are small). integration.log inputs are handed on to be
//! streamed.

use crate::error::SourceError;
use crate::integration::layout::{
    infer, Dialect, LayoutError, LayoutParser, NoLayoutFound, AUTO_LAYOUT, DEFAULT_LAYOUT,
};
use crate::lines::{excerpt, LineSplitter};
use crate::redact::redact;
use crate::source::{discover, Input, LogKind, SNIFF_BYTES};
use crate::usage::load::{looks_like_usage, parse_usage_bytes, parse_usage_reader, UsageFile};
use rayon::prelude::*;
use std::io::Read;
use std::sync::Arc;

/// An integration.log input, sniffed; stdin keeps its open stream since it cannot be reopened.
pub struct IntegrationInput {
    pub input: Input,
    /// The first bytes, already read for sniffing.
    pub head: Vec<u8>,
    pub stream: Option<Box<dyn Read + Send>>,
}

impl IntegrationInput {
    /// The same input, to be read again from its start; none for a stream (stdin, a FIFO)
    /// that cannot be.
    pub fn again(&self) -> Option<IntegrationInput> {
        self.input.disk_path().map(|_| IntegrationInput {
            input: self.input.clone(),
            head: self.head.clone(),
            stream: None,
        })
    }
}

/// An input that is neither kind of log.
#[derive(Debug, Clone, PartialEq)]
pub struct Skipped {
    pub name: String,
    /// Its first non-blank line, redacted and cut short.
    pub first_line: String,
}

/// The layout `--layout` asks for: a pattern, or `auto`.
#[derive(Debug, Clone)]
pub enum LayoutChoice {
    /// ESM's default layout when it reads the inputs, else one inferred from them.
    Auto,
    /// The layout given.
    Given(Arc<LayoutParser>),
}

impl LayoutChoice {
    /// `--layout`'s value (`auto`, a pattern or `json`), read in `--layout-dialect`.
    pub fn from_flag(value: &str, dialect: Dialect) -> Result<LayoutChoice, LayoutError> {
        if value.trim().eq_ignore_ascii_case(AUTO_LAYOUT) {
            Ok(LayoutChoice::Auto)
        } else {
            LayoutParser::compile_in(value, dialect).map(|p| LayoutChoice::Given(Arc::new(p)))
        }
    }
}

/// How the layout of the integration.log inputs was settled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayoutFinding {
    /// Given with `--layout`.
    Given,
    /// `auto`, and ESM's default layout reads the inputs.
    Default,
    /// `auto`: inferred from the first lines of `from`.
    Inferred {
        from: String,
        explained: usize,
        sampled: usize,
    },
    /// `auto`, and no layout could be found for `from`.
    NotFound { from: String, why: NoLayoutFound },
}

impl LayoutFinding {
    /// For `check`: the layout the integration.log inputs were read with and how it was
    /// found, or why none was.
    pub fn describe(&self, layout: &LayoutParser) -> String {
        let pattern = layout.pattern();
        match self {
            LayoutFinding::Given => format!("integration.log layout: `{pattern}` (--layout)."),
            LayoutFinding::Default => {
                format!("integration.log layout: ESM's default, `{pattern}`.")
            }
            LayoutFinding::Inferred {
                from,
                explained,
                sampled,
                ..
            } => format!(
                "integration.log layout: `{pattern}`, inferred from the first lines of {from} \
                 ({explained} of {sampled} explained). Pin it with --layout '{pattern}'."
            ),
            LayoutFinding::NotFound { from, why } => format!(
                "{from}: {why}. Give the pattern it was written with as --layout '…' (the file \
                 appender's pattern in the server's log4j2.xml or logback.xml), or --layout json \
                 for JSON lines."
            ),
        }
    }
}

/// Everything found behind the user's paths.
pub struct Ingest {
    pub usage: Vec<UsageFile>,
    pub integration: Vec<IntegrationInput>,
    pub skipped: Vec<Skipped>,
    pub errors: Vec<SourceError>,
    /// Inputs passed over that the user should hear of.
    pub warnings: Vec<String>,
    /// The layout the integration.log inputs are read with, and how it was settled.
    pub layout: Arc<LayoutParser>,
    pub layout_finding: LayoutFinding,
}

impl Default for Ingest {
    fn default() -> Self {
        Ingest {
            usage: Vec::new(),
            integration: Vec::new(),
            skipped: Vec::new(),
            errors: Vec::new(),
            warnings: Vec::new(),
            layout: Arc::new(LayoutParser::default()),
            layout_finding: LayoutFinding::Default,
        }
    }
}

impl Ingest {
    /// The files on disk behind the usage and integration.log inputs: never to be written over.
    pub fn disk_paths(&self) -> Vec<std::path::PathBuf> {
        self.usage
            .iter()
            .map(|f| std::path::PathBuf::from(&f.name))
            .chain(
                self.integration
                    .iter()
                    .filter_map(|i| i.input.disk_path().map(std::path::PathBuf::from)),
            )
            .collect()
    }
}

enum Sniffed {
    Usage(UsageFile, Option<SourceError>),
    Integration(IntegrationInput),
    /// Neither kind in the layout sniffed with; kept to be sniffed again with an inferred one.
    Unknown(Skipped, IntegrationInput),
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
    // A read error in the first bytes (a small .gz cut short) still leaves what was read
    // before it: that is sniffed and counted, and the error reported beside it.
    let mut head = Vec::with_capacity(SNIFF_BYTES);
    let head_error = (&mut stream)
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut head)
        .err();
    if let Some(e) = head_error {
        let error = input.classify_read_error(e);
        return match sniff_kind(&head, layout) {
            LogKind::Usage => Sniffed::Usage(parse_usage_bytes(&input.name, &head), Some(error)),
            // Scanning reads it again from its start, up to the same error, and reports it.
            LogKind::Integration if input.disk_path().is_some() => {
                Sniffed::Integration(IntegrationInput {
                    input,
                    head,
                    stream: None,
                })
            }
            _ => Sniffed::Failed(error),
        };
    }
    match sniff_kind(&head, layout) {
        LogKind::Usage => {
            // Streamed line by line: a usage log is small, but a hostile one (a line of
            // gigabytes) must not be held whole.
            let reader = std::io::BufReader::new(std::io::Cursor::new(head).chain(stream));
            let (file, result) = parse_usage_reader(&input.name, reader);
            Sniffed::Usage(file, result.err().map(|e| input.classify_read_error(e)))
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
            let first_line = first_line_of(&head);
            let keep = input.disk_path().is_none();
            Sniffed::Unknown(
                Skipped {
                    name: input.name.clone(),
                    first_line,
                },
                IntegrationInput {
                    input,
                    head,
                    stream: if keep { Some(stream) } else { None },
                },
            )
        }
    }
}

/// The first non-blank line of a head, redacted and cut short, to show the user.
fn first_line_of(head: &[u8]) -> String {
    LineSplitter::new(head)
        .find(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace()))
        .map(|(_, l)| redact(&excerpt(l, 120)).into_owned())
        .unwrap_or_default()
}

/// Finds, sniffs and (for usage logs) parses every input behind `paths`.
pub fn ingest(paths: &[String], layout: &LayoutParser) -> Ingest {
    ingest_with(paths, &LayoutChoice::Given(Arc::new(layout.clone())))
}

/// [`ingest`] with `--layout`'s choice. With `auto`, ESM's default layout is tried first;
/// when it reads none of the inputs, the layout is inferred from the first input of
/// neither kind and every such input is sniffed again with it. One layout serves a run:
/// inputs it does not read are skipped, with the advice to give `--layout`.
pub fn ingest_with(paths: &[String], choice: &LayoutChoice) -> Ingest {
    let discovery = discover(paths);
    let (layout, finding) = match choice {
        LayoutChoice::Given(layout) => (layout.clone(), LayoutFinding::Given),
        LayoutChoice::Auto => (Arc::new(LayoutParser::default()), LayoutFinding::Default),
    };
    let mut out = Ingest {
        errors: discovery.errors,
        warnings: discovery.warnings,
        layout_finding: finding,
        layout,
        ..Ingest::default()
    };
    let sniffed: Vec<Sniffed> = discovery
        .inputs
        .into_par_iter()
        .map(|input| sniff(input, &out.layout))
        .collect();
    let mut unknown = Vec::new();
    for s in sniffed {
        match s {
            Sniffed::Usage(file, error) => {
                out.usage.push(file);
                out.errors.extend(error);
            }
            Sniffed::Integration(i) => out.integration.push(i),
            Sniffed::Unknown(skipped, input) => unknown.push((skipped, input)),
            Sniffed::Failed(e) => out.errors.push(e),
        }
    }
    // `auto`: the layout that best explains the first input that is not a usage log (ESM's
    // default on a tie), then every such input sniffed again with it.
    let first = out
        .integration
        .first()
        .map(|i| (i.input.name.clone(), &i.head))
        .or_else(|| unknown.first().map(|(s, i)| (s.name.clone(), &i.head)));
    if let (LayoutChoice::Auto, Some((from, head))) = (choice, first) {
        match infer(head) {
            Ok(found) if found.parser.pattern() == DEFAULT_LAYOUT => {}
            Ok(found) => {
                out.layout_finding = LayoutFinding::Inferred {
                    from,
                    explained: found.explained,
                    sampled: found.sampled,
                };
                out.layout = Arc::new(found.parser);
                let sniffed: Vec<IntegrationInput> = out
                    .integration
                    .drain(..)
                    .chain(unknown.drain(..).map(|(_, i)| i))
                    .collect();
                for input in sniffed {
                    if sniff_kind(&input.head, &out.layout) == LogKind::Integration {
                        out.integration.push(input);
                    } else {
                        let skipped = Skipped {
                            name: input.input.name.clone(),
                            first_line: first_line_of(&input.head),
                        };
                        unknown.push((skipped, input));
                    }
                }
            }
            Err(why) if out.integration.is_empty() => {
                out.layout_finding = LayoutFinding::NotFound {
                    from,
                    why: NoLayoutFound {
                        first_line: redact(&why.first_line).into_owned(),
                        ..why
                    },
                };
            }
            Err(_) => {}
        }
    }
    out.skipped.extend(unknown.into_iter().map(|(s, _)| s));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const USAGE: &str = "2023-04-17 00:00:00,144|Usage,consumed,15779,rejected,0,since,2023-04-11T11:51:27+0300\n2023-04-17 00:00:00,145|Statistics reset\n";
    const INTEGRATION: &str = "2023-04-11 20:34:00,635 INFO  [main] com.efecte.X - user=A method=GET path=/x status=200\n";

    fn gzip(text: &str) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn zip_members_are_sniffed_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bundle.zip");
        let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
        let options = zip::write::SimpleFileOptions::default();
        zip.start_file("logs/a-name-that-says-nothing.txt", options)
            .unwrap();
        zip.write_all(USAGE.as_bytes()).unwrap();
        zip.start_file("logs/integration.log.1.gz", options)
            .unwrap();
        zip.write_all(&gzip(INTEGRATION)).unwrap();
        zip.add_directory("empty/", options).unwrap();
        zip.finish().unwrap();

        let found = ingest(&[path.display().to_string()], &LayoutParser::default());
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(found.usage.len(), 1);
        assert_eq!(found.usage[0].records.len(), 2);
        assert!(found.usage[0]
            .name
            .ends_with("bundle.zip!logs/a-name-that-says-nothing.txt"));
        assert_eq!(found.integration.len(), 1);
    }

    #[test]
    fn truncated_gzip_is_an_error_and_the_lines_before_still_count() {
        let dir = tempfile::tempdir().unwrap();
        let whole = gzip(&USAGE.repeat(2000));
        let path = dir.path().join("u.log.gz");
        std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
        let found = ingest(&[path.display().to_string()], &LayoutParser::default());
        assert_eq!(found.errors.len(), 1);
        assert!(
            matches!(found.errors[0], SourceError::CorruptGzip { .. }),
            "{}",
            found.errors[0]
        );
        assert!(found.usage[0].tally.parsed > 100);
    }

    #[test]
    fn corrupt_zip_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.zip");
        std::fs::write(&path, b"PK\x03\x04 not really").unwrap();
        let found = ingest(&[path.display().to_string()], &LayoutParser::default());
        assert!(matches!(found.errors[0], SourceError::CorruptZip { .. }));
    }

    #[cfg(unix)]
    #[test]
    fn folder_link_loops_are_reported_not_followed_forever() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("logs");
        std::fs::create_dir(&logs).unwrap();
        std::fs::write(logs.join("u.log"), USAGE).unwrap();
        std::os::unix::fs::symlink(&logs, logs.join("again")).unwrap();
        let found = ingest(&[logs.display().to_string()], &LayoutParser::default());
        assert_eq!(found.usage.len(), 1);
        assert!(found
            .errors
            .iter()
            .any(|e| matches!(e, SourceError::LinkLoop { .. })));
    }
}
