//! The command-line case runner: each `tests/cases/*.case` file holds a command line, its
//! input files and the expected output, for the golden reports and the hostile inputs alike.
//! `BLESS=1 cargo test --test golden` rewrites the expected stdout of exact cases.
//!
//! Case format: a first line saying what the case shows, header lines `args: …`
//! (whitespace-separated; `{dir}` is the case's temporary folder) and `exit: N`, then sections:
//!
//! - `--- file NAME [MOD…]` (a `.gz` name is gzipped), `--- raw NAME [MOD…]` (written as is),
//!   `--- gzip NAME [MOD…]` (gzipped whatever its name); modifiers, applied to the text before
//!   it is packed: `escaped` (`\xHH` is that byte, `\\` a backslash), `crlf` (every line
//!   ends in CRLF), `no-final-newline`;
//! - `--- zip ARCHIVE/MEMBER [MOD…]`: a member of the zip archive ARCHIVE (deflated);
//! - `--- truncate NAME`: the file, once written, loses its last N bytes (body `N`) or its
//!   second half (body `half`);
//! - `--- link NAME`: a symbolic link to the body's first line;
//! - `--- stdin`, `--- gzip stdin` (gzipped);
//! - `--- stdout` (must match exactly), `--- stdout contains` (each line must appear) and
//!   `--- stderr` (each line must appear).
//!
//! No case may panic.

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

fn gzipped(body: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body).unwrap();
    gz.finish().unwrap()
}

/// One input file of a case.
struct File {
    name: String,
    bytes: Vec<u8>,
    packing: Packing,
}

/// The modifiers of a file section, after its name.
const MODIFIERS: [&str; 3] = ["escaped", "crlf", "no-final-newline"];

/// How a file's text is turned into bytes before it is packed.
fn modified(body: &str, modifiers: &[&str]) -> Vec<u8> {
    let mut text = body.to_string();
    if modifiers.contains(&"no-final-newline") && text.ends_with('\n') {
        text.pop();
    }
    if modifiers.contains(&"crlf") {
        text = text.replace('\n', "\r\n");
    }
    if modifiers.contains(&"escaped") {
        unescape(&text)
    } else {
        text.into_bytes()
    }
}

/// `\xHH` as that byte and `\\` as one backslash: bytes a UTF-8 case file cannot hold.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'\\', Some(b'\\')) => {
                out.push(b'\\');
                i += 2;
            }
            (b'\\', Some(b'x')) => {
                let hex = std::str::from_utf8(&bytes[i + 2..i + 4]).unwrap();
                out.push(u8::from_str_radix(hex, 16).expect("\\xHH"));
                i += 4;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[derive(Default)]
struct Case {
    args: Vec<String>,
    exit: i32,
    files: Vec<File>,
    /// Zip archives: (archive, member, bytes), deflated in order.
    zip_members: Vec<(String, String, Vec<u8>)>,
    /// (name, `N` bytes to drop or `half`)
    truncations: Vec<(String, String)>,
    /// (link, target)
    links: Vec<(String, String)>,
    stdin: Option<(String, Packing)>,
    stdout: Option<String>,
    stdout_contains: Vec<String>,
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
    let lines_of = |body: &str| -> Vec<String> {
        body.lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    };
    for (header, body) in sections {
        // A file name may hold spaces: the known modifiers are the words at its end.
        let mut words: Vec<&str> = header.split_whitespace().collect();
        let mut modifiers: Vec<&str> = Vec::new();
        while words.len() > 2 && MODIFIERS.contains(words.last().unwrap()) {
            modifiers.insert(0, words.pop().unwrap());
        }
        let spaced;
        if words.len() > 2 && ["file", "raw", "gzip", "zip", "truncate", "link"].contains(&words[0])
        {
            spaced = words[1..].join(" ");
            words.truncate(1);
            words.push(&spaced);
        }
        match words.as_slice() {
            ["gzip", "stdin"] => case.stdin = Some((body, Packing::Gzip)),
            ["stdin"] => case.stdin = Some((body, Packing::Raw)),
            ["stdout"] => case.stdout = Some(body),
            ["stdout", "contains"] => case.stdout_contains = lines_of(&body),
            ["stderr"] => case.stderr = lines_of(&body),
            [kind @ ("file" | "raw" | "gzip"), name] => case.files.push(File {
                name: name.to_string(),
                bytes: modified(&body, &modifiers),
                packing: match *kind {
                    "file" => Packing::ByName,
                    "raw" => Packing::Raw,
                    _ => Packing::Gzip,
                },
            }),
            ["zip", path] => {
                let (archive, member) = path
                    .split_once(".zip/")
                    .expect("--- zip ARCHIVE.zip/MEMBER");
                case.zip_members.push((
                    format!("{archive}.zip"),
                    member.to_string(),
                    modified(&body, &modifiers),
                ));
            }
            ["truncate", name] => case
                .truncations
                .push((name.to_string(), body.trim().to_string())),
            ["link", name] => case.links.push((name.to_string(), body.trim().to_string())),
            _ => panic!("unknown section `--- {header}`"),
        }
    }
    case
}

fn bytes_of(name: &str, body: &[u8], packing: Packing) -> Vec<u8> {
    match packing {
        Packing::Gzip => gzipped(body),
        Packing::ByName if name.ends_with(".gz") => gzipped(body),
        _ => body.to_vec(),
    }
}

fn write_file(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Writes every input of `case` into `dir`: files, zip archives, truncations, then links.
fn write_inputs(dir: &Path, case: &Case) {
    for file in &case.files {
        write_file(
            dir,
            &file.name,
            &bytes_of(&file.name, &file.bytes, file.packing),
        );
    }
    let mut archives: Vec<&str> = case.zip_members.iter().map(|m| m.0.as_str()).collect();
    archives.dedup();
    for archive in archives {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (_, member, bytes) in case.zip_members.iter().filter(|m| m.0 == archive) {
            zip.start_file(member.as_str(), zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(bytes).unwrap();
        }
        write_file(dir, archive, &zip.finish().unwrap().into_inner());
    }
    for (name, cut) in &case.truncations {
        let path = dir.join(name);
        let bytes = std::fs::read(&path).unwrap();
        let keep = match cut.as_str() {
            "half" => bytes.len() / 2,
            n => bytes.len() - n.parse::<usize>().expect("truncate: N or half"),
        };
        std::fs::write(&path, &bytes[..keep]).unwrap();
    }
    for (name, target) in &case.links {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target, path).unwrap();
    }
}

fn run_case(path: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(path).unwrap();
    let case = parse_case(&text);
    let dir = tempfile::tempdir().unwrap();
    write_inputs(dir.path(), &case);
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
        .map_or_else(Vec::new, |(body, packing)| {
            bytes_of("-", body.as_bytes(), *packing)
        });
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
    for line in &case.stdout_contains {
        if !stdout.contains(line.as_str()) {
            failures.push(format!("stdout lacks `{line}`"));
        }
    }
    for line in &case.stderr {
        if !stderr.contains(line.as_str()) {
            failures.push(format!("stderr lacks `{line}`"));
        }
    }
    if stderr.contains("panicked") {
        failures.push("panicked".into());
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
    if !text.contains("--- stdout\n") {
        return;
    }
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
