//! Support's side of the conversation as the backend reports it: typing, and whether an agent
//! has read the visitor's messages ("Seen"). Held in memory only; every read says it again.

use super::machine::Engine;
use crate::model::{Author, Delivery, Message};
use crate::protocol::Presence;

impl Engine {
    /// What a read or a send answer said of support's side.
    pub(super) fn presence(&mut self, p: Presence) {
        self.typing = p.typing;
        if let Some(seen) = p.seen {
            // A message the backend has not stored yet cannot have been read: a read that
            // started before it was sent says nothing of it.
            self.seen = seen
                && !self
                    .data
                    .messages
                    .iter()
                    .any(|m| m.author == Author::Visitor && m.delivery != Some(Delivery::Sent));
        }
    }

    /// Nothing is known of support's side (a new message, conversation or visitor).
    pub(super) fn forget_presence(&mut self) {
        self.typing = false;
        self.seen = false;
    }

    /// Support is writing an answer.
    pub fn is_typing(&self) -> bool {
        self.typing
    }

    /// The visitor's last message, if an agent has read it.
    pub fn seen_message(&self) -> Option<&Message> {
        let last = (self.data.messages.iter().rev()).find(|m| m.author == Author::Visitor)?;
        (self.seen && last.delivery == Some(Delivery::Sent)).then_some(last)
    }
}
