//! Bancroft conversations API (seed 004), Django REST framework style:
//! every path ends with a slash, errors are `{"detail": …}`.

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{Path, Query, State},
    http::{header, HeaderMap, Method, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    routing::{get, post, MethodRouter},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::{
    control::ControlError,
    faults::{self, Backend},
    keys, util, AppState,
};

const SUBJECT_MAX: usize = 500;
const PAGE_DEFAULT: usize = 20;
const PAGE_MAX: usize = 100;
const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];
const CHANNELS: [&str; 4] = ["web", "email", "api", "callback"];
pub const AGENT_EMAIL: &str = "agent@sandbox.bancroft.test";

#[derive(Default)]
pub struct Db {
    conversations: Vec<Conversation>,
    users: Vec<Person>,
    next_number: u64,
}

#[derive(Clone, Serialize)]
struct Person {
    email: String,
    first_name: String,
    last_name: String,
}

#[derive(Clone, Serialize)]
struct Conversation {
    id: String,
    number: u64,
    subject: String,
    status: String,
    priority: String,
    channel: String,
    metadata: Value,
    requester: Person,
    created_at: String,
    updated_at: String,
    #[serde(skip)]
    description: String,
    #[serde(skip)]
    messages: Vec<Message>,
}

#[derive(Clone, Serialize)]
struct Message {
    id: String,
    sender_email: String,
    body: String,
    message_type: String,
    created_at: String,
    /// A test's override of what the API returns for it (control API `reply` with `raw`).
    #[serde(skip)]
    raw: Option<Value>,
}

impl Message {
    /// The message as the API returns it.
    fn wire(&self) -> Value {
        util::with_raw(json!(self), self.raw.as_ref())
    }
}

fn wire_list(messages: &[Message]) -> Vec<Value> {
    messages.iter().map(Message::wire).collect()
}

fn detail(status: StatusCode, msg: &str) -> Response {
    Backend::Bancroft.error(status, msg)
}

fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not found.")
}

#[derive(PartialEq)]
enum KeyKind {
    Client,
    Server,
}

/// `X-API-Key` first, then `Authorization: Bearer`; client keys only from allowed origins.
fn authenticate(headers: &HeaderMap) -> Result<KeyKind, Response> {
    let key = util::header_str(headers, "x-api-key").or_else(|| util::bearer(headers));
    let kind = match key {
        None | Some("") => {
            return Err(detail(
                StatusCode::UNAUTHORIZED,
                "Authentication credentials were not provided.",
            ))
        }
        Some(keys::BANCROFT_CLIENT) => KeyKind::Client,
        Some(keys::BANCROFT_SERVER) => KeyKind::Server,
        Some(_) => return Err(detail(StatusCode::UNAUTHORIZED, "Invalid API key.")),
    };
    // Client keys are limited to `allowed_origins`; the sandbox allows localhost.
    if kind == KeyKind::Client {
        if let Some(origin) = util::header_str(headers, header::ORIGIN.as_str()) {
            if !crate::is_local_origin(origin) {
                return Err(detail(
                    StatusCode::FORBIDDEN,
                    "Origin is not allowed for this API key.",
                ));
            }
        }
    }
    Ok(kind)
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/api/v1/conversations/", drf(get(list)))
        .route("/api/v1/conversations/create/", drf(post(create)))
        .route("/api/v1/conversations/{id}/", drf(get(retrieve)))
        .route("/api/v1/conversations/{id}/messages/", drf(get(messages)))
        .route(
            "/api/v1/conversations/{id}/messages/create/",
            drf(post(create_message)),
        )
        .route("/api/v1/conversations/{id}/resolve/", drf(post(resolve)))
        // Paths without the trailing slash are not documented: they are 404s.
        .fallback(|| async { not_found() })
        .layer(middleware::from_fn_with_state(
            (state, Backend::Bancroft),
            faults::layer,
        ))
}

/// DRF checks authentication before it reports a wrong method.
fn drf(r: MethodRouter<AppState>) -> MethodRouter<AppState> {
    r.fallback(|method: Method, headers: HeaderMap| async move {
        if let Err(e) = authenticate(&headers) {
            return e;
        }
        detail(
            StatusCode::METHOD_NOT_ALLOWED,
            &format!("Method \"{method}\" not allowed."),
        )
    })
}

async fn list(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    // DRF LimitOffsetPagination: bad values fall back to defaults, limit is capped.
    let limit = q
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .map_or(PAGE_DEFAULT, |n| n.min(PAGE_MAX));
    let offset = q
        .get("offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let db = &state.store().bancroft;
    // Newest first, as a helpdesk inbox lists them.
    let matching: Vec<&Conversation> = db
        .conversations
        .iter()
        .rev()
        .filter(|c| {
            q.get("user_email")
                .is_none_or(|e| c.requester.email.eq_ignore_ascii_case(e))
        })
        .filter(|c| q.get("status").is_none_or(|s| &c.status == s))
        .collect();
    let count = matching.len();
    let results: Vec<&Conversation> = matching.into_iter().skip(offset).take(limit).collect();
    let next =
        (offset + limit < count).then(|| page_url(&headers, &q, limit, Some(offset + limit)));
    let previous = (offset > 0).then(|| {
        let prev = offset.saturating_sub(limit);
        page_url(&headers, &q, limit, (prev > 0).then_some(prev))
    });
    Json(json!({ "count": count, "next": next, "previous": previous, "results": results }))
        .into_response()
}

/// An absolute page link as DRF builds it from the request's host.
fn page_url(
    headers: &HeaderMap,
    q: &HashMap<String, String>,
    limit: usize,
    offset: Option<usize>,
) -> String {
    let host = util::header_str(headers, header::HOST.as_str()).unwrap_or("localhost");
    let mut params: Vec<(String, String)> = q
        .iter()
        .filter(|(k, _)| k.as_str() != "limit" && k.as_str() != "offset")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    params.sort();
    params.push(("limit".into(), limit.to_string()));
    if let Some(o) = offset {
        params.push(("offset".into(), o.to_string()));
    }
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{}={}", url_encode(k), url_encode(v)))
        .collect();
    format!(
        "http://{host}/bancroft/api/v1/conversations/?{}",
        query.join("&")
    )
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn str_field<'a>(o: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Response> {
    match o.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("{name} must be a string."),
        )),
    }
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match util::parse_json::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(detail(
            StatusCode::BAD_REQUEST,
            "Invalid data. Expected a dictionary.",
        )),
        Err(e) => Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("JSON parse error - {e}"),
        )),
    }
}

async fn create(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    match create_inner(&state, &body) {
        Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
        Err(e) => e,
    }
}

fn create_inner(state: &AppState, body: &[u8]) -> Result<Value, Response> {
    let o = body_object(body)?;
    let subject = str_field(&o, "subject")?.unwrap_or("").trim().to_string();
    if subject.is_empty() {
        return Err(detail(StatusCode::BAD_REQUEST, "subject is required."));
    }
    if subject.chars().count() > SUBJECT_MAX {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            &format!("subject must be at most {SUBJECT_MAX} characters."),
        ));
    }
    let priority = str_field(&o, "priority")?.unwrap_or("normal").to_string();
    if !PRIORITIES.contains(&priority.as_str()) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "priority must be one of low, normal, high, urgent.",
        ));
    }
    let channel = str_field(&o, "channel")?.unwrap_or("api").to_string();
    if !CHANNELS.contains(&channel.as_str()) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "channel must be one of web, email, api, callback.",
        ));
    }
    let metadata = match o.get("metadata") {
        None | Some(Value::Null) => json!({}),
        Some(m @ Value::Object(_)) => m.clone(),
        Some(_) => {
            return Err(detail(
                StatusCode::BAD_REQUEST,
                "metadata must be an object.",
            ))
        }
    };
    let email = str_field(&o, "user_email")?
        .map(str::trim)
        .filter(|e| !e.is_empty());
    if email.is_some_and(|e| !valid_email(e)) {
        return Err(detail(
            StatusCode::BAD_REQUEST,
            "Enter a valid email address.",
        ));
    }
    let first = str_field(&o, "user_first_name")?.unwrap_or("").to_string();
    let last = str_field(&o, "user_last_name")?.unwrap_or("").to_string();
    let description = str_field(&o, "description")?.unwrap_or("").to_string();

    let mut store = state.store();
    let db = &mut store.bancroft;
    // Looked up by email, created when unknown; no email means a new anonymous user.
    let requester = match email {
        Some(e) => match db.users.iter().find(|u| u.email.eq_ignore_ascii_case(e)) {
            Some(u) => u.clone(),
            None => {
                let u = Person {
                    email: e.to_string(),
                    first_name: first,
                    last_name: last,
                };
                db.users.push(u.clone());
                u
            }
        },
        None => {
            let u = Person {
                email: format!("anonymous-{}@anonymous.bancroft.test", util::short_hex(12)),
                first_name: first,
                last_name: last,
            };
            db.users.push(u.clone());
            u
        }
    };
    db.next_number += 1;
    let now = util::iso_micros();
    let mut conv = Conversation {
        id: util::uuid(),
        number: db.next_number,
        subject,
        status: "open".into(),
        priority,
        channel,
        metadata,
        requester,
        created_at: now.clone(),
        updated_at: now.clone(),
        description: description.clone(),
        messages: Vec::new(),
    };
    // The description is the "initial message": it opens the thread.
    if !description.trim().is_empty() {
        conv.messages.push(Message {
            id: util::uuid(),
            sender_email: conv.requester.email.clone(),
            body: description,
            message_type: "reply".into(),
            created_at: now,
            raw: None,
        });
    }
    let v = json!(conv);
    db.conversations.push(conv);
    Ok(v)
}

fn valid_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace)
        }
        None => false,
    }
}

async fn retrieve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    let store = state.store();
    match store.bancroft.conversations.iter().find(|c| c.id == id) {
        Some(c) => Json(json!(c)).into_response(),
        None => not_found(),
    }
}

async fn messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    let store = state.store();
    match store.bancroft.conversations.iter().find(|c| c.id == id) {
        Some(c) => Json(json!({ "count": c.messages.len(), "results": wire_list(&c.messages) }))
            .into_response(),
        None => not_found(),
    }
}

async fn create_message(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    let o = match body_object(&body) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let text = match str_field(&o, "body") {
        Ok(Some(b)) if !b.trim().is_empty() => b.to_string(),
        Ok(_) => return detail(StatusCode::BAD_REQUEST, "body is required."),
        Err(e) => return e,
    };
    let email = match str_field(&o, "user_email") {
        Ok(Some(e)) if !e.trim().is_empty() => e.trim().to_string(),
        Ok(_) => return detail(StatusCode::BAD_REQUEST, "user_email is required."),
        Err(e) => return e,
    };
    let mut store = state.store();
    let Some(conv) = store.bancroft.conversations.iter_mut().find(|c| c.id == id) else {
        return not_found();
    };
    // The sender is identified by email: only the requester may write here.
    if !conv.requester.email.eq_ignore_ascii_case(&email) {
        return detail(
            StatusCode::FORBIDDEN,
            "user_email is not a participant of this conversation.",
        );
    }
    if conv.status == "closed" || conv.status == "resolved" {
        return detail(StatusCode::BAD_REQUEST, "This conversation is closed.");
    }
    let m = push_message(conv, conv.requester.email.clone(), text);
    (StatusCode::CREATED, Json(json!(m))).into_response()
}

fn push_message(conv: &mut Conversation, sender_email: String, body: String) -> Message {
    let now = util::iso_micros();
    let m = Message {
        id: util::uuid(),
        sender_email,
        body,
        message_type: "reply".into(),
        created_at: now.clone(),
        raw: None,
    };
    conv.updated_at = now;
    conv.messages.push(m.clone());
    m
}

async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match authenticate(&headers) {
        Ok(KeyKind::Server) => {}
        Ok(KeyKind::Client) => {
            return detail(StatusCode::FORBIDDEN, "This action requires a server key.")
        }
        Err(e) => return e,
    }
    let mut store = state.store();
    match store.bancroft.conversations.iter_mut().find(|c| c.id == id) {
        Some(c) => {
            close_conv(c);
            Json(json!(c)).into_response()
        }
        None => not_found(),
    }
}

fn close_conv(c: &mut Conversation) {
    c.status = "closed".into();
    c.updated_at = util::iso_micros();
}

// ---- control (agent side) ----

pub fn snapshot(state: &AppState) -> Value {
    let store = state.store();
    let list: Vec<Value> = store
        .bancroft
        .conversations
        .iter()
        .map(|c| {
            let mut v = json!(c);
            v["description"] = json!(c.description);
            v["messages"] = json!(wire_list(&c.messages));
            v
        })
        .collect();
    json!(list)
}

pub fn agent_reply(
    state: &AppState,
    conversation: &str,
    text: &str,
    raw: Option<Value>,
) -> Result<Value, ControlError> {
    let mut store = state.store();
    let conv = store
        .bancroft
        .conversations
        .iter_mut()
        .find(|c| c.id == conversation)
        .ok_or_else(|| ControlError::not_found("bancroft", conversation))?;
    let mut m = push_message(conv, AGENT_EMAIL.into(), text.into());
    if raw.is_some() {
        m.raw = raw;
        if let Some(stored) = conv.messages.last_mut() {
            stored.raw = m.raw.clone();
        }
    }
    Ok(m.wire())
}

pub fn close(state: &AppState, conversation: &str) -> Result<Value, ControlError> {
    let mut store = state.store();
    let conv = store
        .bancroft
        .conversations
        .iter_mut()
        .find(|c| c.id == conversation)
        .ok_or_else(|| ControlError::not_found("bancroft", conversation))?;
    close_conv(conv);
    Ok(json!(conv))
}
