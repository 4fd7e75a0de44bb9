//! Gleap REST API v3 (seed 000): sessions, tickets and messages (comments),
//! including internal agent notes, which the list returns like any comment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::{
    body::Bytes,
    extract::{Path, Query, Request, State},
    http::{header, HeaderValue, StatusCode},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::{get, post, MethodRouter},
    Json, Router,
};
use serde_json::{json, Map, Value};

use crate::{
    control::ControlError,
    faults::{self, Backend},
    keys, util, AppState,
};

const RATE_WINDOW: Duration = Duration::from_secs(60);
const LIST_DEFAULT_LIMIT: usize = 50;

#[derive(Default)]
pub struct Db {
    sessions: Vec<Value>,
    tickets: Vec<Value>,
    /// Raw message documents, in creation order, exactly as the API returns them.
    messages: Vec<Value>,
    /// Per project: window start and requests counted in it.
    rate: HashMap<String, (Instant, u32)>,
}

fn err(status: StatusCode, msg: &str) -> Response {
    Backend::Gleap.error(status, msg)
}

pub fn router(state: AppState) -> Router<AppState> {
    let r = Router::new();
    // Express routes are not strict about a trailing slash.
    let r = both(r, "/v3/sessions", post(create_session));
    let r = both(r, "/v3/tickets", post(create_ticket));
    let r = both(r, "/v3/tickets/{id}", get(get_ticket));
    let r = both(r, "/v3/messages", get(list_messages).post(create_message));
    r.fallback(|| async { err(StatusCode::NOT_FOUND, "Not Found") })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn_with_state(
            (state, Backend::Gleap),
            faults::layer,
        ))
}

fn both(r: Router<AppState>, path: &str, m: MethodRouter<AppState>) -> Router<AppState> {
    r.route(path, m.clone()).route(&format!("{path}/"), m)
}

/// Auth and the documented rate limit (1000 requests / 60 s per project → 429).
///
/// Behind a site proxy (the sandbox default) requests carry no auth at all; any
/// auth header that is present is checked, and then both must be right.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let h = req.headers();
    let auth = h.get(header::AUTHORIZATION);
    let project = util::header_str(h, "project");
    let anonymous = auth.is_none() && project.is_none();
    if !(anonymous && state.config().gleap_proxy) {
        let key_ok = util::bearer(h) == Some(keys::GLEAP_SECRET);
        let project_ok = project == Some(keys::GLEAP_PROJECT);
        if !key_ok || !project_ok {
            return err(StatusCode::UNAUTHORIZED, "Unauthorized");
        }
    }
    let bucket = project.unwrap_or("proxy").to_string();
    let limit = state.config().gleap_rate_limit;
    let retry_after = {
        let mut store = state.store();
        let now = Instant::now();
        let entry = store.gleap.rate.entry(bucket).or_insert((now, 0));
        if now.duration_since(entry.0) >= RATE_WINDOW {
            *entry = (now, 0);
        }
        entry.1 += 1;
        (entry.1 > limit).then(|| {
            let left = RATE_WINDOW.saturating_sub(now.duration_since(entry.0));
            left.as_secs().max(1)
        })
    };
    if let Some(secs) = retry_after {
        let mut res = err(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many requests, please try again later.",
        );
        res.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        return res;
    }
    next.run(req).await
}

fn body_object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match util::parse_json::<Value>(body) {
        Ok(Value::Object(o)) => Ok(o),
        Ok(_) => Err(err(StatusCode::BAD_REQUEST, "Body must be a JSON object")),
        Err(e) => Err(err(StatusCode::BAD_REQUEST, &e)),
    }
}

fn opt_str(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k).and_then(Value::as_str).map(str::to_string)
}

fn find<'a>(list: &'a [Value], id: &str) -> Option<&'a Value> {
    list.iter().find(|v| v["_id"] == id)
}

fn session_summary(s: &Value) -> Value {
    json!({ "_id": s["_id"], "email": s["email"], "name": s["name"] })
}

/// Create, or find by `userId` and update, as the docs' "create or find" step.
async fn create_session(State(state): State<AppState>, body: Bytes) -> Response {
    let o = match body_object(&body) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let now = util::iso_millis();
    let mut store = state.store();
    let db = &mut store.gleap;
    let user_id = opt_str(&o, "userId").filter(|s| !s.is_empty());
    if let Some(uid) = &user_id {
        if let Some(s) = db.sessions.iter_mut().find(|s| s["userId"] == uid.as_str()) {
            for k in ["email", "name", "phone", "value", "customData"] {
                if let Some(v) = o.get(k) {
                    s[k] = v.clone();
                }
            }
            s["lastActivity"] = json!(now);
            return Json(s.clone()).into_response();
        }
    }
    let id = util::object_id();
    let mut s = json!({ "_id": id, "id": id, "gleapId": util::short_hex(16) });
    for (k, v) in &o {
        if !matches!(k.as_str(), "_id" | "id" | "gleapId") {
            s[k] = v.clone();
        }
    }
    s["createdAt"] = json!(now);
    s["lastActivity"] = json!(now);
    db.sessions.push(s.clone());
    Json(s).into_response()
}

async fn create_ticket(State(state): State<AppState>, body: Bytes) -> Response {
    let o = match body_object(&body) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let mut store = state.store();
    let db = &mut store.gleap;
    let session = match opt_str(&o, "session") {
        Some(sid) => match find(&db.sessions, &sid) {
            Some(s) => session_summary(s),
            None => return err(StatusCode::NOT_FOUND, "Session not found"),
        },
        None => Value::Null,
    };
    let now = util::iso_millis();
    let id = util::object_id();
    let t = json!({
        "_id": id,
        "id": id,
        "title": o.get("title").cloned().unwrap_or(Value::Null),
        "type": opt_str(&o, "type").unwrap_or_else(|| "BUG".into()),
        "status": "OPEN",
        "session": session,
        "formData": o.get("formData").cloned().unwrap_or_else(|| json!({})),
        "customData": o.get("customData").cloned().unwrap_or_else(|| json!({})),
        "shareToken": util::short_hex(32),
        "createdAt": now,
        "updatedAt": now,
    });
    db.tickets.push(t.clone());
    Json(t).into_response()
}

async fn get_ticket(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    match find(&state.store().gleap.tickets, &id) {
        Some(t) => Json(t.clone()).into_response(),
        None => err(StatusCode::NOT_FOUND, "Ticket not found"),
    }
}

/// `session` present: the customer's comment; absent: an agent (API user) comment.
async fn create_message(State(state): State<AppState>, body: Bytes) -> Response {
    let o = match body_object(&body) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let Some(ticket) = opt_str(&o, "ticket") else {
        return err(StatusCode::BAD_REQUEST, "ticket is required");
    };
    let comment = match o.get("comment") {
        Some(Value::String(s)) if !s.trim().is_empty() => json!(s),
        Some(c @ Value::Object(_)) => c.clone(),
        _ => return err(StatusCode::BAD_REQUEST, "comment is required"),
    };
    let attachments = match o.get("attachments") {
        None | Some(Value::Null) => json!([]),
        Some(a @ Value::Array(_)) => a.clone(),
        Some(_) => return err(StatusCode::BAD_REQUEST, "attachments must be an array"),
    };
    let is_note = o.get("isNote").and_then(Value::as_bool).unwrap_or(false);
    let mut store = state.store();
    let db = &mut store.gleap;
    let author = match opt_str(&o, "session") {
        Some(sid) => match find(&db.sessions, &sid) {
            Some(s) => Author::Customer(session_summary(s)),
            None => return err(StatusCode::NOT_FOUND, "Session not found"),
        },
        None => Author::Agent { bot: false },
    };
    let style = if is_note { Some(NoteStyle::Both) } else { None };
    match push_message(db, &ticket, comment, attachments, author, style) {
        Some(m) => Json(m).into_response(),
        None => err(StatusCode::NOT_FOUND, "Ticket not found"),
    }
}

enum Author {
    Customer(Value),
    Agent { bot: bool },
}

/// How a note is marked, so tests can check the widget filters every variant.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum NoteStyle {
    /// `type: "NOTE"` and `isNote: true` (what the API stores for `isNote`).
    Both,
    /// Only `type: "NOTE"`.
    Type,
    /// Only `isNote: true`, with `type: "TEXT"`.
    Flag,
}

impl std::str::FromStr for NoteStyle {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "both" => Ok(Self::Both),
            "type" => Ok(Self::Type),
            "flag" => Ok(Self::Flag),
            _ => Err(format!("note_style {s:?}: use both, type or flag")),
        }
    }
}

fn agent_user(bot: bool) -> Value {
    if bot {
        json!({ "_id": "000000000000000000000b07", "email": "bot@sandbox.gleap.test", "firstName": "Kai", "lastName": "Bot" })
    } else {
        json!({ "_id": "0000000000000000000a9e47", "email": "agent@sandbox.gleap.test", "firstName": "Sandra", "lastName": "Agent" })
    }
}

fn push_message(
    db: &mut Db,
    ticket: &str,
    comment: Value,
    attachments: Value,
    author: Author,
    note: Option<NoteStyle>,
) -> Option<Value> {
    let t = db.tickets.iter_mut().find(|t| t["_id"] == ticket)?;
    let now = util::iso_millis();
    t["updatedAt"] = json!(now);
    let id = util::object_id();
    let kind = match note {
        Some(NoteStyle::Both | NoteStyle::Type) => "NOTE",
        _ => "TEXT",
    };
    let mut m = json!({
        "_id": id,
        "id": id,
        "ticket": ticket,
        "comment": comment,
        "type": kind,
        "attachments": attachments,
    });
    match author {
        Author::Customer(s) => {
            m["bot"] = json!(false);
            m["session"] = s;
        }
        Author::Agent { bot } => {
            m["bot"] = json!(bot);
            m["user"] = agent_user(bot);
        }
    }
    if matches!(note, Some(NoteStyle::Both | NoteStyle::Flag)) {
        m["isNote"] = json!(true);
    }
    m["createdAt"] = json!(now);
    m["updatedAt"] = json!(now);
    db.messages.push(m.clone());
    Some(m)
}

/// A bare array, no total: clients page with `skip` until a page comes back short.
async fn list_messages(
    State(state): State<AppState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let limit = q
        .get("limit")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(LIST_DEFAULT_LIMIT);
    let skip = q
        .get("skip")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let store = state.store();
    let mut items: Vec<&Value> = store
        .gleap
        .messages
        .iter()
        .filter(|m| q.get("ticket").is_none_or(|t| m["ticket"] == t.as_str()))
        .collect();
    // Creation order is createdAt order; "-createdAt" reverses it.
    if q.get("sort").is_some_and(|s| s.starts_with('-')) {
        items.reverse();
    }
    let page: Vec<&Value> = items.into_iter().skip(skip).take(limit).map(wire).collect();
    Json(json!(page)).into_response()
}

// ---- control (agent side) ----

pub fn snapshot(state: &AppState) -> Value {
    let store = state.store();
    let db = &store.gleap;
    let list: Vec<Value> = db
        .tickets
        .iter()
        .map(|t| {
            let mut v = t.clone();
            // The ticket's session as it is now (Gleap populates the reference), so a test sees
            // contact details given after the ticket was opened.
            let sid = t["session"]["_id"].as_str().unwrap_or_default();
            if let Some(s) = find(&db.sessions, sid) {
                v["session"] = session_summary(s);
            }
            let msgs: Vec<&Value> = db
                .messages
                .iter()
                .filter(|m| m["ticket"] == t["_id"])
                .map(wire)
                .collect();
            v["messages"] = json!(msgs);
            v
        })
        .collect();
    json!(list)
}

pub fn agent_reply(
    state: &AppState,
    ticket: &str,
    comment: Value,
    note: Option<NoteStyle>,
    bot: bool,
    raw: Option<Value>,
) -> Result<Value, ControlError> {
    let mut store = state.store();
    let db = &mut store.gleap;
    let m = push_message(db, ticket, comment, json!([]), Author::Agent { bot }, note)
        .ok_or_else(|| ControlError::not_found("gleap", ticket))?;
    let Some(raw) = raw else {
        return Ok(m);
    };
    let served = util::with_raw(m, Some(&raw));
    if let Some(stored) = db.messages.last_mut() {
        // Kept with its ticket even when the item is no object at all.
        *stored = match &served {
            Value::Object(_) => served.clone(),
            _ => json!({ "ticket": ticket, RAW_ITEM: served.clone() }),
        };
    }
    Ok(served)
}

/// Where a stored list item that is no message object (a test's `raw`) is kept.
const RAW_ITEM: &str = "_sandbox_raw_item";

/// A stored message as the API returns it.
fn wire(m: &Value) -> &Value {
    m.get(RAW_ITEM).unwrap_or(m)
}

pub fn close(state: &AppState, ticket: &str) -> Result<Value, ControlError> {
    let mut store = state.store();
    let t = store
        .gleap
        .tickets
        .iter_mut()
        .find(|t| t["_id"] == ticket)
        .ok_or_else(|| ControlError::not_found("gleap", ticket))?;
    t["status"] = json!("DONE");
    t["updatedAt"] = json!(util::iso_millis());
    Ok(t.clone())
}
