//! The wasm entry: `boot([attributes, settings, base], host, emit)` and the handle the loader's
//! `window.Helpwire` forwards to. It wires modules together and translates JS values; nothing else.

use crate::ui;
use crate::web::browser::{self, WebStore};
use crate::web::driver::{Chat, Driver, EventSink};
use crate::web::executor::Executor;
use crate::web::listeners::PageListeners;
use helpwire_core::config::{Config, PageSettings, Severity, StorageKind, Value};
use helpwire_core::engine::storage::{storage_key, MemoryStore, ResilientStore, Snapshot, Store};
use helpwire_core::engine::{Command, Engine, WidgetEvent};
use helpwire_core::json::Json;
use helpwire_core::model::Visitor;
use helpwire_core::{i18n, protocol};
use leptos::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;

#[cfg(not(panic = "immediate-abort"))]
thread_local! {
    /// What a panic needs to report itself: the host element and the event callback.
    static CRASH_REPORT: RefCell<Option<(web_sys::HtmlElement, js_sys::Function)>> = const { RefCell::new(None) };
}

/// The running widget, behind `window.Helpwire`.
#[wasm_bindgen]
pub struct WidgetHandle {
    live: RefCell<Option<Live>>,
}

struct Live {
    chat: Chat,
    /// The page's events the engine follows (visibility, network, other tabs, leaving).
    listeners: PageListeners,
    /// This tab's Web Lock: while it is held, other tabs leave this tab's messages to it.
    tab_lock: Option<browser::HeldLock>,
    locale: ui::Locale,
    mounted: ui::Mounted,
    emit: js_sys::Function,
}

/// Starts the widget in `host` with what the page gave: `page` is `[attributes, settings, base]`,
/// the script's `data-*` attributes (its `dataset`, copied), `window.HelpwireSettings` (its own
/// keys copied if it is an object, else as it is), kept apart so that every message names the
/// setting as the site wrote it (settings keys override attributes), and the folder the bundle
/// came from, where the language files are (`web::languages`). `emit(name, detail)`
/// delivers events to the loader's listeners. On a configuration error the host gets
/// `data-state="error"`, the console says why, and this returns the error.
///
/// Asynchronous, in two tasks: reading the stored conversation, then mounting (after the
/// visitor's language's texts, when that is not English, have been fetched). Together they can
/// pass 50 ms for a returning visitor, which would be a long task on the host page.
#[wasm_bindgen]
pub async fn boot(
    page: JsValue,
    host: web_sys::HtmlElement,
    emit: js_sys::Function,
) -> Result<WidgetHandle, JsValue> {
    install_crash_reporter(&host, &emit);
    browser::install_float_text();
    let _ = host.set_attribute("data-state", "loading");
    let page = js_sys::Array::from(&page);
    // The folder the loader fetched the bundle from: the language files are beside it.
    if let Some(base) = page.get(2).as_string() {
        crate::web::languages::set_base(base);
    }
    let attributes = attribute_pairs(&page.get(0));
    let parsed = Config::from_page(
        attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        page_settings(&page.get(1)),
    );
    for issue in &parsed.issues {
        match issue.severity {
            Severity::Ignored => browser::warn(&issue.to_string()),
            _ => browser::error(&issue.to_string()),
        }
    }
    if parsed.is_fatal() {
        return Err(fail(
            &host,
            &emit,
            "Helpwire: configuration error; the widget stays off (see the errors above)",
        ));
    }
    let config = parsed.config;
    for warning in protocol::warnings(&config) {
        browser::warn(&format!("Helpwire: {warning}"));
    }
    let languages = browser::browser_languages();
    let platform = protocol::Platform {
        clock: browser::now,
        languages: &languages,
    };
    let provider = match protocol::for_config(&config, &platform) {
        Ok(p) => p,
        Err(e) => {
            let message = format!("Helpwire: {e}");
            browser::error(&message);
            return Err(fail(&host, &emit, &message));
        }
    };

    let store = open_store(config.storage);
    let key = storage_key(config.provider.name(), config.api_base.as_deref());
    let restored = restore(&*store, &key);
    browser::next_task().await;
    // Each tab delivers only what it wrote; the lock tells other tabs when it is gone.
    let tab = browser::random_id("t");
    let tab_lock = browser::hold_lock(&format!("{}{tab}", crate::web::driver::TAB_LOCK_PREFIX));
    let engine =
        Engine::new(provider.capabilities(), restored, browser::random_id("v")).with_tab(tab);
    let events: EventSink = {
        let emit = emit.clone();
        Rc::new(move |event: &WidgetEvent| {
            let (name, detail) = event_detail(event);
            emit_event(&emit, name, &detail);
        })
    };
    let executor = Executor::new(store.clone());
    #[cfg(feature = "local")]
    let executor = executor.scripted(config.scripted_replies);
    let driver = Driver::new(provider, executor, store, key.clone(), events);
    // The relay streams new messages (`GET /v1/events`): followed on top of polling.
    #[cfg(stream)]
    let driver = match (&config.provider, &config.api_base) {
        (helpwire_core::config::ProviderKind::Relay, Some(base)) => {
            driver.with_event_stream(protocol::relay::RelayProvider::new(base))
        }
        _ => driver,
    };
    let chat = Chat::new(engine, driver);
    // A language other than English is fetched first, so the widget shows in it from the start.
    let texts = crate::web::languages::texts(resolve_locale(config.locale.as_deref())).await;
    let locale: ui::Locale = RwSignal::new(texts);
    let mounted = ui::mount(host.clone(), &config, chat, locale)?;
    // The view's first effects run in the tasks after the mount (they put on the root's
    // listeners): "ready" only once a click can reach the widget.
    browser::next_task().await;
    let _ = host.set_attribute("data-state", "ready");
    let listeners = PageListeners::install(chat, key);
    chat.check_open_tabs();
    emit_event(&emit, "ready", &JsValue::UNDEFINED);
    Ok(WidgetHandle {
        live: RefCell::new(Some(Live {
            chat,
            listeners,
            tab_lock,
            locale,
            mounted,
            emit,
        })),
    })
}

#[wasm_bindgen]
impl WidgetHandle {
    fn with_live(&self, f: impl FnOnce(&Live)) {
        match self.live.borrow().as_ref() {
            Some(live) => f(live),
            None => browser::warn("Helpwire: the widget was destroyed; this call does nothing"),
        }
    }

    pub fn open(&self) {
        self.with_live(|l| l.chat.dispatch(Command::Open));
    }

    pub fn close(&self) {
        self.with_live(|l| l.chat.dispatch(Command::Close));
    }

    pub fn toggle(&self) {
        self.with_live(|l| l.chat.dispatch(Command::Toggle));
    }

    /// `identify({userId, email, name, userHash, customData})`.
    pub fn identify(&self, identity: JsValue) {
        self.with_live(|l| match parse_identity(&identity) {
            Ok(visitor) => l.chat.dispatch(Command::Identify {
                identity: visitor,
                fresh_anon_id: browser::random_id("v"),
            }),
            Err(e) => {
                let message = format!("Helpwire.identify: {e}");
                browser::error(&message);
                emit_event(&l.emit, "error", &JsValue::from_str(&message));
            }
        });
    }

    /// Starts a new conversation; the one on screen goes into the visitor's list.
    #[cfg(conversations)]
    #[wasm_bindgen(js_name = newConversation)]
    pub fn new_conversation(&self) {
        self.with_live(|l| {
            l.chat.dispatch(Command::Open);
            l.chat.dispatch(Command::NewConversation);
        });
    }

    /// Opens the panel on the visitor's list of conversations.
    #[cfg(conversations)]
    #[wasm_bindgen(js_name = showConversations)]
    pub fn show_conversations(&self) {
        self.with_live(|l| l.chat.dispatch(Command::ShowConversations));
    }

    /// Forgets the visitor: their conversations disappear from this browser.
    pub fn reset(&self) {
        self.with_live(|l| {
            l.chat.dispatch(Command::Reset {
                anon_id: browser::random_id("v"),
            })
        });
    }

    #[wasm_bindgen(js_name = setLocale)]
    pub fn set_locale(&self, tag: JsValue) {
        self.with_live(|l| match tag.as_string() {
            Some(t) if helpwire_core::config::is_language_tag(&t) => {
                let (locale, lang) = (l.locale, resolve_locale(Some(&t)));
                // The last call wins, whichever language's texts arrive first.
                let asked = LOCALE_ASKED.with(|n| n.get().wrapping_add(1));
                LOCALE_ASKED.with(|n| n.set(asked));
                wasm_bindgen_futures::spawn_local(async move {
                    let texts = crate::web::languages::texts(lang).await;
                    if LOCALE_ASKED.with(|n| n.get()) == asked {
                        // `try_`: the widget may be gone by now.
                        let _ = locale.try_set(texts);
                    }
                });
            }
            _ => browser::error(
                "Helpwire.setLocale: expected a language tag such as \"en\" or \"pt-BR\"",
            ),
        });
    }

    /// Removes the widget from the page and stops all its work.
    pub fn destroy(&self) {
        if let Some(live) = self.live.borrow_mut().take() {
            // Stored first, then the lock goes: another open tab adopts this one's undelivered
            // messages from what is stored.
            live.chat.stop();
            live.listeners.remove();
            if let Some(lock) = live.tab_lock {
                lock.release();
            }
            live.mounted.host.remove();
            drop(live.mounted);
            crate::web::attention::show_unread_in_title(0);
        }
    }
}

/// `Helpwire.testing`, which the loader installs only in the local helpdesk's test mode
/// (`data-local-replies="script"`). A wrong call is a console error, never a throw: the loader
/// treats a throw as the widget failing.
#[cfg(feature = "local")]
#[wasm_bindgen]
impl WidgetHandle {
    /// Both calls of `Helpwire.testing`, as the loader forwards them: `test(text, delayMs,
    /// options)` is `reply(text, delayMs = 0, { close })` (support answers `text` after `delayMs`
    /// on the page's clock, and closes the conversation with it when `close` is true),
    /// `test(null, -1)` is `failNextDelivery()` (the visitor's next message is refused; Retry then
    /// delivers it), a pair `reply` is never given on purpose. One export, not two: each costs
    /// the bundle bytes. `reply()` with no text, or one that is not a string, is a console error.
    pub fn test(&self, text: JsValue, delay_ms: JsValue, options: JsValue) {
        self.with_live(|l| {
            if text.is_null() && delay_ms.as_f64() == Some(-1.0) {
                return crate::web::testing::fail_next_delivery(l.chat);
            }
            // No number (undefined): at once; a negative one is 0 as well.
            let delay = delay_ms.as_f64().unwrap_or(0.0).max(0.0);
            let text = text.as_string().unwrap_or_default();
            // Only `true` closes: anything else of the page's (a string, a getter) is no.
            let close = options.is_object()
                && js_sys::Reflect::get(&options, &JsValue::from_str("close"))
                    .is_ok_and(|v| v.as_bool() == Some(true));
            if !crate::web::testing::reply(l.chat, &text, delay, close) {
                browser::error("Helpwire.testing.reply: no text, or nothing to answer yet");
            }
        });
    }
}

/// Makes a panic anywhere in the widget visible and harmless to the page: the host gets
/// `data-state="error"`, the console says why, and the site's `error` listeners are called.
///
/// Release bundles abort at once on a panic, so no hook could run there: the loader reports the
/// trap instead, and this is compiled out (with the panic message formatting it links).
pub fn install_crash_reporter(host: &web_sys::HtmlElement, emit: &js_sys::Function) {
    #[cfg(panic = "immediate-abort")]
    let _ = (host, emit);
    #[cfg(not(panic = "immediate-abort"))]
    {
        CRASH_REPORT.with(|r| *r.borrow_mut() = Some((host.clone(), emit.clone())));
        std::panic::set_hook(Box::new(|info| {
            let message = format!("Helpwire crashed: {info}");
            browser::error(&message);
            CRASH_REPORT.with(|r| {
                if let Some((host, emit)) = r.borrow().as_ref() {
                    let _ = host.set_attribute("data-state", "error");
                    emit_event(emit, "error", &JsValue::from_str(&message));
                }
            });
        }));
    }
}

/// A start that failed with `message`: the host says so and the site's `error` listeners hear
/// it; the message is what `boot` rejects with.
fn fail(host: &web_sys::HtmlElement, emit: &js_sys::Function, message: &str) -> JsValue {
    let _ = host.set_attribute("data-state", "error");
    let message = JsValue::from_str(message);
    emit_event(emit, "error", &message);
    message
}

/// Calls the loader's `emit(name, detail)`; a throwing listener never reaches the widget.
fn emit_event(emit: &js_sys::Function, name: &str, detail: &JsValue) {
    let _ = emit.call2(&JsValue::NULL, &JsValue::from_str(name), detail);
}

fn event_detail(event: &WidgetEvent) -> (&'static str, JsValue) {
    let json = |v: Json| js_sys::JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL);
    match event {
        WidgetEvent::Open => ("open", JsValue::UNDEFINED),
        WidgetEvent::Close => ("close", JsValue::UNDEFINED),
        WidgetEvent::Message { id, text, author } => (
            "message",
            json(Json::object([
                ("id", Json::from(id)),
                ("text", Json::from(text)),
                ("author", Json::from(author)),
            ])),
        ),
        WidgetEvent::Sent { id, text } => (
            "sent",
            json(Json::object([
                ("id", Json::from(id)),
                ("text", Json::from(text)),
            ])),
        ),
        WidgetEvent::Unread(n) => ("unread", JsValue::from_f64(*n as f64)),
        WidgetEvent::Error(message) => ("error", JsValue::from_str(message)),
        #[cfg(conversations)]
        WidgetEvent::Conversation(id) => {
            ("conversation", json(Json::object([("id", Json::from(id))])))
        }
    }
}

/// The script's `data-*` attributes (`dataset` keys) with their text.
fn attribute_pairs(attributes: &JsValue) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    if attributes.is_object() {
        for (key, value) in entries(attributes) {
            if let Some(value) = value.as_string() {
                pairs.push((key, value));
            }
        }
    }
    pairs
}

/// `window.HelpwireSettings` with each value's type kept, so that a wrong one is refused by name.
fn page_settings(settings: &JsValue) -> PageSettings {
    if settings.is_undefined() || settings.is_null() {
        return PageSettings::Absent;
    }
    if !settings.is_object() || js_sys::Array::is_array(settings) {
        return PageSettings::Not(value_of(settings));
    }
    let mut pairs = Vec::new();
    for (key, value) in entries(settings) {
        // A key set to `undefined` is a key not set.
        if !value.is_undefined() {
            pairs.push((key, value_of(&value)));
        }
    }
    PageSettings::Object(pairs)
}

/// An object's own enumerable string-keyed properties (`Object.entries`, which gives each as a
/// `[key, value]` array).
fn entries(object: &JsValue) -> Vec<(String, JsValue)> {
    let mut pairs = Vec::new();
    for entry in js_sys::Object::entries(object.unchecked_ref()).iter() {
        let entry: js_sys::Array = entry.unchecked_into();
        if let Some(key) = entry.get(0).as_string() {
            pairs.push((key, entry.get(1)));
        }
    }
    pairs
}

fn value_of(value: &JsValue) -> Value {
    if let Some(text) = value.as_string() {
        Value::Text(text)
    } else if let Some(b) = value.as_bool() {
        Value::Bool(b)
    } else if let Some(n) = value.as_f64() {
        // As JavaScript writes it (`String(n)`), without Rust's float printing.
        Value::Number(browser::number_text(n).unwrap_or_default())
    } else if value.is_null() {
        Value::Null
    } else if js_sys::Array::is_array(value) {
        Value::Array
    } else if value.is_function() {
        Value::Other("function".into())
    } else if value.is_object() {
        Value::Object
    } else {
        Value::Other(value.js_typeof().as_string().unwrap_or_default())
    }
}

fn parse_identity(value: &JsValue) -> Result<Visitor, String> {
    if !value.is_object() {
        return Err("expected an object like {userId, email, name}".into());
    }
    let text = js_sys::JSON::stringify(value)
        .map_err(|e| browser::describe(&e))?
        .as_string()
        .unwrap_or_default();
    let json = Json::parse(&text).map_err(|e| e.to_string())?;
    let field = |name: &str| identity_field(&json, name);
    let email = field("email")?;
    if let Some(e) = &email {
        if !e.bytes().any(|b| b == b'@') {
            return Err(format!("email \"{e}\" is not an email address"));
        }
    }
    Ok(Visitor {
        anon_id: String::new(),
        user_id: field("userId")?,
        email,
        name: field("name")?,
        user_hash: field("userHash")?,
        custom_data: json.get("customData").filter(|v| !v.is_null()).cloned(),
    })
}

/// One text field of `identify`'s object: absent, null or blank is `None`; a number is its text.
/// Not inlined: `parse_identity` reads four.
#[inline(never)]
fn identity_field(json: &Json, name: &str) -> Result<Option<String>, String> {
    match json.get(name) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.trim().to_string())),
        Some(n @ Json::Number(_)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

fn open_store(kind: StorageKind) -> Rc<dyn Store> {
    match WebStore::open(kind) {
        Ok(web) => Rc::new(ResilientStore::new(web, browser::warn)),
        Err(reason) => {
            if kind != StorageKind::None {
                browser::warn(&format!(
                    "Helpwire: browser storage is unavailable ({reason}); the conversation lasts for this page only"
                ));
            }
            Rc::new(MemoryStore::default())
        }
    }
}

fn restore(store: &dyn Store, key: &str) -> Option<Snapshot> {
    let text = store.get(key).ok()??;
    match Snapshot::from_json(&text) {
        Ok(snapshot) => Some(snapshot),
        Err(reason) => {
            browser::warn(&format!(
                "Helpwire: stored conversation was unreadable ({reason}); starting afresh"
            ));
            let _ = store.remove(key);
            None
        }
    }
}

thread_local! {
    /// `setLocale` calls so far: only the last one's language is shown.
    static LOCALE_ASKED: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// The shipped language to show: the configured tag, else the browser's languages, else English.
fn resolve_locale(configured: Option<&str>) -> &'static str {
    i18n::resolve(
        browser::preferred_languages(configured)
            .iter()
            .map(String::as_str),
    )
}
