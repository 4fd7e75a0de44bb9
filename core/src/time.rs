//! RFC 3339 / ISO 8601 timestamps, to and from milliseconds since the epoch.
//!
//! Backends send times as strings like `2024-01-20T10:30:00.000Z`; the model keeps `f64` ms.
//! A date library would dwarf the few lines this needs in the wasm, so the civil-calendar
//! arithmetic (Howard Hinnant's `days_from_civil`) lives here, tested against known instants.

use crate::json::Json;

/// The earlier of two optional deadlines (ms), as `[a, b].into_iter().flatten().reduce(f64::min)`
/// would say, without linking that iterator for each deadline computed.
pub fn earliest(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

const MS_PER_DAY: i64 = 86_400_000;

/// The earliest time read from a backend or storage: 1970-01-01T00:00:00.000Z.
pub const MIN_MS: f64 = 0.0;

/// The latest time read: 9999-12-31T23:59:59.999Z. Far inside JavaScript's `Date` range
/// (±8.64e15 ms), so every time that is read can be formatted and compared without surprises.
pub const MAX_MS: f64 = 253_402_300_799_999.0;

/// `Some(ms)` when `ms` lies in [`MIN_MS`]..=[`MAX_MS`]; `None` otherwise, NaN and infinities
/// included. For checking a time that did not come through [`from_json`], e.g. a stored one.
pub fn checked_ms(ms: f64) -> Option<f64> {
    (MIN_MS..=MAX_MS).contains(&ms).then_some(ms)
}

/// Parses an RFC 3339 time, `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, into ms since the
/// epoch. `None` for anything else, and for a time outside [`MIN_MS`]..=[`MAX_MS`].
///
/// Lenient, on purpose, where backends differ in practice (`tests/time_differential.rs` holds
/// it to chrono's strict parser plus exactly these):
/// - `t` or a space for `T`, `z` for `Z` (RFC 3339 allows both);
/// - no offset at all, read as UTC (what Django and Node servers mean when they leave it out);
/// - ISO 8601's other offsets, `±HHMM` and `±HH`;
/// - ISO 8601's `,` as the decimal separator;
/// - any number of fraction digits, cut (not rounded) to milliseconds;
/// - ASCII whitespace around the time (other whitespace, such as U+00A0, is refused);
/// - a leap second, `:60` in any minute, reads as the last millisecond of that minute (`:59.999`)
///   whatever its fraction: after every other time in the minute, before the next minute.
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let b = s.trim_ascii().as_bytes();
    if b.len() < 19 {
        return None;
    }
    let year = digits(b, 0, 4)? as i64;
    let month = digits(b, 5, 2)?;
    let day = digits(b, 8, 2)?;
    let hour = digits(b, 11, 2)?;
    let minute = digits(b, 14, 2)?;
    let second = digits(b, 17, 2)?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut i = 19;
    let mut millis = 0u32;
    if b.get(i) == Some(&b'.') || b.get(i) == Some(&b',') {
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if i - start < 3 {
                millis = millis * 10 + u32::from(b[i] - b'0');
            }
            i += 1;
        }
        let n = i - start;
        if n == 0 {
            return None;
        }
        for _ in n..3 {
            millis *= 10;
        }
    }
    let offset_minutes: i64 = match b.get(i) {
        None => 0,
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) => {
            let rest = &b[i + 1..];
            let (h, m) = match rest.len() {
                5 if rest[2] == b':' => (digits(rest, 0, 2)?, digits(rest, 3, 2)?),
                4 => (digits(rest, 0, 2)?, digits(rest, 2, 2)?),
                2 => (digits(rest, 0, 2)?, 0),
                _ => return None,
            };
            if h > 23 || m > 59 {
                return None;
            }
            let total = i64::from(h * 60 + m);
            if sign == b'+' {
                total
            } else {
                -total
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    // A leap second is the last millisecond of its minute (see above).
    let (second, millis) = if second == 60 {
        (59, 999)
    } else {
        (second, millis)
    };
    let ms = days * MS_PER_DAY
        + i64::from(hour) * 3_600_000
        + i64::from(minute) * 60_000
        + i64::from(second) * 1_000
        + i64::from(millis)
        - offset_minutes * 60_000;
    checked_ms(ms as f64)
}

/// Formats ms since the epoch as `YYYY-MM-DDTHH:MM:SS.mmmZ` (what Gleap sends and expects).
pub fn format_rfc3339(ms: f64) -> String {
    let ms = if ms.is_finite() { ms.floor() as i64 } else { 0 };
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1_000 % 60,
        rem % 1_000
    )
}

/// A timestamp as backends put it in JSON: an RFC 3339 string (see [`parse_rfc3339`]), or a
/// number (ms since the epoch, or seconds when it is too small to be ms: before 1973 in ms is
/// after 5138 in seconds).
///
/// `Ok(None)` for null; `Err` for any other type, an unreadable string, and a time outside
/// [`MIN_MS`]..=[`MAX_MS`] (such as `1e20`, which no `Date` can hold).
pub fn from_json(v: &Json) -> Result<Option<f64>, String> {
    let ms = match v {
        Json::Null => return Ok(None),
        Json::String(s) => parse_rfc3339(s),
        Json::Number(n) => match n.as_f64() {
            x if (0.0..100_000_000_000.0).contains(&x) => checked_ms(x * 1_000.0),
            x => checked_ms(x),
        },
        _ => None,
    };
    ms.map(Some)
        .ok_or_else(|| format!("{v} is not a time from 1970 to 9999"))
}

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let slice = b.get(at..at + n)?;
    slice.iter().try_fold(0u32, |acc, c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number from [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_epoch_and_known_instants() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        // `date -u -d 2024-01-20T10:30:00Z +%s` = 1705746600
        assert_eq!(
            parse_rfc3339("2024-01-20T10:30:00.000Z"),
            Some(1_705_746_600_000.0)
        );
        // 2026-02-26T10:00:00Z = 1772100000
        assert_eq!(
            parse_rfc3339("2026-02-26T10:00:00Z"),
            Some(1_772_100_000_000.0)
        );
        assert_eq!(
            parse_rfc3339("2000-02-29T23:59:59.999Z"),
            Some(951_868_799_999.0)
        );
    }

    #[test]
    fn applies_offsets_and_fractions() {
        let utc = parse_rfc3339("2024-01-20T10:30:00Z").unwrap();
        assert_eq!(parse_rfc3339("2024-01-20T12:30:00+02:00"), Some(utc));
        assert_eq!(parse_rfc3339("2024-01-20T05:00:00-0530"), Some(utc));
        assert_eq!(parse_rfc3339("2024-01-20T10:30:00.5Z"), Some(utc + 500.0));
        assert_eq!(
            parse_rfc3339("2024-01-20T10:30:00.123456Z"),
            Some(utc + 123.0)
        );
        assert_eq!(parse_rfc3339("2024-01-20 10:30:00z"), Some(utc));
        assert_eq!(
            parse_rfc3339("2024-01-20T10:30:00"),
            Some(utc),
            "no offset = UTC"
        );
    }

    #[test]
    fn rejects_what_is_not_a_time() {
        for bad in [
            "",
            "yesterday",
            "2024-01-20",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-20T24:00:00Z",
            "2024-01-20T10:30:00.Z",
            "2024-01-20T10:30:00Q",
            "2024-01-20T10:30:00Zjunk",
            "2024-01-20T10:30:00+2",
            "2024/01/20T10:30:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn formats_and_round_trips() {
        assert_eq!(format_rfc3339(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(1_705_746_600_000.0),
            "2024-01-20T10:30:00.000Z"
        );
        assert_eq!(format_rfc3339(-1.0), "1969-12-31T23:59:59.999Z");
        for ms in [951_868_799_999.0, 1_772_100_000_123.0, 4_102_444_800_000.0] {
            assert_eq!(parse_rfc3339(&format_rfc3339(ms)), Some(ms));
        }
    }

    #[test]
    fn reads_json_strings_numbers_and_null() {
        assert_eq!(from_json(&Json::Null), Ok(None));
        assert_eq!(
            from_json(&Json::from("1970-01-01T00:00:01Z")),
            Ok(Some(1_000.0))
        );
        assert_eq!(
            from_json(&Json::from(1_705_746_600_000u64)),
            Ok(Some(1_705_746_600_000.0))
        );
        assert_eq!(
            from_json(&Json::from(1_705_746_600u64)),
            Ok(Some(1_705_746_600_000.0))
        );
        assert!(from_json(&Json::from("soon")).is_err());
        assert!(from_json(&Json::from(true)).is_err());
        assert!(from_json(&Json::from(-5)).is_err());
    }
}
