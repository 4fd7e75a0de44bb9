//! The chat engine: what the widget knows and decides, with no view code and no I/O.
//!
//! [`Engine::handle`] takes a [`Command`] and the current time and returns [`Effect`]s (run a job,
//! persist, emit an event, wake me at…). The web layer performs the effects and feeds job
//! outcomes back as commands, so every state transition is a natively testable function call.
//!
//! One concern per module; `impl Engine` blocks live in several of them:
//! - [`command`](Command): what goes in and out of the engine;
//! - `machine`: the engine's state, its read side and the command dispatch;
//! - `job`: the provider operations it asks for, and which one is due next;
//! - `outbox`: the visitor's messages on their way, with retries and backoff;
//! - `unconfirmed`: sends whose answer was lost, checked against the conversation before a resend;
//! - `reading`: polling and merging what the backend lists or pushes;
//! - `session`: the visitor's session, identity and the connection's state;
//! - `presence`: support typing, and the visitor's messages seen by an agent;
//! - `tabs`: several tabs sharing one stored conversation;
//! - [`conversations`]: several conversations per visitor (cargo feature `conversations`).

mod command;
#[cfg(feature = "conversations")]
pub mod conversations;
pub mod edits;
mod job;
mod machine;
mod outbox;
mod presence;
mod reading;
pub mod schedule;
mod session;
pub mod storage;
mod tabs;
mod unconfirmed;

pub use command::{Command, Effect, Notice, WidgetEvent};
pub use job::{Job, Outcome, Planned};
pub use machine::Engine;
pub use outbox::message_chars;
pub use reading::CLOCK_SKEW_MS;
