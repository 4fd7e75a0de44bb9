//! Socket.IO v5 packets: namespaces, events and acknowledgements, inside Engine.IO messages.

use super::engine_io::frame;
use super::error::CodecError;
use crate::json::Json;

/// The main namespace; packets for it carry no namespace prefix.
const MAIN_NAMESPACE: &str = "/";

/// Event names the Socket.IO protocol reserves; a server never emits them as events.
const RESERVED_EVENTS: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// One Socket.IO packet: `<type>[<namespace>,][<ack id>][<JSON payload>]`. Its namespace is
/// borrowed from the text it was read from (or a literal): reading one copies nothing.
#[derive(Clone, Debug, PartialEq)]
pub enum SocketPacket<'a> {
    /// `0`: from the client, joins a namespace (payload: the `auth` object); from the server,
    /// confirms it (payload `{"sid": …}`).
    Connect {
        namespace: &'a str,
        payload: Option<Json>,
    },
    /// `1`: leaves a namespace (either side).
    Disconnect { namespace: &'a str },
    /// `2`: an event `[name, ...args]`; with an `id` the sender wants an acknowledgement.
    Event {
        namespace: &'a str,
        id: Option<u64>,
        name: String,
        args: Vec<Json>,
    },
    /// `3`: the acknowledgement of event `id`.
    Ack {
        namespace: &'a str,
        id: u64,
        args: Vec<Json>,
    },
    /// `4`: the server refused to join the namespace (payload `{"message", "data"?}`).
    ConnectError {
        namespace: &'a str,
        message: String,
        data: Option<Json>,
    },
}

impl SocketPacket<'_> {
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
    let payload = payload.map(|p| p.to_string()).unwrap_or_default();
    encode_parts(kind, namespace, id, &payload)
}

/// A Socket.IO packet from its parts: `<kind>[<namespace>,][<id>][<payload>]`, `payload` the
/// JSON text (empty for none). The client encodes its four kinds of packet through this
/// directly (`client.rs`), so the bundle does not link [`encode_socket`]'s other kinds (a
/// `CONNECT_ERROR` is only ever sent by a server), and its payloads are written once, as text.
pub(super) fn encode_parts(kind: char, namespace: &str, id: Option<u64>, payload: &str) -> String {
    let mut out = String::new();
    push_parts(&mut out, kind, namespace, id, payload);
    out
}

fn push_parts(out: &mut String, kind: char, namespace: &str, id: Option<u64>, payload: &str) {
    out.push(kind);
    if !namespace.is_empty() && namespace != MAIN_NAMESPACE {
        out.push_str(namespace);
        out.push(',');
    }
    if let Some(id) = id {
        out.push_str(&id.to_string());
    }
    out.push_str(payload);
}

/// Decodes a Socket.IO packet (the data of an Engine.IO message).
pub fn decode_socket(text: &str) -> Result<SocketPacket<'_>, CodecError> {
    let mut chars = text.chars();
    let kind = chars.next().ok_or(CodecError::Empty)?;
    match kind {
        '0'..='4' => {}
        '5' | '6' => return Err(CodecError::BinaryNotSupported),
        other => return Err(CodecError::UnknownSocketType(other)),
    }
    let mut rest = chars.as_str();

    let namespace = if rest.starts_with('/') {
        let (ns, after) = match crate::text::find_any(rest, b",") {
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
        ns
    } else {
        MAIN_NAMESPACE
    };

    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let id = if digits > 0 {
        let raw = &rest[..digits];
        rest = &rest[digits..];
        Some(crate::text::parse_u64(raw).ok_or(CodecError::AckId("out of range"))?)
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
                reason: "must be an object",
            }),
        },
        '1' => match payload {
            None => Ok(SocketPacket::Disconnect { namespace }),
            Some(_) => Err(CodecError::Payload {
                packet: "DISCONNECT",
                reason: "must be empty",
            }),
        },
        '2' => {
            let invalid = |reason| CodecError::Payload {
                packet: "EVENT",
                reason,
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
                return Err(invalid("the event name is a reserved one"));
            }
            Ok(SocketPacket::Event {
                namespace,
                id,
                name,
                args: array,
            })
        }
        '3' => {
            let id = id.ok_or(CodecError::AckId("missing on ACK"))?;
            match payload {
                Some(Json::Array(args)) => Ok(SocketPacket::Ack {
                    namespace,
                    id,
                    args,
                }),
                _ => Err(CodecError::Payload {
                    packet: "ACK",
                    reason: "must be an array",
                }),
            }
        }
        _ => {
            // CONNECT_ERROR: `{"message", "data"?}` in protocol v5, a bare string in v4.
            let invalid = || CodecError::Payload {
                packet: "CONNECT_ERROR",
                reason: "must be an object with a message",
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
    frame('4', &encode_socket(packet))
}

/// The WebSocket frame of a Socket.IO packet given by its parts (see [`encode_parts`]).
pub(super) fn parts_frame(kind: char, namespace: &str, id: Option<u64>, payload: &str) -> String {
    let mut out = String::from("4");
    push_parts(&mut out, kind, namespace, id, payload);
    out
}
