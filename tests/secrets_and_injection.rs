//! Secrets and injection through the real binary, in every output of every command.
//!
//! Secrets (formats.md section 3: bearer tokens, JWTs, passwords, secrets, tokens, API keys)
//! are planted in user names, paths, messages, unparseable lines of both kinds of log, a
//! folder name and a command-line value; every command then runs in every format with every
//! chart, `report --out` and `check`, and no secret may appear in stdout, stderr or any file
//! written. With `--no-redact` each of them must appear (so that the test can fail) and a
//! warning must say so.
//!
//! Injection: user names and paths that are markup, table syntax or spreadsheet formulas
//! must come out as text in HTML, SVG, Markdown, CSV and the terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// Every secret planted, as the substring that must never be printed.
const SECRETS: &[&str] = &[
    // A JWT as a user name.
    "eyJzdWIiOiJTRUNSRVQxIn0",
    // A bearer token in a user name, quoted.
    "userBearerSecret9",
    // A JWT inside a path segment.
    "eyJwYXRoIjoiU0VDUkVUMiJ9",
    // A password in an unparseable usage line.
    "usagePwSecret3",
    // An API key in an orphan integration.log line.
    "orphanApiKeySecret4",
    // A bearer token in a suspicious (header-shaped) continuation line.
    "suspiciousBearer5",
    // A client secret in the folder name of an input.
    "dirSecret6",
    // A token in an input name given on the command line that does not exist.
    "cliTokenSecret7",
    // A session cookie in an unparseable usage line, after another cookie.
    "cookieSecret10",
    // A session id set by a Set-Cookie header in an orphan integration.log line.
    "setCookieSecret11",
    // An X-API-Key header in an orphan integration.log line.
    "xApiKeySecret12",
];

/// Secrets in text no output shows even with `--no-redact` (a call's error field, a login's
/// query string, a stack-trace line): still asserted absent from every output.
/// A JSESSIONID path parameter is cut from the endpoint a call is grouped by.
const UNSHOWN: &[&str] = &["errorPwSecret8", "pathSessionSecret13"];

const JWT_USER: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJTRUNSRVQxIn0.c2lnbmF0dXJl";
const JWT_PATH: &str = "eyJhbGciOiJub25lIn0.eyJwYXRoIjoiU0VDUkVUMiJ9.";

fn usage_log() -> String {
    [
        "2023-10-02 08:00:00,000|Usage,consumed,1000,rejected,10,since,2023-10-02T00:00:00+0300",
        "oops login failed password=usagePwSecret3 Authorization: Bearer usagePwSecret3",
        "request Cookie: lang=fi; JSESSIONID=cookieSecret10",
        "2023-10-05 12:00:00,000|Usage,consumed,2000,rejected,40,since,2023-10-02T00:00:00+0300",
        "2023-10-09 00:00:00,000|Usage,consumed,2500,rejected,50,since,2023-10-02T00:00:00+0300",
        "2023-10-09 00:00:00,001|Statistics reset",
        "2023-10-10 09:00:00,000|Usage,consumed,1000,rejected,5,since,2023-10-09T00:00:00+0300",
    ]
    .join("\n")
        + "\n"
}

fn integration_log() -> String {
    let mut lines = vec![
        "leftover api_key=orphanApiKeySecret4 from rotation".to_string(),
        "Set-Cookie: JSESSIONID=setCookieSecret11; Path=/; HttpOnly".to_string(),
        "request header X-API-Key: xApiKeySecret12".to_string(),
    ];
    let users = [
        format!("user={JWT_USER}"),
        "user=\"Bearer userBearerSecret9\"".to_string(),
        "user=CRM_SYNC".to_string(),
    ];
    for day in 2..=10 {
        for (i, user) in users.iter().enumerate() {
            for minute in 0..4 {
                let status = if minute == 3 { 429 } else { 200 };
                lines.push(format!(
                    "2023-10-{day:02} 1{i}:{minute:02}:00,000 INFO  [exec-{i}] com.efecte.rest.RestApiLogger - {user} ip=10.0.0.{i} method=GET path=/rest-api/itsm/v1/dc/{JWT_PATH}/data/{minute} status={status} duration={}ms error=\"password=errorPwSecret8\"",
                    10 + minute
                ));
            }
        }
        lines.push(format!(
            "2023-10-{day:02} 18:00:00,000 INFO  [exec-9] com.efecte.rest.RestApiLogger - {} method=POST path=/rest-api/itsm/v1/users/login?password=errorPwSecret8 status=200 duration=5ms",
            users[1]
        ));
        lines.push("\tat com.x.Login(password=errorPwSecret8)".into());
        lines.push(format!(
            "2023-10-{day:02} 19:00:00,000 INFO  [exec-9] com.efecte.rest.RestApiLogger - user=CRM_SYNC method=GET path=/rest-api/itsm/v1/dc/x/data;jsessionid=pathSessionSecret13 status=200 duration=5ms"
        ));
        lines.push(format!(
            "2023-10-{day:02} 25:00:00,000 INFO  [exec-1] header-shaped Authorization: Bearer suspiciousBearer5"
        ));
    }
    lines.join("\n") + "\n"
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn esmlog(dir: &Path, args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("esmlog runs");
    Run {
        code: out.status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Every command in every format with every chart, `report --out` and `check`, plus runs
/// whose error and warning messages carry a secret. Returns what was printed and written,
/// each with a label.
fn run_everything(no_redact: bool) -> Vec<(String, String)> {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let logs = d.join("logs/client_secret=dirSecret6");
    std::fs::create_dir_all(&logs).unwrap();
    std::fs::write(logs.join("Matrix42_rest_rest_api_usage.log"), usage_log()).unwrap();
    std::fs::write(logs.join("integration.log"), integration_log()).unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    let out_text = out.to_str().unwrap().to_string();

    let mut runs: Vec<Vec<String>> = Vec::new();
    for command in ["weekly", "monthly", "calls", "rejections", "check"] {
        for format in ["table", "csv", "json", "md"] {
            let mut args = vec![
                command.to_string(),
                "--format".into(),
                format.into(),
                "logs".into(),
                "--output".into(),
                format!("{out_text}/{command}.{format}"),
            ];
            if command == "calls" {
                args.extend(["--by".into(), "user,endpoint,ip".into()]);
            }
            runs.push(args.clone());
            // And the same to stdout.
            args.truncate(args.len() - 2);
            if command == "calls" {
                args.extend(["--by".into(), "user,endpoint,ip".into()]);
            }
            runs.push(args);
        }
    }
    let chart = |name: &str| format!("{out_text}/{name}.svg");
    for command in ["weekly", "monthly"] {
        runs.push(vec![
            command.into(),
            "logs".into(),
            "--chart".into(),
            chart(&format!("{command}-chart")),
            "--cumulative-chart".into(),
            chart(&format!("{command}-cumulative")),
        ]);
    }
    runs.push(vec![
        "calls".into(),
        "logs".into(),
        "--chart".into(),
        chart("calls-users"),
        "--heatmap".into(),
        chart("calls-heatmap"),
        "--load-chart".into(),
        chart("calls-load"),
    ]);
    runs.push(vec![
        "rejections".into(),
        "logs".into(),
        "--chart".into(),
        chart("rejections"),
    ]);
    runs.push(vec![
        "report".into(),
        "logs".into(),
        "--all".into(),
        "--out".into(),
        format!("{out_text}/bundle"),
    ]);
    runs.push(vec![
        "report".into(),
        "logs".into(),
        "--out".into(),
        format!("{out_text}/bundle-month"),
    ]);
    // Error messages: a missing input whose name holds a token, a layout that names one.
    runs.push(vec![
        "weekly".into(),
        "logs".into(),
        "missing/token=cliTokenSecret7.log".into(),
    ]);
    runs.push(vec![
        "check".into(),
        "--layout".into(),
        "%d [token=cliTokenSecret7] %m%n".into(),
        "logs".into(),
    ]);

    let mut seen = Vec::new();
    for mut args in runs {
        if no_redact {
            args.push("--no-redact".into());
        }
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = esmlog(d, &argv);
        assert!(
            run.code <= 2 && !run.stderr.contains("panicked"),
            "{args:?}: exit {} {}",
            run.code,
            run.stderr
        );
        if args.iter().any(|a| a.contains("cliTokenSecret7.log")) {
            assert_eq!(run.code, 2, "{args:?}: a missing input is an error");
        } else if args[0] != "check" && args[0] != "rejections" {
            assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        }
        if no_redact {
            assert!(
                run.stderr.contains("--no-redact"),
                "{args:?}: --no-redact is announced on stderr: {}",
                run.stderr
            );
        }
        seen.push((format!("stdout of {args:?}"), run.stdout));
        seen.push((format!("stderr of {args:?}"), run.stderr));
    }
    let written = files_under(&out);
    // Every requested file was written: 5 commands × 4 formats, 7 charts, 2 bundles.
    assert!(
        written.len() >= 20 + 7 + 2 * 10,
        "{} files written: {written:?}",
        written.len()
    );
    for path in written {
        let bytes = std::fs::read(&path).unwrap();
        seen.push((
            path.display().to_string(),
            String::from_utf8_lossy(&bytes).into_owned(),
        ));
    }
    seen
}

#[test]
fn no_secret_in_any_output_unless_no_redact() {
    let redacted = run_everything(false);
    let mut leaks = Vec::new();
    for (label, text) in &redacted {
        for secret in SECRETS.iter().chain(UNSHOWN) {
            if text.contains(secret) {
                leaks.push(format!("{secret} in {label}"));
            }
        }
    }
    assert!(leaks.is_empty(), "secrets printed:\n{}", leaks.join("\n"));
    let all: String = redacted.iter().map(|(_, t)| t.as_str()).collect();
    assert!(
        all.contains("[REDACTED]"),
        "the secrets were read and redacted"
    );

    let plain = run_everything(true);
    let all: String = plain.iter().map(|(_, t)| t.as_str()).collect();
    let missing: Vec<&&str> = SECRETS.iter().filter(|s| !all.contains(**s)).collect();
    assert!(
        missing.is_empty(),
        "with --no-redact these secrets should appear somewhere: {missing:?}"
    );
}

/// Hostile names: markup, Markdown table syntax, spreadsheet formulas, terminal escapes and
/// line breaks.
const HOSTILE_USERS: &[&str] = &[
    "<script>alert(1)</script>",
    "a|b*c_d`e[x](http://evil)",
    "=HYPERLINK(\\\"http://evil\\\",\\\"x\\\")",
    "+SUM(1+1)",
    "-2+3",
    "@cmd",
    // A carriage return inside a name returns a terminal's cursor to the line's start.
    "cr\rinside",
    "red\u{1b}[31mALERT\u{1b}[0m",
];

fn hostile_integration_log() -> String {
    let mut lines = Vec::new();
    for day in 2..=4 {
        for (i, user) in HOSTILE_USERS.iter().enumerate() {
            lines.push(format!(
                "2023-10-{day:02} 10:{i:02}:00,000 INFO  [exec-1] com.efecte.rest.RestApiLogger - user=\"{user}\" method=GET path=/rest-api/itsm/v1/dc/<img src=x onerror=alert(1)>|*x*/data status={} duration=12ms",
                if i % 3 == 0 { 429 } else { 200 }
            ));
        }
    }
    lines.join("\n") + "\n"
}

/// The fields of one CSV line (RFC 4180 quoting; no line breaks inside quotes here, since
/// the test checks that none are written).
fn csv_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            ('"', _) => quoted = !quoted,
            (',', false) => fields.push(String::new()),
            (c, _) => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

fn assert_csv_inert(label: &str, csv: &str) {
    let mut width = None;
    for line in csv.lines() {
        let fields = csv_fields(line);
        if fields.len() == 1 && fields[0].is_empty() {
            width = None;
            continue;
        }
        // A new table starts after a header line; rows keep its width.
        match width {
            None => width = Some(fields.len()),
            Some(w) => assert_eq!(fields.len(), w, "{label}: {line:?}"),
        }
        for field in fields {
            let formula = field.starts_with(['=', '+', '@', '\t', '\r'])
                || (field.starts_with('-') && field.parse::<f64>().is_err());
            assert!(!formula, "{label}: live formula {field:?} in {line:?}");
        }
    }
}

fn assert_svg_is_text(label: &str, svg: &str) {
    let doc =
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{label}: not XML ({e}): {svg}"));
    assert!(
        !doc.descendants().any(|n| {
            let name = n.tag_name().name();
            name == "script" || name == "img" || n.attributes().any(|a| a.name().starts_with("on"))
        }),
        "{label}: log text became markup"
    );
}

#[test]
fn log_text_stays_text_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    let mut file = std::fs::File::create(d.join("logs/integration.log")).unwrap();
    file.write_all(hostile_integration_log().as_bytes())
        .unwrap();
    drop(file);
    // The report bundle needs the usage log too (its lines hold no hostile text).
    std::fs::write(
        d.join("logs/Matrix42_rest_rest_api_usage.log"),
        usage_log()
            .lines()
            .filter(|l| !l.starts_with("oops"))
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();

    // The names are read as they are meant: one row per hostile user.
    let json = esmlog(d, &["calls", "--format", "json", "logs"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let users: Vec<&str> = value["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["user"].as_str().unwrap())
        .collect();
    assert!(users.contains(&"<script>alert(1)</script>"), "{users:?}");
    assert!(users.contains(&"cr\rinside"), "{users:?}");
    assert_eq!(users.len(), HOSTILE_USERS.len(), "{users:?}");

    // Terminal: no escape sequence and no line break from the log reaches it.
    let table = esmlog(d, &["calls", "logs", "--by", "user,endpoint"]);
    assert!(!table.stdout.contains('\u{1b}'), "{}", table.stdout);
    assert!(!table.stdout.contains('\r'));
    assert!(
        table.stdout.lines().any(|l| l.starts_with("cr inside")),
        "{}",
        table.stdout
    );

    // Markdown: every row keeps the header's number of cells; no raw tag.
    let md = esmlog(
        d,
        &["calls", "--format", "md", "logs", "--by", "user,endpoint"],
    );
    assert!(!md.stdout.contains("<script"), "{}", md.stdout);
    assert!(!md.stdout.contains("<img"), "{}", md.stdout);
    assert!(md.stdout.contains("&lt;script&gt;"), "{}", md.stdout);
    let cells = |line: &str| {
        let bytes = line.as_bytes();
        (0..bytes.len())
            .filter(|&i| bytes[i] == b'|' && (i == 0 || bytes[i - 1] != b'\\'))
            .count()
    };
    for table in md.stdout.split("\n\n") {
        let rows: Vec<&str> = table.lines().filter(|l| l.starts_with('|')).collect();
        if let Some(header) = rows.first() {
            for row in &rows {
                assert_eq!(cells(row), cells(header), "{row}");
            }
        }
    }
    assert!(!md.stdout.contains('\u{1b}'));

    // CSV: formulas inert, rows whole.
    let csv = esmlog(
        d,
        &["calls", "--format", "csv", "logs", "--by", "user,endpoint"],
    );
    assert_csv_inert("calls csv", &csv.stdout);
    assert!(csv.stdout.contains("'=HYPERLINK("), "{}", csv.stdout);
    assert!(csv.stdout.contains("'@cmd"), "{}", csv.stdout);
    assert!(csv.stdout.contains("'-2+3"), "{}", csv.stdout);

    // SVG charts: well-formed XML whose text holds the names as text.
    let svg_path = d.join("users.svg");
    let run = esmlog(
        d,
        &[
            "calls",
            "logs",
            "--chart",
            svg_path.to_str().unwrap(),
            "--format",
            "json",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    assert_svg_is_text("users chart", &svg);
    assert!(svg.contains("&lt;script&gt;"), "the name is drawn, escaped");

    // The report bundle: HTML without markup from the log, Markdown, CSV, SVG.
    let bundle = d.join("bundle");
    let run = esmlog(
        d,
        &["report", "logs", "--all", "--out", bundle.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(bundle.join("index.html")).unwrap();
    assert!(!html.contains("<script"), "no script in index.html");
    assert!(
        !html.contains("<img"),
        "no image from the log in index.html"
    );
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains('\u{1b}'));
    let markdown = std::fs::read_to_string(bundle.join("report.md")).unwrap();
    assert!(!markdown.contains("<script") && !markdown.contains("<img"));
    for path in files_under(&bundle) {
        let text = std::fs::read_to_string(&path).unwrap();
        let label = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("csv") => assert_csv_inert(&label, &text),
            Some("svg") => assert_svg_is_text(&label, &text),
            Some("json") => {
                serde_json::from_str::<serde_json::Value>(&text).unwrap();
            }
            _ => {}
        }
    }

    // The CSV export neutralises formulas by the same rule as the reports.
    let dataset = d.join("dataset");
    let run = esmlog(
        d,
        &[
            "export",
            "--quiet",
            "--format",
            "csv",
            "logs",
            "--out",
            dataset.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let csvs: Vec<PathBuf> = files_under(&dataset)
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    assert!(!csvs.is_empty(), "no CSV in the export");
    let all: String = csvs
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    assert!(all.contains("'+SUM(1+1)"), "the export's user names: {all}");
    for path in csvs {
        assert_csv_inert(
            &path.display().to_string(),
            &std::fs::read_to_string(&path).unwrap(),
        );
    }
}

/// Every report's CSV (`--format csv` of each command, plain and with `--csv-crlf`) holds
/// the hostile names and a hostile file name as inert text, in rows of one width.
#[test]
fn every_report_csv_is_inert() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("logs")).unwrap();
    std::fs::write(d.join("logs/integration.log"), hostile_integration_log()).unwrap();
    std::fs::write(d.join("logs/Matrix42_rest_rest_api_usage.log"), usage_log()).unwrap();
    // A file name is input-derived text too: `check` writes it in its path column.
    std::fs::write(d.join("=HYPERLINK(1).log"), "not a log\n").unwrap();
    let mut seen = String::new();
    for command in ["weekly", "monthly", "calls", "rejections", "check"] {
        for crlf in [false, true] {
            let mut args = vec![command, "--format", "csv", "logs", "=HYPERLINK(1).log"];
            if crlf {
                args.push("--csv-crlf");
            }
            let run = esmlog(d, &args);
            assert_ne!(run.code, 2, "{command}: {}", run.stderr);
            let label = format!("{command} csv{}", if crlf { " crlf" } else { "" });
            assert!(!run.stdout.is_empty(), "{label}: no output");
            assert_csv_inert(&label, &run.stdout);
            let crlf_lines = run.stdout.matches("\r\n").count();
            let lines = run.stdout.matches('\n').count();
            if crlf {
                assert_eq!(crlf_lines, lines, "{label}: every line ends with CRLF");
            } else {
                assert_eq!(crlf_lines, 0, "{label}: LF only");
            }
            seen.push_str(&run.stdout);
        }
    }
    assert!(
        seen.contains("'=HYPERLINK(1).log"),
        "check's path column: {seen}"
    );
    assert!(
        seen.contains("'+SUM(1+1)"),
        "the users of calls and rejections: {seen}"
    );
}
