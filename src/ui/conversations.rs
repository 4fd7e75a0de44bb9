//! Several conversations (`cfg(conversations)`): the visitor's list, which takes the
//! conversation's place in the panel ("Your conversations", newest activity first, each a button
//! that opens it, and "New conversation"), the header's "Back to conversations", and in a
//! conversation support closed, "Start a new conversation" in place of the composer.
//!
//! Plain DOM (`super::dom`), like the notice bar and the contact forms: one render effect rebuilds
//! the container when what it shows changes, one listener on the panel serves every button. The
//! panel carries `data-view="list"` while the list shows, from which the stylesheet hides the log
//! and the composer, and `data-closed` while a closed conversation shows, from which it hides the
//! composer. The engine decides; this only shows and dispatches.

use super::dom::{child, clicked, set, text_in, toggle};
use super::message_log::format_when;
use super::Shared;
use helpwire_core::engine::conversations::Summary;
use helpwire_core::engine::Command;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// What the container shows: whether the list is up, whether the visitor may switch, whether
/// the conversation on screen is closed, the list, and the language and date tag it is worded in.
type Shown = (bool, bool, bool, Vec<Summary>, &'static str, String);

/// Sets up the list, its container just above the composer and the header's "Back to
/// conversations" (hidden while the list shows or while there is nothing to go back to).
/// `shared`: the engine decides what shows; the buttons dispatch to it.
pub(super) fn conversations(shared: Shared) {
    let Shared {
        chat,
        locale,
        intl_tag,
        focus,
        ..
    } = shared;
    let mut place: Option<(Element, Element)> = None;
    let mut shown: Option<Shown> = None;
    super::watch(move |_| {
        let (listing, can_switch, closed, list) = chat.engine.with(|e| {
            (
                e.is_listing(),
                e.can_switch(),
                e.is_closed(),
                e.conversations(),
            )
        });
        let (t, tag) = (locale.get(), intl_tag.get());
        let Some(composer) = focus.composer().and_then(|c| c.parent_element()) else {
            return;
        };
        if place.is_none() {
            place = make_place(&composer, chat);
        }
        let Some((root, back)) = &place else {
            return;
        };
        let was_listing = shown.as_ref().is_some_and(|s| s.0);
        let state = (listing, can_switch, closed, list, t.lang, tag);
        if shown.as_ref() == Some(&state) {
            return;
        }
        let (_, _, _, list, _, tag) = &state;
        let read_only = closed && !listing;
        // Where the visitor's focus is, before what holds it may go: the composer (about to
        // hide in a closed conversation) or this container's buttons (rebuilt below).
        let in_composer = composer.matches(":focus-within").unwrap_or(false);
        let in_here = root.matches(":focus-within").unwrap_or(false);
        toggle(back, "hidden", (listing || list.is_empty()).then_some(""));
        set(back, "aria-label", t.back);
        if let Some(panel) = root.parent_element() {
            toggle(&panel, "data-view", listing.then_some("list"));
            toggle(&panel, "data-closed", read_only.then_some(""));
        }
        root.set_text_content(None);
        if listing {
            show_list(root, list, can_switch, t, tag);
        } else if read_only {
            if let Some(button) = child(root, "button") {
                new_conversation_button(&button, t.start_new, can_switch);
            }
            if !can_switch {
                still_sending(root, t);
            }
        }
        // Focus follows the view: into the list when it opens, back to the conversation after
        // (its composer, or the button that stands in for it in a closed one).
        if (listing && !was_listing) || (read_only && (was_listing || in_composer)) {
            focus_first(root);
        } else if !listing && !read_only && (was_listing || in_here) {
            if let Some(composer) = focus.composer_untracked() {
                let _ = composer.focus();
            }
        }
        shown = Some(state);
    });
}

/// The container (before the composer) and the back button (first in the header), both in the
/// panel's markup (`super::panel`), with one click listener on the panel for every button of
/// theirs.
fn make_place(composer: &Element, chat: crate::web::driver::Chat) -> Option<(Element, Element)> {
    let panel = composer.parent_element()?;
    let root = panel.query_selector(".conversations").ok()??;
    let back = panel.query_selector("[part=back]").ok()??;
    super::dom::listen(&panel, "click", move |ev| {
        if let Some(item) = clicked(&ev, "[data-conversation]") {
            let id = item.get_attribute("data-conversation").unwrap_or_default();
            chat.dispatch(Command::OpenConversation(id));
        } else if clicked(&ev, "[part=new-conversation]").is_some() {
            chat.dispatch(Command::NewConversation);
        } else if clicked(&ev, "[part=back]").is_some() {
            chat.dispatch(Command::ShowConversations);
        }
    });
    Some((root, back))
}

/// "Your conversations": one button per conversation, named by its last message's text, with
/// what is unread and its time; then "New conversation" (or why switching must wait).
fn show_list(
    root: &Element,
    list: &[Summary],
    can_switch: bool,
    t: &helpwire_core::i18n::Strings,
    tag: &str,
) {
    let Some(section) = child(root, "div") else {
        return;
    };
    section.set_class_name("list");
    set(&section, "part", "conversations");
    if let Some(heading) = child(&section, "p") {
        set(&heading, "id", "hw-list-title");
        heading.set_class_name("list-title");
        text_in(&heading, t.conversations);
    }
    let Some(ul) = child(&section, "ul") else {
        return;
    };
    set(&ul, "aria-labelledby", "hw-list-title");
    for s in list {
        let Some(li) = child(&ul, "li") else {
            continue;
        };
        if s.current {
            set(&li, "data-current", "");
        }
        if s.closed {
            set(&li, "data-closed", "");
        }
        let Some(button) = child(&li, "button") else {
            continue;
        };
        set(&button, "type", "button");
        set(&button, "part", "conversation");
        set(&button, "data-conversation", &s.id);
        if s.current {
            set(&button, "aria-current", "true");
        }
        if !can_switch && !s.current {
            set(&button, "aria-disabled", "true");
            set(&button, "aria-describedby", "hw-still-sending");
        }
        if let Some(preview) = child(&button, "span") {
            preview.set_class_name("preview");
            // The visitor's or support's words, in whichever direction they were written.
            set(&preview, "dir", "auto");
            text_in(
                &preview,
                if s.preview.is_empty() {
                    t.title
                } else {
                    &s.preview
                },
            );
        }
        if s.unread > 0 {
            set(&li, "data-unread", "");
            if let Some(marker) = child(&button, "span") {
                marker.set_class_name("unread");
                text_in(&marker, &t.unread_label(s.unread));
            }
        }
        if s.closed {
            if let Some(marker) = child(&button, "span") {
                marker.set_class_name("closed");
                text_in(&marker, t.closed);
            }
        }
        if let Some(meta) = child(&button, "span") {
            meta.set_class_name("meta");
            text_in(&meta, &format_when(s.at, tag));
        }
    }
    if let Some(button) = child(&section, "button") {
        new_conversation_button(&button, t.new_conversation, can_switch);
    }
    if !can_switch {
        still_sending(&section, t);
    }
}

/// Why the visitor cannot leave yet (a message of theirs is still on its way): the description
/// of every button that waits for it.
fn still_sending(parent: &Element, t: &helpwire_core::i18n::Strings) {
    if let Some(hint) = child(parent, "p") {
        set(&hint, "id", "hw-still-sending");
        hint.set_class_name("hint");
        text_in(&hint, t.still_sending);
    }
}

/// "New conversation" after the list, or "Start a new conversation" in place of a closed
/// conversation's composer (`part=new-conversation` both, one listener): `aria-disabled` and
/// described by the reason while the visitor cannot switch.
fn new_conversation_button(button: &Element, name: &str, can_switch: bool) {
    set(button, "type", "button");
    button.set_class_name("send new-conversation");
    set(button, "part", "new-conversation");
    text_in(button, name);
    if !can_switch {
        set(button, "aria-disabled", "true");
        set(button, "aria-describedby", "hw-still-sending");
    }
}

/// The button in place of the composer of a closed conversation, if it shows (opening the panel
/// focuses it instead of the hidden composer).
pub(super) fn start_new_button(composer: &Element) -> Option<HtmlElement> {
    let panel = composer.parent_element()?.parent_element()?;
    let button = panel
        .query_selector("[data-closed] > .conversations > button")
        .ok()??;
    // A `button`: always an HTML element.
    Some(button.unchecked_into())
}

/// Focuses the first button in `root`.
fn focus_first(root: &Element) {
    if let Some(el) = root
        .query_selector("button")
        .ok()
        .flatten()
        // A `button`: always an HTML element.
        .map(|el| el.unchecked_into::<HtmlElement>())
    {
        let _ = el.focus();
    }
}
