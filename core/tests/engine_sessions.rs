//! The engine with a backend whose sessions end and change (the relay's tokens): a session the
//! backend no longer accepts ([`ProviderError::SessionExpired`]) is replaced by a new one, and the
//! session a new conversation comes with ([`Conversation::NEW_SESSION`]) replaces the visitor's.
//! Each job is answered by hand, so the test sees exactly what the engine asks for; the
//! requests are built by the real relay provider. Also the relay's event stream
//! (`Command::Streaming`): a fast path over polling, which slows polls while it is up.

use helpwire_core::engine::storage::Snapshot;
use helpwire_core::engine::{Command, Effect, Engine, Job, Notice, Outcome, Planned, WidgetEvent};
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Conversation, Delivery, Message, Session};
use helpwire_core::protocol::relay::{RelayProvider, TOKEN};
use helpwire_core::protocol::{Cursor, Page, Plan, Provider, ProviderError, Sent};

fn provider() -> RelayProvider {
    RelayProvider::new("https://support.example.com/helpwire")
}

fn session(token: &str) -> Session {
    Session {
        id: "vis_1".into(),
        extra: Json::object([(TOKEN, Json::from(token))]),
    }
}

fn conversation(id: &str) -> Conversation {
    Conversation {
        id: id.into(),
        extra: Json::Null,
    }
}

fn expired() -> ProviderError {
    ProviderError::SessionExpired("invalid_token: token expired".into())
}

fn sent(id: &str) -> Result<Sent, ProviderError> {
    Ok(Sent {
        remote_id: id.into(),
        created_at: None,
        replies: vec![],
        warnings: vec![],
        presence: Default::default(),
    })
}

/// An engine whose jobs the test answers one at a time.
struct Drive {
    engine: Engine,
    now: f64,
    job: Option<(u64, Job)>,
    warnings: Vec<String>,
    events: Vec<WidgetEvent>,
}

impl Drive {
    fn new(restored: Option<Snapshot>) -> Self {
        Drive {
            // Without the read of the relay's list of conversations (its own tests are in
            // engine.rs, `conversations::*`): here it would be one more job between the ones
            // these tests follow.
            engine: Engine::new(
                helpwire_core::protocol::Capabilities {
                    lists_conversations: false,
                    ..provider().capabilities()
                },
                restored,
                "v_anon".into(),
            ),
            now: 1_700_000_000_000.0,
            job: None,
            warnings: Vec::new(),
            events: Vec::new(),
        }
    }

    fn cmd(&mut self, command: Command) {
        for effect in self.engine.handle(command, self.now) {
            match effect {
                Effect::Run { generation, job } => self.job = Some((generation, *job)),
                Effect::Warn(w) => self.warnings.push(w),
                Effect::Emit(e) => self.events.push(e),
                _ => {}
            }
        }
    }

    fn send(&mut self, text: &str, local_id: &str) {
        self.cmd(Command::Send {
            text: text.into(),
            local_id: local_id.into(),
        });
    }

    /// The job the engine asked for (it stays asked for until answered).
    fn job(&self) -> &Job {
        &self.job.as_ref().expect("a job").1
    }

    fn answer(&mut self, outcome: Outcome) {
        let (generation, _) = self.job.take().expect("a job to answer");
        self.cmd(Command::Finished {
            generation,
            outcome,
        });
    }

    /// The `previous` session of the session job the engine asked for.
    fn session_job(&self) -> Option<Session> {
        match self.job() {
            Job::StartSession { previous, .. } => previous.clone(),
            other => panic!("expected a session job, got {other:?}"),
        }
    }

    fn delivery(&self, local_id: &str) -> Option<Delivery> {
        let m = (self.engine.messages().iter())
            .find(|m| m.local_id.as_deref() == Some(local_id))
            .expect("the message");
        m.delivery.clone()
    }

    /// Opens the widget and delivers a first message: session `A`, conversation `c_1`.
    fn started() -> Self {
        let mut d = Drive::new(None);
        d.cmd(Command::Open);
        d.send("hello", "l1");
        d.answer(Outcome::Session(Ok(session("A"))));
        d.answer(Outcome::Conversation(Ok(conversation("c_1"))));
        d.answer(Outcome::Sent {
            local_id: "l1".into(),
            result: sent("msg_1"),
        });
        assert_eq!(d.delivery("l1"), Some(Delivery::Sent));
        d
    }
}

/// The `Authorization` header of the request the relay provider builds for `job`.
fn authorization(job: &Job) -> Option<String> {
    let header = |request: &helpwire_core::protocol::HttpRequest| {
        request.header_value("Authorization").map(str::to_string)
    };
    fn req<T>(plan: &Plan<T>) -> &helpwire_core::protocol::HttpRequest {
        match plan {
            Plan::Request { request, .. } => request,
            Plan::Ready(_) => panic!("expected a request"),
        }
    }
    match job.plan(&provider()) {
        Planned::Session(p) => header(req(&p)),
        Planned::Conversation(p) => header(req(&p)),
        Planned::Send { plan, .. } => header(req(&plan)),
        Planned::Fetch(p) => header(req(&p)),
        Planned::List(p) => header(req(&p)),
    }
}

#[test]
fn the_session_a_new_conversation_comes_with_replaces_the_visitors() {
    let mut d = Drive::new(None);
    d.cmd(Command::Open);
    d.send("hello", "l1");
    assert_eq!(d.session_job(), None);
    d.answer(Outcome::Session(Ok(session("A"))));
    assert!(matches!(d.job(), Job::OpenConversation { .. }));
    assert_eq!(authorization(d.job()).as_deref(), Some("Bearer A"));

    let mut opened = conversation("c_1");
    opened.set_new_session(&session("B"));
    d.answer(Outcome::Conversation(Ok(opened)));
    let snapshot = d.engine.snapshot();
    assert_eq!(
        snapshot.session,
        Some(session("B")),
        "the token that owns it"
    );
    assert_eq!(
        snapshot.conversation,
        Some(conversation("c_1")),
        "kept once, in the session"
    );
    match d.job() {
        Job::Send { session, .. } => assert_eq!(*session, self::session("B")),
        other => panic!("expected the send, got {other:?}"),
    }
    assert_eq!(authorization(d.job()).as_deref(), Some("Bearer B"));
    d.answer(Outcome::Sent {
        local_id: "l1".into(),
        result: sent("msg_1"),
    });
    assert_eq!(d.delivery("l1"), Some(Delivery::Sent));

    // A reload resumes with the newest token.
    let mut reloaded = Drive::new(Some(d.engine.snapshot().clone()));
    reloaded.cmd(Command::Open);
    assert_eq!(reloaded.session_job(), Some(session("B")));
    assert_eq!(authorization(reloaded.job()).as_deref(), Some("Bearer B"));
}

#[test]
fn a_send_refused_for_its_session_starts_a_new_session_and_conversation_and_is_delivered() {
    let mut d = Drive::started();
    d.send("second", "l2");
    assert!(matches!(d.job(), Job::Send { .. }));
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: Err(expired()),
    });
    // The dead token is not offered again: a new session, without it.
    assert_eq!(d.session_job(), None);
    assert_eq!(authorization(d.job()), None);
    assert_eq!(d.engine.snapshot().session, None);
    assert_eq!(
        d.engine.conversation(),
        None,
        "the conversation belonged to the session"
    );
    assert!(
        matches!(
            d.delivery("l2"),
            Some(Delivery::Pending { attempts: 0, .. })
        ),
        "waiting, not failed, not counted: {:?}",
        d.delivery("l2")
    );
    assert!(
        !d.engine.messages()[1].unconfirmed,
        "refused, so not stored"
    );
    assert_eq!(d.engine.notice(), None, "nothing for the visitor to do");
    assert!(
        d.warnings.iter().any(|w| w.contains("session ended")),
        "{:?}",
        d.warnings
    );

    d.answer(Outcome::Session(Ok(session("A2"))));
    match d.job() {
        Job::OpenConversation { first, .. } => assert_eq!(first.local_id, "l2"),
        other => panic!("expected a new conversation, got {other:?}"),
    }
    d.answer(Outcome::Conversation(Ok(conversation("c_2"))));
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: sent("msg_9"),
    });
    assert_eq!(d.delivery("l2"), Some(Delivery::Sent));
    assert_eq!(
        d.delivery("l1"),
        Some(Delivery::Sent),
        "the earlier one stays"
    );
    assert_eq!(d.engine.messages().len(), 2, "still shown");
}

#[test]
fn a_poll_refused_for_its_session_drops_it_and_the_next_message_starts_afresh() {
    let mut d = Drive::started();
    d.now += 10_000.0;
    d.cmd(Command::Tick);
    assert!(matches!(d.job(), Job::Fetch { .. }));
    d.answer(Outcome::Fetched(Err(expired())));
    assert_eq!(d.engine.snapshot().session, None);
    assert_eq!(d.engine.conversation(), None);
    assert!(d.job.is_none(), "nothing to send, nothing to read");
    d.send("again", "l2");
    assert_eq!(d.session_job(), None);
}

#[test]
fn a_refused_resume_starts_a_new_session_at_once_and_a_refused_new_one_halts() {
    let mut restored = Snapshot::new("v_anon".into());
    restored.session = Some(session("OLD"));
    restored.conversation = Some(conversation("c_1"));
    let mut d = Drive::new(Some(restored));
    d.cmd(Command::Open);
    d.send("hi", "l1");
    assert_eq!(d.session_job(), Some(session("OLD")));
    assert_eq!(authorization(d.job()).as_deref(), Some("Bearer OLD"));
    d.answer(Outcome::Session(Err(expired())));
    assert_eq!(d.session_job(), None, "at once, without the refused token");
    assert_eq!(d.engine.conversation(), None);
    assert_eq!(d.engine.notice(), None);

    // A new session refused too: the backend refuses this visitor; no hammering.
    d.answer(Outcome::Session(Err(expired())));
    assert!(d.job.is_none());
    assert_eq!(d.engine.notice(), Some(&Notice::Unavailable));
    d.now += 600_000.0;
    d.cmd(Command::Tick);
    assert!(d.job.is_none(), "halted until the visitor retries");
    d.cmd(Command::RetryConnection);
    assert_eq!(d.session_job(), None);
}

#[test]
fn a_second_loss_in_a_row_is_a_refusal_the_visitor_can_retry() {
    let mut d = Drive::started();
    d.send("second", "l2");
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: Err(expired()),
    });
    d.answer(Outcome::Session(Ok(session("A2"))));
    // The relay refuses the token it has just given.
    d.answer(Outcome::Conversation(Err(expired())));
    assert!(d.job.is_none(), "not asked again and again");
    assert_eq!(d.engine.notice(), Some(&Notice::Unavailable));
    assert!(
        matches!(d.delivery("l2"), Some(Delivery::Pending { .. })),
        "kept, not lost"
    );
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("cannot start a support session")),
        "{:?}",
        d.warnings
    );

    d.cmd(Command::RetryConnection);
    assert_eq!(d.session_job(), None);
    d.answer(Outcome::Session(Ok(session("A3"))));
    d.answer(Outcome::Conversation(Ok(conversation("c_3"))));
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: sent("msg_9"),
    });
    assert_eq!(d.delivery("l2"), Some(Delivery::Sent));
    assert_eq!(d.engine.notice(), None);

    // Working again: a later loss is renewed, not a refusal.
    d.send("third", "l3");
    d.answer(Outcome::Sent {
        local_id: "l3".into(),
        result: Err(expired()),
    });
    assert_eq!(d.session_job(), None);
    assert_eq!(d.engine.notice(), None);
}

#[test]
fn another_tabs_conversation_comes_with_the_session_it_belongs_to() {
    let mut restored = Snapshot::new("v_anon".into());
    restored.session = Some(session("A"));
    let mut other = restored.clone();
    other.session = Some(session("B"));
    other.conversation = Some(conversation("c_1"));
    let mut d = Drive::new(Some(restored));
    d.cmd(Command::Synced(Box::new(other)));
    assert_eq!(d.engine.snapshot().session, Some(session("B")));
    assert_eq!(d.engine.conversation(), Some(&conversation("c_1")));

    // Another visitor's session is never taken.
    let mut restored = Snapshot::new("v_anon".into());
    restored.session = Some(session("A"));
    let mut other = restored.clone();
    other.session = Some(Session {
        id: "vis_2".into(),
        extra: Json::object([(TOKEN, Json::from("Z"))]),
    });
    other.conversation = Some(conversation("c_9"));
    let mut d = Drive::new(Some(restored));
    d.cmd(Command::Synced(Box::new(other)));
    assert_eq!(d.engine.snapshot().session, Some(session("A")));
}

// ---------------------------------------------------------------------------------------------
// The relay's event stream
// ---------------------------------------------------------------------------------------------

fn page(messages: Vec<Message>) -> Outcome {
    Outcome::Fetched(Ok(Page {
        messages,
        next: Cursor(Json::from("k")),
        more: false,
        warnings: vec![],
        presence: Default::default(),
        closed: false,
    }))
}

fn agent(id: &str, text: &str) -> Message {
    Message::received(
        id,
        Author::Agent { name: None },
        Body::Text(text.into()),
        1_700_000_000_000.0,
    )
}

impl Drive {
    /// Moves the clock `ms` on and says whether the engine then asks to read the conversation.
    fn reads_after(&mut self, ms: f64) -> bool {
        self.now += ms;
        self.cmd(Command::Tick);
        matches!(self.job.as_ref(), Some((_, Job::Fetch { .. })))
    }

    /// Answers the read under way with `messages`.
    fn read(&mut self, messages: Vec<Message>) {
        assert!(matches!(self.job(), Job::Fetch { .. }), "{:?}", self.job());
        self.answer(page(messages));
    }
}

#[test]
fn a_stream_that_opens_reads_once_at_once_then_polls_slowly() {
    let mut d = Drive::started();
    // The send's answer asked for a read soon (an answer usually follows).
    assert!(d.reads_after(4_000.0));
    d.read(vec![]);
    d.cmd(Command::Streaming(true));
    // Catch-up read at once: the stream replays nothing.
    d.read(vec![agent("r_1", "while you were away")]);
    assert_eq!(d.engine.messages().len(), 2);
    // Then the poll is only the safety net: every 30 s, not every 4 s, although open.
    assert!(!d.reads_after(29_000.0));
    assert!(d.reads_after(1_000.0));
    d.read(vec![]);
    // A message sent while streaming asks for no read soon: the answer comes on the stream.
    d.send("and now?", "l2");
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: sent("msg_2"),
    });
    assert!(!d.reads_after(29_000.0));
    assert!(d.reads_after(1_000.0));
    assert_eq!(d.engine.notice(), None);
}

#[test]
fn a_dropped_stream_reads_at_once_shows_no_notice_and_polls_as_before() {
    let mut d = Drive::started();
    d.cmd(Command::Streaming(true));
    d.read(vec![]);
    d.cmd(Command::Streaming(false));
    assert_eq!(
        d.engine.notice(),
        None,
        "polling carries on: nothing to tell"
    );
    // At once: bridges the gap, and meets an expired token as a poll does.
    d.answer(Outcome::Fetched(Err(expired())));
    assert_eq!(d.engine.snapshot().session, None, "the session is renewed");
    // With a new conversation, polls are back to every 4 s while the stream is down.
    d.send("again", "l2");
    d.answer(Outcome::Session(Ok(session("B"))));
    d.answer(Outcome::Conversation(Ok(conversation("c_2"))));
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: sent("msg_2"),
    });
    assert!(d.reads_after(4_000.0));
    d.read(vec![]);
    assert!(d.reads_after(4_000.0));
}

#[test]
fn the_streamed_echo_of_the_visitors_message_does_not_duplicate_its_bubble() {
    let mut d = Drive::started();
    d.cmd(Command::Streaming(true));
    d.read(vec![]);
    d.send("second", "l2");
    assert!(matches!(d.job(), Job::Send { .. }));
    // The echo arrives on the stream before the send's own answer.
    let mut echo = Message::received(
        "msg_2",
        Author::Visitor,
        Body::Text("second".into()),
        1_700_000_000_000.0,
    );
    echo.local_id = Some("l2".into());
    d.cmd(Command::Received(vec![echo.clone()]));
    d.answer(Outcome::Sent {
        local_id: "l2".into(),
        result: sent("msg_2"),
    });
    // And again, later, on a poll and on the stream.
    d.cmd(Command::Received(vec![echo.clone()]));
    assert!(d.reads_after(30_000.0));
    d.read(vec![echo]);
    let texts: Vec<String> = d
        .engine
        .messages()
        .iter()
        .map(|m| m.body.plain_text())
        .collect();
    assert_eq!(texts, ["hello", "second"]);
    assert_eq!(d.delivery("l2"), Some(Delivery::Sent));
    assert_eq!(d.engine.messages()[1].id, "msg_2");
    let sent_events = (d.events.iter())
        .filter(|e| matches!(e, WidgetEvent::Sent { id, .. } if id == "msg_2"))
        .count();
    assert_eq!(sent_events, 1, "{:?}", d.events);
}

#[test]
fn a_reset_forgets_the_stream() {
    let mut d = Drive::started();
    d.cmd(Command::Streaming(true));
    d.read(vec![]);
    d.cmd(Command::Reset {
        anon_id: "v_2".into(),
    });
    d.send("new person", "l9");
    d.answer(Outcome::Session(Ok(session("C"))));
    d.answer(Outcome::Conversation(Ok(conversation("c_3"))));
    d.answer(Outcome::Sent {
        local_id: "l9".into(),
        result: sent("msg_9"),
    });
    // Polls every 4 s: the new visitor's stream is not up yet.
    assert!(d.reads_after(4_000.0));
    d.read(vec![]);
    assert!(d.reads_after(4_000.0));
}
