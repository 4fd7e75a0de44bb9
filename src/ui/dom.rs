//! Plain DOM building for content that is built once and replaced whole (message bodies, the
//! notice bar): each Leptos view type costs the bundle its own compiled build, rebuild and mount
//! code, while these calls are shared. Text only ever becomes text nodes; never `inner_html`.

use wasm_bindgen::JsCast;
use web_sys::Element;

/// Appends a new `tag` element to `parent`; `None` only if the DOM refuses (never for our tags).
pub(super) fn child(parent: &Element, tag: &str) -> Option<Element> {
    let el = parent.owner_document()?.create_element(tag).ok()?;
    parent.append_child(&el).ok()?;
    Some(el)
}

/// Appends `text` to `parent` as a text node.
pub(super) fn text_in(parent: &Element, text: &str) {
    let _ = parent.append_with_str_1(text);
}

/// Sets an attribute; the names are ours and always valid.
pub(super) fn set(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

/// Adds `f` as `target`'s listener for `event`, kept for the element's life (the widget's elements
/// go with it). Plain listeners rather than `on:` in the views: Leptos compiles each `on:` of its
/// own, while these share one closure type.
pub(super) fn listen(
    target: &web_sys::EventTarget,
    event: &str,
    f: impl FnMut(web_sys::Event) + 'static,
) {
    keep_listening(target, event, wasm_bindgen::closure::Closure::new(f));
}

/// The part of [`listen`] that is the same for every listener: compiled once, not once per
/// closure.
#[inline(never)]
fn keep_listening(
    target: &web_sys::EventTarget,
    event: &str,
    listener: wasm_bindgen::closure::Closure<dyn FnMut(web_sys::Event)>,
) {
    let _ = target.add_event_listener_with_callback(event, listener.as_ref().unchecked_ref());
    // It holds only copyable handles (or the element it is on).
    listener.forget();
}

/// Sets attribute `name` to `value`, or removes it for `None`.
pub(super) fn toggle(el: &Element, name: &str, value: Option<&str>) {
    let _ = match value {
        Some(value) => el.set_attribute(name, value),
        None => el.remove_attribute(name),
    };
}

/// Writes `text` as `el`'s attribute `name`, or as its text for `None`, only when it differs.
pub(super) fn write(el: &Element, name: Option<&str>, text: &str) {
    match name {
        Some(name) if el.get_attribute(name).as_deref() != Some(text) => set(el, name, text),
        None if el.text_content().as_deref() != Some(text) => el.set_text_content(Some(text)),
        _ => {}
    }
}

/// Hides or shows `el` (its `hidden` attribute), writing only on a change. Returns whether it
/// changed.
pub(super) fn set_hidden(el: &Element, hidden: bool) -> bool {
    let changed = el.has_attribute("hidden") != hidden;
    if changed {
        toggle(el, "hidden", hidden.then_some(""));
    }
    changed
}

/// The element matching `selector` that a click (or a key) inside a container landed on, if any:
/// one listener on the container serves every such button in it, however often it is rebuilt.
pub(super) fn clicked(ev: &web_sys::Event, selector: &str) -> Option<Element> {
    let target = ev.target()?.dyn_into::<Element>().ok()?;
    target.closest(selector).ok().flatten()
}
