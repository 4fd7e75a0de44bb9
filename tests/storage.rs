//! What is kept between page loads, and how bad stored data and failing storage are handled.

use helpwire::chat::storage::{
    storage_key, MemoryStore, ResilientStore, Snapshot, Store, MAX_STORED_MESSAGES,
};
use helpwire::model::{Author, Body, Delivery, Message};
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
    assert!(store.is_degraded());
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
