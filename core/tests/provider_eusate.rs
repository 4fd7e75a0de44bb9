//! Eusate: REST reads against the documented examples (seed 003) and the Socket.IO channel
//! against hand-written server frames.

use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Conversation, Session, SystemNotice, Visitor};
use helpwire_core::protocol::eusate::*;
use helpwire_core::protocol::push::{PushChannel, PushOutput};
use helpwire_core::protocol::socketio::{decode_engine, decode_socket, EnginePacket, SocketPacket};
use helpwire_core::protocol::{
    Context, Cursor, HttpResponse, Method, Outgoing, Plan, Provider, ProviderError,
};

/// A JSON value written out as text.
#[path = "support/hostile.rs"]
mod hostile;

fn j(text: &str) -> Json {
    Json::parse(text).unwrap()
}

/// 2024-01-15T10:30:00Z in ms since the epoch.
const JAN_15_1030: f64 = 1_705_314_600_000.0;

const MESSAGES_EXAMPLE: &str = r#"{
  "id": "conv_123",
  "date_created": "2024-01-15T10:30:00Z",
  "date_updated": "2024-01-15T11:45:00Z",
  "closed": false,
  "close_support": false,
  "read_by_customer": true,
  "read_by_agent": false,
  "responder": "sate",
  "ticket": "ticket_456",
  "messages": [
    {
      "id": "msg_001",
      "date_created": "2024-01-15T10:30:00Z",
      "date_updated": "2024-01-15T10:30:00Z",
      "message": "Hello, I need help with my order",
      "sender": "customer",
      "is_attachment": false,
      "attachment_metadata": null,
      "ticket_chat": "conv_123"
    },
    {
      "id": "msg_002",
      "date_created": "2024-01-15T10:31:00Z",
      "date_updated": "2024-01-15T10:31:00Z",
      "message": "I'd be happy to help you with your order. Could you provide your order number?",
      "sender": "sate",
      "is_attachment": false,
      "attachment_metadata": null,
      "ticket_chat": "conv_123"
    }
  ]
}"#;

fn visitor() -> Visitor {
    Visitor {
        anon_id: "anon_abc".into(),
        ..Visitor::default()
    }
}

fn keyed() -> EusateProvider {
    EusateProvider::new(None, Some("KEY"))
}

fn ready<T>(plan: Plan<T>) -> Result<T, ProviderError> {
    match plan {
        Plan::Ready(r) => r,
        Plan::Request { request, .. } => panic!("expected no request, got {request:?}"),
    }
}

fn run<T>(plan: Plan<T>, status: u16, body: &str) -> Result<T, ProviderError> {
    match plan {
        Plan::Request { parse, .. } => parse(&HttpResponse::new(status, body)),
        Plan::Ready(_) => panic!("expected a request"),
    }
}

fn fetch_plan(
    provider: &EusateProvider,
    conversation: &str,
    cursor: Cursor,
) -> Plan<helpwire_core::protocol::Page> {
    let v = visitor();
    let session = Session {
        id: "anon_abc".into(),
        extra: Json::Null,
    };
    let conversation = Conversation {
        id: conversation.into(),
        extra: Json::Null,
    };
    let cx = Context {
        visitor: &v,
        session: &session,
        conversation: &conversation,
        recent: &[],
    };
    provider.fetch_messages(cx, &cursor)
}

// ------------------------------------------------------------------ REST

#[test]
fn capabilities_are_push_without_attachments() {
    let caps = keyed().capabilities();
    assert!(!caps.polling);
    assert!(!caps.attachments);
}

#[test]
fn session_id_is_user_id_when_identified_else_anon_id() {
    let mut v = visitor();
    assert_eq!(
        ready(keyed().start_session(&v, None)).unwrap().id,
        "anon_abc"
    );
    v.user_id = Some("user-42".into());
    assert_eq!(
        ready(keyed().start_session(&v, None)).unwrap().id,
        "user-42"
    );
    v.user_id = Some("  ".into());
    assert_eq!(
        ready(keyed().start_session(&v, None)).unwrap().id,
        "anon_abc"
    );
}

/// The documented example of `GET …/customer/{session_id}/conversations/` (seed 003).
const LIST_EXAMPLE: &str = r#"[
  {
    "id": "conv_123",
    "date_created": "2024-01-15T10:30:00Z",
    "date_updated": "2024-01-15T11:45:00Z",
    "closed": false,
    "close_support": false,
    "read_by_customer": true,
    "read_by_agent": false,
    "responder": "sate",
    "ticket": "ticket_456",
    "ticket_slug": "customer-inquiry-456",
    "latest_message": {
      "id": "msg_789",
      "date_created": "2024-01-15T11:45:00Z",
      "date_updated": "2024-01-15T11:45:00Z",
      "message": "I can help you with that issue.",
      "sender": "sate",
      "is_attachment": false,
      "attachment_metadata": null,
      "ticket_chat": "conv_123"
    }
  }
]"#;

fn listing_plan() -> Plan<helpwire_core::protocol::Listing> {
    let session = Session {
        id: "user 42".into(),
        extra: Json::Null,
    };
    keyed().listing(&visitor(), &session)
}

#[test]
fn the_sessions_conversations_are_listed_from_the_documented_endpoint() {
    assert!(keyed().capabilities().lists_conversations);
    let Plan::Request { request, parse } = listing_plan() else {
        panic!("expected a request");
    };
    assert_eq!(request.method, Method::Get);
    assert_eq!(
        request.url,
        "https://api.eusate.com/api/v1/helpdesk/customer/user%2042/conversations/"
    );
    assert_eq!(request.header_value("authorization"), Some("Bearer KEY"));
    let listing = parse(&HttpResponse::new(200, LIST_EXAMPLE)).unwrap();
    assert!(listing.warnings.is_empty());
    let [one] = listing.conversations.as_slice() else {
        panic!("{listing:?}");
    };
    assert_eq!(one.conversation.id, "conv_123");
    assert_eq!(one.preview, "I can help you with that issue.");
    assert_eq!(one.at, JAN_15_1030 + 75.0 * 60_000.0);
    assert!(!one.closed);
}

#[test]
fn a_hostile_list_skips_what_it_cannot_read_and_never_fails_the_rest() {
    let parse = |body: &str| run(listing_plan(), 200, body);
    // The field table's name for the list works too.
    let wrapped = format!(r#"{{"conversations": {LIST_EXAMPLE}}}"#);
    assert_eq!(parse(&wrapped).unwrap().conversations.len(), 1);
    // Not a list at all: an error, the body quoted.
    for body in [r#"{"conversations": 5}"#, "null", r#""text""#, "<html>"] {
        assert!(parse(body).is_err(), "{body}");
    }
    assert!(matches!(
        run(listing_plan(), 401, r#"{"detail": "Invalid token."}"#),
        Err(ProviderError::Status { status: 401, .. })
    ));
    let listing = parse(
        r#"[
          {"id": ""}, {"id": null}, 7, "x", {},
          {"id": 12, "closed": true, "date_updated": "2024-01-15T10:30:00Z"},
          {"id": "c2", "closed": "true", "latest_message": 5},
          {"id": "c3", "latest_message": {"message": "Hi", "date_created": "yesterday"},
           "date_updated": "2024-01-15T10:30:00Z"}
        ]"#,
    )
    .unwrap();
    assert_eq!(listing.warnings.len(), 5, "{:?}", listing.warnings);
    let got: Vec<(&str, &str, bool)> = listing
        .conversations
        .iter()
        .map(|l| (l.conversation.id.as_str(), l.preview.as_str(), l.closed))
        .collect();
    assert_eq!(
        got,
        [("12", "", true), ("c2", "", false), ("c3", "Hi", false)],
        "only the boolean true closes; a last message that does not read leaves no text"
    );
    assert_eq!(listing.conversations[0].at, JAN_15_1030);
    assert!(listing.conversations[1].at.is_nan(), "no time said");
    assert_eq!(
        listing.conversations[2].at, JAN_15_1030,
        "an unusable message date falls back to the conversation's"
    );
}

#[test]
fn messages_request_has_exact_path_with_trailing_slash() {
    let Plan::Request { request, .. } = fetch_plan(&keyed(), "conv_123", Cursor::default()) else {
        panic!("expected a request");
    };
    assert_eq!(request.method, Method::Get);
    assert_eq!(request.body, None);
    assert_eq!(
        request.url,
        "https://api.eusate.com/api/v1/helpdesk/customer/anon_abc/conversations/conv_123/messages/"
    );
    assert_eq!(request.header_value("Authorization"), Some("Bearer KEY"));
    // The history is the whole conversation, so it may be longer than other answers.
    assert_eq!(
        request.max_response_bytes,
        helpwire_core::protocol::MAX_HISTORY_BYTES
    );
}

#[test]
fn proxy_base_without_key_sends_no_authorization_and_trims_slash() {
    let p = EusateProvider::new(Some("https://example.com/eusate/"), None);
    let Plan::Request { request, .. } = fetch_plan(&p, "c1", Cursor::default()) else {
        panic!("expected a request");
    };
    assert_eq!(
        request.url,
        "https://example.com/eusate/api/v1/helpdesk/customer/anon_abc/conversations/c1/messages/"
    );
    assert_eq!(request.header_value("Authorization"), None);
}

#[test]
fn session_id_is_percent_encoded_in_the_path() {
    let v = visitor();
    let session = Session {
        id: "ana@example.com/x".into(),
        extra: Json::Null,
    };
    let conversation = Conversation {
        id: "c 1".into(),
        extra: Json::Null,
    };
    let cx = Context {
        visitor: &v,
        session: &session,
        conversation: &conversation,
        recent: &[],
    };
    let Plan::Request { request, .. } = keyed().fetch_messages(cx, &Cursor::default()) else {
        panic!("expected a request");
    };
    assert_eq!(
        request.url,
        "https://api.eusate.com/api/v1/helpdesk/customer/ana%40example.com%2Fx/conversations/c%201/messages/"
    );
}

#[test]
fn documented_messages_parse_with_authors_and_dates() {
    let page = run(
        fetch_plan(&keyed(), "conv_123", Cursor::default()),
        200,
        MESSAGES_EXAMPLE,
    )
    .unwrap();
    assert_eq!(page.messages.len(), 2);
    let (a, b) = (&page.messages[0], &page.messages[1]);
    assert_eq!(a.id, "msg_001");
    assert_eq!(a.author, Author::Visitor);
    assert_eq!(
        a.body,
        Body::Text("Hello, I need help with my order".into())
    );
    assert_eq!(a.created_at, JAN_15_1030);
    assert_eq!(b.id, "msg_002");
    assert_eq!(b.author, Author::Bot { name: None });
    assert_eq!(b.created_at, JAN_15_1030 + 60_000.0);
    assert_eq!(page.next, Cursor(Json::from(2)));
    assert!(!page.more);
}

#[test]
fn a_closed_conversation_is_said_so_by_its_history() {
    let closed = |body: &str| {
        run(
            fetch_plan(&keyed(), "conv_123", Cursor::default()),
            200,
            body,
        )
        .unwrap()
        .closed
    };
    assert!(!closed(MESSAGES_EXAMPLE), "documented example: open");
    assert!(closed(
        &MESSAGES_EXAMPLE.replace(r#""closed": false"#, r#""closed": true"#)
    ));
    // Only the boolean `true` closes; anything else says it is open.
    for other in [r#""closed": "true""#, r#""closed": 1"#, r#""closed": null"#] {
        assert!(
            !closed(&MESSAGES_EXAMPLE.replace(r#""closed": false"#, other)),
            "{other}"
        );
    }
}

#[test]
fn read_by_agent_says_whether_the_visitors_messages_were_seen() {
    let read = |body: &str| {
        run(
            fetch_plan(&keyed(), "conv_123", Cursor::default()),
            200,
            body,
        )
        .unwrap()
        .presence
    };
    let p = read(MESSAGES_EXAMPLE);
    assert_eq!(
        (p.seen, p.typing),
        (Some(false), false),
        "documented example"
    );
    let p =
        read(&MESSAGES_EXAMPLE.replace(r#""read_by_agent": false"#, r#""read_by_agent": true"#));
    assert_eq!(p.seen, Some(true));
    // Absent or of another type: the backend said nothing.
    for other in [r#""read_by_agent": "yes""#, r#""other": 1"#] {
        let p = read(&MESSAGES_EXAMPLE.replace(r#""read_by_agent": false"#, other));
        assert_eq!(p.seen, None, "{other}");
    }
}

#[test]
fn messages_after_cursor_are_only_the_new_ones() {
    let page = run(
        fetch_plan(&keyed(), "conv_123", Cursor(Json::from(1))),
        200,
        MESSAGES_EXAMPLE,
    )
    .unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].id, "msg_002");
    let page = run(
        fetch_plan(&keyed(), "conv_123", Cursor(Json::from(2))),
        200,
        MESSAGES_EXAMPLE,
    )
    .unwrap();
    assert!(page.messages.is_empty());
    assert_eq!(page.next, Cursor(Json::from(2)));
}

#[test]
fn agent_sender_maps_to_agent_and_attachment_is_kept() {
    let body = r#"{"messages":[{"id":7,"message":"","sender":"agent","agent_name":"Ana",
        "is_attachment":true,"attachment_metadata":{"url":"https://f/x.pdf","name":"x.pdf","type":"application/pdf"},
        "date_created":"2024-01-15T10:30:00.500+01:00"}]}"#;
    let page = run(fetch_plan(&keyed(), "c", Cursor::default()), 200, body).unwrap();
    let m = &page.messages[0];
    assert_eq!(m.id, "7");
    assert_eq!(
        m.author,
        Author::Agent {
            name: Some("Ana".into())
        }
    );
    assert_eq!(m.attachments.len(), 1);
    assert_eq!(m.attachments[0].url, "https://f/x.pdf");
    assert_eq!(m.attachments[0].mime.as_deref(), Some("application/pdf"));
    assert_eq!(m.created_at, JAN_15_1030 - 3_600_000.0 + 500.0);
}

#[test]
fn detail_error_bodies_map_to_status_errors() {
    for (status, detail) in [
        (400, "Invalid parameters"),
        (401, "Invalid API key"),
        (403, "Access denied"),
    ] {
        let body = Json::object([("detail", Json::from(detail))]).to_string();
        let err = run(fetch_plan(&keyed(), "c", Cursor::default()), status, &body).unwrap_err();
        assert_eq!(
            err,
            ProviderError::Status {
                status,
                detail: detail.into(),
                retry_after: None
            }
        );
        assert!(!err.is_transient());
    }
}

#[test]
fn unexpected_success_bodies_are_malformed_not_panics() {
    for body in ["not json", "{}", r#"{"messages":"x"}"#] {
        let err = run(fetch_plan(&keyed(), "c", Cursor::default()), 200, body).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
}

#[test]
fn pending_conversation_fetch_needs_no_request() {
    let page = ready(fetch_plan(&keyed(), "", Cursor(Json::from(0)))).unwrap();
    assert!(page.messages.is_empty());
}

#[test]
fn open_conversation_is_pending_and_send_is_not_http() {
    let v = visitor();
    let session = Session {
        id: "anon_abc".into(),
        extra: Json::Null,
    };
    let first = Outgoing {
        local_id: "l1".into(),
        text: "hi".into(),
    };
    let conversation = ready(keyed().open_conversation(&v, &session, &first)).unwrap();
    assert_eq!(conversation.id, "");
    let cx = Context {
        visitor: &v,
        session: &session,
        conversation: &conversation,
        recent: &[],
    };
    let err = ready(keyed().send_message(cx, &first)).unwrap_err();
    assert!(matches!(err, ProviderError::Config(ref m) if m.contains("Socket.IO")));
}

#[test]
fn key_on_public_host_gets_a_warning_but_proxy_does_not() {
    assert!(keyed().key_warning().unwrap().contains("api.eusate.com"));
    assert_eq!(EusateProvider::new(None, None).key_warning(), None);
    assert_eq!(
        EusateProvider::new(Some("https://example.com/eusate"), Some("k")).key_warning(),
        None
    );
}

/// The WebSocket URL the provider's push channel opens.
fn socket_url(p: &EusateProvider) -> Result<String, ProviderError> {
    let mut channel = p.channel("s", None, 1)?;
    match channel.connect(0.0).as_slice() {
        [PushOutput::Open { url }] => Ok(url.clone()),
        other => panic!("expected an open: {other:?}"),
    }
}

#[test]
fn socket_url_carries_token_query_on_engine_io_path() {
    assert_eq!(
        socket_url(&keyed()).unwrap(),
        "wss://api.eusate.com/socket.io/?token_source=api&token=KEY&EIO=4&transport=websocket"
    );
    assert_eq!(
        socket_url(&EusateProvider::new(Some("http://localhost:9000"), None)).unwrap(),
        "ws://localhost:9000/socket.io/?EIO=4&transport=websocket"
    );
    assert!(matches!(
        socket_url(&EusateProvider::new(Some("localhost:9000"), None)),
        Err(ProviderError::Config(_))
    ));
}

/// The time an agent message of the history with `date_created: raw` is shown with, and the
/// page's warnings.
fn history_time(raw: &str) -> (f64, Vec<String>) {
    let body = Json::object([(
        "messages",
        Json::Array(vec![Json::object([
            ("id", Json::from("m1")),
            ("message", Json::from("Hi")),
            ("sender", Json::from("agent")),
            ("date_created", Json::from(raw)),
        ])]),
    )]);
    let page = run(
        fetch_plan(&keyed(), "c", Cursor::default()),
        200,
        &body.to_string(),
    )
    .unwrap();
    (page.messages[0].created_at, page.warnings)
}

#[test]
fn timestamps_are_read_as_rfc_3339_like_every_backend() {
    // Eusate reads times with `time::parse_rfc3339`, the parser every backend shares.
    for (raw, ms) in [
        ("2024-01-15T10:30:00Z", JAN_15_1030),
        ("2024-01-15T10:30:00.250Z", JAN_15_1030 + 250.0),
        ("2024-01-15T10:30:00.123456Z", JAN_15_1030 + 123.0),
        ("2024-01-15T12:30:00+02:00", JAN_15_1030),
        ("2024-01-15 10:30:00", JAN_15_1030),
        ("1970-01-01T00:00:00Z", 0.0),
        ("2024-02-29T00:00:00Z", 1_709_164_800_000.0),
    ] {
        let (t, warnings) = history_time(raw);
        assert_eq!(t, ms, "{raw}");
        assert!(warnings.is_empty(), "{raw}: {warnings:?}");
    }
}

#[test]
fn impossible_dates_fall_back_like_any_unusable_time() {
    // `2024-02-31` has the right shape but is no day: refused like `2024-13-01`, and the message
    // is kept for the engine to date, with a warning.
    for bad in [
        "2024-02-31T10:30:00Z",
        "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "",
        "2024",
        "2024-01-15",
        "2024-13-01T00:00:00Z",
        "2024-01-15T25:00:00Z",
        "2024-01-15T10:30:00X",
        "2024-01-15Té0:30",
    ] {
        let (t, warnings) = history_time(bad);
        assert!(t.is_nan(), "{bad}: {t}");
        assert_eq!(warnings.len(), 1, "{bad}: {warnings:?}");
    }
}

// ------------------------------------------------------------------ envelope and events

#[test]
fn envelope_non_2xx_status_is_a_typed_error() {
    let env = parse_envelope(&[j(
        r#"{"status_code": 403, "sid": "s", "message": "Forbidden", "data": null}"#,
    )])
    .unwrap();
    assert_eq!(env.sid.as_deref(), Some("s"));
    assert_eq!(
        env.check(),
        Err(EusateError::Status {
            status: 403,
            message: "Forbidden".into()
        })
    );
    let env = parse_envelope(&[j(
        r#"{"status_code": "201", "message": "Created", "data": {}}"#,
    )])
    .unwrap();
    assert_eq!(env.status_code, 201);
    assert_eq!(env.check(), Ok(()));
}

#[test]
fn envelope_that_is_not_an_object_is_malformed() {
    assert!(matches!(
        parse_envelope(&[]),
        Err(EusateError::Malformed { .. })
    ));
    assert!(matches!(
        parse_envelope(&[Json::from("hi")]),
        Err(EusateError::Malformed { .. })
    ));
    assert!(matches!(
        parse_envelope(&[j(r#"{"status_code": "abc"}"#)]),
        Err(EusateError::Malformed { .. })
    ));
}

#[test]
fn support_event_is_a_bot_answer_with_conversation_id() {
    let args = [j(
        r#"{"status_code": 200, "sid": "x", "message": "Success", "data": {
            "id": "m1", "message": "Hi! How can I help?", "sender": "sate",
            "ticket_chat": "tc_1", "date_created": "2024-01-15T10:30:00Z"
        }}"#,
    )];
    let ev = parse_server_event(ServerEventKind::Answer, &args, 5.0).unwrap();
    assert_eq!(ev.conversation_id.as_deref(), Some("tc_1"));
    assert_eq!(ev.messages.len(), 1);
    assert_eq!(ev.messages[0].id, "m1");
    assert_eq!(ev.messages[0].author, Author::Bot { name: None });
    assert_eq!(ev.messages[0].created_at, JAN_15_1030);
}

#[test]
fn support_event_with_nested_message_and_ticket_chat_id_parses() {
    let args = [j(r#"{"status_code": 200, "data": {
        "ticket_chat_id": "tc_9",
        "message": {"id": "m9", "message": "Nested answer"}
    }}"#)];
    let ev = parse_server_event(ServerEventKind::Answer, &args, 5.0).unwrap();
    assert_eq!(ev.conversation_id.as_deref(), Some("tc_9"));
    assert_eq!(ev.messages[0].body, Body::Text("Nested answer".into()));
    assert_eq!(ev.messages[0].author, Author::Bot { name: None });
    assert_eq!(ev.messages[0].created_at, 5.0);
}

#[test]
fn customer_support_event_is_an_agent_message() {
    let args = [j(
        r#"{"status_code": 200, "data": {"message": "Ana here", "agent_name": "Ana", "ticket_chat": "tc_1"}}"#,
    )];
    let ev = parse_server_event(ServerEventKind::AgentReply, &args, 5.0).unwrap();
    assert_eq!(
        ev.messages[0].author,
        Author::Agent {
            name: Some("Ana".into())
        }
    );
    assert!(!ev.messages[0].id.is_empty());
    let again = parse_server_event(ServerEventKind::AgentReply, &args, 5.0).unwrap();
    assert_eq!(
        ev.messages[0].id, again.messages[0].id,
        "derived ids are stable"
    );
}

#[test]
fn closed_event_is_one_system_notice() {
    let args = [j(
        r#"{"status_code": 200, "message": "Conversation closed", "data": {"ticket_chat_id": "tc_1"}}"#,
    )];
    let ev = parse_server_event(ServerEventKind::Closed, &args, 5.0).unwrap();
    assert_eq!(ev.conversation_id.as_deref(), Some("tc_1"));
    assert_eq!(ev.messages.len(), 1);
    assert_eq!(ev.messages[0].author, Author::System);
    assert_eq!(
        ev.messages[0].body,
        Body::Text("Conversation closed".into())
    );
    let bare = parse_server_event(
        ServerEventKind::Closed,
        &[j(r#"{"status_code": 200, "data": null}"#)],
        5.0,
    )
    .unwrap();
    // No words from the helpdesk: a notice the view words in the visitor's language.
    assert_eq!(bare.messages[0].author, Author::System);
    assert_eq!(
        bare.messages[0].body,
        Body::Notice(SystemNotice::ConversationClosed)
    );
}

#[test]
fn event_error_status_is_typed() {
    let args = [j(
        r#"{"status_code": 400, "message": "Maximum of 3 open conversations", "data": null}"#,
    )];
    assert_eq!(
        parse_server_event(ServerEventKind::Answer, &args, 0.0),
        Err(EusateError::Status {
            status: 400,
            message: "Maximum of 3 open conversations".into()
        })
    );
}

#[test]
fn emit_payloads_have_documented_fields() {
    // JSON text, written directly: it must parse, and escape what needs escaping.
    assert_eq!(
        j(&enter_customer_support("s1")),
        j(r#"{"session_id": "s1"}"#)
    );
    assert_eq!(
        j(&enter_support("tc_1")),
        j(r#"{"ticket_chat_id": "tc_1"}"#)
    );
    assert_eq!(
        j(&support_message("s1", "Hello", None)),
        j(
            r#"{"session_id": "s1", "message": "Hello", "attachment": false, "ticket_chat_id": null}"#
        )
    );
    assert_eq!(
        j(&support_message("s1", "Again", Some("tc_1")))["ticket_chat_id"],
        "tc_1"
    );
    let hostile = "quote \" backslash \\ newline \n tab \t nul \u{0} é 😀 </script>";
    let payload = j(&support_message(hostile, hostile, Some(hostile)));
    for key in ["session_id", "message", "ticket_chat_id"] {
        assert_eq!(payload[key], hostile, "{key}");
    }
}

// ------------------------------------------------------------------ channel

const OPEN: &str =
    r#"0{"sid":"eio","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#;

/// The (event name, payload, ack id) of an emitted frame.
fn emitted(out: &PushOutput) -> Option<(String, Json, Option<u64>)> {
    let PushOutput::Send(frame) = out else {
        return None;
    };
    let EnginePacket::Message(text) = decode_engine(frame).ok()? else {
        return None;
    };
    match decode_socket(text).ok()? {
        SocketPacket::Event {
            namespace,
            id,
            name,
            args,
        } => {
            assert_eq!(namespace, "/helpdesk");
            Some((name, args.first().cloned().unwrap_or(Json::Null), id))
        }
        _ => None,
    }
}

fn emits(out: &[PushOutput]) -> Vec<(String, Json, Option<u64>)> {
    out.iter().filter_map(emitted).collect()
}

fn outgoing(local_id: &str, text: &str) -> Outgoing {
    Outgoing {
        local_id: local_id.into(),
        text: text.into(),
    }
}

fn server_event(name: &str, payload: Json) -> String {
    format!(
        "42/helpdesk,{}",
        Json::Array(vec![Json::from(name), payload])
    )
}

fn connected(conversation: Option<&str>) -> (EusateChannel, Vec<PushOutput>) {
    let mut ch = keyed().channel("sess-1", conversation, 7).unwrap();
    let out = ch.connect(0.0);
    assert_eq!(
        out,
        vec![PushOutput::Open {
            url: "wss://api.eusate.com/socket.io/?token_source=api&token=KEY&EIO=4&transport=websocket".into()
        }]
    );
    assert_eq!(ch.on_open(1.0), vec![]);
    assert_eq!(
        ch.on_text(OPEN, 2.0),
        vec![PushOutput::Send("40/helpdesk,".into())]
    );
    let out = ch.on_text(r#"40/helpdesk,{"sid":"ns"}"#, 3.0);
    assert_eq!(out[0], PushOutput::Connected);
    (ch, out)
}

#[test]
fn channel_enters_customer_support_after_namespace_connect() {
    let (_, out) = connected(None);
    assert_eq!(
        emits(&out),
        vec![(
            "enter_customer_support".into(),
            j(r#"{"session_id": "sess-1"}"#),
            None
        )]
    );
}

#[test]
fn channel_with_known_conversation_also_enters_its_room() {
    let (_, out) = connected(Some("tc_1"));
    assert_eq!(
        emits(&out),
        vec![
            (
                "enter_customer_support".into(),
                j(r#"{"session_id": "sess-1"}"#),
                None
            ),
            (
                "enter_support".into(),
                j(r#"{"ticket_chat_id": "tc_1"}"#),
                None
            ),
        ]
    );
}

#[test]
fn channel_first_message_opens_conversation_with_null_ticket() {
    let (mut ch, _) = connected(None);
    let out = ch.send(&outgoing("l1", "Hello"), Some(""), 10.0);
    assert_eq!(
        emits(&out),
        vec![(
            "support".into(),
            j(
                r#"{"session_id": "sess-1", "message": "Hello", "attachment": false, "ticket_chat_id": null}"#
            ),
            Some(0)
        )]
    );
}

#[test]
fn channel_answer_delivers_assigns_conversation_and_enters_room() {
    let (mut ch, _) = connected(None);
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    let answer = server_event(
        "support",
        j(r#"{"status_code": 200, "sid": "ns", "message": "ok",
               "data": {"id": "m1", "message": "Hi! How can I help?", "sender": "sate", "ticket_chat": "tc_1"}}"#),
    );
    let out = ch.on_text(&answer, 20.0);
    assert!(matches!(&out[0], PushOutput::Delivered { local_id, .. } if local_id == "l1"));
    assert!(out.contains(&PushOutput::ConversationAssigned("tc_1".into())));
    assert_eq!(
        emits(&out),
        vec![(
            "enter_support".into(),
            j(r#"{"ticket_chat_id": "tc_1"}"#),
            None
        )]
    );
    let messages = out
        .iter()
        .find_map(|o| match o {
            PushOutput::Messages {
                conversation_id,
                messages,
            } => {
                assert_eq!(conversation_id.as_deref(), Some("tc_1"));
                Some(messages.clone())
            }
            _ => None,
        })
        .expect("messages");
    assert_eq!(messages[0].id, "m1");
    assert_eq!(messages[0].author, Author::Bot { name: None });
    // The next message goes to the assigned conversation.
    let out = ch.send(&outgoing("l2", "More"), None, 20.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], "tc_1");
}

#[test]
fn channel_holds_second_message_until_conversation_id_is_known() {
    let (mut ch, _) = connected(None);
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    let out = ch.on_text(r#"43/helpdesk,0[]"#, 11.0);
    assert!(matches!(&out[..], [PushOutput::Delivered { local_id, .. }] if local_id == "l1"));
    let out = ch.send(&outgoing("l2", "Are you there?"), Some(""), 12.0);
    assert!(
        emits(&out).is_empty(),
        "must not open a second conversation: {out:?}"
    );
    let answer = server_event(
        "support",
        j(r#"{"status_code": 200, "data": {"ticket_chat_id": "tc_1", "message": "Yes"}}"#),
    );
    let out = ch.on_text(&answer, 20.0);
    let sent = emits(&out);
    assert_eq!(
        sent[0],
        (
            "enter_support".into(),
            j(r#"{"ticket_chat_id": "tc_1"}"#),
            None
        )
    );
    assert_eq!(sent[1].0, "support");
    assert_eq!(sent[1].1["ticket_chat_id"], "tc_1");
    assert_eq!(sent[1].1["message"], "Are you there?");
}

#[test]
fn channel_ack_reports_delivery_with_local_id() {
    let (mut ch, _) = connected(Some("tc_1"));
    let out = ch.send(&outgoing("l1", "Hello"), Some("tc_1"), 10.0);
    let (_, payload, ack) = emits(&out).remove(0);
    assert_eq!(payload["ticket_chat_id"], "tc_1");
    let out = ch.on_text(&format!("43/helpdesk,{}[]", ack.unwrap()), 11.0);
    let [PushOutput::Delivered { local_id, sent }] = &out[..] else {
        panic!("{out:?}");
    };
    assert_eq!(local_id, "l1");
    assert_eq!(sent.remote_id, "l1");
    assert!(sent.replies.is_empty());
    assert_eq!(
        ch.on_text(&format!("43/helpdesk,{}[]", ack.unwrap()), 12.0),
        vec![],
        "acked once"
    );
}

#[test]
fn channel_without_ack_or_answer_reports_a_transient_failure_after_the_confirm_timeout() {
    let (mut ch, _) = connected(Some("tc_1"));
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    assert_eq!(
        ch.next_deadline(),
        Some(10.0 + ChannelConfig::default().confirm_timeout_ms)
    );
    assert!(ch
        .tick(5_000.0)
        .iter()
        .all(|o| !matches!(o, PushOutput::Delivered { .. })));
    let out = ch.tick(15_010.0);
    // Never "sent" without confirmation: the engine retries a transient failure.
    assert!(matches!(
        &out[..],
        [PushOutput::SendFailed { local_id, error }] if local_id == "l1" && error.is_transient()
    ));
}

#[test]
fn channel_agent_reply_is_pushed_as_agent_message() {
    let (mut ch, _) = connected(Some("tc_1"));
    let frame = server_event(
        "customer_support",
        j(
            r#"{"status_code": 200, "data": {"id": 55, "message": "Ana from support", "sender": "agent", "ticket_chat": "tc_1"}}"#,
        ),
    );
    let out = ch.on_text(&frame, 30.0);
    let [PushOutput::Messages { messages, .. }] = &out[..] else {
        panic!("{out:?}");
    };
    assert_eq!(messages[0].id, "55");
    assert_eq!(messages[0].author, Author::Agent { name: None });
}

/// A history of `items` (JSON text) followed by a normal agent message `n`.
fn history_with_normal(items: &[String]) -> helpwire_core::protocol::Page {
    let mut all = items.to_vec();
    all.push(r#"{"id": "n", "message": "Normal reply", "sender": "agent", "date_created": "2024-01-15T10:30:00Z"}"#.into());
    let body = format!(r#"{{"messages": [{}]}}"#, all.join(","));
    run(fetch_plan(&keyed(), "c", Cursor::default()), 200, &body).unwrap()
}

#[test]
fn history_messages_with_unusable_dates_are_kept_for_the_engine_to_date() {
    for bad in hostile::BAD_TIMES {
        let page = history_with_normal(&[format!(
            r#"{{"id": "h", "message": "Hostile", "sender": "agent", "date_created": {bad}}}"#
        )]);
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["h", "n"], "{bad}");
        assert!(page.messages[0].created_at.is_nan(), "{bad}");
        assert_eq!(page.messages[1].created_at, JAN_15_1030);
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(Json::from(2)));
    }
}

#[test]
fn unreadable_history_messages_are_skipped_and_counted_as_seen() {
    let mut unreadable: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    unreadable.push(r#"{"message": "no id", "sender": "sate"}"#.into());
    unreadable.push(r#"{"id": "x", "sender": "sate"}"#.into());
    for bad in &unreadable {
        let page = history_with_normal(std::slice::from_ref(bad));
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n"], "{bad}");
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(Json::from(2)), "{bad}");
    }
    // The cursor counts items, skipped ones included: the next read hands over only what is new.
    let page = run(
        fetch_plan(&keyed(), "c", Cursor(Json::from(1))),
        200,
        r#"{"messages": [5, {"id": "n", "message": "Normal", "sender": "agent"}]}"#,
    )
    .unwrap();
    assert_eq!(page.messages.len(), 1);
    assert!(page.warnings.is_empty());
}

#[test]
fn a_pushed_list_keeps_its_readable_messages_and_reports_the_rest() {
    let (mut ch, _) = connected(Some("tc_1"));
    for bad in hostile::BAD_TIMES {
        let frame = server_event(
            "customer_support",
            j(&format!(
                r#"{{"status_code": 200, "data": [
                    {{"id": "h", "message": "Hostile", "sender": "agent", "ticket_chat": "tc_1", "date_created": {bad}}},
                    42,
                    {{"id": "n", "message": "Normal", "sender": "agent", "ticket_chat": "tc_1", "date_created": "2024-01-15T10:30:00Z"}}
                ]}}"#
            )),
        );
        let out = ch.on_text(&frame, 30.0);
        let errors = out
            .iter()
            .filter(|o| matches!(o, PushOutput::Error(ProviderError::Malformed { .. })))
            .count();
        assert_eq!(
            errors, 2,
            "{bad}: one for the date, one for the item: {out:?}"
        );
        let Some(PushOutput::Messages { messages, .. }) = out
            .iter()
            .find(|o| matches!(o, PushOutput::Messages { .. }))
        else {
            panic!("{bad}: {out:?}");
        };
        let got: Vec<(&str, f64)> = messages
            .iter()
            .map(|m| (m.id.as_str(), m.created_at))
            .collect();
        assert_eq!(got, [("h", 30.0), ("n", JAN_15_1030)], "{bad}");
    }
}

/// Support's `customer_support_closed` for conversation `id`, as the server sends it.
fn closed_event(id: &str) -> String {
    let payload = format!(
        r#"{{"status_code": 200, "message": "Closed by agent", "data": {{"ticket_chat_id": "{id}"}}}}"#
    );
    server_event("customer_support_closed", j(&payload))
}

#[test]
fn channel_closed_notice_forgets_conversation_and_next_message_opens_new() {
    let (mut ch, _) = connected(Some("tc_1"));
    let out = ch.on_text(&closed_event("tc_1"), 30.0);
    assert!(
        matches!(&out[0], PushOutput::Messages { messages, .. } if messages[0].author == Author::System)
    );
    assert_eq!(out[1], PushOutput::ConversationClosed("tc_1".into()));
    // The engine may still hand the old id: it must not be reused.
    let out = ch.send(&outgoing("l2", "New question"), Some("tc_1"), 31.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], Json::Null);
}

#[test]
fn channel_reports_the_close_of_another_conversation_and_keeps_its_own() {
    let (mut ch, _) = connected(Some("tc_1"));
    let out = ch.on_text(&closed_event("tc_0"), 30.0);
    assert!(out.contains(&PushOutput::ConversationClosed("tc_0".into())));
    let out = ch.send(&outgoing("l2", "Still here"), Some("tc_1"), 31.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], Json::from("tc_1"));
}

#[test]
fn channel_error_envelope_on_support_fails_the_message() {
    let (mut ch, _) = connected(None);
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    let frame = server_event(
        "support",
        j(
            r#"{"status_code": 400, "sid": "ns", "message": "Maximum of 3 open conversations", "data": null}"#,
        ),
    );
    let out = ch.on_text(&frame, 11.0);
    assert_eq!(
        out,
        vec![PushOutput::SendFailed {
            local_id: "l1".into(),
            error: ProviderError::Status {
                status: 400,
                detail: "Maximum of 3 open conversations".into(),
                retry_after: None
            }
        }]
    );
    // Not opening any more: the next message is sent at once.
    assert_eq!(emits(&ch.send(&outgoing("l2", "x"), None, 12.0)).len(), 1);
}

#[test]
fn channel_disconnect_fails_unconfirmed_sends_as_transient_and_reconnects() {
    let (mut ch, _) = connected(Some("tc_1"));
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    let out = ch.on_close("network down", 11.0);
    let failed = out
        .iter()
        .find_map(|o| match o {
            PushOutput::SendFailed { local_id, error } => Some((local_id.clone(), error.clone())),
            _ => None,
        })
        .expect("send failed");
    assert_eq!(failed.0, "l1");
    assert!(failed.1.is_transient());
    assert!(out.iter().any(|o| matches!(o, PushOutput::Disconnected(_))));
    let Some(PushOutput::ReconnectAt { at, attempt: 1 }) = out.last().cloned() else {
        panic!("{out:?}");
    };
    // While waiting, a send fails at once (transient) rather than hanging the engine.
    let out = ch.send(&outgoing("l2", "again"), None, 12.0);
    assert!(matches!(&out[..], [PushOutput::SendFailed { error, .. }] if error.is_transient()));
    // Reconnecting joins both rooms again.
    assert!(matches!(&ch.tick(at)[..], [PushOutput::Open { .. }]));
    ch.on_text(OPEN, at + 1.0);
    let out = ch.on_text("40/helpdesk,", at + 2.0);
    let names: Vec<String> = emits(&out).into_iter().map(|e| e.0).collect();
    assert_eq!(names, vec!["enter_customer_support", "enter_support"]);
}

#[test]
fn channel_send_before_connect_connects_and_sends_after_entering() {
    let mut ch = keyed().channel("sess-1", None, 1).unwrap();
    let out = ch.send(&outgoing("l1", "Early"), None, 0.0);
    assert!(matches!(&out[..], [PushOutput::Open { .. }]));
    ch.on_text(OPEN, 1.0);
    let out = ch.on_text("40/helpdesk,", 2.0);
    let sent = emits(&out);
    assert_eq!(sent[0].0, "enter_customer_support");
    assert_eq!(sent[1].0, "support");
    assert_eq!(sent[1].1["message"], "Early");
}

#[test]
fn channel_connect_error_fails_queued_message_permanently() {
    let mut ch = keyed().channel("sess-1", None, 1).unwrap();
    ch.send(&outgoing("l1", "Early"), None, 0.0);
    ch.on_text(OPEN, 1.0);
    let out = ch.on_text(r#"44/helpdesk,{"message":"Invalid token"}"#, 2.0);
    assert!(out.contains(&PushOutput::Close));
    let failed = out
        .iter()
        .find_map(|o| match o {
            PushOutput::SendFailed { error, .. } => Some(error.clone()),
            _ => None,
        })
        .expect("send failed");
    assert!(matches!(&failed, ProviderError::Config(m) if m.contains("Invalid token")));
    assert!(!failed.is_transient());
    assert!(out
        .iter()
        .any(|o| matches!(o, PushOutput::Error(ProviderError::Config(_)))));
    assert_eq!(
        ch.next_deadline(),
        None,
        "no automatic reconnect after a refusal"
    );
}

#[test]
fn channel_echo_of_visitor_message_carries_local_id() {
    let (mut ch, _) = connected(Some("tc_1"));
    ch.send(&outgoing("l1", "Hello there"), None, 10.0);
    let frame = server_event(
        "support",
        j(r#"{"status_code": 200, "data": {"messages": [
            {"id": "c1", "message": "Hello there", "sender": "customer", "ticket_chat": "tc_1"},
            {"id": "a1", "message": "Hi!", "sender": "sate", "ticket_chat": "tc_1"}
        ]}}"#),
    );
    let out = ch.on_text(&frame, 11.0);
    let messages = out
        .iter()
        .find_map(|o| match o {
            PushOutput::Messages { messages, .. } => Some(messages.clone()),
            _ => None,
        })
        .expect("messages");
    assert_eq!(messages[0].author, Author::Visitor);
    assert_eq!(messages[0].local_id.as_deref(), Some("l1"));
    assert_eq!(messages[1].local_id, None);
}

#[test]
fn channel_event_for_another_conversation_neither_delivers_nor_reassigns() {
    let (mut ch, _) = connected(Some("tc_1"));
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    let frame = server_event(
        "support",
        j(r#"{"status_code": 200, "data": {"message": "Other", "ticket_chat": "tc_2"}}"#),
    );
    let out = ch.on_text(&frame, 11.0);
    assert!(!out.iter().any(|o| matches!(
        o,
        PushOutput::Delivered { .. } | PushOutput::ConversationAssigned(_)
    )));
    assert!(
        matches!(&out[..], [PushOutput::Messages { conversation_id: Some(c), .. }] if c == "tc_2")
    );
    // Still in its own conversation: the next message after an answer goes to tc_1.
    ch.on_text(
        &server_event(
            "support",
            j(r#"{"status_code": 200, "data": {"message": "Hi", "ticket_chat": "tc_1"}}"#),
        ),
        12.0,
    );
    let out = ch.send(&outgoing("l2", "More"), None, 13.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], "tc_1");
}

#[test]
fn channel_malformed_event_payloads_are_errors_not_panics() {
    let (mut ch, _) = connected(Some("tc_1"));
    for payload in [
        Json::from("text"),
        Json::from(42),
        j(r#"{"status_code": "x"}"#),
        j(r#"{"status_code": 200, "data": 5}"#),
    ] {
        let out = ch.on_text(&server_event("customer_support", payload.clone()), 11.0);
        assert!(
            matches!(
                &out[..],
                [PushOutput::Error(ProviderError::Malformed { .. })]
            ),
            "{payload}: {out:?}"
        );
    }
    let out = ch.on_text(r#"42/helpdesk,["support"]"#, 12.0);
    assert!(
        matches!(
            &out[..],
            [PushOutput::Error(ProviderError::Malformed { .. })]
        ),
        "{out:?}"
    );
}

#[test]
fn channel_unknown_event_reports_only_error_envelopes() {
    let (mut ch, _) = connected(None);
    let ok = server_event(
        "enter_customer_support",
        j(r#"{"status_code": 200, "data": {}}"#),
    );
    assert_eq!(ch.on_text(&ok, 5.0), vec![]);
    let bad = server_event(
        "enter_customer_support",
        j(r#"{"status_code": 401, "message": "Invalid token"}"#),
    );
    assert_eq!(
        ch.on_text(&bad, 6.0),
        vec![PushOutput::Error(ProviderError::Status {
            status: 401,
            detail: "Invalid token".into(),
            retry_after: None
        })]
    );
}

#[test]
fn channel_acknowledges_server_events_that_ask_for_it() {
    let (mut ch, _) = connected(Some("tc_1"));
    let out = ch.on_text(
        r#"42/helpdesk,9["customer_support",{"status_code":200,"data":{"message":"ping","sender":"agent"}}]"#,
        5.0,
    );
    assert_eq!(out[0], PushOutput::Send("43/helpdesk,9[]".into()));
    assert!(matches!(out[1], PushOutput::Messages { .. }));
}

#[test]
fn channel_answers_pings() {
    let (mut ch, _) = connected(None);
    assert_eq!(
        ch.on_text("2", 25_000.0),
        vec![PushOutput::Send("3".into())]
    );
}

#[test]
fn channel_open_timeout_releases_waiting_messages() {
    let (mut ch, _) = connected(None);
    ch.send(&outgoing("l1", "Hello"), None, 10.0);
    ch.on_text("43/helpdesk,0[]", 11.0);
    assert!(emits(&ch.send(&outgoing("l2", "Queued"), None, 12.0)).is_empty());
    let deadline = 10.0 + ChannelConfig::default().open_timeout_ms;
    ch.on_text("2", 40_000.0); // the server's heartbeat keeps the connection up meanwhile
    assert!(emits(&ch.tick(deadline - 1.0)).is_empty());
    let sent = emits(&ch.tick(deadline));
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1["message"], "Queued");
}

#[test]
fn channel_close_leaves_namespace() {
    let (mut ch, _) = connected(None);
    let out = ch.close();
    assert_eq!(out[0], PushOutput::Send("41/helpdesk,".into()));
    assert_eq!(out[1], PushOutput::Close);
    assert_eq!(ch.next_deadline(), None);
}

#[test]
fn closed_notice_is_stored_as_data_and_worded_in_every_language() {
    let bare = parse_server_event(
        ServerEventKind::Closed,
        &[j(
            r#"{"status_code": 200, "data": {"ticket_chat_id": "tc_1"}}"#,
        )],
        5.0,
    )
    .unwrap();
    let notice = bare.messages[0].clone();
    // Kept in storage as what happened, not as words.
    let stored = notice.to_json();
    assert_eq!(
        stored["body"],
        j(r#"{"kind": "notice", "value": "conversation_closed"}"#)
    );
    assert_eq!(
        helpwire_core::model::Message::from_json(&stored),
        Ok(notice.clone())
    );
    assert!(helpwire_core::model::Body::from_json(&j(
        r#"{"kind": "notice", "value": "unheard_of"}"#
    ))
    .is_err());
    // No text of its own for events or echo matching; the view words it.
    assert_eq!(notice.body.plain_text(), "");
    for strings in helpwire_core::i18n::LANGUAGES.map(|l| helpwire_core::i18n::shipped(l).unwrap())
    {
        let words = strings.notice(SystemNotice::ConversationClosed);
        assert!(!words.trim().is_empty(), "{}", strings.lang);
        assert_eq!(words, strings.conversation_closed);
    }
    assert_eq!(
        helpwire_core::i18n::EN.notice(SystemNotice::ConversationClosed),
        "This conversation was closed by support."
    );
}

#[test]
fn channel_retarget_sends_to_the_named_conversation_or_opens_a_new_one() {
    let (mut ch, _) = connected(Some("tc_1"));
    // Another of the visitor's conversations: its room is entered, the message goes there.
    let out = ch.retarget(Some("tc_2"));
    assert_eq!(
        emits(&out),
        vec![(
            "enter_support".into(),
            j(r#"{"ticket_chat_id": "tc_2"}"#),
            None
        )]
    );
    let out = ch.send(&outgoing("l1", "To two"), Some("tc_1"), 10.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], "tc_2");
    // None: the next message opens a new conversation, even while one is known.
    assert_eq!(ch.retarget(None), vec![]);
    let out = ch.send(&outgoing("l2", "New topic"), None, 11.0);
    assert_eq!(emits(&out)[0].1["ticket_chat_id"], Json::Null);
    // An earlier opening that never got its id does not hold the next message back.
    assert_eq!(ch.retarget(None), vec![]);
    let out = ch.send(&outgoing("l3", "Another"), None, 12.0);
    assert_eq!(emits(&out).len(), 1, "{out:?}");
    // The same conversation again: no second room join.
    let (mut ch, _) = connected(Some("tc_1"));
    assert_eq!(ch.retarget(Some("tc_1")), vec![]);
}
