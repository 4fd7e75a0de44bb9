//! Fault injection: `POST /_sandbox/faults` queues a fault for the next `count`
//! requests of one backend, so tests can check how the widget copes with errors,
//! slowness, dropped connections, rate limits, broken and oversized bodies.

use std::fmt;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
    Json,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{server::DropConnection, AppState};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Bancroft,
    Gleap,
    Gurusup,
    Eusate,
    Bot,
}

impl Backend {
    pub const ALL: [Backend; 5] = [
        Backend::Bancroft,
        Backend::Gleap,
        Backend::Gurusup,
        Backend::Eusate,
        Backend::Bot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Bancroft => "bancroft",
            Backend::Gleap => "gleap",
            Backend::Gurusup => "gurusup",
            Backend::Eusate => "eusate",
            Backend::Bot => "bot",
        }
    }

    /// An error in the backend's own documented (or, where undocumented, chosen) shape.
    pub fn error(self, status: StatusCode, msg: &str) -> Response {
        match self {
            // Django REST framework style, as both documents show.
            Backend::Bancroft | Backend::Eusate => {
                (status, Json(json!({ "detail": msg }))).into_response()
            }
            // Undocumented: a NestJS-style body.
            Backend::Gleap => (
                status,
                Json(json!({ "statusCode": status.as_u16(), "message": msg })),
            )
                .into_response(),
            // "Errors are plain status codes": the reason phrase as text.
            Backend::Gurusup | Backend::Bot => (
                status,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                status.canonical_reason().unwrap_or("Error"),
            )
                .into_response(),
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Backend::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| {
                format!("unknown backend {s:?}: use bancroft, gleap, gurusup, eusate or bot")
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Answer with `status` (default 500) in the backend's error shape.
    Status,
    /// Wait `delay_ms` (default 2000), then answer normally.
    Delay,
    /// Close the TCP connection without any response (the request is not processed).
    Drop,
    /// Process the request (a message is stored), wait `delay_ms` (default 0), then send the
    /// answer's head and half its body and close the connection: the client cannot tell whether
    /// the request arrived. (Closing before the first byte would not do: Chromium sends a request
    /// again by itself when a reused connection closes before the answer starts, so the backend
    /// would store it twice before the page heard of any failure.)
    DropAfter,
    /// Answer `status` (default 429) with `Retry-After: retry_after_s` (default 2).
    RetryAfter,
    /// Answer 200 with a JSON content type and a body that is not JSON.
    Malformed,
    /// Answer 200 with a valid JSON body of `size_bytes` (default 5 MiB).
    Huge,
    /// Like `huge`, but streamed in 64 KiB chunks with no `Content-Length`, slowly enough that a
    /// client which stops reading is seen to stop: the bytes handed to the connection are
    /// counted (`GET /_sandbox/faults/streamed`).
    Stream,
}

/// The body of `POST /_sandbox/faults`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FaultSpec {
    pub backend: Backend,
    #[serde(default = "one")]
    pub count: u32,
    pub mode: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
    /// Only requests whose path (after the backend prefix) contains this text.
    /// Eusate socket events count as `socket:<event>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Only requests with this HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<usize>,
}

fn one() -> u32 {
    1
}

pub const DEFAULT_HUGE_BYTES: usize = 5 * 1024 * 1024;

impl FaultSpec {
    pub fn validate(&self) -> Result<(), String> {
        if self.count == 0 {
            return Err("count must be at least 1".into());
        }
        if let Some(s) = self.status {
            if StatusCode::from_u16(s).is_err() || !(100..=599).contains(&s) {
                return Err(format!("status {s} is not an HTTP status"));
            }
        }
        if self.size_bytes.is_some_and(|n| n > 64 * 1024 * 1024) {
            return Err("size_bytes is limited to 64 MiB".into());
        }
        Ok(())
    }

    pub fn status_code(&self, default: StatusCode) -> StatusCode {
        self.status
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(default)
    }

    fn matches(&self, backend: Backend, method: &str, path: &str) -> bool {
        self.backend == backend
            && self.path.as_deref().is_none_or(|p| path.contains(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }
}

/// Queued faults, oldest first; each request uses up one count of the first match.
#[derive(Default)]
pub struct Faults {
    queue: Mutex<Vec<FaultSpec>>,
    /// Bytes of `stream` bodies handed to connections so far.
    streamed: Arc<AtomicU64>,
}

impl Faults {
    pub fn add(&self, spec: FaultSpec) {
        self.lock().push(spec);
    }

    pub fn clear(&self) {
        self.lock().clear();
        self.streamed.store(0, Ordering::SeqCst);
    }

    /// Bytes of `stream` bodies handed to connections since the last clear.
    pub fn streamed(&self) -> u64 {
        self.streamed.load(Ordering::SeqCst)
    }

    pub fn list(&self) -> Vec<FaultSpec> {
        self.lock().clone()
    }

    /// Takes one use of the first fault matching this request, if any.
    pub fn take(&self, backend: Backend, method: &str, path: &str) -> Option<FaultSpec> {
        let mut q = self.lock();
        let i = q.iter().position(|f| f.matches(backend, method, path))?;
        let hit = q[i].clone();
        q[i].count -= 1;
        if q[i].count == 0 {
            q.remove(i);
        }
        Some(hit)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<FaultSpec>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Middleware in front of every backend router (after CORS, so preflights never
/// consume a fault and injected errors still carry CORS headers).
pub async fn layer(
    State((state, backend)): State<(AppState, Backend)>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let Some(fault) = state.0.faults.take(backend, req.method().as_str(), &path) else {
        return next.run(req).await;
    };
    match fault.mode {
        Mode::Delay => {
            tokio::time::sleep(Duration::from_millis(fault.delay_ms.unwrap_or(2000))).await;
            next.run(req).await
        }
        Mode::DropAfter => {
            // Runs to completion: whatever the handler stores stays stored.
            let answer = next.run(req).await;
            tokio::time::sleep(Duration::from_millis(fault.delay_ms.unwrap_or(0))).await;
            cut(answer).await
        }
        Mode::Drop => match req.extensions().get::<DropConnection>() {
            Some(drop) => {
                drop.fire();
                // The connection task drops this future together with the socket.
                std::future::pending::<Response>().await
            }
            // Only our accept loop (`crate::serve`) can close the socket.
            None => backend.error(
                StatusCode::BAD_GATEWAY,
                "the drop fault needs helpwire_sandbox::serve",
            ),
        },
        Mode::Stream => stream(
            huge_body(fault.size_bytes.unwrap_or(DEFAULT_HUGE_BYTES)),
            state.0.faults.streamed.clone(),
        ),
        _ => respond(backend, &fault),
    }
}

/// `body` as a chunked 200 answer with no length, counting what the connection takes. A chunk
/// is produced only when the connection asks for one, so once the client stops reading (and
/// the socket buffers are full) the count stops too.
fn stream(body: String, streamed: Arc<AtomicU64>) -> Response {
    const CHUNK: usize = 64 * 1024;
    let body = Bytes::from(body);
    let chunks = futures_util::stream::unfold(0usize, move |at| {
        let body = body.clone();
        let streamed = streamed.clone();
        async move {
            if at >= body.len() {
                return None;
            }
            // A little slower than loopback, so the client's reading pace decides.
            tokio::time::sleep(Duration::from_millis(2)).await;
            let end = (at + CHUNK).min(body.len());
            streamed.fetch_add((end - at) as u64, Ordering::SeqCst);
            Some((Ok::<_, std::convert::Infallible>(body.slice(at..end)), end))
        }
    });
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(chunks),
    )
        .into_response()
}

/// `answer` with its full `Content-Length` but only half its body, then the connection closes
/// (hyper ends a connection whose body fails).
async fn cut(answer: Response) -> Response {
    let (mut parts, body) = answer.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len() + 1));
    let part = bytes.slice(..bytes.len() / 2);
    Response::from_parts(
        parts,
        axum::body::Body::new(CutBody {
            part: Some(part),
            wait: Box::pin(tokio::time::sleep(Duration::from_millis(100))),
        }),
    )
}

/// A body that sends `part`, waits (so that it reaches the client), then fails.
struct CutBody {
    part: Option<axum::body::Bytes>,
    wait: std::pin::Pin<Box<tokio::time::Sleep>>,
}

impl axum::body::HttpBody for CutBody {
    type Data = axum::body::Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Self::Data>, Self::Error>>> {
        if let Some(part) = self.part.take() {
            return std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(part))));
        }
        std::task::ready!(std::future::Future::poll(self.wait.as_mut(), cx));
        std::task::Poll::Ready(Some(Err(std::io::Error::other(
            "the drop_after fault cut the answer",
        ))))
    }
}

/// The fault modes that are a complete HTTP answer by themselves.
pub fn respond(backend: Backend, fault: &FaultSpec) -> Response {
    match fault.mode {
        Mode::Status | Mode::Delay | Mode::Drop | Mode::DropAfter => backend.error(
            fault.status_code(StatusCode::INTERNAL_SERVER_ERROR),
            "fault injected by the sandbox",
        ),
        Mode::RetryAfter => {
            let mut res = backend.error(
                fault.status_code(StatusCode::TOO_MANY_REQUESTS),
                "fault injected by the sandbox: retry later",
            );
            let secs = fault.retry_after_s.unwrap_or(2);
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            res
        }
        Mode::Malformed => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"malformed\": tru",
        )
            .into_response(),
        Mode::Huge | Mode::Stream => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            huge_body(fault.size_bytes.unwrap_or(DEFAULT_HUGE_BYTES)),
        )
            .into_response(),
    }
}

/// `{"huge":"xxxx…"}` of exactly `size` bytes (at least the 11 bytes of the frame).
pub fn huge_body(size: usize) -> String {
    let frame = "{\"huge\":\"\"}".len();
    let mut s = String::with_capacity(size.max(frame));
    s.push_str("{\"huge\":\"");
    s.extend(std::iter::repeat_n('x', size.saturating_sub(frame)));
    s.push_str("\"}");
    s
}
