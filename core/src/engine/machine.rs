//! The engine: its state, what the view reads of it, and [`Engine::handle`], which hands each
//! command to the part of the engine it concerns (the outbox, reading, the session, tabs) and
//! then starts the next job. Every change to the message list goes through the helpers here,
//! which record it in [`ListEdits`] for the view.

use super::command::{Command, Effect, Notice, WidgetEvent};
use super::edits::ListEdits;
use super::schedule::jitter;
use super::storage::Snapshot;
use crate::model::{Author, Body, Conversation, Delivery, Message, SystemNotice, Visitor};
use crate::protocol::Capabilities;

/// A message's id, local id and delivery state: what [`ListEdits`] must report changes of.
#[cfg(debug_assertions)]
type ListEntryShape = (String, Option<String>, &'static str);

/// What the visitor sees and what is still to do.
#[derive(Clone, Debug)]
pub struct Engine {
    pub(super) caps: Capabilities,
    /// This tab's id: it sends only what it wrote, or adopted from a closed tab.
    pub(super) tab: String,
    /// The browser cannot tell which tabs are open (no Web Locks): every tab sends everything.
    pub(super) send_all: bool,
    pub(super) data: Snapshot,
    pub(super) open: bool,
    pub(super) visible: bool,
    pub(super) online: bool,
    /// Storage may be written: the visitor opened the widget, or the site called `identify`.
    pub(super) activated: bool,
    /// The session in `data` was confirmed by the backend during this page load.
    pub(super) session_confirmed: bool,
    pub(super) session_failures: u32,
    pub(super) session_retry_at: f64,
    /// Sessions the backend dropped ([`ProviderError::SessionExpired`]) since an operation last
    /// worked: the second in a row is a refusal, so a backend that refuses every new session is
    /// not asked again and again. Only the relay's sessions end or change, so only its build
    /// carries this handling (each bundle has one backend; see README, Performance).
    ///
    /// [`ProviderError::SessionExpired`]: crate::protocol::ProviderError::SessionExpired
    #[cfg(feature = "relay")]
    pub(super) session_renewals: u32,
    /// The backend refused permanently; nothing is attempted until the visitor retries.
    pub(super) halted: bool,
    /// A push backend's socket is lost: "Reconnecting" stays until it is back.
    pub(super) push_lost: bool,
    /// The relay's event stream is up: answers arrive on it, and polls are only the safety net.
    #[cfg(feature = "relay")]
    pub(super) streaming: bool,
    pub(super) job: Option<u64>,
    pub(super) generation: u64,
    pub(super) fetch_at: Option<f64>,
    /// A read asked for at this time ([`Command::ReadAt`]); it outlives polls in between.
    #[cfg(feature = "local")]
    pub(super) read_at: Option<f64>,
    pub(super) poll_failures: u32,
    pub(super) notice: Option<Notice>,
    /// An unconfirmed message was adopted from a closed tab while a job was in flight: a read
    /// under way may have started before its copy was stored, so it cannot tell it is absent.
    pub(super) adopted_mid_job: bool,
    /// Edits to `data.messages`, for views that update only what changed.
    pub(super) edits: ListEdits,
    /// Support is typing, as the backend last said (`presence`).
    pub(super) typing: bool,
    /// An agent has read the visitor's messages, as the backend last said (`presence`).
    pub(super) seen: bool,
    /// The panel shows the visitor's conversations instead of one.
    #[cfg(feature = "conversations")]
    pub(super) listing: bool,
    /// When the next light check of a conversation not on screen is due.
    #[cfg(feature = "conversations")]
    pub(super) peek_at: f64,
    /// Which of them comes next, in turn.
    #[cfg(feature = "conversations")]
    pub(super) peek_turn: usize,
    /// The conversation a read in flight is a light check of (not the one on screen).
    #[cfg(feature = "conversations")]
    pub(super) peeking: Option<String>,
    /// The backend's own list of the visitor's conversations was read in this page load.
    #[cfg(feature = "listing")]
    pub(super) listed: bool,
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
            #[cfg(feature = "relay")]
            session_renewals: 0,
            halted: false,
            push_lost: false,
            #[cfg(feature = "relay")]
            streaming: false,
            job: None,
            generation: 0,
            fetch_at: None,
            #[cfg(feature = "local")]
            read_at: None,
            poll_failures: 0,
            notice: None,
            adopted_mid_job: false,
            edits: ListEdits::default(),
            typing: false,
            seen: false,
            #[cfg(feature = "conversations")]
            listing: false,
            #[cfg(feature = "conversations")]
            peek_at: 0.0,
            #[cfg(feature = "conversations")]
            peek_turn: 0,
            #[cfg(feature = "conversations")]
            peeking: None,
            #[cfg(feature = "listing")]
            listed: false,
        }
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
    /// Support's messages the visitor has not seen (in every conversation, with the list).
    pub fn unread(&self) -> u32 {
        #[cfg(feature = "conversations")]
        return self.unread_total();
        #[cfg(not(feature = "conversations"))]
        self.data.unread
    }
    pub fn is_open(&self) -> bool {
        self.open
    }
    /// The page is visible (not a hidden tab).
    pub fn is_visible(&self) -> bool {
        self.visible
    }
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }
    pub fn visitor(&self) -> &Visitor {
        &self.data.visitor
    }
    /// The visitor dismissed the "Get the answer by email" offer.
    pub fn offer_dismissed(&self) -> bool {
        self.data.offer_dismissed
    }
    /// The visitor has written to support (a message of theirs is in the conversation).
    pub fn visitor_wrote(&self) -> bool {
        use crate::model::Author;
        self.data
            .messages
            .iter()
            .any(|m| m.author == Author::Visitor)
    }
    pub fn conversation(&self) -> Option<&Conversation> {
        self.data.conversation.as_ref()
    }
    pub fn capabilities(&self) -> Capabilities {
        self.caps
    }
    /// Whether a job is in flight: a check that nothing more happens waits for this first.
    pub fn is_busy(&self) -> bool {
        self.job.is_some()
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
        use crate::model::Delivery;
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
            Command::Send { text, local_id } => {
                // Sent to a conversation support closed (the JS API): it opens a new one.
                #[cfg(feature = "conversations")]
                if self.data.closed {
                    dirty |= self.switch_to("", now, &mut fx);
                }
                dirty |= self.queue(text, local_id, now, &mut fx)
            }
            // Refused by a conversation support has closed since: it goes to a new one.
            #[cfg(feature = "conversations")]
            Command::Retry { local_id } if self.data.closed => {
                dirty |= self.retry_in_new(&local_id, now, &mut fx)
            }
            Command::Retry { local_id } => dirty |= self.retry(&local_id, now),
            Command::RetryConnection => self.resume(now),
            Command::Identify {
                identity,
                fresh_anon_id,
            } => {
                dirty |= self.identify(identity, fresh_anon_id, now, &mut fx);
            }
            #[cfg(feature = "contact")]
            Command::Contact { email, name } => dirty |= self.contact(email, name, now),
            #[cfg(feature = "contact")]
            Command::DismissOffer => {
                dirty |= !self.data.offer_dismissed;
                self.data.offer_dismissed = true;
            }
            Command::Reset { anon_id } => self.reset(anon_id, &mut fx),
            Command::Visible(visible) => dirty |= self.set_visible(visible, now, &mut fx),
            Command::Online(online) => {
                self.online = online;
                if online {
                    self.resume(now);
                }
            }
            Command::PushConnected(up) => self.push_connected(up, now),
            #[cfg(feature = "relay")]
            Command::Streaming(up) => self.stream_changed(up, now),
            Command::Tick => {}
            #[cfg(feature = "local")]
            Command::ReadAt(at) => self.read_at = Some(self.read_at.map_or(at, |t| t.min(at))),
            Command::Received(messages) => dirty |= self.merge(messages, now, &mut fx),
            Command::Synced(other) => dirty |= self.sync(*other, &mut fx),
            Command::TabsAlive(live) => dirty |= self.adopt_orphans(live),
            Command::ConversationAssigned(id) => {
                if let Some(c) = self.data.conversation.as_mut().filter(|c| c.id != id) {
                    c.id = id;
                    dirty = true;
                }
            }
            #[cfg(feature = "conversations")]
            Command::ShowConversations => {
                self.listing = true;
                dirty |= self.set_open(true, now, &mut fx);
            }
            #[cfg(feature = "conversations")]
            Command::NewConversation => dirty |= self.switch_to("", now, &mut fx),
            #[cfg(feature = "conversations")]
            Command::OpenConversation(id) => dirty |= self.switch_to(&id, now, &mut fx),
            Command::ConversationClosed(id) => dirty |= self.support_closed(&id, now),
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
                fx.push(Effect::Emit(WidgetEvent::Unread(self.unread())));
                dirty = true;
            }
            self.fetch_soon(now);
            fx.push(Effect::Emit(WidgetEvent::Open));
        } else {
            fx.push(Effect::Emit(WidgetEvent::Close));
        }
        dirty
    }

    /// The visitor's message `local_id`, to change it (recorded as an edit).
    pub(super) fn find_local_mut(&mut self, local_id: &str) -> Option<&mut Message> {
        let index = self
            .data
            .messages
            .iter()
            .position(|m| m.local_id.as_deref() == Some(local_id))?;
        Some(self.message_mut(index))
    }

    /// Message `index`, to change it (recorded as an edit).
    pub(super) fn message_mut(&mut self, index: usize) -> &mut Message {
        self.edits.record(index);
        &mut self.data.messages[index]
    }

    /// Adds a message at the end, but before the visitor's refused messages written after it:
    /// a conversation opened again from the list holds those before its history is read.
    pub(super) fn push_message(&mut self, m: Message) {
        let mut at = self.data.messages.len();
        while at > 0 {
            let before = &self.data.messages[at - 1];
            if !matches!(before.delivery, Some(Delivery::Failed { .. }))
                || before.created_at <= m.created_at
            {
                break;
            }
            at -= 1;
        }
        self.edits.record(at);
        self.data.messages.insert(at, m);
    }

    /// Support closed conversation `id`: with the list it stays, read-only
    /// (`closed_by_support`); without, the next message opens a new one. Returns whether
    /// anything changed.
    pub(super) fn support_closed(&mut self, id: &str, now: f64) -> bool {
        #[cfg(feature = "conversations")]
        return self.closed_by_support(id, now);
        #[cfg(not(feature = "conversations"))]
        {
            let current = self.data.conversation.as_ref().is_some_and(|c| c.id == id);
            if current {
                self.notice_closed(id, now);
                self.forget_conversation();
            }
            current
        }
    }

    /// Ends the log of conversation `id` (on screen) with "This conversation was closed by
    /// support.", unless the backend's own words (a system message) are last already. Returns
    /// whether it did.
    pub(super) fn notice_closed(&mut self, id: &str, now: f64) -> bool {
        let last = self.data.messages.last();
        if last.is_some_and(|m| m.author == Author::System) {
            return false;
        }
        let at = last.map_or(now, |m| m.created_at.max(now));
        self.push_message(Message::received(
            format!("closed-{id}"),
            Author::System,
            Body::Notice(SystemNotice::ConversationClosed),
            at,
        ));
        true
    }

    /// Replaces everything known (another visitor, or another tab's state).
    pub(super) fn replace_data(&mut self, data: Snapshot) {
        self.data = data;
        self.edits.record(0);
        self.forget_presence();
    }

    /// The relay's event stream is up (never, in builds without the relay).
    pub(super) fn is_streaming(&self) -> bool {
        #[cfg(feature = "relay")]
        return self.streaming;
        #[cfg(not(feature = "relay"))]
        false
    }

    pub(super) fn jitter(&self, attempt: u32) -> f64 {
        jitter(&self.data.visitor.anon_id, attempt)
    }
}
