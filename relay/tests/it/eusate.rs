//! Eusate through the relay: sends over the relay's own Socket.IO connection to the sandbox's
//! real Socket.IO server, reads over REST, and what the helpdesk pushes reaching the sink.

use crate::common::*;
use helpwire_relay::api::message_json;
use helpwire_relay::backend::backend_id;
use helpwire_relay::config::BackendKind;
use helpwire_relay::eusate::{EusateHub, Pushed, PushedKind};
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::Receiver;

/// The sandbox's Eusate key (tests/sandbox/README.md).
const KEY: &str = "eusate_test";

struct Eusate {
    sandbox: Sandbox,
    relay: Relay,
    pushed: Receiver<Pushed>,
    hub: Arc<EusateHub>,
}

/// A relay for Eusate on a fresh sandbox; `limits` are `[limits]` lines.
async fn eusate(limits: &str) -> Eusate {
    let sandbox = Sandbox::start();
    let config = parse_config(&config_text(&sandbox, "eusate", "", limits), "eusate");
    let state = helpwire_relay::AppState::new(config.clone());
    let pushed = state.pushed();
    let hub = state.eusate().expect("an Eusate relay has a hub");
    let relay = start_relay_with(state, config).await;
    Eusate {
        sandbox,
        relay,
        pushed,
        hub,
    }
}

/// The next pushed event that `want` accepts (others are skipped), within 10 s.
async fn pushed_where(rx: &mut Receiver<Pushed>, want: impl Fn(&Pushed) -> bool) -> Pushed {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match rx.recv().await {
                Ok(p) if want(&p) => return p,
                Ok(_) => {}
                Err(e) => panic!("the push broadcast failed: {e}"),
            }
        }
    })
    .await
    .expect("the pushed event arrives")
}

/// A pushed message as the API (and the event stream) shows it.
fn as_api(p: &Pushed) -> Option<Value> {
    match &p.kind {
        PushedKind::Message(m) => Some(message_json(m)),
        PushedKind::Closed => None,
    }
}

fn copies(conversations: &Value, text: &str) -> usize {
    conversations
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| m["message"].as_str() == Some(text))
        .count()
}

async fn post_message(
    relay: &Relay,
    token: &str,
    conv: &str,
    client_id: &str,
    text: &str,
) -> Answer {
    relay
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(token),
            json!({"client_id": client_id, "text": text}),
        )
        .await
}

#[tokio::test]
async fn eusate_conversation_opens_over_the_socket_and_reads_back_with_the_sate_answer() {
    let mut e = eusate("").await;
    let (t, visitor) = e.relay.visitor(json!({"name": "Ada"})).await;
    let (conv, t, created) = e.relay.open(&t, "c-1", "Where is my order?").await;
    assert_eq!(created.body["message"]["client_id"], "c-1");
    assert_eq!(created.body["message"]["author"], "visitor");
    assert_eq!(created.body["message"]["text"], "Where is my order?");
    assert_eq!(created.body["replies"], json!([]));
    let stored_id = created.body["message"]["id"].as_str().unwrap().to_string();
    assert_ne!(stored_id, "c-1", "the id Eusate stored, from its ack");

    // SATE's answer is pushed to the sink, for this conversation.
    let answer = pushed_where(&mut e.pushed, |p| p.conversation_id == conv).await;
    let answer = as_api(&answer).expect("a message");
    assert_eq!(answer["author"], "bot");
    assert!(
        answer["text"].as_str().unwrap().contains("SATE here"),
        "{answer}"
    );

    // Eusate's session is the relay's derived id, never the page's visitor id.
    let session = backend_id(TOKEN_SECRET.as_bytes(), BackendKind::Eusate, &visitor);
    let stored = e.sandbox.conversations("eusate").await;
    assert_eq!(stored[0]["session_id"], session.as_str());
    assert_eq!(stored[0]["id"], conv.as_str());

    // The REST history has both, the visitor's under the id the send answered.
    let messages = e.relay.messages(&t, &conv).await;
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[0]["id"], stored_id.as_str());
    assert_eq!(messages[0]["author"], "visitor");
    assert_eq!(messages[1], answer);

    // A second message goes to the same conversation; the cursor reads only what is new.
    let path = format!("/v1/conversations/{conv}/messages");
    let cursor = e.relay.get(&path, Some(&t)).await.body["cursor"]
        .as_str()
        .unwrap()
        .to_string();
    let second = post_message(&e.relay, &t, &conv, "c-2", "And returns?").await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.body["message"]["client_id"], "c-2");
    pushed_where(&mut e.pushed, |p| {
        as_api(p).is_some_and(|m| m["text"].as_str().unwrap_or("").contains("And returns?"))
    })
    .await;
    let rest = e
        .relay
        .get(&format!("{path}?cursor={cursor}"), Some(&t))
        .await;
    let rest = rest.body["messages"].as_array().unwrap().clone();
    assert_eq!(rest.len(), 2, "{rest:?}");
    assert_eq!(rest[0]["text"], "And returns?");
    assert_eq!(rest[1]["author"], "bot");

    // A second conversation of the same visitor opens apart; the first keeps its messages.
    let (conv2, t, _) = e.relay.open(&t, "c-3", "New topic").await;
    assert_ne!(conv2, conv);
    let third = post_message(&e.relay, &t, &conv, "c-4", "Back to the order").await;
    assert_eq!(third.status, 201, "{}", third.text);
    let first = e.relay.messages(&t, &conv).await;
    assert!(first.iter().any(|m| m["text"] == "Back to the order"));
    assert!(!first.iter().any(|m| m["text"] == "New topic"));
    // Each with what Eusate's list says of it: its last message's text and time.
    let list = e.relay.get("/v1/conversations", Some(&t)).await;
    let list = list.body["conversations"].as_array().unwrap().clone();
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [conv.as_str(), conv2.as_str()]);
    for c in &list {
        assert!(
            c["last_text"]
                .as_str()
                .is_some_and(|t| t.contains("SATE here")),
            "{c}"
        );
        assert!(
            c["last_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{c}"
        );
        assert_eq!(c.get("closed"), None, "{c}");
    }
}

#[tokio::test]
async fn a_verified_users_conversations_follow_them_to_a_new_device_and_nobody_elses_do() {
    // The sandbox is bound: dropping it would stop the helpdesk.
    let TwoDevices {
        sandbox: _sandbox,
        relay,
        first,
        second,
        phone,
        ..
    } = two_devices("eusate").await;
    // Owned: the phone reads the laptop's conversation, and writes on in the open one.
    let history = relay.messages(&phone, &first).await;
    assert!(history.iter().any(|m| m["text"] == "Asked on my laptop"));
    let sent = post_message(&relay, &phone, &second, "c-3", "Now on my phone").await;
    assert_eq!(sent.status, 201, "{}", sent.text);

    // Another visitor, verified or not, owns none of them.
    nobody_else_owns(&relay, &first).await;
}

#[tokio::test]
async fn eusate_agent_reply_and_closing_reach_the_sink_and_a_closed_conversation_is_gone() {
    let mut e = eusate("").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    let (conv, t, _) = e.relay.open(&t, "c-1", "I need a human").await;
    let reply = e
        .sandbox
        .reply(
            "eusate",
            json!({"conversation": conv, "text": "Hi, Sam here"}),
        )
        .await;
    assert!(reply["delivered"].as_u64().unwrap() >= 1, "{reply}");
    let agent = pushed_where(&mut e.pushed, |p| {
        as_api(p).is_some_and(|m| m["author"] == "agent")
    })
    .await;
    assert_eq!(agent.conversation_id, conv);
    assert_eq!(as_api(&agent).unwrap()["text"], "Hi, Sam here");

    e.sandbox
        .control(
            Method::POST,
            "/_sandbox/eusate/close",
            Some(json!({"conversation": conv})),
        )
        .await;
    let notice = pushed_where(&mut e.pushed, |p| {
        as_api(p).is_some_and(|m| m["author"] == "system")
    })
    .await;
    assert_eq!(notice.conversation_id, conv);
    let closed = pushed_where(&mut e.pushed, |p| p.kind == PushedKind::Closed).await;
    assert_eq!(closed.conversation_id, conv);

    // Eusate refuses messages to a closed conversation: 404, so the widget opens a new one.
    post_message(&e.relay, &t, &conv, "c-2", "Still there?")
        .await
        .assert_error(404, "not_found");
    let (conv2, _, _) = e.relay.open(&t, "c-3", "Still there?").await;
    assert_ne!(conv2, conv);
}

#[tokio::test]
async fn eusate_read_by_agent_reaches_the_widget_as_seen() {
    let mut e = eusate("").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    let (conv, t, _) = e.relay.open(&t, "c-1", "Is anyone there?").await;
    let path = format!("/v1/conversations/{conv}/messages");
    let seen = |body: &Value| body.get("seen").cloned();
    assert_eq!(
        seen(&e.relay.get(&path, Some(&t)).await.body),
        Some(json!(false))
    );

    e.sandbox
        .reply(
            "eusate",
            json!({"conversation": conv, "text": "I read you"}),
        )
        .await;
    pushed_where(&mut e.pushed, |p| {
        as_api(p).is_some_and(|m| m["author"] == "agent")
    })
    .await;
    let page = e.relay.get(&path, Some(&t)).await.body;
    assert_eq!(seen(&page), Some(json!(true)), "{page}");
    // No typing is documented for Eusate: the relay says nothing of it.
    assert_eq!(page.get("typing"), None);

    // The visitor writes again: not read yet.
    let again = post_message(&e.relay, &t, &conv, "c-2", "Thanks").await;
    assert_eq!(again.status, 201, "{}", again.text);
    assert_eq!(
        seen(&e.relay.get(&path, Some(&t)).await.body),
        Some(json!(false))
    );
}

#[tokio::test]
async fn eusate_visitor_b_cannot_read_or_post_to_as_conversation() {
    let e = eusate("").await;
    let (a, _) = e.relay.visitor(json!({})).await;
    let (conv, _, _) = e.relay.open(&a, "c-1", "Private question").await;
    let (b, _) = e.relay.visitor(json!({})).await;
    e.relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&b))
        .await
        .assert_error(404, "not_found");
    post_message(&e.relay, &b, &conv, "c-1", "Let me in")
        .await
        .assert_error(404, "not_found");
    let stored = e.sandbox.conversations("eusate").await;
    assert_eq!(copies(&stored, "Let me in"), 0);
    assert_eq!(stored.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn eusate_retried_client_id_is_delivered_once() {
    let e = eusate("").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    // The open, retried (also with the older token): one conversation, one message.
    let (conv, t2, first) = e.relay.open(&t, "c-1", "Opening once").await;
    let (again, _, retry) = e.relay.open(&t, "c-1", "Opening once").await;
    assert_eq!(again, conv);
    assert_eq!(retry.body["message"], first.body["message"]);
    // A send, retried at once and later.
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({"client_id": "c-2", "text": "Sent once"});
    let (x, y) = tokio::join!(
        e.relay.post(&path, Some(&t2), body.clone()),
        e.relay.post(&path, Some(&t2), body.clone()),
    );
    let z = e.relay.post(&path, Some(&t2), body).await;
    for a in [&x, &y, &z] {
        assert_eq!(a.status, 201, "{}", a.text);
        assert_eq!(a.body, x.body);
    }
    let stored = e.sandbox.conversations("eusate").await;
    assert_eq!(stored.as_array().unwrap().len(), 1);
    assert_eq!(copies(&stored, "Opening once"), 1);
    assert_eq!(copies(&stored, "Sent once"), 1);
}

#[tokio::test]
async fn eusate_socket_down_is_an_upstream_error_without_its_text_and_the_next_send_works() {
    let e = eusate("upstream_timeout_ms = 3000").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    let (conv, t, _) = e.relay.open(&t, "c-1", "Before the outage").await;
    let down = e
        .sandbox
        .control(
            Method::POST,
            "/_sandbox/eusate/socket",
            Some(json!({"down": true})),
        )
        .await;
    assert_eq!(down["cut"], 1, "the relay's socket was live: {down}");
    let failed = post_message(&e.relay, &t, &conv, "c-2", "During the outage").await;
    match failed.status {
        502 => failed.assert_error(502, "upstream_error"),
        _ => failed.assert_error(504, "upstream_timeout"),
    }
    for upstream in ["503", "sandbox", "socket server", "HTTP"] {
        assert!(!failed.text.contains(upstream), "{}", failed.text);
    }
    // Opening a conversation fails the same way.
    let open = e
        .relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-3", "text": "New during the outage"}),
        )
        .await;
    assert!(matches!(open.status, 502 | 504), "{}", open.text);

    e.sandbox
        .control(
            Method::POST,
            "/_sandbox/eusate/socket",
            Some(json!({"down": false})),
        )
        .await;
    // The retry after recovery is sent at once (no reconnect wait) and delivered once.
    let retried = post_message(&e.relay, &t, &conv, "c-2", "During the outage").await;
    assert_eq!(retried.status, 201, "{}", retried.text);
    let messages = e.relay.messages(&t, &conv).await;
    let texts: Vec<&str> = messages.iter().filter_map(|m| m["text"].as_str()).collect();
    assert_eq!(
        texts.iter().filter(|t| **t == "During the outage").count(),
        1,
        "{texts:?}"
    );
}

#[tokio::test]
async fn eusate_hostile_socket_answers_are_clear_errors_and_the_conversation_goes_on() {
    let e = eusate("upstream_timeout_ms = 2000").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    let (conv, t, _) = e.relay.open(&t, "c-1", "Hello").await;
    let fault = |mode: &str| json!({"backend": "eusate", "mode": mode, "path": "socket:support", "status": 500});
    // An error envelope: refused, 502, without its words.
    e.sandbox.fault(fault("status")).await;
    let a = post_message(&e.relay, &t, &conv, "c-2", "one").await;
    a.assert_error(502, "upstream_error");
    assert!(!a.text.contains("fault injected"), "{}", a.text);
    // A payload that is not an envelope, and no ack: nothing confirms it in time, 504.
    e.sandbox.fault(fault("malformed")).await;
    post_message(&e.relay, &t, &conv, "c-3", "two")
        .await
        .assert_error(504, "upstream_timeout");
    // The event lost on the way: 504 too.
    e.sandbox.fault(fault("drop")).await;
    post_message(&e.relay, &t, &conv, "c-4", "three")
        .await
        .assert_error(504, "upstream_timeout");
    // An answer over the frame limit: the ack came first (delivered), the socket is dropped.
    e.sandbox.fault(fault("huge")).await;
    let huge = post_message(&e.relay, &t, &conv, "c-5", "four").await;
    assert_eq!(huge.status, 201, "{}", huge.text);
    // And the conversation goes on. The dropped socket may take the next send down with it
    // (a 502, retried as the widget does) until the relay has reconnected.
    let mut ok = post_message(&e.relay, &t, &conv, "c-6", "five").await;
    for _ in 0..3 {
        if ok.status != 502 {
            break;
        }
        ok = post_message(&e.relay, &t, &conv, "c-6", "five").await;
    }
    assert_eq!(ok.status, 201, "{}", ok.text);
    let messages = e.relay.messages(&t, &conv).await;
    assert!(messages.iter().any(|m| m["text"] == "five"));
}

#[tokio::test]
async fn eusate_connections_are_capped_watched_and_closed_when_idle() {
    let mut e = eusate("max_push_connections = 1\npush_idle = 1").await;
    let (a, visitor_a) = e.relay.visitor(json!({})).await;
    let (b, _) = e.relay.visitor(json!({})).await;
    let (conv, _, _) = e.relay.open(&a, "c-1", "First").await;
    assert_eq!(e.hub.live(), 1);
    // A's socket is the one allowed: B waits, told when to retry.
    let full = e
        .relay
        .post(
            "/v1/conversations",
            Some(&b),
            json!({"client_id": "c-1", "text": "Me too"}),
        )
        .await;
    full.assert_error(429, "rate_limited");
    assert_eq!(full.headers["retry-after"], "5");

    // Idle (nothing in flight, nobody watching) for push_idle: A's socket closes.
    wait_until(|| e.hub.live() == 0).await;

    // A watcher opens the session's socket again and keeps it: an agent's reply is pushed.
    let session_a = backend_id(TOKEN_SECRET.as_bytes(), BackendKind::Eusate, &visitor_a);
    let guard = e.hub.watch(&session_a).expect("a free connection");
    assert_eq!(e.hub.live(), 1);
    assert!(e.hub.watch("another-session").is_err(), "capped");
    let mut delivered = 0;
    for i in 0..50 {
        // Until the watcher's socket has joined the customer's room.
        let r = e
            .sandbox
            .reply(
                "eusate",
                json!({"conversation": conv, "text": format!("Agent {i}")}),
            )
            .await;
        delivered = r["delivered"].as_u64().unwrap();
        if delivered > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(delivered > 0, "the watched socket joined");
    let agent = pushed_where(&mut e.pushed, |p| {
        as_api(p).is_some_and(|m| m["author"] == "agent")
    })
    .await;
    assert_eq!(agent.conversation_id, conv);
    drop(guard);
    wait_until(|| e.hub.live() == 0).await;
    let (_, _, _) = e.relay.open(&b, "c-1", "Me too").await;
}

/// Polls `done` every 50 ms for up to 10 s (a socket closing is an event we wait for).
async fn wait_until(done: impl Fn() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 10 s");
}

#[tokio::test]
async fn eusate_key_never_appears_in_answers_or_info_logs() {
    // A refused key as well: its errors must not quote it.
    let sandbox = Sandbox::start();
    let text = config_text(&sandbox, "eusate", "", "upstream_timeout_ms = 3000");
    let wrong = "eusate_WRONG_key_7f3a9c";
    let config = helpwire_relay::Config::parse(&text, &|name| {
        (name == "TEST_API_KEY").then(|| wrong.to_string())
    })
    .unwrap();
    let relay = start_relay(config).await;
    let (t, _) = relay.visitor(json!({})).await;
    let refused = relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-1", "text": "Hello"}),
        )
        .await;
    assert!(matches!(refused.status, 502 | 504), "{}", refused.text);
    assert!(
        !refused.text.contains("invalid API key"),
        "{}",
        refused.text
    );

    let e = eusate("").await;
    let (t, _) = e.relay.visitor(json!({})).await;
    let (conv, t, _) = e.relay.open(&t, "c-1", "Hello").await;
    e.relay.messages(&t, &conv).await;
    for key in [KEY, wrong] {
        assert!(!seen().lock().unwrap().contains(key), "{key} in an answer");
        let logs = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
        assert!(!logs.contains(key), "{key} in the logs");
        assert!(!logs.contains("token="), "a socket URL in the logs");
    }
}
