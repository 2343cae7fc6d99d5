//! No input makes a parser panic: usage lines, layouts, entry headers, messages, whole
//! integration.log buffers and secret redaction, on arbitrary bytes and on near-valid text.

use esmlog::integration::layout::{LayoutParser, DEFAULT_LAYOUT};
use esmlog::integration::message::{normalise_path, parse_duration_us, parse_fields};
use esmlog::integration::scan::{scan_buffer, ScanOptions};
use esmlog::redact::{redact, redact_bytes};
use esmlog::usage::line::parse_usage_line;
use esmlog::usage::load::parse_usage_bytes;
use proptest::prelude::*;

const USAGE: &str =
    "2023-04-11 20:34:00,635|Usage,consumed,1000,rejected,0,since,2023-04-11T11:51:27+0300";
const ENTRY: &str = "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data/1?x=\"y\" status=200 duration=143ms token=eyJa.eyJb.c";

/// Valid text with a few bytes changed, inserted or cut: the inputs most likely to reach deep.
fn mutated(seed: &'static str) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 0..6),
        any::<prop::sample::Index>(),
    )
        .prop_map(move |(edits, cut)| {
            let mut bytes = seed.as_bytes().to_vec();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ if i < bytes.len() => {
                        bytes.remove(i);
                    }
                    _ => {}
                }
            }
            bytes.truncate(cut.index(bytes.len() + 1));
            bytes
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn usage_parser(bytes in prop_oneof![mutated(USAGE), prop::collection::vec(any::<u8>(), 0..200)]) {
        let _ = parse_usage_line(&bytes);
        let file = parse_usage_bytes("fuzz", &bytes);
        prop_assert_eq!(file.tally.lines, file.tally.parsed + file.tally.malformed + file.tally.blank);
    }

    #[test]
    fn layout_compiler(pattern in "[%a-zA-Z{}.:'\\- |\\[\\]0-9]{0,40}") {
        if let Ok(layout) = LayoutParser::compile(&pattern) {
            let _ = layout.parse_header(ENTRY.as_bytes());
        }
    }

    #[test]
    fn header_and_message_parsers(bytes in prop_oneof![mutated(ENTRY), prop::collection::vec(any::<u8>(), 0..300)]) {
        let layout = LayoutParser::compile(DEFAULT_LAYOUT).unwrap();
        if let Some(header) = layout.parse_header(&bytes) {
            let fields = parse_fields(header.message);
            if let Some(path) = fields.path {
                let mut out = Vec::new();
                normalise_path(path, &mut out);
                prop_assert!(out.starts_with(b"/"));
            }
        }
        let _ = parse_fields(&bytes);
        let _ = parse_duration_us(&bytes);
        let redacted = redact_bytes(&bytes);
        prop_assert!(!String::from_utf8_lossy(&redacted).contains("eyJa.eyJb.c"));
        let _ = redact(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn whole_buffers_balance(lines in prop::collection::vec(prop_oneof![mutated(ENTRY), mutated("\tat x.y(Z.java:1)"), Just(Vec::new())], 0..20)) {
        let buffer = lines.join(&b'\n');
        let (tally, _) = scan_buffer("fuzz", &buffer, &ScanOptions::default());
        prop_assert!(tally.lines.is_consistent(), "{:?}", tally.lines);
    }
}
