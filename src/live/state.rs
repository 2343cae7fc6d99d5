//! The checkpoint of `esmlog watch --state FILE`: each followed file's identity and offset,
//! the layout, the settings the counters were made with, and the totals. It is JSON with a
//! format number, written to a temporary file beside it, flushed to disk and renamed over
//! the old one, so that a crash leaves the old checkpoint or the new one, never half of one.

use super::follow::FileCheckpoint;
use super::tally::LiveTotals;
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The checkpoint format this esmlog reads and writes; another one is refused.
pub const FORMAT: u32 = 1;

/// The settings the counters depend on: a restart with others would mix two rules in one
/// counter, so it is refused (or the state rebuilt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CountingSettings {
    pub rate_limit: u64,
    pub max_users: usize,
    pub spike_window: usize,
    pub spike_threshold: f64,
    pub spike_min: u64,
}

/// Everything a restart goes on from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub format: u32,
    /// The esmlog version that wrote it, to tell the user.
    pub written_by: String,
    /// integration.log's layout once settled (given, or inferred from the first lines).
    pub layout: Option<String>,
    pub settings: CountingSettings,
    pub files: Vec<FileCheckpoint>,
    pub totals: LiveTotals,
}

/// Why a checkpoint cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("--state {path}: cannot be read: {source}")]
    Unreadable {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("--state {path}: not a checkpoint of esmlog watch ({reason}); it may be damaged. Give --rebuild to count again from what the logs hold now, or another --state file")]
    Damaged { path: String, reason: String },
    #[error("--state {path}: written in checkpoint format {found} (by esmlog {written_by}); this esmlog reads format {FORMAT}. Give --rebuild to count again from what the logs hold now")]
    OtherFormat {
        path: String,
        found: u64,
        written_by: String,
    },
    #[error("--state {path}: its counters were made with {what}; counting on with other settings would mix two rules in one counter. Give the same settings, or --rebuild to count again from what the logs hold now")]
    OtherSettings { path: String, what: String },
    #[error("--state {path}: cannot write the checkpoint: {source}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Reads the checkpoint at `path`; none when there is no file yet.
pub fn load(path: &Path) -> Result<Option<Checkpoint>, StateError> {
    let name = path.display().to_string();
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StateError::Unreadable { path: name, source }),
    };
    let damaged = |reason: String| StateError::Damaged {
        path: name.clone(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_slice(&text).map_err(|e| damaged(format!("not JSON: {e}")))?;
    let format = value
        .get("format")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| damaged("no format number".into()))?;
    if format != u64::from(FORMAT) {
        return Err(StateError::OtherFormat {
            path: name,
            found: format,
            written_by: value
                .get("written_by")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("unknown")
                .to_owned(),
        });
    }
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| damaged(e.to_string()))
}

/// Refuses a checkpoint whose counters were made with other settings.
pub fn check_settings(
    path: &Path,
    saved: &CountingSettings,
    now: &CountingSettings,
) -> Result<(), StateError> {
    if saved == now {
        return Ok(());
    }
    Err(StateError::OtherSettings {
        path: path.display().to_string(),
        what: format!(
            "--rate-limit {} --max-users {} --spike-window {} --spike-threshold {} --spike-min {}",
            saved.rate_limit,
            saved.max_users,
            saved.spike_window,
            saved.spike_threshold,
            saved.spike_min
        ),
    })
}

/// Writes `checkpoint` to `path` atomically: a temporary file beside it, flushed to disk,
/// renamed over it, and the folder flushed so that the rename lasts.
pub fn save(path: &Path, checkpoint: &Checkpoint) -> Result<(), StateError> {
    let fail = |source: io::Error| StateError::Write {
        path: path.display().to_string(),
        source,
    };
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let json = serde_json::to_vec(checkpoint).map_err(|e| fail(io::Error::other(e)))?;
    let mut file = fs::File::create(&temporary).map_err(fail)?;
    file.write_all(&json).map_err(fail)?;
    file.sync_all().map_err(fail)?;
    drop(file);
    fs::rename(&temporary, path).map_err(fail)?;
    // Flushing the folder makes the rename itself durable; not every platform can open a
    // folder, and the checkpoint is already whole either way.
    if let Ok(dir) = fs::File::open(&folder) {
        let _ = dir.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spike::SpikeParams;

    fn settings() -> CountingSettings {
        CountingSettings {
            rate_limit: 30,
            max_users: 100,
            spike_window: 60,
            spike_threshold: 6.0,
            spike_min: 10,
        }
    }

    #[test]
    fn a_checkpoint_reads_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        assert!(load(&path).unwrap().is_none());
        let mut totals = LiveTotals::new(SpikeParams::default());
        totals.spikes = 4;
        let checkpoint = Checkpoint {
            format: FORMAT,
            written_by: "test".into(),
            layout: Some("%d %m%n".into()),
            settings: settings(),
            files: Vec::new(),
            totals,
        };
        save(&path, &checkpoint).unwrap();
        assert_eq!(load(&path).unwrap(), Some(checkpoint));
        assert!(!dir.path().join("state.json.tmp").exists());
    }

    #[test]
    fn damaged_and_foreign_checkpoints_are_refused_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        fs::write(&path, "{\"format\": 1, \"files\": [").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("damaged") && e.contains("--rebuild"), "{e}");
        fs::write(&path, "{\"format\": 7, \"written_by\": \"9.9.9\"}").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(e.contains("format 7") && e.contains("9.9.9"), "{e}");
        let other = CountingSettings {
            rate_limit: 60,
            ..settings()
        };
        let e = check_settings(&path, &other, &settings())
            .unwrap_err()
            .to_string();
        assert!(e.contains("--rate-limit 60"), "{e}");
    }
}
