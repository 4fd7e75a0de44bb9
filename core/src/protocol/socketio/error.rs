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
