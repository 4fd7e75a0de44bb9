//! Eusate helpdesk (seed 003): REST reads with `Authorization: Bearer`, and
//! sending over Socket.IO (namespace `/helpdesk`, token in the query). The AI
//! ("sate") answers on `support`, agents on `customer_support`, closings on
//! `customer_support_closed`; every payload is `{status_code, sid, message, data}`.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, Method, StatusCode},
    middleware,
    response::{IntoResponse, Response},
    routing::{get, MethodRouter},
    Json, Router,
};
use serde::Serialize;
use serde_json::{json, Value};
use socketioxide::{
    extract::{AckSender, SocketRef, TryData},
    handler::ConnectHandler,
    SocketIo,
};

use crate::{
    control::ControlError,
    faults::{self, Backend, Mode},
    keys,
    server::CutConnection,
    util, AppState,
};

/// `/helpdesk` is the documented namespace. A socket.io client given the base
/// `http://host/eusate` derives `/eusate/helpdesk` from it, so that works too.
pub const NAMESPACES: [&str; 2] = ["/helpdesk", "/eusate/helpdesk"];
pub const MAX_OPEN_PER_CUSTOMER: usize = 3;

#[derive(Default)]
pub struct Db {
    conversations: Vec<Conv>,
    next_ticket: u64,
    /// Socket id → the customer session it entered with `enter_customer_support`.
    socket_customer: HashMap<String, String>,
    /// Socket id → what cuts its connection (`POST /_sandbox/eusate/socket {"down": true}`).
    socket_cuts: HashMap<String, CutConnection>,
    /// The socket server is down: live sockets were cut and new ones are refused.
    socket_down: bool,
}

struct Conv {
    id: String,
    session_id: String,
    date_created: String,
    date_updated: String,
    closed: bool,
    close_support: bool,
    read_by_customer: bool,
    read_by_agent: bool,
    responder: &'static str,
    ticket: String,
    ticket_slug: String,
    messages: Vec<Msg>,
    review: Option<Value>,
}

#[derive(Clone, Serialize)]
struct Msg {
    id: String,
    date_created: String,
    date_updated: String,
    message: String,
    sender: &'static str,
    is_attachment: bool,
    attachment_metadata: Value,
    ticket_chat: String,
}

impl Conv {
    fn head(&self) -> Value {
        json!({
            "id": self.id,
            "date_created": self.date_created,
            "date_updated": self.date_updated,
            "closed": self.closed,
            "close_support": self.close_support,
            "read_by_customer": self.read_by_customer,
            "read_by_agent": self.read_by_agent,
            "responder": self.responder,
            "ticket": self.ticket,
            "ticket_slug": self.ticket_slug,
        })
    }

    fn summary(&self) -> Value {
        let mut v = self.head();
        v["latest_message"] = json!(self.messages.last());
        v
    }

    fn detail(&self) -> Value {
        let mut v = self.head();
        v["messages"] = json!(self.messages);
        v
    }

    fn push(&mut self, sender: &'static str, text: String, is_attachment: bool) -> Msg {
        let now = util::iso_micros();
        let m = Msg {
            id: util::uuid(),
            date_created: now.clone(),
            date_updated: now.clone(),
            message: text,
            sender,
            is_attachment,
            attachment_metadata: Value::Null,
            ticket_chat: self.id.clone(),
        };
        self.date_updated = now;
        self.messages.push(m.clone());
        m
    }

    /// The `data` of a `support` / `customer_support` event.
    fn event_data(&self, m: &Msg) -> Value {
        json!({
            "id": m.id,
            "message": m.message,
            "ticket_chat_id": self.id,
            "sender": m.sender,
            "is_attachment": m.is_attachment,
            "attachment_metadata": m.attachment_metadata,
            "close_support": self.close_support,
            "closed": self.closed,
            "date_created": m.date_created,
            "date_updated": m.date_updated,
        })
    }
}

// ---- REST ----

fn detail(status: StatusCode, msg: &str) -> Response {
    Backend::Eusate.error(status, msg)
}

fn authenticate(headers: &HeaderMap) -> Result<(), Response> {
    match util::bearer(headers) {
        Some(keys::EUSATE) => Ok(()),
        Some(_) => Err(detail(StatusCode::UNAUTHORIZED, "Invalid API key.")),
        None => Err(detail(
            StatusCode::UNAUTHORIZED,
            "Authentication credentials were not provided.",
        )),
    }
}

pub fn router(state: AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/helpdesk/customer/{session_id}/conversations/",
            drf(get(list_conversations)),
        )
        .route(
            "/api/v1/helpdesk/customer/{session_id}/conversations/{conversation_id}/messages/",
            drf(get(conversation_messages)),
        )
        // Django without the trailing slash: not documented, so a 404.
        .fallback(|| async { detail(StatusCode::NOT_FOUND, "Not found.") })
        .layer(middleware::from_fn_with_state(
            (state, Backend::Eusate),
            faults::layer,
        ))
}

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

/// The documented truthy spellings; anything else is false.
fn truthy(v: &str) -> bool {
    matches!(v.to_ascii_lowercase().as_str(), "true" | "t" | "yes" | "1")
}

async fn list_conversations(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(session_id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    // Without `closed` no filter applies (the docs only define its values).
    let closed = q.get("closed").map(|v| truthy(v));
    let store = state.store();
    let mut list: Vec<&Conv> = store
        .eusate
        .conversations
        .iter()
        .filter(|c| c.session_id == session_id)
        .filter(|c| closed.is_none_or(|want| c.closed == want))
        .collect();
    // Most recently active first.
    list.sort_by(|a, b| b.date_updated.cmp(&a.date_updated));
    Json(json!(list.iter().map(|c| c.summary()).collect::<Vec<_>>())).into_response()
}

async fn conversation_messages(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((session_id, conversation_id)): Path<(String, String)>,
) -> Response {
    if let Err(e) = authenticate(&headers) {
        return e;
    }
    let store = state.store();
    match store
        .eusate
        .conversations
        .iter()
        .find(|c| c.id == conversation_id)
    {
        None => detail(StatusCode::NOT_FOUND, "Not found."),
        Some(c) if c.session_id != session_id => detail(
            StatusCode::FORBIDDEN,
            "You do not have permission to perform this action.",
        ),
        Some(c) => Json(c.detail()).into_response(),
    }
}

// ---- Socket.IO ----

#[derive(Debug)]
struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The documented handshake: `?token_source=api&token=KEY` on the connection URL.
/// A refusal reaches the client as a CONNECT_ERROR `{"message": "<status>: <reason>"}`.
async fn authorize(s: SocketRef) -> Result<(), Refused> {
    let query = s.req_parts().uri.query().unwrap_or("");
    let token = query_param(query, "token").filter(|t| !t.is_empty());
    let source = query_param(query, "token_source");
    match (token.as_deref(), source.as_deref()) {
        (None, _) => Err(Refused("400: token is required")),
        (_, s) if s != Some("api") => Err(Refused("400: token_source must be api")),
        (Some(keys::EUSATE), _) => Ok(()),
        _ => Err(Refused("401: invalid API key")),
    }
}

pub fn register_socket(io: &SocketIo, state: &AppState) {
    for ns in NAMESPACES {
        let st = state.clone();
        // Events are bound in the middleware, which runs before the server answers CONNECT:
        // socketioxide runs the connect handler in a task of its own after that answer, so a
        // client emitting at once (as every client does: `enter_customer_support`) could be
        // faster than the handler and its event silently dropped.
        let authorize_and_bind = move |s: SocketRef| {
            let st = st.clone();
            async move {
                authorize(s.clone()).await?;
                bind_events(&s, &st);
                Ok::<(), Refused>(())
            }
        };
        io.ns(ns, (async |_: SocketRef| {}).with(authorize_and_bind));
    }
}

fn bind_events(s: &SocketRef, st: &AppState) {
    bind(s, st, "enter_customer_support", enter_customer_support);
    bind(s, st, "enter_support", enter_support);
    bind(s, st, "leave_support", leave_support);
    bind(s, st, "support", support);
    bind(s, st, "mark_conversation_read", mark_conversation_read);
    bind(s, st, "close_support", close_support);
    bind(s, st, "review_support", review_support);
    if let Some(cut) = s.req_parts().extensions.get::<CutConnection>() {
        let mut db = st.store();
        db.eusate.socket_cuts.insert(s.id.to_string(), cut.clone());
    }
    let st = st.clone();
    s.on_disconnect(move |s: SocketRef| {
        let st = st.clone();
        async move {
            let mut db = st.store();
            db.eusate.socket_customer.remove(&s.id.to_string());
            db.eusate.socket_cuts.remove(&s.id.to_string());
        }
    });
}

fn bind<F, Fut>(s: &SocketRef, st: &AppState, event: &'static str, f: F)
where
    F: Fn(SocketRef, AckSender, Value, AppState) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let st = st.clone();
    s.on(
        event,
        move |s: SocketRef, ack: AckSender, TryData(data): TryData<Value>| {
            let st = st.clone();
            // Undecodable data becomes null and gets a 400 envelope from the handler.
            async move { f(s, ack, data.unwrap_or(Value::Null), st).await }
        },
    );
}

/// Takes the socket server down (every live socket's connection is cut, as by a network
/// drop, and new Engine.IO connections get 503) or brings it back up.
pub fn set_socket_down(state: &AppState, down: bool) -> Value {
    let mut db = state.store();
    db.eusate.socket_down = down;
    let cut = if down {
        let cuts: Vec<CutConnection> = db.eusate.socket_cuts.drain().map(|(_, c)| c).collect();
        cuts.iter().for_each(CutConnection::fire);
        cuts.len()
    } else {
        0
    };
    json!({ "down": down, "cut": cut })
}

/// Refuses Engine.IO connections while the socket server is down.
pub async fn socket_gate(
    State(state): State<AppState>,
    req: axum::extract::Request,
    next: middleware::Next,
) -> Response {
    let down = req.uri().path().starts_with("/socket.io") && state.store().eusate.socket_down;
    if down {
        return detail(
            StatusCode::SERVICE_UNAVAILABLE,
            "socket server down (sandbox)",
        );
    }
    next.run(req).await
}

pub fn envelope(sid: &str, status_code: u16, message: &str, data: Value) -> Value {
    json!({ "status_code": status_code, "sid": sid, "message": message, "data": data })
}

/// Answers on the same event name, and on the ack callback when one was asked for.
fn respond(s: &SocketRef, ack: AckSender, event: &str, code: u16, message: &str, data: Value) {
    let env = envelope(&s.id.to_string(), code, message, data);
    let _ = s.emit(event, &env);
    let _ = ack.send(&env);
}

fn str_arg(d: &Value, k: &str) -> Option<String> {
    d.get(k)
        .and_then(Value::as_str)
        .filter(|v| !v.trim().is_empty())
        .map(str::to_string)
}

fn customer_room(session_id: &str) -> String {
    format!("customer:{session_id}")
}

fn ticket_room(id: &str) -> String {
    format!("ticket:{id}")
}

async fn enter_customer_support(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "enter_customer_support";
    let Some(session_id) = str_arg(&d, "session_id") else {
        return respond(&s, ack, ev, 400, "session_id is required", Value::Null);
    };
    s.join(customer_room(&session_id));
    st.store()
        .eusate
        .socket_customer
        .insert(s.id.to_string(), session_id.clone());
    respond(
        &s,
        ack,
        ev,
        200,
        "Entered customer support",
        json!({ "session_id": session_id }),
    );
}

/// Checks the conversation exists and, when the socket named its customer, is theirs.
fn check_access(st: &AppState, s: &SocketRef, id: &str) -> Result<(), (u16, &'static str)> {
    let store = st.store();
    let db = &store.eusate;
    let conv = db
        .conversations
        .iter()
        .find(|c| c.id == id)
        .ok_or((404, "Conversation not found"))?;
    match db.socket_customer.get(&s.id.to_string()) {
        Some(owner) if *owner != conv.session_id => Err((403, "Access denied for this resource")),
        _ => Ok(()),
    }
}

async fn enter_support(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "enter_support";
    let Some(id) = str_arg(&d, "ticket_chat_id") else {
        return respond(&s, ack, ev, 400, "ticket_chat_id is required", Value::Null);
    };
    if let Err((code, msg)) = check_access(&st, &s, &id) {
        return respond(&s, ack, ev, code, msg, Value::Null);
    }
    s.join(ticket_room(&id));
    respond(
        &s,
        ack,
        ev,
        200,
        "Entered support",
        json!({ "ticket_chat_id": id }),
    );
}

async fn leave_support(s: SocketRef, ack: AckSender, d: Value, _st: AppState) {
    let ev = "leave_support";
    let Some(id) = str_arg(&d, "ticket_chat_id") else {
        return respond(&s, ack, ev, 400, "ticket_chat_id is required", Value::Null);
    };
    s.leave(ticket_room(&id));
    respond(
        &s,
        ack,
        ev,
        200,
        "Left support",
        json!({ "ticket_chat_id": id }),
    );
}

async fn mark_conversation_read(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "mark_conversation_read";
    let Some(id) = str_arg(&d, "ticket_chat_id") else {
        return respond(&s, ack, ev, 400, "ticket_chat_id is required", Value::Null);
    };
    if let Err((code, msg)) = check_access(&st, &s, &id) {
        return respond(&s, ack, ev, code, msg, Value::Null);
    }
    if let Some(c) = st
        .store()
        .eusate
        .conversations
        .iter_mut()
        .find(|c| c.id == id)
    {
        c.read_by_customer = true;
    }
    respond(
        &s,
        ack,
        ev,
        200,
        "Conversation marked as read",
        json!({ "ticket_chat_id": id }),
    );
}

async fn close_support(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "close_support";
    let Some(id) = str_arg(&d, "ticket_chat_id") else {
        return respond(&s, ack, ev, 400, "ticket_chat_id is required", Value::Null);
    };
    if let Err((code, msg)) = check_access(&st, &s, &id) {
        return respond(&s, ack, ev, code, msg, Value::Null);
    }
    match close_and_notify(&st, &id) {
        Ok(v) => respond(&s, ack, ev, 200, "Conversation closed", v),
        Err(e) => respond(&s, ack, ev, 404, &e.message, Value::Null),
    }
}

async fn review_support(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "review_support";
    let Some(id) = str_arg(&d, "ticket_chat_id") else {
        return respond(&s, ack, ev, 400, "ticket_chat_id is required", Value::Null);
    };
    if let Err((code, msg)) = check_access(&st, &s, &id) {
        return respond(&s, ack, ev, code, msg, Value::Null);
    }
    if let Some(c) = st
        .store()
        .eusate
        .conversations
        .iter_mut()
        .find(|c| c.id == id)
    {
        c.review = Some(d.clone());
    }
    respond(
        &s,
        ack,
        ev,
        200,
        "Review received",
        json!({ "ticket_chat_id": id }),
    );
}

enum SupportOutcome {
    /// The customer's message was stored; `answer` is SATE's reply, if SATE is responding.
    Stored {
        own: Value,
        answer: Option<Value>,
    },
    Refused(u16, String),
}

/// A customer message. `ticket_chat_id: null` opens a new conversation (at most
/// three open per customer); SATE answers on `support` unless an agent took over.
async fn support(s: SocketRef, ack: AckSender, d: Value, st: AppState) {
    let ev = "support";
    let sid = s.id.to_string();
    let mut huge = None;
    if let Some(f) =
        st.0.faults
            .take(Backend::Eusate, "SOCKET", "socket:support")
    {
        match f.mode {
            // The event is lost on the way: nothing stored, nothing answered.
            Mode::Drop => return,
            // The event is processed (the message and SATE's answer are stored), then neither
            // the ack nor the answer reaches the client: it cannot tell whether it arrived.
            Mode::DropAfter => {
                let _ = store_support(&st, &d, None);
                return;
            }
            Mode::Delay => {
                tokio::time::sleep(Duration::from_millis(f.delay_ms.unwrap_or(2000))).await
            }
            Mode::Status => {
                let code = f.status_code(StatusCode::INTERNAL_SERVER_ERROR).as_u16();
                return respond(
                    &s,
                    ack,
                    ev,
                    code,
                    "fault injected by the sandbox",
                    Value::Null,
                );
            }
            Mode::RetryAfter => {
                let code = f.status_code(StatusCode::TOO_MANY_REQUESTS).as_u16();
                let data = json!({ "retry_after": f.retry_after_s.unwrap_or(2) });
                return respond(
                    &s,
                    ack,
                    ev,
                    code,
                    "fault injected by the sandbox: retry later",
                    data,
                );
            }
            // A payload that is not an envelope at all.
            Mode::Malformed => {
                let _ = s.emit(ev, "{\"malformed\": tru");
                return;
            }
            Mode::Huge | Mode::Stream => {
                huge = Some(f.size_bytes.unwrap_or(faults::DEFAULT_HUGE_BYTES))
            }
        }
    }
    let outcome = store_support(&st, &d, huge);
    match outcome {
        SupportOutcome::Refused(code, msg) => respond(&s, ack, ev, code, &msg, Value::Null),
        SupportOutcome::Stored { own, answer } => {
            let _ = ack.send(&envelope(&sid, 200, "Message received", own));
            if let Some(a) = answer {
                let _ = s.emit(ev, &envelope(&sid, 200, "Success", a));
            }
        }
    }
}

fn store_support(st: &AppState, d: &Value, huge: Option<usize>) -> SupportOutcome {
    let refuse = |c: u16, m: &str| SupportOutcome::Refused(c, m.to_string());
    let Some(session_id) = str_arg(d, "session_id") else {
        return refuse(400, "session_id is required");
    };
    let Some(text) = str_arg(d, "message") else {
        return refuse(400, "message is required");
    };
    let attachment = d
        .get("attachment")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut store = st.store();
    let db = &mut store.eusate;
    let idx = match d.get("ticket_chat_id") {
        None | Some(Value::Null) => {
            let open = db
                .conversations
                .iter()
                .filter(|c| c.session_id == session_id && !c.closed)
                .count();
            if open >= MAX_OPEN_PER_CUSTOMER {
                return refuse(
                    400,
                    "You can have at most 3 open conversations. Close one to start a new one.",
                );
            }
            db.next_ticket += 1;
            let now = util::iso_micros();
            db.conversations.push(Conv {
                id: util::uuid(),
                session_id: session_id.clone(),
                date_created: now.clone(),
                date_updated: now,
                closed: false,
                close_support: false,
                read_by_customer: true,
                read_by_agent: false,
                responder: "sate",
                ticket: util::uuid(),
                ticket_slug: format!("customer-inquiry-{}", db.next_ticket),
                messages: Vec::new(),
                review: None,
            });
            db.conversations.len() - 1
        }
        Some(Value::String(id)) => {
            let Some(i) = db.conversations.iter().position(|c| &c.id == id) else {
                return refuse(404, "Conversation not found");
            };
            let c = &db.conversations[i];
            if c.session_id != session_id {
                return refuse(403, "Access denied for this resource");
            }
            if c.closed {
                return refuse(400, "Conversation is closed");
            }
            i
        }
        Some(_) => return refuse(400, "ticket_chat_id must be a string or null"),
    };
    let conv = &mut db.conversations[idx];
    if attachment && conv.responder != "agent" {
        return refuse(
            400,
            "Attachments are only available when an agent is responding",
        );
    }
    let own = conv.push("customer", text.clone(), attachment);
    conv.read_by_agent = false;
    let own = conv.event_data(&own);
    if conv.responder != "sate" {
        return SupportOutcome::Stored { own, answer: None };
    }
    let (reply, hand_over, suggest_close) = sate_answer(&text);
    let reply = match huge {
        Some(n) => "x".repeat(n),
        None => reply,
    };
    if hand_over {
        conv.responder = "agent";
    }
    conv.close_support = suggest_close;
    let m = conv.push("sate", reply, false);
    conv.read_by_customer = false;
    SupportOutcome::Stored {
        own,
        answer: Some(conv.event_data(&m)),
    }
}

/// SATE's canned answer: (text, hand over to a human, suggest closing).
fn sate_answer(question: &str) -> (String, bool, bool) {
    let q = question.to_lowercase();
    if q.contains("human") {
        return (
            "I'm connecting you with a human agent. They will answer here.".into(),
            true,
            false,
        );
    }
    if q.contains("bye") || q.contains("that's all") {
        return (
            "Glad I could help. Can I close this conversation?".into(),
            false,
            true,
        );
    }
    let short: String = question.chars().take(120).collect();
    (
        format!("SATE here. You asked: \"{short}\". I can help with orders, returns and accounts."),
        false,
        false,
    )
}

/// Pushes `data` to every socket in these rooms, each with its own `sid`.
fn deliver(st: &AppState, rooms: Vec<String>, event: &str, message: &str, data: &Value) -> usize {
    let Some(io) = st.io() else { return 0 };
    let mut sent = 0;
    for ns in NAMESPACES {
        let Some(op) = io.of(ns) else { continue };
        for sock in op.to(rooms.clone()).sockets() {
            let env = envelope(&sock.id.to_string(), 200, message, data.clone());
            if sock.emit(event, &env).is_ok() {
                sent += 1;
            }
        }
    }
    sent
}

fn close_and_notify(st: &AppState, id: &str) -> Result<Value, ControlError> {
    let (data, session_id) = {
        let mut store = st.store();
        let c = store
            .eusate
            .conversations
            .iter_mut()
            .find(|c| c.id == id)
            .ok_or_else(|| ControlError::not_found("eusate", id))?;
        c.closed = true;
        c.close_support = true;
        c.date_updated = util::iso_micros();
        let mut data = c.summary();
        data["ticket_chat_id"] = json!(c.id);
        (data, c.session_id.clone())
    };
    let rooms = vec![customer_room(&session_id), ticket_room(id)];
    let delivered = deliver(
        st,
        rooms,
        "customer_support_closed",
        "Conversation closed",
        &data,
    );
    let mut v = data;
    v["delivered"] = json!(delivered);
    Ok(v)
}

// ---- control (agent side) ----

pub fn snapshot(state: &AppState) -> Value {
    let store = state.store();
    let list: Vec<Value> = store
        .eusate
        .conversations
        .iter()
        .map(|c| {
            let mut v = c.detail();
            v["session_id"] = json!(c.session_id);
            v["review"] = json!(c.review);
            v
        })
        .collect();
    json!(list)
}

/// Stores an agent answer and pushes it on `customer_support` to the customer's
/// sockets (its customer room and the conversation room).
pub fn agent_reply(
    state: &AppState,
    conversation: &str,
    text: &str,
) -> Result<Value, ControlError> {
    let (data, session_id) = {
        let mut store = state.store();
        let c = store
            .eusate
            .conversations
            .iter_mut()
            .find(|c| c.id == conversation)
            .ok_or_else(|| ControlError::not_found("eusate", conversation))?;
        c.responder = "agent";
        c.read_by_agent = true;
        c.read_by_customer = false;
        let m = c.push("agent", text.to_string(), false);
        (c.event_data(&m), c.session_id.clone())
    };
    let rooms = vec![customer_room(&session_id), ticket_room(conversation)];
    let delivered = deliver(state, rooms, "customer_support", "New message", &data);
    Ok(json!({ "message": data, "delivered": delivered }))
}

pub fn close(state: &AppState, conversation: &str) -> Result<Value, ControlError> {
    close_and_notify(state, conversation)
}
