//! Puts the widget into the page: the `<helpwire-chat>` host, its open shadow root, the stylesheet
//! (adopted, so a strict CSP without `'unsafe-inline'` styles it) and the Leptos mount.

use super::{Locale, Overrides, Widget};
use crate::web::driver::Chat;
use helpwire_core::config::{Config, Position, Theme};
use leptos::mount::mount_to;
use leptos::prelude::*;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// The stylesheet, compiled in: no extra request and nothing a CSP has to allow. It is
/// `style/helpwire.css`, minified by `build.rs`.
const STYLESHEET: &str = include_str!(concat!(env!("OUT_DIR"), "/helpwire.min.css"));

/// A mounted widget; dropping it unmounts the view and stops its listeners.
pub struct Mounted {
    pub host: web_sys::HtmlElement,
    /// The Leptos unmount handle, type-erased: dropping it removes the view and runs `on_cleanup`.
    _handle: Box<dyn std::any::Any>,
}

/// Attaches (or reuses) the open shadow root of `host` and renders the widget into it.
pub fn mount(
    host: web_sys::HtmlElement,
    config: &Config,
    chat: Chat,
    locale: Locale,
) -> Result<Mounted, JsValue> {
    let _ = host.set_attribute(
        "data-theme",
        match config.theme {
            Theme::Light => "light",
            Theme::Dark => "dark",
            Theme::Auto => "auto",
        },
    );
    let _ = host.set_attribute(
        "data-position",
        match config.position {
            Position::Right => "right",
            Position::Left => "left",
        },
    );
    let shadow = match host.shadow_root() {
        Some(root) => root,
        None => host.attach_shadow(&web_sys::ShadowRootInit::new(web_sys::ShadowRootMode::Open))?,
    };
    adopt_stylesheet(&shadow)?;
    // Leptos mounts into an element, not a shadow root (a dynamic top node would vanish there).
    let root: web_sys::HtmlElement = document().create_element("div")?.unchecked_into();
    shadow.append_child(&root)?;
    let overrides = Overrides {
        title: config.title.clone(),
        greeting: config.greeting.clone(),
        locale_tag: config.locale.clone(),
        #[cfg(contact)]
        contact: super::ContactSettings {
            prechat: if helpwire_core::contact::backend_takes_contact(config.provider) {
                config.prechat
            } else {
                Default::default()
            },
            privacy_url: config.privacy_url.clone(),
        },
    };
    let handle = mount_to(root, move || {
        view! { <Widget chat=chat locale=locale overrides=overrides /> }
    });
    Ok(Mounted {
        host,
        _handle: Box::new(handle),
    })
}

fn adopt_stylesheet(shadow: &web_sys::ShadowRoot) -> Result<(), JsValue> {
    let sheet = web_sys::CssStyleSheet::new()?;
    sheet.replace_sync(STYLESHEET)?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    Ok(())
}
