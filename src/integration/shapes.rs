//! Reads a REST call from messages not written as ESM's `key=value`: `key: value` lists,
//! JSON objects (a JSON layout's whole line, or JSON inside a message) and NCSA-like
//! request lines (`"GET /path HTTP/1.1" 200 1234 143ms`).
//!
//! These readers run only for a message in which `key=value` found no call, so ESM's own
//! lines pay nothing for them. Like the `key=value` reader they borrow the message, work
//! on bytes and never panic.

use memchr::{memchr, memchr2, memmem, memrchr};

use super::message::{Field, Key};

/// Calls `visit` with each `key: value` pair, or `"key": value` JSON member, whose key is a
/// field, in order, until it returns true.
///
/// A key is the word before the colon, or the quoted string before it; a value is a
/// double-quoted string (backslash escapes kept) or the text up to the next blank, `,`,
/// `;`, `}` or `]`. A `time` whose value is a clock time or a date (`"time": "11:00:02"`,
/// a JSON log's timestamp) is no duration and is skipped.
pub fn for_each_colon_pair<'a>(message: &'a [u8], mut visit: impl FnMut(Key, &'a [u8]) -> bool) {
    let mut pos = 0;
    while let Some(offset) = message.get(pos..).and_then(|rest| memchr(b':', rest)) {
        let colon = pos + offset;
        let key = key_before(&message[pos..colon]).and_then(Key::of);
        let Some(key) = key else {
            pos = colon + 1;
            continue;
        };
        let after = &message[colon + 1..];
        let blanks = after
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        let after = &after[blanks..];
        let (rest, raw) = match after.split_first() {
            Some((b'"', quoted)) => quoted_value(quoted),
            _ => bare_value(after),
        };
        pos = message.len() - rest.len();
        let clock_time = key.field == Field::Duration
            && key.name() == "time"
            && memchr2(b':', b'-', raw).is_some();
        if !clock_time && visit(key, raw) {
            break;
        }
    }
}

/// The key written just before a colon: a quoted string (`"status"`) or a word.
fn key_before(text: &[u8]) -> Option<&[u8]> {
    if let Some(inner) = text.strip_suffix(b"\"") {
        let open = memrchr(b'"', inner)?;
        return Some(&inner[open + 1..]).filter(|k| !k.is_empty());
    }
    let start = text
        .iter()
        .rposition(|&b| {
            b.is_ascii_whitespace() || matches!(b, b'{' | b',' | b'[' | b'(' | b'"' | b';')
        })
        .map_or(0, |i| i + 1);
    Some(&text[start..]).filter(|k| !k.is_empty())
}

/// A quoted value after its opening quote: (rest, value without quotes). Unterminated, it
/// runs to the end of the line.
pub(crate) fn quoted_value(input: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while let Some(offset) = memchr2(b'"', b'\\', &input[i..]) {
        let j = i + offset;
        if input[j] == b'"' {
            return (&input[j + 1..], &input[..j]);
        }
        i = j + 2;
        if i >= input.len() {
            break;
        }
    }
    (&input[input.len()..], input)
}

/// An unquoted value: up to a blank or a JSON or list separator.
fn bare_value(input: &[u8]) -> (&[u8], &[u8]) {
    let end = input
        .iter()
        .position(|&b| b.is_ascii_whitespace() || matches!(b, b',' | b';' | b'}' | b']'))
        .unwrap_or(input.len());
    (&input[end..], &input[..end])
}

/// The fields of an NCSA-like request line, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestLine<'a> {
    /// The client address, when the line starts like the NCSA common log format.
    pub ip: Option<&'a [u8]>,
    /// The authenticated user of the NCSA common log format (`-` is none).
    pub user: Option<&'a [u8]>,
    /// The method.
    pub method: &'a [u8],
    /// The path as written.
    pub path: &'a [u8],
    /// The status after the request.
    pub status: Option<&'a [u8]>,
    /// A duration after the response size (`143ms`, `0.143`), when there is one.
    pub duration: Option<&'a [u8]>,
}

/// The first request line in a message: `METHOD PATH HTTP/x.y`, quoted or not, then the
/// status, the response size and a duration when they follow.
pub fn request_line(message: &[u8]) -> Option<RequestLine<'_>> {
    let http = memmem::find(message, b" HTTP/")?;
    let before = &message[..http];
    let path_start = memrchr(b' ', before)? + 1;
    let path = &before[path_start..];
    let before_path = &before[..path_start - 1];
    let method_start = before_path
        .iter()
        .rposition(|&b| b == b' ' || b == b'"')
        .map_or(0, |i| i + 1);
    let method = &before_path[method_start..];
    let is_method = (3..=7).contains(&method.len()) && method.iter().all(u8::is_ascii_uppercase);
    if !is_method || path.is_empty() {
        return None;
    }
    let mut line = RequestLine {
        method,
        path,
        ..RequestLine::default()
    };
    // `HTTP/1.1"`, then the status, the size and maybe a duration.
    let after = &message[http + 1..];
    let version_end = after
        .iter()
        .position(|&b| b == b' ' || b == b'"')
        .unwrap_or(after.len());
    let after = after[version_end..]
        .strip_prefix(b"\"")
        .unwrap_or(&after[version_end..]);
    let mut tokens = after
        .split(|&b| b == b' ' || b == b'\t')
        .filter(|t| !t.is_empty());
    line.status = tokens.next().filter(|t| t.iter().all(u8::is_ascii_digit));
    if line.status.is_some() {
        let size = tokens
            .next()
            .filter(|t| *t == b"-" || t.iter().all(u8::is_ascii_digit));
        if size.is_some() {
            line.duration = tokens
                .next()
                .filter(|t| t.first().is_some_and(u8::is_ascii_digit) || t.starts_with(b"PT"));
        }
    }
    // NCSA common log format: `ip ident user [date] "request"`.
    let prefix = &message[..method_start];
    let words: Vec<&[u8]> = prefix
        .split(|&b| b == b' ')
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    if words.len() == 4 && words[3].starts_with(b"[") {
        line.ip = Some(words[0]);
        line.user = Some(words[2]).filter(|u| *u != b"-");
    }
    Some(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(message: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for_each_colon_pair(message.as_bytes(), |key, value| {
            out.push((
                key.name().to_string(),
                String::from_utf8_lossy(value).into_owned(),
            ));
            false
        });
        out
    }

    #[test]
    fn colon_pairs_of_each_spelling() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            (
                "user: CRM_SYNC, method: GET, path: /a/b, status: 200, time: 0.247",
                &[
                    ("user", "CRM_SYNC"),
                    ("method", "GET"),
                    ("path", "/a/b"),
                    ("status", "200"),
                    ("time", "0.247"),
                ],
            ),
            (
                r#"{"user":"CRM_SYNC","http":{"method":"GET"},"url":"https://h/x?q=1","statusCode":404,"responseTime":12}"#,
                &[
                    ("user", "CRM_SYNC"),
                    ("method", "GET"),
                    ("url", "https://h/x?q=1"),
                    ("statuscode", "404"),
                    ("responsetime", "12"),
                ],
            ),
            (
                r#"{"@timestamp":"2023-10-26T11:00:00Z","time":"11:00:00","http.request.method":"POST","url.path":"/login","http.response.status_code":401,"event.duration":143000000}"#,
                &[
                    ("http.request.method", "POST"),
                    ("url.path", "/login"),
                    ("http.response.status_code", "401"),
                    ("event.duration", "143000000"),
                ],
            ),
            (
                r#"reason: "a \"quoted\" text", other: x"#,
                &[("reason", r#"a \"quoted\" text"#)],
            ),
            ("at 11:00:02 nothing: here", &[]),
            (r#"{"user":"unterminated"#, &[("user", "unterminated")]),
            ("user:", &[("user", "")]),
            (":::", &[]),
        ];
        for (message, want) in cases {
            let want: Vec<(String, String)> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(pairs(message), want, "{message}");
        }
    }

    #[test]
    fn request_lines() {
        let line = request_line(
            br#"10.0.0.5 - CRM_SYNC [26/Oct/2023:11:00:00 +0300] "GET /rest-api/itsm/v1/dc/incident/data HTTP/1.1" 200 1234 143ms"#,
        )
        .unwrap();
        assert_eq!(line.ip, Some(&b"10.0.0.5"[..]));
        assert_eq!(line.user, Some(&b"CRM_SYNC"[..]));
        assert_eq!(line.method, b"GET");
        assert_eq!(line.path, b"/rest-api/itsm/v1/dc/incident/data");
        assert_eq!(line.status, Some(&b"200"[..]));
        assert_eq!(line.duration, Some(&b"143ms"[..]));

        let bare = request_line(b"handled POST /api/users/login HTTP/2 429 - 0.012").unwrap();
        assert_eq!(
            (bare.method, bare.path),
            (&b"POST"[..], &b"/api/users/login"[..])
        );
        assert_eq!(
            (bare.status, bare.duration),
            (Some(&b"429"[..]), Some(&b"0.012"[..]))
        );
        assert_eq!((bare.ip, bare.user), (None, None));

        for not_one in [
            &b"no request here"[..],
            b"get /lower HTTP/1.1 200",
            b" HTTP/1.1",
            b"GET  HTTP/1.1",
            b"\"GET /x HTTP/1.1\"",
        ] {
            let found = request_line(not_one);
            assert!(
                found.is_none() || found.as_ref().is_some_and(|l| l.status.is_none()),
                "{:?}",
                String::from_utf8_lossy(not_one)
            );
        }
    }
}
