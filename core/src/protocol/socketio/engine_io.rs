//! Engine.IO v4 packets: the framing of every WebSocket text frame (handshake, heartbeat,
//! message), which carries Socket.IO's packets inside its messages.

use super::error::CodecError;
use crate::json::Json;
use crate::protocol::wire::Fields;

/// The Engine.IO protocol revision this module speaks (`EIO=4`).
pub(super) const ENGINE_IO_VERSION: u32 = 4;

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
    fn to_json(&self) -> Json {
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
    fn from_json(v: &Json) -> Result<Handshake, String> {
        let f = Fields::of(v, "the handshake")?;
        let sid = f.string("sid")?;
        let mut upgrades = Vec::new();
        for u in f.array("upgrades")? {
            upgrades.push(u.as_str().ok_or("an upgrade is not a string")?.to_string());
        }
        Ok(Handshake {
            sid,
            upgrades,
            ping_interval: f.u64("pingInterval")?,
            ping_timeout: f.u64("pingTimeout")?,
            max_payload: f.opt_u64("maxPayload")?.unwrap_or(1_000_000),
        })
    }
}

/// One Engine.IO packet (one WebSocket text frame).
#[derive(Clone, Debug, PartialEq)]
pub enum EnginePacket<'a> {
    /// `0{…}`: the handshake, the first frame the server sends.
    Open(Handshake),
    /// `1`: the server closes the session.
    Close,
    /// `2`: heartbeat from the server (data is `probe` only during upgrades).
    Ping(&'a str),
    /// `3`: the answer to a ping.
    Pong(&'a str),
    /// `4…`: a message; for Socket.IO, one encoded [`SocketPacket`](super::SocketPacket). Its
    /// data borrowed from the frame, as the ping's and pong's: a frame is not copied to be read.
    Message(&'a str),
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
        EnginePacket::Ping(data) => frame('2', data),
        EnginePacket::Pong(data) => frame('3', data),
        EnginePacket::Message(data) => frame('4', data),
        EnginePacket::Upgrade => "5".into(),
        EnginePacket::Noop => "6".into(),
    }
}

/// The frame of an Engine.IO packet of type `kind` carrying `data`. The client sends only
/// pongs and messages, through this: going through [`encode_engine`] would link the handshake's
/// encoding, which only a server sends.
pub(super) fn frame(kind: char, data: &str) -> String {
    let mut frame = String::with_capacity(data.len() + 1);
    frame.push(kind);
    frame.push_str(data);
    frame
}

/// Decodes one WebSocket text frame into an Engine.IO packet.
pub fn decode_engine(frame: &str) -> Result<EnginePacket<'_>, CodecError> {
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
        '2' => Ok(EnginePacket::Ping(data)),
        '3' => Ok(EnginePacket::Pong(data)),
        '4' => Ok(EnginePacket::Message(data)),
        '5' => Ok(EnginePacket::Upgrade),
        '6' => Ok(EnginePacket::Noop),
        other => Err(CodecError::UnknownEngineType(other)),
    }
}
