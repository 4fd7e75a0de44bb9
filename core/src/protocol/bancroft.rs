//! Bancroft conversations API (seed 004): a client key (`bnc_cl_…`) may be used from the browser.
//!
//! Bancroft has no session: [`Provider::start_session`] is ready at once. A conversation is
//! created with the first message as its subject; every message, the first included, is then
//! posted with `messages/create/`. Bancroft identifies senders by email only, so the requester's
//! email from the create answer (an anonymous user's generated one when the visitor gave none)
//! is kept in [`Conversation::extra`] and used as `user_email` for every later message, and to
//! tell the visitor's messages from the agents' when fetching.

use super::wire::{self, Fields};
use super::{
    Capabilities, Context, Cursor, HttpRequest, Outgoing, Page, Plan, Provider, ProviderError, Sent,
};
use crate::config::Config;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};

/// The documented maximum length of a conversation subject.
pub const MAX_SUBJECT_CHARS: usize = 500;

/// Longest message the widget sends (Bancroft documents no limit for message bodies).
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// Key of the requester's email in [`Conversation::extra`].
pub const REQUESTER_EMAIL: &str = "requester_email";

/// Prefix of Bancroft's secret server keys, which must never reach a browser.
pub const SERVER_KEY_PREFIX: &str = "bnc_sv_";

/// Request builders and parsers for the Bancroft conversations API.
#[derive(Clone, Debug, PartialEq)]
pub struct BancroftProvider {
    /// Site origin (or proxy) without the `/api/v1` prefix and without a trailing slash.
    base: String,
    api_key: Option<String>,
}

impl BancroftProvider {
    /// `api_base` may be given with or without `/api/v1` and trailing slashes.
    pub fn new(api_base: &str, api_key: Option<&str>) -> Self {
        BancroftProvider {
            base: wire::base_url(api_base, &["/api/v1"]),
            api_key: api_key.map(str::to_string).filter(|k| !k.is_empty()),
        }
    }

    /// The provider for a validated configuration (`data-api-base` is required).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let base = config
            .api_base
            .as_deref()
            .ok_or("data-provider=\"bancroft\" needs data-api-base")?;
        Ok(Self::new(base, config.api_key.as_deref()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.base)
    }

    fn authorize(&self, request: HttpRequest) -> HttpRequest {
        match &self.api_key {
            Some(key) => request.header("X-API-Key", key),
            None => request,
        }
    }

    /// The visitor's conversations (Bancroft can list them by requester email; newest page of
    /// up to 100). Not part of [`Provider`] yet: for a conversation list in the UI.
    pub fn list_conversations(&self, user_email: &str) -> Plan<Vec<Conversation>> {
        let url = format!(
            "{}?user_email={}&limit=100",
            self.url("conversations/"),
            wire::encode(user_email)
        );
        let fallback = user_email.to_string();
        Plan::request(self.authorize(HttpRequest::get(url)), move |resp| {
            wire::parse(resp, |v| {
                let items = match v {
                    // DRF pagination, as the create/messages answers suggest; a bare list also works.
                    Json::Array(items) => items.as_slice(),
                    other => Fields::of(other, "the conversation list")?.array("results")?,
                };
                items
                    .iter()
                    .map(|item| read_conversation(item, Some(&fallback)))
                    .collect()
            })
        })
    }
}

/// Warnings for the console about how the site configured Bancroft (the caller adds the
/// "Helpwire: " prefix).
pub fn warnings(config: &Config) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(key) = config.api_key.as_deref() {
        if key.starts_with(SERVER_KEY_PREFIX) {
            out.push(format!(
                "{} is a Bancroft server key ({SERVER_KEY_PREFIX}…), which is secret and now \
                 public in this page: revoke it and use a client key (bnc_cl_…) restricted to \
                 this site's origins.",
                config.name_of("api-key")
            ));
        }
    }
    out
}

/// Reads a conversation (create answer or list item) into the model.
fn read_conversation(v: &Json, fallback_email: Option<&str>) -> Result<Conversation, String> {
    let f = Fields::of(v, "the conversation")?;
    let id = f.id(&["id"])?;
    let requester = f.opt_object("requester")?;
    let email = match requester {
        Some(r) => r.opt_str("email")?,
        None => None,
    };
    let email = email
        .or(fallback_email)
        .filter(|e| !e.is_empty())
        .ok_or("the conversation has no `requester.email` and the visitor gave none")?;
    let mut extra = Json::object([(REQUESTER_EMAIL, Json::from(email))]);
    for key in ["subject", "status"] {
        if let Some(s) = f.opt_str(key)? {
            extra.insert(key, Json::from(s));
        }
    }
    Ok(Conversation { id, extra })
}

/// The email Bancroft knows the visitor by in this conversation.
fn requester_email<'a>(cx: &Context<'a>) -> Option<&'a str> {
    cx.conversation
        .extra
        .get(REQUESTER_EMAIL)
        .and_then(Json::as_str)
        .or(cx.visitor.email.as_deref())
        .filter(|e| !e.is_empty())
}

/// Reads one message of the list; an unusable time is left to the engine (noted in `notes`).
fn read_message(
    v: &Json,
    requester: &str,
    notes: &mut Vec<String>,
) -> Result<Option<Message>, String> {
    let f = Fields::of(v, "a message")?;
    let id = f.id(&["id"])?;
    let kind = f.opt_str("message_type")?;
    // Only `reply` is documented as visible; anything else (an internal note, an event) stays
    // hidden rather than risk showing the visitor what was not meant for them.
    if kind.is_some_and(|k| !k.eq_ignore_ascii_case("reply")) {
        return Ok(None);
    }
    let sender = f.opt_str("sender_email")?;
    let author = match sender {
        Some(s) if s.trim().eq_ignore_ascii_case(requester.trim()) => Author::Visitor,
        _ => Author::Agent { name: None },
    };
    let body = f.opt_str("body")?.unwrap_or_default();
    let created_at = f.message_time(&["created_at"], notes);
    Ok(Some(Message::received(
        id,
        author,
        Body::Text(body.to_string()),
        created_at,
    )))
}

/// Where the next fetch continues: how many list items were already handed to the engine.
fn seen(cursor: &Cursor) -> usize {
    cursor.0.get("seen").and_then(Json::as_u64).unwrap_or(0) as usize
}

impl Provider for BancroftProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: true,
            // Bancroft pushes only to servers (webhooks); rate limits are not published.
            poll_open_ms: 4_000,
            poll_closed_ms: 30_000,
            // The API lists a requester's conversations (see `list_conversations`).
            several_conversations: true,
            rich_text: false,
            attachments: false,
            max_message_chars: MAX_MESSAGE_CHARS,
            lists_conversations: false,
            shows_own_messages: true,
        }
    }

    fn start_session(&self, visitor: &Visitor, _previous: Option<&Session>) -> Plan<Session> {
        // Bancroft has no sessions. The id stays the same across `identify`, so the open
        // conversation (whose requester is fixed) is kept.
        Plan::Ready(Ok(Session {
            id: visitor.anon_id.clone(),
            extra: Json::Null,
        }))
    }

    fn open_conversation(
        &self,
        visitor: &Visitor,
        _session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation> {
        let mut body = Json::object([(
            "subject",
            Json::from(wire::cut(&first.text, MAX_SUBJECT_CHARS)),
        )]);
        let email = visitor.email.clone().filter(|e| !e.trim().is_empty());
        if let Some(email) = &email {
            body.insert("user_email", Json::from(email));
        }
        if let Some(name) = visitor
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            let (first_name, last_name) = name.split_once(' ').unwrap_or((name, ""));
            body.insert("user_first_name", Json::from(first_name));
            if !last_name.trim().is_empty() {
                body.insert("user_last_name", Json::from(last_name.trim()));
            }
        }
        body.insert("channel", Json::from("web"));
        let mut metadata = Json::object([("source", Json::from("helpwire"))]);
        if let Some(user_id) = &visitor.user_id {
            metadata.insert("user_id", Json::from(user_id));
        }
        if let Some(custom) = &visitor.custom_data {
            metadata.insert("custom_data", custom.clone());
        }
        body.insert("metadata", metadata);
        let request = self.authorize(HttpRequest::post(self.url("conversations/create/"), body));
        Plan::request(request, move |resp| {
            wire::parse(resp, |v| read_conversation(v, email.as_deref()))
        })
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        let Some(email) = requester_email(&cx) else {
            return Plan::Ready(Err(ProviderError::Config(
                "Bancroft needs the requester's email to send, and this conversation has none"
                    .into(),
            )));
        };
        let url = self.url(&format!(
            "conversations/{}/messages/create/",
            wire::encode(&cx.conversation.id)
        ));
        let request = self.authorize(HttpRequest::post(
            url,
            Json::object([
                ("body", Json::from(&message.text)),
                ("user_email", Json::from(email)),
            ]),
        ));
        Plan::request(request, |resp| {
            wire::parse(resp, |v| {
                let f = Fields::of(v, "the created message")?;
                let mut warnings = Vec::new();
                Ok(Sent {
                    remote_id: f.id(&["id"])?,
                    created_at: f.sent_time(&["created_at"], &mut warnings),
                    replies: Vec::new(),
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        let Some(requester) = requester_email(&cx).map(str::to_string) else {
            return Plan::Ready(Err(ProviderError::Config(
                "Bancroft needs the requester's email to tell the visitor's messages apart".into(),
            )));
        };
        // The conversation (its status), and its messages beneath it.
        let conversation = self.url(&format!(
            "conversations/{}/",
            wire::encode(&cx.conversation.id)
        ));
        let already = seen(cursor);
        let (reads, status_turn) = wire::status_turn(cursor);
        if status_turn {
            // Bancroft tells that support resolved it nowhere else: `closed` or `resolved`.
            let request = self.authorize(HttpRequest::get(conversation));
            return Plan::request(request, move |resp| {
                let next = wire::next_read("seen", already as u64, reads);
                Ok(wire::status_page(resp, next, |f| {
                    matches!(f.opt_str("status"), Ok(Some("closed" | "resolved")))
                }))
            });
        }
        // The documents show no paging: every read returns the whole conversation.
        let url = conversation + "messages/";
        let request = self.authorize(HttpRequest::get(url).whole_history());
        Plan::request(request, move |resp| {
            wire::parse(resp, |v| {
                let f = Fields::of(v, "the message list")?;
                if f.get("results").is_none() {
                    return Err("the message list has no `results`".into());
                }
                let results = f.array("results")?;
                // The list is complete and oldest first; if it shrank, start over (the engine
                // drops what it already has by id).
                let skip = if already > results.len() { 0 } else { already };
                let (messages, warnings) = wire::read_messages(&results[skip..], |item, notes| {
                    read_message(item, &requester, notes)
                });
                Ok(Page {
                    closed: false,
                    messages,
                    next: wire::next_read("seen", results.len() as u64, reads),
                    more: false,
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }
}
