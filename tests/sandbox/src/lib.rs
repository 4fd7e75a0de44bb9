//! Helpwire sandbox helpdesk: one local HTTP server that imitates, with in-memory
//! state, every helpdesk backend the widget talks to (Bancroft, Gleap v3, Gurusup,
//! Eusate REST + Socket.IO, and the Gleap-style `bot` contract), plus control
//! endpoints under `/_sandbox/` so tests and people can act as the agent.

// Handlers return early with a finished HTTP error response; its size on the
// stack does not matter in a test server, and boxing would only add noise.
#![allow(clippy::result_large_err)]

pub mod bancroft;
pub mod bot;
pub mod control;
pub mod eusate;
pub mod faults;
pub mod gleap;
pub mod gurusup;
pub mod server;
pub mod util;
pub mod webhook;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::{
    extract::Request,
    http::{header, HeaderName, HeaderValue, Method},
    response::Redirect,
    routing::get,
    Router,
};
use tower_http::cors::{AllowOrigin, CorsLayer};

pub use faults::Backend;
pub use server::serve;

/// Keys the sandbox accepts. They are public test values, never real secrets.
pub mod keys {
    pub const BANCROFT_CLIENT: &str = "bnc_cl_test";
    pub const BANCROFT_SERVER: &str = "bnc_sv_test";
    pub const GLEAP_SECRET: &str = "gleap_secret_test";
    pub const GLEAP_PROJECT: &str = "proj_test";
    pub const GURUSUP: &str = "gurusup_test";
    pub const EUSATE: &str = "eusate_test";
    pub const BOT: &str = "bot_test";
}

/// Runtime switches; `POST /_sandbox/config` changes them, `/_sandbox/reset` restores them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// Gleap behind a site proxy: requests without auth headers are accepted.
    pub gleap_proxy: bool,
    /// Gurusup behind a site proxy: requests without `x-api-key` are accepted.
    pub gurusup_proxy: bool,
    /// Gleap's documented limit: requests per 60 s per project before 429.
    pub gleap_rate_limit: u32,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            gleap_proxy: true,
            gurusup_proxy: true,
            gleap_rate_limit: 1000,
        }
    }
}

/// Every backend's in-memory data.
#[derive(Default)]
pub struct Store {
    pub bancroft: bancroft::Db,
    pub gleap: gleap::Db,
    pub gurusup: gurusup::Db,
    pub eusate: eusate::Db,
    pub bot: bot::Db,
}

pub struct Shared {
    initial_config: Config,
    config: Mutex<Config>,
    store: Mutex<Store>,
    pub faults: faults::Faults,
    /// Set by [`app`]; used to push agent answers to Eusate sockets.
    io: Mutex<Option<socketioxide::SocketIo>>,
    /// Gurusup's webhook target and its delivery counters.
    pub webhook: webhook::Webhook,
}

/// Cheap to clone handle on the shared state.
#[derive(Clone)]
pub struct AppState(pub Arc<Shared>);

impl AppState {
    pub fn new(config: Config) -> Self {
        Self(Arc::new(Shared {
            initial_config: config.clone(),
            config: Mutex::new(config),
            store: Mutex::new(Store::default()),
            faults: faults::Faults::default(),
            io: Mutex::new(None),
            webhook: webhook::Webhook::default(),
        }))
    }

    /// Locks the store. A panic while holding it would only poison test data,
    /// so a poisoned lock is recovered instead of propagating the panic.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.0.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn config(&self) -> Config {
        self.0
            .config
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn update_config(&self, f: impl FnOnce(&mut Config)) -> Config {
        let mut c = self.0.config.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut c);
        c.clone()
    }

    pub fn io(&self) -> Option<socketioxide::SocketIo> {
        self.0.io.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Clears every conversation, fault and counter and restores the start-up config.
    pub fn reset(&self) {
        *self.store() = Store::default();
        self.0.faults.clear();
        self.0.webhook.reset();
        let initial = self.0.initial_config.clone();
        self.update_config(|c| *c = initial);
    }
}

/// The whole sandbox as one router: backends under their prefixes, Socket.IO at
/// `/socket.io/` (also reachable as `/eusate/socket.io/`), control under `/_sandbox/`.
pub fn app(state: AppState) -> Router {
    let (sio_layer, io) = socketioxide::SocketIo::new_layer();
    eusate::register_socket(&io, &state);
    *state.0.io.lock().unwrap_or_else(|e| e.into_inner()) = Some(io);

    Router::new()
        .nest("/bancroft", bancroft::router(state.clone()))
        .nest("/gleap", gleap::router(state.clone()))
        .nest("/gurusup", gurusup::router(state.clone()))
        .nest("/eusate", eusate::router(state.clone()))
        .merge(bot::router(state.clone()))
        .nest("/_sandbox", control::router())
        .route("/_sandbox/", get(control::page_html))
        .route(
            "/_sandbox",
            get(|| async { Redirect::permanent("/_sandbox/") }),
        )
        .route("/", get(|| async { Redirect::temporary("/_sandbox/") }))
        .with_state(state.clone())
        .layer(sio_layer)
        .layer(axum::middleware::from_fn_with_state(
            state,
            eusate::socket_gate,
        ))
        // Outside the Socket.IO layer so both engine paths reach the same server.
        .layer(axum::middleware::map_request(rewrite_eusate_engine_path))
        .layer(cors())
}

/// A client whose Eusate base is `http://host/eusate` may derive the engine path
/// from it (`/eusate/socket.io/`); the real service only has `/socket.io/`.
async fn rewrite_eusate_engine_path(mut req: Request) -> Request {
    let path = req.uri().path();
    if let Some(rest) = path.strip_prefix("/eusate/socket.io") {
        let pq = match req.uri().query() {
            Some(q) => format!("/socket.io{rest}?{q}"),
            None => format!("/socket.io{rest}"),
        };
        if let Ok(uri) = pq.parse() {
            *req.uri_mut() = uri;
        }
    }
    req
}

/// Browsers on any localhost port may call every backend, as the widget would
/// from a test page; Retry-After is exposed so the widget can honour it.
fn cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(|origin: &HeaderValue, _| {
            origin.to_str().map(is_local_origin).unwrap_or(false)
        }))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("project"),
        ])
        .expose_headers([header::RETRY_AFTER])
}

/// `http://localhost[:port]` or `http://127.0.0.1[:port]`, nothing else.
pub fn is_local_origin(origin: &str) -> bool {
    let Some(rest) = origin.strip_prefix("http://") else {
        return false;
    };
    let host_port = rest;
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (host_port, None),
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    (host == "localhost" || host == "127.0.0.1") && port_ok
}
