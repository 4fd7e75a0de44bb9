//! Helpwire's own relay (`relay/`, issue #17): a server that holds the helpdesk's secret keys and
//! speaks one small HTTP API to the widget, so a secret-key helpdesk can be used in production
//! without a key in the page.
//!
//! The visitor gets a token from `POST /v1/visitors` (sent again as `Authorization: Bearer` to
//! resume); it travels in that header only, never in a URL. The token lives in
//! [`Session::extra`]. `POST /v1/conversations` stores the first message and answers with a new
//! token, which from then on owns the conversation: the provider hands it to the engine as the
//! conversation's session ([`Conversation::NEW_SESSION`]), which replaces the old one.
//!
//! The relay dedupes on `client_id`, which is the widget's local message id: a send retried after
//! a lost answer is stored once. The first message, stored by `POST /v1/conversations`, is
//! remembered in [`Conversation::extra`] ([`FIRST`]) with the replies that came with it, so the
//! engine's send of it that follows the opening needs no request (without it, the relay would
//! answer that send from its copy) and delivers those replies. Errors are
//! `{"error": {"code", "message"}}`; a 401 (`invalid_token`) becomes
//! [`ProviderError::SessionExpired`], on which the engine starts a new session.

use super::wire::{self, Fields};
use super::{
    Capabilities, Context, Cursor, HttpRequest, HttpResponse, Outgoing, Page, Plan, Presence,
    Provider, ProviderError, Sent,
};
#[cfg(feature = "listing")]
use super::{Listed, Listing};
use crate::config::Config;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};
use crate::text::{ellipsize, quote};

/// Longest message the widget sends: the limit the relay documents (`413 too_large` beyond it).
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// Key of the visitor's token in [`Session::extra`].
pub const TOKEN: &str = "token";

/// Key of the token's expiry (ms since the epoch) in [`Session::extra`], when the relay gave a
/// readable one. Kept for the console and for debugging; the relay decides whether a token still
/// works (a refused one is a 401, and the engine starts a new session).
pub const EXPIRES_AT: &str = "expires_at";

/// Key in [`Conversation::extra`] of the first message as `POST /v1/conversations` stored it
/// (`{client_id, id, created_at?, replies?}`): the engine's send of that message, which follows
/// the opening, then needs no request and hands over the replies that came with it.
pub const FIRST: &str = "first";

/// Request builders and parsers for the relay's `/v1` API.
#[derive(Clone, Debug, PartialEq)]
pub struct RelayProvider {
    /// The relay's base URL without `/v1` and without a trailing slash.
    base: String,
}

impl RelayProvider {
    /// `api_base` may be given with or without `/v1` and trailing slashes.
    pub fn new(api_base: &str) -> Self {
        RelayProvider {
            base: wire::base_url(api_base, &["/v1"]),
        }
    }

    /// The provider for a validated configuration (`data-api-base` is required).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let base = config
            .api_base
            .as_deref()
            .ok_or("data-provider=\"relay\" needs data-api-base (the relay's URL)")?;
        Ok(Self::new(base))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v1/{path}", self.base)
    }

    /// The URL of a conversation's messages.
    fn messages_url(&self, conversation: &Conversation) -> String {
        format!(
            "{}/v1/conversations/{}/messages",
            self.base,
            wire::encode(&conversation.id)
        )
    }
}

/// What one event of `GET /v1/events` says.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// A new message in a conversation the token owns (the same object
    /// `GET /v1/conversations/{id}/messages` lists).
    Message {
        conversation_id: String,
        message: Box<Message>,
    },
    /// Support closed this conversation.
    Closed(String),
}

impl RelayProvider {
    /// `GET /v1/events`, the server-sent events of the conversations the session's token owns.
    /// The token goes in the `Authorization` header only: the URL ends up in logs.
    pub fn event_stream(&self, session: &Session) -> Result<HttpRequest, ProviderError> {
        authorized(HttpRequest::get(self.url("events")), session)
    }
}

/// Reads one event of the stream. Anything else than a readable `message` or `closed` event
/// (another name, data that is not the documented object) is `Err(reason)`, for the console: the
/// caller skips it, and the catch-up read after a reconnect covers whatever it may have been.
/// `notes` gets what was replaced by a fallback (an unusable time).
pub fn read_event(
    event: &super::sse::SseEvent,
    notes: &mut Vec<String>,
) -> Result<StreamEvent, String> {
    let name = event.event.as_str();
    let closed = match name {
        "message" => false,
        "closed" => true,
        _ => {
            return Err(format!(
                "an event of unknown type \"{}\"",
                ellipsize(name, 40)
            ))
        }
    };
    let data = Json::parse(&event.data).map_err(|e| format!("a {name} event: {e}"))?;
    let f = Fields::of(&data, "the event")?;
    let conversation_id = f.id(&["conversation_id"])?;
    // The relay's ids are at most 128 characters: a longer one names no conversation of ours.
    if conversation_id.len() > 128 {
        return Err("a conversation id over 128 characters".into());
    }
    if closed {
        return Ok(StreamEvent::Closed(conversation_id));
    }
    Ok(StreamEvent::Message {
        conversation_id,
        message: Box::new(read_message(f.value("message")?, notes)?),
    })
}

/// Warnings for the console about how the site configured the relay (the caller adds the
/// "Helpwire: " prefix).
pub fn warnings(config: &Config) -> Vec<String> {
    match config.api_key {
        Some(_) => vec![format!(
            "{} is not used with the relay, which keeps the helpdesk's keys on the server: \
             remove it from the page (and revoke it if it is a secret key).",
            config.name_of("api-key")
        )],
        None => Vec::new(),
    }
}

/// The body of `POST /v1/visitors`: who the visitor is, as far as the site said.
fn identity(visitor: &Visitor) -> Json {
    let mut body = Json::Object(Vec::new());
    for (key, value) in [
        ("user_id", &visitor.user_id),
        ("user_hash", &visitor.user_hash),
        ("email", &visitor.email),
        ("name", &visitor.name),
    ] {
        if let Some(value) = value {
            body.insert(key, Json::from(value));
        }
    }
    if let Some(custom) = &visitor.custom_data {
        body.insert("custom_data", custom.clone());
    }
    body
}

/// The session's token, if it has a usable one.
fn token(session: &Session) -> Option<&str> {
    session
        .extra
        .get(TOKEN)
        .and_then(Json::as_str)
        .filter(|t| is_header_safe(t))
}

/// Whether `token` can go in a header as it is: non-empty, visible ASCII only (a line break or
/// a control character would make the browser refuse the request, or split the header).
fn is_header_safe(token: &str) -> bool {
    !token.is_empty() && token.bytes().all(|b| b.is_ascii_graphic())
}

/// `request` with the session's bearer token, or the error that starts a new session (a session
/// without a usable token, such as one stored by hand, cannot talk to the relay).
fn authorized(request: HttpRequest, session: &Session) -> Result<HttpRequest, ProviderError> {
    match token(session) {
        Some(token) => Ok(bearer(request, token)),
        None => Err(ProviderError::SessionExpired(
            "the stored session has no token".into(),
        )),
    }
}

/// `request` with `token` in the `Authorization` header.
fn bearer(request: HttpRequest, token: &str) -> HttpRequest {
    request.header("Authorization", format!("Bearer {token}"))
}

/// Reads a token the relay handed out; it must be fit for a header.
fn read_token(f: &Fields<'_>) -> Result<String, String> {
    let token = f.str(TOKEN)?;
    if !is_header_safe(token) {
        return Err("the token is not fit for a header".into());
    }
    Ok(token.to_string())
}

/// Maps an error answer, then reads a 2xx JSON body with `read`.
fn parse<T>(
    resp: &HttpResponse,
    read: impl FnOnce(&Json) -> Result<T, String>,
) -> Result<T, ProviderError> {
    read(&answer(resp)?).map_err(|reason| wire::malformed(resp, reason))
}

/// The JSON of a 2xx answer (the body parsed once, whatever the status), or the typed error.
/// Not generic, and never inlined: one copy for the four requests' parsers.
///
/// An answer that is not 2xx: `{"error": {"code", "message"}}` gives the detail (for the
/// console); a 401 (`invalid_token`) means the session is gone, every other status keeps its
/// meaning for the engine (404 conversation gone, 429/502/504 retried later, 400/403/413
/// refused).
#[inline(never)]
fn answer(resp: &HttpResponse) -> Result<Json, ProviderError> {
    let parsed = Json::parse(&resp.body);
    if (200..300).contains(&resp.status) {
        return parsed.map_err(|e| wire::malformed(resp, e.to_string()));
    }
    let error = parsed.as_ref().ok().and_then(|v| v.get("error"));
    let code = error.and_then(|e| e.get("code")).and_then(Json::as_str);
    let message = error.and_then(|e| e.get("message")).and_then(Json::as_str);
    let detail = match (code, message) {
        (Some(code), Some(message)) => format!("{code}: {message}"),
        (Some(text), None) | (None, Some(text)) => text.to_string(),
        (None, None) => quote(&resp.body),
    };
    Err(if resp.status == 401 || code == Some("invalid_token") {
        ProviderError::SessionExpired(detail)
    } else {
        ProviderError::Status {
            status: resp.status,
            detail,
            retry_after: resp.retry_after,
        }
    })
}

/// Reads one conversation of `GET /v1/conversations`. Never inlined: in the list's loop it
/// made the parser larger.
#[cfg(feature = "listing")]
#[inline(never)]
fn read_listed_conversation(v: &Json) -> Result<Listed, String> {
    let f = Fields::of(v, "a conversation of the list")?;
    Ok(Listed {
        conversation: Conversation {
            id: f.id(&["id"])?,
            extra: Json::Null,
        },
        preview: f
            .opt_str("last_text")
            .ok()
            .flatten()
            .unwrap_or_default()
            .to_string(),
        // The time reader every message goes through (an epoch number reads too).
        at: f
            .opt_time(&["last_at"])
            .ok()
            .flatten()
            .unwrap_or(wire::UNKNOWN_TIME),
        closed: matches!(f.get("closed"), Some(Json::Bool(true))),
    })
}

/// Reads one message: `{id, client_id?, author, text | doc, attachments?, created_at}`. An
/// unusable time is left to the engine (noted in `notes`).
fn read_message(v: &Json, notes: &mut Vec<String>) -> Result<Message, String> {
    let f = Fields::of(v, "a message")?;
    let id = f.id(&["id"])?;
    let author = match f.str("author")? {
        "visitor" => Author::Visitor,
        "agent" => Author::Agent { name: None },
        "bot" => Author::Bot { name: None },
        "system" => Author::System,
        other => return Err(format!("unknown author \"{}\"", ellipsize(other, 40))),
    };
    let body = match f.get("doc") {
        // Rendered through the widget's allow-list (`richtext`), like every rich document.
        Some(doc) if crate::richtext::is_doc(doc) => Body::Rich(doc.clone()),
        Some(other) => {
            return Err(format!(
                "`doc` is not a rich-text document: {}",
                wire::snippet(other)
            ))
        }
        None => Body::Text(f.opt_str("text")?.unwrap_or_default().to_string()),
    };
    let created_at = f.message_time(&["created_at"], notes);
    let mut message = Message::received(id, author, body, created_at);
    message.attachments = wire::attachments(f.array("attachments")?, "mime")?;
    // Only the visitor's own messages are matched to the widget's by `client_id`: an agent's
    // message naming one must not pass for the visitor's delivery.
    if message.author == Author::Visitor {
        message.local_id = f.opt_string("client_id")?.filter(|c| !c.is_empty());
    }
    Ok(message)
}

/// [`read_message`] for [`wire::read_messages`] (the relay lists no message it leaves out).
/// One function for the three lists, so that the generic reader is compiled once.
fn read_listed(v: &Json, notes: &mut Vec<String>) -> Result<Option<Message>, String> {
    read_message(v, notes).map(Some)
}

/// What [`FIRST`] keeps of the first message a conversation was opened with: the message as the
/// answer gave it, if it is an object and that message (its `client_id` absent or the one sent),
/// marked with the `client_id` sent, with the replies that came with it. They are kept because a
/// poll may never bring them: the bot's answers exist only in the answer to a send (the relay
/// keeps no history of them). Read when that send comes ([`already_stored`]).
fn first_stored(message: Option<&Json>, replies: Option<&Json>, client_id: &str) -> Option<Json> {
    let mut stored = message.filter(|m| matches!(m, Json::Object(_)))?.clone();
    match stored.get("client_id") {
        None | Some(Json::Null) => {}
        Some(Json::String(c)) if c == client_id => {}
        Some(_) => return None,
    }
    stored.insert("client_id", Json::from(client_id));
    // Read (and each unreadable one skipped) when they are handed over, as a send's replies are.
    if let Some(replies @ Json::Array(_)) = replies {
        stored.insert("replies", replies.clone());
    }
    Some(stored)
}

/// The delivery of `message` if it is the first message the conversation was opened with, and
/// [`FIRST`] gives it readably (an id; a time when usable); otherwise the send goes out, and the
/// relay answers it from its copy (deduped on `client_id`).
fn already_stored(conversation: &Conversation, message: &Outgoing) -> Option<Sent> {
    let first = Fields::of(conversation.extra.get(FIRST)?, "the first message").ok()?;
    if first.get("client_id").and_then(Json::as_str) != Some(message.local_id.as_str()) {
        return None;
    }
    let remote_id = first.id(&["id"]).ok()?;
    let (replies, warnings) =
        wire::read_messages(first.array("replies").unwrap_or_default(), read_listed);
    Some(Sent {
        remote_id,
        created_at: first.opt_time(&["created_at"]).ok().flatten(),
        replies,
        warnings,
        presence: Default::default(),
    })
}

/// The relay's cursor a read continues from: a non-empty string, or none (the first page).
fn given_cursor(cursor: &Cursor) -> Option<&str> {
    cursor.0.as_str().filter(|c| !c.is_empty())
}

/// The body of a send: the widget's local id as `client_id` (the relay dedupes on it).
fn outgoing(message: &Outgoing) -> Json {
    Json::object([
        ("client_id", Json::from(&message.local_id)),
        ("text", Json::from(&message.text)),
    ])
}

impl Provider for RelayProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: true,
            // Every poll costs the relay a helpdesk call: as often as Bancroft's.
            poll_open_ms: 4_000,
            poll_closed_ms: 30_000,
            rich_text: true,
            attachments: true,
            max_message_chars: MAX_MESSAGE_CHARS,
            // `GET /v1/conversations`: what the token owns, a verified user's from other
            // devices too.
            lists_conversations: cfg!(feature = "listing"),
            shows_own_messages: true,
        }
    }

    fn start_session(&self, visitor: &Visitor, previous: Option<&Session>) -> Plan<Session> {
        let mut request = HttpRequest::post(self.url("visitors"), identity(visitor));
        // Resume: the relay answers with a fresh token for the same visitor (or refuses the old
        // one with a 401, and the engine starts afresh without it).
        if let Some(token) = previous.and_then(token) {
            request = bearer(request, token);
        }
        Plan::request(request, |resp| {
            parse(resp, |v| {
                let f = Fields::of(v, "the visitor session")?;
                let mut extra = Json::object([(TOKEN, Json::from(read_token(&f)?))]);
                // Informational only: an unreadable expiry does not make the token unusable.
                if let Ok(Some(at)) = f.opt_time(&["expires_at"]) {
                    extra.insert(EXPIRES_AT, Json::from(at));
                }
                Ok(Session {
                    id: f.id(&["visitor_id"])?,
                    extra,
                })
            })
        })
    }

    fn open_conversation(
        &self,
        _visitor: &Visitor,
        session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation> {
        let request = HttpRequest::post(self.url("conversations"), outgoing(first));
        let request = match authorized(request, session) {
            Ok(request) => request,
            Err(e) => return Plan::Ready(Err(e)),
        };
        let session = session.clone();
        let client_id = first.local_id.clone();
        Plan::request(request, move |resp| {
            parse(resp, |v| {
                let f = Fields::of(v, "the created conversation")?;
                // An object with an `id`, or the id itself: one read of the id for both.
                let (of, key) = match f.value("conversation")? {
                    v @ Json::Object(_) => (Fields::of(v, "the conversation")?, "id"),
                    _ => (f, "conversation"),
                };
                let mut conversation = Conversation {
                    id: of.id(&[key])?,
                    extra: Json::Null,
                };
                // The first message is stored with the conversation: remembered, so that the
                // engine's send of it, which comes next, is answered without a request. Without
                // a readable `message` that send goes out, and the relay answers it from its copy
                // (deduped on `client_id`), replies included.
                if let Some(stored) = first_stored(f.get("message"), f.get("replies"), &client_id) {
                    conversation.extra.insert(FIRST, stored);
                }
                if f.get(TOKEN).is_some() {
                    // The new token owns the conversation: it replaces the session's.
                    let mut owner = session;
                    owner.extra.insert(TOKEN, Json::from(read_token(&f)?));
                    conversation.set_new_session(&owner);
                }
                Ok(conversation)
            })
        })
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        if let Some(sent) = already_stored(cx.conversation, message) {
            return Plan::Ready(Ok(sent));
        }
        let url = self.messages_url(cx.conversation);
        let request = match authorized(HttpRequest::post(url, outgoing(message)), cx.session) {
            Ok(request) => request,
            Err(e) => return Plan::Ready(Err(e)),
        };
        let local_id = message.local_id.clone();
        Plan::request(request, move |resp| {
            parse(resp, |v| {
                let f = Fields::of(v, "the send answer")?;
                let stored = Fields::of(f.value("message")?, "the stored message")?;
                // The relay dedupes on `client_id`: an answer about another message is not this
                // message's delivery.
                if let Some(client_id) = stored.opt_str("client_id")? {
                    if client_id != local_id {
                        return Err(format!(
                            "the stored message is for client_id \"{}\", not \"{local_id}\"",
                            ellipsize(client_id, 80)
                        ));
                    }
                }
                let remote_id = stored.id(&["id"])?;
                // The send counts as delivered whatever the replies hold: one unreadable reply
                // is skipped with a warning, like an item of a list.
                let (replies, mut warnings) = match f.array("replies") {
                    Ok(items) => wire::read_messages(items, read_listed),
                    Err(reason) => (
                        Vec::new(),
                        vec![format!("skipped the unreadable replies: {reason}")],
                    ),
                };
                let created_at = stored.sent_time(&["created_at"], &mut warnings);
                Ok(Sent {
                    remote_id,
                    created_at,
                    replies,
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }

    /// `GET /v1/conversations`: `{conversations: [{id, last_text?, last_at?, closed?}]}`, the
    /// last three where the helpdesk lists them. An item without a usable id is skipped, with
    /// a warning; a `last_text` or `last_at` of another type is left out.
    #[cfg(feature = "listing")]
    fn listing(&self, _visitor: &Visitor, session: &Session) -> Plan<Listing> {
        let request = match authorized(HttpRequest::get(self.url("conversations")), session) {
            Ok(request) => request,
            Err(e) => return Plan::Ready(Err(e)),
        };
        Plan::request(request, |resp| {
            parse(resp, |v| {
                let mut listing = Listing::default();
                for item in
                    Fields::of(v, "the conversation list")?.required_array("conversations")?
                {
                    match read_listed_conversation(item) {
                        Ok(listed) => listing.conversations.push(listed),
                        // The reason names what it could not read ("the conversation: …").
                        Err(reason) => listing.warnings.push(reason),
                    }
                }
                Ok(listing)
            })
        })
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        let mut url = self.messages_url(cx.conversation);
        if let Some(c) = given_cursor(cursor) {
            url.push_str(&format!("?cursor={}", wire::encode(c)));
        }
        let request = match authorized(HttpRequest::get(url), cx.session) {
            Ok(request) => request,
            Err(e) => return Plan::Ready(Err(e)),
        };
        let kept = cursor.clone();
        Plan::request(request, move |resp| {
            parse(resp, |v| {
                let f = Fields::of(v, "the message page")?;
                let items = f.required_array("messages")?;
                let next = f.opt_str("cursor")?.filter(|c| !c.is_empty());
                let (messages, warnings) = wire::read_messages(items, read_listed);
                // `more` without a new cursor would read the same page again at once, forever.
                let advanced = next.is_some() && next != given_cursor(&kept);
                let more = f.opt_bool("more")?.unwrap_or(false) && advanced;
                Ok(Page {
                    // Support closed it (the helpdesk's status, read by the relay); anything but
                    // `true` says nothing.
                    closed: matches!(f.get("closed"), Some(Json::Bool(true))),
                    messages,
                    next: match next {
                        Some(c) => Cursor(Json::from(c)),
                        // No cursor: the next read starts where this one did (the engine
                        // drops what it already has by id).
                        None => kept,
                    },
                    more,
                    warnings,
                    // What the relay's helpdesk says of support's side; anything but a boolean
                    // says nothing, as with the helpdesks themselves.
                    presence: Presence {
                        typing: matches!(f.get("typing"), Some(Json::Bool(true))),
                        seen: match f.get("seen") {
                            Some(Json::Bool(read)) => Some(*read),
                            _ => None,
                        },
                    },
                })
            })
        })
    }
}
