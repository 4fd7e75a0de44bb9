//! Eusate's REST reads ([`EusateProvider`]), and the socket configuration of its push channel.

use super::channel::{ChannelConfig, EusateChannel};
use super::message::{id_string, message_from};
use super::NAMESPACE;
use crate::json::Json;
use crate::model::{Author, Conversation, Session, Visitor};
use crate::protocol::push::PushChannel;
use crate::protocol::socketio::{engine_io_url, ClientConfig, DEFAULT_PATH};
use crate::protocol::wire::{self, encode};
use crate::protocol::{
    Capabilities, Context, Cursor, HttpRequest, HttpResponse, Listed, Listing, Outgoing, Page,
    Plan, Presence, Provider, ProviderError, Sent,
};
use crate::time::parse_rfc3339;

/// Eusate's public API host, used when `data-api-base` is not set.
const DEFAULT_BASE: &str = "https://api.eusate.com";

/// Request builders and parsers for Eusate's REST reads, plus the socket configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct EusateProvider {
    base: String,
    api_key: Option<String>,
}

impl EusateProvider {
    /// A provider for `api_base` (default: Eusate's public API host) and an optional key.
    pub fn new(api_base: Option<&str>, api_key: Option<&str>) -> Self {
        let base = api_base
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(DEFAULT_BASE);
        let base = crate::text::trim_end_slashes(base).to_string();
        EusateProvider {
            base,
            api_key: api_key
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_string),
        }
    }

    pub fn from_config(config: &crate::config::Config) -> Self {
        Self::new(config.api_base.as_deref(), config.api_key.as_deref())
    }

    /// A console warning when a key would be shipped to Eusate's public host from every
    /// visitor's browser (the docs treat keys as secret; a site proxy should add it instead).
    pub fn key_warning(&self) -> Option<String> {
        let host = match crate::text::split_once(&self.base, "://") {
            Some((_, rest)) => crate::text::before_any(rest, b"/:"),
            None => "",
        };
        if self.api_key.is_none() || !host.eq_ignore_ascii_case("api.eusate.com") {
            return None;
        }
        Some(
            "data-api-key is sent to api.eusate.com from every visitor's browser; \
             Eusate's API keys are meant to be secret. Prefer a proxy on your own site \
             (data-api-base) that adds the key."
                .to_string(),
        )
    }

    /// The session id for a visitor: the site's user id once identified, else the anonymous id.
    fn session_id_for(visitor: &Visitor) -> String {
        visitor
            .user_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or(&visitor.anon_id)
            .to_string()
    }

    /// `…/customer/{session_id}/conversations/`, the session's conversations.
    fn conversations_url(&self, session_id: &str) -> String {
        format!(
            "{}/api/v1/helpdesk/customer/{}/conversations/",
            self.base,
            encode(session_id)
        )
    }

    /// `…/conversations/{conversation_id}/messages/`, one conversation's history.
    fn messages_url(&self, session_id: &str, conversation_id: &str) -> String {
        let mut url = self.conversations_url(session_id);
        url.push_str(&encode(conversation_id));
        url.push_str("/messages/");
        url
    }

    fn get(&self, url: String) -> HttpRequest {
        let request = HttpRequest::get(url);
        match &self.api_key {
            Some(key) => request.header("Authorization", format!("Bearer {key}")),
            None => request,
        }
    }

    /// The Engine.IO WebSocket URL of the helpdesk socket: `{base}/socket.io/` with
    /// `token_source=api&token=KEY` when a key is configured.
    fn socket_url(&self) -> Result<String, ProviderError> {
        let keyed;
        let query: &[(&str, &str)] = match &self.api_key {
            Some(key) => {
                keyed = [("token_source", "api"), ("token", key.as_str())];
                &keyed
            }
            None => &[],
        };
        engine_io_url(&self.base, DEFAULT_PATH, query)
            .map_err(|e| ProviderError::Config(e.to_string()))
    }

    /// The push channel for a session, resuming `conversation` if one is known.
    pub fn channel(
        &self,
        session_id: &str,
        conversation: Option<&str>,
        seed: u64,
    ) -> Result<EusateChannel, ProviderError> {
        Ok(EusateChannel::new(
            ClientConfig::new(self.socket_url()?, NAMESPACE),
            session_id,
            conversation,
            ChannelConfig::default(),
            seed,
        ))
    }
}

/// Parses a conversation's messages (`{…, messages: […]}`, chronological) into a page after
/// `seen` messages. The API has no paging: the cursor is the count of messages already seen.
fn parse_messages(resp: &HttpResponse, seen: usize) -> Result<Page, ProviderError> {
    let body = resp.json()?;
    let list = match body.get("messages") {
        Some(Json::Array(list)) => list,
        // The raw body quoted, as every backend's unreadable answer (`wire::malformed`).
        _ => return Err(wire::malformed(resp, "no messages list")),
    };
    // Fewer than seen (history edited): hand back everything; the engine drops known ids.
    let skip = if seen <= list.len() { seen } else { 0 };
    // An item that cannot be read is skipped (and counted as seen); an unusable date is left
    // to the engine to fill in.
    let (messages, warnings) = wire::read_messages(&list[skip..], |item, notes| {
        message_from(item, &Author::System, true, wire::UNKNOWN_TIME, notes).map_err(String::from)
    });
    Ok(Page {
        // The conversation's documented `closed`; only the boolean `true` closes it.
        closed: matches!(body.get("closed"), Some(Json::Bool(true))),
        messages,
        next: Cursor(Json::from(list.len())),
        more: false,
        warnings,
        // The conversation's documented `read_by_agent`; anything but a boolean says nothing.
        presence: Presence {
            typing: false,
            seen: match body.get("read_by_agent") {
                Some(Json::Bool(read)) => Some(*read),
                _ => None,
            },
        },
    })
}

/// Parses the session's conversations: the documented example is a bare list, its field table
/// names it `conversations`; both are read. Each is read for its id, `closed`, and its
/// `latest_message`'s text and time (else `date_updated`); one without a usable id is skipped,
/// with a warning.
fn parse_list(resp: &HttpResponse) -> Result<Listing, ProviderError> {
    let body = resp.json()?;
    let items = match &body {
        Json::Array(items) => items,
        _ => match body.get("conversations") {
            Some(Json::Array(items)) => items,
            _ => return Err(wire::malformed(resp, "no conversations list")),
        },
    };
    let mut listing = Listing::default();
    // In one loop, each item read where it is pushed.
    for item in items {
        // `id_string` gives no empty id.
        let Some(id) = item.get("id").and_then(id_string) else {
            listing
                .warnings
                .push("skipped a conversation of the list without an id".into());
            continue;
        };
        let mut at = item
            .get("date_updated")
            .and_then(Json::as_str)
            .and_then(parse_rfc3339)
            .unwrap_or(wire::UNKNOWN_TIME);
        let mut preview = String::new();
        if let Some(last) = item.get("latest_message") {
            // A last message that does not read leaves the line without its text.
            if let Ok(Some(m)) = message_from(last, &Author::System, false, at, &mut Vec::new()) {
                preview = m.body.plain_text();
                at = m.created_at;
            }
        }
        listing.conversations.push(Listed {
            conversation: Conversation {
                id,
                extra: Json::Null,
            },
            preview,
            at,
            // Only the boolean `true` closes it.
            closed: matches!(item.get("closed"), Some(Json::Bool(true))),
        });
    }
    Ok(listing)
}

impl Provider for EusateProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: false,
            lists_conversations: true,
            ..Capabilities::default()
        }
    }

    /// The session id is ours to choose: nothing to ask the server.
    fn start_session(&self, visitor: &Visitor, _previous: Option<&Session>) -> Plan<Session> {
        Plan::Ready(Ok(Session {
            id: Self::session_id_for(visitor),
            extra: Json::Null,
        }))
    }

    /// Eusate opens a conversation with its first message (`ticket_chat_id: null`), so the
    /// conversation starts out pending: an empty id that [`EusateChannel`] fills in
    /// ([`PushOutput::ConversationAssigned`](crate::protocol::push::PushOutput)) when the answer
    /// arrives.
    fn open_conversation(
        &self,
        _visitor: &Visitor,
        _session: &Session,
        _first: &Outgoing,
    ) -> Plan<Conversation> {
        Plan::Ready(Ok(Conversation {
            id: String::new(),
            extra: Json::object([("pending", Json::from(true))]),
        }))
    }

    /// Messages go over the socket ([`PushChannel::send`]); HTTP cannot send them.
    fn send_message(&self, _cx: Context<'_>, _message: &Outgoing) -> Plan<Sent> {
        Plan::Ready(Err(ProviderError::Config(
            "Eusate messages are sent over the Socket.IO channel, not HTTP".into(),
        )))
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        if cx.conversation.id.is_empty() {
            // Still pending: nothing to read yet.
            return Plan::Ready(Ok(Page {
                closed: false,
                messages: Vec::new(),
                next: cursor.clone(),
                more: false,
                warnings: Vec::new(),
                presence: Default::default(),
            }));
        }
        let seen = cursor.0.as_u64().unwrap_or(0) as usize;
        Plan::request(
            // The history endpoint returns the whole conversation.
            self.get(self.messages_url(&cx.session.id, &cx.conversation.id))
                .whole_history(),
            move |resp| parse_messages(resp, seen),
        )
    }

    fn listing(&self, _visitor: &Visitor, session: &Session) -> Plan<Listing> {
        Plan::request(self.get(self.conversations_url(&session.id)), parse_list)
    }

    fn push_channel(
        &self,
        session: &Session,
        conversation: Option<&Conversation>,
        seed: u64,
    ) -> Option<Result<Box<dyn PushChannel>, ProviderError>> {
        let conversation = conversation
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty());
        Some(
            self.channel(&session.id, conversation, seed)
                .map(|c| Box::new(c) as Box<dyn PushChannel>),
        )
    }
}
