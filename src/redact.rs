//! Secret redaction for every output (docs/formats.md section 5): bearer tokens, JWTs, the
//! values of password, secret, token and API-key keys, and session cookies become
//! `[REDACTED]`.
//!
//! It runs on every line that may reach a report, so it works on bytes, borrows its input
//! and allocates nothing when there is nothing to hide.
//!
//! `--no-redact` turns it off for the whole process ([`set_enabled`]): one switch rather than
//! a flag threaded through every reader, so that no output path can forget it.

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::LazyLock;

use memchr::{memchr2_iter, memchr3, memmem};

/// What a secret is replaced by.
pub const REDACTED: &str = "[REDACTED]";

/// Keys whose values are secrets. A key matches when it ends with one of
/// these, ignoring ASCII case and treating `-` as `_` (`X-Api-Key`,
/// `db.password`, `newPassword`).
const SECRET_KEYS: &[&[u8]] = &[
    b"password",
    b"passwd",
    b"pwd",
    b"secret",
    b"client_secret",
    b"token",
    b"access_token",
    b"refresh_token",
    b"api_key",
    b"apikey",
    b"authorization",
    // Session cookies identify a logged-in session as a token does.
    b"cookie",
    b"sessionid",
    b"sessid",
];

/// Authorization schemes whose credential follows after a blank.
const AUTH_SCHEMES: &[&[u8]] = &[
    b"basic",
    b"bearer",
    b"digest",
    b"negotiate",
    b"ntlm",
    b"token",
];

static DISABLED: AtomicBool = AtomicBool::new(false);

/// Turns redaction on or off for the whole process. Off only for `--no-redact`, set once at
/// start-up before any input is read; on by default.
pub fn set_enabled(enabled: bool) {
    DISABLED.store(!enabled, Ordering::Relaxed);
}

/// Whether [`redact`] and [`redact_bytes`] replace secrets (they do unless `--no-redact`).
pub fn enabled() -> bool {
    !DISABLED.load(Ordering::Relaxed)
}

/// Replaces bearer tokens (`Bearer <token>` → `Bearer [REDACTED]`), JWTs
/// (`eyJ` + three dot-separated base64url parts, anywhere), and the values of
/// secret keys (password, passwd, pwd, secret, client_secret, token,
/// access_token, refresh_token, api_key, apikey, authorization, cookie,
/// sessionid, sessid, and keys ending with them: `X-API-Key`, `Set-Cookie`,
/// `JSESSIONID`) in `key=value`, `key: value` and `"key":"value"` style,
/// quoted or not, ASCII case ignored, by [`REDACTED`] (a `Cookie` header's whole
/// value, to the line's end). Quotes around a value and an authorization scheme
/// name (`Basic`) are kept.
///
/// Returns `Cow::Borrowed` when nothing was found or redaction is turned off
/// ([`set_enabled`]); already redacted text is left alone, so redacting twice
/// changes nothing.
pub fn redact(text: &str) -> Cow<'_, str> {
    match redact_bytes(text.as_bytes()) {
        Cow::Borrowed(_) => Cow::Borrowed(text),
        // Replacements start and end at ASCII bytes, so UTF-8 stays valid;
        // the lossy path only guards against a future mistake.
        Cow::Owned(bytes) => Cow::Owned(
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        ),
    }
}

/// [`redact`] for text that may not be UTF-8 (a raw log line).
pub fn redact_bytes(text: &[u8]) -> Cow<'_, [u8]> {
    // The pre-check stops at the first secret and allocates nothing, so the
    // common, clean line costs three memchr-driven passes.
    if !enabled() || !contains_secret(text) {
        return Cow::Borrowed(text);
    }
    let mut spans = Vec::new();
    let _ = scan_secrets(text, &mut |start, end| {
        spans.push((start, end));
        ControlFlow::Continue(())
    });
    spans.sort_unstable();

    let mut out = Vec::with_capacity(text.len() + REDACTED.len());
    let mut done = 0;
    let mut current: Option<(usize, usize)> = None;
    let mut flush = |(start, end): (usize, usize), out: &mut Vec<u8>| {
        out.extend_from_slice(&text[done..start]);
        out.extend_from_slice(REDACTED.as_bytes());
        done = end;
    };
    for (start, end) in spans {
        current = match current {
            Some((s, e)) if start <= e => Some((s, e.max(end))),
            Some(span) => {
                flush(span, &mut out);
                Some((start, end))
            }
            None => Some((start, end)),
        };
    }
    if let Some(span) = current {
        flush(span, &mut out);
    }
    out.extend_from_slice(&text[done..]);
    Cow::Owned(out)
}

/// Whether `text` is ASCII without a byte any secret [`redact`] finds is found by: the `=`
/// or `:` after a secret key, the `b`/`B` of `Bearer`, the `J` of a JWT's `eyJ`. Such text
/// is valid UTF-8 and holds no secret, known in one pass that the compiler vectorises; for
/// short values (a user name, a path) by the thousand, where starting [`contains_secret`]'s
/// three searches costs more than the searches.
pub fn plain_ascii(text: &[u8]) -> bool {
    !text.iter().fold(false, |found, &b| {
        found | !b.is_ascii() | (b == b'=') | (b == b':') | ((b | 0x20) == b'b') | (b == b'J')
    })
}

/// Whether text holds a secret [`redact`] replaces when redaction is on. Plain ASCII text
/// (most values and many lines) is told apart in one pass before the searches.
pub fn contains_secret(text: &[u8]) -> bool {
    !plain_ascii(text) && scan_secrets(text, &mut |_, _| ControlFlow::Break(())).is_break()
}

/// Calls `visit` with the byte range of every secret; ranges may overlap.
/// Every range starts and ends at an ASCII byte or the end of the text.
fn scan_secrets(
    text: &[u8],
    visit: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> ControlFlow<()> {
    scan_jwts(text, visit)?;
    scan_bearers(text, visit)?;
    scan_secret_keys(text, visit)
}

fn is_base64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=')
}

fn scan_jwts(
    text: &[u8],
    visit: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let skip = |mut i: usize| {
        while text.get(i).copied().is_some_and(is_base64url) {
            i += 1;
        }
        i
    };
    // Building a searcher is not free; every line shares one.
    static JWT_START: LazyLock<memmem::Finder<'static>> =
        LazyLock::new(|| memmem::Finder::new(b"eyJ"));
    let mut covered = 0;
    for start in JWT_START.find_iter(text) {
        if start < covered {
            continue;
        }
        // Parts may be empty: an unsigned JWT ends with its second dot, and
        // anything shaped like a token is better hidden than shown.
        let first = skip(start + 3);
        if text.get(first) != Some(&b'.') {
            continue;
        }
        let second = skip(first + 1);
        if text.get(second) != Some(&b'.') {
            continue;
        }
        let end = skip(second + 1);
        // A JWT glued to a word (`xeyJ...`) takes the word along: a left-over
        // `x` after `Bearer ` would read as a token on a second pass.
        let start = start
            - text[..start]
                .iter()
                .rev()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                .count();
        visit(start, end)?;
        covered = end;
    }
    ControlFlow::Continue(())
}

/// RFC 6750 `b64token` characters.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
}

fn scan_bearers(
    text: &[u8],
    visit: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> ControlFlow<()> {
    for i in memchr2_iter(b'b', b'B', text) {
        let Some(word) = text.get(i..i + 6) else {
            break;
        };
        if !word.eq_ignore_ascii_case(b"bearer") || (i > 0 && text[i - 1].is_ascii_alphanumeric()) {
            continue;
        }
        let gap = i + 6;
        let start = gap
            + text[gap..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t')
                .count();
        if start == gap {
            continue;
        }
        let mut end = start
            + text[start..]
                .iter()
                .take_while(|&&b| is_token_char(b))
                .count();
        if end == start {
            continue;
        }
        end += text[end..].iter().take_while(|&&b| b == b'=').count();
        let token = &text[start..end];
        // `Bearer token missing` is prose and `token_type=Bearer expires_in=900`
        // is a following pair, not a token: `=` only pads a token's end, so a
        // padded token is followed by a blank or punctuation, not by a value
        // (which may be `[REDACTED]` on a second pass).
        let pair_follows = text[end - 1] == b'='
            && text.get(end).is_some_and(|&b| {
                !(b.is_ascii_whitespace()
                    || matches!(b, b'"' | b'\'' | b',' | b';' | b')' | b']' | b'}'))
            });
        // A run glued to `[REDACTED]` is what such a skipped run left behind
        // when a JWT inside it was redacted; taking it now would make a second
        // pass differ from the first.
        let remnant = text[end..].starts_with(REDACTED.as_bytes());
        if pair_follows
            || remnant
            || token.eq_ignore_ascii_case(b"token")
            || token.eq_ignore_ascii_case(b"tokens")
        {
            continue;
        }
        visit(start, end)?;
    }
    ControlFlow::Continue(())
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
}

fn is_secret_key(key: &[u8]) -> bool {
    // Most keys on a line (`user`, `path`, `status`...) are ruled out by
    // their last letter before any comparison.
    if !matches!(
        key.last().map(u8::to_ascii_lowercase),
        Some(b'd' | b't' | b'n' | b'y' | b'e')
    ) {
        return false;
    }
    let fold = |b: u8| {
        if b == b'-' {
            b'_'
        } else {
            b.to_ascii_lowercase()
        }
    };
    SECRET_KEYS.iter().any(|secret| {
        key.len() >= secret.len()
            && key[key.len() - secret.len()..]
                .iter()
                .zip(secret.iter())
                .all(|(&k, &s)| fold(k) == s)
    })
}

fn is_cookie_key(key: &[u8]) -> bool {
    key.len() >= 6 && key[key.len() - 6..].eq_ignore_ascii_case(b"cookie")
}

fn scan_secret_keys(
    text: &[u8],
    visit: &mut dyn FnMut(usize, usize) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let is_blank = |b: u8| b == b' ' || b == b'\t';
    // Delimiters inside a value already handled are skipped, which keeps
    // `token=token=token=...` linear.
    let mut handled = 0;
    for delimiter in memchr2_iter(b'=', b':', text) {
        if delimiter < handled {
            continue;
        }
        let mut k = delimiter;
        while k > 0 && is_blank(text[k - 1]) {
            k -= 1;
        }
        let quoted_key = k > 0 && matches!(text[k - 1], b'"' | b'\'');
        if quoted_key {
            k -= 1;
        }
        let key_end = k;
        while k > 0 && is_key_char(text[k - 1]) {
            k -= 1;
        }
        if !is_secret_key(&text[k..key_end]) {
            continue;
        }
        let (start, mut end, mut next) = secret_value(text, delimiter + 1, quoted_key);
        // A `Cookie` or `Set-Cookie` header holds several `name=value;` pairs, blanks
        // between them: all of it, to the line's end, is the secret.
        if is_cookie_key(&text[k..key_end])
            && !matches!(text.get(start.wrapping_sub(1)), Some(b'"' | b'\''))
        {
            end = start
                + text[start..]
                    .iter()
                    .take_while(|&&b| !matches!(b, b'\n' | b'\r' | b'"'))
                    .count();
            while end > start && is_blank(text[end - 1]) {
                end -= 1;
            }
            next = next.max(end);
        }
        handled = next;
        let value = &text[start..end];
        if !value.is_empty() && value != REDACTED.as_bytes() {
            visit(start, end)?;
        }
    }
    ControlFlow::Continue(())
}

/// The secret after a key's delimiter: (start, end, where scanning resumes).
/// After a quoted key (JSON), a bare value is a JSON scalar and also ends at
/// `,`, `}` and `]`.
fn secret_value(text: &[u8], after: usize, json: bool) -> (usize, usize, usize) {
    let is_blank = |b: u8| b == b' ' || b == b'\t';
    // A bare value ends where a URL query or a JSON string would go on;
    // commas stay inside, since a password may hold one.
    let bare_end = |from: usize| {
        // A value already redacted is one word even where `]` ends JSON scalars.
        let from = if text[from..].starts_with(REDACTED.as_bytes()) {
            from + REDACTED.len()
        } else {
            from
        };
        from + text[from..]
            .iter()
            .take_while(|&&b| {
                !(b.is_ascii_whitespace()
                    || b == b'&'
                    || b == b'"'
                    || (json && matches!(b, b',' | b'}' | b']')))
            })
            .count()
    };
    let start = after + text[after..].iter().take_while(|&&b| is_blank(b)).count();
    match text.get(start) {
        Some(&quote @ (b'"' | b'\'')) => {
            let inner = start + 1;
            let mut i = inner;
            while let Some(offset) = memchr3(quote, b'\\', b'\n', &text[i..]) {
                let j = i + offset;
                match text[j] {
                    b'\\' if text.get(j + 1).is_some_and(|&b| b != b'\n') => i = j + 2,
                    b'\\' => {
                        let end = (j + 1).min(text.len());
                        return (inner, end, end);
                    }
                    b'\n' => {
                        let end = if j > inner && text[j - 1] == b'\r' {
                            j - 1
                        } else {
                            j
                        };
                        return (inner, end, j);
                    }
                    _ => return (inner, j, j + 1),
                }
            }
            (inner, text.len(), text.len())
        }
        Some(_) => {
            let end = bare_end(start);
            let word = &text[start..end];
            if AUTH_SCHEMES.iter().any(|s| word.eq_ignore_ascii_case(s)) {
                let credential = end + text[end..].iter().take_while(|&&b| is_blank(b)).count();
                let credential_end = bare_end(credential);
                if credential > end && credential_end > credential {
                    return (credential, credential_end, credential_end);
                }
            }
            (start, end, end)
        }
        None => (start, start, start),
    }
}

/// Redacts the string literals of a JSON document and nothing else, so that keys, numbers
/// and the document's structure stay as they were (redacting the whole text could swallow
/// an escaped quote and break it). `json` must be valid JSON; a literal that does not
/// decode is left alone.
pub fn redact_json(json: &str) -> Cow<'_, str> {
    if !enabled() || !contains_secret(json.as_bytes()) {
        return Cow::Borrowed(json);
    }
    let bytes = json.as_bytes();
    let mut out = String::with_capacity(json.len());
    let mut done = 0;
    let mut i = 0;
    while let Some(offset) = memchr::memchr(b'"', &bytes[i..]) {
        let start = i + offset;
        // Find the closing quote, skipping escaped characters.
        let mut j = start + 1;
        while j < bytes.len() && bytes[j] != b'"' {
            j += if bytes[j] == b'\\' { 2 } else { 1 };
        }
        let end = (j + 1).min(bytes.len());
        let literal = &json[start..end];
        if let Ok(text) = serde_json::from_str::<String>(literal) {
            if let Cow::Owned(clean) = redact(&text) {
                out.push_str(&json[done..start]);
                out.push_str(&serde_json::to_string(&clean).unwrap_or_default());
                done = end;
            }
        }
        i = end;
    }
    out.push_str(&json[done..]);
    Cow::Owned(out)
}

/// Whether text still holds something shaped like a JWT (`eyJ`, base64url, `.`, base64url,
/// `.`): what must never be printed. For the tests of every output.
#[cfg(test)]
pub(crate) fn looks_like_jwt(text: &[u8]) -> bool {
    let b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    memmem::find_iter(text, b"eyJ").any(|start| {
        let mut i = start + 3;
        for _ in 0..2 {
            while text.get(i).copied().is_some_and(b64) {
                i += 1;
            }
            if text.get(i) != Some(&b'.') {
                return false;
            }
            i += 1;
        }
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JWT: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJDUk1fU1lOQyJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    /// Every secret of the cases below, and a secret of every kind, has a byte
    /// [`plain_ascii`] looks for; text without one is left as it is.
    #[test]
    fn plain_ascii_text_holds_no_secret() {
        for secret in [
            JWT,
            "Bearer abc",
            "bearer abc",
            "password=x",
            "Cookie: a=b",
            "\"apikey\":\"x\"",
            "token: x",
            "Authorization: Basic x",
            "caf\u{e9}",
        ] {
            assert!(!plain_ascii(secret.as_bytes()), "{secret}");
        }
        for plain in [
            "CRM_SYNC",
            "/rest-api/itsm/v1/dc/incident/data/42",
            "10.0.0.1",
            "GET",
            "",
        ] {
            assert!(plain_ascii(plain.as_bytes()), "{plain}");
            assert!(!contains_secret(plain.as_bytes()), "{plain}");
        }
        // Any text of the bytes left over, secret-shaped as it may look, is clean.
        let alphabet = b"eyakpsword_tTOKENcie .\"'-/=:bBJ";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            let mut text = Vec::new();
            for _ in 0..(state % 24) {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                text.push(alphabet[(state % alphabet.len() as u64) as usize]);
            }
            if plain_ascii(&text) {
                assert!(
                    !contains_secret(&text),
                    "{}",
                    String::from_utf8_lossy(&text)
                );
            } else {
                assert!(text.iter().any(|b| b"=:bBJ".contains(b)));
            }
        }
    }

    #[test]
    fn redacts() {
        let with_jwt = |s: &str| s.replace("JWT", JWT);
        let cases: &[(&str, &str)] = &[
            (
                "Authorization: Bearer abc.def-ghi",
                "Authorization: Bearer [REDACTED]",
            ),
            ("header Bearer JWT end", "header Bearer [REDACTED] end"),
            ("bearer xyz123", "bearer [REDACTED]"),
            ("BEARER\tabc", "BEARER\t[REDACTED]"),
            ("Bearer abc/def+g==", "Bearer [REDACTED]"),
            ("sent Bearer abc==, then", "sent Bearer [REDACTED], then"),
            ("\"Bearer abc=\"", "\"Bearer [REDACTED]\""),
            ("got JWT from cache", "got [REDACTED] from cache"),
            ("x=JWT,y", "x=[REDACTED],y"),
            ("(JWT)", "([REDACTED])"),
            ("glued-toJWT here", "[REDACTED] here"),
            ("Bearer 9userJWT", "Bearer [REDACTED]"),
            ("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.", "[REDACTED]"),
            ("a eyJ.. b", "a [REDACTED] b"),
            ("password=hunter2 user=a", "password=[REDACTED] user=a"),
            ("PASSWORD=hunter2", "PASSWORD=[REDACTED]"),
            ("passwd=x", "passwd=[REDACTED]"),
            ("pwd=x", "pwd=[REDACTED]"),
            ("secret=x", "secret=[REDACTED]"),
            ("client_secret=x", "client_secret=[REDACTED]"),
            ("token=x", "token=[REDACTED]"),
            ("access_token=x", "access_token=[REDACTED]"),
            ("refresh_token=x", "refresh_token=[REDACTED]"),
            ("api_key=x", "api_key=[REDACTED]"),
            ("apikey=x", "apikey=[REDACTED]"),
            ("authorization=x", "authorization=[REDACTED]"),
            ("Token: abc", "Token: [REDACTED]"),
            ("Cookie: JSESSIONID=ABC123; lang=fi", "Cookie: [REDACTED]"),
            (
                "Set-Cookie: JSESSIONID=ABC123; Path=/; HttpOnly\nnext line",
                "Set-Cookie: [REDACTED]\nnext line",
            ),
            ("cookie=\"a=b; c=d\" user=x", "cookie=\"[REDACTED]\" user=x"),
            (
                "url=/x;jsessionid=ABC123 status=200",
                "url=/x;jsessionid=[REDACTED] status=200",
            ),
            ("JSESSIONID=ABC123 user=x", "JSESSIONID=[REDACTED] user=x"),
            ("PHPSESSID=ABC123", "PHPSESSID=[REDACTED]"),
            ("password = hunter2", "password = [REDACTED]"),
            ("X-Api-Key: k123", "X-Api-Key: [REDACTED]"),
            ("db.password=x", "db.password=[REDACTED]"),
            ("newPassword=x", "newPassword=[REDACTED]"),
            (
                r#"{"token":"abc","user":"u"}"#,
                r#"{"token":"[REDACTED]","user":"u"}"#,
            ),
            (
                r#"{"password" : "p a ss\"w", "x":1}"#,
                r#"{"password" : "[REDACTED]", "x":1}"#,
            ),
            (
                r#"{"access_token":12345}"#,
                r#"{"access_token":[REDACTED]}"#,
            ),
            ("'secret': 'x y'", "'secret': '[REDACTED]'"),
            ("password=\"two words\" ok", "password=\"[REDACTED]\" ok"),
            (
                "password=\"unterminated rest\nnext line",
                "password=\"[REDACTED]\nnext line",
            ),
            (
                "password=\"unterminated rest\r\nnext",
                "password=\"[REDACTED]\r\nnext",
            ),
            ("password=\"ends\\", "password=\"[REDACTED]"),
            (
                "Authorization: Basic xyz",
                "Authorization: Basic [REDACTED]",
            ),
            (
                "Authorization: Bearer JWT",
                "Authorization: Bearer [REDACTED]",
            ),
            (
                r#""Authorization":"Bearer JWT""#,
                r#""Authorization":"[REDACTED]""#,
            ),
            (
                "Proxy-Authorization: Negotiate abc",
                "Proxy-Authorization: Negotiate [REDACTED]",
            ),
            ("authorization=Basic", "authorization=[REDACTED]"),
            (
                "POST /users/login?username=a&password=b&x=1",
                "POST /users/login?username=a&password=[REDACTED]&x=1",
            ),
            ("password=pässwörd ünïcode", "password=[REDACTED] ünïcode"),
            ("token=token=token=x", "token=[REDACTED]"),
            (
                "user=a password=x token=y",
                "user=a password=[REDACTED] token=[REDACTED]",
            ),
            (
                "login body {\"login\":\"u\",\"password\":\"p\"} token=JWT",
                "login body {\"login\":\"u\",\"password\":\"[REDACTED]\"} token=[REDACTED]",
            ),
        ];
        for (input, expected) in cases {
            let (input, expected) = (with_jwt(input), with_jwt(expected));
            let got = redact(&input);
            assert_eq!(got, expected, "input {input:?}");
            assert!(matches!(got, Cow::Owned(_)), "{input:?}");
            assert!(contains_secret(input.as_bytes()), "{input:?}");
            // Redacting again finds nothing new and costs nothing.
            assert!(matches!(redact(&got), Cow::Borrowed(_)), "twice {input:?}");
        }
    }

    #[test]
    fn leaves_clean_text_borrowed() {
        const CASES: &[&str] = &[
            "",
            "user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
            "2023-04-11 20:34:00,635 INFO  [http-nio-8443-exec-7] com.efecte.rest.RestApiLogger - REST API module started",
            "https://esm.example.com:8443/rest-api/itsm/v1/users/login",
            "Bearer token missing",
            "Bearer tokens expire",
            "Bearer",
            "token_type=Bearer expires_in=900",
            "Bearer x=[REDACTED]",
            r#"{"token_type":"Bearer","expires_in":900}"#,
            "eyJ but no dots. here.",
            "eyJabc.def",
            "passwordless=true tokens=3 secretary=x",
            "password= ",
            "password:",
            "password=\"\"",
            "token=[REDACTED] Bearer [REDACTED]",
            "Authorization: Basic [REDACTED]",
            "the token was rejected",
        ];
        for text in CASES {
            assert!(
                matches!(redact(text), Cow::Borrowed(_)),
                "{text:?} -> {:?}",
                redact(text)
            );
            assert!(!contains_secret(text.as_bytes()), "{text:?}");
        }
    }

    #[test]
    fn json_keeps_its_structure() {
        let json = r#"{"user": "a\"b password=x\"y", "n": 1, "t": "Bearer abc", "k": "plain"}"#;
        let got = redact_json(json);
        let value: serde_json::Value = serde_json::from_str(&got).expect("still JSON");
        assert_eq!(value["user"], "a\"b password=[REDACTED]\"y");
        assert_eq!(value["t"], "Bearer [REDACTED]");
        assert_eq!(value["k"], "plain");
        assert_eq!(value["n"], 1);
        // A whole-text pass would have taken the escaped quote with the password.
        assert!(serde_json::from_str::<serde_json::Value>(&redact(json)).is_err());
        assert!(matches!(redact_json(r#"{"a": "b"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn redacts_bytes_that_are_not_utf8() {
        let got = redact_bytes(b"\xff password=\xfe\xfd x \xc3");
        assert_eq!(&*got, b"\xff password=[REDACTED] x \xc3");
        assert!(matches!(redact_bytes(b"\xff\xfe plain"), Cow::Borrowed(_)));
    }
}
