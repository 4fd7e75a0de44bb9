//! The visitor's session and the connection: starting (or resuming) the session, who the visitor
//! is (`identify`, `reset`), and what happens when the backend cannot be reached or refuses: the
//! connection notice, backoff, a halt until the visitor retries.

use super::command::{Effect, Notice, WidgetEvent};
use super::machine::Engine;
use super::schedule::backoff_ms;
use super::storage::Snapshot;
use crate::model::{Delivery, Session, Visitor};
use crate::protocol::ProviderError;

impl Engine {
    pub(super) fn identify(
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

    /// `reset()`: forgets the visitor and starts again as `anon_id`.
    pub(super) fn reset(&mut self, anon_id: String, fx: &mut Vec<Effect>) {
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

    /// A push backend's socket joined (`up`), or was lost and is reconnecting.
    pub(super) fn push_connected(&mut self, up: bool, now: f64) {
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

    /// The session the backend started or confirmed, or why it could not.
    pub(super) fn session_started(
        &mut self,
        result: Result<Session, ProviderError>,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        match result {
            Ok(session) => {
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
            Err(e) => {
                self.connection_failed(&e, now, fx);
                false
            }
        }
    }

    pub(super) fn clear_connection_notice(&mut self) {
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

    /// Lifts a halt and makes everything that waits on backoff due now (online again, visitor
    /// pressed retry).
    pub(super) fn resume(&mut self, now: f64) {
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
}
