//! What the widget keeps between page loads, and where.
//!
//! The engine hands out a [`Snapshot`]; the driver writes it through a [`Store`]. A store that
//! fails (full, disabled, private mode) is replaced by memory after one warning; a snapshot that
//! does not parse is dropped, never trusted.

use crate::model::{Conversation, Message, Session, Visitor};
use crate::provider::Cursor;
use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;

/// Bumped when the snapshot layout changes incompatibly; older snapshots are ignored.
pub const SNAPSHOT_VERSION: u32 = 1;

/// Most messages kept in storage; the oldest beyond this are shown this session but not kept.
pub const MAX_STORED_MESSAGES: usize = 500;

/// Everything that survives a reload.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    pub version: u32,
    pub visitor: Visitor,
    #[serde(default)]
    pub session: Option<Session>,
    #[serde(default)]
    pub conversation: Option<Conversation>,
    #[serde(default)]
    pub messages: Vec<Message>,
    #[serde(default)]
    pub cursor: Cursor,
    #[serde(default)]
    pub unread: u32,
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
        if self.messages.len() <= MAX_STORED_MESSAGES {
            return serde_json::to_string(self).unwrap_or_default();
        }
        let cut = self.messages.len() - MAX_STORED_MESSAGES;
        let kept: Vec<&Message> = self
            .messages
            .iter()
            .enumerate()
            .filter(|(i, m)| *i >= cut || m.delivery.as_ref().is_some_and(|d| d.tag() != "sent"))
            .map(|(_, m)| m)
            .collect();
        // The same layout as `Snapshot`, borrowing instead of cloning the conversation.
        #[derive(Serialize)]
        struct Trimmed<'a> {
            version: u32,
            visitor: &'a Visitor,
            session: &'a Option<Session>,
            conversation: &'a Option<Conversation>,
            messages: Vec<&'a Message>,
            cursor: &'a Cursor,
            unread: u32,
        }
        serde_json::to_string(&Trimmed {
            version: self.version,
            visitor: &self.visitor,
            session: &self.session,
            conversation: &self.conversation,
            messages: kept,
            cursor: &self.cursor,
            unread: self.unread,
        })
        .unwrap_or_default()
    }

    /// Parses stored text; `Err` says why it was rejected (for one console warning).
    pub fn from_json(text: &str) -> Result<Snapshot, String> {
        let snapshot: Snapshot = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(format!(
                "snapshot version {} is not {SNAPSHOT_VERSION}",
                snapshot.version
            ));
        }
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
#[derive(Default)]
pub struct MemoryStore(RefCell<HashMap<String, String>>);

impl Store for MemoryStore {
    fn get(&self, key: &str) -> Result<Option<String>, String> {
        Ok(self.0.borrow().get(key).cloned())
    }
    fn set(&self, key: &str, value: &str) -> Result<(), String> {
        self.0
            .borrow_mut()
            .insert(key.to_string(), value.to_string());
        Ok(())
    }
    fn remove(&self, key: &str) -> Result<(), String> {
        self.0.borrow_mut().remove(key);
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

    /// Whether the fallback is in use.
    pub fn is_degraded(&self) -> bool {
        *self.failed.borrow()
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
