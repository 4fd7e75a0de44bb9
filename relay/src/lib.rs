//! helpwire-relay: holds a helpdesk's secrets and speaks one small HTTP API to the widget
//! (README.md, openapi.yaml). It reaches the helpdesk through helpwire-core's sans-IO protocol
//! modules, run natively ([`upstream`]), so each vendor's API has one implementation.

pub mod api;
pub mod backend;
pub mod config;
pub mod eusate;
pub mod events;
pub mod hooks;
pub mod limits;
pub mod redis;
pub mod stream;
pub mod token;
pub mod upstream;

use std::net::SocketAddr;
use std::sync::Arc;

pub use api::AppState;
pub use config::Config;

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_state(AppState::new(config), listener, shutdown).await
}

/// [`serve`] with a state already made (tests give it another clock).
pub async fn serve_state(
    state: AppState,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // A graceful shutdown waits for open responses: end the event streams when it starts.
    let events = state.events.clone();
    let shutdown = async move {
        shutdown.await;
        events.close_all();
    };
    let app = api::router(Arc::new(state));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
