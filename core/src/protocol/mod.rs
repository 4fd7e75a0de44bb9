//! The sans-IO provider contract.
//!
//! A provider turns an operation into an [`HttpRequest`] and a parser for its answer; it never
//! performs I/O. The platform runs the request: in the widget, the web layer's executor (fetch,
//! or the in-browser `local` helpdesk); in a server, its HTTP client. That keeps [`Provider`] dyn-safe without async traits, and lets host tests check every
//! request and every documented response without a network.
//!
//! A backend that pushes over a socket (Eusate) also gives a [`push::PushChannel`]: the same
//! sans-IO idea for a long-lived connection, frames and the time in, outputs out.

pub mod bancroft;
pub mod bot;
pub mod eusate;
pub mod gleap;
pub mod gurusup;
pub mod local;
pub mod md5;
pub mod push;
pub mod relay;
pub mod socketio;
pub mod sse;
pub mod wire;

use crate::json::Json;
use crate::model::{Conversation, Message, Session, Visitor};
use crate::text::quote;
use std::fmt;

/// HTTP method of a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// The largest answer read for most requests; a larger one is refused unread.
pub const MAX_RESPONSE_BYTES: usize = 2 * 1024 * 1024;

/// The largest answer read for a request that returns a conversation's whole history (Bancroft's
/// message list, Gurusup's thread, Eusate's history), which grows with the conversation: a long
/// conversation must stay readable, while a hostile answer still cannot exhaust memory.
pub const MAX_HISTORY_BYTES: usize = 32 * 1024 * 1024;

/// A request a provider wants performed; `url` is absolute for network backends.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpRequest {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    /// JSON body, if any.
    pub body: Option<Json>,
    /// The executor refuses, unread, an answer longer than this.
    pub max_response_bytes: usize,
}

impl HttpRequest {
    pub fn get(url: impl Into<String>) -> Self {
        HttpRequest {
            method: Method::Get,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }

    pub fn post(url: impl Into<String>, body: Json) -> Self {
        HttpRequest {
            method: Method::Post,
            url: url.into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: Some(body),
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }

    /// Marks a read of a conversation's whole history: its answer may be up to
    /// [`MAX_HISTORY_BYTES`].
    pub fn whole_history(mut self) -> Self {
        self.max_response_bytes = MAX_HISTORY_BYTES;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// The value of a header, case-insensitively.
    pub fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What came back: status, the headers the engine cares about, and the raw body text.
#[derive(Clone, Debug, PartialEq)]
pub struct HttpResponse {
    pub status: u16,
    /// Seconds from a `Retry-After` header, if present and numeric.
    pub retry_after: Option<u32>,
    pub body: String,
}

impl HttpResponse {
    pub fn new(status: u16, body: impl Into<String>) -> Self {
        HttpResponse {
            status,
            retry_after: None,
            body: body.into(),
        }
    }

    /// Parses a 2xx JSON body, or maps the status and body into a typed error.
    pub fn json(&self) -> Result<Json, ProviderError> {
        self.check()?;
        Json::parse(&self.body).map_err(|e| ProviderError::Malformed {
            reason: e.to_string(),
            body: quote(&self.body),
        })
    }

    /// Maps a non-2xx status to a typed error; Ok for 2xx.
    pub fn check(&self) -> Result<(), ProviderError> {
        if (200..300).contains(&self.status) {
            return Ok(());
        }
        let detail = Json::parse(&self.body)
            .ok()
            .and_then(|v| {
                v.get("detail")
                    .or_else(|| v.get("error"))
                    .or_else(|| v.get("message"))
                    .and_then(|d| d.as_str().map(str::to_string))
            })
            .unwrap_or_else(|| quote(&self.body));
        Err(ProviderError::Status {
            status: self.status,
            detail,
            retry_after: self.retry_after,
        })
    }
}

/// Everything that can go wrong talking to a backend.
#[derive(Clone, Debug, PartialEq)]
pub enum ProviderError {
    /// No answer: offline, DNS, CORS, connection reset, aborted.
    Network(String),
    Timeout,
    /// The backend answered with an error status; `detail` is its message (e.g. `{"detail": …}`).
    Status {
        status: u16,
        detail: String,
        retry_after: Option<u32>,
    },
    /// A 2xx answer the provider could not understand; keeps the raw body for the console.
    Malformed {
        reason: String,
        body: String,
    },
    /// The widget is configured in a way this backend cannot work with.
    Config(String),
    /// The backend no longer accepts the session (the relay's 401 `invalid_token`: an expired
    /// or revoked token). The engine drops the session, and its conversation, and starts a new
    /// one; a new session refused the same way at once is a refusal like any other.
    SessionExpired(String),
}

impl ProviderError {
    /// Whether trying the same request again later can succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            ProviderError::Network(_) | ProviderError::Timeout => true,
            ProviderError::Status { status, .. } => {
                *status == 408 || *status == 425 || *status == 429 || *status >= 500
            }
            ProviderError::Malformed { .. }
            | ProviderError::Config(_)
            | ProviderError::SessionExpired(_) => false,
        }
    }

    /// Whether the backend may have stored the message although this error came instead of its
    /// answer: no answer at all (dropped connection, timeout), a gateway's 502/504 (the site's
    /// proxy lost the backend's answer), or a 2xx whose body could not be read. Other statuses
    /// are the backend's own refusal.
    pub fn may_have_arrived(&self) -> bool {
        match self {
            ProviderError::Network(_) | ProviderError::Timeout => true,
            ProviderError::Status { status, .. } => *status == 502 || *status == 504,
            ProviderError::Malformed { .. } => true,
            ProviderError::Config(_) | ProviderError::SessionExpired(_) => false,
        }
    }

    /// Seconds the backend asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<u32> {
        match self {
            ProviderError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl fmt::Display for ProviderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProviderError::Network(e) => write!(f, "network error: {e}"),
            ProviderError::Timeout => write!(f, "the request timed out"),
            ProviderError::Status { status, detail, .. } => write!(f, "HTTP {status}: {detail}"),
            ProviderError::Malformed { reason, body } => {
                write!(f, "unexpected response ({reason}): {body}")
            }
            ProviderError::Config(e) => write!(f, "configuration: {e}"),
            ProviderError::SessionExpired(e) => write!(f, "session expired: {e}"),
        }
    }
}

impl std::error::Error for ProviderError {}

/// Turns the answer to a request into a value, or a typed error.
/// `Send`, so a server can run a plan on a multi-threaded runtime; parsers capture owned data.
pub type Parser<T> = Box<dyn FnOnce(&HttpResponse) -> Result<T, ProviderError> + Send>;

/// How an operation is carried out: already known (no call needed), or one request and its parser.
pub enum Plan<T> {
    Ready(Result<T, ProviderError>),
    Request {
        request: HttpRequest,
        parse: Parser<T>,
    },
}

impl<T: 'static> Plan<T> {
    /// A request whose answer is parsed by `parse`.
    pub fn request(
        request: HttpRequest,
        parse: impl FnOnce(&HttpResponse) -> Result<T, ProviderError> + Send + 'static,
    ) -> Self {
        Plan::Request {
            request,
            parse: Box::new(parse),
        }
    }
}

/// Where the next fetch continues; its meaning belongs to the provider (offset, last id, time).
/// Stored as the bare value (null at the start).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cursor(pub Json);

/// A page of messages and where to continue.
#[derive(Clone, Debug, PartialEq)]
pub struct Page {
    /// Oldest first. A message whose time the backend gave unusably has
    /// [`wire::UNKNOWN_TIME`]; the engine dates it.
    pub messages: Vec<Message>,
    /// Past every item read, the ones skipped as unreadable included: one bad message must
    /// never stop the conversation.
    pub next: Cursor,
    /// More is waiting right now (fetch again at once rather than at the next poll).
    pub more: bool,
    /// For the console: items skipped or read with a fallback, one line each.
    pub warnings: Vec<String>,
    /// What the backend says of support's side, if anything.
    pub presence: Presence,
    /// Support closed the conversation: it takes no more messages (the local helpdesk says so;
    /// Eusate and the relay say it with an event of their own).
    pub closed: bool,
}

/// What a backend says of support's side of the conversation, where it says anything (README,
/// Notifications): the default is "nothing said".
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Presence {
    /// Support is writing an answer.
    pub typing: bool,
    /// Whether an agent has read the visitor's messages so far; `None` when the backend does not say.
    pub seen: Option<bool>,
}

/// What a successful send tells us.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The backend's id of the stored message.
    pub remote_id: String,
    /// When the backend stored it, if it said.
    pub created_at: Option<f64>,
    /// Answers that came back with the send (Gurusup, bot contract).
    pub replies: Vec<Message>,
    /// For the console: parts of the answer that were unusable (a time, a reply) and left out.
    pub warnings: Vec<String>,
    /// What the backend says of support's side, if anything.
    pub presence: Presence,
}

/// Longest line of the list of conversations, in characters: a listed conversation's preview is
/// cut to it (by the engine, and by a protocol that makes a preview of a longer text).
pub const PREVIEW_CHARS: usize = 140;

/// A conversation of the visitor's as the backend lists it.
#[derive(Clone, Debug, PartialEq)]
pub struct Listed {
    pub conversation: Conversation,
    /// Its last message's text, plain (empty when it had none).
    pub preview: String,
    /// When its last message was written (ms); [`wire::UNKNOWN_TIME`] when not said usably.
    pub at: f64,
    /// Support closed it.
    pub closed: bool,
}

/// The backend's list of the visitor's conversations.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Listing {
    pub conversations: Vec<Listed>,
    /// For the console: items skipped as unreadable, one line each.
    pub warnings: Vec<String>,
}

/// A message the visitor wrote, as handed to a provider.
#[derive(Clone, Debug, PartialEq)]
pub struct Outgoing {
    pub local_id: String,
    pub text: String,
}

/// What a provider can do; the UI and the scheduler adapt to it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Capabilities {
    /// Receives by polling; otherwise by push.
    pub polling: bool,
    /// Poll interval while the panel is open, in ms.
    pub poll_open_ms: u32,
    /// Poll interval while the panel is closed, in ms.
    pub poll_closed_ms: u32,
    pub rich_text: bool,
    pub attachments: bool,
    /// Longest message the backend accepts, in characters.
    pub max_message_chars: usize,
    /// The backend lists the visitor's conversations itself ([`Provider::listing`]).
    pub lists_conversations: bool,
    /// The conversation as fetched shows the visitor's own messages (author, text, time), so a
    /// send whose outcome is unknown is looked for there before it is sent again. Backends
    /// without a history of their own (the bot contract) just send again.
    pub shows_own_messages: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Capabilities {
            polling: true,
            poll_open_ms: 3_000,
            poll_closed_ms: 30_000,
            rich_text: false,
            attachments: false,
            max_message_chars: 5_000,
            lists_conversations: false,
            shows_own_messages: true,
        }
    }
}

/// The context a conversation operation needs.
#[derive(Clone, Copy, Debug)]
pub struct Context<'a> {
    pub visitor: &'a Visitor,
    pub session: &'a Session,
    pub conversation: &'a Conversation,
    /// The latest messages before this operation, oldest first (at most [`RECENT_MESSAGES`]);
    /// backends that keep no history of their own (the bot contract) need them.
    pub recent: &'a [Message],
}

/// How many earlier messages a [`Context`] carries.
pub const RECENT_MESSAGES: usize = 4;

/// A helpdesk backend, as pure request builders and response parsers.
pub trait Provider {
    fn capabilities(&self) -> Capabilities;

    /// Starts (or resumes, when `previous` is given) the visitor's session.
    fn start_session(&self, visitor: &Visitor, previous: Option<&Session>) -> Plan<Session>;

    /// Opens a conversation for the visitor's first message.
    fn open_conversation(
        &self,
        visitor: &Visitor,
        session: &Session,
        first: &Outgoing,
    ) -> Plan<Conversation>;

    /// Sends one message of the visitor.
    fn send_message(&self, cx: Context<'_>, message: &Outgoing) -> Plan<Sent>;

    /// Fetches messages newer than `cursor` (the default cursor means from the start).
    fn fetch_messages(&self, cx: Context<'_>, cursor: &Cursor) -> Plan<Page>;

    /// The visitor's conversations as the backend lists them, where it can
    /// ([`Capabilities::lists_conversations`]): one started on another device then shows in
    /// the visitor's list.
    fn listing(&self, _visitor: &Visitor, _session: &Session) -> Plan<Listing> {
        Plan::Ready(Ok(Listing::default()))
    }

    /// Push backends: the channel that carries the visitor's sends and the pushed answers, for
    /// `session`, resuming `conversation` when known; `seed` varies its reconnect jitter.
    /// Polling backends have none.
    fn push_channel(
        &self,
        _session: &Session,
        _conversation: Option<&Conversation>,
        _seed: u64,
    ) -> Option<Result<Box<dyn push::PushChannel>, ProviderError>> {
        None
    }
}

/// What a provider takes from the platform it runs on.
#[derive(Clone, Copy, Debug)]
pub struct Platform<'a> {
    /// The current time, in ms since the epoch.
    pub clock: fn() -> f64,
    /// The visitor's preferred languages, best first (the browser's; none on a server).
    pub languages: &'a [String],
}

/// The provider for a validated configuration, or why there is none.
///
/// Each backend is behind a cargo feature of its name (all on by default). The release build
/// makes one wasm per backend with only its feature, and the loader fetches the one the page
/// configured: a site pays for its own backend's code only.
pub fn for_config(
    config: &crate::config::Config,
    #[cfg_attr(
        not(any(feature = "gurusup", feature = "bot")),
        allow(unused_variables)
    )]
    platform: &Platform,
) -> Result<std::rc::Rc<dyn Provider>, String> {
    use crate::config::ProviderKind;
    match config.provider {
        #[cfg(feature = "local")]
        ProviderKind::Local => Ok(std::rc::Rc::new(local::LocalProvider)),
        #[cfg(feature = "bancroft")]
        ProviderKind::Bancroft => Ok(std::rc::Rc::new(bancroft::BancroftProvider::from_config(
            config,
        )?)),
        #[cfg(feature = "gleap")]
        ProviderKind::Gleap => Ok(std::rc::Rc::new(gleap::GleapProvider::from_config(config)?)),
        #[cfg(feature = "gurusup")]
        ProviderKind::Gurusup => Ok(std::rc::Rc::new(gurusup::GurusupProvider::from_config(
            config, platform,
        )?)),
        #[cfg(feature = "bot")]
        ProviderKind::Bot => Ok(std::rc::Rc::new(bot::BotProvider::from_config(
            config, platform,
        )?)),
        #[cfg(feature = "eusate")]
        ProviderKind::Eusate => Ok(std::rc::Rc::new(eusate::EusateProvider::from_config(
            config,
        ))),
        #[cfg(feature = "relay")]
        ProviderKind::Relay => Ok(std::rc::Rc::new(relay::RelayProvider::from_config(config)?)),
        #[allow(unreachable_patterns)]
        other => Err(format!(
            "this build of the widget has no \"{0}\" backend: load helpwire.js from a full build \
             (it fetches helpwire_{0}.js and .wasm from beside itself)",
            other.name()
        )),
    }
}

/// Console warnings about a configuration that works but is risky (a secret key in the page…),
/// without the "Helpwire: " prefix, which the caller adds.
pub fn warnings(config: &crate::config::Config) -> Vec<String> {
    #[allow(unused_imports)] // the `local`-only build has no arm that names a kind
    use crate::config::ProviderKind;
    match config.provider {
        #[cfg(feature = "bancroft")]
        ProviderKind::Bancroft => bancroft::warnings(config),
        #[cfg(feature = "gleap")]
        ProviderKind::Gleap => gleap::warnings(config),
        #[cfg(feature = "gurusup")]
        ProviderKind::Gurusup => gurusup::warnings(config),
        #[cfg(feature = "bot")]
        ProviderKind::Bot => bot::warnings(config),
        #[cfg(feature = "eusate")]
        ProviderKind::Eusate => eusate::EusateProvider::from_config(config)
            .key_warning()
            .into_iter()
            .collect(),
        #[cfg(feature = "relay")]
        ProviderKind::Relay => relay::warnings(config),
        _ => Vec::new(),
    }
}
