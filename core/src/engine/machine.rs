//! The engine's state machine.

use super::edits::ListEdits;
use super::schedule::{backoff_ms, jitter};
use super::storage::Snapshot;
use crate::model::{Author, Body, Conversation, Delivery, Message, Session, Visitor};
use crate::protocol::{
    wire, Capabilities, Context, Outgoing, Page, Plan, Provider, ProviderError, Sent,
    RECENT_MESSAGES,
};

/// Something that happened: the visitor, the site (JS API), the page, a timer, or a finished job.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    Open,
    Close,
    Toggle,
    /// The visitor sends `text`; `local_id` is a fresh unique id chosen by the driver.
    Send {
        text: String,
        local_id: String,
    },
    /// The visitor asks to try a failed message again.
    Retry {
        local_id: String,
    },
    /// Try again now after the backend was unavailable.
    RetryConnection,
    /// `identify()`: `fresh_anon_id` is used if this is a different person than before.
    Identify {
        identity: Visitor,
        fresh_anon_id: String,
    },
    /// `reset()`: forget the visitor; start again as `anon_id`.
    Reset {
        anon_id: String,
    },
    /// The page became visible (true) or hidden.
    Visible(bool),
    /// The browser went online (true) or offline.
    Online(bool),
    /// A push backend's socket joined (true), or was lost and is reconnecting (false).
    PushConnected(bool),
    /// A timer the driver armed for [`Effect::WakeAt`] fired.
    Tick,
    /// Messages pushed by the backend (a socket), outside any job.
    Received(Vec<Message>),
    /// Another tab of this site changed the stored state (a `storage` event).
    Synced(Box<Snapshot>),
    /// The tabs known to be open (`None`: the browser cannot tell). Undelivered messages of tabs
    /// that are gone are adopted and sent by this one.
    TabsAlive(Option<Vec<String>>),
    /// A push backend gave the conversation opened by the first message its id.
    ConversationAssigned(String),
    /// Support closed this conversation; the next message opens a new one.
    ConversationClosed(String),
    /// A job finished. `generation` is the one it was started with; stale results are dropped.
    Finished {
        generation: u64,
        outcome: Outcome,
    },
}

/// Work for the driver: carry out one provider operation.
#[derive(Clone, Debug, PartialEq)]
pub enum Job {
    StartSession {
        visitor: Visitor,
        previous: Option<Session>,
    },
    OpenConversation {
        visitor: Visitor,
        session: Session,
        first: Outgoing,
    },
    Send {
        visitor: Visitor,
        session: Session,
        conversation: Conversation,
        message: Outgoing,
        /// Messages before this one, oldest first, for backends without history of their own.
        recent: Vec<Message>,
    },
    Fetch {
        visitor: Visitor,
        session: Session,
        conversation: Conversation,
        cursor: crate::protocol::Cursor,
    },
}

/// A job turned into its provider [`Plan`]; whoever runs the plan wraps the result as an
/// [`Outcome`] (the browser driver with the HTTP executor, host tests with a local one).
pub enum Planned {
    Session(Plan<Session>),
    Conversation(Plan<Conversation>),
    Send { local_id: String, plan: Plan<Sent> },
    Fetch(Plan<Page>),
}

impl Job {
    /// Asks `provider` how to carry out this job.
    pub fn plan(&self, provider: &dyn Provider) -> Planned {
        match self {
            Job::StartSession { visitor, previous } => {
                Planned::Session(provider.start_session(visitor, previous.as_ref()))
            }
            Job::OpenConversation {
                visitor,
                session,
                first,
            } => Planned::Conversation(provider.open_conversation(visitor, session, first)),
            Job::Send {
                visitor,
                session,
                conversation,
                message,
                recent,
            } => {
                let cx = Context {
                    visitor,
                    session,
                    conversation,
                    recent,
                };
                Planned::Send {
                    local_id: message.local_id.clone(),
                    plan: provider.send_message(cx, message),
                }
            }
            Job::Fetch {
                visitor,
                session,
                conversation,
                cursor,
            } => {
                let cx = Context {
                    visitor,
                    session,
                    conversation,
                    recent: &[],
                };
                Planned::Fetch(provider.fetch_messages(cx, cursor))
            }
        }
    }
}

/// The result of a [`Job`].
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    Session(Result<Session, ProviderError>),
    Conversation(Result<Conversation, ProviderError>),
    Sent {
        local_id: String,
        result: Result<Sent, ProviderError>,
    },
    Fetched(Result<Page, ProviderError>),
}

/// Events for the site's `Helpwire.on(...)` listeners.
#[derive(Clone, Debug, PartialEq)]
pub enum WidgetEvent {
    Open,
    Close,
    /// A message from support arrived.
    Message {
        id: String,
        text: String,
        author: String,
    },
    /// The backend confirmed one of the visitor's messages.
    Sent {
        id: String,
        text: String,
    },
    Unread(u32),
    Error(String),
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    Run {
        generation: u64,
        job: Box<Job>,
    },
    /// Write [`Engine::snapshot`] (the engine only asks once storage is allowed). It carries no
    /// copy: the driver serializes the engine's own state, so a change never clones the conversation.
    Persist,
    /// Remove whatever is stored (after `reset`).
    ClearStorage,
    Emit(WidgetEvent),
    /// Call back with [`Command::Tick`] at this time (ms); replaces any earlier wake-up.
    WakeAt(f64),
    /// Tell the site's developers (the console), never the visitor: backend details, data that
    /// was skipped or replaced by a fallback.
    Warn(String),
}

/// A problem the visitor should see. It names the problem only: the view words it in the
/// visitor's language (`crate::i18n`); backend details go to the console ([`Effect::Warn`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Notice {
    /// Can't reach the backend; trying again by itself.
    Reconnecting,
    /// The backend refused in a way retrying will not fix; the visitor may retry by hand.
    Unavailable,
    /// The visitor's message was not accepted: it is longer than the backend's `limit` characters.
    TooLong { limit: usize },
}

/// The length of `text` as the engine measures it against
/// [`Capabilities::max_message_chars`]: characters (Unicode scalar values) once trimmed, the
/// way it is sent.
pub fn message_chars(text: &str) -> usize {
    text.trim().chars().count()
}

/// A message's id, local id and delivery state: what [`ListEdits`] must report changes of.
#[cfg(debug_assertions)]
type ListEntryShape = (String, Option<String>, &'static str);

/// What the visitor sees and what is still to do.
#[derive(Clone, Debug)]
pub struct Engine {
    caps: Capabilities,
    /// This tab's id: it sends only what it wrote, or adopted from a closed tab.
    tab: String,
    /// The browser cannot tell which tabs are open (no Web Locks): every tab sends everything.
    send_all: bool,
    data: Snapshot,
    open: bool,
    visible: bool,
    online: bool,
    /// Storage may be written: the visitor opened the widget, or the site called `identify`.
    activated: bool,
    /// The session in `data` was confirmed by the backend during this page load.
    session_confirmed: bool,
    session_failures: u32,
    session_retry_at: f64,
    /// The backend refused permanently; nothing is attempted until the visitor retries.
    halted: bool,
    /// A push backend's socket is lost: "Reconnecting" stays until it is back.
    push_lost: bool,
    job: Option<u64>,
    generation: u64,
    fetch_at: Option<f64>,
    poll_failures: u32,
    notice: Option<Notice>,
    /// An unconfirmed message was adopted from a closed tab while a job was in flight: a read
    /// under way may have started before its copy was stored, so it cannot tell it is absent.
    adopted_mid_job: bool,
    /// Edits to `data.messages`, for views that update only what changed.
    edits: ListEdits,
}

impl Engine {
    /// An engine for a backend with `caps`, resuming `restored` if storage had a snapshot.
    pub fn new(caps: Capabilities, restored: Option<Snapshot>, anon_id: String) -> Self {
        let activated = restored.is_some();
        Engine {
            caps,
            tab: String::new(),
            send_all: false,
            data: restored.unwrap_or_else(|| Snapshot::new(anon_id)),
            open: false,
            visible: true,
            online: true,
            activated,
            session_confirmed: false,
            session_failures: 0,
            session_retry_at: 0.0,
            halted: false,
            push_lost: false,
            job: None,
            generation: 0,
            fetch_at: None,
            poll_failures: 0,
            notice: None,
            adopted_mid_job: false,
            edits: ListEdits::default(),
        }
    }

    /// Names this tab (call once, before the first command).
    pub fn with_tab(mut self, tab: impl Into<String>) -> Self {
        self.tab = tab.into();
        self
    }

    /// Whether undelivered messages of other tabs are waiting (the driver then checks which tabs
    /// are still open).
    pub fn has_foreign_pending(&self) -> bool {
        self.data
            .messages
            .iter()
            .any(|m| matches!(m.delivery, Some(Delivery::Pending { .. })) && !self.may_send(m))
    }

    /// Whether this tab delivers `m`: it wrote it or adopted it (only a fresh [`Command::TabsAlive`]
    /// adopts, so a tab opened after an older check is never taken for closed).
    fn may_send(&self, m: &Message) -> bool {
        self.send_all || m.origin.as_ref().is_none_or(|origin| *origin == self.tab)
    }

    /// What is kept between page loads.
    pub fn snapshot(&self) -> &Snapshot {
        &self.data
    }

    pub fn messages(&self) -> &[Message] {
        &self.data.messages
    }
    /// Where the messages changed, for views that re-render only from there.
    pub fn edits(&self) -> &ListEdits {
        &self.edits
    }
    pub fn message(&self, id: &str) -> Option<&Message> {
        self.data.messages.iter().rev().find(|m| m.id == id)
    }
    pub fn unread(&self) -> u32 {
        self.data.unread
    }
    pub fn is_open(&self) -> bool {
        self.open
    }
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }
    /// Whether the [`Command::Send`] with `local_id` was accepted into the outbox (a refused one,
    /// empty or too long, left nothing): only then may the composer let go of the text.
    pub fn accepted(&self, local_id: &str) -> bool {
        self.data
            .messages
            .iter()
            .any(|m| m.local_id.as_deref() == Some(local_id))
    }
    pub fn visitor(&self) -> &Visitor {
        &self.data.visitor
    }
    pub fn conversation(&self) -> Option<&Conversation> {
        self.data.conversation.as_ref()
    }
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }
    /// Whether a job is in flight (tests and the benchmark wait on this).
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
    }
    /// The time of the next scheduled poll, if any.
    pub fn next_fetch_at(&self) -> Option<f64> {
        self.fetch_at
    }

    /// Applies one command at time `now` (ms since epoch) and returns what to do.
    pub fn handle(&mut self, command: Command, now: f64) -> Vec<Effect> {
        // Debug builds (every host and browser test) prove that each change to the list was
        // recorded in `edits`: a view trusting them would otherwise show stale messages.
        #[cfg(debug_assertions)]
        let before = (self.edits.revision(), self.list_shape());
        let fx = self.apply(command, now);
        #[cfg(debug_assertions)]
        self.check_edits(before);
        fx
    }

    /// The ids and delivery state of every message, in order (debug check of `edits`).
    #[cfg(debug_assertions)]
    fn list_shape(&self) -> Vec<ListEntryShape> {
        self.data
            .messages
            .iter()
            .map(|m| {
                let status = m.delivery.as_ref().map_or("", Delivery::tag);
                (m.id.clone(), m.local_id.clone(), status)
            })
            .collect()
    }

    #[cfg(debug_assertions)]
    fn check_edits(&self, (revision, shape): (u64, Vec<ListEntryShape>)) {
        use super::edits::Since;
        let now = self.list_shape();
        let first_difference = shape
            .iter()
            .zip(&now)
            .position(|(a, b)| a != b)
            .or((shape.len() != now.len()).then(|| shape.len().min(now.len())));
        if let Some(index) = first_difference {
            match self.edits.since(revision) {
                Since::Unknown => {}
                Since::From(from) => assert!(
                    from <= index,
                    "message {index} changed but the edits start at {from}"
                ),
                Since::Unchanged => panic!("message {index} changed and no edit was recorded"),
            }
        }
    }

    fn apply(&mut self, command: Command, now: f64) -> Vec<Effect> {
        let mut fx = Vec::new();
        let mut dirty = false;
        match command {
            Command::Open => dirty |= self.set_open(true, now, &mut fx),
            Command::Close => dirty |= self.set_open(false, now, &mut fx),
            Command::Toggle => {
                let open = !self.open;
                dirty |= self.set_open(open, now, &mut fx)
            }
            Command::Send { text, local_id } => dirty |= self.queue(text, local_id, now, &mut fx),
            Command::Retry { local_id } => {
                if let Some(m) = self.find_local_mut(&local_id) {
                    if matches!(m.delivery, Some(Delivery::Failed { .. })) {
                        m.delivery = Some(Delivery::Pending {
                            attempts: 0,
                            retry_at: now,
                        });
                        dirty = true;
                    }
                }
                self.resume(now);
            }
            Command::RetryConnection => self.resume(now),
            Command::Identify {
                identity,
                fresh_anon_id,
            } => {
                dirty |= self.identify(identity, fresh_anon_id, now, &mut fx);
            }
            Command::Reset { anon_id } => {
                self.replace_data(Snapshot::new(anon_id));
                self.activated = false;
                self.session_confirmed = false;
                self.halted = false;
                self.push_lost = false;
                self.notice = None;
                self.job = None;
                self.generation += 1;
                self.fetch_at = None;
                fx.push(Effect::ClearStorage);
                fx.push(Effect::Emit(WidgetEvent::Unread(0)));
            }
            Command::Visible(visible) => {
                self.visible = visible;
                if visible {
                    self.fetch_soon(now);
                    if self.open && self.data.unread > 0 {
                        self.data.unread = 0;
                        fx.push(Effect::Emit(WidgetEvent::Unread(0)));
                        dirty = true;
                    }
                }
            }
            Command::Online(online) => {
                self.online = online;
                if online {
                    self.resume(now);
                }
            }
            Command::PushConnected(up) => {
                self.push_lost = !up;
                if up {
                    // Back: what waited goes now, and one read catches up on what was missed.
                    // A halt stays: only the visitor's Retry lifts it.
                    if matches!(self.notice, Some(Notice::Reconnecting)) {
                        self.notice = None;
                    }
                    self.retry_now(now);
                } else if !self.halted {
                    self.notice = Some(Notice::Reconnecting);
                }
            }
            Command::Tick => {}
            Command::Received(messages) => dirty |= self.merge(messages, now, &mut fx),
            Command::Synced(other) => dirty |= self.sync(*other, &mut fx),
            Command::TabsAlive(live) => {
                // No Web Locks: fall back to sending everything from every tab.
                self.send_all = live.is_none();
                let tab = self.tab.clone();
                let live = live.unwrap_or_default();
                for m in &mut self.data.messages {
                    let orphan = matches!(&m.origin, Some(o) if *o != tab && !live.contains(o));
                    if orphan && matches!(m.delivery, Some(Delivery::Pending { .. })) {
                        m.origin = Some(tab.clone());
                        self.adopted_mid_job |= m.unconfirmed && self.job.is_some();
                        dirty = true;
                    }
                }
            }
            Command::ConversationAssigned(id) => {
                if let Some(c) = self.data.conversation.as_mut().filter(|c| c.id != id) {
                    c.id = id;
                    dirty = true;
                }
            }
            Command::ConversationClosed(id) => {
                if self.data.conversation.as_ref().is_some_and(|c| c.id == id) {
                    self.forget_conversation();
                    dirty = true;
                }
            }
            Command::Finished {
                generation,
                outcome,
            } => {
                if generation != self.generation || self.job != Some(generation) {
                    // A job from before a reset: its result belongs to a visitor we forgot.
                    return self.schedule(now, fx);
                }
                self.job = None;
                dirty |= self.finish(outcome, now, &mut fx);
                self.adopted_mid_job = false;
            }
        }
        if dirty && self.activated {
            fx.push(Effect::Persist);
        }
        self.schedule(now, fx)
    }

    fn set_open(&mut self, open: bool, now: f64, fx: &mut Vec<Effect>) -> bool {
        if open == self.open {
            return false;
        }
        self.open = open;
        let mut dirty = false;
        if open {
            dirty = !self.activated;
            self.activated = true;
            if self.data.unread > 0 {
                self.data.unread = 0;
                fx.push(Effect::Emit(WidgetEvent::Unread(0)));
                dirty = true;
            }
            self.fetch_soon(now);
            fx.push(Effect::Emit(WidgetEvent::Open));
        } else {
            fx.push(Effect::Emit(WidgetEvent::Close));
        }
        dirty
    }

    fn queue(&mut self, text: String, local_id: String, now: f64, fx: &mut Vec<Effect>) -> bool {
        let text = text.trim().to_string();
        if text.is_empty() {
            return false;
        }
        let length = message_chars(&text);
        let limit = self.caps.max_message_chars;
        if length > limit {
            self.notice = Some(Notice::TooLong { limit });
            fx.push(Effect::Emit(WidgetEvent::Error(format!(
                "message is {length} characters; the limit is {limit}"
            ))));
            return false;
        }
        if matches!(self.notice, Some(Notice::TooLong { .. })) {
            self.notice = None;
        }
        self.activated = true;
        self.push_message(Message {
            id: local_id.clone(),
            local_id: Some(local_id),
            author: Author::Visitor,
            body: Body::Text(text),
            attachments: Vec::new(),
            created_at: now,
            delivery: Some(Delivery::Pending {
                attempts: 0,
                retry_at: now,
            }),
            origin: (!self.tab.is_empty()).then(|| self.tab.clone()),
            attempted_at: None,
            unconfirmed: false,
        });
        true
    }

    /// Takes in what another tab stored: its messages and their delivery, its session and
    /// conversation if this tab has none. Returns whether anything changed.
    fn sync(&mut self, other: Snapshot, fx: &mut Vec<Effect>) -> bool {
        if other.visitor.anon_id != self.data.visitor.anon_id {
            // The other tab reset or switched the visitor: follow it.
            self.replace_data(other);
            self.generation += 1;
            self.job = None;
            self.session_confirmed = false;
            fx.push(Effect::Emit(WidgetEvent::Unread(self.data.unread)));
            return false;
        }
        let mut changed = false;
        if self.data.session.is_none() && other.session.is_some() {
            self.data.session = other.session.clone();
            changed = true;
        }
        if self.data.conversation.is_none() && other.conversation.is_some() {
            self.data.conversation = other.conversation.clone();
            self.data.cursor = other.cursor.clone();
            self.fetch_soon(f64::MIN);
            changed = true;
        }
        for theirs in other.messages {
            let known = self.data.messages.iter().position(|m| {
                m.id == theirs.id || (m.local_id.is_some() && m.local_id == theirs.local_id)
            });
            let Some(index) = known else {
                self.push_message(theirs);
                changed = true;
                continue;
            };
            let mine = self.message_mut(index);
            if theirs.delivery == Some(Delivery::Sent) && mine.delivery != Some(Delivery::Sent) {
                mine.id = theirs.id.clone();
                mine.delivery = Some(Delivery::Sent);
                mine.created_at = theirs.created_at;
                changed = true;
                // This tab may have fetched the stored copy before hearing that it was this
                // message: keep the one written here.
                let id = theirs.id;
                let stale = |m: &Message| m.id == id && m.local_id.is_none();
                if let Some(first) = self.data.messages.iter().position(stale) {
                    self.data.messages.retain(|m| !stale(m));
                    self.edits.record(first);
                }
            }
        }
        // Only the other tab's view changed: nothing new to write unless we learned something.
        changed
    }

    fn identify(
        &mut self,
        identity: Visitor,
        fresh_anon_id: String,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let known = self.data.visitor.user_id.as_deref();
        let switching =
            matches!((known, identity.user_id.as_deref()), (Some(a), Some(b)) if a != b);
        if switching {
            // Someone else signed in on this browser: never show them the previous person's chat.
            self.replace_data(Snapshot::new(fresh_anon_id));
            self.generation += 1;
            self.job = None;
            self.fetch_at = None;
            fx.push(Effect::Emit(WidgetEvent::Unread(0)));
        }
        let v = &mut self.data.visitor;
        v.user_id = identity.user_id.or(v.user_id.take());
        v.email = identity.email.or(v.email.take());
        v.name = identity.name.or(v.name.take());
        v.user_hash = identity.user_hash.or(v.user_hash.take());
        v.custom_data = identity.custom_data.or(v.custom_data.take());
        // Tell the backend who this is the next time we talk to it.
        self.session_confirmed = false;
        self.activated = true;
        self.fetch_soon(now);
        true
    }

    /// Lifts a halt and makes everything that waits on backoff due now (online again, visitor
    /// pressed retry).
    fn resume(&mut self, now: f64) {
        self.halted = false;
        if self.notice == Some(Notice::Unavailable) {
            self.notice = None;
        }
        self.retry_now(now);
    }

    /// Makes everything that waits on backoff due now.
    fn retry_now(&mut self, now: f64) {
        self.session_retry_at = now;
        self.session_failures = 0;
        for m in &mut self.data.messages {
            if let Some(Delivery::Pending { retry_at, .. }) = &mut m.delivery {
                *retry_at = retry_at.min(now);
            }
        }
        self.fetch_soon(now);
    }

    fn fetch_soon(&mut self, now: f64) {
        if self.data.conversation.is_some() {
            self.poll_failures = 0;
            self.fetch_at = Some(self.fetch_at.map_or(now, |t| t.min(now)));
        }
    }

    /// The visitor's message `local_id`, to change it (recorded as an edit).
    fn find_local_mut(&mut self, local_id: &str) -> Option<&mut Message> {
        let index = self
            .data
            .messages
            .iter()
            .position(|m| m.local_id.as_deref() == Some(local_id))?;
        Some(self.message_mut(index))
    }

    /// Message `index`, to change it (recorded as an edit).
    fn message_mut(&mut self, index: usize) -> &mut Message {
        self.edits.record(index);
        &mut self.data.messages[index]
    }

    fn push_message(&mut self, m: Message) {
        self.edits.record(self.data.messages.len());
        self.data.messages.push(m);
    }

    /// Replaces everything known (another visitor, or another tab's state).
    fn replace_data(&mut self, data: Snapshot) {
        self.data = data;
        self.edits.record(0);
    }

    fn jitter(&self, attempt: u32) -> f64 {
        jitter(&self.data.visitor.anon_id, attempt)
    }

    /// Where the next visitor message to deliver is, oldest first. Failed ones do not hold the
    /// others up.
    fn head_index(&self) -> Option<usize> {
        self.data
            .messages
            .iter()
            .position(|m| matches!(m.delivery, Some(Delivery::Pending { .. })) && self.may_send(m))
    }

    /// The next visitor message to deliver and when it is due.
    fn head_pending(&self) -> Option<(&Message, f64)> {
        let m = &self.data.messages[self.head_index()?];
        match m.delivery {
            Some(Delivery::Pending { retry_at, .. }) => Some((m, retry_at)),
            _ => None,
        }
    }

    /// Attempt number `attempts` of a message after `error`: when it is due, backing off.
    fn retry_later(&self, attempts: u32, error: &ProviderError, now: f64) -> Delivery {
        Delivery::Pending {
            attempts,
            retry_at: now + backoff_ms(attempts, error.retry_after(), self.jitter(attempts)),
        }
    }

    fn outgoing(m: &Message) -> Outgoing {
        Outgoing {
            local_id: m.local_id.clone().unwrap_or_else(|| m.id.clone()),
            text: m.body.plain_text(),
        }
    }

    /// Records a failed attempt on the head message: back off, or give up if it cannot succeed.
    fn head_failed(&mut self, error: &ProviderError, now: f64, fx: &mut Vec<Effect>) {
        let Some(index) = self.head_index() else {
            return;
        };
        if error.is_transient() {
            let attempts = match self.data.messages[index].delivery {
                Some(Delivery::Pending { attempts, .. }) => attempts + 1,
                _ => 1,
            };
            let retry = self.retry_later(attempts, error, now);
            self.message_mut(index).delivery = Some(retry);
            self.notice = Some(Notice::Reconnecting);
        } else {
            self.message_mut(index).delivery = Some(Delivery::Failed {
                reason: error.to_string(),
            });
            let detail = format!("message not delivered: {error}");
            fx.push(Effect::Warn(detail.clone()));
            fx.push(Effect::Emit(WidgetEvent::Error(detail)));
        }
    }

    fn finish(&mut self, outcome: Outcome, now: f64, fx: &mut Vec<Effect>) -> bool {
        match outcome {
            Outcome::Session(Ok(session)) => {
                if self
                    .data
                    .session
                    .as_ref()
                    .is_some_and(|s| s.id != session.id)
                {
                    // The backend no longer knows the old session: its conversation is gone too.
                    self.data.conversation = None;
                    self.data.cursor = Default::default();
                }
                self.data.session = Some(session);
                self.session_confirmed = true;
                self.session_failures = 0;
                self.clear_connection_notice();
                true
            }
            Outcome::Session(Err(e)) => {
                self.connection_failed(&e, now, fx);
                false
            }
            Outcome::Conversation(Ok(conversation)) => {
                self.data.conversation = Some(conversation);
                self.data.cursor = Default::default();
                self.clear_connection_notice();
                true
            }
            Outcome::Conversation(Err(e)) => {
                self.head_failed(&e, now, fx);
                true
            }
            Outcome::Sent { local_id, result } => match result {
                Ok(sent) => {
                    self.clear_connection_notice();
                    for w in sent.warnings {
                        fx.push(Effect::Warn(w));
                    }
                    let mut event = None;
                    if let Some(m) = self.find_local_mut(&local_id) {
                        m.id = sent.remote_id;
                        if let Some(t) = sent.created_at.filter(|t| wire::is_usable_time(*t)) {
                            m.created_at = t;
                        }
                        m.delivery = Some(Delivery::Sent);
                        m.attempted_at = None;
                        m.unconfirmed = false;
                        event = Some(WidgetEvent::Sent {
                            id: m.id.clone(),
                            text: m.body.plain_text(),
                        });
                    }
                    fx.extend(event.map(Effect::Emit));
                    let _ = self.merge(sent.replies, now, fx);
                    // An answer usually follows a message: look sooner than the normal interval.
                    let soon = now + self.caps.poll_open_ms as f64;
                    if self.caps.polling && self.data.conversation.is_some() {
                        self.fetch_at = Some(self.fetch_at.map_or(soon, |t| t.min(soon)));
                    }
                    true
                }
                Err(e) => {
                    // Without the backend's answer, the message may be stored all the same.
                    let unknown = e.may_have_arrived();
                    if let Some(m) = self.find_local_mut(&local_id) {
                        // Unless another tab has meanwhile seen it delivered.
                        m.unconfirmed = unknown && m.delivery != Some(Delivery::Sent);
                    }
                    if is_conversation_gone(&e) {
                        self.forget_conversation();
                    } else {
                        self.head_failed(&e, now, fx);
                    }
                    true
                }
            },
            Outcome::Fetched(Ok(page)) => {
                self.poll_failures = 0;
                self.clear_connection_notice();
                for w in page.warnings {
                    fx.push(Effect::Warn(w));
                }
                let mut changed =
                    self.merge(page.messages, now, fx) || self.data.cursor != page.next;
                self.data.cursor = page.next;
                if !page.more && !self.adopted_mid_job {
                    // The whole conversation since the failure was read and an unconfirmed
                    // message was not in it: it was not stored, so it is sent again.
                    changed |= self.confirm_absent();
                }
                self.fetch_at = if page.more {
                    Some(now)
                } else if self.caps.polling {
                    Some(now + self.poll_interval())
                } else {
                    // Push backends: one catch-up read; answers then arrive on the socket.
                    None
                };
                // Most polls bring nothing: then there is nothing to write.
                changed
            }
            Outcome::Fetched(Err(e)) => {
                if is_conversation_gone(&e) {
                    self.forget_conversation();
                    return true;
                }
                let checked = self.check_failed(&e, now, fx);
                self.poll_failures += 1;
                let delay = backoff_ms(
                    self.poll_failures,
                    e.retry_after(),
                    self.jitter(self.poll_failures),
                )
                .max(self.poll_interval());
                self.fetch_at = Some(now + delay);
                if e.is_transient() && self.poll_failures >= 2 {
                    self.notice = Some(Notice::Reconnecting);
                }
                checked
            }
        }
    }

    fn clear_connection_notice(&mut self) {
        if matches!(
            self.notice,
            Some(Notice::Reconnecting | Notice::Unavailable)
        ) {
            // A read over HTTP says nothing about a lost socket.
            self.notice = self.push_lost.then_some(Notice::Reconnecting);
        }
    }

    fn connection_failed(&mut self, e: &ProviderError, now: f64, fx: &mut Vec<Effect>) {
        if e.is_transient() {
            self.session_failures += 1;
            self.session_retry_at = now
                + backoff_ms(
                    self.session_failures,
                    e.retry_after(),
                    self.jitter(self.session_failures),
                );
            self.notice = Some(Notice::Reconnecting);
        } else {
            self.halted = true;
            self.notice = Some(Notice::Unavailable);
            let detail = format!("cannot start a support session: {e}");
            fx.push(Effect::Warn(detail.clone()));
            fx.push(Effect::Emit(WidgetEvent::Error(detail)));
        }
    }

    /// The backend lost the conversation (404): the next message opens a new one.
    fn forget_conversation(&mut self) {
        self.data.conversation = None;
        self.data.cursor = Default::default();
        self.fetch_at = None;
        // A copy stored there went with it: the next conversation gets the message.
        for m in &mut self.data.messages {
            m.unconfirmed = false;
        }
    }

    /// The head message, if it waits for a read of the conversation before it is sent again:
    /// its last attempt may have been stored, and the backend's history would show it.
    fn awaiting_check(&self) -> Option<usize> {
        let readable = self.caps.shows_own_messages
            && self
                .data
                .conversation
                .as_ref()
                .is_some_and(|c| !c.id.is_empty());
        if !readable {
            return None;
        }
        let index = self.head_index()?;
        self.data.messages[index].unconfirmed.then_some(index)
    }

    /// After a complete read of the conversation: this tab's unconfirmed messages that it did
    /// not show were not stored. Returns whether any was.
    fn confirm_absent(&mut self) -> bool {
        let absent: Vec<usize> = (self.data.messages.iter().enumerate())
            .filter(|(_, m)| {
                m.unconfirmed
                    && matches!(m.delivery, Some(Delivery::Pending { .. }))
                    && self.may_send(m)
            })
            .map(|(index, _)| index)
            .collect();
        // Not shown: no edit to record.
        for &index in &absent {
            self.data.messages[index].unconfirmed = false;
        }
        !absent.is_empty()
    }

    /// A read that was to tell whether the head message was stored failed. Transient: the
    /// message waits (backing off) for the next read. Otherwise the history cannot tell, and
    /// the message is sent again as before. Returns whether anything changed.
    fn check_failed(&mut self, e: &ProviderError, now: f64, fx: &mut Vec<Effect>) -> bool {
        let Some(index) = self.awaiting_check() else {
            return false;
        };
        let Some(Delivery::Pending { attempts, retry_at }) = self.data.messages[index].delivery
        else {
            return false;
        };
        if retry_at > now {
            // It was not due: this was an ordinary poll, not its check.
            return false;
        }
        // Not shown: no edit to record.
        if e.is_transient() {
            let retry = self.retry_later(attempts + 1, e, now);
            self.data.messages[index].delivery = Some(retry);
            self.notice = Some(Notice::Reconnecting);
        } else {
            self.data.messages[index].unconfirmed = false;
            fx.push(Effect::Warn(format!(
                "could not read the conversation to see whether a message was stored ({e}); \
                 sending it again"
            )));
        }
        true
    }

    fn poll_interval(&self) -> f64 {
        if self.open {
            self.caps.poll_open_ms as f64
        } else {
            self.caps.poll_closed_ms as f64
        }
    }

    /// Adds new messages, skipping ones already shown (by backend id or by the visitor's local id).
    /// A new message without a usable time takes the previous message's, or `now`.
    /// Returns whether anything changed.
    fn merge(&mut self, incoming: Vec<Message>, now: f64, fx: &mut Vec<Effect>) -> bool {
        let mut changed = false;
        let mut new_support = 0;
        for m in incoming {
            if self.data.messages.iter().any(|known| known.id == m.id) {
                continue;
            }
            if let Some(local) = m.local_id.as_deref() {
                if let Some(known) = self.find_local_mut(local) {
                    known.id = m.id;
                    known.delivery = Some(Delivery::Sent);
                    changed = true;
                    continue;
                }
            }
            if m.author == Author::Visitor {
                // A copy of a message sent from here whose stored id we never learned: the
                // backend does not return it (the id is still the local one), or the answer was
                // lost (unconfirmed; the copy is then no older than the first attempt). Paired
                // in order, by exact text; a copy paired once is known by its id from then on.
                let text = m.body.plain_text();
                let at = m.created_at;
                if let Some(index) = self.data.messages.iter().position(|k| {
                    let without_id = k.local_id.as_deref() == Some(k.id.as_str())
                        && k.delivery == Some(Delivery::Sent);
                    // Failed too: an unreadable 2xx fails the message, which was most likely
                    // stored.
                    let lost_answer = k.unconfirmed
                        && matches!(
                            k.delivery,
                            Some(Delivery::Pending { .. } | Delivery::Failed { .. })
                        )
                        && k.attempted_at.is_some_and(|first| {
                            // No time (0) cannot rule it out.
                            at <= 0.0 || at >= first - CLOCK_SKEW_MS
                        });
                    k.author == Author::Visitor
                        && (without_id || lost_answer)
                        && k.body.plain_text() == text
                }) {
                    let k = self.message_mut(index);
                    k.id = m.id;
                    if k.delivery != Some(Delivery::Sent) {
                        k.delivery = Some(Delivery::Sent);
                        k.attempted_at = None;
                        k.unconfirmed = false;
                        if at > 0.0 {
                            k.created_at = at;
                        }
                        fx.push(Effect::Emit(WidgetEvent::Sent {
                            id: k.id.clone(),
                            text,
                        }));
                    }
                    changed = true;
                    continue;
                }
            }
            let mut m = m;
            if !wire::is_usable_time(m.created_at) {
                m.created_at = (self.data.messages.last())
                    .map(|p| p.created_at)
                    .filter(|t| wire::is_usable_time(*t))
                    .unwrap_or(now);
            }
            if m.author == Author::Visitor {
                // Written by this visitor elsewhere (another tab or device): already delivered.
                m.delivery = Some(Delivery::Sent);
            } else {
                m.delivery = None;
            }
            if m.author.is_support() {
                new_support += 1;
                fx.push(Effect::Emit(WidgetEvent::Message {
                    id: m.id.clone(),
                    text: m.body.plain_text(),
                    author: m.author.name().unwrap_or_default().to_string(),
                }));
            }
            self.push_message(m);
            changed = true;
        }
        if new_support > 0 && !(self.open && self.visible) {
            self.data.unread += new_support;
            fx.push(Effect::Emit(WidgetEvent::Unread(self.data.unread)));
        }
        changed
    }

    /// Up to [`RECENT_MESSAGES`] delivered messages before the visitor's message `local_id`.
    fn recent_before(&self, local_id: &str) -> Vec<Message> {
        let end = self
            .data
            .messages
            .iter()
            .position(|m| m.local_id.as_deref() == Some(local_id))
            .unwrap_or(self.data.messages.len());
        let earlier: Vec<&Message> = self.data.messages[..end]
            .iter()
            .filter(|m| {
                !matches!(
                    m.delivery,
                    Some(Delivery::Pending { .. } | Delivery::Failed { .. })
                )
            })
            .collect();
        let skip = earlier.len().saturating_sub(RECENT_MESSAGES);
        earlier.into_iter().skip(skip).cloned().collect()
    }

    /// Starts the next job if one is due, or says when to wake up.
    fn schedule(&mut self, now: f64, mut fx: Vec<Effect>) -> Vec<Effect> {
        if self.job.is_some() || !self.online || self.halted {
            return fx;
        }
        match self.next_job(now) {
            Ok(job) => {
                if let Job::Send { message, .. } = &job {
                    // Recorded, and stored, before the request leaves: if the page goes away
                    // before the answer, the next page load knows it may have arrived.
                    let local_id = message.local_id.clone();
                    if let Some(index) = self
                        .data
                        .messages
                        .iter()
                        .position(|m| m.local_id.as_deref() == Some(local_id.as_str()))
                    {
                        // Not shown: no edit to record.
                        let m = &mut self.data.messages[index];
                        m.attempted_at.get_or_insert(now);
                        m.unconfirmed = true;
                        if self.activated {
                            fx.push(Effect::Persist);
                        }
                    }
                }
                self.generation += 1;
                self.job = Some(self.generation);
                fx.push(Effect::Run {
                    generation: self.generation,
                    job: Box::new(job),
                });
            }
            Err(Some(at)) => fx.push(Effect::WakeAt(at)),
            Err(None) => {}
        }
        fx
    }

    /// The job due now, or `Err(when the next one falls due)`.
    fn next_job(&self, now: f64) -> Result<Job, Option<f64>> {
        let visitor = &self.data.visitor;
        let head = self.head_pending().map(|(m, at)| (Self::outgoing(m), at));
        // A conversation with an empty id is still being opened by a push backend: nothing to read.
        let fetch_at = self.fetch_at.filter(|_| {
            self.visible
                && self
                    .data
                    .conversation
                    .as_ref()
                    .is_some_and(|c| !c.id.is_empty())
        });
        let needs_session = head.is_some() || fetch_at.is_some();

        if needs_session && !self.session_confirmed {
            if self.session_retry_at > now {
                return Err(Some(self.session_retry_at));
            }
            return Ok(Job::StartSession {
                visitor: visitor.clone(),
                previous: self.data.session.clone(),
            });
        }
        let Some(session) = self.data.session.clone() else {
            return Err(None);
        };
        let mut wake: Option<f64> = None;
        if let Some((message, due)) = head {
            if due <= now && self.awaiting_check().is_some() {
                // Its last attempt may have been stored: read the conversation before sending
                // it again (`awaiting_check` ensures there is one to read).
                if let Some(conversation) = self.data.conversation.clone() {
                    return Ok(Job::Fetch {
                        visitor: visitor.clone(),
                        session,
                        conversation,
                        cursor: self.data.cursor.clone(),
                    });
                }
            }
            if due <= now {
                return Ok(match self.data.conversation.clone() {
                    None => Job::OpenConversation {
                        visitor: visitor.clone(),
                        session,
                        first: message,
                    },
                    Some(conversation) => Job::Send {
                        visitor: visitor.clone(),
                        session,
                        conversation,
                        recent: self.recent_before(&message.local_id),
                        message,
                    },
                });
            }
            wake = Some(due);
        }
        if let (Some(at), Some(conversation)) = (fetch_at, self.data.conversation.clone()) {
            if at <= now {
                return Ok(Job::Fetch {
                    visitor: visitor.clone(),
                    session,
                    conversation,
                    cursor: self.data.cursor.clone(),
                });
            }
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        Err(wake)
    }
}

/// How much older than the first attempt (by the browser's clock) a stored copy of an
/// unconfirmed message may look, for the two clocks' disagreement.
pub const CLOCK_SKEW_MS: f64 = 120_000.0;

fn is_conversation_gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Status { status: 404, .. })
}
