//! Output discipline, through the binary: data on stdout (or `--output`) only, every status
//! line and warning on stderr, `-q` leaving errors alone, numbers grouped in the lines people
//! read, and `--color` with `NO_COLOR`.

use std::path::Path;
use std::process::{Command, Output};

const SAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-logs");

/// The first week of the bundled usage log, with one line that is not a usage line.
const USAGE: &str = "\
2023-10-02 08:00:00,000|Usage,consumed,1000,rejected,10,since,2023-10-02T00:00:00+0300
not a usage line
2023-10-05 12:00:00,000|Usage,consumed,2000,rejected,40,since,2023-10-02T00:00:00+0300
";

fn esmlog(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_esmlog"));
    command.current_dir(dir).args(args).env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn export_says_what_it_wrote_on_stderr_with_grouped_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("dataset");
    let run = esmlog(
        dir.path(),
        &[
            "export",
            "--format",
            "jsonl",
            SAMPLES,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(
        text(&run.stdout),
        "",
        "export writes its data to --out only"
    );
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains("esmlog: default: 55,766 calls in "),
        "{stderr}"
    );

    let quiet = esmlog(
        dir.path(),
        &[
            "export",
            "-q",
            "--format",
            "jsonl",
            SAMPLES,
            "--out",
            out.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stdout), "");
    assert_eq!(text(&quiet.stderr), "", "-q: not even the summary");
}

#[test]
fn report_and_generate_keep_stdout_for_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("usage.log"), USAGE).unwrap();
    let run = esmlog(d, &["report", "usage.log", "--all", "--out", "bundle"], &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert_eq!(text(&run.stdout), "");
    let stderr = text(&run.stderr);
    assert!(stderr.contains("esmlog: wrote the report for "), "{stderr}");
    assert!(stderr.contains("esmlog: warning: "), "{stderr}");
    assert!(d.join("bundle/index.html").exists());

    let quiet = esmlog(
        d,
        &["report", "-q", "usage.log", "--all", "--out", "bundle"],
        &[],
    );
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(text(&quiet.stdout), "");
    assert_eq!(text(&quiet.stderr), "", "-q silences warnings and status");

    let generated = esmlog(
        d,
        &["generate", "--out", "gen", "--weeks", "1", "--seed", "3"],
        &[],
    );
    assert_eq!(
        generated.status.code(),
        Some(0),
        "{}",
        text(&generated.stderr)
    );
    assert_eq!(text(&generated.stdout), "");
    let stderr = text(&generated.stderr);
    assert!(stderr.starts_with("esmlog: wrote "), "{stderr}");
    // Every count of a human line is grouped: the generated calls run into thousands.
    let calls = stderr
        .split(" calls")
        .next()
        .and_then(|s| s.rsplit('(').next())
        .unwrap();
    assert!(calls.contains(','), "{calls} in {stderr}");
}

#[test]
fn quiet_keeps_errors_and_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("usage.log"), USAGE).unwrap();
    let loud = esmlog(d, &["weekly", "usage.log", "missing.log"], &[]);
    let quiet = esmlog(d, &["weekly", "--quiet", "usage.log", "missing.log"], &[]);
    assert_eq!(loud.status.code(), Some(2));
    assert_eq!(quiet.status.code(), Some(2), "an error still fails the run");
    assert_eq!(loud.stdout, quiet.stdout, "the same table");
    assert!(text(&quiet.stdout).contains("2023-W40"));
    let (loud, quiet) = (text(&loud.stderr), text(&quiet.stderr));
    assert!(loud.contains("esmlog: warning: "), "{loud}");
    assert!(!quiet.contains("warning"), "{quiet}");
    assert!(
        quiet.contains("esmlog: error: ") && quiet.contains("missing.log"),
        "{quiet}"
    );
}

#[test]
fn colour_only_when_asked_or_on_a_terminal_without_no_color() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("usage.log"), USAGE).unwrap();
    let stderr = |args: &[&str], env: &[(&str, &str)]| {
        let mut all = vec!["weekly", "usage.log"];
        all.extend(args);
        text(&esmlog(d, &all, env).stderr)
    };
    let yellow = "\u{1b}[1;33mesmlog: warning:\u{1b}[0m ";
    assert!(stderr(&["--color", "always"], &[]).contains(yellow));
    assert!(
        stderr(&["--color", "always"], &[("NO_COLOR", "1")]).contains(yellow),
        "--color always beats NO_COLOR"
    );
    // The tests' stderr is a pipe, not a terminal: auto means no colour.
    for (args, env) in [
        (&[][..], &[][..]),
        (&["--color", "auto"][..], &[][..]),
        (&["--color", "never"][..], &[][..]),
        (&["--color", "auto"][..], &[("NO_COLOR", "1")][..]),
    ] {
        let got = stderr(args, env);
        assert!(got.contains("esmlog: warning: "), "{args:?}: {got}");
        assert!(!got.contains('\u{1b}'), "{args:?} {env:?}: {got:?}");
    }
}
