//! The conversation: a polite live region of messages, keyed so an append renders one message.

use super::rich_text::{Attachments, MessageBody};
use super::{IntlTag, Locale};
use crate::chat::driver::Chat;
use crate::chat::Command;
use crate::model::{Delivery, Message};
use leptos::prelude::*;
use wasm_bindgen::JsValue;

/// Identifies one rendered message. A status change makes a new key, so only that message
/// re-renders; the visitor's messages are keyed by their local id, which outlives the backend id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct MessageKey {
    id: String,
    status: &'static str,
}

impl MessageKey {
    fn of(m: &Message) -> Self {
        MessageKey {
            id: m.local_id.clone().unwrap_or_else(|| m.id.clone()),
            status: m.delivery.as_ref().map_or("", Delivery::tag),
        }
    }
}

/// The message `key` names: at `index` (where it was when the list was diffed, O(1)), or by search.
fn find<'a>(messages: &'a [Message], key: &str, index: usize) -> Option<&'a Message> {
    let is = |m: &&Message| m.local_id.as_deref() == Some(key) || m.id == key;
    messages
        .get(index)
        .filter(is)
        .or_else(|| messages.iter().rev().find(is))
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
    // Keys with each message's position, so a new item finds its message without a search.
    let keys = Memo::new(move |_| {
        if !opened.get() {
            return Vec::new();
        }
        chat.engine.with(|e| {
            e.messages()
                .iter()
                .enumerate()
                .map(|(i, m)| (MessageKey::of(m), i))
                .collect::<Vec<_>>()
        })
    });
    let log_ref = NodeRef::<leptos::html::Div>::new();
    // Follow the conversation: scroll to the newest message whenever one is added or changes.
    Effect::new(move |_| {
        keys.track();
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
            <p class="greeting" dir="auto">{greeting}</p>
            <For
                each=move || keys.get()
                key=|(k, _)| k.clone()
                children=move |(k, index)| view! { <MessageItem key=k.id index=index /> }
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
    let status = m.delivery.as_ref().map(Delivery::tag);
    let name = m.author.name().map(crate::richtext::strip_controls);
    let who = move || match (&name, author) {
        (Some(n), _) => n.clone(),
        (None, "visitor") => locale.get().you.to_string(),
        (None, _) => locale.get().support.to_string(),
    };
    let created_at = m.created_at;
    let time = move || format_when(created_at, &intl_tag.get());
    let datetime = iso_datetime(created_at);
    let state = match &m.delivery {
        Some(Delivery::Pending { .. }) => {
            Some(view! { <span class="state">{move || locale.get().pending}</span> }.into_any())
        }
        Some(Delivery::Failed { reason }) => {
            let local_id = m.local_id.clone().unwrap_or_default();
            Some(
                view! {
                    <span class="state state-failed" title=reason.clone()>
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
    let live = (author == "visitor").then_some("off");
    view! {
        <div class="message" part=part data-author=author data-status=status aria-live=live>
            <span class="author">{who}</span>
            <div class="bubble">
                <MessageBody body=m.body.clone() />
                <Attachments items=m.attachments.clone() />
            </div>
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
    let options = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&options, &k.into(), &v.into());
    };
    if same_day {
        set("hour", "numeric");
        set("minute", "2-digit");
        date.to_locale_time_string_with_options(tag, &options)
            .into()
    } else {
        set("dateStyle", "medium");
        set("timeStyle", "short");
        date.to_locale_string(tag, &options).into()
    }
}

/// The machine-readable `datetime` of a `<time>`, e.g. `2026-11-23T12:38:00.000Z`.
fn iso_datetime(ms: f64) -> String {
    js_sys::Date::new(&JsValue::from_f64(ms))
        .to_iso_string()
        .into()
}
