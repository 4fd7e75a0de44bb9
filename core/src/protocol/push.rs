//! The push contract: a backend that sends the visitor's messages and receives support's answers
//! over one long-lived connection (a WebSocket) instead of HTTP requests.
//!
//! Like [`Provider`](super::Provider), a [`PushChannel`] performs no I/O and reads no clock: the
//! platform feeds it the connection's life (opened, a text frame, closed, failed), the visitor's
//! messages and the time, each a [`PushInput`] through [`step`](PushChannel::step), steps it with
//! [`PushInput::Tick`] when [`next_deadline`](PushChannel::next_deadline) comes, and
//! carries out the transport [`PushOutput`]s it returns in order (open, send a frame, close);
//! the others are for the engine. So the web layer's socket driver runs any backend's channel
//! without knowing its protocol, and host tests drive a channel frame by frame.

use super::socketio::DisconnectReason;
use super::{Outgoing, ProviderError, Sent};
use crate::model::Message;

/// What happened, for [`PushChannel::step`].
#[derive(Clone, Copy, Debug)]
pub enum PushInput<'a> {
    /// Start connecting (or cut a reconnect wait short).
    Connect,
    /// Send one visitor message. The `Option` is the engine's idea of the conversation (`None`
    /// while the first message is still opening it). The outcome comes back later as
    /// [`PushOutput::Delivered`] or [`PushOutput::SendFailed`] with the message's local id.
    Send(&'a Outgoing, Option<&'a str>),
    /// The connection opened.
    Open,
    /// A text frame arrived.
    Text(&'a str),
    /// A binary frame arrived (its bytes are not needed by any backend yet).
    Binary,
    /// The connection closed; the platform's description, for the console.
    Close(&'a str),
    /// The connection reported an error.
    Error(&'a str),
    /// Time passed: timeouts, heartbeats, a due reconnect.
    Tick,
    /// Leave and close the connection for good (the widget is going away).
    Leave,
}

/// A push backend's connection, as a pure state machine. `now` is ms since the epoch.
///
/// One entry point, [`step`](Self::step), for every input: a platform's driver holds a
/// `dyn PushChannel` and calls one method instead of one per kind of input. The named methods
/// below are the same calls, for code that holds a concrete channel (the relay, tests).
pub trait PushChannel {
    /// Applies one input at `now`; the outputs in order.
    fn step(&mut self, input: PushInput<'_>, now: f64) -> Vec<PushOutput>;

    /// When [`tick`](Self::tick) must be called next, if anything waits on time.
    fn next_deadline(&self) -> Option<f64>;

    /// Starts connecting (or cuts a reconnect wait short).
    fn connect(&mut self, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Connect, now)
    }

    /// The connection opened.
    fn on_open(&mut self, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Open, now)
    }

    /// A text frame arrived.
    fn on_text(&mut self, frame: &str, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Text(frame), now)
    }

    /// A binary frame arrived (its bytes are not needed by any backend yet).
    fn on_binary(&mut self, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Binary, now)
    }

    /// The connection closed; `reason` is the platform's description, for the console.
    fn on_close(&mut self, reason: &str, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Close(reason), now)
    }

    /// The connection reported an error.
    fn on_error(&mut self, message: &str, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Error(message), now)
    }

    /// Sends one visitor message ([`PushInput::Send`]).
    fn send(
        &mut self,
        message: &Outgoing,
        conversation_id: Option<&str>,
        now: f64,
    ) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Send(message, conversation_id), now)
    }

    /// Time passed: timeouts, heartbeats, a due reconnect.
    fn tick(&mut self, now: f64) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Tick, now)
    }

    /// Leaves and closes the connection for good (the widget is going away).
    fn close(&mut self) -> Vec<PushOutput>
    where
        Self: Sized,
    {
        self.step(PushInput::Leave, 0.0)
    }
}

/// What the platform must do (the first three), or what the engine should learn.
#[derive(Clone, Debug, PartialEq)]
pub enum PushOutput {
    /// Open a WebSocket to `url` (closing any previous one).
    Open { url: String },
    /// Send this text frame.
    Send(String),
    /// Close the WebSocket.
    Close,
    /// Connected and ready: sends flow.
    Connected,
    /// The connection was lost or stopped; the reason is for a log (formatted only where one is
    /// written: the widget's bundle never links its texts).
    Disconnected(DisconnectReason),
    /// The next connection attempt is due at `at` (ms); `attempt` counts failures in a row.
    ReconnectAt { at: f64, attempt: u32 },
    /// Messages pushed by the server (answers, agent replies, closing notices), oldest first.
    /// Echoes of the visitor's own messages carry their `local_id`.
    Messages {
        conversation_id: Option<String>,
        messages: Vec<Message>,
    },
    /// The conversation opened by the first message now has this id.
    ConversationAssigned(String),
    /// Support closed this conversation; the next message opens a new one.
    ConversationClosed(String),
    /// The visitor's message reached the backend.
    Delivered { local_id: String, sent: Sent },
    /// The message did not get through; transient errors are worth retrying.
    SendFailed {
        local_id: String,
        error: ProviderError,
    },
    /// Something the console should show (refused connection, error answer, bad payload).
    Error(ProviderError),
}
