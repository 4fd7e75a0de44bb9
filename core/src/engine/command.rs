//! The engine's interface: the [`Command`]s it takes and the [`Effect`]s it asks for, with the
//! events and notices those carry. Kept apart from the machine so that the driver, the view and
//! the tests can read what goes in and out without the rules in between.

use super::job::{Job, Outcome};
use super::storage::Snapshot;
use crate::model::{Message, Visitor};

/// Something that happened: the visitor, the site (JS API), the page, a timer, or a finished job.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Open,
    Close,
    Toggle,
    /// The visitor sends `text`; `local_id` is a fresh unique id chosen by the driver.
    Send {
        text: String,
        local_id: String,
    },
    /// The visitor asks to try a failed message again.
    Retry {
        local_id: String,
    },
    /// Try again now after the backend was unavailable.
    RetryConnection,
    /// `identify()`: `fresh_anon_id` is used if this is a different person than before.
    Identify {
        identity: Visitor,
        fresh_anon_id: String,
    },
    /// Contact details the visitor gave in the widget (the pre-chat form or the email offer),
    /// as [`crate::contact`]'s checks return them; the engine tells the backend the next time it
    /// talks to it, as for `identify`.
    #[cfg(feature = "contact")]
    Contact {
        email: Option<String>,
        name: Option<String>,
    },
    /// The visitor dismissed the "Get the answer by email" offer; it stays away after reloads.
    #[cfg(feature = "contact")]
    DismissOffer,
    /// `reset()`: forget the visitor; start again as `anon_id`.
    Reset {
        anon_id: String,
    },
    /// The page became visible (true) or hidden.
    Visible(bool),
    /// The browser went online (true) or offline.
    Online(bool),
    /// A push backend's socket joined (true), or was lost and is reconnecting (false).
    PushConnected(bool),
    /// The relay's event stream opened (true) or dropped (false). Unlike a push socket it is a
    /// fast path over polling, never the only path: see `Engine::stream_changed`.
    #[cfg(feature = "relay")]
    Streaming(bool),
    /// A timer the driver armed for [`Effect::WakeAt`] fired.
    Tick,
    /// Read the conversation at this time (ms), whatever the polls in between: the backend has
    /// news due then (a reply the local helpdesk's test mode scripted).
    #[cfg(feature = "local")]
    ReadAt(f64),
    /// Messages pushed by the backend (a socket), outside any job.
    Received(Vec<Message>),
    /// Another tab of this site changed the stored state (a `storage` event).
    Synced(Box<Snapshot>),
    /// The tabs known to be open (`None`: the browser cannot tell). Undelivered messages of tabs
    /// that are gone are adopted and sent by this one.
    TabsAlive(Option<Vec<String>>),
    /// Show the visitor's conversations (opening the panel if it is closed).
    #[cfg(feature = "conversations")]
    ShowConversations,
    /// The visitor starts a new conversation; the one on screen goes into their list.
    #[cfg(feature = "conversations")]
    NewConversation,
    /// The visitor opens this conversation of their list.
    #[cfg(feature = "conversations")]
    OpenConversation(String),
    /// A push backend gave the conversation opened by the first message its id.
    ConversationAssigned(String),
    /// Support closed this conversation; the next message opens a new one.
    ConversationClosed(String),
    /// A job finished. `generation` is the one it was started with; stale results are dropped.
    Finished {
        generation: u64,
        outcome: Outcome,
    },
}

/// Events for the site's `Helpwire.on(...)` listeners.
#[derive(Clone, Debug, PartialEq)]
pub enum WidgetEvent {
    Open,
    Close,
    /// A message from support arrived.
    Message {
        id: String,
        text: String,
        author: String,
    },
    /// The backend confirmed one of the visitor's messages.
    Sent {
        id: String,
        text: String,
    },
    Unread(u32),
    Error(String),
    /// The visitor opened this conversation of their list.
    #[cfg(feature = "conversations")]
    Conversation(String),
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Run {
        generation: u64,
        job: Box<Job>,
    },
    /// Write [`Engine::snapshot`](super::Engine::snapshot) (the engine only asks once storage is allowed). It carries no
    /// copy: the driver serializes the engine's own state, so a change never clones the conversation.
    Persist,
    /// Remove whatever is stored (after `reset`).
    ClearStorage,
    Emit(WidgetEvent),
    /// Call back with [`Command::Tick`] at this time (ms); replaces any earlier wake-up.
    WakeAt(f64),
    /// Tell the site's developers (the console), never the visitor: backend details, data that
    /// was skipped or replaced by a fallback.
    Warn(String),
    /// The conversation on screen is another one now: a push backend's socket, which follows
    /// the conversation it was opened for, is closed (the next job opens one for this one).
    #[cfg(feature = "conversations")]
    Switched,
}

/// Each of an answer's `warnings` for the console: one loop for every kind of answer.
// Shared where the list's answer is a third caller; inlined elsewhere, where sharing it moved
// code between functions in a way that compressed worse.
#[cfg_attr(not(feature = "listing"), inline(always))]
pub(super) fn warn_each(warnings: Vec<String>, fx: &mut Vec<Effect>) {
    for w in warnings {
        fx.push(Effect::Warn(w));
    }
}

/// A problem the visitor should see. It names the problem only: the view words it in the
/// visitor's language (`crate::i18n`); backend details go to the console ([`Effect::Warn`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Notice {
    /// Can't reach the backend; trying again by itself.
    Reconnecting,
    /// The backend refused in a way retrying will not fix; the visitor may retry by hand.
    Unavailable,
    /// The visitor's message was not accepted: it is longer than the backend's `limit` characters.
    TooLong { limit: usize },
}
