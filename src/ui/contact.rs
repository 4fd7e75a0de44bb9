//! The contact forms, so support can answer a visitor who has left: the pre-chat form
//! (`data-prechat`), shown instead of the composer until the visitor has given what the site
//! asks for, and the one-line "Get the answer by email" offer after an anonymous visitor's first
//! message (in builds whose backend can still take an email then: `cfg(email_offer)`). Both
//! carry the privacy line (`data-privacy-url`).
//!
//! One small builder of plain DOM (`super::dom`) serves both forms: a form is rebuilt whole only
//! when which form shows (or the language) changes, never while the visitor types. The checks
//! are core's (`helpwire_core::contact`), the words the interface language's.

use super::dom::{child, clicked, set, text_in};
use super::Shared;
use helpwire_core::contact::{check_email, check_name, ContactError, Prechat};
use helpwire_core::engine::{Command, Engine};
use helpwire_core::i18n::Strings;
use leptos::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

/// What the site asked for, from its configuration.
#[derive(Clone, Debug, Default)]
pub struct ContactSettings {
    pub prechat: Prechat,
    /// An http(s) URL (the configuration refuses any other).
    pub privacy_url: Option<String>,
}

/// Which form shows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Form {
    Nothing,
    /// Before the first message, with the fields the visitor has not given yet.
    Prechat {
        name: bool,
        email: bool,
    },
    /// After an anonymous visitor's first message.
    Offer,
}

/// The form the visitor should see now.
fn form_for(engine: &Engine, prechat: Prechat) -> Form {
    let visitor = engine.visitor();
    if !engine.visitor_wrote() {
        let email = prechat != Prechat::None && visitor.email.is_none();
        let name = prechat == Prechat::NameEmail && visitor.name.is_none();
        return if email || name {
            Form::Prechat { name, email }
        } else {
            Form::Nothing
        };
    }
    let anonymous = visitor.email.is_none() && visitor.user_id.is_none();
    if cfg!(email_offer) && anonymous && !engine.offer_dismissed() {
        Form::Offer
    } else {
        Form::Nothing
    }
}

/// The place for the contact forms, just above the composer. `shared`: the engine's state
/// decides the form, the details go to it as [`Command::Contact`]; `settings`: the site's.
pub(super) fn contact(shared: Shared, settings: ContactSettings) -> impl IntoView {
    let Shared {
        chat,
        locale,
        focus,
        ..
    } = shared;
    let prechat = settings.prechat;
    let form = Memo::new(move |_| chat.engine.with(|e| form_for(e, prechat)));
    let root = NodeRef::<leptos::html::Div>::new();
    let privacy = settings.privacy_url;
    super::watch(move |_| {
        let (form, t) = (form.get(), locale.get());
        let (Some(root), Some(composer)) = (root.get(), focus.composer.get()) else {
            return;
        };
        build(&root, form, t, privacy.as_deref());
        // The pre-chat form comes first: the composer waits until it is done.
        if let Some(composer) = composer.parent_element() {
            let _ = match form {
                Form::Prechat { .. } => composer.set_attribute("hidden", ""),
                _ => composer.remove_attribute("hidden"),
            };
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Some(root) = root.get_untracked() else {
            return;
        };
        let t = locale.get_untracked();
        let name = checked(&root, "name", check_name, t);
        let email = checked(&root, "email", check_email, t);
        // The first wrong field takes focus, so its error is read out with it.
        let wrong = [&name, &email]
            .into_iter()
            .flatten()
            .find(|(result, _)| result.is_err());
        if let Some((_, input)) = wrong {
            let _ = input.focus();
            return;
        }
        chat.dispatch(Command::Contact {
            email: email.and_then(|(result, _)| result.ok()),
            name: name.and_then(|(result, _)| result.ok()),
        });
        focus_composer_soon(shared);
    };
    let dismiss = move |ev: leptos::ev::MouseEvent| {
        if clicked(&ev, ".dismiss").is_some() {
            chat.dispatch(Command::DismissOffer);
            focus_composer_soon(shared);
        }
    };
    view! { <div class="contact" node_ref=root on:submit=submit on:click=dismiss></div> }
}

/// Replaces `root`'s content with `form`, worded in `t`.
fn build(root: &Element, form: Form, t: &Strings, privacy: Option<&str>) {
    root.set_text_content(None);
    let (title, submit, name, email) = match form {
        Form::Nothing => return,
        Form::Prechat { name, email } => (t.contact_title, t.contact_submit, name, email),
        Form::Offer => (t.offer, t.offer_submit, false, true),
    };
    let Some(el) = child(root, "form") else {
        return;
    };
    let offer = form == Form::Offer;
    el.set_class_name(if offer { "offer" } else { "prechat" });
    set(&el, "part", "contact");
    // A `form` is a landmark only with a name; the checks and their words are ours, not the browser's.
    set(&el, "aria-labelledby", "hw-contact-title");
    set(&el, "novalidate", "");
    if let Some(heading) = child(&el, "p") {
        set(&heading, "id", "hw-contact-title");
        heading.set_class_name("contact-title");
        text_in(&heading, title);
    }
    if name {
        field(&el, "name", t.name, "text", !offer);
    }
    if email {
        field(&el, "email", t.email, "email", !offer);
    }
    if let Some(button) = child(&el, "button") {
        set(&button, "type", "submit");
        button.set_class_name("send");
        text_in(&button, submit);
    }
    if offer {
        if let Some(button) = child(&el, "button") {
            set(&button, "type", "button");
            button.set_class_name("dismiss");
            text_in(&button, t.dismiss);
        }
    }
    if let Some(url) = privacy {
        if let Some(link) = child(&el, "p")
            .filter(|p| {
                p.set_class_name("privacy");
                true
            })
            .and_then(|p| child(&p, "a"))
        {
            set(&link, "href", url);
            set(&link, "target", "_blank");
            set(&link, "rel", "noopener");
            text_in(&link, t.privacy);
        }
    }
}

/// A labelled input `hw-{id}` with room for its error (`hw-{id}-error`) below; in the one-line
/// offer the label is for assistive technology only (the offer's line says what it is for).
fn field(form: &Element, id: &str, label: &str, kind: &str, visible_label: bool) {
    let Some(row) = child(form, "div") else {
        return;
    };
    row.set_class_name("field");
    if let Some(el) = child(&row, "label") {
        set(&el, "for", &format!("hw-{id}"));
        if !visible_label {
            el.set_class_name("visually-hidden");
        }
        text_in(&el, label);
    }
    if let Some(input) = child(&row, "input") {
        set(&input, "id", &format!("hw-{id}"));
        set(&input, "type", kind);
        set(&input, "name", id);
        set(&input, "autocomplete", id);
        set(&input, "class", "input");
        if kind == "email" {
            set(&input, "spellcheck", "false");
        }
    }
    if let Some(error) = child(&row, "p") {
        set(&error, "id", &format!("hw-{id}-error"));
        error.set_class_name("field-error");
        set(&error, "hidden", "");
    }
}

/// The checked value of field `hw-{id}`, if the form has it, with its error shown or cleared;
/// the input comes back too, to take focus if it is the first wrong one.
fn checked(
    root: &Element,
    id: &str,
    check: fn(&str) -> Result<String, ContactError>,
    t: &Strings,
) -> Option<(Result<String, ContactError>, HtmlElement)> {
    let input = root
        .query_selector(&format!("#hw-{id}"))
        .ok()??
        .dyn_into::<HtmlElement>()
        .ok()?;
    let error = root.query_selector(&format!("#hw-{id}-error")).ok()??;
    // The input's `value` property (what was typed), read without web-sys's input binding.
    let value = js_sys::Reflect::get(&input, &"value".into())
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default();
    let result = check(&value);
    match &result {
        Err(e) => {
            error.set_text_content(Some(t.contact_error(*e)));
            let _ = error.remove_attribute("hidden");
            set(&input, "aria-invalid", "true");
            set(&input, "aria-describedby", &format!("hw-{id}-error"));
        }
        Ok(_) => {
            set(&error, "hidden", "");
            let _ = input.remove_attribute("aria-invalid");
            let _ = input.remove_attribute("aria-describedby");
        }
    }
    Some((result, input))
}

/// Where focus goes on opening the panel: the pre-chat form's first field while it shows (the
/// composer is hidden then), else `None` (the composer).
pub(super) fn prechat_field(composer: &Element) -> Option<HtmlElement> {
    let panel = composer.closest("[hidden]").ok()??.parent_element()?;
    panel
        .query_selector(".prechat input")
        .ok()??
        .dyn_into::<HtmlElement>()
        .ok()
}

/// Moves focus to the composer once the form has gone (a hidden composer cannot take focus).
fn focus_composer_soon(shared: Shared) {
    set_timeout(
        move || {
            if let Some(el) = shared.focus.composer.try_get_untracked().flatten() {
                let _ = el.focus();
            }
        },
        std::time::Duration::ZERO,
    );
}
