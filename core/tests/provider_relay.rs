//! The relay (issue #17): every request exactly as the contract gives it (method, URL, bearer
//! token in the header and never in a URL, JSON bodies), every documented answer parsed, every
//! documented error code mapped, and hostile answers.

#[path = "support/plans.rs"]
mod plans;
use helpwire_core::config::{Config, ProviderKind};
use helpwire_core::json::Json;
use helpwire_core::model::{Attachment, Author, Body, Conversation, Session, Visitor};
use helpwire_core::protocol::relay::{self, RelayProvider, MAX_MESSAGE_CHARS, TOKEN};
use helpwire_core::protocol::{
    Context, Cursor, HttpRequest, HttpResponse, Method, Outgoing, Page, Parser, Presence, Provider,
    ProviderError, Sent, MAX_RESPONSE_BYTES,
};
use helpwire_core::text::QUOTE_CHARS;
use plans::{ready, request};

#[path = "support/hostile.rs"]
mod hostile;

/// A platform with a fixed clock and no browser languages.
const PLATFORM: helpwire_core::protocol::Platform = helpwire_core::protocol::Platform {
    clock: || 1_700_000_000_000.0,
    languages: &[],
};

/// A JSON value written out as text.
fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

const BASE: &str = "https://support.example.com/helpwire";
const TOKEN_A: &str = "hwt_a.eyJ2IjoidmlzXzEifQ.sig-A_1";
const TOKEN_B: &str = "hwt_b.eyJ2IjoidmlzXzEiLCJjIjpbImNfMSJdfQ.sig-B_2";
const VISITOR_ID: &str = "vis_1";
const CONVERSATION_ID: &str = "c_1";

/// 2026-02-26T10:00:00Z in ms.
const T_10_00: f64 = 1_772_100_000_000.0;

fn provider() -> RelayProvider {
    RelayProvider::new(BASE)
}

fn anonymous() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        ..Visitor::default()
    }
}

fn ada() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        user_id: Some("u-42".into()),
        email: Some("ada@example.com".into()),
        name: Some("Ada".into()),
        user_hash: Some("3f1c…hmac".into()),
        custom_data: Some(j(r#"{"plan": "team"}"#)),
    }
}

fn session_with(token: &str) -> Session {
    Session {
        id: VISITOR_ID.into(),
        extra: Json::object([(TOKEN, Json::from(token))]),
    }
}

fn session() -> Session {
    session_with(TOKEN_A)
}

fn conversation() -> Conversation {
    Conversation {
        id: CONVERSATION_ID.into(),
        extra: Json::Null,
    }
}

fn outgoing(text: &str) -> Outgoing {
    Outgoing {
        local_id: "m_local_1".into(),
        text: text.into(),
    }
}

fn cx<'a>(v: &'a Visitor, s: &'a Session, c: &'a Conversation) -> Context<'a> {
    Context {
        visitor: v,
        session: s,
        conversation: c,
        recent: &[],
    }
}

fn ok(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(status, body)
}

/// The bearer header, and no token anywhere in the URL.
fn assert_bearer(req: &HttpRequest, token: &str) {
    assert_eq!(
        req.header_value("Authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_no_token_in_url(req);
}

fn assert_no_token_in_url(req: &HttpRequest) {
    for t in [TOKEN_A, TOKEN_B, "hwt_", "Bearer", "token"] {
        assert!(!req.url.contains(t), "a token in the URL: {}", req.url);
    }
}

fn send(text: &str) -> (HttpRequest, Parser<Sent>) {
    let (v, s, c) = (anonymous(), session(), conversation());
    request(provider().send_message(cx(&v, &s, &c), &outgoing(text)))
}

fn fetch(cursor: &Cursor) -> (HttpRequest, Parser<Page>) {
    let (v, s, c) = (anonymous(), session(), conversation());
    request(provider().fetch_messages(cx(&v, &s, &c), cursor))
}

/// An agent message, as the relay sends it.
const AGENT: &str = r#"{"id": "r_9", "author": "agent", "text": "Normal reply", "created_at": "2026-02-26T10:00:00Z"}"#;

/// A page of `items` (JSON text) followed by the normal agent message [`AGENT`].
fn page_of(items: &[String]) -> Page {
    let mut all = items.to_vec();
    all.push(AGENT.into());
    let body = format!(
        r#"{{"messages": [{}], "cursor": "k2", "more": false}}"#,
        all.join(",")
    );
    let (_, parse) = fetch(&Cursor::default());
    parse(&ok(200, &body)).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Sessions: POST /v1/visitors
// ---------------------------------------------------------------------------------------------

#[test]
fn a_new_visitor_posts_its_identity_without_a_token() {
    let (req, _) = request(provider().start_session(&ada(), None));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://support.example.com/helpwire/v1/visitors");
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(req.header_value("Authorization"), None);
    assert_eq!(
        req.body,
        Some(j(r#"{
            "user_id": "u-42", "user_hash": "3f1c…hmac", "email": "ada@example.com",
            "name": "Ada", "custom_data": {"plan": "team"}
        }"#))
    );
    assert_eq!(req.max_response_bytes, MAX_RESPONSE_BYTES);
}

#[test]
fn an_anonymous_visitor_posts_an_empty_identity() {
    let (req, _) = request(provider().start_session(&anonymous(), None));
    assert_eq!(req.body, Some(j("{}")), "the browser's anon id is not sent");
}

#[test]
fn resuming_sends_the_previous_token_as_bearer_only() {
    let (req, _) = request(provider().start_session(&ada(), Some(&session())));
    assert_bearer(&req, TOKEN_A);
    assert!(
        !req.body.as_ref().unwrap().to_string().contains(TOKEN_A),
        "the token is not in the body either"
    );
    // A previous session without a usable token starts afresh.
    for extra in [
        Json::Null,
        j(r#"{"token": ""}"#),
        j(r#"{"token": 5}"#),
        j(r#"{"token": "a\r\nX-Evil: 1"}"#),
    ] {
        let previous = Session {
            id: VISITOR_ID.into(),
            extra,
        };
        let (req, _) = request(provider().start_session(&ada(), Some(&previous)));
        assert_eq!(req.header_value("Authorization"), None, "{previous:?}");
    }
}

#[test]
fn the_session_answer_keeps_the_token_in_the_session() {
    let (_, parse) = request(provider().start_session(&ada(), None));
    let s = parse(&ok(
        200,
        &format!(
            r#"{{"token": "{TOKEN_A}", "visitor_id": "vis_1", "expires_at": "2026-02-26T10:00:00Z"}}"#
        ),
    ))
    .unwrap();
    assert_eq!(s.id, VISITOR_ID);
    assert_eq!(s.extra[TOKEN], TOKEN_A);
    assert_eq!(s.extra[relay::EXPIRES_AT], Json::from(T_10_00));
    // The stored form keeps it across reloads.
    assert_eq!(Session::from_json(&s.to_json()).unwrap(), s);

    // Epoch ms is read through the same time helper; a 201 works like a 200.
    let (_, parse) = request(provider().start_session(&ada(), None));
    let s = parse(&ok(
        201,
        &format!(r#"{{"token": "{TOKEN_A}", "visitor_id": 77, "expires_at": 1772100000000}}"#),
    ))
    .unwrap();
    assert_eq!(s.id, "77", "numeric ids are kept as text");
    assert_eq!(s.extra[relay::EXPIRES_AT], Json::from(T_10_00));
}

#[test]
fn an_unreadable_or_missing_expiry_does_not_spoil_the_session() {
    for bad in hostile::BAD_TIMES.iter().copied().chain(["null"]) {
        let (_, parse) = request(provider().start_session(&ada(), None));
        let s = parse(&ok(
            200,
            &format!(r#"{{"token": "{TOKEN_A}", "visitor_id": "vis_1", "expires_at": {bad}}}"#),
        ))
        .unwrap_or_else(|e| panic!("{bad}: {e:?}"));
        assert_eq!(s.extra[TOKEN], TOKEN_A, "{bad}");
        assert!(s.extra.get(relay::EXPIRES_AT).is_none(), "{bad}");
    }
    let (_, parse) = request(provider().start_session(&ada(), None));
    let s = parse(&ok(
        200,
        &format!(r#"{{"token": "{TOKEN_A}", "visitor_id": "v"}}"#),
    ))
    .unwrap();
    assert!(s.extra.get(relay::EXPIRES_AT).is_none());
}

#[test]
fn a_session_answer_without_a_usable_token_or_id_is_malformed() {
    let huge = "x".repeat(100_000);
    for body in [
        r#"{"visitor_id": "vis_1"}"#.to_string(),
        r#"{"token": null, "visitor_id": "vis_1"}"#.into(),
        r#"{"token": "", "visitor_id": "vis_1"}"#.into(),
        r#"{"token": 42, "visitor_id": "vis_1"}"#.into(),
        r#"{"token": {"a": 1}, "visitor_id": "vis_1"}"#.into(),
        r#"{"token": "a b", "visitor_id": "vis_1"}"#.into(),
        r#"{"token": "a\nb", "visitor_id": "vis_1"}"#.into(),
        r#"{"token": "é", "visitor_id": "vis_1"}"#.into(),
        format!(r#"{{"token": "{TOKEN_A}"}}"#),
        format!(r#"{{"token": "{TOKEN_A}", "visitor_id": ""}}"#),
        format!(r#"{{"token": "{TOKEN_A}", "visitor_id": true}}"#),
        format!(r#"{{"token": "{TOKEN_A}", "visitor_id": 1.5}}"#),
        "[]".into(),
        "null".into(),
        "not json".into(),
        format!(r#"{{"token": "{TOKEN_A}", "visitor_id": "vis_1", "pad": "{huge}""#),
    ] {
        let (_, parse) = request(provider().start_session(&ada(), None));
        let err = parse(&ok(200, &body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{}: {err:?}",
            &body[..body.len().min(80)]
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Conversations: POST /v1/conversations
// ---------------------------------------------------------------------------------------------

/// The contract's 201 answer to `POST /v1/conversations`.
fn created(token: &str) -> String {
    format!(
        r#"{{
        "conversation": {{"id": "c_1", "created_at": "2026-02-26T10:00:00Z"}},
        "message": {{"id": "msg_1", "client_id": "m_local_1", "author": "visitor", "text": "Where is my order?", "created_at": "2026-02-26T10:00:00Z"}},
        "replies": [{{"id": "msg_2", "author": "bot", "text": "An agent will be with you shortly.", "created_at": "2026-02-26T10:00:01Z"}}],
        "token": "{token}"
    }}"#
    )
}

#[test]
fn opening_a_conversation_posts_the_first_message_with_its_client_id() {
    let (req, _) =
        request(provider().open_conversation(&ada(), &session(), &outgoing("Where is my order?")));
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations"
    );
    assert_bearer(&req, TOKEN_A);
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(
        req.body,
        Some(j(
            r#"{"client_id": "m_local_1", "text": "Where is my order?"}"#
        ))
    );
}

#[test]
fn the_created_conversation_hands_the_new_token_over_as_the_session() {
    let (_, parse) =
        request(provider().open_conversation(&ada(), &session(), &outgoing("Where is my order?")));
    let mut c = parse(&ok(201, &created(TOKEN_B))).unwrap();
    assert_eq!(c.id, CONVERSATION_ID);
    let owner = c.take_new_session().expect("the new token comes with it");
    assert_eq!(owner.id, VISITOR_ID, "the same visitor");
    assert_eq!(owner.extra[TOKEN], TOKEN_B, "the token that owns it");
    assert_eq!(
        c.extra.get(Conversation::NEW_SESSION),
        None,
        "taken out: the token is kept once, in the session"
    );
    assert_eq!(c.take_new_session(), None);

    // Later requests carry the new token.
    let (v, c) = (ada(), conversation());
    let (req, _) = request(provider().send_message(cx(&v, &owner, &c), &outgoing("more")));
    assert_bearer(&req, TOKEN_B);
    let (req, _) = request(provider().fetch_messages(cx(&v, &owner, &c), &Cursor::default()));
    assert_bearer(&req, TOKEN_B);
    let (req, _) = request(provider().start_session(&v, Some(&owner)));
    assert_bearer(&req, TOKEN_B);
}

#[test]
fn the_first_message_stored_with_the_conversation_is_not_sent_again() {
    let (_, parse) =
        request(provider().open_conversation(&ada(), &session(), &outgoing("Where is my order?")));
    let mut c = parse(&ok(201, &created(TOKEN_B))).unwrap();
    let owner = c.take_new_session().unwrap();
    // Kept across reloads with the conversation.
    let c = Conversation::from_json(&c.to_json()).unwrap();
    let v = ada();
    let sent = ready(provider().send_message(cx(&v, &owner, &c), &outgoing("Where is my order?")))
        .expect("its delivery, without a request");
    assert_eq!(sent.remote_id, "msg_1");
    assert_eq!(sent.created_at, Some(T_10_00));
    // The replies that came with the opening are handed over with it: a poll may never bring
    // them (the bot's answers exist only in the answer to a send).
    assert_eq!(sent.replies.len(), 1, "{:?}", sent.replies);
    assert_eq!(sent.replies[0].id, "msg_2");
    assert_eq!(sent.replies[0].author, Author::Bot { name: None });
    assert_eq!(
        sent.replies[0].body.plain_text(),
        "An agent will be with you shortly."
    );
    // Any other message is sent.
    let next = Outgoing {
        local_id: "m_local_2".into(),
        text: "Order 1234".into(),
    };
    let (req, _) = request(provider().send_message(cx(&v, &owner, &c), &next));
    assert_eq!(req.body.unwrap()["client_id"], "m_local_2");
}

#[test]
fn unreadable_replies_to_the_first_message_are_skipped_and_its_delivery_stands() {
    for (replies, expected) in [
        (
            r#"[null, 5, {"id": "r_1", "author": "bot", "text": "Hello!", "created_at": "2026-02-26T10:00:01Z"}]"#,
            1,
        ),
        (r#""not a list""#, 0),
        (r#"{"id": "r_1"}"#, 0),
        ("null", 0),
    ] {
        let body = format!(
            r#"{{"conversation": {{"id": "c_1"}},
                "message": {{"id": "msg_1", "client_id": "m_local_1", "author": "visitor", "text": "hi", "created_at": "2026-02-26T10:00:00Z"}},
                "replies": {replies}, "token": "{TOKEN_B}"}}"#
        );
        let (_, parse) = request(provider().open_conversation(&ada(), &session(), &outgoing("hi")));
        let mut c = parse(&ok(201, &body)).expect("the conversation is opened");
        let owner = c.take_new_session().unwrap();
        let v = ada();
        let sent = ready(provider().send_message(cx(&v, &owner, &c), &outgoing("hi")))
            .expect("its delivery, without a request");
        assert_eq!(sent.remote_id, "msg_1", "replies {replies}");
        assert_eq!(sent.replies.len(), expected, "replies {replies}");
    }
}

#[test]
fn a_first_message_the_answer_does_not_give_readably_is_sent_again_for_the_relay_to_dedupe() {
    for message in [
        "null",
        r#""msg_1""#,
        r#"{"client_id": "m_local_1"}"#,
        r#"{"id": true, "client_id": "m_local_1"}"#,
        r#"{"id": "msg_1", "client_id": "m_someone_else"}"#,
        r#"{"id": "msg_1", "client_id": 5}"#,
    ] {
        let (_, parse) = request(provider().open_conversation(&ada(), &session(), &outgoing("hi")));
        let body = format!(
            r#"{{"conversation": {{"id": "c_1"}}, "message": {message}, "replies": [], "token": "{TOKEN_B}"}}"#
        );
        let c = parse(&ok(201, &body)).unwrap_or_else(|e| panic!("{message}: {e:?}"));
        let (v, s) = (ada(), session());
        let (req, _) = request(provider().send_message(cx(&v, &s, &c), &outgoing("hi")));
        assert_eq!(
            req.body,
            Some(j(r#"{"client_id": "m_local_1", "text": "hi"}"#)),
            "{message}"
        );
    }
    // Readable but for its time: delivered, the widget keeps its own time.
    for bad in hostile::BAD_TIMES {
        let (_, parse) = request(provider().open_conversation(&ada(), &session(), &outgoing("hi")));
        let body = format!(
            r#"{{"conversation": {{"id": "c_1"}}, "message": {{"id": "msg_1", "client_id": "m_local_1", "author": "visitor", "text": "hi", "created_at": {bad}}}, "token": "{TOKEN_B}"}}"#
        );
        let c = parse(&ok(201, &body)).unwrap();
        let (v, s) = (ada(), session());
        let sent = ready(provider().send_message(cx(&v, &s, &c), &outgoing("hi"))).unwrap();
        assert_eq!(sent.remote_id, "msg_1", "{bad}");
        assert_eq!(sent.created_at, None, "{bad}");
    }
}

#[test]
fn a_created_conversation_keeps_the_rest_of_the_session() {
    let s = Session {
        id: VISITOR_ID.into(),
        extra: j(&format!(r#"{{"token": "{TOKEN_A}", "expires_at": 1}}"#)),
    };
    let (_, parse) = request(provider().open_conversation(&ada(), &s, &outgoing("hi")));
    let owner = parse(&ok(201, &created(TOKEN_B)))
        .unwrap()
        .take_new_session()
        .unwrap();
    assert_eq!(
        owner.extra,
        j(&format!(r#"{{"token": "{TOKEN_B}", "expires_at": 1}}"#))
    );
}

#[test]
fn a_created_conversation_may_be_a_bare_id_and_may_come_without_a_token() {
    let (_, parse) = request(provider().open_conversation(&ada(), &session(), &outgoing("hi")));
    let mut c = parse(&ok(201, r#"{"conversation": 501, "message": null}"#)).unwrap();
    assert_eq!(c.id, "501");
    assert_eq!(c.take_new_session(), None, "the session keeps its token");
}

#[test]
fn a_created_conversation_without_an_id_or_with_a_bad_token_is_malformed() {
    for body in [
        r#"{}"#.to_string(),
        r#"{"conversation": null, "token": "t"}"#.into(),
        r#"{"conversation": {}, "token": "t"}"#.into(),
        r#"{"conversation": {"id": ""}, "token": "t"}"#.into(),
        r#"{"conversation": true, "token": "t"}"#.into(),
        r#"{"conversation": [], "token": "t"}"#.into(),
        r#"{"conversation": {"id": "c"}, "token": 7}"#.into(),
        r#"{"conversation": {"id": "c"}, "token": ""}"#.into(),
        r#"{"conversation": {"id": "c"}, "token": "line\nbreak"}"#.into(),
        r#"[]"#.into(),
    ] {
        let (_, parse) = request(provider().open_conversation(&ada(), &session(), &outgoing("hi")));
        let err = parse(&ok(201, &body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
}

#[test]
fn a_session_without_a_token_asks_for_a_new_session_without_a_request() {
    let tokenless = Session {
        id: VISITOR_ID.into(),
        extra: Json::Null,
    };
    let (v, c) = (ada(), conversation());
    let errors = [
        ready(provider().open_conversation(&v, &tokenless, &outgoing("hi"))).map(drop),
        ready(provider().send_message(cx(&v, &tokenless, &c), &outgoing("hi"))).map(drop),
        ready(provider().fetch_messages(cx(&v, &tokenless, &c), &Cursor::default())).map(drop),
        ready(provider().listing(&ada(), &tokenless)).map(drop),
    ];
    for r in errors {
        assert!(matches!(r, Err(ProviderError::SessionExpired(_))), "{r:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Sends: POST /v1/conversations/{id}/messages
// ---------------------------------------------------------------------------------------------

#[test]
fn sending_posts_the_text_with_the_local_id_as_client_id() {
    let (req, _) = send("Any news?");
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations/c_1/messages"
    );
    assert_bearer(&req, TOKEN_A);
    assert_eq!(
        req.body,
        Some(j(r#"{"client_id": "m_local_1", "text": "Any news?"}"#))
    );
}

#[test]
fn a_long_message_is_sent_whole() {
    let text = "word ".repeat(999) + "end";
    assert!(text.chars().count() <= MAX_MESSAGE_CHARS);
    let (req, _) = send(&text);
    assert_eq!(req.body.unwrap()["text"], Json::from(text));
}

#[test]
fn path_ids_are_percent_encoded() {
    let c = Conversation {
        id: "a/b c?x".into(),
        extra: Json::Null,
    };
    let (v, s) = (ada(), session());
    let (req, _) = request(provider().send_message(cx(&v, &s, &c), &outgoing("hi")));
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations/a%2Fb%20c%3Fx/messages"
    );
}

#[test]
fn the_send_answer_gives_the_stored_id_time_and_replies() {
    let (_, parse) = send("Any news?");
    let sent = parse(&ok(
        201,
        r#"{
            "message": {"id": "msg_3", "client_id": "m_local_1", "author": "visitor", "text": "Any news?", "created_at": "2026-02-26T10:06:00Z"},
            "replies": [
                {"id": "msg_4", "author": "bot", "doc": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Yes!"}]}]}, "created_at": 1772100361000},
                {"id": "msg_5", "author": "system", "text": "Maya joined", "created_at": "2026-02-26T10:06:02Z"}
            ]
        }"#,
    ))
    .unwrap();
    assert_eq!(sent.remote_id, "msg_3");
    assert_eq!(sent.created_at, Some(T_10_00 + 6.0 * 60_000.0));
    assert!(sent.warnings.is_empty(), "{:?}", sent.warnings);
    assert_eq!(sent.replies.len(), 2);
    assert_eq!(sent.replies[0].author, Author::Bot { name: None });
    assert!(matches!(&sent.replies[0].body, Body::Rich(doc) if doc["type"] == "doc"));
    assert_eq!(sent.replies[0].body.plain_text(), "Yes!");
    assert_eq!(sent.replies[0].created_at, T_10_00 + 361_000.0);
    assert_eq!(sent.replies[1].author, Author::System);
}

#[test]
fn the_send_answer_needs_no_client_id_or_replies() {
    let (_, parse) = send("hi");
    let sent = parse(&ok(
        201,
        r#"{"message": {"id": "msg_3", "author": "visitor", "text": "hi", "created_at": "2026-02-26T10:06:00Z"}}"#,
    ))
    .unwrap();
    assert_eq!(sent.remote_id, "msg_3");
    assert!(sent.replies.is_empty());
}

#[test]
fn a_send_answer_about_another_client_id_is_not_this_delivery() {
    let (_, parse) = send("hi");
    let err = parse(&ok(
        201,
        r#"{"message": {"id": "msg_3", "client_id": "m_other", "author": "visitor", "text": "hi", "created_at": "2026-02-26T10:06:00Z"}, "replies": []}"#,
    ))
    .unwrap_err();
    assert!(
        matches!(&err, ProviderError::Malformed { reason, .. } if reason.contains("m_other")),
        "{err:?}"
    );
}

#[test]
fn a_send_answer_with_an_unusable_time_is_still_a_delivery() {
    for bad in hostile::BAD_TIMES {
        let (_, parse) = send("hi");
        let sent = parse(&ok(
            201,
            &format!(
                r#"{{"message": {{"id": "msg_3", "client_id": "m_local_1", "author": "visitor", "text": "hi", "created_at": {bad}}}, "replies": []}}"#
            ),
        ))
        .unwrap();
        assert_eq!(sent.remote_id, "msg_3", "{bad}");
        assert_eq!(
            sent.created_at, None,
            "{bad}: the widget keeps its own time"
        );
        assert_eq!(sent.warnings.len(), 1, "{bad}");
    }
}

#[test]
fn unreadable_replies_are_skipped_and_the_send_still_counts() {
    let mut bad: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    bad.push(r#"{"id": "x", "author": "wizard", "text": "?", "created_at": 0}"#.into());
    let body = format!(
        r#"{{"message": {{"id": "msg_3", "client_id": "m_local_1", "author": "visitor", "text": "hi"}}, "replies": [{}, {AGENT}]}}"#,
        bad.join(",")
    );
    let (_, parse) = send("hi");
    let sent = parse(&ok(201, &body)).unwrap();
    assert_eq!(sent.remote_id, "msg_3");
    let ids: Vec<&str> = sent.replies.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["r_9"]);
    // One per skipped reply (the stored message's absent time needs none: the widget keeps its own).
    assert_eq!(sent.warnings.len(), bad.len(), "{:?}", sent.warnings);
    assert_eq!(sent.created_at, None);

    // `replies` that is not a list at all: skipped with one warning.
    for replies in [r#""soon""#, "{}", "7"] {
        let (_, parse) = send("hi");
        let sent = parse(&ok(
            201,
            &format!(
                r#"{{"message": {{"id": "msg_3", "created_at": "2026-02-26T10:06:00Z"}}, "replies": {replies}}}"#
            ),
        ))
        .unwrap();
        assert_eq!(sent.remote_id, "msg_3");
        assert!(sent.replies.is_empty());
        assert_eq!(sent.warnings.len(), 1, "{replies}: {:?}", sent.warnings);
    }
}

#[test]
fn a_send_answer_without_a_stored_message_is_malformed() {
    for body in [
        r#"{}"#,
        r#"{"message": null}"#,
        r#"{"message": "msg_3"}"#,
        r#"{"message": {"text": "no id"}}"#,
        r#"{"message": {"id": false}}"#,
        r#"{"message": {"id": "msg_3", "client_id": 5}}"#,
        r#"[]"#,
        "",
    ] {
        let (_, parse) = send("hi");
        let err = parse(&ok(201, body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Reads: GET /v1/conversations/{id}/messages?cursor=
// ---------------------------------------------------------------------------------------------

#[test]
fn fetching_starts_without_a_cursor_and_continues_from_the_relays() {
    let (req, _) = fetch(&Cursor::default());
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations/c_1/messages"
    );
    assert_bearer(&req, TOKEN_A);
    assert_eq!(req.body, None);
    assert_eq!(req.header_value("Content-Type"), None);
    assert_eq!(
        req.max_response_bytes, MAX_RESPONSE_BYTES,
        "paged: no history limit"
    );

    let (req, _) = fetch(&Cursor(Json::from("opaque/+= k1")));
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations/c_1/messages?cursor=opaque%2F%2B%3D%20k1"
    );
    assert_bearer(&req, TOKEN_A);
}

#[test]
fn the_documented_page_parses_every_author_and_body() {
    let (_, parse) = fetch(&Cursor::default());
    let page = parse(&ok(
        200,
        r#"{
        "messages": [
            {"id": "msg_1", "client_id": "m_local_1", "author": "visitor", "text": "Where is my order?", "created_at": "2026-02-26T10:00:00Z"},
            {"id": "msg_2", "author": "agent", "text": "Let me look.", "created_at": 1772100300000,
             "attachments": [{"name": "label.pdf", "url": "https://files.example.com/label.pdf", "mime": "application/pdf"},
                             {"url": "https://files.example.com/a/photo.png"}]},
            {"id": "msg_3", "author": "bot", "doc": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Tracking: ", "marks": [{"type": "bold"}]}, {"type": "text", "text": "1Z999"}]}]}, "created_at": "2026-02-26T10:05:00+00:00"},
            {"id": "msg_4", "author": "system", "text": "Conversation assigned to Maya", "created_at": "2026-02-26T10:06:00Z"},
            {"id": "msg_5", "client_id": "m_other_device", "author": "visitor", "text": "thanks", "created_at": "2026-02-26T10:07:00Z"}
        ],
        "cursor": "k5",
        "more": false
    }"#,
    ))
    .unwrap();
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    let m = &page.messages;
    assert_eq!(m.len(), 5);
    assert_eq!(m[0].id, "msg_1");
    assert_eq!(m[0].author, Author::Visitor);
    assert_eq!(
        m[0].local_id.as_deref(),
        Some("m_local_1"),
        "matched to the widget's message by client_id"
    );
    assert_eq!(m[0].body, Body::Text("Where is my order?".into()));
    assert_eq!(m[0].created_at, T_10_00);
    assert_eq!(m[1].author, Author::Agent { name: None });
    assert_eq!(m[1].created_at, T_10_00 + 300_000.0, "epoch ms");
    assert_eq!(
        m[1].attachments,
        [
            Attachment {
                name: "label.pdf".into(),
                url: "https://files.example.com/label.pdf".into(),
                mime: Some("application/pdf".into()),
            },
            Attachment {
                name: "photo.png".into(),
                url: "https://files.example.com/a/photo.png".into(),
                mime: None,
            },
        ]
    );
    assert_eq!(m[2].author, Author::Bot { name: None });
    assert!(matches!(&m[2].body, Body::Rich(_)));
    assert_eq!(m[2].body.plain_text(), "Tracking: 1Z999");
    assert_eq!(m[3].author, Author::System);
    assert_eq!(m[4].local_id.as_deref(), Some("m_other_device"));
    assert_eq!(page.next, Cursor(Json::from("k5")));
    assert!(!page.more);
}

#[test]
fn an_agent_message_naming_a_client_id_does_not_pass_for_the_visitors() {
    let page = page_of(&[
        r#"{"id": "a1", "client_id": "m_local_1", "author": "agent", "text": "hi", "created_at": "2026-02-26T10:00:00Z"}"#.into(),
    ]);
    assert_eq!(page.messages[0].author, Author::Agent { name: None });
    assert_eq!(page.messages[0].local_id, None);
}

#[test]
fn the_page_passes_on_what_the_relays_helpdesk_says_of_support_and_only_booleans() {
    let presence = |extra: &str| {
        let (_, parse) = fetch(&Cursor::default());
        let body = format!(r#"{{"messages": [], "cursor": "k2", "more": false{extra}}}"#);
        parse(&ok(200, &body)).unwrap().presence
    };
    let said = |typing, seen| Presence { typing, seen };
    assert_eq!(presence(""), said(false, None), "nothing said");
    assert_eq!(presence(r#", "seen": true"#), said(false, Some(true)));
    assert_eq!(presence(r#", "seen": false"#), said(false, Some(false)));
    assert_eq!(presence(r#", "typing": true"#), said(true, None));
    // Hostile or odd values say nothing and never spoil the page.
    for odd in [r#""yes""#, "1", "null", "{}", "[true]"] {
        assert_eq!(
            presence(&format!(r#", "seen": {odd}, "typing": {odd}"#)),
            said(false, None),
            "{odd}"
        );
    }
}

#[test]
fn more_reads_the_next_page_at_once_only_when_the_cursor_moved() {
    let (_, parse) = fetch(&Cursor(Json::from("k1")));
    let page = parse(&ok(
        200,
        r#"{"messages": [], "cursor": "k2", "more": true}"#,
    ))
    .unwrap();
    assert!(page.more);
    assert_eq!(page.next, Cursor(Json::from("k2")));

    // `more` with the same cursor, or none, would read the same page forever: not more.
    for body in [
        r#"{"messages": [], "cursor": "k1", "more": true}"#,
        r#"{"messages": [], "cursor": null, "more": true}"#,
        r#"{"messages": [], "more": true}"#,
        r#"{"messages": [], "cursor": "", "more": true}"#,
    ] {
        let (_, parse) = fetch(&Cursor(Json::from("k1")));
        let page = parse(&ok(200, body)).unwrap();
        assert!(!page.more, "{body}");
        assert_eq!(page.next, Cursor(Json::from("k1")), "{body}: kept");
    }
    // Without `more`, or null: nothing more waiting.
    let (_, parse) = fetch(&Cursor::default());
    let page = parse(&ok(
        200,
        r#"{"messages": [], "cursor": "k0", "more": null}"#,
    ))
    .unwrap();
    assert!(!page.more);
    assert_eq!(page.next, Cursor(Json::from("k0")));
    let (_, parse) = fetch(&Cursor::default());
    let page = parse(&ok(200, r#"{"messages": []}"#)).unwrap();
    assert_eq!(page.next, Cursor::default(), "still from the start");
}

#[test]
fn a_message_with_an_unusable_time_is_kept_for_the_engine_to_date_and_warned_about_once() {
    for bad in hostile::BAD_TIMES {
        let item =
            format!(r#"{{"id": "h", "author": "agent", "text": "Hostile", "created_at": {bad}}}"#);
        let page = page_of(&[item]);
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["h", "r_9"], "{bad}");
        assert_eq!(page.messages[0].body, Body::Text("Hostile".into()));
        assert!(
            page.messages[0].created_at.is_nan(),
            "{bad}: left for the engine, not {}",
            page.messages[0].created_at
        );
        assert_eq!(page.messages[1].created_at, T_10_00);
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert!(
            page.warnings[0].contains("created_at"),
            "{:?}",
            page.warnings
        );
        assert_eq!(page.next, Cursor(Json::from("k2")), "{bad}: past it");
    }
    // Absent altogether: the same.
    let page = page_of(&[r#"{"id": "h", "author": "agent", "text": "x"}"#.into()]);
    assert!(page.messages[0].created_at.is_nan());
    assert_eq!(page.warnings.len(), 1);
}

#[test]
fn an_unreadable_message_is_skipped_with_one_warning_and_never_blocks_the_next() {
    let huge = "x".repeat(200_000);
    let mut unreadable: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    unreadable.extend([
        r#"{"author": "agent", "text": "no id", "created_at": 0}"#.to_string(),
        r#"{"id": "", "author": "agent", "text": "empty id"}"#.into(),
        r#"{"id": true, "author": "agent", "text": "x"}"#.into(),
        r#"{"id": {"nested": 1}, "author": "agent", "text": "x"}"#.into(),
        r#"{"id": "m", "text": "no author"}"#.into(),
        r#"{"id": "m", "author": "wizard", "text": "unknown author"}"#.into(),
        format!(r#"{{"id": "m", "author": "{huge}", "text": "huge author"}}"#),
        r#"{"id": "m", "author": 1, "text": "x"}"#.into(),
        r#"{"id": "m", "author": "agent", "text": 5}"#.into(),
        r#"{"id": "m", "author": "agent", "text": ["a"]}"#.into(),
        r#"{"id": "m", "author": "agent", "doc": "<b>html</b>"}"#.into(),
        r#"{"id": "m", "author": "agent", "doc": {"type": "paragraph"}}"#.into(),
        r#"{"id": "m", "author": "agent", "doc": {"type": "doc", "content": "x"}}"#.into(),
        r#"{"id": "m", "author": "agent", "text": "x", "attachments": "a.pdf"}"#.into(),
        r#"{"id": "m", "author": "agent", "text": "x", "attachments": [{"name": "no url"}]}"#
            .into(),
        r#"{"id": "m", "author": "agent", "text": "x", "attachments": [5]}"#.into(),
        r#"{"id": "m", "author": "visitor", "client_id": 9, "text": "x"}"#.into(),
    ]);
    for bad in &unreadable {
        let page = page_of(std::slice::from_ref(bad));
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        let shown = &bad[..bad.len().min(100)];
        assert_eq!(ids, ["r_9"], "{shown}");
        assert_eq!(page.warnings.len(), 1, "{shown}: {:?}", page.warnings);
        assert!(
            page.warnings[0].starts_with("skipped"),
            "{:?}",
            page.warnings
        );
        assert!(
            page.warnings[0].len() < 1_000,
            "a console line, not the whole answer"
        );
        assert_eq!(page.next, Cursor(Json::from("k2")), "{shown}: past it");
    }
    // All of them at once: one warning each, the normal message still comes through.
    let page = page_of(&unreadable);
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.warnings.len(), unreadable.len());
}

#[test]
fn huge_and_odd_but_readable_fields_are_kept() {
    let long = "a".repeat(100_000);
    let page = page_of(&[
        format!(r#"{{"id": "{long}", "author": "agent", "text": "{long}", "created_at": "2026-02-26T10:00:00Z"}}"#),
        r#"{"id": 7, "author": "agent", "created_at": "2026-02-26T10:00:00Z"}"#.into(),
        r#"{"id": "n", "author": "agent", "text": null, "doc": null, "attachments": null, "client_id": null, "created_at": "2026-02-26T10:00:00Z", "unknown": {"x": [1]}}"#.into(),
    ]);
    assert!(page.warnings.is_empty(), "{:?}", page.warnings);
    let m = &page.messages;
    assert_eq!(m.len(), 4);
    assert_eq!(m[0].body.plain_text().len(), 100_000);
    assert_eq!(m[1].id, "7");
    assert_eq!(m[1].body, Body::Text(String::new()));
    assert_eq!(m[2].body, Body::Text(String::new()));
}

#[test]
fn a_page_that_is_not_a_page_is_malformed() {
    for body in [
        r#"{}"#,
        r#"{"messages": null}"#,
        r#"{"messages": {"id": "m"}}"#,
        r#"{"messages": "[]"}"#,
        r#"{"messages": [], "cursor": 5}"#,
        r#"{"messages": [], "cursor": {"after": "k"}}"#,
        r#"{"messages": [], "more": "yes"}"#,
        r#"[]"#,
        r#""messages""#,
        "<html>502 Bad Gateway</html>",
        r#"{"messages": ["#,
    ] {
        let (_, parse) = fetch(&Cursor::default());
        let err = parse(&ok(200, body)).unwrap_err();
        assert!(
            matches!(&err, ProviderError::Malformed { body: raw, .. } if raw == body),
            "{body}: {err:?}"
        );
        assert!(err.may_have_arrived() && !err.is_transient());
    }
}

// ---------------------------------------------------------------------------------------------
// Errors: {"error": {"code", "message"}}
// ---------------------------------------------------------------------------------------------

/// The answer to every request the provider makes, parsed.
fn parse_all(resp: &HttpResponse) -> Vec<Result<(), ProviderError>> {
    let (v, s, c) = (ada(), session(), conversation());
    let p = provider();
    let (_, a) = request(p.start_session(&v, Some(&s)));
    let (_, b) = request(p.open_conversation(&v, &s, &outgoing("hi")));
    let (_, d) = request(p.send_message(cx(&v, &s, &c), &outgoing("hi")));
    let (_, e) = request(p.fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    let (_, f) = request(p.listing(&v, &s));
    vec![
        a(resp).map(drop),
        b(resp).map(drop),
        d(resp).map(drop),
        e(resp).map(drop),
        f(resp).map(drop),
    ]
}

fn relay_error(status: u16, code: &str, message: &str) -> HttpResponse {
    ok(
        status,
        &format!(r#"{{"error": {{"code": "{code}", "message": "{message}"}}}}"#),
    )
}

#[test]
fn a_401_invalid_token_means_the_session_is_gone() {
    let resp = relay_error(401, "invalid_token", "token expired");
    for r in parse_all(&resp) {
        let err = r.unwrap_err();
        assert_eq!(
            err,
            ProviderError::SessionExpired("invalid_token: token expired".into())
        );
        assert!(!err.is_transient(), "not retried as it is: renewed");
        assert!(!err.may_have_arrived(), "refused, so not stored");
    }
    // Any 401, whatever its body, and the code under another status.
    for resp in [
        ok(401, "Unauthorized"),
        ok(401, ""),
        relay_error(400, "invalid_token", "bad signature"),
    ] {
        for r in parse_all(&resp) {
            assert!(
                matches!(r, Err(ProviderError::SessionExpired(_))),
                "{resp:?}: {r:?}"
            );
        }
    }
}

#[test]
fn refusals_are_permanent_status_errors_with_the_code_and_message() {
    for (status, code) in [
        (400, "invalid_request"),
        (403, "forbidden_origin"),
        (403, "identity_not_verified"),
        (413, "too_large"),
    ] {
        let resp = relay_error(status, code, "explained");
        for r in parse_all(&resp) {
            let err = r.unwrap_err();
            assert_eq!(
                err,
                ProviderError::Status {
                    status,
                    detail: format!("{code}: explained"),
                    retry_after: None
                }
            );
            assert!(!err.is_transient(), "{code}: failed, the visitor retries");
            assert!(!err.may_have_arrived(), "{code}: refused, so not stored");
        }
    }
}

#[test]
fn a_too_large_message_is_refused_and_kept_for_the_visitor() {
    // 413: the message fails visibly (the engine keeps it, with its text, and a Retry).
    let (_, parse) = send(&"x".repeat(MAX_MESSAGE_CHARS));
    let err = parse(&relay_error(
        413,
        "too_large",
        "text is over 5000 characters",
    ))
    .unwrap_err();
    assert!(matches!(err, ProviderError::Status { status: 413, .. }));
    assert!(!err.is_transient() && !err.may_have_arrived());
}

#[test]
fn a_404_not_found_is_the_status_the_engine_reads_as_conversation_gone() {
    for r in parse_all(&relay_error(404, "not_found", "no such conversation")) {
        assert!(matches!(
            r.unwrap_err(),
            ProviderError::Status { status: 404, ref detail, .. } if detail == "not_found: no such conversation"
        ));
    }
}

#[test]
fn rate_limits_and_upstream_failures_are_retried_later() {
    let mut limited = relay_error(429, "rate_limited", "slow down");
    limited.retry_after = Some(30);
    for r in parse_all(&limited) {
        let err = r.unwrap_err();
        assert!(err.is_transient());
        assert_eq!(err.retry_after(), Some(30));
        assert!(!err.may_have_arrived());
    }
    for (status, code) in [(502, "upstream_error"), (504, "upstream_timeout")] {
        for r in parse_all(&relay_error(status, code, "helpdesk down")) {
            let err = r.unwrap_err();
            assert!(err.is_transient(), "{code}");
            assert!(
                err.may_have_arrived(),
                "{code}: the helpdesk may have stored it; the relay dedupes a resend"
            );
            assert_eq!(
                err,
                ProviderError::Status {
                    status,
                    detail: format!("{code}: helpdesk down"),
                    retry_after: None
                }
            );
        }
    }
}

#[test]
fn error_bodies_that_are_not_the_contracts_still_give_a_readable_detail() {
    let long = "y".repeat(5_000);
    for (body, detail) in [
        (
            r#"{"error": {"code": "rate_limited"}}"#.to_string(),
            "rate_limited".to_string(),
        ),
        (
            r#"{"error": {"message": "just a message"}}"#.into(),
            "just a message".into(),
        ),
        (r#"{"error": "flat"}"#.into(), r#"{"error": "flat"}"#.into()),
        (
            r#"{"error": {"code": 5, "message": ["x"]}}"#.into(),
            r#"{"error": {"code": 5, "message": ["x"]}}"#.into(),
        ),
        (
            "<html>Service Unavailable</html>".into(),
            "<html>Service Unavailable</html>".into(),
        ),
        ("".into(), "".into()),
    ] {
        for r in parse_all(&ok(503, &body)) {
            assert_eq!(
                r.unwrap_err(),
                ProviderError::Status {
                    status: 503,
                    detail: detail.clone(),
                    retry_after: None
                },
                "{body}"
            );
        }
    }
    // A huge body is cut for the console.
    for r in parse_all(&ok(500, &long)) {
        let ProviderError::Status { detail, .. } = r.unwrap_err() else {
            panic!("a status error");
        };
        assert!(
            detail.chars().count() <= QUOTE_CHARS + 1 && detail.ends_with('…'),
            "{}",
            detail.len()
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The conversation list, capabilities, configuration
// ---------------------------------------------------------------------------------------------

#[test]
fn the_visitors_conversations_are_listed_with_the_token_only() {
    assert!(provider().capabilities().lists_conversations);
    let (req, parse) = request(provider().listing(&ada(), &session()));
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://support.example.com/helpwire/v1/conversations"
    );
    assert_bearer(&req, TOKEN_A);
    let listing = parse(&ok(
        200,
        r#"{"conversations": [
            {"id": "c_1", "last_text": "It ships Thursday", "last_at": "2026-02-26T10:00:00Z", "closed": true},
            {"id": 2},
            {"id": "c_3", "last_text": 7, "last_at": "yesterday", "closed": "yes"},
            {"id": ""}, {"nothing": 1}, 5
        ]}"#,
    ))
    .unwrap();
    let got: Vec<(&str, &str, bool)> = listing
        .conversations
        .iter()
        .map(|l| (l.conversation.id.as_str(), l.preview.as_str(), l.closed))
        .collect();
    assert_eq!(
        got,
        [
            ("c_1", "It ships Thursday", true),
            ("2", "", false),
            ("c_3", "", false)
        ],
        "what does not read is left out of an item; only the boolean true closes"
    );
    assert_eq!(listing.conversations[0].at, 1_772_100_000_000.0);
    assert!(listing.conversations[1].at.is_nan() && listing.conversations[2].at.is_nan());
    assert_eq!(listing.warnings.len(), 3, "{:?}", listing.warnings);
    // Not the documented shape: an error.
    for body in [
        r#"{"items": []}"#,
        r#"[{"id": "c_1"}]"#,
        r#"{"conversations": 3}"#,
    ] {
        let (_, parse) = request(provider().listing(&ada(), &session()));
        assert!(
            matches!(
                parse(&ok(200, body)).unwrap_err(),
                ProviderError::Malformed { .. }
            ),
            "{body}"
        );
    }
}

#[test]
fn capabilities_say_polling_rich_text_attachments_and_the_5000_character_limit() {
    let caps = provider().capabilities();
    assert!(caps.polling);
    assert!(caps.poll_open_ms >= 1_000 && caps.poll_open_ms < caps.poll_closed_ms);
    assert!(caps.rich_text);
    assert!(caps.attachments);
    assert!(caps.shows_own_messages);
    assert_eq!(caps.max_message_chars, 5_000);
    assert_eq!(MAX_MESSAGE_CHARS, 5_000);
}

#[test]
fn the_base_may_include_v1_and_slashes() {
    for base in [
        "https://support.example.com/helpwire",
        "https://support.example.com/helpwire/",
        "https://support.example.com/helpwire/v1",
        " https://support.example.com/helpwire/V1/ ",
    ] {
        let (req, _) = request(RelayProvider::new(base).start_session(&ada(), None));
        assert_eq!(
            req.url, "https://support.example.com/helpwire/v1/visitors",
            "{base}"
        );
    }
}

fn config(key: Option<&str>) -> Config {
    Config {
        provider: ProviderKind::Relay,
        api_base: Some(BASE.into()),
        api_key: key.map(str::to_string),
        ..Config::default()
    }
}

#[test]
fn for_config_builds_the_relay_and_needs_an_api_base() {
    let p = helpwire_core::protocol::for_config(&config(None), &PLATFORM).unwrap();
    assert_eq!(p.capabilities(), provider().capabilities());
    let (req, _) = request(p.start_session(&ada(), None));
    assert_eq!(req.url, "https://support.example.com/helpwire/v1/visitors");
    let mut no_base = config(None);
    no_base.api_base = None;
    assert!(helpwire_core::protocol::for_config(&no_base, &PLATFORM).is_err());
}

#[test]
fn a_key_in_the_page_is_pointless_and_warned_about() {
    assert!(relay::warnings(&config(None)).is_empty());
    assert!(helpwire_core::protocol::warnings(&config(None)).is_empty());
    let w = helpwire_core::protocol::warnings(&config(Some("sk_live_secret")));
    assert_eq!(w.len(), 1);
    assert!(
        w[0].starts_with("data-api-key is not used with the relay"),
        "{w:?}"
    );
    assert!(!w[0].contains("sk_live_secret"), "the key is not repeated");
}

// ---------------------------------------------------------------------------------------------
// The event stream: GET /v1/events
// ---------------------------------------------------------------------------------------------

use helpwire_core::protocol::relay::StreamEvent;
use helpwire_core::protocol::sse::{SseEvent, SseOutput, SseParser};

/// The events a stream's text gives, through the real SSE parser and `read_event`: each read
/// event, or the reason it was skipped.
fn stream(text: &str) -> Vec<Result<StreamEvent, String>> {
    let mut parser = SseParser::new(Default::default());
    parser
        .feed(text)
        .into_iter()
        .map(|out| match out {
            SseOutput::Event(e) => relay::read_event(&e, &mut Vec::new()),
            SseOutput::Warning(w) => panic!("{w}"),
        })
        .collect()
}

fn event(name: &str, data: &str) -> Result<StreamEvent, String> {
    let e = SseEvent {
        event: name.into(),
        data: data.into(),
        id: "e1".into(),
    };
    relay::read_event(&e, &mut Vec::new())
}

#[test]
fn the_event_stream_is_a_get_with_the_token_in_the_header_only() {
    let req = provider().event_stream(&session()).unwrap();
    assert_eq!(req.method, Method::Get);
    assert_eq!(req.url, format!("{BASE}/v1/events"));
    assert_bearer(&req, TOKEN_A);
    assert_no_token_in_url(&req);
    assert!(req.body.is_none());
    // No usable token: the session must be renewed first, nothing is requested.
    for bad in [
        Json::Null,
        j(r#"{"token": ""}"#),
        j(r#"{"token": "a b"}"#),
        j(r#"{"token": 7}"#),
    ] {
        let s = Session {
            id: VISITOR_ID.into(),
            extra: bad,
        };
        assert!(matches!(
            provider().event_stream(&s),
            Err(ProviderError::SessionExpired(_))
        ));
    }
}

#[test]
fn a_message_event_is_read_exactly_as_a_listed_message() {
    let visitor_echo = r#"{"id": "msg_1", "client_id": "m_local_1", "author": "visitor", "text": "hi", "created_at": "2026-02-26T10:00:00Z"}"#;
    let rich = r#"{"id": "r_2", "author": "bot", "doc": {"type": "doc", "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Rich"}]}]}, "attachments": [{"name": "a.pdf", "url": "https://files.example.com/a.pdf", "mime": "application/pdf"}], "created_at": "2026-02-26T10:00:01.500Z"}"#;
    let listed = page_of(&[visitor_echo.into(), rich.into()]).messages;
    let text = format!(
        "retry: 3000\n\n: keep-alive\n\n\
         event: message\nid: ev_1\ndata: {{\"conversation_id\":\"c_1\",\"message\":{visitor_echo}}}\n\n\
         event: message\nid: ev_2\ndata: {{\"conversation_id\":\"c_1\",\"message\":{rich}}}\n\n\
         event: message\nid: ev_3\ndata: {{\"conversation_id\":\"c_1\",\"message\":{AGENT}}}\n\n"
    );
    let streamed: Vec<_> = stream(&text)
        .into_iter()
        .map(|e| match e {
            Ok(StreamEvent::Message {
                conversation_id,
                message,
            }) => {
                assert_eq!(conversation_id, CONVERSATION_ID);
                *message
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(streamed, listed);
    // The visitor's echo keeps its client_id, so the engine matches it to the bubble it shows.
    assert_eq!(streamed[0].local_id.as_deref(), Some("m_local_1"));
    assert_eq!(streamed[1].attachments.len(), 1);
}

#[test]
fn a_closed_event_names_its_conversation() {
    assert_eq!(
        stream("event: closed\ndata: {\"conversation_id\":\"c_1\"}\n\n"),
        vec![Ok(StreamEvent::Closed("c_1".into()))]
    );
    // A numeric id is an id, as in every other answer.
    assert_eq!(
        event("closed", r#"{"conversation_id": 42}"#),
        Ok(StreamEvent::Closed("42".into()))
    );
}

#[test]
fn hostile_events_are_skipped_with_a_reason() {
    let huge = "x".repeat(200_000);
    let bad = [
        ("message", String::new()),
        ("message", "not json".into()),
        ("message", "[]".into()),
        ("message", "null".into()),
        ("message", r#"{"message": {"id": "m", "author": "agent", "text": "no conversation"}}"#.into()),
        ("message", r#"{"conversation_id": "", "message": {"id": "m", "author": "agent"}}"#.into()),
        ("message", r#"{"conversation_id": {}, "message": {"id": "m", "author": "agent"}}"#.into()),
        ("message", r#"{"conversation_id": "c_1"}"#.into()),
        ("message", r#"{"conversation_id": "c_1", "message": "hi"}"#.into()),
        ("message", r#"{"conversation_id": "c_1", "message": {"author": "agent", "text": "no id"}}"#.into()),
        ("message", r#"{"conversation_id": "c_1", "message": {"id": "m", "author": "wizard"}}"#.into()),
        ("message", r#"{"conversation_id": "c_1", "message": {"id": "m", "author": "agent", "text": 7}}"#.into()),
        ("message", r#"{"conversation_id": "c_1", "message": {"id": "m", "author": "agent", "doc": "<b>"}}"#.into()),
        ("message", format!(r#"{{"conversation_id": "{huge}", "message": {AGENT}}}"#)),
        ("message", "[".repeat(100_000)),
        ("closed", "{}".into()),
        ("closed", r#"{"conversation_id": null}"#.into()),
        ("closed", r#"{"conversation_id": true}"#.into()),
        ("typing", r#"{"conversation_id": "c_1"}"#.into()),
        ("", r#"{"conversation_id": "c_1"}"#.into()),
        (huge.as_str(), "{}".into()),
        ("closed", format!(r#"{{"conversation_id": "{}"}}"#, "c".repeat(129))),
    ];
    for (name, data) in &bad {
        let reason = match event(name, data) {
            Err(reason) => reason,
            Ok(read) => panic!(
                "{name:.40} {data:.80}: read as {:.200}",
                format!("{read:?}")
            ),
        };
        assert!(!reason.is_empty());
        assert!(
            reason.len() < 600,
            "the reason quotes no huge input: {reason:.200}"
        );
    }
}

#[test]
fn a_message_event_with_an_unusable_time_is_kept_with_a_note() {
    for bad in hostile::BAD_TIMES {
        let e = SseEvent {
            event: "message".into(),
            data: format!(
                r#"{{"conversation_id": "c_1", "message": {{"id": "m_1", "author": "agent", "text": "hi", "created_at": {bad}}}}}"#
            ),
            id: String::new(),
        };
        let mut notes = Vec::new();
        let read = relay::read_event(&e, &mut notes);
        assert!(
            matches!(read, Ok(StreamEvent::Message { .. })),
            "{bad}: {read:?}"
        );
        assert_eq!(notes.len(), 1, "{bad}");
    }
}

#[test]
fn the_page_says_closed_only_for_true() {
    let closed = |extra: &str| {
        let (_, parse) = fetch(&Cursor::default());
        let body = format!(r#"{{"messages": [], "cursor": "k2", "more": false{extra}}}"#);
        parse(&ok(200, &body)).unwrap().closed
    };
    assert!(!closed(""));
    assert!(closed(r#", "closed": true"#));
    for odd in ["false", r#""true""#, "1", "null", "{}"] {
        assert!(!closed(&format!(r#", "closed": {odd}"#)), "{odd}");
    }
}
