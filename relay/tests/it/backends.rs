//! Each polling backend end to end through the relay, and the relay's delivery memory.

use crate::common::*;
use reqwest::Method;
use serde_json::{json, Value};

fn copies(conversations: &Value, text: &str) -> usize {
    conversations
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["messages"].as_array().cloned().unwrap_or_default())
        .filter(|m| {
            [&m["body"], &m["comment"], &m["message"], &m["text"]]
                .iter()
                .any(|b| b.as_str() == Some(text))
        })
        .count()
}

#[tokio::test]
async fn gleap_conversation_replies_rich_text_and_paging() {
    let (sandbox, relay) = relay_for("gleap").await;
    let (t, _) = relay
        .visitor(json!({"name": "Ada", "email": "ada@example.com"}))
        .await;
    let (conv, t, created) = relay.open(&t, "c-1", "Where is my order?").await;
    assert_eq!(created.body["message"]["client_id"], "c-1");
    assert_eq!(created.body["message"]["author"], "visitor");
    assert_eq!(created.body["replies"], json!([]));
    let list = relay.get("/v1/conversations", Some(&t)).await;
    assert_eq!(list.body, json!({"conversations": [{"id": conv}]}));

    sandbox
        .reply(
            "gleap",
            json!({"conversation": conv, "text": "Looking", "rich": true}),
        )
        .await;
    // Hostile rich text: a javascript: link and an unknown node.
    sandbox
        .reply(
            "gleap",
            json!({"conversation": conv, "text": "x", "raw": {"comment": {"type": "doc", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "click",
                    "marks": [{"type": "link", "attrs": {"href": "javascript:alert(1)"}}]}]},
                {"type": "iframe", "attrs": {"src": "https://evil.example/"}, "content": [{"type": "text", "text": "inner"}]}
            ]}}}),
        )
        .await;
    let messages = relay.messages(&t, &conv).await;
    assert_eq!(messages[0]["author"], "visitor");
    assert_eq!(messages[0]["text"], "Where is my order?");
    let rich: Vec<&Value> = messages.iter().filter(|m| m["doc"].is_object()).collect();
    assert_eq!(rich.len(), 2, "{messages:?}");
    assert_eq!(rich[0]["author"], "agent");
    assert_eq!(rich[0]["doc"]["type"], "doc");
    assert!(rich[0]["author_name"].is_string());
    let hostile = rich[1]["doc"].to_string();
    assert!(!hostile.contains("javascript"), "{hostile}");
    assert!(
        !hostile.contains("iframe") && !hostile.contains("evil"),
        "{hostile}"
    );
    assert!(
        hostile.contains("click") && hostile.contains("inner"),
        "{hostile}"
    );

    // Paging: 55 more agent messages; a cursor continues where the last page ended.
    for i in 0..55 {
        sandbox
            .reply(
                "gleap",
                json!({"conversation": conv, "text": format!("m{i}")}),
            )
            .await;
    }
    let path = format!("/v1/conversations/{conv}/messages");
    let first = relay.get(&path, Some(&t)).await;
    assert_eq!(first.body["messages"].as_array().unwrap().len(), 50);
    assert_eq!(first.body["more"], true);
    let cursor = first.body["cursor"].as_str().unwrap();
    let second = relay
        .get(&format!("{path}?cursor={cursor}"), Some(&t))
        .await;
    let rest = second.body["messages"].as_array().unwrap();
    assert_eq!(rest.len(), 58 - 50, "{}", second.text);
    assert_eq!(rest.last().unwrap()["text"], "m54");
    assert_eq!(second.body["more"], false);
}

#[tokio::test]
async fn gurusup_gets_the_visitors_language_from_accept_language() {
    let (_sandbox, relay) = relay_for("gurusup").await;
    let (t, _) = relay.visitor(json!({})).await;
    let post = |path: &str, token: &str, language: Option<&str>, body: Value| {
        let mut req = relay.req(Method::POST, path, Some(token)).json(&body);
        if let Some(l) = language {
            req = req.header("accept-language", l);
        }
        relay.send(req)
    };
    // The sandbox's Gurusup answers in Spanish when `lang` is `es`, as its AI would.
    let opened = post(
        "/v1/conversations",
        &t,
        Some("es-ES,es;q=0.9,en;q=0.8"),
        json!({"client_id": "c-1", "text": "¿Dónde está mi pedido?"}),
    )
    .await;
    assert_eq!(opened.status, 201, "{}", opened.text);
    let reply = opened.body["replies"][0]["text"]
        .as_str()
        .unwrap_or_default();
    assert!(reply.starts_with("Gracias"), "{reply}");
    let conv = opened.body["conversation"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let t = opened.body["token"].as_str().unwrap().to_string();
    // No header, a wildcard, or a hostile value: English, and the message is still sent.
    let path = format!("/v1/conversations/{conv}/messages");
    let long = "x".repeat(4_000);
    for (n, language) in [None, Some("*"), Some("<script>"), Some(long.as_str())]
        .into_iter()
        .enumerate()
    {
        let sent = post(
            &path,
            &t,
            language,
            json!({"client_id": format!("c-{}", n + 2), "text": "Where is it?"}),
        )
        .await;
        assert_eq!(sent.status, 201, "{}", sent.text);
        let reply = sent.body["replies"][0]["text"].as_str().unwrap_or_default();
        assert!(reply.starts_with("Thanks"), "{language:?}: {reply}");
    }
}

#[tokio::test]
async fn gurusup_reply_with_the_send_and_agent_reply_by_polling() {
    let (sandbox, relay) = relay_for("gurusup").await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, created) = relay.open(&t, "c-1", "How do refunds work?").await;
    let replies = created.body["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1, "{}", created.text);
    assert_eq!(replies[0]["author"], "bot");
    let second = relay
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(&t),
            json!({"client_id": "c-2", "text": "And exchanges?"}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(second.body["message"]["client_id"], "c-2");
    sandbox
        .reply(
            "gurusup",
            json!({"conversation": conv, "text": "A human here"}),
        )
        .await;
    let messages = relay.messages(&t, &conv).await;
    assert!(messages
        .iter()
        .any(|m| m["author"] == "agent" && m["text"] == "A human here"));
    assert!(messages
        .iter()
        .any(|m| m["author"] == "visitor" && m["text"] == "And exchanges?"));
    // The cursor skips what was read.
    let a = relay
        .get(&format!("/v1/conversations/{conv}/messages"), Some(&t))
        .await;
    let cursor = a.body["cursor"].as_str().unwrap();
    let again = relay
        .get(
            &format!("/v1/conversations/{conv}/messages?cursor={cursor}"),
            Some(&t),
        )
        .await;
    assert_eq!(again.body["messages"], json!([]));
}

#[tokio::test]
async fn bancroft_derived_requester_and_agent_reply() {
    let (sandbox, relay) = relay_for("bancroft").await;
    let (t, _) = relay
        .visitor(json!({"email": "victim@example.com", "name": "Ada Lovelace"}))
        .await;
    let (conv, t, _) = relay.open(&t, "c-1", "My invoice is wrong").await;
    let stored = sandbox.conversations("bancroft").await;
    let c = &stored.as_array().unwrap()[0];
    let email = c["requester"]["email"].as_str().unwrap();
    assert!(email.ends_with("@visitors.helpwire.invalid"), "{email}");
    assert!(!email.contains("victim"));
    // The name the page gave is the requester's name; the email the page gave is metadata only.
    assert_eq!(c["requester"]["first_name"], "Ada", "{c}");
    assert!(
        c.to_string().contains("victim@example.com"),
        "kept as claimed_email: {c}"
    );
    sandbox
        .reply(
            "bancroft",
            json!({"conversation": conv, "text": "Fixed it"}),
        )
        .await;
    let messages = relay.messages(&t, &conv).await;
    assert_eq!(messages[0]["author"], "visitor");
    assert_eq!(messages[0]["text"], "My invoice is wrong");
    assert!(messages
        .iter()
        .any(|m| m["author"] == "agent" && m["text"] == "Fixed it"));
}

/// Bancroft lists a requester's conversations by email, and behind the relay that email is
/// derived from the verified user: the same on every device, and nobody else's.
#[tokio::test]
async fn a_verified_users_bancroft_conversations_follow_them_to_a_new_device_and_nobody_elses_do() {
    let TwoDevices {
        sandbox,
        relay,
        first,
        second,
        phone,
        list,
    } = two_devices("bancroft").await;
    // Each with its subject (the first message) as the last text, and its time.
    for (id, text) in [
        (&first, "Asked on my laptop"),
        (&second, "Another question"),
    ] {
        let c = list.iter().find(|c| c["id"] == id.as_str()).unwrap();
        assert_eq!(c["last_text"], text, "{c}");
        assert!(
            c["last_at"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{c}"
        );
    }
    // Owned: the phone reads the laptop's conversation as the visitor's own, and writes on in
    // the open one as the same requester.
    let history = relay.messages(&phone, &first).await;
    assert!(history
        .iter()
        .any(|m| m["text"] == "Asked on my laptop" && m["author"] == "visitor"));
    let sent = relay
        .post(
            &format!("/v1/conversations/{second}/messages"),
            Some(&phone),
            json!({"client_id": "c-3", "text": "Now on my phone"}),
        )
        .await;
    assert_eq!(sent.status, 201, "{}", sent.text);
    let stored = sandbox.conversations("bancroft").await;
    let stored = stored
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == second.as_str())
        .unwrap()
        .clone();
    let requester = stored["requester"]["email"].as_str().unwrap();
    let senders: Vec<&str> = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender_email"].as_str().unwrap())
        .collect();
    assert_eq!(senders, [requester, requester], "{stored}");

    // Another verified user, and an anonymous visitor, own none of them.
    nobody_else_owns(&relay, &first).await;
    // Claiming Ada's user id without her hash is refused here; on a relay without an identity
    // secret a claimed id is metadata only, and finds nothing of hers.
    for hash in [json!(null), json!(user_hash(IDENTITY_SECRET, "u-bob"))] {
        relay
            .post(
                "/v1/visitors",
                None,
                json!({"user_id": "u-ada", "user_hash": hash}),
            )
            .await
            .assert_error(403, "identity_not_verified");
    }
    let unverified = start_relay(parse_config(
        &config_text(&sandbox, "bancroft", "", ""),
        "bancroft",
    ))
    .await;
    let (claimer, _) = unverified.visitor(json!({"user_id": "u-ada"})).await;
    owns_none(&unverified, &claimer, &first).await;
}

#[tokio::test]
async fn bot_replies_plain_and_rich() {
    let (sandbox, relay) = relay_for("bot").await;
    let (t, _) = relay
        .visitor(json!({"name": "Ada", "user_id": "claimed"}))
        .await;
    let (conv, t, created) = relay.open(&t, "c-1", "hello bot").await;
    assert_eq!(created.body["replies"][0]["author"], "bot");
    assert!(
        created.body["replies"][0]["text"].is_string(),
        "{}",
        created.text
    );
    let second = relay
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(&t),
            json!({"client_id": "c-2", "text": "again"}),
        )
        .await;
    assert_eq!(second.status, 201);
    assert_eq!(
        second.body["replies"][0]["doc"]["type"], "doc",
        "{}",
        second.text
    );
    assert_eq!(relay.messages(&t, &conv).await, Vec::<Value>::new());
    // Every call carries the visitor as the relay knows it: the page's name, the derived id,
    // and the claimed user id only as custom data.
    let stored = sandbox.conversations("bot").await;
    let session = &stored[0]["session"];
    assert_eq!(session["name"], "Ada", "{session}");
    assert!(
        session["id"].as_str().unwrap().starts_with("hw"),
        "{session}"
    );
    assert!(session["userId"].is_null(), "{session}");
    assert_eq!(
        session["customData"]["claimed_user_id"], "claimed",
        "{session}"
    );
}

#[tokio::test]
async fn a_retried_client_id_is_delivered_once_with_the_first_answer() {
    let (sandbox, relay) = relay_for("gleap").await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t1, first) = relay.open(&t, "c-1", "only once please").await;
    // The same open again (a retry with the pre-open token): the first answer, no second ticket.
    let (conv2, _, again) = relay.open(&t, "c-1", "only once please").await;
    assert_eq!(conv, conv2);
    assert_eq!(first.body, again.body);
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({"client_id": "c-2", "text": "twice sent, once stored"});
    // Concurrent duplicates and a later retry.
    let (x, y) = tokio::join!(
        relay.post(&path, Some(&t1), body.clone()),
        relay.post(&path, Some(&t1), body.clone())
    );
    let z = relay.post(&path, Some(&t1), body).await;
    assert_eq!((x.status, y.status, z.status), (201, 201, 201));
    assert_eq!(x.body, y.body);
    assert_eq!(x.body, z.body);
    let stored = sandbox.conversations("gleap").await;
    assert_eq!(stored.as_array().unwrap().len(), 1, "one ticket");
    assert_eq!(copies(&stored, "twice sent, once stored"), 1);
    assert_eq!(copies(&stored, "only once please"), 1);
    // A late retry of the first open with a newer token keeps what that token owns.
    let (second_conv, t2, _) = relay.open(&t1, "c-3", "a second conversation").await;
    let (_, t3, _) = relay.open(&t2, "c-1", "only once please").await;
    let owned = relay.get("/v1/conversations", Some(&t3)).await;
    assert_eq!(
        owned.body,
        json!({"conversations": [{"id": second_conv}, {"id": conv}]})
    );
    // Another visitor's same client_id is another message.
    let (u, _) = relay.visitor(json!({})).await;
    let (other, _, _) = relay.open(&u, "c-1", "only once please").await;
    assert_ne!(other, conv);
}

#[tokio::test]
async fn resume_keeps_the_visitor_and_its_conversations() {
    let (_sandbox, relay) = relay_for("gleap").await;
    let (t, v) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hi").await;
    let resumed = relay
        .post("/v1/visitors", Some(&t), json!({"name": "Ada"}))
        .await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    assert_eq!(resumed.body["visitor_id"], v.as_str());
    assert!(resumed.body["expires_at"].as_str().unwrap().ends_with('Z'));
    let fresh = resumed.body["token"].as_str().unwrap();
    assert_eq!(relay.messages(fresh, &conv).await.len(), 1);
}

#[tokio::test]
async fn a_new_gleap_visitor_costs_no_helpdesk_call_until_it_writes() {
    let (sandbox, relay) = relay_for("gleap").await;
    // Any Gleap call would meet this fault and fail.
    sandbox
        .fault(json!({"backend": "gleap", "mode": "status", "status": 500}))
        .await;
    let (t, _) = relay.visitor(json!({"name": "Ada"})).await;
    let resumed = relay.post("/v1/visitors", Some(&t), json!({})).await;
    assert_eq!(resumed.status, 200, "{}", resumed.text);
    let t = resumed.body["token"].as_str().unwrap().to_string();
    sandbox
        .control(reqwest::Method::DELETE, "/_sandbox/faults", None)
        .await;
    let (conv, _, _) = relay.open(&t, "c-1", "now I write").await;
    let stored = sandbox.conversations("gleap").await;
    assert_eq!(stored[0]["_id"], conv.as_str());
    // The session was started with the page's details.
    assert_eq!(stored[0]["session"]["name"], "Ada", "{stored}");
}

#[tokio::test]
async fn a_token_always_fits_dropping_the_oldest_conversations() {
    let sandbox = Sandbox::start();
    let relay = start_relay(parse_config(
        &config_text(&sandbox, "gurusup", "", "max_conversations = 100"),
        "gurusup",
    ))
    .await;
    let (mut t, _) = relay.visitor(json!({})).await;
    let mut ids = Vec::new();
    let subject = "é".repeat(120);
    for i in 0..24 {
        let client_id = format!("{i:03}-{}", "k".repeat(120));
        let (id, next, _) = relay.open(&t, &client_id, &subject).await;
        assert!(next.len() <= helpwire_relay::token::MAX_TOKEN_BYTES);
        ids.push(id);
        t = next;
    }
    let owned = relay.get("/v1/conversations", Some(&t)).await;
    let owned: Vec<&str> = owned.body["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert!(owned.len() < ids.len(), "some were dropped");
    assert_eq!(
        owned.last(),
        ids.last().map(String::as_str).as_ref(),
        "the newest is kept"
    );
    assert_eq!(
        owned,
        ids[ids.len() - owned.len()..]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn two_instances_sharing_redis_deliver_a_retried_client_id_once() {
    // Bound: dropping the sandbox or Redis would stop them.
    let (sandbox, _redis, one, two) = two_gleap_instances().await;
    let (t, _) = one.visitor(json!({})).await;
    // The open, retried at the other instance: one ticket, the same answer.
    let (conv, t1, first) = one.open(&t, "c-1", "opened once").await;
    let (conv2, _, again) = two.open(&t, "c-1", "opened once").await;
    assert_eq!(conv, conv2);
    assert_eq!(first.body["message"], again.body["message"]);
    // A send on both instances at once, and a later retry on the first.
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({"client_id": "c-2", "text": "sent to both"});
    let (x, y) = tokio::join!(
        one.post(&path, Some(&t1), body.clone()),
        two.post(&path, Some(&t1), body.clone())
    );
    let z = one.post(&path, Some(&t1), body).await;
    assert_eq!(
        (x.status, y.status, z.status),
        (201, 201, 201),
        "{} {}",
        x.text,
        y.text
    );
    assert_eq!(x.body, y.body);
    assert_eq!(x.body, z.body);
    let stored = sandbox.conversations("gleap").await;
    assert_eq!(stored.as_array().unwrap().len(), 1);
    assert_eq!(copies(&stored, "sent to both"), 1);
    assert_eq!(copies(&stored, "opened once"), 1);
    // A failed delivery is not remembered: the retry at the other instance goes through.
    sandbox
        .fault(json!({"backend": "gleap", "mode": "status", "status": 500, "method": "POST"}))
        .await;
    let body = json!({"client_id": "c-3", "text": "after a failure"});
    one.post(&path, Some(&t1), body.clone())
        .await
        .assert_error(502, "upstream_error");
    assert_eq!(two.post(&path, Some(&t1), body).await.status, 201);
    assert_eq!(
        copies(&sandbox.conversations("gleap").await, "after a failure"),
        1
    );
}

#[tokio::test]
async fn an_unreachable_redis_degrades_to_the_in_process_memory() {
    let sandbox = Sandbox::start();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let top = format!("redis_url = \"redis://127.0.0.1:{port}\"");
    let relay = start_relay(parse_config(&config_text(&sandbox, "bot", &top, ""), "bot")).await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t, _) = relay.open(&t, "c-1", "hello").await;
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({"client_id": "c-2", "text": "once"});
    let a = relay.post(&path, Some(&t), body.clone()).await;
    let b = relay.post(&path, Some(&t), body).await;
    assert_eq!((a.status, b.status), (201, 201));
    assert_eq!(a.body, b.body, "remembered in-process");
}

/// Support closes the conversation at the helpdesk: within four reads (the status read), the
/// messages page says `closed`, so the widget shows it read-only.
#[tokio::test]
async fn a_conversation_support_closed_is_said_on_the_messages_page() {
    for backend in ["bancroft", "gleap"] {
        let (sandbox, relay) = relay_for(backend).await;
        let (t, _) = relay.visitor(json!({"name": "Ada"})).await;
        let (conv, t, _) = relay.open(&t, "c-1", "Please close this").await;
        let path = format!("/v1/conversations/{conv}/messages");
        let first = relay.get(&path, Some(&t)).await;
        assert_eq!(first.status, 200, "{}", first.text);
        assert!(first.body.get("closed").is_none(), "{backend}: open");
        sandbox
            .control(
                Method::POST,
                &format!("/_sandbox/{backend}/close"),
                Some(json!({"conversation": conv})),
            )
            .await;
        let mut cursor = first.body["cursor"].as_str().unwrap().to_string();
        let mut closed_at = None;
        for read in 0..4 {
            let page = relay
                .get(&format!("{path}?cursor={cursor}"), Some(&t))
                .await;
            assert_eq!(page.status, 200, "{}", page.text);
            if page.body["closed"] == json!(true) {
                closed_at = Some(read);
                break;
            }
            cursor = page.body["cursor"].as_str().unwrap().to_string();
        }
        assert!(closed_at.is_some(), "{backend}: closed within four reads");
    }
}

/// The widget sends a conversation's first message twice when the create's answer lost its
/// `message`: once with `POST /v1/conversations`, then with the same `client_id` to the
/// conversation it opened. The second is answered from the first, not delivered again.
#[tokio::test]
async fn the_first_message_sent_again_to_its_conversation_is_answered_from_the_create() {
    let (sandbox, relay) = relay_for("bot").await;
    let (t, _) = relay.visitor(json!({})).await;
    let (conv, t1, created) = relay.open(&t, "c-1", "first, once").await;
    assert!(
        created.body["replies"]
            .as_array()
            .is_some_and(|r| !r.is_empty()),
        "{}",
        created.text
    );
    let path = format!("/v1/conversations/{conv}/messages");
    let body = json!({"client_id": "c-1", "text": "first, once"});
    let again = relay.post(&path, Some(&t1), body.clone()).await;
    assert!(again.status == 200 || again.status == 201, "{}", again.text);
    assert_eq!(again.body["message"], created.body["message"]);
    assert_eq!(again.body["message"]["client_id"], "c-1");
    assert_eq!(again.body["replies"], created.body["replies"]);
    // And again: still the create's answer.
    let third = relay.post(&path, Some(&t1), body).await;
    assert_eq!(third.body, again.body);
    let stored = sandbox.conversations("bot").await;
    assert_eq!(copies(&stored, "first, once"), 1, "{stored}");
    // Only that conversation, only that visitor: another conversation of the same visitor
    // takes c-1 as a new message there.
    let (other, t2, _) = relay.open(&t1, "c-2", "a second conversation").await;
    let elsewhere = relay
        .post(
            &format!("/v1/conversations/{other}/messages"),
            Some(&t2),
            json!({"client_id": "c-1", "text": "first, once"}),
        )
        .await;
    assert_eq!(elsewhere.status, 201, "{}", elsewhere.text);
    // (The bot has no ids of its own: a message's id is its client_id, so count the copies.)
    assert_eq!(
        copies(&sandbox.conversations("bot").await, "first, once"),
        2
    );
}

/// The same over Redis: the create at one instance, the send of its first message at another.
#[tokio::test]
async fn the_first_message_sent_again_at_another_instance_is_answered_from_the_create() {
    // Bound: dropping the sandbox or Redis would stop them.
    let (sandbox, _redis, one, two) = two_gleap_instances().await;
    let (t, _) = one.visitor(json!({})).await;
    let (conv, t1, created) = one.open(&t, "c-1", "opened once, sent once").await;
    let again = two
        .post(
            &format!("/v1/conversations/{conv}/messages"),
            Some(&t1),
            json!({"client_id": "c-1", "text": "opened once, sent once"}),
        )
        .await;
    assert!(again.status == 200 || again.status == 201, "{}", again.text);
    assert_eq!(again.body["message"], created.body["message"]);
    assert_eq!(again.body["replies"], created.body["replies"]);
    let stored = sandbox.conversations("gleap").await;
    assert_eq!(stored.as_array().unwrap().len(), 1);
    assert_eq!(copies(&stored, "opened once, sent once"), 1, "{stored}");
}

/// The shared memory's read: nothing taken on a miss, a delivery in flight waited for, an
/// unreachable Redis said.
#[tokio::test]
async fn the_shared_memory_reads_a_delivery_without_taking_its_key() {
    use helpwire_relay::limits::Stored;
    use helpwire_relay::redis::{Missed, RedisMemory, RedisUrl};
    use std::sync::Arc;
    use std::time::Duration;
    let redis = Redis::start();
    let memory = |url: &str| {
        Arc::new(RedisMemory::new(
            RedisUrl::parse(url).unwrap(),
            Duration::from_secs(60),
            Duration::from_secs(1),
        ))
    };
    let m = memory(&redis.url);
    let stored = |v: Value| -> Result<Stored, ()> { Ok((201, Arc::new(v))) };
    assert!(matches!(m.get("k").await, Ok(None)));
    // The miss took no lease: a delivery runs.
    let ran = match m.once("k", || async { stored(json!("first")) }).await {
        Ok(s) => s,
        Err(_) => panic!("delivered"),
    };
    assert_eq!(m.get("k").await.unwrap(), Some(ran));
    // A failure leaves nothing to read.
    let failed = m.once("f", || async { Err::<Stored, ()>(()) }).await;
    assert!(matches!(failed, Err(Missed::Failed(()))));
    assert!(matches!(m.get("f").await, Ok(None)));
    // A read while the delivery is in flight (at another instance) waits for its answer.
    let (started, start) = tokio::sync::oneshot::channel::<()>();
    let (finish, finished) = tokio::sync::oneshot::channel::<()>();
    let delivering = {
        let m = memory(&redis.url);
        tokio::spawn(async move {
            let _ = m
                .once("slow", || async move {
                    let _ = started.send(());
                    let _ = finished.await;
                    stored(json!("slow"))
                })
                .await;
        })
    };
    start.await.unwrap();
    let reading = {
        let m = m.clone();
        tokio::spawn(async move { m.get("slow").await })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!reading.is_finished(), "waits for the delivery in flight");
    finish.send(()).unwrap();
    delivering.await.unwrap();
    let read = reading.await.unwrap().unwrap().expect("the answer");
    assert_eq!(read.1, Arc::new(json!("slow")));
    // Unreachable.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(memory(&format!("redis://127.0.0.1:{port}"))
        .get("k")
        .await
        .is_err());
}

/// Two relay instances for Gleap on one sandbox, sharing a real Redis.
async fn two_gleap_instances() -> (Sandbox, Redis, Relay, Relay) {
    let sandbox = Sandbox::start();
    let redis = Redis::start();
    let top = format!("redis_url = \"{}\"", redis.url);
    let text = config_text(&sandbox, "gleap", &top, "");
    let one = start_relay(parse_config(&text, "gleap")).await;
    let two = start_relay(parse_config(&text, "gleap")).await;
    (sandbox, redis, one, two)
}
