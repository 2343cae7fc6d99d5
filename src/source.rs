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
    /// A file whose first bytes are gzip's, whatever its name.
    Gzip(PathBuf),
    /// A file that is read as a stream and decoded by its content: UTF-16 with a
    /// byte-order mark, or a FIFO named on the command line (read once, like stdin).
    Stream {
        path: PathBuf,
        reopenable: bool,
    },
    ZipMember {
        archive: PathBuf,
        index: usize,
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

    /// The file on disk this input comes from (the archive for zip members), if any, when
    /// it can be opened again from its start (a FIFO cannot).
    pub fn disk_path(&self) -> Option<&Path> {
        match &self.origin {
            Origin::Plain(p) | Origin::Gzip(p) => Some(p),
            Origin::Stream {
                path,
                reopenable: true,
            } => Some(path),
            Origin::ZipMember { archive, .. } => Some(archive),
            Origin::Stream { .. } | Origin::Stdin => None,
        }
    }

    /// Whether the stream is compressed (gzip or zip member).
    pub fn is_compressed(&self) -> bool {
        !matches!(
            self.origin,
            Origin::Plain(_) | Origin::Stdin | Origin::Stream { .. }
        )
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
                decoded(
                    Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(
                        256 * 1024,
                        file,
                    ))),
                    false,
                )
            }
            Origin::Stream { path, .. } => {
                let file = File::open(path).map_err(unreadable)?;
                widen_pipe(&file);
                decoded(Box::new(file), true)
            }
            Origin::ZipMember { archive, index, .. } => decoded(
                Box::new(ZipMemberReader::spawn(
                    archive.clone(),
                    *index,
                    self.name.clone(),
                )),
                true,
            ),
            Origin::Stdin => {
                widen_pipe(&io::stdin());
                decoded(Box::new(io::stdin()), true)
            }
        })
    }

    /// Turns an error met while reading this input into the error to report.
    pub fn classify_read_error(&self, source: io::Error) -> SourceError {
        let path = self.name.clone();
        match (&self.origin, source.kind()) {
            (Origin::Gzip(_), _)
            | (
                Origin::ZipMember { .. } | Origin::Stdin | Origin::Stream { .. },
                io::ErrorKind::InvalidInput,
            )
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
    /// Things passed over that the user should hear of (non-regular files in folders).
    pub warnings: Vec<String>,
}

/// What a file holds, from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Content {
    Gzip,
    Zip,
    Utf16,
    Plain,
}

const GZIP_MAGIC: &[u8] = b"\x1f\x8b";
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const UTF16LE_BOM: &[u8] = b"\xff\xfe";
const UTF16BE_BOM: &[u8] = b"\xfe\xff";

fn content_of(head: &[u8]) -> Content {
    if head.starts_with(GZIP_MAGIC) {
        Content::Gzip
    } else if head.starts_with(ZIP_MAGIC) {
        Content::Zip
    } else if head.starts_with(UTF16LE_BOM) || head.starts_with(UTF16BE_BOM) {
        Content::Utf16
    } else {
        Content::Plain
    }
}

/// A file's kind from its first bytes; a file that cannot be read yet is taken as plain
/// (opening it later reports why).
fn content_kind(path: &Path) -> Content {
    let mut head = [0u8; 4];
    let read = File::open(path).and_then(|mut f| {
        let mut n = 0;
        while n < head.len() {
            match f.read(&mut head[n..])? {
                0 => break,
                m => n += m,
            }
        }
        Ok(n)
    });
    read.map_or(Content::Plain, |n| content_of(&head[..n]))
}

/// Wraps a stream in the decoders its first bytes call for: gzip (then, once, the content
/// within it), and UTF-16 with a byte-order mark, decoded to UTF-8.
fn decoded(reader: Box<dyn Read + Send>, look_inside: bool) -> Box<dyn Read + Send> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let head = match io::BufRead::fill_buf(&mut reader) {
        Ok(head) => content_of(head),
        // The error comes again on the first read, and is reported then.
        Err(_) => Content::Plain,
    };
    match head {
        Content::Gzip if look_inside => {
            decoded(Box::new(flate2::read::MultiGzDecoder::new(reader)), false)
        }
        Content::Utf16 => Box::new(Utf16Reader::new(reader)),
        _ => Box::new(reader),
    }
}

/// Decodes UTF-16 (either byte order, from its byte-order mark) into UTF-8 as it reads, the
/// way Windows PowerShell writes text files. Unpaired surrogates become U+FFFD.
struct Utf16Reader<R> {
    inner: R,
    big_endian: Option<bool>,
    /// Undecoded bytes (an odd byte, or a high surrogate waiting for its pair).
    pending: Vec<u8>,
    out: Vec<u8>,
    pos: usize,
}

impl<R: Read> Utf16Reader<R> {
    fn new(inner: R) -> Self {
        Utf16Reader {
            inner,
            big_endian: None,
            pending: Vec::new(),
            out: Vec::new(),
            pos: 0,
        }
    }

    /// Decodes what is pending; at the end of input, whatever is left too.
    fn decode(&mut self, end: bool) {
        let mut start = 0;
        if self.big_endian.is_none() && self.pending.len() >= 2 {
            self.big_endian = Some(self.pending.starts_with(UTF16BE_BOM));
            start = 2;
        }
        let big = self.big_endian.unwrap_or(false);
        let units: Vec<u16> = self.pending[start..]
            .chunks_exact(2)
            .map(|c| {
                if big {
                    u16::from_be_bytes([c[0], c[1]])
                } else {
                    u16::from_le_bytes([c[0], c[1]])
                }
            })
            .collect();
        // Hold back a final high surrogate, whose pair may come with the next read.
        let keep = usize::from(!end && units.last().is_some_and(|u| (0xD800..0xDC00).contains(u)));
        let ready = &units[..units.len() - keep];
        for c in char::decode_utf16(ready.iter().copied()) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            let mut buf = [0u8; 4];
            self.out
                .extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        let consumed = start + ready.len() * 2;
        self.pending.drain(..consumed);
        if end && !self.pending.is_empty() {
            self.out.extend_from_slice("\u{FFFD}".as_bytes());
            self.pending.clear();
        }
    }
}

impl<R: Read> Read for Utf16Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
            let mut chunk = [0u8; 64 * 1024];
            let n = self.inner.read(&mut chunk)?;
            self.pending.extend_from_slice(&chunk[..n]);
            self.decode(n == 0);
            if n == 0 && self.out.is_empty() {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Asks for a 1 MiB buffer on a pipe esmlog reads (Linux's default is 64 KiB): a writer as
/// fast as `cat` otherwise wakes the reader for every 64 KiB, and the switches took a
/// seventh of the time of `cat log | esmlog calls -`. Anything but a pipe, or a refusal
/// (a limit below 1 MiB in /proc/sys/fs/pipe-max-size), leaves the input as it is.
fn widen_pipe(input: &impl std::os::fd::AsRawFd) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: fcntl on a descriptor the caller owns; F_SETPIPE_SZ fails harmlessly
        // (EBADF) on anything but a pipe.
        unsafe {
            libc::fcntl(input.as_raw_fd(), libc::F_SETPIPE_SZ, 1 << 20);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = input;
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
        let regular = std::fs::metadata(&canonical).is_ok_and(|m| m.is_file());
        if !regular {
            // A FIFO, socket or device found in a folder would block the run or never end;
            // one named on the command line is the user's stream (`<(zcat …)`), read once.
            if ancestors.is_empty() {
                self.found.inputs.push(Input {
                    name,
                    origin: Origin::Stream {
                        path: path.to_path_buf(),
                        reopenable: false,
                    },
                });
            } else {
                self.found.warnings.push(format!(
                    "{name}: not a regular file (a FIFO, socket or device); skipped. Name it on the command line to read it as a stream."
                ));
            }
            return;
        }
        let origin = match content_kind(path) {
            Content::Zip => return self.zip(path, &canonical, name),
            Content::Gzip => Origin::Gzip(path.to_path_buf()),
            Content::Utf16 => Origin::Stream {
                path: path.to_path_buf(),
                reopenable: true,
            },
            Content::Plain => Origin::Plain(path.to_path_buf()),
        };
        self.found.inputs.push(Input { name, origin });
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
            // Members are recognised by content, gzip or not, when they are opened.
            self.found.inputs.push(Input {
                name: format!("{name}!{member_name}"),
                origin: Origin::ZipMember {
                    archive: path.to_path_buf(),
                    index,
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

    #[cfg(target_os = "linux")]
    #[test]
    fn a_pipe_read_from_is_widened() {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        let mut fds = [0; 2];
        // SAFETY: pipe() fills both descriptors, which the OwnedFds then own and close.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let (read, _write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let size = || unsafe { libc::fcntl(read.as_raw_fd(), libc::F_GETPIPE_SZ) };
        assert_eq!(size(), 64 << 10, "Linux's default");
        widen_pipe(&read);
        let max: i32 = std::fs::read_to_string("/proc/sys/fs/pipe-max-size")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if max >= 1 << 20 {
            assert_eq!(size(), 1 << 20);
        } else {
            assert_eq!(size(), 64 << 10, "left as it is when the limit is lower");
        }
    }

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

    fn read_all(input: &Input) -> Vec<u8> {
        let mut out = Vec::new();
        input.open().unwrap().read_to_end(&mut out).unwrap();
        out
    }

    #[test]
    fn content_decides_compression_and_encoding_not_the_name() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let text = "2023-04-17 00:00:00,145|Statistics reset\nä €😀\n";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(text.as_bytes()).unwrap();
        std::fs::write(dir.path().join("plain-name.log"), gz.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("not-really.gz"), text).unwrap();
        let mut le = b"\xff\xfe".to_vec();
        let mut be = b"\xfe\xff".to_vec();
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        std::fs::write(dir.path().join("ps-le.log"), &le).unwrap();
        std::fs::write(dir.path().join("ps-be.log"), &be).unwrap();
        let found = discover(&[dir.path().display().to_string()]);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        assert_eq!(found.inputs.len(), 4);
        for input in &found.inputs {
            assert_eq!(
                String::from_utf8(read_all(input)).unwrap(),
                text,
                "{}",
                input.name
            );
        }
        // One byte at a time, a surrogate pair split across reads still decodes.
        let mut reader = Utf16Reader::new(io::Cursor::new(le));
        let mut out = Vec::new();
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).unwrap() == 1 {
            out.push(byte[0]);
        }
        assert_eq!(String::from_utf8(out).unwrap(), text);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_in_a_folder_is_skipped_with_a_warning() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.log"), "x\n").unwrap();
        let fifo = dir.path().join("pipe.log");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let found = discover(&[dir.path().display().to_string()]);
        assert_eq!(found.inputs.len(), 1);
        assert_eq!(found.warnings.len(), 1);
        assert!(
            found.warnings[0].contains("pipe.log"),
            "{:?}",
            found.warnings
        );
        // Named on its own, it is the user's stream.
        let named = discover(&[fifo.display().to_string()]);
        assert_eq!(named.inputs.len(), 1);
        assert!(named.inputs[0].disk_path().is_none());
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
