use serde_json::{json, Value};

use crate::common::{start, status_json};

#[tokio::test]
async fn post_returns_the_system_reply_and_thread_is_read_by_md5() {
    let sb = start().await;
    let (s, reply) = status_json(
        sb.post(
            "/gurusup/messages",
            &json!({ "body": "Where is my order?", "user_fid": "visitor-1", "thread_fid": "abc", "lang": "en", "subject": "Order", "is_customer_support_agent": false }),
        )
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200, "{reply}");
    assert_eq!(reply["is_customer_support_agent"], true);
    assert_ne!(reply["user_fid"], "visitor-1");
    assert!(reply["body"]
        .as_str()
        .unwrap()
        .contains("Where is my order?"));

    // md5("abc"), lowercase hex.
    let hash = "900150983cd24fb0d6963f7d28e17f72";
    let (s, thread) = status_json(
        sb.get(&format!("/gurusup/threads/{hash}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(thread["thread"], hash);
    assert_eq!(thread["thread_fid"], "abc");
    let msgs = thread["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["body"], "Where is my order?");
    assert_eq!(msgs[1]["_id"], reply["_id"]);

    let (s, _) = status_json(
        sb.get(&format!("/gurusup/threads/{}", hash.to_uppercase()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404, "uppercase hex is not the documented key");
    let (s, _) = status_json(sb.get("/gurusup/threads/abc").send().await.unwrap()).await;
    assert_eq!(s, 404, "the raw thread_fid is not the key");

    // A later human answer shows up when polling the thread.
    sb.control(
        "/_sandbox/gurusup/reply",
        json!({ "conversation": "abc", "text": "Agent here" }),
    )
    .await;
    let (_, thread) = status_json(
        sb.get(&format!("/gurusup/threads/{hash}"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(thread["messages"][2]["body"], "Agent here");
    let (s, one) = status_json(
        sb.get(&format!(
            "/gurusup/messages/{}",
            reply["_id"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(one["_id"], reply["_id"]);
}

#[tokio::test]
async fn key_is_optional_behind_the_proxy_but_checked_when_sent() {
    let sb = start().await;
    let res = sb
        .get("/gurusup/threads")
        .header("x-api-key", "wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let res = sb
        .get("/gurusup/threads")
        .header("x-api-key", "gurusup_test")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    sb.control("/_sandbox/config", json!({ "gurusup_proxy": false }))
        .await;
    let res = sb.get("/gurusup/threads").send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn bad_bodies_are_plain_400() {
    let sb = start().await;
    for body in [
        json!({ "body": "x" }),
        json!({ "body": "", "user_fid": "u", "thread_fid": "t" }),
        json!([1]),
    ] {
        let res = sb.post("/gurusup/messages", &body).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 400, "{body}");
    }
    let (s, v) = status_json(sb.get("/gurusup/messages/nope").send().await.unwrap()).await;
    assert_eq!((s, v), (404, Value::String("Not Found".into())));
}

/// A webhook receiver on 127.0.0.1: each call's `x-api-key` and JSON body, in arrival order.
async fn receiver() -> (
    String,
    tokio::sync::mpsc::UnboundedReceiver<(Option<String>, Value)>,
) {
    use axum::{body::Bytes, http::HeaderMap, routing::post, Router};
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let tx = tx.clone();
            async move {
                let key = headers
                    .get("x-api-key")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string);
                let _ = tx.send((key, serde_json::from_slice(&body).unwrap_or(Value::Null)));
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, rx)
}

async fn next_call(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Option<String>, Value)>,
) -> (Option<String>, Value) {
    tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .expect("a webhook call within 10 s")
        .expect("the receiver runs")
}

#[tokio::test]
async fn the_webhook_gets_each_message_sent_to_the_user_with_the_key() {
    let sb = start().await;
    let (url, mut calls) = receiver().await;
    let send = json!({ "body": "Hi", "user_fid": "v1", "thread_fid": "t1" });
    // Before a webhook is set nothing is sent (the fence below shows it).
    sb.post("/gurusup/messages", &send).send().await.unwrap();
    let status = sb
        .control(
            "/_sandbox/gurusup/webhook",
            json!({ "url": url, "key": "hook-key" }),
        )
        .await;
    assert_eq!(status["url"], url);
    assert!(status.get("key").is_none(), "the key is never shown");
    let (_, reply) = status_json(sb.post("/gurusup/messages", &send).send().await.unwrap()).await;
    let (key, call) = next_call(&mut calls).await;
    assert_eq!(key.as_deref(), Some("hook-key"));
    assert_eq!(call["event"], "send_message");
    assert_eq!(
        call["data"], reply,
        "the stored message as the API returns it"
    );
    let agent = sb
        .control(
            "/_sandbox/gurusup/reply",
            json!({ "conversation": "t1", "text": "Agent here" }),
        )
        .await;
    let (_, call) = next_call(&mut calls).await;
    assert_eq!(call["data"], agent);
    assert_eq!(call["data"]["thread_fid"], "t1");
    // Turned off: the next send goes nowhere; the fence after turning it on comes first.
    sb.control("/_sandbox/gurusup/webhook", json!({ "url": null }))
        .await;
    sb.post("/gurusup/messages", &send).send().await.unwrap();
    sb.control(
        "/_sandbox/gurusup/webhook",
        json!({ "url": url, "key": "k2" }),
    )
    .await;
    sb.control(
        "/_sandbox/gurusup/reply",
        json!({ "conversation": "t1", "text": "fence" }),
    )
    .await;
    let (key, call) = next_call(&mut calls).await;
    assert_eq!(
        (key.as_deref(), call["data"]["body"].as_str()),
        (Some("k2"), Some("fence"))
    );
    // A bad control body is refused.
    let res = sb
        .post(
            "/_sandbox/gurusup/webhook",
            &json!({ "url": "ftp://x", "key": "k" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
}
