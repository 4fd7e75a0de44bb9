//! Eusate: REST reads and Socket.IO sends, sans-IO.
//!
//! Eusate has no create calls: the `session_id` is chosen by the client (the visitor's stable id)
//! and a conversation is opened by sending its first message with `ticket_chat_id: null`. Reading
//! is REST ([`EusateProvider`] implements [`Provider`] for it); sending and receiving answers is
//! Socket.IO on the `/helpdesk` namespace, which the HTTP-shaped [`Provider`] contract cannot
//! express. That half is [`EusateChannel`]: a pure state machine over [`SocketIoClient`] that
//! turns "send this message" into emits and server events into [`Message`]s, conversation ids and
//! delivery reports. The wasm `socket_driver` runs it over a real WebSocket.
//!
//! Payload shapes beyond the documented envelope `{status_code, sid, message, data}` are not
//! published; the parsers accept the REST message object (`{id, message, sender, date_created,
//! ticket_chat, …}`) inside `data`, directly, nested as `data.message`, or as a list, and find
//! the conversation id as `ticket_chat_id` or `ticket_chat`.

use super::socketio::{
    engine_io_url, percent_encode, Action, ClientConfig, ClientError, ConnectionState,
    DisconnectReason, IncomingEvent, SocketIoClient, DEFAULT_PATH,
};
use super::{
    Capabilities, Context, Cursor, HttpRequest, HttpResponse, Outgoing, Page, Plan, Provider,
    ProviderError, Sent,
};
use crate::json::Json;
use crate::model::{Attachment, Author, Body, Conversation, Message, Session, Visitor};
use std::fmt;

/// Eusate's public API host, used when `data-api-base` is not set.
pub const DEFAULT_BASE: &str = "https://api.eusate.com";

/// The Socket.IO namespace of the helpdesk.
pub const NAMESPACE: &str = "/helpdesk";

/// Eusate keeps at most this many open conversations per customer.
pub const MAX_OPEN_CONVERSATIONS: usize = 3;

/// Text of the system message shown when support closes a conversation without saying why.
pub const CLOSED_NOTICE: &str = "This conversation was closed by support.";

/// Socket.IO event names of the helpdesk.
pub mod events {
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

// ---------------------------------------------------------------------------------------------
// Errors and the event envelope
// ---------------------------------------------------------------------------------------------

/// What can be wrong with a server event.
#[derive(Clone, Debug, PartialEq)]
pub enum EusateError {
    /// The envelope's `status_code` is not 2xx; `message` is the server's explanation.
    Status { status: u16, message: String },
    /// The payload is not the documented envelope; keeps the raw JSON for the console.
    Malformed { reason: String, payload: String },
}

impl fmt::Display for EusateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EusateError::Status { status, message } => write!(f, "Eusate {status}: {message}"),
            EusateError::Malformed { reason, payload } => {
                write!(f, "unexpected Eusate event ({reason}): {payload}")
            }
        }
    }
}

impl std::error::Error for EusateError {}

impl From<EusateError> for ProviderError {
    fn from(e: EusateError) -> Self {
        match e {
            EusateError::Status { status, message } => ProviderError::Status {
                status,
                detail: message,
                retry_after: None,
            },
            EusateError::Malformed { reason, payload } => ProviderError::Malformed {
                reason,
                body: payload,
            },
        }
    }
}

fn malformed(reason: impl Into<String>, payload: &Json) -> EusateError {
    let mut raw = payload.to_string();
    if let Some((i, _)) = raw.char_indices().nth(300) {
        raw.truncate(i);
        raw.push('…');
    }
    EusateError::Malformed {
        reason: reason.into(),
        payload: raw,
    }
}

/// The wrapper around every server event payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub status_code: u16,
    /// The socket id the server answered on (unused by the widget).
    pub sid: Option<String>,
    /// A human-readable status, or the error's explanation.
    pub message: Option<String>,
    pub data: Json,
}

impl Envelope {
    /// Ok for a 2xx `status_code`, else the typed error.
    pub fn check(&self) -> Result<(), EusateError> {
        if (200..300).contains(&self.status_code) {
            return Ok(());
        }
        let message = self
            .message
            .clone()
            .filter(|m| !m.is_empty())
            .or_else(|| {
                self.data
                    .get("detail")
                    .and_then(Json::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| format!("status {}", self.status_code));
        Err(EusateError::Status {
            status: self.status_code,
            message,
        })
    }
}

/// Reads the `{status_code, sid, message, data}` wrapper of an event's first argument. A payload
/// without `status_code` is taken as unwrapped data with status 200, so a server that sends the
/// bare object still works.
pub fn parse_envelope(args: &[Json]) -> Result<Envelope, EusateError> {
    let Some(payload) = args.first() else {
        return Err(malformed("event without payload", &Json::Null));
    };
    if !matches!(payload, Json::Object(_)) {
        return Err(malformed("payload is not an object", payload));
    }
    let Some(code) = payload.get("status_code") else {
        return Ok(Envelope {
            status_code: 200,
            sid: None,
            message: None,
            data: payload.clone(),
        });
    };
    let status_code = match code {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .filter(|c| (100..1000).contains(c))
    .ok_or_else(|| malformed("status_code is not an HTTP status", payload))?
        as u16;
    Ok(Envelope {
        status_code,
        sid: payload
            .get("sid")
            .and_then(Json::as_str)
            .map(str::to_string),
        message: payload
            .get("message")
            .and_then(Json::as_str)
            .map(str::to_string),
        data: payload.get("data").cloned().unwrap_or_default(),
    })
}

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

/// The author for an Eusate `sender`: `sate` is the AI, `agent` a human, `customer` the visitor.
pub fn author_for_sender(sender: &str, agent_name: Option<String>) -> Author {
    match sender {
        "sate" => Author::Bot { name: None },
        "agent" => Author::Agent { name: agent_name },
        "customer" => Author::Visitor,
        _ => Author::System,
    }
}

/// Milliseconds since the epoch for an ISO 8601 timestamp such as `2024-01-15T10:30:00Z`,
/// `2024-01-15T10:30:00.123456+02:00` or `2024-01-15` (no zone means UTC).
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let s = s.trim();
    let num = |a: usize, b: usize| -> Option<i64> {
        let part = s.get(a..b)?;
        if part.is_empty() || !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let sep = |i: usize, allowed: &[u8]| s.as_bytes().get(i).is_some_and(|c| allowed.contains(c));
    let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    if !sep(4, b"-") || !sep(7, b"-") || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if s.len() == 10 {
        return Some(days as f64 * 86_400_000.0);
    }
    if !sep(10, b"Tt ") || !sep(13, b":") {
        return None;
    }
    let (hour, minute) = (num(11, 13)?, num(14, 16)?);
    let mut i = 16;
    let mut second = 0;
    if sep(16, b":") {
        second = num(17, 19)?;
        i = 19;
    }
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let mut millis = 0.0;
    if sep(i, b".,") {
        let start = i + 1;
        let digits = s
            .get(start..)?
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        if digits == 0 {
            return None;
        }
        // The fraction as an integer over a power of ten, without float parsing: exact for up
        // to 15 digits (femtoseconds; more are dropped), then one correctly rounded division.
        let kept = digits.min(15);
        let fraction = s.get(start..start + kept)?.parse::<u64>().ok()? as f64;
        let mut scale = 1.0;
        for _ in 3..kept {
            scale *= 10.0;
        }
        millis = if kept < 3 {
            fraction * if kept == 1 { 100.0 } else { 10.0 }
        } else {
            fraction / scale
        };
        i = start + digits;
    }
    let offset_min = match s.get(i..)? {
        "" | "Z" | "z" => 0,
        zone => {
            let sign = match zone.as_bytes().first() {
                Some(b'+') => 1,
                Some(b'-') => -1,
                _ => return None,
            };
            let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
            if digits.len() != 4 || !digits.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            let h: i64 = digits[..2].parse().ok()?;
            let m: i64 = digits[2..].parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset_min * 60;
    Some(seconds as f64 * 1000.0 + millis)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn id_string(v: &Json) -> Option<String> {
    match v {
        Json::String(s) if !s.is_empty() => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn first_str<'a>(v: &'a Json, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| v.get(k).and_then(Json::as_str))
        .filter(|s| !s.is_empty())
}

/// The conversation (`ticket_chat`) a payload or message belongs to, if it says.
fn conversation_of(v: &Json) -> Option<String> {
    if let Some(id) = v.get("ticket_chat_id").and_then(id_string) {
        return Some(id);
    }
    match v.get("ticket_chat") {
        Some(Json::Object(_)) => v
            .get("ticket_chat")
            .and_then(|t| t.get("id"))
            .and_then(id_string),
        Some(other) => id_string(other),
        None => None,
    }
}

/// A stable, dependency-free hash (FNV-1a) for ids the server did not give.
fn fnv(parts: &[&str]) -> u64 {
    parts.iter().fold(0xcbf2_9ce4_8422_2325, |h, part| {
        part.bytes()
            .chain(std::iter::once(0))
            .fold(h, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
    })
}

fn attachment_of(v: &Json) -> Option<Attachment> {
    if v.get("is_attachment").and_then(Json::as_bool) != Some(true) {
        return None;
    }
    let meta = v.get("attachment_metadata")?;
    let url = first_str(meta, &["url", "file_url", "file", "link"])?;
    Some(Attachment {
        name: first_str(meta, &["name", "file_name", "filename", "title"])
            .unwrap_or("attachment")
            .to_string(),
        url: url.to_string(),
        mime: first_str(meta, &["type", "content_type", "mime_type", "mime"]).map(str::to_string),
    })
}

/// A message from an Eusate message object (REST) or event item. `fallback_author` applies when
/// there is no `sender`; `require_id` makes a missing id an error (REST) rather than derived.
/// A date that is there but unusable gives `now`, and says so in `notes`.
fn message_from(
    item: &Json,
    fallback_author: &Author,
    require_id: bool,
    now: f64,
    notes: &mut Vec<String>,
) -> Result<Option<Message>, EusateError> {
    let (text, attachment) = match item {
        Json::String(s) => (Some(s.as_str()), None),
        Json::Object(_) => (
            first_str(item, &["message", "text", "response", "answer"]),
            attachment_of(item),
        ),
        _ => return Err(malformed("message is not an object", item)),
    };
    if text.is_none() && attachment.is_none() {
        if require_id {
            return Err(malformed("message has neither text nor attachment", item));
        }
        return Ok(None);
    }
    let text = text.unwrap_or_default().to_string();
    let agent_name = first_str(item, &["agent_name", "sender_name"])
        .or_else(|| {
            item.get("agent")
                .and_then(|a| first_str(a, &["name", "full_name"]))
        })
        .map(str::to_string);
    let author = match item.get("sender").and_then(Json::as_str) {
        Some(sender) => author_for_sender(sender, agent_name),
        None => match fallback_author {
            Author::Agent { name: None } => Author::Agent { name: agent_name },
            other => other.clone(),
        },
    };
    let created_raw = first_str(item, &["date_created", "created_at"]);
    let date = ["date_created", "created_at"]
        .iter()
        .find_map(|k| item.get(k).filter(|v| !v.is_null()));
    let created_at = match date {
        None => now,
        Some(v) => match v
            .as_str()
            .and_then(parse_timestamp)
            .filter(|t| super::wire::is_usable_time(*t))
        {
            Some(t) => t,
            None => {
                notes.push(format!(
                    "`date_created` is not a usable time: {}",
                    super::wire::snippet(v)
                ));
                now
            }
        },
    };
    let id = match item.get("id").and_then(id_string) {
        Some(id) => id,
        None if require_id => return Err(malformed("message without id", item)),
        None => {
            let conversation = conversation_of(item).unwrap_or_default();
            let stamp = created_raw.map_or_else(|| (now as i64).to_string(), str::to_string);
            format!(
                "eusate-{:016x}",
                fnv(&[&conversation, author.tag(), &text, &stamp])
            )
        }
    };
    let mut message = Message::received(id, author, Body::Text(text), created_at);
    message.attachments.extend(attachment);
    Ok(Some(message))
}

// ---------------------------------------------------------------------------------------------
// Server events
// ---------------------------------------------------------------------------------------------

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
    pub fn from_name(name: &str) -> Option<Self> {
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
    /// Oldest first. For [`ServerEventKind::Closed`], exactly one [`Author::System`] notice.
    pub messages: Vec<Message>,
    /// For the console: items skipped as unreadable, or read with the time they arrived.
    pub problems: Vec<EusateError>,
}

/// Decodes the payload of a `support`, `customer_support` or `customer_support_closed` event;
/// a non-2xx envelope is [`EusateError::Status`]. `now` dates messages that carry no date.
pub fn parse_server_event(
    kind: ServerEventKind,
    args: &[Json],
    now: f64,
) -> Result<ServerEvent, EusateError> {
    let envelope = parse_envelope(args)?;
    envelope.check()?;
    let data = &envelope.data;
    let items: Vec<&Json> = match data {
        Json::Null => Vec::new(),
        Json::Array(list) => list.iter().collect(),
        Json::String(_) => vec![data],
        Json::Object(_) => match (data.get("messages"), data.get("message")) {
            (Some(Json::Array(list)), _) => list.iter().collect(),
            (_, Some(inner @ Json::Object(_))) => vec![inner],
            _ => vec![data],
        },
        _ => return Err(malformed("data is not an object", data)),
    };
    let conversation_id =
        conversation_of(data).or_else(|| items.iter().find_map(|i| conversation_of(i)));
    let author = kind.default_author();
    let mut messages = Vec::new();
    let mut problems = Vec::new();
    for item in &items {
        // One unreadable item must not take the others of the event with it.
        let mut notes = Vec::new();
        match message_from(item, &author, false, now, &mut notes) {
            Ok(m) => messages.extend(m),
            Err(e) => problems.push(e),
        }
        problems.extend(notes.into_iter().map(|n| {
            malformed(
                format!("{n}; the message is shown with the time it arrived"),
                item,
            )
        }));
    }
    if kind == ServerEventKind::Closed {
        let text = messages
            .first()
            .map(|m| m.body.plain_text())
            .or_else(|| envelope.message.clone().filter(|m| !m.trim().is_empty()))
            .unwrap_or_else(|| CLOSED_NOTICE.to_string());
        let created_at = messages.first().map_or(now, |m| m.created_at);
        let conversation = conversation_id.clone().unwrap_or_default();
        let id = format!(
            "eusate-closed-{:016x}",
            fnv(&[&conversation, &text, &(created_at as i64).to_string()])
        );
        messages = vec![Message::received(
            id,
            Author::System,
            Body::Text(text),
            created_at,
        )];
    }
    messages.sort_by(|a, b| a.created_at.total_cmp(&b.created_at));
    Ok(ServerEvent {
        kind,
        conversation_id,
        messages,
        problems,
    })
}

/// The payload of `enter_customer_support`.
pub fn enter_customer_support(session_id: &str) -> Json {
    Json::object([("session_id", Json::from(session_id))])
}

/// The payload of `enter_support`.
pub fn enter_support(ticket_chat_id: &str) -> Json {
    Json::object([("ticket_chat_id", Json::from(ticket_chat_id))])
}

/// The payload of a customer `support` message; `ticket_chat_id: None` opens a new conversation.
pub fn support_message(session_id: &str, message: &str, ticket_chat_id: Option<&str>) -> Json {
    Json::object([
        ("session_id", Json::from(session_id)),
        ("message", Json::from(message)),
        ("attachment", Json::from(false)),
        ("ticket_chat_id", Json::from(ticket_chat_id)),
    ])
}

// ---------------------------------------------------------------------------------------------
// REST provider
// ---------------------------------------------------------------------------------------------

/// One of the visitor's conversations, from the conversation list.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationSummary {
    pub conversation: Conversation,
    pub closed: bool,
    /// `sate` (the AI) or `agent`.
    pub responder: Option<String>,
    pub updated_at: Option<f64>,
    pub latest: Option<Message>,
}

/// Request builders and parsers for Eusate's REST reads, plus the socket configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct EusateProvider {
    base: String,
    api_key: Option<String>,
}

impl EusateProvider {
    /// A provider for `api_base` (default [`DEFAULT_BASE`]) and an optional key.
    pub fn new(api_base: Option<&str>, api_key: Option<&str>) -> Self {
        let base = api_base
            .map(str::trim)
            .filter(|b| !b.is_empty())
            .unwrap_or(DEFAULT_BASE)
            .trim_end_matches('/')
            .to_string();
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

    pub fn base(&self) -> &str {
        &self.base
    }

    /// A console warning when a key would be shipped to Eusate's public host from every
    /// visitor's browser (the docs treat keys as secret; a site proxy should add it instead).
    pub fn key_warning(&self) -> Option<String> {
        let host = self.base.split_once("://").map_or("", |(_, r)| r);
        let host = host.split(['/', ':']).next().unwrap_or_default();
        (self.api_key.is_some() && host.eq_ignore_ascii_case("api.eusate.com")).then(|| {
            "data-api-key is sent to api.eusate.com from every visitor's browser; \
             Eusate's API keys are meant to be secret. Prefer a proxy on your own site \
             (data-api-base) that adds the key."
                .to_string()
        })
    }

    /// The session id for a visitor: the site's user id once identified, else the anonymous id.
    pub fn session_id_for(visitor: &Visitor) -> String {
        visitor
            .user_id
            .as_deref()
            .filter(|id| !id.trim().is_empty())
            .unwrap_or(&visitor.anon_id)
            .to_string()
    }

    fn customer_url(&self, session_id: &str) -> String {
        format!(
            "{}/api/v1/helpdesk/customer/{}/conversations/",
            self.base,
            percent_encode(session_id)
        )
    }

    /// `GET …/customer/{session_id}/conversations/?closed=…`
    pub fn conversations_url(&self, session_id: &str, closed: bool) -> String {
        format!("{}?closed={closed}", self.customer_url(session_id))
    }

    /// `GET …/customer/{session_id}/conversations/{conversation_id}/messages/`
    pub fn messages_url(&self, session_id: &str, conversation_id: &str) -> String {
        format!(
            "{}{}/messages/",
            self.customer_url(session_id),
            percent_encode(conversation_id)
        )
    }

    fn get(&self, url: String) -> HttpRequest {
        let request = HttpRequest::get(url);
        match &self.api_key {
            Some(key) => request.header("Authorization", format!("Bearer {key}")),
            None => request,
        }
    }

    /// Lists the visitor's open (`closed = false`) or closed conversations.
    pub fn list_conversations(
        &self,
        session_id: &str,
        closed: bool,
    ) -> Plan<Vec<ConversationSummary>> {
        Plan::request(
            self.get(self.conversations_url(session_id, closed)),
            parse_conversations,
        )
    }

    /// The Engine.IO WebSocket URL of the helpdesk socket: `{base}/socket.io/` with
    /// `token_source=api&token=KEY` when a key is configured.
    pub fn socket_url(&self) -> Result<String, ProviderError> {
        let query: Vec<(&str, &str)> = match &self.api_key {
            Some(key) => vec![("token_source", "api"), ("token", key)],
            None => Vec::new(),
        };
        engine_io_url(&self.base, DEFAULT_PATH, &query)
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

/// Parses the conversation list: a bare array (as in the docs' example) or `{conversations: […]}`.
pub fn parse_conversations(resp: &HttpResponse) -> Result<Vec<ConversationSummary>, ProviderError> {
    let body = resp.json()?;
    let list = match &body {
        Json::Array(list) => list,
        Json::Object(_) => match body.get("conversations").or_else(|| body.get("results")) {
            Some(Json::Array(list)) => list,
            _ => return Err(malformed("no conversation list", &body).into()),
        },
        _ => return Err(malformed("no conversation list", &body).into()),
    };
    list.iter()
        .map(|c| {
            let id = c
                .get("id")
                .and_then(id_string)
                .ok_or_else(|| malformed("conversation without id", c))?;
            let latest = match c.get("latest_message") {
                Some(m @ Json::Object(_)) => {
                    message_from(m, &Author::System, true, 0.0, &mut Vec::new())?
                }
                _ => None,
            };
            let responder = c
                .get("responder")
                .and_then(Json::as_str)
                .map(str::to_string);
            let extra = Json::object([
                ("ticket", c.get("ticket").cloned().into()),
                ("ticket_slug", c.get("ticket_slug").cloned().into()),
                ("responder", Json::from(responder.as_deref())),
                ("closed", c.get("closed").cloned().into()),
            ]);
            Ok(ConversationSummary {
                conversation: Conversation { id, extra },
                closed: c.get("closed").and_then(Json::as_bool).unwrap_or(false),
                responder,
                updated_at: first_str(c, &["date_updated"]).and_then(parse_timestamp),
                latest,
            })
        })
        .collect::<Result<_, EusateError>>()
        .map_err(ProviderError::from)
}

/// Parses a conversation's messages (`{…, messages: […]}`, chronological) into a page after
/// `seen` messages. The API has no paging: the cursor is the count of messages already seen.
pub fn parse_messages(resp: &HttpResponse, seen: usize) -> Result<Page, ProviderError> {
    let body = resp.json()?;
    let list = match body.get("messages") {
        Some(Json::Array(list)) => list,
        _ => return Err(malformed("no messages list", &body).into()),
    };
    // Fewer than seen (history edited): hand back everything; the engine drops known ids.
    let skip = if seen <= list.len() { seen } else { 0 };
    // An item that cannot be read is skipped (and counted as seen); an unusable date is left
    // to the engine to fill in.
    let (messages, warnings) = super::wire::read_messages(&list[skip..], |item, notes| {
        message_from(
            item,
            &Author::System,
            true,
            super::wire::UNKNOWN_TIME,
            notes,
        )
        .map_err(|e| match e {
            EusateError::Malformed { reason, .. } => reason,
            other => other.to_string(),
        })
    });
    Ok(Page {
        messages,
        next: Cursor(Json::from(list.len())),
        more: false,
        warnings,
    })
}

impl Provider for EusateProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: false,
            several_conversations: true,
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
    /// ([`ChannelOutput::ConversationAssigned`]) when the answer arrives.
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

    /// Messages go over the socket ([`EusateChannel::send`]); HTTP cannot send them.
    fn send_message(&self, _cx: Context<'_>, _message: &Outgoing) -> Plan<Sent> {
        Plan::Ready(Err(ProviderError::Config(
            "Eusate messages are sent over the Socket.IO channel, not HTTP".into(),
        )))
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        if cx.conversation.id.is_empty() {
            // Still pending: nothing to read yet.
            return Plan::Ready(Ok(Page {
                messages: Vec::new(),
                next: cursor.clone(),
                more: false,
                warnings: Vec::new(),
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

    fn push_channel(
        &self,
        session: &Session,
        conversation: Option<&Conversation>,
        seed: u64,
    ) -> Option<Result<EusateChannel, ProviderError>> {
        let conversation = conversation
            .map(|c| c.id.as_str())
            .filter(|id| !id.is_empty());
        Some(self.channel(&session.id, conversation, seed))
    }
}

// ---------------------------------------------------------------------------------------------
// The push channel
// ---------------------------------------------------------------------------------------------

/// Timing of the channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ChannelConfig {
    /// A sent message without an acknowledgement or answer after this long, on a connection that
    /// stayed up, is taken as delivered (the socket carried it; the server just does not ack).
    pub confirm_timeout_ms: f64,
    /// How long later messages wait for the answer that gives a new conversation its id before
    /// they are sent anyway (the first of them then opens a conversation of its own).
    pub open_timeout_ms: f64,
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            confirm_timeout_ms: 15_000.0,
            open_timeout_ms: 60_000.0,
        }
    }
}

/// What the driver must do, or what the engine should learn.
#[derive(Clone, Debug, PartialEq)]
pub enum ChannelOutput {
    /// Open a WebSocket to `url` (closing any previous one).
    Open { url: String },
    /// Send this text frame.
    Send(String),
    /// Close the WebSocket.
    Close,
    /// In the helpdesk namespace; sends flow.
    Connected,
    /// The connection was lost (or stopped, for a server DISCONNECT).
    Disconnected { reason: DisconnectReason },
    /// The next connection attempt is due at `at` (ms).
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
    /// The visitor's message reached Eusate (acknowledged, answered, or sent without trouble).
    Delivered { local_id: String, sent: Sent },
    /// The message did not get through; transient errors are worth retrying.
    SendFailed {
        local_id: String,
        error: ProviderError,
    },
    /// Something the console should show (refused connection, error envelope, bad payload).
    Error(ProviderError),
}

#[derive(Clone, Debug)]
struct InFlight {
    local_id: String,
    ack_id: Option<u64>,
    confirm_at: f64,
}

/// Eusate's helpdesk conversation over Socket.IO, as a pure state machine.
///
/// Feed it the WebSocket's life (`on_open`, `on_text`, `on_close`, `on_error`), the visitor's
/// messages ([`send`](Self::send)) and the time ([`tick`](Self::tick) at
/// [`next_deadline`](Self::next_deadline)); perform the transport outputs and hand the others to
/// the engine.
#[derive(Clone, Debug)]
pub struct EusateChannel {
    client: SocketIoClient,
    config: ChannelConfig,
    session_id: String,
    conversation: Option<String>,
    /// Closed by support: never adopted again from a stale engine.
    closed: Vec<String>,
    /// A conversation is being opened; later messages wait until this time for its id.
    opening_until: Option<f64>,
    /// Messages waiting for the connection or the new conversation's id.
    queue: Vec<Outgoing>,
    in_flight: Vec<InFlight>,
    /// Recently sent (local id, text), to recognise the server's echo of them.
    recent: Vec<(String, String)>,
}

impl EusateChannel {
    pub fn new(
        client: ClientConfig,
        session_id: &str,
        conversation: Option<&str>,
        config: ChannelConfig,
        seed: u64,
    ) -> Self {
        EusateChannel {
            client: SocketIoClient::new(client, seed),
            config,
            session_id: session_id.to_string(),
            conversation: conversation.filter(|c| !c.is_empty()).map(str::to_string),
            closed: Vec::new(),
            opening_until: None,
            queue: Vec::new(),
            in_flight: Vec::new(),
            recent: Vec::new(),
        }
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }

    /// The current conversation's id, once known.
    pub fn conversation(&self) -> Option<&str> {
        self.conversation.as_deref()
    }

    pub fn state(&self) -> ConnectionState {
        self.client.state()
    }

    pub fn client(&self) -> &SocketIoClient {
        &self.client
    }

    /// When [`tick`](Self::tick) must be called next.
    pub fn next_deadline(&self) -> Option<f64> {
        let confirm = self.in_flight.iter().map(|f| f.confirm_at).reduce(f64::min);
        [self.client.next_deadline(), confirm, self.opening_until]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }

    /// Starts connecting (or cuts a reconnect wait short).
    pub fn connect(&mut self, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.connect(now);
        self.absorb(actions, now)
    }

    pub fn on_open(&mut self, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.on_transport_open(now);
        self.absorb(actions, now)
    }

    pub fn on_text(&mut self, frame: &str, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.on_text(frame, now);
        self.absorb(actions, now)
    }

    pub fn on_binary(&mut self, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.on_binary(now);
        self.absorb(actions, now)
    }

    pub fn on_close(&mut self, reason: &str, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.on_transport_close(reason, now);
        self.absorb(actions, now)
    }

    pub fn on_error(&mut self, message: &str, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.on_transport_error(message, now);
        self.absorb(actions, now)
    }

    /// Time passed: socket timers, unconfirmed sends, and a conversation id that never came.
    pub fn tick(&mut self, now: f64) -> Vec<ChannelOutput> {
        let actions = self.client.tick(now);
        let mut out = self.absorb(actions, now);
        if self.client.is_connected() {
            let (due, waiting): (Vec<_>, Vec<_>) = std::mem::take(&mut self.in_flight)
                .into_iter()
                .partition(|f| f.confirm_at <= now);
            self.in_flight = waiting;
            // Neither an ack nor an answer: the event may have been lost. Report it as a
            // transient failure so the engine sends again — a rare duplicate (if the server got
            // it and only the ack was lost) is better than a message shown as sent and lost.
            out.extend(due.into_iter().map(|f| ChannelOutput::SendFailed {
                local_id: f.local_id,
                error: ProviderError::Timeout,
            }));
        }
        if self.opening_until.is_some_and(|t| t <= now) {
            self.opening_until = None;
            self.flush(now, &mut out);
        }
        out
    }

    /// Leaves the namespace and closes the socket (the widget is going away).
    pub fn close(&mut self) -> Vec<ChannelOutput> {
        let actions = self.client.close();
        self.absorb(actions, 0.0)
    }

    /// Sends one visitor message. `conversation_id` is the engine's idea of the conversation
    /// (empty or `None` while pending); the channel's own, learned from the server, wins.
    pub fn send(
        &mut self,
        message: &Outgoing,
        conversation_id: Option<&str>,
        now: f64,
    ) -> Vec<ChannelOutput> {
        let mut out = Vec::new();
        if let Some(id) = conversation_id.filter(|c| !c.is_empty()) {
            if self.conversation.is_none() && !self.closed.iter().any(|c| c == id) {
                self.adopt(id.to_string(), &mut out);
            }
        }
        match self.client.state() {
            ConnectionState::Waiting { .. } => {
                out.push(ChannelOutput::SendFailed {
                    local_id: message.local_id.clone(),
                    error: ProviderError::Network("not connected to Eusate; reconnecting".into()),
                });
                return out;
            }
            ConnectionState::Idle => {
                self.queue.push(message.clone());
                let actions = self.client.connect(now);
                out.extend(self.absorb(actions, now));
                return out;
            }
            ConnectionState::Opening | ConnectionState::Joining => {
                self.queue.push(message.clone());
                return out;
            }
            ConnectionState::Connected => {}
        }
        self.queue.push(message.clone());
        self.flush(now, &mut out);
        out
    }

    /// Sets the conversation from elsewhere (e.g. the REST conversation list on resume), joining
    /// its room when connected. `None` forgets it: the next message opens a new one.
    pub fn set_conversation(
        &mut self,
        conversation_id: Option<&str>,
        now: f64,
    ) -> Vec<ChannelOutput> {
        let mut out = Vec::new();
        match conversation_id.filter(|c| !c.is_empty()) {
            Some(id) => self.adopt(id.to_string(), &mut out),
            None => self.conversation = None,
        }
        self.opening_until = None;
        self.flush(now, &mut out);
        out
    }

    fn adopt(&mut self, id: String, out: &mut Vec<ChannelOutput>) {
        if self.conversation.as_deref() == Some(id.as_str()) {
            return;
        }
        self.conversation = Some(id.clone());
        if self.client.is_connected() {
            self.emit(events::ENTER_SUPPORT, enter_support(&id), out);
        }
    }

    /// Sends queued messages while connected and no conversation is being opened.
    fn flush(&mut self, now: f64, out: &mut Vec<ChannelOutput>) {
        while self.client.is_connected() && self.opening_until.is_none() {
            if self.queue.is_empty() {
                break;
            }
            let message = self.queue.remove(0);
            self.emit_support(message, now, out);
        }
    }

    fn emit_support(&mut self, message: Outgoing, now: f64, out: &mut Vec<ChannelOutput>) {
        let payload = support_message(
            &self.session_id,
            &message.text,
            self.conversation.as_deref(),
        );
        match self.client.emit(events::SUPPORT, vec![payload], true) {
            Ok(emitted) => {
                out.push(ChannelOutput::Send(emitted.frame));
                if self.conversation.is_none() {
                    self.opening_until = Some(now + self.config.open_timeout_ms);
                }
                self.in_flight.push(InFlight {
                    local_id: message.local_id.clone(),
                    ack_id: emitted.ack_id,
                    confirm_at: now + self.config.confirm_timeout_ms,
                });
                self.recent
                    .push((message.local_id, message.text.trim().to_string()));
                while self.recent.len() > 8 {
                    self.recent.remove(0);
                }
            }
            Err(ClientError::TooLarge { size, max }) => out.push(ChannelOutput::SendFailed {
                local_id: message.local_id,
                error: ProviderError::Status {
                    status: 413,
                    detail: format!("message of {size} bytes exceeds Eusate's limit of {max}"),
                    retry_after: None,
                },
            }),
            Err(e) => out.push(ChannelOutput::SendFailed {
                local_id: message.local_id,
                error: ProviderError::Network(e.to_string()),
            }),
        }
    }

    /// An emit without acknowledgement (room joins); failures only while disconnected, when
    /// the next `Connected` repeats it anyway.
    fn emit(&mut self, name: &str, payload: Json, out: &mut Vec<ChannelOutput>) {
        if let Ok(emitted) = self.client.emit(name, vec![payload], false) {
            out.push(ChannelOutput::Send(emitted.frame));
        }
    }

    /// Fails everything waiting or unconfirmed with `error`.
    fn fail_pending(&mut self, error: &ProviderError, out: &mut Vec<ChannelOutput>) {
        self.opening_until = None;
        let waiting = self.in_flight.drain(..).map(|f| f.local_id);
        let queued = self.queue.drain(..).map(|m| m.local_id);
        for local_id in waiting.chain(queued).collect::<Vec<_>>() {
            out.push(ChannelOutput::SendFailed {
                local_id,
                error: error.clone(),
            });
        }
    }

    fn absorb(&mut self, actions: Vec<Action>, now: f64) -> Vec<ChannelOutput> {
        let mut out = Vec::new();
        for action in actions {
            match action {
                Action::Open { url } => out.push(ChannelOutput::Open { url }),
                Action::Send(frame) => out.push(ChannelOutput::Send(frame)),
                Action::Close => out.push(ChannelOutput::Close),
                Action::Connected { .. } => {
                    out.push(ChannelOutput::Connected);
                    // Rooms do not survive a reconnect: join them again, then send what waited.
                    self.emit(
                        events::ENTER_CUSTOMER_SUPPORT,
                        enter_customer_support(&self.session_id),
                        &mut out,
                    );
                    if let Some(id) = self.conversation.clone() {
                        self.emit(events::ENTER_SUPPORT, enter_support(&id), &mut out);
                    }
                    self.flush(now, &mut out);
                }
                Action::Disconnected(reason) => {
                    // Transient: retried, never shown, so the reason is not formatted into it.
                    let error = ProviderError::Network("Eusate connection lost".into());
                    self.fail_pending(&error, &mut out);
                    out.push(ChannelOutput::Disconnected { reason });
                }
                Action::ReconnectAt { at, attempt } => {
                    out.push(ChannelOutput::ReconnectAt { at, attempt })
                }
                Action::Ack { id, args } => {
                    if let Some(i) = self.in_flight.iter().position(|f| f.ack_id == Some(id)) {
                        let f = self.in_flight.remove(i);
                        out.push(acknowledged(f.local_id, &args));
                    }
                }
                Action::Event(event) => self.on_event(event, now, &mut out),
                Action::Error(error) => {
                    let error = match error {
                        ClientError::ConnectRefused { message, .. } => ProviderError::Config(
                            format!("Eusate refused the connection: {message}"),
                        ),
                        ClientError::GaveUp { attempts } => ProviderError::Network(format!(
                            "could not reach Eusate after {attempts} attempts"
                        )),
                        other => ProviderError::Malformed {
                            reason: other.to_string(),
                            body: String::new(),
                        },
                    };
                    if self.client.state() == ConnectionState::Idle {
                        self.fail_pending(&error, &mut out);
                    }
                    out.push(ChannelOutput::Error(error));
                }
            }
        }
        out
    }

    fn on_event(&mut self, event: IncomingEvent, now: f64, out: &mut Vec<ChannelOutput>) {
        if let Some(id) = event.ack_id {
            if let Ok(frame) = self.client.ack(id, Vec::new()) {
                out.push(ChannelOutput::Send(frame));
            }
        }
        let Some(kind) = ServerEventKind::from_name(&event.name) else {
            // Not a message event (e.g. an answer to a room join): only errors matter.
            if let Err(e) = parse_envelope(&event.args).and_then(|env| env.check()) {
                if matches!(e, EusateError::Status { .. }) {
                    out.push(ChannelOutput::Error(e.into()));
                }
            }
            return;
        };
        let parsed = match parse_server_event(kind, &event.args, now) {
            Ok(mut p) => {
                out.extend(p.problems.drain(..).map(|e| ChannelOutput::Error(e.into())));
                p
            }
            Err(e) => {
                let error = ProviderError::from(e);
                let refuses_send = kind == ServerEventKind::Answer
                    && matches!(error, ProviderError::Status { .. })
                    && !self.in_flight.is_empty();
                if refuses_send {
                    // The server refused the oldest message (e.g. too many open conversations).
                    let f = self.in_flight.remove(0);
                    self.opening_until = None;
                    out.push(ChannelOutput::SendFailed {
                        local_id: f.local_id,
                        error,
                    });
                    self.flush(now, out);
                } else {
                    out.push(ChannelOutput::Error(error));
                }
                return;
            }
        };
        match kind {
            ServerEventKind::Answer | ServerEventKind::AgentReply => {
                let ours = match (&parsed.conversation_id, &self.conversation) {
                    (Some(theirs), Some(mine)) => theirs == mine,
                    _ => true,
                };
                if kind == ServerEventKind::Answer && ours && !self.in_flight.is_empty() {
                    // An answer means the question arrived.
                    let f = self.in_flight.remove(0);
                    out.push(delivered(f.local_id));
                }
                if let (Some(id), None) = (&parsed.conversation_id, &self.conversation) {
                    if !self.closed.contains(id) {
                        let id = id.clone();
                        self.opening_until = None;
                        out.push(ChannelOutput::ConversationAssigned(id.clone()));
                        self.adopt(id, out);
                    }
                }
                let mut messages = parsed.messages;
                for m in &mut messages {
                    if m.author == Author::Visitor {
                        let text = m.body.plain_text();
                        if let Some(i) = self.recent.iter().position(|(_, t)| *t == text.trim()) {
                            m.local_id = Some(self.recent.remove(i).0);
                        }
                    }
                }
                if !messages.is_empty() {
                    out.push(ChannelOutput::Messages {
                        conversation_id: parsed.conversation_id.clone(),
                        messages,
                    });
                }
                self.flush(now, out);
            }
            ServerEventKind::Closed => {
                out.push(ChannelOutput::Messages {
                    conversation_id: parsed.conversation_id.clone(),
                    messages: parsed.messages,
                });
                let closed = match (&parsed.conversation_id, &self.conversation) {
                    (Some(theirs), Some(mine)) if theirs != mine => None,
                    (Some(theirs), _) => Some(theirs.clone()),
                    (None, mine) => mine.clone(),
                };
                if let Some(id) = closed {
                    if self.conversation.as_deref() == Some(id.as_str()) {
                        self.conversation = None;
                    }
                    self.closed.push(id.clone());
                    out.push(ChannelOutput::ConversationClosed(id));
                }
            }
        }
    }
}

/// Delivered, with the stored message's id and time when the ack carries them (an envelope
/// whose `data` is the customer's stored message), so a later REST read dedupes by id.
fn acknowledged(local_id: String, args: &[Json]) -> ChannelOutput {
    let stored = parse_envelope(args)
        .ok()
        .filter(|e| (200..300).contains(&e.status_code))
        .map(|e| e.data)
        .filter(|d| d.get("sender").and_then(Json::as_str) == Some("customer"));
    let id = stored
        .as_ref()
        .and_then(|d| d.get("id"))
        .and_then(id_string);
    match id {
        Some(remote_id) => ChannelOutput::Delivered {
            sent: Sent {
                remote_id,
                created_at: stored
                    .as_ref()
                    .and_then(|d| d.get("date_created"))
                    .and_then(Json::as_str)
                    .and_then(parse_timestamp)
                    .filter(|t| super::wire::is_usable_time(*t)),
                replies: Vec::new(),
                warnings: Vec::new(),
            },
            local_id,
        },
        None => delivered(local_id),
    }
}

fn delivered(local_id: String) -> ChannelOutput {
    ChannelOutput::Delivered {
        sent: Sent {
            // Eusate does not return the stored message's id to the sender.
            remote_id: local_id.clone(),
            created_at: None,
            replies: Vec::new(),
            warnings: Vec::new(),
        },
        local_id,
    }
}
