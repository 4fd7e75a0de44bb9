//! The conversation: a polite live region of messages, in pages, keyed so that an append renders
//! one message and a delivery change updates one message in place.
//!
//! The log element, its greeting and its "Show earlier messages" button are Leptos views (their
//! texts written by `super::Widget`); the messages are plain DOM kept by [`Rows`], which diffs
//! the engine's list from its first changed message ([`helpwire_core::engine::edits`]). Why:
//! every Leptos view type compiles to build, rebuild and mount code of its own, and messages
//! rendered as nested keyed lists of reactive views made the log a large share of the bundle.
//! Text still only ever becomes text nodes.

use super::presence::Presence;
use super::rich_text::fill_bubble;
use super::Shared;
use helpwire_core::engine::edits::Since;
use helpwire_core::engine::{Command, Engine};
use helpwire_core::i18n::Strings;
use helpwire_core::model::{Body, Delivery, Message, SystemNotice};
use helpwire_core::protocol::wire::is_usable_time;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use web_sys::Element;

/// Messages per page of the log. A page is a `div.page` of its own, so showing earlier messages
/// adds one page and never touches the others.
const PAGE_SIZE: usize = 50;

/// Pages shown when the panel first opens (the newest 51 to 100 messages); the visitor shows
/// earlier ones a page at a time. A long conversation thus opens as fast as a short one, and the
/// browser lays out a hundred messages per frame rather than thousands.
const INITIAL_PAGES: usize = 2;

fn key_of(m: &Message) -> &str {
    m.local_id.as_deref().unwrap_or(&m.id)
}

/// The message `key` names: at `index` (where it was when the list was diffed, O(1)), or by search.
fn find<'a>(messages: &'a [Message], key: &str, index: usize) -> Option<&'a Message> {
    let is = |m: &&Message| m.local_id.as_deref() == Some(key) || m.id == key;
    messages
        .get(index)
        .filter(is)
        .or_else(|| messages.iter().rev().find(is))
}

/// What labels and times are shown in: the interface language and the `Intl` tag.
struct Labels {
    strings: &'static Strings,
    intl_tag: String,
}

/// One message of the conversation as last rendered, with its element while its page is shown.
struct Row {
    /// The visitor's local id (which outlives the backend id) or the backend id.
    key: String,
    /// What can change without re-creating the element: the delivery state (pending → sent,
    /// failed → pending) and the time, which the backend may correct on delivery.
    delivery: Option<Delivery>,
    created_at: f64,
    element: Option<MessageElement>,
}

impl Row {
    fn of(m: &Message) -> Self {
        Row {
            key: key_of(m).to_string(),
            delivery: m.delivery.clone(),
            created_at: m.created_at,
            element: None,
        }
    }
}

/// A rendered message: `div.message` with its author, bubble and meta line.
struct MessageElement {
    root: Element,
    author: Element,
    /// Whether the author line is the localized "You" / "Support" (relabelled on a language
    /// change) rather than a name from the backend.
    default_author: bool,
    /// A notice and its paragraph: worded in the interface language, reworded on a change.
    notice: Option<(SystemNotice, Element)>,
    time: Element,
    meta: Element,
}

impl MessageElement {
    /// Builds the element for `m` (same markup as the DOM contract describes).
    fn new(m: &Message, labels: &Labels) -> Option<Self> {
        let doc = web_sys::window()?.document()?;
        let el = |tag: &str, class: &str| -> Option<Element> {
            let e = doc.create_element(tag).ok()?;
            e.set_class_name(class);
            Some(e)
        };
        let root = el("div", "message")?;
        let author_tag = m.author.tag();
        let visitor = author_tag == "visitor";
        let _ = root.set_attribute(
            "part",
            if visitor {
                "message message-visitor"
            } else {
                "message message-agent"
            },
        );
        let _ = root.set_attribute("data-author", author_tag);
        // The log is a polite live region: support's messages are announced as they arrive; the
        // visitor's own are not (they just wrote them), so their subtree opts out.
        if visitor {
            let _ = root.set_attribute("aria-live", "off");
        }
        let author = el("span", "author")?;
        let name = m.author.name().map(helpwire_core::richtext::strip_controls);
        let default_author = name.is_none();
        if let Some(name) = name {
            author.set_text_content(Some(&name));
        }
        let bubble = el("div", "bubble")?;
        let _ = bubble.set_attribute("part", "text");
        fill_bubble(&bubble, &m.body, &m.attachments);
        let notice = match m.body {
            Body::Notice(n) => bubble.first_element_child().map(|p| (n, p)),
            _ => None,
        };
        let meta = el("span", "meta")?;
        let time = el("time", "time")?;
        let _ = meta.append_child(&time);
        for part in [&author, &bubble, &meta] {
            let _ = root.append_child(part);
        }
        let this = MessageElement {
            root,
            author,
            default_author,
            notice,
            time,
            meta,
        };
        this.label(author_tag, labels);
        this.show(m.delivery.as_ref(), m.created_at, labels);
        Some(this)
    }

    /// The localized author line, for messages without a name from the backend, and a notice's
    /// words.
    fn label(&self, author_tag: &str, labels: &Labels) {
        if let Some((notice, text)) = &self.notice {
            text.set_text_content(Some(labels.strings.notice(*notice)));
        }
        if self.default_author {
            let s = labels.strings;
            let who = if author_tag == "visitor" {
                s.you
            } else {
                s.support
            };
            self.author.set_text_content(Some(who));
        }
    }

    /// Shows a delivery state and time: `data-status`, the state line and, for a failed message,
    /// the retry button.
    fn show(&self, delivery: Option<&Delivery>, created_at: f64, labels: &Labels) {
        match delivery {
            Some(d) => {
                let _ = self.root.set_attribute("data-status", d.tag());
            }
            None => {
                let _ = self.root.remove_attribute("data-status");
            }
        }
        // A time the widget cannot use (a tampered snapshot) shows no time rather than a wrong one.
        match iso_datetime(created_at) {
            Some(iso) => {
                let _ = self.time.set_attribute("datetime", &iso);
            }
            None => {
                let _ = self.time.remove_attribute("datetime");
            }
        }
        self.time
            .set_text_content(Some(&format_when(created_at, &labels.intl_tag)));
        // The state line after the time: replaced whole, it is at most two small elements.
        while let Some(next) = self.time.next_sibling() {
            let _ = self.meta.remove_child(&next);
        }
        let add = |tag: &str, class: &str, text: &str| -> Option<Element> {
            let e = super::dom::child(&self.meta, tag)?;
            e.set_class_name(class);
            super::dom::text_in(&e, text);
            Some(e)
        };
        let s = labels.strings;
        match delivery {
            Some(Delivery::Pending { .. }) => {
                add("span", "state", s.pending);
            }
            // The backend's reason is the console's (the engine warns), not the visitor's.
            Some(Delivery::Failed { .. }) => {
                add("span", "state state-failed", s.failed);
                if let Some(retry) = add("button", "retry", s.retry) {
                    let _ = retry.set_attribute("type", "button");
                    let _ = retry.set_attribute("part", "retry");
                }
            }
            _ => {}
        }
    }
}

/// The rendered messages: every message's row, and elements for those on shown pages.
#[derive(Default)]
struct Rows {
    rows: Vec<Row>,
    /// The `div.page` elements of the shown pages, `first_shown` first.
    pages: Vec<Element>,
    /// The first page shown; the ones before it are not rendered until asked for.
    first_shown: usize,
    /// The engine's edit revision these rows reflect; `None` until first rendered.
    revision: Option<u64>,
    /// Typing and "Seen", which live among the rows' elements.
    presence: Presence,
}

impl Rows {
    /// Brings the DOM up to date with the engine, in `container`; returns whether anything
    /// changed. O(changed messages), not O(conversation).
    fn sync(&mut self, engine: &Engine, container: &Element, labels: &Labels) -> bool {
        let messages = engine.messages();
        let edits = engine.edits();
        // The messages before `from` are known to be unchanged.
        let first_render = self.revision.is_none();
        let from = match self.revision.map_or(Since::Unknown, |r| edits.since(r)) {
            Since::Unchanged => return false,
            Since::From(i) => i.min(self.rows.len()).min(messages.len()),
            Since::Unknown => 0,
        };
        self.revision = Some(edits.revision());
        let mut changed = false;
        // Same messages in the same places: update their state in place.
        let mut first_moved = from;
        for (row, m) in self.rows[from..].iter_mut().zip(&messages[from..]) {
            if row.key != key_of(m) {
                break;
            }
            if row.delivery != m.delivery || row.created_at != m.created_at {
                row.delivery = m.delivery.clone();
                row.created_at = m.created_at;
                if let Some(el) = &row.element {
                    el.show(row.delivery.as_ref(), row.created_at, labels);
                }
                changed = true;
            }
            first_moved += 1;
        }
        if first_moved == self.rows.len() && first_moved == messages.len() {
            return changed;
        }
        // From the first inserted, removed or replaced message on, the elements are re-created.
        for row in self.rows.drain(first_moved..) {
            if let Some(el) = row.element {
                el.root.remove();
            }
        }
        self.rows
            .extend(messages[first_moved..].iter().map(Row::of));
        let page_count = messages.len().div_ceil(PAGE_SIZE);
        if first_render {
            self.first_shown = page_count.saturating_sub(INITIAL_PAGES);
        }
        self.first_shown = self.first_shown.min(page_count);
        while self.pages.len() > page_count - self.first_shown {
            if let Some(page) = self.pages.pop() {
                page.remove();
            }
        }
        let first_rendered = first_moved.max(self.first_shown * PAGE_SIZE);
        for (i, m) in messages.iter().enumerate().skip(first_rendered) {
            self.render(i, m, container, labels);
        }
        true
    }

    /// Renders message `i` at the end of its page, creating the page if needed.
    fn render(&mut self, i: usize, m: &Message, container: &Element, labels: &Labels) {
        let slot = i / PAGE_SIZE - self.first_shown;
        while self.pages.len() <= slot {
            let Some(page) = new_page(container) else {
                return;
            };
            let _ = container.append_child(&page);
            self.pages.push(page);
        }
        let Some(el) = MessageElement::new(m, labels) else {
            return;
        };
        let _ = self.pages[slot].append_child(&el.root);
        self.rows[i].element = Some(el);
    }

    /// Renders the page before the first shown one, above it.
    fn show_earlier(&mut self, messages: &[Message], container: &Element, labels: &Labels) {
        if self.first_shown == 0 {
            return;
        }
        let Some(page) = new_page(container) else {
            return;
        };
        let _ = container.prepend_with_node_1(&page);
        self.first_shown -= 1;
        self.pages.insert(0, page);
        let start = self.first_shown * PAGE_SIZE;
        for i in start..(start + PAGE_SIZE).min(self.rows.len()) {
            if let Some(m) = find(messages, &self.rows[i].key, i) {
                self.render(i, m, container, labels);
            }
        }
    }

    /// Relabels every rendered message in another language or date format.
    fn relabel(&self, messages: &[Message], labels: &Labels) {
        for (i, row) in self.rows.iter().enumerate() {
            if let Some(el) = &row.element {
                if let Some(m) = find(messages, &row.key, i) {
                    el.label(m.author.tag(), labels);
                }
                el.show(row.delivery.as_ref(), row.created_at, labels);
            }
        }
    }

    /// The meta line of the rendered message `key`, if its page is shown.
    fn meta_of(&self, key: &str) -> Option<Element> {
        let row = self.rows.iter().rev().find(|r| r.key == key)?;
        row.element.as_ref().map(|e| e.meta.clone())
    }

    /// The local id of the message whose element contains `node` (a retry button).
    fn local_id_at(&self, node: &web_sys::Node) -> Option<String> {
        self.rows
            .iter()
            .rev()
            .find(|r| {
                r.element
                    .as_ref()
                    .is_some_and(|e| e.root.contains(Some(node)))
            })
            .map(|r| r.key.clone())
    }
}

fn new_page(container: &Element) -> Option<Element> {
    let page = container.owner_document()?.create_element("div").ok()?;
    page.set_class_name("page");
    Some(page)
}

/// The greeting followed by every message, oldest first; keeps the newest in view. `shared`: the
/// engine's messages, labels and dates in the interface language, the open state. The greeting's
/// and the button's texts are written by `super::Widget`.
pub(super) fn message_log(shared: Shared) -> impl IntoView {
    let Shared {
        chat,
        locale,
        intl_tag,
        open,
        ..
    } = shared;
    // Nothing is rendered until the visitor first opens the panel: a long stored conversation
    // then costs the host page nothing at load. After that the panel only hides, and stays
    // rendered. Kept in the render effect below (which follows `open` only until then) rather
    // than in a memo: each memo compiles code of its own.
    let mut opened = false;
    let rows = StoredValue::new_local(Rows::default());
    let log_ref = NodeRef::<leptos::html::Div>::new();
    // Typing and "Seen" as the engine has them, after the messages are up to date.
    let show_presence = move |e: &Engine, strings: &'static Strings| -> bool {
        let Some(log) = log_ref.get_untracked() else {
            return false;
        };
        // Kept with the rows (one stored value rather than two: each type links its own).
        rows.try_update_value(|r| {
            let seen_meta = e.seen_message().and_then(|m| r.meta_of(key_of(m)));
            r.presence.show(&log, e.is_typing(), seen_meta, strings)
        })
        .unwrap_or(false)
    };
    let labels = move || Labels {
        strings: locale.get_untracked(),
        intl_tag: intl_tag.get_untracked(),
    };
    // Whether pages before the shown ones exist (the button shows, the greeting hides), mirrored
    // from `rows` onto the two, first in the log, only on a change. Plain DOM: a signal for it
    // compiled a signal type of its own.
    let mirror_earlier = move |more: bool| {
        let Some(button) = log_ref
            .get_untracked()
            .and_then(|log| log.first_element_child())
        else {
            return;
        };
        if button.has_attribute("hidden") != more {
            return;
        }
        super::dom::toggle(&button, "hidden", (!more).then_some(""));
        if let Some(greeting) = button.next_element_sibling() {
            super::dom::toggle(&greeting, "hidden", more.then_some(""));
        }
    };
    let container_ref = NodeRef::<leptos::html::Div>::new();
    super::watch(move |_| {
        opened = opened || open.get();
        if !opened {
            return;
        }
        let Some(container) = container_ref.get() else {
            return;
        };
        let labels = labels();
        let changed = chat.engine.with(|e| {
            let changed = rows
                .try_update_value(|r| r.sync(e, &container, &labels))
                .unwrap_or(false);
            show_presence(e, labels.strings) || changed
        });
        if changed {
            mirror_earlier(rows.with_value(|r| r.first_shown > 0));
            // Follow the conversation: scroll to the newest message whenever one is added or
            // changes (not when the visitor shows earlier ones).
            request_animation_frame(move || {
                if let Some(log) = log_ref.try_get_untracked().flatten() {
                    log.set_scroll_top(log.scroll_height());
                }
            });
        }
    });
    // A language switch relabels what is shown.
    super::watch(move |first: Option<()>| {
        let labels = Labels {
            strings: locale.get(),
            intl_tag: intl_tag.get(),
        };
        if first.is_some() {
            chat.engine.with_untracked(|e| {
                rows.with_value(|r| r.relabel(e.messages(), &labels));
                let _ = show_presence(e, labels.strings);
            });
        }
    });
    let show_earlier = move || {
        let Some(container) = container_ref.get_untracked() else {
            return;
        };
        let labels = labels();
        chat.engine.with_untracked(|e| {
            rows.update_value(|r| r.show_earlier(e.messages(), &container, &labels))
        });
        let more = rows.with_value(|r| r.first_shown > 0);
        mirror_earlier(more);
        // The button goes once everything is shown: keep keyboard focus in the conversation.
        if !more {
            if let Some(log) = log_ref.get_untracked() {
                let _ = log.focus();
            }
        }
    };
    // One listener for "Show earlier messages" and every Retry of the messages (plain DOM): each
    // `on:click` compiles listener code of its own.
    let clicked = move |ev: web_sys::Event| {
        if super::dom::clicked(&ev, ".earlier").is_some() {
            show_earlier();
        } else if let Some(button) = super::dom::clicked(&ev, ".pages .retry") {
            if let Some(local_id) = rows.with_value(|r| r.local_id_at(&button)) {
                chat.dispatch(Command::Retry { local_id });
            }
        }
    };
    // The listener goes on once the log is mounted (the flag lives in the closure). A plain one
    // rather than `on:click`: Leptos compiles each `on:` of its own, and this closure type is
    // shared with the other plain listeners.
    let mut listening = false;
    super::watch(move |_| {
        let Some(log) = log_ref.get() else {
            return;
        };
        if std::mem::replace(&mut listening, true) {
            return;
        }
        super::dom::listen(&log, "click", clicked);
    });
    view! {
        <div
            part="log"
            role="log"
            aria-live="polite"
            aria-labelledby="hw-title"
            tabindex="0"
            node_ref=log_ref
        >
            // Both stay in the DOM and take turns (`hidden`): cheaper than building one or the
            // other anew, which compiles an `Either` view with its own build and rebuild code.
            // `hidden` until earlier pages exist (`mirror_earlier`).
            <button type="button" class="earlier" hidden=""></button>
            <p class="greeting" dir="auto"></p>
            <div class="pages" node_ref=container_ref></div>
        </div>
    }
}

/// A message's time in the visitor's locale through the browser's `Intl`: the time of day for
/// today's messages, the date and time for older ones. Empty for a time the widget cannot use:
/// `Intl` throws on an invalid date, and nothing on the render path may throw into Rust.
pub(super) fn format_when(ms: f64, tag: &str) -> String {
    if !is_usable_time(ms) {
        return String::new();
    }
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let today = js_sys::Date::new_0();
    let same_day = date.get_full_year() == today.get_full_year()
        && date.get_month() == today.get_month()
        && date.get_date() == today.get_date();
    date_format(tag, same_day)
        .and_then(|f| f.format().call1(&JsValue::NULL, &date).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_default()
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `Intl.DateTimeFormat(tag, options)`, which throws on a malformed tag.
    #[wasm_bindgen(catch, js_namespace = Intl, js_name = DateTimeFormat)]
    fn new_date_format(
        tag: &str,
        options: &js_sys::Object,
    ) -> Result<js_sys::Intl::DateTimeFormat, JsValue>;

    /// A `Date`, for the one call js-sys does not offer catching.
    #[wasm_bindgen(js_name = Date)]
    type IsoDate;

    #[wasm_bindgen(constructor, js_class = "Date")]
    fn new(ms: f64) -> IsoDate;

    /// `Date.prototype.toISOString`, which throws on an invalid or out-of-range date.
    #[wasm_bindgen(catch, method, js_class = "Date", js_name = toISOString)]
    fn to_iso_string(this: &IsoDate) -> Result<String, JsValue>;
}

thread_local! {
    /// The formatters last built, per (tag, today): building one costs far more than using it,
    /// and a long conversation formats thousands of times.
    #[allow(clippy::type_complexity)]
    static DATE_FORMATS: std::cell::RefCell<Vec<(String, bool, Option<js_sys::Intl::DateTimeFormat>)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The formatter for times of today (`same_day`) or of other days, in `tag`; the browser's own
/// locale if `tag` is not one `Intl` accepts, and none if even that throws.
fn date_format(tag: &str, same_day: bool) -> Option<js_sys::Intl::DateTimeFormat> {
    DATE_FORMATS.with_borrow_mut(|cache| {
        if let Some((_, _, f)) = cache.iter().find(|(t, d, _)| t == tag && *d == same_day) {
            return f.clone();
        }
        let options = js_sys::Object::new();
        let set = |k: &str, v: &str| {
            let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
        };
        if same_day {
            set("hour", "numeric");
            set("minute", "2-digit");
        } else {
            set("dateStyle", "medium");
            set("timeStyle", "short");
        }
        // Only the catching constructor: an exception must never unwind through Rust frames.
        let format = new_date_format(tag, &options)
            .or_else(|_| new_date_format("und", &options))
            .ok();
        // A locale switch leaves at most a few stale entries; keep the cache small anyway.
        if cache.len() >= 8 {
            cache.clear();
        }
        cache.push((tag.to_string(), same_day, format.clone()));
        format
    })
}

/// The machine-readable `datetime` of a `<time>`, e.g. `2026-11-23T12:38:00.000Z`, for a usable
/// time only: `Date.toISOString` throws beyond ±8.64e15 ms (and is called catching anyway).
fn iso_datetime(ms: f64) -> Option<String> {
    if !is_usable_time(ms) {
        return None;
    }
    IsoDate::new(ms).to_iso_string().ok()
}
