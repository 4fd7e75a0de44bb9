//! The conversation: a polite live region of messages, in pages keyed so that an append renders
//! one message and a delivery change updates one message in place.

use super::rich_text::fill_bubble;
use super::{IntlTag, Locale};
use crate::chat::driver::Chat;
use crate::chat::edits::Since;
use crate::chat::{Command, Engine};
use crate::model::{Delivery, Message};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// What a rendered message shows that can change without re-creating it: its delivery state
/// (pending → sent, failed → pending) and its time, which the backend may correct on delivery.
#[derive(Clone, Debug, PartialEq)]
struct Live {
    delivery: Option<Delivery>,
    created_at: f64,
}

impl Live {
    fn of(m: &Message) -> Self {
        Live {
            delivery: m.delivery.clone(),
            created_at: m.created_at,
        }
    }

    fn differs_from(&self, m: &Message) -> bool {
        self.delivery != m.delivery || self.created_at != m.created_at
    }
}

/// One rendered message: its key, and its changing part as a signal of its own, so a status
/// change updates that message's state in place and nothing else.
#[derive(Clone)]
struct Row {
    /// The visitor's local id (which outlives the backend id) or the backend id.
    key: String,
    live: ArcRwSignal<Live>,
}

impl Row {
    fn of(m: &Message) -> Self {
        Row {
            key: key_of(m).to_string(),
            live: ArcRwSignal::new(Live::of(m)),
        }
    }
}

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

/// Messages per page of the log. The log is rendered as pages so that a change touches one page:
/// an append diffs at most this many keys.
const PAGE_SIZE: usize = 50;

/// Pages shown when the panel first opens (the newest 51 to 100 messages); the visitor shows
/// earlier ones a page at a time. A long conversation thus opens as fast as a short one, and the
/// browser lays out a hundred messages per frame rather than thousands.
const INITIAL_PAGES: usize = 2;

/// One page's rows, each with its message's position in the conversation.
type PageKeys = ArcRwSignal<Vec<(Row, usize)>>;

/// The rendered list's rows, split into pages, updated from the first message that changed:
/// O(changed messages) of work per engine change, not O(conversation).
#[derive(Default)]
struct Pages {
    rows: Vec<Row>,
    pages: Vec<PageKeys>,
    /// The engine's edit revision these rows reflect.
    revision: Option<u64>,
}

impl Pages {
    /// Brings the rows up to date with the engine; returns whether anything changed.
    fn sync(&mut self, engine: &Engine) -> bool {
        let messages = engine.messages();
        let edits = engine.edits();
        // The messages before `from` are known to be unchanged.
        let from = match self.revision.map_or(Since::Unknown, |r| edits.since(r)) {
            Since::Unchanged => return false,
            Since::From(i) => i.min(self.rows.len()).min(messages.len()),
            Since::Unknown => 0,
        };
        self.revision = Some(edits.revision());
        let mut changed = false;
        // Same messages in the same places: update their state in place.
        let mut first_moved = from;
        for (row, m) in self.rows[from..].iter().zip(&messages[from..]) {
            if row.key != key_of(m) {
                break;
            }
            if row.live.with_untracked(|live| live.differs_from(m)) {
                row.live.set(Live::of(m));
                changed = true;
            }
            first_moved += 1;
        }
        if first_moved == self.rows.len() && first_moved == messages.len() {
            return changed;
        }
        // From the first inserted, removed or replaced message on, the pages are rebuilt.
        self.rows.truncate(first_moved);
        self.rows
            .extend(messages[first_moved..].iter().map(Row::of));
        let page_count = messages.len().div_ceil(PAGE_SIZE);
        self.pages.truncate(page_count);
        for page in first_moved / PAGE_SIZE..page_count {
            let start = page * PAGE_SIZE;
            let end = (start + PAGE_SIZE).min(self.rows.len());
            let rows: Vec<_> = (start..end).map(|i| (self.rows[i].clone(), i)).collect();
            match self.pages.get(page) {
                Some(signal) => signal.set(rows),
                None => self.pages.push(ArcRwSignal::new(rows)),
            }
        }
        true
    }
}

/// The greeting followed by every message, oldest first; keeps the newest in view.
#[component]
pub fn MessageLog(
    /// Site-provided greeting; the localized default otherwise.
    greeting: Option<String>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let locale = expect_context::<Locale>();
    // Nothing is rendered until the visitor first opens the panel: a long stored conversation
    // then costs the host page nothing at load. After that the panel only hides, and stays rendered.
    let opened = Memo::new(move |was: Option<&bool>| {
        was.copied().unwrap_or(false) || chat.engine.with(|e| e.is_open())
    });
    let pages = StoredValue::new_local(Pages::default());
    let page_count = RwSignal::new(0usize);
    // The first page shown; decided when the log is first rendered.
    let first_shown = RwSignal::new(None::<usize>);
    // Bumped on every change of the list, for the scroll below.
    let revision = RwSignal::new(0u64);
    Effect::new(move |_| {
        if !opened.get() {
            return;
        }
        let changed = chat.engine.with(|e| {
            pages
                .try_update_value(|p| p.sync(e).then_some(p.pages.len()))
                .flatten()
        });
        if let Some(count) = changed {
            if first_shown.get_untracked().is_none() {
                first_shown.set(Some(count.saturating_sub(INITIAL_PAGES)));
            }
            if page_count.get_untracked() != count {
                page_count.set(count);
            }
            revision.update(|r| *r += 1);
        }
    });
    let shown = move || {
        let count = page_count.get();
        first_shown.get().unwrap_or(0).min(count)..count
    };
    let log_ref = NodeRef::<leptos::html::Div>::new();
    let show_earlier = move |_| {
        first_shown.update(|first| {
            if let Some(f) = first {
                *f = (*f).min(page_count.get_untracked()).saturating_sub(1);
            }
        });
        // The button goes once everything is shown: keep keyboard focus in the conversation.
        if first_shown.get_untracked() == Some(0) {
            if let Some(log) = log_ref.get_untracked() {
                let _ = log.focus();
            }
        }
    };
    // Follow the conversation: scroll to the newest message whenever one is added or changes
    // (not when the visitor shows earlier ones).
    Effect::new(move |_| {
        revision.track();
        request_animation_frame(move || {
            if let Some(log) = log_ref.try_get_untracked().flatten() {
                log.set_scroll_top(log.scroll_height());
            }
        });
    });
    let greeting = move || {
        greeting
            .clone()
            .unwrap_or_else(|| locale.get().greeting.to_string())
    };
    let page_keys = move |page: usize| {
        pages
            .with_value(|p| p.pages.get(page).cloned())
            .unwrap_or_default()
    };
    view! {
        <div
            part="log"
            class="log"
            role="log"
            aria-live="polite"
            aria-labelledby="hw-title"
            tabindex="0"
            node_ref=log_ref
        >
            <Show
                when=move || { shown().start > 0 }
                fallback=move || view! { <p class="greeting" dir="auto">{greeting.clone()}</p> }
            >
                <button type="button" class="earlier" on:click=show_earlier>
                    {move || locale.get().earlier}
                </button>
            </Show>
            <For
                each=shown
                key=|page| *page
                children=move |page| view! { <MessagePage keys=page_keys(page) /> }
            />
        </div>
    }
}

/// One page of messages; re-diffed only when one of its own messages changes.
#[component]
fn MessagePage(
    /// This page's keys and positions, kept up to date by the log.
    keys: PageKeys,
) -> impl IntoView {
    view! {
        <div class="page">
            <For
                each=move || keys.get()
                key=|(row, _)| row.key.clone()
                children=move |(row, index)| {
                    view! { <MessageItem key=row.key index=index live=row.live /> }
                }
            />
        </div>
    }
}

/// One message bubble with its author, time and, for the visitor's own, delivery state.
#[component]
fn MessageItem(
    /// The message's local id (the visitor's own) or backend id.
    key: String,
    /// Its position when the list was diffed; checked, then searched for if it moved.
    index: usize,
    /// Its delivery state and time, updated in place.
    live: ArcRwSignal<Live>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let locale = expect_context::<Locale>();
    let intl_tag = expect_context::<IntlTag>();
    let Some(m) = chat
        .engine
        .with_untracked(|e| find(e.messages(), &key, index).cloned())
    else {
        return ().into_any();
    };
    let author = m.author.tag();
    let part = if author == "visitor" {
        "message message-visitor"
    } else {
        "message message-agent"
    };
    let name = m.author.name().map(crate::richtext::strip_controls);
    let who = move || match (&name, author) {
        (Some(n), _) => n.clone(),
        (None, "visitor") => locale.get().you.to_string(),
        (None, _) => locale.get().support.to_string(),
    };
    let status = {
        let live = live.clone();
        move || live.with(|l| l.delivery.as_ref().map(Delivery::tag))
    };
    let time = {
        let live = live.clone();
        move || format_when(live.with(|l| l.created_at), &intl_tag.get())
    };
    let datetime = {
        let live = live.clone();
        move || iso_datetime(live.with(|l| l.created_at))
    };
    let local_id = m.local_id.clone().unwrap_or_default();
    let state = move || match live.with(|l| l.delivery.clone()) {
        Some(Delivery::Pending { .. }) => {
            Some(view! { <span class="state">{move || locale.get().pending}</span> }.into_any())
        }
        Some(Delivery::Failed { reason }) => {
            let local_id = local_id.clone();
            Some(
                view! {
                    <span class="state state-failed" title=reason>
                        {move || locale.get().failed}
                    </span>
                    <button
                        type="button"
                        class="retry"
                        on:click=move |_| chat.dispatch(Command::Retry { local_id: local_id.clone() })
                    >
                        {move || locale.get().retry}
                    </button>
                }
                .into_any(),
            )
        }
        _ => None,
    };
    // The log is a polite live region: support's messages are announced as they arrive; the
    // visitor's own are not (they just wrote them), so their subtree opts out.
    let live_region = (author == "visitor").then_some("off");
    view! {
        <div class="message" part=part data-author=author data-status=status aria-live=live_region>
            <span class="author">{who}</span>
            <div class="bubble" use:fill_bubble=(m.body, m.attachments)></div>
            <span class="meta">
                <time class="time" datetime=datetime>{time}</time>
                {state}
            </span>
        </div>
    }
    .into_any()
}

/// A message's time in the visitor's locale through the browser's `Intl`: the time of day for
/// today's messages, the date and time for older ones.
fn format_when(ms: f64, tag: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(ms));
    let today = js_sys::Date::new_0();
    let same_day = date.get_full_year() == today.get_full_year()
        && date.get_month() == today.get_month()
        && date.get_date() == today.get_date();
    date_format(tag, same_day)
        .format()
        .call1(&JsValue::NULL, &date)
        .ok()
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
}

thread_local! {
    /// The formatters last built, per (tag, today): building one costs far more than using it,
    /// and a long conversation formats thousands of times.
    static DATE_FORMATS: std::cell::RefCell<Vec<(String, bool, js_sys::Intl::DateTimeFormat)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The formatter for times of today (`same_day`) or of other days, in `tag`; the browser's own
/// locale if `tag` is not one `Intl` accepts.
fn date_format(tag: &str, same_day: bool) -> js_sys::Intl::DateTimeFormat {
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
        let format = new_date_format(tag, &options)
            .or_else(|_| new_date_format("und", &options))
            .unwrap_or_else(|_| js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &options));
        // A locale switch leaves at most a few stale entries; keep the cache small anyway.
        if cache.len() >= 8 {
            cache.clear();
        }
        cache.push((tag.to_string(), same_day, format.clone()));
        format
    })
}

/// The machine-readable `datetime` of a `<time>`, e.g. `2026-11-23T12:38:00.000Z`.
fn iso_datetime(ms: f64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .into()
}
