//! The data the widget talks about, independent of any backend or view.
//!
//! Everything here is plain data so the engine can persist it and host tests can build it. The
//! stored form (see `chat::storage`) is written and read by hand with [`Json`]; the layout is the
//! one the widget has always stored, so snapshots written by earlier versions still load.

use crate::fields::Fields;
use crate::json::Json;

/// Who the visitor is. `anon_id` is always set (a random id chosen on first activation) so that
/// backends whose ids are client-chosen (Gurusup, Eusate) have a stable key even before `identify`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visitor {
    /// Random, stable per browser storage; never shown.
    pub anon_id: String,
    /// The site's own user id, from `identify`.
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    /// HMAC of `user_id` computed by the site's server (identity verification).
    pub user_hash: Option<String>,
    pub custom_data: Option<Json>,
}

/// A backend session. `extra` holds what a backend needs later (e.g. Bancroft's requester email)
/// so the engine never has to know backend specifics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Session {
    pub id: String,
    pub extra: Json,
}

/// One conversation (ticket, thread) with support.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Conversation {
    pub id: String,
    pub extra: Json,
}

/// Who wrote a message; decides its side, its `data-author` and whether it counts as unread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Author {
    Visitor,
    Agent { name: Option<String> },
    Bot { name: Option<String> },
    System,
}

impl Author {
    /// The value of the `data-author` attribute (DOM contract).
    pub fn tag(&self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent { .. } => "agent",
            Author::Bot { .. } => "bot",
            Author::System => "system",
        }
    }

    /// Display name, if the backend gave one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Author::Agent { name } | Author::Bot { name } => name.as_deref(),
            _ => None,
        }
    }

    /// Messages from the support side raise the unread count and are announced.
    pub fn is_support(&self) -> bool {
        matches!(self, Author::Agent { .. } | Author::Bot { .. })
    }
}

/// Message content: plain text, or a rich document (TipTap/ProseMirror JSON) rendered safely.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Text(String),
    Rich(Json),
    /// Something the backend reported without words of its own, which the widget words in the
    /// visitor's language (`i18n`): no layer below the view invents text for the visitor.
    Notice(SystemNotice),
}

/// The events a [`Body::Notice`] tells of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SystemNotice {
    /// Support closed the conversation; the visitor's next message opens a new one.
    ConversationClosed,
}

impl SystemNotice {
    /// The stored name.
    pub fn tag(self) -> &'static str {
        match self {
            SystemNotice::ConversationClosed => "conversation_closed",
        }
    }

    /// The notice for a stored name, if it is one.
    pub fn from_tag(tag: &str) -> Option<SystemNotice> {
        match tag {
            "conversation_closed" => Some(SystemNotice::ConversationClosed),
            _ => None,
        }
    }
}

impl Body {
    /// The plain text of the body, for events and for matching a message's echo. A rich
    /// document's text is [`crate::richtext::text_of`]'s, trimmed; a notice has no text of its
    /// own (the view words it).
    pub fn plain_text(&self) -> String {
        match self {
            Body::Text(t) => t.clone(),
            Body::Rich(doc) => crate::richtext::text_of(doc).trim().to_string(),
            Body::Notice(_) => String::new(),
        }
    }
}

/// A file attached to a message by the backend.
#[derive(Clone, Debug, PartialEq)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    pub mime: Option<String>,
}

/// Delivery of the visitor's own message (`data-status` in the DOM contract).
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// Persisted locally, not yet confirmed by the backend.
    Pending {
        attempts: u32,
        /// Earliest time (ms since epoch) of the next attempt.
        retry_at: f64,
    },
    Sent,
    /// Given up: the backend refused it in a way a retry will not change, until the visitor asks.
    Failed {
        reason: String,
    },
}

impl Delivery {
    /// The value of the `data-status` attribute.
    pub fn tag(&self) -> &'static str {
        match self {
            Delivery::Pending { .. } => "pending",
            Delivery::Sent => "sent",
            Delivery::Failed { .. } => "failed",
        }
    }
}

/// One message in the conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    /// The backend's id once known; for the visitor's own messages, the local id until then.
    pub id: String,
    /// Set on messages the visitor wrote here: the id they were created with, kept for dedupe.
    pub local_id: Option<String>,
    pub author: Author,
    pub body: Body,
    pub attachments: Vec<Attachment>,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    /// Only for the visitor's own messages.
    pub delivery: Option<Delivery>,
    /// The browser tab that delivers this (visitor's, undelivered) message, so that two tabs of
    /// one site never both send it.
    pub origin: Option<String>,
    /// When the visitor's message was first sent (ms since epoch); kept until it is delivered.
    pub attempted_at: Option<f64>,
    /// Whether the backend may hold this message without the widget knowing: set before each
    /// request leaves, cleared by any answer; still set after a network error or a timeout, or
    /// when the page went away while the request was in flight. Such a message is looked for in
    /// the conversation before it is sent again.
    pub unconfirmed: bool,
}

impl Message {
    /// A support-side or system message received from a backend.
    pub fn received(id: impl Into<String>, author: Author, body: Body, created_at: f64) -> Self {
        Message {
            id: id.into(),
            local_id: None,
            author,
            body,
            attachments: Vec::new(),
            created_at,
            delivery: None,
            origin: None,
            attempted_at: None,
            unconfirmed: false,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The stored form. Field names, tags and which fields are left out when empty are the layout
// the serde derives wrote before, so older snapshots read the same. Unknown fields are ignored;
// a field that is `null` counts as absent.
// ---------------------------------------------------------------------------------------------

/// Appends `key: value` only when there is a value (`skip_serializing_if = "Option::is_none"`).
fn put_some(object: &mut Json, key: &str, value: &Option<String>) {
    if let Some(v) = value {
        object.insert(key, Json::from(v));
    }
}

impl Visitor {
    /// `{anon_id, user_id?, email?, name?, user_hash?, custom_data?}`.
    pub fn to_json(&self) -> Json {
        let mut o = Json::object([("anon_id", Json::from(&self.anon_id))]);
        put_some(&mut o, "user_id", &self.user_id);
        put_some(&mut o, "email", &self.email);
        put_some(&mut o, "name", &self.name);
        put_some(&mut o, "user_hash", &self.user_hash);
        if let Some(custom) = &self.custom_data {
            o.insert("custom_data", custom.clone());
        }
        o
    }

    /// Reads [`Visitor::to_json`]'s layout; only `anon_id` is required.
    pub fn from_json(v: &Json) -> Result<Visitor, String> {
        let f = Fields::of(v, "the visitor")?;
        // Checked before anything is allocated, so a refusal has nothing to drop.
        let anon_id = f.str("anon_id")?;
        let user_id = f.opt_str("user_id")?;
        let email = f.opt_str("email")?;
        let name = f.opt_str("name")?;
        let user_hash = f.opt_str("user_hash")?;
        Ok(Visitor {
            anon_id: anon_id.to_string(),
            user_id: user_id.map(str::to_string),
            email: email.map(str::to_string),
            name: name.map(str::to_string),
            user_hash: user_hash.map(str::to_string),
            custom_data: f.get("custom_data").cloned(),
        })
    }
}

/// `{id, extra}`, the shape of both [`Session`] and [`Conversation`].
fn id_and_extra(id: &str, extra: &Json) -> Json {
    Json::object([("id", Json::from(id)), ("extra", extra.clone())])
}

fn read_id_and_extra(v: &Json, what: &'static str) -> Result<(String, Json), String> {
    let f = Fields::of(v, what)?;
    Ok((f.string("id")?, f.raw("extra").cloned().unwrap_or_default()))
}

impl Session {
    /// `{id, extra}`.
    pub fn to_json(&self) -> Json {
        id_and_extra(&self.id, &self.extra)
    }

    /// Reads `{id, extra}`; a missing `extra` is null.
    pub fn from_json(v: &Json) -> Result<Session, String> {
        let (id, extra) = read_id_and_extra(v, "the session")?;
        Ok(Session { id, extra })
    }
}

impl Conversation {
    /// Key of [`Conversation::extra`] under which a backend hands over the session a new
    /// conversation belongs to, when opening it changed the session (the relay answers with a
    /// new token, which from then on owns the conversation). The engine moves it into the
    /// visitor's session ([`Conversation::take_new_session`]).
    pub const NEW_SESSION: &'static str = "new_session";

    /// Hands `session` over to the engine with this conversation (see [`Self::NEW_SESSION`]).
    pub fn set_new_session(&mut self, session: &Session) {
        self.extra.insert(Self::NEW_SESSION, session.to_json());
    }

    /// Takes out the session a backend handed over with this conversation, if it gave a
    /// readable one.
    pub fn take_new_session(&mut self) -> Option<Session> {
        let Json::Object(members) = &mut self.extra else {
            return None;
        };
        let at = members.iter().rposition(|(k, _)| k == Self::NEW_SESSION)?;
        let (_, value) = members.remove(at);
        members.retain(|(k, _)| k != Self::NEW_SESSION);
        if members.is_empty() {
            self.extra = Json::Null;
        }
        Session::from_json(&value).ok()
    }

    /// `{id, extra}`.
    pub fn to_json(&self) -> Json {
        id_and_extra(&self.id, &self.extra)
    }

    /// Reads `{id, extra}`; a missing `extra` is null.
    pub fn from_json(v: &Json) -> Result<Conversation, String> {
        let (id, extra) = read_id_and_extra(v, "the conversation")?;
        Ok(Conversation { id, extra })
    }
}

impl Author {
    /// `{"kind": "visitor" | "agent" | "bot" | "system"}`, with `name` (maybe null) for agents
    /// and bots.
    pub fn to_json(&self) -> Json {
        let mut o = Json::object([("kind", Json::from(self.tag()))]);
        if let Author::Agent { name } | Author::Bot { name } = self {
            o.insert("name", Json::from(name.as_deref()));
        }
        o
    }

    /// Reads [`Author::to_json`]'s layout; an unknown `kind` is an error.
    pub fn from_json(v: &Json) -> Result<Author, String> {
        let f = Fields::of(v, "an author")?;
        Ok(match f.str("kind")? {
            "visitor" => Author::Visitor,
            "agent" => Author::Agent {
                name: f.opt_string("name")?,
            },
            "bot" => Author::Bot {
                name: f.opt_string("name")?,
            },
            "system" => Author::System,
            other => return Err(format!("unknown author kind \"{other}\"")),
        })
    }
}

impl Body {
    /// `{"kind": "text" | "rich" | "notice", "value": …}`.
    pub fn to_json(&self) -> Json {
        let (kind, value) = match self {
            Body::Text(t) => ("text", Json::from(t)),
            Body::Rich(doc) => ("rich", doc.clone()),
            Body::Notice(n) => ("notice", Json::from(n.tag())),
        };
        Json::object([("kind", Json::from(kind)), ("value", value)])
    }

    /// Reads [`Body::to_json`]'s layout; an unknown `kind` is an error.
    pub fn from_json(v: &Json) -> Result<Body, String> {
        let f = Fields::of(v, "a message body")?;
        match f.str("kind")? {
            "text" => Ok(Body::Text(f.string("value")?)),
            "rich" => f
                .raw("value")
                .map(|doc| Body::Rich(doc.clone()))
                .ok_or_else(|| "a message body has no `value`".into()),
            "notice" => {
                let tag = f.str("value")?;
                SystemNotice::from_tag(tag)
                    .map(Body::Notice)
                    .ok_or_else(|| format!("unknown notice \"{tag}\""))
            }
            other => Err(format!("unknown body kind \"{other}\"")),
        }
    }
}

impl Attachment {
    /// `{name, url, mime}` (`mime` is written as null when unknown).
    pub fn to_json(&self) -> Json {
        Json::object([
            ("name", Json::from(&self.name)),
            ("url", Json::from(&self.url)),
            ("mime", Json::from(self.mime.as_deref())),
        ])
    }

    /// Reads `{name, url, mime?}`.
    pub fn from_json(v: &Json) -> Result<Attachment, String> {
        let f = Fields::of(v, "an attachment")?;
        Ok(Attachment {
            name: f.string("name")?,
            url: f.string("url")?,
            mime: f.opt_string("mime")?,
        })
    }
}

impl Delivery {
    /// `{"state": "pending", attempts, retry_at}`, `{"state": "sent"}` or
    /// `{"state": "failed", reason}`.
    pub fn to_json(&self) -> Json {
        let mut o = Json::object([("state", Json::from(self.tag()))]);
        match self {
            Delivery::Pending { attempts, retry_at } => {
                o.insert("attempts", Json::from(*attempts));
                o.insert("retry_at", Json::from(*retry_at));
            }
            Delivery::Sent => {}
            Delivery::Failed { reason } => o.insert("reason", Json::from(reason)),
        }
        o
    }

    /// Reads [`Delivery::to_json`]'s layout; a missing `retry_at` is 0 (due at once).
    pub fn from_json(v: &Json) -> Result<Delivery, String> {
        let f = Fields::of(v, "a delivery")?;
        match f.str("state")? {
            "pending" => Ok(Delivery::Pending {
                attempts: f
                    .opt_u32("attempts")?
                    .ok_or("a delivery has no `attempts`")?,
                retry_at: f.opt_f64("retry_at")?.unwrap_or(0.0),
            }),
            "sent" => Ok(Delivery::Sent),
            "failed" => Ok(Delivery::Failed {
                reason: f.string("reason")?,
            }),
            other => Err(format!("unknown delivery state \"{other}\"")),
        }
    }
}

impl Message {
    /// `{id, local_id?, author, body, attachments?, created_at, delivery?, origin?,
    /// attempted_at?, unconfirmed?}` (`unconfirmed` only when true).
    pub fn to_json(&self) -> Json {
        let mut o = Json::object([("id", Json::from(&self.id))]);
        put_some(&mut o, "local_id", &self.local_id);
        o.insert("author", self.author.to_json());
        o.insert("body", self.body.to_json());
        if !self.attachments.is_empty() {
            let mut items = Vec::new();
            for a in &self.attachments {
                items.push(a.to_json());
            }
            o.insert("attachments", Json::Array(items));
        }
        o.insert("created_at", Json::from(self.created_at));
        if let Some(d) = &self.delivery {
            o.insert("delivery", d.to_json());
        }
        put_some(&mut o, "origin", &self.origin);
        if let Some(at) = self.attempted_at {
            o.insert("attempted_at", Json::from(at));
        }
        if self.unconfirmed {
            o.insert("unconfirmed", Json::from(true));
        }
        o
    }

    /// Reads [`Message::to_json`]'s layout; unknown fields are ignored.
    pub fn from_json(v: &Json) -> Result<Message, String> {
        let f = Fields::of(v, "a message")?;
        // The plain fields are checked before anything is allocated, so most refusals have
        // nothing to drop.
        let id = f.str("id")?;
        let local_id = f.opt_str("local_id")?;
        let created_at = f.f64("created_at")?;
        let origin = f.opt_str("origin")?;
        let attempted_at = f.opt_f64("attempted_at")?;
        let unconfirmed = f.opt_bool("unconfirmed")?.unwrap_or(false);
        let (author, body) = (f.value("author")?, f.value("body")?);
        let listed = f.array("attachments")?;
        let delivery = f.get("delivery").map(Delivery::from_json).transpose()?;
        let author = Author::from_json(author)?;
        let body = Body::from_json(body)?;
        let mut attachments = Vec::new();
        for a in listed {
            attachments.push(Attachment::from_json(a)?);
        }
        Ok(Message {
            id: id.to_string(),
            local_id: local_id.map(str::to_string),
            author,
            body,
            attachments,
            created_at,
            delivery,
            origin: origin.map(str::to_string),
            attempted_at,
            unconfirmed,
        })
    }
}
