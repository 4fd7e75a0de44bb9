//! `GET /v1/events` and `POST /v1/hooks/gurusup`, over real HTTP: the sandbox's Gurusup as the
//! upstream (and as the webhook's caller), a real `redis-server` for the fan-out.

use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

const HOOK_KEY: &str = "gurusup-hook-key-0123456789";
/// Longest wait for something that must happen.
const WAIT: Duration = Duration::from_secs(10);

/// The Gurusup relay's config with the webhook key, `top` and `limits` as in [`config_text`].
fn gurusup_config(sandbox: &Sandbox, top: &str, limits: &str) -> helpwire_relay::Config {
    let text = config_text(sandbox, "gurusup", top, limits).replace(
        "api_key = \"env:TEST_API_KEY\"\n",
        &format!("api_key = \"env:TEST_API_KEY\"\nwebhook_key = \"{HOOK_KEY}\"\n"),
    );
    parse_config(&text, "gurusup")
}

/// An open event stream, read frame by frame.
struct Sse {
    res: reqwest::Response,
    buf: String,
    /// Everything the stream sent so far, for the checks that no secret is in it.
    seen: String,
}

impl Sse {
    async fn open(relay: &Relay, token: &str) -> Sse {
        let res = relay
            .req(Method::GET, "/v1/events", Some(token))
            .send()
            .await
            .expect("the relay answers");
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], "text/event-stream");
        assert_eq!(h["cache-control"], "no-store");
        assert_eq!(h["x-accel-buffering"], "no");
        let mut sse = Sse {
            res,
            buf: String::new(),
            seen: String::new(),
        };
        assert_eq!(sse.frame().await.as_deref(), Some("retry: 3000"));
        sse
    }

    /// The next frame (without its blank line), or `None` when the stream ended.
    async fn frame(&mut self) -> Option<String> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let frame = self.buf[..end].to_string();
                self.buf.drain(..end + 2);
                return Some(frame);
            }
            let chunk = tokio::time::timeout(WAIT, self.res.chunk())
                .await
                .expect("the stream sends something within 10 s")
                .expect("the stream reads");
            match chunk {
                Some(bytes) => {
                    let text = std::str::from_utf8(&bytes).expect("UTF-8");
                    self.buf.push_str(text);
                    self.seen.push_str(text);
                }
                None => {
                    assert!(self.buf.is_empty(), "a cut frame: {:?}", self.buf);
                    return None;
                }
            }
        }
    }

    /// The next event (keep-alives skipped): its name, id and data.
    async fn event(&mut self) -> (String, Option<String>, Value) {
        loop {
            let frame = self.frame().await.expect("an event, not the end");
            if frame.starts_with(':') {
                continue;
            }
            let (mut name, mut id, mut data) = (String::new(), None, Value::Null);
            for line in frame.lines() {
                if let Some(v) = line.strip_prefix("event: ") {
                    name = v.to_string();
                } else if let Some(v) = line.strip_prefix("id: ") {
                    id = Some(v.to_string());
                } else if let Some(v) = line.strip_prefix("data: ") {
                    data = serde_json::from_str(v).expect("data is JSON");
                } else {
                    panic!("unexpected line {line:?} in {frame:?}");
                }
            }
            return (name, id, data);
        }
    }

    /// The next `message` event's conversation id and message.
    async fn message(&mut self) -> (String, Value) {
        let (name, id, data) = self.event().await;
        assert_eq!(name, "message", "{data}");
        assert!(id.is_some_and(|i| !i.is_empty()));
        let conversation = data["conversation_id"].as_str().unwrap().to_string();
        (conversation, data["message"].clone())
    }
}

/// A Gurusup send-message event, as the sandbox sends it.
fn event(thread_fid: &str, id: &str, text: &str) -> Value {
    json!({"event": "send_message", "data": {
        "_id": id, "body": text, "thread_fid": thread_fid, "user_fid": "gurusup-agent",
        "is_customer_support_agent": true, "created_at": "2026-01-02T03:04:05.000Z"
    }})
}

/// `POST /v1/hooks/gurusup` as Gurusup's server calls it (no Origin), with `key`.
async fn hook(relay: &Relay, key: Option<&str>, body: reqwest::Body) -> Answer {
    let mut req = relay
        .http
        .post(format!("{}/v1/hooks/gurusup", relay.url))
        .header("content-type", "application/json")
        .body(body);
    if let Some(k) = key {
        req = req.header("x-api-key", k);
    }
    relay.send(req).await
}

async fn hook_json(relay: &Relay, body: &Value) -> Answer {
    hook(relay, Some(HOOK_KEY), body.to_string().into()).await
}

#[tokio::test]
async fn a_stream_gets_gurusup_replies_through_the_sandbox_webhook() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "Where is my parcel?").await;
    let mut sse = Sse::open(&relay, &t).await;
    sandbox
        .control(
            Method::POST,
            "/_sandbox/gurusup/webhook",
            Some(json!({"url": format!("{}/v1/hooks/gurusup", relay.url), "key": HOOK_KEY})),
        )
        .await;
    // An agent's reply reaches the stream as the object the messages endpoint returns.
    sandbox
        .reply(
            "gurusup",
            json!({"conversation": conv, "text": "A human here"}),
        )
        .await;
    let (c, agent) = sse.message().await;
    assert_eq!(c, conv);
    assert_eq!(agent["author"], "agent");
    assert_eq!(agent["text"], "A human here");
    let listed = relay.messages(&t, &conv).await;
    assert!(listed.contains(&agent), "{agent} not in {listed:?}");
    // Gurusup's synchronous reply to a send comes through the webhook too, with the same id.
    let sent = relay
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(&t),
            json!({"client_id": "c-2", "text": "And refunds?"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let (_, reply) = sse.message().await;
    assert_eq!(reply["id"], sent.body["replies"][0]["id"]);
    assert!(reply["text"].as_str().unwrap().contains("And refunds?"));
    // Exactly what the messages endpoint returns for it (there the author follows Gurusup's
    // agent flag, which the sandbox sets on its automatic answers).
    let listed = relay.messages(&t, &conv).await;
    assert!(listed.contains(&reply), "{reply} not in {listed:?}");
    let status = sandbox
        .control(Method::GET, "/_sandbox/gurusup/webhook", None)
        .await;
    assert_eq!(
        (status["sent"].as_u64(), status["failed"].as_u64()),
        (Some(2), Some(0))
    );
    // What reached the visitor carries neither Gurusup's API key nor its webhook key.
    for secret in [api_key("gurusup"), HOOK_KEY] {
        assert!(!sse.seen.contains(secret), "a secret in the stream");
    }
}

#[tokio::test]
async fn a_visitors_stream_never_gets_another_visitors_events() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    let (ta, _) = relay.visitor(json!({})).await;
    let (conv_a, _, _) = relay.open(&ta, "a-1", "I am A").await;
    let (tb, _) = relay.visitor(json!({})).await;
    let (conv_b, tb, _) = relay.open(&tb, "b-1", "I am B").await;
    let mut b = Sse::open(&relay, &tb).await;
    assert_eq!(
        hook_json(&relay, &event(&conv_a, "m-a", "for A only"))
            .await
            .status,
        200
    );
    assert_eq!(
        hook_json(&relay, &event(&conv_b, "m-b", "for B"))
            .await
            .status,
        200
    );
    // B's first event is its own: A's, published before it, never came.
    let (c, m) = b.message().await;
    assert_eq!(
        (c.as_str(), m["text"].as_str()),
        (conv_b.as_str(), Some("for B"))
    );
    assert_eq!(m["id"], "m-b");
    assert_eq!(m["created_at"], "2026-01-02T03:04:05.000Z");
}

#[tokio::test]
async fn the_stream_needs_a_valid_token_in_the_header() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    relay
        .get("/v1/events", None)
        .await
        .assert_error(401, "invalid_token");
    relay
        .get("/v1/events", Some("hw1.0011223344556677.eyJ2IjoieCJ9.c2ln"))
        .await
        .assert_error(401, "invalid_token");
    // A token with a flipped signature, or in the query string, is no token.
    let (t, _) = relay.visitor(json!({})).await;
    let mut forged = t.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    relay
        .get("/v1/events", Some(&forged))
        .await
        .assert_error(401, "invalid_token");
    relay
        .get(&format!("/v1/events?token={t}"), None)
        .await
        .assert_error(401, "invalid_token");
    // A foreign page cannot open one.
    let a = relay
        .send(
            relay
                .http
                .get(format!("{}/v1/events", relay.url))
                .header("Origin", "https://evil.example")
                .bearer_auth(&t),
        )
        .await;
    a.assert_error(403, "forbidden_origin");
}

#[tokio::test]
async fn a_webhook_without_the_right_key_is_refused_and_delivers_nothing() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hello").await;
    let mut sse = Sse::open(&relay, &t).await;
    let forged = event(&conv, "m-forged", "forged");
    hook(&relay, None, forged.to_string().into())
        .await
        .assert_error(401, "invalid_token");
    hook(&relay, Some("wrong"), forged.to_string().into())
        .await
        .assert_error(401, "invalid_token");
    hook(
        &relay,
        Some(&HOOK_KEY[..HOOK_KEY.len() - 1]),
        forged.to_string().into(),
    )
    .await
    .assert_error(401, "invalid_token");
    assert_eq!(
        hook_json(&relay, &event(&conv, "m-real", "real"))
            .await
            .status,
        200
    );
    let (_, m) = sse.message().await;
    assert_eq!(m["text"], "real", "the forged ones never arrived");
    // The key never shows in an answer or a log line.
    assert!(!seen().lock().unwrap().contains(HOOK_KEY));
    assert!(!String::from_utf8_lossy(&logs().lock().unwrap()).contains(HOOK_KEY));
}

#[tokio::test]
async fn malformed_and_oversized_webhooks_are_refused_and_other_events_ignored() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hello").await;
    let mut sse = Sse::open(&relay, &t).await;
    for bad in [
        "not json".to_string(),
        "[]".into(),
        "null".into(),
        json!({"event": "send_message", "data": {"body": "no thread"}}).to_string(),
        json!({"data": {"thread_fid": 42, "body": "x"}}).to_string(),
        json!({"data": {"thread_fid": "../../x", "_id": "m", "body": "x"}}).to_string(),
        // No id: core's parser refuses it.
        json!({"data": {"thread_fid": conv, "body": "x"}}).to_string(),
        json!({"data": {"thread_fid": conv, "_id": "m", "body": ["x"]}}).to_string(),
    ] {
        hook(&relay, Some(HOOK_KEY), bad.clone().into())
            .await
            .assert_error(400, "invalid_request");
    }
    let huge = event(&conv, "m-huge", &"x".repeat(70 * 1024));
    hook_json(&relay, &huge)
        .await
        .assert_error(413, "too_large");
    let other = json!({"event": "thread_closed", "data": {"thread_fid": conv}});
    let a = hook_json(&relay, &other).await;
    assert_eq!(
        (a.status, &a.body["ignored"]),
        (200, &json!(true)),
        "{}",
        a.text
    );
    // Lenient shapes: at the top level, without a type, a hostile time.
    let top = json!({"_id": "m-top", "body": "top level", "thread_fid": conv,
                     "is_customer_support_agent": false, "createdAt": 1e300});
    assert_eq!(hook_json(&relay, &top).await.status, 200);
    let (_, m) = sse.message().await;
    assert_eq!(
        (m["id"].as_str(), m["text"].as_str()),
        (Some("m-top"), Some("top level"))
    );
    assert_eq!(m["author"], "bot");
    assert!(m["created_at"].as_str().unwrap().starts_with("20"), "{m}");
}

#[tokio::test]
async fn two_instances_with_one_redis_deliver_each_event_once() {
    let sandbox = Sandbox::start();
    let redis = Redis::start();
    let top = format!("redis_url = \"{}\"", redis.url);
    let config = gurusup_config(&sandbox, &top, "");
    let (state_a, state_b) = (
        helpwire_relay::AppState::new(config.clone()),
        helpwire_relay::AppState::new(config.clone()),
    );
    let (events_a, events_b) = (state_a.events.clone(), state_b.events.clone());
    let a = start_relay_with(state_a, config.clone()).await;
    let b = start_relay_with(state_b, config).await;
    tokio::time::timeout(WAIT, async {
        events_a.redis_subscribed().await;
        events_b.redis_subscribed().await;
    })
    .await
    .expect("both instances subscribe to redis");
    let (t, _) = a.visitor(json!({})).await;
    let (conv, t, _) = a.open(&t, "c-1", "hello").await;
    let mut on_b = Sse::open(&b, &t).await;
    let mut on_a = Sse::open(&a, &t).await;
    for (id, text) in [("m-1", "first"), ("m-2", "second")] {
        assert_eq!(hook_json(&a, &event(&conv, id, text)).await.status, 200);
    }
    // Each stream gets each event once, in order.
    for sse in [&mut on_b, &mut on_a] {
        let (_, m1) = sse.message().await;
        let (_, m2) = sse.message().await;
        assert_eq!(
            (m1["id"].as_str(), m2["id"].as_str()),
            (Some("m-1"), Some("m-2"))
        );
    }
    // A fence from B: it reaches A through Redis after A's own events came back from Redis, so
    // A's next event is the fence only if A skipped its own copies.
    assert_eq!(
        hook_json(&b, &event(&conv, "m-3", "fence")).await.status,
        200
    );
    for sse in [&mut on_a, &mut on_b] {
        let (_, m3) = sse.message().await;
        assert_eq!(m3["id"], "m-3");
    }
}

#[tokio::test]
async fn with_redis_killed_local_delivery_goes_on() {
    let sandbox = Sandbox::start();
    let redis = Redis::start();
    let top = format!("redis_url = \"{}\"", redis.url);
    let config = gurusup_config(&sandbox, &top, "");
    let state = helpwire_relay::AppState::new(config.clone());
    let events = state.events.clone();
    let relay = start_relay_with(state, config).await;
    tokio::time::timeout(WAIT, events.redis_subscribed())
        .await
        .expect("subscribed");
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hello").await;
    let mut sse = Sse::open(&relay, &t).await;
    drop(redis);
    for (id, text) in [("m-1", "redis is gone"), ("m-2", "still here")] {
        assert_eq!(hook_json(&relay, &event(&conv, id, text)).await.status, 200);
        let (_, m) = sse.message().await;
        assert_eq!(m["text"], text);
    }
    let logged = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(logged.contains("redis is unreachable"), "{logged}");
}

#[tokio::test]
async fn the_stream_sends_keep_alives_and_ends_when_the_token_expires() {
    let sandbox = Sandbox::start();
    let config = gurusup_config(&sandbox, "token_ttl = \"1h\"", "stream_heartbeat = 1");
    let offset = Arc::new(AtomicU64::new(0));
    let relay = start_relay_with_clock(config, offset.clone()).await;
    let (t, _) = relay.visitor(json!({})).await;
    let mut sse = Sse::open(&relay, &t).await;
    assert_eq!(sse.frame().await.as_deref(), Some(": keep-alive"));
    assert_eq!(sse.frame().await.as_deref(), Some(": keep-alive"));
    // An hour and a second later by the relay's clock: the stream ends, and cannot reopen.
    offset.store(3601, Ordering::SeqCst);
    loop {
        match sse.frame().await {
            None => break,
            Some(f) => assert_eq!(f, ": keep-alive"),
        }
    }
    relay
        .get("/v1/events", Some(&t))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn too_many_streams_are_refused_per_visitor_and_in_all() {
    let sandbox = Sandbox::start();
    let limits = "max_streams_per_visitor = 2\nmax_streams = 3";
    let relay = start_relay(gurusup_config(&sandbox, "", limits)).await;
    let (ta, _) = relay.visitor(json!({})).await;
    let (tb, _) = relay.visitor(json!({})).await;
    let _a1 = Sse::open(&relay, &ta).await;
    let _a2 = Sse::open(&relay, &ta).await;
    let refused = relay.get("/v1/events", Some(&ta)).await;
    refused.assert_error(429, "rate_limited");
    assert!(refused.headers.contains_key("retry-after"));
    let _b1 = Sse::open(&relay, &tb).await;
    relay
        .get("/v1/events", Some(&tb))
        .await
        .assert_error(429, "rate_limited");
}

#[tokio::test]
async fn open_streams_end_when_the_relay_shuts_down() {
    let sandbox = Sandbox::start();
    let relay = start_relay(gurusup_config(&sandbox, "", "")).await;
    let (t, _) = relay.visitor(json!({})).await;
    let mut sse = Sse::open(&relay, &t).await;
    // The graceful shutdown would otherwise wait for the stream until the token expires.
    drop(relay);
    assert_eq!(sse.frame().await, None);
}

#[tokio::test]
async fn a_backend_that_pushes_nothing_answers_the_stream_with_204() {
    // Gurusup without its webhook, and a polling-only helpdesk: nothing would ever be sent.
    for kind in ["gurusup", "gleap"] {
        let (_sandbox, relay) = relay_for(kind).await;
        let (t, _) = relay.visitor(json!({})).await;
        let res = relay
            .req(Method::GET, "/v1/events", Some(&t))
            .send()
            .await
            .expect("the relay answers");
        assert_eq!(res.status(), 204, "{kind}");
        assert_eq!(res.text().await.expect("a body"), "", "{kind}");
        // Still behind the token like every other route.
        relay
            .send(relay.req(Method::GET, "/v1/events", None))
            .await
            .assert_error(401, "invalid_token");
    }
}

#[tokio::test]
async fn without_a_webhook_key_there_is_no_webhook() {
    let (_sandbox, relay) = relay_for("gurusup").await;
    let a = hook(
        &relay,
        Some("anything"),
        event("t", "m", "x").to_string().into(),
    )
    .await;
    a.assert_error(404, "not_found");
}

#[tokio::test]
async fn eusate_pushes_reach_the_visitors_stream_as_message_and_closed_events() {
    let sandbox = Sandbox::start();
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "eusate", "", ""),
        "eusate",
    ))
    .await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "I need a human").await;
    let mut sse = Sse::open(&relay, &t).await;
    // SATE's answer to the opening may come before or after the stream opened: skip bot
    // messages until the agent's reply.
    let reply = sandbox
        .reply(
            "eusate",
            json!({"conversation": conv, "text": "Hi, Sam here"}),
        )
        .await;
    assert!(reply["delivered"].as_u64().unwrap_or(0) >= 1, "{reply}");
    let agent = loop {
        let (c, m) = sse.message().await;
        assert_eq!(c, conv);
        if m["author"] == "agent" {
            break m;
        }
    };
    assert_eq!(agent["text"], "Hi, Sam here");
    let listed = relay.messages(&t, &conv).await;
    assert!(
        listed.iter().any(|m| m["id"] == agent["id"]),
        "{agent} not in {listed:?}"
    );
    // Support closes it: the closing notice, then `closed`.
    sandbox
        .control(
            Method::POST,
            "/_sandbox/eusate/close",
            Some(json!({"conversation": conv})),
        )
        .await;
    let closed = loop {
        let (name, _, data) = sse.event().await;
        if name == "closed" {
            break data;
        }
        assert_eq!(name, "message");
    };
    assert_eq!(closed["conversation_id"], conv.as_str());
}
