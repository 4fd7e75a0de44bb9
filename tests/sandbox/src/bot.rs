//! The `bot` contract (seed 001, Gleap's custom API action): a POST of
//! `{conversation, session, comments: [last two]}` with the configured
//! `Authorization` header, answered by 200 `{"message": string | TipTap doc}`.

use std::collections::{HashMap, VecDeque};

use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use serde_json::{json, Value};

use crate::{
    control::ControlError,
    faults::{self, Backend},
    keys, util, AppState,
};

#[derive(Default)]
pub struct Db {
    conversations: Vec<BotConv>,
    /// Answers scripted with `POST /_sandbox/bot/reply`, used before the canned ones.
    queued: HashMap<String, VecDeque<Value>>,
}

struct BotConv {
    id: String,
    conversation: Value,
    session: Value,
    turns: u64,
    messages: Vec<Value>,
}

fn status(code: StatusCode) -> Response {
    Backend::Bot.error(code, "")
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/bot", post(handle))
        .route("/bot/", post(handle))
        .layer(middleware::from_fn_with_state(
            (state, Backend::Bot),
            faults::layer,
        ))
}

/// Text of one comment: a string, or an object whose `comment`/`text`/`body`/
/// `message` is a string or a TipTap doc (Gleap's comment objects use `comment`).
pub fn comment_text(c: &Value) -> String {
    match c {
        Value::String(s) => s.clone(),
        Value::Object(o) => ["comment", "text", "body", "message", "content"]
            .iter()
            .find_map(|k| o.get(*k).filter(|v| !v.is_null()))
            .map(util::rich_text_to_plain)
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn conversation_id(body: &Value) -> String {
    match body.pointer("/conversation/id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "anonymous".into(),
    }
}

async fn handle(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if util::bearer(&headers) != Some(keys::BOT) {
        return status(StatusCode::UNAUTHORIZED);
    }
    let body = match util::parse_json::<Value>(&body) {
        Ok(v @ Value::Object(_)) => v,
        _ => return status(StatusCode::BAD_REQUEST),
    };
    let Some(comments) = body.get("comments").and_then(Value::as_array) else {
        return status(StatusCode::BAD_REQUEST);
    };
    let last = comments.last().cloned().unwrap_or(Value::Null);
    let text = comment_text(&last);
    let id = conversation_id(&body);

    let mut store = state.store();
    let db = &mut store.bot;
    let idx = match db.conversations.iter().position(|c| c.id == id) {
        Some(i) => i,
        None => {
            db.conversations.push(BotConv {
                id: id.clone(),
                conversation: body.get("conversation").cloned().unwrap_or(Value::Null),
                session: body.get("session").cloned().unwrap_or(Value::Null),
                turns: 0,
                messages: Vec::new(),
            });
            db.conversations.len() - 1
        }
    };
    let scripted = db.queued.get_mut(&id).and_then(VecDeque::pop_front);
    let conv = &mut db.conversations[idx];
    let reply = scripted.unwrap_or_else(|| canned(&text, conv.turns));
    conv.turns += 1;
    conv.session = body.get("session").cloned().unwrap_or(Value::Null);
    let at = util::iso_millis();
    conv.messages.push(json!({ "from": "visitor", "text": text, "comment": last, "comments_received": comments.len(), "at": at }));
    conv.messages
        .push(json!({ "from": "bot", "message": reply, "at": at }));
    Json(json!({ "message": reply })).into_response()
}

/// Alternates a plain string (even turns) and a TipTap doc (odd turns), both
/// built from the visitor's last comment; `#rich` / `#plain` in it force a kind.
fn canned(text: &str, turn: u64) -> Value {
    let lower = text.to_lowercase();
    let rich = if lower.contains("#rich") {
        true
    } else if lower.contains("#plain") {
        false
    } else {
        turn % 2 == 1
    };
    let quoted: String = text.chars().take(200).collect();
    if quoted.trim().is_empty() {
        return json!("Hi! I'm the sandbox bot. What can I do for you?");
    }
    if rich {
        util::tiptap_doc("You said: ", &quoted)
    } else {
        json!(format!("You said: \"{quoted}\". How else can I help?"))
    }
}

// ---- control ----

pub fn snapshot(state: &AppState) -> Value {
    let store = state.store();
    let list: Vec<Value> = store
        .bot
        .conversations
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "conversation": c.conversation,
                "session": c.session,
                "turns": c.turns,
                "queued": store.bot.queued.get(&c.id).map(|q| q.len()).unwrap_or(0),
                "messages": c.messages,
            })
        })
        .collect();
    json!(list)
}

/// The bot cannot push: a reply is queued and becomes this conversation's next answer.
pub fn agent_reply(
    state: &AppState,
    conversation: &str,
    message: Value,
) -> Result<Value, ControlError> {
    if conversation.is_empty() {
        return Err(ControlError::bad_request("conversation is required"));
    }
    let mut store = state.store();
    let q = store
        .bot
        .queued
        .entry(conversation.to_string())
        .or_default();
    q.push_back(message.clone());
    Ok(json!({ "conversation": conversation, "queued": message, "pending": q.len() }))
}
