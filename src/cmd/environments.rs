//! Several ESM environments in one run: which inputs belong to which environment, from the
//! flags `--environment NAME`, `--environment NAME=PATH` and `--environments-by-folder`. (The
//! timelines and integration.log counts of all of them together are merged beside what they
//! merge: [`crate::usage::merge`] and [`crate::report::reconcile::merge_counts`].)

use crate::cli::InputArgs;
use std::path::Path;

/// The environment of inputs no flag names.
pub const DEFAULT_ENVIRONMENT: &str = "default";

/// The inputs of one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Files, folders, globs or `-`, as for a single environment.
    pub paths: Vec<String>,
}

/// Why the environments cannot be worked out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvironmentError {
    /// A name that cannot be a folder name of a Hive partition.
    #[error("--environment `{0}`: an environment name is letters, digits, `.`, `_` and `-` (not starting with `.`), for example --environment prod or --environment prod=logs/prod/")]
    BadName(String),
    /// `NAME=` without a path.
    #[error("--environment `{0}`: no path after `=`; write --environment NAME=PATH")]
    NoPath(String),
    /// Two plain `--environment NAME` flags: which one do the paths belong to?
    #[error("--environment given twice without `=` (`{0}` and `{1}`): name the paths of each with --environment NAME=PATH")]
    TwoNames(String, String),
    /// `--environments-by-folder` on something that is not a folder of folders.
    #[error("--environments-by-folder: `{0}` is not a folder with one subfolder per environment (logs/<environment>/…)")]
    NotAFleetFolder(String),
    /// No input at all.
    #[error("no input: give PATHS, or --environment NAME=PATH")]
    NoInput,
}

/// Whether `name` can be an environment name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn checked(name: &str) -> Result<String, EnvironmentError> {
    if valid_name(name) {
        Ok(name.to_string())
    } else {
        Err(EnvironmentError::BadName(name.to_string()))
    }
}

/// The environments of a run, in the order they are first named; paths of one name are
/// merged. Without any environment flag, all the PATHS form one environment named
/// [`DEFAULT_ENVIRONMENT`].
///
/// - `--environment NAME` (no `=`): the PATHS belong to NAME.
/// - `--environment NAME=PATH` (repeatable): PATH belongs to NAME.
/// - `--environments-by-folder`: each of the PATHS is a folder whose subfolders are one
///   environment each, named after the subfolder (`logs/prod/…`, `logs/test/…`).
pub fn environments(args: &InputArgs) -> Result<Vec<Environment>, EnvironmentError> {
    let mut plain: Option<String> = None;
    let mut named: Vec<(String, String)> = Vec::new();
    for flag in &args.environment {
        match flag.split_once('=') {
            Some((name, path)) => {
                if path.is_empty() {
                    return Err(EnvironmentError::NoPath(flag.clone()));
                }
                named.push((checked(name)?, path.to_string()));
            }
            None => {
                let name = checked(flag)?;
                if let Some(first) = &plain {
                    return Err(EnvironmentError::TwoNames(first.clone(), name));
                }
                plain = Some(name);
            }
        }
    }
    let mut positional: Vec<(String, String)> = Vec::new();
    for path in &args.paths {
        if args.environments_by_folder {
            for (name, sub) in subfolders(path)? {
                positional.push((name, sub));
            }
        } else {
            let name = plain.clone().unwrap_or_else(|| DEFAULT_ENVIRONMENT.into());
            positional.push((name, path.clone()));
        }
    }
    let mut out: Vec<Environment> = Vec::new();
    for (name, path) in positional.into_iter().chain(named) {
        match out.iter_mut().find(|e| e.name == name) {
            Some(env) => env.paths.push(path),
            None => out.push(Environment {
                name,
                paths: vec![path],
            }),
        }
    }
    if out.is_empty() {
        return Err(EnvironmentError::NoInput);
    }
    Ok(out)
}

/// The subfolders of a fleet folder, sorted, as (environment, path).
fn subfolders(path: &str) -> Result<Vec<(String, String)>, EnvironmentError> {
    let not_fleet = || EnvironmentError::NotAFleetFolder(path.to_string());
    let entries = std::fs::read_dir(Path::new(path)).map_err(|_| not_fleet())?;
    let mut found = Vec::new();
    for entry in entries.flatten() {
        if entry.path().is_dir() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            found.push((checked(&name)?, entry.path().display().to_string()));
        }
    }
    if found.is_empty() {
        return Err(not_fleet());
    }
    found.sort();
    Ok(found)
}

/// The input flags of one environment: `args` with its paths only, and no environment flags.
pub fn input_args_of(args: &InputArgs, environment: &Environment) -> InputArgs {
    InputArgs {
        paths: environment.paths.clone(),
        environment: Vec::new(),
        environments_by_folder: false,
        ..args.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::integration::layout::DEFAULT_LAYOUT;

    fn args(paths: &[&str], env: &[&str], by_folder: bool) -> InputArgs {
        InputArgs {
            paths: paths.iter().map(|s| s.to_string()).collect(),
            reading: crate::cli::ReadingArgs {
                tz: None,
                layout: DEFAULT_LAYOUT.into(),
                duration_unit: Default::default(),
                layout_dialect: Default::default(),
            },
            date: None,
            environment: env.iter().map(|s| s.to_string()).collect(),
            environments_by_folder: by_folder,
        }
    }

    #[test]
    fn flags_name_environments() {
        let one = environments(&args(&["a", "b"], &[], false)).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].name, DEFAULT_ENVIRONMENT);
        assert_eq!(one[0].paths, vec!["a", "b"]);

        let named = environments(&args(&["a"], &["prod", "test=t1", "test=t2"], false)).unwrap();
        assert_eq!(
            named,
            vec![
                Environment {
                    name: "prod".into(),
                    paths: vec!["a".into()]
                },
                Environment {
                    name: "test".into(),
                    paths: vec!["t1".into(), "t2".into()]
                },
            ]
        );
        assert!(matches!(
            environments(&args(&[], &["a b=x"], false)),
            Err(EnvironmentError::BadName(_))
        ));
        assert!(matches!(
            environments(&args(&["x"], &["a", "b"], false)),
            Err(EnvironmentError::TwoNames(..))
        ));
        assert!(matches!(
            environments(&args(&[], &["a="], false)),
            Err(EnvironmentError::NoPath(_))
        ));
    }

    #[test]
    fn folders_name_environments() {
        let dir = tempfile::tempdir().unwrap();
        for env in ["test", "prod"] {
            std::fs::create_dir_all(dir.path().join(env).join("2023")).unwrap();
        }
        std::fs::write(dir.path().join("README.txt"), "x").unwrap();
        let root = dir.path().display().to_string();
        let found = environments(&args(&[&root], &[], true)).unwrap();
        let names: Vec<&str> = found.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["prod", "test"]);
        assert!(found[0].paths[0].ends_with("prod"));
        let file = dir.path().join("README.txt").display().to_string();
        assert!(matches!(
            environments(&args(&[&file], &[], true)),
            Err(EnvironmentError::NotAFleetFolder(_))
        ));
    }
}
