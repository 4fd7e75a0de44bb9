//! The outbox: the visitor's messages on their way to the backend. They are sent one at a time,
//! oldest first, each retried with backoff until it is delivered or refused for good; a refused
//! one waits for the visitor's Retry without holding up the others.

use super::command::{Effect, Notice, WidgetEvent};
use super::machine::Engine;
use super::reading::is_conversation_gone;
use super::schedule::backoff_ms;
use crate::model::{Author, Body, Conversation, Delivery, Message};
use crate::protocol::{wire, Outgoing, ProviderError, Sent, RECENT_MESSAGES};

/// The length of `text` as the engine measures it against
/// [`Capabilities::max_message_chars`](crate::protocol::Capabilities::max_message_chars):
/// characters (Unicode scalar values) once trimmed, the way it is sent.
pub fn message_chars(text: &str) -> usize {
    text.trim().chars().count()
}

impl Engine {
    /// Whether the [`Command::Send`](super::Command::Send) with `local_id` was accepted into the
    /// outbox (a refused one, empty or too long, left nothing): only then may the composer let go
    /// of the text.
    pub fn accepted(&self, local_id: &str) -> bool {
        self.data
            .messages
            .iter()
            .any(|m| m.local_id.as_deref() == Some(local_id))
    }

    pub(super) fn queue(
        &mut self,
        text: String,
        local_id: String,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
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
        self.seen = false;
        true
    }

    /// The visitor asks to try the failed message `local_id` again. Returns whether it changed.
    pub(super) fn retry(&mut self, local_id: &str, now: f64) -> bool {
        let mut dirty = false;
        if let Some(m) = self.find_local_mut(local_id) {
            if matches!(m.delivery, Some(Delivery::Failed { .. })) {
                m.delivery = Some(Delivery::Pending {
                    attempts: 0,
                    retry_at: now,
                });
                dirty = true;
            }
        }
        self.resume(now);
        dirty
    }

    /// Where the next visitor message to deliver is, oldest first. Failed ones do not hold the
    /// others up.
    pub(super) fn head_index(&self) -> Option<usize> {
        self.data
            .messages
            .iter()
            .position(|m| matches!(m.delivery, Some(Delivery::Pending { .. })) && self.may_send(m))
    }

    /// The next visitor message to deliver and when it is due.
    pub(super) fn head_pending(&self) -> Option<(&Message, f64)> {
        let m = &self.data.messages[self.head_index()?];
        match m.delivery {
            Some(Delivery::Pending { retry_at, .. }) => Some((m, retry_at)),
            _ => None,
        }
    }

    /// Attempt number `attempts` of a message after `error`: when it is due, backing off.
    pub(super) fn retry_later(&self, attempts: u32, error: &ProviderError, now: f64) -> Delivery {
        Delivery::Pending {
            attempts,
            retry_at: now + backoff_ms(attempts, error.retry_after(), self.jitter(attempts)),
        }
    }

    pub(super) fn outgoing(m: &Message) -> Outgoing {
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

    /// Up to [`RECENT_MESSAGES`] delivered messages before the visitor's message `local_id`.
    pub(super) fn recent_before(&self, local_id: &str) -> Vec<Message> {
        let end = self
            .data
            .messages
            .iter()
            .position(|m| m.local_id.as_deref() == Some(local_id))
            .unwrap_or(self.data.messages.len());
        // Walked back from `end`, then put in order: loops, as the adapters compiled to more.
        let mut recent = Vec::new();
        for m in self.data.messages[..end].iter().rev() {
            if recent.len() == RECENT_MESSAGES {
                break;
            }
            if !matches!(
                m.delivery,
                Some(Delivery::Pending { .. } | Delivery::Failed { .. })
            ) {
                recent.push(m.clone());
            }
        }
        recent.reverse();
        recent
    }

    /// The conversation the first message opens, or why it could not be opened.
    pub(super) fn conversation_opened(
        &mut self,
        result: Result<Conversation, ProviderError>,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        match result {
            #[cfg_attr(not(feature = "relay"), allow(unused_mut))]
            Ok(mut conversation) => {
                #[cfg(feature = "relay")]
                self.take_handed_session(&mut conversation);
                self.data.conversation = Some(conversation);
                self.data.cursor = Default::default();
                self.clear_connection_notice();
                true
            }
            Err(e) => {
                self.head_failed(&e, now, fx);
                true
            }
        }
    }

    /// The backend's answer to sending the visitor's message `local_id`.
    pub(super) fn sent(
        &mut self,
        local_id: String,
        result: Result<Sent, ProviderError>,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        match result {
            Ok(sent) => {
                self.clear_connection_notice();
                super::command::warn_each(sent.warnings, fx);
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
                self.presence(sent.presence);
                // An answer usually follows a message: look sooner than the normal interval
                // (unless the relay's event stream brings it).
                let soon = now + self.caps.poll_open_ms as f64;
                if self.caps.polling && self.data.conversation.is_some() && !self.is_streaming() {
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
        }
    }
}
