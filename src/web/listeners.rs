//! Every listener the widget puts on the page (window and document), in one place. Each turns a
//! browser event into an engine [`Command`], or on `pagehide` writes what is unsaved; the view
//! adds none of its own. [`PageListeners::remove`] takes them all off again (`destroy()`).

use crate::web::browser;
use crate::web::driver::Chat;
use helpwire_core::engine::storage::Snapshot;
use helpwire_core::engine::Command;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{Event, EventTarget, StorageEvent};

/// The listeners in place, to be removed when the widget is destroyed.
pub(crate) struct PageListeners {
    installed: Vec<(EventTarget, &'static str, Listener)>,
}

/// One JS callback type for every listener (Leptos' event handlers use it too).
type Listener = Closure<dyn FnMut(Event)>;

impl PageListeners {
    /// Follows the page for `chat`, whose state other tabs store under `storage_key`, starting
    /// from whether the page is visible now.
    pub(crate) fn install(chat: Chat, storage_key: String) -> Self {
        let mut listeners = PageListeners {
            installed: Vec::new(),
        };
        let Some(window) = web_sys::window() else {
            return listeners;
        };
        // Hidden, the engine stops polling; back, it catches up at once.
        if let Some(document) = window.document() {
            chat.dispatch(Command::Visible(!document.hidden()));
            let target = document.clone().into();
            listeners.add(&target, "visibilitychange", move |_| {
                chat.dispatch(Command::Visible(!document.hidden()))
            });
        }
        listeners.add(&window, "focus", move |_| {
            chat.dispatch(Command::Visible(true))
        });
        listeners.add(&window, "online", move |_| {
            chat.dispatch(Command::Online(true))
        });
        listeners.add(&window, "offline", move |_| {
            chat.dispatch(Command::Online(false))
        });
        // Another tab of this site stored something: its messages, deliveries and resets.
        listeners.add(&window, "storage", move |e| {
            let e: StorageEvent = e.unchecked_into();
            if e.key().as_deref() != Some(storage_key.as_str()) {
                return;
            }
            let snapshot = match e.new_value() {
                Some(text) => match Snapshot::from_json(&text) {
                    Ok(s) => s,
                    Err(_) => return,
                },
                // Another tab forgot the visitor.
                None => Snapshot::new(browser::random_id("v")),
            };
            chat.dispatch(Command::Synced(Box::new(snapshot)));
        });
        // Leaving the page: store what is still unsaved.
        listeners.add(&window, "pagehide", move |_| chat.flush());
        listeners
    }

    fn add(&mut self, target: &EventTarget, event: &'static str, f: impl FnMut(Event) + 'static) {
        self.put(target, event, Listener::new(f));
    }

    /// The part of [`Self::add`] that is the same for every listener: compiled once, not once per
    /// closure.
    #[inline(never)]
    fn put(&mut self, target: &EventTarget, event: &'static str, listener: Listener) {
        let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        self.installed.push((target.clone(), event, listener));
    }

    /// Takes every listener off the page.
    pub(crate) fn remove(self) {
        for (target, event, listener) in self.installed {
            let _ = target
                .remove_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
        }
    }
}
