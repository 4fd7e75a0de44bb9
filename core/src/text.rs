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
        }
    }
}
