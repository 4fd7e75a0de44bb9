//! Minifies the stylesheet the widget compiles in (comments and layout whitespace go), so the
//! wasm carries only what the browser needs. `style/helpwire.css` stays the readable source.
//! Also sets the cfgs that say what a bundle's backend needs linked (`network`, `rich_text`,
//! `push`, `stream`, `contact`, `email_offer`, `conversations`, `listing`), and names the language files the
//! widget fetches (`core/i18n/<lang>.json`) by their content hash, as `scripts/cdn-layout.mjs`
//! names them in `dist/`.

use std::{env, fs, path::Path};

fn main() {
    // Which code a bundle links follows from its backend (one cargo feature per backend):
    // `cfg(network)` when a backend on the network is built, so `fetch` is linked;
    // `cfg(rich_text)` when a backend that sends rich documents is, so their renderer is;
    // `cfg(push)` when a backend that pushes over a socket is, so the socket driver is;
    // `cfg(stream)` when one with a server-sent event stream (the relay) is, so its reader is.
    backend_cfg(
        "network",
        &["BANCROFT", "GLEAP", "GURUSUP", "BOT", "EUSATE", "RELAY"],
    );
    backend_cfg("rich_text", &["GLEAP", "BOT", "RELAY"]);
    backend_cfg("push", &["EUSATE"]);
    backend_cfg("stream", &["RELAY"]);
    // `cfg(contact)`: the pre-chat form is linked; `cfg(email_offer)`: the "Get the answer by
    // email" offer is, for a backend that can still take an email once the conversation exists.
    // Both follow core's `contact` feature: only the bundles it is on for (core/Cargo.toml).
    backend_cfg("contact", &["BANCROFT", "BOT", "GLEAP", "LOCAL", "RELAY"]);
    backend_cfg("email_offer", &["BOT", "GLEAP", "LOCAL", "RELAY"]);
    // `cfg(conversations)`: the list of the visitor's conversations (core's `conversations`).
    backend_cfg("conversations", CONVERSATIONS);
    // `cfg(listing)`: the backend's own list of the visitor's conversations is read (core's
    // `listing`).
    backend_cfg("listing", &["EUSATE", "RELAY"]);
    let source = "style/helpwire.css";
    println!("cargo:rerun-if-changed={source}");
    let mut css = fs::read_to_string(source).expect("style/helpwire.css is part of the crate");
    // The list of conversations' rules, only in the bundles that have the list.
    if !any_backend(CONVERSATIONS) {
        css = without_block(
            &css,
            "/* cfg(conversations)",
            "/* end cfg(conversations) */",
        );
    }
    let out_dir = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let out = Path::new(&out_dir).join("helpwire.min.css");
    fs::write(out, minify(&css)).expect("OUT_DIR is writable");
    language_files(Path::new(&out_dir));
}

/// Writes `languages.rs`: `FILES`, each language of `core/i18n/` with the name it has in `dist/`,
/// `helpwire_<lang>.<hash>.json`, where the hash is the first 10 hex digits of the file's SHA-256
/// (the bundles' scheme in `scripts/cdn-layout.mjs`, which checks that the wasm names them).
fn language_files(out_dir: &Path) {
    use sha2::{Digest, Sha256};
    println!("cargo:rerun-if-changed=core/i18n");
    let mut files = Vec::new();
    for entry in fs::read_dir("core/i18n").expect("core/i18n is part of the crate") {
        let path = entry.expect("core/i18n is readable").path();
        let (Some(lang), Some("json")) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        println!("cargo:rerun-if-changed={}", path.display());
        let bytes = fs::read(&path).expect("a language file is readable");
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .take(5)
            .map(|b| format!("{b:02x}"))
            .collect();
        files.push(format!("(\"{lang}\", \"helpwire_{lang}.{hash}.json\")"));
    }
    files.sort();
    let rust = format!(
        "/// Each language but English and its file's name in `dist/` (written by build.rs).\n\
         pub const FILES: [(&str, &str); {}] = [{}];\n",
        files.len(),
        files.join(", ")
    );
    fs::write(out_dir.join("languages.rs"), rust).expect("OUT_DIR is writable");
}

/// The backends whose bundles have the list of conversations (core's `conversations`).
const CONVERSATIONS: &[&str] = &[
    "LOCAL", "BANCROFT", "BOT", "GURUSUP", "GLEAP", "EUSATE", "RELAY",
];

/// Sets `cfg(name)` when any of the `backends` features is on.
fn backend_cfg(name: &str, backends: &[&str]) {
    println!("cargo::rustc-check-cfg=cfg({name})");
    if any_backend(backends) {
        println!("cargo::rustc-cfg={name}");
    }
}

/// Whether any of the `backends` features is on.
fn any_backend(backends: &[&str]) -> bool {
    backends
        .iter()
        .any(|backend| env::var_os(format!("CARGO_FEATURE_{backend}")).is_some())
}

/// `css` without the block from `start` to `end` (both markers included).
fn without_block(css: &str, start: &str, end: &str) -> String {
    match (css.find(start), css.find(end)) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &css[..a], &css[b + end.len()..]),
        _ => panic!("style/helpwire.css: the {start} block has lost a marker"),
    }
}

/// Drops comments, collapses whitespace, and removes it around `{ } ; ,` and after `:` (which
/// in selectors is never followed by a space). Spaces that carry meaning stay: between selector parts (`.a :focus`) and
/// around `+`/`-` in `calc()`. The stylesheet has no strings with significant whitespace.
fn minify(css: &str) -> String {
    let mut text = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(start) = rest.find("/*") {
        text.push_str(&rest[..start]);
        rest = rest[start + 2..]
            .find("*/")
            .map_or("", |end| &rest[start + 2 + end + 2..]);
    }
    text.push_str(rest);
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::with_capacity(collapsed.len());
    let chars: Vec<char> = collapsed.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c == ' ' {
            let prev = i.checked_sub(1).map(|j| chars[j]);
            let next = chars.get(i + 1).copied();
            let tight = |x: Option<char>| matches!(x, Some('{' | '}' | ';' | ','));
            if tight(prev) || tight(next) || prev == Some(':') {
                continue;
            }
        }
        out.push(c);
    }
    out.replace(";}", "}")
}
