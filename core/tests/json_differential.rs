//! `Json::parse` against serde_json (with `float_roundtrip`, so its floats are correctly rounded)
//! on generated documents and hand-written edge cases: both must accept and refuse the same
//! texts and read the same values. The differences src/json.rs documents are stated here, and
//! each has its own test below:
//! - a `\u` escape of a lone surrogate reads as U+FFFD, where serde_json refuses the document:
//!   serde_json is given the text with such escapes replaced by `\ufffd` ([`oracle_text`]);
//! - `-0` (`-0.0`, `-0e5`) reads as the integer 0, serde_json's is the float -0.0: numbers are
//!   compared as values, where the two are equal;
//! - nesting of exactly [`MAX_DEPTH`] levels is read, serde_json stops one level short: the
//!   generated documents stay shallower;
//! - a written exponent beyond ±99,999 is refused, even where serde_json reads a value: the
//!   generated exponents stay within it.
//!
//! This runs the host build, whose rare-float fallback is `str::parse` where the browser's is
//! `parseFloat`; everything else (which numbers take the fallback, the exact fast path, strings,
//! structure) is the same code on both.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{halfway, Rng};
use helpwire_core::json::{Json, MAX_DEPTH};
use serde_json::Value;

// ------------------------------------------------------------------ the comparison

/// The text serde_json is given: `text` with every `\u` escape of a lone surrogate replaced by
/// `\ufffd`, which is how `Json::parse` reads it. Escaped backslashes are skipped as pairs, so
/// `\\ud800` (a backslash, then the letters) is left alone.
fn oracle_text(text: &str) -> String {
    let b = text.as_bytes();
    let hex = |at: usize| -> Option<u32> {
        let s = text.get(at..at + 4)?;
        s.bytes()
            .all(|c| c.is_ascii_hexdigit())
            .then(|| u32::from_str_radix(s, 16).ok())?
    };
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        if b.get(i + 1) == Some(&b'u') {
            if let Some(first) = hex(i + 2) {
                let low_follows = b.get(i + 6..i + 8) == Some(b"\\u")
                    && hex(i + 8).is_some_and(|s| (0xDC00..0xE000).contains(&s));
                let len = if (0xD800..0xDC00).contains(&first) && low_follows {
                    out.push_str(&text[i..i + 12]);
                    12
                } else if (0xD800..0xE000).contains(&first) {
                    out.push_str("\\ufffd");
                    6
                } else {
                    out.push_str(&text[i..i + 6]);
                    6
                };
                while chars.peek().is_some_and(|&(j, _)| j < i + len) {
                    chars.next();
                }
                continue;
            }
        }
        out.push('\\');
        if let Some((_, next)) = chars.next() {
            out.push(next);
        }
    }
    out
}

/// Whether our value and serde_json's are the same JSON value. Objects: serde_json keeps the
/// last of duplicated keys, which is what [`Json::get`] sees.
fn same(ours: &Json, theirs: &Value) -> bool {
    match (ours, theirs) {
        (Json::Null, Value::Null) => true,
        (Json::Bool(a), Value::Bool(b)) => a == b,
        (Json::String(a), Value::String(b)) => a == b,
        (Json::Number(_), Value::Number(n)) => same_number(ours, n),
        (Json::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Json::Object(members), Value::Object(map)) => {
            let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            keys.len() == map.len()
                && map
                    .iter()
                    .all(|(k, v)| ours.get(k).is_some_and(|o| same(o, v)))
        }
        _ => false,
    }
}

/// Integers exactly, floats bit for bit; an integral float equals the same integer (we read
/// `5.0` as 5, and `-0` as 0 where serde_json reads -0.0).
fn same_number(ours: &Json, theirs: &serde_json::Number) -> bool {
    let our_int = ours
        .as_i64()
        .map(i128::from)
        .or(ours.as_u64().map(i128::from));
    let their_int = theirs
        .as_i64()
        .map(i128::from)
        .or(theirs.as_u64().map(i128::from));
    let Some(theirs_f) = theirs.as_f64() else {
        return false;
    };
    match (our_int, their_int) {
        (Some(a), Some(b)) => a == b,
        (Some(a), None) => theirs_f == a as f64 && theirs_f as i128 == a,
        (None, Some(_)) => false,
        (None, None) => ours.as_f64().map(f64::to_bits) == Some(theirs_f.to_bits()),
    }
}

/// Panics, showing the document, unless both parsers accept `text` with the same value or
/// both refuse it. Returns whether it was accepted. What we accept we also write; serde_json
/// must read that back as the same value.
fn agree(text: &str) -> bool {
    let shown = || {
        let chars: Vec<char> = text.chars().collect();
        if chars.len() <= 200 {
            return text.to_string();
        }
        let head: String = chars[..100].iter().collect();
        let tail: String = chars[chars.len() - 100..].iter().collect();
        format!("{head}…{tail}")
    };
    let ours = Json::parse(text);
    let theirs = serde_json::from_str::<Value>(&oracle_text(text));
    match (&ours, &theirs) {
        (Ok(a), Ok(b)) => {
            assert!(same(a, b), "{:?}: we read {a}, serde_json {b}", shown());
            let written = a.to_string();
            let back: Value = serde_json::from_str(&written)
                .unwrap_or_else(|e| panic!("{:?}: serde_json refuses our {written}: {e}", shown()));
            assert!(same(a, &back), "{:?}: written as {written}", shown());
            true
        }
        (Err(_), Err(_)) => false,
        // The documented exponent bound: serde_json may read the document (as 0 or so).
        (Err(e), Ok(_))
            if e.reason == "exponent out of range"
                && exponent_beyond_the_bound(&text[e.offset..]) =>
        {
            false
        }
        (Ok(a), Err(e)) => panic!("{:?}: we read {a}, serde_json refuses: {e}", shown()),
        (Err(e), Ok(b)) => panic!("{:?}: we refuse ({e}), serde_json reads {b}", shown()),
    }
}

/// Whether `number` (a text from the start of a number on) has a written exponent beyond
/// ±99,999, the bound src/json.rs documents.
fn exponent_beyond_the_bound(number: &str) -> bool {
    let token = number
        .split(|c: char| !(c.is_ascii_digit() || "+-.eE".contains(c)))
        .next()
        .unwrap_or_default();
    let Some((_, exp)) = token.split_once(['e', 'E']) else {
        return false;
    };
    let digits = exp.trim_start_matches(['+', '-']).trim_start_matches('0');
    digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() > 5 || digits > "99999" && digits.len() == 5)
}

// ------------------------------------------------------------------ generated documents

fn number(rng: &mut Rng, out: &mut String) {
    const SPECIAL: &[&str] = &[
        "0",
        "-0",
        "-0.0",
        "9007199254740992",
        "9007199254740993",
        "-9007199254740993",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "-18446744073709551616",
        "1e22",
        "1e23",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "5e-324",
        "1e-324",
        "1e309",
        "-1e309",
        "1e-99999",
        "1e99999",
    ];
    match rng.below(40) {
        0 | 1 => out.push_str(rng.pick(SPECIAL)),
        2 => {
            if rng.chance(2) {
                out.push('-');
            }
            out.push_str(&halfway(rng));
        }
        3..=8 => out.push_str(&(rng.next() as i64 >> rng.below(64)).to_string()),
        _ => {
            if rng.chance(3) {
                out.push('-');
            }
            let int_digits = match rng.below(10) {
                0 => 0, // invalid: no integer part
                1..=4 => 1,
                _ => {
                    let most = if rng.chance(10) { 40 } else { 20 };
                    1 + rng.below(most)
                }
            };
            for i in 0..int_digits {
                // A leading zero before more digits is invalid; make it rare.
                let c = if i == 0 && int_digits > 1 && !rng.chance(30) {
                    char::from(b'1' + rng.below(9) as u8)
                } else {
                    rng.digit()
                };
                out.push(c);
            }
            if rng.chance(2) {
                out.push('.');
                let frac_digits = match rng.below(20) {
                    0 => 0, // invalid: nothing after the point
                    1 => {
                        let most = if rng.chance(4) { 800 } else { 60 };
                        20 + rng.below(most)
                    }
                    _ => 1 + rng.below(18),
                };
                // Leading zeros in the fraction, sometimes many.
                let zeros = if rng.chance(8) { rng.below(400) } else { 0 };
                for _ in 0..zeros {
                    out.push('0');
                }
                for _ in 0..frac_digits {
                    out.push(rng.digit());
                }
            }
            if rng.chance(2) {
                out.push_str(rng.pick(&["e", "E"]));
                out.push_str(rng.pick(&["", "+", "-"]));
                let e = match rng.below(10) {
                    0 => String::new(), // invalid: no exponent digits
                    1 => format!("000{}", rng.below(30)),
                    2 => rng.below(100_000).to_string(),
                    _ => rng.below(340).to_string(),
                };
                out.push_str(&e);
            }
        }
    }
}

fn string(rng: &mut Rng, out: &mut String) {
    const PIECES: &[&str] = &[
        "a",
        "key",
        " ",
        "é",
        "😀",
        "\u{2028}",
        "\u{7f}",
        "\\\"",
        "\\\\",
        "\\/",
        "\\b",
        "\\f",
        "\\n",
        "\\r",
        "\\t",
        "\\u0041",
        "\\u00e9",
        "\\u20AC",
        "\\ud83d\\ude00",
        "\\uD83D\\uDE00",
        "\\ud800",
        "\\udbff",
        "\\udc00",
        "\\uDFFF",
        "\\u0000",
        "\\u001f",
        "\\uffff",
        "\\ufffd",
    ];
    const BAD: &[&str] = &[
        "\\x", "\\u12", "\\u12g4", "\\U0041", "\u{0}", "\u{1f}", "\t", "\n", "\\",
    ];
    out.push('"');
    for _ in 0..rng.below(8) {
        if rng.chance(60) {
            out.push_str(rng.pick(BAD));
        } else {
            out.push_str(rng.pick(PIECES));
        }
    }
    if !rng.chance(200) {
        out.push('"');
    }
}

fn whitespace(rng: &mut Rng, out: &mut String) {
    if rng.chance(4) {
        out.push_str(rng.pick(&[" ", "\t", "\n", "\r", "  \r\n "]));
    } else if rng.chance(300) {
        // Not JSON whitespace.
        out.push_str(rng.pick(&["\u{a0}", "\u{feff}", "\u{c}"]));
    }
}

fn value(rng: &mut Rng, depth: usize, out: &mut String) {
    const KEYS: &[&str] = &["\"a\"", "\"b\"", "\"id\"", "\"\"", "\"\\u0061\"", "\"é\""];
    whitespace(rng, out);
    let kinds = if depth >= 6 { 7 } else { 10 };
    match rng.below(kinds) {
        0 => out.push_str(rng.pick(&["null", "true", "false"])),
        1..=3 => number(rng, out),
        4..=6 => string(rng, out),
        7 | 8 => {
            out.push('[');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                value(rng, depth + 1, out);
            }
            out.push(']');
        }
        _ => {
            out.push('{');
            for i in 0..rng.below(5) {
                if i > 0 {
                    out.push(',');
                }
                whitespace(rng, out);
                out.push_str(rng.pick(KEYS));
                whitespace(rng, out);
                out.push(':');
                value(rng, depth + 1, out);
            }
            out.push('}');
        }
    }
    whitespace(rng, out);
}

/// One small edit at a character boundary: most edits break the document, some do not.
fn mutate(rng: &mut Rng, text: &mut String) {
    const INSERTS: &[&str] = &[
        ",", ":", "[", "]", "{", "}", "\"", "\\", "-", "+", "0", "1", ".", "e", " ", "\u{0}", "x",
        "\\u", "d800",
    ];
    let bounds: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let at = bounds[rng.below(bounds.len() as u64) as usize];
    let piece = rng.pick(INSERTS);
    match (rng.below(3), text[at..].chars().next()) {
        (0, Some(c)) => {
            text.replace_range(at..at + c.len_utf8(), "");
        }
        (1, Some(c)) => text.replace_range(at..at + c.len_utf8(), piece),
        _ => text.insert_str(at, piece),
    }
}

#[test]
fn generated_documents_read_as_serde_json_reads_them() {
    let mut rng = Rng(0x00C0_FFEE_D0C5);
    let (mut accepted, mut refused) = (0, 0);
    let mut text = String::new();
    for round in 0..300_000 {
        text.clear();
        value(&mut rng, 0, &mut text);
        if round % 4 == 0 {
            for _ in 0..1 + rng.below(2) {
                mutate(&mut rng, &mut text);
            }
        }
        if agree(&text) {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    // The generator reaches both sides often enough for the comparison to mean something.
    eprintln!("{accepted} accepted, {refused} refused");
    assert!(
        accepted > 100_000 && refused > 50_000,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn hard_decimal_conversions_read_as_serde_json_reads_them() {
    let mut rng = Rng(0x4A1F_3AF5);
    for _ in 0..10_000 {
        let text = halfway(&mut rng);
        assert!(agree(&text), "{text}");
    }
}

// ------------------------------------------------------------------ hand-written edge cases

#[test]
fn edge_cases_read_as_serde_json_reads_them() {
    let long = |s: &str, n: usize| s.repeat(n);
    let owned = [
        // Halfway between 1 and the next double, exactly and a hair above (800 digits on).
        "1.00000000000000011102230246251565404236316680908203125".to_string(),
        format!(
            "1.00000000000000011102230246251565404236316680908203125{}1",
            long("0", 800)
        ),
        // 1e23, refused for its exponent (it once read as 1e22); and within the bound.
        format!("0.{}1e100001", long("0", 99_977)),
        format!("0.{}1e99999", long("0", 99_976)),
        format!("0.{}12345678901234567890e99999", long("0", 99_975)),
        format!("1{}e-99999", long("0", 99_999)),
        format!("[{}]", long("1.5,", 1000) + "2"),
        format!("{}{}", long("[", MAX_DEPTH - 1), long("]", MAX_DEPTH - 1)),
        format!("{}{}", long("[", MAX_DEPTH + 1), long("]", MAX_DEPTH + 1)),
        format!("\"{}\"", long("\\ud83d\\ude00", 100)),
    ];
    let written: &[&str] = &[
        // Numbers.
        "0",
        "-0",
        "-0.0",
        "-0e5",
        "0e-5",
        "1",
        "-1",
        "1.0",
        "1e0",
        "1E+2",
        "1e-2",
        "0.1",
        "1e22",
        "1e23",
        "8.98846567431158e307",
        "9007199254740993",
        "9007199254740993.0",
        "9007199254740993.0000000000000000001",
        "9007199254740992.9999999999999999999",
        "18446744073709551615",
        "18446744073709551616",
        "18446744073709551615.0",
        "-9223372036854775808",
        "-9223372036854775809",
        "-9223372036854775808.0",
        "123456789012345678901234567890",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "2.2250738585072011e-308",
        "2.2250738585072012e-308",
        "4.9406564584124654e-324",
        "2.4703282292062327e-324",
        "2.4703282292062328e-324",
        "1e-400",
        "1e400",
        "-1e400",
        "0.1e-350",
        "1e-99999",
        "1e99999",
        "00",
        "01",
        "-01",
        "-",
        "1.",
        ".5",
        "+1",
        "1e",
        "1e+",
        "1e-",
        "0x10",
        "1.e3",
        "--1",
        "NaN",
        "Infinity",
        "-Infinity",
        "1_000",
        "1 2",
        "١",
        // Strings.
        r#""""#,
        r#""\u0000""#,
        "\"\u{7f}\"",
        "\"\u{2028}\"",
        r#""\/""#,
        r#""\ud83d\ude00""#,
        r#""\uD83D\uDE00""#,
        r#""\ud800""#,
        r#""\udc00""#,
        r#""\ud800\u0041""#,
        r#""\ud800\ud83d\ude00""#,
        r#""\ude00\ud83d""#,
        r#""\ud800\u12""#,
        r#""\\ud800""#,
        "\"a\tb\"",
        "\"a\nb\"",
        r#""\x""#,
        r#""\u12g4""#,
        r#""abc"#,
        "'single'",
        // Structure and whitespace.
        "",
        " ",
        "null",
        "nul",
        "nulls",
        "tru",
        "true",
        "false",
        "[]",
        "{}",
        " \t\r\n[ ] \n",
        "[1,]",
        "[,1]",
        "[1 2]",
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
        r#"{"a":1,"a":2}"#,
        r#"{"a":1,"b":{"a":[1,{"a":null}]},"a":[2]}"#,
        "\u{a0}1",
        "\u{feff}1",
        "1\u{0}",
        "[] // comment",
        "[1]]",
        "{\"a\":1}}",
    ];
    for text in owned
        .iter()
        .map(String::as_str)
        .chain(written.iter().copied())
    {
        agree(text);
    }
}

// ------------------------------------------------------------------ the documented differences

#[test]
fn a_lone_surrogate_reads_as_the_replacement_character_where_serde_json_refuses() {
    for (text, read) in [
        (r#""a\ud800b""#, "a\u{FFFD}b"),
        (r#""\udc00""#, "\u{FFFD}"),
        (r#""\ud800\ud83d\ude00""#, "\u{FFFD}😀"),
    ] {
        assert_eq!(Json::parse(text), Ok(Json::from(read)));
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        assert_eq!(
            serde_json::from_str::<Value>(&oracle_text(text)).ok(),
            Some(Value::from(read))
        );
    }
    assert_eq!(
        oracle_text(r#""\\ud800""#),
        r#""\\ud800""#,
        "an escaped backslash"
    );
}

#[test]
fn minus_zero_reads_as_the_integer_zero_where_serde_json_keeps_the_sign() {
    for text in ["-0", "-0.0", "-0e5"] {
        assert_eq!(
            Json::parse(text).ok().and_then(|v| v.as_i64()),
            Some(0),
            "{text}"
        );
        let theirs: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(
            theirs.as_f64().map(f64::to_bits),
            Some((-0.0f64).to_bits()),
            "{text}"
        );
    }
}

#[test]
fn nesting_of_max_depth_levels_reads_where_serde_json_stops_one_short() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(Json::parse(&nested(MAX_DEPTH)).is_ok());
    assert!(serde_json::from_str::<Value>(&nested(MAX_DEPTH)).is_err());
    agree(&nested(MAX_DEPTH - 1));
    agree(&nested(MAX_DEPTH + 1));
}

#[test]
fn exponents_beyond_the_bound_are_refused_where_serde_json_reads_zero() {
    for text in ["1e-100000", "0e100000", "0.5e-1000000"] {
        assert!(Json::parse(text).is_err(), "{text}");
        let theirs: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(theirs.as_f64(), Some(0.0), "{text}");
    }
    // Where the value is out of range anyway, both refuse.
    agree("1e100000");
}
