//! The helpdesk's Socket.IO events: the ones it pushes to a customer, decoded into messages, and
//! the payloads the widget emits.

use super::envelope::parse_envelope;
use super::error::{malformed, EusateError};
use super::events;
use super::message::{conversation_of, hex_id, message_from};
use crate::hash::fnv1a_parts;
use crate::json::Json;
use crate::model::{Author, Body, Message, SystemNotice};

/// The events the helpdesk pushes to a customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerEventKind {
    /// `support`: the AI answer; it carries the `ticket_chat_id` of a newly opened conversation.
    Answer,
    /// `customer_support`: a human agent wrote.
    AgentReply,
    /// `customer_support_closed`: the conversation was closed.
    Closed,
}

impl ServerEventKind {
    /// The kind for an event name, if it is one the widget handles.
    pub(super) fn from_name(name: &str) -> Option<Self> {
        match name {
            events::SUPPORT => Some(ServerEventKind::Answer),
            events::CUSTOMER_SUPPORT => Some(ServerEventKind::AgentReply),
            events::CUSTOMER_SUPPORT_CLOSED => Some(ServerEventKind::Closed),
            _ => None,
        }
    }

    fn default_author(self) -> Author {
        match self {
            ServerEventKind::Answer => Author::Bot { name: None },
            ServerEventKind::AgentReply => Author::Agent { name: None },
            ServerEventKind::Closed => Author::System,
        }
    }
}

/// A decoded server event.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerEvent {
    pub kind: ServerEventKind,
    /// The conversation it concerns, if the payload says.
    pub conversation_id: Option<String>,
    /// Oldest first. For [`ServerEventKind::Closed`], exactly one [`Author::System`] message: the
    /// helpdesk's words, or [`SystemNotice::ConversationClosed`] when it gave none.
    pub messages: Vec<Message>,
    /// For the console: items skipped as unreadable, or read with the time they arrived.
    pub problems: Vec<EusateError>,
}

/// Decodes the payload of a `support`, `customer_support` or `customer_support_closed` event;
/// a non-2xx envelope is [`EusateError::Status`]. `now` dates messages that carry no date.
#[inline(never)]
pub fn parse_server_event(
    kind: ServerEventKind,
    args: &[Json],
    now: f64,
) -> Result<ServerEvent, EusateError> {
    let envelope = parse_envelope(args)?;
    envelope.check()?;
    let data = &envelope.data;
    // A slice of the payload, not a list of references: nothing to allocate.
    let items: &[Json] = match data {
        Json::Null => &[],
        Json::Array(list) => list,
        Json::String(_) => std::slice::from_ref(data),
        Json::Object(_) => match data.get("messages") {
            Some(Json::Array(list)) => list,
            _ => match data.get("message") {
                Some(inner @ Json::Object(_)) => std::slice::from_ref(inner),
                _ => std::slice::from_ref(data),
            },
        },
        _ => return Err(malformed("data is not an object", data)),
    };
    let mut conversation_id = conversation_of(data);
    for item in items {
        if conversation_id.is_some() {
            break;
        }
        conversation_id = conversation_of(item);
    }
    let author = kind.default_author();
    let mut messages = Vec::new();
    let mut problems = Vec::new();
    for item in items {
        // One unreadable item must not take the others of the event with it.
        let mut notes = Vec::new();
        match message_from(item, &author, false, now, &mut notes) {
            Ok(m) => messages.extend(m),
            Err(reason) => problems.push(malformed(reason, item)),
        }
        for mut n in notes {
            n.push_str("; the message is shown with the time it arrived");
            problems.push(malformed(n, item));
        }
    }
    if kind == ServerEventKind::Closed {
        // The helpdesk's own words when it gave any; else the widget words it in the visitor's
        // language (a notice, not a text: no visitor-facing text is invented here).
        let (text, created_at) = match messages.first() {
            Some(m) => (Some(m.body.plain_text()), m.created_at),
            None => (
                envelope.message.clone().filter(|m| !m.trim().is_empty()),
                now,
            ),
        };
        let notice = SystemNotice::ConversationClosed;
        let id = hex_id(
            "eusate-closed-",
            fnv1a_parts(&[
                conversation_id.as_deref().unwrap_or_default(),
                text.as_deref().unwrap_or(notice.tag()),
                &(created_at as i64).to_string(),
            ]),
        );
        let body = match text {
            Some(text) => Body::Text(text),
            None => Body::Notice(notice),
        };
        messages.clear();
        messages.push(Message::received(id, Author::System, body, created_at));
    }
    // Oldest first, stable. An insertion sort: an event carries a few messages (linear when
    // they come in order, as they do; quadratic at worst, like the engine's merge of them), and
    // std's stable sort would link a merge sort for this one use.
    for i in 1..messages.len() {
        let mut j = i;
        while j > 0
            && messages[j - 1]
                .created_at
                .total_cmp(&messages[j].created_at)
                .is_gt()
        {
            messages.swap(j - 1, j);
            j -= 1;
        }
    }
    Ok(ServerEvent {
        kind,
        conversation_id,
        messages,
        problems,
    })
}

/// The payload of `enter_customer_support`, as JSON text.
pub fn enter_customer_support(session_id: &str) -> String {
    object(&[("session_id", Some(session_id))], "")
}

/// The payload of `enter_support`, as JSON text.
pub fn enter_support(ticket_chat_id: &str) -> String {
    object(&[("ticket_chat_id", Some(ticket_chat_id))], "")
}

/// The payload of a customer `support` message, as JSON text; `ticket_chat_id: None` opens a
/// new conversation.
pub fn support_message(session_id: &str, message: &str, ticket_chat_id: Option<&str>) -> String {
    object(
        &[
            ("session_id", Some(session_id)),
            ("message", Some(message)),
            ("ticket_chat_id", ticket_chat_id),
        ],
        r#","attachment":false"#,
    )
}

/// A JSON object of string (or null) members, then `rest` (more members, as text). Written
/// directly: the keys are plain ASCII, the values go through the JSON writer's escaping.
fn object(members: &[(&str, Option<&str>)], rest: &str) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        out.push_str(key);
        out.push_str("\":");
        Json::from(*value).write_to(&mut out);
    }
    out.push_str(rest);
    out.push('}');
    out
}
