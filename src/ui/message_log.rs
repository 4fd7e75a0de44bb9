//! The conversation: a polite live region of messages, keyed so an append renders one message.

use super::rich_text::{Attachments, MessageBody};
use super::Locale;
use crate::chat::driver::Chat;
use crate::chat::Command;
use crate::model::{Delivery, Message};
use leptos::prelude::*;

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

fn find<'a>(messages: &'a [Message], key: &str) -> Option<&'a Message> {
    messages
        .iter()
        .rev()
        .find(|m| m.local_id.as_deref() == Some(key) || m.id == key)
}

/// The greeting followed by every message, oldest first; keeps the newest in view.
#[component]
pub fn MessageLog(
    /// Site-provided greeting; the localized default otherwise.
    greeting: Option<String>,
) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let locale = expect_context::<Locale>();
    let keys = Memo::new(move |_| {
        chat.engine
            .with(|e| e.messages().iter().map(MessageKey::of).collect::<Vec<_>>())
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
            <p class="greeting">{greeting}</p>
            <For each=move || keys.get() key=|k| k.clone() let:k>
                <MessageItem key=k.id />
            </For>
        </div>
    }
}

/// One message bubble with its author, time and, for the visitor's own, delivery state.
#[component]
fn MessageItem(key: String) -> impl IntoView {
    let chat = expect_context::<Chat>();
    let locale = expect_context::<Locale>();
    let Some(m) = chat
        .engine
        .with_untracked(|e| find(e.messages(), &key).cloned())
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
    let time = crate::browser::format_time(m.created_at, locale.get_untracked().lang);
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
    view! {
        <div class="message" part=part data-author=author data-status=status>
            <span class="author">{who}</span>
            <div class="bubble">
                <MessageBody body=m.body.clone() />
                <Attachments items=m.attachments.clone() />
            </div>
            <span class="meta">
                <time class="time">{time}</time>
                {state}
            </span>
        </div>
    }
    .into_any()
}
