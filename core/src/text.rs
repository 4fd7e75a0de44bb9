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
