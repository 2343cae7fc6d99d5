//! Following one log file as it grows, through what log rotation does to it.
//!
//! A file is known by its identity: device, inode and a fingerprint of its first bytes (an
//! inode number is reused once a file is deleted, its first bytes are not). Each poll
//! compares the path's identity with the open file's:
//!
//! - renamed away (`integration.log` → `integration.log.1`, gzipped later or not) or deleted
//!   and recreated: the open descriptor still reads the old file, so it is read to its end
//!   (its last line whole, even without a line end) before the new file is opened from 0.
//!   The writer may go on writing to the old file until it reopens its log (logrotate's
//!   `create` before the signal to reopen), so while the new file is still empty the old
//!   one is read on, until it has stayed unchanged for [`DRAIN_POLLS`] polls; once the new
//!   file has bytes, the writer has moved to it and the old one is complete;
//! - copied and truncated (smaller than what was read, or other first bytes on the same
//!   inode): what was written after the last read is only in the copy, so the copy beside it
//!   with the same fingerprint (plain or `.gz`) is read from that offset to its end, and the
//!   file is read again from 0;
//! - after a restart, the checkpoint's file is found again by identity: the same file goes
//!   on from the checkpoint's offset; a file rotated while the watch was stopped is found
//!   among the copies beside it (by inode, or by fingerprint once gzipped) and finished.
//!
//! Only complete lines are handed on; a partial last line waits for its line end. What was
//! read and not yet handed on is never in the checkpoint's offset, so a restart reads it
//! again rather than counting it twice.

use super::feed::{FileReading, LineSink};
use serde::{Deserialize, Serialize};
use std::fs::{self, File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Polls without growth after which a file renamed away or deleted is finished although
/// the new file at its path is still empty (the writer has gone quiet, or never reopens).
pub const DRAIN_POLLS: u32 = 3;

/// Bytes at the start of a file its fingerprint covers.
pub const FINGERPRINT_BYTES: usize = 1024;

/// Bytes read at a time; what was read is handed on at least this often, so that memory
/// stays flat while a large file is caught up with.
const READ_BLOCK: usize = 1 << 20;

/// A partial line longer than this is handed on as it is (a line without a line end that
/// large is no log line; it is counted, as an oversized line, rather than held).
const MAX_PARTIAL_LINE: usize = 16 << 20;

/// The longest wait between two tries of a file that cannot be read.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// The hash of a file's first bytes, with how many bytes it covers (fewer than
/// [`FINGERPRINT_BYTES`] while the file is shorter).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    pub len: u32,
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of the first bytes of `bytes` (up to [`FINGERPRINT_BYTES`]).
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let bytes = &bytes[..bytes.len().min(FINGERPRINT_BYTES)];
        // FNV-1a: stable across versions and platforms, as a checkpoint needs.
        let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        Fingerprint {
            len: bytes.len() as u32,
            hash,
        }
    }

    /// Whether `start` (a file's first bytes, at least as many as this covers) begins with
    /// the bytes this fingerprint was taken of.
    pub fn matches_start_of(&self, start: &[u8]) -> bool {
        start.len() >= self.len as usize && Fingerprint::of(&start[..self.len as usize]) == *self
    }
}

/// What tells one file from another across renames, truncations and restarts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub device: u64,
    pub inode: u64,
    pub fingerprint: Fingerprint,
}

/// Where reading of one followed path stood, for the checkpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileCheckpoint {
    /// The path as followed.
    pub path: String,
    pub identity: Identity,
    /// Bytes handed on: every line before it is counted, none after it.
    pub offset: u64,
    /// How the file is being read (its kind, whether an entry is open, lines so far).
    pub reading: FileReading,
}

/// What `/metrics` says about a followed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileStatus {
    /// Open and read at the last poll.
    pub up: bool,
    /// Polls at which the file could not be opened or read.
    pub read_errors: u64,
    /// Rotations seen: renames, truncations, files deleted and created again.
    pub rotations: u64,
    /// Bytes handed on from the file being read now.
    pub offset: u64,
}

/// The device and inode of a file; zeros where the platform has none (identity then rests
/// on the fingerprint).
fn device_inode(meta: &Metadata) -> (u64, u64) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        (meta.dev(), meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        (0, 0)
    }
}

/// Up to `limit` bytes from the start of `reader`.
fn read_start(reader: &mut dyn Read, limit: usize) -> io::Result<Vec<u8>> {
    let mut start = Vec::with_capacity(limit);
    reader.take(limit as u64).read_to_end(&mut start)?;
    Ok(start)
}

/// A copy of a file beside it, opened from its start (decompressed when gzipped).
fn open_copy(path: &Path) -> io::Result<Box<dyn Read>> {
    let file = File::open(path)?;
    if path.extension().is_some_and(|e| e == "gz") {
        Ok(Box::new(flate2::read::MultiGzDecoder::new(file)))
    } else {
        Ok(Box::new(file))
    }
}

/// The copy beside `path` that holds the file `identity` names: the same inode under
/// another name (renamed), or the same first bytes (copied, or gzipped). Rotated copies
/// are named after the file (`integration.log.1`, `integration.log.2023-10-09.gz`); the
/// newest is tried first.
fn find_copy(path: &Path, identity: &Identity) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut copies: Vec<(std::time::SystemTime, PathBuf)> = fs::read_dir(&folder)
        .ok()?
        .flatten()
        .filter(|e| {
            let other = e.file_name().to_string_lossy().into_owned();
            other.len() > name.len() && other.starts_with(&name)
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            meta.is_file()
                .then(|| (meta.modified().unwrap_or(std::time::UNIX_EPOCH), e.path()))
        })
        .collect();
    copies.sort_by_key(|c| std::cmp::Reverse(c.0));
    copies.into_iter().map(|(_, p)| p).find(|copy| {
        let Ok(meta) = fs::metadata(copy) else {
            return false;
        };
        if (identity.device, identity.inode) != (0, 0)
            && device_inode(&meta) == (identity.device, identity.inode)
        {
            return true;
        }
        open_copy(copy)
            .and_then(|mut r| read_start(&mut r, identity.fingerprint.len as usize))
            .is_ok_and(|start| {
                identity.fingerprint.len > 0 && identity.fingerprint.matches_start_of(&start)
            })
    })
}

/// The file being read.
struct OpenFile {
    file: File,
    identity: Identity,
    /// Bytes read from it.
    read: u64,
}

/// One followed path: the file behind it now, what was read of it and not yet handed on,
/// and how reading it goes.
pub struct Follower {
    path: PathBuf,
    /// The path as the user gave it, in messages and labels.
    name: String,
    open: Option<OpenFile>,
    /// Bytes read and not yet handed on: a partial last line, or lines held while the
    /// file's kind is not known yet. They start at `open.read - unread.len()`.
    unread: Vec<u8>,
    reading: FileReading,
    /// The checkpoint's position, until the path is first opened.
    resume: Option<FileCheckpoint>,
    status: FileStatus,
    retry_at: Option<Instant>,
    backoff: Duration,
    /// The last error told to the user, so that a file down for an hour is not reported at
    /// every poll.
    last_error: Option<String>,
    base_backoff: Duration,
    /// Polls in a row in which the open file, renamed away or deleted, did not grow.
    quiet_polls: u32,
}

impl Follower {
    /// Follows `path`, going on from `resume` when the checkpoint has it; an unreadable file
    /// is tried again after `backoff`, doubling up to a minute.
    pub fn new(path: PathBuf, resume: Option<FileCheckpoint>, backoff: Duration) -> Follower {
        Follower {
            name: path.to_string_lossy().into_owned(),
            path,
            open: None,
            unread: Vec::new(),
            reading: FileReading::default(),
            resume,
            status: FileStatus::default(),
            retry_at: None,
            backoff,
            last_error: None,
            base_backoff: backoff,
            quiet_polls: 0,
        }
    }

    /// The path as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How following it goes.
    pub fn status(&self) -> &FileStatus {
        &self.status
    }

    /// Where reading stands: everything before the offset is counted. Before the file was
    /// first opened, the checkpoint it was given (it still holds).
    pub fn checkpoint(&self) -> Option<FileCheckpoint> {
        match &self.open {
            Some(open) => Some(FileCheckpoint {
                path: self.name.clone(),
                identity: open.identity,
                offset: open.read - self.unread.len() as u64,
                reading: self.reading.clone(),
            }),
            None => self.resume.clone(),
        }
    }

    /// Reads what was added since the last poll, through any rotation, and hands the
    /// complete lines to `sink`. A file that cannot be read is reported (once per distinct
    /// error) and tried again later; it never stops the watch.
    pub fn poll(&mut self, sink: &mut dyn LineSink, now: Instant) {
        if self.retry_at.is_some_and(|at| now < at) {
            return;
        }
        match self.poll_now(sink) {
            Ok(()) => {
                self.retry_at = None;
                self.backoff = self.base_backoff;
                self.status.up = self.open.is_some();
                if self.last_error.take().is_some() && self.open.is_some() {
                    crate::messages::warn(&format!("{}: readable again", self.name));
                }
            }
            Err(e) => {
                self.status.up = false;
                self.status.read_errors += 1;
                let text = format!(
                    "{}: cannot be read: {e}; trying again in {:.1} s (see esm_log_file_up in /metrics)",
                    self.name,
                    self.backoff.as_secs_f64()
                );
                if self.last_error.as_deref() != Some(&e.to_string()) {
                    crate::messages::warn(&text);
                    self.last_error = Some(e.to_string());
                }
                self.retry_at = Some(now + self.backoff);
                self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
            }
        }
        self.status.offset = self
            .open
            .as_ref()
            .map_or(0, |o| o.read - self.unread.len() as u64);
    }

    fn poll_now(&mut self, sink: &mut dyn LineSink) -> io::Result<()> {
        let at_path = match fs::metadata(&self.path) {
            Ok(meta) => Some(meta),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        if let Some(open) = &self.open {
            let same_file = at_path
                .as_ref()
                .is_some_and(|m| device_inode(m) == (open.identity.device, open.identity.inode));
            if !same_file {
                // Renamed away or deleted: the descriptor still reads the old file to its end,
                // and reads on while its writer may still write there (see the module's
                // documentation). The new file's size was taken before this read: when it
                // had bytes, every write to the old file came before them.
                let before = open.read;
                self.read_new(sink)?;
                let grew = self.open.as_ref().is_some_and(|o| o.read > before);
                self.quiet_polls = if grew { 0 } else { self.quiet_polls + 1 };
                let writer_moved = at_path.as_ref().is_some_and(|m| m.len() > 0);
                if !writer_moved && self.quiet_polls < DRAIN_POLLS {
                    return Ok(());
                }
                self.quiet_polls = 0;
                self.finish_file(sink);
                self.status.rotations += 1;
            } else if self.rewritten()? {
                self.recover_truncated(sink);
                self.status.rotations += 1;
            }
        }
        if self.open.is_none() {
            let Some(meta) = at_path else {
                return Ok(());
            };
            if !meta.is_file() {
                return Err(io::Error::other("not a regular file"));
            }
            self.open_path(sink)?;
        }
        self.read_new(sink)
    }

    /// Opens the file at the path: from the checkpoint's offset when it is the checkpoint's
    /// file, else from 0 (after finishing the checkpoint's file from its copy).
    fn open_path(&mut self, sink: &mut dyn LineSink) -> io::Result<()> {
        let mut file = File::open(&self.path)?;
        let (device, inode) = device_inode(&file.metadata()?);
        let size = file.metadata()?.len();
        let start = read_start(&mut file, FINGERPRINT_BYTES)?;
        let mut open = OpenFile {
            file,
            identity: Identity {
                device,
                inode,
                fingerprint: Fingerprint::of(&start),
            },
            read: 0,
        };
        if let Some(saved) = self.resume.take() {
            let same = (saved.identity.device, saved.identity.inode) == (device, inode)
                && saved.identity.fingerprint.matches_start_of(&start)
                && size >= saved.offset;
            if same {
                open.read = saved.offset;
                self.reading = saved.reading;
            } else {
                self.finish_from_copy(&saved, sink);
                self.status.rotations += 1;
            }
        }
        self.open = Some(open);
        Ok(())
    }

    /// The checkpoint's file was rotated while the watch was stopped: reads the rest of it
    /// from the copy that holds it, if one is beside the path.
    fn finish_from_copy(&mut self, saved: &FileCheckpoint, sink: &mut dyn LineSink) {
        match find_copy(&self.path, &saved.identity) {
            Some(copy) => {
                self.reading = saved.reading.clone();
                match self.read_copy(&copy, saved.offset, sink) {
                    Ok(()) => crate::messages::warn(&format!(
                        "{}: rotated while the watch was stopped; read the rest of it from {}",
                        self.name,
                        copy.display()
                    )),
                    Err(e) => crate::messages::warn(&format!(
                        "{}: rotated while the watch was stopped; its copy {} could not be read to its end ({e}): lines after byte {} of it may be missing",
                        self.name,
                        copy.display(),
                        saved.offset
                    )),
                }
            }
            None => crate::messages::warn(&format!(
                "{}: rotated while the watch was stopped, and no copy beside it has its first bytes: lines written to it after byte {} are not counted",
                self.name, saved.offset
            )),
        }
        self.reading = FileReading::default();
    }

    /// Whether the open file was truncated (copy-and-truncate) or truncated and written
    /// again: smaller than what was read, or other first bytes. A fingerprint taken of a
    /// short file grows with it to [`FINGERPRINT_BYTES`].
    fn rewritten(&mut self) -> io::Result<bool> {
        let Some(open) = &mut self.open else {
            return Ok(false);
        };
        let size = open.file.metadata()?.len();
        if size < open.read {
            return Ok(true);
        }
        open.file.seek(SeekFrom::Start(0))?;
        let start = read_start(&mut open.file, FINGERPRINT_BYTES)?;
        if !open.identity.fingerprint.matches_start_of(&start) {
            return Ok(true);
        }
        open.identity.fingerprint = Fingerprint::of(&start);
        Ok(false)
    }

    /// Copy-and-truncate: what was written after the last read is in the copy with the same
    /// first bytes; it is read from there, then the file again from 0.
    fn recover_truncated(&mut self, sink: &mut dyn LineSink) {
        let Some(open) = &self.open else {
            return;
        };
        let (identity, read) = (open.identity, open.read);
        let copy = find_copy(&self.path, &identity);
        // The partial line held is read again from the copy, with what completes it.
        let from = read - self.unread.len() as u64;
        match copy {
            Some(copy) => {
                if let Err(e) = self.read_copy(&copy, from, sink) {
                    crate::messages::warn(&format!(
                        "{}: truncated; its copy {} could not be read to its end ({e}): lines after byte {from} may be missing",
                        self.name,
                        copy.display()
                    ));
                }
            }
            None => crate::messages::warn(&format!(
                "{}: truncated, and no copy beside it has its first bytes: lines written after byte {read} and before the truncation are not counted",
                self.name
            )),
        }
        self.open = None;
        self.unread.clear();
        self.reading = FileReading::default();
    }

    /// Hands on the bytes of `copy` from `from` to its end, its last line whole.
    fn read_copy(&mut self, copy: &Path, from: u64, sink: &mut dyn LineSink) -> io::Result<()> {
        let mut reader = open_copy(copy)?;
        io::copy(&mut (&mut reader).take(from), &mut io::sink())?;
        let mut at = from;
        self.unread.clear();
        let mut block = vec![0u8; READ_BLOCK];
        loop {
            let n = match reader.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.hand_on(sink, at, true);
                    return Err(e);
                }
            };
            self.unread.extend_from_slice(&block[..n]);
            at += n as u64;
            if self.unread.len() >= READ_BLOCK {
                self.hand_on(sink, at, false);
            }
        }
        self.hand_on(sink, at, true);
        self.unread.clear();
        Ok(())
    }

    /// Reads the open file from where reading stopped to its end, handing on complete lines.
    fn read_new(&mut self, sink: &mut dyn LineSink) -> io::Result<()> {
        let Some(open) = &mut self.open else {
            return Ok(());
        };
        open.file.seek(SeekFrom::Start(open.read))?;
        let mut block = vec![0u8; 64 << 10];
        loop {
            let Some(open) = &mut self.open else {
                return Ok(());
            };
            let n = match open.file.read(&mut block) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            open.read += n as u64;
            let read = open.read;
            self.unread.extend_from_slice(&block[..n]);
            if self.unread.len() >= READ_BLOCK {
                self.hand_on(sink, read, false);
            }
        }
        let read = self.open.as_ref().map_or(0, |o| o.read);
        self.hand_on(sink, read, false);
        Ok(())
    }

    /// The old file is done with (rotated away): its last line is whole, with a line end or
    /// not, and the next file starts afresh.
    fn finish_file(&mut self, sink: &mut dyn LineSink) {
        let read = self.open.as_ref().map_or(0, |o| o.read);
        self.hand_on(sink, read, true);
        self.open = None;
        self.unread.clear();
        self.reading = FileReading::default();
    }

    /// Hands `unread` (ending at byte `end` of the file) to the sink, which takes the
    /// complete lines it can place (all of it when `whole`).
    fn hand_on(&mut self, sink: &mut dyn LineSink, end: u64, whole: bool) {
        if self.unread.is_empty() {
            return;
        }
        let at = end - self.unread.len() as u64;
        let whole = whole || self.unread.len() > MAX_PARTIAL_LINE;
        let used = sink.lines(&self.name, &mut self.reading, &self.unread, at, whole);
        self.unread.drain(..used);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    /// Keeps every line it is given, whole lines only unless told the file is done.
    #[derive(Default)]
    struct Collect(Vec<String>);

    impl LineSink for Collect {
        fn lines(
            &mut self,
            _name: &str,
            _reading: &mut FileReading,
            bytes: &[u8],
            _at: u64,
            whole: bool,
        ) -> usize {
            let Some(end) = crate::live::feed::complete_lines_end(bytes, whole) else {
                return 0;
            };
            for line in bytes[..end].split(|&b| b == b'\n') {
                if !line.is_empty() {
                    self.0.push(String::from_utf8_lossy(line).into_owned());
                }
            }
            end
        }
    }

    fn append(path: &Path, text: &str) {
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }

    fn poll(f: &mut Follower, sink: &mut Collect) {
        f.poll(sink, Instant::now());
        assert!(f.status().up || !f.path.exists(), "{:?}", f.last_error);
    }

    #[test]
    fn every_rotation_keeps_each_line_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let mut follower = Follower::new(path.clone(), None, Duration::from_millis(1));
        let mut sink = Collect::default();
        poll(&mut follower, &mut sink);
        append(&path, "line 1\nline 2\nli");
        poll(&mut follower, &mut sink);
        assert_eq!(sink.0, ["line 1", "line 2"]);
        // A partial line is completed later, then the file is renamed and a new one made.
        append(&path, "ne 3\nline 4\n");
        fs::rename(&path, dir.path().join("app.log.1")).unwrap();
        append(&path, "line 5\n");
        poll(&mut follower, &mut sink);
        // Copy and truncate, with lines written after the last poll.
        append(&path, "line 6\n");
        fs::copy(&path, dir.path().join("app.log.2")).unwrap();
        fs::OpenOptions::new()
            .write(true)
            .truncate(true)
            .open(&path)
            .unwrap();
        append(&path, "line 7 is longer than the old file was\n");
        poll(&mut follower, &mut sink);
        // Deleted and created again, the old one gzipped by the rotation.
        append(&path, "line 8\n");
        fs::remove_file(&path).unwrap();
        append(&path, "line 9\n");
        poll(&mut follower, &mut sink);
        let expected: Vec<String> = (1..=9)
            .map(|i| {
                if i == 7 {
                    "line 7 is longer than the old file was".to_string()
                } else {
                    format!("line {i}")
                }
            })
            .collect();
        assert_eq!(sink.0, expected);
        assert_eq!(follower.status().rotations, 3);
    }

    #[test]
    fn a_writer_that_reopens_late_loses_no_line_to_the_rotation() {
        // logrotate's `create`: the file is renamed and an empty one made at once, and the
        // program goes on writing to the renamed file until it reopens its log.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        let old = dir.path().join("app.log.1");
        let mut follower = Follower::new(path.clone(), None, Duration::from_millis(1));
        let mut sink = Collect::default();
        append(&path, "line 1\n");
        poll(&mut follower, &mut sink);
        fs::rename(&path, &old).unwrap();
        append(&path, "");
        append(&old, "line 2\n");
        poll(&mut follower, &mut sink);
        append(&old, "line 3\n");
        for _ in 0..DRAIN_POLLS - 1 {
            poll(&mut follower, &mut sink);
        }
        append(&old, "line 4\n");
        poll(&mut follower, &mut sink);
        assert_eq!(follower.status().rotations, 0, "still reading the old file");
        // Reopened: the program writes to the new file now.
        append(&path, "line 5\n");
        poll(&mut follower, &mut sink);
        append(&path, "line 6\n");
        poll(&mut follower, &mut sink);
        assert_eq!(
            sink.0,
            (1..=6).map(|i| format!("line {i}")).collect::<Vec<_>>()
        );
        assert_eq!(follower.status().rotations, 1);

        // A writer that has gone quiet: the old file is finished after DRAIN_POLLS polls
        // even though the new one stays empty, and the new one is read once it has lines.
        fs::rename(&path, &old).unwrap();
        append(&path, "");
        for _ in 0..DRAIN_POLLS {
            poll(&mut follower, &mut sink);
        }
        assert_eq!(follower.status().rotations, 2);
        append(&path, "line 7\n");
        poll(&mut follower, &mut sink);
        assert_eq!(sink.0.last().map(String::as_str), Some("line 7"));
        assert_eq!(sink.0.len(), 7);
    }

    #[test]
    fn a_restart_goes_on_from_the_checkpoint_even_through_a_gzipped_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        append(&path, "a\nb\npart");
        let mut first = Follower::new(path.clone(), None, Duration::from_millis(1));
        let mut sink = Collect::default();
        poll(&mut first, &mut sink);
        let saved = first.checkpoint().unwrap();
        assert_eq!(saved.offset, 4);
        drop(first);
        // Stopped: the line is completed, the file rotated and gzipped, a new one started.
        append(&path, "ial\nc\n");
        let old = fs::read(&path).unwrap();
        let gz = fs::File::create(dir.path().join("app.log.1.gz")).unwrap();
        let mut encoder = flate2::write::GzEncoder::new(gz, flate2::Compression::fast());
        encoder.write_all(&old).unwrap();
        encoder.finish().unwrap();
        fs::remove_file(&path).unwrap();
        append(&path, "d\n");
        let mut second = Follower::new(path.clone(), Some(saved), Duration::from_millis(1));
        poll(&mut second, &mut sink);
        assert_eq!(sink.0, ["a", "b", "partial", "c", "d"]);
        // The same file after a restart goes on where it stopped.
        let saved = second.checkpoint().unwrap();
        append(&path, "e\n");
        let mut third = Follower::new(path, Some(saved), Duration::from_millis(1));
        poll(&mut third, &mut sink);
        assert_eq!(sink.0, ["a", "b", "partial", "c", "d", "e"]);
    }

    #[test]
    fn an_unreadable_path_is_reported_and_tried_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        fs::create_dir(&path).unwrap();
        let mut follower = Follower::new(path.clone(), None, Duration::from_millis(1));
        let mut sink = Collect::default();
        follower.poll(&mut sink, Instant::now());
        assert!(!follower.status().up);
        assert_eq!(follower.status().read_errors, 1);
        fs::remove_dir(&path).unwrap();
        append(&path, "x\n");
        follower.poll(&mut sink, Instant::now() + Duration::from_secs(1));
        assert!(follower.status().up);
        assert_eq!(sink.0, ["x"]);
    }

    #[test]
    fn fingerprints_tell_first_bytes_apart() {
        let a = Fingerprint::of(b"2023-10-10 10:00:00,000 first");
        assert!(a.matches_start_of(b"2023-10-10 10:00:00,000 first and more"));
        assert!(!a.matches_start_of(b"2023-10-10 10:00:00,001 first"));
        assert!(!a.matches_start_of(b"2023"));
        assert_eq!(Fingerprint::of(&[7u8; 5000]).len, FINGERPRINT_BYTES as u32);
    }
}
