//! The interface texts of the languages other than English: each is a file beside the bundle
//! (`core/i18n/<lang>.json`, named `helpwire_<lang>.<hash>.json` by its content), fetched the
//! first time a visitor needs it and kept for the page's life. English is compiled in; it stands
//! in, with a console warning, when a file cannot be had (offline, blocked, broken).

use super::browser;
use helpwire_core::i18n::{Strings, EN};
use std::cell::RefCell;
use wasm_bindgen::JsCast as _;
use wasm_bindgen_futures::JsFuture;

include!(concat!(env!("OUT_DIR"), "/languages.rs"));

/// How long a language file may take before English is shown instead.
const TIMEOUT_MS: u32 = 10_000;

thread_local! {
    /// Where the bundle was loaded from (the loader's folder), with its trailing `/`.
    static BASE: RefCell<String> = const { RefCell::new(String::new()) };
    /// The tables read so far.
    static LOADED: RefCell<Vec<&'static Strings>> = const { RefCell::new(Vec::new()) };
}

/// The folder the language files are fetched from: the one the loader fetched the bundle from.
pub fn set_base(base: String) {
    BASE.with(|b| *b.borrow_mut() = base);
}

/// The texts of `lang` (a tag of `helpwire_core::i18n::LANGUAGES`), fetched once; English when
/// they cannot be had.
pub async fn texts(lang: &str) -> &'static Strings {
    if lang == EN.lang {
        return &EN;
    }
    if let Some(known) = LOADED.with(|l| l.borrow().iter().find(|t| t.lang == lang).copied()) {
        return known;
    }
    let Some((_, file)) = FILES.iter().find(|(l, _)| *l == lang) else {
        return &EN;
    };
    let mut url = BASE.with(|b| b.borrow().clone());
    url.push_str(file);
    match fetch_text(&url)
        .await
        .and_then(|text| Strings::from_json(&text))
    {
        Ok(table) => {
            LOADED.with(|l| l.borrow_mut().push(table));
            table
        }
        Err(why) => {
            browser::warn(&format!(
                "Helpwire: the {lang} texts did not load from {url} ({why}); showing English"
            ));
            &EN
        }
    }
}

/// The body of a GET of `url` as text: an error for no answer, a timeout or a status not 2xx.
async fn fetch_text(url: &str) -> Result<String, String> {
    let window = web_sys::window().ok_or("no window")?;
    let init = web_sys::RequestInit::new();
    init.set_signal(Some(&web_sys::AbortSignal::timeout_with_u32(TIMEOUT_MS)));
    let answer = JsFuture::from(window.fetch_with_str_and_init(url, &init))
        .await
        .map_err(|e| browser::describe(&e))?;
    // `fetch` resolves to a Response, always.
    let answer: web_sys::Response = answer.unchecked_into();
    if !answer.ok() {
        // The browser's network panel has the status.
        return Err("not found or refused".into());
    }
    let text = answer.text().map_err(|e| browser::describe(&e))?;
    let text = JsFuture::from(text)
        .await
        .map_err(|e| browser::describe(&e))?;
    text.as_string().ok_or_else(|| "not text".into())
}
