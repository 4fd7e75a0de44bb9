//! The security list of issue #17: isolation, tokens, identity, origin, bodies, ids, rate
//! limits, internal notes, upstream failures, secrets.

use crate::common::*;
use helpwire_relay::token::{Claims, Keys, Ref};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn visitor_b_cannot_read_post_to_or_list_visitor_a_conversation() {
    let (sandbox, relay) = relay_for("gleap").await;
    let (a, _) = relay.visitor(json!({})).await;
    let (conv, a, _) = relay.open(&a, "c-a1", "A's private question").await;
    let (b, _) = relay.visitor(json!({})).await;

    let read = relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&b))
        .await;
    read.assert_error(404, "not_found");
    let missing = relay
        .get(
            "/v1/conversations/000000000000000000000000/messages",
            Some(&b),
        )
        .await;
    // Another visitor's conversation answers exactly like one that does not exist.
    assert_eq!(read.text, missing.text);

    let post = relay
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(&b),
            json!({"client_id": "c-b1", "text": "B writes into A's"}),
        )
        .await;
    post.assert_error(404, "not_found");

    let list = relay.get("/v1/conversations", Some(&b)).await;
    assert_eq!(list.status, 200);
    assert_eq!(list.body, json!({"conversations": []}));
    assert!(!list.text.contains(&conv));

    // A still sees its own; nothing of B's reached the helpdesk.
    let mine = relay.messages(&a, &conv).await;
    assert!(mine.iter().any(|m| m["text"] == "A's private question"));
    let stored = sandbox.conversations("gleap").await.to_string();
    assert!(!stored.contains("B writes into A's"));
    assert!(!relay
        .get("/v1/conversations", Some(&b))
        .await
        .text
        .contains("private"));
}

#[tokio::test]
async fn forged_tampered_expired_and_other_key_tokens_are_refused() {
    let sandbox = Sandbox::start();
    let config = parse_config(
        &config_text(&sandbox, "gleap", "token_ttl = 3", ""),
        "gleap",
    );
    let clock = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let relay = start_relay_with_clock(config, clock.clone()).await;
    let (a, _) = relay.visitor(json!({})).await;
    let (conv, a, _) = relay.open(&a, "c-1", "hello").await;
    let path = format!("/v1/conversations/{conv}/messages");

    // Missing, malformed, not Bearer.
    relay
        .get(&path, None)
        .await
        .assert_error(401, "invalid_token");
    relay
        .get(&path, Some("garbage"))
        .await
        .assert_error(401, "invalid_token");
    let basic = relay
        .req(Method::GET, &path, None)
        .header("Authorization", "Basic abc");
    relay.send(basic).await.assert_error(401, "invalid_token");

    // Tampered: B's own token with A's conversation spliced into its payload.
    let (b, _) = relay.visitor(json!({})).await;
    let parts: Vec<&str> = b.split('.').collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let mut claims: Claims = serde_json::from_slice(&b64.decode(parts[2]).unwrap()).unwrap();
    claims.c.push(Ref {
        id: conv.clone(),
        x: Value::Null,
    });
    let payload = b64.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = format!("{}.{}.{payload}.{}", parts[0], parts[1], parts[3]);
    relay
        .get(&path, Some(&tampered))
        .await
        .assert_error(401, "invalid_token");

    // Signed with another key (unknown key id), and with another key under the right key id.
    let other = Keys::new(&[OTHER_SECRET.as_bytes().to_vec()]);
    let forged = other.sign(&claims);
    relay
        .get(&path, Some(&forged))
        .await
        .assert_error(401, "invalid_token");
    let fp: Vec<&str> = forged.split('.').collect();
    let same_kid = format!("{}.{}.{}.{}", fp[0], parts[1], fp[2], fp[3]);
    relay
        .get(&path, Some(&same_kid))
        .await
        .assert_error(401, "invalid_token");

    // A's token works, then, 4 s later on the relay's clock, has expired (token_ttl = 3 s).
    assert_eq!(relay.get(&path, Some(&a)).await.status, 200);
    clock.store(4, std::sync::atomic::Ordering::SeqCst);
    let expired = relay.get(&path, Some(&a)).await;
    expired.assert_error(401, "invalid_token");
    assert!(expired.text.contains("expired"));
    // Resuming with it (within one more TTL) gives a fresh token with the same conversation.
    let resumed = relay.post("/v1/visitors", Some(&a), json!({})).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    let fresh = resumed.body["token"].as_str().unwrap();
    assert_eq!(relay.get(&path, Some(fresh)).await.status, 200);
    // A tampered token never resumes.
    relay
        .post("/v1/visitors", Some(&tampered), json!({}))
        .await
        .assert_error(401, "invalid_token");
}

#[tokio::test]
async fn rotation_old_tokens_verify_new_sign() {
    let sandbox = Sandbox::start();
    let old = start_relay(parse_config(&config_text(&sandbox, "bot", "", ""), "bot")).await;
    let (token, visitor) = old.visitor(json!({})).await;
    let rotated_text = config_text(&sandbox, "bot", "", "").replace(
        &format!("token_secrets = [\"{TOKEN_SECRET}\"]"),
        &format!("token_secrets = [\"{OTHER_SECRET}\", \"{TOKEN_SECRET}\"]"),
    );
    let new = start_relay(parse_config(&rotated_text, "bot")).await;
    assert_eq!(new.get("/v1/conversations", Some(&token)).await.status, 200);
    let (_, new_token, _) = new.open(&token, "c-1", "hi").await;
    // Signed by the new key: the old-only relay does not know it.
    old.get("/v1/conversations", Some(&new_token))
        .await
        .assert_error(401, "invalid_token");
    let resumed = new.post("/v1/visitors", Some(&token), json!({})).await;
    assert_eq!(resumed.body["visitor_id"], visitor.as_str());
    // A relay for another helpdesk with the same secret refuses the token.
    let gurusup = start_relay(parse_config(
        &config_text(&sandbox, "gurusup", "", ""),
        "gurusup",
    ))
    .await;
    gurusup
        .get("/v1/conversations", Some(&token))
        .await
        .assert_error(401, "invalid_token");
    // A method an endpoint does not take: the same error shape.
    let put = old.req(Method::PUT, "/v1/visitors", None);
    old.send(put).await.assert_error(405, "invalid_request");
}

#[tokio::test]
async fn identity_verification() {
    let sandbox = Sandbox::start();
    let top = format!("identity_secret = \"{IDENTITY_SECRET}\"");
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "gleap", &top, ""),
        "gleap",
    ))
    .await;
    relay
        .post("/v1/visitors", None, json!({"user_id": "u-42"}))
        .await
        .assert_error(403, "identity_not_verified");
    let wrong = user_hash(IDENTITY_SECRET, "u-43");
    relay
        .post(
            "/v1/visitors",
            None,
            json!({"user_id": "u-42", "user_hash": wrong}),
        )
        .await
        .assert_error(403, "identity_not_verified");
    relay
        .post(
            "/v1/visitors",
            None,
            json!({"user_id": "u-42", "user_hash": "zz"}),
        )
        .await
        .assert_error(403, "identity_not_verified");
    let right = user_hash(IDENTITY_SECRET, "u-42");
    let (_, one) = relay
        .visitor(json!({"user_id": "u-42", "user_hash": right, "email": "ada@example.com"}))
        .await;
    let (_, two) = relay
        .visitor(json!({"user_id": "u-42", "user_hash": right}))
        .await;
    assert_eq!(
        one, two,
        "a verified user is the same visitor on every device"
    );
    assert!(!one.contains("u-42"));
    // Anonymous visitors without a user id still work.
    relay.visitor(json!({})).await;
}

#[tokio::test]
async fn without_identity_secret_a_claimed_user_id_links_to_nothing() {
    let (sandbox, relay) = relay_for("gurusup").await;
    let (a, va) = relay.visitor(json!({"user_id": "victim"})).await;
    let (b, vb) = relay.visitor(json!({"user_id": "victim"})).await;
    assert_ne!(
        va, vb,
        "claiming the same user id does not make the same visitor"
    );
    let (conv, _, _) = relay.open(&a, "c-1", "victim's message").await;
    relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&b))
        .await
        .assert_error(404, "not_found");
    // The vendor's identifiers are the relay's, never the page's.
    let threads = sandbox.conversations("gurusup").await;
    let thread = &threads.as_array().unwrap()[0];
    let user_fid = thread["user_fid"].as_str().unwrap();
    assert_ne!(user_fid, "victim");
    assert!(user_fid.starts_with("hw"), "{user_fid}");
    assert!(!thread["thread_fid"].as_str().unwrap().contains("victim"));
}

#[tokio::test]
async fn foreign_origin_is_refused() {
    let (_sandbox, relay) = relay_for("bot").await;
    for (method, path) in [
        (Method::POST, "/v1/visitors"),
        (Method::GET, "/v1/conversations"),
        (Method::OPTIONS, "/v1/visitors"),
    ] {
        let req = relay
            .http
            .request(method, format!("{}{path}", relay.url))
            .header("Origin", "https://evil.example")
            .header("Access-Control-Request-Method", "POST");
        let a = answer(req.send().await.unwrap()).await;
        a.assert_error(403, "forbidden_origin");
        assert!(a.headers.get("access-control-allow-origin").is_none());
    }
    // The allowed origin gets CORS headers, on preflight and on answers.
    let pre = relay
        .http
        .request(Method::OPTIONS, format!("{}/v1/visitors", relay.url))
        .header("Origin", ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(pre.status().is_success());
    assert_eq!(pre.headers()["access-control-allow-origin"], ORIGIN);
    let a = relay.post("/v1/visitors", None, json!({})).await;
    assert_eq!(a.headers["access-control-allow-origin"], ORIGIN);
}

#[tokio::test]
async fn oversized_and_malformed_bodies() {
    let (_sandbox, relay) = relay_for("bot").await;
    let (t, _) = relay.visitor(json!({})).await;
    let big = "x".repeat(64 * 1024);
    relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-1", "text": big}),
        )
        .await
        .assert_error(413, "too_large");
    let long = "y".repeat(5_001);
    relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-1", "text": long}),
        )
        .await
        .assert_error(413, "too_large");
    for raw in [
        "{",
        "[]",
        "null",
        "{\"client_id\": 5, \"text\": \"a\"}",
        "{\"text\": \"a\"}",
    ] {
        let req = relay
            .req(Method::POST, "/v1/conversations", Some(&t))
            .header("Content-Type", "application/json")
            .body(raw);
        relay.send(req).await.assert_error(400, "invalid_request");
    }
    relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-1", "text": "   "}),
        )
        .await
        .assert_error(400, "invalid_request");
    relay
        .post(
            "/v1/visitors",
            None,
            json!({"custom_data": "not an object"}),
        )
        .await
        .assert_error(400, "invalid_request");
    relay
        .post("/v1/visitors", None, json!({"name": "n".repeat(500)}))
        .await
        .assert_error(400, "invalid_request");
}

#[tokio::test]
async fn weird_ids_are_refused_before_any_upstream_call() {
    let (sandbox, relay) = relay_for("gleap").await;
    let (t, _) = relay.visitor(json!({})).await;
    let (_, t, _) = relay.open(&t, "c-1", "hello").await;
    let before = sandbox.conversations("gleap").await;
    for id in [
        "..%2F..%2Fv3%2Ftickets",
        "a%2Fb",
        "a%22b",
        "a'b",
        "a%27%20OR%201=1",
        "%00",
        &"z".repeat(200),
    ] {
        let a = relay
            .get(&format!("/v1/conversations/{id}/messages"), Some(&t))
            .await;
        a.assert_error(400, "invalid_request");
        let a = relay
            .post(
                &format!("/v1/conversations/{id}/messages"),
                Some(&t),
                json!({"client_id": "c-2", "text": "x"}),
            )
            .await;
        a.assert_error(400, "invalid_request");
    }
    // `../` in the raw path is resolved by the URL (no such route), never reaching a handler.
    for raw in [
        "/v1/conversations/x/../../visitors/messages",
        "/v1/conversations/%2E%2E/messages",
    ] {
        let a = relay.get(raw, Some(&t)).await;
        assert!(a.status == 404 || a.status == 405, "{}", a.text);
    }
    for client_id in ["../x", "a/b", "a\"b", "", "q'"] {
        relay
            .post(
                "/v1/conversations",
                Some(&t),
                json!({"client_id": client_id, "text": "x"}),
            )
            .await
            .assert_error(400, "invalid_request");
    }
    relay
        .get("/v1/conversations/abc/messages?cursor=%%%", Some(&t))
        .await
        .assert_error(400, "invalid_request");
    relay
        .get(
            "/v1/conversations/abc/messages?cursor=bm90IGpzb24",
            Some(&t),
        )
        .await
        .assert_error(400, "invalid_request");
    assert_eq!(sandbox.conversations("gleap").await, before);
}

#[tokio::test]
async fn a_burst_over_the_rate_limits_gets_429_with_retry_after() {
    let sandbox = Sandbox::start();
    // One token a minute after the burst: nothing refills during the test.
    let limits = "visitor_per_minute = 1\nvisitor_burst = 5\nip_per_minute = 1\nip_burst = 12";
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "bot", "", limits),
        "bot",
    ))
    .await;
    let (t, _) = relay.visitor(json!({})).await; // 1 from this address
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(relay.get("/v1/conversations", Some(&t)).await); // 2..=7
    }
    assert!(answers[..5].iter().all(|a| a.status == 200));
    let limited = &answers[5];
    limited.assert_error(429, "rate_limited");
    let retry: u64 = limited.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(limited.headers["access-control-allow-origin"], ORIGIN);
    // Another visitor from the same address: the address's limit comes first.
    let (u, _) = relay.visitor(json!({})).await; // 8
    for _ in 0..4 {
        assert_eq!(relay.get("/v1/conversations", Some(&u)).await.status, 200); // 9..=12
    }
    let by_ip = relay.get("/v1/conversations", Some(&u)).await;
    by_ip.assert_error(429, "rate_limited");
    assert!(by_ip.headers.contains_key("retry-after"));
    relay
        .post("/v1/visitors", None, json!({}))
        .await
        .assert_error(429, "rate_limited");
    // Health checks are never limited.
    assert_eq!(relay.get("/healthz", None).await.status, 200);
}

#[tokio::test]
async fn internal_notes_never_reach_the_visitor() {
    let (sandbox, relay) = relay_for("gleap").await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "is my order shipped?").await;
    for style in ["both", "type", "flag"] {
        sandbox
            .reply(
                "gleap",
                json!({"conversation": conv, "text": format!("NOTE-{style}: refund fraud suspect"), "note": true, "note_style": style}),
            )
            .await;
    }
    sandbox
        .reply(
            "gleap",
            json!({"conversation": conv, "text": "Yes, it shipped today."}),
        )
        .await;
    let a = relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&t))
        .await;
    assert_eq!(a.status, 200);
    assert!(!a.text.contains("NOTE-"), "{}", a.text);
    assert!(!a.text.contains("fraud"));
    let messages = a.body["messages"].as_array().unwrap();
    assert!(messages
        .iter()
        .any(|m| m["author"] == "agent" && m["text"] == "Yes, it shipped today."));
    // The helpdesk does hold the notes: the relay filtered them.
    assert!(sandbox
        .conversations("gleap")
        .await
        .to_string()
        .contains("NOTE-both"));
}

#[tokio::test]
async fn upstream_500_timeout_and_garbage_give_502_504_without_upstream_text() {
    let sandbox = Sandbox::start();
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "gleap", "", "upstream_timeout_ms = 1000"),
        "gleap",
    ))
    .await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hello").await;
    let path = format!("/v1/conversations/{conv}/messages");
    let cases = [
        (
            json!({"backend": "gleap", "mode": "status", "status": 500}),
            502,
            "upstream_error",
        ),
        (
            json!({"backend": "gleap", "mode": "status", "status": 401}),
            502,
            "upstream_error",
        ),
        (
            json!({"backend": "gleap", "mode": "delay", "delay_ms": 3000}),
            504,
            "upstream_timeout",
        ),
        (
            json!({"backend": "gleap", "mode": "malformed"}),
            502,
            "upstream_error",
        ),
        (
            json!({"backend": "gleap", "mode": "huge", "size_bytes": 3 * 1024 * 1024}),
            502,
            "upstream_error",
        ),
        (
            json!({"backend": "gleap", "mode": "stream", "size_bytes": 3 * 1024 * 1024}),
            502,
            "upstream_error",
        ),
        (
            json!({"backend": "gleap", "mode": "drop"}),
            502,
            "upstream_error",
        ),
    ];
    for (fault, status, code) in cases {
        sandbox.fault(fault.clone()).await;
        let a = relay.get(&path, Some(&t)).await;
        a.assert_error(status, code);
        for upstream_text in ["fault injected", "sandbox", "statusCode", "Unauthorized"] {
            assert!(!a.text.contains(upstream_text), "{fault}: {}", a.text);
        }
    }
    // A send that fails upstream: the same, and the retry (same client_id) goes through.
    sandbox
        .fault(json!({"backend": "gleap", "mode": "status", "status": 503, "path": "/messages", "method": "POST"}))
        .await;
    let body = json!({"client_id": "c-2", "text": "second"});
    relay
        .post(&path, Some(&t), body.clone())
        .await
        .assert_error(502, "upstream_error");
    assert_eq!(relay.post(&path, Some(&t), body).await.status, 201);
    // The upstream's 429 is passed on as 429 with Retry-After.
    sandbox
        .fault(json!({"backend": "gleap", "mode": "retry_after", "retry_after_s": 7}))
        .await;
    let a = relay.get(&path, Some(&t)).await;
    a.assert_error(429, "rate_limited");
    assert_eq!(a.headers["retry-after"], "7");
}

#[tokio::test]
async fn no_secret_or_token_in_any_response_or_info_log() {
    let sandbox = Sandbox::start();
    let top = format!("identity_secret = \"{IDENTITY_SECRET}\"");
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "gleap", &top, ""),
        "gleap",
    ))
    .await;
    let hash = user_hash(IDENTITY_SECRET, "u-1");
    let (t, _) = relay
        .visitor(json!({"user_id": "u-1", "user_hash": hash, "name": "Ada"}))
        .await;
    let (conv, t2, _) = relay.open(&t, "c-1", "hello").await;
    sandbox
        .reply("gleap", json!({"conversation": conv, "text": "hi"}))
        .await;
    relay.messages(&t2, &conv).await;
    sandbox
        .fault(json!({"backend": "gleap", "mode": "status", "status": 500}))
        .await;
    relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&t2))
        .await;
    relay
        .get("/v1/conversations", Some("forged.token.value.x"))
        .await;

    let mut secrets = relay.config.secrets();
    secrets.push("gleap_secret_test".into());
    secrets.push("proj_test".into());
    assert!(
        secrets.iter().any(|s| s == IDENTITY_SECRET) && secrets.iter().any(|s| s == TOKEN_SECRET)
    );
    let answers = seen().lock().unwrap().clone();
    let logs = String::from_utf8_lossy(&logs().lock().unwrap()).into_owned();
    assert!(logs.contains("request"), "the log capture works: {logs}");
    for s in &secrets {
        assert!(!answers.contains(s.as_str()), "a response carries a secret");
        assert!(!logs.contains(s.as_str()), "the log carries a secret");
    }
    for token in [&t, &t2] {
        assert!(!logs.contains(token.as_str()), "the log carries a token");
        // Nor does any part of it (its signature, its payload).
        for part in token.split('.').skip(2) {
            assert!(!logs.contains(part), "the log carries part of a token");
        }
    }
    assert!(!logs.contains(&hash));
}

#[tokio::test]
async fn isolation_holds_on_every_polling_backend() {
    for kind in ["gurusup", "bancroft", "bot"] {
        let (_sandbox, relay) = relay_for(kind).await;
        let (a, _) = relay.visitor(json!({})).await;
        let (conv, _, _) = relay.open(&a, "c-1", "mine").await;
        let (b, _) = relay.visitor(json!({})).await;
        let path = format!("/v1/conversations/{conv}/messages");
        relay
            .get(&path, Some(&b))
            .await
            .assert_error(404, "not_found");
        relay
            .post(
                &path,
                Some(&b),
                json!({"client_id": "c-9", "text": "intrude"}),
            )
            .await
            .assert_error(404, "not_found");
        let list = relay.get("/v1/conversations", Some(&b)).await;
        assert_eq!(list.body, json!({"conversations": []}), "{kind}");
    }
}

#[tokio::test]
async fn answers_are_never_cached_and_a_verified_user_keeps_one_identity() {
    let sandbox = Sandbox::start();
    let top = format!("identity_secret = \"{IDENTITY_SECRET}\"");
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "gurusup", &top, ""),
        "gurusup",
    ))
    .await;
    let hash = user_hash(IDENTITY_SECRET, "u-7");
    let a = relay
        .post(
            "/v1/visitors",
            None,
            json!({"user_id": "u-7", "user_hash": hash}),
        )
        .await;
    assert_eq!(a.headers["cache-control"], "no-store");
    let phone = a.body["token"].as_str().unwrap().to_string();
    let (laptop, _) = relay
        .visitor(json!({"user_id": "u-7", "user_hash": hash}))
        .await;
    relay.open(&phone, "c-1", "from the phone").await;
    relay.open(&laptop, "c-2", "from the laptop").await;
    // The helpdesk sees one customer on both devices, under the relay's identifier.
    let threads = sandbox.conversations("gurusup").await;
    let fids: Vec<&str> = threads
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["user_fid"].as_str().unwrap())
        .collect();
    assert_eq!(fids.len(), 2);
    assert_eq!(fids[0], fids[1]);
    assert!(!fids[0].contains("u-7"));
}

#[tokio::test]
async fn a_slow_helpdesk_on_open_gives_504_and_the_retry_opens_once() {
    let sandbox = Sandbox::start();
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "bancroft", "", "upstream_timeout_ms = 1000"),
        "bancroft",
    ))
    .await;
    let (t, _) = relay.visitor(json!({})).await;
    sandbox
        .fault(json!({"backend": "bancroft", "mode": "status", "status": 500, "path": "/messages/create/"}))
        .await;
    // The conversation is created, its first message fails: 502, and the retry reuses the
    // conversation rather than opening a second one.
    relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-1", "text": "first"}),
        )
        .await
        .assert_error(502, "upstream_error");
    let (conv, _, _) = relay.open(&t, "c-1", "first").await;
    let stored = sandbox.conversations("bancroft").await;
    assert_eq!(stored.as_array().unwrap().len(), 1, "{stored}");
    assert_eq!(stored[0]["id"], conv.as_str());
    sandbox
        .fault(json!({"backend": "bancroft", "mode": "delay", "delay_ms": 3000}))
        .await;
    relay
        .post(
            "/v1/conversations",
            Some(&t),
            json!({"client_id": "c-2", "text": "second"}),
        )
        .await
        .assert_error(504, "upstream_timeout");
}

#[tokio::test]
async fn the_client_address_comes_from_x_forwarded_for_only_when_trusted() {
    let sandbox = Sandbox::start();
    for trusted in [true, false] {
        let limits = format!("ip_per_minute = 1\nip_burst = 2\ntrust_forwarded_for = {trusted}");
        let relay = start_relay(parse_config(
            &config_text(&sandbox, "bot", "", &limits),
            "bot",
        ))
        .await;
        let from = |ip: &str| {
            relay
                .req(Method::POST, "/v1/visitors", None)
                .header("X-Forwarded-For", format!("203.0.113.9, {ip}"))
                .json(&json!({}))
        };
        assert_eq!(relay.send(from("198.51.100.1")).await.status, 200);
        assert_eq!(relay.send(from("198.51.100.1")).await.status, 200);
        relay
            .send(from("198.51.100.1"))
            .await
            .assert_error(429, "rate_limited");
        // Another address: its own bucket when the header is trusted; the same peer otherwise.
        let other = relay.send(from("198.51.100.2")).await;
        assert_eq!(
            other.status,
            if trusted { 200 } else { 429 },
            "trusted = {trusted}"
        );
    }
}
