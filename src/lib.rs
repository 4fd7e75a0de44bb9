//! Helpwire: an embeddable customer-support chat widget.
//!
//! On wasm this file exports `boot` and the handle behind `window.Helpwire`; everything else lives
//! in its module and, except the browser glue and the components, is plain host-tested Rust.

pub mod chat;
pub mod config;
pub mod i18n;
pub mod json;
pub mod model;
pub mod provider;
pub mod richtext;

#[cfg(target_arch = "wasm32")]
pub mod browser;
#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
pub use api::{boot, install_crash_reporter, WidgetHandle};
