//! Our own accept loop instead of `axum::serve`: it lets the `drop` fault close a
//! request's TCP connection without answering, which axum's server cannot do.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::{extract::Request, Router};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::{net::TcpListener, sync::watch, sync::Notify, task::JoinSet};
use tower::ServiceExt;

/// Request extension: firing it closes the connection the request came on.
#[derive(Clone, Default)]
pub struct DropConnection(Arc<Notify>);

impl DropConnection {
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets open requests
/// finish for a short while (upgraded WebSockets are simply dropped on exit).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Usually EMFILE; back off instead of spinning.
                eprintln!("sandbox: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        conns.spawn(serve_connection(stream, app.clone(), stop_rx.clone()));
        while conns.try_join_next().is_some() {}
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(3), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    Ok(())
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    app: Router,
    mut stop: watch::Receiver<bool>,
) {
    let drop_signal = DropConnection::default();
    let signal = drop_signal.clone();
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(signal.clone());
        app.clone().oneshot(req)
    });
    let conn = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), svc)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        // Returning drops `conn`, which closes the socket mid-request.
        _ = drop_signal.0.notified() => return,
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(2), conn).await;
}
