//! Runs a push backend's [`PushChannel`] over a browser `WebSocket`.
//!
//! All protocol decisions (handshake, pings, timeouts, reconnect backoff, what to send) live in
//! the pure channel; this driver only opens and closes sockets, moves frames, keeps one timer for
//! [`PushChannel::next_deadline`], and hands everything that is not transport work to a sink.
//! Dropping the [`SocketDriver`] (or calling [`SocketDriver::stop`]) closes the channel and the
//! socket, cancels the timer and detaches every handler, so nothing fires afterwards.

use crate::web::browser;
use helpwire_core::protocol::push::{PushChannel, PushOutput};
use helpwire_core::protocol::Outgoing;
use leptos::prelude::{set_timeout_with_handle, TimeoutHandle};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use std::time::Duration;
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, CloseEvent, Event, MessageEvent, WebSocket};

/// Receives what the channel reports: connection state, pushed messages, conversation ids,
/// deliveries and errors (never the transport outputs, which the driver performs itself).
pub(crate) type ChannelSink = Rc<dyn Fn(PushOutput)>;

/// A live push connection. Keep it for as long as the widget lives; drop it to stop.
pub(crate) struct SocketDriver {
    inner: Rc<Inner>,
}

struct Inner {
    channel: RefCell<Box<dyn PushChannel>>,
    sink: ChannelSink,
    socket: RefCell<Option<LiveSocket>>,
    /// Identifies the current socket; events of older ones are ignored.
    generation: Cell<u64>,
    timer: RefCell<Option<TimeoutHandle>>,
    stopped: Cell<bool>,
}

/// A WebSocket and the handlers attached to it (kept alive as long as the socket is current).
struct LiveSocket {
    ws: WebSocket,
    _on_open: Closure<dyn FnMut(Event)>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl LiveSocket {
    /// Detaches the handlers first (no event may reach a dropped closure), then closes.
    fn shut(self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        self.ws.set_onerror(None);
        let _ = self.ws.close();
    }
}

impl SocketDriver {
    /// Starts connecting `channel` at once; `sink` receives its reports.
    pub(crate) fn start(channel: Box<dyn PushChannel>, sink: ChannelSink) -> SocketDriver {
        let inner = Rc::new(Inner {
            channel: RefCell::new(channel),
            sink,
            socket: RefCell::new(None),
            generation: Cell::new(0),
            timer: RefCell::new(None),
            stopped: Cell::new(false),
        });
        inner.step(|ch, now| ch.connect(now));
        SocketDriver { inner }
    }

    /// Sends a visitor message; the outcome comes back to the sink as
    /// [`PushOutput::Delivered`] or [`PushOutput::SendFailed`].
    pub(crate) fn send(&self, message: &Outgoing, conversation_id: Option<&str>) {
        self.inner
            .step(|ch, now| ch.send(message, conversation_id, now));
    }

    /// Closes the channel and the socket and cancels the timer. Idempotent.
    pub(crate) fn stop(&self) {
        self.inner.stop();
    }
}

impl Drop for SocketDriver {
    fn drop(&mut self) {
        self.inner.stop();
    }
}

impl Inner {
    /// Applies one input to the channel and performs its outputs, then re-arms the timer.
    fn step(self: &Rc<Self>, f: impl FnOnce(&mut dyn PushChannel, f64) -> Vec<PushOutput>) {
        if self.stopped.get() {
            return;
        }
        let now = browser::now();
        // The borrow ends before any output is performed: the sink may call back into us.
        let outputs = f(&mut **self.channel.borrow_mut(), now);
        self.perform(outputs);
        self.arm_timer();
    }

    fn perform(self: &Rc<Self>, outputs: Vec<PushOutput>) {
        for output in outputs {
            match output {
                PushOutput::Open { url } => self.open(&url),
                PushOutput::Send(frame) => {
                    if let Some(socket) = self.socket.borrow().as_ref() {
                        // A failed send means the socket is closing; its close event follows.
                        let _ = socket.ws.send_with_str(&frame);
                    }
                }
                PushOutput::Close => self.close_socket(),
                other => {
                    if !self.stopped.get() {
                        (self.sink)(other);
                    }
                }
            }
        }
    }

    fn close_socket(&self) {
        let socket = self.socket.borrow_mut().take();
        if let Some(socket) = socket {
            socket.shut();
        }
    }

    fn open(self: &Rc<Self>, url: &str) {
        self.close_socket();
        let generation = self.generation.get().wrapping_add(1);
        self.generation.set(generation);
        let ws = match WebSocket::new(url) {
            Ok(ws) => ws,
            Err(e) => {
                // A malformed URL or a blocked scheme: the channel schedules the next attempt.
                let message = browser::describe(&e);
                self.step(|ch, now| ch.on_error(&message, now));
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);

        let on_open = self.handler(generation, |inner, _: Event| {
            inner.step(|ch, now| ch.on_open(now));
        });
        let on_message = self.handler(generation, |inner, e: MessageEvent| {
            match e.data().as_string() {
                Some(text) => inner.step(|ch, now| ch.on_text(&text, now)),
                None => inner.step(|ch, now| ch.on_binary(now)),
            }
        });
        let on_close = self.handler(generation, |inner, e: CloseEvent| {
            let reason = match e.reason() {
                r if r.is_empty() => format!("code {}", e.code()),
                r => format!("code {}: {r}", e.code()),
            };
            inner.step(|ch, now| ch.on_close(&reason, now));
        });
        let on_error = self.handler(generation, |inner, _: Event| {
            inner.step(|ch, now| ch.on_error("WebSocket error", now));
        });
        ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        ws.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(LiveSocket {
            ws,
            _on_open: on_open,
            _on_message: on_message,
            _on_close: on_close,
            _on_error: on_error,
        });
    }

    /// A socket event handler that holds the driver weakly (no reference cycle through the
    /// socket) and ignores events of sockets that are no longer current.
    fn handler<E: 'static + wasm_bindgen::convert::FromWasmAbi>(
        self: &Rc<Self>,
        generation: u64,
        f: impl Fn(&Rc<Inner>, E) + 'static,
    ) -> Closure<dyn FnMut(E)> {
        let weak: Weak<Inner> = Rc::downgrade(self);
        Closure::new(move |event: E| {
            if let Some(inner) = weak.upgrade() {
                if !inner.stopped.get() && inner.generation.get() == generation {
                    f(&inner, event);
                }
            }
        })
    }

    fn arm_timer(self: &Rc<Self>) {
        if let Some(t) = self.timer.borrow_mut().take() {
            t.clear();
        }
        if self.stopped.get() {
            return;
        }
        let Some(at) = self.channel.borrow().next_deadline() else {
            return;
        };
        // One millisecond late rather than early, so the deadline has passed when we look.
        let delay = (at - browser::now()).max(0.0).ceil() as u64 + 1;
        let weak = Rc::downgrade(self);
        let handle = set_timeout_with_handle(
            move || {
                if let Some(inner) = weak.upgrade() {
                    inner.step(|ch, now| ch.tick(now));
                }
            },
            Duration::from_millis(delay),
        )
        .ok();
        *self.timer.borrow_mut() = handle;
    }

    fn stop(&self) {
        if self.stopped.replace(true) {
            return;
        }
        if let Some(t) = self.timer.borrow_mut().take() {
            t.clear();
        }
        let outputs = self.channel.borrow_mut().close();
        // Only transport work now: the sink is not told about our own shutdown.
        for output in outputs {
            if let PushOutput::Send(frame) = output {
                if let Some(socket) = self.socket.borrow().as_ref() {
                    let _ = socket.ws.send_with_str(&frame);
                }
            }
        }
        self.close_socket();
    }
}
