//! The layout corpus in `tests/corpus/`: each `NAME.log` read with its `NAME.layout` has
//! every line an entry, a continuation line or blank (none an orphan or suspicious), calls
//! where the sample has them, and entries that all have a date.

use std::path::PathBuf;
use std::sync::Arc;

use esmlog::integration::layout::LayoutParser;
use esmlog::integration::scan::{scan_buffer, ScanOptions};

#[test]
fn every_sample_is_read_whole_with_its_layout() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut samples: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    samples.sort();
    assert!(samples.len() >= 5, "the corpus is committed");
    for log in samples {
        let layout = std::fs::read_to_string(log.with_extension("layout")).unwrap();
        let parser = LayoutParser::compile(layout.trim_end_matches('\n'))
            .unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        let bytes = std::fs::read(&log).unwrap();
        let name = log.file_name().unwrap().to_string_lossy().into_owned();
        let (tally, calls) = scan_buffer(&name, &bytes, &ScanOptions::new(Arc::new(parser)));
        let lines = &tally.lines;
        let text = String::from_utf8_lossy(&bytes);
        assert!(lines.is_consistent(), "{name}: {lines:?}");
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
        let has_calls = text.contains("method=");
        assert_eq!(calls.totals.calls > 0, has_calls, "{name}");
    }
}
