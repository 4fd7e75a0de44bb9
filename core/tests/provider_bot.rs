//! The bot contract (seed 001, Gleap's custom API action): the exact POST Gleap would send, the
//! last two comments, the `{"message": string | TipTap doc}` answer, and the error mapping.

#[path = "support/plans.rs"]
mod plans;
use helpwire_core::config::{Config, ProviderKind};
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Conversation, Delivery, Message, Session, Visitor};
use helpwire_core::protocol::bot::{self, BotProvider};
use helpwire_core::protocol::{
    Context, Cursor, HttpResponse, Method, Outgoing, Plan, Provider, ProviderError, Sent,
};
use plans::request;

/// A platform with a fixed clock and no browser languages.
const PLATFORM: helpwire_core::protocol::Platform = helpwire_core::protocol::Platform {
    clock: || 1_700_000_000_000.0,
    languages: &[],
};

/// A JSON value written out as text.
fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

const URL: &str = "https://bot.example.com/hooks/helpwire/?source=widget";
/// 2024-01-20T10:30:00.000Z
const NOW: f64 = 1_705_746_600_000.0;

fn now() -> f64 {
    NOW
}

fn provider() -> BotProvider {
    BotProvider::new(URL, Some("Bearer abc123"), Some("PROJECT_ID"), now)
}

fn ready<T: std::fmt::Debug>(plan: Plan<T>) -> T {
    match plan {
        Plan::Ready(r) => r.unwrap(),
        Plan::Request { request, .. } => panic!("expected no request, got {request:?}"),
    }
}

fn sam() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        user_id: Some("user123".into()),
        email: Some("sam@example.com".into()),
        name: Some("Sam".into()),
        custom_data: Some(j(r#"{"somecustomkey": "customdataforsession"}"#)),
        ..Visitor::default()
    }
}

fn outgoing(id: &str, text: &str) -> Outgoing {
    Outgoing {
        local_id: id.into(),
        text: text.into(),
    }
}

fn opened() -> (Session, Conversation) {
    let s = ready(provider().start_session(&sam(), None));
    let c = ready(provider().open_conversation(&sam(), &s, &outgoing("m_1", "hi")));
    (s, c)
}

fn visitor_said(id: &str, text: &str, at: f64) -> Message {
    Message {
        id: id.into(),
        local_id: Some(id.into()),
        author: Author::Visitor,
        body: Body::Text(text.into()),
        attachments: Vec::new(),
        created_at: at,
        delivery: Some(Delivery::Sent),
        origin: None,
        attempted_at: None,
        unconfirmed: false,
    }
}

fn bot_said(id: &str, body: Body, at: f64) -> Message {
    Message::received(id, Author::Bot { name: None }, body, at)
}

fn send_with(recent: &[Message], resp: &HttpResponse) -> Result<Sent, ProviderError> {
    let (s, c) = opened();
    let v = sam();
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent,
    };
    let (_, parse) = request(provider().send_message(cx, &outgoing("m_2", "Where is my order?")));
    parse(resp)
}

fn ok(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(status, body)
}

#[test]
fn session_and_conversation_live_in_the_widget() {
    let (s, c) = opened();
    assert_eq!(s.id, "v_anon");
    assert_eq!(c.id, "helpwire-m_1");
    let caps = provider().capabilities();
    assert!(
        !caps.polling,
        "nothing to poll: the answer comes with the send"
    );
    assert!(caps.rich_text);
    assert!(!caps.attachments);
    let page = ready(provider().fetch_messages(
        Context {
            visitor: &sam(),
            session: &s,
            conversation: &c,
            recent: &[],
        },
        &Cursor(Json::from(7)),
    ));
    assert!(page.messages.is_empty());
    assert_eq!(page.next, Cursor(Json::from(7)));
    assert!(!page.more);
}

#[test]
fn a_send_posts_gleaps_custom_action_body_with_the_last_two_comments() {
    let (s, c) = opened();
    let v = sam();
    let recent = vec![
        visitor_said("m_0", "hello", NOW - 60_000.0),
        bot_said(
            "m_0-reply",
            Body::Rich(j(
                r#"{"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi Sam!"}]}]}"#,
            )),
            NOW - 30_000.0,
        ),
    ];
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent: &recent,
    };
    let (req, _) = request(provider().send_message(cx, &outgoing("m_2", "Where is my order?")));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, URL, "the configured URL is used verbatim");
    assert_eq!(req.header_value("Authorization"), Some("Bearer abc123"));
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(
        req.body,
        Some(j(r#"{
            "conversation": {
                "id": "helpwire-m_1",
                "type": "INQUIRY",
                "project": "PROJECT_ID",
                "organisation": null,
                "shareToken": null,
                "customData": {}
            },
            "session": {
                "id": "v_anon",
                "gleapId": null,
                "userId": "user123",
                "email": "sam@example.com",
                "name": "Sam",
                "value": null,
                "customData": {"somecustomkey": "customdataforsession"}
            },
            "comments": [
                {
                    "id": "m_0-reply",
                    "type": "TEXT",
                    "comment": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hi Sam!"}]}]},
                    "bot": true,
                    "createdAt": "2024-01-20T10:29:30.000Z"
                },
                {
                    "id": "m_2",
                    "type": "TEXT",
                    "comment": "Where is my order?",
                    "bot": false,
                    "session": {"id": "v_anon"},
                    "createdAt": "2024-01-20T10:30:00.000Z"
                }
            ]
        }"#))
    );
}

#[test]
fn the_first_message_is_the_only_comment_and_an_anonymous_session_has_nulls() {
    let s = Session {
        id: "v_x".into(),
        extra: Json::Null,
    };
    let c = Conversation {
        id: "helpwire-m_1".into(),
        extra: Json::Null,
    };
    let v = Visitor {
        anon_id: "v_x".into(),
        ..Visitor::default()
    };
    let p = BotProvider::new(URL, None, None, now);
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent: &[],
    };
    let (req, _) = request(p.send_message(cx, &outgoing("m_1", "hi")));
    assert_eq!(req.header_value("Authorization"), None);
    let body = req.body.unwrap();
    assert_eq!(body["conversation"]["project"], Json::Null);
    assert_eq!(body["session"]["userId"], Json::Null);
    assert_eq!(body["session"]["email"], Json::Null);
    assert_eq!(body["session"]["customData"], j(r#"{}"#));
    assert_eq!(body["comments"].as_array().unwrap().len(), 1);
    assert_eq!(body["comments"][0]["comment"], "hi");
}

#[test]
fn only_the_latest_earlier_message_joins_the_new_one() {
    let (s, c) = opened();
    let v = sam();
    let recent: Vec<Message> = (0..4)
        .map(|i| {
            visitor_said(
                &format!("m_old{i}"),
                &format!("old {i}"),
                NOW - 1_000.0 * (4 - i) as f64,
            )
        })
        .collect();
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent: &recent,
    };
    let (req, _) = request(provider().send_message(cx, &outgoing("m_9", "new")));
    let comments = req.body.unwrap()["comments"].clone();
    let ids: Vec<&str> = comments
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["m_old3", "m_9"]);
}

#[test]
fn the_documented_string_answer_is_the_bots_text_reply() {
    let sent = send_with(
        &[],
        &ok(
            200,
            r#"{"message": "This is a response from the server and will be sent to the customer :)"}"#,
        ),
    )
    .unwrap();
    assert_eq!(sent.remote_id, "m_2");
    assert_eq!(sent.created_at, None);
    assert_eq!(sent.replies.len(), 1);
    let reply = &sent.replies[0];
    assert_eq!(reply.id, "m_2-reply");
    assert_eq!(reply.author, Author::Bot { name: None });
    assert_eq!(
        reply.body,
        Body::Text("This is a response from the server and will be sent to the customer :)".into())
    );
    assert_eq!(reply.created_at, NOW);
}

#[test]
fn a_tiptap_doc_answer_is_a_rich_reply() {
    let doc = j(
        r##"{"type": "doc", "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "Order "},
        {"type": "text", "marks": [{"type": "bold"}], "text": "#1234"},
        {"type": "text", "text": " ships today."}
    ]}]}"##,
    );
    let sent = send_with(
        &[],
        &ok(
            200,
            &Json::object([("message", doc.clone()), ("extra", Json::from(1))]).to_string(),
        ),
    )
    .unwrap();
    assert_eq!(sent.replies[0].body, Body::Rich(doc));
    assert_eq!(
        sent.replies[0].body.plain_text(),
        "Order #1234 ships today."
    );
}

#[test]
fn an_empty_or_null_message_means_no_reply() {
    for body in [r#"{"message": ""}"#, r#"{"message": null}"#] {
        let sent = send_with(&[], &ok(200, body)).unwrap();
        assert!(sent.replies.is_empty(), "{body}");
        assert_eq!(sent.remote_id, "m_2");
    }
}

#[test]
fn errors_are_typed() {
    let err = send_with(
        &[],
        &ok(401, r#"{"detail": "Invalid authorization header"}"#),
    )
    .unwrap_err();
    assert_eq!(
        err,
        ProviderError::Status {
            status: 401,
            detail: "Invalid authorization header".into(),
            retry_after: None
        }
    );
    assert!(matches!(
        send_with(&[], &ok(404, "Not Found")).unwrap_err(),
        ProviderError::Status { status: 404, .. }
    ));
    let throttled = HttpResponse {
        status: 429,
        retry_after: Some(5),
        body: String::new(),
    };
    let err = send_with(&[], &throttled).unwrap_err();
    assert!(err.is_transient());
    assert_eq!(err.retry_after(), Some(5));
    assert!(matches!(
        send_with(&[], &ok(200, "OK")).unwrap_err(),
        ProviderError::Malformed { ref body, .. } if body == "OK"
    ));
}

#[test]
fn answers_that_are_not_the_contract_are_malformed() {
    for body in [r#"{}"#, r#"{"text": "hi"}"#, r#""hi""#, "[]"] {
        let err = send_with(&[], &ok(200, body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
}

#[test]
fn an_unreadable_reply_is_skipped_with_a_warning_and_the_message_stays_delivered() {
    // The endpoint took the message: failing the send would show it undelivered and resend it.
    for message in [
        "42",
        r#"["hi"]"#,
        r#"{"type": "paragraph"}"#,
        "true",
        "{}",
        "1e20",
    ] {
        let body = format!(r#"{{"message": {message}}}"#);
        let sent = send_with(&[], &ok(200, &body)).unwrap();
        assert!(sent.replies.is_empty(), "{body}");
        assert_eq!(sent.warnings.len(), 1, "{body}");
    }
}

fn config(url: &str, key: Option<&str>) -> Config {
    Config {
        provider: ProviderKind::Bot,
        api_base: Some(url.into()),
        api_key: key.map(str::to_string),
        ..Config::default()
    }
}

#[test]
fn for_config_builds_the_bot_with_the_key_verbatim() {
    let p =
        helpwire_core::protocol::for_config(&config(URL, Some("Token xyz")), &PLATFORM).unwrap();
    let (s, c) = opened();
    let v = sam();
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent: &[],
    };
    let (req, _) = request(p.send_message(cx, &outgoing("m_2", "hi")));
    assert_eq!(req.url, URL);
    assert_eq!(req.header_value("Authorization"), Some("Token xyz"));
}

#[test]
fn a_key_over_plain_http_is_warned_about() {
    assert_eq!(
        bot::warnings(&config("http://bot.example.com/hook", Some("Bearer x"))).len(),
        1
    );
    assert!(bot::warnings(&config("http://localhost:8080/hook", Some("Bearer x"))).is_empty());
    assert!(bot::warnings(&config(URL, Some("Bearer x"))).is_empty());
    assert!(bot::warnings(&config("http://bot.example.com/hook", None)).is_empty());
}
