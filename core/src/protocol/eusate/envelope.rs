//! The `{status_code, sid, message, data}` wrapper around every server event payload.

use super::error::{malformed, EusateError};
use crate::json::Json;

/// The wrapper around every server event payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    pub status_code: u16,
    /// The socket id the server answered on (unused by the widget).
    pub sid: Option<String>,
    /// A human-readable status, or the error's explanation.
    pub message: Option<String>,
    pub data: Json,
}

impl Envelope {
    /// Ok for a 2xx `status_code`, else the typed error.
    pub fn check(&self) -> Result<(), EusateError> {
        if (200..300).contains(&self.status_code) {
            return Ok(());
        }
        let message = match &self.message {
            Some(m) if !m.is_empty() => m.clone(),
            _ => match self.data.get("detail") {
                Some(Json::String(detail)) => detail.clone(),
                _ => format!("status {}", self.status_code),
            },
        };
        Err(EusateError::Status {
            status: self.status_code,
            message,
        })
    }
}

/// Reads the `{status_code, sid, message, data}` wrapper of an event's first argument. A payload
/// without `status_code` is taken as unwrapped data with status 200, so a server that sends the
/// bare object still works.
pub fn parse_envelope(args: &[Json]) -> Result<Envelope, EusateError> {
    let Some(payload) = args.first() else {
        return Err(malformed("event without payload", &Json::Null));
    };
    if !matches!(payload, Json::Object(_)) {
        return Err(malformed("payload is not an object", payload));
    }
    let Some(code) = payload.get("status_code") else {
        return Ok(Envelope {
            status_code: 200,
            sid: None,
            message: None,
            data: payload.clone(),
        });
    };
    let status_code = match code {
        Json::Number(n) => n.as_u64(),
        Json::String(s) => crate::text::parse_u64(s.trim()),
        _ => None,
    };
    let status_code = match status_code {
        Some(c) if (100..1000).contains(&c) => c as u16,
        _ => return Err(malformed("status_code is not an HTTP status", payload)),
    };
    let text = |key| match payload.get(key) {
        Some(Json::String(s)) => Some(s.clone()),
        _ => None,
    };
    Ok(Envelope {
        status_code,
        sid: text("sid"),
        message: text("message"),
        data: match payload.get("data") {
            Some(data) => data.clone(),
            None => Json::Null,
        },
    })
}
