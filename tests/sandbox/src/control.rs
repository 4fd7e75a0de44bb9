//! `/_sandbox/…`: the agent's side and the test harness's switches. Not part of
//! any vendor API; errors here are `{"error": "…"}`.

use axum::{
    body::Bytes,
    extract::{Path, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    bancroft, bot, eusate,
    faults::{Backend, FaultSpec},
    gleap::{self, NoteStyle},
    gurusup, util, AppState,
};

#[derive(Debug)]
pub struct ControlError {
    pub status: StatusCode,
    pub message: String,
}

impl ControlError {
    pub fn bad_request(msg: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: msg.into(),
        }
    }

    pub fn not_found(backend: &str, id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!("no {backend} conversation {id:?}"),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

type Result<T> = std::result::Result<T, ControlError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/app.js", get(page_js))
        .route("/app.css", get(page_css))
        .route("/health", get(|| async { Json(json!({ "ok": true })) }))
        .route("/config", get(get_config).post(set_config))
        .route("/reset", post(reset))
        .route(
            "/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/faults/streamed", get(streamed_bytes))
        .route("/conversations", get(all_conversations))
        .route("/{backend}/conversations", get(conversations))
        .route("/{backend}/reply", post(reply))
        .route("/{backend}/close", post(close))
        .route("/eusate/socket", post(eusate_socket))
        .route("/gurusup/webhook", get(webhook_status).post(set_webhook))
        .fallback(|| async {
            ControlError {
                status: StatusCode::NOT_FOUND,
                message: "no such control endpoint".into(),
            }
        })
}

fn backend(name: &str) -> Result<Backend> {
    name.parse().map_err(ControlError::bad_request)
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    util::parse_json(body).map_err(ControlError::bad_request)
}

// ---- the page (its script is a separate file: the CSP forbids inline code) ----

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_SECURITY_POLICY, CSP),
            (header::CACHE_CONTROL, "no-store"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

pub async fn page_html() -> Response {
    asset("text/html; charset=utf-8", include_str!("page/index.html"))
}

async fn page_js() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("page/app.js"),
    )
}

async fn page_css() -> Response {
    asset("text/css; charset=utf-8", include_str!("page/app.css"))
}

// ---- switches ----

async fn get_config(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.config()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigPatch {
    gleap_proxy: Option<bool>,
    gurusup_proxy: Option<bool>,
    gleap_rate_limit: Option<u32>,
}

async fn set_config(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>> {
    let p: ConfigPatch = parse(&body)?;
    let c = state.update_config(|c| {
        if let Some(v) = p.gleap_proxy {
            c.gleap_proxy = v;
        }
        if let Some(v) = p.gurusup_proxy {
            c.gurusup_proxy = v;
        }
        if let Some(v) = p.gleap_rate_limit {
            c.gleap_rate_limit = v;
        }
    });
    Ok(Json(json!(c)))
}

async fn reset(State(state): State<AppState>) -> Json<Value> {
    state.reset();
    Json(json!({ "ok": true }))
}

async fn list_faults(State(state): State<AppState>) -> Json<Value> {
    Json(json!(state.0.faults.list()))
}

async fn add_fault(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>> {
    let spec: FaultSpec = parse(&body)?;
    spec.validate().map_err(ControlError::bad_request)?;
    state.0.faults.add(spec);
    Ok(Json(json!(state.0.faults.list())))
}

/// How many bytes `stream` faults handed to connections since the last clear.
async fn streamed_bytes(State(state): State<AppState>) -> Json<Value> {
    Json(json!({ "bytes": state.0.faults.streamed() }))
}

async fn clear_faults(State(state): State<AppState>) -> Json<Value> {
    state.0.faults.clear();
    Json(json!([]))
}

// ---- conversations and the agent ----

fn snapshot(state: &AppState, b: Backend) -> Value {
    match b {
        Backend::Bancroft => bancroft::snapshot(state),
        Backend::Gleap => gleap::snapshot(state),
        Backend::Gurusup => gurusup::snapshot(state),
        Backend::Eusate => eusate::snapshot(state),
        Backend::Bot => bot::snapshot(state),
    }
}

async fn all_conversations(State(state): State<AppState>) -> Json<Value> {
    let mut all = serde_json::Map::new();
    for b in Backend::ALL {
        all.insert(b.as_str().into(), snapshot(&state, b));
    }
    Json(Value::Object(all))
}

async fn conversations(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<Value>> {
    Ok(Json(snapshot(&state, backend(&name)?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyRequest {
    conversation: Value,
    text: String,
    #[serde(default)]
    note: bool,
    #[serde(default)]
    rich: bool,
    /// Gleap notes: "both" (default), "type" or "flag".
    note_style: Option<String>,
    /// Gleap: mark the comment as written by a bot.
    #[serde(default)]
    bot: bool,
    /// Bancroft and Gleap: what the API returns for this message instead (hostile data): an
    /// object's fields replace the message's, anything else (`null` too) the whole list item.
    #[serde(default, deserialize_with = "util::present")]
    raw: Option<Value>,
}

fn id_string(v: &Value) -> Result<String> {
    match v {
        Value::String(s) if !s.is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(ControlError::bad_request(
            "conversation must be the backend's conversation id",
        )),
    }
}

/// The agent's answer: plain text, or for Gleap and the bot a TipTap doc with the
/// text in bold followed by a link and a bullet list.
fn agent_message(text: &str, rich: bool) -> Value {
    if rich {
        util::tiptap_doc("", text)
    } else {
        json!(text)
    }
}

async fn reply(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let b = backend(&name)?;
    let r: ReplyRequest = parse(&body)?;
    let id = id_string(&r.conversation)?;
    if r.text.trim().is_empty() {
        return Err(ControlError::bad_request("text is required"));
    }
    if (r.note || r.note_style.is_some() || r.bot) && b != Backend::Gleap {
        return Err(ControlError::bad_request(
            "note, note_style and bot exist only for gleap",
        ));
    }
    if r.raw.is_some() && !matches!(b, Backend::Bancroft | Backend::Gleap) {
        return Err(ControlError::bad_request(
            "raw exists only for bancroft and gleap",
        ));
    }
    if r.rich && !matches!(b, Backend::Gleap | Backend::Bot) {
        return Err(ControlError::bad_request(
            "rich replies exist only for gleap and bot: the other APIs carry plain strings",
        ));
    }
    let v = match b {
        Backend::Bancroft => bancroft::agent_reply(&state, &id, &r.text, r.raw)?,
        Backend::Gurusup => gurusup::agent_reply(&state, &id, &r.text)?,
        Backend::Eusate => eusate::agent_reply(&state, &id, &r.text)?,
        Backend::Bot => bot::agent_reply(&state, &id, agent_message(&r.text, r.rich))?,
        Backend::Gleap => {
            let style = match (&r.note_style, r.note) {
                (Some(s), _) => Some(s.parse::<NoteStyle>().map_err(ControlError::bad_request)?),
                (None, true) => Some(NoteStyle::Both),
                (None, false) => None,
            };
            gleap::agent_reply(
                &state,
                &id,
                agent_message(&r.text, r.rich),
                style,
                r.bot,
                r.raw,
            )?
        }
    };
    Ok(Json(v))
}

#[derive(Deserialize)]
struct CloseRequest {
    conversation: Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WebhookRequest {
    url: Option<String>,
    key: Option<String>,
}

async fn webhook_status(State(state): State<AppState>) -> Json<Value> {
    Json(state.0.webhook.status())
}

/// `{url, key}` sends Gurusup's message events there from now on; `{url: null}` stops them.
async fn set_webhook(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>> {
    let r: WebhookRequest = parse(&body)?;
    let target = match (r.url, r.key) {
        (None, _) => None,
        (Some(url), _) if !(url.starts_with("http://") || url.starts_with("https://")) => {
            return Err(ControlError::bad_request("url must be an http(s) URL"))
        }
        (Some(url), Some(key)) if !key.is_empty() => Some(crate::webhook::Target { url, key }),
        (Some(_), _) => return Err(ControlError::bad_request("key is required with url")),
    };
    state.0.webhook.set(target);
    Ok(Json(state.0.webhook.status()))
}

#[derive(Deserialize)]
struct SocketRequest {
    down: bool,
}

async fn eusate_socket(State(state): State<AppState>, body: Bytes) -> Result<Json<Value>> {
    let r: SocketRequest = parse(&body)?;
    Ok(Json(eusate::set_socket_down(&state, r.down)))
}

async fn close(
    State(state): State<AppState>,
    Path(name): Path<String>,
    body: Bytes,
) -> Result<Json<Value>> {
    let b = backend(&name)?;
    let r: CloseRequest = parse(&body)?;
    let id = id_string(&r.conversation)?;
    let v = match b {
        Backend::Bancroft => bancroft::close(&state, &id)?,
        Backend::Gleap => gleap::close(&state, &id)?,
        Backend::Eusate => eusate::close(&state, &id)?,
        Backend::Gurusup | Backend::Bot => {
            return Err(ControlError::bad_request(format!(
                "{b} has no conversation status to close"
            )))
        }
    };
    Ok(Json(v))
}
