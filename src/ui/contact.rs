//! The contact forms, so support can answer a visitor who has left: the pre-chat form
//! (`data-prechat`), shown instead of the composer until the visitor has given what the site
//! asks for, and the one-line "Get the answer by email" offer after an anonymous visitor's first
//! message (in builds whose backend can still take an email then: `cfg(email_offer)`). Both
//! carry the privacy line (`data-privacy-url`).
//!
//! Size decides the shape (README, Performance): no Leptos view or memo, but one table of
//! elements ([`NODES`]) that a short loop turns into plain DOM (`super::dom`) for either form,
//! one render effect (shared with the others) that rebuilds the form only when which form shows
//! or the language changes (never while the visitor types), and two plain listeners of the
//! composer's closure type. The checks are core's (`helpwire_core::contact`), the words the
//! interface language's.

use super::dom::{child, listen, set, text_in, toggle};
use super::Shared;
use helpwire_core::contact::{check_email, check_name, ContactError, Prechat};
use helpwire_core::engine::{Command, Engine};
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// One of core's checks of a field.
type Check = fn(&str) -> Result<String, ContactError>;

/// What the site asked for, from its configuration.
#[derive(Clone, Debug, Default)]
pub struct ContactSettings {
    pub prechat: Prechat,
    /// An http(s) URL (the configuration refuses any other).
    pub privacy_url: Option<String>,
}

/// Which form shows, as the parts it has (0: none).
type Parts = u8;
const NAME: Parts = 1;
const EMAIL: Parts = 2;
/// The pre-chat form (else the offer).
const PRECHAT: Parts = 4;
const OFFER: Parts = 8;
const PRIVACY: Parts = 16;

/// The texts a node can carry, by index: see [`build`].
const TITLE: u8 = 1;
const NAME_LABEL: u8 = 2;
const EMAIL_LABEL: u8 = 3;
const SUBMIT: u8 = 4;
const DISMISS: u8 = 5;
const PRIVACY_LINK: u8 = 6;
const SAVE: u8 = 7;

/// One element: the parts it belongs to (all must show), its parent (an index into this table,
/// or `usize::MAX` for the container), its tag, its attributes (`name=value`, `|` between) and
/// its text (one of the constants above, 0 for none).
type Node = (Parts, usize, &'static str, &'static str, u8);

/// Both forms. Each error line is empty until a check fails; the field names it in
/// `aria-describedby` from the start (an empty description says nothing).
const NODES: [Node; 16] = [
    (0, usize::MAX, "form", "part=contact|aria-labelledby=hw-contact-title|novalidate=", 0),
    (0, 0, "p", "id=hw-contact-title|class=contact-title", TITLE),
    (NAME, 0, "div", "class=field", 0),
    (NAME, 2, "label", "for=hw-name", NAME_LABEL),
    (NAME, 2, "input", "id=hw-name|name=name|autocomplete=name|class=input|aria-describedby=hw-name-error", 0),
    (NAME, 2, "p", "id=hw-name-error|class=field-error", 0),
    (EMAIL, 0, "div", "class=field", 0),
    (EMAIL | PRECHAT, 6, "label", "for=hw-email", EMAIL_LABEL),
    // In the one-line offer, the line says what the field is for; its label is for assistive technology.
    (EMAIL | OFFER, 6, "label", "for=hw-email|class=visually-hidden", EMAIL_LABEL),
    (EMAIL, 6, "input", "id=hw-email|name=email|type=email|autocomplete=email|class=input|aria-describedby=hw-email-error", 0),
    (EMAIL, 6, "p", "id=hw-email-error|class=field-error", 0),
    (PRECHAT, 0, "button", "type=submit|class=send", SUBMIT),
    (OFFER, 0, "button", "type=submit|class=send", SAVE),
    (OFFER, 0, "button", "type=button|class=dismiss", DISMISS),
    (PRIVACY, 0, "p", "class=privacy", 0),
    (PRIVACY, 14, "a", "target=_blank|rel=noopener", PRIVACY_LINK),
];

/// The form the visitor should see now.
fn parts_for(engine: &Engine, prechat: Prechat) -> Parts {
    let visitor = engine.visitor();
    if !engine.visitor_wrote() {
        let mut parts = 0;
        if prechat != Prechat::None && visitor.email.is_none() {
            parts |= EMAIL;
        }
        if prechat == Prechat::NameEmail && visitor.name.is_none() {
            parts |= NAME;
        }
        return if parts == 0 { 0 } else { parts | PRECHAT };
    }
    let anonymous = visitor.email.is_none() && visitor.user_id.is_none();
    if cfg!(email_offer) && anonymous && !engine.offer_dismissed() {
        EMAIL | OFFER
    } else {
        0
    }
}

/// Sets up the contact forms in a `div.contact` just below the composer. `shared`: the
/// engine's state decides the form, the details go to it as [`Command::Contact`]; `settings`:
/// the site's.
pub(super) fn contact(shared: Shared, settings: ContactSettings) {
    let Shared {
        chat,
        locale,
        focus,
        ..
    } = shared;
    let ContactSettings {
        prechat,
        privacy_url,
    } = settings;
    // The container, once the composer is in the page, and what it shows.
    let mut place: Option<Element> = None;
    let mut shown = None;
    super::watch(move |_| {
        let mut parts = chat.engine.with(|e| parts_for(e, prechat));
        let t = locale.get();
        let Some(composer) = focus.composer().and_then(|c| c.parent_element()) else {
            return;
        };
        if shown == Some((parts, t.lang)) {
            return;
        }
        shown = Some((parts, t.lang));
        if place.is_none() {
            place = make_place(&composer, shared);
        }
        let Some(root) = &place else {
            return;
        };
        root.set_text_content(None);
        if parts != 0 {
            if privacy_url.is_some() {
                parts |= PRIVACY;
            }
            let title = if parts & OFFER != 0 {
                t.offer
            } else {
                t.contact_title
            };
            let texts = [title, t.name, t.email, t.send, t.dismiss, t.privacy, t.save];
            build(root, parts, &texts, privacy_url.as_deref().unwrap_or(""));
        }
        // The pre-chat form comes first: the composer waits until it is done.
        toggle_hidden(&composer, parts & PRECHAT != 0);
    });
}

/// Builds the elements of [`NODES`] that belong to `parts` into `root`; `texts[i - 1]` is text
/// `i`, `privacy` the link's address.
fn build(root: &Element, parts: Parts, texts: &[&str; 7], privacy: &str) {
    let mut made: Vec<Option<Element>> = Vec::with_capacity(NODES.len());
    for (needs, parent, tag, attributes, text) in NODES {
        let parent = match parent {
            usize::MAX => Some(root),
            i => made[i].as_ref(),
        };
        let el = parent
            .filter(|_| parts & needs == needs)
            .and_then(|p| child(p, tag));
        if let Some(el) = &el {
            for attribute in attributes.split('|') {
                let (name, value) = attribute.split_once('=').unwrap_or((attribute, ""));
                set(el, name, value);
            }
            if let Some(text) = texts.get(usize::from(text).wrapping_sub(1)) {
                text_in(el, text);
            }
            if tag == "a" {
                set(el, "href", privacy);
            }
        }
        made.push(el);
    }
    if let Some(form) = &made[0] {
        form.set_class_name(if parts & OFFER != 0 {
            "offer"
        } else {
            "prechat"
        });
    }
}

/// The `div.contact` after the composer form (the offer comes after Send in the Tab order),
/// with its listeners.
fn make_place(composer: &Element, shared: Shared) -> Option<Element> {
    let root = composer.owner_document()?.create_element("div").ok()?;
    root.set_class_name("contact");
    composer.after_with_node_1(&root).ok()?;
    let (chat, locale, focus) = (shared.chat, shared.locale, shared.focus);
    let form = root.clone();
    listen(&root, "submit", move |ev| {
        ev.prevent_default();
        let t = locale.get_untracked();
        let checks: [(&str, Check); 2] =
            [("[name=name]", check_name), ("[name=email]", check_email)];
        let mut values = [None, None];
        let mut first_wrong: Option<HtmlElement> = None;
        for ((selector, check), value) in checks.into_iter().zip(&mut values) {
            let Some(input) = form
                .query_selector(selector)
                .ok()
                .flatten()
                .and_then(|el| el.dyn_into::<HtmlElement>().ok())
            else {
                continue;
            };
            // The input's `value` property (what was typed), read without web-sys's input binding.
            let typed = js_sys::Reflect::get(&input, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default();
            let result = check(&typed);
            let error = result.as_ref().err().map(|e| t.contact_error(*e));
            if let Some(line) = input.next_element_sibling() {
                line.set_text_content(error);
            }
            toggle(&input, "aria-invalid", error.is_some().then_some("true"));
            if error.is_some() && first_wrong.is_none() {
                first_wrong = Some(input);
            }
            *value = result.ok();
        }
        // The first wrong field takes focus, so its error is read out with it.
        if let Some(input) = first_wrong {
            let _ = input.focus();
            return;
        }
        let [name, email] = values;
        chat.dispatch(Command::Contact { email, name });
        focus_composer(focus);
    });
    listen(&root, "click", move |ev| {
        let dismiss = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .is_some_and(|el| el.class_name() == "dismiss");
        if dismiss {
            chat.dispatch(Command::DismissOffer);
            focus_composer(focus);
        }
    });
    Some(root)
}

/// Sets (`on`) or removes `el`'s `hidden`.
fn toggle_hidden(el: &Element, on: bool) {
    toggle(el, "hidden", on.then_some("true"));
}

/// Where focus goes on opening the panel while the pre-chat form shows (the composer `el`
/// waits, hidden): the form's first field.
pub(super) fn prechat_field(el: &Element) -> Option<HtmlElement> {
    let composer = el.parent_element().filter(|c| c.has_attribute("hidden"))?;
    composer
        .next_element_sibling()?
        .query_selector("input")
        .ok()??
        .dyn_into::<HtmlElement>()
        .ok()
}

/// Moves focus to the composer, shown at once (the form it waited for is done; the form
/// itself goes at the next render).
fn focus_composer(focus: super::Focus) {
    if let Some(el) = focus.composer_untracked() {
        if let Some(composer) = el.parent_element() {
            toggle_hidden(&composer, false);
        }
        let _ = el.focus();
    }
}
