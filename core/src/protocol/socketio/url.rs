//! The WebSocket URL of an Engine.IO endpoint, built from the base URL a site configured.

use super::engine_io::ENGINE_IO_VERSION;
use crate::protocol::wire::encode;
use crate::text::{find_any, split_once, trim_end_slashes, trim_slashes};
use std::fmt;

/// The default Engine.IO endpoint path of a Socket.IO server.
pub const DEFAULT_PATH: &str = "/socket.io/";

/// Why a base URL cannot carry a socket: the base as configured, and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UrlError {
    pub base: String,
    pub reason: &'static str,
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid socket URL \"")?;
        f.write_str(&self.base)?;
        f.write_str("\": ")?;
        f.write_str(self.reason)
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
    // Static reasons, the base quoted once by Display: no text is formatted unless shown.
    let fail = |reason| {
        Err(UrlError {
            base: base.to_string(),
            reason,
        })
    };
    let Some((scheme, rest)) = split_once(base, "://") else {
        return fail("no scheme");
    };
    let ws_scheme = match scheme.to_ascii_lowercase().as_str() {
        "http" | "ws" => "ws://",
        "https" | "wss" => "wss://",
        _ => return fail("the scheme is not http(s) or ws(s)"),
    };
    if find_any(rest, b"?#").is_some() {
        return fail("it must not carry a query or fragment");
    }
    let (authority, prefix) = match find_any(rest, b"/") {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.is_empty() || authority.chars().any(char::is_whitespace) {
        return fail("no valid host");
    }
    let path = trim_slashes(path);
    let mut url = String::from(ws_scheme);
    url.push_str(authority);
    url.push_str(trim_end_slashes(prefix));
    url.push('/');
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
    // `EIO=` the version this client speaks (ENGINE_IO_VERSION), written out: no formatting.
    const _: () = assert!(ENGINE_IO_VERSION == 4);
    url.push_str("EIO=4&transport=websocket");
    Ok(url)
}
