//! The composer: a labelled text box and a send button. Enter sends, Shift+Enter adds a line.
//!
//! The text stays in the box until the engine has taken it into the outbox. Near the backend's
//! limit a counter shows; over it Send is off (`aria-disabled`, described by the visible reason)
//! and Enter does nothing, so nothing the visitor wrote is ever thrown away.

use super::dom::{child, set, toggle};
use super::Shared;
use helpwire_core::engine::message_chars;
use helpwire_core::i18n::fill;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::Element;

/// Writes and sends a message. `shared`: sends through the engine; labels in the interface
/// language; the composer's focus target.
pub(super) fn composer(shared: Shared) -> impl IntoView {
    let Shared {
        chat,
        locale,
        focus,
        intl_tag,
        ..
    } = shared;
    let room = Room {
        focus,
        limit: chat
            .engine
            .with_untracked(|e| e.capabilities().max_message_chars),
        locale,
        intl_tag,
    };
    let send = move || {
        let Some(input) = focus.composer_untracked() else {
            return;
        };
        let text = input.value();
        let chars = message_chars(&text);
        if chars == 0 || chars > room.limit {
            room.show(false);
            return;
        }
        // Let go of the text only once it is safe in the outbox.
        if chat.send(text) {
            input.set_value("");
            room.show(false);
        }
        let _ = input.focus();
    };
    // Follows the text from its first render (an `input` listener: every typing, pasting or
    // input-method change) and is reworded when the language changes. The flag lives in the
    // closure: a `watch` returning `()` shares its compiled render effect with the others.
    let mut listening = false;
    super::watch(move |_| {
        locale.track();
        intl_tag.track();
        let Some(input) = focus.composer() else {
            return;
        };
        if !listening {
            listening = true;
            // The test hook (README, DOM and test contract), set here rather than in the view:
            // one more view attribute compiles more code than this call.
            super::dom::set(&input, "part", "input");
            super::dom::listen(&input, "input", move |_| room.show(false));
            // Enter sends, Shift+Enter adds a line; not while an input method is composing
            // (Japanese, Chinese…): Enter confirms there.
            super::dom::listen(&input, "keydown", move |ev| {
                let Some(key) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
                    return;
                };
                if key.key() == "Enter" && !key.shift_key() && !key.is_composing() {
                    ev.prevent_default();
                    send();
                }
            });
            if let Some(form) = input.parent_element() {
                super::dom::listen(&form, "submit", move |ev| {
                    ev.prevent_default();
                    send();
                });
            }
        }
        room.show(true);
    });
    view! {
        <form part="composer">
            <label for="hw-input" class="visually-hidden"></label>
            <textarea
                id="hw-input"
                class="input"
                rows="1"
                enterkeyhint="send"
            ></textarea>
            <button type="submit" part="send"></button>
        </form>
    }
}

/// How much room the text has left: the counter, the status and the attributes that follow the
/// length. Plain DOM (`super::dom`) updated from the input event, not reactive attributes and
/// elements: each of those compiles its own view code, and the state is the DOM's anyway.
#[derive(Clone, Copy)]
struct Room {
    /// Where the text box is found.
    focus: super::Focus,
    /// The backend's [`helpwire_core::protocol::Capabilities::max_message_chars`].
    limit: usize,
    locale: super::Locale,
    intl_tag: super::IntlTag,
}

impl Room {
    /// Measures the text as the engine does and shows where it stands: from 90 % of the limit
    /// the counter; over it Send off (`aria-disabled`, so it stays focusable and its reason is
    /// heard) with the visible reason. The polite status changes only when the text crosses
    /// 90 % or the limit (or `relabel`: the language changed), never on every keystroke.
    fn show(self, relabel: bool) {
        let Some(input) = self.focus.composer_untracked() else {
            return;
        };
        let Some((send, count, status)) = parts(&input) else {
            return;
        };
        let (t, tag) = (self.locale.get_untracked(), self.intl_tag.get_untracked());
        let n = message_chars(&input.value());
        let near = n.saturating_mul(10) >= self.limit.saturating_mul(9);
        let over = n > self.limit;
        let max = number(self.limit, &tag);
        if near {
            count.set_text_content(Some(&fill(t.count, &number(n, &tag), &max)));
        }
        let was = (
            !count.has_attribute("hidden"),
            send.has_attribute("aria-disabled"),
        );
        if was == (near, over) && !relabel {
            return;
        }
        toggle(&count, "hidden", (!near).then_some(""));
        toggle(
            &input,
            "aria-describedby",
            near.then_some("hw-count hw-limit"),
        );
        toggle(&input, "aria-invalid", over.then_some("true"));
        toggle(&send, "aria-disabled", over.then_some("true"));
        toggle(&send, "aria-describedby", over.then_some("hw-limit"));
        let (class, text) = match (near, over) {
            (_, true) => ("limit", fill(t.too_long, "", &max)),
            (true, false) => ("limit visually-hidden", fill(t.near_limit, "", &max)),
            _ => ("limit visually-hidden", String::new()),
        };
        status.set_class_name(class);
        status.set_text_content(Some(&text));
    }
}

/// The send button, the counter and the status beside `input`. The counter and the status are
/// made on the first input, with nothing in them, so the live region exists before it speaks.
fn parts(input: &Element) -> Option<(Element, Element, Element)> {
    let form = input.parent_element()?;
    let send = form.query_selector("[part=send]").ok()??;
    let made = |id: &str, class: &str| -> Option<Element> {
        if let Some(el) = form.query_selector(&format!("#{id}")).ok()? {
            return Some(el);
        }
        let el = child(&form, "div")?;
        set(&el, "id", id);
        el.set_class_name(class);
        Some(el)
    };
    let count = made("hw-count", "count")?;
    let status = made("hw-limit", "limit visually-hidden")?;
    if !status.has_attribute("role") {
        set(&count, "hidden", "");
        set(&status, "role", "status");
    }
    Some((send, count, status))
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
