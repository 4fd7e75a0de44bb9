//! The composer: a labelled text box and a send button. Enter sends, Shift+Enter adds a line.
//!
//! The text stays in the box until the engine has taken it into the outbox. Near the backend's
//! limit a counter shows; over it Send is off (`aria-disabled`, described by the visible reason)
//! and Enter does nothing, so nothing the visitor wrote is ever thrown away.

use super::Shared;
use crate::chat::engine::message_chars;
use crate::chat::Command;
use crate::i18n::fill;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Writes and sends a message.
#[component]
pub fn Composer(
    /// Sends through the engine; labels in the interface language; the composer's focus target.
    shared: Shared,
) -> impl IntoView {
    let Shared {
        chat,
        locale,
        focus,
        intl_tag,
        ..
    } = shared;
    let limit = chat
        .engine
        .with_untracked(|e| e.capabilities().max_message_chars);
    // Characters in the box, counted as the engine counts them; updated on every input.
    let length = RwSignal::new(0usize);
    // The counter shows from 90 % of the limit.
    let near = Memo::new(move |_| length.get().saturating_mul(10) >= limit.saturating_mul(9));
    let over = Memo::new(move |_| length.get() > limit);
    let measure = move || {
        if let Some(input) = focus.composer.get_untracked() {
            length.set(message_chars(&input.value()));
        }
    };
    let send = move || {
        let Some(input) = focus.composer.get_untracked() else {
            return;
        };
        let text = input.value();
        let chars = message_chars(&text);
        length.set(chars);
        if chars == 0 || chars > limit {
            return;
        }
        let local_id = crate::browser::random_id("m");
        chat.dispatch(Command::Send {
            text,
            local_id: local_id.clone(),
        });
        // Let go of the text only once it is safe in the outbox.
        if chat.engine.with_untracked(|e| e.accepted(&local_id)) {
            input.set_value("");
            length.set(0);
        }
        let _ = input.focus();
    };
    let max = move || number(limit, &intl_tag.get());
    let count = move || {
        fill(
            locale.get().count,
            &number(length.get(), &intl_tag.get()),
            &max(),
        )
    };
    // A polite status whose text changes only when the text crosses 90 % or the limit, not on
    // every keystroke: near, a hidden hint; over, the visible reason Send is off.
    let status = move || {
        let t = locale.get();
        if over.get() {
            fill(t.too_long, "", &max())
        } else if near.get() {
            fill(t.near_limit, "", &max())
        } else {
            String::new()
        }
    };
    view! {
        <form
            part="composer"
            class="composer"
            on:submit=move |ev| {
                ev.prevent_default();
                send();
            }
        >
            <label for="hw-input" class="visually-hidden">{move || locale.get().composer_label}</label>
            <textarea
                id="hw-input"
                class="input"
                rows="1"
                enterkeyhint="send"
                placeholder=move || locale.get().composer_placeholder
                aria-describedby=move || near.get().then_some("hw-count hw-limit")
                aria-invalid=move || over.get().then_some("true")
                node_ref=focus.composer
                on:input=move |_| measure()
                on:keydown=move |ev| {
                    // Not while an input method is composing (Japanese, Chinese…): Enter confirms there.
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            // `aria-disabled`, not `disabled`: the button stays focusable, so its reason is heard.
            <button
                type="submit"
                part="send"
                class="send"
                aria-disabled=move || over.get().then_some("true")
                aria-describedby=move || over.get().then_some("hw-limit")
            >
                {move || locale.get().send}
            </button>
            <p id="hw-count" class="count" hidden=move || !near.get()>{count}</p>
            <p
                id="hw-limit"
                class=move || if over.get() { "limit" } else { "limit visually-hidden" }
                role="status"
            >
                {status}
            </p>
        </form>
    }
}

/// `n` with the grouping of the visitor's locale (`5,000`, `5.000`, `٥٬٠٠٠`); plain digits if
/// the browser refuses the tag.
pub(super) fn number(n: usize, tag: &str) -> String {
    JsValue::from_f64(n as f64)
        .unchecked_into::<JsNumber>()
        .to_locale_string(tag)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| n.to_string())
}

#[wasm_bindgen]
extern "C" {
    /// A JavaScript number.
    type JsNumber;
    /// `Number.prototype.toLocaleString(tag)`, which throws on a malformed tag.
    #[wasm_bindgen(catch, method, js_name = toLocaleString)]
    fn to_locale_string(this: &JsNumber, tag: &str) -> Result<JsValue, JsValue>;
}
