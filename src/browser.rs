//! Thin wrappers over browser APIs the rest of the crate needs: time, timers, ids, storage, console.
//! Every call that can throw is turned into a `Result` or a harmless default here.

use crate::chat::storage::Store;
use crate::config::StorageKind;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// Milliseconds since the epoch.
pub fn now() -> f64 {
    js_sys::Date::now()
}

/// A unique-enough id for local objects (visitor, message): time plus randomness, base 36.
pub fn random_id(prefix: &str) -> String {
    let mut out = String::from(prefix);
    let t = now() as u64;
    let r = (js_sys::Math::random() * 2f64.powi(52)) as u64;
    for mut n in [t, r] {
        out.push('_');
        let mut digits = Vec::new();
        loop {
            digits.push(char::from_digit((n % 36) as u32, 36).unwrap_or('0'));
            n /= 36;
            if n == 0 {
                break;
            }
        }
        out.extend(digits.iter().rev());
    }
    out
}

/// Resolves after `ms` milliseconds (a `setTimeout` promise).
pub async fn sleep(ms: u32) {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms as i32);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Waits for the next task, so the browser can show what the current one changed. A hidden page
/// shows nothing, and throttles timers there, so it does not wait.
pub async fn next_task() {
    let hidden = web_sys::window()
        .and_then(|w| w.document())
        .is_some_and(|d| d.hidden());
    if !hidden {
        sleep(0).await;
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
    if let Some(err) = e.dyn_ref::<js_sys::Error>() {
        return String::from(err.message());
    }
    e.as_string()
        .or_else(|| js_sys::JSON::stringify(e).ok().and_then(|s| s.as_string()))
        .unwrap_or_else(|| String::from("an unknown error"))
}

/// The browser's preferred languages, best first.
pub fn browser_languages() -> Vec<String> {
    let Some(nav) = web_sys::window().map(|w| w.navigator()) else {
        return Vec::new();
    };
    let mut out: Vec<String> = nav
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    if out.is_empty() {
        out.extend(nav.language());
    }
    out
}

fn web_locks() -> Option<JsValue> {
    let navigator = web_sys::window()?.navigator();
    js_sys::Reflect::get(&navigator, &"locks".into())
        .ok()
        .filter(|l| l.is_object())
}

/// Holds the Web Lock `name` for as long as this page lives (the browser releases it when the
/// tab closes or reloads). Returns false where Web Locks are not available.
pub fn hold_lock(name: &str) -> bool {
    let Some(locks) = web_locks() else {
        return false;
    };
    let Ok(request) = js_sys::Reflect::get(&locks, &"request".into()) else {
        return false;
    };
    let Ok(request) = request.dyn_into::<js_sys::Function>() else {
        return false;
    };
    // The callback's promise never settles, so the lock is held until the page goes away.
    let hold = Closure::once_into_js(|| js_sys::Promise::new(&mut |_, _| {}));
    request
        .call2(&locks, &JsValue::from_str(name), &hold)
        .is_ok()
}

/// Names of the Web Locks held in this origin, or `None` where the browser cannot tell.
pub async fn held_locks() -> Option<Vec<String>> {
    let locks = web_locks()?;
    let query = js_sys::Reflect::get(&locks, &"query".into())
        .ok()?
        .dyn_into::<js_sys::Function>()
        .ok()?;
    let promise = query
        .call0(&locks)
        .ok()?
        .dyn_into::<js_sys::Promise>()
        .ok()?;
    let snapshot = JsFuture::from(promise).await.ok()?;
    let held = js_sys::Reflect::get(&snapshot, &"held".into()).ok()?;
    let held: js_sys::Array = held.dyn_into().ok()?;
    Some(
        held.iter()
            .filter_map(|lock| {
                js_sys::Reflect::get(&lock, &"name".into())
                    .ok()?
                    .as_string()
            })
            .collect(),
    )
}
