//! Helpwire: an embeddable customer-support chat widget.
//!
//! The pure layers (JSON, model, protocols, engine) are the `helpwire-core` crate. This crate adds
//! the two browser layers: [`web`], every browser API in one place, and [`ui`], the Leptos view.
//! On wasm it exports `boot` and the handle behind `window.Helpwire` (`api.rs` wires it all).
//!
//! `pub` here means public: an item only this crate uses is `pub(crate)`, so that what the
//! browser tests (`tests/browser.rs`) reach is exactly what is meant to be reachable.
#![warn(unreachable_pub)]

// The global allocator on wasm; built natively only for its tests.
#[cfg(any(target_arch = "wasm32", test))]
mod heap;

#[cfg(target_arch = "wasm32")]
pub mod web;

#[cfg(target_arch = "wasm32")]
pub mod ui;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
pub use api::{boot, install_crash_reporter, WidgetHandle};
