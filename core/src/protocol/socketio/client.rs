//! The Socket.IO client for one namespace, as a pure state machine: connect, join, heartbeat,
//! time out and reconnect. Its transport work (open, send, close) is written as
//! [`PushOutput`]s straight into the caller's list, which the web layer performs in order; what
//! the push channel must handle itself (joined, an event, an ack, a disconnect, a dropped packet,
//! a refusal) is
//! returned as one [`Report`].

use super::engine_io::{decode_engine, frame as engine_frame, EnginePacket, Handshake};
use super::error::CodecError;
use super::packet::{decode_socket, parts_frame, SocketPacket};
use crate::backoff::Backoff;
use crate::json::Json;
use crate::protocol::push::PushOutput;
use crate::time::earliest;
use std::fmt;

/// What the client connects to and how it behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// The Engine.IO WebSocket URL (see [`engine_io_url`](super::engine_io_url)).
    pub url: String,
    /// The namespace to join, e.g. `/helpdesk`.
    pub namespace: String,
    /// The `auth` payload of the CONNECT packet, if the server wants one.
    pub auth: Option<Json>,
    pub backoff: Backoff,
    /// How long opening the socket and joining the namespace may take, in ms.
    pub connect_timeout_ms: f64,
    /// Give up after this many failed attempts in a row (`None`: never).
    pub max_attempts: Option<u32>,
}

impl ClientConfig {
    /// A configuration with the defaults of the JavaScript client (20 s connect timeout,
    /// reconnecting forever) and [`Backoff::default`].
    pub fn new(url: impl Into<String>, namespace: impl Into<String>) -> Self {
        ClientConfig {
            url: url.into(),
            namespace: namespace.into(),
            auth: None,
            backoff: Backoff::default(),
            connect_timeout_ms: 20_000.0,
            max_attempts: None,
        }
    }
}

/// Where the connection stands.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConnectionState {
    /// Not started, or stopped by [`SocketIoClient::close`], a server DISCONNECT, a refusal or
    /// giving up. Only [`SocketIoClient::connect`] starts it again.
    Idle,
    /// The transport is opening; waiting for the Engine.IO handshake.
    Opening,
    /// Handshake done, CONNECT sent; waiting for the namespace to accept it.
    Joining,
    /// In the namespace: events flow.
    Connected,
    /// Lost; the next attempt is due at `at` (ms).
    Waiting { at: f64 },
}

/// An event the server emitted.
#[derive(Clone, Debug, PartialEq)]
pub struct IncomingEvent {
    pub name: String,
    pub args: Vec<Json>,
    /// Set when the server waits for an acknowledgement (answer with [`SocketIoClient::ack`]).
    pub ack_id: Option<u64>,
}

/// Why the connection ended.
#[derive(Clone, Debug, PartialEq)]
pub enum DisconnectReason {
    /// The WebSocket closed (the browser's close reason, maybe empty).
    TransportClosed(String),
    /// The WebSocket reported an error.
    TransportError(String),
    /// No ping within `pingInterval + pingTimeout`.
    PingTimeout,
    /// The handshake or the namespace join took longer than the connect timeout.
    ConnectTimeout,
    /// The server sent an Engine.IO `close`.
    ServerClose,
    /// The server removed us from the namespace (no automatic reconnect, as in the JS client).
    ServerDisconnect,
    /// A frame's Engine.IO framing could not be decoded; the connection is dropped and reopened.
    Protocol(CodecError),
    /// [`SocketIoClient::close`] was called.
    ClientClose,
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DisconnectReason::TransportClosed(r) if r.is_empty() => write!(f, "connection closed"),
            DisconnectReason::TransportClosed(r) => write!(f, "connection closed: {r}"),
            DisconnectReason::TransportError(e) => write!(f, "connection error: {e}"),
            DisconnectReason::PingTimeout => {
                write!(f, "the server stopped answering (ping timeout)")
            }
            DisconnectReason::ConnectTimeout => write!(f, "connecting timed out"),
            DisconnectReason::ServerClose => write!(f, "the server closed the connection"),
            DisconnectReason::ServerDisconnect => write!(f, "the server ended the session"),
            DisconnectReason::Protocol(e) => write!(f, "protocol error: {e}"),
            DisconnectReason::ClientClose => write!(f, "closed by the client"),
        }
    }
}

/// Why an emit or an acknowledgement cannot be sent.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientError {
    /// An emit while not in the namespace.
    NotConnected,
    /// The frame is larger than the server's `maxPayload`.
    TooLarge { size: usize, max: u64 },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NotConnected => write!(f, "not connected"),
            ClientError::TooLarge { size, max } => {
                write!(
                    f,
                    "packet of {size} bytes exceeds the server's limit of {max}"
                )
            }
        }
    }
}

impl std::error::Error for ClientError {}

/// What happened beyond the transport work, for the push channel: every method that takes an
/// `out` list writes the frames to send, the socket to open or close, into it (as
/// [`PushOutput::Open`], [`PushOutput::Send`] and [`PushOutput::Close`], in order) and returns
/// at most one report.
#[derive(Clone, Debug, PartialEq)]
pub enum Report {
    /// Nothing beyond the transport work in `out`.
    Nothing,
    /// Joined the namespace; `sid` is the namespace session id the server gave.
    Connected {
        sid: Option<String>,
    },
    Event(IncomingEvent),
    /// The server acknowledged our event `id`.
    Ack {
        id: u64,
        args: Vec<Json>,
    },
    /// The connection ended (its `Close` is already in `out`), and what comes next.
    Disconnected {
        reason: DisconnectReason,
        next: Next,
    },
    /// A Socket.IO packet could not be decoded; it is dropped and the connection goes on.
    Dropped(CodecError),
    /// The server refused to let us join the namespace (CONNECT_ERROR): `Close` is in `out`, no
    /// automatic reconnect.
    Refused {
        message: String,
        data: Option<Json>,
    },
}

/// What follows a disconnect.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Nothing until [`SocketIoClient::connect`]: the server or [`SocketIoClient::close`] ended it.
    Stop,
    /// The next attempt is scheduled at `at` (ms); `attempt` counts failures in a row.
    ReconnectAt { at: f64, attempt: u32 },
    /// `max_attempts` failed attempts in a row: no more automatic reconnects.
    GaveUp { attempts: u32 },
}

/// A frame to send for an emit, and the id its acknowledgement will carry.
#[derive(Clone, Debug, PartialEq)]
pub struct Emitted {
    pub frame: String,
    pub ack_id: Option<u64>,
}

/// A Socket.IO client for one namespace, as a pure state machine.
///
/// The driver calls [`connect`](Self::connect), then reports the WebSocket's life with
/// [`on_transport_open`](Self::on_transport_open), [`on_text`](Self::on_text),
/// [`on_transport_close`](Self::on_transport_close) and
/// [`on_transport_error`](Self::on_transport_error), calls [`tick`](Self::tick) when
/// [`next_deadline`](Self::next_deadline) comes, performs the [`PushOutput`]s each call writes
/// into its `out` list in order, and handles the [`Report`] it returns.
#[derive(Clone, Debug)]
pub struct SocketIoClient {
    config: ClientConfig,
    state: ConnectionState,
    handshake: Option<Handshake>,
    /// When opening/joining times out.
    connect_deadline: Option<f64>,
    /// When the missing ping means a dead connection.
    ping_deadline: Option<f64>,
    /// Failed attempts in a row; reset when the namespace is joined.
    attempts: u32,
    next_ack_id: u64,
    rng: u64,
}

impl SocketIoClient {
    /// A client that has not connected yet. `seed` drives the backoff jitter (the wasm driver
    /// passes something random; tests pass a constant to get a reproducible schedule).
    pub fn new(config: ClientConfig, seed: u64) -> Self {
        let rng = seed ^ 0x9E37_79B9_7F4A_7C15;
        SocketIoClient {
            config,
            state: ConnectionState::Idle,
            handshake: None,
            connect_deadline: None,
            ping_deadline: None,
            attempts: 0,
            next_ack_id: 0,
            rng: if rng == 0 { 1 } else { rng },
        }
    }

    pub fn state(&self) -> ConnectionState {
        self.state
    }

    pub fn is_connected(&self) -> bool {
        self.state == ConnectionState::Connected
    }

    /// When [`tick`](Self::tick) must be called next, if anything is waiting on time.
    pub fn next_deadline(&self) -> Option<f64> {
        let waiting = match self.state {
            ConnectionState::Waiting { at } => Some(at),
            _ => None,
        };
        earliest(earliest(waiting, self.connect_deadline), self.ping_deadline)
    }

    /// Starts connecting now (also cuts a reconnect wait short, or restarts after a refusal).
    /// Does nothing while already connecting or connected.
    pub fn connect(&mut self, now: f64, out: &mut Vec<PushOutput>) {
        match self.state {
            ConnectionState::Opening | ConnectionState::Joining | ConnectionState::Connected => {}
            ConnectionState::Idle => {
                self.attempts = 0;
                self.open(now, out)
            }
            ConnectionState::Waiting { .. } => self.open(now, out),
        }
    }

    fn open(&mut self, now: f64, out: &mut Vec<PushOutput>) {
        self.state = ConnectionState::Opening;
        self.handshake = None;
        self.ping_deadline = None;
        self.connect_deadline = Some(now + self.config.connect_timeout_ms);
        out.push(PushOutput::Open {
            url: self.config.url.clone(),
        });
    }

    /// The WebSocket opened; the server speaks first (its handshake), so nothing to send yet.
    pub fn on_transport_open(&mut self, _now: f64) -> Report {
        Report::Nothing
    }

    /// A text frame arrived.
    pub fn on_text(&mut self, frame: &str, now: f64, out: &mut Vec<PushOutput>) -> Report {
        if !self.is_active() {
            // A frame from a socket we already gave up on.
            return Report::Nothing;
        }
        let packet = match decode_engine(frame) {
            Ok(p) => p,
            Err(e) => return self.fail(DisconnectReason::Protocol(e), now, out),
        };
        match packet {
            EnginePacket::Open(handshake) => {
                if self.state != ConnectionState::Opening {
                    return Report::Nothing;
                }
                self.ping_deadline = Some(
                    now + handshake
                        .ping_interval
                        .saturating_add(handshake.ping_timeout) as f64,
                );
                self.handshake = Some(handshake);
                self.state = ConnectionState::Joining;
                let auth = (self.config.auth.as_ref()).map_or_else(String::new, Json::to_string);
                let connect = parts_frame('0', &self.config.namespace, None, &auth);
                out.push(PushOutput::Send(connect));
            }
            EnginePacket::Ping(data) => {
                if let Some(h) = &self.handshake {
                    self.ping_deadline =
                        Some(now + h.ping_interval.saturating_add(h.ping_timeout) as f64);
                }
                out.push(PushOutput::Send(engine_frame('3', data)));
            }
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => {}
            EnginePacket::Close => return self.fail(DisconnectReason::ServerClose, now, out),
            EnginePacket::Message(text) => return self.on_socket_packet(text, out),
        }
        Report::Nothing
    }

    fn on_socket_packet(&mut self, text: &str, out: &mut Vec<PushOutput>) -> Report {
        // The Engine.IO framing was fine, so the connection is: a Socket.IO packet this client
        // cannot represent (a binary event, a number as the event name…) is only reported.
        let packet = match decode_socket(text) {
            Ok(p) => p,
            Err(e) => return Report::Dropped(e),
        };
        if packet.namespace() != self.config.namespace {
            return Report::Nothing;
        }
        match packet {
            SocketPacket::Connect { payload, .. } => {
                if self.state != ConnectionState::Joining {
                    return Report::Nothing;
                }
                self.state = ConnectionState::Connected;
                self.connect_deadline = None;
                self.attempts = 0;
                let sid = payload
                    .as_ref()
                    .and_then(|p| p.get("sid"))
                    .and_then(Json::as_str)
                    .map(str::to_string);
                Report::Connected { sid }
            }
            SocketPacket::ConnectError { message, data, .. } => {
                self.stop();
                out.push(PushOutput::Close);
                Report::Refused { message, data }
            }
            SocketPacket::Disconnect { .. } => {
                self.stop();
                out.push(PushOutput::Close);
                Report::Disconnected {
                    reason: DisconnectReason::ServerDisconnect,
                    next: Next::Stop,
                }
            }
            SocketPacket::Event { id, name, args, .. } => Report::Event(IncomingEvent {
                name,
                args,
                ack_id: id,
            }),
            SocketPacket::Ack { id, args, .. } => Report::Ack { id, args },
        }
    }

    /// A binary frame arrived: attachments of a binary packet this client does not support.
    /// They are ignored (the packet that announced them was already reported).
    pub fn on_binary(&mut self, _now: f64) -> Report {
        Report::Nothing
    }

    /// The WebSocket closed.
    pub fn on_transport_close(
        &mut self,
        reason: &str,
        now: f64,
        out: &mut Vec<PushOutput>,
    ) -> Report {
        if !self.is_active() {
            return Report::Nothing;
        }
        self.fail(
            DisconnectReason::TransportClosed(reason.to_string()),
            now,
            out,
        )
    }

    /// The WebSocket reported an error (browsers follow it with a close, which is then ignored).
    pub fn on_transport_error(
        &mut self,
        message: &str,
        now: f64,
        out: &mut Vec<PushOutput>,
    ) -> Report {
        if !self.is_active() {
            return Report::Nothing;
        }
        self.fail(
            DisconnectReason::TransportError(message.to_string()),
            now,
            out,
        )
    }

    /// Time passed: handles the connect timeout, the heartbeat and a due reconnect.
    pub fn tick(&mut self, now: f64, out: &mut Vec<PushOutput>) -> Report {
        match self.state {
            ConnectionState::Waiting { at } if at <= now => self.open(now, out),
            ConnectionState::Opening | ConnectionState::Joining
                if self.connect_deadline.is_some_and(|d| d <= now) =>
            {
                return self.fail(DisconnectReason::ConnectTimeout, now, out)
            }
            ConnectionState::Joining | ConnectionState::Connected
                if self.ping_deadline.is_some_and(|d| d <= now) =>
            {
                return self.fail(DisconnectReason::PingTimeout, now, out)
            }
            _ => {}
        }
        Report::Nothing
    }

    /// The frame for emitting `name` with `args`; with `want_ack`, a fresh ack id the server's
    /// [`Report::Ack`] will carry.
    pub fn emit(
        &mut self,
        name: &str,
        args: Vec<Json>,
        want_ack: bool,
    ) -> Result<Emitted, ClientError> {
        let mut text = String::new();
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            arg.write_to(&mut text);
        }
        self.emit_json(name, &text, want_ack)
    }

    /// [`emit`](Self::emit) with the arguments already written: `args` is their JSON text,
    /// comma-separated (`{"a":1},2`; empty for none). A push backend writes its few fixed
    /// payloads directly instead of building [`Json`] values for them.
    pub fn emit_json(
        &mut self,
        name: &str,
        args: &str,
        want_ack: bool,
    ) -> Result<Emitted, ClientError> {
        if !self.is_connected() {
            return Err(ClientError::NotConnected);
        }
        let id = want_ack.then(|| {
            let id = self.next_ack_id;
            self.next_ack_id = self.next_ack_id.wrapping_add(1);
            id
        });
        let mut array = String::from("[");
        Json::from(name).write_to(&mut array);
        if !args.is_empty() {
            array.push(',');
            array.push_str(args);
        }
        array.push(']');
        let frame = parts_frame('2', &self.config.namespace, id, &array);
        self.check_size(&frame)?;
        Ok(Emitted { frame, ack_id: id })
    }

    /// The frame acknowledging the server's event `id`.
    pub fn ack(&self, id: u64, args: Vec<Json>) -> Result<String, ClientError> {
        self.ack_json(id, &Json::Array(args).to_string())
    }

    /// [`ack`](Self::ack) with the arguments' array already written as JSON text (`[]` for
    /// none), as [`emit_json`](Self::emit_json): the channel's empty answer is not built and
    /// written as a [`Json`] array.
    pub fn ack_json(&self, id: u64, args: &str) -> Result<String, ClientError> {
        if !self.is_connected() {
            return Err(ClientError::NotConnected);
        }
        let frame = parts_frame('3', &self.config.namespace, Some(id), args);
        self.check_size(&frame)?;
        Ok(frame)
    }

    /// Leaves the namespace and closes the transport; no reconnect until [`connect`](Self::connect).
    pub fn close(&mut self, out: &mut Vec<PushOutput>) -> Report {
        let state = self.state;
        self.stop();
        match state {
            ConnectionState::Connected => {
                let disconnect = parts_frame('1', &self.config.namespace, None, "");
                out.push(PushOutput::Send(disconnect));
                out.push(PushOutput::Close);
                Report::Disconnected {
                    reason: DisconnectReason::ClientClose,
                    next: Next::Stop,
                }
            }
            ConnectionState::Opening | ConnectionState::Joining => {
                out.push(PushOutput::Close);
                Report::Nothing
            }
            ConnectionState::Idle | ConnectionState::Waiting { .. } => Report::Nothing,
        }
    }

    fn check_size(&self, frame: &str) -> Result<(), ClientError> {
        match &self.handshake {
            Some(h) if frame.len() as u64 > h.max_payload => Err(ClientError::TooLarge {
                size: frame.len(),
                max: h.max_payload,
            }),
            _ => Ok(()),
        }
    }

    fn is_active(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Opening | ConnectionState::Joining | ConnectionState::Connected
        )
    }

    fn stop(&mut self) {
        self.state = ConnectionState::Idle;
        self.connect_deadline = None;
        self.ping_deadline = None;
    }

    /// Drops the connection and schedules the next attempt (or gives up).
    fn fail(&mut self, reason: DisconnectReason, now: f64, out: &mut Vec<PushOutput>) -> Report {
        self.connect_deadline = None;
        self.ping_deadline = None;
        self.attempts = self.attempts.saturating_add(1);
        out.push(PushOutput::Close);
        let next = if self
            .config
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            self.state = ConnectionState::Idle;
            Next::GaveUp {
                attempts: self.attempts,
            }
        } else {
            let random = self.next_random();
            let at = now + self.config.backoff.delay_ms(self.attempts, random);
            self.state = ConnectionState::Waiting { at };
            Next::ReconnectAt {
                at,
                attempt: self.attempts,
            }
        };
        Report::Disconnected { reason, next }
    }

    /// xorshift64*: a tiny deterministic generator, in `[0, 1)`.
    fn next_random(&mut self) -> f64 {
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64
    }
}
