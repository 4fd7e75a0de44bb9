//! Several conversations per visitor (cargo feature `conversations`): the ones the visitor left
//! for another are kept in the snapshot ([`Archived`]: the conversation, the last message's text
//! and time, where reading goes on, what is unread), the view lists them with the one on screen,
//! and the visitor opens one again or starts a new one. A conversation support closes stays on
//! screen, read-only (the view offers "Start a new conversation" in place of the composer), and
//! is marked closed in the list; a message sent to it anyway (the JS API) opens a new one.
//!
//! The conversation on screen is read as before (polled or pushed); the others get a light check,
//! one of them per [`PEEK_INTERVAL_MS`] in turn while the page is visible (backends that are
//! polled; none while hidden), which updates its line and counts support's new messages as
//! unread. Switching waits while a message of the visitor is on its way: it belongs to the
//! conversation it was written in, and the list on screen is its only home (the outbox). A message
//! the backend refused for good (waiting for Retry) goes with its conversation into the list and
//! comes back with it, so it neither blocks the visitor nor is lost.

use super::command::{Effect, WidgetEvent};
use super::machine::Engine;
use crate::json::Json;
use crate::model::{Author, Conversation, Delivery, Message};
use crate::protocol::wire::Fields;
use crate::protocol::{Cursor, Page, ProviderError};

/// Longest preview kept, in characters: one line in the list (the protocols' bound too).
pub use crate::protocol::PREVIEW_CHARS;

/// Most conversations kept besides the one on screen; the oldest beyond this are forgotten.
pub const MAX_ARCHIVED: usize = 50;

/// Most messages kept of a conversation the backend cannot give back (the bot endpoint keeps
/// none): the newest, shown again when the visitor opens it.
#[cfg(feature = "bot")]
pub const MAX_KEPT: usize = 50;

/// How often one of the conversations not on screen is checked for news (in turn).
pub const PEEK_INTERVAL_MS: f64 = 60_000.0;

/// A conversation the visitor left for another.
#[derive(Clone, Debug, PartialEq)]
pub struct Archived {
    pub conversation: Conversation,
    /// The last message's text (empty when it had none), cut to [`PREVIEW_CHARS`].
    pub preview: String,
    /// When its last message was written (ms), or when the visitor left it.
    pub at: f64,
    /// Where the light check reads on from.
    pub cursor: Cursor,
    /// Support's messages the visitor has not seen.
    pub unread: u32,
    /// Support closed it: read-only, and no longer checked for news.
    pub closed: bool,
    /// What the backend cannot give back: the visitor's refused messages (waiting for Retry)
    /// and, where the backend keeps no conversation (the bot endpoint,
    /// `Capabilities::shows_own_messages` off), its newest [`MAX_KEPT`] messages.
    pub kept: Vec<Message>,
}

impl Archived {
    /// `{conversation, preview, at, cursor, unread}`.
    pub fn to_json(&self) -> Json {
        #[allow(unused_mut)]
        let mut json = Json::object([
            ("conversation", self.conversation.to_json()),
            ("preview", Json::from(&self.preview)),
            ("at", Json::from(self.at)),
            ("cursor", self.cursor.0.clone()),
            ("unread", Json::from(self.unread)),
        ]);
        if !self.kept.is_empty() {
            // A loop: the iterator chain compiled to more code.
            let mut kept = Vec::new();
            for m in &self.kept {
                kept.push(m.to_json());
            }
            json.insert("messages", Json::Array(kept));
        }
        if self.closed {
            json.insert("closed", Json::Bool(true));
        }
        json
    }

    pub fn from_json(v: &Json) -> Result<Archived, String> {
        let f = Fields::of(v, "a conversation of the list")?;
        let conversation = Conversation::from_json(f.value("conversation")?)?;
        if conversation.id.is_empty() {
            return Err("a conversation of the list has no id".into());
        }
        let at = f.f64("at")?;
        Ok(Archived {
            conversation,
            preview: crate::protocol::wire::cut(f.str("preview")?, PREVIEW_CHARS),
            at: if at.is_finite() { at } else { 0.0 },
            cursor: Cursor(f.raw("cursor").cloned().unwrap_or_default()),
            unread: f.opt_u32("unread")?.unwrap_or(0),
            closed: f.opt_bool("closed")?.unwrap_or(false),
            // A kept message that does not read is dropped, not the conversation.
            kept: {
                let mut kept = Vec::new();
                for m in f.array("messages")? {
                    if let Ok(m) = Message::from_json(m) {
                        kept.push(m);
                    }
                }
                kept
            },
        })
    }
}

/// One line of the conversation list, newest activity first.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Empty for the conversation on screen before its first message opened it.
    pub id: String,
    pub preview: String,
    pub at: f64,
    /// The conversation on screen.
    pub current: bool,
    /// Support's messages not seen yet.
    pub unread: u32,
    /// Support closed it.
    pub closed: bool,
}

/// The last message's text and time, for the list.
fn last_words(messages: &[Message]) -> (String, f64) {
    for m in messages.iter().rev() {
        let text = m.body.plain_text();
        if !text.trim().is_empty() {
            return (
                crate::protocol::wire::cut(text.trim(), PREVIEW_CHARS),
                m.created_at,
            );
        }
    }
    (String::new(), messages.last().map_or(0.0, |m| m.created_at))
}

/// The visitor's messages the backend refused for good (waiting for Retry), taken out of
/// `messages`: the backend has no copy, so they go with their conversation.
fn refused(messages: &mut Vec<Message>) -> Vec<Message> {
    let mut kept = std::mem::take(messages);
    kept.retain(|m| matches!(m.delivery, Some(Delivery::Failed { .. })));
    kept
}

impl Engine {
    /// Every conversation of the visitor, newest activity first: the one on screen (once it has
    /// a message or an id) and those left for another.
    pub fn conversations(&self) -> Vec<Summary> {
        let mut list = Vec::new();
        let data = &self.data;
        if data.conversation.is_some() || !data.messages.is_empty() {
            let (preview, at) = last_words(&data.messages);
            list.push(Summary {
                id: data
                    .conversation
                    .as_ref()
                    .map_or(String::new(), |c| c.id.clone()),
                preview,
                at,
                current: true,
                unread: data.unread,
                closed: data.closed,
            });
        }
        for a in &data.archive {
            list.push(Summary {
                id: a.conversation.id.clone(),
                preview: a.preview.clone(),
                at: a.at,
                current: false,
                unread: a.unread,
                closed: a.closed,
            });
        }
        // Newest first, stable (an insertion sort: a short list, and std's sort links a merge
        // sort for this one use).
        for i in 1..list.len() {
            let mut j = i;
            while j > 0 && list[j - 1].at < list[j].at {
                list.swap(j - 1, j);
                j -= 1;
            }
        }
        list
    }

    /// Whether messages pushed for conversation `id` belong on screen: not when it is another
    /// one of the list (a socket may carry all of a visitor's conversations; the light check
    /// reads those), nor when the one on screen already has another id.
    pub fn shows(&self, id: &str) -> bool {
        match &self.data.conversation {
            Some(c) if !c.id.is_empty() => c.id == id,
            _ => self.archived(id).is_none(),
        }
    }

    /// Where conversation `id` is in the list, if it is there (one search for every caller).
    fn archived(&self, id: &str) -> Option<usize> {
        self.data
            .archive
            .iter()
            .position(|a| a.conversation.id == id)
    }

    /// The panel shows the list of conversations.
    pub fn is_listing(&self) -> bool {
        self.listing
    }

    /// Support closed the conversation on screen: the view shows no composer.
    pub fn is_closed(&self) -> bool {
        self.data.closed
    }

    /// Retry of a message refused in a conversation support has closed since (Bancroft refuses
    /// messages to a resolved one): the message goes to a new conversation, as a new send. Stays
    /// where it is while another message is on its way. Returns whether anything changed.
    pub(super) fn retry_in_new(&mut self, local_id: &str, now: f64, fx: &mut Vec<Effect>) -> bool {
        let Some(at) = self.data.messages.iter().position(|m| {
            m.local_id.as_deref() == Some(local_id)
                && matches!(m.delivery, Some(Delivery::Failed { .. }))
        }) else {
            return false;
        };
        let message = self.data.messages.remove(at);
        self.edits.record(at);
        if !self.switch_to("", now, fx) {
            self.data.messages.insert(at, message);
            self.edits.record(at);
            return false;
        }
        self.queue(message.body.plain_text(), local_id.to_string(), now, fx)
    }

    /// Support closed conversation `id`: the one on screen becomes read-only, with the notice at
    /// the end of its log (unless the backend's own words are there), and is no longer read; one
    /// in the list is marked. Returns whether anything changed.
    pub(super) fn closed_by_support(&mut self, id: &str, now: f64) -> bool {
        if self.data.conversation.as_ref().is_some_and(|c| c.id == id) {
            self.fetch_at = None;
            self.forget_presence();
            let changed = !self.data.closed;
            self.data.closed = true;
            return self.notice_closed(id, now) || changed;
        }
        for a in &mut self.data.archive {
            if a.conversation.id == id && !a.closed {
                a.closed = true;
                return true;
            }
        }
        false
    }

    /// Whether the visitor may leave the conversation on screen: none of their messages is still
    /// on its way. A refused one (waiting for Retry) goes along with its conversation, unless
    /// the conversation has no id yet to be found again by.
    pub fn can_switch(&self) -> bool {
        let has_id = self
            .data
            .conversation
            .as_ref()
            .is_some_and(|c| !c.id.is_empty());
        self.data.messages.iter().all(|m| {
            !m.unconfirmed
                && (m.author != Author::Visitor
                    || match m.delivery {
                        None | Some(Delivery::Sent) => true,
                        Some(Delivery::Failed { .. }) => has_id,
                        Some(Delivery::Pending { .. }) => false,
                    })
        })
    }

    /// Starts a new conversation (`id` empty) or opens one of the list. Returns whether anything
    /// changed.
    pub(super) fn switch_to(&mut self, id: &str, now: f64, fx: &mut Vec<Effect>) -> bool {
        let same = match &self.data.conversation {
            Some(c) => c.id == id,
            None => id.is_empty() && self.data.messages.is_empty(),
        };
        if same {
            self.listing = false;
            return false;
        }
        if !self.can_switch() {
            fx.push(Effect::Warn(
                "a message is still on its way; the conversation stays open until it is delivered"
                    .into(),
            ));
            return false;
        }
        let before = self.unread();
        let target = if id.is_empty() {
            None
        } else {
            match self.archived(id) {
                Some(at) => Some(self.data.archive.remove(at)),
                None => {
                    fx.push(Effect::Warn(format!(
                        "no conversation \"{id}\" in this visitor's list"
                    )));
                    return false;
                }
            }
        };
        self.listing = false;
        self.archive_current(now);
        fx.push(Effect::Switched);
        self.data.messages.clear();
        self.data.cursor = Default::default();
        self.edits.record(0);
        self.forget_presence();
        // Whatever is in flight belongs to the conversation left behind.
        self.generation += 1;
        self.job = None;
        self.fetch_at = None;
        self.data.unread = 0;
        self.data.closed = false;
        match target {
            Some(a) => {
                self.data.conversation = Some(a.conversation);
                self.data.closed = a.closed;
                // What the widget kept of it; the rest is read (and goes before a refused
                // message, by time: `push_message`).
                self.data.messages = a.kept;
                self.fetch_soon(now);
                fx.push(Effect::Emit(WidgetEvent::Conversation(id.to_string())));
            }
            None => self.data.conversation = None,
        }
        self.unread_changed(before, fx);
        self.activated = true;
        true
    }

    /// Puts the conversation on screen into the list (when it has an id), newest first; the
    /// oldest beyond [`MAX_ARCHIVED`] are forgotten.
    pub(super) fn archive_current(&mut self, now: f64) {
        let Some(conversation) = self.data.conversation.take() else {
            return;
        };
        if conversation.id.is_empty() {
            return;
        }
        let (preview, at) = last_words(&self.data.messages);
        let at = if at > 0.0 { at } else { now };
        // A backend that cannot give the messages back: the widget keeps the newest itself.
        #[cfg(feature = "bot")]
        let kept = if self.caps.shows_own_messages {
            refused(&mut self.data.messages)
        } else {
            let mut kept = std::mem::take(&mut self.data.messages);
            kept.drain(..kept.len().saturating_sub(MAX_KEPT));
            kept
        };
        #[cfg(not(feature = "bot"))]
        let kept = refused(&mut self.data.messages);
        // Taken out where found, as opening one does (not `retain`, which compiled a loop of
        // its own).
        while let Some(at) = self.archived(&conversation.id) {
            self.data.archive.remove(at);
        }
        self.data.archive.insert(
            0,
            Archived {
                conversation,
                preview,
                at,
                cursor: std::mem::take(&mut self.data.cursor),
                // Unseen while the panel was closed: still unseen.
                unread: std::mem::take(&mut self.data.unread),
                closed: std::mem::take(&mut self.data.closed),
                kept,
            },
        );
        self.data.archive.truncate(MAX_ARCHIVED);
    }

    /// The backend's own list of the visitor's conversations came back: those the widget did not
    /// know (started on another device, or forgotten here) join the list, with nothing unread
    /// (the light check counts what comes after, and reads whether support closed a known one).
    /// A failure is a console warning: the list the widget kept stays (it was asked once this
    /// page load, `schedule`). Returns whether anything changed.
    #[cfg(feature = "listing")]
    pub(super) fn listed(
        &mut self,
        result: Result<crate::protocol::Listing, ProviderError>,
        fx: &mut Vec<Effect>,
    ) -> bool {
        let listing = match result {
            Ok(listing) => listing,
            Err(e) => {
                fx.push(Effect::Warn(format!(
                    "could not read the visitor's conversations from the backend: {e}"
                )));
                return false;
            }
        };
        super::command::warn_each(listing.warnings, fx);
        let before = self.data.archive.len();
        for listed in listing.conversations {
            let id = &listed.conversation.id;
            let known = self.data.conversation.as_ref().is_some_and(|c| c.id == *id)
                || self.archived(id).is_some();
            if known || self.data.archive.len() >= MAX_ARCHIVED {
                continue;
            }
            // The list shows them by time (`conversations`), whatever their place here.
            self.data.archive.push(Archived {
                // `cut` drops the whitespace at either end.
                preview: crate::protocol::wire::cut(&listed.preview, PREVIEW_CHARS),
                at: if listed.at.is_finite() {
                    listed.at
                } else {
                    0.0
                },
                conversation: listed.conversation,
                cursor: Cursor::default(),
                unread: 0,
                closed: listed.closed,
                kept: Vec::new(),
            });
        }
        self.data.archive.len() != before
    }

    /// Tells the site the unread total, if it is no longer `before`.
    pub(super) fn unread_changed(&self, before: u32, fx: &mut Vec<Effect>) {
        if self.unread() != before {
            fx.push(Effect::Emit(WidgetEvent::Unread(self.unread())));
        }
    }

    /// Support's messages not seen yet, in every conversation.
    pub(super) fn unread_total(&self) -> u32 {
        let mut n = self.data.unread;
        for a in &self.data.archive {
            n = n.saturating_add(a.unread);
        }
        n
    }

    /// The conversation not on screen due for a light check, if any (the next one in turn),
    /// or when the next one falls due.
    pub(super) fn peek_due(&self, now: f64) -> Result<Option<&Archived>, f64> {
        if !self.visible {
            return Ok(None);
        }
        let count = self.data.archive.len();
        if count == 0 {
            return Ok(None);
        }
        if self.peek_at > now {
            return Err(self.peek_at);
        }
        // Closed ones take no turn: nothing more comes.
        for step in 0..count {
            let entry = &self.data.archive[(self.peek_turn + step) % count];
            if !entry.closed {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// A light check of conversation `id` came back: its line follows, and support's new
    /// messages count as unread. A failure waits for the next turn (it is not the conversation
    /// on screen: no notice). Returns whether anything changed.
    pub(super) fn peeked(
        &mut self,
        id: &str,
        result: Result<Page, ProviderError>,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        self.peek_at = now + PEEK_INTERVAL_MS;
        self.peek_turn = self.peek_turn.wrapping_add(1);
        let before = self.unread();
        let Some(at) = self.archived(id) else {
            return false;
        };
        let entry = &mut self.data.archive[at];
        let page = match result {
            Ok(page) => page,
            Err(e) => {
                fx.push(Effect::Warn(format!(
                    "could not check conversation \"{id}\" for news: {e}"
                )));
                return false;
            }
        };
        let mut changed = entry.cursor != page.next || page.closed != entry.closed;
        entry.cursor = page.next;
        entry.closed |= page.closed;
        for m in &page.messages {
            if m.created_at <= entry.at || m.author == Author::Visitor {
                continue;
            }
            if m.author != Author::System {
                entry.unread = entry.unread.saturating_add(1);
            }
            let (preview, _) = last_words(std::slice::from_ref(m));
            if !preview.is_empty() {
                entry.preview = preview;
            }
            entry.at = m.created_at;
            changed = true;
        }
        self.unread_changed(before, fx);
        changed
    }
}
