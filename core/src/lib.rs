//! Helpwire's pure layers, with no I/O and no browser: they build and test natively, and a
//! server (the relay) can use them as they are. The widget crate adds the browser and the view.
//!
//! Three layers, each importing only those above it in this list (docs/architecture.md):
//! 1. core: [`json`], [`fields`], [`model`], [`config`], [`contact`], [`i18n`], [`richtext`], [`time`], and the
//!    small helpers several layers share: [`backoff`], [`hash`], [`lang`], [`text`];
//! 2. [`protocol`]: one sans-IO module per helpdesk, and the Socket.IO client;
//! 3. [`engine`]: the conversation state machine.

pub mod backoff;
pub mod config;
#[cfg(feature = "contact")]
pub mod contact;
pub mod fields;
pub mod hash;
pub mod i18n;
pub mod json;
pub mod lang;
pub mod model;
pub mod richtext;
pub mod text;
pub mod time;

pub mod protocol;

pub mod engine;
