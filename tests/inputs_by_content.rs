//! Inputs that must neither stop nor fool a run: a FIFO in a folder, a UTF-16 log as
//! Windows PowerShell writes it, and gzip data under a plain name.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str = "\
2023-10-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-10-10T11:51:27+0300
2023-10-16 00:00:00,144|Usage,consumed,1500,rejected,2,since,2023-10-10T11:51:27+0300
2023-10-16 00:00:00,145|Statistics reset
";

/// Runs esmlog, killing it if it takes longer than `limit` (a run that blocks fails).
fn esmlog(args: &[&str], dir: &Path, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("esmlog {args:?} still ran after {limit:?}: it blocked");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[cfg(unix)]
#[test]
fn a_fifo_in_a_folder_is_skipped_not_read_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    std::fs::write(logs.join("usage.log"), USAGE).unwrap();
    let status = Command::new("mkfifo")
        .arg(logs.join("pipe"))
        .status()
        .unwrap();
    assert!(status.success());
    let out = esmlog(
        &["weekly", "--format", "csv", "logs"],
        dir.path(),
        Duration::from_secs(60),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("logs/pipe: not a regular file"), "{stderr}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("2023-W41,2023-10-09,1500,1500,"));
}

#[test]
fn a_utf16_log_with_a_byte_order_mark_is_read() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bom, big_endian) in [
        ("le.log", [0xFF, 0xFE], false),
        ("be.log", [0xFE, 0xFF], true),
    ] {
        let mut bytes = bom.to_vec();
        for unit in USAGE.replace('\n', "\r\n").encode_utf16() {
            bytes.extend_from_slice(&if big_endian {
                unit.to_be_bytes()
            } else {
                unit.to_le_bytes()
            });
        }
        std::fs::write(dir.path().join(name), bytes).unwrap();
        let out = esmlog(
            &["weekly", "--format", "csv", name],
            dir.path(),
            Duration::from_secs(60),
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert!(
            stdout.contains("2023-W41,2023-10-09,1500,1500,"),
            "{name}: {stdout}"
        );
    }
}

#[test]
fn gzip_is_known_by_its_bytes_on_stdin_and_under_any_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(USAGE.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    std::fs::write(dir.path().join("usage.log"), &gz).unwrap();
    let named = esmlog(
        &["weekly", "--format", "csv", "usage.log"],
        dir.path(),
        Duration::from_secs(60),
    );
    assert!(String::from_utf8_lossy(&named.stdout).contains("2023-W41,2023-10-09,1500,1500,"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(["weekly", "--format", "csv", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&gz).unwrap();
    let piped = child.wait_with_output().unwrap();
    assert!(String::from_utf8_lossy(&piped.stdout).contains("2023-W41,2023-10-09,1500,1500,"));
}
