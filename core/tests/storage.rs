//! What is kept between page loads, and how bad stored data and failing storage are handled.

use helpwire_core::engine::storage::{
    storage_key, MemoryStore, ResilientStore, Snapshot, Store, MAX_STORED_MESSAGES,
};
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Delivery, Message};
use std::cell::RefCell;
use std::rc::Rc;

#[test]
fn corrupted_or_foreign_snapshots_are_rejected() {
    assert!(Snapshot::from_json("{not json").is_err());
    assert!(Snapshot::from_json("[]").is_err());
    assert!(Snapshot::from_json(r#"{"version":99,"visitor":{"anon_id":"v"}}"#).is_err());
    assert!(Snapshot::from_json(r#"{"version":1,"visitor":{"anon_id":""}}"#).is_err());
    assert!(
        Snapshot::from_json(r#"{"version":1,"visitor":{"anon_id":"v"},"messages":"oops"}"#)
            .is_err()
    );
    assert!(Snapshot::from_json(r#"{"version":1,"visitor":{"anon_id":"v"}}"#).is_ok());
}

#[test]
fn a_snapshot_round_trips() {
    let mut s = Snapshot::new("v1".into());
    s.messages.push(Message::received(
        "a",
        Author::Agent {
            name: Some("Maya".into()),
        },
        Body::Text("hi".into()),
        5.0,
    ));
    s.unread = 1;
    assert_eq!(Snapshot::from_json(&s.to_json()).unwrap(), s);
}

/// A snapshot as the serde-based widget stored it (every kind of author, body and delivery).
const EARLIER_SNAPSHOT: &str = r#"{"version":1,"visitor":{"anon_id":"v_anon","user_id":"u42","email":"ada@example.com","custom_data":{"plan":"team","ratio":0.25,"seats":5,"tags":["a","b"]}},"session":{"id":"ses_1","extra":{"email":"ada@example.com","userId":"u42"}},"conversation":{"id":"conv_1","extra":{"requester_email":"ada@example.com","subject":"Hi \"there\"\n\u0001é😀"}},"messages":[{"id":"m1","local_id":"l1","author":{"kind":"visitor"},"body":{"kind":"text","value":"hello"},"created_at":1700000000000.0,"delivery":{"state":"sent"}},{"id":"l2","local_id":"l2","author":{"kind":"visitor"},"body":{"kind":"text","value":"pending"},"created_at":1700000001000.0,"delivery":{"state":"pending","attempts":3,"retry_at":1700000005123.5},"origin":"t_1"},{"id":"l3","author":{"kind":"visitor"},"body":{"kind":"text","value":"failed"},"created_at":1700000002000.0,"delivery":{"state":"failed","reason":"HTTP 413: too long"}},{"id":"m4","author":{"kind":"agent","name":"Maya"},"body":{"kind":"rich","value":{"content":[{"content":[{"marks":[{"type":"bold"}],"text":"Hi","type":"text"}],"type":"paragraph"}],"type":"doc"}},"attachments":[{"name":"a.png","url":"https://x.example/a.png","mime":"image/png"},{"name":"b","url":"https://x.example/b","mime":null}],"created_at":1700000003000.0},{"id":"m5","author":{"kind":"agent","name":null},"body":{"kind":"text","value":""},"created_at":1700000004000.25},{"id":"m6","author":{"kind":"bot","name":"Sate"},"body":{"kind":"text","value":"bot"},"created_at":1700000005000.0},{"id":"m7","author":{"kind":"bot","name":null},"body":{"kind":"text","value":"bot2"},"created_at":0.0},{"id":"m8","author":{"kind":"system"},"body":{"kind":"text","value":"closed"},"created_at":1700000006000.0}],"cursor":{"seen":3},"unread":2}"#;

#[test]
fn snapshots_stored_by_earlier_versions_load_and_are_written_back_alike() {
    let s = Snapshot::from_json(EARLIER_SNAPSHOT).unwrap();
    assert_eq!(s.visitor.anon_id, "v_anon");
    assert_eq!(s.visitor.user_id.as_deref(), Some("u42"));
    assert_eq!(s.visitor.name, None);
    assert_eq!(
        s.visitor.custom_data.as_ref().unwrap()["seats"].as_u64(),
        Some(5)
    );
    assert_eq!(s.session.as_ref().unwrap().extra["userId"], "u42");
    assert_eq!(
        s.conversation.as_ref().unwrap().extra["subject"],
        "Hi \"there\"\n\u{1}é😀"
    );
    assert_eq!(s.cursor.0["seen"].as_u64(), Some(3));
    assert_eq!(s.unread, 2);
    let tags: Vec<_> = s
        .messages
        .iter()
        .map(|m| (m.author.tag(), m.delivery.as_ref().map(Delivery::tag)))
        .collect();
    assert_eq!(
        tags,
        [
            ("visitor", Some("sent")),
            ("visitor", Some("pending")),
            ("visitor", Some("failed")),
            ("agent", None),
            ("agent", None),
            ("bot", None),
            ("bot", None),
            ("system", None)
        ]
    );
    assert_eq!(
        s.messages[1].delivery,
        Some(Delivery::Pending {
            attempts: 3,
            retry_at: 1_700_000_005_123.5
        })
    );
    assert_eq!(s.messages[1].origin.as_deref(), Some("t_1"));
    assert_eq!(s.messages[3].author.name(), Some("Maya"));
    assert_eq!(s.messages[3].body.plain_text(), "Hi");
    assert_eq!(s.messages[3].attachments.len(), 2);
    assert_eq!(s.messages[3].attachments[1].mime, None);
    assert_eq!(s.messages[4].created_at, 1_700_000_004_000.25);
    assert_eq!(s.messages[5].author.name(), Some("Sate"));
    // Written back, it is the same document (numbers as values, members in any order).
    assert_eq!(
        Json::parse(&s.to_json()).unwrap(),
        Json::parse(EARLIER_SNAPSHOT).unwrap()
    );
    assert_eq!(Snapshot::from_json(&s.to_json()).unwrap(), s);

    let empty = r#"{"version":1,"visitor":{"anon_id":"v2"},"session":null,"conversation":null,"messages":[],"cursor":null,"unread":0}"#;
    let e = Snapshot::from_json(empty).unwrap();
    assert_eq!(e, Snapshot::new("v2".into()));
    assert_eq!(e.to_json(), empty, "byte for byte");
}

#[test]
fn stored_fields_of_the_wrong_type_reject_the_snapshot() {
    let with = |member: &str| {
        Snapshot::from_json(&format!(
            r#"{{"version":1,"visitor":{{"anon_id":"v"}},{member}}}"#
        ))
    };
    assert!(with(r#""unread":1"#).is_ok());
    assert!(with(r#""unread":-1"#).is_err());
    assert!(with(r#""messages":[{"id":"m"}]"#).is_err());
    assert!(with(r#""messages":[{"id":"m","author":{"kind":"alien"},"body":{"kind":"text","value":"x"},"created_at":1}]"#).is_err());
    assert!(with(r#""messages":[{"id":"m","author":{"kind":"system"},"body":{"kind":"text","value":"x"},"created_at":"yesterday"}]"#).is_err());
    assert!(with(r#""session":{"extra":{}}"#).is_err());
    let ok = with(r#""messages":[{"id":"m","author":{"kind":"agent"},"body":{"kind":"text","value":"x"},"created_at":1,"future":true}]"#).unwrap();
    assert_eq!(
        ok.messages[0].author,
        Author::Agent { name: None },
        "unknown fields are ignored"
    );
}

#[test]
fn long_histories_are_trimmed_but_undelivered_messages_are_always_kept() {
    let mut s = Snapshot::new("v1".into());
    let mut pending = Message::received("p", Author::Visitor, Body::Text("unsent".into()), 0.0);
    pending.delivery = Some(Delivery::Pending {
        attempts: 2,
        retry_at: 0.0,
    });
    s.messages.push(pending);
    for i in 0..(MAX_STORED_MESSAGES + 50) {
        s.messages.push(Message::received(
            format!("m{i}"),
            Author::Agent { name: None },
            Body::Text("x".into()),
            i as f64,
        ));
    }
    let back = Snapshot::from_json(&s.to_json()).unwrap();
    assert_eq!(back.messages.len(), MAX_STORED_MESSAGES + 1);
    assert_eq!(
        back.messages[0].id, "p",
        "the pending message survives trimming"
    );
    assert_eq!(
        back.messages.last().unwrap().id,
        format!("m{}", MAX_STORED_MESSAGES + 49)
    );
}

#[test]
fn storage_keys_separate_backends() {
    assert_ne!(
        storage_key("local", None),
        storage_key("bancroft", Some("https://a"))
    );
    assert_ne!(
        storage_key("bancroft", Some("https://a")),
        storage_key("bancroft", Some("https://b"))
    );
}

/// A store that fails like a full or disabled `localStorage`.
struct BrokenStore;
impl Store for BrokenStore {
    fn get(&self, _: &str) -> Result<Option<String>, String> {
        Err("SecurityError".into())
    }
    fn set(&self, _: &str, _: &str) -> Result<(), String> {
        Err("QuotaExceededError".into())
    }
    fn remove(&self, _: &str) -> Result<(), String> {
        Err("SecurityError".into())
    }
}

#[test]
fn failing_storage_falls_back_to_memory_with_one_warning() {
    let warnings = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = warnings.clone();
    let store = ResilientStore::new(BrokenStore, move |w| sink.borrow_mut().push(w.to_string()));
    store.set("k", "v1").unwrap();
    store.set("k", "v2").unwrap();
    assert_eq!(store.get("k").unwrap().as_deref(), Some("v2"));
    assert_eq!(warnings.borrow().len(), 1, "warn once, not on every write");
    assert!(warnings.borrow()[0].contains("QuotaExceededError"));
}

#[test]
fn memory_store_behaves_like_a_map() {
    let store = MemoryStore::default();
    assert_eq!(store.get("k").unwrap(), None);
    store.set("k", "v").unwrap();
    assert_eq!(store.get("k").unwrap().as_deref(), Some("v"));
    store.remove("k").unwrap();
    assert_eq!(store.get("k").unwrap(), None);
}
