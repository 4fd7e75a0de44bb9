//! The engine's state transitions, driven through the real local provider and local helpdesk
//! with a simulated clock: the same path the browser takes, minus the browser.

use helpwire_core::engine::schedule::{backoff_ms, jitter, MAX_BACKOFF_MS, MAX_RETRY_AFTER_MS};
use helpwire_core::engine::storage::Snapshot;
use helpwire_core::engine::Planned;
use helpwire_core::engine::{Command, Effect, Engine, Job, Notice, Outcome, WidgetEvent};
use helpwire_core::model::{Author, Body, Delivery, Visitor};
use helpwire_core::protocol::local::{LocalHelpdesk, LocalProvider, AGENT_NAME};
use helpwire_core::protocol::{Plan, Provider, ProviderError};
use std::collections::VecDeque;

/// Runs an engine the way the wasm driver does: performs its effects, carries out its jobs
/// against a [`Backend`], and fires its wake-ups on a simulated clock.
struct Sim<B> {
    engine: Engine,
    backend: B,
    now: f64,
    queue: VecDeque<(u64, Job)>,
    events: Vec<WidgetEvent>,
    /// Console warnings the engine asked for ([`Effect::Warn`]).
    warnings: Vec<String>,
    persisted: Option<Snapshot>,
    persist_count: usize,
    cleared: bool,
    wake: Option<f64>,
    /// How often the conversation on screen became another ([`Effect::Switched`]).
    switched: usize,
}

/// What answers the engine's jobs in a [`Sim`].
trait Backend {
    /// Carries out `job` at the simulated time `now`.
    fn execute(&mut self, job: Job, now: f64) -> Outcome;
}

impl<B: Backend> Sim<B> {
    fn start(engine: Engine, backend: B) -> Self {
        Sim {
            engine,
            backend,
            now: 1_700_000_000_000.0,
            queue: VecDeque::new(),
            events: Vec::new(),
            warnings: Vec::new(),
            persisted: None,
            persist_count: 0,
            cleared: false,
            wake: None,
            switched: 0,
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
                Effect::Switched => self.switched += 1,
            }
        }
    }

    /// Carries out one job now, without handing its outcome to the engine.
    fn execute(&mut self, job: Job) -> Outcome {
        self.backend.execute(job, self.now)
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
}

/// The in-memory local helpdesk, through the real local provider.
struct Local {
    provider: LocalProvider,
    helpdesk: LocalHelpdesk,
    /// Errors to return instead of performing the next requests.
    faults: VecDeque<ProviderError>,
    requests: Vec<String>,
}

impl Local {
    fn perform<T: 'static>(&mut self, plan: Plan<T>, now: f64) -> Result<T, ProviderError> {
        match plan {
            Plan::Ready(r) => r,
            Plan::Request { request, parse } => {
                self.requests
                    .push(format!("{} {}", request.method.as_str(), request.url));
                if let Some(fault) = self.faults.pop_front() {
                    return Err(fault);
                }
                let response = self.helpdesk.handle(&request, now);
                parse(&response)
            }
        }
    }
}

impl Backend for Local {
    fn execute(&mut self, job: Job, now: f64) -> Outcome {
        match job.plan(&self.provider.clone()) {
            Planned::Session(plan) => Outcome::Session(self.perform(plan, now)),
            Planned::Conversation(plan) => Outcome::Conversation(self.perform(plan, now)),
            Planned::Send { local_id, plan } => Outcome::Sent {
                local_id,
                result: self.perform(plan, now),
            },
            Planned::Fetch(plan) => Outcome::Fetched(self.perform(plan, now)),
            Planned::List(plan) => Outcome::Listed(self.perform(plan, now)),
        }
    }
}

/// An engine on the local helpdesk.
type Harness = Sim<Local>;

impl Harness {
    fn new() -> Self {
        Self::with_snapshot(None, LocalHelpdesk::default())
    }

    fn with_snapshot(snapshot: Option<Snapshot>, helpdesk: LocalHelpdesk) -> Self {
        Self::with_caps(LocalProvider.capabilities(), snapshot, helpdesk)
    }

    /// An engine that believes its backend has `caps`, on the local helpdesk.
    fn with_caps(
        caps: helpwire_core::protocol::Capabilities,
        snapshot: Option<Snapshot>,
        helpdesk: LocalHelpdesk,
    ) -> Self {
        Sim::start(
            Engine::new(caps, snapshot, "v_test".into()),
            Local {
                provider: LocalProvider,
                helpdesk,
                faults: VecDeque::new(),
                requests: Vec::new(),
            },
        )
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
        let json = self.backend.helpdesk.to_json();
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
    assert!(h.backend.requests.is_empty());
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
        h.backend.requests.is_empty(),
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
        h.backend.requests,
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

/// Adds `message` (JSON text) to the helpdesk's one conversation, as a tampered store would.
fn store_raw(h: &mut Harness, message: &str) {
    let state = h.backend.helpdesk.to_json().to_string();
    // The conversation's `messages` is its last field, and it is the only conversation.
    let state = state.replacen(
        r#"]}],"scheduled""#,
        &format!(r#",{message}]}}],"scheduled""#),
        1,
    );
    h.backend.helpdesk =
        LocalHelpdesk::from_json(&helpwire_core::json::Json::parse(&state).unwrap()).unwrap();
}

#[test]
fn a_message_with_an_unusable_time_takes_the_previous_ones_and_never_blocks_the_next() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.advance(5_000.0);
    assert_eq!(h.engine.messages().len(), 2, "the agent answered");
    let previous = h.engine.messages()[1].created_at;
    for (i, bad) in ["1e20", "-1", "1e308"].iter().enumerate() {
        store_raw(
            &mut h,
            &format!(
                r#"{{"id": "h{i}", "role": "agent", "name": null, "body": "Hostile {i}", "created_at": {bad}, "client_id": null}}"#
            ),
        );
    }
    h.advance(5_000.0);
    let hostile: Vec<f64> = h.engine.messages()[2..]
        .iter()
        .map(|m| m.created_at)
        .collect();
    assert_eq!(
        hostile, [previous; 3],
        "each takes the time of the one before"
    );
    assert_eq!(h.warnings.len(), 3, "one warning each: {:?}", h.warnings);
    // Later polls pass them by, and what comes after arrives.
    h.send("still there?", "m2");
    h.advance(5_000.0);
    assert_eq!(h.status_of("still there?"), Some("sent"));
    assert_eq!(h.helpdesk_visitor_copies("still there?"), 1);
    assert_eq!(
        h.engine.messages().len(),
        7,
        "the agent's answer came through"
    );
    assert!(h.engine.messages()[6].author.is_support());
    assert_eq!(h.warnings.len(), 3, "warned once per message");
}

#[test]
fn a_pushed_message_without_a_usable_time_and_nothing_before_it_is_dated_now() {
    let mut h = Harness::new();
    for t in [f64::NAN, 1e20, -1.0, f64::INFINITY] {
        let m = helpwire_core::model::Message::received(
            format!("p{t}"),
            Author::Agent { name: None },
            helpwire_core::model::Body::Text("pushed".into()),
            t,
        );
        h.cmd(Command::Received(vec![m]));
    }
    let times: Vec<f64> = h.engine.messages().iter().map(|m| m.created_at).collect();
    assert_eq!(times, [h.now; 4], "now, then the previous message's");
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
    let fetches = |h: &Harness| {
        h.backend
            .requests
            .iter()
            .filter(|r| r.starts_with("GET"))
            .count()
    };

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
    h.backend
        .faults
        .push_back(ProviderError::Network("connection reset".into()));
    h.backend.faults.push_back(ProviderError::Timeout);
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
    h.backend
        .faults
        .push_back(ProviderError::Network("offline".into()));
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
    let json = h.backend.helpdesk.to_json();
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
    h.backend.faults.push_back(ProviderError::Status {
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
fn a_huge_retry_after_is_capped() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.backend.faults.push_back(ProviderError::Status {
        status: 429,
        detail: "slow down".into(),
        retry_after: Some(u32::MAX),
    });
    h.send("again", "m2");
    assert_eq!(h.engine.notice(), Some(&Notice::Reconnecting));
    h.advance(MAX_RETRY_AFTER_MS - 1_000.0);
    assert_eq!(
        h.status_of("again"),
        Some("pending"),
        "the capped wait is honoured"
    );
    h.advance(1_100.0);
    assert_eq!(
        h.status_of("again"),
        Some("sent"),
        "retried once the cap has passed, while online and without the visitor doing anything"
    );
    assert_eq!(h.helpdesk_visitor_copies("again"), 1);
    assert_eq!(h.engine.notice(), None);
}

#[test]
fn a_permanent_refusal_marks_the_message_failed_until_the_visitor_retries() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    h.backend.faults.push_back(ProviderError::Status {
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
    h.backend.faults.push_back(ProviderError::Status {
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
        h.backend.requests.len(),
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
    let mut again = Harness::with_snapshot(Some(snapshot), h.backend.helpdesk.clone());
    again.now = h.now + 1_000.0;
    assert_eq!(
        again.engine.messages().len(),
        2,
        "history shows at once, before any request"
    );
    again.cmd(Command::Open);
    again.settle();
    assert_eq!(
        again.backend.requests[0], "POST local://helpdesk/sessions",
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
    let m = helpwire_core::model::Message::received(
        "a1",
        Author::Agent { name: None },
        helpwire_core::model::Body::Text("pushed".into()),
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
    assert_eq!(backoff_ms(1, Some(u32::MAX), 0.5), MAX_RETRY_AFTER_MS);
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
    assert!(
        h.backend
            .requests
            .iter()
            .filter(|r| r.starts_with("GET"))
            .count()
            > 10
    );
    assert_eq!(h.persist_count, writes, "no storage writes for empty polls");
}

#[test]
fn a_push_backend_gets_its_conversation_id_later_and_can_close_it() {
    use helpwire_core::model::Conversation;
    let caps = helpwire_core::protocol::Capabilities {
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
    let session = helpwire_core::model::Session {
        id: "s".into(),
        extra: helpwire_core::json::Json::Null,
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
        extra: helpwire_core::json::Json::Null,
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
    // With the list (host tests build every feature): it stays on screen, read-only.
    assert!(engine.is_closed());
    assert_eq!(engine.conversation().map(|c| c.id.as_str()), Some("t-1"));
}

#[test]
fn a_lost_push_socket_shows_reconnecting_until_it_is_back() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    assert_eq!(h.engine.notice(), None);
    h.cmd(Command::PushConnected(false));
    assert_eq!(h.engine.notice(), Some(&Notice::Reconnecting));
    h.advance(30_000.0);
    assert!(
        h.backend.requests.iter().any(|r| r.starts_with("GET")),
        "reads over HTTP went on"
    );
    assert_eq!(
        h.engine.notice(),
        Some(&Notice::Reconnecting),
        "a read that works over HTTP does not mean the socket is back"
    );
    h.cmd(Command::PushConnected(true));
    assert_eq!(h.engine.notice(), None);
}

#[test]
fn a_push_socket_coming_back_does_not_lift_a_halt() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.backend.faults.push_back(ProviderError::Status {
        status: 401,
        detail: "invalid key".into(),
        retry_after: None,
    });
    h.send("hello", "m1");
    let unavailable = |h: &Harness| matches!(h.engine.notice(), Some(Notice::Unavailable));
    assert!(unavailable(&h));
    h.cmd(Command::PushConnected(false));
    assert!(unavailable(&h), "the refusal is what the visitor must see");
    h.cmd(Command::PushConnected(true));
    h.settle();
    h.advance(120_000.0);
    assert!(unavailable(&h), "still unavailable, with its Retry");
    assert_eq!(
        h.backend.requests.len(),
        1,
        "still halted: nothing was sent"
    );
    assert_eq!(h.status_of("hello"), Some("pending"));
    h.cmd(Command::RetryConnection);
    h.settle();
    assert_eq!(h.engine.notice(), None);
    assert_eq!(h.status_of("hello"), Some("sent"));
}

#[test]
fn a_sent_message_without_a_backend_id_is_paired_with_its_stored_copy() {
    use helpwire_core::model::{Body, Conversation, Message, Session};
    use helpwire_core::protocol::Sent;
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
            extra: helpwire_core::json::Json::Null,
        }))
    });
    let fx = run(&mut engine, fx, &|_| {
        Outcome::Conversation(Ok(Conversation {
            id: "c".into(),
            extra: helpwire_core::json::Json::Null,
        }))
    });
    run(&mut engine, fx, &|_| Outcome::Sent {
        local_id: "l1".into(),
        result: Ok(Sent {
            remote_id: "l1".into(),
            created_at: None,
            replies: vec![],
            warnings: vec![],
            presence: Default::default(),
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
    use helpwire_core::model::{Conversation, Session};
    let caps = LocalProvider.capabilities();
    let session = Session {
        id: "s".into(),
        extra: helpwire_core::json::Json::Null,
    };
    let conversation = Conversation {
        id: "c".into(),
        extra: helpwire_core::json::Json::Null,
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
            let session = helpwire_core::model::Session {
                id: "s".into(),
                extra: helpwire_core::json::Json::Null,
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
    use helpwire_core::model::{Body, Message};
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

// ---------------------------------------------------------------------------------------------
// Sends whose outcome is unknown (the answer was lost, or the page went away while it was in
// flight), against a backend like Bancroft, Gleap, Gurusup or Eusate: its history shows the
// visitor's messages with its own ids and times, never the widget's local id.
// ---------------------------------------------------------------------------------------------

/// What happens to the next send.
#[derive(Clone, Copy, Debug, PartialEq)]
enum SendFault {
    /// Stored, then the connection drops before the answer.
    StoredThenDropped,
    /// Stored, and the widget gave up waiting (timeout).
    StoredThenTimedOut,
    /// The connection drops before the backend sees it: nothing stored.
    DroppedBefore,
    /// The backend answers 503 without storing anything.
    Unavailable,
    /// Stored, and answered with a 2xx the widget cannot read.
    StoredThenGarbled,
    /// Not stored, and answered with a 2xx the widget cannot read (a captive portal's page).
    Garbled,
}

fn garbled() -> ProviderError {
    ProviderError::Malformed {
        reason: "expected JSON".into(),
        body: "<html>".into(),
    }
}

/// A remote helpdesk for the engine: stores the visitor's messages and lists them back, and
/// fails as scripted.
struct Scripted {
    /// The backend's clock minus the browser's.
    clock_offset: f64,
    /// `(id, text, created_at)`, oldest first.
    stored: Vec<(String, String, f64)>,
    send_faults: VecDeque<SendFault>,
    fetch_faults: VecDeque<ProviderError>,
    /// "send" or "fetch", in order.
    requests: Vec<&'static str>,
    /// Every read lists the whole history (as after an edit), whatever the cursor.
    replay_all: bool,
    /// What the backend's own list of the visitor's conversations answers.
    listing: Result<helpwire_core::protocol::Listing, ProviderError>,
}

impl Scripted {
    /// Stores a visitor message as the backend would (its id, its clock).
    fn store(&mut self, text: &str, now: f64) -> String {
        let id = format!("r{}", self.stored.len() + 1);
        let at = now + self.clock_offset;
        self.stored.push((id.clone(), text.to_string(), at));
        id
    }
}

impl Backend for Scripted {
    fn execute(&mut self, job: Job, now: f64) -> Outcome {
        use helpwire_core::model::{Body, Conversation, Message, Session};
        use helpwire_core::protocol::{Cursor, Page, Sent};
        match job {
            Job::StartSession { .. } => Outcome::Session(Ok(Session {
                id: "s".into(),
                extra: helpwire_core::json::Json::Null,
            })),
            Job::OpenConversation { .. } => Outcome::Conversation(Ok(Conversation {
                id: "c".into(),
                extra: helpwire_core::json::Json::Null,
            })),
            Job::Send { message, .. } => {
                self.requests.push("send");
                let result = match self.send_faults.pop_front() {
                    Some(SendFault::StoredThenDropped) => {
                        self.store(&message.text, now);
                        Err(ProviderError::Network("connection reset".into()))
                    }
                    Some(SendFault::StoredThenTimedOut) => {
                        self.store(&message.text, now);
                        Err(ProviderError::Timeout)
                    }
                    Some(SendFault::DroppedBefore) => {
                        Err(ProviderError::Network("connection reset".into()))
                    }
                    Some(SendFault::StoredThenGarbled) => {
                        self.store(&message.text, now);
                        Err(garbled())
                    }
                    Some(SendFault::Garbled) => Err(garbled()),
                    Some(SendFault::Unavailable) => Err(ProviderError::Status {
                        status: 503,
                        detail: "unavailable".into(),
                        retry_after: None,
                    }),
                    None => {
                        let remote_id = self.store(&message.text, now);
                        Ok(Sent {
                            remote_id,
                            created_at: Some(now + self.clock_offset),
                            replies: Vec::new(),
                            warnings: Vec::new(),
                            presence: Default::default(),
                        })
                    }
                };
                Outcome::Sent {
                    local_id: message.local_id,
                    result,
                }
            }
            Job::Fetch { cursor, .. } => {
                self.requests.push("fetch");
                if let Some(e) = self.fetch_faults.pop_front() {
                    return Outcome::Fetched(Err(e));
                }
                let seen = match self.replay_all {
                    true => 0,
                    false => cursor.0.as_u64().unwrap_or(0) as usize,
                };
                let messages = self.stored[seen.min(self.stored.len())..]
                    .iter()
                    .map(|(id, text, at)| {
                        Message::received(id, Author::Visitor, Body::Text(text.clone()), *at)
                    })
                    .collect();
                Outcome::Fetched(Ok(Page {
                    messages,
                    next: Cursor(helpwire_core::json::Json::from(self.stored.len() as u64)),
                    more: false,
                    warnings: Vec::new(),
                    presence: Default::default(),
                    closed: false,
                }))
            }
            Job::List { .. } => {
                self.requests.push("list");
                Outcome::Listed(self.listing.clone())
            }
        }
    }
}

/// An engine on the scripted helpdesk.
type Remote = Sim<Scripted>;

impl Remote {
    fn new(caps: helpwire_core::protocol::Capabilities) -> Self {
        Self::resume(caps, None, Vec::new())
    }

    /// A page load with `snapshot` from storage, against a backend holding `stored`.
    fn resume(
        caps: helpwire_core::protocol::Capabilities,
        snapshot: Option<Snapshot>,
        stored: Vec<(String, String, f64)>,
    ) -> Self {
        Sim::start(
            Engine::new(caps, snapshot, "v_remote".into()),
            Scripted {
                clock_offset: 0.0,
                stored,
                send_faults: VecDeque::new(),
                fetch_faults: VecDeque::new(),
                requests: Vec::new(),
                replay_all: false,
                listing: Ok(Default::default()),
            },
        )
    }

    /// Stores a visitor message now, as the backend would.
    fn store(&mut self, text: &str) -> String {
        self.backend.store(text, self.now)
    }

    /// The visitor's message `local_id` as shown.
    fn shown(&self, local_id: &str) -> &helpwire_core::model::Message {
        self.engine
            .messages()
            .iter()
            .find(|m| m.local_id.as_deref() == Some(local_id))
            .expect("the visitor's message is shown")
    }

    fn status(&self, local_id: &str) -> &'static str {
        self.shown(local_id)
            .delivery
            .as_ref()
            .map_or("", Delivery::tag)
    }

    fn copies(&self, text: &str) -> usize {
        self.backend
            .stored
            .iter()
            .filter(|(_, t, _)| t == text)
            .count()
    }

    fn sent_events(&self, text: &str) -> usize {
        self.events
            .iter()
            .filter(|e| matches!(e, WidgetEvent::Sent { text: t, .. } if t == text))
            .count()
    }

    /// A first message delivered, so that a conversation exists and has been read.
    fn warmed_up() -> Self {
        let mut r = Remote::new(LocalProvider.capabilities());
        r.cmd(Command::Open);
        r.send("hello", "m0");
        r.advance(2_000.0);
        assert_eq!(r.status("m0"), "sent");
        r.backend.requests.clear();
        r
    }
}

#[test]
fn a_send_whose_answer_was_lost_is_found_in_the_conversation_and_not_sent_again() {
    for fault in [SendFault::StoredThenDropped, SendFault::StoredThenTimedOut] {
        let mut r = Remote::warmed_up();
        r.backend.send_faults.push_back(fault);
        r.send("are you there?", "m1");
        assert_eq!(
            r.status("m1"),
            "pending",
            "{fault:?}: unknown, so not shown as sent"
        );
        assert!(r.shown("m1").unconfirmed);
        r.advance(10_000.0);
        assert_eq!(r.status("m1"), "sent", "{fault:?}");
        assert_eq!(r.copies("are you there?"), 1, "{fault:?}: stored once");
        assert_eq!(
            r.shown("m1").id,
            "r2",
            "{fault:?}: known by the backend's id"
        );
        assert_eq!(
            r.backend.requests[..2],
            ["send", "fetch"],
            "{fault:?}: read, not resent"
        );
        assert!(
            !r.backend.requests[2..].contains(&"send"),
            "{fault:?}: {:?}",
            r.backend.requests
        );
        assert_eq!(r.sent_events("are you there?"), 1, "{fault:?}");
        let visitor = r
            .engine
            .messages()
            .iter()
            .filter(|m| m.author == Author::Visitor);
        assert_eq!(visitor.count(), 2, "{fault:?}: shown once");
        let stored = r.persisted.clone().unwrap();
        let m1 = stored.messages.iter().find(|m| m.id == "r2").unwrap();
        assert_eq!(
            m1.delivery,
            Some(Delivery::Sent),
            "{fault:?}: stored as sent"
        );
        assert!(!m1.unconfirmed && m1.attempted_at.is_none());
    }
}

#[test]
fn a_send_lost_before_it_was_stored_is_sent_again_after_the_conversation_was_read() {
    let mut r = Remote::warmed_up();
    r.backend.send_faults.push_back(SendFault::DroppedBefore);
    r.send("are you there?", "m1");
    assert_eq!(r.status("m1"), "pending");
    r.advance(10_000.0);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.copies("are you there?"), 1);
    assert_eq!(r.backend.requests[..3], ["send", "fetch", "send"]);
    assert_eq!(r.sent_events("are you there?"), 1);
}

#[test]
fn an_answered_failure_is_sent_again_without_reading_first() {
    let mut r = Remote::warmed_up();
    r.backend.send_faults.push_back(SendFault::Unavailable);
    r.send("are you there?", "m1");
    assert!(!r.shown("m1").unconfirmed, "a 503 is the backend's answer");
    r.advance(10_000.0);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.backend.requests[..2], ["send", "send"]);
    assert_eq!(r.copies("are you there?"), 1);
}

#[test]
fn a_reload_while_the_answer_was_on_its_way_finds_the_stored_message() {
    for stored_before_reload in [true, false] {
        let mut r = Remote::warmed_up();
        r.cmd(Command::Send {
            text: "sent as the page closed".into(),
            local_id: "m1".into(),
        });
        // The request leaves; the page goes away before its answer.
        let (_, job) = r.queue.pop_front().expect("the send");
        assert!(matches!(job, Job::Send { .. }));
        let stored = r
            .persisted
            .clone()
            .expect("written before the request left");
        let m1 = stored.messages.iter().find(|m| m.id == "m1").unwrap();
        assert!(m1.unconfirmed, "known to be in flight");
        assert_eq!(m1.attempted_at, Some(r.now));
        if stored_before_reload {
            r.execute(job);
        }

        let snapshot = Snapshot::from_json(&stored.to_json()).unwrap();
        let mut again = Remote::resume(
            LocalProvider.capabilities(),
            Some(snapshot),
            r.backend.stored.clone(),
        );
        again.now = r.now + 3_000.0;
        again.cmd(Command::Open);
        again.settle();
        again.advance(5_000.0);
        let label = format!("stored before the reload: {stored_before_reload}");
        assert_eq!(again.status("m1"), "sent", "{label}");
        assert_eq!(again.copies("sent as the page closed"), 1, "{label}");
        assert_eq!(again.backend.requests[0], "fetch", "{label}: reads first");
        let sends = again
            .backend
            .requests
            .iter()
            .filter(|r| **r == "send")
            .count();
        assert_eq!(sends, usize::from(!stored_before_reload), "{label}");
        assert_eq!(again.shown("m1").id, "r2", "{label}");
    }
}

#[test]
fn a_copy_older_than_the_first_attempt_is_not_taken_for_it() {
    let skew = helpwire_core::engine::CLOCK_SKEW_MS;
    // The backend's clock a little behind the browser's: still the same message.
    let mut r = Remote::warmed_up();
    r.backend.clock_offset = -(skew - 1_000.0);
    r.backend
        .send_faults
        .push_back(SendFault::StoredThenDropped);
    r.send("same words", "m1");
    r.advance(10_000.0);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.copies("same words"), 1);

    // The same words stored well before the first attempt (written on another device, not read
    // yet): not this message, which was lost and is sent again.
    let mut r = Remote::warmed_up();
    r.backend.clock_offset = -(skew + 60_000.0);
    r.store("same words");
    r.backend.clock_offset = 0.0;
    r.backend.send_faults.push_back(SendFault::DroppedBefore);
    r.send("same words", "m1");
    r.advance(10_000.0);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.shown("m1").id, "r3", "its own copy");
    assert_eq!(r.copies("same words"), 2);
    let shown = r.engine.messages().iter();
    let same = shown
        .filter(|m| m.body.plain_text() == "same words")
        .count();
    assert_eq!(same, 2, "the other device's message and this one");
}

#[test]
fn two_identical_messages_in_a_row_are_both_delivered() {
    // Both answers lost after storing: each copy pairs with one message.
    let mut r = Remote::warmed_up();
    r.backend
        .send_faults
        .push_back(SendFault::StoredThenDropped);
    r.backend
        .send_faults
        .push_back(SendFault::StoredThenDropped);
    r.cmd(Command::Send {
        text: "ok".into(),
        local_id: "m1".into(),
    });
    r.cmd(Command::Send {
        text: "ok".into(),
        local_id: "m2".into(),
    });
    r.settle();
    r.advance(20_000.0);
    assert_eq!((r.status("m1"), r.status("m2")), ("sent", "sent"));
    assert_eq!(r.copies("ok"), 2);
    assert_ne!(r.shown("m1").id, r.shown("m2").id);
    assert_eq!(r.sent_events("ok"), 2);

    // The first delivered, the second lost before storing: the first's copy is not the second.
    let mut r = Remote::warmed_up();
    // Reads list the whole history: the first copy comes back too.
    r.backend.replay_all = true;
    r.send("ok", "m1");
    r.backend.send_faults.push_back(SendFault::DroppedBefore);
    r.send("ok", "m2");
    r.advance(20_000.0);
    assert_eq!((r.status("m1"), r.status("m2")), ("sent", "sent"));
    assert_eq!(r.copies("ok"), 2, "the second was sent again");
    assert_ne!(r.shown("m1").id, r.shown("m2").id);
}

#[test]
fn a_backend_without_history_sends_again_at_once() {
    // The bot contract: nothing to read, so today's behaviour (the documented duplicate).
    let caps = helpwire_core::protocol::Capabilities {
        shows_own_messages: false,
        ..LocalProvider.capabilities()
    };
    let mut r = Remote::new(caps);
    r.cmd(Command::Open);
    r.send("hello", "m0");
    r.backend.requests.clear();
    r.backend
        .send_faults
        .push_back(SendFault::StoredThenDropped);
    r.send("again", "m1");
    r.advance(3_000.0);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.backend.requests[..2], ["send", "send"]);
}

#[test]
fn a_failed_read_delays_the_resend_and_an_unreadable_history_gives_up_checking() {
    let mut r = Remote::warmed_up();
    r.backend.send_faults.push_back(SendFault::DroppedBefore);
    r.backend
        .fetch_faults
        .push_back(ProviderError::Network("still down".into()));
    r.send("are you there?", "m1");
    r.advance(1_500.0);
    assert_eq!(r.backend.requests, ["send", "fetch"]);
    assert_eq!(r.status("m1"), "pending", "not sent while unknown");
    assert_eq!(r.engine.notice(), Some(&Notice::Reconnecting));
    r.advance(10_000.0);
    assert_eq!(r.backend.requests[..4], ["send", "fetch", "fetch", "send"]);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.copies("are you there?"), 1);

    let mut r = Remote::warmed_up();
    r.backend.send_faults.push_back(SendFault::DroppedBefore);
    r.backend.fetch_faults.push_back(ProviderError::Status {
        status: 403,
        detail: "forbidden".into(),
        retry_after: None,
    });
    r.send("are you there?", "m1");
    r.advance(10_000.0);
    assert_eq!(r.backend.requests[..3], ["send", "fetch", "send"]);
    assert_eq!(r.status("m1"), "sent");
    assert!(
        r.warnings.iter().any(|w| w.contains("sending it again")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn only_errors_without_the_backends_answer_leave_a_send_unconfirmed() {
    let status = |status| ProviderError::Status {
        status,
        detail: String::new(),
        retry_after: None,
    };
    assert!(ProviderError::Network("reset".into()).may_have_arrived());
    assert!(ProviderError::Timeout.may_have_arrived());
    assert!(status(502).may_have_arrived() && status(504).may_have_arrived());
    assert!(garbled().may_have_arrived(), "a 2xx: most likely stored");
    assert!(!ProviderError::Config("no email".into()).may_have_arrived());
    for s in [400, 404, 429, 500, 503] {
        assert!(!status(s).may_have_arrived(), "{s}");
    }
}

#[test]
fn an_unreadable_answer_fails_the_message_until_a_read_shows_it_was_stored() {
    let mut r = Remote::warmed_up();
    r.backend
        .send_faults
        .push_back(SendFault::StoredThenGarbled);
    r.send("are you there?", "m1");
    assert_eq!(
        r.status("m1"),
        "failed",
        "not retried behind the visitor's back"
    );
    r.advance(10_000.0);
    assert_eq!(r.status("m1"), "sent", "the next read found it");
    assert_eq!(r.shown("m1").id, "r2");
    assert_eq!(r.copies("are you there?"), 1);

    // Not stored: the visitor's Retry reads first, then sends.
    let mut r = Remote::warmed_up();
    r.backend.send_faults.push_back(SendFault::Garbled);
    r.send("are you there?", "m1");
    r.cmd(Command::Close);
    r.advance(1_000.0);
    assert_eq!(r.status("m1"), "failed");
    r.backend.requests.clear();
    r.cmd(Command::Retry {
        local_id: "m1".into(),
    });
    r.settle();
    assert_eq!(r.backend.requests, ["fetch", "send"]);
    assert_eq!(r.status("m1"), "sent");
    assert_eq!(r.copies("are you there?"), 1);
}

#[test]
fn a_message_adopted_while_a_read_was_under_way_waits_for_the_next_read() {
    // Tab A sends and closes before the answer; tab B is reading the conversation meanwhile.
    let mut a = Remote::warmed_up();
    a.engine = a.engine.clone().with_tab("tab-a");
    a.cmd(Command::Send {
        text: "from tab a".into(),
        local_id: "m1".into(),
    });
    let shared = a.persisted.clone().expect("stored before the request left");
    let mut b = Remote::resume(
        LocalProvider.capabilities(),
        Some(shared),
        a.backend.stored.clone(),
    );
    b.engine = b.engine.clone().with_tab("tab-b");
    b.now = a.now;
    b.cmd(Command::TabsAlive(Some(vec![
        "tab-a".into(),
        "tab-b".into(),
    ])));
    b.cmd(Command::Open);
    let (generation, session) = b.queue.pop_front().expect("the session");
    let outcome = b.execute(session);
    b.cmd(Command::Finished {
        generation,
        outcome,
    });
    let (generation, read) = b.queue.pop_front().expect("a read");
    assert!(matches!(read, Job::Fetch { .. }));
    // The read is answered before tab A's message is stored…
    let outcome = b.execute(read);
    b.store("from tab a");
    // …tab A is gone, and tab B adopts the message before that answer arrives.
    b.cmd(Command::TabsAlive(Some(vec!["tab-b".into()])));
    b.cmd(Command::Finished {
        generation,
        outcome,
    });
    b.settle();
    b.advance(10_000.0);
    assert_eq!(b.status("m1"), "sent");
    assert_eq!(
        b.copies("from tab a"),
        1,
        "not sent again: {:?}",
        b.backend.requests
    );
}

#[test]
fn backend_words_never_reach_a_notice_and_go_to_the_console() {
    const BODY: &str = "{\"error\":\"SECRET-BACKEND-BODY: key bnc_x revoked\"}";
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.backend.faults.push_back(ProviderError::Status {
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
    h.backend.faults.push_back(ProviderError::Malformed {
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
    use helpwire_core::engine::message_chars;
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

#[test]
fn support_types_from_the_send_until_its_answer_which_marks_the_message_seen() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("Hello, a question", "m1");
    assert!(
        h.engine.is_typing(),
        "the send's answer says the agent is writing"
    );
    assert!(h.engine.seen_message().is_none(), "not read yet");
    h.advance(500.0);
    assert!(
        h.engine.is_typing(),
        "still writing before the answer is due"
    );
    h.advance(5_000.0);
    assert_eq!(h.engine.messages().len(), 2, "the answer came");
    assert!(!h.engine.is_typing(), "typing ends with the answer");
    let seen = h.engine.seen_message().map(|m| m.local_id.clone());
    assert_eq!(
        seen,
        Some(Some("m1".to_string())),
        "the agent read it as it answered"
    );

    // A new message is not seen until the agent answers it, even before the backend has it.
    h.cmd(Command::Send {
        text: "And another".into(),
        local_id: "m2".into(),
    });
    assert!(
        h.engine.seen_message().is_none(),
        "a pending message is never seen"
    );
    h.settle();
    assert!(h.engine.seen_message().is_none());
    assert!(h.engine.is_typing());
    h.advance(5_000.0);
    let seen = h.engine.seen_message().map(|m| m.local_id.clone());
    assert_eq!(seen, Some(Some("m2".to_string())));
}

#[test]
fn typing_ends_when_the_backend_cannot_be_read_and_with_the_visitor() {
    let mut h = Harness::new();
    h.cmd(Command::Open);
    h.send("Hello", "m1");
    assert!(h.engine.is_typing());
    h.backend
        .faults
        .push_back(ProviderError::Network("connection reset".into()));
    h.advance(1_600.0);
    assert!(!h.engine.is_typing(), "not known to go on without a read");
    h.advance(10_000.0);
    assert!(h.engine.seen_message().is_some());
    h.cmd(Command::Reset {
        anon_id: "v_next".into(),
    });
    assert!(!h.engine.is_typing());
    assert!(
        h.engine.seen_message().is_none(),
        "a reset forgets what support did"
    );
}

/// An engine on the local helpdesk in test mode (`data-local-replies="script"`).
fn scripted() -> Harness {
    let mut h = Harness::new();
    h.backend.helpdesk.scripted = true;
    h
}

/// The agent's messages the engine holds, as text.
fn agent_texts(h: &Harness) -> Vec<String> {
    h.engine
        .messages()
        .iter()
        .filter(|m| m.author != Author::Visitor)
        .map(|m| m.body.plain_text())
        .collect()
}

#[test]
fn in_test_mode_support_never_answers_by_itself() {
    let mut h = scripted();
    h.cmd(Command::Open);
    h.send("How much is the Team plan?", "m1");
    h.advance(120_000.0);
    assert_eq!(h.statuses(), [("visitor", Some("sent"))]);
    assert!(!h.backend.helpdesk.has_scheduled_replies());
}

#[test]
fn a_scripted_reply_shows_exactly_when_it_falls_due_and_is_read_at_once() {
    let mut h = scripted();
    h.cmd(Command::Open);
    h.send("hello", "m1");
    // Off the poll's beat (polls every 1.5 s while open), as the web layer asks.
    h.advance(730.0);
    let due = h.now + 2_010.0;
    assert!(h
        .backend
        .helpdesk
        .script_reply("Scripted answer", due, false));
    h.cmd(Command::ReadAt(due));
    // Polls come and go without it.
    h.advance(2_000.0);
    assert!(agent_texts(&h).is_empty());
    assert_eq!(h.wake, Some(due), "the next wake-up is the read asked for");
    h.advance(10.0);
    assert_eq!(
        agent_texts(&h),
        ["Scripted answer"],
        "read when it fell due"
    );
    assert_eq!(h.engine.messages()[1].created_at, due);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, WidgetEvent::Message { text, .. } if text == "Scripted answer")));
    // Several replies with no delay arrive in the order the test gave them.
    for text in ["one", "two"] {
        assert!(h.backend.helpdesk.script_reply(text, h.now, false));
    }
    h.cmd(Command::ReadAt(h.now));
    h.settle();
    assert_eq!(agent_texts(&h), ["Scripted answer", "one", "two"]);
}

#[test]
fn a_forced_failed_delivery_waits_for_the_visitors_retry_and_is_then_stored_once() {
    let mut h = scripted();
    h.cmd(Command::Open);
    h.send("first", "m1");
    h.backend.helpdesk.fail_next_delivery();
    h.send("second", "m2");
    assert_eq!(h.status_of("second"), Some("failed"));
    // Refused, not lost in transit: no retry by itself, however long it waits.
    h.advance(120_000.0);
    assert_eq!(h.status_of("second"), Some("failed"));
    assert_eq!(h.helpdesk_visitor_copies("second"), 0);
    assert!(h
        .events
        .iter()
        .any(|e| matches!(e, WidgetEvent::Error(text) if text.contains("not delivered"))));
    h.cmd(Command::Retry {
        local_id: "m2".into(),
    });
    h.settle();
    assert_eq!(h.status_of("second"), Some("sent"));
    assert_eq!(h.helpdesk_visitor_copies("second"), 1);
    // Only the next one failed.
    h.send("third", "m3");
    assert_eq!(h.status_of("third"), Some("sent"));
}

/// The local helpdesk, noting the `recent` messages each send carries (the bot contract's
/// last comments).
struct NotingRecent {
    local: Local,
    recent: Vec<Vec<String>>,
}

impl Backend for NotingRecent {
    fn execute(&mut self, job: Job, now: f64) -> Outcome {
        if let Job::Send { recent, .. } = &job {
            self.recent
                .push(recent.iter().map(|m| m.body.plain_text()).collect());
        }
        self.local.execute(job, now)
    }
}

#[test]
fn a_send_carries_the_last_delivered_messages_before_it_oldest_first() {
    let provider = LocalProvider;
    let mut helpdesk = LocalHelpdesk::default();
    helpdesk.scripted = true;
    let mut sim = Sim::start(
        Engine::new(provider.capabilities(), None, "v_test".into()),
        NotingRecent {
            local: Local {
                provider,
                helpdesk,
                faults: VecDeque::new(),
                requests: Vec::new(),
            },
            recent: Vec::new(),
        },
    );
    sim.cmd(Command::Open);
    sim.settle();
    for (i, text) in ["one", "two", "three"].iter().enumerate() {
        sim.send(text, &format!("m{i}"));
    }
    // "refused" fails for good (a client error) and stays in the log, not delivered.
    sim.backend.local.helpdesk.fail_next_delivery();
    sim.send("refused", "m3");
    for (i, text) in ["four", "five", "six"].iter().enumerate() {
        sim.send(text, &format!("m{}", i + 4));
    }
    let carried = |texts: &[&str]| texts.iter().map(|t| t.to_string()).collect::<Vec<_>>();
    // Each send, in order, carries at most RECENT_MESSAGES (4) of the newest messages before
    // it, never one that was not delivered ("four" does not carry "refused").
    assert_eq!(
        sim.backend.recent,
        [
            carried(&[]),
            carried(&["one"]),
            carried(&["one", "two"]),
            carried(&["one", "two", "three"]),
            carried(&["one", "two", "three"]),
            carried(&["one", "two", "three", "four"]),
            carried(&["two", "three", "four", "five"]),
        ]
    );
}

/// Several conversations (cargo feature `conversations`).
#[cfg(feature = "conversations")]
mod conversations {
    use super::*;
    use helpwire_core::engine::conversations::{Summary, PREVIEW_CHARS};

    fn list(h: &Harness) -> Vec<(String, bool)> {
        h.engine
            .conversations()
            .into_iter()
            .map(|s: Summary| (s.preview, s.current))
            .collect()
    }

    fn texts(h: &Harness) -> Vec<String> {
        h.engine
            .messages()
            .iter()
            .map(|m| m.body.plain_text())
            .collect()
    }

    #[test]
    fn a_new_conversation_keeps_the_first_in_the_list_and_opening_it_reads_its_history() {
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.send("How much is the Team plan?", "m1");
        h.advance(6_000.0);
        assert_eq!(texts(&h).len(), 2, "the question and support's answer");
        let first = h.engine.conversation().unwrap().id.clone();
        let answer = texts(&h)[1].clone();
        let preview = helpwire_core::protocol::wire::cut(&answer, PREVIEW_CHARS);
        assert!(preview.ends_with('…') && preview.chars().count() <= PREVIEW_CHARS + 1);

        h.cmd(Command::NewConversation);
        assert!(
            h.engine.messages().is_empty(),
            "a new conversation starts empty"
        );
        assert!(h.engine.conversation().is_none());
        assert_eq!(list(&h), [(preview.clone(), false)]);
        assert_eq!(
            h.persisted.as_ref().unwrap().archive.len(),
            1,
            "the list is stored"
        );

        h.advance(1_000.0);
        h.send("My invoice is wrong", "m2");
        let second = h.engine.conversation().unwrap().id.clone();
        assert_ne!(
            first, second,
            "the first message opened a second conversation"
        );
        assert_eq!(
            list(&h),
            [
                ("My invoice is wrong".to_string(), true),
                (preview.clone(), false)
            ],
            "newest activity first"
        );

        h.cmd(Command::OpenConversation(first.clone()));
        assert!(h.events.contains(&WidgetEvent::Conversation(first.clone())));
        h.settle();
        assert_eq!(
            texts(&h),
            ["How much is the Team plan?".to_string(), answer.clone()],
            "the first conversation's history, read again"
        );
        assert_eq!(h.engine.conversation().unwrap().id, first);
        let summaries = h.engine.conversations();
        assert_eq!(summaries.len(), 2);
        assert!(summaries
            .iter()
            .any(|s| !s.current && s.id == second && s.preview == "My invoice is wrong"));
        assert_eq!(h.helpdesk_visitor_copies("How much is the Team plan?"), 1);
        assert_eq!(h.helpdesk_visitor_copies("My invoice is wrong"), 1);

        // Writing there goes to that conversation.
        h.send("Thanks!", "m3");
        assert_eq!(h.engine.conversation().unwrap().id, first);
        assert_eq!(h.status_of("Thanks!"), Some("sent"));
    }

    #[test]
    fn the_visitor_cannot_leave_a_conversation_while_a_message_is_on_its_way() {
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.send("first", "m1");
        h.backend
            .faults
            .push_back(ProviderError::Network("offline".into()));
        h.send("second", "m2");
        assert_eq!(h.status_of("second"), Some("pending"));
        assert!(!h.engine.can_switch());
        h.cmd(Command::NewConversation);
        assert_eq!(texts(&h), ["first", "second"], "nothing left behind");
        assert!(h.warnings.iter().any(|w| w.contains("still on its way")));

        h.advance(120_000.0);
        assert_eq!(h.status_of("second"), Some("sent"));
        assert!(h.engine.can_switch());
        h.cmd(Command::NewConversation);
        assert!(h.engine.messages().is_empty());
        assert_eq!(h.helpdesk_visitor_copies("second"), 1);
    }

    #[test]
    fn a_refused_message_goes_with_its_conversation_and_comes_back_with_it() {
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.send("first", "m1");
        h.advance(6_000.0);
        let first = h.engine.conversation().unwrap().id.clone();
        h.backend.helpdesk.fail_next_delivery();
        h.send("refused", "m2");
        assert_eq!(h.status_of("refused"), Some("failed"));
        // Refused for good, not on its way: it does not keep the visitor here.
        assert!(h.engine.can_switch());
        h.cmd(Command::NewConversation);
        assert!(h.engine.messages().is_empty(), "a new conversation");
        h.send("another question", "m3");
        assert_eq!(h.helpdesk_visitor_copies("refused"), 0);

        // Through a reload: the refused text is kept with its conversation.
        let json = h.persisted.clone().unwrap().to_json();
        let restored = Snapshot::from_json(&json).unwrap();
        assert_eq!(restored.archive[0].kept.len(), 1);

        h.cmd(Command::OpenConversation(first.clone()));
        h.settle();
        let shown = texts(&h);
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert_eq!(shown[0], "first");
        assert_eq!(shown[2], "refused", "after the history read again, by time");
        assert_eq!(h.status_of("refused"), Some("failed"));
        h.cmd(Command::Retry {
            local_id: "m2".into(),
        });
        h.settle();
        assert_eq!(h.status_of("refused"), Some("sent"));
        assert_eq!(h.helpdesk_visitor_copies("refused"), 1);
        assert_eq!(
            h.engine.conversation().unwrap().id,
            first,
            "stored in its own"
        );
    }

    #[test]
    fn a_refused_message_without_a_conversation_id_still_keeps_the_visitor_there() {
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.backend.helpdesk.fail_next_delivery();
        h.send("refused", "m1");
        assert_eq!(h.status_of("refused"), Some("failed"));
        assert!(h.engine.can_switch());
        // A backend that opens the conversation with the first message, and refused it: the
        // conversation has no id to be found again by (stored so, then loaded).
        let mut state = h.persisted.clone().unwrap();
        state.conversation = None;
        let mut h = Harness::with_snapshot(Some(state), LocalHelpdesk::default());
        h.cmd(Command::Open);
        assert_eq!(h.status_of("refused"), Some("failed"));
        assert!(!h.engine.can_switch(), "nothing to find it again by");
        h.cmd(Command::NewConversation);
        assert_eq!(texts(&h), ["refused"], "nothing lost");
    }

    #[test]
    fn show_conversations_opens_the_list_and_choosing_one_leaves_it() {
        let mut h = Harness::new();
        h.cmd(Command::ShowConversations);
        assert!(h.engine.is_open() && h.engine.is_listing());
        h.cmd(Command::NewConversation);
        assert!(
            !h.engine.is_listing(),
            "an empty conversation is already on screen"
        );
        h.send("hello", "m1");
        let id = h.engine.conversation().unwrap().id.clone();
        h.cmd(Command::ShowConversations);
        h.cmd(Command::OpenConversation(id));
        assert!(!h.engine.is_listing(), "the one on screen: back to it");
        assert_eq!(texts(&h), ["hello"], "and nothing was read again");
        h.cmd(Command::OpenConversation("conv_unknown".into()));
        assert!(h.warnings.iter().any(|w| w.contains("conv_unknown")));
        assert_eq!(texts(&h), ["hello"]);
    }

    #[test]
    fn a_conversation_support_closes_stays_read_only_is_marked_in_the_list_and_a_message_opens_a_new_one(
    ) {
        use helpwire_core::engine::conversations::PEEK_INTERVAL_MS;
        let mut h = scripted();
        h.cmd(Command::Open);
        h.send("hello", "m1");
        let id = h.engine.conversation().unwrap().id.clone();
        assert!(h
            .backend
            .helpdesk
            .script_reply("Solved; closing this.", h.now + 1_000.0, true));
        h.advance(3_000.0);
        // Read from the backend's answer: the conversation stays, read-only, with the notice last.
        assert!(h.engine.is_closed());
        assert_eq!(h.engine.conversation().unwrap().id, id);
        assert_eq!(texts(&h), ["hello", "Solved; closing this.", ""]);
        let last = h.engine.messages().last().unwrap();
        assert_eq!(
            last.body,
            Body::Notice(helpwire_core::model::SystemNotice::ConversationClosed)
        );
        // No more reading of it, however long the panel stays open.
        let reads = h.backend.requests.len();
        h.advance(10.0 * PEEK_INTERVAL_MS);
        assert_eq!(
            h.backend.requests.len(),
            reads,
            "{:?}",
            &h.backend.requests[reads..]
        );
        let summary = &h.engine.conversations()[0];
        assert!(summary.closed && summary.current);
        // Through a reload it is still closed, and the notice is not added twice.
        let restored = Snapshot::from_json(&h.persisted.clone().unwrap().to_json()).unwrap();
        assert!(restored.closed);
        let mut h = Harness::with_snapshot(Some(restored), h.backend.helpdesk.clone());
        h.cmd(Command::Open);
        h.advance(3_000.0);
        assert_eq!(texts(&h), ["hello", "Solved; closing this.", ""]);

        // A message sent anyway (the JS API) opens a new conversation; the closed one is listed.
        h.send("one more thing", "m2");
        assert!(!h.engine.is_closed());
        assert_ne!(h.engine.conversation().unwrap().id, id);
        assert_eq!(h.helpdesk_visitor_copies("one more thing"), 1);
        let closed: Vec<_> = h
            .engine
            .conversations()
            .into_iter()
            .filter(|s| s.closed)
            .map(|s| s.id)
            .collect();
        assert_eq!(closed, std::slice::from_ref(&id));
        // The light check leaves it alone: nothing more comes.
        let before = h.backend.requests.len();
        h.advance(3.0 * PEEK_INTERVAL_MS);
        let checked = h.backend.requests[before..]
            .iter()
            .any(|r| r.contains(&format!("/{id}/")));
        assert!(!checked, "{:?}", &h.backend.requests[before..]);
        // Opened again, it is read once and stays read-only.
        h.cmd(Command::OpenConversation(id.clone()));
        h.settle();
        assert!(h.engine.is_closed());
        assert_eq!(texts(&h), ["hello", "Solved; closing this.", ""]);
    }

    #[test]
    fn retry_of_a_message_refused_before_support_closed_the_conversation_sends_it_in_a_new_one() {
        let mut h = scripted();
        h.cmd(Command::Open);
        h.send("hello", "m1");
        let first = h.engine.conversation().unwrap().id.clone();
        h.backend.helpdesk.fail_next_delivery();
        h.send("refused", "m2");
        assert_eq!(h.status_of("refused"), Some("failed"));
        assert!(h
            .backend
            .helpdesk
            .script_reply("Closing.", h.now + 500.0, true));
        h.advance(3_000.0);
        assert!(h.engine.is_closed());
        h.cmd(Command::Retry {
            local_id: "m2".into(),
        });
        h.settle();
        assert!(!h.engine.is_closed(), "a new conversation");
        assert_ne!(h.engine.conversation().unwrap().id, first);
        assert_eq!(texts(&h), ["refused"]);
        assert_eq!(h.status_of("refused"), Some("sent"));
        assert_eq!(h.helpdesk_visitor_copies("refused"), 1);
        // The closed one is in the list without it.
        let closed = h
            .engine
            .conversations()
            .into_iter()
            .find(|s| s.id == first)
            .unwrap();
        assert!(closed.closed);
    }

    #[test]
    fn a_conversation_not_on_screen_found_closed_by_the_light_check_is_marked() {
        let mut h = scripted();
        h.cmd(Command::Open);
        h.send("first", "m1");
        let first = h.engine.conversation().unwrap().id.clone();
        assert!(h
            .backend
            .helpdesk
            .script_reply("Closing.", h.now + 500.0, true));
        h.cmd(Command::NewConversation);
        h.send("second", "m2");
        assert!(!h.engine.conversations().iter().any(|s| s.closed));
        h.advance(2.0 * helpwire_core::engine::conversations::PEEK_INTERVAL_MS);
        let list = h.engine.conversations();
        let entry = list.iter().find(|s| s.id == first).unwrap();
        assert!(entry.closed && entry.unread == 1, "{entry:?}");
        assert!(!h.engine.is_closed(), "the one on screen is open");
        // Another backend's event says the same of one in the list.
        h.cmd(Command::ConversationClosed("conv_unknown".into()));
        assert_eq!(
            h.engine.conversations().iter().filter(|s| s.closed).count(),
            1
        );
    }

    #[test]
    fn the_list_survives_a_reload_and_an_unreadable_entry_is_dropped_alone() {
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.send("first", "m1");
        h.cmd(Command::NewConversation);
        h.send("second", "m2");
        let json = h.persisted.clone().unwrap().to_json();
        let restored = Snapshot::from_json(&json).unwrap();
        assert_eq!(restored.archive.len(), 1);
        assert_eq!(restored.archive[0].preview, "first");
        assert_eq!(&restored, h.persisted.as_ref().unwrap());

        let broken = json.replacen(r#""preview":"first""#, r#""preview":42"#, 1);
        let restored = Snapshot::from_json(&broken).expect("the snapshot still reads");
        assert!(restored.archive.is_empty());
        assert_eq!(restored.messages.len(), 1);

        let huge = "x".repeat(10_000);
        let long = json.replacen(r#""preview":"first""#, &format!(r#""preview":"{huge}""#), 1);
        let restored = Snapshot::from_json(&long).unwrap();
        assert!(restored.archive[0].preview.chars().count() <= 141);
    }

    #[test]
    fn a_push_backend_follows_the_conversation_on_screen_and_reads_the_others_by_the_light_check() {
        use helpwire_core::engine::conversations::PEEK_INTERVAL_MS;
        let caps = helpwire_core::protocol::Capabilities {
            polling: false,
            ..LocalProvider.capabilities()
        };
        let mut h = Harness::with_caps(caps, None, LocalHelpdesk::default());
        h.cmd(Command::Open);
        h.send("How much is the Team plan?", "m1");
        let first = h.engine.conversation().unwrap().id.clone();
        assert!(h.engine.shows(&first));
        assert_eq!(h.switched, 0);

        h.cmd(Command::NewConversation);
        assert_eq!(h.switched, 1, "the socket of the first is let go");
        assert!(
            !h.engine.shows(&first),
            "what is pushed for the first is not shown in the new one"
        );
        assert!(
            h.engine.shows("t-new"),
            "before its id comes, an unknown conversation is the new one"
        );
        h.send("Another topic", "m2");
        let second = h.engine.conversation().unwrap().id.clone();
        assert!(h.engine.shows(&second) && !h.engine.shows(&first));
        assert!(
            !h.engine.shows("t-other"),
            "nor another's, once it has its id"
        );

        // Pushed answers are not polled for, but the others of the list get their light check.
        let (first_reads, second_reads) = (reads_of(&h, &first), reads_of(&h, &second));
        h.advance(3.0 * PEEK_INTERVAL_MS + 1_000.0);
        let checks = reads_of(&h, &first) - first_reads;
        assert!(
            (2..=4).contains(&checks),
            "{checks} light checks in three minutes"
        );
        assert_eq!(
            reads_of(&h, &second),
            second_reads,
            "the one on screen is pushed"
        );
        let line = h
            .engine
            .conversations()
            .into_iter()
            .find(|s| s.id == first)
            .unwrap();
        assert_eq!(
            line.unread, 1,
            "support's answer there, found by the light check"
        );

        // Opening the first again reads it once, and lets the socket of the second go.
        h.cmd(Command::OpenConversation(first.clone()));
        assert_eq!(h.switched, 2);
        h.settle();
        assert_eq!(
            texts(&h).len(),
            2,
            "its question and support's answer, read back"
        );
        assert!(h.engine.shows(&first) && !h.engine.shows(&second));
    }

    /// How often the local helpdesk was asked for conversation `id`'s messages.
    fn reads_of(h: &Harness, id: &str) -> usize {
        let path = format!("GET local://helpdesk/conversations/{id}/messages");
        h.backend
            .requests
            .iter()
            .filter(|r| r.starts_with(&path))
            .count()
    }

    /// A push backend that lists the visitor's conversations itself (as Eusate).
    fn listing_caps() -> helpwire_core::protocol::Capabilities {
        helpwire_core::protocol::Capabilities {
            polling: false,
            lists_conversations: true,
            ..Default::default()
        }
    }

    fn listed(id: &str, preview: &str, at: f64, closed: bool) -> helpwire_core::protocol::Listed {
        helpwire_core::protocol::Listed {
            conversation: helpwire_core::model::Conversation {
                id: id.into(),
                extra: helpwire_core::json::Json::Null,
            },
            preview: preview.into(),
            at,
            closed,
        }
    }

    #[test]
    fn the_backends_own_list_joins_the_visitors_once_a_page_load_when_the_panel_opens() {
        let caps = listing_caps();
        let mut h = Remote::new(caps);
        let t0 = h.now;
        h.backend.listing = Ok(helpwire_core::protocol::Listing {
            conversations: vec![
                listed("c_old", "An old answer", t0 - 86_400_000.0, true),
                listed("c_new", "  A newer answer\n", t0 - 3_600_000.0, false),
                listed("c_undated", "", f64::NAN, false),
            ],
            warnings: vec!["skipped a conversation of the list without an id".into()],
        });
        h.advance(10_000.0);
        assert!(
            !h.backend.requests.contains(&"list"),
            "nothing is asked before the visitor opens the panel"
        );
        h.cmd(Command::Open);
        h.settle();
        let lists = |h: &Remote| h.backend.requests.iter().filter(|r| **r == "list").count();
        assert_eq!(lists(&h), 1);
        assert_eq!(
            h.backend.requests[0], "list",
            "the list first (then a light check)"
        );
        let lines: Vec<(String, String, u32, bool)> = h
            .engine
            .conversations()
            .into_iter()
            .map(|s| (s.id, s.preview, s.unread, s.closed))
            .collect();
        assert_eq!(
            lines,
            [
                ("c_new".into(), "A newer answer".into(), 0, false),
                ("c_old".into(), "An old answer".into(), 0, true),
                ("c_undated".into(), String::new(), 0, false),
            ],
            "newest first, nothing unread, the closed one marked"
        );
        assert!(h.warnings.iter().any(|w| w.contains("without an id")));
        assert!(
            h.persisted.as_ref().is_some_and(|s| s.archive.len() == 3),
            "stored"
        );

        // Once a page load: closing and opening again asks nothing more.
        h.cmd(Command::Close);
        h.cmd(Command::Open);
        h.advance(10_000.0);
        assert_eq!(lists(&h), 1);

        // Signing in as someone: their list is read (the same page load).
        h.cmd(Command::Identify {
            identity: Visitor {
                user_id: Some("u-42".into()),
                ..Visitor::default()
            },
            fresh_anon_id: "v_fresh".into(),
        });
        h.settle();
        assert_eq!(lists(&h), 2);

        // The next page load merges again: what is known stays once (whether support closed a
        // known one is the light check's to read, from its history).
        let snapshot = h.persisted.clone();
        let mut h = Remote::resume(caps, snapshot, Vec::new());
        h.backend.listing = Ok(helpwire_core::protocol::Listing {
            conversations: vec![
                listed("c_new", "A newer answer", t0 - 3_600_000.0, true),
                listed("c_other", "From a phone", t0 - 60_000.0, false),
            ],
            warnings: Vec::new(),
        });
        h.cmd(Command::Open);
        h.settle();
        let lines: Vec<(String, bool)> = h
            .engine
            .conversations()
            .into_iter()
            .map(|s| (s.id, s.closed))
            .collect();
        assert_eq!(
            lines,
            [
                ("c_other".into(), false),
                ("c_new".into(), false),
                ("c_old".into(), true),
                ("c_undated".into(), false),
            ]
        );
    }

    #[test]
    fn signing_in_while_the_list_is_being_read_reads_it_again_for_the_new_person() {
        let caps = listing_caps();
        let mut h = Remote::new(caps);
        h.cmd(Command::Open);
        // Carry out jobs until the list's read is under way (not answered yet).
        while !matches!(h.queue.front(), Some((_, Job::List { .. }))) {
            let (generation, job) = h.queue.pop_front().expect("the list is asked for");
            let outcome = h.execute(job);
            h.cmd(Command::Finished {
                generation,
                outcome,
            });
        }
        h.cmd(Command::Identify {
            identity: Visitor {
                user_id: Some("u-42".into()),
                ..Visitor::default()
            },
            fresh_anon_id: "v_fresh".into(),
        });
        h.settle();
        let lists = h.backend.requests.iter().filter(|r| **r == "list").count();
        assert_eq!(
            lists, 2,
            "the anonymous visitor's, then the signed-in one's"
        );
    }

    #[test]
    fn a_backend_list_that_cannot_be_read_is_a_warning_and_the_kept_list_stays() {
        let caps = listing_caps();
        let mut h = Remote::new(caps);
        h.backend.listing = Err(ProviderError::Status {
            status: 500,
            detail: "boom".into(),
            retry_after: None,
        });
        h.cmd(Command::Open);
        h.settle();
        assert!(h
            .warnings
            .iter()
            .any(|w| w.contains("could not read the visitor's conversations")));
        assert_eq!(h.engine.notice(), None, "not the visitor's concern");
        h.send("Hello", "m1");
        let status = h.engine.messages()[0].delivery.as_ref().map(Delivery::tag);
        assert_eq!(status, Some("sent"), "the conversation goes on");
        assert_eq!(
            h.backend.requests.iter().filter(|r| **r == "list").count(),
            1
        );
    }

    #[test]
    fn a_reply_in_a_conversation_not_on_screen_is_found_by_the_light_check_and_counts_as_unread() {
        use helpwire_core::engine::conversations::PEEK_INTERVAL_MS;
        let mut h = Harness::new();
        h.cmd(Command::Open);
        h.send("How much is the Team plan?", "m1");
        let first = h.engine.conversation().unwrap().id.clone();
        // Left before support answered.
        h.cmd(Command::NewConversation);
        h.send("Another topic", "m2");
        h.events.clear();
        let reads_of_first = |h: &Harness| reads_of(h, &first);
        let before = reads_of_first(&h);
        h.advance(PEEK_INTERVAL_MS + 1_000.0);
        assert!(
            reads_of_first(&h) > before,
            "the first conversation was checked"
        );
        let line = h
            .engine
            .conversations()
            .into_iter()
            .find(|s| s.id == first)
            .unwrap();
        assert_eq!(line.unread, 1, "support's answer, unseen");
        assert!(
            line.preview.contains("billing"),
            "the line shows the answer: {}",
            line.preview
        );
        assert_eq!(h.engine.unread(), 1, "the total covers every conversation");
        assert!(h.events.contains(&WidgetEvent::Unread(1)));
        assert_eq!(
            texts(&h).len(),
            2,
            "the conversation on screen is untouched"
        );

        // One light check a minute while visible, whatever the number of polls in between; none
        // while hidden.
        let before = reads_of_first(&h);
        h.advance(10.0 * PEEK_INTERVAL_MS);
        let checks = reads_of_first(&h) - before;
        assert!((9..=11).contains(&checks), "{checks} checks in ten minutes");
        h.cmd(Command::Visible(false));
        let before = reads_of_first(&h);
        h.advance(10.0 * PEEK_INTERVAL_MS);
        assert_eq!(reads_of_first(&h), before, "nothing while hidden");
        h.cmd(Command::Visible(true));

        // Opening it: read, so no longer unread.
        h.cmd(Command::OpenConversation(first.clone()));
        assert_eq!(h.engine.unread(), 0);
        let n = h.events.len();
        assert!(h.events[n - 2..].contains(&WidgetEvent::Conversation(first.clone())));
        assert!(h.events[n - 2..].contains(&WidgetEvent::Unread(0)));
        h.settle();
        assert_eq!(texts(&h).len(), 2, "question and answer");
        let persisted = h.persisted.clone().unwrap();
        let restored = Snapshot::from_json(&persisted.to_json()).unwrap();
        assert_eq!(restored, persisted, "cursor and unread are stored");
    }

    #[test]
    fn another_tab_switching_conversations_is_followed() {
        let mut a = Harness::new();
        a.cmd(Command::Open);
        a.send("hello", "m1");
        let mut b = Harness::with_snapshot(a.persisted.clone(), LocalHelpdesk::default());
        b.cmd(Command::Open);
        a.cmd(Command::NewConversation);
        b.cmd(Command::Synced(Box::new(a.persisted.clone().unwrap())));
        assert!(b.engine.conversation().is_none());
        assert!(b.engine.messages().is_empty());
        assert_eq!(b.engine.conversations().len(), 1);
    }

    /// A backend that cannot give a conversation back (the bot endpoint): the widget keeps what
    /// it showed, and shows it again at once when the visitor opens it.
    #[cfg(feature = "bot")]
    #[test]
    fn a_conversation_the_backend_cannot_give_back_is_kept_by_the_widget() {
        use helpwire_core::engine::conversations::MAX_KEPT;
        let caps = helpwire_core::protocol::Capabilities {
            shows_own_messages: false,
            ..LocalProvider.capabilities()
        };
        let mut h = Harness::with_caps(caps, None, LocalHelpdesk::default());
        h.cmd(Command::Open);
        for i in 0..MAX_KEPT + 5 {
            h.send(&format!("message {i}"), &format!("m{i}"));
        }
        let first = h.engine.conversation().unwrap().id.clone();
        h.cmd(Command::NewConversation);
        h.send("elsewhere", "x");
        let stored = Snapshot::from_json(&h.persisted.clone().unwrap().to_json()).unwrap();
        assert_eq!(
            stored.archive[0].kept.len(),
            MAX_KEPT,
            "the newest, within the bound"
        );

        h.cmd(Command::OpenConversation(first));
        // Shown at once, before any read.
        let shown = texts(&h);
        assert_eq!(shown.len(), MAX_KEPT);
        assert_eq!(shown.last().unwrap(), &format!("message {}", MAX_KEPT + 4));
        // An unreadable kept message is dropped alone.
        let json = h.persisted.clone().unwrap().to_json();
        let broken = json.replacen(
            r#""body":{"kind":"text","value":"elsewhere"}"#,
            r#""body":7"#,
            1,
        );
        assert_ne!(broken, json, "the test edits a kept message");
        let restored = Snapshot::from_json(&broken).unwrap();
        assert_eq!(restored.archive.len(), 1);
        assert!(restored.archive[0].kept.is_empty());
    }
}
