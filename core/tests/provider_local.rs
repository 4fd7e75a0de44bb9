//! The local provider's requests and the in-browser helpdesk that answers them.

use helpwire_core::json::Json;
use helpwire_core::model::{Author, Conversation, Session, Visitor};
use helpwire_core::protocol::local::{
    LocalHelpdesk, LocalProvider, AGENT_NAME, FAILED_DELIVERY_STATUS, MAX_MESSAGE_CHARS,
};
use helpwire_core::protocol::{
    Context, Cursor, HttpRequest, Method, Outgoing, Plan, Provider, ProviderError,
};

fn request<T>(plan: Plan<T>) -> (HttpRequest, helpwire_core::protocol::Parser<T>) {
    match plan {
        Plan::Request { request, parse } => (request, parse),
        Plan::Ready(_) => panic!("expected a request"),
    }
}

fn visitor() -> Visitor {
    Visitor {
        anon_id: "v1".into(),
        ..Visitor::default()
    }
}

const T0: f64 = 1_700_000_000_000.0;

/// Starts a session and a conversation; returns them.
fn open(helpdesk: &mut LocalHelpdesk) -> (Session, Conversation) {
    let p = LocalProvider;
    let (req, parse) = request(p.start_session(&visitor(), None));
    let session = parse(&helpdesk.handle(&req, T0)).unwrap();
    let first = Outgoing {
        local_id: "m1".into(),
        text: "hello".into(),
    };
    let (req, parse) = request(p.open_conversation(&visitor(), &session, &first));
    let conversation = parse(&helpdesk.handle(&req, T0)).unwrap();
    (session, conversation)
}

fn send(
    helpdesk: &mut LocalHelpdesk,
    s: &Session,
    c: &Conversation,
    id: &str,
    text: &str,
    now: f64,
) -> Result<helpwire_core::protocol::Sent, ProviderError> {
    let v = visitor();
    let cx = Context {
        visitor: &v,
        session: s,
        conversation: c,
        recent: &[],
    };
    let (req, parse) = request(LocalProvider.send_message(
        cx,
        &Outgoing {
            local_id: id.into(),
            text: text.into(),
        },
    ));
    parse(&helpdesk.handle(&req, now))
}

fn fetch(
    helpdesk: &mut LocalHelpdesk,
    s: &Session,
    c: &Conversation,
    cursor: &Cursor,
    now: f64,
) -> helpwire_core::protocol::Page {
    let v = visitor();
    let cx = Context {
        visitor: &v,
        session: s,
        conversation: c,
        recent: &[],
    };
    let (req, parse) = request(LocalProvider.fetch_messages(cx, cursor));
    assert_eq!(req.method, Method::Get);
    parse(&helpdesk.handle(&req, now)).unwrap()
}

#[test]
fn requests_are_plain_json_rest_calls() {
    let (req, _) = request(LocalProvider.start_session(&visitor(), None));
    assert_eq!(req.method, Method::Post);
    assert_eq!(req.url, "local://helpdesk/sessions");
    assert_eq!(req.header_value("content-type"), Some("application/json"));
    assert_eq!(req.body.as_ref().unwrap()["visitor"]["anon_id"], "v1");
    let previous = Session {
        id: "ses_9".into(),
        extra: Json::Null,
    };
    let (req, _) = request(LocalProvider.start_session(&visitor(), Some(&previous)));
    assert_eq!(req.body.unwrap()["resume"], "ses_9");
}

#[test]
fn a_message_is_stored_and_answered_by_a_named_agent_after_a_delay() {
    let mut hd = LocalHelpdesk::default();
    let (s, c) = open(&mut hd);
    let sent = send(&mut hd, &s, &c, "m1", "My dashboard shows an error", T0).unwrap();
    assert_eq!(sent.created_at, Some(T0));
    let page = fetch(&mut hd, &s, &c, &Cursor::default(), T0 + 100.0);
    assert_eq!(page.messages.len(), 1);
    assert_eq!(page.messages[0].author, Author::Visitor);
    assert_eq!(page.messages[0].local_id.as_deref(), Some("m1"));
    assert!(hd.has_scheduled_replies());

    let later = fetch(&mut hd, &s, &c, &page.next, T0 + 3_000.0);
    assert_eq!(later.messages.len(), 1, "only what is new since the cursor");
    let reply = &later.messages[0];
    assert_eq!(
        reply.author,
        Author::Agent {
            name: Some(AGENT_NAME.into())
        }
    );
    assert!(
        reply.body.plain_text().contains("screenshot"),
        "topic-aware: {}",
        reply.body.plain_text()
    );
    assert!(reply.created_at > T0 && reply.created_at <= T0 + 3_000.0);
}

#[test]
fn replies_vary() {
    let mut hd = LocalHelpdesk::default();
    let (s, c) = open(&mut hd);
    let mut replies = std::collections::HashSet::new();
    for i in 0..6 {
        send(
            &mut hd,
            &s,
            &c,
            &format!("m{i}"),
            &format!("question number {i}"),
            T0 + i as f64 * 10_000.0,
        )
        .unwrap();
    }
    let page = fetch(&mut hd, &s, &c, &Cursor::default(), T0 + 100_000.0);
    for m in page.messages.iter().filter(|m| m.author != Author::Visitor) {
        replies.insert(m.body.plain_text());
    }
    assert!(replies.len() >= 3, "canned but varied: {replies:?}");
}

#[test]
fn a_retried_send_with_the_same_client_id_is_stored_once() {
    let mut hd = LocalHelpdesk::default();
    let (s, c) = open(&mut hd);
    let a = send(&mut hd, &s, &c, "m1", "hello", T0).unwrap();
    let b = send(&mut hd, &s, &c, "m1", "hello", T0 + 5.0).unwrap();
    assert_eq!(a.remote_id, b.remote_id);
    let page = fetch(&mut hd, &s, &c, &Cursor::default(), T0 + 10.0);
    assert_eq!(
        page.messages
            .iter()
            .filter(|m| m.author == Author::Visitor)
            .count(),
        1
    );
}

#[test]
fn errors_are_typed_with_the_detail() {
    let mut hd = LocalHelpdesk::default();
    let (s, c) = open(&mut hd);
    let empty = send(&mut hd, &s, &c, "m1", "   ", T0).unwrap_err();
    assert!(
        matches!(empty, ProviderError::Status { status: 400, ref detail, .. } if detail.contains("empty"))
    );
    let long = "x".repeat(MAX_MESSAGE_CHARS + 1);
    let too_long = send(&mut hd, &s, &c, "m2", &long, T0).unwrap_err();
    assert!(matches!(
        too_long,
        ProviderError::Status { status: 413, .. }
    ));
    assert!(!too_long.is_transient());
    let gone = Conversation {
        id: "conv_404".into(),
        extra: Json::Null,
    };
    let missing = send(&mut hd, &s, &gone, "m3", "hi", T0).unwrap_err();
    assert!(matches!(missing, ProviderError::Status { status: 404, .. }));
}

#[test]
fn an_unknown_session_is_replaced_on_resume() {
    let mut hd = LocalHelpdesk::default();
    let stale = Session {
        id: "ses_gone".into(),
        extra: Json::Null,
    };
    let (req, parse) = request(LocalProvider.start_session(&visitor(), Some(&stale)));
    let fresh = parse(&hd.handle(&req, T0)).unwrap();
    assert_ne!(fresh.id, "ses_gone");
}

#[test]
fn the_helpdesk_state_survives_serialization() {
    let mut hd = LocalHelpdesk::default();
    let (s, c) = open(&mut hd);
    send(&mut hd, &s, &c, "m1", "hello", T0).unwrap();
    let text = hd.to_json().to_string();
    let mut back = LocalHelpdesk::from_json(&Json::parse(&text).unwrap()).unwrap();
    assert_eq!(back, hd);
    let page = fetch(&mut back, &s, &c, &Cursor::default(), T0 + 5_000.0);
    assert_eq!(
        page.messages.len(),
        2,
        "the scheduled answer survived a reload too"
    );
}

/// The helpdesk's stored state and a message list, as the serde-based widget wrote them.
const EARLIER_HELPDESK: &str = r#"{"sessions":["ses_1"],"conversations":[{"id":"conv_2","session":"ses_1","subject":"hello there","messages":[{"id":"msg_3","role":"visitor","name":null,"body":"hello there","created_at":1700000000100.0,"client_id":"m1"},{"id":"msg_4","role":"agent","name":"Maya from Support","body":"Hi there! Thanks for reaching out. What can I help you with today?","created_at":1700000001918.0,"client_id":null},{"id":"msg_5","role":"visitor","name":null,"body":"pricing?","created_at":1700000009000.0,"client_id":"m2"}]}],"scheduled":[{"conversation":"conv_2","due_at":1700000010691.0,"body":"Happy to help with billing. Our plans are listed on the pricing page, and I can check your invoices if you tell me the email on your account."}],"counter":5}"#;
const EARLIER_LIST: &str = r#"{"messages":[{"body":"hello there","client_id":"m1","created_at":1700000000100.0,"id":"msg_3","name":null,"role":"visitor"},{"body":"Hi there! Thanks for reaching out. What can I help you with today?","client_id":null,"created_at":1700000001918.0,"id":"msg_4","name":"Maya from Support","role":"agent"},{"body":"pricing?","client_id":"m2","created_at":1700000009000.0,"id":"msg_5","name":null,"role":"visitor"}],"next":3}"#;

#[test]
fn helpdesk_data_stored_by_earlier_versions_loads_and_answers_alike() {
    let mut hd = LocalHelpdesk::from_json(&Json::parse(EARLIER_HELPDESK).unwrap()).unwrap();
    assert_eq!(
        hd.to_json(),
        Json::parse(EARLIER_HELPDESK).unwrap(),
        "written back, the same document"
    );
    let req = HttpRequest::get("local://helpdesk/conversations/conv_2/messages?after=0");
    let list = hd.handle(&req, 1_700_000_009_500.0);
    let mut answer = Json::parse(&list.body).unwrap();
    // The same list, and what the agent is doing: typing its scheduled reply to the unread message.
    assert_eq!(answer.get("typing"), Some(&Json::Bool(true)));
    assert_eq!(answer.get("seen"), Some(&Json::Bool(false)));
    if let Json::Object(members) = &mut answer {
        members.retain(|(k, _)| k != "typing" && k != "seen");
    }
    assert_eq!(answer, Json::parse(EARLIER_LIST).unwrap());
    // Anything that is not the helpdesk's data is refused, not half-read.
    for bad in [
        "{}",
        "[]",
        r#"{"sessions":[],"conversations":[],"scheduled":[]}"#,
    ] {
        assert!(
            LocalHelpdesk::from_json(&Json::parse(bad).unwrap()).is_err(),
            "{bad}"
        );
    }
}

#[path = "support/hostile.rs"]
mod hostile;

/// Parses a message list answer of `items` (JSON text) followed by a normal agent message.
fn list_with_normal(items: &[String]) -> helpwire_core::protocol::Page {
    let mut all = items.to_vec();
    all.push(
        r#"{"id": "n", "role": "agent", "name": null, "body": "Normal", "created_at": 1700000000000, "client_id": null}"#
            .into(),
    );
    let body = format!(
        r#"{{"messages": [{}], "next": {}}}"#,
        all.join(","),
        all.len()
    );
    let v = visitor();
    let (s, c) = open(&mut LocalHelpdesk::default());
    let cx = Context {
        visitor: &v,
        session: &s,
        conversation: &c,
        recent: &[],
    };
    let (_, parse) = request(LocalProvider.fetch_messages(cx, &Cursor::default()));
    parse(&helpwire_core::protocol::HttpResponse::new(200, body)).unwrap()
}

#[test]
fn stored_messages_with_unusable_times_or_shapes_never_block_the_next() {
    // The helpdesk's state lives in the page's storage, which anything on the page can change.
    for bad in hostile::BAD_TIMES {
        let page = list_with_normal(&[format!(
            r#"{{"id": "h", "role": "agent", "body": "Hostile", "created_at": {bad}}}"#
        )]);
        let ids: Vec<&str> = page.messages.iter().map(|m| m.id.as_str()).collect();
        let numeric = bad.parse::<f64>().is_ok();
        if numeric {
            assert_eq!(ids, ["h", "n"], "{bad}");
            assert!(page.messages[0].created_at.is_nan(), "{bad}");
        } else {
            assert_eq!(ids, ["n"], "{bad}: not a number, not a stored message");
        }
        assert_eq!(page.messages.last().unwrap().created_at, T0);
        assert_eq!(page.warnings.len(), 1, "{bad}: {:?}", page.warnings);
        assert_eq!(page.next, Cursor(Json::from(2)));
    }
    for bad in hostile::BAD_ITEMS {
        let page = list_with_normal(&[bad.to_string()]);
        assert_eq!(page.messages.len(), 1, "{bad}");
        assert_eq!(page.warnings.len(), 1, "{bad}");
    }
}

#[test]
fn test_mode_scripts_replies_into_the_newest_conversation_and_keeps_a_forced_failure_stored() {
    let mut helpdesk = LocalHelpdesk::default();
    helpdesk.scripted = true;
    assert!(
        !helpdesk.script_reply("nowhere yet", T0, false),
        "no conversation to answer in"
    );
    let (s, c) = open(&mut helpdesk);
    send(&mut helpdesk, &s, &c, "m1", "hello", T0).unwrap();
    assert!(!helpdesk.has_scheduled_replies(), "no answer of its own");
    assert!(
        !helpdesk.script_reply("  ", T0, false),
        "no text, no answer"
    );
    assert!(helpdesk.script_reply("Scripted", T0 + 500.0, false));
    assert!(helpdesk.has_scheduled_replies());

    // The forced failure survives the trip through storage, and is used up by one send.
    helpdesk.fail_next_delivery();
    let mut helpdesk = LocalHelpdesk::from_json(&helpdesk.to_json()).unwrap();
    helpdesk.scripted = true;
    match send(&mut helpdesk, &s, &c, "m2", "refused", T0 + 100.0) {
        Err(ProviderError::Status { status, .. }) => {
            assert_eq!(status, FAILED_DELIVERY_STATUS)
        }
        other => panic!("expected the forced failure, got {other:?}"),
    }
    send(&mut helpdesk, &s, &c, "m2", "refused", T0 + 200.0).unwrap();

    let page = fetch(&mut helpdesk, &s, &c, &Cursor::default(), T0 + 499.0);
    assert_eq!(page.messages.len(), 2, "the reply is not due yet");
    assert!(page.presence.typing, "support types while a reply is due");
    let page = fetch(&mut helpdesk, &s, &c, &Cursor::default(), T0 + 500.0);
    let texts: Vec<String> = page.messages.iter().map(|m| m.body.plain_text()).collect();
    assert_eq!(texts, ["hello", "refused", "Scripted"]);
    assert_eq!(page.messages[2].created_at, T0 + 500.0);
    assert!(!page.closed);

    // A reply that closes the conversation: from its time on, the list answer says so, also
    // after the trip through storage (both the scheduled close and the closed conversation).
    assert!(helpdesk.script_reply("Solved; closing this.", T0 + 600.0, true));
    let mut helpdesk = LocalHelpdesk::from_json(&helpdesk.to_json()).unwrap();
    assert!(!fetch(&mut helpdesk, &s, &c, &Cursor::default(), T0 + 599.0).closed);
    let page = fetch(&mut helpdesk, &s, &c, &Cursor::default(), T0 + 600.0);
    assert!(page.closed);
    assert_eq!(
        page.messages.len(),
        4,
        "the closing words are support's last message"
    );
    let mut helpdesk = LocalHelpdesk::from_json(&helpdesk.to_json()).unwrap();
    assert!(fetch(&mut helpdesk, &s, &c, &Cursor::default(), T0 + 700.0).closed);
}

#[test]
fn the_helpdesk_keeps_the_contact_a_visitor_gave_and_what_they_add_later() {
    let mut hd = LocalHelpdesk::default();
    let (req, parse) = request(LocalProvider.start_session(&visitor(), None));
    let session = parse(&hd.handle(&req, T0)).unwrap();
    assert_eq!(
        hd.to_json().get("contacts"),
        None,
        "an anonymous visitor leaves none"
    );
    // The email offer, then the name: the same session, resumed with more.
    let mut known = Visitor {
        email: Some("ada@example.com".into()),
        ..visitor()
    };
    let (req, parse) = request(LocalProvider.start_session(&known, Some(&session)));
    assert_eq!(parse(&hd.handle(&req, T0)).unwrap().id, session.id);
    known.name = Some("Ada".into());
    let (req, parse) = request(LocalProvider.start_session(&known, Some(&session)));
    assert_eq!(parse(&hd.handle(&req, T0)).unwrap().id, session.id);
    let stored = hd.to_json();
    assert_eq!(
        stored.get("contacts").map(Json::to_string).as_deref(),
        Some(
            format!(
                r#"{{"{}":{{"email":"ada@example.com","name":"Ada"}}}}"#,
                session.id
            )
            .as_str()
        )
    );
    // Through storage, and whatever a hand-edited storage put there is kept, never read.
    let back = LocalHelpdesk::from_json(&Json::parse(&stored.to_string()).unwrap()).unwrap();
    assert_eq!(back, hd);
    let mut odd = stored.clone();
    odd.insert("contacts", Json::from("not an object"));
    let mut hd = LocalHelpdesk::from_json(&odd).unwrap();
    let (req, parse) = request(LocalProvider.start_session(&known, Some(&session)));
    assert!(parse(&hd.handle(&req, T0)).is_ok());
    assert!(hd.to_json().to_string().contains("ada@example.com"));
}
