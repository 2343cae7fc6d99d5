//! The layout corpus in `tests/corpus/` (see its README for where each sample came from).
//!
//! - `hand-made/`: each `NAME.log` read with its `NAME.layout` has every line an entry, a
//!   continuation line or blank (none an orphan or suspicious), calls where the sample has
//!   them, and entries that all have a date.
//! - `public/` (real logs of public projects) and `library/` (written by the real Log4j 2,
//!   Logback, logstash-logback-encoder and Python logging): each has a `NAME.expect` with
//!   its line counts, counted apart from esmlog (by the regular expression of each sample's
//!   line start). Read with the layout it was written with, every entry is an entry or a
//!   reported suspicious line; read with `--layout auto`, the layout found reads every
//!   entry, every call and no suspicious line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use esmlog::ingest::{ingest_with, LayoutChoice, LayoutFinding};
use esmlog::integration::layout::LayoutParser;
use esmlog::integration::scan::{scan_buffer, FileTally, ScanOptions};

fn samples(folder: &str) -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(folder);
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    samples.sort();
    samples
}

fn read(log: &Path, layout: Arc<LayoutParser>) -> (FileTally, u64) {
    let bytes = std::fs::read(log).unwrap();
    let name = log.file_name().unwrap().to_string_lossy().into_owned();
    let (tally, calls) = scan_buffer(&name, &bytes, &ScanOptions::new(layout));
    assert!(tally.lines.is_consistent(), "{name}: {:?}", tally.lines);
    (tally, calls.totals.calls)
}

fn given_layout(log: &Path) -> Arc<LayoutParser> {
    let layout = std::fs::read_to_string(log.with_extension("layout")).unwrap();
    let layout = layout.lines().next().unwrap_or_default();
    Arc::new(LayoutParser::compile(layout).unwrap_or_else(|e| panic!("{}: {e}", log.display())))
}

/// `lines=214 entries=151 continuation=63 blank=0 calls=95`
fn expected(log: &Path) -> BTreeMap<String, u64> {
    std::fs::read_to_string(log.with_extension("expect"))
        .unwrap()
        .split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            (key.to_string(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn every_hand_made_sample_is_read_whole_with_its_layout() {
    let samples = samples("hand-made");
    assert!(samples.len() >= 5, "the corpus is committed");
    for log in samples {
        let name = log.display().to_string();
        let (tally, calls) = read(&log, given_layout(&log));
        let lines = &tally.lines;
        let text = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
        assert_eq!(lines.lines, text.lines().count() as u64, "{name}");
        assert_eq!(
            (lines.orphans, lines.suspicious, lines.unreadable_fields),
            (0, 0, 0),
            "{name}: {:?}",
            tally.problems.kept
        );
        // Entries are the lines that start like the first one (a digit or `[`).
        let starts = text
            .lines()
            .filter(|l| l.starts_with(|c: char| c.is_ascii_digit() || c == '['))
            .count() as u64;
        assert_eq!(lines.entries, starts, "{name}");
        assert!(
            tally.first.is_some() && tally.last.is_some(),
            "{name}: undated"
        );
        assert_eq!(calls > 0, text.contains("method="), "{name}");
    }
}

#[test]
fn real_samples_are_read_with_the_layout_they_were_written_with() {
    let samples: Vec<PathBuf> = samples("public")
        .into_iter()
        .chain(samples("library"))
        .collect();
    assert!(samples.len() >= 15, "the corpus is committed");
    for log in samples {
        let name = log.display().to_string();
        let want = expected(&log);
        let (tally, calls) = read(&log, given_layout(&log));
        let lines = &tally.lines;
        assert_eq!(lines.lines, want["lines"], "{name}");
        assert_eq!(lines.blank, want["blank"], "{name}");
        assert_eq!((lines.orphans, lines.unreadable_fields), (0, 0), "{name}");
        // A line whose header does not fit is reported, never folded into the entry above.
        assert_eq!(lines.entries + lines.suspicious, want["entries"], "{name}");
        assert_eq!(lines.continuation, want["continuation"], "{name}");
        if lines.suspicious == 0 {
            assert_eq!(calls, want["calls"], "{name}");
        }
    }
}

#[test]
fn layout_inference_reads_every_real_sample_whole() {
    let samples: Vec<PathBuf> = samples("public")
        .into_iter()
        .chain(samples("library"))
        .collect();
    for log in samples {
        let name = log.display().to_string();
        let want = expected(&log);
        let found = ingest_with(std::slice::from_ref(&name), &LayoutChoice::Auto);
        assert_eq!(
            found.integration.len(),
            1,
            "{name}: {:?}",
            found.layout_finding
        );
        let default_fits = name.ends_with("esm_default.log");
        assert_eq!(
            matches!(found.layout_finding, LayoutFinding::Default),
            default_fits,
            "{name}: {:?}",
            found.layout_finding
        );
        let (tally, calls) = read(&log, found.layout.clone());
        let lines = &tally.lines;
        let pattern = found.layout.pattern();
        assert_eq!(
            (
                lines.entries,
                lines.continuation,
                lines.suspicious,
                lines.orphans
            ),
            (want["entries"], want["continuation"], 0, 0),
            "{name} read with `{pattern}`"
        );
        assert_eq!(calls, want["calls"], "{name} read with `{pattern}`");
        // A layout without a date (log4j 1.x's witness) dates nothing.
        assert_eq!(
            tally.first.is_some(),
            given_layout(&log).has_date(),
            "{name}: dated or not with `{pattern}`"
        );
    }
}

#[test]
fn inference_says_plainly_when_it_cannot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "shopping list\nmilk\neggs\n").unwrap();
    let found = ingest_with(&[path.display().to_string()], &LayoutChoice::Auto);
    assert!(found.integration.is_empty());
    assert_eq!(found.skipped.len(), 1);
    match &found.layout_finding {
        LayoutFinding::NotFound { why, .. } => {
            assert_eq!(why.first_line, "shopping list");
            assert!(why.to_string().contains("column 1"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}
