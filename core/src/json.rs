//! JSON: one value type, a strict parser and a compact writer, written to stay small in the wasm.
//!
//! Why not serde: its derives generate a deserializer per type and per input, which cost the
//! widget more than the rest of its logic together, and serde_json links the full float parser and
//! printer even where every number is an integer. The widget reads a handful of small documents
//! with hand-written, typed readers on top of [`Json`], which is both smaller and clearer about
//! what each backend is expected to send.
//!
//! Choices, so that nothing here surprises a caller:
//! - Parsing follows RFC 8259 strictly (no comments, no trailing commas, no NaN), refuses nesting
//!   deeper than [`MAX_DEPTH`], and never panics: any input gives a value or a [`JsonError`].
//! - Objects keep their members in order, duplicates included, so output mirrors input. Lookups
//!   ([`Json::get`]) see the **last** of duplicated keys, as JavaScript's `JSON.parse` does.
//! - A `\u` escape of a lone UTF-16 surrogate (which `JSON.stringify` emits for broken strings)
//!   becomes U+FFFD instead of failing the whole document.
//! - Numbers are values, not spellings: `5`, `5.0` and `5e0` are the same [`Number`], and an
//!   integral value is always an exact `i64`/`u64`. Integer tokens are read with integer
//!   arithmetic only. Other tokens whose digits fit in 2^53 with a power of ten up to 10^±22
//!   (every fraction a backend realistically sends) are converted exactly with one IEEE
//!   operation. The rare rest (17-digit fractions, huge exponents) goes to the platform's
//!   correctly rounded parser ([`FloatText`]: JavaScript's `parseFloat` in the widget,
//!   `str::parse` natively, which the host tests check against serde_json). A written exponent beyond ±99,999 is refused
//!   ("exponent out of range"), even for `0e100000` or `1e-100000`, which serde_json reads as 0:
//!   below that bound every step is exact on both platforms.
//! - Differences from serde_json, all deliberate: lone surrogates (above), `-0` reads as the
//!   integer 0, nesting of [`MAX_DEPTH`] levels is read (serde_json stops one short), and the
//!   exponent bound. `core/tests/json_differential.rs` compares the two on generated documents.
//! - Writing prints every integral value in the `i64`/`u64` range with integer formatting. A
//!   fraction is printed shortest-round-trip by the platform ([`FloatText`]: JavaScript's
//!   `Number#toString` in the widget, `Display` natively). In the widget both float paths cost a
//!   call into JavaScript, and in exchange Rust's float parser and printer are not linked at all
//!   (the README's performance section has the figure). Non-finite numbers cannot be
//!   represented: [`Json::from`] an infinite or NaN `f64` gives `null`.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicPtr, Ordering};

/// Deepest nesting of arrays and objects [`Json::parse`] accepts; deeper documents are refused,
/// so a hostile one cannot exhaust the stack.
pub const MAX_DEPTH: usize = 128;

/// A JSON value. Build objects with [`Json::object`] and [`Json::insert`], read them with
/// [`Json::get`] and the `as_*` accessors; `to_string()` writes compact JSON.
#[derive(Clone, Debug, Default)]
pub enum Json {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(String),
    Array(Vec<Json>),
    /// Members in document order; see the module notes on duplicates.
    Object(Vec<(String, Json)>),
}

/// A JSON number: an exact integer when the value is one, otherwise a finite `f64`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Number(Repr);

/// Canonical: an integral value in the `i64` range is always `Int`, one above it in the `u64`
/// range `Big`, anything else (fractions, huge values) `Float`; so derived equality is equality
/// of values.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Repr {
    Int(i64),
    Big(u64),
    Float(f64),
}

impl Number {
    /// `None` for NaN and infinities, which JSON cannot carry.
    pub fn from_f64(x: f64) -> Option<Number> {
        if !x.is_finite() {
            return None;
        }
        // 2^63 and 2^64 are exact in f64; integral values below them convert exactly.
        const TWO_63: f64 = 9_223_372_036_854_775_808.0;
        Some(Number(if x.fract() != 0.0 {
            Repr::Float(x)
        } else if (-TWO_63..TWO_63).contains(&x) {
            Repr::Int(x as i64)
        } else if (0.0..2.0 * TWO_63).contains(&x) {
            Repr::Big(x as u64)
        } else {
            Repr::Float(x)
        }))
    }

    /// The value as an `i64`, if it is an integer in range.
    pub fn as_i64(self) -> Option<i64> {
        match self.0 {
            Repr::Int(i) => Some(i),
            _ => None,
        }
    }

    /// The value as a `u64`, if it is a non-negative integer in range.
    pub fn as_u64(self) -> Option<u64> {
        match self.0 {
            Repr::Int(i) => u64::try_from(i).ok(),
            Repr::Big(u) => Some(u),
            Repr::Float(_) => None,
        }
    }

    /// The value as an `f64` (integers beyond 2^53 are rounded).
    pub fn as_f64(self) -> f64 {
        match self.0 {
            Repr::Int(i) => i as f64,
            Repr::Big(u) => u as f64,
            Repr::Float(x) => x,
        }
    }

    fn write(self, out: &mut String) {
        let _ = match self.0 {
            Repr::Int(i) => write!(out, "{i}"),
            Repr::Big(u) => write!(out, "{u}"),
            Repr::Float(x) => {
                write_float(x, out);
                Ok(())
            }
        };
    }
}

/// How a platform turns an `f64` into text and back, for the numbers the exact integer paths of
/// this module do not cover (fractions, digits beyond 2^53, exponents beyond ±22).
///
/// Natively this is Rust's own (`Display` and `str::parse`). A platform with a smaller exact
/// implementation at hand installs it once, before any JSON is read or written: the widget
/// installs the browser's `Number#toString` and `parseFloat`, which keeps Rust's float printer
/// and parser (and their tables) out of the wasm. Without one, a wasm build writes such a number
/// as `null` and refuses to parse it.
#[derive(Clone, Copy, Debug)]
pub struct FloatText {
    /// Shortest round-trip text of a finite `f64`, valid JSON.
    pub write: fn(f64, &mut String),
    /// Decimal text (a valid JSON number) → nearest `f64`; infinity when out of range.
    pub parse: fn(&str) -> f64,
}

// A pointer rather than a `OnceLock`: installing is one store, reading one load, and no
// synchronisation code is linked into the wasm.
static FLOAT_TEXT: AtomicPtr<FloatText> = AtomicPtr::new(std::ptr::null_mut());

/// Installs the platform's float text (see [`FloatText`]), replacing any installed before.
pub fn install_float_text(float_text: &'static FloatText) {
    FLOAT_TEXT.store(std::ptr::from_ref(float_text).cast_mut(), Ordering::Release);
}

fn installed_float_text() -> Option<&'static FloatText> {
    // SAFETY: the pointer is null or was made from a `&'static FloatText`, which it never outlives
    // and through which nothing is ever written.
    unsafe { FLOAT_TEXT.load(Ordering::Acquire).as_ref() }
}

fn write_float(x: f64, out: &mut String) {
    match installed_float_text() {
        Some(float_text) => (float_text.write)(x, out),
        None => write_float_natively(x, out),
    }
}

fn parse_float(text: &str) -> f64 {
    match installed_float_text() {
        Some(float_text) => (float_text.parse)(text),
        None => parse_float_natively(text),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn write_float_natively(x: f64, out: &mut String) {
    let _ = write!(out, "{x}");
}

#[cfg(not(target_arch = "wasm32"))]
fn parse_float_natively(text: &str) -> f64 {
    text.parse().unwrap_or(f64::INFINITY)
}

#[cfg(target_arch = "wasm32")]
fn write_float_natively(_: f64, out: &mut String) {
    out.push_str("null");
}

#[cfg(target_arch = "wasm32")]
fn parse_float_natively(_: &str) -> f64 {
    f64::INFINITY
}

impl From<i64> for Number {
    fn from(i: i64) -> Self {
        Number(Repr::Int(i))
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Self {
        Number(match i64::try_from(u) {
            Ok(i) => Repr::Int(i),
            Err(_) => Repr::Big(u),
        })
    }
}

/// The number as JSON writes it.
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write(&mut out);
        f.write_str(&out)
    }
}

/// Why a text is not JSON: what went wrong and at which byte offset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    /// Byte offset into the text where parsing stopped.
    pub offset: usize,
    /// What was wrong there, e.g. `expected ':'`.
    pub reason: &'static str,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for JsonError {}

static NULL: Json = Json::Null;

impl Json {
    /// Parses a complete document (surrounding whitespace allowed, nothing else after it).
    pub fn parse(text: &str) -> Result<Json, JsonError> {
        let mut p = Parser {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        };
        let value = p.value(0)?;
        p.skip_ws();
        if p.pos < p.bytes.len() {
            return Err(p.error("unexpected characters after the value"));
        }
        Ok(value)
    }

    /// An object from `(key, value)` pairs, in that order:
    /// `Json::object([("id", Json::from(id)), ("open", Json::from(true))])`.
    pub fn object<const N: usize>(members: [(&str, Json); N]) -> Json {
        // Emptied by `object_of` (every value taken, `Null` left): nothing is left to drop, and
        // without a drop no length of list compiles a drop of its own.
        let mut members = std::mem::ManuallyDrop::new(members);
        Json::object_of(&mut *members)
    }

    /// Not generic: each list of members compiles to this one loop, not a copy of its own.
    fn object_of(members: &mut [(&str, Json)]) -> Json {
        let mut out = Vec::new();
        for (key, value) in members {
            out.push((key.to_string(), std::mem::take(value)));
        }
        Json::Object(out)
    }

    /// Sets `key` on an object (replacing a member of that name, else appending); a non-object
    /// becomes an empty object first, so `Json::Null` works as the start of a builder.
    pub fn insert(&mut self, key: &str, value: Json) {
        if !matches!(self, Json::Object(_)) {
            *self = Json::Object(Vec::new());
        }
        if let Json::Object(members) = self {
            match members.iter_mut().rev().find(|(k, _)| k == key) {
                Some((_, v)) => *v = value,
                None => members.push((key.to_string(), value)),
            }
        }
    }

    /// The member `key` of an object (the last one, if the key is duplicated); `None` when
    /// absent or when `self` is not an object. A member that is `null` is `Some(Json::Null)`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Follows object keys: `doc.path(&["attrs", "level"])`.
    pub fn path(&self, keys: &[&str]) -> Option<&Json> {
        keys.iter().try_fold(self, |v, k| v.get(k))
    }

    /// Whether this is `null` (a member that is absent is not: see [`Json::get`]).
    pub fn is_null(&self) -> bool {
        matches!(self, Json::Null)
    }

    /// A boolean; `None` for any other kind of value (no truthiness).
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// A string; `None` for any other kind (numbers are not turned into text).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::String(s) => Some(s),
            _ => None,
        }
    }

    /// A number, for callers that need to tell integers from fractions.
    pub fn as_number(&self) -> Option<Number> {
        match self {
            Json::Number(n) => Some(*n),
            _ => None,
        }
    }

    /// A number as `f64`.
    pub fn as_f64(&self) -> Option<f64> {
        self.as_number().map(Number::as_f64)
    }

    /// An integral number in the `i64` range (`5` and `5.0` alike).
    pub fn as_i64(&self) -> Option<i64> {
        self.as_number().and_then(Number::as_i64)
    }

    /// A non-negative integral number in the `u64` range.
    pub fn as_u64(&self) -> Option<u64> {
        self.as_number().and_then(Number::as_u64)
    }

    /// The items of an array.
    pub fn as_array(&self) -> Option<&[Json]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The members of an object, in document order (duplicates included).
    pub fn as_object(&self) -> Option<&[(String, Json)]> {
        match self {
            Json::Object(members) => Some(members),
            _ => None,
        }
    }

    /// What kind of value this is, for error messages ("a string", "an object"…).
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Appends the compact JSON text of `self` to `out`.
    pub fn write_to(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Number(n) => n.write(out),
            Json::String(s) => write_string(s, out),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (key, value)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write_to(out);
                }
                out.push('}');
            }
        }
    }
}

/// Compact JSON text, so `value.to_string()` is the document.
impl fmt::Display for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::new();
        self.write_to(&mut out);
        f.write_str(&out)
    }
}

/// Objects are equal when they have the same number of members and each member of either is
/// also one of the other (order does not matter, as in JSON); everything else structurally.
impl PartialEq for Json {
    fn eq(&self, other: &Json) -> bool {
        match (self, other) {
            (Json::Null, Json::Null) => true,
            (Json::Bool(a), Json::Bool(b)) => a == b,
            (Json::Number(a), Json::Number(b)) => a == b,
            (Json::String(a), Json::String(b)) => a == b,
            (Json::Array(a), Json::Array(b)) => a == b,
            (Json::Object(a), Json::Object(b)) => {
                a.len() == b.len() && (a == b || (contains_all(a, b) && contains_all(b, a)))
            }
            _ => false,
        }
    }
}

fn contains_all(a: &[(String, Json)], b: &[(String, Json)]) -> bool {
    a.iter().all(|m| b.contains(m))
}

impl PartialEq<str> for Json {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == Some(other)
    }
}

impl PartialEq<&str> for Json {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == Some(*other)
    }
}

/// `value["key"]`: the member, or `null` when absent (handy in tests and chains).
impl std::ops::Index<&str> for Json {
    type Output = Json;
    fn index(&self, key: &str) -> &Json {
        self.get(key).unwrap_or(&NULL)
    }
}

/// `value[i]`: the item, or `null` when out of range or not an array.
impl std::ops::Index<usize> for Json {
    type Output = Json;
    fn index(&self, i: usize) -> &Json {
        self.as_array().and_then(|a| a.get(i)).unwrap_or(&NULL)
    }
}

impl From<bool> for Json {
    fn from(b: bool) -> Self {
        Json::Bool(b)
    }
}

impl From<i64> for Json {
    fn from(i: i64) -> Self {
        Json::Number(i.into())
    }
}

impl From<i32> for Json {
    fn from(i: i32) -> Self {
        Json::Number(i64::from(i).into())
    }
}

impl From<u32> for Json {
    fn from(u: u32) -> Self {
        Json::Number(i64::from(u).into())
    }
}

impl From<u64> for Json {
    fn from(u: u64) -> Self {
        Json::Number(u.into())
    }
}

impl From<usize> for Json {
    fn from(u: usize) -> Self {
        Json::Number((u as u64).into())
    }
}

/// Integral values become exact integers; NaN and infinities become `null`.
impl From<f64> for Json {
    fn from(x: f64) -> Self {
        Number::from_f64(x).map_or(Json::Null, Json::Number)
    }
}

impl From<&str> for Json {
    fn from(s: &str) -> Self {
        Json::String(s.to_string())
    }
}

impl From<String> for Json {
    fn from(s: String) -> Self {
        Json::String(s)
    }
}

impl From<&String> for Json {
    fn from(s: &String) -> Self {
        Json::String(s.clone())
    }
}

impl From<Vec<Json>> for Json {
    fn from(items: Vec<Json>) -> Self {
        Json::Array(items)
    }
}

/// `None` is `null`.
impl<T: Into<Json>> From<Option<T>> for Json {
    fn from(v: Option<T>) -> Self {
        v.map_or(Json::Null, Into::into)
    }
}

fn write_string(s: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        // `i` is an ASCII byte, so both slices fall on character boundaries.
        out.push_str(s.get(start..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(s.get(start..).unwrap_or_default());
    out.push('"');
}

/// Largest written exponent [`Json::parse`] reads (`1e99999`, `1e-99999`). Beyond it a number is
/// refused even where enough digits would bring its value back into range (`0.000…1e100001`):
/// with the exponent bounded, the exponent arithmetic here is exact and so are the platform
/// parsers that [`parse_float`] uses (Rust's stops reading exponent digits near 655,360).
const MAX_EXPONENT: i64 = 99_999;

/// Powers of ten that are exact in `f64` (for the exact float fast path).
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error(&self, reason: &'static str) -> JsonError {
        JsonError {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    /// Skips whitespace and consumes `b` if it comes next.
    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        let found = self.peek() == Some(b);
        if found {
            self.pos += 1;
        }
        found
    }

    fn value(&mut self, depth: usize) -> Result<Json, JsonError> {
        self.skip_ws();
        let Some(b) = self.peek() else {
            return Err(self.error("unexpected end of input"));
        };
        if matches!(b, b'[' | b'{') && depth >= MAX_DEPTH {
            return Err(self.error("nesting is too deep"));
        }
        match b {
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or ']'"));
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                if self.eat(b'}') {
                    return Ok(Json::Object(members));
                }
                loop {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a string key"));
                    }
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.error("expected ':'"));
                    }
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Ok(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected ',' or '}'"));
                    }
                }
            }
            b'"' => self.string().map(Json::String),
            b't' => self.literal("true", Json::Bool(true)),
            b'f' => self.literal("false", Json::Bool(false)),
            b'n' => self.literal("null", Json::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, JsonError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error("expected a value"))
        }
    }

    /// At the opening quote.
    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1;
        let mut out = String::new();
        loop {
            let start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            // Stopped at an ASCII byte or the end: a character boundary.
            out.push_str(self.text.get(start..self.pos).unwrap_or_default());
            match self.peek() {
                None => return Err(self.error("unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    self.pos += 1;
                    out.push(escaped);
                }
                Some(_) => return Err(self.error("control character in string")),
            }
        }
    }

    /// After `\u`: one code point, joining a surrogate pair; a lone surrogate is U+FFFD.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.bytes[self.pos..].starts_with(b"\\u") {
            let save = self.pos;
            self.pos += 2;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return Ok(char::from_u32(c).unwrap_or('\u{FFFD}'));
            }
            // Not a low surrogate: the first is lone; the second escape is read on its own.
            self.pos = save;
        }
        Ok(char::from_u32(first).unwrap_or('\u{FFFD}'))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut n = 0;
        for _ in 0..4 {
            let digit = self
                .peek()
                .and_then(|b| char::from(b).to_digit(16))
                .ok_or_else(|| self.error("invalid \\u escape"))?;
            n = n * 16 + digit;
            self.pos += 1;
        }
        Ok(n)
    }

    /// Consumes decimal digits, appending them to `mantissa` while it fits; returns how many.
    fn digits(&mut self, mantissa: &mut Option<u64>) -> usize {
        let from = self.pos;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            *mantissa = mantissa
                .and_then(|m| m.checked_mul(10))
                .and_then(|m| m.checked_add(u64::from(b - b'0')));
            self.pos += 1;
        }
        self.pos - from
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Json, JsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        // All significant digits as one integer, while it fits (`None` once it does not).
        let mut mantissa: Option<u64> = Some(0);
        let int_start = self.pos;
        let int_digits = self.digits(&mut mantissa);
        if int_digits == 0 || (int_digits > 1 && self.bytes[int_start] == b'0') {
            self.pos = int_start;
            return Err(self.error("invalid number"));
        }
        let mut exponent: i64 = 0;
        let mut integer = true;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            let n = self.digits(&mut mantissa);
            if n == 0 {
                return Err(self.error("invalid number"));
            }
            exponent -= n as i64;
            integer = false;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            let minus = self.peek() == Some(b'-');
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            let mut e: i64 = 0;
            let from = self.pos;
            while let Some(b @ b'0'..=b'9') = self.peek() {
                e = e * 10 + i64::from(b - b'0');
                if e > MAX_EXPONENT {
                    self.pos = start;
                    return Err(self.error("exponent out of range"));
                }
                self.pos += 1;
            }
            if self.pos == from {
                return Err(self.error("invalid number"));
            }
            exponent += if minus { -e } else { e };
            integer = false;
        }
        if integer {
            if let Some(m) = mantissa {
                let n = match (negative, i64::try_from(m)) {
                    (false, _) => Number::from(m),
                    (true, Ok(i)) => Number::from(-i),
                    (true, Err(_)) if m == 1 << 63 => Number::from(i64::MIN),
                    // Below i64::MIN: an f64 (the fall-through below).
                    (true, Err(_)) => Number::from_f64(-(m as f64)).unwrap_or(Number(Repr::Int(0))),
                };
                return Ok(Json::Number(n));
            }
        }
        let x = match mantissa {
            Some(0) => 0.0,
            // Both operands exact, one rounding: the correctly rounded result.
            Some(m) if m <= 1 << 53 && exponent.abs() <= 22 => {
                let scale = POW10[exponent.unsigned_abs() as usize];
                if exponent < 0 {
                    m as f64 / scale
                } else {
                    m as f64 * scale
                }
            }
            _ => {
                // The sign is applied below; the text has at most one `-`, first.
                let text = self.text.get(start..self.pos).unwrap_or_default();
                parse_float(text.strip_prefix('-').unwrap_or(text))
            }
        };
        let x = if negative { -x } else { x };
        match Number::from_f64(x) {
            Some(n) => Ok(Json::Number(n)),
            None => {
                self.pos = start;
                Err(self.error("number out of range"))
            }
        }
    }
}
