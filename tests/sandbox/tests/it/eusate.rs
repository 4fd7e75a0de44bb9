use std::time::Duration;

use serde_json::{json, Value};

use crate::common::{start, status_json, RawSocketIo, Sandbox};

const NS: &str = "/helpdesk";
const QUERY: &str = "token_source=api&token=eusate_test";

async fn connected(sb: &Sandbox, session: &str) -> RawSocketIo {
    let mut io = RawSocketIo::open(sb, "/socket.io/", QUERY).await;
    let ack = io.connect_ns(NS).await;
    assert!(ack.starts_with("40/helpdesk,{\"sid\":"), "{ack}");
    io.emit(
        NS,
        "enter_customer_support",
        &json!({ "session_id": session }),
    )
    .await;
    let env = io.wait_event(NS, "enter_customer_support").await;
    assert_eq!(env["status_code"], 200);
    io
}

fn envelope_ok(env: &Value) {
    for k in ["status_code", "sid", "message", "data"] {
        assert!(env.get(k).is_some(), "envelope lacks {k}: {env}");
    }
}

#[tokio::test]
async fn raw_socket_support_flow_with_agent_push_and_close() {
    let sb = start().await;
    let mut io = connected(&sb, "visitor-1").await;

    io.emit(NS, "support", &json!({ "session_id": "visitor-1", "message": "Hello, I need help", "attachment": false, "ticket_chat_id": null })).await;
    let (name, env) = io.next_event(NS).await;
    assert_eq!(name, "support");
    envelope_ok(&env);
    assert_eq!(env["status_code"], 200);
    assert_eq!(env["data"]["sender"], "sate");
    let chat = env["data"]["ticket_chat_id"]
        .as_str()
        .expect("new ticket_chat_id")
        .to_string();

    io.emit(NS, "enter_support", &json!({ "ticket_chat_id": chat }))
        .await;
    assert_eq!(io.wait_event(NS, "enter_support").await["status_code"], 200);

    // A human agent answers: pushed on customer_support, once, to this socket.
    let r = sb
        .control(
            "/_sandbox/eusate/reply",
            json!({ "conversation": chat, "text": "Agent Anna here" }),
        )
        .await;
    assert_eq!(r["delivered"], 1);
    let (name, env) = io.next_event(NS).await;
    assert_eq!(name, "customer_support");
    envelope_ok(&env);
    assert_eq!(env["data"]["sender"], "agent");
    assert_eq!(env["data"]["message"], "Agent Anna here");
    assert_eq!(env["data"]["ticket_chat_id"], chat.as_str());

    // Once an agent took over, SATE stays quiet. The message is sent with an ack id and the ack
    // awaited: the server handles socket events on their own tasks, so without it the close
    // below could overtake the message (which a closed conversation then refuses).
    let frame = format!(
        "42{NS},7{}",
        json!(["support", { "session_id": "visitor-1", "message": "thanks", "attachment": false, "ticket_chat_id": chat }])
    );
    io.send_raw(&frame).await;
    let ack = io.recv_raw().await;
    let env: Value = serde_json::from_str(
        ack.strip_prefix(&format!("43{NS},7"))
            .unwrap_or_else(|| panic!("expected the ack, got {ack}")),
    )
    .expect("ack json");
    assert_eq!(env[0]["status_code"], 200, "{env}");
    io.expect_silence(Duration::from_millis(300)).await;

    sb.control("/_sandbox/eusate/close", json!({ "conversation": chat }))
        .await;
    let env = io.wait_event(NS, "customer_support_closed").await;
    assert_eq!(env["data"]["closed"], true);

    // REST reads agree, and every message is stored exactly once.
    let auth = ("Authorization", "Bearer eusate_test");
    let (s, convs) = status_json(
        sb.get("/eusate/api/v1/helpdesk/customer/visitor-1/conversations/?closed=true")
            .header(auth.0, auth.1)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(convs.as_array().unwrap().len(), 1);
    assert_eq!(convs[0]["latest_message"]["sender"], "customer");
    let (_, open) = status_json(
        sb.get("/eusate/api/v1/helpdesk/customer/visitor-1/conversations/?closed=no")
            .header(auth.0, auth.1)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(open, json!([]));
    let (s, detail) = status_json(
        sb.get(&format!(
            "/eusate/api/v1/helpdesk/customer/visitor-1/conversations/{chat}/messages/"
        ))
        .header(auth.0, auth.1)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 200);
    let senders: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["sender"].as_str().unwrap())
        .collect();
    assert_eq!(senders, ["customer", "sate", "agent", "customer"]);
    // Another customer's session cannot read it.
    let (s, _) = status_json(
        sb.get(&format!(
            "/eusate/api/v1/helpdesk/customer/someone-else/conversations/{chat}/messages/"
        ))
        .header(auth.0, auth.1)
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(s, 403);
}

#[tokio::test]
async fn bad_or_missing_token_is_a_connect_error() {
    let sb = start().await;
    let mut io = RawSocketIo::open(&sb, "/socket.io/", "token_source=api&token=wrong").await;
    assert_eq!(
        io.connect_ns(NS).await,
        "44/helpdesk,{\"message\":\"401: invalid API key\"}"
    );
    let mut io = RawSocketIo::open(&sb, "/socket.io/", "token_source=api").await;
    assert_eq!(
        io.connect_ns(NS).await,
        "44/helpdesk,{\"message\":\"400: token is required\"}"
    );
}

#[tokio::test]
async fn at_most_three_open_conversations() {
    let sb = start().await;
    let mut io = connected(&sb, "v3").await;
    for i in 0..4 {
        io.emit(NS, "support", &json!({ "session_id": "v3", "message": format!("q{i}"), "attachment": false, "ticket_chat_id": null })).await;
        let env = io.wait_event(NS, "support").await;
        if i < 3 {
            assert_eq!(env["status_code"], 200, "{env}");
        } else {
            assert_eq!(env["status_code"], 400, "{env}");
            assert_eq!(env["data"], Value::Null);
        }
    }
}

#[tokio::test]
async fn engine_path_under_the_prefix_and_prefixed_namespace_work_too() {
    let sb = start().await;
    let mut io = RawSocketIo::open(&sb, "/eusate/socket.io/", QUERY).await;
    let ack = io.connect_ns("/eusate/helpdesk").await;
    assert!(ack.starts_with("40/eusate/helpdesk,"), "{ack}");
}

#[tokio::test]
async fn rest_auth_and_trailing_slash() {
    let sb = start().await;
    let url = "/eusate/api/v1/helpdesk/customer/x/conversations/";
    let (s, v) = status_json(sb.get(url).send().await.unwrap()).await;
    assert_eq!(s, 401);
    assert!(v["detail"].is_string());
    let (s, v) = status_json(sb.get(url).bearer_auth("nope").send().await.unwrap()).await;
    assert_eq!((s, v), (401, json!({ "detail": "Invalid API key." })));
    let (s, v) = status_json(sb.get(url).bearer_auth("eusate_test").send().await.unwrap()).await;
    assert_eq!((s, v), (200, json!([])));
    let (s, _) = status_json(
        sb.get(url.trim_end_matches('/'))
            .bearer_auth("eusate_test")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(s, 404);
}

#[tokio::test]
async fn socket_down_cuts_live_sockets_and_refuses_new_ones_until_up() {
    let sb = start().await;
    let mut io = connected(&sb, "v-down").await;
    let down = sb
        .control("/_sandbox/eusate/socket", json!({ "down": true }))
        .await;
    assert_eq!(down, json!({ "down": true, "cut": 1 }));
    assert!(io.ended_without_close_frame().await, "cut, not closed");
    let refused = sb
        .get("/socket.io/?EIO=4&transport=polling&token_source=api&token=eusate_test")
        .send()
        .await
        .expect("engine request");
    assert_eq!(refused.status().as_u16(), 503);
    let up = sb
        .control("/_sandbox/eusate/socket", json!({ "down": false }))
        .await;
    assert_eq!(up, json!({ "down": false, "cut": 0 }));
    connected(&sb, "v-down").await;
}
