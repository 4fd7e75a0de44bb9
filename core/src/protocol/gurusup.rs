//! Gurusup public API (seed 002), through a site-owned proxy (the `x-api-key` is secret).
//!
//! Gurusup has no session or thread creation: the caller names the user (`user_fid`) and the
//! thread (`thread_fid`), so both are ready at once. `POST /messages` stores the visitor's message
//! and answers with the system's reply, which is handed to the engine as [`Sent::replies`];
//! `GET /threads/{md5(thread_fid)}` is polled because a human agent can answer later.
//!
//! Gurusup's answer to a send is the reply, not the stored message, so the visitor's message has
//! no backend id the engine could match later: a fetched thread's visitor messages come back
//! like any other's, and the engine pairs each with the one it shows by its text (in order), so
//! none shows twice; a conversation opened again from the list is read back whole this way.

use super::wire::{self, Fields};
use super::{
    Capabilities, Context, Cursor, HttpRequest, Outgoing, Page, Plan, Platform, Provider, Sent,
};
use crate::config::Config;
use crate::json::Json;
use crate::model::{Author, Body, Conversation, Message, Session, Visitor};

/// Longest message the widget sends (Gurusup documents no limit).
pub const MAX_MESSAGE_CHARS: usize = 5_000;

/// Longest subject the widget makes from the first message.
pub const MAX_SUBJECT_CHARS: usize = 100;

/// Gurusup's own domain, where only the secret key works.
pub const VENDOR_DOMAIN: &str = "gurusup.com";

/// Key of the visitor's `user_fid` in [`Session::extra`].
pub const USER_FID: &str = "user_fid";

/// Key of the thread's subject in [`Conversation::extra`].
pub const SUBJECT: &str = "subject";

/// Request builders and parsers for the Gurusup public API.
#[derive(Clone, Debug)]
pub struct GurusupProvider {
    base: String,
    api_key: Option<String>,
    /// Language code sent as `lang` (`en`, `es`…).
    lang: String,
    /// Time for messages Gurusup sends without one (ms since the epoch).
    clock: fn() -> f64,
}

impl GurusupProvider {
    /// `lang` is a language tag; only its primary subtag is sent. `clock` dates the messages
    /// Gurusup sends without a time.
    pub fn new(api_base: &str, api_key: Option<&str>, lang: &str, clock: fn() -> f64) -> Self {
        GurusupProvider {
            base: wire::base_url(api_base, &[]),
            api_key: api_key.map(str::to_string).filter(|k| !k.is_empty()),
            lang: crate::lang::primary_language(lang).unwrap_or_else(|| "en".into()),
            clock,
        }
    }

    /// The same provider sending `lang` instead (a language tag; only its primary subtag is
    /// sent), or `None` when `lang` is not a well-formed tag.
    pub fn in_language(&self, lang: &str) -> Option<Self> {
        Some(GurusupProvider {
            lang: crate::lang::primary_language(lang)?,
            ..self.clone()
        })
    }

    /// The provider for a validated configuration. `lang` is `data-locale`, else the browser's
    /// language, else English.
    pub fn from_config(config: &Config, platform: &Platform) -> Result<Self, String> {
        let base = config
            .api_base
            .as_deref()
            .ok_or("data-provider=\"gurusup\" needs data-api-base (the site's Gurusup proxy)")?;
        let lang = config
            .locale
            .clone()
            .or_else(|| platform.languages.first().cloned())
            .unwrap_or_else(|| "en".into());
        Ok(Self::new(
            base,
            config.api_key.as_deref(),
            &lang,
            platform.clock,
        ))
    }

    fn authorize(&self, request: HttpRequest) -> HttpRequest {
        match &self.api_key {
            Some(key) => request.header("x-api-key", key),
            None => request,
        }
    }
}

/// Warnings for the console: the Gurusup key is secret and must not be in a page.
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
            "{key} is a Gurusup API key, which is secret and now public in this page: revoke \
             it, and point {base} at a proxy on your server that adds the key."
        )
    } else {
        format!(
            "{base} points at Gurusup's API, which needs a secret key the browser must not \
             have: point it at a proxy on your server that adds the key."
        )
    }]
}

/// The `user_fid` of this visitor's session.
fn user_fid(cx: &Context<'_>) -> String {
    cx.session
        .extra
        .get(USER_FID)
        .and_then(Json::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| {
            cx.visitor
                .user_id
                .clone()
                .unwrap_or_else(|| cx.visitor.anon_id.clone())
        })
}

/// One Gurusup message, as read from the wire.
struct Wire {
    id: String,
    body: String,
    user_fid: Option<String>,
    agent: bool,
    created_at: Option<f64>,
}

impl Wire {
    /// An unusable time reads as none (the clock's time is used), noted in `notes`.
    fn read(v: &Json, notes: &mut Vec<String>) -> Result<Wire, String> {
        let f = Fields::of(v, "a message")?;
        Ok(Wire {
            id: f.id(&["_id", "id"])?,
            body: f.opt_str("body")?.unwrap_or_default().to_string(),
            user_fid: f.opt_str("user_fid")?.map(str::to_string),
            agent: f.opt_bool("is_customer_support_agent")?.unwrap_or(false),
            created_at: f
                .opt_time(&["created_at", "createdAt"])
                .map_err(|reason| notes.push(reason))
                .ok()
                .flatten(),
        })
    }

    /// Written by this visitor (not by an agent, not by the system).
    fn is_visitors(&self, user_fid: &str) -> bool {
        !self.agent && self.user_fid.as_deref() == Some(user_fid)
    }

    /// A support-side message from a thread: a human agent's (`is_customer_support_agent`),
    /// otherwise the system's.
    fn into_reply(self, now: f64) -> Message {
        let author = if self.agent {
            Author::Agent { name: None }
        } else {
            Author::Bot { name: None }
        };
        self.into_message(author, now)
    }

    fn into_message(self, author: Author, now: f64) -> Message {
        Message::received(
            self.id,
            author,
            Body::Text(self.body),
            self.created_at.unwrap_or(now),
        )
    }
}

/// A message Gurusup sends to the user outside a request (its webhook's send-message event), read
/// like a thread's support-side message: a human agent's (`is_customer_support_agent`), otherwise
/// the system's. `now` dates it when it carries no usable time. Errors say what is missing.
pub fn read_sent_message(v: &Json, now: f64) -> Result<Message, String> {
    Ok(Wire::read(v, &mut Vec::new())?.into_reply(now))
}

fn seen(cursor: &Cursor) -> usize {
    cursor.0.get("seen").and_then(Json::as_u64).unwrap_or(0) as usize
}

impl Provider for GurusupProvider {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            polling: true,
            // The answer usually comes with the send; polling is for a human agent's later one.
            poll_open_ms: 5_000,
            poll_closed_ms: 60_000,
            rich_text: false,
            attachments: false,
            max_message_chars: MAX_MESSAGE_CHARS,
            lists_conversations: false,
            shows_own_messages: true,
        }
    }

    fn start_session(&self, visitor: &Visitor, _previous: Option<&Session>) -> Plan<Session> {
        // The id stays the browser's across `identify` (the thread goes on); `user_fid` follows
        // the site's user id once known.
        let user_fid = visitor.user_id.as_deref().unwrap_or(&visitor.anon_id);
        Plan::Ready(Ok(Session {
            id: visitor.anon_id.clone(),
            extra: Json::object([(USER_FID, Json::from(user_fid))]),
        }))
    }

    fn open_conversation(
        &self,
        _visitor: &Visitor,
        session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation> {
        // Derived from the first message's id, so reopening after a failure names the same thread.
        Plan::Ready(Ok(Conversation {
            id: format!("helpwire-{}-{}", session.id, first.local_id),
            extra: Json::object([(
                SUBJECT,
                Json::from(wire::cut(&first.text, MAX_SUBJECT_CHARS)),
            )]),
        }))
    }

    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent> {
        let user_fid = user_fid(&cx);
        let subject = cx
            .conversation
            .extra
            .get(SUBJECT)
            .and_then(Json::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| wire::cut(&message.text, MAX_SUBJECT_CHARS));
        let body = Json::object([
            ("body", Json::from(&message.text)),
            ("user_fid", Json::from(&user_fid)),
            ("thread_fid", Json::from(&cx.conversation.id)),
            ("lang", Json::from(&self.lang)),
            ("subject", Json::from(subject)),
            ("is_customer_support_agent", Json::from(false)),
        ]);
        let request = self.authorize(HttpRequest::post(format!("{}/messages", self.base), body));
        let local_id = message.local_id.clone();
        let text = message.text.clone();
        let clock = self.clock;
        Plan::request(request, move |resp| {
            resp.check()?;
            // No reply configured: nothing (or null) comes back.
            let nothing = |warnings| Sent {
                remote_id: local_id.clone(),
                created_at: None,
                replies: Vec::new(),
                warnings,
                presence: Default::default(),
            };
            if resp.body.trim().is_empty() {
                return Ok(nothing(Vec::new()));
            }
            wire::parse(resp, |v| {
                if v.is_null() {
                    return Ok(nothing(Vec::new()));
                }
                // Not even an object: not Gurusup's answer (a misconfigured proxy?).
                Fields::of(v, "the answer to a send")?;
                let mut notes = Vec::new();
                let m = match Wire::read(v, &mut notes) {
                    Ok(m) => m,
                    // Stored all the same (2xx): an unreadable reply must not fail the send,
                    // which would then be sent again.
                    Err(reason) => {
                        return Ok(nothing(vec![format!(
                            "skipped the reply to a message, which the widget cannot read \
                             ({reason}): {}",
                            wire::snippet(v)
                        )]))
                    }
                };
                let warnings = notes
                    .into_iter()
                    .map(|n| format!("the answer to a send is read with a fallback: {n}"))
                    .collect();
                if m.is_visitors(&user_fid) && m.body == text {
                    // The stored message itself came back (no automatic reply): use its id.
                    return Ok(Sent {
                        remote_id: m.id,
                        created_at: m.created_at,
                        replies: Vec::new(),
                        warnings,
                        presence: Default::default(),
                    });
                }
                // The answer to a send is by definition the system's automatic reply (whatever
                // its agent flag says): a human can only answer later, seen by polling.
                Ok(Sent {
                    remote_id: local_id.clone(),
                    created_at: None,
                    replies: vec![m.into_message(Author::Bot { name: None }, clock())],
                    warnings,
                    presence: Default::default(),
                })
            })
        })
    }

    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page> {
        let url = format!(
            "{}/threads/{}",
            self.base,
            super::md5::hex(&cx.conversation.id)
        );
        let user_fid = user_fid(&cx);
        let already = seen(cursor);
        let unchanged = cursor.clone();
        let clock = self.clock;
        // A thread comes with all its messages: the answer grows with the conversation.
        let request = self.authorize(HttpRequest::get(url).whole_history());
        Plan::request(request, move |resp| {
            if resp.status == 404 {
                // The thread exists once its first message is stored; until then it is empty.
                return Ok(Page {
                    closed: false,
                    messages: Vec::new(),
                    next: unchanged,
                    more: false,
                    warnings: Vec::new(),
                    presence: Default::default(),
                });
            }
            wire::parse(resp, |v| {
                let f = Fields::of(v, "the thread")?;
                let items = f.array("messages")?;
                let skip = if already > items.len() { 0 } else { already };
                let now = clock();
                let (messages, warnings) = wire::read_messages(&items[skip..], |item, notes| {
                    let m = Wire::read(item, notes)?;
                    // The visitor's own too: the engine pairs them with the messages sent from
                    // here, which tells it whether a send whose answer was lost was stored.
                    Ok(Some(if m.is_visitors(&user_fid) {
                        m.into_message(Author::Visitor, now)
                    } else {
                        m.into_reply(now)
                    }))
                });
                Ok(Page {
                    closed: false,
                    messages,
                    next: Cursor(Json::object([("seen", Json::from(items.len()))])),
                    more: false,
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

    #[test]
    fn a_message_sent_to_the_user_reads_like_a_threads_reply() {
        let agent = Json::parse(
            r#"{"_id":"m1","body":"Hi","is_customer_support_agent":true,"created_at":"2026-01-02T03:04:05.000Z"}"#,
        )
        .unwrap();
        let m = read_sent_message(&agent, 5.0).unwrap();
        assert_eq!(m.id, "m1");
        assert!(matches!(m.author, Author::Agent { .. }));
        assert_eq!(m.body, Body::Text("Hi".into()));
        assert!(m.created_at > 5.0);
        // The system's, with an unusable time: dated by the clock.
        let system = Json::parse(r#"{"id":"m2","body":"Auto","createdAt":"soon"}"#).unwrap();
        let m = read_sent_message(&system, 5.0).unwrap();
        assert!(matches!(m.author, Author::Bot { .. }));
        assert_eq!(m.created_at, 5.0);
        // Hostile: no id, or not an object.
        assert!(read_sent_message(&Json::parse(r#"{"body":"x"}"#).unwrap(), 5.0).is_err());
        assert!(read_sent_message(&Json::parse("[1]").unwrap(), 5.0).is_err());
    }
}
