//! Leptos components. They read the engine's state and dispatch engine commands; they hold no
//! protocol or storage logic.

mod composer;
#[cfg(contact)]
mod contact;
#[cfg(conversations)]
mod conversations;
mod dom;
mod host;
mod launcher;
mod message_log;
mod panel;
mod presence;
mod rich_text;

#[cfg(contact)]
pub use contact::ContactSettings;
pub use host::{mount, Mounted};

use crate::web::attention::show_unread_in_title;
use crate::web::driver::Chat;
use helpwire_core::engine::{Command, Engine};
use helpwire_core::i18n::Strings;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

/// The current interface language; changed by `setLocale`.
pub type Locale = RwSignal<&'static Strings>;

/// Site-provided texts that override the localized defaults (`data-title`, `data-greeting`).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub title: Option<String>,
    pub greeting: Option<String>,
    /// The configured `data-locale` tag, kept whole so that dates and times follow its region.
    pub locale_tag: Option<String>,
    /// The pre-chat form and the privacy line (`data-prechat`, `data-privacy-url`).
    #[cfg(contact)]
    pub contact: contact::ContactSettings,
}

/// Focus targets shared by the launcher, the panel and the composer, found in the widget's root
/// element. Not node refs of their own: each element type's node ref compiles a signal type of
/// its own, and the root's is there anyway.
#[derive(Clone, Copy)]
pub(crate) struct Focus {
    root: NodeRef<leptos::html::Div>,
}

impl Focus {
    /// The composer's text box, once the widget is mounted; followed, so an effect reading it
    /// runs again on mount.
    pub(crate) fn composer(self) -> Option<web_sys::HtmlTextAreaElement> {
        composer_in(self.root.get())
    }

    /// The composer's text box, not followed; `None` too once the widget is destroyed (timers and
    /// listeners may outlive it).
    pub(crate) fn composer_untracked(self) -> Option<web_sys::HtmlTextAreaElement> {
        composer_in(self.root.try_get_untracked().flatten())
    }

    /// The launcher button, not followed; `None` once the widget is destroyed.
    fn launcher_untracked(self) -> Option<web_sys::HtmlElement> {
        find_in(self.root.try_get_untracked().flatten(), "button.launcher")
    }
}

fn composer_in(root: Option<web_sys::HtmlDivElement>) -> Option<web_sys::HtmlTextAreaElement> {
    // The widget's only `textarea`.
    Some(find_in(root, "textarea")?.unchecked_into())
}

/// The first element in `root` matching `selector`, one of ours (so always an HTML element).
fn find_in(root: Option<web_sys::HtmlDivElement>, selector: &str) -> Option<web_sys::HtmlElement> {
    let el = root?.query_selector(selector).ok()??;
    Some(el.unchecked_into())
}

/// What the components share, handed down as a prop. Not Leptos contexts: those link a map keyed
/// by type and a lookup per component for a few handles every component gets.
#[derive(Clone, Copy)]
pub(crate) struct Shared {
    /// Engine state and commands.
    pub chat: Chat,
    /// Interface language.
    pub locale: Locale,
    /// Where focus goes on open and close.
    pub focus: Focus,
    /// The tag dates and times are formatted with.
    pub intl_tag: IntlTag,
    /// Whether the panel is open.
    pub open: Open,
}

/// The whole widget: panel above, launcher in the corner.
///
/// The only `#[component]`: the parts are plain functions called in its view, so each does not
/// compile a props builder and an untracked scope of its own; they run inside this one's.
#[component]
pub fn Widget(
    /// Engine state and commands.
    chat: Chat,
    /// Interface language.
    locale: Locale,
    /// Site-provided title and greeting.
    overrides: Overrides,
) -> impl IntoView {
    // The root element, where the parts that take focus are found and whose host follows the
    // interface's direction.
    let root = NodeRef::<leptos::html::Div>::new();
    let focus = Focus { root };

    let open = Open(chat);
    // Opening moves focus to the composer, so a visitor can type at once. The last state lives in
    // the closure: a `watch` returning `()` shares its compiled render effect with the others.
    let mut was_open = false;
    let mut shown_count = None;
    watch(move |_| {
        let is_open = open.get();
        // The launcher's name and `aria-expanded`, the panel's `hidden` and the badge's count and
        // `hidden`, written here on a change rather than bound in the views (each binding compiled
        // render code of its own): the markup starts closed, with an empty hidden badge.
        let unread = chat.engine.with(|e| e.unread());
        let strings = locale.get();
        let root = root.get();
        if let Some(launcher) = find_in(root.clone(), "button.launcher") {
            let label = match unread {
                0 => strings.launcher.to_string(),
                n => format!("{} ({})", strings.launcher, strings.unread_label(n)),
            };
            dom::write(&launcher, Some("aria-label"), &label);
            if let Some(panel) = find_in(root.clone(), "#hw-panel") {
                if dom::set_hidden(&panel, !is_open) {
                    let expanded = if is_open { "true" } else { "false" };
                    dom::set(&launcher, "aria-expanded", expanded);
                }
            }
        }
        if let Some(badge) = find_in(root, "[part=badge]") {
            dom::set_hidden(&badge, unread == 0);
            if shown_count.replace(unread) != Some(unread) {
                let count = match unread {
                    n if n > 99 => "99+".to_string(),
                    n => n.to_string(),
                };
                badge.set_text_content(Some(&count));
            }
        }
        let was = std::mem::replace(&mut was_open, is_open);
        if is_open && !was {
            // After the panel is un-hidden, above (a hidden element cannot take focus);
            // `try_` because the widget may be destroyed before the timer fires.
            set_timeout(
                move || {
                    if let Some(el) = focus.composer_untracked() {
                        // While the pre-chat form shows, its first field (the composer waits).
                        #[cfg(contact)]
                        if let Some(field) = contact::prechat_field(&el) {
                            let _ = field.focus();
                            return;
                        }
                        // A conversation support closed: "Start a new conversation" instead.
                        #[cfg(conversations)]
                        if let Some(button) = conversations::start_new_button(&el) {
                            let _ = button.focus();
                            return;
                        }
                        let _ = el.focus();
                    }
                },
                std::time::Duration::ZERO,
            );
        }
    });

    // The unread count in the page title, while the panel is closed or the tab hidden: never while
    // the visitor looks at the panel (where, with the list, news in another conversation still
    // counts for the badge). `destroy()` restores the site's title.
    watch(move |_| {
        let unread = chat.engine.with(|e| {
            if e.is_open() && e.is_visible() {
                0
            } else {
                e.unread()
            }
        });
        show_unread_in_title(unread)
    });

    // Dates and times use the visitor's full tag (`pt-BR`, `en-GB`), not only the language.
    let intl_tag = IntlTag {
        locale,
        preferred: StoredValue::new(crate::web::browser::preferred_languages(
            overrides.locale_tag.as_deref(),
        )),
    };
    let shared = Shared {
        chat,
        locale,
        focus,
        intl_tag,
        open,
    };

    // The host follows the interface's direction, so the launcher and panel mirror in
    // right-to-left languages whatever the page's own direction.
    // The click and key listeners go on as soon as the root is mounted (the flag lives in the closure).
    let mut listening = false;
    let (title, greeting) = (overrides.title.clone(), overrides.greeting.clone());
    watch(move |_| {
        let strings = locale.get();
        let dir = strings.dir.as_str();
        let Some(el) = root.get() else {
            return;
        };
        if !listening {
            listening = true;
            dom::listen(&el, "click", move |ev| clicked(shared, &ev));
            dom::listen(&el, "keydown", move |ev| escape_pressed(shared, &ev));
        }
        // The root's language and direction too, written here rather than as view attributes
        // (each compiles code of its own); like the host's, in the same run after a change.
        dom::set(&el, "dir", dir);
        dom::set(&el, "lang", strings.lang);
        if let Some(host) = host_of(&el) {
            let _ = host.set_attribute("dir", dir);
        }
        // The texts of the views' markup (an attribute's or the element's text), in the
        // interface language or the site's own, written here too: text bound in a view compiled
        // a render effect type of its own. Only on a change, as that did (the greeting is in the
        // log's live region).
        let none = &None;
        for (selector, attribute, custom, pick) in [
            (
                "#hw-title",
                None,
                &title,
                (|s| s.title) as fn(&'static Strings) -> &'static str,
            ),
            ("[part=close]", Some("aria-label"), none, |s| s.close_chat),
            ("p.greeting", None, &greeting, |s| s.greeting),
            ("button.earlier", None, none, |s| s.earlier),
            ("label[for=hw-input]", None, none, |s| s.composer_label),
            ("#hw-input", Some("placeholder"), none, |s| {
                s.composer_placeholder
            }),
            ("[part=send]", None, none, |s| s.send),
        ] {
            let text = custom.as_deref().unwrap_or_else(|| pick(strings));
            if let Ok(Some(node)) = el.query_selector(selector) {
                dom::write(&node, attribute, text);
            }
        }
    });

    // The launcher comes first: Tab goes launcher → close → conversation → composer → send.
    view! {
        <div
            part="root"
            node_ref=root
        >
            {launcher::launcher()}
            {panel::panel(shared, overrides)}
        </div>
    }
}

/// The one click listener for the launcher, the close button and the notice's Retry: each
/// `on:click` compiles listener code of its own.
fn clicked(shared: Shared, ev: &web_sys::Event) {
    if dom::clicked(ev, "button.launcher").is_some() {
        shared.chat.dispatch(Command::Toggle);
    } else if dom::clicked(ev, "[part=close]").is_some() {
        panel::close_panel(shared);
    } else if dom::clicked(ev, ".notices .retry").is_some() {
        shared.chat.dispatch(Command::RetryConnection);
    }
}

/// The one key listener for Escape: anywhere in the panel it closes it and returns focus to the
/// launcher; on the launcher it closes the panel and focus stays there.
fn escape_pressed(shared: Shared, ev: &web_sys::Event) {
    let Some(key) = ev.dyn_ref::<web_sys::KeyboardEvent>() else {
        return;
    };
    if key.key() != "Escape" {
        return;
    }
    if dom::clicked(ev, "#hw-panel").is_some() {
        ev.prevent_default();
        panel::close_panel(shared);
    } else if dom::clicked(ev, "button.launcher").is_some() && shared.open.get_untracked() {
        ev.prevent_default();
        shared.chat.dispatch(Command::Close);
    }
}

/// Runs `f` now, and again after anything it read changes, for as long as the view lives.
///
/// A render effect, not `Effect::new`: every `Effect` compiles an async task of its own, while
/// render effects share one. Its first run is at once rather than on the next tick; the effects
/// here read node refs, which are empty until mount, and run again when set.
pub(crate) fn watch<T: Send + Sync + 'static>(f: impl FnMut(Option<T>) -> T + 'static) {
    let effect = RenderEffect::new(f);
    on_cleanup(move || drop(effect));
}

/// Whether the panel is open, read from the engine.
///
/// Not a memo: every reader acts only on a change anyway (a view attribute is written only when
/// its value differs, the effects compare with the state they keep), and a memo type compiles a
/// whole set of code of its own.
#[derive(Clone, Copy)]
pub(crate) struct Open(Chat);

impl Open {
    /// Whether the panel is open, followed.
    pub(crate) fn get(self) -> bool {
        self.0.engine.with(Engine::is_open)
    }

    pub(crate) fn get_untracked(self) -> bool {
        self.0.engine.with_untracked(Engine::is_open)
    }
}

/// The BCP 47 tag dates and times are formatted with (`Intl`), following the interface language:
/// the first of the visitor's preferred tags in that language.
///
/// Worked out at each read from the language, not kept in a memo: every reader follows the
/// language anyway (so reruns are the same), and a memo of a `String` compiled a whole memo type.
#[derive(Clone, Copy)]
pub(crate) struct IntlTag {
    locale: Locale,
    /// The configured locale, then the browser's languages.
    preferred: StoredValue<Vec<String>>,
}

impl IntlTag {
    /// The tag, following the language.
    pub(crate) fn get(&self) -> String {
        self.of(self.locale.get())
    }

    pub(crate) fn get_untracked(&self) -> String {
        self.of(self.locale.get_untracked())
    }

    /// Follows the language without reading the tag.
    pub(crate) fn track(&self) {
        self.locale.track();
    }

    fn of(&self, strings: &Strings) -> String {
        self.preferred.with_value(|preferred| {
            helpwire_core::i18n::regional_tag(strings.lang, preferred.iter().map(String::as_str))
        })
    }
}

/// The `<helpwire-chat>` element whose shadow root holds `el`.
fn host_of(el: &web_sys::Element) -> Option<web_sys::Element> {
    use wasm_bindgen::JsCast;
    el.get_root_node()
        .dyn_into::<web_sys::ShadowRoot>()
        .ok()
        .map(|shadow| shadow.host())
}

/// Moves focus to the launcher once the close has rendered (on small screens the launcher is
/// hidden while the panel is open, and a hidden element cannot take focus).
pub(crate) fn focus_launcher_soon(focus: Focus) {
    set_timeout(
        move || {
            if let Some(el) = focus.launcher_untracked() {
                let _ = el.focus();
            }
        },
        std::time::Duration::ZERO,
    );
}
