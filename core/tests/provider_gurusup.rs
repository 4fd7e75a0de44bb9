//! Gurusup (seed 002): client-chosen ids, the reply that comes back with the send, the thread
//! fetched by the MD5 of its id, and the error mapping.

#[path = "support/plans.rs"]
mod plans;
use helpwire_core::config::{Config, ProviderKind};
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Conversation, Session, Visitor};
use helpwire_core::protocol::gurusup::{self, GurusupProvider, SUBJECT, USER_FID};
use helpwire_core::protocol::{
    Context, Cursor, HttpResponse, Method, Outgoing, Page, Plan, Provider, ProviderError, Sent,
    MAX_HISTORY_BYTES,
};
use plans::request;

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

const BASE: &str = "https://www.example.com/gurusup-proxy";
/// A fixed clock for messages Gurusup sends without a time.
const NOW: f64 = 1_700_000_000_000.0;

fn now() -> f64 {
    NOW
}

fn provider() -> GurusupProvider {
    GurusupProvider::new(BASE, None, "es-ES", now)
}

fn keyed() -> GurusupProvider {
    GurusupProvider::new("https://api.gurusup.com/", Some("gs_secret"), "en", now)
}

fn ready<T: std::fmt::Debug>(plan: Plan<T>) -> T {
    match plan {
        Plan::Ready(r) => r.unwrap(),
        Plan::Request { request, .. } => panic!("expected no request, got {request:?}"),
    }
}

fn anonymous() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        ..Visitor::default()
    }
}

fn first() -> Outgoing {
    Outgoing {
        local_id: "m_1".into(),
        text: "Where is my order #1234?".into(),
    }
}

/// Session and thread as the provider makes them for the anonymous visitor.
fn opened() -> (Session, Conversation) {
    let s = ready(provider().start_session(&anonymous(), None));
    let c = ready(provider().open_conversation(&anonymous(), &s, &first()));
    (s, c)
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

fn send(resp: &HttpResponse) -> Result<Sent, ProviderError> {
    let (s, c) = opened();
    let v = anonymous();
    let (_, parse) = request(provider().send_message(cx(&v, &s, &c), &first()));
    parse(resp)
}

fn fetch(cursor: &Cursor, resp: &HttpResponse) -> Result<Page, ProviderError> {
    let (s, c) = opened();
    let v = anonymous();
    let (_, parse) = request(provider().fetch_messages(cx(&v, &s, &c), cursor));
    parse(resp)
}

#[test]
fn session_and_thread_are_chosen_by_the_client_without_requests() {
    let (s, c) = opened();
    assert_eq!(s.id, "v_anon");
    assert_eq!(s.extra[USER_FID], "v_anon");
    assert_eq!(c.id, "helpwire-v_anon-m_1");
    assert_eq!(c.extra[SUBJECT], "Where is my order #1234?");
    // Reopening after a failure names the same thread.
    assert_eq!(
        ready(provider().open_conversation(&anonymous(), &s, &first())),
        c
    );
}

#[test]
fn identify_changes_the_user_fid_but_keeps_the_session_and_thread() {
    let (s, _) = opened();
    let v = Visitor {
        user_id: Some("user_42".into()),
        ..anonymous()
    };
    let again = ready(provider().start_session(&v, Some(&s)));
    assert_eq!(again.id, s.id);
    assert_eq!(again.extra[USER_FID], "user_42");
}

#[test]
fn sending_posts_the_documented_message_fields() {
    let (s, c) = opened();
    let v = anonymous();
    let (req, _) = request(provider().send_message(cx(&v, &s, &c), &first()));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://www.example.com/gurusup-proxy/messages");
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(
        req.header_value("x-api-key"),
        None,
        "the proxy adds the key"
    );
    assert_eq!(
        req.body,
        Some(j(r#"{
            "body": "Where is my order #1234?",
            "user_fid": "v_anon",
            "thread_fid": "helpwire-v_anon-m_1",
            "lang": "es",
            "subject": "Where is my order #1234?",
            "is_customer_support_agent": false
        }"#))
    );
}

#[test]
fn a_configured_key_is_sent_as_x_api_key() {
    let (s, c) = opened();
    let v = anonymous();
    let (req, _) = request(keyed().send_message(cx(&v, &s, &c), &first()));
    assert_eq!(req.url, "https://api.gurusup.com/messages");
    assert_eq!(req.header_value("x-api-key"), Some("gs_secret"));
    let (req, _) = request(keyed().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    assert_eq!(req.header_value("x-api-key"), Some("gs_secret"));
}

#[test]
fn the_systems_reply_comes_back_with_the_send() {
    let sent = send(&ok(
        201,
        r#"{"_id": "6740a1b2c3d4e5f6a7b8c9d0", "body": "Your order ships tomorrow.", "thread_fid": "helpwire-v_anon-m_1", "user_fid": "gurusup", "is_customer_support_agent": false, "lang": "es", "created_at": "2024-11-13T10:00:00.000Z"}"#,
    ))
    .unwrap();
    assert_eq!(
        sent.remote_id, "m_1",
        "Gurusup returns the reply, not the stored message"
    );
    assert_eq!(sent.created_at, None);
    assert_eq!(sent.replies.len(), 1);
    let reply = &sent.replies[0];
    assert_eq!(reply.id, "6740a1b2c3d4e5f6a7b8c9d0");
    assert_eq!(reply.author, Author::Bot { name: None });
    assert_eq!(reply.body, Body::Text("Your order ships tomorrow.".into()));
    assert_eq!(reply.created_at, 1_731_492_000_000.0);
}

#[test]
fn a_reply_without_a_time_is_stamped_now_and_is_the_systems_whatever_its_agent_flag() {
    let sent = send(&ok(
        200,
        r#"{"id": "r2", "body": "Automatic answer.", "user_fid": "gurusup-ai", "is_customer_support_agent": true}"#,
    ))
    .unwrap();
    assert_eq!(sent.replies[0].id, "r2");
    assert_eq!(sent.replies[0].author, Author::Bot { name: None });
    assert_eq!(sent.replies[0].created_at, NOW);
}

#[test]
fn without_an_automatic_reply_the_send_still_succeeds() {
    for body in ["", "null", "  "] {
        let sent = send(&ok(201, body)).unwrap();
        assert_eq!(sent.remote_id, "m_1", "{body:?}");
        assert!(sent.replies.is_empty());
    }
    // The stored message itself echoed back: its id is the message's, and no reply is invented.
    let sent = send(&ok(
        201,
        r#"{"_id": "own1", "body": "Where is my order #1234?", "user_fid": "v_anon", "is_customer_support_agent": false, "created_at": "2024-11-13T10:00:00Z"}"#,
    ))
    .unwrap();
    assert_eq!(sent.remote_id, "own1");
    assert_eq!(sent.created_at, Some(1_731_492_000_000.0));
    assert!(sent.replies.is_empty());
}

#[test]
fn fetching_gets_the_thread_by_the_md5_of_its_id() {
    let (s, c) = opened();
    let v = anonymous();
    let (req, _) = request(provider().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    assert_eq!(req.method, Method::Get);
    // printf 'helpwire-v_anon-m_1' | md5sum
    assert_eq!(
        req.url,
        "https://www.example.com/gurusup-proxy/threads/9418b82d5e53d3a9f1c8856c8cb65542"
    );
    assert_eq!(req.body, None);
    // A thread carries all its messages, so it may be longer than other answers.
    assert_eq!(req.max_response_bytes, MAX_HISTORY_BYTES);
}

#[test]
fn the_documented_thread_shape_parses_with_the_visitors_own_messages() {
    let thread = r#"{
        "thread": "9418b82d5e53d3a9f1c8856c8cb65542",
        "thread_fid": "helpwire-v_anon-m_1",
        "messages": [
            {"_id": "a", "body": "Where is my order #1234?", "thread_fid": "helpwire-v_anon-m_1", "user_fid": "v_anon", "is_customer_support_agent": false, "created_at": "2024-11-13T10:00:00Z"},
            {"_id": "b", "body": "Your order ships tomorrow.", "thread_fid": "helpwire-v_anon-m_1", "user_fid": "gurusup", "is_customer_support_agent": false, "created_at": "2024-11-13T10:00:01Z"},
            {"_id": "c", "body": "Hi, Ana here from support.", "thread_fid": "helpwire-v_anon-m_1", "user_fid": "ana", "is_customer_support_agent": true, "createdAt": "2024-11-13T10:05:00Z", "somethingElse": {}}
        ]
    }"#;
    let page = fetch(&Cursor::default(), &ok(200, thread)).unwrap();
    let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    // The visitor's own message, with its time: the engine pairs it with the one sent from here.
    assert_eq!(page.messages[0].author, Author::Visitor);
    assert_eq!(page.messages[0].created_at, 1_731_492_000_000.0);
    assert_eq!(page.messages[1].author, Author::Bot { name: None });
    assert_eq!(page.messages[2].author, Author::Agent { name: None });
    assert_eq!(
        page.messages[2].body,
        Body::Text("Hi, Ana here from support.".into())
    );
    assert_eq!(page.messages[2].created_at, 1_731_492_300_000.0);
    assert_eq!(page.next, Cursor(j(r#"{"seen": 3}"#)));
    assert!(!page.more);

    let later = fetch(&page.next, &ok(200, thread)).unwrap();
    assert!(later.messages.is_empty(), "nothing new since the cursor");
}

#[test]
fn a_thread_not_stored_yet_is_an_empty_page() {
    let cursor = Cursor(j(r#"{"seen": 0}"#));
    let page = fetch(&cursor, &ok(404, r#"{"message": "Thread not found"}"#)).unwrap();
    assert!(page.messages.is_empty());
    assert_eq!(page.next, cursor);
    let page = fetch(&Cursor::default(), &ok(200, r#"{"thread": "x"}"#)).unwrap();
    assert!(page.messages.is_empty(), "no `messages` yet");
}

fn both(resp: &HttpResponse) -> Vec<ProviderError> {
    vec![
        send(resp).unwrap_err(),
        fetch(&Cursor::default(), resp).unwrap_err(),
    ]
}

#[test]
fn a_401_is_a_permanent_status_error() {
    for err in both(&ok(401, "Unauthorized")) {
        assert_eq!(
            err,
            ProviderError::Status {
                status: 401,
                detail: "Unauthorized".into(),
                retry_after: None
            }
        );
        assert!(!err.is_transient());
    }
}

#[test]
fn a_404_on_send_is_a_status_error() {
    assert!(matches!(
        send(&ok(404, "")).unwrap_err(),
        ProviderError::Status { status: 404, .. }
    ));
}

#[test]
fn a_429_keeps_retry_after_and_5xx_is_transient() {
    let resp = HttpResponse {
        status: 429,
        retry_after: Some(12),
        body: String::new(),
    };
    for err in both(&resp) {
        assert_eq!(err.retry_after(), Some(12));
        assert!(err.is_transient());
    }
    for err in both(&ok(503, "upstream down")) {
        assert!(err.is_transient());
    }
}

#[test]
fn malformed_json_keeps_the_raw_body() {
    for err in both(&ok(200, "<!doctype html>")) {
        assert!(
            matches!(&err, ProviderError::Malformed { body, .. } if body == "<!doctype html>"),
            "{err:?}"
        );
    }
}

#[test]
fn wrongly_typed_answers_are_malformed() {
    for body in [r#"{"messages": {"_id": "a"}}"#, r#"[]"#] {
        let err = fetch(&Cursor::default(), &ok(200, body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
    for body in [r#"[]"#, r#""ok""#] {
        let err = send(&ok(201, body)).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
}

/// A thread of `items` (JSON text) followed by a normal agent message `n`.
fn thread_with_normal(items: &[String]) -> Page {
    let mut all = items.to_vec();
    all.push(r#"{"_id": "n", "body": "Normal reply", "user_fid": "agent_1", "is_customer_support_agent": true, "created_at": "2023-11-14T22:13:20Z"}"#.into());
    let body = format!(r#"{{"messages": [{}]}}"#, all.join(","));
    fetch(&Cursor::default(), &ok(200, &body)).unwrap()
}

#[test]
fn a_message_with_an_unusable_time_gets_the_clocks_and_one_warning() {
    for bad in hostile::BAD_TIMES {
        let page = thread_with_normal(&[format!(
            r#"{{"_id": "h", "body": "Hostile", "user_fid": "agent_1", "is_customer_support_agent": true, "created_at": {bad}}}"#
        )]);
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["h", "n"], "{bad}");
        assert_eq!(page.messages[0].body, Body::Text("Hostile".into()));
        assert_eq!(page.messages[0].created_at, NOW, "{bad}");
        assert_eq!(page.messages[1].created_at, NOW, "2023-11-14T22:13:20Z");
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(j(r#"{"seen": 2}"#)));
    }
}

#[test]
fn an_unreadable_message_is_skipped_with_one_warning_and_counted_as_seen() {
    let mut unreadable: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    unreadable.extend([
        r#"{"_id": "a", "body": 5}"#.into(),
        r#"{"_id": "a", "body": "x", "is_customer_support_agent": "yes"}"#.into(),
        r#"{"body": "x"}"#.into(),
    ]);
    for bad in &unreadable {
        let page = thread_with_normal(std::slice::from_ref(bad));
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n"], "{bad}");
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(j(r#"{"seen": 2}"#)), "{bad}");
    }
}

#[test]
fn an_unreadable_reply_to_a_send_is_skipped_but_the_send_delivered() {
    // Stored all the same: failing would send the message a second time.
    for body in [
        r#"{"_id": "r", "user_fid": 7}"#,
        r#"{"_id": "r", "body": 5}"#,
        r#"{"body": "no id"}"#,
    ] {
        let sent = send(&ok(201, body)).unwrap();
        assert_eq!(sent.remote_id, "m_1", "{body}");
        assert!(sent.replies.is_empty(), "{body}");
        assert_eq!(sent.warnings.len(), 1, "{body}");
    }
    for bad in hostile::BAD_TIMES {
        let sent = send(&ok(
            201,
            &format!(r#"{{"_id": "r", "body": "Canned answer", "user_fid": "gurusup-ai", "is_customer_support_agent": true, "created_at": {bad}}}"#),
        ))
        .unwrap();
        assert_eq!(sent.replies.len(), 1, "{bad}");
        assert_eq!(sent.replies[0].created_at, NOW, "{bad}");
        assert_eq!(sent.warnings.len(), 1, "{bad}");
    }
}

#[test]
fn capabilities_say_polling_plain_text() {
    let caps = provider().capabilities();
    assert!(caps.polling);
    assert!(!caps.rich_text && !caps.attachments);
    assert!(caps.poll_open_ms < caps.poll_closed_ms);
}

fn config(base: &str, key: Option<&str>, locale: Option<&str>) -> Config {
    Config {
        provider: ProviderKind::Gurusup,
        api_base: Some(base.into()),
        api_key: key.map(str::to_string),
        locale: locale.map(str::to_string),
        ..Config::default()
    }
}

fn lang_of(p: &dyn Provider) -> Json {
    let (s, c) = opened();
    let v = anonymous();
    let (req, _) = request(p.send_message(cx(&v, &s, &c), &first()));
    req.body.unwrap()["lang"].clone()
}

#[test]
fn for_config_builds_gurusup_with_the_configured_language() {
    let p =
        helpwire_core::protocol::for_config(&config(BASE, None, Some("pt-BR")), &PLATFORM).unwrap();
    assert_eq!(lang_of(&*p), "pt");
    let p = helpwire_core::protocol::for_config(&config(BASE, None, None), &PLATFORM).unwrap();
    assert_eq!(lang_of(&*p), "en", "no locale on the host: English");
}

#[test]
fn in_language_sends_another_primary_language_and_refuses_what_is_no_tag() {
    let p = GurusupProvider::new(BASE, None, "en", now);
    assert_eq!(lang_of(&p.in_language("de-AT").unwrap()), "de");
    assert_eq!(lang_of(&p.in_language(" es_MX ").unwrap()), "es");
    for bad in ["*", "", "<script>", "deutsch", "e1"] {
        assert!(p.in_language(bad).is_none(), "{bad:?}");
    }
    assert_eq!(lang_of(&p), "en", "the original is unchanged");
}

#[test]
fn a_key_against_gurusups_host_is_warned_about_a_proxy_is_not() {
    let w = gurusup::warnings(&config("https://api.gurusup.com", Some("k"), None));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("secret"), "{w:?}");
    assert_eq!(
        gurusup::warnings(&config("https://api.gurusup.com", None, None)).len(),
        1
    );
    assert!(gurusup::warnings(&config(BASE, None, None)).is_empty());
}
