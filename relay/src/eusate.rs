//! Eusate's push channel, driven natively: one WebSocket per visitor session running core's
//! sans-IO [`EusateChannel`], as the widget's `socket_driver.rs` does in the browser.
//!
//! [`EusateHub`] owns the drivers. Each is a tokio task that carries out the channel's transport
//! outputs (open, send a frame, close), feeds it the socket's frames, closes and errors, and
//! calls `tick` at `next_deadline`. Sends are taken one at a time per session, each aimed at its
//! conversation ([`EusateChannel::retarget`]) and answered when the channel reports it delivered
//! (and, for a new conversation, assigned its id) or failed, within a bounded wait. What the
//! helpdesk pushes (SATE's answers, agents' replies, closings) goes to a [`PushSink`].
//!
//! A driver lives while a send is in flight or someone watches the session
//! ([`EusateHub::watch`]), then `idle` longer; the number of live drivers is capped.
//!
//! The API key travels in the socket URL's query: no error text or log line made here carries
//! the URL, and every error string that leaves is scrubbed of the key.

use futures_util::{SinkExt, StreamExt};
use helpwire_core::model::Message;
use helpwire_core::protocol::eusate::{EusateChannel, EusateProvider};
use helpwire_core::protocol::push::{PushChannel, PushOutput};
use helpwire_core::protocol::{wire, Outgoing, ProviderError, Sent};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message as Frame};

/// Largest WebSocket message or frame read (a pushed event is one message; the widget's
/// limit for an answer is the same).
const MAX_FRAME_BYTES: usize = 2 * 1024 * 1024;
/// A frame write that takes longer means a dead connection.
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// What the helpdesk pushed for one conversation.
#[derive(Clone, Debug, PartialEq)]
pub struct Pushed {
    pub conversation_id: String,
    pub kind: PushedKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PushedKind {
    /// A message of the conversation (SATE, an agent, a closing notice; rarely an echo of the
    /// visitor's own, then with its `client_id` as `local_id`).
    Message(Box<Message>),
    /// Support closed the conversation.
    Closed,
}

/// Where pushed events go (the relay's event bus).
pub type PushSink = Arc<dyn Fn(Pushed) + Send + Sync>;

/// The hub's bounds.
#[derive(Clone, Copy, Debug)]
pub struct HubLimits {
    /// Live sockets at most (one per visitor session).
    pub max_connections: usize,
    /// How long a socket stays open with no watcher and nothing in flight.
    pub idle: Duration,
    /// How long a send waits for Eusate's acknowledgement (and a new conversation's id).
    pub send_timeout: Duration,
}

/// Why a send or a watch did not happen.
#[derive(Debug)]
pub enum HubError {
    /// `max_connections` sockets are live: retry later.
    Full,
    /// Eusate refused a message to this conversation (closed, unknown, not the visitor's):
    /// the next message opens a new one.
    Gone,
    /// The socket failed, refused, or did not answer in time; strings scrubbed of the key.
    Upstream(ProviderError),
}

type Reply = oneshot::Sender<Result<(String, Sent), ProviderError>>;

struct SendJob {
    message: Outgoing,
    conversation: Option<String>,
    reply: Reply,
}

enum Command {
    Send(SendJob),
    /// Something changed (a watcher came or went): look at the idle state again.
    Poke,
}

struct Entry {
    id: u64,
    tx: mpsc::UnboundedSender<Command>,
    watchers: Arc<AtomicUsize>,
}

struct Shared {
    provider: EusateProvider,
    /// The key as written and as it appears percent-encoded in the socket URL.
    secrets: Vec<String>,
    sink: PushSink,
    limits: HubLimits,
    sessions: Mutex<HashMap<String, Entry>>,
    next_id: AtomicU64,
}

/// Eusate's sockets, one per visitor session (Eusate's `session_id`: the relay's derived
/// backend id, never a page-given one).
pub struct EusateHub {
    shared: Arc<Shared>,
}

/// Keeps a session's socket open (and its pushes flowing to the sink) while held.
pub struct WatchGuard {
    watchers: Arc<AtomicUsize>,
    tx: mpsc::UnboundedSender<Command>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.watchers.fetch_sub(1, Ordering::SeqCst);
        let _ = self.tx.send(Command::Poke);
    }
}

impl EusateHub {
    pub fn new(
        provider: EusateProvider,
        api_key: Option<&str>,
        sink: PushSink,
        limits: HubLimits,
    ) -> EusateHub {
        let secrets = api_key
            .filter(|k| !k.is_empty())
            .map(|k| vec![k.to_string(), wire::encode(k)])
            .unwrap_or_default();
        EusateHub {
            shared: Arc::new(Shared {
                provider,
                secrets,
                sink,
                limits,
                sessions: Mutex::new(HashMap::new()),
                next_id: AtomicU64::new(1),
            }),
        }
    }

    /// Sends `message` to `conversation` (`None`: opens a new conversation with it) and waits
    /// for the outcome: the conversation's id and what Eusate stored.
    pub async fn send(
        &self,
        session_id: &str,
        conversation: Option<&str>,
        message: &Outgoing,
    ) -> Result<(String, Sent), HubError> {
        let (reply, outcome) = oneshot::channel();
        let job = SendJob {
            message: message.clone(),
            conversation: conversation.map(str::to_string),
            reply,
        };
        self.shared.with_driver(session_id, |entry| {
            // Sent under the sessions lock, so a driver retiring at this moment sees it.
            let _ = entry.tx.send(Command::Send(job));
        })?;
        // The driver answers by its own deadline; this one only guards against a lost driver.
        let guard = self.shared.limits.send_timeout + Duration::from_secs(2);
        let result = match tokio::time::timeout(guard, outcome).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(ProviderError::Network("the Eusate connection ended".into())),
            Err(_) => Err(ProviderError::Timeout),
        };
        result.map_err(|e| match e {
            ProviderError::Status {
                status: 400 | 403 | 404,
                ..
            } if conversation.is_some() => HubError::Gone,
            e => HubError::Upstream(self.shared.scrub_error(e)),
        })
    }

    /// Opens the session's socket if needed and keeps it open while the guard lives, so
    /// agents' replies and closings reach the sink (hold it for as long as the visitor's event
    /// stream is open).
    pub fn watch(&self, session_id: &str) -> Result<WatchGuard, HubError> {
        self.shared.with_driver(session_id, |entry| {
            entry.watchers.fetch_add(1, Ordering::SeqCst);
            let _ = entry.tx.send(Command::Poke);
            WatchGuard {
                watchers: entry.watchers.clone(),
                tx: entry.tx.clone(),
            }
        })
    }

    /// Live sockets (drivers) now.
    pub fn live(&self) -> usize {
        self.shared.sessions.lock().map(|s| s.len()).unwrap_or(0)
    }
}

impl Shared {
    /// Runs `f` on the session's driver under the sessions lock, starting one if there is none
    /// and the cap allows.
    fn with_driver<T>(
        self: &Arc<Self>,
        session_id: &str,
        f: impl FnOnce(&Entry) -> T,
    ) -> Result<T, HubError> {
        let mut sessions = self.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = sessions.get(session_id) {
            if !entry.tx.is_closed() {
                return Ok(f(entry));
            }
        }
        sessions.remove(session_id);
        if sessions.len() >= self.limits.max_connections {
            tracing::warn!(
                max = self.limits.max_connections,
                "all Eusate connections are in use"
            );
            return Err(HubError::Full);
        }
        let mut seed = [0u8; 8];
        let _ = getrandom::getrandom(&mut seed);
        let channel = self
            .provider
            .channel(session_id, None, u64::from_le_bytes(seed))
            .map_err(|e| HubError::Upstream(self.scrub_error(e)))?;
        let (tx, rx) = mpsc::unbounded_channel();
        let entry = Entry {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            tx,
            watchers: Arc::new(AtomicUsize::new(0)),
        };
        let driver = Driver {
            shared: Arc::downgrade(self),
            session_id: session_id.to_string(),
            entry_id: entry.id,
            watchers: entry.watchers.clone(),
            limits: self.limits,
            secrets: self.secrets.clone(),
            channel,
            ws: None,
            connecting: None,
            queue: VecDeque::new(),
            current: None,
            target: None,
            idle_since: None,
            seq: 0,
        };
        tokio::spawn(driver.run(rx));
        let out = f(&entry);
        sessions.insert(session_id.to_string(), entry);
        Ok(out)
    }

    fn scrub_error(&self, e: ProviderError) -> ProviderError {
        scrub_error(&self.secrets, e)
    }
}

fn scrub(secrets: &[String], text: &str) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "[key]"))
}

fn scrub_error(secrets: &[String], e: ProviderError) -> ProviderError {
    let s = |t: String| scrub(secrets, &t);
    match e {
        ProviderError::Network(m) => ProviderError::Network(s(m)),
        ProviderError::Status {
            status,
            detail,
            retry_after,
        } => ProviderError::Status {
            status,
            detail: s(detail),
            retry_after,
        },
        ProviderError::Malformed { reason, body } => ProviderError::Malformed {
            reason: s(reason),
            body: s(body),
        },
        ProviderError::Config(m) => ProviderError::Config(s(m)),
        ProviderError::SessionExpired(m) => ProviderError::SessionExpired(s(m)),
        ProviderError::Timeout => ProviderError::Timeout,
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;
type Connecting = Pin<Box<dyn Future<Output = Result<Box<Ws>, String>> + Send>>;

/// The send being carried out.
struct Current {
    /// The id the channel knows it by: the client's id plus a sequence number, so a late
    /// report about an earlier attempt of the same `client_id` is not taken for this one.
    local_id: String,
    conversation: Option<String>,
    delivered: Option<Sent>,
    assigned: Option<String>,
    deadline: Instant,
    reply: Reply,
}

/// Separates the client's id from the attempt's sequence number in a channel local id.
const SEQ_MARK: char = '\u{0}';

struct Driver {
    shared: Weak<Shared>,
    session_id: String,
    entry_id: u64,
    watchers: Arc<AtomicUsize>,
    limits: HubLimits,
    secrets: Vec<String>,
    channel: EusateChannel,
    ws: Option<Ws>,
    connecting: Option<Connecting>,
    queue: VecDeque<SendJob>,
    current: Option<Current>,
    /// The conversation pushes without an id of their own belong to (the last one sent to).
    target: Option<String>,
    idle_since: Option<Instant>,
    seq: u64,
}

enum Event {
    Command(Option<Command>),
    Opened(Result<Box<Ws>, String>),
    Frame(Option<Result<Frame, tungstenite::Error>>),
    Tick,
    SendTimedOut,
    Idle,
}

/// Ms since the epoch, the channel's clock.
fn now_ms() -> f64 {
    crate::backend::now_ms()
}

/// The instant of a channel deadline (ms since the epoch), a millisecond late rather than
/// early so the deadline has passed when the channel looks.
fn instant_of(at: f64) -> Instant {
    let wait = (at - now_ms()).max(0.0).ceil() as u64 + 1;
    Instant::now() + Duration::from_millis(wait)
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn opened(connecting: &mut Option<Connecting>) -> Result<Box<Ws>, String> {
    match connecting.as_mut() {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

async fn next_frame(ws: &mut Option<Ws>) -> Option<Result<Frame, tungstenite::Error>> {
    match ws.as_mut() {
        Some(ws) => ws.next().await,
        None => std::future::pending().await,
    }
}

/// A WebSocket library error in words that cannot carry the URL (some of its errors quote
/// the request).
fn describe(e: &tungstenite::Error) -> String {
    use tungstenite::Error as E;
    match e {
        E::Http(response) => format!("the socket server answered HTTP {}", response.status()),
        E::Io(io) => format!("socket I/O error ({})", io.kind()),
        E::Tls(_) => "TLS error".into(),
        E::Capacity(_) => "a frame over the size limit".into(),
        E::ConnectionClosed | E::AlreadyClosed => "connection closed".into(),
        E::Protocol(_) => "WebSocket protocol error".into(),
        E::Url(_) => "unusable socket URL".into(),
        _ => "WebSocket error".into(),
    }
}

fn connect(url: String) -> Connecting {
    Box::pin(async move {
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_FRAME_BYTES))
            .max_frame_size(Some(MAX_FRAME_BYTES));
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(config), true)
            .await
            .map(|(ws, _)| Box::new(ws))
            .map_err(|e| describe(&e))
    })
}

impl Driver {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Command>) {
        let outputs = self.channel.connect(now_ms());
        self.perform(outputs).await;
        loop {
            self.start_next().await;
            self.idle_since = match (self.is_idle(), self.idle_since) {
                (false, _) => None,
                (true, None) => Some(Instant::now()),
                (true, since) => since,
            };
            let tick_at = self.channel.next_deadline().map(instant_of);
            let send_deadline = self.current.as_ref().map(|c| c.deadline);
            let idle_at = self.idle_since.map(|t| t + self.limits.idle);
            let event = tokio::select! {
                command = rx.recv() => Event::Command(command),
                result = opened(&mut self.connecting) => Event::Opened(result),
                frame = next_frame(&mut self.ws) => Event::Frame(frame),
                _ = sleep_until(tick_at) => Event::Tick,
                _ = sleep_until(send_deadline) => Event::SendTimedOut,
                _ = sleep_until(idle_at) => Event::Idle,
            };
            let now = now_ms();
            let outputs = match event {
                Event::Command(None) => {
                    // The hub is gone.
                    self.shut().await;
                    return;
                }
                Event::Command(Some(Command::Send(job))) => {
                    self.queue.push_back(job);
                    Vec::new()
                }
                Event::Command(Some(Command::Poke)) => Vec::new(),
                Event::Opened(result) => {
                    self.connecting = None;
                    match result {
                        Ok(ws) => {
                            self.ws = Some(*ws);
                            self.channel.on_open(now)
                        }
                        Err(e) => self.channel.on_error(&self.scrub(&e), now),
                    }
                }
                Event::Frame(frame) => self.on_frame(frame, now),
                Event::Tick => self.channel.tick(now),
                Event::SendTimedOut => {
                    self.finish(Err(ProviderError::Timeout));
                    Vec::new()
                }
                Event::Idle => {
                    if self.retire(&rx) {
                        self.shut().await;
                        return;
                    }
                    Vec::new()
                }
            };
            self.perform(outputs).await;
        }
    }

    fn is_idle(&self) -> bool {
        self.current.is_none() && self.queue.is_empty() && self.watchers.load(Ordering::SeqCst) == 0
    }

    /// Leaves the hub if still idle, under the sessions lock (so no command or watcher can
    /// arrive between the check and the removal).
    fn retire(&self, rx: &mpsc::UnboundedReceiver<Command>) -> bool {
        let Some(shared) = self.shared.upgrade() else {
            return true;
        };
        let mut sessions = shared.sessions.lock().unwrap_or_else(|e| e.into_inner());
        if !rx.is_empty() || self.watchers.load(Ordering::SeqCst) > 0 {
            return false;
        }
        if sessions.get(&self.session_id).map(|e| e.id) == Some(self.entry_id) {
            sessions.remove(&self.session_id);
        }
        tracing::debug!("an idle Eusate connection closed");
        true
    }

    /// Closes the channel (it leaves the namespace) and the socket.
    async fn shut(&mut self) {
        let outputs = self.channel.close();
        self.perform(outputs).await;
        self.connecting = None;
        if let Some(mut ws) = self.ws.take() {
            let _ = tokio::time::timeout(WRITE_TIMEOUT, ws.close(None)).await;
        }
        if let Some(c) = self.current.take() {
            let _ = c.reply.send(Err(ProviderError::Network(
                "the Eusate connection ended".into(),
            )));
        }
    }

    /// Starts the next queued send when none is being carried out.
    async fn start_next(&mut self) {
        if self.current.is_some() {
            return;
        }
        // A request that went away before its turn is skipped.
        let job = loop {
            let Some(job) = self.queue.pop_front() else {
                return;
            };
            if !job.reply.is_closed() {
                break job;
            }
        };
        self.seq += 1;
        let local_id = format!("{}{SEQ_MARK}{}", job.message.local_id, self.seq);
        let now = now_ms();
        let conversation = job.conversation.as_deref();
        self.target = job.conversation.clone();
        let mut outputs = self.channel.retarget(conversation);
        // Cuts a reconnect wait short (or restarts after a refusal): the send is tried now.
        outputs.extend(self.channel.connect(now));
        let message = Outgoing {
            local_id: local_id.clone(),
            text: job.message.text.clone(),
        };
        outputs.extend(self.channel.send(&message, conversation, now));
        self.current = Some(Current {
            local_id,
            conversation: job.conversation,
            delivered: None,
            assigned: None,
            deadline: Instant::now() + self.limits.send_timeout,
            reply: job.reply,
        });
        self.perform(outputs).await;
    }

    fn on_frame(
        &mut self,
        frame: Option<Result<Frame, tungstenite::Error>>,
        now: f64,
    ) -> Vec<PushOutput> {
        match frame {
            Some(Ok(Frame::Text(text))) => self.channel.on_text(text.as_str(), now),
            Some(Ok(Frame::Binary(_))) => self.channel.on_binary(now),
            // Pings are answered by the library; pongs and raw frames mean nothing here.
            Some(Ok(Frame::Ping(_) | Frame::Pong(_) | Frame::Frame(_))) => Vec::new(),
            Some(Ok(Frame::Close(close))) => {
                self.ws = None;
                let reason = close.map_or_else(String::new, |c| format!("code {}", c.code));
                self.channel.on_close(&reason, now)
            }
            Some(Err(e)) => {
                self.ws = None;
                let message = self.scrub(&describe(&e));
                self.channel.on_error(&message, now)
            }
            None => {
                self.ws = None;
                self.channel.on_close("connection closed", now)
            }
        }
    }

    /// Carries out the channel's outputs in order; what the transport reports back (a failed
    /// write) is carried out after them.
    async fn perform(&mut self, outputs: Vec<PushOutput>) {
        let mut pending: VecDeque<PushOutput> = outputs.into();
        while let Some(output) = pending.pop_front() {
            match output {
                PushOutput::Open { url } => {
                    self.ws = None;
                    self.connecting = Some(connect(url));
                }
                PushOutput::Send(frame) => {
                    let Some(ws) = self.ws.as_mut() else {
                        continue;
                    };
                    let sent =
                        tokio::time::timeout(WRITE_TIMEOUT, ws.send(Frame::text(frame))).await;
                    let failure = match sent {
                        Ok(Ok(())) => None,
                        Ok(Err(e)) => Some(self.scrub(&describe(&e))),
                        Err(_) => Some("writing to the socket timed out".to_string()),
                    };
                    if let Some(message) = failure {
                        self.ws = None;
                        pending.extend(self.channel.on_error(&message, now_ms()));
                    }
                }
                PushOutput::Close => {
                    self.connecting = None;
                    if let Some(mut ws) = self.ws.take() {
                        let _ = tokio::time::timeout(WRITE_TIMEOUT, ws.close(None)).await;
                    }
                }
                PushOutput::Connected => tracing::debug!("Eusate connection joined"),
                PushOutput::Disconnected(reason) => {
                    tracing::debug!(reason = %self.scrub(&reason.to_string()), "Eusate connection lost")
                }
                PushOutput::ReconnectAt { attempt, .. } => {
                    tracing::debug!(attempt, "Eusate reconnect scheduled")
                }
                PushOutput::Error(e) => {
                    let e = scrub_error(&self.secrets, e);
                    tracing::debug!(detail = %e, "Eusate channel problem");
                }
                PushOutput::Messages {
                    conversation_id,
                    messages,
                } => self.push_messages(conversation_id, messages),
                PushOutput::ConversationAssigned(id) => {
                    if let Some(c) = self.current.as_mut().filter(|c| c.conversation.is_none()) {
                        c.assigned = Some(id.clone());
                        self.target = Some(id);
                    }
                    self.try_finish();
                }
                PushOutput::ConversationClosed(id) => self.push(Pushed {
                    conversation_id: id,
                    kind: PushedKind::Closed,
                }),
                PushOutput::Delivered { local_id, sent } => {
                    if let Some(c) = self.current.as_mut().filter(|c| c.local_id == local_id) {
                        let remote_id = if sent.remote_id == local_id {
                            // Eusate gave no id: the client's own stands in (as the widget's).
                            client_id(&local_id).to_string()
                        } else {
                            sent.remote_id.clone()
                        };
                        c.delivered = Some(Sent { remote_id, ..sent });
                    }
                    self.try_finish();
                }
                PushOutput::SendFailed { local_id, error } => {
                    if self
                        .current
                        .as_ref()
                        .is_some_and(|c| c.local_id == local_id)
                    {
                        self.finish(Err(error));
                    }
                }
            }
        }
    }

    fn push_messages(&self, conversation_id: Option<String>, messages: Vec<Message>) {
        let Some(conversation_id) = conversation_id.or_else(|| self.target.clone()) else {
            tracing::debug!(
                count = messages.len(),
                "Eusate pushed messages of no known conversation"
            );
            return;
        };
        for mut m in messages {
            if let Some(local) = &m.local_id {
                m.local_id = Some(client_id(local).to_string());
            }
            self.push(Pushed {
                conversation_id: conversation_id.clone(),
                kind: PushedKind::Message(Box::new(m)),
            });
        }
    }

    fn push(&self, pushed: Pushed) {
        if let Some(shared) = self.shared.upgrade() {
            (shared.sink)(pushed);
        }
    }

    /// Answers the current send once it is delivered (and a new conversation has its id).
    fn try_finish(&mut self) {
        let Some(c) = &self.current else { return };
        let conversation = c.conversation.clone().or_else(|| c.assigned.clone());
        if let (Some(id), Some(sent)) = (conversation, c.delivered.clone()) {
            self.finish(Ok((id, sent)));
        }
    }

    fn finish(&mut self, result: Result<(String, Sent), ProviderError>) {
        if let Some(c) = self.current.take() {
            let _ = c.reply.send(result);
        }
    }

    fn scrub(&self, text: &str) -> String {
        scrub(&self.secrets, text)
    }
}

/// The client's id inside a channel local id.
fn client_id(local_id: &str) -> &str {
    local_id.split(SEQ_MARK).next().unwrap_or(local_id)
}
