//! Engine.IO v4 and Socket.IO v5 over a WebSocket, as a pure codec and a pure client state machine.
//!
//! Eusate pushes answers over Socket.IO. Rather than bind a JavaScript client, the widget speaks
//! the protocol itself: `engine_io` and `packet` turn text frames into packets and back, and
//! [`SocketIoClient`] (`client`) decides what to do with them (answer pings, join the namespace,
//! time out, reconnect with backoff). It never touches a socket or a clock: the web layer feeds it
//! frames and the current time, performs the transport work it writes into the caller's list
//! (as [`PushOutput`](crate::protocol::push::PushOutput)s) and handles the [`Report`] it returns,
//! so every transition is
//! testable on the host against packets written out from the protocol documents.
//!
//! Only the WebSocket transport is supported (no long-polling, no upgrade), and only text packets:
//! binary events (Socket.IO types 5 and 6) decode as [`CodecError::BinaryNotSupported`].
//!
//! One file per layer of the protocol (`error` holds the decoding errors both framings share),
//! so each can be read against its own document; the items are re-exported here, the one path
//! the push backends and the tests name them by.

mod client;
mod engine_io;
mod error;
mod packet;
mod url;

pub use client::{
    ClientConfig, ClientError, ConnectionState, DisconnectReason, Emitted, IncomingEvent, Next,
    Report, SocketIoClient,
};
pub use engine_io::{decode_engine, encode_engine, EnginePacket, Handshake};
pub use error::CodecError;
pub use packet::{decode_socket, encode_frame, encode_socket, SocketPacket};
pub use url::{engine_io_url, UrlError, DEFAULT_PATH};
