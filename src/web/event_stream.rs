//! Follows the relay's event stream (`GET /v1/events`): new messages the moment support writes
//! them, on top of polling, which stays the safety net.
//!
//! `fetch` with the token in the `Authorization` header (an `EventSource` cannot set headers,
//! and a token in the URL ends up in logs), the body read chunk by chunk through a streaming
//! `TextDecoder` into the pure SSE parser (`helpwire_core::protocol::sse`), each event read by
//! the relay provider. A drop is followed by a reconnect after the core backoff, never sooner
//! than the server's `retry`; 60 s without a byte (the relay sends a comment every 20 s) counts
//! as a drop. A 401 stops it: the engine renews the session as on a poll's 401, and the driver
//! opens a stream with the new token. The relay replays nothing: the driver's sink reads the
//! conversation once on every (re)connect.

use crate::web::browser;
use crate::web::executor::{
    abort_after, fetch_head, header, network, read_body, retry_after, ReadError,
};
use helpwire_core::backoff::Backoff;
use helpwire_core::protocol::relay::{self, StreamEvent};
use helpwire_core::protocol::sse::{SseOutput, SseParser};
use helpwire_core::protocol::{HttpRequest, ProviderError};
use leptos::prelude::TimeoutHandle;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A stream without a byte for this long is dead (three of the relay's keep-alives missed).
const SILENCE_MS: u32 = 60_000;
/// The reconnection time until the server sets one (`retry:`; the relay sends 3000).
const DEFAULT_RETRY_MS: u32 = 3_000;
/// A connection that lasted this long worked: the next drop starts the backoff afresh.
const HEALTHY_MS: f64 = 20_000.0;

/// What the stream tells the driver.
pub(crate) enum StreamNews {
    /// Connected (200, an event stream): the conversation should be read once to catch up.
    Up,
    /// Lost (reconnecting), or stopped for good after a refusal (a 401 among them).
    Down,
    Event(StreamEvent),
}

pub(crate) type StreamSink = Rc<dyn Fn(StreamNews)>;

/// A followed stream. Dropping it (or [`EventStream::stop`]) aborts the request, and nothing is
/// reported afterwards.
pub(crate) struct EventStream {
    inner: Rc<Inner>,
}

struct Inner {
    request: HttpRequest,
    sink: StreamSink,
    stopped: Cell<bool>,
    /// Aborts the request under way.
    controller: RefCell<Option<web_sys::AbortController>>,
    /// Aborts it after [`SILENCE_MS`] without a byte; re-armed on every chunk.
    watchdog: RefCell<Option<TimeoutHandle>>,
}

/// How one connection ended.
enum End {
    /// Try again after the backoff (or after the server's `Retry-After`, in ms).
    Again(Option<f64>),
    /// Not again with this token.
    Stop,
}

impl EventStream {
    /// Connects at once and keeps reconnecting until stopped or refused.
    pub(crate) fn start(request: HttpRequest, sink: StreamSink) -> EventStream {
        let inner = Rc::new(Inner {
            request,
            sink,
            stopped: Cell::new(false),
            controller: RefCell::new(None),
            watchdog: RefCell::new(None),
        });
        leptos::task::spawn_local(inner.clone().follow());
        EventStream { inner }
    }

    /// Aborts the request and ends the reconnect loop. Idempotent.
    pub(crate) fn stop(&self) {
        self.inner.stopped.set(true);
        self.inner.abort();
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Inner {
    fn report(&self, news: StreamNews) {
        if !self.stopped.get() {
            (self.sink)(news);
        }
    }

    fn abort(&self) {
        if let Some(t) = self.watchdog.borrow_mut().take() {
            t.clear();
        }
        if let Some(c) = self.controller.borrow_mut().take() {
            c.abort();
        }
    }

    /// (Re)arms the silence watchdog of the current request: it aborts the request, whose read
    /// then fails like a dropped connection.
    fn watch(&self) {
        let controller = self.controller.borrow().clone();
        let handle = controller.and_then(|c| abort_after(c, SILENCE_MS, Rc::default()));
        if let Some(old) = self.watchdog.replace(handle) {
            old.clear();
        }
    }

    /// The reconnect loop.
    async fn follow(self: Rc<Self>) {
        // The server's `retry` outlives its connection; nothing else of a stream does.
        let mut retry = DEFAULT_RETRY_MS;
        let mut attempt = 0;
        while !self.stopped.get() {
            let opened = browser::now();
            let mut up = false;
            let end = self.connect(&mut retry, &mut up).await;
            self.abort();
            if up {
                self.report(StreamNews::Down);
            }
            let wait = match end {
                End::Stop => return,
                End::Again(wait) => wait,
            };
            if browser::now() - opened >= HEALTHY_MS {
                attempt = 0;
            }
            attempt += 1;
            // Never sooner than the server asked, nor in a tight loop (`retry: 0`).
            let min_ms = (retry as f64).clamp(1_000.0, 600_000.0);
            let backoff = Backoff {
                min_ms,
                max_ms: min_ms.max(30_000.0),
                ..Backoff::default()
            };
            // A Retry-After is honoured, up to ten minutes (polls go on meanwhile).
            let delay = backoff
                .delay_ms(attempt, js_sys::Math::random())
                .max(wait.unwrap_or(0.0).min(600_000.0));
            browser::sleep(delay.min(u32::MAX as f64) as u32).await;
        }
    }

    /// One connection, read until it ends. `up` is set once it is an event stream.
    async fn connect(self: &Rc<Self>, retry: &mut u32, up: &mut bool) -> End {
        let Ok(controller) = web_sys::AbortController::new() else {
            return End::Stop;
        };
        let signal = controller.signal();
        *self.controller.borrow_mut() = Some(controller);
        self.watch();
        let response = match fetch_head(&self.request, &signal).await {
            Ok(response) => response,
            Err(e) => return self.failed(&e, None),
        };
        let status = response.status();
        let wait = retry_after(&response).map(|s| s as f64 * 1000.0);
        // `trim`, not `trim_start` (the same answer here): the bundle already links it.
        let is_stream = header(&response, "content-type")
            .is_some_and(|t| t.trim().starts_with("text/event-stream"));
        match status {
            200 if is_stream => {}
            // The token is no longer good: the stream stops and tells the driver, so the engine
            // reads, meets the same 401 and renews the session; the driver then follows the
            // stream with the new token.
            401 => {
                self.report(StreamNews::Down);
                return End::Stop;
            }
            // Rate limited, or the relay or a proxy in trouble: again later.
            429 | 500..=599 => return self.failed(&status_error(status, "retrying"), wait),
            // The relay's backend pushes nothing (the standard's "do not reconnect"): polling
            // alone follows the conversation, as intended.
            204 => return End::Stop,
            // Refused (403 forbidden_origin), or a relay without the stream (404): polling
            // carries on alone.
            _ => {
                browser::warn(&format!(
                    "Helpwire: the relay's event stream answered {status}{}; polling only",
                    if status == 200 {
                        " (not an event stream)"
                    } else {
                        ""
                    }
                ));
                return End::Stop;
            }
        }
        let Some(body) = response.body() else {
            return End::Again(None);
        };
        *up = true;
        self.report(StreamNews::Up);
        let mut parser = SseParser::default();
        // `dyn`, like the executor's: one copy of the reader serves both.
        let feed: &mut dyn FnMut(&str) -> bool = &mut |text| {
            if self.stopped.get() {
                return false;
            }
            self.watch();
            parser.feed_to(text, &mut |output| self.read(output));
            if let Some(ms) = parser.retry() {
                *retry = ms;
            }
            true
        };
        match read_body(&body, usize::MAX, feed).await {
            // The relay ends the stream when the token expires: the reconnect meets the 401.
            Ok(()) => End::Again(None),
            Err(ReadError::Failed(e)) => self.failed(&network(e), None),
            // No limit: the parser caps what it keeps.
            Err(ReadError::TooLarge) => End::Again(None),
        }
    }

    /// One parser output: an event goes to the driver, anything unreadable to the console.
    fn read(&self, output: SseOutput) {
        let event = match output {
            SseOutput::Event(event) => event,
            SseOutput::Warning(w) => return warn("", &w),
        };
        let mut notes = Vec::new();
        let read = relay::read_event(&event, &mut notes);
        for note in &notes {
            warn(STREAM, note);
        }
        match read {
            Ok(event) => self.report(StreamNews::Event(event)),
            Err(reason) => warn("skipped an event of the relay's stream: ", &reason),
        }
    }

    /// A connection that failed with `e`: reported on the console unless we stopped it.
    fn failed(&self, e: &ProviderError, wait: Option<f64>) -> End {
        if self.stopped.get() {
            return End::Stop;
        }
        warn(STREAM, e);
        End::Again(wait)
    }
}

/// What most of the stream's console messages start with (after "Helpwire: ").
const STREAM: &str = "the relay's event stream: ";

/// A console warning, "Helpwire: " then `what` after `prefix`: one formatting for them all.
fn warn(prefix: &str, what: &dyn std::fmt::Display) {
    browser::warn(&format!("Helpwire: {prefix}{what}"));
}

fn status_error(status: u16, detail: &str) -> ProviderError {
    ProviderError::Status {
        status,
        detail: detail.into(),
        retry_after: None,
    }
}
