//! The data the widget talks about, independent of any backend or view.
//!
//! Everything here is plain serde data so the engine can persist it and host tests can build it.

use serde::{Deserialize, Serialize};

/// Who the visitor is. `anon_id` is always set (a random id chosen on first activation) so that
/// backends whose ids are client-chosen (Gurusup, Eusate) have a stable key even before `identify`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Visitor {
    /// Random, stable per browser storage; never shown.
    pub anon_id: String,
    /// The site's own user id, from `identify`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// HMAC of `user_id` computed by the site's server (identity verification).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_data: Option<serde_json::Value>,
}

/// A backend session. `extra` holds what a backend needs later (e.g. Bancroft's requester email)
/// so the engine never has to know backend specifics.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub id: String,
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// One conversation (ticket, thread) with support.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    pub id: String,
    #[serde(default)]
    pub extra: serde_json::Value,
}

/// Who wrote a message; decides its side, its `data-author` and whether it counts as unread.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Author {
    Visitor,
    Agent { name: Option<String> },
    Bot { name: Option<String> },
    System,
}

impl Author {
    /// The value of the `data-author` attribute (DOM contract).
    pub fn tag(&self) -> &'static str {
        match self {
            Author::Visitor => "visitor",
            Author::Agent { .. } => "agent",
            Author::Bot { .. } => "bot",
            Author::System => "system",
        }
    }

    /// Display name, if the backend gave one.
    pub fn name(&self) -> Option<&str> {
        match self {
            Author::Agent { name } | Author::Bot { name } => name.as_deref(),
            _ => None,
        }
    }

    /// Messages from the support side raise the unread count and are announced.
    pub fn is_support(&self) -> bool {
        matches!(self, Author::Agent { .. } | Author::Bot { .. })
    }
}

/// Message content: plain text, or a rich document (TipTap/ProseMirror JSON) rendered safely.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "lowercase")]
pub enum Body {
    Text(String),
    Rich(serde_json::Value),
}

impl Body {
    /// The plain text of the body, for previews, events and notifications.
    pub fn plain_text(&self) -> String {
        match self {
            Body::Text(t) => t.clone(),
            Body::Rich(doc) => {
                let mut out = String::new();
                collect_text(doc, &mut out);
                out.trim().to_string()
            }
        }
    }
}

fn collect_text(node: &serde_json::Value, out: &mut String) {
    if let Some(t) = node.get("text").and_then(|t| t.as_str()) {
        out.push_str(t);
    }
    if let Some(children) = node.get("content").and_then(|c| c.as_array()) {
        for child in children {
            collect_text(child, out);
        }
        if node.get("type").and_then(|t| t.as_str()) == Some("paragraph") {
            out.push('\n');
        }
    }
}

/// A file attached to a message by the backend.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub name: String,
    pub url: String,
    #[serde(default)]
    pub mime: Option<String>,
}

/// Delivery of the visitor's own message (`data-status` in the DOM contract).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum Delivery {
    /// Persisted locally, not yet confirmed by the backend.
    Pending {
        attempts: u32,
        /// Earliest time (ms since epoch) of the next attempt.
        #[serde(default)]
        retry_at: f64,
    },
    Sent,
    /// Given up: the backend refused it in a way a retry will not change, until the visitor asks.
    Failed {
        reason: String,
    },
}

impl Delivery {
    /// The value of the `data-status` attribute.
    pub fn tag(&self) -> &'static str {
        match self {
            Delivery::Pending { .. } => "pending",
            Delivery::Sent => "sent",
            Delivery::Failed { .. } => "failed",
        }
    }
}

/// One message in the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// The backend's id once known; for the visitor's own messages, the local id until then.
    pub id: String,
    /// Set on messages the visitor wrote here: the id they were created with, kept for dedupe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_id: Option<String>,
    pub author: Author,
    pub body: Body,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// Milliseconds since the epoch.
    pub created_at: f64,
    /// Only for the visitor's own messages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
    /// The browser tab that delivers this (visitor's, undelivered) message, so that two tabs of
    /// one site never both send it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

impl Message {
    /// A support-side or system message received from a backend.
    pub fn received(id: impl Into<String>, author: Author, body: Body, created_at: f64) -> Self {
        Message {
            id: id.into(),
            local_id: None,
            author,
            body,
            attachments: Vec::new(),
            created_at,
            delivery: None,
            origin: None,
        }
    }
}
