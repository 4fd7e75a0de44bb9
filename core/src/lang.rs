//! BCP 47 language tags, read one way everywhere: the configured locale is checked with
//! [`is_language_tag`], and the texts, the date formats and the backends that take a language
//! all find it with [`primary_subtag`] (`pt-BR` and `pt_BR` are both Portuguese).

/// The primary language subtag: what comes before the first `-` or `_`, surrounding whitespace
/// left out (`" pt_BR"` → `"pt"`). Not checked: see [`is_language_tag`].
pub fn primary_subtag(tag: &str) -> &str {
    crate::text::before_any(tag.trim(), b"-_")
}

/// A loose BCP 47 check: a 2–3 letter language and optional alphanumeric subtags of 1–8.
pub fn is_language_tag(tag: &str) -> bool {
    // Byte-wise: a split on a set of chars links core's multi-char searcher. A byte of a
    // non-ASCII character is neither alphabetic nor alphanumeric, so such a tag is refused.
    let mut parts = tag.as_bytes().split(|&b| b == b'-' || b == b'_');
    let lang_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.iter().all(u8::is_ascii_alphabetic));
    lang_ok && parts.all(|p| (1..=8).contains(&p.len()) && p.iter().all(u8::is_ascii_alphanumeric))
}

/// The lowercase primary language of a well-formed tag (`pt-BR` → `pt`); `None` otherwise.
pub fn primary_language(tag: &str) -> Option<String> {
    let tag = tag.trim();
    is_language_tag(tag).then(|| primary_subtag(tag).to_ascii_lowercase())
}
