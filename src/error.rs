//! Typed errors of the library: each names the file, line or flag at fault and how to fix it.

use std::path::PathBuf;

/// An input that could not be read: the run goes on with the others, and the exit code becomes 2.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error(
        "{path}: no such file or folder (check the path, or quote a glob so esmlog expands it)"
    )]
    NotFound { path: String },
    #[error("{path}: the glob matched no file")]
    GlobNoMatch { path: String },
    #[error("{path}: cannot be read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path}: corrupt or truncated gzip data: {source} (the rest of the inputs were still read)"
    )]
    CorruptGzip {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: corrupt zip archive: {reason}")]
    CorruptZip { path: String, reason: String },
    #[error("{path}: a folder link loops back to {target}; skipped")]
    LinkLoop { path: String, target: PathBuf },
}

impl SourceError {
    /// The input the error is about, as the user named it.
    pub fn path(&self) -> &str {
        match self {
            SourceError::NotFound { path }
            | SourceError::GlobNoMatch { path }
            | SourceError::Unreadable { path, .. }
            | SourceError::CorruptGzip { path, .. }
            | SourceError::CorruptZip { path, .. }
            | SourceError::LinkLoop { path, .. } => path,
        }
    }
}

/// A command-line value that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("--tz {value}: not an IANA or Windows time zone name (for example Europe/Helsinki, or FLE Standard Time)")]
    BadZone { value: String },
    #[error("{flag} {value}: expected a date as YYYY-MM-DD")]
    BadDate { flag: &'static str, value: String },
    #[error(transparent)]
    Range(#[from] crate::calendar::RangeError),
    #[error("{flag} {value}: {reason}")]
    BadValue {
        flag: &'static str,
        value: String,
        reason: String,
    },
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("refusing to write {path}: it is one of the inputs")]
    OutputIsInput { path: String },
}
