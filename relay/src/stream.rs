//! `GET /v1/events`: server-sent events of new messages in the conversations the token owns
//! when the stream is opened (relay/README.md, "Event stream").
//!
//! With a backend that pushes nothing (Gleap, Bancroft, the bot, Gurusup without
//! `webhook_key`) the answer is 204 No Content: polling alone follows those.
//!
//! The token comes from the `Authorization` header only (the widget reads the stream with
//! `fetch()`, which can set it; `EventSource` cannot). The stream sends `retry: 3000`, then the
//! bus's frames and a `: keep-alive` comment every `stream_heartbeat`, and ends when the token
//! expires (checked against the state's clock at least at every heartbeat) or when the client
//! falls too far behind. Nothing is replayed: `Last-Event-ID` is ignored, and a client that
//! (re)connects reads the messages once to catch up.

use crate::api::{authorize, ApiError, AppState};
use crate::events::{Refused, Subscription};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

const START: &[u8] = b"retry: 3000\n\n";
const KEEP_ALIVE: &[u8] = b": keep-alive\n\n";
/// Retry-After when a stream cap is reached: streams close on their own only slowly.
const FULL_RETRY_AFTER: u64 = 30;

/// What the stream does next.
struct Open {
    state: Arc<AppState>,
    subscription: Subscription,
    expires: u64,
    heartbeat: tokio::time::Interval,
    started: bool,
    /// Keeps the visitor's helpdesk socket open while the stream is (Eusate), so what support
    /// writes is pushed to it.
    _watch: Option<crate::eusate::WatchGuard>,
}

pub async fn events(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let claims = authorize(&state, &headers)?;
    // A backend that pushes nothing (no socket, no webhook) would only hold a stream open for
    // nothing, and a client that follows it polls less often: 204, which the event stream
    // standard defines as "do not reconnect".
    if !state.pushes() {
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let conversations = claims.c.iter().map(|c| c.id.clone()).collect();
    let subscription = state
        .events
        .subscribe(&claims.v, conversations)
        .map_err(|refused| {
            tracing::info!(
                reason = match refused {
                    Refused::Visitor => "per visitor",
                    Refused::Full => "instance",
                },
                "event stream refused: too many open"
            );
            ApiError::rate_limited(FULL_RETRY_AFTER)
        })?;
    let watch = match state.eusate() {
        Some(hub) => Some(hub.watch(&claims.b).map_err(|e| match e {
            crate::eusate::HubError::Full => ApiError::rate_limited(5),
            crate::eusate::HubError::Gone => ApiError::not_found(),
            crate::eusate::HubError::Upstream(e) => ApiError::upstream(&e),
        })?),
        None => None,
    };
    let every = state.config.limits.stream_heartbeat;
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let open = Open {
        expires: claims.exp,
        state,
        subscription,
        heartbeat,
        started: false,
        _watch: watch,
    };
    let body = Body::from_stream(futures_util::stream::unfold(open, next));
    let mut response = (StatusCode::OK, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// The next chunk of the stream, or its end.
async fn next(mut open: Open) -> Option<(Result<Bytes, Infallible>, Open)> {
    if !open.started {
        open.started = true;
        return Some((Ok(Bytes::from_static(START)), open));
    }
    let now = open.state.now();
    if now >= open.expires {
        tracing::info!("event stream ended: the token expired");
        return None;
    }
    // The real time left; a clock moved on (tests) is seen at the next heartbeat.
    let left = Duration::from_secs(open.expires - now);
    tokio::select! {
        // None: the bus dropped this stream (it fell behind); the client reconnects.
        frame = open.subscription.next() => frame.map(|frame| (Ok(frame), open)),
        _ = open.heartbeat.tick() => {
            if open.state.now() >= open.expires {
                tracing::info!("event stream ended: the token expired");
                return None;
            }
            Some((Ok(Bytes::from_static(KEEP_ALIVE)), open))
        }
        _ = tokio::time::sleep(left) => {
            tracing::info!("event stream ended: the token expired");
            None
        }
    }
}
