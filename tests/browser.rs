//! Component tests in headless Chromium (wasm-bindgen-test): each test mounts a widget into a
//! fresh host element, drives it like a visitor and checks what the visitor sees.
#![cfg(target_arch = "wasm32")]

use helpwire::ui;
use helpwire::web::browser::sleep;
use helpwire::web::driver::{Chat, Driver};
use helpwire::web::executor::Executor;
use helpwire_core::config::Config;
use helpwire_core::engine::storage::{MemoryStore, Store};
use helpwire_core::engine::{Command, Engine};
use helpwire_core::model::{Author, Body, Conversation, Message, Session, Visitor};
use helpwire_core::protocol::local::LocalProvider;
use helpwire_core::protocol::{
    Capabilities, Context, Cursor, Outgoing, Page, Plan, Provider, ProviderError, Sent,
};
use leptos::prelude::*;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A mounted widget and what a test needs to look inside it.
struct Fixture {
    chat: Chat,
    shadow: web_sys::ShadowRoot,
    _mounted: ui::Mounted,
}

impl Fixture {
    async fn new(provider: Rc<dyn Provider>) -> Self {
        Self::in_language(provider, &helpwire_core::i18n::EN).await
    }

    /// Mounts the widget and waits for its first effects, which put on the root's listeners
    /// (as `boot` does before "ready").
    async fn in_language(
        provider: Rc<dyn Provider>,
        strings: &'static helpwire_core::i18n::Strings,
    ) -> Self {
        let doc = document();
        let host: web_sys::HtmlElement = doc
            .create_element("helpwire-chat")
            .unwrap()
            .unchecked_into();
        doc.body().unwrap().append_child(&host).unwrap();
        let store: Rc<dyn Store> = Rc::new(MemoryStore::default());
        let engine = Engine::new(provider.capabilities(), None, "v_test".into());
        let driver = Driver::new(
            provider,
            Executor::new(store.clone()),
            store,
            "test".into(),
            Rc::new(|_| {}),
        );
        let chat = Chat::new(engine, driver);
        let locale = RwSignal::new(strings);
        let mounted = ui::mount(host.clone(), &Config::default(), chat, locale).unwrap();
        helpwire::web::browser::next_task().await;
        Fixture {
            chat,
            shadow: host.shadow_root().unwrap(),
            _mounted: mounted,
        }
    }

    async fn local() -> Self {
        Self::new(Rc::new(LocalProvider)).await
    }

    fn one(&self, selector: &str) -> web_sys::HtmlElement {
        self.shadow
            .query_selector(selector)
            .unwrap()
            .unwrap_or_else(|| panic!("no element matches {selector}"))
            .unchecked_into()
    }

    fn all(&self, selector: &str) -> Vec<web_sys::HtmlElement> {
        let list = self.shadow.query_selector_all(selector).unwrap();
        (0..list.length())
            .filter_map(|i| list.item(i))
            .map(|n| n.unchecked_into())
            .collect()
    }

    fn launcher(&self) -> web_sys::HtmlElement {
        self.one("button[aria-expanded]")
    }

    fn dialog_visible(&self) -> bool {
        !self.one("[role=dialog]").has_attribute("hidden")
    }

    fn textarea(&self) -> web_sys::HtmlTextAreaElement {
        self.one("textarea").unchecked_into()
    }

    /// Puts `text` in the composer the way typing or pasting does (an `input` event).
    async fn type_text(&self, text: &str) {
        self.textarea().set_value(text);
        let ev = web_sys::Event::new("input").unwrap();
        self.textarea().dispatch_event(&ev).unwrap();
        leptos::task::tick().await;
    }

    /// Presses Enter in the composer.
    async fn press_enter(&self) {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Enter");
        init.set_bubbles(true);
        init.set_cancelable(true);
        let ev =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        self.textarea().dispatch_event(&ev).unwrap();
        leptos::task::tick().await;
    }

    /// The element an `aria-describedby` id names.
    fn by_id(&self, id: &str) -> web_sys::HtmlElement {
        self.one(&format!("#{id}"))
    }

    async fn type_and_send(&self, text: &str) {
        let input: web_sys::HtmlTextAreaElement = self.one("textarea").unchecked_into();
        input.set_value(text);
        self.one("button[type=submit]").click();
        leptos::task::tick().await;
    }

    /// Waits (up to `ms`) until `check` holds, ticking the reactive system. Only for what must
    /// come to hold: that something does not happen is shown with a [`PageClock`] instead.
    async fn wait_for(&self, ms: u32, check: impl Fn(&Self) -> bool) -> bool {
        let mut waited = 0;
        while waited < ms {
            leptos::task::tick().await;
            if check(self) {
                return true;
            }
            sleep(50).await;
            waited += 50;
        }
        check(self)
    }
}

#[wasm_bindgen_test]
async fn the_launcher_toggles_the_dialog() {
    let f = Fixture::local().await;
    assert_eq!(
        f.launcher().get_attribute("aria-expanded").as_deref(),
        Some("false")
    );
    assert!(!f.dialog_visible());
    f.launcher().click();
    leptos::task::tick().await;
    assert!(f.dialog_visible());
    assert_eq!(
        f.launcher().get_attribute("aria-expanded").as_deref(),
        Some("true")
    );
    assert_eq!(
        f.launcher().get_attribute("aria-label").as_deref(),
        Some("Support chat")
    );
    f.launcher().click();
    leptos::task::tick().await;
    assert!(!f.dialog_visible());
}

#[wasm_bindgen_test]
async fn the_dialog_has_the_contract_roles_and_names() {
    let f = Fixture::local().await;
    f.chat.dispatch(Command::Open);
    leptos::task::tick().await;
    let dialog = f.one("[role=dialog]");
    let title_id = dialog.get_attribute("aria-labelledby").unwrap();
    assert_eq!(
        f.one(&format!("#{title_id}")).text_content().as_deref(),
        Some("Support")
    );
    let log = f.one("[role=log]");
    assert_eq!(log.get_attribute("aria-live").as_deref(), Some("polite"));
    let textarea = f.one("textarea");
    let label = f.one(&format!("label[for={}]", textarea.id()));
    assert_eq!(label.text_content().as_deref(), Some("Message to support"));
    assert_eq!(f.one("[part=send]").text_content().as_deref(), Some("Send"));
    // The empty state greets the visitor.
    assert!(log.text_content().unwrap().contains("Ask us anything"));
}

#[wasm_bindgen_test]
async fn the_composer_sends_and_the_message_is_delivered() {
    let f = Fixture::local().await;
    f.chat.dispatch(Command::Open);
    f.type_and_send("Hello from a test").await;
    let mine = f.all("[data-author=visitor]");
    assert_eq!(mine.len(), 1);
    assert_eq!(
        mine[0].get_attribute("data-status").as_deref(),
        Some("pending")
    );
    assert!(mine[0]
        .text_content()
        .unwrap()
        .contains("Hello from a test"));
    let input: web_sys::HtmlTextAreaElement = f.one("textarea").unchecked_into();
    assert_eq!(input.value(), "", "the composer is cleared after sending");
    assert!(
        f.wait_for(3_000, |f| f
            .all("[data-author=visitor][data-status=sent]")
            .len()
            == 1)
            .await,
        "delivered"
    );
    let delivered = f.one("[data-author=visitor]");
    assert!(
        delivered.is_same_node(Some(&mine[0])),
        "delivery updates the message in place; it is not re-created"
    );
}

#[wasm_bindgen_test]
async fn messages_render_in_order_with_the_answers() {
    let f = Fixture::local().await;
    f.chat.dispatch(Command::Open);
    f.type_and_send("first question").await;
    assert!(
        f.wait_for(8_000, |f| f.all("[data-author=agent]").len() == 1)
            .await,
        "first answer"
    );
    f.type_and_send("second question").await;
    assert!(
        f.wait_for(8_000, |f| f.all("[data-author=agent]").len() == 2)
            .await,
        "second answer"
    );
    let order: Vec<String> = f
        .all("[data-author]")
        .iter()
        .map(|m| m.get_attribute("data-author").unwrap())
        .collect();
    assert_eq!(order, ["visitor", "agent", "visitor", "agent"]);
    let texts: Vec<String> = f
        .all("[data-author=visitor] .text")
        .iter()
        .filter_map(|m| m.text_content())
        .collect();
    assert_eq!(texts, ["first question", "second question"]);
}

#[wasm_bindgen_test]
async fn the_unread_badge_counts_answers_while_closed() {
    let f = Fixture::local().await;
    let badge = f.one("[part=badge]");
    assert!(badge.has_attribute("hidden"));
    let pushed = |id: &str| {
        Message::received(
            id,
            Author::Agent {
                name: Some("Ana".into()),
            },
            Body::Text("hi".into()),
            1.0,
        )
    };
    f.chat
        .dispatch(Command::Received(vec![pushed("a1"), pushed("a2")]));
    leptos::task::tick().await;
    assert!(!badge.has_attribute("hidden"));
    assert_eq!(badge.text_content().as_deref(), Some("2"));
    assert_eq!(
        f.launcher().get_attribute("aria-label").as_deref(),
        Some("Support chat (2 unread messages)")
    );
    f.launcher().click();
    leptos::task::tick().await;
    assert!(badge.has_attribute("hidden"), "opening reads them");
}

#[wasm_bindgen_test]
async fn text_from_support_is_never_html() {
    let f = Fixture::local().await;
    let evil = "<img src=x onerror=alert(1)><script>alert(2)</script>";
    f.chat.dispatch(Command::Received(vec![Message::received(
        "x1",
        Author::Agent {
            name: Some("<b>Mallory</b>".into()),
        },
        Body::Text(evil.into()),
        1.0,
    )]));
    f.chat.dispatch(Command::Open);
    leptos::task::tick().await;
    assert!(f.all("img, script, b").is_empty());
    assert_eq!(
        f.one("[data-author=agent] .text").text_content().as_deref(),
        Some(evil)
    );
}

/// The page's clock as the widget reads it (`Date.now`, through `browser::now`), moved by hand
/// while this lives, so time the widget would wait for passes at once. Timers are not faked: a
/// test delivers what the driver's timer would have ([`Command::Tick`]).
struct PageClock {
    /// `{ advance(ms), restore() }`.
    control: wasm_bindgen::JsValue,
}

impl PageClock {
    fn install() -> Self {
        let control = js_sys::Function::new_no_args(
            "const real = Date.now; let offset = 0; Date.now = () => real() + offset; \
             return { advance: (ms) => { offset += ms; }, restore: () => { Date.now = real; } };",
        )
        .call0(&wasm_bindgen::JsValue::NULL)
        .unwrap();
        PageClock { control }
    }

    fn call(&self, name: &str, arg: f64) {
        let f: js_sys::Function = js_sys::Reflect::get(&self.control, &name.into())
            .unwrap()
            .unchecked_into();
        f.call1(&self.control, &arg.into()).unwrap();
    }

    /// Moves the page's time `ms` on.
    fn advance(&self, ms: f64) {
        let before = helpwire::web::browser::now();
        self.call("advance", ms);
        assert!(
            helpwire::web::browser::now() - before >= ms,
            "the widget reads the moved clock"
        );
    }
}

impl Drop for PageClock {
    fn drop(&mut self) {
        self.call("restore", 0.0);
    }
}

/// A backend that refuses every session, as with a wrong key; counts how often it was asked.
#[derive(Default)]
struct Refusing {
    sessions_asked: std::cell::Cell<u32>,
}
impl Provider for Refusing {
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }
    fn start_session(&self, _: &Visitor, _: Option<&Session>) -> Plan<Session> {
        self.sessions_asked.set(self.sessions_asked.get() + 1);
        Plan::Ready(Err(ProviderError::Status {
            status: 401,
            detail: "Invalid API key".into(),
            retry_after: None,
        }))
    }
    fn open_conversation(&self, _: &Visitor, _: &Session, _: &Outgoing) -> Plan<Conversation> {
        unreachable!("no session, no conversation")
    }
    fn send_message(&self, _: Context<'_>, _: &Outgoing) -> Plan<Sent> {
        unreachable!()
    }
    fn fetch_messages(&self, _: Context<'_>, _: &Cursor) -> Plan<Page> {
        unreachable!()
    }
}

#[wasm_bindgen_test]
async fn the_error_state_shows_and_the_message_is_kept() {
    let f = Fixture::new(Rc::new(Refusing::default())).await;
    f.chat.dispatch(Command::Open);
    f.type_and_send("anyone there?").await;
    assert!(
        f.wait_for(2_000, |f| !f.all("[role=alert]").is_empty())
            .await
    );
    let alert = f.one("[role=alert]");
    let text = alert.text_content().unwrap();
    assert!(text.contains("unavailable"), "{text}");
    assert!(
        !text.contains("Invalid API key"),
        "backend words go to the console, not to the visitor: {text}"
    );
    assert_eq!(
        f.all("[data-author=visitor][data-status=pending]").len(),
        1,
        "not lost"
    );
    assert_eq!(
        alert
            .query_selector("button")
            .unwrap()
            .unwrap()
            .text_content()
            .as_deref(),
        Some("Retry")
    );
}

#[wasm_bindgen_test]
async fn retry_in_the_error_notice_asks_the_backend_again() {
    let backend = Rc::new(Refusing::default());
    let f = Fixture::new(backend.clone()).await;
    f.chat.dispatch(Command::Open);
    f.type_and_send("anyone there?").await;
    assert!(
        f.wait_for(2_000, |f| !f.all("[role=alert] button.retry").is_empty())
            .await
    );
    let asked = backend.sessions_asked.get();
    // Ten minutes later (past any backoff, at most 60 s, and any Retry-After, at most 300 s), with
    // the wake-up a timer would bring: nothing is asked on its own.
    let clock = PageClock::install();
    clock.advance(600_000.0);
    f.chat.dispatch(Command::Tick);
    assert!(
        f.wait_for(2_000, |f| !f.chat.engine.with_untracked(Engine::is_busy))
            .await,
        "any attempt the wake-up started has finished"
    );
    assert_eq!(backend.sessions_asked.get(), asked, "halted until Retry");
    f.one("[role=alert] button.retry").click();
    assert!(
        f.wait_for(2_000, |_| backend.sessions_asked.get() > asked)
            .await,
        "Retry asks again"
    );
    // Refused again: the notice is back, once.
    assert!(
        f.wait_for(2_000, |f| f.all("[role=alert]").len() == 1)
            .await
    );
}

#[wasm_bindgen_test]
async fn escape_closes_and_returns_focus_to_the_launcher() {
    let f = Fixture::local().await;
    f.launcher().click();
    let focused = f
        .wait_for(1_000, |f| {
            f.shadow
                .active_element()
                .is_some_and(|e| e.tag_name() == "TEXTAREA")
        })
        .await;
    assert!(
        focused,
        "composer focused on open; active: {:?}, document active: {:?}, dialog visible: {}",
        f.shadow.active_element().map(|e| e.outer_html()),
        document().active_element().map(|e| e.tag_name()),
        f.dialog_visible()
    );
    let init = web_sys::KeyboardEventInit::new();
    init.set_key("Escape");
    init.set_bubbles(true);
    let ev = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
    f.one("textarea").dispatch_event(&ev).unwrap();
    leptos::task::tick().await;
    assert!(!f.dialog_visible());
    // Focus moves once the close has rendered.
    let returned = f
        .wait_for(1_000, |f| {
            f.shadow
                .active_element()
                .is_some_and(|e| e.tag_name() == "BUTTON")
        })
        .await;
    assert!(returned, "focus back on a button");
    assert!(f
        .shadow
        .active_element()
        .unwrap()
        .has_attribute("aria-expanded"));
}

/// In the browser, numbers the exact fast path does not cover are read with `parseFloat` and
/// fractions written with `Number#toString` (the float text `web::browser` installs into
/// `helpwire-core`'s JSON): check that path here, where it runs.
#[wasm_bindgen_test]
fn json_fractions_use_the_browsers_exact_float_conversions() {
    use helpwire_core::json::Json;
    // What boot does; this test must not depend on a test that boots running first.
    helpwire::web::browser::install_float_text();
    for (text, x) in [
        ("17000000001234567.5", 17_000_000_001_234_567.5),
        ("3.141592653589793238462643", std::f64::consts::PI),
        ("1e23", 1e23),
        ("5e-324", 5e-324),
        ("2.2250738585072014e-308", f64::MIN_POSITIVE),
    ] {
        assert_eq!(Json::parse(text).unwrap().as_f64(), Some(x), "{text}");
    }
    assert!(Json::parse("1e400").is_err());
    for (x, text) in [
        (0.1, "0.1"),
        (1_700_000_005_123.5, "1700000005123.5"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
    ] {
        assert_eq!(Json::from(x).to_string(), text);
        assert_eq!(Json::parse(text).unwrap().as_f64(), Some(x));
    }
    assert_eq!(Json::from(1e300).to_string(), "1e+300");
}

#[wasm_bindgen_test]
async fn a_long_conversation_opens_on_its_newest_messages_and_shows_earlier_ones_on_request() {
    let f = Fixture::local().await;
    let history: Vec<Message> = (0..260)
        .map(|i| {
            Message::received(
                format!("h{i}"),
                Author::Agent { name: None },
                Body::Text(format!("history {i}")),
                i as f64,
            )
        })
        .collect();
    f.chat.dispatch(Command::Received(history));
    f.launcher().click();
    leptos::task::tick().await;
    let texts = |f: &Fixture| -> Vec<String> {
        f.all("[data-author] .text")
            .iter()
            .filter_map(|m| m.text_content())
            .collect()
    };
    // Pages of 50: the newest two (the last one partly filled) are rendered, oldest first.
    let shown = texts(&f);
    assert_eq!(shown.len(), 60);
    assert_eq!(shown.first().map(String::as_str), Some("history 200"));
    assert_eq!(shown.last().map(String::as_str), Some("history 259"));
    // What is hidden, a visitor neither sees nor reaches.
    assert!(
        f.all(".greeting:not([hidden])").is_empty(),
        "the greeting opens the conversation, not its middle"
    );
    let earlier = f.one("button.earlier:not([hidden])");
    assert_eq!(
        earlier.text_content().as_deref(),
        Some("Show earlier messages")
    );

    earlier.click();
    leptos::task::tick().await;
    let shown = texts(&f);
    assert_eq!(shown.len(), 110);
    assert_eq!(shown.first().map(String::as_str), Some("history 150"));
    for _ in 0..3 {
        f.one("button.earlier:not([hidden])").click();
        leptos::task::tick().await;
    }
    assert_eq!(texts(&f).len(), 260, "every message can be reached");
    assert!(f.all("button.earlier:not([hidden])").is_empty());
    assert_eq!(f.all(".greeting:not([hidden])").len(), 1);
    assert_eq!(
        f.shadow
            .active_element()
            .and_then(|e| e.get_attribute("role"))
            .as_deref(),
        Some("log"),
        "focus stays in the conversation when the button goes"
    );

    // New messages still go to the end, after everything shown.
    f.type_and_send("and one more").await;
    let all = f.all("[data-author]");
    assert_eq!(all.len(), 261);
    assert_eq!(
        all.last()
            .and_then(|m| m.get_attribute("data-author"))
            .as_deref(),
        Some("visitor")
    );
}

/// A store that counts writes, to see what the local helpdesk stores.
#[derive(Default)]
struct CountingStore {
    inner: MemoryStore,
    writes: std::cell::Cell<usize>,
}

impl Store for CountingStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        self.inner.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.writes.set(self.writes.get() + 1);
        self.inner.set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.inner.remove(key)
    }
}

#[wasm_bindgen_test]
async fn the_local_helpdesk_stores_its_state_only_when_a_request_changes_it() {
    use helpwire_core::json::Json;
    use helpwire_core::protocol::local::BASE;
    use helpwire_core::protocol::HttpRequest;
    // The helpdesk's own clock, moved by hand: its reply delay passes without waiting.
    thread_local!(static NOW: std::cell::Cell<f64> = const { std::cell::Cell::new(1.7e12) });
    let advance = |ms: f64| NOW.with(|now| now.set(now.get() + ms));
    let store = Rc::new(CountingStore::default());
    let executor = Executor::new(store.clone()).with_local_clock(|| NOW.with(|now| now.get()));
    let id_of = |body: &str| {
        Json::parse(body)
            .ok()
            .and_then(|v| v.get("id").and_then(Json::as_str).map(str::to_string))
            .expect("a created resource has an id")
    };
    let post = |path: &str, body: Json| HttpRequest::post(format!("{BASE}/{path}"), body);

    let session = executor
        .perform(&post("sessions", Json::object([])))
        .await
        .unwrap();
    let session = id_of(&session.body);
    let conversation = executor
        .perform(&post(
            "conversations",
            Json::object([("session", Json::from(session))]),
        ))
        .await
        .unwrap();
    let conversation = id_of(&conversation.body);
    assert_eq!(
        store.writes.get(),
        2,
        "a session and a conversation are stored"
    );

    let poll = HttpRequest::get(format!(
        "{BASE}/conversations/{conversation}/messages?after=0"
    ));
    for _ in 0..3 {
        let page = executor.perform(&poll).await.unwrap();
        assert_eq!(page.status, 200);
    }
    assert_eq!(
        store.writes.get(),
        2,
        "polls that change nothing store nothing"
    );

    let sent = executor
        .perform(&post(
            &format!("conversations/{conversation}/messages"),
            Json::object([("body", Json::from("hello"))]),
        ))
        .await
        .unwrap();
    assert_eq!(sent.status, 201);
    assert_eq!(store.writes.get(), 3, "a message is stored");

    // The reply is due 1.2–2.6 s later: not before, and the poll that delivers it stores it, once.
    advance(1_100.0);
    let page = executor.perform(&poll).await.unwrap();
    assert!(!page.body.contains("\"agent\""), "too early: {}", page.body);
    assert_eq!(store.writes.get(), 3, "nothing delivered, nothing stored");
    advance(1_600.0);
    let page = executor.perform(&poll).await.unwrap();
    assert!(
        page.body.contains("\"agent\""),
        "the reply arrived: {}",
        page.body
    );
    assert_eq!(store.writes.get(), 4, "the delivered reply is stored");
    executor.perform(&poll).await.unwrap();
    assert_eq!(store.writes.get(), 4, "and stored only once");
}

/// The 16 bytes of `prefix_<uuid>`, checking the UUID's layout.
fn uuid_bytes(id: &str, prefix: &str) -> [u8; 16] {
    let uuid = id
        .strip_prefix(prefix)
        .unwrap_or_else(|| panic!("{id} starts with {prefix}"));
    assert_eq!(uuid.len(), 36, "{id}");
    for (i, c) in uuid.char_indices() {
        if matches!(i, 8 | 13 | 18 | 23) {
            assert_eq!(c, '-', "{id}");
        } else {
            assert!(matches!(c, '0'..='9' | 'a'..='f'), "{id}: lowercase hex");
        }
    }
    let hex: String = uuid.chars().filter(|c| *c != '-').collect();
    let mut bytes = [0u8; 16];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap();
    }
    bytes
}

#[wasm_bindgen_test]
fn ids_are_version_4_uuids_with_122_random_bits() {
    use helpwire::web::browser::random_id;
    let ids: Vec<String> = (0..1000).map(|_| random_id("v")).collect();
    let unique: std::collections::HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "1,000 ids, all different");
    let mut ones = [0u32; 128];
    for id in &ids {
        let bytes = uuid_bytes(id, "v_");
        assert_eq!(bytes[6] >> 4, 4, "version 4: {id}");
        assert_eq!(bytes[8] >> 6, 0b10, "variant 10: {id}");
        for (bit, count) in ones.iter_mut().enumerate() {
            *count += u32::from(bytes[bit / 8] >> (7 - bit % 8) & 1);
        }
    }
    // Every bit but the 6 of version and variant is random: about half the ids have it set
    // (binomial, n = 1,000: 350–650 is more than 9 standard deviations wide).
    let fixed = [48, 49, 50, 51, 64, 65];
    for (bit, count) in ones.iter().enumerate() {
        if !fixed.contains(&bit) {
            assert!(
                (350..=650).contains(count),
                "bit {bit} set in {count} of 1,000 ids"
            );
        }
    }
    assert_eq!(fixed.len(), 128 - 122);
    // Messages and tabs get the same kind of id.
    uuid_bytes(&random_id("m"), "m_");
}

#[wasm_bindgen_test]
fn ids_come_from_crypto_get_random_values() {
    // With the page's generator replaced by one that fills every byte with 0xab, the id is
    // exactly those bytes (and the version and variant bits).
    let crypto = js_sys::Reflect::get(&window(), &"crypto".into()).unwrap();
    let stub = js_sys::Function::new_with_args("a", "a.fill(0xab); return a;");
    js_sys::Reflect::set(&crypto, &"getRandomValues".into(), &stub).unwrap();
    let id = helpwire::web::browser::random_id("v");
    js_sys::Reflect::delete_property(
        crypto.unchecked_ref::<js_sys::Object>(),
        &"getRandomValues".into(),
    )
    .unwrap();
    assert_eq!(id, "v_abababab-abab-4bab-abab-abababababab");
    assert_ne!(
        helpwire::web::browser::random_id("v"),
        id,
        "the real generator is back"
    );
}

/// Names of this origin's Web Locks that start with `prefix`, without it.
async fn locks_named(prefix: &str) -> Vec<String> {
    helpwire::web::browser::held_locks(prefix)
        .await
        .expect("Chromium has Web Locks")
}

#[wasm_bindgen_test]
async fn destroy_releases_the_tabs_web_lock() {
    use helpwire::web::driver::TAB_LOCK_PREFIX;
    let before = locks_named(TAB_LOCK_PREFIX).await;
    let host: web_sys::HtmlElement = document()
        .create_element("helpwire-chat")
        .unwrap()
        .unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    let attributes = js_sys::Object::new();
    js_sys::Reflect::set(&attributes, &"storage".into(), &"none".into()).unwrap();
    let page = js_sys::Array::of2(&attributes, &wasm_bindgen::JsValue::UNDEFINED);
    let emit = js_sys::Function::new_no_args("");
    // boot installs the widget's panic reporter; the test harness keeps its own (which cannot be
    // changed once a test before this one has failed: wasm tests abort on a panic).
    let harness_hook = (!std::thread::panicking()).then(std::panic::take_hook);
    let widget = helpwire::boot(page.into(), host, emit).await;
    if let Some(hook) = harness_hook {
        std::panic::set_hook(hook);
    }
    let widget = widget.unwrap_or_else(|e| panic!("boot: {e:?}"));

    let mut held = Vec::new();
    for _ in 0..40 {
        held = locks_named(TAB_LOCK_PREFIX).await;
        if held.len() > before.len() {
            break;
        }
        sleep(25).await;
    }
    let ours: Vec<String> = held.into_iter().filter(|n| !before.contains(n)).collect();
    assert_eq!(ours.len(), 1, "the running widget holds one tab lock");

    widget.destroy();
    let mut released = false;
    for _ in 0..40 {
        if !locks_named(TAB_LOCK_PREFIX).await.contains(&ours[0]) {
            released = true;
            break;
        }
        sleep(25).await;
    }
    assert!(released, "destroy() lets other tabs see this one is gone");
    // The tab id is random like the others.
    uuid_bytes(&ours[0], "t_");
}

/// The German table, read from its file as the widget reads it once fetched.
fn german() -> &'static helpwire_core::i18n::Strings {
    helpwire_core::i18n::Strings::from_json(include_str!("../core/i18n/de.json")).unwrap()
}

#[wasm_bindgen_test]
async fn the_unavailable_notice_is_in_the_visitors_language_without_backend_words() {
    let f = Fixture::in_language(Rc::new(Refusing::default()), german()).await;
    f.chat.dispatch(Command::Open);
    f.type_and_send("Ist jemand da?").await;
    assert!(
        f.wait_for(2_000, |f| !f.all("[role=alert]").is_empty())
            .await
    );
    let alert = f.one("[role=alert]");
    assert_eq!(
        alert.text_content().as_deref(),
        Some(format!("{}{}", german().unavailable, german().retry).as_str()),
        "only the German notice and its Retry"
    );
}

/// The local helpdesk's limit (`Capabilities::max_message_chars`).
const LOCAL_LIMIT: usize = 4_000;

#[wasm_bindgen_test]
async fn near_the_limit_a_counter_shows_and_the_hint_is_announced_once() {
    let f = Fixture::local().await;
    assert_eq!(LocalProvider.capabilities().max_message_chars, LOCAL_LIMIT);
    f.chat.dispatch(Command::Open);
    f.type_text(&"x".repeat(3_599)).await;
    let count = f.one(".count");
    assert!(count.hidden(), "not yet: under 90 %");
    assert!(!f.textarea().has_attribute("aria-describedby"));

    f.type_text(&"x".repeat(3_600)).await;
    assert!(!count.hidden(), "from 90 % of the limit");
    assert_eq!(count.text_content().as_deref(), Some("3,600 / 4,000"));
    let described = f.textarea().get_attribute("aria-describedby").unwrap();
    assert!(
        described.split(' ').any(|id| id == count.id()),
        "{described}"
    );
    let status = f.one("[role=status]");
    let hint = "You are close to the limit of 4,000 characters.";
    assert_eq!(status.text_content().as_deref(), Some(hint));
    assert!(
        status.class_list().contains("visually-hidden"),
        "the hint is for screen readers; the counter is what shows"
    );

    // Typing on changes the counter, not the announced text.
    let hint_node = status.first_child().unwrap();
    f.type_text(&"x".repeat(3_700)).await;
    assert_eq!(count.text_content().as_deref(), Some("3,700 / 4,000"));
    assert!(
        status.first_child().is_some_and(
            |n| n.is_same_node(Some(&hint_node)) && n.text_content().as_deref() == Some(hint)
        ),
        "no announcement per keystroke"
    );
    assert_eq!(f.one("[part=send]").get_attribute("aria-disabled"), None);
}

#[wasm_bindgen_test]
async fn over_the_limit_send_is_off_with_the_reason_and_the_text_stays() {
    let f = Fixture::local().await;
    f.chat.dispatch(Command::Open);
    let long = "y".repeat(LOCAL_LIMIT + 1);
    f.type_text(&long).await;
    let send = f.one("[part=send]");
    assert_eq!(send.get_attribute("aria-disabled").as_deref(), Some("true"));
    let reason = f.by_id(&send.get_attribute("aria-describedby").unwrap());
    assert_eq!(
        reason.text_content().as_deref(),
        Some("This message is too long: the limit is 4,000 characters. Shorten it to send it.")
    );
    assert!(
        !reason.class_list().contains("visually-hidden") && !reason.hidden(),
        "the reason is visible"
    );
    assert_eq!(
        f.one(".count").text_content().as_deref(),
        Some("4,001 / 4,000")
    );
    assert_eq!(
        f.textarea().get_attribute("aria-invalid").as_deref(),
        Some("true")
    );

    f.press_enter().await;
    send.click();
    leptos::task::tick().await;
    assert_eq!(
        f.textarea().value(),
        long,
        "nothing the visitor wrote is lost"
    );
    assert!(
        f.all("[data-author=visitor]").is_empty(),
        "and nothing was sent"
    );
    assert!(f.all("[role=alert]").is_empty());

    // Shortened to the limit: Send is back and sends.
    f.type_text(&long[1..]).await;
    assert_eq!(send.get_attribute("aria-disabled"), None);
    assert_eq!(send.get_attribute("aria-describedby"), None);
    f.press_enter().await;
    assert_eq!(f.textarea().value(), "", "taken into the outbox: cleared");
    assert_eq!(f.all("[data-author=visitor]").len(), 1);
    assert!(f.one(".count").hidden());
}

#[wasm_bindgen_test]
async fn a_send_the_engine_does_not_take_keeps_the_text() {
    let f = Fixture::local().await;
    f.chat.dispatch(Command::Open);
    leptos::task::tick().await;
    // A stopped widget takes no command: the send is refused.
    f.chat.stop();
    f.type_and_send("keep me").await;
    assert_eq!(f.textarea().value(), "keep me");
    assert!(f.all("[data-author=visitor]").is_empty());
}

#[wasm_bindgen_test]
async fn a_closed_notice_is_worded_in_the_visitors_language() {
    use helpwire_core::model::SystemNotice;
    let f = Fixture::in_language(Rc::new(LocalProvider), german()).await;
    f.chat.dispatch(Command::Received(vec![Message::received(
        "closed-1",
        Author::System,
        Body::Notice(SystemNotice::ConversationClosed),
        1.0,
    )]));
    f.chat.dispatch(Command::Open);
    leptos::task::tick().await;
    assert_eq!(
        f.one("[data-author=system] .text")
            .text_content()
            .as_deref(),
        Some(german().conversation_closed)
    );
}
