//! The push contract: a backend that sends the visitor's messages and receives support's answers
//! over one long-lived connection (a WebSocket) instead of HTTP requests.
//!
//! Like [`Provider`](super::Provider), a [`PushChannel`] performs no I/O and reads no clock: the
//! platform feeds it the connection's life (opened, a text frame, closed, failed) and the time,
//! calls [`tick`](PushChannel::tick) when [`next_deadline`](PushChannel::next_deadline) comes, and
//! carries out the transport [`PushOutput`]s it returns in order (open, send a frame, close);
//! the others are for the engine. So the web layer's socket driver runs any backend's channel
//! without knowing its protocol, and host tests drive a channel frame by frame.

use super::socketio::DisconnectReason;
use super::{Outgoing, ProviderError, Sent};
use crate::model::Message;

/// A push backend's connection, as a pure state machine. `now` is ms since the epoch.
pub trait PushChannel {
    /// Starts connecting (or cuts a reconnect wait short).
    fn connect(&mut self, now: f64) -> Vec<PushOutput>;

    /// The connection opened.
    fn on_open(&mut self, now: f64) -> Vec<PushOutput>;

    /// A text frame arrived.
    fn on_text(&mut self, frame: &str, now: f64) -> Vec<PushOutput>;

    /// A binary frame arrived (its bytes are not needed by any backend yet).
    fn on_binary(&mut self, now: f64) -> Vec<PushOutput>;

    /// The connection closed; `reason` is the platform's description, for the console.
    fn on_close(&mut self, reason: &str, now: f64) -> Vec<PushOutput>;

    /// The connection reported an error.
    fn on_error(&mut self, message: &str, now: f64) -> Vec<PushOutput>;

    /// Sends one visitor message. `conversation_id` is the engine's idea of the conversation
    /// (`None` while the first message is still opening it). The outcome comes back later as
    /// [`PushOutput::Delivered`] or [`PushOutput::SendFailed`] with the message's local id.
    fn send(
        &mut self,
        message: &Outgoing,
        conversation_id: Option<&str>,
        now: f64,
    ) -> Vec<PushOutput>;

    /// When [`tick`](Self::tick) must be called next, if anything waits on time.
    fn next_deadline(&self) -> Option<f64>;

    /// Time passed: timeouts, heartbeats, a due reconnect.
    fn tick(&mut self, now: f64) -> Vec<PushOutput>;

    /// Leaves and closes the connection for good (the widget is going away).
    fn close(&mut self) -> Vec<PushOutput>;
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
