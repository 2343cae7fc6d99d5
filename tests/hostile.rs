//! Hostile inputs through the real binary that need more than a case file: line ends mixed
//! per line, lines of many megabytes in bounded memory, thousands of files, files the system
//! refuses, hostile stdin, outputs over inputs and terminal escapes. The hostile inputs a
//! case file can hold (bad encodings, NUL bytes, byte-order marks, broken archives, loops,
//! repeats) are `tests/cases/hostile_*.case`, run by `tests/golden.rs`: what `esmlog` must do
//! with them is say what happened, keep every line accounted for, still give the figures of
//! what could be read, never crash, and exit 0, 1 or 2 as promised.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A complete week of the usage log: 2,779 consumed and 5 rejected.
const USAGE: &[&str] = &[
    "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300",
    "2023-04-12 04:54:00,643|Usage,consumed,2000,rejected,3,since,2023-04-11T11:51:27+0300",
    "2023-04-17 00:00:00,144|Usage,consumed,2779,rejected,5,since,2023-04-11T11:51:27+0300",
    "2023-04-17 00:00:00,145|Statistics reset",
];

/// Three calls (two successful) and a stack trace.
const INTEGRATION: &[&str] = &[
    "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms",
    "2023-04-11 20:34:01,002 WARN  [http-nio-8443-exec-3] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
    "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data/7 status=200 duration=812ms",
    "java.lang.IllegalStateException: datacard lock timeout",
    "\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)",
];

/// The week's figures when all of `USAGE` was read: consumed 2779, rejected 5, exact.
const WEEK: &str = "2023-W15,2023-04-10,2779,2779,,5,";

/// What a run of the binary gave.
#[derive(Debug)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn esmlog_in(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("esmlog starts");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn esmlog(dir: &Path, args: &[&str]) -> Run {
    esmlog_in(dir, args, b"")
}

fn lines(lines: &[&str], end: &str) -> Vec<u8> {
    lines
        .iter()
        .map(|l| format!("{l}{end}"))
        .collect::<String>()
        .into_bytes()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The value of `"key": N` in the first object of `json` that has it, after `from`.
fn json_number(json: &str, from: &str, key: &str) -> u64 {
    let start = json
        .find(from)
        .unwrap_or_else(|| panic!("{from} in {json}"));
    let rest = &json[start..];
    let at = rest
        .find(&format!("\"{key}\": "))
        .unwrap_or_else(|| panic!("{key} after {from} in {json}"));
    rest[at + key.len() + 4..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The week's consumed and rejected figures as `weekly --format csv` gives them.
fn weekly_csv(dir: &Path, paths: &[&str]) -> Run {
    let mut args = vec!["weekly", "--format", "csv"];
    args.extend(paths);
    esmlog(dir, &args)
}

/// LF, CRLF, a mix, and a file without its last line end all give the same figures, for
/// both kinds of log.
#[test]
fn line_ends_change_no_figure() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let variants: [(&str, WriteLines); 4] = [
        ("lf", |a| lines(a, "\n")),
        ("crlf", |a| lines(a, "\r\n")),
        ("mixed", mixed_ends),
        ("open", |a| a.join("\r\n").into_bytes()),
    ];
    let mut weekly = Vec::new();
    let mut calls = Vec::new();
    let mut checks = Vec::new();
    for (name, make) in variants {
        let usage = format!("{name}/u.log");
        let integration = format!("{name}/integration.log");
        write(d, &usage, &make(USAGE));
        write(d, &integration, &make(INTEGRATION));
        weekly.push(esmlog(d, &["weekly", "--format", "json", &usage]).stdout);
        calls.push(
            esmlog(
                d,
                &[
                    "calls",
                    "--format",
                    "json",
                    "--by",
                    "user,endpoint",
                    &integration,
                ],
            )
            .stdout,
        );
        let check = esmlog(d, &["check", "--format", "csv", name]);
        assert_eq!(check.code, 0, "{name}: {}", check.stderr);
        checks.push(check.stdout.replace(&format!("{name}/"), "X/"));
    }
    assert!(weekly[0].contains("\"consumed\": 2779"), "{}", weekly[0]);
    assert!(calls[0].contains("\"calls\": 3"), "{}", calls[0]);
    for i in 1..4 {
        assert_eq!(weekly[i], weekly[0], "usage log, variant {i}");
        assert_eq!(calls[i], calls[0], "integration.log, variant {i}");
        assert_eq!(checks[i], checks[0], "check, variant {i}");
    }
}

/// Writes lines with some choice of line ends.
type WriteLines = fn(&[&str]) -> Vec<u8>;

/// Lines ending in CRLF and LF by turns.
fn mixed_ends(all: &[&str]) -> Vec<u8> {
    all.iter()
        .enumerate()
        .map(|(i, l)| format!("{l}{}", if i % 2 == 0 { "\r\n" } else { "\n" }))
        .collect::<String>()
        .into_bytes()
}

/// Peak resident memory of a child, polled from /proc until it exits: VmHWM only grows, so
/// the last reading is the peak up to moments before exit.
fn peak_memory_kib(mut child: std::process::Child) -> (u64, std::process::Output) {
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    (peak, child.wait_with_output().unwrap())
}

/// A line of 64 MB in either kind of log is reported with its length, the other lines still
/// count, and memory stays far below the line's size: it is never held whole.
#[test]
fn a_line_of_many_megabytes_is_reported_in_bounded_memory() {
    const HUGE: usize = 64 << 20;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let huge = "A".repeat(HUGE);
    let mut usage = lines(&USAGE[..2], "\n");
    usage.extend_from_slice(format!("{huge}\n").as_bytes());
    usage.extend(lines(&USAGE[2..], "\n"));
    write(d, "usage/u.log", &usage);
    let mut integration = lines(&INTEGRATION[..1], "\n");
    integration.extend_from_slice(format!("x{huge}\n").as_bytes());
    integration.extend(lines(&INTEGRATION[1..], "\n"));
    write(d, "integration/integration.log", &integration);
    drop(huge);

    for (folder, expect_lines, expect_line, expect_parsed) in
        [("usage", 5, 3, 4), ("integration", 6, 2, 3)]
    {
        let child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
            .args(["check", "--format", "json", folder])
            .current_dir(d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (peak_kib, out) = peak_memory_kib(child);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{folder}: {stdout}");
        assert_eq!(
            json_number(&stdout, "\"path\"", "lines"),
            expect_lines,
            "{folder}: {stdout}"
        );
        assert_eq!(
            json_number(&stdout, "\"path\"", "parsed"),
            expect_parsed,
            "{folder}: {stdout}"
        );
        assert!(
            stdout.contains(&format!("\"line\": {expect_line}")) && stdout.contains("byte limit"),
            "{folder}: the long line is reported with its line number: {stdout}"
        );
        assert!(
            stdout.len() < 20_000,
            "{folder}: the line is excerpted, not copied: {} bytes",
            stdout.len()
        );
        assert!(
            peak_kib > 0 && peak_kib < (HUGE as u64 / 1024) / 2,
            "{folder}: peak memory {peak_kib} KiB for a {} MiB line",
            HUGE >> 20
        );
    }
}

/// A folder of 2,000 files, the usage log cut into one line per file and the lines given
/// twice over (overlapping rotations): the same week as the one file, every line checked.
#[test]
fn a_folder_of_two_thousand_files() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "one/u.log", &lines(USAGE, "\n"));
    let mut all = Vec::new();
    // 996 filler lines in the same period, before the week's first line.
    let start = chrono::NaiveDate::from_ymd_opt(2023, 4, 11)
        .unwrap()
        .and_hms_opt(11, 52, 0)
        .unwrap();
    for i in 0..996u32 {
        let t = start + chrono::Duration::seconds(i64::from(i));
        all.push(format!(
            "{}|Usage,consumed,{},rejected,0,since,2023-04-11T11:51:27+0300",
            t.format("%Y-%m-%d %H:%M:%S,000"),
            0
        ));
    }
    all.extend(USAGE.iter().map(|l| l.to_string()));
    assert_eq!(all.len(), 1000);
    for (i, line) in all.iter().enumerate() {
        write(
            d,
            &format!("many/a/u.log.{i}"),
            format!("{line}\n").as_bytes(),
        );
        write(
            d,
            &format!("many/b/u.log.{i}"),
            format!("{line}\n").as_bytes(),
        );
    }
    let one = weekly_csv(d, &["one"]);
    let many = weekly_csv(d, &["many"]);
    assert_eq!(one.code, 0, "{}", one.stderr);
    assert!(one.stdout.contains(WEEK), "{}", one.stdout);
    assert_eq!(many.code, 0, "{}", many.stderr);
    assert_eq!(many.stdout, one.stdout);
    let check = esmlog(d, &["check", "--format", "json", "many"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(check.stdout.matches("\"kind\": \"usage\"").count(), 2000);
    assert_eq!(check.stdout.matches("\"duplicates\": 1").count(), 1000);
}

/// An input that exists but cannot be read is an error naming it (exit 2), and the other
/// inputs are still reported. chmod 000 does not stop root, so the unreadable input is one
/// the kernel refuses to everyone: a folder opened as a file is not it (folders are read),
/// but /proc/self/mem is a file whose reading at offset 0 fails with EIO.
#[test]
fn an_unreadable_file_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "u.log", &lines(USAGE, "\n"));
    let locked = write(d, "locked.log", &lines(USAGE, "\n"));
    let mut inputs = vec!["u.log".to_string()];
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
        if std::fs::read(&locked).is_err() {
            inputs.push("locked.log".into());
        } else {
            eprintln!(
                "running as root: chmod 000 does not stop reading; testing /proc/self/mem only"
            );
        }
    }
    std::os::unix::fs::symlink("/proc/self/mem", d.join("mem.log")).unwrap();
    inputs.push("mem.log".into());
    let mut args = vec!["weekly", "--format", "csv"];
    args.extend(inputs.iter().map(String::as_str));
    let run = esmlog(d, &args);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stdout.contains(WEEK), "{run:?}");
    for name in &inputs[1..] {
        assert!(
            run.stderr.contains(&format!("{name}: cannot be read")),
            "{name} named as unreadable: {}",
            run.stderr
        );
    }
}

/// stdin is one more input, with the same hostile bytes: a BOM, CRLF and NUL bytes.
#[test]
fn stdin_with_hostile_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(lines(USAGE, "\r\n"));
    bytes.extend_from_slice(b"\x00\xff\r\n");
    let run = esmlog_in(dir.path(), &["check", "--format", "json", "-"], &bytes);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(json_number(&run.stdout, "\"path\"", "parsed"), 4);
    assert_eq!(json_number(&run.stdout, "\"path\"", "malformed"), 1);
    assert_eq!(json_number(&run.stdout, "\"path\"", "lines"), 5);
}

/// An output is never written over an input, even named another way (through a link), and a
/// refused output leaves the input as it was and no temporary file behind.
#[test]
fn outputs_never_overwrite_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let usage = lines(USAGE, "\n");
    write(d, "logs/u.log", &usage);
    std::os::unix::fs::symlink("logs/u.log", d.join("link.log")).unwrap();
    for target in ["logs/u.log", "link.log", "./logs/../logs/u.log"] {
        let run = esmlog(
            d,
            &["weekly", "logs", "--format", "csv", "--output", target],
        );
        assert_eq!(run.code, 2, "{target}: {run:?}");
        assert!(
            run.stderr.contains(target),
            "{target}: named: {}",
            run.stderr
        );
        assert_eq!(
            std::fs::read(d.join("logs/u.log")).unwrap(),
            usage,
            "{target}"
        );
        let run = esmlog(d, &["weekly", "logs", "--chart", target]);
        assert_eq!(run.code, 2, "{target}: chart: {run:?}");
        assert_eq!(
            std::fs::read(d.join("logs/u.log")).unwrap(),
            usage,
            "{target}"
        );
    }
    let names: Vec<String> = std::fs::read_dir(d.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["u.log"], "no temporary file left beside the input");
    // And a good output is written whole.
    let run = esmlog(
        d,
        &["weekly", "logs", "--format", "csv", "--output", "out.csv"],
    );
    assert_eq!(run.code, 0, "{run:?}");
    assert!(std::fs::read_to_string(d.join("out.csv"))
        .unwrap()
        .contains(WEEK));
}

/// A log line holding terminal escape sequences (clear the screen, set the window title,
/// ring the bell) is shown in warnings and in `check`, but cannot drive the terminal.
#[test]
fn terminal_escapes_in_log_lines_stay_inert() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut bytes = lines(USAGE, "\n");
    bytes.extend_from_slice(b"\x1b[2J\x1b]0;pwned\x07 junk\r junk\n");
    write(d, "u.log", &bytes);
    let mut integration = b"\x1b[31morphan\x1b[0m\n".to_vec();
    integration.extend(lines(INTEGRATION, "\n"));
    write(d, "integration.log", &integration);
    for args in [
        &["weekly", "u.log"][..],
        &["calls", "integration.log"],
        &["check", "u.log", "integration.log"],
        &["check", "--format", "md", "u.log", "integration.log"],
    ] {
        let run = esmlog(d, args);
        assert!(run.code <= 1, "{args:?}: {run:?}");
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains(['\u{1b}', '\u{7}', '\r']),
                "{args:?}: control character on {stream}: {text:?}"
            );
        }
        assert!(
            run.stdout.contains("pwned") || run.stderr.contains("pwned") || args[0] == "calls",
            "{args:?}: the line is still shown: {run:?}"
        );
    }
}
