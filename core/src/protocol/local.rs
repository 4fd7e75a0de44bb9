//! The built-in local helpdesk: the default backend, needing no account and no server.
//!
//! It is split exactly like a network backend so that it exercises the same engine path:
//! [`LocalProvider`] builds requests against a small REST API at `local://helpdesk`, and
//! [`LocalHelpdesk`] is the "server" that answers them inside the browser, keeping its state in
//! browser storage (the executor loads and saves it around each request). A support agent, "Maya",
//! answers every message after a short, varied delay — unless the page asked for test mode
//! (`data-local-replies="script"`): then only the test answers ([`LocalHelpdesk::script_reply`])
//! and it can make the next delivery fail ([`LocalHelpdesk::fail_next_delivery`]).

use super::wire::{self, Fields};
use super::{
    Capabilities, Context, Cursor, HttpRequest, HttpResponse, Method, Outgoing, Page, Plan,
    Presence, Provider, Sent,
};
use crate::hash::fnv1a;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};

/// Base URL of the local helpdesk; the executor routes requests here to [`LocalHelpdesk`].
pub const BASE: &str = "local://helpdesk";

/// Longest message the local helpdesk accepts.
pub const MAX_MESSAGE_CHARS: usize = 4_000;

/// Request builders and parsers for the local helpdesk API.
#[derive(Clone, Debug, Default)]
pub struct LocalProvider;

/// The `id` of a create answer (`{"id": …}`).
fn read_id(resp: &HttpResponse) -> Result<String, super::ProviderError> {
    wire::parse(resp, |v| Fields::of(v, "the answer")?.string("id"))
}

/// `typing` and `seen` of a send or list answer; absent or unreadable ones say nothing.
fn read_presence(f: &Fields) -> Presence {
    Presence {
        typing: f.opt_bool("typing") == Ok(Some(true)),
        seen: f.opt_bool("seen").ok().flatten(),
    }
}

/// A message as the local helpdesk API sends it, and as the helpdesk stores it.
#[derive(Clone, Debug, PartialEq)]
struct WireMessage {
    id: String,
    /// `visitor` or `agent`.
    role: String,
    name: Option<String>,
    body: String,
    created_at: f64,
    client_id: Option<String>,
}

impl WireMessage {
    /// `{id, role, name, body, created_at, client_id}` (absent optionals as null).
    fn to_json(&self) -> Json {
        Json::object([
            ("id", Json::from(&self.id)),
            ("role", Json::from(&self.role)),
            ("name", Json::from(self.name.as_deref())),
            ("body", Json::from(&self.body)),
            ("created_at", Json::from(self.created_at)),
            ("client_id", Json::from(self.client_id.as_deref())),
        ])
    }

    fn from_json(v: &Json) -> Result<WireMessage, String> {
        let f = Fields::of(v, "a message")?;
        Ok(WireMessage {
            id: f.string("id")?,
            role: f.string("role")?,
            name: f.opt_string("name")?,
            body: f.string("body")?,
            created_at: f.f64("created_at")?,
            client_id: f.opt_string("client_id")?,
        })
    }

    fn into_message(self) -> Message {
        let author = match self.role.as_str() {
            "visitor" => Author::Visitor,
            "agent" => Author::Agent { name: self.name },
            _ => Author::System,
        };
        let mut m = Message::received(self.id, author, Body::Text(self.body), self.created_at);
        m.local_id = self.client_id;
        m
    }
}

impl Provider for LocalProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            poll_open_ms: 1_500,
            poll_closed_ms: 15_000,
            max_message_chars: MAX_MESSAGE_CHARS,
            ..Capabilities::default()
        }
    }

    fn start_session(&self, visitor: &Visitor, previous: Option<&Session>) -> Plan<Session> {
        let body = Json::object([
            (
                "visitor",
                Json::object([
                    ("anon_id", Json::from(&visitor.anon_id)),
                    ("user_id", Json::from(visitor.user_id.as_deref())),
                    ("email", Json::from(visitor.email.as_deref())),
                    ("name", Json::from(visitor.name.as_deref())),
                ]),
            ),
            ("resume", Json::from(previous.map(|s| s.id.as_str()))),
        ]);
        Plan::request(
            HttpRequest::post(format!("{BASE}/sessions"), body),
            |resp| {
                Ok(Session {
                    id: read_id(resp)?,
                    extra: Json::Null,
                })
            },
        )
    }

    fn open_conversation(
        &self,
        _visitor: &Visitor,
        session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation> {
        let subject: String = first.text.chars().take(80).collect();
        Plan::request(
            HttpRequest::post(
                format!("{BASE}/conversations"),
                Json::object([
                    ("session", Json::from(&session.id)),
                    ("subject", Json::from(subject)),
                ]),
            ),
            |resp| {
                Ok(Conversation {
                    id: read_id(resp)?,
                    extra: Json::Null,
                })
            },
        )
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        Plan::request(
            HttpRequest::post(
                format!("{BASE}/conversations/{}/messages", cx.conversation.id),
                Json::object([
                    ("session", Json::from(&cx.session.id)),
                    ("body", Json::from(&message.text)),
                    ("client_id", Json::from(&message.local_id)),
                ]),
            ),
            |resp| {
                wire::parse(resp, |v| {
                    let f = Fields::of(v, "the answer")?;
                    let mut warnings = Vec::new();
                    Ok(Sent {
                        remote_id: f.string("id")?,
                        created_at: f.sent_time(&["created_at"], &mut warnings),
                        replies: Vec::new(),
                        warnings,
                        presence: read_presence(&f),
                    })
                })
            },
        )
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        let after = cursor.0.as_u64().unwrap_or(0);
        Plan::request(
            HttpRequest::get(format!(
                "{BASE}/conversations/{}/messages?after={after}",
                cx.conversation.id
            )),
            |resp| {
                wire::parse(resp, |v| {
                    let f = Fields::of(v, "the message list")?;
                    // The helpdesk's state lives in browser storage, which a page can change.
                    let (messages, warnings) =
                        wire::read_messages(f.required_array("messages")?, |m, notes| {
                            let mut m = WireMessage::from_json(m)?.into_message();
                            if !wire::is_usable_time(m.created_at) {
                                // Through `Json`, whose numbers never link Rust's float printing.
                                notes.push(format!(
                                    "`created_at` is out of range: {}",
                                    Json::from(m.created_at)
                                ));
                                m.created_at = wire::UNKNOWN_TIME;
                            }
                            Ok(Some(m))
                        });
                    Ok(Page {
                        messages,
                        next: Cursor(Json::from(f.u64("next")?)),
                        more: false,
                        warnings,
                        presence: read_presence(&f),
                        closed: f.opt_bool("closed") == Ok(Some(true)),
                    })
                })
            },
        )
    }
}

/// A reply the agent will give once its time comes.
#[derive(Clone, Debug, Default, PartialEq)]
struct ScheduledReply {
    conversation: String,
    due_at: f64,
    body: String,
    /// Support closes the conversation with this reply (test mode).
    close: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
struct StoredConversation {
    id: String,
    session: String,
    subject: String,
    messages: Vec<WireMessage>,
    /// Support closed it: the list answer says so.
    closed: bool,
}

/// The in-browser helpdesk "server". Pure: the executor passes the time and persists the state.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LocalHelpdesk {
    sessions: Vec<String>,
    /// What each visitor gave of themselves (the contact forms, `identify`), by session id:
    /// `{"ses_1": {"email", "name"}}`, kept as the sessions request carried it. Only written.
    contacts: Json,
    conversations: Vec<StoredConversation>,
    scheduled: Vec<ScheduledReply>,
    /// Source of ids; never reused.
    counter: u64,
    /// Test mode: the next message a visitor sends is refused (stored, so that it holds until
    /// that send whichever request comes first).
    fail_next: bool,
    /// Test mode (the page's setting, not stored): no reply of Maya's, only scripted ones.
    pub scripted: bool,
}

/// Status of the refusal [`LocalHelpdesk::fail_next_delivery`] arranges: a client error, so the
/// message waits for the visitor's Retry rather than being retried by itself.
pub const FAILED_DELIVERY_STATUS: u16 = 422;

/// The support agent's display name.
pub const AGENT_NAME: &str = "Maya from Support";

impl LocalHelpdesk {
    /// The stored form: `{sessions, conversations: [{id, session, subject, messages}],
    /// scheduled: [{conversation, due_at, body}], counter}`, and `fail_next: true` while set.
    pub fn to_json(&self) -> Json {
        let conversations = self
            .conversations
            .iter()
            .map(|c| {
                let mut json = Json::object([
                    ("id", Json::from(&c.id)),
                    ("session", Json::from(&c.session)),
                    ("subject", Json::from(&c.subject)),
                    (
                        "messages",
                        Json::Array(c.messages.iter().map(WireMessage::to_json).collect()),
                    ),
                ]);
                if c.closed {
                    json.insert("closed", Json::Bool(true));
                }
                json
            })
            .collect();
        let scheduled = self
            .scheduled
            .iter()
            .map(|r| {
                let mut json = Json::object([
                    ("conversation", Json::from(&r.conversation)),
                    ("due_at", Json::from(r.due_at)),
                    ("body", Json::from(&r.body)),
                ]);
                if r.close {
                    json.insert("close", Json::Bool(true));
                }
                json
            })
            .collect();
        let mut json = Json::object([
            (
                "sessions",
                Json::Array(self.sessions.iter().map(Json::from).collect()),
            ),
            ("conversations", Json::Array(conversations)),
            ("scheduled", Json::Array(scheduled)),
            ("counter", Json::from(self.counter)),
        ]);
        // Only while set: the stored form is otherwise what earlier versions wrote.
        if self.fail_next {
            json.insert("fail_next", Json::Bool(true));
        }
        if !self.contacts.is_null() {
            json.insert("contacts", self.contacts.clone());
        }
        json
    }

    /// Reads the stored form; every field is required (anything else is not our data) but
    /// `fail_next`, which older versions did not write.
    pub fn from_json(v: &Json) -> Result<LocalHelpdesk, String> {
        let f = Fields::of(v, "the local helpdesk")?;
        // Loops, not `collect::<Result<_, _>>()`: its adapters compiled to more code each.
        let mut sessions = Vec::new();
        for s in f.required_array("sessions")? {
            sessions.push(s.as_str().ok_or("a session is not a string")?.to_string());
        }
        let mut conversations = Vec::new();
        for c in f.required_array("conversations")? {
            let c = Fields::of(c, "a conversation")?;
            let mut messages = Vec::new();
            for m in c.required_array("messages")? {
                messages.push(WireMessage::from_json(m)?);
            }
            conversations.push(StoredConversation {
                id: c.string("id")?,
                session: c.string("session")?,
                subject: c.string("subject")?,
                messages,
                closed: c.opt_bool("closed")?.unwrap_or(false),
            });
        }
        let mut scheduled = Vec::new();
        for r in f.required_array("scheduled")? {
            let r = Fields::of(r, "a scheduled reply")?;
            scheduled.push(ScheduledReply {
                conversation: r.string("conversation")?,
                due_at: r.f64("due_at")?,
                body: r.string("body")?,
                close: r.opt_bool("close")?.unwrap_or(false),
            });
        }
        Ok(LocalHelpdesk {
            sessions,
            // Only ever written back, never read for anything: any shape is kept as it is.
            contacts: f.raw("contacts").cloned().unwrap_or(Json::Null),
            conversations,
            scheduled,
            counter: f.u64("counter")?,
            fail_next: f.opt_bool("fail_next")?.unwrap_or(false),
            scripted: false,
        })
    }

    /// Test mode: support answers `text` in the newest conversation (the visitor's: a test page
    /// has one) at `due_at` (ms since epoch; the answer is there for the first request from then
    /// on), and closes it then if `close`. Refused (false) without a text or a conversation to
    /// answer in.
    pub fn script_reply(&mut self, text: &str, due_at: f64, close: bool) -> bool {
        let Some(conversation) = self.conversations.last() else {
            return false;
        };
        if text.trim().is_empty() {
            return false;
        }
        self.scheduled.push(ScheduledReply {
            conversation: conversation.id.clone(),
            due_at,
            body: text.to_string(),
            close,
        });
        true
    }

    /// Test mode: the next message a visitor sends is refused with
    /// [`FAILED_DELIVERY_STATUS`]; the one after (its retry) is stored as usual.
    pub fn fail_next_delivery(&mut self) {
        self.fail_next = true;
    }

    /// Answers one request at time `now` (ms since epoch).
    pub fn handle(&mut self, req: &HttpRequest, now: f64) -> HttpResponse {
        self.deliver_due_replies(now);
        let Some(path) = req.url.strip_prefix(BASE) else {
            return error(404, "unknown host");
        };
        let (path, query) = path.split_once('?').unwrap_or((path, ""));
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let body = req.body.clone().unwrap_or_default();
        match (req.method, segments.as_slice()) {
            (Method::Post, ["sessions"]) => self.start_session(&body),
            (Method::Post, ["conversations"]) => self.open_conversation(&body),
            (Method::Post, ["conversations", id, "messages"]) => self.post_message(id, &body, now),
            (Method::Get, ["conversations", id, "messages"]) => self.list_messages(id, query),
            _ => error(404, "no such endpoint"),
        }
    }

    fn next_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}_{}", self.counter)
    }

    fn start_session(&mut self, body: &Json) -> HttpResponse {
        let id = match body.get("resume").and_then(Json::as_str) {
            Some(previous) if self.sessions.iter().any(|s| s == previous) => previous.to_string(),
            _ => {
                let id = self.next_id("ses");
                self.sessions.push(id.clone());
                id
            }
        };
        self.keep_contact(&id, body.get("visitor"));
        created(Json::object([("id", Json::from(id))]))
    }

    /// Keeps the email and name the visitor gave (a later request may add one), as a helpdesk
    /// keeps a contact.
    fn keep_contact(&mut self, session: &str, visitor: Option<&Json>) {
        let mut contact = Json::Null;
        for key in ["email", "name"] {
            if let Some(value) = visitor.and_then(|v| v.get(key)).and_then(Json::as_str) {
                contact.insert(key, Json::from(value));
            }
        }
        if !contact.is_null() {
            self.contacts.insert(session, contact);
        }
    }

    fn open_conversation(&mut self, body: &Json) -> HttpResponse {
        let Some(session) = body.get("session").and_then(|v| v.as_str()) else {
            return error(400, "session is required");
        };
        if !self.sessions.iter().any(|s| s == session) {
            return error(404, "session not found");
        }
        let id = self.next_id("conv");
        self.conversations.push(StoredConversation {
            id: id.clone(),
            session: session.to_string(),
            subject: body
                .get("subject")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string(),
            messages: Vec::new(),
            closed: false,
        });
        created(Json::object([("id", Json::from(id))]))
    }

    fn post_message(&mut self, conversation: &str, body: &Json, now: f64) -> HttpResponse {
        let text = body
            .get("body")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        if text.trim().is_empty() {
            return error(400, "body must not be empty");
        }
        if text.chars().count() > MAX_MESSAGE_CHARS {
            return error(413, "message is too long");
        }
        let client_id = body
            .get("client_id")
            .and_then(|v| v.as_str())
            .map(str::to_string);
        let Some(index) = self.conversations.iter().position(|c| c.id == conversation) else {
            return error(404, "conversation not found");
        };
        if std::mem::take(&mut self.fail_next) {
            return error(FAILED_DELIVERY_STATUS, "failNextDelivery");
        }
        // Idempotent on client_id: a retried send returns the stored message, never a second copy.
        if let Some(existing) = client_id.as_ref().and_then(|cid| {
            self.conversations[index]
                .messages
                .iter()
                .find(|m| m.client_id.as_deref() == Some(cid.as_str()))
        }) {
            let (id, at) = (Json::from(&existing.id), Json::from(existing.created_at));
            return created(self.with_presence(conversation, [("id", id), ("created_at", at)]));
        }
        let id = self.next_id("msg");
        let visitor_count = self.conversations[index]
            .messages
            .iter()
            .filter(|m| m.role == "visitor")
            .count();
        self.conversations[index].messages.push(WireMessage {
            id: id.clone(),
            role: "visitor".into(),
            name: None,
            body: text.to_string(),
            created_at: now,
            client_id,
        });
        if !self.scripted {
            let seed = fnv1a(text) ^ self.counter;
            self.scheduled.push(ScheduledReply {
                conversation: conversation.to_string(),
                due_at: now + 1_200.0 + (seed % 1_400) as f64,
                body: canned_reply(text, visitor_count, seed),
                close: false,
            });
        }
        created(self.with_presence(
            conversation,
            [("id", Json::from(id)), ("created_at", Json::from(now))],
        ))
    }

    /// `fields` and what the agent is doing in `conversation`: `typing` while a reply to it is
    /// scheduled; `seen` once the agent answered the visitor's last message (it reads as it answers).
    fn with_presence(&self, conversation: &str, fields: [(&str, Json); 2]) -> Json {
        let typing = self
            .scheduled
            .iter()
            .any(|r| r.conversation == conversation);
        let seen = self
            .conversations
            .iter()
            .find(|c| c.id == conversation)
            .and_then(|c| c.messages.last())
            .is_some_and(|m| m.role == "agent");
        let [first, second] = fields;
        Json::object([
            first,
            second,
            ("typing", Json::from(typing)),
            ("seen", Json::from(seen)),
        ])
    }

    fn list_messages(&mut self, conversation: &str, query: &str) -> HttpResponse {
        let after = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("after="))
            .and_then(|v| v.parse::<usize>().ok())
            .unwrap_or(0);
        let Some(conv) = self.conversations.iter().find(|c| c.id == conversation) else {
            return error(404, "conversation not found");
        };
        let messages = conv
            .messages
            .iter()
            .skip(after)
            .map(WireMessage::to_json)
            .collect();
        let next = Json::from(conv.messages.len());
        let closed = conv.closed;
        let mut answer = self.with_presence(
            conversation,
            [("messages", Json::Array(messages)), ("next", next)],
        );
        if closed {
            answer.insert("closed", Json::Bool(true));
        }
        HttpResponse::new(200, answer.to_string())
    }

    /// Moves replies whose time has come into their conversations, in due order.
    fn deliver_due_replies(&mut self, now: f64) {
        let (mut due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.scheduled)
            .into_iter()
            .partition(|r| r.due_at <= now);
        self.scheduled = later;
        // Earliest first, ties in scheduling order. There are a handful at most, so picking the
        // earliest each time is enough (and links no sorting code into the bundle).
        while let Some(next) =
            (0..due.len()).min_by(|&a, &b| due[a].due_at.total_cmp(&due[b].due_at))
        {
            let reply = due.remove(next);
            let id = self.next_id("msg");
            if let Some(conv) = self
                .conversations
                .iter_mut()
                .find(|c| c.id == reply.conversation)
            {
                conv.messages.push(WireMessage {
                    id,
                    role: "agent".into(),
                    name: Some(AGENT_NAME.into()),
                    body: reply.body,
                    created_at: reply.due_at,
                    client_id: None,
                });
                conv.closed |= reply.close;
            }
        }
    }

    /// Whether a reply is still to come (used by tests and the demo).
    pub fn has_scheduled_replies(&self) -> bool {
        !self.scheduled.is_empty()
    }
}

fn created(v: Json) -> HttpResponse {
    HttpResponse::new(201, v.to_string())
}

fn error(status: u16, detail: &str) -> HttpResponse {
    HttpResponse::new(
        status,
        Json::object([("detail", Json::from(detail))]).to_string(),
    )
}

/// A canned but varied answer: topic-aware for common questions, otherwise one of several.
fn canned_reply(text: &str, earlier_messages: usize, seed: u64) -> String {
    // ASCII case folding is enough: every keyword below is ASCII, and it needs no Unicode tables.
    let lower = text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if has(&["price", "pricing", "cost", "plan", "invoice", "billing"]) {
        return "Happy to help with billing. Our plans are listed on the pricing page, and I can \
                check your invoices if you tell me the email on your account."
            .into();
    }
    if has(&["refund", "cancel"]) {
        return "I'm sorry to hear that. I can start a refund or cancellation for you: could you \
                share your order number?"
            .into();
    }
    if has(&[
        "bug",
        "error",
        "broken",
        "crash",
        "doesn't work",
        "not working",
    ]) {
        return "Thanks for the report! Could you tell me which page you were on and what you \
                expected to happen? A screenshot helps too."
            .into();
    }
    if earlier_messages == 0
        && (has(&["hello", "hi ", "hey", "good morning"]) || lower.trim() == "hi")
    {
        return "Hi there! Thanks for reaching out. What can I help you with today?".into();
    }
    if has(&["thank", "thanks", "great"]) {
        return "You're welcome! Is there anything else I can do for you?".into();
    }
    const GENERAL: [&str; 5] = [
        "Thanks for your message! I'm looking into it now.",
        "Good question. Let me check that with the team and get right back to you.",
        "Got it. Could you give me a little more detail so I can help properly?",
        "Thanks! I've noted this on your conversation; we usually resolve these within a day.",
        "Understood. I'll take care of it and keep you posted here.",
    ];
    GENERAL[((seed as usize) ^ earlier_messages) % GENERAL.len()].to_string()
}
