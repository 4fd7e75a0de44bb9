//! The JSON module: strict parsing, exact integers, escapes, hostile input, and the writer.

use helpwire_core::json::{Json, JsonError, MAX_DEPTH};

fn parse(text: &str) -> Json {
    Json::parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
}

fn reason(text: &str) -> &'static str {
    match Json::parse(text) {
        Ok(v) => panic!("{text:?} parsed as {v:?}"),
        Err(e) => e.reason,
    }
}

// ------------------------------------------------------------------ values and round trips

#[test]
fn every_kind_of_value_parses_and_writes_back_compactly() {
    let text = r#" { "null" : null, "t": true, "f": false, "n": -12, "x": 0.5,
        "s": "hi", "a": [1, [], {}, "two"], "o": {"k": {"deep": [null]}} } "#;
    let v = parse(text);
    assert_eq!(v["null"], Json::Null);
    assert_eq!(v["t"].as_bool(), Some(true));
    assert_eq!(v["f"].as_bool(), Some(false));
    assert_eq!(v["n"].as_i64(), Some(-12));
    assert_eq!(v["x"].as_f64(), Some(0.5));
    assert_eq!(v["s"], "hi");
    assert_eq!(v["a"].as_array().map(<[Json]>::len), Some(4));
    assert_eq!(v.path(&["o", "k", "deep"]), Some(&parse("[null]")));
    assert_eq!(
        v.to_string(),
        r#"{"null":null,"t":true,"f":false,"n":-12,"x":0.5,"s":"hi","a":[1,[],{},"two"],"o":{"k":{"deep":[null]}}}"#
    );
    assert_eq!(parse(&v.to_string()), v);
}

#[test]
fn scalars_are_documents_too() {
    assert_eq!(parse("null"), Json::Null);
    assert_eq!(parse(" true "), Json::Bool(true));
    assert_eq!(parse("\"x\""), Json::from("x"));
    assert_eq!(parse("\t\r\n7\n"), Json::from(7));
}

#[test]
fn the_builder_writes_members_in_order_and_none_as_null() {
    let mut v = Json::object([
        ("id", Json::from("m1")),
        ("count", Json::from(3u32)),
        ("name", Json::from(None::<&str>)),
        ("list", Json::Array(vec![Json::from(true), Json::from(1.5)])),
    ]);
    v.insert("count", Json::from(4));
    v.insert("extra", Json::object([]));
    assert_eq!(
        v.to_string(),
        r#"{"id":"m1","count":4,"name":null,"list":[true,1.5],"extra":{}}"#
    );
    let mut from_null = Json::Null;
    from_null.insert("a", Json::from(1));
    assert_eq!(from_null.to_string(), r#"{"a":1}"#);
}

#[test]
fn accessors_answer_none_for_the_wrong_kind() {
    let v = parse(r#"{"s": "1", "n": 1, "a": [], "o": {}}"#);
    assert_eq!(v["s"].as_i64(), None);
    assert_eq!(v["n"].as_str(), None);
    assert_eq!(v["a"].as_object(), None);
    assert_eq!(v["o"].as_array(), None);
    assert_eq!(v["missing"], Json::Null);
    assert_eq!(v.get("missing"), None);
    assert_eq!(v["a"][3], Json::Null);
    assert_eq!(v["s"].get("x"), None, "get on a non-object");
    assert_eq!(v.path(&["o", "x"]), None);
    assert_eq!(
        [
            &v["s"],
            &v["n"],
            &v["a"],
            &v["o"],
            &Json::Null,
            &Json::from(false)
        ]
        .map(Json::kind),
        [
            "a string",
            "a number",
            "an array",
            "an object",
            "null",
            "a boolean"
        ]
    );
}

// ------------------------------------------------------------------ objects

#[test]
fn duplicate_keys_are_kept_and_the_last_one_wins_on_lookup() {
    let v = parse(r#"{"a": 1, "b": 0, "a": 2}"#);
    assert_eq!(v["a"].as_i64(), Some(2));
    assert_eq!(
        v.to_string(),
        r#"{"a":1,"b":0,"a":2}"#,
        "output mirrors input"
    );
    let mut w = v.clone();
    w.insert("a", Json::from(3));
    assert_eq!(w.to_string(), r#"{"a":1,"b":0,"a":3}"#);
}

#[test]
fn objects_compare_without_regard_to_member_order() {
    assert_eq!(parse(r#"{"a":1,"b":[1,2]}"#), parse(r#"{"b":[1,2],"a":1}"#));
    assert_ne!(parse(r#"{"a":1,"b":2}"#), parse(r#"{"a":1,"b":3}"#));
    assert_ne!(parse(r#"{"a":1}"#), parse(r#"{"a":1,"b":2}"#));
    assert_ne!(parse(r#"{"a":1,"b":2}"#), parse(r#"{"a":1,"a":1}"#));
    assert_ne!(parse("[1,2]"), parse("[2,1]"), "arrays keep their order");
    assert_eq!(parse(r#""x""#), "x");
    assert_ne!(parse("1"), parse(r#""1""#));
}

// ------------------------------------------------------------------ strings

#[test]
fn the_writer_escapes_quotes_backslashes_and_control_characters() {
    let s = "q\" b\\ n\n r\r t\t b\u{8} f\u{c} nul\u{0} us\u{1f} del\u{7f} / é 😀 \u{2028}";
    let written = Json::from(s).to_string();
    assert_eq!(
        written,
        "\"q\\\" b\\\\ n\\n r\\r t\\t b\\b f\\f nul\\u0000 us\\u001f del\u{7f} / é 😀 \u{2028}\""
    );
    assert_eq!(parse(&written), Json::from(s));
    assert_eq!(
        Json::object([("a\"b", Json::Null)]).to_string(),
        r#"{"a\"b":null}"#,
        "keys are escaped too"
    );
}

#[test]
fn every_escape_is_read() {
    assert_eq!(
        parse(r#""\"\\\/\b\f\n\r\t\u0041\u00e9\u20AC\ud83d\ude00""#),
        Json::from("\"\\/\u{8}\u{c}\n\r\t\u{41}é€😀")
    );
    assert_eq!(parse("\"é😀 raw\""), Json::from("é😀 raw"));
}

#[test]
fn lone_surrogates_become_the_replacement_character() {
    assert_eq!(parse(r#""a\ud800b""#), Json::from("a\u{FFFD}b"));
    assert_eq!(parse(r#""\udc00""#), Json::from("\u{FFFD}"));
    assert_eq!(parse(r#""\ud800""#), Json::from("\u{FFFD}"));
    assert_eq!(parse(r#""\ud800\u0041""#), Json::from("\u{FFFD}A"));
    assert_eq!(
        parse(r#""\ud800\ud83d\ude00""#),
        Json::from("\u{FFFD}😀"),
        "a high surrogate after a lone one still pairs"
    );
    assert_eq!(parse(r#""\ude00\ud83d""#), Json::from("\u{FFFD}\u{FFFD}"));
}

#[test]
fn malformed_strings_are_refused() {
    assert_eq!(reason(r#""abc"#), "unterminated string");
    assert_eq!(reason(r#""a\"#), "invalid escape");
    assert_eq!(reason(r#""\x""#), "invalid escape");
    assert_eq!(reason(r#""\u12""#), "invalid \\u escape");
    assert_eq!(reason(r#""\u12g4""#), "invalid \\u escape");
    assert_eq!(reason(r#""\ud800\u12""#), "invalid \\u escape");
    assert_eq!(reason("\"tab\there\""), "control character in string");
    assert_eq!(reason("\"line\nbreak\""), "control character in string");
    assert_eq!(reason("'single'"), "expected a value");
}

// ------------------------------------------------------------------ numbers

#[test]
fn integers_are_exact_across_the_i64_and_u64_ranges() {
    assert_eq!(
        parse("9007199254740993").as_i64(),
        Some(9_007_199_254_740_993)
    );
    assert_eq!(parse("-9223372036854775808").as_i64(), Some(i64::MIN));
    assert_eq!(parse("9223372036854775807").as_i64(), Some(i64::MAX));
    assert_eq!(parse("9223372036854775808").as_i64(), None);
    assert_eq!(parse("18446744073709551615").as_u64(), Some(u64::MAX));
    assert_eq!(
        parse("18446744073709551615").to_string(),
        "18446744073709551615"
    );
    assert_eq!(parse("-1").as_u64(), None);
    assert_eq!(parse("-0").as_i64(), Some(0));
    // Beyond u64 (or below i64): a float, as in serde_json.
    let huge = parse("18446744073709551616");
    assert_eq!(huge.as_u64(), None);
    assert_eq!(huge.as_f64(), Some(18_446_744_073_709_551_616.0));
    assert_eq!(
        parse("-9223372036854775809").as_f64(),
        Some(-9_223_372_036_854_775_809.0)
    );
    assert_eq!(
        parse("123456789012345678901234567890").as_f64(),
        Some(1.2345678901234568e29)
    );
}

#[test]
fn numbers_are_values_not_spellings() {
    assert_eq!(parse("5.0"), parse("5"));
    assert_eq!(parse("5e0"), Json::from(5));
    assert_eq!(parse("0.5e1").as_u64(), Some(5));
    assert_eq!(parse("1E3").as_i64(), Some(1000));
    assert_eq!(parse("1.5").as_i64(), None);
    assert_eq!(Json::from(5.0), Json::from(5));
    assert_eq!(Json::from(-0.0), Json::from(0));
    assert_eq!(Json::from(1_700_000_000_123.0).to_string(), "1700000000123");
    assert_eq!(
        Json::from(9_007_199_254_740_992.0).to_string(),
        "9007199254740992"
    );
    assert_eq!(Json::from(-3.0).to_string(), "-3");
    assert_eq!(Json::from(f64::NAN), Json::Null);
    assert_eq!(Json::from(f64::INFINITY).to_string(), "null");
    assert_eq!(Json::from(f64::NEG_INFINITY), Json::Null);
}

#[test]
fn fractions_and_exponents_read_exactly() {
    for (text, x) in [
        ("0.1", 0.1),
        ("-2.5", -2.5),
        ("1e-7", 1e-7),
        ("1700000000.123456", 1_700_000_000.123_456),
        ("3.141592653589793", std::f64::consts::PI),
        ("1.7976931348623157e308", f64::MAX),
        ("5e-324", 5e-324),
        ("2.2250738585072014E-308", f64::MIN_POSITIVE),
        ("0.30000000000000004", 0.300_000_000_000_000_04),
        ("1e23", 1e23),
        ("0e999", 0.0),
        ("1e-400", 0.0),
    ] {
        assert_eq!(parse(text).as_f64(), Some(x), "{text}");
    }
    assert_eq!(reason("1e309"), "number out of range");
    assert_eq!(reason("-1e400"), "number out of range");
}

#[test]
fn exponents_are_exact_up_to_the_bound_and_refused_beyond_it() {
    // Fraction digits and a large exponent that cancel out: 10^(100001 - 99978) = 1e23. This
    // once read as 1e22 (the exponent was capped before the digits were counted against it).
    let zeros = |n| "0".repeat(n);
    let cancelling = format!("0.{}1e100001", zeros(99_977));
    assert_eq!(reason(&cancelling), "exponent out of range");
    for beyond in [
        "1e100000",
        "1e-100000",
        "0e100000",
        "-0.0e-100000",
        "1E+0000100000",
    ] {
        assert_eq!(reason(beyond), "exponent out of range", "{beyond}");
    }
    // Up to the bound, cancelling digits are counted exactly, on the fast path and off it.
    let exact = [
        (format!("0.{}1e99999", zeros(99_976)), 1e22),
        (format!("0.{}1e99999", zeros(99_977)), 1e21),
        (format!("-0.{}1e+99999", zeros(99_976)), -1e22),
        (
            format!("0.{}12345678901234567890e99999", zeros(99_975)),
            1.234_567_890_123_456_9e23,
        ),
        (format!("1{}e-99999", zeros(99_999)), 1.0),
        (
            format!("123456789012345678{}e-99999", zeros(99_990)),
            123_456_789.012_345_67,
        ),
        (
            "1e00000000000000000000000000000000000000000005".to_string(),
            1e5,
        ),
        ("1e-99999".to_string(), 0.0),
    ];
    for (text, x) in exact {
        assert_eq!(parse(&text).as_f64(), Some(x), "{}…", &text[..20]);
    }
    assert_eq!(reason("1e99999"), "number out of range");
}

#[test]
fn fractions_are_written_so_that_they_read_back_the_same() {
    for x in [
        0.5,
        -0.1,
        1e-7,
        1_700_000_005_123.5,
        1e300,
        5e-324,
        f64::MAX,
        1.0 / 3.0,
    ] {
        let text = Json::from(x).to_string();
        assert_eq!(parse(&text).as_f64(), Some(x), "{x} as {text}");
    }
}

#[test]
fn malformed_numbers_are_refused() {
    for bad in [
        "01",
        "-01",
        "-",
        "1.",
        ".5",
        "1e",
        "1e+",
        "+1",
        "0x10",
        "1.e3",
        "--1",
        "NaN",
        "Infinity",
        "-Infinity",
        "1_000",
    ] {
        assert!(Json::parse(bad).is_err(), "{bad}");
    }
}

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn decimal_numbers_read_as_the_standard_library_reads_them() {
    let mut rng = Rng(0x5EED);
    for _ in 0..20_000 {
        let int_digits = 1 + rng.below(20);
        let frac_digits = rng.below(20);
        let mut text = String::new();
        if rng.below(2) == 0 {
            text.push('-');
        }
        for i in 0..int_digits {
            let d = if i == 0 && int_digits > 1 {
                1 + rng.below(9)
            } else {
                rng.below(10)
            };
            text.push(char::from(b'0' + d as u8));
        }
        if frac_digits > 0 {
            text.push('.');
            for _ in 0..frac_digits {
                text.push(char::from(b'0' + rng.below(10) as u8));
            }
        }
        if rng.below(3) == 0 {
            text.push_str(&format!("e{}", rng.below(80) as i64 - 40));
        }
        let expected: f64 = text.parse().unwrap();
        assert_eq!(parse(&text).as_f64(), Some(expected), "{text}");
    }
}

// ------------------------------------------------------------------ structure and hostile input

#[test]
fn nesting_up_to_the_limit_is_read_and_deeper_is_refused() {
    let nested = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    assert!(Json::parse(&nested(MAX_DEPTH)).is_ok());
    assert_eq!(reason(&nested(MAX_DEPTH + 1)), "nesting is too deep");
    let objects = format!(
        "{}1{}",
        r#"{"a":"#.repeat(MAX_DEPTH + 1),
        "}".repeat(MAX_DEPTH + 1)
    );
    assert_eq!(reason(&objects), "nesting is too deep");
    // Far deeper than any stack could recurse: refused quickly, no overflow.
    assert_eq!(reason(&"[".repeat(1_000_000)), "nesting is too deep");
}

#[test]
fn errors_say_what_and_where() {
    assert_eq!(
        Json::parse("[1,]"),
        Err(JsonError {
            offset: 3,
            reason: "expected a value"
        })
    );
    assert_eq!(
        Json::parse(r#"{"a" 1}"#).unwrap_err().to_string(),
        "expected ':' at byte 5"
    );
    assert_eq!(reason(r#"{"a":1,}"#), "expected a string key");
    assert_eq!(reason(r#"{a:1}"#), "expected a string key");
    assert_eq!(reason("[1 2]"), "expected ',' or ']'");
    assert_eq!(reason(r#"{"a":1 "b":2}"#), "expected ',' or '}'");
    assert_eq!(reason("1 2"), "unexpected characters after the value");
    assert_eq!(
        reason("[] // comment"),
        "unexpected characters after the value"
    );
    assert_eq!(reason(""), "unexpected end of input");
    assert_eq!(reason("   "), "unexpected end of input");
    assert_eq!(
        reason("\u{a0}1"),
        "expected a value",
        "only JSON whitespace"
    );
    assert_eq!(reason("nul"), "expected a value");
    assert_eq!(reason("truth"), "expected a value");
    assert_eq!(reason("truex"), "unexpected characters after the value");
}

#[test]
fn every_truncation_of_a_document_is_refused_without_panicking() {
    let doc = r#"{"id": "m_1", "text": "h\u00e9llo 😀 \"q\"", "n": [-1.5e3, 0, 18446744073709551615], "ok": true, "none": null}"#;
    let whole = parse(doc);
    for (i, _) in doc.char_indices().skip(1) {
        assert!(Json::parse(&doc[..i]).is_err(), "{:?}", &doc[..i]);
    }
    assert_eq!(parse(&whole.to_string()), whole);
}

#[test]
fn random_input_never_panics_and_what_parses_round_trips() {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"",
        "\\",
        "\"a\"",
        "\"k\":",
        "1",
        "-",
        "0",
        ".",
        "e",
        "+",
        "9999999999999999999999",
        "true",
        "false",
        "null",
        " ",
        "\n",
        "\\u",
        "d800",
        "dc00",
        "é",
        "😀",
        "\u{0}",
        "\u{1f}",
        "x",
    ];
    let mut rng = Rng(42);
    let mut parsed = 0;
    for round in 0..30_000 {
        let text = if round % 4 == 0 {
            // Arbitrary bytes, made into a string the way a browser decodes a bad body.
            let bytes: Vec<u8> = (0..rng.below(40)).map(|_| rng.next() as u8).collect();
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            (0..rng.below(24))
                .map(|_| PIECES[rng.below(PIECES.len() as u64) as usize])
                .collect()
        };
        if let Ok(v) = Json::parse(&text) {
            parsed += 1;
            assert_eq!(parse(&v.to_string()), v, "{text:?}");
        }
    }
    assert!(
        parsed > 100,
        "the generator reaches valid documents too ({parsed})"
    );
}
