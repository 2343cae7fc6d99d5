//! The layout parser's case tables: headers, errors, lookalikes.

use super::*;

fn parser(layout: &str) -> LayoutParser {
    LayoutParser::compile(layout).unwrap_or_else(|e| panic!("{layout}: {e}"))
}

/// What a header should hold; `None` fields must be absent.
#[derive(Debug, Clone, Copy)]
struct Exp {
    local: Option<&'static str>,
    time_only: Option<&'static str>,
    offset: Option<i32>,
    level: Option<&'static str>,
    thread: Option<&'static str>,
    logger: Option<&'static str>,
    class: Option<&'static str>,
    mdc0: Option<&'static str>,
    ndc: Option<&'static str>,
    relative: Option<u64>,
    message: &'static str,
}

const E: Exp = Exp {
    local: None,
    time_only: None,
    offset: None,
    level: None,
    thread: None,
    logger: None,
    class: None,
    mdc0: None,
    ndc: None,
    relative: None,
    message: "",
};

const T0: Option<&str> = Some("2023-04-11T20:34:00.635");

/// The default layout's usual entry.
const fn entry(level: &'static str, thread: &'static str, message: &'static str) -> Exp {
    Exp {
        local: T0,
        level: Some(level),
        thread: Some(thread),
        logger: Some("com.efecte.rest.RestApiLogger"),
        message,
        ..E
    }
}

const D: &str = DEFAULT_LAYOUT;
const ISO: &str = "%d{ISO8601} %-5level [%thread] %logger{36} - %msg%n";
const ABS: &str = "%d{ABSOLUTE} %5p %c{1} - %m%n";
const MDC: &str = "%d [%X{requestId}] %-5p %c - %m%n";
const ZONED: &str = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSZ}{UTC} %p %m%n";
const PADDED: &str = "%d %-5p %-36.36c - %m%n";

const CASES: &[(&str, &str, Option<Exp>)] = &[
    // The examples of formats.md.
    (D, "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms",
        Some(entry("INFO", "http-nio-8443-exec-7", "user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms"))),
    (D, "2023-04-11 20:34:01,002 WARN  [http-nio-8443-exec-3] com.efecte.rest.RestApiLogger - user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
        Some(Exp { local: Some("2023-04-11T20:34:01.002"), ..entry("WARN", "http-nio-8443-exec-3", "user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"") })),
    (D, "2023-04-11 20:34:02,117 ERROR [http-nio-8443-exec-1] com.efecte.rest.RestApiLogger - user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms",
        Some(Exp { local: Some("2023-04-11T20:34:02.117"), ..entry("ERROR", "http-nio-8443-exec-1", "user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms") })),
    (D, "java.lang.IllegalStateException: datacard lock timeout", None),
    (D, "\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)", None),
    (D, "\t... 42 more", None),
    (D, "2023-04-11 20:35:00,000 INFO  [main] com.efecte.integration.IntegrationLog - REST API module started",
        Some(Exp { local: Some("2023-04-11T20:35:00"), logger: Some("com.efecte.integration.IntegrationLog"), ..entry("INFO", "main", "REST API module started") })),
    // CRLF: the '\r' is not part of the message.
    (D, "2023-04-11 20:34:00,635 DEBUG [main] com.efecte.rest.RestApiLogger - done\r", Some(entry("DEBUG", "main", "done"))),
    (D, "\tat com.foo.Bar.baz(Bar.java:1)\r", None),
    (D, "\u{FEFF}2023-04-11 20:34:00,635 DEBUG [main] com.efecte.rest.RestApiLogger - done", Some(entry("DEBUG", "main", "done"))),
    // Header-shaped lines with impossible dates or bad fields are continuation lines.
    (D, "2023-02-30 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-02-29 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2024-02-29 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x",
        Some(Exp { local: Some("2024-02-29T20:34:00.635"), ..entry("INFO", "main", "x") })),
    (D, "2023-13-01 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 24:00:00,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:60:00,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:34:60,000 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:34:00.635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:34:0a,635 INFO  [main] com.efecte.rest.RestApiLogger - x", None),
    // Levels of the log's own are levels (Log4j 2 custom levels, Python, syslog), a
    // standard name in lower case is that level; mixed case or short words are not.
    (D, "2023-04-11 20:34:00,635 NOTICE [main] com.efecte.rest.RestApiLogger - x", Some(entry("NOTICE", "main", "x"))),
    (D, "2023-04-11 20:34:00,635 WARNING [main] com.efecte.rest.RestApiLogger - x", Some(entry("WARNING", "main", "x"))),
    (D, "2023-04-11 20:34:00,635 notice [main] com.efecte.rest.RestApiLogger - x", Some(entry("notice", "main", "x"))),
    (D, "2023-04-11 20:34:00,635 info  [main] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "main", "x"))),
    (D, "2023-04-11 20:34:00,635 Notice [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:34:00,635 OK    [main] com.efecte.rest.RestApiLogger - x", None),
    ("%p %m", "Caused by: java.io.IOException", None),
    ("%p %m", "at com.Foo.bar(Foo.java:1)", None),
    ("%p %m", "CRITICAL disk full", Some(Exp { level: Some("CRITICAL"), message: "disk full", ..E })),
    ("%5p %m", "  err x", Some(Exp { level: Some("err"), message: "x", ..E })),
    (D, "2023-04-11 20:34:00,635 INFO [main] com.efecte.rest.RestApiLogger - x", None),
    (D, "2023-04-11 20:34:00,635 INFO  [main] not a logger - x", None),
    (D, "2023-04-11 20:34:00,635 INFO  [main", None),
    (D, "2023-04-11", None),
    (D, "", None),
    // Thread names with spaces and brackets; messages with the separator.
    (D, "2023-04-11 20:34:00,635 INFO  [pool-2 thread 1] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "pool-2 thread 1", "x"))),
    (D, "2023-04-11 20:34:00,635 INFO  [odd] name] com.efecte.rest.RestApiLogger - x", Some(entry("INFO", "odd] name", "x"))),
    (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - a - b [c] d", Some(entry("INFO", "main", "a - b [c] d"))),
    // Empty messages, also with the trailing space stripped.
    (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger - ", Some(entry("INFO", "main", ""))),
    (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger -", Some(entry("INFO", "main", ""))),
    (D, "2023-04-11 20:34:00,635 INFO  [main] com.efecte.rest.RestApiLogger -\r", Some(entry("INFO", "main", ""))),
    // %d|%m
    ("%d|%m%n", "2023-04-11 20:34:00,635|hello | world", Some(Exp { local: T0, message: "hello | world", ..E })),
    ("%d|%m%n", "2023-04-11 20:34:00,635 hello", None),
    ("%d|%m%n", "hello", None),
    // ISO8601: Log4j 2 writes a T, Log4j 1 a space.
    (ISO, "2023-04-11T20:34:00,635 DEBUG [main] c.e.r.RestApiLogger - x",
        Some(Exp { logger: Some("c.e.r.RestApiLogger"), ..entry("DEBUG", "main", "x") })),
    (ISO, "2023-04-11 20:34:00,635 FATAL [main] c.e.r.RestApiLogger - x",
        Some(Exp { logger: Some("c.e.r.RestApiLogger"), ..entry("FATAL", "main", "x") })),
    (ISO, "2023-04-11X20:34:00,635 DEBUG [main] c.e.r.RestApiLogger - x", None),
    // ABSOLUTE: a time of day only; %5p pads on the left.
    (ABS, "20:34:00,635  INFO RestApiLogger - started",
        Some(Exp { time_only: Some("20:34:00.635"), level: Some("INFO"), logger: Some("RestApiLogger"), message: "started", ..E })),
    (ABS, "20:34:00,635 ERROR RestApiLogger - boom",
        Some(Exp { time_only: Some("20:34:00.635"), level: Some("ERROR"), logger: Some("RestApiLogger"), message: "boom", ..E })),
    (ABS, "20:34:00,635 INFO RestApiLogger - started", None),
    (ABS, "25:34:00,635  INFO RestApiLogger - started", None),
    // MDC
    (MDC, "2023-04-11 20:34:00,635 [req-42] INFO  com.efecte.rest.RestApiLogger - x",
        Some(Exp { local: T0, mdc0: Some("req-42"), level: Some("INFO"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
    (MDC, "2023-04-11 20:34:00,635 [] WARN  com.efecte.rest.RestApiLogger - x",
        Some(Exp { local: T0, mdc0: Some(""), level: Some("WARN"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
    // Zones: the line's own offset wins over {zone}; a fixed {zone} applies otherwise.
    (ZONED, "2023-04-11T23:34:00.635+0300 INFO hi",
        Some(Exp { local: Some("2023-04-11T23:34:00.635"), offset: Some(10800), level: Some("INFO"), message: "hi", ..E })),
    (ZONED, "2023-04-11T20:34:00.635-0000 INFO hi", Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "hi", ..E })),
    (ZONED, "2023-04-11T20:34:00.635 INFO hi", None),
    ("%d{yyyy-MM-dd HH:mm:ss.SSS}{UTC} %p %m%n", "2023-04-11 20:34:00.635 INFO hi",
        Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "hi", ..E })),
    ("%d{yyyy-MM-dd HH:mm:ss}{GMT+3} %p %m%n", "2023-04-11 20:34:00 INFO hi",
        Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(10800), level: Some("INFO"), message: "hi", ..E })),
    ("%d{yyyy-MM-dd HH:mm:ss}{-05:30} %p %m%n", "2023-04-11 20:34:00 INFO hi",
        Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(-19800), level: Some("INFO"), message: "hi", ..E })),
    ("%d{ISO8601}{Europe/Helsinki} %p %m%n", "2023-04-11T20:34:00,635 INFO hi",
        Some(Exp { local: T0, level: Some("INFO"), message: "hi", ..E })),
    ("%d{yyyy-MM-dd HH:mm:ss,SSSXXX} %p %m", "2023-04-11 20:34:00,635+03:00 INFO x",
        Some(Exp { local: T0, offset: Some(10800), level: Some("INFO"), message: "x", ..E })),
    ("%d{yyyy-MM-dd HH:mm:ss,SSSXXX} %p %m", "2023-04-11 20:34:00,635Z INFO x",
        Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "x", ..E })),
    ("%d{ISO8601_OFFSET_DATE_TIME_HH} %p %m", "2023-04-11T20:34:00,635-05 INFO x",
        Some(Exp { local: T0, offset: Some(-18000), level: Some("INFO"), message: "x", ..E })),
    // Epoch timestamps are UTC.
    ("%d{UNIX_MILLIS} %p %m", "1681245240635 INFO x", Some(Exp { local: T0, offset: Some(0), level: Some("INFO"), message: "x", ..E })),
    ("%d{UNIX} %p %m", "1681245240 WARN x",
        Some(Exp { local: Some("2023-04-11T20:34:00"), offset: Some(0), level: Some("WARN"), message: "x", ..E })),
    ("%d{UNIX} %p %m", "42 WARN x", None),
    // Other named and custom date formats.
    ("%d{DATE} %p %m", "11 Apr 2023 20:34:00,635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
    ("%d{DATE} %p %m", "31 Apr 2023 20:34:00,635 INFO x", None),
    ("%d{COMPACT} %p %m", "20230411203400635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
    ("%d{ISO8601_BASIC} %p %m", "20230411T203400,635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
    ("%d{DEFAULT_MICROS} %p %m", "2023-04-11 20:34:00,635123 INFO x",
        Some(Exp { local: Some("2023-04-11T20:34:00.635123"), level: Some("INFO"), message: "x", ..E })),
    ("%d{US_MONTH_DAY_YEAR2_TIME} %p %m", "11/04/23 20:34:00.635 INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
    ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 08:34:00 PM INFO x",
        Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
    ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 12:05:00 AM INFO x",
        Some(Exp { local: Some("2023-04-11T00:05:00"), level: Some("INFO"), message: "x", ..E })),
    ("%d{yyyy-MM-dd hh:mm:ss a} %p %m", "2023-04-11 13:05:00 PM INFO x", None),
    ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Tue, 11 Apr 2023 9:34:00 UTC INFO x",
        Some(Exp { local: Some("2023-04-11T09:34:00"), offset: Some(0), level: Some("INFO"), message: "x", ..E })),
    ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Tue, 11 Apr 2023 20:34:00 EEST INFO x",
        Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
    ("%d{EEE, d MMM yyyy H:mm:ss z} %p %m", "Mon, 11 Apr 2023 20:34:00 UTC INFO x", None),
    ("%d{yyyy-MM-dd'T'HH:mm:ss} %p %m", "2023-04-11T20:34:00 INFO x",
        Some(Exp { local: Some("2023-04-11T20:34:00"), level: Some("INFO"), message: "x", ..E })),
    // %r, %-36.36c, %C, %x, levels written differently.
    ("%r [%t] %p %c - %m%n", "1234 [main] INFO com.Foo - x",
        Some(Exp { relative: Some(1234), thread: Some("main"), level: Some("INFO"), logger: Some("com.Foo"), message: "x", ..E })),
    ("%-6r [%t] %m", "1234   [main] x", Some(Exp { relative: Some(1234), thread: Some("main"), message: "x", ..E })),
    ("%r [%t] %p %c - %m%n", "12a4 [main] INFO com.Foo - x", None),
    (PADDED, "2023-04-11 20:34:00,635 INFO  com.efecte.rest.RestApiLogger        - x",
        Some(Exp { local: T0, level: Some("INFO"), logger: Some("com.efecte.rest.RestApiLogger"), message: "x", ..E })),
    (PADDED, "2023-04-11 20:34:00,635 INFO  efecte.integration.IntegrationLogger - x",
        Some(Exp { local: T0, level: Some("INFO"), logger: Some("efecte.integration.IntegrationLogger"), message: "x", ..E })),
    (PADDED, "2023-04-11 20:34:00,635 INFO  com.efecte.integration.IntegrationLogger01 - x", None),
    // `%C.%M` is ambiguous on its own: the first split that reads the header wins.
    ("%d [%t] %-5p %C.%M - %m", "2023-04-11 20:34:00,635 [main] INFO  com.Foo.run - x",
        Some(Exp { local: T0, thread: Some("main"), level: Some("INFO"), class: Some("com"), message: "x", ..E })),
    ("%d [%t] %x %C - %m", "2023-04-11 20:34:00,635 [main] job 7 com.Foo - x",
        Some(Exp { local: T0, thread: Some("main"), ndc: Some("job 7"), class: Some("com.Foo"), message: "x", ..E })),
    ("%5p [%t] %m", " WARN [main] x", Some(Exp { level: Some("WARN"), thread: Some("main"), message: "x", ..E })),
    ("%5p [%t] %m", "WARN [main] x", None),
    ("%level{lowerCase=true} %m", "warn x", Some(Exp { level: Some("WARN"), message: "x", ..E })),
    ("%level{length=1} %m", "E x", Some(Exp { level: Some("ERROR"), message: "x", ..E })),
    ("%.-1p %m", "D x", Some(Exp { level: Some("DEBUG"), message: "x", ..E })),
    ("%p%m", "WARNhello", Some(Exp { level: Some("WARN"), message: "hello", ..E })),
    // Fields with no literal after them are one word.
    ("%d %c%m", "2023-04-11 20:34:00,635 com.Foo hello", Some(Exp { local: T0, logger: Some("com.Foo"), message: " hello", ..E })),
    // A thread before a single space: backtracks over spaces in the name.
    ("%d %t %c - %m", "2023-04-11 20:34:00,635 pool 1 worker com.Foo - x",
        Some(Exp { local: T0, thread: Some("pool 1 worker"), logger: Some("com.Foo"), message: "x", ..E })),
    ("[%t] %d %-5p %m", "[main] 2023-04-11 20:34:00,635 INFO  x", Some(Exp { local: T0, thread: Some("main"), level: Some("INFO"), message: "x", ..E })),
    // No header at all: every line is an entry.
    ("%m%n", "anything at all", Some(Exp { message: "anything at all", ..E })),
    ("%m%n", "", Some(E)),
    // %ex and text after %m write nothing on the header line.
    ("%d %p %ex%m [%t]%n", "2023-04-11 20:34:00,635 INFO x [main]", Some(Exp { local: T0, level: Some("INFO"), message: "x [main]", ..E })),
    ("%d 100%% %p %m", "2023-04-11 20:34:00,635 100% INFO x", Some(Exp { local: T0, level: Some("INFO"), message: "x", ..E })),
];

fn check(layout: &str, line: &str, want: Option<Exp>) {
    let Ok(p) = LayoutParser::compile(layout) else {
        return;
    };
    let got = p.parse_header(line.as_bytes());
    let ctx = format!("layout {layout:?}, line {line:?}: {got:?}");
    let (Some(h), Some(w)) = (&got, want) else {
        assert_eq!(got.is_some(), want.is_some(), "{ctx}");
        return;
    };
    let text = |b: Option<&[u8]>| b.map(|b| std::str::from_utf8(b).unwrap().to_owned());
    let own = |s: Option<&str>| s.map(str::to_owned);
    assert_eq!(
        h.local,
        w.local.map(|s| s.parse::<NaiveDateTime>().unwrap()),
        "{ctx}"
    );
    assert_eq!(
        h.time_only,
        w.time_only.map(|s| s.parse::<NaiveTime>().unwrap()),
        "{ctx}"
    );
    assert_eq!(h.offset_seconds, w.offset, "{ctx}");
    assert_eq!(text(h.level), own(w.level), "{ctx}");
    assert_eq!(text(h.thread), own(w.thread), "{ctx}");
    assert_eq!(text(h.logger), own(w.logger), "{ctx}");
    assert_eq!(text(h.class), own(w.class), "{ctx}");
    assert_eq!(text(h.mdc[0]), own(w.mdc0), "{ctx}");
    assert_eq!(text(h.ndc), own(w.ndc), "{ctx}");
    assert_eq!(h.relative_ms, w.relative, "{ctx}");
    assert_eq!(text(Some(h.message)), Some(w.message.to_owned()), "{ctx}");
}

#[test]
fn header_cases() {
    for (layout, line, want) in CASES {
        check(layout, line, *want);
    }
}

#[test]
fn every_case_layout_compiles() {
    let failing: Vec<_> = CASES
        .iter()
        .filter(|(l, _, _)| LayoutParser::compile(l).is_err())
        .map(|(l, _, _)| *l)
        .collect();
    assert_eq!(failing, Vec::<&str>::new());
}

fn unsupported(specifier: &str, position: usize) -> LayoutError {
    LayoutError::UnsupportedSpecifier {
        specifier: specifier.to_owned(),
        position,
    }
}

type ErrorCase = (&'static str, fn() -> LayoutError);

const ERRORS: &[ErrorCase] = &[
    // One letter that is no converter; longer names are plugins.
    ("%d{ABSOLUTE} %5p %c{1}:%Q - %m%n", || unsupported("%Q", 23)),
    ("%d %Q %m", || unsupported("%Q", 3)),
    ("%m %Q", || unsupported("%Q", 3)),
    ("%d %highlight{%Q} %m", || unsupported("%Q", 14)),
    ("%d %cyan(%Q) %m", || unsupported("%Q", 9)),
    ("%d %highlight %m", || LayoutError::MissingPattern {
        specifier: "%highlight".into(),
        position: 3,
    }),
    ("%d %notEmpty{[%X{user}] %m", || {
        LayoutError::UnclosedBrace { position: 12 }
    }),
    ("%d %cyan(%c %m", || LayoutError::UnclosedBrace {
        position: 8,
    }),
    ("%d{yyyy %m", || LayoutError::UnclosedBrace { position: 2 }),
    ("%d{ISO8601}{UTC %m", || LayoutError::UnclosedBrace {
        position: 11,
    }),
    ("%d %p", || LayoutError::NoMessage),
    ("", || LayoutError::NoMessage),
    ("%d %caller{1} - %m%n", || {
        LayoutError::CallerBeforeMessage { position: 3 }
    }),
    ("%d%n%m", || LayoutError::NewlineBeforeMessage {
        position: 2,
    }),
    ("%d %-5 %m", || LayoutError::MissingSpecifier {
        position: 3,
    }),
    ("%m %", || LayoutError::MissingSpecifier { position: 3 }),
    ("%.10d %m", || LayoutError::UnsupportedModifier {
        specifier: "%d".into(),
        max: 10,
        position: 0,
    }),
    ("%t{x} %m", || LayoutError::UnsupportedOption {
        specifier: "%t".into(),
        option: "x".into(),
        position: 0,
    }),
    ("%p{colour=red} %m", || LayoutError::UnsupportedOption {
        specifier: "%p".into(),
        option: "colour=red".into(),
        position: 0,
    }),
    ("%d{yyyy-MM-dd}{Mars/Olympus} %m", || {
        LayoutError::UnknownZone {
            zone: "Mars/Olympus".into(),
        }
    }),
    ("%X{a}%X{b}%X{c}%X{d}%X{e}%X{f}%X{g}%X{h}%X{i} %m", || {
        LayoutError::TooManyMdcKeys
    }),
];

#[test]
fn layout_errors() {
    for (layout, want) in ERRORS {
        assert_eq!(
            LayoutParser::compile(layout).err(),
            Some(want()),
            "{layout}"
        );
    }
}

#[test]
fn bad_date_patterns() {
    for layout in [
        "%d{yyyy-MM-dd HH:mm:ss G} %m",
        "%d{'T} %m",
        "%d{hh:mm:ss} %m",
        "%d{yyyy-MM HH:mm} %m",
        "%d{mm:ss} %m",
        "%d{} %m",
        "%d{HH:mm:ss,SSSSSSSSSS} %m",
    ] {
        let err = LayoutParser::compile(layout).err();
        assert!(
            matches!(err, Some(LayoutError::BadDatePattern { .. })),
            "{layout}: {err:?}"
        );
    }
}

#[test]
fn error_messages_name_the_problem() {
    let err = LayoutParser::compile("%d{ABSOLUTE} %5p %c{1}:%Q - %m%n").unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "unsupported layout specifier `%Q` at position 23; supported: {SUPPORTED_SPECIFIERS}"
        )
    );
    let err = LayoutParser::compile("%d{yyyy-MM-dd G} %m").unwrap_err();
    assert!(err.to_string().contains("unsupported letter `G`"), "{err}");
    let err = LayoutParser::compile("%d{hh:mm} %m").unwrap_err();
    assert!(err.to_string().contains("12-hour"), "{err}");
}

#[test]
fn zones_are_exposed() {
    let p = parser("%d{ISO8601}{Europe/Helsinki} %-5p [%t] %c - %m%n");
    assert_eq!(p.date_zone(), Some("Europe/Helsinki"));
    assert_eq!(p.date_tz(), Some(chrono_tz::Europe::Helsinki));
    assert_eq!(p.zone_offset_seconds(), None);
    let p = parser("%d{ISO8601}{+03:00} %m");
    assert_eq!(
        (p.date_zone(), p.zone_offset_seconds()),
        (None, Some(10800))
    );
    let p = parser(D);
    assert_eq!((p.date_zone(), p.zone_offset_seconds()), (None, None));
}

#[test]
fn accessors() {
    let p = parser(MDC);
    assert_eq!(p.pattern(), MDC);
    assert_eq!(p.to_string(), MDC);
    assert_eq!(p.mdc_keys(), ["requestId"]);
    assert!(p.has_date() && !p.is_time_only());
    let h = p
        .parse_header(b"2023-04-11 20:34:00,635 [r-1] INFO  com.Foo - x")
        .unwrap();
    assert_eq!(p.mdc(&h, "requestId"), Some(&b"r-1"[..]));
    assert_eq!(p.mdc(&h, "user"), None);
    assert!(parser(ABS).is_time_only());
    assert!(!parser("%p %m").has_date());
    assert_eq!(LayoutParser::default().pattern(), DEFAULT_LAYOUT);
    assert_eq!("%p %m".parse::<LayoutParser>().unwrap().pattern(), "%p %m");
    let p = parser("%d %X %X{user} %X{a,b} %m");
    assert_eq!(p.mdc_keys(), ["user"]);
    let h = p
        .parse_header(b"2023-04-11 20:34:00,635 {user=u,a=1} u {a=1} x")
        .unwrap();
    assert_eq!(h.mdc_map, Some(&b"{a=1}"[..]));
    assert_eq!(p.mdc(&h, "user"), Some(&b"u"[..]));
    assert_eq!(h.message, b"x");
}

#[test]
fn lines_meant_as_headers() {
    // (layout, line that is not a header, looks like one, why it failed)
    let cases: &[(&str, &str, bool, &str)] = &[
        (
            D,
            "2023-02-30 20:34:00,635 INFO  [main] com.Foo - x",
            true,
            "the date at column 1",
        ),
        (
            D,
            "2023-04-11 20:34:00,635 Info  [main] com.Foo - x",
            true,
            "no level at column 25",
        ),
        (
            D,
            "2023-04-11 20:34:00,635 INFO  main com.Foo - x",
            true,
            "` [` expected at column 30",
        ),
        (
            D,
            "\tat com.Foo.bar(Foo.java:1)",
            false,
            "the date at column 1",
        ),
        (D, "2023-04-11 20:34", false, "the date at column 1"),
        (
            "%d{yy/MM/dd HH:mm:ss} %p %m",
            "23/02/30 20:34:00 INFO x",
            true,
            "the date at column 1",
        ),
        (
            "%d{yy/MM/dd HH:mm:ss} %p %m",
            "23/04/11 20:34:00 Info x",
            true,
            "no level at column 19",
        ),
        (
            "%d{yy/MM/dd HH:mm:ss} %p %m",
            "23-04-11 20:34:00 INFO x",
            false,
            "the date at column 1",
        ),
        (
            "%d{dd MMM yyyy HH:mm:ss} %p %m",
            "31 Apr 2023 20:34:00 INFO x",
            true,
            "the date at column 1",
        ),
        (
            "%d{dd MMM yyyy HH:mm:ss} %p %m",
            "11 Foo 2023 20:34:00 INFO x",
            true,
            "the date at column 1",
        ),
        (
            "%d{dd MMM yyyy HH:mm:ss} %p %m",
            "Total 2023 rows",
            false,
            "the date at column 1",
        ),
        (
            ABS,
            "25:61:00,635  INFO RestApiLogger - x",
            true,
            "the date at column 1",
        ),
        (
            ABS,
            "20:34:00,635 Info RestApiLogger - x",
            true,
            "no level at column 14",
        ),
        (
            "%d{UNIX_MILLIS} %p %m",
            "1681245240635 Info x",
            true,
            "no level at column 15",
        ),
        (
            "%d{UNIX_MILLIS} %p %m",
            "168124524063 INFO x",
            false,
            "the date at column 1",
        ),
        (
            "[%X{req}] %d %p %m",
            "[r-1] 2023-02-30 20:34:00,635 INFO x",
            true,
            "the date at column 7",
        ),
        (
            "%X{req} %d %p %m",
            "r-1 2023-02-30 20:34:00,635 INFO x",
            true,
            "the date at column 5",
        ),
        (
            "%-5p [%t] %d %m",
            "INFO  [main] 2023-02-30 20:34:00,635 x",
            true,
            "the date at column 14",
        ),
        ("%p %m", "Info x", false, "no level at column 1"),
    ];
    for (layout, line, looks, why) in cases {
        let p = parser(layout);
        assert_eq!(p.parse_header(line.as_bytes()), None, "{layout} {line}");
        assert_eq!(
            p.looks_like_header(line.as_bytes()),
            *looks,
            "{layout} {line}"
        );
        let got = p.header_failure(line.as_bytes()).unwrap_or_default();
        assert!(got.starts_with(why), "{layout} {line}: {got}");
    }
    assert_eq!(
        parser(D).header_failure(b"2023-04-11 20:34:00,635 INFO  [main] com.Foo - x"),
        None
    );
}

#[test]
fn parser_is_shareable() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<LayoutParser>();
}

#[test]
fn hostile_lines_are_bounded() {
    // Many candidate ends for the thread and none that completes the header.
    let mut line = b"2023-04-11 20:34:00,635 INFO  [".to_vec();
    for _ in 0..10_000 {
        line.extend_from_slice(b"a] ");
    }
    assert_eq!(parser(D).parse_header(&line), None);
    let p = parser("%d %t %t %t %c - %m");
    let mut line = b"2023-04-11 20:34:00,635 ".to_vec();
    for _ in 0..10_000 {
        line.extend_from_slice(b"a ");
    }
    assert_eq!(p.parse_header(&line), None);
}

/// Every converter of Log4j 2's PatternLayout that may come before `%m`, its long names and
/// Logback's words, each with a line it must read: (layout, line, level, message).
const CONVERTERS: &[(&str, &str, &str, &str)] = &[
    (
        "%d %-5p [%t] %c{1}:%L - %m",
        "2023-04-11 20:34:00,635 INFO  [main] Foo:42 - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %C{1}.%M(%F:%line) %m",
        "2023-04-11 20:34:00,635 WARN Foo.run(Foo.java:42) x",
        "WARN",
        "x",
    ),
    (
        "%d %p %l - %m",
        "2023-04-11 20:34:00,635 INFO com.Foo.run(Foo.java:42) - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %location - %m",
        "2023-04-11 20:34:00,635 INFO com.Foo.run(Foo.java:42) - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %method %file %m",
        "2023-04-11 20:34:00,635 INFO run Foo.java x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%T] %m",
        "2023-04-11 20:34:00,635 INFO [17] x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%tid/%tp] %m",
        "2023-04-11 20:34:00,635 INFO [17/5] x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%threadId %threadPriority] %m",
        "2023-04-11 20:34:00,635 INFO [17 5] x",
        "INFO",
        "x",
    ),
    (
        "%d %pid %p %m",
        "2023-04-11 20:34:00,635 4711 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %processId %p %m",
        "2023-04-11 20:34:00,635 4711 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %sn %p %m",
        "2023-04-11 20:34:00,635 99 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %sequenceNumber %p %m",
        "2023-04-11 20:34:00,635 99 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %N %p %m",
        "2023-04-11 20:34:00,635 -123456789 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %nano %p %m",
        "2023-04-11 20:34:00,635 123456789 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %p %L %m",
        "2023-04-11 20:34:00,635 INFO ? x",
        "INFO",
        "x",
    ),
    (
        "%d %u %p %m",
        "2023-04-11 20:34:00,635 0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6e INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %uuid{TIME} %p %m",
        "2023-04-11 20:34:00,635 0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6e INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %p %fqcn %m",
        "2023-04-11 20:34:00,635 INFO org.apache.logging.log4j.spi.AbstractLogger x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%marker] %m",
        "2023-04-11 20:34:00,635 INFO [AUDIT[ SECURITY ]] x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%marker] %m",
        "2023-04-11 20:34:00,635 INFO [] x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%markerSimpleName] %m",
        "2023-04-11 20:34:00,635 INFO [AUDIT] x",
        "INFO",
        "x",
    ),
    (
        "%d %p %K - %m",
        "2023-04-11 20:34:00,635 INFO {a=1, b=2} - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %map{a} - %m",
        "2023-04-11 20:34:00,635 INFO 1 - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %MAP - %m",
        "2023-04-11 20:34:00,635 INFO {} - x",
        "INFO",
        "x",
    ),
    (
        "%d %highlight{%-5p} %m",
        "2023-04-11 20:34:00,635 \x1b[32mINFO \x1b[m x",
        "INFO",
        "x",
    ),
    (
        "%d %highlight{%-5p}{FATAL=white, ERROR=red} %m",
        "2023-04-11 20:34:00,635 \x1b[1;31mERROR\x1b[m x",
        "ERROR",
        "x",
    ),
    (
        "%d %highlight{%-5p} %m",
        "2023-04-11 20:34:00,635 INFO  x",
        "INFO",
        "x",
    ),
    (
        "%style{%d}{bright,green} %p [%style{%t}{cyan}] %m",
        "\x1b[1;32m2023-04-11 20:34:00,635\x1b[m INFO [\x1b[36mmain\x1b[m] x",
        "INFO",
        "x",
    ),
    (
        "%d %highlight{%p [%t]} %m",
        "2023-04-11 20:34:00,635 \x1b[33mWARN [main]\x1b[m x",
        "WARN",
        "x",
    ),
    (
        "%d %p %notEmpty{[%X{user}]} %m",
        "2023-04-11 20:34:00,635 INFO [CRM_SYNC] x",
        "INFO",
        "x",
    ),
    (
        "%d %p %notEmpty{[%X{user}] }- %m",
        "2023-04-11 20:34:00,635 INFO - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %varsNotEmpty{%X{a}}- %m",
        "2023-04-11 20:34:00,635 INFO 1- x",
        "INFO",
        "x",
    ),
    (
        "%d %p %equals{[%marker]}{[]}{} - %m",
        "2023-04-11 20:34:00,635 INFO [AUDIT] - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %equalsIgnoreCase{%X{a}}{none}{-} - %m",
        "2023-04-11 20:34:00,635 INFO - - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %replace{%t}{\\s}{_} - %m",
        "2023-04-11 20:34:00,635 INFO pool_1 - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %encode{%t}{CRLF} - %m",
        "2023-04-11 20:34:00,635 INFO main\\r - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %enc{%X{user}}{JSON} - %m",
        "2023-04-11 20:34:00,635 INFO a\\\"b - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %maxLen{%t}{10} - %m",
        "2023-04-11 20:34:00,635 INFO http-nio-8 - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %maxLength{%t}{10} - %m",
        "2023-04-11 20:34:00,635 INFO main - x",
        "INFO",
        "x",
    ),
    ("%d %p %ex%m", "2023-04-11 20:34:00,635 INFO x", "INFO", "x"),
    (
        "%d %p %xEx{short}%m",
        "2023-04-11 20:34:00,635 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %p %rEx%m",
        "2023-04-11 20:34:00,635 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %p %throwable{none}%m",
        "2023-04-11 20:34:00,635 INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %p %r %m",
        "2023-04-11 20:34:00,635 INFO 1234 x",
        "INFO",
        "x",
    ),
    (
        "%d %p %relative %m",
        "2023-04-11 20:34:00,635 INFO 1234 x",
        "INFO",
        "x",
    ),
    (
        "%d %p %x %m",
        "2023-04-11 20:34:00,635 INFO job x",
        "INFO",
        "x",
    ),
    (
        "%d %p %NDC - %m",
        "2023-04-11 20:34:00,635 INFO job 7 - x",
        "INFO",
        "x",
    ),
    (
        "%d %p %mdc{a} %MDC{b} - %m",
        "2023-04-11 20:34:00,635 INFO 1 2 - x",
        "INFO",
        "x",
    ),
    (
        "%d %level [%thread] %logger{36} - %msg%n",
        "2023-04-11 20:34:00,635 INFO [main] c.e.Foo - x",
        "INFO",
        "x",
    ),
    (
        "%date %level [%tn] %class - %message%n",
        "2023-04-11 20:34:00,635 INFO [main] com.Foo - x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%threadName] %C - %m",
        "2023-04-11 20:34:00,635 INFO [main] com.Foo - x",
        "INFO",
        "x",
    ),
    // Logback's words and its nested patterns in parentheses.
    (
        "%d %highlight(%-5level) [%thread] %cyan(%logger{15}) - %msg%n",
        "2023-04-11 20:34:00,635 \x1b[34mINFO \x1b[0;39m [main] \x1b[36mc.e.Foo\x1b[0;39m - x",
        "INFO",
        "x",
    ),
    (
        "%d %le [%thread] %lo - %msg%nopex%n",
        "2023-04-11 20:34:00,635 INFO [main] Foo - x",
        "INFO",
        "x",
    ),
    (
        "%d %boldRed(%level) %cn %m",
        "2023-04-11 20:34:00,635 \x1b[1;31mERROR\x1b[0;39m default x",
        "ERROR",
        "x",
    ),
    (
        "%d %contextName %p %m",
        "2023-04-11 20:34:00,635 default INFO x",
        "INFO",
        "x",
    ),
    (
        "%d %cn %p %property{HOSTNAME} %m",
        "2023-04-11 20:34:00,635 default INFO esm01 x",
        "INFO",
        "x",
    ),
    (
        "%d %p %replace(%msg){'\\s', ''}%n",
        "2023-04-11 20:34:00,635 INFO x",
        "INFO",
        "x",
    ),
    // Plugin converters of a server's own: a token up to the first literal after it.
    (
        "[%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n",
        "[2023-04-11T20:34:00,635][INFO ][o.e.n.Node               ] [es-node-1] x",
        "INFO",
        "x",
    ),
    (
        "%d %p [%cluster_uuid] %m",
        "2023-04-11 20:34:00,635 INFO [abc def] x",
        "INFO",
        "x",
    ),
    // A known converter and text right after it, as Log4j reads it.
    ("%d_%p_%m", "2023-04-11 20:34:00,635_INFO_x", "INFO", "x"),
];

#[test]
fn every_converter_reads_a_line() {
    for (layout, line, level, message) in CONVERTERS {
        let p = parser(layout);
        let h = p.parse_header(line.as_bytes()).unwrap_or_else(|| {
            panic!(
                "{layout}: {line:?}: {:?}",
                p.header_failure(line.as_bytes())
            )
        });
        assert_eq!(h.level, Some(level.as_bytes()), "{layout}: {line:?}");
        assert_eq!(h.message, message.as_bytes(), "{layout}: {line:?}");
        assert_eq!(h.local, "2023-04-11T20:34:00.635".parse().ok(), "{layout}");
    }
}

#[test]
fn plugin_converters_stop_at_the_first_literal() {
    // `[%node_name]` cannot hold `]`: the plugin ends at the first one.
    let p = parser("%d [%node_name] %p %m");
    assert!(p
        .parse_header(b"2023-04-11 20:34:00,635 [a] b] INFO x")
        .is_none());
    assert!(p
        .parse_header(b"2023-04-11 20:34:00,635 [a b] INFO x")
        .is_some());
    // A thread may (backtracking), a plugin may not.
    let p = parser("%d [%t] %p %m");
    assert!(p
        .parse_header(b"2023-04-11 20:34:00,635 [a] b] INFO x")
        .is_some());
}

#[test]
fn colour_codes_are_not_part_of_fields() {
    let p = parser("%d [%highlight{%t}] %style{%c}{cyan} - %m");
    let h = p
        .parse_header(b"2023-04-11 20:34:00,635 [\x1b[32mmain\x1b[m] \x1b[36mcom.Foo\x1b[m - x")
        .unwrap();
    assert_eq!(h.thread, Some(&b"main"[..]));
    assert_eq!(h.logger, Some(&b"com.Foo"[..]));
    assert_eq!(h.message, b"x");
    // Numbers are numbers.
    let p = parser("%d %p %L %m");
    assert!(p
        .parse_header(b"2023-04-11 20:34:00,635 INFO 4x2 x")
        .is_none());
}

/// A line read by the op loop alone, without the straight-through head and tail.
fn read_by_op_loop<'a>(p: &LayoutParser, line: &'a [u8]) -> Option<Header<'a>> {
    let line = crate::lines::trim_line_marks(line);
    let mut h = Header::empty();
    let mut budget = BACKTRACK_BUDGET;
    p.match_from(0, line, &mut h, &mut budget).map(|m| {
        h.message = m;
        h
    })
}

#[test]
fn the_head_reads_as_the_op_loop_does() {
    // Every case line, read with the straight-through head and tail and with the op loop
    // alone.
    let (mut with_head, mut with_tail) = (0, 0);
    for (layout, line, _) in CASES {
        let p = parser(layout);
        with_head += usize::from(p.head.is_some());
        with_tail += usize::from(p.tail.is_some());
        let line = line.as_bytes();
        assert_eq!(
            p.parse_header(line),
            read_by_op_loop(&p, line),
            "{layout}: {line:?}"
        );
    }
    assert!(with_head > 20 && with_tail > 10, "{with_head} {with_tail}");
    assert!(parser(D).head.is_some() && parser("%r [%t] %p %m").head.is_none());
    assert!(parser(D).tail.is_some() && parser("%d %p [%t] %c{1}: %m").tail.is_none());
}

#[test]
fn the_tail_reads_as_the_op_loop_does_on_odd_lines() {
    // Threads and loggers that hold the literals after them, blanks where a field should
    // be, maximum widths: the straight-through tail must give the op loop's answer, or
    // leave the line to it.
    const LAYOUTS: &[&str] = &[
        D,
        "%d %-5p [%t] %C - %m%n",
        "%d %p [%.6t] %.8c - %m%n",
        "%d %p %t: %c  %m%n",
        "%d %p <%t> %c\t%m%n",
    ];
    const PIECES: &[&str] = &[
        "] ",
        "]",
        " ",
        "\t",
        " - ",
        "-",
        ": ",
        "> ",
        "<",
        "main",
        "http-nio-8443-exec-7",
        "com.efecte.rest.RestApiLogger",
        "main] c.e.Log - ",
        "exec-7] Logger - ",
        "main> Logger\t",
        "main: Logger  ",
        "é",
        "x",
        "  ",
    ];
    let mut rng = crate::generate::Rng(11);
    let mut fast = 0;
    let mut kept = vec![Header::empty(); LAYOUTS.len()];
    for round in 0..20_000 {
        let layout = LAYOUTS[round % LAYOUTS.len()];
        let p = parser(layout);
        assert!(p.tail.is_some(), "{layout}");
        let mut line = String::from("2023-04-11 20:34:00,635 INFO  ");
        if layout.contains('[') {
            line.push('[');
        } else if layout.contains('<') {
            line.push('<');
        }
        for _ in 0..rng.below(9) {
            line.push_str(PIECES[rng.below(PIECES.len() as u64) as usize]);
        }
        let line = line.replacen("INFO  ", if layout == D { "INFO  " } else { "INFO " }, 1);
        // Kept for the run: the reused headers below borrow every line they read.
        let line: &'static str = Box::leak(line.into_boxed_str());
        let straight = p.tail.as_ref().and_then(|t| {
            let mut h = Header::empty();
            let rest = p.head.as_ref()?.read(line.as_bytes(), &mut h)?;
            t.read(rest, &mut h)
        });
        fast += usize::from(straight.is_some());
        let fresh = p.parse_header(line.as_bytes());
        assert_eq!(
            fresh,
            read_by_op_loop(&p, line.as_bytes()),
            "{layout}: {line:?}"
        );
        // The scan's header, kept from line to line of one layout and never cleared, holds
        // what a fresh one would after every line that is a header.
        let reused = &mut kept[round % LAYOUTS.len()];
        let is_header = p.parse_header_into(line.as_bytes(), reused);
        assert_eq!(is_header, fresh.is_some());
        if let Some(fresh) = fresh {
            assert_eq!(*reused, fresh, "{layout}: {line:?}");
        }
    }
    // The random lines reach both the straight-through reading and the op loop.
    assert!((1_000..19_000).contains(&fast), "{fast}");
}

#[test]
fn dialects_read_the_words_they_differ_on() {
    use super::Dialect::{Log4j1, Log4j2, Logback};
    // (dialect, pattern, line, the time read or None when the line is no header)
    let cases: &[(Dialect, &str, &str, Option<&str>)] = &[
        // Logback: the zone after a comma; a comma inside the pattern is quoted.
        (
            Logback,
            "%d{HH:mm:ss.SSS, UTC} %p %m%n",
            "11:00:00.123 INFO x",
            Some("11:00:00.123"),
        ),
        (
            Logback,
            r#"%d{"HH:mm:ss,SSS"} %p %m%n"#,
            "11:00:00,123 INFO x",
            Some("11:00:00.123"),
        ),
        (
            Logback,
            r#"%d{"yyyy-MM-dd HH:mm:ss,SSS", Europe/Helsinki} %p %m%n"#,
            "2023-10-26 11:00:00,123 INFO x",
            Some("11:00:00.123"),
        ),
        (
            Logback,
            "%d{yyyy-MM-dd HH:mm:ss} %p %m%n",
            "2023-10-26 11:00:00 INFO x",
            Some("11:00:00.000"),
        ),
        // Log4j 2 reads the same comma as part of the pattern.
        (
            Log4j2,
            "%d{HH:mm:ss,SSS} %p %m%n",
            "11:00:00,123 INFO x",
            Some("11:00:00.123"),
        ),
        (
            Log4j2,
            "%d{HH:mm:ss}{UTC} %p %m%n",
            "11:00:00 INFO x",
            Some("11:00:00.000"),
        ),
        // log4j 1.x has no zone option: the braces are text in the line.
        (
            Log4j1,
            "%d{HH:mm:ss}{UTC} %p %m%n",
            "11:00:00{UTC} INFO x",
            Some("11:00:00.000"),
        ),
        (Log4j1, "%d{HH:mm:ss}{UTC} %p %m%n", "11:00:00 INFO x", None),
    ];
    for (dialect, pattern, line, want) in cases {
        let parser = LayoutParser::compile_in(pattern, *dialect)
            .unwrap_or_else(|e| panic!("{dialect:?} {pattern}: {e}"));
        let time = parser.parse_header(line.as_bytes()).map(|h| {
            h.local
                .map(|t| t.time())
                .or(h.time_only)
                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                .unwrap_or_default()
        });
        assert_eq!(time.as_deref(), *want, "{dialect:?} {pattern} on {line}");
    }
    // Unquoted in Logback, `HH:mm:ss,SSS` is the pattern `HH:mm:ss` in a zone `SSS`: refused.
    let err = LayoutParser::compile_in("%d{HH:mm:ss,SSS} %m", Logback).unwrap_err();
    assert!(err.to_string().contains("SSS"), "{err}");
}

#[test]
fn a_header_kept_from_line_to_line_reads_each_date_as_a_fresh_one_does() {
    // The day is taken from the line before when the date's ten bytes match: every line
    // here must still read (or fail) exactly as with a fresh header.
    let p = LayoutParser::default();
    let lines = [
        "2023-04-07 13:27:45,123 INFO  [t] c - a",
        "2023-04-07 13:27:46,000 INFO  [t] c - same day",
        "2023-04-07 25:27:46,000 INFO  [t] c - same day, no such hour",
        "2023-04-07 13:61:46,000 INFO  [t] c - same day, no such minute",
        "2023-04-07 13:27:4x,000 INFO  [t] c - same day, a letter in the time",
        "2023-04-07T13:27:46,000 INFO  [t] c - same day, another separator",
        "2023-04-07 13:27:46.000 INFO  [t] c - same day, a dot before the millis",
        "2023-04-07 13:27:46,999 INFO  [t] c - same day again",
        "2023-02-29 00:00:00,000 INFO  [t] c - no such day",
        "2023-02-29 00:00:01,000 INFO  [t] c - still no such day",
        "2023-04-07 23:59:59,999 INFO  [t] c - back to the known day",
        "2024-02-29 00:00:00,000 INFO  [t] c - a leap day",
        "2024-02-29 12:00:00,500 INFO  [t] c - the leap day again",
        "2024-02-29",
        "2024-02-29 12:00:00,5",
        "not a header",
        "2024-02-29 12:00:01,500 INFO  [t] c - after a line that is none",
    ];
    let mut kept = Header::empty();
    for line in lines {
        let fresh = p.parse_header(line.as_bytes());
        assert_eq!(
            p.parse_header_into(line.as_bytes(), &mut kept),
            fresh.is_some(),
            "{line}"
        );
        if let Some(fresh) = fresh {
            assert_eq!(kept.local, fresh.local, "{line}");
            assert_eq!(kept, fresh, "{line}");
        }
    }
    let read = |line: &str| p.parse_header(line.as_bytes()).and_then(|h| h.local);
    assert!(read(lines[2]).is_none() && read(lines[8]).is_none());
    assert_eq!(
        read(lines[12]).unwrap().to_string(),
        "2024-02-29 12:00:00.500"
    );
}
