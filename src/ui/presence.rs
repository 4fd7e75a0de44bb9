//! Support's side of the conversation in the log: "Support is typing…", an element with
//! `data-typing` after the messages while the backend says so (the polite log announces it once,
//! as it appears), and "Seen" in the meta line of the visitor's last message once an agent has
//! read it. Plain DOM, like the messages (`message_log`).

use super::dom::{child, set, text_in};
use helpwire_core::i18n::Strings;
use web_sys::Element;

/// What is shown, to change only what the engine changed.
#[derive(Default)]
pub(super) struct Presence {
    typing: Option<Element>,
    seen: Option<Element>,
    /// The language both are worded in.
    lang: &'static str,
}

impl Presence {
    /// Shows typing (at the end of `log`) and "Seen" (in `seen_meta`, the seen message's meta
    /// line), worded in `s`; returns whether either appeared (the log then scrolls to it). A text
    /// is only set on creation or a language change: a live region announces every change.
    pub(super) fn show(
        &mut self,
        log: &Element,
        typing: bool,
        seen_meta: Option<Element>,
        s: &'static Strings,
    ) -> bool {
        let reword = std::mem::replace(&mut self.lang, s.lang) != s.lang;
        let mut appeared = false;
        if typing != self.typing.is_some() {
            if let Some(el) = self.typing.take() {
                el.remove();
            } else if let Some(el) = child(log, "p") {
                el.set_class_name("typing");
                set(&el, "part", "typing");
                set(&el, "data-typing", "");
                text_in(&el, s.typing);
                self.typing = Some(el);
                appeared = true;
            }
        } else if let Some(el) = self.typing.as_ref().filter(|_| reword) {
            el.set_text_content(Some(s.typing));
        }
        // The message's meta line is rebuilt on a delivery change, which takes "Seen" with it.
        let in_place = self.seen.as_ref().is_some_and(|el| {
            el.parent_element()
                .is_some_and(|p| Some(&p) == seen_meta.as_ref())
        });
        if in_place {
            if let Some(el) = self.seen.as_ref().filter(|_| reword) {
                el.set_text_content(Some(s.seen));
            }
            return appeared;
        }
        if let Some(el) = self.seen.take() {
            el.remove();
        }
        self.seen = seen_meta.and_then(|meta| {
            let el = child(&meta, "span")?;
            el.set_class_name("state seen");
            text_in(&el, s.seen);
            Some(el)
        });
        appeared || self.seen.is_some()
    }
}
