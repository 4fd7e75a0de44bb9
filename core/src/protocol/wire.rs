//! Small helpers the network providers share: base URLs, percent-encoding, reading message
//! lists (with [`Fields`], typed JSON fields), and the warnings about secret keys.
//!
//! Every reader returns `Err(reason)` for a wrongly typed field instead of guessing or panicking;
//! the provider turns the reason into [`ProviderError::Malformed`] with the raw body attached.

use super::{HttpResponse, ProviderError};
use crate::json::Json;
use crate::model::{Attachment, Message};
use crate::text::{self, quote};

pub use crate::fields::{Fields, UNKNOWN_TIME};

/// `raw` trimmed, without trailing slashes and without any of `suffixes` (a documented path
/// prefix the site may or may not have included, e.g. `/api/v1`), so paths can be appended.
pub fn base_url(raw: &str, suffixes: &[&str]) -> String {
    let mut base = text::trim_end_slashes(raw.trim()).to_string();
    for suffix in suffixes {
        if base.len() > suffix.len() && base.to_ascii_lowercase().ends_with(suffix) {
            base.truncate(base.len() - suffix.len());
            base = text::trim_end_slashes(&base).to_string();
        }
    }
    base
}

/// Percent-encodes everything but RFC 3986 unreserved characters (for path segments and query values).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            // By hand: `{:02X}` links the formatter's hexadecimal printing.
            let hex = |nibble: u8| char::from(b"0123456789ABCDEF"[usize::from(nibble)]);
            out.push('%');
            out.push(hex(b >> 4));
            out.push(hex(b & 15));
        }
    }
    out
}

/// The lowercase host of an http(s) URL, without userinfo or port.
pub fn host(url: &str) -> Option<String> {
    let rest = text::split_once(url.trim(), "://")?.1;
    let authority = text::before_any(rest, b"/?#");
    let host = &authority[authority
        .bytes()
        .rposition(|b| b == b'@')
        .map_or(0, |i| i + 1)..];
    let host = text::before_any(host, b":");
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// Whether `url`'s host is `domain` or one of its subdomains.
pub fn is_host_of(url: &str, domain: &str) -> bool {
    host(url).is_some_and(|h| h == domain || h.ends_with(&format!(".{domain}")))
}

/// A 2xx answer that is not what the backend documents; keeps the raw body.
pub fn malformed(resp: &HttpResponse, reason: impl Into<String>) -> ProviderError {
    ProviderError::Malformed {
        reason: reason.into(),
        body: quote(&resp.body),
    }
}

/// Parses a response as JSON (mapping error statuses), then reads it with `read`.
pub fn parse<T>(
    resp: &HttpResponse,
    read: impl FnOnce(&Json) -> Result<T, String>,
) -> Result<T, ProviderError> {
    let value = resp.json()?;
    read(&value).map_err(|reason| malformed(resp, reason))
}

/// Whether `ms` is a time the widget shows and compares: the range times are parsed in
/// ([`crate::time::checked_ms`], 1970 to the year 9999). Anything else (NaN, infinities, 1e20 ms,
/// negative) is replaced, never rendered: the browser's `Date` throws beyond ±8.64e15 ms.
pub fn is_usable_time(ms: f64) -> bool {
    crate::time::checked_ms(ms).is_some()
}

/// Every how many reads of a conversation a polled backend that tells of a close only on the
/// conversation itself (Bancroft's `status`, Gleap's ticket `status`) asks for that instead.
pub const STATUS_EVERY: u64 = 4;

/// How many reads of the conversation `cursor` has counted (its `reads`), and whether this one
/// is the read of its status.
pub fn status_turn(cursor: &super::Cursor) -> (u64, bool) {
    let reads = cursor.0.get("reads").and_then(Json::as_u64).unwrap_or(0);
    (reads, reads % STATUS_EVERY == STATUS_EVERY - 1)
}

/// The cursor after a read: where the messages go on (`key`: `at`) and the reads counted,
/// this one included.
pub fn next_read(key: &'static str, at: u64, reads: u64) -> super::Cursor {
    super::Cursor(Json::object([
        (key, Json::from(at)),
        ("reads", Json::from(reads.wrapping_add(1))),
    ]))
}

/// The page of a status read, `closed` telling from the conversation's object whether support
/// closed it. Nothing to show; while it is open, its messages are read at once after it (`more`),
/// so they are read as often as before. A status that cannot be had (an error answer, a body
/// that does not read) is a warning, never a stop: the messages are read on all the same.
pub fn status_page(
    resp: &HttpResponse,
    next: super::Cursor,
    closed: impl FnOnce(&Fields) -> bool,
) -> super::Page {
    let mut warnings = Vec::new();
    let closed = match parse(resp, |v| Ok(closed(&Fields::of(v, "the conversation")?))) {
        Ok(closed) => closed,
        Err(e) => {
            warnings.push(format!("the conversation's status is unknown: {e}"));
            false
        }
    };
    super::Page {
        closed,
        messages: Vec::new(),
        next,
        more: !closed,
        warnings,
        presence: Default::default(),
    }
}

/// Reads a backend's message list one item at a time: an item `read` fails on is skipped, and
/// what was skipped or read with a fallback (the notes `read` leaves) becomes one console
/// warning per item. One unreadable message thus never hides the ones after it.
pub fn read_messages<'a>(
    items: impl IntoIterator<Item = &'a Json>,
    mut read: impl FnMut(&'a Json, &mut Vec<String>) -> Result<Option<Message>, String>,
) -> (Vec<Message>, Vec<String>) {
    let mut messages = Vec::new();
    let mut warnings = Vec::new();
    for item in items {
        let mut notes = Vec::new();
        match read(item, &mut notes) {
            Ok(Some(m)) => {
                // Only the time has a fallback: at most one note, so one warning per item.
                for note in &notes {
                    warnings.push(format!("message {} is shown with a fallback: {note}", m.id));
                }
                messages.push(m);
            }
            // Not for the visitor's eyes (a note, their own message): nothing to tell.
            Ok(None) => {}
            Err(reason) => warnings.push(format!("skipped a message it cannot read: {reason}")),
        }
    }
    (messages, warnings)
}

/// A JSON value for a console message, cut like every quoted body ([`quote`]).
pub fn snippet(v: &Json) -> String {
    quote(&v.to_string())
}

/// Reads `[{name, url, <mime_key>}]`; a missing name falls back to the last path segment of the URL.
pub fn attachments(items: &[Json], mime_key: &str) -> Result<Vec<Attachment>, String> {
    // A loop, not `collect::<Result<_, _>>()`, whose adapter compiled to more code.
    let mut attachments = Vec::new();
    for item in items {
        let f = Fields::of(item, "an attachment")?;
        let url = f.str("url")?;
        let name = match f.opt_str("name")? {
            Some(n) if !n.is_empty() => n.to_string(),
            _ => Some(text::after_last(text::before_any(url, b"?#"), b'/'))
                .filter(|s| !s.is_empty())
                .unwrap_or("attachment")
                .to_string(),
        };
        attachments.push(Attachment {
            name,
            url: url.to_string(),
            mime: f.opt_str(mime_key)?.map(str::to_string),
        });
    }
    Ok(attachments)
}

/// `text` on one line and at most `max` characters, ending in `…` when it was cut.
pub fn cut(text: &str, max: usize) -> String {
    // One pass, by characters: each run of whitespace becomes one space, none at either end.
    let mut flat = String::with_capacity(text.len());
    let mut chars = 0;
    let mut space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            space = !flat.is_empty();
            continue;
        }
        if space {
            flat.push(' ');
            chars += 1;
            space = false;
        }
        flat.push(c);
        chars += 1;
    }
    if chars <= max {
        return flat;
    }
    if let Some((end, _)) = flat.char_indices().nth(max.saturating_sub(1)) {
        flat.truncate(end);
    }
    // A single space, one byte, at most.
    if flat.ends_with(' ') {
        flat.truncate(flat.len() - 1);
    }
    flat.push('…');
    flat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_lose_trailing_slashes_and_documented_prefixes() {
        assert_eq!(base_url(" https://a.example/ ", &[]), "https://a.example");
        assert_eq!(
            base_url("https://a.example/api/v1/", &["/api/v1"]),
            "https://a.example"
        );
        assert_eq!(
            base_url("https://a.example/proxy/API/V1", &["/api/v1"]),
            "https://a.example/proxy"
        );
        assert_eq!(
            base_url("https://api.gleap.io/v3", &["/v3"]),
            "https://api.gleap.io"
        );
        assert_eq!(
            base_url("https://a.example/v30", &["/v3"]),
            "https://a.example/v30"
        );
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("a-b_c.d~1"), "a-b_c.d~1");
        assert_eq!(encode("a b/c?d&e=f"), "a%20b%2Fc%3Fd%26e%3Df");
        assert_eq!(encode("jo+x@ex.com"), "jo%2Bx%40ex.com");
        assert_eq!(encode("é"), "%C3%A9");
    }

    #[test]
    fn hosts() {
        assert_eq!(
            host("https://API.Gleap.io/v3").as_deref(),
            Some("api.gleap.io")
        );
        assert_eq!(
            host("http://u:p@h.example:8080/x").as_deref(),
            Some("h.example")
        );
        assert_eq!(host("nonsense"), None);
        assert!(is_host_of("https://api.gurusup.com", "gurusup.com"));
        assert!(is_host_of("https://gurusup.com/", "gurusup.com"));
        assert!(!is_host_of("https://notgurusup.com", "gurusup.com"));
    }

    #[test]
    fn fields_report_wrong_types() {
        let v = Json::parse(r#"{"s": "x", "n": 5, "b": true, "nul": null, "o": {}, "a": [1]}"#)
            .unwrap();
        let f = Fields::of(&v, "a thing").unwrap();
        assert_eq!(f.opt_str("s"), Ok(Some("x")));
        assert_eq!(f.opt_str("nul"), Ok(None));
        assert!(f
            .opt_str("n")
            .unwrap_err()
            .contains("`n` of a thing is a number"));
        assert_eq!(f.id(&["missing", "n"]), Ok("5".into()));
        assert!(f.id(&["b"]).is_err());
        assert!(f.id(&["zzz"]).unwrap_err().contains("has no `zzz`"));
        assert_eq!(f.array("nul").unwrap().len(), 0);
        assert!(f.array("o").is_err());
        assert!(Fields::of(&Json::Array(Vec::new()), "x").is_err());
    }

    #[test]
    fn cut_keeps_short_text_and_marks_cuts() {
        assert_eq!(cut("hello\n  world", 50), "hello world");
        let long = "x".repeat(600);
        let c = cut(&long, 500);
        assert_eq!(c.chars().count(), 500);
        assert!(c.ends_with('…'));
    }

    #[test]
    fn cut_agrees_with_split_whitespace_join() {
        // The straightforward version, by std's splitting, as the oracle.
        fn oracle(text: &str, max: usize) -> String {
            let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if flat.chars().count() <= max {
                return flat;
            }
            let mut out: String = flat.chars().take(max.saturating_sub(1)).collect();
            out.truncate(out.trim_end().len());
            out.push('…');
            out
        }
        let texts = [
            "",
            " ",
            "a",
            "  a  b  ",
            "héllo\u{3000}wörld\u{a0}x",
            "one two three four",
            "\n\tlead and trail\r\n",
            "日本語 のテキスト です",
            "ab cd",
        ];
        for text in texts {
            for max in 0..12 {
                assert_eq!(cut(text, max), oracle(text, max), "{text:?} {max}");
            }
        }
    }
}
