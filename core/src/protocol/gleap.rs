//! Gleap REST API v3 (seed 000), through a site-owned proxy.
//!
//! The v3 key is a secret server key, so `data-api-base` is normally the site's proxy, which adds
//! `Authorization` and `Project` itself; the widget then sends neither (see [`warnings`]).
//! The visitor is a Gleap session, a conversation is a ticket of type `INQUIRY`, and the
//! visitor's messages are comments posted with `session` (which makes them the customer's).
//! Internal notes (`isNote` / type `NOTE`) are dropped by the parser: they never reach the visitor.

use super::wire::{self, Fields};
use super::{Capabilities, Context, Cursor, HttpRequest, Outgoing, Page, Plan, Provider, Sent};
use crate::config::Config;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};

/// Messages per page of `GET /v3/messages`; a shorter page is the last one.
pub const PAGE_SIZE: usize = 50;

/// Longest message the widget sends (Gleap documents no limit).
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// Longest ticket title the widget makes from the first message.
pub const MAX_TITLE_CHARS: usize = 100;

/// Gleap's public API host, where only a secret key works.
pub const VENDOR_DOMAIN: &str = "gleap.io";

/// Request builders and parsers for Gleap v3.
#[derive(Clone, Debug, PartialEq)]
pub struct GleapProvider {
    /// Host (or proxy) without `/v3` and without a trailing slash.
    base: String,
    api_key: Option<String>,
    project: Option<String>,
}

impl GleapProvider {
    /// `api_base` may be given with or without `/v3`.
    pub fn new(api_base: &str, api_key: Option<&str>, project: Option<&str>) -> Self {
        GleapProvider {
            base: wire::base_url(api_base, &["/v3"]),
            api_key: api_key.map(str::to_string).filter(|k| !k.is_empty()),
            project: project.map(str::to_string).filter(|p| !p.is_empty()),
        }
    }

    /// The provider for a validated configuration (`data-api-base` is required).
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let base = config
            .api_base
            .as_deref()
            .ok_or("data-provider=\"gleap\" needs data-api-base (the site's Gleap proxy)")?;
        Ok(Self::new(
            base,
            config.api_key.as_deref(),
            config.project.as_deref(),
        ))
    }

    fn url(&self, path: &str) -> String {
        format!("{}/v3/{path}", self.base)
    }

    fn authorize(&self, mut request: HttpRequest) -> HttpRequest {
        if let Some(key) = &self.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        if let Some(project) = &self.project {
            request = request.header("Project", project);
        }
        request
    }
}

/// Warnings for the console: Gleap's own host needs the secret key, which must not be in a page.
pub fn warnings(config: &Config) -> Vec<String> {
    let Some(base) = config.api_base.as_deref() else {
        return Vec::new();
    };
    if !wire::is_host_of(base, VENDOR_DOMAIN) {
        return Vec::new();
    }
    let (key, base) = (config.name_of("api-key"), config.name_of("api-base"));
    vec![if config.api_key.is_some() {
        format!(
            "{key} is a Gleap v3 API key, which is secret and now public in this page: revoke \
             it, and point {base} at a proxy on your server that adds the key."
        )
    } else {
        format!(
            "{base} points at Gleap's API, which needs a secret key the browser must not have: \
             point it at a proxy on your server that adds the key."
        )
    }]
}

/// Who the visitor is, as sent to `POST /v3/sessions`; kept in [`Session::extra`] so a resume
/// with the same identity needs no request.
fn identity(visitor: &Visitor) -> Json {
    let user_id = visitor.user_id.as_deref().unwrap_or(&visitor.anon_id);
    let mut body = Json::object([("userId", Json::from(user_id))]);
    if let Some(email) = &visitor.email {
        body.insert("email", Json::from(email));
    }
    if let Some(name) = &visitor.name {
        body.insert("name", Json::from(name));
    }
    if let Some(custom) = &visitor.custom_data {
        body.insert("customData", custom.clone());
    }
    body
}

/// Reads one item of `GET /v3/messages`; `None` for internal notes. An unusable time is left
/// to the engine (noted in `notes`).
fn read_message(v: &Json, notes: &mut Vec<String>) -> Result<Option<Message>, String> {
    let f = Fields::of(v, "a message")?;
    let is_note = f.opt_bool("isNote")?.unwrap_or(false);
    let kind = f.opt_str("type")?;
    if is_note || kind.is_some_and(|k| k.eq_ignore_ascii_case("NOTE")) {
        return Ok(None);
    }
    let id = f.id(&["_id", "id"])?;
    let body = match f.get("comment") {
        None => Body::Text(String::new()),
        Some(Json::String(s)) => Body::Text(s.clone()),
        Some(doc @ Json::Object(_)) if doc.get("type").and_then(Json::as_str) == Some("doc") => {
            Body::Rich(doc.clone())
        }
        Some(other) => {
            return Err(format!(
                "`comment` of a message is neither text nor a TipTap doc: {other}"
            ))
        }
    };
    let bot = f.opt_bool("bot")?.unwrap_or(false);
    // With `session` a comment is the customer's (seed 000, step 4).
    let author = if !bot && f.get("session").is_some() {
        Author::Visitor
    } else {
        // Without it, an agent's (step 3), or the bot's; `user` names them when present.
        let name = agent_name(f.opt_object("user")?)?;
        if bot {
            Author::Bot { name }
        } else {
            Author::Agent { name }
        }
    };
    let created_at = f.message_time(&["createdAt"], notes);
    let mut message = Message::received(id, author, body, created_at);
    message.attachments = wire::attachments(f.array("attachments")?, "type")?;
    Ok(Some(message))
}

/// `firstName lastName`, or `name`, of a Gleap user (each trimmed; empty ones left out).
fn agent_name(user: Option<Fields<'_>>) -> Result<Option<String>, String> {
    let Some(user) = user else {
        return Ok(None);
    };
    // Joined by hand: collecting the parts and `join` compiled to more code.
    let mut name = String::new();
    for part in [user.opt_str("firstName")?, user.opt_str("lastName")?] {
        let part = part.unwrap_or_default().trim();
        if part.is_empty() {
            continue;
        }
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(part);
    }
    if name.is_empty() {
        name = user.opt_str("name")?.unwrap_or_default().trim().to_string();
    }
    Ok(Some(name).filter(|name| !name.is_empty()))
}

/// How many messages of the ticket the engine has been given (notes included: Gleap counts them).
fn skip(cursor: &Cursor) -> u64 {
    cursor.0.get("skip").and_then(Json::as_u64).unwrap_or(0)
}

impl Provider for GleapProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: true,
            // The limit is 1000 requests a minute per project, shared by every visitor.
            poll_open_ms: 6_000,
            poll_closed_ms: 60_000,
            rich_text: true,
            attachments: true,
            max_message_chars: MAX_MESSAGE_CHARS,
            lists_conversations: false,
            shows_own_messages: true,
        }
    }

    fn start_session(&self, visitor: &Visitor, previous: Option<&Session>) -> Plan<Session> {
        let identity = identity(visitor);
        if let Some(previous) = previous {
            if previous.extra == identity {
                return Plan::Ready(Ok(previous.clone()));
            }
        }
        let request = self.authorize(HttpRequest::post(self.url("sessions"), identity.clone()));
        Plan::request(request, move |resp| {
            wire::parse(resp, |v| {
                let f = Fields::of(v, "the session")?;
                Ok(Session {
                    id: f.id(&["_id", "id"])?,
                    extra: identity,
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
        let body = Json::object([
            ("title", Json::from(wire::cut(&first.text, MAX_TITLE_CHARS))),
            ("type", Json::from("INQUIRY")),
            ("session", Json::from(&session.id)),
            (
                "formData",
                Json::object([("description", Json::from(&first.text))]),
            ),
        ]);
        Plan::request(
            self.authorize(HttpRequest::post(self.url("tickets"), body)),
            |resp| {
                wire::parse(resp, |v| {
                    let f = Fields::of(v, "the ticket")?;
                    Ok(Conversation {
                        id: f.id(&["_id", "id"])?,
                        extra: Json::Null,
                    })
                })
            },
        )
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        let body = Json::object([
            ("ticket", Json::from(&cx.conversation.id)),
            ("comment", Json::from(&message.text)),
            ("session", Json::from(&cx.session.id)),
        ]);
        Plan::request(
            self.authorize(HttpRequest::post(self.url("messages"), body)),
            |resp| {
                wire::parse(resp, |v| {
                    let f = Fields::of(v, "the created message")?;
                    let mut warnings = Vec::new();
                    Ok(Sent {
                        remote_id: f.id(&["_id", "id"])?,
                        created_at: f.sent_time(&["createdAt"], &mut warnings),
                        replies: Vec::new(),
                        warnings,
                        presence: Default::default(),
                    })
                })
            },
        )
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        let skip = skip(cursor);
        let (reads, status_turn) = wire::status_turn(cursor);
        if status_turn {
            // The ticket (`GET /v3/tickets/{id}`): support closed it when its `status` is
            // `DONE` or its conversation is marked closed.
            let url = self.url(&format!("tickets/{}", wire::encode(&cx.conversation.id)));
            return Plan::request(self.authorize(HttpRequest::get(url)), move |resp| {
                let next = wire::next_read("skip", skip, reads);
                Ok(wire::status_page(resp, next, |f| {
                    f.opt_str("status") == Ok(Some("DONE"))
                        || f.opt_bool("conversationClosed") == Ok(Some(true))
                }))
            });
        }
        let url = format!(
            "{}?ticket={}&sort=createdAt&limit={PAGE_SIZE}&skip={skip}",
            self.url("messages"),
            wire::encode(&cx.conversation.id)
        );
        Plan::request(self.authorize(HttpRequest::get(url)), move |resp| {
            wire::parse(resp, |v| {
                let Json::Array(items) = v else {
                    return Err("the message list is not an array".into());
                };
                let (messages, warnings) = wire::read_messages(items, read_message);
                Ok(Page {
                    closed: false,
                    messages,
                    next: wire::next_read("skip", skip + items.len() as u64, reads),
                    // No total is given: a full page means there may be more.
                    more: items.len() >= PAGE_SIZE,
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The name as the iterator chain it replaces read it.
    fn oracle(user: Fields<'_>) -> Result<Option<String>, String> {
        let parts: Vec<&str> = [user.opt_str("firstName")?, user.opt_str("lastName")?]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if !parts.is_empty() {
            return Ok(Some(parts.join(" ")));
        }
        Ok(user
            .opt_str("name")?
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    #[test]
    fn agent_name_matches_the_joined_parts() {
        let values = [
            "null",
            "\"\"",
            "\" \"",
            "\"Jane\"",
            "\" Jane \"",
            "\"Support\"",
            "7",
            "{}",
        ];
        for first in values {
            for last in values {
                for name in values {
                    let text =
                        format!(r#"{{"firstName":{first},"lastName":{last},"name":{name}}}"#);
                    let user = Json::parse(&text).unwrap();
                    let f = Fields::of(&user, "a user").unwrap();
                    assert_eq!(agent_name(Some(f)), oracle(f), "{text}");
                }
            }
        }
        assert_eq!(agent_name(None), Ok(None));
    }
}
