//! Runs a push backend's [`PushChannel`] over a browser `WebSocket`.
//!
//! All protocol decisions (handshake, pings, timeouts, reconnect backoff, what to send) live in
//! the pure channel; this driver only opens and closes sockets, moves frames, keeps one timer for
//! [`PushChannel::next_deadline`], and hands everything that is not transport work to a sink.
//! Dropping the [`SocketDriver`] (or calling [`SocketDriver::stop`]) closes the channel and the
//! socket, cancels the timer and detaches every handler, so nothing fires afterwards.

use crate::web::browser;
use helpwire_core::protocol::push::{PushChannel, PushInput as Input, PushOutput};
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
/// One closure type for the four events (told apart by [`Input`]'s kind), so the bundle links
/// one handler shim instead of one per event type.
struct LiveSocket {
    ws: WebSocket,
    _handlers: [Closure<dyn FnMut(Event)>; 4],
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
        inner.step(Input::Connect);
        SocketDriver { inner }
    }

    /// Sends a visitor message; the outcome comes back to the sink as
    /// [`PushOutput::Delivered`] or [`PushOutput::SendFailed`].
    pub(crate) fn send(&self, message: &Outgoing, conversation_id: Option<&str>) {
        self.inner.step(Input::Send(message, conversation_id));
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
    fn step(self: &Rc<Self>, input: Input) {
        if self.stopped.get() {
            return;
        }
        let now = browser::now();
        // The borrow ends before any output is performed: the sink may call back into us.
        let outputs = self.channel.borrow_mut().step(input, now);
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
                self.step(Input::Error(&message));
                return;
            }
        };
        ws.set_binary_type(BinaryType::Arraybuffer);
        let handlers = [0, 1, 2, 3].map(|kind| self.handler(generation, kind));
        ws.set_onopen(Some(handlers[0].as_ref().unchecked_ref()));
        ws.set_onmessage(Some(handlers[1].as_ref().unchecked_ref()));
        ws.set_onclose(Some(handlers[2].as_ref().unchecked_ref()));
        ws.set_onerror(Some(handlers[3].as_ref().unchecked_ref()));
        *self.socket.borrow_mut() = Some(LiveSocket {
            ws,
            _handlers: handlers,
        });
    }

    /// The socket's handler for `kind` (0 open, 1 message, 2 close, 3 error). It holds the
    /// driver weakly (no reference cycle through the socket) and ignores events of sockets that
    /// are no longer current.
    fn handler(self: &Rc<Self>, generation: u64, kind: u8) -> Closure<dyn FnMut(Event)> {
        let weak: Weak<Inner> = Rc::downgrade(self);
        Closure::new(move |event: Event| {
            let Some(inner) = weak.upgrade() else {
                return;
            };
            if inner.stopped.get() || inner.generation.get() != generation {
                return;
            }
            match kind {
                0 => inner.step(Input::Open),
                1 => match event.unchecked_ref::<MessageEvent>().data().as_string() {
                    Some(text) => inner.step(Input::Text(&text)),
                    None => inner.step(Input::Binary),
                },
                // The browser's close reason as it is: the channel only keeps it in the
                // `Disconnected` report, which the widget never shows (no code formatted in).
                2 => inner.step(Input::Close(&event.unchecked_ref::<CloseEvent>().reason())),
                _ => inner.step(Input::Error("WebSocket error")),
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
                    inner.step(Input::Tick);
                }
            },
            Duration::from_millis(delay),
        )
        .ok();
        *self.timer.borrow_mut() = handle;
    }

    fn stop(self: &Rc<Self>) {
        if self.stopped.replace(true) {
            return;
        }
        if let Some(t) = self.timer.borrow_mut().take() {
            t.clear();
        }
        let outputs = self.channel.borrow_mut().step(Input::Leave, 0.0);
        // Only transport work now (the leave frame, the close; closing never opens): stopped,
        // `perform` tells the sink nothing about our own shutdown.
        self.perform(outputs);
        self.close_socket();
    }
}
