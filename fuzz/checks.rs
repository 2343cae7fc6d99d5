//! What each fuzz target asserts, shared with `tests/fuzz_regressions.rs` (which includes
//! this file by path) so that the seed corpus and every crash found are replayed by
//! `cargo test` with exactly the fuzzer's checks.

use std::io::{self, Read};
use std::sync::Arc;

use esmlog::integration::layout::{LayoutParser, DEFAULT_LAYOUT};
use esmlog::integration::message::{
    is_login, normalise_path, parse_duration_in, parse_duration_us, parse_fields, template_of,
    unescape, unreadable_values, DurationUnit,
};
use esmlog::integration::scan::{scan_buffer, scan_readers, ScanOptions};
use esmlog::redact::{contains_secret, redact_bytes};
use esmlog::usage::line::parse_usage_line;
use esmlog::usage::load::parse_usage_bytes;

/// The usage-log line parser and the file reader around it: no panic, and every line is
/// accounted for (`lines = parsed + malformed + blank`).
pub fn usage_line(data: &[u8]) {
    if parse_usage_line(data).is_ok() {
        // A parsed line starts with its 23-byte stamp.
        assert!(
            data.len() >= 23,
            "parsed a line shorter than its stamp: {data:?}"
        );
    }
    let file = parse_usage_bytes("fuzz", data);
    let tally = &file.tally;
    assert_eq!(
        tally.lines,
        tally.parsed + tally.malformed + tally.blank,
        "{tally:?}"
    );
    assert_eq!(file.records.len() as u64, tally.parsed);
    assert_eq!(file.problems.total, tally.malformed);
}

/// The Log4j layout compiler on an arbitrary pattern (the bytes before the first NUL); a
/// pattern that compiles then reads the rest, line by line, as headers.
pub fn layout(data: &[u8]) {
    let (pattern, lines) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b""[..]),
    };
    let Ok(pattern) = std::str::from_utf8(pattern) else {
        return;
    };
    let Ok(layout) = LayoutParser::compile(pattern) else {
        return;
    };
    assert_eq!(layout.pattern(), pattern);
    for line in lines.split(|&b| b == b'\n') {
        if let Some(header) = layout.parse_header(line) {
            // The message is the end of the line, less a `\r` left by a CRLF line end.
            let content = line.strip_suffix(b"\r").unwrap_or(line);
            assert!(content.ends_with(header.message), "{pattern:?} {line:?}");
            for key in layout.mdc_keys() {
                let _ = layout.mdc(&header, key);
            }
        } else {
            // Telling a line meant as a header, and saying why it is not one, never panics.
            let _ = layout.looks_like_header(line);
            let _ = layout.header_failure(line);
        }
    }
    // Whatever the layout, every line is an entry, a continuation, an orphan, suspicious
    // (header-shaped but refused) or blank.
    let (tally, _) = scan_buffer("f", lines, &ScanOptions::new(Arc::new(layout)));
    assert!(
        tally.lines.is_consistent(),
        "{pattern:?}: {:?}",
        tally.lines
    );
}

/// Hands out at most `step` bytes per read, as a pipe or a decompressor may.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// The integration.log entry reader over arbitrary bytes, read in chunks: the chunked,
/// multi-threaded scan (small blocks, a stream that hands out a few bytes at a time, a small
/// line limit) must find exactly what one pass over the whole buffer finds, and the line
/// accounting must balance. The first two bytes choose the block size and the line limit.
pub fn entries(data: &[u8]) {
    let [a, b, rest @ ..] = data else {
        return;
    };
    let options = ScanOptions {
        chunk_bytes: 1 + usize::from(*a),
        max_line_bytes: 8 + usize::from(*b) * 4,
        ..ScanOptions::new(Arc::new(LayoutParser::compile(DEFAULT_LAYOUT).unwrap()))
    };
    let (whole, calls) = scan_buffer("f", rest, &options);
    assert!(whole.lines.is_consistent(), "{:?}", whole.lines);
    assert_eq!(whole.lines.calls, calls.totals.calls);

    let stream = Trickle {
        data: rest.to_vec(),
        pos: 0,
        step: 1 + usize::from(*a % 7),
    };
    let chunked = scan_readers(vec![("f".into(), Box::new(stream))], &options);
    assert!(chunked.errors.is_empty());
    let file = &chunked.files[0];
    assert_eq!(file.lines, whole.lines);
    assert_eq!(file.problems.total, whole.problems.total);
    assert_eq!(file.problems.kept, whole.problems.kept);
    assert_eq!((file.first, file.last), (whole.first, whole.last));
    assert_eq!(chunked.calls, calls);
}

/// The message-field parser and the helpers that read its values (durations, paths,
/// templates, logins, unescaping), and secret redaction of the same bytes.
pub fn message(data: &[u8]) {
    let fields = parse_fields(data);
    if let Some(path) = fields.path {
        let mut endpoint = Vec::new();
        normalise_path(path, &mut endpoint);
        assert!(endpoint.starts_with(b"/"), "{path:?} -> {endpoint:?}");
        let _ = template_of(&endpoint);
        if let Some(method) = fields.method {
            let _ = is_login(method, &endpoint);
        }
    }
    let _ = fields.is_call();
    let _ = fields.is_successful();
    let _ = unescape(data);
    let _ = parse_duration_us(data);
    for (_, unit) in DurationUnit::ALL {
        let _ = parse_duration_in(data, unit);
    }
    // Every numeric field missing for a bad value is found again with that value.
    let which = fields.missing_bad();
    let values = unreadable_values(data, which, DurationUnit::Ms);
    assert_eq!(values.len(), which.fields().count(), "{data:?}");
    for value in &values {
        assert!(which.contains(value.field) && !value.reason().is_empty());
    }
    // Redacting is idempotent, and changes nothing where it finds nothing.
    let once = redact_bytes(data);
    let twice = redact_bytes(&once);
    assert_eq!(&*once, &*twice, "{data:?}");
    if !contains_secret(data) {
        assert_eq!(&*once, data);
    }
}

/// Layout inference and the JSON layout on arbitrary bytes: no panic; a layout found
/// compiles again from its own pattern (so a user can pin it with `--layout`), and reading
/// the input with it, or as JSON lines, accounts for every line.
pub fn infer(data: &[u8]) {
    if let Ok(found) = esmlog::integration::layout::infer(data) {
        let pattern = found.parser.pattern();
        let again = LayoutParser::compile(pattern)
            .unwrap_or_else(|e| panic!("the inferred `{pattern}` does not compile: {e}"));
        assert_eq!(again.pattern(), pattern);
        assert!(found.entries > 0 && found.explained <= found.sampled);
        let (tally, _) = scan_buffer("f", data, &ScanOptions::new(Arc::new(again)));
        assert!(
            tally.lines.is_consistent(),
            "{pattern:?}: {:?}",
            tally.lines
        );
    }
    let json = LayoutParser::compile("json").unwrap();
    for line in data.split(|&b| b == b'\n') {
        if let Some(header) = json.parse_header(line) {
            assert!(
                line.ends_with(header.message)
                    || line
                        .strip_suffix(b"\r")
                        .is_some_and(|l| l.ends_with(header.message))
            );
        }
    }
    let (tally, _) = scan_buffer("f", data, &ScanOptions::new(Arc::new(json)));
    assert!(tally.lines.is_consistent(), "json: {:?}", tally.lines);
}
