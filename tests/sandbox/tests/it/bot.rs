use serde_json::{json, Value};

use crate::common::{start, status_json, Sandbox};

fn body(conv: &str, last: Value) -> Value {
    json!({
        "conversation": { "id": conv, "type": "INQUIRY", "project": "p", "organisation": "o", "shareToken": "t", "customData": {} },
        "session": { "id": "s1", "gleapId": "g", "userId": "user123", "email": "sam@example.com", "name": "Sam", "value": 100, "customData": {} },
        "comments": [{ "comment": "earlier" }, last]
    })
}

async fn ask(sb: &Sandbox, conv: &str, last: Value) -> Value {
    let (s, v) = status_json(
        sb.post("/bot", &body(conv, last))
            .header("Authorization", "Bearer bot_test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    v["message"].clone()
}

fn has_mark(doc: &Value, mark: &str) -> bool {
    doc.to_string().contains(&format!("\"type\":\"{mark}\""))
}

#[tokio::test]
async fn needs_the_configured_authorization_header() {
    let sb = start().await;
    let res = sb
        .post("/bot", &body("c", json!({ "comment": "hi" })))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = sb
        .post("/bot", &body("c", json!({ "comment": "hi" })))
        .header("Authorization", "Bearer nope")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = sb
        .post("/bot", &json!({ "no": "comments" }))
        .header("Authorization", "Bearer bot_test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
}

#[tokio::test]
async fn alternates_plain_and_tiptap_answers_built_from_the_last_comment() {
    let sb = start().await;
    let first = ask(&sb, "c1", json!({ "comment": "Where is order 42?" })).await;
    assert!(
        first.as_str().unwrap().contains("Where is order 42?"),
        "{first}"
    );

    let rich_q = json!({ "comment": { "type": "doc", "content": [{ "type": "paragraph", "content": [{ "type": "text", "text": "Refund please" }] }] } });
    let second = ask(&sb, "c1", rich_q).await;
    assert_eq!(second["type"], "doc");
    assert!(
        has_mark(&second, "bold") && has_mark(&second, "link") && has_mark(&second, "bulletList")
    );
    assert!(second.to_string().contains("Refund please"));

    assert!(ask(&sb, "c1", json!("plain string comment"))
        .await
        .is_string());
    assert_eq!(
        ask(&sb, "c2", json!({ "comment": "#rich now" })).await["type"],
        "doc"
    );

    // The agent control scripts the next answer of a conversation.
    sb.control(
        "/_sandbox/bot/reply",
        json!({ "conversation": "c2", "text": "Scripted!" }),
    )
    .await;
    assert_eq!(ask(&sb, "c2", json!({ "comment": "?" })).await, "Scripted!");

    let list = sb.conversations("bot").await;
    let c1 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "c1")
        .unwrap();
    assert_eq!(c1["turns"], 3);
    assert_eq!(c1["messages"].as_array().unwrap().len(), 6);
}
