//! Engine.IO v4 and Socket.IO v5 over a WebSocket, as a pure codec and a pure client state machine.
//!
//! Eusate pushes answers over Socket.IO. Rather than bind a JavaScript client, the widget speaks
//! the protocol itself: this module turns text frames into packets and back, and
//! [`SocketIoClient`] decides what to do with them (answer pings, join the namespace, time out,
//! reconnect with backoff). It never touches a socket or a clock: the wasm driver feeds it frames
//! and the current time and performs the [`Action`]s it returns, so every transition is testable
//! on the host against packets written out from the protocol documents.
//!
//! Only the WebSocket transport is supported (no long-polling, no upgrade), and only text packets:
//! binary events (Socket.IO types 5 and 6) decode as [`CodecError::BinaryNotSupported`].

use super::wire::Fields;
use crate::json::Json;
use std::fmt;

/// The Engine.IO protocol revision this module speaks (`EIO=4`).
pub const ENGINE_IO_VERSION: u32 = 4;

/// The default Engine.IO endpoint path of a Socket.IO server.
pub const DEFAULT_PATH: &str = "/socket.io/";

/// The main namespace; packets for it carry no namespace prefix.
pub const MAIN_NAMESPACE: &str = "/";

/// Event names the Socket.IO protocol reserves; a server never emits them as events.
pub const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Why a frame could not be decoded. Never a panic: a malformed frame from the network is data.
#[derive(Clone, Debug, PartialEq)]
pub enum CodecError {
    /// An empty frame or packet.
    Empty,
    /// The Engine.IO packet type is not one of `0`–`6`.
    UnknownEngineType(char),
    /// The Socket.IO packet type is not one of `0`–`6`.
    UnknownSocketType(char),
    /// A Socket.IO `BINARY_EVENT` (5) or `BINARY_ACK` (6): this client speaks text only.
    BinaryNotSupported,
    /// The Engine.IO open packet is not the documented JSON object.
    Handshake(String),
    /// A namespace that does not look like one (e.g. JSON leaked into it).
    Namespace(String),
    /// An acknowledgement id that is missing or out of range.
    AckId(String),
    /// The payload is not JSON.
    Json(String),
    /// The payload is JSON but not the shape this packet type requires.
    Payload {
        packet: &'static str,
        reason: String,
    },
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Empty => write!(f, "empty packet"),
            CodecError::UnknownEngineType(c) => write!(f, "unknown Engine.IO packet type \"{c}\""),
            CodecError::UnknownSocketType(c) => write!(f, "unknown Socket.IO packet type \"{c}\""),
            CodecError::BinaryNotSupported => write!(f, "binary not supported"),
            CodecError::Handshake(e) => write!(f, "invalid Engine.IO open packet: {e}"),
            CodecError::Namespace(ns) => write!(f, "invalid namespace \"{ns}\""),
            CodecError::AckId(e) => write!(f, "invalid acknowledgement id: {e}"),
            CodecError::Json(e) => write!(f, "payload is not JSON: {e}"),
            CodecError::Payload { packet, reason } => {
                write!(f, "invalid {packet} payload: {reason}")
            }
        }
    }
}

impl std::error::Error for CodecError {}

// ---------------------------------------------------------------------------------------------
// Engine.IO
// ---------------------------------------------------------------------------------------------

/// The JSON of an Engine.IO `open` packet: the server's session and heartbeat settings,
/// `{sid, upgrades, pingInterval, pingTimeout, maxPayload}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Handshake {
    pub sid: String,
    /// Transports the server could upgrade to; irrelevant over a WebSocket, kept for completeness.
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong; the client waits `ping_interval + ping_timeout`
    /// for the next ping before it considers the connection dead.
    pub ping_timeout: u64,
    /// The largest packet the server accepts, in bytes (1 000 000 when the server does not say).
    pub max_payload: u64,
}

impl Handshake {
    /// The open packet's JSON, fields in the order Engine.IO servers send them.
    pub fn to_json(&self) -> Json {
        Json::object([
            ("sid", Json::from(&self.sid)),
            (
                "upgrades",
                Json::Array(self.upgrades.iter().map(Json::from).collect()),
            ),
            ("pingInterval", Json::from(self.ping_interval)),
            ("pingTimeout", Json::from(self.ping_timeout)),
            ("maxPayload", Json::from(self.max_payload)),
        ])
    }

    /// `sid`, `pingInterval` and `pingTimeout` are required; unknown fields are ignored.
    pub fn from_json(v: &Json) -> Result<Handshake, String> {
        let f = Fields::of(v, "the handshake")?;
        Ok(Handshake {
            sid: f.string("sid")?,
            upgrades: f
                .array("upgrades")?
                .iter()
                .map(|u| {
                    u.as_str()
                        .map(str::to_string)
                        .ok_or("an upgrade is not a string")
                })
                .collect::<Result<_, _>>()?,
            ping_interval: f.u64("pingInterval")?,
            ping_timeout: f.u64("pingTimeout")?,
            max_payload: f.opt_u64("maxPayload")?.unwrap_or(1_000_000),
        })
    }
}

/// One Engine.IO packet (one WebSocket text frame).
#[derive(Clone, Debug, PartialEq)]
pub enum EnginePacket {
    /// `0{…}`: the handshake, the first frame the server sends.
    Open(Handshake),
    /// `1`: the server closes the session.
    Close,
    /// `2`: heartbeat from the server (data is `probe` only during upgrades).
    Ping(String),
    /// `3`: the answer to a ping.
    Pong(String),
    /// `4…`: a message; for Socket.IO, one encoded [`SocketPacket`].
    Message(String),
    /// `5`: transport upgrade (never used on a direct WebSocket).
    Upgrade,
    /// `6`: no operation.
    Noop,
}

/// Encodes an Engine.IO packet as a WebSocket text frame.
pub fn encode_engine(packet: &EnginePacket) -> String {
    match packet {
        EnginePacket::Open(h) => format!("0{}", h.to_json()),
        EnginePacket::Close => "1".into(),
        EnginePacket::Ping(data) => format!("2{data}"),
        EnginePacket::Pong(data) => format!("3{data}"),
        EnginePacket::Message(data) => format!("4{data}"),
        EnginePacket::Upgrade => "5".into(),
        EnginePacket::Noop => "6".into(),
    }
}

/// Decodes one WebSocket text frame into an Engine.IO packet.
pub fn decode_engine(frame: &str) -> Result<EnginePacket, CodecError> {
    let mut chars = frame.chars();
    let kind = chars.next().ok_or(CodecError::Empty)?;
    let data = chars.as_str();
    match kind {
        '0' => {
            let h = Json::parse(data)
                .map_err(|e| e.to_string())
                .and_then(|json| Handshake::from_json(&json))
                .map_err(CodecError::Handshake)?;
            if h.sid.is_empty() {
                return Err(CodecError::Handshake("empty sid".into()));
            }
            if h.ping_interval == 0 {
                return Err(CodecError::Handshake(
                    "pingInterval must be positive".into(),
                ));
            }
            Ok(EnginePacket::Open(h))
        }
        '1' => Ok(EnginePacket::Close),
        '2' => Ok(EnginePacket::Ping(data.to_string())),
        '3' => Ok(EnginePacket::Pong(data.to_string())),
        '4' => Ok(EnginePacket::Message(data.to_string())),
        '5' => Ok(EnginePacket::Upgrade),
        '6' => Ok(EnginePacket::Noop),
        other => Err(CodecError::UnknownEngineType(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// Socket.IO
// ---------------------------------------------------------------------------------------------

/// One Socket.IO packet: `<type>[<namespace>,][<ack id>][<JSON payload>]`.
#[derive(Clone, Debug, PartialEq)]
pub enum SocketPacket {
    /// `0`: from the client, joins a namespace (payload: the `auth` object); from the server,
    /// confirms it (payload `{"sid": …}`).
    Connect {
        namespace: String,
        payload: Option<Json>,
    },
    /// `1`: leaves a namespace (either side).
    Disconnect { namespace: String },
    /// `2`: an event `[name, ...args]`; with an `id` the sender wants an acknowledgement.
    Event {
        namespace: String,
        id: Option<u64>,
        name: String,
        args: Vec<Json>,
    },
    /// `3`: the acknowledgement of event `id`.
    Ack {
        namespace: String,
        id: u64,
        args: Vec<Json>,
    },
    /// `4`: the server refused to join the namespace (payload `{"message", "data"?}`).
    ConnectError {
        namespace: String,
        message: String,
        data: Option<Json>,
    },
}

impl SocketPacket {
    /// The namespace the packet belongs to (`/` for the main one).
    pub fn namespace(&self) -> &str {
        match self {
            SocketPacket::Connect { namespace, .. }
            | SocketPacket::Disconnect { namespace }
            | SocketPacket::Event { namespace, .. }
            | SocketPacket::Ack { namespace, .. }
            | SocketPacket::ConnectError { namespace, .. } => namespace,
        }
    }
}

/// Encodes a Socket.IO packet (without the Engine.IO `4` in front; see [`encode_frame`]).
pub fn encode_socket(packet: &SocketPacket) -> String {
    let (kind, namespace, id, payload): (char, &str, Option<u64>, Option<Json>) = match packet {
        SocketPacket::Connect { namespace, payload } => ('0', namespace, None, payload.clone()),
        SocketPacket::Disconnect { namespace } => ('1', namespace, None, None),
        SocketPacket::Event {
            namespace,
            id,
            name,
            args,
        } => {
            let mut array = Vec::with_capacity(args.len() + 1);
            array.push(Json::from(name));
            array.extend(args.iter().cloned());
            ('2', namespace, *id, Some(Json::Array(array)))
        }
        SocketPacket::Ack {
            namespace,
            id,
            args,
        } => ('3', namespace, Some(*id), Some(Json::Array(args.clone()))),
        SocketPacket::ConnectError {
            namespace,
            message,
            data,
        } => {
            let mut object = Json::object([("message", Json::from(message))]);
            if let Some(d) = data {
                object.insert("data", d.clone());
            }
            ('4', namespace, None, Some(object))
        }
    };
    let mut out = String::new();
    out.push(kind);
    if !namespace.is_empty() && namespace != MAIN_NAMESPACE {
        out.push_str(namespace);
        out.push(',');
    }
    if let Some(id) = id {
        out.push_str(&id.to_string());
    }
    if let Some(p) = payload {
        out.push_str(&p.to_string());
    }
    out
}

/// Decodes a Socket.IO packet (the data of an Engine.IO message).
pub fn decode_socket(text: &str) -> Result<SocketPacket, CodecError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(CodecError::Empty)?;
    match kind {
        '0'..='4' => {}
        '5' | '6' => return Err(CodecError::BinaryNotSupported),
        other => return Err(CodecError::UnknownSocketType(other)),
    }
    let mut rest = chars.as_str();

    let namespace = if rest.starts_with('/') {
        let (ns, after) = match rest.find(',') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if ns
            .chars()
            .any(|c| matches!(c, '"' | '[' | ']' | '{' | '}') || c.is_whitespace())
        {
            return Err(CodecError::Namespace(ns.to_string()));
        }
        rest = after;
        ns.to_string()
    } else {
        MAIN_NAMESPACE.to_string()
    };

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let raw = &rest[..digits];
        rest = &rest[digits..];
        Some(
            raw.parse::<u64>()
                .map_err(|_| CodecError::AckId(format!("{raw} is out of range")))?,
        )
    } else {
        None
    };

    let payload = if rest.is_empty() {
        None
    } else {
        Some(Json::parse(rest).map_err(|e| CodecError::Json(e.to_string()))?)
    };

    match kind {
        '0' => match payload {
            None | Some(Json::Object(_)) => Ok(SocketPacket::Connect { namespace, payload }),
            Some(_) => Err(CodecError::Payload {
                packet: "CONNECT",
                reason: "must be an object".into(),
            }),
        },
        '1' => match payload {
            None => Ok(SocketPacket::Disconnect { namespace }),
            Some(_) => Err(CodecError::Payload {
                packet: "DISCONNECT",
                reason: "must be empty".into(),
            }),
        },
        '2' => {
            let invalid = |reason: &str| CodecError::Payload {
                packet: "EVENT",
                reason: reason.to_string(),
            };
            let Some(Json::Array(mut array)) = payload else {
                return Err(invalid("must be an array"));
            };
            if array.is_empty() {
                return Err(invalid("must name an event"));
            }
            let Json::String(name) = array.remove(0) else {
                return Err(invalid("the event name must be a string"));
            };
            if RESERVED_EVENTS.contains(&name.as_str()) {
                return Err(invalid(&format!("\"{name}\" is a reserved event name")));
            }
            Ok(SocketPacket::Event {
                namespace,
                id,
                name,
                args: array,
            })
        }
        '3' => {
            let id = id.ok_or_else(|| CodecError::AckId("missing on ACK".into()))?;
            match payload {
                Some(Json::Array(args)) => Ok(SocketPacket::Ack {
                    namespace,
                    id,
                    args,
                }),
                _ => Err(CodecError::Payload {
                    packet: "ACK",
                    reason: "must be an array".into(),
                }),
            }
        }
        _ => {
            // CONNECT_ERROR: `{"message", "data"?}` in protocol v5, a bare string in v4.
            let invalid = || CodecError::Payload {
                packet: "CONNECT_ERROR",
                reason: "must be an object with a message".into(),
            };
            match payload {
                Some(Json::String(message)) => Ok(SocketPacket::ConnectError {
                    namespace,
                    message,
                    data: None,
                }),
                Some(object @ Json::Object(_)) => {
                    let Some(message) = object.get("message").and_then(Json::as_str) else {
                        return Err(invalid());
                    };
                    Ok(SocketPacket::ConnectError {
                        namespace,
                        message: message.to_string(),
                        data: object.get("data").cloned(),
                    })
                }
                _ => Err(invalid()),
            }
        }
    }
}

/// Encodes a Socket.IO packet as a WebSocket text frame (an Engine.IO message).
pub fn encode_frame(packet: &SocketPacket) -> String {
    encode_engine(&EnginePacket::Message(encode_socket(packet)))
}

// ---------------------------------------------------------------------------------------------
// URLs
// ---------------------------------------------------------------------------------------------

/// Why a base URL cannot carry a socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid socket URL: {}", self.0)
    }
}

impl std::error::Error for UrlError {}

/// Percent-encodes everything but RFC 3986's unreserved characters (for query values and path
/// segments).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The WebSocket URL of an Engine.IO v4 endpoint.
///
/// `base` is the server as the site configured it (`http(s)://` or `ws(s)://`, maybe with a path
/// prefix when a proxy mounts the backend under one); `path` is the Engine.IO path
/// ([`DEFAULT_PATH`]), appended to that prefix. `query` pairs come first, then `EIO=4` and
/// `transport=websocket`, as the JavaScript client orders them.
pub fn engine_io_url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<String, UrlError> {
    let base = base.trim();
    let (scheme, rest) = base
        .split_once("://")
        .ok_or_else(|| UrlError(format!("\"{base}\" has no scheme")))?;
    let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => return Err(UrlError(format!("unsupported scheme \"{other}\""))),
    };
    if rest.contains(['?', '#']) {
        return Err(UrlError(format!(
            "\"{base}\" must not carry a query or fragment"
        )));
    }
    let (authority, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.chars().any(char::is_whitespace) {
        return Err(UrlError(format!("\"{base}\" has no valid host")));
    }
    let prefix = prefix.trim_end_matches('/');
    let path = path.trim_matches('/');
    let mut url = format!("{ws_scheme}://{authority}{prefix}/");
    if !path.is_empty() {
        url.push_str(path);
        url.push('/');
    }
    url.push('?');
    for (key, value) in query {
        url.push_str(&percent_encode(key));
        url.push('=');
        url.push_str(&percent_encode(value));
        url.push('&');
    }
    url.push_str(&format!("EIO={ENGINE_IO_VERSION}&transport=websocket"));
    Ok(url)
}

// ---------------------------------------------------------------------------------------------
// Reconnect backoff
// ---------------------------------------------------------------------------------------------

/// When to try again after the connection is lost: exponential, capped, with "equal jitter"
/// (part fixed, part random) so that every visitor of a site cut off at once does not come back
/// in the same millisecond.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Backoff {
    /// The first retry comes after at most this long.
    pub min_ms: f64,
    /// No wait is ever longer.
    pub max_ms: f64,
    /// Growth per attempt.
    pub factor: f64,
    /// Share of each wait that is random, in `[0, 1]`.
    pub jitter: f64,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            min_ms: 1_000.0,
            max_ms: 30_000.0,
            factor: 2.0,
            jitter: 0.5,
        }
    }
}

impl Backoff {
    /// The wait before attempt `attempt` (1 = the first reconnect), with `random` in `[0, 1)`.
    /// Always within `[(1 - jitter) × step, step]` where `step = min(min_ms × factor^(attempt-1), max_ms)`.
    pub fn delay_ms(&self, attempt: u32, random: f64) -> f64 {
        let exponent = attempt.saturating_sub(1).min(60) as i32;
        let step = (self.min_ms * self.factor.powi(exponent)).min(self.max_ms);
        let jitter = self.jitter.clamp(0.0, 1.0);
        let random = if random.is_finite() {
            random.clamp(0.0, 1.0)
        } else {
            0.0
        };
        (step * (1.0 - jitter) + step * jitter * random).max(0.0)
    }
}

// ---------------------------------------------------------------------------------------------
// Client state machine
// ---------------------------------------------------------------------------------------------

/// What the client connects to and how it behaves.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientConfig {
    /// The Engine.IO WebSocket URL (see [`engine_io_url`]).
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

/// Problems the client reports.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientError {
    /// A Socket.IO packet could not be decoded; it is dropped and the connection goes on.
    Codec(CodecError),
    /// The server refused to let us join the namespace (CONNECT_ERROR); no automatic reconnect.
    ConnectRefused { message: String, data: Option<Json> },
    /// An emit while not in the namespace.
    NotConnected,
    /// The frame is larger than the server's `maxPayload`.
    TooLarge { size: usize, max: u64 },
    /// `max_attempts` failed attempts in a row: no more automatic reconnects.
    GaveUp { attempts: u32 },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Codec(e) => write!(f, "Socket.IO packet ignored: {e}"),
            ClientError::ConnectRefused { message, .. } => {
                write!(f, "connection refused: {message}")
            }
            ClientError::NotConnected => write!(f, "not connected"),
            ClientError::TooLarge { size, max } => {
                write!(
                    f,
                    "packet of {size} bytes exceeds the server's limit of {max}"
                )
            }
            ClientError::GaveUp { attempts } => write!(f, "gave up after {attempts} attempts"),
        }
    }
}

impl std::error::Error for ClientError {}

/// What the driver must do, or what happened.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Open a WebSocket to `url` (closing any previous one first).
    Open {
        url: String,
    },
    /// Send this text frame on the open WebSocket.
    Send(String),
    /// Close the WebSocket; the client already considers it gone.
    Close,
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
    Disconnected(DisconnectReason),
    /// The next attempt is scheduled at `at` (ms); `attempt` counts failures in a row.
    ReconnectAt {
        at: f64,
        attempt: u32,
    },
    Error(ClientError),
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
/// [`next_deadline`](Self::next_deadline) comes, and performs the returned [`Action`]s in order.
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

    /// Whether an attempt is under way (opening or joining).
    pub fn is_connecting(&self) -> bool {
        matches!(
            self.state,
            ConnectionState::Opening | ConnectionState::Joining
        )
    }

    /// The server's handshake of the current connection.
    pub fn handshake(&self) -> Option<&Handshake> {
        self.handshake.as_ref()
    }

    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// Failed attempts in a row.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When [`tick`](Self::tick) must be called next, if anything is waiting on time.
    pub fn next_deadline(&self) -> Option<f64> {
        let waiting = match self.state {
            ConnectionState::Waiting { at } => Some(at),
            _ => None,
        };
        [waiting, self.connect_deadline, self.ping_deadline]
            .into_iter()
            .flatten()
            .reduce(f64::min)
    }

    /// Starts connecting now (also cuts a reconnect wait short, or restarts after a refusal).
    /// Does nothing while already connecting or connected.
    pub fn connect(&mut self, now: f64) -> Vec<Action> {
        match self.state {
            ConnectionState::Opening | ConnectionState::Joining | ConnectionState::Connected => {
                Vec::new()
            }
            ConnectionState::Idle => {
                self.attempts = 0;
                self.open(now)
            }
            ConnectionState::Waiting { .. } => self.open(now),
        }
    }

    fn open(&mut self, now: f64) -> Vec<Action> {
        self.state = ConnectionState::Opening;
        self.handshake = None;
        self.ping_deadline = None;
        self.connect_deadline = Some(now + self.config.connect_timeout_ms);
        vec![Action::Open {
            url: self.config.url.clone(),
        }]
    }

    /// The WebSocket opened; the server speaks first (its handshake), so nothing to send yet.
    pub fn on_transport_open(&mut self, _now: f64) -> Vec<Action> {
        Vec::new()
    }

    /// A text frame arrived.
    pub fn on_text(&mut self, frame: &str, now: f64) -> Vec<Action> {
        if !self.is_active() {
            // A frame from a socket we already gave up on.
            return Vec::new();
        }
        let packet = match decode_engine(frame) {
            Ok(p) => p,
            Err(e) => return self.fail(DisconnectReason::Protocol(e), now),
        };
        match packet {
            EnginePacket::Open(handshake) => {
                if self.state != ConnectionState::Opening {
                    return Vec::new();
                }
                self.ping_deadline = Some(
                    now + handshake
                        .ping_interval
                        .saturating_add(handshake.ping_timeout) as f64,
                );
                self.handshake = Some(handshake);
                self.state = ConnectionState::Joining;
                let connect = SocketPacket::Connect {
                    namespace: self.config.namespace.clone(),
                    payload: self.config.auth.clone(),
                };
                vec![Action::Send(encode_frame(&connect))]
            }
            EnginePacket::Ping(data) => {
                if let Some(h) = &self.handshake {
                    self.ping_deadline =
                        Some(now + h.ping_interval.saturating_add(h.ping_timeout) as f64);
                }
                vec![Action::Send(encode_engine(&EnginePacket::Pong(data)))]
            }
            EnginePacket::Pong(_) | EnginePacket::Upgrade | EnginePacket::Noop => Vec::new(),
            EnginePacket::Close => self.fail(DisconnectReason::ServerClose, now),
            EnginePacket::Message(text) => self.on_socket_packet(&text),
        }
    }

    fn on_socket_packet(&mut self, text: &str) -> Vec<Action> {
        // The Engine.IO framing was fine, so the connection is: a Socket.IO packet this client
        // cannot represent (a binary event, a number as the event name…) is only reported.
        let packet = match decode_socket(text) {
            Ok(p) => p,
            Err(e) => return vec![Action::Error(ClientError::Codec(e))],
        };
        if packet.namespace() != self.config.namespace {
            return Vec::new();
        }
        match packet {
            SocketPacket::Connect { payload, .. } => {
                if self.state != ConnectionState::Joining {
                    return Vec::new();
                }
                self.state = ConnectionState::Connected;
                self.connect_deadline = None;
                self.attempts = 0;
                let sid = payload
                    .as_ref()
                    .and_then(|p| p.get("sid"))
                    .and_then(Json::as_str)
                    .map(str::to_string);
                vec![Action::Connected { sid }]
            }
            SocketPacket::ConnectError { message, data, .. } => {
                self.stop();
                vec![
                    Action::Close,
                    Action::Error(ClientError::ConnectRefused { message, data }),
                ]
            }
            SocketPacket::Disconnect { .. } => {
                self.stop();
                vec![
                    Action::Close,
                    Action::Disconnected(DisconnectReason::ServerDisconnect),
                ]
            }
            SocketPacket::Event { id, name, args, .. } => vec![Action::Event(IncomingEvent {
                name,
                args,
                ack_id: id,
            })],
            SocketPacket::Ack { id, args, .. } => vec![Action::Ack { id, args }],
        }
    }

    /// A binary frame arrived: attachments of a binary packet this client does not support.
    /// They are ignored (the packet that announced them was already reported).
    pub fn on_binary(&mut self, _now: f64) -> Vec<Action> {
        Vec::new()
    }

    /// The WebSocket closed.
    pub fn on_transport_close(&mut self, reason: &str, now: f64) -> Vec<Action> {
        if !self.is_active() {
            return Vec::new();
        }
        self.fail(DisconnectReason::TransportClosed(reason.to_string()), now)
    }

    /// The WebSocket reported an error (browsers follow it with a close, which is then ignored).
    pub fn on_transport_error(&mut self, message: &str, now: f64) -> Vec<Action> {
        if !self.is_active() {
            return Vec::new();
        }
        self.fail(DisconnectReason::TransportError(message.to_string()), now)
    }

    /// Time passed: handles the connect timeout, the heartbeat and a due reconnect.
    pub fn tick(&mut self, now: f64) -> Vec<Action> {
        match self.state {
            ConnectionState::Waiting { at } if at <= now => self.open(now),
            ConnectionState::Opening | ConnectionState::Joining
                if self.connect_deadline.is_some_and(|d| d <= now) =>
            {
                self.fail(DisconnectReason::ConnectTimeout, now)
            }
            ConnectionState::Joining | ConnectionState::Connected
                if self.ping_deadline.is_some_and(|d| d <= now) =>
            {
                self.fail(DisconnectReason::PingTimeout, now)
            }
            _ => Vec::new(),
        }
    }

    /// The frame for emitting `name` with `args`; with `want_ack`, a fresh ack id the server's
    /// [`Action::Ack`] will carry.
    pub fn emit(
        &mut self,
        name: &str,
        args: Vec<Json>,
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
        let frame = encode_frame(&SocketPacket::Event {
            namespace: self.config.namespace.clone(),
            id,
            name: name.to_string(),
            args,
        });
        self.check_size(&frame)?;
        Ok(Emitted { frame, ack_id: id })
    }

    /// The frame acknowledging the server's event `id`.
    pub fn ack(&self, id: u64, args: Vec<Json>) -> Result<String, ClientError> {
        if !self.is_connected() {
            return Err(ClientError::NotConnected);
        }
        let frame = encode_frame(&SocketPacket::Ack {
            namespace: self.config.namespace.clone(),
            id,
            args,
        });
        self.check_size(&frame)?;
        Ok(frame)
    }

    /// Leaves the namespace and closes the transport; no reconnect until [`connect`](Self::connect).
    pub fn close(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        match self.state {
            ConnectionState::Connected => {
                actions.push(Action::Send(encode_frame(&SocketPacket::Disconnect {
                    namespace: self.config.namespace.clone(),
                })));
                actions.push(Action::Close);
                actions.push(Action::Disconnected(DisconnectReason::ClientClose));
            }
            ConnectionState::Opening | ConnectionState::Joining => actions.push(Action::Close),
            ConnectionState::Idle | ConnectionState::Waiting { .. } => {}
        }
        self.stop();
        actions
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
    fn fail(&mut self, reason: DisconnectReason, now: f64) -> Vec<Action> {
        self.connect_deadline = None;
        self.ping_deadline = None;
        self.attempts = self.attempts.saturating_add(1);
        let mut actions = vec![Action::Close, Action::Disconnected(reason)];
        if self
            .config
            .max_attempts
            .is_some_and(|max| self.attempts >= max)
        {
            self.state = ConnectionState::Idle;
            actions.push(Action::Error(ClientError::GaveUp {
                attempts: self.attempts,
            }));
            return actions;
        }
        let random = self.next_random();
        let at = now + self.config.backoff.delay_ms(self.attempts, random);
        self.state = ConnectionState::Waiting { at };
        actions.push(Action::ReconnectAt {
            at,
            attempt: self.attempts,
        });
        actions
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
