//! The composer: a labelled text box and a send button. Enter sends, Shift+Enter adds a line.

use super::Shared;
use crate::chat::Command;
use leptos::prelude::*;

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
        ..
    } = shared;
    let send = move || {
        let Some(input) = focus.composer.get_untracked() else {
            return;
        };
        let text = input.value();
        if text.trim().is_empty() {
            return;
        }
        input.set_value("");
        chat.dispatch(Command::Send {
            text,
            local_id: crate::browser::random_id("m"),
        });
        let _ = input.focus();
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
                node_ref=focus.composer
                on:keydown=move |ev| {
                    // Not while an input method is composing (Japanese, Chinese…): Enter confirms there.
                    if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                        ev.prevent_default();
                        send();
                    }
                }
            ></textarea>
            <button type="submit" part="send" class="send">
                {move || locale.get().send}
            </button>
        </form>
    }
}
