//! What the widget keeps between page loads, and where.
//!
//! The engine hands out a [`Snapshot`]; the driver writes it through a [`Store`]. A store that
//! fails (full, disabled, private mode) is replaced by memory after one warning; a snapshot that
//! does not parse is dropped, never trusted.

use crate::json::Json;
use crate::model::{Conversation, Message, Session, Visitor};
use crate::protocol::wire::Fields;
use crate::protocol::Cursor;
use std::cell::RefCell;

/// Bumped when the snapshot layout changes incompatibly; older snapshots are ignored.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Most messages kept in storage; the oldest beyond this are shown this session but not kept.
pub const MAX_STORED_MESSAGES: usize = 500;

/// Everything that survives a reload.
///
/// Stored as `{version, visitor, session, conversation, messages, cursor, unread,
/// offer_dismissed}`; `session` and `conversation` are null until known, `offer_dismissed` is
/// written only when true (so snapshots of earlier versions read and write back alike). Only `version` and `visitor` are required to read it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub version: u32,
    pub visitor: Visitor,
    pub session: Option<Session>,
    pub conversation: Option<Conversation>,
    pub messages: Vec<Message>,
    pub cursor: Cursor,
    pub unread: u32,
    /// The visitor dismissed the "Get the answer by email" offer.
    pub offer_dismissed: bool,
    /// The conversations the visitor left for another (written only when there are any).
    #[cfg(feature = "conversations")]
    pub archive: Vec<super::conversations::Archived>,
    /// Support closed the conversation on screen: it is read-only (written only when set).
    #[cfg(feature = "conversations")]
    pub closed: bool,
}

impl Snapshot {
    /// A fresh visitor with the given anonymous id.
    pub fn new(anon_id: String) -> Self {
        Snapshot {
            version: SNAPSHOT_VERSION,
            visitor: Visitor {
                anon_id,
                ..Visitor::default()
            },
            ..Snapshot::default()
        }
    }

    /// Serializes, keeping at most [`MAX_STORED_MESSAGES`] of the newest messages
    /// (but always every message not yet delivered).
    pub fn to_json(&self) -> String {
        let cut = self.messages.len().saturating_sub(MAX_STORED_MESSAGES);
        // A loop: the iterator chain compiled to more code.
        let mut messages = Vec::new();
        for (i, m) in self.messages.iter().enumerate() {
            if i >= cut || m.delivery.as_ref().is_some_and(|d| d.tag() != "sent") {
                messages.push(m.to_json());
            }
        }
        let mut json = Json::object([
            ("version", Json::from(self.version)),
            ("visitor", self.visitor.to_json()),
            (
                "session",
                self.session.as_ref().map(Session::to_json).into(),
            ),
            (
                "conversation",
                self.conversation.as_ref().map(Conversation::to_json).into(),
            ),
            ("messages", Json::Array(messages)),
            ("cursor", self.cursor.0.clone()),
            ("unread", Json::from(self.unread)),
        ]);
        if self.offer_dismissed {
            json.insert("offer_dismissed", Json::Bool(true));
        }
        #[cfg(feature = "conversations")]
        if !self.archive.is_empty() {
            let mut list = Vec::new();
            for a in &self.archive {
                list.push(a.to_json());
            }
            json.insert("conversations", Json::Array(list));
        }
        #[cfg(feature = "conversations")]
        if self.closed {
            json.insert("closed", Json::Bool(true));
        }
        json.to_string()
    }

    /// Parses stored text; `Err` says why it was rejected (for one console warning).
    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let json = Json::parse(text).map_err(|e| e.to_string())?;
        let f = Fields::of(&json, "the snapshot")?;
        let version = f.opt_u32("version")?.ok_or("the snapshot has no version")?;
        if version != SNAPSHOT_VERSION {
            return Err(format!(
                "snapshot version {version} is not {SNAPSHOT_VERSION}"
            ));
        }
        // The plain fields first: a refusal then has less to drop.
        let unread = f.opt_u32("unread")?.unwrap_or(0);
        let offer_dismissed = f.opt_bool("offer_dismissed")?.unwrap_or(false);
        let listed = f.array("messages")?;
        let visitor = Visitor::from_json(f.value("visitor")?)?;
        let session = f.get("session").map(Session::from_json).transpose()?;
        let conversation = f
            .get("conversation")
            .map(Conversation::from_json)
            .transpose()?;
        // A loop, not `collect::<Result<_, _>>()`, whose adapter was inlined around the whole
        // message reader.
        let mut messages = Vec::new();
        for m in listed {
            messages.push(Message::from_json(m)?);
        }
        // A conversation of the list that does not read is dropped, not the visitor's chat.
        #[cfg(feature = "conversations")]
        let mut archive = Vec::new();
        #[cfg(feature = "conversations")]
        for a in f.array("conversations")? {
            if let Ok(a) = super::conversations::Archived::from_json(a) {
                archive.push(a);
            }
        }
        let snapshot = Snapshot {
            version,
            visitor,
            session,
            conversation,
            messages,
            cursor: Cursor(f.raw("cursor").cloned().unwrap_or_default()),
            unread,
            offer_dismissed,
            #[cfg(feature = "conversations")]
            archive,
            #[cfg(feature = "conversations")]
            closed: f.opt_bool("closed")?.unwrap_or(false),
        };
        if snapshot.visitor.anon_id.is_empty() {
            return Err("snapshot has no visitor id".into());
        }
        Ok(snapshot)
    }
}

/// The storage key for one backend, so two widgets on one origin do not mix conversations.
pub fn storage_key(provider: &str, api_base: Option<&str>) -> String {
    format!("helpwire:v1:{provider}:{}", api_base.unwrap_or(""))
}

/// A string key-value store (browser `localStorage`/`sessionStorage`, or memory).
pub trait Store {
    fn get(&self, key: &str) -> Result<Option<String>, String>;
    fn set(&self, key: &str, value: &str) -> Result<(), String>;
    fn remove(&self, key: &str) -> Result<(), String>;
}

/// In-memory store: `data-storage="none"`, the fallback when browser storage fails, and tests.
/// It holds a handful of keys, so a list is enough (and, unlike a hash map of strings, links no
/// hasher into the bundle).
#[derive(Default)]
pub struct MemoryStore(RefCell<Vec<(String, String)>>);

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self
            .0
            .borrow()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone()))
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        let mut entries = self.0.borrow_mut();
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value.to_string(),
            None => entries.push((key.to_string(), value.to_string())),
        }
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.0.borrow_mut().retain(|(k, _)| k != key);
        Ok(())
    }
}

/// A store that falls back to memory, with one warning, the first time the real one fails.
pub struct ResilientStore<S: Store> {
    primary: S,
    fallback: MemoryStore,
    failed: RefCell<bool>,
    warn: Box<dyn Fn(&str)>,
}

impl<S: Store> ResilientStore<S> {
    pub fn new(primary: S, warn: impl Fn(&str) + 'static) -> Self {
        ResilientStore {
            primary,
            fallback: MemoryStore::default(),
            failed: RefCell::new(false),
            warn: Box::new(warn),
        }
    }

    fn fail(&self, what: &str, error: String) {
        if !self.failed.replace(true) {
            (self.warn)(&format!(
                "Helpwire: browser storage failed to {what} ({error}); keeping the conversation in memory for this page"
            ));
        }
    }
}

impl<S: Store> Store for ResilientStore<S> {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        if !*self.failed.borrow() {
            match self.primary.get(key) {
                Ok(v) => return Ok(v),
                Err(e) => self.fail("read", e),
            }
        }
        self.fallback.get(key)
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        if !*self.failed.borrow() {
            match self.primary.set(key, value) {
                Ok(()) => return Ok(()),
                Err(e) => self.fail("write", e),
            }
        }
        self.fallback.set(key, value)
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        let _ = self.primary.remove(key);
        self.fallback.remove(key)
    }
}
