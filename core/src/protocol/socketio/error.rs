//! Decoding errors of both framings: a malformed frame from the network is data, never a panic.

use std::fmt;

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
    AckId(&'static str),
    /// The payload is not JSON.
    Json(String),
    /// The payload is JSON but not the shape this packet type requires.
    Payload {
        packet: &'static str,
        reason: &'static str,
    },
}

/// Written as a prefix, the detail and a suffix, with no format arguments to build: the
/// widget links this text (a packet it drops is reported on the console).
impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut char_buf = [0u8; 4];
        let (prefix, detail, suffix): (&str, &str, &str) = match self {
            CodecError::Empty => ("empty packet", "", ""),
            CodecError::UnknownEngineType(c) => (
                "unknown Engine.IO packet type \"",
                c.encode_utf8(&mut char_buf),
                "\"",
            ),
            CodecError::UnknownSocketType(c) => (
                "unknown Socket.IO packet type \"",
                c.encode_utf8(&mut char_buf),
                "\"",
            ),
            CodecError::BinaryNotSupported => ("binary not supported", "", ""),
            CodecError::Handshake(e) => ("invalid Engine.IO open packet: ", e, ""),
            CodecError::Namespace(ns) => ("invalid namespace \"", ns, "\""),
            CodecError::AckId(e) => ("invalid acknowledgement id: ", e, ""),
            CodecError::Json(e) => ("payload is not JSON: ", e, ""),
            CodecError::Payload { packet, reason } => {
                f.write_str("invalid ")?;
                (packet, " payload: ", reason)
            }
        };
        f.write_str(prefix)?;
        f.write_str(detail)?;
        f.write_str(suffix)
    }
}

impl std::error::Error for CodecError {}
