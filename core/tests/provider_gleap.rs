//! Gleap v3 (seed 000): every request exactly as documented, every documented answer parsed,
//! internal notes never reaching the visitor, and the error mapping.

#[path = "support/plans.rs"]
mod plans;
use helpwire_core::config::{Config, ProviderKind};
use helpwire_core::json::Json;
use helpwire_core::model::{Attachment, Author, Body, Conversation, Session, Visitor};
use helpwire_core::protocol::gleap::{self, GleapProvider, PAGE_SIZE};
use helpwire_core::protocol::{
    Context, Cursor, HttpRequest, HttpResponse, Method, Outgoing, Plan, Provider, ProviderError,
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

const BASE: &str = "https://api.gleap.io";
const KEY: &str = "YOUR_API_KEY";
const PROJECT: &str = "YOUR_PROJECT_ID";
const SESSION_ID: &str = "507f1f77bcf86cd799439011";
const TICKET_ID: &str = "507f1f77bcf86cd799439022";

/// Talking to Gleap directly, as the seed's curl examples do.
fn direct() -> GleapProvider {
    GleapProvider::new(BASE, Some(KEY), Some(PROJECT))
}

/// Talking to the site's proxy, which adds the key and project itself.
fn proxied() -> GleapProvider {
    GleapProvider::new("https://www.example.com/support-proxy/", None, None)
}

fn john() -> Visitor {
    Visitor {
        anon_id: "v_anon".into(),
        user_id: Some("user_12345".into()),
        email: Some("john.doe@example.com".into()),
        name: Some("John Doe".into()),
        custom_data: Some(j(r#"{"plan": "premium", "signupDate": "2024-01-15"}"#)),
        ..Visitor::default()
    }
}

fn session() -> Session {
    Session {
        id: SESSION_ID.into(),
        extra: Json::Null,
    }
}

fn ticket() -> Conversation {
    Conversation {
        id: TICKET_ID.into(),
        extra: Json::Null,
    }
}

fn outgoing(text: &str) -> Outgoing {
    Outgoing {
        local_id: "m_1".into(),
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

fn assert_direct_headers(req: &HttpRequest) {
    assert_eq!(
        req.header_value("Authorization"),
        Some("Bearer YOUR_API_KEY")
    );
    assert_eq!(req.header_value("Project"), Some(PROJECT));
}

/// Step 1 response.
const SESSION_RESPONSE: &str = r#"{
  "_id": "507f1f77bcf86cd799439011",
  "id": "507f1f77bcf86cd799439011",
  "userId": "user_12345",
  "email": "john.doe@example.com",
  "name": "John Doe",
  "customData": { "plan": "premium", "signupDate": "2024-01-15" },
  "createdAt": "2024-01-20T10:30:00.000Z",
  "lastActivity": "2024-01-20T10:30:00.000Z"
}"#;

/// Step 2 response.
const TICKET_RESPONSE: &str = r#"{
  "_id": "507f1f77bcf86cd799439022",
  "id": "507f1f77bcf86cd799439022",
  "title": "Login button not working on mobile app",
  "type": "BUG",
  "session": { "_id": "507f1f77bcf86cd799439011", "email": "john.doe@example.com", "name": "John Doe" },
  "formData": { "description": "Users are unable to log in when clicking the login button on iOS devices. The button appears to be unresponsive." },
  "createdAt": "2024-01-20T10:35:00.000Z",
  "updatedAt": "2024-01-20T10:35:00.000Z"
}"#;

/// Step 3 response: an agent's rich comment with an attachment.
const AGENT_COMMENT: &str = r#"{
  "_id": "507f1f77bcf86cd799439033",
  "id": "507f1f77bcf86cd799439033",
  "ticket": "507f1f77bcf86cd799439022",
  "comment": {
    "type": "doc",
    "content": [
      { "type": "paragraph", "content": [
          { "type": "text", "text": "We have identified the issue and deployed a fix. " },
          { "type": "text", "marks": [ { "type": "bold" } ], "text": "Please update to version 2.3.2" },
          { "type": "text", "text": " to resolve this problem." } ] }
    ]
  },
  "type": "TEXT",
  "attachments": [
    { "name": "fix-screenshot.png", "url": "https://example.com/screenshots/fix-screenshot.png", "type": "image/png" }
  ],
  "user": { "_id": "507f1f77bcf86cd799439044", "email": "support@example.com", "firstName": "Jane", "lastName": "Support" },
  "createdAt": "2024-01-20T11:00:00.000Z",
  "updatedAt": "2024-01-20T11:00:00.000Z"
}"#;

/// Step 4 response: the customer's comment.
const CUSTOMER_COMMENT: &str = r#"{
  "_id": "507f1f77bcf86cd799439044",
  "id": "507f1f77bcf86cd799439044",
  "ticket": "507f1f77bcf86cd799439022",
  "comment": "I tried updating the app but the issue still persists. Can you help?",
  "type": "TEXT",
  "session": { "_id": "507f1f77bcf86cd799439011", "email": "john.doe@example.com", "name": "John Doe" },
  "createdAt": "2024-01-20T11:30:00.000Z",
  "updatedAt": "2024-01-20T11:30:00.000Z"
}"#;

/// 2024-01-20T11:00:00.000Z in ms.
const T_11_00: f64 = 1_705_748_400_000.0;

#[test]
fn starting_a_session_posts_the_documented_body_and_headers() {
    let (req, parse) = request(direct().start_session(&john(), None));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.gleap.io/v3/sessions");
    assert_direct_headers(&req);
    assert_eq!(req.header_value("Content-Type"), Some("application/json"));
    assert_eq!(
        req.body,
        Some(j(r#"{
            "userId": "user_12345",
            "email": "john.doe@example.com",
            "name": "John Doe",
            "customData": { "plan": "premium", "signupDate": "2024-01-15" }
        }"#))
    );
    let s = parse(&ok(200, SESSION_RESPONSE)).unwrap();
    assert_eq!(s.id, SESSION_ID);
}

#[test]
fn through_a_proxy_no_key_and_no_project_header_are_sent() {
    let (req, _) = request(proxied().start_session(&john(), None));
    assert_eq!(req.url, "https://www.example.com/support-proxy/v3/sessions");
    assert_eq!(req.header_value("Authorization"), None);
    assert_eq!(req.header_value("Project"), None);
}

#[test]
fn the_base_may_include_v3() {
    for base in [
        "https://api.gleap.io/v3",
        "https://api.gleap.io/v3/",
        "https://api.gleap.io/",
    ] {
        let (req, _) = request(GleapProvider::new(base, None, None).start_session(&john(), None));
        assert_eq!(req.url, "https://api.gleap.io/v3/sessions", "{base}");
    }
}

#[test]
fn an_anonymous_visitor_is_a_session_keyed_by_the_browsers_id() {
    let v = Visitor {
        anon_id: "v_anon".into(),
        ..Visitor::default()
    };
    let (req, _) = request(direct().start_session(&v, None));
    assert_eq!(req.body, Some(j(r#"{ "userId": "v_anon" }"#)));
}

#[test]
fn resuming_with_the_same_identity_needs_no_request_a_changed_one_does() {
    let (_, parse) = request(direct().start_session(&john(), None));
    let s = parse(&ok(200, SESSION_RESPONSE)).unwrap();
    match direct().start_session(&john(), Some(&s)) {
        Plan::Ready(Ok(again)) => assert_eq!(again, s),
        _ => panic!("same identity: expected the previous session"),
    }
    let mut renamed = john();
    renamed.name = Some("Johnny".into());
    let (req, _) = request(direct().start_session(&renamed, Some(&s)));
    assert_eq!(req.body.unwrap()["name"], "Johnny");
}

#[test]
fn opening_a_conversation_creates_an_inquiry_ticket_for_the_session() {
    let text = "Login button not working on mobile app";
    let (req, parse) = request(direct().open_conversation(&john(), &session(), &outgoing(text)));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.gleap.io/v3/tickets");
    assert_direct_headers(&req);
    assert_eq!(
        req.body,
        Some(Json::object([
            ("title", Json::from(text)),
            ("type", Json::from("INQUIRY")),
            ("session", Json::from(SESSION_ID)),
            (
                "formData",
                Json::object([("description", Json::from(text))])
            ),
        ]))
    );
    let c = parse(&ok(200, TICKET_RESPONSE)).unwrap();
    assert_eq!(c.id, TICKET_ID);
}

#[test]
fn a_long_first_message_makes_a_short_one_line_title_and_full_description() {
    let text = format!("{}\nsecond line", "x".repeat(300));
    let (req, _) = request(direct().open_conversation(&john(), &session(), &outgoing(&text)));
    let body = req.body.unwrap();
    let title = body["title"].as_str().unwrap();
    assert_eq!(title.chars().count(), gleap::MAX_TITLE_CHARS);
    assert!(!title.contains('\n'));
    assert_eq!(body["formData"]["description"], Json::from(text));
}

#[test]
fn sending_posts_a_customer_comment_with_the_session() {
    let v = john();
    let s = session();
    let c = ticket();
    let text = "I tried updating the app but the issue still persists. Can you help?";
    let (req, parse) = request(direct().send_message(cx(&v, &s, &c), &outgoing(text)));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "https://api.gleap.io/v3/messages");
    assert_direct_headers(&req);
    assert_eq!(
        req.body,
        Some(Json::object([
            ("ticket", Json::from(TICKET_ID)),
            ("comment", Json::from(text)),
            ("session", Json::from(SESSION_ID)),
        ]))
    );
    let sent = parse(&ok(200, CUSTOMER_COMMENT)).unwrap();
    assert_eq!(sent.remote_id, "507f1f77bcf86cd799439044");
    assert_eq!(sent.created_at, Some(T_11_00 + 30.0 * 60_000.0));
    assert!(sent.replies.is_empty());
}

#[test]
fn fetching_pages_by_skip_sorted_by_creation() {
    let v = john();
    let s = session();
    let c = ticket();
    let (req, _) = request(direct().fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://api.gleap.io/v3/messages?ticket=507f1f77bcf86cd799439022&sort=createdAt&limit=50&skip=0"
    );
    assert_direct_headers(&req);
    assert_eq!(req.body, None);
    let (req, _) = request(direct().fetch_messages(cx(&v, &s, &c), &Cursor(j(r#"{"skip": 150}"#))));
    assert!(req.url.ends_with("&limit=50&skip=150"), "{}", req.url);
}

fn fetch(body: &str, cursor: Cursor) -> Result<helpwire_core::protocol::Page, ProviderError> {
    let v = john();
    let s = session();
    let c = ticket();
    let (_, parse) = request(direct().fetch_messages(cx(&v, &s, &c), &cursor));
    parse(&ok(200, body))
}

#[test]
fn the_documented_comments_parse_into_visitor_and_agent_messages() {
    let page = fetch(
        &format!("[{AGENT_COMMENT}, {CUSTOMER_COMMENT}]"),
        Cursor::default(),
    )
    .unwrap();
    assert_eq!(page.messages.len(), 2);
    let agent = &page.messages[0];
    assert_eq!(agent.id, "507f1f77bcf86cd799439033");
    assert_eq!(
        agent.author,
        Author::Agent {
            name: Some("Jane Support".into())
        }
    );
    let Body::Rich(doc) = &agent.body else {
        panic!("a TipTap doc stays rich: {:?}", agent.body)
    };
    assert_eq!(doc["type"], "doc");
    assert_eq!(doc["content"][0]["content"][1]["marks"][0]["type"], "bold");
    assert_eq!(
        agent.body.plain_text(),
        "We have identified the issue and deployed a fix. Please update to version 2.3.2 to resolve this problem."
    );
    assert_eq!(
        agent.attachments,
        vec![Attachment {
            name: "fix-screenshot.png".into(),
            url: "https://example.com/screenshots/fix-screenshot.png".into(),
            mime: Some("image/png".into()),
        }]
    );
    assert_eq!(agent.created_at, T_11_00);

    let customer = &page.messages[1];
    assert_eq!(customer.id, "507f1f77bcf86cd799439044");
    assert_eq!(
        customer.author,
        Author::Visitor,
        "a comment with `session` is the customer's"
    );
    assert_eq!(
        customer.body,
        Body::Text("I tried updating the app but the issue still persists. Can you help?".into())
    );
    assert_eq!(page.next, Cursor(j(r#"{"skip": 2, "reads": 1}"#)));
    assert!(!page.more, "a short page is the last");
}

#[test]
fn internal_notes_never_reach_the_visitor() {
    let note_flag = r#"{"_id": "n1", "ticket": "t", "comment": "This is a high-priority issue affecting multiple users. Escalating to the mobile team.", "isNote": true, "type": "TEXT", "user": {"firstName": "Jane"}, "createdAt": "2024-01-20T11:05:00.000Z"}"#;
    let note_type = r#"{"_id": "n2", "comment": {"type": "doc", "content": []}, "type": "NOTE", "createdAt": "2024-01-20T11:06:00.000Z"}"#;
    let note_lower = r#"{"_id": "n3", "comment": "secret", "type": "note", "createdAt": "2024-01-20T11:07:00.000Z"}"#;
    let page = fetch(
        &format!("[{note_flag}, {AGENT_COMMENT}, {note_type}, {note_lower}, {CUSTOMER_COMMENT}]"),
        Cursor(j(r#"{"skip": 10}"#)),
    )
    .unwrap();
    let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(
        ids,
        ["507f1f77bcf86cd799439033", "507f1f77bcf86cd799439044"]
    );
    assert!(page
        .messages
        .iter()
        .all(|m| !m.body.plain_text().contains("Escalating")
            && !m.body.plain_text().contains("secret")));
    assert_eq!(
        page.next,
        Cursor(j(r#"{"skip": 15, "reads": 1}"#)),
        "notes count for skip: Gleap pages over them"
    );
}

#[test]
fn bot_messages_are_from_the_bot_and_agent_comments_may_have_no_user() {
    let page = fetch(
        r#"[
            {"_id": "b1", "comment": "Hi! I'm the assistant.", "bot": true, "type": "TEXT", "createdAt": "2024-01-20T11:00:00.000Z"},
            {"_id": "a1", "comment": "Thank you for reporting this issue.", "type": "COMMENT", "createdAt": "2024-01-20T11:00:01.000Z"},
            {"id": "a2", "comment": "Named", "user": {"name": " Kim "}, "createdAt": "2024-01-20T11:00:02.000Z", "somethingNew": [1, 2]}
        ]"#,
        Cursor::default(),
    )
    .unwrap();
    assert_eq!(page.messages[0].author, Author::Bot { name: None });
    assert_eq!(page.messages[1].author, Author::Agent { name: None });
    assert_eq!(page.messages[2].id, "a2", "`id` when `_id` is absent");
    assert_eq!(
        page.messages[2].author,
        Author::Agent {
            name: Some("Kim".into())
        }
    );
}

#[test]
fn a_full_page_asks_for_the_next_one_at_once() {
    let items: Vec<String> = (0..PAGE_SIZE)
        .map(|i| {
            format!(
                r#"{{"_id": "m{i}", "comment": "c{i}", "createdAt": "2024-01-20T11:00:00.000Z"}}"#
            )
        })
        .collect();
    let page = fetch(
        &format!("[{}]", items.join(",")),
        Cursor(j(r#"{"skip": 50}"#)),
    )
    .unwrap();
    assert_eq!(page.messages.len(), PAGE_SIZE);
    assert!(page.more);
    assert_eq!(page.next, Cursor(j(r#"{"skip": 100, "reads": 1}"#)));
    let empty = fetch("[]", Cursor(j(r#"{"skip": 100}"#))).unwrap();
    assert!(!empty.more);
    assert_eq!(empty.next, Cursor(j(r#"{"skip": 100, "reads": 1}"#)));
}

fn parse_all(resp: &HttpResponse) -> Vec<Result<(), ProviderError>> {
    let v = john();
    let s = session();
    let c = ticket();
    let p = direct();
    let (_, a) = request(p.start_session(&v, None));
    let (_, b) = request(p.open_conversation(&v, &s, &outgoing("hi")));
    let (_, d) = request(p.send_message(cx(&v, &s, &c), &outgoing("hi")));
    let (_, e) = request(p.fetch_messages(cx(&v, &s, &c), &Cursor::default()));
    vec![
        a(resp).map(drop),
        b(resp).map(drop),
        d(resp).map(drop),
        e(resp).map(drop),
    ]
}

#[test]
fn a_401_is_a_permanent_status_error_with_the_message() {
    // Gleap documents no error body; a `message` or `error` field is used, else the raw text.
    for (body, detail) in [
        (r#"{"message": "Unauthorized"}"#, "Unauthorized"),
        (r#"{"error": "Invalid API key"}"#, "Invalid API key"),
        ("Unauthorized", "Unauthorized"),
    ] {
        for r in parse_all(&ok(401, body)) {
            let err = r.unwrap_err();
            assert_eq!(
                err,
                ProviderError::Status {
                    status: 401,
                    detail: detail.into(),
                    retry_after: None
                }
            );
            assert!(!err.is_transient());
        }
    }
}

#[test]
fn a_404_is_a_status_error() {
    for r in parse_all(&ok(404, r#"{"message": "Ticket not found"}"#)) {
        assert!(matches!(
            r.unwrap_err(),
            ProviderError::Status { status: 404, .. }
        ));
    }
}

#[test]
fn the_rate_limit_429_keeps_retry_after() {
    let resp = HttpResponse {
        status: 429,
        retry_after: Some(60),
        body: "Too many requests, please try again later.".into(),
    };
    for r in parse_all(&resp) {
        let err = r.unwrap_err();
        assert!(err.is_transient());
        assert_eq!(err.retry_after(), Some(60));
    }
}

#[test]
fn malformed_json_keeps_the_raw_body() {
    for r in parse_all(&ok(200, "{not json")) {
        assert!(matches!(
            r.unwrap_err(),
            ProviderError::Malformed { ref body, .. } if body == "{not json"
        ));
    }
}

#[test]
fn wrongly_typed_answers_are_malformed() {
    for body in [r#"{"messages": []}"#, r#"{"_id": "m"}"#, r#""ok""#] {
        let err = fetch(body, Cursor::default()).unwrap_err();
        assert!(
            matches!(err, ProviderError::Malformed { .. }),
            "{body}: {err:?}"
        );
    }
    let (_, parse) = request(direct().start_session(&john(), None));
    assert!(matches!(
        parse(&ok(200, r#"{"_id": {"$oid": "x"}}"#)).unwrap_err(),
        ProviderError::Malformed { .. }
    ));
}

/// `items` (JSON text) followed by a normal agent comment `n`, as one page after `skip` 0.
fn with_normal(items: &[String]) -> helpwire_core::protocol::Page {
    let mut all = items.to_vec();
    all.push(r#"{"_id": "n", "comment": "Normal reply", "type": "TEXT", "user": {"firstName": "Jane"}, "createdAt": "2024-01-20T11:00:00.000Z"}"#.into());
    fetch(&format!("[{}]", all.join(",")), Cursor::default()).unwrap()
}

#[test]
fn a_comment_with_an_unusable_time_is_kept_for_the_engine_to_date_and_warned_about() {
    for bad in hostile::BAD_TIMES {
        let page = with_normal(&[format!(
            r#"{{"_id": "h", "comment": "Hostile", "type": "TEXT", "createdAt": {bad}}}"#
        )]);
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["h", "n"], "{bad}");
        assert_eq!(page.messages[0].body, Body::Text("Hostile".into()));
        assert!(page.messages[0].created_at.is_nan(), "{bad}");
        assert_eq!(page.messages[1].created_at, T_11_00);
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(j(r#"{"skip": 2, "reads": 1}"#)));
    }
    let page = with_normal(&[r#"{"_id": "h", "comment": "x"}"#.into()]);
    assert!(page.messages[0].created_at.is_nan(), "no createdAt at all");
    assert_eq!(page.warnings.len(), 1);
}

#[test]
fn an_unreadable_comment_is_skipped_with_one_warning_and_counted_as_seen() {
    let t = r#""createdAt": "2024-01-20T11:00:00.000Z""#;
    let mut unreadable: Vec<String> = hostile::BAD_ITEMS.iter().map(|s| s.to_string()).collect();
    unreadable.extend([
        format!(r#"{{"_id": "m", "comment": 5, {t}}}"#),
        format!(r#"{{"_id": "m", "comment": {{"type": "paragraph"}}, {t}}}"#),
        format!(r#"{{"comment": "x", {t}}}"#),
        format!(r#"{{"_id": "m", "comment": "x", "isNote": "yes", {t}}}"#),
        format!(r#"{{"_id": "m", "comment": "x", "bot": 1, {t}}}"#),
        format!(r#"{{"_id": "m", "comment": "x", "user": "Jane", {t}}}"#),
        format!(r#"{{"_id": "m", "comment": "x", "attachments": [{{"name": "a.png"}}], {t}}}"#),
        format!(r#"{{"_id": "m", "comment": "x", "attachments": {{"url": "u"}}, {t}}}"#),
    ]);
    for bad in &unreadable {
        let page = with_normal(std::slice::from_ref(bad));
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n"], "{bad}");
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(
            page.next,
            Cursor(j(r#"{"skip": 2, "reads": 1}"#)),
            "{bad}: past it"
        );
    }
    let page = with_normal(&unreadable);
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.warnings.len(), unreadable.len());
    assert_eq!(
        page.next,
        Cursor(Json::object([
            ("skip", Json::from(unreadable.len() + 1)),
            ("reads", Json::from(1)),
        ]))
    );
}

#[test]
fn a_send_answer_with_an_unusable_time_is_still_a_delivery() {
    let v = john();
    let s = session();
    let c = ticket();
    for bad in hostile::BAD_TIMES {
        let (_, parse) = request(direct().send_message(cx(&v, &s, &c), &outgoing("hi")));
        let sent = parse(&ok(
            200,
            &format!(r#"{{"_id": "m3", "comment": "hi", "createdAt": {bad}}}"#),
        ))
        .unwrap();
        assert_eq!(sent.remote_id, "m3", "{bad}");
        assert_eq!(sent.created_at, None, "{bad}");
        assert_eq!(sent.warnings.len(), 1, "{bad}");
    }
}

#[test]
fn capabilities_say_rich_text_attachments_and_gentle_polling() {
    let caps = direct().capabilities();
    assert!(caps.polling && caps.rich_text && caps.attachments);
    // 1000 requests a minute per project, shared by all visitors: poll slowly.
    assert!(caps.poll_open_ms >= 5_000 && caps.poll_closed_ms >= 60_000);
}

fn config(base: &str, key: Option<&str>) -> Config {
    Config {
        provider: ProviderKind::Gleap,
        api_base: Some(base.into()),
        api_key: key.map(str::to_string),
        project: Some(PROJECT.into()),
        ..Config::default()
    }
}

#[test]
fn for_config_builds_gleap_with_project_header() {
    let p = helpwire_core::protocol::for_config(&config(BASE, Some(KEY)), &PLATFORM).unwrap();
    let (req, _) = request(p.start_session(&john(), None));
    assert_eq!(req.url, "https://api.gleap.io/v3/sessions");
    assert_direct_headers(&req);
}

#[test]
fn a_secret_key_against_gleaps_host_is_warned_about_a_proxy_is_not() {
    let w = gleap::warnings(&config("https://api.gleap.io/v3", Some(KEY)));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("secret") && w[0].contains("proxy"), "{w:?}");
    let w = gleap::warnings(&config("https://api.gleap.io", None));
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("proxy"), "{w:?}");
    assert!(gleap::warnings(&config("https://www.example.com/gleap", None)).is_empty());
    assert!(
        gleap::warnings(&config("https://www.example.com/gleap", Some("site-token"))).is_empty()
    );
}

#[test]
fn every_fourth_read_asks_for_the_ticket_and_a_done_or_closed_one_reads_as_closed() {
    use helpwire_core::protocol::wire::STATUS_EVERY;
    let (v, s, c) = (john(), session(), ticket());
    let at = |reads: u64| Cursor(j(&format!(r#"{{"skip": 7, "reads": {reads}}}"#)));
    for reads in 0..STATUS_EVERY - 1 {
        let (req, _) = request(direct().fetch_messages(cx(&v, &s, &c), &at(reads)));
        assert!(req.url.contains("/v3/messages?ticket="), "{}", req.url);
        assert!(req.url.ends_with("&skip=7"), "{}", req.url);
    }
    let (req, _) = request(direct().fetch_messages(cx(&v, &s, &c), &at(STATUS_EVERY - 1)));
    assert_eq!(req.method, Method::Get);
    assert_eq!(
        req.url,
        "https://api.gleap.io/v3/tickets/507f1f77bcf86cd799439022"
    );
    assert_direct_headers(&req);
    assert_eq!(req.body, None);
    for (ticket, closed) in [
        (r#"{"_id": "t", "status": "OPEN"}"#, false),
        (r#"{"_id": "t", "status": "INPROGRESS"}"#, false),
        (r#"{"_id": "t", "status": "DONE"}"#, true),
        (
            r#"{"_id": "t", "status": "OPEN", "conversationClosed": true}"#,
            true,
        ),
        (
            r#"{"_id": "t", "status": "OPEN", "conversationClosed": false}"#,
            false,
        ),
        // Hostile or unknown shapes say nothing.
        (
            r#"{"_id": "t", "status": 3, "conversationClosed": "yes"}"#,
            false,
        ),
        (r#"{"_id": "t"}"#, false),
    ] {
        let (_, parse) = request(direct().fetch_messages(cx(&v, &s, &c), &at(STATUS_EVERY - 1)));
        let page = parse(&ok(200, ticket)).unwrap();
        assert_eq!(page.closed, closed, "{ticket}");
        assert_eq!(
            page.more, !closed,
            "{ticket}: the messages are read at once"
        );
        assert!(page.messages.is_empty());
        assert_eq!(
            page.next,
            Cursor(j(r#"{"skip": 7, "reads": 4}"#)),
            "{ticket}: skip kept"
        );
    }
}

#[test]
fn a_ticket_that_cannot_be_read_is_a_warning_and_the_messages_are_read_all_the_same() {
    let (v, s, c) = (john(), session(), ticket());
    let cursor = Cursor(j(r#"{"skip": 7, "reads": 3}"#));
    for resp in [
        ok(404, r#"{"message": "Not Found"}"#),
        ok(500, "oops"),
        ok(200, "not json"),
        ok(200, "[1, 2]"),
    ] {
        let (_, parse) = request(proxied().fetch_messages(cx(&v, &s, &c), &cursor));
        let page = parse(&resp).expect("a status read never fails the read");
        assert!(!page.closed && page.more, "{resp:?}");
        assert_eq!(page.warnings.len(), 1, "{resp:?}");
        assert!(
            page.warnings[0].contains("status is unknown"),
            "{:?}",
            page.warnings
        );
        assert_eq!(page.next, Cursor(j(r#"{"skip": 7, "reads": 4}"#)));
    }
}
