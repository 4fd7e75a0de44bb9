use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use helpwire_sandbox::{app, serve, AppState, Config};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio_tungstenite::{tungstenite::Message, MaybeTlsStream, WebSocketStream};

/// A sandbox on an ephemeral port, stopped when dropped.
pub struct Sandbox {
    pub addr: std::net::SocketAddr,
    pub http: Client,
    _stop: oneshot::Sender<()>,
}

pub async fn start() -> Sandbox {
    start_with(Config::default()).await
}

pub async fn start_with(config: Config) -> Sandbox {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = oneshot::channel::<()>();
    let router = app(AppState::new(config));
    tokio::spawn(serve(listener, router, async {
        let _ = rx.await;
    }));
    let http = Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    Sandbox {
        addr,
        http,
        _stop: tx,
    }
}

impl Sandbox {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, self.url(path))
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str, body: &Value) -> RequestBuilder {
        self.req(Method::POST, path).json(body)
    }

    /// POST to a control endpoint, expecting success.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let res = self
            .post(path, &body)
            .send()
            .await
            .expect("control request");
        let status = res.status();
        let v: Value = res.json().await.expect("control json");
        assert!(status.is_success(), "{path} -> {status}: {v}");
        v
    }

    pub async fn conversations(&self, backend: &str) -> Value {
        json_of(
            self.get(&format!("/_sandbox/{backend}/conversations"))
                .send()
                .await
                .expect("list"),
        )
        .await
    }
}

pub async fn json_of(res: Response) -> Value {
    res.json().await.expect("json body")
}

/// Status and JSON body of a response.
pub async fn status_json(res: Response) -> (u16, Value) {
    let s = res.status().as_u16();
    let text = res.text().await.expect("body");
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (s, v)
}

/// A hand-written Engine.IO v4 / Socket.IO v5 client over a raw WebSocket.
pub struct RawSocketIo {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl RawSocketIo {
    /// Opens the Engine.IO session; `path` is e.g. `/socket.io/`, `query` the
    /// handshake query (the widget's `token_source=api&token=…`).
    pub async fn open(sb: &Sandbox, path: &str, query: &str) -> Self {
        let url = format!("ws://{}{path}?EIO=4&transport=websocket&{query}", sb.addr);
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("ws connect");
        let mut me = Self { ws };
        let open = me.recv_raw().await;
        assert!(open.starts_with("0{"), "engine.io open packet, got {open}");
        me
    }

    pub async fn send_raw(&mut self, frame: &str) {
        self.ws.send(Message::text(frame)).await.expect("ws send");
    }

    /// Next text frame, answering Engine.IO pings on the way.
    pub async fn recv_raw(&mut self) -> String {
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("timed out waiting for a frame")
                .expect("socket closed")
                .expect("ws error");
            if let Message::Text(t) = msg {
                let t = t.to_string();
                if t == "2" {
                    self.send_raw("3").await;
                    continue;
                }
                return t;
            }
        }
    }

    /// Waits for the connection to end; `true` if it ended without a WebSocket close frame
    /// (cut, as by a network drop), `false` if the server closed it properly.
    pub async fn ended_without_close_frame(&mut self) -> bool {
        loop {
            let next = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("timed out waiting for the connection to end");
            match next {
                None | Some(Err(_)) => return true,
                Some(Ok(Message::Close(_))) => return false,
                Some(Ok(_)) => {}
            }
        }
    }

    /// Nothing arrives within `wait` (pings aside).
    pub async fn expect_silence(&mut self, wait: Duration) {
        let got = tokio::time::timeout(wait, self.ws.next()).await;
        if let Ok(Some(Ok(Message::Text(t)))) = got {
            assert_eq!(t.as_str(), "2", "expected no frame, got {t}");
        }
    }

    /// Socket.IO CONNECT to a namespace; returns the server's reply packet.
    pub async fn connect_ns(&mut self, ns: &str) -> String {
        self.send_raw(&format!("40{ns},")).await;
        self.recv_raw().await
    }

    pub async fn emit(&mut self, ns: &str, event: &str, data: &Value) {
        let frame = format!("42{ns},{}", serde_json::json!([event, data]));
        self.send_raw(&frame).await;
    }

    /// Next EVENT packet in `ns`: (event name, first argument).
    pub async fn next_event(&mut self, ns: &str) -> (String, Value) {
        let prefix = format!("42{ns},");
        let frame = self.recv_raw().await;
        let body = frame
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("expected an event in {ns}, got {frame}"));
        let v: Value = serde_json::from_str(body).expect("event json");
        let name = v[0].as_str().expect("event name").to_string();
        (name, v[1].clone())
    }

    /// Next event with this name, skipping others.
    pub async fn wait_event(&mut self, ns: &str, name: &str) -> Value {
        for _ in 0..20 {
            let (n, v) = self.next_event(ns).await;
            if n == name {
                return v;
            }
        }
        panic!("no {name} event");
    }
}
