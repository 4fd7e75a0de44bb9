//! The chat panel: a dialog with a header, the conversation, the contact forms and the composer.

use super::composer::{composer, number};
use super::dom::{child, set, text_in};
use super::message_log::message_log;
use super::{Overrides, Shared};
use helpwire_core::engine::{Command, Notice};
use helpwire_core::i18n::{fill, Strings};
use leptos::prelude::*;
use web_sys::Element;

/// The dialog, hidden until opened (`super::Widget` writes its `hidden` and its texts). Escape or
/// the close button closes it and returns focus to the launcher ([`close_panel`], through the
/// widget's listeners: `super::clicked`, `super::escape_pressed`). `shared`: what the parts inside
/// need; `overrides`: the contact forms' settings.
// Without the contact forms (`cfg(contact)`) nothing of `overrides` is read here.
#[cfg_attr(not(contact), allow(unused_variables))]
pub(super) fn panel(shared: Shared, overrides: Overrides) -> impl IntoView {
    #[cfg(contact)]
    super::contact::contact(shared, overrides.contact);
    #[cfg(conversations)]
    super::conversations::conversations(shared);
    // The same view with or without the list's two static parts (`cfg(conversations)`): an empty
    // child would still cost the other bundles its view code.
    macro_rules! panel_view {
        ([$($back:tt)*] [$($place:tt)*]) => {
            view! {
                <section
                    id="hw-panel"
                    part="panel"
                    class="panel"
                    role="dialog"
                    aria-labelledby="hw-title"
                    hidden
                >
                    <header part="header">
                        $($back)*
                        <h2 id="hw-title" class="title"></h2>
                        <button
                            type="button"
                            part="close"
                        >
                            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                                <path d="M6 6l12 12M18 6L6 18" />
                            </svg>
                        </button>
                    </header>
                    {notice_bar(shared)}
                    {message_log(shared)}
                    $($place)*
                    {composer(shared)}
                </section>
            }
        };
    }
    #[cfg(conversations)]
    let view = panel_view!([{ back_button() }][{ list_place() }]);
    #[cfg(not(conversations))]
    let view = panel_view!([] []);
    view
}

/// Closes the panel and returns focus to the launcher (Escape, or the close button).
pub(super) fn close_panel(shared: Shared) {
    shared.chat.dispatch(Command::Close);
    super::focus_launcher_soon(shared.focus);
}

/// The header's "Back to conversations" (`cfg(conversations)`; named and shown by
/// `super::conversations`): static markup, cheaper in the view than built by DOM calls. The icon:
/// a chevron pointing back (mirrored in right-to-left languages by the stylesheet).
#[cfg(conversations)]
fn back_button() -> impl IntoView {
    view! {
        <button type="button" part="back" hidden>
            <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                <path d="M15 5l-7 7 7 7" />
            </svg>
        </button>
    }
}

/// Where the list of conversations goes, just above the composer (`cfg(conversations)`; filled by
/// `super::conversations`).
#[cfg(conversations)]
fn list_place() -> impl IntoView {
    view! { <div class="conversations"></div> }
}

/// Connection problems and refused messages, announced to assistive technology: a notice is a
/// new element with `role="status"` or `role="alert"`. Plain DOM (`super::dom`) rather than three
/// alternative views, each with compiled build, rebuild and mount code of its own. Every text
/// comes from the interface language; the engine's notice carries no backend words. `shared`: the
/// engine's notice, in the interface language; Retry goes to the engine.
fn notice_bar(shared: Shared) -> impl IntoView {
    let Shared {
        chat,
        locale,
        intl_tag,
        ..
    } = shared;
    let bar = NodeRef::<leptos::html::Div>::new();
    // What the bar shows: rebuilt (and so announced again) only when the notice or the language
    // changes. Kept in the closure rather than a memo of the notice, a memo type of its own.
    let mut shown = None;
    super::watch(move |_| {
        let notice = chat.engine.with(|e| e.notice().copied());
        let (strings, tag) = (locale.get(), intl_tag.get());
        let Some(bar) = bar.get() else {
            return;
        };
        let state = (notice, strings.lang, tag);
        if shown.as_ref() != Some(&state) {
            show_notice(&bar, notice, strings, &state.2);
            shown = Some(state);
        }
    });
    // Retry is clicked through the widget's one listener (`super::clicked`).
    view! { <div class="notices" node_ref=bar></div> }
}

/// Replaces the bar's content with `notice`, if any, worded in `t` (numbers formatted for `tag`).
fn show_notice(bar: &Element, notice: Option<Notice>, t: &Strings, tag: &str) {
    bar.set_text_content(None);
    let Some(notice) = notice else {
        return;
    };
    let (tag_name, class, role) = match notice {
        Notice::Reconnecting => ("p", "notice notice-info", "status"),
        Notice::Unavailable => ("div", "notice notice-error", "alert"),
        Notice::TooLong { .. } => ("p", "notice notice-error", "alert"),
    };
    let Some(el) = child(bar, tag_name) else {
        return;
    };
    el.set_class_name(class);
    set(&el, "part", "notice");
    set(&el, "role", role);
    match notice {
        Notice::Unavailable => {
            if let Some(p) = child(&el, "p") {
                text_in(&p, t.unavailable);
            }
            if let Some(button) = child(&el, "button") {
                button.set_class_name("retry");
                set(&button, "part", "retry");
                set(&button, "type", "button");
                text_in(&button, t.retry);
            }
        }
        Notice::TooLong { limit } => text_in(&el, &fill(t.too_long, "", &number(limit, tag))),
        Notice::Reconnecting => text_in(&el, t.reconnecting),
    }
}
