//! The harness: the sandbox helpdesk as a child process (tests/sandbox, built with
//! `cargo build --release`), the relay in-process on 127.0.0.1:0, and a log capture.

use helpwire_relay::Config;
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

pub const ORIGIN: &str = "https://shop.example";
pub const TOKEN_SECRET: &str = "test-token-secret-0123456789abcdef-XYZ";
pub const OTHER_SECRET: &str = "other-token-secret-0123456789abcdef-QRS";
pub const IDENTITY_SECRET: &str = "test-identity-secret-0123456789abcdef-IDS";

/// The vendors' keys, as the sandbox checks them (tests/sandbox/README.md).
pub fn api_key(kind: &str) -> &'static str {
    match kind {
        "gleap" => "gleap_secret_test",
        "gurusup" => "gurusup_test",
        "bancroft" => "bnc_cl_test",
        "bot" => "Bearer bot_test",
        "eusate" => "eusate_test",
        _ => unreachable!(),
    }
}

fn sandbox_bin() -> PathBuf {
    if let Ok(p) = std::env::var("HELPWIRE_SANDBOX_BIN") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = root.join("tests/sandbox/target/release/helpwire-sandbox");
    if local.exists() {
        return local;
    }
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        let shared = PathBuf::from(dir).join("release/helpwire-sandbox");
        if shared.exists() {
            return shared;
        }
    }
    panic!(
        "the sandbox helpdesk is not built: run `cargo build --release --manifest-path \
         tests/sandbox/Cargo.toml` (or set HELPWIRE_SANDBOX_BIN)"
    );
}

/// A sandbox helpdesk process on a free port, killed when dropped.
pub struct Sandbox {
    child: Child,
    pub url: String,
    http: Client,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sandbox {
    pub fn start() -> Sandbox {
        let mut child = Command::new(sandbox_bin())
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("the sandbox prints its address")
                .expect("readable");
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        // Keep draining stdout so the sandbox never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Sandbox {
            child,
            url,
            http: client(),
        }
    }

    /// A control call (`/_sandbox/…`), expecting success.
    pub async fn control(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.clone(), format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("the sandbox answers");
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path} → {status}: {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).expect("control JSON")
        }
    }

    pub async fn conversations(&self, backend: &str) -> Value {
        self.control(
            Method::GET,
            &format!("/_sandbox/{backend}/conversations"),
            None,
        )
        .await
    }

    pub async fn reply(&self, backend: &str, body: Value) -> Value {
        self.control(
            Method::POST,
            &format!("/_sandbox/{backend}/reply"),
            Some(body),
        )
        .await
    }

    /// Support closes a conversation (`{conversation}`).
    pub async fn close(&self, backend: &str, body: Value) -> Value {
        self.control(
            Method::POST,
            &format!("/_sandbox/{backend}/close"),
            Some(body),
        )
        .await
    }

    pub async fn fault(&self, body: Value) {
        self.control(Method::POST, "/_sandbox/faults", Some(body))
            .await;
    }
}

pub fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

/// The relay's config for `kind` against `sandbox`, with `extra` TOML appended to the top level
/// (before `[backend]`) and `limits` as the `[limits]` table's lines.
pub fn config_text(sandbox: &Sandbox, kind: &str, top: &str, limits: &str) -> String {
    let project = if kind == "gleap" {
        "project = \"proj_test\"\n"
    } else {
        ""
    };
    format!(
        "listen = \"127.0.0.1:0\"\n\
         allowed_origins = [\"{ORIGIN}\"]\n\
         token_secrets = [\"{TOKEN_SECRET}\"]\n\
         {top}\n\
         [backend]\n\
         kind = \"{kind}\"\n\
         api_base = \"{}/{kind}\"\n\
         api_key = \"env:TEST_API_KEY\"\n\
         {project}\n\
         [limits]\n\
         {limits}\n",
        sandbox.url
    )
}

pub fn parse_config(text: &str, kind: &str) -> Config {
    let key = api_key(kind).to_string();
    Config::parse(text, &move |name| {
        (name == "TEST_API_KEY").then(|| key.clone())
    })
    .expect("valid config")
}

/// A relay running in-process; stops when dropped.
pub struct Relay {
    pub url: String,
    pub http: Client,
    pub config: Config,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub async fn start_relay(config: Config) -> Relay {
    start_relay_with(helpwire_relay::AppState::new(config.clone()), config).await
}

/// A relay whose token clock runs `offset` seconds ahead of the real one, as the test moves it.
pub async fn start_relay_with_clock(
    config: Config,
    offset: std::sync::Arc<std::sync::atomic::AtomicU64>,
) -> Relay {
    let clock = move || {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        now + offset.load(std::sync::atomic::Ordering::SeqCst)
    };
    let state =
        helpwire_relay::AppState::new(config.clone()).with_clock(std::sync::Arc::new(clock));
    start_relay_with(state, config).await
}

pub async fn start_relay_with(state: helpwire_relay::AppState, config: Config) -> Relay {
    install_log_capture();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(helpwire_relay::serve_state(state, listener, async {
        let _ = rx.await;
    }));
    Relay {
        url: format!("http://{addr}"),
        http: client(),
        config,
        _stop: tx,
    }
}

/// A relay for `kind` on a fresh sandbox with default settings.
pub async fn relay_for(kind: &str) -> (Sandbox, Relay) {
    let sandbox = Sandbox::start();
    let config = parse_config(&config_text(&sandbox, kind, "", ""), kind);
    let relay = start_relay(config).await;
    (sandbox, relay)
}

/// A verified user ("u-ada") with two conversations opened on a laptop, the first one closed by
/// support, and a token for her on a phone (a new one, no previous token), on a relay for `kind`
/// with an identity secret. The phone's `GET /v1/conversations` must list both, the first one
/// closed: the helpdesk lists them by the identity the relay derives from the verified user.
pub struct TwoDevices {
    pub sandbox: Sandbox,
    pub relay: Relay,
    pub first: String,
    pub second: String,
    pub phone: String,
    /// The phone's list of conversations.
    pub list: Vec<Value>,
}

pub async fn two_devices(kind: &str) -> TwoDevices {
    let sandbox = Sandbox::start();
    let top = format!("identity_secret = \"{IDENTITY_SECRET}\"");
    let relay = start_relay(parse_config(&config_text(&sandbox, kind, &top, ""), kind)).await;
    let ada = json!({"user_id": "u-ada", "user_hash": user_hash(IDENTITY_SECRET, "u-ada")});
    let (laptop, _) = relay.visitor(ada.clone()).await;
    let (first, laptop, _) = relay.open(&laptop, "c-1", "Asked on my laptop").await;
    let (second, _, _) = relay.open(&laptop, "c-2", "Another question").await;
    sandbox.close(kind, json!({"conversation": first})).await;

    let (phone, _) = relay.visitor(ada).await;
    let list = relay.get("/v1/conversations", Some(&phone)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    let list = list.body["conversations"].as_array().unwrap().clone();
    let mut ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    ids.sort();
    let mut want = [first.as_str(), second.as_str()];
    want.sort();
    assert_eq!(ids, want, "both, owned by the phone's token");
    let closed = list.iter().find(|c| c["id"] == first.as_str()).unwrap();
    assert_eq!(closed["closed"], true);
    let open = list.iter().find(|c| c["id"] == second.as_str()).unwrap();
    assert_eq!(open.get("closed"), None, "{open}");
    TwoDevices {
        sandbox,
        relay,
        first,
        second,
        phone,
        list,
    }
}

/// Another verified user, and an anonymous visitor, neither list nor read `conversation`.
pub async fn nobody_else_owns(relay: &Relay, conversation: &str) {
    let bob = json!({"user_id": "u-bob", "user_hash": user_hash(IDENTITY_SECRET, "u-bob")});
    for body in [bob, json!({})] {
        let (other, _) = relay.visitor(body).await;
        owns_none(relay, &other, conversation).await;
    }
}

/// `token` lists no conversation, and reading `conversation` with it is a 404.
pub async fn owns_none(relay: &Relay, token: &str, conversation: &str) {
    let list = relay.get("/v1/conversations", Some(token)).await;
    assert_eq!(list.body, json!({"conversations": []}));
    relay
        .get(
            &format!("/v1/conversations/{conversation}/messages"),
            Some(token),
        )
        .await
        .assert_error(404, "not_found");
}

/// A relay's answer: status, headers and the body as JSON (or text in `Value::String`).
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    /// Asserts the documented error shape and code.
    pub fn assert_error(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(self.code(), code, "body: {}", self.text);
        assert!(
            self.body["error"]["message"].is_string(),
            "body: {}",
            self.text
        );
        assert_eq!(
            self.body.as_object().map(|o| o.len()),
            Some(1),
            "only `error`: {}",
            self.text
        );
    }
}

impl Relay {
    pub fn req(&self, method: Method, path: &str, token: Option<&str>) -> RequestBuilder {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("Origin", ORIGIN);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req
    }

    pub async fn send(&self, req: RequestBuilder) -> Answer {
        answer(req.send().await.expect("the relay answers")).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send(self.req(Method::GET, path, token)).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(self.req(Method::POST, path, token).json(&body))
            .await
    }

    /// A new visitor's token.
    pub async fn visitor(&self, body: Value) -> (String, String) {
        let a = self.post("/v1/visitors", None, body).await;
        assert_eq!(a.status, 200, "{}", a.text);
        (
            a.body["token"].as_str().expect("token").to_string(),
            a.body["visitor_id"]
                .as_str()
                .expect("visitor_id")
                .to_string(),
        )
    }

    /// Opens a conversation with `text`; returns (conversation id, new token, answer).
    pub async fn open(&self, token: &str, client_id: &str, text: &str) -> (String, String, Answer) {
        let a = self
            .post(
                "/v1/conversations",
                Some(token),
                json!({"client_id": client_id, "text": text}),
            )
            .await;
        assert_eq!(a.status, 201, "{}", a.text);
        let id = a.body["conversation"]["id"]
            .as_str()
            .expect("id")
            .to_string();
        let token = a.body["token"].as_str().expect("token").to_string();
        (id, token, a)
    }

    pub async fn messages(&self, token: &str, conversation: &str) -> Vec<Value> {
        let a = self
            .get(
                &format!("/v1/conversations/{conversation}/messages"),
                Some(token),
            )
            .await;
        assert_eq!(a.status, 200, "{}", a.text);
        a.body["messages"].as_array().expect("messages").clone()
    }
}

pub async fn answer(res: Response) -> Answer {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap_or_default();
    seen()
        .lock()
        .unwrap()
        .push_str(&format!("{headers:?}\n{text}\n"));
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    Answer {
        status,
        headers,
        body,
        text,
    }
}

/// All the relay answers of this test binary.
pub fn seen() -> &'static Mutex<String> {
    static SEEN: OnceLock<Mutex<String>> = OnceLock::new();
    SEEN.get_or_init(|| Mutex::new(String::new()))
}

/// The relay's log lines at info level, captured for the whole test binary.
pub fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Mutex<Vec<u8>>> = OnceLock::new();
    LOGS.get_or_init(|| Mutex::new(Vec::new()))
}

struct Capture;

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        logs().lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn install_log_capture() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(|| Capture)
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

/// hex(HMAC-SHA256(secret, user_id)), as the site's server computes it.
pub fn user_hash(secret: &str, user_id: &str) -> String {
    helpwire_relay::token::hex(&helpwire_relay::token::hmac(
        secret.as_bytes(),
        user_id.as_bytes(),
    ))
}

/// A Redis server (Debian's `redis-server`) on a free port, without persistence; killed when
/// dropped.
pub struct Redis {
    child: Child,
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Redis {
    pub fn start() -> Redis {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "redis-server starts (Debian's redis-server package; scripts/setup.sh installs it)",
            );
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis {
            child,
            url: format!("redis://127.0.0.1:{port}"),
        }
    }
}
