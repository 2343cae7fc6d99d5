//! Settings from the config file and the environment, under the flags: one test per level of
//! precedence, and every way a config file can be wrong.

use std::path::Path;
use std::process::{Command, Output};

const USAGE: &str = "\
2023-10-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-10-10T11:51:27+0300
2023-10-16 00:00:00,144|Usage,consumed,1500,rejected,0,since,2023-10-10T11:51:27+0300
2023-10-16 00:00:00,145|Statistics reset
";

/// Runs esmlog in `dir` with `env` set and the process's own ESMLOG_ variables removed.
fn esmlog(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_esmlog"));
    command.args(args).current_dir(dir);
    for name in [
        "ESMLOG_TZ",
        "ESMLOG_QUOTA",
        "ESMLOG_LAYOUT",
        "ESMLOG_CONFIG",
    ] {
        command.env_remove(name);
    }
    // No user config folder leaks in.
    command.env("XDG_CONFIG_HOME", dir.join("no-such-folder"));
    command.envs(env.iter().copied());
    command.output().unwrap()
}

/// The `from` column of a setting in `check --show-config`.
fn source_of(output: &Output, key: &str) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find(|l| l.starts_with(&format!("{key} ")))
        .unwrap_or_else(|| panic!("no {key} in {stdout}"))
        .to_string()
}

fn folder(config: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("u.log"), USAGE).unwrap();
    if let Some(text) = config {
        std::fs::write(dir.path().join("esmlog.toml"), text).unwrap();
    }
    dir
}

#[test]
fn without_anything_the_default_holds() {
    let dir = folder(None);
    let out = esmlog(dir.path(), &["check", "--show-config", "u.log"], &[]);
    let tz = source_of(&out, "tz");
    assert!(tz.ends_with("default"), "{tz}");
    // `auto`: ESM's layout when it fits, else one inferred from the lines.
    let layout = source_of(&out, "layout");
    assert!(
        layout.contains("auto") && layout.ends_with("default"),
        "{layout}"
    );
}

#[test]
fn the_file_beats_the_default() {
    let dir = folder(Some("tz = \"Europe/Helsinki\"\nquota = 3000\n"));
    let out = esmlog(dir.path(), &["check", "--show-config", "u.log"], &[]);
    let tz = source_of(&out, "tz");
    assert!(
        tz.contains("Europe/Helsinki") && tz.contains("file (esmlog.toml)"),
        "{tz}"
    );
    // The file's quota reaches the report.
    let out = esmlog(dir.path(), &["monthly", "--format", "json", "u.log"], &[]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["quota"]["quota"], 3000, "{json}");
}

#[test]
fn the_environment_beats_the_file() {
    let dir = folder(Some("tz = \"Europe/Helsinki\"\n"));
    let out = esmlog(
        dir.path(),
        &["check", "--show-config", "u.log"],
        &[("ESMLOG_TZ", "Europe/Riga")],
    );
    let tz = source_of(&out, "tz");
    assert!(
        tz.contains("Europe/Riga") && tz.contains("environment (ESMLOG_TZ)"),
        "{tz}"
    );
    let out = esmlog(
        dir.path(),
        &["monthly", "--format", "json", "u.log"],
        &[("ESMLOG_QUOTA", "4000")],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["quota"]["quota"], 4000, "{json}");
}

#[test]
fn a_flag_beats_the_environment() {
    let dir = folder(Some("tz = \"Europe/Helsinki\"\n"));
    let out = esmlog(
        dir.path(),
        &["check", "--show-config", "--tz", "Europe/Sofia", "u.log"],
        &[("ESMLOG_TZ", "Europe/Riga")],
    );
    let tz = source_of(&out, "tz");
    assert!(tz.contains("Europe/Sofia") && tz.ends_with("flag"), "{tz}");
}

#[test]
fn a_named_config_file_and_its_environments() {
    let dir = folder(None);
    std::fs::write(
        dir.path().join("fleet.toml"),
        "[environments]\nprod = [\"u.log\"]\n",
    )
    .unwrap();
    // No paths on the command line: the file's environments are the inputs.
    for args in [
        vec!["weekly", "--format", "csv", "--config", "fleet.toml"],
        vec!["weekly", "--format", "csv"],
    ] {
        let out = esmlog(dir.path(), &args, &[("ESMLOG_CONFIG", "fleet.toml")]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stdout}");
        // One environment: its report, without an environment column.
        assert!(
            stdout.contains("2023-W41,2023-10-09,1500,1500,"),
            "{args:?}: {stdout}"
        );
    }
}

#[test]
fn a_bad_config_file_is_an_error_naming_file_line_and_key() {
    for (text, line, words) in [
        ("tz = \"Europe/Helsinki\"\n\nquotta = 1\n", 3, "quotta"),
        ("quota = \"lots\"\n", 1, "quota"),
        ("tz = \n", 1, ""),
        ("[environments]\nprod = \"not a list\"\n", 2, ""),
    ] {
        let dir = folder(Some(text));
        let out = esmlog(dir.path(), &["weekly", "u.log"], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{text}: {stderr}");
        assert!(
            stderr.contains(&format!("esmlog.toml:{line}:")),
            "{text}: {stderr}"
        );
        assert!(stderr.contains(words), "{text}: {stderr}");
    }
    // A file named by the flag must exist.
    let dir = folder(None);
    let out = esmlog(
        dir.path(),
        &["weekly", "--config", "missing.toml", "u.log"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.toml"));
}

#[test]
fn completions_and_the_manual() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = esmlog(dir.path(), &["completions", shell], &[]);
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("weekly"),
            "{shell}"
        );
        if shell == "bash" {
            let path = dir.path().join("esmlog.bash");
            std::fs::write(&path, &out.stdout).unwrap();
            let check = Command::new("bash").arg("-n").arg(&path).status().unwrap();
            assert!(check.success(), "bash -n rejects the bash completion");
        }
    }
    let out = esmlog(dir.path(), &["man"], &[]);
    let page = String::from_utf8_lossy(&out.stdout);
    for section in [
        ".TH esmlog 1",
        ".SH \"EXIT STATUS\"",
        ".SH ENVIRONMENT",
        "ESMLOG_TZ",
        ".SH FILES",
        "ESMLOG WEEKLY",
    ] {
        assert!(page.contains(section), "no {section} in the manual");
    }
    // `man -l` renders it where man is installed.
    if Command::new("man").arg("--version").output().is_ok() {
        let path = dir.path().join("esmlog.1");
        std::fs::write(&path, page.as_bytes()).unwrap();
        let rendered = Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .output()
            .unwrap();
        assert!(rendered.status.success());
        assert!(String::from_utf8_lossy(&rendered.stdout).contains("EXIT STATUS"));
    }
}

#[test]
fn a_windows_zone_name_works_as_flag_and_as_setting() {
    // ESM admins on Windows see `FLE Standard Time`; CLDR maps it to the zone of Helsinki.
    let dir = folder(Some("tz = \"FLE Standard Time\"\n"));
    for args in [
        vec![
            "weekly",
            "--format",
            "csv",
            "--tz",
            "FLE Standard Time",
            "u.log",
        ],
        vec!["weekly", "--format", "csv", "u.log"],
    ] {
        let out = esmlog(dir.path(), &args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(!stderr.contains("offsets differ"), "{args:?}: {stderr}");
        assert!(String::from_utf8_lossy(&out.stdout).contains("2023-W41,2023-10-09,1500,1500,"));
    }
    // A Windows zone of another offset contradicts the log.
    let out = esmlog(
        dir.path(),
        &["weekly", "--tz", "Pacific Standard Time", "u.log"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Europe/Helsinki"));
}
