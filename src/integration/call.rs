//! The REST call an entry records: its fields read from the message (by `key=value` or by
//! `--message-pattern`), with the endpoint, template and login derived for grouping.
//!
//! Only the entry's first line is read: the fields of a call are written on its header
//! line, and continuation lines are stack traces (formats.md section 2). This also keeps
//! a call's record independent of where the input was cut into chunks.

use std::fmt;

use regex::bytes::{CaptureLocations, Regex};

use super::message::{
    is_login, parse_fields_in, template_of, unreadable_values, BadFields, CallFields, DurationUnit,
    Field, FieldSources, MessageShape, Unreadable,
};
use super::path_memo::PathMemo;

/// Why a `--message-pattern` cannot be used.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum MessagePatternError {
    /// Not a valid regular expression.
    #[error("not a valid regular expression: {0}")]
    Regex(String),
    /// A named group whose name is not a field.
    #[error(
        "unknown group name `{name}`; the named groups must be among: {}",
        known_fields()
    )]
    UnknownGroup {
        /// The group's name as written.
        name: String,
    },
    /// Without both a method and a path group no entry could be a call.
    #[error(
        "the pattern has no `{field}` group: an entry is a call only with a method and a path, e.g. (?P<method>[A-Z]+) (?P<path>\\S+)"
    )]
    MissingGroup {
        /// The missing field's name.
        field: &'static str,
    },
}

/// The canonical field names, as listed in errors.
fn known_fields() -> String {
    Field::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `--message-pattern`: a regular expression whose named groups are field names
/// (`user ip method path status duration cards error`). It is checked when built, so a
/// scan never meets an unknown group.
#[derive(Debug, Clone)]
pub struct MessagePattern {
    regex: Regex,
    /// (capture group index, field) for every named group.
    groups: Vec<(usize, Field)>,
}

impl MessagePattern {
    /// Compiles and checks a pattern.
    pub fn new(pattern: &str) -> Result<MessagePattern, MessagePatternError> {
        let regex = Regex::new(pattern).map_err(|e| MessagePatternError::Regex(e.to_string()))?;
        MessagePattern::from_regex(regex)
    }

    /// Checks an already compiled regular expression.
    pub fn from_regex(regex: Regex) -> Result<MessagePattern, MessagePatternError> {
        let mut groups = Vec::new();
        for (index, name) in regex.capture_names().enumerate() {
            let Some(name) = name else { continue };
            let field = Field::ALL
                .into_iter()
                .find(|f| f.name() == name)
                .ok_or_else(|| MessagePatternError::UnknownGroup {
                    name: name.to_owned(),
                })?;
            groups.push((index, field));
        }
        for field in [Field::Method, Field::Path] {
            if !groups.iter().any(|&(_, f)| f == field) {
                return Err(MessagePatternError::MissingGroup {
                    field: field.name(),
                });
            }
        }
        Ok(MessagePattern { regex, groups })
    }

    /// The compiled expression.
    pub fn regex(&self) -> &Regex {
        &self.regex
    }
}

impl fmt::Display for MessagePattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.regex.as_str())
    }
}

/// One REST call, read from an entry's message. Byte slices borrow the message or the
/// reader's scratch buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord<'a> {
    /// The integration's account, as written.
    pub user: Option<&'a [u8]>,
    /// The client address, as written.
    pub ip: Option<&'a [u8]>,
    /// The HTTP method in upper case.
    pub method: &'a [u8],
    /// `METHOD /normalised/path`, e.g. `GET /dc/incident/data/{id}`; None when the reader
    /// was told to skip it for this call (see [`Endpoints`]).
    pub endpoint: Option<&'a [u8]>,
    /// The HTTP status; None when the message has none.
    pub status: Option<u16>,
    /// How long the call took, in microseconds.
    pub duration_us: Option<u64>,
    /// The number of data cards in the request.
    pub cards: Option<u64>,
    /// `POST .../login`; always decided, endpoint skipped or not.
    pub login: bool,
    /// Status, duration or cards written with a value that could not be read, so that the
    /// field is missing (reported by `check` as unreadable fields, see
    /// [`CallReader::unreadable_values`]).
    pub unreadable: BadFields,
    /// The message shape and keys the fields were read from (for `check`).
    pub sources: FieldSources,
}

impl CallRecord<'_> {
    /// The normalised path, without the method, when the endpoint was read.
    pub fn path(&self) -> Option<&[u8]> {
        self.endpoint.map(|e| &e[self.method.len() + 1..])
    }

    /// The template code (`incident`), for data-card endpoints; None also when the
    /// endpoint was skipped. Worked out when asked: most uses of a call never ask.
    pub fn template(&self) -> Option<&[u8]> {
        self.path().and_then(template_of)
    }

    /// A transaction (status below 400) or not; None for a call without a status, which is
    /// counted as a call but as neither successful nor unsuccessful.
    pub fn successful(&self) -> Option<bool> {
        self.status.map(|s| s < 400)
    }
}

/// Which calls a [`CallReader`] works out the endpoint of. Normalising the path is a
/// good part of the cost of reading a call, and most reports need it only for some calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoints {
    /// Every call.
    All,
    /// Unsuccessful calls only (status 400 and above).
    Unsuccessful,
    /// None: only logins are still recognised, which needs their path.
    None,
}

/// Reads calls out of messages; holds the scratch buffers so that no message allocates.
/// One per thread.
#[derive(Debug, Clone)]
pub struct CallReader {
    pattern: Option<(MessagePattern, CaptureLocations)>,
    endpoints: Endpoints,
    duration_unit: DurationUnit,
    /// Every call's path is normalised in a report or an export, and most are repeats.
    paths: PathMemo,
    endpoint: Vec<u8>,
}

impl CallReader {
    /// A reader of `key=value` messages, or of `pattern` when given, that works out the
    /// endpoint of every call.
    pub fn new(pattern: Option<&MessagePattern>) -> CallReader {
        CallReader {
            pattern: pattern.map(|p| (p.clone(), p.regex.capture_locations())),
            endpoints: Endpoints::All,
            duration_unit: DurationUnit::Ms,
            paths: PathMemo::default(),
            endpoint: Vec::with_capacity(256),
        }
    }

    /// The same, working out the endpoints of `endpoints` only.
    pub fn with_endpoints(self, endpoints: Endpoints) -> CallReader {
        CallReader { endpoints, ..self }
    }

    /// The same, reading durations written as bare numbers in `unit` (`--duration-unit`).
    pub fn with_duration_unit(self, unit: DurationUnit) -> CallReader {
        CallReader {
            duration_unit: unit,
            ..self
        }
    }

    /// The fields of a message, by the pattern or as `key=value` pairs.
    pub fn fields<'m>(&mut self, message: &'m [u8]) -> CallFields<'m> {
        let Some((pattern, locations)) = &mut self.pattern else {
            return parse_fields_in(message, self.duration_unit);
        };
        let mut fields = CallFields::with_bare_unit(self.duration_unit);
        if pattern.regex.captures_read(locations, message).is_some() {
            fields.sources.note_shape(MessageShape::Pattern);
            for &(index, field) in &pattern.groups {
                if let Some((start, end)) = locations.get(index) {
                    fields.set(field, &message[start..end]);
                }
            }
        }
        fields
    }

    /// The values of the fields of `which` (a call's [`CallRecord::unreadable`]) that could
    /// not be read, found again in its message: rare, so not kept with every call.
    pub fn unreadable_values<'m>(
        &mut self,
        message: &'m [u8],
        which: BadFields,
    ) -> Vec<Unreadable<'m>> {
        let Some((pattern, locations)) = &mut self.pattern else {
            return unreadable_values(message, which, self.duration_unit);
        };
        let mut found = Vec::new();
        if pattern.regex.captures_read(locations, message).is_some() {
            for &(index, field) in &pattern.groups {
                if let Some((start, end)) = locations.get(index) {
                    if which.contains(field)
                        && !found.iter().any(|u: &Unreadable<'_>| u.field == field)
                    {
                        found.push(Unreadable {
                            field,
                            value: &message[start..end],
                        });
                    }
                }
            }
        }
        found
    }

    /// The call in a message (the first line of an entry, after its header), or None when
    /// the message has no method or no path (an informational entry).
    pub fn read<'a>(&'a mut self, message: &'a [u8]) -> Option<CallRecord<'a>> {
        let fields = self.fields(message);
        let (Some(method), Some(raw_path)) = (fields.method, fields.path) else {
            return None;
        };
        let method = method.trim_ascii();
        let wanted = match self.endpoints {
            Endpoints::All => true,
            Endpoints::Unsuccessful => fields.status.is_some_and(|s| s >= 400),
            Endpoints::None => false,
        };
        // Normalising never adds letters: a path without `login` in it is no login.
        let maybe_login =
            method.eq_ignore_ascii_case(b"POST") && contains_ignore_case(raw_path, b"login");
        self.endpoint.clear();
        self.endpoint
            .extend(method.iter().map(u8::to_ascii_uppercase));
        let method_len = self.endpoint.len();
        if wanted || maybe_login {
            self.endpoint.push(b' ');
            self.paths.normalise(raw_path, &mut self.endpoint);
        }
        let buffer = &self.endpoint[..];
        let method = &buffer[..method_len];
        let path = buffer.get(method_len + 1..);
        let login = maybe_login && path.is_some_and(|p| is_login(method, p));
        Some(CallRecord {
            user: fields.user,
            ip: fields.ip,
            method,
            endpoint: wanted.then_some(buffer),
            status: fields.status,
            duration_us: fields.duration_us,
            cards: fields.cards,
            login,
            unreadable: fields.missing_bad(),
            sources: fields.sources,
        })
    }
}

/// Whether `needle` (lower case, not empty) occurs in `haystack`, ignoring ASCII case.
/// Only the places where its first letter occurs are compared: it runs on every POST.
fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(at) = memchr::memchr2(first, first.to_ascii_uppercase(), &haystack[from..]) {
        let after = from + at + 1;
        if haystack
            .get(after..after + rest.len())
            .is_some_and(|w| w.eq_ignore_ascii_case(rest))
        {
            return true;
        }
        from = after;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_word_in_any_case() {
        for (haystack, found) in [
            ("/rest-api/itsm/v1/users/login", true),
            ("/rest-api/LOGIN", true),
            ("/Login?x=1", true),
            ("/llogin", true),
            ("/logi", false),
            ("/log/in", false),
            ("", false),
            ("l", false),
        ] {
            assert_eq!(
                contains_ignore_case(haystack.as_bytes(), b"login"),
                found,
                "{haystack}"
            );
        }
    }

    struct Want {
        user: Option<&'static str>,
        ip: Option<&'static str>,
        endpoint: &'static str,
        template: Option<&'static str>,
        status: Option<u16>,
        duration_us: Option<u64>,
        login: bool,
    }

    const W: Want = Want {
        user: None,
        ip: None,
        endpoint: "",
        template: None,
        status: None,
        duration_us: None,
        login: false,
    };

    fn check(reader: &mut CallReader, message: &str, want: Option<Want>) {
        let got = reader.read(message.as_bytes());
        let text = |b: Option<&[u8]>| b.map(|b| String::from_utf8_lossy(b).into_owned());
        let own = |s: Option<&str>| s.map(str::to_owned);
        match (got, want) {
            (None, None) => {}
            (Some(got), Some(want)) => {
                assert_eq!(text(got.user), own(want.user), "{message}");
                assert_eq!(text(got.ip), own(want.ip), "{message}");
                assert_eq!(text(got.endpoint).unwrap(), want.endpoint, "{message}");
                assert_eq!(text(got.template()), own(want.template), "{message}");
                assert_eq!(got.status, want.status, "{message}");
                assert_eq!(got.duration_us, want.duration_us, "{message}");
                assert_eq!(got.login, want.login, "{message}");
                assert_eq!(got.successful(), want.status.map(|s| s < 400), "{message}");
                let (method, path) = want.endpoint.split_once(' ').unwrap();
                assert_eq!(got.method, method.as_bytes());
                assert_eq!(got.path(), Some(path.as_bytes()));
            }
            (got, want) => panic!("{message}: got {got:?}, want a call: {}", want.is_some()),
        }
    }

    #[test]
    fn key_value_calls() {
        let mut r = CallReader::new(None);
        let cases: Vec<(&str, Option<Want>)> = vec![
            (
                "user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms",
                Some(Want { user: Some("CRM_SYNC"), ip: Some("10.20.0.10"), endpoint: "GET /dc/incident/data", template: Some("incident"), status: Some(200), duration_us: Some(143_000), ..W }),
            ),
            (
                "user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
                Some(Want { user: Some("CRM_SYNC"), ip: Some("10.20.0.10"), endpoint: "POST /dc/incident/data", template: Some("incident"), status: Some(429), duration_us: Some(2_000), ..W }),
            ),
            // Aliases, lower-case method, full URL with query, a bare number of ms.
            (
                "username=HR_IMPORT client=10.1.1.1 verb=put uri=https://h:8443/rest-api/itsm/v1/dc/person/data/77?x=1 code=500 took=812",
                Some(Want { user: Some("HR_IMPORT"), ip: Some("10.1.1.1"), endpoint: "PUT /dc/person/data/{id}", template: Some("person"), status: Some(500), duration_us: Some(812_000), ..W }),
            ),
            (
                "login=TEST remote=::1 method=POST endpoint=/rest-api/itsm/v1/users/login http_status=200 elapsed=1.2s",
                Some(Want { user: Some("TEST"), ip: Some("::1"), endpoint: "POST /users/login", status: Some(200), duration_us: Some(1_200_000), login: true, ..W }),
            ),
            // A call without status or duration is still a call.
            ("method=DELETE url=/itsm/api/v2/dc/change/data/5", Some(Want { endpoint: "DELETE /dc/change/data/{id}", template: Some("change"), ..W })),
            // An unusable status is no status.
            ("method=GET path=/x status=OK", Some(Want { endpoint: "GET /x", ..W })),
            // Not calls: informational entries.
            ("REST API module started", None),
            ("method=GET status=200", None),
            ("path=/x status=200", None),
            ("", None),
        ];
        for (message, want) in cases {
            check(&mut r, message, want);
        }
    }

    #[test]
    fn endpoints_of_unsuccessful_calls_only() {
        let mut r = CallReader::new(None).with_endpoints(Endpoints::Unsuccessful);
        let ok = r
            .read(b"user=A method=GET path=/rest-api/itsm/v1/dc/incident/data/7 status=200")
            .unwrap();
        assert_eq!(
            (ok.method, ok.endpoint, ok.template(), ok.path()),
            (&b"GET"[..], None, None, None)
        );
        let failed = r
            .read(b"method=put path=/rest-api/itsm/v1/dc/person/data/7 status=409")
            .unwrap();
        assert_eq!(failed.endpoint, Some(&b"PUT /dc/person/data/{id}"[..]));
        assert_eq!(failed.template(), Some(&b"person"[..]));
        // Logins are found whether the endpoint is kept or not.
        for (message, login) in [
            (
                &b"method=POST path=https://h/rest-api/itsm/v1/users/LOGIN?x=1 status=200"[..],
                true,
            ),
            (b"method=post path=/login;jsessionid=1 status=200", true),
            (b"method=POST path=/users/login/x status=200", false),
            (b"method=GET path=/users/login status=200", false),
            (b"method=POST path=/users/logon status=200", false),
        ] {
            let call = r.read(message).unwrap();
            assert_eq!(call.login, login, "{message:?}");
            assert_eq!(call.endpoint, None);
        }
        let call = r.read(b"method=POST path=/users/login status=401").unwrap();
        assert!(call.login);
        assert_eq!(call.endpoint, Some(&b"POST /users/login"[..]));
    }

    const PATTERN: &str = r"(?P<method>[A-Z]+) (?P<path>\S+) by (?P<user>\S+) -> (?P<status>\d{3}) in (?P<duration>\d+) ms";

    #[test]
    fn pattern_calls() {
        let pattern = MessagePattern::new(PATTERN).unwrap();
        assert_eq!(pattern.to_string(), PATTERN);
        let mut r = CallReader::new(Some(&pattern));
        check(
            &mut r,
            "GET /rest-api/itsm/v1/dc/incident/data by TEST_RESTAPI -> 200 in 143 ms",
            Some(Want {
                user: Some("TEST_RESTAPI"),
                endpoint: "GET /dc/incident/data",
                template: Some("incident"),
                status: Some(200),
                duration_us: Some(143_000),
                ..W
            }),
        );
        check(
            &mut r,
            "prefix POST /rest-api/itsm/v1/users/login by X -> 401 in 3 ms",
            Some(Want {
                user: Some("X"),
                endpoint: "POST /users/login",
                status: Some(401),
                duration_us: Some(3_000),
                login: true,
                ..W
            }),
        );
        // No match: informational, even if it has key=value pairs.
        check(&mut r, "method=GET path=/x status=200", None);
        // Optional groups that did not take part leave their field empty.
        let optional =
            MessagePattern::new(r"(?P<method>\w+) (?P<path>\S+)(?: (?P<status>\d+))?").unwrap();
        let mut r = CallReader::new(Some(&optional));
        check(
            &mut r,
            "GET /a/b",
            Some(Want {
                endpoint: "GET /a/b",
                ..W
            }),
        );
        check(
            &mut r,
            "GET /a/b 204",
            Some(Want {
                endpoint: "GET /a/b",
                status: Some(204),
                ..W
            }),
        );
    }

    #[test]
    fn pattern_errors() {
        let err = MessagePattern::new(r"(?P<method>\w+) (?P<path>\S+) (?P<who>\S+)").unwrap_err();
        assert_eq!(
            err,
            MessagePatternError::UnknownGroup { name: "who".into() }
        );
        assert_eq!(
            err.to_string(),
            "unknown group name `who`; the named groups must be among: user, ip, method, path, status, duration, cards, error"
        );
        // Aliases are keys of key=value messages, not group names.
        assert!(matches!(
            MessagePattern::new(r"(?P<verb>\w+) (?P<path>\S+)"),
            Err(MessagePatternError::UnknownGroup { .. })
        ));
        assert_eq!(
            MessagePattern::new(r"(?P<method>\w+) (\S+)").unwrap_err(),
            MessagePatternError::MissingGroup { field: "path" }
        );
        assert_eq!(
            MessagePattern::new(r"(?P<path>\S+)").unwrap_err(),
            MessagePatternError::MissingGroup { field: "method" }
        );
        assert!(matches!(
            MessagePattern::new(r"(?P<method>"),
            Err(MessagePatternError::Regex(_))
        ));
        assert!(
            MessagePattern::from_regex(Regex::new(r"(?P<method>\w+) (?P<path>\S+)").unwrap())
                .is_ok()
        );
    }
}
