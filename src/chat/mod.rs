//! The chat engine: what the widget knows and decides, with no view code and no I/O.
//!
//! [`Engine::handle`] takes a [`Command`] and the current time and returns [`Effect`]s (run a job,
//! persist, emit an event, wake me at…). The wasm `driver` performs the effects and feeds job
//! outcomes back as commands, so every state transition is a host-testable function call.

#[cfg(target_arch = "wasm32")]
pub mod driver;
pub mod edits;
pub mod engine;
pub mod schedule;
pub mod storage;

pub use engine::{Command, Effect, Engine, Job, Notice, Outcome, WidgetEvent};
