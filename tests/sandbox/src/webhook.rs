//! Gurusup's webhook, as the seed describes it: "every time Gurusup tries to send a message to
//! the user" it calls the configured URL with the event type and data and an `x-api-key` header.
//! The payload shape is not documented; the sandbox's choice (inferred, see README.md) is
//! `{"event": "send_message", "data": <the message object, as GET /messages/{id} returns it>}`.
//! Events go out one at a time, in order, from one background task.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

use crate::AppState;

/// Where the events go; `None`: nowhere (the default).
#[derive(Clone, Debug)]
pub struct Target {
    pub url: String,
    pub key: String,
}

#[derive(Default)]
pub struct Webhook {
    target: Mutex<Option<Target>>,
    queue: OnceLock<mpsc::UnboundedSender<(Target, Value)>>,
    sent: AtomicU64,
    failed: AtomicU64,
}

impl Webhook {
    pub fn set(&self, target: Option<Target>) {
        *self.target.lock().unwrap_or_else(|e| e.into_inner()) = target;
    }

    /// Forgets the target and the counters (`/_sandbox/reset`).
    pub fn reset(&self) {
        self.set(None);
        self.sent.store(0, Ordering::SeqCst);
        self.failed.store(0, Ordering::SeqCst);
    }

    /// `{url, sent, failed}`: the key is never shown.
    pub fn status(&self) -> Value {
        let url = self
            .target
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .map(|t| t.url.clone());
        json!({
            "url": url,
            "sent": self.sent.load(Ordering::SeqCst),
            "failed": self.failed.load(Ordering::SeqCst),
        })
    }
}

/// Queues the send-message event of `message` when a webhook is set (needs a tokio runtime,
/// which every handler has).
pub fn message_sent(state: &AppState, message: &Value) {
    let hook = &state.0.webhook;
    let Some(target) = hook
        .target
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
    else {
        return;
    };
    let queue = hook.queue.get_or_init(|| {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(deliver(state.clone(), rx));
        tx
    });
    let _ = queue.send((target, json!({"event": "send_message", "data": message})));
}

async fn deliver(state: AppState, mut rx: mpsc::UnboundedReceiver<(Target, Value)>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default();
    while let Some((target, body)) = rx.recv().await {
        let ok = client
            .post(&target.url)
            .header("x-api-key", &target.key)
            .json(&body)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        let counter = if ok {
            &state.0.webhook.sent
        } else {
            &state.0.webhook.failed
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}
