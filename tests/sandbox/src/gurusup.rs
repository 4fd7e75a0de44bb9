//! Gurusup public API (seed 002): the caller names its threads (`thread_fid`),
//! `POST /messages` answers with the system's reply, and a thread is read back
//! by the lowercase hex MD5 of its `thread_fid`. Errors are bare status codes.

use axum::{
    body::Bytes,
    extract::{Path, Request, State},
    http::StatusCode,
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

pub const AI_USER_FID: &str = "gurusup-ai";
pub const AGENT_USER_FID: &str = "gurusup-agent";

#[derive(Default)]
pub struct Db {
    threads: Vec<Thread>,
}

struct Thread {
    id: String,
    hash: String,
    thread_fid: String,
    user_fid: String,
    subject: String,
    lang: String,
    created_at: String,
    updated_at: String,
    messages: Vec<Value>,
}

impl Thread {
    fn meta(&self) -> Value {
        json!({
            "_id": self.id,
            "thread": self.hash,
            "thread_fid": self.thread_fid,
            "user_fid": self.user_fid,
            "subject": self.subject,
            "lang": self.lang,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    fn full(&self) -> Value {
        let mut v = self.meta();
        v["messages"] = json!(self.messages);
        v
    }
}

/// Lowercase hex MD5, the documented thread path key.
pub fn thread_hash(thread_fid: &str) -> String {
    format!("{:x}", md5::compute(thread_fid.as_bytes()))
}

fn status(code: StatusCode) -> Response {
    Backend::Gurusup.error(code, "")
}

pub fn router(state: AppState) -> Router<AppState> {
    let r = Router::new();
    let r = both(r, "/messages", post(create_message));
    let r = both(r, "/messages/{id}", get(get_message));
    let r = both(r, "/threads", get(list_threads));
    let r = both(r, "/threads/{hash}", get(get_thread));
    r.fallback(|| async { status(StatusCode::NOT_FOUND) })
        .layer(middleware::from_fn_with_state(state.clone(), guard))
        .layer(middleware::from_fn_with_state(
            (state, Backend::Gurusup),
            faults::layer,
        ))
}

fn both(r: Router<AppState>, path: &str, m: MethodRouter<AppState>) -> Router<AppState> {
    r.route(path, m.clone()).route(&format!("{path}/"), m)
}

/// Behind a site proxy (default) the key may be absent; when present it must be right.
async fn guard(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let ok = match util::header_str(req.headers(), "x-api-key") {
        Some(k) => k == keys::GURUSUP,
        None => state.config().gurusup_proxy,
    };
    if !ok {
        return status(StatusCode::UNAUTHORIZED);
    }
    next.run(req).await
}

fn required(o: &Map<String, Value>, k: &str) -> Option<String> {
    o.get(k)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

async fn create_message(State(state): State<AppState>, body: Bytes) -> Response {
    let o = match util::parse_json::<Value>(&body) {
        Ok(Value::Object(o)) => o,
        _ => return status(StatusCode::BAD_REQUEST),
    };
    let (Some(text), Some(user_fid), Some(thread_fid)) = (
        required(&o, "body"),
        required(&o, "user_fid"),
        required(&o, "thread_fid"),
    ) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let is_agent = match o.get("is_customer_support_agent") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return status(StatusCode::BAD_REQUEST),
    };
    let lang = o
        .get("lang")
        .and_then(Value::as_str)
        .unwrap_or("en")
        .to_string();
    let subject = o
        .get("subject")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();

    let mut store = state.store();
    let db = &mut store.gurusup;
    let now = util::iso_millis();
    let idx = match db.threads.iter().position(|t| t.thread_fid == thread_fid) {
        Some(i) => i,
        None => {
            db.threads.push(Thread {
                id: util::object_id(),
                hash: thread_hash(&thread_fid),
                thread_fid: thread_fid.clone(),
                user_fid: user_fid.clone(),
                subject: subject.clone(),
                lang: lang.clone(),
                created_at: now.clone(),
                updated_at: now.clone(),
                messages: Vec::new(),
            });
            db.threads.len() - 1
        }
    };
    let thread = &mut db.threads[idx];
    let own = push(thread, &text, &user_fid, &lang, &subject, is_agent);
    if is_agent {
        // No system reply to an agent's own message: the created message is returned.
        return Json(own).into_response();
    }
    let reply = push(
        thread,
        &ai_reply(&text, &lang),
        AI_USER_FID,
        &lang,
        &subject,
        true,
    );
    drop(store);
    crate::webhook::message_sent(&state, &reply);
    Json(reply).into_response()
}

fn push(
    t: &mut Thread,
    body: &str,
    user_fid: &str,
    lang: &str,
    subject: &str,
    agent: bool,
) -> Value {
    let now = util::iso_millis();
    let m = json!({
        "_id": util::object_id(),
        "body": body,
        "user_fid": user_fid,
        "thread_fid": t.thread_fid,
        "thread": t.hash,
        "lang": lang,
        "subject": subject,
        "is_customer_support_agent": agent,
        "created_at": now,
        "updated_at": now,
    });
    t.updated_at = now;
    t.messages.push(m.clone());
    m
}

/// The canned "AI" answer; it quotes the question so tests can match it.
fn ai_reply(question: &str, lang: &str) -> String {
    let q: String = question.chars().take(80).collect();
    if lang.starts_with("es") {
        format!(
            "Gracias por tu mensaje sobre «{q}». Un agente puede responder también en este hilo."
        )
    } else {
        format!(
            "Thanks for your message about \"{q}\". An agent may also follow up in this thread."
        )
    }
}

async fn get_message(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let store = state.store();
    let found = store
        .gurusup
        .threads
        .iter()
        .flat_map(|t| t.messages.iter())
        .find(|m| m["_id"] == id.as_str());
    match found {
        Some(m) => Json(m.clone()).into_response(),
        None => status(StatusCode::NOT_FOUND),
    }
}

async fn list_threads(State(state): State<AppState>) -> Response {
    let store = state.store();
    let list: Vec<Value> = store.gurusup.threads.iter().map(Thread::meta).collect();
    Json(json!(list)).into_response()
}

/// Exact match only: an uppercase or non-hashed key is a 404, as on the real API.
async fn get_thread(State(state): State<AppState>, Path(hash): Path<String>) -> Response {
    let store = state.store();
    match store.gurusup.threads.iter().find(|t| t.hash == hash) {
        Some(t) => Json(t.full()).into_response(),
        None => status(StatusCode::NOT_FOUND),
    }
}

// ---- control (agent side) ----

pub fn snapshot(state: &AppState) -> Value {
    let store = state.store();
    json!(store
        .gurusup
        .threads
        .iter()
        .map(Thread::full)
        .collect::<Vec<_>>())
}

/// `conversation` is the `thread_fid` (its MD5 hash is accepted too).
pub fn agent_reply(
    state: &AppState,
    conversation: &str,
    text: &str,
) -> Result<Value, ControlError> {
    let mut store = state.store();
    let t = store
        .gurusup
        .threads
        .iter_mut()
        .find(|t| t.thread_fid == conversation || t.hash == conversation)
        .ok_or_else(|| ControlError::not_found("gurusup", conversation))?;
    let (lang, subject) = (t.lang.clone(), t.subject.clone());
    let m = push(t, text, AGENT_USER_FID, &lang, &subject, true);
    drop(store);
    crate::webhook::message_sent(state, &m);
    Ok(m)
}
