//! The launcher button in the page corner, with the unread badge.

use leptos::prelude::*;

/// Opens and closes the panel; shows how many support messages are unread. Clicks and Escape
/// reach it through the widget's listeners (`super::clicked`, `super::escape_pressed`).
/// `super::Widget` writes its name, its `aria-expanded` and the badge (its count and `hidden`).
pub(super) fn launcher() -> impl IntoView {
    view! {
        <button
            type="button"
            part="launcher"
            class="launcher"
            aria-controls="hw-panel"
            aria-expanded="false"
        >
            <svg class="icon icon-chat" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
            </svg>
            <svg class="icon icon-close" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M6 6l12 12M18 6L6 18" />
            </svg>
        </button>
        // Beside the button, not inside it: the count is already in the button's name, and text
        // inside a button that its name does not contain confuses voice control ("99+").
        <span part="badge" aria-hidden="true" hidden></span>
    }
}
