//! The bot contract: Gleap's "custom API action" (seed 001) spoken to a site-owned endpoint.
//!
//! One endpoint can serve both Gleap and Helpwire: the widget POSTs what Gleap would
//! (`conversation`, `session`, the last two `comments`) and renders the `message` of the 200
//! answer (a string, or a TipTap doc). The endpoint keeps no history, so the conversation lives in
//! the widget only: session and conversation are ready at once, nothing is polled, and the two
//! comments are built from [`Context::recent`] plus the message being sent.

use super::wire;
use super::{
    Capabilities, Context, Cursor, HttpRequest, Outgoing, Page, Plan, Platform, Provider, Sent,
};
use crate::config::Config;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};

/// Longest message the widget sends (the contract sets no limit).
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// How many comments the contract carries (the last two, oldest first).
pub const COMMENTS: usize = 2;

/// Request builder and parser for a bot endpoint.
#[derive(Clone, Debug)]
pub struct BotProvider {
    /// The endpoint's full URL, as configured.
    url: String,
    /// Sent verbatim as the `Authorization` header value.
    authorization: Option<String>,
    /// Gleap project id, echoed as `conversation.project` when configured.
    project: Option<String>,
    /// Time of the reply (the contract's answer carries none), ms since the epoch.
    clock: fn() -> f64,
}

impl BotProvider {
    /// `url` is used as given (only surrounding whitespace is removed): it is the endpoint.
    /// `clock` dates the replies.
    pub fn new(
        url: &str,
        authorization: Option<&str>,
        project: Option<&str>,
        clock: fn() -> f64,
    ) -> Self {
        BotProvider {
            url: url.trim().to_string(),
            authorization: authorization.map(str::to_string).filter(|a| !a.is_empty()),
            project: project.map(str::to_string).filter(|p| !p.is_empty()),
            clock,
        }
    }

    /// The provider for a validated configuration (`data-api-base` is the endpoint's URL).
    pub fn from_config(config: &Config, platform: &Platform) -> Result<Self, String> {
        let url = config
            .api_base
            .as_deref()
            .ok_or("data-provider=\"bot\" needs data-api-base (the bot endpoint's URL)")?;
        Ok(Self::new(
            url,
            config.api_key.as_deref(),
            config.project.as_deref(),
            platform.clock,
        ))
    }
}

/// Warnings for the console: an Authorization value sent in clear text over plain http.
pub fn warnings(config: &Config) -> Vec<String> {
    let (Some(url), Some(_)) = (config.api_base.as_deref(), config.api_key.as_deref()) else {
        return Vec::new();
    };
    let local = wire::host(url).is_some_and(|h| h == "localhost" || h == "127.0.0.1");
    if url.trim().to_ascii_lowercase().starts_with("http://") && !local {
        vec![format!(
            "{} is sent to the bot endpoint over plain http; use https.",
            config.name_of("api-key")
        )]
    } else {
        Vec::new()
    }
}

/// One comment as Gleap's API represents a ticket message (seed 000): `comment` is the text or
/// the TipTap doc; the visitor's carry `session`, the bot's `bot: true`, an agent's `user`.
fn comment(m: &Message, session: &Session) -> Json {
    let mut c = Json::object([
        ("id", Json::from(&m.id)),
        ("type", Json::from("TEXT")),
        (
            "comment",
            match &m.body {
                Body::Text(t) => Json::from(t),
                Body::Rich(doc) => doc.clone(),
                // Words only the view has: the endpoint gets no text for it.
                Body::Notice(_) => Json::from(""),
            },
        ),
        ("bot", Json::from(matches!(m.author, Author::Bot { .. }))),
    ]);
    match &m.author {
        Author::Visitor => {
            c.insert("session", Json::object([("id", Json::from(&session.id))]));
        }
        Author::Agent { name } => {
            c.insert(
                "user",
                Json::object([("name", Json::from(name.as_deref()))]),
            );
        }
        Author::Bot { .. } | Author::System => {}
    }
    c.insert(
        "createdAt",
        Json::from(crate::time::format_rfc3339(m.created_at)),
    );
    c
}

impl Provider for BotProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            // The answer comes with the send; there is nothing to poll.
            polling: false,
            rich_text: true,
            attachments: false,
            max_message_chars: MAX_MESSAGE_CHARS,
            // The bot keeps no history: an unconfirmed message is simply sent again.
            shows_own_messages: false,
            ..Capabilities::default()
        }
    }

    fn start_session(&self, visitor: &Visitor, _previous: Option<&Session>) -> Plan<Session> {
        Plan::Ready(Ok(Session {
            id: visitor.anon_id.clone(),
            extra: Json::Null,
        }))
    }

    fn open_conversation(
        &self,
        _visitor: &Visitor,
        _session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation> {
        Plan::Ready(Ok(Conversation {
            id: format!("helpwire-{}", first.local_id),
            extra: Json::Null,
        }))
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        let now = (self.clock)();
        let new = Message {
            id: message.local_id.clone(),
            local_id: Some(message.local_id.clone()),
            author: Author::Visitor,
            body: Body::Text(message.text.clone()),
            attachments: Vec::new(),
            created_at: now,
            delivery: None,
            origin: None,
            attempted_at: None,
            unconfirmed: false,
        };
        let earlier = cx.recent.len().saturating_sub(COMMENTS - 1);
        let comments: Vec<Json> = cx.recent[earlier..]
            .iter()
            .chain(std::iter::once(&new))
            .map(|m| comment(m, cx.session))
            .collect();
        let v = cx.visitor;
        let body = Json::object([
            (
                "conversation",
                Json::object([
                    ("id", Json::from(&cx.conversation.id)),
                    ("type", Json::from("INQUIRY")),
                    ("project", Json::from(self.project.as_deref())),
                    ("organisation", Json::Null),
                    ("shareToken", Json::Null),
                    ("customData", Json::Object(Vec::new())),
                ]),
            ),
            (
                "session",
                Json::object([
                    ("id", Json::from(&cx.session.id)),
                    ("gleapId", Json::Null),
                    ("userId", Json::from(v.user_id.as_deref())),
                    ("email", Json::from(v.email.as_deref())),
                    ("name", Json::from(v.name.as_deref())),
                    ("value", Json::Null),
                    (
                        "customData",
                        v.custom_data.clone().unwrap_or(Json::Object(Vec::new())),
                    ),
                ]),
            ),
            ("comments", Json::Array(comments)),
        ]);
        let mut request = HttpRequest::post(self.url.clone(), body);
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let local_id = message.local_id.clone();
        let clock = self.clock;
        Plan::request(request, move |resp| {
            wire::parse(resp, |v| {
                let f = wire::Fields::of(v, "the bot's answer")?;
                let Some(raw) = f.raw("message") else {
                    return Err("the bot's answer has no `message`".into());
                };
                let mut warnings = Vec::new();
                let body = match raw {
                    Json::Null => None,
                    Json::String(s) if s.trim().is_empty() => None,
                    Json::String(s) => Some(Body::Text(s.clone())),
                    Json::Object(_) if raw.get("type").and_then(Json::as_str) == Some("doc") => {
                        Some(Body::Rich(raw.clone()))
                    }
                    // The endpoint speaks the contract and took the message: only the reply is
                    // unreadable. Failing the send would show it undelivered and send it again.
                    other => {
                        warnings.push(format!(
                            "skipped the bot's reply, which the widget cannot read (`message` is \
                             neither a string nor a TipTap doc): {}",
                            wire::snippet(other)
                        ));
                        None
                    }
                };
                let replies = body
                    .map(|body| {
                        Message::received(
                            format!("{local_id}-reply"),
                            Author::Bot { name: None },
                            body,
                            clock(),
                        )
                    })
                    .into_iter()
                    .collect();
                Ok(Sent {
                    remote_id: local_id,
                    created_at: None,
                    replies,
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }

    fn fetch_messages(&self, _cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        // Nothing to fetch: the endpoint keeps no conversation.
        Plan::Ready(Ok(Page {
            closed: false,
            messages: Vec::new(),
            next: cursor.clone(),
            more: false,
            warnings: Vec::new(),
            presence: Default::default(),
        }))
    }
}
