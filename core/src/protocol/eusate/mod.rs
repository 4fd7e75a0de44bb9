//! Eusate: REST reads and Socket.IO sends, sans-IO.
//!
//! Eusate has no create calls: the `session_id` is chosen by the client (the visitor's stable id)
//! and a conversation is opened by sending its first message with `ticket_chat_id: null`. Reading
//! is REST ([`EusateProvider`] implements [`Provider`](super::Provider) for it); sending and
//! receiving answers is Socket.IO on the `/helpdesk` namespace, which the HTTP-shaped contract
//! cannot express. That half is [`EusateChannel`]: a [`PushChannel`](super::push::PushChannel)
//! over the Socket.IO client that turns "send this message" into emits and server events into
//! [`Message`](crate::model::Message)s, conversation ids and delivery reports. The web layer's
//! socket driver runs it over a real WebSocket.
//!
//! Payload shapes beyond the documented envelope `{status_code, sid, message, data}` are not
//! published; the parsers accept the REST message object (`{id, message, sender, date_created,
//! ticket_chat, …}`) inside `data`, directly, nested as `data.message`, or as a list, and find
//! the conversation id as `ticket_chat_id` or `ticket_chat`.
//!
//! One concept per file: `error` (what can be wrong with an event), `envelope` (the wrapper of
//! every event), `message` (one message object, REST or pushed), `event` (the events both ways),
//! `rest` (the provider) and `channel` (the push channel). Their public items are re-exported
//! here, the one path callers and tests use.

mod channel;
mod envelope;
mod error;
mod event;
mod message;
mod rest;

pub use channel::{ChannelConfig, EusateChannel};
pub use envelope::{parse_envelope, Envelope};
pub use error::EusateError;
pub use event::{
    enter_customer_support, enter_support, parse_server_event, support_message, ServerEvent,
    ServerEventKind,
};
pub use rest::EusateProvider;

/// The Socket.IO namespace of the helpdesk.
const NAMESPACE: &str = "/helpdesk";

/// Socket.IO event names of the helpdesk.
mod events {
    /// Client → server: join the customer's room, `{session_id}`.
    pub const ENTER_CUSTOMER_SUPPORT: &str = "enter_customer_support";
    /// Client → server: join a conversation's room, `{ticket_chat_id}`.
    pub const ENTER_SUPPORT: &str = "enter_support";
    /// Client → server: a customer message; server → client: the AI ("sate") answer.
    pub const SUPPORT: &str = "support";
    /// Server → client: a human agent's message.
    pub const CUSTOMER_SUPPORT: &str = "customer_support";
    /// Server → client: the conversation was closed.
    pub const CUSTOMER_SUPPORT_CLOSED: &str = "customer_support_closed";
}
