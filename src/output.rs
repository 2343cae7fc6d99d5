//! Writing results: `-` is stdout (a closed pipe is not an error), a file is written to a
//! temporary name beside it and renamed, and never over one of the inputs.

use crate::error::UsageError;
use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Writes what `fill` produces to `target`.
pub fn write_output(
    target: &str,
    inputs: &[PathBuf],
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> Result<(), UsageError> {
    if target == "-" {
        let stdout = io::stdout();
        let mut out = BufWriter::new(stdout.lock());
        let result = fill(&mut out).and_then(|_| out.flush());
        return match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
            other => other.map_err(|source| UsageError::Write {
                path: "stdout".into(),
                source,
            }),
        };
    }
    let path = Path::new(target);
    refuse_inputs(path, inputs)?;
    write_atomically(path, fill).map_err(|source| UsageError::Write {
        path: target.into(),
        source,
    })
}

fn refuse_inputs(path: &Path, inputs: &[PathBuf]) -> Result<(), UsageError> {
    let Ok(target) = path.canonicalize() else {
        return Ok(());
    };
    if inputs
        .iter()
        .filter_map(|i| i.canonicalize().ok())
        .any(|i| i == target)
    {
        return Err(UsageError::OutputIsInput {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

/// Writes to `path.tmp-PID` and renames it over `path`, so that readers never see half a file.
pub fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file name"))?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".tmp-{}", std::process::id()));
    let temp = path.with_file_name(temp_name);
    let result = (|| {
        let mut out = BufWriter::new(fs::File::create(&temp)?);
        fill(&mut out)?;
        out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_to_overwrite_an_input() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.log");
        fs::write(&input, "keep").unwrap();
        let err = write_output(input.to_str().unwrap(), std::slice::from_ref(&input), |w| {
            w.write_all(b"x")
        });
        assert!(matches!(err, Err(UsageError::OutputIsInput { .. })));
        assert_eq!(fs::read_to_string(&input).unwrap(), "keep");
    }

    #[test]
    fn writes_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.csv");
        write_output(out.to_str().unwrap(), &[], |w| w.write_all(b"a,b\n")).unwrap();
        assert_eq!(fs::read_to_string(&out).unwrap(), "a,b\n");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary left"
        );
    }
}
