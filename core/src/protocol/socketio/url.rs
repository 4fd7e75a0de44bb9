//! The WebSocket URL of an Engine.IO endpoint, built from the base URL a site configured.

use super::engine_io::ENGINE_IO_VERSION;
use crate::protocol::wire::encode;
use crate::text::{find_any, split_once, trim_end_slashes, trim_slashes};
use std::fmt;

/// The default Engine.IO endpoint path of a Socket.IO server.
pub const DEFAULT_PATH: &str = "/socket.io/";

/// Why a base URL cannot carry a socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid socket URL: {}", self.0)
    }
}

impl std::error::Error for UrlError {}

/// The WebSocket URL of an Engine.IO v4 endpoint.
///
/// `base` is the server as the site configured it (`http(s)://` or `ws(s)://`, maybe with a path
/// prefix when a proxy mounts the backend under one); `path` is the Engine.IO path
/// ([`DEFAULT_PATH`]), appended to that prefix. `query` pairs come first, then `EIO=4` and
/// `transport=websocket`, as the JavaScript client orders them.
pub fn engine_io_url(base: &str, path: &str, query: &[(&str, &str)]) -> Result<String, UrlError> {
    let base = base.trim();
    let (scheme, rest) =
        split_once(base, "://").ok_or_else(|| UrlError(format!("\"{base}\" has no scheme")))?;
    let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws",
        "https" | "wss" => "wss",
        other => return Err(UrlError(format!("unsupported scheme \"{other}\""))),
    };
    if find_any(rest, b"?#").is_some() {
        return Err(UrlError(format!(
            "\"{base}\" must not carry a query or fragment"
        )));
    }
    let (authority, prefix) = match find_any(rest, b"/") {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.chars().any(char::is_whitespace) {
        return Err(UrlError(format!("\"{base}\" has no valid host")));
    }
    let prefix = trim_end_slashes(prefix);
    let path = trim_slashes(path);
    let mut url = format!("{ws_scheme}://{authority}{prefix}/");
    if !path.is_empty() {
        url.push_str(path);
        url.push('/');
    }
    url.push('?');
    for (key, value) in query {
        url.push_str(&encode(key));
        url.push('=');
        url.push_str(&encode(value));
        url.push('&');
    }
    url.push_str(&format!("EIO={ENGINE_IO_VERSION}&transport=websocket"));
    Ok(url)
}
