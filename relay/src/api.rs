//! The widget-facing HTTP API (relay/README.md, relay/openapi.yaml).

use crate::backend::{self, conversation_of, session_of, Backend, Profile};
use crate::config::Config;
use crate::eusate::{EusateHub, HubError, HubLimits, PushSink, Pushed, PushedKind};
use crate::events::{Events, RelayEvent};
use crate::limits::{Delivered, RateLimiter, Stored};
use crate::redis::{Missed, RedisMemory};
use crate::token::{verify_hex, Claims, Keys, Ref, TokenError, MAX_TOKEN_BYTES};
use crate::upstream::Upstream;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use helpwire_core::json::Json;
use helpwire_core::model::{Author, Body, Message, Visitor};
use helpwire_core::protocol::{
    wire, Context, Cursor, Listed, Outgoing, Page, Plan, Provider, ProviderError, Sent,
};
use helpwire_core::richtext::{self, Block, Inline};
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tower_http::cors::{AllowOrigin, CorsLayer};

/// Longest id accepted in a path or as `client_id`.
pub const MAX_ID_CHARS: usize = 128;
/// Longest cursor accepted.
pub const MAX_CURSOR_CHARS: usize = 512;
/// Longest name, email and custom data (as JSON text) accepted for a visitor.
const MAX_NAME_CHARS: usize = 200;
const MAX_EMAIL_CHARS: usize = 254;
const MAX_CUSTOM_DATA_BYTES: usize = 2048;

/// Everything the handlers share.
/// Seconds since the epoch: the time tokens are made and checked at.
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub struct AppState {
    pub config: Config,
    clock: Clock,
    keys: Keys,
    /// Key of the identifiers derived for visitors (the identity secret when set, so a verified
    /// user's identifiers are the same on every device; else the first token secret, whose
    /// identifiers then travel in the tokens and survive a rotation).
    derive_key: Vec<u8>,
    backend: Backend,
    upstream: Upstream,
    by_ip: RateLimiter,
    by_visitor: RateLimiter,
    delivered: Delivered,
    /// The delivery memory shared with other instances, when `redis_url` is set.
    shared: Option<RedisMemory>,
    /// New messages for `GET /v1/events` (crate::events): publish here.
    pub events: Events,
    /// Eusate's sockets (sends, and what the helpdesk pushes), with `kind = "eusate"`.
    eusate: Option<Arc<EusateHub>>,
    /// What the helpdesk pushed, also given to `events` ([`AppState::pushed`]; tests listen).
    pushed: tokio::sync::broadcast::Sender<Pushed>,
}

impl AppState {
    pub fn new(config: Config) -> AppState {
        let derive_key = config
            .identity_secret
            .clone()
            .unwrap_or_else(|| config.token_secrets[0].clone());
        let l = &config.limits;
        let (pushed, _) = tokio::sync::broadcast::channel(256);
        let events = Events::new(
            config.redis.as_ref(),
            l.max_streams,
            l.max_streams_per_visitor,
        );
        // What the helpdesk pushes goes to the event streams (here and, over Redis, on every
        // instance), and to the broadcast tests listen on.
        let sink: PushSink = {
            let (pushed, events) = (pushed.clone(), events.clone());
            Arc::new(move |event: Pushed| {
                let relayed = match &event.kind {
                    PushedKind::Message(m) => RelayEvent::Message(message_json(m)),
                    PushedKind::Closed => RelayEvent::Closed,
                };
                events.publish(&event.conversation_id, relayed);
                let _ = pushed.send(event);
            })
        };
        let backend = Backend::new(&config.backend);
        let eusate = eusate_hub(&config, &backend, sink);
        AppState {
            clock: Arc::new(unix_now),
            keys: Keys::new(&config.token_secrets),
            derive_key,
            backend,
            upstream: Upstream::new(l.upstream_timeout),
            by_ip: RateLimiter::new(l.ip_per_minute, l.ip_burst),
            by_visitor: RateLimiter::new(l.visitor_per_minute, l.visitor_burst),
            delivered: Delivered::new(l.dedupe_ttl, l.dedupe_entries),
            events,
            shared: config
                .redis
                .clone()
                .map(|url| RedisMemory::new(url, l.dedupe_ttl, l.upstream_timeout)),
            eusate,
            pushed,
            config,
        }
    }

    /// Sends what the helpdesk pushes (Eusate) to `sink` instead of the event bus and
    /// [`AppState::pushed`]'s broadcast.
    pub fn with_push_sink(mut self, sink: PushSink) -> AppState {
        self.eusate = eusate_hub(&self.config, &self.backend, sink);
        self
    }

    /// What the helpdesk pushes, as the default sink broadcasts it (tests listen here).
    pub fn pushed(&self) -> tokio::sync::broadcast::Receiver<Pushed> {
        self.pushed.subscribe()
    }

    /// Whether anything can reach `GET /v1/events`: Eusate's socket, or Gurusup's webhook.
    pub fn pushes(&self) -> bool {
        self.eusate.is_some() || self.config.backend.webhook_key.is_some()
    }

    /// Eusate's sockets, with `kind = "eusate"`: hold [`EusateHub::watch`] of the visitor's
    /// session (`claims.b`) while their event stream is open.
    pub fn eusate(&self) -> Option<Arc<EusateHub>> {
        self.eusate.clone()
    }

    /// Replaces the clock tokens are made and checked with (tests move it to expire a token).
    pub fn with_clock(mut self, clock: Clock) -> AppState {
        self.clock = clock;
        self
    }

    /// Seconds since the epoch by the state's clock.
    pub(crate) fn now(&self) -> u64 {
        (self.clock)()
    }
}

fn eusate_hub(config: &Config, backend: &Backend, sink: PushSink) -> Option<Arc<EusateHub>> {
    let Backend::Eusate(provider) = backend else {
        return None;
    };
    let l = &config.limits;
    Some(Arc::new(EusateHub::new(
        provider.clone(),
        config.backend.api_key.as_deref(),
        sink,
        HubLimits {
            max_connections: l.max_push_connections,
            idle: l.push_idle,
            send_timeout: l.upstream_timeout,
        },
    )))
}

/// The router with every middleware: request log, origin check, CORS, per-IP limit, body cap.
pub fn router(state: Arc<AppState>) -> Router {
    let origins: Vec<HeaderValue> = state
        .config
        .allowed_origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::RETRY_AFTER])
        .max_age(Duration::from_secs(600));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/v1/visitors", post(create_visitor))
        .route(
            "/v1/conversations",
            get(list_conversations).post(create_conversation),
        )
        .route(
            "/v1/conversations/{id}/messages",
            get(list_messages).post(post_message),
        )
        .route("/v1/events", get(crate::stream::events))
        .route(
            "/v1/hooks/gurusup",
            post(crate::hooks::gurusup)
                .layer(DefaultBodyLimit::max(crate::hooks::MAX_WEBHOOK_BYTES)),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(state.config.limits.max_body_bytes))
        .layer(middleware::from_fn_with_state(state.clone(), limit_by_ip))
        .layer(cors)
        .layer(middleware::from_fn_with_state(state.clone(), check_origin))
        .layer(middleware::from_fn(log_request))
        .with_state(state)
}

// --- errors -------------------------------------------------------------------------------------

/// `{"error": {"code", "message"}}` with its status (and `Retry-After` for 429).
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

impl ApiError {
    pub(crate) fn new(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
    ) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
    pub(crate) fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }
    pub(crate) fn token(message: &str) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "invalid_token", message)
    }
    pub(crate) fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such conversation")
    }
    pub(crate) fn rate_limited(seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            )
        }
    }
    pub(crate) fn too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", message)
    }

    /// A push backend's send that did not happen.
    fn push(e: &HubError) -> ApiError {
        match e {
            HubError::Full => ApiError {
                retry_after: Some(5),
                ..ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    "all helpdesk connections are in use; retry later",
                )
            },
            // Closed by support (or refused): the client opens a new one, as for a 404.
            HubError::Gone => ApiError::not_found(),
            HubError::Upstream(e) => ApiError::upstream(e),
        }
    }

    /// The answer for an upstream failure: never the upstream's text (it stays in debug logs).
    pub(crate) fn upstream(e: &ProviderError) -> ApiError {
        tracing::warn!(kind = upstream_kind(e), "the helpdesk call failed");
        tracing::debug!(detail = %e, "the helpdesk call failed");
        match e {
            ProviderError::Timeout => ApiError::new(
                StatusCode::GATEWAY_TIMEOUT,
                "upstream_timeout",
                "the helpdesk did not answer in time",
            ),
            ProviderError::Status {
                status: 429,
                retry_after,
                ..
            } => ApiError::rate_limited(u64::from(retry_after.unwrap_or(10).clamp(1, 3600))),
            _ => ApiError::new(
                StatusCode::BAD_GATEWAY,
                "upstream_error",
                "the helpdesk could not be reached or gave an unusable answer",
            ),
        }
    }
}

fn upstream_kind(e: &ProviderError) -> String {
    match e {
        ProviderError::Network(_) => "network".into(),
        ProviderError::Timeout => "timeout".into(),
        ProviderError::Status { status, .. } => format!("status {status}"),
        ProviderError::Malformed { .. } => "malformed".into(),
        ProviderError::Config(_) => "config".into(),
        ProviderError::SessionExpired(_) => "session expired".into(),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code, "message": self.message}});
        let mut response = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        response
    }
}

type ApiResult = Result<Response, ApiError>;

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "invalid_request",
        "this endpoint does not take that method",
    )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

// --- middleware ---------------------------------------------------------------------------------

/// One info line per request: method, path (never the query or headers, so never a token),
/// status and time.
async fn log_request(request: Request, next: Next) -> Response {
    let (method, path) = (request.method().clone(), request.uri().path().to_string());
    let started = Instant::now();
    let mut response = next.run(request).await;
    // Tokens and conversations are never cached by the browser or a proxy.
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    tracing::info!(
        %method,
        path = %path.chars().take(200).collect::<String>(),
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    response
}

/// A request from a page whose `Origin` is not allowed gets 403 `forbidden_origin`. Requests
/// without `Origin` (not from a browser page) pass: they are subject to the token like any other.
async fn check_origin(
    State(state): State<Arc<AppState>>,
    request: Request,
    next: Next,
) -> Response {
    if let Some(origin) = request.headers().get(header::ORIGIN) {
        let allowed = origin.to_str().is_ok_and(|o| {
            state
                .config
                .allowed_origins
                .iter()
                .any(|a| a.eq_ignore_ascii_case(o))
        });
        if !allowed {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden_origin",
                "this origin may not use the relay",
            )
            .into_response();
        }
    }
    next.run(request).await
}

fn client_ip(state: &AppState, request: &Request) -> IpAddr {
    if state.config.limits.trust_forwarded_for {
        let forwarded = request
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse().ok());
        if let Some(ip) = forwarded {
            return ip;
        }
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

async fn limit_by_ip(State(state): State<Arc<AppState>>, request: Request, next: Next) -> Response {
    if request.method() != Method::OPTIONS && request.uri().path() != "/healthz" {
        let ip = client_ip(&state, &request);
        if let Err(seconds) = state.by_ip.check(&ip.to_string()) {
            tracing::info!("rate limited by client address");
            return ApiError::rate_limited(seconds).into_response();
        }
    }
    next.run(request).await
}

// --- helpers ------------------------------------------------------------------------------------

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::token("the Authorization header is malformed"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ApiError::token("the Authorization header is not `Bearer <token>`"))?;
    Ok(Some(token))
}

fn token_error(e: TokenError) -> ApiError {
    tracing::debug!(reason = ?e, "token refused");
    ApiError::token(match e {
        TokenError::Expired => "the token has expired",
        _ => "the token is not valid",
    })
}

/// A token's claims if it is well signed, not expired (past `grace` seconds) and made for this
/// relay's backend kind (a token of a relay for another helpdesk, with the same secret, is
/// refused like a forged one).
fn verify(state: &AppState, token: &str, grace: u64) -> Result<Claims, ApiError> {
    let claims = state
        .keys
        .verify(token, (state.clock)(), grace)
        .map_err(token_error)?;
    if claims.k != state.backend.kind().name() {
        return Err(token_error(TokenError::Malformed));
    }
    Ok(claims)
}

/// The verified claims of the request's token, charged to the visitor's rate limit.
pub(crate) fn authorize(state: &AppState, headers: &HeaderMap) -> Result<Claims, ApiError> {
    let token =
        bearer(headers)?.ok_or_else(|| ApiError::token("no token: POST /v1/visitors first"))?;
    let claims = verify(state, token, 0)?;
    state
        .by_visitor
        .check(&claims.v)
        .map_err(ApiError::rate_limited)?;
    Ok(claims)
}

/// A JSON body, or `invalid_request` / `too_large`.
fn body<T: for<'de> Deserialize<'de>>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body.map_err(|r| {
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large("the request body is too large")
        } else {
            ApiError::invalid("the request body could not be read")
        }
    })?;
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"{}"
    } else {
        &bytes
    };
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::invalid(format!(
            "the request body is not the expected JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
    })
}

/// Ids in paths and `client_id`: 1–128 of `A–Z a–z 0–9 - _ . :`, not `.` or `..`.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.chars().count() <= MAX_ID_CHARS
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && !id.contains("..")
}

fn conversation_id(path: Result<Path<String>, PathRejection>) -> Result<String, ApiError> {
    let Path(id) = path.map_err(|_| ApiError::invalid("the conversation id is not valid"))?;
    if !valid_id(&id) {
        return Err(ApiError::invalid("the conversation id is not valid"));
    }
    Ok(id)
}

pub(crate) fn json_response(status: StatusCode, value: &Value) -> Response {
    (status, axum::Json(value)).into_response()
}

fn stored_response((status, value): Stored) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
        &value,
    )
}

fn time(ms: f64) -> Value {
    let ms = if wire::is_usable_time(ms) {
        ms
    } else {
        backend::now_ms()
    };
    Value::from(helpwire_core::time::format_rfc3339(ms))
}

// --- messages out -------------------------------------------------------------------------------

/// A message as the API returns it. Rich documents are rebuilt from what the widget's renderer
/// accepts (`richtext::parse`: the same allow-list), so nothing else leaves the relay.
pub fn message_json(m: &Message) -> Value {
    let mut out = json!({
        "id": m.id,
        "author": m.author.tag(),
        "created_at": time(m.created_at),
    });
    if let Some(name) = m.author.name() {
        out["author_name"] = Value::from(name);
    }
    if let Some(local) = &m.local_id {
        out["client_id"] = Value::from(local.as_str());
    }
    match &m.body {
        Body::Text(t) => out["text"] = Value::from(t.as_str()),
        Body::Rich(doc) => out["doc"] = doc_json(&richtext::parse(doc)),
        // Data, not words: the widget words it in the visitor's language.
        Body::Notice(notice) => out["notice"] = Value::from(notice.tag()),
    }
    let attachments: Vec<Value> = m
        .attachments
        .iter()
        .filter_map(|a| {
            let url = richtext::safe_url(&a.url)?;
            let mut v = json!({"name": richtext::strip_controls(&a.name), "url": url});
            if let Some(mime) = &a.mime {
                v["mime"] = Value::from(mime.as_str());
            }
            Some(v)
        })
        .collect();
    if !attachments.is_empty() {
        out["attachments"] = Value::Array(attachments);
    }
    out
}

fn doc_json(blocks: &[Block]) -> Value {
    json!({"type": "doc", "content": blocks.iter().map(block_json).collect::<Vec<_>>()})
}

fn block_json(b: &Block) -> Value {
    let items = |items: &[Vec<Block>]| -> Vec<Value> {
        items
            .iter()
            .map(|item| json!({"type": "listItem", "content": item.iter().map(block_json).collect::<Vec<_>>()}))
            .collect()
    };
    match b {
        Block::Paragraph(inline) => json!({"type": "paragraph", "content": inlines_json(inline)}),
        Block::Heading(level, inline) => {
            json!({"type": "heading", "attrs": {"level": level}, "content": inlines_json(inline)})
        }
        Block::BulletList(list) => json!({"type": "bulletList", "content": items(list)}),
        Block::OrderedList { start, items: list } => {
            json!({"type": "orderedList", "attrs": {"start": start}, "content": items(list)})
        }
        Block::CodeBlock(code) => {
            json!({"type": "codeBlock", "content": [{"type": "text", "text": code}]})
        }
        Block::Blockquote(inner) => {
            json!({"type": "blockquote", "content": inner.iter().map(block_json).collect::<Vec<_>>()})
        }
        Block::Rule => json!({"type": "horizontalRule"}),
    }
}

fn inlines_json(inline: &[Inline]) -> Vec<Value> {
    inline
        .iter()
        .filter_map(|i| match i {
            Inline::HardBreak => Some(json!({"type": "hardBreak"})),
            Inline::Text { text, .. } if text.is_empty() => None,
            Inline::Text { text, marks } => {
                let mut list = Vec::new();
                for (on, name) in [
                    (marks.bold, "bold"),
                    (marks.italic, "italic"),
                    (marks.strike, "strike"),
                    (marks.code, "code"),
                    (marks.underline, "underline"),
                ] {
                    if on {
                        list.push(json!({"type": name}));
                    }
                }
                if let Some(href) = &marks.link {
                    list.push(json!({"type": "link", "attrs": {"href": href}}));
                }
                let mut v = json!({"type": "text", "text": text});
                if !list.is_empty() {
                    v["marks"] = Value::Array(list);
                }
                Some(v)
            }
        })
        .collect()
}

/// The visitor's message as stored.
fn own_message(client_id: &str, text: &str, sent: &Sent) -> Value {
    let mut m = Message::received(
        sent.remote_id.clone(),
        Author::Visitor,
        Body::Text(text.to_string()),
        sent.created_at.unwrap_or_else(backend::now_ms),
    );
    m.local_id = Some(client_id.to_string());
    message_json(&m)
}

// --- handlers -----------------------------------------------------------------------------------

async fn healthz() -> Response {
    json_response(StatusCode::OK, &json!({"ok": true}))
}

#[derive(Deserialize, Default)]
struct VisitorBody {
    user_id: Option<String>,
    user_hash: Option<String>,
    email: Option<String>,
    name: Option<String>,
    custom_data: Option<Value>,
}

async fn create_visitor(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let req: VisitorBody = body(raw)?;
    let now = (state.clock)();
    // An expired token still resumes within one more TTL, so a visitor who comes back after a
    // while keeps the conversation; a forged or tampered one never does.
    let previous = match bearer(&headers)? {
        Some(token) => Some(verify(&state, token, state.config.token_ttl.as_secs())?),
        None => None,
    };
    let user_id = req
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    if let Some(u) = user_id {
        if u.chars().count() > MAX_ID_CHARS * 2 {
            return Err(ApiError::invalid("user_id is too long"));
        }
    }
    for (name, value, max) in [
        ("name", &req.name, MAX_NAME_CHARS),
        ("email", &req.email, MAX_EMAIL_CHARS),
    ] {
        if value.as_deref().is_some_and(|v| v.chars().count() > max) {
            return Err(ApiError::invalid(format!(
                "{name} is longer than {max} characters"
            )));
        }
    }
    let mut custom = match req.custom_data {
        None | Some(Value::Null) => Value::Null,
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(ApiError::invalid("custom_data must be an object")),
    };
    if custom.to_string().len() > MAX_CUSTOM_DATA_BYTES {
        return Err(ApiError::invalid(format!(
            "custom_data is larger than {MAX_CUSTOM_DATA_BYTES} bytes"
        )));
    }
    // Identity: a verified user id links to that user's history; a claimed one never does.
    let mut verified = None;
    if let Some(u) = user_id {
        match &state.config.identity_secret {
            Some(secret) => {
                let ok = req
                    .user_hash
                    .as_deref()
                    .is_some_and(|h| verify_hex(secret, u.as_bytes(), h));
                if !ok {
                    return Err(ApiError::new(
                        StatusCode::FORBIDDEN,
                        "identity_not_verified",
                        "user_id needs a valid user_hash (HMAC-SHA256 of the user id with the identity secret, hex)",
                    ));
                }
                verified = Some(u.to_string());
            }
            None => {
                if !custom.is_object() {
                    custom = json!({});
                }
                custom["claimed_user_id"] = Value::from(u);
            }
        }
    }
    if let Some(u) = &verified {
        if !custom.is_object() {
            custom = json!({});
        }
        custom["user_id"] = Value::from(u.as_str());
    }
    let profile = Profile {
        name: req
            .name
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        email: req
            .email
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty()),
        custom_data: custom,
    };
    let kind = state.backend.kind();
    // Who this is: the verified user; else the resumed visitor (a verified one stays so); else new.
    let (visitor_id, keep) = match (&verified, &previous) {
        (Some(u), prev) => {
            let id = backend::user_visitor_id(
                state
                    .config
                    .identity_secret
                    .as_deref()
                    .expect("verified needs the secret"),
                u,
            );
            let keep = prev.as_ref().filter(|p| p.v == id).cloned();
            (id, keep)
        }
        (None, Some(prev)) => (prev.v.clone(), Some(prev.clone())),
        (None, None) => (backend::random_visitor_id(), None),
    };
    let mut claims = match keep {
        Some(mut prev) => {
            prev.exp = 0;
            prev
        }
        None => Claims {
            k: kind.name().to_string(),
            b: backend::backend_id(&state.derive_key, kind, &visitor_id),
            v: visitor_id.clone(),
            exp: 0,
            u: verified.clone(),
            s: None,
            c: Vec::new(),
            p: Value::Null,
        },
    };
    let has_profile = profile != Profile::default();
    if has_profile && state.backend.keeps_profile() {
        claims.p = serde_json::to_value(&profile).unwrap_or(Value::Null);
    }
    // The backend session: ready at once for most backends. Gleap's costs a call (and its
    // project-wide quota), so it is started with the first conversation, unless a resumed
    // visitor's session exists and the page gave new details (an update).
    let visitor = state
        .backend
        .visitor(&claims, &profile, &state.config.backend.email_domain);
    match state.backend.provider().start_session(&visitor, None) {
        Plan::Ready(session) => {
            let session = session.map_err(|e| ApiError::upstream(&e))?;
            claims.s = Some(state.backend.keep_session(&session));
        }
        plan if claims.s.is_some() && has_profile => {
            let session = state
                .upstream
                .run(plan)
                .await
                .map_err(|e| ApiError::upstream(&e))?;
            claims.s = Some(state.backend.keep_session(&session));
        }
        _ if claims.s.is_none() && has_profile => {
            // Kept until the session is started with the first conversation.
            claims.p = serde_json::to_value(&profile).unwrap_or(Value::Null);
        }
        _ => {}
    }
    adopt_listed(&state, &mut claims, &visitor).await;
    claims.exp = now + state.config.token_ttl.as_secs();
    let token = sign_fitting(&state, claims.clone());
    tracing::info!(
        resumed = previous.is_some(),
        verified = verified.is_some(),
        "visitor"
    );
    Ok(json_response(
        StatusCode::OK,
        &json!({
            "token": token,
            "visitor_id": claims.v,
            "expires_at": time(claims.exp as f64 * 1000.0),
        }),
    ))
}

/// The conversations the helpdesk lists for the visitor, where it lists them (Eusate, by the
/// derived session; Bancroft, by the derived requester email, which `visitor` carries); none
/// otherwise, or when the list cannot be read (logged).
async fn helpdesk_list(state: &AppState, claims: &Claims, visitor: &Visitor) -> Vec<Listed> {
    let provider = state.backend.provider();
    let Some(session) = claims.s.as_ref().map(session_of) else {
        return Vec::new();
    };
    if !provider.capabilities().lists_conversations {
        return Vec::new();
    }
    match state
        .upstream
        .run(provider.listing(visitor, &session))
        .await
    {
        Ok(listing) => {
            // How many (items skipped, a page left unread), not what they say: like every log
            // line here, nothing of the helpdesk's content.
            if !listing.warnings.is_empty() {
                tracing::warn!(
                    warnings = listing.warnings.len(),
                    "the helpdesk's list of the visitor's conversations was read in part"
                );
            }
            listing.conversations
        }
        Err(e) => {
            tracing::warn!(
                kind = upstream_kind(&e),
                "the helpdesk's list of the visitor's conversations could not be read"
            );
            Vec::new()
        }
    }
}

/// A verified user's conversations that the helpdesk lists but the token does not own (started
/// on another device: the identifier the helpdesk finds them by is derived from the verified
/// user, the same on every device) join the token, newest first while there is room under
/// `max_conversations`, before the token's own (the first dropped when it is full). Never for
/// an unverified visitor, whose identifiers are this device's alone.
async fn adopt_listed(state: &AppState, claims: &mut Claims, visitor: &Visitor) {
    if claims.u.is_none() {
        return;
    }
    let mut found: Vec<Listed> = helpdesk_list(state, claims, visitor)
        .await
        .into_iter()
        .filter(|l| valid_id(&l.conversation.id) && claims.owns(&l.conversation.id).is_none())
        .collect();
    // Newest first; an undated one last.
    found.sort_by(|a, b| {
        let at = |l: &Listed| if l.at.is_finite() { l.at } else { f64::MIN };
        at(b).total_cmp(&at(a))
    });
    found.truncate(
        state
            .config
            .limits
            .max_conversations
            .saturating_sub(claims.c.len()),
    );
    for listed in found {
        claims
            .c
            .insert(0, state.backend.keep_conversation(&listed.conversation));
    }
}

async fn list_conversations(State(state): State<Arc<AppState>>, headers: HeaderMap) -> ApiResult {
    let claims = authorize(&state, &headers)?;
    let visitor = visitor_of(&state, &claims);
    let listed = helpdesk_list(&state, &claims, &visitor).await;
    // Each owned conversation, with what the helpdesk's list says of it (its last message's
    // text and time, whether it is closed) where it lists them.
    let mut list: Vec<Value> = Vec::new();
    for owned in &claims.c {
        let mut item = json!({"id": owned.id});
        if let Some(l) = listed.iter().find(|l| l.conversation.id == owned.id) {
            if !l.preview.is_empty() {
                item["last_text"] = l.preview.as_str().into();
            }
            if wire::is_usable_time(l.at) {
                item["last_at"] = time(l.at);
            }
            if l.closed {
                item["closed"] = true.into();
            }
        }
        list.push(item);
    }
    Ok(json_response(
        StatusCode::OK,
        &json!({"conversations": list}),
    ))
}

#[derive(Deserialize)]
struct SendBody {
    client_id: String,
    text: String,
}

/// Checks a send's body against the id rules and the backend's length limit.
fn outgoing(state: &AppState, req: SendBody) -> Result<Outgoing, ApiError> {
    if !valid_id(&req.client_id) {
        return Err(ApiError::invalid("client_id is not valid"));
    }
    if req.text.trim().is_empty() {
        return Err(ApiError::invalid("text is empty"));
    }
    let max = state.backend.capabilities().max_message_chars;
    if req.text.chars().count() > max {
        return Err(ApiError::too_large(format!(
            "text is longer than {max} characters"
        )));
    }
    Ok(Outgoing {
        local_id: req.client_id,
        text: req.text,
    })
}

/// The remembered answer for `key` (shared over Redis when configured, else in-process), or
/// the one `run` gives.
async fn remember<F, Fut>(state: &AppState, key: &str, run: F) -> Result<Stored, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Stored, ApiError>>,
{
    let run = match &state.shared {
        None => run,
        Some(shared) => match shared.once(key, run).await {
            Ok(stored) => return Ok(stored),
            Err(Missed::Failed(e)) => return Err(e),
            Err(Missed::Unavailable(run)) => {
                tracing::warn!("redis is unavailable: this delivery is remembered in-process only");
                run
            }
        },
    };
    state.delivered.once(key, run).await
}

/// The answer remembered for `key`, if there is one (waiting for a delivery of it in flight),
/// without delivering anything: in Redis when configured, then in-process (where a delivery is
/// remembered while Redis is unavailable).
async fn recall(state: &AppState, key: &str) -> Option<Stored> {
    if let Some(shared) = &state.shared {
        if let Ok(Some(stored)) = shared.get(key).await {
            return Some(stored);
        }
    }
    state.delivered.get(key).await
}

/// The key of the first message `POST /v1/conversations` sent for `visitor` with `client_id`.
fn first_key(visitor: &str, client_id: &str) -> String {
    format!("{visitor}\0new\0{client_id}")
}

/// Signs `claims`, dropping the oldest conversations while the token would be longer than
/// [`MAX_TOKEN_BYTES`] (long ids and subjects): a token always verifies.
fn sign_fitting(state: &AppState, mut claims: Claims) -> String {
    loop {
        let token = state.keys.sign(&claims);
        if token.len() <= MAX_TOKEN_BYTES || claims.c.is_empty() {
            return token;
        }
        claims.c.remove(0);
    }
}

/// The visitor as the provider sees it, with the profile the token kept.
fn visitor_of(state: &AppState, claims: &Claims) -> helpwire_core::model::Visitor {
    let profile: Profile = serde_json::from_value(claims.p.clone()).unwrap_or_default();
    state
        .backend
        .visitor(claims, &profile, &state.config.backend.email_domain)
}

fn session_ref(claims: &Claims) -> Result<&Ref, ApiError> {
    claims
        .s
        .as_ref()
        .ok_or_else(|| ApiError::token("the token has no session: POST /v1/visitors again"))
}

/// The request's `Accept-Language` (the visitor's browser sends its languages with each call).
fn accept_language(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ACCEPT_LANGUAGE)?.to_str().ok()
}

async fn create_conversation(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let claims = authorize(&state, &headers)?;
    let first = outgoing(&state, body(raw)?)?;
    let key = first_key(&claims.v, &first.local_id);
    let (status, remembered) = remember(&state, &key, || {
        open_and_send(&state, &claims, &first, accept_language(&headers))
    })
    .await?;
    // The token is made from the request's own claims plus the conversation, so a retry with a
    // newer token keeps what that token owns.
    let kept: Ref = serde_json::from_value(remembered["kept"].clone())
        .map_err(|_| ApiError::upstream(&ProviderError::Config("unreadable memory".into())))?;
    let mut claims = claims;
    if claims.s.is_none() {
        claims.s = serde_json::from_value(remembered["session"].clone()).ok();
        if !state.backend.keeps_profile() {
            // Only needed to start the session.
            claims.p = Value::Null;
        }
    }
    claims.c.retain(|c| c.id != kept.id);
    claims.c.push(kept.clone());
    let max = state.config.limits.max_conversations;
    if claims.c.len() > max {
        let drop = claims.c.len() - max;
        claims.c.drain(..drop);
    }
    Ok(json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::CREATED),
        &json!({
            "conversation": {"id": kept.id},
            "message": remembered["message"],
            "replies": remembered["replies"],
            "token": sign_fitting(&state, claims),
        }),
    ))
}

/// Opens the conversation and sends the first message; remembered per `client_id`.
async fn open_and_send(
    state: &AppState,
    claims: &Claims,
    first: &Outgoing,
    accept_language: Option<&str>,
) -> Result<Stored, ApiError> {
    let localized = state.backend.localized(accept_language);
    let provider: &(dyn Provider + Send + Sync) = match &localized {
        Some(p) => p,
        None => state.backend.provider(),
    };
    let visitor = visitor_of(state, claims);
    let kept_session = match &claims.s {
        Some(s) => s.clone(),
        None => {
            let session = state
                .upstream
                .run(provider.start_session(&visitor, None))
                .await
                .map_err(|e| ApiError::upstream(&e))?;
            state.backend.keep_session(&session)
        }
    };
    let session = session_of(&kept_session);
    if let Some(hub) = &state.eusate {
        // Eusate opens a conversation with its first message (`ticket_chat_id: null`) and
        // names it in the answer: one step, so nothing to remember apart.
        let (id, sent) = hub
            .send(&session.id, None, first)
            .await
            .map_err(|e| ApiError::push(&e))?;
        if !valid_id(&id) {
            return Err(ApiError::upstream(&ProviderError::Malformed {
                reason: "the conversation id is not usable in the API".into(),
                body: String::new(),
            }));
        }
        tracing::info!("conversation opened");
        return Ok((
            201,
            Arc::new(json!({
                "kept": Ref { id, x: Value::Null },
                "session": kept_session,
                "message": own_message(&first.local_id, &first.text, &sent),
                "replies": [],
            })),
        ));
    }
    // The opened conversation is remembered apart, so a retry after a failed first send reuses
    // it instead of opening another.
    let open_key = format!("{}\0open\0{}", claims.v, first.local_id);
    let (_, opened) = remember(state, &open_key, || async {
        let conversation = state
            .upstream
            .run(provider.open_conversation(&visitor, &session, first))
            .await
            .map_err(|e| ApiError::upstream(&e))?;
        let kept = state.backend.keep_conversation(&conversation);
        Ok::<Stored, ApiError>((
            200,
            Arc::new(serde_json::to_value(kept).expect("serializes")),
        ))
    })
    .await?;
    let kept: Ref = serde_json::from_value((*opened).clone())
        .map_err(|_| ApiError::upstream(&ProviderError::Config("unreadable memory".into())))?;
    let conversation = conversation_of(&kept);
    let cx = Context {
        visitor: &visitor,
        session: &session,
        conversation: &conversation,
        recent: &[],
    };
    let sent = state
        .upstream
        .run(provider.send_message(cx, first))
        .await
        .map_err(|e| ApiError::upstream(&e))?;
    tracing::info!("conversation opened");
    Ok((
        201,
        Arc::new(json!({
            "kept": kept,
            "session": kept_session,
            "message": own_message(&first.local_id, &first.text, &sent),
            "replies": sent.replies.iter().map(message_json).collect::<Vec<_>>(),
        })),
    ))
}

#[derive(Deserialize)]
struct CursorQuery {
    cursor: Option<String>,
}

fn decode_cursor(raw: Option<&str>) -> Result<Cursor, ApiError> {
    let bad = || ApiError::invalid("the cursor is not valid");
    let Some(raw) = raw.filter(|c| !c.is_empty()) else {
        return Ok(Cursor::default());
    };
    if raw.len() > MAX_CURSOR_CHARS {
        return Err(bad());
    }
    let bytes = B64.decode(raw).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let value = Json::parse(&text).map_err(|_| bad())?;
    // Providers' cursors are small objects of counters (`skip`, `seen`), a count (Eusate's
    // messages seen) or null.
    if !(value.is_null() || value.as_object().is_some() || value.as_u64().is_some()) {
        return Err(bad());
    }
    Ok(Cursor(value))
}

fn encode_cursor(cursor: &Cursor) -> String {
    B64.encode(cursor.0.to_string())
}

async fn list_messages(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    query: Result<Query<CursorQuery>, QueryRejection>,
) -> ApiResult {
    let claims = authorize(&state, &headers)?;
    let id = conversation_id(path)?;
    let Query(query) = query.map_err(|_| ApiError::invalid("the query is not valid"))?;
    let cursor = decode_cursor(query.cursor.as_deref())?;
    let owned = claims.owns(&id).ok_or_else(ApiError::not_found)?;
    let session = session_of(session_ref(&claims)?);
    let conversation = conversation_of(owned);
    let visitor = visitor_of(&state, &claims);
    let cx = Context {
        visitor: &visitor,
        session: &session,
        conversation: &conversation,
        recent: &[],
    };
    let page: Page = state
        .upstream
        .run(state.backend.provider().fetch_messages(cx, &cursor))
        .await
        .map_err(|e| ApiError::upstream(&e))?;
    if !page.warnings.is_empty() {
        tracing::debug!(
            count = page.warnings.len(),
            "messages skipped or read with a fallback"
        );
    }
    let mut body = json!({
        "messages": page.messages.iter().map(message_json).collect::<Vec<_>>(),
        "cursor": encode_cursor(&page.next),
        "more": page.more,
    });
    // Support's side, only where the helpdesk says it (Eusate's `read_by_agent`).
    if let Some(seen) = page.presence.seen {
        body["seen"] = seen.into();
    }
    if page.presence.typing {
        body["typing"] = true.into();
    }
    // Support closed it (Bancroft's `status`, Gleap's ticket): the widget shows it read-only.
    if page.closed {
        body["closed"] = true.into();
    }
    Ok(json_response(StatusCode::OK, &body))
}

async fn post_message(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let claims = authorize(&state, &headers)?;
    let id = conversation_id(path)?;
    let message = outgoing(&state, body(raw)?)?;
    let owned = claims.owns(&id).ok_or_else(ApiError::not_found)?.clone();
    // The first message this visitor opened this conversation with, sent again here (the widget
    // does when the create's answer had no readable `message`): the create's answer, without a
    // second delivery.
    if let Some((_, created)) = recall(&state, &first_key(&claims.v, &message.local_id)).await {
        if created["kept"]["id"].as_str() == Some(id.as_str()) {
            return Ok(json_response(
                StatusCode::CREATED,
                &json!({"message": created["message"], "replies": created["replies"]}),
            ));
        }
    }
    let key = format!("{}\0{}\0{}", claims.v, id, message.local_id);
    let stored = remember(&state, &key, || async {
        let session = session_of(session_ref(&claims)?);
        let conversation = conversation_of(&owned);
        let visitor = visitor_of(&state, &claims);
        let cx = Context {
            visitor: &visitor,
            session: &session,
            conversation: &conversation,
            recent: &[],
        };
        let sent = match &state.eusate {
            // Over the visitor's socket; answers and agent replies arrive as pushed events.
            Some(hub) => {
                hub.send(&session.id, Some(&id), &message)
                    .await
                    .map_err(|e| ApiError::push(&e))?
                    .1
            }
            None => {
                let localized = state.backend.localized(accept_language(&headers));
                let provider: &(dyn Provider + Send + Sync) = match &localized {
                    Some(p) => p,
                    None => state.backend.provider(),
                };
                state
                    .upstream
                    .run(provider.send_message(cx, &message))
                    .await
                    .map_err(|e| ApiError::upstream(&e))?
            }
        };
        Ok::<Stored, ApiError>((
            201,
            Arc::new(json!({
                "message": own_message(&message.local_id, &message.text, &sent),
                "replies": sent.replies.iter().map(message_json).collect::<Vec<_>>(),
            })),
        ))
    })
    .await?;
    Ok(stored_response(stored))
}
