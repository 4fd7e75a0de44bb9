//! Reading the conversation: polling (faster while open, never while hidden), catching up on
//! return, and merging what the backend lists or pushes with what is shown, so that nothing
//! appears twice and support's answers count as unread until seen.

use super::command::{Effect, Notice, WidgetEvent};
use super::machine::Engine;
use super::schedule::backoff_ms;
use crate::model::{Author, Delivery, Message};
use crate::protocol::{wire, Page, ProviderError};

/// How much older than the first attempt (by the browser's clock) a stored copy of an
/// unconfirmed message may look, for the two clocks' disagreement.
pub const CLOCK_SKEW_MS: f64 = 120_000.0;

pub(super) fn is_conversation_gone(e: &ProviderError) -> bool {
    matches!(e, ProviderError::Status { status: 404, .. })
}

impl Engine {
    /// The page became visible or hidden. Returns whether anything changed.
    pub(super) fn set_visible(&mut self, visible: bool, now: f64, fx: &mut Vec<Effect>) -> bool {
        self.visible = visible;
        let mut dirty = false;
        if visible {
            self.fetch_soon(now);
            if self.open && self.data.unread > 0 {
                self.data.unread = 0;
                fx.push(Effect::Emit(WidgetEvent::Unread(self.unread())));
                dirty = true;
            }
        }
        dirty
    }

    pub(super) fn fetch_soon(&mut self, now: f64) {
        if self.data.conversation.is_some() {
            self.poll_failures = 0;
            self.fetch_at = Some(self.fetch_at.map_or(now, |t| t.min(now)));
        }
    }

    fn poll_interval(&self) -> f64 {
        // While the relay's event stream is up, a poll only guards against a stream that went
        // quiet without closing: as slowly as when the widget is closed.
        if self.is_streaming() {
            return self.caps.poll_closed_ms as f64;
        }
        if self.open {
            self.caps.poll_open_ms as f64
        } else {
            self.caps.poll_closed_ms as f64
        }
    }

    /// The relay's event stream opened (`up`) or dropped. It is a fast path over polling, which
    /// stays the safety net, so its loss shows no notice (polls report trouble themselves). Either
    /// way one read follows at once: on opening, to catch up on what passed while it was down
    /// (the stream replays nothing); on a drop, to bridge the gap, and to meet an expired token
    /// as a poll does (the session is then renewed and the stream reopened with the new token).
    /// While it is up, polls slow down (`poll_interval`).
    #[cfg(feature = "relay")]
    pub(super) fn stream_changed(&mut self, up: bool, now: f64) {
        self.streaming = up;
        self.fetch_soon(now);
    }

    /// A read of the conversation came back (or failed). Returns whether anything changed.
    pub(super) fn fetched(
        &mut self,
        result: Result<Page, ProviderError>,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        match result {
            Ok(page) => {
                self.poll_failures = 0;
                self.clear_connection_notice();
                super::command::warn_each(page.warnings, fx);
                let mut changed =
                    self.merge(page.messages, now, fx) || self.data.cursor != page.next;
                self.presence(page.presence);
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
                if page.closed {
                    if let Some(id) = self.data.conversation.as_ref().map(|c| c.id.clone()) {
                        changed |= self.support_closed(&id, now);
                    }
                }
                // A closed conversation is read once (opened from the list), then no more.
                #[cfg(feature = "conversations")]
                if self.data.closed {
                    self.fetch_at = None;
                }
                // Most polls bring nothing: then there is nothing to write.
                changed
            }
            Err(e) => {
                if is_conversation_gone(&e) {
                    self.forget_conversation();
                    return true;
                }
                let checked = self.check_failed(&e, now, fx);
                // Support's typing is not known to go on while the backend cannot be read.
                self.typing = false;
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

    /// The backend lost the conversation (404): the next message opens a new one.
    pub(super) fn forget_conversation(&mut self) {
        self.data.conversation = None;
        #[cfg(feature = "conversations")]
        {
            self.data.closed = false;
        }
        self.data.cursor = Default::default();
        self.forget_presence();
        self.fetch_at = None;
        // A copy stored there went with it: the next conversation gets the message.
        for m in &mut self.data.messages {
            m.unconfirmed = false;
        }
    }

    /// Adds new messages, skipping ones already shown (by backend id or by the visitor's local id).
    /// A new message without a usable time takes the previous message's, or `now`.
    /// Returns whether anything changed.
    pub(super) fn merge(&mut self, incoming: Vec<Message>, now: f64, fx: &mut Vec<Effect>) -> bool {
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
            fx.push(Effect::Emit(WidgetEvent::Unread(self.unread())));
        }
        changed
    }
}
