//! Thin wrappers over browser APIs the rest of the crate needs: time, timers, ids, storage, console.
//! Every call that can throw is turned into a `Result` or a harmless default here.

use helpwire_core::config::StorageKind;
use helpwire_core::engine::storage::Store;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// Gives `helpwire-core`'s JSON the browser's float text (`Number#toString`, `parseFloat`), exact
/// and already in every browser; called before any JSON is read or written.
pub fn install_float_text() {
    static BROWSER_FLOAT_TEXT: helpwire_core::json::FloatText = helpwire_core::json::FloatText {
        write: |x, out| out.push_str(number_text(x).as_deref().unwrap_or("null")),
        parse: js_sys::parse_float,
    };
    helpwire_core::json::install_float_text(&BROWSER_FLOAT_TEXT);
}

/// `x` as JavaScript writes it (`String(x)`).
pub fn number_text(x: f64) -> Option<String> {
    js_sys::Number::from(x)
        .to_string_with_radix(10)
        .ok()
        .map(String::from)
}

/// A fresh id: `prefix`, `_` and a version 4 UUID, whose 122 random bits come from
/// `crypto.getRandomValues`. The visitor id gates reading the conversation at some backends
/// (Eusate's `session_id`, Gurusup's `user_fid`), so it must not be guessable; message and tab
/// ids are made the same way.
pub fn random_id(prefix: &str) -> String {
    let mut bytes = [0u8; 16];
    fill_random(&mut bytes);
    // RFC 9562: version 4, variant 10.
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let mut out = String::with_capacity(prefix.len() + 37);
    out.push_str(prefix);
    out.push('_');
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        for nibble in [b >> 4, b & 15] {
            out.push(char::from(b"0123456789abcdef"[usize::from(nibble)]));
        }
    }
    out
}

/// Fills `bytes` from the browser's cryptographic generator. Every browser that runs
/// WebAssembly has one; should a page have broken `window.crypto`, ids fall back to
/// `Math.random`, which is guessable, and the console says so once.
fn fill_random(bytes: &mut [u8]) {
    let filled = web_sys::window()
        .and_then(|w| w.crypto().ok())
        .is_some_and(|c| c.get_random_values_with_u8_array(bytes).is_ok());
    if filled {
        return;
    }
    thread_local!(static WARNED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
    if !WARNED.with(|w| w.replace(true)) {
        warn("Helpwire: crypto.getRandomValues is unavailable; ids are made with Math.random and can be guessed");
    }
    for b in bytes.iter_mut() {
        *b = (js_sys::Math::random() * 256.0) as u8;
    }
}

/// Resolves after `ms` milliseconds (a `setTimeout` promise). The timer is set at once, and the
/// future is the promise's own: no state machine of its own for every caller to embed.
pub fn sleep(ms: u32) -> Sleep {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    Sleep(Some(JsFuture::from(promise)))
}

/// The wait [`sleep`] and [`next_task`] return; `None` is no wait at all.
pub struct Sleep(Option<JsFuture>);

impl std::future::Future for Sleep {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        match &mut self.0 {
            // The promise only ever resolves: its value says nothing.
            Some(promise) => std::pin::Pin::new(promise).poll(cx).map(|_| ()),
            None => std::task::Poll::Ready(()),
        }
    }
}

/// Waits for the next task, so the browser can show what the current one changed. A hidden page
/// shows nothing, and throttles timers there, so it does not wait.
pub fn next_task() -> Sleep {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if hidden {
        Sleep(None)
    } else {
        sleep(0)
    }
}

pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

pub fn error(message: &str) {
    web_sys::console::error_1(&JsValue::from_str(message));
}

/// `localStorage` or `sessionStorage`; errors (disabled, quota) come back as strings.
pub struct WebStore(web_sys::Storage);

impl WebStore {
    /// The browser storage for `kind`, or why it is not available.
    pub fn open(kind: StorageKind) -> Result<WebStore, String> {
        let window = web_sys::window().ok_or("no window")?;
        let storage = match kind {
            StorageKind::Local => window.local_storage(),
            StorageKind::Session => window.session_storage(),
            StorageKind::None => return Err("storage disabled by data-storage=\"none\"".into()),
        };
        match storage {
            Ok(Some(s)) => Ok(WebStore(s)),
            Ok(None) => Err("storage is not available".into()),
            Err(e) => Err(describe(&e)),
        }
    }
}

impl Store for WebStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.0.get_item(key).map_err(|e| describe(&e))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.0.set_item(key, value).map_err(|e| describe(&e))
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.0.remove_item(key).map_err(|e| describe(&e))
    }
}

/// A readable message from a thrown JS value.
pub fn describe(e: &JsValue) -> String {
    message_of(e)
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| String::from("an unknown error"))
}

/// The message of a thrown `Error`, or the thrown string.
pub fn message_of(e: &JsValue) -> Option<String> {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => Some(String::from(err.message())),
        None => e.as_string(),
    }
}

/// The languages to try, best first: the site's configured locale, if any, then the browser's.
pub fn preferred_languages(configured: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tag) = configured {
        out.push(tag.to_string());
    }
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return out;
    };
    let before = out.len();
    for language in nav.languages().iter() {
        if let Some(language) = language.as_string() {
            out.push(language);
        }
    }
    if let (true, Some(language)) = (out.len() == before, nav.language()) {
        out.push(language);
    }
    out
}

/// The browser's languages, best first (`navigator.languages`, else `navigator.language`).
pub fn browser_languages() -> Vec<String> {
    preferred_languages(None)
}

/// The page's `LockManager` (`navigator.locks`) and its method `name`, where Web Locks are
/// available.
fn web_locks(name: &str) -> Option<(JsValue, js_sys::Function)> {
    let navigator = web_sys::window()?.navigator();
    let locks = js_sys::Reflect::get(&navigator, &"locks".into())
        .ok()
        .filter(|l| l.is_object())?;
    let method = js_sys::Reflect::get(&locks, &JsValue::from_str(name))
        .ok()?
        .dyn_into()
        .ok()?;
    Some((locks, method))
}

/// A Web Lock held until [`HeldLock::release`] or until the page goes away (the browser
/// releases it when the tab closes or reloads).
pub struct HeldLock {
    /// Settles the promise the lock's callback returned, which lets the lock go.
    release: js_sys::Function,
}

impl HeldLock {
    pub fn release(self) {
        let _ = self.release.call0(&JsValue::NULL);
    }
}

/// Holds the Web Lock `name`. `None` where Web Locks are not available.
pub fn hold_lock(name: &str) -> Option<HeldLock> {
    let (locks, request) = web_locks("request")?;
    // The lock is held while the callback's promise is pending: it settles on release.
    let mut release = None;
    let held = js_sys::Promise::new(&mut |resolve, _| release = Some(resolve));
    let hold = Closure::once_into_js(move || held);
    request
        .call2(&locks, &JsValue::from_str(name), &hold)
        .ok()?;
    release.map(|release| HeldLock { release })
}

/// The names of the Web Locks held in this origin that start with `prefix`, without it, or
/// `None` where the browser cannot tell.
pub async fn held_locks(prefix: &str) -> Option<Vec<String>> {
    let (locks, query) = web_locks("query")?;
    let promise = query
        .call0(&locks)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let snapshot = JsFuture::from(promise).await.ok()?;
    let held = js_sys::Reflect::get(&snapshot, &"held".into()).ok()?;
    let held: js_sys::Array = held.dyn_into().ok()?;
    let mut names = Vec::new();
    for lock in held.iter() {
        if let Some(name) = js_sys::Reflect::get(&lock, &"name".into())
            .ok()
            .and_then(|n| n.as_string())
        {
            if let Some(rest) = name.strip_prefix(prefix) {
                names.push(rest.to_string());
            }
        }
    }
    Some(names)
}
