use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{start, status_json, Sandbox};

const API: &str = "/bancroft/api/v1/conversations";
const KEY: &str = "bnc_cl_test";

async fn create(sb: &Sandbox, body: Value) -> (u16, Value) {
    status_json(
        sb.post(&format!("{API}/create/"), &body)
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn auth_errors_are_401_detail() {
    let sb = start().await;
    let (s, v) = status_json(sb.get(&format!("{API}/")).send().await.unwrap()).await;
    assert_eq!(s, 401);
    assert_eq!(
        v,
        json!({ "detail": "Authentication credentials were not provided." })
    );

    let (s, v) = status_json(
        sb.get(&format!("{API}/"))
            .header("X-API-Key", "bnc_cl_wrong")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 401);
    assert_eq!(v, json!({ "detail": "Invalid API key." }));

    // Both documented header forms work.
    let (s, _) = status_json(
        sb.get(&format!("{API}/"))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let (s, _) = status_json(
        sb.get(&format!("{API}/"))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);

    // A client key from an origin that is not allowed.
    let (s, v) = status_json(
        sb.get(&format!("{API}/"))
            .header("X-API-Key", KEY)
            .header("Origin", "https://evil.example")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    assert!(v["detail"].is_string());
}

#[tokio::test]
async fn trailing_slash_is_part_of_every_path() {
    let sb = start().await;
    for (m, p) in [
        (Method::GET, API.to_string()),
        (Method::POST, format!("{API}/create")),
    ] {
        let (s, v) = status_json(
            sb.req(m, &p)
                .header("X-API-Key", KEY)
                .json(&json!({ "subject": "x" }))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(s, 404, "{p}");
        assert_eq!(v, json!({ "detail": "Not found." }));
    }
    let (_, conv) = create(&sb, json!({ "subject": "s", "user_email": "a@b.test" })).await;
    let id = conv["id"].as_str().unwrap();
    let (s, _) = status_json(
        sb.get(&format!("{API}/{id}/messages"))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
    // Wrong method on a real path: DRF's 405.
    let (s, v) = status_json(
        sb.get(&format!("{API}/create/"))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 405);
    assert_eq!(v["detail"], "Method \"GET\" not allowed.");
}

#[tokio::test]
async fn anonymous_requester_and_message_rules() {
    let sb = start().await;
    let (s, conv) = create(
        &sb,
        json!({ "subject": "Help with order", "description": "Where is my parcel?", "channel": "web" }),
    )
    .await;
    assert_eq!(s, 201, "{conv}");
    assert_eq!(conv["status"], "open");
    assert_eq!(conv["priority"], "normal");
    assert_eq!(conv["channel"], "web");
    let email = conv["requester"]["email"].as_str().unwrap().to_string();
    assert!(email.contains('@'), "generated requester email: {email}");
    let id = conv["id"].as_str().unwrap().to_string();

    let send = |body: Value| {
        sb.post(&format!("{API}/{id}/messages/create/"), &body)
            .header("X-API-Key", KEY)
            .send()
    };
    let (s, v) = status_json(send(json!({ "user_email": email })).await.unwrap()).await;
    assert_eq!((s, v), (400, json!({ "detail": "body is required." })));
    let (s, v) = status_json(send(json!({ "body": "hi" })).await.unwrap()).await;
    assert_eq!(
        (s, v),
        (400, json!({ "detail": "user_email is required." }))
    );
    let (s, _) = status_json(
        send(json!({ "body": "hi", "user_email": "someone@else.test" }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403, "later sends must use requester.email");
    let (s, m) = status_json(
        send(json!({ "body": "Order #1234", "user_email": email }))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 201);
    assert_eq!(m["sender_email"], email.as_str());
    assert_eq!(m["message_type"], "reply");

    sb.control(
        "/_sandbox/bancroft/reply",
        json!({ "conversation": id, "text": "Let me look." }),
    )
    .await;

    let (s, list) = status_json(
        sb.get(&format!("{API}/{id}/messages/"))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(list["count"], 3);
    let bodies: Vec<&str> = list["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        ["Where is my parcel?", "Order #1234", "Let me look."],
        "oldest first"
    );
}

#[tokio::test]
async fn subject_is_required_and_at_most_500_chars() {
    let sb = start().await;
    let (s, v) = create(&sb, json!({ "user_email": "a@b.test" })).await;
    assert_eq!((s, v), (400, json!({ "detail": "subject is required." })));
    let (s, v) = create(&sb, json!({ "subject": "é".repeat(501) })).await;
    assert_eq!(s, 400);
    assert!(v["detail"].as_str().unwrap().contains("500"));
    let (s, _) = create(&sb, json!({ "subject": "é".repeat(500) })).await;
    assert_eq!(s, 201);
    let (s, _) = create(&sb, json!({ "subject": "x", "priority": "asap" })).await;
    assert_eq!(s, 400);
    let (s, v) = status_json(
        sb.req(Method::POST, &format!("{API}/create/"))
            .header("X-API-Key", KEY)
            .header("Content-Type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
    assert!(v["detail"]
        .as_str()
        .unwrap()
        .starts_with("JSON parse error"));
}

#[tokio::test]
async fn list_pages_with_limit_and_offset() {
    let sb = start().await;
    for i in 0..3 {
        create(
            &sb,
            json!({ "subject": format!("s{i}"), "user_email": "pager@b.test" }),
        )
        .await;
    }
    create(
        &sb,
        json!({ "subject": "other", "user_email": "other@b.test" }),
    )
    .await;
    let get = |q: &str| {
        sb.get(&format!("{API}/?{q}"))
            .header("X-API-Key", KEY)
            .send()
    };
    let (_, p1) = status_json(get("user_email=pager@b.test&limit=2").await.unwrap()).await;
    assert_eq!(p1["count"], 3);
    assert_eq!(p1["results"].as_array().unwrap().len(), 2);
    assert_eq!(p1["previous"], Value::Null);
    let next = p1["next"].as_str().unwrap();
    assert!(
        next.contains("limit=2") && next.contains("offset=2"),
        "{next}"
    );
    let (_, p2) = status_json(
        get("user_email=pager@b.test&limit=2&offset=2")
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(p2["results"].as_array().unwrap().len(), 1);
    assert_eq!(p2["next"], Value::Null);
    assert!(p2["previous"].is_string());
    // limit is capped at 100.
    let (_, all) = status_json(get("limit=1000").await.unwrap()).await;
    assert_eq!(all["count"], 4);
    let (_, open) = status_json(get("status=closed").await.unwrap()).await;
    assert_eq!(open["count"], 0);
}

#[tokio::test]
async fn resolve_needs_a_server_key() {
    let sb = start().await;
    let (_, conv) = create(&sb, json!({ "subject": "s", "user_email": "r@b.test" })).await;
    let id = conv["id"].as_str().unwrap();
    let url = format!("{API}/{id}/resolve/");
    let (s, _) = status_json(
        sb.post(&url, &json!({}))
            .header("X-API-Key", KEY)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
    let (s, v) = status_json(
        sb.post(&url, &json!({}))
            .header("X-API-Key", "bnc_sv_test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(v["status"], "closed");
    let (s, _) = status_json(
        sb.post(
            &format!("{API}/{id}/messages/create/"),
            &json!({ "body": "again", "user_email": "r@b.test" }),
        )
        .header("X-API-Key", KEY)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 400);
}
