use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{start, start_with, status_json, Sandbox};

async fn call(sb: &Sandbox, m: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut r = sb.req(m, &format!("/gleap{path}"));
    if let Some(b) = body {
        r = r.json(&b);
    }
    status_json(r.send().await.unwrap()).await
}

/// Session + INQUIRY ticket, as the widget opens a chat; returns (session, ticket).
async fn open_chat(sb: &Sandbox) -> (String, String) {
    let (s, session) = call(
        sb,
        Method::POST,
        "/v3/sessions",
        Some(json!({ "userId": "u1", "email": "u1@x.test", "name": "U One" })),
    )
    .await;
    assert_eq!(s, 200, "{session}");
    assert_eq!(session["_id"], session["id"]);
    let sid = session["_id"].as_str().unwrap().to_string();
    let (s, ticket) = call(
        sb,
        Method::POST,
        "/v3/tickets",
        Some(json!({ "title": "Chat", "type": "INQUIRY", "session": sid, "formData": { "description": "hello" } })),
    )
    .await;
    assert_eq!(s, 200, "{ticket}");
    assert_eq!(ticket["session"]["_id"], sid.as_str());
    (sid, ticket["_id"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn proxy_mode_accepts_no_auth_but_checks_present_headers() {
    let sb = start().await;
    let (s, _) = call(
        &sb,
        Method::POST,
        "/v3/sessions",
        Some(json!({ "userId": "a" })),
    )
    .await;
    assert_eq!(s, 200);
    // Any auth header present is checked.
    for (key, project) in [("wrong", "proj_test"), ("gleap_secret_test", "wrong")] {
        let (s, v) = status_json(
            sb.post("/gleap/v3/sessions", &json!({}))
                .bearer_auth(key)
                .header("Project", project)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 401);
        assert_eq!(v["message"], "Unauthorized");
    }
    let (s, _) = status_json(
        sb.post("/gleap/v3/sessions", &json!({}))
            .header("Project", "proj_test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401, "Project without the key");
    let (s, _) = status_json(
        sb.post("/gleap/v3/sessions", &json!({}))
            .bearer_auth("gleap_secret_test")
            .header("Project", "proj_test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);

    // Without the proxy, auth is required.
    let direct = start_with(helpwire_sandbox::Config {
        gleap_proxy: false,
        ..Default::default()
    })
    .await;
    let (s, _) = call(&direct, Method::POST, "/v3/sessions", Some(json!({}))).await;
    assert_eq!(s, 401);
}

#[tokio::test]
async fn sessions_are_found_again_by_user_id() {
    let sb = start().await;
    let (_, a) = call(
        &sb,
        Method::POST,
        "/v3/sessions",
        Some(json!({ "userId": "same", "name": "A" })),
    )
    .await;
    let (_, b) = call(
        &sb,
        Method::POST,
        "/v3/sessions",
        Some(json!({ "userId": "same", "name": "B" })),
    )
    .await;
    assert_eq!(a["_id"], b["_id"]);
    assert_eq!(b["name"], "B");
}

#[tokio::test]
async fn notes_are_in_the_raw_list_exactly_like_comments() {
    let sb = start().await;
    let (sid, tid) = open_chat(&sb).await;
    let (s, m1) = call(
        &sb,
        Method::POST,
        "/v3/messages",
        Some(json!({ "ticket": tid, "comment": "Hello?", "session": sid })),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(m1["session"]["_id"], sid.as_str());
    assert_eq!(m1["type"], "TEXT");
    let doc = json!({ "type": "doc", "content": [{ "type": "paragraph", "content": [{ "type": "text", "marks": [{ "type": "bold" }], "text": "bold" }] }] });
    let (_, m2) = call(
        &sb,
        Method::POST,
        "/v3/messages",
        Some(json!({ "ticket": tid, "comment": doc, "session": sid })),
    )
    .await;
    assert_eq!(m2["comment"], doc);
    // An internal note through the API, another through the agent control.
    let (_, n1) = call(
        &sb,
        Method::POST,
        "/v3/messages",
        Some(json!({ "ticket": tid, "comment": "escalate", "isNote": true })),
    )
    .await;
    assert_eq!(n1["type"], "NOTE");
    assert_eq!(n1["isNote"], true);
    assert!(n1.get("user").is_some());
    sb.control(
        "/_sandbox/gleap/reply",
        json!({ "conversation": tid, "text": "secret", "note": true, "note_style": "flag" }),
    )
    .await;
    sb.control(
        "/_sandbox/gleap/reply",
        json!({ "conversation": tid, "text": "We are on it", "rich": true }),
    )
    .await;

    let (s, list) = call(
        &sb,
        Method::GET,
        &format!("/v3/messages?ticket={tid}&sort=createdAt&limit=50&skip=0"),
        None,
    )
    .await;
    assert_eq!(s, 200);
    let items = list.as_array().expect("a bare array");
    assert_eq!(items.len(), 5);
    let notes: Vec<&Value> = items
        .iter()
        .filter(|m| m["isNote"] == true || m["type"] == "NOTE")
        .collect();
    assert_eq!(notes.len(), 2, "both notes are returned raw");
    assert_eq!(
        notes[1]["type"], "TEXT",
        "flag-style note: only isNote marks it"
    );
    assert_eq!(items[4]["comment"]["type"], "doc");
    assert!(items[4]["user"].is_object());

    // Paging: until a short page; "-createdAt" reverses.
    let (_, p) = call(
        &sb,
        Method::GET,
        &format!("/v3/messages?ticket={tid}&sort=createdAt&limit=2&skip=4"),
        None,
    )
    .await;
    assert_eq!(p.as_array().unwrap().len(), 1);
    let (_, rev) = call(
        &sb,
        Method::GET,
        &format!("/v3/messages?ticket={tid}&sort=-createdAt&limit=1"),
        None,
    )
    .await;
    assert_eq!(rev[0]["_id"], items[4]["_id"]);
    let (_, other) = call(
        &sb,
        Method::GET,
        "/v3/messages?ticket=000000000000000000000000",
        None,
    )
    .await;
    assert_eq!(other, json!([]));
}

#[tokio::test]
async fn unknown_ticket_and_bad_bodies() {
    let sb = start().await;
    let (s, _) = call(
        &sb,
        Method::POST,
        "/v3/messages",
        Some(json!({ "ticket": "nope", "comment": "x" })),
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &sb,
        Method::POST,
        "/v3/messages",
        Some(json!({ "comment": "x" })),
    )
    .await;
    assert_eq!(s, 400);
    let (s, _) = status_json(
        sb.req(Method::POST, "/gleap/v3/tickets")
            .body("{")
            .header("Content-Type", "application/json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let sb = start().await;
    sb.control("/_sandbox/config", json!({ "gleap_rate_limit": 3 }))
        .await;
    for _ in 0..3 {
        let (s, _) = call(&sb, Method::GET, "/v3/messages", None).await;
        assert_eq!(s, 200);
    }
    let res = sb.get("/gleap/v3/messages").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 429);
    let secs: u64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&secs));
    // Reset restores the start-up limit and clears the counters.
    sb.control("/_sandbox/reset", json!({})).await;
    let (s, _) = call(&sb, Method::GET, "/v3/messages", None).await;
    assert_eq!(s, 200);
}
