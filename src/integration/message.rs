//! Reads the REST call out of an integration.log message.
//!
//! The `key=value` reader for the message of an integration.log entry (formats.md section 2,
//! "The REST call in a message"), with the path normalisation used for grouping.
//!
//! It runs on every line of logs that can be gigabytes long, so they work on
//! bytes (messages need not be valid UTF-8), borrow the input and allocate
//! nothing in the common case.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr3};
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case};
use nom::character::complete::{char, digit1, space0};
use nom::combinator::{all_consuming, opt, success, value};
use nom::sequence::preceded;
use nom::{IResult, Parser};

use super::shapes;

/// A field of a REST call, as named by formats.md; each has several keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The integration's local account.
    User,
    /// The client address.
    Ip,
    /// The HTTP method.
    Method,
    /// The request path, possibly a full URL with a query string.
    Path,
    /// The HTTP status.
    Status,
    /// How long the call took.
    Duration,
    /// The number of data cards in the request.
    Cards,
    /// The error text of an unsuccessful call.
    Error,
}

impl Field {
    /// Every field, in the order of formats.md.
    pub const ALL: [Field; 8] = [
        Field::User,
        Field::Ip,
        Field::Method,
        Field::Path,
        Field::Status,
        Field::Duration,
        Field::Cards,
        Field::Error,
    ];

    /// The canonical name (the first key), as used in reports and errors.
    pub const fn name(self) -> &'static str {
        self.keys()[0]
    }

    /// The keys that carry this field, canonical name first (lower case, at most eight; a
    /// camelCase key such as `statusCode` matches `statuscode`, case being ignored).
    pub const fn keys(self) -> &'static [&'static str] {
        match self {
            Field::User => &[
                "user",
                "username",
                "login",
                "user_name",
                "user.name",
                "principal",
                "account",
            ],
            Field::Ip => &[
                "ip",
                "client",
                "remote",
                "client_ip",
                "clientip",
                "remote_addr",
                "client.ip",
                "source.ip",
            ],
            Field::Method => &[
                "method",
                "verb",
                "http_method",
                "httpmethod",
                "request_method",
                "requestmethod",
                "http.request.method",
            ],
            Field::Path => &[
                "path",
                "uri",
                "url",
                "endpoint",
                "request_uri",
                "requesturi",
                "url.path",
                "url.original",
            ],
            Field::Status => &[
                "status",
                "code",
                "http_status",
                "status_code",
                "statuscode",
                "response_code",
                "responsecode",
                "http.response.status_code",
            ],
            Field::Duration => &[
                "duration",
                "took",
                "elapsed",
                "time",
                "duration_ms",
                "response_time",
                "responsetime",
                "event.duration",
            ],
            Field::Cards => &["cards", "count"],
            Field::Error => &["error", "msg", "reason"],
        }
    }

    /// The unit of a bare number under the key at `alias` in [`Field::keys`], where the key
    /// names one (`duration_ms`; ECS's `event.duration` is in nanoseconds).
    const fn unit_of_key(self, alias: u8) -> Option<DurationUnit> {
        match (self, alias) {
            (Field::Duration, 4) => Some(DurationUnit::Ms),
            (Field::Duration, 7) => Some(DurationUnit::Ns),
            _ => None,
        }
    }

    /// The field a key (or `--message-pattern` group name) stands for, ignoring ASCII case.
    pub fn from_key(key: &[u8]) -> Option<Field> {
        Key::of(key).map(|k| k.field)
    }

    const fn index(self) -> u8 {
        match self {
            Field::User => 0,
            Field::Ip => 1,
            Field::Method => 2,
            Field::Path => 3,
            Field::Status => 4,
            Field::Duration => 5,
            Field::Cards => 6,
            Field::Error => 7,
        }
    }
}

/// A key a field was written under: the field and the position of the key in
/// [`Field::keys`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    /// The field.
    pub field: Field,
    /// Where the key is in the field's [`Field::keys`].
    pub alias: u8,
}

impl Key {
    const fn new(field: Field, alias: u8) -> Key {
        Key { field, alias }
    }

    /// The field's canonical key.
    pub const fn canonical(field: Field) -> Key {
        Key::new(field, 0)
    }

    /// The key (any alias of [`Field::keys`], ASCII case ignored) as a field, if it is one.
    pub fn of(key: &[u8]) -> Option<Key> {
        use Field::*;
        // Runs on every `=` of every line: length and first letter leave at
        // most a few candidates, compared without copying.
        let is = |name: &[u8]| key.eq_ignore_ascii_case(name);
        let first = key.first()?.to_ascii_lowercase();
        let (field, alias) = match (key.len(), first) {
            (2, b'i') if is(b"ip") => (Ip, 0),
            (3, b'u') if is(b"uri") => (Path, 1),
            (3, b'u') if is(b"url") => (Path, 2),
            (3, b'm') if is(b"msg") => (Error, 1),
            (4, b'u') if is(b"user") => (User, 0),
            (4, b'v') if is(b"verb") => (Method, 1),
            (4, b'p') if is(b"path") => (Path, 0),
            (4, b'c') if is(b"code") => (Status, 1),
            (4, b't') if is(b"took") => (Duration, 1),
            (4, b't') if is(b"time") => (Duration, 3),
            (5, b'l') if is(b"login") => (User, 2),
            (5, b'c') if is(b"cards") => (Cards, 0),
            (5, b'c') if is(b"count") => (Cards, 1),
            (5, b'e') if is(b"error") => (Error, 0),
            (6, b'c') if is(b"client") => (Ip, 1),
            (6, b'r') if is(b"remote") => (Ip, 2),
            (6, b'r') if is(b"reason") => (Error, 2),
            (6, b'm') if is(b"method") => (Method, 0),
            (6, b's') if is(b"status") => (Status, 0),
            (7, b'e') if is(b"elapsed") => (Duration, 2),
            (7, b'a') if is(b"account") => (User, 6),
            (8, b'u') if is(b"username") => (User, 1),
            (8, b'e') if is(b"endpoint") => (Path, 3),
            (8, b'd') if is(b"duration") => (Duration, 0),
            (8, b'c') if is(b"clientip") => (Ip, 4),
            (8, b'u') if is(b"url.path") => (Path, 6),
            (9, b'u') if is(b"user_name") => (User, 3),
            (9, b'u') if is(b"user.name") => (User, 4),
            (9, b'p') if is(b"principal") => (User, 5),
            (9, b'c') if is(b"client_ip") => (Ip, 3),
            (9, b'c') if is(b"client.ip") => (Ip, 6),
            (9, b's') if is(b"source.ip") => (Ip, 7),
            (10, b'h') if is(b"httpmethod") => (Method, 3),
            (10, b'r') if is(b"requesturi") => (Path, 5),
            (10, b's') if is(b"statuscode") => (Status, 4),
            (11, b'h') if is(b"http_status") => (Status, 2),
            (11, b'h') if is(b"http_method") => (Method, 2),
            (11, b'r') if is(b"remote_addr") => (Ip, 5),
            (11, b'r') if is(b"request_uri") => (Path, 4),
            (11, b's') if is(b"status_code") => (Status, 3),
            (11, b'd') if is(b"duration_ms") => (Duration, 4),
            (12, b'u') if is(b"url.original") => (Path, 7),
            (12, b'r') if is(b"responsecode") => (Status, 6),
            (12, b'r') if is(b"responsetime") => (Duration, 6),
            (13, b'r') if is(b"requestmethod") => (Method, 5),
            (13, b'r') if is(b"response_code") => (Status, 5),
            (13, b'r') if is(b"response_time") => (Duration, 5),
            (14, b'r') if is(b"request_method") => (Method, 4),
            (14, b'e') if is(b"event.duration") => (Duration, 7),
            (19, b'h') if is(b"http.request.method") => (Method, 6),
            (25, b'h') if is(b"http.response.status_code") => (Status, 7),
            _ => return None,
        };
        Some(Key::new(field, alias))
    }

    /// The key as written in [`Field::keys`].
    pub fn name(self) -> &'static str {
        self.field.keys()[usize::from(self.alias)]
    }

    const fn bit(self) -> u64 {
        1 << (self.field.index() * 8 + self.alias)
    }
}

/// How the REST fields of a message were written: a set of the keys they were read under
/// and of the message shapes read. A bit set: it rides along with every call and is merged
/// by OR, so `check` can say which names a log uses at no cost per line.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FieldSources {
    keys: u64,
    shapes: u8,
}

/// The shape a message's REST fields were written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageShape {
    /// `key=value` and `key="value"` pairs (what ESM writes).
    KeyValue,
    /// `key: value` pairs, and `"key": value` members of a JSON object.
    KeyColon,
    /// An NCSA-like request line: `"GET /path HTTP/1.1" 200 1234 143ms`.
    RequestLine,
    /// `--message-pattern`.
    Pattern,
}

impl MessageShape {
    const ALL: [MessageShape; 4] = [
        MessageShape::KeyValue,
        MessageShape::KeyColon,
        MessageShape::RequestLine,
        MessageShape::Pattern,
    ];

    /// How `check` names the shape.
    pub const fn describe(self) -> &'static str {
        match self {
            MessageShape::KeyValue => "key=value",
            MessageShape::KeyColon => "key: value or JSON",
            MessageShape::RequestLine => "request line (\"GET /path HTTP/1.1\" 200)",
            MessageShape::Pattern => "--message-pattern",
        }
    }

    const fn bit(self) -> u8 {
        match self {
            MessageShape::KeyValue => 1,
            MessageShape::KeyColon => 2,
            MessageShape::RequestLine => 4,
            MessageShape::Pattern => 8,
        }
    }
}

impl FieldSources {
    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: FieldSources) {
        self.keys |= other.keys;
        self.shapes |= other.shapes;
    }

    /// Whether nothing was read.
    pub fn is_empty(&self) -> bool {
        self.keys == 0 && self.shapes == 0
    }

    /// Adds a shape (a reader of a message records the shape it read).
    pub fn note_shape(&mut self, shape: MessageShape) {
        self.shapes |= shape.bit();
    }

    fn note_key(&mut self, key: Key) {
        self.keys |= key.bit();
    }

    /// The keys read, field by field in the order of formats.md.
    pub fn keys(&self) -> impl Iterator<Item = Key> + '_ {
        Field::ALL.into_iter().flat_map(move |field| {
            (0..field.keys().len() as u8)
                .map(move |alias| Key::new(field, alias))
                .filter(move |k| self.keys & k.bit() != 0)
        })
    }

    /// The shapes read.
    pub fn shapes(&self) -> impl Iterator<Item = MessageShape> + '_ {
        MessageShape::ALL
            .into_iter()
            .filter(move |s| self.shapes & s.bit() != 0)
    }

    /// For `check`: the shapes, and the keys other than a field's canonical name
    /// (`status ← statusCode`); None when the messages are ESM's `key=value` under the
    /// canonical names.
    pub fn describe(&self) -> Option<String> {
        let renamed: Vec<String> = self
            .keys()
            .filter(|k| k.alias != 0)
            .map(|k| format!("{} \u{2190} {}", k.field.name(), k.name()))
            .collect();
        let shapes: Vec<&str> = self.shapes().map(MessageShape::describe).collect();
        if renamed.is_empty() && shapes.iter().all(|&s| s == "key=value") {
            return None;
        }
        let mut text = format!("REST fields read from {}", shapes.join(", "));
        if !renamed.is_empty() {
            text.push_str(&format!("; under other names: {}", renamed.join(", ")));
        }
        Some(text)
    }
}

impl serde::Serialize for FieldSources {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("FieldSources", 2)?;
        s.serialize_field(
            "shapes",
            &self
                .shapes()
                .map(MessageShape::describe)
                .collect::<Vec<_>>(),
        )?;
        // Field name to the keys it was read under: `{"status": ["statusCode"]}`.
        let mut keys: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        for key in self.keys() {
            keys.entry(key.field.name()).or_default().push(key.name());
        }
        s.serialize_field("keys", &keys)?;
        s.end()
    }
}

/// The fields of a REST call as written in one message; slices borrow the line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CallFields<'a> {
    /// The integration's local account.
    pub user: Option<&'a [u8]>,
    /// The client address.
    pub ip: Option<&'a [u8]>,
    /// The HTTP method, as written.
    pub method: Option<&'a [u8]>,
    /// Raw path as written (may include scheme, host and query string).
    pub path: Option<&'a [u8]>,
    /// The HTTP status (three digits, 100 to 999).
    pub status: Option<u16>,
    /// Microseconds.
    pub duration_us: Option<u64>,
    /// The number of data cards in the request.
    pub cards: Option<u64>,
    /// Raw value (still escaped if it was quoted).
    pub error: Option<&'a [u8]>,
    /// The numeric fields that had a value that could not be read (`status=OK`,
    /// `duration=2min`); see [`unreadable_values`] for the values.
    pub bad: BadFields,
    /// The shapes and keys the fields were read from.
    pub sources: FieldSources,
    /// The unit of a duration written as a bare number.
    bare_unit: DurationUnit,
}

/// A set of the numeric fields (status, duration, cards) that had a value that could not be
/// read. A bit set rather than the values: it rides along with every call on the hot path,
/// and the values are found again (see [`unreadable_values`]) only for the rare call that
/// has one.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BadFields(u8);

impl BadFields {
    /// No field.
    pub const NONE: BadFields = BadFields(0);

    /// The numeric fields, in the order they are reported.
    const NUMERIC: [Field; 3] = [Field::Status, Field::Duration, Field::Cards];

    const fn bit(field: Field) -> u8 {
        match field {
            Field::Status => 1,
            Field::Duration => 2,
            Field::Cards => 4,
            _ => 0,
        }
    }

    /// The same set with `field` added (a text field is never bad).
    pub const fn with(self, field: Field) -> BadFields {
        BadFields(self.0 | BadFields::bit(field))
    }

    /// The same set without `field`.
    pub const fn without(self, field: Field) -> BadFields {
        BadFields(self.0 & !BadFields::bit(field))
    }

    /// Whether `field` is in the set.
    pub const fn contains(self, field: Field) -> bool {
        self.0 & BadFields::bit(field) != 0
    }

    /// Whether the set is not empty.
    pub const fn any(self) -> bool {
        self.0 != 0
    }

    /// The fields in the set.
    pub fn fields(self) -> impl Iterator<Item = Field> {
        BadFields::NUMERIC
            .into_iter()
            .filter(move |&f| self.contains(f))
    }
}

/// The unit of a duration written as a bare number (`duration=143`), `--duration-unit`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DurationUnit {
    /// Nanoseconds.
    Ns,
    /// Microseconds.
    Us,
    /// Milliseconds, what ESM writes.
    #[default]
    Ms,
    /// Seconds (`time: 0.247` of many web servers).
    S,
}

impl DurationUnit {
    /// Every unit, by its name.
    pub const ALL: [(&'static str, DurationUnit); 4] = [
        ("ns", DurationUnit::Ns),
        ("us", DurationUnit::Us),
        ("ms", DurationUnit::Ms),
        ("s", DurationUnit::S),
    ];

    /// Nanoseconds in one unit.
    pub const fn nanos(self) -> u64 {
        match self {
            DurationUnit::Ns => 1,
            DurationUnit::Us => 1_000,
            DurationUnit::Ms => 1_000_000,
            DurationUnit::S => 1_000_000_000,
        }
    }
}

impl std::str::FromStr for DurationUnit {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = if s == "\u{b5}s" || s == "\u{3bc}s" {
            "us"
        } else {
            s
        };
        DurationUnit::ALL
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, unit)| *unit)
            .ok_or_else(|| format!("unknown duration unit `{s}`; use one of ns, us, ms, s"))
    }
}

impl std::fmt::Display for DurationUnit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = DurationUnit::ALL
            .iter()
            .find(|(_, unit)| unit == self)
            .map_or("ms", |(name, _)| name);
        f.write_str(name)
    }
}

/// A numeric field of a call whose value was written but could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable<'a> {
    /// The field.
    pub field: Field,
    /// Its value as written.
    pub value: &'a [u8],
}

impl Unreadable<'_> {
    /// Why the value could not be read, for `check`.
    pub fn reason(&self) -> String {
        let value = String::from_utf8_lossy(self.value.trim_ascii());
        let why = match self.field {
            Field::Status if value.bytes().all(|b| b.is_ascii_digit()) => {
                "is not a three-digit HTTP status (100 to 999)"
            }
            Field::Status => "is not a number",
            Field::Duration if value.starts_with('-') => "is negative",
            Field::Duration => {
                "is no decimal number with a known unit (ms, s, us, µs, ns, or ISO-8601 such as PT0.143S), or is too large"
            }
            _ => "is not a whole number",
        };
        format!("unreadable {} `{value}`: {why}", self.field.name())
    }
}

impl<'a> CallFields<'a> {
    /// No fields yet; durations written as bare numbers are in `unit`.
    pub fn with_bare_unit(unit: DurationUnit) -> CallFields<'a> {
        CallFields {
            bare_unit: unit,
            ..CallFields::default()
        }
    }

    /// The numeric fields that are missing because their value could not be read (a later
    /// usable value of the same field wins, as for every field).
    pub fn missing_bad(&self) -> BadFields {
        let mut bad = self.bad;
        if !bad.any() {
            return bad;
        }
        for (field, read) in [
            (Field::Status, self.status.is_some()),
            (Field::Duration, self.duration_us.is_some()),
            (Field::Cards, self.cards.is_some()),
        ] {
            if read {
                bad = bad.without(field);
            }
        }
        bad
    }

    /// A call is an entry with a method and a path.
    pub fn is_call(&self) -> bool {
        self.method.is_some() && self.path.is_some()
    }

    /// Whether the call counts as a transaction (status below 400); None without a status.
    pub fn is_successful(&self) -> Option<bool> {
        self.status.map(|s| s < 400)
    }

    /// Stores `value` as `field` unless the field already holds a value or
    /// `value` is not usable for it (empty, or not a number where one is
    /// needed). Returns whether it was stored.
    ///
    /// This is where both readers (`key=value` and `--message-pattern`)
    /// turn text into fields, so that they agree on what a value means.
    pub fn set(&mut self, field: Field, value: &'a [u8]) -> bool {
        self.set_in(field, value, self.bare_unit)
    }

    /// [`CallFields::set`] under a key of the message, which a source of the call becomes
    /// when the value is stored; a key that names its unit (`duration_ms`) gives bare
    /// numbers that unit.
    pub fn set_keyed(&mut self, key: Key, value: &'a [u8]) -> bool {
        let unit = key.field.unit_of_key(key.alias).unwrap_or(self.bare_unit);
        let stored = self.set_in(key.field, value, unit);
        if stored {
            self.sources.note_key(key);
        }
        stored
    }

    fn set_in(&mut self, field: Field, value: &'a [u8], bare_unit: DurationUnit) -> bool {
        fn text<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) -> bool {
            if slot.is_some() || value.is_empty() {
                return false;
            }
            *slot = Some(value);
            true
        }
        match field {
            Field::User => text(&mut self.user, value),
            Field::Ip => text(&mut self.ip, value),
            Field::Method => text(&mut self.method, value),
            Field::Path => text(&mut self.path, value),
            Field::Error => text(&mut self.error, value),
            Field::Status => {
                if self.status.is_some() {
                    return false;
                }
                self.status = parse_status(value);
                self.status.is_some() || self.note_bad(field, value)
            }
            Field::Duration => {
                if self.duration_us.is_some() {
                    return false;
                }
                self.duration_us = parse_duration_in(value, bare_unit);
                self.duration_us.is_some() || self.note_bad(field, value)
            }
            Field::Cards => {
                if self.cards.is_some() {
                    return false;
                }
                self.cards = parse_count(value);
                self.cards.is_some() || self.note_bad(field, value)
            }
        }
    }

    /// Notes that `field` had a value that could not be read (unless it is empty, which
    /// is no value); false, as nothing was stored. Out of line: rare.
    #[cold]
    #[inline(never)]
    fn note_bad(&mut self, field: Field, value: &[u8]) -> bool {
        if !value.trim_ascii().is_empty() {
            self.bad = self.bad.with(field);
        }
        false
    }
}

/// The first value of each field of `which` that could not be read, read again from a
/// `key=value` message: the reasons for `check`, found only for the calls that have one.
pub fn unreadable_values(
    message: &[u8],
    which: BadFields,
    unit: DurationUnit,
) -> Vec<Unreadable<'_>> {
    let mut found: Vec<Unreadable<'_>> = Vec::new();
    let mut visit = |key: Key, value| {
        let field = key.field;
        if which.contains(field) && !found.iter().any(|u| u.field == field) {
            let mut probe = CallFields::with_bare_unit(unit);
            if !probe.set_keyed(key, value) && probe.bad.contains(field) {
                found.push(Unreadable { field, value });
            }
        }
        false
    };
    for_each_pair(message, &mut visit);
    shapes::for_each_colon_pair(message, &mut visit);
    if let Some(request) = shapes::request_line(message) {
        for (field, value) in [
            (Field::Status, request.status),
            (Field::Duration, request.duration),
        ] {
            if let Some(value) = value {
                visit(Key::canonical(field), value);
            }
        }
    }
    found.sort_by_key(|u| BadFields::NUMERIC.iter().position(|&f| f == u.field));
    found
}

/// Parses `key=value` pairs (values may be double-quoted with backslash
/// escapes; other words are ignored; keys are case-insensitive and may be any
/// alias of formats.md). The first usable occurrence of a field wins: empty
/// values and non-numbers for numeric fields do not count. Never panics, on
/// any bytes (invalid UTF-8 included).
///
/// A key is a whole whitespace-separated word (`[user=x]` has the key
/// `[user`). A quoted value ends at its closing quote or, unterminated, at the
/// end of its line; `=` inside a value never starts a pair.
pub fn parse_fields(message: &[u8]) -> CallFields<'_> {
    parse_fields_in(message, DurationUnit::Ms)
}

/// [`parse_fields`], with durations written as bare numbers in `unit`.
///
/// A message in which `key=value` finds no call is read again in the other shapes (see
/// [`shapes`]): `key: value` and JSON members, then a request line; a field already read
/// keeps its value.
pub fn parse_fields_in(message: &[u8], unit: DurationUnit) -> CallFields<'_> {
    let mut fields = CallFields::with_bare_unit(unit);
    let mut missing = Field::ALL.len();
    let mut store = |key, value| {
        if fields.set_keyed(key, value) {
            missing -= 1;
        }
        missing == 0
    };
    // Most of ESM's messages end with the pairs in its order: nothing is left to search.
    if let Some(read) = read_esm_order(message, &mut store).filter(|&r| r < message.len()) {
        for_each_pair(&message[read..], store);
    }
    if !fields.sources.is_empty() {
        fields.sources.note_shape(MessageShape::KeyValue);
    }
    // ESM's lines have all three; a JSON line may hold the call in its message and the
    // user in its MDC.
    if !fields.is_call() || fields.user.is_none() || fields.status.is_none() {
        read_other_shapes(message, &mut fields);
    }
    fields
}

/// The second reading of [`parse_fields_in`], out of line: ESM's messages never need it.
#[cold]
#[inline(never)]
fn read_other_shapes<'a>(message: &'a [u8], fields: &mut CallFields<'a>) {
    let mut read = false;
    shapes::for_each_colon_pair(message, |key, value| {
        read |= fields.set_keyed(key, value);
        false
    });
    if read {
        fields.sources.note_shape(MessageShape::KeyColon);
    }
    if fields.is_call() && fields.status.is_some() {
        return;
    }
    if let Some(request) = shapes::request_line(message) {
        fields.sources.note_shape(MessageShape::RequestLine);
        fields.set(Field::Method, request.method);
        fields.set(Field::Path, request.path);
        for (field, value) in [
            (Field::Status, request.status),
            (Field::Duration, request.duration),
            (Field::User, request.user),
            (Field::Ip, request.ip),
        ] {
            if let Some(value) = value {
                fields.set(field, value);
            }
        }
    }
}

/// The keys ESM writes, in the order it writes them, each after one space.
const ESM_ORDER: [EsmKey; 6] = [
    EsmKey::new(b"user=", Field::User),
    EsmKey::new(b"ip=", Field::Ip),
    EsmKey::new(b"method=", Field::Method),
    EsmKey::new(b"path=", Field::Path),
    EsmKey::new(b"status=", Field::Status),
    EsmKey::new(b"duration=", Field::Duration),
];

/// A key of [`ESM_ORDER`] with its `=`, also as the first 16 bytes a text starting with it
/// has (and which of them count), so that one comparison of two numbers tells.
#[derive(Debug, Clone, Copy)]
struct EsmKey {
    name: &'static [u8],
    field: Field,
    word: u128,
    mask: u128,
}

impl EsmKey {
    const fn new(name: &'static [u8], field: Field) -> EsmKey {
        assert!(name.len() <= 16);
        let (mut word, mut mask, mut i) = (0u128, 0u128, 0);
        while i < name.len() {
            word |= (name[i] as u128) << (8 * i);
            mask |= 0xff << (8 * i);
            i += 1;
        }
        EsmKey {
            name,
            field,
            word,
            mask,
        }
    }

    /// Whether `text` starts with the key.
    #[inline(always)]
    fn starts(&self, text: &[u8]) -> bool {
        match text.first_chunk::<16>() {
            Some(start) => u128::from_le_bytes(*start) & self.mask == self.word,
            None => text.starts_with(self.name),
        }
    }
}

/// Reads the pairs at the start of `message` that follow ESM's own order
/// ([`ESM_ORDER`]) and hands them to `visit`, as [`for_each_pair`] would, without
/// searching for each `=` and matching each key among the aliases: every message of ESM's
/// logs starts this way, and this was half of the time of a scan. Returns where the
/// pairs it read end, where [`for_each_pair`] takes over with the same result as if it
/// had read the message from its start (`tests::esm_order_reads_as_the_general_reader`);
/// None when `visit` asked to stop.
#[inline(always)]
fn read_esm_order<'a>(
    message: &'a [u8],
    mut visit: impl FnMut(Key, &'a [u8]) -> bool,
) -> Option<usize> {
    let mut end = 0;
    for (i, key) in ESM_ORDER.iter().enumerate() {
        let key_at = match i {
            0 => 0,
            _ if message.get(end) == Some(&b' ') => end + 1,
            _ => break,
        };
        let text = &message[key_at.min(message.len())..];
        if !key.starts(text) {
            break;
        }
        let (rest, raw) = pair_value(&text[key.name.len()..]);
        end = message.len() - rest.len();
        if visit(Key::canonical(key.field), raw) {
            return None;
        }
    }
    Some(end)
}

/// Calls `visit` with each `key=value` pair whose key is a field, in order, until it
/// returns true. See [`parse_fields`] for what a pair is.
#[inline(always)]
fn for_each_pair<'a>(message: &'a [u8], mut visit: impl FnMut(Key, &'a [u8]) -> bool) {
    let mut pos = 0;
    while let Some(offset) = message.get(pos..).and_then(|rest| memchr(b'=', rest)) {
        let eq = pos + offset;
        // Only bytes after `pos` are looked at again, so the whole scan stays linear.
        // A key starts after a blank, or after a quote (`"message":"user=A …` in JSON).
        let start = message[pos..eq]
            .iter()
            .rposition(|&b| b.is_ascii_whitespace() || b == b'"')
            .map_or(pos, |i| pos + i + 1);
        let (rest, raw) = pair_value(&message[eq + 1..]);
        pos = message.len() - rest.len();
        if let Some(key) = Key::of(&message[start..eq]) {
            if visit(key, raw) {
                break;
            }
        }
    }
}

/// Splits the value of a pair off the text after its `=`: (rest, raw value).
#[inline(always)]
fn pair_value(input: &[u8]) -> (&[u8], &[u8]) {
    // `alt((preceded(char('"'), quoted_body), bare_value))`, with the choice made on the
    // first byte: the quoted parser fails only there, and it runs on every value of every
    // line.
    let parsed = match input.first() {
        Some(b'"') => quoted_body(&input[1..]),
        _ => bare_value(input),
    };
    parsed.unwrap_or((input, &input[..0]))
}

/// An unquoted value: everything up to the first ASCII whitespace, double quote or
/// backslash (the end of a message written inside a JSON string, `..."duration=5ms",` or
/// `...5ms\n...`). Values are short (a user, a status, a path): eight bytes are tested at
/// a time for a byte that may end the value, and only the word that has one is looked at
/// byte by byte, which is sooner than a SIMD search whose set-up costs more than the scan.
#[inline]
fn bare_value(input: &[u8]) -> IResult<&[u8], &[u8]> {
    const END: [bool; 256] = {
        let mut table = [false; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = (i as u8).is_ascii_whitespace();
            i += 1;
        }
        table[b'"' as usize] = true;
        table[b'\\' as usize] = true;
        table
    };
    let mut from = 0;
    // Sixteen bytes at a time where SSE2 is (every x86-64): the bytes that may end the
    // value are flagged in one compare, and only flagged ones are looked up.
    #[cfg(target_arch = "x86_64")]
    while let Some(block) = input.get(from..from + 16) {
        let mut flagged = may_end_value16(block.try_into().expect("sixteen bytes"));
        while flagged != 0 {
            let at = from + flagged.trailing_zeros() as usize;
            if END[usize::from(input[at])] {
                return Ok((&input[at..], &input[..at]));
            }
            flagged &= flagged - 1;
        }
        from += 16;
    }
    while let Some(word) = input.get(from..from + 8) {
        if may_end_value(u64::from_le_bytes(word.try_into().expect("eight bytes"))) {
            break;
        }
        from += 8;
    }
    let end = input[from..]
        .iter()
        .position(|&b| END[usize::from(b)])
        .map_or(input.len(), |i| from + i);
    Ok((&input[end..], &input[..end]))
}

/// A bit for each of the sixteen bytes that may end a bare value: every byte below `#` (the
/// white space and `"` among them), every byte of 128 and more (the compare is signed), and
/// the backslash. Never clear for a byte that ends one.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn may_end_value16(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of every x86-64 target, and the load reads the sixteen bytes of
    // `block`, unaligned.
    unsafe {
        let bytes = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let low = _mm_cmplt_epi8(bytes, _mm_set1_epi8(b'#' as i8));
        let backslash = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(b'\\' as i8));
        _mm_movemask_epi8(_mm_or_si128(low, backslash)) as u32
    }
}

/// Whether one of the eight bytes of `word` may end a bare value: a byte below `#` (the
/// white space and `"` among them) or a backslash. Never false for a word that has one.
#[inline(always)]
fn may_end_value(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // A byte below n (n ≤ 128) borrows into its high bit, which the byte itself did not
    // have (bytes of 128 and more are never ends).
    let below = |w: u64, n: u64| w.wrapping_sub(ONES * n) & !w & HIGH != 0;
    below(word, u64::from(b'#')) || below(word ^ (ONES * u64::from(b'\\')), 1)
}

/// The inside of a double-quoted value, after the opening quote.
///
/// Values never span lines: an entry's continuation lines are stack traces,
/// and letting a stray quote swallow them would also make the scan quadratic.
fn quoted_body(input: &[u8]) -> IResult<&[u8], &[u8]> {
    let unterminated = |end: usize| Ok((&input[end..], trim_cr(&input[..end])));
    let mut i = 0;
    while let Some(offset) = memchr3(b'"', b'\\', b'\n', &input[i..]) {
        let j = i + offset;
        match input[j] {
            b'"' => return Ok((&input[j + 1..], &input[..j])),
            b'\\' => match input.get(j + 1) {
                Some(b'\n') => return unterminated(j + 1),
                Some(_) => i = j + 2,
                None => break,
            },
            _ => return unterminated(j),
        }
    }
    unterminated(input.len())
}

fn trim_cr(text: &[u8]) -> &[u8] {
    text.strip_suffix(b"\r").unwrap_or(text)
}

/// An HTTP status: exactly three digits, 100 to 999.
fn parse_status(text: &[u8]) -> Option<u16> {
    match text.trim_ascii() {
        &[a @ b'1'..=b'9', b @ b'0'..=b'9', c @ b'0'..=b'9'] => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// A count of data cards: decimal digits only, fitting u64.
fn parse_count(text: &[u8]) -> Option<u64> {
    let digits: IResult<&[u8], &[u8]> = all_consuming(digit1).parse(text.trim_ascii());
    digits.ok().and_then(|(_, d)| decimal(d))
}

/// Decimal digits to u64; None on overflow.
fn decimal(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &d| {
        acc.checked_mul(10)?
            .checked_add(u64::from(d.wrapping_sub(b'0')))
    })
}

/// Duration text to microseconds: `143ms`, `1.2s`, `850us`, `850µs`,
/// `1500ns`, ISO-8601 `PT0.143S` / `PT1M2.5S`, or a bare number of milliseconds;
/// decimals allowed, units ignore ASCII case, blanks around the number and before the
/// unit are allowed. Fractions of a microsecond are rounded half up. None if not a
/// duration or if it overflows u64.
pub fn parse_duration_us(text: &[u8]) -> Option<u64> {
    parse_duration_in(text, DurationUnit::Ms)
}

/// [`parse_duration_us`] with bare numbers in `unit`.
pub fn parse_duration_in(text: &[u8], unit: DurationUnit) -> Option<u64> {
    let text = text.trim_ascii();
    // The usual spelling, whole milliseconds (`143ms`), without the general parser's
    // 128-bit arithmetic; up to 15 digits the product cannot overflow.
    // A pattern rather than `strip_suffix`, and one fold that checks and sums the digits:
    // this runs on nearly every call, and a `memcmp` call or a second pass costs more.
    if let [digits @ .., b'm', b's'] = text {
        if (1..=15).contains(&digits.len()) {
            let value = digits.iter().try_fold(0u64, |acc, &d| {
                let digit = d.wrapping_sub(b'0');
                (digit <= 9).then_some(acc * 10 + u64::from(digit))
            });
            if let Some(ms) = value {
                return Some(ms * 1_000);
            }
        }
    }
    if let Some(iso) = text
        .strip_prefix(b"PT")
        .or_else(|| text.strip_prefix(b"pt"))
    {
        return parse_iso_duration_us(iso);
    }
    let parsed: IResult<&[u8], _> = all_consuming((
        digit1,
        opt(preceded(char('.'), digit1)),
        space0,
        alt((
            value(1_000_000u64, tag_no_case("ms")),
            value(1_000, tag_no_case("us")),
            value(1_000, tag("\u{b5}s")),  // micro sign
            value(1_000, tag("\u{3bc}s")), // Greek small letter mu
            value(1, tag_no_case("ns")),
            value(1_000_000_000, tag_no_case("s")),
            success(unit.nanos()),
        )),
    ))
    .parse(text);
    let (_, (whole, fraction, _, unit_ns)) = parsed.ok()?;
    let ns = decimal_ns(whole, fraction, unit_ns)?;
    u64::try_from((ns + 500) / 1_000).ok()
}

/// The part of an ISO-8601 duration after `PT`: `0.143S`, `1M2.5S`, `2H`; hours and
/// minutes whole, seconds with a fraction.
fn parse_iso_duration_us(text: &[u8]) -> Option<u64> {
    let parsed: IResult<&[u8], _> = all_consuming((
        opt((digit1, tag_no_case("H"))),
        opt((digit1, tag_no_case("M"))),
        opt((digit1, opt(preceded(char('.'), digit1)), tag_no_case("S"))),
    ))
    .parse(text);
    let (_, (hours, minutes, seconds)) = parsed.ok()?;
    if hours.is_none() && minutes.is_none() && seconds.is_none() {
        return None;
    }
    let mut ns = 0u128;
    if let Some((h, _)) = hours {
        ns += decimal_ns(h, None, 3_600_000_000_000)?;
    }
    if let Some((m, _)) = minutes {
        ns += decimal_ns(m, None, 60_000_000_000)?;
    }
    if let Some((whole, fraction, _)) = seconds {
        ns += decimal_ns(whole, fraction, 1_000_000_000)?;
    }
    u64::try_from((ns + 500) / 1_000).ok()
}

/// `whole.fraction` units of `unit_ns` nanoseconds, in nanoseconds.
fn decimal_ns(whole: &[u8], fraction: Option<&[u8]>, unit_ns: u64) -> Option<u128> {
    // Integer arithmetic in nanoseconds keeps `1.2s` exactly 1_200_000 µs.
    let whole_ns = u128::from(decimal(whole)?) * u128::from(unit_ns);
    let fraction_ns = fraction.map_or(0, |digits| {
        // Nine digits resolve a nanosecond of the largest unit; more cannot
        // change the rounded microseconds.
        let mut billionths = 0u128;
        for i in 0..9 {
            let digit = digits.get(i).map_or(0, |&d| d - b'0');
            billionths = billionths * 10 + u128::from(digit);
        }
        billionths * u128::from(unit_ns) / 1_000_000_000
    });
    Some(whole_ns + fraction_ns)
}

/// An endpoint: the path normalised for grouping, written into `out` (cleared
/// first) so that no line allocates.
///
/// Loses scheme and host of a full URL, the query string and fragment,
/// matrix parameters (`;jsessionid=...`), empty and `.` segments, and the API
/// base (`/rest-api/itsm` or `/itsm/api`, ASCII case ignored) with the version
/// segment right after it (`v1`, `v2`, `v1.2`); id segments (numbers, UUIDs, 32-hex
/// ids, `123:456`) become `{id}`. Other paths keep their segments as written. The result
/// always starts with `/` and has no trailing slash (unless it is `/`).
pub fn normalise_path(path: &[u8], out: &mut Vec<u8>) {
    /// The API base and its version are known only once the first three segments are
    /// seen, so the first is held back until the second says whether both are dropped.
    #[derive(Clone, Copy)]
    enum Lead {
        Start,
        First(usize, usize),
        Base,
        Rest,
    }
    /// Writes the kept segments. Most of a path is copied as it stands (`/dc/incident/data`
    /// after the base), so the kept bytes are gathered as a run of the input and copied
    /// once the run breaks, rather than a slash and a segment at a time.
    struct Writer<'a, 'b> {
        path: &'a [u8],
        out: &'b mut Vec<u8>,
        lead: Lead,
        run: std::ops::Range<usize>,
    }
    impl Writer<'_, '_> {
        /// The segment `path[from..to]`.
        #[inline(always)]
        fn segment(&mut self, from: usize, to: usize) {
            let segment = &self.path[from..to];
            if segment.is_empty() || segment == b"." {
                return;
            }
            match self.lead {
                Lead::Start => self.lead = Lead::First(from, to),
                Lead::First(first_from, first_to) => {
                    let first = &self.path[first_from..first_to];
                    // The base as usually written is told by a plain comparison.
                    let is =
                        |text: &[u8], word: &[u8]| text == word || text.eq_ignore_ascii_case(word);
                    let is_base = (is(first, b"rest-api") && is(segment, b"itsm"))
                        || (is(first, b"itsm") && is(segment, b"api"));
                    if is_base {
                        self.lead = Lead::Base;
                    } else {
                        self.lead = Lead::Rest;
                        self.emit(first_from, first_to);
                        self.emit(from, to);
                    }
                }
                Lead::Base => {
                    self.lead = Lead::Rest;
                    if !is_version(segment) {
                        self.emit(from, to);
                    }
                }
                Lead::Rest => self.emit(from, to),
            }
        }

        /// `/` and the segment `path[from..to]`, or `/{id}`.
        #[inline(always)]
        fn emit(&mut self, from: usize, to: usize) {
            if is_id(&self.path[from..to]) {
                self.flush();
                self.out.extend_from_slice(b"/{id}");
            } else if !self.run.is_empty() && self.run.end + 1 == from {
                // The byte between is the `/` that ended the run's last segment.
                self.run.end = to;
            } else {
                self.flush();
                if from == 0 {
                    self.out.push(b'/');
                    self.run = from..to;
                } else {
                    // A segment after the first starts right after a `/`.
                    self.run = from - 1..to;
                }
            }
        }

        fn flush(&mut self) {
            self.out.extend_from_slice(&self.path[self.run.clone()]);
            self.run = 0..0;
        }
    }
    /// A high bit in each byte of `word` that is `/`, `;`, `?` or `#`: each test finds the
    /// zero bytes of `word ^ c` exactly (no borrow runs into the next byte), so that the
    /// path is searched eight bytes at a time.
    #[inline(always)]
    fn special_bytes(word: u64) -> u64 {
        const LOW: u64 = 0x7F7F_7F7F_7F7F_7F7F;
        let nonzero = |c: u8| {
            let x = word ^ (u64::from(c) * 0x0101_0101_0101_0101);
            ((x & LOW) + LOW) | x
        };
        !(nonzero(b'/') & nonzero(b';') & nonzero(b'?') & nonzero(b'#')) & !LOW
    }

    out.clear();
    let path = path.trim_ascii();
    // A scheme starts with a letter, so a path as logged (`/…`) has no origin to strip and
    // is spared the search for `:`: every call's path is normalised in a report.
    let path = if path.first() == Some(&b'/') {
        path
    } else {
        strip_origin(path)
    };
    let mut writer = Writer {
        path,
        out,
        lead: Lead::Start,
        run: 0..0,
    };
    // One pass over the bytes instead of a search for the query, a split on `/` and a
    // search for `;` in each segment: `?` and `#` end the path, `/` a segment, and the
    // first `;` of a segment what is kept of it.
    // The eight bytes from `at`, zeros past the end (no special byte): the last ones are
    // read with the word that ends the path, shifted, rather than copied byte by byte.
    let word_at = |at: usize| match path.get(at..at + 8) {
        Some(bytes) => u64::from_le_bytes(bytes.try_into().expect("eight bytes")),
        None if path.len() >= 8 => {
            let last = &path[path.len() - 8..];
            u64::from_le_bytes(last.try_into().expect("eight bytes")) >> (8 * (at + 8 - path.len()))
        }
        None => path[at..]
            .iter()
            .rev()
            .fold(0, |word, &b| (word << 8) | u64::from(b)),
    };
    let (mut start, mut cut, mut end) = (0, usize::MAX, path.len());
    let mut at = 0;
    'words: while at < path.len() {
        let mut special = special_bytes(word_at(at));
        at += 8;
        while special != 0 {
            let i = at - 8 + (special.trailing_zeros() / 8) as usize;
            special &= special - 1;
            match path[i] {
                b'/' => {
                    writer.segment(start, cut.min(i));
                    (start, cut) = (i + 1, usize::MAX);
                }
                b';' => cut = cut.min(i),
                _ => {
                    end = i;
                    break 'words;
                }
            }
        }
    }
    writer.segment(start, cut.min(end));
    if let Lead::First(from, to) = writer.lead {
        writer.emit(from, to);
    }
    writer.flush();
    if out.is_empty() {
        out.push(b'/');
    }
}

/// The path part of a full URL (`scheme://host[:port]/path`); other text as is.
fn strip_origin(path: &[u8]) -> &[u8] {
    let Some(colon) = memchr(b':', path) else {
        return path;
    };
    let scheme = &path[..colon];
    let is_scheme = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    match path[colon + 1..].strip_prefix(b"//") {
        Some(authority) if is_scheme => {
            let end = authority
                .iter()
                .position(|&b| matches!(b, b'/' | b'?' | b'#'))
                .unwrap_or(authority.len());
            &authority[end..]
        }
        _ => path,
    }
}

/// `v1`, `V2`, `v1.2`: an API version code.
fn is_version(segment: &[u8]) -> bool {
    match segment {
        [b'v' | b'V', rest @ ..] => {
            !rest.is_empty()
                && rest
                    .split(|&b| b == b'.')
                    .all(|part| !part.is_empty() && part.iter().all(u8::is_ascii_digit))
        }
        _ => false,
    }
}

/// Record ids: numbers, UUIDs (`8-4-4-4-12` hex digits, either case), 32-hex ids (a UUID
/// without its dashes, an MD5) and Efecte-style `123:456` ids.
pub(crate) fn is_id(segment: &[u8]) -> bool {
    let number = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    // The hex digits of UUIDs and 32-hex ids are checked eight at a time: nearly every call
    // of a log that reads records has one in its path.
    let word_at = |at: usize| u64::from_le_bytes(segment[at..at + 8].try_into().expect("8"));
    let half_at = |at: usize| {
        u64::from(u32::from_le_bytes(
            segment[at..at + 4].try_into().expect("4"),
        ))
    };
    let uuid = || {
        segment.len() == 36
            && [8, 13, 18, 23].iter().all(|&i| segment[i] == b'-')
            && all_hex(word_at(0))
            && all_hex(half_at(9) | half_at(14) << 32)
            && all_hex(half_at(19) | half_at(24) << 32)
            && all_hex(word_at(28))
    };
    let hex32 = || segment.len() == 32 && (0..32).step_by(8).all(|at| all_hex(word_at(at)));
    // Every kind of id starts with a hex digit, and only UUIDs and 32-hex ids with a
    // letter: the words of a path (`rest-api`, `incident`, `data`) are told apart by their
    // first byte and length, without a search for `:` in each (every call's path is
    // normalised in a report).
    match segment.first() {
        Some(b'0'..=b'9') => {
            let pair = || {
                memchr(b':', segment)
                    .is_some_and(|i| number(&segment[..i]) && number(&segment[i + 1..]))
            };
            number(segment) || uuid() || hex32() || pair()
        }
        Some(b) if b.is_ascii_hexdigit() => uuid() || hex32(),
        _ => false,
    }
}

/// Whether each of the eight bytes of `word` is a hex digit (either case). Each range test
/// adds to every byte at once: an ASCII byte plus at most 0x80 never carries into the next.
fn all_hex(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = ONES * 0x80;
    let at_least = |word: u64, low: u8| word.wrapping_add(u64::from(0x80 - low) * ONES) & HIGH;
    let above = |word: u64, high: u8| word.wrapping_add(u64::from(0x7F - high) * ONES) & HIGH;
    let lower = word | (ONES * 0x20);
    let digit = at_least(word, b'0') & !above(word, b'9');
    let letter = at_least(lower, b'a') & !above(lower, b'f');
    word & HIGH == 0 && digit | letter == HIGH
}

/// The template code (`incident` in `/dc/incident/data/...`): the segment
/// after the first `dc` segment (data-card API), or None.
pub fn template_of(endpoint: &[u8]) -> Option<&[u8]> {
    let mut segments = endpoint.split(|&b| b == b'/').filter(|s| !s.is_empty());
    segments.find(|s| s.eq_ignore_ascii_case(b"dc"))?;
    segments.next().filter(|s| *s != b"{id}")
}

/// `POST .../users/login` is a login: the method is POST (ASCII case
/// ignored) and the endpoint's last segment is `login`.
pub fn is_login(method: &[u8], endpoint: &[u8]) -> bool {
    let endpoint = memchr2(b'?', b'#', endpoint).map_or(endpoint, |i| &endpoint[..i]);
    method.trim_ascii().eq_ignore_ascii_case(b"POST")
        && endpoint
            .rsplit(|&b| b == b'/')
            .find(|s| !s.is_empty())
            .is_some_and(|s| s.eq_ignore_ascii_case(b"login"))
}

/// Undo backslash escapes of a double-quoted value (for display only):
/// `\"`, `\\`, `\'`, `\n`, `\r`, `\t`. Other backslashes stay as written.
pub fn unescape(value: &[u8]) -> Cow<'_, [u8]> {
    if memchr(b'\\', value).is_none() {
        return Cow::Borrowed(value);
    }
    let mut out = Vec::with_capacity(value.len());
    let mut rest = value;
    while let Some(i) = memchr(b'\\', rest) {
        out.extend_from_slice(&rest[..i]);
        let replacement = match rest.get(i + 1) {
            Some(&c @ (b'"' | b'\\' | b'\'')) => Some(c),
            Some(b'n') => Some(b'\n'),
            Some(b'r') => Some(b'\r'),
            Some(b't') => Some(b'\t'),
            _ => None,
        };
        match replacement {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 2..];
            }
            None => {
                out.push(b'\\');
                rest = &rest[i + 1..];
            }
        }
    }
    out.extend_from_slice(rest);
    Cow::Owned(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small deterministic generator for the tests' random inputs.
    pub(crate) fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
        move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        }
    }
    use crate::redact::{looks_like_jwt, redact, redact_bytes};

    /// Pieces the fuzzing tests build messages of: the bytes that end or quote a value,
    /// keys, secrets, paths, durations, ids and non-ASCII.
    const FUZZ_PIECES: &[&[u8]] = &[
        b"=",
        b"\"",
        b"\\",
        b" ",
        b"\t",
        b"\n",
        b"\r",
        b":",
        b"/",
        b".",
        b"?",
        b"#",
        b"&",
        b"'",
        b";",
        b"-",
        b"_",
        b"{",
        b"}",
        b"eyJ",
        b"eyJhbGciOiJIUzI1NiJ9",
        b"Bearer ",
        b"bearer\t",
        b"password",
        b"token",
        b"Authorization: Basic ",
        b"user",
        b"status",
        b"duration",
        b"path",
        b"/rest-api/itsm/v1",
        b"/itsm/api/v2",
        b"https://",
        b"12345",
        b"1.5",
        b"ms",
        b"us",
        b"s",
        b"\xc2\xb5",
        b"\xff",
        b"\xc3",
        b"0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6e",
        b"dc",
        b"login",
        b"[REDACTED]",
        b"a",
        b"Z",
        b"9",
    ];

    /// Makes `out` a text of up to `most` pieces: [`FUZZ_PIECES`], and one byte in four a
    /// random one.
    fn fuzz_text(next: &mut impl FnMut() -> u64, most: u64, out: &mut Vec<u8>) {
        out.clear();
        for _ in 0..next() % most {
            let roll = next();
            if roll % 4 == 0 {
                out.push((roll >> 8) as u8);
            } else {
                out.extend_from_slice(FUZZ_PIECES[(roll >> 8) as usize % FUZZ_PIECES.len()]);
            }
        }
    }

    const fn b(bytes: &'static [u8]) -> Option<&'static [u8]> {
        Some(bytes)
    }

    const NONE: CallFields<'static> = CallFields {
        user: None,
        ip: None,
        method: None,
        path: None,
        status: None,
        duration_us: None,
        cards: None,
        error: None,
        bad: BadFields::NONE,
        sources: FieldSources { keys: 0, shapes: 0 },
        bare_unit: DurationUnit::Ms,
    };

    const FIELD_CASES: &[(&[u8], CallFields<'static>)] = &[
        // The examples of formats.md.
        (
            b"user=CRM_SYNC ip=10.20.0.10 method=GET path=/rest-api/itsm/v1/dc/incident/data status=200 duration=143ms",
            CallFields {
                user: b(b"CRM_SYNC"),
                ip: b(b"10.20.0.10"),
                method: b(b"GET"),
                path: b(b"/rest-api/itsm/v1/dc/incident/data"),
                status: Some(200),
                duration_us: Some(143_000),
                cards: None,
                error: None,
                ..NONE
            },
        ),
        (
            b"user=CRM_SYNC ip=10.20.0.10 method=POST path=/rest-api/itsm/v1/dc/incident/data status=429 duration=2ms error=\"Too many requests\"",
            CallFields {
                user: b(b"CRM_SYNC"),
                ip: b(b"10.20.0.10"),
                method: b(b"POST"),
                path: b(b"/rest-api/itsm/v1/dc/incident/data"),
                status: Some(429),
                duration_us: Some(2_000),
                cards: None,
                error: b(b"Too many requests"),
                ..NONE
            },
        ),
        (
            b"user=HR_IMPORT ip=10.20.1.11 method=PUT path=/rest-api/itsm/v1/dc/person/data status=500 duration=812ms\njava.lang.IllegalStateException: datacard lock timeout\n\tat com.efecte.datamodel.DataCardService.save(DataCardService.java:412)\n\t... 42 more",
            CallFields {
                user: b(b"HR_IMPORT"),
                ip: b(b"10.20.1.11"),
                method: b(b"PUT"),
                path: b(b"/rest-api/itsm/v1/dc/person/data"),
                status: Some(500),
                duration_us: Some(812_000),
                cards: None,
                error: None,
                ..NONE
            },
        ),
        (b"REST API module started", NONE),
        (b"", NONE),
        // Every alias.
        (
            b"username=a client=1.2.3.4 verb=get uri=/x code=404 took=1.5s count=7 msg=boom",
            CallFields {
                user: b(b"a"),
                ip: b(b"1.2.3.4"),
                method: b(b"get"),
                path: b(b"/x"),
                status: Some(404),
                duration_us: Some(1_500_000),
                cards: Some(7),
                error: b(b"boom"),
                ..NONE
            },
        ),
        (
            b"login=b remote=host.example method=DELETE url=https://h/x http_status=204 elapsed=850us cards=3 reason=\"r s\"",
            CallFields {
                user: b(b"b"),
                ip: b(b"host.example"),
                method: b(b"DELETE"),
                path: b(b"https://h/x"),
                status: Some(204),
                duration_us: Some(850),
                cards: Some(3),
                error: b(b"r s"),
                ..NONE
            },
        ),
        (b"endpoint=/e", CallFields { path: b(b"/e"), ..NONE }),
        // Keys in other case.
        (
            b"USER=a Method=POST PATH=/p STATUS=201 Duration=5 CARDS=2 Error=x IP=::1",
            CallFields {
                user: b(b"a"),
                ip: b(b"::1"),
                method: b(b"POST"),
                path: b(b"/p"),
                status: Some(201),
                duration_us: Some(5_000),
                cards: Some(2),
                error: b(b"x"),
                ..NONE
            },
        ),
        // Repeated keys and aliases: the first usable one wins.
        (
            b"user=a user=b status=200 status=500 username=c code=404",
            CallFields { user: b(b"a"), status: Some(200), ..NONE },
        ),
        (b"status=abc status=404", CallFields { status: Some(404), bad: BadFields::NONE.with(Field::Status), ..NONE }),
        (b"duration=fast took=3ms", CallFields { duration_us: Some(3_000), bad: BadFields::NONE.with(Field::Duration), ..NONE }),
        (b"user= user=b", CallFields { user: b(b"b"), ..NONE }),
        (b"error=\"\" msg=x", CallFields { error: b(b"x"), ..NONE }),
        // Quoted values: escapes stay raw, `=` and blanks inside do not count.
        (
            b"error=\"say \\\"hi\\\" \\\\ ok\" status=500",
            CallFields { error: b(b"say \\\"hi\\\" \\\\ ok"), status: Some(500), ..NONE },
        ),
        (
            b"error=\"user=evil ip=6.6.6.6\" user=good",
            CallFields { user: b(b"good"), error: b(b"user=evil ip=6.6.6.6"), ..NONE },
        ),
        (b"note=\"user=evil\" user=good", CallFields { user: b(b"good"), ..NONE }),
        (b"user=\"Jane Doe\"", CallFields { user: b(b"Jane Doe"), ..NONE }),
        (b"status=\" 404 \"", CallFields { status: Some(404), ..NONE }),
        (b"duration=\"1.2 s\"", CallFields { duration_us: Some(1_200_000), ..NONE }),
        (b"error=\"a\"status=500", CallFields { status: Some(500), error: b(b"a"), ..NONE }),
        // Unterminated quotes run to the end of their line.
        (
            b"user=a error=\"oops no end status=500",
            CallFields { user: b(b"a"), error: b(b"oops no end status=500"), ..NONE },
        ),
        (
            b"error=\"oops\nstatus=500",
            CallFields { status: Some(500), error: b(b"oops"), ..NONE },
        ),
        (
            b"error=\"oops\r\nstatus=500",
            CallFields { status: Some(500), error: b(b"oops"), ..NONE },
        ),
        (b"error=\"ends with backslash\\", CallFields { error: b(b"ends with backslash\\"), ..NONE }),
        (
            b"error=\"escaped newline\\\nstatus=500",
            CallFields { status: Some(500), error: b(b"escaped newline\\"), ..NONE },
        ),
        (b"error=\"", NONE),
        // Words that are not pairs.
        // No `key=value` pair, so the message is read as `key: value`: `user:a` is one.
        (b"user:a user =b [user=c] xuser=d", CallFields { user: b(b"a"), ..NONE }),
        (b"GET /rest-api/itsm/v1/dc/incident/data by TEST_RESTAPI -> 200 in 143 ms", NONE),
        (
            b"path=/a?x=1&user=b status=200",
            CallFields { path: b(b"/a?x=1&user=b"), status: Some(200), ..NONE },
        ),
        (b"user=a\tstatus=200", CallFields { user: b(b"a"), status: Some(200), ..NONE }),
        // Every ASCII whitespace ends a bare value, the rare ones before the usual ones too.
        (b"user=a\rstatus=200", CallFields { user: b(b"a"), status: Some(200), ..NONE }),
        (b"user=a\x0cstatus=200 x", CallFields { user: b(b"a"), status: Some(200), ..NONE }),
        (b"user=a\r\nip=b", CallFields { user: b(b"a"), ip: b(b"b"), ..NONE }),
        (b"user=a\x0b", CallFields { user: b(b"a\x0b"), ..NONE }),
        (b"user=a=b", CallFields { user: b(b"a=b"), ..NONE }),
        // Values that do not fit their field.
        (b"status=99 status=2000 status=099 status=20x", CallFields { bad: BadFields::NONE.with(Field::Status), ..NONE }),
        (b"cards=-1 count=18446744073709551616", CallFields { bad: BadFields::NONE.with(Field::Cards), ..NONE }),
        (b"count=18446744073709551615", CallFields { cards: Some(u64::MAX), ..NONE }),
        (b"duration=2m", CallFields { bad: BadFields::NONE.with(Field::Duration), ..NONE }),
        // Garbage and invalid UTF-8.
        (b"==== = = \"\"\" \\\\ =\"", NONE),
        (
            b"\xff\xfe user=\xffname status=200 \xffuser=x",
            CallFields { user: b(b"\xffname"), status: Some(200), ..NONE },
        ),
        (b"\x00user=a\x00", NONE),
        (b"\x00 user=a\x00", CallFields { user: b(b"a\x00"), ..NONE }),
    ];

    #[test]
    fn reads_fields() {
        for (message, expected) in FIELD_CASES {
            let mut got = parse_fields(message);
            got.sources = FieldSources::default();
            assert_eq!(
                got,
                *expected,
                "message {:?}",
                String::from_utf8_lossy(message)
            );
        }
    }

    #[test]
    fn the_format_reference_lists_every_key() {
        let reference = include_str!("../../docs/formats.md");
        let rows: Vec<&str> = reference
            .lines()
            .filter(|l| l.trim_start().starts_with("| ") && l.contains('`'))
            .collect();
        for field in Field::ALL {
            let listed = rows
                .iter()
                .find(|row| row.contains(&format!("`{}`", field.name())))
                .unwrap_or_else(|| panic!("docs/formats.md has no row for {field:?}"));
            for key in field.keys() {
                assert!(
                    listed.contains(&format!("`{key}`")),
                    "docs/formats.md does not list `{key}` for {field:?}"
                );
            }
        }
    }

    #[test]
    fn every_key_knows_its_place() {
        for field in Field::ALL {
            assert!(
                field.keys().len() <= 8,
                "{field:?} has more keys than its bits"
            );
            for (alias, name) in field.keys().iter().enumerate() {
                let key = Key::of(name.as_bytes()).unwrap_or_else(|| panic!("{name}"));
                assert_eq!(
                    (key.field, usize::from(key.alias)),
                    (field, alias),
                    "{name}"
                );
                assert_eq!(key.name(), *name);
            }
        }
    }

    #[test]
    fn other_shapes_and_names_are_reported() {
        let cases: &[(&str, Option<&str>)] = &[
            ("user=A method=GET path=/x status=200", None),
            (
                "user: A, method: GET, path: /x, status: 200",
                Some("REST fields read from key: value or JSON"),
            ),
            (
                r#"{"userName":"A","httpMethod":"GET","requestUri":"/x","statusCode":200}"#,
                Some("REST fields read from key: value or JSON; under other names: user \u{2190} username, method \u{2190} httpmethod, path \u{2190} requesturi, status \u{2190} statuscode"),
            ),
            (
                r#"10.0.0.1 - A [26/Oct/2023:11:00:00 +0000] "GET /x HTTP/1.1" 200 12 5ms"#,
                Some(r#"REST fields read from request line ("GET /path HTTP/1.1" 200)"#),
            ),
        ];
        for (message, want) in cases {
            let fields = parse_fields(message.as_bytes());
            assert!(fields.is_call(), "{message}");
            assert_eq!(fields.status, Some(200), "{message}");
            assert_eq!(fields.sources.describe().as_deref(), *want, "{message}");
        }
        let ecs = parse_fields(br#"{"event.duration":143000000,"duration_ms":"x","url.path":"/a","http.request.method":"GET"}"#);
        assert_eq!(
            ecs.duration_us,
            Some(143_000),
            "event.duration is in nanoseconds"
        );
        let ms = parse_fields(br#"{"duration_ms":7,"url":"/a","verb":"GET"}"#);
        assert_eq!(ms.duration_us, Some(7_000));
        let request = parse_fields(br#""POST /rest-api/itsm/users/login HTTP/1.1" 401 - PT0.2S"#);
        assert_eq!(
            (request.status, request.duration_us),
            (Some(401), Some(200_000))
        );
    }

    #[test]
    fn every_alias_and_case() {
        for field in Field::ALL {
            for key in field.keys() {
                for spelled in [key.to_string(), key.to_ascii_uppercase()] {
                    assert_eq!(
                        Field::from_key(spelled.as_bytes()),
                        Some(field),
                        "{spelled}"
                    );
                    let message = format!("{spelled}=404");
                    let fields = parse_fields(message.as_bytes());
                    let got = match field {
                        Field::User => fields.user.is_some(),
                        Field::Ip => fields.ip.is_some(),
                        Field::Method => fields.method.is_some(),
                        Field::Path => fields.path.is_some(),
                        Field::Status => fields.status == Some(404),
                        // A key that names its unit reads the number in it.
                        Field::Duration => {
                            let unit = field
                                .unit_of_key(Key::of(key.as_bytes()).unwrap().alias)
                                .unwrap_or(DurationUnit::Ms);
                            fields.duration_us == Some((404 * unit.nanos() + 500) / 1_000)
                        }
                        Field::Cards => fields.cards == Some(404),
                        Field::Error => fields.error.is_some(),
                    };
                    assert!(got, "{message}: {fields:?}");
                }
            }
            assert_eq!(field.name(), field.keys()[0]);
        }
        for key in [
            &b""[..],
            b"users",
            b"http_statuses",
            b"us",
            b"\xff",
            b"u ser",
        ] {
            assert_eq!(Field::from_key(key), None, "{key:?}");
        }
    }

    #[test]
    fn call_and_success() {
        const CASES: &[(&[u8], bool, Option<bool>)] = &[
            (b"method=GET path=/x status=200", true, Some(true)),
            (b"method=GET path=/x status=399", true, Some(true)),
            (b"method=GET path=/x status=400", true, Some(false)),
            (b"method=POST path=/x status=429", true, Some(false)),
            (b"method=GET path=/x", true, None),
            (b"method=GET status=200", false, Some(true)),
            (b"path=/x status=500", false, Some(false)),
            (b"REST API module started", false, None),
        ];
        for (message, call, success) in CASES {
            let fields = parse_fields(message);
            assert_eq!(fields.is_call(), *call, "{message:?}");
            assert_eq!(fields.is_successful(), *success, "{message:?}");
        }
    }

    #[test]
    fn set_keeps_first_usable() {
        let mut fields = CallFields::default();
        assert!(!fields.set(Field::Status, b"OK"));
        assert!(fields.set(Field::Status, b"201"));
        assert!(!fields.set(Field::Status, b"500"));
        assert!(fields.set(Field::Duration, b"143"));
        assert!(!fields.set(Field::User, b""));
        assert!(fields.set(Field::User, b"TEST_RESTAPI"));
        assert_eq!(fields.status, Some(201));
        assert_eq!(fields.duration_us, Some(143_000));
        assert_eq!(fields.user, Some(&b"TEST_RESTAPI"[..]));
    }

    #[test]
    fn durations() {
        const CASES: &[(&[u8], Option<u64>)] = &[
            (b"143ms", Some(143_000)),
            (b"143", Some(143_000)),
            (b"0", Some(0)),
            (b"007ms", Some(7_000)),
            (b"1.2s", Some(1_200_000)),
            (b"2s", Some(2_000_000)),
            (b"850us", Some(850)),
            (b"850\xc2\xb5s", Some(850)),
            (b"850\xce\xbcs", Some(850)),
            (b"1500ns", Some(2)),
            (b"1499ns", Some(1)),
            (b"499ns", Some(0)),
            (b"0.5ms", Some(500)),
            (b"0.0005ms", Some(1)),
            (b"1.0000005s", Some(1_000_001)),
            (b"1.123456789123s", Some(1_123_457)),
            (b"2.5", Some(2_500)),
            (b"2MS", Some(2_000)),
            (b"1.2S", Some(1_200_000)),
            (b"3Us", Some(3)),
            (b"7NS", Some(0)),
            (b" 12 ms ", Some(12_000)),
            (b"12\tms", Some(12_000)),
            (b"18446744073709551615us", Some(u64::MAX)),
            (b"18446744073709551616us", None),
            (b"18446744073709552ms", None),
            // Either side of the whole-milliseconds shortcut's 15 digits.
            (b"999999999999999ms", Some(999_999_999_999_999_000)),
            (b"9999999999999999ms", Some(9_999_999_999_999_999_000)),
            (b"18446744073709551ms", Some(18_446_744_073_709_551_000)),
            (b"99999999999999999999999999999999", None),
            (b"18446744073709551615s", None),
            (b"", None),
            (b"   ", None),
            (b"ms", None),
            (b"s", None),
            (b"1.s", None),
            (b".5s", None),
            (b"-1ms", None),
            (b"+1ms", None),
            (b"1e3ms", None),
            (b"2m", None),
            (b"1h", None),
            (b"1 2ms", None),
            (b"12msx", None),
            (b"12 m s", None),
            (b"1.2.3s", None),
            (b"1,5s", None),
            (b"nan", None),
            (b"inf", None),
            (b"\xef\xbc\x91ms", None),
            (b"\xff", None),
            (b"5\xb5s", None),
            // ISO-8601 durations, as java.time.Duration prints them.
            (b"PT0.143S", Some(143_000)),
            (b"PT2S", Some(2_000_000)),
            (b"PT1M2.5S", Some(62_500_000)),
            (b"PT1H", Some(3_600_000_000)),
            (b"pt0.000001s", Some(1)),
            (b"PT", None),
            (b"PT1.5M", None),
            (b"PT-1S", None),
            (b"P1D", None),
            (b"PT1S2M", None),
        ];
        for (text, expected) in CASES {
            assert_eq!(
                parse_duration_us(text),
                *expected,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
    }

    #[test]
    fn bare_numbers_in_the_given_unit() {
        // (text, unit, microseconds): a written unit always wins.
        const CASES: &[(&[u8], DurationUnit, Option<u64>)] = &[
            (b"0.247", DurationUnit::S, Some(247_000)),
            (b"143", DurationUnit::Ms, Some(143_000)),
            (b"850", DurationUnit::Us, Some(850)),
            (b"1500", DurationUnit::Ns, Some(2)),
            (b"143ms", DurationUnit::S, Some(143_000)),
            (b"PT1S", DurationUnit::Ns, Some(1_000_000)),
        ];
        for (text, unit, want) in CASES {
            assert_eq!(parse_duration_in(text, *unit), *want, "{text:?} {unit}");
            let message = [&b"time="[..], text].concat();
            assert_eq!(parse_fields_in(&message, *unit).duration_us, *want);
        }
        for (name, unit) in DurationUnit::ALL {
            assert_eq!(name.parse::<DurationUnit>(), Ok(unit));
            assert_eq!(unit.to_string(), name);
        }
        assert_eq!("\u{b5}s".parse::<DurationUnit>(), Ok(DurationUnit::Us));
        assert!("min"
            .parse::<DurationUnit>()
            .unwrap_err()
            .contains("ns, us, ms, s"));
    }

    #[test]
    fn unreadable_values_are_kept_with_a_reason() {
        // (message, [(field, value, start of the reason)])
        type Want = &'static [(Field, &'static str, &'static str)];
        let cases: &[(&[u8], Want)] = &[
            (
                b"method=GET path=/x status=OK",
                &[(
                    Field::Status,
                    "OK",
                    "unreadable status `OK`: is not a number",
                )],
            ),
            (
                b"status=99999999999",
                &[(
                    Field::Status,
                    "99999999999",
                    "unreadable status `99999999999`: is not a three-digit",
                )],
            ),
            (
                b"duration=-5ms",
                &[(
                    Field::Duration,
                    "-5ms",
                    "unreadable duration `-5ms`: is negative",
                )],
            ),
            (
                b"duration=2min",
                &[(
                    Field::Duration,
                    "2min",
                    "unreadable duration `2min`: is no decimal number with a known unit",
                )],
            ),
            (
                b"took=1e300ms",
                &[(
                    Field::Duration,
                    "1e300ms",
                    "unreadable duration `1e300ms`: is no decimal",
                )],
            ),
            (
                b"cards=many",
                &[(
                    Field::Cards,
                    "many",
                    "unreadable cards `many`: is not a whole number",
                )],
            ),
            (
                b"status=OK duration=2min cards=x",
                &[
                    (Field::Status, "OK", "unreadable status"),
                    (Field::Duration, "2min", "unreadable duration"),
                    (Field::Cards, "x", "unreadable cards"),
                ],
            ),
            // A later usable value of the field wins: nothing is missing.
            (b"status=OK code=200 duration=x took=3ms", &[]),
            // Empty values are not values.
            (b"status= duration=\"\"", &[]),
            (b"method=GET path=/x status=200 duration=143ms", &[]),
        ];
        for (message, want) in cases {
            let fields = parse_fields(message);
            let which = fields.missing_bad();
            assert_eq!(which.fields().count(), want.len(), "{message:?}");
            let got: Vec<(Field, String, String)> =
                unreadable_values(message, which, DurationUnit::Ms)
                    .into_iter()
                    .map(|u| {
                        (
                            u.field,
                            String::from_utf8_lossy(u.value).into_owned(),
                            u.reason(),
                        )
                    })
                    .collect();
            assert_eq!(got.len(), want.len(), "{got:?}");
            for ((field, value, reason), (want_field, want_value, want_reason)) in
                got.iter().zip(*want)
            {
                assert_eq!((field, value.as_str()), (want_field, *want_value));
                assert!(reason.starts_with(want_reason), "{reason}");
            }
        }
    }

    const PATH_CASES: &[(&[u8], &[u8])] = &[
        // Every kind of id segment.
        (
            b"/dc/incident/data/0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6e",
            b"/dc/incident/data/{id}",
        ),
        (
            b"/dc/incident/data/123:456/attachments",
            b"/dc/incident/data/{id}/attachments",
        ),
        (b"/dc/incident/data/123:/x", b"/dc/incident/data/123:/x"),
        (
            b"/dc/incident/data/0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6",
            b"/dc/incident/data/0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6",
        ),
        (
            b"/dc/incident/data/g0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6",
            b"/dc/incident/data/g0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6",
        ),
        (
            b"/rest-api/itsm/v1/dc/incident/data/12345?x=1",
            b"/dc/incident/data/{id}",
        ),
        (
            b"/itsm/api/v1/dc/person/data/0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6e",
            b"/dc/person/data/{id}",
        ),
        (b"/rest-api/itsm/v1/users/login", b"/users/login"),
        (b"/rest-api/itsm/v1/dc/incident/data", b"/dc/incident/data"),
        (
            b"https://esm.example.com:8443/rest-api/itsm/v1/dc/incident/data?limit=50",
            b"/dc/incident/data",
        ),
        (b"HTTPS://Host/REST-API/ITSM/V1/dc/x", b"/dc/x"),
        (b"http://host", b"/"),
        (b"http://host?x=1", b"/"),
        (b"/rest-api/itsm/v2/dc/incident/data", b"/dc/incident/data"),
        (b"/rest-api/itsm/v1.2/dc/x", b"/dc/x"),
        (b"/rest-api/itsm/v10/dc/x", b"/dc/x"),
        (b"/rest-api/itsm/dc/x", b"/dc/x"),
        (b"/itsm/api/dc/x", b"/dc/x"),
        (b"/rest-api/itsm/v1/v2/x", b"/v2/x"),
        (b"/rest-api/itsm/vx/dc", b"/vx/dc"),
        (b"/rest-api/itsm/v/dc", b"/v/dc"),
        (b"/rest-api/itsm/v1./dc", b"/v1./dc"),
        (b"/rest-api/itsm/v1", b"/"),
        (b"/rest-api/itsm/v1/", b"/"),
        (b"/rest-api/itsm/v1/?query=1", b"/"),
        (
            b"//rest-api//itsm/v1//dc///incident/data//",
            b"/dc/incident/data",
        ),
        (b"/rest-api/itsm/v1/dc/incident/data/", b"/dc/incident/data"),
        (
            b"/rest-api/itsm/v1/dc/incident/data#top",
            b"/dc/incident/data",
        ),
        (b"?x=1", b"/"),
        (b"#x", b"/"),
        (b"", b"/"),
        (b"/", b"/"),
        (b"   ", b"/"),
        (b" /rest-api/itsm/v1/x ", b"/x"),
        (b"dc/incident/data", b"/dc/incident/data"),
        (
            b"/dc/incident/data/0B5E6A1E-3F2C-4A8E-9D5E-1F2A3B4C5D6E",
            b"/dc/incident/data/{id}",
        ),
        (
            b"/dc/incident/data/0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6g",
            b"/dc/incident/data/0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6g",
        ),
        (b"/dc/incident/data/12a", b"/dc/incident/data/12a"),
        (
            b"/rest-api/itsm/v1/dc/incident/data/123/attachment/456",
            b"/dc/incident/data/{id}/attachment/{id}",
        ),
        (b"/dc/incident/data/{id}", b"/dc/incident/data/{id}"),
        (b"/dc/incident/data;jsessionid=ABC123", b"/dc/incident/data"),
        (b"/dc/incident/data/42;v=1/x", b"/dc/incident/data/{id}/x"),
        (b"/a/./b", b"/a/b"),
        (b"/itsm/EfecteFrameset.do", b"/itsm/EfecteFrameset.do"),
        (b"/api/health", b"/api/health"),
        (b"/v1/dc/x", b"/v1/dc/x"),
        (
            b"/prefix/rest-api/itsm/v1/dc/x",
            b"/prefix/rest-api/itsm/v1/dc/x",
        ),
        (b"mailto:someone", b"/mailto:someone"),
        (b"/dc/x:y/z", b"/dc/x:y/z"),
        (b"/caf\xc3\xa9/\xff", b"/caf\xc3\xa9/\xff"),
    ];

    /// The non-empty segments of a path without query, matrix parameters cut off.
    fn segments(path: &[u8]) -> impl Iterator<Item = &[u8]> + Clone {
        path.split(|&b| b == b'/')
            .map(|s| s.iter().position(|&b| b == b';').map_or(s, |i| &s[..i]))
            .filter(|s| !s.is_empty() && *s != b".")
    }

    /// [`normalise_path`] as its documentation states it, step by step: what the one-pass
    /// version is compared with.
    fn normalise_path_by_steps(path: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let path = strip_origin(path.trim_ascii());
        let path = memchr2(b'?', b'#', path).map_or(path, |i| &path[..i]);
        let mut segments = segments(path);
        let mut probe = segments.clone();
        if let (Some(first), Some(second)) = (probe.next(), probe.next()) {
            let is_base = (first.eq_ignore_ascii_case(b"rest-api")
                && second.eq_ignore_ascii_case(b"itsm"))
                || (first.eq_ignore_ascii_case(b"itsm") && second.eq_ignore_ascii_case(b"api"));
            if is_base {
                segments = probe.clone();
                if probe.next().is_some_and(is_version) {
                    segments = probe;
                }
            }
        }
        for segment in segments {
            out.push(b'/');
            if is_id(segment) {
                out.extend_from_slice(b"{id}");
            } else {
                out.extend_from_slice(segment);
            }
        }
        if out.is_empty() {
            out.push(b'/');
        }
    }

    #[test]
    fn normalises_paths() {
        let mut out = b"left over".to_vec();
        for (path, expected) in PATH_CASES {
            normalise_path(path, &mut out);
            assert_eq!(
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
                "path {:?}",
                String::from_utf8_lossy(path)
            );
        }
    }

    #[test]
    fn one_pass_normalisation_matches_the_steps() {
        const PIECES: &[&[u8]] = &[
            b"/",
            b"/",
            b"/",
            b";",
            b"?",
            b"#",
            b".",
            b"..",
            b" ",
            b"\t",
            b":",
            b"//",
            b"rest-api",
            b"REST-API",
            b"itsm",
            b"Itsm",
            b"api",
            b"v1",
            b"V2",
            b"v1.2",
            b"v",
            b"v1.",
            b"12",
            b"0",
            b"123:456",
            b"12:",
            b"0b5e6a1e-3f2c-4a8e-9d5e-1f2a3b4c5d6e",
            b"0b5e6a1e3f2c4a8e9d5e1f2a3b4c5d6e",
            b"dc",
            b"incident",
            b"data",
            b"login",
            b"http://h",
            b"https://h:8443",
            b"mailto",
            b";jsessionid=1",
            b"x",
            b"\xff",
        ];
        let mut next = xorshift(0x2545_F491_4F6C_DD1Du64);
        let (mut input, mut fast, mut steps) = (Vec::new(), Vec::new(), Vec::new());
        let inputs = PATH_CASES.iter().map(|(path, _)| path.to_vec());
        for path in inputs.chain((0..50_000).map(|_| {
            input.clear();
            for _ in 0..next() % 12 {
                input.extend_from_slice(PIECES[next() as usize % PIECES.len()]);
            }
            input.clone()
        })) {
            normalise_path(&path, &mut fast);
            normalise_path_by_steps(&path, &mut steps);
            assert_eq!(fast, steps, "{:?}", String::from_utf8_lossy(&path));
        }
    }

    /// [`pair_value`] picks the quoted or the bare reader by the first byte; it reads every
    /// text as nom's `alt` of the two does.
    #[test]
    fn pair_value_reads_as_nom_alt() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let mut input = Vec::new();
        for _ in 0..50_000 {
            fuzz_text(&mut next, 10, &mut input);
            let reference: IResult<&[u8], &[u8]> =
                alt((preceded(char('"'), quoted_body), bare_value)).parse(&input);
            let reference = reference.unwrap_or((&input[..], &input[..0]));
            assert_eq!(
                pair_value(&input),
                reference,
                "{:?}",
                String::from_utf8_lossy(&input)
            );
        }
    }

    #[test]
    fn templates() {
        const CASES: &[(&[u8], Option<&[u8]>)] = &[
            (b"/dc/incident/data", Some(b"incident")),
            (b"/dc/person/data/{id}", Some(b"person")),
            (b"/DC/Incident/data", Some(b"Incident")),
            (b"/x/dc/y", Some(b"y")),
            (b"/dc/a/dc/b", Some(b"a")),
            (b"/users/login", None),
            (b"/dc", None),
            (b"/dc/", None),
            (b"/dc/{id}", None),
            (b"/dcx/incident", None),
            (b"/", None),
            (b"", None),
        ];
        for (endpoint, expected) in CASES {
            assert_eq!(template_of(endpoint), *expected, "{endpoint:?}");
        }
        let mut out = Vec::new();
        normalise_path(
            b"https://h/rest-api/itsm/v1/dc/incident/data/7?x=1",
            &mut out,
        );
        assert_eq!(template_of(&out), Some(&b"incident"[..]));
    }

    #[test]
    fn logins() {
        const CASES: &[(&[u8], &[u8], bool)] = &[
            (b"POST", b"/users/login", true),
            (b"post", b"/users/login", true),
            (b" POST ", b"/users/login", true),
            (b"POST", b"/login", true),
            (b"POST", b"/users/login/", true),
            (b"POST", b"/users/LOGIN", true),
            (b"POST", b"/users/login?x=1", true),
            (b"GET", b"/users/login", false),
            (b"PUT", b"/users/login", false),
            (b"POST", b"/users/logout", false),
            (b"POST", b"/userslogin", false),
            (b"POST", b"/dc/login/data", false),
            (b"POST", b"/", false),
            (b"", b"/users/login", false),
        ];
        for (method, endpoint, expected) in CASES {
            assert_eq!(
                is_login(method, endpoint),
                *expected,
                "{method:?} {endpoint:?}"
            );
        }
        let mut out = Vec::new();
        normalise_path(b"https://h:8443/rest-api/itsm/v1/users/login?x", &mut out);
        assert!(is_login(b"POST", &out));
    }

    #[test]
    fn unescapes() {
        const CASES: &[(&[u8], &[u8])] = &[
            (b"plain", b"plain"),
            (b"", b""),
            (b"a\\\"b", b"a\"b"),
            (b"a\\\\b", b"a\\b"),
            (b"\\\\\\\"", b"\\\""),
            (b"l1\\nl2\\tx\\r", b"l1\nl2\tx\r"),
            (b"it\\'s", b"it's"),
            (b"C:\\temp\\qx", b"C:\temp\\qx"),
            (b"end\\", b"end\\"),
            (b"\xff\\\"\xfe", b"\xff\"\xfe"),
        ];
        for (raw, expected) in CASES {
            assert_eq!(&*unescape(raw), *expected, "{raw:?}");
        }
        assert!(matches!(unescape(b"no escapes"), Cow::Borrowed(_)));
        let fields = parse_fields(b"error=\"say \\\"hi\\\"\"");
        assert_eq!(&*unescape(fields.error.unwrap_or_default()), b"say \"hi\"");
    }

    const FUZZ_ROUNDS: usize = 5_000;

    /// Every pair `visit` is given, reading `message` as [`parse_fields_in`] does (ESM's
    /// order first) or with the general reader alone.
    fn pairs_read(message: &[u8], esm_order_first: bool) -> Vec<(Key, Vec<u8>)> {
        let mut pairs = Vec::new();
        let mut visit = |key: Key, value: &[u8]| {
            pairs.push((key, value.to_vec()));
            false
        };
        let from = if esm_order_first {
            read_esm_order(message, &mut visit).expect("visit never stops")
        } else {
            0
        };
        for_each_pair(&message[from..], visit);
        pairs
    }

    #[test]
    fn ids_are_told_by_their_first_byte_as_by_every_rule() {
        // The rules of `is_id` applied one by one, without its shortcut on the first byte.
        fn by_every_rule(segment: &[u8]) -> bool {
            let number = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
            let uuid = segment.len() == 36
                && segment.iter().enumerate().all(|(i, &b)| match i {
                    8 | 13 | 18 | 23 => b == b'-',
                    _ => b.is_ascii_hexdigit(),
                });
            let hex32 = segment.len() == 32 && segment.iter().all(u8::is_ascii_hexdigit);
            let pair = memchr(b':', segment)
                .is_some_and(|i| number(&segment[..i]) && number(&segment[i + 1..]));
            number(segment) || uuid || hex32 || pair
        }
        // Bytes just outside the hex ranges (`/`, `:`, `@`, `G`, `` ` ``, `g`) and high bytes
        // that are hex digits but for their top bit.
        const BYTES: &[u8] = b"0129aAfFgz-:./@G`g\x80\xb0\xc1\xe6";
        let mut rng = crate::generate::Rng(36);
        let mut ids = 0;
        for round in 0..200_000 {
            let len = [0, 1, 3, 32, 36][round % 5] + usize::from(round % 7 == 0);
            // Mostly well-formed UUIDs and hex ids with a byte changed here and there.
            let mut segment: Vec<u8> = (0..len)
                .map(|i| match (len, i) {
                    (36, 8 | 13 | 18 | 23) if rng.below(20) > 0 => b'-',
                    _ if rng.below(4) > 0 => b"0123456789abcdef"[rng.below(16) as usize],
                    _ => BYTES[rng.below(BYTES.len() as u64) as usize],
                })
                .collect();
            if rng.below(3) == 0 {
                segment.retain(|b| b.is_ascii_digit() || *b == b':');
            }
            ids += usize::from(by_every_rule(&segment));
            assert_eq!(is_id(&segment), by_every_rule(&segment), "{segment:?}");
        }
        assert!(ids > 10_000, "{ids}");
    }

    #[test]
    fn a_word_is_all_hex_when_each_of_its_bytes_is_a_hex_digit() {
        for filler in *b"0aF9" {
            for at in 0..8 {
                for byte in 0..=u8::MAX {
                    let mut bytes = [filler; 8];
                    bytes[at] = byte;
                    assert_eq!(
                        all_hex(u64::from_le_bytes(bytes)),
                        bytes.iter().all(u8::is_ascii_hexdigit),
                        "{bytes:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_word_with_a_value_end_is_never_missed() {
        // Every byte value at every place of a word of otherwise ordinary bytes.
        for filler in [b'a', 0x80, 0xff, b'#'] {
            for at in 0..8 {
                for byte in 0..=255u8 {
                    let mut word = [filler; 8];
                    word[at] = byte;
                    let ends = byte.is_ascii_whitespace() || byte == b'"' || byte == b'\\';
                    if ends {
                        assert!(may_end_value(u64::from_le_bytes(word)), "{word:?}");
                    }
                    let mut value = word.to_vec();
                    value.extend_from_slice(b"tail");
                    let (_, read) = bare_value(&value).expect("never fails");
                    let want = value
                        .iter()
                        .position(|b| b.is_ascii_whitespace() || b"\"\\".contains(b))
                        .unwrap_or(value.len());
                    assert_eq!(read.len(), want, "{value:?}");
                }
            }
        }
        assert!(!may_end_value(u64::from_le_bytes(*b"CRM_SYNC")));
    }

    #[test]
    fn a_value_of_any_length_ends_where_the_first_end_byte_is() {
        // Lengths across the sixteen- and eight-byte steps, with an end byte (or a byte that
        // is flagged but no end: `!`, a control byte, bytes of 128 and more) at every place.
        let fillers: &[u8] = b"a!\x01\x80\xff#";
        let ends: &[u8] = b" \t\n\r\x0c\"\\";
        for len in 0..70 {
            for &filler in fillers {
                let plain = vec![filler; len];
                let (_, read) = bare_value(&plain).expect("never fails");
                assert_eq!(read.len(), len, "{plain:?}");
                for at in 0..len {
                    for &end in ends.iter().chain(b"\x0b") {
                        let mut value = plain.clone();
                        value[at] = end;
                        let want = value
                            .iter()
                            .position(|b| b.is_ascii_whitespace() || b"\"\\".contains(b))
                            .unwrap_or(len);
                        let (rest, read) = bare_value(&value).expect("never fails");
                        assert_eq!((read.len(), rest.len()), (want, len - want), "{value:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn esm_order_reads_as_the_general_reader() {
        const PIECES: &[&[u8]] = &[
            b"user=",
            b" ip=",
            b"ip=",
            b" method=",
            b" path=",
            b" status=",
            b" duration=",
            b" cards=",
            b"USER=",
            b"  ",
            b" ",
            b"\t",
            b"\"",
            b"\\",
            b"=",
            b"\r",
            b"\n",
            b"x",
            b"200",
            b"/rest-api/itsm/v1/dc/incident/data",
            b"CRM_SYNC",
            b"12ms",
            b"a\"b c\"",
        ];
        let mut rng = crate::generate::Rng(14);
        let mut checked_prefixes = 0;
        for _ in 0..FUZZ_ROUNDS {
            let mut message = Vec::new();
            // Mostly ESM's own order with a piece or two changed, so that the fast reader
            // runs far and then stops at every kind of place.
            for (i, key) in ESM_ORDER.iter().enumerate() {
                if i > 0 {
                    message.push(b' ');
                }
                message.extend_from_slice(key.name);
                for _ in 0..rng.below(3) {
                    message.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
                }
                if rng.below(8) == 0 {
                    break;
                }
            }
            for _ in 0..rng.below(4) {
                message.extend_from_slice(PIECES[rng.below(PIECES.len() as u64) as usize]);
            }
            let fast = pairs_read(&message, true);
            assert_eq!(
                fast,
                pairs_read(&message, false),
                "{}",
                String::from_utf8_lossy(&message)
            );
            checked_prefixes += usize::from(fast.len() >= ESM_ORDER.len());
        }
        assert!(checked_prefixes > FUZZ_ROUNDS / 10, "{checked_prefixes}");
    }

    #[test]
    fn survives_pseudo_random_bytes() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15u64);
        let mut input = Vec::new();
        let mut out = Vec::new();
        for _ in 0..FUZZ_ROUNDS {
            fuzz_text(&mut next, 40, &mut input);

            let fields = parse_fields(&input);
            let range = input.as_ptr_range();
            for slice in [
                fields.user,
                fields.ip,
                fields.method,
                fields.path,
                fields.error,
            ]
            .into_iter()
            .flatten()
            {
                assert!(range.start <= slice.as_ptr() && slice.as_ptr_range().end <= range.end);
            }
            let _ = unescape(fields.error.unwrap_or_default());
            let _ = parse_duration_us(&input);

            normalise_path(&input, &mut out);
            assert!(out.starts_with(b"/"), "{input:?} -> {out:?}");
            assert!(
                memchr::memmem::find(&out, b"//").is_none(),
                "{input:?} -> {out:?}"
            );
            assert!(memchr2(b'?', b'#', &out).is_none(), "{input:?} -> {out:?}");
            assert!(
                out.len() == 1 || !out.ends_with(b"/"),
                "{input:?} -> {out:?}"
            );
            let _ = template_of(&out);
            let _ = is_login(&input, &out);

            let redacted = redact_bytes(&input);
            assert!(!looks_like_jwt(&redacted), "{input:?} -> {redacted:?}");
            assert_eq!(
                redact_bytes(&redacted),
                redacted,
                "not idempotent: {input:?}"
            );
            let text = String::from_utf8_lossy(&input);
            let redacted = redact(&text);
            assert!(
                !looks_like_jwt(redacted.as_bytes()),
                "{text:?} -> {redacted:?}"
            );
        }
    }
}
