//! Our own accept loop instead of `axum::serve`: it lets the `drop` fault close a
//! request's TCP connection without answering, which axum's server cannot do, and the
//! control API cut a connection that was upgraded to a WebSocket.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::{extract::Request, Router};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::{net::TcpListener, net::TcpStream, sync::watch, sync::Notify, task::JoinSet};
use tower::ServiceExt;

/// Request extension: firing it closes the connection the request came on.
#[derive(Clone, Default)]
pub struct DropConnection(Arc<Notify>);

impl DropConnection {
    pub fn fire(&self) {
        self.0.notify_one();
    }
}

/// Request extension: cuts the connection the request came on, also after it was upgraded
/// to a WebSocket (hyper then no longer owns it): reads fail, writes fail, the socket closes
/// without a WebSocket close frame, as when the network drops.
#[derive(Clone)]
pub struct CutConnection(Arc<watch::Sender<bool>>);

impl CutConnection {
    pub fn fire(&self) {
        self.0.send_replace(true);
    }
}

/// A connection's TCP stream that fails once its [`CutConnection`] fires.
struct Cuttable {
    stream: TcpStream,
    cut: Pin<Box<dyn Future<Output = ()> + Send>>,
    is_cut: bool,
}

impl Cuttable {
    fn new(stream: TcpStream) -> (Self, CutConnection) {
        let (tx, mut rx) = watch::channel(false);
        let cut = Box::pin(async move {
            // Every handle dropped: nobody can cut it any more.
            if rx.wait_for(|cut| *cut).await.is_err() {
                std::future::pending::<()>().await
            }
        });
        let io = Cuttable {
            stream,
            cut,
            is_cut: false,
        };
        (io, CutConnection(Arc::new(tx)))
    }

    /// Also registers the task to be woken when the cut comes.
    fn poll_cut(&mut self, cx: &mut Context<'_>) -> bool {
        if !self.is_cut && self.cut.as_mut().poll(cx).is_ready() {
            self.is_cut = true;
        }
        self.is_cut
    }
}

impl AsyncRead for Cuttable {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.poll_cut(cx) {
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut this.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Cuttable {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.poll_cut(cx) {
            return Poll::Ready(Err(io::ErrorKind::BrokenPipe.into()));
        }
        Pin::new(&mut this.stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
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

async fn serve_connection(stream: TcpStream, app: Router, mut stop: watch::Receiver<bool>) {
    let drop_signal = DropConnection::default();
    let signal = drop_signal.clone();
    let (stream, cut) = Cuttable::new(stream);
    let svc = hyper::service::service_fn(move |mut req: Request<Incoming>| {
        req.extensions_mut().insert(signal.clone());
        req.extensions_mut().insert(cut.clone());
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
