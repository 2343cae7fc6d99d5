//! Golden CLI tests: each `tests/cases/*.case` file holds a command line, its input files and
//! the expected output. `BLESS=1 cargo test --test golden` rewrites the expected stdout.
//!
//! Case format: header lines `args: …` (whitespace-separated; `{dir}` is the case's temporary
//! folder) and `exit: N`, then sections `--- file NAME` (a `.gz` name is gzipped),
//! `--- raw NAME` (written as is), `--- gzip NAME` (gzipped whatever its name),
//! `--- stdin`, `--- gzip stdin` (gzipped), `--- stdout` (must match exactly) and
//! `--- stderr` (each line must appear).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How a section's text becomes bytes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Packing {
    /// Gzipped when the name ends in `.gz`.
    ByName,
    Raw,
    Gzip,
}

fn gzipped(body: &str) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    gz.finish().unwrap()
}

#[derive(Default)]
struct Case {
    args: Vec<String>,
    exit: i32,
    /// (name, body, how it is written)
    files: Vec<(String, String, Packing)>,
    stdin: Option<(String, Packing)>,
    stdout: Option<String>,
    stderr: Vec<String>,
}

fn parse_case(text: &str) -> Case {
    let mut case = Case::default();
    let mut section: Option<(String, String)> = None;
    let mut sections = Vec::new();
    for line in text.split_inclusive('\n') {
        if let Some(header) = line.strip_prefix("--- ") {
            sections.extend(section.take());
            section = Some((header.trim().to_string(), String::new()));
        } else if let Some((_, body)) = &mut section {
            body.push_str(line);
        } else if let Some(args) = line.strip_prefix("args:") {
            case.args = args.split_whitespace().map(str::to_string).collect();
        } else if let Some(code) = line.strip_prefix("exit:") {
            case.exit = code.trim().parse().expect("exit code");
        }
    }
    sections.extend(section);
    for (header, body) in sections {
        match header.split_once(' ') {
            _ if header == "gzip stdin" => case.stdin = Some((body, Packing::Gzip)),
            Some(("file", name)) => case.files.push((name.to_string(), body, Packing::ByName)),
            Some(("raw", name)) => case.files.push((name.to_string(), body, Packing::Raw)),
            Some(("gzip", name)) => case.files.push((name.to_string(), body, Packing::Gzip)),
            _ if header == "stdin" => case.stdin = Some((body, Packing::Raw)),
            _ if header == "stdout" => case.stdout = Some(body),
            _ if header == "stderr" => {
                case.stderr = body
                    .lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_string)
                    .collect()
            }
            _ => panic!("unknown section `--- {header}`"),
        }
    }
    case
}

fn bytes_of(name: &str, body: &str, packing: Packing) -> Vec<u8> {
    match packing {
        Packing::Gzip => gzipped(body),
        Packing::ByName if name.ends_with(".gz") => gzipped(body),
        _ => body.as_bytes().to_vec(),
    }
}

fn write_file(dir: &Path, name: &str, body: &str, packing: Packing) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes_of(name, body, packing)).unwrap();
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap();
    let case = parse_case(&text);
    let dir = tempfile::tempdir().unwrap();
    for (name, body, packing) in &case.files {
        write_file(dir.path(), name, body, *packing);
    }
    let dir_text = dir.path().display().to_string();
    let args: Vec<String> = case
        .args
        .iter()
        .map(|a| a.replace("{dir}", &dir_text))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(&args)
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = case
        .stdin
        .as_ref()
        .map_or_else(Vec::new, |(body, packing)| bytes_of("-", body, *packing));
    stdin.write_all(&input).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).replace(&dir_text, "{dir}");
    let stderr = String::from_utf8_lossy(&output.stderr).replace(&dir_text, "{dir}");
    let mut failures = Vec::new();
    if output.status.code() != Some(case.exit) {
        failures.push(format!(
            "exit code {:?}, expected {}",
            output.status.code(),
            case.exit
        ));
    }
    match &case.stdout {
        Some(expected) if *expected != stdout => {
            if std::env::var_os("BLESS").is_some() {
                bless(path, &text, &stdout);
            } else {
                failures.push(format!(
                    "stdout differs:\n--- expected\n{expected}--- got\n{stdout}"
                ));
            }
        }
        _ => {}
    }
    for line in &case.stderr {
        if !stderr.contains(line.as_str()) {
            failures.push(format!("stderr lacks `{line}`"));
        }
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{}: {}\nstderr was:\n{stderr}",
            path.display(),
            failures.join("\n")
        ))
    }
}

fn bless(path: &Path, text: &str, stdout: &str) {
    let start = text.find("--- stdout\n").expect("stdout section") + "--- stdout\n".len();
    // The next section, which may follow an empty stdout at once.
    let end = if text[start..].starts_with("--- ") {
        start
    } else {
        text[start..]
            .find("\n--- ")
            .map_or(text.len(), |i| start + i + 1)
    };
    let updated = format!("{}{}{}", &text[..start], stdout, &text[end..]);
    std::fs::write(path, updated).unwrap();
}

#[test]
fn golden_cases() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 10,
        "expected the golden cases in {}",
        dir.display()
    );
    let failures: Vec<String> = paths.iter().filter_map(|p| run_case(p).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}
