//! `POST /v1/hooks/gurusup`: Gurusup's webhook, which it calls "every time Gurusup tries to send
//! a message to the user" (seed 002, "Webhook"), with the organisation's key in `x-api-key`.
//!
//! The document gives no example payload, so the shape is inferred and read leniently
//! (relay/README.md, "Gurusup webhook"): the message object at the top level or under `data`,
//! `message` or `payload` (or `data.message`, `payload.message`), the event type under `event`
//! or `type` (absent: taken as a message; a type that does not mention a message is answered
//! 200 and ignored). The message is read by core's Gurusup parser, the same one that reads a
//! thread, and published to the conversation whose id is its `thread_fid` (the relay's Gurusup
//! conversation id is the `thread_fid` it chose).

use crate::api::{json_response, message_json, valid_id, ApiError, AppState};
use crate::backend::{now_ms, to_core};
use crate::events::RelayEvent;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use subtle::ConstantTimeEq as _;

/// Largest webhook body read (a 5,000-character message and its fields, with room).
pub const MAX_WEBHOOK_BYTES: usize = 64 * 1024;

/// Where the message object may be, in order.
const PLACES: &[&[&str]] = &[
    &[],
    &["data"],
    &["message"],
    &["payload"],
    &["data", "message"],
    &["payload", "message"],
];

pub async fn gurusup(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    // Without a configured key the route does not exist: a forged call learns nothing.
    let Some(key) = state.config.backend.webhook_key.as_deref() else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such endpoint",
        ));
    };
    let given = headers
        .get("x-api-key")
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !same_key(given, key.as_bytes()) {
        tracing::warn!("gurusup webhook refused: missing or wrong x-api-key");
        return Err(ApiError::token("the webhook key is missing or wrong"));
    }
    let bytes = raw.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("the webhook body is too large")
        } else {
            ApiError::invalid("the webhook body could not be read")
        }
    })?;
    let root: Value = serde_json::from_slice(&bytes)
        .map_err(|_| ApiError::invalid("the webhook body is not JSON"))?;
    if !root.is_object() {
        return Err(ApiError::invalid("the webhook body is not a JSON object"));
    }
    if let Some(kind) = event_type(&root) {
        if !kind.to_ascii_lowercase().contains("message") {
            tracing::info!("gurusup webhook: an event that is not a message was ignored");
            return Ok(json_response(
                StatusCode::OK,
                &json!({"ok": true, "ignored": true}),
            ));
        }
    }
    let (thread_fid, message) = find_message(&root)
        .ok_or_else(|| ApiError::invalid("no message with a thread_fid in the webhook body"))?;
    if !valid_id(thread_fid) {
        return Err(ApiError::invalid(
            "thread_fid is not a valid conversation id",
        ));
    }
    let message = helpwire_core::protocol::gurusup::read_sent_message(&to_core(message), now_ms())
        .map_err(|reason| {
            tracing::debug!(%reason, "gurusup webhook message unreadable");
            ApiError::invalid("the webhook message is not readable")
        })?;
    state
        .events
        .publish(thread_fid, RelayEvent::Message(message_json(&message)));
    tracing::info!("gurusup webhook: message published");
    Ok(json_response(StatusCode::OK, &json!({"ok": true})))
}

/// Equal keys, compared in constant time (over their hashes, so the length leaks nothing).
fn same_key(given: &[u8], expected: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(given), Sha256::digest(expected));
    !given.is_empty() && bool::from(a.as_slice().ct_eq(b.as_slice()))
}

/// The event type, when the body names one as a string.
fn event_type(root: &Value) -> Option<&str> {
    ["event", "type", "event_type"]
        .iter()
        .find_map(|k| root.get(k).and_then(Value::as_str))
}

/// The first object in [`PLACES`] with a string `thread_fid`.
fn find_message(root: &Value) -> Option<(&str, &Value)> {
    PLACES.iter().find_map(|path| {
        let v = path.iter().try_fold(root, |v, k| v.get(k))?;
        let fid = v.get("thread_fid")?.as_str()?;
        Some((fid, v))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_found_where_it_may_be() {
        let m = json!({"thread_fid": "t1", "body": "hi", "_id": "m1"});
        for root in [
            m.clone(),
            json!({"event": "send_message", "data": m}),
            json!({"type": "message", "message": m}),
            json!({"payload": m}),
            json!({"data": {"message": m}}),
        ] {
            assert_eq!(find_message(&root).map(|(f, _)| f), Some("t1"), "{root}");
        }
        assert!(find_message(&json!({"data": {"thread_fid": 5}})).is_none());
        assert!(find_message(&json!({"data": "x"})).is_none());
    }

    #[test]
    fn keys_compare_whole() {
        assert!(same_key(b"k1", b"k1"));
        assert!(!same_key(b"k", b"k1"));
        assert!(!same_key(b"", b""));
    }
}
