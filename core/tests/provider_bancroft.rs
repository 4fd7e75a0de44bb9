//! Bancroft (seed 004): every request exactly as documented, every documented answer parsed,
//! every documented error mapped.

#[path = "support/plans.rs"]
mod plans;
use helpwire_core::config::{Config, ProviderKind};
use helpwire_core::engine::conversations::PREVIEW_CHARS;
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Conversation, Session, Visitor};
use helpwire_core::protocol::bancroft::{
    self, BancroftProvider, MAX_SUBJECT_CHARS, REQUESTER_EMAIL,
};
use helpwire_core::protocol::{
    Capabilities, Context, Cursor, HttpResponse, Listing, Method, Outgoing, Provider,
    ProviderError, MAX_HISTORY_BYTES, MAX_RESPONSE_BYTES,
};
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

const BASE: &str = "https://help.example.com";
const KEY: &str = "bnc_cl_test123";

fn provider() -> BancroftProvider {
    BancroftProvider::new(BASE, Some(KEY))
}

fn anonymous() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        ..Visitor::default()
    }
}

fn jane() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        user_id: Some("u42".into()),
        email: Some("customer@example.com".into()),
        name: Some("Jane Doe".into()),
        custom_data: Some(j(r#"{"plan": "pro"}"#)),
        ..Visitor::default()
    }
}

fn session() -> Session {
    Session {
        id: "v_anon".into(),
        extra: Json::Null,
    }
}

/// The conversation of the documented create answer.
fn conversation() -> Conversation {
    Conversation {
        id: "a1b2c3d4-...".into(),
        extra: Json::object([(REQUESTER_EMAIL, Json::from("customer@example.com"))]),
    }
}

fn first(text: &str) -> Outgoing {
    Outgoing {
        local_id: "m_1".into(),
        text: text.into(),
    }
}

fn ok(status: u16, body: &str) -> HttpResponse {
    HttpResponse::new(status, body)
}

/// The documented 201 answer to `conversations/create/`.
const CREATED: &str = r#"{ "id": "a1b2c3d4-...", "number": 42, "subject": "Help with order #1234", "status": "open", "priority": "normal", "channel": "web", "metadata": {}, "requester": { "email": "customer@example.com", "first_name": "Jane", "last_name": "Doe" }, "created_at": "2026-02-26T10:00:00Z", "updated_at": "2026-02-26T10:00:00Z" }"#;

/// The documented 200 answer to `conversations/{id}/messages/`.
const MESSAGES: &str = r#"{ "count": 3, "results": [ { "id": "m1-uuid", "sender_email": "customer@example.com", "body": "I need help with my order", "message_type": "reply", "created_at": "2026-02-26T10:00:00Z" }, { "id": "m2-uuid", "sender_email": "agent@yourcompany.com", "body": "Sure! Let me look into that.", "message_type": "reply", "created_at": "2026-02-26T10:05:00Z" } ] }"#;

/// 2026-02-26T10:00:00Z in ms.
const T_10_00: f64 = 1_772_100_000_000.0;

fn cx<'a>(
    visitor: &'a Visitor,
    session: &'a Session,
    conversation: &'a Conversation,
) -> Context<'a> {
    Context {
        visitor,
        session,
        conversation,
        recent: &[],
    }
}

#[test]
fn there_is_no_session_call_and_the_session_survives_identify() {
    let s = ready(provider().start_session(&anonymous(), None)).unwrap();
    assert_eq!(s.id, "v_anon");
    let again = ready(provider().start_session(&jane(), Some(&s))).unwrap();
    assert_eq!(again.id, s.id, "identify must not drop the conversation");
}

#[test]
fn an_anonymous_visitor_opens_a_conversation_without_user_email() {
    let (req, _) = request(provider().open_conversation(
        &anonymous(),
        &session(),
        &first("Where is my order?"),
    ));
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/create/"
    );
    assert_eq!(req.header_value("X-API-Key"), Some(KEY));
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(req.header_value("Authorization"), None);
    assert_eq!(
        req.body,
        Some(j(r#"{
            "subject": "Where is my order?",
            "channel": "web",
            "metadata": { "source": "helpwire" }
        }"#))
    );
}

#[test]
fn an_identified_visitor_opens_a_conversation_with_email_and_names() {
    let (req, _) =
        request(provider().open_conversation(&jane(), &session(), &first("Help with order #1234")));
    assert_eq!(
        req.body,
        Some(j(r#"{
            "subject": "Help with order #1234",
            "user_email": "customer@example.com",
            "user_first_name": "Jane",
            "user_last_name": "Doe",
            "channel": "web",
            "metadata": { "source": "helpwire", "user_id": "u42", "custom_data": {"plan": "pro"} }
        }"#))
    );
}

#[test]
fn a_long_first_message_is_cut_to_the_500_character_subject_limit_not_refused() {
    let text = "word ".repeat(400);
    let (req, _) = request(provider().open_conversation(&anonymous(), &session(), &first(&text)));
    let subject = req.body.unwrap()["subject"].as_str().unwrap().to_string();
    assert_eq!(subject.chars().count(), MAX_SUBJECT_CHARS);
    assert!(subject.ends_with('…'));
    // The whole message still goes out with messages/create/.
    let c = conversation();
    let v = anonymous();
    let s = session();
    let (req, _) = request(provider().send_message(cx(&v, &s, &c), &first(&text)));
    assert_eq!(req.body.unwrap()["body"], Json::from(text));
}

#[test]
fn the_base_url_is_normalised_with_or_without_api_v1_and_slashes() {
    for base in [
        "https://help.example.com",
        "https://help.example.com/",
        "https://help.example.com/api/v1",
        " https://help.example.com/api/v1/ ",
    ] {
        let (req, _) = request(BancroftProvider::new(base, Some(KEY)).open_conversation(
            &anonymous(),
            &session(),
            &first("hi"),
        ));
        assert_eq!(
            req.url, "https://help.example.com/api/v1/conversations/create/",
            "{base}"
        );
    }
    let (req, _) = request(
        BancroftProvider::new("https://example.com/bancroft-proxy/", None).open_conversation(
            &anonymous(),
            &session(),
            &first("hi"),
        ),
    );
    assert_eq!(
        req.url,
        "https://example.com/bancroft-proxy/api/v1/conversations/create/"
    );
}

#[test]
fn without_a_key_no_auth_header_is_sent() {
    let p = BancroftProvider::new(BASE, None);
    let (req, _) = request(p.open_conversation(&anonymous(), &session(), &first("hi")));
    assert_eq!(req.header_value("X-API-Key"), None);
    assert_eq!(req.header_value("Authorization"), None);
}

#[test]
fn the_documented_create_answer_gives_the_conversation_and_requester_email() {
    let (_, parse) = request(provider().open_conversation(&anonymous(), &session(), &first("hi")));
    let c = parse(&ok(201, CREATED)).unwrap();
    assert_eq!(c.id, "a1b2c3d4-...");
    assert_eq!(c.extra[REQUESTER_EMAIL], "customer@example.com");
    assert_eq!(c.extra["subject"], "Help with order #1234");
    assert_eq!(c.extra["status"], "open");
}

#[test]
fn an_anonymous_requesters_generated_email_is_used_for_later_sends() {
    let (_, parse) = request(provider().open_conversation(&anonymous(), &session(), &first("hi")));
    let created = r#"{"id": 77, "requester": {"email": "anon-5f2c@users.bancroft.example"}}"#;
    let c = parse(&ok(201, created)).unwrap();
    assert_eq!(c.id, "77", "numeric ids are kept as text");
    // Even after identify gave another email, the conversation's requester sends.
    let v = jane();
    let s = session();
    let (req, _) = request(provider().send_message(cx(&v, &s, &c), &first("more detail")));
    assert_eq!(req.method, Method::Post);
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/77/messages/create/"
    );
    assert_eq!(req.header_value("X-API-Key"), Some(KEY));
    assert_eq!(
        req.body,
        Some(j(
            r#"{ "body": "more detail", "user_email": "anon-5f2c@users.bancroft.example" }"#
        ))
    );
}

#[test]
fn a_create_answer_without_requester_falls_back_to_the_visitors_email_or_fails_typed() {
    let (_, parse) = request(provider().open_conversation(&jane(), &session(), &first("hi")));
    let c = parse(&ok(201, r#"{"id": "c1"}"#)).unwrap();
    assert_eq!(c.extra[REQUESTER_EMAIL], "customer@example.com");

    let (_, parse) = request(provider().open_conversation(&anonymous(), &session(), &first("hi")));
    let err = parse(&ok(201, r#"{"id": "c1"}"#)).unwrap_err();
    assert!(
        matches!(&err, ProviderError::Malformed { reason, body } if reason.contains("requester") && body == r#"{"id": "c1"}"#),
        "{err:?}"
    );
}

#[test]
fn path_ids_are_percent_encoded() {
    let c = Conversation {
        id: "a/b c".into(),
        extra: Json::object([(REQUESTER_EMAIL, Json::from("x@example.com"))]),
    };
    let v = anonymous();
    let s = session();
    let (req, _) = request(provider().send_message(cx(&v, &s, &c), &first("hi")));
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/a%2Fb%20c/messages/create/"
    );
}

#[test]
fn the_send_answer_gives_the_stored_message_id_and_time() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let (_, parse) = request(provider().send_message(cx(&v, &s, &c), &first("hi")));
    let sent = parse(&ok(
        201,
        r#"{"id": "m3-uuid", "sender_email": "customer@example.com", "body": "hi", "message_type": "reply", "created_at": "2026-02-26T10:06:00Z"}"#,
    ))
    .unwrap();
    assert_eq!(sent.remote_id, "m3-uuid");
    assert_eq!(sent.created_at, Some(T_10_00 + 6.0 * 60_000.0));
    assert!(sent.replies.is_empty());
}

#[test]
fn sending_without_any_requester_email_is_a_config_error_without_a_request() {
    let c = Conversation {
        id: "c1".into(),
        extra: Json::Null,
    };
    let v = anonymous();
    let s = session();
    let err = ready(provider().send_message(cx(&v, &s, &c), &first("hi"))).unwrap_err();
    assert!(matches!(err, ProviderError::Config(_)), "{err:?}");
}

#[test]
fn fetching_gets_the_documented_messages_url() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let (req, _) = request(provider().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/a1b2c3d4-.../messages/"
    );
    assert_eq!(req.header_value("X-API-Key"), Some(KEY));
    assert_eq!(req.body, None);
    // The list is the whole conversation, so it may be longer than other answers.
    assert_eq!(req.max_response_bytes, MAX_HISTORY_BYTES);
    let (send, _) = request(provider().send_message(cx(&v, &s, &c), &first("hi")));
    assert_eq!(send.max_response_bytes, MAX_RESPONSE_BYTES);
}

#[test]
fn the_documented_message_list_parses_with_visitor_and_agent_told_apart() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    let page = parse(&ok(200, MESSAGES)).unwrap();
    assert_eq!(page.messages.len(), 2);
    let (m1, m2) = (&page.messages[0], &page.messages[1]);
    assert_eq!(m1.id, "m1-uuid");
    assert_eq!(
        m1.author,
        Author::Visitor,
        "sender_email is the requester's"
    );
    assert_eq!(m1.body, Body::Text("I need help with my order".into()));
    assert_eq!(m1.created_at, T_10_00);
    assert_eq!(m2.id, "m2-uuid");
    assert_eq!(m2.author, Author::Agent { name: None });
    assert_eq!(m2.body, Body::Text("Sure! Let me look into that.".into()));
    assert_eq!(m2.created_at, T_10_00 + 5.0 * 60_000.0);
    assert_eq!(page.next, Cursor(j(r#"{"seen": 2, "reads": 1}"#)));
    assert!(!page.more);
}

#[test]
fn the_next_fetch_hands_over_only_what_is_new() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let three = r#"{"count": 3, "results": [
        {"id": "m1", "sender_email": "customer@example.com", "body": "a", "message_type": "reply", "created_at": "2026-02-26T10:00:00Z"},
        {"id": "m2", "sender_email": "agent@yourcompany.com", "body": "b", "message_type": "reply", "created_at": "2026-02-26T10:05:00Z"},
        {"id": "m3", "sender_email": "Customer@Example.COM", "body": "c", "message_type": "reply", "created_at": "2026-02-26T10:06:00Z"}
    ]}"#;
    let (_, parse) =
        request(provider().fetch_messages(cx(&v, &s, &c), &Cursor(j(r#"{"seen": 2}"#))));
    let page = parse(&ok(200, three)).unwrap();
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].id, "m3");
    assert_eq!(
        page.messages[0].author,
        Author::Visitor,
        "emails compare case-insensitively"
    );
    assert_eq!(page.next, Cursor(j(r#"{"seen": 3, "reads": 1}"#)));

    // A list shorter than the cursor (history trimmed): everything again, the engine dedupes.
    let (_, parse) =
        request(provider().fetch_messages(cx(&v, &s, &c), &Cursor(j(r#"{"seen": 9}"#))));
    assert_eq!(parse(&ok(200, three)).unwrap().messages.len(), 3);
}

#[test]
fn only_reply_messages_reach_the_visitor() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    let page = parse(&ok(
        200,
        r#"{"count": 2, "results": [
            {"id": "n1", "sender_email": "agent@yourcompany.com", "body": "internal: VIP", "message_type": "note", "created_at": "2026-02-26T10:00:00Z"},
            {"id": "m2", "sender_email": "agent@yourcompany.com", "body": "Hello", "created_at": "2026-02-26T10:01:00Z", "extra": {"ignored": true}}
        ]}"#,
    ))
    .unwrap();
    let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["m2"]);
    assert_eq!(
        page.next,
        Cursor(j(r#"{"seen": 2, "reads": 1}"#)),
        "hidden items still advance the cursor"
    );
}

/// A list of `items` (JSON text) followed by a normal agent message `n`, parsed after `cursor`.
fn fetch_after(items: &[String], cursor: &Cursor) -> helpwire_core::protocol::Page {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let mut all = items.to_vec();
    all.push(r#"{"id": "n", "sender_email": "agent@yourcompany.com", "body": "Normal reply", "message_type": "reply", "created_at": "2026-02-26T10:00:00Z"}"#.into());
    let body = format!(
        r#"{{"count": {}, "results": [{}]}}"#,
        all.len(),
        all.join(",")
    );
    let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), cursor));
    parse(&ok(200, &body)).unwrap()
}

#[test]
fn a_message_with_an_unusable_time_is_kept_for_the_engine_to_date_and_warned_about_once() {
    for bad in hostile::BAD_TIMES {
        let item = format!(
            r#"{{"id": "h", "sender_email": "agent@yourcompany.com", "body": "Hostile", "message_type": "reply", "created_at": {bad}}}"#
        );
        let page = fetch_after(std::slice::from_ref(&item), &Cursor::default());
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["h", "n"], "{bad}");
        let h = &page.messages[0];
        assert_eq!(h.body, Body::Text("Hostile".into()));
        assert_eq!(h.author, Author::Agent { name: None });
        assert!(
            h.created_at.is_nan(),
            "{bad}: left for the engine, not {}",
            h.created_at
        );
        assert_eq!(page.messages[1].created_at, T_10_00);
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert!(
            page.warnings[0].contains("created_at"),
            "{:?}",
            page.warnings
        );
        assert_eq!(page.next, Cursor(j(r#"{"seen": 2, "reads": 1}"#)));
        // Bancroft lists everything every time: the next poll passes it by, without a warning.
        let again = fetch_after(&[item], &page.next);
        assert!(
            again.messages.is_empty() && again.warnings.is_empty(),
            "{bad}"
        );
    }
    // Absent altogether: the same.
    let page = fetch_after(
        &[r#"{"id": "h", "sender_email": "a@b.c", "body": "x"}"#.into()],
        &Cursor::default(),
    );
    assert!(page.messages[0].created_at.is_nan());
    assert_eq!(page.warnings.len(), 1);
}

#[test]
fn an_unreadable_message_is_skipped_with_one_warning_and_never_blocks_the_next() {
    let mut unreadable: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    unreadable.extend([
        r#"{"id": true, "body": "x", "created_at": "2026-02-26T10:00:00Z"}"#.into(),
        r#"{"body": "no id", "created_at": "2026-02-26T10:00:00Z"}"#.into(),
        r#"{"id": "m1", "body": 5, "created_at": "2026-02-26T10:00:00Z"}"#.into(),
        r#"{"id": "m1", "body": "x", "sender_email": ["a"], "created_at": "2026-02-26T10:00:00Z"}"#
            .into(),
        r#"{"id": "m1", "body": "x", "message_type": {}, "created_at": "2026-02-26T10:00:00Z"}"#
            .into(),
    ]);
    for bad in &unreadable {
        let page = fetch_after(std::slice::from_ref(bad), &Cursor::default());
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n"], "{bad}");
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert!(
            page.warnings[0].starts_with("skipped"),
            "{:?}",
            page.warnings
        );
        assert_eq!(
            page.next,
            Cursor(j(r#"{"seen": 2, "reads": 1}"#)),
            "{bad}: past it"
        );
    }
    // All of them at once: one warning each, the normal message still comes through.
    let page = fetch_after(&unreadable, &Cursor::default());
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.warnings.len(), unreadable.len());
}

#[test]
fn a_send_answer_with_an_unusable_time_is_still_a_delivery() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    for bad in hostile::BAD_TIMES {
        let (_, parse) = request(provider().send_message(cx(&v, &s, &c), &first("hi")));
        let sent = parse(&ok(
            201,
            &format!(r#"{{"id": "m3", "body": "hi", "created_at": {bad}}}"#),
        ))
        .unwrap();
        assert_eq!(sent.remote_id, "m3", "{bad}");
        assert_eq!(
            sent.created_at, None,
            "{bad}: the widget keeps its own time"
        );
        assert_eq!(sent.warnings.len(), 1, "{bad}");
    }
}

fn parse_all(resp: &HttpResponse) -> Vec<Result<(), ProviderError>> {
    let c = conversation();
    let v = anonymous();
    let s = session();
    let p = provider();
    let (_, a) = request(p.open_conversation(&v, &s, &first("hi")));
    let (_, b) = request(p.send_message(cx(&v, &s, &c), &first("hi")));
    let (_, d) = request(p.fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    let (_, e) = request(lister().listing(&jane(), &s));
    vec![
        a(resp).map(drop),
        b(resp).map(drop),
        d(resp).map(drop),
        e(resp).map(drop),
    ]
}

#[test]
fn a_401_with_the_documented_detail_body_is_a_typed_status_error() {
    let resp = ok(401, r#"{"detail": "Invalid API key."}"#);
    for r in parse_all(&resp) {
        let err = r.unwrap_err();
        assert_eq!(
            err,
            ProviderError::Status {
                status: 401,
                detail: "Invalid API key.".into(),
                retry_after: None
            }
        );
        assert!(!err.is_transient());
    }
}

#[test]
fn a_404_is_a_status_error_the_engine_reads_as_conversation_gone() {
    let resp = ok(404, r#"{"detail": "Not found."}"#);
    for r in parse_all(&resp) {
        assert!(matches!(
            r.unwrap_err(),
            ProviderError::Status { status: 404, ref detail, .. } if detail == "Not found."
        ));
    }
}

#[test]
fn a_429_keeps_retry_after_and_is_transient() {
    let resp = HttpResponse {
        status: 429,
        retry_after: Some(30),
        body: r#"{"detail": "Request was throttled. Expected available in 30 seconds."}"#.into(),
    };
    for r in parse_all(&resp) {
        let err = r.unwrap_err();
        assert_eq!(err.retry_after(), Some(30));
        assert!(err.is_transient());
    }
}

#[test]
fn malformed_json_is_kept_raw() {
    let resp = ok(200, "<html>502 Bad Gateway</html>");
    for r in parse_all(&resp) {
        assert!(matches!(
            r.unwrap_err(),
            ProviderError::Malformed { ref body, .. } if body == "<html>502 Bad Gateway</html>"
        ));
    }
}

#[test]
fn wrongly_typed_fields_are_malformed_not_panics() {
    let c = conversation();
    let v = anonymous();
    let s = session();
    for body in [
        r#"{"count": 1, "results": {"id": "m1"}}"#,
        r#"{"count": 1}"#,
        r#"[]"#,
    ] {
        let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
        let err = parse(&ok(200, body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
    let (_, parse) = request(provider().send_message(cx(&v, &s, &c), &first("hi")));
    assert!(matches!(
        parse(&ok(201, r#"{"id": null}"#)).unwrap_err(),
        ProviderError::Malformed { .. }
    ));
    let (_, parse) = request(provider().open_conversation(&jane(), &s, &first("hi")));
    assert!(matches!(
        parse(&ok(
            201,
            r#"{"id": "c", "requester": "customer@example.com"}"#
        ))
        .unwrap_err(),
        ProviderError::Malformed { .. }
    ));
}

/// The provider as the relay builds it: it lists the visitor's conversations by email.
fn lister() -> BancroftProvider {
    provider().listing_by_email()
}

/// A visitor whose requester email needs encoding in a query.
fn jo() -> Visitor {
    Visitor {
        email: Some("Jo+x@example.com".into()),
        ..anonymous()
    }
}

/// The documented create answer, as a list item of `jo()`'s.
fn listed_item() -> String {
    CREATED.replace("customer@example.com", "jo+x@example.com")
}

#[test]
fn without_the_relays_opt_in_nothing_is_listed_and_no_request_is_made() {
    assert!(!provider().capabilities().lists_conversations);
    let direct = helpwire_core::protocol::for_config(&config(Some(KEY)), &PLATFORM).unwrap();
    assert!(!direct.capabilities().lists_conversations);
    let listing = ready(provider().listing(&jo(), &session())).unwrap();
    assert_eq!(listing, Listing::default());
    let listing = ready(direct.listing(&jo(), &session())).unwrap();
    assert_eq!(listing, Listing::default());
    // The opt-in changes nothing else.
    let (with, without) = (lister().capabilities(), provider().capabilities());
    assert!(with.lists_conversations);
    assert_eq!(
        Capabilities {
            lists_conversations: false,
            ..with
        },
        without
    );
}

#[test]
fn the_requesters_conversations_are_listed_by_email_from_one_documented_page() {
    let (req, parse) = request(lister().listing(&jo(), &session()));
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/?user_email=Jo%2Bx%40example.com&limit=100"
    );
    assert_eq!(req.header_value("X-API-Key"), Some(KEY));
    assert_eq!(req.body, None);
    let body = format!(
        r#"{{"count": 1, "next": null, "previous": null, "results": [{}]}}"#,
        listed_item()
    );
    let listing = parse(&ok(200, &body)).unwrap();
    assert!(listing.warnings.is_empty(), "{:?}", listing.warnings);
    let [one] = listing.conversations.as_slice() else {
        panic!("{listing:?}");
    };
    assert_eq!(one.conversation.id, "a1b2c3d4-...");
    assert_eq!(
        one.conversation.extra[REQUESTER_EMAIL], "Jo+x@example.com",
        "later sends go as the visitor's email"
    );
    assert_eq!(one.preview, "Help with order #1234", "the subject");
    assert_eq!(one.at, T_10_00, "updated_at");
    assert!(!one.closed);
}

#[test]
fn resolved_and_closed_conversations_are_listed_as_closed_and_others_open() {
    let item = |status: &str| listed_item().replace(r#""status": "open""#, status);
    for (status, closed) in [
        (r#""status": "open""#, false),
        (r#""status": "pending""#, false),
        (r#""status": "resolved""#, true),
        (r#""status": "closed""#, true),
        (r#""status": "CLOSED""#, false),
        (r#""status": 5"#, false),
        (r#""status": null"#, false),
        (r#""status": ["closed"]"#, false),
    ] {
        let (_, parse) = request(lister().listing(&jo(), &session()));
        let listing = parse(&ok(200, &format!("[{}]", item(status)))).unwrap();
        assert_eq!(listing.conversations.len(), 1, "{status}");
        assert_eq!(listing.conversations[0].closed, closed, "{status}");
    }
}

#[test]
fn a_listed_conversations_preview_is_one_bounded_line() {
    // JSON escapes: the subject has a blank line and a tab.
    let long = format!(r"First line\n\n  second\t{}", "x".repeat(10_000));
    let item = listed_item().replace("Help with order #1234", &long);
    let (_, parse) = request(lister().listing(&jo(), &session()));
    let listing = parse(&ok(200, &format!("[{item}]"))).unwrap();
    let preview = &listing.conversations[0].preview;
    assert!(preview.starts_with("First line second x"), "{preview}");
    assert_eq!(preview.chars().count(), PREVIEW_CHARS);
    assert!(preview.ends_with('…'));
    assert!(!preview.contains(['\n', '\t']));
}

#[test]
fn a_hostile_list_skips_what_it_cannot_read_and_never_fails_the_rest() {
    let parse = |status: u16, body: &str| {
        let (_, parse) = request(lister().listing(&jo(), &session()));
        parse(&ok(status, body))
    };
    // A bare list reads too.
    let bare = parse(200, &format!("[{}]", listed_item())).unwrap();
    assert_eq!(bare.conversations.len(), 1);
    // Not a list at all: an error, the body quoted.
    for body in [
        r#"{"results": 5}"#,
        r#"{"results": {"id": "a"}}"#,
        r#"{"count": 1}"#,
        r#"{"conversations": []}"#,
        r#"{"detail": "Not found."}"#,
        "null",
        "5",
        r#""text""#,
        "<html>",
    ] {
        assert!(
            matches!(parse(200, body), Err(ProviderError::Malformed { .. })),
            "{body}"
        );
    }
    assert_eq!(
        parse(401, r#"{"detail": "Invalid API key."}"#),
        Err(ProviderError::Status {
            status: 401,
            detail: "Invalid API key.".into(),
            retry_after: None
        })
    );
    let mine = r#""requester": {"email": "JO+X@example.com "}"#;
    let mut items: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    items.extend([
        // No usable id.
        format!(r#"{{{mine}}}"#),
        format!(r#"{{"id": "", {mine}}}"#),
        format!(r#"{{"id": null, {mine}}}"#),
        format!(r#"{{"id": true, {mine}}}"#),
        format!(r#"{{"id": {{"x": 1}}, {mine}}}"#),
        format!(r#"{{"id": 1.5, {mine}}}"#),
        // Not the visitor's: another requester, or none said.
        r#"{"id": "theirs", "requester": {"email": "someone@example.com"}}"#.to_string(),
        r#"{"id": "nobody"}"#.to_string(),
        r#"{"id": "blank", "requester": {"email": ""}}"#.to_string(),
        r#"{"id": "flat", "requester": "jo+x@example.com"}"#.to_string(),
        r#"{"id": "typed", "requester": {"email": 5}}"#.to_string(),
        r#"{"id": "null", "requester": null}"#.to_string(),
    ]);
    let skipped = items.len();
    // Readable, whatever else is wrong with them.
    items.push(format!(
        r#"{{"id": 12, {mine}, "subject": 5, "updated_at": "2026-02-26T10:00:00Z", "status": "resolved"}}"#
    ));
    for bad in hostile::BAD_TIMES {
        items.push(format!(
            r#"{{"id": "t", {mine}, "subject": ["x"], "updated_at": {bad}, "status": {{}}}}"#
        ));
    }
    items.push(format!(r#"{{"id": "c", {mine}, "subject": null}}"#));
    let body = format!(
        r#"{{"count": 500, "next": "https://help.example.com/api/v1/conversations/?limit=100&offset=100", "previous": null, "results": [{}]}}"#,
        items.join(",")
    );
    let listing = parse(200, &body).unwrap();
    assert_eq!(
        listing.warnings.len(),
        skipped + 1,
        "one per skipped item, one for the unread pages: {:?}",
        listing.warnings
    );
    assert!(listing.warnings[0].contains("more conversations than one page"));
    let ids: Vec<&str> = listing
        .conversations
        .iter()
        .map(|l| l.conversation.id.as_str())
        .collect();
    let mut want = vec!["12"];
    want.extend(std::iter::repeat_n("t", hostile::BAD_TIMES.len()));
    want.push("c");
    assert_eq!(ids, want);
    let twelve = &listing.conversations[0];
    assert_eq!(twelve.preview, "", "a subject that is not a string");
    assert_eq!(twelve.at, T_10_00);
    assert!(twelve.closed);
    for t in &listing.conversations[1..] {
        assert_eq!(t.preview, "");
        assert!(t.at.is_nan(), "an unusable or missing time is unknown");
        assert!(!t.closed);
    }
    for l in &listing.conversations {
        assert_eq!(l.conversation.extra[REQUESTER_EMAIL], "Jo+x@example.com");
    }
}

#[test]
fn a_visitor_without_an_email_is_not_listed_and_no_request_is_made() {
    for email in [None, Some(""), Some("  ")] {
        let visitor = Visitor {
            email: email.map(str::to_string),
            ..anonymous()
        };
        assert!(matches!(
            ready(lister().listing(&visitor, &session())),
            Err(ProviderError::Config(_))
        ));
    }
}

#[test]
fn capabilities_say_polling_and_plain_text() {
    let caps = provider().capabilities();
    assert!(caps.polling);
    assert!(caps.poll_open_ms >= 1_000 && caps.poll_open_ms < caps.poll_closed_ms);
    assert!(!caps.rich_text);
    assert!(!caps.attachments);
    assert!(caps.max_message_chars >= MAX_SUBJECT_CHARS);
}

fn config(key: Option<&str>) -> Config {
    Config {
        provider: ProviderKind::Bancroft,
        api_base: Some(BASE.into()),
        api_key: key.map(str::to_string),
        ..Config::default()
    }
}

#[test]
fn for_config_builds_bancroft() {
    let p = helpwire_core::protocol::for_config(&config(Some(KEY)), &PLATFORM).unwrap();
    assert_eq!(p.capabilities(), provider().capabilities());
    let (req, _) = request(p.open_conversation(&anonymous(), &session(), &first("hi")));
    assert_eq!(
        req.url,
        "https://help.example.com/api/v1/conversations/create/"
    );
    let mut no_base = config(None);
    no_base.api_base = None;
    assert!(helpwire_core::protocol::for_config(&no_base, &PLATFORM).is_err());
}

#[test]
fn a_server_key_in_the_page_is_warned_about_a_client_key_is_not() {
    assert!(bancroft::warnings(&config(Some(KEY))).is_empty());
    assert!(bancroft::warnings(&config(None)).is_empty());
    let w = bancroft::warnings(&config(Some("bnc_sv_secret")));
    assert_eq!(w.len(), 1);
    assert!(
        w[0].contains("server key") && w[0].contains("bnc_cl_"),
        "{w:?}"
    );
}

#[test]
fn every_fourth_read_asks_for_the_status_and_a_resolved_conversation_reads_as_closed() {
    use helpwire_core::protocol::wire::STATUS_EVERY;
    let (c, v, s) = (conversation(), anonymous(), session());
    let at = |reads: u64| Cursor(j(&format!(r#"{{"seen": 5, "reads": {reads}}}"#)));
    // The first three reads are the messages; the fourth the conversation itself.
    for reads in 0..STATUS_EVERY - 1 {
        let (req, _) = request(provider().fetch_messages(cx(&v, &s, &c), &at(reads)));
        assert!(req.url.ends_with("/messages/"), "{}", req.url);
    }
    let (req, _) = request(provider().fetch_messages(cx(&v, &s, &c), &at(STATUS_EVERY - 1)));
    assert_eq!(req.method.as_str(), "GET");
    assert!(
        req.url
            .ends_with(&format!("/api/v1/conversations/{}/", c.id)),
        "{}",
        req.url
    );
    assert!(req.headers.iter().any(|(k, _)| k == "X-API-Key"));
    for (status, closed) in [
        ("open", false),
        ("pending", false),
        ("resolved", true),
        ("closed", true),
    ] {
        let body = format!(
            r#"{{"id": "{}", "number": 42, "status": "{status}"}}"#,
            c.id
        );
        let page = parse_again(&c, &v, &s, &body);
        assert_eq!(page.closed, closed, "{status}");
        assert_eq!(
            page.more, !closed,
            "{status}: the messages are read at once"
        );
        assert!(page.messages.is_empty());
        assert_eq!(
            page.next,
            Cursor(j(r#"{"seen": 5, "reads": 4}"#)),
            "{status}: seen kept"
        );
    }
    // A status that does not read says nothing, and never stops the reading.
    for body in [r#"{"status": 42}"#, r#"{"id": "x"}"#, r#"{"status": null}"#] {
        let page = parse_again(&c, &v, &s, body);
        assert!(!page.closed && page.more, "{body}");
    }
    // Nor does a status read that fails: a warning, and the messages are read at once.
    let cursor = Cursor(j(r#"{"seen": 5, "reads": 3}"#));
    for resp in [
        ok(404, r#"{"detail": "Not found."}"#),
        ok(503, ""),
        ok(200, "[]"),
    ] {
        let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), &cursor));
        let page = parse(&resp).expect("a status read never fails the read");
        assert!(!page.closed && page.more, "{resp:?}");
        assert_eq!(page.warnings.len(), 1, "{resp:?}");
        assert_eq!(page.next, Cursor(j(r#"{"seen": 5, "reads": 4}"#)));
    }
}

/// The status read's answer `body`, parsed.
fn parse_again(
    c: &helpwire_core::model::Conversation,
    v: &helpwire_core::model::Visitor,
    s: &helpwire_core::model::Session,
    body: &str,
) -> helpwire_core::protocol::Page {
    let cursor = Cursor(j(r#"{"seen": 5, "reads": 3}"#));
    let (_, parse) = request(provider().fetch_messages(cx(v, s, c), &cursor));
    parse(&ok(200, body)).unwrap()
}
