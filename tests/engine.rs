//! The engine's state transitions, driven through the real local provider and local helpdesk
//! with a simulated clock: the same path the browser takes, minus the browser.

use helpwire::chat::engine::Planned;
use helpwire::chat::schedule::{backoff_ms, jitter, MAX_BACKOFF_MS};
use helpwire::chat::storage::Snapshot;
use helpwire::chat::{Command, Effect, Engine, Job, Notice, Outcome, WidgetEvent};
use helpwire::model::{Author, Delivery, Visitor};
use helpwire::provider::local::{LocalHelpdesk, LocalProvider, AGENT_NAME};
use helpwire::provider::{Plan, Provider, ProviderError};
use std::collections::VecDeque;

/// Runs an engine the way the wasm driver does, against an in-memory local helpdesk.
struct Harness {
    engine: Engine,
    provider: LocalProvider,
    helpdesk: LocalHelpdesk,
    now: f64,
    queue: VecDeque<(u64, Job)>,
    events: Vec<WidgetEvent>,
    /// Console warnings the engine asked for ([`Effect::Warn`]).
    warnings: Vec<String>,
    persisted: Option<Snapshot>,
    persist_count: usize,
    cleared: bool,
    wake: Option<f64>,
    /// Errors to return instead of performing the next requests.
    faults: VecDeque<ProviderError>,
    requests: Vec<String>,
}

impl Harness {
    fn new() -> Self {
        Self::with_snapshot(None, LocalHelpdesk::default())
    }

    fn with_snapshot(snapshot: Option<Snapshot>, helpdesk: LocalHelpdesk) -> Self {
        let provider = LocalProvider;
        Harness {
            engine: Engine::new(provider.capabilities(), snapshot, "v_test".into()),
            provider,
            helpdesk,
            now: 1_700_000_000_000.0,
            queue: VecDeque::new(),
            events: Vec::new(),
            warnings: Vec::new(),
            persisted: None,
            persist_count: 0,
            cleared: false,
            wake: None,
            faults: VecDeque::new(),
            requests: Vec::new(),
        }
    }

    fn cmd(&mut self, command: Command) {
        let effects = self.engine.handle(command, self.now);
        for effect in effects {
            match effect {
                Effect::Run { generation, job } => self.queue.push_back((generation, *job)),
                Effect::Persist => {
                    self.persisted = Some(self.engine.snapshot().clone());
                    self.persist_count += 1;
                }
                Effect::ClearStorage => {
                    self.cleared = true;
                    self.persisted = None;
                }
                Effect::Emit(e) => self.events.push(e),
                Effect::WakeAt(t) => self.wake = Some(t),
                Effect::Warn(w) => self.warnings.push(w),
            }
        }
    }

    fn perform<T: 'static>(&mut self, plan: Plan<T>) -> Result<T, ProviderError> {
        match plan {
            Plan::Ready(r) => r,
            Plan::Request { request, parse } => {
                self.requests
                    .push(format!("{} {}", request.method.as_str(), request.url));
                if let Some(fault) = self.faults.pop_front() {
                    return Err(fault);
                }
                let response = self.helpdesk.handle(&request, self.now);
                parse(&response)
            }
        }
    }

    fn execute(&mut self, job: Job) -> Outcome {
        match job.plan(&self.provider.clone()) {
            Planned::Session(plan) => Outcome::Session(self.perform(plan)),
            Planned::Conversation(plan) => Outcome::Conversation(self.perform(plan)),
            Planned::Send { local_id, plan } => Outcome::Sent {
                local_id,
                result: self.perform(plan),
            },
            Planned::Fetch(plan) => Outcome::Fetched(self.perform(plan)),
        }
    }

    /// Performs queued jobs (and the jobs they lead to) at the current time.
    fn settle(&mut self) {
        while let Some((generation, job)) = self.queue.pop_front() {
            let outcome = self.execute(job);
            self.cmd(Command::Finished {
                generation,
                outcome,
            });
        }
    }

    /// Moves the clock forward in small steps, firing wake-ups as the driver's timer would.
    fn advance(&mut self, ms: f64) {
        let end = self.now + ms;
        while self.now < end {
            self.now = (self.now + 100.0).min(end);
            if self.wake.is_some_and(|w| w <= self.now) {
                self.wake = None;
                self.cmd(Command::Tick);
            }
            self.settle();
        }
    }

    fn send(&mut self, text: &str, id: &str) {
        self.cmd(Command::Send {
            text: text.into(),
            local_id: id.into(),
        });
        self.settle();
    }

    fn statuses(&self) -> Vec<(&'static str, Option<&'static str>)> {
        self.engine
            .messages()
            .iter()
            .map(|m| (m.author.tag(), m.delivery.as_ref().map(Delivery::tag)))
            .collect()
    }

    fn status_of(&self, text: &str) -> Option<&'static str> {
        self.engine
            .messages()
            .iter()
            .find(|m| m.author == Author::Visitor && m.body.plain_text() == text)
            .and_then(|m| m.delivery.as_ref().map(Delivery::tag))
    }

    fn helpdesk_visitor_copies(&self, text: &str) -> usize {
        let json = self.helpdesk.to_json();
        json["conversations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["messages"].as_array().unwrap().iter())
            .filter(|m| m["role"] == "visitor" && m["body"] == text)
            .count()
    }
}

#[test]
fn nothing_is_stored_or_requested_before_the_visitor_opens_the_widget() {
    let mut h = Harness::new();
    h.cmd(Command::Visible(true));
    h.cmd(Command::Tick);
    h.cmd(Command::Online(true));
    h.advance(120_000.0);
    assert_eq!(h.persist_count, 0);
    assert!(h.requests.is_empty());
}

#[test]
fn opening_persists_and_the_first_message_opens_a_conversation_and_is_delivered() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    assert!(h.engine.is_open());
    assert!(h.events.contains(&WidgetEvent::Open));
    assert!(
        h.persisted.is_some(),
        "opening is consent to keep the conversation"
    );
    assert!(
        h.requests.is_empty(),
        "no conversation yet: nothing to fetch"
    );

    h.cmd(Command::Send {
        text: "  Hello there  ".into(),
        local_id: "m1".into(),
    });
    // Persisted as pending before the first attempt.
    let stored = h.persisted.clone().unwrap();
    assert_eq!(stored.messages.len(), 1);
    assert_eq!(
        stored.messages[0].delivery.as_ref().map(Delivery::tag),
        Some("pending")
    );
    assert_eq!(h.statuses(), [("visitor", Some("pending"))]);

    h.settle();
    assert_eq!(
        h.requests,
        [
            "POST local://helpdesk/sessions",
            "POST local://helpdesk/conversations",
            "POST local://helpdesk/conversations/conv_2/messages"
        ]
    );
    assert_eq!(h.statuses(), [("visitor", Some("sent"))]);
    assert_eq!(
        h.engine.messages()[0].body.plain_text(),
        "Hello there",
        "text is trimmed"
    );
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, WidgetEvent::Sent { text, .. } if text == "Hello there")));
    assert_eq!(
        h.persisted.unwrap().messages[0].delivery,
        Some(Delivery::Sent)
    );
}

#[test]
fn the_agent_answer_arrives_by_polling_after_a_realistic_delay() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("How much is the Team plan?", "m1");
    h.advance(500.0);
    assert_eq!(h.engine.messages().len(), 1, "no instant canned answer");
    h.advance(5_000.0);
    let messages = h.engine.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].author,
        Author::Agent {
            name: Some(AGENT_NAME.into())
        }
    );
    assert!(
        messages[1].body.plain_text().contains("billing"),
        "topic-aware reply"
    );
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, WidgetEvent::Message { author, .. } if author == AGENT_NAME)));
    assert_eq!(h.engine.unread(), 0, "read while open");
}

#[test]
fn replies_count_as_unread_while_closed_and_clear_on_open() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("refund please", "m1");
    h.cmd(Command::Close);
    h.advance(40_000.0);
    assert_eq!(h.engine.unread(), 1);
    assert!(h.events.contains(&WidgetEvent::Unread(1)));
    h.cmd(Command::Open);
    assert_eq!(h.engine.unread(), 0);
    assert_eq!(h.events.last(), Some(&WidgetEvent::Open));
    assert!(h.events.contains(&WidgetEvent::Unread(0)));
}

#[test]
fn polling_is_slower_while_closed_and_stops_while_hidden() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hi", "m1");
    h.advance(3_000.0);
    let fetches = |h: &Harness| h.requests.iter().filter(|r| r.starts_with("GET")).count();

    let before = fetches(&h);
    h.advance(15_000.0);
    let open_rate = fetches(&h) - before;
    assert!(open_rate >= 8, "open: every 1.5 s, got {open_rate} in 15 s");

    h.cmd(Command::Close);
    let before = fetches(&h);
    h.advance(60_000.0);
    let closed_rate = fetches(&h) - before;
    assert!(
        (3..=5).contains(&closed_rate),
        "closed: every 15 s, got {closed_rate} in 60 s"
    );

    h.cmd(Command::Visible(false));
    let before = fetches(&h);
    h.advance(120_000.0);
    assert_eq!(fetches(&h), before, "no requests while the tab is hidden");

    h.cmd(Command::Visible(true));
    h.settle();
    assert_eq!(
        fetches(&h),
        before + 1,
        "catches up at once when visible again"
    );
}

#[test]
fn a_network_error_keeps_the_message_pending_and_it_is_delivered_exactly_once() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("first", "m1");
    h.faults
        .push_back(ProviderError::Network("connection reset".into()));
    h.faults.push_back(ProviderError::Timeout);
    h.send("second", "m2");
    assert_eq!(h.statuses()[1], ("visitor", Some("pending")));
    assert_eq!(h.engine.notice(), Some(&Notice::Reconnecting));
    h.advance(10_000.0);
    assert_eq!(h.statuses()[1], ("visitor", Some("sent")));
    assert_eq!(h.helpdesk_visitor_copies("second"), 1);
    assert_eq!(h.engine.notice(), None, "notice clears once delivered");
}

#[test]
fn messages_are_delivered_in_the_order_they_were_written() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.faults.push_back(ProviderError::Network("offline".into()));
    h.cmd(Command::Send {
        text: "one".into(),
        local_id: "m1".into(),
    });
    h.cmd(Command::Send {
        text: "two".into(),
        local_id: "m2".into(),
    });
    h.cmd(Command::Send {
        text: "three".into(),
        local_id: "m3".into(),
    });
    h.settle();
    h.advance(20_000.0);
    let json = h.helpdesk.to_json();
    let bodies: Vec<&str> = json["conversations"][0]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "visitor")
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["one", "two", "three"]);
}

#[test]
fn retry_after_is_honoured() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.faults.push_back(ProviderError::Status {
        status: 429,
        detail: "slow down".into(),
        retry_after: Some(20),
    });
    h.send("again", "m2");
    h.advance(19_000.0);
    assert_eq!(
        h.statuses()[1].1,
        Some("pending"),
        "must wait the full Retry-After"
    );
    h.advance(3_000.0);
    assert_eq!(h.statuses()[1].1, Some("sent"));
}

#[test]
fn a_permanent_refusal_marks_the_message_failed_until_the_visitor_retries() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.faults.push_back(ProviderError::Status {
        status: 422,
        detail: "bad".into(),
        retry_after: None,
    });
    h.send("rejected", "m2");
    assert_eq!(h.status_of("rejected"), Some("failed"));
    assert!(h.events.iter().any(|e| matches!(e, WidgetEvent::Error(_))));
    h.advance(60_000.0);
    assert_eq!(
        h.status_of("rejected"),
        Some("failed"),
        "no automatic retry of a permanent error"
    );
    h.send("later", "m3");
    assert_eq!(
        h.status_of("later"),
        Some("sent"),
        "a failed message does not block the next one"
    );
    h.cmd(Command::Retry {
        local_id: "m2".into(),
    });
    h.settle();
    assert_eq!(h.status_of("rejected"), Some("sent"));
    assert_eq!(h.helpdesk_visitor_copies("rejected"), 1);
}

#[test]
fn a_session_that_cannot_start_shows_an_error_the_visitor_can_retry() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.faults.push_back(ProviderError::Status {
        status: 401,
        detail: "invalid key".into(),
        retry_after: None,
    });
    h.send("hello", "m1");
    assert_eq!(h.engine.notice(), Some(&Notice::Unavailable));
    assert!(h.warnings.iter().any(|w| w.contains("invalid key")));
    assert_eq!(h.statuses()[0].1, Some("pending"), "kept, not lost");
    h.advance(120_000.0);
    assert_eq!(
        h.requests.len(),
        1,
        "halted: no hammering a backend that refused us"
    );
    h.cmd(Command::RetryConnection);
    h.settle();
    assert_eq!(h.engine.notice(), None);
    assert_eq!(h.statuses()[0].1, Some("sent"));
}

#[test]
fn a_reload_resumes_the_same_conversation() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.advance(5_000.0);
    let snapshot = Snapshot::from_json(&h.persisted.clone().unwrap().to_json()).unwrap();
    assert_eq!(snapshot.messages.len(), 2);

    // "Reload": a new engine from storage, the same helpdesk.
    let mut again = Harness::with_snapshot(Some(snapshot), h.helpdesk.clone());
    again.now = h.now + 1_000.0;
    assert_eq!(
        again.engine.messages().len(),
        2,
        "history shows at once, before any request"
    );
    again.cmd(Command::Open);
    again.settle();
    assert_eq!(
        again.requests[0], "POST local://helpdesk/sessions",
        "resumes the session"
    );
    again.send("still there?", "m2");
    again.advance(5_000.0);
    assert_eq!(again.engine.messages().len(), 4);
    assert_eq!(
        again.engine.conversation().map(|c| c.id.clone()),
        h.engine.conversation().map(|c| c.id.clone()),
        "same conversation"
    );
}

#[test]
fn reset_forgets_the_visitor_and_ignores_answers_to_old_requests() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.cmd(Command::Send {
        text: "secret".into(),
        local_id: "m1".into(),
    });
    // A job is in flight; reset before it answers.
    let (generation, job) = h.queue.pop_front().unwrap();
    h.cmd(Command::Reset {
        anon_id: "v_new".into(),
    });
    assert!(h.cleared);
    assert!(h.engine.messages().is_empty());
    assert_eq!(h.engine.visitor().anon_id, "v_new");
    let outcome = h.execute(job);
    h.cmd(Command::Finished {
        generation,
        outcome,
    });
    assert!(h.engine.messages().is_empty());
    assert!(h.engine.conversation().is_none());
    assert!(
        h.persisted.is_none(),
        "nothing written again until the visitor opens"
    );
}

#[test]
fn identify_as_another_user_starts_a_fresh_conversation() {
    let mut h = Harness::new();
    let alice = Visitor {
        user_id: Some("alice".into()),
        email: Some("a@example.com".into()),
        ..Visitor::default()
    };
    h.cmd(Command::Identify {
        identity: alice,
        fresh_anon_id: "v2".into(),
    });
    assert!(h.persisted.is_some(), "identify allows storage");
    h.cmd(Command::Open);
    h.send("hi from alice", "m1");
    assert_eq!(h.engine.visitor().email.as_deref(), Some("a@example.com"));

    let same = Visitor {
        user_id: Some("alice".into()),
        name: Some("Alice".into()),
        ..Visitor::default()
    };
    h.cmd(Command::Identify {
        identity: same,
        fresh_anon_id: "v3".into(),
    });
    assert_eq!(
        h.engine.messages().len(),
        1,
        "same person: keep the conversation"
    );
    assert_eq!(h.engine.visitor().name.as_deref(), Some("Alice"));
    assert_eq!(
        h.engine.visitor().email.as_deref(),
        Some("a@example.com"),
        "fields merge"
    );

    let bob = Visitor {
        user_id: Some("bob".into()),
        ..Visitor::default()
    };
    h.cmd(Command::Identify {
        identity: bob,
        fresh_anon_id: "v4".into(),
    });
    assert!(
        h.engine.messages().is_empty(),
        "bob must never see alice's chat"
    );
    assert_eq!(h.engine.visitor().anon_id, "v4");
}

#[test]
fn empty_and_oversized_messages_are_not_sent() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("   \n ", "m1");
    assert!(h.engine.messages().is_empty());
    let huge = "x".repeat(h.engine.capabilities().max_message_chars + 1);
    h.send(&huge, "m2");
    assert!(h.engine.messages().is_empty());
    assert!(matches!(h.engine.notice(), Some(Notice::TooLong { .. })));
    h.send("ok now", "m3");
    assert_eq!(h.engine.notice(), None);
}

#[test]
fn pushed_messages_are_deduplicated_and_counted() {
    let mut h = Harness::new();
    let m = helpwire::model::Message::received(
        "a1",
        Author::Agent { name: None },
        helpwire::model::Body::Text("pushed".into()),
        1.0,
    );
    h.cmd(Command::Received(vec![m.clone()]));
    h.cmd(Command::Received(vec![m]));
    assert_eq!(h.engine.messages().len(), 1);
    assert_eq!(h.engine.unread(), 1);
}

#[test]
fn the_visitors_own_messages_from_a_fetch_are_not_shown_twice() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("only once", "m1");
    // Forget the cursor to make the next fetch return everything again.
    h.advance(5_000.0);
    let visitor_messages = h
        .engine
        .messages()
        .iter()
        .filter(|m| m.author == Author::Visitor)
        .count();
    assert_eq!(visitor_messages, 1);
}

#[test]
fn backoff_grows_is_capped_jittered_and_floored_by_retry_after() {
    let a1 = backoff_ms(1, None, 0.0);
    let a3 = backoff_ms(3, None, 0.0);
    assert!(a3 > a1);
    assert!(backoff_ms(30, None, 0.999) <= MAX_BACKOFF_MS);
    assert!(backoff_ms(30, None, 0.0) >= MAX_BACKOFF_MS / 2.0);
    assert_eq!(backoff_ms(1, Some(30), 0.5), 30_000.0);
    let j1 = jitter("visitor-a", 1);
    let j2 = jitter("visitor-b", 1);
    assert!((0.0..1.0).contains(&j1) && (0.0..1.0).contains(&j2));
    assert_ne!(j1, j2, "different visitors retry at different times");
    assert_eq!(j1, jitter("visitor-a", 1), "deterministic");
}

#[test]
fn polls_that_bring_nothing_new_write_nothing() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.advance(5_000.0);
    let writes = h.persist_count;
    h.advance(30_000.0);
    assert!(h.requests.iter().filter(|r| r.starts_with("GET")).count() > 10);
    assert_eq!(h.persist_count, writes, "no storage writes for empty polls");
}

#[test]
fn a_push_backend_gets_its_conversation_id_later_and_can_close_it() {
    use helpwire::model::Conversation;
    let caps = helpwire::provider::Capabilities {
        polling: false,
        ..Default::default()
    };
    let mut engine = Engine::new(caps, None, "v".into());
    let now = 1_000.0;
    engine.handle(Command::Open, now);
    let fx = engine.handle(
        Command::Send {
            text: "hi".into(),
            local_id: "m1".into(),
        },
        now,
    );
    let Some(Effect::Run { generation, .. }) =
        fx.iter().find(|e| matches!(e, Effect::Run { .. })).cloned()
    else {
        panic!("expected a session job: {fx:?}")
    };
    let session = helpwire::model::Session {
        id: "s".into(),
        extra: helpwire::json::Json::Null,
    };
    let fx = engine.handle(
        Command::Finished {
            generation,
            outcome: Outcome::Session(Ok(session)),
        },
        now,
    );
    let Some(Effect::Run { generation, .. }) =
        fx.into_iter().find(|e| matches!(e, Effect::Run { .. }))
    else {
        panic!("expected the open-conversation job")
    };
    let pending = Conversation {
        id: String::new(),
        extra: helpwire::json::Json::Null,
    };
    let fx = engine.handle(
        Command::Finished {
            generation,
            outcome: Outcome::Conversation(Ok(pending)),
        },
        now,
    );
    assert!(fx
        .iter()
        .any(|e| matches!(e, Effect::Run { job, .. } if matches!(**job, Job::Send { .. }))));
    engine.handle(Command::ConversationAssigned("t-1".into()), now);
    assert_eq!(engine.conversation().map(|c| c.id.as_str()), Some("t-1"));
    engine.handle(Command::ConversationClosed("other".into()), now);
    assert!(
        engine.conversation().is_some(),
        "only the matching conversation closes"
    );
    engine.handle(Command::ConversationClosed("t-1".into()), now);
    assert!(engine.conversation().is_none());
}

#[test]
fn a_sent_message_without_a_backend_id_is_paired_with_its_stored_copy() {
    use helpwire::model::{Body, Conversation, Message, Session};
    use helpwire::provider::Sent;
    // A backend that confirms a send without the stored id (Eusate without an ack body): a later
    // read must not show the visitor's message twice.
    let mut engine = Engine::new(LocalProvider.capabilities(), None, "v".into());
    let run = |engine: &mut Engine, fx: Vec<Effect>, outcome: &dyn Fn(&Job) -> Outcome| {
        let (generation, job) = fx
            .into_iter()
            .find_map(|e| match e {
                Effect::Run { generation, job } => Some((generation, *job)),
                _ => None,
            })
            .expect("a job");
        engine.handle(
            Command::Finished {
                generation,
                outcome: outcome(&job),
            },
            2.0,
        )
    };
    engine.handle(Command::Open, 1.0);
    let fx = engine.handle(
        Command::Send {
            text: "ok".into(),
            local_id: "l1".into(),
        },
        1.0,
    );
    let fx = run(&mut engine, fx, &|_| {
        Outcome::Session(Ok(Session {
            id: "s".into(),
            extra: helpwire::json::Json::Null,
        }))
    });
    let fx = run(&mut engine, fx, &|_| {
        Outcome::Conversation(Ok(Conversation {
            id: "c".into(),
            extra: helpwire::json::Json::Null,
        }))
    });
    run(&mut engine, fx, &|_| Outcome::Sent {
        local_id: "l1".into(),
        result: Ok(Sent {
            remote_id: "l1".into(),
            created_at: None,
            replies: vec![],
        }),
    });
    assert_eq!(engine.messages()[0].delivery, Some(Delivery::Sent));

    let stored = |id: &str| Message::received(id, Author::Visitor, Body::Text("ok".into()), 1.0);
    engine.handle(Command::Received(vec![stored("r1")]), 3.0);
    assert_eq!(engine.messages().len(), 1, "paired, not duplicated");
    assert_eq!(engine.messages()[0].id, "r1");
    engine.handle(Command::Received(vec![stored("r1")]), 4.0);
    assert_eq!(engine.messages().len(), 1);
    // The same words written on another device are a new message.
    engine.handle(Command::Received(vec![stored("r2")]), 5.0);
    assert_eq!(engine.messages().len(), 2);
}

/// The first job an effect list starts, if any.
fn job_of(fx: &[Effect]) -> Option<&Job> {
    fx.iter().find_map(|e| match e {
        Effect::Run { job, .. } => Some(&**job),
        _ => None,
    })
}

#[test]
fn two_tabs_share_messages_but_only_the_writer_sends_until_it_is_gone() {
    use helpwire::model::{Conversation, Session};
    let caps = LocalProvider.capabilities();
    let session = Session {
        id: "s".into(),
        extra: helpwire::json::Json::Null,
    };
    let conversation = Conversation {
        id: "c".into(),
        extra: helpwire::json::Json::Null,
    };
    let mut shared = Snapshot::new("v".into());
    shared.session = Some(session);
    shared.conversation = Some(conversation);

    let mut a = Engine::new(caps, Some(shared.clone()), "v".into()).with_tab("tab-a");
    let mut b = Engine::new(caps, Some(shared), "v".into()).with_tab("tab-b");
    let both = Some(vec!["tab-a".to_string(), "tab-b".to_string()]);
    a.handle(Command::TabsAlive(both.clone()), 1.0);
    b.handle(Command::TabsAlive(both), 1.0);

    // Tab A writes; tab B learns of it through storage but does not send it.
    a.handle(
        Command::Send {
            text: "from tab a".into(),
            local_id: "m1".into(),
        },
        2.0,
    );
    let fx = b.handle(Command::Synced(Box::new(a.snapshot().clone())), 2.0);
    assert_eq!(b.messages().len(), 1, "tab B shows tab A's message");
    assert!(
        !matches!(
            job_of(&fx),
            Some(Job::Send { .. } | Job::OpenConversation { .. })
        ),
        "tab B must not send tab A's message: {fx:?}"
    );
    assert!(b.has_foreign_pending());

    // Tab A is closed before delivering: tab B adopts the message and sends it.
    let fx = b.handle(Command::TabsAlive(Some(vec!["tab-b".into()])), 3.0);
    assert!(!b.has_foreign_pending());
    let fx = if job_of(&fx).is_some() {
        fx
    } else {
        b.handle(Command::Tick, 3.0)
    };
    // This tab first confirms the session (it has not talked to the backend yet).
    let started = fx.iter().find_map(|e| match e {
        Effect::Run { generation, job } if matches!(**job, Job::StartSession { .. }) => {
            Some(*generation)
        }
        _ => None,
    });
    let fx = match started {
        Some(generation) => {
            let session = helpwire::model::Session {
                id: "s".into(),
                extra: helpwire::json::Json::Null,
            };
            let outcome = Outcome::Session(Ok(session));
            b.handle(
                Command::Finished {
                    generation,
                    outcome,
                },
                3.0,
            )
        }
        None => fx,
    };
    assert!(
        matches!(job_of(&fx), Some(Job::Send { message, .. }) if message.local_id == "m1"),
        "tab B sends the orphan: {fx:?}"
    );
}

#[test]
fn a_delivery_in_one_tab_shows_as_sent_in_the_other() {
    let mut a = Harness::new();
    a.engine = a.engine.clone().with_tab("tab-a");
    a.cmd(Command::Open);
    a.send("hello", "m1");
    assert_eq!(a.status_of("hello"), Some("sent"));

    let mut b = Engine::new(LocalProvider.capabilities(), None, "v_test".into()).with_tab("tab-b");
    let mut pending = a.engine.snapshot().clone();
    pending.messages[0].delivery = Some(Delivery::Pending {
        attempts: 0,
        retry_at: 0.0,
    });
    b.handle(Command::Synced(Box::new(pending)), 1.0);
    assert_eq!(
        b.messages()[0].delivery.as_ref().map(Delivery::tag),
        Some("pending")
    );
    b.handle(Command::Synced(Box::new(a.engine.snapshot().clone())), 2.0);
    assert_eq!(b.messages().len(), 1, "merged, not duplicated");
    assert_eq!(b.messages()[0].delivery, Some(Delivery::Sent));
}

#[test]
fn a_reset_in_another_tab_is_followed() {
    let mut a = Engine::new(LocalProvider.capabilities(), None, "v1".into()).with_tab("a");
    a.handle(Command::Open, 1.0);
    a.handle(
        Command::Send {
            text: "secret".into(),
            local_id: "m1".into(),
        },
        1.0,
    );
    let fresh = Snapshot::new("v2".into());
    a.handle(Command::Synced(Box::new(fresh)), 2.0);
    assert!(a.messages().is_empty());
    assert_eq!(a.visitor().anon_id, "v2");
}

#[test]
fn a_copy_fetched_before_the_other_tab_reported_delivery_is_not_shown_twice() {
    use helpwire::model::{Body, Message};
    let mut b = Engine::new(LocalProvider.capabilities(), None, "v".into()).with_tab("tab-b");
    // Tab A's message arrives pending through storage…
    let mut from_a = Message::received("m1", Author::Visitor, Body::Text("hi".into()), 1.0);
    from_a.local_id = Some("m1".into());
    from_a.origin = Some("tab-a".into());
    from_a.delivery = Some(Delivery::Pending {
        attempts: 0,
        retry_at: 0.0,
    });
    let mut snapshot = Snapshot::new("v".into());
    snapshot.messages.push(from_a.clone());
    b.handle(Command::Synced(Box::new(snapshot.clone())), 1.0);
    // …tab B's own poll brings the stored copy…
    let stored = Message::received("r1", Author::Visitor, Body::Text("hi".into()), 2.0);
    b.handle(Command::Received(vec![stored]), 2.0);
    // …then tab A reports it delivered as r1.
    snapshot.messages[0].id = "r1".into();
    snapshot.messages[0].delivery = Some(Delivery::Sent);
    b.handle(Command::Synced(Box::new(snapshot)), 3.0);
    let ids: Vec<&str> = b.messages().iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["r1"], "one message");
    assert_eq!(b.messages()[0].delivery, Some(Delivery::Sent));
}

#[test]
fn backend_words_never_reach_a_notice_and_go_to_the_console() {
    const BODY: &str = "{\"error\":\"SECRET-BACKEND-BODY: key bnc_x revoked\"}";
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.faults.push_back(ProviderError::Status {
        status: 401,
        detail: BODY.into(),
        retry_after: None,
    });
    h.send("hello", "m1");
    let notice = format!("{:?}", h.engine.notice());
    assert!(notice.contains("Unavailable"), "{notice}");
    assert!(!notice.contains("SECRET"), "the notice is a kind: {notice}");
    assert!(
        h.warnings.iter().any(|w| w.contains(BODY)),
        "the detail is for the console: {:?}",
        h.warnings
    );

    // A message the backend refuses: its reason goes to the console too.
    h.cmd(Command::RetryConnection);
    h.settle();
    h.faults.push_back(ProviderError::Malformed {
        reason: "not JSON".into(),
        body: "<html>SECRET-PROXY-PAGE</html>".into(),
    });
    h.send("second", "m2");
    assert_eq!(h.status_of("second"), Some("failed"));
    assert!(
        h.warnings.iter().any(|w| w.contains("SECRET-PROXY-PAGE")),
        "{:?}",
        h.warnings
    );
}

#[test]
fn only_a_message_taken_into_the_outbox_counts_as_accepted() {
    use helpwire::chat::engine::message_chars;
    let mut h = Harness::new();
    h.cmd(Command::Open);
    let limit = h.engine.capabilities().max_message_chars;

    h.send(&"x".repeat(limit + 1), "long");
    assert!(!h.engine.accepted("long"), "refused: the composer keeps it");
    assert_eq!(h.engine.notice(), Some(&Notice::TooLong { limit }));
    assert!(h.engine.messages().is_empty());
    h.send(" \n ", "blank");
    assert!(!h.engine.accepted("blank"));

    // Characters, not bytes, and trimmed the way it is sent: exactly the limit is taken.
    let at_limit = format!("  {}\n", "é".repeat(limit));
    assert_eq!(message_chars(&at_limit), limit);
    h.send(&at_limit, "fits");
    assert!(h.engine.accepted("fits"));
    assert_eq!(
        h.engine.notice(),
        None,
        "a message taken clears the refusal"
    );
    assert_eq!(h.status_of(&"é".repeat(limit)), Some("sent"));
}
