//! `esmlog report` end to end, on generated logs plus a few hostile lines: every file of the
//! bundle is there, the page carries the month's figure, no script, SVG that parses, no
//! secret, log text escaped, unrelated files left alone; and the page in a real browser.

use esmlog::generate::{generate, GenerateArgs};
use serde_json::Value;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const CHARTS: [&str; 7] = [
    "weekly-transactions.svg",
    "monthly-transactions.svg",
    "cumulative.svg",
    "rejections.svg",
    "top-users.svg",
    "weekday-hour.svg",
    "minute-load.svg",
];

const DATA: [&str; 8] = [
    "weeks.csv",
    "months.csv",
    "users.csv",
    "endpoints.csv",
    "spikes.csv",
    "rate-limit.csv",
    "logins.csv",
    "lines.csv",
];

/// A user whose name is markup, a secret in a query string, and an orphan line full of
/// secrets before the first entry.
const HOSTILE_INTEGRATION_LOG: &str = "\
orphan before any entry: password=hunter2 token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlc2ln
2023-10-15 10:00:00,000 INFO  [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=<b>x</b> ip=10.0.0.1 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=12ms
2023-10-15 10:00:01,000 INFO  [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=<b>x</b> ip=10.0.0.1 method=GET path=/rest-api/itsm/v1/dc/incident/data?password=hunter2 status=401 duration=12ms
";

fn esmlog(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_esmlog"))
        .args(args)
        .output()
        .unwrap()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Generated logs (three weeks from 2023-10-10 in Helsinki) with the hostile lines added,
/// in `dir/logs`; an output folder `dir/out` that already holds files of its owner.
fn logs_and_out(dir: &Path) -> (PathBuf, PathBuf) {
    let logs = dir.join("logs");
    generate(&GenerateArgs {
        seed: 7,
        weeks: 3,
        calls_per_hour: 80,
        start: "2023-10-10".parse().unwrap(),
        truth: Some(dir.join("truth.json")),
        ..GenerateArgs::new(logs.clone())
    })
    .unwrap();
    fs::write(
        logs.join("hostile-integration.log"),
        HOSTILE_INTEGRATION_LOG,
    )
    .unwrap();
    let usage = fs::read_to_string(logs.join("Matrix42_rest_rest_api_usage.log")).unwrap();
    let first = usage.lines().next().unwrap();
    // The repeated line counts once; the other is malformed and reported, redacted.
    fs::write(
        logs.join("hostile-usage.log"),
        format!("{first}\nnot a usage line password=hunter2\n"),
    )
    .unwrap();
    let out = dir.join("out");
    fs::create_dir_all(out.join("data")).unwrap();
    fs::write(out.join("keep.txt"), "the owner's notes").unwrap();
    fs::write(out.join("data").join("mine.csv"), "a,b\n").unwrap();
    (logs, out)
}

fn report(logs: &Path, out: &Path) -> Output {
    esmlog(&[
        "report",
        path(logs),
        "--out",
        path(out),
        "--month",
        "2023-10",
        "--tz",
        "Europe/Helsinki",
        "--quota",
        "60000",
    ])
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

/// Every `<svg …>…</svg>` of a page.
fn inline_svgs(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        let end = rest[start..].find("</svg>").expect("an <svg> is closed") + start + 6;
        found.push(&rest[start..end]);
        rest = &rest[end..];
    }
    found
}

#[test]
fn the_bundle_holds_the_months_figures_safely() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, out) = logs_and_out(dir.path());
    let run = report(&logs, &out);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "report failed: {stderr}");
    // The status line is for people, on stderr; stdout carries data only (here none).
    assert!(
        run.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    assert!(
        stderr.contains("esmlog: wrote the report for October 2023"),
        "{stderr}"
    );

    for file in ["index.html", "report.md", "summary.json"]
        .into_iter()
        .map(String::from)
        .chain(CHARTS.iter().map(|c| format!("charts/{c}")))
        .chain(DATA.iter().map(|d| format!("data/{d}")))
    {
        let meta = fs::metadata(out.join(&file)).unwrap_or_else(|_| panic!("{file} missing"));
        assert!(meta.len() > 0, "{file} is empty");
    }

    let monthly = esmlog(&[
        "monthly",
        "--format",
        "json",
        "--tz",
        "Europe/Helsinki",
        path(&logs),
    ]);
    assert!(monthly.status.success());
    let monthly: Value = serde_json::from_slice(&monthly.stdout).unwrap();
    let october = monthly["months"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["month"] == "2023-10")
        .unwrap();
    let consumed = october["consumed"].as_u64().unwrap();

    let html = fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains(&thousands(consumed)),
        "index.html lacks October's {consumed}"
    );
    assert!(!html.to_lowercase().contains("<script"));
    let svgs = inline_svgs(&html);
    assert_eq!(svgs.len(), CHARTS.len());
    for svg in &svgs {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("inline SVG: {e}"));
    }
    for chart in CHARTS {
        let svg = fs::read_to_string(out.join("charts").join(chart)).unwrap();
        let document = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{chart}: {e}"));
        // A title and a description first, for screen readers and the browser's tooltip.
        let root = document.root_element();
        let heads: Vec<&str> = root
            .children()
            .filter(|n| n.is_element())
            .take(2)
            .map(|n| n.tag_name().name())
            .collect();
        assert_eq!(heads, ["title", "desc"], "{chart}");
        for head in root.children().filter(|n| n.is_element()).take(2) {
            assert!(
                !head.text().unwrap_or("").trim().is_empty(),
                "{chart}: empty {head:?}"
            );
        }
    }
    chart_rules_hold(&out);
    needed_logins_never_exceed_the_logins(&out);
    // The problems of the line accounting are shown as code, not with literal backticks, and
    // long cells wrap rather than widen the page.
    let problems = html
        .split("<caption>First problems</caption>")
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the first problems are listed");
    assert!(problems.contains("<code>"), "{problems}");
    assert!(!problems.contains('`'), "{problems}");
    assert!(html.contains("td{overflow-wrap:anywhere}"));
    // Where the rejected calls went, and what to do about the rate limit.
    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    // Where the usage log and integration.log meet, each figure names its source.
    assert!(markdown.contains("Rejected calls (usage log)"));
    let meeting = markdown
        .lines()
        .find(|l| l.starts_with("The usage log counts "))
        .expect("the rejected calls of both sources");
    assert!(
        meeting.contains("integration.log, which logs each call, has"),
        "{meeting}"
    );
    let endpoints = markdown
        .split("**Top endpoints of rejected calls**")
        .nth(1)
        .expect("a table of the endpoints of rejected calls");
    // The header, the alignment row, then the endpoint with the most rejected calls.
    let first_row = endpoints
        .lines()
        .filter(|l| l.starts_with("| "))
        .nth(2)
        .unwrap();
    assert!(first_row.contains("| 429 |"), "{first_row}");
    let advice = markdown
        .lines()
        .find(|l| l.starts_with("**What to do:**"))
        .expect("advice on the rate limit");
    assert!(
        advice.contains("down to at most 30 calls a minute"),
        "{advice}"
    );

    assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"), "the user is shown");
    assert!(!html.contains("<b>x</b>"), "and escaped");
    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    assert!(markdown.contains("&lt;b&gt;x&lt;/b&gt;") && !markdown.contains("<b>x</b>"));
    assert!(
        html.contains("[REDACTED]"),
        "the orphan line is listed, redacted"
    );
    for file in files_under(&out) {
        let text = String::from_utf8_lossy(&fs::read(&file).unwrap()).into_owned();
        let name = file.display();
        assert!(!text.contains("eyJ"), "{name} holds a JWT");
        assert!(!text.contains("hunter2"), "{name} holds a password");
        assert!(!name.to_string().contains(".tmp-"), "{name} is a leftover");
    }

    let summary: Value =
        serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["period"], "2023-10");
    assert_eq!(summary["in_progress"], false);
    assert_eq!(summary["transactions"]["estimate"], consumed);
    assert_eq!(
        summary["transactions"]["min"],
        october["consumed_min"].as_u64().unwrap()
    );
    assert_eq!(summary["quota"]["label"], "2023-10");
    assert!(summary["spikes"].as_u64().unwrap() >= 1);
    assert!(!summary["top_users"].as_array().unwrap().is_empty());
    assert!(
        summary["line_accounting"]["files"]
            .as_array()
            .unwrap()
            .len()
            >= 4
    );

    // The owner's files are untouched, and a second run overwrites only the bundle's.
    let again = report(&logs, &out);
    assert!(again.status.success());
    assert_eq!(
        fs::read_to_string(out.join("keep.txt")).unwrap(),
        "the owner's notes"
    );
    assert_eq!(
        fs::read_to_string(out.join("data").join("mine.csv")).unwrap(),
        "a,b\n"
    );
    assert_eq!(fs::read_to_string(out.join("index.html")).unwrap(), html);
}

#[test]
fn a_month_without_data_is_an_error_listing_the_months() {
    let dir = tempfile::tempdir().unwrap();
    let (logs, _) = logs_and_out(dir.path());
    let out = dir.path().join("never");
    let run = esmlog(&[
        "report",
        path(&logs),
        "--out",
        path(&out),
        "--month",
        "2031-01",
        "--quiet",
    ]);
    assert_eq!(run.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("2031-01"), "{stderr}");
    assert!(stderr.contains("2023-10, 2023-11"), "{stderr}");
    assert!(!out.exists(), "nothing is written");
}

/// Debian's `chromium`, or the other names it goes by, when one is installed.
fn chromium() -> Option<PathBuf> {
    let names = ["chromium", "chromium-browser", "google-chrome"];
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|candidate| candidate.is_file())
}

/// Runs headless Chromium on `page` with `extra` flags and a fresh profile; gives up after
/// two minutes.
fn headless(browser: &Path, page: &Path, extra: &[String]) -> Output {
    let profile = tempfile::tempdir().unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    // A DOM dump can outgrow the pipe: read it while waiting.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).unwrap();
        bytes
    });
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = Vec::new();
            if let Some(mut e) = child.stderr.take() {
                std::io::Read::read_to_end(&mut e, &mut stderr).unwrap();
            }
            return Output {
                status,
                stdout: reader.join().unwrap(),
                stderr,
            };
        }
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("chromium did not finish in two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_page_renders_in_a_real_browser() {
    let Some(browser) = chromium() else {
        // CI must run it: a skipped browser test would pass there without testing anything.
        assert!(
            std::env::var_os("ESMLOG_REQUIRE_BROWSER").is_none(),
            "ESMLOG_REQUIRE_BROWSER is set but no chromium is on PATH: apt-get install chromium"
        );
        eprintln!(
            "skipped the_page_renders_in_a_real_browser: no chromium on PATH \
             (install Debian's `chromium` to run it; .ci/run does, and requires it)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (logs, out) = logs_and_out(dir.path());
    assert!(report(&logs, &out).status.success());
    let page = out.join("index.html").canonicalize().unwrap();

    let dom = headless(&browser, &page, &["--dump-dom".to_string()]);
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(dom.contains("REST API report: October 2023"), "{dom}");
    assert_eq!(dom.matches("<svg").count(), CHARTS.len());
    assert!(!dom.contains("<b>x</b>"));

    no_sideways_scroll_at_1280px(&browser, &page);

    let shot = dir.path().join("page.png");
    let run = headless(
        &browser,
        &page,
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1200,3000".to_string(),
        ],
    );
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let png = fs::read(&shot).expect("a screenshot");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((width, height), (1200, 3000));
    // A blank page of this size compresses to about 15 KB; charts and text take hundreds.
    assert!(
        png.len() > 60_000,
        "the screenshot looks blank: {} bytes",
        png.len()
    );
}

/// At a window 1280 px wide, neither the page nor the line-accounting table scrolls
/// sideways. The page has no script of its own, so a copy of it beside it (same folder, same
/// links) gets one that measures the laid-out page and writes the widths into the DOM, which
/// `--dump-dom` prints: `page` is the document's scroll width against the window's, and each
/// table wrapper (which scrolls sideways, `overflow-x: auto`, when its table is too wide)
/// its scroll width against its visible width.
fn no_sideways_scroll_at_1280px(browser: &Path, page: &Path) {
    let html = fs::read_to_string(page).unwrap();
    let script = "<script>\n\
        const rows = ['page\\t' + document.documentElement.scrollWidth + '\\t' + window.innerWidth];\n\
        for (const wrap of document.querySelectorAll('.table-wrap')) {\n\
          const caption = wrap.querySelector('caption');\n\
          rows.push((caption ? caption.textContent : '?') + '\\t' + wrap.scrollWidth + '\\t' + wrap.clientWidth);\n\
        }\n\
        const pre = document.createElement('pre');\n\
        pre.id = 'measured';\n\
        pre.textContent = rows.join('\\n');\n\
        document.body.appendChild(pre);\n\
        </script>\n";
    assert!(html.contains("</body>"));
    // The page forbids scripts (its Content-Security-Policy); the measuring copy allows its
    // own inline one and changes nothing else.
    let policy = "default-src 'none'; style-src 'unsafe-inline'";
    assert!(html.contains(policy), "the page's policy changed");
    let measuring = html
        .replace(policy, &format!("{policy}; script-src 'unsafe-inline'"))
        .replace("</body>", &format!("{script}</body>"));
    let measured_page = page.with_file_name("measure-width.html");
    fs::write(&measured_page, measuring).unwrap();
    let dom = headless(
        browser,
        &measured_page,
        &[
            "--dump-dom".to_string(),
            "--window-size=1280,900".to_string(),
        ],
    );
    fs::remove_file(&measured_page).unwrap();
    assert!(
        dom.status.success(),
        "{}",
        String::from_utf8_lossy(&dom.stderr)
    );
    let dom = String::from_utf8_lossy(&dom.stdout);
    let measured = dom
        .split_once("<pre id=\"measured\">")
        .and_then(|(_, rest)| rest.split_once("</pre>"))
        .map(|(text, _)| text)
        .unwrap_or_else(|| panic!("the measuring script did not run: {dom}"));
    let widths: Vec<(&str, u32, u32)> = measured
        .lines()
        .map(|line| {
            let mut cells = line.split('\t');
            let name = cells.next().unwrap();
            let mut number = || cells.next().unwrap().trim().parse::<u32>().unwrap();
            (name, number(), number())
        })
        .collect();
    let (_, page_width, window) = widths[0];
    assert_eq!(window, 1280, "the window is not 1280 px wide: {measured}");
    assert!(
        page_width <= 1280,
        "the page scrolls sideways at 1280 px: {measured}"
    );
    let lines = widths
        .iter()
        .find(|(name, ..)| *name == "Line accounting per input")
        .unwrap_or_else(|| panic!("no line-accounting table: {measured}"));
    assert!(
        lines.1 <= lines.2,
        "the line-accounting table scrolls sideways at 1280 px ({} px of content in {} px): {measured}",
        lines.1,
        lines.2
    );
}

/// The charts compare like with like: the rate-limit chart's count of user-minutes at or over
/// the limit is the rate-limit table's, and the heatmap says it shows means per weekday.
fn chart_rules_hold(out: &Path) {
    let table = fs::read_to_string(out.join("data").join("rate-limit.csv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = header
        .iter()
        .position(|c| *c == "minutes_at_or_over")
        .unwrap_or_else(|| panic!("rate-limit.csv: {header:?}"));
    let user_minutes: u64 = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split(',').nth(column).unwrap().parse::<u64>().unwrap())
        .sum();
    assert!(user_minutes > 0, "the generated spikes go over the limit");
    let load = fs::read_to_string(out.join("charts").join("minute-load.svg")).unwrap();
    let legend = format!(
        "a user at or over the limit ({} user-minutes)",
        thousands(user_minutes)
    );
    assert!(load.contains(&legend), "minute-load.svg lacks `{legend}`");
    assert!(load.contains("per-user rate limit"));

    let heatmap = fs::read_to_string(out.join("charts").join("weekday-hour.svg")).unwrap();
    assert!(heatmap.contains("mean per weekday"));
    assert!(heatmap.contains("calls on average"));
}

/// The avoidable-logins table: no user needs more logins than they made.
fn needed_logins_never_exceed_the_logins(out: &Path) {
    let table = fs::read_to_string(out.join("data").join("logins.csv")).unwrap();
    let mut lines = table.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|c| *c == name)
            .unwrap_or_else(|| panic!("logins.csv: {header:?}"))
    };
    let (logins, needed) = (column("logins"), column("needed"));
    let mut rows = 0;
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split(',').collect();
        let made: u64 = fields[logins].parse().unwrap();
        let least: u64 = fields[needed].parse().unwrap();
        assert!(least <= made, "logins.csv: {line}");
        rows += 1;
    }
    assert!(rows > 0, "the generated users log in");
}

#[test]
fn a_one_month_report_shows_the_months_before_without_a_mixed_total() {
    // The sample logs hold April (the documentation's usage log) and October 2023.
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let run = esmlog(&[
        "report",
        "--quiet",
        "--tz",
        "Europe/Helsinki",
        "--month",
        "2023-10",
        "--out",
        path(&out),
        path(&samples),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let markdown = fs::read_to_string(out.join("report.md")).unwrap();
    let months = markdown
        .split("**Transactions per month")
        .nth(1)
        .expect("the monthly table");
    let rows: Vec<&str> = months
        .lines()
        .skip_while(|l| !l.starts_with("| month"))
        .take_while(|l| l.starts_with('|'))
        .collect();
    assert!(rows.iter().any(|r| r.starts_with("| 2023-04 ")), "{rows:?}");
    assert!(rows.iter().any(|r| r.starts_with("| 2023-10 ")), "{rows:?}");
    assert!(!rows.iter().any(|r| r.contains("total")), "{rows:?}");
    // And the chart keeps the months between them in their place.
    let chart = fs::read_to_string(out.join("charts").join("monthly-transactions.svg")).unwrap();
    assert!(chart.contains("2023-07") && chart.contains("no data"));

    // The same days give the same rejected calls from the same source: the weeks' total (the
    // weeks cut to the month), the month's row and the headline are the usage log's, and
    // the weeks' total, beside integration.log's column, says so.
    let cell = |row: &str, column: usize| -> String {
        row.split('|')
            .nth(column + 1)
            .unwrap()
            .trim()
            .trim_matches('*')
            .to_string()
    };
    let october = rows.iter().find(|r| r.starts_with("| 2023-10 ")).unwrap();
    let rejected = cell(october, 4);
    let weeks_total = markdown
        .split("**Transactions per week")
        .nth(1)
        .unwrap()
        .lines()
        .find(|l| l.starts_with("| **total"))
        .expect("the weeks' total");
    assert_eq!(cell(weeks_total, 0), "total (usage log)", "{weeks_total}");
    assert_eq!(
        cell(weeks_total, 4),
        rejected,
        "{weeks_total} against {october}"
    );
    let headline = format!("Rejected calls (usage log): {rejected} (");
    assert!(
        markdown.contains(&headline),
        "no `{headline}` in the headline"
    );
}

/// Generated logs from `start` for `weeks` whole weeks after the first (they end on the
/// Wednesday after, at 15:20), in `dir/logs`.
fn generated(dir: &Path, start: &str, weeks: u32) -> PathBuf {
    let logs = dir.join("logs");
    generate(&GenerateArgs {
        seed: 11,
        weeks,
        calls_per_hour: 60,
        start: start.parse().unwrap(),
        truth: Some(dir.join("truth.json")),
        ..GenerateArgs::new(logs.clone())
    })
    .unwrap();
    logs
}

/// Generated logs from `start` and the report on `month` of them: its summary.json and
/// report.md, and the folder that holds the logs (in `logs/`) and the report (in `out/`).
fn month_report(start: &str, weeks: u32, month: &str) -> (tempfile::TempDir, Value, String) {
    let dir = tempfile::tempdir().unwrap();
    let logs = generated(dir.path(), start, weeks);
    let summary = summary_of(&logs, &dir.path().join("out"), month);
    let markdown = fs::read_to_string(dir.path().join("out").join("report.md")).unwrap();
    (dir, summary, markdown)
}

fn summary_of(logs: &Path, out: &Path, month: &str) -> Value {
    let run = esmlog(&[
        "report",
        "--quiet",
        "--tz",
        "Europe/Helsinki",
        "--month",
        month,
        "--quota",
        "60k",
        "--out",
        path(out),
        path(logs),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    serde_json::from_slice(&fs::read(out.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn a_month_in_progress_is_compared_over_the_same_days() {
    // From Tuesday 5 September to Wednesday 11 October: October's 1st to 11th against
    // September's 1st to 11th, not all of September.
    let (dir, summary, markdown) = month_report("2023-09-05", 5, "2023-10");
    let logs = dir.path().join("logs");
    let previous = &summary["previous_month"];
    assert_eq!(previous["same_days_through"], 11, "{previous}");
    assert_eq!(previous["too_early"], false);
    let monthly = |extra: &[&str]| {
        let mut args = vec![
            "monthly",
            "--format",
            "json",
            "--quiet",
            "--tz",
            "Europe/Helsinki",
        ];
        args.extend_from_slice(extra);
        args.push(path(&logs));
        let run = esmlog(&args);
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let report: Value = serde_json::from_slice(&run.stdout).unwrap();
        report["months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["month"] == "2023-09")
            .unwrap()["consumed"]
            .as_u64()
            .unwrap()
    };
    let same_days = monthly(&["--since", "2023-09-01", "--until", "2023-09-11"]);
    let whole = monthly(&[]);
    assert_eq!(previous["transactions"], same_days, "{previous}");
    assert!(same_days < whole, "{same_days} of {whole}");
    assert!(
        markdown.contains("Change from September 2023 1–11"),
        "{markdown}"
    );
}

#[test]
fn hours_of_a_month_are_too_early_to_compare_or_project() {
    // The data ends on Wednesday 1 November at 15:20: fifteen hours of November.
    let (_dir, summary, markdown) = month_report("2023-10-24", 1, "2023-11");
    let previous = &summary["previous_month"];
    assert_eq!(previous["too_early"], true, "{previous}");
    assert!(
        previous["change"].is_null() && previous["change_rate"].is_null(),
        "{previous}"
    );
    assert!(markdown.contains("too early to project"), "{markdown}");
    assert!(markdown.contains("too early"));
    assert!(
        !markdown.contains("−9"),
        "no percentage change from 15 hours"
    );
}

/// A report of a stretch of hours (`--since`/`--until` with times) or of the last hours
/// (`--last`): the generated integration.log records every call the usage log counts, so
/// its successful calls in the window are the true count, which the window's min and max
/// must hold, and the users table counts the window's calls alone.
#[test]
fn a_window_of_hours_is_reported_with_bounds_that_hold_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    generate(&GenerateArgs {
        seed: 11,
        weeks: 1,
        calls_per_hour: 200,
        start: "2023-10-10".parse().unwrap(),
        truth: Some(dir.path().join("truth.json")),
        ..GenerateArgs::new(logs.clone())
    })
    .unwrap();
    let windows: [&[&str]; 4] = [
        &["--since", "2023-10-12T09:00", "--until", "2023-10-12T09:15"],
        &[
            "--since",
            "2023-10-12 13:20",
            "--until",
            "2023-10-12 17:45:00",
        ],
        &["--since", "2023-10-15T22:00", "--until", "2023-10-16T02:00"],
        &["--last", "3h"],
    ];
    for window in windows {
        let out = dir.path().join("out");
        let mut args = vec!["report", "--quiet", "--tz", "Europe/Helsinki", path(&logs)];
        args.extend(["--out", path(&out)]);
        args.extend(window);
        let run = esmlog(&args);
        assert!(
            run.status.success(),
            "{window:?}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
        let summary: Value =
            serde_json::from_str(&fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
        let t = &summary["transactions"];
        let truth = t["integration"]["successful"].as_u64().unwrap();
        let (min, max) = (t["min"].as_u64().unwrap(), t["max"].as_u64());
        assert!(
            min <= truth,
            "{window:?}: min {min} over the truth {truth}: {t}"
        );
        if let Some(max) = max {
            assert!(
                truth <= max,
                "{window:?}: max {max} under the truth {truth}: {t}"
            );
        }
        assert_eq!(t["integration"]["verdict"], "agrees", "{window:?}: {t}");
        // The users table is the window's: its calls add up to no more than the window holds.
        let users = fs::read_to_string(out.join("data").join("users.csv")).unwrap();
        let successful: u64 = users
            .lines()
            .skip(1)
            .filter_map(|l| l.split(',').nth(2)?.parse::<u64>().ok())
            .sum();
        // Beyond the usage log's last line (the last hours) the reconciliation stops where
        // the usage log does; the users table still counts the whole window.
        if window[0] == "--last" {
            assert!(successful >= truth, "{window:?}: users.csv\n{users}");
        } else {
            assert_eq!(successful, truth, "{window:?}: users.csv\n{users}");
        }
        let label = summary["period"].as_str().unwrap();
        assert!(label.contains('/'), "{label}");
        if window[0] == "--since" {
            let from = window[1].replace(' ', "T");
            assert!(label.starts_with(&from[..16]), "{label} for {window:?}");
        }
        fs::remove_dir_all(&out).unwrap();
    }
}
