//! Several conversations per visitor (cargo feature `conversations`): the ones the visitor left
//! for another are kept in the snapshot ([`Archived`]: the conversation, the last message's text
//! and time, whether support closed it), the view lists them with the one on screen, and the
//! visitor opens one again or starts a new one.
//!
//! Only the conversation on screen is read (polled or pushed); the others keep what they showed
//! when the visitor left them. Switching waits until every message of the visitor is delivered:
//! a message on its way belongs to the conversation it was written in, and the list on screen is
//! its only home (the outbox).

use super::command::{Effect, WidgetEvent};
use super::machine::Engine;
use crate::json::Json;
use crate::model::{Author, Conversation, Delivery, Message};
use crate::protocol::wire::Fields;

/// Longest preview kept, in characters: one line in the list.
pub const PREVIEW_CHARS: usize = 140;

/// Most conversations kept besides the one on screen; the oldest beyond this are forgotten.
pub const MAX_ARCHIVED: usize = 50;

/// A conversation the visitor left for another.
#[derive(Clone, Debug, PartialEq)]
pub struct Archived {
    pub conversation: Conversation,
    /// The last message's text (empty when it had none), cut to [`PREVIEW_CHARS`].
    pub preview: String,
    /// When its last message was written (ms), or when the visitor left it.
    pub at: f64,
    /// Support closed it: it is shown read-only.
    pub closed: bool,
}

impl Archived {
    /// `{conversation, preview, at, closed}`.
    pub fn to_json(&self) -> Json {
        Json::object([
            ("conversation", self.conversation.to_json()),
            ("preview", Json::from(&self.preview)),
            ("at", Json::from(self.at)),
            ("closed", Json::Bool(self.closed)),
        ])
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
            closed: f.opt_bool("closed")?.unwrap_or(false),
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
    pub closed: bool,
    /// The conversation on screen.
    pub current: bool,
    /// Support's messages not seen yet (only the conversation on screen is read).
    pub unread: u32,
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

impl Engine {
    /// Every conversation of the visitor, newest activity first: the one on screen (once it has
    /// a message or an id) and those left for another.
    pub fn conversations(&self) -> Vec<Summary> {
        let mut list = Vec::new();
        let data = &self.data;
        // A closed one left on screen is already in the list, as closed.
        let shown = data.conversation.is_some() || (!data.messages.is_empty() && !data.closed);
        if shown {
            let (preview, at) = last_words(&data.messages);
            list.push(Summary {
                id: data
                    .conversation
                    .as_ref()
                    .map_or(String::new(), |c| c.id.clone()),
                preview,
                at,
                closed: data.closed,
                current: true,
                unread: data.unread,
            });
        }
        for a in &data.archive {
            list.push(Summary {
                id: a.conversation.id.clone(),
                preview: a.preview.clone(),
                at: a.at,
                closed: a.closed,
                current: false,
                unread: 0,
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

    /// The panel shows the list of conversations.
    pub fn is_listing(&self) -> bool {
        self.listing
    }

    /// The conversation on screen was closed by support: the visitor reads it, and writes in a
    /// new one.
    pub fn is_closed(&self) -> bool {
        self.data.closed
    }

    /// Whether the visitor may leave the conversation on screen: none of their messages is still
    /// on its way (or refused, waiting for Retry).
    pub fn can_switch(&self) -> bool {
        self.data.messages.iter().all(|m| {
            m.author != Author::Visitor || matches!(m.delivery, None | Some(Delivery::Sent))
        }) && !self.data.messages.iter().any(|m| m.unconfirmed)
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
                "Helpwire: a message is still on its way; the conversation stays open until it is delivered".into(),
            ));
            return false;
        }
        let target = if id.is_empty() {
            None
        } else {
            match self
                .data
                .archive
                .iter()
                .position(|a| a.conversation.id == id)
            {
                Some(at) => Some(self.data.archive.remove(at)),
                None => {
                    fx.push(Effect::Warn(format!(
                        "Helpwire: no conversation {id:?} in this visitor's list"
                    )));
                    return false;
                }
            }
        };
        self.listing = false;
        self.archive_current(now);
        self.data.messages.clear();
        self.data.cursor = Default::default();
        self.edits.record(0);
        self.forget_presence();
        // Whatever is in flight belongs to the conversation left behind.
        self.generation += 1;
        self.job = None;
        self.fetch_at = None;
        if self.data.unread > 0 {
            self.data.unread = 0;
            fx.push(Effect::Emit(WidgetEvent::Unread(0)));
        }
        match target {
            Some(a) => {
                self.data.closed = a.closed;
                self.data.conversation = Some(a.conversation);
                self.fetch_soon(now);
                fx.push(Effect::Emit(WidgetEvent::Conversation(id.to_string())));
            }
            None => {
                self.data.closed = false;
                self.data.conversation = None;
            }
        }
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
        self.data
            .archive
            .retain(|a| a.conversation.id != conversation.id);
        self.data.archive.insert(
            0,
            Archived {
                conversation,
                preview,
                at,
                closed: self.data.closed,
            },
        );
        self.data.archive.truncate(MAX_ARCHIVED);
    }

    /// Support closed the conversation on screen: it goes into the list as closed, while its
    /// messages stay on screen, read-only, until the visitor starts a new one or opens another.
    pub(super) fn conversation_closed(&mut self, now: f64) {
        self.data.closed = true;
        self.archive_current(now);
    }
}
