//! The chat engine: what the widget knows and decides, with no view code and no I/O.
//!
//! [`Engine::handle`] takes a [`Command`] and the current time and returns [`Effect`]s (run a job,
//! persist, emit an event, wake me at…). The web layer performs the effects and feeds job
//! outcomes back as commands, so every state transition is a natively testable function call.

pub mod edits;
mod machine;
pub mod schedule;
pub mod storage;

pub use machine::*;
