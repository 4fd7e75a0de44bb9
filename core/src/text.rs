//! Quoting a backend's text in a console message: one length and one way to mark the cut, so
//! every raw body, payload or value a warning quotes reads the same.

/// How many characters of a raw body or payload a console message quotes.
pub const QUOTE_CHARS: usize = 300;

/// `s`, cut after `max` characters (not bytes: a cut never splits a character) and then ending
/// in `…`; unchanged when it is not longer.
pub fn ellipsize(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// A raw body or payload for the console, cut to [`QUOTE_CHARS`].
pub fn quote(s: &str) -> String {
    ellipsize(s, QUOTE_CHARS)
}

// Byte-wise searches for the URL and packet splitting on the bundles' paths. `str::find`,
// `split_once`, `split` and `trim_*_matches` with a string, a char or a set of chars each link
// core's generic searchers for their pattern type; these need none of that. Each match is of an
// ASCII byte or of a whole UTF-8 string, so every index they return is a character boundary.

/// Where `needle` (not empty) first occurs in `s`.
pub fn find(s: &str, needle: &str) -> Option<usize> {
    s.as_bytes()
        .windows(needle.len())
        .position(|w| w == needle.as_bytes())
}

/// `s` with every `from` (not empty) replaced by `to`, left to right.
pub fn replace(s: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = find(rest, from) {
        out.push_str(&rest[..i]);
        out.push_str(to);
        rest = &rest[i + from.len()..];
    }
    out.push_str(rest);
    out
}

/// Where the first byte of `s` that is one of `bytes` (ASCII) is.
pub fn find_any(s: &str, bytes: &[u8]) -> Option<usize> {
    s.bytes().position(|b| bytes.contains(&b))
}

/// `s` split around the first `needle` (not empty), without it.
pub fn split_once<'a>(s: &'a str, needle: &str) -> Option<(&'a str, &'a str)> {
    let i = find(s, needle)?;
    Some((&s[..i], &s[i + needle.len()..]))
}

/// `s` up to the first of `bytes` (ASCII), or all of it.
pub fn before_any<'a>(s: &'a str, bytes: &[u8]) -> &'a str {
    &s[..find_any(s, bytes).unwrap_or(s.len())]
}

/// `s` after the last `byte` (ASCII), or all of it.
pub fn after_last(s: &str, byte: u8) -> &str {
    &s[s.bytes().rposition(|b| b == byte).map_or(0, |i| i + 1)..]
}

/// `s` as a decimal `u64`, read as `str::parse::<u64>` does (an optional `+`, then digits, no
/// overflow), without linking std's integer parser for each type.
pub fn parse_u64(s: &str) -> Option<u64> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() {
        return None;
    }
    digits.bytes().try_fold(0u64, |n, b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

/// `s` without the `/`s it ends with.
pub fn trim_end_slashes(s: &str) -> &str {
    let kept = s.bytes().rposition(|b| b != b'/').map_or(0, |i| i + 1);
    &s[..kept]
}

/// `s` without the `/`s it starts or ends with.
pub fn trim_slashes(s: &str) -> &str {
    let s = trim_end_slashes(s);
    &s[s.bytes().position(|b| b != b'/').unwrap_or(s.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_agrees_with_str_parse() {
        let cases = [
            "",
            "+",
            "-",
            "0",
            "+0",
            "-0",
            "007",
            "42",
            " 42",
            "42 ",
            "4_2",
            "1e3",
            "++1",
            "١",
            "18446744073709551615",
            "18446744073709551616",
            "+18446744073709551615",
            "99999999999999999999999",
        ];
        for s in cases {
            assert_eq!(parse_u64(s), s.parse::<u64>().ok(), "{s:?}");
        }
        for n in [0u64, 1, 9, 10, 255, 65_535, u64::MAX / 10, u64::MAX - 1] {
            assert_eq!(parse_u64(&n.to_string()), Some(n));
        }
    }

    #[test]
    fn byte_searches_agree_with_str_methods() {
        let cases = [
            "",
            "/",
            "//",
            "a",
            "https://x.example/p/",
            "ws://h:1/a?b#c",
            "é://ü/",
            "://",
            "a:/b",
            "/a/b//",
            "x,y",
            "ü,é,",
        ];
        for s in cases {
            assert_eq!(find(s, "://"), s.find("://"), "{s:?}");
            assert_eq!(split_once(s, "://"), s.split_once("://"), "{s:?}");
            assert_eq!(split_once(s, "é"), s.split_once("é"), "{s:?}");
            assert_eq!(find_any(s, b"?#"), s.find(['?', '#']), "{s:?}");
            assert_eq!(find_any(s, b","), s.find(','), "{s:?}");
            assert_eq!(
                before_any(s, b"/:"),
                s.split(['/', ':']).next().unwrap(),
                "{s:?}"
            );
            assert_eq!(after_last(s, b'/'), s.rsplit('/').next().unwrap(), "{s:?}");
            assert_eq!(trim_end_slashes(s), s.trim_end_matches('/'), "{s:?}");
            assert_eq!(trim_slashes(s), s.trim_matches('/'), "{s:?}");
            for (from, to) in [
                ("/", "-"),
                ("//", "/"),
                ("é", "e"),
                ("a", "aa"),
                ("{n}", ""),
            ] {
                assert_eq!(replace(s, from, to), s.replace(from, to), "{s:?} {from:?}");
            }
        }
        for s in [
            "{n} / {max}",
            "{n}{n}",
            "{{n}}",
            "{max} {n}",
            "{n",
            "x_y_",
            "__",
        ] {
            for (from, to) in [("{n}", "3"), ("{max}", "1,000"), ("_", "-"), ("{n}", "{n}")] {
                assert_eq!(replace(s, from, to), s.replace(from, to), "{s:?} {from:?}");
            }
        }
    }
}
