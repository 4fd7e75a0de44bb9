//! `time::parse_rfc3339` against chrono's RFC 3339 parser on generated and hand-written times:
//! both must accept and refuse the same texts and read the same instant, once the text is
//! rewritten by the leniencies `parse_rfc3339` documents ([`expected`] applies each, one line
//! apiece) and the result is held to the documented range. Also the bounds of `from_json` and
//! `checked_ms`, and `format_rfc3339` against chrono's formatting.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use chrono::{DateTime, SecondsFormat};
use common::Rng;
use helpwire_core::json::Json;
use helpwire_core::time::{checked_ms, format_rfc3339, from_json, parse_rfc3339, MAX_MS, MIN_MS};

/// What `parse_rfc3339` must read `text` as: chrono's reading of it after the documented
/// leniencies, each undone by one rewrite into strict RFC 3339, and within the bounds.
fn expected(text: &str) -> Option<f64> {
    // chrono's own leniency, not ours: U+2212 MINUS SIGN as the offset's sign.
    if text.contains('\u{2212}') {
        return None;
    }
    // Surrounding ASCII whitespace.
    let mut s = text.trim_ascii().to_string();
    // `,` as the decimal separator.
    if s.get(19..20) == Some(",") {
        s.replace_range(19..20, ".");
    }
    let fraction_digits = match s.get(19..20) {
        Some(".") => s[20..].bytes().take_while(u8::is_ascii_digit).count(),
        _ => 0,
    };
    let mut fraction_end = match s.get(19..20) {
        Some(".") => 20 + fraction_digits,
        _ => 19,
    };
    // A leap second reads as :59.999 of its minute, whatever its fraction (chrono instead
    // carries it into the next minute). A point with no digits, or digits with no point, stay
    // for chrono to refuse.
    let no_fraction = fraction_end == 19 && !s.as_bytes().get(19).is_some_and(u8::is_ascii_digit);
    if s.get(17..19) == Some("60") && (no_fraction || fraction_digits > 0) {
        s.replace_range(17..fraction_end, "59.999");
        fraction_end = 23;
    }
    // No offset: UTC. `±HH` and `±HHMM`: ISO 8601's short offsets.
    let offset = s.get(fraction_end..)?;
    let b = offset.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let strict = match b.len() {
        0 if s.len() >= 19 => Some("Z".to_string()),
        3 if matches!(b[0], b'+' | b'-') && digits(1..3) => Some(format!("{offset}:00")),
        5 if matches!(b[0], b'+' | b'-') && digits(1..5) => {
            Some(format!("{}:{}", &offset[..3], &offset[3..]))
        }
        _ => None,
    };
    if let Some(strict) = strict {
        s.replace_range(fraction_end.., &strict);
    }
    // Fraction digits beyond milliseconds are cut: chrono's `timestamp_millis` cuts too.
    DateTime::parse_from_rfc3339(&s)
        .ok()
        .map(|t| t.timestamp_millis() as f64)
        .filter(|ms| (MIN_MS..=MAX_MS).contains(ms))
}

fn two(rng: &mut Rng, valid: u64, beyond: u64) -> String {
    let n = if rng.chance(8) {
        rng.below(beyond)
    } else {
        rng.below(valid)
    };
    format!("{n:02}")
}

/// A time the way backends (and broken ones) write them: mostly valid, often near an edge.
fn time_text(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.chance(20) {
        s.push_str(rng.pick(&[" ", "\t", "\r\n ", "\u{a0}", "\u{3000}", "\u{feff}"]));
    }
    let year = match rng.below(8) {
        0 => rng.below(10_000),
        1 => [0, 1969, 1970, 2000, 2016, 9999][rng.below(6) as usize],
        _ => 1965 + rng.below(80),
    };
    s.push_str(&match rng.below(60) {
        0 => format!("{year:03}"),
        1 => format!("{year:05}"),
        _ => format!("{year:04}"),
    });
    s.push(if rng.chance(100) { '/' } else { '-' });
    s.push_str(&two(rng, 13, 14));
    s.push('-');
    let day = if rng.chance(3) {
        format!("{}", 28 + rng.below(4))
    } else {
        two(rng, 32, 33)
    };
    s.push_str(&day);
    s.push_str(match rng.below(40) {
        0 => "t",
        1 => " ",
        2 => "_",
        3 => "",
        _ => "T",
    });
    s.push_str(&two(rng, 24, 26));
    s.push(':');
    s.push_str(&two(rng, 60, 62));
    s.push(':');
    s.push_str(&match rng.below(10) {
        0 => "59".to_string(),
        1 => "60".to_string(),
        _ => two(rng, 60, 62),
    });
    if rng.chance(2) {
        s.push(if rng.chance(6) { ',' } else { '.' });
        for _ in 0..rng.below(13) {
            s.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    let sign = rng.pick(&["+", "-", "+", "-", "\u{2212}"]);
    let offset = match rng.below(12) {
        0 => String::new(),
        1 => "z".to_string(),
        2 | 3 => format!("{sign}{}:{}", two(rng, 24, 26), two(rng, 60, 62)),
        4 => format!("{sign}{}{}", two(rng, 24, 26), two(rng, 60, 62)),
        5 => format!("{sign}{}", two(rng, 24, 26)),
        6 => rng
            .pick(&[
                "+1", "+1:00", "+01:0", "+01:", "+0100:", "UTC", " Z", "Zjunk", "ZZ", "+24:00",
                "-00:00", "+23:59", "+2359", "+23",
            ])
            .to_string(),
        _ => "Z".to_string(),
    };
    s.push_str(&offset);
    if rng.chance(20) {
        s.push_str(rng.pick(&[" ", "\n", "\u{a0}"]));
    }
    if rng.chance(10) {
        // One stray edit at a character boundary.
        let bounds: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
        let at = bounds[rng.below(bounds.len() as u64) as usize];
        let len = s[at..].chars().next().map_or(0, char::len_utf8);
        let piece = rng.pick(&["", "0", "9", ":", "-", ".", "T", "Z", "é"]);
        s.replace_range(at..at + len, piece);
    }
    s
}

#[test]
fn generated_times_read_as_chrono_reads_them_within_the_documented_leniencies() {
    let mut rng = Rng(0x7135_3339);
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..200_000 {
        let text = time_text(&mut rng);
        let ours = parse_rfc3339(&text);
        assert_eq!(ours, expected(&text), "{text:?}");
        if ours.is_some() {
            accepted += 1;
        } else {
            refused += 1;
        }
    }
    assert!(
        accepted > 50_000 && refused > 50_000,
        "{accepted} accepted, {refused} refused"
    );
}

#[test]
fn edge_cases_read_as_chrono_reads_them_within_the_documented_leniencies() {
    for text in [
        "1970-01-01T00:00:00Z",
        "1970-01-01T00:00:00.000+00:00",
        "1969-12-31T23:59:59.999Z",
        "1970-01-01T00:59:59.999+01:00",
        "1970-01-01T00:00:00-00:01",
        "9999-12-31T23:59:59.999Z",
        "9999-12-31T23:59:60Z",
        "9999-12-31T23:59:59.999999999Z",
        "9999-12-31T23:59:59.999-00:01",
        "9999-12-31T23:59:59.999+23:59",
        "0000-01-01T00:00:00Z",
        "10000-01-01T00:00:00Z",
        "2024-02-29T12:00:00Z",
        "2023-02-29T12:00:00Z",
        "2100-02-29T12:00:00Z",
        "2000-02-29T12:00:00Z",
        "2024-04-31T12:00:00Z",
        "2024-01-20T10:30:00,5Z",
        "2024-01-20T10:30:00.Z",
        "2024-01-20T10:30:00,Z",
        "2024-01-20T10:30:60.Z",
        "2024-01-20T10:30:00.123456789123Z",
        "2024-01-20t10:30:00z",
        "2024-01-20 10:30:00Z",
        "2024-01-20T10:30:00",
        "2024-01-20T10:30:00+05",
        "2024-01-20T10:30:00+0530",
        "2024-01-20T10:30:00+05:30",
        "2024-01-20T10:30:00+5:30",
        "2024-01-20T10:30:00+24:00",
        "2024-01-20T10:30:00+23:60",
        "2024-01-20T10:30:00\u{2212}05:00",
        "2024-01-20T10:30:00 +05:00",
        "2024-01-20T10:30:00UTC",
        "2024-01-20T24:00:00Z",
        "2024-01-20T23:60:00Z",
        "2024-01-20T23:59:61Z",
        " 2024-01-20T10:30:00Z\n",
        "\u{a0}2024-01-20T10:30:00Z",
        "2024-01-20T10:30:00Z\u{3000}",
        "2024-01-20T10:30:00Zjunk",
        "2024-01-20",
        "",
        "２０２４-01-20T10:30:00Z",
    ] {
        assert_eq!(parse_rfc3339(text), expected(text), "{text:?}");
    }
}

#[test]
fn the_bounds_are_1970_to_9999_and_chrono_agrees() {
    let at = |s: &str| DateTime::parse_from_rfc3339(s).map(|t| t.timestamp_millis() as f64);
    assert_eq!(at("1970-01-01T00:00:00Z"), Ok(MIN_MS));
    assert_eq!(at("9999-12-31T23:59:59.999Z"), Ok(MAX_MS));
    // Safely inside what JavaScript's Date holds.
    const { assert!(MAX_MS < 8.64e15 && MIN_MS > -8.64e15) };
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(MIN_MS));
    assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999Z"), Some(MAX_MS));
    assert_eq!(parse_rfc3339("1969-12-31T23:59:59.999Z"), None);
    assert_eq!(parse_rfc3339("9999-12-31T23:59:59.999-00:01"), None);
}

#[test]
fn a_leap_second_comes_after_the_rest_of_its_minute_and_before_the_next() {
    let t = |s: &str| parse_rfc3339(s).unwrap_or(f64::NAN);
    let leap = t("2016-12-31T23:59:60.500Z");
    assert!(t("2016-12-31T23:59:59.900Z") < leap, "after :59.900");
    assert!(
        leap < t("2017-01-01T00:00:00.000Z"),
        "before the next minute"
    );
    assert_eq!(leap, t("2016-12-31T23:59:59.999Z"));
    assert_eq!(t("2016-12-31T23:59:60Z"), leap);
}

#[test]
fn only_ascii_whitespace_around_a_time_is_ignored() {
    let utc = parse_rfc3339("2024-01-20T10:30:00Z");
    assert!(utc.is_some());
    assert_eq!(parse_rfc3339(" \t2024-01-20T10:30:00Z\r\n"), utc);
    for padded in [
        "\u{a0}2024-01-20T10:30:00Z",
        "2024-01-20T10:30:00Z\u{2003}",
        "\u{feff}2024-01-20T10:30:00Z",
    ] {
        assert_eq!(parse_rfc3339(padded), None, "{padded:?}");
    }
}

#[test]
fn json_times_outside_the_bounds_are_refused() {
    let read = |text: &str| from_json(&Json::parse(text).unwrap_or_default());
    // The hostile message of the issue: "created_at": 1e20 once came through as a time.
    assert!(read("1e20").is_err());
    assert!(read("1e300").is_err());
    assert!(read("18446744073709551615").is_err());
    assert!(read("-1").is_err());
    assert!(read("\"0001-01-01T00:00:00Z\"").is_err());
    assert!(read("\"9999-12-31T23:59:59.999-01:00\"").is_err());
    assert_eq!(read("253402300799999"), Ok(Some(MAX_MS)));
    assert!(read("253402300800000").is_err());
    assert_eq!(read("0"), Ok(Some(MIN_MS)));
    // Seconds (below 1e11) are scaled to ms first; the largest stays inside.
    assert_eq!(read("99999999999"), Ok(Some(99_999_999_999_000.0)));
    assert_eq!(read("1705746600.5"), Ok(Some(1_705_746_600_500.0)));
    assert_eq!(read("null"), Ok(None));
    assert!(read("true").is_err());
    let e = read("1e20").unwrap_err();
    assert!(e.contains("1970") && e.contains("9999"), "{e}");
}

#[test]
fn checked_ms_passes_only_finite_times_in_range() {
    for ok in [MIN_MS, 1_705_746_600_000.0, MAX_MS, 0.5] {
        assert_eq!(checked_ms(ok), Some(ok));
    }
    for bad in [
        -1.0,
        MAX_MS + 1.0,
        1e20,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -8.64e15,
    ] {
        assert_eq!(checked_ms(bad), None, "{bad}");
    }
}

#[test]
fn formatting_matches_chrono_and_reads_back() {
    let mut rng = Rng(0xF0F0_1234);
    for _ in 0..20_000 {
        let ms = rng.below(MAX_MS as u64 + 1) as f64;
        let ours = format_rfc3339(ms);
        let theirs = DateTime::from_timestamp_millis(ms as i64)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true));
        assert_eq!(Some(ours.clone()), theirs, "{ms}");
        assert_eq!(parse_rfc3339(&ours), Some(ms), "{ours}");
    }
}
