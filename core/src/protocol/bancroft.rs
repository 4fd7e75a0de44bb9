//! Bancroft conversations API (seed 004): a client key (`bnc_cl_…`) may be used from the browser.
//!
//! Bancroft has no session: [`Provider::start_session`] is ready at once. A conversation is
//! created with the first message as its subject; every message, the first included, is then
//! posted with `messages/create/`. Bancroft identifies senders by email only, so the requester's
//! email from the create answer (an anonymous user's generated one when the visitor gave none)
//! is kept in [`Conversation::extra`] and used as `user_email` for every later message, and to
//! tell the visitor's messages from the agents' when fetching.
//!
//! Bancroft lists a requester's conversations by email (`GET conversations/?user_email=`), with
//! whatever key it is given. From a browser that key is in the page and the email is the page's
//! to choose, so anyone could list anyone's: the widget's own Bancroft never lists. Behind the
//! relay the key is the relay's and the email is derived from the verified user, so the relay
//! turns the list on ([`BancroftProvider::listing_by_email`]).

use super::wire::{self, Fields};
use super::{
    Capabilities, Context, Cursor, HttpRequest, Outgoing, Page, Plan, Provider, ProviderError, Sent,
};
#[cfg(feature = "listing")]
use super::{HttpResponse, Listed, Listing};
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
    /// Lists the visitor's conversations by requester email ([`Self::listing_by_email`]).
    #[cfg(feature = "listing")]
    lists: bool,
}

impl BancroftProvider {
    /// `api_base` may be given with or without `/api/v1` and trailing slashes.
    pub fn new(api_base: &str, api_key: Option<&str>) -> Self {
        BancroftProvider {
            base: wire::base_url(api_base, &["/api/v1"]),
            api_key: api_key.map(str::to_string).filter(|k| !k.is_empty()),
            #[cfg(feature = "listing")]
            lists: false,
        }
    }

    /// The same provider, listing the visitor's conversations by their requester email
    /// ([`Provider::listing`]). Only where neither the key nor the email is the visitor's: behind
    /// the relay, whose requester emails are derived from the verified user. Never from a
    /// browser, whose key lists anyone's conversations by any email.
    #[cfg(feature = "listing")]
    pub fn listing_by_email(mut self) -> Self {
        self.lists = true;
        self
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

/// Parses `GET conversations/?user_email=…`: DRF paging (`{count, next, previous, results}`), or
/// a bare list. Each conversation is read for its id, its subject (the first message: the only
/// text the list has, until the light check reads the last one), `updated_at` and `status`. One
/// without a usable id, or not the requester's, is skipped with a warning; a subject, time or
/// status that does not read is left out.
#[cfg(feature = "listing")]
fn parse_list(resp: &HttpResponse, email: &str) -> Result<Listing, ProviderError> {
    wire::parse(resp, |v| {
        let (items, more) = match v {
            Json::Array(items) => (items.as_slice(), false),
            other => {
                let f = Fields::of(other, "the conversation list")?;
                let more = matches!(f.get("next"), Some(Json::String(_)));
                (f.required_array("results")?, more)
            }
        };
        let mut listing = Listing::default();
        if more {
            listing.warnings.push(
                "the requester has more conversations than one page: only these are read".into(),
            );
        }
        for item in items {
            match read_listed(item, email) {
                Ok(listed) => listing.conversations.push(listed),
                Err(reason) => listing
                    .warnings
                    .push(format!("skipped a conversation of the list: {reason}")),
            }
        }
        Ok(listing)
    })
}

/// Reads one conversation of the list.
#[cfg(feature = "listing")]
fn read_listed(v: &Json, email: &str) -> Result<Listed, String> {
    let f = Fields::of(v, "a conversation of the list")?;
    let id = f.id(&["id"])?;
    // The `user_email` filter is all that makes the list the requester's: a conversation that
    // names another requester, or none, is not taken for theirs (a filter ignored on the way
    // would otherwise hand a verified user everyone's).
    let requester = match f.opt_object("requester")? {
        Some(r) => r.opt_str("email")?,
        None => None,
    };
    if !requester.is_some_and(|r| r.trim().eq_ignore_ascii_case(email)) {
        return Err("its requester is not the visitor".into());
    }
    let subject = v.get("subject").and_then(Json::as_str).unwrap_or_default();
    Ok(Listed {
        conversation: Conversation {
            id,
            extra: Json::object([(REQUESTER_EMAIL, Json::from(email))]),
        },
        // One line, as the list shows it.
        preview: wire::cut(subject, super::PREVIEW_CHARS),
        at: match f.opt_time(&["updated_at"]) {
            Ok(Some(at)) => at,
            _ => wire::UNKNOWN_TIME,
        },
        // As the status read tells it.
        closed: matches!(f.opt_str("status"), Ok(Some("closed" | "resolved"))),
    })
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
            rich_text: false,
            attachments: false,
            max_message_chars: MAX_MESSAGE_CHARS,
            // Only behind the relay ([`BancroftProvider::listing_by_email`]).
            #[cfg(feature = "listing")]
            lists_conversations: self.lists,
            #[cfg(not(feature = "listing"))]
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

    /// `GET conversations/?user_email=<the visitor's email>&limit=100`: the documented maximum
    /// page, read once. Nothing without [`BancroftProvider::listing_by_email`].
    #[cfg(feature = "listing")]
    fn listing(&self, visitor: &Visitor, _session: &Session) -> Plan<Listing> {
        if !self.lists {
            return Plan::Ready(Ok(Listing::default()));
        }
        let Some(email) = visitor
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string)
        else {
            return Plan::Ready(Err(ProviderError::Config(
                "Bancroft lists conversations by requester email, and the visitor has none".into(),
            )));
        };
        let url = format!(
            "{}?user_email={}&limit=100",
            self.url("conversations/"),
            wire::encode(&email)
        );
        let request = self.authorize(HttpRequest::get(url));
        Plan::request(request, move |resp| parse_list(resp, &email))
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
