//! Small shared helpers: ids, timestamps, header reading, JSON parsing, TipTap text.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

static COUNTER: AtomicU64 = AtomicU64::new(1);

fn now_parts() -> (u64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs(), d.subsec_micros())
}

/// A MongoDB-like ObjectId (24 lowercase hex), as Gleap and Gurusup return.
pub fn object_id() -> String {
    let (secs, _) = now_parts();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let salt = uuid::Uuid::new_v4().as_u128() as u32;
    format!("{:08x}{:08x}{:08x}", secs as u32, salt, n as u32)
}

/// A random UUID v4, as Bancroft uses for conversations and messages.
pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A stored message as the API returns it, with a test's raw override (see the control API's
/// `reply`): an object's fields replace the message's (a `null` included), anything else
/// replaces the whole list item, so tests can serve data no real backend should send.
pub fn with_raw(message: Value, raw: Option<&Value>) -> Value {
    match (message, raw) {
        (m, None) => m,
        (Value::Object(mut fields), Some(Value::Object(over))) => {
            for (k, v) in over {
                fields.insert(k.clone(), v.clone());
            }
            Value::Object(fields)
        }
        (_, Some(other)) => other.clone(),
    }
}

/// For a field that may be sent as `null`: present (even as `null`) is `Some`, absent `None`.
pub fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

/// A short random lowercase hex string.
pub fn short_hex(len: usize) -> String {
    let s = uuid::Uuid::new_v4().simple().to_string();
    s[..len.min(s.len())].to_string()
}

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn iso(frac_digits: usize) -> String {
    let (secs, micros) = now_parts();
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    let frac = match frac_digits {
        3 => format!(".{:03}", micros / 1000),
        6 => format!(".{micros:06}"),
        _ => String::new(),
    };
    format!("{y:04}-{m:02}-{d:02}T{hh:02}:{mm:02}:{ss:02}{frac}Z")
}

/// `2024-01-20T10:30:00.000Z`, the Node/Mongo style Gleap and Gurusup use.
pub fn iso_millis() -> String {
    iso(3)
}

/// `2026-02-26T10:00:00.123456Z`, Django REST framework's default style.
pub fn iso_micros() -> String {
    iso(6)
}

pub fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The token of `Authorization: Bearer <token>` (scheme matched case-insensitively).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = header_str(headers, header::AUTHORIZATION.as_str())?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Parses a JSON request body; the error is a short human-readable reason.
/// Bodies are read as bytes so each backend answers with its own error shape.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, String> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err("request body is empty".into());
    }
    serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))
}

/// Plain text of a comment that may be a string or a TipTap/ProseMirror doc.
pub fn rich_text_to_plain(v: &Value) -> String {
    fn walk(v: &Value, out: &mut String) {
        match v {
            Value::String(s) => out.push_str(s),
            Value::Object(o) => {
                if let Some(Value::String(t)) = o.get("text") {
                    out.push_str(t);
                }
                if let Some(Value::Array(children)) = o.get("content") {
                    for c in children {
                        walk(c, out);
                    }
                    let block = matches!(
                        o.get("type").and_then(Value::as_str),
                        Some("paragraph" | "listItem" | "heading")
                    );
                    if block && !out.ends_with('\n') {
                        out.push('\n');
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|c| walk(c, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    walk(v, &mut out);
    out.trim().to_string()
}

/// A TipTap doc with a bold mark, a link and a bullet list, so the widget's rich
/// rendering (and its escaping of everything else) is exercised.
pub fn tiptap_doc(intro: &str, bold: &str) -> Value {
    json!({
        "type": "doc",
        "content": [
            {
                "type": "paragraph",
                "content": [
                    { "type": "text", "text": intro },
                    { "type": "text", "marks": [{ "type": "bold" }], "text": bold }
                ]
            },
            {
                "type": "paragraph",
                "content": [
                    { "type": "text", "text": "See the " },
                    {
                        "type": "text",
                        "marks": [{
                            "type": "link",
                            "attrs": { "href": "https://example.com/help", "target": "_blank" }
                        }],
                        "text": "help center"
                    },
                    { "type": "text", "text": " or pick one:" }
                ]
            },
            {
                "type": "bulletList",
                "content": [
                    { "type": "listItem", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": "Order status" }] }] },
                    { "type": "listItem", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": "Returns" }] }] },
                    { "type": "listItem", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": "Talk to a human" }] }] }
                ]
            }
        ]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_510), (2026, 2, 26));
    }

    #[test]
    fn tiptap_plain() {
        let doc = tiptap_doc("You said: ", "hi");
        let t = rich_text_to_plain(&doc);
        assert!(t.starts_with("You said: hi\n"));
        assert!(t.contains("Talk to a human"));
        assert_eq!(rich_text_to_plain(&json!("x")), "x");
    }

    #[test]
    fn object_ids_are_24_hex() {
        let id = object_id();
        assert_eq!(id.len(), 24);
        assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(id, object_id());
    }
}
