//! Settings users repeat on every run (`tz`, `quota`, `layout`…), from a config file and
//! the environment, under the command line: a flag beats the environment, which beats the
//! file, which beats the default.
//!
//! The file's values become flags on the command line before it is parsed, so that they go
//! through the very same checks as typed ones, and only for a subcommand that takes them.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The file's name in the working folder and in the user's config folder.
pub const FILE_NAME: &str = "esmlog.toml";

/// What `esmlog.toml` may hold; any other key is an error.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub tz: Option<String>,
    pub quota: Option<u64>,
    pub quota_period: Option<String>,
    pub layout: Option<String>,
    pub message_pattern: Option<String>,
    pub rate_limit: Option<u64>,
    pub token_minutes: Option<u64>,
    /// Environment name to its paths: `[environments] prod = ["logs/prod/"]`.
    pub environments: Option<BTreeMap<String, Vec<String>>>,
}

/// A setting's flag, and the environment variable that sets it, if any.
struct Setting {
    key: &'static str,
    flag: &'static str,
    env: Option<&'static str>,
}

const SETTINGS: &[Setting] = &[
    Setting {
        key: "tz",
        flag: "--tz",
        env: Some("ESMLOG_TZ"),
    },
    Setting {
        key: "quota",
        flag: "--quota",
        env: Some("ESMLOG_QUOTA"),
    },
    Setting {
        key: "quota_period",
        flag: "--quota-period",
        env: None,
    },
    Setting {
        key: "layout",
        flag: "--layout",
        env: Some("ESMLOG_LAYOUT"),
    },
    Setting {
        key: "message_pattern",
        flag: "--message-pattern",
        env: None,
    },
    Setting {
        key: "rate_limit",
        flag: "--rate-limit",
        env: None,
    },
    Setting {
        key: "token_minutes",
        flag: "--token-minutes",
        env: None,
    },
];

/// Why the config file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{path}: cannot be read: {source}")]
    Unreadable {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Invalid {
        path: String,
        line: usize,
        message: String,
    },
}

/// Where a setting in force came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingSource {
    pub key: &'static str,
    pub value: String,
    /// `flag`, `environment (ESMLOG_TZ)`, `file (esmlog.toml)` or `default`.
    pub from: String,
}

static SOURCES: OnceLock<Vec<SettingSource>> = OnceLock::new();

/// The settings of this run and where each came from (for `check --show-config`).
pub fn sources() -> &'static [SettingSource] {
    SOURCES.get().map_or(&[], Vec::as_slice)
}

/// The config file to read: `--config FILE`, else `$ESMLOG_CONFIG`, else `./esmlog.toml`,
/// else `esmlog.toml` in the user's config folder; none when none of them exists (a file
/// named by the flag or the variable must exist).
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut named = None;
    for (i, arg) in args.iter().enumerate() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if let Some(value) = arg.strip_prefix("--config=") {
            named = Some(PathBuf::from(value));
        } else if arg == "--config" {
            named = args.get(i + 1).map(PathBuf::from);
        }
    }
    if let Some(path) = named.or_else(|| std::env::var_os("ESMLOG_CONFIG").map(PathBuf::from)) {
        return Some(path);
    }
    let local = PathBuf::from(FILE_NAME);
    if local.is_file() {
        return Some(local);
    }
    let folder = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    let user = folder.join("esmlog").join(FILE_NAME);
    user.is_file().then_some(user)
}

/// Reads and checks a config file.
pub fn read_config(path: &Path) -> Result<ConfigFile, SettingsError> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Unreadable {
        path: name.clone(),
        source,
    })?;
    toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(1, |span| {
            1 + text.as_bytes()[..span.start.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
        });
        // The key of the line, where the message does not name it (a value of the wrong
        // type).
        let key = text
            .lines()
            .nth(line - 1)
            .and_then(|l| l.split_once('='))
            .map(|(key, _)| key.trim())
            .filter(|key| !key.is_empty());
        let message = e.message().trim().to_string();
        SettingsError::Invalid {
            line,
            message: match key {
                Some(key) if !message.contains(key) => format!("{key}: {message}"),
                _ => message,
            },
            path: name,
        }
    })
}

/// The value of a config key as a flag's value.
fn file_value(config: &ConfigFile, key: &str) -> Option<String> {
    match key {
        "tz" => config.tz.clone(),
        "quota" => config.quota.map(|q| q.to_string()),
        "quota_period" => config.quota_period.clone(),
        "layout" => config.layout.clone(),
        "message_pattern" => config.message_pattern.clone(),
        "rate_limit" => config.rate_limit.map(|n| n.to_string()),
        "token_minutes" => config.token_minutes.map(|n| n.to_string()),
        _ => None,
    }
}

/// The value the command line gives `flag` (`--tz X` or `--tz=X`), if it gives it.
fn given(args: &[OsString], flag: &str) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        let a = a.to_string_lossy();
        if a == flag {
            Some(
                args.get(i + 1)
                    .map_or_else(String::new, |v| v.to_string_lossy().into_owned()),
            )
        } else {
            a.strip_prefix(&format!("{flag}=")).map(str::to_string)
        }
    })
}

/// The subcommand's position: the first word after the program that is neither a flag nor
/// the value of `--config`.
fn subcommand_at(args: &[OsString]) -> Option<usize> {
    let mut i = 1;
    while i < args.len() {
        let arg = args[i].to_string_lossy();
        if arg == "--config" {
            i += 2;
            continue;
        }
        if !arg.starts_with('-') {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Whether the words after the subcommand name an input: a path (a word that is not the
/// value of a flag) or an `--environment` flag.
fn names_inputs(words: &[OsString], sub: &clap::Command, root: &clap::Command) -> bool {
    let mut i = 0;
    while i < words.len() {
        let word = words[i].to_string_lossy();
        if word.starts_with("--environment") {
            return true;
        }
        if let Some(long) = word.strip_prefix("--") {
            // Global flags (`--config`) are the root's until the command is built.
            let takes_value = !long.contains('=')
                && sub
                    .get_arguments()
                    .chain(root.get_arguments())
                    .find(|a| a.get_long() == Some(long))
                    .is_some_and(|a| a.get_action().takes_values());
            i += 1 + usize::from(takes_value);
            continue;
        }
        if word == "-" || !word.starts_with('-') {
            return true;
        }
        i += 1;
    }
    false
}

/// The command line with the config file's settings added as flags, where the subcommand
/// takes them and neither a flag nor an environment variable sets them. Records where each
/// setting in force came from (see [`sources`]).
pub fn with_config(
    args: Vec<OsString>,
    command: &clap::Command,
) -> Result<Vec<OsString>, SettingsError> {
    let config = match config_path(&args) {
        Some(path) => Some((read_config(&path)?, path.display().to_string())),
        None => None,
    };
    let Some(position) = subcommand_at(&args) else {
        return Ok(args);
    };
    let Some(sub) = command.find_subcommand(args[position].to_string_lossy().as_ref()) else {
        return Ok(args);
    };
    let takes = |long: &str| sub.get_arguments().any(|a| a.get_long() == Some(long));
    let mut added: Vec<OsString> = Vec::new();
    let mut sources = Vec::new();
    for setting in SETTINGS {
        if !takes(setting.flag.trim_start_matches("--")) {
            continue;
        }
        let env = setting
            .env
            .and_then(|name| std::env::var(name).ok().map(|v| (name, v)));
        let long = setting.flag.trim_start_matches("--");
        let (value, from) = if let Some(value) = given(&args, setting.flag) {
            (value, "flag".to_string())
        } else if let Some((name, value)) = env {
            (value, format!("environment ({name})"))
        } else if let Some((value, file)) = config
            .as_ref()
            .and_then(|(c, file)| file_value(c, setting.key).map(|v| (v, file)))
        {
            added.push(setting.flag.into());
            added.push(value.clone().into());
            (value, format!("file ({file})"))
        } else {
            let default = sub
                .get_arguments()
                .find(|a| a.get_long() == Some(long))
                .and_then(|a| a.get_default_values().first())
                .map(|v| v.to_string_lossy().into_owned())
                .unwrap_or_default();
            (default, "default".to_string())
        };
        sources.push(SettingSource {
            key: setting.key,
            value,
            from,
        });
    }
    // Environments from the file apply to a run that names no input of its own.
    if let (false, true, Some((config, file))) = (
        names_inputs(&args[position + 1..], sub, command),
        takes("environment"),
        config.as_ref(),
    ) {
        for (name, paths) in config.environments.iter().flatten() {
            for path in paths {
                added.push("--environment".into());
                added.push(format!("{name}={path}").into());
            }
            sources.push(SettingSource {
                key: "environments",
                value: format!("{name} = {}", paths.join(", ")),
                from: format!("file ({file})"),
            });
        }
    }
    let _ = SOURCES.set(sources);
    let mut out = args;
    let tail = out.split_off(position + 1);
    out.extend(added);
    out.extend(tail);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_and_bad_values_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("esmlog.toml");
        std::fs::write(&path, "tz = \"Europe/Helsinki\"\n\nquotta = 60000\n").unwrap();
        let e = read_config(&path).unwrap_err().to_string();
        assert!(e.contains("esmlog.toml:3:"), "{e}");
        assert!(e.contains("quotta"), "{e}");
        std::fs::write(&path, "quota = \"lots\"\n").unwrap();
        let e = read_config(&path).unwrap_err().to_string();
        assert!(e.contains("esmlog.toml:1:"), "{e}");
        std::fs::write(
            &path,
            "tz = \"Europe/Helsinki\"\nquota = 60000\n[environments]\nprod = [\"logs/prod\"]\n",
        )
        .unwrap();
        let config = read_config(&path).unwrap();
        assert_eq!(config.quota, Some(60000));
        assert_eq!(config.environments.unwrap()["prod"], vec!["logs/prod"]);
    }
}
