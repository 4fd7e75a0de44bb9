//! The visitor's session and the connection: starting (or resuming) the session, who the visitor
//! is (`identify`, `reset`), and what happens when the backend cannot be reached or refuses: the
//! connection notice, backoff, a halt until the visitor retries. In builds with the relay (the
//! one backend whose sessions end or change), also a session the backend drops and the session a
//! new conversation hands over.

use super::command::{Effect, Notice, WidgetEvent};
#[cfg(feature = "relay")]
use super::job::Outcome;
use super::machine::Engine;
use super::schedule::backoff_ms;
use super::storage::Snapshot;
#[cfg(feature = "relay")]
use crate::model::{Conversation, Message};
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
        // Someone newly known: the backend's list of their conversations is read again.
        #[cfg(feature = "listing")]
        if identity.user_id.is_some() && identity.user_id != self.data.visitor.user_id {
            self.listed = false;
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

    /// Contact details from the widget's forms, checked there (`crate::contact`): kept as the
    /// visitor's (a reload does not ask again) and, like `identify`, told to the backend the
    /// next time the session is started.
    #[cfg(feature = "contact")]
    pub(super) fn contact(
        &mut self,
        email: Option<String>,
        name: Option<String>,
        now: f64,
    ) -> bool {
        let v = &mut self.data.visitor;
        let changed = (email.is_some() && email != v.email) || (name.is_some() && name != v.name);
        if changed {
            v.email = email.or(v.email.take());
            v.name = name.or(v.name.take());
            self.session_confirmed = false;
            self.activated = true;
            self.fetch_soon(now);
        }
        changed
    }

    /// `reset()`: forgets the visitor and starts again as `anon_id`.
    pub(super) fn reset(&mut self, anon_id: String, fx: &mut Vec<Effect>) {
        self.replace_data(Snapshot::new(anon_id));
        self.activated = false;
        #[cfg(feature = "listing")]
        {
            self.listed = false;
        }
        self.session_confirmed = false;
        self.halted = false;
        self.push_lost = false;
        #[cfg(feature = "relay")]
        {
            self.streaming = false;
        }
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
        #[cfg(feature = "relay")]
        {
            self.session_renewals = 0;
        }
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

    /// Before a finished job's outcome goes where it concerns: a session the backend dropped is
    /// handled here ([`Self::session_lost`], returning `Some(whether anything changed)`), and an
    /// operation that worked ends a run of lost sessions.
    #[cfg(feature = "relay")]
    pub(super) fn session_renewal(
        &mut self,
        outcome: &Outcome,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> Option<bool> {
        if let Some(e) = session_expired(outcome) {
            return Some(self.session_lost(outcome, e, now, fx));
        }
        if matches!(
            outcome,
            Outcome::Conversation(Ok(_))
                | Outcome::Sent { result: Ok(_), .. }
                | Outcome::Fetched(Ok(_))
        ) {
            self.session_renewals = 0;
        }
        None
    }

    /// The backend no longer accepts the session (`outcome` failed with `e`, a
    /// [`ProviderError::SessionExpired`]): it is dropped with its conversation, and the next job
    /// starts a new session without it; a message that was being sent waits for it, not counted
    /// as an attempt (refused, so not stored). A new session refused at once, or a second loss in
    /// a row, is a refusal: halted until the visitor retries. Returns whether anything changed.
    #[cfg(feature = "relay")]
    fn session_lost(
        &mut self,
        outcome: &Outcome,
        e: &ProviderError,
        now: f64,
        fx: &mut Vec<Effect>,
    ) -> bool {
        if let Outcome::Sent { local_id, .. } = outcome {
            let sent = |m: &Message| m.local_id.as_deref() == Some(local_id.as_str());
            if let Some(index) = self.data.messages.iter().position(sent) {
                // Not shown: no edit to record.
                self.data.messages[index].unconfirmed = false;
            }
        }
        let refused_new = matches!(outcome, Outcome::Session(_)) && self.data.session.is_none();
        self.session_renewals += 1;
        self.data.session = None;
        self.session_confirmed = false;
        self.forget_conversation();
        if refused_new || self.session_renewals >= 2 {
            self.connection_failed(e, now, fx);
        } else {
            fx.push(Effect::Warn(format!(
                "the support session ended ({e}); starting a new one"
            )));
        }
        true
    }

    /// Opening `conversation` gave the visitor a new session (the relay's new token owns it):
    /// it replaces the visitor's ([`Conversation::NEW_SESSION`]).
    #[cfg(feature = "relay")]
    pub(super) fn take_handed_session(&mut self, conversation: &mut Conversation) {
        if let Some(session) = conversation.take_new_session() {
            self.data.session = Some(session);
        }
    }
}

/// The error of a failed outcome, if the backend said the session is gone.
#[cfg(feature = "relay")]
fn session_expired(outcome: &Outcome) -> Option<&ProviderError> {
    let e = match outcome {
        Outcome::Session(Err(e)) | Outcome::Conversation(Err(e)) | Outcome::Fetched(Err(e)) => e,
        Outcome::Sent { result: Err(e), .. } => e,
        _ => return None,
    };
    matches!(e, ProviderError::SessionExpired(_)).then_some(e)
}
