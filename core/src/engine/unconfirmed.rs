//! Sends whose answer was lost (a dropped connection, a timeout): the message may be stored all
//! the same. Before it is sent again, the conversation is read; a copy there means it arrived,
//! and a complete read without one means it did not. This is what keeps a flaky network from
//! storing a message twice.

use super::command::{Effect, Notice};
use super::machine::Engine;
use crate::model::Delivery;
use crate::protocol::ProviderError;

impl Engine {
    /// The head message, if it waits for a read of the conversation before it is sent again:
    /// its last attempt may have been stored, and the backend's history would show it.
    pub(super) fn awaiting_check(&self) -> Option<usize> {
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
    pub(super) fn confirm_absent(&mut self) -> bool {
        let mut any = false;
        for index in 0..self.data.messages.len() {
            let m = &self.data.messages[index];
            if m.unconfirmed
                && matches!(m.delivery, Some(Delivery::Pending { .. }))
                && self.may_send(m)
            {
                // Not shown: no edit to record.
                self.data.messages[index].unconfirmed = false;
                any = true;
            }
        }
        any
    }

    /// A read that was to tell whether the head message was stored failed. Transient: the
    /// message waits (backing off) for the next read. Otherwise the history cannot tell, and
    /// the message is sent again as before. Returns whether anything changed.
    pub(super) fn check_failed(
        &mut self,
        e: &ProviderError,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
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
}
