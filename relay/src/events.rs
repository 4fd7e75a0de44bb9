//! The event bus behind `GET /v1/events`: conversation id → the open streams subscribed to it.
//!
//! [`Events::publish`] renders an event once into its server-sent-events frame and hands it to
//! each subscribed stream's small bounded queue; a stream whose queue is full (a client that does
//! not read) is dropped rather than buffered, so an idle stream costs a few hundred bytes here.
//! With `redis_url`, every event is also published on the Redis channel [`CHANNEL`] tagged with
//! this instance's id, and each instance subscribes once to that channel and delivers what other
//! instances published (its own come back tagged with its id and are skipped). Redis is a fast
//! path only: if it is down, local delivery goes on, the log says so once, and the subscription
//! reconnects with backoff (clients catch up by reading the messages when they reconnect).

use crate::redis::{client, connect, RedisUrl};
use axum::body::Bytes;
use futures_util::StreamExt as _;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;
use tokio::sync::{mpsc, watch};

/// The Redis channel every instance publishes on and subscribes to.
pub const CHANNEL: &str = "helpwire:events";
/// Frames a stream may fall behind by before it is dropped (it then reconnects and catches up).
const QUEUE: usize = 16;
/// Events waiting to go to Redis; past it they are delivered locally only.
const OUTBOX: usize = 1024;
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// How often the subscription pings Redis, so a silently dead connection is noticed.
const PING_EVERY: Duration = Duration::from_secs(15);

/// What happened in a conversation.
#[derive(Clone, Debug, PartialEq)]
pub enum RelayEvent {
    /// A new message: exactly the object `GET /v1/conversations/{id}/messages` returns.
    Message(Value),
    /// Support closed the conversation.
    Closed,
}

/// Why a stream was not opened.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// The visitor has `max_streams_per_visitor` open.
    Visitor,
    /// The instance has `max_streams` open.
    Full,
}

/// A cheap handle on the bus (clones share it).
#[derive(Clone)]
pub struct Events(Arc<Inner>);

struct Inner {
    /// Tags this instance's events on Redis (random per process).
    instance: String,
    seq: AtomicU64,
    subs: Mutex<Subs>,
    max_streams: usize,
    max_per_visitor: usize,
    /// Payloads for the Redis publisher task (none without `redis_url`).
    outbox: Option<mpsc::Sender<String>>,
    /// Whether the Redis subscription is live (tests wait for it; false without Redis).
    subscribed: watch::Receiver<bool>,
    redis_down: AtomicBool,
    /// Dropped with the bus: the Redis tasks see it and stop.
    _stop: watch::Sender<()>,
}

#[derive(Default)]
struct Subs {
    next: u64,
    streams: HashMap<u64, Slot>,
    by_conversation: HashMap<String, Vec<u64>>,
    per_visitor: HashMap<String, usize>,
}

struct Slot {
    tx: mpsc::Sender<Bytes>,
    visitor: String,
    conversations: Box<[String]>,
}

impl Subs {
    fn remove(&mut self, id: u64) {
        let Some(slot) = self.streams.remove(&id) else {
            return;
        };
        for c in slot.conversations.iter() {
            if let Some(list) = self.by_conversation.get_mut(c) {
                list.retain(|s| *s != id);
                if list.is_empty() {
                    self.by_conversation.remove(c);
                }
            }
        }
        if let Some(n) = self.per_visitor.get_mut(&slot.visitor) {
            *n -= 1;
            if *n == 0 {
                self.per_visitor.remove(&slot.visitor);
            }
        }
    }
}

/// One open stream's receiving end; unsubscribes when dropped.
pub struct Subscription {
    id: u64,
    rx: mpsc::Receiver<Bytes>,
    events: Events,
}

impl Subscription {
    /// The next frame, or `None` once the bus dropped this stream (it fell behind).
    pub async fn next(&mut self) -> Option<Bytes> {
        self.rx.recv().await
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        self.events.0.lock().remove(self.id);
    }
}

/// What travels over Redis: the instance, the conversation, the event id and the event.
#[derive(serde::Serialize, serde::Deserialize)]
struct Wire {
    i: String,
    c: String,
    id: String,
    e: String,
    #[serde(default)]
    m: Value,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Subs> {
        // The map stays consistent between statements: a panic elsewhere never leaves it half-done.
        self.subs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hands `frame` to every stream subscribed to `conversation`; drops those that lag.
    fn deliver(&self, conversation: &str, frame: Bytes) -> usize {
        let mut subs = self.lock();
        let Some(ids) = subs.by_conversation.get(conversation) else {
            return 0;
        };
        let (mut sent, mut lagging) = (0, Vec::new());
        for id in ids {
            match subs.streams.get(id).map(|s| s.tx.try_send(frame.clone())) {
                Some(Ok(())) => sent += 1,
                _ => lagging.push(*id),
            }
        }
        for id in lagging {
            tracing::info!("an event stream fell behind and was closed");
            subs.remove(id);
        }
        sent
    }

    fn redis_down(&self) {
        if !self.redis_down.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                "redis is unreachable: events reach only this instance's streams until it is back"
            );
        }
    }

    fn redis_up(&self) {
        if self.redis_down.swap(false, Ordering::SeqCst) {
            tracing::info!("redis is reachable again: events fan out to every instance");
        }
    }
}

/// The SSE frame of an event.
fn frame(conversation: &str, id: &str, event: &RelayEvent) -> Bytes {
    let text = match event {
        RelayEvent::Message(m) => format!(
            "event: message\nid: {id}\ndata: {}\n\n",
            json!({"conversation_id": conversation, "message": m})
        ),
        RelayEvent::Closed => format!(
            "event: closed\ndata: {}\n\n",
            json!({"conversation_id": conversation})
        ),
    };
    Bytes::from(text)
}

impl Events {
    /// The bus; with `redis` it starts the fan-out tasks on the current tokio runtime (without
    /// one, as in a configuration check, it stays local and says so).
    pub fn new(redis: Option<&RedisUrl>, max_streams: usize, max_per_visitor: usize) -> Events {
        let mut id = [0u8; 8];
        let _ = getrandom::getrandom(&mut id);
        let (stop, stopped) = watch::channel(());
        let (ready_tx, subscribed) = watch::channel(false);
        let runtime = tokio::runtime::Handle::try_current().ok();
        let client = match (redis, &runtime) {
            (Some(url), Some(_)) => match client(url) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "redis_url is not usable for events: local only");
                    None
                }
            },
            (Some(_), None) => {
                tracing::warn!("no runtime to fan events out over redis: local only");
                None
            }
            (None, _) => None,
        };
        let (outbox, outbox_rx) = match client {
            Some(_) => {
                let (tx, rx) = mpsc::channel(OUTBOX);
                (Some(tx), Some(rx))
            }
            None => (None, None),
        };
        let events = Events(Arc::new(Inner {
            instance: crate::token::hex(&id),
            seq: AtomicU64::new(0),
            subs: Mutex::new(Subs::default()),
            max_streams,
            max_per_visitor,
            outbox,
            subscribed,
            redis_down: AtomicBool::new(false),
            _stop: stop,
        }));
        if let (Some(client), Some(rt), Some(rx)) = (client, runtime, outbox_rx) {
            let weak = Arc::downgrade(&events.0);
            rt.spawn(subscribe_loop(
                client.clone(),
                weak.clone(),
                ready_tx,
                stopped.clone(),
            ));
            rt.spawn(publish_loop(client, rx, weak, stopped));
        }
        events
    }

    /// Publishes `event` to the streams of `conversation_id` on this instance and, with Redis,
    /// on every other. Never blocks and never fails: a stream that misses it catches up by
    /// reading the messages when it reconnects.
    pub fn publish(&self, conversation_id: &str, event: RelayEvent) {
        let inner = &self.0;
        let id = format!(
            "{}-{}",
            inner.instance,
            inner.seq.fetch_add(1, Ordering::Relaxed)
        );
        inner.deliver(conversation_id, frame(conversation_id, &id, &event));
        if let Some(outbox) = &inner.outbox {
            let (e, m) = match event {
                RelayEvent::Message(m) => ("message", m),
                RelayEvent::Closed => ("closed", Value::Null),
            };
            let wire = Wire {
                i: inner.instance.clone(),
                c: conversation_id.to_string(),
                id,
                e: e.to_string(),
                m,
            };
            let payload = serde_json::to_string(&wire).unwrap_or_default();
            if outbox.try_send(payload).is_err() {
                tracing::warn!("the redis outbox is full: an event reached this instance only");
            }
        }
    }

    /// Opens a stream for `visitor` on `conversations`, within the stream caps.
    pub fn subscribe(
        &self,
        visitor: &str,
        conversations: Vec<String>,
    ) -> Result<Subscription, Refused> {
        let mut subs = self.0.lock();
        if subs.streams.len() >= self.0.max_streams {
            return Err(Refused::Full);
        }
        if subs.per_visitor.get(visitor).copied().unwrap_or(0) >= self.0.max_per_visitor {
            return Err(Refused::Visitor);
        }
        let id = subs.next;
        subs.next += 1;
        let (tx, rx) = mpsc::channel(QUEUE);
        for c in &conversations {
            subs.by_conversation.entry(c.clone()).or_default().push(id);
        }
        *subs.per_visitor.entry(visitor.to_string()).or_default() += 1;
        subs.streams.insert(
            id,
            Slot {
                tx,
                visitor: visitor.to_string(),
                conversations: conversations.into_boxed_slice(),
            },
        );
        drop(subs);
        Ok(Subscription {
            id,
            rx,
            events: self.clone(),
        })
    }

    /// Ends every open stream (the server is shutting down: a graceful shutdown waits for
    /// open responses, and a stream would otherwise last until its token expires).
    pub fn close_all(&self) {
        let mut subs = self.0.lock();
        let open = subs.streams.len();
        subs.streams.clear();
        subs.by_conversation.clear();
        subs.per_visitor.clear();
        if open > 0 {
            tracing::info!(open, "event streams closed for shutdown");
        }
    }

    /// Streams open on this instance.
    pub fn open_streams(&self) -> usize {
        self.0.lock().streams.len()
    }

    /// Waits until the Redis subscription is live (tests; returns at once if it already is,
    /// never without Redis).
    pub async fn redis_subscribed(&self) {
        let mut rx = self.0.subscribed.clone();
        let _ = rx.wait_for(|up| *up).await;
    }
}

/// Delivers what other instances publish; reconnects with backoff until the bus is dropped.
async fn subscribe_loop(
    client: redis::Client,
    bus: Weak<Inner>,
    ready: watch::Sender<bool>,
    mut stop: watch::Receiver<()>,
) {
    let mut backoff = BACKOFF_MIN;
    loop {
        let live = session(&client, &bus, &ready);
        tokio::select! {
            _ = live => {}
            _ = stop.changed() => return,
        }
        if ready.send_replace(false) {
            // It had been up: the next attempt starts quickly again.
            backoff = BACKOFF_MIN;
        }
        match bus.upgrade() {
            Some(b) => b.redis_down(),
            None => return,
        }
        tokio::select! {
            _ = tokio::time::sleep(backoff) => {}
            _ = stop.changed() => return,
        }
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
}

/// One subscription's life: connects, subscribes, delivers; `None` when it ends (an error, a
/// failed ping, the bus dropped).
async fn session(
    client: &redis::Client,
    bus: &Weak<Inner>,
    ready: &watch::Sender<bool>,
) -> Option<()> {
    let pubsub = tokio::time::timeout(REDIS_TIMEOUT, client.get_async_pubsub())
        .await
        .ok()?
        .ok()?;
    let (mut sink, mut messages) = pubsub.split();
    tokio::time::timeout(REDIS_TIMEOUT, sink.subscribe(CHANNEL))
        .await
        .ok()?
        .ok()?;
    bus.upgrade()?.redis_up();
    let _ = ready.send(true);
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            msg = messages.next() => {
                let (msg, bus) = (msg?, bus.upgrade()?);
                receive(&bus, msg.get_payload_bytes());
            }
            _ = ping.tick() => {
                tokio::time::timeout(REDIS_TIMEOUT, sink.ping::<()>()).await.ok()?.ok()?;
            }
        }
    }
}

/// One payload from Redis: delivered locally unless it is this instance's own or unreadable.
fn receive(bus: &Inner, payload: &[u8]) {
    let Ok(w) = serde_json::from_slice::<Wire>(payload) else {
        tracing::debug!("an unreadable event on the redis channel was skipped");
        return;
    };
    if w.i == bus.instance {
        return;
    }
    let event = match (w.e.as_str(), w.m) {
        ("message", m @ Value::Object(_)) => RelayEvent::Message(m),
        ("closed", _) => RelayEvent::Closed,
        _ => {
            tracing::debug!("an unknown event on the redis channel was skipped");
            return;
        }
    };
    // The id goes into a header line of the frame: only a plain token is kept.
    let id: String =
        w.id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(64)
            .collect();
    bus.deliver(&w.c, frame(&w.c, &id, &event));
}

/// Sends this instance's events to Redis, one connection, reconnected after a failure no more
/// often than the backoff allows (meanwhile events stay local).
async fn publish_loop(
    client: redis::Client,
    mut outbox: mpsc::Receiver<String>,
    bus: Weak<Inner>,
    mut stop: watch::Receiver<()>,
) {
    let mut conn: Option<redis::aio::MultiplexedConnection> = None;
    let mut backoff = BACKOFF_MIN;
    let mut retry_at = tokio::time::Instant::now();
    loop {
        let payload = tokio::select! {
            p = outbox.recv() => match p { Some(p) => p, None => return },
            _ = stop.changed() => return,
        };
        if conn.is_none() && tokio::time::Instant::now() >= retry_at {
            match connect(&client).await {
                Ok(c) => conn = Some(c),
                Err(_) => {
                    retry_at = tokio::time::Instant::now() + backoff;
                    backoff = (backoff * 2).min(BACKOFF_MAX);
                }
            }
        }
        let Some(c) = conn.as_mut() else {
            if let Some(b) = bus.upgrade() {
                b.redis_down();
            }
            continue;
        };
        let sent = tokio::time::timeout(
            REDIS_TIMEOUT,
            redis::cmd("PUBLISH")
                .arg(CHANNEL)
                .arg(payload)
                .query_async::<i64>(c),
        )
        .await;
        if matches!(sent, Ok(Ok(_))) {
            backoff = BACKOFF_MIN;
        } else {
            conn = None;
            if let Some(b) = bus.upgrade() {
                b.redis_down();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(text: &str) -> RelayEvent {
        RelayEvent::Message(json!({"id": text, "author": "agent", "text": text}))
    }

    #[tokio::test]
    async fn a_stream_gets_only_its_conversations_and_a_lagging_one_is_dropped() {
        let bus = Events::new(None, 10, 2);
        let mut a = bus.subscribe("v1", vec!["c1".into()]).unwrap();
        let mut b = bus.subscribe("v2", vec!["c2".into()]).unwrap();
        bus.publish("c1", message("one"));
        bus.publish("c2", message("two"));
        let got = a.next().await.unwrap();
        assert!(std::str::from_utf8(&got).unwrap().contains("\"one\""));
        let got = b.next().await.unwrap();
        assert!(std::str::from_utf8(&got).unwrap().contains("\"two\""));
        // b never reads again: past its queue it is dropped, and its frames end.
        for i in 0..=QUEUE {
            bus.publish("c2", message(&format!("m{i}")));
        }
        assert_eq!(bus.open_streams(), 1);
        let mut n = 0;
        while b.next().await.is_some() {
            n += 1;
        }
        assert_eq!(n, QUEUE);
        drop(a);
        assert_eq!(bus.open_streams(), 0);
    }

    #[test]
    fn caps_per_visitor_and_in_all() {
        let bus = Events::new(None, 3, 2);
        let _a1 = bus.subscribe("a", vec![]).unwrap();
        let a2 = bus.subscribe("a", vec![]).unwrap();
        assert_eq!(bus.subscribe("a", vec![]).err(), Some(Refused::Visitor));
        let _b1 = bus.subscribe("b", vec![]).unwrap();
        assert_eq!(bus.subscribe("b", vec![]).err(), Some(Refused::Full));
        drop(a2);
        assert!(bus.subscribe("a", vec![]).is_ok());
    }

    #[test]
    fn frames_follow_the_contract() {
        let f = frame("c1", "x-1", &message("hi"));
        let text = std::str::from_utf8(&f).unwrap();
        assert!(
            text.starts_with("event: message\nid: x-1\ndata: {"),
            "{text}"
        );
        assert!(text.ends_with("}\n\n") && text.matches('\n').count() == 4);
        let f = frame("c1", "x-2", &RelayEvent::Closed);
        assert_eq!(
            std::str::from_utf8(&f).unwrap(),
            "event: closed\ndata: {\"conversation_id\":\"c1\"}\n\n"
        );
    }
}
