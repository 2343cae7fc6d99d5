//! Inputs: files, folders, globs, stdin, gzip files and zip members, opened as byte streams
//! and sniffed for their kind from content, never from their names.

use crate::error::SourceError;
use std::collections::HashSet;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// How many bytes of an input are read to decide its kind.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// What an input holds, decided from its first lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogKind {
    /// `Matrix42_rest_rest_api_usage.log`: usage counters and statistics resets.
    Usage,
    /// `integration.log`: one Log4j entry per REST operation.
    Integration,
    /// Neither: reported and skipped.
    Unknown,
}

/// One readable stream the user pointed at, directly or through a folder, glob or archive.
#[derive(Debug, Clone)]
pub struct Input {
    /// The name shown in messages: the path as found, `archive.zip!member` for zip members, `-` for stdin.
    pub name: String,
    origin: Origin,
}

#[derive(Debug, Clone)]
enum Origin {
    Plain(PathBuf),
    Gzip(PathBuf),
    ZipMember {
        archive: PathBuf,
        index: usize,
        gzip: bool,
    },
    Stdin,
}

impl Input {
    /// The file on disk behind this input, when it is a plain file that can be read at any offset.
    pub fn plain_path(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Plain(p) => Some(p),
            _ => None,
        }
    }

    /// The file on disk this input comes from (the archive for zip members), if any.
    pub fn disk_path(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Plain(p) | Origin::Gzip(p) => Some(p),
            Origin::ZipMember { archive, .. } => Some(archive),
            Origin::Stdin => None,
        }
    }

    /// Whether the stream is compressed (gzip or zip member).
    pub fn is_compressed(&self) -> bool {
        !matches!(self.origin, Origin::Plain(_) | Origin::Stdin)
    }

    /// Opens the decompressed byte stream. Decompression errors surface as `io::Error`s
    /// while reading; [`classify_read_error`] turns them into a [`SourceError`].
    pub fn open(&self) -> Result<Box<dyn Read + Send>, SourceError> {
        let unreadable = |source| SourceError::Unreadable {
            path: self.name.clone(),
            source,
        };
        Ok(match &self.origin {
            Origin::Plain(p) => Box::new(File::open(p).map_err(unreadable)?),
            Origin::Gzip(p) => {
                let file = File::open(p).map_err(unreadable)?;
                Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                    256 * 1024,
                    file,
                )))
            }
            Origin::ZipMember {
                archive,
                index,
                gzip,
            } => {
                let member = ZipMemberReader::spawn(archive.clone(), *index, self.name.clone());
                if *gzip {
                    Box::new(flate2::read::MultiGzDecoder::new(member))
                } else {
                    Box::new(member)
                }
            }
            Origin::Stdin => Box::new(io::stdin()),
        })
    }

    /// Turns an error met while reading this input into the error to report.
    pub fn classify_read_error(&self, source: io::Error) -> SourceError {
        let path = self.name.clone();
        match (&self.origin, source.kind()) {
            (Origin::Gzip(_), _)
            | (Origin::ZipMember { gzip: true, .. }, io::ErrorKind::InvalidInput)
            | (_, io::ErrorKind::UnexpectedEof) => SourceError::CorruptGzip { path, source },
            (Origin::ZipMember { .. }, _) => SourceError::CorruptZip {
                path,
                reason: source.to_string(),
            },
            _ => SourceError::Unreadable { path, source },
        }
    }
}

/// Reads a zip member on a thread of its own, so that the caller gets an owned, streaming
/// reader (the zip crate's member reader borrows its archive).
struct ZipMemberReader {
    chunks: mpsc::Receiver<io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
    done: bool,
}

impl ZipMemberReader {
    fn spawn(archive: PathBuf, index: usize, name: String) -> ZipMemberReader {
        // A few chunks in flight keep memory bounded while the reader thread stays busy.
        let (tx, rx) = mpsc::sync_channel(4);
        std::thread::spawn(move || {
            let result = (|| -> io::Result<()> {
                let file = File::open(&archive)?;
                let mut zip =
                    zip::ZipArchive::new(BufReader::new(file)).map_err(io::Error::other)?;
                let mut member = zip.by_index(index).map_err(io::Error::other)?;
                loop {
                    let mut buf = vec![0u8; 256 * 1024];
                    let n = member.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    buf.truncate(n);
                    if tx.send(Ok(buf)).is_err() {
                        return Ok(());
                    }
                }
            })();
            if let Err(e) = result {
                let _ = tx.send(Err(io::Error::new(e.kind(), format!("{name}: {e}"))));
            }
        });
        ZipMemberReader {
            chunks: rx,
            current: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

impl Read for ZipMemberReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.current.len() {
            if self.done {
                return Ok(0);
            }
            match self.chunks.recv() {
                Ok(Ok(chunk)) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Ok(Err(e)) => {
                    self.done = true;
                    return Err(e);
                }
                Err(_) => self.done = true,
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The inputs found behind the user's paths, and the paths that could not be used.
#[derive(Debug, Default)]
pub struct Discovery {
    pub inputs: Vec<Input>,
    pub errors: Vec<SourceError>,
}

/// Expands the user's paths: `-` is stdin, folders are walked recursively (in name order),
/// globs are expanded, `.gz` files are decompressed and `.zip` archives opened member by member.
/// The same file reached twice is read once.
pub fn discover(paths: &[String]) -> Discovery {
    let mut walk = Walk::default();
    for arg in paths {
        if arg == "-" {
            if walk.seen.insert(Key::Stdin) {
                walk.found.inputs.push(Input {
                    name: "-".into(),
                    origin: Origin::Stdin,
                });
            }
            continue;
        }
        let path = Path::new(arg);
        if path.exists() || path.is_symlink() {
            walk.visit(path, &mut Vec::new());
        } else if arg.contains(['*', '?', '[']) {
            walk.glob(arg);
        } else {
            walk.found
                .errors
                .push(SourceError::NotFound { path: arg.clone() });
        }
    }
    walk.found
}

#[derive(Hash, PartialEq, Eq)]
enum Key {
    Stdin,
    File(PathBuf),
    Member(PathBuf, usize),
}

#[derive(Default)]
struct Walk {
    found: Discovery,
    seen: HashSet<Key>,
}

impl Walk {
    fn glob(&mut self, pattern: &str) {
        let matches = match glob::glob(pattern) {
            Ok(paths) => paths,
            Err(e) => {
                self.found.errors.push(SourceError::Unreadable {
                    path: pattern.into(),
                    source: io::Error::new(io::ErrorKind::InvalidInput, e.msg),
                });
                return;
            }
        };
        let mut any = false;
        for entry in matches {
            any = true;
            match entry {
                Ok(path) => self.visit(&path, &mut Vec::new()),
                Err(e) => self.found.errors.push(SourceError::Unreadable {
                    path: e.path().display().to_string(),
                    source: e.into(),
                }),
            }
        }
        if !any {
            self.found.errors.push(SourceError::GlobNoMatch {
                path: pattern.into(),
            });
        }
    }

    /// `ancestors` holds the canonical folders on the way down, to stop at link loops.
    fn visit(&mut self, path: &Path, ancestors: &mut Vec<PathBuf>) {
        let name = path.display().to_string();
        let canonical = match path.canonicalize() {
            Ok(c) => c,
            Err(source) => {
                self.found
                    .errors
                    .push(SourceError::Unreadable { path: name, source });
                return;
            }
        };
        if canonical.is_dir() {
            if ancestors.contains(&canonical) {
                self.found.errors.push(SourceError::LinkLoop {
                    path: name,
                    target: canonical,
                });
                return;
            }
            let entries = match std::fs::read_dir(path) {
                Ok(rd) => rd,
                Err(source) => {
                    self.found
                        .errors
                        .push(SourceError::Unreadable { path: name, source });
                    return;
                }
            };
            let mut children: Vec<PathBuf> =
                entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            children.sort_by(|a, b| rotation_order(a, b));
            ancestors.push(canonical);
            for child in children {
                if is_hidden(&child) {
                    continue;
                }
                self.visit(&child, ancestors);
            }
            ancestors.pop();
            return;
        }
        if !self.seen.insert(Key::File(canonical.clone())) {
            return;
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".zip") {
            self.zip(path, &canonical, name);
        } else if lower.ends_with(".gz") {
            self.found.inputs.push(Input {
                name,
                origin: Origin::Gzip(path.to_path_buf()),
            });
        } else {
            self.found.inputs.push(Input {
                name,
                origin: Origin::Plain(path.to_path_buf()),
            });
        }
    }

    fn zip(&mut self, path: &Path, canonical: &Path, name: String) {
        let opened = File::open(path)
            .map_err(|source| SourceError::Unreadable {
                path: name.clone(),
                source,
            })
            .and_then(|f| {
                zip::ZipArchive::new(BufReader::new(f)).map_err(|e| SourceError::CorruptZip {
                    path: name.clone(),
                    reason: e.to_string(),
                })
            });
        let mut archive = match opened {
            Ok(a) => a,
            Err(e) => {
                self.found.errors.push(e);
                return;
            }
        };
        let mut members = Vec::new();
        for index in 0..archive.len() {
            match archive.by_index_raw(index) {
                Ok(member) if member.is_file() => {
                    let member_name = member.name().map(|n| n.into_owned()).unwrap_or_default();
                    members.push((member_name, index));
                }
                Ok(_) => {}
                Err(e) => self.found.errors.push(SourceError::CorruptZip {
                    path: name.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        members.sort_by(|a, b| rotation_order(Path::new(&a.0), Path::new(&b.0)));
        for (member_name, index) in members {
            if !self
                .seen
                .insert(Key::Member(canonical.to_path_buf(), index))
            {
                continue;
            }
            let gzip = member_name.to_ascii_lowercase().ends_with(".gz");
            self.found.inputs.push(Input {
                name: format!("{name}!{member_name}"),
                origin: Origin::ZipMember {
                    archive: path.to_path_buf(),
                    index,
                    gzip,
                },
            });
        }
    }
}

fn is_hidden(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.'))
}

/// Orders names so that rotated copies come oldest first: `x.log.2.gz`, `x.log.1`, `x.log`,
/// and dated copies by date. Order only makes messages and reports read naturally: figures
/// never depend on it, since lines are ordered by time.
pub fn rotation_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    rotation_key(a).cmp(&rotation_key(b))
}

fn rotation_key(path: &Path) -> (String, i64, String) {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let stem = name.strip_suffix(".gz").unwrap_or(name);
    let parent = path
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    // `x.log.3` → base `x.log`, generation 3 (older first: higher numbers sort earlier).
    if let Some((base, suffix)) = stem.rsplit_once('.') {
        if !suffix.is_empty() && suffix.len() <= 4 && suffix.bytes().all(|b| b.is_ascii_digit()) {
            let generation: i64 = suffix.parse().unwrap_or(0);
            return (format!("{parent}/{base}"), -generation, String::new());
        }
        if is_date_suffix(suffix) {
            return (format!("{parent}/{base}"), -1_000_000, suffix.to_string());
        }
    }
    (format!("{parent}/{stem}"), 0, String::new())
}

fn is_date_suffix(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Reads up to `limit` bytes from the start of a stream, for sniffing; the caller chains them
/// back in front of the rest (stdin cannot be rewound).
pub fn read_head(reader: &mut dyn Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(limit.min(SNIFF_BYTES));
    reader.take(limit as u64).read_to_end(&mut head)?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_sort_oldest_first() {
        let mut names = vec![
            "logs/x.log",
            "logs/x.log.1",
            "logs/x.log.2.gz",
            "logs/x.log.2023-04-11",
            "logs/x.log.2023-04-10.gz",
            "logs/a.log",
        ];
        names.sort_by(|a, b| rotation_order(Path::new(a), Path::new(b)));
        assert_eq!(
            names,
            vec![
                "logs/a.log",
                "logs/x.log.2023-04-10.gz",
                "logs/x.log.2023-04-11",
                "logs/x.log.2.gz",
                "logs/x.log.1",
                "logs/x.log",
            ]
        );
    }

    #[test]
    fn missing_path_is_an_error_and_others_still_found() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.log");
        std::fs::write(&file, "x\n").unwrap();
        let found = discover(&[
            "/nonexistent/esmlog".into(),
            file.display().to_string(),
            file.display().to_string(),
        ]);
        assert_eq!(found.inputs.len(), 1, "same file twice is read once");
        assert_eq!(found.errors.len(), 1);
        assert!(found.errors[0].to_string().contains("/nonexistent/esmlog"));
    }
}
