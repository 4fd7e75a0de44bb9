//! Jobs: the provider operations the engine hands the driver, how one becomes a provider
//! [`Plan`], and which one is due next. One job runs at a time; its [`Outcome`] comes back as
//! [`Command::Finished`](super::Command::Finished) and is handed to the part of the engine it
//! concerns.

use super::command::Effect;
use super::machine::Engine;
use crate::model::{Conversation, Message, Session, Visitor};
#[cfg(feature = "listing")]
use crate::protocol::Listing;
use crate::protocol::{Context, Cursor, Outgoing, Page, Plan, Provider, ProviderError, Sent};

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
        cursor: Cursor,
    },
    /// Read the backend's own list of the visitor's conversations.
    #[cfg(feature = "listing")]
    List { visitor: Visitor, session: Session },
}

/// A job turned into its provider [`Plan`]; whoever runs the plan wraps the result as an
/// [`Outcome`] (the browser driver with the HTTP executor, host tests with a local one).
pub enum Planned {
    Session(Plan<Session>),
    Conversation(Plan<Conversation>),
    Send {
        local_id: String,
        plan: Plan<Sent>,
    },
    Fetch(Plan<Page>),
    #[cfg(feature = "listing")]
    List(Plan<Listing>),
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
            #[cfg(feature = "listing")]
            Job::List { visitor, session } => Planned::List(provider.listing(visitor, session)),
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
    #[cfg(feature = "listing")]
    Listed(Result<Listing, ProviderError>),
}

impl Engine {
    /// Starts the next job if one is due, or says when to wake up.
    pub(super) fn schedule(&mut self, now: f64, mut fx: Vec<Effect>) -> Vec<Effect> {
        if self.job.is_some() || !self.online || self.halted {
            return fx;
        }
        // A read asked for (`Command::ReadAt`) is a poll due then, until one has started.
        #[cfg(feature = "local")]
        if let Some(at) = self.read_at {
            self.fetch_at = Some(self.fetch_at.map_or(at, |t| t.min(at)));
            if at <= now {
                self.read_at = None;
            }
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
                // Asked once: an `identify` while it is under way asks again, for the new person.
                #[cfg(feature = "listing")]
                if matches!(job, Job::List { .. }) {
                    self.listed = true;
                }
                // A read of a conversation other than the one on screen is a light check.
                #[cfg(feature = "conversations")]
                {
                    let shown = self.data.conversation.as_ref().map(|c| c.id.as_str());
                    self.peeking = match &job {
                        Job::Fetch { conversation, .. }
                            if Some(conversation.id.as_str()) != shown =>
                        {
                            Some(conversation.id.clone())
                        }
                        _ => None,
                    };
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
        // The backend's own list, once a page load, when the visitor opens the panel.
        #[cfg(feature = "listing")]
        let list_due = self.caps.lists_conversations && !self.listed && self.open && self.visible;
        #[cfg(not(feature = "listing"))]
        let list_due = false;
        let needs_session = head.is_some() || fetch_at.is_some() || list_due;

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
        #[cfg(feature = "listing")]
        if list_due {
            return Ok(Job::List {
                visitor: visitor.clone(),
                session,
            });
        }
        // Last, when nothing of the conversation on screen is due: a light check of another.
        #[cfg(feature = "conversations")]
        match self.peek_due(now) {
            Ok(Some(entry)) => {
                return Ok(Job::Fetch {
                    visitor: visitor.clone(),
                    session,
                    conversation: entry.conversation.clone(),
                    cursor: entry.cursor.clone(),
                })
            }
            Ok(None) => {}
            Err(at) => wake = Some(wake.map_or(at, |w| w.min(at))),
        }
        Err(wake)
    }

    /// Hands a finished job's outcome to the part of the engine it concerns. Returns whether
    /// anything changed.
    pub(super) fn finish(&mut self, outcome: Outcome, now: f64, fx: &mut Vec<Effect>) -> bool {
        #[cfg(feature = "relay")]
        if let Some(changed) = self.session_renewal(&outcome, now, fx) {
            return changed;
        }
        match outcome {
            Outcome::Session(result) => self.session_started(result, now, fx),
            Outcome::Conversation(result) => self.conversation_opened(result, now, fx),
            Outcome::Sent { local_id, result } => self.sent(local_id, result, now, fx),
            Outcome::Fetched(result) => {
                #[cfg(feature = "conversations")]
                if let Some(id) = self.peeking.take() {
                    return self.peeked(&id, result, now, fx);
                }
                self.fetched(result, now, fx)
            }
            #[cfg(feature = "listing")]
            Outcome::Listed(result) => self.listed(result, fx),
        }
    }
}
